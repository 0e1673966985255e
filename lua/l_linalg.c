/*
** l_linalg.c -- rdn.core bindings of the linear algebra runtime (gram.c, cholesky.c,
** rate.c): Gram matrices, Cholesky / inverse / solves / log-det, and the coding rates
** used by lua/rdn/rate.lua.  Labels are an i32 tensor or a Lua table of 0-based integers.
*/
#include "l_util.h"
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ labels */

/* The labels at idx: an i32 tensor (returned as is) or a Lua table of 0-based integers,
** converted to a new i32 tensor (pushed, so the GC frees it) and validated while
** converting: *k > 0 bounds them, *k <= 0 becomes max label + 1.  fname names the
** caller in messages ("rdn.mcr2"). */
static rdn_tensor *check_labels(lua_State *L, int idx, rdn_ctx *ctx, int *k,
                                const char *fname) {
  if (rdn__lua_istensor(L, idx)) return rdn__lua_checktensor(L, idx);
  luaL_argexpected(L, lua_istable(L, idx), idx, "rdn.Tensor or table of labels");
  lua_Integer m = luaL_len(L, idx), mx = -1;
  if (m < 1) luaL_argerror(L, idx, "labels table is empty");
  int *h = lua_newuserdatauv(L, (size_t)m * sizeof *h, 0);   /* freed by the GC */
  for (lua_Integer i = 1; i <= m; i++) {
    int isint = 0;
    lua_geti(L, idx, i);
    lua_Integer v = lua_tointegerx(L, -1, &isint);
    lua_pop(L, 1);
    if (!isint)
      luaL_argerror(L, idx, lua_pushfstring(L, "labels[%I] is not an integer", i));
    if (v > mx) mx = v;
    h[i - 1] = v < INT32_MIN ? INT32_MIN : v > INT32_MAX ? INT32_MAX : (int)v;
  }
  if (*k <= 0) *k = mx >= (1 << 24) ? (1 << 24) + 1 : mx < 0 ? 1 : (int)mx + 1;
  for (lua_Integer i = 0; i < m; i++)
    if (h[i] < 0 || h[i] >= *k)
      luaL_error(L, "%s: labels out of range: label %d at sample %I, classes = %d", fname,
                 h[i], i, *k);
  size_t n = (size_t)m;
  rdn_tensor *y = rdn__lua_pushnew(L, ctx, RDN_I32, 1, &n);
  rdn_status s = rdn_tensor_write(y, h, n * sizeof *h);
  if (s != RDN_OK) rdn__lua_fail(L, ctx, s);
  lua_replace(L, idx);        /* the tensor stays referenced by the stack slot */
  lua_pop(L, 1);              /* the host array */
  return y;
}

static int opt_k(lua_State *L, int idx) {
  lua_Integer k = luaL_optinteger(L, idx, 0);
  luaL_argcheck(L, k <= (1 << 24), idx, "too many classes");
  return k < 0 ? 0 : (int)k;
}

/* ------------------------------------------------------------------- gram */

/* core.gram(z [, {side = "cols" | "rows", alpha = 1, diag = 0}]) -> alpha Z^H Z + diag I
** ([d, d]) or alpha Z Z^H + diag I ([m, m]); z [m, d] or a batch [b, m, d]. */
static int l_gram(lua_State *L) {
  static const char *const known[] = { "side", "alpha", "diag", NULL };
  rdn_tensor *z = rdn__lua_checktensor(L, 1);
  rdn__lua_checkopts(L, 2, known);
  const char *side = rdn__lua_optstring(L, 2, "side", "cols");
  double alpha = rdn__lua_optnumber(L, 2, "alpha", 1), diag = rdn__lua_optnumber(L, 2, "diag", 0);
  int rows = !strcmp(side, "rows");
  if (!rows && strcmp(side, "cols"))
    luaL_argerror(L, 2, lua_pushfstring(L, "field 'side': 'cols' or 'rows' expected, got '%s'",
                                        side));
  int nd = rdn_tensor_ndim(z);
  luaL_argcheck(L, nd == 2 || nd == 3, 1, "[m, d] or [b, m, d] tensor expected");
  size_t n = rdn_tensor_dim(z, rows ? -2 : -1), shape[3] = { rdn_tensor_dim(z, 0), n, n };
  rdn_ctx *ctx = rdn_tensor_ctx(z);
  rdn_tensor *g = rdn__lua_pushnew(L, ctx, rdn_tensor_dtype(z), nd, nd == 3 ? shape : shape + 1);
  rdn_status s = rdn_gram(ctx, g, z, rows ? RDN_GRAM_ROWS : RDN_GRAM_COLS, alpha, diag);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

/* core.gram_classes(z, y, k [, {alpha = number or {a_0, ..., a_{k-1}}, diag = 0}]) ->
** per-class Grams [k, d, d] (z [b, m, d]: [k, b, d, d]). */
static int l_gram_classes(lua_State *L) {
  static const char *const known[] = { "alpha", "diag", NULL };
  lua_settop(L, 4);                       /* fixed slots: temporaries go above */
  rdn_tensor *z = rdn__lua_checktensor(L, 1);
  rdn_ctx *ctx = rdn_tensor_ctx(z);
  int k = (int)luaL_checkinteger(L, 3);
  luaL_argcheck(L, k >= 1 && k <= (1 << 24), 3, "number of classes must be >= 1");
  rdn_tensor *y = check_labels(L, 2, ctx, &k, "rdn.gram_classes");
  rdn__lua_checkopts(L, 4, known);
  double diag = rdn__lua_optnumber(L, 4, "diag", 0);
  double *alpha = lua_newuserdatauv(L, (size_t)k * sizeof *alpha, 0);
  int has = !lua_isnoneornil(L, 4) && lua_getfield(L, 4, "alpha") != LUA_TNIL;
  for (int j = 0; j < k; j++) {
    alpha[j] = 1;
    if (has && lua_isnumber(L, -1)) alpha[j] = lua_tonumber(L, -1);
    else if (has && lua_istable(L, -1)) {
      lua_geti(L, -1, j + 1);
      if (!lua_isnumber(L, -1))
        luaL_argerror(L, 4, lua_pushfstring(L, "field 'alpha': %d numbers expected", k));
      alpha[j] = lua_tonumber(L, -1);
      lua_pop(L, 1);
    } else if (has) {
      luaL_argerror(L, 4, "field 'alpha': number or table expected");
    }
  }
  int nd = rdn_tensor_ndim(z);
  luaL_argcheck(L, nd == 2 || nd == 3, 1, "[m, d] or [b, m, d] tensor expected");
  size_t d = rdn_tensor_dim(z, -1), shape[4] = { (size_t)k, rdn_tensor_dim(z, 0), d, d };
  if (nd == 2) shape[1] = d;
  rdn_tensor *g = rdn__lua_pushnew(L, ctx, rdn_tensor_dtype(z), nd + 1, shape);
  rdn_status s = rdn_gram_classes(ctx, g, z, y, k, alpha, diag);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

/* core.gram_sum(g [, {alpha = 1, diag = 0}]) -> alpha sum_j g[j] + diag I. */
static int l_gram_sum(lua_State *L) {
  static const char *const known[] = { "alpha", "diag", NULL };
  rdn_tensor *g = rdn__lua_checktensor(L, 1);
  rdn__lua_checkopts(L, 2, known);
  double alpha = rdn__lua_optnumber(L, 2, "alpha", 1), diag = rdn__lua_optnumber(L, 2, "diag", 0);
  int nd = rdn_tensor_ndim(g);
  luaL_argcheck(L, nd == 3 || nd == 4, 1, "[k, d, d] or [k, b, d, d] tensor expected");
  size_t shape[3] = { rdn_tensor_dim(g, 1), rdn_tensor_dim(g, -2), rdn_tensor_dim(g, -1) };
  rdn_ctx *ctx = rdn_tensor_ctx(g);
  rdn_tensor *o = rdn__lua_pushnew(L, ctx, rdn_tensor_dtype(g), nd - 1,
                                   nd == 4 ? shape : shape + 1);
  rdn_status s = rdn_gram_sum(ctx, o, g, alpha, diag);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

/* core.last_axis_first(x) -> [F, ...] copy of x [..., F]. */
static int l_last_axis_first(lua_State *L) {
  rdn_tensor *x = rdn__lua_checktensor(L, 1);
  int nd = rdn_tensor_ndim(x);
  luaL_argcheck(L, nd >= 2, 1, "tensor of 2 or more axes expected");
  size_t shape[RDN_MAX_DIMS];
  shape[0] = rdn_tensor_dim(x, -1);
  for (int i = 1; i < nd; i++) shape[i] = rdn_tensor_dim(x, i - 1);
  rdn_ctx *ctx = rdn_tensor_ctx(x);
  rdn_tensor *o = rdn__lua_pushnew(L, ctx, rdn_tensor_dtype(x), nd, shape);
  rdn_status s = rdn_last_axis_first(ctx, o, x);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

/* --------------------------------------------------------------- cholesky */

typedef rdn_status (*inplace_fn)(rdn_ctx *, rdn_tensor *);

static int inplace(lua_State *L, inplace_fn f) {
  rdn_tensor *a = rdn__lua_checktensor(L, 1);
  rdn_ctx *ctx = rdn_tensor_ctx(a);
  rdn_status s = f(ctx, a);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  lua_settop(L, 1);
  return 1;
}

/* core.cholesky(a) -> a: lower L in place (A = L L^H; [n, n] or [b, n, n]). */
static int l_cholesky(lua_State *L) { return inplace(L, rdn_cholesky); }
/* core.chol_inverse(l) -> l: A^-1 from the factor, in place. */
static int l_chol_inverse(lua_State *L) { return inplace(L, rdn_chol_inverse); }
/* core.spd_inverse(a) -> a: A^-1 in place. */
static int l_spd_inverse(lua_State *L) { return inplace(L, rdn_spd_inverse); }

/* log-dets of l (factored == 1) or of a (factored in place): a number for [n, n], a table
** of b numbers for [b, n, n]. */
static int logdets(lua_State *L, int factored) {
  rdn_tensor *a = rdn__lua_checktensor(L, 1);
  rdn_ctx *ctx = rdn_tensor_ctx(a);
  int batched = rdn_tensor_ndim(a) == 3;
  size_t nb = batched ? rdn_tensor_dim(a, 0) : 1;
  double *v = lua_newuserdatauv(L, nb * sizeof *v, 0);
  rdn_status s = factored ? rdn_chol_logdet(ctx, v, nb, a) : rdn_spd_logdet(ctx, v, nb, a);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  if (!batched) {
    lua_pushnumber(L, v[0]);
    return 1;
  }
  lua_createtable(L, (int)nb, 0);
  for (size_t i = 0; i < nb; i++) {
    lua_pushnumber(L, v[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

/* core.chol_logdet(l) -> log det A (2 sum log L_ii, in double); a table when batched. */
static int l_chol_logdet(lua_State *L) { return logdets(L, 1); }
/* core.spd_logdet(a) -> log det A; a is overwritten by its factor. */
static int l_spd_logdet(lua_State *L) { return logdets(L, 0); }

/* core.chol_solve(b, l) -> b: A^-1 b in place. */
static int l_chol_solve(lua_State *L) {
  rdn_tensor *b = rdn__lua_checktensor(L, 1), *l = rdn__lua_checktensor(L, 2);
  rdn_ctx *ctx = rdn_tensor_ctx(b);
  rdn_status s = rdn_chol_solve(ctx, b, l);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  lua_settop(L, 1);
  return 1;
}

/* core.trsm(b, l [, "N" | "C" | "T"]) -> b: L^-1 b ("N") or L^-H b ("C"; "T" real). */
static int l_trsm(lua_State *L) {
  static const char *const names[] = { "N", "T", "C", NULL };
  rdn_tensor *b = rdn__lua_checktensor(L, 1), *l = rdn__lua_checktensor(L, 2);
  rdn_trans t = (rdn_trans)luaL_checkoption(L, 3, "N", names);
  rdn_ctx *ctx = rdn_tensor_ctx(b);
  rdn_status s = rdn_trsm(ctx, b, l, t);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  lua_settop(L, 1);
  return 1;
}

/* ------------------------------------------------------------------ rates */

static double check_eps(lua_State *L, int idx) { return luaL_checknumber(L, idx); }

/* core.coding_rate(z, eps_sq) -> R */
static int l_coding_rate(lua_State *L) {
  rdn_tensor *z = rdn__lua_checktensor(L, 1);
  rdn_ctx *ctx = rdn_tensor_ctx(z);
  double r = 0;
  rdn_status s = rdn_coding_rate(ctx, &r, z, check_eps(L, 2));
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  lua_pushnumber(L, r);
  return 1;
}

/* core.class_rate(z, y, eps_sq [, k]) -> Rc */
static int l_class_rate(lua_State *L) {
  rdn_tensor *z = rdn__lua_checktensor(L, 1);
  rdn_ctx *ctx = rdn_tensor_ctx(z);
  double eps = check_eps(L, 3), rc = 0;
  int k = opt_k(L, 4);
  rdn_tensor *y = check_labels(L, 2, ctx, &k, "rdn.class_rate");
  rdn_status s = rdn_class_rate(ctx, &rc, z, y, k, eps);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  lua_pushnumber(L, rc);
  return 1;
}

static int push3(lua_State *L, const double *o) {
  for (int i = 0; i < 3; i++) lua_pushnumber(L, o[i]);
  return 3;
}

/* core.mcr2(z, y, eps_sq [, k]) -> dR, R, Rc */
static int l_mcr2(lua_State *L) {
  rdn_tensor *z = rdn__lua_checktensor(L, 1);
  rdn_ctx *ctx = rdn_tensor_ctx(z);
  double eps = check_eps(L, 3), o[3];
  int k = opt_k(L, 4);
  rdn_tensor *y = check_labels(L, 2, ctx, &k, "rdn.mcr2");
  rdn_status s = rdn_mcr2(ctx, o, z, y, k, eps);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return push3(L, o);
}

/* core.mcr2_spectral(z, y | nil, eps_sq, k, t, half) -> dR, R, Rc (z c64 [m, C, F]). */
static int l_mcr2_spectral(lua_State *L) {
  lua_settop(L, 6);
  rdn_tensor *z = rdn__lua_checktensor(L, 1), *y = NULL;
  rdn_ctx *ctx = rdn_tensor_ctx(z);
  double eps = check_eps(L, 3), o[3];
  int k = opt_k(L, 4);
  lua_Integer t = luaL_checkinteger(L, 5);
  luaL_argcheck(L, t >= 1, 5, "number of frequencies t must be >= 1");
  int half = lua_toboolean(L, 6);
  if (!lua_isnoneornil(L, 2)) y = check_labels(L, 2, ctx, &k, "rdn.mcr2_spectral");
  rdn_status s = rdn_mcr2_spectral(ctx, o, z, y, k, eps, (size_t)t, half);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return push3(L, o);
}

/* core.herm_pack(a) -> [.., C(C+1)/2]: the packed lower triangles of a [.., C, C]. */
static int l_herm_pack(lua_State *L) {
  rdn_tensor *a = rdn__lua_checktensor(L, 1);
  rdn_ctx *ctx = rdn_tensor_ctx(a);
  int nd = rdn_tensor_ndim(a);
  luaL_argcheck(L, nd >= 2, 1, "a must be [.., C, C]");
  size_t shape[4], c = rdn_tensor_dim(a, -1);
  for (int i = 0; i < nd - 2; i++) shape[i] = rdn_tensor_dim(a, i);
  shape[nd - 2] = c * (c + 1) / 2;
  rdn_tensor *out = rdn__lua_pushnew(L, ctx, rdn_tensor_dtype(a), nd - 1 > 0 ? nd - 1 : 1,
                                     shape);
  rdn_status s = rdn_herm_pack(ctx, out, a);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

/* core.herm_unpack(ap, C | out) -> [.., C, C] from packed lower triangles ap
** [.., C(C+1)/2]: a new tensor, or out (a tensor: unpacked into it, returned). */
static int l_herm_unpack(lua_State *L) {
  rdn_tensor *ap = rdn__lua_checktensor(L, 1), *out;
  rdn_ctx *ctx = rdn_tensor_ctx(ap);
  if (rdn__lua_istensor(L, 2)) {
    out = rdn__lua_checktensor(L, 2);
    lua_settop(L, 2);
  } else {
    lua_Integer c = luaL_checkinteger(L, 2);
    int nd = rdn_tensor_ndim(ap);
    luaL_argcheck(L, c >= 1 && c <= 65535, 2, "C must be in 1..65535");
    luaL_argcheck(L, nd <= 3, 1, "ap must have at most 3 axes");
    size_t shape[4];
    for (int i = 0; i < nd - 1; i++) shape[i] = rdn_tensor_dim(ap, i);
    shape[nd - 1] = shape[nd] = (size_t)c;
    out = rdn__lua_pushnew(L, ctx, rdn_tensor_dtype(ap), nd + 1, shape);
  }
  rdn_status s = rdn_herm_unpack(ctx, out, ap);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

static const luaL_Reg linalg_funcs[] = {
  { "gram", l_gram }, { "gram_classes", l_gram_classes }, { "gram_sum", l_gram_sum },
  { "last_axis_first", l_last_axis_first }, { "cholesky", l_cholesky },
  { "chol_inverse", l_chol_inverse }, { "spd_inverse", l_spd_inverse },
  { "chol_logdet", l_chol_logdet }, { "spd_logdet", l_spd_logdet },
  { "chol_solve", l_chol_solve }, { "trsm", l_trsm }, { "coding_rate", l_coding_rate },
  { "class_rate", l_class_rate }, { "mcr2", l_mcr2 }, { "mcr2_spectral", l_mcr2_spectral },
  { "herm_pack", l_herm_pack }, { "herm_unpack", l_herm_unpack },
  { NULL, NULL }
};

void rdn__lua_open_linalg(lua_State *L) { luaL_setfuncs(L, linalg_funcs, 0); }
