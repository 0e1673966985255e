/*
** l_spectral.c -- the spectral (shift-invariant) ReduNet primitives (runtime spectral.c)
** for lua/rdn/nn: ortho FFT into / out of spectra [F, m, C], per-frequency operators, the
** fused layer.  A geometry is a table
** {rank = 1|2, h = H, w = W (or T), half = true|false}.
*/
#include "l_util.h"

#define MAXK 256

static rdn_spectral_geom check_geom(lua_State *L, int arg) {
  static const char *const known[] = { "rank", "h", "w", "half", NULL };
  rdn_spectral_geom g;
  luaL_checktype(L, arg, LUA_TTABLE);
  rdn__lua_checkopts(L, arg, known);
  g.rank = (int)rdn__lua_optinteger(L, arg, "rank", 1);
  lua_Integer h = rdn__lua_optinteger(L, arg, "h", 1), w = rdn__lua_optinteger(L, arg, "w", 0);
  luaL_argcheck(L, h >= 1 && w >= 1, arg, "geometry sizes must be >= 1");
  g.h = (size_t)h;
  g.w = (size_t)w;
  g.half = rdn__lua_optbool(L, arg, "half", 1);
  return g;
}

/* core.spectral_enter(x, geom) -> v c64 [F, m, C]. */
static int l_enter(lua_State *L) {
  rdn_tensor *x = rdn__lua_checktensor(L, 1);
  rdn_spectral_geom g = check_geom(L, 2);
  rdn_ctx *ctx = rdn_tensor_ctx(x);
  size_t shape[3] = { rdn_spectral_nfreq(&g), rdn_tensor_dim(x, 0), rdn_tensor_dim(x, 1) };
  luaL_argcheck(L, rdn_tensor_ndim(x) >= 3, 1, "x must be [m, C, T] or [m, C, H, W]");
  rdn_tensor *out = rdn__lua_pushnew(L, ctx, RDN_C64, 3, shape);
  rdn_status s = rdn_spectral_enter(ctx, out, x, &g);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

/* core.spectral_leave(v, geom) -> x f32 [m, C, T] / [m, C, H, W], unit-norm samples. */
static int l_leave(lua_State *L) {
  rdn_tensor *v = rdn__lua_checktensor(L, 1);
  rdn_spectral_geom g = check_geom(L, 2);
  rdn_ctx *ctx = rdn_tensor_ctx(v);
  luaL_argcheck(L, rdn_tensor_ndim(v) == 3, 1, "v must be c64 [F, m, C]");
  size_t shape[4] = { rdn_tensor_dim(v, 1), rdn_tensor_dim(v, 2), g.rank == 2 ? g.h : g.w, g.w };
  rdn_tensor *out = rdn__lua_pushnew(L, ctx, RDN_F32, g.rank == 2 ? 4 : 3, shape);
  rdn_status s = rdn_spectral_leave(ctx, out, v, &g);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

/* core.spectral_magnitude(v, geom) -> f32 [m, C F]: the shift-invariant read-out. */
static int l_magnitude(lua_State *L) {
  rdn_tensor *v = rdn__lua_checktensor(L, 1);
  rdn_spectral_geom g = check_geom(L, 2);
  rdn_ctx *ctx = rdn_tensor_ctx(v);
  luaL_argcheck(L, rdn_tensor_ndim(v) == 3, 1, "v must be c64 [F, m, C]");
  size_t shape[2] = { rdn_tensor_dim(v, 1), rdn_tensor_dim(v, 2) * rdn_spectral_nfreq(&g) };
  rdn_tensor *out = rdn__lua_pushnew(L, ctx, RDN_F32, 2, shape);
  rdn_status s = rdn_spectral_magnitude(ctx, out, v, &g);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

/* core.spectral_operators(w|nil, v, y, k, eps_sq, geom) -> gamma, dR, R, Rc. */
static int l_operators(lua_State *L) {
  rdn_tensor *w = rdn__lua_opttensor(L, 1), *v = rdn__lua_checktensor(L, 2);
  rdn_tensor *y = rdn__lua_checktensor(L, 3);
  lua_Integer k = luaL_checkinteger(L, 4);
  double eps = luaL_checknumber(L, 5), g[MAXK], r[3];
  rdn_spectral_geom geo = check_geom(L, 6);
  luaL_argcheck(L, k >= 1 && k <= MAXK, 4, "number of classes must be in [1, 256]");
  rdn_ctx *ctx = rdn_tensor_ctx(v);
  rdn_status s = rdn_spectral_operators(ctx, w, g, r, v, y, (int)k, eps, &geo);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return rdn__lua_pushrates(L, g, (int)k, r);
}

/* ---- Woodbury operators (rdn.SpectralWB userdata) */
#define WB_MT "rdn.SpectralWB"
typedef struct { rdn_spectral_wb *wb; } l_wb;

static l_wb *new_wb(lua_State *L) {
  l_wb *u = lua_newuserdatauv(L, sizeof *u, 0);
  u->wb = NULL;
  luaL_setmetatable(L, WB_MT);
  return u;
}

static rdn_spectral_wb *check_wb(lua_State *L, int idx) {
  l_wb *u = luaL_checkudata(L, idx, WB_MT);
  if (!u->wb) luaL_error(L, "attempt to use released Woodbury operators");
  return u->wb;
}

static int l_wb_gc(lua_State *L) {
  l_wb *u = luaL_checkudata(L, 1, WB_MT);
  rdn_spectral_wb_destroy(u->wb);
  u->wb = NULL;
  return 0;
}

static void push_retained(lua_State *L, rdn_tensor *t) {
  l_tensor *ud = rdn__lua_newtensor(L);
  ud->t = rdn_tensor_retain(t);
}

/* wb:parts() -> e, zs, ninv, counts (table of k integers). */
static int l_wb_parts(lua_State *L) {
  rdn_spectral_wb *wb = check_wb(L, 1);
  rdn_tensor *e, *z, *n;
  size_t cnt[MAXK];
  rdn_spectral_wb_parts(wb, &e, &z, &n, cnt);
  push_retained(L, e);
  push_retained(L, z);
  push_retained(L, n);
  size_t m = rdn_tensor_dim(z, 0) / rdn_tensor_dim(e, 0), tot = 0;
  lua_newtable(L);
  for (int j = 0; tot < m && j < MAXK; j++) {
    tot += cnt[j];
    lua_pushinteger(L, (lua_Integer)cnt[j]);
    lua_rawseti(L, -2, j + 1);
  }
  return 4;
}

static int l_wb_bytes(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)rdn_spectral_wb_bytes(check_wb(L, 1)));
  return 1;
}

/* core.spectral_wb(v, y, k, eps_sq, geom) -> wb, gamma, dR, R, Rc. */
static int l_wb_create(lua_State *L) {
  rdn_tensor *v = rdn__lua_checktensor(L, 1), *y = rdn__lua_checktensor(L, 2);
  lua_Integer k = luaL_checkinteger(L, 3);
  double eps = luaL_checknumber(L, 4), g[MAXK], r[3];
  rdn_spectral_geom geo = check_geom(L, 5);
  luaL_argcheck(L, k >= 1 && k <= MAXK, 3, "number of classes must be in [1, 256]");
  rdn_ctx *ctx = rdn_tensor_ctx(v);
  l_wb *u = new_wb(L);
  rdn_status s = rdn_spectral_wb_create(ctx, &u->wb, g, r, v, y, (int)k, eps, &geo);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  rdn__lua_pushrates(L, g, (int)k, r);
  return 5;
}

/* core.spectral_wb_assemble(e, zs, ninv, counts, eps_sq) -> wb. */
static int l_wb_assemble(lua_State *L) {
  rdn_tensor *e = rdn__lua_checktensor(L, 1), *z = rdn__lua_checktensor(L, 2);
  rdn_tensor *n = rdn__lua_checktensor(L, 3);
  luaL_checktype(L, 4, LUA_TTABLE);
  double eps = luaL_checknumber(L, 5);
  int k = (int)lua_rawlen(L, 4);
  size_t cnt[MAXK];
  luaL_argcheck(L, k >= 1 && k <= MAXK, 4, "counts must hold 1 to 256 integers");
  for (int j = 0; j < k; j++) {
    int ok = 0;
    lua_rawgeti(L, 4, j + 1);
    lua_Integer c = lua_tointegerx(L, -1, &ok);
    lua_pop(L, 1);
    luaL_argcheck(L, ok && c >= 0, 4, "counts must be non-negative integers");
    cnt[j] = (size_t)c;
  }
  rdn_ctx *ctx = rdn_tensor_ctx(e);
  l_wb *u = new_wb(L);
  rdn_status s = rdn_spectral_wb_assemble(ctx, &u->wb, e, z, n, cnt, k, eps);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

/* core.spectral_layer(v, w | wb, gamma, eta, lambda, geom [, labels [, pi]]) -> v (in
** place); w the direct operators, wb Woodbury operators from core.spectral_wb. */
static int l_layer(lua_State *L) {
  rdn_tensor *v = rdn__lua_checktensor(L, 1), *w = NULL;
  rdn_spectral_wb *wb = luaL_testudata(L, 2, WB_MT) ? check_wb(L, 2) : NULL;
  if (!wb) w = rdn__lua_checktensor(L, 2);
  double g[MAXK];
  int k = rdn__lua_checknumarray(L, 3, "gamma", g, MAXK);
  double eta = luaL_checknumber(L, 4), lam = luaL_checknumber(L, 5);
  rdn_spectral_geom geo = check_geom(L, 6);
  rdn_tensor *y = rdn__lua_opttensor(L, 7), *pi = rdn__lua_opttensor(L, 8);
  rdn_ctx *ctx = rdn_tensor_ctx(v);
  if (w && rdn_tensor_ndim(w) == 4 && rdn_tensor_dim(w, 0) != (size_t)k + 1)
    luaL_argerror(L, 3, lua_pushfstring(L, "gamma has %d values, w holds %d operators", k,
                                        (int)rdn_tensor_dim(w, 0)));
  rdn_status s = wb ? rdn_spectral_layer_wb(ctx, v, wb, g, eta, lam, y, pi, &geo)
                    : rdn_spectral_layer(ctx, v, w, g, eta, lam, y, pi, &geo);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  lua_settop(L, 1);
  return 1;
}

static const luaL_Reg spectral_funcs[] = {
  { "spectral_enter", l_enter }, { "spectral_leave", l_leave },
  { "spectral_magnitude", l_magnitude }, { "spectral_wb", l_wb_create },
  { "spectral_wb_assemble", l_wb_assemble },
  { "spectral_operators", l_operators }, { "spectral_layer", l_layer },
  { NULL, NULL }
};

static const luaL_Reg wb_methods[] = {
  { "parts", l_wb_parts }, { "bytes", l_wb_bytes }, { "release", l_wb_gc }, { NULL, NULL }
};

void rdn__lua_open_spectral(lua_State *L) {
  static const luaL_Reg meta[] = { { "__gc", l_wb_gc }, { "__close", l_wb_gc }, { NULL, NULL } };
  luaL_newmetatable(L, WB_MT);
  luaL_setfuncs(L, meta, 0);
  luaL_newlib(L, wb_methods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  luaL_setfuncs(L, spectral_funcs, 0);
}
