/*
** idx.c -- IDX files (MNIST family), plain or gzip (zlib's gzread reads both).  The host
** only parses the header and moves raw bytes to the device; the conversion to f32/i32
** (and the big-endian byte swap of 32-bit types) runs in kernels/redunet.cl.
*/
#include "rdn_impl.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#ifdef RDN_HAVE_ZLIB
#include <zlib.h>
#else
#include <stdio.h>
#endif

/* A reader over gzFile or FILE, so a build without zlib still reads plain files. */
typedef struct {
#ifdef RDN_HAVE_ZLIB
  gzFile gz;
#else
  FILE *f;
#endif
} reader;

static int rd_open(reader *r, const char *path) {
#ifdef RDN_HAVE_ZLIB
  r->gz = gzopen(path, "rb");
  if (r->gz) gzbuffer(r->gz, 1 << 17);
  return r->gz != NULL;
#else
  r->f = fopen(path, "rb");
  return r->f != NULL;
#endif
}

/* Reads up to n bytes; returns the count, or -1 on a decompression/read error. */
static long long rd_read(reader *r, void *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    size_t want = n - got > (1u << 30) ? (1u << 30) : n - got;
#ifdef RDN_HAVE_ZLIB
    int k = gzread(r->gz, (char *)buf + got, (unsigned)want);
    if (k < 0) return -1;
#else
    size_t k = fread((char *)buf + got, 1, want, r->f);
    if (ferror(r->f)) return -1;
#endif
    if (k == 0) break;
    got += (size_t)k;
  }
  return (long long)got;
}

static const char *rd_error(reader *r) {
#ifdef RDN_HAVE_ZLIB
  int code = 0;
  const char *m = gzerror(r->gz, &code);
  return code == Z_ERRNO ? strerror(errno) : m;
#else
  (void)r;
  return strerror(errno);
#endif
}

static void rd_close(reader *r) {
#ifdef RDN_HAVE_ZLIB
  if (r->gz) gzclose(r->gz);
#else
  if (r->f) fclose(r->f);
#endif
}

/* Uploads `bytes` raw bytes and converts them into t with kernel `name`. */
static rdn_status convert(rdn_ctx *ctx, rdn_tensor *t, const void *raw, size_t bytes,
                          const char *name, cl_ulong n) {
  cl_int e;
  cl_kernel k;
  rdn_status s;
  cl_mem src = clCreateBuffer(ctx->context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, bytes,
                              (void *)raw, &e);
  if (e != CL_SUCCESS) return rdn__cl_fail(ctx, "rdn_idx_load", "clCreateBuffer", e);
  cl_ulong off = t->offset;
  if ((s = rdn__kernel(ctx, "redunet", RDN_F32, NULL, name, &k)) == RDN_OK &&
      (s = RDN_ARGS(ctx, k, name, RDN_ARG(src), RDN_ARG(n), RDN_TARG(t, off))) == RDN_OK) {
    size_t gws = strcmp(name, "idx_u8_f32") ? (size_t)n : (size_t)(n + 15) / 16;
    s = rdn__launch(ctx, k, name, 1, &gws, NULL);
  }
  /* the blocking finish keeps `raw` valid for implementations that defer the copy */
  if (s == RDN_OK && (e = clFinish(ctx->queue)) != CL_SUCCESS)
    s = rdn__cl_fail(ctx, "rdn_idx_load", "clFinish", e);
  clReleaseMemObject(src);
  return s;
}

rdn_status rdn_idx_load(rdn_ctx *ctx, const char *path, rdn_tensor **out) {
  const char *fn = "rdn_idx_load";
  unsigned char hdr[4 + 4 * 4];
  size_t shape[RDN_MAX_DIMS], numel = 1, esize;
  reader r = { 0 };
  rdn_status s = RDN_OK;
  void *raw = NULL;
  *out = NULL;
  if (!path) return rdn__fail(ctx, RDN_EINVAL, "%s: path is NULL", fn);
  if (!rd_open(&r, path))
    return rdn__fail(ctx, RDN_EIO, "%s: cannot open '%s': %s", fn, path, strerror(errno));
  long long got = rd_read(&r, hdr, 4);
  if (got < 0) {
    s = rdn__fail(ctx, RDN_EIO, "%s: cannot read '%s': %s", fn, path, rd_error(&r));
    goto done;
  }
  if (got < 4) {
    s = rdn__fail(ctx, RDN_EFORMAT, "%s: '%s' is not an IDX file: %lld bytes, header needs 4",
                  fn, path, got);
    goto done;
  }
  int type = hdr[2], rank = hdr[3];
  if (hdr[0] != 0 || hdr[1] != 0) {
    s = rdn__fail(ctx, RDN_EFORMAT, "%s: '%s' is not an IDX file: magic %02x %02x, want 00 00",
                  fn, path, hdr[0], hdr[1]);
    goto done;
  }
  switch (type) {
    case 0x08: case 0x09: esize = 1; break;
    case 0x0C: case 0x0D: esize = 4; break;
    default:
      s = rdn__fail(ctx, RDN_EFORMAT, "%s: '%s': unsupported IDX element type 0x%02x (u8, i8, "
                    "i32 and f32 are read)", fn, path, type);
      goto done;
  }
  if (rank < 1 || rank > RDN_MAX_DIMS) {
    s = rdn__fail(ctx, RDN_EFORMAT, "%s: '%s': bad IDX rank %d (1 to %d)", fn, path, rank,
                  RDN_MAX_DIMS);
    goto done;
  }
  got = rd_read(&r, hdr + 4, 4 * (size_t)rank);
  if (got != 4 * rank) {
    s = rdn__fail(ctx, got < 0 ? RDN_EIO : RDN_EFORMAT, "%s: '%s': truncated header: %lld of "
                  "%d dimension bytes", fn, path, got, 4 * rank);
    goto done;
  }
  for (int i = 0; i < rank; i++) {
    const unsigned char *b = hdr + 4 + 4 * i;
    uint32_t v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    if (v == 0) {
      s = rdn__fail(ctx, RDN_EFORMAT, "%s: '%s': dimension %d is 0", fn, path, i + 1);
      goto done;
    }
    shape[i] = v;
    /* 2^40 elements is far beyond any device; it also keeps the products below */
    if (numel > ((size_t)1 << 40) / v) {
      s = rdn__fail(ctx, RDN_EFORMAT, "%s: '%s': element count overflows at dimension %d "
                    "(%u)", fn, path, i + 1, (unsigned)v);
      goto done;
    }
    numel *= v;
  }
  size_t bytes = numel * esize;
  if (!(raw = malloc(bytes + 1))) {
    s = rdn__fail(ctx, RDN_ENOMEM, "%s: '%s': out of host memory for %zu bytes", fn, path,
                  bytes);
    goto done;
  }
  /* one extra byte tells a file with trailing garbage from an exact one */
  got = rd_read(&r, raw, bytes + 1);
  if (got < 0) {
    s = rdn__fail(ctx, RDN_EIO, "%s: cannot read '%s': %s", fn, path, rd_error(&r));
    goto done;
  }
  if ((size_t)got < bytes) {
    s = rdn__fail(ctx, RDN_EFORMAT, "%s: '%s': truncated: header promises %zu data bytes, "
                  "file has %lld", fn, path, bytes, got);
    goto done;
  }
  if ((size_t)got > bytes) {
    s = rdn__fail(ctx, RDN_EFORMAT, "%s: '%s': trailing data after the %zu data bytes the "
                  "header promises", fn, path, bytes);
    goto done;
  }
  rdn_dtype dt = (rank == 1 && type != 0x0D) ? RDN_I32 : RDN_F32;
  const char *kname = type == 0x08 ? (dt == RDN_I32 ? "idx_u8_i32" : "idx_u8_f32")
                    : type == 0x09 ? (dt == RDN_I32 ? "idx_i8_i32" : "idx_i8_f32")
                    : type == 0x0C ? (dt == RDN_I32 ? "idx_be32_i32" : "idx_bei32_f32")
                    : "idx_be32_f32";
  rdn_tensor *t = NULL;
  if ((s = rdn_tensor_new(ctx, &t, dt, rank, shape)) != RDN_OK) goto done;
  if ((s = convert(ctx, t, raw, bytes, kname, (cl_ulong)numel)) != RDN_OK) {
    rdn_tensor_release(t);
    goto done;
  }
  *out = t;
done:
  free(raw);
  rd_close(&r);
  return s;
}
