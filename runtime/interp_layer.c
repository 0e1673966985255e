/*
** interp_layer.c -- ReLU layers and their interpolation matrices: dtype conversion,
** Linear (+ bias, ReLU), and the statistics of A[i,u] = h_u(x_i) (non-zeros per row and
** column, numerical rank).  Also the small launch/argument helpers shared with the
** constructions in interp.c.  Kernels: kernels/interp.cl.
*/
#include "rdn_impl.h"
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Solve dtype: f64 where the device has it (unless forced), else f32. */
rdn_dtype rdn__interp_solve_dt(const rdn_ctx *ctx, int force32) {
  return ctx->info.has_fp64 && !force32 ? RDN_F64 : RDN_F32;
}

/* Kernel `name` of interp.cl for data dtype dt and solve dtype sdt. */
rdn_status rdn__interp_kern(rdn_ctx *ctx, rdn_dtype dt, rdn_dtype sdt, const char *name,
                       cl_kernel *k) {
  return rdn__kernel(ctx, "interp", dt, sdt == RDN_F64 ? "-D INTERP_S64=1" : "-D INTERP_S64=0",
                     name, k);
}

/* A real 2-D tensor argument. */
rdn_status rdn__interp_need_real2(rdn_ctx *ctx, const char *fn, const char *arg,
                                  const rdn_tensor *t) {
  char sh[96];
  rdn_status s = rdn__tensor_arg(ctx, fn, arg, t);
  if (s != RDN_OK) return s;
  if (!rdn__is_real(t->dtype))
    return rdn__fail(ctx, RDN_EINVAL, "%s: '%s' must be f32 or f64, got %s", fn, arg,
                     rdn_dtype_name(t->dtype));
  if (t->ndim != 2)
    return rdn__fail(ctx, RDN_EINVAL, "%s: '%s' must be 2-D, got %s", fn, arg,
                     rdn_tensor_shape_str(t, sh, sizeof sh));
  return RDN_OK;
}

/* A new work tensor; a failure names the calling function instead of rdn_tensor_new. */
rdn_status rdn__interp_tnew(rdn_ctx *ctx, const char *fn, rdn_tensor **t, rdn_dtype dt, size_t a,
                       size_t b) {
  size_t shape[2] = { a, b };
  rdn_status s = rdn_tensor_new(ctx, t, dt, b ? 2 : 1, shape);
  if (s != RDN_OK) {
    char msg[RDN_ERRLEN];
    const char *e = rdn_ctx_error(ctx), *p = strstr(e, ": ");
    snprintf(msg, sizeof msg, "%s", p ? p + 2 : e);
    return rdn__fail(ctx, s, "%s: %s", fn, msg);
  }
  return RDN_OK;
}

/* A kernel argument of the solve dtype. */
rdn__karg rdn__interp_sarg(rdn_dtype sdt, rdn__interp_sval *v, double x) {
  if (sdt == RDN_F64) {
    v->d = x;
    return (rdn__karg){ sizeof v->d, &v->d };
  }
  v->f = (cl_float)x;
  return (rdn__karg){ sizeof v->f, &v->f };
}

/* Launch with a fixed local size: PoCL compiles one work-group function per local size,
** so letting it pick one per global size costs a compile on almost every new size. */
rdn_status rdn__interp_go(rdn_ctx *ctx, cl_kernel k, const char *name, int dims, size_t g0,
                     size_t g1) {
  size_t gws[2] = { g0 ? g0 : 1, g1 ? g1 : 1 }, lws[2] = { 64, 1 };
  if (dims == 1 && gws[0] == 1) lws[0] = 1;
  if (dims == 2 && gws[0] >= 16 && gws[1] >= 16) lws[0] = lws[1] = 16;
  else if (dims == 2 && gws[0] < 16) lws[0] = 1, lws[1] = 64;
  return rdn__launch(ctx, k, name, dims, gws, lws);
}

/* Reads n values of a real tensor from element `off` as doubles. */
rdn_status rdn__interp_read_vals(rdn_ctx *ctx, const char *fn, const rdn_tensor *t, size_t off,
                                 size_t n, double *out) {
  size_t es = rdn_dtype_size(t->dtype);
  unsigned char *raw = malloc(n * es);
  if (!raw) return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
  cl_int e = clEnqueueReadBuffer(ctx->queue, t->buf, CL_TRUE, (t->offset + off) * es, n * es,
                                 raw, 0, NULL, NULL);
  if (e != CL_SUCCESS) {
    free(raw);
    return rdn__cl_fail(ctx, fn, "clEnqueueReadBuffer", e);
  }
  for (size_t i = 0; i < n; i++) {
    if (t->dtype == RDN_F64) memcpy(&out[i], raw + 8 * i, 8);
    else if (t->dtype == RDN_I32) { int v; memcpy(&v, raw + 4 * i, 4); out[i] = v; }
    else { float v; memcpy(&v, raw + 4 * i, 4); out[i] = v; }
  }
  free(raw);
  return RDN_OK;
}

/* a = act(a + b) over the last axis (b may be NULL). */
static rdn_status bias_act(rdn_ctx *ctx, rdn_tensor *a, const rdn_tensor *b, int relu) {
  cl_kernel k;
  rdn_status s;
  rdn_dtype sdt = rdn__interp_solve_dt(ctx, 0);
  if ((s = rdn__interp_kern(ctx, a->dtype, sdt, "bias_act", &k)) != RDN_OK) return s;
  cl_ulong aoff = a->offset, boff = b ? b->offset : 0;
  cl_ulong cols = a->shape[a->ndim - 1], rows = rdn_tensor_numel(a) / cols;
  cl_int hasb = b != NULL, rl = relu != 0;
  cl_mem bb = b ? b->buf : a->buf;
  if ((s = RDN_ARGS(ctx, k, "bias_act", RDN_ARG(a->buf), RDN_ARG(aoff), RDN_ARG(bb),
                    RDN_ARG(boff), RDN_ARG(rows), RDN_ARG(cols), RDN_ARG(hasb), RDN_ARG(rl)))
      != RDN_OK)
    return s;
  return rdn__interp_go(ctx, k, "bias_act", 2, (size_t)cols, (size_t)rows);
}

rdn_status rdn_convert(rdn_ctx *ctx, rdn_tensor *dst, const rdn_tensor *src) {
  static const char *fn = "rdn_convert";
  rdn_status s;
  cl_kernel k;
  if (!ctx) return RDN_EINVAL;
  if ((s = rdn__tensor_arg(ctx, fn, "dst", dst)) != RDN_OK ||
      (s = rdn__tensor_arg(ctx, fn, "src", src)) != RDN_OK)
    return s;
  if (!rdn__is_real(dst->dtype) || !rdn__is_real(src->dtype))
    return rdn__fail(ctx, RDN_EINVAL, "%s: only f32 <-> f64, got %s -> %s", fn,
                     rdn_dtype_name(src->dtype), rdn_dtype_name(dst->dtype));
  cl_ulong n = rdn_tensor_numel(src), doff = dst->offset, soff = src->offset;
  if (rdn_tensor_numel(dst) != n)
    return rdn__fail(ctx, RDN_EINVAL, "%s: dst has %zu elements, src has %zu", fn,
                     rdn_tensor_numel(dst), (size_t)n);
  if (dst->dtype == src->dtype) return rdn_tensor_copy(dst, src);
  if ((s = rdn__interp_kern(ctx, dst->dtype, src->dtype, "to_elem", &k)) != RDN_OK) return s;
  if ((s = RDN_ARGS(ctx, k, "to_elem", RDN_TARG(dst, doff), RDN_TARG(src, soff), RDN_ARG(n)))
      != RDN_OK)
    return s;
  return rdn__interp_go(ctx, k, "to_elem", 1, (size_t)n, 0);
}

rdn_status rdn_relu(rdn_ctx *ctx, rdn_tensor *x) {
  rdn_status s;
  if (!ctx) return RDN_EINVAL;
  if ((s = rdn__tensor_arg(ctx, "rdn_relu", "x", x)) != RDN_OK) return s;
  if (!rdn__is_real(x->dtype))
    return rdn__fail(ctx, RDN_EINVAL, "rdn_relu: 'x' must be f32 or f64, got %s",
                     rdn_dtype_name(x->dtype));
  return bias_act(ctx, x, NULL, 1);
}

rdn_status rdn_linear(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x, const rdn_tensor *w,
                      const rdn_tensor *b, int relu) {
  static const char *fn = "rdn_linear";
  char s1[96], s2[96];
  rdn_status s;
  if (!ctx) return RDN_EINVAL;
  if ((s = rdn__interp_need_real2(ctx, fn, "x", x)) != RDN_OK ||
      (s = rdn__interp_need_real2(ctx, fn, "w", w)) != RDN_OK ||
      (s = rdn__interp_need_real2(ctx, fn, "out", out)) != RDN_OK)
    return s;
  if (b && (s = rdn__tensor_arg(ctx, fn, "b", b)) != RDN_OK) return s;
  if (w->dtype != x->dtype || out->dtype != x->dtype || (b && b->dtype != x->dtype))
    return rdn__fail(ctx, RDN_EINVAL, "%s: dtype mismatch: x is %s, w %s, out %s%s%s", fn,
                     rdn_dtype_name(x->dtype), rdn_dtype_name(w->dtype),
                     rdn_dtype_name(out->dtype), b ? ", b " : "",
                     b ? rdn_dtype_name(b->dtype) : "");
  size_t m = x->shape[0], n = w->shape[0];
  if (w->shape[1] != x->shape[1])
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: x is %s, w is %s (want [out x %zu])",
                     fn, rdn_tensor_shape_str(x, s1, sizeof s1),
                     rdn_tensor_shape_str(w, s2, sizeof s2), x->shape[1]);
  if (out->shape[0] != m || out->shape[1] != n)
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: out is %s, want [%zu x %zu]", fn,
                     rdn_tensor_shape_str(out, s1, sizeof s1), m, n);
  if (b && rdn_tensor_numel(b) != n)
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: b has %zu elements, w has %zu rows",
                     fn, rdn_tensor_numel(b), n);
  if ((s = rdn_gemm(ctx, RDN_NOTRANS, RDN_TRANS, 1.0, x, w, 0.0, out)) != RDN_OK) return s;
  return (b || relu) ? bias_act(ctx, out, b, relu) : RDN_OK;
}

/* ------------------------------------------------------------ sparsity and rank */
static rdn_status count_nnz(rdn_ctx *ctx, const char *fn, const rdn_tensor *a, cl_mem rows,
                            cl_mem cols, rdn_interp_info *st) {
  cl_kernel k, k2;
  rdn_status s;
  cl_ulong aoff = a->offset, m = a->shape[0], n = a->shape[1], out[6];
  cl_mem ob = rdn__buffer(ctx, fn, sizeof out, &s);
  if (!ob) return s;
  rdn_dtype sdt = rdn__interp_solve_dt(ctx, 0);
  if ((s = rdn__interp_kern(ctx, a->dtype, sdt, "nnz", &k)) == RDN_OK &&
      (s = rdn__interp_kern(ctx, a->dtype, sdt, "nnz_sum", &k2)) == RDN_OK &&
      (s = RDN_ARGS(ctx, k, "nnz", RDN_TARG(a, aoff), RDN_ARG(m), RDN_ARG(n), RDN_ARG(rows),
                    RDN_ARG(cols))) == RDN_OK &&
      (s = RDN_ARGS(ctx, k2, "nnz_sum", RDN_ARG(rows), RDN_ARG(m), RDN_ARG(cols), RDN_ARG(n),
                    RDN_ARG(ob))) == RDN_OK) {
    if ((s = rdn__interp_go(ctx, k, "nnz", 1, (size_t)(m + n), 0)) == RDN_OK &&
        (s = rdn__interp_go(ctx, k2, "nnz_sum", 1, 2, 0)) == RDN_OK) {
      cl_int e = clEnqueueReadBuffer(ctx->queue, ob, CL_TRUE, 0, sizeof out, out, 0, NULL, NULL);
      if (e != CL_SUCCESS) s = rdn__cl_fail(ctx, fn, "clEnqueueReadBuffer", e);
    }
  }
  clReleaseMemObject(ob);
  if (s != RDN_OK) return s;
  st->nnz = (size_t)out[0];
  st->row_min = (size_t)out[1];
  st->row_max = (size_t)out[2];
  st->col_min = (size_t)out[4];
  st->col_max = (size_t)out[5];
  return RDN_OK;
}

/* Rank of a by semi-definite elimination of its smaller Gram (see rdn.h). */
static rdn_status gram_rank(rdn_ctx *ctx, const char *fn, const rdn_tensor *a,
                            rdn_interp_info *st) {
  rdn_dtype sdt = rdn__interp_solve_dt(ctx, 0);
  size_t m = a->shape[0], n = a->shape[1], sz = m < n ? m : n;
  rdn_tensor *as = NULL, *g = NULL, *tol = NULL;
  cl_kernel kc, ks;
  rdn_status s;
  double v[4];
  rdn__interp_sval epsn;
  if ((s = rdn__interp_tnew(ctx, fn, &g, sdt, sz, sz)) != RDN_OK) goto done;
  if ((s = rdn__interp_tnew(ctx, fn, &tol, sdt, 4, 0)) != RDN_OK) goto done;
  if (a->dtype != sdt) {
    if ((s = rdn__interp_tnew(ctx, fn, &as, sdt, m, n)) != RDN_OK) goto done;
    if ((s = rdn_convert(ctx, as, a)) != RDN_OK) goto done;
  }
  const rdn_tensor *src = as ? as : a;
  s = n <= m ? rdn_gemm(ctx, RDN_TRANS, RDN_NOTRANS, 1.0, src, src, 0.0, g)
             : rdn_gemm(ctx, RDN_NOTRANS, RDN_TRANS, 1.0, src, src, 0.0, g);
  if (s != RDN_OK) goto done;
  if ((s = rdn__interp_kern(ctx, sdt, sdt, "psd_scan", &kc)) != RDN_OK ||
      (s = rdn__interp_kern(ctx, sdt, sdt, "psd_step", &ks)) != RDN_OK)
    goto done;
  cl_ulong nn = sz;
  /* f32 data carries rounding noise ~eps32 |A| in its singular values: 100 eps32^2 */
  double ed = a->dtype == RDN_F64 ? DBL_EPSILON : FLT_EPSILON;
  double eps = fmax(sdt == RDN_F64 ? DBL_EPSILON : FLT_EPSILON, 100 * ed * ed) * (double)sz;
  for (cl_int final = 0; final < 2; final++) {
    if ((s = RDN_ARGS(ctx, kc, "psd_scan", RDN_ARG(g->buf), RDN_ARG(nn),
                      rdn__interp_sarg(sdt, &epsn, eps), RDN_ARG(final),
                      RDN_ARG(tol->buf))) != RDN_OK ||
        (s = rdn__interp_go(ctx, kc, "psd_scan", 1, 1, 0)) != RDN_OK)
      goto done;
    for (cl_ulong j = 0; !final && j + 1 < nn; j++) {
      size_t w = (size_t)(nn - j - 1);
      if ((s = RDN_ARGS(ctx, ks, "psd_step", RDN_ARG(g->buf), RDN_ARG(nn), RDN_ARG(j),
                        RDN_ARG(tol->buf))) != RDN_OK ||
          (s = rdn__interp_go(ctx, ks, "psd_step", 2, w, w)) != RDN_OK)
        goto done;
    }
  }
  if ((s = rdn__interp_read_vals(ctx, fn, tol, 0, 4, v)) != RDN_OK) goto done;
  st->tol = v[0];
  st->rank = (size_t)v[1];
  st->pivot_min = v[2];
  st->pivot_max = v[3];
done:
  rdn_tensor_release(as);
  rdn_tensor_release(g);
  rdn_tensor_release(tol);
  return s;
}

rdn_status rdn_interp_stats(rdn_ctx *ctx, const rdn_tensor *a, rdn_tensor *row_nnz,
                            rdn_tensor *col_nnz, int want_rank, rdn_interp_info *st) {
  static const char *fn = "rdn_interp_stats";
  rdn_status s;
  rdn_tensor *tr = NULL, *tc = NULL;
  if (!ctx) return RDN_EINVAL;
  if ((s = rdn__interp_need_real2(ctx, fn, "a", a)) != RDN_OK) return s;
  if (!st) return rdn__fail(ctx, RDN_EINVAL, "%s: 'st' is NULL", fn);
  memset(st, 0, sizeof *st);
  size_t m = a->shape[0], n = a->shape[1];
  rdn_tensor *const outs[2] = { row_nnz, col_nnz };
  const size_t want[2] = { m, n };
  for (int i = 0; i < 2; i++) {
    const char *nm = i ? "col_nnz" : "row_nnz";
    if (!outs[i]) continue;
    if ((s = rdn__tensor_arg(ctx, fn, nm, outs[i])) != RDN_OK) return s;
    if (outs[i]->dtype != RDN_I32 || rdn_tensor_numel(outs[i]) != want[i])
      return rdn__fail(ctx, RDN_EINVAL, "%s: '%s' must be i32 with %zu elements, got %s with "
                       "%zu", fn, nm, want[i], rdn_dtype_name(outs[i]->dtype),
                       rdn_tensor_numel(outs[i]));
  }
  /* the counting kernel writes from element 0: views get a temporary, copied after */
  if ((!row_nnz || row_nnz->offset) &&
      (s = rdn__interp_tnew(ctx, fn, &tr, RDN_I32, m, 0)) != RDN_OK)
    goto done;
  if ((!col_nnz || col_nnz->offset) &&
      (s = rdn__interp_tnew(ctx, fn, &tc, RDN_I32, n, 0)) != RDN_OK)
    goto done;
  if ((s = count_nnz(ctx, fn, a, tr ? tr->buf : row_nnz->buf, tc ? tc->buf : col_nnz->buf, st))
      != RDN_OK)
    goto done;
  if (row_nnz && tr && (s = rdn_tensor_copy(row_nnz, tr)) != RDN_OK) goto done;
  if (col_nnz && tc && (s = rdn_tensor_copy(col_nnz, tc)) != RDN_OK) goto done;
  if (want_rank) s = gram_rank(ctx, fn, a, st);
done:
  rdn_tensor_release(tr);
  rdn_tensor_release(tc);
  return s;
}
