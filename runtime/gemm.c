/*
** gemm.c -- rdn_gemm: C = alpha op(A) op(B) + beta C, 2-D or strided-batched 3-D, with a
** per-device provider: own packed register-tile kernels (kernels/gemm.cl; the default on
** CPU devices, where CLBlast is slow) or CLBlast (the default on GPUs when compiled in).
*/
#include "rdn_impl.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef RDN_HAVE_CLBLAST
#include <clblast_c.h>
#endif

/* Packed scratch larger than this is split over the batch (never below one matrix). */
#define SCRATCH_CAP ((size_t)256 << 20)
#define PK 16                  /* k values per pack work-item (-D PK) */
#define KC 1024                /* k values per tile launch (shorter sums, B panel in L2) */

struct rdn_gemm_state {
  rdn_gemm_provider provider;  /* set by rdn_gemm_provider_set; AUTO: env / device */
  cl_mem ap, bp;               /* packed op(A) / op(B) panels, grown on demand and kept
                                  (reuse relies on the in-order queue) */
  size_t ap_bytes, bp_bytes;
};

/* One GEMM after validation: C[b] (m x n) = alpha op(A[b]) op(B[b]) + beta C[b].
** Strides are in elements between batch items; 0 broadcasts a 2-D operand. */
typedef struct {
  rdn_dtype dt;
  int ta, tb;                  /* 0 none, 1 T, 2 H (H becomes T for real dtypes) */
  size_t m, n, k, batch;
  size_t lda, ldb, ldc, sa, sb, sc;
  size_t aoff, boff, coff;
  cl_mem a, b, c;
  rdn_tensor *ct;              /* c itself (CLBlast path clears it when beta == 0) */
  double alpha, beta;
} gemm_job;

void rdn__gemm_free(rdn_ctx *ctx) {
  rdn_gemm_state *g = ctx ? ctx->gemm : NULL;
  if (!g) return;
  if (g->ap) clReleaseMemObject(g->ap);
  if (g->bp) clReleaseMemObject(g->bp);
  free(g);
  ctx->gemm = NULL;
}

static int have_clblast(void) {
#ifdef RDN_HAVE_CLBLAST
  return 1;
#else
  return 0;
#endif
}

/* The provider chosen by RDN_GEMM, else by the device; *bad gets an unknown value. */
static rdn_gemm_provider env_provider(const rdn_ctx *ctx, const char **bad) {
  const char *e = getenv("RDN_GEMM");
  *bad = NULL;
  if (e && *e) {
    if (!strcmp(e, "own")) return RDN_GEMM_OWN;
    if (!strcmp(e, "clblast")) return RDN_GEMM_CLBLAST;
    *bad = e;
  }
  return ctx->info.is_cpu || !have_clblast() ? RDN_GEMM_OWN : RDN_GEMM_CLBLAST;
}

rdn_gemm_provider rdn_gemm_provider_get(const rdn_ctx *ctx) {
  const char *bad;
  if (!ctx) return RDN_GEMM_AUTO;
  if (ctx->gemm && ctx->gemm->provider != RDN_GEMM_AUTO) return ctx->gemm->provider;
  return env_provider(ctx, &bad);
}

static rdn_status state(rdn_ctx *ctx, const char *fn) {
  if (!ctx->gemm && !(ctx->gemm = calloc(1, sizeof *ctx->gemm)))
    return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
  return RDN_OK;
}

rdn_status rdn_gemm_provider_set(rdn_ctx *ctx, rdn_gemm_provider p) {
  rdn_status s;
  if (!ctx) return RDN_EINVAL;
  if ((unsigned)p > RDN_GEMM_CLBLAST)
    return rdn__fail(ctx, RDN_EINVAL, "rdn_gemm_provider_set: bad provider: %d (0 auto, "
                     "1 own, 2 clblast)", (int)p);
  if (p == RDN_GEMM_CLBLAST && !have_clblast())
    return rdn__fail(ctx, RDN_EUNSUPPORTED, "rdn_gemm_provider_set: CLBlast not available "
                     "in this build");
  if ((s = state(ctx, "rdn_gemm_provider_set")) != RDN_OK) return s;
  ctx->gemm->provider = p;
  return RDN_OK;
}

/* ------------------------------------------------------------- validation */

static const char *tname(int t) { return t == 0 ? "n" : t == 1 ? "t" : "h"; }

static rdn_status check_tensor(rdn_ctx *ctx, const rdn_tensor *t, const char *nm) {
  char sh[96];
  if (!t) return rdn__fail(ctx, RDN_EINVAL, "rdn_gemm: '%s' is NULL", nm);
  if (t->ctx != ctx)
    return rdn__fail(ctx, RDN_EINVAL, "rdn_gemm: '%s' belongs to another context", nm);
  if (t->ndim != 2 && t->ndim != 3)
    return rdn__fail(ctx, RDN_EINVAL, "rdn_gemm: '%s' must be 2-D or 3-D, got %s", nm,
                     rdn_tensor_shape_str(t, sh, sizeof sh));
  return RDN_OK;
}

/* 1 when the element ranges of x and y in one buffer overlap. */
static int overlaps(const rdn_tensor *x, const rdn_tensor *y) {
  size_t xe = x->offset + rdn_tensor_numel(x), ye = y->offset + rdn_tensor_numel(y);
  return x->buf == y->buf && x->offset < ye && y->offset < xe;
}

static rdn_status validate(rdn_ctx *ctx, rdn_trans ta, rdn_trans tb, const rdn_tensor *a,
                           const rdn_tensor *b, rdn_tensor *c, gemm_job *j) {
  char sa[96], sb[96], sc[96];
  rdn_status s;
  if ((unsigned)ta > RDN_CONJTRANS || (unsigned)tb > RDN_CONJTRANS)
    return rdn__fail(ctx, RDN_EINVAL, "rdn_gemm: bad transpose flag for '%s': %d (0, 1 or 2)",
                     (unsigned)ta > RDN_CONJTRANS ? "ta" : "tb",
                     (unsigned)ta > RDN_CONJTRANS ? (int)ta : (int)tb);
  if ((s = check_tensor(ctx, a, "a")) || (s = check_tensor(ctx, b, "b")) ||
      (s = check_tensor(ctx, c, "c")))
    return s;
  if (a->dtype != b->dtype || a->dtype != c->dtype)
    return rdn__fail(ctx, RDN_EINVAL, "rdn_gemm: dtype mismatch: a is %s, b is %s, c is %s",
                     rdn_dtype_name(a->dtype), rdn_dtype_name(b->dtype),
                     rdn_dtype_name(c->dtype));
  if (!rdn__is_float(c->dtype))
    return rdn__fail(ctx, RDN_EINVAL, "rdn_gemm: unsupported dtype %s (f32, f64 or c64)",
                     rdn_dtype_name(c->dtype));
  if ((s = rdn__check_dtype(ctx, "rdn_gemm", "c", c->dtype)) != RDN_OK) return s;
  rdn_tensor_shape_str(a, sa, sizeof sa);
  rdn_tensor_shape_str(b, sb, sizeof sb);
  rdn_tensor_shape_str(c, sc, sizeof sc);
  if ((a->ndim == 3 && (c->ndim != 3 || a->shape[0] != c->shape[0])) ||
      (b->ndim == 3 && (c->ndim != 3 || b->shape[0] != c->shape[0])))
    return rdn__fail(ctx, RDN_EINVAL, "rdn_gemm: batch mismatch: a is %s, b is %s, c is %s "
                     "(a 3-D operand needs a 3-D c with the same batch)", sa, sb, sc);
  int real = rdn__is_real(c->dtype);
  j->dt = c->dtype;
  j->ta = real && ta == RDN_CONJTRANS ? 1 : (int)ta;
  j->tb = real && tb == RDN_CONJTRANS ? 1 : (int)tb;
  size_t ar = a->shape[a->ndim - 2], ac = a->shape[a->ndim - 1];
  size_t br = b->shape[b->ndim - 2], bc = b->shape[b->ndim - 1];
  size_t m = ta ? ac : ar, ka = ta ? ar : ac, kb = tb ? bc : br, n = tb ? br : bc;
  if (ka != kb)
    return rdn__fail(ctx, RDN_EINVAL, "rdn_gemm: shape mismatch: a is %s, b is %s (op(a) "
                     "has %zu columns, op(b) has %zu rows; ta=%s, tb=%s)", sa, sb, ka, kb,
                     tname((int)ta), tname((int)tb));
  if (c->shape[c->ndim - 2] != m || c->shape[c->ndim - 1] != n)
    return rdn__fail(ctx, RDN_EINVAL, "rdn_gemm: shape mismatch: c is %s, op(a) op(b) is "
                     "[%zu x %zu] (a is %s, b is %s; ta=%s, tb=%s)", sc, m, n, sa, sb,
                     tname((int)ta), tname((int)tb));
  if (overlaps(c, a) || overlaps(c, b))
    return rdn__fail(ctx, RDN_EINVAL, "rdn_gemm: c %s shares storage with %s %s (output "
                     "must not alias an input)", sc, overlaps(c, a) ? "a" : "b",
                     overlaps(c, a) ? sa : sb);
  j->m = m; j->n = n; j->k = ka;
  j->batch = c->ndim == 3 ? c->shape[0] : 1;
  j->lda = ac; j->ldb = bc; j->ldc = n;
  j->sa = a->ndim == 3 ? ar * ac : 0;
  j->sb = b->ndim == 3 ? br * bc : 0;
  j->sc = m * n;
  j->a = a->buf; j->b = b->buf; j->c = c->buf; j->ct = c;
  j->aoff = a->offset; j->boff = b->offset; j->coff = c->offset;
  /* A batch of non-transposed A against one shared B is a single taller GEMM. */
  if (j->batch > 1 && j->sa && !j->sb && !j->ta) {
    j->m *= j->batch;
    j->batch = 1;
    j->sa = j->sc = 0;
  }
  return RDN_OK;
}

/* ------------------------------------------------------------ own kernels */

static rdn_status ensure(rdn_ctx *ctx, cl_mem *buf, size_t *cap, size_t bytes) {
  cl_int e;
  if (*buf && *cap >= bytes) return RDN_OK;
  if (*buf) clReleaseMemObject(*buf);
  *buf = NULL;
  *cap = 0;
  *buf = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE, bytes, NULL, &e);
  if (e != CL_SUCCESS) {
    *buf = NULL;
    return rdn__fail(ctx, e == CL_INVALID_BUFFER_SIZE || e == CL_MEM_OBJECT_ALLOCATION_FAILURE
                     || e == CL_OUT_OF_RESOURCES ? RDN_EDEVMEM : RDN_ECL,
                     "rdn_gemm: clCreateBuffer failed: %s (%d) for %.2f MiB of packing scratch "
                     "on '%s'", rdn__cl_errname(e), (int)e, bytes / 1048576.0, ctx->info.name);
  }
  *cap = bytes;
  return RDN_OK;
}

/* Tile shape for a job: MR rows x (VW * NV) columns per work-item, kept in MR * NV
** vector registers (complex: three times that).  MR must be a multiple of 8 (pack_a
** copies eight elements at a time); narrow C gets narrow tiles so less of each tile is padding. */
typedef struct { int mr, vw, nv; } tile;

static tile pick_tile(const gemm_job *j) {
  tile t;
  if (j->dt == RDN_C64) {
    t.mr = 8; t.vw = j->n <= 8 ? 8 : 16; t.nv = 1;
  } else if (j->dt == RDN_F64) {
    t.mr = 8; t.vw = 8; t.nv = j->n <= 8 ? 1 : 2;
  } else {
    t.mr = 8; t.vw = j->n <= 8 ? 8 : 16; t.nv = j->n <= 16 ? 1 : 2;
  }
  return t;
}

static rdn_status run_own(rdn_ctx *ctx, const gemm_job *j) {
  rdn_status s;
  cl_kernel kpa, kpb, kt;
  char opts[128];
  tile t = pick_tile(j);
  size_t nr = (size_t)t.vw * (size_t)t.nv, es = rdn_dtype_size(j->dt);
  if (j->dt == RDN_C64) es = 12;   /* packed complex: re, im and re + im planes */
  cl_ulong np = (j->m + (size_t)t.mr - 1) / (size_t)t.mr, nq = (j->n + nr - 1) / nr;
  snprintf(opts, sizeof opts, "-D MR=%d -D VW=%d -D NV=%d -D PK=%d", t.mr, t.vw, t.nv, PK);
  if ((s = rdn__kernel(ctx, "gemm", j->dt, opts, "pack_a", &kpa)) ||
      (s = rdn__kernel(ctx, "gemm", j->dt, opts, "pack_b", &kpb)) ||
      (s = rdn__kernel(ctx, "gemm", j->dt, opts, "gemm_tile", &kt)))
    return s;
  /* Per batch item: packed A and B bytes; chunk the batch to bound the scratch. */
  size_t pa1 = (size_t)np * (size_t)t.mr * j->k * es, pb1 = (size_t)nq * nr * j->k * es;
  size_t per = (j->sa ? pa1 : 0) + (j->sb ? pb1 : 0), chunk = j->batch;
  if (per && per * chunk > SCRATCH_CAP) chunk = SCRATCH_CAP / per ? SCRATCH_CAP / per : 1;
  rdn_gemm_state *g = ctx->gemm;
  size_t abytes = pa1 * (j->sa ? chunk : 1), bbytes = pb1 * (j->sb ? chunk : 1);
  if ((s = ensure(ctx, &g->ap, &g->ap_bytes, abytes)) ||
      (s = ensure(ctx, &g->bp, &g->bp_bytes, bbytes)))
    return s;
  cl_int ta = j->ta, tb = j->tb;
  cl_ulong m = j->m, n = j->n, kk = j->k, lda = j->lda, ldb = j->ldb, ldc = j->ldc;
  cl_ulong sa = j->sa, sb = j->sb, sc = j->sc, sap = j->sa ? np : 0, sbp = j->sb ? nq : 0;
  cl_float af = (cl_float)j->alpha;
  cl_double ad = j->alpha;
  /* Few fixed local sizes (kernels check bounds): PoCL compiles one work-group function
  ** per local size.  Groups of 4 tiles share a B panel in cache; with few tiles, one tile
  ** per group keeps every core busy. */
  static const size_t plw[3] = { 4, 1, 1 }, lw4[3] = { 4, 1, 1 }, lw1[3] = { 1, 1, 1 };
  const size_t *lw = (size_t)np * (size_t)nq * j->batch >= 64 ? lw4 : lw1;
  for (size_t b0 = 0; b0 < j->batch; b0 += chunk) {
    size_t nb = j->batch - b0 < chunk ? j->batch - b0 : chunk;
    cl_ulong aoff = j->aoff + b0 * j->sa, boff = j->boff + b0 * j->sb;
    cl_ulong coff = j->coff + b0 * j->sc;
    /* a broadcast operand is packed once, on the first chunk */
    if (j->sa || b0 == 0) {
      size_t gw[3] = { np, (j->k + PK - 1) / PK, j->sa ? nb : 1 };
      if ((s = RDN_ARGS(ctx, kpa, "gemm_pack_a", RDN_ARG(j->a), RDN_ARG(aoff), RDN_ARG(sa),
                        RDN_ARG(m), RDN_ARG(kk), RDN_ARG(lda), RDN_ARG(ta), RDN_ARG(g->ap),
                        RDN_ARG(np))) ||
          (s = rdn__launch(ctx, kpa, "gemm_pack_a", 3, gw, plw)))
        return s;
    }
    if (j->sb || b0 == 0) {
      size_t gw[3] = { nq, (j->k + PK - 1) / PK, j->sb ? nb : 1 };
      if ((s = RDN_ARGS(ctx, kpb, "gemm_pack_b", RDN_ARG(j->b), RDN_ARG(boff), RDN_ARG(sb),
                        RDN_ARG(n), RDN_ARG(kk), RDN_ARG(ldb), RDN_ARG(tb), RDN_ARG(g->bp),
                        RDN_ARG(nq))) ||
          (s = rdn__launch(ctx, kpb, "gemm_pack_b", 3, gw, plw)))
        return s;
    }
    /* K in blocks, so that the B panel a work-group shares stays in cache while A
    ** panels stream past it; the blocks after the first add to C. */
    size_t gw[3] = { np, nq, nb }, nkb = (j->k + KC - 1) / KC;
    size_t kc = (j->k + nkb - 1) / nkb;
    for (size_t k0 = 0; k0 < j->k; k0 += kc) {
      cl_ulong ko = k0, kn = j->k - k0 < kc ? j->k - k0 : kc;
      cl_double bd = k0 ? 1.0 : j->beta;
      cl_float bf = (cl_float)bd;
      s = RDN_ARGS(ctx, kt, "gemm_tile", RDN_ARG(g->ap), RDN_ARG(sap), RDN_ARG(g->bp),
                   RDN_ARG(sbp), RDN_ARG(j->c), RDN_ARG(coff), RDN_ARG(sc), RDN_ARG(m),
                   RDN_ARG(n), RDN_ARG(kk), RDN_ARG(ko), RDN_ARG(kn), RDN_ARG(ldc), RDN_ARG(np),
                   RDN_ARG(nq));
      if (s) return s;
      cl_int e = j->dt == RDN_F64 ? clSetKernelArg(kt, 15, sizeof ad, &ad) |
                                    clSetKernelArg(kt, 16, sizeof bd, &bd)
                                  : clSetKernelArg(kt, 15, sizeof af, &af) |
                                    clSetKernelArg(kt, 16, sizeof bf, &bf);
      if (e != CL_SUCCESS)
        return rdn__fail(ctx, RDN_ECL, "kernel 'gemm_tile': clSetKernelArg alpha/beta failed");
      if ((s = rdn__launch(ctx, kt, "gemm_tile", 3, gw, lw))) return s;
    }
  }
  return RDN_OK;
}

/* ---------------------------------------------------------------- CLBlast */

#ifdef RDN_HAVE_CLBLAST
static const char *clblast_name(CLBlastStatusCode c) {
  switch (c) {
#define N(x) case x: return #x;
    N(CLBlastSuccess) N(CLBlastOpenCLCompilerNotAvailable) N(CLBlastTempBufferAllocFailure)
    N(CLBlastOpenCLOutOfResources) N(CLBlastOpenCLOutOfHostMemory)
    N(CLBlastOpenCLBuildProgramFailure) N(CLBlastInvalidValue) N(CLBlastInvalidCommandQueue)
    N(CLBlastInvalidMemObject) N(CLBlastInvalidBinary) N(CLBlastInvalidBuildOptions)
    N(CLBlastInvalidProgram) N(CLBlastInvalidProgramExecutable) N(CLBlastInvalidKernelName)
    N(CLBlastInvalidKernelDefinition) N(CLBlastInvalidKernel) N(CLBlastInvalidArgIndex)
    N(CLBlastInvalidArgValue) N(CLBlastInvalidArgSize) N(CLBlastInvalidKernelArgs)
    N(CLBlastInvalidLocalNumDimensions) N(CLBlastInvalidLocalThreadsTotal)
    N(CLBlastInvalidLocalThreadsDim) N(CLBlastInvalidGlobalOffset)
    N(CLBlastInvalidEventWaitList) N(CLBlastInvalidEvent) N(CLBlastInvalidOperation)
    N(CLBlastInvalidBufferSize) N(CLBlastInvalidGlobalWorkSize) N(CLBlastNotImplemented)
    N(CLBlastInvalidMatrixA) N(CLBlastInvalidMatrixB) N(CLBlastInvalidMatrixC)
    N(CLBlastInvalidVectorX) N(CLBlastInvalidVectorY) N(CLBlastInvalidDimension)
    N(CLBlastInvalidLeadDimA) N(CLBlastInvalidLeadDimB) N(CLBlastInvalidLeadDimC)
    N(CLBlastInvalidIncrementX) N(CLBlastInvalidIncrementY) N(CLBlastInsufficientMemoryA)
    N(CLBlastInsufficientMemoryB) N(CLBlastInsufficientMemoryC) N(CLBlastInsufficientMemoryX)
    N(CLBlastInsufficientMemoryY) N(CLBlastInsufficientMemoryTemp) N(CLBlastInvalidBatchCount)
    N(CLBlastInvalidOverrideKernel) N(CLBlastMissingOverrideParameter)
    N(CLBlastInvalidLocalMemUsage) N(CLBlastNoHalfPrecision) N(CLBlastNoDoublePrecision)
    N(CLBlastInvalidVectorScalar) N(CLBlastInsufficientMemoryScalar) N(CLBlastDatabaseError)
    N(CLBlastUnknownError) N(CLBlastUnexpectedError)
#undef N
    default: return "CLBlastUnknownStatus";
  }
}

static CLBlastTranspose cb_trans(int t) {
  return t == 0 ? CLBlastTransposeNo : t == 1 ? CLBlastTransposeYes
                                              : CLBlastTransposeConjugate;
}

/* One CLBlast call: the whole strided batch, or batch item `b` when `one` is set. */
static CLBlastStatusCode cb_call(rdn_ctx *ctx, const gemm_job *j, int one, size_t b,
                                 cl_event *ev) {
  CLBlastLayout L = CLBlastLayoutRowMajor;
  CLBlastTranspose A = cb_trans(j->ta), B = cb_trans(j->tb);
  size_t ao = j->aoff + b * j->sa, bo = j->boff + b * j->sb, co = j->coff + b * j->sc;
  cl_command_queue *q = &ctx->queue;
  cl_float2 ac = { { (cl_float)j->alpha, 0 } }, bc = { { (cl_float)j->beta, 0 } };
  if (one || j->batch == 1) {
    switch (j->dt) {
      case RDN_F32:
        return CLBlastSgemm(L, A, B, j->m, j->n, j->k, (float)j->alpha, j->a, ao, j->lda, j->b,
                            bo, j->ldb, (float)j->beta, j->c, co, j->ldc, q, ev);
      case RDN_F64:
        return CLBlastDgemm(L, A, B, j->m, j->n, j->k, j->alpha, j->a, ao, j->lda, j->b, bo,
                            j->ldb, j->beta, j->c, co, j->ldc, q, ev);
      default:
        return CLBlastCgemm(L, A, B, j->m, j->n, j->k, ac, j->a, ao, j->lda, j->b, bo, j->ldb,
                            bc, j->c, co, j->ldc, q, ev);
    }
  }
  switch (j->dt) {
    case RDN_F32:
      return CLBlastSgemmStridedBatched(L, A, B, j->m, j->n, j->k, (float)j->alpha, j->a, ao,
                                        j->lda, j->sa, j->b, bo, j->ldb, j->sb,
                                        (float)j->beta, j->c, co, j->ldc, j->sc, j->batch, q,
                                        ev);
    case RDN_F64:
      return CLBlastDgemmStridedBatched(L, A, B, j->m, j->n, j->k, j->alpha, j->a, ao, j->lda,
                                        j->sa, j->b, bo, j->ldb, j->sb, j->beta, j->c, co,
                                        j->ldc, j->sc, j->batch, q, ev);
    default:
      return CLBlastCgemmStridedBatched(L, A, B, j->m, j->n, j->k, ac, j->a, ao, j->lda,
                                        j->sa, j->b, bo, j->ldb, j->sb, bc, j->c, co, j->ldc,
                                        j->sc, j->batch, q, ev);
  }
}

static rdn_status run_clblast(rdn_ctx *ctx, const gemm_job *j) {
  rdn_status s;
  /* beta == 0 must overwrite NaN in C: clear C first rather than trust beta * NaN. */
  if (j->beta == 0) {
    if ((s = rdn_tensor_fill(j->ct, 0.0)) != RDN_OK) return s;
  }
  int want = rdn__profile_want(ctx);
  for (size_t b = 0; b < j->batch; b++) {
    cl_event ev = NULL;
    /* CLBlast's strided batch needs nonzero strides: a broadcast operand runs per item */
    int one = j->batch > 1 && (!j->sa || !j->sb);
    CLBlastStatusCode st = cb_call(ctx, j, one, b, want ? &ev : NULL);
    if (st != CLBlastSuccess)
      return rdn__fail(ctx, st == CLBlastTempBufferAllocFailure ? RDN_EDEVMEM : RDN_ECL,
                       "rdn_gemm: CLBlast: %s (%d)", clblast_name(st), (int)st);
    if (ev) rdn__profile_event(ctx, "clblast_gemm", ev);
    if (!one) break;
  }
  return RDN_OK;
}
#endif

/* ------------------------------------------------------------------ entry */

/* Runs a validated job on the context's provider (RDN_GEMM env when AUTO).  A raw job
** (rdn__gemm_strided: no tensor for C) gets a view over the span of C for CLBlast, which
** clears it when beta == 0. */
static rdn_status dispatch(rdn_ctx *ctx, gemm_job *j) {
  const char *bad;
  rdn_gemm_provider p = ctx->gemm->provider;
  if (p == RDN_GEMM_AUTO) {
    p = env_provider(ctx, &bad);
    if (bad)
      return rdn__fail(ctx, RDN_EINVAL, "rdn_gemm: bad RDN_GEMM value '%s' (own or clblast)",
                       bad);
  }
  if (p != RDN_GEMM_CLBLAST) return run_own(ctx, j);
#ifdef RDN_HAVE_CLBLAST
  if (j->ct) return run_clblast(ctx, j);
  size_t span = (j->batch - 1) * j->sc + (j->m - 1) * j->ldc + j->n;
  rdn_status s = rdn__tensor_over(ctx, j->c, j->coff, j->dt, 1, &span, &j->ct);
  if (s == RDN_OK) s = run_clblast(ctx, j);
  rdn_tensor_release(j->ct);
  j->ct = NULL;
  return s;
#else
  return rdn__fail(ctx, RDN_EUNSUPPORTED, "rdn_gemm: CLBlast not available in this build "
                   "(RDN_GEMM=clblast)");
#endif
}

rdn_status rdn_gemm(rdn_ctx *ctx, rdn_trans ta, rdn_trans tb, double alpha,
                    const rdn_tensor *a, const rdn_tensor *b, double beta, rdn_tensor *c) {
  gemm_job j;
  rdn_status s;
  if (!ctx) return RDN_EINVAL;
  if ((s = validate(ctx, ta, tb, a, b, c, &j)) != RDN_OK) return s;
  if ((s = state(ctx, "rdn_gemm")) != RDN_OK) return s;
  j.alpha = alpha;
  j.beta = beta;
  return dispatch(ctx, &j);
}

/* ------------------------------------------------- strided batch, raw buffers */

/* Private entry (rdn_impl.h, strided-batch block): no tensor views, so a batch item may be
** a row range of a larger matrix (spectral.c: rows [s0, s0 + mc) of every frequency). */
rdn_status rdn__gemm_strided(rdn_ctx *ctx, const rdn__gemm_raw *r, double alpha, double beta) {
  rdn_status s;
  if (!r || !r->m || !r->n || !r->k || !r->batch || (r->dt != RDN_F32 && r->dt != RDN_F64 &&
                                                     r->dt != RDN_C64))
    return rdn__fail(ctx, RDN_EINVAL, "rdn__gemm_strided: bad job (empty or dtype %s)",
                     r ? rdn_dtype_name(r->dt) : "-");
  if ((s = state(ctx, "rdn_gemm")) != RDN_OK) return s;
  gemm_job j;
  memset(&j, 0, sizeof j);
  j.dt = r->dt;
  j.ta = rdn__is_real(r->dt) && r->ta == 2 ? 1 : r->ta;
  j.tb = rdn__is_real(r->dt) && r->tb == 2 ? 1 : r->tb;
  j.m = r->m; j.n = r->n; j.k = r->k; j.batch = r->batch;
  j.lda = r->lda; j.ldb = r->ldb; j.ldc = r->ldc;
  j.sa = r->sa; j.sb = r->sb; j.sc = r->sc;
  j.a = r->a; j.b = r->b; j.c = r->c;
  j.aoff = r->aoff; j.boff = r->boff; j.coff = r->coff;
  j.alpha = alpha;
  j.beta = beta;
  return dispatch(ctx, &j);
}
