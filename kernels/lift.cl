/*
** lift.cl -- the circular lifting convolution of the spectral ReduNet front-end (SPEC §1.6),
** f32/f64 (`real` by RDN_DTYPE), and the pieces of its FFT form (f32).
*/

/* Direct form of the lift (SPEC §1.6): out[s, o, h, w] = act(sum_{c, a, b} wt[o, c, a, b]
** x[s, c, (h + a) mod H, (w + b) mod W]): right/bottom circular padding, cross-correlation
** (no flip); 1-D is H = 1, kh = 1.  x is first extended circularly (lift_wrap), so the tile
** kernel reads rows without wrapping: each work-item keeps LIFT_OB output channels x 8
** consecutive columns in vector registers (explicit vectors, as in gemm.cl: PoCL does not
** vectorise the inner loops across work-items). */
#define LIFT_OB 8
#if RDN_DTYPE == 1
typedef double8 realv;
#else
typedef float8 realv;
#endif

/* xp [rows, hp, wp] = x [rows, h, w] extended circularly (row y at y mod h, column z at
** z mod w); hp >= h + kh - 1 and wp >= 8 ceil(w / 8) + kw - 1. */
__kernel void lift_wrap(__global real *xp, __global const real *x, ulong xoff, ulong rows,
                        uint h, uint w, uint hp, uint wp) {
  x += xoff;
  ulong i = get_global_id(0), n = (ulong)hp * wp;
  if (i >= rows * n) return;
  ulong r = i / n;
  uint y = (uint)((i % n) / wp), z = (uint)(i % wp);
  xp[i] = x[(r * h + y % h) * w + z % w];
}

/* Global size (ceil(w / 8), h, m ceil(cout / LIFT_OB)). */
__kernel void lift_tile(__global real *out, ulong ooff, __global const real *xp,
                        __global const real *wt, ulong woff, ulong m, uint cin, uint cout,
                        uint h, uint w, uint kh, uint kw, uint hp, uint wp, int relu) {
  out += ooff;
  wt += woff;
  uint z0 = (uint)get_global_id(0) * 8, y = (uint)get_global_id(1);
  uint nob = (cout + LIFT_OB - 1) / LIFT_OB, kk = kh * kw;
  ulong g = get_global_id(2), s = g / nob;
  uint o0 = (uint)(g % nob) * LIFT_OB;
  if (y >= h || s >= m || z0 >= w) return;
  ulong wo[LIFT_OB];        /* channels past cout repeat the last one; never stored */
  realv sum[LIFT_OB];
  for (uint j = 0; j < LIFT_OB; j++) {
    wo[j] = (ulong)min(o0 + j, cout - 1) * cin * kk;
    sum[j] = (realv)0;
  }
  for (uint c = 0; c < cin; c++) {
    __global const real *xc = xp + ((s * cin + c) * hp + y) * wp + z0;
    __global const real *wc = wt + (ulong)c * kk;
    for (uint a = 0; a < kh; a++)
      for (uint b = 0; b < kw; b++) {
        realv xv = vload8(0, xc + a * wp + b);
        uint q = a * kw + b;
        for (uint j = 0; j < LIFT_OB; j++) sum[j] += wc[wo[j] + q] * xv;
      }
  }
  for (uint j = 0; j < LIFT_OB && o0 + j < cout; j++) {
    realv r = relu ? fmax(sum[j], (realv)0) : sum[j];
    __global real *o = out + ((s * cout + o0 + j) * h + y) * w + z0;
    if (z0 + 8 <= w) {
      vstore8(r, 0, o);
    } else {
      real t[8];
      vstore8(r, 0, t);
      for (uint q = 0; q < w - z0; q++) o[q] = t[q];
    }
  }
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

/* y[s, o, q] = sum_c xf[s, c, q] conj(kf[o, c, q]) over the f stored frequencies q: the
** conjugate turns the spectral product into cross-correlation.  Spectra are interleaved
** (re, im) floats.  Global size (ceil(f / 8), n cout): each work-item does 8 frequencies of
** one output row in float8 re / im vectors (PoCL does not vectorise float2 code across
** work-items), the last block of a row element by element. */
__kernel void lift_cmul(__global float *y, __global const float *xf, __global const float *kf,
                        ulong n, uint cin, uint cout, uint f) {
  uint q0 = (uint)get_global_id(0) * 8;
  ulong r = get_global_id(1), s = r / cout, o = r % cout, cf = 2 * (ulong)f;
  if (q0 >= f || s >= n) return;
  __global const float *xs = xf + 2 * (s * cin * f + q0), *ko = kf + 2 * (o * cin * f + q0);
  __global float *yo = y + 2 * (r * f + q0);
  if (q0 + 8 <= f) {
    float8 re = (float8)0.0f, im = (float8)0.0f;
    for (uint c = 0; c < cin; c++) {
      float16 a = vload16(0, xs + c * cf), b = vload16(0, ko + c * cf);
      re += a.even * b.even + a.odd * b.odd;
      im += a.odd * b.even - a.even * b.odd;
    }
    vstore16(shuffle2(re, im, (uint16)(0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15)),
             0, yo);
    return;
  }
  for (uint q = 0; q < f - q0; q++) {
    float2 sum = (float2)(0.0f, 0.0f);
    for (uint c = 0; c < cin; c++) sum += CMULC(vload2(q, xs + c * cf), vload2(q, ko + c * cf));
    vstore2(sum, q, yo);
  }
}
