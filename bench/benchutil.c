/*
** benchutil.c -- see benchutil.h.
*/
#include "benchutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

double bu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

rdn_ctx *bu_ctx(void) {
  rdn_ctx *ctx = NULL;
  setenv("RDN_PROFILE", "1", 1);
  if (rdn_ctx_create(&ctx, NULL) != RDN_OK) {
    fprintf(stderr, "bench: %s\n", rdn_ctx_error(ctx));
    rdn_ctx_destroy(ctx);
    exit(1);
  }
  const rdn_device_info *d = rdn_ctx_device(ctx);
  printf("# device: %s (%s, %d compute units)\n", d->name, d->platform_name, d->compute_units);
  return ctx;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double bu_device(rdn_ctx *ctx, int (*fn)(void *), void *arg, int warm, int reps) {
  double *v = malloc((size_t)reps * sizeof *v), t0, t1, m;
  for (int i = 0; i < warm; i++)
    if (fn(arg)) goto fail;
  for (int i = 0; i < reps; i++) {
    if (rdn_ctx_device_time(ctx, &t0) != RDN_OK) goto fail;
    if (fn(arg)) goto fail;
    if (rdn_ctx_device_time(ctx, &t1) != RDN_OK) goto fail;
    v[i] = (t1 - t0) * 1e-3;
  }
  m = median(v, reps);
  free(v);
  return m;
fail:
  fprintf(stderr, "bench: %s\n", rdn_ctx_error(ctx));
  free(v);
  return -1;
}

double bu_host(void (*fn)(void *), void *arg, int warm, int reps) {
  double *v = malloc((size_t)reps * sizeof *v), m;
  for (int i = 0; i < warm; i++) fn(arg);
  for (int i = 0; i < reps; i++) {
    double t0 = bu_now();
    fn(arg);
    v[i] = bu_now() - t0;
  }
  m = median(v, reps);
  free(v);
  return m;
}

static const char *base_label = "baseline";

void bu_head(const char *title, const char *base_name) {
  base_label = base_name;
  printf("\n### %s\n\n", title);
  printf("| op | shape | rdn ms | rdn rate | %s ms | ratio (base/rdn) |\n", base_name);
  printf("|---|---|---:|---:|---:|---:|\n");
}

void bu_row(const char *op, const char *shape, double sec, double work, const char *unit,
            double base_sec) {
  char b[32] = "-", r[32] = "-";
  if (base_sec > 0) {
    snprintf(b, sizeof b, "%.3f", base_sec * 1e3);
    if (sec > 0) snprintf(r, sizeof r, "%.2f", base_sec / sec);
  }
  if (sec <= 0) {
    printf("| %s | %s | error | - | %s | - |\n", op, shape, b);
  } else {
    printf("| %s | %s | %.3f | %.1f %s | %s | %s |\n", op, shape, sec * 1e3, work / sec, unit,
           b, r);
  }
  fflush(stdout);
}

void bu_openblas_coretype(char **argv) {
  if (!getenv("OPENBLAS_CORETYPE")) {
    setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
    execv("/proc/self/exe", argv);
  }
}
