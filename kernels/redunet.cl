/*
** redunet.cl -- vector ReduNet (SPEC §1.3): the fused per-layer update (memberships +
** combination + projection to the sphere), label checks and counts, and the dataset
** conversions (IDX bytes to f32/i32).  CPU-friendly: one row per work-item, explicit
** 8-wide vector loads, no __local memory and no barriers (DESIGN.md §10).
*/
#ifndef RDN_MAXK
#define RDN_MAXK 256
#endif

/* One element per work-item: PoCL vectorises such kernels across work-items (a
** grid-stride loop converting IDX bytes ran 40x slower). */
#define ONE(i, n) ulong i = get_global_id(0); if (i >= (n)) return

#if RDN_DTYPE == 1
typedef double8 real8;
#else
typedef float8 real8;
#endif

/* Sum of squares of n contiguous values, 8 partial sums (also more accurate). */
static real row_sumsq(__global const real *x, uint n) {
  real8 a = (real8)(0);
  uint i = 0;
  for (; i + 8 <= n; i += 8) {
    real8 v = vload8(0, x + i);
    a += v * v;
  }
  real s = ((a.s0 + a.s1) + (a.s2 + a.s3)) + ((a.s4 + a.s5) + (a.s6 + a.s7));
  for (; i < n; i++) s += x[i] * x[i];
  return s;
}

/* y += c x over n contiguous values. */
static void row_axpy(__global real *y, real c, __global const real *x, uint n) {
  uint i = 0;
  for (; i + 8 <= n; i += 8) vstore8(vload8(0, y + i) + c * vload8(0, x + i), 0, y + i);
  for (; i < n; i++) y[i] += c * x[i];
}

/* One ReduNet layer on precomputed applied operators p = z [E C^1 ... C^k]:
**   pi = softmax(-lambda max(|c_j|, 1e-8)) with the max subtracted (or one-hot of the
**   label when use_lab), z <- P_S(z + eta (e - sum_j gamma_j pi_j c_j)).
** One sample per work-item; p's row is read twice and stays in the core's L2. */
__kernel void redunet_update(__global real *z, ulong zoff, __global const real *p, ulong poff,
                             __global const real *gam, ulong m, uint d, uint k, real eta,
                             real lambda, __global const int *lab, ulong loff, int use_lab,
                             __global real *pi, ulong pioff, int want_pi) {
  z += zoff;
  p += poff;
  lab += loff;
  pi += pioff;
  for (ulong i = get_global_id(0); i < m; i += get_global_size(0)) {
    __global const real *pr = p + i * (ulong)(k + 1) * d;
    __global real *zr = z + i * d;
    real w[RDN_MAXK];
    if (use_lab) {
      int y = lab[i];
      for (uint j = 0; j < k; j++) w[j] = (int)j == y ? (real)1 : (real)0;
    } else {
      real mx = -INFINITY, sum = 0;
      for (uint j = 0; j < k; j++) {
        real nrm = sqrt(row_sumsq(pr + (ulong)(j + 1) * d, d));
        w[j] = -lambda * fmax(nrm, (real)1e-8);
        mx = fmax(mx, w[j]);
      }
      for (uint j = 0; j < k; j++) {
        w[j] = exp(w[j] - mx);
        sum += w[j];
      }
      for (uint j = 0; j < k; j++) w[j] /= sum;
    }
    if (want_pi)
      for (uint j = 0; j < k; j++) pi[i * k + j] = w[j];
    row_axpy(zr, eta, pr, d);
    for (uint j = 0; j < k; j++) {
      real c = -eta * gam[j] * w[j];
      if (c != 0) row_axpy(zr, c, pr + (ulong)(j + 1) * d, d);
    }
    real nrm = fmax(sqrt(row_sumsq(zr, d)), (real)1e-8), inv = 1 / nrm;
    uint t = 0;
    for (; t + 8 <= d; t += 8) vstore8(vload8(0, zr + t) * inv, 0, zr + t);
    for (; t < d; t++) zr[t] *= inv;
  }
}

/* Class counts of labels y [m] with k classes into cnt[0..k-1]; cnt[k] receives the
** smallest sample index holding a label outside [0, k) (initialised to m by the host). */
__kernel void label_counts(__global const int *y, ulong yoff, ulong m, int k,
                           __global int *cnt) {
  y += yoff;
  FOR_EACH(i, m) {
    int v = y[i];
    if (v < 0 || v >= k) atomic_min(&cnt[k], (int)i);
    else atomic_inc(&cnt[v]);
  }
}

/* cnt[0] += number of i with a[i] == b[i]; chunked so each work-item does one atomic. */
__kernel void count_equal(__global const int *a, ulong aoff, __global const int *b, ulong boff,
                          ulong n, __global int *cnt) {
  a += aoff;
  b += boff;
  ulong g = get_global_id(0), ng = get_global_size(0);
  ulong chunk = (n + ng - 1) / ng, lo = g * chunk, hi = min(n, lo + chunk);
  int c = 0;
  for (ulong i = lo; i < hi; i++) c += a[i] == b[i];
  if (c) atomic_add(cnt, c);
}

/* ---- IDX conversions (built with RDN_DTYPE 0) ---- */

/* 16 bytes per work-item (the host launches n / 16 rounded up work-items). */
__kernel void idx_u8_f32(__global const uchar *s, ulong n, __global float *x, ulong xoff) {
  x += xoff;
  ulong i = get_global_id(0) * 16;
  if (i + 16 <= n) {
    vstore16(convert_float16(vload16(0, s + i)), 0, x + i);
  } else {
    for (; i < n; i++) x[i] = (float)s[i];
  }
}

__kernel void idx_u8_i32(__global const uchar *s, ulong n, __global int *x, ulong xoff) {
  x += xoff;
  ONE(i, n);
  x[i] = (int)s[i];
}

__kernel void idx_i8_f32(__global const char *s, ulong n, __global float *x, ulong xoff) {
  x += xoff;
  ONE(i, n);
  x[i] = (float)s[i];
}

__kernel void idx_i8_i32(__global const char *s, ulong n, __global int *x, ulong xoff) {
  x += xoff;
  ONE(i, n);
  x[i] = (int)s[i];
}

static uint bswap32(uint v) {
  return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

__kernel void idx_be32_i32(__global const uint *s, ulong n, __global int *x, ulong xoff) {
  x += xoff;
  ONE(i, n);
  x[i] = (int)bswap32(s[i]);
}

__kernel void idx_bei32_f32(__global const uint *s, ulong n, __global float *x, ulong xoff) {
  x += xoff;
  ONE(i, n);
  x[i] = (float)(int)bswap32(s[i]);
}

__kernel void idx_be32_f32(__global const uint *s, ulong n, __global float *x, ulong xoff) {
  x += xoff;
  ONE(i, n);
  x[i] = as_float(bswap32(s[i]));
}

/* ---- evaluation (SPEC §1.8) ---- */

/* perm: stable order of samples by class.  One work-item per class j scans all labels
** and writes its samples' indices from off[j] (exclusive prefix sum of the counts). */
__kernel void label_sort(__global const int *y, ulong yoff, ulong m, int k,
                         __global const int *off, __global int *perm, ulong poff) {
  y += yoff;
  perm += poff;
  for (int j = get_global_id(0); j < k; j += get_global_size(0)) {
    int o = off[j];
    for (ulong i = 0; i < m; i++)
      if (y[i] == j) perm[o++] = (int)i;
  }
}

/* Orthonormalises the n rows of each y[b] ([batch, n, d], row-major) in place by
** modified Gram-Schmidt run twice ("twice is enough" keeps f32 bases orthogonal), one
** matrix per work-item, dot products in acc.  A row that vanishes stays zero; callers
** start from random bases, where that has probability zero. */
__kernel void orthonormalize(__global real *y, ulong yoff, ulong batch, uint n, uint d) {
  y += yoff;
  for (ulong b = get_global_id(0); b < batch; b += get_global_size(0)) {
    __global real *q = y + b * d * n;
    for (int pass = 0; pass < 2; pass++)
      for (uint c = 0; c < n; c++) {
        __global real *qc = q + (ulong)c * d;
        for (uint p = 0; p < c; p++) {
          __global const real *qp = q + (ulong)p * d;
          acc dot = 0;
          for (uint t = 0; t < d; t++) dot += (acc)qp[t] * qc[t];
          row_axpy(qc, -(real)dot, qp, d);
        }
        acc s = 0;
        for (uint t = 0; t < d; t++) s += (acc)qc[t] * qc[t];
        real inv = s > 0 ? (real)(1 / sqrt(s)) : (real)0;
        for (uint t = 0; t < d; t++) qc[t] *= inv;
      }
  }
}

/* Nearest subspace: proj = [k, m, n] projections u_jᵀ z_i, zn2 = |z_i|^2 [m];
** residual_j = |z|^2 - sum_c proj^2; pred = argmin (ties: lowest class). */
__kernel void nearsub_pick(__global const real *proj, ulong poff, __global const real *zn,
                           ulong zoff, ulong m, uint k, uint n, __global int *pred,
                           ulong doff) {
  proj += poff;
  zn += zoff;
  pred += doff;
  FOR_EACH(i, m) {
    real best = INFINITY;
    int arg = 0;
    for (uint j = 0; j < k; j++) {
      __global const real *p = proj + ((ulong)j * m + i) * n;
      real s = 0;
      for (uint c = 0; c < n; c++) s += p[c] * p[c];
      real r = zn[i] * zn[i] - s;
      if (r < best) {
        best = r;
        arg = (int)j;
      }
    }
    pred[i] = arg;
  }
}

#ifndef RDN_MAXKNN
#define RDN_MAXKNN 64
#endif
/* kNN vote over similarities s [m, mtr] (cosine for unit rows): the kn most similar
** training samples (ties: lower index), majority label (ties: lowest label). */
__kernel void knn_vote(__global const real *s, ulong soff, ulong m, ulong mtr, uint kn,
                       __global const int *ytr, ulong yoff, __global int *pred, ulong doff) {
  s += soff;
  ytr += yoff;
  pred += doff;
  FOR_EACH(i, m) {
    __global const real *row = s + i * mtr;
    real bs[RDN_MAXKNN];
    int bi[RDN_MAXKNN];
    uint cnt = 0;
    for (ulong t = 0; t < mtr; t++) {
      real v = row[t];
      if (cnt == kn && !(v > bs[kn - 1])) continue;
      uint p = cnt < kn ? cnt++ : kn - 1;
      while (p > 0 && v > bs[p - 1]) {   /* strict: an earlier index keeps its place */
        bs[p] = bs[p - 1];
        bi[p] = bi[p - 1];
        p--;
      }
      bs[p] = v;
      bi[p] = (int)t;
    }
    int lab[RDN_MAXKNN];
    for (uint a = 0; a < cnt; a++) lab[a] = ytr[bi[a]];
    int best = -1, bestc = 0;
    for (uint a = 0; a < cnt; a++) {
      int c = 0;
      for (uint b = 0; b < cnt; b++) c += lab[b] == lab[a];
      if (c > bestc || (c == bestc && lab[a] < best)) {
        bestc = c;
        best = lab[a];
      }
    }
    pred[i] = best;
  }
}

/* out [m, k] = on at (i, y[i]), off elsewhere. */
__kernel void onehot(__global real *out, ulong ooff, __global const int *y, ulong yoff,
                     ulong m, uint k, real on, real off) {
  out += ooff;
  y += yoff;
  ONE(i, m * k);
  out[i] = y[i / k] == (int)(i % k) ? on : off;
}

/* w[b] = alpha[b] w[b] + diag I for a batch of nmat n x n matrices; alpha[b] = 0 drops
** w[b] (even NaN/Inf in uninitialised memory). */
__kernel void scale_shift(__global real *w, ulong woff, ulong nmat, ulong n,
                          __global const real *alpha, real diag) {
  w += woff;
  ONE(i, nmat * n * n);
  ulong b = i / (n * n), r = i % (n * n);
  real a = alpha[b];
  w[i] = (a != 0 ? a * w[i] : (real)0) + (r / n == r % n ? diag : (real)0);
}

/* Sinusoid classes of SPEC §1.7 (reference generate_wave), noise-free part: sample i of
** class j = i / n starts at x0 = 10 pi u, u uniform from a hash of (seed, i), and takes
** T points of linspace(x0, x0 + 2 pi, T).  Class functions by mode: 1-3: sin((2c+1)x)
** pattern sin x, sin 3x, sin 7x, sin 11x; 5, 7, 8: sin x, sign(sin x); 9: sin x,
** exp(sin x), sign(sin x). */
static float wave_u01(ulong seed, ulong i) {
  ulong z = seed * 0x9E3779B97F4A7C15UL + (i + 1) * 0xD1B54A32D192ED03UL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
  z ^= z >> 31;
  return (float)(z >> 40) * (1.0f / 16777216.0f);
}

__kernel void waves(__global real *x, ulong xoff, ulong m, uint t, uint n, int mode,
                    ulong seed) {
  x += xoff;
  ONE(g, m * t);
  ulong i = g / t;
  uint p = (uint)(g % t), c = (uint)(i / n);
  float x0 = 31.4159265f * wave_u01(seed, i);
  float v = x0 + 6.28318531f * (float)p / (float)(t > 1 ? t - 1 : 1), s = sin(v), r;
  if (mode <= 3) {
    const float f[4] = { 1, 3, 7, 11 };
    r = sin(f[c] * v);
  } else if (mode == 9) {
    r = c == 0 ? s : c == 1 ? exp(s) : sign(s);
  } else {
    r = c == 0 ? s : sign(s);
  }
  x[g] = (real)r;
}

/* Blocks of a batch of n x n matrices a [nb, n, n], for the recursive SPD inverse:
** block_get: t [nb, r, c] = a[:, r0:r0+r, c0:c0+c];  block_put: a[:, r0.., c0..] = t, or
** its transpose (a c x r block) when trans. */
__kernel void block_get(__global real *t, ulong toff, __global const real *a, ulong aoff,
                        ulong nb, ulong n, ulong r0, ulong c0, ulong r, ulong c) {
  ONE(i, nb * r * c);
  ulong b = i / (r * c), q = i % (r * c);
  t[toff + i] = a[aoff + (b * n + r0 + q / c) * n + c0 + q % c];
}

__kernel void block_put(__global real *a, ulong aoff, __global const real *t, ulong toff,
                        ulong nb, ulong n, ulong r0, ulong c0, ulong r, ulong c, int trans) {
  ONE(i, nb * r * c);
  ulong b = i / (r * c), q = i % (r * c), y = q / c, x = q % c;
  a[aoff + (b * n + r0 + (trans ? x : y)) * n + c0 + (trans ? y : x)] = t[toff + i];
}

/* In-place inverse of lower-triangular n x n matrices l [nb, n, n] (n small), one matrix
** per work-item, column by column from the last (LAPACK trti2): column j of the inverse
** is -x_jj L^-1[j+1:, j+1:] L[j+1:, j] with the trailing block already inverted. */
__kernel void tri_inv_small(__global real *l, ulong loff, ulong nb, uint n) {
  l += loff;
  for (ulong b = get_global_id(0); b < nb; b += get_global_size(0)) {
    __global real *a = l + b * n * n;
    for (int j = (int)n - 1; j >= 0; j--) {
      real d = 1 / a[j * n + j];
      a[j * n + j] = d;
      for (int i = (int)n - 1; i > j; i--) {   /* x = T22 x, bottom-up keeps old x_p */
        acc s = 0;
        for (int p = j + 1; p <= i; p++) s += (acc)a[i * n + p] * a[p * n + j];
        a[i * n + j] = -d * (real)s;
      }
    }
  }
}
