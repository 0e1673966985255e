/*
** test_hpack.c -- packed Hermitian storage (rdn_herm_pack / rdn_herm_unpack): exact
** round trip of the lower triangle, the conjugate mirror above the diagonal, packed
** element order against a host index, views with offsets, and bad inputs.
*/
#include "harness.h"
#include <stdlib.h>
#include <string.h>

static const rdn_dtype DTS[3] = { RDN_F32, RDN_F64, RDN_C64 };

/* Host reference: n random matrices [n, c, c] (c64: re, im pairs), packed order check. */
static void check_case(rdn_ctx *ctx, rdn_dtype dt, size_t n, size_t c, size_t lead) {
  int cx = dt == RDN_C64, w = cx ? 2 : 1;
  size_t p = c * (c + 1) / 2, nf = (lead + n) * c * c;
  unsigned long long st = 5 + n * 31 + c;
  double *a = malloc(nf * w * sizeof *a);
  for (size_t i = 0; i < nf * (size_t)w; i++) a[i] = th_rand(&st);
  size_t fs[3] = { lead + n, c, c }, ps[2] = { lead + n, p }, one[3] = { n, c, c };
  rdn_tensor *fa = th_tensor(ctx, dt, 3, fs, a), *ap = NULL, *out = NULL, *vin = NULL,
             *vap = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &ap, dt, 2, ps));
  CHECK_OK(ctx, rdn_tensor_fill(ap, 7.0));
  /* views: the last n matrices of a into the last n rows of ap */
  CHECK_OK(ctx, rdn_tensor_rows(&vin, fa, lead, n));
  CHECK_OK(ctx, rdn_tensor_rows(&vap, ap, lead, n));
  CHECK_OK(ctx, rdn_herm_pack(ctx, vap, vin));
  double *got = th_read(ap);
  size_t bad = 0;
  for (size_t b = 0; b < lead; b++)
    for (size_t r = 0; r < p * (size_t)w; r++) bad += got[b * p * w + r] != (r % w ? 0.0 : 7.0);
  for (size_t b = 0; b < n; b++)
    for (size_t i = 0, r = 0; i < c; i++)
      for (size_t j = 0; j <= i; j++, r++)
        for (int q = 0; q < w; q++) {
          double want = a[(((lead + b) * c + i) * c + j) * w + q];
          double g = got[((lead + b) * p + r) * w + q];
          if (dt != RDN_F64) want = (float)want;
          bad += g != want;
        }
  CHECK(bad == 0, "pack %s n=%zu c=%zu: %zu elements differ from the lower triangle",
        rdn_dtype_name(dt), n, c, bad);
  CHECK_OK(ctx, rdn_tensor_new(ctx, &out, dt, 3, one));
  CHECK_OK(ctx, rdn_herm_unpack(ctx, out, vap));
  double *u = th_read(out);
  bad = 0;
  for (size_t b = 0; b < n; b++)
    for (size_t i = 0; i < c; i++)
      for (size_t j = 0; j < c; j++) {
        size_t lo = j <= i ? i : j, hi = j <= i ? j : i;   /* the stored (lower) element */
        for (int q = 0; q < w; q++) {
          double want = a[(((lead + b) * c + lo) * c + hi) * w + q];
          if (dt != RDN_F64) want = (float)want;
          if (q == 1 && j > i) want = -want;   /* conjugate mirror */
          bad += u[((b * c + i) * c + j) * w + q] != want;
        }
      }
  CHECK(bad == 0, "unpack %s n=%zu c=%zu: %zu elements differ from the Hermitian matrix",
        rdn_dtype_name(dt), n, c, bad);
  free(a);
  free(got);
  free(u);
  rdn_tensor_release(fa);
  rdn_tensor_release(ap);
  rdn_tensor_release(out);
  rdn_tensor_release(vin);
  rdn_tensor_release(vap);
}

static void test_bad(rdn_ctx *ctx) {
  size_t s33[3] = { 2, 3, 3 }, s34[3] = { 2, 3, 4 }, p5[2] = { 2, 5 }, p6[2] = { 2, 6 };
  rdn_tensor *a = NULL, *r = NULL, *ap = NULL, *bad = NULL, *ap64 = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &a, RDN_C64, 3, s33));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &r, RDN_C64, 3, s34));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &ap, RDN_C64, 2, p6));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &bad, RDN_C64, 2, p5));
  CHECK_OK(ctx, rdn_tensor_new(ctx, &ap64, RDN_F32, 2, p6));
  CHECK_ERR(ctx, rdn_herm_pack(ctx, ap, r), RDN_EINVAL, "[2 x 3 x 4]");
  CHECK_ERR(ctx, rdn_herm_pack(ctx, bad, a), RDN_EINVAL, "2 x 6 = 12 elements, got [2 x 5]");
  CHECK_ERR(ctx, rdn_herm_unpack(ctx, a, bad), RDN_EINVAL, "'ap' needs");
  CHECK_ERR(ctx, rdn_herm_unpack(ctx, a, ap64), RDN_EINVAL, "'ap' is f32");
  CHECK_ERR(ctx, rdn_herm_pack(ctx, ap, NULL), RDN_EINVAL, "'a'");
  /* in place unpack refused (two views of one flat buffer) */
  size_t flat[1] = { 18 }, sq[3] = { 1, 3, 3 };
  rdn_tensor *base = NULL, *r9 = NULL, *r6 = NULL, *vo = NULL;
  CHECK_OK(ctx, rdn_tensor_new(ctx, &base, RDN_C64, 1, flat));
  CHECK_OK(ctx, rdn_tensor_rows(&r9, base, 0, 9));
  CHECK_OK(ctx, rdn_tensor_rows(&r6, base, 3, 6));
  CHECK_OK(ctx, rdn_tensor_reshape(&vo, r9, 3, sq));
  CHECK_ERR(ctx, rdn_herm_unpack(ctx, vo, r6), RDN_EINVAL, "shares storage");
  rdn_tensor *list[] = { a, r, ap, bad, ap64, base, r9, r6, vo };
  for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) rdn_tensor_release(list[i]);
}

int main(void) {
  rdn_ctx *ctx = th_ctx();
  if (!ctx) return th_done();
  int has64 = 0;
  rdn_tensor *probe = NULL;
  size_t one = 1;
  has64 = rdn_tensor_new(ctx, &probe, RDN_F64, 1, &one) == RDN_OK;
  rdn_tensor_release(probe);
  static const size_t cases[][3] = { { 1, 1, 0 }, { 3, 5, 1 }, { 7, 35, 2 }, { 2, 75, 1 },
                                     { 33, 16, 0 } };
  for (int t = 0; t < 3; t++) {
    if (DTS[t] == RDN_F64 && !has64) continue;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
      check_case(ctx, DTS[t], cases[i][0], cases[i][1], cases[i][2]);
  }
  test_bad(ctx);
  rdn_ctx_destroy(ctx);
  return th_done();
}
