/*
** l_data.c -- files for datasets and models: rdn.idx_load (IDX, plain or gzip) and
** safetensors (rdn.safetensors_load / rdn.safetensors_save).  A missing or unreadable
** file returns nil, msg; a corrupt file or a bad argument raises.
*/
#include "l_util.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef RDN_HAVE_ZLIB
#include <zlib.h>
#endif

/* Pushes nil, msg for RDN_EIO; raises for anything else. */
static int io_result(lua_State *L, rdn_ctx *ctx, rdn_status s) {
  if (s != RDN_EIO) return rdn__lua_fail(L, ctx, s);
  luaL_pushfail(L);
  lua_pushstring(L, rdn_ctx_error(ctx));
  return 2;
}

/* core.idx_load(path) -> tensor (f32 [n, ...] images, i32 [n] labels) | nil, msg */
static int l_idx_load(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  rdn_ctx *ctx = rdn__lua_ctx(L);
  l_tensor *ud = rdn__lua_newtensor(L);
  rdn_status s = rdn_idx_load(ctx, path, &ud->t);
  if (s != RDN_OK) return io_result(L, ctx, s);
  return 1;
}

/* core.safetensors_load(path) -> { names = {...}, tensors = {name = t}, metadata = {k = v} }
** | nil, msg.  names lists the tensors in header order. */
static int l_safetensors_load(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  rdn_ctx *ctx = rdn__lua_ctx(L);
  rdn_safetensors *f = NULL;
  rdn_status s = rdn_safetensors_load(ctx, path, &f);
  if (s != RDN_OK) return io_result(L, ctx, s);
  /* build the tables; each tensor gets its own reference before f is destroyed */
  size_t n = rdn_safetensors_count(f), nm = rdn_safetensors_meta_count(f);
  lua_createtable(L, 0, 3);
  lua_createtable(L, (int)n, 0);
  lua_createtable(L, 0, (int)n);
  for (size_t i = 0; i < n; i++) {
    lua_pushstring(L, rdn_safetensors_name(f, i));
    lua_rawseti(L, -3, (lua_Integer)i + 1);
    l_tensor *ud = rdn__lua_newtensor(L);
    ud->t = rdn_tensor_retain(rdn_safetensors_tensor(f, i));
    lua_setfield(L, -2, rdn_safetensors_name(f, i));
  }
  lua_setfield(L, -3, "tensors");
  lua_setfield(L, -2, "names");
  lua_createtable(L, 0, (int)nm);
  for (size_t i = 0; i < nm; i++) {
    lua_pushstring(L, rdn_safetensors_meta_value(f, i));
    lua_setfield(L, -2, rdn_safetensors_meta_key(f, i));
  }
  lua_setfield(L, -2, "metadata");
  rdn_safetensors_destroy(f);
  return 1;
}

/* core.safetensors_save(path, {{name, t}, ...} [, {key = "value"}]) -> true | nil, msg.
** Written to a temp file and renamed: a failure leaves no partial file. */
static int l_safetensors_save(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  if (!lua_isnoneornil(L, 3)) luaL_checktype(L, 3, LUA_TTABLE);
  lua_settop(L, 3);
  size_t n = (size_t)lua_rawlen(L, 2), nm = 0;
  if (!lua_isnil(L, 3))
    for (lua_pushnil(L); lua_next(L, 3); lua_pop(L, 1)) nm++;
  /* arrays owned by a userdata, so an error below frees them */
  void **mem = lua_newuserdatauv(L, (2 * n + 2 * nm + 2) * sizeof(void *), 0);
  const char **names = (const char **)mem;
  const rdn_tensor **ts = (const rdn_tensor **)(mem + n + 1);
  const char **keys = (const char **)(mem + 2 * n + 2), **vals = keys + nm;
  for (size_t i = 0; i < n; i++) {
    if (lua_rawgeti(L, 2, (lua_Integer)i + 1) != LUA_TTABLE)
      return luaL_argerror(L, 2, lua_pushfstring(L, "entry %d is not a {name, tensor} pair",
                                                 (int)i + 1));
    lua_rawgeti(L, -1, 1);
    if (lua_type(L, -1) != LUA_TSTRING)
      return luaL_argerror(L, 2, lua_pushfstring(L, "entry %d has no name string",
                                                 (int)i + 1));
    names[i] = lua_tostring(L, -1);
    lua_rawgeti(L, -2, 2);
    if (!rdn__lua_istensor(L, -1))
      return luaL_argerror(L, 2, lua_pushfstring(L, "entry %d ('%s') has no tensor",
                                                 (int)i + 1, names[i]));
    ts[i] = rdn__lua_checktensor(L, lua_gettop(L));
    lua_pop(L, 3);     /* the name and tensor stay anchored by the table at arg 2 */
  }
  size_t j = 0;
  if (!lua_isnil(L, 3))
    for (lua_pushnil(L); lua_next(L, 3); lua_pop(L, 1)) {
      if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
        return luaL_argerror(L, 3, "metadata must map strings to strings");
      keys[j] = lua_tostring(L, -2);
      vals[j++] = lua_tostring(L, -1);
    }
  /* sorted keys: the same model gives the same bytes whatever the table order */
  for (size_t a = 1; a < nm; a++)
    for (size_t b = a; b > 0 && strcmp(keys[b - 1], keys[b]) > 0; b--) {
      const char *tk = keys[b], *tv = vals[b];
      keys[b] = keys[b - 1];
      vals[b] = vals[b - 1];
      keys[b - 1] = tk;
      vals[b - 1] = tv;
    }
  rdn_ctx *ctx = n ? rdn_tensor_ctx(ts[0]) : rdn__lua_ctx(L);
  rdn_status s = rdn_safetensors_save(ctx, path, n, names, ts, nm, keys, vals);
  if (s != RDN_OK) return io_result(L, ctx, s);
  lua_pushboolean(L, 1);
  return 1;
}

/* core.read_file(path) -> string | nil, msg: the whole file, gunzipped when it is gzip
** (zlib reads plain files too), for text datasets such as digits.csv.gz. */
static int l_read_file(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  luaL_Buffer b;
  char buf[65536];
  int n;
#ifdef RDN_HAVE_ZLIB
  gzFile f = gzopen(path, "rb");
#else
  FILE *f = fopen(path, "rb");
#endif
  if (!f) return luaL_fileresult(L, 0, path);
  luaL_buffinit(L, &b);
  for (;;) {
#ifdef RDN_HAVE_ZLIB
    n = gzread(f, buf, sizeof buf);
#else
    n = (int)fread(buf, 1, sizeof buf, f);
#endif
    if (n <= 0) break;
    luaL_addlstring(&b, buf, (size_t)n);
  }
#ifdef RDN_HAVE_ZLIB
  int code = 0;
  const char *msg = n < 0 ? gzerror(f, &code) : NULL;
  if (msg && code == Z_ERRNO) msg = strerror(errno);
  gzclose(f);
#else
  const char *msg = ferror(f) ? strerror(errno) : NULL;
  fclose(f);
#endif
  if (msg) {
    luaL_pushfail(L);
    lua_pushfstring(L, "%s: %s", path, msg);
    return 2;
  }
  luaL_pushresult(&b);
  return 1;
}

/* core.waves(mode, n_per_class, T, seed [, dtype]) -> x [k n, 1, T], k: noise-free
** sinusoid classes (SPEC §1.7). */
static int l_waves(lua_State *L) {
  int mode = (int)luaL_checkinteger(L, 1);
  lua_Integer n = luaL_checkinteger(L, 2), t = luaL_checkinteger(L, 3);
  lua_Integer seed = luaL_checkinteger(L, 4);
  rdn_dtype dt = rdn__lua_checkdtype(L, 5, RDN_F32);
  int k = rdn_waves_classes(mode);
  luaL_argcheck(L, k > 0, 1, "unknown mode (1, 2, 3, 5, 7, 8, 9)");
  luaL_argcheck(L, n >= 1 && n <= (1 << 24), 2, "n_per_class out of range");
  luaL_argcheck(L, t >= 1 && t <= (1 << 24), 3, "T out of range");
  rdn_ctx *ctx = rdn__lua_ctx(L);
  size_t shape[3] = { (size_t)k * (size_t)n, 1, (size_t)t };
  rdn_tensor *x = rdn__lua_pushnew(L, ctx, dt, 3, shape);
  rdn_status s = rdn_waves(ctx, x, mode, (size_t)n, (uint64_t)seed);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  lua_pushinteger(L, k);
  return 2;
}

static const luaL_Reg data_funcs[] = {
  { "waves", l_waves },
  { "idx_load", l_idx_load }, { "read_file", l_read_file },
  { "safetensors_load", l_safetensors_load },
  { "safetensors_save", l_safetensors_save }, { NULL, NULL }
};

void rdn__lua_open_data(lua_State *L) { luaL_setfuncs(L, data_funcs, 0); }
