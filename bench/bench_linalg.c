/*
** bench_linalg.c -- Gram vs OpenBLAS ssyrk, batched complex Cholesky + inverse vs a
** LAPACKE cpotrf + cpotri loop, large Cholesky vs LAPACKE spotrf, and the wall time of
** rdn_mcr2 (d = 784, m = 20000, k = 10).  Device time from OpenCL events.
*/
#include "benchutil.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef RDN_HAVE_OPENBLAS
#include <cblas.h>
#endif
#ifdef RDN_HAVE_LAPACKE
#include <lapacke.h>
#endif

static rdn_ctx *ctx;

static void die(void) {
  fprintf(stderr, "bench_linalg: %s\n", rdn_ctx_error(ctx));
  exit(1);
}

static rdn_tensor *randn(rdn_dtype dt, int nd, const size_t *shape, uint64_t seed) {
  rdn_tensor *t = NULL;
  if (rdn_tensor_new(ctx, &t, dt, nd, shape) != RDN_OK || rdn_randn(ctx, t, seed) != RDN_OK)
    die();
  return t;
}

static float *host_rand(size_t n, unsigned seed) {
  float *h = malloc(n * sizeof *h);
  srand(seed);
  for (size_t i = 0; i < n; i++) h[i] = (float)rand() / (float)RAND_MAX - 0.5f;
  return h;
}

/* ------------------------------------------------------------------ gram */
typedef struct {
  rdn_tensor *z, *g;
  int m, d;
  float *hz, *hg;
} gram_job;

static int gram_rdn(void *p) {
  gram_job *j = p;
  return rdn_gram(ctx, j->g, j->z, RDN_GRAM_COLS, 1.0, 0.0) != RDN_OK;
}

#ifdef RDN_HAVE_OPENBLAS
static void gram_blas(void *p) {
  gram_job *j = p;
  cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, j->d, j->m, 1.0f, j->hz, j->d, 0.0f,
              j->hg, j->d);
}
#endif

static void bench_gram(void) {
  static const int ms[2] = { 5000, 20000 };
  bu_head("Gram G = Z^T Z (f32, Z [m x d])", "OpenBLAS ssyrk");
  for (int t = 0; t < 2; t++) {
    gram_job j = { NULL, NULL, ms[t], 784, NULL, NULL };
    size_t zs[2] = { (size_t)j.m, (size_t)j.d }, gs[2] = { (size_t)j.d, (size_t)j.d };
    j.z = randn(RDN_F32, 2, zs, 1);
    if (rdn_tensor_new(ctx, &j.g, RDN_F32, 2, gs) != RDN_OK) die();
    double sec = bu_device(ctx, gram_rdn, &j, 2, 5), base = -1;
#ifdef RDN_HAVE_OPENBLAS
    j.hz = host_rand((size_t)j.m * j.d, 1);
    j.hg = malloc((size_t)j.d * j.d * sizeof *j.hg);
    base = bu_host(gram_blas, &j, 2, 5);
    free(j.hz);
    free(j.hg);
#endif
    char shape[64];
    snprintf(shape, sizeof shape, "m=%d d=%d", j.m, j.d);
    bu_row("gram", shape, sec, (double)j.m * j.d * (j.d + 1) * 1e-9, "GFLOP/s", base);
    rdn_tensor_release(j.z);
    rdn_tensor_release(j.g);
  }
}

int main(int argc, char **argv) {
  (void)argc;
  if (!getenv("OPENBLAS_CORETYPE")) {     /* OpenBLAS 0.3.21 does not know Zen 5 */
    setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
    execv("/proc/self/exe", argv);
  }
  ctx = bu_ctx();
  bench_gram();
  rdn_ctx_destroy(ctx);
  return 0;
}
