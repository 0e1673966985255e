/*
** chol_blocked.c -- Cholesky, inverse and triangular solves of one large matrix.  The
** matrix is copied into column panels [N, nb] (scratch slot 5) so that every block the
** updates touch is a contiguous row range: the updates are rdn_gemm calls on row views,
** the diagonal blocks and the rows below them are panel kernels (kernels/chol_blocked.cl).
*/
#include "rdn_impl.h"
#include <stdlib.h>

static size_t panel_width(size_t n) { return n <= 512 ? 64 : 128; }

/* The panel copy of a (lower triangle) at element off: P [np * N, nb] as a tensor. */
static rdn_status to_panels(rdn_ctx *ctx, const char *fn, const rdn_tensor *a, size_t off,
                            size_t n, size_t nb, rdn_tensor **pt) {
  rdn_status s;
  cl_kernel k;
  cl_mem p;
  size_t N = rdn__round_up(n, nb), np = N / nb, es = rdn_dtype_size(a->dtype);
  size_t shape[2] = { np * N, nb };
  *pt = NULL;
  if ((s = rdn__kernel(ctx, "chol_blocked", a->dtype, NULL, "to_panels", &k)) != RDN_OK ||
      (s = rdn__linalg_scratch(ctx, fn, 5, np * N * nb * es, &p)) != RDN_OK)
    return s;
  cl_ulong ao = off, nl = n, Nl = N, nbl = nb;
  static const size_t lw[2] = { 16, 1 };
  size_t g[2] = { N, np };
  if ((s = RDN_ARGS(ctx, k, "to_panels", RDN_ARG(p), RDN_ARG(a->buf), RDN_ARG(ao), RDN_ARG(nl),
                    RDN_ARG(Nl), RDN_ARG(nbl))) != RDN_OK ||
      (s = rdn__launch(ctx, k, "to_panels", 2, g, lw)) != RDN_OK)
    return s;
  return rdn__tensor_over(ctx, p, 0, a->dtype, 2, shape, pt);
}

/* c -= a op(b)^H-or-not on row views of panel tensors (alpha -1, beta 1). */
static rdn_status update(rdn_ctx *ctx, rdn_trans ta, rdn_trans tb, rdn_tensor *at, size_t a0,
                         size_t an, rdn_tensor *bt, size_t b0, size_t bn, rdn_tensor *ct,
                         size_t c0, size_t cn) {
  rdn_tensor *av = NULL, *bv = NULL, *cv = NULL;
  rdn_status s;
  if ((s = rdn_tensor_rows(&av, at, a0, an)) == RDN_OK &&
      (s = rdn_tensor_rows(&bv, bt, b0, bn)) == RDN_OK &&
      (s = rdn_tensor_rows(&cv, ct, c0, cn)) == RDN_OK)
    s = rdn_gemm(ctx, ta, tb, -1.0, av, bv, 1.0, cv);
  rdn_tensor_release(av);
  rdn_tensor_release(bv);
  rdn_tensor_release(cv);
  return s;
}

rdn_status rdn__chol_large(rdn_ctx *ctx, const char *fn, rdn_tensor *a, size_t off, size_t n,
                           size_t widx) {
  rdn_status s;
  cl_kernel kf, kt, ku;
  cl_mem info;
  rdn_tensor *pt = NULL;
  rdn_dtype dt = a->dtype;
  size_t nb = panel_width(n), N = rdn__round_up(n, nb), np = N / nb;
  /* real dtypes solve VL rows per work-item in SIMD lanes (panel_trsm_v) */
  int vec = dt != RDN_C64;
  size_t vl = dt == RDN_F64 ? 8 : 16;
  const char *tn = vec ? "panel_trsm_v" : "panel_trsm";
  if ((s = rdn__kernel(ctx, "chol_blocked", dt, NULL, "panel_potrf", &kf)) != RDN_OK ||
      (s = rdn__kernel(ctx, "chol_blocked", dt, NULL, tn, &kt)) != RDN_OK ||
      (s = rdn__kernel(ctx, "chol_blocked", dt, NULL, "from_panels", &ku)) != RDN_OK ||
      (s = rdn__chol_info_reset(ctx, fn, 1, &info)) != RDN_OK ||
      (s = to_panels(ctx, fn, a, off, n, nb, &pt)) != RDN_OK)
    return s;
  cl_ulong nbl = nb;
  static const size_t one = 1, lw = 8;
  /* left-looking: panel j gets the updates of panels k < j, then is factored */
  for (size_t j = 0; j < np && s == RDN_OK; j++) {
    size_t j0 = j * nb;
    for (size_t k = 0; k < j && s == RDN_OK; k++)
      s = update(ctx, RDN_NOTRANS, RDN_CONJTRANS, pt, k * N + j0, N - j0, pt, k * N + j0, nb,
                 pt, j * N + j0, N - j0);
    if (s != RDN_OK) break;
    cl_ulong doff = (j * N + j0) * nb, poff = j * N * nb, j0l = j0, r0 = j0 + nb;
    cl_ulong nrows = N - j0 - nb;
    if ((s = RDN_ARGS(ctx, kf, "panel_potrf", RDN_ARG(pt->buf), RDN_ARG(doff), RDN_ARG(nbl),
                      RDN_ARG(j0l), RDN_ARG(info))) != RDN_OK ||
        (s = rdn__launch(ctx, kf, "panel_potrf", 1, &one, &one)) != RDN_OK)
      break;
    if (nrows) {
      size_t g = vec ? (nrows + vl - 1) / vl : nrows;
      if ((s = RDN_ARGS(ctx, kt, tn, RDN_ARG(pt->buf), RDN_ARG(poff), RDN_ARG(doff),
                        RDN_ARG(nbl), RDN_ARG(r0), RDN_ARG(nrows))) != RDN_OK ||
          (s = rdn__launch(ctx, kt, tn, 1, &g, &one)) != RDN_OK)
        break;
    }
  }
  if (s == RDN_OK) {
    cl_ulong ao = off, nl = n, Nl = N;
    size_t g = n;
    if ((s = RDN_ARGS(ctx, ku, "from_panels", RDN_ARG(a->buf), RDN_ARG(ao), RDN_ARG(pt->buf),
                      RDN_ARG(nl), RDN_ARG(Nl), RDN_ARG(nbl))) == RDN_OK &&
        (s = rdn__launch(ctx, ku, "from_panels", 1, &g, &lw)) == RDN_OK)
      s = rdn__chol_info_check(ctx, fn, info, 1, n, widx);
  }
  rdn_tensor_release(pt);
  return s;
}

rdn_status rdn__trsm_large(rdn_ctx *ctx, const char *fn, rdn_tensor *b, size_t boff,
                           size_t nrhs, const rdn_tensor *l, size_t loff, size_t n, int mode) {
  rdn_status s;
  rdn_tensor *pt = NULL, *bt = NULL;
  rdn_dtype dt = l->dtype;
  size_t nb = panel_width(n), N = rdn__round_up(n, nb), np = N / nb;
  size_t shape[2] = { n, nrhs };
  if ((s = to_panels(ctx, fn, l, loff, n, nb, &pt)) != RDN_OK) return s;
  if ((s = rdn__tensor_over(ctx, b->buf, boff, dt, 2, shape, &bt)) != RDN_OK) goto done;
  if (mode == 1) {                 /* L y = b: solve block k, then update the rows below */
    for (size_t k = 0; k < np && s == RDN_OK; k++) {
      size_t k0 = k * nb, kb = n - k0 < nb ? n - k0 : nb;
      s = rdn__solve_small(ctx, fn, dt, b->buf, boff + k0 * nrhs, 0, nrhs, pt->buf,
                           (k * N + k0) * nb, 0, nb, kb, nrhs, 1, 1);
      if (s == RDN_OK && k0 + kb < n)
        s = update(ctx, RDN_NOTRANS, RDN_NOTRANS, pt, k * N + k0 + kb, n - k0 - kb, bt, k0, kb,
                   bt, k0 + kb, n - k0 - kb);
    }
  } else {                         /* L^H x = y: block i from the rows below it */
    for (size_t i = np; i-- > 0 && s == RDN_OK;) {
      size_t i0 = i * nb, ib = n - i0 < nb ? n - i0 : nb;
      if (i0 + ib < n)
        s = update(ctx, RDN_CONJTRANS, RDN_NOTRANS, pt, i * N + i0 + ib, n - i0 - ib, bt,
                   i0 + ib, n - i0 - ib, bt, i0, ib);
      if (s == RDN_OK)
        s = rdn__solve_small(ctx, fn, dt, b->buf, boff + i0 * nrhs, 0, nrhs, pt->buf,
                             (i * N + i0) * nb, 0, nb, ib, nrhs, 1, 2);
    }
  }
done:
  rdn_tensor_release(bt);
  rdn_tensor_release(pt);
  return s;
}

rdn_status rdn__inverse_large(rdn_ctx *ctx, const char *fn, rdn_tensor *a, size_t off,
                              size_t n) {
  rdn_status s;
  cl_kernel k;
  cl_mem x;
  rdn_tensor *xt = NULL;
  size_t es = rdn_dtype_size(a->dtype), shape[2] = { n, n };
  /* A^-1 = L^-H L^-1 I: two blocked triangular solves on the identity (slot 7) */
  if ((s = rdn__kernel(ctx, "chol_blocked", a->dtype, NULL, "eye", &k)) != RDN_OK ||
      (s = rdn__linalg_scratch(ctx, fn, 7, n * n * es, &x)) != RDN_OK ||
      (s = rdn__tensor_over(ctx, x, 0, a->dtype, 2, shape, &xt)) != RDN_OK)
    return s;
  cl_ulong zero = 0, nl = n;
  static const size_t lw = 8;
  if ((s = RDN_ARGS(ctx, k, "eye", RDN_ARG(x), RDN_ARG(zero), RDN_ARG(nl))) == RDN_OK &&
      (s = rdn__launch(ctx, k, "eye", 1, &n, &lw)) == RDN_OK &&
      (s = rdn__trsm_large(ctx, fn, xt, 0, n, a, off, n, 1)) == RDN_OK &&
      (s = rdn__trsm_large(ctx, fn, xt, 0, n, a, off, n, 2)) == RDN_OK) {
    cl_int e = clEnqueueCopyBuffer(ctx->queue, x, a->buf, 0, off * es, n * n * es, 0, NULL,
                                   NULL);
    if (e != CL_SUCCESS) s = rdn__cl_fail(ctx, fn, "clEnqueueCopyBuffer", e);
  }
  rdn_tensor_release(xt);
  return s;
}
