/*
** tensor.c -- dense row-major device tensors (f32, f64, c64, i32; 1 to 4 axes),
** reference counted; views share the owner's cl_mem through an element offset.
*/
#include "rdn_impl.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t rdn_dtype_size(rdn_dtype dt) {
  switch (dt) {
    case RDN_F32: case RDN_I32: return 4;
    case RDN_F64: case RDN_C64: return 8;
  }
  return 0;
}

const char *rdn_dtype_name(rdn_dtype dt) {
  switch (dt) {
    case RDN_F32: return "f32";
    case RDN_F64: return "f64";
    case RDN_C64: return "c64";
    case RDN_I32: return "i32";
  }
  return "?";
}

int rdn_dtype_parse(const char *s, rdn_dtype *dt) {
  static const char *const n[] = { "f32", "f64", "c64", "i32" };
  for (int i = 0; i < 4; i++)
    if (s && !strcmp(s, n[i])) {
      *dt = (rdn_dtype)i;
      return 1;
    }
  return 0;
}

int rdn__is_real(rdn_dtype dt) { return dt == RDN_F32 || dt == RDN_F64; }
int rdn__is_float(rdn_dtype dt) { return dt != RDN_I32; }

rdn_status rdn__check_dtype(rdn_ctx *ctx, const char *fn, const char *arg, rdn_dtype dt) {
  if ((unsigned)dt > RDN_I32)
    return rdn__fail(ctx, RDN_EINVAL, "%s: bad dtype for '%s': %d", fn, arg, (int)dt);
  if (dt == RDN_F64 && !ctx->info.has_fp64)
    return rdn__fail(ctx, RDN_EUNSUPPORTED, "%s: '%s' is f64 but device '%s' has no "
                     "cl_khr_fp64", fn, arg, ctx->info.name);
  return RDN_OK;
}

const char *rdn_tensor_shape_str(const rdn_tensor *t, char *buf, size_t len) {
  size_t used = 0;
  if (!len) return buf;
  buf[0] = 0;
  used += (size_t)snprintf(buf, len, "[");
  for (int i = 0; i < t->ndim && used < len; i++)
    used += (size_t)snprintf(buf + used, len - used, i ? " x %zu" : "%zu", t->shape[i]);
  if (used < len) snprintf(buf + used, len - used, "]");
  return buf;
}

/* numel with overflow check; 0 on overflow or a zero extent. */
static size_t checked_numel(int ndim, const size_t *shape, rdn_dtype dt) {
  size_t n = 1, es = rdn_dtype_size(dt);
  for (int i = 0; i < ndim; i++) {
    if (shape[i] == 0 || n > SIZE_MAX / shape[i]) return 0;
    n *= shape[i];
  }
  if (n > SIZE_MAX / es) return 0;
  return n;
}

static rdn_status check_shape(rdn_ctx *ctx, const char *fn, int ndim, const size_t *shape,
                              rdn_dtype dt) {
  if (ndim < 1 || ndim > RDN_MAX_DIMS)
    return rdn__fail(ctx, RDN_EINVAL, "%s: bad number of dimensions: %d (1 to %d)", fn, ndim,
                     RDN_MAX_DIMS);
  for (int i = 0; i < ndim; i++)
    if (shape[i] == 0 || shape[i] > ((size_t)1 << 48))
      return rdn__fail(ctx, RDN_EINVAL, "%s: bad size %zu of dimension %d", fn, shape[i],
                       i + 1);
  if (!checked_numel(ndim, shape, dt))
    return rdn__fail(ctx, RDN_EINVAL, "%s: tensor size overflows", fn);
  return RDN_OK;
}

rdn_status rdn_tensor_new(rdn_ctx *ctx, rdn_tensor **out, rdn_dtype dt, int ndim,
                          const size_t *shape) {
  rdn_status s;
  cl_int e;
  *out = NULL;
  if ((s = rdn__check_dtype(ctx, "rdn_tensor_new", "dtype", dt)) != RDN_OK) return s;
  if ((s = check_shape(ctx, "rdn_tensor_new", ndim, shape, dt)) != RDN_OK) return s;
  size_t bytes = checked_numel(ndim, shape, dt) * rdn_dtype_size(dt);
  if (ctx->info.max_alloc && bytes > ctx->info.max_alloc)
    return rdn__fail(ctx, RDN_EDEVMEM, "rdn_tensor_new: %.2f GiB exceeds the largest "
                     "allocation of '%s' (%.2f GiB)", bytes / 1073741824.0, ctx->info.name,
                     ctx->info.max_alloc / 1073741824.0);
  rdn_tensor *t = calloc(1, sizeof *t);
  if (!t) return rdn__fail(ctx, RDN_ENOMEM, "rdn_tensor_new: out of host memory");
  t->buf = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE, bytes, NULL, &e);
  if (e != CL_SUCCESS) {
    free(t);
    rdn__cl_fail(ctx, "rdn_tensor_new", "clCreateBuffer", e);
    return rdn__fail(ctx, e == CL_MEM_OBJECT_ALLOCATION_FAILURE || e == CL_OUT_OF_RESOURCES ||
                     e == CL_INVALID_BUFFER_SIZE ? RDN_EDEVMEM : RDN_ECL,
                     "rdn_tensor_new: clCreateBuffer failed: %s (%d) for %.2f GiB on '%s'",
                     rdn__cl_errname(e), (int)e, bytes / 1073741824.0, ctx->info.name);
  }
  t->ctx = ctx;
  t->ndim = ndim;
  t->dtype = dt;
  t->refs = 1;
  memcpy(t->shape, shape, (size_t)ndim * sizeof *shape);
  *out = t;
  return RDN_OK;
}

rdn_tensor *rdn_tensor_retain(rdn_tensor *t) {
  if (t) t->refs++;
  return t;
}

void rdn_tensor_release(rdn_tensor *t) {
  if (!t || --t->refs > 0) return;
  if (t->base) rdn_tensor_release(t->base);
  else if (t->buf) clReleaseMemObject(t->buf);
  free(t);
}

static rdn_status make_view(rdn_tensor **out, rdn_tensor *t, int ndim, const size_t *shape,
                            size_t offset) {
  rdn_tensor *v = calloc(1, sizeof *v);
  if (!v) return rdn__fail(t->ctx, RDN_ENOMEM, "rdn_tensor_reshape: out of host memory");
  rdn_tensor *owner = t->base ? t->base : t;
  v->ctx = t->ctx;
  v->buf = t->buf;
  v->base = rdn_tensor_retain(owner);
  v->offset = offset;
  v->ndim = ndim;
  v->dtype = t->dtype;
  v->refs = 1;
  memcpy(v->shape, shape, (size_t)ndim * sizeof *shape);
  *out = v;
  return RDN_OK;
}

rdn_status rdn_tensor_reshape(rdn_tensor **out, rdn_tensor *t, int ndim, const size_t *shape) {
  rdn_status s;
  char a[96];
  *out = NULL;
  if ((s = check_shape(t->ctx, "rdn_tensor_reshape", ndim, shape, t->dtype)) != RDN_OK)
    return s;
  size_t n = checked_numel(ndim, shape, t->dtype);
  if (n != rdn_tensor_numel(t))
    return rdn__fail(t->ctx, RDN_EINVAL, "rdn_tensor_reshape: shape has %zu elements, tensor "
                     "%s has %zu", n, rdn_tensor_shape_str(t, a, sizeof a), rdn_tensor_numel(t));
  return make_view(out, t, ndim, shape, t->offset);
}

rdn_status rdn_tensor_rows(rdn_tensor **out, rdn_tensor *t, size_t row0, size_t nrows) {
  size_t shape[RDN_MAX_DIMS];
  *out = NULL;
  if (nrows == 0 || row0 > t->shape[0] || nrows > t->shape[0] - row0)
    return rdn__fail(t->ctx, RDN_EINVAL, "rdn_tensor_rows: rows [%zu, %zu) outside [0, %zu)",
                     row0, row0 + nrows, t->shape[0]);
  memcpy(shape, t->shape, sizeof shape);
  shape[0] = nrows;
  return make_view(out, t, t->ndim, shape, t->offset + row0 * (rdn_tensor_numel(t) /
                                                                 t->shape[0]));
}

rdn_ctx *rdn_tensor_ctx(const rdn_tensor *t) { return t->ctx; }
rdn_dtype rdn_tensor_dtype(const rdn_tensor *t) { return t->dtype; }
int rdn_tensor_ndim(const rdn_tensor *t) { return t->ndim; }
cl_mem rdn_tensor_buffer(const rdn_tensor *t) { return t->buf; }
size_t rdn_tensor_offset(const rdn_tensor *t) { return t->offset; }

size_t rdn_tensor_dim(const rdn_tensor *t, int i) {
  if (i < 0) i += t->ndim;
  return (i >= 0 && i < t->ndim) ? t->shape[i] : 1;
}

size_t rdn_tensor_numel(const rdn_tensor *t) {
  size_t n = 1;
  for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
  return n;
}

size_t rdn__rows(const rdn_tensor *t) { return rdn_tensor_numel(t) / t->shape[t->ndim - 1]; }
size_t rdn__flat_cols(const rdn_tensor *t) { return rdn_tensor_numel(t) / t->shape[0]; }

static rdn_status check_bytes(const rdn_tensor *t, const char *fn, size_t bytes) {
  size_t want = rdn_tensor_numel(t) * rdn_dtype_size(t->dtype);
  if (bytes != want)
    return rdn__fail(t->ctx, RDN_EINVAL, "%s: host buffer has %zu bytes, tensor needs %zu",
                     fn, bytes, want);
  return RDN_OK;
}

rdn_status rdn_tensor_write(rdn_tensor *t, const void *host, size_t bytes) {
  rdn_status s = check_bytes(t, "rdn_tensor_write", bytes);
  if (s != RDN_OK) return s;
  size_t es = rdn_dtype_size(t->dtype);
  cl_int e = clEnqueueWriteBuffer(t->ctx->queue, t->buf, CL_TRUE, t->offset * es, bytes, host,
                                  0, NULL, NULL);
  if (e != CL_SUCCESS) return rdn__cl_fail(t->ctx, "rdn_tensor_write", "clEnqueueWriteBuffer", e);
  return RDN_OK;
}

rdn_status rdn_tensor_read(const rdn_tensor *t, void *host, size_t bytes) {
  rdn_status s = check_bytes(t, "rdn_tensor_read", bytes);
  if (s != RDN_OK) return s;
  size_t es = rdn_dtype_size(t->dtype);
  cl_int e = clEnqueueReadBuffer(t->ctx->queue, t->buf, CL_TRUE, t->offset * es, bytes, host,
                                 0, NULL, NULL);
  if (e != CL_SUCCESS) return rdn__cl_fail(t->ctx, "rdn_tensor_read", "clEnqueueReadBuffer", e);
  return RDN_OK;
}

rdn_status rdn_tensor_copy(rdn_tensor *dst, const rdn_tensor *src) {
  char a[96], b[96];
  if (dst->dtype != src->dtype || rdn_tensor_numel(dst) != rdn_tensor_numel(src))
    return rdn__fail(dst->ctx, RDN_EINVAL, "rdn_tensor_copy: dst is %s %s, src is %s %s",
                     rdn_dtype_name(dst->dtype), rdn_tensor_shape_str(dst, a, sizeof a),
                     rdn_dtype_name(src->dtype), rdn_tensor_shape_str(src, b, sizeof b));
  if (dst->buf == src->buf && dst->offset == src->offset) return RDN_OK;
  size_t es = rdn_dtype_size(dst->dtype), bytes = rdn_tensor_numel(dst) * es;
  if (dst->buf == src->buf) {
    size_t d0 = dst->offset * es, s0 = src->offset * es;
    if ((d0 < s0 + bytes) && (s0 < d0 + bytes))
      return rdn__fail(dst->ctx, RDN_EINVAL, "rdn_tensor_copy: src and dst overlap");
  }
  cl_int e = clEnqueueCopyBuffer(dst->ctx->queue, src->buf, dst->buf, src->offset * es,
                                 dst->offset * es, bytes, 0, NULL, NULL);
  if (e != CL_SUCCESS) return rdn__cl_fail(dst->ctx, "rdn_tensor_copy", "clEnqueueCopyBuffer", e);
  return RDN_OK;
}

rdn_status rdn_tensor_fill(rdn_tensor *t, double v) {
  rdn_ctx *ctx = t->ctx;
  cl_kernel k;
  rdn_status s;
  cl_ulong off = t->offset, n = rdn_tensor_numel(t);
  const char *name = t->dtype == RDN_I32 ? "fill_i32" : "fill";
  rdn_dtype dt = t->dtype == RDN_I32 ? RDN_F32 : t->dtype;
  if ((s = rdn__kernel(ctx, "tensor", dt, NULL, name, &k)) != RDN_OK) return s;
  if (t->dtype == RDN_I32) {
    cl_int iv = (cl_int)v;
    s = RDN_ARGS(ctx, k, name, RDN_TARG(t, off), RDN_ARG(n), RDN_ARG(iv));
  } else {
    cl_double dv = v;
    cl_float fv = (cl_float)v;
    if (t->dtype == RDN_F64) s = RDN_ARGS(ctx, k, name, RDN_TARG(t, off), RDN_ARG(n), RDN_ARG(dv));
    else s = RDN_ARGS(ctx, k, name, RDN_TARG(t, off), RDN_ARG(n), RDN_ARG(fv));
  }
  if (s != RDN_OK) return s;
  size_t gws = (size_t)n;
  return rdn__launch(ctx, k, name, 1, &gws, NULL);
}
