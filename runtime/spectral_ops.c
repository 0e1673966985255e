/*
** spectral_ops.c -- operators of the spectral ReduNet (SPEC §1.4-1.5, §1.11): class-sorted
** spectra, per-class Hermitian Grams as batched complex GEMMs over frequencies, one fused
** batched Cholesky + logdet + inverse over all (k+1) F matrices; the Woodbury object.
*/
#include "spectral_int.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAXK RDN_SPEC_MAXK

/* Weighted sum over stored frequencies of per-frequency values (half spectrum: mirrored
** columns twice). */
static double freq_sum(const rdn_spectral_geom *g, const double *x) {
  size_t f = rdn_spectral_nfreq(g), q = rdn__spec_qcols(g);
  double t = 0;
  for (size_t i = 0; i < f; i++) {
    size_t col = i % q;
    t += (!g->half || col == 0 || 2 * col == g->w ? 1.0 : 2.0) * x[i];
  }
  return t;
}

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

/* Class-major copy of v [F, m, C] into zs (F m rows of C): class j's block starts at
** element zoff[j] and holds, per frequency p, its cnt[j] samples in order. */
static rdn_status class_sort(rdn_ctx *ctx, const char *fn, rdn_tensor *zs, const rdn_tensor *v,
                             const rdn_tensor *labels, int k, const size_t *cnt,
                             const size_t *zoff) {
  size_t f = v->shape[0], m = v->shape[1], c = v->shape[2], pos[MAXK];
  int *tab = malloc(2 * m * sizeof *tab);
  rdn_status s = RDN_OK;
  cl_mem tb = NULL;
  if (!tab) return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
  /* per sample: first row of its class block + its rank, then its class size (geometry) */
  if ((s = rdn_tensor_read(labels, tab + m, m * sizeof *tab)) != RDN_OK) goto done;
  for (int j = 0; j < k; j++) pos[j] = 0;
  for (size_t i = 0; i < m; i++) {
    size_t j = (size_t)tab[m + i];
    tab[i] = (int)(zoff[j] / c + pos[j]++);
    tab[m + i] = (int)cnt[j];
  }
  if (!(tb = rdn__buffer(ctx, fn, 2 * m * sizeof *tab, &s))) goto done;
  cl_int e = clEnqueueWriteBuffer(ctx->queue, tb, CL_TRUE, 0, 2 * m * sizeof *tab, tab, 0, NULL,
                                  NULL);
  if (e != CL_SUCCESS) {
    s = rdn__cl_fail(ctx, fn, "clEnqueueWriteBuffer", e);
    goto done;
  }
  cl_kernel kc;
  cl_ulong zo = zs->offset, vo = v->offset, ff = f, mm = m, cc = c;
  size_t gws = f * m;
  if ((s = rdn__kernel(ctx, "spectral", RDN_C64, NULL, "spec_csort", &kc)) == RDN_OK &&
      (s = RDN_ARGS(ctx, kc, "spec_csort", RDN_ARG(zs->buf), RDN_ARG(zo), RDN_ARG(v->buf),
                    RDN_ARG(vo), RDN_ARG(tb), RDN_ARG(ff), RDN_ARG(mm), RDN_ARG(cc))) == RDN_OK)
    s = rdn__launch(ctx, kc, "spec_csort", 1, &gws, NULL);
done:
  free(tab);
  if (tb) clReleaseMemObject(tb);
  return s;
}

/* all [(k+1) F, C, C]: block j + 1 holds the class Grams G_j (k = 0: block 0 holds G_0);
** then block 0 = I / a_0 + sum_j G_j and block j + 1 = I / a_{j+1} + G_j (one kernel):
** the inverses are then a (I + a G)^-1 without a scaling pass, and logdet(I + a G) =
** C log a + logdet(I / a + G). */
static rdn_status op_sum(rdn_ctx *ctx, const char *fn, rdn_tensor *all, size_t f, size_t c,
                         int k, const double *alpha) {
  float af[MAXK + 1];
  for (int j = 0; j <= k; j++) af[j] = (float)(1 / alpha[j]);
  rdn_status s;
  cl_mem al = rdn__buffer(ctx, fn, (size_t)(k + 1) * sizeof *af, &s);
  if (!al) return s;
  cl_int e = clEnqueueWriteBuffer(ctx->queue, al, CL_TRUE, 0, (size_t)(k + 1) * sizeof *af, af,
                                  0, NULL, NULL);
  cl_kernel kn;
  cl_ulong wo = all->offset, ff = f, cc = c;
  cl_uint kk = (cl_uint)k;
  size_t gws = f * c * c;
  if (e != CL_SUCCESS) s = rdn__cl_fail(ctx, fn, "clEnqueueWriteBuffer", e);
  else if ((s = rdn__kernel(ctx, "spectral", RDN_C64, NULL, "spec_opsum", &kn)) == RDN_OK &&
           (s = RDN_ARGS(ctx, kn, "spec_opsum", RDN_ARG(all->buf), RDN_ARG(wo), RDN_ARG(ff),
                         RDN_ARG(cc), RDN_ARG(kk), RDN_ARG(al))) == RDN_OK)
    s = rdn__launch(ctx, kn, "spec_opsum", 1, &gws, NULL);
  clReleaseMemObject(al);
  return s;
}

/* E = conj a (I + a Sigma)^-1 into e [F, C, C] (Gram as a batched GEMM V^H V, then the
** fused Cholesky + logdet + inverse). */
static rdn_status e_operator(rdn_ctx *ctx, const char *fn, rdn_tensor *e, const rdn_tensor *v,
                             double a, double *ld, size_t f) {
  rdn_status s;
  if ((s = rdn_gemm(ctx, RDN_CONJTRANS, RDN_NOTRANS, 1.0, v, v, 0.0, e)) != RDN_OK ||
      (s = op_sum(ctx, fn, e, f, e->shape[1], 0, &a)) != RDN_OK ||
      (s = rdn_spd_inverse_logdet(ctx, e, ld, f)) != RDN_OK)
    return s;
  for (size_t p = 0; p < f; p++) ld[p] += (double)e->shape[1] * log(a);
  return RDN_OK;
}

/* Blocks 1..k of all [(k+1) F, C, C] = the class Grams G_j(p) = Z_j(p)^H Z_j(p) of the
** class-sorted spectra (scratch): one batched GEMM over the frequencies per class. */
static rdn_status class_grams(rdn_ctx *ctx, const char *fn, rdn_tensor *all,
                              const rdn_tensor *v, const rdn_tensor *labels, int k,
                              const long *cnt) {
  size_t f = v->shape[0], m = v->shape[1], c = v->shape[2], n[MAXK], zoff[MAXK];
  for (int j = 0; j < k; j++) {
    n[j] = (size_t)cnt[j];
    zoff[j] = j ? zoff[j - 1] + f * n[j - 1] * c : 0;
  }
  cl_mem zb;
  rdn_tensor *zs = NULL;
  size_t s2[2] = { f * m, c };
  rdn_status s;
  if ((s = rdn__linalg_scratch(ctx, fn, RDN_LINALG_SPEC_P, f * m * c * 8, &zb)) != RDN_OK ||
      (s = rdn__tensor_over(ctx, zb, 0, RDN_C64, 2, s2, &zs)) != RDN_OK ||
      (s = class_sort(ctx, fn, zs, v, labels, k, n, zoff)) != RDN_OK)
    goto done;
  for (int j = 0; j < k && s == RDN_OK; j++) {
    rdn_tensor *z = NULL, *gj = NULL;
    if ((s = sub3(&z, zs, zoff[j], f, n[j], c)) == RDN_OK &&
        (s = rdn_tensor_rows(&gj, all, (size_t)(j + 1) * f, f)) == RDN_OK)
      s = rdn_gemm(ctx, RDN_CONJTRANS, RDN_NOTRANS, 1.0, z, z, 0.0, gj);
    rdn_tensor_release(z);
    rdn_tensor_release(gj);
  }
done:
  rdn_tensor_release(zs);
  return s;
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
  if ((s = rdn__spec_need_spectra(ctx, fn, v, g, &m, &c)) != RDN_OK) return s;
  if (!(eps_sq > 0 && isfinite(eps_sq)))
    return rdn__fail(ctx, RDN_EINVAL, "%s: eps_sq must be positive and finite, got %g", fn,
                     eps_sq);
  if ((s = rdn__spec_need_labels(ctx, fn, labels, m, k, cnt)) != RDN_OK) return s;
  size_t f = rdn_spectral_nfreq(g), nmat = (size_t)(k + 1) * f;
  if (w) {
    if ((s = rdn__spec_need_tensor(ctx, fn, "w", w, RDN_C64)) != RDN_OK) return s;
    if (w->ndim != 4 || w->shape[0] != (size_t)k + 1 || w->shape[1] != f || w->shape[2] != c ||
        w->shape[3] != c)
      return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: 'w' must be c64 [%d x %zu x %zu x "
                       "%zu], got %s", fn, k + 1, f, c, c, rdn_tensor_shape_str(w, a, sizeof a));
  }
  if ((s = rdn__check_finite(ctx, fn, v, "v")) != RDN_OK) return s;
  double alpha[MAXK + 1];
  alpha[0] = (double)c / ((double)m * eps_sq);
  for (int j = 0; j < k; j++) alpha[j + 1] = (double)c / ((double)cnt[j] * eps_sq);
  rdn_tensor *ops = w ? rdn_tensor_retain(w) : NULL, *all = NULL;
  double *ld = malloc(nmat * sizeof *ld);
  if (!ld) return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
  size_t s4[4] = { (size_t)k + 1, f, c, c }, s3[3] = { nmat, c, c };
  if (!ops && (s = rdn_tensor_new(ctx, &ops, RDN_C64, 4, s4)) != RDN_OK) goto done;
  /* M_0 = I + a conj(Sigma), M_j = I + a_j conj(Sigma_j) (the Gram Z^H Z of the rows): the
  ** inverses are conj(E), conj(C^j), applied as row vectors (v^T conj(E) = (E v)^T). */
  if ((s = rdn_tensor_reshape(&all, ops, 3, s3)) != RDN_OK ||
      (s = class_grams(ctx, fn, all, v, labels, k, cnt)) != RDN_OK ||
      (s = op_sum(ctx, fn, all, f, c, k, alpha)) != RDN_OK)
    goto done;
  /* one pass per matrix: factor, log-det and (when the operators are wanted) inverse */
  if ((s = w ? rdn_spd_inverse_logdet(ctx, all, ld, nmat)
             : rdn_spd_logdet(ctx, ld, nmat, all)) != RDN_OK)
    goto done;
  for (size_t i = 0; i < nmat; i++) ld[i] += (double)c * log(alpha[i / f]);
  double n = (double)rdn__spec_rows(g) * (double)g->w;
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
  rdn_tensor_release(all);
  rdn_tensor_release(ops);
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
  if ((s = rdn__spec_need_spectra(ctx, fn, v, g, &m, &c)) != RDN_OK) return s;
  if (!(eps_sq > 0 && isfinite(eps_sq)))
    return rdn__fail(ctx, RDN_EINVAL, "%s: eps_sq must be positive and finite, got %g", fn,
                     eps_sq);
  if ((s = rdn__spec_need_labels(ctx, fn, labels, m, k, cnt)) != RDN_OK) return s;
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
  double rc = 0, n = (double)rdn__spec_rows(g) * (double)g->w;
  if ((s = rdn_tensor_new(ctx, &wb->e, RDN_C64, 3, se)) != RDN_OK ||
      (s = rdn_tensor_new(ctx, &wb->zs, RDN_C64, 2, sz)) != RDN_OK ||
      (s = rdn_tensor_new(ctx, &wb->ninv, RDN_C64, 1, sn)) != RDN_OK ||
      (s = e_operator(ctx, fn, wb->e, v, wb->alpha[0], ld, f)) != RDN_OK ||
      (s = class_sort(ctx, fn, wb->zs, v, labels, k, wb->cnt, wb->zoff)) != RDN_OK)
    goto done;
  /* N_j = (I / a_j + Z_j Z_j^H)^-1; logdet(I + a_j Z_j^H Z_j) = m_j log a_j + logdet(N_j^-1) */
  for (int j = 0; j < k && s == RDN_OK; j++) {
    size_t mj = wb->cnt[j];
    rdn_tensor *z = NULL, *nj = NULL;
    if ((s = sub3(&z, wb->zs, wb->zoff[j], f, mj, c)) == RDN_OK &&
        (s = sub3(&nj, wb->ninv, wb->noff[j], f, mj, mj)) == RDN_OK &&
        (s = rdn_gram(ctx, nj, z, RDN_GRAM_ROWS, 1.0, 1 / wb->alpha[j + 1])) == RDN_OK)
      s = rdn_spd_inverse_logdet(ctx, nj, ldj, f);
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
  if ((s = rdn__spec_need_tensor(ctx, fn, "e", e, RDN_C64)) != RDN_OK ||
      (s = rdn__spec_need_tensor(ctx, fn, "zs", zs, RDN_C64)) != RDN_OK ||
      (s = rdn__spec_need_tensor(ctx, fn, "ninv", ninv, RDN_C64)) != RDN_OK)
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

