/*
** test_gemm.c -- rdn_gemm against a float64 host reference: every transpose pair, odd
** sizes and edge tiles, views with offsets, strided batches with a broadcast operand,
** beta = 0 over NaN, both providers (own kernels and CLBlast), and every bad input.
*/
#include "harness.h"
#include <stdlib.h>
#include <string.h>

/* Tolerance, per element of C, relative to s = |alpha| sum_k |op(a)_ik| |op(b)_kj| +
** |beta| |c0_ij| (so cancellation cannot hide an error): f32 / c64 1e-5 sqrt(K)
** (rounding grows like sqrt(K) eps_f32 for random data; eps_f32 = 6e-8), f64 1e-12. */
static double tolerance(rdn_dtype dt, size_t k) {
  return dt == RDN_F64 ? 1e-12 : 1e-5 * sqrt((double)k);
}

typedef struct {
  rdn_tensor *t, *parent;      /* t is a row view of parent when parent != NULL */
  double *v;                   /* host copy of t (c64: re, im pairs) */
} operand;

/* Random tensor of `shape`; view = 1 makes it rows [2, 2 + shape[0]) of a larger one. */
static int make_operand(rdn_ctx *ctx, rdn_dtype dt, int ndim, const size_t *shape, int view,
                        unsigned long long *seed, operand *o) {
  size_t ps[3], per = dt == RDN_C64 ? 2 : 1, n = per, pad = view ? 2 : 0;
  memcpy(ps, shape, (size_t)ndim * sizeof *ps);
  ps[0] += pad;
  for (int i = 0; i < ndim; i++) n *= ps[i];
  double *pv = malloc(n * sizeof *pv);
  for (size_t i = 0; i < n; i++) pv[i] = th_rand(seed);
  memset(o, 0, sizeof *o);
  rdn_tensor *p = th_tensor(ctx, dt, ndim, ps, pv);
  if (!p) { free(pv); return 0; }
  size_t skip = n / ps[0] * pad;
  o->v = malloc((n - skip) * sizeof *o->v);
  memcpy(o->v, pv + skip, (n - skip) * sizeof *o->v);
  free(pv);
  if (!view) {
    o->t = p;
    return 1;
  }
  o->parent = p;
  return CHECK_OK(ctx, rdn_tensor_rows(&o->t, p, pad, shape[0]));
}

static void free_operand(operand *o) {
  rdn_tensor_release(o->t);
  rdn_tensor_release(o->parent);
  free(o->v);
}

typedef struct {
  rdn_dtype dt;
  int ta, tb;
  size_t m, n, k, batch;       /* batch > 0: c is 3-D */
  int a3, b3;                  /* a / b 3-D (else broadcast) */
  int view;                    /* operands are row views with an offset */
  double alpha, beta;
  int nan_c;                   /* C starts as NaN (with beta = 0) */
} gcase;

/* op(x)[i, j] of batch item b, x stored as [rows x cols] per item; writes re, im. */
static void opget(const double *x, int cplx, int a3, size_t b, size_t rows, size_t cols,
                  int trans, size_t i, size_t j, double *re, double *im) {
  size_t idx = (a3 ? b * rows * cols : 0) + (trans ? j * cols + i : i * cols + j);
  if (!cplx) {
    *re = x[idx];
    *im = 0;
    return;
  }
  *re = x[2 * idx];
  *im = trans == 2 ? -x[2 * idx + 1] : x[2 * idx + 1];
}

static const char *tn(int t) { return t == 0 ? "N" : t == 1 ? "T" : "H"; }

static void run_case(rdn_ctx *ctx, const gcase *g, const char *label) {
  unsigned long long seed = 1234567 + g->m * 7919 + g->n * 104729 + g->k * 31 + g->ta * 3 +
                            g->tb;
  int cplx = g->dt == RDN_C64, nb = g->batch ? (int)g->batch : 1;
  size_t ar = g->ta ? g->k : g->m, ac = g->ta ? g->m : g->k;
  size_t br = g->tb ? g->n : g->k, bc = g->tb ? g->k : g->n;
  size_t sa[3] = { g->batch, ar, ac }, sb[3] = { g->batch, br, bc }, sc[3] = { g->batch, g->m,
                                                                                 g->n };
  int a3 = g->batch && g->a3, b3 = g->batch && g->b3, c3 = g->batch > 0;
  operand A, B, C;
  if (!make_operand(ctx, g->dt, a3 ? 3 : 2, a3 ? sa : sa + 1, g->view, &seed, &A)) return;
  if (!make_operand(ctx, g->dt, b3 ? 3 : 2, b3 ? sb : sb + 1, g->view, &seed, &B)) {
    free_operand(&A);
    return;
  }
  if (!make_operand(ctx, g->dt, c3 ? 3 : 2, c3 ? sc : sc + 1, g->view, &seed, &C)) {
    free_operand(&A);
    free_operand(&B);
    return;
  }
  size_t cn = (size_t)nb * g->m * g->n * (cplx ? 2 : 1);
  if (g->nan_c) {
    CHECK_OK(ctx, rdn_tensor_fill(C.t, NAN));
    for (size_t i = 0; i < cn; i++) C.v[i] = NAN;
  }
  rdn_status s = rdn_gemm(ctx, (rdn_trans)g->ta, (rdn_trans)g->tb, g->alpha, A.t, B.t, g->beta,
                          C.t);
  if (CHECK_OK(ctx, s)) {
    double *got = th_read(C.t), worst = 0, tol = tolerance(g->dt, g->k);
    for (size_t b = 0; b < (size_t)nb; b++)
      for (size_t i = 0; i < g->m; i++)
        for (size_t j = 0; j < g->n; j++) {
          double re = 0, im = 0, sc0 = 0, xr, xi, yr, yi;
          for (size_t k = 0; k < g->k; k++) {
            opget(A.v, cplx, a3, b, ar, ac, g->ta, i, k, &xr, &xi);
            opget(B.v, cplx, b3, b, br, bc, g->tb, k, j, &yr, &yi);
            re += xr * yr - xi * yi;
            im += xr * yi + xi * yr;
            sc0 += sqrt(xr * xr + xi * xi) * sqrt(yr * yr + yi * yi);
          }
          size_t o = (b * g->m + i) * g->n + j;
          double c0r = cplx ? C.v[2 * o] : C.v[o], c0i = cplx ? C.v[2 * o + 1] : 0;
          double wr = g->alpha * re, wi = g->alpha * im;
          double scale = fabs(g->alpha) * sc0;
          if (g->beta != 0) {
            wr += g->beta * c0r;
            wi += g->beta * c0i;
            scale += fabs(g->beta) * sqrt(c0r * c0r + c0i * c0i);
          }
          double gr = cplx ? got[2 * o] : got[o], gi = cplx ? got[2 * o + 1] : 0;
          double err = sqrt((gr - wr) * (gr - wr) + (gi - wi) * (gi - wi)) /
                       (scale > 1e-30 ? scale : 1e-30);
          if (!(err <= worst)) worst = err;    /* NaN-propagating max */
        }
    CHECK(worst <= tol, "%s: %s %s%s m=%zu n=%zu k=%zu batch=%zu a3=%d b3=%d view=%d: "
          "error %.3g > tol %.3g", label, rdn_dtype_name(g->dt), tn(g->ta), tn(g->tb), g->m,
          g->n, g->k, g->batch, a3, b3, g->view, worst, tol);
    free(got);
  }
  free_operand(&A);
  free_operand(&B);
  free_operand(&C);
}

/* Every transpose pair (real: N, T, H; H equals T) at one odd shape. */
static void all_transposes(rdn_ctx *ctx, rdn_dtype dt, const char *label) {
  for (int ta = 0; ta < 3; ta++)
    for (int tb = 0; tb < 3; tb++) {
      gcase g = { dt, ta, tb, 17, 33, 65, 0, 0, 0, 0, 0.75, -0.5, 0 };
      run_case(ctx, &g, label);
    }
}

static void odd_sizes(rdn_ctx *ctx, rdn_dtype dt, const char *label) {
  static const size_t sz[][3] = {
    { 1, 1, 1 }, { 3, 17, 1 }, { 1, 127, 65 }, { 65, 1, 127 }, { 127, 65, 33 },
    { 33, 127, 3 }, { 9, 9, 9 }, { 7, 16, 5 }, { 8, 32, 8 }, { 100, 70, 300 },
  };
  for (size_t i = 0; i < sizeof sz / sizeof sz[0]; i++)
    for (int t = 0; t < 2; t++) {
      gcase g = { dt, t, 1 - t, sz[i][0], sz[i][1], sz[i][2], 0, 0, 0, 0, 1.0, 0.0, 0 };
      run_case(ctx, &g, label);
    }
}

static void complex_cases(rdn_ctx *ctx, const char *label) {
  static const int tr[][2] = { { 0, 0 }, { 2, 0 }, { 0, 2 }, { 2, 2 }, { 1, 2 }, { 2, 1 },
                               { 1, 1 } };
  for (size_t i = 0; i < sizeof tr / sizeof tr[0]; i++) {
    gcase g = { RDN_C64, tr[i][0], tr[i][1], 19, 23, 37, 0, 0, 0, 0, 1.5, 0.25, 0 };
    run_case(ctx, &g, label);
  }
  gcase s = { RDN_C64, 2, 0, 5, 7, 3, 0, 0, 0, 0, 1, 0, 0 };     /* n <= 8 tile */
  run_case(ctx, &s, label);
  gcase l = { RDN_C64, 0, 2, 70, 45, 129, 0, 0, 0, 0, 1, 0, 0 };
  run_case(ctx, &l, label);
  /* the spectral layer's shape (samples x C against C x (k+1) C, C = 35, k = 10):
  ** batched, odd M, edge tiles in both directions; then views with beta != 0 */
  gcase sp = { RDN_C64, 0, 0, 101, 385, 35, 3, 1, 1, 0, 1, 0, 0 };
  run_case(ctx, &sp, label);
  gcase spv = { RDN_C64, 0, 0, 37, 385, 35, 2, 1, 1, 1, 0.5, -1.5, 0 };
  run_case(ctx, &spv, label);
  gcase sph = { RDN_C64, 2, 1, 13, 11, 35, 2, 1, 0, 1, 1, 0.75, 0 };   /* shared b */
  run_case(ctx, &sph, label);
}

/* Views, batches with a broadcast operand on either side, beta = 0 over NaN. */
static void layout_cases(rdn_ctx *ctx, rdn_dtype dt, const char *label) {
  gcase v = { dt, 0, 1, 13, 21, 29, 0, 0, 0, 1, 1.0, 2.0, 0 };
  run_case(ctx, &v, label);
  gcase vb = { dt, 1, 0, 11, 35, 6, 3, 1, 1, 1, -1.0, 0.5, 0 };
  run_case(ctx, &vb, label);
  for (int t = 0; t < 2; t++) {
    gcase b1 = { dt, t, 0, 9, 18, 27, 4, 0, 1, 0, 1.0, 0.0, 0 };    /* shared a */
    gcase b2 = { dt, t, 0, 17, 10, 12, 5, 1, 0, t, 1.0, 0.0, 0 };   /* shared b */
    gcase b3 = { dt, t, 1, 3, 5, 7, 6, 1, 1, 0, 0.5, 1.0, 0 };
    run_case(ctx, &b1, label);
    run_case(ctx, &b2, label);
    run_case(ctx, &b3, label);
  }
  gcase nan = { dt, 0, 0, 20, 40, 10, 0, 0, 0, 0, 1.0, 0.0, 1 };
  run_case(ctx, &nan, label);
  gcase nanb = { dt, 1, 1, 5, 3, 4, 2, 1, 0, 1, 2.0, 0.0, 1 };
  run_case(ctx, &nanb, label);
}

static void own_provider(rdn_ctx *ctx) {
  int fp64 = rdn_ctx_device(ctx)->has_fp64;
  if (!CHECK_OK(ctx, rdn_gemm_provider_set(ctx, RDN_GEMM_OWN))) return;
  all_transposes(ctx, RDN_F32, "own");
  if (fp64) all_transposes(ctx, RDN_F64, "own");
  odd_sizes(ctx, RDN_F32, "own");
  if (fp64) odd_sizes(ctx, RDN_F64, "own");
  complex_cases(ctx, "own");
  layout_cases(ctx, RDN_F32, "own");
  if (fp64) layout_cases(ctx, RDN_F64, "own");
  layout_cases(ctx, RDN_C64, "own");
  /* K over one tile launch (1024): later blocks add to C, beta applies once */
  gcase k1 = { RDN_F32, 1, 0, 20, 36, 2100, 0, 0, 0, 0, 0.5, 0.5, 0 };
  gcase k2 = { RDN_F32, 0, 1, 12, 9, 1500, 2, 1, 1, 1, 1.0, 0.0, 1 };
  gcase k3 = { RDN_C64, 2, 0, 9, 10, 1100, 0, 0, 0, 0, 1.0, -0.5, 0 };
  run_case(ctx, &k1, "own");
  run_case(ctx, &k2, "own");
  run_case(ctx, &k3, "own");
  /* the A^T A covariance shape, scaled down */
  gcase cov = { RDN_F32, 1, 0, 78, 78, 500, 0, 0, 0, 0, 1.0 / 500, 0, 0 };
  run_case(ctx, &cov, "own");
}

/* CLBlast compiles each routine on first use (seconds on PoCL): few, small cases. */
static void clblast_provider(rdn_ctx *ctx) {
  rdn_status s = rdn_gemm_provider_set(ctx, RDN_GEMM_CLBLAST);
  if (s == RDN_EUNSUPPORTED) {
    CHECK(strstr(rdn_ctx_error(ctx), "CLBlast not available") != NULL, "message: %s",
          rdn_ctx_error(ctx));
    return;
  }
  if (!CHECK_OK(ctx, s)) return;
  CHECK(rdn_gemm_provider_get(ctx) == RDN_GEMM_CLBLAST, "provider is clblast after set");
  gcase c1 = { RDN_F32, 0, 0, 17, 33, 65, 0, 0, 0, 1, 0.75, -0.5, 0 };
  gcase c2 = { RDN_F32, 1, 1, 9, 3, 20, 0, 0, 0, 0, 1.0, 0.0, 1 };
  gcase c3 = { RDN_F32, 0, 1, 5, 6, 7, 3, 1, 1, 0, 1.0, 0.0, 0 };
  gcase c4 = { RDN_F32, 1, 0, 5, 6, 7, 3, 0, 1, 0, 1.0, 1.0, 0 };  /* broadcast a */
  gcase c5 = { RDN_C64, 2, 0, 6, 5, 9, 0, 0, 0, 0, 1.0, 0.5, 0 };
  run_case(ctx, &c1, "clblast");
  run_case(ctx, &c2, "clblast");
  run_case(ctx, &c3, "clblast");
  run_case(ctx, &c4, "clblast");
  run_case(ctx, &c5, "clblast");
  gcase c6 = { RDN_C64, 0, 0, 9, 385, 35, 0, 0, 0, 1, 1.0, 0.5, 0 };  /* spectral width */
  run_case(ctx, &c6, "clblast");
}

static void providers(rdn_ctx *ctx) {
  const rdn_device_info *d = rdn_ctx_device(ctx);
  CHECK_OK(ctx, rdn_gemm_provider_set(ctx, RDN_GEMM_AUTO));
  unsetenv("RDN_GEMM");
  rdn_gemm_provider p = rdn_gemm_provider_get(ctx);
  if (d->is_cpu) CHECK(p == RDN_GEMM_OWN, "default provider on a CPU device is own (%d)", p);
  setenv("RDN_GEMM", "own", 1);
  CHECK(rdn_gemm_provider_get(ctx) == RDN_GEMM_OWN, "RDN_GEMM=own");
  setenv("RDN_GEMM", "clblast", 1);
  CHECK(rdn_gemm_provider_get(ctx) == RDN_GEMM_CLBLAST, "RDN_GEMM=clblast");
  setenv("RDN_GEMM", "bogus", 1);
  size_t s2[2] = { 2, 2 };
  rdn_tensor *a = NULL, *c = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &a, RDN_F32, 2, s2));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &c, RDN_F32, 2, s2));
  CHECK_OK(ctx, rdn_tensor_fill(a, 1));
  CHECK_ERR(ctx, rdn_gemm(ctx, RDN_NOTRANS, RDN_NOTRANS, 1, a, a, 0, c), RDN_EINVAL,
            "bad RDN_GEMM value 'bogus'");
  /* an explicit choice overrides the environment */
  CHECK_OK(ctx, rdn_gemm_provider_set(ctx, RDN_GEMM_OWN));
  CHECK_OK(ctx, rdn_gemm(ctx, RDN_NOTRANS, RDN_NOTRANS, 1, a, a, 0, c));
  unsetenv("RDN_GEMM");
  CHECK_ERR(ctx, rdn_gemm_provider_set(ctx, (rdn_gemm_provider)7), RDN_EINVAL,
            "bad provider: 7");
  rdn_tensor_release(a);
  rdn_tensor_release(c);
}

static rdn_tensor *mk(rdn_ctx *ctx, rdn_dtype dt, size_t d0, size_t d1, size_t d2) {
  rdn_tensor *t = NULL;
  size_t s[3] = { d0, d1, d2 };
  int nd = d2 ? 3 : 2;
  if (!CHECK_OK(ctx, rdn_tensor_new(ctx, &t, dt, nd, s))) return NULL;
  return t;
}

static void bad_input(rdn_ctx *ctx) {
  rdn_tensor *a = mk(ctx, RDN_F32, 64, 128, 0), *b = mk(ctx, RDN_F32, 256, 32, 0);
  rdn_tensor *c = mk(ctx, RDN_F32, 64, 32, 0), *d = mk(ctx, RDN_F64, 128, 32, 0);
  rdn_tensor *i = mk(ctx, RDN_I32, 4, 4, 0), *a3 = mk(ctx, RDN_F32, 3, 4, 5);
  rdn_tensor *b3 = mk(ctx, RDN_F32, 2, 5, 6), *c3 = mk(ctx, RDN_F32, 2, 4, 6);
  rdn_tensor *sq = mk(ctx, RDN_F32, 8, 8, 0), *e8 = mk(ctx, RDN_F32, 8, 8, 0);
  rdn_tensor *bb = mk(ctx, RDN_F32, 128, 32, 0);
  rdn_tensor *v = NULL, *r4 = NULL;
  size_t s4[4] = { 2, 2, 4, 4 };
  const rdn_trans N = RDN_NOTRANS, T = RDN_TRANS;
  if (!a || !b || !c || !d || !i || !a3 || !b3 || !c3 || !sq || !e8 || !bb) goto done;
  CHECK_OK(ctx, rdn_gemm_provider_set(ctx, RDN_GEMM_OWN));
  CHECK_ERR(ctx, rdn_gemm(ctx, N, N, 1, a, b, 0, c), RDN_EINVAL,
            "shape mismatch: a is [64 x 128], b is [256 x 32]");
  CHECK_ERR(ctx, rdn_gemm(ctx, T, N, 1, a, bb, 0, c), RDN_EINVAL,
            "a is [64 x 128], b is [128 x 32] (op(a) has 64 columns, op(b) has 128 rows");
  CHECK_ERR(ctx, rdn_gemm(ctx, N, T, 1, a, bb, 0, c), RDN_EINVAL, "ta=n, tb=t");
  CHECK_ERR(ctx, rdn_gemm(ctx, N, N, 1, a, bb, 0, sq), RDN_EINVAL,
            "c is [8 x 8], op(a) op(b) is [64 x 32]");
  CHECK_ERR(ctx, rdn_gemm(ctx, N, N, 1, a, d, 0, c), RDN_EINVAL,
            "dtype mismatch: a is f32, b is f64, c is f32");
  CHECK_ERR(ctx, rdn_gemm(ctx, N, N, 1, i, i, 0, i), RDN_EINVAL, "unsupported dtype i32");
  CHECK_ERR(ctx, rdn_gemm(ctx, N, N, 1, a3, b3, 0, c3), RDN_EINVAL,
            "batch mismatch: a is [3 x 4 x 5], b is [2 x 5 x 6], c is [2 x 4 x 6]");
  CHECK_ERR(ctx, rdn_gemm(ctx, N, N, 1, a3, b, 0, c), RDN_EINVAL, "batch mismatch");
  CHECK_ERR(ctx, rdn_gemm(ctx, N, N, 1, sq, sq, 0, sq), RDN_EINVAL,
            "c [8 x 8] shares storage with a [8 x 8]");
  /* row views of one buffer: disjoint rows are fine, overlapping rows are refused */
  if (CHECK_OK(ctx, rdn_tensor_rows(&v, sq, 4, 4))) {
    rdn_tensor *w = NULL, *u = NULL, *c4 = mk(ctx, RDN_F32, 4, 8, 0);
    if (c4 && CHECK_OK(ctx, rdn_tensor_rows(&w, sq, 0, 4)) &&
        CHECK_OK(ctx, rdn_tensor_rows(&u, sq, 2, 4))) {
      CHECK_OK(ctx, rdn_tensor_fill(sq, 1));
      CHECK_OK(ctx, rdn_tensor_fill(e8, 1));
      CHECK_OK(ctx, rdn_gemm(ctx, N, N, 1, v, e8, 0, w));
      CHECK_ERR(ctx, rdn_gemm(ctx, N, N, 1, v, e8, 0, u), RDN_EINVAL,
                "c [4 x 8] shares storage with a [4 x 8]");
      CHECK_ERR(ctx, rdn_gemm(ctx, N, N, 1, c4, sq, 0, w), RDN_EINVAL,
                "c [4 x 8] shares storage with b [8 x 8]");
    }
    rdn_tensor_release(u);
    rdn_tensor_release(w);
    rdn_tensor_release(c4);
  }
  CHECK_ERR(ctx, rdn_gemm(ctx, (rdn_trans)5, N, 1, a, bb, 0, c), RDN_EINVAL,
            "bad transpose flag for 'ta': 5");
  CHECK_ERR(ctx, rdn_gemm(ctx, N, N, 1, NULL, bb, 0, c), RDN_EINVAL, "'a' is NULL");
  rdn_ctx *c2 = NULL;
  if (CHECK_OK(c2, rdn_ctx_create(&c2, NULL))) {
    rdn_tensor *o = mk(c2, RDN_F32, 64, 32, 0);
    CHECK_ERR(ctx, rdn_gemm(ctx, N, N, 1, a, bb, 0, o), RDN_EINVAL,
              "'c' belongs to another context");
    rdn_tensor_release(o);
  }
  rdn_ctx_destroy(c2);
  if (CHECK_OK(ctx, rdn_tensor_reshape(&r4, sq, 4, s4)))
    CHECK_ERR(ctx, rdn_gemm(ctx, N, N, 1, r4, sq, 0, c), RDN_EINVAL,
              "'a' must be 2-D or 3-D, got [2 x 2 x 4 x 4]");
done:
  rdn_tensor_release(r4);
  rdn_tensor_release(v);
  rdn_tensor *all[] = { a, b, c, d, i, a3, b3, c3, sq, e8, bb };
  for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) rdn_tensor_release(all[k]);
}

int main(void) {
  rdn_ctx *ctx = th_ctx();
  if (!ctx) return th_done();
  providers(ctx);
  bad_input(ctx);
  own_provider(ctx);
  clblast_provider(ctx);
  rdn_ctx_destroy(ctx);
  return th_done();
}
