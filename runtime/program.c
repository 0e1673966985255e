/*
** program.c -- builds OpenCL programs from the embedded kernel sources (kernels/NAME.cl).
** Order (as CLBlast's InitProgram): in-memory cache -> options -> common.cl + op
** source -> disk binary cache -> compile from source -> store binary.  Programs are
** keyed by (op file, dtype, options); their kernels are cached with them.
*/
#include "rdn_impl.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_KERNELS 32

struct rdn_prog_entry {
  char *key;                   /* "op|dtype|opts" */
  cl_program prog;
  int nk;
  char *knames[MAX_KERNELS];
  cl_kernel kernels[MAX_KERNELS];
  rdn_prog_entry *next;
};

static char *dup_str(const char *s) {
  char *d = malloc(strlen(s) + 1);
  if (d) strcpy(d, s);
  return d;
}

/* Source text of kernels/<name>.cl: from RDN_KERNEL_DIR when set, else embedded. */
static char *load_source(rdn_ctx *ctx, const char *name, size_t *len) {
  char fname[256];
  snprintf(fname, sizeof fname, "%s.cl", name);
  if (ctx->kernel_dir) {
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", ctx->kernel_dir, fname);
    FILE *f = fopen(path, "rb");
    if (f) {
      char *buf = NULL;
      long n = -1;
      if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
          (buf = malloc((size_t)n + 1)) != NULL && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[n] = 0;
        *len = (size_t)n;
        fclose(f);
        return buf;
      }
      free(buf);
      fclose(f);
    }
  }
  for (size_t i = 0; i < rdn__kernels_count(); i++) {
    const char *nm, *data = rdn__kernels_get(i, &nm, len);
    if (!strcmp(nm, fname)) {
      char *buf = malloc(*len + 1);
      if (!buf) return NULL;
      memcpy(buf, data, *len);
      buf[*len] = 0;
      return buf;
    }
  }
  return NULL;
}

static rdn_status build_log_fail(rdn_ctx *ctx, cl_program p, const char *op, const char *opts,
                                 cl_int e) {
  char logbuf[4096] = "";
  size_t n = 0;
  clGetProgramBuildInfo(p, ctx->device, CL_PROGRAM_BUILD_LOG, sizeof logbuf - 1, logbuf, &n);
  logbuf[sizeof logbuf - 1] = 0;
  for (char *c = logbuf; *c; c++)
    if (*c == '\n') *c = ' ';
  if (strlen(logbuf) > 400) strcpy(logbuf + 397, "...");
  rdn__log(ctx, RDN_LOG_ERROR, "program '%s' build log: %s", op, logbuf);
  return rdn__fail(ctx, RDN_EBUILD, "program '%s' (%s): build failed: %s (%d): %s", op, opts,
                   rdn__cl_errname(e), (int)e, logbuf);
}

static rdn_status build(rdn_ctx *ctx, const char *op, const char *opts, cl_program *out) {
  size_t clen = 0, olen = 0;
  char *common = load_source(ctx, "common", &clen);
  char *src = load_source(ctx, op, &olen);
  char *full = NULL, *key = NULL;
  cl_program p = NULL;
  rdn_status s = RDN_OK;
  cl_int e;
  if (!common || !src) {
    s = rdn__fail(ctx, RDN_EBUILD, "program '%s': no kernel source %s.cl", op,
                  common ? op : "common");
    goto done;
  }
  full = malloc(clen + olen + 2);
  if (!full) { s = rdn__fail(ctx, RDN_ENOMEM, "program '%s': out of host memory", op); goto done; }
  memcpy(full, common, clen);
  full[clen] = '\n';
  memcpy(full + clen + 1, src, olen + 1);
  uint64_t sh = rdn__hash64(full, clen + olen + 1, 0);
  size_t klen = strlen(ctx->info.platform_name) + strlen(ctx->info.name) +
                strlen(ctx->info.driver) + strlen(opts) + 128;
  key = malloc(klen);
  if (!key) { s = rdn__fail(ctx, RDN_ENOMEM, "program '%s': out of host memory", op); goto done; }
  snprintf(key, klen, "rdn %s|%s|%s|%s|%s|%016llx", RDN_VERSION_STRING, ctx->info.platform_name,
           ctx->info.name, ctx->info.driver, opts, (unsigned long long)sh);

  unsigned char *bin = NULL;
  size_t blen = 0;
  if (rdn__cache_load(ctx, key, &bin, &blen) == RDN_OK) {
    cl_int bs;
    const unsigned char *bp = bin;
    p = clCreateProgramWithBinary(ctx->context, 1, &ctx->device, &blen, &bp, &bs, &e);
    free(bin);
    if (e == CL_SUCCESS && bs == CL_SUCCESS &&
        clBuildProgram(p, 1, &ctx->device, opts, NULL, NULL) == CL_SUCCESS) {
      ctx->stats.builds_binary++;
      *out = p;
      goto done;
    }
    rdn__log(ctx, RDN_LOG_WARN, "binary cache: stale binary for '%s', rebuilding", op);
    if (p) clReleaseProgram(p);
    p = NULL;
  }
  const char *srcs[1] = { full };
  p = clCreateProgramWithSource(ctx->context, 1, srcs, NULL, &e);
  if (e != CL_SUCCESS) { s = rdn__cl_fail(ctx, op, "clCreateProgramWithSource", e); goto done; }
  e = clBuildProgram(p, 1, &ctx->device, opts, NULL, NULL);
  if (e != CL_SUCCESS) {
    s = build_log_fail(ctx, p, op, opts, e);
    clReleaseProgram(p);
    goto done;
  }
  ctx->stats.builds_source++;
  rdn__log(ctx, RDN_LOG_DEBUG, "built program '%s' (%s) from source", op, opts);
  size_t bsize = 0;
  if (ctx->cache_dir &&
      clGetProgramInfo(p, CL_PROGRAM_BINARY_SIZES, sizeof bsize, &bsize, NULL) == CL_SUCCESS &&
      bsize > 0) {
    unsigned char *b = malloc(bsize);
    if (b && clGetProgramInfo(p, CL_PROGRAM_BINARIES, sizeof b, &b, NULL) == CL_SUCCESS)
      rdn__cache_store(ctx, key, b, bsize);
    free(b);
  }
  *out = p;
done:
  free(common);
  free(src);
  free(full);
  free(key);
  return s;
}

rdn_status rdn__kernel(rdn_ctx *ctx, const char *op, rdn_dtype dt, const char *extra,
                       const char *name, cl_kernel *out) {
  char opts[1024], key[1200];
  rdn_prog_entry *pe;
  rdn_status s;
  int dcode = dt == RDN_F64 ? 1 : dt == RDN_C64 ? 2 : 0;
  if (dt == RDN_F64 && !ctx->info.has_fp64)
    return rdn__fail(ctx, RDN_EUNSUPPORTED, "program '%s' (f64): device '%s' has no "
                     "cl_khr_fp64", op, ctx->info.name);
  snprintf(opts, sizeof opts, "-cl-std=CL1.2 -D RDN_DTYPE=%d%s%s", dcode, extra ? " " : "",
           extra ? extra : "");
  snprintf(key, sizeof key, "%s|%s", op, opts);
  for (pe = ctx->progs; pe; pe = pe->next)
    if (!strcmp(pe->key, key)) break;
  if (pe) {
    ctx->stats.mem_hits++;
  } else {
    cl_program p = NULL;
    if ((s = build(ctx, op, opts, &p)) != RDN_OK) return s;
    pe = calloc(1, sizeof *pe);
    if (!pe || !(pe->key = dup_str(key))) {
      free(pe);
      clReleaseProgram(p);
      return rdn__fail(ctx, RDN_ENOMEM, "program '%s': out of host memory", op);
    }
    pe->prog = p;
    pe->next = ctx->progs;
    ctx->progs = pe;
  }
  for (int i = 0; i < pe->nk; i++)
    if (!strcmp(pe->knames[i], name)) {
      *out = pe->kernels[i];
      return RDN_OK;
    }
  if (pe->nk == MAX_KERNELS)
    return rdn__fail(ctx, RDN_EBUILD, "program '%s': more than %d kernels", op, MAX_KERNELS);
  cl_int e;
  cl_kernel k = clCreateKernel(pe->prog, name, &e);
  if (e != CL_SUCCESS)
    return rdn__fail(ctx, RDN_EBUILD, "program '%s': no kernel '%s': %s (%d)", op, name,
                     rdn__cl_errname(e), (int)e);
  if (!(pe->knames[pe->nk] = dup_str(name))) {
    clReleaseKernel(k);
    return rdn__fail(ctx, RDN_ENOMEM, "program '%s': out of host memory", op);
  }
  pe->kernels[pe->nk++] = k;
  *out = k;
  return RDN_OK;
}

void rdn__programs_free(rdn_ctx *ctx) {
  rdn_prog_entry *pe = ctx->progs, *n;
  for (; pe; pe = n) {
    n = pe->next;
    for (int i = 0; i < pe->nk; i++) {
      clReleaseKernel(pe->kernels[i]);
      free(pe->knames[i]);
    }
    clReleaseProgram(pe->prog);
    free(pe->key);
    free(pe);
  }
  ctx->progs = NULL;
}
