/*
** l_frames.c -- frames and sparse coding (runtime frames.c, dfp.c, sparse.c) for
** lua/rdn/frames.lua, structure.lua and the nn.ISTA layers: frame measures, power
** iteration, conv-frame potential, the rdn.DFP architecture handle, ISTA / FISTA, the prox
** step, lasso objective, group soft-threshold and pooling.
*/
#include "l_util.h"
#include <stdlib.h>
#include <string.h>

#define DFP_MT "rdn.DFP"
typedef struct { rdn_dfp *p; } l_dfp;

static void setnum(lua_State *L, const char *k, double v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, k);
}

static void setint(lua_State *L, const char *k, lua_Integer v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, k);
}

/* core.frame_stats(b) -> {d, k, fp, fp_unit, fp_bound, coherence, welch, norm_min, norm_max,
** tight_a, tight_err, parseval_err} */
static int l_frame_stats(lua_State *L) {
  rdn_tensor *b = rdn__lua_checktensor(L, 1);
  rdn_ctx *ctx = rdn_tensor_ctx(b);
  rdn_frame_info st;
  rdn_status s = rdn_frame_stats(ctx, b, &st);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  lua_createtable(L, 0, 12);
  setint(L, "d", (lua_Integer)st.d);
  setint(L, "k", (lua_Integer)st.k);
  setnum(L, "fp", st.fp);
  setnum(L, "fp_unit", st.fp_unit);
  setnum(L, "fp_bound", st.fp_bound);
  setnum(L, "coherence", st.coherence);
  setnum(L, "welch", st.welch);
  setnum(L, "norm_min", st.norm_min);
  setnum(L, "norm_max", st.norm_max);
  setnum(L, "tight_a", st.tight_a);
  setnum(L, "tight_err", st.tight_err);
  setnum(L, "parseval_err", st.parseval_err);
  return 1;
}

/* core.frame_normalize(b [, "unit" | "ball"]) -> b (in place) */
static int l_frame_normalize(lua_State *L) {
  static const char *const modes[] = { "unit", "ball", NULL };
  rdn_tensor *b = rdn__lua_checktensor(L, 1);
  int mode = luaL_checkoption(L, 2, "unit", modes);
  rdn_ctx *ctx = rdn_tensor_ctx(b);
  rdn_status s = rdn_frame_normalize(ctx, b, (rdn_frame_norm)mode);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  lua_settop(L, 1);
  return 1;
}

/* core.frame_norm2(b [, {iters = 500, tol = 1e-7, seed = 0}]) -> ||b||_2^2 */
static int l_frame_norm2(lua_State *L) {
  static const char *const known[] = { "iters", "tol", "seed", NULL };
  rdn_tensor *b = rdn__lua_checktensor(L, 1);
  rdn__lua_checkopts(L, 2, known);
  int iters = (int)rdn__lua_optinteger(L, 2, "iters", 500);
  double tol = rdn__lua_optnumber(L, 2, "tol", 1e-7), l = 0;
  uint64_t seed = (uint64_t)rdn__lua_optinteger(L, 2, "seed", 0);
  rdn_ctx *ctx = rdn_tensor_ctx(b);
  rdn_status s = rdn_frame_norm2(ctx, &l, b, iters, tol, seed);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  lua_pushnumber(L, l);
  return 1;
}

/* core.conv_frame_potential(h, p) -> fp */
static int l_conv_fp(lua_State *L) {
  rdn_tensor *h = rdn__lua_checktensor(L, 1);
  lua_Integer p = luaL_checkinteger(L, 2);
  luaL_argcheck(L, p >= 1, 2, "signal length must be >= 1");
  rdn_ctx *ctx = rdn_tensor_ctx(h);
  double fp = 0;
  rdn_status s = rdn_conv_frame_potential(ctx, &fp, h, (size_t)p);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  lua_pushnumber(L, fp);
  return 1;
}

/* ---------------------------------------------------------------- rdn.DFP */
static rdn_dfp *check_dfp(lua_State *L, int idx) {
  l_dfp *u = luaL_checkudata(L, idx, DFP_MT);
  if (!u->p) luaL_error(L, "attempt to use a released rdn.DFP");
  return u->p;
}

static rdn_dfp_norm check_norm(lua_State *L, int t) {
  static const char *const names[] = { "induced", "layer", "induced_only", "none" };
  const char *n = rdn__lua_optstring(L, t, "normalize", "induced");
  for (int i = 0; i < 4; i++)
    if (!strcmp(n, names[i])) return (rdn_dfp_norm)i;
  luaL_argerror(L, t, lua_pushfstring(L, "field 'normalize': '%s' is not one of 'induced', "
                                      "'layer', 'induced_only', 'none'", n));
  return RDN_DFP_INDUCED;
}

/* core.dfp(widths, parents) -> rdn.DFP: widths = {k_0, ..., k_l}, parents[j] = list of the
** 0-based layers feeding layer j (1..l). */
static int l_dfp_new(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_Integer n = (lua_Integer)lua_rawlen(L, 1);
  luaL_argcheck(L, n >= 2 && n <= 4097, 1, "widths must list 2 to 4097 layer sizes");
  int layers = (int)n - 1;
  luaL_argcheck(L, (lua_Integer)lua_rawlen(L, 2) == layers, 2, "one parent list per layer");
  l_dfp *u = lua_newuserdatauv(L, sizeof *u, 0);
  u->p = NULL;
  luaL_setmetatable(L, DFP_MT);
  size_t *w = lua_newuserdatauv(L, (size_t)n * sizeof *w, 0);     /* GC-owned scratch */
  unsigned char *adj = lua_newuserdatauv(L, (size_t)n * (size_t)n, 0);
  memset(adj, 0, (size_t)n * (size_t)n);
  for (lua_Integer i = 0; i < n; i++) {
    lua_rawgeti(L, 1, i + 1);
    int ok = 0;
    lua_Integer v = lua_tointegerx(L, -1, &ok);
    if (!ok) luaL_argerror(L, 1, lua_pushfstring(L, "widths[%d] is not an integer", (int)i + 1));
    w[i] = v < 0 ? 0 : (size_t)v;          /* 0 (and negatives) are named by the runtime */
    lua_pop(L, 1);
  }
  for (int j = 1; j <= layers; j++) {
    lua_rawgeti(L, 2, j);
    if (!lua_istable(L, -1))
      luaL_argerror(L, 2, lua_pushfstring(L, "parents of layer %d: table expected", j));
    lua_Integer np = (lua_Integer)lua_rawlen(L, -1);
    for (lua_Integer q = 1; q <= np; q++) {
      lua_rawgeti(L, -1, q);
      int ok = 0;
      lua_Integer i = lua_tointegerx(L, -1, &ok);
      if (!ok || i < 0 || i >= j)
        luaL_argerror(L, 2, lua_pushfstring(L, "layer %d: parent %s is not a layer 0..%d", j,
                                            luaL_tolstring(L, -1, NULL), j - 1));
      adj[(size_t)i * (size_t)n + (size_t)j] = 1;
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  rdn_ctx *ctx = rdn__lua_ctx(L);
  rdn_status s = rdn_dfp_create(ctx, &u->p, layers, w, adj);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  lua_pop(L, 2);
  return 1;
}

static int l_dfp_gc(lua_State *L) {
  l_dfp *u = luaL_checkudata(L, 1, DFP_MT);
  rdn_dfp_destroy(u->p);
  u->p = NULL;
  return 0;
}

/* d:info() -> {layers, rows, cols, nweights, nnz, nnz_frame, blocks} */
static int l_dfp_info(lua_State *L) {
  rdn_dfp_info in;
  rdn_dfp_get_info(check_dfp(L, 1), &in);
  lua_createtable(L, 0, 7);
  setint(L, "layers", in.layers);
  setint(L, "rows", (lua_Integer)in.rows);
  setint(L, "cols", (lua_Integer)in.cols);
  setint(L, "nweights", (lua_Integer)in.nweights);
  setint(L, "nnz", (lua_Integer)in.nnz);
  setint(L, "nnz_frame", (lua_Integer)in.nnz_frame);
  setint(L, "blocks", (lua_Integer)in.blocks);
  return 1;
}

/* d:layer(j) -> offset (0-based), rows, cols of layer j's packed weights */
static int l_dfp_layer(lua_State *L) {
  rdn_dfp *p = check_dfp(L, 1);
  size_t off, r, c;
  if (rdn_dfp_layer(p, (int)luaL_checkinteger(L, 2), &off, &r, &c) != RDN_OK)
    return rdn__lua_fail(L, rdn__lua_ctx(L), RDN_EINVAL);
  lua_pushinteger(L, (lua_Integer)off);
  lua_pushinteger(L, (lua_Integer)r);
  lua_pushinteger(L, (lua_Integer)c);
  return 3;
}

/* d:potential(w [, {normalize = "induced", count_diag = true}]) -> fp, dfp */
static int l_dfp_potential(lua_State *L) {
  static const char *const known[] = { "normalize", "count_diag", NULL };
  rdn_dfp *p = check_dfp(L, 1);
  rdn_tensor *w = rdn__lua_checktensor(L, 2);
  rdn__lua_checkopts(L, 3, known);
  rdn_dfp_norm nm = check_norm(L, 3);
  int cd = rdn__lua_optbool(L, 3, "count_diag", 1);
  double fp = 0, dfp = 0;
  rdn_status s = rdn_dfp_potential(p, w, nm, cd, &fp, &dfp);
  if (s != RDN_OK) return rdn__lua_fail(L, rdn_tensor_ctx(w), s);
  lua_pushnumber(L, fp);
  lua_pushnumber(L, dfp);
  return 2;
}

/* d:frame(w [, {normalize}]) / d:gram(w [, {normalize}]) -> dense tensor */
static int dense(lua_State *L, int gram) {
  static const char *const known[] = { "normalize", NULL };
  rdn_dfp *p = check_dfp(L, 1);
  rdn_tensor *w = rdn__lua_checktensor(L, 2);
  rdn__lua_checkopts(L, 3, known);
  rdn_dfp_norm nm = check_norm(L, 3);
  rdn_dfp_info in;
  rdn_dfp_get_info(p, &in);
  size_t shape[2] = { gram ? in.cols : in.rows, in.cols };
  rdn_ctx *ctx = rdn_tensor_ctx(w);
  rdn_tensor *out = rdn__lua_pushnew(L, ctx, rdn_tensor_dtype(w), 2, shape);
  rdn_status s = gram ? rdn_dfp_gram(p, out, w, nm) : rdn_dfp_frame(p, out, w, nm);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}
static int l_dfp_frame(lua_State *L) { return dense(L, 0); }
static int l_dfp_gram(lua_State *L) { return dense(L, 1); }

/* d:minimize(w [, {restarts = 3, iters = 6000, step = 0.02, seed = 0, normalize =
** "induced", count_diag = true, plain = false}]) -> best fp, {fp per restart} */
static int l_dfp_minimize(lua_State *L) {
  static const char *const known[] = { "restarts", "iters", "step", "seed", "normalize",
                                       "count_diag", "plain", NULL };
  rdn_dfp *p = check_dfp(L, 1);
  rdn_tensor *w = rdn__lua_checktensor(L, 2);
  rdn__lua_checkopts(L, 3, known);
  rdn_dfp_min_opts o;
  o.restarts = (int)rdn__lua_optinteger(L, 3, "restarts", 3);
  o.iters = (int)rdn__lua_optinteger(L, 3, "iters", 6000);
  o.step = rdn__lua_optnumber(L, 3, "step", 0.02);
  o.seed = (uint64_t)rdn__lua_optinteger(L, 3, "seed", 0);
  o.norm = check_norm(L, 3);
  o.count_diag = rdn__lua_optbool(L, 3, "count_diag", 1);
  o.plain = rdn__lua_optbool(L, 3, "plain", 0);
  luaL_argcheck(L, o.restarts >= 1 && o.restarts <= 4096, 3, "restarts must be in 1..4096");
  double best = 0, *per = lua_newuserdatauv(L, (size_t)o.restarts * sizeof *per, 0);
  rdn_status s = rdn_dfp_minimize(p, w, &o, &best, per);
  if (s != RDN_OK) return rdn__lua_fail(L, rdn_tensor_ctx(w), s);
  lua_pushnumber(L, best);
  lua_createtable(L, o.restarts, 0);
  for (int r = 0; r < o.restarts; r++) {
    lua_pushnumber(L, per[r]);
    lua_rawseti(L, -2, r + 1);
  }
  return 2;
}

static int l_dfp_release(lua_State *L) { return l_dfp_gc(L); }

/* ------------------------------------------------------------ sparse coding */
/* lambda at idx: a number, or a tensor of per-atom thresholds (*lt). */
static double check_lambda(lua_State *L, int idx, rdn_tensor **lt) {
  *lt = NULL;
  if (rdn__lua_istensor(L, idx)) {
    *lt = rdn__lua_checktensor(L, idx);
    return 0;
  }
  return luaL_checknumber(L, idx);
}

/* core.prox_step(w, u, tau, lambda [, nonneg]) -> w: w <- prox(w - tau u) */
static int l_prox_step(lua_State *L) {
  rdn_tensor *w = rdn__lua_checktensor(L, 1), *u = rdn__lua_checktensor(L, 2), *lt;
  double tau = luaL_checknumber(L, 3), lam = check_lambda(L, 4, &lt);
  int nonneg = lua_toboolean(L, 5);
  rdn_ctx *ctx = rdn_tensor_ctx(w);
  rdn_status s = rdn_prox_step(ctx, w, u, tau, lam, lt, nonneg);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  lua_settop(L, 1);
  return 1;
}

/* core.sparse_objective(x, b, w, lambda) -> 1/2 ||x - w b^T||^2 + penalty */
static int l_sparse_objective(lua_State *L) {
  rdn_tensor *x = rdn__lua_checktensor(L, 1), *b = rdn__lua_checktensor(L, 2), *lt;
  rdn_tensor *w = rdn__lua_checktensor(L, 3);
  double lam = check_lambda(L, 4, &lt), v = 0;
  rdn_ctx *ctx = rdn_tensor_ctx(x);
  rdn_status s = rdn_sparse_objective(ctx, &v, x, b, w, lam, lt);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  lua_pushnumber(L, v);
  return 1;
}

/* core.ista(w, x, b, {lambda = number | tensor, steps = 10, fista = false, nonneg = false,
** warm = false, lipschitz = 0, form = "auto" | "gram" | "direct", allow_zero_atoms = false,
** objective = false}) -> {lipschitz, steps, gram_form, objective = {...} when asked} */
static int l_ista(lua_State *L) {
  static const char *const known[] = { "lambda", "steps", "fista", "nonneg", "warm",
                                       "lipschitz", "form", "allow_zero_atoms", "objective",
                                       NULL };
  static const char *const forms[] = { "auto", "gram", "direct" };
  rdn_tensor *w = rdn__lua_checktensor(L, 1), *x = rdn__lua_checktensor(L, 2);
  rdn_tensor *b = rdn__lua_checktensor(L, 3);
  luaL_checktype(L, 4, LUA_TTABLE);
  rdn__lua_checkopts(L, 4, known);
  rdn_ista_opts o;
  memset(&o, 0, sizeof o);
  rdn_tensor *lt = NULL;
  lua_getfield(L, 4, "lambda");
  if (!lua_isnil(L, -1)) o.lambda = check_lambda(L, lua_gettop(L), &lt);
  o.lambdas = lt;
  o.steps = (int)rdn__lua_optinteger(L, 4, "steps", 10);
  o.fista = rdn__lua_optbool(L, 4, "fista", 0);
  o.nonneg = rdn__lua_optbool(L, 4, "nonneg", 0);
  o.warm = rdn__lua_optbool(L, 4, "warm", 0);
  o.lipschitz = rdn__lua_optnumber(L, 4, "lipschitz", 0);
  o.allow_zero_atoms = rdn__lua_optbool(L, 4, "allow_zero_atoms", 0);
  const char *form = rdn__lua_optstring(L, 4, "form", "auto");
  o.form = (rdn_ista_form)-1;
  for (int i = 0; i < 3; i++) if (!strcmp(form, forms[i])) o.form = (rdn_ista_form)i;
  if ((int)o.form < 0)
    luaL_argerror(L, 4, lua_pushfstring(L, "field 'form': '%s' (auto, gram or direct)", form));
  int want = rdn__lua_optbool(L, 4, "objective", 0);
  if (o.steps < 1 || o.steps > 1 << 24)
    luaL_argerror(L, 4, lua_pushfstring(L, "steps must be >= 1, got %d", o.steps));
  if (want) o.objective = lua_newuserdatauv(L, ((size_t)o.steps + 1) * sizeof(double), 0);
  rdn_ista_info info;
  rdn_ctx *ctx = rdn_tensor_ctx(w);
  rdn_status s = rdn_ista(ctx, w, x, b, &o, &info);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  lua_createtable(L, 0, 4);
  setnum(L, "lipschitz", info.lipschitz);
  setint(L, "steps", info.steps);
  lua_pushboolean(L, info.gram_form);
  lua_setfield(L, -2, "gram_form");
  if (want) {
    lua_createtable(L, o.steps + 1, 0);
    for (int i = 0; i <= o.steps; i++) {
      lua_pushnumber(L, o.objective[i]);
      lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "objective");
  }
  return 1;
}

/* core.group_shrink(d, groups, ngroups, t [, norms]) -> d */
static int l_group_shrink(lua_State *L) {
  rdn_tensor *d = rdn__lua_checktensor(L, 1), *g = rdn__lua_checktensor(L, 2);
  lua_Integer ng = luaL_checkinteger(L, 3);
  double t = luaL_checknumber(L, 4);
  rdn_tensor *norms = rdn__lua_opttensor(L, 5);
  luaL_argcheck(L, ng >= 1 && ng <= 1 << 30, 3, "number of groups out of range");
  rdn_ctx *ctx = rdn_tensor_ctx(d);
  rdn_status s = rdn_group_shrink(ctx, d, g, (int)ng, t, norms);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  lua_settop(L, 1);
  return 1;
}

/* core.pool_groups(x, groups, ngroups [, "max" | "l2" | "mean"]) -> out [m, ngroups] */
static int l_pool_groups(lua_State *L) {
  static const char *const modes[] = { "max", "l2", "mean", NULL };
  rdn_tensor *x = rdn__lua_checktensor(L, 1), *g = rdn__lua_checktensor(L, 2);
  lua_Integer ng = luaL_checkinteger(L, 3);
  int mode = luaL_checkoption(L, 4, "max", modes);
  luaL_argcheck(L, ng >= 1 && ng <= 1 << 30, 3, "number of groups out of range");
  rdn_ctx *ctx = rdn_tensor_ctx(x);
  size_t shape[2] = { rdn_tensor_dim(x, 0), (size_t)ng };
  rdn_tensor *out = rdn__lua_pushnew(L, ctx, rdn_tensor_dtype(x), 2, shape);
  rdn_status s = rdn_pool_groups(ctx, out, x, g, (int)ng, (rdn_pool_mode)mode);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

static const luaL_Reg frames_funcs[] = {
  { "frame_stats", l_frame_stats }, { "frame_normalize", l_frame_normalize },
  { "frame_norm2", l_frame_norm2 }, { "conv_frame_potential", l_conv_fp },
  { "dfp", l_dfp_new }, { "prox_step", l_prox_step },
  { "sparse_objective", l_sparse_objective }, { "ista", l_ista },
  { "group_shrink", l_group_shrink }, { "pool_groups", l_pool_groups }, { NULL, NULL }
};

static const luaL_Reg dfp_methods[] = {
  { "info", l_dfp_info }, { "layer", l_dfp_layer }, { "potential", l_dfp_potential },
  { "frame", l_dfp_frame }, { "gram", l_dfp_gram }, { "minimize", l_dfp_minimize },
  { "release", l_dfp_release }, { NULL, NULL }
};

static const luaL_Reg dfp_meta[] = {
  { "__gc", l_dfp_gc }, { "__close", l_dfp_gc }, { "__index", NULL }, { NULL, NULL }
};

void rdn__lua_open_frames(lua_State *L) {
  luaL_newmetatable(L, DFP_MT);
  luaL_setfuncs(L, dfp_meta, 0);
  luaL_newlib(L, dfp_methods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  luaL_setfuncs(L, frames_funcs, 0);
}
