/*
** l_interp.c -- the interpolation primitives (runtime interp.c) for lua/rdn/interp.lua and
** the rdn.nn Linear / ReLU layers: rdn.linear, t:relu(), t:astype(), the sparsity / rank
** of an interpolation matrix and the triangular / hat / interval constructions.
*/
#include "l_util.h"
#include <math.h>

/* rdn.linear(x, w [, b] [, {relu = false}]) -> act(x wᵀ + b), a new [m, out] tensor. */
static int l_linear(lua_State *L) {
  static const char *const known[] = { "relu", NULL };
  rdn_tensor *x = rdn__lua_checktensor(L, 1), *w = rdn__lua_checktensor(L, 2);
  int opt = 4;
  rdn_tensor *b = NULL;
  if (lua_istable(L, 3) && !rdn__lua_istensor(L, 3)) opt = 3;
  else b = rdn__lua_opttensor(L, 3);
  rdn__lua_checkopts(L, opt, known);
  int relu = rdn__lua_optbool(L, opt, "relu", 0);
  rdn_ctx *ctx = rdn_tensor_ctx(x);
  size_t shape[2] = { rdn_tensor_dim(x, 0), rdn_tensor_dim(w, 0) };
  rdn_tensor *out = rdn__lua_pushnew(L, ctx, rdn_tensor_dtype(x), 2, shape);
  rdn_status s = rdn_linear(ctx, out, x, w, b, relu);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

/* t:relu() -> t, max(t, 0) in place. */
static int m_relu(lua_State *L) {
  rdn_tensor *t = rdn__lua_checktensor(L, 1);
  rdn_ctx *ctx = rdn_tensor_ctx(t);
  rdn_status s = rdn_relu(ctx, t);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  lua_settop(L, 1);
  return 1;
}

/* t:astype(dtype) -> a new tensor of the same shape converted to "f32" or "f64". */
static int m_astype(lua_State *L) {
  rdn_tensor *t = rdn__lua_checktensor(L, 1);
  rdn_dtype dt = rdn__lua_checkdtype(L, 2, RDN_F32);
  rdn_ctx *ctx = rdn_tensor_ctx(t);
  size_t shape[RDN_MAX_DIMS];
  int nd = rdn_tensor_ndim(t);
  for (int i = 0; i < nd; i++) shape[i] = rdn_tensor_dim(t, i);
  rdn_tensor *o = rdn__lua_pushnew(L, ctx, dt, nd, shape);
  rdn_status s = rdn_convert(ctx, o, t);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

static void setint(lua_State *L, const char *k, size_t v) {
  lua_pushinteger(L, (lua_Integer)v);
  lua_setfield(L, -2, k);
}
static void setnum(lua_State *L, const char *k, double v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, k);
}

/* rdn.interp_stats(a [, {rank = true}]) -> {nnz, row_min, row_max, col_min, col_max,
** row_nnz, col_nnz (i32 tensors), and with rank: rank, tol, pivot_min, pivot_max}. */
static int l_stats(lua_State *L) {
  static const char *const known[] = { "rank", NULL };
  rdn_tensor *a = rdn__lua_checktensor(L, 1);
  rdn__lua_checkopts(L, 2, known);
  int want = rdn__lua_optbool(L, 2, "rank", 1);
  rdn_ctx *ctx = rdn_tensor_ctx(a);
  size_t m = rdn_tensor_dim(a, 0), n = rdn_tensor_dim(a, -1);
  rdn_interp_info st;
  lua_settop(L, 2);
  rdn_tensor *rn = rdn__lua_pushnew(L, ctx, RDN_I32, 1, &m);      /* 3 */
  rdn_tensor *cn = rdn__lua_pushnew(L, ctx, RDN_I32, 1, &n);      /* 4 */
  rdn_status s = rdn_interp_stats(ctx, a, rn, cn, want, &st);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  lua_createtable(L, 0, 12);
  setint(L, "nnz", st.nnz);
  setint(L, "row_min", st.row_min);
  setint(L, "row_max", st.row_max);
  setint(L, "col_min", st.col_min);
  setint(L, "col_max", st.col_max);
  if (want) {
    setint(L, "rank", st.rank);
    setnum(L, "tol", st.tol);
    setnum(L, "pivot_min", st.pivot_min);
    setnum(L, "pivot_max", st.pivot_max);
  }
  lua_pushvalue(L, 3);
  lua_setfield(L, -2, "row_nnz");
  lua_pushvalue(L, 4);
  lua_setfield(L, -2, "col_nnz");
  return 1;
}

/* Moves a tensor out of the net into a new userdata on the stack (nil when NULL). */
static void push_owned(lua_State *L, rdn_tensor **t) {
  if (!*t) {
    lua_pushnil(L);
    return;
  }
  l_tensor *ud = rdn__lua_newtensor(L);
  ud->t = *t;
  *t = NULL;
}

/* rdn.interp_build(kind, x, y, dirs [, {f32 = false, classes = k, warn_tol = 1e-3}]) ->
** {w = {W1, W2[, W3]}, b = {...}, order, direction (1-based row of dirs), units = {n1[, n2]},
** duplicates, min_gap, delta, cond, max_error (nil when not defined), solve = "f64"|"f32",
** warning (nil when none)}.  kind: "triangular", "hat" or "interval". */
static int l_build(lua_State *L) {
  static const char *const kinds[] = { "triangular", "hat", "interval", NULL };
  static const char *const known[] = { "f32", "classes", "warn_tol", NULL };
  int kind = luaL_checkoption(L, 1, NULL, kinds);
  rdn_tensor *x = rdn__lua_checktensor(L, 2), *y = rdn__lua_checktensor(L, 3);
  rdn_tensor *dirs = rdn__lua_checktensor(L, 4);
  rdn__lua_checkopts(L, 5, known);
  rdn_interp_opts o;
  o.kind = (rdn_interp_kind)kind;
  o.force_f32 = rdn__lua_optbool(L, 5, "f32", 0);
  o.classes = (int)rdn__lua_optinteger(L, 5, "classes", 0);
  o.warn_tol = rdn__lua_optnumber(L, 5, "warn_tol", 0);
  rdn_ctx *ctx = rdn_tensor_ctx(x);
  rdn_interp_net net;
  rdn_status s = rdn_interp_build(ctx, &net, x, y, dirs, &o);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  /* tensors move into userdata one by one (only a Lua memory error before the free below
  ** could leave the rest of the net unreleased) */
  lua_createtable(L, 0, 14);
  lua_createtable(L, 3, 0);
  lua_createtable(L, 3, 0);
  for (int i = 0; i < net.nlinear; i++) {
    push_owned(L, &net.w[i]);
    lua_rawseti(L, -3, i + 1);
    push_owned(L, &net.b[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -3, "b");
  lua_setfield(L, -2, "w");
  push_owned(L, &net.order);
  lua_setfield(L, -2, "order");
  rdn_interp_net_free(&net);
  setint(L, "direction", net.direction + 1);
  lua_createtable(L, 2, 0);
  for (int i = 0; i < net.nlinear - 1; i++) {
    lua_pushinteger(L, (lua_Integer)net.units[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "units");
  setint(L, "duplicates", net.duplicates);
  setnum(L, "min_gap", net.min_gap);
  setnum(L, "delta", net.delta);
  setnum(L, "cond", net.cond);
  if (!isnan(net.max_error)) setnum(L, "max_error", net.max_error);
  lua_pushstring(L, net.solve_f64 ? "f64" : "f32");
  lua_setfield(L, -2, "solve");
  if (net.warned) {
    lua_pushstring(L, net.warning);
    lua_setfield(L, -2, "warning");
  }
  return 1;
}

static const luaL_Reg interp_funcs[] = {
  { "linear", l_linear }, { "interp_stats", l_stats }, { "interp_build", l_build },
  { NULL, NULL }
};

static const luaL_Reg interp_methods[] = {
  { "relu", m_relu }, { "astype", m_astype }, { NULL, NULL }
};

void rdn__lua_open_interp(lua_State *L) {
  luaL_setfuncs(L, interp_funcs, 0);
  rdn__lua_methods(L, interp_methods);
}
