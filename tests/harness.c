/*
** harness.c -- see harness.h.
*/
#include "harness.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int th_pass, th_fail;
static int th_skipped;

void th_check(int ok, const char *file, int line, const char *fmt, ...) {
  if (ok) {
    th_pass++;
    return;
  }
  th_fail++;
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "FAIL %s:%d: ", file, line);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
}

int th_status(rdn_ctx *ctx, rdn_status s, rdn_status want, const char *file, int line,
              const char *what) {
  th_check(s == want, file, line, "%s: got %s, want %s (%s)", what, rdn_status_string(s),
           rdn_status_string(want), ctx ? rdn_ctx_error(ctx) : "");
  return s == want;
}

int th_err(rdn_ctx *ctx, rdn_status s, rdn_status want, const char *needle, const char *file,
           int line, const char *what) {
  if (!th_status(ctx, s, want, file, line, what)) return 0;
  const char *m = rdn_ctx_error(ctx);
  int ok = strstr(m, needle) != NULL;
  th_check(ok, file, line, "%s: message '%s' lacks '%s'", what, m, needle);
  return ok;
}

double th_relerr(const double *a, const double *b, size_t n, double floor) {
  double worst = 0;
  for (size_t i = 0; i < n; i++) {
    double d = fabs(a[i] - b[i]), s = fabs(b[i]) > floor ? fabs(b[i]) : floor;
    if (!(d / s <= worst)) worst = d / s;   /* NaN-propagating max */
  }
  return worst;
}

rdn_ctx *th_ctx(void) {
  rdn_ctx *ctx = NULL;
  rdn_status s = rdn_ctx_create(&ctx, NULL);
  if (s == RDN_OK) return ctx;
  const char *req = getenv("RDN_REQUIRE_DEVICE");
  fprintf(stderr, "%s: %s\n", (req && *req == '1') ? "FAIL" : "SKIP", rdn_ctx_error(ctx));
  if (req && *req == '1') th_fail++;
  else th_skipped++;
  rdn_ctx_destroy(ctx);
  return NULL;
}

int th_done(void) {
  printf("%d passed, %d failed\n", th_pass, th_fail);
  return th_fail ? 1 : 0;
}

double th_rand(unsigned long long *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return (double)(*s >> 11) / 4503599627370496.0 - 1.0;
}

rdn_tensor *th_tensor(rdn_ctx *ctx, rdn_dtype dt, int ndim, const size_t *shape,
                      const double *vals) {
  rdn_tensor *t = NULL;
  if (rdn_tensor_new(ctx, &t, dt, ndim, shape) != RDN_OK) {
    fprintf(stderr, "th_tensor: %s\n", rdn_ctx_error(ctx));
    return NULL;
  }
  size_t n = rdn_tensor_numel(t), nv = dt == RDN_C64 ? 2 * n : n;
  void *h = malloc(n * rdn_dtype_size(dt));
  for (size_t i = 0; i < nv; i++) {
    if (dt == RDN_F64) ((double *)h)[i] = vals[i];
    else if (dt == RDN_I32) ((int *)h)[i] = (int)vals[i];
    else ((float *)h)[i] = (float)vals[i];
  }
  if (rdn_tensor_write(t, h, n * rdn_dtype_size(dt)) != RDN_OK) {
    fprintf(stderr, "th_tensor: %s\n", rdn_ctx_error(ctx));
    rdn_tensor_release(t);
    t = NULL;
  }
  free(h);
  return t;
}

double *th_read(rdn_tensor *t) {
  rdn_dtype dt = rdn_tensor_dtype(t);
  size_t n = rdn_tensor_numel(t), nv = dt == RDN_C64 ? 2 * n : n;
  void *h = malloc(n * rdn_dtype_size(dt));
  double *out = malloc(nv * sizeof *out);
  if (rdn_tensor_read(t, h, n * rdn_dtype_size(dt)) != RDN_OK) {
    fprintf(stderr, "th_read: %s\n", rdn_ctx_error(rdn_tensor_ctx(t)));
    for (size_t i = 0; i < nv; i++) out[i] = NAN;
  } else {
    for (size_t i = 0; i < nv; i++) {   /* no ?: chain: int and float would meet as float */
      if (dt == RDN_F64) out[i] = ((double *)h)[i];
      else if (dt == RDN_I32) out[i] = ((int *)h)[i];
      else out[i] = ((float *)h)[i];
    }
  }
  free(h);
  return out;
}
