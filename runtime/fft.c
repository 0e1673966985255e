/*
** fft.c -- batched 1-D / 2-D FFT plans (C2C, R2C, C2R) with NumPy "backward" or unitary
** scaling.  A provider switch (RDN_FFT=clfft|own) selects the engine; only clFFT exists
** now.  Baked plans are cached per ctx; tensor views with an element offset reach clFFT
** (which takes bare cl_mem objects) through sub-buffers or device-side scratch copies.
*/
#include "rdn_impl.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef RDN_HAVE_CLFFT
#include <clFFT.h>
#include <pthread.h>
#endif

#define FFT_CACHE_MAX 32   /* baked plans kept per ctx (unused ones evicted LRU) */

typedef enum { PROV_CLFFT = 0, PROV_OWN = 1 } fft_provider;

typedef struct fft_entry fft_entry;
struct fft_entry {
  rdn_fft_kind kind;
  int rank;
  size_t len[2];               /* row-major order: {T} or {H, W} */
  size_t batch;
  rdn_fft_norm norm;
#ifdef RDN_HAVE_CLFFT
  clfftPlanHandle h;
  int has_h;
#endif
  size_t tmp_bytes;            /* clFFT intermediate buffer it asked for */
  int users;                   /* live rdn_fft_plan handles */
  unsigned long last_use;
  fft_entry *next;
};

struct rdn_fft_state {
  fft_provider prov;
  fft_entry *plans;
  int nplans;
  unsigned long tick;
  size_t align;                /* CL_DEVICE_MEM_BASE_ADDR_ALIGN in bytes (sub-buffers) */
  cl_mem tmp;                  /* clFFT intermediate, shared by the plans (in-order queue) */
  size_t tmp_size;
  cl_mem scr[2];               /* scratch for offset views: [0] input, [1] output */
  size_t scr_size[2];
  int setup;                   /* holds one reference on clfftSetup */
};

/* The public handle: its own small object pointing into the ctx's plan cache. */
struct rdn_fft_plan {
  rdn_ctx *ctx;
  fft_entry *e;
};

static const char *kind_name(rdn_fft_kind k) {
  return k == RDN_FFT_C2C ? "C2C" : k == RDN_FFT_R2C ? "R2C" : "C2R";
}

/* ------------------------------------------------------------------ clFFT */
#ifdef RDN_HAVE_CLFFT
/* clfftSetup/clfftTeardown are process-global: one reference per ctx fft state. */
static pthread_mutex_t clfft_lock = PTHREAD_MUTEX_INITIALIZER;
static int clfft_refs;

static size_t prod_len(const fft_entry *e) {
  return e->rank == 1 ? e->len[0] : e->len[0] * e->len[1];
}

static const char *clfft_errname(clfftStatus s) {
  switch (s) {
#define N(x) case x: return #x;
    N(CLFFT_BUGCHECK) N(CLFFT_NOTIMPLEMENTED) N(CLFFT_TRANSPOSED_NOTIMPLEMENTED)
    N(CLFFT_FILE_NOT_FOUND) N(CLFFT_FILE_CREATE_FAILURE) N(CLFFT_VERSION_MISMATCH)
    N(CLFFT_INVALID_PLAN) N(CLFFT_DEVICE_NO_DOUBLE) N(CLFFT_DEVICE_MISMATCH)
#undef N
    default: return rdn__cl_errname((cl_int)s);   /* the CL codes clFFT aliases */
  }
}

static rdn_status clfft_status(clfftStatus s) {
  switch ((int)s) {
    case CLFFT_OUT_OF_HOST_MEMORY: return RDN_ENOMEM;
    case CLFFT_MEM_OBJECT_ALLOCATION_FAILURE: case CLFFT_OUT_OF_RESOURCES:
    case CLFFT_INVALID_BUFFER_SIZE: return RDN_EDEVMEM;
    case CLFFT_NOTIMPLEMENTED: case CLFFT_DEVICE_NO_DOUBLE: return RDN_EUNSUPPORTED;
    case CLFFT_BUILD_PROGRAM_FAILURE: return RDN_EBUILD;
    default: return RDN_ECL;
  }
}

static rdn_status clfft_fail(rdn_ctx *ctx, const char *fn, const char *call, clfftStatus s,
                             const fft_entry *e) {
  char shape[64];
  if (e->rank == 1) snprintf(shape, sizeof shape, "[%zu x %zu]", e->batch, e->len[0]);
  else snprintf(shape, sizeof shape, "[%zu x %zu x %zu]", e->batch, e->len[0], e->len[1]);
  return rdn__fail(ctx, clfft_status(s), "%s: clFFT %s failed: %s (%d) for %s %s on '%s'", fn,
                   call, clfft_errname(s), (int)s, kind_name(e->kind), shape, ctx->info.name);
}

static rdn_status clfft_acquire(rdn_ctx *ctx) {
  clfftStatus s = CLFFT_SUCCESS;
  pthread_mutex_lock(&clfft_lock);
  if (clfft_refs == 0) {
    /* filled by hand: clfftInitSetupData is a header `__inline` without an external
    ** definition in C mode */
    clfftSetupData sd;
    memset(&sd, 0, sizeof sd);
    sd.major = clfftVersionMajor;
    sd.minor = clfftVersionMinor;
    sd.patch = clfftVersionPatch;
    s = clfftSetup(&sd);
  }
  if (s == CLFFT_SUCCESS) clfft_refs++;
  pthread_mutex_unlock(&clfft_lock);
  if (s != CLFFT_SUCCESS)
    return rdn__fail(ctx, clfft_status(s), "rdn_fft_plan_create: clFFT clfftSetup failed: "
                     "%s (%d)", clfft_errname(s), (int)s);
  return RDN_OK;
}

static void clfft_release(void) {
  pthread_mutex_lock(&clfft_lock);
  if (clfft_refs > 0 && --clfft_refs == 0) clfftTeardown();
  pthread_mutex_unlock(&clfft_lock);
}

/* clFFT lists lengths and strides innermost first; rdn's are row-major. */
static rdn_status clfft_make(rdn_ctx *ctx, fft_entry *e) {
  const char *fn = "rdn_fft_plan_create";
  size_t lens[2], istr[2], ostr[2], idist, odist, n = prod_len(e);
  size_t w = e->len[e->rank - 1], wh = w / 2 + 1, rows = n / w;
  clfftDim dim = e->rank == 1 ? CLFFT_1D : CLFFT_2D;
  clfftLayout il = CLFFT_COMPLEX_INTERLEAVED, ol = CLFFT_COMPLEX_INTERLEAVED;
  size_t iw = w, ow = w;
  clfftStatus s;
  lens[0] = w;
  lens[1] = e->rank == 2 ? e->len[0] : 1;
  if (e->kind == RDN_FFT_R2C) {
    il = CLFFT_REAL;
    ol = CLFFT_HERMITIAN_INTERLEAVED;
    ow = wh;
  } else if (e->kind == RDN_FFT_C2R) {
    il = CLFFT_HERMITIAN_INTERLEAVED;
    ol = CLFFT_REAL;
    iw = wh;
  }
  istr[0] = ostr[0] = 1;
  istr[1] = iw;
  ostr[1] = ow;
  idist = iw * rows;
  odist = ow * rows;
  float fs = 1.0f, bs = (float)(1.0 / (double)n);
  if (e->norm == RDN_FFT_ORTHO) fs = bs = (float)(1.0 / sqrt((double)n));
  if ((s = clfftCreateDefaultPlan(&e->h, ctx->context, dim, lens)) != CLFFT_SUCCESS)
    return clfft_fail(ctx, fn, "clfftCreateDefaultPlan", s, e);
#define TRY(call) \
  if ((s = call) != CLFFT_SUCCESS) { \
    clfftDestroyPlan(&e->h); \
    return clfft_fail(ctx, fn, #call, s, e); \
  }
  TRY(clfftSetPlanPrecision(e->h, CLFFT_SINGLE));
  TRY(clfftSetLayout(e->h, il, ol));
  TRY(clfftSetResultLocation(e->h, CLFFT_OUTOFPLACE));
  TRY(clfftSetPlanBatchSize(e->h, e->batch));
  TRY(clfftSetPlanInStride(e->h, dim, istr));
  TRY(clfftSetPlanOutStride(e->h, dim, ostr));
  TRY(clfftSetPlanDistance(e->h, idist, odist));
  TRY(clfftSetPlanScale(e->h, CLFFT_FORWARD, fs));
  TRY(clfftSetPlanScale(e->h, CLFFT_BACKWARD, bs));
  TRY(clfftBakePlan(e->h, 1, &ctx->queue, NULL, NULL));
  TRY(clfftGetTmpBufSize(e->h, &e->tmp_bytes));
#undef TRY
  e->has_h = 1;
  return RDN_OK;
}

/* Lengths clFFT 2.12 generates kernels for: products of 2, 3, 5, 7, 11 and 13. */
static int clfft_length_ok(size_t n) {
  static const size_t pr[] = { 2, 3, 5, 7, 11, 13 };
  for (int i = 0; i < 6; i++)
    while (n % pr[i] == 0) n /= pr[i];
  return n == 1;
}
#endif /* RDN_HAVE_CLFFT */

/* ------------------------------------------------------------ state, cache */
static void entry_free(fft_entry *e) {
#ifdef RDN_HAVE_CLFFT
  if (e->has_h) clfftDestroyPlan(&e->h);
#endif
  free(e);
}

void rdn__fft_free(rdn_ctx *ctx) {
  rdn_fft_state *st = ctx ? ctx->fft : NULL;
  if (!st) return;
  for (fft_entry *e = st->plans, *n; e; e = n) {
    n = e->next;
    entry_free(e);
  }
  if (st->tmp) clReleaseMemObject(st->tmp);
  for (int i = 0; i < 2; i++)
    if (st->scr[i]) clReleaseMemObject(st->scr[i]);
#ifdef RDN_HAVE_CLFFT
  if (st->setup) clfft_release();
#endif
  free(st);
  ctx->fft = NULL;
}

static rdn_status state_get(rdn_ctx *ctx, rdn_fft_state **out) {
  const char *fn = "rdn_fft_plan_create", *env = getenv("RDN_FFT");
  fft_provider prov = PROV_CLFFT;
  *out = ctx->fft;
  if (ctx->fft) return RDN_OK;
  if (env && *env && strcmp(env, "clfft")) {
    if (strcmp(env, "own"))
      return rdn__fail(ctx, RDN_EINVAL, "%s: bad RDN_FFT value: '%s' (clfft or own)", fn, env);
    prov = PROV_OWN;
  }
  rdn_fft_state *st = calloc(1, sizeof *st);
  if (!st) return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
  st->prov = prov;
  cl_uint bits = 0;
  if (clGetDeviceInfo(ctx->device, CL_DEVICE_MEM_BASE_ADDR_ALIGN, sizeof bits, &bits, NULL) ==
      CL_SUCCESS && bits >= 8)
    st->align = bits / 8;
  ctx->fft = st;
  *out = st;
  return RDN_OK;
}

static fft_entry *cache_find(rdn_fft_state *st, rdn_fft_kind kind, int rank, const size_t *len,
                             size_t batch, rdn_fft_norm norm) {
  for (fft_entry *e = st->plans; e; e = e->next)
    if (e->kind == kind && e->rank == rank && e->len[0] == len[0] &&
        (rank == 1 || e->len[1] == len[1]) && e->batch == batch && e->norm == norm)
      return e;
  return NULL;
}

/* Drops the least recently used plan that no handle refers to, when the cache is full. */
static void cache_evict(rdn_fft_state *st) {
  fft_entry **victim = NULL;
  if (st->nplans < FFT_CACHE_MAX) return;
  for (fft_entry **pp = &st->plans; *pp; pp = &(*pp)->next)
    if ((*pp)->users == 0 && (!victim || (*pp)->last_use < (*victim)->last_use)) victim = pp;
  if (!victim) return;
  fft_entry *e = *victim;
  *victim = e->next;
  entry_free(e);
  st->nplans--;
}

/* Bakes the provider's plan for a new cache entry. */
static rdn_status entry_make(rdn_ctx *ctx, rdn_fft_state *st, fft_entry *e) {
#ifdef RDN_HAVE_CLFFT
  rdn_status s;
  for (int i = 0; i < e->rank; i++)
    if (!clfft_length_ok(e->len[i]))
      return rdn__fail(ctx, RDN_EUNSUPPORTED, "rdn_fft_plan_create: length %zu of axis %d is "
                       "not supported by clFFT: its prime factors must be 2, 3, 5, 7, 11 or 13",
                       e->len[i], i + 1);
  if (!st->setup) {
    if ((s = clfft_acquire(ctx)) != RDN_OK) return s;
    st->setup = 1;
  }
  return clfft_make(ctx, e);
#else
  (void)st;
  (void)e;
  return rdn__fail(ctx, RDN_EUNSUPPORTED, "rdn_fft: clFFT not available in this build");
#endif
}

/* ------------------------------------------------------------ plan create */
rdn_status rdn_fft_plan_create(rdn_ctx *ctx, rdn_fft_plan **out, rdn_fft_kind kind, int rank,
                               const size_t *lengths, size_t batch, rdn_fft_norm norm) {
  const char *fn = "rdn_fft_plan_create";
  rdn_fft_state *st;
  rdn_status s;
  if (!out) return rdn__fail(ctx, RDN_EINVAL, "%s: 'out' is NULL", fn);
  *out = NULL;
  if (!ctx) return RDN_EINVAL;
  if ((unsigned)kind > RDN_FFT_C2R)
    return rdn__fail(ctx, RDN_EINVAL, "%s: bad kind: %d (C2C, R2C or C2R)", fn, (int)kind);
  if (rank != 1 && rank != 2)
    return rdn__fail(ctx, RDN_EINVAL, "%s: bad rank: %d (1 or 2)", fn, rank);
  if (!lengths) return rdn__fail(ctx, RDN_EINVAL, "%s: 'lengths' is NULL", fn);
  if ((unsigned)norm > RDN_FFT_ORTHO)
    return rdn__fail(ctx, RDN_EINVAL, "%s: bad norm: %d (backward or ortho)", fn, (int)norm);
  if (batch == 0) return rdn__fail(ctx, RDN_EINVAL, "%s: bad batch: 0", fn);
  size_t total = batch;
  for (int i = 0; i < rank; i++) {
    if (lengths[i] == 0)
      return rdn__fail(ctx, RDN_EINVAL, "%s: bad length 0 of axis %d", fn, i + 1);
    if (lengths[i] > ((size_t)1 << 32) || total > (((size_t)1 << 48) / lengths[i]))
      return rdn__fail(ctx, RDN_EINVAL, "%s: transform size overflows: length %zu of axis "
                       "%d, batch %zu", fn, lengths[i], i + 1, batch);
    total *= lengths[i];
  }
  if ((s = state_get(ctx, &st)) != RDN_OK) return s;
  if (st->prov == PROV_OWN)
    return rdn__fail(ctx, RDN_EUNSUPPORTED, "%s: FFT provider 'own' (RDN_FFT=own) is not "
                     "implemented yet: unset RDN_FFT or set RDN_FFT=clfft", fn);
  fft_entry *e = cache_find(st, kind, rank, lengths, batch, norm);
  if (!e) {
    if (!(e = calloc(1, sizeof *e))) return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory",
                                                      fn);
    e->kind = kind;
    e->rank = rank;
    e->len[0] = lengths[0];
    e->len[1] = rank == 2 ? lengths[1] : 1;
    e->batch = batch;
    e->norm = norm;
    if ((s = entry_make(ctx, st, e)) != RDN_OK) {
      free(e);
      return s;
    }
    cache_evict(st);
    e->next = st->plans;
    st->plans = e;
    st->nplans++;
  }
  rdn_fft_plan *p = calloc(1, sizeof *p);
  if (!p) return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
  e->users++;
  e->last_use = ++st->tick;
  p->ctx = ctx;
  p->e = e;
  *out = p;
  return RDN_OK;
}

void rdn_fft_plan_destroy(rdn_fft_plan *p) {
  if (!p) return;
  p->e->users--;       /* the baked plan stays cached until evicted or ctx destroy */
  free(p);
}

/* ------------------------------------------------------------------ execute */
/* Logical shape of one side of a plan: dtype and trailing axes {.., inner}. */
typedef struct { rdn_dtype dt; int rank; size_t dims[2]; } side_shape;

static side_shape plan_side(const fft_entry *e, int is_in) {
  side_shape sd;
  int real = (e->kind == RDN_FFT_R2C && is_in) || (e->kind == RDN_FFT_C2R && !is_in);
  sd.dt = real ? RDN_F32 : RDN_C64;
  sd.rank = e->rank;
  sd.dims[0] = e->len[0];
  sd.dims[1] = e->len[1];
  if (e->kind != RDN_FFT_C2C && !real) sd.dims[e->rank - 1] = sd.dims[e->rank - 1] / 2 + 1;
  return sd;
}

/* The rule: trailing `rank` axes equal the plan's lengths (hermitian side: innermost
** W/2+1), the leading axes multiply to the batch (none: batch 1). */
static int side_matches(const rdn_tensor *t, const side_shape *sd, size_t batch) {
  size_t lead = 1;
  if (t->dtype != sd->dt || t->ndim < sd->rank) return 0;
  for (int i = 0; i < sd->rank; i++)
    if (t->shape[t->ndim - sd->rank + i] != sd->dims[i]) return 0;
  for (int i = 0; i < t->ndim - sd->rank; i++) lead *= t->shape[i];
  return lead == batch;
}

static void side_str(const side_shape *sd, size_t batch, char *buf, size_t len) {
  if (sd->rank == 1)
    snprintf(buf, len, "%s [%zu x %zu]", rdn_dtype_name(sd->dt), batch, sd->dims[0]);
  else
    snprintf(buf, len, "%s [%zu x %zu x %zu]", rdn_dtype_name(sd->dt), batch, sd->dims[0],
             sd->dims[1]);
}

static rdn_status check_side(rdn_ctx *ctx, const fft_entry *e, const rdn_tensor *t,
                             const char *arg, int is_in) {
  side_shape sd = plan_side(e, is_in);
  char a[96], b[96];
  if (side_matches(t, &sd, e->batch)) return RDN_OK;
  side_str(&sd, e->batch, b, sizeof b);
  return rdn__fail(ctx, RDN_EINVAL, "rdn_fft_execute: shape mismatch: %s is %s %s, the %s plan "
                   "expects %s (leading axes multiply to the batch)", arg,
                   rdn_dtype_name(t->dtype), rdn_tensor_shape_str(t, a, sizeof a),
                   kind_name(e->kind), b);
}

static rdn_status check_alias(rdn_ctx *ctx, const rdn_tensor *in, const rdn_tensor *out) {
  size_t ia = in->offset * rdn_dtype_size(in->dtype);
  size_t ib = ia + rdn_tensor_numel(in) * rdn_dtype_size(in->dtype);
  size_t oa = out->offset * rdn_dtype_size(out->dtype);
  size_t ob = oa + rdn_tensor_numel(out) * rdn_dtype_size(out->dtype);
  if (in->buf == out->buf && ia < ob && oa < ib)
    return rdn__fail(ctx, RDN_EINVAL, "rdn_fft_execute: in and out alias: bytes [%zu, %zu) "
                     "and [%zu, %zu) of one buffer overlap (in-place is not supported)", ia, ib,
                     oa, ob);
  return RDN_OK;
}

#ifdef RDN_HAVE_CLFFT
static rdn_status ensure_buf(rdn_ctx *ctx, cl_mem *m, size_t *have, size_t need,
                             const char *what) {
  cl_int err;
  if (*m && *have >= need) return RDN_OK;
  if (*m) clReleaseMemObject(*m);   /* deferred by OpenCL until queued users finish */
  *have = 0;
  *m = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE, need, NULL, &err);
  if (err != CL_SUCCESS) {
    *m = NULL;
    return rdn__fail(ctx, err == CL_MEM_OBJECT_ALLOCATION_FAILURE || err == CL_OUT_OF_RESOURCES
                     || err == CL_INVALID_BUFFER_SIZE ? RDN_EDEVMEM : RDN_ECL,
                     "rdn_fft_execute: clCreateBuffer failed: %s (%d) for the %s (%zu bytes) "
                     "on '%s'", rdn__cl_errname(err), (int)err, what, need, ctx->info.name);
  }
  *have = need;
  return RDN_OK;
}

static rdn_status copy_buf(rdn_ctx *ctx, cl_mem src, size_t soff, cl_mem dst, size_t doff,
                           size_t bytes) {
  cl_event ev = NULL;
  cl_int err = clEnqueueCopyBuffer(ctx->queue, src, dst, soff, doff, bytes, 0, NULL,
                                   rdn__profile_want(ctx) ? &ev : NULL);
  if (err != CL_SUCCESS) return rdn__cl_fail(ctx, "rdn_fft_execute", "clEnqueueCopyBuffer", err);
  if (ev) rdn__profile_event(ctx, "fft_copy", ev);
  return RDN_OK;
}

/* The cl_mem clFFT sees for tensor t: the buffer itself (offset 0), a sub-buffer (offset
** aligned for the device), else scratch `which` (input: filled by a device copy).
** *sub is set when a sub-buffer was created (the caller releases it). */
static rdn_status bind_mem(rdn_ctx *ctx, rdn_fft_state *st, const rdn_tensor *t, int which,
                           cl_mem *mem, int *sub, int *scratch) {
  size_t es = rdn_dtype_size(t->dtype), off = t->offset * es;
  size_t bytes = rdn_tensor_numel(t) * es;
  rdn_status s;
  *sub = *scratch = 0;
  *mem = t->buf;
  if (off == 0) return RDN_OK;
  if (st->align && off % st->align == 0) {
    cl_buffer_region r = { off, bytes };
    cl_int err;
    cl_mem m = clCreateSubBuffer(t->buf, 0, CL_BUFFER_CREATE_TYPE_REGION, &r, &err);
    if (err == CL_SUCCESS) {
      *mem = m;
      *sub = 1;
      return RDN_OK;
    }   /* otherwise fall back to a scratch copy */
  }
  if ((s = ensure_buf(ctx, &st->scr[which], &st->scr_size[which], bytes,
                      which ? "output scratch" : "input scratch")) != RDN_OK)
    return s;
  if (which == 0 && (s = copy_buf(ctx, t->buf, off, st->scr[0], 0, bytes)) != RDN_OK) return s;
  *mem = st->scr[which];
  *scratch = 1;
  return RDN_OK;
}

static rdn_status clfft_run(rdn_fft_plan *p, int inverse, const rdn_tensor *in,
                            rdn_tensor *out) {
  rdn_ctx *ctx = p->ctx;
  rdn_fft_state *st = ctx->fft;
  fft_entry *e = p->e;
  cl_mem im = NULL, om = NULL;
  int isub = 0, osub = 0, iscr = 0, oscr = 0;
  rdn_status s;
  clfftStatus cs;
  cl_event ev = NULL, m0 = NULL;
  if (e->tmp_bytes &&
      (s = ensure_buf(ctx, &st->tmp, &st->tmp_size, e->tmp_bytes, "clFFT temporary buffer"))
      != RDN_OK)
    return s;
  if ((s = bind_mem(ctx, st, in, 0, &im, &isub, &iscr)) != RDN_OK) goto done;
  if ((s = bind_mem(ctx, st, out, 1, &om, &osub, &oscr)) != RDN_OK) goto done;
  clfftDirection dir = e->kind == RDN_FFT_R2C ? CLFFT_FORWARD : e->kind == RDN_FFT_C2R
                       ? CLFFT_BACKWARD : inverse ? CLFFT_BACKWARD : CLFFT_FORWARD;
  /* clFFT returns only the event of its last kernel (a 2-D transform runs several): a
  ** marker just before lets the profiler time the whole span */
  if (rdn__profile_want(ctx) && clEnqueueMarkerWithWaitList(ctx->queue, 0, NULL, &m0) !=
      CL_SUCCESS)
    m0 = NULL;
  cs = clfftEnqueueTransform(e->h, dir, 1, &ctx->queue, 0, NULL,
                             rdn__profile_want(ctx) ? &ev : NULL, &im, &om,
                             e->tmp_bytes ? st->tmp : NULL);
  if (cs != CLFFT_SUCCESS) {
    if (m0) clReleaseEvent(m0);
    s = clfft_fail(ctx, "rdn_fft_execute", "clfftEnqueueTransform", cs, e);
    goto done;
  }
  ctx->stats.launches++;
  if (ev && m0) rdn__profile_span(ctx, "clfft", m0, ev);
  else if (ev) rdn__profile_event(ctx, "clfft", ev);
  else if (m0) clReleaseEvent(m0);
  e->last_use = ++st->tick;
  if (oscr) {
    size_t es = rdn_dtype_size(out->dtype);
    s = copy_buf(ctx, st->scr[1], 0, out->buf, out->offset * es, rdn_tensor_numel(out) * es);
  }
done:
  if (isub) clReleaseMemObject(im);
  if (osub) clReleaseMemObject(om);
  return s;
}
#endif /* RDN_HAVE_CLFFT */

rdn_status rdn_fft_execute(rdn_fft_plan *p, int inverse, const rdn_tensor *in,
                           rdn_tensor *out) {
  const char *fn = "rdn_fft_execute";
  rdn_ctx *ctx = p ? p->ctx : in ? in->ctx : out ? out->ctx : NULL;
  rdn_status s;
  if (!p) return rdn__fail(ctx, RDN_EINVAL, "%s: plan is NULL", fn);
  if (!in || !out)
    return rdn__fail(ctx, RDN_EINVAL, "%s: '%s' is NULL", fn, in ? "out" : "in");
  if (in->ctx != ctx || out->ctx != ctx)
    return rdn__fail(ctx, RDN_EINVAL, "%s: '%s' belongs to another context", fn,
                     in->ctx != ctx ? "in" : "out");
  fft_entry *e = p->e;
  if (inverse != 0 && inverse != 1)
    return rdn__fail(ctx, RDN_EINVAL, "%s: bad direction: inverse = %d (0 or 1)", fn, inverse);
  if (e->kind == RDN_FFT_R2C && inverse)
    return rdn__fail(ctx, RDN_EINVAL, "%s: an R2C plan runs forward only: inverse = 1 (use a "
                     "C2R plan)", fn);
  if (e->kind == RDN_FFT_C2R && !inverse)
    return rdn__fail(ctx, RDN_EINVAL, "%s: a C2R plan runs inverse only: inverse = 0 (use an "
                     "R2C plan)", fn);
  if ((s = check_side(ctx, e, in, "in", 1)) != RDN_OK) return s;
  if ((s = check_side(ctx, e, out, "out", 0)) != RDN_OK) return s;
  if ((s = check_alias(ctx, in, out)) != RDN_OK) return s;
#ifdef RDN_HAVE_CLFFT
  return clfft_run(p, inverse, in, out);
#else
  return rdn__fail(ctx, RDN_EUNSUPPORTED, "rdn_fft: clFFT not available in this build");
#endif
}
