/*
** hpack.cl -- packed storage of Hermitian (symmetric for f32/f64) matrices: the lower
** triangles of a batch [n, C, C] as [n, C(C+1)/2], row i of the triangle at i(i+1)/2.
*/

/* Packed index r -> (i, j), j <= i: i = floor((sqrt(8r + 1) - 1) / 2), corrected for
** the rounding of the float square root (exact up to C ~ 2^20). */
inline void tri_ij(ulong r, ulong *i, ulong *j) {
  ulong t = (ulong)((sqrt(8.0f * (float)r + 1.0f) - 1.0f) * 0.5f);
  while (t * (t + 1) / 2 > r) t--;
  while ((t + 1) * (t + 2) / 2 <= r) t++;
  *i = t;
  *j = r - t * (t + 1) / 2;
}

/* out[b, r] = a[b, i, j] for the packed position r of (i, j); one element per item. */
__kernel void herm_pack(__global elem *out, ulong ooff, __global const elem *a, ulong aoff,
                        ulong n, ulong c) {
  out += ooff;
  a += aoff;
  ulong p = c * (c + 1) / 2;
  FOR_EACH(g, n * p) {
    ulong b = g / p, i, j;
    tri_ij(g % p, &i, &j);
    out[g] = a[(b * c + i) * c + j];
  }
}

/* out[b, i, j] = ap[b, (i, j)] on and below the diagonal, its conjugate mirror above. */
__kernel void herm_unpack(__global elem *out, ulong ooff, __global const elem *ap, ulong aoff,
                          ulong n, ulong c) {
  out += ooff;
  ap += aoff;
  ulong p = c * (c + 1) / 2;
  FOR_EACH(g, n * c * c) {
    ulong b = g / (c * c), i = (g / c) % c, j = g % c;
    if (j <= i) {
      out[g] = ap[b * p + i * (i + 1) / 2 + j];
    } else {
#if RDN_COMPLEX
      out[g] = CONJ(ap[b * p + j * (j + 1) / 2 + i]);
#else
      out[g] = ap[b * p + j * (j + 1) / 2 + i];
#endif
    }
  }
}
