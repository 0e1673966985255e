/*
** bench_fft.c -- batched FFT throughput of rdn_fft_execute (clFFT) against FFTW on the
** same batch (fftwf_plan_many_dft[_r2c], FFTW_MEASURE, planned outside the timing,
** single thread).  GFLOP/s count 5 N log2 N per complex transform, half for real input.
*/
#include "benchutil.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef RDN_HAVE_FFTW
#include <fftw3.h>
#endif

typedef struct {
  rdn_fft_plan *p;
  rdn_tensor *in, *out;
} dev_arg;

static int dev_fn(void *a) {
  dev_arg *d = a;
  return rdn_fft_execute(d->p, 0, d->in, d->out) != RDN_OK;
}

/* notes printed under the table (plan cost, agreement with FFTW) */
static char notes[2048];

static void note(const char *op, const char *shape, double first, double cached, double err) {
  size_t used = strlen(notes);
  if (err >= 0)
    snprintf(notes + used, sizeof notes - used, "- %s %s: plan create %.1f ms (cached "
             "%.3f ms), ||rdn - fftw|| / ||fftw|| = %.2g\n", op, shape, first * 1e3,
             cached * 1e3, err);
  else
    snprintf(notes + used, sizeof notes - used, "- %s %s: plan create %.1f ms (cached "
             "%.3f ms)\n", op, shape, first * 1e3, cached * 1e3);
}

#ifdef RDN_HAVE_FFTW
static void host_fn(void *a) { fftwf_execute(*(fftwf_plan *)a); }
#endif

static float *rand_floats(size_t n, unsigned seed) {
  float *v = malloc(n * sizeof *v);
  for (size_t i = 0; i < n; i++) {
    seed = seed * 1664525u + 1013904223u;
    v[i] = (float)(seed >> 8) / 8388608.0f - 1.0f;
  }
  return v;
}

/* one table row: kind R2C or C2C, rank 1 ({w}) or 2 ({h, w}) */
static void row(rdn_ctx *ctx, rdn_fft_kind kind, int rank, size_t h, size_t w, size_t batch) {
  size_t n = rank == 1 ? w : h * w, wh = kind == RDN_FFT_R2C ? w / 2 + 1 : w;
  size_t lens[2] = { rank == 1 ? w : h, w }, nin = batch * n, nout = batch * (n / w) * wh;
  size_t ish[3] = { batch, rank == 1 ? w : h, w }, osh[3] = { batch, rank == 1 ? wh : h, wh };
  int real = kind == RDN_FFT_R2C;
  double gflop = (real ? 2.5 : 5.0) * (double)n * log2((double)n) * (double)batch * 1e-9;
  char op[32], shape[64];
  snprintf(op, sizeof op, "%s %d-D", real ? "R2C" : "C2C", rank);
  if (rank == 1) snprintf(shape, sizeof shape, "%zu x %zu", batch, w);
  else snprintf(shape, sizeof shape, "%zu x %zu x %zu", batch, h, w);

  float *x = rand_floats(real ? nin : 2 * nin, 12345u + (unsigned)n);
  float *y = malloc(2 * nout * sizeof *y);
  dev_arg d = { NULL, NULL, NULL };
  double sec = -1, base = -1, t0, t_first = 0, t_cached = 0;
  if (rdn_tensor_new(ctx, &d.in, real ? RDN_F32 : RDN_C64, rank + 1, ish) != RDN_OK ||
      rdn_tensor_new(ctx, &d.out, RDN_C64, rank + 1, osh) != RDN_OK ||
      rdn_tensor_write(d.in, x, (real ? nin : 2 * nin) * sizeof *x) != RDN_OK)
    goto fail;
  t0 = bu_now();
  if (rdn_fft_plan_create(ctx, &d.p, kind, rank, lens, batch, RDN_FFT_BACKWARD_NORM) != RDN_OK)
    goto fail;
  t_first = bu_now() - t0;
  {  /* a second create of the same plan is served by the ctx's plan cache */
    rdn_fft_plan *again = NULL;
    t0 = bu_now();
    if (rdn_fft_plan_create(ctx, &again, kind, rank, lens, batch, RDN_FFT_BACKWARD_NORM) ==
        RDN_OK)
      t_cached = bu_now() - t0;
    rdn_fft_plan_destroy(again);
  }
  sec = bu_device(ctx, dev_fn, &d, 2, 9);
  if (sec > 0 && rdn_tensor_read(d.out, y, 2 * nout * sizeof *y) != RDN_OK) goto fail;

#ifdef RDN_HAVE_FFTW
  {
    int nn[2] = { (int)lens[0], (int)lens[1] };
    size_t hin = real ? nin : 2 * nin;
    float *fi = fftwf_malloc(hin * sizeof *fi);
    fftwf_complex *fo = fftwf_malloc(nout * sizeof *fo);
    fftwf_plan fp;
    if (real)
      fp = fftwf_plan_many_dft_r2c(rank, nn, (int)batch, fi, NULL, 1, (int)n, fo, NULL, 1,
                                   (int)(nout / batch), FFTW_MEASURE);
    else
      fp = fftwf_plan_many_dft(rank, nn, (int)batch, (fftwf_complex *)fi, NULL, 1, (int)n, fo,
                               NULL, 1, (int)n, FFTW_FORWARD, FFTW_MEASURE);
    memcpy(fi, x, hin * sizeof *fi);   /* after planning: FFTW_MEASURE overwrites */
    base = bu_host(host_fn, &fp, 1, 7);
    if (sec > 0) {   /* sanity: rdn's spectrum equals FFTW's */
      double num = 0, den = 0;
      const float *f = (const float *)fo;
      for (size_t i = 0; i < 2 * nout; i++) {
        num += ((double)y[i] - f[i]) * ((double)y[i] - f[i]);
        den += (double)f[i] * f[i];
      }
      note(op, shape, t_first, t_cached, sqrt(num / den));
    }
    fftwf_destroy_plan(fp);
    fftwf_free(fi);
    fftwf_free(fo);
  }
#else
  if (sec > 0) note(op, shape, t_first, t_cached, -1);
#endif
  bu_row(op, shape, sec, gflop, "GFLOP/s", base);
  goto done;
fail:
  fprintf(stderr, "bench_fft: %s: %s\n", op, rdn_ctx_error(ctx));
  bu_row(op, shape, -1, gflop, "GFLOP/s", -1);
done:
  rdn_fft_plan_destroy(d.p);
  rdn_tensor_release(d.in);
  rdn_tensor_release(d.out);
  free(x);
  free(y);
}

int main(void) {
  rdn_ctx *ctx = bu_ctx();
#ifdef RDN_HAVE_FFTW
  const char *base = "FFTW (1 thread)";
#else
  const char *base = "FFTW (not built)";
#endif
  bu_head("FFT: rdn_fft_execute (clFFT), forward, f32, batched", base);
  row(ctx, RDN_FFT_R2C, 2, 28, 28, 10000);
  row(ctx, RDN_FFT_C2C, 2, 64, 64, 1000);
  row(ctx, RDN_FFT_C2C, 1, 1, 64, 16000);
  printf("\nGFLOP/s count 5 N log2 N per complex transform, 2.5 N log2 N per real one; rdn "
         "time is device time (OpenCL events), FFTW wall time.\n%s", notes);
  rdn_ctx_destroy(ctx);
  return 0;
}
