/*
** elementwise.c -- in-place streaming ops (rdn_scale, rdn_axpby) and the NaN/Inf guard
** rdn_check_finite used by every op that must reject bad data: one kernel finds the
** first non-finite element with atomic_min, the host reads one index and one value.
*/
#include "rdn_impl.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

rdn_status rdn__tensor_arg(rdn_ctx *ctx, const char *fn, const char *arg,
                           const rdn_tensor *t) {
  if (!t) return rdn__fail(ctx, RDN_EINVAL, "%s: '%s' is NULL", fn, arg);
  if (t->ctx != ctx)
    return rdn__fail(ctx, RDN_EINVAL, "%s: '%s' belongs to another context", fn, arg);
  return rdn__check_dtype(ctx, fn, arg, t->dtype);
}

rdn_status rdn__float_arg(rdn_ctx *ctx, const char *fn, const char *arg,
                          const rdn_tensor *t) {
  rdn_status s = rdn__tensor_arg(ctx, fn, arg, t);
  if (s != RDN_OK) return s;
  if (!rdn__is_float(t->dtype))
    return rdn__fail(ctx, RDN_EINVAL, "%s: '%s' is %s, want f32, f64 or c64", fn, arg,
                     rdn_dtype_name(t->dtype));
  return RDN_OK;
}

static rdn_status need_finite_scalar(rdn_ctx *ctx, const char *fn, const char *arg, double v) {
  if (!isfinite(v)) return rdn__fail(ctx, RDN_EINVAL, "%s: '%s' is not finite: %g", fn, arg, v);
  return RDN_OK;
}

rdn_status rdn_scale(rdn_ctx *ctx, rdn_tensor *x, double alpha) {
  static const char *fn = "rdn_scale";
  rdn_status s;
  cl_kernel k;
  if (!ctx) return RDN_EINVAL;
  if ((s = rdn__float_arg(ctx, fn, "x", x)) != RDN_OK) return s;
  if ((s = need_finite_scalar(ctx, fn, "alpha", alpha)) != RDN_OK) return s;
  if ((s = rdn__kernel(ctx, "elementwise", x->dtype, NULL, "scale", &k)) != RDN_OK) return s;
  cl_ulong off = x->offset, n = rdn_tensor_numel(x);
  cl_double ad = alpha;
  cl_float af = (cl_float)alpha;
  if (x->dtype == RDN_F64) s = RDN_ARGS(ctx, k, "scale", RDN_TARG(x, off), RDN_ARG(n), RDN_ARG(ad));
  else s = RDN_ARGS(ctx, k, "scale", RDN_TARG(x, off), RDN_ARG(n), RDN_ARG(af));
  if (s != RDN_OK) return s;
  size_t gws = (size_t)n;
  return rdn__launch(ctx, k, "scale", 1, &gws, NULL);
}

/* Element-by-element updates are only safe when y and x coincide or are disjoint. */
static int partial_overlap(const rdn_tensor *a, const rdn_tensor *b) {
  if (a->buf != b->buf || a->offset == b->offset) return 0;
  size_t n = rdn_tensor_numel(a);
  return a->offset < b->offset + n && b->offset < a->offset + n;
}

rdn_status rdn_axpby(rdn_ctx *ctx, rdn_tensor *y, double a, const rdn_tensor *x, double b) {
  static const char *fn = "rdn_axpby";
  char sa[96], sb[96];
  rdn_status s;
  cl_kernel k;
  if (!ctx) return RDN_EINVAL;
  if ((s = rdn__float_arg(ctx, fn, "y", y)) != RDN_OK) return s;
  if ((s = rdn__float_arg(ctx, fn, "x", x)) != RDN_OK) return s;
  if (x->dtype != y->dtype)
    return rdn__fail(ctx, RDN_EINVAL, "%s: dtype mismatch: y is %s, x is %s", fn,
                     rdn_dtype_name(y->dtype), rdn_dtype_name(x->dtype));
  if (rdn_tensor_numel(x) != rdn_tensor_numel(y))
    return rdn__fail(ctx, RDN_EINVAL, "%s: size mismatch: y is %s (%zu elements), x is %s "
                     "(%zu elements)", fn, rdn_tensor_shape_str(y, sa, sizeof sa),
                     rdn_tensor_numel(y), rdn_tensor_shape_str(x, sb, sizeof sb),
                     rdn_tensor_numel(x));
  if (partial_overlap(y, x))
    return rdn__fail(ctx, RDN_EINVAL, "%s: y and x partially overlap (offsets %zu and %zu)",
                     fn, y->offset, x->offset);
  if ((s = need_finite_scalar(ctx, fn, "a", a)) != RDN_OK) return s;
  if ((s = need_finite_scalar(ctx, fn, "b", b)) != RDN_OK) return s;
  const char *name = b == 0 ? "axpy0" : "axpby";
  if ((s = rdn__kernel(ctx, "elementwise", x->dtype, NULL, name, &k)) != RDN_OK) return s;
  cl_ulong yo = y->offset, xo = x->offset, n = rdn_tensor_numel(x);
  cl_double ad = a, bd = b;
  cl_float af = (cl_float)a, bf = (cl_float)b;
  if (x->dtype == RDN_F64)
    s = RDN_ARGS(ctx, k, name, RDN_TARG(y, yo), RDN_TARG(x, xo), RDN_ARG(n), RDN_ARG(ad),
                 RDN_ARG(bd));
  else
    s = RDN_ARGS(ctx, k, name, RDN_TARG(y, yo), RDN_TARG(x, xo), RDN_ARG(n), RDN_ARG(af),
                 RDN_ARG(bf));
  if (s != RDN_OK) return s;
  size_t gws = (size_t)n;
  return rdn__launch(ctx, k, name, 1, &gws, NULL);
}

/* "NaN", "Inf" or "-Inf" */
static const char *nonfinite_name(double v) {
  return isnan(v) ? "NaN" : v > 0 ? "Inf" : "-Inf";
}

/* " (row 3, col 2)" for 2-D, " (at [0, 3, 2])" for 3-D and 4-D, "" for 1-D. */
static void multi_index(const rdn_tensor *x, size_t flat, char *buf, size_t len) {
  size_t idx[RDN_MAX_DIMS];
  buf[0] = 0;
  if (x->ndim < 2) return;
  for (int d = x->ndim - 1; d >= 0; d--) {
    idx[d] = flat % x->shape[d];
    flat /= x->shape[d];
  }
  if (x->ndim == 2) {
    snprintf(buf, len, " (row %zu, col %zu)", idx[0], idx[1]);
    return;
  }
  size_t u = (size_t)snprintf(buf, len, " (at [");
  for (int d = 0; d < x->ndim && u < len; d++)
    u += (size_t)snprintf(buf + u, len - u, d ? ", %zu" : "%zu", idx[d]);
  if (u < len) snprintf(buf + u, len - u, "])");
}

/* Reads x[i] (one element) and formats the failure. */
static rdn_status report_nonfinite(rdn_ctx *ctx, const char *fn, const rdn_tensor *x,
                                   const char *argname, size_t i) {
  size_t es = rdn_dtype_size(x->dtype);
  unsigned char raw[8];
  char where[128];
  double v = NAN;
  const char *part = "";
  cl_int e = clEnqueueReadBuffer(ctx->queue, x->buf, CL_TRUE, (x->offset + i) * es, es, raw, 0,
                                 NULL, NULL);
  if (e != CL_SUCCESS) return rdn__cl_fail(ctx, fn, "clEnqueueReadBuffer", e);
  if (x->dtype == RDN_F64) {
    double d;
    memcpy(&d, raw, 8);
    v = d;
  } else {
    float f[2];
    memcpy(f, raw, es);
    v = f[0];
    if (x->dtype == RDN_C64 && isfinite(v)) {
      v = f[1];
      part = " (imaginary part)";
    } else if (x->dtype == RDN_C64) {
      part = " (real part)";
    }
  }
  multi_index(x, i, where, sizeof where);
  return rdn__fail(ctx, RDN_EVALUE, "%s: '%s' has %s%s at index %zu%s", fn,
                   argname ? argname : "x", nonfinite_name(v), part, i, where);
}

/* Chunks keep the element and scalar indices inside the kernel's 32-bit range. */
#define FINITE_CHUNK ((size_t)1 << 31)

rdn_status rdn__check_finite(rdn_ctx *ctx, const char *fn, const rdn_tensor *x,
                             const char *argname) {
  rdn_status s;
  cl_kernel k;
  cl_mem flag;
  if (!ctx) return RDN_EINVAL;
  if ((s = rdn__float_arg(ctx, fn, argname ? argname : "x", x)) != RDN_OK) return s;
  int chunks = rdn__reduce_chunked(ctx);
  const char *name = chunks ? "find_nonfinite_chunks" : "find_nonfinite";
  if ((s = rdn__kernel(ctx, "elementwise", x->dtype, NULL, name, &k)) != RDN_OK) return s;
  size_t n = rdn_tensor_numel(x), spe = x->dtype == RDN_C64 ? 2 : 1;
  for (size_t c0 = 0; c0 < n; c0 += FINITE_CHUNK) {
    cl_ulong off = x->offset + c0, cn = n - c0 < FINITE_CHUNK ? n - c0 : FINITE_CHUNK, fo = 0;
    cl_ulong ns = cn * spe;
    cl_uint hit;
    size_t gws, lws = 1, *lp = NULL;
    if ((s = rdn__flag_reset(ctx, fn, &flag)) != RDN_OK) return s;
    if (chunks) {
      size_t nw = rdn__chunk_split(ctx, (size_t)ns);
      cl_ulong chunk = rdn__round_up((size_t)((ns + nw - 1) / nw), 8);
      gws = (size_t)((ns + chunk - 1) / chunk);
      lp = &lws;
      s = RDN_ARGS(ctx, k, name, RDN_TARG(x, off), RDN_ARG(cn), RDN_ARG(chunk), RDN_ARG(flag),
                   RDN_ARG(fo));
    } else {
      gws = (size_t)((ns + 7) / 8);
      s = RDN_ARGS(ctx, k, name, RDN_TARG(x, off), RDN_ARG(cn), RDN_ARG(flag), RDN_ARG(fo));
    }
    if (s != RDN_OK) return s;
    if ((s = rdn__launch(ctx, k, name, 1, &gws, lp)) != RDN_OK) return s;
    if ((s = rdn__flag_read(ctx, fn, &hit)) != RDN_OK) return s;
    if (hit != UINT32_MAX) return report_nonfinite(ctx, fn, x, argname, c0 + hit);
  }
  return RDN_OK;
}

rdn_status rdn_check_finite(rdn_ctx *ctx, const rdn_tensor *x, const char *argname) {
  return rdn__check_finite(ctx, "rdn_check_finite", x, argname);
}
