/*
** l_scatter.c -- the separation/concentration primitives (runtime shrink.c) and the 2-D
** scattering transform (scattering.c) for lua/rdn/nn and rdn.metrics: rdn.shrink,
** rdn.count_above, rdn.cabs, rdn.cmul_bank, rdn.fourier_subsample, rdn.channel_*,
** rdn.transpose and rdn.scattering2d{...} (an "rdn.Scattering" userdata).
*/
#include "l_util.h"
#include <string.h>

#define SCAT_MT "rdn.Scattering"
typedef struct { rdn_scattering *s; } l_scat;

static rdn_shrink_kind check_kind(lua_State *L, int t) {
  const char *k = rdn__lua_optstring(L, t, "kind", "soft");
  if (!strcmp(k, "soft")) return RDN_SHRINK_SOFT;
  if (!strcmp(k, "relu")) return RDN_SHRINK_RELU;
  return (rdn_shrink_kind)luaL_argerror(L, t, lua_pushfstring(L, "kind must be 'soft' or "
                                                                 "'relu', got '%s'", k));
}

/* The `out` field of the option table at t (t = 0: none) or a new tensor shaped like x;
** either way pushed on the stack. */
static rdn_tensor *out_like(lua_State *L, int t, rdn_tensor *x, rdn_dtype dt) {
  if (t && lua_istable(L, t)) {
    if (lua_getfield(L, t, "out") != LUA_TNIL) return rdn__lua_checktensor(L, -1);
    lua_pop(L, 1);
  }
  size_t sh[RDN_MAX_DIMS];
  int nd = rdn_tensor_ndim(x);
  for (int i = 0; i < nd; i++) sh[i] = rdn_tensor_dim(x, i);
  return rdn__lua_pushnew(L, rdn_tensor_ctx(x), dt, nd, sh);
}

/* The output tensor argument at idx (the last argument; pushed again on top) or, when
** none/nil, a new tensor like x. */
static rdn_tensor *out_arg(lua_State *L, int idx, rdn_tensor *x) {
  rdn_tensor *o = rdn__lua_opttensor(L, idx);
  lua_settop(L, idx);
  if (!o) return out_like(L, 0, x, rdn_tensor_dtype(x));
  lua_pushvalue(L, idx);
  return o;
}

/* rdn.shrink(x, lambda [, {kind = "soft"|"relu", inner = n, out = t}]) -> out: soft
** threshold sign(x) max(|x| - lambda, 0) (or relu(x - lambda)); lambda a number or a tensor
** of per-channel values (x viewed as [outer, C, inner], inner default 1: channels last).
** A new tensor unless `out` is given (out = x works in place). */
static int l_shrink(lua_State *L) {
  static const char *const known[] = { "kind", "inner", "out", NULL };
  rdn_tensor *x = rdn__lua_checktensor(L, 1);
  rdn__lua_checkopts(L, 3, known);
  rdn_shrink_kind kind = check_kind(L, 3);
  lua_Integer inner = rdn__lua_optinteger(L, 3, "inner", 1);
  luaL_argcheck(L, inner >= 1, 3, "inner must be >= 1");
  rdn_tensor *lam = rdn__lua_istensor(L, 2) ? rdn__lua_checktensor(L, 2) : NULL;
  double l = lam ? 0 : luaL_checknumber(L, 2);
  rdn_tensor *o = out_like(L, 3, x, rdn_tensor_dtype(x));
  rdn_ctx *ctx = rdn_tensor_ctx(x);
  rdn_status s = lam ? rdn_shrink_channels(ctx, o, x, kind, lam, (size_t)inner)
                     : rdn_shrink(ctx, o, x, kind, l);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

/* rdn.count_above(x, t) -> number of elements with |x| > t. */
static int l_count_above(lua_State *L) {
  rdn_tensor *x = rdn__lua_checktensor(L, 1);
  size_t n = 0;
  rdn_status s = rdn_count_above(rdn_tensor_ctx(x), x, luaL_checknumber(L, 2), &n);
  if (s != RDN_OK) return rdn__lua_fail(L, rdn_tensor_ctx(x), s);
  lua_pushinteger(L, (lua_Integer)n);
  return 1;
}

/* rdn.cabs(x) -> |x| (f32, shape of x) for c64 x. */
static int l_cabs(lua_State *L) {
  rdn_tensor *x = rdn__lua_checktensor(L, 1);
  rdn_tensor *o = out_like(L, 2, x, RDN_F32);
  rdn_status s = rdn_cabs(rdn_tensor_ctx(x), o, x);
  if (s != RDN_OK) return rdn__lua_fail(L, rdn_tensor_ctx(x), s);
  return 1;
}

/* rdn.cmul_bank(x, filt [, {conj = false}]) -> out c64 [B, F, P]: x (c64, B spectra of P
** points) times each of the F filters of filt (c64 or f32 [F, P...]; rank 1: F = 1). */
static int l_cmul_bank(lua_State *L) {
  static const char *const known[] = { "conj", NULL };
  rdn_tensor *x = rdn__lua_checktensor(L, 1), *f = rdn__lua_checktensor(L, 2);
  rdn__lua_checkopts(L, 3, known);
  int cj = rdn__lua_optbool(L, 3, "conj", 0);
  size_t nf = rdn_tensor_ndim(f) >= 2 ? rdn_tensor_dim(f, 0) : 1;
  size_t np = rdn_tensor_numel(f) / nf, sh[3];
  luaL_argcheck(L, rdn_tensor_numel(x) % np == 0, 1, "size is not a multiple of a filter's");
  sh[0] = rdn_tensor_numel(x) / np, sh[1] = nf, sh[2] = np;
  rdn_ctx *ctx = rdn_tensor_ctx(x);
  rdn_tensor *o = rdn__lua_pushnew(L, ctx, RDN_C64, 3, sh);
  rdn_status s = rdn_cmul_bank(ctx, o, x, f, cj);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

/* rdn.fourier_subsample(x, k) -> c64 [.., H/k, W/k]: periodisation (spectrum of x[::k, ::k]). */
static int l_fourier_subsample(lua_State *L) {
  rdn_tensor *x = rdn__lua_checktensor(L, 1);
  lua_Integer k = luaL_checkinteger(L, 2);
  size_t sh[RDN_MAX_DIMS];
  int nd = rdn_tensor_ndim(x);
  luaL_argcheck(L, nd >= 2, 1, "rank >= 2 expected ([.., H, W])");
  luaL_argcheck(L, k >= 1 && k <= 1 << 20, 2, "k must be >= 1");
  for (int i = 0; i < nd; i++) sh[i] = rdn_tensor_dim(x, i);
  sh[nd - 2] /= (size_t)k, sh[nd - 1] /= (size_t)k;
  if (!sh[nd - 2] || !sh[nd - 1]) sh[nd - 2] = sh[nd - 1] = 1;   /* the runtime explains */
  rdn_ctx *ctx = rdn_tensor_ctx(x);
  rdn_tensor *o = rdn__lua_pushnew(L, ctx, RDN_C64, nd, sh);
  rdn_status s = rdn_fourier_subsample(ctx, o, x, (int)k);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

static size_t check_size(lua_State *L, int arg, const char *what) {
  lua_Integer v = luaL_checkinteger(L, arg);
  if (v < 1) luaL_argerror(L, arg, lua_pushfstring(L, "%s must be >= 1, got %I", what, v));
  return (size_t)v;
}

/* rdn.channel_stats(x, C [, inner = 1]) -> mean, var ([C], dtype of x): per-channel mean
** and population variance over x viewed as [outer, C, inner]. */
static int l_channel_stats(lua_State *L) {
  rdn_tensor *x = rdn__lua_checktensor(L, 1);
  size_t c = check_size(L, 2, "channels"), inner = lua_isnoneornil(L, 3) ? 1 :
                                                   check_size(L, 3, "inner");
  rdn_ctx *ctx = rdn_tensor_ctx(x);
  rdn_tensor *m = rdn__lua_pushnew(L, ctx, rdn_tensor_dtype(x), 1, &c);
  rdn_tensor *v = rdn__lua_pushnew(L, ctx, rdn_tensor_dtype(x), 1, &c);
  rdn_status s = rdn_channel_stats(ctx, m, v, x, inner);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 2;
}

/* rdn.channel_affine(x, scale [, shift [, inner = 1 [, out]]]) -> out = x scale[c] + shift[c]. */
static int l_channel_affine(lua_State *L) {
  rdn_tensor *x = rdn__lua_checktensor(L, 1), *sc = rdn__lua_checktensor(L, 2);
  rdn_tensor *sh = rdn__lua_opttensor(L, 3);
  size_t inner = lua_isnoneornil(L, 4) ? 1 : check_size(L, 4, "inner");
  rdn_tensor *o = out_arg(L, 5, x);
  rdn_ctx *ctx = rdn_tensor_ctx(x);
  rdn_status s = rdn_channel_affine(ctx, o, x, sc, sh, inner);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

/* rdn.channel_standardize(x, mean, var [, eps = 1e-5 [, inner = 1 [, out]]]) -> out =
** (x - mean[c]) / sqrt(var[c] + eps). */
static int l_channel_standardize(lua_State *L) {
  rdn_tensor *x = rdn__lua_checktensor(L, 1), *m = rdn__lua_checktensor(L, 2);
  rdn_tensor *v = rdn__lua_checktensor(L, 3);
  double eps = luaL_optnumber(L, 4, 1e-5);
  size_t inner = lua_isnoneornil(L, 5) ? 1 : check_size(L, 5, "inner");
  rdn_tensor *o = out_arg(L, 6, x);
  rdn_ctx *ctx = rdn_tensor_ctx(x);
  rdn_status s = rdn_channel_standardize(ctx, o, x, m, v, eps, inner);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

/* rdn.transpose(x, rows, cols) -> x viewed as [b, rows, cols] transposed to [b, cols, rows]
** ([cols, rows] when b = 1). */
static int l_transpose(lua_State *L) {
  rdn_tensor *x = rdn__lua_checktensor(L, 1);
  size_t r = check_size(L, 2, "rows"), c = check_size(L, 3, "cols"), n = rdn_tensor_numel(x);
  luaL_argcheck(L, n % (r * c) == 0, 2, "rows * cols does not divide the tensor's size");
  size_t b = n / (r * c), sh[3] = { b, c, r };
  rdn_ctx *ctx = rdn_tensor_ctx(x);
  rdn_tensor *o = b > 1 ? rdn__lua_pushnew(L, ctx, rdn_tensor_dtype(x), 3, sh)
                        : rdn__lua_pushnew(L, ctx, rdn_tensor_dtype(x), 2, sh + 1);
  rdn_status s = rdn_transpose(ctx, o, x, r, c);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

/* -------------------------------------------------------------- scattering */
static rdn_scattering *check_scat(lua_State *L, int i) {
  l_scat *u = luaL_checkudata(L, i, SCAT_MT);
  if (!u->s) luaL_error(L, "attempt to use a released scattering transform");
  return u->s;
}

/* rdn.scattering2d{h = 28, w = 28, J = 2, L = 8, order = 2, pad = "reflect"|"periodic"}
** -> an rdn.Scattering (filters built now, on the default device). */
static int l_scattering2d(lua_State *L) {
  static const char *const known[] = { "h", "w", "J", "L", "order", "pad", NULL };
  luaL_checktype(L, 1, LUA_TTABLE);
  rdn__lua_checkopts(L, 1, known);
  lua_Integer h = rdn__lua_optinteger(L, 1, "h", 0), w = rdn__lua_optinteger(L, 1, "w", h);
  lua_Integer J = rdn__lua_optinteger(L, 1, "J", 2), Lo = rdn__lua_optinteger(L, 1, "L", 8);
  lua_Integer order = rdn__lua_optinteger(L, 1, "order", 2);
  const char *pad = rdn__lua_optstring(L, 1, "pad", "reflect");
  rdn_scat_pad pd = RDN_SCAT_REFLECT;
  if (!strcmp(pad, "periodic")) pd = RDN_SCAT_PERIODIC;
  else if (strcmp(pad, "reflect"))
    luaL_argerror(L, 1, lua_pushfstring(L, "pad must be 'reflect' or 'periodic', got '%s'", pad));
  luaL_argcheck(L, h >= 1 && h <= 1 << 20 && w >= 1 && w <= 1 << 20, 1,
                "fields 'h' and 'w' must be image sizes >= 1");
#define CLAMP(v) ((v) < -1000 ? -1000 : (v) > 1000 ? 1000 : (int)(v))
  rdn_ctx *ctx = rdn__lua_ctx(L);
  l_scat *u = lua_newuserdatauv(L, sizeof *u, 0);
  u->s = NULL;
  luaL_setmetatable(L, SCAT_MT);
  rdn_status s = rdn_scattering2d_create(ctx, &u->s, (size_t)h, (size_t)w, CLAMP(J), CLAMP(Lo),
                                         CLAMP(order), pd);
#undef CLAMP
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

/* S:forward(x) -> f32 [m, K, oh, ow] for x [m, h, w] ([m, C K, oh, ow] for [m, C, h, w]). */
static int m_forward(lua_State *L) {
  rdn_scattering *sc = check_scat(L, 1);
  rdn_tensor *x = rdn__lua_checktensor(L, 2);
  size_t K, oh, ow, sh[4];
  rdn_scattering2d_shape(sc, &K, &oh, &ow);
  int nd = rdn_tensor_ndim(x);
  sh[0] = nd >= 3 ? rdn_tensor_dim(x, 0) : 1;
  sh[1] = (nd == 4 ? rdn_tensor_dim(x, 1) : 1) * K, sh[2] = oh, sh[3] = ow;
  rdn_ctx *ctx = rdn_tensor_ctx(x);
  rdn_tensor *o = rdn__lua_pushnew(L, ctx, RDN_F32, 4, sh);
  rdn_status s = rdn_scattering2d(sc, o, x);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

/* S:shape() -> K, oh, ow */
static int m_shape(lua_State *L) {
  size_t K, oh, ow;
  rdn_scattering2d_shape(check_scat(L, 1), &K, &oh, &ow);
  lua_pushinteger(L, (lua_Integer)K);
  lua_pushinteger(L, (lua_Integer)oh);
  lua_pushinteger(L, (lua_Integer)ow);
  return 3;
}

/* S:filters() -> phi [Hp, Wp], psi [J L, Hp, Wp] (level 0, Fourier domain). */
static int m_filters(lua_State *L) {
  rdn_scattering *sc = check_scat(L, 1);
  rdn_ctx *ctx = rdn__lua_ctx(L);
  l_tensor *a = rdn__lua_newtensor(L), *b = rdn__lua_newtensor(L);
  rdn_status s = rdn_scattering2d_filters(sc, &a->t, &b->t);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 2;
}

static int m_release(lua_State *L) {
  l_scat *u = luaL_checkudata(L, 1, SCAT_MT);
  rdn_scattering2d_destroy(u->s);
  u->s = NULL;
  return 0;
}

static int m_tostring(lua_State *L) {
  l_scat *u = luaL_checkudata(L, 1, SCAT_MT);
  size_t K, oh, ow;
  if (!u->s) {
    lua_pushliteral(L, "rdn.Scattering (released)");
    return 1;
  }
  rdn_scattering2d_shape(u->s, &K, &oh, &ow);
  lua_pushfstring(L, "rdn.Scattering (%d channels of %d x %d)", (int)K, (int)oh, (int)ow);
  return 1;
}

static const luaL_Reg scatter_funcs[] = {
  { "shrink", l_shrink }, { "count_above", l_count_above }, { "cabs", l_cabs },
  { "cmul_bank", l_cmul_bank }, { "fourier_subsample", l_fourier_subsample },
  { "channel_stats", l_channel_stats }, { "channel_affine", l_channel_affine },
  { "channel_standardize", l_channel_standardize }, { "transpose", l_transpose },
  { "scattering2d", l_scattering2d }, { NULL, NULL }
};

static const luaL_Reg scatter_methods[] = {
  { "forward", m_forward }, { "shape", m_shape }, { "filters", m_filters },
  { "release", m_release }, { NULL, NULL }
};

static const luaL_Reg scatter_meta[] = {
  { "__gc", m_release }, { "__close", m_release }, { "__tostring", m_tostring },
  { "__index", NULL }, { NULL, NULL }
};

void rdn__lua_open_scatter(lua_State *L) {
  luaL_setfuncs(L, scatter_funcs, 0);
  luaL_newmetatable(L, SCAT_MT);
  luaL_setfuncs(L, scatter_meta, 0);
  luaL_newlib(L, scatter_methods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}
