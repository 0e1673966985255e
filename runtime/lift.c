/*
** lift.c -- the random lifting front-end of the shift-invariant ReduNet (SPEC §1.6):
** circular cross-correlation with fixed filters and an optional ReLU, on the device, either
** directly (circular extension + one tiled kernel) or by FFT (R2C, per-frequency products,
** C2R), AUTO by a weighted flop estimate.
*/
#include "rdn_impl.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Spectra of one sample chunk (x and y) at most this many bytes. */
#define LIFT_CHUNK_BYTES ((size_t)256 << 20)
/* Cost of an estimated FFT flop relative to a direct one, measured on PoCL (bench/bench_lift.c:
** clFFT + products vs the vectorised direct kernel): about 1.5 with 1-D transforms, 8 with
** 2-D ones (clFFT's 2-D plans run several passes).  The AUTO rule weighs the FFT by it. */
#define LIFT_FFT_WEIGHT_1D 1.5
#define LIFT_FFT_WEIGHT_2D 8.0

typedef struct {
  int two;                         /* 2-D operands (4 axes) */
  size_t m, cin, cout, h, w, kh, kw;
} geom;

/* Validates x and w (and out when not NULL): dtypes, shapes, kernel <= signal. */
static rdn_status check_shapes(rdn_ctx *ctx, const char *fn, const rdn_tensor *out,
                               const rdn_tensor *x, const rdn_tensor *w, geom *g) {
  char a[96], b[96], o[96];
  rdn_status s;
  if ((s = rdn__tensor_arg(ctx, fn, "x", x)) != RDN_OK ||
      (s = rdn__tensor_arg(ctx, fn, "w", w)) != RDN_OK ||
      (out && (s = rdn__tensor_arg(ctx, fn, "out", out)) != RDN_OK))
    return s;
  rdn_dtype dt = x->dtype;
  if (!rdn__is_real(dt) || w->dtype != dt || (out && out->dtype != dt))
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'x', 'w' and 'out' must share one of f32/f64, got "
                     "%s, %s, %s", fn, rdn_dtype_name(dt), rdn_dtype_name(w->dtype),
                     out ? rdn_dtype_name(out->dtype) : "-");
  /* 1-D: x [m, Cin, T], w [Cout, Cin, k]; 2-D: x [m, Cin, H, W], w [Cout, Cin, kh, kw] */
  g->two = x->ndim == 4;
  g->m = x->shape[0];
  g->cin = x->shape[1];
  g->h = g->two ? x->shape[2] : 1;
  g->w = x->shape[x->ndim - 1];
  g->cout = w->shape[0];
  g->kh = g->two ? w->shape[2] : 1;
  g->kw = w->shape[w->ndim - 1];
  int ok = (x->ndim == 3 || x->ndim == 4) && w->ndim == x->ndim && w->shape[1] == g->cin &&
           g->kw <= g->w && g->kh <= g->h;
  if (ok && out)
    ok = out->ndim == x->ndim && out->shape[0] == g->m && out->shape[1] == g->cout &&
         out->shape[out->ndim - 1] == g->w && (!g->two || out->shape[2] == g->h);
  if (!ok || g->cin > 0xffffffffu || g->cout > 0xffffffffu || g->h > 0xffffffffu ||
      g->w > 0xffffffffu)
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: x %s, w %s, out %s (want x [m, Cin, "
                     "(H,) W], w [Cout, Cin, (kh,) kw] with kernel <= signal, out [m, Cout, "
                     "(H,) W])", fn, rdn_tensor_shape_str(x, a, sizeof a),
                     rdn_tensor_shape_str(w, b, sizeof b),
                     out ? rdn_tensor_shape_str(out, o, sizeof o) : "-");
  return RDN_OK;
}

/* ------------------------------------------------------------------ direct */
#define LIFT_OB 8      /* output channels per work-item (kernels/lift.cl) */

/* x extended circularly into xp (so the tile kernel never wraps), then the tile kernel. */
static rdn_status lift_direct(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x,
                              const rdn_tensor *w, const geom *g, int relu) {
  cl_kernel kwr, kt;
  rdn_status s;
  rdn_tensor *xp = NULL;
  size_t strips = (g->w + 7) / 8, hp = g->h + g->kh - 1, wp = strips * 8 + g->kw - 1;
  size_t xs[3] = { g->m * g->cin, hp, wp };
  cl_ulong oo = out->offset, xo = x->offset, wo = w->offset, rows = xs[0], mm = g->m;
  cl_uint ci = (cl_uint)g->cin, co = (cl_uint)g->cout, hh = (cl_uint)g->h, w2 = (cl_uint)g->w,
          k1 = (cl_uint)g->kh, k2 = (cl_uint)g->kw, hq = (cl_uint)hp, wq = (cl_uint)wp;
  cl_int r = relu != 0;
  size_t gw1 = rows * hp * wp;
  size_t gws[3] = { strips, g->h, g->m * ((g->cout + LIFT_OB - 1) / LIFT_OB) };
  if ((s = rdn_tensor_new(ctx, &xp, x->dtype, 3, xs)) != RDN_OK ||
      (s = rdn__kernel(ctx, "lift", x->dtype, NULL, "lift_wrap", &kwr)) != RDN_OK ||
      (s = RDN_ARGS(ctx, kwr, "lift_wrap", RDN_ARG(xp->buf), RDN_TARG(x, xo), RDN_ARG(rows),
                    RDN_ARG(hh), RDN_ARG(w2), RDN_ARG(hq), RDN_ARG(wq))) != RDN_OK ||
      (s = rdn__launch(ctx, kwr, "lift_wrap", 1, &gw1, NULL)) != RDN_OK ||
      (s = rdn__kernel(ctx, "lift", x->dtype, NULL, "lift_tile", &kt)) != RDN_OK ||
      (s = RDN_ARGS(ctx, kt, "lift_tile", RDN_TARG(out, oo), RDN_ARG(xp->buf), RDN_TARG(w, wo),
                    RDN_ARG(mm), RDN_ARG(ci), RDN_ARG(co), RDN_ARG(hh), RDN_ARG(w2), RDN_ARG(k1),
                    RDN_ARG(k2), RDN_ARG(hq), RDN_ARG(wq), RDN_ARG(r))) != RDN_OK)
    goto done;
  s = rdn__launch(ctx, kt, "lift_tile", 3, gws, NULL);
done:
  rdn_tensor_release(xp);
  return s;
}

/* --------------------------------------------------------------------- FFT */
/* Transform geometry: rank 1 when H = 1 (a 4-D [.., 1, W] is laid out as [.., W]). */
static int fft_rank(const geom *g) { return g->h > 1 ? 2 : 1; }
static size_t nfreq(const geom *g) { return g->h * (g->w / 2 + 1); }

/* A plan over `batch` signals of the lift's size; an unsupported size is RDN_EUNSUPPORTED
** naming it (the provider's message follows). */
static rdn_status plan(rdn_ctx *ctx, const char *fn, const geom *g, rdn_fft_kind kind,
                       size_t batch, rdn_fft_plan **p) {
  size_t lens[2] = { g->h, g->w };
  int rank = fft_rank(g);
  rdn_status s = rdn_fft_plan_create(ctx, p, kind, rank, rank == 2 ? lens : lens + 1, batch,
                                     RDN_FFT_BACKWARD_NORM);
  if (s != RDN_EUNSUPPORTED) return s;
  char why[RDN_ERRLEN / 2];
  snprintf(why, sizeof why, "%s", rdn_ctx_error(ctx));
  if (g->two)
    return rdn__fail(ctx, s, "%s: FFT method cannot do size %zu x %zu: %s", fn, g->h, g->w, why);
  return rdn__fail(ctx, s, "%s: FFT method cannot do length %zu: %s", fn, g->w, why);
}

/* A scratch tensor [n, (H,) W] (f32) or [n, (H,) W/2+1] (c64, spec != 0). */
static rdn_status scratch(rdn_ctx *ctx, const geom *g, size_t n, int spec, rdn_tensor **t) {
  size_t shape[3] = { n, g->h, spec ? g->w / 2 + 1 : g->w };
  if (fft_rank(g) == 1) shape[1] = shape[2];
  return rdn_tensor_new(ctx, t, spec ? RDN_C64 : RDN_F32, fft_rank(g) + 1, shape);
}

/* kf [Cout Cin, F] = R2C of the filters zero-padded to the signal size. */
static rdn_status filter_spectra(rdn_ctx *ctx, const char *fn, const rdn_tensor *w,
                                 const geom *g, rdn_tensor *kf) {
  rdn_tensor *kp = NULL;
  rdn_fft_plan *p = NULL;
  cl_kernel kr;
  rdn_status s;
  size_t nk = g->cout * g->cin, gws = nk * g->h * g->w;
  cl_ulong wo = w->offset, n = nk;
  cl_uint hh = (cl_uint)g->h, ww = (cl_uint)g->w, k1 = (cl_uint)g->kh, k2 = (cl_uint)g->kw;
  if ((s = plan(ctx, fn, g, RDN_FFT_R2C, nk, &p)) != RDN_OK ||
      (s = scratch(ctx, g, nk, 0, &kp)) != RDN_OK ||
      (s = rdn__kernel(ctx, "lift", RDN_F32, NULL, "lift_pad", &kr)) != RDN_OK ||
      (s = RDN_ARGS(ctx, kr, "lift_pad", RDN_ARG(kp->buf), RDN_TARG(w, wo), RDN_ARG(n),
                    RDN_ARG(hh), RDN_ARG(ww), RDN_ARG(k1), RDN_ARG(k2))) != RDN_OK ||
      (s = rdn__launch(ctx, kr, "lift_pad", 1, &gws, NULL)) != RDN_OK)
    goto done;
  s = rdn_fft_execute(p, 0, kp, kf);
done:
  rdn_fft_plan_destroy(p);
  rdn_tensor_release(kp);
  return s;
}

/* y [n, Cout, F] = sum_c xf[n, c, F] conj(kf[Cout, c, F]). */
static rdn_status products(rdn_ctx *ctx, rdn_tensor *y, const rdn_tensor *xf,
                           const rdn_tensor *kf, const geom *g, size_t n) {
  cl_kernel kr;
  rdn_status s;
  cl_ulong nn = n;
  cl_uint ci = (cl_uint)g->cin, co = (cl_uint)g->cout, ff = (cl_uint)nfreq(g);
  size_t gws[2] = { (nfreq(g) + 7) / 8, n * g->cout };
  if ((s = rdn__kernel(ctx, "lift", RDN_F32, NULL, "lift_cmul", &kr)) != RDN_OK ||
      (s = RDN_ARGS(ctx, kr, "lift_cmul", RDN_ARG(y->buf), RDN_ARG(xf->buf), RDN_ARG(kf->buf),
                    RDN_ARG(nn), RDN_ARG(ci), RDN_ARG(co), RDN_ARG(ff))) != RDN_OK)
    return s;
  return rdn__launch(ctx, kr, "lift_cmul", 2, gws, NULL);
}

/* One chunk: samples [s0, s0 + n) of x into the same rows of out. */
static rdn_status fft_chunk(rdn_ctx *ctx, const char *fn, rdn_tensor *out, const rdn_tensor *x,
                            const rdn_tensor *kf, rdn_tensor *xf, rdn_tensor *yf, const geom *g,
                            size_t s0, size_t n) {
  rdn_tensor *xv = NULL, *ov = NULL;
  rdn_fft_plan *pf = NULL, *pi = NULL;
  rdn_status s;
  /* a view only reads x: the cast serves rdn_tensor_rows' signature */
  if ((s = rdn_tensor_rows(&xv, (rdn_tensor *)x, s0, n)) != RDN_OK ||
      (s = rdn_tensor_rows(&ov, out, s0, n)) != RDN_OK ||
      (s = plan(ctx, fn, g, RDN_FFT_R2C, n * g->cin, &pf)) != RDN_OK ||
      (s = plan(ctx, fn, g, RDN_FFT_C2R, n * g->cout, &pi)) != RDN_OK ||
      (s = rdn_fft_execute(pf, 0, xv, xf)) != RDN_OK ||
      (s = products(ctx, yf, xf, kf, g, n)) != RDN_OK)
    goto done;
  s = rdn_fft_execute(pi, 1, yf, ov);
done:
  rdn_fft_plan_destroy(pf);
  rdn_fft_plan_destroy(pi);
  rdn_tensor_release(xv);
  rdn_tensor_release(ov);
  return s;
}

static rdn_status lift_fft(rdn_ctx *ctx, const char *fn, rdn_tensor *out, const rdn_tensor *x,
                           const rdn_tensor *w, const geom *g, int relu) {
  rdn_tensor *kf = NULL, *xf = NULL, *yf = NULL, *xft = NULL, *yft = NULL;
  rdn_status s;
  size_t per = (g->cin + g->cout) * nfreq(g) * 8;     /* spectrum bytes per sample */
  size_t mc = LIFT_CHUNK_BYTES / per;
  const char *env = getenv("RDN_LIFT_CHUNK");   /* tests force several chunks */
  if (env && atol(env) > 0) mc = (size_t)atol(env);
  if (mc < 1) mc = 1;
  if (mc > g->m) mc = g->m;
  if ((s = scratch(ctx, g, g->cout * g->cin, 1, &kf)) != RDN_OK ||
      (s = filter_spectra(ctx, fn, w, g, kf)) != RDN_OK ||
      (s = scratch(ctx, g, mc * g->cin, 1, &xf)) != RDN_OK ||
      (s = scratch(ctx, g, mc * g->cout, 1, &yf)) != RDN_OK)
    goto done;
  for (size_t s0 = 0; s0 < g->m; s0 += mc) {
    size_t n = g->m - s0 < mc ? g->m - s0 : mc;
    rdn_tensor *xa = xf, *ya = yf;
    if (n < mc) {     /* the last, shorter chunk: leading rows of the scratch spectra */
      if ((s = rdn_tensor_rows(&xft, xf, 0, n * g->cin)) != RDN_OK ||
          (s = rdn_tensor_rows(&yft, yf, 0, n * g->cout)) != RDN_OK)
        goto done;
      xa = xft;
      ya = yft;
    }
    if ((s = fft_chunk(ctx, fn, out, x, kf, xa, ya, g, s0, n)) != RDN_OK) goto done;
  }
  if (relu) s = rdn_relu(ctx, out);
done:
  rdn_tensor_release(kf);
  rdn_tensor_release(xf);
  rdn_tensor_release(yf);
  rdn_tensor_release(xft);
  rdn_tensor_release(yft);
  return s;
}

/* ------------------------------------------------------------------- choice */
/* 1 when AUTO prefers the FFT by the documented flop estimate (rdn.h). */
static int fft_cheaper(const geom *g) {
  double m = (double)g->m, ci = (double)g->cin, co = (double)g->cout;
  double n = (double)g->h * (double)g->w, f = (double)nfreq(g);
  double direct = 2 * m * co * ci * n * (double)g->kh * (double)g->kw;
  double fft = 2.5 * n * log2(n > 2 ? n : 2) * (m * ci + co * ci + m * co) + 8 * m * co * ci * f;
  return (fft_rank(g) == 2 ? LIFT_FFT_WEIGHT_2D : LIFT_FFT_WEIGHT_1D) * fft < direct;
}

/* The method AUTO runs: direct for f64, by the estimate, and direct when the provider cannot
** plan the size (the probe plan stays in the ctx's plan cache for the run). */
static rdn_status choose(rdn_ctx *ctx, const char *fn, rdn_dtype dt, const geom *g,
                         rdn_lift_algo *algo) {
  rdn_fft_plan *p = NULL;
  *algo = RDN_LIFT_DIRECT;
  if (dt != RDN_F32 || !fft_cheaper(g)) return RDN_OK;
  rdn_status s = plan(ctx, fn, g, RDN_FFT_R2C, g->cout * g->cin, &p);
  rdn_fft_plan_destroy(p);
  if (s == RDN_EUNSUPPORTED) return RDN_OK;
  if (s == RDN_OK) *algo = RDN_LIFT_FFT;
  return s;
}

static rdn_status lift(rdn_ctx *ctx, const char *fn, rdn_tensor *out, const rdn_tensor *x,
                       const rdn_tensor *w, int relu, rdn_lift_algo algo) {
  geom g;
  rdn_status s;
  if (!ctx) return RDN_EINVAL;
  if ((unsigned)algo > RDN_LIFT_FFT)
    return rdn__fail(ctx, RDN_EINVAL, "%s: bad method: %d (RDN_LIFT_AUTO, RDN_LIFT_DIRECT or "
                     "RDN_LIFT_FFT)", fn, (int)algo);
  if ((s = check_shapes(ctx, fn, out, x, w, &g)) != RDN_OK) return s;
  if (algo == RDN_LIFT_FFT && x->dtype != RDN_F32)
    return rdn__fail(ctx, RDN_EUNSUPPORTED, "%s: the FFT method is f32 only (the FFT provider "
                     "is single precision), got %s: use RDN_LIFT_DIRECT or RDN_LIFT_AUTO", fn,
                     rdn_dtype_name(x->dtype));
  if ((s = rdn__check_finite(ctx, fn, x, "x")) != RDN_OK ||
      (s = rdn__check_finite(ctx, fn, w, "w")) != RDN_OK)
    return s;
  if (algo == RDN_LIFT_AUTO && (s = choose(ctx, fn, x->dtype, &g, &algo)) != RDN_OK) return s;
  if (algo == RDN_LIFT_FFT) return lift_fft(ctx, fn, out, x, w, &g, relu);
  return lift_direct(ctx, out, x, w, &g, relu);
}

rdn_status rdn_lift(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x, const rdn_tensor *w,
                    int relu) {
  return lift(ctx, "rdn_lift", out, x, w, relu, RDN_LIFT_AUTO);
}

rdn_status rdn_lift_method(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x,
                           const rdn_tensor *w, int relu, rdn_lift_algo algo) {
  return lift(ctx, "rdn_lift_method", out, x, w, relu, algo);
}

rdn_status rdn_lift_choose(rdn_ctx *ctx, const rdn_tensor *x, const rdn_tensor *w,
                           rdn_lift_algo *algo) {
  const char *fn = "rdn_lift_choose";
  geom g;
  rdn_status s;
  if (!ctx) return RDN_EINVAL;
  if (!algo) return rdn__fail(ctx, RDN_EINVAL, "%s: 'algo' is NULL", fn);
  if ((s = check_shapes(ctx, fn, NULL, x, w, &g)) != RDN_OK) return s;
  return choose(ctx, fn, x->dtype, &g, algo);
}
