/*
** test_elementwise.c -- rdn_scale, rdn_axpby, rdn_randn (Philox known answers, host
** reference stream, moments, determinism) and rdn_check_finite, against float64 host
** references, over f32/f64/c64, odd sizes, row views and every bad-input case.
*/
#include "harness.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int has64;

/* n values (2n for c64) in [-1, 1), rounded to the storage precision. */
static double *gen(rdn_dtype dt, size_t n, unsigned long long seed) {
  size_t nv = dt == RDN_C64 ? 2 * n : n;
  double *v = malloc(nv * sizeof *v);
  for (size_t i = 0; i < nv; i++) {
    v[i] = th_rand(&seed);
    if (dt != RDN_F64) v[i] = (float)v[i];
  }
  return v;
}

static size_t nvals(rdn_dtype dt, size_t n) { return dt == RDN_C64 ? 2 * n : n; }
static double tol_of(rdn_dtype dt) { return dt == RDN_F64 ? 1e-14 : 3e-7; }

/* scale and axpby on a [rows, cols] tensor and on a row view of it */
static void scale_axpby(rdn_ctx *ctx, rdn_dtype dt, size_t rows, size_t cols) {
  size_t shape[2] = { rows, cols }, n = rows * cols, nv = nvals(dt, n);
  const char *dn = rdn_dtype_name(dt);
  double *xv = gen(dt, n, 1 + n), *yv = gen(dt, n, 2 + n), *ref = malloc(nv * sizeof *ref);
  rdn_tensor *x = th_tensor(ctx, dt, 2, shape, xv), *y = th_tensor(ctx, dt, 2, shape, yv);
  if (!x || !y) goto done;
  /* scale the whole tensor */
  CHECK_OK(ctx, rdn_scale(ctx, x, -1.75));
  double *r = th_read(x);
  for (size_t i = 0; i < nv; i++) ref[i] = -1.75 * xv[i];
  CHECK(th_relerr(r, ref, nv, 1e-30) <= tol_of(dt), "scale %s %zux%zu: relerr %g", dn, rows,
        cols, th_relerr(r, ref, nv, 1e-30));
  free(r);
  /* y = 0.5 x + 2 y  (x now holds -1.75 xv) */
  CHECK_OK(ctx, rdn_axpby(ctx, y, 0.5, x, 2.0));
  r = th_read(y);
  for (size_t i = 0; i < nv; i++) ref[i] = 0.5 * (-1.75 * xv[i]) + 2 * yv[i];
  CHECK(th_relerr(r, ref, nv, 1) <= 2 * tol_of(dt), "axpby %s %zux%zu: err %g", dn, rows, cols,
        th_relerr(r, ref, nv, 1));
  free(r);
  /* views: scale rows [1, rows-1) only; others untouched */
  if (rows >= 3) {
    rdn_tensor *v = NULL;
    CHECK_OK(ctx, rdn_tensor_rows(&v, y, 1, rows - 2));
    double *before = th_read(y);
    CHECK_OK(ctx, rdn_scale(ctx, v, 3.0));
    r = th_read(y);
    size_t lo = nvals(dt, cols), hi = nvals(dt, (rows - 1) * cols);
    for (size_t i = 0; i < nv; i++) ref[i] = i >= lo && i < hi ? 3 * before[i] : before[i];
    CHECK(th_relerr(r, ref, nv, 1) <= tol_of(dt), "scale of a row view %s", dn);
    free(r);
    /* axpby between two views of different offsets in different tensors */
    rdn_tensor *w = NULL;
    CHECK_OK(ctx, rdn_tensor_rows(&w, x, 0, rows - 2));
    double *xr = th_read(x), *yr = th_read(y);
    CHECK_OK(ctx, rdn_axpby(ctx, v, 1.0, w, -1.0));
    r = th_read(y);
    for (size_t i = 0; i < nv; i++) ref[i] = i >= lo && i < hi ? xr[i - lo] - yr[i] : yr[i];
    CHECK(th_relerr(r, ref, nv, 1) <= 2 * tol_of(dt), "axpby of row views %s", dn);
    free(r);
    free(xr);
    free(yr);
    free(before);
    rdn_tensor_release(w);
    rdn_tensor_release(v);
  }
done:
  rdn_tensor_release(x);
  rdn_tensor_release(y);
  free(xv);
  free(yv);
  free(ref);
}

/* b == 0 must not read y: a NaN-filled y becomes a x. y == x (full alias) is fine. */
static void axpby_special(rdn_ctx *ctx) {
  size_t s[1] = { 1000 };
  double *xv = gen(RDN_F32, 1000, 9), ref[1000];
  rdn_tensor *x = th_tensor(ctx, RDN_F32, 1, s, xv), *y = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &y, RDN_F32, 1, s));
  CHECK_OK(ctx, rdn_tensor_fill(y, NAN));
  CHECK_OK(ctx, rdn_axpby(ctx, y, 2.0, x, 0.0));
  double *r = th_read(y);
  for (int i = 0; i < 1000; i++) ref[i] = 2 * xv[i];
  CHECK(th_relerr(r, ref, 1000, 1e-30) <= 3e-7, "axpby with b = 0 ignores a NaN y");
  free(r);
  CHECK_OK(ctx, rdn_axpby(ctx, x, 1.0, x, 1.0));
  r = th_read(x);
  CHECK(th_relerr(r, ref, 1000, 1e-30) <= 3e-7, "axpby with y == x doubles x");
  free(r);
  rdn_tensor_release(x);
  rdn_tensor_release(y);
  free(xv);
}

/* ---- randn: host reference of the generator documented in kernels/random.cl */
static void philox(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
  uint32_t c[4] = { ctr[0], ctr[1], ctr[2], ctr[3] }, k0 = key[0], k1 = key[1];
  for (int r = 0; r < 10; r++) {
    if (r) {
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    uint64_t p0 = (uint64_t)0xD2511F53u * c[0], p1 = (uint64_t)0xCD9E8D57u * c[2];
    uint32_t n0 = (uint32_t)(p1 >> 32) ^ c[1] ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c[3] ^ k1;
    c[0] = n0;
    c[1] = (uint32_t)p1;
    c[2] = n2;
    c[3] = (uint32_t)p0;
  }
  memcpy(out, c, sizeof c);
}

static void box_muller(double u1, double u2, double *z) {
  double r = sqrt(-2 * log(u1));
  const double two_pi = 6.283185307179586;
  z[0] = r * cos(two_pi * u2);
  z[1] = r * sin(two_pi * u2);
}

static double u23(uint32_t a) { return ((a >> 9) + 0.5) * 1.1920928955078125e-7; }
static double u53(uint32_t a, uint32_t b) {
  return ((double)(((uint64_t)a << 21) | (b >> 11)) + 0.5) * 1.1102230246251565e-16;
}

/* Host value of scalar i of the stream (f32/c64 layout or f64 layout). */
static double ref_normal(uint64_t seed, size_t i, int f64) {
  size_t per = f64 ? 2 : 4, b = i / per;
  uint32_t ctr[4] = { (uint32_t)b, (uint32_t)((uint64_t)b >> 32), 0, 0 };
  uint32_t key[2] = { (uint32_t)seed, (uint32_t)(seed >> 32) }, w[4];
  double z[4];
  philox(ctr, key, w);
  if (f64) {
    box_muller(u53(w[0], w[1]), u53(w[2], w[3]), z);
  } else {
    box_muller(u23(w[0]), u23(w[1]), z);
    box_muller(u23(w[2]), u23(w[3]), z + 2);
  }
  return z[i % per];
}

static void philox_kat(void) {
  /* Random123 kat_vectors for philox4x32_10 */
  static const uint32_t kat[3][10] = {
    { 0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8 },
    { 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d,
      0x41c83b0e, 0xa20bc7c6, 0x6d5451fd },
    { 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09,
      0x94fdcceb, 0x5001e420, 0x24126ea1 },
  };
  for (int t = 0; t < 3; t++) {
    uint32_t out[4];
    philox(kat[t], kat[t] + 4, out);
    CHECK(!memcmp(out, kat[t] + 6, sizeof out), "host Philox-4x32-10 known answer %d", t);
  }
}

static void randn_stream(rdn_ctx *ctx, rdn_dtype dt, size_t n, uint64_t seed) {
  size_t s[1] = { n }, nv = nvals(dt, n);
  rdn_tensor *x = NULL;
  if (!CHECK_OK(ctx, rdn_tensor_new(ctx, &x, dt, 1, s))) return;
  CHECK_OK(ctx, rdn_randn(ctx, x, seed));
  double *r = th_read(x), *ref = malloc(nv * sizeof *ref), sc = dt == RDN_C64 ? sqrt(0.5) : 1;
  for (size_t i = 0; i < nv; i++) ref[i] = sc * ref_normal(seed, i, dt == RDN_F64);
  /* f32: the uniforms are exact, the rest is float arithmetic of the log/cos/sin
  ** polynomials, / and sqrt (OpenCL allows 2.5 and 3 ulp): ~2e-7 seen, 1e-6 allowed */
  double tol = dt == RDN_F64 ? 1e-13 : 1e-6;
  CHECK(th_relerr(r, ref, nv, 1) <= tol, "randn %s n=%zu matches the host Philox+Box-Muller "
        "reference: err %g", rdn_dtype_name(dt), n, th_relerr(r, ref, nv, 1));
  free(ref);
  free(r);
  rdn_tensor_release(x);
}

/* Moments for n = 1e6 samples: the mean has standard error 1/sqrt(n) = 1e-3 and the
** variance sqrt(2/n) = 1.4e-3; we allow 5 standard errors. */
static void randn_moments(rdn_ctx *ctx, rdn_dtype dt) {
  size_t n = 1000000, s[1] = { n }, nv = nvals(dt, n);
  rdn_tensor *x = NULL;
  if (!CHECK_OK(ctx, rdn_tensor_new(ctx, &x, dt, 1, s))) return;
  CHECK_OK(ctx, rdn_randn(ctx, x, 12345));
  double *r = th_read(x), m[2] = { 0, 0 }, q[2] = { 0, 0 }, cr = 0;
  int stride = dt == RDN_C64 ? 2 : 1;
  for (size_t i = 0; i < nv; i++) {
    m[i % stride] += r[i];
    q[i % stride] += r[i] * r[i];
  }
  if (dt == RDN_C64)
    for (size_t i = 0; i < n; i++) cr += r[2 * i] * r[2 * i + 1];
  double want_var = dt == RDN_C64 ? 0.5 : 1.0, se = sqrt(want_var / (double)n);
  for (int p = 0; p < stride; p++) {
    double mean = m[p] / (double)n, var = q[p] / (double)n - mean * mean;
    CHECK(fabs(mean) < 5 * se, "randn %s part %d mean %g", rdn_dtype_name(dt), p, mean);
    CHECK(fabs(var - want_var) < 5 * want_var * sqrt(2.0 / (double)n), "randn %s part %d var %g",
          rdn_dtype_name(dt), p, var);
  }
  if (dt == RDN_C64)
    CHECK(fabs(cr / (double)n) < 5 * 0.5 / sqrt((double)n), "randn c64: re and im uncorrelated");
  free(r);
  rdn_tensor_release(x);
}

static void randn_determinism(rdn_ctx *ctx) {
  size_t s[2] = { 101, 13 }, n = 1313;
  rdn_tensor *a = NULL, *b = NULL, *v = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &a, RDN_F32, 2, s));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &b, RDN_F32, 2, s));
  CHECK_OK(ctx, rdn_randn(ctx, a, 7));
  CHECK_OK(ctx, rdn_randn(ctx, b, 7));
  double *ra = th_read(a), *rb = th_read(b);
  CHECK(!memcmp(ra, rb, n * sizeof *ra), "randn: same seed, same numbers");
  free(rb);
  CHECK_OK(ctx, rdn_randn(ctx, b, 8));
  rb = th_read(b);
  size_t same = 0;
  for (size_t i = 0; i < n; i++) same += ra[i] == rb[i];
  CHECK(same < 3, "randn: a different seed gives different numbers (%zu equal)", same);
  free(rb);
  /* a view restarts the element count at its first element */
  CHECK_OK(ctx, rdn_tensor_rows(&v, b, 50, 3));
  CHECK_OK(ctx, rdn_randn(ctx, v, 7));
  rb = th_read(b);
  CHECK(!memcmp(rb + 50 * 13, ra, 39 * sizeof *ra), "randn on a view = the seed's first 39");
  CHECK(rb[0] != ra[0] && rb[53 * 13] != ra[53 * 13], "randn on a view leaves other rows");
  free(rb);
  free(ra);
  /* device known answer: seed 0, block 0 is Philox(0, 0) = the first Random123 vector */
  size_t s4[1] = { 4 };
  rdn_tensor *k = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &k, has64 ? RDN_F64 : RDN_F32, 1, s4));
  CHECK_OK(ctx, rdn_randn(ctx, k, 0));
  double *rk = th_read(k), z[4];
  if (has64) {
    box_muller(u53(0x6627e8d5, 0xe169c58d), u53(0xbc57ac4c, 0x9b00dbd8), z);
    CHECK(fabs(rk[0] - z[0]) < 1e-13 && fabs(rk[1] - z[1]) < 1e-13, "randn f64 known answer");
  } else {
    box_muller(u23(0x6627e8d5), u23(0xe169c58d), z);
    CHECK(fabs(rk[0] - z[0]) < 1e-5, "randn f32 known answer");
  }
  free(rk);
  rdn_tensor_release(k);
  rdn_tensor_release(v);
  rdn_tensor_release(a);
  rdn_tensor_release(b);
}

/* ---- check_finite */
static void put(rdn_tensor *t, size_t i, double v) {
  rdn_dtype dt = rdn_tensor_dtype(t);
  size_t es = rdn_dtype_size(dt);
  float f = (float)v;
  cl_int e = clEnqueueWriteBuffer(rdn_ctx_cl_queue(rdn_tensor_ctx(t)), rdn_tensor_buffer(t),
                                  CL_TRUE, (rdn_tensor_offset(t) + i) * es +
                                  (dt == RDN_C64 ? 4 : 0), dt == RDN_F64 ? 8 : 4,
                                  dt == RDN_F64 ? (void *)&v : (void *)&f, 0, NULL, NULL);
  CHECK(e == CL_SUCCESS, "test write of one element");
}

static void finite(rdn_ctx *ctx, rdn_dtype dt) {
  size_t s2[2] = { 10, 7 }, s3[3] = { 3, 4, 5 }, big[1] = { 1000003 };
  rdn_tensor *a = NULL, *b = NULL, *c = NULL, *v = NULL;
  const char *dn = rdn_dtype_name(dt);
  CHECK_OK(ctx, rdn_tensor_new(ctx, &a, dt, 2, s2));
  CHECK_OK(ctx, rdn_randn(ctx, a, 1));
  CHECK_OK(ctx, rdn_check_finite(ctx, a, "Z"));
  put(a, 37, NAN);          /* c64: imaginary part */
  const char *want = dt == RDN_C64 ? "'Z' has NaN (imaginary part) at index 37 (row 5, col 2)"
                                   : "'Z' has NaN at index 37 (row 5, col 2)";
  CHECK_ERR(ctx, rdn_check_finite(ctx, a, "Z"), RDN_EVALUE, want);
  CHECK(!strncmp(rdn_ctx_error(ctx), "rdn_check_finite: ", 18), "message names the function");
  put(a, 12, -INFINITY);    /* the first bad element wins */
  CHECK_ERR(ctx, rdn_check_finite(ctx, a, "Z"), RDN_EVALUE, "-Inf");
  CHECK_ERR(ctx, rdn_check_finite(ctx, a, "Z"), RDN_EVALUE, "at index 12 (row 1, col 5)");
  /* a view of rows [2, 10): the bad element at row 1 is outside it */
  CHECK_OK(ctx, rdn_tensor_rows(&v, a, 2, 8));
  CHECK_ERR(ctx, rdn_check_finite(ctx, v, "V"), RDN_EVALUE, "'V' has NaN");
  CHECK_ERR(ctx, rdn_check_finite(ctx, v, "V"), RDN_EVALUE, "at index 23 (row 3, col 2)");
  rdn_tensor_release(v);
  CHECK_OK(ctx, rdn_tensor_rows(&v, a, 6, 4));
  CHECK_OK(ctx, rdn_check_finite(ctx, v, "V"));
  /* 3-D multi-index and +Inf */
  CHECK_OK(ctx, rdn_tensor_new(ctx, &b, dt, 3, s3));
  CHECK_OK(ctx, rdn_tensor_fill(b, 0.5));
  put(b, 59, INFINITY);
  CHECK_ERR(ctx, rdn_check_finite(ctx, b, "B"), RDN_EVALUE, "'B' has Inf");
  CHECK_ERR(ctx, rdn_check_finite(ctx, b, "B"), RDN_EVALUE, "at index 59 (at [2, 3, 4])");
  /* a long 1-D tensor with the NaN at the very end */
  CHECK_OK(ctx, rdn_tensor_new(ctx, &c, dt, 1, big));
  CHECK_OK(ctx, rdn_tensor_fill(c, -2));
  CHECK_OK(ctx, rdn_check_finite(ctx, c, "c"));
  put(c, 1000002, NAN);
  CHECK_ERR(ctx, rdn_check_finite(ctx, c, "c"), RDN_EVALUE, "'c' has NaN");
  CHECK(strstr(rdn_ctx_error(ctx), "at index 1000002") &&
        !strstr(rdn_ctx_error(ctx), "(row"), "1-D index: %s (%s)", rdn_ctx_error(ctx), dn);
  put(c, 600001, INFINITY);  /* in another work-item's chunk than the one at the end */
  CHECK_ERR(ctx, rdn_check_finite(ctx, c, "c"), RDN_EVALUE, "'c' has Inf");
  CHECK_ERR(ctx, rdn_check_finite(ctx, c, "c"), RDN_EVALUE, "at index 600001");
  put(c, 5, NAN);
  CHECK_ERR(ctx, rdn_check_finite(ctx, c, "c"), RDN_EVALUE, "at index 5");
  rdn_tensor_release(v);
  rdn_tensor_release(a);
  rdn_tensor_release(b);
  rdn_tensor_release(c);
}

static void bad_input(rdn_ctx *ctx) {
  size_t s[1] = { 10 }, s2[1] = { 11 }, q[2] = { 4, 6 };
  rdn_tensor *f = NULL, *g = NULL, *c = NULL, *i = NULL, *m = NULL, *v = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &f, RDN_F32, 1, s));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &g, RDN_F32, 1, s2));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &c, RDN_C64, 1, s));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &i, RDN_I32, 1, s));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &m, RDN_F32, 2, q));
  CHECK_ERR(ctx, rdn_scale(ctx, i, 2), RDN_EINVAL, "rdn_scale: 'x' is i32, want f32, f64 or c64");
  CHECK_ERR(ctx, rdn_scale(ctx, NULL, 2), RDN_EINVAL, "rdn_scale: 'x' is NULL");
  CHECK_ERR(ctx, rdn_scale(ctx, f, NAN), RDN_EINVAL, "'alpha' is not finite: nan");
  CHECK_ERR(ctx, rdn_axpby(ctx, f, 1, c, 1), RDN_EINVAL, "dtype mismatch: y is f32, x is c64");
  CHECK_ERR(ctx, rdn_axpby(ctx, g, 1, f, 1), RDN_EINVAL,
            "size mismatch: y is [11] (11 elements), x is [10] (10 elements)");
  CHECK_ERR(ctx, rdn_axpby(ctx, f, INFINITY, f, 1), RDN_EINVAL, "'a' is not finite: inf");
  CHECK_OK(ctx, rdn_tensor_rows(&v, m, 1, 1));
  rdn_tensor *w = NULL;
  CHECK_OK(ctx, rdn_tensor_rows(&w, m, 2, 1));
  CHECK_OK(ctx, rdn_axpby(ctx, v, 1, w, 1));          /* disjoint rows of one buffer */
  rdn_tensor_release(w);
  rdn_tensor *flat = NULL, *a = NULL, *b = NULL;
  CHECK_OK(ctx, rdn_tensor_reshape(&flat, m, 1, (size_t[1]){ 24 }));
  CHECK_OK(ctx, rdn_tensor_rows(&a, flat, 0, 6));
  CHECK_OK(ctx, rdn_tensor_rows(&b, flat, 3, 6));
  CHECK_ERR(ctx, rdn_axpby(ctx, a, 1, b, 1), RDN_EINVAL, "partially overlap (offsets 0 and 3)");
  CHECK_ERR(ctx, rdn_randn(ctx, i, 1), RDN_EINVAL, "rdn_randn: 'x' is i32");
  CHECK_ERR(ctx, rdn_check_finite(ctx, i, "lab"), RDN_EINVAL, "'lab' is i32");
  CHECK_ERR(ctx, rdn_check_finite(ctx, NULL, "Z"), RDN_EINVAL, "'Z' is NULL");
  rdn_tensor_release(a);
  rdn_tensor_release(b);
  rdn_tensor_release(flat);
  rdn_tensor_release(v);
  rdn_tensor_release(f);
  rdn_tensor_release(g);
  rdn_tensor_release(c);
  rdn_tensor_release(i);
  rdn_tensor_release(m);
}

int main(void) {
  rdn_ctx *ctx = th_ctx();
  if (!ctx) return th_done();
  has64 = rdn_ctx_device(ctx)->has_fp64;
  rdn_dtype dts[3] = { RDN_F32, RDN_C64, RDN_F64 };
  for (int d = 0; d < (has64 ? 3 : 2); d++) {
    scale_axpby(ctx, dts[d], 1, 1);
    scale_axpby(ctx, dts[d], 7, 1);
    scale_axpby(ctx, dts[d], 5, 7);
    scale_axpby(ctx, dts[d], 1000003, 1);
    scale_axpby(ctx, dts[d], 3, 333335);
    randn_stream(ctx, dts[d], 7, 99);
    randn_stream(ctx, dts[d], 100003, 0xDEADBEEFCAFEULL);
    randn_moments(ctx, dts[d]);
    /* the CPU (chunk) and GPU (8 per work-item) forms of the scan, on any device */
    setenv("RDN_REDUCE", "chunk", 1);
    finite(ctx, dts[d]);
    setenv("RDN_REDUCE", "tree", 1);
    finite(ctx, dts[d]);
    unsetenv("RDN_REDUCE");
  }
  axpby_special(ctx);
  philox_kat();
  randn_determinism(ctx);
  bad_input(ctx);
  rdn_ctx_destroy(ctx);
  return th_done();
}
