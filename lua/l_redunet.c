/*
** l_redunet.c -- the vector ReduNet primitives (runtime redunet.c) for lua/rdn/nn and
** lua/rdn/eval.lua: layer operators, the fused layer, label counts/sort, accuracy,
** Gram-Schmidt, nearest-subspace and kNN predictions, one-hot targets.
*/
#include "l_util.h"
#include <math.h>

#define MAXK 256

static int check_k(lua_State *L, int arg) {
  lua_Integer k = luaL_checkinteger(L, arg);
  luaL_argcheck(L, k >= 1 && k <= 1 << 20, arg, "number of classes out of range");
  return (int)k;
}

/* core.redunet_operators(w, z, y, k, eps_sq) -> gamma, dR, R, Rc: fills w [k+1, d, d]
** with E, C^1..C^k of features z and labels y; the rates are those of z.  w = nil: the
** rates only (no inverses). */
static int l_operators(lua_State *L) {
  rdn_tensor *w = rdn__lua_opttensor(L, 1), *z = rdn__lua_checktensor(L, 2);
  rdn_tensor *y = rdn__lua_checktensor(L, 3);
  int k = check_k(L, 4);
  double eps = luaL_checknumber(L, 5), g[MAXK], r[3];
  luaL_argcheck(L, k <= MAXK, 4, "at most 256 classes");
  rdn_ctx *ctx = rdn_tensor_ctx(z);
  rdn_status s = rdn_redunet_operators(ctx, w, g, r, z, y, k, eps);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return rdn__lua_pushrates(L, g, k, r);
}

/* core.redunet_layer(z, w, gamma, eta, lambda [, labels [, pi]]) -> z, updated in place. */
static int l_layer(lua_State *L) {
  rdn_tensor *z = rdn__lua_checktensor(L, 1), *w = rdn__lua_checktensor(L, 2);
  double g[MAXK];
  rdn__lua_checknumarray(L, 3, "gamma", g, MAXK);
  double eta = luaL_checknumber(L, 4), lam = luaL_checknumber(L, 5);
  rdn_tensor *y = rdn__lua_opttensor(L, 6), *pi = rdn__lua_opttensor(L, 7);
  rdn_ctx *ctx = rdn_tensor_ctx(z);
  rdn_status s = rdn_redunet_layer(ctx, z, w, g, eta, lam, y, pi);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  lua_settop(L, 1);
  return 1;
}

/* core.redunet_update(z, p, gamma, eta, lambda [, labels [, pi]]) -> z: the fused update
** for precomputed p = z [E C^1 ... C^k]. */
static int l_update(lua_State *L) {
  rdn_tensor *z = rdn__lua_checktensor(L, 1), *p = rdn__lua_checktensor(L, 2);
  double g[MAXK];
  int k = rdn__lua_checknumarray(L, 3, "gamma", g, MAXK);
  double eta = luaL_checknumber(L, 4), lam = luaL_checknumber(L, 5);
  rdn_tensor *y = rdn__lua_opttensor(L, 6), *pi = rdn__lua_opttensor(L, 7);
  rdn_ctx *ctx = rdn_tensor_ctx(z);
  rdn_status s = rdn_redunet_update(ctx, z, p, k, g, eta, lam, y, pi);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  lua_settop(L, 1);
  return 1;
}

static void push_counts(lua_State *L, const long *c, int k) {
  lua_createtable(L, k, 0);
  for (int j = 0; j < k; j++) {
    lua_pushinteger(L, c[j]);
    lua_rawseti(L, -2, j + 1);
  }
}

/* core.label_counts(y, k) -> {m_0, ..., m_{k-1}} (a Lua array, index j+1 for class j). */
static int l_label_counts(lua_State *L) {
  rdn_tensor *y = rdn__lua_checktensor(L, 1);
  int k = check_k(L, 2);
  long *c = lua_newuserdatauv(L, (size_t)k * sizeof *c, 0);
  rdn_ctx *ctx = rdn_tensor_ctx(y);
  rdn_status s = rdn_label_counts(ctx, y, k, c);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  push_counts(L, c, k);
  return 1;
}

/* core.label_sort(y, k) -> perm (i32 [m], samples grouped by class), counts table. */
static int l_label_sort(lua_State *L) {
  rdn_tensor *y = rdn__lua_checktensor(L, 1);
  int k = check_k(L, 2);
  long *c = lua_newuserdatauv(L, (size_t)k * sizeof *c, 0);
  rdn_ctx *ctx = rdn_tensor_ctx(y);
  size_t m = rdn_tensor_numel(y);
  rdn_tensor *perm = rdn__lua_pushnew(L, ctx, RDN_I32, 1, &m);
  rdn_status s = rdn_label_sort(ctx, perm, y, k, c);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  push_counts(L, c, k);
  return 2;
}

/* core.accuracy(pred, y) -> fraction of equal entries. */
static int l_accuracy(lua_State *L) {
  rdn_tensor *p = rdn__lua_checktensor(L, 1), *y = rdn__lua_checktensor(L, 2);
  double a = 0;
  rdn_ctx *ctx = rdn_tensor_ctx(p);
  rdn_status s = rdn_accuracy(ctx, p, y, &a);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  lua_pushnumber(L, a);
  return 1;
}

/* core.orthonormalize(y) -> y: rows of [n, d] (or of each [b, n, d]) orthonormal. */
static int l_orthonormalize(lua_State *L) {
  rdn_tensor *y = rdn__lua_checktensor(L, 1);
  rdn_status s = rdn_orthonormalize(rdn_tensor_ctx(y), y);
  if (s != RDN_OK) return rdn__lua_fail(L, rdn_tensor_ctx(y), s);
  lua_settop(L, 1);
  return 1;
}

/* core.nearsub_predict(z, u) -> pred (i32 [m]); u [k, n, d]: orthonormal basis rows. */
static int l_nearsub(lua_State *L) {
  rdn_tensor *z = rdn__lua_checktensor(L, 1), *u = rdn__lua_checktensor(L, 2);
  rdn_ctx *ctx = rdn_tensor_ctx(z);
  size_t m = rdn_tensor_dim(z, 0);
  rdn_tensor *pred = rdn__lua_pushnew(L, ctx, RDN_I32, 1, &m);
  rdn_status s = rdn_nearsub_predict(ctx, pred, z, u);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

/* core.knn_predict(z, ztr, ytr, k) -> pred (i32 [m]). */
static int l_knn(lua_State *L) {
  rdn_tensor *z = rdn__lua_checktensor(L, 1), *ztr = rdn__lua_checktensor(L, 2);
  rdn_tensor *ytr = rdn__lua_checktensor(L, 3);
  lua_Integer k = luaL_checkinteger(L, 4);
  luaL_argcheck(L, k >= 1 && k <= 64, 4, "k must be in [1, 64]");
  rdn_ctx *ctx = rdn_tensor_ctx(z);
  size_t m = rdn_tensor_dim(z, 0);
  rdn_tensor *pred = rdn__lua_pushnew(L, ctx, RDN_I32, 1, &m);
  rdn_status s = rdn_knn_predict(ctx, pred, z, ztr, ytr, (int)k);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

/* core.ridge_predict(ztr, ytr, zte, k [, alpha = 1]) -> pred (i32 [rows of zte]). */
static int l_ridge(lua_State *L) {
  rdn_tensor *ztr = rdn__lua_checktensor(L, 1), *ytr = rdn__lua_checktensor(L, 2);
  rdn_tensor *zte = rdn__lua_checktensor(L, 3);
  int k = check_k(L, 4);
  double alpha = luaL_optnumber(L, 5, 1.0);
  rdn_ctx *ctx = rdn_tensor_ctx(ztr);
  size_t m = rdn_tensor_dim(zte, 0);
  rdn_tensor *pred = rdn__lua_pushnew(L, ctx, RDN_I32, 1, &m);
  rdn_status s = rdn_ridge_predict(ctx, pred, ztr, ytr, zte, k, alpha);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

/* core.onehot(y, k [, on = 1, off = 0 [, dtype = "f32"]]) -> [m, k] targets. */
static int l_onehot(lua_State *L) {
  rdn_tensor *y = rdn__lua_checktensor(L, 1);
  int k = check_k(L, 2);
  double on = luaL_optnumber(L, 3, 1.0), off = luaL_optnumber(L, 4, 0.0);
  rdn_dtype dt = rdn__lua_checkdtype(L, 5, RDN_F32);
  rdn_ctx *ctx = rdn_tensor_ctx(y);
  size_t shape[2] = { rdn_tensor_numel(y), (size_t)k };
  rdn_tensor *out = rdn__lua_pushnew(L, ctx, dt, 2, shape);
  rdn_status s = rdn_onehot(ctx, out, y, on, off);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

static const luaL_Reg redunet_funcs[] = {
  { "redunet_operators", l_operators }, { "redunet_layer", l_layer },
  { "redunet_update", l_update }, { "label_counts", l_label_counts },
  { "label_sort", l_label_sort }, { "accuracy", l_accuracy },
  { "orthonormalize", l_orthonormalize }, { "nearsub_predict", l_nearsub },
  { "knn_predict", l_knn }, { "ridge_predict", l_ridge }, { "onehot", l_onehot },
  { NULL, NULL }
};

void rdn__lua_open_redunet(lua_State *L) { luaL_setfuncs(L, redunet_funcs, 0); }
