/*
** l_npy.c -- rdn.npy.load / rdn.npy.save.  A missing or unreadable file is an expected
** failure and returns nil, msg (the luaL_fileresult convention); a corrupt file or a
** bad argument raises.
*/
#include "l_util.h"

/* core.npy_load(path) -> tensor | nil, msg */
static int l_npy_load(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  rdn_ctx *ctx = rdn__lua_ctx(L);
  l_tensor *ud = rdn__lua_newtensor(L);
  rdn_status s = rdn_npy_load(ctx, path, &ud->t);
  if (s == RDN_EIO) {
    luaL_pushfail(L);
    lua_pushstring(L, rdn_ctx_error(ctx));
    return 2;
  }
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

/* core.npy_save(path, t) -> true | nil, msg */
static int l_npy_save(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  rdn_tensor *t = rdn__lua_checktensor(L, 2);
  rdn_ctx *ctx = rdn_tensor_ctx(t);
  rdn_status s = rdn_npy_save(ctx, path, t);
  if (s == RDN_EIO) {
    luaL_pushfail(L);
    lua_pushstring(L, rdn_ctx_error(ctx));
    return 2;
  }
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  lua_pushboolean(L, 1);
  return 1;
}

static const luaL_Reg npy_funcs[] = {
  { "npy_load", l_npy_load }, { "npy_save", l_npy_save }, { NULL, NULL }
};

void rdn__lua_open_npy(lua_State *L) { luaL_setfuncs(L, npy_funcs, 0); }
