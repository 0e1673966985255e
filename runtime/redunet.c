/*
** redunet.c -- vector ReduNet layers (SPEC §1.3): the operators E, C^j of a layer from
** (per-class) Grams + Cholesky inverses, the fused membership/update kernel after one
** GEMM with the stacked operators, and small label helpers (class counts, accuracy).
*/
#include "rdn_impl.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAXK 256                /* RDN_MAXK of kernels/redunet.cl */
#define CHUNK_ELEMS ((size_t)1 << 26)   /* applied-operator scratch: 256 MiB of f32 */

static rdn_status need_tensor(rdn_ctx *ctx, const char *fn, const char *arg,
                              const rdn_tensor *t) {
  if (!t) return rdn__fail(ctx, RDN_EINVAL, "%s: '%s' is NULL", fn, arg);
  if (t->ctx != ctx) return rdn__fail(ctx, RDN_EINVAL, "%s: '%s' belongs to another context",
                                      fn, arg);
  return RDN_OK;
}

static rdn_status need_labels(rdn_ctx *ctx, const char *fn, const rdn_tensor *y, size_t m) {
  char a[96];
  rdn_status s = need_tensor(ctx, fn, "labels", y);
  if (s != RDN_OK) return s;
  if (y->dtype != RDN_I32 || rdn_tensor_numel(y) != m)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'labels' must be i32 with %zu entries, got %s %s",
                     fn, m, rdn_dtype_name(y->dtype), rdn_tensor_shape_str(y, a, sizeof a));
  return RDN_OK;
}

/* Counts per class; bad labels are RDN_EVALUE "<fn>: labels out of range: ...". */
static rdn_status counts(rdn_ctx *ctx, const char *fn, const rdn_tensor *y, int k, long *out) {
  cl_int e;
  cl_kernel kr;
  rdn_status s;
  size_t m = rdn_tensor_numel(y);
  if (k < 1 || k > 1 << 20)
    return rdn__fail(ctx, RDN_EINVAL, "%s: bad number of classes: %d", fn, k);
  if (m >= (size_t)1 << 31)
    return rdn__fail(ctx, RDN_EINVAL, "%s: too many labels: %zu", fn, m);
  cl_int *c = calloc((size_t)k + 1, sizeof *c);
  if (!c) return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
  c[k] = (cl_int)m;
  cl_mem buf = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
                              ((size_t)k + 1) * sizeof *c, c, &e);
  if (e != CL_SUCCESS) {
    free(c);
    return rdn__cl_fail(ctx, fn, "clCreateBuffer", e);
  }
  cl_ulong off = y->offset, n = m;
  cl_int kk = k;
  if ((s = rdn__kernel(ctx, "redunet", RDN_F32, NULL, "label_counts", &kr)) == RDN_OK &&
      (s = RDN_ARGS(ctx, kr, "label_counts", RDN_TARG(y, off), RDN_ARG(n), RDN_ARG(kk),
                    RDN_ARG(buf))) == RDN_OK) {
    size_t gws = m < 4096 ? m : 4096;
    s = rdn__launch(ctx, kr, "label_counts", 1, &gws, NULL);
  }
  if (s == RDN_OK) {
    e = clEnqueueReadBuffer(ctx->queue, buf, CL_TRUE, 0, ((size_t)k + 1) * sizeof *c, c, 0,
                            NULL, NULL);
    if (e != CL_SUCCESS) s = rdn__cl_fail(ctx, fn, "clEnqueueReadBuffer", e);
  }
  clReleaseMemObject(buf);
  if (s == RDN_OK && (size_t)c[k] < m) {
    cl_int bad = 0;
    size_t es = sizeof bad;
    e = clEnqueueReadBuffer(ctx->queue, y->buf, CL_TRUE, (y->offset + (size_t)c[k]) * es, es,
                            &bad, 0, NULL, NULL);
    s = e != CL_SUCCESS ? rdn__cl_fail(ctx, fn, "clEnqueueReadBuffer", e)
      : rdn__fail(ctx, RDN_EVALUE, "%s: labels out of range: label %d at sample %d, classes "
                  "= %d", fn, (int)bad, (int)c[k], k);
  }
  if (s == RDN_OK)
    for (int j = 0; j < k; j++) out[j] = c[j];
  free(c);
  return s;
}

rdn_status rdn_label_counts(rdn_ctx *ctx, const rdn_tensor *labels, int k, long *out) {
  rdn_status s;
  if ((s = need_tensor(ctx, "rdn_label_counts", "labels", labels)) != RDN_OK) return s;
  if ((s = need_labels(ctx, "rdn_label_counts", labels, rdn_tensor_numel(labels))) != RDN_OK)
    return s;
  if (!out) return rdn__fail(ctx, RDN_EINVAL, "rdn_label_counts: 'counts' is NULL");
  return counts(ctx, "rdn_label_counts", labels, k, out);
}

rdn_status rdn_accuracy(rdn_ctx *ctx, const rdn_tensor *pred, const rdn_tensor *y,
                        double *acc) {
  const char *fn = "rdn_accuracy";
  char a[96], b[96];
  rdn_status s;
  cl_int e, zero = 0;
  cl_kernel k;
  if ((s = need_tensor(ctx, fn, "pred", pred)) != RDN_OK ||
      (s = need_tensor(ctx, fn, "y", y)) != RDN_OK) return s;
  if (pred->dtype != RDN_I32 || y->dtype != RDN_I32 ||
      rdn_tensor_numel(pred) != rdn_tensor_numel(y))
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'pred' and 'y' must be i32 of equal size, got %s %s "
                     "and %s %s", fn, rdn_dtype_name(pred->dtype),
                     rdn_tensor_shape_str(pred, a, sizeof a), rdn_dtype_name(y->dtype),
                     rdn_tensor_shape_str(y, b, sizeof b));
  cl_mem buf = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
                              sizeof zero, &zero, &e);
  if (e != CL_SUCCESS) return rdn__cl_fail(ctx, fn, "clCreateBuffer", e);
  cl_ulong po = pred->offset, yo = y->offset, n = rdn_tensor_numel(y);
  if ((s = rdn__kernel(ctx, "redunet", RDN_F32, NULL, "count_equal", &k)) == RDN_OK &&
      (s = RDN_ARGS(ctx, k, "count_equal", RDN_TARG(pred, po), RDN_TARG(y, yo), RDN_ARG(n),
                    RDN_ARG(buf))) == RDN_OK) {
    size_t gws = 64;
    s = rdn__launch(ctx, k, "count_equal", 1, &gws, NULL);
  }
  if (s == RDN_OK) {
    e = clEnqueueReadBuffer(ctx->queue, buf, CL_TRUE, 0, sizeof zero, &zero, 0, NULL, NULL);
    if (e != CL_SUCCESS) s = rdn__cl_fail(ctx, fn, "clEnqueueReadBuffer", e);
  }
  clReleaseMemObject(buf);
  if (s == RDN_OK && acc) *acc = (double)zero / (double)n;
  return s;
}

/* Checks z (2-D real) and returns m, d. */
static rdn_status need_features(rdn_ctx *ctx, const char *fn, const rdn_tensor *z, size_t *m,
                                size_t *d) {
  char a[96];
  rdn_status s = need_tensor(ctx, fn, "z", z);
  if (s != RDN_OK) return s;
  if (!rdn__is_real(z->dtype) || z->ndim != 2)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'z' must be a 2-D f32/f64 tensor [m, d], got %s %s",
                     fn, rdn_dtype_name(z->dtype), rdn_tensor_shape_str(z, a, sizeof a));
  *m = z->shape[0];
  *d = z->shape[1];
  if (*d > 0xffffffffu) return rdn__fail(ctx, RDN_EINVAL, "%s: d = %zu is too large", fn, *d);
  return RDN_OK;
}

static rdn_status need_params(rdn_ctx *ctx, const char *fn, int k, const double *gamma,
                              double eta, double lambda) {
  if (k < 1 || k > MAXK)
    return rdn__fail(ctx, RDN_EINVAL, "%s: number of classes %d outside [1, %d]", fn, k, MAXK);
  if (!gamma) return rdn__fail(ctx, RDN_EINVAL, "%s: 'gamma' is NULL", fn);
  for (int j = 0; j < k; j++)
    if (!(gamma[j] >= 0 && gamma[j] <= 1))
      return rdn__fail(ctx, RDN_EINVAL, "%s: gamma[%d] = %g outside [0, 1]", fn, j, gamma[j]);
  if (!(eta > 0 && isfinite(eta)))
    return rdn__fail(ctx, RDN_EINVAL, "%s: eta must be positive and finite, got %g", fn, eta);
  if (!(lambda >= 0 && isfinite(lambda)))
    return rdn__fail(ctx, RDN_EINVAL, "%s: lambda must be >= 0 and finite, got %g", fn,
                     lambda);
  return RDN_OK;
}

/* The update kernel on z (rows [m, d]) and p; no argument checks. */
static rdn_status launch_update(rdn_ctx *ctx, rdn_tensor *z, const rdn_tensor *p, int k,
                                cl_mem gam, double eta, double lambda, const rdn_tensor *labels,
                                rdn_tensor *pi) {
  const char *nm = "redunet_update";
  cl_kernel kr;
  rdn_status s;
  rdn_dtype dt = z->dtype;
  if ((s = rdn__kernel(ctx, "redunet", dt, NULL, nm, &kr)) != RDN_OK) return s;
  cl_ulong zo = z->offset, po = p->offset, m = z->shape[0];
  cl_uint d = (cl_uint)z->shape[1], kk = (cl_uint)k;
  cl_int use_lab = labels != NULL, want_pi = pi != NULL;
  /* absent optional tensors: pass z's buffer, never read or written (flags are 0) */
  cl_mem lb = labels ? labels->buf : z->buf, pb = pi ? pi->buf : z->buf;
  cl_ulong lo = labels ? labels->offset : 0, pio = pi ? pi->offset : 0;
  cl_float fe = (cl_float)eta, fl = (cl_float)lambda;
  cl_double de = eta, dl = lambda;
  if (dt == RDN_F64)
    s = RDN_ARGS(ctx, kr, nm, RDN_TARG(z, zo), RDN_TARG(p, po), RDN_ARG(gam), RDN_ARG(m),
                 RDN_ARG(d), RDN_ARG(kk), RDN_ARG(de), RDN_ARG(dl), RDN_ARG(lb), RDN_ARG(lo),
                 RDN_ARG(use_lab), RDN_ARG(pb), RDN_ARG(pio), RDN_ARG(want_pi));
  else
    s = RDN_ARGS(ctx, kr, nm, RDN_TARG(z, zo), RDN_TARG(p, po), RDN_ARG(gam), RDN_ARG(m),
                 RDN_ARG(d), RDN_ARG(kk), RDN_ARG(fe), RDN_ARG(fl), RDN_ARG(lb), RDN_ARG(lo),
                 RDN_ARG(use_lab), RDN_ARG(pb), RDN_ARG(pio), RDN_ARG(want_pi));
  if (s != RDN_OK) return s;
  size_t gws = (size_t)m;
  return rdn__launch(ctx, kr, nm, 1, &gws, NULL);
}

/* gamma as a device buffer of z's dtype. */
static rdn_status gamma_buffer(rdn_ctx *ctx, const char *fn, rdn_dtype dt, int k,
                               const double *gamma, cl_mem *out) {
  double gd[MAXK];
  float gf[MAXK];
  cl_int e;
  for (int j = 0; j < k; j++) {
    gd[j] = gamma[j];
    gf[j] = (float)gamma[j];
  }
  *out = clCreateBuffer(ctx->context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                        (size_t)k * rdn_dtype_size(dt), dt == RDN_F64 ? (void *)gd : (void *)gf,
                        &e);
  if (e != CL_SUCCESS) return rdn__cl_fail(ctx, fn, "clCreateBuffer", e);
  return RDN_OK;
}

/* Checks labels / pi_out for m samples and k classes. */
static rdn_status need_optional(rdn_ctx *ctx, const char *fn, const rdn_tensor *z, int k,
                                const rdn_tensor *labels, const rdn_tensor *pi) {
  char a[96];
  rdn_status s;
  size_t m = z->shape[0];
  if (labels) {
    long cnt[MAXK];
    if ((s = need_labels(ctx, fn, labels, m)) != RDN_OK) return s;
    if ((s = counts(ctx, fn, labels, k, cnt)) != RDN_OK) return s;
  }
  if (pi) {
    if ((s = need_tensor(ctx, fn, "pi_out", pi)) != RDN_OK) return s;
    if (pi->dtype != z->dtype || pi->ndim != 2 || pi->shape[0] != m ||
        pi->shape[1] != (size_t)k)
      return rdn__fail(ctx, RDN_EINVAL, "%s: 'pi_out' must be %s [%zu x %d], got %s %s", fn,
                       rdn_dtype_name(z->dtype), m, k, rdn_dtype_name(pi->dtype),
                       rdn_tensor_shape_str(pi, a, sizeof a));
  }
  return RDN_OK;
}

rdn_status rdn_redunet_update(rdn_ctx *ctx, rdn_tensor *z, const rdn_tensor *p, int k,
                              const double *gamma, double eta, double lambda,
                              const rdn_tensor *labels, rdn_tensor *pi_out) {
  const char *fn = "rdn_redunet_update";
  char a[96], b[96];
  size_t m, d;
  rdn_status s;
  if ((s = need_features(ctx, fn, z, &m, &d)) != RDN_OK) return s;
  if ((s = need_params(ctx, fn, k, gamma, eta, lambda)) != RDN_OK) return s;
  if ((s = need_tensor(ctx, fn, "p", p)) != RDN_OK) return s;
  if (p->dtype != z->dtype || p->ndim != 2 || p->shape[0] != m ||
      p->shape[1] != (size_t)(k + 1) * d)
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: 'p' must be %s [%zu x %zu] for z "
                     "%s and k = %d, got %s %s", fn, rdn_dtype_name(z->dtype), m,
                     (size_t)(k + 1) * d, rdn_tensor_shape_str(z, a, sizeof a), k,
                     rdn_dtype_name(p->dtype), rdn_tensor_shape_str(p, b, sizeof b));
  if ((s = need_optional(ctx, fn, z, k, labels, pi_out)) != RDN_OK) return s;
  cl_mem gam;
  if ((s = gamma_buffer(ctx, fn, z->dtype, k, gamma, &gam)) != RDN_OK) return s;
  s = launch_update(ctx, z, p, k, gam, eta, lambda, labels, pi_out);
  clReleaseMemObject(gam);
  return s;
}

/* Checks w against z: [k+1, d, d] of z's dtype; returns k. */
static rdn_status need_operators(rdn_ctx *ctx, const char *fn, const rdn_tensor *w,
                                 const rdn_tensor *z, int *k) {
  char a[96], b[96];
  rdn_status s = need_tensor(ctx, fn, "w", w);
  if (s != RDN_OK) return s;
  size_t d = z->shape[1];
  if (w->dtype != z->dtype || w->ndim != 3 || w->shape[1] != d || w->shape[2] != d ||
      w->shape[0] < 2 || w->shape[0] > MAXK + 1)
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: 'w' must be %s [k+1 x %zu x %zu] "
                     "(2 <= k+1 <= %d) for z %s, got %s %s", fn, rdn_dtype_name(z->dtype), d,
                     d, MAXK + 1, rdn_tensor_shape_str(z, a, sizeof a),
                     rdn_dtype_name(w->dtype), rdn_tensor_shape_str(w, b, sizeof b));
  *k = (int)w->shape[0] - 1;
  return RDN_OK;
}

rdn_status rdn_redunet_layer(rdn_ctx *ctx, rdn_tensor *z, const rdn_tensor *w,
                             const double *gamma, double eta, double lambda,
                             const rdn_tensor *labels, rdn_tensor *pi_out) {
  const char *fn = "rdn_redunet_layer";
  size_t m, d;
  int k = 0;
  rdn_status s;
  if ((s = need_features(ctx, fn, z, &m, &d)) != RDN_OK) return s;
  if ((s = need_operators(ctx, fn, w, z, &k)) != RDN_OK) return s;
  if ((s = need_params(ctx, fn, k, gamma, eta, lambda)) != RDN_OK) return s;
  if ((s = need_optional(ctx, fn, z, k, labels, pi_out)) != RDN_OK) return s;
  size_t cols = (size_t)(k + 1) * d, chunk = CHUNK_ELEMS / cols;
  if (chunk < 1) chunk = 1;
  if (chunk > m) chunk = m;
  size_t pshape[2] = { chunk, cols }, wshape[2] = { cols, d };
  rdn_tensor *p = NULL, *wf = NULL, *zc = NULL, *pc = NULL, *lc = NULL, *ic = NULL;
  cl_mem gam = NULL;
  if ((s = rdn_tensor_new(ctx, &p, z->dtype, 2, pshape)) != RDN_OK) return s;
  if ((s = rdn_tensor_reshape(&wf, (rdn_tensor *)w, 2, wshape)) != RDN_OK) goto done;
  if ((s = gamma_buffer(ctx, fn, z->dtype, k, gamma, &gam)) != RDN_OK) goto done;
  for (size_t r = 0; r < m && s == RDN_OK; r += chunk) {
    size_t n = m - r < chunk ? m - r : chunk;
    if ((s = rdn_tensor_rows(&zc, z, r, n)) != RDN_OK) break;
    if ((s = rdn_tensor_rows(&pc, p, 0, n)) != RDN_OK) break;
    if (labels && (s = rdn_tensor_rows(&lc, (rdn_tensor *)labels, r, n)) != RDN_OK) break;
    if (pi_out && (s = rdn_tensor_rows(&ic, pi_out, r, n)) != RDN_OK) break;
    if ((s = rdn_gemm(ctx, RDN_NOTRANS, RDN_TRANS, 1.0, zc, wf, 0.0, pc)) == RDN_OK)
      s = launch_update(ctx, zc, pc, k, gam, eta, lambda, lc, ic);
    rdn_tensor_release(zc);
    rdn_tensor_release(pc);
    rdn_tensor_release(lc);
    rdn_tensor_release(ic);
    zc = pc = lc = ic = NULL;
  }
done:
  if (gam) clReleaseMemObject(gam);
  rdn_tensor_release(wf);
  rdn_tensor_release(p);
  return s;
}

rdn_status rdn_redunet_operators(rdn_ctx *ctx, rdn_tensor *w, double *gamma, double *rates,
                                 const rdn_tensor *z, const rdn_tensor *labels, int k,
                                 double eps_sq) {
  (void)w; (void)gamma; (void)rates; (void)z; (void)labels; (void)k; (void)eps_sq;
  return rdn__fail(ctx, RDN_EUNSUPPORTED, "rdn_redunet_operators: not yet available");
}
