/*
** gemm.cl -- own GEMM kernels (CPU-friendly): op(A) and op(B) are packed into panels
** (MR rows / NR columns, zero padded, K-major) so that the tile kernel streams both
** contiguously; each work-item then keeps an MR x NR tile of C in vector registers.
** No __local and no barrier(): PoCL runs such kernels at full speed.
*/
/* -D MR (rows per tile, a multiple of 8), VW (vector width: 8 or 16), NV (vectors per
** tile row), PK (k values per pack work-item); NR = VW * NV.  Complex tiles keep three
** planar accumulators (see gemm_tile).  The host (runtime/gemm.c) picks them. */
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
/* forced, so that the panel width W is a constant in each caller */
#define INLINE inline __attribute__((always_inline))

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
** these copies into scatters.  Complex panels are planar: W real parts, then W
** imaginary parts, then W sums re + im per k (the three-product scheme of gemm_tile), so
** the tile kernel broadcasts scalars straight from memory. */
#ifndef PK
#define PK 16
#endif
#if RDN_COMPLEX
#define LD8(p) vload16(0, (__global const float *)(p))      /* eight complex values */
#define STP8(v, p) vstore16((v), 0, (__private float *)(p))
#define CJ(v, cj) ((cj) ? CONJ(v) : (v))
#define PUT(o, w, v, W) ((o)[w] = (v).x, (o)[(W) + (w)] = (v).y, \
                         (o)[2 * (W) + (w)] = (v).x + (v).y)
#define ST8P(v, o, W, cj) st8p((v), (o), (W), (cj))
#define STEP(W) (3 * (W))
#else
#define LD8(p) vload8(0, (p))
#define STP8(v, p) vstore8((v), 0, (__private RS *)(p))
#define CJ(v, cj) (v)
#define PUT(o, w, v, W) ((o)[w] = (v))
#define ST8P(v, o, W, cj) vstore8((v), 0, (o))
#define STEP(W) (W)
#endif

#if RDN_COMPLEX
/* Eight complex values into the three planes (re, im, re + im) of a panel row. */
INLINE void st8p(float16 v, __global float *o, int w, int cj) {
  float8 im = cj ? -v.odd : v.odd;
  vstore8(v.even, 0, o);
  vstore8(im, 0, o + w);
  vstore8(v.even + im, 0, o + 2 * w);
}
#endif

/* Column k of eight private rows t[8][PK] as one vector (the type LD8 returns). */
#if RDN_COMPLEX
#define COL8(t, k) ((float16)((t)[0][k], (t)[1][k], (t)[2][k], (t)[3][k], (t)[4][k], \
                              (t)[5][k], (t)[6][k], (t)[7][k]))
#else
#define COL8(t, k) ((CAT(RS, 8))((t)[0][k], (t)[1][k], (t)[2][k], (t)[3][k], (t)[4][k], \
                                 (t)[5][k], (t)[6][k], (t)[7][k]))
#endif

/* t[0..PK) = s[0..nk), vector loads when the chunk is whole (PK: a multiple of 8). */
INLINE void read_k(__global const elem *s, ulong nk, elem *t) {
  if (nk == PK) {
    UNROLL for (int k = 0; k < PK; k += 8) STP8(LD8(s + k), t + k);
  } else {
    for (ulong k = 0; k < nk; k++) t[k] = s[k];
  }
}

/* Panel rows o[k] (stride STEP(W)) = op(X)[k0 + k, w0 + w] for k < nk, w < W (W a
** multiple of 8), 0 from w = nw on.  direct: op(X)[k, w] = X[k, w], else X[w, k];
** cj conjugates (complex H). */
INLINE void pack_panel(__global const elem *x, ulong ld, int direct, int cj, ulong w0,
                       ulong nw, ulong k0, ulong nk, int W, __global real *o) {
  if (direct) {
    for (ulong k = 0; k < nk; k++, o += STEP(W)) {
      __global const elem *s = x + (k0 + k) * ld + w0;
      if (nw == (ulong)W) {
        for (int w = 0; w < W; w += 8) ST8P(LD8(s + w), o + w, W, cj);
      } else {
        for (int w = 0; w < W; w++) PUT(o, w, w < (int)nw ? CJ(s[w], cj) : (elem)0, W);
      }
    }
  } else if (nw == (ulong)W) {
    /* whole panel: eight source rows at a time, transposed in private memory, so the
    ** panel is written eight values per store */
    for (int w = 0; w < W; w += 8) {
      elem t[8][PK];
      UNROLL for (int r = 0; r < 8; r++) read_k(x + (w0 + w + r) * ld + k0, nk, t[r]);
      if (nk == PK) {
        UNROLL for (int k = 0; k < PK; k++) ST8P(COL8(t, k), o + k * STEP(W) + w, W, cj);
      } else {
        for (ulong k = 0; k < nk; k++) ST8P(COL8(t, k), o + k * STEP(W) + w, W, cj);
      }
    }
  } else {
    for (int w = 0; w < W; w++) {
      elem t[PK];
      if (w < (int)nw) read_k(x + (w0 + w) * ld + k0, nk, t);
      else for (int k = 0; k < PK; k++) t[k] = (elem)0;
      if (nk == PK) {
        UNROLL for (int k = 0; k < PK; k++) PUT(o + k * STEP(W), w, CJ(t[k], cj), W);
      } else {
        for (ulong k = 0; k < nk; k++) PUT(o + k * STEP(W), w, CJ(t[k], cj), W);
      }
    }
  }
}

/* Ap[b][p][k][r] = op(A)[p*MR + r, k], 0 past row m.  Global (p, k / PK, batch):
** neighbouring work-items read neighbouring source bytes. */
__kernel void pack_a(__global const elem *a, ulong aoff, ulong sa, ulong m, ulong kk,
                     ulong lda, int ta, __global real *ap, ulong np) {
  ulong p = get_global_id(0), k0 = get_global_id(1) * PK, b = get_global_id(2);
  if (k0 >= kk || p >= np) return;
  pack_panel(a + aoff + b * sa, lda, ta != 0, ta == 2, p * MR, min((ulong)MR, m - p * MR),
             k0, min((ulong)PK, kk - k0), MR, ap + ((b * np + p) * kk + k0) * STEP(MR));
}

/* Bp[b][q][k][c] = op(B)[k, q*NR + c], 0 past column n.  Global (q, k / PK, batch). */
__kernel void pack_b(__global const elem *bm, ulong boff, ulong sb, ulong n, ulong kk,
                     ulong ldb, int tb, __global real *bp, ulong nq) {
  ulong q = get_global_id(0), k0 = get_global_id(1) * PK, b = get_global_id(2);
  if (k0 >= kk || q >= nq) return;
  pack_panel(bm + boff + b * sb, ldb, tb == 0, tb == 2, q * NR, min((ulong)NR, n - q * NR),
             k0, min((ulong)PK, kk - k0), NR, bp + ((b * nq + q) * kk + k0) * STEP(NR));
}

/* C[b] tile (p, q) = alpha * sum_{k0 <= k < k0 + kn} Ap[p][k] x Bp[q][k] + beta * C (C is
** not read when beta == 0, so NaN there is overwritten).  sap / sbp: packed batch
** strides in panels (0 broadcasts).  Global (p, q, batch): consecutive work-items
** share one B panel, which stays in cache while the A panels stream. */
__kernel void gemm_tile(__global const real *ap, ulong sap, __global const real *bp,
                        ulong sbp, __global elem *c, ulong coff, ulong sc, ulong m, ulong n,
                        ulong kk, ulong k0, ulong kn, ulong ldc, ulong np, ulong nq,
                        real alpha, real beta) {
  ulong p = get_global_id(0), q = get_global_id(1), b = get_global_id(2);
  if (p >= np || q >= nq) return;
#if RDN_COMPLEX
  /* Three real products per complex one (3 FMAs instead of 4): t1 = sum ar br,
  ** t2 = sum ai bi, t3 = sum (ar + ai)(br + bi); re = t1 - t2, im = t3 - t1 - t2. */
  __global const float *pa = ap + ((b * sap + p) * kk + k0) * (3 * MR);
  __global const float *pb = bp + ((b * sbp + q) * kk + k0) * (3 * NR);
  VT re[MR][NV], im[MR][NV], t3[MR][NV];
  UNROLL for (int r = 0; r < MR; r++)
    UNROLL for (int v = 0; v < NV; v++) re[r][v] = im[r][v] = t3[r][v] = (VT)0;
  for (ulong k = 0; k < kn; k++) {
    VT br[NV], bi[NV], bs[NV];
    UNROLL for (int v = 0; v < NV; v++) {
      br[v] = VLOAD(v, pb);
      bi[v] = VLOAD(NV + v, pb);
      bs[v] = VLOAD(2 * NV + v, pb);
    }
    UNROLL for (int r = 0; r < MR; r++) {
      VT xr = (VT)pa[r], xi = (VT)pa[MR + r], xs = (VT)pa[2 * MR + r];
      UNROLL for (int v = 0; v < NV; v++) {
        re[r][v] = fma(xr, br[v], re[r][v]);
        im[r][v] = fma(xi, bi[v], im[r][v]);
        t3[r][v] = fma(xs, bs[v], t3[r][v]);
      }
    }
    pa += 3 * MR;
    pb += 3 * NR;
  }
  UNROLL for (int r = 0; r < MR; r++)
    UNROLL for (int v = 0; v < NV; v++) {
      VT t1 = re[r][v], t2 = im[r][v];
      re[r][v] = t1 - t2;
      im[r][v] = t3[r][v] - t1 - t2;
    }
#else
  __global const real *pa = ap + ((b * sap + p) * kk + k0) * MR;
  __global const real *pb = bp + ((b * sbp + q) * kk + k0) * NR;
  VT acc[MR][NV];
  UNROLL for (int r = 0; r < MR; r++)
    UNROLL for (int v = 0; v < NV; v++) acc[r][v] = (VT)0;
  for (ulong k = 0; k < kn; k++) {
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
