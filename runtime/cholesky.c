/*
** cholesky.c -- Cholesky factorisation, inverse, solves and log-det of Hermitian positive
** definite matrices: batches of n <= 128 (kernels/cholesky.cl, GPU work-group path
** chol_wg.cl; log-det and solves from a factor: chol_solve.cl), larger n through the
** blocked GEMM-based path of chol_blocked.c.
*/
#include "rdn_impl.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SMALL_N 128         /* largest n of the batched kernels */
#define PACK_BYTES ((size_t)256 << 20)  /* lanes path: packed copies per launch */

typedef enum { PATH_LOCAL, PATH_LANES, PATH_ITEM, PATH_GROUP } chol_path;

/* Bytes of __local memory of the device (0 when the query fails). */
static size_t local_mem(const rdn_ctx *ctx) {
  cl_ulong b = 0;
  if (clGetDeviceInfo(ctx->device, CL_DEVICE_LOCAL_MEM_SIZE, sizeof b, &b, NULL) != CL_SUCCESS)
    return 0;
  return (size_t)b;
}

/* SIMD lanes of the local path: the most (16, f64 8, down to 4) whose interleaved copy
** of (n+1)^2 elements per matrix fits __local memory (PoCL: 1 MiB, c64 n = 75 at 16
** lanes is 739 KB); 0 when even 4 do not fit. */
static int local_lanes(const rdn_ctx *ctx, size_t n, rdn_dtype dt) {
  size_t per = (n + 1) * (n + 1) * rdn_dtype_size(dt), lm = local_mem(ctx);
  for (int l = dt == RDN_F64 ? 8 : 16; l >= 4; l /= 2)
    if (per * (size_t)l <= lm) return l;
  return 0;
}

/* CPU devices: SIMD lanes across matrices, in __local memory by one kernel while the
** copy fits (else a global packed copy between pack / unpack kernels); GPUs: a matrix
** per work-item up to n = 16, a work-group per matrix above (DESIGN §10) while the matrix
** fits __local memory (c64 n = 75 is 45 KB), else a matrix per work-item.
** RDN_CHOL=local|lanes|item|group overrides (local and group still need the copy to fit
** __local memory). */
static chol_path pick_path(const rdn_ctx *ctx, size_t n, rdn_dtype dt) {
  const char *e = getenv("RDN_CHOL");
  int fits = n * n * rdn_dtype_size(dt) <= local_mem(ctx), lf = local_lanes(ctx, n, dt) > 0;
  if (e && !strcmp(e, "local")) return lf ? PATH_LOCAL : PATH_LANES;
  if (e && !strcmp(e, "lanes")) return PATH_LANES;
  if (e && !strcmp(e, "item")) return PATH_ITEM;
  if (e && !strcmp(e, "group")) return fits ? PATH_GROUP : PATH_ITEM;
  if (!ctx->info.is_gpu) return lf ? PATH_LOCAL : PATH_LANES;
  return n <= 16 || !fits ? PATH_ITEM : PATH_GROUP;
}

/* The info buffer (scratch slot 4): word 0 = first failing matrix, reset to UINT_MAX. */
rdn_status rdn__chol_info_reset(rdn_ctx *ctx, const char *fn, size_t nmat, cl_mem *info) {
  rdn_status s;
  if ((s = rdn__linalg_scratch(ctx, fn, 4, (1 + 2 * nmat) * 4, info)) != RDN_OK) return s;
  cl_uint none = 0xffffffffu;
  cl_int e = clEnqueueFillBuffer(ctx->queue, *info, &none, 4, 0, 4, 0, NULL, NULL);
  return e == CL_SUCCESS ? RDN_OK : rdn__cl_fail(ctx, fn, "clEnqueueFillBuffer", e);
}

/* Reads word 0 (blocking); a failure becomes RDN_ENUMERIC naming matrix base + w. */
rdn_status rdn__chol_info_check(rdn_ctx *ctx, const char *fn, cl_mem info, size_t nmat,
                                size_t n, size_t base) {
  cl_uint w = 0;
  cl_int e = clEnqueueReadBuffer(ctx->queue, info, CL_TRUE, 0, 4, &w, 0, NULL, NULL);
  if (e != CL_SUCCESS) return rdn__cl_fail(ctx, fn, "clEnqueueReadBuffer", e);
  if (w == 0xffffffffu) return RDN_OK;
  cl_int piv = 0;
  float val = 0;
  if (w < nmat) {
    e = clEnqueueReadBuffer(ctx->queue, info, CL_TRUE, (1 + w) * 4, 4, &piv, 0, NULL, NULL);
    if (e == CL_SUCCESS)
      e = clEnqueueReadBuffer(ctx->queue, info, CL_TRUE, (1 + nmat + w) * 4, 4, &val, 0, NULL,
                              NULL);
    if (e != CL_SUCCESS) return rdn__cl_fail(ctx, fn, "clEnqueueReadBuffer", e);
  }
  return rdn__fail(ctx, RDN_ENUMERIC, "%s: matrix %zu is not positive definite: pivot %d "
                   "(0-based, n = %zu) is %g", fn, base + w, piv - 1, n,
                   isnan(val) ? NAN : (double)val);
}

/* ld[0 .. nmat) = the log-dets from the kernels' acc buffer o. */
static rdn_status read_ld(rdn_ctx *ctx, const char *fn, cl_mem o, size_t nmat, double *ld) {
  int f64 = ctx->info.has_fp64;
  size_t as = f64 ? 8 : 4;
  void *h = malloc(nmat * as);
  if (!h) return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
  cl_int e = clEnqueueReadBuffer(ctx->queue, o, CL_TRUE, 0, nmat * as, h, 0, NULL, NULL);
  for (size_t i = 0; e == CL_SUCCESS && i < nmat; i++)
    ld[i] = f64 ? ((double *)h)[i] : ((float *)h)[i];
  free(h);
  return e == CL_SUCCESS ? RDN_OK : rdn__cl_fail(ctx, fn, "clEnqueueReadBuffer", e);
}

/* Batched small-n factorisation and/or inverse (factor, inverse flags) in place, of the
** nmat matrices at off (matrix base of the whole batch, for error messages); with ld
** (and factor) also the log-dets into ld[0 .. nmat). */
static rdn_status one_batch(rdn_ctx *ctx, const char *fn, rdn_dtype dt, cl_mem buf,
                            size_t off, size_t nmat, size_t n, int factor, int inverse,
                            chol_path path, size_t base, double *ld) {
  rdn_status s;
  cl_mem info, pk, lb = NULL;
  cl_kernel k;
  if ((s = rdn__chol_info_reset(ctx, fn, nmat, &info)) != RDN_OK) return s;
  int want = ld && factor;
  if (want && !(lb = rdn__buffer(ctx, fn, nmat * (ctx->info.has_fp64 ? 8 : 4), &s))) return s;
  cl_mem ldm = want ? lb : info;       /* a valid buffer even when ld_on = 0 */
  cl_ulong nl = n, nm = nmat, offl = off;
  cl_int fa = factor, inv = inverse, lon = want;
  if (path == PATH_GROUP || path == PATH_LOCAL) {
    int lanes = path == PATH_LOCAL ? local_lanes(ctx, n, dt) : 1;
    const char *kn = path == PATH_GROUP ? "chol_wg" : "lanes_local";
    char opts[40];
    snprintf(opts, sizeof opts, "-D LANES=%d -D PKLOCAL=1", lanes);
    size_t lw = path == PATH_GROUP ? 64 : 1, gws = (nmat + (size_t)lanes - 1) / (size_t)lanes * lw;
    size_t lbytes = path == PATH_GROUP ? n * n * rdn_dtype_size(dt)
                                       : (n + 1) * (n + 1) * rdn_dtype_size(dt) * (size_t)lanes;
    if ((s = path == PATH_GROUP ? rdn__kernel(ctx, "chol_wg", dt, NULL, kn, &k)
                                : rdn__kernel(ctx, "cholesky", dt, opts, kn, &k)) != RDN_OK ||
        (s = RDN_ARGS(ctx, k, kn, RDN_ARG(buf), RDN_ARG(offl), RDN_ARG(nl), RDN_ARG(nm),
                      RDN_ARG(fa), RDN_ARG(inv), RDN_ARG(info), RDN_ARG(ldm),
                      RDN_ARG(lon))) != RDN_OK)
      goto done;
    cl_int e = clSetKernelArg(k, 9, lbytes, NULL);
    if (e != CL_SUCCESS) {
      s = rdn__cl_fail(ctx, fn, "clSetKernelArg", e);
      goto done;
    }
    if ((s = rdn__launch(ctx, k, kn, 1, &gws, &lw)) != RDN_OK) goto done;
  } else {
    int lanes = path == PATH_ITEM ? 1 : dt == RDN_F64 ? 8 : 16;
    char opts[32];
    cl_kernel kp, ku;
    snprintf(opts, sizeof opts, "-D LANES=%d", lanes);
    size_t grp = lanes == 1 ? 64 : (size_t)lanes, rs = dt == RDN_F64 ? 8 : 4;
    size_t bp = rdn__round_up(nmat, grp);
    size_t ncomp = dt == RDN_C64 ? 2 : 1;
    if ((s = rdn__kernel(ctx, "cholesky", dt, opts, "lanes_pack", &kp)) != RDN_OK ||
        (s = rdn__kernel(ctx, "cholesky", dt, opts, "lanes_potrf", &k)) != RDN_OK ||
        (s = rdn__kernel(ctx, "cholesky", dt, opts, "lanes_unpack", &ku)) != RDN_OK ||
        (s = rdn__linalg_scratch(ctx, fn, 3, (n + 1) * (n + 1) * ncomp * bp * rs, &pk)) !=
            RDN_OK)
      goto done;
    cl_ulong bpl = bp, gl = grp;
    cl_int full = inverse;
    static const size_t lw2[2] = { 1, 1 }, lw1 = 1, lwi = 64;
    size_t rc = (n + 15) / 16, gp[2] = { bp / grp, rc }, gu[2] = { (nmat + grp - 1) / grp, rc };
    size_t gf = bp / (size_t)lanes;
    if ((s = RDN_ARGS(ctx, kp, "lanes_pack", RDN_ARG(pk), RDN_ARG(bpl), RDN_ARG(gl),
                      RDN_ARG(buf), RDN_ARG(offl), RDN_ARG(nm), RDN_ARG(nl))) != RDN_OK ||
        (s = rdn__launch(ctx, kp, "lanes_pack", 2, gp, lw2)) != RDN_OK ||
        (s = RDN_ARGS(ctx, k, "lanes_potrf", RDN_ARG(pk), RDN_ARG(bpl), RDN_ARG(gl),
                      RDN_ARG(nl), RDN_ARG(nm), RDN_ARG(fa), RDN_ARG(inv), RDN_ARG(info),
                      RDN_ARG(ldm), RDN_ARG(lon))) != RDN_OK ||
        (s = rdn__launch(ctx, k, "lanes_potrf", 1, &gf, lanes == 1 ? &lwi : &lw1)) != RDN_OK ||
        (s = RDN_ARGS(ctx, ku, "lanes_unpack", RDN_ARG(buf), RDN_ARG(offl), RDN_ARG(pk),
                      RDN_ARG(gl), RDN_ARG(nm), RDN_ARG(nl), RDN_ARG(full))) != RDN_OK ||
        (s = rdn__launch(ctx, ku, "lanes_unpack", 2, gu, lw2)) != RDN_OK)
      goto done;
  }
  if (factor) s = rdn__chol_info_check(ctx, fn, info, nmat, n, base);
  if (s == RDN_OK && want) s = read_ld(ctx, fn, lb, nmat, ld);
done:
  if (lb) clReleaseMemObject(lb);
  return s;
}

/* The lanes/item paths pack the batch into an interleaved copy of (n+1)^2 elements per
** matrix: launches of at most PACK_BYTES of it (all (k+1) F = 4620 c64 matrices of the
** 2-D C = 75 setting are 213 MB: one launch).  RDN_CHOL_BATCH=b forces b matrices per
** launch (tests).  The local and group paths need no copy: one launch. */
static rdn_status small_batch(rdn_ctx *ctx, const char *fn, rdn_dtype dt, cl_mem buf,
                              size_t off, size_t nmat, size_t n, int factor, int inverse,
                              double *ld) {
  chol_path path = pick_path(ctx, n, dt);
  size_t per = (n + 1) * (n + 1) * rdn_dtype_size(dt), step = nmat;
  if (path == PATH_LANES || path == PATH_ITEM) step = PACK_BYTES / per / 64 * 64;
  const char *e = getenv("RDN_CHOL_BATCH");
  if (e && atol(e) > 0) step = (size_t)atol(e);
  if (step < 1) step = 1;
  rdn_status s = RDN_OK;
  for (size_t w = 0; w < nmat && s == RDN_OK; w += step)
    s = one_batch(ctx, fn, dt, buf, off + w * n * n, nmat - w < step ? nmat - w : step, n,
                  factor, inverse, path, w, ld ? ld + w : NULL);
  return s;
}

rdn_status rdn__chol_batch(rdn_ctx *ctx, const char *fn, rdn_dtype dt, cl_mem buf, size_t off,
                           size_t nmat, size_t n, int inverse) {
  return small_batch(ctx, fn, dt, buf, off, nmat, n, 1, inverse, NULL);
}
/* A batch of square matrices: [n, n] or [b, n, n], a float dtype the device supports. */
static rdn_status mat_arg(rdn_ctx *ctx, const char *fn, const char *name, const rdn_tensor *t,
                          size_t *nmat, size_t *n) {
  char a[96];
  rdn_status s;
  if (!t) return rdn__fail(ctx, RDN_EINVAL, "%s: '%s' is NULL", fn, name);
  if (!rdn__is_float(t->dtype))
    return rdn__fail(ctx, RDN_EINVAL, "%s: '%s' must be f32, f64 or c64, got %s", fn, name,
                     rdn_dtype_name(t->dtype));
  if ((s = rdn__check_dtype(ctx, fn, name, t->dtype)) != RDN_OK) return s;
  if ((t->ndim != 2 && t->ndim != 3) || t->shape[t->ndim - 1] != t->shape[t->ndim - 2])
    return rdn__fail(ctx, RDN_EINVAL, "%s: '%s' must be square [n, n] or [b, n, n], got %s",
                     fn, name, rdn_tensor_shape_str(t, a, sizeof a));
  *n = t->shape[t->ndim - 1];
  *nmat = t->ndim == 3 ? t->shape[0] : 1;
  return RDN_OK;
}

/* factor / inverse on every matrix of a, small or large; with ld (and factor) the log-dets
** of the factored matrices too. */
static rdn_status run(rdn_ctx *ctx, const char *fn, rdn_tensor *a, int factor, int inverse,
                      double *ld) {
  size_t nmat, n;
  rdn_status s;
  if ((s = mat_arg(ctx, fn, "a", a, &nmat, &n)) != RDN_OK) return s;
  if (n <= SMALL_N) return small_batch(ctx, fn, a->dtype, a->buf, a->offset, nmat, n, factor,
                                       inverse, ld);
  for (size_t w = 0; w < nmat; w++) {
    size_t off = a->offset + w * n * n;
    if (factor && (s = rdn__chol_large(ctx, fn, a, off, n, w)) != RDN_OK) return s;
    if (factor && ld && (s = rdn__chol_logdet(ctx, fn, a->dtype, a->buf, off, 1, n, ld + w)) !=
        RDN_OK)
      return s;
    if (inverse && (s = rdn__inverse_large(ctx, fn, a, off, n)) != RDN_OK) return s;
  }
  return RDN_OK;
}

rdn_status rdn_cholesky(rdn_ctx *ctx, rdn_tensor *a) {
  return run(ctx, "rdn_cholesky", a, 1, 0, NULL);
}

rdn_status rdn_chol_inverse(rdn_ctx *ctx, rdn_tensor *l) {
  return run(ctx, "rdn_chol_inverse", l, 0, 1, NULL);
}

rdn_status rdn_spd_inverse(rdn_ctx *ctx, rdn_tensor *a) {
  return run(ctx, "rdn_spd_inverse", a, 1, 1, NULL);
}

/* 'out' must hold one value per matrix of a (mat_arg already checked a). */
static rdn_status out_arg(rdn_ctx *ctx, const char *fn, const char *name, const double *out,
                          size_t nout, size_t nmat) {
  if (!out || nout != nmat)
    return rdn__fail(ctx, RDN_EINVAL, "%s: '%s' must hold %zu values, got %zu", fn, name, nmat,
                     out ? nout : 0);
  return RDN_OK;
}

rdn_status rdn_spd_inverse_logdet(rdn_ctx *ctx, rdn_tensor *a, double *logdet, size_t nout) {
  const char *fn = "rdn_spd_inverse_logdet";
  size_t nmat, n;
  rdn_status s;
  if ((s = mat_arg(ctx, fn, "a", a, &nmat, &n)) != RDN_OK ||
      (s = out_arg(ctx, fn, "logdet", logdet, nout, nmat)) != RDN_OK)
    return s;
  return run(ctx, fn, a, 1, 1, logdet);
}

rdn_status rdn__chol_logdet(rdn_ctx *ctx, const char *fn, rdn_dtype dt, cl_mem buf, size_t off,
                            size_t nmat, size_t n, double *out) {
  rdn_status s;
  cl_kernel k;
  cl_mem o;
  int f64 = ctx->info.has_fp64;
  size_t as = f64 ? 8 : 4;
  if ((s = rdn__kernel(ctx, "chol_solve", dt, NULL, "chol_logdet", &k)) != RDN_OK) return s;
  if (!(o = rdn__buffer(ctx, fn, nmat * as, &s))) return s;
  void *h = malloc(nmat * as);
  cl_ulong offl = off, nl = n, nm = nmat;
  static const size_t lw = 8;
  if (!h) s = rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
  if (s == RDN_OK &&
      (s = RDN_ARGS(ctx, k, "chol_logdet", RDN_ARG(o), RDN_ARG(buf), RDN_ARG(offl), RDN_ARG(nl),
                    RDN_ARG(nm))) == RDN_OK &&
      (s = rdn__launch(ctx, k, "chol_logdet", 1, &nmat, &lw)) == RDN_OK) {
    cl_int e = clEnqueueReadBuffer(ctx->queue, o, CL_TRUE, 0, nmat * as, h, 0, NULL, NULL);
    if (e != CL_SUCCESS) s = rdn__cl_fail(ctx, fn, "clEnqueueReadBuffer", e);
    for (size_t i = 0; s == RDN_OK && i < nmat; i++)
      out[i] = f64 ? ((double *)h)[i] : ((float *)h)[i];
  }
  free(h);
  clReleaseMemObject(o);
  return s;
}

rdn_status rdn_chol_logdet(rdn_ctx *ctx, double *out, size_t nout, const rdn_tensor *l) {
  const char *fn = "rdn_chol_logdet";
  size_t nmat, n;
  rdn_status s;
  if ((s = mat_arg(ctx, fn, "l", l, &nmat, &n)) != RDN_OK ||
      (s = out_arg(ctx, fn, "out", out, nout, nmat)) != RDN_OK)
    return s;
  return rdn__chol_logdet(ctx, fn, l->dtype, l->buf, l->offset, nmat, n, out);
}

/* Factor and log-dets in one pass (the factor kernels sum the log pivots). */
rdn_status rdn_spd_logdet(rdn_ctx *ctx, double *out, size_t nout, rdn_tensor *a) {
  const char *fn = "rdn_spd_logdet";
  size_t nmat, n;
  rdn_status s;
  if ((s = mat_arg(ctx, fn, "a", a, &nmat, &n)) != RDN_OK ||
      (s = out_arg(ctx, fn, "out", out, nout, nmat)) != RDN_OK)
    return s;
  return run(ctx, fn, a, 1, 0, out);
}

rdn_status rdn__solve_small(rdn_ctx *ctx, const char *fn, rdn_dtype dt, cl_mem b, size_t boff,
                            size_t sb, size_t ldb, cl_mem l, size_t loff, size_t sl, size_t ldl,
                            size_t n, size_t r, size_t nmat, int mode) {
  rdn_status s;
  cl_kernel k;
  (void)fn;
  if ((s = rdn__kernel(ctx, "chol_solve", dt, NULL, "chol_solve_small", &k)) != RDN_OK)
    return s;
  cl_ulong bo = boff, sbl = sb, ldbl = ldb, lo = loff, sll = sl, ldll = ldl, nl = n, rl = r;
  cl_ulong nm = nmat;
  cl_int md = mode;
  static const size_t lw[2] = { 1, 1 };
  size_t vc = dt == RDN_F32 ? 16 : 8, g[2] = { (r + vc - 1) / vc, nmat };
  if ((s = RDN_ARGS(ctx, k, "chol_solve_small", RDN_ARG(b), RDN_ARG(bo), RDN_ARG(sbl),
                    RDN_ARG(ldbl), RDN_ARG(l), RDN_ARG(lo), RDN_ARG(sll), RDN_ARG(ldll),
                    RDN_ARG(nl), RDN_ARG(rl), RDN_ARG(nm), RDN_ARG(md))) != RDN_OK)
    return s;
  return rdn__launch(ctx, k, "chol_solve_small", 2, g, lw);
}

/* b [n] / [n, r] with l [n, n], or b [bt, n, r] with l [bt, n, n]. */
static rdn_status solve(rdn_ctx *ctx, const char *fn, rdn_tensor *b, const rdn_tensor *l,
                        int mode) {
  char a[96], c[96];
  size_t nmat, n;
  rdn_status s;
  if ((s = mat_arg(ctx, fn, "l", l, &nmat, &n)) != RDN_OK) return s;
  if (!b) return rdn__fail(ctx, RDN_EINVAL, "%s: 'b' is NULL", fn);
  int ok = b->dtype == l->dtype;
  size_t r = 1;
  if (l->ndim == 2) ok = ok && (b->ndim == 1 || b->ndim == 2) && b->shape[0] == n;
  else ok = ok && b->ndim == 3 && b->shape[0] == nmat && b->shape[1] == n;
  if (ok && b->ndim >= 2) r = b->shape[b->ndim - 1];
  if (!ok)
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: l is %s %s, b is %s %s (want "
                     "[%s%zu, r])", fn, rdn_dtype_name(l->dtype),
                     rdn_tensor_shape_str(l, a, sizeof a), rdn_dtype_name(b->dtype),
                     rdn_tensor_shape_str(b, c, sizeof c), l->ndim == 3 ? "b, " : "", n);
  if (b->buf == l->buf)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'b' and 'l' must not share storage", fn);
  if (n <= SMALL_N)
    return rdn__solve_small(ctx, fn, l->dtype, b->buf, b->offset, n * r, r, l->buf, l->offset,
                            n * n, n, n, r, nmat, mode);
  for (size_t w = 0; w < nmat; w++) {
    if (mode & 1 && (s = rdn__trsm_large(ctx, fn, b, b->offset + w * n * r, r, l,
                                         l->offset + w * n * n, n, 1)) != RDN_OK)
      return s;
    if (mode & 2 && (s = rdn__trsm_large(ctx, fn, b, b->offset + w * n * r, r, l,
                                         l->offset + w * n * n, n, 2)) != RDN_OK)
      return s;
  }
  return RDN_OK;
}

rdn_status rdn_chol_solve(rdn_ctx *ctx, rdn_tensor *b, const rdn_tensor *l) {
  return solve(ctx, "rdn_chol_solve", b, l, 3);
}

rdn_status rdn_trsm(rdn_ctx *ctx, rdn_tensor *b, const rdn_tensor *l, rdn_trans t) {
  const char *fn = "rdn_trsm";
  if (t != RDN_NOTRANS && t != RDN_CONJTRANS && !(t == RDN_TRANS && l && l->dtype != RDN_C64))
    return rdn__fail(ctx, RDN_EINVAL, "%s: bad transpose flag: %d (RDN_NOTRANS or "
                     "RDN_CONJTRANS; RDN_TRANS for real dtypes)", fn, (int)t);
  return solve(ctx, fn, b, l, t == RDN_NOTRANS ? 1 : 2);
}
