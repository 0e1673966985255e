/*
** scattering.cl -- 2-D scattering transform (SPEC §3.3, Kymatio conventions): Morlet /
** Gabor filters in space, their Fourier real parts, periodised filter levels, reflect
** padding, the fused filter product + Fourier periodisation, and the cropped write of the
** low-pass outputs.  Built with the f32 dtype; spectra are float2 (re, im).
*/

/* ---- filters.  g[f] (c64 [nf, M, N]) = sum over 5 x 5 tiles of the Gabor function
**   exp(-u^T A u + i xi (u1 cos t + u2 sin t)) / (2 * 3.1415 * sigma^2 / slant),
** A = R_t diag(1, slant^2) R_t^T / (2 sigma^2), u = (x + ex M, y + ey N), ex, ey in -2..2:
** Kymatio's gabor_2d (its 3.1415 included).  prm[f] = (sigma, theta, xi, slant); computed
** in acc (double where the device has it).  Rows of g are `stride` apart.  Grid (N, M, nf). */
__kernel void gabor(__global float2 *g, __global const float4 *prm, uint m, uint n, uint nf,
                    uint stride) {
  uint y = get_global_id(0), x = get_global_id(1), f = get_global_id(2);
  if (y >= n || x >= m || f >= nf) return;
  float4 p = prm[f];
  acc sg = p.x, th = p.y, xi = p.z, sl = p.w;
  acc c = cos(th), s = sin(th), d = 2 * sg * sg;
  acc a00 = (c * c + sl * sl * s * s) / d, a01 = c * s * (1 - sl * sl) / d;
  acc a11 = (s * s + sl * sl * c * c) / d;
  acc kx = xi * c, ky = xi * s, re = 0, im = 0;
  for (int ex = -2; ex <= 2; ex++)
    for (int ey = -2; ey <= 2; ey++) {
      acc u = (acc)x + (acc)ex * m, v = (acc)y + (acc)ey * n;
      acc e = exp(-(a00 * u * u + 2 * a01 * u * v + a11 * v * v));
      acc ph = kx * u + ky * v;
      re += e * cos(ph);
      im += e * sin(ph);
    }
  acc norm = 2 * (acc)3.1415 * sg * sg / sl;
  g[((ulong)f * m + x) * stride + y] = (float2)((float)(re / norm), (float)(im / norm));
}

/* Fourier side of the bank: G = fft2(g) holds nw (Gabor, envelope) pairs then phi.
** psi[q] = Re(G[2q] - K G[2q+1]) with K = G[2q][0] / G[2q+1][0] (the ratio of the spatial
** sums: the Morlet's zero-mean correction), out[nw] = Re(G[2 nw]).  G's planes are m x n
** with rows `stride` apart; out is [nw + 1, m, n].  Grid (n, m, nw + 1). */
__kernel void morlet_fourier(__global float *out, __global const float2 *G, uint m, uint n,
                             uint stride, uint nw) {
  uint y = get_global_id(0), x = get_global_id(1), q = get_global_id(2);
  if (y >= n || x >= m || q > nw) return;
  ulong np = (ulong)m * n, gp = (ulong)m * stride, p = (ulong)x * stride + y;
  if (q == nw) {
    out[(ulong)nw * np + x * n + y] = G[(ulong)2 * nw * gp + p].x;
    return;
  }
  __global const float2 *gx = G + (ulong)2 * q * gp, *g0 = gx + gp;
  float2 a = gx[0], b = g0[0];
  float den = b.x * b.x + b.y * b.y;
  float2 k = (float2)((a.x * b.x + a.y * b.y) / den, (a.y * b.x - a.x * b.y) / den);
  float2 v = gx[p] - CMUL(k, g0[p]);
  out[(ulong)q * np + x * n + y] = v.x;
}

/* Filter at resolution r (Kymatio periodize_filter_fft): zero rows [sx, sx + lx) and
** columns [sy, sy + ly), then fold (sum) the M x N array into (M / kf) x (N / kf), kf = 2^r.
** in [nf, M, N] at ioff, out [nf, M/kf, N/kf] at ooff.  Grid (N/kf, M/kf, nf). */
__kernel void periodize_filter(__global float *out, ulong ooff, __global const float *in,
                               ulong ioff, uint m, uint n, uint kf, uint sx, uint lx, uint sy,
                               uint ly, uint nf) {
  uint l = get_global_id(0), k = get_global_id(1), f = get_global_id(2);
  uint mk = m / kf, nk = n / kf;
  if (l >= nk || k >= mk || f >= nf) return;
  __global const float *p = in + ioff + (ulong)f * m * n;
  float s = 0;
  for (uint i = 0; i < kf; i++) {
    uint r = k + i * mk;
    if (r >= sx && r < sx + lx) continue;
    for (uint j = 0; j < kf; j++) {
      uint c = l + j * nk;
      if (c < sy || c >= sy + ly) s += p[(ulong)r * n + c];
    }
  }
  out[ooff + ((ulong)f * mk + k) * nk + l] = s;
}

/* Mirror index (NumPy 'reflect', any pad width): period 2 (n - 1). */
inline int mirror(int i, int n) {
  int per = 2 * (n - 1);
  i %= per;
  if (i < 0) i += per;
  return i >= n ? per - i : i;
}

/* out [nb, hp, wp] (f32): image b0 + b of x ([*, h, w] at xoff) reflect-padded by (top,
** left) (hp = h, wp = w, top = left = 0: a copy); planes b >= nvalid are zero (a partial
** last chunk).  Grid (wp, hp, nb). */
__kernel void pad_reflect(__global float *out, __global const float *x, ulong xoff, uint h,
                          uint w, uint hp, uint wp, uint top, uint left, ulong b0, uint nvalid,
                          uint nb) {
  uint v = get_global_id(0), u = get_global_id(1), b = get_global_id(2);
  if (v >= wp || u >= hp || b >= nb) return;
  float val = 0;
  if (b < nvalid) {
    int i = mirror((int)u - (int)top, (int)h), j = mirror((int)v - (int)left, (int)w);
    val = x[xoff + (b0 + b) * (ulong)h * w + (ulong)i * w + j];
  }
  out[((ulong)b * hp + u) * wp + v] = val;
}

/* p -> (p / d, p % d) for p < 2^24 without an integer division (PoCL cannot vectorise
** those): a float estimate, then one exact correction step. */
inline uint2 divmod(uint p, uint d, float rd) {
  int q = (int)((float)p * rd), r = (int)p - q * (int)d;
  if (r < 0) q--, r += (int)d;
  else if (r >= (int)d) q++, r -= (int)d;
  return (uint2)((uint)q, (uint)r);
}

/* Fused filter product and periodisation: X is the half spectrum (R2C layout [nb, H,
** W/2+1]) of nb real planes; filters f32 [nf, H, W] at foff; out c64 [nb, nf, H/k, W/k]:
**   out[b, f, u, v] = k^-2 sum_{a, c < k} X[b](u + a H/k, v + c W/k) * filt[f](same),
** the full spectrum read through X(h, w) = conj(X(-h, -w)) for w > W/2.  Grid (H/k W/k,
** nf * nb): PoCL vectorises along the output plane; (f, b) is uniform across lanes. */
__kernel void cmul_periodize(__global float2 *out, __global const float2 *X,
                             __global const float *filt, ulong foff, uint h, uint w, uint k,
                             uint nf, uint nfb, float rwk) {
  uint p = get_global_id(0), fb = get_global_id(1);
  uint hk = h / k, wk = w / k, wh = w / 2 + 1;
  if (p >= hk * wk || fb >= nfb) return;
  uint2 uv = divmod(p, wk, rwk);
  uint f = fb % nf, b = fb / nf;
  __global const float2 *xb = X + (ulong)b * h * wh;
  __global const float *fr = filt + foff + (ulong)f * h * w;
  float2 s = 0;
  for (uint a = 0; a < k; a++) {
    uint r = uv.x + a * hk, rm = r ? h - r : 0;
    for (uint c = 0; c < k; c++) {
      uint q = uv.y + c * wk;
      float2 z = q < wh ? xb[(ulong)r * wh + q] : (float2)(1, -1) * xb[(ulong)rm * wh + w - q];
      s += z * fr[(ulong)r * w + q];
    }
  }
  out[(ulong)fb * hk * wk + p] = s / (float)(k * k);
}

/* Low-pass output: src c64 [nb, a1n, a2n, hp, wp] (an inverse FFT: the real part is
** taken, as Kymatio's irfft), cropped by `crop` pixels on the top/left, into out f32
** [*, K, ho, wo] at image b0 + b, channel base + a1 s1 + a2.  Grid (ho * wo, a1n * a2n, nvalid). */
__kernel void write_lowpass(__global float *out, ulong ooff, __global const float2 *src,
                            uint hp, uint wp, uint ho, uint wo, uint crop, ulong b0, uint kch,
                            uint base, uint s1, uint a1n, uint a2n, uint nvalid) {
  uint p = get_global_id(0), a = get_global_id(1), b = get_global_id(2);
  if (p >= ho * wo || a >= a1n * a2n || b >= nvalid) return;
  uint y = p / wo, x = p - y * wo, a1 = a / a2n, a2 = a - a1 * a2n;
  float v = src[((ulong)b * a1n * a2n + a) * hp * wp + (ulong)(y + crop) * wp + x + crop].x;
  out[ooff + (((b0 + b) * kch + base + a1 * s1 + a2) * ho + y) * (ulong)wo + x] = v;
}
