/*
** bench_redunet.c -- one vector ReduNet layer (SPEC §1.3, §1.11) at d = 784, k = 10,
** m in {5000, 10000} on Fashion-MNIST (first m training images; random unit rows when the
** dataset is absent): operators (per-class Grams + k+1 Cholesky inverses), the applied
** layer (one GEMM with the stacked operators + the fused update) and the whole layer by
** wall clock, against the same math on the host with OpenBLAS/LAPACKE, and the GEMM alone
** as the roofline.  Target: <= 0.35 s per layer at m = 5000 on the 2-core PoCL CPU.
*/
#include "benchutil.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(RDN_HAVE_OPENBLAS) && defined(RDN_HAVE_LAPACKE)
#include <cblas.h>
#include <lapacke.h>
#define HOST_BASELINE 1
#endif

#define D 784
#define K 10
#define FMNIST "/usr/share/datasets/fashion-mnist/train-"

static rdn_ctx *ctx;

typedef struct {
  size_t m;
  rdn_tensor *z, *z0, *y, *w, *p;
  double gamma[K];
  float *hz, *hw, *hp;     /* host baseline copies */
  int *hy;
} job;

static int run_operators(void *a) {
  job *j = a;
  return rdn_redunet_operators(ctx, j->w, j->gamma, NULL, j->z, j->y, K, 0.1) != RDN_OK;
}

static int run_apply(void *a) {
  job *j = a;
  return rdn_redunet_layer(ctx, j->z, j->w, j->gamma, 0.5, 500, NULL, NULL) != RDN_OK;
}

static int run_gemm(void *a) {
  job *j = a;
  size_t ws[2] = { (K + 1) * D, D };
  rdn_tensor *wf = NULL;
  int bad = rdn_tensor_reshape(&wf, j->w, 2, ws) != RDN_OK ||
            rdn_gemm(ctx, RDN_NOTRANS, RDN_TRANS, 1.0, j->z, wf, 0.0, j->p) != RDN_OK;
  rdn_tensor_release(wf);
  return bad;
}

/* The whole layer by wall clock: operators (they read back the log-dets, a sync), the
** applied layer, then finish.  Z is restored first so every repetition sees the data. */
static void run_layer_wall(void *a) {
  job *j = a;
  if (rdn_tensor_copy(j->z, j->z0) != RDN_OK || rdn_ctx_finish(ctx) != RDN_OK ||
      run_operators(j) || run_apply(j) || rdn_ctx_finish(ctx) != RDN_OK)
    fprintf(stderr, "bench: %s\n", rdn_ctx_error(ctx));
}

#ifdef HOST_BASELINE
/* The same layer on the host: class Grams by SSYRK over gathered rows, SPOTRF + SPOTRI,
** one SGEMM with the stacked operators, the update loop in C. */
static void run_host(void *a) {
  job *j = a;
  size_t m = j->m, cnt[K] = { 0 };
  float *g = j->hw, *zj = j->hp;            /* hp doubles as the gather buffer */
  for (size_t i = 0; i < m; i++) cnt[j->hy[i]]++;
  memset(g, 0, sizeof(float) * (K + 1) * D * D);
  for (int c = 0; c < K; c++) {
    size_t r = 0;
    for (size_t i = 0; i < m; i++)
      if (j->hy[i] == c) memcpy(zj + r++ * D, j->hz + i * D, sizeof(float) * D);
    float al = (float)(D / (cnt[c] * 0.1));
    float *gc = g + (size_t)(c + 1) * D * D;
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, D, (int)r, 1.0f, zj, D, 0.0f, gc, D);
    for (size_t t = 0; t < (size_t)D * D; t++) g[t] += gc[t];
    for (size_t t = 0; t < (size_t)D * D; t++) gc[t] = al * gc[t] + (t % (D + 1) == 0);
  }
  float al0 = (float)(D / (m * 0.1));
  for (size_t t = 0; t < (size_t)D * D; t++) g[t] = al0 * g[t] + (t % (D + 1) == 0);
  for (int c = 0; c <= K; c++) {
    float *gc = g + (size_t)c * D * D;
    LAPACKE_spotrf(LAPACK_ROW_MAJOR, 'U', D, gc, D);
    LAPACKE_spotri(LAPACK_ROW_MAJOR, 'U', D, gc, D);
    for (int r = 0; r < D; r++)              /* mirror the upper triangle */
      for (int s = 0; s < r; s++) gc[r * D + s] = gc[s * D + r];
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (K + 1) * D, D, 1.0f, j->hz, D,
              g, D, 0.0f, j->hp, (K + 1) * D);
  for (size_t i = 0; i < m; i++) {
    float *p = j->hp + i * (K + 1) * D, *z = j->hz + i * D, w[K], mx = -INFINITY, s = 0;
    for (int c = 0; c < K; c++) {
      float n = 0;
      for (int t = 0; t < D; t++) n += p[(c + 1) * D + t] * p[(c + 1) * D + t];
      w[c] = -500.0f * fmaxf(sqrtf(n), 1e-8f);
      mx = fmaxf(mx, w[c]);
    }
    for (int c = 0; c < K; c++) s += (w[c] = expf(w[c] - mx));
    float nn = 0;
    for (int t = 0; t < D; t++) {
      float v = p[t];
      for (int c = 0; c < K; c++) v -= (float)cnt[c] / (float)m * w[c] / s * p[(c + 1) * D + t];
      z[t] += 0.5f * v;
      nn += z[t] * z[t];
    }
    nn = 1.0f / fmaxf(sqrtf(nn), 1e-8f);
    for (int t = 0; t < D; t++) z[t] *= nn;
  }
}
#endif

/* Features: the first m Fashion-MNIST training images (labels 0..9) or random unit rows. */
static int setup(job *j, size_t m, const char **src) {
  size_t zs[2] = { m, D }, ws[3] = { K + 1, D, D }, ps[2] = { m, (K + 1) * D };
  rdn_tensor *img = NULL, *lab = NULL, *flat = NULL, *rows = NULL, *lrows = NULL;
  memset(j, 0, sizeof *j);
  j->m = m;
  if (access(FMNIST "images-idx3-ubyte.gz", R_OK) == 0 &&
      rdn_idx_load(ctx, FMNIST "images-idx3-ubyte.gz", &img) == RDN_OK &&
      rdn_idx_load(ctx, FMNIST "labels-idx1-ubyte.gz", &lab) == RDN_OK) {
    size_t fs[2] = { rdn_tensor_dim(img, 0), D };
    int ok = rdn_tensor_reshape(&flat, img, 2, fs) == RDN_OK &&
             rdn_tensor_rows(&rows, flat, 0, m) == RDN_OK &&
             rdn_tensor_rows(&lrows, lab, 0, m) == RDN_OK &&
             rdn_tensor_new(ctx, &j->z, RDN_F32, 2, zs) == RDN_OK &&
             rdn_tensor_copy(j->z, rows) == RDN_OK &&
             rdn_tensor_new(ctx, &j->y, RDN_I32, 1, &m) == RDN_OK &&
             rdn_tensor_copy(j->y, lrows) == RDN_OK;
    rdn_tensor_release(lrows);
    rdn_tensor_release(rows);
    rdn_tensor_release(flat);
    rdn_tensor_release(lab);
    rdn_tensor_release(img);
    if (!ok) return 0;
    *src = "Fashion-MNIST";
  } else {
    int *yv = malloc(m * sizeof *yv);
    for (size_t i = 0; i < m; i++) yv[i] = (int)(i % K);
    int ok = rdn_tensor_new(ctx, &j->z, RDN_F32, 2, zs) == RDN_OK &&
             rdn_randn(ctx, j->z, 7) == RDN_OK &&
             rdn_tensor_new(ctx, &j->y, RDN_I32, 1, &m) == RDN_OK &&
             rdn_tensor_write(j->y, yv, m * sizeof *yv) == RDN_OK;
    free(yv);
    if (!ok) return 0;
    *src = "random";
  }
  if (rdn_normalize_rows(ctx, j->z, 1e-8) != RDN_OK ||
      rdn_tensor_new(ctx, &j->z0, RDN_F32, 2, zs) != RDN_OK ||
      rdn_tensor_copy(j->z0, j->z) != RDN_OK ||
      rdn_tensor_new(ctx, &j->w, RDN_F32, 3, ws) != RDN_OK ||
      rdn_tensor_new(ctx, &j->p, RDN_F32, 2, ps) != RDN_OK ||
      run_operators(j))
    return 0;
  j->hz = malloc(sizeof(float) * m * D);
  j->hw = malloc(sizeof(float) * (K + 1) * D * D);
  j->hp = malloc(sizeof(float) * m * (K + 1) * D);
  j->hy = malloc(sizeof(int) * m);
  return j->hz && j->hw && j->hp && j->hy &&
         rdn_tensor_read(j->z, j->hz, sizeof(float) * m * D) == RDN_OK &&
         rdn_tensor_read(j->y, j->hy, sizeof(int) * m) == RDN_OK;
}

static void teardown(job *j) {
  rdn_tensor_release(j->z);
  rdn_tensor_release(j->z0);
  rdn_tensor_release(j->y);
  rdn_tensor_release(j->w);
  rdn_tensor_release(j->p);
  free(j->hz);
  free(j->hw);
  free(j->hp);
  free(j->hy);
}

int main(int argc, char **argv) {
  (void)argc;
  bu_openblas_coretype(argv);
  ctx = bu_ctx();
  int reps = getenv("RDN_BENCH_QUICK") ? 1 : 3;
  for (size_t m = 5000; m <= 10000; m += 5000) {
    job j;
    const char *src = "?";
    char shape[96], title[160];
    if (!setup(&j, m, &src)) {
      fprintf(stderr, "bench: %s\n", rdn_ctx_error(ctx));
      teardown(&j);
      continue;
    }
    snprintf(title, sizeof title, "ReduNet layer, %s, m = %zu, d = %d, k = %d (baseline: the same "
             "layer with OpenBLAS + LAPACKE on the host)", src, m, D, K);
    bu_head(title, "host");
    double md = (double)m, dd = D;
    double f_ops = dd * dd * md + (K + 1) * dd * dd * dd;      /* Grams + potrf/potri */
    double f_gemm = 2.0 * (K + 1) * dd * dd * md;
    double base = -1;
#ifdef HOST_BASELINE
    base = bu_host(run_host, &j, 0, 1);
#endif
    snprintf(shape, sizeof shape, "Gram by class + %d inverses [%d x %d]", K + 1, D, D);
    bu_row("operators (device)", shape, bu_device(ctx, run_operators, &j, 1, reps),
           f_ops * 1e-9, "GFLOP/s", -1);
    snprintf(shape, sizeof shape, "[%zu x %d] x [%d x %d] + update", m, D, D, (K + 1) * D);
    bu_row("apply: GEMM + fused update (device)", shape, bu_device(ctx, run_apply, &j, 1, reps),
           f_gemm * 1e-9, "GFLOP/s", -1);
    double g = bu_device(ctx, run_gemm, &j, 1, reps);
    snprintf(shape, sizeof shape, "[%zu x %d] x [%d x %d]", m, D, D, (K + 1) * D);
    bu_row("GEMM alone (roofline)", shape, g, f_gemm * 1e-9, "GFLOP/s", -1);
    double wall = bu_host(run_layer_wall, &j, 1, reps);
    snprintf(shape, sizeof shape, "m = %zu (target <= 350 ms at m = 5000)", m);
    bu_row("whole layer (wall clock)", shape, wall, (f_ops + f_gemm) * 1e-9, "GFLOP/s", base);
    if (g > 0 && wall > 0)
      printf("\nlayer at %.0f%% of the GEMM roofline (%.1f of %.1f GFLOP/s)\n",
             100.0 * ((f_ops + f_gemm) / wall) / (f_gemm / g), (f_ops + f_gemm) / wall * 1e-9,
             f_gemm / g * 1e-9);
    teardown(&j);
  }
  rdn_ctx_destroy(ctx);
  return 0;
}
