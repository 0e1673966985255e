/*
** random.cl -- rdn_randn: Philox-4x32-10 (Salmon, Moraes, Dror, Shaw, SC'11; the
** Random123 round function and constants) keyed by the seed and counted by element
** block, then Box-Muller.  The numbers depend only on (seed, element index).
*/

/* 10 rounds; the key is bumped by the Weyl constants between rounds.  Written on
** scalars (no uint4 shuffles) so PoCL can vectorise across work-items. */
#define PHILOX_ROUND(c0, c1, c2, c3, k0, k1)                                           \
  {                                                                                    \
    ulong p0 = (ulong)0xD2511F53u * c0, p1 = (ulong)0xCD9E8D57u * c2;                  \
    uint n0 = (uint)(p1 >> 32) ^ c1 ^ k0, n2 = (uint)(p0 >> 32) ^ c3 ^ k1;             \
    c1 = (uint)p1;                                                                     \
    c3 = (uint)p0;                                                                     \
    c0 = n0;                                                                           \
    c2 = n2;                                                                           \
  }
/* Counter (c0, c1, c2, c3) and key (k0, k1) in, the output in c0..c3 (in place).
** Unrolled by hand: a loop here stops PoCL's vectoriser across work-items. */
#define PHILOX_BUMP(k0, k1) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
#define PHILOX_RB(c0, c1, c2, c3, k0, k1) PHILOX_ROUND(c0, c1, c2, c3, k0, k1) PHILOX_BUMP(k0, k1)
#define PHILOX4X32_10(c0, c1, c2, c3, k0, k1)                                          \
  {                                                                                    \
    uint ka_ = (k0), kb_ = (k1);                                                       \
    PHILOX_RB(c0, c1, c2, c3, ka_, kb_) PHILOX_RB(c0, c1, c2, c3, ka_, kb_)            \
    PHILOX_RB(c0, c1, c2, c3, ka_, kb_) PHILOX_RB(c0, c1, c2, c3, ka_, kb_)            \
    PHILOX_RB(c0, c1, c2, c3, ka_, kb_) PHILOX_RB(c0, c1, c2, c3, ka_, kb_)            \
    PHILOX_RB(c0, c1, c2, c3, ka_, kb_) PHILOX_RB(c0, c1, c2, c3, ka_, kb_)            \
    PHILOX_RB(c0, c1, c2, c3, ka_, kb_) PHILOX_ROUND(c0, c1, c2, c3, ka_, kb_)         \
  }

/* Uniforms in the open interval (0, 1), exact in their type: from the top 23 bits of
** a word, ((a >> 9) + 1/2) 2^-23 = odd multiples of 2^-24 (float path), and from two
** words, ((a << 21 | b >> 11) + 1/2) 2^-53 (f64). */
#if RDN_DTYPE == 1
inline double u53(uint a, uint b) {
  return ((double)(((ulong)a << 21) | (b >> 11)) + 0.5) * 1.1102230246251565e-16;
}

/* Box-Muller: r = sqrt(-2 ln u1), z0 = r cos(2 pi u2), z1 = r sin(2 pi u2). */
inline double2 box_muller(double u1, double u2) {
  double r = sqrt(-2 * log(u1));
  return (double2)(r * cospi(2 * u2), r * sinpi(2 * u2));
}
#else
inline float u23(uint a) { return ((float)(a >> 9) + 0.5f) * 1.1920928955078125e-7f; }

/* Float log, cos and sin written out with + - * / only (FP_CONTRACT off): inlined and
** vectorised by PoCL (the library calls are not: 10x slower), and free of each vendor's
** own log/cos rounding (only / and sqrt may differ by an ulp across devices).  The
** truncation errors are below 1e-8; z agrees with a double reference to ~3e-7. */
#pragma OPENCL FP_CONTRACT OFF
/* ln u for u in (0, 1): u = m 2^e, m in [sqrt(1/2), sqrt(2)); ln m = 2 atanh(s),
** s = (m - 1) / (m + 1), |s| < 0.172, series to s^9. */
inline float ln01(float u) {
  int e = ((as_int(u) >> 23) & 0xff) - 127;
  float m = as_float((as_int(u) & 0x007fffff) | 0x3f800000);
  if (m > 1.41421356f) {
    m *= 0.5f;
    e += 1;
  }
  float s = (m - 1) / (m + 1), s2 = s * s;
  float p = s2 * (0.33333333f + s2 * (0.2f + s2 * (0.14285714f + s2 * 0.11111111f)));
  return (float)e * 0.69314718f + 2 * (s + s * p);
}

/* (cos, sin)(2 pi u) for u in [0, 1): 4u = q + f exactly, f in [-1/2, 1/2], then the
** Taylor polynomials of cos and sin at x = f pi/2 (|x| <= pi/4) and a quadrant swap. */
inline void cossin2pi(float u, float *co, float *si) {
  float t = 4 * u, q = floor(t + 0.5f), x = (t - q) * 1.57079633f, x2 = x * x;
  float c = 1 + x2 * (-0.5f + x2 * (4.16666667e-2f + x2 * (-1.38888889e-3f +
                                                           x2 * 2.48015873e-5f)));
  float sn = x + x * x2 * (-0.16666667f + x2 * (8.33333333e-3f + x2 * (-1.98412698e-4f +
                                                                 x2 * 2.75573192e-6f)));
  int k = (int)q & 3;
  float a = (k & 1) ? -sn : c, b = (k & 1) ? c : sn;    /* rotate by k quarter turns */
  *co = (k & 2) ? -a : a;
  *si = (k & 2) ? -b : b;
}

/* Box-Muller: r = sqrt(-2 ln u1), (z0, z1) = r (cos, sin)(2 pi u2). */
inline void box_muller(float u1, float u2, float *z0, float *z1) {
  float r = sqrt(-2 * ln01(u1)), c, sn;
  cossin2pi(u2, &c, &sn);
  *z0 = r * c;
  *z1 = r * sn;
}
#endif

/* Scalar stream of the tensor (m scalars; c64 interleaves re, im), written as `s` z.
** f32 and c64: block b = Philox(counter (b, b >> 32, 0, 0), key (seed lo, seed hi))
** gives scalars 4b..4b+3 = box_muller(u23(w0), u23(w1)), box_muller(u23(w2), u23(w3)).
** f64: block b gives scalars 2b, 2b+1 = box_muller(u53(w0, w1), u53(w2, w3)).
** One block per work-item and scalar code only, so PoCL vectorises across work-items. */
__kernel void randn(__global real *x, ulong xoff, ulong m, uint seed_lo, uint seed_hi,
                    real s) {
  ulong b = get_global_id(0);
  uint w0 = (uint)b, w1 = (uint)(b >> 32), w2 = 0, w3 = 0;
  x += xoff * (RDN_COMPLEX ? 2 : 1);
  PHILOX4X32_10(w0, w1, w2, w3, seed_lo, seed_hi);
#if RDN_DTYPE == 1
  ulong i = 2 * b;
  double2 z = box_muller(u53(w0, w1), u53(w2, w3)) * s;
  if (i < m) x[i] = z.x;
  if (i + 1 < m) x[i + 1] = z.y;
#else
  ulong i = 4 * b;
  float z0, z1, z2, z3;
  box_muller(u23(w0), u23(w1), &z0, &z1);
  box_muller(u23(w2), u23(w3), &z2, &z3);
  if (i < m) x[i] = z0 * s;
  if (i + 1 < m) x[i + 1] = z1 * s;
  if (i + 2 < m) x[i + 2] = z2 * s;
  if (i + 3 < m) x[i + 3] = z3 * s;
#endif
}
