/*
** test_tensor.c -- tensors (new, write/read round trip, copy, fill, views), shape and
** size errors, device selection errors and the program caches.
*/
#include "harness.h"
#include <stdlib.h>
#include <string.h>

static void roundtrip(rdn_ctx *ctx, rdn_dtype dt) {
  size_t shape[3] = { 3, 5, 7 }, n = 105, nv = dt == RDN_C64 ? 210 : 105;
  double *v = malloc(nv * sizeof *v);
  unsigned long long st = 42;
  for (size_t i = 0; i < nv; i++) v[i] = dt == RDN_I32 ? (double)(int)(100 * th_rand(&st))
                                                        : th_rand(&st);
  rdn_tensor *t = th_tensor(ctx, dt, 3, shape, v);
  CHECK(t != NULL, "new %s", rdn_dtype_name(dt));
  if (!t) { free(v); return; }
  double *r = th_read(t);
  double tol = dt == RDN_F64 || dt == RDN_I32 ? 0 : 1e-7;
  CHECK(th_relerr(r, v, nv, 1) <= tol, "%s round trip", rdn_dtype_name(dt));
  free(r);
  /* copy */
  rdn_tensor *c = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &c, dt, 3, shape));
  CHECK_OK(ctx, rdn_tensor_copy(c, t));
  r = th_read(c);
  CHECK(th_relerr(r, v, nv, 1) <= tol, "%s copy", rdn_dtype_name(dt));
  free(r);
  /* fill of a row view leaves the other rows alone */
  rdn_tensor *rows = NULL;
  CHECK_OK(ctx, rdn_tensor_rows(&rows, c, 1, 1));
  CHECK_OK(ctx, rdn_tensor_fill(rows, 2.5));
  r = th_read(c);
  size_t per = 35 * (dt == RDN_C64 ? 2 : 1);
  int ok = 1;
  for (size_t i = 0; i < nv; i++) {
    double want = v[i];
    if (i >= per && i < 2 * per)
      want = dt == RDN_C64 && (i % 2) ? 0 : dt == RDN_I32 ? 2 : 2.5;
    if (fabs(r[i] - want) > tol * (1 + fabs(want))) ok = 0;
  }
  CHECK(ok, "%s fill of a row view", rdn_dtype_name(dt));
  free(r);
  (void)n;
  rdn_tensor_release(rows);
  rdn_tensor_release(c);
  rdn_tensor_release(t);
  free(v);
}

static void views(rdn_ctx *ctx) {
  size_t shape[2] = { 4, 6 }, s3[3] = { 2, 3, 4 }, bad[2] = { 5, 5 };
  rdn_tensor *t = NULL, *v = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &t, RDN_F32, 2, shape));
  CHECK_OK(ctx, rdn_tensor_reshape(&v, t, 3, s3));
  CHECK(v && rdn_tensor_ndim(v) == 3 && rdn_tensor_dim(v, -1) == 4, "reshape shape");
  rdn_tensor_release(t);                   /* the view keeps the buffer alive */
  CHECK_OK(ctx, rdn_tensor_fill(v, 1.0));
  double s = 0;
  double *r = th_read(v);
  for (int i = 0; i < 24; i++) s += r[i];
  CHECK(s == 24, "view outlives parent (sum %g)", s);
  free(r);
  rdn_tensor *w = NULL;
  CHECK_ERR(ctx, rdn_tensor_reshape(&w, v, 2, bad), RDN_EINVAL, "shape has 25 elements");
  CHECK(w == NULL, "failed reshape leaves out NULL");
  CHECK_ERR(ctx, rdn_tensor_rows(&w, v, 1, 2), RDN_EINVAL, "rows [1, 3) outside [0, 2)");
  rdn_tensor_release(v);
}

static void bad_input(rdn_ctx *ctx) {
  rdn_tensor *t = NULL;
  size_t zero[2] = { 3, 0 }, big[4] = { 1u << 30, 1u << 30, 1u << 30, 1u << 30 };
  size_t ok2[2] = { 2, 2 };
  CHECK_ERR(ctx, rdn_tensor_new(ctx, &t, RDN_F32, 2, zero), RDN_EINVAL, "bad size 0 of dimension 2");
  CHECK_ERR(ctx, rdn_tensor_new(ctx, &t, RDN_F32, 5, ok2), RDN_EINVAL, "bad number of dimensions: 5");
  CHECK_ERR(ctx, rdn_tensor_new(ctx, &t, RDN_F32, 0, ok2), RDN_EINVAL, "bad number of dimensions: 0");
  CHECK_ERR(ctx, rdn_tensor_new(ctx, &t, RDN_F32, 4, big), RDN_EINVAL, "overflows");
  size_t huge[2] = { (size_t)1 << 24, (size_t)1 << 24 };
  CHECK_ERR(ctx, rdn_tensor_new(ctx, &t, RDN_F32, 2, huge), RDN_EDEVMEM, "GiB");
  CHECK(t == NULL, "failed new leaves out NULL");
  CHECK_OK(ctx, rdn_tensor_new(ctx, &t, RDN_F32, 2, ok2));
  float h[5];
  CHECK_ERR(ctx, rdn_tensor_write(t, h, sizeof h), RDN_EINVAL, "host buffer has 20 bytes, tensor needs 16");
  CHECK_ERR(ctx, rdn_tensor_read(t, h, 4), RDN_EINVAL, "needs 16");
  rdn_tensor *u = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &u, RDN_F64, 2, ok2));
  CHECK_ERR(ctx, rdn_tensor_copy(u, t), RDN_EINVAL, "dst is f64 [2 x 2], src is f32 [2 x 2]");
  rdn_tensor_release(u);
  rdn_tensor_release(t);
  rdn_ctx *c2 = NULL;
  CHECK_ERR(c2, rdn_ctx_create(&c2, "no-such-device-xyz"), RDN_ENODEV, "'no-such-device-xyz'");
  CHECK(strstr(rdn_ctx_error(c2), "no OpenCL device matches") != NULL, "device message: %s",
        rdn_ctx_error(c2));
  rdn_ctx_destroy(c2);
  c2 = NULL;
  CHECK_ERR(c2, rdn_ctx_create(&c2, "7:9"), RDN_ENODEV, "'7:9'");
  rdn_ctx_destroy(c2);
  rdn_tensor_release(NULL);
  rdn_ctx_destroy(NULL);
}

static void programs(rdn_ctx *ctx) {
  rdn_ctx_stats a, b;
  size_t s1[1] = { 1000 };
  rdn_tensor *t = NULL;
  rdn_ctx_get_stats(ctx, &a);
  CHECK_OK(ctx, rdn_tensor_new(ctx, &t, RDN_F32, 1, s1));
  CHECK_OK(ctx, rdn_tensor_fill(t, 1));
  CHECK_OK(ctx, rdn_tensor_fill(t, 2));
  rdn_ctx_get_stats(ctx, &b);
  CHECK(b.mem_hits > a.mem_hits, "second use of a program hits the in-memory cache");
  rdn_tensor_release(t);
  /* the same ctx configuration in a second ctx loads the binary from disk */
  if (rdn_ctx_cache_dir(ctx)) {
    rdn_ctx *c2 = NULL;
    if (CHECK_OK(c2, rdn_ctx_create(&c2, NULL))) {
      CHECK_OK(c2, rdn_tensor_new(c2, &t, RDN_F32, 1, s1));
      CHECK_OK(c2, rdn_tensor_fill(t, 3));
      rdn_ctx_get_stats(c2, &b);
      CHECK(b.builds_source == 0 && b.builds_binary == 1,
            "second context compiles nothing (source %ld, binary %ld)", b.builds_source,
            b.builds_binary);
      rdn_tensor_release(t);
    }
    rdn_ctx_destroy(c2);
  }
}

int main(void) {
  rdn_ctx *ctx = th_ctx();
  if (!ctx) return th_done();
  CHECK(strcmp(rdn_status_string(RDN_ENUMERIC), "RDN_ENUMERIC") == 0, "status string");
  roundtrip(ctx, RDN_F32);
  if (rdn_ctx_device(ctx)->has_fp64) roundtrip(ctx, RDN_F64);
  roundtrip(ctx, RDN_C64);
  roundtrip(ctx, RDN_I32);
  views(ctx);
  bad_input(ctx);
  programs(ctx);
  rdn_ctx_destroy(ctx);
  return th_done();
}
