/*
** frames.cl -- frame measures (SPEC §2.1, §2.4): atom (column) norms and normalisation of
** a frame b [d, k] stored row-major with atoms as columns, the normalised-Gram statistics
** (potential, coherence), and the per-frequency potential of a convolutional frame.
*/

/* ||b[:, c]|| of b [d, k] (row-major, atoms as columns). */
inline acc col_norm(__global const real *b, ulong d, ulong k, ulong c) {
  acc s = 0;
  for (ulong r = 0; r < d; r++) {
    acc v = b[r * k + c];
    s += v * v;
  }
  return sqrt(s);
}

/* out[c] = ||b[:, c]||, one work-item per atom; neighbouring items read neighbouring
** addresses at every row, so the strided walk still streams. */
__kernel void col_norms(__global const real *b, ulong boff, ulong d, ulong k,
                        __global acc *out) {
  ulong c = get_global_id(0);
  if (c >= k) return;
  out[c] = col_norm(b + boff, d, k, c);
}

/* mode 0: b[:, c] /= ||b[:, c]|| (a zero atom records its index in flag[0] and is left
** as is); mode 1: b[:, c] /= max(1, ||b[:, c]||) (projection onto the unit ball). */
__kernel void col_normalize(__global real *b, ulong boff, ulong d, ulong k, int mode,
                            __global uint *flag) {
  ulong c = get_global_id(0);
  if (c >= k) return;
  b += boff;
  acc n = col_norm(b, d, k, c);
  if (mode == 0 && n == 0) {
    atomic_min(flag, (uint)c);
    return;
  }
  if (mode == 1 && n <= 1) return;
  real inv = (real)(1 / n);
  for (ulong r = 0; r < d; r++) b[r * k + c] *= inv;
}

/* Row statistics of the Gram g [k, k] of atoms with norms nrm [k]: rsum[i] = sum_j
** (g_ij / (n_i n_j))^2 and rmax[i] = max_{j != i} |g_ij| / (n_i n_j).  Zero atoms count
** as unit atoms here; the host rejects them before reading the result. */
__kernel void gram_rows(__global const real *g, ulong goff, ulong k, __global const acc *nrm,
                        __global acc *rsum, __global acc *rmax) {
  ulong i = get_global_id(0);
  if (i >= k) return;
  g += goff + i * k;
  acc ni = nrm[i] > 0 ? nrm[i] : 1, s = 0, mx = 0;
  for (ulong j = 0; j < k; j++) {
    acc nj = nrm[j] > 0 ? nrm[j] : 1;
    acc v = g[j] / (ni * nj);
    s += v * v;
    if (j != i) mx = fmax(mx, fabs(v));
  }
  rsum[i] = s;
  rmax[i] = mx;
}

/* One work-item folds the per-atom values: out = {sum rsum, max rmax, min norm, max norm,
** sum norm^2, index of the first zero atom or -1}. */
__kernel void frame_finish(ulong k, __global const acc *nrm, __global const acc *rsum,
                           __global const acc *rmax, __global acc *out) {
  if (get_global_id(0) != 0) return;
  acc s = 0, mx = 0, lo = nrm[0], hi = nrm[0], sq = 0, zero = -1;
  for (ulong i = 0; i < k; i++) {
    acc n = nrm[i];
    s += rsum[i];
    mx = fmax(mx, rmax[i]);
    lo = fmin(lo, n);
    hi = fmax(hi, n);
    sq += n * n;
    if (n == 0 && zero < 0) zero = (acc)i;
  }
  out[0] = s; out[1] = mx; out[2] = lo; out[3] = hi; out[4] = sq; out[5] = zero;
}

/* ---- convolutional frames (SPEC §2.4) */
/* Zero-pads nf filters of f1 x f2 taps (f1 = 1 for 1-D) into p1 x p2 signals. */
__kernel void conv_pad(__global const real *h, ulong hoff, ulong f1, ulong f2, ulong p1,
                       ulong p2, ulong nf, __global real *out, ulong ooff) {
  ulong i = get_global_id(0), n = nf * p1 * p2;
  if (i >= n) return;
  ulong q = i / (p1 * p2), t = i % (p1 * p2), y = t / p2, x = t % p2;
  out[ooff + i] = (y < f1 && x < f2) ? h[hoff + (q * f1 + y) * f2 + x] : (real)0;
}

/* Spectra s (c64 as float pairs) [k, d, F]: out[w] = mult(w) ||H(w)^H H(w)||_F^2 with
** H(w) [d, k] = s[:, :, w]; mult 1 for the self-conjugate frequencies of the R2C half
** spectrum (last index 0 or p/2, p = plast even), else 2 (their mirror images). */
__kernel void conv_fp_freq(__global const float2 *s, ulong soff, ulong k, ulong d, ulong nfreq,
                           ulong nhalf, ulong plast, __global acc *out) {
  ulong w = get_global_id(0);
  if (w >= nfreq) return;
  s += soff;
  acc tot = 0;
  for (ulong a = 0; a < k; a++)
    for (ulong bb = a; bb < k; bb++) {
      acc re = 0, im = 0;
      for (ulong c = 0; c < d; c++) {
        float2 u = s[(a * d + c) * nfreq + w], v = s[(bb * d + c) * nfreq + w];
        re += (acc)u.x * v.x + (acc)u.y * v.y;          /* conj(u) v */
        im += (acc)u.x * v.y - (acc)u.y * v.x;
      }
      tot += (bb == a ? 1 : 2) * (re * re + im * im);
    }
  ulong v = w % nhalf;
  acc mult = (v == 0 || (plast % 2 == 0 && v == plast / 2)) ? 1 : 2;
  out[w] = mult * tot;
}

/* flag[0] = min index of an all-zero atom of b [d, k]. */
__kernel void col_zero(__global const real *b, ulong boff, ulong d, ulong k,
                       __global uint *flag) {
  ulong c = get_global_id(0);
  if (c >= k) return;
  b += boff;
  for (ulong r = 0; r < d; r++)
    if (b[r * k + c] != 0) return;
  atomic_min(flag, (uint)c);
}
