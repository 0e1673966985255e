/*
** test_coding_rate.c -- R, Rc and MCR² (rdn_coding_rate, rdn_class_rate, rdn_mcr2,
** rdn_mcr2_spectral) against the closed forms of SPEC §7.1, a float64 host reference,
** invariances, the circulant time-domain log-det of SPEC §7.2, and the bad inputs.
*/
#include "linalg_ref.h"

/* Host R, Rc of rows z [m, d] with labels (SPEC §1.1), on the feature side. */
static void host_rates(const cplx *z, const int *y, size_t m, size_t d, int k, double e,
                       double *R, double *Rc) {
  cplx *g = malloc(d * d * sizeof *g);
  *Rc = 0;
  for (int c = -1; c < k; c++) {
    size_t mc = 0;
    for (size_t r = 0; r < m; r++) mc += c < 0 || y[r] == c;
    double a = (double)d / ((double)mc * e);
    for (size_t i = 0; i < d; i++)
      for (size_t j = 0; j < d; j++) {
        cplx s = i == j ? 1 : 0;
        for (size_t r = 0; r < m; r++)
          if (c < 0 || y[r] == c) s += a * conj(z[r * d + i]) * z[r * d + j];
        g[i * d + j] = s;
      }
    double ld = host_logdet(g, d);
    if (c < 0) *R = 0.5 * ld;
    else *Rc += (double)mc / (2.0 * (double)m) * ld;
  }
  free(g);
}

/* Random orthogonal (unitary for c64) [n, n] by Gram-Schmidt of random rows. */
static cplx *orthogonal(rdn_dtype dt, size_t n, unsigned long long seed) {
  cplx *q = malloc(n * n * sizeof *q);
  for (size_t i = 0; i < n; i++) {
    for (size_t j = 0; j < n; j++) q[i * n + j] = rnd(dt, &seed);
    for (size_t p = 0; p < i; p++) {
      cplx s = 0;
      for (size_t j = 0; j < n; j++) s += conj(q[p * n + j]) * q[i * n + j];
      for (size_t j = 0; j < n; j++) q[i * n + j] -= s * q[p * n + j];
    }
    double nr = 0;
    for (size_t j = 0; j < n; j++) nr += creal(q[i * n + j] * conj(q[i * n + j]));
    for (size_t j = 0; j < n; j++) q[i * n + j] /= sqrt(nr);
  }
  return q;
}

/* rdn_mcr2 on host data; out as rdn_mcr2. */
static rdn_status dev_mcr2(rdn_ctx *ctx, rdn_dtype dt, const cplx *z, const int *y, size_t m,
                           size_t d, int k, double e, double *out) {
  size_t zs[2] = { m, d }, ls[1] = { m };
  double *lab = malloc(m * sizeof *lab);
  for (size_t i = 0; i < m; i++) lab[i] = y[i];
  rdn_tensor *tz = up(ctx, dt, 2, zs, z, m * d), *tl = th_tensor(ctx, RDN_I32, 1, ls, lab);
  rdn_status s = rdn_mcr2(ctx, out, tz, tl, k, e);
  rdn_tensor_release(tz);
  rdn_tensor_release(tl);
  free(lab);
  return s;
}

static void test_rate_oracles(rdn_ctx *ctx) {
  for (int t = 0; t < 3; t++) {
    rdn_dtype dt = DTS[t];
    if (dt == RDN_F64 && !has64) continue;
    double rt = tol(dt, 2e-6), r3[3];
    const char *nm = rdn_dtype_name(dt);
    /* 1. orthonormal set d = m = 8: R = 4 ln 11 */
    size_t s8[2] = { 8, 8 };
    cplx *q = orthogonal(dt, 8, 21);
    rdn_tensor *tq = up(ctx, dt, 2, s8, q, 64);
    double r = 0;
    CHECK_OK(ctx, rdn_coding_rate(ctx, &r, tq, 0.1));
    CHECK(fabs(r - 9.591581091193483) <= rt * 10, "%s orthonormal R = %.12f", nm, r);
    /* 1b. 5 orthonormal rows in d = 12 (the samples' side): R = 2.5 ln(1 + 12/(5 e)) */
    cplx *q12 = orthogonal(dt, 12, 22);
    size_t s5[2] = { 5, 12 };
    rdn_tensor *t5 = up(ctx, dt, 2, s5, q12, 60);
    CHECK_OK(ctx, rdn_coding_rate(ctx, &r, t5, 0.1));
    CHECK(fabs(r - 2.5 * log(1 + 24.0)) <= rt * 10, "%s m < d R = %.12f", nm, r);
    /* 2. 20 identical unit vectors, d = 8: R = ln 9 */
    cplx *id = malloc(160 * sizeof *id);
    for (size_t i = 0; i < 160; i++) id[i] = q[i % 8];
    size_t s20[2] = { 20, 8 };
    rdn_tensor *ti = up(ctx, dt, 2, s20, id, 160);
    CHECK_OK(ctx, rdn_coding_rate(ctx, &r, ti, 0.1));
    CHECK(fabs(r - 2.1972245773362196) <= rt * 10, "%s identical R = %.12f", nm, r);
    /* 3. orthogonal lines: k classes of e_j, d = k = 2, 3 (feature side everywhere), and
    ** d = 30, k = 3 with 10 samples per class (classes on the samples' side) */
    static const size_t dk[3][2] = { { 2, 2 }, { 3, 3 }, { 30, 3 } };
    for (int c = 0; c < 3; c++) {
      size_t d = dk[c][0], k = dk[c][1], m = 10 * k;
      cplx *z = calloc(m * d, sizeof *z);
      int *y = malloc(m * sizeof *y);
      for (size_t i = 0; i < m; i++) {
        y[i] = (int)(i % k);
        z[i * d + (size_t)y[i]] = 1;
      }
      double want = k / 2.0 * log(1 + d / (k * 0.1)) - 0.5 * log(1 + d / 0.1);
      CHECK_OK(ctx, dev_mcr2(ctx, dt, z, y, m, d, (int)k, 0.1, r3));
      CHECK(fabs(r3[0] - want) <= rt * 10 && fabs(r3[1] - r3[2] - r3[0]) < 1e-12,
            "%s lines d=%zu k=%zu: dR = %.12f, want %.12f", nm, d, k, r3[0], want);
      if (d == 2) CHECK(fabs(want - 0.8756340539366587) < 1e-15, "closed form ln 11 - ln 21 / 2");
      if (d == 3) CHECK(fabs(want - 1.879849) < 1e-6, "closed form d = k = 3");
      free(z);
      free(y);
    }
    rdn_tensor_release(tq); rdn_tensor_release(t5); rdn_tensor_release(ti);
    free(q); free(q12); free(id);
  }
}

/* Random unit rows and labels vs the host; invariance to U (features) and permutations. */
static void test_rate_random(rdn_ctx *ctx) {
  static const size_t cfg[4][3] = { { 8, 60, 3 }, { 16, 100, 4 }, { 100, 80, 4 },
                                    { 70, 300, 3 } };
  unsigned long long st = 77;
  for (int t = 0; t < 3; t++) {
    rdn_dtype dt = DTS[t];
    if (dt == RDN_F64 && !has64) continue;
    for (int c = 0; c < 4; c++) {
      if (dt != RDN_F32 && c == 3) continue;
      size_t d = cfg[c][0], m = cfg[c][1];
      int k = (int)cfg[c][2];
      cplx *z = malloc(m * d * sizeof *z), *zu = calloc(m * d, sizeof *zu);
      cplx *zp = malloc(m * d * sizeof *zp), *u = orthogonal(dt, d, 5 + c);
      int *y = malloc(m * sizeof *y), *yp = malloc(m * sizeof *yp);
      for (size_t i = 0; i < m; i++) {
        double nr = 0;
        for (size_t j = 0; j < d; j++) {
          z[i * d + j] = rnd(dt, &st);
          nr += creal(z[i * d + j] * conj(z[i * d + j]));
        }
        for (size_t j = 0; j < d; j++) z[i * d + j] /= sqrt(nr);
        y[i] = (int)((i * 5 + i / 7) % (size_t)k);
      }
      for (size_t i = 0; i < m; i++)          /* z U and a permutation of the samples */
        for (size_t j = 0; j < d; j++) {
          for (size_t p = 0; p < d; p++) zu[i * d + j] += z[i * d + p] * u[p * d + j];
          zp[i * d + j] = z[((i * 37) % m) * d + j];
          yp[i] = y[(i * 37) % m];
        }
      double R = 0, Rc = 0, a[3], b[3], p3[3];
      host_rates(z, y, m, d, k, 0.1, &R, &Rc);
      CHECK_OK(ctx, dev_mcr2(ctx, dt, z, y, m, d, k, 0.1, a));
      CHECK_OK(ctx, dev_mcr2(ctx, dt, zu, y, m, d, k, 0.1, b));
      CHECK_OK(ctx, dev_mcr2(ctx, dt, zp, yp, m, d, k, 0.1, p3));
      double rt = tol(dt, 3e-6) * (1 + R);
      CHECK(fabs(a[1] - R) <= rt && fabs(a[2] - Rc) <= rt && a[0] >= 0,
            "%s d=%zu m=%zu k=%d: R %.9f (host %.9f) Rc %.9f (host %.9f) dR %.3g", 
            rdn_dtype_name(dt), d, m, k, a[1], R, a[2], Rc, a[0]);
      CHECK(fabs(b[0] - a[0]) <= rt && fabs(b[1] - a[1]) <= rt && fabs(b[2] - a[2]) <= rt,
            "%s d=%zu: invariant to an orthogonal U: %.9f %.9f", rdn_dtype_name(dt), d, a[0],
            b[0]);
      CHECK(fabs(p3[0] - a[0]) <= rt && fabs(p3[1] - a[1]) <= rt,
            "%s d=%zu: invariant to a sample permutation", rdn_dtype_name(dt), d);
      free(z); free(zu); free(zp); free(u); free(y); free(yp);
    }
  }
}

/* Spectral rates vs the circulant (time-domain) log-det (SPEC §7.2 item 12): with the
** ortho DFT, logdet(I_CT + a sum_i circ(z_i) circ(z_i)^T) = sum_p logdet(I + a T Sigma(p)). */
static double circ_logdet(const double *z, const int *y, int cls, size_t m, size_t c, size_t t,
                          double a) {
  size_t n = c * t;
  cplx *mm = calloc(n * n, sizeof *mm);
  for (size_t i = 0; i < n; i++) mm[i * n + i] = 1;
  for (size_t s = 0; s < m; s++) {
    if (cls >= 0 && y[s] != cls) continue;
    const double *zs = z + s * c * t;
    for (size_t r1 = 0; r1 < n; r1++)
      for (size_t r2 = 0; r2 < n; r2++) {
        double acc = 0;              /* sum over shifts of circ[r1][sh] circ[r2][sh] */
        for (size_t sh = 0; sh < t; sh++)
          acc += zs[(r1 / t) * t + (r1 % t + t - sh) % t] *
                 zs[(r2 / t) * t + (r2 % t + t - sh) % t];
        mm[r1 * n + r2] += a * acc;
      }
  }
  double ld = host_logdet(mm, n);
  free(mm);
  return ld;
}

static void test_rate_spectral(rdn_ctx *ctx) {
  static const size_t cfg[3][4] = { { 3, 8, 5, 1 }, { 3, 7, 12, 2 }, { 4, 1, 9, 3 } };
  unsigned long long st = 31;
  for (int c0 = 0; c0 < 3; c0++) {
    size_t C = cfg[c0][0], T = cfg[c0][1], m = cfg[c0][2];
    int k = (int)cfg[c0][3];
    double *z = malloc(m * C * T * sizeof *z), *lab = malloc(m * sizeof *lab), e = 0.1;
    int *y = malloc(m * sizeof *y);
    for (size_t i = 0; i < m * C * T; i++) z[i] = th_rand(&st);
    for (size_t i = 0; i < m; i++) lab[i] = y[i] = (int)(i % (size_t)k);
    /* host reference: R = logdet_circ(alpha / T) / (2T), alpha = C / (m e) */
    double R = circ_logdet(z, y, -1, m, C, T, (double)C / ((double)m * e) / (double)T) /
               (2.0 * (double)T), Rc = 0;
    for (int j = 0; j < k; j++) {
      size_t mj = 0;
      for (size_t i = 0; i < m; i++) mj += y[i] == j;
      Rc += (double)mj / (double)m *
            circ_logdet(z, y, j, m, C, T, (double)C / ((double)mj * e) / (double)T) /
            (2.0 * (double)T);
    }
    for (int half = 0; half < 2; half++) {
      size_t F = half ? T / 2 + 1 : T, zs[3] = { m, C, F }, ls[1] = { m };
      cplx *v = malloc(m * C * F * sizeof *v);
      for (size_t i = 0; i < m * C; i++)
        for (size_t p = 0; p < F; p++) {
          cplx s = 0;
          for (size_t tt = 0; tt < T; tt++)
            s += z[i * T + tt] * cexp(-2 * 3.14159265358979323846 * I * (double)(p * tt) / T);
          v[i * F + p] = s / sqrt((double)T);
        }
      rdn_tensor *tz = up(ctx, RDN_C64, 3, zs, v, m * C * F);
      rdn_tensor *tl = th_tensor(ctx, RDN_I32, 1, ls, lab);
      double out[3], lab3[3];
      CHECK_OK(ctx, rdn_mcr2_spectral(ctx, lab3, tz, tl, k, e, T, half));
      memcpy(out, lab3, sizeof out);
      CHECK(fabs(out[1] - R) <= 2e-6 * (1 + R) && fabs(out[2] - Rc) <= 2e-6 * (1 + Rc),
            "spectral C=%zu T=%zu m=%zu %s: R %.9f (circulant %.9f) Rc %.9f (%.9f)", C, T, m,
            half ? "half" : "full", out[1], R, out[2], Rc);
      CHECK_OK(ctx, rdn_mcr2_spectral(ctx, out, tz, NULL, 0, e, T, half));
      CHECK(fabs(out[1] - R) <= 2e-6 * (1 + R) && out[2] == 0, "spectral R only");
      if (T == 1) {           /* reduces to the vector case with d = C */
        double vr[3];
        size_t vs[2] = { m, C };
        rdn_tensor *tv = th_tensor(ctx, RDN_F32, 2, vs, z);
        CHECK_OK(ctx, rdn_mcr2(ctx, vr, tv, tl, k, e));
        CHECK(fabs(vr[0] - lab3[0]) <= 2e-6 && fabs(vr[1] - lab3[1]) <= 2e-6,
              "T = 1 equals the vector rates: %.9f %.9f", vr[0], lab3[0]);
        rdn_tensor_release(tv);
      }
      if (half == 0 && T == 8) {  /* the unnormalised DFT with the same alpha is off by T */
        double unnorm = circ_logdet(z, y, -1, m, C, T, (double)C / ((double)m * e)) / (2.0 * T);
        CHECK(fabs(unnorm - R) > 0.1, "DFT normalisation guard");
        size_t bad = T + 1;
        CHECK_ERR(ctx, rdn_mcr2_spectral(ctx, out, tz, tl, k, e, bad, 0), RDN_EINVAL,
                  "'z' has 8 frequencies, but t = 9 with all frequencies needs 9");
      }
      free(v);
      rdn_tensor_release(tz);
      rdn_tensor_release(tl);
    }
    free(z); free(lab); free(y);
  }
}

static void test_rate_errors(rdn_ctx *ctx) {
  size_t m = 40, d = 6, zs[2] = { m, d }, ls[1] = { m }, l2[1] = { m - 1 };
  double *zh = malloc(m * d * sizeof *zh), lab[40], out[3], r;
  unsigned long long st = 3;
  for (size_t i = 0; i < m * d; i++) zh[i] = th_rand(&st);
  for (size_t i = 0; i < m; i++) lab[i] = (double)(i % 10);
  rdn_tensor *z = th_tensor(ctx, RDN_F32, 2, zs, zh), *y = th_tensor(ctx, RDN_I32, 1, ls, lab);
  rdn_tensor *ys = th_tensor(ctx, RDN_I32, 1, l2, lab), *yf = th_tensor(ctx, RDN_F32, 1, ls, lab);
  CHECK_OK(ctx, rdn_mcr2(ctx, out, z, y, 10, 0.5));
  lab[37] = 12;
  rdn_tensor *yb = th_tensor(ctx, RDN_I32, 1, ls, lab);
  CHECK_ERR(ctx, rdn_mcr2(ctx, out, z, yb, 10, 0.5), RDN_EVALUE,
            "rdn_mcr2: labels out of range: label 12 at sample 37, classes = 10");
  lab[37] = 7;
  lab[3] = -1;
  rdn_tensor *yn = th_tensor(ctx, RDN_I32, 1, ls, lab);
  CHECK_ERR(ctx, rdn_class_rate(ctx, &r, z, yn, 10, 0.5), RDN_EVALUE, "label -1 at sample 3");
  CHECK_ERR(ctx, rdn_class_rate(ctx, &r, z, yn, 0, 0.5), RDN_EVALUE, "label -1 at sample 3");
  double o2[3];
  CHECK_OK(ctx, rdn_mcr2(ctx, o2, z, y, 0, 0.5));             /* k from the labels: 10 */
  CHECK(fabs(o2[0] - out[0]) < 1e-12, "k <= 0 finds k = max label + 1");
  CHECK_ERR(ctx, rdn_mcr2(ctx, out, z, y, 11, 0.5), RDN_EVALUE,
            "empty class: class 10 has no samples (classes = 11, samples = 40)");
  CHECK_ERR(ctx, rdn_mcr2(ctx, out, z, ys, 10, 0.5), RDN_EINVAL,
            "shape mismatch: 40 samples, labels are [39]");
  CHECK_ERR(ctx, rdn_mcr2(ctx, out, z, yf, 10, 0.5), RDN_EINVAL, "labels must be i32, got f32");
  CHECK_ERR(ctx, rdn_mcr2(ctx, out, z, y, 10, 0.0), RDN_EINVAL,
            "'eps_sq' must be finite and > 0, got 0");
  CHECK_ERR(ctx, rdn_coding_rate(ctx, &r, z, -1), RDN_EINVAL, "got -1");
  CHECK_ERR(ctx, rdn_coding_rate(ctx, &r, z, NAN), RDN_EINVAL, "got nan");
  CHECK_ERR(ctx, rdn_coding_rate(ctx, &r, z, INFINITY), RDN_EINVAL, "got inf");
  CHECK_ERR(ctx, rdn_mcr2(ctx, out, y, y, 10, 0.5), RDN_EINVAL, "'z' must be f32, f64 or c64 "
            "[m, d] (rows are samples), got i32 [40]");
  zh[13 * d + 4] = NAN;
  rdn_tensor *zn = th_tensor(ctx, RDN_F32, 2, zs, zh);
  CHECK_ERR(ctx, rdn_mcr2(ctx, out, zn, y, 10, 0.5), RDN_EVALUE,
            "rdn_mcr2: 'z' has nan at sample 13, feature 4");
  zh[13 * d + 4] = 0;
  zh[2 * d + 1] = -INFINITY;
  rdn_tensor *zi = th_tensor(ctx, RDN_F32, 2, zs, zh);
  CHECK_ERR(ctx, rdn_coding_rate(ctx, &r, zi, 0.5), RDN_EVALUE, "'z' has -inf at sample 2, "
            "feature 1");
  size_t s3[3] = { 2, 3, 4 };
  rdn_tensor *z3 = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &z3, RDN_F32, 3, s3));
  CHECK_ERR(ctx, rdn_mcr2_spectral(ctx, out, z3, NULL, 0, 0.5, 4, 1), RDN_EINVAL,
            "'z' must be c64 [m, C, F]");
  rdn_tensor_release(z); rdn_tensor_release(y); rdn_tensor_release(ys); rdn_tensor_release(yf);
  rdn_tensor_release(yb); rdn_tensor_release(yn); rdn_tensor_release(zn); rdn_tensor_release(zi);
  rdn_tensor_release(z3);
  free(zh);
}

int main(void) {
  rdn_ctx *ctx = th_ctx();
  if (!ctx) return th_done();
  has64 = rdn_ctx_device(ctx)->has_fp64;
  test_rate_oracles(ctx);
  test_rate_random(ctx);
  test_rate_spectral(ctx);
  test_rate_errors(ctx);
  rdn_ctx_destroy(ctx);
  return th_done();
}
