/*
** spectral.cl -- the shift-invariant ReduNet in the spectral domain (SPEC §1.4-1.6):
** class-norm accumulation, soft membership, the fused update + norm accumulation and the
** final renormalisation over spectra v [F, m, C] (c64), the real <-> complex copies of the
** full-spectrum mode.
*/

/* Weight of stored frequency f: with the R2C half spectrum (rows of Q = W/2 + 1 columns)
** column q stands for itself and its mirror W - q, except q = 0 and q = W/2 (W even),
** which are their own mirrors. */
inline float fweight(ulong f, ulong q_cols, ulong w, int hs) {
  if (!hs) return 1.0f;
  ulong q = f % q_cols;
  return (q == 0 || 2 * q == w) ? 1.0f : 2.0f;
}

#if RDN_COMPLEX
/* parts[(f m + s) k + j] = weight(f0 + f) |c_j(f)|^2, c_j(f) = P[j + 1][f][s][:] (P is
** [k + 1][fc][m][C]): one work-item per (frequency, sample, class), summed over the
** chunk's frequencies by spec_fsum. */
__kernel void spec_cnorm(__global const float2 *p, ulong poff, ulong fc, ulong f0, ulong m,
                         ulong c, uint k, ulong qc, ulong w, int hs, __global acc *parts) {
  p += poff;
  FOR_EACH(i, fc * m * k) {
    ulong f = i / (m * k), s = (i / k) % m, j = i % k;
    __global const float2 *r = p + (((j + 1) * fc + f) * m + s) * c;
    float part = 0;
    for (ulong t = 0; t < c; t++) part += CABS2(r[t]);
    parts[i] = (acc)(fweight(f0 + f, qc, w, hs) * part);
  }
}
#endif

/* out[i] (+)= sum over f < fc of parts[f n + i] (per-frequency partial norms). */
__kernel void spec_fsum(__global acc *out, __global const acc *parts, ulong fc, ulong n,
                        int accumulate) {
  FOR_EACH(i, n) {
    acc tot = 0;
    for (ulong f = 0; f < fc; f++) tot += parts[f * n + i];
    out[i] = accumulate ? out[i] + tot : tot;
  }
}

/* Membership: pi = softmax(-lambda max(|c_j|, 1e-8)) (max subtracted, SPEC §1.12 item 4)
** or one-hot(labels); beta[s k + j] = gamma_j pi_j; pi_out receives pi when asked. */
__kernel void spec_member(__global const acc *nrm, ulong m, uint k, __global const float *gam,
                          float lambda, __global const int *lab, ulong loff, int use_lab,
                          __global float *beta, __global float *pi, ulong pioff, int want_pi) {
  lab += loff;
  pi += pioff;
  FOR_EACH(s, m) {
    float mx = -INFINITY, sum = 0;
    for (uint j = 0; j < k; j++) {
      float v;
      if (use_lab) {
        v = lab[s] == (int)j ? 1.0f : 0.0f;
      } else {
        v = -lambda * fmax((float)sqrt(nrm[s * k + j]), 1e-8f);
        mx = fmax(mx, v);
      }
      beta[s * k + j] = v;
    }
    if (!use_lab) {
      for (uint j = 0; j < k; j++) {
        float e = exp(beta[s * k + j] - mx);
        beta[s * k + j] = e;
        sum += e;
      }
      for (uint j = 0; j < k; j++) beta[s * k + j] /= sum;
    }
    for (uint j = 0; j < k; j++) {
      if (want_pi) pi[s * k + j] = beta[s * k + j];
      beta[s * k + j] *= gam[j];
    }
  }
}

#if RDN_COMPLEX
/* v(p) += eta (e(p) - sum_j beta_j c_j(p)) over the chunk's frequencies (v at voff is the
** chunk [fc, m, C]); parts[f m + s] = the weighted |v(f)|^2 after the update (summed by
** spec_fsum).  One work-item per (frequency, sample). */
__kernel void spec_update(__global float2 *v, ulong voff, __global const float2 *p, ulong poff,
                          ulong fc, ulong f0, ulong m, ulong c, uint k, float eta,
                          __global const float *beta, ulong qc, ulong w, int hs,
                          __global acc *parts) {
  v += voff;
  p += poff;
  FOR_EACH(i, fc * m) {
    ulong s = i % m, row = i * c;
    __global const float *b = beta + s * k;
    float part = 0;
    for (ulong t = 0; t < c; t++) {
      float2 u = p[row + t];
      for (uint j = 0; j < k; j++) u -= b[j] * p[(j + 1) * fc * m * c + row + t];
      float2 x = v[row + t] + eta * u;
      v[row + t] = x;
      part += CABS2(x);
    }
    parts[i] = (acc)(fweight(f0 + i / m, qc, w, hs) * part);
  }
}

/* v[f, s, :] /= max(sqrt(nv[s]), 1e-8) (SPEC §0.1 clamp); one element per work-item. */
__kernel void spec_rescale(__global float2 *v, ulong voff, ulong n, ulong m, ulong c,
                           __global const acc *nv) {
  v += voff;
  ulong i = get_global_id(0);
  if (i >= n) return;
  ulong s = (i / c) % m;
  v[i] *= (float)(1 / fmax(sqrt(nv[s]), (acc)1e-8));
}

/* Invariant read-out: out[s, c, f] = sqrt(weight(f)) |v[f, s, c]| (out at ooff is f32
** [m, C, F]).  A circular shift multiplies v(f) by a unit phase, so out is exactly shift
** invariant; the mirror weight makes |out_s| = |x_s| (Parseval).  One element per item. */
__kernel void spec_magnitude(__global float *out, ulong ooff, __global const float2 *v,
                             ulong voff, ulong f, ulong m, ulong c, ulong qc, ulong w, int hs) {
  out += ooff;
  v += voff;
  ulong i = get_global_id(0);
  if (i >= f * m * c) return;
  ulong p = i % f, ch = (i / f) % c, s = i / (f * c);
  out[i] = sqrt(fweight(p, qc, w, hs)) * length(v[(p * m + s) * c + ch]);
}

/* out = x + 0i (f32 -> c64) and out = Re x (c64 -> f32), one element per work-item. */
__kernel void spec_to_complex(__global float2 *out, ulong ooff, __global const float *x,
                              ulong xoff, ulong n) {
  ulong i = get_global_id(0);
  if (i < n) out[ooff + i] = (float2)(x[xoff + i], 0.0f);
}

__kernel void spec_real_part(__global float *out, ulong ooff, __global const float2 *x,
                             ulong xoff, ulong n) {
  ulong i = get_global_id(0);
  if (i < n) out[ooff + i] = x[xoff + i].x;
}
#endif
