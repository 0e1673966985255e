/*
** bench_gemm.c -- GFLOP/s of rdn_gemm (own kernels and one CLBlast row) against OpenBLAS
** in the same run: sgemm n = 512..2048, the covariance A^T A of A = [5000 x 784], dgemm,
** and batched complex rows (one with the spectral layer's block shape, C = 35, k = 10;
** complex rates count 8 flops per multiply-add, as BLAS does, though the own kernels run
** 6).  Device time from OpenCL events, host time by wall clock.
*/
#include "benchutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef RDN_HAVE_OPENBLAS
#include <cblas.h>
#endif

static rdn_ctx *ctx;

typedef struct {
  rdn_trans ta, tb;
  rdn_tensor *a, *b, *c;
  /* host copies for the baseline */
  rdn_dtype dt;
  size_t m, n, k, batch;
  void *ha, *hb, *hc;
} job;

static int run_rdn(void *p) {
  job *j = p;
  return rdn_gemm(ctx, j->ta, j->tb, 1.0, j->a, j->b, 0.0, j->c) != RDN_OK;
}

/* Wall clock for CLBlast: its event covers only the last of the kernels it enqueues. */
static void run_rdn_wall(void *p) {
  if (run_rdn(p) || rdn_ctx_finish(ctx) != RDN_OK) fprintf(stderr, "bench: %s\n",
                                                           rdn_ctx_error(ctx));
}

#ifdef RDN_HAVE_OPENBLAS
static void run_blas(void *p) {
  job *j = p;
  enum CBLAS_TRANSPOSE ta = j->ta ? CblasTrans : CblasNoTrans;
  enum CBLAS_TRANSPOSE tb = j->tb ? CblasTrans : CblasNoTrans;
  int lda = (int)(j->ta ? j->m : j->k), ldb = (int)(j->tb ? j->k : j->n), n = (int)j->n;
  int m = (int)j->m, k = (int)j->k;
  if (j->dt == RDN_F32) {
    cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, 1.0f, j->ha, lda, j->hb, ldb, 0.0f, j->hc, n);
  } else if (j->dt == RDN_F64) {
    cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, 1.0, j->ha, lda, j->hb, ldb, 0.0, j->hc, n);
  } else {
    float one[2] = { 1, 0 }, zero[2] = { 0, 0 };
    for (size_t b = 0; b < j->batch; b++)
      cblas_cgemm(CblasRowMajor, ta, tb, m, n, k, one, (float *)j->ha + 2 * b * j->m * j->k,
                  lda, (float *)j->hb + 2 * b * j->k * j->n, ldb, zero,
                  (float *)j->hc + 2 * b * j->m * j->n, n);
  }
}
#endif

/* Builds the operands (device random normal, host uniform) of one row. */
static int setup(job *j, rdn_dtype dt, rdn_trans ta, rdn_trans tb, size_t m, size_t n,
                 size_t k, size_t batch, int same_ab) {
  size_t es = rdn_dtype_size(dt), nb = batch ? batch : 1;
  size_t sa[3] = { batch, ta ? k : m, ta ? m : k }, sb[3] = { batch, tb ? n : k, tb ? k : n };
  size_t sc[3] = { batch, m, n };
  int nd = batch ? 3 : 2, o = batch ? 0 : 1;
  memset(j, 0, sizeof *j);
  j->ta = ta; j->tb = tb; j->dt = dt;
  j->m = m; j->n = n; j->k = k; j->batch = nb;
  if (rdn_tensor_new(ctx, &j->a, dt, nd, sa + o) || rdn_randn(ctx, j->a, 1) ||
      rdn_tensor_new(ctx, &j->c, dt, nd, sc + o))
    return 0;
  if (same_ab) j->b = rdn_tensor_retain(j->a);
  else if (rdn_tensor_new(ctx, &j->b, dt, nd, sb + o) || rdn_randn(ctx, j->b, 2)) return 0;
  j->ha = malloc(nb * m * k * es);
  j->hb = same_ab ? j->ha : malloc(nb * k * n * es);
  j->hc = malloc(nb * m * n * es);
  if (!j->ha || !j->hb || !j->hc) return 0;
  memset(j->ha, 0, nb * m * k * es);
  if (!same_ab) memset(j->hb, 0, nb * k * n * es);
  unsigned s = 12345;
  size_t nf = nb * m * k * es / 4;
  for (size_t i = 0; i < nf; i += 7) {     /* sparse pattern: values don't change timing */
    s = s * 1103515245u + 12345u;
    ((float *)j->ha)[i] = (float)(s >> 8) / 16777216.0f - 0.5f;
  }
  return 1;
}

static void teardown(job *j) {
  rdn_tensor_release(j->a);
  rdn_tensor_release(j->b);
  rdn_tensor_release(j->c);
  if (j->hb != j->ha) free(j->hb);
  free(j->ha);
  free(j->hc);
}

/* One table row: rdn (current provider) and, when base_sec < 0, a fresh baseline. */
static double row(const char *op, rdn_dtype dt, rdn_trans ta, rdn_trans tb, size_t m, size_t n,
                  size_t k, size_t batch, int same_ab, int reps, double base_sec, int wall) {
  job j;
  char shape[96];
  double flops = (dt == RDN_C64 ? 8.0 : 2.0) * (double)m * (double)n * (double)k *
                 (double)(batch ? batch : 1);
  if (batch)
    snprintf(shape, sizeof shape, "%zu x [%zu x %zu] x [%zu x %zu]", batch, m, k, k, n);
  else if (same_ab)
    snprintf(shape, sizeof shape, "A^T A, A [%zu x %zu]", k, m);
  else
    snprintf(shape, sizeof shape, "%zu x %zu x %zu", m, n, k);
  if (!setup(&j, dt, ta, tb, m, n, k, batch, same_ab)) {
    fprintf(stderr, "bench: %s\n", rdn_ctx_error(ctx));
    teardown(&j);
    bu_row(op, shape, -1, flops * 1e-9, "GFLOP/s", -1);
    return -1;
  }
  double sec = wall ? bu_host(run_rdn_wall, &j, 1, reps)
                    : bu_device(ctx, run_rdn, &j, 1, reps);
#ifdef RDN_HAVE_OPENBLAS
  if (base_sec < 0) base_sec = bu_host(run_blas, &j, 1, reps);
#endif
  bu_row(op, shape, sec, flops * 1e-9, "GFLOP/s", base_sec);
  teardown(&j);
  return base_sec;
}

int main(int argc, char **argv) {
  (void)argc;
  bu_openblas_coretype(argv);
  ctx = bu_ctx();
  rdn_gemm_provider own = rdn_gemm_provider_get(ctx);
  char title[160];
  snprintf(title, sizeof title, "GEMM (%s kernels; baseline OpenBLAS, OPENBLAS_CORETYPE=%s)",
           own == RDN_GEMM_CLBLAST ? "CLBlast" : "own", getenv("OPENBLAS_CORETYPE"));
#ifndef RDN_HAVE_OPENBLAS
  snprintf(title, sizeof title, "GEMM (%s kernels; no OpenBLAS baseline in this build)",
           own == RDN_GEMM_CLBLAST ? "CLBlast" : "own");
#endif
  bu_head(title, "OpenBLAS");
  row("sgemm", RDN_F32, RDN_NOTRANS, RDN_NOTRANS, 512, 512, 512, 0, 0, 9, -1, 0);
  double b1024 = row("sgemm", RDN_F32, RDN_NOTRANS, RDN_NOTRANS, 1024, 1024, 1024, 0, 0, 5, -1,
                     0);
  row("sgemm", RDN_F32, RDN_NOTRANS, RDN_NOTRANS, 2048, 2048, 2048, 0, 0, 3, -1, 0);
  row("sgemm tn (cov)", RDN_F32, RDN_TRANS, RDN_NOTRANS, 784, 784, 5000, 0, 1, 5, -1, 0);
  if (rdn_ctx_device(ctx)->has_fp64)
    row("dgemm", RDN_F64, RDN_NOTRANS, RDN_NOTRANS, 1024, 1024, 1024, 0, 0, 3, -1, 0);
  row("cgemm batched", RDN_C64, RDN_NOTRANS, RDN_NOTRANS, 64, 256, 64, 64, 0, 5, -1, 0);
  row("cgemm spectral", RDN_C64, RDN_NOTRANS, RDN_NOTRANS, 500, 385, 35, 2, 0, 9, -1, 0);
  /* CLBlast for comparison (compiles its kernels in the warm-up call) */
  if (rdn_gemm_provider_set(ctx, own == RDN_GEMM_CLBLAST ? RDN_GEMM_OWN : RDN_GEMM_CLBLAST) ==
      RDN_OK)
    row(own == RDN_GEMM_CLBLAST ? "sgemm (own, wall clock)" : "sgemm (CLBlast, wall clock)",
        RDN_F32, RDN_NOTRANS, RDN_NOTRANS, 1024, 1024, 1024, 0, 0, 3, b1024, 1);
  rdn_ctx_destroy(ctx);
  return 0;
}
