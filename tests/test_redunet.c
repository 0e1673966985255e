/*
** test_redunet.c -- vector ReduNet runtime: the fused layer update and the operators E, C^j
** against a float64 host reference (SPEC §1.3, tolerance 1e-4 in f32, 1e-9 in f64), label
** counts, accuracy, IDX and safetensors files (round trips, crafted corrupt files), errors.
*/
#include "harness.h"
#include "redunet_ref.h"
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* ------------------------------------------------------------ host reference */

static void normalize_rows(double *z, int m, int d) {
  for (int i = 0; i < m; i++) {
    double s = 0;
    for (int t = 0; t < d; t++) s += z[i * d + t] * z[i * d + t];
    s = sqrt(s);
    if (s < 1e-8) s = 1e-8;
    for (int t = 0; t < d; t++) z[i * d + t] /= s;
  }
}

/* E, C^j, gamma and R, Rc for z [m, d] with labels. */
static void ref_operators(const double *z, const int *y, int m, int d, int k, double eps,
                          double *w, double *gam, double *rates) {
  double *g = malloc(sizeof(double) * d * d);
  double r = 0, rc = 0;
  for (int j = -1; j < k; j++) {
    int mj = 0;
    memset(g, 0, sizeof(double) * d * d);
    for (int i = 0; i < m; i++) {
      if (j >= 0 && y[i] != j) continue;
      mj++;
      for (int a = 0; a < d; a++)
        for (int b = 0; b < d; b++) g[a * d + b] += z[i * d + a] * z[i * d + b];
    }
    double al = d / (mj * eps);
    double ld = inv_scaled(g, d, al, al, w + (size_t)(j + 1) * d * d);
    if (j < 0) r = 0.5 * ld;
    else {
      gam[j] = (double)mj / m;
      rc += mj / (2.0 * m) * ld;
    }
  }
  rates[0] = r;
  rates[1] = rc;
  rates[2] = r - rc;
  free(g);
}

/* One layer (SPEC §1.3) on z in place; lab == NULL: soft membership. */
static void ref_layer(double *z, const double *w, const double *gam, int m, int d, int k,
                      double eta, double lam, const int *lab, double *pi) {
  double *p = malloc(sizeof(double) * (k + 1) * d), wt[300];
  for (int i = 0; i < m; i++) {
    double *zr = z + (size_t)i * d, mx = -INFINITY, sum = 0;
    for (int j = 0; j <= k; j++)
      for (int a = 0; a < d; a++) {
        double s = 0;
        for (int b = 0; b < d; b++) s += w[((size_t)j * d + a) * d + b] * zr[b];
        p[j * d + a] = s;
      }
    for (int j = 0; j < k; j++) {
      double n = 0;
      for (int a = 0; a < d; a++) n += p[(j + 1) * d + a] * p[(j + 1) * d + a];
      n = sqrt(n);
      wt[j] = -lam * (n > 1e-8 ? n : 1e-8);
      if (wt[j] > mx) mx = wt[j];
    }
    for (int j = 0; j < k; j++) sum += (wt[j] = exp(wt[j] - mx));
    for (int j = 0; j < k; j++) wt[j] = lab ? (lab[i] == j) : wt[j] / sum;
    if (pi)
      for (int j = 0; j < k; j++) pi[i * k + j] = wt[j];
    for (int a = 0; a < d; a++) {
      double s = p[a];
      for (int j = 0; j < k; j++) s -= gam[j] * wt[j] * p[(j + 1) * d + a];
      zr[a] += eta * s;
    }
  }
  normalize_rows(z, m, d);
  free(p);
}

/* Uploads host doubles into an existing f32/f64 tensor. */
static void write_f64(rdn_tensor *t, const double *v, size_t n) {
  if (rdn_tensor_dtype(t) == RDN_F64) {
    rdn_tensor_write(t, v, n * sizeof *v);
    return;
  }
  float *f = malloc(n * sizeof *f);
  for (size_t i = 0; i < n; i++) f[i] = (float)v[i];
  rdn_tensor_write(t, f, n * sizeof *f);
  free(f);
}

/* Random unit rows clustered around k centres, labels = nearest centre index. */
static void make_data(int m, int d, int k, unsigned long long seed, double *z, int *y) {
  for (int i = 0; i < m; i++) {
    y[i] = i % k;
    for (int t = 0; t < d; t++)
      z[i * d + t] = 0.4 * th_rand(&seed) + (t % k == y[i] ? 1.0 : 0.0);
  }
  normalize_rows(z, m, d);
}

/* ------------------------------------------------------------ update / layer */

/* The fused update kernel alone: p computed on the host (f64), z as a row view. */
static void update_vs_ref(rdn_ctx *ctx, rdn_dtype dt, int m, int d, int k, double lam,
                          int label_mode) {
  double *z = malloc(sizeof(double) * m * d), *w = malloc(sizeof(double) * (k + 1) * d * d);
  double *zr = malloc(sizeof(double) * m * d), *pr = malloc(sizeof(double) * m * k);
  double *p = malloc(sizeof(double) * m * (k + 1) * d), gam[8], rates[3];
  int *y = malloc(sizeof(int) * m);
  make_data(m, d, k, 7 + m, z, y);
  ref_operators(z, y, m, d, k, 0.1, w, gam, rates);
  for (int i = 0; i < m; i++)
    for (int c = 0; c < (k + 1) * d; c++) {
      double s = 0;
      for (int b = 0; b < d; b++) s += z[i * d + b] * w[(size_t)c * d + b];
      p[(size_t)i * (k + 1) * d + c] = s;
    }
  memcpy(zr, z, sizeof(double) * m * d);
  ref_layer(zr, w, gam, m, d, k, 0.5, lam, label_mode ? y : NULL, pr);
  /* z lives in rows [2, 2+m) of a bigger tensor: a view with a nonzero offset */
  size_t zs[2] = { (size_t)m + 3, (size_t)d }, ps[2] = { (size_t)m, (size_t)(k + 1) * d };
  size_t is[2] = { (size_t)m, (size_t)k }, ys[1] = { (size_t)m };
  double *big = calloc((size_t)(m + 3) * d, sizeof(double)), *yd = malloc(sizeof(double) * m);
  memcpy(big + 2 * d, z, sizeof(double) * m * d);
  for (int i = 0; i < m; i++) yd[i] = y[i];
  rdn_tensor *zt = th_tensor(ctx, dt, 2, zs, big), *zv = NULL;
  rdn_tensor *pt = th_tensor(ctx, dt, 2, ps, p), *pit = NULL;
  rdn_tensor *yt = th_tensor(ctx, RDN_I32, 1, ys, yd);
  CHECK_OK(ctx, rdn_tensor_rows(&zv, zt, 2, (size_t)m));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &pit, dt, 2, is));
  CHECK_OK(ctx, rdn_redunet_update(ctx, zv, pt, k, gam, 0.5, lam, label_mode ? yt : NULL, pit));
  double *got = th_read(zt), *gpi = th_read(pit), tol = dt == RDN_F64 ? 1e-9 : 1e-4;
  double e1 = th_relerr(got + 2 * d, zr, (size_t)m * d, 1);
  double e2 = th_relerr(gpi, pr, (size_t)m * k, 1);
  CHECK(e1 <= tol, "update %s m=%d d=%d k=%d lambda=%g %s: z error %.2e", rdn_dtype_name(dt),
        m, d, k, lam, label_mode ? "label" : "soft", e1);
  CHECK(e2 <= tol, "update %s m=%d d=%d k=%d lambda=%g: pi error %.2e", rdn_dtype_name(dt), m,
        d, k, lam, e2);
  int untouched = 1;
  for (int i = 0; i < 2 * d; i++) untouched &= got[i] == 0;
  for (int i = (m + 2) * d; i < (m + 3) * d; i++) untouched &= got[i] == 0;
  CHECK(untouched, "update leaves rows outside the view alone");
  /* unit norm after the layer (SPEC §7.1 item 10) and pi sums to one (item 11) */
  double worst = 0;
  for (int i = 0; i < m; i++) {
    double s = 0, q = 0;
    for (int t = 0; t < d; t++) s += got[(i + 2) * d + t] * got[(i + 2) * d + t];
    for (int j = 0; j < k; j++) q += gpi[i * k + j];
    worst = fmax(worst, fmax(fabs(sqrt(s) - 1), fabs(q - 1)));
  }
  CHECK(worst < 1e-5, "unit rows and pi sums: worst deviation %.2e", worst);
  free(got);
  free(gpi);
  rdn_tensor_release(zv);
  rdn_tensor_release(zt);
  rdn_tensor_release(pt);
  rdn_tensor_release(pit);
  rdn_tensor_release(yt);
  free(z); free(w); free(zr); free(pr); free(p); free(y); free(big); free(yd);
}

/* Operators + full layer (GEMM inside) vs the host reference. */
static void layer_vs_ref(rdn_ctx *ctx, rdn_dtype dt, int m, int d, int k, int layers) {
  double *z = malloc(sizeof(double) * m * d), *w = malloc(sizeof(double) * (k + 1) * d * d);
  double gam[8], rates[3], g2[8], r2[3];
  int *y = malloc(sizeof(int) * m);
  double *yd = malloc(sizeof(double) * m);
  make_data(m, d, k, 99 + d, z, y);
  for (int i = 0; i < m; i++) yd[i] = y[i];
  size_t zs[2] = { (size_t)m, (size_t)d }, ws[3] = { (size_t)k + 1, (size_t)d, (size_t)d };
  size_t ys[1] = { (size_t)m };
  rdn_tensor *zt = th_tensor(ctx, dt, 2, zs, z), *yt = th_tensor(ctx, RDN_I32, 1, ys, yd);
  rdn_tensor *wt = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &wt, dt, 3, ws));
  double tol = dt == RDN_F64 ? 1e-8 : 2e-4, worst_w = 0, worst_r = 0;
  for (int l = 0; l < layers; l++) {
    ref_operators(z, y, m, d, k, 0.1, w, gam, rates);
    if (CHECK_OK(ctx, rdn_redunet_operators(ctx, wt, g2, r2, zt, yt, k, 0.1))) {
      double *gw = th_read(wt);
      worst_w = fmax(worst_w, th_relerr(gw, w, (size_t)(k + 1) * d * d, 1));
      worst_r = fmax(worst_r, th_relerr(r2, rates, 3, 1));
      for (int j = 0; j < k; j++) CHECK(fabs(g2[j] - gam[j]) < 1e-15, "gamma[%d]", j);
      free(gw);
    }
    /* the layer runs on the reference operators, so its check is independent */
    write_f64(wt, w, (size_t)(k + 1) * d * d);
    ref_layer(z, w, gam, m, d, k, 0.5, 500, NULL, NULL);
    CHECK_OK(ctx, rdn_redunet_layer(ctx, zt, wt, gam, 0.5, 500, NULL, NULL));
  }
  double *gz = th_read(zt);
  double ez = th_relerr(gz, z, (size_t)m * d, 1);
  CHECK(worst_w <= tol && worst_r <= tol, "operators %s m=%d d=%d k=%d: E/C error %.2e, rate "
        "error %.2e", rdn_dtype_name(dt), m, d, k, worst_w, worst_r);
  CHECK(ez <= tol * 5, "%d layers %s m=%d d=%d k=%d: z error %.2e", layers, rdn_dtype_name(dt),
        m, d, k, ez);
  free(gz);
  rdn_tensor_release(zt);
  rdn_tensor_release(yt);
  rdn_tensor_release(wt);
  free(z); free(w); free(y); free(yd);
}

static void update_errors(rdn_ctx *ctx) {
  size_t zs[2] = { 5, 4 }, ps[2] = { 5, 12 }, bad[2] = { 5, 11 }, ys[1] = { 5 };
  double g[2] = { 0.5, 0.5 }, gbad[2] = { 0.5, 1.5 }, yv[5] = { 0, 1, 2, 0, 1 };
  rdn_tensor *z = NULL, *p = NULL, *pb = NULL, *y = th_tensor(ctx, RDN_I32, 1, ys, yv);
  rdn_tensor *zi = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &z, RDN_F32, 2, zs));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &p, RDN_F32, 2, ps));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &pb, RDN_F32, 2, bad));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &zi, RDN_I32, 2, zs));
  CHECK_OK(ctx, rdn_tensor_fill(z, 0.5));
  CHECK_OK(ctx, rdn_tensor_fill(p, 0.1));
  CHECK_ERR(ctx, rdn_redunet_update(ctx, z, pb, 2, g, 0.5, 500, NULL, NULL), RDN_EINVAL,
            "got f32 [5 x 11]");
  CHECK_ERR(ctx, rdn_redunet_update(ctx, zi, p, 2, g, 0.5, 500, NULL, NULL), RDN_EINVAL,
            "'z' must be a 2-D f32/f64");
  CHECK_ERR(ctx, rdn_redunet_update(ctx, z, p, 2, gbad, 0.5, 500, NULL, NULL), RDN_EINVAL,
            "gamma[1] = 1.5");
  CHECK_ERR(ctx, rdn_redunet_update(ctx, z, p, 2, g, -1, 500, NULL, NULL), RDN_EINVAL,
            "eta must be positive and finite, got -1");
  CHECK_ERR(ctx, rdn_redunet_update(ctx, z, p, 2, g, NAN, 500, NULL, NULL), RDN_EINVAL,
            "got nan");
  CHECK_ERR(ctx, rdn_redunet_update(ctx, z, p, 2, g, 0.5, -3, NULL, NULL), RDN_EINVAL,
            "lambda must be >= 0 and finite, got -3");
  CHECK_ERR(ctx, rdn_redunet_update(ctx, z, p, 0, g, 0.5, 500, NULL, NULL), RDN_EINVAL,
            "number of classes 0");
  CHECK_ERR(ctx, rdn_redunet_update(ctx, z, p, 2, g, 0.5, 500, y, NULL), RDN_EVALUE,
            "labels out of range: label 2 at sample 2, classes = 2");
  CHECK_ERR(ctx, rdn_redunet_update(ctx, z, p, 2, g, 0.5, 500, NULL, z), RDN_EINVAL,
            "'pi_out' must be f32 [5 x 2]");
  CHECK_ERR(ctx, rdn_redunet_layer(ctx, z, p, g, 0.5, 500, NULL, NULL), RDN_EINVAL,
            "'w' must be f32 [k+1 x 4 x 4]");
  long cnt[3];
  CHECK_OK(ctx, rdn_label_counts(ctx, y, 3, cnt));
  CHECK(cnt[0] == 2 && cnt[1] == 2 && cnt[2] == 1, "label counts %ld %ld %ld", cnt[0], cnt[1],
        cnt[2]);
  double w1[3] = { 1, 1, 1 }, yv2[5] = { 0, 1, 1, 0, 2 };
  rdn_tensor *y2 = th_tensor(ctx, RDN_I32, 1, ys, yv2), *yv3 = NULL;
  double acc = -1;
  CHECK_OK(ctx, rdn_accuracy(ctx, y, y2, &acc));
  CHECK(fabs(acc - 0.6) < 1e-15, "accuracy %g, want 0.6", acc);
  CHECK_OK(ctx, rdn_tensor_rows(&yv3, y2, 1, 3));  /* view: {1, 1, 0} vs labels rows 2.. */
  CHECK_ERR(ctx, rdn_accuracy(ctx, y, yv3, &acc), RDN_EINVAL, "i32 [5] and i32 [3]");
  (void)w1;
  rdn_tensor_release(yv3);
  rdn_tensor_release(y2);
  rdn_tensor_release(z);
  rdn_tensor_release(p);
  rdn_tensor_release(pb);
  rdn_tensor_release(zi);
  rdn_tensor_release(y);
}

/* ------------------------------------------------------------------- IDX */

static void write_file(const char *path, const void *data, size_t n, int gz) {
  if (gz) {
    gzFile f = gzopen(path, "wb");
    gzwrite(f, data, (unsigned)n);
    gzclose(f);
  } else {
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, n, f);
    fclose(f);
  }
}

static void idx_files(rdn_ctx *ctx, const char *dir) {
  char path[512];
  unsigned char img[16 + 3 * 2 * 5], lab[8 + 3];
  unsigned char h1[16] = { 0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 5 };
  unsigned char h2[8] = { 0, 0, 8, 1, 0, 0, 0, 3 };
  memcpy(img, h1, 16);
  for (int i = 0; i < 30; i++) img[16 + i] = (unsigned char)(i * 8);
  memcpy(lab, h2, 8);
  lab[8] = 9; lab[9] = 0; lab[10] = 255;
  for (int gz = 0; gz < 2; gz++) {
    rdn_tensor *t = NULL;
    snprintf(path, sizeof path, "%s/img%d", dir, gz);
    write_file(path, img, sizeof img, gz);
    if (CHECK_OK(ctx, rdn_idx_load(ctx, path, &t))) {
      double *v = th_read(t);
      int ok = rdn_tensor_dtype(t) == RDN_F32 && rdn_tensor_ndim(t) == 3 &&
               rdn_tensor_dim(t, 0) == 3 && rdn_tensor_dim(t, 1) == 2 && rdn_tensor_dim(t, 2) == 5;
      for (int i = 0; ok && i < 30; i++) ok = v[i] == i * 8;
      CHECK(ok, "idx images (gzip %d)", gz);
      free(v);
      rdn_tensor_release(t);
    }
    snprintf(path, sizeof path, "%s/lab%d", dir, gz);
    write_file(path, lab, sizeof lab, gz);
    if (CHECK_OK(ctx, rdn_idx_load(ctx, path, &t))) {
      double *v = th_read(t);
      CHECK(rdn_tensor_dtype(t) == RDN_I32 && rdn_tensor_numel(t) == 3 && v[0] == 9 &&
            v[1] == 0 && v[2] == 255, "idx labels (gzip %d)", gz);
      free(v);
      rdn_tensor_release(t);
    }
  }
  /* i32 big-endian labels and f32 big-endian matrix */
  unsigned char bi[8 + 8] = { 0, 0, 0x0C, 1, 0, 0, 0, 2, 0, 0, 1, 2, 0xff, 0xff, 0xff, 0xfe };
  unsigned char bf[12 + 8] = { 0, 0, 0x0D, 2, 0, 0, 0, 1, 0, 0, 0, 2,
                               0x3f, 0xc0, 0, 0, 0xc0, 0x20, 0, 0 };   /* 1.5, -2.5 */
  rdn_tensor *t = NULL;
  snprintf(path, sizeof path, "%s/bi", dir);
  write_file(path, bi, sizeof bi, 1);
  if (CHECK_OK(ctx, rdn_idx_load(ctx, path, &t))) {
    double *v = th_read(t);
    CHECK(v[0] == 258 && v[1] == -2, "idx i32 big-endian: %g %g", v[0], v[1]);
    free(v);
    rdn_tensor_release(t);
  }
  snprintf(path, sizeof path, "%s/bf", dir);
  write_file(path, bf, sizeof bf, 0);
  if (CHECK_OK(ctx, rdn_idx_load(ctx, path, &t))) {
    double *v = th_read(t);
    CHECK(v[0] == 1.5 && v[1] == -2.5, "idx f32 big-endian: %g %g", v[0], v[1]);
    free(v);
    rdn_tensor_release(t);
  }
  /* corrupt files */
  struct { const unsigned char *data; size_t n; int gz; const char *msg; } bad[] = {
    { img, 15, 1, "truncated header" },
    { img, sizeof img - 1, 1, "truncated: header promises 30 data bytes, file has 29" },
    { img, 3, 0, "is not an IDX file: 3 bytes" },
    { (const unsigned char *)"\x01\x00\x08\x01\x00\x00\x00\x01\x05", 9, 0, "magic 01 00" },
    { (const unsigned char *)"\x00\x00\x0b\x01\x00\x00\x00\x01\x05\x05", 10, 0,
      "unsupported IDX element type 0x0b" },
    { (const unsigned char *)"\x00\x00\x08\x00", 4, 0, "bad IDX rank 0" },
    { (const unsigned char *)"\x00\x00\x08\x05", 4, 0, "bad IDX rank 5" },
    { (const unsigned char *)"\x00\x00\x08\x01\x00\x00\x00\x00", 8, 0, "dimension 1 is 0" },
    { (const unsigned char *)"\x00\x00\x08\x01\x00\x00\x00\x01\x05\x06", 10, 1,
      "trailing data after the 1 data bytes" },
    { (const unsigned char *)"\x00\x00\x08\x04\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
      "\xff\xff\xff\xff", 20, 0, "element count overflows" },
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    snprintf(path, sizeof path, "%s/bad%zu", dir, i);
    write_file(path, bad[i].data, bad[i].n, bad[i].gz);
    t = (rdn_tensor *)1;
    CHECK_ERR(ctx, rdn_idx_load(ctx, path, &t), RDN_EFORMAT, bad[i].msg);
    CHECK(t == NULL, "failed load leaves out NULL");
  }
  /* a corrupt gzip stream is a read error, not a crash */
  snprintf(path, sizeof path, "%s/badgz", dir);
  {
    unsigned char gzb[64];
    uLongf n = sizeof gzb;
    FILE *f;
    write_file(path, img, sizeof img, 1);
    f = fopen(path, "rb");
    n = fread(gzb, 1, sizeof gzb, f);
    fclose(f);
    for (size_t i = 12; i < n - 8; i++) gzb[i] ^= 0x5a;
    write_file(path, gzb, n, 0);
    rdn_status s = rdn_idx_load(ctx, path, &t);
    CHECK(s == RDN_EIO || s == RDN_EFORMAT, "corrupt gzip: %s", rdn_ctx_error(ctx));
  }
  snprintf(path, sizeof path, "%s/missing", dir);
  CHECK_ERR(ctx, rdn_idx_load(ctx, path, &t), RDN_EIO, "cannot open");
}

/* ------------------------------------------------------------ safetensors */

static size_t read_all(const char *path, unsigned char **out) {
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  *out = malloc((size_t)n + 1);
  size_t got = fread(*out, 1, (size_t)n, f);
  fclose(f);
  return got;
}

/* Writes a safetensors file with the given header text and `data` bytes of zeros. */
static void craft(const char *path, const char *hdr, size_t data, long hlen_override) {
  FILE *f = fopen(path, "wb");
  unsigned long long h = hlen_override >= 0 ? (unsigned long long)hlen_override : strlen(hdr);
  for (int i = 0; i < 8; i++) fputc((int)(h >> (8 * i)) & 0xff, f);
  fputs(hdr, f);
  for (size_t i = 0; i < data; i++) fputc(0, f);
  fclose(f);
}

static int dir_has_temp(const char *dir) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "ls '%s' | grep -q '\\.tmp\\.'", dir);
  return system(cmd) == 0;
}

static void safetensors_files(rdn_ctx *ctx, const char *dir) {
  char path[512], p2[512];
  size_t s1[2] = { 3, 5 }, s2[1] = { 7 }, s3[3] = { 2, 1, 3 }, s4[2] = { 2, 2 };
  double v1[15], v2[7], v3[12], v4[4];
  unsigned long long st = 5;
  for (int i = 0; i < 15; i++) v1[i] = th_rand(&st);
  for (int i = 0; i < 7; i++) v2[i] = (double)(int)(1000 * th_rand(&st));
  for (int i = 0; i < 12; i++) v3[i] = th_rand(&st);
  for (int i = 0; i < 4; i++) v4[i] = th_rand(&st) * 1e300;
  rdn_tensor *big = th_tensor(ctx, RDN_F32, 2, s1, v1), *view = NULL;
  rdn_tensor *t[4] = { NULL, th_tensor(ctx, RDN_I32, 1, s2, v2),
                       th_tensor(ctx, RDN_C64, 3, s3, v3), NULL };
  CHECK_OK(ctx, rdn_tensor_rows(&view, big, 1, 2));        /* offset view */
  t[0] = view;
  int have64 = rdn_ctx_device(ctx)->has_fp64;
  if (have64) t[3] = th_tensor(ctx, RDN_F64, 2, s4, v4);
  const char *names[4] = { "w.0", "labels", "spec", "d" }, *keys[2] = { "format", "layers" };
  const char *vals[2] = { "rdn.redunet", "3" };
  size_t n = have64 ? 4 : 3;
  snprintf(path, sizeof path, "%s/m.safetensors", dir);
  CHECK_OK(ctx, rdn_safetensors_save(ctx, path, n, names, (const rdn_tensor *const *)t, 2,
                                     keys, vals));
  rdn_safetensors *f = NULL;
  if (CHECK_OK(ctx, rdn_safetensors_load(ctx, path, &f))) {
    CHECK(rdn_safetensors_count(f) == n, "count %zu", rdn_safetensors_count(f));
    for (size_t i = 0; i < n; i++) {
      rdn_tensor *u = rdn_safetensors_find(f, names[i]);
      CHECK(u && !strcmp(rdn_safetensors_name(f, i), names[i]), "tensor '%s' present in order",
            names[i]);
      if (!u) continue;
      char a[64], b[64];
      CHECK(rdn_tensor_dtype(u) == rdn_tensor_dtype(t[i]) &&
            !strcmp(rdn_tensor_shape_str(u, a, sizeof a), rdn_tensor_shape_str(t[i], b, sizeof b)),
            "'%s' dtype/shape %s vs %s", names[i], a, b);
      size_t bytes = rdn_tensor_numel(u) * rdn_dtype_size(rdn_tensor_dtype(u));
      void *x = malloc(bytes), *y = malloc(bytes);
      rdn_tensor_read(u, x, bytes);
      rdn_tensor_read(t[i], y, bytes);
      CHECK(!memcmp(x, y, bytes), "'%s' bit-identical after the round trip", names[i]);
      free(x);
      free(y);
    }
    CHECK(rdn_safetensors_meta(f, "format") && !strcmp(rdn_safetensors_meta(f, "format"),
          "rdn.redunet"), "metadata round trip");
    CHECK(rdn_safetensors_meta(f, "rdn.c64.spec") != NULL, "c64 marked in metadata");
    CHECK(rdn_safetensors_meta_count(f) == 3, "meta count %zu", rdn_safetensors_meta_count(f));
    rdn_safetensors_destroy(f);
  }
  /* the header is plain JSON a Python reader understands, padded to 8 bytes */
  unsigned char *raw = NULL;
  size_t len = read_all(path, &raw);
  unsigned long long hl = 0;
  for (int i = 7; i >= 0; i--) hl = hl << 8 | raw[i];
  CHECK(len > 8 && hl % 8 == 0 && raw[8] == '{' &&
        strstr((char *)raw + 8, "\"w.0\":{\"dtype\":\"F32\",\"shape\":[2,5],"
               "\"data_offsets\":[0,40]}"), "header layout");
  /* truncations at every length fail cleanly */
  int all = 1;
  snprintf(p2, sizeof p2, "%s/trunc.safetensors", dir);
  for (size_t cut = 0; cut < len; cut += (cut < 200 ? 1 : 7)) {
    FILE *fo = fopen(p2, "wb");
    fwrite(raw, 1, cut, fo);
    fclose(fo);
    rdn_status s = rdn_safetensors_load(ctx, p2, &f);
    all &= s == RDN_EFORMAT && f == NULL;
  }
  CHECK(all, "every truncation is RDN_EFORMAT");
  free(raw);
  /* crafted headers */
  struct { const char *hdr; size_t data; long hl; const char *msg; } bad[] = {
    { "{}", 0, 1LL << 40, "exceeds" },
    { "{}", 0, 100, "truncated: header length 100" },
    { "[1,2]", 0, -1, "header does not start with '{'" },
    { "{\"a\":", 0, -1, "invalid JSON header" },
    { "{\"a\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, -1,
      "unsupported dtype 'BF16'" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, -1,
      "shape entry 1 is not a non-negative integer" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8, -1,
      "shape entry 1" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0, -1,
      "empty dimension 1" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, -1,
      "do not hold 3 elements" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,0]}}", 8, -1,
      "data_offsets [4, 0]" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, -1,
      "truncated: tensors need 8 data bytes, file has 4" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 12, -1,
      "trailing data" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
      "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, -1, "overlaps" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, -1, "hole" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
      "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, -1,
      "duplicate tensor name 'a'" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4, -1,
      "rank 6" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1],\"data_offsets\":[0,4]}}", 4, -1,
      "rank 5 (at most 4)" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],"
      "\"data_offsets\":[0,4]}}", 4, -1, "element count overflows" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,1e300]}}", 4, -1,
      "no valid data_offsets" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, -1, "no valid data_offsets" },
    { "{\"a\":3}", 0, -1, "entry 'a' is not an object" },
    { "{\"__metadata__\":{\"x\":1}}", 0, -1, "metadata 'x' is not a string" },
    { "{\"__metadata__\":{\"rdn.c64.a\":\"1\"},"
      "\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}", 12, -1,
      "marked c64" },
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    snprintf(p2, sizeof p2, "%s/bad%zu.safetensors", dir, i);
    craft(p2, bad[i].hdr, bad[i].data, bad[i].hl);
    f = (rdn_safetensors *)1;
    if (!CHECK_ERR(ctx, rdn_safetensors_load(ctx, p2, &f), RDN_EFORMAT, bad[i].msg))
      fprintf(stderr, "  (case %zu)\n", i);
    CHECK(f == NULL, "failed load leaves out NULL");
  }
  /* a scalar (shape []) loads as [1]; an empty file set is valid */
  snprintf(p2, sizeof p2, "%s/scalar.safetensors", dir);
  craft(p2, "{\"s\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4, -1);
  if (CHECK_OK(ctx, rdn_safetensors_load(ctx, p2, &f))) {
    CHECK(rdn_tensor_numel(rdn_safetensors_tensor(f, 0)) == 1, "scalar as [1]");
    rdn_safetensors_destroy(f);
  }
  snprintf(p2, sizeof p2, "%s/missing.safetensors", dir);
  CHECK_ERR(ctx, rdn_safetensors_load(ctx, p2, &f), RDN_EIO, "cannot open");
  /* save errors: validation first, and a failed save leaves neither file nor temp */
  const char *dup[2] = { "a", "a" };
  rdn_tensor *two[2] = { t[1], t[1] };
  CHECK_ERR(ctx, rdn_safetensors_save(ctx, p2, 2, dup, (const rdn_tensor *const *)two, 0,
                                      NULL, NULL), RDN_EINVAL, "duplicate tensor name 'a'");
  const char *res[1] = { "__metadata__" };
  CHECK_ERR(ctx, rdn_safetensors_save(ctx, p2, 1, res, (const rdn_tensor *const *)two, 0,
                                      NULL, NULL), RDN_EINVAL, "reserved");
  CHECK(access(p2, F_OK) != 0, "no file after failed validation");
  snprintf(p2, sizeof p2, "%s/subdir", dir);
  mkdir(p2, 0700);
  CHECK_ERR(ctx, rdn_safetensors_save(ctx, p2, 1, names + 1, (const rdn_tensor *const *)two, 0,
                                      NULL, NULL), RDN_EIO, "cannot rename");
  CHECK(!dir_has_temp(dir), "no temp file left behind");
  snprintf(p2, sizeof p2, "%s/nodir/x.safetensors", dir);
  CHECK_ERR(ctx, rdn_safetensors_save(ctx, p2, 1, names + 1, (const rdn_tensor *const *)two, 0,
                                      NULL, NULL), RDN_EIO, "cannot create a temp file");
  for (int i = 0; i < 4; i++) rdn_tensor_release(t[i]);
  rdn_tensor_release(big);
}

int main(void) {
  rdn_ctx *ctx = th_ctx();
  if (!ctx) return th_done();
  char dir[] = "/tmp/rdn_test_redunet_XXXXXX";
  if (!mkdtemp(dir)) {
    CHECK(0, "mkdtemp");
    return th_done();
  }
  int fp64 = rdn_ctx_device(ctx)->has_fp64;
  update_vs_ref(ctx, RDN_F32, 37, 13, 3, 5.0, 0);
  update_vs_ref(ctx, RDN_F32, 61, 16, 4, 500.0, 0);
  update_vs_ref(ctx, RDN_F32, 20, 9, 2, 500.0, 1);
  if (fp64) update_vs_ref(ctx, RDN_F64, 37, 13, 3, 5.0, 0);
  update_errors(ctx);
  layer_vs_ref(ctx, RDN_F32, 45, 11, 3, 4);
  layer_vs_ref(ctx, RDN_F32, 40, 70, 2, 2);      /* d > 64: blocked Cholesky; m_j < d */
  if (fp64) layer_vs_ref(ctx, RDN_F64, 30, 17, 2, 3);
  idx_files(ctx, dir);
  safetensors_files(ctx, dir);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  rdn_ctx_destroy(ctx);
  return th_done();
}
