/*
** bench_stream.c -- GB/s of the streaming ops (copy, scale, axpby, randn, check_finite)
** and the reductions (sum, sumsq in both forms, row norms, normalize_rows) on 64M f32,
** against a STREAM-like host copy (memcpy on every core) moving the same bytes.
*/
#include "benchutil.h"
#include "hostcopy.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N ((size_t)64 << 20)      /* 64M floats = 256 MiB per tensor */
#define ROWS ((size_t)65536)

static rdn_ctx *ctx;
static rdn_tensor *a, *b, *m;     /* a, b: [N]; m: [ROWS x N/ROWS] view of a */
static double scalar;

/* clEnqueueCopyBuffer is no kernel (no rdn event), so copy is timed by wall clock
** including clFinish: a slight overestimate of its device time. */
static void copy_wall(void *p) {
  (void)p;
  if (rdn_tensor_copy(b, a) != RDN_OK || rdn_ctx_finish(ctx) != RDN_OK)
    fprintf(stderr, "bench_stream: %s\n", rdn_ctx_error(ctx));
}
static int op_scale(void *p) { (void)p; return rdn_scale(ctx, a, 1.0) != RDN_OK; }
static int op_axpby(void *p) { (void)p; return rdn_axpby(ctx, b, 1.0, a, 0.5) != RDN_OK; }
static int op_randn(void *p) { (void)p; return rdn_randn(ctx, b, 42) != RDN_OK; }
static int op_finite(void *p) { (void)p; return rdn_check_finite(ctx, a, "a") != RDN_OK; }
static int op_sum(void *p) { (void)p; return rdn_sum(ctx, a, &scalar) != RDN_OK; }
static int op_sumsq(void *p) { (void)p; return rdn_sumsq(ctx, a, &scalar) != RDN_OK; }
static int op_norms(void *p) { return rdn_row_norms(ctx, (rdn_tensor *)p, m) != RDN_OK; }
static int op_normalize(void *p) { (void)p; return rdn_normalize_rows(ctx, m, 1e-8) != RDN_OK; }

/* ---- host baseline: memcpy split over all cores, like STREAM's copy kernel */
static char *hsrc, *hdst;
static int nthreads;

static void host_copy(void *arg) {
  (void)arg;
  hc_copy(hdst, hsrc, N * sizeof(float), nthreads);
}

static void row(const char *op, const char *shape, int (*fn)(void *), void *arg,
                double streams, double copy_sec) {
  double gb = streams * (double)N * sizeof(float) * 1e-9;
  double sec = bu_device(ctx, fn, arg, 2, 7);
  /* baseline = host copy time for the same number of bytes (ratio = rdn GB/s / copy GB/s) */
  bu_row(op, shape, sec, gb, "GB/s", copy_sec * streams / 2);
}

int main(void) {
  ctx = bu_ctx();
  long np = sysconf(_SC_NPROCESSORS_ONLN);
  nthreads = np < 1 ? 1 : np > 64 ? 64 : (int)np;
  size_t n1[1] = { N }, ms[2] = { ROWS, N / ROWS };
  rdn_tensor *norms = NULL;
  if (rdn_tensor_new(ctx, &a, RDN_F32, 1, n1) != RDN_OK ||
      rdn_tensor_new(ctx, &b, RDN_F32, 1, n1) != RDN_OK ||
      rdn_tensor_reshape(&m, a, 2, ms) != RDN_OK ||
      rdn_tensor_new(ctx, &norms, RDN_F32, 1, ms) != RDN_OK ||
      rdn_randn(ctx, a, 1) != RDN_OK || rdn_tensor_fill(b, 1) != RDN_OK) {
    fprintf(stderr, "bench_stream: %s\n", rdn_ctx_error(ctx));
    return 1;
  }
  hsrc = malloc(N * sizeof(float));
  hdst = malloc(N * sizeof(float));
  if (!hsrc || !hdst) {
    fprintf(stderr, "bench_stream: out of host memory\n");
    return 1;
  }
  memset(hsrc, 1, N * sizeof(float));             /* first touch outside the timing */
  memset(hdst, 0, N * sizeof(float));
  rdn_ctx_finish(ctx);                            /* no device work during the host timing */
  double copy_sec = bu_host(host_copy, NULL, 2, 7);
  char base[64], sh[32], shm[48];
  snprintf(base, sizeof base, "host copy (%d threads, same bytes)", nthreads);
  snprintf(sh, sizeof sh, "f32 [%zuM]", N >> 20);
  snprintf(shm, sizeof shm, "f32 [%zu x %zu]", ROWS, N / ROWS);
  bu_head("Streaming ops and reductions (GB/s of bytes read + written)", base);
  bu_row("host copy (memcpy)", sh, copy_sec, 2.0 * N * sizeof(float) * 1e-9, "GB/s", copy_sec);
  bu_row("copy (clEnqueueCopyBuffer, wall)", sh, bu_host(copy_wall, NULL, 2, 7),
         2.0 * N * sizeof(float) * 1e-9, "GB/s", copy_sec);
  row("scale", sh, op_scale, NULL, 2, copy_sec);
  row("axpby", sh, op_axpby, NULL, 3, copy_sec);
  row("randn (writes)", sh, op_randn, NULL, 1, copy_sec);
  row("check_finite", sh, op_finite, NULL, 1, copy_sec);
  setenv("RDN_REDUCE", "chunk", 1);
  row("sum (chunks)", sh, op_sum, NULL, 1, copy_sec);
  row("sumsq (chunks)", sh, op_sumsq, NULL, 1, copy_sec);
  row("row_norms (chunks)", shm, op_norms, norms, 1, copy_sec);
  row("normalize_rows (chunks)", shm, op_normalize, NULL, 2, copy_sec);
  setenv("RDN_REDUCE", "tree", 1);                /* the GPU form, for comparison */
  row("sumsq (work-group tree)", sh, op_sumsq, NULL, 1, copy_sec);
  row("row_norms (work-group tree)", shm, op_norms, norms, 1, copy_sec);
  unsetenv("RDN_REDUCE");
  rdn_tensor_release(norms);
  rdn_tensor_release(m);
  rdn_tensor_release(a);
  rdn_tensor_release(b);
  free(hsrc);
  free(hdst);
  rdn_ctx_destroy(ctx);
  return 0;
}
