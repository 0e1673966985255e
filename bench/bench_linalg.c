/*
** bench_linalg.c -- Gram vs OpenBLAS ssyrk, batched complex Cholesky + inverse (and
** + log-det: the spectral ReduNet's 4620 operators) vs a LAPACKE cpotrf + cpotri loop,
** large Cholesky vs LAPACKE spotrf, and the wall time of rdn_mcr2 (d = 784, m = 20000,
** k = 10).  Device time from OpenCL events.
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

/* ---------------------------------------------------- batched cholesky */
typedef struct {
  rdn_tensor *a, *w;
  int n, b;
  float *h, *hw;
  double *ld;
} chol_job;

static int chol_rdn(void *p) {
  chol_job *j = p;
  /* restore the input (a device copy, counted in the time) then potrf + potri fused */
  return rdn_tensor_copy(j->w, j->a) != RDN_OK || rdn_spd_inverse(ctx, j->w) != RDN_OK;
}

/* the spectral ReduNet's operator step: factor, log-dets and inverse in one pass */
static int chol_ld_rdn(void *p) {
  chol_job *j = p;
  return rdn_tensor_copy(j->w, j->a) != RDN_OK ||
         rdn_spd_inverse_logdet(ctx, j->w, j->ld, (size_t)j->b) != RDN_OK;
}

#ifdef RDN_HAVE_LAPACKE
static void chol_lapack(void *p) {
  chol_job *j = p;
  size_t nn = (size_t)j->n * j->n;
  memcpy(j->hw, j->h, (size_t)j->b * nn * 2 * sizeof(float));
  for (int w = 0; w < j->b; w++) {
    lapack_complex_float *m = (lapack_complex_float *)(j->hw + 2 * w * nn);
    if (LAPACKE_cpotrf(LAPACK_ROW_MAJOR, 'L', j->n, m, j->n))
      fprintf(stderr, "bench_linalg: LAPACKE failed on matrix %d\n", w);
    if (j->ld) {                  /* log det from the factor's diagonal, as rdn does */
      double s = 0;
      for (int i = 0; i < j->n; i++) s += 2 * log((double)j->hw[2 * (w * nn + i * (j->n + 1))]);
      j->ld[w] = s;
    }
    if (LAPACKE_cpotri(LAPACK_ROW_MAJOR, 'L', j->n, m, j->n))
      fprintf(stderr, "bench_linalg: LAPACKE failed on matrix %d\n", w);
  }
}
#endif

/* Hermitian positive definite batch on the host: A = B B^H / n + I (the same matrix b
** times: built once, copied). */
static float *hpd_host(int b, int n) {
  size_t nn = (size_t)n * n;
  float *h = malloc((size_t)b * nn * 2 * sizeof *h), *m = host_rand(nn * 2, 3);
  for (int i = 0; i < n; i++)
    for (int k = 0; k < n; k++) {
      double re = i == k ? 1 : 0, im = 0;
      for (int t = 0; t < n; t++) {
        float ar = m[2 * (i * n + t)], ai = m[2 * (i * n + t) + 1];
        float br = m[2 * (k * n + t)], bi = m[2 * (k * n + t) + 1];
        re += (ar * br + ai * bi) / n;
        im += (ai * br - ar * bi) / n;
      }
      h[2 * ((size_t)i * n + k)] = (float)re;
      h[2 * ((size_t)i * n + k) + 1] = i == k ? 0 : (float)im;
    }
  for (int w = 1; w < b; w++) memcpy(h + 2 * w * nn, h, nn * 2 * sizeof *h);
  free(m);
  return h;
}

/* b Hermitian positive definite c64 [n x n]: rdn (inverse, or with ld inverse + log-dets)
** against the LAPACKE loop. */
static void chol_row(int b, int n, int ld, int warm, int reps) {
  chol_job j = { NULL, NULL, n, b, NULL, NULL, NULL };
  size_t shape[3] = { (size_t)j.b, (size_t)j.n, (size_t)j.n };
  size_t bytes = (size_t)j.b * j.n * j.n * 2 * sizeof(float);
  j.h = hpd_host(j.b, j.n);
  j.hw = malloc(bytes);
  j.ld = ld ? malloc((size_t)b * sizeof *j.ld) : NULL;
  if (rdn_tensor_new(ctx, &j.a, RDN_C64, 3, shape) != RDN_OK ||
      rdn_tensor_new(ctx, &j.w, RDN_C64, 3, shape) != RDN_OK ||
      rdn_tensor_write(j.a, j.h, bytes) != RDN_OK)
    die();
  double sec = bu_device(ctx, ld ? chol_ld_rdn : chol_rdn, &j, warm, reps), base = -1;
#ifdef RDN_HAVE_LAPACKE
  base = bu_host(chol_lapack, &j, warm, reps);
#endif
  char shape_s[64];
  snprintf(shape_s, sizeof shape_s, "%d x [%d x %d]", j.b, j.n, j.n);
  /* complex potrf 4n^3/3 + potri 8n^3/3 real flops */
  bu_row(ld ? "cpotrf+logdet+cpotri" : "cpotrf+cpotri", shape_s, sec,
         4.0 * j.b * pow(j.n, 3) * 1e-9, "GFLOP/s", base);
  rdn_tensor_release(j.a);
  rdn_tensor_release(j.w);
  free(j.h);
  free(j.hw);
  free(j.ld);
}

static void bench_chol_batched(void) {
  static const int cs[4] = { 5, 16, 32, 64 };
  bu_head("Batched Hermitian Cholesky + inverse (c64, 784 matrices C x C; rdn includes a "
          "device copy of the input)", "LAPACKE cpotrf+cpotri loop");
  for (int t = 0; t < 4; t++) chol_row(784, cs[t], 0, 2, 7);
  /* the 2-D spectral ReduNet's (k + 1) F = 11 * 420 operators at C = 35 and 75 */
  chol_row(4620, 35, 1, 1, 5);
  chol_row(4620, 75, 1, 1, 3);
}

/* ------------------------------------------------------- large cholesky */
static int large_rdn(void *p) {
  chol_job *j = p;
  return rdn_tensor_copy(j->w, j->a) != RDN_OK || rdn_cholesky(ctx, j->w) != RDN_OK;
}

#ifdef RDN_HAVE_LAPACKE
static void large_lapack(void *p) {
  chol_job *j = p;
  memcpy(j->hw, j->h, (size_t)j->n * j->n * sizeof(float));
  if (LAPACKE_spotrf(LAPACK_ROW_MAJOR, 'L', j->n, j->hw, j->n))
    fprintf(stderr, "bench_linalg: LAPACKE_spotrf failed\n");
}
#endif

static void bench_chol_large(void) {
  static const int ns[2] = { 784, 2048 };
  bu_head("Large Cholesky (f32; rdn includes a device copy of the input)", "LAPACKE spotrf");
  for (int t = 0; t < 2; t++) {
    chol_job j = { NULL, NULL, ns[t], 1, NULL, NULL, NULL };
    size_t n = (size_t)j.n, shape[2] = { n, n };
    j.h = malloc(n * n * sizeof *j.h);
    j.hw = malloc(n * n * sizeof *j.hw);
    float *r = host_rand(n * n, 5);
    for (size_t i = 0; i < n; i++)       /* symmetric, diagonally dominant */
      for (size_t k = 0; k <= i; k++) {
        float v = i == k ? (float)n : r[i * n + k];
        j.h[i * n + k] = j.h[k * n + i] = v;
      }
    free(r);
    if (rdn_tensor_new(ctx, &j.a, RDN_F32, 2, shape) != RDN_OK ||
        rdn_tensor_new(ctx, &j.w, RDN_F32, 2, shape) != RDN_OK ||
        rdn_tensor_write(j.a, j.h, n * n * sizeof(float)) != RDN_OK)
      die();
    double sec = bu_device(ctx, large_rdn, &j, 1, 5), base = -1;
#ifdef RDN_HAVE_LAPACKE
    base = bu_host(large_lapack, &j, 1, 5);
#endif
    char shape_s[64];
    snprintf(shape_s, sizeof shape_s, "n=%d", j.n);
    bu_row("spotrf", shape_s, sec, pow(j.n, 3) / 3 * 1e-9, "GFLOP/s", base);
    rdn_tensor_release(j.a);
    rdn_tensor_release(j.w);
    free(j.h);
    free(j.hw);
  }
}

/* ------------------------------------------------------------------ mcr2 */
typedef struct {
  rdn_tensor *z, *y;
  double out[3];
  int fail;
  float *hz, *hg;         /* host baseline: rows sorted by class, k + 1 Grams */
} mcr2_job;

#if defined(RDN_HAVE_OPENBLAS) && defined(RDN_HAVE_LAPACKE)
/* The same algorithm on the host: class Grams (ssyrk), whole = their sum, 11 spotrf. */
static void mcr2_host(void *p) {
  mcr2_job *j = p;
  const int m = 20000, d = 784, k = 10, mj = m / k;
  const double e = 0.5;
  size_t dd = (size_t)d * d;
  double ld[11];
  for (int c = 0; c < k; c++)
    cblas_ssyrk(CblasRowMajor, CblasLower, CblasTrans, d, mj, 1.0f, j->hz + (size_t)c * mj * d,
                d, 0.0f, j->hg + c * dd, d);
  memset(j->hg + k * dd, 0, dd * sizeof(float));
  for (int c = 0; c < k; c++)
    cblas_saxpy((int)dd, 1.0f, j->hg + c * dd, 1, j->hg + k * dd, 1);
  for (int c = 0; c <= k; c++) {
    float a = (float)(d / ((c < k ? mj : m) * e)), *g = j->hg + c * dd;
    cblas_sscal((int)dd, a, g, 1);
    for (int i = 0; i < d; i++) g[(size_t)i * d + i] += 1;
    if (LAPACKE_spotrf(LAPACK_ROW_MAJOR, 'L', d, g, d)) fprintf(stderr, "bench: spotrf\n");
    ld[c] = 0;
    for (int i = 0; i < d; i++) ld[c] += 2 * log(g[(size_t)i * d + i]);
  }
  double rc = 0;
  for (int c = 0; c < k; c++) rc += 0.5 / k * ld[c];
  j->out[0] = 0.5 * ld[k] - rc;
}
#endif

static void mcr2_wall(void *p) {
  mcr2_job *j = p;
  if (rdn_mcr2(ctx, j->out, j->z, j->y, 10, 0.5) != RDN_OK) j->fail = 1;
}

static void bench_mcr2(void) {
  size_t m = 20000, d = 784, zs[2] = { m, d }, ys[1] = { m };
  mcr2_job j = { NULL, NULL, { 0, 0, 0 }, 0, NULL, NULL };
  j.z = randn(RDN_F32, 2, zs, 7);
  if (rdn_normalize_rows(ctx, j.z, 1e-8) != RDN_OK) die();
  int *lab = malloc(m * sizeof *lab);
  for (size_t i = 0; i < m; i++) lab[i] = (int)(i % 10);
  if (rdn_tensor_new(ctx, &j.y, RDN_I32, 1, ys) != RDN_OK ||
      rdn_tensor_write(j.y, lab, m * sizeof *lab) != RDN_OK)
    die();
  double dev = -1, t0 = 0, t1 = 0, base = -1;
  mcr2_wall(&j);                                /* warm: programs and scratch */
  if (rdn_ctx_device_time(ctx, &t0) != RDN_OK) die();
  double wall = bu_host(mcr2_wall, &j, 1, 3), dr = j.out[0];
  if (rdn_ctx_device_time(ctx, &t1) == RDN_OK) dev = (t1 - t0) * 1e-3 / 4;
  if (j.fail) die();
#if defined(RDN_HAVE_OPENBLAS) && defined(RDN_HAVE_LAPACKE)
  j.hz = host_rand(m * d, 9);
  for (size_t i = 0; i < m; i++) {         /* unit rows; row i is in class i / 2000 */
    float *r = j.hz + i * d, nr = cblas_snrm2((int)d, r, 1);
    cblas_sscal((int)d, 1.0f / nr, r, 1);
  }
  j.hg = malloc(11 * d * d * sizeof *j.hg);
  base = bu_host(mcr2_host, &j, 1, 3);
  free(j.hz);
  free(j.hg);
#endif
  printf("\n### rdn_mcr2 (f32 unit rows, d = %zu, m = %zu, k = 10, eps_sq = 0.5; warm; target "
         "< 500 ms wall)\n\n", d, m);
  printf("| op | shape | rdn wall ms | rdn device ms | dR | OpenBLAS ssyrk+spotrf ms | ratio "
         "(base/rdn) |\n");
  printf("|---|---|---:|---:|---:|---:|---:|\n");
  char b[32] = "-", r[32] = "-";
  if (base > 0) {
    snprintf(b, sizeof b, "%.1f", base * 1e3);
    snprintf(r, sizeof r, "%.2f", base / wall);
  }
  printf("| mcr2 | m=%zu d=%zu k=10 | %.1f | %.1f | %.6f | %s | %s |\n", m, d, wall * 1e3,
         dev * 1e3, dr, b, r);
  rdn_tensor_release(j.z);
  rdn_tensor_release(j.y);
  free(lab);
}

int main(int argc, char **argv) {
  (void)argc;
  bu_openblas_coretype(argv);
  ctx = bu_ctx();
  bench_gram();
  bench_chol_batched();
  bench_chol_large();
  bench_mcr2();
  rdn_ctx_destroy(ctx);
  return 0;
}
