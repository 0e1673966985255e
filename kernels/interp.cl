/*
** interp.cl -- interpolation matrices of ReLU layers and the training-free constructions of
** SPEC §4 (a reconstruction): bias + ReLU after a GEMM, projections, rank sort, gaps, the
** triangular matrix and its compensated substitution, condition-estimate steps, rank by
** semi-definite elimination, and the weights of the hat / interval networks.
*/
/* `elem` is the data dtype (RDN_DTYPE, f32/f64); `sreal` the solve dtype (-D INTERP_S64). */
#ifndef INTERP_S64
#define INTERP_S64 0
#endif
#if INTERP_S64 && RDN_HAS_FP64
typedef double sreal;
#else
typedef float sreal;
#endif

/* a[i, u] = act(a[i, u] + b[u]); act = ReLU when relu (NaN stays NaN: no fmax). */
__kernel void bias_act(__global elem *a, ulong aoff, __global const elem *b, ulong boff,
                       ulong rows, ulong cols, int hasb, int relu) {
  size_t u = get_global_id(0), i = get_global_id(1);
  if (u >= cols || i >= rows) return;
  a += aoff + i * cols + u;
  elem v = *a;
  if (hasb) v += b[boff + u];
  *a = (relu && v < 0) ? (elem)0 : v;
}

/* dst (elem) = src (sreal): f32 <-> f64 conversion. */
__kernel void to_elem(__global elem *dst, ulong doff, __global const sreal *src, ulong soff,
                      ulong n) {
  size_t i = get_global_id(0);
  if (i < n) dst[doff + i] = (elem)src[soff + i];
}

/* p[j m + i] = dir_j . x_i, accumulated in acc in the same order for every sample, so that
** identical samples get bit-identical projections (a GEMM might tile them differently). */
__kernel void project(__global const elem *x, ulong xoff, ulong m, ulong d,
                      __global const elem *dir, ulong doff, ulong c, __global sreal *p) {
  size_t i = get_global_id(0), j = get_global_id(1);
  if (i >= m || j >= c) return;
  x += xoff + i * d;
  dir += doff + j * d;
  acc s = 0;
  for (ulong k = 0; k < d; k++) s += (acc)x[k] * (acc)dir[k];
  p[j * m + i] = (sreal)s;
}

/* Rank sort of every candidate's projections (ties by sample index, so it is stable):
** perm[j m + r] = the sample at sorted position r.  O(m) per item; m is at most a few
** thousand here (the triangular matrix is m x m anyway). */
__kernel void rank_sort(__global const sreal *p, ulong m, ulong c, __global int *perm) {
  size_t i = get_global_id(0), j = get_global_id(1);
  if (i >= m || j >= c) return;
  p += j * m;
  sreal v = p[i];
  uint r = 0;
  for (ulong l = 0; l < m; l++) r += (p[l] < v) | ((p[l] == v) & (l < i));
  perm[j * m + r] = (int)i;
}

static int same_row(__global const elem *x, ulong d, int a, int b) {
  for (ulong k = 0; k < d; k++)
    if (x[(ulong)a * d + k] != x[(ulong)b * d + k]) return 0;
  return 1;
}

/* One work-item per candidate: the smallest gap between consecutive sorted projections,
** skipping identical samples (duplicates: checked against their targets later) and, with
** labels, pairs of one class (interval mode: only class boundaries matter).  out[j] = gap
** (+inf when no pair counts), out[c + j] / out[2c + j] = smallest / largest projection;
** pos[j] = sorted position r of the smallest gap (the pair perm[r-1], perm[r]). */
__kernel void gaps(__global const sreal *p, __global const int *perm, ulong m, ulong c,
                   __global const elem *x, ulong xoff, ulong d, __global const int *lab,
                   ulong loff, int use_lab, __global sreal *out, __global int *pos) {
  size_t j = get_global_id(0);
  if (j >= c) return;
  p += j * m;
  perm += j * m;
  x += xoff;
  lab += loff;
  sreal best = INFINITY;
  int at = -1;
  for (ulong r = 1; r < m; r++) {
    int a = perm[r - 1], b = perm[r];
    if (use_lab && lab[a] == lab[b]) continue;
    sreal g = p[b] - p[a];
    if (g == 0 && same_row(x, d, a, b)) continue;
    if (g < best) {
      best = g;
      at = (int)r;
    }
  }
  out[j] = best;
  out[c + j] = p[perm[0]];
  out[2 * c + j] = p[perm[m - 1]];
  pos[j] = at;
}

/* For the chosen candidate (offset po): flag[r] = 1 when sorted position r repeats the
** sample before it (identical inputs and targets: merged, its unit gets no output weight);
** identical inputs with different targets record r in cnt[0] (atomic_min); cnt[1] counts
** the merged ones.  Targets: rows of y [m, k] (ylab 0) or labels (ylab 1). */
__kernel void dups(__global const sreal *p, __global const int *perm, ulong po, ulong m,
                   __global const elem *x, ulong xoff, ulong d, __global const elem *y,
                   ulong yoff, ulong k, __global const int *lab, ulong loff, int ylab,
                   __global int *flag, __global int *cnt) {
  size_t r = get_global_id(0);
  if (r >= m) return;
  p += po;
  perm += po;
  int f = 0;
  if (r > 0) {
    int a = perm[r - 1], b = perm[r];
    if (p[a] == p[b] && same_row(x + xoff, d, a, b)) {
      int same = ylab ? lab[loff + a] == lab[loff + b] : same_row(y + yoff, k, a, b);
      if (same) {
        f = 1;
        atomic_inc(cnt + 1);
      } else {
        atomic_min(cnt, (int)r);
      }
    }
  }
  flag[r] = f;
}

/* Threshold of unit u of the triangular form: t_0 = p_(0) - h (h = half the mean gap),
** t_u = mid-point of p_(u-1) and p_(u). */
static sreal thr(__global const sreal *p, __global const int *perm, ulong m, ulong u) {
  if (u == 0) {
    sreal lo = p[perm[0]], hi = p[perm[m - 1]];
    sreal h = (m > 1 && hi > lo) ? (hi - lo) / (2 * (sreal)(m - 1)) : (sreal)0.5;
    return lo - h;
  }
  sreal a = p[perm[u - 1]], b = p[perm[u]];
  return a + (b - a) / 2;
}

/* The triangular interpolation matrix a[r, u] = ReLU(p_(r) - t_u) (zero above the diagonal);
** a merged duplicate u gets a unit column e_u so the system stays regular. */
__kernel void tri_matrix(__global const sreal *p, __global const int *perm, ulong po, ulong m,
                         __global const int *flag, __global sreal *a) {
  size_t u = get_global_id(0), r = get_global_id(1);
  if (u >= m || r >= m) return;
  p += po;
  perm += po;
  sreal v = 0;
  if (u <= r) {
    if (flag[u]) {
      v = (u == r) ? 1 : 0;
    } else {
      v = p[perm[r]] - thr(p, perm, m, u);
      v = v > 0 ? v : 0;
    }
  }
  a[r * m + u] = v;
}

/* v[r, c] = y[perm[r], c] (targets in sorted order, solve dtype). */
__kernel void gather_y(__global const elem *y, ulong yoff, __global const int *perm, ulong po,
                       ulong m, ulong k, __global sreal *v) {
  size_t c = get_global_id(0), r = get_global_id(1);
  if (c >= k || r >= m) return;
  v[r * k + c] = (sreal)y[yoff + (ulong)perm[po + r] * k + c];
}

/* s + e = a + b exactly (Knuth's TwoSum). */
static void two_sum(sreal a, sreal b, sreal *s, sreal *e) {
  *s = a + b;
  sreal z = *s - a;
  *e = (a - (*s - z)) + (b - z);
}

/* b[:, c] <- op(A)^-1 b[:, c] for lower-triangular A [n, n] (trans: A^T x = b), one
** work-group per right-hand side.  Every dot product is compensated (Ogita-Rump-Oishi Dot2:
** TwoProd by fma + TwoSum), so the residual is as if summed in twice the precision; this is
** the "compensated float32" path on devices without fp64. */
__kernel void trsv(__global const sreal *a, ulong n, __global sreal *b, ulong k, int trans,
                   __local sreal *sh, __local sreal *sl) {
  size_t c = get_group_id(0), t = get_local_id(0), L = get_local_size(0);
  for (ulong step = 0; step < n; step++) {
    ulong i = trans ? n - 1 - step : step;
    ulong u0 = trans ? i + 1 : 0, u1 = trans ? n : i;
    sreal hi = 0, lo = 0, s, e;
    for (ulong u = u0 + t; u < u1; u += L) {
      sreal av = trans ? a[u * n + i] : a[i * n + u], xv = b[u * k + c];
      sreal pr = av * xv, pe = fma(av, xv, -pr);
      two_sum(hi, -pr, &s, &e);
      hi = s;
      lo += e - pe;
    }
    sh[t] = hi;
    sl[t] = lo;
    barrier(CLK_LOCAL_MEM_FENCE);
    if (t == 0) {
      sreal h = b[i * k + c], l = 0;
      for (size_t q = 0; q < L; q++) {
        two_sum(h, sh[q], &s, &e);
        h = s;
        l += e + sl[q];
      }
      b[i * k + c] = (h + l) / a[i * n + i];
    }
    barrier(CLK_GLOBAL_MEM_FENCE | CLK_LOCAL_MEM_FENCE);
  }
}

/* Small serial vector steps (one work-item; n is at most a few thousand) of the 1-norm
** condition estimate (Hager 1984, Higham 1988 / LAPACK xLACON) and of plain reductions:
**   0: x = 1/n                       1: out0 = |x|_1, out1 = sign(x) != xi, xi = sign(x)
**   2: out0 = max|x_i|, out1 = its index, out2 = x[j]   3: x = e_j
**   4: x_i = (-1)^i (1 + i/(n-1))    5: out0 = max x_i */
__kernel void hager(int mode, __global sreal *x, ulong xoff, __global sreal *xi, ulong n, long j,
                    __global sreal *out) {
  if (get_global_id(0)) return;
  x += xoff;
  sreal a = 0, b = 0;
  for (ulong i = 0; i < n; i++) {
    sreal v = x[i];
    if (mode == 0) x[i] = (sreal)1 / (sreal)n;
    else if (mode == 3) x[i] = (i == (ulong)j) ? 1 : 0;
    else if (mode == 4) x[i] = ((i & 1) ? -1 : 1) * (1 + (n > 1 ? (sreal)i / (n - 1) : 0));
    else if (mode == 1) {
      sreal sg = v < 0 ? -1 : 1;
      a += fabs(v);
      if (sg != xi[i]) b = 1;
      xi[i] = sg;
    } else if (mode == 2) {
      if (fabs(v) > a || i == 0) { a = fabs(v); b = (sreal)i; }
    } else if (mode == 5) {
      if (v > a || v != v || i == 0) a = (a != a) ? a : v;   /* NaN wins */
    }
  }
  out[0] = a;
  out[1] = b;
  out[2] = (mode == 2 && j >= 0) ? x[j] : 0;
}

/* col[u] = sum_r |a[r, u]| of an [n, n] matrix (for |A|_1). */
__kernel void abs_colsum(__global const sreal *a, ulong n, __global sreal *col) {
  size_t u = get_global_id(0);
  if (u >= n) return;
  sreal s = 0;
  for (ulong r = 0; r < n; r++) s += fabs(a[r * n + u]);
  col[u] = s;
}

/* e[i] = max_c |o[i, c] - y[i, c]| (interpolation error of a built network). */
__kernel void row_maxerr(__global const elem *o, __global const elem *y, ulong yoff, ulong m,
                         ulong k, __global sreal *e) {
  size_t i = get_global_id(0);
  if (i >= m) return;
  sreal mx = 0;
  for (ulong c = 0; c < k; c++) {
    sreal v = fabs((sreal)o[i * k + c] - (sreal)y[yoff + i * k + c]);
    mx = (v > mx || v != v) ? v : mx;
  }
  e[i] = mx;
}

/* Non-zeros (> 0) per row (items 0..m-1) and per column (items m..m+n-1) of a [m, n]. */
__kernel void nnz(__global const elem *a, ulong aoff, ulong m, ulong n, __global int *rows,
                  __global int *cols) {
  size_t t = get_global_id(0);
  if (t >= m + n) return;
  a += aoff;
  int c = 0;
  if (t < m)
    for (ulong u = 0; u < n; u++) c += a[t * n + u] > 0;
  else
    for (ulong i = 0; i < m; i++) c += a[i * n + (t - m)] > 0;
  if (t < m) rows[t] = c;
  else cols[t - m] = c;
}

/* out[3w..3w+2] = sum, min, max of rows (w = 0) or cols (w = 1). */
__kernel void nnz_sum(__global const int *rows, ulong m, __global const int *cols, ulong n,
                      __global ulong *out) {
  size_t w = get_global_id(0);
  if (w > 1) return;
  __global const int *v = w ? cols : rows;
  ulong len = w ? n : m, s = 0, lo = ULONG_MAX, hi = 0;
  for (ulong i = 0; i < len; i++) {
    ulong c = (ulong)v[i];
    s += c;
    lo = c < lo ? c : lo;
    hi = c > hi ? c : hi;
  }
  out[3 * w] = s;
  out[3 * w + 1] = lo;
  out[3 * w + 2] = hi;
}

/* Rank of a PSD Gram g [n, n] by semi-definite elimination without pivoting: psd_scan
** (final 0) sets tol[0] = eps_n * max diagonal; step j (launched for j = 0..n-2, in order)
** accepts the pivot g[j][j] when it exceeds tol[0] and updates the trailing upper
** triangle, else marks column j dependent (a PSD matrix with a zero pivot has a zero row
** there) and skips it; psd_scan (final 1) writes tol[1] = rank, tol[2] / tol[3] = the
** smallest / largest accepted pivot. */
__kernel void psd_scan(__global const sreal *g, ulong n, sreal eps_n, int final,
                       __global sreal *tol) {
  if (get_global_id(0)) return;
  sreal r = 0, lo = INFINITY, hi = 0;
  for (ulong i = 0; i < n; i++) {
    sreal d = g[i * n + i];
    if (final && !(d > tol[0])) continue;
    r += 1;
    lo = d < lo ? d : lo;
    hi = d > hi ? d : hi;
  }
  if (!final) {
    tol[0] = eps_n * hi;
    return;
  }
  tol[1] = r;
  tol[2] = r > 0 ? lo : 0;
  tol[3] = hi;
}

__kernel void psd_step(__global sreal *g, ulong n, ulong j, __global const sreal *tol) {
  size_t b = j + 1 + get_global_id(0), a = j + 1 + get_global_id(1);
  if (a >= n || b >= n || b < a) return;
  sreal d = g[j * n + j];
  if (!(d > tol[0])) return;
  g[a * n + b] -= g[j * n + a] * g[j * n + b] / d;
}

/* Interval boundaries (one work-item): bpos[0..nb-1] = sorted positions r where the class
** changes between r-1 and r; bpos[m] = nb. */
__kernel void runs(__global const int *perm, ulong po, ulong m, __global const int *lab,
                   ulong loff, __global int *bpos) {
  if (get_global_id(0)) return;
  perm += po;
  lab += loff;
  int nb = 0;
  for (ulong r = 1; r < m; r++)
    if (lab[perm[r]] != lab[perm[r - 1]]) bpos[nb++] = (int)r;
  bpos[m] = nb;
}

/* First layer of every construction: w[u, :] = dir (all units share the direction); with
** alt, odd units get -dir (the hat form's |q - p| = ReLU(q - p) + ReLU(p - q)). */
__kernel void net_first(__global elem *w, ulong n, ulong d, __global const elem *dir,
                        ulong doff, int alt) {
  size_t k = get_global_id(0), u = get_global_id(1);
  if (k < d && u < n) w[u * d + k] = (alt && (u & 1)) ? -dir[doff + k] : dir[doff + k];
}

/* First-layer biases.  mode 0 (triangular): -t_u; mode 1 (hat): units 2i, 2i+1 are
** ReLU(q - p_(i)) and ReLU(p_(i) - q); mode 2 (interval): unit 2j+s at boundary b_j -/+ delta. */
__kernel void net_bias(int mode, __global const sreal *p, __global const int *perm, ulong po,
                       ulong m, __global const int *bpos, sreal delta, __global elem *b,
                       ulong n) {
  size_t u = get_global_id(0);
  if (u >= n) return;
  p += po;
  perm += po;
  sreal v;
  if (mode == 0) {
    v = -thr(p, perm, m, u);
  } else if (mode == 1) {
    v = (u & 1) ? p[perm[u / 2]] : -p[perm[u / 2]];
  } else if (bpos[m] == 0) {
    v = 0;                                 /* one class: dummy units, zero weights after */
  } else {
    int r = bpos[u / 2];
    sreal lo = p[perm[r - 1]], hi = p[perm[r]];
    v = -(lo + (hi - lo) / 2) + ((u % 2) ? -delta : delta);
  }
  b[u] = (elem)v;
}

/* Second layer of the sparse constructions (w zero-filled before).  Both keep a margin so
** that inactive units are exactly 0 in floating point, not rounding noise.  mode 0 (hat):
** row i = 1 - |q - p_(i)| / d (d <= 0.45 gap: -1.2 or less at the other points).  mode 1
** (interval): row i = 2 (step_{i-1} - step_i) - 1 with step_j = (unit 2j - unit 2j+1) / (2 d)
** and step_{-1} = 1 (bias +1 on row 0), so points of other runs give -1. */
__kernel void net_mid(int mode, ulong rows, __global const int *bpos, ulong m, sreal delta,
                      __global elem *w, ulong n, __global elem *b) {
  size_t i = get_global_id(0);
  if (i >= rows) return;
  w += i * n;
  if (mode == 0) {
    w[2 * i] = w[2 * i + 1] = (elem)(-1 / delta);
    b[i] = 1;
    return;
  }
  elem h = (elem)(1 / delta);
  ulong nb = (ulong)bpos[m];
  if (i >= 1) {
    w[2 * (i - 1)] += h;
    w[2 * (i - 1) + 1] -= h;
  }
  if (i < nb) {
    w[2 * i] -= h;
    w[2 * i + 1] += h;
  }
  b[i] = i == 0 ? 1 : -1;
}

/* Output layer w [k, n].  mode 0 (triangular): solved weights v [n, k]; 1 (hat regression):
** y of the sample at the unit's position; 2 (hat classes): 1 on the sample's class;
** 3 (interval): 1 on the class of run u.  Merged duplicates (flag) get 0. */
__kernel void net_out(int mode, __global const sreal *v, __global const int *flag,
                      __global const int *perm, ulong po, __global const elem *y, ulong yoff,
                      __global const int *lab, ulong loff, __global const int *bpos, ulong n,
                      ulong k, __global elem *w) {
  size_t u = get_global_id(0), c = get_global_id(1);
  if (u >= n || c >= k) return;
  perm += po;
  lab += loff;
  elem r;
  if (mode == 3) {
    r = lab[perm[u == 0 ? 0 : bpos[u - 1]]] == (int)c;
  } else if (flag[u]) {
    r = 0;
  } else if (mode == 0) {
    r = (elem)v[u * k + c];
  } else if (mode == 1) {
    r = y[yoff + (ulong)perm[u] * k + c];
  } else {
    r = lab[perm[u]] == (int)c;
  }
  w[c * n + u] = r;
}
