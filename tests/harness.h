/*
** harness.h -- tiny C test harness: CHECK counts passes/failures, th_ctx() opens the
** default device (a missing device skips, or fails under RDN_REQUIRE_DEVICE=1), and
** th_done() prints the closing "N passed, N failed" line.
*/
#ifndef RDN_TEST_HARNESS_H
#define RDN_TEST_HARNESS_H
#include "rdn.h"
#include <math.h>
#include <stdio.h>

extern int th_pass, th_fail;
void th_check(int ok, const char *file, int line, const char *fmt, ...);
#define CHECK(cond, ...) th_check(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
/* Checks a status; on failure prints the ctx error. Returns 1 if s == want. */
int th_status(rdn_ctx *ctx, rdn_status s, rdn_status want, const char *file, int line,
              const char *what);
#define CHECK_OK(ctx, call) th_status(ctx, (call), RDN_OK, __FILE__, __LINE__, #call)
#define CHECK_ST(ctx, call, want) th_status(ctx, (call), want, __FILE__, __LINE__, #call)
/* CHECK_ST plus: the message contains `needle`. */
#define CHECK_ERR(ctx, call, want, needle) \
  th_err(ctx, (call), want, needle, __FILE__, __LINE__, #call)
int th_err(rdn_ctx *ctx, rdn_status s, rdn_status want, const char *needle, const char *file,
           int line, const char *what);

/* max |a-b| / max(|b|, floor) over n values */
double th_relerr(const double *a, const double *b, size_t n, double floor);
/* Default device or NULL (then the caller returns th_done()). */
rdn_ctx *th_ctx(void);
int th_done(void);
/* Deterministic uniform [-1, 1) from a 64-bit state (host reference data only). */
double th_rand(unsigned long long *state);
/* Upload helpers: host doubles -> tensor of dtype dt (c64: pairs re,im). */
rdn_tensor *th_tensor(rdn_ctx *ctx, rdn_dtype dt, int ndim, const size_t *shape,
                      const double *vals);
/* Download to doubles (numel values, c64: 2*numel).  Caller frees. */
double *th_read(rdn_tensor *t);
#endif
