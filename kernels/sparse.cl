/*
** sparse.cl -- sparse coding (SPEC §2.5, §5.3): the fused proximal-gradient step of ISTA /
** FISTA / block sweeps (gradient step + soft-threshold or non-negative shrink + momentum),
** weighted l1 sums for objectives, threshold checks, group soft-thresholding of dictionary
** blocks and pooling of units over groups.
*/

/* v = y - tau (t - c)  (c only when hasc),  thr = tau lambda_atom,
** w = soft(v, thr) = v - clamp(v, -thr, thr), or max(v - thr, 0) when nonneg;
** fista: y = w + beta (w - w_old) as well.  y may be w itself (ISTA).  Atoms are the last
** axis: element i belongs to atom i % k. */
__kernel void prox_grad(__global real *w, ulong woff, __global real *y, ulong yoff,
                        __global const real *t, ulong toff, __global const real *c, ulong coff,
                        int hasc, __global const real *lam, ulong loff, int haslam, real lambda,
                        real tau, int nonneg, int fista, real beta, ulong n, ulong k) {
  ulong i = get_global_id(0);
  if (i >= n) return;
  real g = t[toff + i];
  if (hasc) g -= c[coff + i];
  real v = y[yoff + i] - tau * g;
  real thr = tau * (haslam ? lam[loff + i % k] : lambda);
  real wn = nonneg ? fmax(v - thr, (real)0) : v - clamp(v, -thr, thr);
  if (fista) {
    real wo = w[woff + i];
    w[woff + i] = wn;
    y[yoff + i] = wn + beta * (wn - wo);
  } else {
    w[woff + i] = wn;
  }
}

/* part[p] = sum over chunk p of |w_i| lambda_atom (lambda_atom = 1 without a vector). */
__kernel void l1_chunks(__global const real *w, ulong woff, ulong n, ulong k, ulong chunk,
                        __global const real *lam, ulong loff, int haslam, __global acc *part) {
  ulong p = get_global_id(0), lo = p * chunk, hi = min(lo + chunk, n);
  acc s = 0;
  for (ulong i = lo; i < hi; i++) {
    acc a = fabs(w[woff + i]);
    s += haslam ? a * lam[loff + i % k] : a;
  }
  part[p] = s;
}

/* flag[0] = first index of a negative, NaN or infinite threshold. */
__kernel void lam_check(__global const real *lam, ulong loff, ulong n, __global uint *flag) {
  ulong i = get_global_id(0);
  if (i >= n) return;
  real x = lam[loff + i];
  if (!(x >= 0) || isinf(x)) atomic_min(flag, (uint)i);
}

/* Group soft-threshold of the dictionary d [nin, n] (atoms as columns): the rows of group
** g are perm[seg[g] .. seg[g+1]); block D[g, u] *= max(0, 1 - t / ||D[g, u]||), the prox of
** t ||.||_2 (SPEC §5.3, §7.6 item 37).  norms[u, g] (when hasnorm) = the new block norm. */
__kernel void group_shrink(__global real *d, ulong doff, ulong n, __global const int *perm,
                           ulong poff, __global const int *seg, int ng, real t,
                           __global real *norms, ulong noff, int hasnorm) {
  ulong u = get_global_id(0);
  int g = get_global_id(1);
  if (u >= n || g >= ng) return;
  int lo = seg[g], hi = seg[g + 1];
  d += doff;
  acc s = 0;
  for (int q = lo; q < hi; q++) {
    acc x = d[(ulong)perm[poff + q] * n + u];
    s += x * x;
  }
  acc nrm = sqrt(s), f = nrm > t ? 1 - t / nrm : 0;
  if (f != 1)
    for (int q = lo; q < hi; q++) d[(ulong)perm[poff + q] * n + u] *= (real)f;
  if (hasnorm) norms[noff + u * ng + g] = (real)(f * nrm);
}

/* out[s, g] over the units of group g in row s of x [m, n]: mode 0 max, 1 l2 norm,
** 2 mean. */
__kernel void pool_groups(__global const real *x, ulong xoff, ulong n, __global const int *perm,
                          ulong poff, __global const int *seg, int ng, int mode,
                          __global real *out, ulong ooff, ulong m) {
  int g = get_global_id(0);
  ulong s = get_global_id(1);
  if (g >= ng || s >= m) return;
  int lo = seg[g], hi = seg[g + 1];
  x += xoff + s * n;
  acc a = mode == 0 ? x[perm[poff + lo]] : 0;
  for (int q = lo; q < hi; q++) {
    acc v = x[perm[poff + q]];
    if (mode == 0) a = fmax(a, v);
    else if (mode == 1) a += v * v;
    else a += v;
  }
  if (mode == 1) a = sqrt(a);
  if (mode == 2) a /= (hi - lo);
  out[ooff + s * ng + g] = (real)a;
}
