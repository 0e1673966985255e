/*
** reduce.c -- whole-tensor sums (rdn_sum, rdn_sumsq), row norms and normalisation,
** row argmax and row gather.  Partial sums live in a per-ctx scratch buffer; a tiny
** second kernel adds them on the device, so the host reads back a single number.
*/
#include "rdn_impl.h"
#include <stdlib.h>
#include <string.h>

/* Scratch layout in acc slots (acc = double with fp64, else float): slot 0 holds the
** uint flag, slot RES_SLOT the final sum, partials start at PART_SLOT. */
#define RES_SLOT 1
#define PART_SLOT 8
#define MIN_PARTS 1024            /* capacity of a fresh scratch */
#define CHUNK_MIN 8192            /* scalars per work-item below which we use fewer */
#define TREE_GROUPS 1024          /* work-groups of the tree form */

struct rdn_reduce_state {
  cl_mem buf;
  size_t nacc;                    /* partial slots available after PART_SLOT */
};

static size_t acc_size(const rdn_ctx *ctx) { return ctx->info.has_fp64 ? 8 : 4; }

void rdn__reduce_free(rdn_ctx *ctx) {
  if (!ctx || !ctx->reduce) return;
  if (ctx->reduce->buf) clReleaseMemObject(ctx->reduce->buf);
  free(ctx->reduce);
  ctx->reduce = NULL;
}

rdn_status rdn__scratch(rdn_ctx *ctx, const char *fn, size_t nacc, cl_mem *buf) {
  rdn_reduce_state *st = ctx->reduce;
  cl_int e;
  if (!st && !(st = ctx->reduce = calloc(1, sizeof *st)))
    return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
  if (!st->buf || st->nacc < nacc) {
    size_t want = nacc > MIN_PARTS ? nacc : MIN_PARTS;
    /* The old buffer is freed by OpenCL once the commands using it have finished. */
    if (st->buf) clReleaseMemObject(st->buf);
    st->nacc = 0;
    st->buf = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE, (want + PART_SLOT) *
                             acc_size(ctx), NULL, &e);
    if (e != CL_SUCCESS) {
      st->buf = NULL;
      return rdn__cl_fail(ctx, fn, "clCreateBuffer (reduction scratch)", e);
    }
    st->nacc = want;
  }
  *buf = st->buf;
  return RDN_OK;
}

rdn_status rdn__flag_reset(rdn_ctx *ctx, const char *fn, cl_mem *buf) {
  cl_uint ones = UINT32_MAX;
  rdn_status s = rdn__scratch(ctx, fn, 0, buf);
  if (s != RDN_OK) return s;
  cl_int e = clEnqueueFillBuffer(ctx->queue, *buf, &ones, sizeof ones, 0, sizeof ones, 0, NULL,
                                 NULL);
  if (e != CL_SUCCESS) return rdn__cl_fail(ctx, fn, "clEnqueueFillBuffer", e);
  return RDN_OK;
}

rdn_status rdn__flag_read(rdn_ctx *ctx, const char *fn, cl_uint *v) {
  cl_int e = clEnqueueReadBuffer(ctx->queue, ctx->reduce->buf, CL_TRUE, 0, sizeof *v, v, 0,
                                 NULL, NULL);
  if (e != CL_SUCCESS) return rdn__cl_fail(ctx, fn, "clEnqueueReadBuffer", e);
  return RDN_OK;
}

/* RDN_REDUCE=tree|chunk overrides the per-device choice (tests use it to run the GPU
** form on a CPU); default: chunks on CPU devices, trees elsewhere. */
int rdn__reduce_chunked(const rdn_ctx *ctx) {
  const char *e = getenv("RDN_REDUCE");
  if (e && !strcmp(e, "tree")) return 0;
  if (e && !strcmp(e, "chunk")) return 1;
  return ctx->info.is_cpu;
}
static int use_tree(const rdn_ctx *ctx) { return !rdn__reduce_chunked(ctx); }

/* Target number of work-items for the chunk form: a few per compute unit. */
static size_t chunk_workers(const rdn_ctx *ctx) {
  size_t w = 4 * (size_t)(ctx->info.compute_units > 0 ? ctx->info.compute_units : 1);
  return w < 8 ? 8 : w > 256 ? 256 : w;
}

size_t rdn__chunk_split(const rdn_ctx *ctx, size_t ns) {
  size_t np = chunk_workers(ctx), maxp = (ns + CHUNK_MIN - 1) / CHUNK_MIN;
  if (np > maxp) np = maxp;
  return np < 1 ? 1 : np;
}

/* Power-of-two work-group size for the tree kernels, within the kernel's limit. */
static rdn_status tree_lws(rdn_ctx *ctx, cl_kernel k, const char *name, size_t *lws) {
  size_t kmax = 0;
  cl_int e = clGetKernelWorkGroupInfo(k, ctx->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof kmax,
                                      &kmax, NULL);
  if (e != CL_SUCCESS) return rdn__cl_fail(ctx, name, "clGetKernelWorkGroupInfo", e);
  size_t l = 1;
  while (l * 2 <= 256 && l * 2 <= kmax) l *= 2;
  *lws = l;
  return RDN_OK;
}

/* op 0: sum, 1: sum of squares.  Partials, then one work-item adds them. */
static rdn_status reduce_all(rdn_ctx *ctx, const char *fn, const rdn_tensor *x, int op,
                             double *out) {
  rdn_status s;
  cl_kernel k, kf;
  cl_mem scr;
  if (!ctx) return RDN_EINVAL;
  if (!out) return rdn__fail(ctx, RDN_EINVAL, "%s: 'out' is NULL", fn);
  *out = 0;
  if ((s = rdn__float_arg(ctx, fn, "x", x)) != RDN_OK) return s;
  int tree = use_tree(ctx);
  const char *name = tree ? (op ? "sumsq_tree" : "sum_tree") : (op ? "sumsq_chunks" : "sum_chunks");
  if ((s = rdn__kernel(ctx, "reduce", x->dtype, NULL, name, &k)) != RDN_OK) return s;
  if ((s = rdn__kernel(ctx, "reduce", x->dtype, NULL, "sum_partials", &kf)) != RDN_OK) return s;
  cl_ulong off = x->offset, ns = rdn_tensor_numel(x) * (x->dtype == RDN_C64 ? 2 : 1);
  cl_ulong poff = PART_SLOT, roff = RES_SLOT;
  size_t gws, lws = 1, np;
  if (tree) {
    if ((s = tree_lws(ctx, k, name, &lws)) != RDN_OK) return s;
    np = (size_t)((ns + lws - 1) / lws);
    if (np > TREE_GROUPS) np = TREE_GROUPS;
    if ((s = rdn__scratch(ctx, fn, np, &scr)) != RDN_OK) return s;
    rdn__karg local = { lws * acc_size(ctx), NULL };
    s = RDN_ARGS(ctx, k, name, RDN_ARG(x->buf), RDN_ARG(off), RDN_ARG(ns), RDN_ARG(scr),
                 RDN_ARG(poff), local);
    gws = np * lws;
  } else {
    /* Contiguous chunks, a multiple of 32 scalars, at least CHUNK_MIN each. */
    np = rdn__chunk_split(ctx, (size_t)ns);
    cl_ulong chunk = rdn__round_up((size_t)((ns + np - 1) / np), 32);
    np = (size_t)((ns + chunk - 1) / chunk);
    if ((s = rdn__scratch(ctx, fn, np, &scr)) != RDN_OK) return s;
    s = RDN_ARGS(ctx, k, name, RDN_ARG(x->buf), RDN_ARG(off), RDN_ARG(ns), RDN_ARG(chunk),
                 RDN_ARG(scr), RDN_ARG(poff));
    gws = np;
  }
  if (s != RDN_OK) return s;
  /* lws 1 for chunks: one work-item per group keeps PoCL from re-vectorising across
  ** work-items (the kernel already works on 8-wide vectors). */
  if ((s = rdn__launch(ctx, k, name, 1, &gws, &lws)) != RDN_OK) return s;
  cl_uint npu = (cl_uint)np;
  if ((s = RDN_ARGS(ctx, kf, "sum_partials", RDN_ARG(scr), RDN_ARG(poff), RDN_ARG(npu),
                    RDN_ARG(roff))) != RDN_OK)
    return s;
  size_t one = 1;
  if ((s = rdn__launch(ctx, kf, "sum_partials", 1, &one, &one)) != RDN_OK) return s;
  unsigned char raw[8];
  cl_int e = clEnqueueReadBuffer(ctx->queue, scr, CL_TRUE, RES_SLOT * acc_size(ctx),
                                 acc_size(ctx), raw, 0, NULL, NULL);
  if (e != CL_SUCCESS) return rdn__cl_fail(ctx, fn, "clEnqueueReadBuffer", e);
  if (acc_size(ctx) == 8) {
    memcpy(out, raw, 8);
  } else {
    float f;
    memcpy(&f, raw, 4);
    *out = f;
  }
  return RDN_OK;
}

rdn_status rdn_sum(rdn_ctx *ctx, const rdn_tensor *x, double *out) {
  return reduce_all(ctx, "rdn_sum", x, 0, out);
}

rdn_status rdn_sumsq(rdn_ctx *ctx, const rdn_tensor *x, double *out) {
  return reduce_all(ctx, "rdn_sumsq", x, 1, out);
}

/* ------------------------------------------------------------------ rows */
/* How the row sums of squares are computed. */
typedef struct {
  int tree;                       /* one work-group per row (GPU form) */
  cl_uint segs;                   /* chunk form: work-items per row (1: direct kernels) */
  cl_ulong seglen;                /* scalars per segment (multiple of 32) */
} row_plan;

static row_plan plan_rows(const rdn_ctx *ctx, size_t rows, size_t rs) {
  row_plan p = { use_tree(ctx), 1, rs };
  size_t target = chunk_workers(ctx);
  if (p.tree || rows >= target || rs < 2 * CHUNK_MIN) return p;
  /* Few long rows: split each row so every core gets work. */
  size_t segs = (target + rows - 1) / rows, maxs = rs / CHUNK_MIN;
  if (segs > maxs) segs = maxs;
  p.seglen = rdn__round_up((rs + segs - 1) / segs, 32);
  p.segs = (cl_uint)((rs + p.seglen - 1) / p.seglen);
  return p;
}

/* Enqueues the per-row (or per-segment) sums of squares into scratch partials. */
static rdn_status row_partials(rdn_ctx *ctx, const char *fn, const rdn_tensor *x, size_t rows,
                               cl_ulong rs, const row_plan *p, cl_mem *scr) {
  rdn_status s;
  cl_kernel k;
  cl_ulong off = x->offset, poff = PART_SLOT, nr = rows;
  const char *name = p->tree ? "row_sumsq_tree" : "row_sumsq_part";
  if ((s = rdn__kernel(ctx, "reduce", x->dtype, NULL, name, &k)) != RDN_OK) return s;
  if ((s = rdn__scratch(ctx, fn, rows * p->segs, scr)) != RDN_OK) return s;
  if (p->tree) {
    size_t lws, gws;
    if ((s = tree_lws(ctx, k, name, &lws)) != RDN_OK) return s;
    rdn__karg local = { lws * acc_size(ctx), NULL };
    if ((s = RDN_ARGS(ctx, k, name, RDN_ARG(x->buf), RDN_ARG(off), RDN_ARG(rs), RDN_ARG(*scr),
                      RDN_ARG(poff), local)) != RDN_OK)
      return s;
    gws = rows * lws;
    return rdn__launch(ctx, k, name, 1, &gws, &lws);
  }
  if ((s = RDN_ARGS(ctx, k, name, RDN_ARG(x->buf), RDN_ARG(off), RDN_ARG(nr), RDN_ARG(rs),
                    RDN_ARG(p->segs), RDN_ARG(p->seglen), RDN_ARG(*scr), RDN_ARG(poff)))
      != RDN_OK)
    return s;
  size_t gws = rows * p->segs, lws = 1;
  return rdn__launch(ctx, k, name, 1, &gws, &lws);
}

static rdn_dtype real_of(rdn_dtype dt) { return dt == RDN_F64 ? RDN_F64 : RDN_F32; }

rdn_status rdn_row_norms(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x) {
  static const char *fn = "rdn_row_norms";
  char a[96], b[96];
  rdn_status s;
  cl_kernel k;
  cl_mem scr;
  if (!ctx) return RDN_EINVAL;
  if ((s = rdn__float_arg(ctx, fn, "x", x)) != RDN_OK) return s;
  if ((s = rdn__tensor_arg(ctx, fn, "out", out)) != RDN_OK) return s;
  size_t rows = x->shape[0], cols = rdn__flat_cols(x);
  if (out->dtype != real_of(x->dtype))
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'out' is %s, want %s for x of %s", fn,
                     rdn_dtype_name(out->dtype), rdn_dtype_name(real_of(x->dtype)),
                     rdn_dtype_name(x->dtype));
  if (rdn_tensor_numel(out) != rows)
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: out is %s, want %zu values for x %s",
                     fn, rdn_tensor_shape_str(out, a, sizeof a), rows,
                     rdn_tensor_shape_str(x, b, sizeof b));
  cl_ulong rs = cols * (x->dtype == RDN_C64 ? 2 : 1), off = x->offset, oo = out->offset;
  cl_ulong nr = rows, poff = PART_SLOT;
  row_plan p = plan_rows(ctx, rows, rs);
  size_t gws = rows;
  if (!p.tree && p.segs == 1) {
    if ((s = rdn__kernel(ctx, "reduce", x->dtype, NULL, "row_norms_direct", &k)) != RDN_OK)
      return s;
    if ((s = RDN_ARGS(ctx, k, "row_norms_direct", RDN_ARG(x->buf), RDN_ARG(off), RDN_ARG(nr),
                      RDN_ARG(rs), RDN_TARG(out, oo))) != RDN_OK)
      return s;
    return rdn__launch(ctx, k, "row_norms_direct", 1, &gws, NULL);
  }
  if ((s = row_partials(ctx, fn, x, rows, rs, &p, &scr)) != RDN_OK) return s;
  if ((s = rdn__kernel(ctx, "reduce", x->dtype, NULL, "row_norms_fin", &k)) != RDN_OK) return s;
  cl_uint segs = p.tree ? 1 : p.segs;
  if ((s = RDN_ARGS(ctx, k, "row_norms_fin", RDN_ARG(scr), RDN_ARG(poff), RDN_ARG(segs),
                    RDN_ARG(nr), RDN_TARG(out, oo))) != RDN_OK)
    return s;
  return rdn__launch(ctx, k, "row_norms_fin", 1, &gws, NULL);
}

rdn_status rdn_normalize_rows(rdn_ctx *ctx, rdn_tensor *x, double clamp) {
  static const char *fn = "rdn_normalize_rows";
  rdn_status s;
  cl_kernel k;
  cl_mem scr;
  if (!ctx) return RDN_EINVAL;
  if ((s = rdn__float_arg(ctx, fn, "x", x)) != RDN_OK) return s;
  if (!(clamp > 0) || clamp > 1e300)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'clamp' must be positive and finite: %g", fn, clamp);
  size_t rows = x->shape[0], cols = rdn__flat_cols(x);
  cl_ulong rs = cols * (x->dtype == RDN_C64 ? 2 : 1), off = x->offset, nr = rows;
  cl_ulong poff = PART_SLOT;
  cl_double cd = clamp;
  cl_float cf = (cl_float)clamp;
  rdn__karg carg = acc_size(ctx) == 8 ? RDN_ARG(cd) : RDN_ARG(cf);
  row_plan p = plan_rows(ctx, rows, rs);
  if (!p.tree && p.segs == 1) {
    if ((s = rdn__kernel(ctx, "reduce", x->dtype, NULL, "normalize_direct", &k)) != RDN_OK)
      return s;
    if ((s = RDN_ARGS(ctx, k, "normalize_direct", RDN_ARG(x->buf), RDN_ARG(off), RDN_ARG(nr),
                      RDN_ARG(rs), carg)) != RDN_OK)
      return s;
    size_t gws = rows;
    return rdn__launch(ctx, k, "normalize_direct", 1, &gws, NULL);
  }
  if ((s = row_partials(ctx, fn, x, rows, rs, &p, &scr)) != RDN_OK) return s;
  if (p.tree) {                   /* partials are per row; scale each row as one span */
    p.segs = 1;
    p.seglen = rs;
  }
  if ((s = rdn__kernel(ctx, "reduce", x->dtype, NULL, "normalize_seg", &k)) != RDN_OK) return s;
  if ((s = RDN_ARGS(ctx, k, "normalize_seg", RDN_ARG(x->buf), RDN_ARG(off), RDN_ARG(nr),
                    RDN_ARG(rs), RDN_ARG(p.segs), RDN_ARG(p.seglen), RDN_ARG(scr), RDN_ARG(poff),
                    carg)) != RDN_OK)
    return s;
  size_t gws = rows * p.segs;
  return rdn__launch(ctx, k, "normalize_seg", 1, &gws, NULL);
}

rdn_status rdn_argmax_rows(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x) {
  static const char *fn = "rdn_argmax_rows";
  char a[96], b[96];
  rdn_status s;
  cl_kernel k;
  if (!ctx) return RDN_EINVAL;
  if ((s = rdn__tensor_arg(ctx, fn, "x", x)) != RDN_OK) return s;
  if ((s = rdn__tensor_arg(ctx, fn, "out", out)) != RDN_OK) return s;
  if (!rdn__is_real(x->dtype))
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'x' is %s, want f32 or f64", fn,
                     rdn_dtype_name(x->dtype));
  if (out->dtype != RDN_I32)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'out' is %s, want i32", fn,
                     rdn_dtype_name(out->dtype));
  size_t rows = x->shape[0], cols = rdn__flat_cols(x);
  if (rdn_tensor_numel(out) != rows)
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: out is %s, want %zu values for x %s",
                     fn, rdn_tensor_shape_str(out, a, sizeof a), rows,
                     rdn_tensor_shape_str(x, b, sizeof b));
  if (cols > (size_t)INT32_MAX)
    return rdn__fail(ctx, RDN_EINVAL, "%s: rows of %zu elements do not fit an i32 index", fn,
                     cols);
  if ((s = rdn__kernel(ctx, "reduce", x->dtype, NULL, "argmax_rows", &k)) != RDN_OK) return s;
  cl_ulong off = x->offset, oo = out->offset, nr = rows, nc = cols;
  if ((s = RDN_ARGS(ctx, k, "argmax_rows", RDN_ARG(x->buf), RDN_ARG(off), RDN_ARG(nr),
                    RDN_ARG(nc), RDN_TARG(out, oo))) != RDN_OK)
    return s;
  size_t gws = rows;
  return rdn__launch(ctx, k, "argmax_rows", 1, &gws, NULL);
}

rdn_status rdn_gather_rows(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x,
                           const rdn_tensor *idx) {
  static const char *fn = "rdn_gather_rows";
  char a[96], b[96];
  rdn_status s;
  cl_kernel k;
  cl_mem flag;
  cl_uint bad;
  if (!ctx) return RDN_EINVAL;
  if ((s = rdn__tensor_arg(ctx, fn, "out", out)) != RDN_OK) return s;
  if ((s = rdn__tensor_arg(ctx, fn, "x", x)) != RDN_OK) return s;
  if ((s = rdn__tensor_arg(ctx, fn, "idx", idx)) != RDN_OK) return s;
  if (idx->dtype != RDN_I32)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'idx' is %s, want i32", fn,
                     rdn_dtype_name(idx->dtype));
  if (out->dtype != x->dtype)
    return rdn__fail(ctx, RDN_EINVAL, "%s: dtype mismatch: out is %s, x is %s", fn,
                     rdn_dtype_name(out->dtype), rdn_dtype_name(x->dtype));
  size_t n = rdn_tensor_numel(idx), cols = rdn__flat_cols(x), nrows = x->shape[0];
  if (out->shape[0] != n || rdn__flat_cols(out) != cols)
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: out is %s, want %zu rows of %zu "
                     "(idx has %zu, x is %s)", fn, rdn_tensor_shape_str(out, a, sizeof a), n,
                     cols, n, rdn_tensor_shape_str(x, b, sizeof b));
  if (n >= UINT32_MAX)
    return rdn__fail(ctx, RDN_EINVAL, "%s: too many indices: %zu", fn, n);
  if (out->buf == x->buf && out->offset < x->offset + rdn_tensor_numel(x) &&
      x->offset < out->offset + rdn_tensor_numel(out))
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'out' overlaps 'x' (offsets %zu and %zu)", fn,
                     out->offset, x->offset);
  /* Copied as 32-bit words, so one kernel serves every dtype. */
  cl_ulong wpe = rdn_dtype_size(x->dtype) / 4, rw = cols * wpe;
  cl_ulong oo = out->offset * wpe, xo = x->offset * wpe, io = idx->offset, nn = n, fo = 0;
  cl_long nr = (cl_long)nrows;
  if ((s = rdn__kernel(ctx, "reduce", RDN_F32, NULL, "gather_rows", &k)) != RDN_OK) return s;
  if ((s = rdn__flag_reset(ctx, fn, &flag)) != RDN_OK) return s;
  if ((s = RDN_ARGS(ctx, k, "gather_rows", RDN_TARG(out, oo), RDN_ARG(x->buf), RDN_ARG(xo),
                    RDN_ARG(rw), RDN_TARG(idx, io), RDN_ARG(nn), RDN_ARG(nr), RDN_ARG(flag),
                    RDN_ARG(fo))) != RDN_OK)
    return s;
  size_t gws = n;
  if ((s = rdn__launch(ctx, k, "gather_rows", 1, &gws, NULL)) != RDN_OK) return s;
  if ((s = rdn__flag_read(ctx, fn, &bad)) != RDN_OK) return s;
  if (bad == UINT32_MAX) return RDN_OK;
  cl_int v = 0;
  cl_int e = clEnqueueReadBuffer(ctx->queue, idx->buf, CL_TRUE, (idx->offset + bad) * 4, 4, &v,
                                 0, NULL, NULL);
  if (e != CL_SUCCESS) return rdn__cl_fail(ctx, fn, "clEnqueueReadBuffer", e);
  return rdn__fail(ctx, RDN_EINVAL, "%s: index out of range: idx[%u] = %d, x has %zu rows", fn,
                   bad, (int)v, nrows);
}
