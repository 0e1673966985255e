/*
** npy.c -- NumPy .npy files (format versions 1.0, 2.0, 3.0).  A loaded file is
** untrusted: magic, version, header length, the header dict, dtype, shape, sizes and
** the file length are all checked before anything is allocated or uploaded.  Decoding
** file bytes into the tensor's storage type ('|u1' -> f32, '<i8' -> i32) is I/O and
** happens on the host; no numerics do.  Saves go to a temp file renamed into place.
*/
#include "rdn_impl.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NPY_MAX_HEADER ((size_t)1 << 20)   /* numpy writes < 1 KiB; refuse absurd ones */
#define NPY_MAX_EXTENT ((size_t)1 << 48)

static const char MAGIC[6] = { '\x93', 'N', 'U', 'M', 'P', 'Y' };

/* File element types we read, and the tensor dtype each becomes. */
typedef struct {
  const char *descr;
  size_t size;
  rdn_dtype dt;
} npy_type;

static const npy_type TYPES[] = {
  { "<f4", 4, RDN_F32 }, { "<f8", 8, RDN_F64 }, { "<c8", 8, RDN_C64 }, { "<i4", 4, RDN_I32 },
  { "|u1", 1, RDN_F32 },   /* images: bytes decoded to f32 (0..255) */
  { "<i8", 8, RDN_I32 },   /* numpy's default int (labels): range-checked to i32 */
  { NULL, 0, RDN_F32 }
};

static int host_little_endian(void) {
  const uint16_t one = 1;
  unsigned char b;
  memcpy(&b, &one, 1);
  return b == 1;
}

/* RDN_EFORMAT "rdn_npy_load: 'path': <what>" */
static rdn_status bad(rdn_ctx *ctx, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
  __attribute__((format(printf, 3, 4)))
#endif
  ;
static rdn_status bad(rdn_ctx *ctx, const char *path, const char *fmt, ...) {
  char what[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return rdn__fail(ctx, RDN_EFORMAT, "rdn_npy_load: '%s': %s", path, what);
}

/* ------------------------------------------------------------ header parse */
typedef struct {
  const char *p, *end;
} cursor;

typedef struct {
  char descr[16];
  int fortran, ndim;
  size_t shape[RDN_MAX_DIMS];
  int seen;                            /* bit 0 descr, 1 fortran_order, 2 shape */
} npy_header;

static void skip_ws(cursor *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
    c->p++;
}

static int eat(cursor *c, char ch) {
  skip_ws(c);
  if (c->p < c->end && *c->p == ch) {
    c->p++;
    return 1;
  }
  return 0;
}

/* A Python string literal without escapes; 0 if absent or longer than len - 1. */
static int parse_str(cursor *c, char *out, size_t len) {
  skip_ws(c);
  if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return 0;
  char q = *c->p++;
  size_t n = 0;
  while (c->p < c->end && *c->p != q) {
    if (*c->p == '\\' || n + 1 >= len) return 0;
    out[n++] = *c->p++;
  }
  if (c->p >= c->end) return 0;
  c->p++;
  out[n] = 0;
  return 1;
}

/* A non-negative Python int (an 'L' suffix from Python 2 is allowed); 0 on overflow. */
static int parse_uint(cursor *c, size_t *v) {
  skip_ws(c);
  size_t x = 0;
  const char *s = c->p;
  while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
    if (x > (NPY_MAX_EXTENT - (size_t)(*c->p - '0')) / 10) return 0;
    x = x * 10 + (size_t)(*c->p++ - '0');
  }
  if (c->p == s) return 0;
  if (c->p < c->end && *c->p == 'L') c->p++;
  *v = x;
  return 1;
}

static rdn_status parse_shape(rdn_ctx *ctx, const char *path, cursor *c, npy_header *h) {
  if (!eat(c, '(')) return bad(ctx, path, "bad header: 'shape' is not a tuple");
  h->ndim = 0;
  for (;;) {
    if (eat(c, ')')) break;
    size_t v;
    if (!parse_uint(c, &v))
      return bad(ctx, path, "bad header: 'shape' entry %d is not an integer in [0, 2^48]",
                 h->ndim + 1);
    if (h->ndim == RDN_MAX_DIMS)
      return bad(ctx, path, "shape has more than %d dimensions", RDN_MAX_DIMS);
    h->shape[h->ndim++] = v;
    if (eat(c, ')')) break;
    if (!eat(c, ',')) return bad(ctx, path, "bad header: 'shape' tuple is malformed");
  }
  return RDN_OK;
}

static rdn_status parse_header(rdn_ctx *ctx, const char *path, const char *text, size_t len,
                               npy_header *h) {
  cursor c = { text, text + len };
  char key[32];
  rdn_status s;
  memset(h, 0, sizeof *h);
  if (memchr(text, 0, len)) return bad(ctx, path, "bad header: contains a NUL byte");
  if (!eat(&c, '{')) return bad(ctx, path, "bad header: not a Python dict");
  while (!eat(&c, '}')) {
    if (!parse_str(&c, key, sizeof key)) return bad(ctx, path, "bad header: expected a key");
    if (!eat(&c, ':')) return bad(ctx, path, "bad header: expected ':' after '%s'", key);
    if (!strcmp(key, "descr")) {
      if (!parse_str(&c, h->descr, sizeof h->descr))
        return bad(ctx, path, "bad header: 'descr' is not a short string (structured "
                   "dtypes are not supported)");
      h->seen |= 1;
    } else if (!strcmp(key, "fortran_order")) {
      skip_ws(&c);
      if ((size_t)(c.end - c.p) >= 4 && !memcmp(c.p, "True", 4)) h->fortran = 1, c.p += 4;
      else if ((size_t)(c.end - c.p) >= 5 && !memcmp(c.p, "False", 5)) h->fortran = 0, c.p += 5;
      else return bad(ctx, path, "bad header: 'fortran_order' is not True or False");
      h->seen |= 2;
    } else if (!strcmp(key, "shape")) {
      if ((s = parse_shape(ctx, path, &c, h)) != RDN_OK) return s;
      h->seen |= 4;
    } else {
      return bad(ctx, path, "bad header: unknown key '%s'", key);
    }
    if (!eat(&c, ',')) {
      if (eat(&c, '}')) break;
      return bad(ctx, path, "bad header: expected ',' or '}' after '%s'", key);
    }
  }
  skip_ws(&c);
  if (c.p != c.end) return bad(ctx, path, "bad header: text after the dict");
  if (h->seen != 7)
    return bad(ctx, path, "bad header: missing key '%s'", !(h->seen & 1) ? "descr"
               : !(h->seen & 2) ? "fortran_order" : "shape");
  return RDN_OK;
}

/* ------------------------------------------------------------------- load */
static uint32_t le32(const unsigned char *b) {
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Reads and checks the preamble and header; leaves f at the first data byte. */
static rdn_status read_header(rdn_ctx *ctx, const char *path, FILE *f, size_t fsize,
                              npy_header *h, size_t *data_off) {
  unsigned char pre[12];
  size_t got = fread(pre, 1, 10, f);
  if (got < 10 || memcmp(pre, MAGIC, 6) != 0)
    return bad(ctx, path, got < 6 || memcmp(pre, MAGIC, 6) ? "not a .npy file (bad magic)"
               : "truncated preamble");
  if (pre[6] < 1 || pre[6] > 3 || pre[7] != 0)
    return bad(ctx, path, "unsupported format version %d.%d (1.0, 2.0 or 3.0)", pre[6], pre[7]);
  size_t hlen, off = 10;
  if (pre[6] == 1) {
    hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
  } else {
    if (fread(pre + 10, 1, 2, f) != 2) return bad(ctx, path, "truncated preamble");
    hlen = le32(pre + 8);
    off = 12;
  }
  if (hlen == 0 || hlen > NPY_MAX_HEADER)
    return bad(ctx, path, "bad header length %zu (1 to %zu)", hlen, NPY_MAX_HEADER);
  if (hlen > fsize - off)
    return bad(ctx, path, "truncated header: %zu bytes announced, %zu in the file", hlen,
               fsize - off);
  char *text = malloc(hlen);
  if (!text) return rdn__fail(ctx, RDN_ENOMEM, "rdn_npy_load: out of host memory");
  rdn_status s = RDN_OK;
  if (fread(text, 1, hlen, f) != hlen)
    s = rdn__fail(ctx, RDN_EIO, "rdn_npy_load: '%s': read failed: %s", path, strerror(errno));
  else
    s = parse_header(ctx, path, text, hlen, h);
  free(text);
  *data_off = off + hlen;
  return s;
}

static const npy_type *find_type(const char *descr) {
  for (const npy_type *t = TYPES; t->descr; t++)
    if (!strcmp(t->descr, descr)) return t;
  return NULL;
}

/* Decodes `n` file elements of a converted type ('|u1', '<i8') into the tensor's
** storage type.  Returns 0 and sets *badi when an '<i8' value does not fit i32. */
static int decode(const npy_type *ty, unsigned char *raw, size_t n, void *dst, size_t *badi,
                  long long *badv) {
  if (!strcmp(ty->descr, "|u1")) {
    float *o = dst;
    for (size_t i = 0; i < n; i++) o[i] = (float)raw[i];
  } else if (!strcmp(ty->descr, "<i8")) {
    int32_t *o = dst;
    for (size_t i = 0; i < n; i++) {
      int64_t v;
      memcpy(&v, raw + 8 * i, 8);
      if (v < INT32_MIN || v > INT32_MAX) {
        *badi = i;
        *badv = (long long)v;
        return 0;
      }
      o[i] = (int32_t)v;
    }
  }
  return 1;
}

static rdn_status load_data(rdn_ctx *ctx, const char *path, FILE *f, const npy_header *h,
                            const npy_type *ty, size_t numel, rdn_tensor **out) {
  size_t raw_bytes = numel * ty->size, out_bytes = numel * rdn_dtype_size(ty->dt);
  int convert = ty->size != rdn_dtype_size(ty->dt) || ty->descr[0] == '|';
  unsigned char *raw = malloc(raw_bytes);
  void *conv = convert ? malloc(out_bytes) : raw;
  rdn_status s = RDN_OK;
  size_t badi = 0;
  long long badv = 0;
  if (!raw || !conv) {
    s = rdn__fail(ctx, RDN_ENOMEM, "rdn_npy_load: '%s': out of host memory for %zu bytes",
                  path, raw_bytes);
  } else if (fread(raw, 1, raw_bytes, f) != raw_bytes) {
    s = rdn__fail(ctx, RDN_EIO, "rdn_npy_load: '%s': read failed: %s", path,
                  ferror(f) ? strerror(errno) : "unexpected end of file");
  } else if (!decode(ty, raw, numel, conv, &badi, &badv)) {
    s = bad(ctx, path, "'<i8' value %lld at flat index %zu does not fit in i32", badv, badi);
  } else if ((s = rdn_tensor_new(ctx, out, ty->dt, h->ndim, h->shape)) == RDN_OK &&
             (s = rdn_tensor_write(*out, conv, out_bytes)) != RDN_OK) {
    rdn_tensor_release(*out);
    *out = NULL;
  }
  if (conv != raw) free(conv);
  free(raw);
  return s;
}

rdn_status rdn_npy_load(rdn_ctx *ctx, const char *path, rdn_tensor **out) {
  npy_header h;
  size_t data_off = 0;
  struct stat st;
  rdn_status s;
  if (!out) return rdn__fail(ctx, RDN_EINVAL, "rdn_npy_load: 'out' is NULL");
  *out = NULL;
  if (!ctx) return RDN_EINVAL;
  if (!path) return rdn__fail(ctx, RDN_EINVAL, "rdn_npy_load: 'path' is NULL");
  if (!host_little_endian())
    return rdn__fail(ctx, RDN_EUNSUPPORTED, "rdn_npy_load: big-endian hosts are not supported");
  FILE *f = fopen(path, "rb");
  if (!f)
    return rdn__fail(ctx, RDN_EIO, "rdn_npy_load: cannot open '%s': %s", path, strerror(errno));
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    fclose(f);
    return rdn__fail(ctx, RDN_EIO, "rdn_npy_load: '%s' is not a regular file", path);
  }
  size_t fsize = (size_t)st.st_size;
  s = read_header(ctx, path, f, fsize, &h, &data_off);
  const npy_type *ty = s == RDN_OK ? find_type(h.descr) : NULL;
  size_t numel = 1;
  if (s != RDN_OK) {
    /* message set */
  } else if (!ty) {
    s = bad(ctx, path, "unsupported dtype '%s' (supported: '<f4', '<f8', '<c8', '<i4', "
            "'|u1', '<i8')", h.descr);
  } else if (h.fortran) {
    s = bad(ctx, path, "fortran_order True is not supported (save a C-ordered array)");
  } else if (h.ndim == 0) {
    s = bad(ctx, path, "shape () (a scalar) is not supported: tensors have 1 to %d axes",
            RDN_MAX_DIMS);
  } else {
    for (int i = 0; i < h.ndim && s == RDN_OK; i++) {
      if (h.shape[i] == 0)
        s = bad(ctx, path, "shape has a zero extent (axis %d): empty arrays are not "
                "supported", i + 1);
      else if (numel > (SIZE_MAX / 8) / h.shape[i] || numel * h.shape[i] > NPY_MAX_EXTENT)
        s = bad(ctx, path, "shape size overflows at axis %d", i + 1);
      else
        numel *= h.shape[i];
    }
    size_t want = numel * ty->size, have = fsize - data_off;
    if (s == RDN_OK && have < want)
      s = bad(ctx, path, "truncated: data needs %zu bytes, the file has %zu after the header",
              want, have);
    else if (s == RDN_OK && have > want)
      s = bad(ctx, path, "size mismatch: data needs %zu bytes, the file has %zu after the "
              "header", want, have);
  }
  if (s == RDN_OK) s = load_data(ctx, path, f, &h, ty, numel, out);
  fclose(f);
  return s;
}

/* ------------------------------------------------------------------- save */
static const char *descr_of(rdn_dtype dt) {
  switch (dt) {
    case RDN_F32: return "<f4";
    case RDN_F64: return "<f8";
    case RDN_C64: return "<c8";
    case RDN_I32: return "<i4";
  }
  return NULL;
}

/* Version 1.0 preamble + header padded with spaces and '\n' to a multiple of 64. */
static size_t make_header(const rdn_tensor *t, unsigned char *buf, size_t cap) {
  char dict[256];
  int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                   descr_of(t->dtype));
  for (int i = 0; i < t->ndim; i++)
    n += snprintf(dict + n, sizeof dict - (size_t)n, "%s%zu", i ? ", " : "", t->shape[i]);
  n += snprintf(dict + n, sizeof dict - (size_t)n, "%s), }", t->ndim == 1 ? "," : "");
  size_t total = rdn__round_up(10 + (size_t)n + 1, 64), hlen = total - 10;
  if (total > cap) return 0;
  memcpy(buf, MAGIC, 6);
  buf[6] = 1;
  buf[7] = 0;
  buf[8] = (unsigned char)(hlen & 0xff);
  buf[9] = (unsigned char)(hlen >> 8);
  memcpy(buf + 10, dict, (size_t)n);
  memset(buf + 10 + n, ' ', hlen - (size_t)n - 1);
  buf[total - 1] = '\n';
  return total;
}

rdn_status rdn_npy_save(rdn_ctx *ctx, const char *path, const rdn_tensor *t) {
  const char *fn = "rdn_npy_save";
  unsigned char head[512];
  char tmp[4096];
  if (!ctx) return RDN_EINVAL;
  if (!path) return rdn__fail(ctx, RDN_EINVAL, "%s: 'path' is NULL", fn);
  if (!t) return rdn__fail(ctx, RDN_EINVAL, "%s: tensor is NULL", fn);
  if (!host_little_endian())
    return rdn__fail(ctx, RDN_EUNSUPPORTED, "%s: big-endian hosts are not supported", fn);
  if (t->ctx != ctx)
    return rdn__fail(ctx, RDN_EINVAL, "%s: the tensor belongs to another context", fn);
  if (!descr_of(t->dtype))
    return rdn__fail(ctx, RDN_EINVAL, "%s: bad dtype %d", fn, (int)t->dtype);
  size_t hbytes = make_header(t, head, sizeof head);
  if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp)
    return rdn__fail(ctx, RDN_EINVAL, "%s: path too long: %zu characters", fn, strlen(path));
  size_t bytes = rdn_tensor_numel(t) * rdn_dtype_size(t->dtype);
  void *data = malloc(bytes);
  if (!data) return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory for %zu bytes", fn, bytes);
  rdn_status s = rdn_tensor_read(t, data, bytes);
  if (s != RDN_OK) {
    free(data);
    return s;
  }
  FILE *f = fopen(tmp, "wb");
  if (!f) {
    s = rdn__fail(ctx, RDN_EIO, "%s: cannot create '%s': %s", fn, tmp, strerror(errno));
    free(data);
    return s;
  }
  int ok = fwrite(head, 1, hbytes, f) == hbytes && fwrite(data, 1, bytes, f) == bytes &&
           fflush(f) == 0 && fsync(fileno(f)) == 0;
  int err = errno;
  if (fclose(f) != 0 && ok) {
    ok = 0;
    err = errno;
  }
  free(data);
  if (ok && rename(tmp, path) != 0) {
    err = errno;
    ok = 0;
  }
  if (!ok) {
    remove(tmp);
    return rdn__fail(ctx, RDN_EIO, "%s: cannot write '%s': %s", fn, path, strerror(err));
  }
  return RDN_OK;
}
