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
  return rdn__layer_params(ctx, fn, k, gamma, eta, lambda);
}

rdn_status rdn__layer_params(rdn_ctx *ctx, const char *fn, int k, const double *gamma,
                             double eta, double lambda) {
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

/* w[b] = alpha[b] w[b] + diag I over the [nmat, n, n] tensor w (alpha[b] = 0 ignores
** w's old contents, even NaN: an identity from uninitialised memory). */
static rdn_status scale_shift(rdn_ctx *ctx, const char *fn, rdn_tensor *w, const double *alpha,
                              double diag) {
  cl_kernel kr;
  rdn_status s;
  cl_mem ab = NULL;
  cl_ulong wo = w->offset, nmat = w->shape[0], n = w->shape[1];
  if ((s = gamma_buffer(ctx, fn, w->dtype, (int)nmat, alpha, &ab)) != RDN_OK) return s;
  cl_float fd = (cl_float)diag;
  cl_double dd = diag;
  if ((s = rdn__kernel(ctx, "redunet", w->dtype, NULL, "scale_shift", &kr)) == RDN_OK) {
    if (w->dtype == RDN_F64)
      s = RDN_ARGS(ctx, kr, "scale_shift", RDN_TARG(w, wo), RDN_ARG(nmat), RDN_ARG(n),
                   RDN_ARG(ab), RDN_ARG(dd));
    else
      s = RDN_ARGS(ctx, kr, "scale_shift", RDN_TARG(w, wo), RDN_ARG(nmat), RDN_ARG(n),
                   RDN_ARG(ab), RDN_ARG(fd));
  }
  if (s == RDN_OK) {
    size_t gws = (size_t)(nmat * n * n);
    s = rdn__launch(ctx, kr, "scale_shift", 1, &gws, NULL);
  }
  clReleaseMemObject(ab);
  return s;
}

/* ------------------------------------------------- SPD inverse by blocks */

/* t (new [nb, r, c]) = the block at (r0, c0) of a [nb, n, n]. */
static rdn_status block_get(rdn_ctx *ctx, rdn_tensor **t, const rdn_tensor *a, size_t r0,
                            size_t c0, size_t r, size_t c) {
  cl_kernel kr;
  rdn_status s;
  size_t sh[3] = { a->shape[0], r, c };
  if ((s = rdn_tensor_new(ctx, t, a->dtype, 3, sh)) != RDN_OK) return s;
  cl_ulong to = (*t)->offset, ao = a->offset, nb = sh[0], n = a->shape[1], R0 = r0, C0 = c0;
  cl_ulong rr = r, cc = c;
  if ((s = rdn__kernel(ctx, "redunet", a->dtype, NULL, "block_get", &kr)) != RDN_OK ||
      (s = RDN_ARGS(ctx, kr, "block_get", RDN_TARG(*t, to), RDN_TARG(a, ao), RDN_ARG(nb),
                    RDN_ARG(n), RDN_ARG(R0), RDN_ARG(C0), RDN_ARG(rr), RDN_ARG(cc))) != RDN_OK)
    return s;
  size_t gws = sh[0] * r * c;
  return rdn__launch(ctx, kr, "block_get", 1, &gws, NULL);
}

/* a[:, r0.., c0..] = t ([nb, r, c]) or its transpose. */
static rdn_status block_put(rdn_ctx *ctx, rdn_tensor *a, const rdn_tensor *t, size_t r0,
                            size_t c0, int trans) {
  cl_kernel kr;
  rdn_status s;
  cl_ulong ao = a->offset, to = t->offset, nb = t->shape[0], n = a->shape[1], R0 = r0, C0 = c0;
  cl_ulong rr = t->shape[1], cc = t->shape[2];
  cl_int tr = trans;
  if ((s = rdn__kernel(ctx, "redunet", a->dtype, NULL, "block_put", &kr)) != RDN_OK ||
      (s = RDN_ARGS(ctx, kr, "block_put", RDN_TARG(a, ao), RDN_TARG(t, to), RDN_ARG(nb),
                    RDN_ARG(n), RDN_ARG(R0), RDN_ARG(C0), RDN_ARG(rr), RDN_ARG(cc),
                    RDN_ARG(tr))) != RDN_OK)
    return s;
  size_t gws = (size_t)(nb * rr * cc);
  return rdn__launch(ctx, kr, "block_put", 1, &gws, NULL);
}

/* In place l[b] <- l[b]^-1 for a batch of lower-triangular l [nb, n, n] (upper part
** zero), by blocks so the work is batched GEMMs: X11 = L11^-1, X22 = L22^-1,
** X21 = -X22 L21 X11; blocks of n <= 64 in one launch, a matrix per work-item. */
static rdn_status tri_inverse(rdn_ctx *ctx, rdn_tensor *l) {
  size_t nb = l->shape[0], n = l->shape[1];
  rdn_status s;
  if (n <= 64) {
    cl_kernel kr;
    cl_ulong lo = l->offset, bb = nb;
    cl_uint nn = (cl_uint)n;
    if ((s = rdn__kernel(ctx, "redunet", l->dtype, NULL, "tri_inv_small", &kr)) != RDN_OK ||
        (s = RDN_ARGS(ctx, kr, "tri_inv_small", RDN_TARG(l, lo), RDN_ARG(bb), RDN_ARG(nn))) !=
        RDN_OK) return s;
    return rdn__launch(ctx, kr, "tri_inv_small", 1, &nb, NULL);
  }
  size_t n1 = (n / 2 + 7) / 8 * 8, n2 = n - n1, ts[3] = { nb, n2, n1 };
  rdn_tensor *x11 = NULL, *x22 = NULL, *l21 = NULL, *t = NULL;
  if ((s = block_get(ctx, &x11, l, 0, 0, n1, n1)) == RDN_OK &&
      (s = block_get(ctx, &x22, l, n1, n1, n2, n2)) == RDN_OK &&
      (s = block_get(ctx, &l21, l, n1, 0, n2, n1)) == RDN_OK &&
      (s = tri_inverse(ctx, x11)) == RDN_OK && (s = tri_inverse(ctx, x22)) == RDN_OK &&
      (s = rdn_tensor_new(ctx, &t, l->dtype, 3, ts)) == RDN_OK &&
      (s = rdn_gemm(ctx, RDN_NOTRANS, RDN_NOTRANS, 1.0, l21, x11, 0.0, t)) == RDN_OK &&
      (s = rdn_gemm(ctx, RDN_NOTRANS, RDN_NOTRANS, -1.0, x22, t, 0.0, l21)) == RDN_OK &&
      (s = block_put(ctx, l, x11, 0, 0, 0)) == RDN_OK &&
      (s = block_put(ctx, l, l21, n1, 0, 0)) == RDN_OK)
    s = block_put(ctx, l, x22, n1, n1, 0);
  rdn_tensor_release(x11);
  rdn_tensor_release(x22);
  rdn_tensor_release(l21);
  rdn_tensor_release(t);
  return s;
}

rdn_status rdn_redunet_operators(rdn_ctx *ctx, rdn_tensor *w, double *gamma, double *rates,
                                 const rdn_tensor *z, const rdn_tensor *labels, int k,
                                 double eps_sq) {
  const char *fn = "rdn_redunet_operators";
  size_t m, d;
  int kw = 0;
  long cnt[MAXK];
  double al[MAXK + 1], ld[MAXK + 1];
  rdn_status s;
  if ((s = need_features(ctx, fn, z, &m, &d)) != RDN_OK) return s;
  if (w) {
    if ((s = need_operators(ctx, fn, w, z, &kw)) != RDN_OK) return s;
    if (kw != k)
      return rdn__fail(ctx, RDN_EINVAL, "%s: 'w' holds %d class operators, k = %d", fn, kw, k);
    if (!gamma) return rdn__fail(ctx, RDN_EINVAL, "%s: 'gamma' is NULL", fn);
  } else if (!rates) {
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'w' and 'rates' are both NULL", fn);
  } else if (k < 1 || k > MAXK) {
    return rdn__fail(ctx, RDN_EINVAL, "%s: number of classes %d outside [1, %d]", fn, k, MAXK);
  }
  if (!(eps_sq > 0 && isfinite(eps_sq)))
    return rdn__fail(ctx, RDN_EINVAL, "%s: eps_sq must be positive and finite, got %g", fn,
                     eps_sq);
  if ((s = need_labels(ctx, fn, labels, m)) != RDN_OK) return s;
  if ((s = counts(ctx, fn, labels, k, cnt)) != RDN_OK) return s;
  for (int j = 0; j < k; j++)
    if (cnt[j] < 1)
      return rdn__fail(ctx, RDN_EVALUE, "%s: class %d has no samples (m = %zu, k = %d)", fn, j,
                       m, k);
  /* unscaled class Grams into w[1..k]; A_0 = I + a sum_j G_j; A_j = I + a_j G_j */
  rdn_tensor *wc = NULL, *w0 = NULL, *tmp = NULL, *own = NULL, *x = NULL;
  size_t ws[3] = { (size_t)k + 1, d, d };
  if (!w && (s = rdn_tensor_new(ctx, &own, z->dtype, 3, ws)) != RDN_OK) return s;
  rdn_tensor *a = w ? w : own;
  if ((s = rdn_tensor_rows(&wc, a, 1, (size_t)k)) != RDN_OK) goto done;
  size_t dd[2] = { ((size_t)k + 1) * d, d }, sq[2] = { d, d };
  if ((s = rdn_tensor_reshape(&w0, a, 2, dd)) == RDN_OK) {  /* E's slot as a [d, d] view */
    rdn_tensor *v = w0;
    s = rdn_tensor_rows(&w0, v, 0, d);
    rdn_tensor_release(v);
  }
  if (s != RDN_OK) goto done;
  al[0] = (double)d / ((double)m * eps_sq);
  for (int j = 0; j < k; j++) {
    al[j + 1] = (double)d / ((double)cnt[j] * eps_sq);
    if (gamma) gamma[j] = (double)cnt[j] / (double)m;
  }
  /* rdn_gram_sum refuses a destination in the same buffer: go through a [d, d] temp */
  if ((s = rdn_tensor_new(ctx, &tmp, z->dtype, 2, sq)) != RDN_OK) goto done;
  if ((s = rdn_gram_classes(ctx, wc, z, labels, k, NULL, 0.0)) != RDN_OK ||
      (s = rdn_gram_sum(ctx, tmp, wc, al[0], 1.0)) != RDN_OK ||
      (s = rdn_tensor_copy(w0, tmp)) != RDN_OK ||
      (s = scale_shift(ctx, fn, wc, al + 1, 1.0)) != RDN_OK) goto done;
  /* Cholesky (backward stable) and log-dets; then A^-1 = L^-T L^-1 with L^-1 by blocks
  ** and one batched Gram X^T X (on CPU devices faster than potri through triangular
  ** solves against I), then the scales a, a_j */
  if ((s = rdn_cholesky(ctx, a)) != RDN_OK ||
      (s = rdn_chol_logdet(ctx, ld, (size_t)k + 1, a)) != RDN_OK) goto done;
  if (w && ((s = rdn_tensor_new(ctx, &x, z->dtype, 3, ws)) != RDN_OK ||
            (s = rdn_tensor_copy(x, w)) != RDN_OK || (s = tri_inverse(ctx, x)) != RDN_OK ||
            (s = rdn_gram(ctx, w, x, RDN_GRAM_COLS, 1.0, 0.0)) != RDN_OK ||
            (s = scale_shift(ctx, fn, w, al, 0.0)) != RDN_OK)) goto done;
  if (rates) {
    double rc = 0;
    for (int j = 0; j < k; j++) rc += (double)cnt[j] / (2.0 * (double)m) * ld[j + 1];
    rates[0] = 0.5 * ld[0];
    rates[1] = rc;
    rates[2] = rates[0] - rc;
  }
done:
  rdn_tensor_release(own);
  rdn_tensor_release(x);
  rdn_tensor_release(tmp);
  rdn_tensor_release(wc);
  rdn_tensor_release(w0);
  return s;
}

/* ------------------------------------------------------------ evaluation */

rdn_status rdn_label_sort(rdn_ctx *ctx, rdn_tensor *perm, const rdn_tensor *labels, int k,
                          long *cnt) {
  const char *fn = "rdn_label_sort";
  char a[96];
  rdn_status s;
  cl_int e;
  cl_kernel kr;
  if ((s = need_tensor(ctx, fn, "labels", labels)) != RDN_OK) return s;
  size_t m = rdn_tensor_numel(labels);
  if ((s = need_labels(ctx, fn, labels, m)) != RDN_OK) return s;
  if ((s = need_tensor(ctx, fn, "perm", perm)) != RDN_OK) return s;
  if (perm->dtype != RDN_I32 || rdn_tensor_numel(perm) != m)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'perm' must be i32 with %zu entries, got %s %s", fn,
                     m, rdn_dtype_name(perm->dtype), rdn_tensor_shape_str(perm, a, sizeof a));
  if (!cnt) return rdn__fail(ctx, RDN_EINVAL, "%s: 'counts' is NULL", fn);
  if ((s = counts(ctx, fn, labels, k, cnt)) != RDN_OK) return s;
  cl_int *off = malloc((size_t)k * sizeof *off);
  if (!off) return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
  for (int j = 0, o = 0; j < k; j++) {
    off[j] = o;
    o += (int)cnt[j];
  }
  cl_mem ob = clCreateBuffer(ctx->context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                             (size_t)k * sizeof *off, off, &e);
  free(off);
  if (e != CL_SUCCESS) return rdn__cl_fail(ctx, fn, "clCreateBuffer", e);
  cl_ulong yo = labels->offset, po = perm->offset, mm = m;
  cl_int kk = k;
  if ((s = rdn__kernel(ctx, "redunet", RDN_F32, NULL, "label_sort", &kr)) == RDN_OK &&
      (s = RDN_ARGS(ctx, kr, "label_sort", RDN_TARG(labels, yo), RDN_ARG(mm), RDN_ARG(kk),
                    RDN_ARG(ob), RDN_TARG(perm, po))) == RDN_OK) {
    size_t gws = (size_t)k;
    s = rdn__launch(ctx, kr, "label_sort", 1, &gws, NULL);
  }
  clReleaseMemObject(ob);
  return s;
}

rdn_status rdn_orthonormalize(rdn_ctx *ctx, rdn_tensor *y) {
  const char *fn = "rdn_orthonormalize";
  char a[96];
  rdn_status s;
  cl_kernel kr;
  if ((s = need_tensor(ctx, fn, "y", y)) != RDN_OK) return s;
  if (!rdn__is_real(y->dtype) || y->ndim < 2 || y->ndim > 3)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'y' must be a 2-D or 3-D f32/f64 tensor, got %s %s",
                     fn, rdn_dtype_name(y->dtype), rdn_tensor_shape_str(y, a, sizeof a));
  cl_ulong yo = y->offset, batch = y->ndim == 3 ? y->shape[0] : 1;
  cl_uint n = (cl_uint)rdn_tensor_dim(y, -2), d = (cl_uint)rdn_tensor_dim(y, -1);
  if (n > d)
    return rdn__fail(ctx, RDN_EINVAL, "%s: %u rows cannot be orthonormal in dimension %u", fn,
                     n, d);
  if ((s = rdn__kernel(ctx, "redunet", y->dtype, NULL, "orthonormalize", &kr)) != RDN_OK ||
      (s = RDN_ARGS(ctx, kr, "orthonormalize", RDN_TARG(y, yo), RDN_ARG(batch), RDN_ARG(n),
                    RDN_ARG(d))) != RDN_OK) return s;
  size_t gws = (size_t)batch;
  return rdn__launch(ctx, kr, "orthonormalize", 1, &gws, NULL);
}

static rdn_status need_pred(rdn_ctx *ctx, const char *fn, const rdn_tensor *pred, size_t m) {
  char a[96];
  rdn_status s = need_tensor(ctx, fn, "pred", pred);
  if (s != RDN_OK) return s;
  if (pred->dtype != RDN_I32 || rdn_tensor_numel(pred) != m)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'pred' must be i32 with %zu entries, got %s %s", fn,
                     m, rdn_dtype_name(pred->dtype), rdn_tensor_shape_str(pred, a, sizeof a));
  return RDN_OK;
}

rdn_status rdn_nearsub_predict(rdn_ctx *ctx, rdn_tensor *pred, const rdn_tensor *z,
                               const rdn_tensor *u) {
  const char *fn = "rdn_nearsub_predict";
  char a[96], b[96];
  size_t m, d;
  rdn_status s;
  cl_kernel kr;
  if ((s = need_features(ctx, fn, z, &m, &d)) != RDN_OK) return s;
  if ((s = need_pred(ctx, fn, pred, m)) != RDN_OK) return s;
  if ((s = need_tensor(ctx, fn, "u", u)) != RDN_OK) return s;
  if (u->dtype != z->dtype || u->ndim != 3 || u->shape[2] != d)
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: 'u' must be %s [k x n x %zu] for z "
                     "%s, got %s %s", fn, rdn_dtype_name(z->dtype), d,
                     rdn_tensor_shape_str(z, a, sizeof a), rdn_dtype_name(u->dtype),
                     rdn_tensor_shape_str(u, b, sizeof b));
  size_t k = u->shape[0], n = u->shape[1], ps[3] = { k, m, n };
  rdn_tensor *proj = NULL, *zn = NULL;
  if ((s = rdn_tensor_new(ctx, &proj, z->dtype, 3, ps)) != RDN_OK) return s;
  if ((s = rdn_tensor_new(ctx, &zn, z->dtype, 1, &m)) != RDN_OK) goto done;
  if ((s = rdn_gemm(ctx, RDN_NOTRANS, RDN_TRANS, 1.0, z, u, 0.0, proj)) != RDN_OK ||
      (s = rdn_row_norms(ctx, zn, z)) != RDN_OK) goto done;
  cl_ulong po = proj->offset, zo = zn->offset, dof = pred->offset, mm = m;
  cl_uint kk = (cl_uint)k, nn = (cl_uint)n;
  if ((s = rdn__kernel(ctx, "redunet", z->dtype, NULL, "nearsub_pick", &kr)) == RDN_OK &&
      (s = RDN_ARGS(ctx, kr, "nearsub_pick", RDN_TARG(proj, po), RDN_TARG(zn, zo), RDN_ARG(mm),
                    RDN_ARG(kk), RDN_ARG(nn), RDN_TARG(pred, dof))) == RDN_OK)
    s = rdn__launch(ctx, kr, "nearsub_pick", 1, &m, NULL);
done:
  rdn_tensor_release(proj);
  rdn_tensor_release(zn);
  return s;
}

rdn_status rdn_knn_predict(rdn_ctx *ctx, rdn_tensor *pred, const rdn_tensor *z,
                           const rdn_tensor *ztr, const rdn_tensor *ytr, int kn) {
  const char *fn = "rdn_knn_predict";
  char a[96], b[96];
  size_t m, d, mtr, dtr;
  rdn_status s;
  cl_kernel kr;
  if ((s = need_features(ctx, fn, z, &m, &d)) != RDN_OK) return s;
  if ((s = need_pred(ctx, fn, pred, m)) != RDN_OK) return s;
  if ((s = need_features(ctx, fn, ztr, &mtr, &dtr)) != RDN_OK) return s;
  if (dtr != d || ztr->dtype != z->dtype)
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: z is %s %s, ztr is %s %s", fn,
                     rdn_dtype_name(z->dtype), rdn_tensor_shape_str(z, a, sizeof a),
                     rdn_dtype_name(ztr->dtype), rdn_tensor_shape_str(ztr, b, sizeof b));
  if ((s = need_labels(ctx, fn, ytr, mtr)) != RDN_OK) return s;
  if (kn < 1 || kn > 64 || (size_t)kn > mtr)
    return rdn__fail(ctx, RDN_EINVAL, "%s: k = %d outside [1, min(64, %zu)]", fn, kn, mtr);
  size_t chunk = CHUNK_ELEMS / mtr;
  if (chunk < 1) chunk = 1;
  if (chunk > m) chunk = m;
  size_t ss[2] = { chunk, mtr };
  rdn_tensor *sim = NULL, *zc = NULL, *sc = NULL, *pc = NULL;
  if ((s = rdn_tensor_new(ctx, &sim, z->dtype, 2, ss)) != RDN_OK) return s;
  if ((s = rdn__kernel(ctx, "redunet", z->dtype, NULL, "knn_vote", &kr)) != RDN_OK) goto done;
  for (size_t r = 0; r < m && s == RDN_OK; r += chunk) {
    size_t n = m - r < chunk ? m - r : chunk;
    if ((s = rdn_tensor_rows(&zc, (rdn_tensor *)z, r, n)) == RDN_OK &&
        (s = rdn_tensor_rows(&sc, sim, 0, n)) == RDN_OK &&
        (s = rdn_tensor_rows(&pc, pred, r, n)) == RDN_OK &&
        (s = rdn_gemm(ctx, RDN_NOTRANS, RDN_TRANS, 1.0, zc, ztr, 0.0, sc)) == RDN_OK) {
      cl_ulong so = sc->offset, yo = ytr->offset, po = pc->offset, nn = n, mt = mtr;
      cl_uint kk = (cl_uint)kn;
      if ((s = RDN_ARGS(ctx, kr, "knn_vote", RDN_TARG(sc, so), RDN_ARG(nn), RDN_ARG(mt),
                        RDN_ARG(kk), RDN_TARG(ytr, yo), RDN_TARG(pc, po))) == RDN_OK)
        s = rdn__launch(ctx, kr, "knn_vote", 1, &n, NULL);
    }
    rdn_tensor_release(zc);
    rdn_tensor_release(sc);
    rdn_tensor_release(pc);
    zc = sc = pc = NULL;
  }
done:
  rdn_tensor_release(sim);
  return s;
}

rdn_status rdn_onehot(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *labels, double on,
                      double off) {
  const char *fn = "rdn_onehot";
  char a[96];
  rdn_status s;
  cl_kernel kr;
  if ((s = need_tensor(ctx, fn, "out", out)) != RDN_OK) return s;
  if (!rdn__is_real(out->dtype) || out->ndim != 2)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'out' must be a 2-D f32/f64 tensor [m, k], got %s "
                     "%s", fn, rdn_dtype_name(out->dtype), rdn_tensor_shape_str(out, a, sizeof a));
  size_t m = out->shape[0];
  if ((s = need_labels(ctx, fn, labels, m)) != RDN_OK) return s;
  cl_ulong oo = out->offset, yo = labels->offset, mm = m;
  cl_uint k = (cl_uint)out->shape[1];
  cl_float fon = (cl_float)on, foff = (cl_float)off;
  cl_double don = on, doff = off;
  if ((s = rdn__kernel(ctx, "redunet", out->dtype, NULL, "onehot", &kr)) != RDN_OK) return s;
  if (out->dtype == RDN_F64)
    s = RDN_ARGS(ctx, kr, "onehot", RDN_TARG(out, oo), RDN_TARG(labels, yo), RDN_ARG(mm),
                 RDN_ARG(k), RDN_ARG(don), RDN_ARG(doff));
  else
    s = RDN_ARGS(ctx, kr, "onehot", RDN_TARG(out, oo), RDN_TARG(labels, yo), RDN_ARG(mm),
                 RDN_ARG(k), RDN_ARG(fon), RDN_ARG(foff));
  if (s != RDN_OK) return s;
  size_t gws = m * k;
  return rdn__launch(ctx, kr, "onehot", 1, &gws, NULL);
}

/* *t = a new [r, c] tensor of dtype dt, every element v. */
static rdn_status filled(rdn_ctx *ctx, rdn_tensor **t, rdn_dtype dt, size_t r, size_t c,
                         double v) {
  size_t sh[2] = { r, c };
  rdn_status s = rdn_tensor_new(ctx, t, dt, 2, sh);
  return s == RDN_OK ? rdn_tensor_fill(*t, v) : s;
}

rdn_status rdn_ridge_predict(rdn_ctx *ctx, rdn_tensor *pred, const rdn_tensor *ztr,
                             const rdn_tensor *ytr, const rdn_tensor *zte, int k,
                             double alpha) {
  const char *fn = "rdn_ridge_predict";
  char a[96], b[96];
  size_t m, d, mt, dt2;
  long cnt[MAXK];
  rdn_status s;
  if ((s = need_features(ctx, fn, ztr, &m, &d)) != RDN_OK ||
      (s = need_features(ctx, fn, zte, &mt, &dt2)) != RDN_OK) return s;
  if (dt2 != d || zte->dtype != ztr->dtype)
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: ztr is %s %s, zte is %s %s", fn,
                     rdn_dtype_name(ztr->dtype), rdn_tensor_shape_str(ztr, a, sizeof a),
                     rdn_dtype_name(zte->dtype), rdn_tensor_shape_str(zte, b, sizeof b));
  if ((s = need_pred(ctx, fn, pred, mt)) != RDN_OK) return s;
  if ((s = need_labels(ctx, fn, ytr, m)) != RDN_OK) return s;
  if (k < 1 || k > MAXK)
    return rdn__fail(ctx, RDN_EINVAL, "%s: number of classes %d outside [1, %d]", fn, k, MAXK);
  if ((s = counts(ctx, fn, ytr, k, cnt)) != RDN_OK) return s;
  if (!(alpha >= 0 && isfinite(alpha)))
    return rdn__fail(ctx, RDN_EINVAL, "%s: alpha must be >= 0 and finite, got %g", fn, alpha);
  rdn_dtype t = ztr->dtype;
  size_t xs[2] = { m, d }, ts[2] = { m, (size_t)k }, gs[2] = { d, d }, ws[2] = { d, (size_t)k };
  size_t ss[2] = { mt, (size_t)k };
  rdn_tensor *x = NULL, *tg = NULL, *row = NULL, *col = NULL, *colt = NULL, *mu = NULL;
  rdn_tensor *tmu = NULL, *g = NULL, *w = NULL, *sc = NULL;
  /* centred features and +-1 targets: the intercept is not penalised (scikit-learn) */
  if ((s = rdn_tensor_new(ctx, &x, t, 2, xs)) != RDN_OK ||
      (s = rdn_tensor_copy(x, ztr)) != RDN_OK ||
      (s = rdn_tensor_new(ctx, &tg, t, 2, ts)) != RDN_OK ||
      (s = rdn_onehot(ctx, tg, ytr, 1.0, -1.0)) != RDN_OK ||
      (s = filled(ctx, &row, t, 1, m, 1.0 / (double)m)) != RDN_OK ||
      (s = filled(ctx, &col, t, m, 1, 1.0)) != RDN_OK ||
      (s = filled(ctx, &colt, t, mt, 1, 1.0)) != RDN_OK ||
      (s = filled(ctx, &mu, t, 1, d, 0.0)) != RDN_OK ||
      (s = filled(ctx, &tmu, t, 1, (size_t)k, 0.0)) != RDN_OK ||
      (s = rdn_gemm(ctx, RDN_NOTRANS, RDN_NOTRANS, 1.0, row, x, 0.0, mu)) != RDN_OK ||
      (s = rdn_gemm(ctx, RDN_NOTRANS, RDN_NOTRANS, 1.0, row, tg, 0.0, tmu)) != RDN_OK ||
      (s = rdn_gemm(ctx, RDN_NOTRANS, RDN_NOTRANS, -1.0, col, mu, 1.0, x)) != RDN_OK ||
      (s = rdn_gemm(ctx, RDN_NOTRANS, RDN_NOTRANS, -1.0, col, tmu, 1.0, tg)) != RDN_OK)
    goto done;
  /* W = (XcᵀXc + alpha I)^-1 XcᵀTc, bias = mean(T) - mean(X) W, scores = zte W + bias */
  if ((s = rdn_tensor_new(ctx, &g, t, 2, gs)) != RDN_OK ||
      (s = rdn_gram(ctx, g, x, RDN_GRAM_COLS, 1.0, alpha)) != RDN_OK ||
      (s = rdn_tensor_new(ctx, &w, t, 2, ws)) != RDN_OK ||
      (s = rdn_gemm(ctx, RDN_TRANS, RDN_NOTRANS, 1.0, x, tg, 0.0, w)) != RDN_OK ||
      (s = rdn_cholesky(ctx, g)) != RDN_OK ||
      (s = rdn_chol_solve(ctx, w, g)) != RDN_OK ||
      (s = rdn_gemm(ctx, RDN_NOTRANS, RDN_NOTRANS, -1.0, mu, w, 1.0, tmu)) != RDN_OK ||
      (s = rdn_tensor_new(ctx, &sc, t, 2, ss)) != RDN_OK ||
      (s = rdn_gemm(ctx, RDN_NOTRANS, RDN_NOTRANS, 1.0, zte, w, 0.0, sc)) != RDN_OK ||
      (s = rdn_gemm(ctx, RDN_NOTRANS, RDN_NOTRANS, 1.0, colt, tmu, 1.0, sc)) != RDN_OK)
    goto done;
  s = rdn_argmax_rows(ctx, pred, sc);
done:
  rdn_tensor_release(x);
  rdn_tensor_release(tg);
  rdn_tensor_release(row);
  rdn_tensor_release(col);
  rdn_tensor_release(colt);
  rdn_tensor_release(mu);
  rdn_tensor_release(tmu);
  rdn_tensor_release(g);
  rdn_tensor_release(w);
  rdn_tensor_release(sc);
  return s;
}

/* ------------------------------------------------------------ datasets */

int rdn_waves_classes(int mode) {
  switch (mode) {
    case 1: case 5: case 7: case 8: return 2;
    case 2: case 9: return 3;
    case 3: return 4;
  }
  return 0;
}

rdn_status rdn_waves(rdn_ctx *ctx, rdn_tensor *x, int mode, size_t n, uint64_t seed) {
  const char *fn = "rdn_waves";
  char a[96];
  rdn_status s;
  cl_kernel kr;
  int k = rdn_waves_classes(mode);
  if (!k) return rdn__fail(ctx, RDN_EINVAL, "%s: unknown mode %d (1, 2, 3, 5, 7, 8, 9)", fn, mode);
  if ((s = need_tensor(ctx, fn, "x", x)) != RDN_OK) return s;
  if (!rdn__is_real(x->dtype) || x->ndim < 2 || n == 0 || x->shape[0] != (size_t)k * n)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'x' must be f32/f64 [%d * n, ..., T] for mode %d and "
                     "n = %zu, got %s %s", fn, k, mode, n, rdn_dtype_name(x->dtype),
                     rdn_tensor_shape_str(x, a, sizeof a));
  cl_ulong xo = x->offset, m = x->shape[0], sd = seed;
  cl_uint t = (cl_uint)(rdn_tensor_numel(x) / m), nn = (cl_uint)n;
  cl_int md = mode;
  if ((s = rdn__kernel(ctx, "redunet", x->dtype, NULL, "waves", &kr)) != RDN_OK ||
      (s = RDN_ARGS(ctx, kr, "waves", RDN_TARG(x, xo), RDN_ARG(m), RDN_ARG(t), RDN_ARG(nn),
                    RDN_ARG(md), RDN_ARG(sd))) != RDN_OK) return s;
  size_t gws = rdn_tensor_numel(x);
  return rdn__launch(ctx, kr, "waves", 1, &gws, NULL);
}
