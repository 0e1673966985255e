/*
** test_shrink.c -- the separation/concentration primitives against float64 host
** references and exact identities (SPEC §7.4 items 27-29, 32): soft threshold / relu
** shrink (scalar and per channel), counts, modulus, filter-bank products, Fourier
** subsampling (= spatial decimation), channel statistics, transposes, Parseval frames.
*/
#include "harness.h"
#include <stdlib.h>
#include <string.h>

static int has64;

static double *gen(size_t n, unsigned long long seed, double scale, int f32) {
  double *v = malloc((n ? n : 1) * sizeof *v);
  for (size_t i = 0; i < n; i++) {
    v[i] = scale * th_rand(&seed);
    if (f32) v[i] = (float)v[i];
  }
  return v;
}

static double soft(double u, double l) { return u > l ? u - l : u < -l ? u + l : 0; }
static double relu(double u, double l) { return u - l > 0 ? u - l : 0; }
static double tol(rdn_dtype dt) { return dt == RDN_F64 ? 1e-15 : 2e-7; }

/* rdn_shrink on n values: out of place, in place, on a row view; identities. */
static void shrink_scalar(rdn_ctx *ctx, rdn_dtype dt, size_t n) {
  const char *dn = rdn_dtype_name(dt);
  size_t sh[2] = { n, 1 };
  double *xv = gen(n, 7 + n, 2.0, dt == RDN_F32), *ref = malloc(n * sizeof *ref);
  rdn_tensor *x = th_tensor(ctx, dt, 2, sh, xv), *o = th_tensor(ctx, dt, 2, sh, xv);
  for (int kind = 0; kind < 2; kind++) {
    double lam = 0.7;
    CHECK_OK(ctx, rdn_shrink(ctx, o, x, (rdn_shrink_kind)kind, lam));
    double *r = th_read(o);
    for (size_t i = 0; i < n; i++) ref[i] = kind ? relu(xv[i], lam) : soft(xv[i], lam);
    CHECK(th_relerr(r, ref, n, 1) <= tol(dt), "%s %s n=%zu: err %g", kind ? "relu" : "soft", dn,
          n, th_relerr(r, ref, n, 1));
    /* rho(x) = 0 exactly where |x| <= lambda (soft) */
    int zeros = 1;
    for (size_t i = 0; i < n && !kind; i++)
      if (xv[i] <= lam && xv[i] >= -lam && r[i] != 0) zeros = 0;
    CHECK(zeros, "soft %s: |x| <= lambda gives exact zeros", dn);
    free(r);
  }
  /* rho_0 = id, bit for bit, in place */
  CHECK_OK(ctx, rdn_shrink(ctx, o, o, RDN_SHRINK_SOFT, 0.0));
  CHECK_OK(ctx, rdn_shrink(ctx, x, x, RDN_SHRINK_SOFT, 0.0));
  double *r = th_read(x);
  CHECK(!memcmp(r, xv, n * sizeof *r), "soft %s: rho_0 is the identity", dn);
  free(r);
  /* a row view in place: rows outside are untouched */
  if (n >= 3) {
    rdn_tensor *v = NULL;
    CHECK_OK(ctx, rdn_tensor_rows(&v, x, 1, n - 2));
    CHECK_OK(ctx, rdn_shrink(ctx, v, v, RDN_SHRINK_SOFT, 0.5));
    r = th_read(x);
    for (size_t i = 0; i < n; i++) ref[i] = i >= 1 && i < n - 1 ? soft(xv[i], 0.5) : xv[i];
    CHECK(th_relerr(r, ref, n, 1) <= tol(dt), "soft %s on a row view (offset 1)", dn);
    free(r);
    rdn_tensor_release(v);
  }
  rdn_tensor_release(x);
  rdn_tensor_release(o);
  free(xv);
  free(ref);
}

/* Oddness, non-expansiveness and the prox value rho_0.7(2.3) = 1.6 (SPEC item 27). */
static void shrink_identities(rdn_ctx *ctx) {
  size_t n = 4099, sh[1] = { n };
  double *a = gen(n, 11, 3.0, 1), *b = gen(n, 12, 3.0, 1), *na = malloc(n * sizeof *na);
  for (size_t i = 0; i < n; i++) na[i] = -a[i];
  a[0] = 2.3, na[0] = -2.3;
  rdn_tensor *ta = th_tensor(ctx, RDN_F32, 1, sh, a), *tb = th_tensor(ctx, RDN_F32, 1, sh, b);
  rdn_tensor *tn = th_tensor(ctx, RDN_F32, 1, sh, na);
  CHECK_OK(ctx, rdn_shrink(ctx, ta, ta, RDN_SHRINK_SOFT, 0.7));
  CHECK_OK(ctx, rdn_shrink(ctx, tb, tb, RDN_SHRINK_SOFT, 0.7));
  CHECK_OK(ctx, rdn_shrink(ctx, tn, tn, RDN_SHRINK_SOFT, 0.7));
  double *ra = th_read(ta), *rb = th_read(tb), *rn = th_read(tn);
  int odd = 1, lip = 1;
  for (size_t i = 0; i < n; i++) {
    if (rn[i] != -ra[i]) odd = 0;
    if (fabs(ra[i] - rb[i]) > fabs((i ? -na[i] : 2.3) - b[i]) * (1 + 1e-6) + 1e-7) lip = 0;
  }
  CHECK(odd, "soft threshold is odd: rho(-x) = -rho(x)");
  CHECK(lip, "soft threshold is 1-Lipschitz elementwise");
  CHECK(fabs(ra[0] - 1.6) < 1e-6, "prox value rho_0.7(2.3) = 1.6: got %.8f", ra[0]);
  free(ra), free(rb), free(rn), free(a), free(b), free(na);
  rdn_tensor_release(ta), rdn_tensor_release(tb), rdn_tensor_release(tn);
}

/* Per-channel lambdas, channels last (inner 1) and channels first (inner = H W). */
static void shrink_channels(rdn_ctx *ctx, rdn_dtype dt, size_t outer, size_t nch, size_t inner) {
  size_t n = outer * nch * inner, sh[3] = { outer, nch, inner }, lsh[1] = { nch };
  double *xv = gen(n, 3 + n, 2.0, dt == RDN_F32), *lv = gen(nch, 5, 1.0, dt == RDN_F32);
  double *ref = malloc(n * sizeof *ref);
  for (size_t c = 0; c < nch; c++) lv[c] = fabs(lv[c]);
  lv[0] = 0;
  rdn_tensor *x = th_tensor(ctx, dt, 3, sh, xv), *o = th_tensor(ctx, dt, 3, sh, xv);
  rdn_tensor *l = th_tensor(ctx, dt, 1, lsh, lv);
  for (int kind = 0; kind < 2; kind++) {
    CHECK_OK(ctx, rdn_shrink_channels(ctx, o, x, (rdn_shrink_kind)kind, l, inner));
    double *r = th_read(o);
    for (size_t i = 0; i < n; i++) {
      double lam = lv[(i / inner) % nch];
      ref[i] = kind ? relu(xv[i], lam) : soft(xv[i], lam);
    }
    CHECK(th_relerr(r, ref, n, 1) <= tol(dt), "%s per channel %s [%zu, %zu, %zu]: err %g",
          kind ? "relu" : "soft", rdn_dtype_name(dt), outer, nch, inner, th_relerr(r, ref, n, 1));
    free(r);
  }
  /* bad lambdas: negative, NaN */
  double keep = lv[nch - 1];
  lv[nch - 1] = -0.5;
  rdn_tensor *bad = th_tensor(ctx, dt, 1, lsh, lv);
  char needle[64];
  snprintf(needle, sizeof needle, "lambdas[%zu] must be finite and >= 0, got -0.5", nch - 1);
  CHECK_ERR(ctx, rdn_shrink_channels(ctx, o, x, RDN_SHRINK_SOFT, bad, inner), RDN_EINVAL, needle);
  rdn_tensor_release(bad);
  lv[nch - 1] = NAN;
  bad = th_tensor(ctx, dt, 1, lsh, lv);
  CHECK_ERR(ctx, rdn_shrink_channels(ctx, o, x, RDN_SHRINK_SOFT, bad, inner), RDN_EINVAL, "nan");
  rdn_tensor_release(bad);
  lv[nch - 1] = keep;
  rdn_tensor_release(x), rdn_tensor_release(o), rdn_tensor_release(l);
  free(xv), free(lv), free(ref);
}

static void bad_inputs(rdn_ctx *ctx) {
  size_t sh[1] = { 10 }, sh2[1] = { 11 }, lsh[1] = { 3 };
  rdn_tensor *x = NULL, *y = NULL, *c = NULL, *i = NULL, *l = NULL;
  rdn_tensor_new(ctx, &x, RDN_F32, 1, sh);
  rdn_tensor_new(ctx, &y, RDN_F32, 1, sh2);
  rdn_tensor_new(ctx, &c, RDN_C64, 1, sh);
  rdn_tensor_new(ctx, &i, RDN_I32, 1, sh);
  rdn_tensor_new(ctx, &l, RDN_F32, 1, lsh);
  rdn_tensor_fill(x, 1), rdn_tensor_fill(l, 0.1);
  CHECK_ERR(ctx, rdn_shrink(ctx, x, x, RDN_SHRINK_SOFT, -0.25), RDN_EINVAL,
            "lambda must be finite and >= 0, got -0.25");
  CHECK_ERR(ctx, rdn_shrink(ctx, x, x, RDN_SHRINK_SOFT, NAN), RDN_EINVAL, "got nan");
  CHECK_ERR(ctx, rdn_shrink(ctx, x, x, (rdn_shrink_kind)7, 1), RDN_EINVAL, "bad kind: 7");
  CHECK_ERR(ctx, rdn_shrink(ctx, c, c, RDN_SHRINK_SOFT, 1), RDN_EINVAL, "'out' is c64");
  CHECK_ERR(ctx, rdn_shrink(ctx, i, i, RDN_SHRINK_SOFT, 1), RDN_EINVAL, "'out' is i32");
  CHECK_ERR(ctx, rdn_shrink(ctx, y, x, RDN_SHRINK_SOFT, 1), RDN_EINVAL, "'out' is f32 [11]");
  CHECK_ERR(ctx, rdn_shrink(ctx, x, NULL, RDN_SHRINK_SOFT, 1), RDN_EINVAL, "'x' is NULL");
  CHECK_ERR(ctx, rdn_shrink_channels(ctx, y, y, RDN_SHRINK_SOFT, l, 1), RDN_EINVAL,
            "is not [outer, 3 channels, inner = 1]");
  CHECK_ERR(ctx, rdn_shrink_channels(ctx, x, x, RDN_SHRINK_SOFT, l, 0), RDN_EINVAL, "inner = 0");
  rdn_tensor *v = NULL;
  rdn_tensor_rows(&v, x, 1, 9);
  CHECK_ERR(ctx, rdn_shrink(ctx, v, x, RDN_SHRINK_SOFT, 1), RDN_EINVAL, "'out' is f32 [9]");
  rdn_tensor *w = NULL, *u = NULL;
  size_t s8[1] = { 8 };
  rdn_tensor_rows(&w, x, 0, 8);
  rdn_tensor_rows(&u, x, 2, 8);
  rdn_tensor *u8 = NULL, *w8 = NULL;
  rdn_tensor_reshape(&u8, u, 1, s8), rdn_tensor_reshape(&w8, w, 1, s8);
  CHECK_ERR(ctx, rdn_shrink(ctx, u8, w8, RDN_SHRINK_SOFT, 1), RDN_EINVAL, "partially overlap");
  CHECK_ERR(ctx, rdn_cabs(ctx, x, x), RDN_EINVAL, "'x' is f32, want c64");
  CHECK_ERR(ctx, rdn_fourier_subsample(ctx, c, c, 3), RDN_EINVAL, "rank >= 2");
  size_t n = 0;
  CHECK_ERR(ctx, rdn_count_above(ctx, x, NAN, &n), RDN_EINVAL, "threshold is NaN");
  CHECK_ERR(ctx, rdn_transpose(ctx, y, x, 2, 5), RDN_EINVAL, "is not [batch, 2, 5]");
  CHECK_ERR(ctx, rdn_channel_standardize(ctx, x, x, l, l, 0, 1), RDN_EINVAL,
            "eps must be finite and > 0, got 0");
  CHECK_ERR(ctx, rdn_channel_standardize(ctx, x, x, l, l, 1e-5, 1), RDN_EINVAL, "[10]");
  rdn_tensor_release(u8), rdn_tensor_release(w8), rdn_tensor_release(u), rdn_tensor_release(w);
  rdn_tensor_release(v);
  rdn_tensor_release(x), rdn_tensor_release(y), rdn_tensor_release(c), rdn_tensor_release(i);
  rdn_tensor_release(l);
}

static void count_above(rdn_ctx *ctx) {
  size_t n = 100003, sh[1] = { n };
  double *v = gen(n, 99, 1.0, 1);
  rdn_tensor *x = th_tensor(ctx, RDN_F32, 1, sh, v), *vw = NULL;
  size_t got = 0, want = 0, want2 = 0;
  for (size_t i = 0; i < n; i++) want += fabs(v[i]) > 0.3, want2 += i >= 5 && fabs(v[i]) > 0.9;
  CHECK_OK(ctx, rdn_count_above(ctx, x, 0.3, &got));
  CHECK(got == want, "count |x| > 0.3: %zu, host %zu", got, want);
  CHECK_OK(ctx, rdn_tensor_rows(&vw, x, 5, n - 5));
  CHECK_OK(ctx, rdn_count_above(ctx, vw, 0.9, &got));
  CHECK(got == want2, "count on a view: %zu, host %zu", got, want2);
  CHECK_OK(ctx, rdn_count_above(ctx, x, 1e300, &got));
  CHECK(got == 0, "count above a huge threshold: %zu", got);
  rdn_tensor_release(vw), rdn_tensor_release(x);
  free(v);
}

/* cabs, filter-bank products (complex with/without conj, real) on odd sizes. */
static void complex_ops(rdn_ctx *ctx) {
  size_t B = 3, F = 5, P = 37, xs[2] = { B, P }, fs[2] = { F, P }, os[3] = { B, F, P };
  double *xv = gen(2 * B * P, 1, 1.0, 1), *fv = gen(2 * F * P, 2, 1.0, 1);
  double *rv = gen(F * P, 3, 1.0, 1), *ref = malloc(2 * B * F * P * sizeof *ref);
  rdn_tensor *x = th_tensor(ctx, RDN_C64, 2, xs, xv), *f = th_tensor(ctx, RDN_C64, 2, fs, fv);
  rdn_tensor *fr = th_tensor(ctx, RDN_F32, 2, fs, rv), *o = NULL, *a = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &o, RDN_C64, 3, os));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &a, RDN_F32, 2, xs));
  CHECK_OK(ctx, rdn_cabs(ctx, a, x));
  double *r = th_read(a);
  for (size_t i = 0; i < B * P; i++) ref[i] = hypot(xv[2 * i], xv[2 * i + 1]);
  CHECK(th_relerr(r, ref, B * P, 1e-30) <= 3e-7, "cabs: relerr %g",
        th_relerr(r, ref, B * P, 1e-30));
  free(r);
  for (int cj = 0; cj < 3; cj++) {
    CHECK_OK(ctx, rdn_cmul_bank(ctx, o, x, cj == 2 ? fr : f, cj == 1));
    r = th_read(o);
    for (size_t b = 0; b < B; b++)
      for (size_t k = 0; k < F; k++)
        for (size_t p = 0; p < P; p++) {
          double xr = xv[2 * (b * P + p)], xi = xv[2 * (b * P + p) + 1];
          double gr = cj == 2 ? rv[k * P + p] : fv[2 * (k * P + p)];
          double gi = cj == 2 ? 0 : (cj ? -1 : 1) * fv[2 * (k * P + p) + 1];
          size_t q = 2 * ((b * F + k) * P + p);
          ref[q] = xr * gr - xi * gi, ref[q + 1] = xr * gi + xi * gr;
        }
    CHECK(th_relerr(r, ref, 2 * B * F * P, 1) <= 5e-7, "cmul_bank (%s): err %g",
          cj == 0 ? "complex" : cj == 1 ? "conj" : "real", th_relerr(r, ref, 2 * B * F * P, 1));
    free(r);
  }
  rdn_tensor_release(x), rdn_tensor_release(f), rdn_tensor_release(fr), rdn_tensor_release(o);
  rdn_tensor_release(a);
  free(xv), free(fv), free(rv), free(ref);
}

/* A c64 view [d0, d1, d2] at element offset `off` of a fresh 1-D tensor (filled from v when
** given); *base gets the tensor to release. */
static rdn_tensor *c64_view(rdn_ctx *ctx, size_t off, size_t d0, size_t d1, size_t d2,
                            const double *v, rdn_tensor **base, rdn_tensor **rows) {
  size_t n = d0 * d1 * d2, tot = off + n, sh[3] = { d0, d1, d2 };
  double *all = calloc(2 * tot, sizeof *all);
  if (v) memcpy(all + 2 * off, v, 2 * n * sizeof *v);
  *base = th_tensor(ctx, RDN_C64, 1, &tot, all);
  free(all);
  rdn_tensor *t = NULL;
  CHECK_OK(ctx, rdn_tensor_rows(rows, *base, off, n));
  CHECK_OK(ctx, rdn_tensor_reshape(&t, *rows, 3, sh));
  return t;
}

/* The streaming kernels on views (offsets that break and keep the 64-byte alignment of the
** non-temporal stores), runs longer than a work-item's and not a multiple of 8, planes
** split into several row blocks (W = 512) and k = 3. */
static void streaming_views(rdn_ctx *ctx) {
  size_t offs[3] = { 0, 3, 8 };
  for (int t = 0; t < 3; t++) {
    size_t off = offs[t], B = 2, F = 3, P = t == 1 ? 150 : 136, fs[2] = { F, P };
    double *xv = gen(2 * B * P, 11 + t, 1.0, 1), *fv = gen(F * P, 12 + t, 1.0, 1);
    double *ref = malloc(2 * B * F * P * sizeof *ref);
    rdn_tensor *xb, *xr, *ob, *orw, *f = th_tensor(ctx, RDN_F32, 2, fs, fv);
    rdn_tensor *x = c64_view(ctx, off, 1, B, P, xv, &xb, &xr);
    rdn_tensor *o = c64_view(ctx, off + 5 * t, B, F, P, NULL, &ob, &orw);
    CHECK_OK(ctx, rdn_cmul_bank(ctx, o, x, f, 0));
    double *r = th_read(o);
    for (size_t b = 0; b < B; b++)
      for (size_t k = 0; k < F; k++)
        for (size_t p = 0; p < P; p++) {
          size_t q = 2 * ((b * F + k) * P + p);
          ref[q] = xv[2 * (b * P + p)] * fv[k * P + p];
          ref[q + 1] = xv[2 * (b * P + p) + 1] * fv[k * P + p];
        }
    CHECK(th_relerr(r, ref, 2 * B * F * P, 1) <= 5e-7, "cmul_bank view off %zu, P = %zu: err %g",
          off, P, th_relerr(r, ref, 2 * B * F * P, 1));
    free(r), free(xv), free(fv), free(ref);
    rdn_tensor_release(x), rdn_tensor_release(xr), rdn_tensor_release(xb);
    rdn_tensor_release(o), rdn_tensor_release(orw), rdn_tensor_release(ob);
    rdn_tensor_release(f);
    /* subsample: [2, 20, 512] k = 2 (row blocks of 3 rows), [3, 12, 18] k = 3 (wk = 6) */
    size_t nb = t == 2 ? 3 : 2, H = t == 2 ? 12 : 20, W = t == 2 ? 18 : 512;
    int kk = t == 2 ? 3 : 2;
    size_t hk = H / kk, wk = W / kk, n = nb * H * W, m = nb * hk * wk;
    xv = gen(2 * n, 21 + t, 1.0, 1), ref = malloc(2 * m * sizeof *ref);
    x = c64_view(ctx, off, nb, H, W, xv, &xb, &xr);
    o = c64_view(ctx, off + 1, nb, hk, wk, NULL, &ob, &orw);
    CHECK_OK(ctx, rdn_fourier_subsample(ctx, o, x, kk));
    r = th_read(o);
    for (size_t b = 0; b < nb; b++)
      for (size_t u = 0; u < hk; u++)
        for (size_t v = 0; v < wk; v++)
          for (int c = 0; c < 2; c++) {
            double s = 0;
            for (int a = 0; a < kk; a++)
              for (int e = 0; e < kk; e++) s += xv[2 * ((b * H + u + a * hk) * W + v + e * wk) + c];
            ref[2 * ((b * hk + u) * wk + v) + c] = s / (kk * kk);
          }
    CHECK(th_relerr(r, ref, 2 * m, 1) <= 1e-6, "fourier_subsample view off %zu, %zux%zu k=%d: "
          "err %g", off, H, W, kk, th_relerr(r, ref, 2 * m, 1));
    free(r), free(xv), free(ref);
    rdn_tensor_release(x), rdn_tensor_release(xr), rdn_tensor_release(xb);
    rdn_tensor_release(o), rdn_tensor_release(orw), rdn_tensor_release(ob);
  }
}

/* Fourier subsampling by k equals spatial decimation (SPEC item 32): fft2, subsample,
** ifft2 gives x[::k, ::k]; plus the direct formula on a host reference. */
static void subsample(rdn_ctx *ctx, size_t nb, size_t H, size_t W, int k) {
  size_t sh[3] = { nb, H, W }, hk = H / k, wk = W / k, ss[3] = { nb, hk, wk };
  size_t n = nb * H * W, m = nb * hk * wk;
  double *xv = gen(2 * n, 4 + H, 1.0, 1);
  for (size_t i = 0; i < n; i++) xv[2 * i + 1] = 0;      /* a real image as c64 */
  rdn_tensor *x = th_tensor(ctx, RDN_C64, 3, sh, xv), *X = NULL, *S = NULL, *s = NULL;
  rdn_fft_plan *p1 = NULL, *p2 = NULL;
  size_t l1[2] = { H, W }, l2[2] = { hk, wk };
  CHECK_OK(ctx, rdn_tensor_new(ctx, &X, RDN_C64, 3, sh));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &S, RDN_C64, 3, ss));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &s, RDN_C64, 3, ss));
  if (CHECK_OK(ctx, rdn_fft_plan_create(ctx, &p1, RDN_FFT_C2C, 2, l1, nb, RDN_FFT_BACKWARD_NORM))
      && CHECK_OK(ctx, rdn_fft_plan_create(ctx, &p2, RDN_FFT_C2C, 2, l2, nb,
                                           RDN_FFT_BACKWARD_NORM))) {
    CHECK_OK(ctx, rdn_fft_execute(p1, 0, x, X));
    CHECK_OK(ctx, rdn_fourier_subsample(ctx, S, X, k));
    double *rS = th_read(S), *rX = th_read(X), *ref = malloc(2 * m * sizeof *ref);
    for (size_t b = 0; b < nb; b++)
      for (size_t u = 0; u < hk; u++)
        for (size_t v = 0; v < wk; v++) {
          double re = 0, im = 0;
          for (int a = 0; a < k; a++)
            for (int c = 0; c < k; c++) {
              size_t q = 2 * ((b * H + u + a * hk) * W + v + c * wk);
              re += rX[q], im += rX[q + 1];
            }
          ref[2 * ((b * hk + u) * wk + v)] = re / (k * k);
          ref[2 * ((b * hk + u) * wk + v) + 1] = im / (k * k);
        }
    CHECK(th_relerr(rS, ref, 2 * m, 1) <= 1e-6, "fourier_subsample %zux%zu k=%d: err %g", H, W,
          k, th_relerr(rS, ref, 2 * m, 1));
    CHECK_OK(ctx, rdn_fft_execute(p2, 1, S, s));
    double *rs = th_read(s);
    for (size_t b = 0; b < nb; b++)
      for (size_t u = 0; u < hk; u++)
        for (size_t v = 0; v < wk; v++) {
          ref[2 * ((b * hk + u) * wk + v)] = xv[2 * ((b * H + u * k) * W + v * k)];
          ref[2 * ((b * hk + u) * wk + v) + 1] = 0;
        }
    CHECK(th_relerr(rs, ref, 2 * m, 1) <= 2e-6, "ifft(subsample(fft x)) = x[::%d, ::%d] "
          "(%zux%zu): err %g", k, k, H, W, th_relerr(rs, ref, 2 * m, 1));
    free(rS), free(rX), free(rs), free(ref);
  }
  rdn_fft_plan_destroy(p1), rdn_fft_plan_destroy(p2);
  rdn_tensor_release(x), rdn_tensor_release(X), rdn_tensor_release(S), rdn_tensor_release(s);
  free(xv);
}

/* Channel statistics, affine map and standardisation against double host sums. */
static void channel_ops(rdn_ctx *ctx, rdn_dtype dt, size_t outer, size_t nch, size_t inner) {
  size_t n = outer * nch * inner, sh[3] = { outer, nch, inner }, cs[1] = { nch };
  double *xv = gen(n, 8 + n, 1.0, dt == RDN_F32), *mu = calloc(nch, sizeof *mu);
  double *va = calloc(nch, sizeof *va), *ref = malloc(n * sizeof *ref);
  for (size_t i = 0; i < n; i++) xv[i] += 3.0 + (double)((i / inner) % nch);
  if (dt == RDN_F32)
    for (size_t i = 0; i < n; i++) xv[i] = (float)xv[i];
  for (size_t i = 0; i < n; i++) mu[(i / inner) % nch] += xv[i] / (double)(outer * inner);
  for (size_t i = 0; i < n; i++) {
    double d = xv[i] - mu[(i / inner) % nch];
    va[(i / inner) % nch] += d * d / (double)(outer * inner);
  }
  rdn_tensor *x = th_tensor(ctx, dt, 3, sh, xv), *m = NULL, *v = NULL, *o = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &m, dt, 1, cs));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &v, dt, 1, cs));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &o, dt, 3, sh));
  CHECK_OK(ctx, rdn_channel_stats(ctx, m, v, x, inner));
  double *rm = th_read(m), *rv = th_read(v);
  double t = dt == RDN_F64 ? 1e-12 : 1e-6;
  CHECK(th_relerr(rm, mu, nch, 1e-30) <= t && th_relerr(rv, va, nch, 1e-30) <= t,
        "channel_stats %s [%zu, %zu, %zu]: mean err %g, var err %g", rdn_dtype_name(dt), outer,
        nch, inner, th_relerr(rm, mu, nch, 1e-30), th_relerr(rv, va, nch, 1e-30));
  CHECK_OK(ctx, rdn_channel_standardize(ctx, o, x, m, v, 1e-5, inner));
  double *ro = th_read(o);
  for (size_t i = 0; i < n; i++) {
    size_t c = (i / inner) % nch;
    ref[i] = (xv[i] - rm[c]) / sqrt(rv[c] + 1e-5);
  }
  CHECK(th_relerr(ro, ref, n, 1) <= 20 * tol(dt), "channel_standardize %s: err %g",
        rdn_dtype_name(dt), th_relerr(ro, ref, n, 1));
  free(ro);
  /* affine in place with shift, then without */
  CHECK_OK(ctx, rdn_channel_affine(ctx, x, x, v, m, inner));
  ro = th_read(x);
  for (size_t i = 0; i < n; i++) ref[i] = xv[i] * rv[(i / inner) % nch] + rm[(i / inner) % nch];
  CHECK(th_relerr(ro, ref, n, 1) <= 4 * tol(dt), "channel_affine %s: err %g",
        rdn_dtype_name(dt), th_relerr(ro, ref, n, 1));
  free(ro);
  CHECK_OK(ctx, rdn_channel_affine(ctx, o, x, m, NULL, inner));
  ro = th_read(o);
  for (size_t i = 0; i < n; i++) ref[i] *= rm[(i / inner) % nch];
  CHECK(th_relerr(ro, ref, n, 1) <= 8 * tol(dt), "channel_affine %s without shift: err %g",
        rdn_dtype_name(dt), th_relerr(ro, ref, n, 1));
  free(ro), free(rm), free(rv);
  rdn_tensor_release(x), rdn_tensor_release(m), rdn_tensor_release(v), rdn_tensor_release(o);
  free(xv), free(mu), free(va), free(ref);
}

static void transpose(rdn_ctx *ctx, rdn_dtype dt, size_t nb, size_t r, size_t c) {
  size_t n = nb * r * c, sh[3] = { nb, r, c }, spe = dt == RDN_C64 ? 2 : 1;
  double *xv = gen(spe * n, 6, 100.0, 1), *ref = malloc(spe * n * sizeof *ref);
  if (dt == RDN_I32)
    for (size_t i = 0; i < n; i++) xv[i] = floor(xv[i]);
  rdn_tensor *x = th_tensor(ctx, dt, 3, sh, xv), *o = NULL;
  size_t os[3] = { nb, c, r };
  CHECK_OK(ctx, rdn_tensor_new(ctx, &o, dt, 3, os));
  CHECK_OK(ctx, rdn_transpose(ctx, o, x, r, c));
  double *ro = th_read(o);
  for (size_t b = 0; b < nb; b++)
    for (size_t i = 0; i < r; i++)
      for (size_t j = 0; j < c; j++)
        for (size_t e = 0; e < spe; e++)
          ref[spe * ((b * c + j) * r + i) + e] = xv[spe * ((b * r + i) * c + j) + e];
  CHECK(!memcmp(ro, ref, spe * n * sizeof *ro), "transpose %s [%zu, %zu, %zu] exact",
        rdn_dtype_name(dt), nb, r, c);
  free(ro);
  rdn_tensor_release(x), rdn_tensor_release(o);
  free(xv), free(ref);
}

/* Parseval frame F [p, d] (F^T F = I) from an orthonormalised Gaussian [d, p] = F^T:
** ||F x|| = ||x||, F^T F x = x, concentration x -> F^T rho(F x): identity at lambda 0,
** zero for lambda >= max|F x|, non-expansive; sign-invariant [G; -G] frames (item 29). */
static void frames(rdn_ctx *ctx) {
  size_t d = 24, p = 96, m = 40, fs[2] = { d, p }, xs[2] = { m, d }, zs[2] = { m, p };
  rdn_tensor *Ft = NULL, *x = NULL, *y = NULL, *z = NULL, *r = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &Ft, RDN_F32, 2, fs));
  CHECK_OK(ctx, rdn_randn(ctx, Ft, 42));
  CHECK_OK(ctx, rdn_orthonormalize(ctx, Ft));               /* rows of F^T orthonormal */
  double *xv = gen(m * d, 17, 1.0, 1), *yv = gen(m * d, 18, 1.0, 1);
  x = th_tensor(ctx, RDN_F32, 2, xs, xv), y = th_tensor(ctx, RDN_F32, 2, xs, yv);
  CHECK_OK(ctx, rdn_tensor_new(ctx, &z, RDN_F32, 2, zs));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &r, RDN_F32, 2, xs));
  /* rows are samples: z = x F^T ... i.e. z_i = F x_i */
  CHECK_OK(ctx, rdn_gemm(ctx, RDN_NOTRANS, RDN_NOTRANS, 1, x, Ft, 0, z));
  double nx, nz;
  CHECK_OK(ctx, rdn_sumsq(ctx, x, &nx));
  CHECK_OK(ctx, rdn_sumsq(ctx, z, &nz));
  CHECK(fabs(nz - nx) <= 1e-5 * nx, "Parseval: ||Fx||^2 = %.9g, ||x||^2 = %.9g", nz, nx);
  CHECK_OK(ctx, rdn_gemm(ctx, RDN_NOTRANS, RDN_TRANS, 1, z, Ft, 0, r));
  double *rr = th_read(r);
  CHECK(th_relerr(rr, xv, m * d, 1) <= 1e-5, "F^T F x = x: err %g", th_relerr(rr, xv, m * d, 1));
  free(rr);
  /* lambda >= max |F x| (|z| <= ||x|| <= sqrt(d)): all zero */
  CHECK_OK(ctx, rdn_shrink(ctx, z, z, RDN_SHRINK_SOFT, sqrt((double)d) + 1));
  double nz0;
  CHECK_OK(ctx, rdn_sumsq(ctx, z, &nz0));
  CHECK(nz0 == 0, "concentration with lambda >= max|Fx| is zero: %g", nz0);
  /* non-expansive: ||T x - T y|| <= ||x - y|| with T = F^T rho_0.1 F */
  rdn_tensor *zy = NULL, *ry = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &zy, RDN_F32, 2, zs));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &ry, RDN_F32, 2, xs));
  CHECK_OK(ctx, rdn_gemm(ctx, RDN_NOTRANS, RDN_NOTRANS, 1, x, Ft, 0, z));
  CHECK_OK(ctx, rdn_gemm(ctx, RDN_NOTRANS, RDN_NOTRANS, 1, y, Ft, 0, zy));
  CHECK_OK(ctx, rdn_shrink(ctx, z, z, RDN_SHRINK_SOFT, 0.1));
  CHECK_OK(ctx, rdn_shrink(ctx, zy, zy, RDN_SHRINK_SOFT, 0.1));
  CHECK_OK(ctx, rdn_gemm(ctx, RDN_NOTRANS, RDN_TRANS, 1, z, Ft, 0, r));
  CHECK_OK(ctx, rdn_gemm(ctx, RDN_NOTRANS, RDN_TRANS, 1, zy, Ft, 0, ry));
  double *tx = th_read(r), *ty = th_read(ry);
  int ok = 1;
  for (size_t i = 0; i < m && ok; i++) {
    double a = 0, b = 0;
    for (size_t j = 0; j < d; j++) {
      a += (tx[i * d + j] - ty[i * d + j]) * (tx[i * d + j] - ty[i * d + j]);
      b += (xv[i * d + j] - yv[i * d + j]) * (xv[i * d + j] - yv[i * d + j]);
    }
    if (a > b * (1 + 1e-5)) ok = 0;
  }
  CHECK(ok, "concentration F^T rho(F x) is non-expansive per sample");
  free(tx), free(ty);
  /* sign-invariant frame [G; -G] with G = F / sqrt(2): 2 F2^T relu(F2 x) = x and
  ** ||relu(F2 x)||^2 = ||x||^2 / 2 (z2 = [x G^T, -x G^T]) */
  size_t z2s[2] = { m, 2 * p }, fsz[2] = { p, d }, gts[2] = { 2 * p, d };
  rdn_tensor *z2 = NULL, *F = NULL, *Gt = NULL, *g0 = NULL, *g1 = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &z2, RDN_F32, 2, z2s));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &F, RDN_F32, 2, fsz));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &Gt, RDN_F32, 2, gts));
  CHECK_OK(ctx, rdn_transpose(ctx, F, Ft, d, p));            /* F [p, d] */
  CHECK_OK(ctx, rdn_tensor_rows(&g0, Gt, 0, p));
  CHECK_OK(ctx, rdn_tensor_rows(&g1, Gt, p, p));
  CHECK_OK(ctx, rdn_axpby(ctx, g0, 1 / sqrt(2.0), F, 0));    /* F2 = [G; -G], G = F / sqrt 2 */
  CHECK_OK(ctx, rdn_axpby(ctx, g1, -1 / sqrt(2.0), F, 0));
  CHECK_OK(ctx, rdn_gemm(ctx, RDN_NOTRANS, RDN_TRANS, 1, x, Gt, 0, z2));
  CHECK_OK(ctx, rdn_shrink(ctx, z2, z2, RDN_SHRINK_RELU, 0));
  double e2;
  CHECK_OK(ctx, rdn_sumsq(ctx, z2, &e2));
  CHECK(fabs(e2 - nx / 2) <= 1e-5 * nx, "sign-invariant frame: ||relu(Fx)||^2 = %.9g, "
        "||x||^2/2 = %.9g", e2, nx / 2);
  CHECK_OK(ctx, rdn_gemm(ctx, RDN_NOTRANS, RDN_NOTRANS, 2, z2, Gt, 0, r));
  rr = th_read(r);
  CHECK(th_relerr(rr, xv, m * d, 1) <= 2e-5, "2 F^T relu(F x) = x: err %g",
        th_relerr(rr, xv, m * d, 1));
  free(rr);
  rdn_tensor *all[] = { Ft, x, y, z, r, zy, ry, z2, F, Gt, g0, g1 };
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) rdn_tensor_release(all[i]);
  free(xv), free(yv);
}

int main(void) {
  rdn_ctx *ctx = th_ctx();
  if (!ctx) return th_done();
  has64 = rdn_ctx_device(ctx)->has_fp64;
  size_t sizes[] = { 1, 17, 1000, 65537 };
  for (size_t i = 0; i < 4; i++) {
    shrink_scalar(ctx, RDN_F32, sizes[i]);
    if (has64) shrink_scalar(ctx, RDN_F64, sizes[i]);
  }
  shrink_identities(ctx);
  shrink_channels(ctx, RDN_F32, 37, 13, 1);
  shrink_channels(ctx, RDN_F32, 3, 5, 49);
  if (has64) shrink_channels(ctx, RDN_F64, 4, 7, 9);
  bad_inputs(ctx);
  count_above(ctx);
  complex_ops(ctx);
  subsample(ctx, 3, 36, 36, 4);
  subsample(ctx, 2, 28, 20, 2);
  subsample(ctx, 1, 18, 12, 3);
  streaming_views(ctx);
  channel_ops(ctx, RDN_F32, 301, 11, 1);
  channel_ops(ctx, RDN_F32, 17, 9, 49);
  if (has64) channel_ops(ctx, RDN_F64, 23, 5, 7);
  transpose(ctx, RDN_F32, 3, 49, 81);
  transpose(ctx, RDN_C64, 2, 5, 7);
  transpose(ctx, RDN_I32, 1, 33, 17);
  frames(ctx);
  rdn_ctx_destroy(ctx);
  return th_done();
}
