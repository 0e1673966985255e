/*
** l_ctx.c -- the default context seen from Lua: device information (rdn.device,
** rdn.devices), program-cache statistics, the binary cache directory, queue finish
** and the library version.
*/
#include "l_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MAX_DEVICES 64

static void setstr(lua_State *L, const char *k, const char *v) {
  lua_pushstring(L, v);
  lua_setfield(L, -2, k);
}

static void setint(lua_State *L, const char *k, lua_Integer v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, k);
}

/* {name, vendor, platform, driver, version, type = "cpu"|"gpu"|"other", fp64,
**  compute_units, global_mem, max_alloc, max_work_group, index = "P:D"} */
static void push_info(lua_State *L, const rdn_device_info *d) {
  lua_createtable(L, 0, 12);
  setstr(L, "name", d->name);
  setstr(L, "vendor", d->vendor);
  setstr(L, "platform", d->platform_name);
  setstr(L, "driver", d->driver);
  setstr(L, "version", d->version);
  setstr(L, "type", d->is_gpu ? "gpu" : d->is_cpu ? "cpu" : "other");
  lua_pushboolean(L, d->has_fp64);
  lua_setfield(L, -2, "fp64");
  setint(L, "compute_units", d->compute_units);
  setint(L, "global_mem", (lua_Integer)d->global_mem);
  setint(L, "max_alloc", (lua_Integer)d->max_alloc);
  setint(L, "max_work_group", (lua_Integer)d->max_work_group);
  if (d->platform >= 0) {
    lua_pushfstring(L, "%d:%d", d->platform, d->device);
    lua_setfield(L, -2, "index");
  }
}

/* rdn.device(): the default context's device. */
static int l_device(lua_State *L) {
  push_info(L, rdn_ctx_device(rdn__lua_ctx(L)));
  return 1;
}

/* rdn.devices(): every OpenCL device, or nil, msg when no platform is installed. */
static int l_devices(lua_State *L) {
  rdn_device_info *d = lua_newuserdatauv(L, MAX_DEVICES * sizeof *d, 0);
  char msg[256];
  int n = 0;
  if (rdn_devices(d, MAX_DEVICES, &n, msg, sizeof msg) != RDN_OK) {
    luaL_pushfail(L);
    lua_pushstring(L, msg);
    return 2;
  }
  if (n > MAX_DEVICES) n = MAX_DEVICES;
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    push_info(L, &d[i]);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

/* rdn.stats(): {builds_source, builds_binary, mem_hits, launches} of the default ctx. */
static int l_stats(lua_State *L) {
  rdn_ctx_stats st;
  rdn_ctx_get_stats(rdn__lua_ctx(L), &st);
  lua_createtable(L, 0, 4);
  setint(L, "builds_source", st.builds_source);
  setint(L, "builds_binary", st.builds_binary);
  setint(L, "mem_hits", st.mem_hits);
  setint(L, "launches", st.launches);
  return 1;
}

/* rdn.finish(): waits for every enqueued kernel (for timing from Lua). */
static int l_finish(lua_State *L) {
  rdn_ctx *ctx = rdn__lua_ctx(L);
  rdn_status s = rdn_ctx_finish(ctx);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 0;
}

/* rdn.cache_dir(): the binary cache directory, or nil when RDN_CACHE_DIR=off. */
static int l_cache_dir(lua_State *L) {
  const char *d = rdn_ctx_cache_dir(rdn__lua_ctx(L));
  if (d) lua_pushstring(L, d);
  else lua_pushnil(L);
  return 1;
}

/* rdn.device_time(): device ms of all kernels so far (RDN_PROFILE=1), else nil, msg. */
static int l_device_time(lua_State *L) {
  rdn_ctx *ctx = rdn__lua_ctx(L);
  double ms = 0;
  if (rdn_ctx_device_time(ctx, &ms) != RDN_OK) {
    luaL_pushfail(L);
    lua_pushstring(L, rdn_ctx_error(ctx));
    return 2;
  }
  lua_pushnumber(L, ms);
  return 1;
}

/* rdn.clock(): monotonic wall time in seconds (os.clock is CPU time of all threads). */
static int l_clock(lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec * 1e-9);
  return 1;
}

static const luaL_Reg ctx_funcs[] = {
  { "device", l_device }, { "devices", l_devices }, { "stats", l_stats },
  { "finish", l_finish }, { "cache_dir", l_cache_dir }, { "device_time", l_device_time },
  { "clock", l_clock }, { NULL, NULL }
};

void rdn__lua_open_ctx(lua_State *L) {
  luaL_setfuncs(L, ctx_funcs, 0);
  lua_pushstring(L, rdn_version());
  lua_setfield(L, -2, "version");
}
