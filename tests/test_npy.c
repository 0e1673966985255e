/*
** test_npy.c -- .npy load/save: round trips of every dtype (views included), the exact
** header layout numpy expects, hand-made files (v1/v2, '|u1' and '<i8' decoding), and
** every corrupt-file case, crafted here byte by byte (no Python needed).
*/
#include "harness.h"
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

static const char *tpath(const char *name) {
  static char buf[4][512];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
  return buf[k];
}

static void write_bytes(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) {
    CHECK(0, "cannot write %s", path);
    return;
  }
  fwrite(p, 1, n, f);
  fclose(f);
}

/* An .npy file with `header` verbatim (major 1: u16 length, else u32) then `data`. */
static void write_npy(const char *name, int major, const char *header, const void *data,
                      size_t dlen) {
  unsigned char buf[4096];
  size_t hl = strlen(header), off = major == 1 ? 10 : 12;
  memcpy(buf, "\x93NUMPY", 6);
  buf[6] = (unsigned char)major;
  buf[7] = 0;
  buf[8] = (unsigned char)(hl & 0xff);
  buf[9] = (unsigned char)(hl >> 8);
  if (major != 1) buf[10] = buf[11] = 0;
  memcpy(buf + off, header, hl);
  if (data) memcpy(buf + off + hl, data, dlen);
  write_bytes(tpath(name), buf, off + hl + (data ? dlen : 0));
}

static int count_tmp_files(void) {
  DIR *d = opendir(dir);
  struct dirent *e;
  int n = 0;
  if (!d) return -1;
  while ((e = readdir(d)) != NULL)
    if (strstr(e->d_name, ".tmp.")) n++;
  closedir(d);
  return n;
}

static void roundtrip(rdn_ctx *ctx, rdn_dtype dt) {
  size_t shape[3] = { 4, 5, 7 }, nv = 140 * (dt == RDN_C64 ? 2 : 1);
  double *v = malloc(nv * sizeof *v);
  unsigned long long st = 7 + (unsigned long long)dt;
  for (size_t i = 0; i < nv; i++)
    v[i] = dt == RDN_I32 ? (double)(int)(1000 * th_rand(&st)) : th_rand(&st);
  rdn_tensor *t = th_tensor(ctx, dt, 3, shape, v), *rows = NULL, *back = NULL;
  const char *p = tpath("rt.npy");
  CHECK_OK(ctx, rdn_npy_save(ctx, p, t));
  CHECK_OK(ctx, rdn_npy_load(ctx, p, &back));
  if (back) {
    CHECK(rdn_tensor_dtype(back) == dt && rdn_tensor_ndim(back) == 3 &&
          rdn_tensor_dim(back, 0) == 4 && rdn_tensor_dim(back, 1) == 5 &&
          rdn_tensor_dim(back, 2) == 7, "%s: shape and dtype survive", rdn_dtype_name(dt));
    double *r = th_read(back);
    CHECK(th_relerr(r, v, nv, 1) <= (dt == RDN_F32 || dt == RDN_C64 ? 1e-7 : 0),
          "%s: values survive", rdn_dtype_name(dt));
    free(r);
    rdn_tensor_release(back);
    back = NULL;
  }
  /* a view with a nonzero offset: rows 1..2 */
  CHECK_OK(ctx, rdn_tensor_rows(&rows, t, 1, 2));
  CHECK_OK(ctx, rdn_npy_save(ctx, p, rows));
  CHECK_OK(ctx, rdn_npy_load(ctx, p, &back));
  if (back) {
    size_t per = 35 * (dt == RDN_C64 ? 2 : 1);
    double *r = th_read(back);
    CHECK(rdn_tensor_dim(back, 0) == 2 && th_relerr(r, v + per, 2 * per, 1) <= 1e-7,
          "%s: saving a rows view saves its rows", rdn_dtype_name(dt));
    free(r);
  }
  rdn_tensor_release(back);
  rdn_tensor_release(rows);
  rdn_tensor_release(t);
  free(v);
}

static void header_layout(rdn_ctx *ctx) {
  size_t n = 7;
  rdn_tensor *t = NULL;
  unsigned char buf[256];
  CHECK_OK(ctx, rdn_tensor_new(ctx, &t, RDN_F64, 1, &n));
  CHECK_OK(ctx, rdn_tensor_fill(t, 0.25));
  CHECK_OK(ctx, rdn_npy_save(ctx, tpath("h.npy"), t));
  FILE *f = fopen(tpath("h.npy"), "rb");
  size_t got = f ? fread(buf, 1, sizeof buf, f) : 0;
  if (f) fclose(f);
  size_t hl = (size_t)buf[8] | (size_t)buf[9] << 8;
  CHECK(got == 10 + hl + 56 && !memcmp(buf, "\x93NUMPY\x01\x00", 8), "v1.0 preamble, size");
  CHECK((10 + hl) % 64 == 0 && buf[10 + hl - 1] == '\n', "header padded to 64 with '\\n'");
  buf[10 + hl - 1] = 0;
  CHECK(strstr((char *)buf + 10, "{'descr': '<f8', 'fortran_order': False, 'shape': (7,), }")
        == (char *)buf + 10, "numpy's dict text for a 1-D f64: %s", (char *)buf + 10);
  double x;
  memcpy(&x, buf + 10 + hl, 8);
  CHECK(x == 0.25, "data follows the header");
  rdn_tensor_release(t);
}

static void handmade(rdn_ctx *ctx) {
  rdn_tensor *t = NULL;
  float f[6] = { 1, -2, 3.5f, 0, 5, 6 };
  /* v2.0, double quotes, Python 2 long, no trailing comma, other key order */
  write_npy("v2.npy", 2, "{\"shape\": (2L, 3L), \"fortran_order\": False, \"descr\": \"<f4\"}\n",
            f, sizeof f);
  CHECK_OK(ctx, rdn_npy_load(ctx, tpath("v2.npy"), &t));
  if (t) {
    double *r = th_read(t), want[6] = { 1, -2, 3.5, 0, 5, 6 };
    CHECK(rdn_tensor_dim(t, 0) == 2 && th_relerr(r, want, 6, 1) == 0, "v2.0 header file");
    free(r);
    rdn_tensor_release(t);
  }
  unsigned char u[5] = { 0, 1, 127, 200, 255 };
  write_npy("u1.npy", 1, "{'descr': '|u1', 'fortran_order': False, 'shape': (5,), }", u, 5);
  CHECK_OK(ctx, rdn_npy_load(ctx, tpath("u1.npy"), &t));
  if (t) {
    double *r = th_read(t), want[5] = { 0, 1, 127, 200, 255 };
    CHECK(rdn_tensor_dtype(t) == RDN_F32 && th_relerr(r, want, 5, 1) == 0, "'|u1' -> f32");
    free(r);
    rdn_tensor_release(t);
  }
  int64_t l[4] = { 0, -5, 2147483647, -2147483648LL };
  write_npy("i8.npy", 1, "{'descr': '<i8', 'fortran_order': False, 'shape': (2, 2), }", l,
            sizeof l);
  CHECK_OK(ctx, rdn_npy_load(ctx, tpath("i8.npy"), &t));
  if (t) {   /* read as int32 directly: th_read goes through float for i32 */
    int32_t r[4] = { 1, 1, 1, 1 };
    CHECK_OK(ctx, rdn_tensor_read(t, r, sizeof r));
    CHECK(rdn_tensor_dtype(t) == RDN_I32 && r[0] == 0 && r[1] == -5 && r[2] == INT32_MAX &&
          r[3] == INT32_MIN, "'<i8' -> i32: %d %d %d %d", r[0], r[1], r[2], r[3]);
    rdn_tensor_release(t);
    t = NULL;
  }
  l[3] = 1LL << 40;
  write_npy("i8big.npy", 1, "{'descr': '<i8', 'fortran_order': False, 'shape': (4,), }", l,
            sizeof l);
  CHECK_ERR(ctx, rdn_npy_load(ctx, tpath("i8big.npy"), &t), RDN_EFORMAT,
            "'<i8' value 1099511627776 at flat index 3 does not fit in i32");
  CHECK(t == NULL, "failed load leaves out NULL");
}

/* One corrupt file: header text (NULL: raw bytes given), expected message part. */
static void corrupt(rdn_ctx *ctx, const char *name, const char *header, size_t dlen,
                    const char *needle) {
  rdn_tensor *t = NULL;
  unsigned char data[64] = { 0 };
  char want[600];
  write_npy(name, 1, header, data, dlen);
  snprintf(want, sizeof want, "rdn_npy_load: '%s': %s", tpath(name), needle);
  CHECK_ERR(ctx, rdn_npy_load(ctx, tpath(name), &t), RDN_EFORMAT, want);
  CHECK(t == NULL, "%s: no tensor", name);
  rdn_tensor_release(t);
}

static void corrupt_files(rdn_ctx *ctx) {
  rdn_tensor *t = NULL;
  const char *h = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  CHECK_ERR(ctx, rdn_npy_load(ctx, tpath("missing.npy"), &t), RDN_EIO,
            "No such file or directory");
  CHECK_ERR(ctx, rdn_npy_load(ctx, dir, &t), RDN_EIO, "is not a regular file");
  write_bytes(tpath("magic.npy"), "\x93NUMPZ\x01\x00\x10\x00{}", 12);
  CHECK_ERR(ctx, rdn_npy_load(ctx, tpath("magic.npy"), &t), RDN_EFORMAT, "bad magic");
  write_bytes(tpath("short.npy"), "\x93NUMPY\x01", 7);
  CHECK_ERR(ctx, rdn_npy_load(ctx, tpath("short.npy"), &t), RDN_EFORMAT, "truncated preamble");
  write_bytes(tpath("empty.npy"), "", 0);
  CHECK_ERR(ctx, rdn_npy_load(ctx, tpath("empty.npy"), &t), RDN_EFORMAT, "bad magic");
  write_bytes(tpath("ver.npy"), "\x93NUMPY\x04\x00\x02\x00{}", 12);
  CHECK_ERR(ctx, rdn_npy_load(ctx, tpath("ver.npy"), &t), RDN_EFORMAT,
            "unsupported format version 4.0");
  write_bytes(tpath("hl0.npy"), "\x93NUMPY\x01\x00\x00\x00", 10);
  CHECK_ERR(ctx, rdn_npy_load(ctx, tpath("hl0.npy"), &t), RDN_EFORMAT, "bad header length 0");
  write_bytes(tpath("hlbig.npy"), "\x93NUMPY\x02\x00\xff\xff\xff\x7f{}", 14);
  CHECK_ERR(ctx, rdn_npy_load(ctx, tpath("hlbig.npy"), &t), RDN_EFORMAT,
            "bad header length 2147483647");
  write_bytes(tpath("hltrunc.npy"), "\x93NUMPY\x01\x00\x40\x00{'descr'", 17);
  CHECK_ERR(ctx, rdn_npy_load(ctx, tpath("hltrunc.npy"), &t), RDN_EFORMAT,
            "truncated header: 64 bytes announced, 7 in the file");
  write_bytes(tpath("nul.npy"), "\x93NUMPY\x01\x00\x04\x00{\0}\n", 14);
  CHECK_ERR(ctx, rdn_npy_load(ctx, tpath("nul.npy"), &t), RDN_EFORMAT, "contains a NUL byte");

  corrupt(ctx, "notdict.npy", "['descr', '<f4']", 24, "bad header: not a Python dict");
  corrupt(ctx, "nokey.npy", "{'descr': '<f4', 'shape': (2, 3), }", 24,
          "bad header: missing key 'fortran_order'");
  corrupt(ctx, "extra.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), "
          "'extra': 1}", 24, "bad header: unknown key 'extra'");
  corrupt(ctx, "tuple.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3], }",
          24, "bad header: 'shape' is not a tuple");
  corrupt(ctx, "negdim.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }",
          24, "bad header: 'shape' entry 2 is not an integer");
  corrupt(ctx, "fo.npy", "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2, 3), }",
          24, "bad header: 'fortran_order' is not True or False");
  corrupt(ctx, "unterminated.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)",
          24, "bad header: expected ',' or '}' after 'shape'");
  corrupt(ctx, "after.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)} x",
          24, "bad header: text after the dict");
  corrupt(ctx, "struct.npy", "{'descr': [('a', '<f4')], 'fortran_order': False, "
          "'shape': (2,), }", 8, "bad header: 'descr' is not a short string (structured dtypes are "
          "not supported)");
  corrupt(ctx, "fortran.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
          24, "fortran_order True is not supported");
  corrupt(ctx, "f2.npy", "{'descr': '<f2', 'fortran_order': False, 'shape': (2, 3), }", 12,
          "unsupported dtype '<f2'");
  corrupt(ctx, "be.npy", "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", 24,
          "unsupported dtype '>f4'");
  corrupt(ctx, "5d.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,2), }",
          8, "shape has more than 4 dimensions");
  corrupt(ctx, "scalar.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", 4,
          "shape () (a scalar) is not supported");
  corrupt(ctx, "zero.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 0), }", 0,
          "shape has a zero extent (axis 2)");
  corrupt(ctx, "overflow.npy", "{'descr': '<f4', 'fortran_order': False, "
          "'shape': (281474976710656, 281474976710656), }", 0,
          "shape size overflows at axis 2");
  corrupt(ctx, "hugeint.npy", "{'descr': '<f4', 'fortran_order': False, "
          "'shape': (99999999999999999999999, 1), }", 0,
          "bad header: 'shape' entry 1 is not an integer");
  corrupt(ctx, "trunc.npy", h, 23,
          "truncated: data needs 24 bytes, the file has 23 after the header");
  corrupt(ctx, "long.npy", h, 28,
          "size mismatch: data needs 24 bytes, the file has 28 after the header");
  CHECK(t == NULL, "failed loads leave out NULL");
}

static void save_errors(rdn_ctx *ctx) {
  size_t n = 3;
  rdn_tensor *t = NULL;
  char p[600];
  CHECK_OK(ctx, rdn_tensor_new(ctx, &t, RDN_F32, 1, &n));
  CHECK_OK(ctx, rdn_tensor_fill(t, 1));
  snprintf(p, sizeof p, "%s/no/such/dir/x.npy", dir);
  CHECK_ERR(ctx, rdn_npy_save(ctx, p, t), RDN_EIO, "No such file or directory");
  mkdir(tpath("isdir.npy"), 0700);   /* rename onto a directory fails after the write */
  CHECK_ERR(ctx, rdn_npy_save(ctx, tpath("isdir.npy"), t), RDN_EIO, "cannot write");
  CHECK(count_tmp_files() == 0, "no temp file left after failed saves");
  rmdir(tpath("isdir.npy"));
  CHECK_ERR(ctx, rdn_npy_save(ctx, NULL, t), RDN_EINVAL, "'path' is NULL");
  CHECK_ERR(ctx, rdn_npy_save(ctx, p, NULL), RDN_EINVAL, "tensor is NULL");
  rdn_tensor *o = NULL;
  CHECK_ERR(ctx, rdn_npy_load(ctx, NULL, &o), RDN_EINVAL, "'path' is NULL");
  /* overwriting an existing file replaces it atomically */
  CHECK_OK(ctx, rdn_npy_save(ctx, tpath("over.npy"), t));
  CHECK_OK(ctx, rdn_tensor_fill(t, 2));
  CHECK_OK(ctx, rdn_npy_save(ctx, tpath("over.npy"), t));
  CHECK_OK(ctx, rdn_npy_load(ctx, tpath("over.npy"), &o));
  if (o) {
    double *r = th_read(o);
    CHECK(r[0] == 2 && r[2] == 2, "overwrite");
    free(r);
  }
  rdn_tensor_release(o);
  rdn_tensor_release(t);
}

static void cleanup(void) {
  DIR *d = opendir(dir);
  struct dirent *e;
  if (!d) return;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') remove(tpath(e->d_name));
  closedir(d);
  rmdir(dir);
}

int main(void) {
  rdn_ctx *ctx = th_ctx();
  if (!ctx) return th_done();
  const char *tmp = getenv("TMPDIR");
  snprintf(dir, sizeof dir, "%s/rdn_npy_XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(dir)) {
    CHECK(0, "mkdtemp %s", dir);
    rdn_ctx_destroy(ctx);
    return th_done();
  }
  roundtrip(ctx, RDN_F32);
  roundtrip(ctx, RDN_I32);
  roundtrip(ctx, RDN_C64);
  if (rdn_ctx_device(ctx)->has_fp64) roundtrip(ctx, RDN_F64);
  if (rdn_ctx_device(ctx)->has_fp64) header_layout(ctx);
  handmade(ctx);
  corrupt_files(ctx);
  save_errors(ctx);
  cleanup();
  rdn_ctx_destroy(ctx);
  return th_done();
}
