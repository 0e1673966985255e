/*
** elementwise.cl -- streaming kernels for rdn_scale, rdn_axpby and rdn_check_finite.
** One element per work-item (grid-stride for safety): on PoCL these run at copy
** bandwidth.  c64 is float2; the real scalars multiply both parts.
*/

__kernel void scale(__global elem *x, ulong xoff, ulong n, real a) {
  x += xoff;
  FOR_EACH(i, n) x[i] = x[i] * a;
}

/* y = a x + b y.  b == 0 does not read y (BLAS convention), so an uninitialised or
** NaN-filled y is overwritten instead of propagating NaN. */
__kernel void axpby(__global elem *y, ulong yoff, __global const elem *x, ulong xoff, ulong n,
                    real a, real b) {
  y += yoff;
  x += xoff;
  if (b == (real)0) {
    FOR_EACH(i, n) y[i] = a * x[i];
  } else {
    FOR_EACH(i, n) y[i] = a * x[i] + b * y[i];
  }
}

/* Non-finite test on the bit pattern (all exponent bits set): immune to fast-math
** flags that let the compiler assume isfinite() is always true. */
#if RDN_DTYPE == 1
#define NONFINITE(v) ((as_ulong(v) & 0x7ff0000000000000UL) == 0x7ff0000000000000UL)
#else
#define NONFINITE(v) ((as_uint(v) & 0x7f800000u) == 0x7f800000u)
#endif

/* flag[foff] = min(flag, i) over the non-finite elements i of x[0, n), n < 2^32 (the
** host launches chunks).  The atomic only runs on a hit, so clean data streams. */
__kernel void find_nonfinite(__global const elem *x, ulong xoff, ulong n,
                             __global uint *flag, ulong foff) {
  x += xoff;
  FOR_EACH(i, n) {
    elem v = x[i];
#if RDN_COMPLEX
    int bad = NONFINITE(v.x) || NONFINITE(v.y);
#else
    int bad = NONFINITE(v);
#endif
    if (bad) atomic_min(flag + foff, (uint)i);
  }
}
