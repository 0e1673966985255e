/*
** gram.cl -- Gram matrices G = Z^H Z (rows of Z are samples).  Z is first packed
** (strides, sample permutation, conjugation, zero padding, NaN/Inf detection), then
** each work-item owns a GB x GB block of G and accumulates register micro-tiles over
** chunks of KC samples (no __local, no barriers: the CPU-friendly shape), then the
** finish kernels mirror, scale and shift.  Also: label validation, counts and sort.
*/
#define GB 64      /* edge of the G block owned by one work-item */
#define KC 128     /* samples per chunk; chunk sums are added to G (blocked summation) */
#define MR 8       /* rows of a register micro-tile */

#if RDN_DTYPE == 0
typedef float16 vec;
#define VLOAD(p) vload16(0, p)
#define VSTORE(v, p) vstore16(v, 0, p)
#define NV 2                 /* vectors per micro-tile row */
#define VW 16                /* elements per vector */
#elif RDN_DTYPE == 1
typedef double8 vec;
#define VLOAD(p) vload8(0, p)
#define VSTORE(v, p) vstore8(v, 0, p)
#define NV 2
#define VW 8
#else
typedef float16 vec;         /* 8 complex numbers, interleaved re, im */
#define VLOAD(p) vload16(0, (__global const float *)(p))
#define VSTORE(v, p) vstore16(v, 0, (__global float *)(p))
#define NV 1
#define VW 8
#endif
#define NC (NV * VW)         /* columns of a micro-tile; the host pads d to a multiple */

#if RDN_COMPLEX
#define FINITE(v) (isfinite((v).x) && isfinite((v).y))
#define HCONJ(v) ((elem)((v).x, -(v).y))
#define ZERO ((elem)(0, 0))
#define REAL1(v) ((elem)((v), 0))
#else
#define FINITE(v) isfinite(v)
#define HCONJ(v) (v)
#define ZERO ((elem)0)
#define REAL1(v) ((elem)(v))
#endif

/* zp[b][r][c] = z[b*sb + R*sr + C*sc] for c < nc (0 up to ncp), where R = perm[r] when
** pax == 0, C = perm[c] when pax == 1, else the index itself; conjugated when cj.
** The smallest source index holding NaN/Inf goes to *bad (atomic_min; bad may be NULL).
** Grid (nr, nb). */
__kernel void gram_pack(__global elem *zp, ulong zpoff, ulong nb, ulong nr, ulong nc, ulong ncp,
                        __global const elem *z, ulong zoff, long sb, long sr, long sc,
                        __global const int *perm, ulong poff, int pax, int cj,
                        __global uint *bad) {
  ulong r = get_global_id(0), b = get_global_id(1);
  if (r >= nr || b >= nb) return;
  z += zoff;
  if (perm) perm += poff;
  long rr = pax == 0 ? (long)perm[r] : (long)r;
  __global const elem *src = z + (long)b * sb + rr * sr;
  __global elem *dst = zp + zpoff + (b * nr + r) * ncp;
  uint first = UINT_MAX;
  for (ulong c = 0; c < nc; c++) {
    long cc = pax == 1 ? (long)perm[c] : (long)c;
    elem v = src[cc * sc];
    if (!FINITE(v)) first = min(first, (uint)((long)b * sb + rr * sr + cc * sc));
#if RDN_COMPLEX
    if (cj) v.y = -v.y;
#endif
    dst[c] = v;
  }
  for (ulong c = nc; c < ncp; c++) dst[c] = ZERO;
  if (first != UINT_MAX && bad) atomic_min(bad, first);
}

/* One micro-tile: rows it..it+MR, columns jt..jt+NC of g += (or =) the chunk [c0, c1). */
static void micro(__global elem *g, __global const elem *zb, ulong dp, ulong it, ulong jt,
                  long c0, long c1, int first) {
#if RDN_COMPLEX
  /* conj(a) b with b = (br, bi) interleaved in v and swapped in w:
  ** re = a.x br + a.y bi, im = a.x bi - a.y br  ->  A = a.x v, B = a.y w, G = A + sgn B */
  vec A[MR], B[MR];
  for (int r = 0; r < MR; r++) A[r] = B[r] = (vec)0;
  for (long s = c0; s < c1; s++) {
    __global const elem *row = zb + s * dp;
    vec v = VLOAD(row + jt), w = v.s1032547698badcfe;
#pragma unroll
    for (int r = 0; r < MR; r++) {
      elem a = row[it + r];
      A[r] = mad((vec)a.x, v, A[r]);
      B[r] = mad((vec)a.y, w, B[r]);
    }
  }
  const vec sgn = (vec)(1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1);
  for (int r = 0; r < MR; r++) {
    __global elem *p = g + (it + r) * dp + jt;
    vec c = mad(B[r], sgn, A[r]);
    VSTORE(first ? c : c + VLOAD(p), p);
  }
#else
  vec A[MR][NV];
  for (int r = 0; r < MR; r++)
    for (int n = 0; n < NV; n++) A[r][n] = (vec)0;
  for (long s = c0; s < c1; s++) {
    __global const elem *row = zb + s * dp;
    vec v[NV];
#pragma unroll
    for (int n = 0; n < NV; n++) v[n] = VLOAD(row + jt + n * VW);
#pragma unroll
    for (int r = 0; r < MR; r++) {
      vec a = (vec)row[it + r];
#pragma unroll
      for (int n = 0; n < NV; n++) A[r][n] = mad(a, v[n], A[r][n]);
    }
  }
  for (int r = 0; r < MR; r++)
    for (int n = 0; n < NV; n++) {
      __global elem *p = g + (it + r) * dp + jt + n * VW;
      VSTORE(first ? A[r][n] : A[r][n] + VLOAD(p), p);
    }
#endif
}

/* gs[q] (q = seg * nb + b, [dp, dp]) = Z_{b, seg}^H Z_{b, seg}, upper block pairs only
** (the finish kernels mirror).  zp [nb, m, dp]; segment s is samples [seg[s], seg[s+1])
** (seg NULL: one segment [0, m)).  One work-item per (q, block pair I <= J). */
__kernel void gram_blk(__global elem *gs, __global const elem *zp, ulong nb, ulong m,
                       ulong dp, __global const int *seg, ulong segoff, ulong nseg) {
  ulong nbk = (dp + GB - 1) / GB, npair = nbk * (nbk + 1) / 2;
  ulong gid = get_global_id(0);
  if (gid >= nseg * nb * npair) return;
  ulong p = gid % npair, q = gid / npair, b = q % nb, sg = q / nb;
  ulong I = 0, len = nbk;
  while (p >= len) { p -= len; I++; len--; }
  ulong J = I + p;
  ulong i0 = I * GB, i1 = min(i0 + GB, dp), j0 = J * GB, j1 = min(j0 + GB, dp);
  long s0 = 0, s1 = (long)m;
  if (seg) { seg += segoff; s0 = seg[sg]; s1 = seg[sg + 1]; }
  __global const elem *zb = zp + b * m * dp;
  __global elem *g = gs + q * dp * dp;
  if (s1 <= s0) {            /* empty segment: a zero Gram */
    for (ulong i = i0; i < i1; i++)
      for (ulong j = j0; j < j1; j++) g[i * dp + j] = ZERO;
    return;
  }
  for (long c0 = s0; c0 < s1; c0 += KC) {
    long c1 = min(c0 + KC, s1);
    for (ulong it = i0; it < i1; it += MR)
      for (ulong jt = j0; jt < j1; jt += NC)
        if (jt + NC > it) micro(g, zb, dp, it, jt, c0, c1, c0 == s0);
  }
}

/* Element (i, j) of the Hermitian matrix whose upper triangle is in g (row stride dp). */
static elem herm(__global const elem *g, ulong dp, ulong i, ulong j) {
  return i <= j ? g[i * dp + j] : HCONJ(g[j * dp + i]);
}

/* out[q] = alpha * scale[q / sdiv] * G_q + diag * I (scale NULL: 1), [nmat, d, d].
** Grid (d, nmat): one row per work-item. */
__kernel void gram_finish(__global elem *out, ulong ooff, __global const elem *gs, ulong d,
                          ulong dp, ulong nmat, __global const real *scale, ulong sdiv,
                          real alpha, real diag) {
  ulong i = get_global_id(0), q = get_global_id(1);
  if (i >= d || q >= nmat) return;
  out += ooff + (q * d + i) * d;
  __global const elem *g = gs + q * dp * dp;
  real a = scale ? alpha * scale[q / sdiv] : alpha;
  for (ulong j = 0; j < d; j++) out[j] = a * herm(g, dp, i, j);
#if RDN_COMPLEX
  out[i] = (elem)(a * g[i * dp + i].x + diag, 0);
#else
  out[i] += diag;
#endif
}

/* out[b] = alpha * sum_s G_{s * nb + b} + diag * I: the whole Gram from class Grams.
** Grid (d, nb). */
__kernel void gram_sum(__global elem *out, ulong ooff, __global const elem *gs, ulong goff,
                       ulong d, ulong dp, ulong nb, ulong nseg, real alpha, real diag) {
  ulong i = get_global_id(0), b = get_global_id(1);
  if (i >= d || b >= nb) return;
  out += ooff + (b * d + i) * d;
  gs += goff;
  for (ulong j = 0; j < d; j++) {
    elem s = ZERO;
    for (ulong q = b; q < nseg * nb; q += nb) s += herm(gs + q * dp * dp, dp, i, j);
    out[j] = alpha * s;
  }
#if RDN_COMPLEX
  out[i].y = 0;
  out[i].x += diag;
#else
  out[i] += diag;
#endif
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
