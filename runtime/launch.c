/*
** launch.c -- kernel argument setting and enqueue, with optional per-kernel device
** timing (RDN_PROFILE=1): events are collected and summed by kernel name, and the
** table goes to the log callback when the context is destroyed.
*/
#include "rdn_impl.h"
#include <stdlib.h>
#include <string.h>

#define PENDING_MAX 256

struct rdn_prof_entry {
  char name[64];
  long count;
  double ms;
  rdn_prof_entry *next;
  /* pending events (only in the list head) */
  cl_event pend[PENDING_MAX];
  cl_event pend_first[PENDING_MAX];   /* spans: timed from this event's START, else NULL */
  rdn_prof_entry *pend_of[PENDING_MAX];
  int npend;
};

size_t rdn__round_up(size_t x, size_t m) { return m ? (x + m - 1) / m * m : x; }

rdn_status rdn__args(rdn_ctx *ctx, cl_kernel k, const char *name, int n, const rdn__karg *a) {
  for (int i = 0; i < n; i++) {
    cl_int e = clSetKernelArg(k, (cl_uint)i, a[i].size, a[i].ptr);
    if (e != CL_SUCCESS)
      return rdn__fail(ctx, RDN_ECL, "kernel '%s': clSetKernelArg #%d failed: %s (%d)", name, i,
                       rdn__cl_errname(e), (int)e);
  }
  return RDN_OK;
}

static rdn_prof_entry *prof_head(rdn_ctx *ctx) {
  if (!ctx->prof) ctx->prof = calloc(1, sizeof *ctx->prof);
  return ctx->prof;
}

static void prof_drain(rdn_ctx *ctx) {
  rdn_prof_entry *h = ctx->prof;
  if (!h || !h->npend) return;
  clWaitForEvents((cl_uint)h->npend, h->pend);
  for (int i = 0; i < h->npend; i++) {
    cl_ulong t0 = 0, t1 = 0;
    cl_event first = h->pend_first[i] ? h->pend_first[i] : h->pend[i];
    if (clGetEventProfilingInfo(first, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL) ==
            CL_SUCCESS &&
        clGetEventProfilingInfo(h->pend[i], CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL) ==
            CL_SUCCESS) {
      h->pend_of[i]->ms += (double)(t1 - t0) * 1e-6;
    }
    h->pend_of[i]->count++;
    clReleaseEvent(h->pend[i]);
    if (h->pend_first[i]) clReleaseEvent(h->pend_first[i]);
  }
  h->npend = 0;
}

static rdn_prof_entry *prof_find(rdn_ctx *ctx, const char *name) {
  rdn_prof_entry *h = prof_head(ctx);
  if (!h) return NULL;
  for (rdn_prof_entry *p = h->next; p; p = p->next)
    if (!strcmp(p->name, name)) return p;
  rdn_prof_entry *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  strncpy(p->name, name, sizeof p->name - 1);
  p->next = h->next;
  h->next = p;
  return p;
}

static void push_span(rdn_ctx *ctx, rdn_prof_entry *pe, cl_event first, cl_event ev) {
  rdn_prof_entry *h = ctx->prof;
  if (h->npend == PENDING_MAX) prof_drain(ctx);
  h->pend[h->npend] = ev;
  h->pend_first[h->npend] = first;
  h->pend_of[h->npend++] = pe;
}

static void push_event(rdn_ctx *ctx, rdn_prof_entry *pe, cl_event ev) {
  push_span(ctx, pe, NULL, ev);
}

rdn_status rdn__launch(rdn_ctx *ctx, cl_kernel k, const char *name, int dims, const size_t *gws,
                       const size_t *lws) {
  size_t g[3];
  cl_event ev = NULL, *evp = NULL;
  rdn_prof_entry *pe = NULL;
  for (int i = 0; i < dims; i++) g[i] = lws ? rdn__round_up(gws[i], lws[i]) : gws[i];
  if (ctx->profile && (pe = prof_find(ctx, name)) != NULL) evp = &ev;
  cl_int e = clEnqueueNDRangeKernel(ctx->queue, k, (cl_uint)dims, NULL, g, lws, 0, NULL, evp);
  if (e != CL_SUCCESS) {
    rdn__cl_fail(ctx, name, "clEnqueueNDRangeKernel", e);
    return rdn__fail(ctx, (e == CL_MEM_OBJECT_ALLOCATION_FAILURE || e == CL_OUT_OF_RESOURCES)
                     ? RDN_EDEVMEM : RDN_ECL, "kernel '%s': clEnqueueNDRangeKernel failed: "
                     "%s (%d) on '%s'", name, rdn__cl_errname(e), (int)e, ctx->info.name);
  }
  ctx->stats.launches++;
  if (evp) push_event(ctx, pe, ev);
  return RDN_OK;
}

int rdn__profile_want(const rdn_ctx *ctx) { return ctx->profile; }

void rdn__profile_event(rdn_ctx *ctx, const char *name, cl_event ev) {
  rdn_prof_entry *pe;
  if (!ev) return;
  if (!ctx->profile || !(pe = prof_find(ctx, name))) {
    clReleaseEvent(ev);
    return;
  }
  push_event(ctx, pe, ev);
}

void rdn__profile_span(rdn_ctx *ctx, const char *name, cl_event first, cl_event last) {
  rdn_prof_entry *pe;
  if (!first || !last || !ctx->profile || !(pe = prof_find(ctx, name))) {
    if (first) clReleaseEvent(first);
    if (last) clReleaseEvent(last);
    return;
  }
  push_span(ctx, pe, first, last);
}

rdn_status rdn_ctx_device_time(rdn_ctx *ctx, double *ms) {
  *ms = 0;
  if (!ctx->profile)
    return rdn__fail(ctx, RDN_EUNSUPPORTED, "rdn_ctx_device_time: profiling is off (set "
                     "RDN_PROFILE=1 before creating the context)");
  prof_drain(ctx);
  if (ctx->prof)
    for (rdn_prof_entry *p = ctx->prof->next; p; p = p->next) *ms += p->ms;
  return RDN_OK;
}

void rdn__profile_report(rdn_ctx *ctx) {
  rdn_prof_entry *h = ctx->prof, *p, *n;
  if (!h) return;
  prof_drain(ctx);
  rdn__log(ctx, RDN_LOG_INFO, "profile on '%s' (device time):", ctx->info.name);
  rdn__log(ctx, RDN_LOG_INFO, "  %-32s %8s %12s %10s", "kernel", "calls", "total ms", "mean us");
  for (p = h->next; p; p = p->next)
    rdn__log(ctx, RDN_LOG_INFO, "  %-32s %8ld %12.3f %10.1f", p->name, p->count, p->ms,
             p->count ? 1e3 * p->ms / (double)p->count : 0.0);
  for (p = h->next; p; p = n) {
    n = p->next;
    free(p);
  }
  free(h);
  ctx->prof = NULL;
}
