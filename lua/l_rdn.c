/*
** l_rdn.c -- luaopen_rdn_core, the entry point of the binding: builds the rdn.core
** table from each l_<module>.c (tensor first: the others add methods to rdn.Tensor).
** lua/rdn/init.lua builds the public `rdn` table on top of it.
*/
#include "l_util.h"

int luaopen_rdn_core(lua_State *L);

int luaopen_rdn_core(lua_State *L) {
  luaL_checkversion(L);
  lua_newtable(L);
  rdn__lua_init(L);
  rdn__lua_open_tensor(L);
  rdn__lua_open_ctx(L);
  rdn__lua_open_npy(L);
  rdn__lua_open_elementwise(L);
  rdn__lua_open_reduce(L);
  rdn__lua_open_gemm(L);
  rdn__lua_open_data(L);
  rdn__lua_open_redunet(L);
  rdn__lua_open_linalg(L);
  rdn__lua_open_interp(L);
  rdn__lua_open_scatter(L);
  rdn__lua_open_frames(L);
  rdn__lua_open_spectral(L);
  rdn__lua_open_lift(L);
  return 1;
}
