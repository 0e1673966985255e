/*
** l_tensor.c -- rdn.Tensor: creation from Lua tables and shapes (tensor, zeros, ones,
** full), shape queries, host round trips (totable, tostring), views (reshape, rows),
** copies, and the userdata lifecycle (__gc, __close, release).
*/
#include "l_util.h"
#include <stdio.h>
#include <string.h>

/* A host staging buffer owned by the Lua GC, so an error raised while it is in use
** (a ragged table, a failed read) frees it too. */
static void *tmpbuf(lua_State *L, size_t bytes) {
  return lua_newuserdatauv(L, bytes ? bytes : 1, 0);
}

/* ----------------------------------------------------- rdn.tensor(table) */
typedef struct {
  lua_State *L;
  rdn_dtype dt;
  int ndim, pairs;                  /* pairs: c64 leaves are {re, im} tables */
  size_t shape[RDN_MAX_DIMS];
  unsigned char *out;
  size_t n;                         /* elements written */
  char path[64];                    /* "t[2][3]" of the element being read */
} fill_state;

static int pos_error(fill_state *f, const char *fmt, const char *detail) {
  lua_State *L = f->L;
  return luaL_argerror(L, 1, lua_pushfstring(L, fmt, f->path, detail));
}

static void put_number(fill_state *f, int idx, size_t k) {
  lua_State *L = f->L;
  if (lua_type(L, idx) != LUA_TNUMBER)
    pos_error(f, "element %s is %s, expected a number", luaL_typename(L, idx));
  double v = (double)lua_tonumber(L, idx);
  if (f->dt == RDN_F32) {
    float x = (float)v;
    memcpy(f->out + 4 * k, &x, 4);
  } else if (f->dt == RDN_F64) {
    memcpy(f->out + 8 * k, &v, 8);
  } else if (f->dt == RDN_C64) {
    float x[2] = { (float)v, 0.0f };
    memcpy(f->out + 8 * k, x, 8);
  } else {
    int isint = 0;
    lua_Integer i = lua_tointegerx(L, idx, &isint);
    if (!isint || i < INT32_MIN || i > INT32_MAX)
      pos_error(f, "element %s is %s, expected a 32-bit integer for i32",
                lua_tostring(L, idx));
    int32_t x = (int32_t)i;
    memcpy(f->out + 4 * k, &x, 4);
  }
}

static void put_pair(fill_state *f, int idx, size_t k) {
  lua_State *L = f->L;
  float x[2];
  if (lua_type(L, idx) != LUA_TTABLE || lua_rawlen(L, idx) != 2)
    pos_error(f, "element %s is %s, expected a {re, im} pair for c64",
              lua_type(L, idx) == LUA_TTABLE ? "a table without 2 entries"
                                             : luaL_typename(L, idx));
  for (int j = 0; j < 2; j++) {
    if (lua_rawgeti(L, idx, j + 1) != LUA_TNUMBER)
      pos_error(f, "element %s has a non-number in its {re, im} pair", NULL);
    x[j] = (float)lua_tonumber(L, -1);
    lua_pop(L, 1);
  }
  memcpy(f->out + 8 * k, x, 8);
}

/* Depth-first copy of the table at idx (axis `ax`), checking every row's length. */
static void fill_rec(fill_state *f, int idx, int ax) {
  lua_State *L = f->L;
  size_t len = lua_rawlen(L, idx), plen = strlen(f->path);
  if (len != f->shape[ax]) {
    char want[32];
    snprintf(want, sizeof want, "%zu", f->shape[ax]);
    lua_pushfstring(L, "ragged table: %s has %d entries, expected %s", f->path[0] ? f->path
                    : "t", (int)len, want);
    luaL_argerror(L, 1, lua_tostring(L, -1));
  }
  luaL_checkstack(L, 4, "rdn.tensor: nesting too deep");
  for (size_t i = 0; i < len; i++) {
    snprintf(f->path + plen, sizeof f->path - plen, "%s[%zu]", plen ? "" : "t", i + 1);
    lua_rawgeti(L, idx, (lua_Integer)(i + 1));
    if (ax + 1 < f->ndim) {
      if (lua_type(L, -1) != LUA_TTABLE)
        pos_error(f, "ragged table: %s is %s, expected a table", luaL_typename(L, -1));
      fill_rec(f, lua_gettop(L), ax + 1);
    } else if (f->pairs) {
      put_pair(f, lua_gettop(L), f->n++);
    } else {
      put_number(f, lua_gettop(L), f->n++);
    }
    lua_pop(L, 1);
  }
  f->path[plen] = 0;
}

/* Shape from the first element of each level. */
static void infer_shape(fill_state *f) {
  lua_State *L = f->L;
  int idx = 1;
  f->ndim = 0;
  f->pairs = 0;
  for (;;) {
    size_t len = lua_rawlen(L, idx);
    if (len == 0)
      luaL_argerror(L, 1, "empty table: a tensor needs at least one element");
    if (f->ndim == RDN_MAX_DIMS)
      luaL_argerror(L, 1, lua_pushfstring(L, "table nests deeper than %d levels",
                                          RDN_MAX_DIMS));
    f->shape[f->ndim++] = len;
    int ty = lua_rawgeti(L, idx, 1);
    if (ty == LUA_TTABLE && f->dt == RDN_C64 && lua_rawgeti(L, -1, 1) == LUA_TNUMBER) {
      lua_pop(L, 1);
      f->pairs = 1;
      ty = LUA_TNUMBER;
    } else if (ty == LUA_TTABLE && f->dt == RDN_C64) {
      lua_pop(L, 1);
    }
    if (ty != LUA_TTABLE) {
      lua_pop(L, 1);
      return;                       /* leaves: checked one by one by fill_rec */
    }
    idx = lua_gettop(L);            /* descend; the stack keeps the chain alive */
  }
}

static int l_tensor_new(lua_State *L) {
  fill_state f;
  luaL_checktype(L, 1, LUA_TTABLE);
  memset(&f, 0, sizeof f);
  f.L = L;
  f.dt = rdn__lua_checkdtype(L, 2, RDN_F32);
  lua_settop(L, 2);
  infer_shape(&f);
  lua_settop(L, 2);
  size_t numel = 1;
  for (int i = 0; i < f.ndim; i++) {
    if (f.shape[i] > ((size_t)1 << 40) / numel) luaL_argerror(L, 1, "table too large");
    numel *= f.shape[i];
  }
  size_t bytes = numel * rdn_dtype_size(f.dt);
  f.out = tmpbuf(L, bytes);          /* index 3 */
  fill_rec(&f, 1, 0);
  rdn_ctx *ctx = rdn__lua_ctx(L);
  rdn_tensor *t = rdn__lua_pushnew(L, ctx, f.dt, f.ndim, f.shape);
  rdn_status s = rdn_tensor_write(t, f.out, bytes);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

/* ------------------------------------------------ zeros / ones / full */
static int make_filled(lua_State *L, double v, int nextra) {
  rdn__lua_newargs a;
  rdn__lua_checknewargs(L, 1, nextra, NULL, &a);
  if (nextra) v = luaL_checknumber(L, a.extra);
  rdn_ctx *ctx = rdn__lua_ctx(L);
  rdn_tensor *t = rdn__lua_pushnew(L, ctx, a.dtype, a.ndim, a.shape);
  rdn_status s = rdn_tensor_fill(t, v);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

static int l_zeros(lua_State *L) { return make_filled(L, 0.0, 0); }
static int l_ones(lua_State *L) { return make_filled(L, 1.0, 0); }
static int l_full(lua_State *L) { return make_filled(L, 0.0, 1); }

/* rdn.empty: uninitialised storage, for outputs that an op overwrites. */
static int l_empty(lua_State *L) {
  rdn__lua_newargs a;
  rdn__lua_checknewargs(L, 1, 0, NULL, &a);
  rdn__lua_pushnew(L, rdn__lua_ctx(L), a.dtype, a.ndim, a.shape);
  return 1;
}

static int l_is_tensor(lua_State *L) {
  lua_pushboolean(L, rdn__lua_istensor(L, 1));
  return 1;
}

/* ------------------------------------------------------------- queries */
static int m_shape(lua_State *L) {
  rdn_tensor *t = rdn__lua_checktensor(L, 1);
  int n = rdn_tensor_ndim(t);
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    lua_pushinteger(L, (lua_Integer)rdn_tensor_dim(t, i));
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

/* t:dim(i): extent of axis i, 1-based; negative i counts from the end (-1: last). */
static int m_dim(lua_State *L) {
  rdn_tensor *t = rdn__lua_checktensor(L, 1);
  lua_Integer i = luaL_checkinteger(L, 2), n = rdn_tensor_ndim(t);
  if (i < 0) i += n + 1;
  if (i < 1 || i > n)
    return luaL_argerror(L, 2, lua_pushfstring(L, "axis %d out of range (tensor has %d)",
                                               (int)luaL_checkinteger(L, 2), (int)n));
  lua_pushinteger(L, (lua_Integer)rdn_tensor_dim(t, (int)i - 1));
  return 1;
}

static int m_len(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)rdn_tensor_dim(rdn__lua_checktensor(L, 1), 0));
  return 1;
}

static int m_numel(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)rdn_tensor_numel(rdn__lua_checktensor(L, 1)));
  return 1;
}

static int m_dtype(lua_State *L) {
  lua_pushstring(L, rdn_dtype_name(rdn_tensor_dtype(rdn__lua_checktensor(L, 1))));
  return 1;
}

/* ------------------------------------------------------- host round trip */
static void push_elem(lua_State *L, rdn_dtype dt, const unsigned char *p) {
  if (dt == RDN_F32) {
    float x;
    memcpy(&x, p, 4);
    lua_pushnumber(L, x);
  } else if (dt == RDN_F64) {
    double x;
    memcpy(&x, p, 8);
    lua_pushnumber(L, x);
  } else if (dt == RDN_I32) {
    int32_t x;
    memcpy(&x, p, 4);
    lua_pushinteger(L, x);
  } else {
    float x[2];
    memcpy(x, p, 8);
    lua_createtable(L, 2, 0);
    lua_pushnumber(L, x[0]);
    lua_rawseti(L, -2, 1);
    lua_pushnumber(L, x[1]);
    lua_rawseti(L, -2, 2);
  }
}

static const unsigned char *build_table(lua_State *L, const rdn_tensor *t, int ax,
                                        const unsigned char *p) {
  size_t n = rdn_tensor_dim(t, ax), es = rdn_dtype_size(rdn_tensor_dtype(t));
  luaL_checkstack(L, 4, "totable");
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    if (ax + 1 < rdn_tensor_ndim(t)) {
      p = build_table(L, t, ax + 1, p);
    } else {
      push_elem(L, rdn_tensor_dtype(t), p);
      p += es;
    }
    lua_rawseti(L, -2, (lua_Integer)(i + 1));
  }
  return p;
}

/* t:totable(): nested Lua tables; c64 elements as {re, im}; i32 as integers. */
static int m_totable(lua_State *L) {
  rdn_tensor *t = rdn__lua_checktensor(L, 1);
  size_t bytes = rdn_tensor_numel(t) * rdn_dtype_size(rdn_tensor_dtype(t));
  void *buf = tmpbuf(L, bytes);
  rdn_status s = rdn_tensor_read(t, buf, bytes);
  if (s != RDN_OK) return rdn__lua_fail(L, rdn_tensor_ctx(t), s);
  build_table(L, t, 0, buf);
  return 1;
}

#define SHOW 6   /* elements shown by __tostring */

static void format_elem(rdn_dtype dt, const unsigned char *p, char *out, size_t len) {
  float f[2];
  double d;
  int32_t i;
  switch (dt) {
    case RDN_F32: memcpy(f, p, 4); snprintf(out, len, "%.6g", f[0]); break;
    case RDN_F64: memcpy(&d, p, 8); snprintf(out, len, "%.6g", d); break;
    case RDN_I32: memcpy(&i, p, 4); snprintf(out, len, "%d", (int)i); break;
    case RDN_C64: memcpy(f, p, 8); snprintf(out, len, "%.6g%+.6gi", f[0], f[1]); break;
  }
}

static int m_tostring(lua_State *L) {
  l_tensor *ud = luaL_checkudata(L, 1, RDN_TENSOR_MT);
  char shape[96], num[64];
  unsigned char buf[SHOW * 8];
  rdn_tensor *t = ud->t, *flat = NULL, *head = NULL;
  if (!t) {
    lua_pushliteral(L, "rdn.Tensor (released)");
    return 1;
  }
  rdn_dtype dt = rdn_tensor_dtype(t);
  size_t n = rdn_tensor_numel(t), k = n < SHOW ? n : SHOW, es = rdn_dtype_size(dt);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  lua_pushfstring(L, "rdn.Tensor %s %s {", rdn_dtype_name(dt),
                  rdn_tensor_shape_str(t, shape, sizeof shape));
  luaL_addvalue(&b);
  /* read only the first k elements, through a flat view */
  int ok = rdn_tensor_reshape(&flat, t, 1, &n) == RDN_OK &&
           rdn_tensor_rows(&head, flat, 0, k) == RDN_OK &&
           rdn_tensor_read(head, buf, k * es) == RDN_OK;
  rdn_tensor_release(head);
  rdn_tensor_release(flat);
  for (size_t i = 0; ok && i < k; i++) {
    format_elem(dt, buf + i * es, num, sizeof num);
    luaL_addstring(&b, i ? ", " : "");
    luaL_addstring(&b, num);
  }
  luaL_addstring(&b, !ok ? "?}" : n > k ? ", ...}" : "}");
  luaL_pushresult(&b);
  return 1;
}

/* --------------------------------------------------------------- views */
/* t:reshape(shape...): a view with the same elements (table or varargs shape). */
static int m_reshape(lua_State *L) {
  rdn_tensor *t = rdn__lua_checktensor(L, 1);
  size_t shape[RDN_MAX_DIMS], n = 1;
  int nd = rdn__lua_checkshape(L, 2, -1, shape);
  for (int i = 0; i < nd; i++) n = shape[i] > ((size_t)1 << 48) / n ? (size_t)-1 : n * shape[i];
  if (n != rdn_tensor_numel(t))
    return luaL_argerror(L, 2, lua_pushfstring(L, "shape has %I elements, tensor has %I",
                                               (lua_Integer)n,
                                               (lua_Integer)rdn_tensor_numel(t)));
  l_tensor *ud = rdn__lua_newtensor(L);
  rdn_status s = rdn_tensor_reshape(&ud->t, t, nd, shape);
  if (s != RDN_OK) return rdn__lua_fail(L, rdn_tensor_ctx(t), s);
  return 1;
}

/* t:rows(i0, n): view of rows i0 .. i0+n-1 of axis 1, with 1-based i0 (Lua convention;
** the C API's rdn_tensor_rows takes 0-based row0). */
static int m_rows(lua_State *L) {
  rdn_tensor *t = rdn__lua_checktensor(L, 1);
  lua_Integer i0 = luaL_checkinteger(L, 2), n = luaL_checkinteger(L, 3);
  lua_Integer rows = (lua_Integer)rdn_tensor_dim(t, 0);
  if (i0 < 1 || i0 > rows)
    return luaL_argerror(L, 2, lua_pushfstring(L, "first row %I outside [1, %I]", i0, rows));
  if (n < 1 || n > rows - i0 + 1)
    return luaL_argerror(L, 3, lua_pushfstring(L, "%I rows from row %I exceed the %I rows",
                                               n, i0, rows));
  l_tensor *ud = rdn__lua_newtensor(L);
  rdn_status s = rdn_tensor_rows(&ud->t, t, (size_t)(i0 - 1), (size_t)n);
  if (s != RDN_OK) return rdn__lua_fail(L, rdn_tensor_ctx(t), s);
  return 1;
}

/* -------------------------------------------------------- copies, fill */
static int m_clone(lua_State *L) {
  rdn_tensor *t = rdn__lua_checktensor(L, 1);
  size_t shape[RDN_MAX_DIMS];
  int nd = rdn_tensor_ndim(t);
  for (int i = 0; i < nd; i++) shape[i] = rdn_tensor_dim(t, i);
  rdn_ctx *ctx = rdn_tensor_ctx(t);
  rdn_tensor *c = rdn__lua_pushnew(L, ctx, rdn_tensor_dtype(t), nd, shape);
  rdn_status s = rdn_tensor_copy(c, t);
  if (s != RDN_OK) return rdn__lua_fail(L, ctx, s);
  return 1;
}

/* t:copy(src): t = src (same dtype and numel); returns t. */
static int m_copy(lua_State *L) {
  rdn_tensor *t = rdn__lua_checktensor(L, 1), *src = rdn__lua_checktensor(L, 2);
  rdn_status s = rdn_tensor_copy(t, src);
  if (s != RDN_OK) return rdn__lua_fail(L, rdn_tensor_ctx(t), s);
  lua_settop(L, 1);
  return 1;
}

static int m_fill(lua_State *L) {
  rdn_tensor *t = rdn__lua_checktensor(L, 1);
  rdn_status s = rdn_tensor_fill(t, luaL_checknumber(L, 2));
  if (s != RDN_OK) return rdn__lua_fail(L, rdn_tensor_ctx(t), s);
  lua_settop(L, 1);
  return 1;
}

/* ------------------------------------------------------------ lifecycle */
/* __gc, __close and t:release(): drop this handle's reference (views keep the storage
** alive).  Releasing twice is allowed; any other method then raises. */
static int m_release(lua_State *L) {
  l_tensor *ud = luaL_checkudata(L, 1, RDN_TENSOR_MT);
  rdn_tensor_release(ud->t);
  ud->t = NULL;
  return 0;
}

static const luaL_Reg tensor_funcs[] = {
  { "tensor", l_tensor_new }, { "zeros", l_zeros }, { "ones", l_ones }, { "full", l_full },
  { "empty", l_empty }, { "is_tensor", l_is_tensor }, { NULL, NULL }
};

static const luaL_Reg tensor_methods[] = {
  { "shape", m_shape }, { "dim", m_dim }, { "numel", m_numel }, { "dtype", m_dtype },
  { "totable", m_totable }, { "reshape", m_reshape }, { "rows", m_rows },
  { "clone", m_clone }, { "copy", m_copy }, { "fill", m_fill }, { "release", m_release },
  { NULL, NULL }
};

static const luaL_Reg tensor_meta[] = {
  { "__gc", m_release }, { "__close", m_release }, { "__len", m_len },
  { "__tostring", m_tostring }, { "__index", NULL }, { NULL, NULL }
};

void rdn__lua_open_tensor(lua_State *L) {
  luaL_setfuncs(L, tensor_funcs, 0);
  luaL_newmetatable(L, RDN_TENSOR_MT);     /* sets __name = "rdn.Tensor" */
  luaL_setfuncs(L, tensor_meta, 0);
  luaL_newlibtable(L, tensor_methods);
  luaL_setfuncs(L, tensor_methods, 0);
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, "__index");          /* metatable.__index = methods */
  lua_setfield(L, -3, "Tensor");           /* core.Tensor = methods (for Lua-side methods) */
  lua_pop(L, 1);
}
