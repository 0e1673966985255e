/*
** dfp.cl -- the induced deep frame of a network (SPEC §2.2-2.3), block-sparse: packed layer
** weights, column scales, the structurally non-zero blocks of its Gram, the potential and
** its gradient for the data-free minimisation.  Every kernel's last grid axis is the restart.
*/

/* The architecture table (ints) built by dfp.c; L layers, nb ordered non-zero Gram blocks,
** K induced columns:
**   KJ[L+1] widths, CB[L+1] column base of block j, RB[L+1] row base of block i,
**   WO[L+1] packed offset of layer j's weights [R_j, k_j] (rows: parents ascending),
**   PROW[(L+1)^2] row of parent i inside layer j (-1: i not a parent),
**   GOFF[(L+1)^2] offset of Gram block (j, j') (-1: structurally zero),
**   BL[2 nb] (j, j') of each block, COLJ[K] layer of each column, ROWI[N] block of each row. */
#define DESC_PTRS                                                        \
  __global const int *KJ = desc, *CB = KJ + (L + 1), *RB = CB + (L + 1); \
  __global const int *WO = RB + (L + 1), *PROW = WO + (L + 1);           \
  __global const int *GOFF = PROW + (L + 1) * (L + 1);                   \
  __global const int *BL = GOFF + (L + 1) * (L + 1), *COLJ = BL + 2 * nb; \
  __global const int *ROWI = COLJ + K;                                   \
  (void)RB; (void)ROWI; (void)BL; (void)COLJ; (void)GOFF
#define P(i, j) PROW[(i) * (L + 1) + (j)]
#define GO(j, jp) GOFF[(j) * (L + 1) + (jp)]

/* cs[c] scales the weights of induced column c, cs[K + c] its -1 entry.  mode bit 1:
** per-layer unit columns (1/nu), bit 2: unit induced columns.  A column that cannot be
** scaled (zero) records c in flag[0]. */
__kernel void dfp_colscale(__global const real *v, ulong voff, ulong nw, __global const int *desc,
                           int L, int nb, int K, int mode, __global real *cs,
                           __global uint *flag) {
  DESC_PTRS;
  int c = get_global_id(0);
  ulong r = get_global_id(1);
  if (c >= K) return;
  v += voff + r * nw;
  cs += r * 2 * K;
  int j = COLJ[c], kj = KJ[j], u = c - CB[j];
  int rows = 0;
  for (int i = 0; i < j; i++) if (P(i, j) >= 0) rows += KJ[i];
  acc s = 0;
  for (int q = 0; q < rows; q++) {
    acc x = v[WO[j] + (ulong)q * kj + u];
    s += x * x;
  }
  acc nu = sqrt(s), a = 1, e = 1;
  if (mode & 1) {
    if (nu == 0) { atomic_min(flag, (uint)c); return; }
    a = 1 / nu;
  }
  if (mode & 2) {
    acc n2 = a * a * s + (j < L ? 1 : 0);
    if (n2 == 0) { atomic_min(flag, (uint)c); return; }
    e = 1 / sqrt(n2);
  }
  cs[c] = (real)(a * e);
  cs[K + c] = (real)e;
}

/* Entry (c, c') of ordered block blk = (j, j') of the normalised induced Gram:
** shared parents (weight . weight), the -I of column block j against weights of j' that
** read layer j (and the mirror), and I . I on the diagonal. */
__kernel void dfp_gram(__global const real *v, ulong voff, ulong nw, __global const int *desc,
                       int L, int nb, int K, __global const real *cs, __global real *g,
                       ulong ng) {
  DESC_PTRS;
  ulong e = get_global_id(0), r = get_global_id(2);
  int blk = get_global_id(1);
  int j = BL[2 * blk], jp = BL[2 * blk + 1], kj = KJ[j], kp = KJ[jp];
  if (e >= (ulong)kj * kp) return;
  int c = e / kp, cp = e % kp;
  v += voff + r * nw;
  cs += r * 2 * K;
  __global const real *wa = v + WO[j], *wb = v + WO[jp];
  acc s = 0;
  int top = min(j, jp);
  for (int i = 0; i < top; i++) {
    int pa = P(i, j), pb = P(i, jp);
    if (pa < 0 || pb < 0) continue;
    for (int a = 0; a < KJ[i]; a++)
      s += (acc)wa[(ulong)(pa + a) * kj + c] * wb[(ulong)(pb + a) * kp + cp];
  }
  s *= (acc)cs[CB[j] + c] * cs[CB[jp] + cp];
  if (j < L && P(j, jp) >= 0)
    s -= (acc)cs[K + CB[j] + c] * cs[CB[jp] + cp] * wb[(ulong)(P(j, jp) + c) * kp + cp];
  if (jp < L && P(jp, j) >= 0)
    s -= (acc)cs[K + CB[jp] + cp] * cs[CB[j] + c] * wa[(ulong)(P(jp, j) + cp) * kj + c];
  if (j == jp && j < L && c == cp) s += (acc)cs[K + CB[j] + c] * cs[K + CB[j] + c];
  g[r * ng + GO(j, jp) + e] = (real)s;
}

/* part[r nb + blk] = sum of squares of block blk (diagonal entries left out when
** count_diag = 0). */
__kernel void dfp_blocksq(__global const real *g, ulong ng, __global const int *desc, int L,
                          int nb, int K, int count_diag, __global acc *part) {
  DESC_PTRS;
  int blk = get_global_id(0);
  ulong r = get_global_id(1);
  if (blk >= nb) return;
  int j = BL[2 * blk], jp = BL[2 * blk + 1], kj = KJ[j], kp = KJ[jp];
  g += r * ng + GO(j, jp);
  acc s = 0;
  for (ulong e = 0; e < (ulong)kj * kp; e++) {
    acc x = g[e];
    if (count_diag || j != jp || e / kp != e % kp) s += x * x;
  }
  part[r * nb + blk] = s;
}

/* out[r] = sum over the blocks of restart r. */
__kernel void dfp_total(__global const acc *part, int nb, __global acc *out) {
  ulong r = get_global_id(0);
  acc s = 0;
  for (int b = 0; b < nb; b++) s += part[r * nb + b];
  out[r] = s;
}

/* d FP / d (entry of the normalised induced frame) at the weight positions:
** 4 (B~ G~)[(i, a), (j, c)], written at the weight's packed position. */
__kernel void dfp_grad(__global const real *v, ulong nw, __global const int *desc, int L, int nb,
                       int K, __global const real *cs, __global const real *g, ulong ng,
                       __global real *grad) {
  DESC_PTRS;
  ulong t = get_global_id(0), r = get_global_id(2);
  int j = get_global_id(1) + 1, kj = KJ[j];
  int rows = 0;
  for (int i = 0; i < j; i++) if (P(i, j) >= 0) rows += KJ[i];
  if (t >= (ulong)rows * kj) return;
  int q = t / kj, c = t % kj, i = 0;
  while (P(i, j) < 0 || q >= P(i, j) + KJ[i]) i++;
  int a = q - P(i, j);
  v += r * nw;
  cs += r * 2 * K;
  g += r * ng;
  acc s = 0;
  for (int jp = i + 1; jp <= L; jp++) {
    int pb = P(i, jp);
    if (pb < 0) continue;
    int kp = KJ[jp];
    __global const real *wb = v + WO[jp] + (ulong)(pb + a) * kp, *gb = g + GO(jp, j);
    for (int cp = 0; cp < kp; cp++)
      s += (acc)cs[CB[jp] + cp] * wb[cp] * gb[(ulong)cp * kj + c];
  }
  if (i >= 1) s -= (acc)cs[K + CB[i] + a] * g[GO(i, j) + (ulong)a * kj + c];
  grad[r * nw + WO[j] + t] = (real)(4 * s);
}

/* Gradient step on the raw weights v of column c: with w = v / nu and g the frame
** gradient of the column, dFP/dv = cs[c] (g - (w.g) w) (cs[c] = s_c / nu: induced scale
** over nu).  retract: v back to unit norm (projected descent on the sphere). */
__kernel void dfp_update(__global real *v, ulong nw, __global const int *desc, int L, int nb,
                         int K, __global const real *cs, __global const real *grad, real step,
                         int retract) {
  DESC_PTRS;
  int c = get_global_id(0);
  ulong r = get_global_id(1);
  if (c >= K) return;
  int j = COLJ[c], kj = KJ[j], u = c - CB[j], rows = 0;
  for (int i = 0; i < j; i++) if (P(i, j) >= 0) rows += KJ[i];
  __global real *x = v + r * nw + WO[j] + u;
  __global const real *gr = grad + r * nw + WO[j] + u;
  acc nn = 0, wg = 0;
  for (int q = 0; q < rows; q++) {
    acc a = x[(ulong)q * kj];
    nn += a * a;
    wg += a * gr[(ulong)q * kj];
  }
  if (nn == 0) return;
  wg /= nn;                                         /* (w.g) / nu */
  acc f = step * cs[r * 2 * K + c], n2 = 0;
  for (int q = 0; q < rows; q++) {
    acc a = x[(ulong)q * kj] - f * (gr[(ulong)q * kj] - wg * x[(ulong)q * kj]);
    x[(ulong)q * kj] = (real)a;
    n2 += a * a;
  }
  if (!retract || n2 == 0) return;
  real inv = (real)(1 / sqrt(n2));
  for (int q = 0; q < rows; q++) x[(ulong)q * kj] *= inv;
}

/* Dense copies for inspection and tests (restart 0): the induced frame [N, K] ... */
__kernel void dfp_dense_frame(__global const real *v, ulong voff, __global const int *desc,
                              int L, int nb, int K, __global const real *cs, __global real *out,
                              ulong ooff) {
  DESC_PTRS;
  int n = get_global_id(0), c = get_global_id(1);
  int i = ROWI[n], a = n - RB[i], j = COLJ[c], u = c - CB[j];
  acc x = 0;
  if (P(i, j) >= 0) x = (acc)cs[c] * v[voff + WO[j] + (ulong)(P(i, j) + a) * KJ[j] + u];
  else if (i == j && a == u) x = -(acc)cs[K + c];
  out[ooff + (ulong)n * K + c] = (real)x;
}

/* ... and its Gram [K, K] (structural zeros written as 0). */
__kernel void dfp_dense_gram(__global const real *g, __global const int *desc, int L, int nb,
                             int K, __global real *out, ulong ooff) {
  DESC_PTRS;
  int c = get_global_id(0), cp = get_global_id(1);
  int j = COLJ[c], jp = COLJ[cp], o = GO(j, jp);
  real x = 0;
  if (o >= 0) x = g[o + (ulong)(c - CB[j]) * KJ[jp] + (cp - CB[jp])];
  out[ooff + (ulong)c * K + cp] = x;
}
