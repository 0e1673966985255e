/*
** interp.c -- the training-free networks of SPEC §4 that interpolate data exactly: the
** triangular 3-layer form and the hat / interval 4-layer forms.  SPEC §4 reconstructs them
** from the paper's abstract.  Layers and matrix statistics: interp_layer.c; kernels:
** kernels/interp.cl; the host only orchestrates.
*/
#include "rdn_impl.h"
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ constructions */
static const char *const FN = "rdn_interp_build";

typedef struct {
  rdn_ctx *ctx;
  rdn_dtype dt, sdt;          /* data and solve dtypes */
  size_t m, d, c, k;          /* samples, features, candidates, outputs (classes) */
  int ylab;                   /* y holds i32 labels */
  const rdn_tensor *x, *y, *dirs;
  rdn_tensor *p, *perm, *flag, *bpos;   /* projections [c, m], sort [c, m], dups, runs */
  cl_ulong po;                /* offset j m of the chosen candidate */
  double lo, hi;              /* smallest / largest projection on it */
  cl_mem lab;                 /* labels buffer (or a dummy) */
  cl_ulong loff;
} bctx;

static rdn_status validate(bctx *B, const rdn_tensor *x, const rdn_tensor *y,
                           const rdn_tensor *dirs, const rdn_interp_opts *o) {
  rdn_ctx *ctx = B->ctx;
  char s1[96], s2[96];
  rdn_status s;
  if ((s = rdn__interp_need_real2(ctx, FN, "x", x)) != RDN_OK ||
      (s = rdn__interp_need_real2(ctx, FN, "dirs", dirs)) != RDN_OK ||
      (s = rdn__tensor_arg(ctx, FN, "y", y)) != RDN_OK)
    return s;
  if ((unsigned)o->kind > RDN_INTERP_INTERVAL)
    return rdn__fail(ctx, RDN_EINVAL, "%s: bad kind %d", FN, (int)o->kind);
  B->m = x->shape[0];
  B->d = x->shape[1];
  B->c = dirs->shape[0];
  if (dirs->dtype != x->dtype || dirs->shape[1] != B->d)
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: dirs is %s %s, x is %s %s (want "
                     "[c x %zu] %s)", FN, rdn_dtype_name(dirs->dtype),
                     rdn_tensor_shape_str(dirs, s1, sizeof s1), rdn_dtype_name(x->dtype),
                     rdn_tensor_shape_str(x, s2, sizeof s2), B->d, rdn_dtype_name(x->dtype));
  B->ylab = y->dtype == RDN_I32;
  if (B->ylab && o->kind == RDN_INTERP_TRIANGULAR)
    return rdn__fail(ctx, RDN_EINVAL, "%s: the triangular form takes real targets, got i32 "
                     "labels (one-hot them)", FN);
  if (!B->ylab && o->kind == RDN_INTERP_INTERVAL)
    return rdn__fail(ctx, RDN_EINVAL, "%s: the interval form takes i32 labels, got %s", FN,
                     rdn_dtype_name(y->dtype));
  if (!B->ylab && y->dtype != x->dtype)
    return rdn__fail(ctx, RDN_EINVAL, "%s: y is %s, x is %s", FN, rdn_dtype_name(y->dtype),
                     rdn_dtype_name(x->dtype));
  if (y->ndim > 2 || y->shape[0] != B->m || (B->ylab && rdn_tensor_numel(y) != B->m))
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: y is %s, x has %zu samples (want "
                     "%s)", FN, rdn_tensor_shape_str(y, s1, sizeof s1), B->m,
                     B->ylab ? "[m] labels" : "[m] or [m x k]");
  B->k = B->ylab ? (size_t)o->classes : rdn_tensor_numel(y) / B->m;
  if (B->ylab) {
    if (o->classes < 1)
      return rdn__fail(ctx, RDN_EINVAL, "%s: classes must be >= 1, got %d", FN, o->classes);
    long *cnt = malloc((size_t)o->classes * sizeof *cnt);
    if (!cnt) return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", FN);
    s = rdn_label_counts(ctx, y, o->classes, cnt);
    free(cnt);
    if (s != RDN_OK) {
      char msg[RDN_ERRLEN];
      const char *e = rdn_ctx_error(ctx), *p = strstr(e, ": ");
      snprintf(msg, sizeof msg, "%s", p ? p + 2 : e);
      return rdn__fail(ctx, s, "%s: y: %s", FN, msg);
    }
  } else if ((s = rdn__check_finite(ctx, FN, y, "y")) != RDN_OK) {
    return s;
  }
  if ((s = rdn__check_finite(ctx, FN, x, "x")) != RDN_OK ||
      (s = rdn__check_finite(ctx, FN, dirs, "dirs")) != RDN_OK)
    return s;
  B->lab = B->ylab ? y->buf : x->buf;
  B->loff = B->ylab ? y->offset : 0;
  return RDN_OK;
}

/* Projections, sort and gaps of every candidate; keeps the one with the largest minimum gap
** (interval: over class boundaries only). */
static rdn_status choose(bctx *B, rdn_interp_net *net, int use_lab) {
  rdn_ctx *ctx = B->ctx;
  rdn_tensor *gap = NULL, *pos = NULL;
  double *g = NULL;
  cl_kernel kp, ks, kg;
  rdn_status s;
  cl_ulong m = B->m, d = B->d, c = B->c, xoff = B->x->offset, doff = B->dirs->offset;
  cl_int ul = use_lab;
  if ((s = rdn__interp_tnew(ctx, FN, &B->p, B->sdt, B->c, B->m)) != RDN_OK ||
      (s = rdn__interp_tnew(ctx, FN, &B->perm, RDN_I32, B->c, B->m)) != RDN_OK ||
      (s = rdn__interp_tnew(ctx, FN, &gap, B->sdt, 3 * B->c, 0)) != RDN_OK ||
      (s = rdn__interp_tnew(ctx, FN, &pos, RDN_I32, B->c, 0)) != RDN_OK)
    goto done;
  if ((s = rdn__interp_kern(ctx, B->dt, B->sdt, "project", &kp)) != RDN_OK ||
      (s = rdn__interp_kern(ctx, B->dt, B->sdt, "rank_sort", &ks)) != RDN_OK ||
      (s = rdn__interp_kern(ctx, B->dt, B->sdt, "gaps", &kg)) != RDN_OK)
    goto done;
  if ((s = RDN_ARGS(ctx, kp, "project", RDN_TARG(B->x, xoff), RDN_ARG(m), RDN_ARG(d),
                    RDN_TARG(B->dirs, doff), RDN_ARG(c), RDN_ARG(B->p->buf))) != RDN_OK ||
      (s = rdn__interp_go(B->ctx, kp, "project", 2, B->m, B->c)) != RDN_OK ||
      (s = rdn__check_finite(ctx, FN, B->p, "projections")) != RDN_OK ||
      (s = RDN_ARGS(ctx, ks, "rank_sort", RDN_ARG(B->p->buf), RDN_ARG(m), RDN_ARG(c),
                    RDN_ARG(B->perm->buf))) != RDN_OK ||
      (s = rdn__interp_go(B->ctx, ks, "rank_sort", 2, B->m, B->c)) != RDN_OK ||
      (s = RDN_ARGS(ctx, kg, "gaps", RDN_ARG(B->p->buf), RDN_ARG(B->perm->buf), RDN_ARG(m),
                    RDN_ARG(c), RDN_TARG(B->x, xoff), RDN_ARG(d), RDN_ARG(B->lab),
                    RDN_ARG(B->loff), RDN_ARG(ul), RDN_ARG(gap->buf), RDN_ARG(pos->buf)))
      != RDN_OK ||
      (s = rdn__interp_go(B->ctx, kg, "gaps", 1, B->c, 0)) != RDN_OK)
    goto done;
  if (!(g = malloc(4 * B->c * sizeof *g))) {
    s = rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", FN);
    goto done;
  }
  if ((s = rdn__interp_read_vals(ctx, FN, gap, 0, 3 * B->c, g)) != RDN_OK ||
      (s = rdn__interp_read_vals(ctx, FN, pos, 0, B->c, g + 3 * B->c)) != RDN_OK)
    goto done;
  size_t j = 0;
  for (size_t i = 1; i < B->c; i++)
    if (g[i] > g[j]) j = i;
  net->direction = j;
  net->min_gap = g[j];
  B->po = (cl_ulong)j * B->m;
  B->lo = g[B->c + j];
  B->hi = g[2 * B->c + j];
  if (g[j] <= 0) {
    double ab[2];
    size_t r = (size_t)g[3 * B->c + j];
    if ((s = rdn__interp_read_vals(ctx, FN, B->perm, B->po + r - 1, 2, ab)) != RDN_OK) goto done;
    s = rdn__fail(ctx, RDN_EVALUE, "%s: samples %.0f and %.0f are distinct but have equal "
                  "projections on the best direction (row %zu of %zu): choose other "
                  "directions", FN, ab[0], ab[1], j, B->c);
  }
done:
  free(g);
  rdn_tensor_release(gap);
  rdn_tensor_release(pos);
  return s;
}

/* Identical samples: merged when their targets agree, an error naming both when not. */
static rdn_status dedup(bctx *B, rdn_interp_net *net) {
  rdn_ctx *ctx = B->ctx;
  rdn_tensor *cnt = NULL;
  cl_kernel k;
  rdn_status s;
  cl_ulong m = B->m, d = B->d, kk = B->k, xoff = B->x->offset, yoff = B->y->offset;
  cl_int ylab = B->ylab, init[2] = { INT_MAX, 0 };
  double v[2];
  if ((s = rdn__interp_tnew(ctx, FN, &B->flag, RDN_I32, B->m, 0)) != RDN_OK ||
      (s = rdn__interp_tnew(ctx, FN, &cnt, RDN_I32, 2, 0)) != RDN_OK ||
      (s = rdn_tensor_write(cnt, init, sizeof init)) != RDN_OK ||
      (s = rdn__interp_kern(ctx, B->dt, B->sdt, "dups", &k)) != RDN_OK)
    goto done;
  if ((s = RDN_ARGS(ctx, k, "dups", RDN_ARG(B->p->buf), RDN_ARG(B->perm->buf), RDN_ARG(B->po),
                    RDN_ARG(m), RDN_TARG(B->x, xoff), RDN_ARG(d), RDN_ARG(B->y->buf),
                    RDN_ARG(yoff), RDN_ARG(kk), RDN_ARG(B->lab), RDN_ARG(B->loff),
                    RDN_ARG(ylab), RDN_ARG(B->flag->buf), RDN_ARG(cnt->buf))) != RDN_OK ||
      (s = rdn__interp_go(B->ctx, k, "dups", 1, B->m, 0)) != RDN_OK ||
      (s = rdn__interp_read_vals(ctx, FN, cnt, 0, 2, v)) != RDN_OK)
    goto done;
  net->duplicates = (size_t)v[1];
  if (v[0] < INT_MAX) {
    double ab[2];
    s = rdn__interp_read_vals(ctx, FN, B->perm, B->po + (size_t)v[0] - 1, 2, ab);
    if (s != RDN_OK) goto done;
    s = rdn__fail(ctx, RDN_EVALUE, "%s: conflicting targets: samples %.0f and %.0f have "
                  "identical inputs but different %s (no function interpolates both)", FN,
                  ab[0], ab[1], B->ylab ? "labels" : "targets");
  }
done:
  rdn_tensor_release(cnt);
  return s;
}

/* b[:, 0..k-1] <- op(A)^-1 b (compensated substitution, one work-group per column): one
** work-item per column on CPU devices, 64 sharing each dot product elsewhere;
** RDN_TRSV=item|group forces a form (tests run the GPU form on PoCL). */
static rdn_status solve(bctx *B, const rdn_tensor *a, rdn_tensor *b, size_t k, int trans) {
  cl_kernel kk;
  rdn_status s;
  const char *env = getenv("RDN_TRSV");
  int group = env && *env ? !strcmp(env, "group") : !B->ctx->info.is_cpu;
  size_t L = group ? 64 : 1, es = rdn_dtype_size(B->sdt);
  if (L > B->ctx->info.max_work_group && B->ctx->info.max_work_group) L = 1;
  size_t gws = k * L;
  cl_ulong n = B->m, kc = k;
  cl_int tr = trans;
  rdn__karg l1 = { L * es, NULL }, l2 = { L * es, NULL };
  if ((s = rdn__interp_kern(B->ctx, B->dt, B->sdt, "trsv", &kk)) != RDN_OK ||
      (s = RDN_ARGS(B->ctx, kk, "trsv", RDN_ARG(a->buf), RDN_ARG(n), RDN_ARG(b->buf),
                    RDN_ARG(kc), RDN_ARG(tr), l1, l2)) != RDN_OK)
    return s;
  return rdn__launch(B->ctx, kk, "trsv", 1, &gws, &L);
}

/* One step of the condition estimate's vector kernel (modes in interp.cl); out[0..2]. */
static rdn_status hager(bctx *B, rdn_tensor *o, int mode, rdn_tensor *x, rdn_tensor *xi,
                        size_t n, long j, double *out) {
  cl_kernel k;
  rdn_status s;
  cl_int md = mode;
  cl_ulong xoff = x->offset, nn = n;
  cl_long jj = j;
  if ((s = rdn__interp_kern(B->ctx, B->dt, B->sdt, "hager", &k)) != RDN_OK ||
      (s = RDN_ARGS(B->ctx, k, "hager", RDN_ARG(md), RDN_TARG(x, xoff), RDN_ARG(xi->buf),
                    RDN_ARG(nn), RDN_ARG(jj), RDN_ARG(o->buf))) != RDN_OK ||
      (s = rdn__interp_go(B->ctx, k, "hager", 1, 1, 0)) != RDN_OK)
    return s;
  return out ? rdn__interp_read_vals(B->ctx, FN, o, 0, 3, out) : RDN_OK;
}

/* cond_1(A) = |A|_1 * est |A^-1|_1, the estimate by Hager's method with Higham's
** alternating-sign vector (LAPACK xLACON), at most 5 iterations: ~13 solves of O(m^2). */
static rdn_status cond_est(bctx *B, const rdn_tensor *a, double *cond) {
  rdn_ctx *ctx = B->ctx;
  rdn_tensor *x = NULL, *xi = NULL, *z = NULL, *t = NULL, *o = NULL;
  cl_kernel kc;
  rdn_status s;
  size_t m = B->m;
  cl_ulong n = m;
  double r[3], anorm, est, e2;
  if ((s = rdn__interp_tnew(ctx, FN, &x, B->sdt, m, 0)) != RDN_OK ||
      (s = rdn__interp_tnew(ctx, FN, &xi, B->sdt, m, 0)) != RDN_OK ||
      (s = rdn__interp_tnew(ctx, FN, &z, B->sdt, m, 0)) != RDN_OK ||
      (s = rdn__interp_tnew(ctx, FN, &t, B->sdt, m, 0)) != RDN_OK ||
      (s = rdn__interp_tnew(ctx, FN, &o, B->sdt, 3, 0)) != RDN_OK ||
      (s = rdn__interp_kern(ctx, B->dt, B->sdt, "abs_colsum", &kc)) != RDN_OK ||
      (s = RDN_ARGS(ctx, kc, "abs_colsum", RDN_ARG(a->buf), RDN_ARG(n), RDN_ARG(t->buf)))
      != RDN_OK ||
      (s = rdn__interp_go(B->ctx, kc, "abs_colsum", 1, m, 0)) != RDN_OK ||
      (s = hager(B, o, 5, t, xi, m, -1, r)) != RDN_OK)
    goto done;
  anorm = r[0];
  if ((s = hager(B, o, 0, x, xi, m, -1, NULL)) != RDN_OK || (s = solve(B, a, x, 1, 0)) != RDN_OK
      || (s = hager(B, o, 1, x, xi, m, -1, r)) != RDN_OK)
    goto done;
  est = r[0];
  if (m > 1) {
    long jprev = -1;
    if ((s = rdn_tensor_copy(z, xi)) != RDN_OK || (s = solve(B, a, z, 1, 1)) != RDN_OK) goto done;
    for (int it = 0; it < 5; it++) {
      if ((s = hager(B, o, 2, z, xi, m, jprev, r)) != RDN_OK) goto done;
      if (it > 0 && r[0] <= r[2]) break;          /* |z|_inf <= z^T v: converged */
      jprev = (long)r[1];
      if ((s = hager(B, o, 3, x, xi, m, jprev, NULL)) != RDN_OK ||
          (s = solve(B, a, x, 1, 0)) != RDN_OK || (s = hager(B, o, 1, x, xi, m, -1, r)) != RDN_OK)
        goto done;
      if (r[1] == 0 || r[0] <= est) {             /* signs repeat or no growth */
        est = r[0] > est ? r[0] : est;
        break;
      }
      est = r[0];
      if ((s = rdn_tensor_copy(z, xi)) != RDN_OK || (s = solve(B, a, z, 1, 1)) != RDN_OK)
        goto done;
    }
    if ((s = hager(B, o, 4, x, xi, m, -1, NULL)) != RDN_OK || (s = solve(B, a, x, 1, 0)) != RDN_OK
        || (s = hager(B, o, 1, x, t, m, -1, r)) != RDN_OK)
      goto done;
    e2 = 2 * r[0] / (3.0 * (double)m);
    est = e2 > est ? e2 : est;
  }
  *cond = anorm * est;
done:
  rdn_tensor_release(x);
  rdn_tensor_release(xi);
  rdn_tensor_release(z);
  rdn_tensor_release(t);
  rdn_tensor_release(o);
  return s;
}

/* net->w[i] [rows, cols] and net->b[i] [rows] (zero) in the data dtype. */
static rdn_status alloc_layer(bctx *B, rdn_interp_net *net, int i, size_t rows, size_t cols) {
  rdn_status s;
  if ((s = rdn__interp_tnew(B->ctx, FN, &net->w[i], B->dt, rows, cols)) != RDN_OK ||
      (s = rdn__interp_tnew(B->ctx, FN, &net->b[i], B->dt, rows, 0)) != RDN_OK)
    return s;
  return rdn_tensor_fill(net->b[i], 0.0);
}

/* Layer 1 of every form: n units on the chosen direction, biases by `mode`. */
static rdn_status first_layer(bctx *B, rdn_interp_net *net, int mode, size_t n, double delta) {
  rdn_ctx *ctx = B->ctx;
  cl_kernel kf, kb;
  rdn_status s;
  cl_ulong nn = n, d = B->d, m = B->m, doff = B->dirs->offset + net->direction * B->d;
  cl_int md = mode, alt = mode == 1;
  rdn__interp_sval dv;
  cl_mem bp = B->bpos ? B->bpos->buf : B->p->buf;
  if ((s = alloc_layer(B, net, 0, n, B->d)) != RDN_OK ||
      (s = rdn__interp_kern(ctx, B->dt, B->sdt, "net_first", &kf)) != RDN_OK ||
      (s = rdn__interp_kern(ctx, B->dt, B->sdt, "net_bias", &kb)) != RDN_OK ||
      (s = RDN_ARGS(ctx, kf, "net_first", RDN_ARG(net->w[0]->buf), RDN_ARG(nn), RDN_ARG(d),
                    RDN_ARG(B->dirs->buf), RDN_ARG(doff), RDN_ARG(alt))) != RDN_OK ||
      (s = rdn__interp_go(B->ctx, kf, "net_first", 2, B->d, n)) != RDN_OK)
    return s;
  if ((s = RDN_ARGS(ctx, kb, "net_bias", RDN_ARG(md), RDN_ARG(B->p->buf), RDN_ARG(B->perm->buf),
                    RDN_ARG(B->po), RDN_ARG(m), RDN_ARG(bp), rdn__interp_sarg(B->sdt, &dv, delta),
                    RDN_ARG(net->b[0]->buf), RDN_ARG(nn))) != RDN_OK)
    return s;
  net->units[0] = n;
  return rdn__interp_go(B->ctx, kb, "net_bias", 1, n, 0);
}

/* Output layer `i` [k, n] by net_out `mode` (v: solved weights for mode 0). */
static rdn_status out_layer(bctx *B, rdn_interp_net *net, int i, int mode, size_t n,
                            const rdn_tensor *v) {
  rdn_ctx *ctx = B->ctx;
  cl_kernel k;
  rdn_status s;
  cl_int md = mode;
  cl_ulong nn = n, kk = B->k, yoff = B->y->offset;
  cl_mem vb = v ? v->buf : B->p->buf, bp = B->bpos ? B->bpos->buf : B->p->buf;
  if ((s = alloc_layer(B, net, i, B->k, n)) != RDN_OK ||
      (s = rdn__interp_kern(ctx, B->dt, B->sdt, "net_out", &k)) != RDN_OK ||
      (s = RDN_ARGS(ctx, k, "net_out", RDN_ARG(md), RDN_ARG(vb), RDN_ARG(B->flag->buf),
                    RDN_ARG(B->perm->buf), RDN_ARG(B->po), RDN_ARG(B->y->buf), RDN_ARG(yoff),
                    RDN_ARG(B->lab), RDN_ARG(B->loff), RDN_ARG(bp), RDN_ARG(nn), RDN_ARG(kk),
                    RDN_ARG(net->w[i]->buf))) != RDN_OK)
    return s;
  net->nlinear = i + 1;
  return rdn__interp_go(B->ctx, k, "net_out", 2, n, B->k);
}

/* max |f(x_i) - y_i| of the built network (regression forms). */
static rdn_status eval_error(bctx *B, rdn_interp_net *net) {
  rdn_ctx *ctx = B->ctx;
  rdn_tensor *h[3] = { NULL, NULL, NULL }, *e = NULL, *o = NULL;
  cl_kernel k;
  rdn_status s = RDN_OK;
  cl_ulong m = B->m, kk = B->k, yoff = B->y->offset;
  double r[3];
  const rdn_tensor *in = B->x;
  for (int i = 0; i < net->nlinear && s == RDN_OK; i++) {
    if ((s = rdn__interp_tnew(ctx, FN, &h[i], B->dt, B->m, net->w[i]->shape[0])) == RDN_OK)
      s = rdn_linear(ctx, h[i], in, net->w[i], net->b[i], i + 1 < net->nlinear);
    in = h[i];
  }
  if (s != RDN_OK || (s = rdn__interp_tnew(ctx, FN, &e, B->sdt, B->m, 0)) != RDN_OK ||
      (s = rdn__interp_tnew(ctx, FN, &o, B->sdt, 3, 0)) != RDN_OK ||
      (s = rdn__interp_kern(ctx, B->dt, B->sdt, "row_maxerr", &k)) != RDN_OK ||
      (s = RDN_ARGS(ctx, k, "row_maxerr", RDN_ARG(in->buf), RDN_ARG(B->y->buf), RDN_ARG(yoff),
                    RDN_ARG(m), RDN_ARG(kk), RDN_ARG(e->buf))) != RDN_OK ||
      (s = rdn__interp_go(B->ctx, k, "row_maxerr", 1, B->m, 0)) != RDN_OK ||
      (s = hager(B, o, 5, e, e, B->m, -1, r)) != RDN_OK)
    goto done;
  net->max_error = r[0];
done:
  for (int i = 0; i < 3; i++) rdn_tensor_release(h[i]);
  rdn_tensor_release(e);
  rdn_tensor_release(o);
  return s;
}

/* SPEC §4.2: A[r, u] = ReLU(p_(r) - t_u) lower triangular, A V = Y (sorted) solved. */
static rdn_status build_tri(bctx *B, rdn_interp_net *net) {
  rdn_ctx *ctx = B->ctx;
  rdn_tensor *a = NULL, *v = NULL;
  cl_kernel kt, kg;
  rdn_status s;
  cl_ulong m = B->m, kk = B->k, yoff = B->y->offset;
  if ((s = rdn__interp_tnew(ctx, FN, &a, B->sdt, B->m, B->m)) != RDN_OK ||
      (s = rdn__interp_tnew(ctx, FN, &v, B->sdt, B->m, B->k)) != RDN_OK ||
      (s = rdn__interp_kern(ctx, B->dt, B->sdt, "tri_matrix", &kt)) != RDN_OK ||
      (s = rdn__interp_kern(ctx, B->dt, B->sdt, "gather_y", &kg)) != RDN_OK ||
      (s = RDN_ARGS(ctx, kt, "tri_matrix", RDN_ARG(B->p->buf), RDN_ARG(B->perm->buf),
                    RDN_ARG(B->po), RDN_ARG(m), RDN_ARG(B->flag->buf), RDN_ARG(a->buf)))
      != RDN_OK ||
      (s = rdn__interp_go(B->ctx, kt, "tri_matrix", 2, B->m, B->m)) != RDN_OK ||
      (s = RDN_ARGS(ctx, kg, "gather_y", RDN_ARG(B->y->buf), RDN_ARG(yoff),
                    RDN_ARG(B->perm->buf), RDN_ARG(B->po), RDN_ARG(m), RDN_ARG(kk),
                    RDN_ARG(v->buf))) != RDN_OK ||
      (s = rdn__interp_go(B->ctx, kg, "gather_y", 2, B->k, B->m)) != RDN_OK ||
      (s = solve(B, a, v, B->k, 0)) != RDN_OK)
    goto done;
  if (rdn__check_finite(ctx, FN, v, "solution") != RDN_OK) {
    s = rdn__fail(ctx, RDN_ENUMERIC, "%s: the triangular solve overflowed (min gap %.3g, %s): "
                  "the data is too ill-conditioned for this precision", FN, net->min_gap,
                  rdn_dtype_name(B->sdt));
    goto done;
  }
  if ((s = cond_est(B, a, &net->cond)) != RDN_OK ||
      (s = first_layer(B, net, 0, B->m, 0)) != RDN_OK ||
      (s = out_layer(B, net, 1, 0, B->m, v)) != RDN_OK)
    goto done;
  s = eval_error(B, net);
done:
  rdn_tensor_release(a);
  rdn_tensor_release(v);
  return s;
}

/* SPEC §4.3 hat form, as |q - p| = ReLU(q - p) + ReLU(p - q): 2 units per point, layer 2 =
** hats ReLU(1 - |q - p_(i)| / delta): the identity on the data. */
static rdn_status build_hat(bctx *B, rdn_interp_net *net) {
  cl_kernel k;
  rdn_status s;
  cl_int md = 0;
  cl_ulong rows = B->m, m = B->m, n = 2 * B->m;
  rdn__interp_sval dv;
  if ((s = first_layer(B, net, 1, 2 * B->m, net->delta)) != RDN_OK ||
      (s = alloc_layer(B, net, 1, B->m, 2 * B->m)) != RDN_OK ||
      (s = rdn_tensor_fill(net->w[1], 0.0)) != RDN_OK ||
      (s = rdn__interp_kern(B->ctx, B->dt, B->sdt, "net_mid", &k)) != RDN_OK ||
      (s = RDN_ARGS(B->ctx, k, "net_mid", RDN_ARG(md), RDN_ARG(rows), RDN_ARG(B->p->buf),
                    RDN_ARG(m), rdn__interp_sarg(B->sdt, &dv, net->delta), RDN_ARG(net->w[1]->buf),
                    RDN_ARG(n), RDN_ARG(net->b[1]->buf))) != RDN_OK ||
      (s = rdn__interp_go(B->ctx, k, "net_mid", 1, B->m, 0)) != RDN_OK)
    return s;
  net->units[1] = B->m;
  if ((s = out_layer(B, net, 2, B->ylab ? 2 : 1, B->m, NULL)) != RDN_OK) return s;
  return B->ylab ? RDN_OK : eval_error(B, net);
}

/* Interval form: one unit per run of one class along the direction (2 ramps per boundary). */
static rdn_status build_interval(bctx *B, rdn_interp_net *net) {
  rdn_ctx *ctx = B->ctx;
  cl_kernel kr, km;
  rdn_status s;
  cl_int md = 1;
  cl_ulong m = B->m;
  double nb;
  rdn__interp_sval dv;
  if ((s = rdn__interp_tnew(ctx, FN, &B->bpos, RDN_I32, B->m + 1, 0)) != RDN_OK ||
      (s = rdn__interp_kern(ctx, B->dt, B->sdt, "runs", &kr)) != RDN_OK ||
      (s = RDN_ARGS(ctx, kr, "runs", RDN_ARG(B->perm->buf), RDN_ARG(B->po), RDN_ARG(m),
                    RDN_ARG(B->lab), RDN_ARG(B->loff), RDN_ARG(B->bpos->buf))) != RDN_OK ||
      (s = rdn__interp_go(B->ctx, kr, "runs", 1, 1, 0)) != RDN_OK ||
      (s = rdn__interp_read_vals(ctx, FN, B->bpos, B->m, 1, &nb)) != RDN_OK)
    return s;
  size_t J = (size_t)nb + 1, n1 = 2 * (nb > 0 ? (size_t)nb : 1);
  cl_ulong rows = J, nn = n1;
  if ((s = first_layer(B, net, 2, n1, net->delta)) != RDN_OK ||
      (s = alloc_layer(B, net, 1, J, n1)) != RDN_OK ||
      (s = rdn_tensor_fill(net->w[1], 0.0)) != RDN_OK ||
      (s = rdn__interp_kern(ctx, B->dt, B->sdt, "net_mid", &km)) != RDN_OK ||
      (s = RDN_ARGS(ctx, km, "net_mid", RDN_ARG(md), RDN_ARG(rows), RDN_ARG(B->bpos->buf),
                    RDN_ARG(m), rdn__interp_sarg(B->sdt, &dv, net->delta), RDN_ARG(net->w[1]->buf),
                    RDN_ARG(nn), RDN_ARG(net->b[1]->buf))) != RDN_OK ||
      (s = rdn__interp_go(B->ctx, km, "net_mid", 1, J, 0)) != RDN_OK)
    return s;
  net->units[1] = J;
  return out_layer(B, net, 2, 3, J, NULL);
}

void rdn_interp_net_free(rdn_interp_net *net) {
  if (!net) return;
  for (int i = 0; i < 3; i++) {
    rdn_tensor_release(net->w[i]);
    rdn_tensor_release(net->b[i]);
    net->w[i] = net->b[i] = NULL;
  }
  rdn_tensor_release(net->order);
  net->order = NULL;
}

rdn_status rdn_interp_build(rdn_ctx *ctx, rdn_interp_net *net, const rdn_tensor *x,
                            const rdn_tensor *y, const rdn_tensor *dirs,
                            const rdn_interp_opts *opts) {
  bctx B;
  rdn_status s;
  if (!ctx) return RDN_EINVAL;
  if (!net || !opts)
    return rdn__fail(ctx, RDN_EINVAL, "%s: '%s' is NULL", FN, net ? "opts" : "net");
  memset(net, 0, sizeof *net);
  memset(&B, 0, sizeof B);
  net->max_error = NAN;
  B.ctx = ctx;
  B.x = x;
  B.y = y;
  B.dirs = dirs;
  if ((s = validate(&B, x, y, dirs, opts)) != RDN_OK) return s;
  B.dt = x->dtype;
  B.sdt = rdn__interp_solve_dt(ctx, opts->force_f32);
  net->solve_f64 = B.sdt == RDN_F64;
  if ((s = choose(&B, net, opts->kind == RDN_INTERP_INTERVAL)) != RDN_OK ||
      (s = dedup(&B, net)) != RDN_OK)
    goto done;
  rdn_tensor *row = NULL;
  if ((s = rdn__interp_tnew(ctx, FN, &net->order, RDN_I32, B.m, 0)) != RDN_OK ||
      (s = rdn_tensor_rows(&row, B.perm, net->direction, 1)) != RDN_OK ||
      (s = rdn_tensor_copy(net->order, row)) != RDN_OK) {
    rdn_tensor_release(row);
    goto done;
  }
  rdn_tensor_release(row);
  double scale = fmax(fabs(B.lo), fabs(B.hi));
  net->delta = isinf(net->min_gap) ? 0.5 * fmax(1.0, B.hi - B.lo) : 0.45 * net->min_gap;
  if (opts->kind == RDN_INTERP_TRIANGULAR) {
    s = build_tri(&B, net);
  } else {
    net->cond = fmax(scale, net->delta) / net->delta;
    s = opts->kind == RDN_INTERP_HAT ? build_hat(&B, net) : build_interval(&B, net);
  }
  if (s != RDN_OK) goto done;
  double eps = (B.sdt == RDN_F32 || B.dt == RDN_F32) ? FLT_EPSILON : DBL_EPSILON;
  double tol = opts->warn_tol > 0 ? opts->warn_tol : 1e-3;
  if (net->cond * eps > tol || !isfinite(net->cond)) {
    net->warned = 1;
    snprintf(net->warning, sizeof net->warning, "%s: ill-conditioned interpolation: cond "
             "%.3g (min gap %.3g) x eps %.2g = %.2g > %.2g: float%d may miss the targets by "
             "that much relative to their scale (max error on the data %.3g)%s", FN,
             net->cond, net->min_gap, eps, net->cond * eps, tol, eps == FLT_EPSILON ? 32 : 64,
             net->max_error, !ctx->info.has_fp64 ? "; the device has no fp64"
             : B.sdt == RDN_F32 ? "; float32 solve forced" : B.dt == RDN_F32
             ? "; use f64 data" : "");
    rdn__log(ctx, RDN_LOG_WARN, "%s", net->warning);
  }
done:
  rdn_tensor_release(B.p);
  rdn_tensor_release(B.perm);
  rdn_tensor_release(B.flag);
  rdn_tensor_release(B.bpos);
  if (s != RDN_OK) rdn_interp_net_free(net);
  return s;
}
