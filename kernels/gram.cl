/*
** gram.cl -- Gram matrices G = Z^H Z (rows of Z are samples).  Z is first packed into
** sample-major panels (strides, sample permutation, conjugation, zero padding, NaN/Inf
** detection); each work-item keeps an MR x NR tile of G in registers (no __local, no
** barriers: the CPU-friendly shape), only tiles on or above the diagonal; the finish
** kernels mirror, scale and shift.  Also: label validation, counts and a stable sort.
*/
#define KC 256     /* samples per chunk; chunk sums are added to G (blocked summation) */
#define MR 8       /* rows of a register tile (A panels are MR features wide) */
#define UNROLL _Pragma("unroll")

#if RDN_DTYPE == 0
typedef float16 vec;
#define VW 16                /* lanes per vector */
#define NV 2                 /* vectors per tile row */
#elif RDN_DTYPE == 1
typedef double8 vec;
#define VW 8
#define NV 2
#else
typedef float16 vec;         /* complex B panels are planar: NR real, then NR imaginary */
#define VW 16
#define NV 1
#endif
#define NR (NV * VW)         /* columns of a tile = width of a B panel; dp is a multiple */
#define VLOAD(i, p) CAT(vload, VW)(i, p)
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

#if RDN_COMPLEX
#define FINITE(v) (isfinite((v).x) && isfinite((v).y))
#define HCONJ(v) ((elem)((v).x, -(v).y))
#define ZERO ((elem)(0, 0))
#define RE(v) ((v).x)
#define REAL1(v) ((elem)((v), 0))
#define BROW (2 * NR)
#else
#define FINITE(v) isfinite(v)
#define HCONJ(v) (v)
#define ZERO ((elem)0)
#define RE(v) (v)
#define REAL1(v) (v)
#define BROW NR
#endif

/* Packs W (element (b, r, c) at z[b*sb + R*sr + C*sc], R = perm[r] when pax == 0, C =
** perm[c] when pax == 1; conjugated when cj) into panels for G = W^H W:
**   ap[b][p][r][i] = conj(W[b][r][p*MR + i])   (MR wide, sample-major)
**   bp[b][q][r][j] = W[b][r][q*NR + j]         (NR wide; complex: planar re | im)
** zero past nc (up to dp).  The smallest source index holding NaN/Inf goes to *bad
** (atomic_min; bad may be NULL).  Grid (nr, nq, nb): NR columns of one sample row. */
/* Columns q*NR .. q*NR + NR of sample row r (batch b); first: smallest bad index. */
static void pack_chunk(__global elem *ap, __global real *bp, ulong nr, ulong nc, ulong dp,
                       __global const elem *src, long base, long sc, __global const int *perm,
                       int pax, int cj, ulong r, ulong q, ulong b, uint *firstp) {
  ulong np = dp / MR, nq = dp / NR;
  __global elem *pa = ap + ((b * np + q * (NR / MR)) * nr + r) * MR;
  __global real *pb = bp + ((b * nq + q) * nr + r) * BROW;
  uint first = *firstp;
  ulong c0 = q * NR;
  const ulong pn = nr * MR;                  /* distance between A panels */
  if (sc == 1 && pax != 1 && c0 + NR <= nc) {
    /* contiguous full panel row: vector loads, vector stores */
#if RDN_DTYPE == 0
    float16 a0 = vload16(0, src + c0), a1 = vload16(0, src + c0 + 16);
    if (all(isfinite(a0)) && all(isfinite(a1))) {
      vstore16(a0, 0, pb);
      vstore16(a1, 0, pb + 16);
      vstore8(a0.lo, 0, pa);
      vstore8(a0.hi, 0, pa + pn);
      vstore8(a1.lo, 0, pa + 2 * pn);
      vstore8(a1.hi, 0, pa + 3 * pn);
      return;
    }
#elif RDN_DTYPE == 1
    double8 a0 = vload8(0, src + c0), a1 = vload8(0, src + c0 + 8);
    if (all(isfinite(a0)) && all(isfinite(a1))) {
      vstore8(a0, 0, pb);
      vstore8(a1, 0, pb + 8);
      vstore8(a0, 0, pa);
      vstore8(a1, 0, pa + pn);
      return;
    }
#else
    __global const float *fs = (__global const float *)(src + c0);
    float16 a0 = vload16(0, fs), a1 = vload16(1, fs);
    if (all(isfinite(a0)) && all(isfinite(a1))) {
      const float16 sg = (float16)(1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1);
      float s = cj ? -1.0f : 1.0f;           /* W = conj(Z) when cj */
      vstore8(a0.even, 0, pb);
      vstore8(a1.even, 0, pb + 8);
      vstore8(s * a0.odd, 0, pb + NR);
      vstore8(s * a1.odd, 0, pb + NR + 8);
      __global float *fa = (__global float *)pa;
      vstore16(cj ? a0 : a0 * sg, 0, fa);        /* ap = conj(W) */
      vstore16(cj ? a1 : a1 * sg, 0, fa + 2 * pn);
      return;
    }
#endif
  }
  _Pragma("unroll") for (int j = 0; j < NR; j++) {
    ulong c = c0 + j;
    elem v = ZERO;
    if (c < nc) {
      long cc = pax == 1 ? (long)perm[c] : (long)c;
      v = src[cc * sc];
      if (!FINITE(v)) first = min(first, (uint)(base + cc * sc));
    }
#if RDN_COMPLEX
    if (cj) v.y = -v.y;
    pb[j] = v.x;
    pb[NR + j] = v.y;
#else
    pb[j] = v;
#endif
    pa[(j / MR) * pn + j % MR] = HCONJ(v);
  }
  *firstp = first;
}

__kernel void gram_pack(__global elem *ap, __global real *bp, ulong nb, ulong nr, ulong nc,
                        ulong dp, __global const elem *z, ulong zoff, long sb, long sr, long sc,
                        __global const int *perm, ulong poff, int pax, int cj,
                        __global uint *bad) {
  ulong r = get_global_id(0), b = get_global_id(1);
  if (r >= nr || b >= nb) return;
  z += zoff;
  if (perm) perm += poff;
  long rr = pax == 0 ? (long)perm[r] : (long)r, base = (long)b * sb + rr * sr;
  uint first = UINT_MAX;
  for (ulong q = 0; q < dp / NR; q++)       /* a whole row: reads stream along it */
    pack_chunk(ap, bp, nr, nc, dp, z + base, base, sc, perm, pax, cj, r, q, b, &first);
  if (first != UINT_MAX && bad) atomic_min(bad, first);
}

/* gs[t] ([dp, dp], t = seg * nb + b) = W_{b,seg}^H W_{b,seg} on and above the diagonal
** tiles (the finish kernels mirror).  Tile (p, q) = rows p*MR.., columns q*NR..; segment
** s is samples [seg[s], seg[s+1]) (seg NULL: [0, m)).  Sums of KC samples are kept in
** registers and added into gs.  Grid (p, q, t): neighbours share the B panel. */
__kernel void gram_tile(__global elem *gs, __global const elem *ap, __global const real *bp,
                        ulong nb, ulong m, ulong dp, __global const int *seg, ulong segoff,
                        ulong nseg) {
  ulong p = get_global_id(0), q = get_global_id(1), t = get_global_id(2);
  ulong np = dp / MR, nq = dp / NR;
  if (p >= np || q >= nq || t >= nseg * nb || (q + 1) * NR <= p * MR) return;
  ulong b = t % nb, sg = t / nb;
  long s0 = 0, s1 = (long)m;
  if (seg) { seg += segoff; s0 = seg[sg]; s1 = seg[sg + 1]; }
  __global const elem *pa0 = ap + (b * np + p) * m * MR;
  __global const real *pb0 = bp + (b * nq + q) * m * BROW;
  __global real *g = (__global real *)(gs + t * dp * dp + p * MR * dp + q * NR);
  const ulong ld = dp * (RDN_COMPLEX ? 2 : 1);       /* row stride of g in reals */
  if (s1 <= s0) {
    for (int r = 0; r < MR; r++)
      for (ulong j = 0; j < NR * (RDN_COMPLEX ? 2 : 1); j++) g[r * ld + j] = 0;
    return;
  }
  for (long c0 = s0; c0 < s1; c0 += KC) {
    long c1 = min(c0 + KC, s1);
    __global const elem *pa = pa0 + c0 * MR;
    __global const real *pb = pb0 + c0 * BROW;
#if RDN_COMPLEX
    /* conj(a) b with a from ap (already conjugated) and b planar */
    vec re[MR], im[MR];
    UNROLL for (int r = 0; r < MR; r++) re[r] = im[r] = (vec)0;
    for (long s = c0; s < c1; s++) {
      vec br = VLOAD(0, pb), bi = VLOAD(1, pb);
      UNROLL for (int r = 0; r < MR; r++) {
        float2 x = pa[r];
        re[r] = fma((vec)x.x, br, re[r]);
        re[r] = fma((vec)(-x.y), bi, re[r]);
        im[r] = fma((vec)x.x, bi, im[r]);
        im[r] = fma((vec)x.y, br, im[r]);
      }
      pa += MR;
      pb += BROW;
    }
    const uint16 lo = (uint16)(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const uint16 hi = (uint16)(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    UNROLL for (int r = 0; r < MR; r++) {
      __global real *row = g + r * ld;
      vec a = shuffle2(re[r], im[r], lo), c = shuffle2(re[r], im[r], hi);
      if (c0 != s0) {
        a += vload16(0, row);
        c += vload16(1, row);
      }
      vstore16(a, 0, row);
      vstore16(c, 1, row);
    }
#else
    vec acc[MR][NV];
    UNROLL for (int r = 0; r < MR; r++)
      UNROLL for (int v = 0; v < NV; v++) acc[r][v] = (vec)0;
    for (long s = c0; s < c1; s++) {
      vec bv[NV];
      UNROLL for (int v = 0; v < NV; v++) bv[v] = VLOAD(v, pb);
      UNROLL for (int r = 0; r < MR; r++) {
        vec x = (vec)pa[r];
        UNROLL for (int v = 0; v < NV; v++) acc[r][v] = fma(x, bv[v], acc[r][v]);
      }
      pa += MR;
      pb += BROW;
    }
    UNROLL for (int r = 0; r < MR; r++)
      UNROLL for (int v = 0; v < NV; v++) {
        __global real *row = g + r * ld + v * VW;
        vec a = acc[r][v];
        if (c0 != s0) a += VLOAD(0, row);
        CAT(vstore, VW)(a, 0, row);
      }
#endif
  }
}

/* Element (i, j) of the Hermitian matrix whose upper triangle is in g (row stride dp). */
static elem herm(__global const elem *g, ulong dp, ulong i, ulong j) {
  return i <= j ? g[i * dp + j] : HCONJ(g[j * dp + i]);
}

/* The finish kernels work on 64 x 64 output tiles in 16 x 16 sub-tiles, so that the
** mirrored (transposed) reads stay within a few cache lines. */
#define FT 64
#define FS 16

/* out[q] = alpha * scale[q / sdiv] * G_q + diag * I (scale NULL: 1), [nmat, d, d].
** Grid (ceil(d / FT), ceil(d / FT), nmat). */
__kernel void gram_finish(__global elem *out, ulong ooff, __global const elem *gs, ulong d,
                          ulong dp, ulong nmat, __global const real *scale, ulong sdiv,
                          real alpha, real diag) {
  ulong I = get_global_id(0) * FT, J = get_global_id(1) * FT, q = get_global_id(2);
  if (I >= d || J >= d || q >= nmat) return;
  out += ooff + q * d * d;
  __global const elem *g = gs + q * dp * dp;
  real a = scale ? alpha * scale[q / sdiv] : alpha;
  for (ulong i0 = I; i0 < min(I + FT, d); i0 += FS)
    for (ulong j0 = J; j0 < min(J + FT, d); j0 += FS)
      for (ulong i = i0; i < min(i0 + FS, d); i++)
        for (ulong j = j0; j < min(j0 + FS, d); j++) {
          elem v = a * herm(g, dp, i, j);
          if (i == j) v = REAL1(RE(v) + diag);
          out[i * d + j] = v;
        }
}

/* out[b] = alpha * sum_s G_{s * nb + b} + diag * I: the whole Gram from class Grams.
** Grid (ceil(d / FT), ceil(d / FT), nb). */
__kernel void gram_sum(__global elem *out, ulong ooff, __global const elem *gs, ulong goff,
                       ulong d, ulong dp, ulong nb, ulong nseg, real alpha, real diag) {
  ulong I = get_global_id(0) * FT, J = get_global_id(1) * FT, b = get_global_id(2);
  if (I >= d || J >= d || b >= nb) return;
  out += ooff + b * d * d;
  gs += goff;
  for (ulong i0 = I; i0 < min(I + FT, d); i0 += FS)
    for (ulong j0 = J; j0 < min(J + FT, d); j0 += FS)
      for (ulong i = i0; i < min(i0 + FS, d); i++)
        for (ulong j = j0; j < min(j0 + FS, d); j++) {
          elem v = ZERO;
          for (ulong q = b; q < nseg * nb; q += nb) v += herm(gs + q * dp * dp, dp, i, j);
          v = alpha * v;
          if (i == j) v = REAL1(RE(v) + diag);
          out[i * d + j] = v;
        }
}

/* ---- labels: y i32 [m] in [0, k).  meta (int): [0] first bad sample (UINT_MAX: none),
** [1 + j] count of class j, [1 + k + j] first sorted position of class j (k + 1 values).
** hist [k, P]: per (class, chunk) counts, then running positions.  P chunks of samples. */
__kernel void label_hist(__global const int *y, ulong yoff, ulong m, int k, ulong P,
                         __global int *hist, __global uint *meta) {
  ulong c = get_global_id(0);
  if (c >= P) return;
  y += yoff;
  ulong lo = c * m / P, hi = (c + 1) * m / P;
  for (int j = 0; j < k; j++) hist[(ulong)j * P + c] = 0;
  for (ulong i = lo; i < hi; i++) {
    int v = y[i];
    if (v < 0 || v >= k) {
      atomic_min(meta, (uint)i);
      return;
    }
    hist[(ulong)v * P + c]++;
  }
}

/* Single work-item: exclusive prefix over hist in (class, chunk) order. */
__kernel void label_scan(__global int *hist, int k, ulong P, __global int *meta) {
  if (get_global_id(0) != 0) return;
  int run = 0;
  for (int j = 0; j < k; j++) {
    meta[1 + k + j] = run;
    for (ulong c = 0; c < P; c++) {
      int t = hist[(ulong)j * P + c];
      hist[(ulong)j * P + c] = run;
      run += t;
    }
    meta[1 + j] = run - meta[1 + k + j];
  }
  meta[1 + 2 * k] = run;
}

/* perm[position] = sample: a stable sort of the samples by class. */
__kernel void label_scatter(__global const int *y, ulong yoff, ulong m, int k, ulong P,
                            __global int *hist, __global int *perm) {
  ulong c = get_global_id(0);
  if (c >= P) return;
  y += yoff;
  ulong lo = c * m / P, hi = (c + 1) * m / P;
  for (ulong i = lo; i < hi; i++) {
    int v = y[i];
    if (v >= 0 && v < k) perm[hist[(ulong)v * P + c]++] = (int)i;
  }
}

/* out[f][r] = in[r][f] for in [rest, F] (the last axis moved first).  Grid (rest, F). */
__kernel void last_first(__global elem *out, ulong ooff, __global const elem *in, ulong ioff,
                         ulong rest, ulong F) {
  ulong r = get_global_id(0), f = get_global_id(1);
  if (r >= rest || f >= F) return;
  out[ooff + f * rest + r] = in[ioff + r * F + f];
}

/* *out = max over y [m] (atomic_max; *out starts at INT_MIN).  P chunks of samples. */
__kernel void label_max(__global const int *y, ulong yoff, ulong m, ulong P,
                        __global int *out) {
  ulong c = get_global_id(0);
  if (c >= P) return;
  y += yoff;
  int mx = INT_MIN;
  for (ulong i = c * m / P; i < (c + 1) * m / P; i++) mx = max(mx, y[i]);
  atomic_max(out, mx);
}
