/*
** test_linalg.c -- Gram (both sides, batched, per class, views), batched and blocked
** Cholesky, solves, inverse and log-det (also fused: rdn_spd_inverse_logdet, every
** batched path) against float64 host references (linalg_ref.h),
** and every bad-input case of the Gram and Cholesky API.  Rates: test_coding_rate.c.
*/
#include "linalg_ref.h"

/* ---------------------------------------------------------------- gram */

static void test_gram(rdn_ctx *ctx) {
  static const size_t cases[][3] = { { 1, 37, 5 }, { 3, 130, 33 }, { 1, 300, 70 },
                                     { 2, 5, 129 }, { 1, 1, 1 }, { 5, 17, 64 } };
  unsigned long long st = 7;
  for (int t = 0; t < 3; t++) {
    rdn_dtype dt = DTS[t];
    if (dt == RDN_F64 && !has64) continue;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
      size_t nb = cases[c][0], m = cases[c][1], d = cases[c][2];
      size_t nz = nb * m * d, zs[3] = { nb, m, d };
      cplx *z = malloc(nz * sizeof *z);
      for (size_t i = 0; i < nz; i++) z[i] = rnd(dt, &st);
      rdn_tensor *tz = up(ctx, dt, nb > 1 ? 3 : 2, nb > 1 ? zs : zs + 1, z, nz);
      for (int rows = 0; rows < 2; rows++) {
        size_t n = rows ? m : d, gsz[3] = { nb, n, n };
        cplx *ref = malloc(nb * n * n * sizeof *ref);
        gram_ref(ref, z, nb, m, d, rows, 0.5, 2.0);
        rdn_tensor *g = NULL;
        CHECK_OK(ctx, rdn_tensor_new(ctx, &g, dt, nb > 1 ? 3 : 2, nb > 1 ? gsz : gsz + 1));
        CHECK_OK(ctx, rdn_gram(ctx, g, tz, rows ? RDN_GRAM_ROWS : RDN_GRAM_COLS, 0.5, 2.0));
        cplx *got = down(g);
        double e = cerr(got, ref, nb * n * n);
        CHECK(e <= tol(dt, 2e-6), "gram %s b=%zu m=%zu d=%zu %s: err %.3g",
              rdn_dtype_name(dt), nb, m, d, rows ? "rows" : "cols", e);
        free(got);
        free(ref);
        rdn_tensor_release(g);
      }
      rdn_tensor_release(tz);
      free(z);
    }
  }
}

/* Per-class Grams in one pass (2-D and batched, with a label view), their sum, and the
** last-axis-first permutation. */
static void test_gram_classes(rdn_ctx *ctx) {
  unsigned long long st = 11;
  for (int t = 0; t < 3; t++) {
    rdn_dtype dt = DTS[t];
    if (dt == RDN_F64 && !has64) continue;
    size_t nb = t == 2 ? 3 : 1, m = 301, d = 45, k = 4, nz = nb * m * d;
    size_t zs[3] = { nb, m, d }, gsz[4] = { k, nb, d, d }, ls[1] = { m + 2 };
    cplx *z = malloc(nz * sizeof *z);
    double *lab = malloc((m + 2) * sizeof *lab), alpha[4] = { 0.5, 2, 1, 3 };
    for (size_t i = 0; i < nz; i++) z[i] = rnd(dt, &st);
    for (size_t i = 0; i < m + 2; i++) lab[i] = (double)((i * 7 + i / 3) % k);
    rdn_tensor *tz = up(ctx, dt, nb > 1 ? 3 : 2, nb > 1 ? zs : zs + 1, z, nz);
    rdn_tensor *tl = th_tensor(ctx, RDN_I32, 1, ls, lab), *lv = NULL, *g = NULL, *w = NULL;
    CHECK_OK(ctx, rdn_tensor_rows(&lv, tl, 2, m));        /* labels from a view */
    size_t g2[3] = { k, d, d };
    CHECK_OK(ctx, rdn_tensor_new(ctx, &g, dt, nb > 1 ? 4 : 3, nb > 1 ? gsz : g2));
    CHECK_OK(ctx, rdn_gram_classes(ctx, g, tz, lv, (int)k, alpha, 0.25));
    cplx *got = down(g), *ref = calloc(k * nb * d * d, sizeof *ref);
    for (size_t b = 0; b < nb; b++)
      for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
          for (size_t r = 0; r < m; r++) {
            size_t c = (size_t)lab[r + 2];
            ref[((c * nb + b) * d + i) * d + j] +=
                alpha[c] * conj(z[(b * m + r) * d + i]) * z[(b * m + r) * d + j];
          }
          for (size_t c = 0; c < k; c++) ref[((c * nb + b) * d + i) * d + j] += i == j ? 0.25 : 0;
        }
    double e = cerr(got, ref, k * nb * d * d);
    CHECK(e <= tol(dt, 2e-6), "gram_classes %s b=%zu: err %.3g", rdn_dtype_name(dt), nb, e);
    /* the whole Gram is the sum of the raw class Grams */
    CHECK_OK(ctx, rdn_gram_classes(ctx, g, tz, lv, (int)k, NULL, 0));
    CHECK_OK(ctx, rdn_tensor_new(ctx, &w, dt, nb > 1 ? 3 : 2, nb > 1 ? gsz + 1 : gsz + 2));
    CHECK_OK(ctx, rdn_gram_sum(ctx, w, g, 1.0, 0.0));
    cplx *sum = down(w), *whole = malloc(nb * d * d * sizeof *whole);
    gram_ref(whole, z, nb, m, d, 0, 1.0, 0.0);
    e = cerr(sum, whole, nb * d * d);
    CHECK(e <= tol(dt, 2e-6), "gram_sum %s: err %.3g", rdn_dtype_name(dt), e);
    free(sum); free(whole); free(got); free(ref); free(z); free(lab);
    rdn_tensor_release(tz); rdn_tensor_release(tl); rdn_tensor_release(lv);
    rdn_tensor_release(g); rdn_tensor_release(w);
  }
  /* [m, C, F] -> [F, m, C] from a view */
  size_t s3[3] = { 4, 3, 5 }, o3[3] = { 5, 4, 3 }, n = 60;
  cplx v[120];
  for (size_t i = 0; i < 120; i++) v[i] = (double)i + I * (double)(1000 - i);
  size_t s4[3] = { 8, 3, 5 };
  rdn_tensor *t = up(ctx, RDN_C64, 3, s4, v, 120), *tv = NULL, *o = NULL;
  CHECK_OK(ctx, rdn_tensor_rows(&tv, t, 4, 4));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &o, RDN_C64, 3, o3));
  CHECK_OK(ctx, rdn_last_axis_first(ctx, o, tv));
  cplx *r = down(o);
  int ok = 1;
  for (size_t f = 0; f < 5; f++)
    for (size_t i = 0; i < 4; i++)
      for (size_t c = 0; c < 3; c++) ok &= r[(f * 4 + i) * 3 + c] == v[n + (i * 3 + c) * 5 + f];
  CHECK(ok, "last_axis_first [4 x 3 x 5] view");
  CHECK_ERR(ctx, rdn_last_axis_first(ctx, tv, o), RDN_EINVAL, "'out' must be 'in' c64 [5 x 4 x 3] "
            "with its last axis moved first, got c64 [4 x 3 x 5]");
  (void)s3;
  free(r);
  rdn_tensor_release(t); rdn_tensor_release(tv); rdn_tensor_release(o);
}

/* ------------------------------------------------------------ cholesky */

/* max |A X - I| for Hermitian A, X */
static double inv_resid(const cplx *a, const cplx *x, size_t n) {
  double w = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++) {
      cplx s = 0;
      for (size_t k = 0; k < n; k++) s += a[i * n + k] * x[k * n + j];
      w = fmax(w, cabs(s - (i == j ? 1 : 0)));
    }
  return w;
}

/* Factor, log-det and inverse of a batch through the public API, vs the host.  The
** batch sits in a rows view (offset 1 matrix) of a larger tensor. */
static void chol_case(rdn_ctx *ctx, rdn_dtype dt, size_t nmat, size_t n, const char *path) {
  size_t shp[3] = { nmat + 1, n, n }, one = n * n;
  cplx *a = spd_batch(dt, nmat + 1, n, 1000 + n * 7 + nmat);
  rdn_tensor *t = up(ctx, dt, 3, shp, a, (nmat + 1) * one), *v = NULL, *w = NULL;
  CHECK_OK(ctx, rdn_tensor_rows(&v, t, 1, nmat));
  double *ld = malloc(nmat * sizeof *ld);
  CHECK_OK(ctx, rdn_spd_logdet(ctx, ld, nmat, v));
  cplx *l = down(t);
  double el = 0, eg = 0, ei = 0;
  for (size_t m = 0; m < nmat; m++) {
    cplx *h = malloc(one * sizeof *h);
    memcpy(h, a + (m + 1) * one, one * sizeof *h);
    host_chol(h, n);
    el = fmax(el, cerr(l + (m + 1) * one, h, one));
    double want = 0;
    for (size_t i = 0; i < n; i++) want += 2 * log(creal(h[i * n + i]));
    eg = fmax(eg, fabs(ld[m] - want) / (1 + fabs(want)));
    free(h);
  }
  CHECK(cerr(l, a, one) <= 1e-7, "%s %s n=%zu: matrix before the view untouched",
        rdn_dtype_name(dt), path, n);
  /* inverse from the factor, and the fused potrf + potri on a fresh copy */
  CHECK_OK(ctx, rdn_chol_inverse(ctx, v));
  cplx *x = down(t);
  rdn_tensor *u = up(ctx, dt, 3, shp, a, (nmat + 1) * one);
  CHECK_OK(ctx, rdn_tensor_rows(&w, u, 1, nmat));
  CHECK_OK(ctx, rdn_spd_inverse(ctx, w));
  cplx *y = down(u);
  for (size_t m = 1; m <= nmat; m++) {
    ei = fmax(ei, inv_resid(a + m * one, x + m * one, n));
    ei = fmax(ei, inv_resid(a + m * one, y + m * one, n));
  }
  CHECK(el <= tol(dt, 2e-5) && eg <= tol(dt, 1e-5) && ei <= tol(dt, 5e-5) * 100,
        "%s %s n=%zu b=%zu: L err %.3g, logdet err %.3g, |A X - I| %.3g", rdn_dtype_name(dt),
        path, n, nmat, el, eg, ei);
  free(a); free(l); free(x); free(y); free(ld);
  rdn_tensor_release(v); rdn_tensor_release(w);
  rdn_tensor_release(t); rdn_tensor_release(u);
}

static void test_chol_small(rdn_ctx *ctx) {
  static const char *paths[4] = { "local", "lanes", "item", "group" };
  for (int t = 0; t < 3; t++) {
    rdn_dtype dt = DTS[t];
    if (dt == RDN_F64 && !has64) continue;
    for (int p = 0; p < 4; p++) {
      setenv("RDN_CHOL", paths[p], 1);
      for (size_t n = 1; n <= 64; n++) {
        /* every size on the CPU path; a spread of sizes on the others */
        if (p > 1 && !(n <= 3 || n == 8 || n == 15 || n == 16 || n == 17 || n == 31 || n == 64))
          continue;
        size_t nmat = n % 5 == 0 ? 33 : 1 + 2 * (n % 4);
        chol_case(ctx, dt, nmat, n, paths[p]);
      }
      /* 65..128 (batched since the spectral ReduNet's C = 75): odd batch counts */
      static const size_t big[5] = { 65, 75, 97, 127, 128 };
      for (int i = 0; i < 5; i++)
        if (p < 2 || big[i] == 65 || big[i] == 128) chol_case(ctx, dt, 1 + 2 * (size_t)i,
                                                              big[i], paths[p]);
    }
  }
  /* several launches (RDN_CHOL_BATCH matrices each): the failure index counts from the
  ** whole batch */
  setenv("RDN_CHOL_BATCH", "4", 1);
  chol_case(ctx, RDN_C64, 11, 75, "lanes, 4 per launch");
  chol_case(ctx, RDN_F32, 9, 21, "lanes, 4 per launch");
  unsetenv("RDN_CHOL_BATCH");
  unsetenv("RDN_CHOL");
}

/* Host inverse in double from a copy of the Hermitian PD a (n^3: column solves). */
static void host_inverse(cplx *x, const cplx *a, size_t n) {
  cplx *l = malloc(n * n * sizeof *l), *y = malloc(n * sizeof *y);
  memcpy(l, a, n * n * sizeof *l);
  host_chol(l, n);
  for (size_t c = 0; c < n; c++) {
    for (size_t i = 0; i < n; i++) {             /* L y = e_c */
      cplx s = i == c ? 1 : 0;
      for (size_t k = 0; k < i; k++) s -= l[i * n + k] * y[k];
      y[i] = s / l[i * n + i];
    }
    for (size_t i = n; i-- > 0;) {               /* L^H x = y */
      cplx s = y[i];
      for (size_t k = i + 1; k < n; k++) s -= conj(l[k * n + i]) * x[k * n + c];
      x[i * n + c] = s / l[i * n + i];
    }
  }
  free(l);
  free(y);
}

/* rdn_spd_inverse_logdet on nmat matrices in a rows view (offset 1 matrix, one matrix
** after it) vs the float64 host inverse and log-det; the neighbours stay untouched. */
static void fused_case(rdn_ctx *ctx, rdn_dtype dt, size_t nmat, size_t n, const char *path) {
  size_t shp[3] = { nmat + 2, n, n }, one = n * n;
  cplx *a = spd_batch(dt, nmat + 2, n, 77 + n * 3 + nmat), *x = malloc(one * sizeof *x);
  rdn_tensor *t = up(ctx, dt, 3, shp, a, (nmat + 2) * one), *v = NULL;
  CHECK_OK(ctx, rdn_tensor_rows(&v, t, 1, nmat));
  double *ld = malloc(nmat * sizeof *ld), ei = 0, eg = 0;
  CHECK_OK(ctx, rdn_spd_inverse_logdet(ctx, v, ld, nmat));
  cplx *r = down(t);
  for (size_t m = 1; m <= nmat; m++) {
    host_inverse(x, a + m * one, n);
    ei = fmax(ei, cerr(r + m * one, x, one));
    memcpy(x, a + m * one, one * sizeof *x);
    double want = host_logdet(x, n);
    eg = fmax(eg, fabs(ld[m - 1] - want) / (1 + fabs(want)));
  }
  CHECK(cerr(r, a, one) <= 1e-7 && cerr(r + (nmat + 1) * one, a + (nmat + 1) * one, one) <=
        1e-7, "fused %s %s n=%zu: matrices around the view untouched", rdn_dtype_name(dt), path,
        n);
  CHECK(ei <= tol(dt, 2e-5) * 10 && eg <= tol(dt, 1e-5), "fused %s %s n=%zu b=%zu: inverse "
        "err %.3g, logdet err %.3g", rdn_dtype_name(dt), path, n, nmat, ei, eg);
  free(a); free(x); free(r); free(ld);
  rdn_tensor_release(v); rdn_tensor_release(t);
}

/* A batch of n = 35 with matrix 17 indefinite (pivot 3 exactly -2) or NaN (pivot 4). */
static void fused_fail(rdn_ctx *ctx, const char *path, int nan) {
  size_t n = 35, nmat = 33, one = n * n, shp[3] = { nmat + 1, n, n };
  cplx *a = spd_batch(RDN_C64, nmat + 1, n, 9), *m = a + 18 * one;
  if (nan) {
    m[4 * n + 1] = NAN;
    m[1 * n + 4] = NAN;
  } else {
    for (size_t i = 0; i < n; i++) m[3 * n + i] = m[i * n + 3] = 0;
    m[3 * n + 3] = -2;
  }
  rdn_tensor *t = up(ctx, RDN_C64, 3, shp, a, (nmat + 1) * one), *v = NULL;
  CHECK_OK(ctx, rdn_tensor_rows(&v, t, 1, nmat));
  double ld[33];
  CHECK_ERR(ctx, rdn_spd_inverse_logdet(ctx, v, ld, nmat), RDN_ENUMERIC, nan ?
            "rdn_spd_inverse_logdet: matrix 17 is not positive definite: pivot 4 (0-based, "
            "n = 35) is nan" : "rdn_spd_inverse_logdet: matrix 17 is not positive definite: "
            "pivot 3 (0-based, n = 35) is -2");
  double *r = th_read(t);
  int finite = 1;
  for (size_t i = 0; !nan && i < 2 * (nmat + 1) * one; i++) finite &= isfinite(r[i]);
  CHECK(finite, "fused %s: a failed factorisation leaves finite values", path);
  free(r);
  free(a);
  rdn_tensor_release(v); rdn_tensor_release(t);
}

static void test_fused(rdn_ctx *ctx) {
  static const char *paths[4] = { "local", "lanes", "item", "group" };
  static const size_t ns[6] = { 1, 2, 5, 35, 75, 128 };
  for (int t = 0; t < 3; t++) {
    rdn_dtype dt = DTS[t];
    if (dt == RDN_F64 && !has64) continue;
    for (int p = 0; p < 4; p++) {
      setenv("RDN_CHOL", paths[p], 1);
      for (int i = 0; i < 6; i++) {
        size_t n = ns[i], nmat = n <= 5 ? 33 : n == 35 ? 17 : 3;
        if (p >= 2 && n == 75 && dt != RDN_C64) continue;        /* GPU paths: fewer */
        fused_case(ctx, dt, nmat, n, paths[p]);
      }
    }
  }
  for (int p = 0; p < 4; p++) {
    setenv("RDN_CHOL", paths[p], 1);
    fused_fail(ctx, paths[p], 0);
    fused_fail(ctx, paths[p], 1);
  }
  unsetenv("RDN_CHOL");
  setenv("RDN_CHOL_BATCH", "5", 1);                   /* matrix 17 in the fourth launch */
  fused_fail(ctx, "5 per launch", 0);
  fused_case(ctx, RDN_C64, 13, 35, "5 per launch");
  unsetenv("RDN_CHOL_BATCH");
  fused_case(ctx, RDN_C64, 1, 150, "blocked");     /* n > 128: blocked path + log-det */
  /* rdn_spd_logdet (factor and log-dets in one kernel) on the same kind of batch */
  size_t n = 75, nmat = 19, one = n * n, shp[3] = { nmat, n, n };
  cplx *a = spd_batch(RDN_C64, nmat, n, 5), *h = malloc(one * sizeof *h);
  rdn_tensor *tl = up(ctx, RDN_C64, 3, shp, a, nmat * one);
  double ld[19], eg = 0;
  CHECK_OK(ctx, rdn_spd_logdet(ctx, ld, nmat, tl));
  for (size_t m = 0; m < nmat; m++) {
    memcpy(h, a + m * one, one * sizeof *h);
    double want = host_logdet(h, n);
    eg = fmax(eg, fabs(ld[m] - want) / (1 + fabs(want)));
  }
  CHECK(eg <= 1e-5, "spd_logdet c64 n=75 b=19: logdet err %.3g", eg);
  CHECK_ERR(ctx, rdn_spd_inverse_logdet(ctx, tl, ld, 18), RDN_EINVAL,
            "rdn_spd_inverse_logdet: 'logdet' must hold 19 values, got 18");
  CHECK_ERR(ctx, rdn_spd_inverse_logdet(ctx, tl, NULL, 19), RDN_EINVAL,
            "'logdet' must hold 19 values, got 0");
  CHECK_ERR(ctx, rdn_spd_inverse_logdet(ctx, NULL, ld, 19), RDN_EINVAL,
            "rdn_spd_inverse_logdet: 'a' is NULL");
  free(a); free(h);
  rdn_tensor_release(tl);
}

/* Large Hermitian positive definite: diagonally dominant-ish D + R (cond ~ 10). */
static cplx *spd_large(rdn_dtype dt, size_t n, unsigned long long seed) {
  cplx *a = malloc(n * n * sizeof *a);
  double rad = 2.5 * sqrt(n / 3.0) * (dt == RDN_C64 ? 1.5 : 1);
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j <= i; j++) {
      cplx v = i == j ? rad * (1 + (double)(i % 5)) + 1 : rnd(dt, &seed);
      a[i * n + j] = v;
      a[j * n + i] = conj(v);
    }
  return a;
}

/* b (n x r) -> A^-1 b on the host from the host factor L */
static void host_solve(const cplx *l, cplx *b, size_t n, size_t r, int mode) {
  for (size_t c = 0; c < r; c++) {
    if (mode & 1)
      for (size_t i = 0; i < n; i++) {
        cplx s = b[i * r + c];
        for (size_t k = 0; k < i; k++) s -= l[i * n + k] * b[k * r + c];
        b[i * r + c] = s / l[i * n + i];
      }
    if (mode & 2)
      for (size_t i = n; i-- > 0;) {
        cplx s = b[i * r + c];
        for (size_t k = i + 1; k < n; k++) s -= conj(l[k * n + i]) * b[k * r + c];
        b[i * r + c] = s / l[i * n + i];
      }
  }
}

static void large_case(rdn_ctx *ctx, rdn_dtype dt, size_t n, int extra) {
  size_t shp[2] = { n, n }, nn = n * n, r = 19, bs[2] = { n, r };
  cplx *a = spd_large(dt, n, 99 + n), *h = malloc(nn * sizeof *h);
  memcpy(h, a, nn * sizeof *h);
  host_chol(h, n);
  rdn_tensor *t = up(ctx, dt, 2, shp, a, nn);
  CHECK_OK(ctx, rdn_cholesky(ctx, t));
  cplx *l = down(t);
  double e = cerr(l, h, nn);
  CHECK(e <= tol(dt, 3e-6), "large %s n=%zu: L err %.3g", rdn_dtype_name(dt), n, e);
  double ld, want = 0;
  for (size_t i = 0; i < n; i++) want += 2 * log(creal(h[i * n + i]));
  CHECK_OK(ctx, rdn_chol_logdet(ctx, &ld, 1, t));
  CHECK(fabs(ld - want) <= tol(dt, 1e-6) * (1 + fabs(want)), "large %s n=%zu: logdet %.10g, "
        "host %.10g", rdn_dtype_name(dt), n, ld, want);
  if (extra) {
    /* solves with 3 right-hand sides, each triangular solve, then the inverse */
    unsigned long long st = 5;
    cplx *b = malloc(n * r * sizeof *b), *hb = malloc(n * r * sizeof *hb);
    for (size_t i = 0; i < n * r; i++) b[i] = rnd(dt, &st);
    static const rdn_trans tr[3] = { RDN_NOTRANS, RDN_CONJTRANS, RDN_NOTRANS };
    for (int mode = 1; mode <= 3; mode++) {
      memcpy(hb, b, n * r * sizeof *hb);
      host_solve(h, hb, n, r, mode);
      rdn_tensor *tb = up(ctx, dt, 2, bs, b, n * r);
      CHECK_OK(ctx, mode == 3 ? rdn_chol_solve(ctx, tb, t) : rdn_trsm(ctx, tb, t, tr[mode - 1]));
      cplx *got = down(tb);
      double es = cerr(got, hb, n * r);
      CHECK(es <= tol(dt, 2e-5), "large %s n=%zu: solve mode %d err %.3g", rdn_dtype_name(dt),
            n, mode, es);
      free(got);
      rdn_tensor_release(tb);
    }
    CHECK_OK(ctx, rdn_chol_inverse(ctx, t));
    cplx *x = down(t);
    double ei = inv_resid(a, x, n);
    CHECK(ei <= tol(dt, 1e-4), "large %s n=%zu: |A X - I| %.3g", rdn_dtype_name(dt), n, ei);
    free(x);
    free(b);
    free(hb);
  }
  rdn_tensor_release(t);
  free(a);
  free(h);
  free(l);
}

static void test_chol_large(rdn_ctx *ctx) {
  static const size_t ns[6] = { 1, 7, 255, 256, 257, 1000 };
  for (int i = 0; i < 6; i++) large_case(ctx, RDN_F32, ns[i], ns[i] == 257 || ns[i] == 7);
  if (has64) large_case(ctx, RDN_F64, 255, 1);
  large_case(ctx, RDN_C64, 200, 1);
  /* a batch of large matrices in a view: [3, 100, 100] rows 1..2 */
  size_t n = 100, shp[3] = { 3, n, n };
  cplx *a = malloc(3 * n * n * sizeof *a);
  for (int w = 0; w < 3; w++) {
    cplx *m = spd_large(RDN_F32, n, 7 + w);
    memcpy(a + w * n * n, m, n * n * sizeof *m);
    free(m);
  }
  rdn_tensor *t = up(ctx, RDN_F32, 3, shp, a, 3 * n * n), *v = NULL;
  CHECK_OK(ctx, rdn_tensor_rows(&v, t, 1, 2));
  double ld[2];
  CHECK_OK(ctx, rdn_spd_logdet(ctx, ld, 2, v));
  cplx *l = down(t);
  double e = cerr(l, a, n * n);
  for (int w = 1; w < 3; w++) {
    host_chol(a + w * n * n, n);
    e = fmax(e, cerr(l + w * n * n, a + w * n * n, n * n));
  }
  CHECK(e <= 3e-6, "batched large f32 n=100 in a view: err %.3g", e);
  free(l);
  free(a);
  rdn_tensor_release(v);
  rdn_tensor_release(t);
}

/* Batched small solves: b [nb, n, r] with l [nb, n, n], every mode, vs the host. */
static void test_solve_small(rdn_ctx *ctx) {
  for (int t = 0; t < 3; t++) {
    rdn_dtype dt = DTS[t];
    if (dt == RDN_F64 && !has64) continue;
    size_t nb = 3, n = 17, r = 21, ls[3] = { nb, n, n }, bs[3] = { nb, n, r };
    cplx *a = spd_batch(dt, nb, n, 55), *b = malloc(nb * n * r * sizeof *b);
    unsigned long long st = 8;
    for (size_t i = 0; i < nb * n * r; i++) b[i] = rnd(dt, &st);
    rdn_tensor *tl = up(ctx, dt, 3, ls, a, nb * n * n);
    CHECK_OK(ctx, rdn_cholesky(ctx, tl));
    for (size_t w = 0; w < nb; w++) host_chol(a + w * n * n, n);
    for (int mode = 1; mode <= 3; mode++) {
      cplx *hb = malloc(nb * n * r * sizeof *hb);
      memcpy(hb, b, nb * n * r * sizeof *hb);
      for (size_t w = 0; w < nb; w++) host_solve(a + w * n * n, hb + w * n * r, n, r, mode);
      rdn_tensor *tb = up(ctx, dt, 3, bs, b, nb * n * r);
      CHECK_OK(ctx, mode == 3 ? rdn_chol_solve(ctx, tb, tl)
                              : rdn_trsm(ctx, tb, tl, mode == 1 ? RDN_NOTRANS : RDN_CONJTRANS));
      cplx *got = down(tb);
      double e = cerr(got, hb, nb * n * r);
      CHECK(e <= tol(dt, 1e-5), "%s batched solve mode %d: err %.3g", rdn_dtype_name(dt), mode,
            e);
      free(got);
      free(hb);
      rdn_tensor_release(tb);
    }
    free(a);
    free(b);
    rdn_tensor_release(tl);
  }
}

/* Non-positive pivots and bad arguments. */
static void test_chol_errors(rdn_ctx *ctx) {
  size_t n = 6, shp[3] = { 5, n, n }, nn = n * n;
  cplx *a = spd_batch(RDN_F32, 5, n, 3);
  for (size_t i = 0; i < n; i++) a[2 * nn + i * n + i] = -1.0;   /* matrix 2 indefinite */
  const char *paths[4] = { "local", "lanes", "item", "group" };
  for (int p = 0; p < 4; p++) {
    setenv("RDN_CHOL", paths[p], 1);
    rdn_tensor *t = up(ctx, RDN_F32, 3, shp, a, 5 * nn);
    CHECK_ERR(ctx, rdn_cholesky(ctx, t), RDN_ENUMERIC,
              "rdn_cholesky: matrix 2 is not positive definite: pivot 0 (0-based, n = 6) is -1");
    double *r = th_read(t);
    int finite = 1;
    for (size_t i = 0; i < 5 * nn; i++) finite &= isfinite(r[i]);
    CHECK(finite, "%s: a failed factorisation leaves finite values", paths[p]);
    free(r);
    rdn_tensor_release(t);
  }
  unsetenv("RDN_CHOL");
  setenv("RDN_CHOL_BATCH", "2", 1);                 /* matrix 2 is in the second launch */
  rdn_tensor *tc = up(ctx, RDN_F32, 3, shp, a, 5 * nn);
  CHECK_ERR(ctx, rdn_cholesky(ctx, tc), RDN_ENUMERIC,
            "rdn_cholesky: matrix 2 is not positive definite: pivot 0 (0-based, n = 6) is -1");
  rdn_tensor_release(tc);
  unsetenv("RDN_CHOL_BATCH");
  cplx *b = spd_batch(RDN_C64, 5, n, 4);
  b[3 * nn + 4 * n + 1] = NAN;
  b[3 * nn + 1 * n + 4] = NAN;
  rdn_tensor *t = up(ctx, RDN_C64, 3, shp, b, 5 * nn);
  CHECK_ERR(ctx, rdn_spd_inverse(ctx, t), RDN_ENUMERIC, "matrix 3 is not positive definite: "
            "pivot 4 (0-based, n = 6) is nan");
  rdn_tensor_release(t);
  size_t big = 300, bs[2] = { big, big };
  cplx *c = spd_large(RDN_F32, big, 8);
  c[150 * big + 150] = -2;
  t = up(ctx, RDN_F32, 2, bs, c, big * big);
  CHECK_ERR(ctx, rdn_cholesky(ctx, t), RDN_ENUMERIC, "rdn_cholesky: matrix 0 is not positive "
            "definite: pivot 150 (0-based, n = 300) is");
  rdn_tensor_release(t);
  free(a); free(b); free(c);
  /* arguments */
  size_t s23[2] = { 2, 3 }, s1[1] = { 4 }, s33[2] = { 3, 3 }, s32[2] = { 4, 2 };
  rdn_tensor *x = NULL, *y = NULL, *z = NULL, *q = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &x, RDN_F32, 2, s23));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &y, RDN_F32, 1, s1));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &z, RDN_I32, 2, s33));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &q, RDN_F32, 2, s33));
  CHECK_OK(ctx, rdn_tensor_fill(q, 1.0));
  double ld[2];
  CHECK_ERR(ctx, rdn_cholesky(ctx, x), RDN_EINVAL, "'a' must be square [n, n] or [b, n, n], "
            "got [2 x 3]");
  CHECK_ERR(ctx, rdn_cholesky(ctx, y), RDN_EINVAL, "got [4]");
  CHECK_ERR(ctx, rdn_cholesky(ctx, z), RDN_EINVAL, "'a' must be f32, f64 or c64, got i32");
  CHECK_ERR(ctx, rdn_cholesky(ctx, NULL), RDN_EINVAL, "'a' is NULL");
  CHECK_ERR(ctx, rdn_chol_logdet(ctx, ld, 2, q), RDN_EINVAL, "'out' must hold 1 values, got 2");
  CHECK_ERR(ctx, rdn_chol_solve(ctx, x, q), RDN_EINVAL, "shape mismatch: l is f32 [3 x 3], b "
            "is f32 [2 x 3]");
  rdn_tensor *w = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &w, RDN_F32, 2, s32));
  CHECK_ERR(ctx, rdn_trsm(ctx, w, q, (rdn_trans)7), RDN_EINVAL, "bad transpose flag: 7");
  CHECK_ERR(ctx, rdn_cholesky(ctx, q), RDN_ENUMERIC, "pivot 1 (0-based, n = 3) is 0");
  rdn_tensor_release(w);
  rdn_tensor_release(x); rdn_tensor_release(y); rdn_tensor_release(z); rdn_tensor_release(q);
}

/* Both sides of the Gram identity: logdet(I + a Z^H Z) = logdet(I + a Z Z^H). */
static void test_gram_sides(rdn_ctx *ctx) {
  for (int t = 0; t < 3; t++) {
    rdn_dtype dt = DTS[t];
    if (dt == RDN_F64 && !has64) continue;
    size_t m = 23, d = 41, zs[2] = { m + 2, d }, cs[2] = { d, d }, rs[2] = { m, m };
    unsigned long long st = 9;
    cplx *z = malloc((m + 2) * d * sizeof *z);
    for (size_t i = 0; i < (m + 2) * d; i++) z[i] = rnd(dt, &st);
    rdn_tensor *tf = up(ctx, dt, 2, zs, z, (m + 2) * d), *tz = NULL, *gc = NULL, *gr = NULL;
    CHECK_OK(ctx, rdn_tensor_rows(&tz, tf, 2, m));          /* z is a view (offset) */
    cplx *ref = malloc(d * d * sizeof *ref);
    gram_ref(ref, z + 2 * d, 1, m, d, 0, 0.3, 1.0);
    double want = host_logdet(ref, d);
    CHECK_OK(ctx, rdn_tensor_new(ctx, &gc, dt, 2, cs));
    CHECK_OK(ctx, rdn_tensor_new(ctx, &gr, dt, 2, rs));
    CHECK_OK(ctx, rdn_gram(ctx, gc, tz, RDN_GRAM_COLS, 0.3, 1.0));
    CHECK_OK(ctx, rdn_gram(ctx, gr, tz, RDN_GRAM_ROWS, 0.3, 1.0));
    double a, b;
    CHECK_OK(ctx, rdn_spd_logdet(ctx, &a, 1, gc));
    CHECK_OK(ctx, rdn_spd_logdet(ctx, &b, 1, gr));
    CHECK(fabs(a - b) <= tol(dt, 2e-6) * (1 + fabs(a)) &&
          fabs(a - want) <= tol(dt, 2e-6) * (1 + fabs(a)), "%s gram sides of a view: %.9f vs "
          "%.9f (host %.9f)", rdn_dtype_name(dt), a, b, want);
    free(z);
    free(ref);
    rdn_tensor_release(tz); rdn_tensor_release(tf);
    rdn_tensor_release(gc); rdn_tensor_release(gr);
  }
}

int main(void) {
  rdn_ctx *ctx = th_ctx();
  if (!ctx) return th_done();
  has64 = rdn_ctx_device(ctx)->has_fp64;
  test_gram(ctx);
  test_gram_classes(ctx);
  test_chol_small(ctx);
  test_fused(ctx);
  test_chol_large(ctx);
  test_solve_small(ctx);
  test_chol_errors(ctx);
  test_gram_sides(ctx);
  rdn_ctx_destroy(ctx);
  return th_done();
}
