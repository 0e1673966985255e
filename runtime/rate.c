/*
** rate.c -- coding rates R, Rc and the rate reduction of MCR² (SPEC §1.1, §1.4) from the
** Gram, Cholesky and log-det primitives: vector features [m, d] and spectra [m, C, F]
** (sum over frequencies).  Every log-det uses the smaller side of the Gram identity.
*/
#include "rdn_impl.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *fn;
  const rdn_tensor *z;
  size_t m, d, nb;         /* samples, features (channels), batches (frequencies) */
  long sb, sr, sc;         /* strides of (batch, sample, feature) in z */
  cl_mem bad;              /* NaN/Inf flag: smallest flat index of z */
} rate_src;

/* Cholesky of nmat matrices [n, n] in buf (scratch slot 6), then their log-dets. */
static rdn_status chol_logdets(rdn_ctx *ctx, const char *fn, rdn_dtype dt, cl_mem buf,
                               size_t nmat, size_t n, double *ld) {
  rdn_status s;
  if (n <= 64) {
    if ((s = rdn__chol_batch(ctx, fn, dt, buf, 0, nmat, n, 0)) != RDN_OK) return s;
  } else {
    rdn_tensor *t = NULL;
    size_t shape[3] = { nmat, n, n };
    if ((s = rdn__tensor_over(ctx, buf, 0, dt, 3, shape, &t)) != RDN_OK) return s;
    for (size_t w = 0; w < nmat && s == RDN_OK; w++)
      s = rdn__chol_large(ctx, fn, t, w * n * n, n, w);
    rdn_tensor_release(t);
    if (s != RDN_OK) return s;
  }
  return rdn__chol_logdet(ctx, fn, dt, buf, 0, nmat, n, ld);
}

/* ld[b] = logdet(I + alpha G_b) for the Gram of the samples perm[p0 .. p0+ms) (all samples
** when perm is NULL), on the side with the smaller matrix. */
static rdn_status logdet_side(rdn_ctx *ctx, const rate_src *r, cl_mem perm, size_t p0,
                              size_t ms, double alpha, double *ld) {
  rdn_status s;
  cl_mem gs, mats;
  size_t dp;
  rdn_dtype dt = r->z->dtype;
  rdn__gram_src src = { r->z, r->nb, ms, r->d, r->sb, r->sr, r->sc, perm, p0, 0, 0, NULL, 0, 1 };
  if (ms < r->d) {              /* Z Z^H: the samples' side */
    src.nr = r->d;
    src.nc = ms;
    src.sr = r->sc;
    src.sc = r->sr;
    src.pax = 1;
    src.conj = 1;
  }
  size_t n = src.nc;
  if ((s = rdn__gram_raw(ctx, r->fn, &src, r->bad, &gs, &dp)) != RDN_OK ||
      (s = rdn__linalg_scratch(ctx, r->fn, 6, r->nb * n * n * rdn_dtype_size(dt), &mats)) !=
          RDN_OK ||
      (s = rdn__gram_finish(ctx, r->fn, dt, mats, 0, gs, n, dp, r->nb, NULL, 0, 1, alpha,
                            1.0)) != RDN_OK)
    return s;
  return chol_logdets(ctx, r->fn, dt, mats, r->nb, n, ld);
}

/* Reports NaN/Inf in z (from the pack kernels) in place of a numerical failure. */
static rdn_status check_bad(rdn_ctx *ctx, const rate_src *r, rdn_status s) {
  cl_uint at = 0;
  cl_int e = clEnqueueReadBuffer(ctx->queue, r->bad, CL_TRUE, 0, 4, &at, 0, NULL, NULL);
  if (e != CL_SUCCESS) return rdn__cl_fail(ctx, r->fn, "clEnqueueReadBuffer", e);
  if (at == 0xffffffffu) return s;
  size_t es = rdn_dtype_size(r->z->dtype);
  float v[2] = { 0, 0 };
  double dv = 0;
  e = clEnqueueReadBuffer(ctx->queue, r->z->buf, CL_TRUE, (r->z->offset + at) * es,
                          r->z->dtype == RDN_F32 ? 4 : 8,
                          r->z->dtype == RDN_F64 ? (void *)&dv : (void *)v, 0, NULL, NULL);
  if (e != CL_SUCCESS) return rdn__cl_fail(ctx, r->fn, "clEnqueueReadBuffer", e);
  if (r->z->dtype != RDN_F64) dv = isfinite(v[0]) ? v[1] : v[0];
  if (isnan(dv)) dv = NAN;                  /* print "nan", whatever its sign bit */
  if (r->nb > 1)
    return rdn__fail(ctx, RDN_EVALUE, "%s: 'z' has %g at sample %zu, channel %zu, frequency "
                     "%zu", r->fn, dv, at / (r->d * r->nb), at / r->nb % r->d, at % r->nb);
  return rdn__fail(ctx, RDN_EVALUE, "%s: 'z' has %g at sample %zu, feature %zu", r->fn, dv,
                   at / r->d, at % r->d);
}

/* out: [0] R - Rc, [1] R, [2] Rc.  y NULL: R only.  wt[b] weights the batches, norm the
** sum (1/2 for vectors, 1/(2T) for spectra). */
static rdn_status rates(rdn_ctx *ctx, rate_src *r, const rdn_tensor *y, int k, double eps,
                        const double *wt, double norm, double *out) {
  const char *fn = r->fn;
  rdn_status s;
  size_t *cnt = NULL, nb = r->nb, d = r->d, m = r->m;
  double *ld = NULL, *aj = NULL, R = 0, Rc = 0;
  cl_mem meta = NULL, perm = NULL;
  if (!isfinite(eps) || eps <= 0)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'eps_sq' must be finite and > 0, got %g", fn, eps);
  if (y && k <= 0 && (s = rdn__labels_k(ctx, fn, y, m, &k)) != RDN_OK) return s;
  if (y && (k < 1 || k > (1 << 24)))
    return rdn__fail(ctx, RDN_EINVAL, "%s: bad number of classes: %d", fn, k);
  size_t kk = y ? (size_t)k : 0;
  if (!(cnt = calloc(kk + 1, sizeof *cnt)) || !(ld = malloc((kk + 1) * nb * sizeof *ld)) ||
      !(aj = malloc((kk + 1) * sizeof *aj))) {
    s = rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
    goto done;
  }
  if (y) {
    if ((s = rdn__labels(ctx, fn, y, m, k, cnt, &meta, &perm)) != RDN_OK) goto done;
    for (int j = 0; j < k; j++)
      if (!cnt[j]) {
        s = rdn__fail(ctx, RDN_EVALUE, "%s: empty class: class %d has no samples (classes = "
                      "%d, samples = %zu)", fn, j, k, m);
        goto done;
      }
  }
  if (!(r->bad = rdn__buffer(ctx, fn, 4, &s))) goto done;
  cl_uint none = 0xffffffffu;
  cl_int e = clEnqueueFillBuffer(ctx->queue, r->bad, &none, 4, 0, 4, 0, NULL, NULL);
  if (e != CL_SUCCESS) {
    s = rdn__cl_fail(ctx, fn, "clEnqueueFillBuffer", e);
    goto done;
  }
  double a = (double)d / ((double)m * eps);
  /* one pass keeps k + 1 sets of Grams at once: only while they fit in ~512 MiB */
  int onepass = y != NULL && m >= d &&
                (kk + 1) * nb * d * d * rdn_dtype_size(r->z->dtype) <= ((size_t)512 << 20);
  for (size_t j = 0; j < kk; j++) {
    aj[j] = (double)d / ((double)cnt[j] * eps);
    if (cnt[j] < d) onepass = 0;
  }
  if (onepass) {
    /* every side is the feature side: all class Grams in one pass, the whole as their sum */
    cl_mem gs, mats;
    size_t dp, es = rdn_dtype_size(r->z->dtype);
    rdn__gram_src src = { r->z, nb, m, d, r->sb, r->sr, r->sc, perm, 0, 0, 0, meta, 1 + kk, kk };
    if ((s = rdn__gram_raw(ctx, fn, &src, r->bad, &gs, &dp)) != RDN_OK ||
        (s = rdn__linalg_scratch(ctx, fn, 6, (kk + 1) * nb * d * d * es, &mats)) != RDN_OK ||
        (s = rdn__gram_finish(ctx, fn, r->z->dtype, mats, 0, gs, d, dp, kk * nb, aj, kk, nb,
                              1.0, 1.0)) != RDN_OK ||
        (s = rdn__gram_sum(ctx, fn, r->z->dtype, mats, kk * nb * d * d, gs, 0, d, dp, nb, kk, a,
                           1.0)) != RDN_OK)
      goto done;
    s = chol_logdets(ctx, fn, r->z->dtype, mats, (kk + 1) * nb, d, ld);
  } else {
    s = logdet_side(ctx, r, NULL, 0, m, a, ld + kk * nb);
    size_t p0 = 0;
    for (size_t j = 0; j < kk && s == RDN_OK; p0 += cnt[j], j++)
      s = logdet_side(ctx, r, perm, p0, cnt[j], aj[j], ld + j * nb);
  }
  s = check_bad(ctx, r, s);
  if (s != RDN_OK) goto done;
  for (size_t b = 0; b < nb; b++) R += wt[b] * ld[kk * nb + b];
  for (size_t j = 0; j < kk; j++) {
    double sj = 0;
    for (size_t b = 0; b < nb; b++) sj += wt[b] * ld[j * nb + b];
    Rc += (double)cnt[j] / (double)m * sj;
  }
  out[1] = norm * R;
  out[2] = norm * Rc;
  out[0] = out[1] - out[2];
done:
  if (r->bad) clReleaseMemObject(r->bad);
  if (meta) clReleaseMemObject(meta);
  if (perm) clReleaseMemObject(perm);
  free(cnt);
  free(ld);
  free(aj);
  return s;
}

/* Vector features: z [m, d]. */
static rdn_status vec_rates(rdn_ctx *ctx, const char *fn, double *out, const rdn_tensor *z,
                            const rdn_tensor *y, int k, double eps) {
  char a[96];
  rdn_status s;
  if (!out) return rdn__fail(ctx, RDN_EINVAL, "%s: the result pointer is NULL", fn);
  if (!z) return rdn__fail(ctx, RDN_EINVAL, "%s: 'z' is NULL", fn);
  if (!rdn__is_float(z->dtype) || z->ndim != 2)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'z' must be f32, f64 or c64 [m, d] (rows are "
                     "samples), got %s %s", fn, rdn_dtype_name(z->dtype),
                     rdn_tensor_shape_str(z, a, sizeof a));
  if ((s = rdn__check_dtype(ctx, fn, "z", z->dtype)) != RDN_OK) return s;
  rate_src r = { fn, z, z->shape[0], z->shape[1], 1, 0, (long)z->shape[1], 1, NULL };
  double one = 1;
  return rates(ctx, &r, y, k, eps, &one, 0.5, out);
}

rdn_status rdn_coding_rate(rdn_ctx *ctx, double *r, const rdn_tensor *z, double eps_sq) {
  double out[3];
  rdn_status s = vec_rates(ctx, "rdn_coding_rate", r ? out : NULL, z, NULL, 0, eps_sq);
  if (s == RDN_OK) *r = out[1];
  return s;
}

rdn_status rdn_class_rate(rdn_ctx *ctx, double *rc, const rdn_tensor *z,
                          const rdn_tensor *labels, int k, double eps_sq) {
  double out[3];
  if (!labels) return rdn__fail(ctx, RDN_EINVAL, "rdn_class_rate: labels are missing");
  rdn_status s = vec_rates(ctx, "rdn_class_rate", rc ? out : NULL, z, labels, k, eps_sq);
  if (s == RDN_OK) *rc = out[2];
  return s;
}

rdn_status rdn_mcr2(rdn_ctx *ctx, double *out, const rdn_tensor *z, const rdn_tensor *labels,
                    int k, double eps_sq) {
  if (!labels) return rdn__fail(ctx, RDN_EINVAL, "rdn_mcr2: labels are missing");
  return vec_rates(ctx, "rdn_mcr2", out, z, labels, k, eps_sq);
}

rdn_status rdn_mcr2_spectral(rdn_ctx *ctx, double *out, const rdn_tensor *z,
                             const rdn_tensor *labels, int k, double eps_sq, size_t t,
                             int half) {
  const char *fn = "rdn_mcr2_spectral";
  char a[96];
  if (!out) return rdn__fail(ctx, RDN_EINVAL, "%s: the result pointer is NULL", fn);
  if (!z) return rdn__fail(ctx, RDN_EINVAL, "%s: 'z' is NULL", fn);
  if (z->dtype != RDN_C64 || z->ndim != 3)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'z' must be c64 [m, C, F] (samples, channels, "
                     "frequencies), got %s %s", fn, rdn_dtype_name(z->dtype),
                     rdn_tensor_shape_str(z, a, sizeof a));
  size_t m = z->shape[0], c = z->shape[1], f = z->shape[2];
  size_t want = half ? t / 2 + 1 : t;
  if (t < 1 || f != want)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'z' has %zu frequencies, but t = %zu with %s "
                     "needs %zu", fn, f, t, half ? "the half spectrum" : "all frequencies",
                     want);
  double *wt = malloc(f * sizeof *wt);
  if (!wt) return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
  for (size_t p = 0; p < f; p++)    /* a half spectrum stands for its conjugates too */
    wt[p] = half && p != 0 && !(t % 2 == 0 && p == t / 2) ? 2 : 1;
  rate_src r = { fn, z, m, c, f, 1, (long)(c * f), (long)f, NULL };
  rdn_status s = rates(ctx, &r, labels, k, eps_sq, wt, 0.5 / (double)t, out);
  free(wt);
  return s;
}
