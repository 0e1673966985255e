/*
** lift.cl -- the circular lifting convolution of the spectral ReduNet front-end (SPEC §1.6),
** f32/f64 (`real` by RDN_DTYPE), and the pieces of its FFT form (f32).
*/

/* Lifting (SPEC §1.6): out[s, o, h, w] = act(sum_{c, a, b} wt[o, c, a, b]
** x[s, c, (h + a) mod H, (w + b) mod W]): right/bottom circular padding, cross-correlation
** (no flip); 1-D is H = 1, kh = 1.  One output element per work-item. */
__kernel void lift_conv(__global real *out, ulong ooff, __global const real *x, ulong xoff,
                        __global const real *wt, ulong woff, ulong m, uint cin, uint cout,
                        uint h, uint w, uint kh, uint kw, int relu) {
  out += ooff;
  x += xoff;
  wt += woff;
  ulong i = get_global_id(0), hw = (ulong)h * w;
  if (i >= m * cout * hw) return;
  ulong s = i / (cout * hw), o = (i / hw) % cout;
  uint y = (uint)((i % hw) / w), z = (uint)(i % w);
  acc sum = 0;
  for (uint c = 0; c < cin; c++) {
    __global const real *xc = x + (s * cin + c) * hw;
    __global const real *wc = wt + ((ulong)o * cin + c) * kh * kw;
    for (uint a = 0; a < kh; a++) {
      uint ya = y + a;           /* y, a < h: one conditional subtract wraps (no division) */
      __global const real *xr = xc + (ulong)(ya >= h ? ya - h : ya) * w;
      for (uint b = 0; b < kw; b++) {
        uint zb = z + b;
        sum += (acc)wc[a * kw + b] * xr[zb >= w ? zb - w : zb];
      }
    }
  }
  real r = (real)sum;
  out[i] = relu ? fmax(r, (real)0) : r;
}

/* FFT form (SPEC §1.6), f32 only (the FFT provider is single precision): the filters
** wt [n = Cout Cin, kh, kw] zero-padded to kp [n, h, w], one element per work-item. */
__kernel void lift_pad(__global float *kp, __global const float *wt, ulong woff, ulong n,
                       uint h, uint w, uint kh, uint kw) {
  wt += woff;
  ulong i = get_global_id(0), hw = (ulong)h * w;
  if (i >= n * hw) return;
  ulong q = i / hw;
  uint y = (uint)((i % hw) / w), z = (uint)(i % w);
  kp[i] = y < kh && z < kw ? wt[(q * kh + y) * kw + z] : 0.0f;
}

/* y[s, o, f] = sum_c xf[s, c, f] conj(kf[o, c, f]) over the f = F stored frequencies: the
** conjugate turns the spectral product into cross-correlation.  One output per work-item,
** f fastest so neighbouring items read neighbouring frequencies. */
__kernel void lift_cmul(__global float2 *y, __global const float2 *xf,
                        __global const float2 *kf, ulong n, uint cin, uint cout, ulong f) {
  ulong i = get_global_id(0);
  if (i >= n * cout * f) return;
  ulong s = i / (cout * f), o = (i / f) % cout, q = i % f;
  __global const float2 *xs = xf + s * cin * f + q, *ko = kf + o * cin * f + q;
  float2 sum = (float2)(0.0f, 0.0f);
  for (uint c = 0; c < cin; c++) sum += CMULC(xs[(ulong)c * f], ko[(ulong)c * f]);
  y[i] = sum;
}
