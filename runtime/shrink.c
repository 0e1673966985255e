/*
** shrink.c -- streaming primitives of the separation/concentration block (SPEC §3.1, §6
** K7-K9, K12): soft threshold / one-sided shrink with a scalar or per-channel lambda,
** counts above a threshold, complex modulus, Fourier filter-bank products and
** periodisation, per-channel statistics, affine maps and standardisation, transposes.
*/
#include "rdn_impl.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------ checks */
static rdn_status need(rdn_ctx *ctx, const char *fn, const char *arg, const rdn_tensor *t,
                       int real_only) {
  rdn_status s = rdn__tensor_arg(ctx, fn, arg, t);
  if (s != RDN_OK) return s;
  if (real_only && !rdn__is_real(t->dtype))
    return rdn__fail(ctx, RDN_EINVAL, "%s: '%s' is %s, want f32 or f64", fn, arg,
                     rdn_dtype_name(t->dtype));
  return RDN_OK;
}

static rdn_status need_dtype(rdn_ctx *ctx, const char *fn, const char *arg, const rdn_tensor *t,
                             rdn_dtype dt) {
  rdn_status s = rdn__tensor_arg(ctx, fn, arg, t);
  if (s != RDN_OK) return s;
  if (t->dtype != dt)
    return rdn__fail(ctx, RDN_EINVAL, "%s: '%s' is %s, want %s", fn, arg,
                     rdn_dtype_name(t->dtype), rdn_dtype_name(dt));
  return RDN_OK;
}

/* Two tensors of one buffer that overlap without coinciding. */
static int partial_overlap(const rdn_tensor *a, const rdn_tensor *b) {
  if (a->buf != b->buf) return 0;
  size_t ea = rdn_dtype_size(a->dtype), eb = rdn_dtype_size(b->dtype);
  size_t a0 = a->offset * ea, a1 = a0 + rdn_tensor_numel(a) * ea;
  size_t b0 = b->offset * eb, b1 = b0 + rdn_tensor_numel(b) * eb;
  if (a0 == b0 && a1 == b1 && ea == eb) return 0;
  return a0 < b1 && b0 < a1;
}

static int any_overlap(const rdn_tensor *a, const rdn_tensor *b) {
  if (a->buf != b->buf) return 0;
  size_t ea = rdn_dtype_size(a->dtype), eb = rdn_dtype_size(b->dtype);
  size_t a0 = a->offset * ea, a1 = a0 + rdn_tensor_numel(a) * ea;
  size_t b0 = b->offset * eb, b1 = b0 + rdn_tensor_numel(b) * eb;
  return a0 < b1 && b0 < a1;
}

/* out and x: same dtype and numel; in place allowed, partial overlap refused. */
static rdn_status same_as(rdn_ctx *ctx, const char *fn, const rdn_tensor *out,
                          const rdn_tensor *x) {
  char a[96], b[96];
  if (out->dtype != x->dtype || rdn_tensor_numel(out) != rdn_tensor_numel(x))
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'out' is %s %s, 'x' is %s %s", fn,
                     rdn_dtype_name(out->dtype), rdn_tensor_shape_str(out, a, sizeof a),
                     rdn_dtype_name(x->dtype), rdn_tensor_shape_str(x, b, sizeof b));
  if (partial_overlap(out, x))
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'out' and 'x' partially overlap (offsets %zu and "
                     "%zu)", fn, out->offset, x->offset);
  return RDN_OK;
}

/* Kernel scalar of the tensor's real type. */
typedef struct { cl_float f; cl_double d; } scal;
static scal mk(double v) { scal s = { (cl_float)v, v }; return s; }
#define SARG(dt, s) ((dt) == RDN_F64 ? RDN_ARG((s).d) : RDN_ARG((s).f))

static const char *kind_word(rdn_shrink_kind k) { return k == RDN_SHRINK_RELU ? "relu" : "soft"; }

/* ------------------------------------------------------------------ shrink */
rdn_status rdn_shrink(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x, rdn_shrink_kind kind,
                      double lambda) {
  static const char *fn = "rdn_shrink";
  rdn_status s;
  cl_kernel k;
  char name[32];
  if (!ctx) return RDN_EINVAL;
  if ((s = need(ctx, fn, "out", out, 1)) != RDN_OK || (s = need(ctx, fn, "x", x, 1)) != RDN_OK ||
      (s = same_as(ctx, fn, out, x)) != RDN_OK)
    return s;
  if ((unsigned)kind > RDN_SHRINK_RELU)
    return rdn__fail(ctx, RDN_EINVAL, "%s: bad kind: %d (soft or relu)", fn, (int)kind);
  if (!isfinite(lambda) || lambda < 0)
    return rdn__fail(ctx, RDN_EINVAL, "%s: lambda must be finite and >= 0, got %g", fn, lambda);
  snprintf(name, sizeof name, "shrink_%s", kind_word(kind));
  if ((s = rdn__kernel(ctx, "shrink", x->dtype, NULL, name, &k)) != RDN_OK) return s;
  cl_ulong oo = out->offset, xo = x->offset, n = rdn_tensor_numel(x);
  scal l = mk(lambda);
  s = RDN_ARGS(ctx, k, name, RDN_TARG(out, oo), RDN_TARG(x, xo), RDN_ARG(n), SARG(x->dtype, l));
  if (s != RDN_OK) return s;
  size_t gws = (size_t)n;
  return rdn__launch(ctx, k, name, 1, &gws, NULL);
}

/* Every value of lam finite and >= 0, checked on the device; the message names the
** first bad one. */
static rdn_status check_lambdas(rdn_ctx *ctx, const char *fn, const rdn_tensor *lam) {
  rdn_status s;
  cl_kernel k;
  cl_mem flag;
  cl_uint hit;
  if ((s = rdn__kernel(ctx, "shrink", lam->dtype, NULL, "find_bad_lambda", &k)) != RDN_OK)
    return s;
  if ((s = rdn__flag_reset(ctx, fn, &flag)) != RDN_OK) return s;
  cl_ulong lo = lam->offset, n = rdn_tensor_numel(lam);
  if ((s = RDN_ARGS(ctx, k, "find_bad_lambda", RDN_TARG(lam, lo), RDN_ARG(n), RDN_ARG(flag))) !=
      RDN_OK)
    return s;
  size_t gws = (size_t)n;
  if ((s = rdn__launch(ctx, k, "find_bad_lambda", 1, &gws, NULL)) != RDN_OK) return s;
  if ((s = rdn__flag_read(ctx, fn, &hit)) != RDN_OK) return s;
  if (hit == UINT32_MAX) return RDN_OK;
  double v;
  size_t es = rdn_dtype_size(lam->dtype);
  unsigned char raw[8];
  cl_int e = clEnqueueReadBuffer(ctx->queue, lam->buf, CL_TRUE, (lam->offset + hit) * es, es,
                                 raw, 0, NULL, NULL);
  if (e != CL_SUCCESS) return rdn__cl_fail(ctx, fn, "clEnqueueReadBuffer", e);
  if (lam->dtype == RDN_F64) memcpy(&v, raw, 8);
  else {
    float f;
    memcpy(&f, raw, 4);
    v = f;
  }
  return rdn__fail(ctx, RDN_EINVAL, "%s: lambdas[%u] must be finite and >= 0, got %g", fn,
                   (unsigned)hit, v);
}

/* x viewed as [outer, nch, inner]: numel divisible by nch * inner. */
static rdn_status channel_view(rdn_ctx *ctx, const char *fn, const rdn_tensor *x, size_t nch,
                               size_t inner, size_t *outer) {
  char a[96];
  size_t n = rdn_tensor_numel(x);
  if (inner == 0 || nch == 0 || n % nch != 0 || (n / nch) % inner != 0)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'x' %s (%zu elements) is not [outer, %zu channels, "
                     "inner = %zu]", fn, rdn_tensor_shape_str(x, a, sizeof a), n, nch, inner);
  *outer = n / nch / inner;
  return RDN_OK;
}

/* Launches a `<base>_cols` kernel (inner == 1) or a `<base>_rows` kernel: the first args
** are (out, x) and the view; `extra` further args follow. */
static rdn_status launch_channels(rdn_ctx *ctx, const char *fn, const char *base,
                                  rdn_tensor *out, const rdn_tensor *x, size_t outer, size_t nch,
                                  size_t inner, int nextra, const rdn__karg *extra) {
  char name[48];
  rdn__karg a[16];
  cl_kernel k;
  rdn_status s;
  int cols = inner == 1;
  snprintf(name, sizeof name, "%s_%s", base, cols ? "cols" : "rows");
  if ((s = rdn__kernel(ctx, "shrink", x->dtype, NULL, name, &k)) != RDN_OK) return s;
  cl_ulong oo = out->offset, xo = x->offset, ci = inner, rows = outer * nch, cn = nch;
  cl_ulong ro = outer;
  int n = 0;
  a[n++] = RDN_ARG(out->buf);
  a[n++] = RDN_ARG(oo);
  a[n++] = RDN_ARG(x->buf);
  a[n++] = RDN_ARG(xo);
  if (cols) {
    a[n++] = RDN_ARG(cn);
    a[n++] = RDN_ARG(ro);
  } else {
    a[n++] = RDN_ARG(ci);
    a[n++] = RDN_ARG(rows);
    a[n++] = RDN_ARG(cn);
  }
  for (int i = 0; i < nextra; i++) a[n++] = extra[i];
  if ((s = rdn__args(ctx, k, fn, n, a)) != RDN_OK) return s;
  size_t gws[2] = { cols ? nch : inner, cols ? outer : outer * nch };
  return rdn__launch(ctx, k, name, 2, gws, NULL);
}

rdn_status rdn_shrink_channels(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x,
                               rdn_shrink_kind kind, const rdn_tensor *lambdas, size_t inner) {
  static const char *fn = "rdn_shrink_channels";
  rdn_status s;
  size_t outer;
  if (!ctx) return RDN_EINVAL;
  if ((s = need(ctx, fn, "out", out, 1)) != RDN_OK || (s = need(ctx, fn, "x", x, 1)) != RDN_OK ||
      (s = same_as(ctx, fn, out, x)) != RDN_OK ||
      (s = need_dtype(ctx, fn, "lambdas", lambdas, x->dtype)) != RDN_OK)
    return s;
  if ((unsigned)kind > RDN_SHRINK_RELU)
    return rdn__fail(ctx, RDN_EINVAL, "%s: bad kind: %d (soft or relu)", fn, (int)kind);
  size_t nch = rdn_tensor_numel(lambdas);
  if ((s = channel_view(ctx, fn, x, nch, inner, &outer)) != RDN_OK) return s;
  if (any_overlap(out, lambdas))
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'out' overlaps 'lambdas'", fn);
  if ((s = check_lambdas(ctx, fn, lambdas)) != RDN_OK) return s;
  cl_ulong lo = lambdas->offset;
  rdn__karg extra[2] = { RDN_ARG(lambdas->buf), RDN_ARG(lo) };
  char base[32];
  snprintf(base, sizeof base, "shrink_%s", kind_word(kind));
  return launch_channels(ctx, fn, base, out, x, outer, nch, inner, 2, extra);
}

/* ------------------------------------------------------------------ count */
#define COUNT_PARTS 64

rdn_status rdn_count_above(rdn_ctx *ctx, const rdn_tensor *x, double threshold, size_t *count) {
  static const char *fn = "rdn_count_above";
  rdn_status s;
  cl_kernel k1, k2;
  if (!ctx) return RDN_EINVAL;
  if (!count) return rdn__fail(ctx, RDN_EINVAL, "%s: 'count' is NULL", fn);
  *count = 0;
  if ((s = need(ctx, fn, "x", x, 1)) != RDN_OK) return s;
  if (isnan(threshold))
    return rdn__fail(ctx, RDN_EINVAL, "%s: threshold is NaN", fn);
  if ((s = rdn__kernel(ctx, "shrink", x->dtype, NULL, "count_above_chunks", &k1)) != RDN_OK ||
      (s = rdn__kernel(ctx, "shrink", x->dtype, NULL, "count_finish", &k2)) != RDN_OK)
    return s;
  size_t n = rdn_tensor_numel(x), accs = ctx->info.has_fp64 ? 8 : 4;
  size_t nw = n < COUNT_PARTS ? n : COUNT_PARTS;
  cl_ulong chunk = (n + nw - 1) / nw, cn = n, xo = x->offset, np;
  nw = (size_t)((n + chunk - 1) / chunk);
  np = nw;
  cl_mem part = rdn__buffer(ctx, fn, (nw + 1) * accs, &s);
  if (!part) return s;
  scal t = mk(threshold > 3e38 && x->dtype == RDN_F32 ? INFINITY : threshold);
  size_t one = 1;
  if ((s = RDN_ARGS(ctx, k1, "count_above_chunks", RDN_TARG(x, xo), RDN_ARG(cn), RDN_ARG(chunk),
                    SARG(x->dtype, t), RDN_ARG(part))) != RDN_OK ||
      (s = rdn__launch(ctx, k1, "count_above_chunks", 1, &nw, &one)) != RDN_OK ||
      (s = RDN_ARGS(ctx, k2, "count_finish", RDN_ARG(part), RDN_ARG(np))) != RDN_OK ||
      (s = rdn__launch(ctx, k2, "count_finish", 1, &one, &one)) != RDN_OK)
    goto done;
  unsigned char raw[8];
  cl_int e = clEnqueueReadBuffer(ctx->queue, part, CL_TRUE, 0, accs, raw, 0, NULL, NULL);
  if (e != CL_SUCCESS) {
    s = rdn__cl_fail(ctx, fn, "clEnqueueReadBuffer", e);
    goto done;
  }
  if (accs == 8) {
    double d;
    memcpy(&d, raw, 8);
    *count = (size_t)d;
  } else {
    float f;
    memcpy(&f, raw, 4);
    *count = (size_t)f;
  }
done:
  clReleaseMemObject(part);
  return s;
}

/* ---------------------------------------------------------------- complex */
rdn_status rdn_cabs(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x) {
  static const char *fn = "rdn_cabs";
  rdn_status s;
  cl_kernel k;
  char a[96], b[96];
  if (!ctx) return RDN_EINVAL;
  if ((s = need_dtype(ctx, fn, "out", out, RDN_F32)) != RDN_OK ||
      (s = need_dtype(ctx, fn, "x", x, RDN_C64)) != RDN_OK)
    return s;
  if (rdn_tensor_numel(out) != rdn_tensor_numel(x))
    return rdn__fail(ctx, RDN_EINVAL, "%s: size mismatch: 'out' is %s, 'x' is %s", fn,
                     rdn_tensor_shape_str(out, a, sizeof a), rdn_tensor_shape_str(x, b, sizeof b));
  if (any_overlap(out, x))
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'out' and 'x' overlap", fn);
  if ((s = rdn__kernel(ctx, "shrink", RDN_C64, NULL, "cabs", &k)) != RDN_OK) return s;
  cl_ulong oo = out->offset, xo = x->offset, n = rdn_tensor_numel(x);
  if ((s = RDN_ARGS(ctx, k, "cabs", RDN_TARG(out, oo), RDN_TARG(x, xo), RDN_ARG(n))) != RDN_OK)
    return s;
  size_t gws = (size_t)(n + 7) / 8;
  return rdn__launch(ctx, k, "cabs", 1, &gws, NULL);
}

rdn_status rdn_cmul_bank(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x,
                         const rdn_tensor *filt, int conj) {
  static const char *fn = "rdn_cmul_bank";
  rdn_status s;
  cl_kernel k;
  char a[96], b[96], c[96];
  if (!ctx) return RDN_EINVAL;
  if ((s = need_dtype(ctx, fn, "out", out, RDN_C64)) != RDN_OK ||
      (s = need_dtype(ctx, fn, "x", x, RDN_C64)) != RDN_OK ||
      (s = rdn__tensor_arg(ctx, fn, "filt", filt)) != RDN_OK)
    return s;
  if (filt->dtype != RDN_C64 && filt->dtype != RDN_F32)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'filt' is %s, want c64 or f32", fn,
                     rdn_dtype_name(filt->dtype));
  if (conj != 0 && conj != 1)
    return rdn__fail(ctx, RDN_EINVAL, "%s: bad conj flag: %d (0 or 1)", fn, conj);
  /* filt [F, P...] or [P...] (F = 1): P = numel / F; x [B, P...]; out [B, F, P...] */
  size_t nf = filt->ndim >= 2 ? filt->shape[0] : 1, np = rdn_tensor_numel(filt) / nf;
  size_t nx = rdn_tensor_numel(x);
  if (nx % np != 0 || rdn_tensor_numel(out) != nx / np * nf * np)
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: 'x' is %s, 'filt' is %s (%zu filters "
                     "of %zu points), 'out' is %s (want %zu elements)", fn,
                     rdn_tensor_shape_str(x, a, sizeof a), rdn_tensor_shape_str(filt, b, sizeof b),
                     nf, np, rdn_tensor_shape_str(out, c, sizeof c),
                     nx % np ? 0 : nx / np * nf * np);
  if (any_overlap(out, x) || any_overlap(out, filt))
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'out' overlaps an input", fn);
  int cplx = filt->dtype == RDN_C64;
  if (!cplx && conj) conj = 0;   /* a real filter is its own conjugate */
  if ((s = rdn__kernel(ctx, "shrink", RDN_C64, NULL, "cmul_bank", &k)) != RDN_OK) return s;
  cl_ulong oo = out->offset, xo = x->offset, ho = filt->offset, cp = np, cf = nf;
  cl_ulong nbf = nx / np * nf;
  cl_int cj = conj, cc = cplx;
  if ((s = RDN_ARGS(ctx, k, "cmul_bank", RDN_TARG(out, oo), RDN_TARG(x, xo), RDN_TARG(filt, ho),
                    RDN_ARG(cp), RDN_ARG(cf), RDN_ARG(nbf), RDN_ARG(cc), RDN_ARG(cj))) != RDN_OK)
    return s;
  size_t gws[2] = { (np + 63) / 64, (size_t)nbf };     /* CB_RUN = 64 points each */
  return rdn__launch(ctx, k, "cmul_bank", 2, gws, NULL);
}

rdn_status rdn_fourier_subsample(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x, int k) {
  static const char *fn = "rdn_fourier_subsample";
  rdn_status s;
  cl_kernel kr;
  char a[96], b[96];
  if (!ctx) return RDN_EINVAL;
  if ((s = need_dtype(ctx, fn, "out", out, RDN_C64)) != RDN_OK ||
      (s = need_dtype(ctx, fn, "x", x, RDN_C64)) != RDN_OK)
    return s;
  if (x->ndim < 2)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'x' must have rank >= 2 ([.., H, W]), got %s", fn,
                     rdn_tensor_shape_str(x, a, sizeof a));
  size_t h = x->shape[x->ndim - 2], w = x->shape[x->ndim - 1];
  if (k < 1 || h % (size_t)k || w % (size_t)k)
    return rdn__fail(ctx, RDN_EINVAL, "%s: bad factor k = %d for %zu x %zu (k >= 1 must divide "
                     "both)", fn, k, h, w);
  size_t nb = rdn_tensor_numel(x) / (h * w), hk = h / (size_t)k, wk = w / (size_t)k;
  if (out->ndim != x->ndim || out->shape[out->ndim - 2] != hk || out->shape[out->ndim - 1] != wk ||
      rdn_tensor_numel(out) != nb * hk * wk)
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: 'x' is %s, k = %d, 'out' is %s", fn,
                     rdn_tensor_shape_str(x, a, sizeof a), k,
                     rdn_tensor_shape_str(out, b, sizeof b));
  if (h * w > UINT32_MAX)
    return rdn__fail(ctx, RDN_EINVAL, "%s: planes of %zu x %zu are too large", fn, h, w);
  if (any_overlap(out, x)) return rdn__fail(ctx, RDN_EINVAL, "%s: 'out' overlaps 'x'", fn);
  if ((s = rdn__kernel(ctx, "shrink", RDN_C64, NULL, "periodize", &kr)) != RDN_OK) return s;
  /* rb output rows per work-item: input runs of >= 8 KiB (a few pages) where planes allow */
  size_t rb = 8192 / (w * 8) + 1;
  if (rb > hk) rb = hk;
  size_t nblk = (hk + rb - 1) / rb;
  cl_ulong oo = out->offset, xo = x->offset, nwi = nb * nblk;
  cl_uint ch = (cl_uint)h, cw = (cl_uint)w, ck = (cl_uint)k, crb = (cl_uint)rb;
  cl_uint cnb = (cl_uint)nblk;
  if ((s = RDN_ARGS(ctx, kr, "periodize", RDN_TARG(out, oo), RDN_TARG(x, xo), RDN_ARG(ch),
                    RDN_ARG(cw), RDN_ARG(ck), RDN_ARG(crb), RDN_ARG(cnb), RDN_ARG(nwi))) != RDN_OK)
    return s;
  size_t gws = (size_t)nwi;
  return rdn__launch(ctx, kr, "periodize", 1, &gws, NULL);
}

/* ------------------------------------------------------------- per channel */
rdn_status rdn_channel_stats(rdn_ctx *ctx, rdn_tensor *mean, rdn_tensor *var,
                             const rdn_tensor *x, size_t inner) {
  static const char *fn = "rdn_channel_stats";
  rdn_status s;
  cl_kernel k;
  size_t outer;
  char a[96], b[96];
  if (!ctx) return RDN_EINVAL;
  if ((s = need(ctx, fn, "x", x, 1)) != RDN_OK ||
      (s = need_dtype(ctx, fn, "mean", mean, x->dtype)) != RDN_OK ||
      (s = need_dtype(ctx, fn, "var", var, x->dtype)) != RDN_OK)
    return s;
  size_t nch = rdn_tensor_numel(mean);
  if (rdn_tensor_numel(var) != nch)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'mean' is %s, 'var' is %s (want equal sizes)", fn,
                     rdn_tensor_shape_str(mean, a, sizeof a),
                     rdn_tensor_shape_str(var, b, sizeof b));
  if ((s = channel_view(ctx, fn, x, nch, inner, &outer)) != RDN_OK) return s;
  if (any_overlap(mean, x) || any_overlap(var, x) || any_overlap(mean, var))
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'mean', 'var' and 'x' must not overlap", fn);
  if ((s = rdn__check_finite(ctx, fn, x, "x")) != RDN_OK) return s;
  if ((s = rdn__kernel(ctx, "shrink", x->dtype, NULL, "channel_stats", &k)) != RDN_OK) return s;
  cl_ulong mo = mean->offset, vo = var->offset, xo = x->offset, co = outer, cn = nch, ci = inner;
  if ((s = RDN_ARGS(ctx, k, "channel_stats", RDN_TARG(mean, mo), RDN_TARG(var, vo),
                    RDN_TARG(x, xo), RDN_ARG(co), RDN_ARG(cn), RDN_ARG(ci))) != RDN_OK)
    return s;
  return rdn__launch(ctx, k, "channel_stats", 1, &nch, NULL);
}

rdn_status rdn_channel_affine(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x,
                              const rdn_tensor *scale, const rdn_tensor *shift, size_t inner) {
  static const char *fn = "rdn_channel_affine";
  rdn_status s;
  size_t outer;
  if (!ctx) return RDN_EINVAL;
  if ((s = need(ctx, fn, "out", out, 1)) != RDN_OK || (s = need(ctx, fn, "x", x, 1)) != RDN_OK ||
      (s = same_as(ctx, fn, out, x)) != RDN_OK ||
      (s = need_dtype(ctx, fn, "scale", scale, x->dtype)) != RDN_OK ||
      (shift && (s = need_dtype(ctx, fn, "shift", shift, x->dtype)) != RDN_OK))
    return s;
  size_t nch = rdn_tensor_numel(scale);
  if (shift && rdn_tensor_numel(shift) != nch)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'scale' has %zu values, 'shift' %zu", fn, nch,
                     rdn_tensor_numel(shift));
  if ((s = channel_view(ctx, fn, x, nch, inner, &outer)) != RDN_OK) return s;
  if (any_overlap(out, scale) || (shift && any_overlap(out, shift)))
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'out' overlaps 'scale' or 'shift'", fn);
  const rdn_tensor *sh = shift ? shift : scale;
  cl_ulong so = scale->offset, ho = sh->offset;
  cl_int has = shift != NULL;
  rdn__karg extra[5] = { RDN_ARG(scale->buf), RDN_ARG(so), RDN_ARG(sh->buf), RDN_ARG(ho),
                         RDN_ARG(has) };
  return launch_channels(ctx, fn, "channel_affine", out, x, outer, nch, inner, 5, extra);
}

rdn_status rdn_channel_standardize(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x,
                                   const rdn_tensor *mean, const rdn_tensor *var, double eps,
                                   size_t inner) {
  static const char *fn = "rdn_channel_standardize";
  rdn_status s;
  size_t outer;
  if (!ctx) return RDN_EINVAL;
  if ((s = need(ctx, fn, "out", out, 1)) != RDN_OK || (s = need(ctx, fn, "x", x, 1)) != RDN_OK ||
      (s = same_as(ctx, fn, out, x)) != RDN_OK ||
      (s = need_dtype(ctx, fn, "mean", mean, x->dtype)) != RDN_OK ||
      (s = need_dtype(ctx, fn, "var", var, x->dtype)) != RDN_OK)
    return s;
  size_t nch = rdn_tensor_numel(mean);
  if (rdn_tensor_numel(var) != nch)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'mean' has %zu values, 'var' %zu", fn, nch,
                     rdn_tensor_numel(var));
  if (!isfinite(eps) || eps <= 0)
    return rdn__fail(ctx, RDN_EINVAL, "%s: eps must be finite and > 0, got %g", fn, eps);
  if ((s = channel_view(ctx, fn, x, nch, inner, &outer)) != RDN_OK) return s;
  if (any_overlap(out, mean) || any_overlap(out, var))
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'out' overlaps 'mean' or 'var'", fn);
  cl_ulong mo = mean->offset, vo = var->offset;
  scal e = mk(eps);
  rdn__karg extra[5] = { RDN_ARG(mean->buf), RDN_ARG(mo), RDN_ARG(var->buf), RDN_ARG(vo),
                         SARG(x->dtype, e) };
  return launch_channels(ctx, fn, "channel_standardize", out, x, outer, nch, inner, 5, extra);
}

/* --------------------------------------------------------------- transpose */
rdn_status rdn_transpose(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x, size_t rows,
                         size_t cols) {
  static const char *fn = "rdn_transpose";
  rdn_status s;
  cl_kernel k;
  char a[96], b[96];
  if (!ctx) return RDN_EINVAL;
  if ((s = rdn__tensor_arg(ctx, fn, "out", out)) != RDN_OK ||
      (s = rdn__tensor_arg(ctx, fn, "x", x)) != RDN_OK)
    return s;
  size_t n = rdn_tensor_numel(x);
  if (out->dtype != x->dtype || rdn_tensor_numel(out) != n || rows == 0 || cols == 0 ||
      n % rows != 0 || (n / rows) % cols != 0)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'x' %s %s is not [batch, %zu, %zu] or 'out' (%s %s) "
                     "differs", fn, rdn_dtype_name(x->dtype), rdn_tensor_shape_str(x, a, sizeof a),
                     rows, cols, rdn_dtype_name(out->dtype),
                     rdn_tensor_shape_str(out, b, sizeof b));
  if (any_overlap(out, x)) return rdn__fail(ctx, RDN_EINVAL, "%s: 'out' overlaps 'x'", fn);
  /* i32 moves as f32 bits */
  rdn_dtype dt = x->dtype == RDN_I32 ? RDN_F32 : x->dtype;
  if ((s = rdn__kernel(ctx, "shrink", dt, NULL, "transpose", &k)) != RDN_OK) return s;
  cl_ulong oo = out->offset, xo = x->offset, nr = rows, nc = cols, nb = n / rows / cols;
  if ((s = RDN_ARGS(ctx, k, "transpose", RDN_TARG(out, oo), RDN_TARG(x, xo), RDN_ARG(nr),
                    RDN_ARG(nc), RDN_ARG(nb))) != RDN_OK)
    return s;
  size_t gws[3] = { (rows + 7) / 8, (cols + 7) / 8, (size_t)nb };
  return rdn__launch(ctx, k, "transpose", 3, gws, NULL);
}
