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
/* The rows below are read eight complex values (one float16) at a time: explicit vectors
** keep PoCL from vectorising across work-items, whose rows lie (k+1) C apart. */
#define V8(p) vload16(0, (__global const float *)(p))
inline float hsum16(float16 a) {
  float8 h = a.lo + a.hi;
  float4 q = h.lo + h.hi;
  return q.x + q.y + q.z + q.w;
}

/* sum of |x_t|^2 over n complex values */
inline float sumsq(__global const float2 *x, ulong n) {
  float16 a = 0;
  ulong t = 0;
  for (; t + 8 <= n; t += 8) {
    float16 y = V8(x + t);
    a += y * y;
  }
  float tot = hsum16(a);
  for (; t < n; t++) tot += CABS2(x[t]);
  return tot;
}
#endif

#if RDN_COMPLEX
/* Class-major copy of v [F, m, C]: row (f, i) goes to row dst[i] + f cnt[i] of zs, with
** dst[i] = the first row of sample i's class block + its rank in the class and cnt[i] the
** class size (tab = dst, then cnt; m each).  One row per work-item, eight values at once. */
__kernel void spec_csort(__global float2 *zs, ulong zoff, __global const float2 *v, ulong voff,
                         __global const int *tab, ulong f, ulong m, ulong c) {
  zs += zoff;
  v += voff;
  FOR_EACH(r, f * m) {
    ulong i = r % m, q = r / m;
    __global const float2 *src = v + r * c;
    __global float2 *dst = zs + ((ulong)tab[i] + q * (ulong)tab[m + i]) * c;
    ulong t = 0;
    for (; t + 8 <= c; t += 8) vstore16(V8(src + t), 0, (__global float *)(dst + t));
    for (; t < c; t++) dst[t] = src[t];
  }
}

/* Operator matrices from Grams, w [(k+1) F, C, C]: block j + 1 = d_{j+1} I + G_j with the
** class Gram G_j it holds, block 0 = d_0 I + sum_j G_j (k = 0: block 0 holds G_0). */
__kernel void spec_opsum(__global float2 *w, ulong woff, ulong f, ulong c, uint k,
                         __global const float *dg) {
  w += woff;
  ulong n = f * c * c;
  FOR_EACH(i, n) {
    int on = (i / c) % c == i % c;
    float2 tot = k ? 0 : w[i];
    for (uint j = 1; j <= k; j++) {
      float2 g = w[j * n + i];
      tot += g;
      if (on) w[j * n + i] = g + (float2)(dg[j], 0.0f);
    }
    w[i] = on ? tot + (float2)(dg[0], 0.0f) : tot;
  }
}

/* The operators side by side for the frequencies [f0, f0 + fb): wt[q][a][j C + b] =
** w[j][f0 + q][a][b] (w [k+1, F, C, C], wt [fb, C, (k+1) C]), so that one GEMM per
** frequency applies all k + 1 of them; one row of C elements per work-item. */
__kernel void spec_widen(__global float2 *wt, __global const float2 *w, ulong woff, ulong f,
                         ulong f0, ulong fb, ulong c, uint k1) {
  w += woff;
  FOR_EACH(r, fb * c * k1) {
    ulong j = r % k1, a = (r / k1) % c, q = r / (k1 * c);
    __global const float2 *src = w + ((j * f + f0 + q) * c + a) * c;
    __global float2 *dst = wt + r * c;
    ulong t = 0;
    for (; t + 8 <= c; t += 8) vstore16(V8(src + t), 0, (__global float *)(dst + t));
    for (; t < c; t++) dst[t] = src[t];
  }
}

/* p[f][s][col + t] = a v[f][s0 + s][t] for s < mc, t < C (p rows of width ldp): the
** direct term of a Woodbury class product. */
__kernel void spec_put(__global float2 *p, ulong col, ulong ldp, __global const float2 *v,
                       ulong voff, ulong f, ulong m, ulong s0, ulong mc, ulong c, float a) {
  v += voff;
  FOR_EACH(i, f * mc * c) {
    ulong t = i % c, s = (i / c) % mc, q = i / (c * mc);
    p[(q * mc + s) * ldp + col + t] = a * v[(q * m + s0 + s) * c + t];
  }
}

/* parts[(f mc + s) k + j] = weight(f) |c_j(f)|^2 for the frequencies [f0, f0 + fb) of a
** chunk's applied operators p [F, mc, (k+1) C] (c_j = column block j + 1 of row p[f][s]);
** summed over f by spec_fsum.  One row (f, s) per work-item: contiguous reads. */
__kernel void spec_cnorm(__global const float2 *p, ulong f0, ulong fb, ulong mc, ulong c,
                         uint k, ulong qc, ulong w, int hs, __global acc *parts) {
  ulong ld = (k + 1) * c;
  FOR_EACH(i, fb * mc) {
    ulong row = f0 * mc + i;
    __global const float2 *r = p + row * ld + c;
    float wt = fweight(f0 + i / mc, qc, w, hs);
    for (uint j = 0; j < k; j++, r += c) {
      float part = sumsq(r, c);
      parts[row * k + j] = (acc)(wt * part);
    }
  }
}
#endif

/* out[ooff + i] (+)= sum over f < fc of parts[f n + i] (per-frequency partial norms). */
__kernel void spec_fsum(__global acc *out, ulong ooff, __global const acc *parts, ulong fc,
                        ulong n, int accumulate) {
  out += ooff;
  FOR_EACH(i, n) {
    acc tot = 0;
    for (ulong f = 0; f < fc; f++) tot += parts[f * n + i];
    out[i] = accumulate ? out[i] + tot : tot;
  }
}

/* Membership of samples [s0, s0 + mc): pi = softmax(-lambda max(|c_j|, 1e-8)) (max
** subtracted, SPEC §1.12 item 4) or one-hot(labels); beta[s k + j] = gamma_j pi_j;
** pi_out receives pi when asked. */
__kernel void spec_member(__global const acc *nrm, ulong s0, ulong mc, uint k,
                          __global const float *gam, float lambda, __global const int *lab,
                          ulong loff, int use_lab, __global float *beta, __global float *pi,
                          ulong pioff, int want_pi) {
  lab += loff;
  pi += pioff;
  FOR_EACH(i, mc) {
    ulong s = s0 + i;
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
/* v[f][s0 + s] += eta (e(f) - sum_j beta_j c_j(f)) with e, c_j the C-blocks of the row
** p[f][s] (p [F, mc, (k+1) C]); parts[f mc + s] = the weighted |v(f)|^2 after the update
** (summed over f by spec_fsum).  One work-item per (frequency, sample of the chunk). */
__kernel void spec_update(__global float2 *v, ulong voff, __global const float2 *p, ulong f,
                          ulong m, ulong s0, ulong mc, ulong c, uint k, float eta,
                          __global const float *beta, ulong qc, ulong w, int hs,
                          __global acc *parts) {
  v += voff;
  ulong ld = (k + 1) * c;
  FOR_EACH(i, f * mc) {
    ulong s = i % mc, q = i / mc;
    __global const float *b = beta + (s0 + s) * k;
    __global const float2 *r = p + i * ld;
    __global float2 *x = v + (q * m + s0 + s) * c;
    float16 a = 0;
    ulong t = 0;
    for (; t + 8 <= c; t += 8) {
      float16 u = V8(r + t);
      for (uint j = 0; j < k; j++) u -= b[j] * V8(r + (j + 1) * c + t);
      float16 y = V8(x + t) + eta * u;
      vstore16(y, 0, (__global float *)(x + t));
      a += y * y;
    }
    float part = hsum16(a);
    for (; t < c; t++) {
      float2 u = r[t];
      for (uint j = 0; j < k; j++) u -= b[j] * r[(j + 1) * c + t];
      float2 y = x[t] + eta * u;
      x[t] = y;
      part += CABS2(y);
    }
    parts[i] = (acc)(fweight(q, qc, w, hs) * part);
  }
}

/* v[f, s, :] /= max(sqrt(nv[s]), 1e-8) (SPEC §0.1 clamp); one row (f, s) per work-item. */
__kernel void spec_rescale(__global float2 *v, ulong voff, ulong fm, ulong m, ulong c,
                           __global const acc *nv) {
  v += voff;
  FOR_EACH(i, fm) {
    float sc = (float)(1 / fmax(sqrt(nv[i % m]), (acc)1e-8));
    __global float2 *r = v + i * c;
    for (ulong t = 0; t < c; t++) r[t] *= sc;
  }
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
