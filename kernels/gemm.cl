/*
** gemm.cl -- own GEMM kernels (CPU-friendly): op(A) and op(B) are packed into panels
** (MR rows / NR columns, zero padded, K-major) so that the tile kernel streams both
** contiguously; each work-item then keeps an MR x NR tile of C in vector registers.
** No __local and no barrier(): PoCL runs such kernels at full speed.
*/
/* -D MR (rows per tile, a multiple of 8), VW (vector width: 8 or 16), NV (vectors per
** tile row), PK (k values per pack work-item); NR = VW * NV.  Complex tiles keep real
** and imaginary parts in separate vectors.  The host (runtime/gemm.c) picks them. */
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

/* Pack work-items copy PK consecutive k of one panel: source rows that are contiguous
** along the panel are copied eight elements at a time, the others are read along k.
** The vector types also keep PoCL from vectorising across work-items, which would turn
** these copies into scatters. */
#ifndef PK
#define PK 16
#endif
#if RDN_DTYPE == 2
#define V8 float16                  /* eight complex values */
#define LD8(p) vload16(0, (__global const float *)(p))
#define ST8(v, p) vstore16((v), 0, (__global float *)(p))
#define STP8(v, p) vstore16((v), 0, (__private float *)(p))
#define CONJ8(v) ((v) * (float16)(1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1))
#define CJ(v, t) ((t) == 2 ? CONJ(v) : (v))
#else
#define V8 CAT(RS, 8)
#define LD8(p) vload8(0, (p))
#define ST8(v, p) vstore8((v), 0, (p))
#define STP8(v, p) vstore8((v), 0, (__private RS *)(p))
#define CONJ8(v) (v)
#define CJ(v, t) (v)
#endif

/* t[0..PK) = s[0..nk), vector loads when the chunk is whole (PK: a multiple of 8). */
inline void read_k(__global const elem *s, ulong nk, elem *t) {
  if (nk == PK) {
    UNROLL for (int k = 0; k < PK; k += 8) STP8(LD8(s + k), t + k);
  } else {
    for (ulong k = 0; k < nk; k++) t[k] = s[k];
  }
}

/* Ap[b][p][k][r] = op(A)[p*MR + r, k], 0 past row m (MR is a multiple of 8).
** Global (p, k / PK, batch): neighbouring work-items read neighbouring source bytes. */
__kernel void pack_a(__global const elem *a, ulong aoff, ulong sa, ulong m, ulong kk,
                     ulong lda, int ta, __global elem *ap, ulong np) {
  ulong p = get_global_id(0), k0 = get_global_id(1) * PK, b = get_global_id(2);
  if (k0 >= kk || p >= np) return;
  a += aoff + b * sa;
  __global elem *o = ap + ((b * np + p) * kk + k0) * MR;
  ulong i0 = p * MR, nk = min((ulong)PK, kk - k0), ni = min((ulong)MR, m - i0);
  if (ta) {                                   /* op(A)[i, k] = A[k, i] (conj for H) */
    for (ulong k = 0; k < nk; k++, o += MR) {
      __global const elem *s = a + (k0 + k) * lda + i0;
      if (ni == MR) {
        UNROLL for (int w = 0; w < MR; w += 8) {
          V8 x = LD8(s + w);
          ST8(ta == 2 ? CONJ8(x) : x, o + w);
        }
      } else {
        for (int r = 0; r < MR; r++) o[r] = r < (int)ni ? CJ(s[r], ta) : (elem)0;
      }
    }
  } else {                                    /* op(A)[i, k] = A[i, k] */
    for (int r = 0; r < MR; r++) {
      elem t[PK];
      if (r < (int)ni) read_k(a + (i0 + r) * lda + k0, nk, t);
      else for (int k = 0; k < PK; k++) t[k] = (elem)0;
      for (ulong k = 0; k < nk; k++) o[k * MR + r] = t[k];
    }
  }
}

/* Bp[b][q][k][c] = op(B)[k, q*NR + c], 0 past column n; complex panels are planar (NR
** real parts, then NR imaginary parts).  Global (q, k / PK, batch). */
#if RDN_COMPLEX
#define PUT_B(o, c, v) ((o)[c] = (v).x, (o)[NR + (c)] = (v).y)
#define BROW (2 * NR)
#else
#define PUT_B(o, c, v) ((o)[c] = (v))
#define BROW NR
#endif
__kernel void pack_b(__global const elem *bm, ulong boff, ulong sb, ulong n, ulong kk,
                     ulong ldb, int tb, __global real *bp, ulong nq) {
  ulong q = get_global_id(0), k0 = get_global_id(1) * PK, b = get_global_id(2);
  if (k0 >= kk || q >= nq) return;
  bm += boff + b * sb;
  __global real *o = bp + ((b * nq + q) * kk + k0) * BROW;
  ulong j0 = q * NR, nk = min((ulong)PK, kk - k0), nj = min((ulong)NR, n - j0);
  if (!tb) {                                  /* op(B)[k, j] = B[k, j] */
    for (ulong k = 0; k < nk; k++, o += BROW) {
      __global const elem *s = bm + (k0 + k) * ldb + j0;
      if (nj == NR) {
        UNROLL for (int w = 0; w < NR; w += 8) {
          V8 x = LD8(s + w);
#if RDN_COMPLEX
          vstore8(x.even, 0, o + w);
          vstore8(x.odd, 0, o + NR + w);
#else
          ST8(x, o + w);
#endif
        }
      } else {
        for (int c = 0; c < NR; c++) PUT_B(o, c, c < (int)nj ? s[c] : (elem)0);
      }
    }
  } else {                                    /* op(B)[k, j] = B[j, k] (conj for H) */
    for (int c = 0; c < NR; c++) {
      elem t[PK];
      if (c < (int)nj) read_k(bm + (j0 + c) * ldb + k0, nk, t);
      else for (int k = 0; k < PK; k++) t[k] = (elem)0;
      for (ulong k = 0; k < nk; k++) PUT_B(o + k * BROW, c, CJ(t[k], tb));
    }
  }
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
