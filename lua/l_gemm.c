/*
** l_gemm.c -- rdn.matmul (new output) and rdn.gemm (into c) over rdn_gemm, with option
** tables {ta, tb, alpha, beta}; rdn.gemm_provider reads or picks the GEMM engine.
*/
#include "l_util.h"
#include <string.h>

static void check_rank(lua_State *L, int arg, rdn_tensor *t) {
  char sh[96];
  int nd = rdn_tensor_ndim(t);
  if (nd != 2 && nd != 3)
    luaL_argerror(L, arg, lua_pushfstring(L, "2-D or 3-D tensor expected, got %s",
                                          rdn_tensor_shape_str(t, sh, sizeof sh)));
}

/* rdn.matmul(a, b [, {ta=false, tb=false, alpha=1}]): alpha op(a) op(b) as a new tensor;
** 3-D operands are batches ([batch, rows, cols]; a 2-D one is shared by the batch). */
static int l_matmul(lua_State *L) {
  static const char *const known[] = { "ta", "tb", "alpha", NULL };
  rdn_tensor *a = rdn__lua_checktensor(L, 1), *b = rdn__lua_checktensor(L, 2);
  check_rank(L, 1, a);
  check_rank(L, 2, b);
  rdn__lua_checkopts(L, 3, known);
  rdn_trans ta = rdn__lua_opttrans(L, 3, "ta"), tb = rdn__lua_opttrans(L, 3, "tb");
  double alpha = rdn__lua_optnumber(L, 3, "alpha", 1.0);
  rdn_ctx *ctx = rdn_tensor_ctx(a);
  size_t shape[3];
  int nd = 2;
  if (rdn_tensor_ndim(a) == 3 || rdn_tensor_ndim(b) == 3) {
    shape[0] = rdn_tensor_dim(rdn_tensor_ndim(a) == 3 ? a : b, 0);
    nd = 3;
  }
  shape[nd - 2] = rdn_tensor_dim(a, ta ? -1 : -2);
  shape[nd - 1] = rdn_tensor_dim(b, tb ? -2 : -1);
  rdn_tensor *c = rdn__lua_pushnew(L, ctx, rdn_tensor_dtype(a), nd, shape);
  rdn_status s = rdn_gemm(ctx, ta, tb, alpha, a, b, 0.0, c);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

/* rdn.gemm(a, b, c [, {ta, tb, alpha=1, beta=0}]): c = alpha op(a) op(b) + beta c;
** returns c. */
static int l_gemm(lua_State *L) {
  static const char *const known[] = { "ta", "tb", "alpha", "beta", NULL };
  rdn_tensor *a = rdn__lua_checktensor(L, 1), *b = rdn__lua_checktensor(L, 2);
  rdn_tensor *c = rdn__lua_checktensor(L, 3);
  rdn__lua_checkopts(L, 4, known);
  rdn_trans ta = rdn__lua_opttrans(L, 4, "ta"), tb = rdn__lua_opttrans(L, 4, "tb");
  double alpha = rdn__lua_optnumber(L, 4, "alpha", 1.0);
  double beta = rdn__lua_optnumber(L, 4, "beta", 0.0);
  rdn_ctx *ctx = rdn_tensor_ctx(c);
  rdn_status s = rdn_gemm(ctx, ta, tb, alpha, a, b, beta, c);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  lua_settop(L, 3);
  return 1;
}

/* rdn.gemm_provider([name]): returns the provider ("auto", "own", "clblast") after
** setting it when name is given. */
static int l_gemm_provider(lua_State *L) {
  static const char *const names[] = { "auto", "own", "clblast", NULL };
  rdn_ctx *ctx = rdn__lua_ctx(L);
  if (!lua_isnoneornil(L, 1)) {
    int p = luaL_checkoption(L, 1, NULL, names);
    rdn_status s = rdn_gemm_provider_set(ctx, (rdn_gemm_provider)p);
    if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  }
  lua_pushstring(L, names[rdn_gemm_provider_get(ctx)]);
  return 1;
}

static const luaL_Reg gemm_funcs[] = {
  { "matmul", l_matmul }, { "gemm", l_gemm }, { "gemm_provider", l_gemm_provider },
  { NULL, NULL }
};

void rdn__lua_open_gemm(lua_State *L) { luaL_setfuncs(L, gemm_funcs, 0); }
