/*
** redunet_ref.h -- float64 host references shared by the ReduNet tests (test_redunet.c,
** test_spectral.c): real Cholesky with log-det and the scaled inverse scale (I + a G)^-1
** that the operators E and C^j are made of.  Header-only (static inline).
*/
#ifndef RDN_TEST_REDUNET_REF_H
#define RDN_TEST_REDUNET_REF_H
#include <math.h>
#include <stdlib.h>

/* In-place Cholesky of an n x n SPD matrix (lower); returns logdet. */
static inline double chol(double *a, int n) {
  double ld = 0;
  for (int j = 0; j < n; j++) {
    double s = a[j * n + j];
    for (int p = 0; p < j; p++) s -= a[j * n + p] * a[j * n + p];
    a[j * n + j] = sqrt(s);
    ld += 2 * log(a[j * n + j]);
    for (int i = j + 1; i < n; i++) {
      double t = a[i * n + j];
      for (int p = 0; p < j; p++) t -= a[i * n + p] * a[j * n + p];
      a[i * n + j] = t / a[j * n + j];
    }
  }
  return ld;
}

/* out = scale * (I + a G)^-1 (n x n) by solving with the Cholesky factor; returns the
** logdet of I + a G. */
static inline double inv_scaled(const double *g, int n, double a, double scale, double *out) {
  double *l = malloc(sizeof(double) * n * n);
  for (int i = 0; i < n * n; i++) l[i] = a * g[i] + (i % (n + 1) == 0);
  double ld = chol(l, n);
  for (int c = 0; c < n; c++) {        /* column c of the inverse */
    double *x = out + c;               /* strided by n */
    for (int i = 0; i < n; i++) {      /* L y = e_c */
      double s = i == c;
      for (int p = 0; p < i; p++) s -= l[i * n + p] * x[p * n];
      x[i * n] = s / l[i * n + i];
    }
    for (int i = n - 1; i >= 0; i--) { /* L^T x = y */
      double s = x[i * n];
      for (int p = i + 1; p < n; p++) s -= l[p * n + i] * x[p * n];
      x[i * n] = s / l[i * n + i];
    }
  }
  for (int i = 0; i < n * n; i++) out[i] *= scale;
  free(l);
  return ld;
}

#endif
