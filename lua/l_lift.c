/*
** l_lift.c -- Lua binding of the lifting convolution (rdn_lift_method, runtime/lift.c): the
** random-filter front-end of the spectral ReduNet (lua/rdn/nn/lift.lua).
*/
#include "l_util.h"
#include <string.h>

/* core.lift(x, w [, relu = true [, method = "auto"]]) -> out [m, Cout, T] / [m, Cout, H, W];
** method: "auto" | "direct" | "fft" (rdn_lift_algo). */
static int l_lift(lua_State *L) {
  static const char *const names[] = { "auto", "direct", "fft" };
  rdn_tensor *x = rdn__lua_checktensor(L, 1), *w = rdn__lua_checktensor(L, 2);
  int relu = lua_isnoneornil(L, 3) ? 1 : lua_toboolean(L, 3);
  const char *mn = luaL_optstring(L, 4, "auto");
  int algo = -1;
  for (int i = 0; i < 3; i++)
    if (!strcmp(mn, names[i])) algo = i;
  if (algo < 0)
    return luaL_argerror(L, 4, lua_pushfstring(L, "method must be 'auto', 'direct' or 'fft', "
                                               "got '%s'", mn));
  rdn_ctx *ctx = rdn_tensor_ctx(x);
  int nd = rdn_tensor_ndim(x);
  luaL_argcheck(L, nd == 3 || nd == 4, 1, "x must be [m, C, T] or [m, C, H, W]");
  size_t shape[4] = { rdn_tensor_dim(x, 0), rdn_tensor_dim(w, 0), rdn_tensor_dim(x, 2),
                      rdn_tensor_dim(x, 3) };
  rdn_tensor *out = rdn__lua_pushnew(L, ctx, rdn_tensor_dtype(x), nd, shape);
  rdn_status s = rdn_lift_method(ctx, out, x, w, relu, (rdn_lift_algo)algo);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

static const luaL_Reg lift_funcs[] = { { "lift", l_lift }, { NULL, NULL } };

void rdn__lua_open_lift(lua_State *L) { luaL_setfuncs(L, lift_funcs, 0); }
