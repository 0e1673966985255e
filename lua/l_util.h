/*
** l_util.h -- shared helpers of the Lua binding (lua/l_*.c): the one error bridge, the
** default context, tensor userdata, and argument parsing (shapes, dtypes, option tables).
** Every binding file includes only this header (plus lua.h/lauxlib.h through it).
*/
#ifndef RDN_L_UTIL_H
#define RDN_L_UTIL_H

#include "rdn.h"
#include <lauxlib.h>
#include <lua.h>

/* A binding module: `void rdn__lua_open_<module>(lua_State *L)` adds its functions to
** the rdn.core table on top of the stack (and may add tensor methods with
** rdn__lua_methods).  luaopen_rdn_core (l_rdn.c) calls each once.  To add one: write
** lua/l_<module>.c ending with `<module>_funcs` / `<module>_methods` luaL_Reg tables,
** declare its open function below and call it in l_rdn.c; rdn/init.lua re-exports every
** rdn.core function as rdn.<name>, so nothing else needs editing. */
void rdn__lua_open_ctx(lua_State *L);
void rdn__lua_open_tensor(lua_State *L);
void rdn__lua_open_npy(lua_State *L);
void rdn__lua_open_elementwise(lua_State *L);
void rdn__lua_open_reduce(lua_State *L);
void rdn__lua_open_gemm(lua_State *L);
void rdn__lua_open_data(lua_State *L);      /* l_data.c: IDX, safetensors */
void rdn__lua_open_redunet(lua_State *L);   /* l_redunet.c: ReduNet, evaluation */
void rdn__lua_open_linalg(lua_State *L);    /* l_linalg.c: Gram, Cholesky, coding rates */
void rdn__lua_open_interp(lua_State *L);    /* l_interp.c: Linear, ReLU, interpolation */
void rdn__lua_open_scatter(lua_State *L);   /* l_scatter.c: shrinkage, scattering, channels */
void rdn__lua_open_frames(lua_State *L);    /* l_frames.c: frames, deep frame potential, ISTA */
void rdn__lua_open_spectral(lua_State *L);  /* l_spectral.c: spectral ReduNet */
void rdn__lua_open_lift(lua_State *L);      /* l_lift.c: lifting convolution */

/* ------------------------------------------------------------- errors */
/* Called first by luaopen_rdn_core with the new core table on top (left there). */
void rdn__lua_init(lua_State *L);
/* The one error bridge: raises rdn_ctx_error(ctx) as a Lua error (never returns; the
** `return rdn__lua_fail(...)` idiom keeps the compiler happy).  When the running C
** function was called as rdn.<name> or t:<name>, the runtime's "rdn_<c name>: " prefix
** becomes "rdn.<name>: " / "rdn.Tensor:<name>: ".  Free every C temporary
** before calling it: it longjmps.  `s` is unused today but kept for a future
** status-dependent policy (it must not be RDN_OK). */
int rdn__lua_fail(lua_State *L, rdn_ctx *ctx, rdn_status s);

/* ------------------------------------------------------------ context */
/* The default context of this lua_State, created on first use from RDN_DEVICE and kept
** in the registry under a private key.  A failure to create it raises the ctx message.
** Its log callback prints WARN/ERROR (and, under RDN_PROFILE=1, the INFO profile
** report written when the context is destroyed at lua_close) to stderr. */
rdn_ctx *rdn__lua_ctx(lua_State *L);

/* ------------------------------------------------------------- tensors */
#define RDN_TENSOR_MT "rdn.Tensor"
typedef struct { rdn_tensor *t; } l_tensor;   /* t == NULL once released */

/* The tensor at `idx`: raises Lua's standard "bad argument #i to 'f' (rdn.Tensor
** expected, got nil)" for a non-tensor and "attempt to use a released tensor" for a
** released one. */
rdn_tensor *rdn__lua_checktensor(lua_State *L, int idx);
/* Like rdn__lua_checktensor, but none/nil gives NULL. */
rdn_tensor *rdn__lua_opttensor(lua_State *L, int idx);
/* 1 if the value at idx is an rdn.Tensor userdata (released or not). */
int rdn__lua_istensor(lua_State *L, int idx);
/* Pushes an empty tensor userdata (t = NULL, metatable already set, so a later error
** leaks nothing) and returns it; the caller then fills ud->t from a runtime call:
**   l_tensor *ud = rdn__lua_newtensor(L);
**   if ((s = rdn_tensor_new(ctx, &ud->t, ...)) != RDN_OK) return rdn__lua_fail(L, ctx, s); */
l_tensor *rdn__lua_newtensor(lua_State *L);
/* Shortcut for the above with rdn_tensor_new: pushes and returns the new tensor. */
rdn_tensor *rdn__lua_pushnew(lua_State *L, rdn_ctx *ctx, rdn_dtype dt, int ndim,
                             const size_t *shape);
/* Adds `m` as methods of rdn.Tensor (t:name(...)).  Call from an open function. */
void rdn__lua_methods(lua_State *L, const luaL_Reg *m);

/* ------------------------------------------------------- argument parsing */
/* A shape given as a table at `first` (its array part: rdn.zeros{2,3}) or as integers
** in args first..last (rdn.zeros(2, 3); last < 0 means the top of the stack).  Fills
** shape[RDN_MAX_DIMS], returns ndim (1..4).  Bad extents raise "bad argument #i to 'f'
** (...)" naming the dimension and the value. */
int rdn__lua_checkshape(lua_State *L, int first, int last, size_t *shape);
/* The arguments of a tensor-creating call, in all three forms:
**   f{2, 3, dtype = "f64", <opt> = ...}
**   f({2, 3} [, extras] [, dtype])
**   f(2, 3 [, extras] [, dtype])
** `nextra` numbers follow the shape (rdn.full(2, 3, v): 1); they are not checked here.
** Fields of a shape table other than "dtype" must be listed in `known` (NULL: none). */
typedef struct {
  int ndim;
  size_t shape[RDN_MAX_DIMS];
  rdn_dtype dtype;    /* "dtype" field or trailing string, default f32 */
  int opts;           /* stack index of the shape table (options live there), or 0 */
  int extra;          /* stack index of the first extra argument */
} rdn__lua_newargs;
void rdn__lua_checknewargs(lua_State *L, int first, int nextra, const char *const *known,
                           rdn__lua_newargs *a);
/* A dtype string ("f32", "f64", "c64", "i32") at idx; none/nil gives `def`. */
rdn_dtype rdn__lua_checkdtype(lua_State *L, int idx, rdn_dtype def);

/* Option tables: `t` is the stack index of a table, or of none/nil (every option then
** takes its default).  A field of the wrong type raises "bad argument #t to 'f' (field
** 'alpha': number expected, got string)". */
void rdn__lua_checkopts(lua_State *L, int t, const char *const *known);  /* unknown keys */
int rdn__lua_optbool(lua_State *L, int t, const char *key, int def);
double rdn__lua_optnumber(lua_State *L, int t, const char *key, double def);
lua_Integer rdn__lua_optinteger(lua_State *L, int t, const char *key, lua_Integer def);
const char *rdn__lua_optstring(lua_State *L, int t, const char *key, const char *def);
rdn_dtype rdn__lua_optdtype(lua_State *L, int t, const char *key, rdn_dtype def);
/* A transpose flag field: nil/false/"N" -> RDN_NOTRANS, true/"T" -> RDN_TRANS,
** "C" -> RDN_CONJTRANS. */
rdn_trans rdn__lua_opttrans(lua_State *L, int t, const char *key);

/* ------------------------------------------------------- ReduNet bindings */
/* A Lua array at `arg` of 1 to `max` numbers into v; errors name it `what` ("gamma must
** hold 1 to 256 numbers", "gamma[3] is not a number").  Returns the count. */
int rdn__lua_checknumarray(lua_State *L, int arg, const char *what, double *v, int max);
/* Pushes what an operators call returns to Lua: the table of the k values g, then dR, R,
** Rc from the rates r = {R, Rc, dR}.  Returns 4, the number of values pushed. */
int rdn__lua_pushrates(lua_State *L, const double *g, int k, const double *r);

#endif
