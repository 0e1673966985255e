/*
** l_util.c -- the binding's shared helpers (see l_util.h): the error bridge, the default
** context in the registry, the rdn.Tensor userdata checks and the argument parsers that
** give Lua's standard "bad argument #i to 'f' (...)" messages.
*/
#include "l_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- errors */
static const char core_key = 'k';   /* registry: the rdn.core table */

void rdn__lua_init(lua_State *L) {
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &core_key);
}

/* The Lua name of the running C function when it was called as a field of rdn.core
** (rdn.zeros -> "rdn.zeros") or as a tensor method (t:sum -> "rdn.Tensor:sum"); the
** function found under that name must be the running one, so aliases never mislabel. */
static int lua_name(lua_State *L, char *buf, size_t len) {
  lua_Debug ar;
  int ok = 0;
  if (!lua_getstack(L, 0, &ar)) return 0;
  luaL_checkstack(L, 4, NULL);
  lua_getinfo(L, "nf", &ar);                       /* pushes the running function */
  int method = ar.namewhat && !strcmp(ar.namewhat, "method");
  if (ar.name && (method || (ar.namewhat && !strcmp(ar.namewhat, "field")))) {
    if (method) {
      luaL_getmetatable(L, RDN_TENSOR_MT);
      if (lua_istable(L, -1)) lua_getfield(L, -1, "__index");
      else lua_pushnil(L);
    } else {
      lua_pushnil(L);
      lua_rawgetp(L, LUA_REGISTRYINDEX, &core_key);
    }
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, ar.name);
      ok = lua_rawequal(L, -1, -4);
      lua_pop(L, 1);
    }
    lua_pop(L, 2);
  }
  lua_pop(L, 1);
  if (ok) snprintf(buf, len, "%s%s", method ? "rdn.Tensor:" : "rdn.", ar.name);
  return ok;
}

/* The runtime writes "rdn_<c function>: <what>: <detail>"; from Lua the prefix names the
** Lua function instead ("rdn.zeros: clCreateBuffer failed: ..."). */
int rdn__lua_fail(lua_State *L, rdn_ctx *ctx, rdn_status s) {
  const char *msg = rdn_ctx_error(ctx), *p = msg;
  char name[96];
  (void)s;
  if (!lua_name(L, name, sizeof name)) return luaL_error(L, "%s", msg);
  if (!strncmp(p, "rdn_", 4)) {
    p += 4;
    while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_') p++;
    p = (p[0] == ':' && p[1] == ' ') ? p + 2 : msg;
  }
  return luaL_error(L, "%s: %s", name, p);
}

/* ------------------------------------------------------------ context */
#define CTX_MT "rdn.Ctx"
static const char ctx_key = 'c';   /* its address is the private registry key */

typedef struct {
  rdn_ctx *ctx;
  int profile;                     /* print INFO lines (the RDN_PROFILE report) */
} l_ctx;

static void ctx_log(rdn_log_level lv, const char *msg, void *user) {
  const l_ctx *c = user;
  if (lv == RDN_LOG_WARN) fprintf(stderr, "rdn: warning: %s\n", msg);
  else if (lv == RDN_LOG_ERROR) fprintf(stderr, "rdn: error: %s\n", msg);
  else if (lv == RDN_LOG_INFO && c->profile) fprintf(stderr, "%s\n", msg);
}

static int ctx_gc(lua_State *L) {
  l_ctx *c = luaL_checkudata(L, 1, CTX_MT);
  rdn_ctx_destroy(c->ctx);   /* flushes the queue and logs the profile report */
  c->ctx = NULL;
  return 0;
}

rdn_ctx *rdn__lua_ctx(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &ctx_key) == LUA_TUSERDATA) {
    rdn_ctx *ctx = ((l_ctx *)lua_touserdata(L, -1))->ctx;
    lua_pop(L, 1);
    if (ctx) return ctx;
  } else {
    lua_pop(L, 1);
  }
  /* The userdata (with its __gc) exists before the context, so nothing leaks if the
  ** allocation of either raises.  Being created before any tensor, it is finalized
  ** after them at lua_close (finalizers run in reverse order of creation). */
  l_ctx *c = lua_newuserdatauv(L, sizeof *c, 0);
  c->ctx = NULL;
  const char *p = getenv("RDN_PROFILE");
  c->profile = p && *p && strcmp(p, "0") != 0;
  if (luaL_newmetatable(L, CTX_MT)) {
    lua_pushcfunction(L, ctx_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  rdn_ctx *ctx = NULL;
  rdn_status s = rdn_ctx_create(&ctx, NULL);
  if (s != RDN_OK) {
    char msg[1100];
    snprintf(msg, sizeof msg, "%s", rdn_ctx_error(ctx));
    rdn_ctx_destroy(ctx);
    lua_pop(L, 1);
    return luaL_error(L, "%s", msg), NULL;
  }
  c->ctx = ctx;
  rdn_ctx_set_log(ctx, ctx_log, c);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &ctx_key);
  return ctx;
}

/* ------------------------------------------------------------- tensors */
int rdn__lua_istensor(lua_State *L, int idx) {
  return luaL_testudata(L, idx, RDN_TENSOR_MT) != NULL;
}

rdn_tensor *rdn__lua_checktensor(lua_State *L, int idx) {
  l_tensor *ud = luaL_checkudata(L, idx, RDN_TENSOR_MT);
  if (!ud->t) luaL_error(L, "attempt to use a released tensor");
  return ud->t;
}

rdn_tensor *rdn__lua_opttensor(lua_State *L, int idx) {
  return lua_isnoneornil(L, idx) ? NULL : rdn__lua_checktensor(L, idx);
}

l_tensor *rdn__lua_newtensor(lua_State *L) {
  l_tensor *ud = lua_newuserdatauv(L, sizeof *ud, 0);
  ud->t = NULL;
  luaL_setmetatable(L, RDN_TENSOR_MT);
  return ud;
}

rdn_tensor *rdn__lua_pushnew(lua_State *L, rdn_ctx *ctx, rdn_dtype dt, int ndim,
                             const size_t *shape) {
  l_tensor *ud = rdn__lua_newtensor(L);
  rdn_status s = rdn_tensor_new(ctx, &ud->t, dt, ndim, shape);
  if (s != RDN_OK) rdn__lua_fail(L, ctx, s);
  return ud->t;
}

void rdn__lua_methods(lua_State *L, const luaL_Reg *m) {
  luaL_getmetatable(L, RDN_TENSOR_MT);
  if (lua_getfield(L, -1, "__index") != LUA_TTABLE)
    luaL_error(L, "rdn.core: tensor methods registered before rdn__lua_open_tensor");
  luaL_setfuncs(L, m, 0);
  lua_pop(L, 2);
}

/* ------------------------------------------------------- argument parsing */
static size_t check_extent(lua_State *L, int arg, int dim, int idx) {
  int isint = 0;
  lua_Integer v = lua_type(L, idx) == LUA_TNUMBER ? lua_tointegerx(L, idx, &isint) : 0;
  if (!isint) {
    const char *what = lua_type(L, idx) == LUA_TNUMBER ? "a non-integer number"
                                                       : luaL_typename(L, idx);
    return (size_t)luaL_argerror(L, arg, lua_pushfstring(L, "shape: dimension %d is %s, "
                                 "expected an integer", dim, what));
  }
  if (v < 1)
    return (size_t)luaL_argerror(L, arg, lua_pushfstring(L, "shape: dimension %d is %I, "
                                 "must be >= 1", dim, v));
  return (size_t)v;
}

int rdn__lua_checkshape(lua_State *L, int first, int last, size_t *shape) {
  int n;
  if (last < 0) last = lua_gettop(L);
  if (lua_type(L, first) == LUA_TTABLE) {
    lua_Integer len = luaL_len(L, first);
    n = len > 99 ? 99 : (int)len;
    if (n < 1 || n > RDN_MAX_DIMS)
      return luaL_argerror(L, first, lua_pushfstring(L, "shape has %d dimensions, expected 1 "
                           "to %d", n, RDN_MAX_DIMS));
    for (int i = 0; i < n; i++) {
      lua_geti(L, first, i + 1);
      shape[i] = check_extent(L, first, i + 1, -1);
      lua_pop(L, 1);
    }
    return n;
  }
  n = last - first + 1;
  if (n < 1 || lua_isnoneornil(L, first))
    return luaL_argerror(L, first, lua_pushfstring(L, "shape expected (a table or integers), "
                         "got %s", luaL_typename(L, first)));
  if (n > RDN_MAX_DIMS)
    return luaL_argerror(L, first, lua_pushfstring(L, "shape has %d dimensions, expected 1 "
                         "to %d", n, RDN_MAX_DIMS));
  for (int i = 0; i < n; i++) shape[i] = check_extent(L, first + i, i + 1, first + i);
  return n;
}

static rdn_dtype parse_dtype(lua_State *L, int arg, int idx, const char *field) {
  rdn_dtype dt;
  const char *s = lua_tostring(L, idx);
  if (lua_type(L, idx) != LUA_TSTRING) {
    const char *m = field ? lua_pushfstring(L, "field '%s': dtype string expected, got %s",
                                            field, luaL_typename(L, idx))
                          : lua_pushfstring(L, "dtype string expected, got %s",
                                            luaL_typename(L, idx));
    return (rdn_dtype)luaL_argerror(L, arg, m);
  }
  if (!rdn_dtype_parse(s, &dt)) {
    const char *m = lua_pushfstring(L, "%s%s%sunknown dtype '%s' (f32, f64, c64 or i32)",
                                    field ? "field '" : "", field ? field : "",
                                    field ? "': " : "", s);
    return (rdn_dtype)luaL_argerror(L, arg, m);
  }
  return dt;
}

rdn_dtype rdn__lua_checkdtype(lua_State *L, int idx, rdn_dtype def) {
  if (lua_isnoneornil(L, idx)) return def;
  return parse_dtype(L, idx, idx, NULL);
}

void rdn__lua_checknewargs(lua_State *L, int first, int nextra, const char *const *known,
                           rdn__lua_newargs *a) {
  int top = lua_gettop(L);
  a->dtype = RDN_F32;
  a->opts = 0;
  if (lua_type(L, first) == LUA_TTABLE) {
    const char *names[16];
    int n = 0;
    names[n++] = "dtype";
    for (int i = 0; known && known[i] && n < 15; i++) names[n++] = known[i];
    names[n] = NULL;
    rdn__lua_checkopts(L, first, names);
    a->ndim = rdn__lua_checkshape(L, first, first, a->shape);
    a->opts = first;
    a->extra = first + 1;
    a->dtype = rdn__lua_optdtype(L, first, "dtype", RDN_F32);
    if (top >= first + 1 + nextra)
      a->dtype = rdn__lua_checkdtype(L, first + 1 + nextra, a->dtype);
    return;
  }
  int last = top;
  if (lua_type(L, top) == LUA_TSTRING && top > first) {   /* trailing dtype */
    a->dtype = rdn__lua_checkdtype(L, top, RDN_F32);
    last--;
  }
  last -= nextra;
  a->extra = last + 1;
  a->ndim = rdn__lua_checkshape(L, first, last, a->shape);
}

void rdn__lua_checkopts(lua_State *L, int t, const char *const *known) {
  if (lua_isnoneornil(L, t)) return;
  luaL_checktype(L, t, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, t)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) continue;   /* array part: a shape, say */
    const char *k = lua_tostring(L, -1);
    int ok = 0;
    for (int i = 0; known[i] && !ok; i++) ok = !strcmp(known[i], k);
    if (!ok) {
      luaL_Buffer b;
      luaL_buffinit(L, &b);
      for (int i = 0; known[i]; i++) {
        luaL_addstring(&b, i ? ", " : "");
        luaL_addstring(&b, known[i]);
      }
      luaL_pushresult(&b);
      luaL_argerror(L, t, lua_pushfstring(L, "unknown option '%s' (known: %s)", k,
                                          lua_tostring(L, -1)));
    }
  }
}

/* Pushes field `key` of the option table (nil when t is none/nil); returns its type. */
static int getopt_field(lua_State *L, int t, const char *key) {
  if (lua_isnoneornil(L, t)) {
    lua_pushnil(L);
    return LUA_TNIL;
  }
  luaL_checktype(L, t, LUA_TTABLE);
  return lua_getfield(L, t, key);
}

static int opt_typeerror(lua_State *L, int t, const char *key, const char *want) {
  return luaL_argerror(L, t, lua_pushfstring(L, "field '%s': %s expected, got %s", key, want,
                                             luaL_typename(L, -1)));
}

int rdn__lua_optbool(lua_State *L, int t, const char *key, int def) {
  int ty = getopt_field(L, t, key), v = def;
  if (ty == LUA_TBOOLEAN) v = lua_toboolean(L, -1);
  else if (ty != LUA_TNIL) opt_typeerror(L, t, key, "boolean");
  lua_pop(L, 1);
  return v;
}

double rdn__lua_optnumber(lua_State *L, int t, const char *key, double def) {
  int ty = getopt_field(L, t, key);
  double v = def;
  if (ty == LUA_TNUMBER) v = (double)lua_tonumber(L, -1);
  else if (ty != LUA_TNIL) opt_typeerror(L, t, key, "number");
  lua_pop(L, 1);
  return v;
}

lua_Integer rdn__lua_optinteger(lua_State *L, int t, const char *key, lua_Integer def) {
  int ty = getopt_field(L, t, key), isint = 0;
  lua_Integer v = def;
  if (ty == LUA_TNUMBER) {
    v = lua_tointegerx(L, -1, &isint);
    if (!isint) opt_typeerror(L, t, key, "integer");
  } else if (ty != LUA_TNIL) {
    opt_typeerror(L, t, key, "integer");
  }
  lua_pop(L, 1);
  return v;
}

/* The string stays valid while the option table holds it. */
const char *rdn__lua_optstring(lua_State *L, int t, const char *key, const char *def) {
  int ty = getopt_field(L, t, key);
  const char *v = def;
  if (ty == LUA_TSTRING) v = lua_tostring(L, -1);
  else if (ty != LUA_TNIL) opt_typeerror(L, t, key, "string");
  lua_pop(L, 1);
  return v;
}

rdn_dtype rdn__lua_optdtype(lua_State *L, int t, const char *key, rdn_dtype def) {
  rdn_dtype dt = def;
  if (getopt_field(L, t, key) != LUA_TNIL) dt = parse_dtype(L, t, -1, key);
  lua_pop(L, 1);
  return dt;
}

rdn_trans rdn__lua_opttrans(lua_State *L, int t, const char *key) {
  int ty = getopt_field(L, t, key);
  rdn_trans tr = RDN_NOTRANS;
  if (ty == LUA_TBOOLEAN) {
    tr = lua_toboolean(L, -1) ? RDN_TRANS : RDN_NOTRANS;
  } else if (ty == LUA_TSTRING) {
    const char *s = lua_tostring(L, -1);
    if (!strcmp(s, "T") || !strcmp(s, "t")) tr = RDN_TRANS;
    else if (!strcmp(s, "C") || !strcmp(s, "c")) tr = RDN_CONJTRANS;
    else if (strcmp(s, "N") && strcmp(s, "n"))
      luaL_argerror(L, t, lua_pushfstring(L, "field '%s': bad transpose flag '%s' (false, "
                                          "true, 'N', 'T' or 'C')", key, s));
  } else if (ty != LUA_TNIL) {
    opt_typeerror(L, t, key, "boolean or 'N'/'T'/'C'");
  }
  lua_pop(L, 1);
  return tr;
}

int rdn__lua_checknumarray(lua_State *L, int arg, const char *what, double *v, int max) {
  luaL_checktype(L, arg, LUA_TTABLE);
  int k = (int)lua_rawlen(L, arg);
  if (k < 1 || k > max)
    luaL_argerror(L, arg, lua_pushfstring(L, "%s must hold 1 to %d numbers", what, max));
  for (int j = 0; j < k; j++) {
    if (lua_rawgeti(L, arg, j + 1) != LUA_TNUMBER)
      luaL_argerror(L, arg, lua_pushfstring(L, "%s[%d] is not a number", what, j + 1));
    v[j] = lua_tonumber(L, -1);
    lua_pop(L, 1);
  }
  return k;
}

int rdn__lua_pushrates(lua_State *L, const double *g, int k, const double *r) {
  lua_createtable(L, k, 0);
  for (int j = 0; j < k; j++) {
    lua_pushnumber(L, g[j]);
    lua_rawseti(L, -2, j + 1);
  }
  lua_pushnumber(L, r[2]);
  lua_pushnumber(L, r[0]);
  lua_pushnumber(L, r[1]);
  return 4;
}
