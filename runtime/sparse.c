/*
** sparse.c -- sparse coding on the device (SPEC §2.5, §5.3; kernels/sparse.cl): the fused
** proximal-gradient step, ISTA / FISTA over a frame (Gram or direct form, L = ||B||^2 by
** power iteration), the lasso objective, group soft-thresholding of dictionary blocks and
** pooling over unit groups (structure learning).
*/
#include "rdn_impl.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static rdn_status same_dtype(rdn_ctx *ctx, const char *fn, const char *a, const rdn_tensor *x,
                             const char *b, const rdn_tensor *y) {
  if (x->dtype != y->dtype)
    return rdn__fail(ctx, RDN_EINVAL, "%s: dtype mismatch: '%s' is %s, '%s' is %s", fn, a,
                     rdn_dtype_name(x->dtype), b, rdn_dtype_name(y->dtype));
  return RDN_OK;
}

static rdn_status real_arg(rdn_ctx *ctx, const char *fn, const char *arg, const rdn_tensor *t) {
  rdn_status s = rdn__tensor_arg(ctx, fn, arg, t);
  if (s != RDN_OK) return s;
  if (!rdn__is_real(t->dtype))
    return rdn__fail(ctx, RDN_EINVAL, "%s: '%s' is %s, want f32 or f64", fn, arg,
                     rdn_dtype_name(t->dtype));
  return RDN_OK;
}

/* The threshold: a scalar lambda (finite, >= 0) or a vector lambdas [k] of w's dtype whose
** entries are checked on the device. */
static rdn_status check_lambda(rdn_ctx *ctx, const char *fn, double lambda,
                               const rdn_tensor *lambdas, size_t k, rdn_dtype dt) {
  char sh[96];
  rdn_status s;
  if (!lambdas) {
    if (!(lambda >= 0) || !isfinite(lambda))
      return rdn__fail(ctx, RDN_EINVAL, "%s: lambda must be finite and >= 0, got %g", fn, lambda);
    return RDN_OK;
  }
  if ((s = rdn__tensor_arg(ctx, fn, "lambdas", lambdas)) != RDN_OK) return s;
  if (lambdas->dtype != dt || rdn_tensor_numel(lambdas) != k)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'lambdas' must be %s with %zu entries (one per atom), "
                     "got %s %s", fn, rdn_dtype_name(dt), k, rdn_dtype_name(lambdas->dtype),
                     rdn_tensor_shape_str(lambdas, sh, sizeof sh));
  cl_kernel kc;
  cl_mem flag;
  cl_uint bad;
  cl_ulong lo = lambdas->offset, n = k;
  if ((s = rdn__flag_reset(ctx, fn, &flag)) != RDN_OK ||
      (s = rdn__kernel(ctx, "sparse", dt, NULL, "lam_check", &kc)) != RDN_OK ||
      (s = RDN_ARGS(ctx, kc, "lam_check", RDN_TARG(lambdas, lo), RDN_ARG(n), RDN_ARG(flag))) !=
        RDN_OK ||
      (s = rdn__launch(ctx, kc, "lam_check", 1, &k, NULL)) != RDN_OK ||
      (s = rdn__flag_read(ctx, fn, &bad)) != RDN_OK)
    return s;
  if (bad == UINT32_MAX) return RDN_OK;
  double v = 0;
  size_t es = rdn_dtype_size(dt);
  unsigned char raw[8];
  cl_int e = clEnqueueReadBuffer(ctx->queue, lambdas->buf, CL_TRUE, (lambdas->offset + bad) * es,
                                 es, raw, 0, NULL, NULL);
  if (e != CL_SUCCESS) return rdn__cl_fail(ctx, fn, "clEnqueueReadBuffer", e);
  if (dt == RDN_F64) memcpy(&v, raw, 8);
  else {
    float f;
    memcpy(&f, raw, 4);
    v = f;
  }
  return rdn__fail(ctx, RDN_EINVAL, "%s: lambdas[%u] = %g, thresholds must be finite and >= 0",
                   fn, bad, v);
}

/* One fused launch of prox_grad (see kernels/sparse.cl). */
typedef struct {
  const rdn_tensor *t, *c, *lambdas;
  double lambda, tau, beta;
  int nonneg, fista;
} prox_args;

static rdn_status prox(rdn_ctx *ctx, rdn_tensor *w, rdn_tensor *y, const prox_args *a) {
  cl_kernel k;
  rdn_status s;
  rdn_dtype dt = w->dtype;
  const rdn_tensor *c = a->c ? a->c : a->t, *lam = a->lambdas ? a->lambdas : a->t;
  cl_ulong wo = w->offset, yo = y->offset, to = a->t->offset, co = c->offset, lo = lam->offset;
  cl_ulong n = rdn_tensor_numel(w), kk = w->shape[w->ndim - 1];
  cl_int hasc = a->c != NULL, hasl = a->lambdas != NULL, nn = a->nonneg, fi = a->fista;
  cl_double ld = a->lambda, td = a->tau, bd = a->beta;
  cl_float lf = (cl_float)a->lambda, tf = (cl_float)a->tau, bf = (cl_float)a->beta;
  int d64 = dt == RDN_F64;
  if ((s = rdn__kernel(ctx, "sparse", dt, NULL, "prox_grad", &k)) != RDN_OK ||
      (s = RDN_ARGS(ctx, k, "prox_grad", RDN_TARG(w, wo), RDN_TARG(y, yo), RDN_TARG(a->t, to),
                    RDN_TARG(c, co), RDN_ARG(hasc), RDN_TARG(lam, lo), RDN_ARG(hasl),
                    d64 ? RDN_ARG(ld) : RDN_ARG(lf), d64 ? RDN_ARG(td) : RDN_ARG(tf),
                    RDN_ARG(nn), RDN_ARG(fi), d64 ? RDN_ARG(bd) : RDN_ARG(bf), RDN_ARG(n),
                    RDN_ARG(kk))) != RDN_OK)
    return s;
  size_t gws = (size_t)n;
  return rdn__launch(ctx, k, "prox_grad", 1, &gws, NULL);
}

rdn_status rdn_prox_step(rdn_ctx *ctx, rdn_tensor *w, const rdn_tensor *u, double tau,
                         double lambda, const rdn_tensor *lambdas, int nonneg) {
  static const char *fn = "rdn_prox_step";
  char sa[96], sb[96];
  rdn_status s;
  if (!ctx) return RDN_EINVAL;
  if ((s = real_arg(ctx, fn, "w", w)) != RDN_OK || (s = real_arg(ctx, fn, "u", u)) != RDN_OK ||
      (s = same_dtype(ctx, fn, "w", w, "u", u)) != RDN_OK)
    return s;
  if (rdn_tensor_numel(w) != rdn_tensor_numel(u))
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: w is %s, u is %s", fn,
                     rdn_tensor_shape_str(w, sa, sizeof sa),
                     rdn_tensor_shape_str(u, sb, sizeof sb));
  if (!(tau >= 0) || !isfinite(tau))
    return rdn__fail(ctx, RDN_EINVAL, "%s: tau must be finite and >= 0, got %g", fn, tau);
  if ((s = check_lambda(ctx, fn, lambda, lambdas, w->shape[w->ndim - 1], w->dtype)) != RDN_OK)
    return s;
  prox_args a = { u, NULL, lambdas, lambda, tau, 0, nonneg, 0 };
  return prox(ctx, w, w, &a);
}

/* sum_i lambda_atom |w_i| (times lambda without a vector). */
static rdn_status l1_term(rdn_ctx *ctx, const rdn_tensor *w, double lambda,
                          const rdn_tensor *lambdas, double *out) {
  rdn_status s;
  cl_kernel k;
  size_t n = rdn_tensor_numel(w), np = rdn__chunk_split(ctx, n);
  rdn_tensor *part = NULL;
  cl_ulong wo = w->offset, nn = n, kk = w->shape[w->ndim - 1], chunk = (n + np - 1) / np;
  cl_ulong lo = lambdas ? lambdas->offset : 0;
  cl_int hasl = lambdas != NULL;
  const rdn_tensor *lam = lambdas ? lambdas : w;
  if ((s = rdn_tensor_new(ctx, &part, rdn__acc_dtype(ctx), 1, &np)) != RDN_OK) return s;
  if ((s = rdn__kernel(ctx, "sparse", w->dtype, NULL, "l1_chunks", &k)) == RDN_OK &&
      (s = RDN_ARGS(ctx, k, "l1_chunks", RDN_TARG(w, wo), RDN_ARG(nn), RDN_ARG(kk),
                    RDN_ARG(chunk), RDN_TARG(lam, lo), RDN_ARG(hasl), RDN_ARG(part->buf))) ==
        RDN_OK &&
      (s = rdn__launch(ctx, k, "l1_chunks", 1, &np, NULL)) == RDN_OK)
    s = rdn_sum(ctx, part, out);
  rdn_tensor_release(part);
  if (s == RDN_OK && !lambdas) *out *= lambda;
  return s;
}

/* out = 1/2 ||x - w b^T||^2 + penalty, using r [m, d] as scratch. */
static rdn_status objective(rdn_ctx *ctx, double *out, const rdn_tensor *x, const rdn_tensor *b,
                            const rdn_tensor *w, double lambda, const rdn_tensor *lambdas,
                            rdn_tensor *r) {
  rdn_status s;
  double rs, pen;
  if ((s = rdn_tensor_copy(r, x)) != RDN_OK ||
      (s = rdn_gemm(ctx, RDN_NOTRANS, RDN_TRANS, -1.0, w, b, 1.0, r)) != RDN_OK ||
      (s = rdn_sumsq(ctx, r, &rs)) != RDN_OK ||
      (s = l1_term(ctx, w, lambda, lambdas, &pen)) != RDN_OK)
    return s;
  *out = 0.5 * rs + pen;
  return RDN_OK;
}

/* x [m, d], b [d, k], w [m, k], all of one real dtype. */
static rdn_status coding_shapes(rdn_ctx *ctx, const char *fn, const rdn_tensor *x,
                                const rdn_tensor *b, const rdn_tensor *w) {
  char sx[96], sb[96], sw[96];
  rdn_status s;
  if ((s = real_arg(ctx, fn, "x", x)) != RDN_OK ||
      (s = rdn__frame_arg(ctx, fn, "b", b)) != RDN_OK ||
      (s = real_arg(ctx, fn, "w", w)) != RDN_OK ||
      (s = same_dtype(ctx, fn, "x", x, "b", b)) != RDN_OK ||
      (s = same_dtype(ctx, fn, "w", w, "b", b)) != RDN_OK)
    return s;
  if (x->ndim != 2 || w->ndim != 2 || x->shape[1] != b->shape[0] || w->shape[1] != b->shape[1] ||
      w->shape[0] != x->shape[0])
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: x is %s, b is %s, w is %s (want x "
                     "[m, d], b [d, k], w [m, k])", fn, rdn_tensor_shape_str(x, sx, sizeof sx),
                     rdn_tensor_shape_str(b, sb, sizeof sb),
                     rdn_tensor_shape_str(w, sw, sizeof sw));
  return RDN_OK;
}

rdn_status rdn_sparse_objective(rdn_ctx *ctx, double *out, const rdn_tensor *x,
                                const rdn_tensor *b, const rdn_tensor *w, double lambda,
                                const rdn_tensor *lambdas) {
  static const char *fn = "rdn_sparse_objective";
  rdn_status s;
  if (!ctx) return RDN_EINVAL;
  if (!out) return rdn__fail(ctx, RDN_EINVAL, "%s: 'out' is NULL", fn);
  if ((s = coding_shapes(ctx, fn, x, b, w)) != RDN_OK ||
      (s = check_lambda(ctx, fn, lambda, lambdas, b->shape[1], b->dtype)) != RDN_OK)
    return s;
  rdn_tensor *r = NULL;
  if ((s = rdn_tensor_new(ctx, &r, x->dtype, 2, x->shape)) != RDN_OK) return s;
  s = objective(ctx, out, x, b, w, lambda, lambdas, r);
  rdn_tensor_release(r);
  return s;
}

rdn_status rdn_ista(rdn_ctx *ctx, rdn_tensor *w, const rdn_tensor *x, const rdn_tensor *b,
                    const rdn_ista_opts *o, rdn_ista_info *info) {
  static const char *fn = "rdn_ista";
  rdn_status s;
  if (!ctx) return RDN_EINVAL;
  if (!o) return rdn__fail(ctx, RDN_EINVAL, "%s: 'opts' is NULL", fn);
  if ((s = coding_shapes(ctx, fn, x, b, w)) != RDN_OK) return s;
  if (o->steps < 1)
    return rdn__fail(ctx, RDN_EINVAL, "%s: steps must be >= 1, got %d", fn, o->steps);
  if (o->form < RDN_ISTA_AUTO || o->form > RDN_ISTA_DIRECT)
    return rdn__fail(ctx, RDN_EINVAL, "%s: bad form: %d", fn, (int)o->form);
  if (!(o->lipschitz >= 0) || !isfinite(o->lipschitz))
    return rdn__fail(ctx, RDN_EINVAL, "%s: lipschitz must be finite and >= 0 (0: power "
                     "iteration), got %g", fn, o->lipschitz);
  size_t m = x->shape[0], d = x->shape[1], k = b->shape[1];
  if ((s = check_lambda(ctx, fn, o->lambda, o->lambdas, k, b->dtype)) != RDN_OK ||
      (s = rdn__check_finite(ctx, fn, x, "x")) != RDN_OK ||
      (s = rdn__check_finite(ctx, fn, b, "b")) != RDN_OK ||
      (o->warm && (s = rdn__check_finite(ctx, fn, w, "w")) != RDN_OK) ||
      (!o->allow_zero_atoms && (s = rdn__frame_zero_col(ctx, fn, "b", b)) != RDN_OK))
    return s;
  double L = o->lipschitz;
  if (L == 0 && (s = rdn_frame_norm2(ctx, &L, b, 500, 1e-7, 0x15a)) != RDN_OK) return s;
  if (!(L > 0))
    return rdn__fail(ctx, RDN_EVALUE, "%s: frame 'b' is zero (||b||^2 = %g)", fn, L);
  int gram = o->form == RDN_ISTA_GRAM || (o->form == RDN_ISTA_AUTO && k <= 2 * d);
  size_t smk[2] = { m, k }, skk[2] = { k, k };
  rdn_tensor *c = NULL, *g = NULL, *t = NULL, *r = NULL, *y = NULL;
  if ((s = rdn_tensor_new(ctx, &t, w->dtype, 2, smk)) != RDN_OK) goto done;
  if (gram && ((s = rdn_tensor_new(ctx, &c, w->dtype, 2, smk)) != RDN_OK ||
               (s = rdn_tensor_new(ctx, &g, w->dtype, 2, skk)) != RDN_OK ||
               (s = rdn_gram(ctx, g, b, RDN_GRAM_COLS, 1.0, 0.0)) != RDN_OK ||
               (s = rdn_gemm(ctx, RDN_NOTRANS, RDN_NOTRANS, 1.0, x, b, 0.0, c)) != RDN_OK))
    goto done;
  if ((!gram || o->objective) && (s = rdn_tensor_new(ctx, &r, x->dtype, 2, x->shape)) != RDN_OK)
    goto done;
  if (!o->warm && (s = rdn_tensor_fill(w, 0)) != RDN_OK) goto done;
  if (o->fista && ((s = rdn_tensor_new(ctx, &y, w->dtype, 2, smk)) != RDN_OK ||
                   (s = rdn_tensor_copy(y, w)) != RDN_OK))
    goto done;
  if (o->objective &&
      (s = objective(ctx, &o->objective[0], x, b, w, o->lambda, o->lambdas, r)) != RDN_OK)
    goto done;
  double tk = 1;
  for (int it = 1; it <= o->steps; it++) {
    rdn_tensor *yc = o->fista ? y : w;
    if (gram) {
      s = rdn_gemm(ctx, RDN_NOTRANS, RDN_NOTRANS, 1.0, yc, g, 0.0, t);
    } else if ((s = rdn_tensor_copy(r, x)) == RDN_OK &&
               (s = rdn_gemm(ctx, RDN_NOTRANS, RDN_TRANS, 1.0, yc, b, -1.0, r)) == RDN_OK) {
      s = rdn_gemm(ctx, RDN_NOTRANS, RDN_NOTRANS, 1.0, r, b, 0.0, t);   /* (y b^T - x) b */
    }
    if (s != RDN_OK) goto done;
    double tn = 0.5 * (1 + sqrt(1 + 4 * tk * tk));
    prox_args a = { t, gram ? c : NULL, o->lambdas, o->lambda, 1 / L, (tk - 1) / tn, o->nonneg,
                    o->fista };
    tk = tn;
    if ((s = prox(ctx, w, yc, &a)) != RDN_OK) goto done;
    if (o->objective &&
        (s = objective(ctx, &o->objective[it], x, b, w, o->lambda, o->lambdas, r)) != RDN_OK)
      goto done;
  }
  if (info) {
    info->lipschitz = L;
    info->steps = o->steps;
    info->gram_form = gram;
  }
done:
  rdn_tensor_release(c);
  rdn_tensor_release(g);
  rdn_tensor_release(t);
  rdn_tensor_release(r);
  rdn_tensor_release(y);
  return s;
}

/* ---- groups (structure learning) ----------------------------------------------------- */
/* perm (i32 [n]) sorts the members by group, seg (ng + 1 ints) delimits the groups. */
static rdn_status group_index(rdn_ctx *ctx, const char *fn, const rdn_tensor *groups, size_t n,
                              int ng, rdn_tensor **perm, cl_mem *seg) {
  char sh[96], msg[RDN_ERRLEN];
  rdn_status s;
  cl_int e;
  *perm = NULL;
  *seg = NULL;
  if ((s = rdn__tensor_arg(ctx, fn, "groups", groups)) != RDN_OK) return s;
  if (groups->dtype != RDN_I32 || rdn_tensor_numel(groups) != n)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'groups' must be i32 with %zu entries (a group id per "
                     "member), got %s %s", fn, n, rdn_dtype_name(groups->dtype),
                     rdn_tensor_shape_str(groups, sh, sizeof sh));
  if (ng < 1 || (size_t)ng > n)
    return rdn__fail(ctx, RDN_EINVAL, "%s: ngroups = %d, want 1..%zu", fn, ng, n);
  long *cnt = malloc((size_t)ng * sizeof *cnt);
  cl_int *off = malloc(((size_t)ng + 1) * sizeof *off);
  if (!cnt || !off) {
    free(cnt);
    free(off);
    return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
  }
  if ((s = rdn_tensor_new(ctx, perm, RDN_I32, 1, &n)) != RDN_OK) goto done;
  if ((s = rdn_label_sort(ctx, *perm, groups, ng, cnt)) != RDN_OK) {
    const char *m = strstr(rdn_ctx_error(ctx), ": ");
    snprintf(msg, sizeof msg, "%s", m ? m + 2 : rdn_ctx_error(ctx));
    s = rdn__fail(ctx, s, "%s: groups: %s", fn, msg);
    goto done;
  }
  off[0] = 0;
  for (int g = 0; g < ng; g++) {
    if (cnt[g] == 0) {
      s = rdn__fail(ctx, RDN_EVALUE, "%s: group %d is empty (the groups must partition the %zu "
                    "members)", fn, g, n);
      goto done;
    }
    off[g + 1] = off[g] + (cl_int)cnt[g];
  }
  *seg = clCreateBuffer(ctx->context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                        ((size_t)ng + 1) * sizeof *off, off, &e);
  if (e != CL_SUCCESS) {
    *seg = NULL;
    s = rdn__cl_fail(ctx, fn, "clCreateBuffer", e);
  }
done:
  free(cnt);
  free(off);
  if (s != RDN_OK) {
    rdn_tensor_release(*perm);
    *perm = NULL;
  }
  return s;
}

rdn_status rdn_group_shrink(rdn_ctx *ctx, rdn_tensor *d, const rdn_tensor *groups, int ngroups,
                            double t, rdn_tensor *norms) {
  static const char *fn = "rdn_group_shrink";
  char sh[96];
  rdn_status s;
  cl_kernel k;
  if (!ctx) return RDN_EINVAL;
  if ((s = rdn__frame_arg(ctx, fn, "d", d)) != RDN_OK) return s;
  if (!(t >= 0) || !isfinite(t))
    return rdn__fail(ctx, RDN_EINVAL, "%s: threshold t must be finite and >= 0, got %g", fn, t);
  size_t nin = d->shape[0], n = d->shape[1];
  if (norms) {
    if ((s = rdn__tensor_arg(ctx, fn, "norms", norms)) != RDN_OK) return s;
    if (norms->dtype != d->dtype ||
        rdn_tensor_numel(norms) != n * (size_t)(ngroups > 0 ? ngroups : 0))
      return rdn__fail(ctx, RDN_EINVAL, "%s: 'norms' must be %s [%zu x %d], got %s %s", fn,
                       rdn_dtype_name(d->dtype), n, ngroups, rdn_dtype_name(norms->dtype),
                       rdn_tensor_shape_str(norms, sh, sizeof sh));
  }
  rdn_tensor *perm;
  cl_mem seg;
  if ((s = group_index(ctx, fn, groups, nin, ngroups, &perm, &seg)) != RDN_OK) return s;
  cl_ulong doff = d->offset, nn = n, po = perm->offset, no = norms ? norms->offset : 0;
  cl_int ng = ngroups, hasn = norms != NULL;
  cl_double td = t;
  cl_float tf = (cl_float)t;
  const rdn_tensor *nt = norms ? norms : d;
  size_t gws[2] = { n, (size_t)ngroups };
  if ((s = rdn__kernel(ctx, "sparse", d->dtype, NULL, "group_shrink", &k)) == RDN_OK &&
      (s = RDN_ARGS(ctx, k, "group_shrink", RDN_TARG(d, doff), RDN_ARG(nn), RDN_TARG(perm, po),
                    RDN_ARG(seg), RDN_ARG(ng), d->dtype == RDN_F64 ? RDN_ARG(td) : RDN_ARG(tf),
                    RDN_TARG(nt, no), RDN_ARG(hasn))) == RDN_OK)
    s = rdn__launch(ctx, k, "group_shrink", 2, gws, NULL);
  rdn_tensor_release(perm);
  clReleaseMemObject(seg);
  return s;
}

rdn_status rdn_pool_groups(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x,
                           const rdn_tensor *groups, int ngroups, rdn_pool_mode mode) {
  static const char *fn = "rdn_pool_groups";
  char sa[96], sb[96];
  rdn_status s;
  cl_kernel k;
  if (!ctx) return RDN_EINVAL;
  if ((s = real_arg(ctx, fn, "x", x)) != RDN_OK || (s = real_arg(ctx, fn, "out", out)) != RDN_OK ||
      (s = same_dtype(ctx, fn, "out", out, "x", x)) != RDN_OK)
    return s;
  if (mode != RDN_POOL_MAX && mode != RDN_POOL_L2 && mode != RDN_POOL_MEAN)
    return rdn__fail(ctx, RDN_EINVAL, "%s: bad mode: %d", fn, (int)mode);
  if (x->ndim != 2 || out->ndim != 2 || out->shape[0] != x->shape[0] ||
      out->shape[1] != (size_t)(ngroups > 0 ? ngroups : 0))
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: x is %s, out is %s (want x [m, n], "
                     "out [m, %d])", fn, rdn_tensor_shape_str(x, sa, sizeof sa),
                     rdn_tensor_shape_str(out, sb, sizeof sb), ngroups);
  rdn_tensor *perm;
  cl_mem seg;
  if ((s = group_index(ctx, fn, groups, x->shape[1], ngroups, &perm, &seg)) != RDN_OK) return s;
  cl_ulong xo = x->offset, n = x->shape[1], po = perm->offset, oo = out->offset, m = x->shape[0];
  cl_int ng = ngroups, md = (cl_int)mode;
  size_t gws[2] = { (size_t)ngroups, (size_t)m };
  if ((s = rdn__kernel(ctx, "sparse", x->dtype, NULL, "pool_groups", &k)) == RDN_OK &&
      (s = RDN_ARGS(ctx, k, "pool_groups", RDN_TARG(x, xo), RDN_ARG(n), RDN_TARG(perm, po),
                    RDN_ARG(seg), RDN_ARG(ng), RDN_ARG(md), RDN_TARG(out, oo), RDN_ARG(m))) ==
        RDN_OK)
    s = rdn__launch(ctx, k, "pool_groups", 2, gws, NULL);
  rdn_tensor_release(perm);
  clReleaseMemObject(seg);
  return s;
}
