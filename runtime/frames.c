/*
** frames.c -- frame measures (SPEC §2.1, §2.4; kernels/frames.cl): potential, coherence,
** Welch bound and tightness of a frame with atoms as columns, atom normalisation, the
** spectral norm ||B||_2^2 by power iteration, and the FFT form of a convolutional frame's
** potential.  The deep (induced) frame potential lives in dfp.c.
*/
#include "rdn_impl.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

rdn_dtype rdn__acc_dtype(const rdn_ctx *ctx) { return ctx->info.has_fp64 ? RDN_F64 : RDN_F32; }

/* A frame argument: f32/f64, 2-D [d, k]. */
rdn_status rdn__frame_arg(rdn_ctx *ctx, const char *fn, const char *arg, const rdn_tensor *b) {
  char sh[96];
  rdn_status s = rdn__tensor_arg(ctx, fn, arg, b);
  if (s != RDN_OK) return s;
  if (!rdn__is_real(b->dtype))
    return rdn__fail(ctx, RDN_EINVAL, "%s: '%s' is %s, want f32 or f64", fn, arg,
                     rdn_dtype_name(b->dtype));
  if (b->ndim != 2)
    return rdn__fail(ctx, RDN_EINVAL, "%s: '%s' must be a 2-D frame [d, k] (atoms as columns), "
                     "got %s", fn, arg, rdn_tensor_shape_str(b, sh, sizeof sh));
  return RDN_OK;
}

static rdn_status new_tensor(rdn_ctx *ctx, rdn_tensor **t, rdn_dtype dt, size_t n0, size_t n1) {
  size_t shape[2] = { n0, n1 };
  return rdn_tensor_new(ctx, t, dt, n1 ? 2 : 1, shape);
}

static rdn_status read_acc(rdn_ctx *ctx, rdn_tensor *t, double *out, size_t n) {
  if (t->dtype == RDN_F64) return rdn_tensor_read(t, out, n * sizeof(double));
  float f[8];
  rdn_status s = rdn_tensor_read(t, f, n * sizeof(float));
  for (size_t i = 0; i < n && i < 8; i++) out[i] = f[i];
  (void)ctx;
  return s;
}

/* nrm (acc [k]) = atom norms of b. */
static rdn_status col_norms(rdn_ctx *ctx, const rdn_tensor *b, rdn_tensor *nrm) {
  cl_kernel k;
  rdn_status s;
  cl_ulong off = b->offset, d = b->shape[0], kk = b->shape[1];
  if ((s = rdn__kernel(ctx, "frames", b->dtype, NULL, "col_norms", &k)) != RDN_OK ||
      (s = RDN_ARGS(ctx, k, "col_norms", RDN_TARG(b, off), RDN_ARG(d), RDN_ARG(kk),
                    RDN_ARG(nrm->buf))) != RDN_OK)
    return s;
  size_t gws = (size_t)kk;
  return rdn__launch(ctx, k, "col_norms", 1, &gws, NULL);
}

/* RDN_EVALUE naming the first all-zero atom of b, if any. */
rdn_status rdn__frame_zero_col(rdn_ctx *ctx, const char *fn, const char *arg,
                               const rdn_tensor *b) {
  char sh[96];
  cl_kernel k;
  cl_mem flag;
  cl_uint bad;
  rdn_status s;
  cl_ulong off = b->offset, d = b->shape[0], kk = b->shape[1];
  size_t gws = (size_t)kk;
  if ((s = rdn__flag_reset(ctx, fn, &flag)) != RDN_OK ||
      (s = rdn__kernel(ctx, "frames", b->dtype, NULL, "col_zero", &k)) != RDN_OK ||
      (s = RDN_ARGS(ctx, k, "col_zero", RDN_TARG(b, off), RDN_ARG(d), RDN_ARG(kk),
                    RDN_ARG(flag))) != RDN_OK ||
      (s = rdn__launch(ctx, k, "col_zero", 1, &gws, NULL)) != RDN_OK ||
      (s = rdn__flag_read(ctx, fn, &bad)) != RDN_OK)
    return s;
  if (bad != UINT32_MAX)
    return rdn__fail(ctx, RDN_EVALUE, "%s: frame '%s' %s has a zero column: atom %u", fn, arg,
                     rdn_tensor_shape_str(b, sh, sizeof sh), bad);
  return RDN_OK;
}

rdn_status rdn_frame_stats(rdn_ctx *ctx, const rdn_tensor *b, rdn_frame_info *st) {
  static const char *fn = "rdn_frame_stats";
  rdn_status s;
  char sh[96];
  cl_kernel kr, kf;
  if (!ctx) return RDN_EINVAL;
  if (!st) return rdn__fail(ctx, RDN_EINVAL, "%s: 'st' is NULL", fn);
  memset(st, 0, sizeof *st);
  if ((s = rdn__frame_arg(ctx, fn, "b", b)) != RDN_OK) return s;
  if ((s = rdn__check_finite(ctx, fn, b, "b")) != RDN_OK) return s;
  size_t d = b->shape[0], k = b->shape[1];
  rdn_dtype adt = rdn__acc_dtype(ctx);
  rdn_tensor *nrm = NULL, *rsum = NULL, *rmax = NULL, *fin = NULL, *g = NULL, *sg = NULL;
  double o[6], ssq = 0;
  if ((s = new_tensor(ctx, &nrm, adt, k, 0)) != RDN_OK ||
      (s = new_tensor(ctx, &rsum, adt, k, 0)) != RDN_OK ||
      (s = new_tensor(ctx, &rmax, adt, k, 0)) != RDN_OK ||
      (s = new_tensor(ctx, &fin, adt, 6, 0)) != RDN_OK ||
      (s = new_tensor(ctx, &g, b->dtype, k, k)) != RDN_OK ||
      (s = new_tensor(ctx, &sg, b->dtype, d, d)) != RDN_OK)
    goto done;
  if ((s = col_norms(ctx, b, nrm)) != RDN_OK) goto done;
  if ((s = rdn_gram(ctx, g, b, RDN_GRAM_COLS, 1.0, 0.0)) != RDN_OK) goto done;
  cl_ulong goff = g->offset, kk = k;
  if ((s = rdn__kernel(ctx, "frames", b->dtype, NULL, "gram_rows", &kr)) != RDN_OK ||
      (s = RDN_ARGS(ctx, kr, "gram_rows", RDN_TARG(g, goff), RDN_ARG(kk), RDN_ARG(nrm->buf),
                    RDN_ARG(rsum->buf), RDN_ARG(rmax->buf))) != RDN_OK ||
      (s = rdn__launch(ctx, kr, "gram_rows", 1, &k, NULL)) != RDN_OK)
    goto done;
  size_t one = 1;
  if ((s = rdn__kernel(ctx, "frames", b->dtype, NULL, "frame_finish", &kf)) != RDN_OK ||
      (s = RDN_ARGS(ctx, kf, "frame_finish", RDN_ARG(kk), RDN_ARG(nrm->buf), RDN_ARG(rsum->buf),
                    RDN_ARG(rmax->buf), RDN_ARG(fin->buf))) != RDN_OK ||
      (s = rdn__launch(ctx, kf, "frame_finish", 1, &one, NULL)) != RDN_OK ||
      (s = read_acc(ctx, fin, o, 6)) != RDN_OK)
    goto done;
  if (o[5] >= 0) {
    s = rdn__fail(ctx, RDN_EVALUE, "%s: 'b' %s has a zero column: atom %.0f", fn,
                  rdn_tensor_shape_str(b, sh, sizeof sh), o[5]);
    goto done;
  }
  st->d = d;
  st->k = k;
  if ((s = rdn_sumsq(ctx, g, &st->fp)) != RDN_OK) goto done;
  st->fp_unit = o[0];
  st->fp_bound = k > d ? (double)k * k / d : (double)k;
  st->coherence = k > 1 ? o[1] : 0;
  st->welch = k > d ? sqrt((double)(k - d) / ((double)d * (k - 1))) : 0;
  st->norm_min = o[2];
  st->norm_max = o[3];
  st->tight_a = o[4] / d;
  /* S - aI in one Gram call; ||S||_F^2 = ||B^T B||_F^2 = fp, and tr(S - aI) = 0 gives
  ** ||S - I||^2 = ||S - aI||^2 + (a - 1)^2 d. */
  if ((s = rdn_gram(ctx, sg, b, RDN_GRAM_ROWS, 1.0, -st->tight_a)) != RDN_OK ||
      (s = rdn_sumsq(ctx, sg, &ssq)) != RDN_OK)
    goto done;
  st->tight_err = st->fp > 0 ? sqrt(ssq / st->fp) : 0;
  st->parseval_err = sqrt(ssq + (st->tight_a - 1) * (st->tight_a - 1) * d);
done:
  rdn_tensor_release(nrm);
  rdn_tensor_release(rsum);
  rdn_tensor_release(rmax);
  rdn_tensor_release(fin);
  rdn_tensor_release(g);
  rdn_tensor_release(sg);
  return s;
}

rdn_status rdn_frame_normalize(rdn_ctx *ctx, rdn_tensor *b, rdn_frame_norm mode) {
  static const char *fn = "rdn_frame_normalize";
  rdn_status s;
  char sh[96];
  cl_kernel k;
  cl_mem flag;
  cl_uint bad;
  if (!ctx) return RDN_EINVAL;
  if ((s = rdn__frame_arg(ctx, fn, "b", b)) != RDN_OK) return s;
  if (mode != RDN_FRAME_UNIT && mode != RDN_FRAME_BALL)
    return rdn__fail(ctx, RDN_EINVAL, "%s: bad mode: %d", fn, (int)mode);
  if ((s = rdn__check_finite(ctx, fn, b, "b")) != RDN_OK) return s;
  cl_ulong off = b->offset, d = b->shape[0], kk = b->shape[1];
  cl_int m = (cl_int)mode;
  size_t gws = (size_t)kk;
  if ((s = rdn__flag_reset(ctx, fn, &flag)) != RDN_OK ||
      (s = rdn__kernel(ctx, "frames", b->dtype, NULL, "col_normalize", &k)) != RDN_OK ||
      (s = RDN_ARGS(ctx, k, "col_normalize", RDN_TARG(b, off), RDN_ARG(d), RDN_ARG(kk),
                    RDN_ARG(m), RDN_ARG(flag))) != RDN_OK ||
      (s = rdn__launch(ctx, k, "col_normalize", 1, &gws, NULL)) != RDN_OK ||
      (s = rdn__flag_read(ctx, fn, &bad)) != RDN_OK)
    return s;
  if (bad != UINT32_MAX)
    return rdn__fail(ctx, RDN_EVALUE, "%s: 'b' %s has a zero column: atom %u (cannot be "
                     "scaled to unit norm)", fn, rdn_tensor_shape_str(b, sh, sizeof sh), bad);
  return RDN_OK;
}

rdn_status rdn_frame_norm2(rdn_ctx *ctx, double *out, const rdn_tensor *b, int iters,
                           double tol, uint64_t seed) {
  static const char *fn = "rdn_frame_norm2";
  rdn_status s;
  if (!ctx) return RDN_EINVAL;
  if (!out) return rdn__fail(ctx, RDN_EINVAL, "%s: 'out' is NULL", fn);
  *out = 0;
  if ((s = rdn__frame_arg(ctx, fn, "b", b)) != RDN_OK) return s;
  if (iters < 1) return rdn__fail(ctx, RDN_EINVAL, "%s: iters must be >= 1, got %d", fn, iters);
  if (!(tol >= 0) || !isfinite(tol))
    return rdn__fail(ctx, RDN_EINVAL, "%s: tol must be finite and >= 0, got %g", fn, tol);
  if ((s = rdn__check_finite(ctx, fn, b, "b")) != RDN_OK) return s;
  size_t d = b->shape[0], k = b->shape[1], n = k <= d ? k : d;
  rdn_tensor *g = NULL, *v = NULL, *u = NULL;
  if ((s = new_tensor(ctx, &g, b->dtype, n, n)) != RDN_OK ||
      (s = new_tensor(ctx, &v, b->dtype, 1, n)) != RDN_OK ||
      (s = new_tensor(ctx, &u, b->dtype, 1, n)) != RDN_OK)
    goto done;
  /* the smaller Gram has the same top eigenvalue: ||B||^2 = l_max(B^T B) = l_max(B B^T) */
  if ((s = rdn_gram(ctx, g, b, k <= d ? RDN_GRAM_COLS : RDN_GRAM_ROWS, 1.0, 0.0)) != RDN_OK ||
      (s = rdn_randn(ctx, v, seed)) != RDN_OK ||
      (s = rdn_normalize_rows(ctx, v, 1e-30)) != RDN_OK)
    goto done;
  /* For a unit v, ||G v|| <= l_max and it rises to l_max: check it every 8 steps. */
  double prev = -1, lam = 0;
  for (int it = 1; it <= iters; it++) {
    if ((s = rdn_gemm(ctx, RDN_NOTRANS, RDN_NOTRANS, 1.0, v, g, 0.0, u)) != RDN_OK) goto done;
    if (it % 8 == 0 || it == iters) {
      double ss;
      if ((s = rdn_sumsq(ctx, u, &ss)) != RDN_OK) goto done;
      lam = sqrt(ss);
      if (lam == 0 || (prev >= 0 && fabs(lam - prev) <= tol * lam)) break;
      prev = lam;
    }
    if ((s = rdn_normalize_rows(ctx, u, 1e-30)) != RDN_OK) goto done;
    rdn_tensor *t = v;
    v = u;
    u = t;
  }
  *out = lam;
done:
  rdn_tensor_release(g);
  rdn_tensor_release(v);
  rdn_tensor_release(u);
  return s;
}

/* ---- convolutional frames (SPEC §2.4) ------------------------------------------------ */
rdn_status rdn_conv_frame_potential(rdn_ctx *ctx, double *fp, const rdn_tensor *h, size_t p) {
  static const char *fn = "rdn_conv_frame_potential";
  rdn_status s;
  char sh[96];
  cl_kernel kp, kf;
  if (!ctx) return RDN_EINVAL;
  if (!fp) return rdn__fail(ctx, RDN_EINVAL, "%s: 'fp' is NULL", fn);
  *fp = 0;
  if ((s = rdn__tensor_arg(ctx, fn, "h", h)) != RDN_OK) return s;
  if (h->dtype != RDN_F32)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'h' is %s, want f32 (the FFT is single precision)",
                     fn, rdn_dtype_name(h->dtype));
  if (h->ndim != 3 && h->ndim != 4)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'h' must be [k, d, f] or [k, d, f, f] filters, got %s",
                     fn, rdn_tensor_shape_str(h, sh, sizeof sh));
  int rank = h->ndim - 2;
  size_t k = h->shape[0], d = h->shape[1], f1 = rank == 2 ? h->shape[2] : 1;
  size_t f2 = h->shape[h->ndim - 1], p1 = rank == 2 ? p : 1;
  if (p < 1 || f1 > p1 || f2 > p)
    return rdn__fail(ctx, RDN_EINVAL, "%s: signal length p = %zu is smaller than the filters %s",
                     fn, p, rdn_tensor_shape_str(h, sh, sizeof sh));
  if ((s = rdn__check_finite(ctx, fn, h, "h")) != RDN_OK) return s;
  size_t half = p / 2 + 1, nf = k * d, nfreq = p1 * half;
  size_t lens[2] = { p1, p }, rshape[3] = { nf, p1, p }, cshape[3] = { nf, p1, half };
  rdn_tensor *pad = NULL, *spec = NULL, *part = NULL;
  rdn_fft_plan *plan = NULL;
  if ((s = rdn_tensor_new(ctx, &pad, RDN_F32, 3, rshape)) != RDN_OK ||
      (s = rdn_tensor_new(ctx, &spec, RDN_C64, 3, cshape)) != RDN_OK ||
      (s = new_tensor(ctx, &part, rdn__acc_dtype(ctx), nfreq, 0)) != RDN_OK)
    goto done;
  cl_ulong ho = h->offset, po = 0, so = 0, F1 = f1, F2 = f2, P1 = p1, P2 = p, NF = nf;
  cl_ulong KK = k, DD = d, NQ = nfreq, HF = half, PL = p;
  size_t gws = nf * p1 * p;
  if ((s = rdn__kernel(ctx, "frames", RDN_F32, NULL, "conv_pad", &kp)) != RDN_OK ||
      (s = RDN_ARGS(ctx, kp, "conv_pad", RDN_TARG(h, ho), RDN_ARG(F1), RDN_ARG(F2), RDN_ARG(P1),
                    RDN_ARG(P2), RDN_ARG(NF), RDN_ARG(pad->buf), RDN_ARG(po))) != RDN_OK ||
      (s = rdn__launch(ctx, kp, "conv_pad", 1, &gws, NULL)) != RDN_OK)
    goto done;
  /* unnormalised forward DFT (SPEC §2.4 states the formula for it) */
  if ((s = rdn_fft_plan_create(ctx, &plan, RDN_FFT_R2C, rank, rank == 2 ? lens : lens + 1, nf,
                               RDN_FFT_BACKWARD_NORM)) != RDN_OK ||
      (s = rdn_fft_execute(plan, 0, pad, spec)) != RDN_OK)
    goto done;
  if ((s = rdn__kernel(ctx, "frames", RDN_F32, NULL, "conv_fp_freq", &kf)) != RDN_OK ||
      (s = RDN_ARGS(ctx, kf, "conv_fp_freq", RDN_TARG(spec, so), RDN_ARG(KK), RDN_ARG(DD),
                    RDN_ARG(NQ), RDN_ARG(HF), RDN_ARG(PL), RDN_ARG(part->buf))) != RDN_OK ||
      (s = rdn__launch(ctx, kf, "conv_fp_freq", 1, &nfreq, NULL)) != RDN_OK ||
      (s = rdn_sum(ctx, part, fp)) != RDN_OK)
    goto done;
done:
  rdn_fft_plan_destroy(plan);
  rdn_tensor_release(pad);
  rdn_tensor_release(spec);
  rdn_tensor_release(part);
  return s;
}
