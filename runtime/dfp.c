/*
** dfp.c -- the deep frame potential (SPEC §2.2-2.3; kernels/dfp.cl): a network's induced
** frame, kept block-sparse on the device (packed layer weights + an architecture table),
** its normalised Gram over the structurally non-zero blocks only, the potential FP / N_nz,
** and its data-free minimisation over unit-norm weights by gradient descent (restarts
** run side by side in one launch).
*/
#include "rdn_impl.h"
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rdn_dfp {
  rdn_ctx *ctx;
  int L;
  size_t *k, *wo, *rows;         /* widths k_0..k_L; per layer j: packed offset, R_j */
  unsigned char *adj;            /* adj[i (L+1) + j]: i is a parent of j */
  rdn_dfp_info info;
  size_t kmax, maxw;             /* widest layer, largest R_j k_j */
  cl_mem desc;                   /* architecture table (see kernels/dfp.cl) */
};

#define ADJ(p, i, j) ((p)->adj[(size_t)(i) * ((p)->L + 1) + (j)])

void rdn_dfp_destroy(rdn_dfp *p) {
  if (!p) return;
  if (p->desc) clReleaseMemObject(p->desc);
  free(p->k);
  free(p->wo);
  free(p->rows);
  free(p->adj);
  free(p);
}

/* Row blocks touched by column block j: its parents, and row block j (the -I) if j < L. */
static int touches(const rdn_dfp *p, int i, int j) { return ADJ(p, i, j) || (i == j && j < p->L); }

static int shares(const rdn_dfp *p, int j, int jp) {
  for (int i = 0; i < p->L; i++)
    if (touches(p, i, j) && touches(p, i, jp)) return 1;
  return 0;
}

static rdn_status build_table(rdn_ctx *ctx, rdn_dfp *p) {
  static const char *fn = "rdn_dfp_create";
  int L = p->L, L1 = L + 1;
  size_t N = p->info.rows, K = p->info.cols, nb = p->info.blocks;
  size_t n = 4 * (size_t)L1 + 2 * (size_t)L1 * L1 + 2 * nb + K + N;
  cl_int *t = calloc(n, sizeof *t), e;
  if (!t) return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
  cl_int *KJ = t, *CB = KJ + L1, *RB = CB + L1, *WO = RB + L1, *PROW = WO + L1;
  cl_int *GOFF = PROW + L1 * L1, *BL = GOFF + L1 * L1, *COLJ = BL + 2 * nb, *ROWI = COLJ + K;
  size_t cb = 0, rb = 0, go = 0, b = 0;
  for (int i = 0; i <= L; i++) {
    KJ[i] = (cl_int)p->k[i];
    WO[i] = (cl_int)p->wo[i];
    if (i >= 1) {
      CB[i] = (cl_int)cb;
      for (size_t c = 0; c < p->k[i]; c++) COLJ[cb + c] = i;
      cb += p->k[i];
    }
    if (i < L) {
      RB[i] = (cl_int)rb;
      for (size_t a = 0; a < p->k[i]; a++) ROWI[rb + a] = i;
      rb += p->k[i];
    }
  }
  for (int j = 0; j <= L; j++) {
    size_t r = 0;
    for (int i = 0; i <= L; i++) {
      PROW[i * L1 + j] = -1;
      GOFF[j * L1 + i] = -1;
    }
    for (int i = 0; i < j; i++)
      if (ADJ(p, i, j)) {
        PROW[i * L1 + j] = (cl_int)r;
        r += p->k[i];
      }
  }
  for (int j = 1; j <= L; j++)
    for (int jp = 1; jp <= L; jp++)
      if (shares(p, j, jp)) {
        GOFF[j * L1 + jp] = (cl_int)go;
        go += p->k[j] * p->k[jp];
        BL[2 * b] = j;
        BL[2 * b + 1] = jp;
        b++;
      }
  p->desc = clCreateBuffer(ctx->context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                           n * sizeof *t, t, &e);
  free(t);
  if (e != CL_SUCCESS) {
    p->desc = NULL;
    return rdn__cl_fail(ctx, fn, "clCreateBuffer", e);
  }
  return RDN_OK;
}

rdn_status rdn_dfp_create(rdn_ctx *ctx, rdn_dfp **out, int layers, const size_t *widths,
                          const unsigned char *adj) {
  static const char *fn = "rdn_dfp_create";
  if (!ctx) return RDN_EINVAL;
  if (!out) return rdn__fail(ctx, RDN_EINVAL, "%s: 'out' is NULL", fn);
  *out = NULL;
  if (layers < 1 || layers > 4096)
    return rdn__fail(ctx, RDN_EINVAL, "%s: layers must be in 1..4096, got %d", fn, layers);
  if (!widths || !adj)
    return rdn__fail(ctx, RDN_EINVAL, "%s: '%s' is NULL", fn, widths ? "adj" : "widths");
  int L = layers, L1 = L + 1;
  for (int i = 0; i <= L; i++)
    if (widths[i] < 1 || widths[i] > (1u << 20))
      return rdn__fail(ctx, RDN_EINVAL, "%s: widths[%d] = %zu, want 1..%u", fn, i, widths[i],
                       1u << 20);
  for (int j = 0; j <= L; j++) {
    int np = 0;
    for (int i = 0; i <= L; i++) {
      if (!adj[(size_t)i * L1 + j]) continue;
      if (i >= j)
        return rdn__fail(ctx, RDN_EINVAL, "%s: layer %d cannot be a parent of layer %d "
                         "(parents of layer j are layers 0..j-1)", fn, i, j);
      np++;
    }
    if (j >= 1 && np == 0)
      return rdn__fail(ctx, RDN_EINVAL, "%s: layer %d has no parent", fn, j);
  }
  rdn_dfp *p = calloc(1, sizeof *p);
  if (!p) return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
  p->ctx = ctx;
  p->L = L;
  p->k = calloc((size_t)L1, sizeof *p->k);
  p->wo = calloc((size_t)L1, sizeof *p->wo);
  p->rows = calloc((size_t)L1, sizeof *p->rows);
  p->adj = malloc((size_t)L1 * L1);
  if (!p->k || !p->wo || !p->rows || !p->adj) {
    rdn_dfp_destroy(p);
    return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
  }
  memcpy(p->k, widths, (size_t)L1 * sizeof *widths);
  for (size_t q = 0; q < (size_t)L1 * L1; q++) p->adj[q] = adj[q] ? 1 : 0;
  double nw = 0, ng = 0;
  for (int j = 0; j <= L; j++) {
    if (j < L) p->info.rows += p->k[j];
    if (j >= 1) p->info.cols += p->k[j];
    if (p->k[j] > p->kmax) p->kmax = p->k[j];
    for (int i = 0; i < j; i++) if (ADJ(p, i, j)) p->rows[j] += p->k[i];
    p->wo[j] = (size_t)nw;
    nw += (double)p->rows[j] * p->k[j];
    if (p->rows[j] * p->k[j] > p->maxw) p->maxw = p->rows[j] * p->k[j];
    for (int i = 0; i < L; i++) if (touches(p, i, j)) p->info.nnz_frame += p->k[i] * p->k[j];
  }
  for (int j = 1; j <= L; j++)
    for (int jp = 1; jp <= L; jp++)
      if (shares(p, j, jp)) {
        p->info.blocks++;
        ng += (double)p->k[j] * p->k[jp];
      }
  if (nw >= INT_MAX || ng >= INT_MAX || p->info.rows + p->info.cols >= INT_MAX) {
    rdn_dfp_destroy(p);
    return rdn__fail(ctx, RDN_EINVAL, "%s: architecture too large: %.0f weights, %.0f Gram "
                     "entries (limit %d)", fn, nw, ng, INT_MAX);
  }
  p->info.layers = L;
  p->info.nweights = (size_t)nw;
  p->info.nnz = (size_t)ng;
  rdn_status s = build_table(ctx, p);
  if (s != RDN_OK) {
    rdn_dfp_destroy(p);
    return s;
  }
  *out = p;
  return RDN_OK;
}

void rdn_dfp_get_info(const rdn_dfp *p, rdn_dfp_info *info) { *info = p->info; }

rdn_status rdn_dfp_layer(const rdn_dfp *p, int j, size_t *offset, size_t *rows, size_t *cols) {
  if (j < 1 || j > p->L)
    return rdn__fail(p->ctx, RDN_EINVAL, "rdn_dfp_layer: layer %d outside 1..%d", j, p->L);
  if (offset) *offset = p->wo[j];
  if (rows) *rows = p->rows[j];
  if (cols) *cols = p->k[j];
  return RDN_OK;
}

/* ---- device passes ------------------------------------------------------------------- */
typedef struct {
  rdn_dfp *p;
  const char *fn;
  rdn_dtype dt;
  size_t R;                      /* restarts in the buffers */
  rdn_tensor *cs, *g, *part, *tot;
} pass;

#define ARCH(x) RDN_ARG((x)->p->desc), RDN_ARG(L), RDN_ARG(nb), RDN_ARG(K)
#define ARCH_DECL(x)                                                  \
  cl_int L = (x)->p->L, nb = (cl_int)(x)->p->info.blocks;             \
  cl_int K = (cl_int)(x)->p->info.cols;                               \
  cl_ulong nw = (x)->p->info.nweights, ng = (x)->p->info.nnz;         \
  (void)nw; (void)ng

static int mode_bits(rdn_dfp_norm n) {
  return n == RDN_DFP_INDUCED ? 3 : n == RDN_DFP_LAYER ? 1 : n == RDN_DFP_INDUCED_ONLY ? 2 : 0;
}

static rdn_status pass_init(pass *x, rdn_dfp *p, const char *fn, rdn_dtype dt, size_t R) {
  rdn_ctx *ctx = p->ctx;
  rdn_status s;
  size_t scs[2] = { R, 2 * p->info.cols }, sg[2] = { R, p->info.nnz };
  size_t sp[2] = { R, p->info.blocks };
  memset(x, 0, sizeof *x);
  x->p = p;
  x->fn = fn;
  x->dt = dt;
  x->R = R;
  if ((s = rdn_tensor_new(ctx, &x->cs, dt, 2, scs)) != RDN_OK ||
      (s = rdn_tensor_new(ctx, &x->g, dt, 2, sg)) != RDN_OK ||
      (s = rdn_tensor_new(ctx, &x->part, rdn__acc_dtype(ctx), 2, sp)) != RDN_OK ||
      (s = rdn_tensor_new(ctx, &x->tot, rdn__acc_dtype(ctx), 1, &R)) != RDN_OK)
    return s;
  return RDN_OK;
}

static void pass_free(pass *x) {
  rdn_tensor_release(x->cs);
  rdn_tensor_release(x->g);
  rdn_tensor_release(x->part);
  rdn_tensor_release(x->tot);
}

/* Column scales; with check, a column that cannot be normalised is RDN_EVALUE. */
static rdn_status colscale(pass *x, const rdn_tensor *v, rdn_dfp_norm norm, int check) {
  rdn_ctx *ctx = x->p->ctx;
  ARCH_DECL(x);
  cl_kernel k;
  cl_mem flag = NULL;
  cl_uint bad = UINT32_MAX;
  rdn_status s;
  cl_ulong vo = v->offset;
  cl_int mode = mode_bits(norm);
  if ((s = rdn__flag_reset(ctx, x->fn, &flag)) != RDN_OK ||
      (s = rdn__kernel(ctx, "dfp", x->dt, NULL, "dfp_colscale", &k)) != RDN_OK ||
      (s = RDN_ARGS(ctx, k, "dfp_colscale", RDN_TARG(v, vo), RDN_ARG(nw), ARCH(x), RDN_ARG(mode),
                    RDN_ARG(x->cs->buf), RDN_ARG(flag))) != RDN_OK)
    return s;
  size_t gws[2] = { (size_t)K, x->R };
  if ((s = rdn__launch(ctx, k, "dfp_colscale", 2, gws, NULL)) != RDN_OK) return s;
  if (!check) return RDN_OK;
  if ((s = rdn__flag_read(ctx, x->fn, &bad)) != RDN_OK) return s;
  if (bad == UINT32_MAX) return RDN_OK;
  int j = 1;
  size_t c = bad;
  while (j < L && c >= x->p->k[j]) c -= x->p->k[j++];
  return rdn__fail(ctx, RDN_EVALUE, "%s: unit %zu of layer %d has all-zero weights (its column "
                   "cannot be normalised)", x->fn, c, j);
}

static rdn_status gram(pass *x, const rdn_tensor *v) {
  rdn_ctx *ctx = x->p->ctx;
  ARCH_DECL(x);
  cl_kernel k;
  rdn_status s;
  cl_ulong vo = v->offset;
  if ((s = rdn__kernel(ctx, "dfp", x->dt, NULL, "dfp_gram", &k)) != RDN_OK ||
      (s = RDN_ARGS(ctx, k, "dfp_gram", RDN_TARG(v, vo), RDN_ARG(nw), ARCH(x),
                    RDN_ARG(x->cs->buf), RDN_ARG(x->g->buf), RDN_ARG(ng))) != RDN_OK)
    return s;
  size_t gws[3] = { x->p->kmax * x->p->kmax, (size_t)nb, x->R };
  return rdn__launch(ctx, k, "dfp_gram", 3, gws, NULL);
}

/* Potential of every restart into out[R]. */
static rdn_status total(pass *x, int count_diag, double *out) {
  rdn_ctx *ctx = x->p->ctx;
  ARCH_DECL(x);
  cl_kernel k1, k2;
  rdn_status s;
  cl_int cd = count_diag ? 1 : 0;
  size_t g1[2] = { (size_t)nb, x->R }, g2 = x->R;
  if ((s = rdn__kernel(ctx, "dfp", x->dt, NULL, "dfp_blocksq", &k1)) != RDN_OK ||
      (s = RDN_ARGS(ctx, k1, "dfp_blocksq", RDN_ARG(x->g->buf), RDN_ARG(ng), ARCH(x), RDN_ARG(cd),
                    RDN_ARG(x->part->buf))) != RDN_OK ||
      (s = rdn__launch(ctx, k1, "dfp_blocksq", 2, g1, NULL)) != RDN_OK ||
      (s = rdn__kernel(ctx, "dfp", x->dt, NULL, "dfp_total", &k2)) != RDN_OK ||
      (s = RDN_ARGS(ctx, k2, "dfp_total", RDN_ARG(x->part->buf), RDN_ARG(nb),
                    RDN_ARG(x->tot->buf))) != RDN_OK ||
      (s = rdn__launch(ctx, k2, "dfp_total", 1, &g2, NULL)) != RDN_OK)
    return s;
  if (x->tot->dtype == RDN_F64) return rdn_tensor_read(x->tot, out, x->R * sizeof(double));
  float *f = malloc(x->R * sizeof *f);
  if (!f) return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", x->fn);
  s = rdn_tensor_read(x->tot, f, x->R * sizeof *f);
  for (size_t r = 0; r < x->R; r++) out[r] = f[r];
  free(f);
  return s;
}

static rdn_status check_weights(rdn_dfp *p, const char *fn, const rdn_tensor *w,
                                rdn_dfp_norm norm) {
  rdn_ctx *ctx = p->ctx;
  char sh[96];
  rdn_status s;
  if ((s = rdn__tensor_arg(ctx, fn, "w", w)) != RDN_OK) return s;
  if (!rdn__is_real(w->dtype))
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'w' is %s, want f32 or f64", fn,
                     rdn_dtype_name(w->dtype));
  if (rdn_tensor_numel(w) != p->info.nweights)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'w' %s has %zu elements, the architecture has %zu "
                     "weights", fn, rdn_tensor_shape_str(w, sh, sizeof sh), rdn_tensor_numel(w),
                     p->info.nweights);
  if ((unsigned)norm > RDN_DFP_NONE)
    return rdn__fail(ctx, RDN_EINVAL, "%s: bad normalisation: %d", fn, (int)norm);
  return RDN_OK;
}

static double nnz_of(const rdn_dfp *p, int count_diag) {
  return (double)p->info.nnz - (count_diag ? 0.0 : (double)p->info.cols);
}

rdn_status rdn_dfp_potential(rdn_dfp *p, const rdn_tensor *w, rdn_dfp_norm norm, int count_diag,
                             double *fp, double *dfp) {
  static const char *fn = "rdn_dfp_potential";
  if (!p) return RDN_EINVAL;
  rdn_ctx *ctx = p->ctx;
  rdn_status s;
  pass x;
  double v = 0;
  if ((s = check_weights(p, fn, w, norm)) != RDN_OK) return s;
  if ((s = rdn__check_finite(ctx, fn, w, "w")) != RDN_OK) return s;
  if ((s = pass_init(&x, p, fn, w->dtype, 1)) == RDN_OK &&
      (s = colscale(&x, w, norm, 1)) == RDN_OK &&
      (s = gram(&x, w)) == RDN_OK)
    s = total(&x, count_diag, &v);
  pass_free(&x);
  if (s != RDN_OK) return s;
  if (fp) *fp = v;
  if (dfp) *dfp = nnz_of(p, count_diag) > 0 ? v / nnz_of(p, count_diag) : 0;
  return RDN_OK;
}

/* Dense [N, K] frame (what = 0) or [K, K] Gram (what = 1) of restart 0. */
static rdn_status dense(rdn_dfp *p, const char *fn, rdn_tensor *out, const rdn_tensor *w,
                        rdn_dfp_norm norm, int what) {
  rdn_ctx *ctx = p->ctx;
  char sh[96];
  rdn_status s;
  pass x;
  cl_kernel k;
  size_t n0 = what ? p->info.cols : p->info.rows, K0 = p->info.cols;
  if ((s = check_weights(p, fn, w, norm)) != RDN_OK) return s;
  if ((s = rdn__tensor_arg(ctx, fn, "out", out)) != RDN_OK) return s;
  if (out->dtype != w->dtype || out->ndim != 2 || out->shape[0] != n0 || out->shape[1] != K0)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'out' must be %s [%zu x %zu], got %s %s", fn,
                     rdn_dtype_name(w->dtype), n0, K0, rdn_dtype_name(out->dtype),
                     rdn_tensor_shape_str(out, sh, sizeof sh));
  if ((s = rdn__check_finite(ctx, fn, w, "w")) != RDN_OK) return s;
  if ((s = pass_init(&x, p, fn, w->dtype, 1)) != RDN_OK || (s = colscale(&x, w, norm, 1)) != RDN_OK)
    goto done;
  ARCH_DECL(&x);
  cl_ulong vo = w->offset, oo = out->offset;
  size_t gws[2] = { n0, K0 };
  if (what) {
    if ((s = gram(&x, w)) != RDN_OK ||
        (s = rdn__kernel(ctx, "dfp", x.dt, NULL, "dfp_dense_gram", &k)) != RDN_OK ||
        (s = RDN_ARGS(ctx, k, "dfp_dense_gram", RDN_ARG(x.g->buf), ARCH(&x),
                      RDN_TARG(out, oo))) != RDN_OK)
      goto done;
  } else if ((s = rdn__kernel(ctx, "dfp", x.dt, NULL, "dfp_dense_frame", &k)) != RDN_OK ||
             (s = RDN_ARGS(ctx, k, "dfp_dense_frame", RDN_TARG(w, vo), ARCH(&x),
                           RDN_ARG(x.cs->buf), RDN_TARG(out, oo))) != RDN_OK) {
    goto done;
  }
  s = rdn__launch(ctx, k, what ? "dfp_dense_gram" : "dfp_dense_frame", 2, gws, NULL);
done:
  pass_free(&x);
  return s;
}

rdn_status rdn_dfp_frame(rdn_dfp *p, rdn_tensor *out, const rdn_tensor *w, rdn_dfp_norm norm) {
  return p ? dense(p, "rdn_dfp_frame", out, w, norm, 0) : RDN_EINVAL;
}

rdn_status rdn_dfp_gram(rdn_dfp *p, rdn_tensor *out, const rdn_tensor *w, rdn_dfp_norm norm) {
  return p ? dense(p, "rdn_dfp_gram", out, w, norm, 1) : RDN_EINVAL;
}

/* ---- minimisation -------------------------------------------------------------------- */
static rdn_status grad_update(pass *x, rdn_tensor *v, rdn_tensor *gr, double step, int retract) {
  rdn_ctx *ctx = x->p->ctx;
  ARCH_DECL(x);
  cl_kernel kg, ku;
  rdn_status s;
  cl_double sd = step;
  cl_float sf = (cl_float)step;
  cl_int rt = retract;
  size_t g1[3] = { x->p->maxw, (size_t)L, x->R }, g2[2] = { (size_t)K, x->R };
  if (step != 0 &&
      ((s = rdn__kernel(ctx, "dfp", x->dt, NULL, "dfp_grad", &kg)) != RDN_OK ||
       (s = RDN_ARGS(ctx, kg, "dfp_grad", RDN_ARG(v->buf), RDN_ARG(nw), ARCH(x),
                     RDN_ARG(x->cs->buf), RDN_ARG(x->g->buf), RDN_ARG(ng),
                     RDN_ARG(gr->buf))) != RDN_OK ||
       (s = rdn__launch(ctx, kg, "dfp_grad", 3, g1, NULL)) != RDN_OK))
    return s;
  if ((s = rdn__kernel(ctx, "dfp", x->dt, NULL, "dfp_update", &ku)) != RDN_OK) return s;
  rdn__karg st = x->dt == RDN_F64 ? RDN_ARG(sd) : RDN_ARG(sf);
  if ((s = RDN_ARGS(ctx, ku, "dfp_update", RDN_ARG(v->buf), RDN_ARG(nw), ARCH(x),
                    RDN_ARG(x->cs->buf), RDN_ARG(gr->buf), st, RDN_ARG(rt))) != RDN_OK)
    return s;
  return rdn__launch(ctx, ku, "dfp_update", 2, g2, NULL);
}

rdn_status rdn_dfp_minimize(rdn_dfp *p, rdn_tensor *w, const rdn_dfp_min_opts *o, double *best,
                            double *per_restart) {
  static const char *fn = "rdn_dfp_minimize";
  if (!p) return RDN_EINVAL;
  rdn_ctx *ctx = p->ctx;
  rdn_status s;
  if (!o) return rdn__fail(ctx, RDN_EINVAL, "%s: 'opts' is NULL", fn);
  if ((s = check_weights(p, fn, w, o->norm)) != RDN_OK) return s;
  if (o->norm != RDN_DFP_INDUCED && o->norm != RDN_DFP_LAYER)
    return rdn__fail(ctx, RDN_EINVAL, "%s: normalisation %d cannot be minimised: without unit-norm "
                     "layer weights the potential degenerates (SPEC §2.3); use induced or layer",
                     fn, (int)o->norm);
  if (o->restarts < 1 || o->restarts > 4096)
    return rdn__fail(ctx, RDN_EINVAL, "%s: restarts must be in 1..4096, got %d", fn, o->restarts);
  if (o->iters < 0)
    return rdn__fail(ctx, RDN_EINVAL, "%s: iters must be >= 0, got %d", fn, o->iters);
  if (!(o->step > 0) || !isfinite(o->step))
    return rdn__fail(ctx, RDN_EINVAL, "%s: step must be positive and finite, got %g", fn, o->step);
  size_t R = (size_t)o->restarts, shape[2] = { R, p->info.nweights };
  rdn_tensor *v = NULL, *gr = NULL, *row = NULL;
  double *fps = calloc(R, sizeof *fps);
  pass x;
  memset(&x, 0, sizeof x);
  if (!fps) return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
  if ((s = pass_init(&x, p, fn, w->dtype, R)) != RDN_OK ||
      (s = rdn_tensor_new(ctx, &v, w->dtype, 2, shape)) != RDN_OK ||
      (s = rdn_tensor_new(ctx, &gr, w->dtype, 2, shape)) != RDN_OK ||
      (s = rdn_randn(ctx, v, o->seed)) != RDN_OK || (s = rdn_tensor_fill(gr, 0)) != RDN_OK)
    goto done;
  /* Gaussian start; retraction mode starts on the sphere (a zero step renormalises) */
  if (!o->plain && ((s = colscale(&x, v, o->norm, 0)) != RDN_OK ||
                    (s = grad_update(&x, v, gr, 0, 1)) != RDN_OK))
    goto done;
  for (int it = 0; it < o->iters; it++)
    if ((s = colscale(&x, v, o->norm, 0)) != RDN_OK || (s = gram(&x, v)) != RDN_OK ||
        (s = grad_update(&x, v, gr, o->step, !o->plain)) != RDN_OK)
      goto done;
  if ((s = colscale(&x, v, o->norm, 1)) != RDN_OK || (s = gram(&x, v)) != RDN_OK ||
      (s = total(&x, o->count_diag, fps)) != RDN_OK)
    goto done;
  size_t bi = 0;
  for (size_t r = 0; r < R; r++) {
    if (!isfinite(fps[r])) {
      s = rdn__fail(ctx, RDN_ENUMERIC, "%s: restart %zu diverged (potential %g): lower the step "
                    "(%g)", fn, r, fps[r], o->step);
      goto done;
    }
    if (fps[r] < fps[bi]) bi = r;
    if (per_restart) per_restart[r] = fps[r];
  }
  /* hand back unit layer columns (plain descent leaves them unnormalised) */
  if ((s = grad_update(&x, v, gr, 0, 1)) != RDN_OK ||
      (s = rdn_tensor_rows(&row, v, bi, 1)) != RDN_OK || (s = rdn_tensor_copy(w, row)) != RDN_OK)
    goto done;
  if (best) *best = fps[bi];
done:
  rdn_tensor_release(row);
  rdn_tensor_release(v);
  rdn_tensor_release(gr);
  pass_free(&x);
  free(fps);
  return s;
}
