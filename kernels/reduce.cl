/*
** reduce.cl -- whole-tensor sums, row norms / normalisation, row argmax and row gather.
** CPU devices: few work-items, each sums a contiguous chunk with vector accumulators
** in `acc` (no __local, no barriers: DESIGN.md §10); GPUs: a work-group tree.
*/

/* scalars per element: c64 is two floats (re, im) */
#define SPE (RDN_COMPLEX ? 2 : 1)

#if RDN_HAS_FP64
typedef double8 acc8;
typedef double4 acc4;
typedef double2 acc2;
#define TO_ACC8 convert_double8
#else
typedef float8 acc8;
typedef float4 acc4;
typedef float2 acc2;
#define TO_ACC8 convert_float8
#endif

/* op 0: sum (real parts only for c64), op 1: sum of squares (|z|^2 for c64) over the
** scalars [lo, hi) of p.  p points at an element and lo is even, so for c64 the even
** scalars are the real parts.  Four independent vector accumulators hide the add
** latency; `op` is a literal at every call, so the branch folds away. */
inline acc chunk_reduce(__global const real *p, ulong lo, ulong hi, const int op) {
  acc8 s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#if RDN_COMPLEX
  const acc8 re = (acc8)(1, 0, 1, 0, 1, 0, 1, 0);
#else
  const acc8 re = (acc8)(1);
#endif
  ulong j = lo;
  for (; j + 32 <= hi; j += 32) {
    acc8 a = TO_ACC8(vload8(0, p + j)), b = TO_ACC8(vload8(0, p + j + 8));
    acc8 c = TO_ACC8(vload8(0, p + j + 16)), d = TO_ACC8(vload8(0, p + j + 24));
    if (op) {
      s0 += a * a; s1 += b * b; s2 += c * c; s3 += d * d;
    } else {
      s0 += a * re; s1 += b * re; s2 += c * re; s3 += d * re;
    }
  }
  acc8 s = (s0 + s1) + (s2 + s3);
  acc4 t4 = s.lo + s.hi;
  acc2 t2 = t4.lo + t4.hi;
  acc r = t2.x + t2.y;
  for (; j < hi; j++) {
    acc v = p[j];
    if (op) r += v * v;
    else if (!RDN_COMPLEX || !(j & 1)) r += v;
  }
  return r;
}

/* Sum over a work-group (power-of-two size); every work-item gets the total. */
inline acc tree_sum(__local acc *sh, acc a) {
  uint l = get_local_id(0);
  sh[l] = a;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (uint s = get_local_size(0) / 2; s > 0; s >>= 1) {
    if (l < s) sh[l] += sh[l + s];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  return sh[0];
}

/* ---- whole tensor: part[poff + w] = reduce of chunk w (chunk: multiple of 32) */
#define CHUNK_KERNEL(name, op)                                                         \
  __kernel void name(__global const real *x, ulong xoff, ulong ns, ulong chunk,        \
                     __global acc *part, ulong poff) {                                 \
    ulong w = get_global_id(0), lo = w * chunk, hi = min(lo + chunk, ns);              \
    x += xoff * SPE;                                                                   \
    part[poff + w] = lo < hi ? chunk_reduce(x, lo, hi, op) : (acc)0;                   \
  }
CHUNK_KERNEL(sum_chunks, 0)
CHUNK_KERNEL(sumsq_chunks, 1)

/* GPU form: grid-stride per work-item, then a tree per work-group. */
#define TREE_KERNEL(name, op)                                                          \
  __kernel void name(__global const real *x, ulong xoff, ulong ns, __global acc *part, \
                     ulong poff, __local acc *sh) {                                    \
    acc a = 0;                                                                         \
    x += xoff * SPE;                                                                   \
    for (ulong j = get_global_id(0); j < ns; j += get_global_size(0)) {                \
      acc v = x[j];                                                                    \
      if (op) a += v * v;                                                              \
      else if (!RDN_COMPLEX || !(j & 1)) a += v;                                       \
    }                                                                                  \
    a = tree_sum(sh, a);                                                               \
    if (get_local_id(0) == 0) part[poff + get_group_id(0)] = a;                        \
  }
TREE_KERNEL(sum_tree, 0)
TREE_KERNEL(sumsq_tree, 1)

/* part[roff] = sum of part[poff, poff + np), in a fixed order (deterministic). */
__kernel void sum_partials(__global acc *part, ulong poff, uint np, ulong roff) {
  if (get_global_id(0) != 0) return;
  acc s = 0;
  for (uint i = 0; i < np; i++) s += part[poff + i];
  part[roff] = s;
}

/* ---- rows: x viewed as [rows, rs scalars]; work-item g = (row g / segs, segment g % segs) */
__kernel void row_sumsq_part(__global const real *x, ulong xoff, ulong rows, ulong rs,
                             uint segs, ulong seglen, __global acc *part, ulong poff) {
  ulong g = get_global_id(0), r = g / segs, lo = (g % segs) * seglen, hi = min(lo + seglen, rs);
  if (r >= rows) return;
  x += xoff * SPE + r * rs;
  part[poff + g] = lo < hi ? chunk_reduce(x, lo, hi, 1) : (acc)0;
}

/* One work-group per row (GPU form); part[poff + row] = sum of squares. */
__kernel void row_sumsq_tree(__global const real *x, ulong xoff, ulong rs, __global acc *part,
                             ulong poff, __local acc *sh) {
  ulong r = get_group_id(0);
  acc a = 0;
  x += xoff * SPE + r * rs;
  for (ulong j = get_local_id(0); j < rs; j += get_local_size(0)) {
    acc v = x[j];
    a += v * v;
  }
  a = tree_sum(sh, a);
  if (get_local_id(0) == 0) part[poff + r] = a;
}

inline acc row_partials(__global const acc *part, ulong poff, ulong r, uint segs) {
  acc s = 0;
  for (uint k = 0; k < segs; k++) s += part[poff + r * segs + k];
  return s;
}

/* out (real) = sqrt of the row sums of squares, from the partials or directly. */
__kernel void row_norms_fin(__global const acc *part, ulong poff, uint segs, ulong rows,
                            __global real *out, ulong ooff) {
  ulong r = get_global_id(0);
  if (r < rows) out[ooff + r] = (real)sqrt(row_partials(part, poff, r, segs));
}

__kernel void row_norms_direct(__global const real *x, ulong xoff, ulong rows, ulong rs,
                               __global real *out, ulong ooff) {
  ulong r = get_global_id(0);
  if (r >= rows) return;
  x += xoff * SPE + r * rs;
  out[ooff + r] = (real)sqrt(chunk_reduce(x, 0, rs, 1));
}

/* p[lo, hi) *= 1 / max(sqrt(ss), clamp)  (P_S of SPEC §0.1; a NaN norm stays NaN) */
inline void scale_span(__global real *p, ulong lo, ulong hi, acc ss, acc clamp) {
  acc d = sqrt(ss);
  d = d > clamp || isnan(d) ? d : clamp;
  real f = (real)(1 / d);
  ulong j = lo;
  for (; j + 8 <= hi; j += 8) vstore8(vload8(0, p + j) * f, 0, p + j);
  for (; j < hi; j++) p[j] *= f;
}

__kernel void normalize_direct(__global real *x, ulong xoff, ulong rows, ulong rs, acc clamp) {
  ulong r = get_global_id(0);
  if (r >= rows) return;
  x += xoff * SPE + r * rs;
  scale_span(x, 0, rs, chunk_reduce(x, 0, rs, 1), clamp);
}

/* Segment form: each work-item re-adds its row's few partials, then scales its span. */
__kernel void normalize_seg(__global real *x, ulong xoff, ulong rows, ulong rs, uint segs,
                            ulong seglen, __global const acc *part, ulong poff, acc clamp) {
  ulong g = get_global_id(0), r = g / segs, lo = (g % segs) * seglen, hi = min(lo + seglen, rs);
  if (r >= rows || lo >= hi) return;
  scale_span(x + xoff * SPE + r * rs, lo, hi, row_partials(part, poff, r, segs), clamp);
}

/* out[r] = first index of the row maximum; a NaN wins at its first position (as
** numpy.argmax).  Real dtypes only. */
__kernel void argmax_rows(__global const real *x, ulong xoff, ulong rows, ulong cols,
                          __global int *out, ulong ooff) {
  ulong r = get_global_id(0);
  if (r >= rows) return;
  x += xoff + r * cols;
  real best = x[0];
  ulong bi = 0;
  if (!isnan(best)) {
    for (ulong j = 1; j < cols; j++) {
      real v = x[j];
      if (isnan(v)) { bi = j; break; }
      if (v > best) { best = v; bi = j; }
    }
  }
  out[ooff + r] = (int)bi;
}

/* out row i = x row idx[i], copied as 32-bit words (any dtype); an index outside
** [0, nrows) leaves row i alone and records i in flag (atomic_min: the first one). */
__kernel void gather_rows(__global uint *out, ulong ooff, __global const uint *x, ulong xoff,
                          ulong rw, __global const int *idx, ulong ioff, ulong n, long nrows,
                          __global uint *flag, ulong foff) {
  ulong i = get_global_id(0);
  if (i >= n) return;
  long r = idx[ioff + i];
  if (r < 0 || r >= nrows) {
    atomic_min(flag + foff, (uint)i);
    return;
  }
  __global uint *o = out + ooff + i * rw;
  __global const uint *s = x + xoff + (ulong)r * rw;
  for (ulong j = 0; j < rw; j++) o[j] = s[j];
}
