/*
** test_lift.c -- the lifting convolution (SPEC §1.6) by both methods: direct and FFT against
** a float64 host circular cross-correlation (odd sizes, kernels 1, 3 and full size, ReLU on
** and off, views with offsets, several FFT chunks), FFT == direct, shift equivariance, the
** AUTO choice (documented estimate and fallback) and every bad input.
*/
#include "harness.h"
#include <stdlib.h>
#include <string.h>

typedef struct { int two; size_t m, ci, co, h, w, kh, kw; } dims;

static const char *mname(rdn_lift_algo a) {
  return a == RDN_LIFT_AUTO ? "auto" : a == RDN_LIFT_DIRECT ? "direct" : "fft";
}

/* Host reference: out [m, co, h, w] from x [m, ci, h, w] and wt [co, ci, kh, kw]. */
static void host_lift(const dims *d, const double *x, const double *wt, int relu, double *out) {
  for (size_t s = 0; s < d->m; s++)
    for (size_t o = 0; o < d->co; o++)
      for (size_t y = 0; y < d->h; y++)
        for (size_t z = 0; z < d->w; z++) {
          double t = 0;
          for (size_t c = 0; c < d->ci; c++)
            for (size_t a = 0; a < d->kh; a++)
              for (size_t b = 0; b < d->kw; b++)
                t += wt[((o * d->ci + c) * d->kh + a) * d->kw + b] *
                     x[((s * d->ci + c) * d->h + (y + a) % d->h) * d->w + (z + b) % d->w];
          out[((s * d->co + o) * d->h + y) * d->w + z] = relu ? fmax(t, 0) : t;
        }
}

/* A tensor [n, c, (h,) w] (3-D when !two) of dtype dt with values v (may be NULL). */
static rdn_tensor *mk(rdn_ctx *ctx, rdn_dtype dt, int two, size_t n, size_t c, size_t h,
                      size_t w, const double *v) {
  size_t s4[4] = { n, c, h, w }, s3[3] = { n, c, w };
  if (v) return two ? th_tensor(ctx, dt, 4, s4, v) : th_tensor(ctx, dt, 3, s3, v);
  rdn_tensor *t = NULL;
  if (rdn_tensor_new(ctx, &t, dt, two ? 4 : 3, two ? s4 : s3) != RDN_OK) return NULL;
  return t;
}

static double *rand_vals(size_t n, unsigned long long seed) {
  double *v = malloc(n * sizeof *v);
  for (size_t i = 0; i < n; i++) v[i] = th_rand(&seed);
  return v;
}

/* Every method on x and out as row views (sample 0 of x dropped, out written at rows 1..m
** of a larger tensor) against the host reference (FFT only when `fft`). */
static void check_ref(rdn_ctx *ctx, dims d, rdn_dtype dt, unsigned long long seed, int fft) {
  size_t ex = d.ci * d.h * d.w, eo = d.co * d.h * d.w, nw = d.co * d.ci * d.kh * d.kw;
  double *x = rand_vals((d.m + 1) * ex, seed), *wt = rand_vals(nw, seed + 1);
  double *ref = malloc(d.m * eo * sizeof *ref);
  rdn_tensor *xt = mk(ctx, dt, d.two, d.m + 1, d.ci, d.h, d.w, x);
  rdn_tensor *wtt = mk(ctx, dt, d.two, d.co, d.ci, d.kh, d.kw, wt);
  rdn_tensor *ot = mk(ctx, dt, d.two, d.m + 2, d.co, d.h, d.w, NULL), *xv = NULL, *ov = NULL;
  double tol = dt == RDN_F64 ? 1e-12 : 2e-5;   /* f32: a few ulps of sum |w x| ~ ci k^2 */
  if (CHECK_OK(ctx, rdn_tensor_rows(&xv, xt, 1, d.m)) &&
      CHECK_OK(ctx, rdn_tensor_rows(&ov, ot, 1, d.m))) {
    for (int relu = 0; relu <= 1; relu++) {
      host_lift(&d, x + ex, wt, relu, ref);
      for (int a = RDN_LIFT_AUTO; a <= RDN_LIFT_FFT; a++) {
        if (a == RDN_LIFT_FFT && (dt == RDN_F64 || !fft)) continue;
        if (!CHECK_OK(ctx, rdn_tensor_fill(ot, 7)) ||
            !CHECK_OK(ctx, rdn_lift_method(ctx, ov, xv, wtt, relu, (rdn_lift_algo)a)))
          continue;
        double *o = th_read(ot), e = th_relerr(o + eo, ref, d.m * eo, 1);
        CHECK(e < tol, "%s %s %zux%zu k %zux%zu relu %d %s vs host: %g (tol %g)",
              d.two ? "2-D" : "1-D", rdn_dtype_name(dt), d.h, d.w, d.kh, d.kw, relu,
              mname((rdn_lift_algo)a), e, tol);
        int kept = 1;         /* rows 0 and m+1 of out are outside the view */
        for (size_t i = 0; i < eo; i++)
          kept &= o[i] == 7 && o[(d.m + 1) * eo + i] == 7;
        CHECK(kept, "%s: rows outside the out view untouched", mname((rdn_lift_algo)a));
        free(o);
      }
    }
  }
  rdn_tensor_release(xv);
  rdn_tensor_release(ov);
  rdn_tensor_release(xt);
  rdn_tensor_release(wtt);
  rdn_tensor_release(ot);
  free(x);
  free(wt);
  free(ref);
}

/* Runs method a on host data; returns the output (caller frees) or NULL. */
static double *run(rdn_ctx *ctx, dims d, const double *x, const double *wt, int relu,
                   rdn_lift_algo a) {
  rdn_tensor *xt = mk(ctx, RDN_F32, d.two, d.m, d.ci, d.h, d.w, x);
  rdn_tensor *wtt = mk(ctx, RDN_F32, d.two, d.co, d.ci, d.kh, d.kw, wt);
  rdn_tensor *ot = mk(ctx, RDN_F32, d.two, d.m, d.co, d.h, d.w, NULL);
  double *o = NULL;
  if (CHECK_OK(ctx, rdn_lift_method(ctx, ot, xt, wtt, relu, a))) o = th_read(ot);
  rdn_tensor_release(xt);
  rdn_tensor_release(wtt);
  rdn_tensor_release(ot);
  return o;
}

/* FFT == direct on a larger case, in several chunks (RDN_LIFT_CHUNK, a shorter last one). */
static void check_agree(rdn_ctx *ctx, dims d, const char *chunk) {
  size_t nx = d.m * d.ci * d.h * d.w, no = d.m * d.co * d.h * d.w;
  double *x = rand_vals(nx, 31), *wt = rand_vals(d.co * d.ci * d.kh * d.kw, 32);
  if (chunk) setenv("RDN_LIFT_CHUNK", chunk, 1);
  double *a = run(ctx, d, x, wt, 0, RDN_LIFT_DIRECT), *b = run(ctx, d, x, wt, 0, RDN_LIFT_FFT);
  unsetenv("RDN_LIFT_CHUNK");
  if (a && b)
    CHECK(th_relerr(b, a, no, 1) < 2e-5, "fft == direct %zux%zu k %zu chunk %s: %g", d.h, d.w,
          d.kw, chunk ? chunk : "-", th_relerr(b, a, no, 1));
  free(a);
  free(b);
  free(x);
  free(wt);
}

/* Shift equivariance: lift(shift(x)) = shift(lift(x)) for circular shifts (dy, dz). */
static void check_shift(rdn_ctx *ctx, dims d, size_t dy, size_t dz, rdn_lift_algo al) {
  size_t nx = d.m * d.ci * d.h * d.w, no = d.m * d.co * d.h * d.w;
  double *x = rand_vals(nx, 41), *xs = malloc(nx * sizeof *xs), *want = malloc(no * sizeof *want);
  double *wt = rand_vals(d.co * d.ci * d.kh * d.kw, 42);
  for (size_t r = 0; r < d.m * d.ci; r++)
    for (size_t y = 0; y < d.h; y++)
      for (size_t z = 0; z < d.w; z++)
        xs[(r * d.h + (y + dy) % d.h) * d.w + (z + dz) % d.w] = x[(r * d.h + y) * d.w + z];
  double *a = run(ctx, d, x, wt, 1, al), *b = run(ctx, d, xs, wt, 1, al);
  if (a && b) {
    for (size_t r = 0; r < d.m * d.co; r++)
      for (size_t y = 0; y < d.h; y++)
        for (size_t z = 0; z < d.w; z++)
          want[(r * d.h + (y + dy) % d.h) * d.w + (z + dz) % d.w] = a[(r * d.h + y) * d.w + z];
    CHECK(th_relerr(b, want, no, 1) < 1e-5, "%s shift (%zu, %zu) equivariance: %g", mname(al),
          dy, dz, th_relerr(b, want, no, 1));
  }
  free(a);
  free(b);
  free(x);
  free(xs);
  free(want);
  free(wt);
}

static rdn_lift_algo choice(rdn_ctx *ctx, dims d) {
  rdn_tensor *xt = mk(ctx, RDN_F32, d.two, d.m, d.ci, d.h, d.w, NULL);
  rdn_tensor *wtt = mk(ctx, RDN_F32, d.two, d.co, d.ci, d.kh, d.kw, NULL);
  rdn_lift_algo a = RDN_LIFT_AUTO;
  CHECK_OK(ctx, rdn_lift_choose(ctx, xt, wtt, &a));
  rdn_tensor_release(xt);
  rdn_tensor_release(wtt);
  return a;
}

/* AUTO: the documented estimate picks direct for k = 1 and the FFT for a full-size kernel;
** a length the FFT provider cannot do (34 = 2 x 17) falls back to direct. */
static void check_auto(rdn_ctx *ctx) {
  dims small = { 0, 16, 4, 8, 1, 32, 1, 1 }, full = { 0, 16, 4, 8, 1, 32, 1, 32 };
  dims odd = { 0, 16, 4, 8, 1, 34, 1, 34 };
  CHECK(choice(ctx, small) == RDN_LIFT_DIRECT, "auto picks direct for k = 1");
  CHECK(choice(ctx, full) == RDN_LIFT_FFT, "auto picks fft for k = T = 32");
  CHECK(choice(ctx, odd) == RDN_LIFT_DIRECT, "auto falls back to direct for T = 34");
  check_ref(ctx, odd, RDN_F32, 51, 0);                 /* AUTO (direct) still right */
  rdn_tensor *xt = mk(ctx, RDN_F32, 0, 2, 1, 1, 34, NULL), *wtt = mk(ctx, RDN_F32, 0, 3, 1, 1,
                                                                      5, NULL);
  rdn_tensor *ot = mk(ctx, RDN_F32, 0, 2, 3, 1, 34, NULL);
  rdn_tensor_fill(xt, 1);
  rdn_tensor_fill(wtt, 1);
  CHECK_ERR(ctx, rdn_lift_method(ctx, ot, xt, wtt, 1, RDN_LIFT_FFT), RDN_EUNSUPPORTED,
            "length 34");
  rdn_lift_algo a;
  CHECK_ERR(ctx, rdn_lift_choose(ctx, xt, wtt, NULL), RDN_EINVAL, "'algo' is NULL");
  CHECK_ERR(ctx, rdn_lift_choose(ctx, xt, ot, &a), RDN_EINVAL, "[2 x 3 x 34]");
  rdn_tensor_release(xt);
  rdn_tensor_release(wtt);
  rdn_tensor_release(ot);
  dims d2 = { 1, 1, 1, 1, 26, 6, 3, 3 };            /* 26 = 2 x 13: the FFT can */
  xt = mk(ctx, RDN_F32, 1, 1, 1, 17, 6, NULL);
  wtt = mk(ctx, RDN_F32, 1, 1, 1, 3, 3, NULL);
  ot = mk(ctx, RDN_F32, 1, 1, 1, 17, 6, NULL);
  rdn_tensor_fill(xt, 1);
  rdn_tensor_fill(wtt, 1);
  CHECK_ERR(ctx, rdn_lift_method(ctx, ot, xt, wtt, 0, RDN_LIFT_FFT), RDN_EUNSUPPORTED,
            "size 17 x 6");
  check_ref(ctx, d2, RDN_F32, 52, 1);
  rdn_tensor_release(xt);
  rdn_tensor_release(wtt);
  rdn_tensor_release(ot);
}

/* Bad inputs, for each method: method value, shapes, dtypes, NaN in x and in w, f64 FFT. */
static void check_errors(rdn_ctx *ctx) {
  rdn_tensor *x = mk(ctx, RDN_F32, 1, 3, 2, 5, 6, NULL), *w = mk(ctx, RDN_F32, 1, 4, 2, 3, 3,
                                                                 NULL);
  rdn_tensor *o = mk(ctx, RDN_F32, 1, 3, 4, 5, 6, NULL), *wbad = mk(ctx, RDN_F32, 1, 4, 3, 3, 3,
                                                                    NULL);
  rdn_tensor *wbig = mk(ctx, RDN_F32, 1, 4, 2, 6, 3, NULL), *obad = mk(ctx, RDN_F32, 1, 3, 5, 5,
                                                                       6, NULL);
  rdn_tensor *o64 = mk(ctx, RDN_F64, 1, 3, 4, 5, 6, NULL), *x3 = mk(ctx, RDN_F32, 0, 3, 2, 1, 6,
                                                                    NULL);
  rdn_tensor_fill(x, 0.5);
  rdn_tensor_fill(w, 0.25);
  CHECK_ERR(ctx, rdn_lift_method(ctx, o, x, w, 1, (rdn_lift_algo)7), RDN_EINVAL,
            "bad method: 7");
  CHECK_ERR(ctx, rdn_lift_method(ctx, o, x, w, 1, (rdn_lift_algo)-1), RDN_EINVAL,
            "bad method: -1");
  for (int a = RDN_LIFT_AUTO; a <= RDN_LIFT_FFT; a++) {
    rdn_lift_algo al = (rdn_lift_algo)a;
    CHECK_ERR(ctx, rdn_lift_method(ctx, o, x, wbad, 1, al), RDN_EINVAL, "[4 x 3 x 3 x 3]");
    CHECK_ERR(ctx, rdn_lift_method(ctx, o, x, wbig, 1, al), RDN_EINVAL, "kernel <= signal");
    CHECK_ERR(ctx, rdn_lift_method(ctx, obad, x, w, 1, al), RDN_EINVAL, "[3 x 5 x 5 x 6]");
    CHECK_ERR(ctx, rdn_lift_method(ctx, o64, x, w, 1, al), RDN_EINVAL, "f32, f32, f64");
    CHECK_ERR(ctx, rdn_lift_method(ctx, o, x3, w, 1, al), RDN_EINVAL, "[3 x 2 x 6]");
    CHECK_ERR(ctx, rdn_lift_method(ctx, o, NULL, w, 1, al), RDN_EINVAL, "'x'");
  }
  rdn_tensor *x64 = mk(ctx, RDN_F64, 1, 3, 2, 5, 6, NULL), *w64 = mk(ctx, RDN_F64, 1, 4, 2, 3, 3,
                                                                     NULL);
  rdn_tensor_fill(x64, 1);
  rdn_tensor_fill(w64, 1);
  CHECK_ERR(ctx, rdn_lift_method(ctx, o64, x64, w64, 1, RDN_LIFT_FFT), RDN_EUNSUPPORTED,
            "got f64");
  float nan = NAN;
  cl_command_queue q = rdn_ctx_cl_queue(ctx);
  CHECK(clEnqueueWriteBuffer(q, rdn_tensor_buffer(w), CL_TRUE, 5 * 4, 4, &nan, 0, NULL, NULL)
        == CL_SUCCESS, "write NaN into w");
  for (int a = RDN_LIFT_AUTO; a <= RDN_LIFT_FFT; a++)
    CHECK_ERR(ctx, rdn_lift_method(ctx, o, x, w, 1, (rdn_lift_algo)a), RDN_EVALUE,
              "'w' has NaN at index 5");
  rdn_tensor_fill(w, 0.25);
  CHECK(clEnqueueWriteBuffer(q, rdn_tensor_buffer(x), CL_TRUE, 17 * 4, 4, &nan, 0, NULL, NULL)
        == CL_SUCCESS, "write NaN into x");
  for (int a = RDN_LIFT_AUTO; a <= RDN_LIFT_FFT; a++)
    CHECK_ERR(ctx, rdn_lift_method(ctx, o, x, w, 1, (rdn_lift_algo)a), RDN_EVALUE,
              "'x' has NaN at index 17");
  CHECK_ERR(ctx, rdn_lift(ctx, o, x, w, 1), RDN_EVALUE, "rdn_lift: ");
  CHECK(rdn_lift_method(NULL, o, x, w, 1, RDN_LIFT_FFT) == RDN_EINVAL, "NULL ctx");
  rdn_tensor *all[] = { x, w, o, wbad, wbig, obad, o64, x3, x64, w64 };
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) rdn_tensor_release(all[i]);
}

int main(void) {
  rdn_ctx *ctx = th_ctx();
  if (!ctx) return th_done();
  /* { two, m, Cin, Cout, H, W, kh, kw } */
  dims cases[] = {
    { 0, 3, 2, 3, 1, 7, 1, 3 }, { 0, 3, 2, 3, 1, 7, 1, 1 }, { 0, 3, 2, 3, 1, 7, 1, 7 },
    { 1, 3, 2, 3, 5, 6, 3, 3 }, { 1, 3, 2, 3, 5, 6, 1, 1 }, { 1, 3, 2, 3, 5, 6, 5, 6 },
    { 1, 2, 1, 4, 5, 6, 2, 3 },     /* rectangular kernel, Cin = 1 */
    { 1, 2, 3, 2, 1, 9, 1, 4 },     /* 4-D with H = 1 (rank-1 transforms) */
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) check_ref(ctx, cases[i], RDN_F32,
                                                                       100 + i, 1);
  if (rdn_ctx_device(ctx)->has_fp64) {
    check_ref(ctx, cases[0], RDN_F64, 200, 0);
    check_ref(ctx, cases[3], RDN_F64, 201, 0);
  }
  check_agree(ctx, (dims){ 1, 5, 3, 4, 12, 10, 5, 5 }, NULL);
  check_agree(ctx, (dims){ 1, 5, 3, 4, 12, 10, 5, 5 }, "2");   /* chunks 2, 2, 1 */
  check_agree(ctx, (dims){ 0, 7, 2, 16, 1, 64, 1, 5 }, "3");
  check_shift(ctx, (dims){ 1, 2, 2, 3, 7, 6, 3, 3 }, 3, 4, RDN_LIFT_FFT);
  check_shift(ctx, (dims){ 1, 2, 2, 3, 7, 6, 3, 3 }, 3, 4, RDN_LIFT_DIRECT);
  check_shift(ctx, (dims){ 0, 2, 2, 3, 1, 9, 1, 4 }, 0, 5, RDN_LIFT_FFT);
  check_auto(ctx);
  check_errors(ctx);
  rdn_ctx_destroy(ctx);
  return th_done();
}
