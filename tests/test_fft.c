/*
** test_fft.c -- FFT plans (C2C, R2C, C2R; rank 1 and 2; both norms) against a direct
** O(N^2) double DFT on the host.  Tolerance: ||y - ref||_2 / ||ref||_2 <= 1e-5 over the
** whole batch (f32 storage).  Also round trips, Parseval, views, the plan cache, errors.
*/
#include "harness.h"
#include <stdlib.h>
#include <string.h>

#ifdef __SANITIZE_ADDRESS__
/* clFFT 2.12's own defects, not rdn's: clfftDestroyPlan deletes an action through a
** pointer of the wrong type, and FFTRepo::setProgramCode leaks its kernel-source copies. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "new_delete_type_mismatch=0"; }
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:FFTRepo::setProgramCode\n"; }
#endif

#define TOL 1e-5
#define PI 3.14159265358979323846

/* y = scale * sum_n x[n] e^{sign 2 pi i k.n / (h, w)}, per batch item, complex interleaved.
** A rank-1 transform is h = 1. */
static void ref_dft(const double *x, double *y, size_t batch, size_t h, size_t w, int sign,
                    double scale) {
  double *th = malloc(2 * h * sizeof *th), *tw = malloc(2 * w * sizeof *tw);
  for (size_t j = 0; j < h; j++) {
    th[2 * j] = cos(2 * PI * (double)j / (double)h);
    th[2 * j + 1] = sign * sin(2 * PI * (double)j / (double)h);
  }
  for (size_t j = 0; j < w; j++) {
    tw[2 * j] = cos(2 * PI * (double)j / (double)w);
    tw[2 * j + 1] = sign * sin(2 * PI * (double)j / (double)w);
  }
  for (size_t b = 0; b < batch; b++) {
    const double *xb = x + 2 * b * h * w;
    double *yb = y + 2 * b * h * w;
    for (size_t kh = 0; kh < h; kh++)
      for (size_t kw = 0; kw < w; kw++) {
        double re = 0, im = 0;
        for (size_t nh = 0; nh < h; nh++) {
          const double *a = th + 2 * ((kh * nh) % h);
          for (size_t nw = 0; nw < w; nw++) {
            const double *c = tw + 2 * ((kw * nw) % w), *v = xb + 2 * (nh * w + nw);
            double er = a[0] * c[0] - a[1] * c[1], ei = a[0] * c[1] + a[1] * c[0];
            re += v[0] * er - v[1] * ei;
            im += v[0] * ei + v[1] * er;
          }
        }
        yb[2 * (kh * w + kw)] = scale * re;
        yb[2 * (kh * w + kw) + 1] = scale * im;
      }
  }
  free(th);
  free(tw);
}

/* real [batch, h, w] -> its half spectrum [batch, h, w/2+1] (complex interleaved) */
static void ref_r2c(const double *x, double *y, size_t batch, size_t h, size_t w,
                    double scale) {
  size_t n = batch * h * w, wh = w / 2 + 1;
  double *c = calloc(2 * n, sizeof *c), *f = malloc(2 * n * sizeof *f);
  for (size_t i = 0; i < n; i++) c[2 * i] = x[i];
  ref_dft(c, f, batch, h, w, -1, scale);
  for (size_t r = 0; r < batch * h; r++)
    memcpy(y + 2 * r * wh, f + 2 * r * w, 2 * wh * sizeof *y);
  free(c);
  free(f);
}

/* half spectrum -> real, through the Hermitian extension X[h][w] = conj X[-h][-w] */
static void ref_c2r(const double *x, double *y, size_t batch, size_t h, size_t w,
                    double scale) {
  size_t n = batch * h * w, wh = w / 2 + 1;
  double *c = malloc(2 * n * sizeof *c), *f = malloc(2 * n * sizeof *f);
  for (size_t b = 0; b < batch; b++)
    for (size_t kh = 0; kh < h; kh++)
      for (size_t kw = 0; kw < w; kw++) {
        double *d = c + 2 * ((b * h + kh) * w + kw);
        if (kw < wh) {
          const double *s = x + 2 * ((b * h + kh) * wh + kw);
          d[0] = s[0];
          d[1] = s[1];
        } else {
          const double *s = x + 2 * ((b * h + (h - kh) % h) * wh + (w - kw));
          d[0] = s[0];
          d[1] = -s[1];
        }
      }
  ref_dft(c, f, batch, h, w, +1, scale);
  for (size_t i = 0; i < n; i++) y[i] = f[2 * i];
  free(c);
  free(f);
}

static double l2rel(const double *a, const double *b, size_t n) {
  double num = 0, den = 0;
  for (size_t i = 0; i < n; i++) {
    num += (a[i] - b[i]) * (a[i] - b[i]);
    den += b[i] * b[i];
  }
  return den > 0 ? sqrt(num / den) : sqrt(num);
}

static double *rnd(size_t n, unsigned long long seed) {
  double *v = malloc(n * sizeof *v);
  for (size_t i = 0; i < n; i++) v[i] = th_rand(&seed);
  return v;
}

/* values as the device stores them (f32) */
static void to_f32(double *v, size_t n) {
  for (size_t i = 0; i < n; i++) v[i] = (float)v[i];
}

static const char *norm_name(rdn_fft_norm nm) {
  return nm == RDN_FFT_ORTHO ? "ortho" : "backward";
}

/* One plan, checked against the host DFT: C2C in both directions, R2C forward, C2R
** inverse (its input is the spectrum of a random real signal so it is Hermitian).
** Also checks the input is left unchanged. */
static void check_case(rdn_ctx *ctx, rdn_fft_kind kind, int rank, size_t h, size_t w,
                       size_t batch, rdn_fft_norm nm) {
  size_t len[2] = { rank == 1 ? w : h, w }, wh = w / 2 + 1, n = h * w;
  size_t fsh[3], hsh[3];    /* tensor shapes: drop the h axis for rank 1 */
  int nd = rank + 1;
  fsh[0] = hsh[0] = batch;
  fsh[1] = rank == 1 ? w : h;
  hsh[1] = rank == 1 ? wh : h;
  fsh[2] = w;
  hsh[2] = wh;
  double fwd = nm == RDN_FFT_ORTHO ? 1 / sqrt((double)n) : 1;
  double inv = nm == RDN_FFT_ORTHO ? 1 / sqrt((double)n) : 1 / (double)n;
  rdn_fft_plan *p = NULL;
  char what[96];
  snprintf(what, sizeof what, "%s rank %d %zux%zu batch %zu %s", kind == RDN_FFT_C2C ? "C2C" :
           kind == RDN_FFT_R2C ? "R2C" : "C2R", rank, rank == 1 ? (size_t)1 : h, w, batch,
           norm_name(nm));
  if (!CHECK_OK(ctx, rdn_fft_plan_create(ctx, &p, kind, rank, len, batch, nm))) return;
  size_t nin = kind == RDN_FFT_C2C ? 2 * batch * n : kind == RDN_FFT_R2C ? batch * n
                                                                         : 2 * batch * h * wh;
  size_t nout = kind == RDN_FFT_C2C ? 2 * batch * n : kind == RDN_FFT_R2C ? 2 * batch * h * wh
                                                                          : batch * n;
  double *x, *ref = malloc(nout * sizeof *ref);
  if (kind == RDN_FFT_C2R) {       /* spectrum of a real signal, scaled down to O(1) */
    double *z = rnd(batch * n, 1000 + n);
    x = malloc(nin * sizeof *x);
    ref_r2c(z, x, batch, h, w, 1 / sqrt((double)n));
    free(z);
  } else {
    x = rnd(nin, 77 + n + batch);
  }
  to_f32(x, nin);
  rdn_tensor *ti = th_tensor(ctx, kind == RDN_FFT_R2C ? RDN_F32 : RDN_C64, nd,
                             kind == RDN_FFT_C2R ? hsh : fsh, x);
  rdn_tensor *to = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &to, kind == RDN_FFT_C2R ? RDN_F32 : RDN_C64, nd,
                               kind == RDN_FFT_R2C ? hsh : fsh));
  for (int dir = 0; dir < 2 && ti && to; dir++) {
    if ((kind == RDN_FFT_R2C && dir) || (kind == RDN_FFT_C2R && !dir)) continue;
    if (!CHECK_OK(ctx, rdn_fft_execute(p, dir, ti, to))) break;
    if (kind == RDN_FFT_C2C) ref_dft(x, ref, batch, rank == 1 ? 1 : h, w, dir ? 1 : -1,
                                     dir ? inv : fwd);
    else if (kind == RDN_FFT_R2C) ref_r2c(x, ref, batch, rank == 1 ? 1 : h, w, fwd);
    else ref_c2r(x, ref, batch, rank == 1 ? 1 : h, w, inv);
    double *y = th_read(to);
    double err = l2rel(y, ref, nout);
    CHECK(err <= TOL, "%s %s: rel err %.3g > %g", what, dir ? "inverse" : "forward", err, TOL);
    free(y);
    y = th_read(ti);
    CHECK(l2rel(y, x, nin) == 0, "%s: input changed", what);
    free(y);
  }
  rdn_tensor_release(ti);
  rdn_tensor_release(to);
  rdn_fft_plan_destroy(p);
  free(x);
  free(ref);
}

static void against_dft(rdn_ctx *ctx) {
  static const size_t l1[] = { 6, 15, 28, 35, 64 };
  for (int nm = 0; nm < 2; nm++) {
    for (int i = 0; i < 5; i++) check_case(ctx, RDN_FFT_C2C, 1, 1, l1[i], 3, (rdn_fft_norm)nm);
    check_case(ctx, RDN_FFT_C2C, 2, 28, 28, 2, (rdn_fft_norm)nm);
    check_case(ctx, RDN_FFT_C2C, 2, 7, 9, 3, (rdn_fft_norm)nm);
    for (int k = RDN_FFT_R2C; k <= RDN_FFT_C2R; k++) {
      check_case(ctx, (rdn_fft_kind)k, 1, 1, 15, 3, (rdn_fft_norm)nm);
      check_case(ctx, (rdn_fft_kind)k, 1, 1, 28, 2, (rdn_fft_norm)nm);
      check_case(ctx, (rdn_fft_kind)k, 2, 28, 28, 2, (rdn_fft_norm)nm);
      check_case(ctx, (rdn_fft_kind)k, 2, 7, 9, 3, (rdn_fft_norm)nm);
    }
  }
  check_case(ctx, RDN_FFT_C2C, 1, 1, 1, 4, RDN_FFT_BACKWARD_NORM);   /* length 1 */
  check_case(ctx, RDN_FFT_C2C, 1, 1, 143, 2, RDN_FFT_ORTHO);         /* radix 11 and 13 */
  check_case(ctx, RDN_FFT_R2C, 2, 11, 13, 2, RDN_FFT_ORTHO);
  check_case(ctx, RDN_FFT_R2C, 2, 5, 1, 2, RDN_FFT_ORTHO);           /* W = 1 */
}

/* forward then inverse = identity; with ortho, Parseval sum|X|^2 = sum|x|^2 */
static void round_trip(rdn_ctx *ctx) {
  size_t l2[2] = { 7, 9 }, l1[1] = { 35 };
  size_t sc[3] = { 4, 7, 9 }, sr[2] = { 5, 35 }, sh[2] = { 5, 18 };
  for (int nm = 0; nm < 2; nm++) {
    rdn_fft_plan *p = NULL, *pr = NULL, *pc = NULL;
    double *x = rnd(2 * 4 * 63, 5), *xr = rnd(5 * 35, 6);
    to_f32(x, 2 * 4 * 63);
    to_f32(xr, 5 * 35);
    rdn_tensor *a = th_tensor(ctx, RDN_C64, 3, sc, x), *b = NULL, *c = NULL;
    rdn_tensor *r = th_tensor(ctx, RDN_F32, 2, sr, xr), *f = NULL, *r2 = NULL;
    CHECK_OK(ctx, rdn_tensor_new(ctx, &b, RDN_C64, 3, sc));
    CHECK_OK(ctx, rdn_tensor_new(ctx, &c, RDN_C64, 3, sc));
    CHECK_OK(ctx, rdn_tensor_new(ctx, &f, RDN_C64, 2, sh));
    CHECK_OK(ctx, rdn_tensor_new(ctx, &r2, RDN_F32, 2, sr));
    CHECK_OK(ctx, rdn_fft_plan_create(ctx, &p, RDN_FFT_C2C, 2, l2, 4, (rdn_fft_norm)nm));
    CHECK_OK(ctx, rdn_fft_plan_create(ctx, &pr, RDN_FFT_R2C, 1, l1, 5, (rdn_fft_norm)nm));
    CHECK_OK(ctx, rdn_fft_plan_create(ctx, &pc, RDN_FFT_C2R, 1, l1, 5, (rdn_fft_norm)nm));
    CHECK_OK(ctx, rdn_fft_execute(p, 0, a, b));
    CHECK_OK(ctx, rdn_fft_execute(p, 1, b, c));
    CHECK_OK(ctx, rdn_fft_execute(pr, 0, r, f));
    CHECK_OK(ctx, rdn_fft_execute(pc, 1, f, r2));
    double *y = th_read(c), *yr = th_read(r2), *yb = th_read(b), *yf = th_read(f);
    CHECK(l2rel(y, x, 2 * 4 * 63) <= TOL, "C2C 7x9 round trip (%s): %.3g", norm_name(nm),
          l2rel(y, x, 2 * 4 * 63));
    CHECK(l2rel(yr, xr, 5 * 35) <= TOL, "R2C/C2R 35 round trip (%s): %.3g", norm_name(nm),
          l2rel(yr, xr, 5 * 35));
    if (nm == RDN_FFT_ORTHO) {
      double ex = 0, eX = 0, er = 0, eR = 0;
      for (size_t i = 0; i < 2 * 4 * 63; i++) {
        ex += x[i] * x[i];
        eX += yb[i] * yb[i];
      }
      for (size_t i = 0; i < 5 * 35; i++) er += xr[i] * xr[i];
      for (size_t i = 0; i < 5 * 18; i++)   /* odd T: every bin but DC has a mirror */
        eR += (i % 18 == 0 ? 1 : 2) * (yf[2 * i] * yf[2 * i] + yf[2 * i + 1] * yf[2 * i + 1]);
      CHECK(fabs(eX - ex) <= TOL * ex, "Parseval C2C: %.9g vs %.9g", eX, ex);
      CHECK(fabs(eR - er) <= TOL * er, "Parseval R2C: %.9g vs %.9g", eR, er);
    }
    free(y);
    free(yr);
    free(yb);
    free(yf);
    free(x);
    free(xr);
    rdn_tensor_release(a);
    rdn_tensor_release(b);
    rdn_tensor_release(c);
    rdn_tensor_release(r);
    rdn_tensor_release(f);
    rdn_tensor_release(r2);
    rdn_fft_plan_destroy(p);
    rdn_fft_plan_destroy(pr);
    rdn_fft_plan_destroy(pc);
  }
}

/* C2C of `rows` rows of length t read from row `r0` of a [total, t] tensor into row `w0`
** of another; rows outside keep their fill value. */
static void view_case(rdn_ctx *ctx, size_t t, size_t total, size_t r0, size_t w0,
                      size_t rows) {
  size_t sh[2] = { total, t }, len[1] = { t };
  double *x = rnd(2 * total * t, 31 + t + r0), *ref = malloc(2 * rows * t * sizeof *ref);
  to_f32(x, 2 * total * t);
  rdn_tensor *a = th_tensor(ctx, RDN_C64, 2, sh, x), *b = NULL, *va = NULL, *vb = NULL;
  rdn_fft_plan *p = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &b, RDN_C64, 2, sh));
  CHECK_OK(ctx, rdn_tensor_fill(b, 7.0));
  CHECK_OK(ctx, rdn_tensor_rows(&va, a, r0, rows));
  CHECK_OK(ctx, rdn_tensor_rows(&vb, b, w0, rows));
  CHECK_OK(ctx, rdn_fft_plan_create(ctx, &p, RDN_FFT_C2C, 1, len, rows, RDN_FFT_ORTHO));
  if (CHECK_OK(ctx, rdn_fft_execute(p, 0, va, vb))) {
    ref_dft(x + 2 * r0 * t, ref, rows, 1, t, -1, 1 / sqrt((double)t));
    double *y = th_read(b);
    double err = l2rel(y + 2 * w0 * t, ref, 2 * rows * t);
    CHECK(err <= TOL, "view T=%zu rows [%zu,+%zu) -> [%zu,+%zu): rel err %.3g", t, r0, rows,
          w0, rows, err);
    int kept = 1;
    for (size_t i = 0; i < 2 * total * t; i++)
      if ((i < 2 * w0 * t || i >= 2 * (w0 + rows) * t) && y[i] != (i % 2 ? 0.0 : 7.0)) kept = 0;
    CHECK(kept, "view T=%zu: rows outside the output view unchanged", t);
    free(y);
  }
  rdn_fft_plan_destroy(p);
  rdn_tensor_release(va);
  rdn_tensor_release(vb);
  rdn_tensor_release(a);
  rdn_tensor_release(b);
  free(x);
  free(ref);
}

static void views(rdn_ctx *ctx) {
  view_case(ctx, 15, 6, 1, 3, 3);     /* offsets 120 / 360 bytes: scratch copies */
  view_case(ctx, 16, 40, 16, 32, 3);  /* offsets 2048 / 4096 bytes: sub-buffers */
  view_case(ctx, 12, 12, 4, 1, 3);    /* 384 bytes aligned in, 96 unaligned out */
  /* non-overlapping views of one buffer are not aliases */
  {
    size_t sh[2] = { 4, 15 }, len[1] = { 15 };
    double *x = rnd(2 * 60, 9), ref[60];
    to_f32(x, 120);
    rdn_tensor *a = th_tensor(ctx, RDN_C64, 2, sh, x), *lo = NULL, *hi = NULL;
    rdn_fft_plan *p = NULL;
    CHECK_OK(ctx, rdn_tensor_rows(&lo, a, 0, 2));
    CHECK_OK(ctx, rdn_tensor_rows(&hi, a, 2, 2));
    CHECK_OK(ctx, rdn_fft_plan_create(ctx, &p, RDN_FFT_C2C, 1, len, 2, RDN_FFT_BACKWARD_NORM));
    if (CHECK_OK(ctx, rdn_fft_execute(p, 1, lo, hi))) {
      ref_dft(x, ref, 2, 1, 15, 1, 1 / 15.0);
      double *y = th_read(a);
      CHECK(l2rel(y + 60, ref, 60) <= TOL, "rows 0-1 -> rows 2-3 of one tensor");
      CHECK(l2rel(y, x, 60) == 0, "source rows unchanged");
      free(y);
    }
    rdn_fft_plan_destroy(p);
    rdn_tensor_release(lo);
    rdn_tensor_release(hi);
    rdn_tensor_release(a);
    free(x);
  }
  /* R2C with an unaligned f32 view and extra leading axes: [2, 3, 7, 9] is batch 6 */
  {
    size_t big[2] = { 7, 63 }, s4[4] = { 2, 3, 7, 9 }, o4[4] = { 2, 3, 7, 5 };
    size_t len[2] = { 7, 9 };
    double *x = rnd(7 * 63, 11), *ref = malloc(2 * 6 * 35 * sizeof *ref);
    to_f32(x, 7 * 63);
    rdn_tensor *a = th_tensor(ctx, RDN_F32, 2, big, x), *rows = NULL, *v4 = NULL, *o = NULL;
    rdn_fft_plan *p = NULL;
    CHECK_OK(ctx, rdn_tensor_rows(&rows, a, 1, 6));
    CHECK_OK(ctx, rdn_tensor_reshape(&v4, rows, 4, s4));
    CHECK_OK(ctx, rdn_tensor_new(ctx, &o, RDN_C64, 4, o4));
    CHECK_OK(ctx, rdn_fft_plan_create(ctx, &p, RDN_FFT_R2C, 2, len, 6, RDN_FFT_BACKWARD_NORM));
    if (v4 && CHECK_OK(ctx, rdn_fft_execute(p, 0, v4, o))) {
      ref_r2c(x + 63, ref, 6, 7, 9, 1);
      double *y = th_read(o);
      double err = l2rel(y, ref, 2 * 6 * 35);
      CHECK(err <= TOL, "R2C of a [2 x 3 x 7 x 9] view at offset 63: rel err %.3g", err);
      free(y);
    }
    rdn_fft_plan_destroy(p);
    rdn_tensor_release(v4);
    rdn_tensor_release(rows);
    rdn_tensor_release(o);
    rdn_tensor_release(a);
    free(x);
    free(ref);
  }
}

/* Two handles of one cached plan are independent; destroying one keeps the other usable. */
static void handles(rdn_ctx *ctx) {
  size_t len[1] = { 6 }, sh[2] = { 2, 6 };
  rdn_fft_plan *p1 = NULL, *p2 = NULL;
  double x[24], ref[24];
  unsigned long long st = 3;
  for (int i = 0; i < 24; i++) x[i] = (float)th_rand(&st);
  CHECK_OK(ctx, rdn_fft_plan_create(ctx, &p1, RDN_FFT_C2C, 1, len, 2, RDN_FFT_ORTHO));
  CHECK_OK(ctx, rdn_fft_plan_create(ctx, &p2, RDN_FFT_C2C, 1, len, 2, RDN_FFT_ORTHO));
  CHECK(p1 && p2 && p1 != p2, "each create returns its own handle");
  rdn_fft_plan_destroy(p1);
  rdn_fft_plan_destroy(NULL);
  rdn_tensor *a = th_tensor(ctx, RDN_C64, 2, sh, x), *b = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &b, RDN_C64, 2, sh));
  if (CHECK_OK(ctx, rdn_fft_execute(p2, 0, a, b))) {
    ref_dft(x, ref, 2, 1, 6, -1, 1 / sqrt(6.0));
    double *y = th_read(b);
    CHECK(l2rel(y, ref, 24) <= TOL, "second handle after the first is destroyed");
    free(y);
  }
  rdn_fft_plan_destroy(p2);
  rdn_tensor_release(a);
  rdn_tensor_release(b);
}

static void bad_input(rdn_ctx *ctx) {
  rdn_fft_plan *p = NULL;
  size_t l2[2] = { 28, 28 }, l0[2] = { 28, 0 }, l17[1] = { 17 }, l1[1] = { 15 };
  CHECK_ERR(ctx, rdn_fft_plan_create(ctx, &p, RDN_FFT_C2C, 3, l2, 1, 0), RDN_EINVAL,
            "bad rank: 3");
  CHECK_ERR(ctx, rdn_fft_plan_create(ctx, &p, RDN_FFT_C2C, 0, l2, 1, 0), RDN_EINVAL,
            "bad rank: 0");
  CHECK_ERR(ctx, rdn_fft_plan_create(ctx, &p, RDN_FFT_C2C, 2, l0, 1, 0), RDN_EINVAL,
            "bad length 0 of axis 2");
  CHECK_ERR(ctx, rdn_fft_plan_create(ctx, &p, RDN_FFT_C2C, 2, l2, 0, 0), RDN_EINVAL,
            "bad batch: 0");
  CHECK_ERR(ctx, rdn_fft_plan_create(ctx, &p, (rdn_fft_kind)5, 2, l2, 1, 0), RDN_EINVAL,
            "bad kind: 5");
  CHECK_ERR(ctx, rdn_fft_plan_create(ctx, &p, RDN_FFT_C2C, 2, l2, 1, (rdn_fft_norm)3),
            RDN_EINVAL, "bad norm: 3");
  CHECK_ERR(ctx, rdn_fft_plan_create(ctx, &p, RDN_FFT_C2C, 1, NULL, 1, 0), RDN_EINVAL,
            "'lengths' is NULL");
  CHECK_ERR(ctx, rdn_fft_plan_create(ctx, &p, RDN_FFT_C2C, 1, l17, 1, 0), RDN_EUNSUPPORTED,
            "length 17 of axis 1 is not supported by clFFT");
  size_t huge[2] = { (size_t)1 << 30, (size_t)1 << 30 };
  CHECK_ERR(ctx, rdn_fft_plan_create(ctx, &p, RDN_FFT_C2C, 2, huge, 1, 0), RDN_EINVAL,
            "overflows");
  CHECK(p == NULL, "failed create leaves out NULL");

  /* execute: dtypes, shapes, directions, aliasing */
  size_t s3[3] = { 2, 28, 28 }, h3[3] = { 2, 28, 15 }, s4[3] = { 3, 28, 28 };
  size_t c1[2] = { 2, 15 }, c1b[2] = { 4, 15 };
  rdn_tensor *f = NULL, *c = NULL, *cw = NULL, *d = NULL, *f3 = NULL, *a = NULL, *b = NULL;
  rdn_tensor *v1 = NULL, *v2 = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &f, RDN_F32, 3, s3));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &c, RDN_C64, 3, h3));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &cw, RDN_C64, 3, s3));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &d, RDN_F64, 3, s3));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &f3, RDN_F32, 3, s4));
  if (!CHECK_OK(ctx, rdn_fft_plan_create(ctx, &p, RDN_FFT_R2C, 2, l2, 2, RDN_FFT_ORTHO)))
    goto out;
  CHECK_ERR(ctx, rdn_fft_execute(p, 0, d, c), RDN_EINVAL,
            "in is f64 [2 x 28 x 28], the R2C plan expects f32 [2 x 28 x 28]");
  CHECK_ERR(ctx, rdn_fft_execute(p, 0, f, cw), RDN_EINVAL,
            "out is c64 [2 x 28 x 28], the R2C plan expects c64 [2 x 28 x 15]");
  CHECK_ERR(ctx, rdn_fft_execute(p, 0, f3, c), RDN_EINVAL,
            "in is f32 [3 x 28 x 28], the R2C plan expects f32 [2 x 28 x 28]");
  CHECK_ERR(ctx, rdn_fft_execute(p, 1, f, c), RDN_EINVAL, "R2C plan runs forward only");
  CHECK_ERR(ctx, rdn_fft_execute(p, 2, f, c), RDN_EINVAL, "inverse = 2");
  CHECK_ERR(ctx, rdn_fft_execute(p, 0, NULL, c), RDN_EINVAL, "'in' is NULL");
  CHECK_ERR(ctx, rdn_fft_execute(NULL, 0, f, c), RDN_EINVAL, "plan is NULL");
  CHECK_OK(ctx, rdn_fft_execute(p, 0, f, c));
  rdn_fft_plan_destroy(p);
  p = NULL;
  CHECK_OK(ctx, rdn_fft_plan_create(ctx, &p, RDN_FFT_C2R, 2, l2, 2, RDN_FFT_ORTHO));
  CHECK_ERR(ctx, rdn_fft_execute(p, 0, c, f), RDN_EINVAL, "C2R plan runs inverse only");
  CHECK_ERR(ctx, rdn_fft_execute(p, 1, f, c), RDN_EINVAL,
            "in is f32 [2 x 28 x 28], the C2R plan expects c64 [2 x 28 x 15]");
  rdn_fft_plan_destroy(p);
  p = NULL;
  CHECK_OK(ctx, rdn_fft_plan_create(ctx, &p, RDN_FFT_C2C, 1, l1, 2, RDN_FFT_BACKWARD_NORM));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &a, RDN_C64, 2, c1));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &b, RDN_C64, 2, c1b));
  CHECK_ERR(ctx, rdn_fft_execute(p, 0, a, a), RDN_EINVAL, "in and out alias");
  CHECK_OK(ctx, rdn_tensor_rows(&v1, b, 0, 2));
  CHECK_OK(ctx, rdn_tensor_rows(&v2, b, 1, 2));
  CHECK_ERR(ctx, rdn_fft_execute(p, 0, v1, v2), RDN_EINVAL,
            "bytes [0, 240) and [120, 360) of one buffer overlap");
  CHECK_ERR(ctx, rdn_fft_execute(p, 0, a, f), RDN_EINVAL,
            "out is f32 [2 x 28 x 28], the C2C plan expects c64 [2 x 15]");
out:
  rdn_fft_plan_destroy(p);
  rdn_tensor_release(v1);
  rdn_tensor_release(v2);
  rdn_tensor_release(a);
  rdn_tensor_release(b);
  rdn_tensor_release(f);
  rdn_tensor_release(c);
  rdn_tensor_release(cw);
  rdn_tensor_release(d);
  rdn_tensor_release(f3);
}

/* Tiny C2C forward in a given ctx, checked against the host DFT. */
static void tiny(rdn_ctx *ctx, const char *what) {
  size_t len[1] = { 5 }, sh[1] = { 5 };
  double x[10], ref[10];
  unsigned long long st = 8;
  rdn_fft_plan *p = NULL;
  for (int i = 0; i < 10; i++) x[i] = (float)th_rand(&st);
  rdn_tensor *a = th_tensor(ctx, RDN_C64, 1, sh, x), *b = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &b, RDN_C64, 1, sh));
  if (CHECK_OK(ctx, rdn_fft_plan_create(ctx, &p, RDN_FFT_C2C, 1, len, 1, 0)) &&
      CHECK_OK(ctx, rdn_fft_execute(p, 0, a, b))) {
    ref_dft(x, ref, 1, 1, 5, -1, 1);
    double *y = th_read(b);
    CHECK(l2rel(y, ref, 10) <= TOL, "tiny FFT in %s", what);
    free(y);
  }
  rdn_fft_plan_destroy(p);
  rdn_tensor_release(a);
  rdn_tensor_release(b);
}

/* RDN_FFT selects the provider when a ctx first uses FFT; a second ctx shares clFFT's
** process-wide setup with the first. */
static void providers(rdn_ctx *ctx) {
  size_t len[1] = { 8 };
  rdn_fft_plan *p = NULL;
  rdn_ctx *c2 = NULL;
  setenv("RDN_FFT", "own", 1);
  if (CHECK_OK(c2, rdn_ctx_create(&c2, NULL)))
    CHECK_ERR(c2, rdn_fft_plan_create(c2, &p, RDN_FFT_C2C, 1, len, 1, 0), RDN_EUNSUPPORTED,
              "'own' (RDN_FFT=own) is not implemented yet");
  rdn_ctx_destroy(c2);
  c2 = NULL;
  setenv("RDN_FFT", "fftw", 1);
  if (CHECK_OK(c2, rdn_ctx_create(&c2, NULL)))
    CHECK_ERR(c2, rdn_fft_plan_create(c2, &p, RDN_FFT_C2C, 1, len, 1, 0), RDN_EINVAL,
              "bad RDN_FFT value: 'fftw'");
  rdn_ctx_destroy(c2);
  c2 = NULL;
  setenv("RDN_FFT", "clfft", 1);
  setenv("RDN_PROFILE", "1", 1);     /* also exercises the profiled (event) path */
  if (CHECK_OK(c2, rdn_ctx_create(&c2, NULL))) {
    double ms = -1;
    tiny(c2, "a second ctx");
    check_case(c2, RDN_FFT_C2C, 2, 7, 9, 2, RDN_FFT_ORTHO);
    CHECK_OK(c2, rdn_ctx_device_time(c2, &ms));
    CHECK(ms > 0, "profiled FFTs report device time (%g ms)", ms);
  }
  rdn_ctx_destroy(c2);
  unsetenv("RDN_PROFILE");
  unsetenv("RDN_FFT");
  tiny(ctx, "the first ctx after the second is destroyed");
}

/* More distinct plans than the cache keeps (32): unused ones are evicted, a plan with a
** live handle survives and still computes the right thing. */
static void eviction(rdn_ctx *ctx) {
  size_t len[1] = { 8 };
  rdn_fft_plan *keep = NULL;
  CHECK_OK(ctx, rdn_fft_plan_create(ctx, &keep, RDN_FFT_C2C, 1, len, 1, 0));
  for (size_t b = 2; b < 42; b++) {
    rdn_fft_plan *p = NULL;
    if (!CHECK_OK(ctx, rdn_fft_plan_create(ctx, &p, RDN_FFT_C2C, 1, len, b, 0))) break;
    rdn_fft_plan_destroy(p);
  }
  size_t sh[1] = { 8 };
  double x[16], ref[16];
  unsigned long long st = 12;
  for (int i = 0; i < 16; i++) x[i] = (float)th_rand(&st);
  rdn_tensor *a = th_tensor(ctx, RDN_C64, 1, sh, x), *b = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &b, RDN_C64, 1, sh));
  if (keep && CHECK_OK(ctx, rdn_fft_execute(keep, 1, a, b))) {
    ref_dft(x, ref, 1, 1, 8, 1, 1 / 8.0);
    double *y = th_read(b);
    CHECK(l2rel(y, ref, 16) <= TOL, "held plan after 40 others passed through the cache");
    free(y);
  }
  rdn_fft_plan_destroy(keep);
  rdn_tensor_release(a);
  rdn_tensor_release(b);
}

int main(void) {
  rdn_ctx *ctx = th_ctx();
  if (!ctx) return th_done();
  { /* a build without clFFT refuses every plan, with the reason */
    size_t len[1] = { 4 };
    rdn_fft_plan *p = NULL;
    rdn_status s = rdn_fft_plan_create(ctx, &p, RDN_FFT_C2C, 1, len, 1, 0);
    if (s == RDN_EUNSUPPORTED) {
      CHECK(strstr(rdn_ctx_error(ctx), "clFFT not available in this build") != NULL,
            "no-provider message: %s", rdn_ctx_error(ctx));
      rdn_ctx_destroy(ctx);
      return th_done();
    }
    CHECK_ST(ctx, s, RDN_OK);
    rdn_fft_plan_destroy(p);
  }
  against_dft(ctx);
  round_trip(ctx);
  views(ctx);
  handles(ctx);
  eviction(ctx);
  bad_input(ctx);
  providers(ctx);
  rdn_ctx_destroy(ctx);
  /* the last ctx tore clFFT down; a new ctx sets it up again */
  if ((ctx = th_ctx()) != NULL) tiny(ctx, "a ctx created after clFFT teardown");
  rdn_ctx_destroy(ctx);
  return th_done();
}
