/*
** elementwise.cl -- streaming kernels for rdn_scale, rdn_axpby and rdn_check_finite.
** One element per work-item and no loop in the body: PoCL then vectorises across
** work-items and these run at copy bandwidth (a grid-stride loop defeats that, ~5x
** slower).  c64 is float2; the real scalars multiply both parts.
*/

__kernel void scale(__global elem *x, ulong xoff, ulong n, real a) {
  ulong i = get_global_id(0);
  if (i < n) x[xoff + i] = x[xoff + i] * a;
}

/* y = a x + b y */
__kernel void axpby(__global elem *y, ulong yoff, __global const elem *x, ulong xoff, ulong n,
                    real a, real b) {
  ulong i = get_global_id(0);
  if (i < n) y[yoff + i] = a * x[xoff + i] + b * y[yoff + i];
}

/* y = a x: the host picks it for b == 0, which must not read y (BLAS convention), so
** an uninitialised or NaN-filled y is overwritten instead of propagating NaN. */
__kernel void axpy0(__global elem *y, ulong yoff, __global const elem *x, ulong xoff, ulong n,
                    real a, real b) {
  ulong i = get_global_id(0);
  (void)b;
  if (i < n) y[yoff + i] = a * x[xoff + i];
}

/* Non-finite test on the bit pattern (all exponent bits set), 8 scalars at a time:
** immune to fast-math flags that let the compiler assume isfinite() is always true. */
#if RDN_DTYPE == 1
typedef ulong bits;
typedef ulong8 bits8;
typedef long8 mask8;
#define EXP_MASK 0x7ff0000000000000UL
#else
typedef uint bits;
typedef uint8 bits8;
typedef int8 mask8;
#define EXP_MASK 0x7f800000u
#endif
#define SPE (RDN_COMPLEX ? 2 : 1)

/* flag[foff] = min(flag, i) over the elements i of x[0, n) holding NaN/Inf (in either
** part for c64); n < 2^31 (the host launches chunks).  The atomic only runs on a hit.
** GPU form: work-item g checks scalars [8g, 8g + 8) with one vector compare. */
__kernel void find_nonfinite(__global const elem *x, ulong xoff, ulong n,
                             __global uint *flag, ulong foff) {
  __global const bits *p = (__global const bits *)(x + xoff);
  ulong ns = n * SPE, g = get_global_id(0), lo = 8 * g;
  if (lo >= ns) return;
  if (lo + 8 <= ns) {
    mask8 bad = (vload8(0, p + lo) & (bits8)EXP_MASK) == (bits8)EXP_MASK;
    if (!any(bad)) return;
  }
  for (ulong j = lo; j < lo + 8 && j < ns; j++)
    if ((p[j] & EXP_MASK) == EXP_MASK) {
      atomic_min(flag + foff, (uint)(j / SPE));
      return;
    }
}

/* CPU form (few work-items, DESIGN.md §10): work-item g ORs the compare over the
** scalars [g chunk, (g + 1) chunk) in 8-wide vectors, then rescans only on a hit. */
__kernel void find_nonfinite_chunks(__global const elem *x, ulong xoff, ulong n, ulong chunk,
                                    __global uint *flag, ulong foff) {
  __global const bits *p = (__global const bits *)(x + xoff);
  ulong ns = n * SPE, lo = get_global_id(0) * chunk, hi = min(lo + chunk, ns), j = lo;
  mask8 bad = 0;
  for (; j + 8 <= hi; j += 8) bad |= (vload8(0, p + j) & (bits8)EXP_MASK) == (bits8)EXP_MASK;
  int hit = any(bad);
  for (; j < hi; j++) hit |= (p[j] & EXP_MASK) == EXP_MASK;
  if (!hit) return;
  for (j = lo; j < hi; j++)
    if ((p[j] & EXP_MASK) == EXP_MASK) {
      atomic_min(flag + foff, (uint)(j / SPE));
      return;
    }
}
