/*
** spectral.c -- the shift-invariant ReduNet in the spectral domain (SPEC §1.4-1.6): ortho
** FFT into / out of the per-frequency layout v [F, m, C], per-frequency operators from
** batched Hermitian Grams + one batched Cholesky inverse, the layer as batched complex
** GEMMs over frequencies + fused membership/update/normalise kernels.
*/
#include "rdn_impl.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAXK 256
#define CHUNK_BYTES ((size_t)256 << 20)   /* applied-operator scratch per layer call */

static size_t qcols(const rdn_spectral_geom *g) { return g->half ? g->w / 2 + 1 : g->w; }
static size_t rows_of(const rdn_spectral_geom *g) { return g->rank == 2 ? g->h : 1; }

size_t rdn_spectral_nfreq(const rdn_spectral_geom *g) {
  return g ? rows_of(g) * qcols(g) : 0;
}

static rdn_status need_geom(rdn_ctx *ctx, const char *fn, const rdn_spectral_geom *g) {
  if (!g) return rdn__fail(ctx, RDN_EINVAL, "%s: 'geom' is NULL", fn);
  if (g->rank != 1 && g->rank != 2)
    return rdn__fail(ctx, RDN_EINVAL, "%s: bad rank: %d (1 or 2)", fn, g->rank);
  if (g->w < 1 || rows_of(g) < 1 || g->w > 1u << 24 || rows_of(g) > 1u << 24)
    return rdn__fail(ctx, RDN_EINVAL, "%s: bad signal size: h = %zu, w = %zu", fn, g->h, g->w);
  return RDN_OK;
}

static rdn_status need_tensor(rdn_ctx *ctx, const char *fn, const char *arg,
                              const rdn_tensor *t, rdn_dtype dt) {
  if (!t) return rdn__fail(ctx, RDN_EINVAL, "%s: '%s' is NULL", fn, arg);
  if (t->ctx != ctx)
    return rdn__fail(ctx, RDN_EINVAL, "%s: '%s' belongs to another context", fn, arg);
  if (t->dtype != dt)
    return rdn__fail(ctx, RDN_EINVAL, "%s: '%s' must be %s, got %s", fn, arg,
                     rdn_dtype_name(dt), rdn_dtype_name(t->dtype));
  return RDN_OK;
}

/* v must be c64 [F, m, C] for the geometry; returns m and C. */
static rdn_status need_spectra(rdn_ctx *ctx, const char *fn, const rdn_tensor *v,
                               const rdn_spectral_geom *g, size_t *m, size_t *c) {
  char a[96];
  rdn_status s;
  if ((s = need_geom(ctx, fn, g)) != RDN_OK) return s;
  if ((s = need_tensor(ctx, fn, "v", v, RDN_C64)) != RDN_OK) return s;
  size_t f = rdn_spectral_nfreq(g);
  if (v->ndim != 3 || v->shape[0] != f)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'v' must be c64 [%zu x m x C] (%zu frequencies for "
                     "%s size %zu x %zu), got %s", fn, f, f, g->half ? "half-spectrum" : "full",
                     rows_of(g), g->w, rdn_tensor_shape_str(v, a, sizeof a));
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
  if ((s = need_tensor(ctx, fn, arg, x, RDN_F32)) != RDN_OK) return s;
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

static rdn_status new_tensor(rdn_ctx *ctx, rdn_tensor **t, rdn_dtype dt, size_t a, size_t b,
                             size_t c) {
  size_t shape[3] = { a, b, c };
  return rdn_tensor_new(ctx, t, dt, 3, shape);
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
  if ((s = need_spectra(ctx, fn, v, g, &m, &c)) != RDN_OK) return s;
  if ((s = need_signals(ctx, fn, "x", x, g, m, c)) != RDN_OK) return s;
  if ((s = rdn__check_finite(ctx, fn, x, "x")) != RDN_OK) return s;
  size_t f = rdn_spectral_nfreq(g);
  size_t shape[4] = { m, c, g->rank == 2 ? g->h : qcols(g), qcols(g) };
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
  if ((s = need_spectra(ctx, fn, v, g, &m, &c)) != RDN_OK) return s;
  if ((s = need_signals(ctx, fn, "x", x, g, m, c)) != RDN_OK) return s;
  size_t f = rdn_spectral_nfreq(g);
  size_t shape[4] = { m, c, g->rank == 2 ? g->h : qcols(g), qcols(g) };
  size_t flat[2] = { m, c * rows_of(g) * g->w };
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
  if ((s = need_spectra(ctx, fn, v, g, &m, &c)) != RDN_OK) return s;
  if ((s = need_tensor(ctx, fn, "out", out, RDN_F32)) != RDN_OK) return s;
  size_t f = rdn_spectral_nfreq(g);
  if (out->ndim < 2 || out->shape[0] != m || rdn_tensor_numel(out) != m * c * f)
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: 'out' must be f32 [%zu x %zu] (m x "
                     "C F), got %s", fn, m, c * f, rdn_tensor_shape_str(out, a, sizeof a));
  cl_kernel k;
  cl_ulong oo = out->offset, vo = v->offset, ff = f, mm = m, cc = c, qc = qcols(g), ww = g->w;
  cl_int half = g->half;
  if ((s = rdn__kernel(ctx, "spectral", RDN_C64, NULL, "spec_magnitude", &k)) != RDN_OK ||
      (s = RDN_ARGS(ctx, k, "spec_magnitude", RDN_TARG(out, oo), RDN_TARG(v, vo), RDN_ARG(ff),
                    RDN_ARG(mm), RDN_ARG(cc), RDN_ARG(qc), RDN_ARG(ww), RDN_ARG(half))) != RDN_OK)
    return s;
  size_t gws = f * m * c;
  return rdn__launch(ctx, k, "spec_magnitude", 1, &gws, NULL);
}

/* Labels: i32 with m entries, every class of [0, k) present; counts[k] on the host. */
static rdn_status need_labels(rdn_ctx *ctx, const char *fn, const rdn_tensor *y, size_t m,
                              int k, long *counts) {
  char a[96];
  rdn_status s;
  if ((s = need_tensor(ctx, fn, "labels", y, RDN_I32)) != RDN_OK) return s;
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

/* Weighted sum over stored frequencies of per-frequency values (half spectrum: mirrored
** columns twice). */
static double freq_sum(const rdn_spectral_geom *g, const double *x) {
  size_t f = rdn_spectral_nfreq(g), q = qcols(g);
  double t = 0;
  for (size_t i = 0; i < f; i++) {
    size_t col = i % q;
    t += (!g->half || col == 0 || 2 * col == g->w ? 1.0 : 2.0) * x[i];
  }
  return t;
}

rdn_status rdn_spectral_operators(rdn_ctx *ctx, rdn_tensor *w, double *gamma, double *rates,
                                  const rdn_tensor *v, const rdn_tensor *labels, int k,
                                  double eps_sq, const rdn_spectral_geom *g) {
  const char *fn = "rdn_spectral_operators";
  char a[96];
  size_t m, c;
  rdn_status s;
  long cnt[MAXK];
  if (!ctx) return RDN_EINVAL;
  if ((s = need_spectra(ctx, fn, v, g, &m, &c)) != RDN_OK) return s;
  if (!(eps_sq > 0 && isfinite(eps_sq)))
    return rdn__fail(ctx, RDN_EINVAL, "%s: eps_sq must be positive and finite, got %g", fn,
                     eps_sq);
  if ((s = need_labels(ctx, fn, labels, m, k, cnt)) != RDN_OK) return s;
  size_t f = rdn_spectral_nfreq(g), nmat = (size_t)(k + 1) * f;
  if (w) {
    if ((s = need_tensor(ctx, fn, "w", w, RDN_C64)) != RDN_OK) return s;
    if (w->ndim != 4 || w->shape[0] != (size_t)k + 1 || w->shape[1] != f || w->shape[2] != c ||
        w->shape[3] != c)
      return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: 'w' must be c64 [%d x %zu x %zu x "
                       "%zu], got %s", fn, k + 1, f, c, c, rdn_tensor_shape_str(w, a, sizeof a));
  }
  if ((s = rdn__check_finite(ctx, fn, v, "v")) != RDN_OK) return s;
  double alpha[MAXK + 1];
  alpha[0] = (double)c / ((double)m * eps_sq);
  for (int j = 0; j < k; j++) alpha[j + 1] = (double)c / ((double)cnt[j] * eps_sq);
  rdn_tensor *ops = w ? rdn_tensor_retain(w) : NULL, *all = NULL, *e0 = NULL, *cls = NULL;
  double *ld = malloc(nmat * sizeof *ld);
  if (!ld) return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
  size_t s4[4] = { (size_t)k + 1, f, c, c }, s3[3] = { nmat, c, c };
  if (!ops && (s = rdn_tensor_new(ctx, &ops, RDN_C64, 4, s4)) != RDN_OK) goto done;
  /* M_0 = I + a conj(Sigma), M_j = I + a_j conj(Sigma_j) (the c64 Gram is Z^H Z): inverses
  ** are conj(E), conj(C^j), applied as row vectors (v^T conj(E) = (E v)^T). */
  if ((s = rdn_tensor_reshape(&all, ops, 3, s3)) != RDN_OK ||
      (s = rdn_tensor_rows(&e0, all, 0, f)) != RDN_OK ||
      (s = rdn_tensor_rows(&cls, ops, 1, (size_t)k)) != RDN_OK ||
      (s = rdn_gram(ctx, e0, v, RDN_GRAM_COLS, alpha[0], 1.0)) != RDN_OK ||
      (s = rdn_gram_classes(ctx, cls, v, labels, k, alpha + 1, 1.0)) != RDN_OK ||
      (s = rdn_cholesky(ctx, all)) != RDN_OK ||
      (s = rdn_chol_logdet(ctx, ld, nmat, all)) != RDN_OK)
    goto done;
  if (w) {
    if ((s = rdn_chol_inverse(ctx, all)) != RDN_OK) goto done;
    for (int j = 0; j <= k && s == RDN_OK; j++) {
      rdn_tensor *blk = NULL;
      if ((s = rdn_tensor_rows(&blk, all, (size_t)j * f, f)) == RDN_OK)
        s = rdn_scale(ctx, blk, alpha[j]);
      rdn_tensor_release(blk);
    }
  }
  double n = (double)rows_of(g) * (double)g->w;
  double r = freq_sum(g, ld) / (2 * n), rc = 0;
  for (int j = 0; j < k; j++) {
    if (gamma) gamma[j] = (double)cnt[j] / (double)m;
    rc += (double)cnt[j] / (double)m * freq_sum(g, ld + (size_t)(j + 1) * f) / (2 * n);
  }
  if (rates) {
    rates[0] = r;
    rates[1] = rc;
    rates[2] = r - rc;
  }
done:
  free(ld);
  rdn_tensor_release(e0);
  rdn_tensor_release(cls);
  rdn_tensor_release(all);
  rdn_tensor_release(ops);
  return s;
}

/* Woodbury class operators (SPEC §1.11): E direct, class j through its spectra. */
struct rdn_spectral_wb {
  int k;
  size_t f, m, c, mmax;
  rdn_tensor *e;      /* c64 [F, C, C]: conj E(p), as w[0] of rdn_spectral_operators */
  rdn_tensor *zs;     /* c64 [F m, C]: class j's rows [zoff_j, + F m_j) are Z_j [F, m_j, C] */
  rdn_tensor *ninv;   /* c64 [F sum m_j^2]: from noff_j, N_j(p) = (I/a_j + Z_j Z_j^H)^-1 */
  size_t cnt[MAXK], zoff[MAXK], noff[MAXK];
  double alpha[MAXK];
};

/* A view [a, b, c] of the elements [off, off + a b c) of the 1-D or 2-D tensor t. */
static rdn_status sub3(rdn_tensor **out, rdn_tensor *t, size_t off, size_t a, size_t b,
                       size_t c) {
  size_t flat[1] = { rdn_tensor_numel(t) }, sh[3] = { a, b, c };
  rdn_tensor *f1 = NULL, *r = NULL;
  rdn_status s;
  if ((s = rdn_tensor_reshape(&f1, t, 1, flat)) == RDN_OK &&
      (s = rdn_tensor_rows(&r, f1, off, a * b * c)) == RDN_OK)
    s = rdn_tensor_reshape(out, r, 3, sh);
  rdn_tensor_release(f1);
  rdn_tensor_release(r);
  return s;
}

/* E = conj a (I + a Sigma)^-1 into e [F, C, C] (Gram, Cholesky, logdet, inverse). */
static rdn_status e_operator(rdn_ctx *ctx, rdn_tensor *e, const rdn_tensor *v, double a,
                             double *ld, size_t f) {
  rdn_status s;
  if ((s = rdn_gram(ctx, e, v, RDN_GRAM_COLS, a, 1.0)) != RDN_OK ||
      (s = rdn_cholesky(ctx, e)) != RDN_OK || (s = rdn_chol_logdet(ctx, ld, f, e)) != RDN_OK ||
      (s = rdn_chol_inverse(ctx, e)) != RDN_OK)
    return s;
  return rdn_scale(ctx, e, a);
}

/* Class-major gather of v [F m, C] rows: class j, frequency p, its i-th sample. */
static rdn_status class_sort(rdn_ctx *ctx, const char *fn, rdn_spectral_wb *wb,
                             const rdn_tensor *v, const rdn_tensor *labels) {
  size_t f = wb->f, m = wb->m, pos[MAXK], sh[1] = { f * m }, s2[2] = { f * m, wb->c };
  int *lab = malloc(m * sizeof *lab), *idx = malloc(f * m * sizeof *idx);
  rdn_tensor *it = NULL, *v2 = NULL;
  rdn_status s = RDN_OK;
  if (!lab || !idx) {
    s = rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
    goto done;
  }
  if ((s = rdn_tensor_read(labels, lab, m * sizeof *lab)) != RDN_OK) goto done;
  for (int j = 0; j < wb->k; j++) pos[j] = 0;
  for (size_t i = 0; i < m; i++) {      /* an index table (geometry), not data */
    size_t j = (size_t)lab[i], base = wb->zoff[j] / wb->c;
    for (size_t p = 0; p < f; p++) idx[base + p * wb->cnt[j] + pos[j]] = (int)(p * m + i);
    pos[j]++;
  }
  if ((s = rdn_tensor_new(ctx, &it, RDN_I32, 1, sh)) == RDN_OK &&
      (s = rdn_tensor_write(it, idx, f * m * sizeof *idx)) == RDN_OK &&
      (s = rdn_tensor_reshape(&v2, (rdn_tensor *)v, 2, s2)) == RDN_OK)
    s = rdn_gather_rows(ctx, wb->zs, v2, it);
done:
  free(lab);
  free(idx);
  rdn_tensor_release(it);
  rdn_tensor_release(v2);
  return s;
}

rdn_status rdn_spectral_wb_create(rdn_ctx *ctx, rdn_spectral_wb **out, double *gamma,
                                  double *rates, const rdn_tensor *v,
                                  const rdn_tensor *labels, int k, double eps_sq,
                                  const rdn_spectral_geom *g) {
  const char *fn = "rdn_spectral_wb_create";
  size_t m, c;
  long cnt[MAXK];
  rdn_status s;
  if (!ctx) return RDN_EINVAL;
  if (!out) return rdn__fail(ctx, RDN_EINVAL, "%s: 'out' is NULL", fn);
  *out = NULL;
  if ((s = need_spectra(ctx, fn, v, g, &m, &c)) != RDN_OK) return s;
  if (!(eps_sq > 0 && isfinite(eps_sq)))
    return rdn__fail(ctx, RDN_EINVAL, "%s: eps_sq must be positive and finite, got %g", fn,
                     eps_sq);
  if ((s = need_labels(ctx, fn, labels, m, k, cnt)) != RDN_OK) return s;
  if ((s = rdn__check_finite(ctx, fn, v, "v")) != RDN_OK) return s;
  size_t f = rdn_spectral_nfreq(g), sq = 0;
  rdn_spectral_wb *wb = calloc(1, sizeof *wb);
  double *ld = malloc(f * sizeof *ld), *ldj = malloc(f * sizeof *ldj);
  if (!wb || !ld || !ldj) {
    free(wb);
    free(ld);
    free(ldj);
    return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
  }
  wb->k = k;
  wb->f = f;
  wb->m = m;
  wb->c = c;
  for (int j = 0; j < k; j++) {
    wb->cnt[j] = (size_t)cnt[j];
    wb->zoff[j] = j ? wb->zoff[j - 1] + f * wb->cnt[j - 1] * c : 0;
    wb->noff[j] = f * sq;
    sq += wb->cnt[j] * wb->cnt[j];
    wb->alpha[j + 1] = (double)c / ((double)cnt[j] * eps_sq);
    if (wb->cnt[j] > wb->mmax) wb->mmax = wb->cnt[j];
  }
  wb->alpha[0] = (double)c / ((double)m * eps_sq);
  size_t se[3] = { f, c, c }, sz[2] = { f * m, c }, sn[1] = { f * sq };
  double rc = 0, n = (double)rows_of(g) * (double)g->w;
  if ((s = rdn_tensor_new(ctx, &wb->e, RDN_C64, 3, se)) != RDN_OK ||
      (s = rdn_tensor_new(ctx, &wb->zs, RDN_C64, 2, sz)) != RDN_OK ||
      (s = rdn_tensor_new(ctx, &wb->ninv, RDN_C64, 1, sn)) != RDN_OK ||
      (s = e_operator(ctx, wb->e, v, wb->alpha[0], ld, f)) != RDN_OK ||
      (s = class_sort(ctx, fn, wb, v, labels)) != RDN_OK)
    goto done;
  /* N_j = (I / a_j + Z_j Z_j^H)^-1; logdet(I + a_j Z_j^H Z_j) = m_j log a_j + logdet(N_j^-1) */
  for (int j = 0; j < k && s == RDN_OK; j++) {
    size_t mj = wb->cnt[j];
    rdn_tensor *z = NULL, *nj = NULL;
    if ((s = sub3(&z, wb->zs, wb->zoff[j], f, mj, c)) == RDN_OK &&
        (s = sub3(&nj, wb->ninv, wb->noff[j], f, mj, mj)) == RDN_OK &&
        (s = rdn_gram(ctx, nj, z, RDN_GRAM_ROWS, 1.0, 1 / wb->alpha[j + 1])) == RDN_OK &&
        (s = rdn_cholesky(ctx, nj)) == RDN_OK && (s = rdn_chol_logdet(ctx, ldj, f, nj)) == RDN_OK)
      s = rdn_chol_inverse(ctx, nj);
    for (size_t p = 0; p < f; p++) ldj[p] += (double)mj * log(wb->alpha[j + 1]);
    rc += (double)mj / (double)m * freq_sum(g, ldj) / (2 * n);
    if (gamma) gamma[j] = (double)mj / (double)m;
    rdn_tensor_release(z);
    rdn_tensor_release(nj);
  }
  if (s == RDN_OK && rates) {
    rates[0] = freq_sum(g, ld) / (2 * n);
    rates[1] = rc;
    rates[2] = rates[0] - rc;
  }
done:
  free(ld);
  free(ldj);
  if (s == RDN_OK) *out = wb;
  else rdn_spectral_wb_destroy(wb);
  return s;
}

void rdn_spectral_wb_destroy(rdn_spectral_wb *wb) {
  if (!wb) return;
  rdn_tensor_release(wb->e);
  rdn_tensor_release(wb->zs);
  rdn_tensor_release(wb->ninv);
  free(wb);
}

size_t rdn_spectral_wb_bytes(const rdn_spectral_wb *wb) {
  if (!wb) return 0;
  return (rdn_tensor_numel(wb->e) + rdn_tensor_numel(wb->zs) + rdn_tensor_numel(wb->ninv)) * 8;
}

void rdn_spectral_wb_parts(const rdn_spectral_wb *wb, rdn_tensor **e, rdn_tensor **zs,
                           rdn_tensor **ninv, size_t *counts) {
  if (!wb) return;
  if (e) *e = wb->e;
  if (zs) *zs = wb->zs;
  if (ninv) *ninv = wb->ninv;
  for (int j = 0; counts && j < wb->k; j++) counts[j] = wb->cnt[j];
}

rdn_status rdn_spectral_wb_assemble(rdn_ctx *ctx, rdn_spectral_wb **out, rdn_tensor *e,
                                    rdn_tensor *zs, rdn_tensor *ninv, const size_t *counts,
                                    int k, double eps_sq) {
  const char *fn = "rdn_spectral_wb_assemble";
  char a[96], b[96], c3[96];
  rdn_status s;
  if (!ctx) return RDN_EINVAL;
  if (!out) return rdn__fail(ctx, RDN_EINVAL, "%s: 'out' is NULL", fn);
  *out = NULL;
  if (!counts) return rdn__fail(ctx, RDN_EINVAL, "%s: 'counts' is NULL", fn);
  if (k < 1 || k > MAXK)
    return rdn__fail(ctx, RDN_EINVAL, "%s: number of classes %d outside [1, %d]", fn, k, MAXK);
  if (!(eps_sq > 0 && isfinite(eps_sq)))
    return rdn__fail(ctx, RDN_EINVAL, "%s: eps_sq must be positive and finite, got %g", fn,
                     eps_sq);
  if ((s = need_tensor(ctx, fn, "e", e, RDN_C64)) != RDN_OK ||
      (s = need_tensor(ctx, fn, "zs", zs, RDN_C64)) != RDN_OK ||
      (s = need_tensor(ctx, fn, "ninv", ninv, RDN_C64)) != RDN_OK)
    return s;
  size_t m = 0, sq = 0, mmax = 0;
  for (int j = 0; j < k; j++) {
    if (counts[j] < 1)
      return rdn__fail(ctx, RDN_EVALUE, "%s: empty class: class %d has no samples", fn, j);
    m += counts[j];
    sq += counts[j] * counts[j];
    if (counts[j] > mmax) mmax = counts[j];
  }
  size_t f = e->ndim == 3 ? e->shape[0] : 0, c = e->ndim == 3 ? e->shape[1] : 0;
  if (e->ndim != 3 || e->shape[2] != c || zs->ndim != 2 || zs->shape[0] != f * m ||
      zs->shape[1] != c || rdn_tensor_numel(ninv) != f * sq)
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: e %s, zs %s, ninv %s (want [F, C, "
                     "C], [F m, C] and F sum m_j^2 = %zu F elements, m = %zu)", fn,
                     rdn_tensor_shape_str(e, a, sizeof a), rdn_tensor_shape_str(zs, b, sizeof b),
                     rdn_tensor_shape_str(ninv, c3, sizeof c3), sq, m);
  rdn_spectral_wb *wb = calloc(1, sizeof *wb);
  if (!wb) return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
  wb->k = k;
  wb->f = f;
  wb->m = m;
  wb->c = c;
  wb->mmax = mmax;
  wb->alpha[0] = (double)c / ((double)m * eps_sq);
  for (int j = 0; j < k; j++) {
    wb->cnt[j] = counts[j];
    wb->zoff[j] = j ? wb->zoff[j - 1] + f * counts[j - 1] * c : 0;
    wb->noff[j] = j ? wb->noff[j - 1] + f * counts[j - 1] * counts[j - 1] : 0;
    wb->alpha[j + 1] = (double)c / ((double)counts[j] * eps_sq);
  }
  wb->e = rdn_tensor_retain(e);
  wb->zs = rdn_tensor_retain(zs);
  wb->ninv = rdn_tensor_retain(ninv);
  *out = wb;
  return RDN_OK;
}

/* A device buffer of n acc values (double where the device has fp64). */
static cl_mem acc_buffer(rdn_ctx *ctx, const char *fn, size_t n, rdn_status *st) {
  return rdn__buffer(ctx, fn, n * (ctx->info.has_fp64 ? 8 : 4), st);
}

/* The operators a layer applies: w [(k+1) F, C, C] (direct), or wb with two scratch
** tensors of fc m mmax elements (Woodbury). */
typedef struct {
  rdn_tensor *wall;
  const rdn_spectral_wb *wb;
  rdn_tensor *t1, *t2;
} op_src;

/* pc = (C^j v)^T for the rows v of vc [fc, m, C] at frequencies [f0, f0 + fc) by
** Woodbury: a_j (v^T - ((v^T Z_j^H) N_j) Z_j), three batched GEMMs (m_j inner size). */
static rdn_status apply_wb(rdn_ctx *ctx, const op_src *o, rdn_tensor *vc, rdn_tensor *pc,
                           size_t f0, size_t fc, int j) {
  const rdn_spectral_wb *wb = o->wb;
  size_t mj = wb->cnt[j - 1], m = vc->shape[1], c = wb->c;   /* m: the samples of v */
  rdn_tensor *z = NULL, *n = NULL, *a = NULL, *b = NULL;
  rdn_status s;
  if ((s = sub3(&z, wb->zs, wb->zoff[j - 1] + f0 * mj * c, fc, mj, c)) == RDN_OK &&
      (s = sub3(&n, wb->ninv, wb->noff[j - 1] + f0 * mj * mj, fc, mj, mj)) == RDN_OK &&
      (s = sub3(&a, o->t1, 0, fc, m, mj)) == RDN_OK &&
      (s = sub3(&b, o->t2, 0, fc, m, mj)) == RDN_OK &&
      (s = rdn_gemm(ctx, RDN_NOTRANS, RDN_CONJTRANS, 1.0, vc, z, 0.0, a)) == RDN_OK &&
      (s = rdn_gemm(ctx, RDN_NOTRANS, RDN_NOTRANS, 1.0, a, n, 0.0, b)) == RDN_OK &&
      (s = rdn_tensor_copy(pc, vc)) == RDN_OK)
    s = rdn_gemm(ctx, RDN_NOTRANS, RDN_NOTRANS, -wb->alpha[j], b, z, wb->alpha[j], pc);
  rdn_tensor_release(z);
  rdn_tensor_release(n);
  rdn_tensor_release(a);
  rdn_tensor_release(b);
  return s;
}

/* p_j = v_chunk conj(Op_j) for j in [j0, k]: batched complex GEMMs over the chunk's
** frequencies [f0, f0 + fc); p is the scratch [(k+1) fcmax, m, C]. */
static rdn_status apply_ops(rdn_ctx *ctx, rdn_tensor *vall, const op_src *o, rdn_tensor *p,
                            size_t f, size_t f0, size_t fc, int j0, int k) {
  rdn_status s = RDN_OK;
  rdn_tensor *vc = NULL, *wc = NULL, *pc = NULL;
  if ((s = rdn_tensor_rows(&vc, vall, f0, fc)) != RDN_OK) return s;
  for (int j = j0; j <= k && s == RDN_OK; j++) {
    if ((s = rdn_tensor_rows(&pc, p, (size_t)j * fc, fc)) != RDN_OK) break;
    if (o->wb && j > 0)
      s = apply_wb(ctx, o, vc, pc, f0, fc, j);
    else if ((s = rdn_tensor_rows(&wc, o->wall, (size_t)j * f + f0, fc)) == RDN_OK)
      s = rdn_gemm(ctx, RDN_NOTRANS, RDN_NOTRANS, 1.0, vc, wc, 0.0, pc);
    rdn_tensor_release(wc);
    rdn_tensor_release(pc);
    wc = pc = NULL;
  }
  rdn_tensor_release(vc);
  return s;
}

static rdn_status layer_body(rdn_ctx *ctx, const char *fn, rdn_tensor *v, op_src *o,
                             size_t m, size_t c, int k, const double *gamma, double eta,
                             double lambda, const rdn_tensor *labels, rdn_tensor *pi_out,
                             const rdn_spectral_geom *g);

/* Frequencies per chunk: the applied operators of a chunk fit CHUNK_BYTES (env
** RDN_SPECTRAL_CHUNK=n forces n, to exercise the two-pass path). */
static size_t chunk_freqs(int k, size_t m, size_t c, size_t f) {
  size_t fc = CHUNK_BYTES / ((size_t)(k + 1) * m * c * 8);
  const char *env = getenv("RDN_SPECTRAL_CHUNK");
  if (env && atol(env) > 0) fc = (size_t)atol(env);
  return fc < 1 ? 1 : fc > f ? f : fc;
}

/* Checks of the layer arguments shared by the direct and Woodbury forms (w: k + 1). */
static rdn_status layer_args(rdn_ctx *ctx, const char *fn, size_t m, int k,
                             const double *gamma, double eta, double lambda,
                             const rdn_tensor *labels, rdn_tensor *pi_out) {
  char a[96];
  long cnt[MAXK];
  rdn_status s;
  if ((s = rdn__layer_params(ctx, fn, k, gamma, eta, lambda)) != RDN_OK) return s;
  if (labels && (s = need_labels(ctx, fn, labels, m, k, cnt)) != RDN_OK) return s;
  if (pi_out) {
    if ((s = need_tensor(ctx, fn, "pi_out", pi_out, RDN_F32)) != RDN_OK) return s;
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
  if ((s = need_spectra(ctx, fn, v, g, &m, &c)) != RDN_OK) return s;
  size_t f = rdn_spectral_nfreq(g);
  if ((s = need_tensor(ctx, fn, "w", w, RDN_C64)) != RDN_OK) return s;
  if (w->ndim != 4 || w->shape[0] < 2 || w->shape[0] > MAXK + 1 || w->shape[1] != f ||
      w->shape[2] != c || w->shape[3] != c)
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: 'w' must be c64 [k+1 x %zu x %zu x "
                     "%zu] (2 <= k+1 <= %d), got %s", fn, f, c, c, MAXK + 1,
                     rdn_tensor_shape_str(w, a, sizeof a));
  int k = (int)w->shape[0] - 1;
  if ((s = layer_args(ctx, fn, m, k, gamma, eta, lambda, labels, pi_out)) != RDN_OK) return s;
  size_t s3[3] = { (size_t)(k + 1) * f, c, c };
  op_src o = { NULL, NULL, NULL, NULL };
  if ((s = rdn_tensor_reshape(&o.wall, (rdn_tensor *)w, 3, s3)) != RDN_OK) return s;
  s = layer_body(ctx, fn, v, &o, m, c, k, gamma, eta, lambda, labels, pi_out, g);
  rdn_tensor_release(o.wall);
  return s;
}

rdn_status rdn_spectral_layer_wb(rdn_ctx *ctx, rdn_tensor *v, const rdn_spectral_wb *wb,
                                 const double *gamma, double eta, double lambda,
                                 const rdn_tensor *labels, rdn_tensor *pi_out,
                                 const rdn_spectral_geom *g) {
  const char *fn = "rdn_spectral_layer_wb";
  size_t m, c;
  rdn_status s;
  if (!ctx) return RDN_EINVAL;
  if ((s = need_spectra(ctx, fn, v, g, &m, &c)) != RDN_OK) return s;
  if (!wb) return rdn__fail(ctx, RDN_EINVAL, "%s: 'wb' is NULL", fn);
  if (wb->f != rdn_spectral_nfreq(g) || wb->c != c)
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: the operators were built for %zu "
                     "frequencies and C = %zu, v has %zu and C = %zu", fn, wb->f, wb->c,
                     rdn_spectral_nfreq(g), c);
  if ((s = layer_args(ctx, fn, m, wb->k, gamma, eta, lambda, labels, pi_out)) != RDN_OK)
    return s;
  size_t f = wb->f, n = chunk_freqs(wb->k, m, c, f) * m * wb->mmax;
  size_t s3[3] = { f, c, c }, s1[1] = { n };
  op_src o = { NULL, wb, NULL, NULL };
  if ((s = rdn_tensor_reshape(&o.wall, wb->e, 3, s3)) == RDN_OK &&
      (s = rdn_tensor_new(ctx, &o.t1, RDN_C64, 1, s1)) == RDN_OK &&
      (s = rdn_tensor_new(ctx, &o.t2, RDN_C64, 1, s1)) == RDN_OK)
    s = layer_body(ctx, fn, v, &o, m, c, wb->k, gamma, eta, lambda, labels, pi_out, g);
  rdn_tensor_release(o.wall);
  rdn_tensor_release(o.t1);
  rdn_tensor_release(o.t2);
  return s;
}

static rdn_status layer_body(rdn_ctx *ctx, const char *fn, rdn_tensor *v, op_src *o,
                             size_t m, size_t c, int k, const double *gamma, double eta,
                             double lambda, const rdn_tensor *labels, rdn_tensor *pi_out,
                             const rdn_spectral_geom *g) {
  rdn_status s;
  size_t f = rdn_spectral_nfreq(g);
  size_t fc = chunk_freqs(k, m, c, f);
  int single = fc == f, soft = labels == NULL;
  size_t s3[3] = { f * m, 0, 0 };
  rdn_tensor *p = NULL, *vall = NULL;
  cl_mem nrm = NULL, nv = NULL, beta = NULL, gam = NULL, parts = NULL;
  cl_kernel kn, km, ku, kr, ks;
  float gf[MAXK];
  for (int j = 0; j < k; j++) gf[j] = (float)gamma[j];
  if ((s = new_tensor(ctx, &p, RDN_C64, (size_t)(k + 1) * fc, m, c)) != RDN_OK) return s;
  s3[0] = f; s3[1] = m; s3[2] = c;
  if ((s = rdn_tensor_reshape(&vall, v, 3, s3)) != RDN_OK) goto done;
  if (!(nrm = acc_buffer(ctx, fn, m * (size_t)k, &s)) || !(nv = acc_buffer(ctx, fn, m, &s)) ||
      !(parts = acc_buffer(ctx, fn, fc * m * (size_t)k, &s)) ||
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
  cl_ulong mm = m, cc = c, qc = qcols(g), ww = g->w, po = p->offset, vo;
  cl_uint kk = (cl_uint)k;
  cl_int half = g->half, acc1;
  /* pass 1 (soft membership): class norms over all frequencies (per-frequency parts,
  ** then summed per (sample, class)) */
  for (size_t f0 = 0; soft && f0 < f && s == RDN_OK; f0 += fc) {
    cl_ulong n = f - f0 < fc ? f - f0 : fc, fo = f0, nk = m * (cl_ulong)k;
    size_t gws = (size_t)(n * nk), gsum = (size_t)nk;
    acc1 = f0 > 0;
    if ((s = apply_ops(ctx, vall, o, p, f, f0, n, single ? 0 : 1, k)) == RDN_OK &&
        (s = RDN_ARGS(ctx, kn, "spec_cnorm", RDN_ARG(p->buf), RDN_ARG(po), RDN_ARG(n),
                      RDN_ARG(fo), RDN_ARG(mm), RDN_ARG(cc), RDN_ARG(kk), RDN_ARG(qc),
                      RDN_ARG(ww), RDN_ARG(half), RDN_ARG(parts))) == RDN_OK &&
        (s = rdn__launch(ctx, kn, "spec_cnorm", 1, &gws, NULL)) == RDN_OK &&
        (s = RDN_ARGS(ctx, ks, "spec_fsum", RDN_ARG(nrm), RDN_ARG(parts), RDN_ARG(n),
                      RDN_ARG(nk), RDN_ARG(acc1))) == RDN_OK)
      s = rdn__launch(ctx, ks, "spec_fsum", 1, &gsum, NULL);
  }
  if (s != RDN_OK) goto done;
  {
    cl_float fl = (cl_float)lambda;
    cl_int use_lab = !soft, want_pi = pi_out != NULL;
    cl_mem lb = labels ? labels->buf : gam, pb = pi_out ? pi_out->buf : beta;
    cl_ulong lo = labels ? labels->offset : 0, pio = pi_out ? pi_out->offset : 0;
    size_t gws = m;
    if ((s = RDN_ARGS(ctx, km, "spec_member", RDN_ARG(nrm), RDN_ARG(mm), RDN_ARG(kk),
                      RDN_ARG(gam), RDN_ARG(fl), RDN_ARG(lb), RDN_ARG(lo), RDN_ARG(use_lab),
                      RDN_ARG(beta), RDN_ARG(pb), RDN_ARG(pio), RDN_ARG(want_pi))) != RDN_OK ||
        (s = rdn__launch(ctx, km, "spec_member", 1, &gws, NULL)) != RDN_OK)
      goto done;
  }
  /* pass 2: update each chunk (applied operators recomputed unless one chunk held all) */
  cl_float fe = (cl_float)eta;
  for (size_t f0 = 0; f0 < f && s == RDN_OK; f0 += fc) {
    cl_ulong n = f - f0 < fc ? f - f0 : fc, fo = f0;
    size_t gws = (size_t)n * m, gsum = m;
    vo = v->offset + f0 * m * c;
    acc1 = f0 > 0;
    if ((single && soft) || (s = apply_ops(ctx, vall, o, p, f, f0, n, 0, k)) == RDN_OK) {
      if ((s = RDN_ARGS(ctx, ku, "spec_update", RDN_ARG(v->buf), RDN_ARG(vo), RDN_ARG(p->buf),
                        RDN_ARG(po), RDN_ARG(n), RDN_ARG(fo), RDN_ARG(mm), RDN_ARG(cc),
                        RDN_ARG(kk), RDN_ARG(fe), RDN_ARG(beta), RDN_ARG(qc), RDN_ARG(ww),
                        RDN_ARG(half), RDN_ARG(parts))) == RDN_OK &&
          (s = rdn__launch(ctx, ku, "spec_update", 1, &gws, NULL)) == RDN_OK &&
          (s = RDN_ARGS(ctx, ks, "spec_fsum", RDN_ARG(nv), RDN_ARG(parts), RDN_ARG(n),
                        RDN_ARG(mm), RDN_ARG(acc1))) == RDN_OK)
        s = rdn__launch(ctx, ks, "spec_fsum", 1, &gsum, NULL);
    }
  }
  if (s == RDN_OK) {
    cl_ulong n = (cl_ulong)f * m * c;
    size_t gws = (size_t)n;
    vo = v->offset;
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
  rdn_tensor_release(p);
  rdn_tensor_release(vall);
  return s;
}
