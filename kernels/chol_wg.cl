/*
** chol_wg.cl -- batched Cholesky (and inverse, log-det) of small Hermitian positive
** definite matrices with a work-group per matrix held in __local memory (the GPU path
** above n = 16; on PoCL's CPU device 10-20x slower than the SIMD-lanes kernels of
** cholesky.cl, measured at n = 35 and 75).
*/
#if RDN_COMPLEX
#define RE(v) ((v).x)
#define MUL(a, b) CMUL(a, b)
#define MULC(a, b) CMULC(a, b)        /* a * conj(b) */
#define CJ(a) CONJ(a)
#define ZERO ((elem)(0, 0))
#define FROMR(v) ((elem)((v), 0))
#else
#define RE(v) (v)
#define MUL(a, b) ((a) * (b))
#define MULC(a, b) ((a) * (b))
#define CJ(a) (a)
#define ZERO ((elem)0)
#define FROMR(v) ((elem)(v))
#endif

/* ---- a work-group per matrix (n^2 elements must fit __local memory): right-looking in
** __local memory (skipped when factor == 0: a then holds L), optionally followed by the
** inverse.  info and ld as in report() of cholesky.cl. */
__kernel void chol_wg(__global elem *a, ulong aoff, ulong n, ulong nmat, int factor,
                      int inverse, __global int *info, __global acc *ld, int ld_on,
                      __local elem *L) {
  ulong w = get_group_id(0), lid = get_local_id(0), lsz = get_local_size(0);
  if (w >= nmat) return;
  __global elem *A = a + aoff + w * n * n;
  for (ulong e = lid; e < n * n; e += lsz) L[e] = A[e];
  barrier(CLK_LOCAL_MEM_FENCE);
  int fail = 0;
  real fval = 0;
  acc lds = 0;
  for (ulong k = 0; factor && k < n; k++) {
    real d = RE(L[k * n + k]);
    int ok = d > 0 && !isinf(d);
    if (!ok && !fail) {
      fail = (int)k + 1;
      fval = d;
    }
    real p = ok ? d : (real)1, l = sqrt(p), il = (real)1 / l;
    lds += log((acc)p);
    barrier(CLK_LOCAL_MEM_FENCE);
    for (ulong i = k + lid; i < n; i += lsz) L[i * n + k] = i == k ? FROMR(l) : L[i * n + k] * il;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (ulong i = k + 1 + lid; i < n; i += lsz) {
      elem lik = L[i * n + k];
      for (ulong j = k + 1; j <= i; j++) L[i * n + j] -= MULC(lik, L[j * n + k]);
    }
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  if (lid == 0 && ld_on && factor) ld[w] = lds;
  if (lid == 0 && fail) {
    info[1 + w] = fail;
    info[1 + nmat + w] = as_int((float)fval);
    atomic_min((__global uint *)info, (uint)w);
  }
  if (!inverse) {
    for (ulong e = lid; e < n * n; e += lsz) A[e] = e % n <= e / n ? L[e] : ZERO;
    return;
  }
  /* W = L^-1 by columns (one work-item per column) into A's lower triangle */
  for (ulong j = lid; j < n; j += lsz) {
    A[j * n + j] = FROMR((real)1 / RE(L[j * n + j]));
    for (ulong i = j + 1; i < n; i++) {
      elem s = ZERO;
      for (ulong k = j; k < i; k++) s += MUL(L[i * n + k], A[k * n + j]);
      A[i * n + j] = s * (-(real)1 / RE(L[i * n + i]));
    }
  }
  barrier(CLK_GLOBAL_MEM_FENCE | CLK_LOCAL_MEM_FENCE);
  for (ulong e = lid; e < n * n; e += lsz) L[e] = e % n <= e / n ? A[e] : ZERO;
  barrier(CLK_LOCAL_MEM_FENCE);
  /* X = W^H W, row i per work-item; both triangles written */
  for (ulong i = lid; i < n; i += lsz)
    for (ulong j = 0; j <= i; j++) {
      elem s = ZERO;
      for (ulong k = i; k < n; k++) s += MULC(L[k * n + j], L[k * n + i]);
      if (j == i) s = FROMR(RE(s));
      A[i * n + j] = s;
      A[j * n + i] = CJ(s);
    }
}
