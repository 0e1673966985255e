/*
** lift.c -- the random lifting front-end of the shift-invariant ReduNet (SPEC §1.6):
** circular cross-correlation with fixed filters and an optional ReLU, on the device.
*/
#include "rdn_impl.h"

rdn_status rdn_lift(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x, const rdn_tensor *w,
                    int relu) {
  const char *fn = "rdn_lift";
  char a[96], b[96], o[96];
  rdn_status s;
  if (!ctx) return RDN_EINVAL;
  if ((s = rdn__tensor_arg(ctx, fn, "x", x)) != RDN_OK ||
      (s = rdn__tensor_arg(ctx, fn, "w", w)) != RDN_OK ||
      (s = rdn__tensor_arg(ctx, fn, "out", out)) != RDN_OK)
    return s;
  rdn_dtype dt = x->dtype;
  if (!rdn__is_real(dt) || w->dtype != dt || out->dtype != dt)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'x', 'w' and 'out' must share one of f32/f64, got "
                     "%s, %s, %s", fn, rdn_dtype_name(dt), rdn_dtype_name(w->dtype),
                     rdn_dtype_name(out->dtype));
  /* 1-D: x [m, Cin, T], w [Cout, Cin, k]; 2-D: x [m, Cin, H, W], w [Cout, Cin, kh, kw] */
  int two = x->ndim == 4;
  size_t m = x->shape[0], cin = x->shape[1], h = two ? x->shape[2] : 1,
         wd = x->shape[x->ndim - 1], cout = w->shape[0];
  size_t kh = two ? w->shape[2] : 1, kw = w->shape[w->ndim - 1];
  int ok = (x->ndim == 3 || x->ndim == 4) && w->ndim == x->ndim && w->shape[1] == cin &&
           out->ndim == x->ndim && out->shape[0] == m && out->shape[1] == cout &&
           out->shape[out->ndim - 1] == wd && (!two || out->shape[2] == h) && kw <= wd &&
           kh <= h;
  if (!ok || cin > 0xffffffffu || cout > 0xffffffffu || h > 0xffffffffu || wd > 0xffffffffu)
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: x %s, w %s, out %s (want x [m, Cin, "
                     "(H,) W], w [Cout, Cin, (kh,) kw] with kernel <= signal, out [m, Cout, "
                     "(H,) W])", fn, rdn_tensor_shape_str(x, a, sizeof a),
                     rdn_tensor_shape_str(w, b, sizeof b), rdn_tensor_shape_str(out, o, sizeof o));
  if ((s = rdn__check_finite(ctx, fn, x, "x")) != RDN_OK ||
      (s = rdn__check_finite(ctx, fn, w, "w")) != RDN_OK)
    return s;
  cl_kernel kr;
  cl_ulong oo = out->offset, xo = x->offset, wo = w->offset, mm = m;
  cl_uint ci = (cl_uint)cin, co = (cl_uint)cout, hh = (cl_uint)h, w2 = (cl_uint)wd,
          k1 = (cl_uint)kh, k2 = (cl_uint)kw;
  cl_int r = relu != 0;
  if ((s = rdn__kernel(ctx, "lift", dt, NULL, "lift_conv", &kr)) != RDN_OK ||
      (s = RDN_ARGS(ctx, kr, "lift_conv", RDN_TARG(out, oo), RDN_TARG(x, xo), RDN_TARG(w, wo),
                    RDN_ARG(mm), RDN_ARG(ci), RDN_ARG(co), RDN_ARG(hh), RDN_ARG(w2), RDN_ARG(k1),
                    RDN_ARG(k2), RDN_ARG(r))) != RDN_OK)
    return s;
  size_t gws = m * cout * h * wd;
  return rdn__launch(ctx, kr, "lift_conv", 1, &gws, NULL);
}
