/*
** linalg_ref.h -- float64 host references shared by the linear algebra tests
** (test_linalg.c, test_coding_rate.c): complex upload/download, errors, random data,
** Gram, positive definite batches, Cholesky and log-det.  Header-only (static inline).
*/
#ifndef RDN_TEST_LINALG_REF_H
#define RDN_TEST_LINALG_REF_H
#include "harness.h"
#include <complex.h>
#include <stdlib.h>
#include <string.h>

typedef double complex cplx;
static const rdn_dtype DTS[3] = { RDN_F32, RDN_F64, RDN_C64 };
static int has64;

/* Relative tolerance by dtype, for well-conditioned problems of moderate size. */
static inline double tol(rdn_dtype dt, double f32) { return dt == RDN_F64 ? 1e-11 : f32; }

/* Uploads n complex values (real dtypes take the real part). */
static inline rdn_tensor *up(rdn_ctx *ctx, rdn_dtype dt, int nd, const size_t *shape,
                             const cplx *v, size_t n) {
  double *h = malloc(2 * n * sizeof *h);
  for (size_t i = 0; i < n; i++) {
    if (dt == RDN_C64) {
      h[2 * i] = creal(v[i]);
      h[2 * i + 1] = cimag(v[i]);
    } else {
      h[i] = creal(v[i]);
    }
  }
  rdn_tensor *t = th_tensor(ctx, dt, nd, shape, h);
  free(h);
  return t;
}

/* Downloads as complex values (n = numel). */
static inline cplx *down(rdn_tensor *t) {
  size_t n = rdn_tensor_numel(t);
  double *h = th_read(t);
  cplx *v = malloc(n * sizeof *v);
  for (size_t i = 0; i < n; i++)
    v[i] = rdn_tensor_dtype(t) == RDN_C64 ? h[2 * i] + I * h[2 * i + 1] : h[i];
  free(h);
  return v;
}

/* max |a - b| / max |b| over n complex values */
static inline double cerr(const cplx *a, const cplx *b, size_t n) {
  double w = 0, s = 1e-300;
  for (size_t i = 0; i < n; i++) s = fmax(s, cabs(b[i]));
  for (size_t i = 0; i < n; i++) {
    double d = cabs(a[i] - b[i]) / s;
    if (!(d <= w)) w = d;
  }
  return w;
}

static inline cplx rnd(rdn_dtype dt, unsigned long long *st) {
  double re = th_rand(st);
  return dt == RDN_C64 ? re + I * th_rand(st) : re;
}

/* ref[b][i][j] = alpha sum_s conj(z[b][s][i]) z[b][s][j] + diag (COLS), or the rows. */
static inline void gram_ref(cplx *g, const cplx *z, size_t nb, size_t m, size_t d,
                            int rows, double alpha, double diag) {
  size_t n = rows ? m : d;
  for (size_t b = 0; b < nb; b++)
    for (size_t i = 0; i < n; i++)
      for (size_t j = 0; j < n; j++) {
        cplx s = 0;
        const cplx *zb = z + b * m * d;
        if (rows)
          for (size_t f = 0; f < d; f++) s += zb[i * d + f] * conj(zb[j * d + f]);
        else
          for (size_t r = 0; r < m; r++) s += conj(zb[r * d + i]) * zb[r * d + j];
        g[(b * n + i) * n + j] = alpha * s + (i == j ? diag : 0);
      }
}

/* nmat Hermitian positive definite [n, n]: B B^H / n + I / 2, B uniform (cond < ~10). */
static inline cplx *spd_batch(rdn_dtype dt, size_t nmat, size_t n,
                              unsigned long long seed) {
  cplx *a = calloc(nmat * n * n, sizeof *a), *bm = malloc(n * n * sizeof *bm);
  for (size_t w = 0; w < nmat; w++) {
    for (size_t i = 0; i < n * n; i++) bm[i] = rnd(dt, &seed);
    cplx *aw = a + w * n * n;
    for (size_t i = 0; i < n; i++)
      for (size_t j = 0; j <= i; j++) {
        cplx s = 0;
        for (size_t k = 0; k < n; k++) s += bm[i * n + k] * conj(bm[j * n + k]);
        s = s / (double)n + (i == j ? 0.5 : 0);
        if (i == j) s = creal(s);
        aw[i * n + j] = s;
        aw[j * n + i] = conj(s);
      }
  }
  free(bm);
  return a;
}

/* Host Cholesky in double (lower, upper zeroed); returns 0 or failing pivot + 1. */
static inline int host_chol(cplx *a, size_t n) {
  for (size_t j = 0; j < n; j++) {
    double d = creal(a[j * n + j]);
    for (size_t k = 0; k < j; k++) d -= creal(a[j * n + k] * conj(a[j * n + k]));
    if (!(d > 0)) return (int)j + 1;
    double l = sqrt(d);
    a[j * n + j] = l;
    for (size_t i = j + 1; i < n; i++) {
      cplx s = a[i * n + j];
      for (size_t k = 0; k < j; k++) s -= a[i * n + k] * conj(a[j * n + k]);
      a[i * n + j] = s / l;
      a[j * n + i] = 0;
    }
  }
  return 0;
}

/* log det of a Hermitian PD matrix (host, double; overwrites a) */
static inline double host_logdet(cplx *a, size_t n) {
  if (host_chol(a, n)) return NAN;
  double s = 0;
  for (size_t i = 0; i < n; i++) s += 2 * log(creal(a[i * n + i]));
  return s;
}

#endif
