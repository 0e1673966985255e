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
