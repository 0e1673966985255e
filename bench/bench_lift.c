/*
** bench_lift.c -- the lifting convolution (SPEC §1.6) by its two methods, direct and FFT,
** for the paper's settings: 2-D Fashion-MNIST 28x28, Cin = 1 -> C = 35 and 75, kernel 7 and 3,
** m = 500; 1-D T = 64, Cin = 1 and 16 -> 16, kernel 5, m = 1000.  Device times (OpenCL
** events); each rate counts its own method's flops (rdn.h: direct 2 m Cout Cin N k^2, FFT
** transforms + complex MACs); the ratio column is direct time / FFT time; [auto] marks the
** method rdn_lift_choose picks.
*/
#include "benchutil.h"
#include <math.h>
#include <stdio.h>

static rdn_ctx *ctx;

typedef struct {
  rdn_tensor *x, *w, *out;
  rdn_lift_algo algo;
} job;

static int go(void *arg) {
  job *j = arg;
  return rdn_lift_method(ctx, j->out, j->x, j->w, 1, j->algo) != RDN_OK;
}

static void run(int two, size_t m, size_t cin, size_t cout, size_t h, size_t w, size_t k,
                int reps) {
  size_t xs[4] = { m, cin, h, w }, ws[4] = { cout, cin, k, k }, os[4] = { m, cout, h, w };
  if (!two) xs[2] = xs[3], ws[2] = ws[3], os[2] = os[3];
  job j = { NULL, NULL, NULL, RDN_LIFT_DIRECT };
  rdn_lift_algo pick = RDN_LIFT_AUTO;
  int nd = two ? 4 : 3;
  if (rdn_tensor_new(ctx, &j.x, RDN_F32, nd, xs) != RDN_OK ||
      rdn_tensor_new(ctx, &j.w, RDN_F32, nd, ws) != RDN_OK ||
      rdn_tensor_new(ctx, &j.out, RDN_F32, nd, os) != RDN_OK || rdn_randn(ctx, j.x, 1) != RDN_OK ||
      rdn_randn(ctx, j.w, 2) != RDN_OK || rdn_lift_choose(ctx, j.x, j.w, &pick) != RDN_OK) {
    fprintf(stderr, "bench_lift: %s\n", rdn_ctx_error(ctx));
    goto done;
  }
  double n = (double)(h * w), f = (double)(h * (w / 2 + 1)), mm = (double)m, ci = (double)cin,
         co = (double)cout, kk = two ? (double)(k * k) : (double)k;
  double direct = 2 * mm * co * ci * n * kk / 1e9;
  double fft = (2.5 * n * log2(n) * (mm * ci + co * ci + mm * co) + 8 * mm * co * ci * f) / 1e9;
  char shape[96], op[64];
  snprintf(shape, sizeof shape, "m=%zu Cin=%zu C=%zu %zux%zu k=%zu", m, cin, cout, two ? h : 1,
           w, k);
  double td = bu_device(ctx, go, &j, 1, reps);
  j.algo = RDN_LIFT_FFT;
  double tf = bu_device(ctx, go, &j, 1, reps);
  snprintf(op, sizeof op, "%s direct%s", two ? "2-D" : "1-D",
           pick == RDN_LIFT_DIRECT ? " [auto]" : "");
  bu_row(op, shape, td, direct, "GFLOP/s", -1);
  snprintf(op, sizeof op, "%s fft%s", two ? "2-D" : "1-D", pick == RDN_LIFT_FFT ? " [auto]" : "");
  bu_row(op, shape, tf, fft, "GFLOP/s", td);
done:
  rdn_tensor_release(j.x);
  rdn_tensor_release(j.w);
  rdn_tensor_release(j.out);
}

int main(void) {
  ctx = bu_ctx();
  if (!ctx) return 0;
  bu_head("lifting convolution, direct vs FFT (f32, ReLU)", "direct");
  run(1, 500, 1, 35, 28, 28, 7, 5);
  run(1, 500, 1, 75, 28, 28, 7, 5);
  run(1, 500, 1, 35, 28, 28, 3, 5);
  run(1, 500, 1, 75, 28, 28, 3, 5);
  run(0, 1000, 1, 16, 1, 64, 5, 5);
  run(0, 1000, 16, 16, 1, 64, 5, 5);
  rdn_ctx_destroy(ctx);
  return 0;
}
