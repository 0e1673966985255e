/*
** test_linalg.c -- Gram (both sides, batched, per class, views), batched and blocked
** Cholesky, solves, inverse and log-det against float64 host references, the coding
** rate oracles of SPEC §7.1/§7.2, and every bad-input case of the linear algebra API.
*/
#include "harness.h"
#include <complex.h>
#include <stdlib.h>
#include <string.h>

typedef double complex cplx;
static const rdn_dtype DTS[3] = { RDN_F32, RDN_F64, RDN_C64 };
static int has64;

/* Relative tolerance by dtype, for well-conditioned problems of moderate size. */
static double tol(rdn_dtype dt, double f32) { return dt == RDN_F64 ? 1e-11 : f32; }

/* Uploads n complex values (real dtypes take the real part). */
static rdn_tensor *up(rdn_ctx *ctx, rdn_dtype dt, int nd, const size_t *shape, const cplx *v,
                      size_t n) {
  double *h = malloc(2 * n * sizeof *h);
  for (size_t i = 0; i < n; i++) {
    if (dt == RDN_C64) {
      h[2 * i] = creal(v[i]);
      h[2 * i + 1] = cimag(v[i]);
    } else {
      h[i] = creal(v[i]);
    }
  }
  rdn_tensor *t = th_tensor(ctx, dt, nd, shape, h);
  free(h);
  return t;
}

/* Downloads as complex values (n = numel). */
static cplx *down(rdn_tensor *t) {
  size_t n = rdn_tensor_numel(t);
  double *h = th_read(t);
  cplx *v = malloc(n * sizeof *v);
  for (size_t i = 0; i < n; i++)
    v[i] = rdn_tensor_dtype(t) == RDN_C64 ? h[2 * i] + I * h[2 * i + 1] : h[i];
  free(h);
  return v;
}

/* max |a - b| / max |b| over n complex values */
static double cerr(const cplx *a, const cplx *b, size_t n) {
  double w = 0, s = 1e-300;
  for (size_t i = 0; i < n; i++) s = fmax(s, cabs(b[i]));
  for (size_t i = 0; i < n; i++) {
    double d = cabs(a[i] - b[i]) / s;
    if (!(d <= w)) w = d;
  }
  return w;
}

static cplx rnd(rdn_dtype dt, unsigned long long *st) {
  double re = th_rand(st);
  return dt == RDN_C64 ? re + I * th_rand(st) : re;
}

/* ---------------------------------------------------------------- gram */

/* ref[b][i][j] = alpha sum_s conj(z[b][s][i]) z[b][s][j] + diag (COLS), or the rows. */
static void gram_ref(cplx *g, const cplx *z, size_t nb, size_t m, size_t d, int rows,
                     double alpha, double diag) {
  size_t n = rows ? m : d;
  for (size_t b = 0; b < nb; b++)
    for (size_t i = 0; i < n; i++)
      for (size_t j = 0; j < n; j++) {
        cplx s = 0;
        const cplx *zb = z + b * m * d;
        if (rows)
          for (size_t f = 0; f < d; f++) s += zb[i * d + f] * conj(zb[j * d + f]);
        else
          for (size_t r = 0; r < m; r++) s += conj(zb[r * d + i]) * zb[r * d + j];
        g[(b * n + i) * n + j] = alpha * s + (i == j ? diag : 0);
      }
}

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

/* nmat Hermitian positive definite [n, n]: B B^H / n + I / 2, B uniform (cond < ~10). */
static cplx *spd_batch(rdn_dtype dt, size_t nmat, size_t n, unsigned long long seed) {
  cplx *a = calloc(nmat * n * n, sizeof *a), *bm = malloc(n * n * sizeof *bm);
  for (size_t w = 0; w < nmat; w++) {
    for (size_t i = 0; i < n * n; i++) bm[i] = rnd(dt, &seed);
    cplx *aw = a + w * n * n;
    for (size_t i = 0; i < n; i++)
      for (size_t j = 0; j <= i; j++) {
        cplx s = 0;
        for (size_t k = 0; k < n; k++) s += bm[i * n + k] * conj(bm[j * n + k]);
        s = s / (double)n + (i == j ? 0.5 : 0);
        if (i == j) s = creal(s);
        aw[i * n + j] = s;
        aw[j * n + i] = conj(s);
      }
  }
  free(bm);
  return a;
}

/* Host Cholesky in double (lower, upper zeroed); returns 0 or failing pivot + 1. */
static int host_chol(cplx *a, size_t n) {
  for (size_t j = 0; j < n; j++) {
    double d = creal(a[j * n + j]);
    for (size_t k = 0; k < j; k++) d -= creal(a[j * n + k] * conj(a[j * n + k]));
    if (!(d > 0)) return (int)j + 1;
    double l = sqrt(d);
    a[j * n + j] = l;
    for (size_t i = j + 1; i < n; i++) {
      cplx s = a[i * n + j];
      for (size_t k = 0; k < j; k++) s -= a[i * n + k] * conj(a[j * n + k]);
      a[i * n + j] = s / l;
      a[j * n + i] = 0;
    }
  }
  return 0;
}

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
  static const char *paths[3] = { "lanes", "item", "group" };
  for (int t = 0; t < 3; t++) {
    rdn_dtype dt = DTS[t];
    if (dt == RDN_F64 && !has64) continue;
    for (int p = 0; p < 3; p++) {
      setenv("RDN_CHOL", paths[p], 1);
      for (size_t n = 1; n <= 64; n++) {
        /* every size on the CPU path; a spread of sizes on the others */
        if (p && !(n <= 3 || n == 8 || n == 15 || n == 16 || n == 17 || n == 31 || n == 64))
          continue;
        size_t nmat = n % 5 == 0 ? 33 : 1 + 2 * (n % 4);
        chol_case(ctx, dt, nmat, n, paths[p]);
      }
    }
  }
  unsetenv("RDN_CHOL");
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
  size_t shp[2] = { n, n }, nn = n * n, r = 3, bs[2] = { n, r };
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

/* Non-positive pivots and bad arguments. */
static void test_chol_errors(rdn_ctx *ctx) {
  size_t n = 6, shp[3] = { 5, n, n }, nn = n * n;
  cplx *a = spd_batch(RDN_F32, 5, n, 3);
  for (size_t i = 0; i < n; i++) a[2 * nn + i * n + i] = -1.0;   /* matrix 2 indefinite */
  const char *paths[3] = { "lanes", "item", "group" };
  for (int p = 0; p < 3; p++) {
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

/* --------------------------------------------------------- coding rates */

/* log det of a Hermitian PD matrix (host, double; overwrites a) */
static double host_logdet(cplx *a, size_t n) {
  if (host_chol(a, n)) return NAN;
  double s = 0;
  for (size_t i = 0; i < n; i++) s += 2 * log(creal(a[i * n + i]));
  return s;
}

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

/* Both sides of the Gram identity: logdet(I + a Z^H Z) = logdet(I + a Z Z^H). */
static void test_gram_sides(rdn_ctx *ctx) {
  for (int t = 0; t < 3; t++) {
    rdn_dtype dt = DTS[t];
    if (dt == RDN_F64 && !has64) continue;
    size_t m = 23, d = 41, zs[2] = { m, d }, cs[2] = { d, d }, rs[2] = { m, m };
    unsigned long long st = 9;
    cplx *z = malloc(m * d * sizeof *z);
    for (size_t i = 0; i < m * d; i++) z[i] = rnd(dt, &st);
    rdn_tensor *tz = up(ctx, dt, 2, zs, z, m * d), *gc = NULL, *gr = NULL;
    CHECK_OK(ctx, rdn_tensor_new(ctx, &gc, dt, 2, cs));
    CHECK_OK(ctx, rdn_tensor_new(ctx, &gr, dt, 2, rs));
    CHECK_OK(ctx, rdn_gram(ctx, gc, tz, RDN_GRAM_COLS, 0.3, 1.0));
    CHECK_OK(ctx, rdn_gram(ctx, gr, tz, RDN_GRAM_ROWS, 0.3, 1.0));
    double a, b;
    CHECK_OK(ctx, rdn_spd_logdet(ctx, &a, 1, gc));
    CHECK_OK(ctx, rdn_spd_logdet(ctx, &b, 1, gr));
    CHECK(fabs(a - b) <= tol(dt, 2e-6) * (1 + fabs(a)), "%s gram sides: %.9f vs %.9f",
          rdn_dtype_name(dt), a, b);
    free(z);
    rdn_tensor_release(tz); rdn_tensor_release(gc); rdn_tensor_release(gr);
  }
}

int main(void) {
  rdn_ctx *ctx = th_ctx();
  if (!ctx) return th_done();
  has64 = rdn_ctx_device(ctx)->has_fp64;
  test_gram(ctx);
  test_gram_classes(ctx);
  test_chol_small(ctx);
  test_chol_large(ctx);
  test_chol_errors(ctx);
  test_gram_sides(ctx);
  test_rate_oracles(ctx);
  test_rate_random(ctx);
  test_rate_spectral(ctx);
  test_rate_errors(ctx);
  rdn_ctx_destroy(ctx);
  return th_done();
}
