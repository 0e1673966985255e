/*
** bench_scattering.c -- images per second of the 2-D scattering transform (J = 2, L = 8,
** order 2, 10 000 Fashion-MNIST-sized 28 x 28 images) with both FFT engines, against an
** FFTW lower-bound estimate (FFTW, one thread, executing only the transform's FFTs), and
** GB/s of the separation/concentration streaming kernels against a host copy.
*/
#include "benchutil.h"
#include "hostcopy.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef RDN_HAVE_FFTW
#include <fftw3.h>
#endif

#define NIMG 10000
#define SIDE 28
#define SJ 2
#define SL 8

static rdn_ctx *ctx;

/* ------------------------------------------------------------- scattering */
typedef struct { rdn_scattering *s; rdn_tensor *x, *out; } scat_arg;

static int op_scat(void *p) {
  scat_arg *a = p;
  return rdn_scattering2d(a->s, a->out, a->x) != RDN_OK;
}

static double scat_row(const char *engine, rdn_tensor *x, rdn_tensor *out) {
  scat_arg a = { NULL, x, out };
  if (engine) setenv("RDN_SCAT_FFT", engine, 1);
  if (rdn_scattering2d_create(ctx, &a.s, SIDE, SIDE, SJ, SL, 2, RDN_SCAT_REFLECT) != RDN_OK) {
    fprintf(stderr, "bench_scattering: %s\n", rdn_ctx_error(ctx));
    unsetenv("RDN_SCAT_FFT");
    return -1;
  }
  unsetenv("RDN_SCAT_FFT");
  double sec = bu_device(ctx, op_scat, &a, 1, 3);
  rdn_scattering2d_destroy(a.s);
  return sec;
}

#ifdef RDN_HAVE_FFTW
/* The FFTs one image needs (28 x 28 padded to 36 x 36, J = 2, L = 8): the padded image's
** R2C, per (j1, l1) a C2C inverse and an R2C of |.| at resolution j1, per order-2 path the
** same at j2, and a C2C inverse at resolution J for each of the K = 81 outputs.  Batches
** of FFT_BATCH images, scaled to NIMG. */
#define FFT_BATCH 250
typedef struct { fftwf_plan p[16]; int n; } fft_set;

static void fft_run(void *p) {
  fft_set *f = p;
  for (int r = 0; r < NIMG / FFT_BATCH; r++)
    for (int i = 0; i < f->n; i++) fftwf_execute(f->p[i]);
}

static float *fbuf[2];

static void add_plan(fft_set *f, int n, int howmany, int real) {
  int nn[2] = { n, n };
  if (real)
    f->p[f->n++] = fftwf_plan_many_dft_r2c(2, nn, howmany, fbuf[0], NULL, 1, n * n,
                                           (fftwf_complex *)fbuf[1], NULL, 1, n * (n / 2 + 1),
                                           FFTW_MEASURE);
  else
    f->p[f->n++] = fftwf_plan_many_dft(2, nn, howmany, (fftwf_complex *)fbuf[0], NULL, 1, n * n,
                                       (fftwf_complex *)fbuf[1], NULL, 1, n * n, FFTW_BACKWARD,
                                       FFTW_MEASURE);
}

static double fftw_bound(void) {
  int hp = ((SIDE + (1 << SJ)) / (1 << SJ) + 1) << SJ, b = FFT_BATCH;
  size_t big = (size_t)b * SL * SL * (size_t)(hp / 2) * (hp / 2) * 2 + (size_t)b * SL * hp * hp * 2;
  fft_set f = { { 0 }, 0 };
  fbuf[0] = fftwf_malloc(big * sizeof(float));
  fbuf[1] = fftwf_malloc(big * sizeof(float));
  if (!fbuf[0] || !fbuf[1]) return -1;
  add_plan(&f, hp, b, 1);                          /* padded images */
  add_plan(&f, hp, b * SL, 0), add_plan(&f, hp, b * SL, 1);            /* j1 = 0 */
  add_plan(&f, hp / 2, b * SL, 0), add_plan(&f, hp / 2, b * SL, 1);    /* j1 = 1 */
  add_plan(&f, hp / 2, b * SL * SL, 0), add_plan(&f, hp / 2, b * SL * SL, 1);   /* order 2 */
  add_plan(&f, hp / 4, b * (1 + 2 * SL + SL * SL), 0);                 /* low-pass outputs */
  memset(fbuf[0], 0, big * sizeof(float));
  double sec = bu_host(fft_run, &f, 1, 3);
  for (int i = 0; i < f.n; i++) fftwf_destroy_plan(f.p[i]);
  fftwf_free(fbuf[0]);
  fftwf_free(fbuf[1]);
  return sec;
}
#endif

/* --------------------------------------------------------------- streaming */
#define N ((size_t)32 << 20)     /* 32M elements */
static rdn_tensor *a, *b, *lam, *mu, *var, *cx, *cv, *cm, *cy, *filt;

static int op_shrink(void *p) {
  (void)p;
  return rdn_shrink(ctx, b, a, RDN_SHRINK_SOFT, 0.5) != RDN_OK;
}
static int op_shrink_ip(void *p) {
  (void)p;
  return rdn_shrink(ctx, a, a, RDN_SHRINK_SOFT, 0.0) != RDN_OK;
}
static int op_shrink_ch(void *p) {
  (void)p;
  return rdn_shrink_channels(ctx, b, a, RDN_SHRINK_SOFT, lam, 1) != RDN_OK;
}
static int op_std(void *p) {
  (void)p;
  return rdn_channel_standardize(ctx, b, a, mu, var, 1e-5, 1) != RDN_OK;
}
static int op_cabs(void *p) { return rdn_cabs(ctx, (rdn_tensor *)p, cx) != RDN_OK; }
static int op_cmul(void *p) { (void)p; return rdn_cmul_bank(ctx, cy, cm, filt, 0) != RDN_OK; }
static int op_sub(void *p) { return rdn_fourier_subsample(ctx, (rdn_tensor *)p, cv, 2) != RDN_OK; }
static int op_tr(void *p) { (void)p; return rdn_transpose(ctx, b, a, 64, 1024) != RDN_OK; }
/* clEnqueueCopyBuffer is no kernel (no rdn event): timed by wall clock with clFinish. */
static void copy_wall(void *p) {
  (void)p;
  if (rdn_tensor_copy(b, a) != RDN_OK || rdn_ctx_finish(ctx) != RDN_OK)
    fprintf(stderr, "bench_scattering: %s\n", rdn_ctx_error(ctx));
}

static char *hsrc, *hdst;
static int nthreads;
static void host_copy(void *arg) {
  (void)arg;
  hc_copy(hdst, hsrc, N * sizeof(float), nthreads);
}

/* bytes moved (read + written); baseline: the host copy of as many bytes */
static void srow(const char *op, const char *shape, int (*fn)(void *), void *arg, double bytes,
                 double copy_sec) {
  double sec = bu_device(ctx, fn, arg, 2, 7);
  bu_row(op, shape, sec, bytes * 1e-9, "GB/s", copy_sec * bytes / (2.0 * N * sizeof(float)));
}

/* argument "stream": only the streaming table (quick checks) */
int main(int argc, char **argv) {
  int only_stream = argc > 1 && !strcmp(argv[1], "stream");
  ctx = bu_ctx();
  long np = sysconf(_SC_NPROCESSORS_ONLN);
  nthreads = np < 1 ? 1 : np > 64 ? 64 : (int)np;
  size_t xs[3] = { NIMG, SIDE, SIDE }, os[4] = { NIMG, 81, 7, 7 };
  rdn_tensor *x = NULL, *out = NULL;
  if (rdn_tensor_new(ctx, &x, RDN_F32, 3, xs) != RDN_OK ||
      rdn_tensor_new(ctx, &out, RDN_F32, 4, os) != RDN_OK || rdn_randn(ctx, x, 3) != RDN_OK) {
    fprintf(stderr, "bench_scattering: %s\n", rdn_ctx_error(ctx));
    return 1;
  }
  double fftw = -1;
#ifdef RDN_HAVE_FFTW
  if (!only_stream) fftw = fftw_bound();
#endif
  char shape[64];
  snprintf(shape, sizeof shape, "%d x %d x %d, J=%d L=%d", NIMG, SIDE, SIDE, SJ, SL);
  if (!only_stream) {
    bu_head("Scattering transform (order 2, reflect padding; rate in k images/s)",
            "FFTW 1 thread, FFTs only");
    double own = scat_row(NULL, x, out);
    bu_row("scattering2d (own line FFTs)", shape, own, NIMG * 1e-3, "k img/s", fftw);
    bu_row("scattering2d (clFFT)", shape, scat_row("clfft", x, out), NIMG * 1e-3, "k img/s",
           fftw);
    bu_row("FFTW lower bound (the FFTs only)", shape, fftw, NIMG * 1e-3, "k img/s", fftw);
    /* Kymatio is Python: measured beside this bench (Scattering2D(J=2, shape=(28, 28), L=8),
    ** float32 randn, best of 2 calls on 10 000 images), not run from here */
    printf("\nKymatio 0.3's NumPy frontend on this machine (float32, 10 000 images, best of 2 "
           "calls; not rerun here): 0.70 to 0.84 k img/s in four runs, two sessions; the own "
           "engine's rate above is %.1fx the fastest of those.\n",
           own > 0 ? NIMG * 1e-3 / own / 0.84 : 0.0);
  }
  rdn_tensor_release(x);
  rdn_tensor_release(out);

  /* cm: the first 2048 spectra of 1024 points of cx; the product writes 4x as much */
  size_t n1[1] = { N }, ls[1] = { 64 }, cs[1] = { N / 2 }, fs[2] = { 4, 1024 };
  size_t ms[2] = { 2048, 1024 }, ys[3] = { 2048, 4, 1024 };
  size_t sub[3] = { N / 2 / 1024, 32, 32 }, subo[3] = { N / 2 / 1024, 16, 16 };
  rdn_tensor *so = NULL, *flat = NULL, *half = NULL;
  if (rdn_tensor_new(ctx, &a, RDN_F32, 1, n1) != RDN_OK ||
      rdn_tensor_new(ctx, &b, RDN_F32, 1, n1) != RDN_OK ||
      rdn_tensor_new(ctx, &lam, RDN_F32, 1, ls) != RDN_OK ||
      rdn_tensor_new(ctx, &mu, RDN_F32, 1, ls) != RDN_OK ||
      rdn_tensor_new(ctx, &var, RDN_F32, 1, ls) != RDN_OK ||
      rdn_tensor_new(ctx, &cx, RDN_C64, 1, cs) != RDN_OK ||
      rdn_tensor_new(ctx, &filt, RDN_F32, 2, fs) != RDN_OK ||
      rdn_tensor_new(ctx, &cy, RDN_C64, 3, ys) != RDN_OK ||
      rdn_tensor_new(ctx, &so, RDN_C64, 3, subo) != RDN_OK ||
      rdn_tensor_reshape(&cv, cx, 3, sub) != RDN_OK ||
      rdn_tensor_rows(&flat, cx, 0, 2048 * 1024) != RDN_OK ||
      rdn_tensor_reshape(&cm, flat, 2, ms) != RDN_OK || rdn_tensor_rows(&half, b, 0, N / 2) ||
      rdn_randn(ctx, a, 1) != RDN_OK ||
      rdn_randn(ctx, cx, 2) != RDN_OK || rdn_tensor_fill(lam, 0.5) != RDN_OK ||
      rdn_tensor_fill(mu, 0.1) != RDN_OK || rdn_tensor_fill(var, 2) != RDN_OK ||
      rdn_randn(ctx, filt, 4) != RDN_OK) {
    fprintf(stderr, "bench_scattering: %s\n", rdn_ctx_error(ctx));
    return 1;
  }
  hsrc = malloc(N * sizeof(float));
  hdst = malloc(N * sizeof(float));
  if (!hsrc || !hdst) return 1;
  memset(hsrc, 1, N * sizeof(float));
  memset(hdst, 0, N * sizeof(float));
  rdn_ctx_finish(ctx);
  double copy_sec = bu_host(host_copy, NULL, 2, 7), fb = (double)N * 4;
  char base[64], sh[48], shc[48];
  snprintf(base, sizeof base, "host copy (%d threads, same bytes)", nthreads);
  snprintf(sh, sizeof sh, "f32 [%zuM]", N >> 20);
  snprintf(shc, sizeof shc, "c64 [%zuM]", N >> 21);
  bu_head("Separation / concentration streaming kernels (GB/s read + written)", base);
  bu_row("host copy (memcpy)", sh, copy_sec, 2 * fb * 1e-9, "GB/s", copy_sec);
  bu_row("copy (clEnqueueCopyBuffer, wall)", sh, bu_host(copy_wall, NULL, 2, 7), 2 * fb * 1e-9,
         "GB/s", copy_sec);
  srow("soft threshold (out of place)", sh, op_shrink, NULL, 2 * fb, copy_sec);
  srow("soft threshold (in place)", sh, op_shrink_ip, NULL, 2 * fb, copy_sec);
  srow("soft threshold, 64 channel lambdas", "f32 [512K x 64]", op_shrink_ch, NULL, 2 * fb,
       copy_sec);
  srow("channel standardize (64 channels)", "f32 [512K x 64]", op_std, NULL, 2 * fb, copy_sec);
  srow("complex modulus", shc, op_cabs, half, 1.5 * fb, copy_sec);
  srow("filter-bank product (4 real filters)", "c64 [2048 x 1024] x 4", op_cmul, NULL,
       8.0 * 2048 * 1024 * 5 + 4.0 * 4 * 1024, copy_sec);
  srow("Fourier subsample k = 2", "c64 [16384 x 32 x 32]", op_sub, so, fb * 1.25, copy_sec);
  srow("transpose [64 x 1024] blocks", sh, op_tr, NULL, 2 * fb, copy_sec);
  rdn_tensor *all[] = { a, b, lam, mu, var, cx, cv, flat, cm, filt, cy, so, half };
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) rdn_tensor_release(all[i]);
  free(hsrc);
  free(hdst);
  rdn_ctx_destroy(ctx);
  return 0;
}
