/*
** bench_spectral.c -- one spectral ReduNet layer (SPEC §1.4-1.5, §1.11) by wall clock, best
** of `reps` after one untimed warm-up (program builds, first touch of the context's
** scratch): operators (class Grams as batched GEMMs + one batched Cholesky/logdet/inverse
** over all (k+1) F matrices) and the applied layer (one wide GEMM per frequency + norm,
** membership and update kernels), for 1-D
** C = 16, T = 64, m = 1000 and 2-D 28x28 with C = 35 and 75, m = 100 and 500 (k = 10), on
** random unit-norm signals; the Woodbury form (SPEC §1.11) at C = 75, m = 100 (10 per
** class, the paper's setting).  Baseline: the reference PyTorch times quoted in issue 5
** (measured elsewhere, not on this machine): 1.9 s, 3.4 s (C = 35), 23 s (C = 75).
*/
#include "benchutil.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define K 10

static rdn_ctx *ctx;

typedef struct {
  rdn_spectral_geom g;
  size_t m, c;
  rdn_tensor *v, *w, *y;
  double gamma[K];
} job;

static int setup(job *j) {
  size_t f = rdn_spectral_nfreq(&j->g), xs[4] = { j->m, j->c, j->g.rank == 2 ? j->g.h : j->g.w,
                                                  j->g.w };
  size_t vs[3] = { f, j->m, j->c }, ws[4] = { K + 1, f, j->c, j->c }, ys[1] = { j->m };
  rdn_tensor *x = NULL, *x2 = NULL;
  int *lab = malloc(j->m * sizeof *lab);
  for (size_t i = 0; i < j->m; i++) lab[i] = (int)(i % K);
  size_t flat[2] = { j->m, 1 };
  int bad = rdn_tensor_new(ctx, &x, RDN_F32, j->g.rank + 2, xs) != RDN_OK ||
            rdn_randn(ctx, x, 7) != RDN_OK;
  flat[1] = bad ? 1 : rdn_tensor_numel(x) / j->m;
  bad = bad || rdn_tensor_reshape(&x2, x, 2, flat) != RDN_OK ||
        rdn_normalize_rows(ctx, x2, 1e-8) != RDN_OK ||
        rdn_tensor_new(ctx, &j->v, RDN_C64, 3, vs) != RDN_OK ||
        rdn_tensor_new(ctx, &j->w, RDN_C64, 4, ws) != RDN_OK ||
        rdn_tensor_new(ctx, &j->y, RDN_I32, 1, ys) != RDN_OK ||
        rdn_tensor_write(j->y, lab, j->m * sizeof *lab) != RDN_OK ||
        rdn_spectral_enter(ctx, j->v, x, &j->g) != RDN_OK;
  rdn_tensor_release(x);
  rdn_tensor_release(x2);
  free(lab);
  if (bad) fprintf(stderr, "bench_spectral: %s\n", rdn_ctx_error(ctx));
  return bad;
}

static double wall(int (*fn)(job *), job *j, int reps) {
  double best = INFINITY;
  for (int r = -1; r < reps; r++) {      /* r = -1: warm-up */
    double t0 = bu_now();
    if (fn(j) || rdn_ctx_finish(ctx) != RDN_OK) {
      fprintf(stderr, "bench_spectral: %s\n", rdn_ctx_error(ctx));
      return NAN;
    }
    double t = bu_now() - t0;
    if (r >= 0 && t < best) best = t;
  }
  return best;
}

static int ops(job *j) {
  return rdn_spectral_operators(ctx, j->w, j->gamma, NULL, j->v, j->y, K, 0.1, &j->g) != RDN_OK;
}

static int layer(job *j) {
  return rdn_spectral_layer(ctx, j->v, j->w, j->gamma, 0.5, 500, NULL, NULL, &j->g) != RDN_OK;
}

static rdn_spectral_wb *wbo;

static int ops_wb(job *j) {
  rdn_spectral_wb_destroy(wbo);
  wbo = NULL;
  return rdn_spectral_wb_create(ctx, &wbo, j->gamma, NULL, j->v, j->y, K, 0.1, &j->g) != RDN_OK;
}

static int layer_wb(job *j) {
  return rdn_spectral_layer_wb(ctx, j->v, wbo, j->gamma, 0.5, 500, NULL, NULL, &j->g) != RDN_OK;
}

/* The Woodbury form (m_j = m / K < C): class Grams m_j x m_j, inverses of m_j, three
** thin GEMMs per class instead of one C x C. */
static void run_wb(size_t c, size_t m, int reps) {
  job j = { { 2, 28, 28, 1 }, m, c, NULL, NULL, NULL, { 0 } };
  char shape[96];
  if (setup(&j)) return;
  double f = (double)rdn_spectral_nfreq(&j.g), cc = (double)c, mm = (double)m, mj = mm / K;
  double gram = 8 * f * cc * cc * mm / 1e9 + 8 * f * mj * mj * cc * K / 1e9;
  double chol = f * 4 * cc * cc * cc / 1e9 + K * f * 4 * mj * mj * mj / 1e9;
  double apply = 8 * f * cc * cc * mm / 1e9 + K * 8 * f * mm * (2 * mj * cc + mj * mj) / 1e9;
  double t_ops = wall(ops_wb, &j, reps), t_layer = wall(layer_wb, &j, reps);
  snprintf(shape, sizeof shape, "C=%zu 28x28 m=%zu %.0fMiB", c, m,
           (double)rdn_spectral_wb_bytes(wbo) / 1048576.0);
  bu_row("2-D Woodbury ops", shape, t_ops, gram + chol, "GFLOP/s", -1);
  bu_row("  apply", shape, t_layer, apply, "GFLOP/s", -1);
  bu_row("  layer", shape, t_ops + t_layer, gram + chol + apply, "GFLOP/s", -1);
  rdn_spectral_wb_destroy(wbo);
  wbo = NULL;
  rdn_tensor_release(j.v);
  rdn_tensor_release(j.w);
  rdn_tensor_release(j.y);
}

static void run(const char *name, int rank, size_t h, size_t w, size_t c, size_t m,
                double ref_sec, int reps) {
  job j = { { rank, h, w, 1 }, m, c, NULL, NULL, NULL, { 0 } };
  char shape[96];
  if (setup(&j)) return;
  double f = (double)rdn_spectral_nfreq(&j.g), cc = (double)c, mm = (double)m;
  double gram = 8 * f * cc * cc * mm / 1e9, chol = (K + 1) * f * 4 * cc * cc * cc / 1e9;
  double apply = 8 * (K + 1) * f * cc * cc * mm / 1e9;
  double mem = (K + 1) * f * cc * cc * 8 / 1048576.0;
  double t_ops = wall(ops, &j, reps), t_layer = wall(layer, &j, reps);
  snprintf(shape, sizeof shape, "C=%zu %zux%zu m=%zu %.0fMiB", c, rank == 2 ? h : 1, w, m, mem);
  bu_row(name, shape, t_ops, gram + chol, "GFLOP/s", -1);
  bu_row("  apply", shape, t_layer, apply, "GFLOP/s", -1);
  bu_row("  layer", shape, t_ops + t_layer, gram + chol + apply, "GFLOP/s", ref_sec);
  rdn_tensor_release(j.v);
  rdn_tensor_release(j.w);
  rdn_tensor_release(j.y);
}

int main(void) {
  ctx = bu_ctx();
  if (!ctx) return 0;
  bu_head("spectral ReduNet layer (k = 10, half spectrum)", "PyTorch ref (quoted)");
  run("1-D operators", 1, 1, 64, 16, 1000, 1.9, 3);
  run("2-D operators", 2, 28, 28, 35, 100, -1, 2);
  run("2-D operators", 2, 28, 28, 35, 500, 3.4, 2);
  run("2-D operators", 2, 28, 28, 75, 100, -1, 1);
  run("2-D operators", 2, 28, 28, 75, 500, 23, 2);
  run_wb(75, 100, 1);
  rdn_ctx_destroy(ctx);
  return 0;
}
