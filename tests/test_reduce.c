/*
** test_reduce.c -- rdn_sum, rdn_sumsq, rdn_row_norms, rdn_normalize_rows,
** rdn_argmax_rows and rdn_gather_rows against float64 host references, in both the
** CPU chunk form and the GPU tree form (RDN_REDUCE=chunk|tree), with views, odd sizes
** and every bad-input case.
*/
#include "harness.h"
#include <stdlib.h>
#include <string.h>

static int has64;
static const char *form = "chunk";

static double *gen(rdn_dtype dt, size_t n, unsigned long long seed) {
  size_t nv = dt == RDN_C64 ? 2 * n : n;
  double *v = malloc(nv * sizeof *v);
  for (size_t i = 0; i < nv; i++) {
    v[i] = th_rand(&seed) + 0.25;       /* a nonzero mean: sums do not cancel to ~0 */
    if (dt != RDN_F64) v[i] = (float)v[i];
  }
  return v;
}

/* Whole-tensor sums: double accumulation of exactly representable inputs, so the error
** bound is a few ulp of double times the sum of magnitudes. */
static void sums(rdn_ctx *ctx, rdn_dtype dt, size_t n) {
  size_t s[2] = { n, 3 }, nv = (dt == RDN_C64 ? 2 : 1) * 3 * n;
  double *v = gen(dt, 3 * n, n), ref = 0, refq = 0, mag = 0, got = -1;
  rdn_tensor *t = th_tensor(ctx, dt, 2, s, v), *view = NULL;
  if (!t) { free(v); return; }
  for (size_t i = 0; i < nv; i++) {
    if (dt != RDN_C64 || i % 2 == 0) ref += v[i];
    if (dt != RDN_C64 || i % 2 == 0) mag += fabs(v[i]);
    refq += v[i] * v[i];
  }
  double tol = has64 ? 1e-12 : 1e-5;
  CHECK_OK(ctx, rdn_sum(ctx, t, &got));
  CHECK(fabs(got - ref) <= tol * mag, "sum %s n=%zu (%s): %.17g vs %.17g", rdn_dtype_name(dt),
        3 * n, form, got, ref);
  CHECK_OK(ctx, rdn_sumsq(ctx, t, &got));
  CHECK(fabs(got - refq) <= tol * refq, "sumsq %s n=%zu (%s): %.17g vs %.17g",
        rdn_dtype_name(dt), 3 * n, form, got, refq);
  /* a view skipping the first row */
  if (n > 1) {
    CHECK_OK(ctx, rdn_tensor_rows(&view, t, 1, n - 1));
    size_t skip = dt == RDN_C64 ? 6 : 3;
    double rv = 0;
    for (size_t i = skip; i < nv; i++) rv += v[i] * v[i];
    CHECK_OK(ctx, rdn_sumsq(ctx, view, &got));
    CHECK(fabs(got - rv) <= tol * rv, "sumsq of a row view %s (%s)", rdn_dtype_name(dt), form);
    rdn_tensor_release(view);
  }
  rdn_tensor_release(t);
  free(v);
}

/* Row norms and normalisation on a tensor of `ndim` axes viewed as [rows, rest]; the
** tensor is a view at row offset 1 of a larger one, so offsets are exercised. */
static void rows_ops(rdn_ctx *ctx, rdn_dtype dt, int ndim, const size_t *shape) {
  size_t full[RDN_MAX_DIMS], rows = shape[0], cols = 1;
  for (int d = 1; d < ndim; d++) cols *= shape[d];
  memcpy(full, shape, (size_t)ndim * sizeof *shape);
  full[0] = rows + 2;
  size_t spe = dt == RDN_C64 ? 2 : 1, rv = cols * spe, nv = (rows + 2) * rv;
  double *v = gen(dt, (rows + 2) * cols, rows * 31 + cols), *nr = malloc(rows * sizeof *nr);
  /* a zero row and a tiny row exercise the clamp */
  if (rows > 2) {
    for (size_t j = 0; j < rv; j++) v[2 * rv + j] = 0;
    for (size_t j = 0; j < rv; j++) v[3 * rv + j] = j == 0 ? 1e-9 : 0;
  }
  rdn_tensor *t = th_tensor(ctx, dt, ndim, full, v), *x = NULL, *out = NULL;
  if (!t) goto done;
  CHECK_OK(ctx, rdn_tensor_rows(&x, t, 1, rows));
  rdn_dtype odt = dt == RDN_F64 ? RDN_F64 : RDN_F32;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &out, odt, 1, &rows));
  for (size_t r = 0; r < rows; r++) {
    double q = 0;
    for (size_t j = 0; j < rv; j++) q += v[(r + 1) * rv + j] * v[(r + 1) * rv + j];
    nr[r] = sqrt(q);
  }
  const char *dn = rdn_dtype_name(dt);
  double tol = dt == RDN_F64 ? 1e-13 : 2e-7;
  CHECK_OK(ctx, rdn_row_norms(ctx, out, x));
  double *g = th_read(out);
  CHECK(th_relerr(g, nr, rows, 1e-300) <= tol, "row_norms %s [%zu x %zu] (%s): err %g", dn,
        rows, cols, form, th_relerr(g, nr, rows, 1e-300));
  free(g);
  CHECK_OK(ctx, rdn_normalize_rows(ctx, x, 1e-8));
  g = th_read(t);
  double *ref = malloc(nv * sizeof *ref);
  for (size_t i = 0; i < nv; i++) {
    size_t r = i / rv;
    ref[i] = r >= 1 && r <= rows ? v[i] / (nr[r - 1] > 1e-8 ? nr[r - 1] : 1e-8) : v[i];
  }
  CHECK(th_relerr(g, ref, nv, 1e-3) <= 4 * tol, "normalize_rows %s [%zu x %zu] (%s): err %g", dn,
        rows, cols, form, th_relerr(g, ref, nv, 1e-3));
  if (rows > 2)
    CHECK(g[2 * rv] == 0 && fabs(g[3 * rv] - 0.1) < 1e-6, "clamp: zero row stays 0, a row of "
          "norm 1e-9 becomes 0.1 (%g)", g[3 * rv]);
  free(ref);
  free(g);
done:
  rdn_tensor_release(out);
  rdn_tensor_release(x);
  rdn_tensor_release(t);
  free(v);
  free(nr);
}

static void argmax(rdn_ctx *ctx, rdn_dtype dt) {
  size_t s[2] = { 6, 9 }, big[2] = { 1001, 37 }, o6 = 6;
  double v[54];
  unsigned long long st = 5;
  for (int i = 0; i < 54; i++) v[i] = th_rand(&st);
  v[0 * 9 + 3] = 5; v[0 * 9 + 7] = 5;                     /* tie: first wins -> 3 */
  v[1 * 9 + 8] = 9;                                       /* last column */
  v[2 * 9 + 1] = NAN; v[2 * 9 + 4] = NAN; v[2 * 9 + 5] = 99; /* first NaN -> 1 */
  for (int j = 0; j < 9; j++) v[3 * 9 + j] = -INFINITY;   /* all -inf -> 0 */
  v[4 * 9 + 0] = NAN;                                     /* NaN first -> 0 */
  v[5 * 9 + 0] = 7;                                       /* first column */
  int want[6] = { 3, 8, 1, 0, 0, 0 };
  rdn_tensor *x = th_tensor(ctx, dt, 2, s, v), *out = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &out, RDN_I32, 1, &o6));
  CHECK_OK(ctx, rdn_argmax_rows(ctx, out, x));
  double *g = th_read(out);
  int ok = 1;
  for (int r = 0; r < 6; r++) ok &= g[r] == want[r];
  CHECK(ok, "argmax %s: ties, NaN and -inf rows (%g %g %g %g %g %g)", rdn_dtype_name(dt), g[0],
        g[1], g[2], g[3], g[4], g[5]);
  free(g);
  rdn_tensor_release(out);
  rdn_tensor_release(x);
  /* larger, odd sizes, into a view of an i32 tensor */
  double *w = gen(dt, 1001 * 37, 77);
  size_t o2 = 1003;
  x = th_tensor(ctx, dt, 2, big, w);
  rdn_tensor *o = NULL, *ov = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &o, RDN_I32, 1, &o2));
  CHECK_OK(ctx, rdn_tensor_fill(o, -5));
  CHECK_OK(ctx, rdn_tensor_rows(&ov, o, 2, 1001));
  CHECK_OK(ctx, rdn_argmax_rows(ctx, ov, x));
  g = th_read(o);
  ok = g[0] == -5 && g[1] == -5;
  for (int r = 0; r < 1001; r++) {
    int b = 0;
    for (int j = 1; j < 37; j++)
      if (w[r * 37 + j] > w[r * 37 + b]) b = j;
    ok &= g[r + 2] == b;
  }
  CHECK(ok, "argmax %s [1001 x 37] into a view", rdn_dtype_name(dt));
  free(g);
  free(w);
  rdn_tensor_release(ov);
  rdn_tensor_release(o);
  rdn_tensor_release(x);
}

static void gather(rdn_ctx *ctx, rdn_dtype dt) {
  size_t xs[3] = { 10, 3, 5 }, os[3] = { 9, 3, 5 }, n = 7, rw = 15;
  size_t spe = dt == RDN_C64 ? 2 : 1;
  double *v = gen(dt, 150, 3), iv[8] = { 0, 9, 4, 4, 0, 7, 2, 3 };
  if (dt == RDN_I32)
    for (size_t i = 0; i < 150; i++) v[i] = (double)(int)(1000 * v[i]);
  rdn_tensor *x = th_tensor(ctx, dt, 3, xs, v), *out = NULL, *ov = NULL, *idx = NULL, *iw = NULL;
  size_t ns = 8;
  idx = th_tensor(ctx, RDN_I32, 1, &ns, iv);
  CHECK_OK(ctx, rdn_tensor_new(ctx, &out, dt, 3, os));
  CHECK_OK(ctx, rdn_tensor_fill(out, 0));
  CHECK_OK(ctx, rdn_tensor_rows(&ov, out, 1, n));        /* out view at row 1 */
  CHECK_OK(ctx, rdn_tensor_rows(&iw, idx, 1, n));        /* idx view: 9 4 4 0 7 2 3 */
  CHECK_OK(ctx, rdn_gather_rows(ctx, ov, x, iw));
  double *g = th_read(out);
  int ok = 1;
  for (size_t i = 0; i < 9; i++)
    for (size_t j = 0; j < rw * spe; j++) {
      double want = i >= 1 && i <= n ? v[(size_t)iv[i] * rw * spe + j] : 0;
      ok &= g[i * rw * spe + j] == want;
    }
  CHECK(ok, "gather_rows %s with views", rdn_dtype_name(dt));
  free(g);
  /* out of range: position 3 holds 12 (and position 5 holds -1; the first one is named) */
  double bad[8] = { 0, 1, 2, 12, 4, -1, 6, 7 };
  rdn_tensor *ib = th_tensor(ctx, RDN_I32, 1, &ns, bad), *ibv = NULL;
  CHECK_OK(ctx, rdn_tensor_rows(&ibv, ib, 1, n));
  CHECK_ERR(ctx, rdn_gather_rows(ctx, ov, x, ibv), RDN_EINVAL,
            "rdn_gather_rows: index out of range: idx[2] = 12, x has 10 rows");
  double neg[8] = { 0, 1, 2, 3, 4, -1, 6, 7 };
  rdn_tensor *in = th_tensor(ctx, RDN_I32, 1, &ns, neg), *inv = NULL;
  CHECK_OK(ctx, rdn_tensor_rows(&inv, in, 1, n));
  CHECK_ERR(ctx, rdn_gather_rows(ctx, ov, x, inv), RDN_EINVAL, "idx[4] = -1");
  /* the flag is reset: a valid gather after a failure succeeds */
  CHECK_OK(ctx, rdn_gather_rows(ctx, ov, x, iw));
  rdn_tensor_release(inv);
  rdn_tensor_release(in);
  rdn_tensor_release(ibv);
  rdn_tensor_release(ib);
  rdn_tensor_release(iw);
  rdn_tensor_release(idx);
  rdn_tensor_release(ov);
  rdn_tensor_release(out);
  rdn_tensor_release(x);
  free(v);
}

static void bad_input(rdn_ctx *ctx) {
  size_t s[2] = { 4, 5 }, s4 = 4, s5 = 5, s43[2] = { 4, 3 };
  rdn_tensor *f = NULL, *c = NULL, *i4 = NULL, *f4 = NULL, *f5 = NULL, *d4 = NULL, *o = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &f, RDN_F32, 2, s));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &c, RDN_C64, 2, s));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &i4, RDN_I32, 1, &s4));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &f4, RDN_F32, 1, &s4));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &f5, RDN_F32, 1, &s5));
  CHECK_OK(ctx, rdn_tensor_fill(f, 1));
  CHECK_OK(ctx, rdn_tensor_fill(i4, 0));
  double r;
  CHECK_ERR(ctx, rdn_sum(ctx, i4, &r), RDN_EINVAL, "rdn_sum: 'x' is i32, want f32, f64 or c64");
  CHECK_ERR(ctx, rdn_sumsq(ctx, NULL, &r), RDN_EINVAL, "rdn_sumsq: 'x' is NULL");
  CHECK_ERR(ctx, rdn_sum(ctx, f, NULL), RDN_EINVAL, "'out' is NULL");
  CHECK_ERR(ctx, rdn_row_norms(ctx, f5, f), RDN_EINVAL,
            "rdn_row_norms: shape mismatch: out is [5], want 4 values for x [4 x 5]");
  CHECK_ERR(ctx, rdn_row_norms(ctx, i4, f), RDN_EINVAL, "'out' is i32, want f32 for x of f32");
  if (has64) {
    CHECK_OK(ctx, rdn_tensor_new(ctx, &d4, RDN_F64, 1, &s4));
    CHECK_ERR(ctx, rdn_row_norms(ctx, d4, c), RDN_EINVAL, "'out' is f64, want f32 for x of c64");
  }
  CHECK_ERR(ctx, rdn_normalize_rows(ctx, f, 0), RDN_EINVAL, "'clamp' must be positive and "
            "finite: 0");
  CHECK_ERR(ctx, rdn_normalize_rows(ctx, i4, 1e-8), RDN_EINVAL, "'x' is i32");
  CHECK_ERR(ctx, rdn_argmax_rows(ctx, f4, f), RDN_EINVAL, "rdn_argmax_rows: 'out' is f32, "
            "want i32");
  CHECK_ERR(ctx, rdn_argmax_rows(ctx, i4, c), RDN_EINVAL, "'x' is c64, want f32 or f64");
  CHECK_ERR(ctx, rdn_argmax_rows(ctx, f5, f), RDN_EINVAL, "'out' is f32");
  rdn_tensor *i5 = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &i5, RDN_I32, 1, &s5));
  CHECK_ERR(ctx, rdn_argmax_rows(ctx, i5, f), RDN_EINVAL, "out is [5], want 4 values");
  /* gather */
  CHECK_OK(ctx, rdn_tensor_new(ctx, &o, RDN_F32, 2, s43));
  CHECK_ERR(ctx, rdn_gather_rows(ctx, o, f, f4), RDN_EINVAL, "'idx' is f32, want i32");
  CHECK_ERR(ctx, rdn_gather_rows(ctx, c, f, i4), RDN_EINVAL, "dtype mismatch: out is c64, x is "
            "f32");
  CHECK_ERR(ctx, rdn_gather_rows(ctx, o, f, i4), RDN_EINVAL, "shape mismatch: out is [4 x 3], "
            "want 4 rows of 5");
  CHECK_ERR(ctx, rdn_gather_rows(ctx, f, f, NULL), RDN_EINVAL, "'idx' is NULL");
  rdn_tensor *top = NULL, *bot = NULL, *i2 = NULL;
  size_t two = 2;
  CHECK_OK(ctx, rdn_tensor_rows(&top, f, 0, 2));
  CHECK_OK(ctx, rdn_tensor_rows(&bot, f, 1, 2));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &i2, RDN_I32, 1, &two));
  CHECK_ERR(ctx, rdn_gather_rows(ctx, bot, top, i2), RDN_EINVAL, "'out' overlaps 'x' (offsets "
            "5 and 0)");
  rdn_tensor_release(i2);
  rdn_tensor_release(top);
  rdn_tensor_release(bot);
  rdn_tensor_release(i5);
  rdn_tensor_release(o);
  rdn_tensor_release(d4);
  rdn_tensor_release(f);
  rdn_tensor_release(c);
  rdn_tensor_release(i4);
  rdn_tensor_release(f4);
  rdn_tensor_release(f5);
}

static void all_dtypes(rdn_ctx *ctx) {
  rdn_dtype dts[3] = { RDN_F32, RDN_C64, RDN_F64 };
  size_t s_long[2] = { 1, 1000003 }, s_few[2] = { 5, 40001 }, s_many[2] = { 1003, 7 };
  size_t s_3d[3] = { 3, 4, 5 }, s_4d[4] = { 4, 3, 2, 7 }, s_one[1] = { 1 }, s_col[1] = { 33 };
  for (int d = 0; d < (has64 ? 3 : 2); d++) {
    sums(ctx, dts[d], 1);
    sums(ctx, dts[d], 7);
    sums(ctx, dts[d], 333334);          /* 1000002 elements */
    rows_ops(ctx, dts[d], 2, s_long);
    rows_ops(ctx, dts[d], 2, s_few);
    rows_ops(ctx, dts[d], 2, s_many);
    rows_ops(ctx, dts[d], 3, s_3d);
    rows_ops(ctx, dts[d], 4, s_4d);
    rows_ops(ctx, dts[d], 1, s_one);
    rows_ops(ctx, dts[d], 1, s_col);
  }
}

int main(void) {
  rdn_ctx *ctx = th_ctx();
  if (!ctx) return th_done();
  has64 = rdn_ctx_device(ctx)->has_fp64;
  /* both the CPU chunk form and the GPU tree form, whatever the device */
  setenv("RDN_REDUCE", "chunk", 1);
  all_dtypes(ctx);
  setenv("RDN_REDUCE", "tree", 1);
  form = "tree";
  all_dtypes(ctx);
  unsetenv("RDN_REDUCE");
  form = "default";
  argmax(ctx, RDN_F32);
  if (has64) argmax(ctx, RDN_F64);
  rdn_dtype gd[4] = { RDN_F32, RDN_C64, RDN_I32, RDN_F64 };
  for (int d = 0; d < (has64 ? 4 : 3); d++) gather(ctx, gd[d]);
  bad_input(ctx);
  rdn_ctx_destroy(ctx);
  return th_done();
}
