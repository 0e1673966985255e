/*
** chol_solve.cl -- helpers on a Cholesky factor of any n (split from cholesky.cl): the
** per-matrix log-det 2 sum log L_ii, and small batched triangular solves vectorised over
** the right-hand sides (n <= 128 per matrix; the blocked path uses rdn_gemm).
*/
#if RDN_COMPLEX
#define RE(v) ((v).x)
#define MUL(a, b) CMUL(a, b)
#define CJ(a) CONJ(a)
#else
#define RE(v) (v)
#define MUL(a, b) ((a) * (b))
#define CJ(a) (a)
#endif

/* out[w] = 2 sum_i log L_w[i][i] (acc precision).  One work-item per matrix. */
__kernel void chol_logdet(__global acc *out, __global const elem *l, ulong loff, ulong n,
                          ulong nmat) {
  ulong w = get_global_id(0);
  if (w >= nmat) return;
  __global const elem *L = l + loff + w * n * n;
  acc s = 0;
  for (ulong i = 0; i < n; i++) s += log((acc)RE(L[i * n + i]));
  out[w] = 2 * s;
}

/* Solves on VC columns at once (contiguous in a row of b): SIMD over the right-hand
** sides.  Complex vectors hold VC interleaved (re, im) pairs. */
#if RDN_DTYPE == 1
#define VC 8
typedef double8 cvec;
#define CVL(p) vload8(0, (__global const double *)(p))
#define CVS(v, p) vstore8(v, 0, (__global double *)(p))
#elif RDN_COMPLEX
#define VC 8
typedef float16 cvec;
#define CVL(p) vload16(0, (__global const float *)(p))
#define CVS(v, p) vstore16(v, 0, (__global float *)(p))
#else
#define VC 16
typedef float16 cvec;
#define CVL(p) vload16(0, (__global const float *)(p))
#define CVS(v, p) vstore16(v, 0, (__global float *)(p))
#endif
#if RDN_COMPLEX
/* l * v for a complex scalar l and interleaved v: l.x v + l.y (-v.im, v.re) */
#define MULV(l, v) ((l).x * (v) + (l).y * ((v).s1032547698badcfe * \
                   (cvec)(-1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1)))
#else
#define MULV(l, v) ((l) * (v))
#endif

/* In place on columns c0 .. c0+VC of matrix w of b (rows ldb apart, matrices sb apart)
** with the lower factor of matrix w of l (rows ldl apart, matrices sl apart): mode 1
** solves L x = b, mode 2 L^H x = b, mode 3 both (A x = b).  Grid (ceil(r / VC), nmat);
** a partial group of columns is solved column by column. */
__kernel void chol_solve_small(__global elem *bm, ulong boff, ulong sb, ulong ldb,
                               __global const elem *l, ulong loff, ulong sl, ulong ldl,
                               ulong n, ulong r, ulong nmat, int mode) {
  ulong c0 = get_global_id(0) * VC, w = get_global_id(1);
  if (c0 >= r || w >= nmat) return;
  __global elem *xb = bm + boff + w * sb + c0;
  __global const elem *L = l + loff + w * sl;
  if (c0 + VC <= r) {
    if (mode & 1)
      for (ulong i = 0; i < n; i++) {
        cvec s = CVL(xb + i * ldb);
        for (ulong k = 0; k < i; k++) s -= MULV(L[i * ldl + k], CVL(xb + k * ldb));
        CVS(s * ((real)1 / RE(L[i * ldl + i])), xb + i * ldb);
      }
    if (mode & 2)
      for (ulong i = n; i-- > 0;) {
        cvec s = CVL(xb + i * ldb);
        for (ulong k = i + 1; k < n; k++) s -= MULV(CJ(L[k * ldl + i]), CVL(xb + k * ldb));
        CVS(s * ((real)1 / RE(L[i * ldl + i])), xb + i * ldb);
      }
    return;
  }
  for (ulong c = 0; c < r - c0; c++) {
    __global elem *x = xb + c;
    if (mode & 1)
      for (ulong i = 0; i < n; i++) {
        elem s = x[i * ldb];
        for (ulong k = 0; k < i; k++) s -= MUL(L[i * ldl + k], x[k * ldb]);
        x[i * ldb] = s * ((real)1 / RE(L[i * ldl + i]));
      }
    if (mode & 2)
      for (ulong i = n; i-- > 0;) {
        elem s = x[i * ldb];
        for (ulong k = i + 1; k < n; k++) s -= MUL(CJ(L[k * ldl + i]), x[k * ldb]);
        x[i * ldb] = s * ((real)1 / RE(L[i * ldl + i]));
      }
  }
}
