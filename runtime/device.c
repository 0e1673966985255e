/*
** device.c -- enumerates OpenCL platforms and devices and resolves RDN_DEVICE
** ("cpu", "gpu", "P:D", or a case-insensitive name substring) to one device.
*/
#include "rdn_impl.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXP 16
#define MAXD 64

static void info_str(cl_device_id d, cl_device_info what, char *buf, size_t len) {
  buf[0] = 0;
  if (clGetDeviceInfo(d, what, len, buf, NULL) != CL_SUCCESS) buf[0] = 0;
  buf[len - 1] = 0;
}

void rdn__device_describe(cl_platform_id p, cl_device_id d, int pi, int di,
                          rdn_device_info *o) {
  cl_device_type type = 0;
  cl_uint cu = 0;
  cl_ulong gm = 0, ma = 0;
  size_t wg = 0;
  char ext[8192];
  memset(o, 0, sizeof *o);
  o->platform = pi;
  o->device = di;
  info_str(d, CL_DEVICE_NAME, o->name, sizeof o->name);
  info_str(d, CL_DEVICE_VENDOR, o->vendor, sizeof o->vendor);
  info_str(d, CL_DRIVER_VERSION, o->driver, sizeof o->driver);
  info_str(d, CL_DEVICE_VERSION, o->version, sizeof o->version);
  if (clGetPlatformInfo(p, CL_PLATFORM_NAME, sizeof o->platform_name, o->platform_name,
                        NULL) != CL_SUCCESS)
    o->platform_name[0] = 0;
  o->platform_name[sizeof o->platform_name - 1] = 0;
  clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof type, &type, NULL);
  clGetDeviceInfo(d, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cu, &cu, NULL);
  clGetDeviceInfo(d, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof gm, &gm, NULL);
  clGetDeviceInfo(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof ma, &ma, NULL);
  clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof wg, &wg, NULL);
  info_str(d, CL_DEVICE_EXTENSIONS, ext, sizeof ext);
  o->is_gpu = (type & CL_DEVICE_TYPE_GPU) != 0;
  o->is_cpu = (type & CL_DEVICE_TYPE_CPU) != 0;
  o->has_fp64 = strstr(ext, "cl_khr_fp64") != NULL;
  o->compute_units = (int)cu;
  o->global_mem = (size_t)gm;
  o->max_alloc = (size_t)ma;
  o->max_work_group = wg;
}

/* All devices of all platforms, flattened; returns count or -1 with msg. */
static int enumerate(cl_platform_id *plat, cl_device_id *dev, int *pidx, int *didx,
                     char *msg, size_t msglen) {
  cl_platform_id ps[MAXP];
  cl_uint np = 0;
  int n = 0;
  cl_int e = clGetPlatformIDs(MAXP, ps, &np);
  if (e != CL_SUCCESS || np == 0) {
    snprintf(msg, msglen, "no OpenCL platform found (%s (%d)); install an ICD such as "
             "pocl-opencl-icd", rdn__cl_errname(e), (int)e);
    return -1;
  }
  for (cl_uint p = 0; p < np && p < MAXP; p++) {
    cl_device_id ds[MAXD];
    cl_uint nd = 0;
    if (clGetDeviceIDs(ps[p], CL_DEVICE_TYPE_ALL, MAXD, ds, &nd) != CL_SUCCESS) continue;
    for (cl_uint d = 0; d < nd && d < MAXD && n < MAXD; d++) {
      plat[n] = ps[p];
      dev[n] = ds[d];
      pidx[n] = (int)p;
      didx[n] = (int)d;
      n++;
    }
  }
  if (n == 0) snprintf(msg, msglen, "OpenCL platforms found but no device");
  return n == 0 ? -1 : n;
}

rdn_status rdn_devices(rdn_device_info *out, int max, int *n, char *msg, size_t msglen) {
  cl_platform_id plat[MAXD];
  cl_device_id dev[MAXD];
  int pi[MAXD], di[MAXD];
  char tmp[256];
  int cnt = enumerate(plat, dev, pi, di, tmp, sizeof tmp);
  if (n) *n = 0;
  if (cnt < 0) {
    if (msg && msglen) snprintf(msg, msglen, "rdn_devices: %s", tmp);
    return RDN_ENODEV;
  }
  for (int i = 0; i < cnt && i < max; i++) rdn__device_describe(plat[i], dev[i], pi[i], di[i],
                                                                &out[i]);
  if (n) *n = cnt;
  return RDN_OK;
}

static int icontains(const char *hay, const char *needle) {
  size_t nl = strlen(needle);
  for (; *hay; hay++) {
    size_t i = 0;
    while (i < nl && hay[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
      i++;
    if (i == nl) return 1;
  }
  return nl == 0;
}

/* Picks the device for spec; fills platform/device or returns ENODEV with a message. */
rdn_status rdn__device_select(const char *spec, cl_platform_id *op, cl_device_id *od,
                              rdn_device_info *info, char *msg, size_t msglen) {
  cl_platform_id plat[MAXD];
  cl_device_id dev[MAXD];
  int pi[MAXD], di[MAXD], pick = -1;
  char tmp[256];
  int cnt = enumerate(plat, dev, pi, di, tmp, sizeof tmp);
  const char *src = "argument";
  if (cnt < 0) {
    snprintf(msg, msglen, "rdn_ctx_create: %s", tmp);
    return RDN_ENODEV;
  }
  if (!spec || !*spec) {
    spec = getenv("RDN_DEVICE");
    src = "RDN_DEVICE";
  }
  for (int pass = 0; pass < 2 && pick < 0 && (!spec || !*spec); pass++)
    for (int i = 0; i < cnt && pick < 0; i++) {   /* default: first GPU, else first CPU */
      rdn_device_info in;
      rdn__device_describe(plat[i], dev[i], pi[i], di[i], &in);
      if (pass == 0 ? in.is_gpu : 1) pick = i;
    }
  if (pick < 0 && spec && *spec) {
    int p, d, used = 0;
    int want_gpu = !strcmp(spec, "gpu"), want_cpu = !strcmp(spec, "cpu");
    if (sscanf(spec, "%d:%d%n", &p, &d, &used) == 2 && spec[used] == 0) {
      for (int i = 0; i < cnt; i++)
        if (pi[i] == p && di[i] == d) pick = i;
    } else {
      for (int i = 0; i < cnt && pick < 0; i++) {
        rdn_device_info in;
        rdn__device_describe(plat[i], dev[i], pi[i], di[i], &in);
        if ((want_gpu && in.is_gpu) || (want_cpu && in.is_cpu) ||
            (!want_gpu && !want_cpu && icontains(in.name, spec)))
          pick = i;
      }
    }
    if (pick < 0) {
      snprintf(msg, msglen, "rdn_ctx_create: no OpenCL device matches %s '%s' "
               "(use cpu, gpu, P:D or a name substring; `rdn --devices` lists %d device%s)",
               src, spec, cnt, cnt == 1 ? "" : "s");
      return RDN_ENODEV;
    }
  }
  *op = plat[pick];
  *od = dev[pick];
  rdn__device_describe(plat[pick], dev[pick], pi[pick], di[pick], info);
  return RDN_OK;
}
