/*
** hpack.c -- packed Hermitian storage: a batch of Hermitian (real: symmetric) C x C
** matrices kept as their lower triangles, C(C+1)/2 elements each, about half the memory
** (the spectral ReduNet stores its per-frequency operators this way, SPEC §1.11).
*/
#include "rdn_impl.h"

/* Shared checks: a [.., C, C] (C from its last two axes), packed ap with n C(C+1)/2
** elements for the n = numel / C^2 matrices of a, same dtype; *n and *c returned. */
static rdn_status check_pair(rdn_ctx *ctx, const char *fn, const char *fullname,
                             const rdn_tensor *full, const char *packname,
                             const rdn_tensor *packed, size_t *n, size_t *c) {
  char a[96], b[96];
  rdn_status s;
  if ((s = rdn__float_arg(ctx, fn, fullname, full)) != RDN_OK ||
      (s = rdn__float_arg(ctx, fn, packname, packed)) != RDN_OK)
    return s;
  if (full->dtype != packed->dtype)
    return rdn__fail(ctx, RDN_EINVAL, "%s: dtype mismatch: '%s' is %s, '%s' is %s", fn,
                     fullname, rdn_dtype_name(full->dtype), packname,
                     rdn_dtype_name(packed->dtype));
  size_t nd = (size_t)full->ndim;
  if (nd < 2 || full->shape[nd - 1] != full->shape[nd - 2])
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: '%s' must be [.., C, C], got %s", fn,
                     fullname, rdn_tensor_shape_str(full, a, sizeof a));
  *c = full->shape[nd - 1];
  *n = rdn_tensor_numel(full) / (*c * *c);
  size_t p = *c * (*c + 1) / 2;
  if (rdn_tensor_numel(packed) != *n * p)
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: '%s' %s holds %zu matrices of C = "
                     "%zu, so '%s' needs %zu x %zu = %zu elements, got %s", fn, fullname,
                     rdn_tensor_shape_str(full, a, sizeof a), *n, *c, packname, *n, p, *n * p,
                     rdn_tensor_shape_str(packed, b, sizeof b));
  return RDN_OK;
}

static rdn_status run(rdn_ctx *ctx, const char *name, const rdn_tensor *out,
                      const rdn_tensor *in, size_t n, size_t c) {
  cl_kernel k;
  rdn_status s;
  cl_ulong oo = out->offset, io = in->offset, nn = n, cc = c;
  if ((s = rdn__kernel(ctx, "hpack", out->dtype, NULL, name, &k)) != RDN_OK ||
      (s = RDN_ARGS(ctx, k, name, RDN_TARG(out, oo), RDN_TARG(in, io), RDN_ARG(nn),
                    RDN_ARG(cc))) != RDN_OK)
    return s;
  size_t gws = rdn_tensor_numel(out);
  return gws ? rdn__launch(ctx, k, name, 1, &gws, NULL) : RDN_OK;
}

rdn_status rdn_herm_pack(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *a) {
  size_t n, c;
  rdn_status s;
  if (!ctx) return RDN_EINVAL;
  if ((s = check_pair(ctx, "rdn_herm_pack", "a", a, "out", out, &n, &c)) != RDN_OK) return s;
  return run(ctx, "herm_pack", out, a, n, c);
}

rdn_status rdn_herm_unpack(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *ap) {
  size_t n, c;
  rdn_status s;
  if (!ctx) return RDN_EINVAL;
  if ((s = check_pair(ctx, "rdn_herm_unpack", "out", out, "ap", ap, &n, &c)) != RDN_OK)
    return s;
  if (out->buf == ap->buf && out->offset < ap->offset + rdn_tensor_numel(ap) &&
      ap->offset < out->offset + rdn_tensor_numel(out))
    return rdn__fail(ctx, RDN_EINVAL, "rdn_herm_unpack: 'out' shares storage with 'ap' (the "
                     "unpack is not in place)");
  return run(ctx, "herm_unpack", out, ap, n, c);
}
