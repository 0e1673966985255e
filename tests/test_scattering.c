/*
** test_scattering.c -- the 2-D scattering transform against Kymatio 0.3 (known answers in
** tests/data, made by gen_kymatio.py), its filter bank (zero-mean wavelets, Littlewood-Paley
** bounds), exact shift equivariance with periodic padding, energy bounds, batching, views,
** chunking, and every bad-input case.
*/
#include "harness.h"
#include <stdlib.h>
#include <string.h>

#ifndef DATA_DIR
#define DATA_DIR "tests/data/"
#endif

/* A .npy file (f64) as host doubles; *t (optional) gets an f32 copy on the device. */
static double *load(rdn_ctx *ctx, const char *name, size_t *shape, int *nd, rdn_tensor **t) {
  char path[256];
  rdn_tensor *f = NULL;
  snprintf(path, sizeof path, DATA_DIR "%s", name);
  if (!CHECK_OK(ctx, rdn_npy_load(ctx, path, &f))) return NULL;
  *nd = rdn_tensor_ndim(f);
  for (int i = 0; i < *nd; i++) shape[i] = rdn_tensor_dim(f, i);
  double *v = th_read(f);
  if (t) *t = th_tensor(ctx, RDN_F32, *nd, shape, v);
  rdn_tensor_release(f);
  return v;
}

static size_t prod(const size_t *s, int n) {
  size_t p = 1;
  for (int i = 0; i < n; i++) p *= s[i];
  return p;
}

/* max over channels of max |a - b| / max |b| within the channel (the channel's scale). */
static double chan_err(const double *a, const double *b, size_t nimg, size_t K, size_t plane) {
  double worst = 0;
  for (size_t i = 0; i < nimg * K; i++) {
    double mx = 0, e = 0;
    for (size_t p = 0; p < plane; p++) {
      double v = fabs(b[i * plane + p]), d = fabs(a[i * plane + p] - b[i * plane + p]);
      if (v > mx) mx = v;
      if (d > e) e = d;
    }
    if (mx > 0 && e / mx > worst) worst = e / mx;
  }
  return worst;
}

static rdn_tensor *run(rdn_ctx *ctx, rdn_scattering *s, rdn_tensor *x) {
  size_t K, oh, ow, sh[4];
  rdn_scattering2d_shape(s, &K, &oh, &ow);
  int nd = rdn_tensor_ndim(x);
  sh[0] = nd >= 3 ? rdn_tensor_dim(x, 0) : 1;
  sh[1] = (nd == 4 ? rdn_tensor_dim(x, 1) : 1) * K, sh[2] = oh, sh[3] = ow;
  rdn_tensor *o = NULL;
  if (!CHECK_OK(ctx, rdn_tensor_new(ctx, &o, RDN_F32, 4, sh))) return NULL;
  if (!CHECK_OK(ctx, rdn_scattering2d(s, o, x))) {
    rdn_tensor_release(o);
    return NULL;
  }
  return o;
}

/* Kymatio case `name` with (J, L, order, pad): shapes, values to 1e-4 of each channel's
** scale and to 1e-4 relative wherever |S| >= 1e-3 max |S|. */
static void kymatio_case(rdn_ctx *ctx, const char *name, int J, int L, int order,
                         rdn_scat_pad pad) {
  char fx[64], fs[64];
  size_t xs[4], ss[4];
  int nx = 0, ns = 0;
  rdn_tensor *x = NULL, *o = NULL;
  rdn_scattering *s = NULL;
  snprintf(fx, sizeof fx, "kym_%s_x.npy", name);
  snprintf(fs, sizeof fs, "kym_%s_s.npy", name);
  double *xv = load(ctx, fx, xs, &nx, &x), *sv = load(ctx, fs, ss, &ns, NULL);
  if (!xv || !sv || !x) goto done;
  if (!CHECK_OK(ctx, rdn_scattering2d_create(ctx, &s, xs[1], xs[2], J, L, order, pad))) goto done;
  size_t K, oh, ow;
  rdn_scattering2d_shape(s, &K, &oh, &ow);
  CHECK(ns == 4 && K == ss[1] && oh == ss[2] && ow == ss[3], "case %s: shape [%zu, %zu, %zu] "
        "vs Kymatio [%zu, %zu, %zu]", name, K, oh, ow, ss[1], ss[2], ss[3]);
  if (!(o = run(ctx, s, x))) goto done;
  double *r = th_read(o), mx = 0, rel = 0;
  size_t n = prod(ss, 4);
  for (size_t i = 0; i < n; i++) mx = fabs(sv[i]) > mx ? fabs(sv[i]) : mx;
  for (size_t i = 0; i < n; i++)
    if (fabs(sv[i]) >= 1e-3 * mx && fabs(r[i] - sv[i]) / fabs(sv[i]) > rel)
      rel = fabs(r[i] - sv[i]) / fabs(sv[i]);
  double ce = chan_err(r, sv, ss[0], K, oh * ow);
  printf("# Kymatio case %s (%s FFT): %zu x %zu x %zu x %zu, channel-scaled error %.2g, "
         "relative %.2g\n", name, getenv("RDN_SCAT_FFT") ? "clFFT" : "own", ss[0], K, oh, ow, ce,
         rel);
  CHECK(ce <= 1e-4 && rel <= 1e-4, "case %s (J=%d L=%d order %d %s): channel-scaled error %.3g, "
        "relative error %.3g (want <= 1e-4)", name, J, L, order, pad ? "periodic" : "reflect", ce,
        rel);
  free(r);
done:
  rdn_tensor_release(x), rdn_tensor_release(o);
  rdn_scattering2d_destroy(s);
  free(xv), free(sv);
}

/* Level-0 filters equal Kymatio's; psi(0) = 0; Littlewood-Paley sum bounds. */
static void filters(rdn_ctx *ctx) {
  rdn_scattering *s = NULL;
  rdn_tensor *phi = NULL, *psi = NULL;
  size_t ps[4], qs[4];
  int np = 0, nq = 0;
  double *kphi = load(ctx, "kym_a_phi0.npy", ps, &np, NULL);
  rdn_tensor *kt = NULL;
  char path[256];
  snprintf(path, sizeof path, DATA_DIR "kym_a_psi0.npy");
  if (!CHECK_OK(ctx, rdn_npy_load(ctx, path, &kt)) || !kphi) goto done;
  nq = rdn_tensor_ndim(kt);
  for (int i = 0; i < nq; i++) qs[i] = rdn_tensor_dim(kt, i);
  double *kpsi = th_read(kt);
  if (!CHECK_OK(ctx, rdn_scattering2d_create(ctx, &s, 32, 32, 2, 8, 2, RDN_SCAT_REFLECT)) ||
      !CHECK_OK(ctx, rdn_scattering2d_filters(s, &phi, &psi))) {
    free(kpsi);
    goto done;
  }
  double *f0 = th_read(phi), *f1 = th_read(psi);
  size_t P = rdn_tensor_numel(phi), nw = rdn_tensor_dim(psi, 0);
  CHECK(P == 1600 && nw == 16 && qs[0] == 16, "filter shapes: phi %zu points, %zu wavelets", P, nw);
  CHECK(th_relerr(f0, kphi, P, 1) <= 1e-6, "phi equals Kymatio's: err %g",
        th_relerr(f0, kphi, P, 1));
  CHECK(th_relerr(f1, kpsi, nw * P, 1) <= 1e-5, "psi equals Kymatio's: err %g",
        th_relerr(f1, kpsi, nw * P, 1));
  double z = 0;
  for (size_t q = 0; q < nw; q++) z = fmax(z, fabs(f1[q * P]));
  CHECK(z <= 1e-6, "Morlet wavelets have zero mean: max |psi(0)| = %g", z);
  CHECK(fabs(f0[0] - 1.0) <= 1e-4, "phi(0) = %.7f (Kymatio's 2 pi / (2 * 3.1415))", f0[0]);
  /* A(w) = phi^2 + 1/2 sum (psi(w)^2 + psi(-w)^2) on the 40 x 40 grid: Kymatio's bank
  ** covers [0.123, 1.0001] (its Morlets miss the corners of the spectrum) */
  double amin = 1e9, amax = 0;
  for (size_t u = 0; u < 40; u++)
    for (size_t v = 0; v < 40; v++) {
      size_t p = u * 40 + v, m = ((40 - u) % 40) * 40 + (40 - v) % 40;
      double a = f0[p] * f0[p];
      for (size_t q = 0; q < nw; q++)
        a += 0.5 * (f1[q * P + p] * f1[q * P + p] + f1[q * P + m] * f1[q * P + m]);
      amin = fmin(amin, a), amax = fmax(amax, a);
    }
  CHECK(amin > 0.12 && amin < 0.13 && amax > 0.999 && amax < 1.001,
        "Littlewood-Paley sum in [%.4f, %.5f]", amin, amax);
  free(f0), free(f1), free(kpsi);
done:
  rdn_tensor_release(phi), rdn_tensor_release(psi), rdn_tensor_release(kt);
  rdn_scattering2d_destroy(s);
  free(kphi);
}

/* Periodic padding: S(shift_{4a, 4b} x) = shift_{a, b} S(x) for J = 2 (to rounding). */
static void shift_equivariance(rdn_ctx *ctx, size_t H, size_t W, int J, int L) {
  size_t n = 3, xs[3] = { n, H, W }, k = (size_t)1 << J, dy = 2 * k, dx = 3 * k;
  double *xv = malloc(n * H * W * sizeof *xv), *yv = malloc(n * H * W * sizeof *yv);
  unsigned long long seed = 77;
  for (size_t i = 0; i < n * H * W; i++) xv[i] = th_rand(&seed);
  for (size_t b = 0; b < n; b++)
    for (size_t u = 0; u < H; u++)
      for (size_t v = 0; v < W; v++)
        yv[(b * H + (u + dy) % H) * W + (v + dx) % W] = xv[(b * H + u) * W + v];
  rdn_tensor *x = th_tensor(ctx, RDN_F32, 3, xs, xv), *y = th_tensor(ctx, RDN_F32, 3, xs, yv);
  rdn_tensor *sx = NULL, *sy = NULL;
  rdn_scattering *s = NULL;
  if (CHECK_OK(ctx, rdn_scattering2d_create(ctx, &s, H, W, J, L, 2, RDN_SCAT_PERIODIC)) &&
      (sx = run(ctx, s, x)) && (sy = run(ctx, s, y))) {
    size_t K, oh, ow;
    rdn_scattering2d_shape(s, &K, &oh, &ow);
    CHECK(oh == H / k && ow == W / k, "periodic output %zu x %zu", oh, ow);
    double *a = th_read(sx), *b = th_read(sy), *ref = malloc(n * K * oh * ow * sizeof *ref);
    for (size_t c = 0; c < n * K; c++)
      for (size_t u = 0; u < oh; u++)
        for (size_t v = 0; v < ow; v++)
          ref[(c * oh + (u + dy / k) % oh) * ow + (v + dx / k) % ow] = a[(c * oh + u) * ow + v];
    double e = chan_err(b, ref, n, K, oh * ow);
    CHECK(e <= 2e-5, "periodic %zux%zu J=%d: shift by (%zu, %zu) shifts S by (%zu, %zu): err %g",
          H, W, J, dy, dx, dy / k, dx / k, e);
    /* a shift by one pixel is not a shift of S (sanity of the test itself) */
    free(a), free(b), free(ref);
  }
  rdn_tensor_release(x), rdn_tensor_release(y), rdn_tensor_release(sx), rdn_tensor_release(sy);
  rdn_scattering2d_destroy(s);
  free(xv), free(yv);
}

/* Energy (periodic, J = 2, L = 8): a constant image c has S0 = c phi(0) and all other
** paths ~0; for random images 4^J ||Sx||^2 / ||x||^2 lies within the Littlewood-Paley
** bounds [0.123, 1.0001] of the bank (Kymatio gives 0.87-0.88 for uniform [0, 1) images,
** 0.49-0.53 centred; up to 2% is allowed above the bound for subsampling aliasing). */
static void energy(rdn_ctx *ctx) {
  size_t n = 4, H = 32, xs[3] = { n, H, H }, N = n * H * H;
  double *xv = malloc(N * sizeof *xv);
  unsigned long long seed = 5;
  for (size_t i = 0; i < N; i++)
    xv[i] = i < H * H ? 0.75 : th_rand(&seed) * 0.5 + (i < N / 2 ? 0 : 0.5);
  rdn_tensor *x = th_tensor(ctx, RDN_F32, 3, xs, xv), *o = NULL;
  rdn_scattering *s = NULL;
  if (CHECK_OK(ctx, rdn_scattering2d_create(ctx, &s, H, H, 2, 8, 2, RDN_SCAT_PERIODIC)) &&
      (o = run(ctx, s, x))) {
    double *r = th_read(o), worst = 0;
    size_t K = 81, P = 64;
    for (size_t p = 0; p < P; p++) worst = fmax(worst, fabs(r[p] - 0.75 * 1.0000292));
    for (size_t i = P; i < K * P; i++) worst = fmax(worst, fabs(r[i]));
    CHECK(worst <= 1e-5, "constant image: S0 = c phi(0), other paths 0: err %g", worst);
    for (size_t b = 1; b < n; b++) {
      double es = 0, ex = 0;
      for (size_t i = 0; i < K * P; i++) es += r[b * K * P + i] * r[b * K * P + i];
      for (size_t i = 0; i < H * H; i++) ex += xv[b * H * H + i] * xv[b * H * H + i];
      double ratio = 16 * es / ex;
      CHECK(ratio >= 0.123 && ratio <= 1.0001 * 1.02, "image %zu: 4^J ||Sx||^2 / ||x||^2 = %.4f "
            "within the Littlewood-Paley bounds", b, ratio);
    }
    free(r);
  }
  rdn_tensor_release(x), rdn_tensor_release(o);
  rdn_scattering2d_destroy(s);
  free(xv);
}

/* [m, C, H, W] = per-image results, row views, chunking (RDN_SCAT_CHUNK), order 0/1 are
** prefixes of order 2. */
static void batching(rdn_ctx *ctx) {
  size_t xs[4];
  int nx = 0;
  rdn_tensor *x = NULL, *x4 = NULL, *v = NULL, *o = NULL, *o4 = NULL, *ov = NULL, *oc = NULL;
  rdn_tensor *o0 = NULL, *o1 = NULL;
  rdn_scattering *s = NULL, *s0 = NULL, *s1 = NULL;
  double *xv = load(ctx, "kym_a_x.npy", xs, &nx, &x);
  if (!xv || !x) goto done;
  size_t s4[4] = { 2, 2, 32, 32 }, K = 81, P = 64;
  if (!CHECK_OK(ctx, rdn_scattering2d_create(ctx, &s, 32, 32, 2, 8, 2, RDN_SCAT_REFLECT)) ||
      !(o = run(ctx, s, x)) || !CHECK_OK(ctx, rdn_tensor_reshape(&x4, x, 4, s4)) ||
      !(o4 = run(ctx, s, x4)) || !CHECK_OK(ctx, rdn_tensor_rows(&v, x, 1, 3)) ||
      !(ov = run(ctx, s, v)))
    goto done;
  double *a = th_read(o), *b = th_read(o4), *c = th_read(ov);
  CHECK(rdn_tensor_dim(o4, 1) == 2 * K && !memcmp(a, b, 4 * K * P * sizeof *a),
        "[2, 2, 32, 32] input gives [2, 162, 8, 8], equal to the per-image results");
  CHECK(chan_err(c, a + K * P, 3, K, P) <= 1e-6, "row view (offset 1024) matches: err %g",
        chan_err(c, a + K * P, 3, K, P));
  setenv("RDN_SCAT_CHUNK", "3", 1);
  if ((oc = run(ctx, s, x))) {
    double *d = th_read(oc);
    CHECK(chan_err(d, a, 4, K, P) <= 1e-6, "chunks of 3 images (the last one partial) match: "
          "err %g", chan_err(d, a, 4, K, P));
    free(d);
  }
  unsetenv("RDN_SCAT_CHUNK");
  if (CHECK_OK(ctx, rdn_scattering2d_create(ctx, &s0, 32, 32, 2, 8, 0, RDN_SCAT_REFLECT)) &&
      CHECK_OK(ctx, rdn_scattering2d_create(ctx, &s1, 32, 32, 2, 8, 1, RDN_SCAT_REFLECT)) &&
      (o0 = run(ctx, s0, x)) && (o1 = run(ctx, s1, x))) {
    double *d0 = th_read(o0), *d1 = th_read(o1), e = 0;
    for (size_t i = 0; i < 4; i++) {
      e = fmax(e, chan_err(d0 + i * P, a + i * K * P, 1, 1, P));
      e = fmax(e, chan_err(d1 + i * 17 * P, a + i * K * P, 1, 17, P));
    }
    CHECK(rdn_tensor_dim(o0, 1) == 1 && rdn_tensor_dim(o1, 1) == 17 && e <= 1e-6,
          "orders 0 and 1 are the first 1 and 17 channels of order 2: err %g", e);
    free(d0), free(d1);
  }
  free(a), free(b), free(c);
done:
  rdn_tensor_release(x), rdn_tensor_release(x4), rdn_tensor_release(v), rdn_tensor_release(o);
  rdn_tensor_release(o4), rdn_tensor_release(ov), rdn_tensor_release(oc);
  rdn_tensor_release(o0), rdn_tensor_release(o1);
  rdn_scattering2d_destroy(s), rdn_scattering2d_destroy(s0), rdn_scattering2d_destroy(s1);
  free(xv);
}

/* The two engines agree where both run (a non-square periodic grid, odd L); sides > 64
** (96 x 80, past the own engine's lines) fall back to clFFT, checked by shift equivariance. */
static void engines(rdn_ctx *ctx) {
  size_t xs[3] = { 3, 40, 24 };
  rdn_tensor *x = NULL, *a = NULL, *b = NULL;
  rdn_scattering *s1 = NULL, *s2 = NULL;
  if (!CHECK_OK(ctx, rdn_tensor_new(ctx, &x, RDN_F32, 3, xs)) ||
      !CHECK_OK(ctx, rdn_randn(ctx, x, 9)))
    goto done;
  if (CHECK_OK(ctx, rdn_scattering2d_create(ctx, &s1, 40, 24, 3, 5, 2, RDN_SCAT_PERIODIC)) &&
      (a = run(ctx, s1, x))) {
    setenv("RDN_SCAT_FFT", "clfft", 1);
    if (CHECK_OK(ctx, rdn_scattering2d_create(ctx, &s2, 40, 24, 3, 5, 2, RDN_SCAT_PERIODIC)) &&
        (b = run(ctx, s2, x))) {
      double *ra = th_read(a), *rb = th_read(b);
      CHECK(chan_err(ra, rb, 3, rdn_tensor_dim(a, 1), 15) <= 1e-5, "own and clFFT engines agree "
            "(40 x 24, J = 3, L = 5): err %g", chan_err(ra, rb, 3, rdn_tensor_dim(a, 1), 15));
      /* the own engine's row runs span planes and end mid-group (L = 5 planes of 10 or 20
      ** rows per image): chunks of 1 and of 2 images (the last one partial) agree too */
      unsetenv("RDN_SCAT_FFT");
      for (int c = 1; c <= 2; c++) {
        rdn_tensor *o = NULL;
        setenv("RDN_SCAT_CHUNK", c == 1 ? "1" : "2", 1);
        if ((o = run(ctx, s1, x))) {
          double *ro = th_read(o);
          CHECK(chan_err(ro, rb, 3, rdn_tensor_dim(a, 1), 15) <= 1e-5, "own engine in chunks "
                "of %d image(s) agrees with clFFT: err %g", c,
                chan_err(ro, rb, 3, rdn_tensor_dim(a, 1), 15));
          free(ro);
        }
        rdn_tensor_release(o);
        unsetenv("RDN_SCAT_CHUNK");
      }
      free(ra), free(rb);
    }
    unsetenv("RDN_SCAT_FFT");
  }
  shift_equivariance(ctx, 96, 80, 2, 2);          /* sides > 64: the clFFT fallback */
done:
  rdn_tensor_release(x), rdn_tensor_release(a), rdn_tensor_release(b);
  rdn_scattering2d_destroy(s1), rdn_scattering2d_destroy(s2);
}

static void bad_inputs(rdn_ctx *ctx) {
  rdn_scattering *s = NULL;
  CHECK_ERR(ctx, rdn_scattering2d_create(ctx, &s, 28, 28, 5, 8, 2, RDN_SCAT_REFLECT), RDN_EINVAL,
            "J = 5 too large for 28 x 28 images: 2^J = 32");
  CHECK_ERR(ctx, rdn_scattering2d_create(ctx, &s, 28, 28, 0, 8, 2, RDN_SCAT_REFLECT), RDN_EINVAL,
            "J = 0 out of range");
  CHECK_ERR(ctx, rdn_scattering2d_create(ctx, &s, 28, 28, 2, 0, 2, RDN_SCAT_REFLECT), RDN_EINVAL,
            "L = 0 orientations");
  CHECK_ERR(ctx, rdn_scattering2d_create(ctx, &s, 28, 28, 2, 8, 3, RDN_SCAT_REFLECT), RDN_EINVAL,
            "order = 3");
  CHECK_ERR(ctx, rdn_scattering2d_create(ctx, &s, 30, 28, 2, 8, 2, RDN_SCAT_PERIODIC),
            RDN_EINVAL, "multiples of 2^J = 4, got 30 x 28");
  CHECK_ERR(ctx, rdn_scattering2d_create(ctx, &s, 28, 28, 2, 8, 2, (rdn_scat_pad)4), RDN_EINVAL,
            "bad padding: 4");
  CHECK(s == NULL, "no object on failure");
  if (!CHECK_OK(ctx, rdn_scattering2d_create(ctx, &s, 16, 16, 2, 4, 2, RDN_SCAT_REFLECT))) return;
  size_t xs[3] = { 2, 16, 16 }, bs[3] = { 2, 16, 15 }, os[4] = { 2, 25, 4, 4 };
  size_t os2[4] = { 2, 24, 4, 4 };
  rdn_tensor *x = NULL, *xb = NULL, *o = NULL, *ob = NULL, *xd = NULL;
  rdn_tensor_new(ctx, &x, RDN_F32, 3, xs);
  rdn_tensor_new(ctx, &xb, RDN_F32, 3, bs);
  rdn_tensor_new(ctx, &o, RDN_F32, 4, os);
  rdn_tensor_new(ctx, &ob, RDN_F32, 4, os2);
  rdn_tensor_fill(x, 0.5);
  CHECK_ERR(ctx, rdn_scattering2d(s, o, xb), RDN_EINVAL, "'x' is [2 x 16 x 15], want [m, 16, 16]");
  CHECK_ERR(ctx, rdn_scattering2d(s, ob, x), RDN_EINVAL, "want [2 x 25 x 4 x 4]");
  if (rdn_ctx_device(ctx)->has_fp64) {
    rdn_tensor_new(ctx, &xd, RDN_F64, 3, xs);
    CHECK_ERR(ctx, rdn_scattering2d(s, o, xd), RDN_EINVAL, "'x' is f64");
  }
  float bad = NAN;
  clEnqueueWriteBuffer(rdn_ctx_cl_queue(ctx), rdn_tensor_buffer(x), CL_TRUE, 4 * 300, 4, &bad, 0,
                       NULL, NULL);
  CHECK_ERR(ctx, rdn_scattering2d(s, o, x), RDN_EVALUE,
            "'x' has NaN at index 300 (at [1, 2, 12])");
  rdn_tensor_fill(x, 1);
  CHECK_OK(ctx, rdn_scattering2d(s, o, x));
  rdn_tensor_release(x), rdn_tensor_release(xb), rdn_tensor_release(o), rdn_tensor_release(ob);
  rdn_tensor_release(xd);
  rdn_scattering2d_destroy(s);
}

int main(void) {
  rdn_ctx *ctx = th_ctx();
  if (!ctx) return th_done();
  for (int e = 0; e < 2; e++) {       /* the own line-FFT engine, then clFFT (RDN_SCAT_FFT) */
    if (e) setenv("RDN_SCAT_FFT", "clfft", 1);
    kymatio_case(ctx, "a", 2, 8, 2, RDN_SCAT_REFLECT);
    kymatio_case(ctx, "b", 3, 6, 2, RDN_SCAT_REFLECT);
    kymatio_case(ctx, "c", 1, 3, 1, RDN_SCAT_REFLECT);
    kymatio_case(ctx, "p", 2, 8, 2, RDN_SCAT_PERIODIC);
  }
  unsetenv("RDN_SCAT_FFT");
  engines(ctx);
  filters(ctx);
  shift_equivariance(ctx, 32, 32, 2, 8);
  shift_equivariance(ctx, 24, 40, 3, 4);
  energy(ctx);
  batching(ctx);
  bad_inputs(ctx);
  rdn_ctx_destroy(ctx);
  return th_done();
}
