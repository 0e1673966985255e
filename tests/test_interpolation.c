/*
** test_interpolation.c -- Linear/ReLU/convert against a float64 host reference, sparsity
** and rank of interpolation matrices (known ranks), and the SPEC §4 constructions
** (§7.5 oracles): exact interpolation, triangular / identity / block structure,
** duplicates, the condition estimate against the exact cond_1, the float32 warning path
** and every bad input.
*/
#include "harness.h"
#include <float.h>
#include <stdlib.h>
#include <string.h>

static int nwarn;
static char lastwarn[1024];
static void on_log(rdn_log_level lv, const char *msg, void *user) {
  (void)user;
  if (lv == RDN_LOG_WARN) {
    nwarn++;
    snprintf(lastwarn, sizeof lastwarn, "%s", msg);
  }
}

static double *rnd(size_t n, unsigned long long seed) {
  double *v = malloc(n * sizeof *v);
  for (size_t i = 0; i < n; i++) v[i] = th_rand(&seed);
  return v;
}

/* out [m, n] = act(x w^T + b) on the host. */
static void host_linear(double *out, const double *x, const double *w, const double *b,
                        size_t m, size_t d, size_t n, int relu) {
  for (size_t i = 0; i < m; i++)
    for (size_t u = 0; u < n; u++) {
      double s = b ? b[u] : 0;
      for (size_t k = 0; k < d; k++) s += x[i * d + k] * w[u * d + k];
      out[i * n + u] = relu && s < 0 ? 0 : s;
    }
}

/* The built network evaluated on the host: out [m, k]; hidden (when not NULL) receives
** the output of hidden layer `which` (1-based) [m, units]. */
static double *host_net(const rdn_interp_net *net, const double *x, size_t m, size_t d,
                        int which, double **hidden) {
  double *in = malloc(m * d * sizeof *in), *out = NULL;
  memcpy(in, x, m * d * sizeof *in);
  size_t din = d;
  for (int i = 0; i < net->nlinear; i++) {
    rdn_tensor *wt = net->w[i], *bt = net->b[i];
    size_t n = rdn_tensor_dim(wt, 0);
    double *w = th_read(wt), *b = th_read(bt);
    out = malloc(m * n * sizeof *out);
    host_linear(out, in, w, b, m, din, n, i + 1 < net->nlinear);
    free(w);
    free(b);
    if (hidden && i + 1 == which) {
      *hidden = malloc(m * n * sizeof **hidden);
      memcpy(*hidden, out, m * n * sizeof **hidden);
    }
    free(in);
    in = out;
    din = n;
  }
  return out;
}

static void linear_case(rdn_ctx *ctx, rdn_dtype dt) {
  size_t m = 37, d = 13, n = 29, big[2] = { 41, 13 }, sw[2] = { 29, 13 }, so[2] = { 37, 29 };
  double *xv = rnd(41 * d, 1), *wv = rnd(n * d, 2), *bv = rnd(n, 3), ref[37 * 29];
  rdn_tensor *xb = th_tensor(ctx, dt, 2, big, xv), *w = th_tensor(ctx, dt, 2, sw, wv);
  rdn_tensor *b = th_tensor(ctx, dt, 1, &n, bv), *x = NULL, *o = NULL;
  double tol = dt == RDN_F64 ? 1e-13 : 2e-6;
  CHECK_OK(ctx, rdn_tensor_rows(&x, xb, 3, m));                /* a view with an offset */
  CHECK_OK(ctx, rdn_tensor_new(ctx, &o, dt, 2, so));
  for (int relu = 0; relu < 2; relu++) {
    CHECK_OK(ctx, rdn_linear(ctx, o, x, w, b, relu));
    host_linear(ref, xv + 3 * d, wv, bv, m, d, n, relu);
    double *r = th_read(o);
    CHECK(th_relerr(r, ref, m * n, 1) <= tol, "%s linear relu=%d: err %g", rdn_dtype_name(dt),
          relu, th_relerr(r, ref, m * n, 1));
    free(r);
  }
  CHECK_OK(ctx, rdn_linear(ctx, o, x, w, NULL, 0));
  host_linear(ref, xv + 3 * d, wv, NULL, m, d, n, 0);
  double *r = th_read(o);
  CHECK(th_relerr(r, ref, m * n, 1) <= tol, "%s linear without bias", rdn_dtype_name(dt));
  free(r);
  /* relu in place keeps NaN, zeroes negatives; convert round trip through a view */
  double rv[5] = { -1, 2, NAN, -0.5, 3 };
  size_t five = 5;
  rdn_tensor *t = th_tensor(ctx, dt, 1, &five, rv), *u = NULL, *v = NULL;
  CHECK_OK(ctx, rdn_relu(ctx, t));
  r = th_read(t);
  CHECK(r[0] == 0 && r[1] == 2 && isnan(r[2]) && r[3] == 0 && r[4] == 3, "relu values");
  free(r);
  rdn_dtype other = dt == RDN_F64 ? RDN_F32 : RDN_F64;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &u, other, 2, so));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &v, dt, 2, so));
  CHECK_OK(ctx, rdn_linear(ctx, o, x, w, b, 1));
  CHECK_OK(ctx, rdn_convert(ctx, u, o));
  CHECK_OK(ctx, rdn_convert(ctx, v, u));
  double *a1 = th_read(o), *a2 = th_read(v);
  CHECK(th_relerr(a2, a1, m * n, 1) <= 1e-7, "convert round trip");
  free(a1);
  free(a2);
  CHECK_ERR(ctx, rdn_linear(ctx, o, w, w, b, 0), RDN_EINVAL, "out is [37 x 29], want [29 x 29]");
  CHECK_ERR(ctx, rdn_linear(ctx, o, x, o, b, 0), RDN_EINVAL, "w is [37 x 29] (want [out x 13])");
  CHECK_ERR(ctx, rdn_linear(ctx, o, x, w, t, 0), RDN_EINVAL, "b has 5 elements, w has 29 rows");
  CHECK_ERR(ctx, rdn_linear(ctx, o, u, w, b, 0), RDN_EINVAL, "dtype mismatch");
  CHECK_ERR(ctx, rdn_convert(ctx, t, o), RDN_EINVAL, "dst has 5 elements, src has 1073");
  CHECK_ERR(ctx, rdn_linear(ctx, o, t, w, b, 0), RDN_EINVAL, "'x' must be 2-D, got [5]");
  rdn_tensor_release(t);
  rdn_tensor_release(u);
  rdn_tensor_release(v);
  rdn_tensor_release(o);
  rdn_tensor_release(x);
  rdn_tensor_release(xb);
  rdn_tensor_release(w);
  rdn_tensor_release(b);
  free(xv);
  free(wv);
  free(bv);
}

/* stats of a: counts against the host, rank against `want`. */
static void stats_case(rdn_ctx *ctx, rdn_dtype dt, size_t m, size_t n, const double *a,
                       size_t want, const char *what) {
  size_t sh[2] = { m, n };
  rdn_tensor *t = th_tensor(ctx, dt, 2, sh, a), *rn = NULL, *cn = NULL;
  rdn_interp_info st;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &rn, RDN_I32, 1, &m));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &cn, RDN_I32, 1, &n));
  CHECK_OK(ctx, rdn_interp_stats(ctx, t, rn, cn, 1, &st));
  double *r = th_read(rn), *c = th_read(cn);
  size_t nnz = 0, rmin = n, rmax = 0, bad = 0;
  for (size_t i = 0; i < m; i++) {
    size_t k = 0;
    for (size_t u = 0; u < n; u++) k += a[i * n + u] > 0;
    nnz += k;
    rmin = k < rmin ? k : rmin;
    rmax = k > rmax ? k : rmax;
    bad += r[i] != (double)k;
  }
  for (size_t u = 0; u < n; u++) {
    size_t k = 0;
    for (size_t i = 0; i < m; i++) k += a[i * n + u] > 0;
    bad += c[u] != (double)k;
  }
  CHECK(bad == 0 && st.nnz == nnz && st.row_min == rmin && st.row_max == rmax,
        "%s %s: nnz %zu (want %zu), row %zu..%zu, %zu bad counts", what, rdn_dtype_name(dt),
        st.nnz, nnz, st.row_min, st.row_max, bad);
  CHECK(st.rank == want, "%s %s: rank %zu, want %zu (pivots %g..%g, tol %g)", what,
        rdn_dtype_name(dt), st.rank, want, st.pivot_min, st.pivot_max, st.tol);
  free(r);
  free(c);
  rdn_tensor_release(rn);
  rdn_tensor_release(cn);
  rdn_tensor_release(t);
}

static void stats_all(rdn_ctx *ctx, rdn_dtype dt) {
  /* ReLU features of 20 points with 50 units: full rank 20; a repeated point: 19 */
  size_t m = 20, d = 5, n = 50;
  double *x = rnd(m * d, 11), *w = rnd(n * d, 12), *b = rnd(n, 13), *a = malloc(m * n * 8);
  host_linear(a, x, w, b, m, d, n, 1);
  stats_case(ctx, dt, m, n, a, 20, "relu features");
  memcpy(x + 7 * d, x + 2 * d, d * sizeof *x);
  host_linear(a, x, w, b, m, d, n, 1);
  stats_case(ctx, dt, m, n, a, 19, "repeated point");
  /* rank 5 product [30 x 41] (odd sizes, taller side transposed) and its transpose shape */
  double *u = rnd(30 * 5, 14), *v = rnd(5 * 41, 15), *p = malloc(30 * 41 * 8);
  for (size_t i = 0; i < 30; i++)
    for (size_t j = 0; j < 41; j++) {
      double s = 0;
      for (size_t k = 0; k < 5; k++) s += u[i * 5 + k] * v[k * 41 + j];
      p[i * 41 + j] = s;
    }
  stats_case(ctx, dt, 30, 41, p, 5, "rank-5 product");
  memset(p, 0, 30 * 41 * 8);
  stats_case(ctx, dt, 30, 41, p, 0, "zero matrix");
  for (size_t i = 0; i < 30; i++) p[i * 41 + i + 3] = 1 + i;
  stats_case(ctx, dt, 30, 41, p, 30, "shifted diagonal");
  free(x); free(w); free(b); free(a); free(u); free(v); free(p);
}

/* Host sort of the chosen direction's projections (test reference). */
static size_t *host_order(const rdn_interp_net *net, const double *x, size_t m, size_t d,
                          const double *dirs) {
  size_t *o = malloc(m * sizeof *o);
  double *p = malloc(m * sizeof *p);
  const double *w = dirs + net->direction * d;
  for (size_t i = 0; i < m; i++) {
    p[i] = 0;
    for (size_t k = 0; k < d; k++) p[i] += x[i * d + k] * w[k];
    o[i] = i;
  }
  for (size_t i = 1; i < m; i++)       /* insertion sort, stable */
    for (size_t j = i; j > 0 && p[o[j - 1]] > p[o[j]]; j--) {
      size_t t = o[j]; o[j] = o[j - 1]; o[j - 1] = t;
    }
  free(p);
  return o;
}

static double max_abs_diff(const double *a, const double *b, size_t n) {
  double e = 0;
  for (size_t i = 0; i < n; i++) e = fmax(e, fabs(a[i] - b[i]));
  return e;
}

/* Exact 1-norm condition number of lower-triangular a [m, m] (host, by inversion). */
static double host_cond1(const double *a, size_t m) {
  double *inv = calloc(m * m, sizeof *inv), an = 0, in = 0;
  for (size_t c = 0; c < m; c++)
    for (size_t i = c; i < m; i++) {
      double s = i == c ? 1 : 0;
      for (size_t u = c; u < i; u++) s -= a[i * m + u] * inv[u * m + c];
      inv[i * m + c] = s / a[i * m + i];
    }
  for (size_t c = 0; c < m; c++) {
    double s1 = 0, s2 = 0;
    for (size_t i = 0; i < m; i++) { s1 += fabs(a[i * m + c]); s2 += fabs(inv[i * m + c]); }
    an = fmax(an, s1);
    in = fmax(in, s2);
  }
  free(inv);
  return an * in;
}

static void triangular(rdn_ctx *ctx, size_t m, size_t d, size_t k, int force32, double tol) {
  size_t sx[2] = { m + 2, d }, sy[2] = { m, k }, sd[2] = { 16, d };
  double *xv = rnd((m + 2) * d, 21 + m), *yv = rnd(m * k, 22), *dv = rnd(16 * d, 23);
  for (size_t j = 0; j < 16; j++) {                       /* unit candidate rows */
    double s = 0;
    for (size_t i = 0; i < d; i++) s += dv[j * d + i] * dv[j * d + i];
    for (size_t i = 0; i < d; i++) dv[j * d + i] /= sqrt(s);
  }
  rdn_tensor *xb = th_tensor(ctx, RDN_F64, 2, sx, xv), *x = NULL;
  rdn_tensor *y = th_tensor(ctx, RDN_F64, 2, sy, yv), *dirs = th_tensor(ctx, RDN_F64, 2, sd, dv);
  rdn_interp_opts o = { RDN_INTERP_TRIANGULAR, force32, 0, 0 };
  rdn_interp_net net;
  CHECK_OK(ctx, rdn_tensor_rows(&x, xb, 2, m));
  nwarn = 0;
  if (!CHECK_OK(ctx, rdn_interp_build(ctx, &net, x, y, dirs, &o))) goto out;
  const double *xs = xv + 2 * d;
  double *f = host_net(&net, xs, m, d, 0, NULL), err = max_abs_diff(f, yv, m * k);
  CHECK(err <= tol && net.max_error <= tol, "triangular m=%zu k=%zu f32=%d: host error %.3g, "
        "reported %.3g (tol %g, cond %.3g, gap %.3g)", m, k, force32, err, net.max_error, tol,
        net.cond, net.min_gap);
  CHECK(net.nlinear == 2 && net.units[0] == m && net.solve_f64 == !force32, "triangular shape");
  /* A of the sorted data: lower triangular, positive diagonal; the cond estimate */
  size_t *ord = host_order(&net, xs, m, d, dv);
  double *xo = malloc(m * d * 8), *a = NULL, *ov = th_read(net.order);
  size_t bad = 0, badord = 0;
  for (size_t r = 0; r < m; r++) {
    memcpy(xo + r * d, xs + ord[r] * d, d * 8);
    badord += ov[r] != (double)ord[r];
  }
  free(host_net(&net, xo, m, d, 1, &a));
  for (size_t r = 0; r < m; r++)
    for (size_t u = 0; u < m; u++) bad += u > r ? a[r * m + u] != 0 : u == r && !(a[r * m + u] > 0);
  CHECK(bad == 0 && badord == 0, "triangular structure: %zu bad entries, %zu order mismatches",
        bad, badord);
  double c1 = host_cond1(a, m);
  CHECK(net.cond <= c1 * (1 + 1e-6) && net.cond >= c1 / 10, "cond estimate %.4g vs exact %.4g",
        net.cond, c1);
  CHECK(net.warned == (nwarn > 0), "warning flag matches the log");
  free(ord); free(xo); free(a); free(ov); free(f);
  rdn_interp_net_free(&net);
out:
  rdn_tensor_release(x); rdn_tensor_release(xb); rdn_tensor_release(y); rdn_tensor_release(dirs);
  free(xv); free(yv); free(dv);
}

/* f32 data, and the forced float32 solve: warns on ill-conditioned data, not otherwise. */
static void float32_paths(rdn_ctx *ctx) {
  size_t m = 9, d = 2, s2[2] = { 9, 2 }, sd[2] = { 1, 2 }, s1 = 9;
  double xv[18], yv[9], dv[2] = { 1, 0 };
  for (size_t i = 0; i < m; i++) { xv[2 * i] = (double)i; xv[2 * i + 1] = 0.5; yv[i] = sin(i); }
  rdn_interp_opts o = { RDN_INTERP_TRIANGULAR, 1, 0, 0 };
  rdn_interp_net net;
  for (int dt = 0; dt < 2; dt++) {
    rdn_dtype t = dt ? RDN_F64 : RDN_F32;
    rdn_tensor *x = th_tensor(ctx, t, 2, s2, xv), *y = th_tensor(ctx, t, 1, &s1, yv);
    rdn_tensor *dir = th_tensor(ctx, t, 2, sd, dv);
    nwarn = 0;
    if (CHECK_OK(ctx, rdn_interp_build(ctx, &net, x, y, dir, &o))) {
      /* grid data: gaps 1, cond ~ 1e2; error bound 16 cond eps32 max|y| */
      double *f = host_net(&net, xv, m, d, 0, NULL), err = max_abs_diff(f, yv, m);
      double bound = 16 * net.cond * FLT_EPSILON;
      CHECK(err <= bound && !net.warned && nwarn == 0 && !net.solve_f64,
            "grid %s, f32 solve: error %.3g <= %.3g, cond %.3g, warned %d",
            rdn_dtype_name(t), err, bound, net.cond, net.warned);
      free(f);
      rdn_interp_net_free(&net);
    }
    rdn_tensor_release(x); rdn_tensor_release(y); rdn_tensor_release(dir);
  }
  /* 80 random points: cond far beyond float32: warning logged, result still returned */
  size_t mm = 80, sx[2] = { 80, 3 }, sdd[2] = { 4, 3 };
  double *x2 = rnd(240, 31), *y2 = rnd(80, 32), *d2 = rnd(12, 33);
  rdn_tensor *x = th_tensor(ctx, RDN_F64, 2, sx, x2), *y = th_tensor(ctx, RDN_F64, 1, &mm, y2);
  rdn_tensor *dir = th_tensor(ctx, RDN_F64, 2, sdd, d2);
  nwarn = 0;
  lastwarn[0] = 0;
  if (CHECK_OK(ctx, rdn_interp_build(ctx, &net, x, y, dir, &o))) {
    CHECK(net.warned && nwarn == 1 && strstr(lastwarn, "ill-conditioned") &&
          strstr(lastwarn, "float32 solve forced") && strstr(net.warning, "cond"),
          "forced f32 on cond %.3g: warned %d, log '%s'", net.cond, net.warned, lastwarn);
    rdn_interp_net_free(&net);
  }
  o.force_f32 = 0;          /* the same data in f64 interpolates without a warning */
  nwarn = 0;
  if (CHECK_OK(ctx, rdn_interp_build(ctx, &net, x, y, dir, &o))) {
    CHECK(!net.warned && nwarn == 0 && net.max_error <= 1e-8, "f64 solve: error %.3g, cond "
          "%.3g", net.max_error, net.cond);
    rdn_interp_net_free(&net);
  }
  rdn_tensor_release(x); rdn_tensor_release(y); rdn_tensor_release(dir);
  free(x2); free(y2); free(d2);
}

/* Hat (identity layer-2 matrix) and interval (block) forms, labels and regression. */
static void sparse_forms(rdn_ctx *ctx) {
  size_t m = 31, d = 4, k = 3, sx[2] = { 31, 4 }, sd[2] = { 8, 4 };
  double *xv = rnd(m * d, 41), *dv = rnd(8 * d, 42), lab[31], yv[31];
  for (size_t i = 0; i < m; i++) { lab[i] = (double)((i * 7) % k); yv[i] = cos(3.0 * i); }
  rdn_tensor *x = th_tensor(ctx, RDN_F64, 2, sx, xv), *dirs = th_tensor(ctx, RDN_F64, 2, sd, dv);
  rdn_tensor *y = th_tensor(ctx, RDN_I32, 1, &m, lab), *yr = th_tensor(ctx, RDN_F64, 1, &m, yv);
  rdn_interp_opts o = { RDN_INTERP_HAT, 0, 3, 0 };
  rdn_interp_net net;
  for (int form = 0; form < 3; form++) {
    o.kind = form == 2 ? RDN_INTERP_INTERVAL : RDN_INTERP_HAT;
    if (!CHECK_OK(ctx, rdn_interp_build(ctx, &net, x, form == 1 ? yr : y, dirs, &o))) continue;
    double *a2 = NULL, *f = host_net(&net, xv, m, d, 2, &a2), *ov = th_read(net.order);
    size_t wrong = 0, n2 = net.units[1];
    double dev = 0;
    if (form < 2) {             /* hat: A2[order[u], u] = 1, else 0 */
      for (size_t u = 0; u < m; u++)
        for (size_t i = 0; i < m; i++)
          dev = fmax(dev, fabs(a2[i * m + u] - ((double)i == ov[u] ? 1 : 0)));
      for (size_t i = 0; i < m * m; i++) wrong += a2[i] != 0 && fabs(a2[i] - 1) > 1e-9;
      CHECK(dev <= 1e-9 && wrong == 0 && n2 == m && net.units[0] == 2 * m, "hat layer-2 "
            "matrix = I: deviation %.3g, %zu entries neither 0 nor ~1", dev, wrong);
      wrong = 0;
    } else {                    /* interval: one 1 per row, runs of one class per column */
      for (size_t i = 0; i < m; i++) {
        size_t ones = 0;
        for (size_t u = 0; u < n2; u++) {
          double v = a2[i * n2 + u];
          dev = fmax(dev, fmin(fabs(v), fabs(v - 1)));
          ones += v != 0;
        }
        wrong += ones != 1;
      }
      CHECK(dev <= 1e-9 && wrong == 0 && n2 >= k && n2 <= m, "interval block structure: "
            "deviation %.3g, %zu rows without exactly one unit, %zu intervals", dev, wrong, n2);
      wrong = 0;
    }
    if (form == 1) {
      CHECK(max_abs_diff(f, yv, m) <= 1e-10 && net.max_error <= 1e-10, "hat regression error "
            "%.3g", max_abs_diff(f, yv, m));
    } else {
      for (size_t i = 0; i < m; i++) {
        size_t best = 0;
        for (size_t c = 1; c < k; c++) if (f[i * k + c] > f[i * k + best]) best = c;
        wrong += (double)best != lab[i];
      }
      CHECK(wrong == 0, "form %d: %zu training points misclassified", form, wrong);
    }
    free(a2); free(f); free(ov);
    rdn_interp_net_free(&net);
  }
  rdn_tensor_release(x); rdn_tensor_release(dirs); rdn_tensor_release(y); rdn_tensor_release(yr);
  free(xv); free(dv);
}

static void duplicates_and_errors(rdn_ctx *ctx) {
  size_t m = 24, d = 3, sx[2] = { 24, 3 }, sd[2] = { 4, 3 }, s5[2] = { 1, 5 };
  double *xv = rnd(m * d, 51), *yv = rnd(m, 52), *dv = rnd(12, 53), lab[24];
  for (size_t i = 0; i < m; i++) lab[i] = (double)(i % 2);
  memcpy(xv + 17 * d, xv + 3 * d, d * 8);   /* sample 17 repeats sample 3 ... */
  yv[17] = yv[3];                           /* ... with the same target: merged */
  lab[17] = lab[3];
  rdn_tensor *x = th_tensor(ctx, RDN_F64, 2, sx, xv), *y = th_tensor(ctx, RDN_F64, 1, &m, yv);
  rdn_tensor *dirs = th_tensor(ctx, RDN_F64, 2, sd, dv), *l = th_tensor(ctx, RDN_I32, 1, &m, lab);
  rdn_interp_opts o = { RDN_INTERP_TRIANGULAR, 0, 2, 0 };
  rdn_interp_net net;
  for (int kind = 0; kind < 3; kind++) {
    o.kind = (rdn_interp_kind)kind;
    if (CHECK_OK(ctx, rdn_interp_build(ctx, &net, x, kind ? l : y, dirs, &o))) {
      double *f = host_net(&net, xv, m, d, 0, NULL);
      size_t wrong = 0;
      if (kind == 0) {
        CHECK(max_abs_diff(f, yv, m) <= 1e-8, "consistent duplicate interpolated: err %.3g",
              max_abs_diff(f, yv, m));
      } else {
        for (size_t i = 0; i < m; i++) wrong += (f[2 * i + 1] > f[2 * i]) != (lab[i] == 1);
        CHECK(wrong == 0, "kind %d with a duplicate: %zu misclassified", kind, wrong);
      }
      CHECK(net.duplicates == 1, "kind %d: duplicates %zu", kind, net.duplicates);
      free(f);
      rdn_interp_net_free(&net);
    }
  }
  rdn_tensor_release(y);
  rdn_tensor_release(l);
  yv[17] = yv[3] + 1;                       /* now they conflict */
  lab[17] = 1 - lab[3];
  y = th_tensor(ctx, RDN_F64, 1, &m, yv);
  l = th_tensor(ctx, RDN_I32, 1, &m, lab);
  o.kind = RDN_INTERP_TRIANGULAR;
  CHECK_ERR(ctx, rdn_interp_build(ctx, &net, x, y, dirs, &o), RDN_EVALUE,
            "conflicting targets: samples 3 and 17 have identical inputs");
  o.kind = RDN_INTERP_INTERVAL;
  CHECK_ERR(ctx, rdn_interp_build(ctx, &net, x, l, dirs, &o), RDN_EVALUE,
            "samples 3 and 17 have identical inputs but different labels");
  o.kind = RDN_INTERP_HAT;
  CHECK_ERR(ctx, rdn_interp_build(ctx, &net, x, l, dirs, &o), RDN_EVALUE, "samples 3 and 17");
  /* bad input */
  double nanv[3] = { 0, 0, 0 };
  rdn_tensor *zero = NULL, *d5 = th_tensor(ctx, RDN_F64, 2, s5, dv), *xn = NULL, *ln = NULL;
  size_t s13[2] = { 1, 3 };
  zero = th_tensor(ctx, RDN_F64, 2, s13, nanv);
  o.kind = RDN_INTERP_TRIANGULAR;
  CHECK_ERR(ctx, rdn_interp_build(ctx, &net, x, y, zero, &o), RDN_EVALUE,
            "are distinct but have equal projections");
  CHECK_ERR(ctx, rdn_interp_build(ctx, &net, x, y, d5, &o), RDN_EINVAL,
            "dirs is f64 [1 x 5], x is f64 [24 x 3]");
  CHECK_ERR(ctx, rdn_interp_build(ctx, &net, x, l, dirs, &o), RDN_EINVAL, "real targets");
  o.kind = RDN_INTERP_INTERVAL;
  CHECK_ERR(ctx, rdn_interp_build(ctx, &net, x, y, dirs, &o), RDN_EINVAL, "i32 labels");
  o.classes = 1;
  CHECK_ERR(ctx, rdn_interp_build(ctx, &net, x, l, dirs, &o), RDN_EVALUE, "label 1");
  o.classes = 0;
  CHECK_ERR(ctx, rdn_interp_build(ctx, &net, x, l, dirs, &o), RDN_EINVAL, "classes must be >= 1");
  xv[5 * d + 1] = NAN;
  xn = th_tensor(ctx, RDN_F64, 2, sx, xv);
  o.kind = RDN_INTERP_TRIANGULAR;
  CHECK_ERR(ctx, rdn_interp_build(ctx, &net, xn, y, dirs, &o), RDN_EVALUE, "'x' has NaN");
  yv[4] = INFINITY;
  rdn_tensor_release(y);
  y = th_tensor(ctx, RDN_F64, 1, &m, yv);
  CHECK_ERR(ctx, rdn_interp_build(ctx, &net, x, y, dirs, &o), RDN_EVALUE, "'y' has Inf");
  CHECK_ERR(ctx, rdn_interp_build(ctx, &net, x, y, dirs, NULL), RDN_EINVAL, "'opts' is NULL");
  o.kind = (rdn_interp_kind)7;
  CHECK_ERR(ctx, rdn_interp_build(ctx, &net, x, y, dirs, &o), RDN_EINVAL, "bad kind 7");
  rdn_interp_info st;
  rdn_tensor *w3 = NULL;
  size_t three = 3;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &w3, RDN_I32, 1, &three));
  CHECK_ERR(ctx, rdn_interp_stats(ctx, x, w3, NULL, 0, &st), RDN_EINVAL,
            "'row_nnz' must be i32 with 24 elements, got i32 with 3");
  CHECK_ERR(ctx, rdn_interp_stats(ctx, l, NULL, NULL, 0, &st), RDN_EINVAL,
            "'a' must be f32 or f64, got i32");
  rdn_tensor_release(w3); rdn_tensor_release(ln); rdn_tensor_release(xn);
  rdn_tensor_release(d5); rdn_tensor_release(zero);
  rdn_tensor_release(x); rdn_tensor_release(y); rdn_tensor_release(dirs); rdn_tensor_release(l);
  free(xv); free(yv); free(dv);
}

int main(void) {
  rdn_ctx *ctx = th_ctx();
  if (!ctx) return th_done();
  rdn_ctx_set_log(ctx, on_log, NULL);
  int f64 = rdn_ctx_device(ctx)->has_fp64;
  linear_case(ctx, RDN_F32);
  if (f64) linear_case(ctx, RDN_F64);
  stats_all(ctx, RDN_F32);
  if (f64) stats_all(ctx, RDN_F64);
  if (f64) {
    triangular(ctx, 40, 5, 3, 0, 1e-8);      /* SPEC §7.5 item 35: m = 40, d = 5 */
    triangular(ctx, 101, 5, 2, 0, 1e-8);
    setenv("RDN_TRSV", "group", 1);          /* the GPU form of the substitution */
    triangular(ctx, 67, 4, 3, 0, 1e-8);
    unsetenv("RDN_TRSV");
    float32_paths(ctx);
    sparse_forms(ctx);
    duplicates_and_errors(ctx);
  }
  rdn_ctx_destroy(ctx);
  return th_done();
}
