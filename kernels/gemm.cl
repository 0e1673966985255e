/*
** gemm.cl -- own GEMM kernels (CPU-friendly): op(A) and op(B) are packed into panels
** (MR rows / NR columns, zero padded, K-major) so that the tile kernel streams both
** contiguously; each work-item then keeps an MR x NR tile of C in vector registers.
** No __local and no barrier(): PoCL runs such kernels at full speed.
*/
/* -D MR (rows per tile), VW (vector width: 8 or 16), NV (vectors per tile row);
** NR = VW * NV.  Complex tiles keep real and imaginary parts in separate vectors. */
#ifndef MR
#define MR 8
#endif
#ifndef VW
#define VW 16
#endif
#ifndef NV
#define NV 2
#endif
#define NR (VW * NV)
#define UNROLL _Pragma("unroll")

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#if RDN_DTYPE == 1
#define RS double
#else
#define RS float
#endif
#define VT CAT(RS, VW)
#define VLOAD CAT(vload, VW)
#define VSTORE CAT(vstore, VW)
#define MASK CAT(uint, VW)
/* interleave masks: (re0, im0, re1, im1, ...) from planar re / im vectors */
#if VW == 16
#define ILO ((MASK)(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23))
#define IHI ((MASK)(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31))
#else
#define ILO ((MASK)(0, 8, 1, 9, 2, 10, 3, 11))
#define IHI ((MASK)(4, 12, 5, 13, 6, 14, 7, 15))
#endif

/* op(X)[i, j] for a row-major X with leading dimension ld; trans 0 none, 1 T, 2 H. */
inline elem op_get(__global const elem *x, ulong ld, int trans, ulong i, ulong j) {
  elem v = trans ? x[j * ld + i] : x[i * ld + j];
#if RDN_COMPLEX
  if (trans == 2) v.y = -v.y;
#endif
  return v;
}

/* Ap[b][p][k][r] = op(A)[p*MR + r, k] (0 past row m).  Global (k, p, batch). */
__kernel void pack_a(__global const elem *a, ulong aoff, ulong sa, ulong m, ulong kk,
                     ulong lda, int ta, __global elem *ap, ulong np) {
  ulong k = get_global_id(0), p = get_global_id(1), b = get_global_id(2);
  if (k >= kk || p >= np) return;
  a += aoff + b * sa;
  __global elem *o = ap + ((b * np + p) * kk + k) * MR;
  UNROLL for (int r = 0; r < MR; r++) {
    ulong i = p * MR + r;
    o[r] = i < m ? op_get(a, lda, ta, i, k) : (elem)0;
  }
}

/* Bp[b][q][k][c] = op(B)[k, q*NR + c] (0 past column n); complex panels are planar:
** NR real parts, then NR imaginary parts.  Global (k, q, batch). */
__kernel void pack_b(__global const elem *bm, ulong boff, ulong sb, ulong n, ulong kk,
                     ulong ldb, int tb, __global real *bp, ulong nq) {
  ulong k = get_global_id(0), q = get_global_id(1), b = get_global_id(2);
  if (k >= kk || q >= nq) return;
  bm += boff + b * sb;
#if RDN_COMPLEX
  __global real *o = bp + ((b * nq + q) * kk + k) * (2 * NR);
  UNROLL for (int c = 0; c < NR; c++) {
    ulong j = q * NR + c;
    elem v = j < n ? op_get(bm, ldb, tb, k, j) : (elem)0;
    o[c] = v.x;
    o[NR + c] = v.y;
  }
#else
  __global real *o = bp + ((b * nq + q) * kk + k) * NR;
  UNROLL for (int c = 0; c < NR; c++) {
    ulong j = q * NR + c;
    o[c] = j < n ? op_get(bm, ldb, tb, k, j) : (elem)0;
  }
#endif
}

/* C[b] tile (p, q) = alpha * sum_k Ap[p][k] x Bp[q][k] + beta * C (C not read when
** beta == 0, so NaN there is overwritten).  sap / sbp: packed batch strides in
** panels (0 broadcasts).  Global (p, q, batch): consecutive work-items share one B
** panel, which stays in cache while the A panels stream. */
__kernel void gemm_tile(__global const elem *ap, ulong sap, __global const real *bp,
                        ulong sbp, __global elem *c, ulong coff, ulong sc, ulong m, ulong n,
                        ulong kk, ulong ldc, ulong np, ulong nq, real alpha, real beta) {
  ulong p = get_global_id(0), q = get_global_id(1), b = get_global_id(2);
  if (p >= np || q >= nq) return;
#if RDN_COMPLEX
  __global const float2 *pa = ap + (b * sap + p) * kk * MR;
  __global const float *pb = bp + (b * sbp + q) * kk * (2 * NR);
  VT re[MR][NV], im[MR][NV];
  UNROLL for (int r = 0; r < MR; r++)
    UNROLL for (int v = 0; v < NV; v++) re[r][v] = im[r][v] = (VT)0;
  for (ulong k = 0; k < kk; k++) {
    VT br[NV], bi[NV];
    UNROLL for (int v = 0; v < NV; v++) {
      br[v] = VLOAD(v, pb);
      bi[v] = VLOAD(NV + v, pb);
    }
    UNROLL for (int r = 0; r < MR; r++) {
      float2 x = pa[r];
      UNROLL for (int v = 0; v < NV; v++) {
        re[r][v] = fma((VT)x.x, br[v], re[r][v]);
        re[r][v] = fma((VT)(-x.y), bi[v], re[r][v]);
        im[r][v] = fma((VT)x.x, bi[v], im[r][v]);
        im[r][v] = fma((VT)x.y, br[v], im[r][v]);
      }
    }
    pa += MR;
    pb += 2 * NR;
  }
#else
  __global const real *pa = (__global const real *)ap + (b * sap + p) * kk * MR;
  __global const real *pb = bp + (b * sbp + q) * kk * NR;
  VT acc[MR][NV];
  UNROLL for (int r = 0; r < MR; r++)
    UNROLL for (int v = 0; v < NV; v++) acc[r][v] = (VT)0;
  for (ulong k = 0; k < kk; k++) {
    VT bv[NV];
    UNROLL for (int v = 0; v < NV; v++) bv[v] = VLOAD(v, pb);
    UNROLL for (int r = 0; r < MR; r++) {
      VT x = (VT)pa[r];
      UNROLL for (int v = 0; v < NV; v++) acc[r][v] = fma(x, bv[v], acc[r][v]);
    }
    pa += MR;
    pb += NR;
  }
#endif
  c += coff + b * sc;
  ulong i0 = p * MR, j0 = q * NR;
  if (j0 + NR <= n) {
    /* full-width tile: vector loads and stores */
    UNROLL for (int r = 0; r < MR; r++) {
      if (i0 + r >= m) break;
      __global RS *crow = (__global RS *)(c + (i0 + r) * ldc + j0);
      UNROLL for (int v = 0; v < NV; v++) {
#if RDN_COMPLEX
        VT lo = shuffle2(re[r][v], im[r][v], ILO) * alpha;
        VT hi = shuffle2(re[r][v], im[r][v], IHI) * alpha;
        if (beta != 0) {
          lo = fma((VT)beta, VLOAD(2 * v, crow), lo);
          hi = fma((VT)beta, VLOAD(2 * v + 1, crow), hi);
        }
        VSTORE(lo, 2 * v, crow);
        VSTORE(hi, 2 * v + 1, crow);
#else
        VT t = acc[r][v] * alpha;
        if (beta != 0) t = fma((VT)beta, VLOAD(v, crow), t);
        VSTORE(t, v, crow);
#endif
      }
    }
    return;
  }
  UNROLL for (int r = 0; r < MR; r++) {
    ulong i = i0 + r;
    if (i >= m) break;
    __global elem *crow = c + i * ldc + j0;
    UNROLL for (int v = 0; v < NV; v++) {
      RS t[VW];
#if RDN_COMPLEX
      RS u[VW];
      VSTORE(re[r][v] * alpha, 0, t);
      VSTORE(im[r][v] * alpha, 0, u);
#else
      VSTORE(acc[r][v] * alpha, 0, t);
#endif
      UNROLL for (int e = 0; e < VW; e++) {
        if (j0 + v * VW + e >= n) break;
#if RDN_COMPLEX
        float2 z = (float2)(t[e], u[e]);
        crow[v * VW + e] = beta == 0 ? z : z + beta * crow[v * VW + e];
#else
        crow[v * VW + e] = beta == 0 ? t[e] : t[e] + beta * crow[v * VW + e];
#endif
      }
    }
  }
}
