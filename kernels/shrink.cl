/*
** shrink.cl -- streaming kernels of the separation/concentration block (SPEC §3.1, K7-K9,
** K12): soft threshold and one-sided shrink (scalar or per-channel lambda), complex
** modulus, filter-bank products and periodisation in the Fourier domain, per-channel
** statistics and affine maps, batched transposes.  One element per work-item, no loop
** in the streaming bodies: PoCL vectorises across work-items (DESIGN.md §10).
*/

/* ---- shrinkage.  soft: u - clamp(u, -l, l) (branch-free, = sign(u) max(|u| - l, 0));
** relu: max(u - l, 0).  x and out may be the same buffer (in place). */
__kernel void shrink_soft(__global real *out, ulong ooff, __global const real *x, ulong xoff,
                          ulong n, real l) {
  ulong i = get_global_id(0);
  if (i < n) {
    real u = x[xoff + i];
    out[ooff + i] = u - clamp(u, -l, l);
  }
}

__kernel void shrink_relu(__global real *out, ulong ooff, __global const real *x, ulong xoff,
                          ulong n, real l) {
  ulong i = get_global_id(0);
  if (i < n) out[ooff + i] = fmax(x[xoff + i] - l, (real)0);
}

/* Per-channel lambda, x viewed as [rows, inner] with channel = row % nch (2-D grid
** (inner, rows): no integer division per element). */
__kernel void shrink_soft_rows(__global real *out, ulong ooff, __global const real *x,
                               ulong xoff, ulong inner, ulong rows, ulong nch,
                               __global const real *lam, ulong loff) {
  ulong i = get_global_id(0), r = get_global_id(1);
  if (i >= inner || r >= rows) return;
  real l = lam[loff + r % nch], u = x[xoff + r * inner + i];
  out[ooff + r * inner + i] = u - clamp(u, -l, l);
}

__kernel void shrink_relu_rows(__global real *out, ulong ooff, __global const real *x,
                               ulong xoff, ulong inner, ulong rows, ulong nch,
                               __global const real *lam, ulong loff) {
  ulong i = get_global_id(0), r = get_global_id(1);
  if (i >= inner || r >= rows) return;
  out[ooff + r * inner + i] = fmax(x[xoff + r * inner + i] - lam[loff + r % nch], (real)0);
}

/* Channels last, x [rows, nch]: lambda indexed by the column. */
__kernel void shrink_soft_cols(__global real *out, ulong ooff, __global const real *x,
                               ulong xoff, ulong nch, ulong rows, __global const real *lam,
                               ulong loff) {
  ulong c = get_global_id(0), r = get_global_id(1);
  if (c >= nch || r >= rows) return;
  real l = lam[loff + c], u = x[xoff + r * nch + c];
  out[ooff + r * nch + c] = u - clamp(u, -l, l);
}

__kernel void shrink_relu_cols(__global real *out, ulong ooff, __global const real *x,
                               ulong xoff, ulong nch, ulong rows, __global const real *lam,
                               ulong loff) {
  ulong c = get_global_id(0), r = get_global_id(1);
  if (c >= nch || r >= rows) return;
  out[ooff + r * nch + c] = fmax(x[xoff + r * nch + c] - lam[loff + c], (real)0);
}

/* flag[0] = min over i of the first lambda that is negative or not finite (bit test:
** immune to fast-math assumptions). */
__kernel void find_bad_lambda(__global const real *lam, ulong loff, ulong n,
                              __global uint *flag) {
  ulong i = get_global_id(0);
  if (i >= n) return;
  real l = lam[loff + i];
#if RDN_DTYPE == 1
  int bad = (as_ulong(l) & 0x7ff0000000000000UL) == 0x7ff0000000000000UL;
#else
  int bad = (as_uint(l) & 0x7f800000u) == 0x7f800000u;
#endif
  if (bad || l < 0) atomic_min(flag, (uint)i);
}

/* ---- counting: part[w] = #{ i in chunk w : |x[i]| > t }, exact in acc. */
__kernel void count_above_chunks(__global const real *x, ulong xoff, ulong n, ulong chunk,
                                 real t, __global acc *part) {
  ulong w = get_global_id(0), lo = w * chunk, hi = min(lo + chunk, n);
  uint c = 0;
  for (ulong i = lo; i < hi; i++) c += fabs(x[xoff + i]) > t;
  part[1 + w] = (acc)c;
}

__kernel void count_finish(__global acc *part, ulong nparts) {
  acc s = 0;
  for (ulong w = 0; w < nparts; w++) s += part[1 + w];
  part[0] = s;
}

#if RDN_COMPLEX
/* ---- complex kernels (build with the c64 dtype: elem = float2) */

/* out = |x| (f32). */
__kernel void cabs(__global float *out, ulong ooff, __global const float2 *x, ulong xoff,
                   ulong n) {
  ulong i = get_global_id(0);
  if (i < n) {
    float2 z = x[xoff + i];
    out[ooff + i] = sqrt(z.x * z.x + z.y * z.y);
  }
}

/* out[b, f, p] = x[b, p] * filt[f, p] (conj(filt) when cj); 2-D grid (P, B * F). */
__kernel void cmul_bank_c(__global float2 *out, ulong ooff, __global const float2 *x,
                          ulong xoff, __global const float2 *h, ulong hoff, ulong np, ulong nf,
                          ulong nbf, int cj) {
  ulong p = get_global_id(0), bf = get_global_id(1);
  if (p >= np || bf >= nbf) return;
  float2 a = x[xoff + (bf / nf) * np + p], g = h[hoff + (bf % nf) * np + p];
  if (cj) g.y = -g.y;
  out[ooff + bf * np + p] = CMUL(a, g);
}

/* Same with a real filter bank (f32). */
__kernel void cmul_bank_r(__global float2 *out, ulong ooff, __global const float2 *x,
                          ulong xoff, __global const float *h, ulong hoff, ulong np, ulong nf,
                          ulong nbf) {
  ulong p = get_global_id(0), bf = get_global_id(1);
  if (p >= np || bf >= nbf) return;
  out[ooff + bf * np + p] = x[xoff + (bf / nf) * np + p] * h[hoff + (bf % nf) * np + p];
}

/* Fourier periodisation: x [nb, H, W] -> out [nb, H/k, W/k], the mean of the k x k
** aliases (the spectrum of x[::k, ::k]).  2-D grid (W/k, nb * H/k). */
__kernel void periodize(__global float2 *out, ulong ooff, __global const float2 *x, ulong xoff,
                        uint h, uint w, uint k, ulong rows) {
  uint v = get_global_id(0);
  ulong r = get_global_id(1);
  uint hk = h / k, wk = w / k;
  if (v >= wk || r >= rows) return;
  ulong b = r / hk;
  uint u = (uint)(r - b * hk);
  __global const float2 *p = x + xoff + b * (ulong)h * w;
  float2 s = 0;
  for (uint a = 0; a < k; a++)
    for (uint c = 0; c < k; c++) s += p[(ulong)(u + a * hk) * w + v + c * wk];
  out[ooff + r * wk + v] = s / (float)(k * k);
}
#endif

#if !RDN_COMPLEX
/* ---- per-channel statistics over x viewed as [outer, nch, inner]: one work-item per
** channel, two passes (mean, then centred squares) accumulated in acc. */
__kernel void channel_stats(__global real *mean, ulong moff, __global real *var, ulong voff,
                            __global const real *x, ulong xoff, ulong outer, ulong nch,
                            ulong inner) {
  ulong c = get_global_id(0);
  if (c >= nch) return;
  acc s = 0, q = 0, cnt = (acc)outer * (acc)inner;
  for (ulong o = 0; o < outer; o++) {
    __global const real *p = x + xoff + (o * nch + c) * inner;
    for (ulong i = 0; i < inner; i++) s += p[i];
  }
  acc mu = s / cnt;
  for (ulong o = 0; o < outer; o++) {
    __global const real *p = x + xoff + (o * nch + c) * inner;
    for (ulong i = 0; i < inner; i++) {
      acc d = p[i] - mu;
      q += d * d;
    }
  }
  mean[moff + c] = (real)mu;
  var[voff + c] = (real)(q / cnt);
}

/* out = x * scale[c] + shift[c] (shift optional: has_shift 0 reads nothing), 2-D grid
** (inner, rows) with c = row % nch. */
__kernel void channel_affine_rows(__global real *out, ulong ooff, __global const real *x,
                                  ulong xoff, ulong inner, ulong rows, ulong nch,
                                  __global const real *sc, ulong soff, __global const real *sh,
                                  ulong hoff, int has_shift) {
  ulong i = get_global_id(0), r = get_global_id(1);
  if (i >= inner || r >= rows) return;
  ulong c = r % nch;
  real b = has_shift ? sh[hoff + c] : (real)0;
  out[ooff + r * inner + i] = x[xoff + r * inner + i] * sc[soff + c] + b;
}

/* out = (x - mean[c]) / sqrt(var[c] + eps), same grid. */
__kernel void channel_standardize_rows(__global real *out, ulong ooff,
                                       __global const real *x, ulong xoff, ulong inner,
                                       ulong rows, ulong nch, __global const real *mu,
                                       ulong moff, __global const real *va, ulong voff,
                                       real eps) {
  ulong i = get_global_id(0), r = get_global_id(1);
  if (i >= inner || r >= rows) return;
  ulong c = r % nch;
  out[ooff + r * inner + i] = (x[xoff + r * inner + i] - mu[moff + c]) * rsqrt(va[voff + c] + eps);
}

/* Channels last [rows, nch]: the column is the channel. */
__kernel void channel_affine_cols(__global real *out, ulong ooff, __global const real *x,
                                  ulong xoff, ulong nch, ulong rows, __global const real *sc,
                                  ulong soff, __global const real *sh, ulong hoff,
                                  int has_shift) {
  ulong c = get_global_id(0), r = get_global_id(1);
  if (c >= nch || r >= rows) return;
  real b = has_shift ? sh[hoff + c] : (real)0;
  out[ooff + r * nch + c] = x[xoff + r * nch + c] * sc[soff + c] + b;
}

__kernel void channel_standardize_cols(__global real *out, ulong ooff, __global const real *x,
                                       ulong xoff, ulong nch, ulong rows,
                                       __global const real *mu, ulong moff,
                                       __global const real *va, ulong voff, real eps) {
  ulong c = get_global_id(0), r = get_global_id(1);
  if (c >= nch || r >= rows) return;
  out[ooff + r * nch + c] = (x[xoff + r * nch + c] - mu[moff + c]) * rsqrt(va[voff + c] + eps);
}
#endif

/* ---- batched transpose: in [nb, r, c] -> out [nb, c, r]; grid (r, c, nb) so that the
** writes are contiguous. */
__kernel void transpose(__global elem *out, ulong ooff, __global const elem *x, ulong xoff,
                        ulong nr, ulong nc, ulong nb) {
  ulong i = get_global_id(0), j = get_global_id(1), b = get_global_id(2);
  if (i >= nr || j >= nc || b >= nb) return;
  out[ooff + (b * nc + j) * nr + i] = x[xoff + (b * nr + i) * nc + j];
}
