/*
** random.c -- rdn_randn: normal samples from a counter-based generator (Philox-4x32-10
** + Box-Muller, see kernels/random.cl), so a value depends only on the seed and its
** element index, never on the device or the launch geometry.
*/
#include "rdn_impl.h"
#include <math.h>

rdn_status rdn_randn(rdn_ctx *ctx, rdn_tensor *x, uint64_t seed) {
  static const char *fn = "rdn_randn";
  rdn_status s;
  cl_kernel k;
  if (!ctx) return RDN_EINVAL;
  if ((s = rdn__float_arg(ctx, fn, "x", x)) != RDN_OK) return s;
  if ((s = rdn__kernel(ctx, "random", x->dtype, NULL, "randn", &k)) != RDN_OK) return s;
  int cplx = x->dtype == RDN_C64;
  cl_ulong off = x->offset, m = rdn_tensor_numel(x) * (cplx ? 2 : 1);
  cl_uint lo = (cl_uint)seed, hi = (cl_uint)(seed >> 32);
  /* c64: both parts N(0, 1/2), so E|z|^2 = 1 (standard complex normal). */
  cl_double sd = 1;
  cl_float sf = cplx ? (cl_float)sqrt(0.5) : 1.0f;
  if (x->dtype == RDN_F64)
    s = RDN_ARGS(ctx, k, "randn", RDN_TARG(x, off), RDN_ARG(m), RDN_ARG(lo), RDN_ARG(hi),
                 RDN_ARG(sd));
  else
    s = RDN_ARGS(ctx, k, "randn", RDN_TARG(x, off), RDN_ARG(m), RDN_ARG(lo), RDN_ARG(hi),
                 RDN_ARG(sf));
  if (s != RDN_OK) return s;
  size_t per = x->dtype == RDN_F64 ? 2 : 4, gws = (size_t)((m + per - 1) / per);
  return rdn__launch(ctx, k, "randn", 1, &gws, NULL);
}
