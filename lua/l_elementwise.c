/*
** l_elementwise.c -- streaming ops on tensors (runtime elementwise.c / random.c):
** t:scale, t:axpby, t:check_finite, rdn.randn / t:randn and the default seed counter.
*/
#include "l_util.h"

/* t:scale(a): t = a t in place; returns t. */
static int m_scale(lua_State *L) {
  rdn_tensor *t = rdn__lua_checktensor(L, 1);
  rdn_status s = rdn_scale(rdn_tensor_ctx(t), t, luaL_checknumber(L, 2));
  if (s != RDN_OK) return rdn__lua_fail(L, rdn_tensor_ctx(t), s);
  lua_settop(L, 1);
  return 1;
}

/* t:axpby(a, x, b): t = a x + b t in place (same dtype and numel); returns t. */
static int m_axpby(lua_State *L) {
  rdn_tensor *y = rdn__lua_checktensor(L, 1);
  double a = luaL_checknumber(L, 2);
  rdn_tensor *x = rdn__lua_checktensor(L, 3);
  double b = luaL_checknumber(L, 4);
  rdn_status s = rdn_axpby(rdn_tensor_ctx(y), y, a, x, b);
  if (s != RDN_OK) return rdn__lua_fail(L, rdn_tensor_ctx(y), s);
  lua_settop(L, 1);
  return 1;
}

/* t:check_finite([name]): raises naming `name`, the flat index and the value on the
** first NaN/Inf; returns t. */
static int m_check_finite(lua_State *L) {
  rdn_tensor *t = rdn__lua_checktensor(L, 1);
  const char *name = luaL_optstring(L, 2, "x");
  rdn_status s = rdn_check_finite(rdn_tensor_ctx(t), t, name);
  if (s != RDN_OK) return rdn__lua_fail(L, rdn_tensor_ctx(t), s);
  lua_settop(L, 1);
  return 1;
}

/* Seeds of randn calls without an explicit seed: 1, 2, 3, ... per lua_State, so a
** script gives the same numbers on every run while successive calls differ. */
static const char seed_key = 's';

static lua_Integer next_seed(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &seed_key);
  lua_Integer s = lua_tointeger(L, -1) + 1;
  lua_pop(L, 1);
  lua_pushinteger(L, s);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &seed_key);
  return s;
}

/* rdn.seed(s): the next unseeded randn uses seed s + 1. */
static int l_seed(lua_State *L) {
  lua_Integer s = luaL_checkinteger(L, 1);
  lua_pushinteger(L, s);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &seed_key);
  return 0;
}

static rdn_status fill_randn(lua_State *L, rdn_tensor *t, int has_seed, lua_Integer seed) {
  if (!has_seed) seed = next_seed(L);
  return rdn_randn(rdn_tensor_ctx(t), t, (uint64_t)seed);
}

/* rdn.randn{2, 3, seed = s, dtype = "f32"} / rdn.randn(2, 3 [, dtype]): N(0, 1) samples. */
static int l_randn(lua_State *L) {
  static const char *const known[] = { "seed", NULL };
  rdn__lua_newargs a;
  rdn__lua_checknewargs(L, 1, 0, known, &a);
  int has = 0;
  lua_Integer seed = 0;
  if (a.opts) {
    lua_getfield(L, a.opts, "seed");
    has = !lua_isnil(L, -1);
    lua_pop(L, 1);
    seed = rdn__lua_optinteger(L, a.opts, "seed", 0);
  }
  rdn_ctx *ctx = rdn__lua_ctx(L);
  rdn_tensor *t = rdn__lua_pushnew(L, ctx, a.dtype, a.ndim, a.shape);
  rdn_status s = fill_randn(L, t, has, seed);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

/* t:randn([seed]): refills t in place; returns t. */
static int m_randn(lua_State *L) {
  rdn_tensor *t = rdn__lua_checktensor(L, 1);
  int has = !lua_isnoneornil(L, 2);
  lua_Integer seed = has ? luaL_checkinteger(L, 2) : 0;
  rdn_status s = fill_randn(L, t, has, seed);
  if (s != RDN_OK) return rdn__lua_fail(L, rdn_tensor_ctx(t), s);
  lua_settop(L, 1);
  return 1;
}

static const luaL_Reg elementwise_funcs[] = {
  { "randn", l_randn }, { "seed", l_seed }, { NULL, NULL }
};

static const luaL_Reg elementwise_methods[] = {
  { "scale", m_scale }, { "axpby", m_axpby }, { "check_finite", m_check_finite },
  { "randn", m_randn }, { NULL, NULL }
};

void rdn__lua_open_elementwise(lua_State *L) {
  luaL_setfuncs(L, elementwise_funcs, 0);
  rdn__lua_methods(L, elementwise_methods);
}
