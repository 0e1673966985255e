/*
** error.c -- status names, the per-context error message and the log callback.
** The library reports through these only: it never prints, exits or aborts.
*/
#include "rdn_impl.h"
#include <stdio.h>
#include <string.h>

const char *rdn_status_string(rdn_status s) {
  static const char *const names[] = {
    "RDN_OK", "RDN_EINVAL", "RDN_EVALUE", "RDN_ENOMEM", "RDN_EDEVMEM", "RDN_ENODEV",
    "RDN_EBUILD", "RDN_ECL", "RDN_EIO", "RDN_EFORMAT", "RDN_ENUMERIC", "RDN_EUNSUPPORTED"
  };
  if ((unsigned)s < sizeof(names) / sizeof(names[0])) return names[s];
  return "RDN_UNKNOWN";
}

const char *rdn_version(void) { return RDN_VERSION_STRING; }

rdn_status rdn__fail(rdn_ctx *ctx, rdn_status s, const char *fmt, ...) {
  if (ctx) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->err, sizeof ctx->err, fmt, ap);
    va_end(ap);
  }
  return s;
}

void rdn__log(rdn_ctx *ctx, rdn_log_level lv, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  if (!ctx || !ctx->log_fn) return;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  ctx->log_fn(lv, buf, ctx->log_user);
}

const char *rdn__cl_errname(cl_int e) {
  switch (e) {
#define N(x) case x: return #x;
    N(CL_SUCCESS) N(CL_DEVICE_NOT_FOUND) N(CL_DEVICE_NOT_AVAILABLE)
    N(CL_COMPILER_NOT_AVAILABLE) N(CL_MEM_OBJECT_ALLOCATION_FAILURE)
    N(CL_OUT_OF_RESOURCES) N(CL_OUT_OF_HOST_MEMORY) N(CL_PROFILING_INFO_NOT_AVAILABLE)
    N(CL_MEM_COPY_OVERLAP) N(CL_BUILD_PROGRAM_FAILURE) N(CL_MAP_FAILURE)
    N(CL_MISALIGNED_SUB_BUFFER_OFFSET) N(CL_INVALID_VALUE) N(CL_INVALID_DEVICE_TYPE)
    N(CL_INVALID_PLATFORM) N(CL_INVALID_DEVICE) N(CL_INVALID_CONTEXT)
    N(CL_INVALID_QUEUE_PROPERTIES) N(CL_INVALID_COMMAND_QUEUE) N(CL_INVALID_HOST_PTR)
    N(CL_INVALID_MEM_OBJECT) N(CL_INVALID_BINARY) N(CL_INVALID_BUILD_OPTIONS)
    N(CL_INVALID_PROGRAM) N(CL_INVALID_PROGRAM_EXECUTABLE) N(CL_INVALID_KERNEL_NAME)
    N(CL_INVALID_KERNEL_DEFINITION) N(CL_INVALID_KERNEL) N(CL_INVALID_ARG_INDEX)
    N(CL_INVALID_ARG_VALUE) N(CL_INVALID_ARG_SIZE) N(CL_INVALID_KERNEL_ARGS)
    N(CL_INVALID_WORK_DIMENSION) N(CL_INVALID_WORK_GROUP_SIZE) N(CL_INVALID_WORK_ITEM_SIZE)
    N(CL_INVALID_GLOBAL_OFFSET) N(CL_INVALID_EVENT_WAIT_LIST) N(CL_INVALID_EVENT)
    N(CL_INVALID_OPERATION) N(CL_INVALID_BUFFER_SIZE) N(CL_INVALID_GLOBAL_WORK_SIZE)
#undef N
    case -1001: return "CL_PLATFORM_NOT_FOUND_KHR";
    default: return "CL_UNKNOWN_ERROR";
  }
}

rdn_status rdn__cl_fail(rdn_ctx *ctx, const char *fn, const char *what, cl_int e) {
  rdn_status s = (e == CL_MEM_OBJECT_ALLOCATION_FAILURE || e == CL_OUT_OF_RESOURCES ||
                  e == CL_INVALID_BUFFER_SIZE) ? RDN_EDEVMEM : RDN_ECL;
  return rdn__fail(ctx, s, "%s: %s failed: %s (%d) on '%s'", fn, what, rdn__cl_errname(e),
                   (int)e, ctx ? ctx->info.name : "?");
}
