/*
** cholesky.cl -- batched Cholesky, inverse (potri) and log-det of small Hermitian
** positive definite matrices (n <= 128).  "Lanes" kernels factor LANES
** matrices per work-item in SIMD lanes from an interleaved copy: in __local memory by
** one kernel that also reads and writes the matrices (lanes_local, the CPU path while
** LANES copies fit: one pass over each matrix in cache) or in a global copy (LANES 1 is
** one matrix per work-item, the GPU path for small n; chol_wg.cl has the work-group per
** matrix GPU path).  The factorising kernels also write log det A = sum_i log pivot_i
** (acc precision) per matrix when asked.
*/
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#if RDN_DTYPE == 1
#define RS double                    /* the scalar type, for vector type names */
#else
#define RS float
#endif
#ifndef LANES
#define LANES 1
#endif
#if RDN_COMPLEX
#define NCOMP 2
#define ZERO ((elem)(0, 0))
#define FROMR(v) ((elem)((v), 0))
#else
#define NCOMP 1
#define ZERO ((elem)0)
#define FROMR(v) ((elem)(v))
#endif

/* ---- lanes: matrices are packed in groups of G (a multiple of LANES): group w / G
** occupies (n+1)^2 * NCOMP * G consecutive reals, in which component c of element e =
** i*(n+1) + j of matrix w is at (e * NCOMP + c) * G + w % G (rows padded by one element
** so that columns do not alias in the L1 cache at power-of-two n); row n holds
** 1 / L[j][j].  A group is contiguous (few pages per work-item on CPUs: G = LANES), lanes
** within it are adjacent (coalesced on GPUs: G = 64).  Lanes past nmat are identities. */
#ifdef PKLOCAL
#define PKAS __local                  /* address space of the interleaved copy */
#else
#define PKAS __global
#endif
#if LANES == 1
typedef real lane;
typedef acc dlane;
#define TOD(x) ((acc)(x))
#if RDN_DTYPE == 1
typedef long ilane;
#else
typedef int ilane;
#endif
#define LD(p) (*(p))
#define ST(v, p) (*(p) = (v))
#define OKPIV(d) (((d) > 0 && !isinf(d)) ? (ilane)-1 : (ilane)0)
#define ZMASK(x) ((x) == 0 ? (ilane)-1 : (ilane)0)
#else
typedef CAT(RS, LANES) lane;
#if RDN_HAS_FP64
typedef CAT(double, LANES) dlane;     /* log-det accumulators */
#define TOD(x) CAT(convert_double, LANES)(x)
#else
typedef lane dlane;
#define TOD(x) (x)
#endif
#if RDN_DTYPE == 1
typedef CAT(long, LANES) ilane;
#else
typedef CAT(int, LANES) ilane;
#endif
#define LD(p) CAT(vload, LANES)(0, p)
#define ST(v, p) CAT(vstore, LANES)(v, 0, p)
#define OKPIV(d) (((d) > (lane)0) & ~isinf(d))
#define ZMASK(x) ((x) == (ilane)0)
#endif
#define EL(i, j, c) (pk + ((((ulong)(i)) * (n + 1) + (j)) * NCOMP + (c)) * G)
#define GROUP(w) ((w) / G * (n + 1) * (n + 1) * NCOMP * G + (w) % G)
#define ID(j) EL(n, j, 0)

/* Work-items copy RC rows, so that there are few work-groups (PoCL pays ~1 us each). */
#define RC 16

#ifndef PKLOCAL
/* Grid (bp / G, ceil(n / RC)): work-item (group g, rows i) copies rows i (lower triangle)
** of the G matrices of group g: G input rows are read in step, the lanes written in order. */
__kernel void lanes_pack(__global real *pk, ulong bp, ulong G, __global const elem *a,
                         ulong aoff, ulong nmat, ulong n) {
  ulong g = get_global_id(0), i0 = get_global_id(1) * RC;
  if (g * G >= bp || i0 >= n) return;
  pk += GROUP(g * G);
  for (ulong i = i0; i < min(i0 + RC, n); i++)
    for (ulong j = 0; j <= i; j++) {
      __global real *o = EL(i, j, 0);
      for (ulong l = 0; l < G; l++) {
        ulong w = g * G + l;
        elem v = w < nmat ? a[aoff + (w * n + i) * n + j] : (i == j ? FROMR(1) : ZERO);
#if RDN_COMPLEX
        o[l] = v.x;
        o[G + l] = v.y;
#else
        o[l] = v;
#endif
      }
    }
}

/* Grid (ceil(nmat / G), ceil(n / RC)): rows i of the G matrices of group g, in order:
** the lower factor (upper zero) when full == 0, the Hermitian matrix whose lower
** triangle is stored when full. */
__kernel void lanes_unpack(__global elem *a, ulong aoff, __global const real *pk, ulong G,
                           ulong nmat, ulong n, int full) {
  ulong g = get_global_id(0), i0 = get_global_id(1) * RC;
  if (g * G >= nmat || i0 >= n) return;
  pk += GROUP(g * G);
  ulong lmax = min(G, nmat - g * G);
  for (ulong i = i0; i < min(i0 + RC, n); i++)
  for (ulong l = 0; l < lmax; l++) {
    __global elem *o = a + aoff + ((g * G + l) * n + i) * n;
    for (ulong j = 0; j <= i; j++) {
      __global const real *src = EL(i, j, 0) + l;
#if RDN_COMPLEX
      o[j] = (elem)(src[0], src[G]);
#else
      o[j] = src[0];
#endif
    }
    for (ulong j = i + 1; j < n; j++) {
      __global const real *src = EL(j, i, 0) + l;
#if RDN_COMPLEX
      o[j] = full ? (elem)(src[0], -src[G]) : ZERO;
#else
      o[j] = full ? src[0] : ZERO;
#endif
    }
  }
}

#endif

/* In place on the LANES matrices at pk (lanes G apart): Cholesky (Crout, row by row;
** skipped when factor == 0: pk then holds L), then with `inverse` W = L^-1 and
** A^-1 = W^H W.  A failing pivot (not > 0, NaN, Inf) is replaced by 1 so the lane stays
** finite: *failp = its index + 1 (the first per lane), *fvalp its value; *ldp = sum of
** log pivots (log det A). */
static void potrf_core(PKAS real *pk, ulong G, ulong n, int factor, int inverse,
                       ilane *failp, lane *fvalp, dlane *ldp) {
  ilane fail = (ilane)0;
  lane fval = (lane)0;
  dlane lds = (dlane)0;
  if (!factor)                    /* inverse of a given factor: only 1 / L[i][i] */
    for (ulong i = 0; i < n; i++) ST((lane)1 / LD(EL(i, i, 0)), ID(i));
  /* Columns go in pairs (j, j + 1): the loads of row i serve both and the two (complex:
  ** four) sums are independent chains, which the FMA latency needs. */
  for (ulong i = 0; factor && i < n; i++) {
    ulong j = 0;
    for (; j + 1 < i; j += 2) {   /* L[i][j], L[i][j+1] */
      lane r0 = LD(EL(i, j, 0)), r1 = LD(EL(i, j + 1, 0));
#if RDN_COMPLEX
      lane i0 = LD(EL(i, j, 1)), i1 = LD(EL(i, j + 1, 1));
      for (ulong k = 0; k < j; k++) {
        lane ar = LD(EL(i, k, 0)), ai = LD(EL(i, k, 1));
        lane br = LD(EL(j, k, 0)), bi = LD(EL(j, k, 1));
        lane cr = LD(EL(j + 1, k, 0)), ci = LD(EL(j + 1, k, 1));
        r0 -= ar * br + ai * bi;
        i0 -= ai * br - ar * bi;
        r1 -= ar * cr + ai * ci;
        i1 -= ai * cr - ar * ci;
      }
      lane d0 = LD(ID(j)), cr = LD(EL(j + 1, j, 0)), ci = LD(EL(j + 1, j, 1));
      r0 *= d0;
      i0 *= d0;
      r1 -= r0 * cr + i0 * ci;
      i1 -= i0 * cr - r0 * ci;
      ST(i0, EL(i, j, 1));
      ST(i1 * LD(ID(j + 1)), EL(i, j + 1, 1));
#else
      for (ulong k = 0; k < j; k++) {
        lane ar = LD(EL(i, k, 0));
        r0 -= ar * LD(EL(j, k, 0));
        r1 -= ar * LD(EL(j + 1, k, 0));
      }
      r0 *= LD(ID(j));
      r1 -= r0 * LD(EL(j + 1, j, 0));
#endif
      ST(r0, EL(i, j, 0));
      ST(r1 * LD(ID(j + 1)), EL(i, j + 1, 0));
    }
    for (; j <= i; j++) {
      lane sr = LD(EL(i, j, 0));
#if RDN_COMPLEX
      lane si = j < i ? LD(EL(i, j, 1)) : (lane)0;
      for (ulong k = 0; k < j; k++) {
        lane ar = LD(EL(i, k, 0)), ai = LD(EL(i, k, 1));
        lane br = LD(EL(j, k, 0)), bi = LD(EL(j, k, 1));
        sr -= ar * br + ai * bi;
        si -= ai * br - ar * bi;
      }
#else
      for (ulong k = 0; k < j; k++) sr -= LD(EL(i, k, 0)) * LD(EL(j, k, 0));
#endif
      if (j < i) {
        lane dj = LD(ID(j));
        ST(sr * dj, EL(i, j, 0));
#if RDN_COMPLEX
        ST(si * dj, EL(i, j, 1));
#endif
      } else {
        ilane ok = OKPIV(sr), first = ~ok & ZMASK(fail);
        fail = select(fail, (ilane)(i + 1), first);
        fval = select(fval, sr, first);
        lane p = select((lane)1, sr, ok), l = sqrt(p);
        lds += log(TOD(p));
        ST(l, EL(i, i, 0));
#if RDN_COMPLEX
        ST((lane)0, EL(i, i, 1));
#endif
        ST((lane)1 / l, ID(i));
      }
    }
  }
  if (inverse) {
    /* W = L^-1, row by row: W[i][j] = -(sum_{k=j}^{i-1} L[i][k] W[k][j]) / L[i][i]; in
    ** place, j ascending (W[i][j] replaces L[i][j], read only by smaller j) */
    for (ulong i = 0; i < n; i++) {
      lane di = LD(ID(i));
      ulong j = 0;
      for (; j + 1 < i; j += 2) {
        lane ar = LD(EL(i, j, 0)), br = LD(EL(j, j, 0));
        lane r0 = ar * br, r1 = (lane)0;
#if RDN_COMPLEX
        lane ai = LD(EL(i, j, 1));
        lane i0 = ai * br, i1 = (lane)0;
        for (ulong k = j + 1; k < i; k++) {
          lane xr = LD(EL(i, k, 0)), xi = LD(EL(i, k, 1));
          lane pr = LD(EL(k, j, 0)), pi = LD(EL(k, j, 1));
          lane qr = LD(EL(k, j + 1, 0)), qi = LD(EL(k, j + 1, 1));
          r0 += xr * pr - xi * pi;
          i0 += xr * pi + xi * pr;
          r1 += xr * qr - xi * qi;
          i1 += xr * qi + xi * qr;
        }
        ST(-i0 * di, EL(i, j, 1));
        ST(-i1 * di, EL(i, j + 1, 1));
#else
        for (ulong k = j + 1; k < i; k++) {
          lane x = LD(EL(i, k, 0));
          r0 += x * LD(EL(k, j, 0));
          r1 += x * LD(EL(k, j + 1, 0));
        }
#endif
        ST(-r0 * di, EL(i, j, 0));
        ST(-r1 * di, EL(i, j + 1, 0));
      }
      for (; j < i; j++) {
        lane sr = (lane)0;
#if RDN_COMPLEX
        lane si = (lane)0;
        for (ulong k = j; k < i; k++) {
          lane ar = LD(EL(i, k, 0)), ai = LD(EL(i, k, 1));
          lane br = LD(EL(k, j, 0)), bi = LD(EL(k, j, 1));
          sr += ar * br - ai * bi;
          si += ar * bi + ai * br;
        }
        ST(-si * di, EL(i, j, 1));
#else
        for (ulong k = j; k < i; k++) sr += LD(EL(i, k, 0)) * LD(EL(k, j, 0));
#endif
        ST(-sr * di, EL(i, j, 0));
      }
      ST(di, EL(i, i, 0));
    }
    /* X = W^H W (lower): X[i][j] = sum_{k>=i} conj(W[k][i]) W[k][j]; in place, in order
    ** (X[i][j] replaces W[i][j], not read again), columns j, j + 1 together */
    for (ulong i = 0; i < n; i++)
      for (ulong j = 0; j <= i; j += 2) {
        int two = j < i;                  /* j + 1 <= i */
        lane r0 = (lane)0, r1 = (lane)0;
#if RDN_COMPLEX
        lane i0 = (lane)0, i1 = (lane)0;
        for (ulong k = i; k < n; k++) {
          lane ar = LD(EL(k, i, 0)), ai = LD(EL(k, i, 1));
          lane br = LD(EL(k, j, 0)), bi = LD(EL(k, j, 1));
          lane cr = LD(EL(k, j + two, 0)), ci = LD(EL(k, j + two, 1));
          r0 += ar * br + ai * bi;
          i0 += ar * bi - ai * br;
          r1 += ar * cr + ai * ci;
          i1 += ar * ci - ai * cr;
        }
        ST(j < i ? i0 : (lane)0, EL(i, j, 1));
        if (two) ST(j + 1 < i ? i1 : (lane)0, EL(i, j + 1, 1));
#else
        for (ulong k = i; k < n; k++) {
          lane x = LD(EL(k, i, 0));
          r0 += x * LD(EL(k, j, 0));
          r1 += x * LD(EL(k, j + two, 0));
        }
#endif
        ST(r0, EL(i, j, 0));
        if (two) ST(r1, EL(i, j + 1, 0));
      }
  }
  *failp = fail;
  *fvalp = fval;
  *ldp = lds;
}

/* Per lane l (matrix w = w0 + l < nmat): a failure sets info[1 + w] = pivot index + 1,
** info[1 + nmat + w] = the pivot value (float bits) and info[0] = the smallest failing
** matrix (atomic_min); ld[w] = log det when ld_on. */
static void report(ulong w0, ulong nmat, ilane fail, lane fval, dlane lds,
                   __global int *info, __global acc *ld, int ld_on) {
  int fl[LANES];
  real fv[LANES];
  acc lv[LANES];
#if LANES == 1
  fl[0] = (int)fail;
  fv[0] = fval;
  lv[0] = lds;
#else
  CAT(vstore, LANES)(CAT(convert_int, LANES)(fail), 0, fl);
  CAT(vstore, LANES)(fval, 0, fv);
  CAT(vstore, LANES)(lds, 0, lv);
#endif
  for (int l = 0; l < LANES; l++) {
    ulong w = w0 + (ulong)l;
    if (w >= nmat) break;
    if (ld_on) ld[w] = lv[l];
    if (fl[l]) {
      info[1 + w] = fl[l];
      info[1 + nmat + w] = as_int((float)fv[l]);
      atomic_min((__global uint *)info, (uint)w);
    }
  }
}

#ifndef PKLOCAL
/* One work-item per LANES matrices of the packed copy (grid bp / LANES). */
__kernel void lanes_potrf(__global real *pk, ulong bp, ulong G, ulong n, ulong nmat,
                          int factor, int inverse, __global int *info, __global acc *ld,
                          int ld_on) {
  ulong g = get_global_id(0);
  if (g * LANES >= bp) return;
  ilane fail;
  lane fval;
  dlane lds;
  potrf_core(pk + GROUP(g * LANES), G, n, factor, inverse, &fail, &fval, &lds);
  report(g * LANES, nmat, fail, fval, lds, info, ld, ld_on);
}
#else
/* E elements (LANES reals) of a matrix row go through registers at once: LANES rows of
** LANES reals (one per lane) are transposed into LANES lane vectors (one per real) by
** log2(LANES) rounds of (even, odd) interleaves; each round rotates the bits of
** (vector, position) right by one.  A transpose is its own inverse. */
#define E (LANES / NCOMP)
static void transpose(lane *r) {
  lane t[LANES];
  for (int s = 1; s < LANES; s *= 2) {
    for (int k = 0; k < LANES / 2; k++) {
      t[k] = (lane)(r[2 * k].even, r[2 * k + 1].even);
      t[LANES / 2 + k] = (lane)(r[2 * k].odd, r[2 * k + 1].odd);
    }
    for (int k = 0; k < LANES; k++) r[k] = t[k];
  }
}

/* Work-groups of one work-item, LANES matrices each (w0 = group * LANES): copied from a
** (lower triangles; identities past nmat) into the __local interleaved form (G = LANES,
** (n+1)^2 NCOMP LANES reals), factorised / inverted there and written back (the lower
** factor with a zero upper triangle, or with `inverse` the full Hermitian inverse): each
** matrix is read and written once, the work stays in cache.  Rows move E elements at a
** time through transpose(), the ends of rows element by element. */
__kernel void lanes_local(__global elem *a, ulong aoff, ulong n, ulong nmat, int factor,
                          int inverse, __global int *info, __global acc *ld, int ld_on,
                          __local real *pk) {
  const ulong G = LANES, w0 = get_group_id(0) * LANES;
  if (w0 >= nmat) return;
  ulong lmax = min((ulong)LANES, nmat - w0);
  lane r[LANES];
  a += aoff + w0 * n * n;
  for (ulong i = 0; i < n; i++) {
    ulong j = 0;
    for (; j + E <= i + 1; j += E) {
      for (ulong l = 0; l < LANES; l++)
        r[l] = l < lmax ? LD((__global const real *)(a + (l * n + i) * n + j)) : (lane)0;
      transpose(r);
      for (int f = 0; f < LANES; f++) ST(r[f], EL(i, j + f / NCOMP, f % NCOMP));
    }
    for (; j <= i; j++)
      for (ulong l = 0; l < LANES; l++) {
        elem v = l < lmax ? a[(l * n + i) * n + j] : (i == j ? FROMR(1) : ZERO);
        __local real *o = EL(i, j, 0) + l;
#if RDN_COMPLEX
        o[0] = v.x;
        o[G] = v.y;
#else
        o[0] = v;
#endif
      }
    for (ulong l = lmax; l < LANES; l++) EL(i, i, 0)[l] = 1;   /* padding: identities */
  }
  ilane fail;
  lane fval;
  dlane lds;
  potrf_core(pk, G, n, factor, inverse, &fail, &fval, &lds);
  for (ulong i = 0; i < n; i++) {
    ulong j = 0;
    for (; j + E <= n; j += E) {
      for (int f = 0; f < LANES; f++) {
        ulong jj = j + (ulong)(f / NCOMP);
        int c = f % NCOMP;
        r[f] = jj <= i ? LD(EL(i, jj, c)) : !inverse ? (lane)0
             : c ? -LD(EL(jj, i, c)) : LD(EL(jj, i, c));
      }
      transpose(r);
      for (ulong l = 0; l < lmax; l++) ST(r[l], (__global real *)(a + (l * n + i) * n + j));
    }
    for (; j < n; j++)
      for (ulong l = 0; l < lmax; l++) {
        __local const real *src = (j <= i ? EL(i, j, 0) : EL(j, i, 0)) + l;
#if RDN_COMPLEX
        a[(l * n + i) * n + j] = j <= i ? (elem)(src[0], src[G])
                               : inverse ? (elem)(src[0], -src[G]) : ZERO;
#else
        a[(l * n + i) * n + j] = j <= i || inverse ? src[0] : ZERO;
#endif
      }
  }
  report(w0, nmat, fail, fval, lds, info, ld, ld_on);
}
#endif
