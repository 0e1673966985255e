/*
** scatfft.cl -- the scattering transform's own small 2-D FFTs (lines of FFT_N <= 64 points,
** a compile-time constant: -DFFT_N=36 -DFFT_NS=3 -DFFT_R1=4 -DFFT_R2=3 -DFFT_R3=3).  Each
** work-item transforms V = 8 rows or columns at once in float8 registers (mixed-radix
** Stockham, fully unrolled); the filter products, Fourier periodisation, modulus, padding
** and cropping are fused into the loads and stores.  The vectors are explicit because
** PoCL's work-item-loop vectorizer gives up as soon as LLVM's SLP pass has packed a pair
** of loads (it always does for interleaved complex data).  NumPy's conventions: forward
** e^{-i..} unscaled; inverses get their 1/(H W) from the caller's `scale`.  Spectra are
** full (not Hermitian halves: the filter products then load whole vectors), interleaved
** (re, im) planes whose rows are padded to a multiple of V complex numbers ("stride"), so a
** column group is one vload16.  Buffers carry V complex numbers of slack at their end.
*/
#define N FFT_N
#ifndef FFT_NS
#define FFT_NS 0
#endif
#define MAXR 16
#define V 8
typedef float8 vf;
#define INLINE inline __attribute__((always_inline))
/* The line code is macros, not functions: loops have constant trip counts where they
** stand and clang unrolls them fully, so every array index is a constant (a callee's
** loops would be optimised, and left rolled, before being inlined). */

/* (a_r, a_i) * (b_r, b_i) into (o_r, o_i) */
#define CMULS(or_, oi_, ar, ai, br, bi)                                                    \
  do {                                                                                     \
    vf tr_ = (ar) * (br) - (ai) * (bi), ti_ = (ar) * (bi) + (ai) * (br);                \
    or_ = tr_;                                                                             \
    oi_ = ti_;                                                                             \
  } while (0)

/* (a[u]) = sum_t a[t] w_r^{t u}, w_r = e^{-2 pi i / r}; twr/twi[k] = e^{-2 pi i k / N}. */
#define BUTTERFLY(ar, ai, r)                                                               \
  do {                                                                                     \
    if ((r) == 2) {                                                                        \
      vf x_ = ar[0] + ar[1], y_ = ai[0] + ai[1];                                        \
      ar[1] = ar[0] - ar[1], ai[1] = ai[0] - ai[1];                                        \
      ar[0] = x_, ai[0] = y_;                                                              \
    } else if ((r) == 3) {                                                                 \
      const float h_ = 0.86602540378443865f;                                               \
      vf sr_ = ar[1] + ar[2], si_ = ai[1] + ai[2];                                      \
      vf mr_ = h_ * (ai[1] - ai[2]), mi_ = -h_ * (ar[1] - ar[2]);   /* -i h (a1 - a2) */ \
      vf cr_ = ar[0] - 0.5f * sr_, ci_ = ai[0] - 0.5f * si_;                            \
      ar[0] += sr_, ai[0] += si_;                                                          \
      ar[1] = cr_ + mr_, ai[1] = ci_ + mi_;                                                \
      ar[2] = cr_ - mr_, ai[2] = ci_ - mi_;                                                \
    } else if ((r) == 4) {                                                                 \
      vf t0r_ = ar[0] + ar[2], t0i_ = ai[0] + ai[2], t1r_ = ar[0] - ar[2];              \
      vf t1i_ = ai[0] - ai[2], t2r_ = ar[1] + ar[3], t2i_ = ai[1] + ai[3];              \
      vf t3r_ = ai[1] - ai[3], t3i_ = ar[3] - ar[1];                /* -i (a1 - a3) */  \
      ar[0] = t0r_ + t2r_, ai[0] = t0i_ + t2i_;                                            \
      ar[2] = t0r_ - t2r_, ai[2] = t0i_ - t2i_;                                            \
      ar[1] = t1r_ + t3r_, ai[1] = t1i_ + t3i_;                                            \
      ar[3] = t1r_ - t3r_, ai[3] = t1i_ - t3i_;                                            \
    } else {                                                                               \
      vf or_[MAXR], oi_[MAXR];                                                          \
      _Pragma("unroll") for (int u_ = 0; u_ < (r); u_++) {                                 \
        vf sr_ = ar[0], si_ = ai[0];                                                    \
        _Pragma("unroll") for (int t_ = 1; t_ < (r); t_++) {                               \
          int k_ = ((t_ * u_) % (r)) * (N / (r));                                          \
          sr_ += ar[t_] * twr[k_] - ai[t_] * twi[k_];                                      \
          si_ += ar[t_] * twi[k_] + ai[t_] * twr[k_];                                      \
        }                                                                                  \
        or_[u_] = sr_, oi_[u_] = si_;                                                      \
      }                                                                                    \
      _Pragma("unroll") for (int u_ = 0; u_ < (r); u_++) ar[u_] = or_[u_], ai[u_] = oi_[u_]; \
    }                                                                                      \
  } while (0)

/* One Stockham (decimation in frequency) stage of radix r on length n with stride s:
** y[q + s (r p + u)] = (sum_t x[q + s (p + t m)] w_r^{t u}) e^{-2 pi i p u / n}, m = n / r. */
#define STAGE(xr, xi, yr, yi, n, s, r)                                                     \
  do {                                                                                     \
    _Pragma("unroll") for (int p_ = 0; p_ < (n) / (r); p_++)                               \
    _Pragma("unroll") for (int q_ = 0; q_ < (s); q_++) {                                   \
      vf br_[MAXR], bi_[MAXR];                                                          \
      _Pragma("unroll") for (int t_ = 0; t_ < (r); t_++) {                                 \
        br_[t_] = xr[q_ + (s) * (p_ + t_ * ((n) / (r)))];                                  \
        bi_[t_] = xi[q_ + (s) * (p_ + t_ * ((n) / (r)))];                                  \
      }                                                                                    \
      BUTTERFLY(br_, bi_, r);                                                              \
      _Pragma("unroll") for (int u_ = 0; u_ < (r); u_++) {                                 \
        int o_ = q_ + (s) * ((r) * p_ + u_), w_ = (p_ * u_ * (N / (n))) % N;               \
        if ((p_ * u_) % (n)) CMULS(yr[o_], yi[o_], br_[u_], bi_[u_], twr[w_], twi[w_]);    \
        else yr[o_] = br_[u_], yi[o_] = bi_[u_];                                           \
      }                                                                                    \
    }                                                                                      \
  } while (0)

#if FFT_NS >= 6
#error "scatfft: at most 5 stages"
#endif
#ifndef FFT_R1
#define FFT_R1 1
#endif
#ifndef FFT_R2
#define FFT_R2 1
#endif
#ifndef FFT_R3
#define FFT_R3 1
#endif
#ifndef FFT_R4
#define FFT_R4 1
#endif
#ifndef FFT_R5
#define FFT_R5 1
#endif
#define P1 FFT_R1
#define P2 (P1 * FFT_R2)
#define P3 (P2 * FFT_R3)
#define P4 (P3 * FFT_R4)

/* Forward DFT of (ar, ai)[0..N) (br, bi: scratch); the result is left in (ar, ai). */
#define DFT(ar, ai, br, bi)                                                                \
  do {                                                                                     \
    if (FFT_NS >= 1) STAGE(ar, ai, br, bi, N, 1, FFT_R1);                                  \
    if (FFT_NS >= 2) STAGE(br, bi, ar, ai, N / P1, P1, FFT_R2);                            \
    if (FFT_NS >= 3) STAGE(ar, ai, br, bi, N / P2, P2, FFT_R3);                            \
    if (FFT_NS >= 4) STAGE(br, bi, ar, ai, N / P3, P3, FFT_R4);                            \
    if (FFT_NS >= 5) STAGE(ar, ai, br, bi, N / P4, P4, FFT_R5);                            \
    if (FFT_NS % 2)                                                                        \
      _Pragma("unroll") for (int i_ = 0; i_ < N; i_++) ar[i_] = br[i_], ai[i_] = bi[i_];   \
  } while (0)

/* Unscaled inverse: conj(DFT(conj(a))). */
#define IDFT(ar, ai, br, bi)                                                               \
  do {                                                                                     \
    _Pragma("unroll") for (int i_ = 0; i_ < N; i_++) ai[i_] = -ai[i_];                     \
    DFT(ar, ai, br, bi);                                                                   \
    _Pragma("unroll") for (int i_ = 0; i_ < N; i_++) ai[i_] = -ai[i_];                     \
  } while (0)

/* Line arrays (V lines each) and the twiddle tables (tw: N cosines then N sines). */
#define LINE                                                                               \
  vf ar[N], ai[N], br[N], bi[N];                                                           \
  __constant const float *twr = tw, *twi = tw + N

/* tw[k] = cos(-2 pi k / N), tw[N + k] = sin(-2 pi k / N), computed in acc. */
__kernel void fft_twiddles(__global float *tw) {
  int k = get_global_id(0);
  if (k >= N) return;
  acc t = -2 * (acc)3.14159265358979323846 * (acc)k / (acc)N;
  tw[k] = (float)cos(t);
  tw[N + k] = (float)sin(t);
}

/* Mirror index as NumPy's 'reflect' for -2 (n - 1) <= i <= 3 (n - 1), which covers every
** pad the transform uses (at most 2^J <= n). */
inline int mirror(int i, int n) {
  i = abs(i);
  i = i >= n ? 2 * (n - 1) - i : i;
  return abs(i);
}

/* V consecutive complex numbers of a padded row at p (re, im interleaved). */
#define VLOAD(re, im, p)                                                                   \
  do {                                                                                     \
    float16 t_ = vload16(0, p);                                                            \
    re = t_.even, im = t_.odd;                                                             \
  } while (0)
#define VSTORE(p, re, im)                                                                  \
  do {                                                                                     \
    float16 t_;                                                                            \
    t_.even = re, t_.odd = im;                                                             \
    vstore16(t_, 0, p);                                                                    \
  } while (0)

/* (ar, ai)[v] = element v of rows row(0..V) (row(l): pointer to a padded row), by tiles of
** V columns: whole-vector loads, then a transpose. */
#define ROWS_LOAD(row)                                                                     \
  _Pragma("unroll") for (int c_ = 0; c_ < (N + V - 1) / V; c_++) {                         \
    vf mr_[V], mi_[V];                                                                     \
    _Pragma("unroll") for (int l_ = 0; l_ < V; l_++)                                       \
      VLOAD(mr_[l_], mi_[l_], row(l_) + 2 * V * c_);                                       \
    tr8(mr_), tr8(mi_);                                                                    \
    _Pragma("unroll") for (int j_ = 0; j_ < V; j_++)                                       \
      if (c_ * V + j_ < N) ar[c_ * V + j_] = mr_[j_], ai[c_ * V + j_] = mi_[j_];           \
  }

/* Rows l < n of (ar, ai) into the padded rows row(l) (columns past N get zeros). */
#define ROWS_STORE(row, n)                                                                 \
  _Pragma("unroll") for (int c_ = 0; c_ < (N + V - 1) / V; c_++) {                         \
    vf mr_[V], mi_[V];                                                                     \
    _Pragma("unroll") for (int j_ = 0; j_ < V; j_++) {                                     \
      int in_ = c_ * V + j_ < N;                                                           \
      mr_[j_] = in_ ? ar[min(c_ * V + j_, N - 1)] : 0;                                     \
      mi_[j_] = in_ ? ai[min(c_ * V + j_, N - 1)] : 0;                                     \
    }                                                                                      \
    tr8(mr_), tr8(mi_);                                                                    \
    _Pragma("unroll") for (int l_ = 0; l_ < V; l_++)                                       \
      if (l_ < (n)) VSTORE(row(l_) + 2 * V * c_, mr_[l_], mi_[l_]);                        \
  }

/* Rows u0 .. u0 + V - 1 of the padded images (N = W): image b0 + b of x ([*, h, w] at xoff)
** reflect-padded by (top, left) (none: top = left = 0, h = H, w = N), images b >= nvalid
** zero; out: spectra along rows [nb, hh, stride].  Grid (ceil(hh / V), nb). */
__kernel void rows_fwd_pad(__global float *out, __global const float *x, ulong xoff, int h,
                           int w, int hh, int stride, int top, int left, ulong b0, int nvalid,
                           int nb, __constant const float *tw) {
  int u0 = get_global_id(0) * V, b = get_global_id(1);
  if (u0 >= hh || b >= nb) return;
  LINE;
  int live = b < nvalid;
  __global const float *img = x + xoff + ((ulong)b0 + (live ? b : 0)) * h * w;
  int rows[V];
  for (int l = 0; l < V; l++) rows[l] = mirror(min(u0 + l, hh - 1) - top, h) * w;
#pragma unroll
  for (int v = 0; v < N; v++) {
    int j = mirror(v - left, w);
    float t[V];
    for (int l = 0; l < V; l++) t[l] = live ? img[rows[l] + j] : 0.0f;
    ar[v] = vload8(0, t), ai[v] = 0;
  }
  DFT(ar, ai, br, bi);
  __global float *o = out + 2 * ((ulong)b * hh + u0) * stride;
#define OROW(l) (o + 2 * (ulong)(l) * stride)
  ROWS_STORE(OROW, hh - u0);
#undef OROW
}

/* Rows (N = W) of inverse-transformed planes: inverse DFT along the row, modulus times
** `scale` (the 1/(H W) of the 2-D inverse), forward DFT of that real row; out: spectra
** along rows.  The planes' rows are one run of nrows rows, istride (in) and ostride (out)
** apart, so a work-item's V rows may span two planes and no lane idles at a plane's end
** (18-row planes would leave 6 of 24 lanes idle).  Grid (ceil(nrows / V)). */
__kernel void rows_inv_abs_fwd(__global float *out, __global const float *in, int nrows,
                               int istride, int ostride, float scale,
                               __constant const float *tw) {
  int r0 = get_global_id(0) * V;
  if (r0 >= nrows) return;
  LINE;
  __global const float *pl = in + 2 * (ulong)r0 * istride;
  int n = min(V, nrows - r0);
#define IROW(l) (pl + 2 * (ulong)min(l, n - 1) * istride)
  ROWS_LOAD(IROW);
#undef IROW
  IDFT(ar, ai, br, bi);
#pragma unroll
  for (int v = 0; v < N; v++) ar[v] = scale * sqrt(ar[v] * ar[v] + ai[v] * ai[v]), ai[v] = 0;
  DFT(ar, ai, br, bi);
  __global float *o = out + 2 * (ulong)r0 * ostride;
#define OROW(l) (o + 2 * (ulong)(l) * ostride)
  ROWS_STORE(OROW, n);
#undef OROW
}

/* Complex rows (N = W) of planes [np, hh, stride], forward DFT in place (the filter bank).
** Grid (ceil(hh / V), np). */
__kernel void rows_fwd_c(__global float *z, int hh, int stride, int np,
                         __constant const float *tw) {
  int u0 = get_global_id(0) * V, b = get_global_id(1);
  if (u0 >= hh || b >= np) return;
  LINE;
  __global float *pl = z + 2 * ((ulong)b * hh + u0) * stride;
  int n = min(V, hh - u0);
#define ZROW(l) (pl + 2 * (ulong)min(l, n - 1) * stride)
  ROWS_LOAD(ZROW);
  DFT(ar, ai, br, bi);
  ROWS_STORE(ZROW, n);
#undef ZROW
}

/* Columns (N = H) of padded spectra [np, N, stride], forward, in place: work-item
** (g, b) takes the V columns g V ..  Grid (stride / V, np). */
__kernel void cols_fwd(__global float *z, int stride, int np, __constant const float *tw) {
  int g = get_global_id(0), b = get_global_id(1);
  if (g * V >= stride || b >= np) return;
  LINE;
  __global float *c = z + 2 * ((ulong)b * N * stride + g * V);
#pragma unroll
  for (int u = 0; u < N; u++) VLOAD(ar[u], ai[u], c + 2 * (ulong)u * stride);
  DFT(ar, ai, br, bi);
#pragma unroll
  for (int u = 0; u < N; u++) VSTORE(c + 2 * (ulong)u * stride, ar[u], ai[u]);
}

/* Filter product, periodisation by k and inverse DFT along columns (N = H0 / k): X holds
** spectra [nb, H0, xstride] of W0-wide planes, filt f32 [nf, H0, W0] at foff; out [nb, nf,
** N, ostride]: unscaled column inverses of k^-2 sum_{a, c < k} (X filt)(u + a N, v + c W0/k)
** for the W0/k columns v (padding columns get garbage that nothing reads).  Whole vectors:
** a group may read up to V - 1 values past a row, which the slack covers.
** Grid (ostride / V, nf nb). */
__kernel void cols_inv_prod(__global float *out, __global const float *X, int xstride,
                            __global const float *filt, ulong foff, int h0, int w0, int k,
                            int nf, int nfb, int ostride, __constant const float *tw) {
  int g = get_global_id(0), fb = get_global_id(1), wk = w0 / k;
  if (g * V >= ostride || fb >= nfb) return;
  int f = fb % nf, b = fb / nf;
  __global const float *xb = X + 2 * ((ulong)b * h0 * xstride + g * V);
  __global const float *fr = filt + foff + (ulong)f * h0 * w0 + g * V;
  float inv = 1.0f / (float)(k * k);
  LINE;
#pragma unroll
  for (int u = 0; u < N; u++) {
    vf sr = 0, si = 0;
    for (int a = 0; a < k; a++) {
      int r = u + a * N;
      for (int c = 0; c < k; c++) {
        vf zr, zi, gg = vload8(0, fr + (ulong)r * w0 + c * wk);
        VLOAD(zr, zi, xb + 2 * ((ulong)r * xstride + c * wk));
        sr += zr * gg, si += zi * gg;
      }
    }
    ar[u] = inv * sr, ai[u] = inv * si;
  }
  IDFT(ar, ai, br, bi);
  __global float *o = out + 2 * ((ulong)fb * N * ostride + g * V);
#pragma unroll
  for (int u = 0; u < N; u++) VSTORE(o + 2 * (ulong)u * ostride, ar[u], ai[u]);
}

/* Rows (N = W) of low-pass planes in [nb, a1n a2n, hh, stride] after their column
** inverses: inverse DFT along the row, real part times `scale`, cropped by `crop`, into out
** f32 [*, K, ho, wo] at image b0 + b, channel base + a1 s1 + a2.  Work-item (g, a, b) does
** output rows g V ..  Grid (ceil(ho / V), a1n a2n, nvalid). */
__kernel void rows_inv_out(__global float *out, ulong ooff, __global const float *in, int hh,
                           int stride, int ho, int wo, int crop, float scale, ulong b0, int kch,
                           int base, int s1, int a1n, int a2n, int nvalid,
                           __constant const float *tw) {
  int y0 = get_global_id(0) * V, a = get_global_id(1), b = get_global_id(2);
  if (y0 >= ho || a >= a1n * a2n || b >= nvalid) return;
  int a1 = a / a2n, a2 = a - a1 * a2n, n = min(V, ho - y0);
  LINE;
  __global const float *pl = in + 2 * (((ulong)b * a1n * a2n + a) * hh + y0 + crop) * stride;
#define IROW(l) (pl + 2 * (ulong)min(l, n - 1) * stride)
  ROWS_LOAD(IROW);
#undef IROW
  IDFT(ar, ai, br, bi);
  __global float *o = out + ooff + (((b0 + b) * kch + base + a1 * s1 + a2) * ho + y0) * (ulong)wo;
  for (int l = 0; l < n; l++)
#pragma unroll
    for (int v = 0; v < N; v++)
      if (v >= crop && v < crop + wo) o[(ulong)l * wo + v - crop] = scale * ar[v][l];
}
