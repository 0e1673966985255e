/*
** test_spectral.c -- spectral (shift-invariant) ReduNet runtime against a float64 host
** reference built in the time domain from all circular shifts (block-circulant operators,
** SPEC §1.4 and §7.2 items 12-16), half vs full spectrum, chunked vs one-pass layers, shift
** equivariance and invariance, the circular lift (§1.6, item 18) and every bad input.
*/
#include "harness.h"
#include "redunet_ref.h"
#include <stdlib.h>
#include <string.h>

typedef struct { int m, c, h, w, k; } dims;

/* ------------------------------------------------------------ host reference */

/* dst = src circularly shifted by (sh, sw): dst[c, y, x] = src[c, y - sh, x - sw]. */
static void shift(double *dst, const double *src, dims d, int sh, int sw) {
  for (int c = 0; c < d.c; c++)
    for (int y = 0; y < d.h; y++)
      for (int x = 0; x < d.w; x++)
        dst[(c * d.h + (y + sh) % d.h) * d.w + (x + sw) % d.w] = src[(c * d.h + y) * d.w + x];
}

static void normalize(double *z, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) s += z[i] * z[i];
  s = fmax(sqrt(s), 1e-8);
  for (int i = 0; i < n; i++) z[i] /= s;
}

/* One ReduNet layer on the shift-augmented set, dense in the time domain: ops are
** a (I + (a/T) sum over samples and shifts z z^T)^-1 (ortho DFT, a = C/(m e)).  z [m, n]
** unit rows, updated in place; rates {R, Rc, dR}; pred = argmax of the membership. */
static void host_layer(double *z, const int *y, dims d, double eps, double eta, double lam,
                       double *rates, int *pred) {
  int n = d.c * d.h * d.w, T = d.h * d.w, k = d.k;
  double *g = calloc((size_t)(k + 1) * n * n, sizeof *g), *ops = malloc(sizeof *g *
                                                                         (k + 1) * n * n);
  double *sh = malloc(sizeof *sh * n), *cnt = calloc(k, sizeof *cnt);
  for (int i = 0; i < d.m; i++) {
    cnt[y[i]] += 1;
    for (int a = 0; a < d.h; a++)
      for (int b = 0; b < d.w; b++) {
        shift(sh, z + (size_t)i * n, d, a, b);
        for (int r = 0; r < n; r++)
          for (int c = 0; c < n; c++) {
            g[r * n + c] += sh[r] * sh[c];
            g[((size_t)(y[i] + 1) * n + r) * n + c] += sh[r] * sh[c];
          }
      }
  }
  double R = 0, Rc = 0;
  for (int j = 0; j <= k; j++) {
    double mj = j == 0 ? d.m : cnt[j - 1], al = d.c / (mj * eps);
    double ld = inv_scaled(g + (size_t)j * n * n, n, al / T, al, ops + (size_t)j * n * n);
    if (j == 0) R = ld / (2 * T);
    else Rc += mj / d.m * ld / (2 * T);
  }
  rates[0] = R;
  rates[1] = Rc;
  rates[2] = R - Rc;
  double *p = malloc(sizeof *p * (k + 1) * n);
  for (int i = 0; i < d.m; i++) {
    double *zi = z + (size_t)i * n, nr[64], mx = -INFINITY, sum = 0;
    for (int j = 0; j <= k; j++) {
      double s2 = 0;
      for (int r = 0; r < n; r++) {
        double t = 0;
        for (int c = 0; c < n; c++) t += ops[((size_t)j * n + r) * n + c] * zi[c];
        p[j * n + r] = t;
        s2 += t * t;
      }
      if (j > 0) {
        nr[j - 1] = -lam * fmax(sqrt(s2), 1e-8);
        mx = fmax(mx, nr[j - 1]);
      }
    }
    int best = 0;
    for (int j = 0; j < k; j++) {
      nr[j] = exp(nr[j] - mx);
      sum += nr[j];
      if (nr[j] > nr[best]) best = j;
    }
    if (pred) pred[i] = best;
    for (int r = 0; r < n; r++) {
      double u = p[r];
      for (int j = 0; j < k; j++) u -= cnt[j] / d.m * nr[j] / sum * p[(j + 1) * n + r];
      zi[r] += eta * u;
    }
    normalize(zi, n);
  }
  free(p);
  free(g);
  free(ops);
  free(sh);
  free(cnt);
}

/* ------------------------------------------------------------ device helpers */

static rdn_spectral_geom geom(dims d, int half) {
  rdn_spectral_geom g = { d.h > 1 ? 2 : 1, (size_t)d.h, (size_t)d.w, half };
  return g;
}

static rdn_tensor *signals(rdn_ctx *ctx, dims d, const double *x) {
  size_t s1[3] = { (size_t)d.m, (size_t)d.c, (size_t)d.w };
  size_t s2[4] = { (size_t)d.m, (size_t)d.c, (size_t)d.h, (size_t)d.w };
  return d.h > 1 ? th_tensor(ctx, RDN_F32, 4, s2, x) : th_tensor(ctx, RDN_F32, 3, s1, x);
}

/* 1: device_run's spectra, operators and memberships are views at a nonzero offset. */
static int g_views;

/* A new tensor, or with g_views the rows [1, shape[0] + 1) of a larger one. */
static rdn_tensor *maybe_view(rdn_ctx *ctx, rdn_dtype dt, int nd, const size_t *shape) {
  rdn_tensor *t = NULL, *big = NULL;
  size_t s[4];
  memcpy(s, shape, sizeof *s * (size_t)nd);
  s[0] += g_views ? 2 : 0;
  if (rdn_tensor_new(ctx, &big, dt, nd, s) != RDN_OK) return NULL;
  if (!g_views) return big;
  rdn_tensor_fill(big, NAN);
  rdn_tensor_rows(&t, big, 1, shape[0]);
  rdn_tensor_release(big);
  return t;
}

static rdn_tensor *spectra(rdn_ctx *ctx, dims d, const rdn_spectral_geom *g) {
  size_t s[3] = { rdn_spectral_nfreq(g), (size_t)d.m, (size_t)d.c };
  return maybe_view(ctx, RDN_C64, 3, s);
}

/* Device: enter, `layers` x (operators, layer), leave.  out gets m n features; rates the
** rates of the last operators; pred (may be NULL) argmax of the last memberships. */
static int device_run(rdn_ctx *ctx, dims d, int half, const double *x, const int *y,
                      double eps, double eta, double lam, int layers, double *out,
                      double *rates, int *pred) {
  rdn_spectral_geom g = geom(d, half);
  size_t f = rdn_spectral_nfreq(&g), ws[4] = { (size_t)d.k + 1, f, (size_t)d.c, (size_t)d.c };
  size_t ys[1] = { (size_t)d.m }, ps[2] = { (size_t)d.m, (size_t)d.k };
  double *yd = malloc(sizeof *yd * d.m), gamma[64];
  for (int i = 0; i < d.m; i++) yd[i] = y[i];
  rdn_tensor *xt = signals(ctx, d, x), *v = spectra(ctx, d, &g), *w = NULL, *pi = NULL;
  rdn_tensor *yt = th_tensor(ctx, RDN_I32, 1, ys, yd);
  w = maybe_view(ctx, RDN_C64, 4, ws);
  pi = maybe_view(ctx, RDN_F32, 2, ps);
  CHECK(w && pi, "device_run: tensors for m %d C %d", d.m, d.c);
  int ok = w && pi && CHECK_OK(ctx, rdn_spectral_enter(ctx, v, xt, &g));
  for (int l = 0; ok && l < layers; l++)
    ok = CHECK_OK(ctx, rdn_spectral_operators(ctx, w, gamma, rates, v, yt, d.k, eps, &g)) &&
         CHECK_OK(ctx, rdn_spectral_layer(ctx, v, w, gamma, eta, lam, NULL, pi, &g));
  ok = ok && CHECK_OK(ctx, rdn_spectral_leave(ctx, xt, v, &g));
  if (ok) {
    double *h = th_read(xt), *hp = th_read(pi);
    memcpy(out, h, sizeof *out * rdn_tensor_numel(xt));
    for (int i = 0; pred && i < d.m; i++) {
      int b = 0;
      for (int j = 1; j < d.k; j++) if (hp[i * d.k + j] > hp[i * d.k + b]) b = j;
      pred[i] = b;
    }
    free(h);
    free(hp);
  }
  rdn_tensor_release(xt);
  rdn_tensor_release(v);
  rdn_tensor_release(w);
  rdn_tensor_release(pi);
  rdn_tensor_release(yt);
  free(yd);
  return ok;
}

static void random_set(dims d, unsigned long long seed, double *x, int *y) {
  int n = d.c * d.h * d.w;
  for (int i = 0; i < d.m; i++) {
    y[i] = i % d.k;
    for (int t = 0; t < n; t++) x[i * n + t] = th_rand(&seed) + (t % (y[i] + 2) == 0);
    normalize(x + (size_t)i * n, n);
  }
}

static double maxdiff(const double *a, const double *b, size_t n) {
  double e = 0;
  for (size_t i = 0; i < n; i++) e = fmax(e, fabs(a[i] - b[i]));
  return e;
}

/* One layer and two layers against the host, half and full spectrum. */
static void test_reference(rdn_ctx *ctx, dims d, double lam) {
  int n = d.c * d.h * d.w;
  size_t tot = (size_t)d.m * n;
  double *x = malloc(sizeof *x * tot), *h = malloc(sizeof *h * tot), *o = malloc(sizeof *o * tot);
  int *y = malloc(sizeof *y * d.m);
  random_set(d, 1234 + d.w, x, y);
  for (int layers = 1; layers <= 2; layers++) {
    double hr[3], dr[3];
    memcpy(h, x, sizeof *h * tot);
    for (int l = 0; l < layers; l++) host_layer(h, y, d, 0.1, 0.5, lam, hr, NULL);
    for (int half = 1; half >= 0; half--) {
      if (!device_run(ctx, d, half, x, y, 0.1, 0.5, lam, layers, o, dr, NULL)) continue;
      double e = maxdiff(o, h, tot);
      CHECK(e < 2e-5, "m %d C %d %dx%d k %d, %d layer(s), %s: features vs host: %g", d.m, d.c,
            d.h, d.w, d.k, layers, half ? "half" : "full", e);
      /* rates of the last operators = those of the host's last layer input */
      CHECK(fabs(dr[0] - hr[0]) < 1e-4 * fmax(1, hr[0]) && fabs(dr[1] - hr[1]) < 1e-4 *
            fmax(1, hr[1]), "%dx%d %s: R %.8f vs %.8f, Rc %.8f vs %.8f", d.h, d.w,
            half ? "half" : "full", dr[0], hr[0], dr[1], hr[1]);
    }
  }
  free(x);
  free(h);
  free(o);
  free(y);
}

/* Operators built on one set, applied to all circular shifts of another: features shift
** with the input (equivariance) and the memberships do not change (invariance). */
static void test_shifts(rdn_ctx *ctx, dims d) {
  rdn_spectral_geom g = geom(d, 1);
  int n = d.c * d.h * d.w;
  size_t tot = (size_t)d.m * n, f = rdn_spectral_nfreq(&g);
  size_t ws[4] = { (size_t)d.k + 1, f, (size_t)d.c, (size_t)d.c }, ys[1] = { (size_t)d.m };
  size_t ps[2] = { (size_t)d.m, (size_t)d.k };
  double *x = malloc(sizeof *x * tot), *xs = malloc(sizeof *xs * tot), gamma[64], *yd;
  double *base = NULL, *pbase = NULL, worst = 0, pworst = 0;
  int flips = 0;
  int *y = malloc(sizeof *y * d.m);
  random_set(d, 99, x, y);
  yd = malloc(sizeof *yd * d.m);
  for (int i = 0; i < d.m; i++) yd[i] = y[i];
  rdn_tensor *w = NULL, *pi = NULL, *yt = th_tensor(ctx, RDN_I32, 1, ys, yd);
  rdn_tensor *v = spectra(ctx, d, &g), *xt = signals(ctx, d, x);
  if (!CHECK_OK(ctx, rdn_tensor_new(ctx, &w, RDN_C64, 4, ws)) ||
      !CHECK_OK(ctx, rdn_tensor_new(ctx, &pi, RDN_F32, 2, ps)) ||
      !CHECK_OK(ctx, rdn_spectral_enter(ctx, v, xt, &g)) ||
      !CHECK_OK(ctx, rdn_spectral_operators(ctx, w, gamma, NULL, v, yt, d.k, 0.1, &g)))
    goto done;
  for (int sh = 0; sh < d.h; sh++)
    for (int sw = 0; sw < d.w; sw++) {
      for (int i = 0; i < d.m; i++) shift(xs + (size_t)i * n, x + (size_t)i * n, d, sh, sw);
      rdn_tensor *xi = signals(ctx, d, xs);
      if (CHECK_OK(ctx, rdn_spectral_enter(ctx, v, xi, &g)) &&
          CHECK_OK(ctx, rdn_spectral_layer(ctx, v, w, gamma, 0.5, 500, NULL, pi, &g)) &&
          CHECK_OK(ctx, rdn_spectral_leave(ctx, xi, v, &g))) {
        double *o = th_read(xi), *po = th_read(pi);
        if (!base) {
          base = o;
          pbase = po;
        } else {
          for (int i = 0; i < d.m; i++) shift(xs + (size_t)i * n, base + (size_t)i * n, d, sh, sw);
          worst = fmax(worst, maxdiff(o, xs, tot));
          for (size_t i = 0; i < (size_t)d.m * d.k; i++)
            pworst = fmax(pworst, fabs(po[i] - pbase[i]));
          for (int i = 0; i < d.m; i++) {
            int a = 0, b = 0;
            for (int j = 1; j < d.k; j++) {
              if (po[i * d.k + j] > po[i * d.k + a]) a = j;
              if (pbase[i * d.k + j] > pbase[i * d.k + b]) b = j;
            }
            flips += a != b;
          }
          free(o);
          free(po);
        }
      }
      rdn_tensor_release(xi);
    }
  CHECK(worst < 1e-5, "%dx%d: features of shifted inputs = shifted features: %g", d.h, d.w,
        worst);
  CHECK(pworst < 1e-3 && flips == 0, "%dx%d: memberships under all shifts: max change %g, "
        "changed predictions %d", d.h, d.w, pworst, flips);
done:
  free(base);
  free(pbase);
  free(x);
  free(xs);
  free(y);
  free(yd);
  rdn_tensor_release(w);
  rdn_tensor_release(pi);
  rdn_tensor_release(yt);
  rdn_tensor_release(v);
  rdn_tensor_release(xt);
}

/* Invariant read-out: against the host |DFT_ortho| (float64) with the mirror weight, equal
** for every circular shift, half = full in norm (Parseval), and its bad inputs. */
static void test_magnitude(rdn_ctx *ctx, dims d) {
  rdn_spectral_geom g = geom(d, 1);
  int n = d.c * d.h * d.w, q = d.w / 2 + 1;
  size_t tot = (size_t)d.m * n, f = rdn_spectral_nfreq(&g), os[2] = { (size_t)d.m, d.c * f };
  double *x = malloc(sizeof *x * tot), *xs = malloc(sizeof *xs * tot);
  double *ref = malloc(sizeof *ref * d.m * d.c * f), *base = NULL, worst = 0, rerr = 0;
  int *y = malloc(sizeof *y * d.m);
  random_set(d, 7, x, y);
  for (int s = 0; s < d.m; s++)
    for (int c = 0; c < d.c; c++)
      for (size_t p = 0; p < f; p++) {
        int u = (int)p / q, v = (int)p % q;
        double re = 0, im = 0;
        for (int a = 0; a < d.h; a++)
          for (int b = 0; b < d.w; b++) {
            double t = -2 * 3.14159265358979323846 * ((double)u * a / d.h + (double)v * b / d.w);
            double z = x[(size_t)s * n + (c * d.h + a) * d.w + b];
            re += z * cos(t);
            im += z * sin(t);
          }
        double wgt = (v == 0 || 2 * v == d.w) ? 1 : 2;
        ref[((size_t)s * d.c + c) * f + p] = sqrt(wgt * (re * re + im * im) / (d.h * d.w));
      }
  rdn_tensor *v = spectra(ctx, d, &g), *out = NULL, *bad = NULL;
  size_t bs[2] = { (size_t)d.m, d.c * f + 1 };
  if (!CHECK_OK(ctx, rdn_tensor_new(ctx, &out, RDN_F32, 2, os)) ||
      !CHECK_OK(ctx, rdn_tensor_new(ctx, &bad, RDN_F32, 2, bs)))
    goto done;
  for (int sh = 0; sh < d.h; sh++)
    for (int sw = 0; sw < d.w; sw++) {
      for (int i = 0; i < d.m; i++) shift(xs + (size_t)i * n, x + (size_t)i * n, d, sh, sw);
      rdn_tensor *xi = signals(ctx, d, xs);
      if (CHECK_OK(ctx, rdn_spectral_enter(ctx, v, xi, &g)) &&
          CHECK_OK(ctx, rdn_spectral_magnitude(ctx, out, v, &g))) {
        double *o = th_read(out);
        if (!base) {
          base = o;
          rerr = maxdiff(o, ref, (size_t)d.m * d.c * f);
        } else {
          worst = fmax(worst, maxdiff(o, base, (size_t)d.m * d.c * f));
          free(o);
        }
      }
      rdn_tensor_release(xi);
    }
  CHECK(rerr < 1e-5, "%dx%d: magnitude read-out = host |DFT| (mirror-weighted): %g", d.h, d.w,
        rerr);
  CHECK(worst < 1e-5, "%dx%d: magnitude read-out equal under all %d circular shifts: %g", d.h,
        d.w, d.h * d.w, worst);
  double pars = 0;
  for (int s = 0; base && s < d.m; s++) {
    double e = 0;
    for (size_t i = 0; i < d.c * f; i++) e += base[s * d.c * f + i] * base[s * d.c * f + i];
    pars = fmax(pars, fabs(e - 1));     /* random_set rows have unit norm */
  }
  CHECK(base && pars < 1e-5, "%dx%d: |read-out| = |x| (Parseval with mirror weights): %g",
        d.h, d.w, pars);
  CHECK_ERR(ctx, rdn_spectral_magnitude(ctx, bad, v, &g), RDN_EINVAL, "got [");
  CHECK_ERR(ctx, rdn_spectral_magnitude(ctx, out, out, &g), RDN_EINVAL, "'v' must be c64");
  CHECK_ERR(ctx, rdn_spectral_magnitude(ctx, v, v, &g), RDN_EINVAL, "'out' must be f32");
done:
  free(x);
  free(xs);
  free(ref);
  free(base);
  free(y);
  rdn_tensor_release(v);
  rdn_tensor_release(out);
  rdn_tensor_release(bad);
}

/* Woodbury class operators (m_j < C) = the direct form: rates, memberships and the
** layer output, soft and hard membership, one pass and chunked; unbalanced classes. */
static void test_woodbury(rdn_ctx *ctx, dims d) {
  rdn_spectral_geom g = geom(d, 1);
  int n = d.c * d.h * d.w;
  size_t tot = (size_t)d.m * n, f = rdn_spectral_nfreq(&g);
  size_t ws[4] = { (size_t)d.k + 1, f, (size_t)d.c, (size_t)d.c }, ys[1] = { (size_t)d.m };
  size_t ps[2] = { (size_t)d.m, (size_t)d.k };
  double *x = malloc(sizeof *x * tot), *yd = malloc(sizeof *yd * d.m), g1[64], g2[64];
  double r1[3], r2[3];
  int *y = malloc(sizeof *y * d.m);
  random_set(d, 31, x, y);
  for (int i = 0; i < d.m; i++) yd[i] = i < d.k ? i : (i * 7) % d.k;   /* unbalanced */
  rdn_tensor *w = NULL, *p1 = NULL, *p2 = NULL, *yt = th_tensor(ctx, RDN_I32, 1, ys, yd);
  rdn_tensor *v1 = spectra(ctx, d, &g), *v2 = spectra(ctx, d, &g), *xt = signals(ctx, d, x);
  rdn_spectral_wb *wb = NULL, *wb2 = NULL;
  if (!CHECK_OK(ctx, rdn_tensor_new(ctx, &w, RDN_C64, 4, ws)) ||
      !CHECK_OK(ctx, rdn_tensor_new(ctx, &p1, RDN_F32, 2, ps)) ||
      !CHECK_OK(ctx, rdn_tensor_new(ctx, &p2, RDN_F32, 2, ps)) ||
      !CHECK_OK(ctx, rdn_spectral_enter(ctx, v1, xt, &g)) ||
      !CHECK_OK(ctx, rdn_spectral_operators(ctx, w, g1, r1, v1, yt, d.k, 0.1, &g)) ||
      !CHECK_OK(ctx, rdn_spectral_wb_create(ctx, &wb, g2, r2, v1, yt, d.k, 0.1, &g)))
    goto done;
  double er = 0, eg = 0;
  for (int i = 0; i < 3; i++) er = fmax(er, fabs(r1[i] - r2[i]) / (1 + fabs(r1[i])));
  for (int j = 0; j < d.k; j++) eg = fmax(eg, fabs(g1[j] - g2[j]));
  CHECK(er < 1e-5 && eg == 0, "%dx%d C=%d: Woodbury rates = direct: %g", d.h, d.w, d.c, er);
  size_t want = (f * d.c * d.c + f * d.m * d.c) * 8, sq = 0;
  long cnt[64] = { 0 };
  for (int i = 0; i < d.m; i++) cnt[(int)yd[i]]++;
  for (int j = 0; j < d.k; j++) sq += (size_t)(cnt[j] * cnt[j]);
  CHECK(rdn_spectral_wb_bytes(wb) == want + f * sq * 8, "Woodbury bytes %zu", 
        rdn_spectral_wb_bytes(wb));
  for (int mode = 0; mode < 3; mode++) {
    if (mode == 2) setenv("RDN_SPECTRAL_CHUNK", "2", 1);
    const rdn_tensor *lab = mode == 1 ? yt : NULL;
    if (!CHECK_OK(ctx, rdn_spectral_enter(ctx, v1, xt, &g)) ||
        !CHECK_OK(ctx, rdn_spectral_enter(ctx, v2, xt, &g)) ||
        !CHECK_OK(ctx, rdn_spectral_layer(ctx, v1, w, g1, 0.5, 5, lab, p1, &g)) ||
        !CHECK_OK(ctx, rdn_spectral_layer_wb(ctx, v2, wb, g2, 0.5, 5, lab, p2, &g)))
      break;
    double *a = th_read(v1), *b = th_read(v2), *pa = th_read(p1), *pb = th_read(p2);
    double ev = maxdiff(a, b, 2 * f * d.m * d.c), ep = maxdiff(pa, pb, (size_t)d.m * d.k);
    CHECK(ev < 2e-5 && ep < 1e-4, "%dx%d C=%d %s: Woodbury layer = direct: v %g, pi %g", d.h,
          d.w, d.c, mode == 0 ? "soft" : mode == 1 ? "labels" : "soft, chunked", ev, ep);
    free(a); free(b); free(pa); free(pb);
  }
  unsetenv("RDN_SPECTRAL_CHUNK");
  /* other data: a set of another size (the operators keep the construction's m) */
  {
    dims d2 = d;
    d2.m = d.m + 4;
    size_t tot2 = (size_t)d2.m * n;
    double *x2 = malloc(sizeof *x2 * tot2);
    int *y2 = malloc(sizeof *y2 * d2.m);
    random_set(d2, 77, x2, y2);
    rdn_tensor *xt2 = signals(ctx, d2, x2), *va = spectra(ctx, d2, &g), *vb = spectra(ctx, d2, &g);
    if (CHECK_OK(ctx, rdn_spectral_enter(ctx, va, xt2, &g)) &&
        CHECK_OK(ctx, rdn_spectral_enter(ctx, vb, xt2, &g)) &&
        CHECK_OK(ctx, rdn_spectral_layer(ctx, va, w, g1, 0.5, 5, NULL, NULL, &g)) &&
        CHECK_OK(ctx, rdn_spectral_layer_wb(ctx, vb, wb, g2, 0.5, 5, NULL, NULL, &g))) {
      double *a = th_read(va), *b = th_read(vb);
      double e2 = maxdiff(a, b, 2 * f * d2.m * d.c);
      CHECK(e2 < 2e-5, "Woodbury layer on %d new samples = direct: %g", d2.m, e2);
      free(a);
      free(b);
    }
    free(x2);
    free(y2);
    rdn_tensor_release(xt2);
    rdn_tensor_release(va);
    rdn_tensor_release(vb);
  }
  /* rebuilt from its parts (what a saved model holds): the same layer */
  rdn_tensor *pe = NULL, *pz = NULL, *pn = NULL;
  size_t pc[64];
  rdn_spectral_wb_parts(wb, &pe, &pz, &pn, pc);
  if (CHECK_OK(ctx, rdn_spectral_wb_assemble(ctx, &wb2, pe, pz, pn, pc, d.k, 0.1)) &&
      CHECK_OK(ctx, rdn_spectral_enter(ctx, v1, xt, &g)) &&
      CHECK_OK(ctx, rdn_spectral_enter(ctx, v2, xt, &g)) &&
      CHECK_OK(ctx, rdn_spectral_layer_wb(ctx, v1, wb, g2, 0.5, 5, NULL, NULL, &g)) &&
      CHECK_OK(ctx, rdn_spectral_layer_wb(ctx, v2, wb2, g2, 0.5, 5, NULL, NULL, &g))) {
    double *a = th_read(v1), *b = th_read(v2);
    CHECK(maxdiff(a, b, 2 * f * d.m * d.c) == 0, "Woodbury operators rebuilt from their parts");
    free(a);
    free(b);
  }
  rdn_spectral_wb *bad = wb;          /* failures must set *out = NULL */
  pc[0] = 0;
  CHECK_ERR(ctx, rdn_spectral_wb_assemble(ctx, &bad, pe, pz, pn, pc, d.k, 0.1), RDN_EVALUE,
            "class 0 has no samples");
  pc[0] = 100;
  CHECK_ERR(ctx, rdn_spectral_wb_assemble(ctx, &bad, pe, pz, pn, pc, d.k, 0.1), RDN_EINVAL,
            "shape mismatch: e [");
  CHECK(bad == NULL, "a failed assemble leaves NULL");
  rdn_spectral_geom g3 = g;
  g3.w = (size_t)d.w + 2;
  CHECK_ERR(ctx, rdn_spectral_layer_wb(ctx, v2, NULL, g2, 0.5, 50, NULL, NULL, &g), RDN_EINVAL,
            "'wb' is NULL");
  CHECK_ERR(ctx, rdn_spectral_layer_wb(ctx, v2, wb, g2, -1, 50, NULL, NULL, &g), RDN_EINVAL,
            "eta must be positive and finite, got -1");
  CHECK_ERR(ctx, rdn_spectral_layer_wb(ctx, v2, wb, g2, 0.5, 50, NULL, NULL, &g3), RDN_EINVAL,
            "'v' must be c64");
  CHECK_ERR(ctx, rdn_spectral_wb_create(ctx, NULL, g2, r2, v1, yt, d.k, 0.1, &g), RDN_EINVAL,
            "'out' is NULL");
  bad = wb;
  CHECK_ERR(ctx, rdn_spectral_wb_create(ctx, &bad, g2, r2, v1, yt, d.k, -1, &g), RDN_EINVAL,
            "eps_sq must be positive and finite, got -1");
  CHECK(bad == NULL, "a failed create leaves NULL");
done:
  rdn_spectral_wb_destroy(wb);
  rdn_spectral_wb_destroy(wb2);
  free(x); free(yd); free(y);
  rdn_tensor_release(w); rdn_tensor_release(p1); rdn_tensor_release(p2);
  rdn_tensor_release(yt); rdn_tensor_release(v1); rdn_tensor_release(v2);
  rdn_tensor_release(xt);
}

/* Full-spectrum mode: after a layer, the C2C inverse FFT is real up to rounding. */
static void test_imag(rdn_ctx *ctx) {
  dims d = { 12, 3, 1, 10, 2 };
  rdn_spectral_geom g = geom(d, 0);
  int n = d.c * d.w;
  size_t tot = (size_t)d.m * n, ws[4] = { 3, 10, 3, 3 }, ys[1] = { 12 }, cs[3] = { 12, 3, 10 };
  double *x = malloc(sizeof *x * tot), gamma[4], yd[12];
  int y[12];
  random_set(d, 7, x, y);
  for (int i = 0; i < 12; i++) yd[i] = y[i];
  rdn_tensor *w = NULL, *tmp = NULL, *out = NULL, *yt = th_tensor(ctx, RDN_I32, 1, ys, yd);
  rdn_tensor *v = spectra(ctx, d, &g), *xt = signals(ctx, d, x);
  rdn_fft_plan *p = NULL;
  size_t len = 10;
  if (CHECK_OK(ctx, rdn_tensor_new(ctx, &w, RDN_C64, 4, ws)) &&
      CHECK_OK(ctx, rdn_tensor_new(ctx, &tmp, RDN_C64, 3, cs)) &&
      CHECK_OK(ctx, rdn_tensor_new(ctx, &out, RDN_C64, 3, cs)) &&
      CHECK_OK(ctx, rdn_spectral_enter(ctx, v, xt, &g)) &&
      CHECK_OK(ctx, rdn_spectral_operators(ctx, w, gamma, NULL, v, yt, 2, 0.1, &g)) &&
      CHECK_OK(ctx, rdn_spectral_layer(ctx, v, w, gamma, 0.5, 500, NULL, NULL, &g)) &&
      CHECK_OK(ctx, rdn_transpose(ctx, tmp, v, 10, 36)) &&
      CHECK_OK(ctx, rdn_fft_plan_create(ctx, &p, RDN_FFT_C2C, 1, &len, 36, RDN_FFT_ORTHO)) &&
      CHECK_OK(ctx, rdn_fft_execute(p, 1, tmp, out))) {
    double *h = th_read(out), mi = 0, mr = 0;
    for (size_t i = 0; i < tot; i++) {
      mr = fmax(mr, fabs(h[2 * i]));
      mi = fmax(mi, fabs(h[2 * i + 1]));
    }
    CHECK(mi < 1e-5 * mr, "imaginary part after the inverse FFT: %g (real up to %g)", mi, mr);
    free(h);
  }
  rdn_fft_plan_destroy(p);
  free(x);
  rdn_tensor_release(w);
  rdn_tensor_release(tmp);
  rdn_tensor_release(out);
  rdn_tensor_release(yt);
  rdn_tensor_release(v);
  rdn_tensor_release(xt);
}

/* Lift against a host circular cross-correlation (1-D and 2-D, ReLU on and off, a view). */
static void test_lift(rdn_ctx *ctx, int two, int relu) {
  int m = 3, ci = 2, co = 5, h = two ? 5 : 1, w = 7, kh = two ? 3 : 1, kw = 3;
  size_t nx = (size_t)(m + 1) * ci * h * w, nw = (size_t)co * ci * kh * kw;
  size_t no = (size_t)m * co * h * w;
  double *x = malloc(sizeof *x * nx), *wt = malloc(sizeof *wt * nw), *ref = malloc(sizeof *ref *
                                                                                    no);
  unsigned long long st = 5 + two;
  for (size_t i = 0; i < nx; i++) x[i] = th_rand(&st);
  for (size_t i = 0; i < nw; i++) wt[i] = th_rand(&st);
  const double *xv = x + (size_t)ci * h * w;      /* the view drops sample 0 */
  for (int s = 0; s < m; s++)
    for (int o = 0; o < co; o++)
      for (int y = 0; y < h; y++)
        for (int z = 0; z < w; z++) {
          double t = 0;
          for (int c = 0; c < ci; c++)
            for (int a = 0; a < kh; a++)
              for (int b = 0; b < kw; b++)
                t += wt[((o * ci + c) * kh + a) * kw + b] *
                     xv[((s * ci + c) * h + (y + a) % h) * w + (z + b) % w];
          ref[((s * co + o) * h + y) * w + z] = relu ? fmax(t, 0) : t;
        }
  size_t xs4[4] = { (size_t)m + 1, (size_t)ci, (size_t)h, (size_t)w }, xs3[3] = { xs4[0],
                                                                                 xs4[1], xs4[3] };
  size_t ws4[4] = { (size_t)co, (size_t)ci, (size_t)kh, (size_t)kw }, ws3[3] = { ws4[0],
                                                                                ws4[1], ws4[3] };
  size_t os4[4] = { (size_t)m, (size_t)co, (size_t)h, (size_t)w }, os3[3] = { os4[0], os4[1],
                                                                              os4[3] };
  rdn_tensor *xt = two ? th_tensor(ctx, RDN_F32, 4, xs4, x) : th_tensor(ctx, RDN_F32, 3, xs3, x);
  rdn_tensor *wtt = two ? th_tensor(ctx, RDN_F32, 4, ws4, wt) : th_tensor(ctx, RDN_F32, 3, ws3,
                                                                          wt);
  rdn_tensor *xvw = NULL, *out = NULL;
  if (CHECK_OK(ctx, rdn_tensor_rows(&xvw, xt, 1, (size_t)m)) &&
      CHECK_OK(ctx, rdn_tensor_new(ctx, &out, RDN_F32, two ? 4 : 3, two ? os4 : os3)) &&
      CHECK_OK(ctx, rdn_lift(ctx, out, xvw, wtt, relu))) {
    double *o = th_read(out);
    CHECK(th_relerr(o, ref, no, 1) < 1e-5, "lift %s relu %d vs host: %g", two ? "2-D" : "1-D",
          relu, th_relerr(o, ref, no, 1));
    free(o);
  }
  if (two && relu) {          /* bad input: channel count, kernel larger than the signal */
    size_t bad[4] = { 4, 3, 3, 3 }, big[4] = { 5, 2, 6, 3 };
    rdn_tensor *b1 = NULL, *b2 = NULL;
    rdn_tensor_new(ctx, &b1, RDN_F32, 4, bad);
    rdn_tensor_new(ctx, &b2, RDN_F32, 4, big);
    CHECK_ERR(ctx, rdn_lift(ctx, out, xvw, b1, 1), RDN_EINVAL, "[4 x 3 x 3 x 3]");
    CHECK_ERR(ctx, rdn_lift(ctx, out, xvw, b2, 1), RDN_EINVAL, "kernel <= signal");
    float fn = NAN;
    cl_int e = clEnqueueWriteBuffer(rdn_ctx_cl_queue(ctx), rdn_tensor_buffer(xt), CL_TRUE,
                                    (rdn_tensor_offset(xvw) + 7) * 4, 4, &fn, 0, NULL, NULL);
    CHECK(e == CL_SUCCESS, "write NaN");
    CHECK_ERR(ctx, rdn_lift(ctx, out, xvw, wtt, 1), RDN_EVALUE, "NaN");
    rdn_tensor_release(b1);
    rdn_tensor_release(b2);
  }
  rdn_tensor_release(xt);
  rdn_tensor_release(wtt);
  rdn_tensor_release(xvw);
  rdn_tensor_release(out);
  free(x);
  free(wt);
  free(ref);
}

/* SPEC §7.2 item 14: T = 1 is the vector ReduNet with d = C. */
static void test_vector_case(rdn_ctx *ctx) {
  dims d = { 20, 5, 1, 1, 2 };
  double x[100], yd[20], gs[2], gv[2], rs[3], rv[3];
  int y[20];
  random_set(d, 31, x, y);
  for (int i = 0; i < 20; i++) yd[i] = y[i];
  size_t zs[2] = { 20, 5 }, vs[3] = { 1, 20, 5 }, ws[4] = { 3, 1, 5, 5 }, wv[3] = { 3, 5, 5 };
  size_t ys[1] = { 20 };
  double *xc = malloc(sizeof *xc * 200);
  for (int i = 0; i < 100; i++) {
    xc[2 * i] = x[i];
    xc[2 * i + 1] = 0;
  }
  rdn_spectral_geom g = { 1, 1, 1, 1 };
  rdn_tensor *z = th_tensor(ctx, RDN_F32, 2, zs, x), *v = th_tensor(ctx, RDN_C64, 3, vs, xc);
  rdn_tensor *yt = th_tensor(ctx, RDN_I32, 1, ys, yd), *w = NULL, *wvec = NULL;
  if (CHECK_OK(ctx, rdn_tensor_new(ctx, &w, RDN_C64, 4, ws)) &&
      CHECK_OK(ctx, rdn_tensor_new(ctx, &wvec, RDN_F32, 3, wv)) &&
      CHECK_OK(ctx, rdn_spectral_operators(ctx, w, gs, rs, v, yt, 2, 0.1, &g)) &&
      CHECK_OK(ctx, rdn_redunet_operators(ctx, wvec, gv, rv, z, yt, 2, 0.1)) &&
      CHECK_OK(ctx, rdn_spectral_layer(ctx, v, w, gs, 0.5, 500, NULL, NULL, &g)) &&
      CHECK_OK(ctx, rdn_redunet_layer(ctx, z, wvec, gv, 0.5, 500, NULL, NULL))) {
    double *a = th_read(v), *b = th_read(z), e = 0, im = 0;
    for (int i = 0; i < 100; i++) {
      e = fmax(e, fabs(a[2 * i] - b[i]));
      im = fmax(im, fabs(a[2 * i + 1]));
    }
    CHECK(e < 1e-5 && im == 0, "T = 1 spectral = vector layer: %g (imag %g)", e, im);
    CHECK(fabs(rs[2] - rv[2]) < 1e-5 && gs[0] == gv[0], "T = 1 rates: dR %.8f vs %.8f", rs[2],
          rv[2]);
    free(a);
    free(b);
  }
  free(xc);
  rdn_tensor_release(z);
  rdn_tensor_release(v);
  rdn_tensor_release(yt);
  rdn_tensor_release(w);
  rdn_tensor_release(wvec);
}

/* Sample chunks (RDN_SPECTRAL_CHUNK: the last one shorter), frequency blocks
** (RDN_SPECTRAL_FBLOCK: the last one shorter) and views of v, w and pi at nonzero offsets
** (NaN around them) = the plain one-chunk layer; C = 4 (scalar kernel tails) and C = 11 (one
** eight-wide vector block + a tail). */
static void test_chunks(rdn_ctx *ctx, dims d) {
  static const char *env[][2] = { { "3", NULL }, { NULL, "2" }, { "5", "3" }, { "1", "1" },
                                  { NULL, NULL } };
  size_t tot = (size_t)d.m * d.c * d.h * d.w;
  double *x = malloc(sizeof *x * tot), *a = malloc(sizeof *a * tot), *b = malloc(sizeof *b *
                                                                                  tot), r[3];
  int *y = malloc(sizeof *y * d.m);
  random_set(d, 5, x, y);
  if (device_run(ctx, d, 1, x, y, 0.1, 0.5, 500, 2, a, r, NULL)) {
    for (int i = 0; i < 5; i++) {
      if (env[i][0]) setenv("RDN_SPECTRAL_CHUNK", env[i][0], 1);
      if (env[i][1]) setenv("RDN_SPECTRAL_FBLOCK", env[i][1], 1);
      g_views = i >= 3;
      int ok = device_run(ctx, d, 1, x, y, 0.1, 0.5, 500, 2, b, r, NULL);
      unsetenv("RDN_SPECTRAL_CHUNK");
      unsetenv("RDN_SPECTRAL_FBLOCK");
      g_views = 0;
      if (ok)
        CHECK(maxdiff(a, b, tot) < 1e-6, "m %d C %d T %d: chunk %s, frequency block %s%s = "
              "one pass: %g", d.m, d.c, d.w, env[i][0] ? env[i][0] : "-",
              env[i][1] ? env[i][1] : "-", i >= 3 ? ", views" : "", maxdiff(a, b, tot));
    }
  }
  free(x);
  free(a);
  free(b);
  free(y);
}

static void test_errors(rdn_ctx *ctx) {
  dims d = { 6, 2, 1, 8, 2 };
  rdn_spectral_geom g = geom(d, 1), g17 = { 1, 1, 17, 1 }, g0 = { 3, 1, 8, 1 };
  double x[96] = { 0 }, yd[6] = { 0, 1, 0, 1, 0, 5 }, gamma[2] = { 0.5, 0.5 }, r[3];
  for (int i = 0; i < 96; i++) x[i] = 1 + i % 5;
  size_t s3[3] = { 6, 2, 8 }, s17[3] = { 6, 2, 17 }, bad[3] = { 6, 3, 8 }, ys[1] = { 6 };
  size_t ws[4] = { 3, 5, 2, 2 }, vs17[3] = { 9, 6, 2 }, ws3[3] = { 3, 5, 2 };
  rdn_tensor *xt = th_tensor(ctx, RDN_F32, 3, s3, x), *v = spectra(ctx, d, &g), *w = NULL;
  rdn_tensor *x17 = NULL, *v17 = NULL, *xb = NULL, *yt = th_tensor(ctx, RDN_I32, 1, ys, yd);
  rdn_tensor *w3 = NULL, *ylong = NULL;
  size_t yl[1] = { 7 };
  rdn_tensor_new(ctx, &w, RDN_C64, 4, ws);
  rdn_tensor_new(ctx, &w3, RDN_C64, 3, ws3);
  rdn_tensor_new(ctx, &x17, RDN_F32, 3, s17);
  rdn_tensor_new(ctx, &v17, RDN_C64, 3, vs17);
  rdn_tensor_new(ctx, &xb, RDN_F32, 3, bad);
  rdn_tensor_new(ctx, &ylong, RDN_I32, 1, yl);
  rdn_tensor_fill(x17, 1);
  CHECK_ERR(ctx, rdn_spectral_enter(ctx, v17, x17, &g17), RDN_EUNSUPPORTED, "length 17");
  CHECK_ERR(ctx, rdn_spectral_enter(ctx, v, xb, &g), RDN_EINVAL, "[6 x 3 x 8]");
  CHECK_ERR(ctx, rdn_spectral_enter(ctx, v, xt, &g0), RDN_EINVAL, "bad rank: 3");
  CHECK_ERR(ctx, rdn_spectral_enter(ctx, v, xt, NULL), RDN_EINVAL, "'geom' is NULL");
  CHECK_ERR(ctx, rdn_spectral_enter(ctx, xt, xt, &g), RDN_EINVAL, "'v' must be c64");
  CHECK_ERR(ctx, rdn_spectral_enter(ctx, v17, xt, &g), RDN_EINVAL, "[9 x 6 x 2]");
  CHECK_ERR(ctx, rdn_spectral_leave(ctx, xb, v, &g), RDN_EINVAL, "'x' must be f32 [6 x 2 x 8]");
  CHECK_OK(ctx, rdn_spectral_enter(ctx, v, xt, &g));
  CHECK_ERR(ctx, rdn_spectral_operators(ctx, w, gamma, r, v, yt, 2, 0.1, &g), RDN_EVALUE,
            "label 5 at sample 5");
  yd[5] = 0;
  rdn_tensor_release(yt);
  yt = th_tensor(ctx, RDN_I32, 1, ys, yd);
  CHECK_ERR(ctx, rdn_spectral_operators(ctx, NULL, gamma, r, v, yt, 3, 0.1, &g), RDN_EVALUE,
            "class 2 has no samples");
  CHECK_ERR(ctx, rdn_spectral_operators(ctx, w, gamma, r, v, yt, 2, 0, &g), RDN_EINVAL,
            "eps_sq must be positive and finite, got 0");
  CHECK_ERR(ctx, rdn_spectral_operators(ctx, w, gamma, r, v, yt, 2, NAN, &g), RDN_EINVAL,
            "got nan");
  CHECK_ERR(ctx, rdn_spectral_operators(ctx, w, gamma, r, v, ylong, 2, 0.1, &g), RDN_EINVAL,
            "6 entries");
  CHECK_ERR(ctx, rdn_spectral_operators(ctx, w3, gamma, r, v, yt, 2, 0.1, &g), RDN_EINVAL,
            "[3 x 5 x 2 x 2]");
  CHECK_OK(ctx, rdn_spectral_operators(ctx, w, gamma, r, v, yt, 2, 0.1, &g));
  CHECK_ERR(ctx, rdn_spectral_layer(ctx, v, w, NULL, 0.5, 500, NULL, NULL, &g), RDN_EINVAL,
            "'gamma' is NULL");
  CHECK_ERR(ctx, rdn_spectral_layer(ctx, v, w, gamma, -1, 500, NULL, NULL, &g), RDN_EINVAL,
            "eta must be positive and finite, got -1");
  CHECK_ERR(ctx, rdn_spectral_layer(ctx, v, w, gamma, 0.5, -2, NULL, NULL, &g), RDN_EINVAL,
            "lambda must be >= 0 and finite, got -2");
  CHECK_ERR(ctx, rdn_spectral_layer(ctx, v, w3, gamma, 0.5, 500, NULL, NULL, &g), RDN_EINVAL,
            "[3 x 5 x 2]");
  CHECK_OK(ctx, rdn_spectral_layer(ctx, v, w, gamma, 0.5, 500, yt, NULL, &g));
  float nanv = NAN;
  clEnqueueWriteBuffer(rdn_ctx_cl_queue(ctx), rdn_tensor_buffer(xt), CL_TRUE, 4 * 37, 4, &nanv,
                       0, NULL, NULL);
  CHECK_ERR(ctx, rdn_spectral_enter(ctx, v, xt, &g), RDN_EVALUE, "NaN");
  rdn_tensor_release(xt);
  rdn_tensor_release(v);
  rdn_tensor_release(w);
  rdn_tensor_release(w3);
  rdn_tensor_release(x17);
  rdn_tensor_release(v17);
  rdn_tensor_release(xb);
  rdn_tensor_release(yt);
  rdn_tensor_release(ylong);
}

int main(void) {
  rdn_ctx *ctx = th_ctx();
  if (!ctx) return th_done();
  dims d1 = { 9, 3, 1, 8, 3 }, d2 = { 7, 2, 1, 9, 2 }, d3 = { 8, 2, 4, 6, 2 };
  dims d4 = { 6, 2, 3, 5, 3 };
  test_reference(ctx, d1, 50);       /* T even: DC and Nyquist counted once */
  test_reference(ctx, d2, 500);      /* T odd: no Nyquist */
  test_reference(ctx, d3, 50);       /* 2-D, W even */
  test_reference(ctx, d4, 50);       /* 2-D, H and W odd */
  test_shifts(ctx, (dims){ 12, 3, 1, 10, 3 });
  test_shifts(ctx, (dims){ 8, 2, 4, 6, 2 });
  test_magnitude(ctx, (dims){ 5, 3, 1, 10, 2 });
  test_magnitude(ctx, (dims){ 4, 2, 4, 5, 2 });
  test_woodbury(ctx, (dims){ 11, 6, 1, 8, 3 });
  test_woodbury(ctx, (dims){ 9, 5, 3, 5, 2 });
  test_imag(ctx);
  test_lift(ctx, 0, 1);
  test_lift(ctx, 0, 0);
  test_lift(ctx, 1, 1);
  test_vector_case(ctx);
  test_reference(ctx, (dims){ 10, 11, 1, 8, 3 }, 50);   /* C = 11: vector block + tail */
  test_reference(ctx, (dims){ 6, 16, 1, 4, 2 }, 50);    /* C = 16: two vector blocks */
  test_chunks(ctx, (dims){ 16, 4, 1, 12, 3 });
  test_chunks(ctx, (dims){ 13, 11, 3, 4, 3 });
  test_errors(ctx);
  rdn_ctx_destroy(ctx);
  return th_done();
}
