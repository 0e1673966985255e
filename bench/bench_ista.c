/*
** bench_ista.c -- ISTA / FISTA iterations per second (SPEC §2.5): batch 10 000, 784 -> 1024
** atoms, f32, against the GEMM roofline (the GEMMs one step needs, timed alone with rdn_gemm)
** and against an OpenBLAS host step (sgemm + a C prox loop).  Per-step time is the
** difference of a 7-step and a 2-step run (the setup Gram / x B products cancel).
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

#define M 10000
#define D 784
#define K 1024

static rdn_ctx *ctx;
static rdn_tensor *x, *b, *w, *g, *t, *r;
static double lip;                      /* ||b||^2, computed once */

typedef struct { rdn_ista_form form; int fista, steps; } ista_job;

static int run_ista(void *p) {
  ista_job *j = p;
  rdn_ista_opts o;
  memset(&o, 0, sizeof o);
  o.lambda = 0.02;
  o.steps = j->steps;
  o.fista = j->fista;
  o.lipschitz = lip;                    /* fixed: the power iteration is not timed */
  o.form = j->form;
  return rdn_ista(ctx, w, x, b, &o, NULL) != RDN_OK;
}

/* The GEMMs of one step: gram form w (BᵀB); direct form (w Bᵀ - x) B. */
static int run_gemm_gram(void *p) {
  (void)p;
  return rdn_gemm(ctx, RDN_NOTRANS, RDN_NOTRANS, 1.0, w, g, 0.0, t) != RDN_OK;
}
static int run_gemm_direct(void *p) {
  (void)p;
  return rdn_gemm(ctx, RDN_NOTRANS, RDN_TRANS, 1.0, w, b, -1.0, r) != RDN_OK ||
         rdn_gemm(ctx, RDN_NOTRANS, RDN_NOTRANS, 1.0, r, b, 0.0, t) != RDN_OK;
}

static double step_time(rdn_ista_form form, int fista) {
  ista_job a = { form, fista, 2 }, c = { form, fista, 7 };
  double t2 = bu_device(ctx, run_ista, &a, 1, 3), t7 = bu_device(ctx, run_ista, &c, 1, 3);
  return t2 > 0 && t7 > t2 ? (t7 - t2) / 5 : -1;
}

#ifdef RDN_HAVE_OPENBLAS
typedef struct { float *w, *g, *c, *t; } host_job;
/* One gram-form ISTA step on the host: t = w G, then w = soft(w - (t - c), lambda). */
static void run_host(void *p) {
  host_job *h = p;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, K, K, 1.0f, h->w, K, h->g, K, 0.0f,
              h->t, K);
  for (size_t i = 0; i < (size_t)M * K; i++) {
    float v = h->w[i] - (float)(1 / lip) * (h->t[i] - h->c[i]);
    float th = (float)(0.02 / lip);
    h->w[i] = v > th ? v - th : v < -th ? v + th : 0.0f;
  }
}
#endif

int main(int argc, char **argv) {
  (void)argc;
  bu_openblas_coretype(argv);
  ctx = bu_ctx();
  size_t sx[2] = { M, D }, sb[2] = { D, K }, sw[2] = { M, K }, sg[2] = { K, K };
  if (rdn_tensor_new(ctx, &x, RDN_F32, 2, sx) || rdn_randn(ctx, x, 1) ||
      rdn_normalize_rows(ctx, x, 1e-12) || rdn_tensor_new(ctx, &b, RDN_F32, 2, sb) ||
      rdn_randn(ctx, b, 2) || rdn_frame_normalize(ctx, b, RDN_FRAME_UNIT) ||
      rdn_tensor_new(ctx, &w, RDN_F32, 2, sw) || rdn_tensor_fill(w, 0) ||
      rdn_tensor_new(ctx, &t, RDN_F32, 2, sw) || rdn_tensor_new(ctx, &g, RDN_F32, 2, sg) ||
      rdn_gram(ctx, g, b, RDN_GRAM_COLS, 1.0, 0.0) || rdn_tensor_new(ctx, &r, RDN_F32, 2, sx) ||
      rdn_tensor_fill(r, 0) || rdn_frame_norm2(ctx, &lip, b, 500, 1e-6, 3)) {
    fprintf(stderr, "bench: %s\n", rdn_ctx_error(ctx));
    return 1;
  }
  double gflop_gram = 2.0 * M * K * K * 1e-9, gflop_direct = 4.0 * M * D * K * 1e-9;
  double tg = bu_device(ctx, run_gemm_gram, NULL, 1, 3);
  double td = bu_device(ctx, run_gemm_direct, NULL, 1, 3);
  double si = step_time(RDN_ISTA_GRAM, 0), sf = step_time(RDN_ISTA_GRAM, 1);
  double sd = step_time(RDN_ISTA_DIRECT, 0);
  const char *shape = "batch 10000, 784 -> 1024";
  bu_head("ISTA steps vs the GEMM roofline (base = the step's GEMMs alone, rdn_gemm)", "GEMMs");
  bu_row("GEMM w (BᵀB)", "[10000 x 1024] x [1024 x 1024]", tg, gflop_gram, "GFLOP/s", tg);
  bu_row("ISTA step, Gram form", shape, si, gflop_gram, "GFLOP/s", tg);
  bu_row("FISTA step, Gram form", shape, sf, gflop_gram, "GFLOP/s", tg);
  bu_row("GEMMs (w Bᵀ - x) B", "2 x 10000 x 784 x 1024", td, gflop_direct, "GFLOP/s", td);
  bu_row("ISTA step, direct form", shape, sd, gflop_direct, "GFLOP/s", td);
  printf("\nISTA: %.1f iterations/s (Gram form, %.0f%% of the GEMM roofline), FISTA %.1f/s, "
         "direct form %.1f/s\n", si > 0 ? 1 / si : 0, si > 0 ? 100 * tg / si : 0,
         sf > 0 ? 1 / sf : 0, sd > 0 ? 1 / sd : 0);
#ifdef RDN_HAVE_OPENBLAS
  host_job h;
  h.w = calloc((size_t)M * K, sizeof(float));
  h.g = malloc((size_t)K * K * sizeof(float));
  h.c = calloc((size_t)M * K, sizeof(float));
  h.t = malloc((size_t)M * K * sizeof(float));
  if (h.w && h.g && h.c && h.t &&
      rdn_tensor_read(g, h.g, (size_t)K * K * sizeof(float)) == RDN_OK) {
    double hs = bu_host(run_host, &h, 1, 3);
    bu_head("ISTA step vs the host (OpenBLAS sgemm + C prox loop)", "OpenBLAS");
    bu_row("ISTA step, Gram form", shape, si, gflop_gram, "GFLOP/s", hs);
  }
  free(h.w);
  free(h.g);
  free(h.c);
  free(h.t);
#endif
  rdn_tensor_release(x);
  rdn_tensor_release(b);
  rdn_tensor_release(w);
  rdn_tensor_release(t);
  rdn_tensor_release(g);
  rdn_tensor_release(r);
  rdn_ctx_destroy(ctx);
  return 0;
}
