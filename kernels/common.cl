/*
** common.cl -- prepended to every op file.  RDN_DTYPE selects the element type:
** 0 f32, 1 f64, 2 c64 (float2 = re, im).  `elem` is the stored element, `real` its
** scalar part, `acc` the widest float the device has (double when cl_khr_fp64).
*/
#if defined(cl_khr_fp64)
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#define RDN_HAS_FP64 1
typedef double acc;
#else
#define RDN_HAS_FP64 0
typedef float acc;
#endif

#ifndef RDN_DTYPE
#define RDN_DTYPE 0
#endif

#if RDN_DTYPE == 0
typedef float elem;
typedef float real;
#define RDN_COMPLEX 0
#elif RDN_DTYPE == 1
typedef double elem;
typedef double real;
#define RDN_COMPLEX 0
#elif RDN_DTYPE == 2
typedef float2 elem;
typedef float real;
#define RDN_COMPLEX 1
#else
#error "unknown RDN_DTYPE"
#endif

/* Complex helpers on float2 / double2 (re, im). */
#define CMUL(a, b) ((float2)((a).x * (b).x - (a).y * (b).y, (a).x * (b).y + (a).y * (b).x))
#define CMULC(a, b) ((float2)((a).x * (b).x + (a).y * (b).y, (a).y * (b).x - (a).x * (b).y))
#define CONJ(a) ((float2)((a).x, -(a).y))
#define CABS2(a) ((a).x * (a).x + (a).y * (a).y)

/* Grid-stride loop over n elements: works for any global size, but PoCL does not
** vectorise across work-items through it (measured ~5x slower for streaming ops);
** streaming kernels should use one element per work-item instead. */
#define FOR_EACH(i, n) for (ulong i = get_global_id(0); i < (n); i += get_global_size(0))

/* In-register transpose of the 8 x 8 f32 block m[0..8) (m[i][j] -> m[j][i]): three rounds
** of shuffles, so tile rows load and store as whole float8 vectors (scatfft.cl, shrink.cl). */
inline __attribute__((always_inline)) void tr8(float8 *m) {
  const uint8 e1 = (uint8)(0, 8, 2, 10, 4, 12, 6, 14), o1 = (uint8)(1, 9, 3, 11, 5, 13, 7, 15);
  const uint8 e2 = (uint8)(0, 1, 8, 9, 4, 5, 12, 13), o2 = (uint8)(2, 3, 10, 11, 6, 7, 14, 15);
  const uint8 e4 = (uint8)(0, 1, 2, 3, 8, 9, 10, 11), o4 = (uint8)(4, 5, 6, 7, 12, 13, 14, 15);
  float8 t[8];
  for (int i = 0; i < 8; i += 2)
    t[i] = shuffle2(m[i], m[i + 1], e1), t[i + 1] = shuffle2(m[i], m[i + 1], o1);
  for (int i = 0; i < 8; i += (i % 4 == 1) ? 3 : 1)
    m[i] = shuffle2(t[i], t[i + 2], e2), m[i + 2] = shuffle2(t[i], t[i + 2], o2);
  for (int i = 0; i < 4; i++)
    t[i] = shuffle2(m[i], m[i + 4], e4), t[i + 4] = shuffle2(m[i], m[i + 4], o4);
  for (int i = 0; i < 8; i++) m[i] = t[i];
}
