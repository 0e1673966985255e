/*
** spectral_int.h -- private to spectral.c (enter / leave / layer) and spectral_ops.c
** (operator construction): argument checks shared by both files and the Woodbury object.
*/
#ifndef RDN_SPECTRAL_INT_H
#define RDN_SPECTRAL_INT_H
#include "rdn_impl.h"

#define RDN_SPEC_MAXK 256

size_t rdn__spec_qcols(const rdn_spectral_geom *g);   /* stored columns: W/2 + 1 or W */
size_t rdn__spec_rows(const rdn_spectral_geom *g);    /* H (rank 2) or 1 */
/* t non-NULL, of ctx, of dtype dt. */
rdn_status rdn__spec_need_tensor(rdn_ctx *ctx, const char *fn, const char *arg,
                                 const rdn_tensor *t, rdn_dtype dt);
/* v c64 [F, m, C] for the geometry (checked too); returns m and C. */
rdn_status rdn__spec_need_spectra(rdn_ctx *ctx, const char *fn, const rdn_tensor *v,
                                  const rdn_spectral_geom *g, size_t *m, size_t *c);
/* Labels: i32 with m entries, every class of [0, k) present; counts[k] on the host. */
rdn_status rdn__spec_need_labels(rdn_ctx *ctx, const char *fn, const rdn_tensor *y, size_t m,
                                 int k, long *counts);

/* Woodbury class operators (SPEC §1.11): E direct, class j through its spectra. */
struct rdn_spectral_wb {
  int k;
  size_t f, m, c, mmax;
  rdn_tensor *e;      /* c64 [F, C, C]: conj E(p), as w[0] of rdn_spectral_operators */
  rdn_tensor *zs;     /* c64 [F m, C]: class j's rows [zoff_j, + F m_j) are Z_j [F, m_j, C] */
  rdn_tensor *ninv;   /* c64 [F sum m_j^2]: from noff_j, N_j(p) = (I/a_j + Z_j Z_j^H)^-1 */
  size_t cnt[RDN_SPEC_MAXK], zoff[RDN_SPEC_MAXK], noff[RDN_SPEC_MAXK];
  double alpha[RDN_SPEC_MAXK + 1];
};

#endif
