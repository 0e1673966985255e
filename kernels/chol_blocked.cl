/*
** chol_blocked.cl -- kernels of the blocked Cholesky of one large matrix: copies to and
** from column panels [N, nb] (N = n rounded up to nb, identity padding), the diagonal
** block factor, the triangular solve of the rows below it, and an identity fill.  The
** trailing updates between panels are rdn_gemm calls (chol_blocked.c).
*/
#if RDN_DTYPE == 1
#define VL 8
typedef double8 vreal;
#define VLOAD(p) vload8(0, p)
#define VSTORE(v, p) vstore8(v, 0, p)
#else
#define VL 16
typedef float16 vreal;
#define VLOAD(p) vload16(0, p)
#define VSTORE(v, p) vstore16(v, 0, p)
#endif
#define NBMAX 128            /* largest panel width (chol_blocked.c) */

#if RDN_COMPLEX
#define RE(v) ((v).x)
#define MUL(a, b) CMUL(a, b)
#define CJ(a) CONJ(a)
#define ZERO ((elem)(0, 0))
#define FROMR(v) ((elem)((v), 0))
#else
#define RE(v) (v)
#define MUL(a, b) ((a) * (b))
#define CJ(a) (a)
#define ZERO ((elem)0)
#define FROMR(v) ((elem)(v))
#endif

/* P[p][r][c] = A[r][p*nb + c] (lower triangle; the identity past n) for rows r >= p*nb.
** Grid (N, np). */
__kernel void to_panels(__global elem *P, __global const elem *a, ulong aoff, ulong n, ulong N,
                        ulong nb) {
  ulong r = get_global_id(0), p = get_global_id(1);
  if (r >= N || p >= N / nb || r < p * nb) return;
  __global elem *o = P + (p * N + r) * nb;
  __global const elem *src = a + aoff + r * n;
  for (ulong c = 0; c < nb; c++) {
    ulong col = p * nb + c;
    o[c] = r < n && col < n ? (col <= r ? src[col] : ZERO) : (r == col ? FROMR(1) : ZERO);
  }
}

/* A[r][c] = L[r][c] for c <= r, 0 above.  Grid (n). */
__kernel void from_panels(__global elem *a, ulong aoff, __global const elem *P, ulong n,
                          ulong N, ulong nb) {
  ulong r = get_global_id(0);
  if (r >= n) return;
  __global elem *o = a + aoff + r * n;
  for (ulong c = 0; c < n; c++) o[c] = c <= r ? P[((c / nb) * N + r) * nb + c % nb] : ZERO;
}

/* Factors the diagonal block D (nb x nb, row stride nb, at P + doff) in place: L below,
** U = L^H above (row-contiguous for panel_trsm and for the updates here).  A failing
** pivot (global index j0 + k) is replaced by 1; the first failure of the matrix is
** recorded in info ([0] = 0, [1] = pivot + 1, [2] = value as float bits).  One item. */
__kernel void panel_potrf(__global elem *P, ulong doff, ulong nb, ulong j0,
                          __global int *info) {
  if (get_global_id(0) != 0) return;
  __global elem *D = P + doff;
  int fail = 0;
  real fval = 0;
  for (ulong k = 0; k < nb; k++) {
    real d = RE(D[k * nb + k]);
    int ok = d > 0 && !isinf(d);
    if (!ok && !fail) {
      fail = (int)(j0 + k) + 1;
      fval = d;
    }
    real l = sqrt(ok ? d : (real)1), il = (real)1 / l;
    D[k * nb + k] = FROMR(l);
    for (ulong j = k + 1; j < nb; j++) {
      elem v = D[j * nb + k] * il;
      D[j * nb + k] = v;
      D[k * nb + j] = CJ(v);
    }
    for (ulong i = k + 1; i < nb; i++) {
      elem lik = D[i * nb + k];
      __global elem *di = D + i * nb;
      __global const elem *uk = D + k * nb;
      ulong j = k + 1;
#if !RDN_COMPLEX
      for (; j + VL <= i + 1; j += VL)          /* explicit SIMD: rows i and k differ */
        VSTORE(VLOAD(di + j) - lik * VLOAD(uk + j), di + j);
#endif
      for (; j <= i; j++) di[j] -= MUL(lik, uk[j]);
    }
  }
  if (fail && atomic_cmpxchg((__global uint *)info, UINT_MAX, 0u) == UINT_MAX) {
    info[1] = fail;
    info[2] = as_int((float)fval);
  }
}

/* Rows r0 .. r0+nrows of the panel at P + poff: x U = a with the factored diagonal block
** at P + doff (U = L^H in its upper triangle), in place.  Grid (nrows). */
__kernel void panel_trsm(__global elem *P, ulong poff, ulong doff, ulong nb, ulong r0,
                         ulong nrows) {
  ulong r = get_global_id(0);
  if (r >= nrows) return;
  __global elem *x = P + poff + (r0 + r) * nb;
  __global const elem *D = P + doff;
  for (ulong c = 0; c < nb; c++) {
    elem xc = x[c] * ((real)1 / RE(D[c * nb + c]));
    x[c] = xc;
    __global const elem *uc = D + c * nb;
    for (ulong c2 = c + 1; c2 < nb; c2++) x[c2] -= MUL(xc, uc[c2]);
  }
}

#if !RDN_COMPLEX
/* panel_trsm for real dtypes, VL rows per work-item, one row per SIMD lane: the rows are
** transposed into a private array, solved with vector FMAs, and written back.
** Grid (ceil(nrows / VL)). */
__kernel void panel_trsm_v(__global real *P, ulong poff, ulong doff, ulong nb, ulong r0,
                           ulong nrows) {
  ulong row0 = get_global_id(0) * VL;
  if (row0 >= nrows) return;
  __global real *x = P + poff + (r0 + row0) * nb;
  __global const real *D = P + doff;
  ulong nr = min((ulong)VL, nrows - row0);
  vreal xv[NBMAX];
  real t[VL];
  for (ulong c = 0; c < nb; c++) {
    for (ulong l = 0; l < VL; l++) t[l] = l < nr ? x[l * nb + c] : 0;
    xv[c] = VLOAD(t);
  }
  for (ulong c = 0; c < nb; c++) {
    vreal xc = xv[c] * ((real)1 / D[c * nb + c]);
    xv[c] = xc;
    __global const real *uc = D + c * nb;
    for (ulong c2 = c + 1; c2 < nb; c2++) xv[c2] -= xc * uc[c2];
  }
  for (ulong c = 0; c < nb; c++) {
    VSTORE(xv[c], t);
    for (ulong l = 0; l < nr; l++) x[l * nb + c] = t[l];
  }
}
#endif

/* a = I (n x n).  Grid (n). */
__kernel void eye(__global elem *a, ulong aoff, ulong n) {
  ulong r = get_global_id(0);
  if (r >= n) return;
  for (ulong c = 0; c < n; c++) a[aoff + r * n + c] = r == c ? FROMR(1) : ZERO;
}
