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
/* ---- complex kernels (build with the c64 dtype), on interleaved (re, im) floats.  Each
** work-item takes 8 complex numbers as one float16 (PoCL's work-item vectorizer gives up
** on float2 code, so the vectors are explicit); a tail shorter than 8 goes scalar. */
#define EXPAND8(h) (float16)((h).s0, (h).s0, (h).s1, (h).s1, (h).s2, (h).s2, (h).s3, (h).s3, \
                             (h).s4, (h).s4, (h).s5, (h).s5, (h).s6, (h).s6, (h).s7, (h).s7)

/* out = |x| (f32).  Grid ceil(n / 8). */
__kernel void cabs(__global float *out, ulong ooff, __global const float *x, ulong xoff,
                   ulong n) {
  ulong i0 = 8 * get_global_id(0);
  if (i0 >= n) return;
  __global const float *p = x + 2 * xoff;
  if (i0 + 8 <= n) {
    float16 z = vload16(0, p + 2 * i0);
    vstore8(sqrt(z.even * z.even + z.odd * z.odd), 0, out + ooff + i0);
    return;
  }
  for (ulong i = i0; i < n; i++)
    out[ooff + i] = sqrt(p[2 * i] * p[2 * i] + p[2 * i + 1] * p[2 * i + 1]);
}

/* Streaming stores that bypass the cache (x86 movntps) where o is 64-byte aligned: a
** write-only output then costs one pass over memory, not a read for ownership and a
** write back (the host copy baseline, memcpy, streams its stores the same way). */
inline void st16_nt(float16 v, __global float *o) {
#if defined(__x86_64__) && defined(__AVX512F__)
  if (((ulong)o & 63) == 0) {
    __asm__ volatile("vmovntps %0, (%1)" : : "v"(v), "r"(o) : "memory");
    return;
  }
#endif
  vstore16(v, 0, o);
}

/* Streaming stores are weakly ordered: after a barrier (all the work-group's stores are
** issued; PoCL runs a work-group on one thread) work-item 0 makes them globally visible
** with an sfence before the kernel's completion is signalled (one per work-item cost 3x
** in cmul_bank).  Called by every work-item of the group, outside any branch. */
inline void nt_fence_group(void) {
  barrier(CLK_GLOBAL_MEM_FENCE);
#if defined(__x86_64__) && defined(__AVX512F__)
  if (get_local_id(0) == 0 && get_local_id(1) == 0 && get_local_id(2) == 0)
    __asm__ volatile("sfence" : : : "memory");
#endif
}

/* out[b, f, p] = x[b, p] * filt[f, p] (conj(filt) when cj), filt complex (cplx = 1) or
** real; grid (ceil(np / CB_RUN), B * F), (b, f) uniform per row of work-items.  A run of
** CB_RUN points per work-item measured 1.3x faster than 8 (PoCL's per-work-item cost). */
#define CB_RUN 64
__kernel void cmul_bank(__global float *out, ulong ooff, __global const float *x, ulong xoff,
                        __global const float *h, ulong hoff, ulong np, ulong nf, ulong nbf,
                        int cplx, int cj) {
  ulong p = CB_RUN * get_global_id(0), bf = min((ulong)get_global_id(1), nbf - 1);
  ulong pe = min(p + CB_RUN, np);     /* p >= np: no work, but the group's barrier below */
  __global const float *xr = x + 2 * (xoff + (bf / nf) * np);
  __global float *o = out + 2 * (ooff + bf * np);
  __global const float *hr = h + (cplx ? 2 : 1) * (hoff + (bf % nf) * np);
  float sg = cj ? -1.0f : 1.0f;
  for (; p + 8 <= pe; p += 8) {
    float16 z = vload16(0, xr + 2 * p), r;
    if (cplx) {
      float16 g = vload16(0, hr + 2 * p);
      float8 gr = g.even, gi = sg * g.odd;
      r.even = z.even * gr - z.odd * gi;
      r.odd = z.even * gi + z.odd * gr;
    } else {
      r = z * EXPAND8(vload8(0, hr + p));
    }
    st16_nt(r, o + 2 * p);
  }
  for (; p < pe; p++) {
    float zr = xr[2 * p], zi = xr[2 * p + 1], gr, gi;
    if (cplx) gr = hr[2 * p], gi = sg * hr[2 * p + 1];
    else gr = hr[p], gi = 0;
    o[2 * p] = zr * gr - zi * gi;
    o[2 * p + 1] = zr * gi + zi * gr;
  }
  nt_fence_group();
}

/* Fourier periodisation: x [nb, H, W] -> out [nb, H/k, W/k], the mean of the k x k
** aliases (the spectrum of x[::k, ::k]).  Work-item (blk, b) takes output rows
** [blk rb, blk rb + rb) of plane b and reads its input as k sequential runs (one per band
** of rows u + a H/k), adding band a into the output block (cache resident) and streaming
** it out after the last band: one read stream at a time measured 1.9x faster than reading
** the k bands side by side (the prefetcher starts every 4 KiB page cold, and did so for
** all bands at once).  Grid (nblk nb), nblk = ceil(hk / rb). */
__kernel void periodize(__global float *out, ulong ooff, __global const float *x, ulong xoff,
                        uint h, uint w, uint k, uint rb, uint nblk, ulong nwi) {
  ulong g = get_global_id(0), b = g / nblk;
  uint hk = h / k, wk = w / k, u0 = (uint)(g - b * nblk) * rb, u1 = min(u0 + rb, hk);
  if (g >= nwi) u1 = u0;              /* no rows, but the group's barrier below */
  __global const float *p = x + 2 * (xoff + b * (ulong)h * w);
  __global float *o = out + 2 * (ooff + b * (ulong)hk * wk);
  float inv = 1.0f / (float)(k * k);
  for (uint a = 0; a < k; a++)
    for (uint u = u0; u < u1; u++) {
      __global const float *src = p + 2 * (ulong)(u + a * hk) * w;
      __global float *q = o + 2 * (ulong)u * wk;
      uint v = 0;
      for (; v + 8 <= wk; v += 8) {
        float16 s = 0;
        for (uint c = 0; c < k; c++) s += vload16(0, src + 2 * (v + c * wk));
        if (a) s += vload16(0, q + 2 * v);
        if (a + 1 < k) vstore16(s, 0, q + 2 * v);
        else st16_nt(s * inv, q + 2 * v);
      }
      for (; v < wk; v++) {
        float2 s = 0;
        for (uint c = 0; c < k; c++) s += vload2(0, src + 2 * (v + c * wk));
        if (a) s += vload2(0, q + 2 * v);
        vstore2(a + 1 < k ? s : s * inv, 0, q + 2 * v);
      }
    }
  nt_fence_group();
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

/* ---- batched transpose: in [nb, r, c] -> out [nb, c, r].  Grid (ceil(r / 8), ceil(c / 8),
** nb): each work-item moves an 8 x 8 tile; f32 (and i32 bits) tiles go through float8
** registers (an in-register transpose), other types and partial tiles element by element. */

__kernel void transpose(__global elem *out, ulong ooff, __global const elem *x, ulong xoff,
                        ulong nr, ulong nc, ulong nb) {
  ulong i0 = 8 * get_global_id(0), j0 = 8 * get_global_id(1), b = get_global_id(2);
  if (i0 >= nr || j0 >= nc || b >= nb) return;
  __global const elem *in = x + xoff + b * nr * nc;
  __global elem *o = out + ooff + b * nr * nc;
#if RDN_DTYPE == 0
  if (i0 + 8 <= nr && j0 + 8 <= nc) {
    float8 m[8];
    for (int l = 0; l < 8; l++) m[l] = vload8(0, in + (i0 + l) * nc + j0);
    tr8(m);
    for (int l = 0; l < 8; l++) vstore8(m[l], 0, o + (j0 + l) * nr + i0);
    return;
  }
#endif
  for (ulong j = j0; j < j0 + 8 && j < nc; j++)
    for (ulong i = i0; i < i0 + 8 && i < nr; i++) o[j * nr + i] = in[i * nc + j];
}
