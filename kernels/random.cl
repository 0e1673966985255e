/*
** random.cl -- rdn_randn: Philox-4x32-10 (Salmon, Moraes, Dror, Shaw, SC'11; the
** Random123 round function and constants) keyed by the seed and counted by element
** block, then Box-Muller.  The numbers depend only on (seed, element index).
*/

/* 10 rounds; the key is bumped by the Weyl constants between rounds. */
inline uint4 philox4x32_10(uint4 c, uint2 k) {
  for (int r = 0; r < 10; r++) {
    if (r) {
      k.x += 0x9E3779B9u;
      k.y += 0xBB67AE85u;
    }
    uint hi0 = mul_hi(0xD2511F53u, c.x), lo0 = 0xD2511F53u * c.x;
    uint hi1 = mul_hi(0xCD9E8D57u, c.z), lo1 = 0xCD9E8D57u * c.z;
    c = (uint4)(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
  }
  return c;
}

/* Uniforms in the open interval (0, 1): (a + 1/2) 2^-32 and, from two words,
** ((a << 21 | b >> 11) + 1/2) 2^-53. */
inline acc u32(uint a) { return ((acc)a + (acc)0.5) * (acc)2.3283064365386963e-10; }
#if RDN_DTYPE == 1
inline acc u53(uint a, uint b) {
  return ((acc)(((ulong)a << 21) | (b >> 11)) + 0.5) * 1.1102230246251565e-16;
}
#endif

/* Box-Muller: r = sqrt(-2 ln u1), z0 = r cos(2 pi u2), z1 = r sin(2 pi u2). */
inline void box_muller(acc u1, acc u2, acc *z) {
  acc r = sqrt(-2 * log(u1));
  z[0] = r * cospi(2 * u2);
  z[1] = r * sinpi(2 * u2);
}

/* Scalar stream of the tensor (m scalars; c64 interleaves re, im), written as `s` z.
** f32 and c64: block b = Philox(counter (b, b >> 32, 0, 0), key (seed lo, seed hi))
** gives scalars 4b..4b+3 = box_muller(u32(w0), u32(w1)), box_muller(u32(w2), u32(w3)).
** f64: block b gives scalars 2b, 2b+1 = box_muller(u53(w0, w1), u53(w2, w3)). */
#if RDN_DTYPE == 1
#define PER 2
#else
#define PER 4
#endif
__kernel void randn(__global real *x, ulong xoff, ulong m, uint seed_lo, uint seed_hi,
                    real s) {
  x += xoff * (RDN_COMPLEX ? 2 : 1);
  ulong nb = (m + PER - 1) / PER;
  FOR_EACH(b, nb) {
    uint4 w = philox4x32_10((uint4)((uint)b, (uint)(b >> 32), 0, 0), (uint2)(seed_lo, seed_hi));
    acc z[4];
#if RDN_DTYPE == 1
    box_muller(u53(w.x, w.y), u53(w.z, w.w), z);
#else
    box_muller(u32(w.x), u32(w.y), z);
    box_muller(u32(w.z), u32(w.w), z + 2);
#endif
    ulong i0 = b * PER;
    for (int j = 0; j < PER; j++)
      if (i0 + j < m) x[i0 + j] = (real)(z[j] * s);
  }
}
