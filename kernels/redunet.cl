/*
** redunet.cl -- vector ReduNet (SPEC §1.3): the fused per-layer update (memberships +
** combination + projection to the sphere), label checks and counts, and the dataset
** conversions (IDX bytes to f32/i32).  CPU-friendly: one row per work-item, explicit
** 8-wide vector loads, no __local memory and no barriers (DESIGN.md §10).
*/
#ifndef RDN_MAXK
#define RDN_MAXK 256
#endif

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
__kernel void idx_u8_f32(__global const uchar *s, ulong n, __global float *x, ulong xoff) {
  x += xoff;
  FOR_EACH(i, n) x[i] = (float)s[i];
}

__kernel void idx_u8_i32(__global const uchar *s, ulong n, __global int *x, ulong xoff) {
  x += xoff;
  FOR_EACH(i, n) x[i] = (int)s[i];
}

__kernel void idx_i8_f32(__global const char *s, ulong n, __global float *x, ulong xoff) {
  x += xoff;
  FOR_EACH(i, n) x[i] = (float)s[i];
}

__kernel void idx_i8_i32(__global const char *s, ulong n, __global int *x, ulong xoff) {
  x += xoff;
  FOR_EACH(i, n) x[i] = (int)s[i];
}

static uint bswap32(uint v) {
  return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

__kernel void idx_be32_i32(__global const uint *s, ulong n, __global int *x, ulong xoff) {
  x += xoff;
  FOR_EACH(i, n) x[i] = (int)bswap32(s[i]);
}

__kernel void idx_bei32_f32(__global const uint *s, ulong n, __global float *x, ulong xoff) {
  x += xoff;
  FOR_EACH(i, n) x[i] = (float)(int)bswap32(s[i]);
}

__kernel void idx_be32_f32(__global const uint *s, ulong n, __global float *x, ulong xoff) {
  x += xoff;
  FOR_EACH(i, n) x[i] = as_float(bswap32(s[i]));
}
