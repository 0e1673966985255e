/*
** ctx.c -- the rdn context: one device, one in-order queue, caches and the last
** error message.  All library state lives here (no process-wide singletons).
*/
#include "rdn_impl.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static rdn_ctx *ctx_alloc(void) {
  rdn_ctx *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  const char *p = getenv("RDN_PROFILE");
  c->profile = p && *p && strcmp(p, "0") != 0;
  c->cache_dir = rdn__cache_dir_default();
  const char *kd = getenv("RDN_KERNEL_DIR");
  if (kd && *kd) {
    c->kernel_dir = malloc(strlen(kd) + 1);
    if (c->kernel_dir) strcpy(c->kernel_dir, kd);
  }
  return c;
}

static rdn_status make_queue(rdn_ctx *c, const char *fn) {
  cl_int e;
  cl_command_queue_properties props = c->profile ? CL_QUEUE_PROFILING_ENABLE : 0;
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
  c->queue = clCreateCommandQueue(c->context, c->device, props, &e);
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
  if (e != CL_SUCCESS) return rdn__cl_fail(c, fn, "clCreateCommandQueue", e);
  return RDN_OK;
}

rdn_status rdn_ctx_create(rdn_ctx **out, const char *spec) {
  rdn_ctx *c = ctx_alloc();
  rdn_status s;
  cl_int e;
  *out = c;
  if (!c) return RDN_ENOMEM;
  s = rdn__device_select(spec, &c->platform, &c->device, &c->info, c->err, sizeof c->err);
  if (s != RDN_OK) return s;
  cl_context_properties cp[] = { CL_CONTEXT_PLATFORM, (cl_context_properties)c->platform, 0 };
  c->context = clCreateContext(cp, 1, &c->device, NULL, NULL, &e);
  if (e != CL_SUCCESS) return rdn__cl_fail(c, "rdn_ctx_create", "clCreateContext", e);
  if ((s = make_queue(c, "rdn_ctx_create")) != RDN_OK) return s;
  c->ok = 1;
  return RDN_OK;
}

rdn_status rdn_ctx_wrap(rdn_ctx **out, cl_context cc, cl_device_id d, cl_command_queue q) {
  rdn_ctx *c = ctx_alloc();
  rdn_status s;
  *out = c;
  if (!c) return RDN_ENOMEM;
  if (!cc || !d)
    return rdn__fail(c, RDN_EINVAL, "rdn_ctx_wrap: context and device must not be NULL");
  cl_int e = clGetDeviceInfo(d, CL_DEVICE_PLATFORM, sizeof c->platform, &c->platform, NULL);
  if (e != CL_SUCCESS) return rdn__cl_fail(c, "rdn_ctx_wrap", "clGetDeviceInfo", e);
  rdn__device_describe(c->platform, d, -1, -1, &c->info);
  c->device = d;
  c->context = cc;
  clRetainContext(cc);
  if (q) {
    c->queue = q;
    clRetainCommandQueue(q);
    c->profile = 0;   /* the host's queue decides; events may lack profiling info */
  } else if ((s = make_queue(c, "rdn_ctx_wrap")) != RDN_OK) {
    return s;
  }
  c->ok = 1;
  return RDN_OK;
}

void rdn_ctx_destroy(rdn_ctx *c) {
  if (!c) return;
  if (c->queue) clFinish(c->queue);
  rdn__profile_report(c);
  rdn__gemm_free(c);
  rdn__fft_free(c);
  rdn__reduce_free(c);
  rdn__linalg_free(c);
  rdn__programs_free(c);
  if (c->queue) clReleaseCommandQueue(c->queue);
  if (c->context) clReleaseContext(c->context);
  free(c->cache_dir);
  free(c->kernel_dir);
  free(c);
}

const char *rdn_ctx_error(const rdn_ctx *c) {
  return c ? c->err : "rdn: out of host memory creating a context";
}
const rdn_device_info *rdn_ctx_device(const rdn_ctx *c) { return &c->info; }
cl_context rdn_ctx_cl_context(const rdn_ctx *c) { return c->context; }
cl_command_queue rdn_ctx_cl_queue(const rdn_ctx *c) { return c->queue; }
const char *rdn_ctx_cache_dir(const rdn_ctx *c) { return c->cache_dir; }
void rdn_ctx_get_stats(const rdn_ctx *c, rdn_ctx_stats *st) { *st = c->stats; }

void rdn_ctx_set_log(rdn_ctx *c, rdn_log_fn fn, void *user) {
  c->log_fn = fn;
  c->log_user = user;
}

rdn_status rdn_ctx_finish(rdn_ctx *c) {
  cl_int e = clFinish(c->queue);
  if (e != CL_SUCCESS) return rdn__cl_fail(c, "rdn_ctx_finish", "clFinish", e);
  return RDN_OK;
}
