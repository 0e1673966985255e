/*
** gram.c -- Gram matrices on the device (kernels/gram.cl): whole, batched, per class in
** one pass (labels validated and sorted on the device), either side of the Gram
** identity, plus the last-axis-first permutation used for spectra.
*/
#include "rdn_impl.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cl_mem rdn__buffer(rdn_ctx *ctx, const char *fn, size_t bytes, rdn_status *st) {
  cl_int e;
  cl_mem m = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE, bytes ? bytes : 4, NULL, &e);
  *st = RDN_OK;
  if (e != CL_SUCCESS) {
    *st = rdn__fail(ctx, e == CL_MEM_OBJECT_ALLOCATION_FAILURE || e == CL_OUT_OF_RESOURCES ||
                    e == CL_INVALID_BUFFER_SIZE ? RDN_EDEVMEM : RDN_ECL,
                    "%s: clCreateBuffer failed: %s (%d) for %.2f MiB scratch on '%s'", fn,
                    rdn__cl_errname(e), (int)e, bytes / 1048576.0, ctx->info.name);
    return NULL;
  }
  return m;
}

struct rdn_linalg_state {
  cl_mem buf[RDN_LINALG_SLOTS];
  size_t bytes[RDN_LINALG_SLOTS];
};

rdn_status rdn__linalg_scratch(rdn_ctx *ctx, const char *fn, int slot, size_t bytes,
                               cl_mem *out) {
  rdn_status s;
  *out = NULL;
  if (!ctx->linalg && !(ctx->linalg = calloc(1, sizeof *ctx->linalg)))
    return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
  rdn_linalg_state *st = ctx->linalg;
  if (st->bytes[slot] < bytes) {
    if (st->buf[slot]) clReleaseMemObject(st->buf[slot]);
    st->buf[slot] = NULL;
    st->bytes[slot] = 0;
    size_t want = rdn__round_up(bytes, 1 << 16);
    if (!(st->buf[slot] = rdn__buffer(ctx, fn, want, &s))) return s;
    st->bytes[slot] = want;
  }
  *out = st->buf[slot];
  return RDN_OK;
}

void rdn__linalg_free(rdn_ctx *ctx) {
  if (!ctx->linalg) return;
  for (int i = 0; i < RDN_LINALG_SLOTS; i++)
    if (ctx->linalg->buf[i]) clReleaseMemObject(ctx->linalg->buf[i]);
  free(ctx->linalg);
  ctx->linalg = NULL;
}

rdn_status rdn__tensor_over(rdn_ctx *ctx, cl_mem buf, size_t off, rdn_dtype dt, int ndim,
                            const size_t *shape, rdn_tensor **out) {
  rdn_tensor *t = calloc(1, sizeof *t);
  *out = NULL;
  if (!t) return rdn__fail(ctx, RDN_ENOMEM, "out of host memory");
  clRetainMemObject(buf);
  t->ctx = ctx;
  t->buf = buf;
  t->offset = off;
  t->ndim = ndim;
  t->dtype = dt;
  t->refs = 1;
  memcpy(t->shape, shape, (size_t)ndim * sizeof *shape);
  *out = t;
  return RDN_OK;
}

/* Columns of a register tile (kernels/gram.cl NR): the packed width is a multiple. */
static size_t gram_pad(rdn_dtype dt) { return dt == RDN_F32 ? 32 : 16; }

/* Fixed local sizes: PoCL compiles one work-group function per local size. */
static const size_t LW1[2] = { 8, 1 }, LW3[3] = { 4, 1, 1 }, LWP[2] = { 4, 1 };
static const size_t LWT[3] = { 1, 1, 1 };

rdn_status rdn__gram_raw(rdn_ctx *ctx, const char *fn, const rdn__gram_src *src, cl_mem bad,
                         cl_mem *gs, size_t *dpo) {
  rdn_dtype dt = src->z->dtype;
  size_t es = rdn_dtype_size(dt), dp = rdn__round_up(src->nc, gram_pad(dt));
  size_t nseg = src->seg ? src->nseg : 1, panel = src->nb * src->nr * dp * es;
  cl_kernel kp, kt;
  rdn_status s;
  cl_mem ap, bp;
  *gs = NULL;
  *dpo = dp;
  if ((s = rdn__kernel(ctx, "gram", dt, NULL, "gram_pack", &kp)) != RDN_OK ||
      (s = rdn__kernel(ctx, "gram", dt, NULL, "gram_tile", &kt)) != RDN_OK)
    return s;
  if ((s = rdn__linalg_scratch(ctx, fn, 0, panel, &ap)) != RDN_OK ||
      (s = rdn__linalg_scratch(ctx, fn, 1, panel, &bp)) != RDN_OK ||
      (s = rdn__linalg_scratch(ctx, fn, 2, nseg * src->nb * dp * dp * es, gs)) != RDN_OK)
    return s;
  cl_ulong nb = src->nb, nr = src->nr, nc = src->nc, dpl = dp, zoff = src->z->offset;
  cl_ulong poff = src->poff, segoff = src->segoff, ns = nseg;
  cl_long sb = src->sb, sr = src->sr, sc = src->sc;
  cl_int pax = src->perm ? src->pax : -1, cj = src->conj && dt == RDN_C64;
  cl_mem perm = src->perm, seg = src->seg;
  if ((s = RDN_ARGS(ctx, kp, "gram_pack", RDN_ARG(ap), RDN_ARG(bp), RDN_ARG(nb), RDN_ARG(nr),
                    RDN_ARG(nc), RDN_ARG(dpl), RDN_ARG(src->z->buf), RDN_ARG(zoff),
                    RDN_ARG(sb), RDN_ARG(sr), RDN_ARG(sc), RDN_ARG(perm), RDN_ARG(poff),
                    RDN_ARG(pax), RDN_ARG(cj), RDN_ARG(bad))) != RDN_OK)
    return s;
  size_t gp[2] = { src->nr, src->nb };
  if ((s = rdn__launch(ctx, kp, "gram_pack", 2, gp, LWP)) != RDN_OK) return s;
  size_t g3[3] = { dp / 8, dp / gram_pad(dt), nseg * src->nb };
  if ((s = RDN_ARGS(ctx, kt, "gram_tile", RDN_ARG(*gs), RDN_ARG(ap), RDN_ARG(bp), RDN_ARG(nb),
                    RDN_ARG(nr), RDN_ARG(dpl), RDN_ARG(seg), RDN_ARG(segoff),
                    RDN_ARG(ns))) != RDN_OK)
    return s;
  return rdn__launch(ctx, kt, "gram_tile", 3, g3, LW3);
}

/* Writes host values as the device's `real` (f32 for f32/c64, f64 for f64). */
static cl_mem real_buffer(rdn_ctx *ctx, const char *fn, rdn_dtype dt, const double *v, size_t n,
                          rdn_status *st) {
  size_t rs = dt == RDN_F64 ? 8 : 4;
  cl_mem b = rdn__buffer(ctx, fn, n * rs, st);
  if (!b) return NULL;
  void *h = malloc(n * rs);
  if (!h) {
    clReleaseMemObject(b);
    *st = rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    if (rs == 8) ((double *)h)[i] = v[i];
    else ((float *)h)[i] = (float)v[i];
  }
  cl_int e = clEnqueueWriteBuffer(ctx->queue, b, CL_TRUE, 0, n * rs, h, 0, NULL, NULL);
  free(h);
  if (e != CL_SUCCESS) {
    clReleaseMemObject(b);
    *st = rdn__cl_fail(ctx, fn, "clEnqueueWriteBuffer", e);
    return NULL;
  }
  return b;
}

/* Sets a `real` kernel argument from a double. */
static rdn_status set_real(rdn_ctx *ctx, cl_kernel k, const char *name, int i, rdn_dtype dt,
                           double v) {
  cl_double dv = v;
  cl_float fv = (cl_float)v;
  rdn__karg a = dt == RDN_F64 ? RDN_ARG(dv) : RDN_ARG(fv);
  cl_int e = clSetKernelArg(k, (cl_uint)i, a.size, a.ptr);
  if (e != CL_SUCCESS)
    return rdn__fail(ctx, RDN_ECL, "kernel '%s': clSetKernelArg #%d failed: %s (%d)", name, i,
                     rdn__cl_errname(e), (int)e);
  return RDN_OK;
}

rdn_status rdn__gram_finish(rdn_ctx *ctx, const char *fn, rdn_dtype dt, cl_mem out,
                            size_t ooff, cl_mem gs, size_t d, size_t dp, size_t nmat,
                            const double *scale, size_t nscale, size_t sdiv, double alpha,
                            double diag) {
  cl_kernel k;
  rdn_status s;
  cl_mem sc = NULL;
  if ((s = rdn__kernel(ctx, "gram", dt, NULL, "gram_finish", &k)) != RDN_OK) return s;
  if (scale && !(sc = real_buffer(ctx, fn, dt, scale, nscale, &s))) return s;
  cl_ulong oo = ooff, dl = d, dpl = dp, nm = nmat, sd = sdiv ? sdiv : 1;
  if ((s = RDN_ARGS(ctx, k, "gram_finish", RDN_ARG(out), RDN_ARG(oo), RDN_ARG(gs), RDN_ARG(dl),
                    RDN_ARG(dpl), RDN_ARG(nm), RDN_ARG(sc), RDN_ARG(sd))) == RDN_OK &&
      (s = set_real(ctx, k, "gram_finish", 8, dt, alpha)) == RDN_OK &&
      (s = set_real(ctx, k, "gram_finish", 9, dt, diag)) == RDN_OK) {
    size_t g3[3] = { (d + 63) / 64, (d + 63) / 64, nmat };
    s = rdn__launch(ctx, k, "gram_finish", 3, g3, LWT);
  }
  if (sc) clReleaseMemObject(sc);
  return s;
}

rdn_status rdn__gram_sum(rdn_ctx *ctx, const char *fn, rdn_dtype dt, cl_mem out, size_t ooff,
                         cl_mem gs, size_t goff, size_t d, size_t dp, size_t nb, size_t nseg,
                         double alpha, double diag) {
  cl_kernel k;
  rdn_status s;
  (void)fn;
  if ((s = rdn__kernel(ctx, "gram", dt, NULL, "gram_sum", &k)) != RDN_OK) return s;
  cl_ulong oo = ooff, go = goff, dl = d, dpl = dp, nbl = nb, ns = nseg;
  if ((s = RDN_ARGS(ctx, k, "gram_sum", RDN_ARG(out), RDN_ARG(oo), RDN_ARG(gs), RDN_ARG(go),
                    RDN_ARG(dl), RDN_ARG(dpl), RDN_ARG(nbl), RDN_ARG(ns))) != RDN_OK ||
      (s = set_real(ctx, k, "gram_sum", 8, dt, alpha)) != RDN_OK ||
      (s = set_real(ctx, k, "gram_sum", 9, dt, diag)) != RDN_OK)
    return s;
  size_t g3[3] = { (d + 63) / 64, (d + 63) / 64, nb };
  return rdn__launch(ctx, k, "gram_sum", 3, g3, LWT);
}

rdn_status rdn__labels_k(rdn_ctx *ctx, const char *fn, const rdn_tensor *y, size_t m, int *k) {
  char a[96];
  rdn_status s;
  cl_kernel km;
  static const size_t one = 1;
  cl_mem o;
  if (*k > 0) return RDN_OK;
  if (!y) return rdn__fail(ctx, RDN_EINVAL, "%s: labels are missing", fn);
  if (y->dtype != RDN_I32 || rdn_tensor_numel(y) != m)
    return rdn__fail(ctx, RDN_EINVAL, "%s: labels must be i32 with %zu elements, got %s %s",
                     fn, m, rdn_dtype_name(y->dtype), rdn_tensor_shape_str(y, a, sizeof a));
  size_t P = m < 64 * 256 ? (m + 255) / 256 : 64;
  if ((s = rdn__kernel(ctx, "gram", RDN_F32, NULL, "label_max", &km)) != RDN_OK) return s;
  if (!(o = rdn__buffer(ctx, fn, 4, &s))) return s;
  cl_int mx = INT32_MIN;
  cl_ulong yoff = y->offset, ml = m, Pl = P;
  cl_int e = clEnqueueWriteBuffer(ctx->queue, o, CL_TRUE, 0, 4, &mx, 0, NULL, NULL);
  if (e != CL_SUCCESS) s = rdn__cl_fail(ctx, fn, "clEnqueueWriteBuffer", e);
  if (s == RDN_OK &&
      (s = RDN_ARGS(ctx, km, "label_max", RDN_ARG(y->buf), RDN_ARG(yoff), RDN_ARG(ml),
                    RDN_ARG(Pl), RDN_ARG(o))) == RDN_OK &&
      (s = rdn__launch(ctx, km, "label_max", 1, &P, &one)) == RDN_OK) {
    e = clEnqueueReadBuffer(ctx->queue, o, CL_TRUE, 0, 4, &mx, 0, NULL, NULL);
    if (e != CL_SUCCESS) s = rdn__cl_fail(ctx, fn, "clEnqueueReadBuffer", e);
  }
  clReleaseMemObject(o);
  /* a negative maximum leaves k = 1: the validation then names the first bad label */
  if (s == RDN_OK) *k = mx >= (1 << 24) ? (1 << 24) + 1 : mx < 0 ? 1 : mx + 1;
  return s;
}

rdn_status rdn__labels(rdn_ctx *ctx, const char *fn, const rdn_tensor *y, size_t m, int k,
                       size_t *counts, cl_mem *metao, cl_mem *permo) {
  char a[96];
  rdn_status s;
  cl_kernel kh, ks, kc;
  cl_mem meta = NULL, hist = NULL, perm = NULL;
  int *h = NULL;
  if (metao) *metao = NULL;
  if (permo) *permo = NULL;
  if (!y) return rdn__fail(ctx, RDN_EINVAL, "%s: labels are missing", fn);
  if (y->dtype != RDN_I32)
    return rdn__fail(ctx, RDN_EINVAL, "%s: labels must be i32, got %s", fn,
                     rdn_dtype_name(y->dtype));
  if (rdn_tensor_numel(y) != m)
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: %zu samples, labels are %s", fn, m,
                     rdn_tensor_shape_str(y, a, sizeof a));
  if (k < 1 || k > (1 << 24))
    return rdn__fail(ctx, RDN_EINVAL, "%s: bad number of classes: %d", fn, k);
  size_t P = m < 64 * 256 ? (m + 255) / 256 : 64;
  if ((s = rdn__kernel(ctx, "gram", RDN_F32, NULL, "label_hist", &kh)) != RDN_OK ||
      (s = rdn__kernel(ctx, "gram", RDN_F32, NULL, "label_scan", &ks)) != RDN_OK ||
      (s = rdn__kernel(ctx, "gram", RDN_F32, NULL, "label_scatter", &kc)) != RDN_OK)
    return s;
  if (!(meta = rdn__buffer(ctx, fn, (2 * (size_t)k + 2) * 4, &s)) ||
      !(hist = rdn__buffer(ctx, fn, (size_t)k * P * 4, &s)) ||
      (permo && !(perm = rdn__buffer(ctx, fn, m * 4, &s))))
    goto done;
  cl_uint none = 0xffffffffu;
  cl_int e = clEnqueueFillBuffer(ctx->queue, meta, &none, 4, 0, 4, 0, NULL, NULL);
  if (e != CL_SUCCESS) {
    s = rdn__cl_fail(ctx, fn, "clEnqueueFillBuffer", e);
    goto done;
  }
  cl_ulong yoff = y->offset, ml = m, Pl = P;
  cl_int kk = k;
  size_t one = 1;
  if ((s = RDN_ARGS(ctx, kh, "label_hist", RDN_ARG(y->buf), RDN_ARG(yoff), RDN_ARG(ml),
                    RDN_ARG(kk), RDN_ARG(Pl), RDN_ARG(hist), RDN_ARG(meta))) != RDN_OK ||
      (s = rdn__launch(ctx, kh, "label_hist", 1, &P, &one)) != RDN_OK ||
      (s = RDN_ARGS(ctx, ks, "label_scan", RDN_ARG(hist), RDN_ARG(kk), RDN_ARG(Pl),
                    RDN_ARG(meta))) != RDN_OK ||
      (s = rdn__launch(ctx, ks, "label_scan", 1, &one, &one)) != RDN_OK)
    goto done;
  if (perm &&
      ((s = RDN_ARGS(ctx, kc, "label_scatter", RDN_ARG(y->buf), RDN_ARG(yoff), RDN_ARG(ml),
                     RDN_ARG(kk), RDN_ARG(Pl), RDN_ARG(hist), RDN_ARG(perm))) != RDN_OK ||
       (s = rdn__launch(ctx, kc, "label_scatter", 1, &P, &one)) != RDN_OK))
    goto done;
  if (!(h = malloc(((size_t)k + 1) * sizeof *h))) {
    s = rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
    goto done;
  }
  e = clEnqueueReadBuffer(ctx->queue, meta, CL_TRUE, 0, ((size_t)k + 1) * 4, h, 0, NULL, NULL);
  if (e != CL_SUCCESS) {
    s = rdn__cl_fail(ctx, fn, "clEnqueueReadBuffer", e);
    goto done;
  }
  if ((cl_uint)h[0] != none) {
    size_t at = (cl_uint)h[0];
    cl_int lab = 0;
    e = clEnqueueReadBuffer(ctx->queue, y->buf, CL_TRUE, (y->offset + at) * 4, 4, &lab, 0, NULL,
                            NULL);
    if (e != CL_SUCCESS) s = rdn__cl_fail(ctx, fn, "clEnqueueReadBuffer", e);
    else s = rdn__fail(ctx, RDN_EVALUE, "%s: labels out of range: label %d at sample %zu, "
                       "classes = %d", fn, (int)lab, at, k);
    goto done;
  }
  if (counts)
    for (int j = 0; j < k; j++) counts[j] = (size_t)h[1 + j];
done:
  free(h);
  if (hist) clReleaseMemObject(hist);
  if (s == RDN_OK && metao) *metao = meta;
  else if (meta) clReleaseMemObject(meta);
  if (s == RDN_OK && permo) *permo = perm;
  else if (perm) clReleaseMemObject(perm);
  return s;
}

/* ------------------------------------------------------------------ public */

static rdn_status check_scalar(rdn_ctx *ctx, const char *fn, const char *name, double v) {
  if (!isfinite(v)) return rdn__fail(ctx, RDN_EINVAL, "%s: '%s' is not finite: %g", fn, name, v);
  return RDN_OK;
}

/* z [m, d] or [b, m, d], float dtype the device supports; fills b, m, d. */
static rdn_status z_shape(rdn_ctx *ctx, const char *fn, const rdn_tensor *z, size_t *b,
                          size_t *m, size_t *d) {
  char a[96];
  rdn_status s;
  if (!z) return rdn__fail(ctx, RDN_EINVAL, "%s: 'z' is NULL", fn);
  if (!rdn__is_float(z->dtype))
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'z' must be f32, f64 or c64, got %s", fn,
                     rdn_dtype_name(z->dtype));
  if ((s = rdn__check_dtype(ctx, fn, "z", z->dtype)) != RDN_OK) return s;
  if (z->ndim != 2 && z->ndim != 3)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'z' must be [m, d] or [b, m, d], got %s", fn,
                     rdn_tensor_shape_str(z, a, sizeof a));
  *b = z->ndim == 3 ? z->shape[0] : 1;
  *m = z->shape[z->ndim - 2];
  *d = z->shape[z->ndim - 1];
  return RDN_OK;
}

/* g must be dtype of z with shape [lead..., n, n]. */
static rdn_status g_shape(rdn_ctx *ctx, const char *fn, const rdn_tensor *g, const rdn_tensor *z,
                          int nlead, const size_t *lead, size_t n) {
  char a[96], want[96];
  size_t used = 0;
  int ok = g && g->dtype == z->dtype && g->ndim == nlead + 2;
  used += (size_t)snprintf(want, sizeof want, "%s [", rdn_dtype_name(z->dtype));
  for (int i = 0; i < nlead; i++) {
    used += (size_t)snprintf(want + used, sizeof want - used, "%zu x ", lead[i]);
    if (ok && g->shape[i] != lead[i]) ok = 0;
  }
  snprintf(want + used, sizeof want - used, "%zu x %zu]", n, n);
  if (ok && (g->shape[nlead] != n || g->shape[nlead + 1] != n)) ok = 0;
  if (!ok)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'g' must be %s, got %s %s", fn, want,
                     g ? rdn_dtype_name(g->dtype) : "NULL",
                     g ? rdn_tensor_shape_str(g, a, sizeof a) : "");
  return RDN_OK;
}

rdn_status rdn_gram(rdn_ctx *ctx, rdn_tensor *g, const rdn_tensor *z, rdn_gram_side side,
                    double alpha, double diag) {
  const char *fn = "rdn_gram";
  size_t b, m, d;
  rdn_status s;
  if ((s = z_shape(ctx, fn, z, &b, &m, &d)) != RDN_OK) return s;
  if (side != RDN_GRAM_COLS && side != RDN_GRAM_ROWS)
    return rdn__fail(ctx, RDN_EINVAL, "%s: bad side: %d", fn, (int)side);
  size_t n = side == RDN_GRAM_COLS ? d : m;
  if ((s = g_shape(ctx, fn, g, z, z->ndim - 2, &b, n)) != RDN_OK ||
      (s = check_scalar(ctx, fn, "alpha", alpha)) != RDN_OK ||
      (s = check_scalar(ctx, fn, "diag", diag)) != RDN_OK)
    return s;
  rdn__gram_src src = { z, b, m, d, (long)(m * d), (long)d, 1, NULL, 0, -1, 0, NULL, 0, 1 };
  if (side == RDN_GRAM_ROWS) {     /* (Z^H)^H (Z^H) = Z Z^H */
    src.nr = d;
    src.nc = m;
    src.sr = 1;
    src.sc = (long)d;
    src.conj = 1;
  }
  cl_mem gs;
  size_t dp;
  if ((s = rdn__gram_raw(ctx, fn, &src, NULL, &gs, &dp)) != RDN_OK) return s;
  return rdn__gram_finish(ctx, fn, z->dtype, g->buf, g->offset, gs, n, dp, b, NULL, 0, 1,
                          alpha, diag);
}

rdn_status rdn_gram_classes(rdn_ctx *ctx, rdn_tensor *g, const rdn_tensor *z,
                            const rdn_tensor *labels, int k, const double *alpha, double diag) {
  const char *fn = "rdn_gram_classes";
  size_t b, m, d;
  rdn_status s;
  if ((s = z_shape(ctx, fn, z, &b, &m, &d)) != RDN_OK) return s;
  if (k < 1) return rdn__fail(ctx, RDN_EINVAL, "%s: bad number of classes: %d", fn, k);
  size_t lead[2] = { (size_t)k, b };
  if ((s = g_shape(ctx, fn, g, z, z->ndim - 1, lead, d)) != RDN_OK ||
      (s = check_scalar(ctx, fn, "diag", diag)) != RDN_OK)
    return s;
  for (int j = 0; alpha && j < k; j++)
    if (!isfinite(alpha[j]))
      return rdn__fail(ctx, RDN_EINVAL, "%s: 'alpha[%d]' is not finite: %g", fn, j, alpha[j]);
  cl_mem meta, perm, gs;
  size_t dp;
  if ((s = rdn__labels(ctx, fn, labels, m, k, NULL, &meta, &perm)) != RDN_OK) return s;
  rdn__gram_src src = { z, b, m, d, (long)(m * d), (long)d, 1, perm, 0, 0, 0,
                        meta, 1 + (size_t)k, (size_t)k };
  if ((s = rdn__gram_raw(ctx, fn, &src, NULL, &gs, &dp)) == RDN_OK) {
    s = rdn__gram_finish(ctx, fn, z->dtype, g->buf, g->offset, gs, d, dp, (size_t)k * b, alpha,
                         (size_t)k, b, 1.0, diag);
  }
  clReleaseMemObject(meta);
  clReleaseMemObject(perm);
  return s;
}

rdn_status rdn_gram_sum(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *g, double alpha,
                        double diag) {
  const char *fn = "rdn_gram_sum";
  char a[96], c[96];
  rdn_status s;
  if (!g || !out) return rdn__fail(ctx, RDN_EINVAL, "%s: a tensor argument is NULL", fn);
  if (!rdn__is_float(g->dtype) || (g->ndim != 3 && g->ndim != 4) ||
      g->shape[g->ndim - 1] != g->shape[g->ndim - 2])
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'g' must be float [k, d, d] or [k, b, d, d], got "
                     "%s %s", fn, rdn_dtype_name(g->dtype), rdn_tensor_shape_str(g, a, sizeof a));
  size_t d = g->shape[g->ndim - 1], b = g->ndim == 4 ? g->shape[1] : 1;
  if (out->dtype != g->dtype || out->ndim != g->ndim - 1 || rdn_tensor_numel(out) != b * d * d ||
      out->shape[out->ndim - 1] != d)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'out' must be %s %s, got %s", fn,
                     rdn_dtype_name(g->dtype), g->ndim == 3 ? "[d, d]" : "[b, d, d]",
                     rdn_tensor_shape_str(out, c, sizeof c));
  if ((s = check_scalar(ctx, fn, "alpha", alpha)) != RDN_OK ||
      (s = check_scalar(ctx, fn, "diag", diag)) != RDN_OK)
    return s;
  if (g->buf == out->buf)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'out' and 'g' must not share storage", fn);
  return rdn__gram_sum(ctx, fn, g->dtype, out->buf, out->offset, g->buf, g->offset, d, d, b,
                       g->shape[0], alpha, diag);
}

rdn_status rdn_last_axis_first(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *in) {
  const char *fn = "rdn_last_axis_first";
  char a[96], c[96];
  if (!in || !out) return rdn__fail(ctx, RDN_EINVAL, "%s: a tensor argument is NULL", fn);
  int ok = in->ndim >= 2 && out->ndim == in->ndim && out->dtype == in->dtype &&
           rdn__is_float(in->dtype) && out->shape[0] == in->shape[in->ndim - 1];
  for (int i = 1; ok && i < in->ndim; i++) ok = out->shape[i] == in->shape[i - 1];
  if (!ok)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'out' must be 'in' %s %s with its last axis moved "
                     "first, got %s %s", fn, rdn_dtype_name(in->dtype),
                     rdn_tensor_shape_str(in, a, sizeof a), rdn_dtype_name(out->dtype),
                     rdn_tensor_shape_str(out, c, sizeof c));
  if (in->buf == out->buf)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'out' and 'in' must not share storage", fn);
  size_t f = in->shape[in->ndim - 1], rest = rdn_tensor_numel(in) / f;
  cl_kernel k;
  rdn_status s;
  if ((s = rdn__kernel(ctx, "gram", in->dtype, NULL, "last_first", &k)) != RDN_OK) return s;
  cl_ulong oo = out->offset, io = in->offset, rl = rest, fl = f;
  if ((s = RDN_ARGS(ctx, k, "last_first", RDN_ARG(out->buf), RDN_ARG(oo), RDN_ARG(in->buf),
                    RDN_ARG(io), RDN_ARG(rl), RDN_ARG(fl))) != RDN_OK)
    return s;
  size_t g2[2] = { rest, f };
  return rdn__launch(ctx, k, "last_first", 2, g2, LW1);
}
