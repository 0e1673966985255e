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

int main(void) {
  rdn_ctx *ctx = th_ctx();
  if (!ctx) return th_done();
  has64 = rdn_ctx_device(ctx)->has_fp64;
  test_gram(ctx);
  test_chol_small(ctx);
  test_chol_large(ctx);
  test_chol_errors(ctx);
  rdn_ctx_destroy(ctx);
  return th_done();
}
