/*
** l_reduce.c -- reductions and row operations (runtime reduce.c): t:sum, t:sumsq,
** t:norm, t:row_norms, t:normalize_rows, t:argmax_rows, t:gather_rows.  Rows are the
** first axis; the rest of each row is flattened.
*/
#include "l_util.h"
#include <math.h>

typedef rdn_status (*reduce_fn)(rdn_ctx *, const rdn_tensor *, double *);

static int reduce(lua_State *L, reduce_fn f, int root) {
  rdn_tensor *t = rdn__lua_checktensor(L, 1);
  double v = 0;
  rdn_status s = f(rdn_tensor_ctx(t), t, &v);
  if (s != RDN_OK) return rdn__lua_fail(L, rdn_tensor_ctx(t), s);
  lua_pushnumber(L, root ? sqrt(v) : v);
  return 1;
}

/* t:sum() (c64: sum of the real parts), t:sumsq() (c64: sum of |z|^2), t:norm()
** (Frobenius, sqrt of sumsq); accumulated in double on the device. */
static int m_sum(lua_State *L) { return reduce(L, rdn_sum, 0); }
static int m_sumsq(lua_State *L) { return reduce(L, rdn_sumsq, 0); }
static int m_norm(lua_State *L) { return reduce(L, rdn_sumsq, 1); }

/* t:row_norms(): new [rows] tensor of ||t[r, :]|| (f64 for f64, else f32). */
static int m_row_norms(lua_State *L) {
  rdn_tensor *t = rdn__lua_checktensor(L, 1);
  rdn_ctx *ctx = rdn_tensor_ctx(t);
  size_t rows = rdn_tensor_dim(t, 0);
  rdn_dtype dt = rdn_tensor_dtype(t) == RDN_F64 ? RDN_F64 : RDN_F32;
  rdn_tensor *out = rdn__lua_pushnew(L, ctx, dt, 1, &rows);
  rdn_status s = rdn_row_norms(ctx, out, t);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

/* t:normalize_rows([clamp = 1e-8]): t[r, :] /= max(||t[r, :]||, clamp); returns t. */
static int m_normalize_rows(lua_State *L) {
  rdn_tensor *t = rdn__lua_checktensor(L, 1);
  rdn_status s = rdn_normalize_rows(rdn_tensor_ctx(t), t, luaL_optnumber(L, 2, 1e-8));
  if (s != RDN_OK) return rdn__lua_fail(L, rdn_tensor_ctx(t), s);
  lua_settop(L, 1);
  return 1;
}

/* t:argmax_rows(): new i32 [rows] tensor of 0-BASED column indices of each row's
** maximum (first one wins), as the device kernels and labels use them. */
static int m_argmax_rows(lua_State *L) {
  rdn_tensor *t = rdn__lua_checktensor(L, 1);
  rdn_ctx *ctx = rdn_tensor_ctx(t);
  size_t rows = rdn_tensor_dim(t, 0);
  rdn_tensor *out = rdn__lua_pushnew(L, ctx, RDN_I32, 1, &rows);
  rdn_status s = rdn_argmax_rows(ctx, out, t);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

/* t:gather_rows(idx): new tensor whose row i is t's row idx[i]; idx is an i32 tensor of
** 0-BASED row indices (an index out of range raises, naming it). */
static int m_gather_rows(lua_State *L) {
  rdn_tensor *t = rdn__lua_checktensor(L, 1), *idx = rdn__lua_checktensor(L, 2);
  rdn_ctx *ctx = rdn_tensor_ctx(t);
  size_t shape[RDN_MAX_DIMS];
  int nd = rdn_tensor_ndim(t);
  for (int i = 1; i < nd; i++) shape[i] = rdn_tensor_dim(t, i);
  shape[0] = rdn_tensor_numel(idx);
  rdn_tensor *out = rdn__lua_pushnew(L, ctx, rdn_tensor_dtype(t), nd, shape);
  rdn_status s = rdn_gather_rows(ctx, out, t, idx);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

static const luaL_Reg reduce_methods[] = {
  { "sum", m_sum }, { "sumsq", m_sumsq }, { "norm", m_norm }, { "row_norms", m_row_norms },
  { "normalize_rows", m_normalize_rows }, { "argmax_rows", m_argmax_rows },
  { "gather_rows", m_gather_rows }, { NULL, NULL }
};

void rdn__lua_open_reduce(lua_State *L) { rdn__lua_methods(L, reduce_methods); }
