/*
** spectral.c -- the shift-invariant ReduNet in the spectral domain (SPEC §1.4-1.6): ortho
** FFT into / out of the per-frequency layout v [F, m, C] and the layer: one pass over
** sample chunks, all k + 1 operators in one wide GEMM per frequency, then class norms,
** memberships, update and renormalisation kernels (operators: spectral_ops.c).
*/
#include "spectral_int.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAXK RDN_SPEC_MAXK
#define CHUNK_MIN ((size_t)64 << 20)     /* applied-operator scratch budget: at least, */
#define CHUNK_MAX ((size_t)2 << 30)      /* at most (kept by the context between calls) */
/* Class norms while the block is in cache (L3); 6 MiB rather than 4: fewer, larger GEMM
** launches, measured 7% less apply time at C = 35, m = 500 (4 frequencies per block). */
#define FBLOCK_BYTES ((size_t)6 << 20)

size_t rdn__spec_qcols(const rdn_spectral_geom *g) { return g->half ? g->w / 2 + 1 : g->w; }
size_t rdn__spec_rows(const rdn_spectral_geom *g) { return g->rank == 2 ? g->h : 1; }

size_t rdn_spectral_nfreq(const rdn_spectral_geom *g) {
  return g ? rdn__spec_rows(g) * rdn__spec_qcols(g) : 0;
}

static rdn_status need_geom(rdn_ctx *ctx, const char *fn, const rdn_spectral_geom *g) {
  if (!g) return rdn__fail(ctx, RDN_EINVAL, "%s: 'geom' is NULL", fn);
  if (g->rank != 1 && g->rank != 2)
    return rdn__fail(ctx, RDN_EINVAL, "%s: bad rank: %d (1 or 2)", fn, g->rank);
  if (g->w < 1 || rdn__spec_rows(g) < 1 || g->w > 1u << 24 || rdn__spec_rows(g) > 1u << 24)
    return rdn__fail(ctx, RDN_EINVAL, "%s: bad signal size: h = %zu, w = %zu", fn, g->h, g->w);
  return RDN_OK;
}

rdn_status rdn__spec_need_tensor(rdn_ctx *ctx, const char *fn, const char *arg,
                                 const rdn_tensor *t, rdn_dtype dt) {
  if (!t) return rdn__fail(ctx, RDN_EINVAL, "%s: '%s' is NULL", fn, arg);
  if (t->ctx != ctx)
    return rdn__fail(ctx, RDN_EINVAL, "%s: '%s' belongs to another context", fn, arg);
  if (t->dtype != dt)
    return rdn__fail(ctx, RDN_EINVAL, "%s: '%s' must be %s, got %s", fn, arg,
                     rdn_dtype_name(dt), rdn_dtype_name(t->dtype));
  return RDN_OK;
}

rdn_status rdn__spec_need_spectra(rdn_ctx *ctx, const char *fn, const rdn_tensor *v,
                                  const rdn_spectral_geom *g, size_t *m, size_t *c) {
  char a[96];
  rdn_status s;
  if ((s = need_geom(ctx, fn, g)) != RDN_OK) return s;
  if ((s = rdn__spec_need_tensor(ctx, fn, "v", v, RDN_C64)) != RDN_OK) return s;
  size_t f = rdn_spectral_nfreq(g);
  if (v->ndim != 3 || v->shape[0] != f)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'v' must be c64 [%zu x m x C] (%zu frequencies for "
                     "%s size %zu x %zu), got %s", fn, f, f, g->half ? "half-spectrum" : "full",
                     rdn__spec_rows(g), g->w, rdn_tensor_shape_str(v, a, sizeof a));
  *m = v->shape[1];
  *c = v->shape[2];
  return RDN_OK;
}

/* x must be f32 [m, C, T] (rank 1) or [m, C, H, W] (rank 2) matching the geometry. */
static rdn_status need_signals(rdn_ctx *ctx, const char *fn, const char *arg,
                               const rdn_tensor *x, const rdn_spectral_geom *g, size_t m,
                               size_t c) {
  char a[96];
  rdn_status s;
  if ((s = rdn__spec_need_tensor(ctx, fn, arg, x, RDN_F32)) != RDN_OK) return s;
  int nd = g->rank + 2;
  int ok = x->ndim == nd && x->shape[0] == m && x->shape[1] == c &&
           x->shape[nd - 1] == g->w && (g->rank == 1 || x->shape[2] == g->h);
  if (!ok) {
    if (g->rank == 1)
      return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: '%s' must be f32 [%zu x %zu x %zu], "
                       "got %s", fn, arg, m, c, g->w, rdn_tensor_shape_str(x, a, sizeof a));
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: '%s' must be f32 [%zu x %zu x %zu x "
                     "%zu], got %s", fn, arg, m, c, g->h, g->w,
                     rdn_tensor_shape_str(x, a, sizeof a));
  }
  return RDN_OK;
}

/* FFT plan over [m C] signals of the geometry's lengths. */
static rdn_status plan(rdn_ctx *ctx, rdn_fft_plan **p, rdn_fft_kind kind,
                       const rdn_spectral_geom *g, size_t batch) {
  size_t len[2] = { g->h, g->w };
  return rdn_fft_plan_create(ctx, p, kind, g->rank, g->rank == 2 ? len : len + 1, batch,
                             RDN_FFT_ORTHO);
}

/* One-element-per-item copy kernel between f32 and c64 (spec_to_complex / spec_real_part). */
static rdn_status copy_kernel(rdn_ctx *ctx, const char *name, rdn_tensor *out,
                              const rdn_tensor *x) {
  cl_kernel k;
  rdn_status s;
  cl_ulong oo = out->offset, xo = x->offset, n = rdn_tensor_numel(x);
  if ((s = rdn__kernel(ctx, "spectral", RDN_C64, NULL, name, &k)) != RDN_OK ||
      (s = RDN_ARGS(ctx, k, name, RDN_TARG(out, oo), RDN_TARG(x, xo), RDN_ARG(n))) != RDN_OK)
    return s;
  size_t gws = (size_t)n;
  return rdn__launch(ctx, k, name, 1, &gws, NULL);
}

rdn_status rdn_spectral_enter(rdn_ctx *ctx, rdn_tensor *v, const rdn_tensor *x,
                              const rdn_spectral_geom *g) {
  const char *fn = "rdn_spectral_enter";
  size_t m, c;
  rdn_status s;
  if (!ctx) return RDN_EINVAL;
  if ((s = rdn__spec_need_spectra(ctx, fn, v, g, &m, &c)) != RDN_OK) return s;
  if ((s = need_signals(ctx, fn, "x", x, g, m, c)) != RDN_OK) return s;
  if ((s = rdn__check_finite(ctx, fn, x, "x")) != RDN_OK) return s;
  size_t f = rdn_spectral_nfreq(g);
  size_t shape[4] = { m, c, g->rank == 2 ? g->h : rdn__spec_qcols(g), rdn__spec_qcols(g) };
  rdn_tensor *tmp = NULL, *xc = NULL;
  rdn_fft_plan *p = NULL;
  if ((s = plan(ctx, &p, g->half ? RDN_FFT_R2C : RDN_FFT_C2C, g, m * c)) != RDN_OK) return s;
  if ((s = rdn_tensor_new(ctx, &tmp, RDN_C64, g->rank + 2, shape)) != RDN_OK) goto done;
  if (g->half) {
    s = rdn_fft_execute(p, 0, x, tmp);
  } else if ((s = rdn_tensor_new(ctx, &xc, RDN_C64, g->rank + 2, shape)) == RDN_OK &&
             (s = copy_kernel(ctx, "spec_to_complex", xc, x)) == RDN_OK) {
    s = rdn_fft_execute(p, 0, xc, tmp);
  }
  if (s == RDN_OK) s = rdn_transpose(ctx, v, tmp, m * c, f);
done:
  rdn_fft_plan_destroy(p);
  rdn_tensor_release(tmp);
  rdn_tensor_release(xc);
  return s;
}

rdn_status rdn_spectral_leave(rdn_ctx *ctx, rdn_tensor *x, const rdn_tensor *v,
                              const rdn_spectral_geom *g) {
  const char *fn = "rdn_spectral_leave";
  size_t m, c;
  rdn_status s;
  if (!ctx) return RDN_EINVAL;
  if ((s = rdn__spec_need_spectra(ctx, fn, v, g, &m, &c)) != RDN_OK) return s;
  if ((s = need_signals(ctx, fn, "x", x, g, m, c)) != RDN_OK) return s;
  size_t f = rdn_spectral_nfreq(g);
  size_t shape[4] = { m, c, g->rank == 2 ? g->h : rdn__spec_qcols(g), rdn__spec_qcols(g) };
  size_t flat[2] = { m, c * rdn__spec_rows(g) * g->w };
  rdn_tensor *tmp = NULL, *xc = NULL, *x2 = NULL;
  rdn_fft_plan *p = NULL;
  if ((s = plan(ctx, &p, g->half ? RDN_FFT_C2R : RDN_FFT_C2C, g, m * c)) != RDN_OK) return s;
  if ((s = rdn_tensor_new(ctx, &tmp, RDN_C64, g->rank + 2, shape)) != RDN_OK ||
      (s = rdn_transpose(ctx, tmp, v, f, m * c)) != RDN_OK)
    goto done;
  if (g->half) {
    s = rdn_fft_execute(p, 1, tmp, x);
  } else if ((s = rdn_tensor_new(ctx, &xc, RDN_C64, g->rank + 2, shape)) == RDN_OK &&
             (s = rdn_fft_execute(p, 1, tmp, xc)) == RDN_OK) {
    s = copy_kernel(ctx, "spec_real_part", x, xc);
  }
  if (s == RDN_OK && (s = rdn_tensor_reshape(&x2, x, 2, flat)) == RDN_OK)
    s = rdn_normalize_rows(ctx, x2, 1e-8);
done:
  rdn_fft_plan_destroy(p);
  rdn_tensor_release(tmp);
  rdn_tensor_release(xc);
  rdn_tensor_release(x2);
  return s;
}

rdn_status rdn_spectral_magnitude(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *v,
                                  const rdn_spectral_geom *g) {
  const char *fn = "rdn_spectral_magnitude";
  char a[96];
  size_t m, c;
  rdn_status s;
  if (!ctx) return RDN_EINVAL;
  if ((s = rdn__spec_need_spectra(ctx, fn, v, g, &m, &c)) != RDN_OK) return s;
  if ((s = rdn__spec_need_tensor(ctx, fn, "out", out, RDN_F32)) != RDN_OK) return s;
  size_t f = rdn_spectral_nfreq(g);
  if (out->ndim < 2 || out->shape[0] != m || rdn_tensor_numel(out) != m * c * f)
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: 'out' must be f32 [%zu x %zu] (m x "
                     "C F), got %s", fn, m, c * f, rdn_tensor_shape_str(out, a, sizeof a));
  cl_kernel k;
  cl_ulong oo = out->offset, vo = v->offset, ff = f, mm = m, cc = c, ww = g->w;
  cl_ulong qc = rdn__spec_qcols(g);
  cl_int half = g->half;
  if ((s = rdn__kernel(ctx, "spectral", RDN_C64, NULL, "spec_magnitude", &k)) != RDN_OK ||
      (s = RDN_ARGS(ctx, k, "spec_magnitude", RDN_TARG(out, oo), RDN_TARG(v, vo), RDN_ARG(ff),
                    RDN_ARG(mm), RDN_ARG(cc), RDN_ARG(qc), RDN_ARG(ww), RDN_ARG(half))) != RDN_OK)
    return s;
  size_t gws = f * m * c;
  return rdn__launch(ctx, k, "spec_magnitude", 1, &gws, NULL);
}

rdn_status rdn__spec_need_labels(rdn_ctx *ctx, const char *fn, const rdn_tensor *y, size_t m,
                                 int k, long *counts) {
  char a[96];
  rdn_status s;
  if ((s = rdn__spec_need_tensor(ctx, fn, "labels", y, RDN_I32)) != RDN_OK) return s;
  if (rdn_tensor_numel(y) != m)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'labels' must have %zu entries, got %s", fn, m,
                     rdn_tensor_shape_str(y, a, sizeof a));
  if (k < 1 || k > MAXK)
    return rdn__fail(ctx, RDN_EINVAL, "%s: number of classes %d outside [1, %d]", fn, k, MAXK);
  if ((s = rdn_label_counts(ctx, y, k, counts)) != RDN_OK)
    return rdn__fail(ctx, s, "%s: %s", fn, strchr(rdn_ctx_error(ctx), ' ') + 1);
  for (int j = 0; j < k; j++)
    if (counts[j] < 1)
      return rdn__fail(ctx, RDN_EVALUE, "%s: empty class: class %d has no samples, k = %d", fn,
                       j, k);
  return RDN_OK;
}

/* A device buffer of n acc values (double where the device has fp64). */
static cl_mem acc_buffer(rdn_ctx *ctx, const char *fn, size_t n, rdn_status *st) {
  return rdn__buffer(ctx, fn, n * (ctx->info.has_fp64 ? 8 : 4), st);
}

/* The operators a layer applies: w, widened per frequency block into wt [fb, C, (k+1) C]
** (the direct form, all k + 1 side by side: one GEMM per frequency; the block is still in
** cache when the GEMM packs it), or the Woodbury form wb with two scratch buffers of
** F mc mmax elements. */
typedef struct {
  const rdn_tensor *w;         /* direct: the operators [k+1, F, C, C] */
  cl_mem wt;                   /* direct: a frequency block of them widened */
  const rdn_spectral_wb *wb;
  cl_mem t1, t2;
} op_src;

/* A strided batch over the F frequencies: [mm x nn] = op(A) [mm x kk] op(B), C64. */
static rdn__gemm_raw job(size_t f, size_t mm, size_t nn, size_t kk, int tb) {
  rdn__gemm_raw j;
  memset(&j, 0, sizeof j);
  j.dt = RDN_C64;
  j.tb = tb;
  j.m = mm;
  j.n = nn;
  j.k = kk;
  j.batch = f;
  return j;
}

/* The A operand: rows [s0, s0 + mc) of every frequency's [m, C] matrix of v. */
static void from_v(rdn__gemm_raw *j, const rdn_tensor *v, size_t m, size_t c, size_t s0) {
  j->a = v->buf;
  j->aoff = v->offset + s0 * c;
  j->lda = c;
  j->sa = m * c;
}

/* p [F, mc, (k+1) C] at frequencies [f0, f0 + f) = the k + 1 applied operators, (Op_j v)^T
** in column block j, for the samples [s0, s0 + mc) of v [F, m, C].  Woodbury class blocks:
** a_j (v^T - ((v^T Z_j^H) N_j) Z_j), three GEMMs with inner sizes C, m_j, m_j. */
static rdn_status apply_ops(rdn_ctx *ctx, const rdn_tensor *v, const op_src *o, cl_mem p,
                            size_t f, size_t m, size_t c, int k, size_t s0, size_t mc,
                            size_t f0) {
  size_t ld = (size_t)(k + 1) * c;
  const rdn_spectral_wb *wb = o->wb;
  rdn__gemm_raw j = job(f, mc, wb ? c : ld, c, 0);
  rdn_status s;
  from_v(&j, v, m, c, s0 + f0 * m);
  j.b = wb ? wb->e->buf : o->wt;
  j.boff = wb ? wb->e->offset + f0 * c * j.n : 0;
  if (!wb) {
    cl_kernel kw;
    cl_ulong wo = o->w->offset, ff = o->w->shape[1], fo = f0, fb = f, cc = c;
    cl_uint k1 = (cl_uint)k + 1;
    size_t rows = f * c * (size_t)k1;
    if ((s = rdn__kernel(ctx, "spectral", RDN_C64, NULL, "spec_widen", &kw)) != RDN_OK ||
        (s = RDN_ARGS(ctx, kw, "spec_widen", RDN_ARG(o->wt), RDN_ARG(o->w->buf), RDN_ARG(wo),
                      RDN_ARG(ff), RDN_ARG(fo), RDN_ARG(fb), RDN_ARG(cc), RDN_ARG(k1))) != RDN_OK ||
        (s = rdn__launch(ctx, kw, "spec_widen", 1, &rows, NULL)) != RDN_OK)
      return s;
  }
  j.ldb = j.n;
  j.sb = c * j.n;
  j.c = p;
  j.coff = f0 * mc * ld;
  j.ldc = ld;
  j.sc = mc * ld;
  if ((s = rdn__gemm_strided(ctx, &j, 1.0, 0.0)) != RDN_OK || !wb) return s;
  cl_kernel kp;
  if ((s = rdn__kernel(ctx, "spectral", RDN_C64, NULL, "spec_put", &kp)) != RDN_OK) return s;
  for (int cl = 1; cl <= k; cl++) {
    size_t mj = wb->cnt[cl - 1];
    size_t zo = wb->zs->offset + wb->zoff[cl - 1], no = wb->ninv->offset + wb->noff[cl - 1];
    rdn__gemm_raw a = job(f, mc, mj, c, 2), b = job(f, mc, mj, mj, 0), d = job(f, mc, c, mj, 0);
    from_v(&a, v, m, c, s0 + f0 * m);
    a.b = d.b = wb->zs->buf;
    a.boff = d.boff = zo + f0 * mj * c;
    a.ldb = d.ldb = c;
    a.sb = d.sb = mj * c;
    a.c = b.a = o->t1;
    a.ldc = b.lda = mj;
    a.sc = b.sa = mc * mj;
    b.b = wb->ninv->buf;
    b.boff = no + f0 * mj * mj;
    b.ldb = mj;
    b.sb = mj * mj;
    b.c = d.a = o->t2;
    b.ldc = d.lda = mj;
    b.sc = d.sa = mc * mj;
    d.c = p;
    d.coff = f0 * mc * ld + (size_t)cl * c;
    d.ldc = ld;
    d.sc = mc * ld;
    cl_ulong col = d.coff, ldp = ld, ff = f, mm = m, ss = s0, nc = mc, cc = c;
    cl_ulong vo = v->offset + f0 * m * c;
    cl_float al = (cl_float)wb->alpha[cl];
    size_t gws = f * mc * c;
    if ((s = rdn__gemm_strided(ctx, &a, 1.0, 0.0)) != RDN_OK ||
        (s = rdn__gemm_strided(ctx, &b, 1.0, 0.0)) != RDN_OK ||
        (s = RDN_ARGS(ctx, kp, "spec_put", RDN_ARG(p), RDN_ARG(col), RDN_ARG(ldp),
                      RDN_ARG(v->buf), RDN_ARG(vo), RDN_ARG(ff), RDN_ARG(mm), RDN_ARG(ss),
                      RDN_ARG(nc), RDN_ARG(cc), RDN_ARG(al))) != RDN_OK ||
        (s = rdn__launch(ctx, kp, "spec_put", 1, &gws, NULL)) != RDN_OK ||
        (s = rdn__gemm_strided(ctx, &d, -wb->alpha[cl], 1.0)) != RDN_OK)
      return s;
  }
  return RDN_OK;
}

static rdn_status layer_body(rdn_ctx *ctx, const char *fn, rdn_tensor *v, op_src *o,
                             size_t m, size_t c, int k, const double *gamma, double eta,
                             double lambda, const rdn_tensor *labels, rdn_tensor *pi_out,
                             const rdn_spectral_geom *g);

/* Samples per chunk: the applied operators of a chunk, F (k+1) C c64 per sample (plus
** `extra` bytes per sample of Woodbury scratch), within a budget from the device (an
** eighth of its memory, at most one allocation, within [64 MiB, 2 GiB]; chunks of equal
** size); a chunk holds all frequencies, so the layer is one pass.  RDN_SPECTRAL_CHUNK=n
** forces n samples. */
static size_t chunk_samples(const rdn_ctx *ctx, int k, size_t m, size_t c, size_t f,
                            size_t extra) {
  size_t budget = ctx->info.global_mem / 8, per = f * (size_t)(k + 1) * c * 8 + extra;
  if (ctx->info.max_alloc && budget > ctx->info.max_alloc) budget = ctx->info.max_alloc;
  if (budget > CHUNK_MAX) budget = CHUNK_MAX;
  if (budget < CHUNK_MIN) budget = CHUNK_MIN;
  size_t mc = budget / per < 1 ? 1 : budget / per, nch = (m + mc - 1) / mc;
  mc = (m + nch - 1) / nch;      /* balanced: no short last chunk of slow narrow GEMMs */
  const char *env = getenv("RDN_SPECTRAL_CHUNK");
  if (env && atol(env) > 0) mc = (size_t)atol(env);
  return mc < 1 ? 1 : mc > m ? m : mc;
}

/* Checks of the layer arguments shared by the direct and Woodbury forms (w: k + 1). */
static rdn_status layer_args(rdn_ctx *ctx, const char *fn, size_t m, int k,
                             const double *gamma, double eta, double lambda,
                             const rdn_tensor *labels, rdn_tensor *pi_out) {
  char a[96];
  long cnt[MAXK];
  rdn_status s;
  if ((s = rdn__layer_params(ctx, fn, k, gamma, eta, lambda)) != RDN_OK) return s;
  if (labels && (s = rdn__spec_need_labels(ctx, fn, labels, m, k, cnt)) != RDN_OK) return s;
  if (pi_out) {
    if ((s = rdn__spec_need_tensor(ctx, fn, "pi_out", pi_out, RDN_F32)) != RDN_OK) return s;
    if (rdn_tensor_numel(pi_out) != m * (size_t)k)
      return rdn__fail(ctx, RDN_EINVAL, "%s: 'pi_out' must be f32 [%zu x %d], got %s", fn, m, k,
                       rdn_tensor_shape_str(pi_out, a, sizeof a));
  }
  return RDN_OK;
}

rdn_status rdn_spectral_layer(rdn_ctx *ctx, rdn_tensor *v, const rdn_tensor *w,
                              const double *gamma, double eta, double lambda,
                              const rdn_tensor *labels, rdn_tensor *pi_out,
                              const rdn_spectral_geom *g) {
  const char *fn = "rdn_spectral_layer";
  char a[96];
  size_t m, c;
  rdn_status s;
  if (!ctx) return RDN_EINVAL;
  if ((s = rdn__spec_need_spectra(ctx, fn, v, g, &m, &c)) != RDN_OK) return s;
  size_t f = rdn_spectral_nfreq(g);
  if ((s = rdn__spec_need_tensor(ctx, fn, "w", w, RDN_C64)) != RDN_OK) return s;
  if (w->ndim != 4 || w->shape[0] < 2 || w->shape[0] > MAXK + 1 || w->shape[1] != f ||
      w->shape[2] != c || w->shape[3] != c)
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: 'w' must be c64 [k+1 x %zu x %zu x "
                     "%zu] (2 <= k+1 <= %d), got %s", fn, f, c, c, MAXK + 1,
                     rdn_tensor_shape_str(w, a, sizeof a));
  int k = (int)w->shape[0] - 1;
  if ((s = layer_args(ctx, fn, m, k, gamma, eta, lambda, labels, pi_out)) != RDN_OK) return s;
  op_src o = { w, NULL, NULL, NULL, NULL };
  return layer_body(ctx, fn, v, &o, m, c, k, gamma, eta, lambda, labels, pi_out, g);
}

rdn_status rdn_spectral_layer_wb(rdn_ctx *ctx, rdn_tensor *v, const rdn_spectral_wb *wb,
                                 const double *gamma, double eta, double lambda,
                                 const rdn_tensor *labels, rdn_tensor *pi_out,
                                 const rdn_spectral_geom *g) {
  const char *fn = "rdn_spectral_layer_wb";
  size_t m, c;
  rdn_status s;
  if (!ctx) return RDN_EINVAL;
  if ((s = rdn__spec_need_spectra(ctx, fn, v, g, &m, &c)) != RDN_OK) return s;
  if (!wb) return rdn__fail(ctx, RDN_EINVAL, "%s: 'wb' is NULL", fn);
  if (wb->f != rdn_spectral_nfreq(g) || wb->c != c)
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: the operators were built for %zu "
                     "frequencies and C = %zu, v has %zu and C = %zu", fn, wb->f, wb->c,
                     rdn_spectral_nfreq(g), c);
  if ((s = layer_args(ctx, fn, m, wb->k, gamma, eta, lambda, labels, pi_out)) != RDN_OK)
    return s;
  size_t f = wb->f, n = chunk_samples(ctx, wb->k, m, c, f, 16 * f * wb->mmax) * f * wb->mmax;
  op_src o = { NULL, NULL, wb, NULL, NULL };
  if ((o.t1 = rdn__buffer(ctx, fn, n * 8, &s)) && (o.t2 = rdn__buffer(ctx, fn, n * 8, &s)))
    s = layer_body(ctx, fn, v, &o, m, c, wb->k, gamma, eta, lambda, labels, pi_out, g);
  if (o.t1) clReleaseMemObject(o.t1);
  if (o.t2) clReleaseMemObject(o.t2);
  return s;
}

/* One pass over sample chunks: applied operators of the chunk (all frequencies), class
** norms, memberships, update and per-sample norms; then one renormalisation of v. */
static rdn_status layer_body(rdn_ctx *ctx, const char *fn, rdn_tensor *v, op_src *o,
                             size_t m, size_t c, int k, const double *gamma, double eta,
                             double lambda, const rdn_tensor *labels, rdn_tensor *pi_out,
                             const rdn_spectral_geom *g) {
  rdn_status s;
  size_t f = rdn_spectral_nfreq(g);
  size_t mc = chunk_samples(ctx, k, m, c, f, o->wb ? 16 * f * o->wb->mmax : 0);
  /* CPU: frequency blocks of about FBLOCK_BYTES of applied operators (a GPU, or the
  ** Woodbury form with its 4 k launches per block, takes all frequencies at once);
  ** RDN_SPECTRAL_FBLOCK=n forces n frequencies, for tests */
  size_t fb = ctx->info.is_cpu && !o->wb ? FBLOCK_BYTES / (mc * (size_t)(k + 1) * c * 8) : f;
  const char *env = getenv("RDN_SPECTRAL_FBLOCK");
  if (env && atol(env) > 0) fb = (size_t)atol(env);
  fb = fb < 1 ? 1 : fb > f ? f : fb;
  int soft = labels == NULL;
  cl_mem p = NULL, nrm = NULL, nv = NULL, beta = NULL, gam = NULL, parts = NULL;
  cl_kernel kn, km, ku, kr, ks;
  float gf[MAXK];
  for (int j = 0; j < k; j++) gf[j] = (float)gamma[j];
  if ((s = rdn__linalg_scratch(ctx, fn, RDN_LINALG_SPEC_P, f * mc * (size_t)(k + 1) * c * 8,
                               &p)) != RDN_OK ||
      (!o->wb && (s = rdn__linalg_scratch(ctx, fn, RDN_LINALG_SPEC_W, fb * c * (size_t)(k + 1) *
                                          c * 8, &o->wt)) != RDN_OK))
    return s;
  if (!(nrm = acc_buffer(ctx, fn, m * (size_t)k, &s)) || !(nv = acc_buffer(ctx, fn, m, &s)) ||
      !(parts = acc_buffer(ctx, fn, f * mc * (size_t)k, &s)) ||
      !(beta = rdn__buffer(ctx, fn, m * (size_t)k * 4, &s)) ||
      !(gam = rdn__buffer(ctx, fn, (size_t)k * 4, &s)))
    goto done;
  cl_int e = clEnqueueWriteBuffer(ctx->queue, gam, CL_TRUE, 0, (size_t)k * 4, gf, 0, NULL, NULL);
  if (e != CL_SUCCESS) { s = rdn__cl_fail(ctx, fn, "clEnqueueWriteBuffer", e); goto done; }
  if ((s = rdn__kernel(ctx, "spectral", RDN_C64, NULL, "spec_cnorm", &kn)) != RDN_OK ||
      (s = rdn__kernel(ctx, "spectral", RDN_C64, NULL, "spec_member", &km)) != RDN_OK ||
      (s = rdn__kernel(ctx, "spectral", RDN_C64, NULL, "spec_update", &ku)) != RDN_OK ||
      (s = rdn__kernel(ctx, "spectral", RDN_C64, NULL, "spec_rescale", &kr)) != RDN_OK ||
      (s = rdn__kernel(ctx, "spectral", RDN_C64, NULL, "spec_fsum", &ks)) != RDN_OK)
    goto done;
  cl_ulong mm = m, cc = c, qc = rdn__spec_qcols(g), ww = g->w, ff = f, vo = v->offset;
  cl_uint kk = (cl_uint)k;
  cl_int half = g->half, use_lab = !soft, want_pi = pi_out != NULL, acc0 = 0;
  cl_float fl = (cl_float)lambda, fe = (cl_float)eta;
  cl_mem lb = labels ? labels->buf : gam, pb = pi_out ? pi_out->buf : beta;
  cl_ulong lo = labels ? labels->offset : 0, pio = pi_out ? pi_out->offset : 0;
  for (size_t s0 = 0; s0 < m && s == RDN_OK; s0 += mc) {
    cl_ulong n = m - s0 < mc ? m - s0 : mc, so = s0;
    size_t gnk = (size_t)n * (size_t)k, gn = (size_t)n, gfn = f * (size_t)n;
    /* frequency blocks: each block's class norms are taken while it is still in cache */
    for (size_t f0 = 0; f0 < f && s == RDN_OK; f0 += fb) {
      cl_ulong nb = f - f0 < fb ? f - f0 : fb, fo = f0;
      size_t gr = (size_t)(nb * n);
      if ((s = apply_ops(ctx, v, o, p, (size_t)nb, m, c, k, s0, (size_t)n, f0)) == RDN_OK &&
          soft &&
          (s = RDN_ARGS(ctx, kn, "spec_cnorm", RDN_ARG(p), RDN_ARG(fo), RDN_ARG(nb), RDN_ARG(n),
                        RDN_ARG(cc), RDN_ARG(kk), RDN_ARG(qc), RDN_ARG(ww), RDN_ARG(half),
                        RDN_ARG(parts))) == RDN_OK)
        s = rdn__launch(ctx, kn, "spec_cnorm", 1, &gr, NULL);
    }
    cl_ulong nk = n * k, sk = s0 * (size_t)k;
    if (s != RDN_OK ||
        (soft && ((s = RDN_ARGS(ctx, ks, "spec_fsum", RDN_ARG(nrm), RDN_ARG(sk), RDN_ARG(parts),
                                RDN_ARG(ff), RDN_ARG(nk), RDN_ARG(acc0))) != RDN_OK ||
                  (s = rdn__launch(ctx, ks, "spec_fsum", 1, &gnk, NULL)) != RDN_OK)))
      break;
    if ((s = RDN_ARGS(ctx, km, "spec_member", RDN_ARG(nrm), RDN_ARG(so), RDN_ARG(n),
                      RDN_ARG(kk), RDN_ARG(gam), RDN_ARG(fl), RDN_ARG(lb), RDN_ARG(lo),
                      RDN_ARG(use_lab), RDN_ARG(beta), RDN_ARG(pb), RDN_ARG(pio),
                      RDN_ARG(want_pi))) != RDN_OK ||
        (s = rdn__launch(ctx, km, "spec_member", 1, &gn, NULL)) != RDN_OK ||
        (s = RDN_ARGS(ctx, ku, "spec_update", RDN_ARG(v->buf), RDN_ARG(vo), RDN_ARG(p),
                      RDN_ARG(ff), RDN_ARG(mm), RDN_ARG(so), RDN_ARG(n), RDN_ARG(cc),
                      RDN_ARG(kk), RDN_ARG(fe), RDN_ARG(beta), RDN_ARG(qc), RDN_ARG(ww),
                      RDN_ARG(half), RDN_ARG(parts))) != RDN_OK ||
        (s = rdn__launch(ctx, ku, "spec_update", 1, &gfn, NULL)) != RDN_OK ||
        (s = RDN_ARGS(ctx, ks, "spec_fsum", RDN_ARG(nv), RDN_ARG(so), RDN_ARG(parts),
                      RDN_ARG(ff), RDN_ARG(n), RDN_ARG(acc0))) != RDN_OK)
      break;
    s = rdn__launch(ctx, ks, "spec_fsum", 1, &gn, NULL);
  }
  if (s == RDN_OK) {
    cl_ulong n = (cl_ulong)f * m;
    size_t gws = (size_t)n;
    if ((s = RDN_ARGS(ctx, kr, "spec_rescale", RDN_ARG(v->buf), RDN_ARG(vo), RDN_ARG(n),
                      RDN_ARG(mm), RDN_ARG(cc), RDN_ARG(nv))) == RDN_OK)
      s = rdn__launch(ctx, kr, "spec_rescale", 1, &gws, NULL);
  }
done:
  if (nrm) clReleaseMemObject(nrm);
  if (nv) clReleaseMemObject(nv);
  if (parts) clReleaseMemObject(parts);
  if (beta) clReleaseMemObject(beta);
  if (gam) clReleaseMemObject(gam);
  return s;
}
