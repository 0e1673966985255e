/*
** scattering.c -- the 2-D scattering transform of SPEC §3.3 with Kymatio 0.3's conventions
** (filters, padding, Fourier-domain subsampling, channel order).  The filter bank is built
** once per object on the device; images run in chunks through scratch buffers the object
** keeps.  Two engines: the own line FFTs of kernels/scatfft.cl (sides <= 64 with prime
** factors <= 13; products, periodisation, modulus, padding fused) or clFFT plans.
*/
#include "rdn_impl.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846
#define MAX_J 12
#define MAX_L 64
#define MAX_PLANS 48
#define CHUNK_BYTES ((size_t)96 << 20)   /* scratch budget per chunk of images (clFFT) */
/* The own engine's passes each stream the whole chunk's scratch: a chunk that stays in the
** caches (8 MiB: 15 Fashion-MNIST images at J = 2, L = 8) ran the transform 1.8x faster
** than 96 MiB chunks on PoCL (2-core EPYC, 32 MiB L3); the extra launches cost less. */
#define OWN_CHUNK_BYTES ((size_t)8 << 20)

#define MAX_LINE 64                      /* longest line of the own FFT kernels */
typedef struct { int kind, res, mult; rdn_fft_plan *p; } plan_slot;
typedef struct { int n; char opts[96]; cl_mem tw; } fft_line;   /* own engine, per length */

struct rdn_scattering {
  rdn_ctx *ctx;
  size_t h, w, hp, wp, top, left;      /* input size, working grid, padding before */
  int J, L, order, crop;
  rdn_scat_pad pad;
  size_t K, oh, ow;
  cl_mem filt;                          /* every filter level, f32 */
  size_t phi_off[MAX_J], psi_off[MAX_J][MAX_J];   /* in floats; psi_off[j][r] (r < j or 0) */
  size_t bc;                            /* images per chunk of the scratch below (0: none) */
  cl_mem xp, X, A, B, R, U1, U2;
  plan_slot plans[MAX_PLANS];
  int nplans;
  int own;                              /* 1: scatfft.cl kernels, 0: clFFT */
  fft_line line[2 * MAX_J + 2];
  int nline;
};

static int own_ok(const rdn_scattering *s);
static rdn_status own_kernel(rdn_scattering *s, size_t n, const char *name, cl_kernel *k,
                             cl_mem *tw);
static rdn_status own_launch(rdn_ctx *ctx, cl_kernel k, const char *name, int dims, size_t g0,
                             size_t g1, size_t g2);
static size_t hr(const rdn_scattering *s, int r) { return s->hp >> r; }
static size_t wr(const rdn_scattering *s, int r) { return s->wp >> r; }
static size_t pr(const rdn_scattering *s, int r) { return hr(s, r) * wr(s, r); }
/* Row strides in complex numbers: the own engine pads rows to a multiple of OWN_V. */
#define OWN_V 8
static size_t pad_v(size_t n) { return (n + OWN_V - 1) / OWN_V * OWN_V; }
static size_t sf(const rdn_scattering *s, int r) { return s->own ? pad_v(wr(s, r)) : wr(s, r); }
/* Spectra between steps: R2C halves for clFFT, full padded rows for the own engine. */
static size_t sh(const rdn_scattering *s, int r) {
  return s->own ? pad_v(wr(s, r)) : wr(s, r) / 2 + 1;
}
static size_t ph(const rdn_scattering *s, int r) { return hr(s, r) * sh(s, r); }
static size_t pf(const rdn_scattering *s, int r) { return hr(s, r) * sf(s, r); }

static void rel(cl_mem *m) {
  if (*m) clReleaseMemObject(*m);
  *m = NULL;
}

static void drop_chunk(rdn_scattering *s) {
  for (int i = 0; i < s->nplans; i++) rdn_fft_plan_destroy(s->plans[i].p);
  s->nplans = 0;
  rel(&s->xp), rel(&s->X), rel(&s->A), rel(&s->B), rel(&s->R), rel(&s->U1), rel(&s->U2);
  s->bc = 0;
}

void rdn_scattering2d_destroy(rdn_scattering *s) {
  if (!s) return;
  drop_chunk(s);
  for (int i = 0; i < s->nline; i++) rel(&s->line[i].tw);
  rel(&s->filt);
  free(s);
}

void rdn_scattering2d_shape(const rdn_scattering *s, size_t *channels, size_t *oh, size_t *ow) {
  if (channels) *channels = s ? s->K : 0;
  if (oh) *oh = s ? s->oh : 0;
  if (ow) *ow = s ? s->ow : 0;
}

/* A tensor header over a scratch buffer (3-D). */
static rdn_status over(rdn_scattering *s, cl_mem m, rdn_dtype dt, size_t a, size_t b, size_t c,
                       rdn_tensor **t) {
  size_t sh[3] = { a, b, c };
  return rdn__tensor_over(s->ctx, m, 0, dt, 3, sh, t);
}

static rdn_status launch(rdn_ctx *ctx, cl_kernel k, const char *name, size_t g0, size_t g1,
                         size_t g2) {
  size_t g[3] = { g0, g1, g2 };
  return rdn__launch(ctx, k, name, 3, g, NULL);
}

/* ------------------------------------------------------------- filter bank */
/* Kymatio's periodize_filter_fft for planes [first, first + nf) of `full` (hp x wp) into
** the bank at `off` (resolution r). */
static rdn_status periodize(rdn_scattering *s, cl_mem full, size_t first, size_t nf, int r,
                            size_t off) {
  rdn_ctx *ctx = s->ctx;
  cl_kernel k;
  rdn_status st;
  if ((st = rdn__kernel(ctx, "scattering", RDN_F32, NULL, "periodize_filter", &k)) != RDN_OK)
    return st;
  double f = ldexp(1.0, -r);
  cl_uint m = (cl_uint)s->hp, n = (cl_uint)s->wp, kf = 1u << r, cnf = (cl_uint)nf;
  cl_uint sx = (cl_uint)(s->hp * f / 2), lx = (cl_uint)(s->hp * (1 - f));
  cl_uint sy = (cl_uint)(s->wp * f / 2), ly = (cl_uint)(s->wp * (1 - f));
  cl_ulong oo = off, io = first * s->hp * s->wp;
  if ((st = RDN_ARGS(ctx, k, "periodize_filter", RDN_ARG(s->filt), RDN_ARG(oo), RDN_ARG(full),
                     RDN_ARG(io), RDN_ARG(m), RDN_ARG(n), RDN_ARG(kf), RDN_ARG(sx), RDN_ARG(lx),
                     RDN_ARG(sy), RDN_ARG(ly), RDN_ARG(cnf))) != RDN_OK)
    return st;
  return launch(ctx, k, "periodize_filter", wr(s, r), hr(s, r), nf);
}

static rdn_status build_filters(rdn_scattering *s) {
  static const char *fn = "rdn_scattering2d_create";
  rdn_ctx *ctx = s->ctx;
  int J = s->J, L = s->L;
  size_t nw = (size_t)J * L, nf = 2 * nw + 1, P = s->hp * s->wp, total = 0;
  rdn_status st = RDN_OK;
  cl_mem prm = NULL, g = NULL, G = NULL, full = NULL;
  rdn_tensor *tg = NULL, *tG = NULL;
  rdn_fft_plan *plan = NULL;
  cl_kernel k;
  /* layout: phi levels 0..J-1, psi level 0 (J L planes), psi (j, r) for 1 <= r < j */
  for (int r = 0; r < J; r++) s->phi_off[r] = total, total += pr(s, r);
  for (int j = 0; j < J; j++) s->psi_off[j][0] = total + (size_t)j * L * P;
  total += nw * P;
  for (int j = 1; j < J; j++)
    for (int r = 1; r < j; r++) s->psi_off[j][r] = total, total += (size_t)L * pr(s, r);
  cl_float *pv = malloc(nf * 4 * sizeof *pv);
  if (!pv) return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
  for (int j = 0; j < J; j++)
    for (int l = 0; l < L; l++) {
      cl_float *q = pv + 8 * ((size_t)j * L + l);
      double sigma = 0.8 * ldexp(1.0, j), xi = 0.75 * PI / ldexp(1.0, j);
      double theta = ((int)(L - L / 2.0 - 1) - l) * PI / L, slant = 4.0 / L;
      q[0] = q[4] = (cl_float)sigma;
      q[1] = q[5] = (cl_float)theta;
      q[2] = (cl_float)xi;
      q[6] = 0;
      q[3] = q[7] = (cl_float)slant;
    }
  cl_float *q = pv + 8 * nw;
  q[0] = (cl_float)(0.8 * ldexp(1.0, J - 1)), q[1] = 0, q[2] = 0, q[3] = 1;
  prm = rdn__buffer(ctx, fn, nf * 4 * sizeof(cl_float), &st);
  if (prm) {
    cl_int e = clEnqueueWriteBuffer(ctx->queue, prm, CL_TRUE, 0, nf * 4 * sizeof(cl_float), pv,
                                    0, NULL, NULL);
    if (e != CL_SUCCESS) st = rdn__cl_fail(ctx, fn, "clEnqueueWriteBuffer", e);
  }
  free(pv);
  if (st != RDN_OK) goto done;
  size_t gs = nf * hr(s, 0) * sf(s, 0) + OWN_V;     /* own engine: padded rows */
  if (!(g = rdn__buffer(ctx, fn, gs * 8, &st)) || (!s->own && !(G = rdn__buffer(ctx, fn, gs * 8,
                                                                                &st)))
      || !(full = rdn__buffer(ctx, fn, (nw + 1) * P * 4, &st)) ||
      !(s->filt = rdn__buffer(ctx, fn, (total + 2 * OWN_V) * 4, &st)))
    goto done;
  cl_uint m = (cl_uint)s->hp, n = (cl_uint)s->wp, cnf = (cl_uint)nf, cnw = (cl_uint)nw;
  cl_uint gst = (cl_uint)sf(s, 0);
  if ((st = rdn__kernel(ctx, "scattering", RDN_F32, NULL, "gabor", &k)) != RDN_OK ||
      (st = RDN_ARGS(ctx, k, "gabor", RDN_ARG(g), RDN_ARG(prm), RDN_ARG(m), RDN_ARG(n),
                     RDN_ARG(cnf), RDN_ARG(gst))) != RDN_OK ||
      (st = launch(ctx, k, "gabor", s->wp, s->hp, nf)) != RDN_OK)
    goto done;
  if (s->own) {                       /* fft2 in place: rows, then columns */
    cl_mem tw;
    cl_int hh = (cl_int)s->hp, gsi = (cl_int)gst, np = (cl_int)nf;
    if ((st = own_kernel(s, s->wp, "rows_fwd_c", &k, &tw)) != RDN_OK ||
        (st = RDN_ARGS(ctx, k, "rows_fwd_c", RDN_ARG(g), RDN_ARG(hh), RDN_ARG(gsi), RDN_ARG(np),
                       RDN_ARG(tw))) != RDN_OK ||
        (st = own_launch(ctx, k, "rows_fwd_c", 2, pad_v(s->hp) / OWN_V, nf, 1)) != RDN_OK ||
        (st = own_kernel(s, s->hp, "cols_fwd", &k, &tw)) != RDN_OK ||
        (st = RDN_ARGS(ctx, k, "cols_fwd", RDN_ARG(g), RDN_ARG(gsi), RDN_ARG(np), RDN_ARG(tw))) !=
        RDN_OK ||
        (st = own_launch(ctx, k, "cols_fwd", 2, gst / OWN_V, nf, 1)) != RDN_OK)
      goto done;
    G = g;
    clRetainMemObject(G);
  } else {
    size_t len[2] = { s->hp, s->wp };
    if ((st = rdn_fft_plan_create(ctx, &plan, RDN_FFT_C2C, 2, len, nf, RDN_FFT_BACKWARD_NORM)) !=
        RDN_OK ||
        (st = over(s, g, RDN_C64, nf, s->hp, s->wp, &tg)) != RDN_OK ||
        (st = over(s, G, RDN_C64, nf, s->hp, s->wp, &tG)) != RDN_OK ||
        (st = rdn_fft_execute(plan, 0, tg, tG)) != RDN_OK)
      goto done;
  }
  if ((st = rdn__kernel(ctx, "scattering", RDN_F32, NULL, "morlet_fourier", &k)) != RDN_OK ||
      (st = RDN_ARGS(ctx, k, "morlet_fourier", RDN_ARG(full), RDN_ARG(G), RDN_ARG(m), RDN_ARG(n),
                     RDN_ARG(gst), RDN_ARG(cnw))) != RDN_OK ||
      (st = launch(ctx, k, "morlet_fourier", s->wp, s->hp, nw + 1)) != RDN_OK)
    goto done;
  for (int r = 0; r < J && st == RDN_OK; r++) st = periodize(s, full, nw, 1, r, s->phi_off[r]);
  if (st == RDN_OK) st = periodize(s, full, 0, nw, 0, s->psi_off[0][0]);
  for (int j = 1; j < J && st == RDN_OK; j++)
    for (int r = 1; r < j && st == RDN_OK; r++)
      st = periodize(s, full, (size_t)j * L, (size_t)L, r, s->psi_off[j][r]);
  if (st == RDN_OK) st = rdn_ctx_finish(ctx);   /* the temporaries are released below */
done:
  rdn_tensor_release(tg);
  rdn_tensor_release(tG);
  rdn_fft_plan_destroy(plan);
  rel(&prm), rel(&g), rel(&G), rel(&full);
  return st;
}

rdn_status rdn_scattering2d_create(rdn_ctx *ctx, rdn_scattering **out, size_t h, size_t w,
                                   int J, int L, int order, rdn_scat_pad pad) {
  static const char *fn = "rdn_scattering2d_create";
  if (!ctx) return RDN_EINVAL;
  if (!out) return rdn__fail(ctx, RDN_EINVAL, "%s: 'out' is NULL", fn);
  *out = NULL;
  if ((unsigned)pad > RDN_SCAT_PERIODIC)
    return rdn__fail(ctx, RDN_EINVAL, "%s: bad padding: %d (reflect or periodic)", fn, (int)pad);
  if (L < 1 || L > MAX_L)
    return rdn__fail(ctx, RDN_EINVAL, "%s: L = %d orientations out of range (1 to %d)", fn, L,
                     MAX_L);
  if (order < 0 || order > 2)
    return rdn__fail(ctx, RDN_EINVAL, "%s: order = %d out of range (0, 1 or 2)", fn, order);
  if (h < 2 || w < 2 || h > 4096 || w > 4096)
    return rdn__fail(ctx, RDN_EINVAL, "%s: image size %zu x %zu out of range (2 to 4096)", fn,
                     h, w);
  if (J < 1 || J > MAX_J)
    return rdn__fail(ctx, RDN_EINVAL, "%s: J = %d out of range (1 to %d)", fn, J, MAX_J);
  size_t k = (size_t)1 << J;
  if (k > h || k > w)
    return rdn__fail(ctx, RDN_EINVAL, "%s: J = %d too large for %zu x %zu images: 2^J = %zu "
                     "exceeds the smaller side", fn, J, h, w, k);
  if (pad == RDN_SCAT_PERIODIC && (h % k || w % k))
    return rdn__fail(ctx, RDN_EINVAL, "%s: periodic padding needs sides that are multiples of "
                     "2^J = %zu, got %zu x %zu (J = %d)", fn, k, h, w, J);
  rdn_scattering *s = calloc(1, sizeof *s);
  if (!s) return rdn__fail(ctx, RDN_ENOMEM, "%s: out of host memory", fn);
  s->ctx = ctx, s->h = h, s->w = w, s->J = J, s->L = L, s->order = order, s->pad = pad;
  if (pad == RDN_SCAT_REFLECT) {
    s->hp = ((h + k) / k + 1) * k, s->wp = ((w + k) / k + 1) * k;
    s->top = (s->hp - h) / 2, s->left = (s->wp - w) / 2;
    s->crop = 1;
  } else {
    s->hp = h, s->wp = w;
  }
  s->oh = (s->hp >> J) - 2 * (size_t)s->crop, s->ow = (s->wp >> J) - 2 * (size_t)s->crop;
  s->K = 1 + (order >= 1 ? (size_t)J * L : 0) + (order == 2 ? (size_t)L * L * J * (J - 1) / 2 : 0);
  const char *eng = getenv("RDN_SCAT_FFT");      /* own | clfft (tests compare both) */
  s->own = own_ok(s) && !(eng && !strcmp(eng, "clfft"));
  rdn_status st = build_filters(s);
  if (st != RDN_OK) {
    rdn_scattering2d_destroy(s);
    return st;
  }
  *out = s;
  return RDN_OK;
}

rdn_status rdn_scattering2d_filters(rdn_scattering *s, rdn_tensor **phi, rdn_tensor **psi) {
  if (!s) return RDN_EINVAL;
  rdn_status st = RDN_OK;
  size_t sh[3] = { (size_t)s->J * s->L, s->hp, s->wp };
  if (phi) *phi = NULL;
  if (psi) *psi = NULL;
  if (phi) st = rdn__tensor_over(s->ctx, s->filt, s->phi_off[0], RDN_F32, 2, sh + 1, phi);
  if (st == RDN_OK && psi)
    st = rdn__tensor_over(s->ctx, s->filt, s->psi_off[0][0], RDN_F32, 3, sh, psi);
  return st;
}

/* ------------------------------------------------------------- transform */
enum { PL_R2C = 0, PL_C2C = 1 };

static rdn_status plan(rdn_scattering *s, int kind, int res, int mult, rdn_fft_plan **out) {
  for (int i = 0; i < s->nplans; i++)
    if (s->plans[i].kind == kind && s->plans[i].res == res && s->plans[i].mult == mult) {
      *out = s->plans[i].p;
      return RDN_OK;
    }
  if (s->nplans == MAX_PLANS)
    return rdn__fail(s->ctx, RDN_EINVAL, "rdn_scattering2d: too many FFT plans");
  size_t len[2] = { hr(s, res), wr(s, res) };
  rdn_status st = rdn_fft_plan_create(s->ctx, out, kind == PL_R2C ? RDN_FFT_R2C : RDN_FFT_C2C,
                                      2, len, s->bc * (size_t)mult, RDN_FFT_BACKWARD_NORM);
  if (st != RDN_OK) return st;
  plan_slot *p = &s->plans[s->nplans++];
  p->kind = kind, p->res = res, p->mult = mult, p->p = *out;
  return RDN_OK;
}

/* Runs plan (kind, res, mult) from buffer `in` to `out` (3-D headers over the scratch). */
static rdn_status fft(rdn_scattering *s, int kind, int res, int mult, cl_mem in, cl_mem out) {
  rdn_fft_plan *p;
  rdn_tensor *ti = NULL, *to = NULL;
  size_t nb = s->bc * (size_t)mult, wh = wr(s, res) / 2 + 1;
  rdn_status st = plan(s, kind, res, mult, &p);
  if (st != RDN_OK) return st;
  if (kind == PL_R2C) {
    if ((st = over(s, in, RDN_F32, nb, hr(s, res), wr(s, res), &ti)) == RDN_OK &&
        (st = over(s, out, RDN_C64, nb, hr(s, res), wh, &to)) == RDN_OK)
      st = rdn_fft_execute(p, 0, ti, to);
  } else if ((st = over(s, in, RDN_C64, nb, hr(s, res), wr(s, res), &ti)) == RDN_OK &&
             (st = over(s, out, RDN_C64, nb, hr(s, res), wr(s, res), &to)) == RDN_OK) {
    st = rdn_fft_execute(p, 1, ti, to);
  }
  rdn_tensor_release(ti);
  rdn_tensor_release(to);
  return st;
}

/* Per-image element counts of the scratch buffers. */
typedef struct { size_t xp, X, A, U1, U2; } sizes;

static sizes chunk_sizes(const rdn_scattering *s) {
  size_t L = (size_t)s->L, m = s->order == 2 ? L * L : s->order == 1 ? L : 1;
  sizes z = { pr(s, 0), ph(s, 0), m * pf(s, s->J), 0, 0 };
#define UP(v) if ((v) > z.A) z.A = (v)
  if (s->order >= 1) {
    for (int j = 0; j < s->J; j++) UP(L * pf(s, j));
    z.U1 = L * ph(s, 0);
  }
  if (s->order == 2 && s->J >= 2) {
    for (int j = 1; j < s->J; j++) UP(L * L * pf(s, j));
    z.U2 = L * L * ph(s, 1);
  }
#undef UP
  return z;
}

static rdn_status ensure_chunk(rdn_scattering *s, size_t bc) {
  static const char *fn = "rdn_scattering2d";
  rdn_status st = RDN_OK;
  if (s->bc == bc) return RDN_OK;
  drop_chunk(s);
  sizes z = chunk_sizes(s);
  s->bc = bc;
  if ((!s->own && !(s->xp = rdn__buffer(s->ctx, fn, bc * z.xp * 4, &st))) ||
      !(s->X = rdn__buffer(s->ctx, fn, (bc * z.X + OWN_V) * 8, &st)) ||
      !(s->A = rdn__buffer(s->ctx, fn, (bc * z.A + OWN_V) * 8, &st)) ||
      (!s->own && !(s->B = rdn__buffer(s->ctx, fn, bc * z.A * 8, &st))) ||
      (!s->own && !(s->R = rdn__buffer(s->ctx, fn, bc * z.A * 4, &st))) ||
      (z.U1 && !(s->U1 = rdn__buffer(s->ctx, fn, (bc * z.U1 + OWN_V) * 8, &st))) ||
      (z.U2 && !(s->U2 = rdn__buffer(s->ctx, fn, (bc * z.U2 + OWN_V) * 8, &st)))) {
    drop_chunk(s);
    return st;
  }
  return RDN_OK;
}

/* out c64 [nb, nf, H/k, W/k] = periodised product of the half spectra X (nb planes at
** resolution res) with nf filters at `foff`. */
static rdn_status cmul(rdn_scattering *s, cl_mem out, cl_mem X, size_t nb, size_t foff,
                       size_t nf, int res, int logk) {
  rdn_ctx *ctx = s->ctx;
  cl_kernel k;
  rdn_status st;
  if ((st = rdn__kernel(ctx, "scattering", RDN_F32, NULL, "cmul_periodize", &k)) != RDN_OK)
    return st;
  cl_ulong fo = foff;
  cl_uint h = (cl_uint)hr(s, res), w = (cl_uint)wr(s, res), kk = 1u << logk;
  cl_uint cnf = (cl_uint)nf, nfb = (cl_uint)(nf * nb);
  cl_float rwk = (cl_float)(1.0 / (double)wr(s, res + logk));
  if ((st = RDN_ARGS(ctx, k, "cmul_periodize", RDN_ARG(out), RDN_ARG(X), RDN_ARG(s->filt),
                     RDN_ARG(fo), RDN_ARG(h), RDN_ARG(w), RDN_ARG(kk), RDN_ARG(cnf),
                     RDN_ARG(nfb), RDN_ARG(rwk))) != RDN_OK)
    return st;
  size_t g[2] = { pr(s, res + logk), nfb };
  return rdn__launch(ctx, k, "cmul_periodize", 2, g, NULL);
}

static rdn_status modulus(rdn_scattering *s, size_t n) {
  cl_kernel k;
  rdn_status st;
  cl_ulong z = 0, cn = n;
  if ((st = rdn__kernel(s->ctx, "shrink", RDN_C64, NULL, "cabs", &k)) != RDN_OK ||
      (st = RDN_ARGS(s->ctx, k, "cabs", RDN_ARG(s->R), RDN_ARG(z), RDN_ARG(s->B), RDN_ARG(z),
                     RDN_ARG(cn))) != RDN_OK)
    return st;
  size_t g = (n + 7) / 8;             /* 8 complex numbers per work-item */
  return rdn__launch(s->ctx, k, "cabs", 1, &g, NULL);
}

/* Low-pass outputs in B ([bc, a1n, a2n] planes at resolution J) into out. */
static rdn_status write_out(rdn_scattering *s, rdn_tensor *out, size_t b0, size_t nvalid,
                            size_t base, size_t s1, size_t a1n, size_t a2n) {
  rdn_ctx *ctx = s->ctx;
  cl_kernel k;
  rdn_status st;
  if ((st = rdn__kernel(ctx, "scattering", RDN_F32, NULL, "write_lowpass", &k)) != RDN_OK)
    return st;
  cl_ulong oo = out->offset, cb0 = b0;
  cl_uint hp = (cl_uint)hr(s, s->J), wp = (cl_uint)wr(s, s->J), ho = (cl_uint)s->oh;
  cl_uint wo = (cl_uint)s->ow, crop = (cl_uint)s->crop, kch = (cl_uint)s->K, cbase = (cl_uint)base;
  cl_uint cs1 = (cl_uint)s1, c1 = (cl_uint)a1n, c2 = (cl_uint)a2n, nv = (cl_uint)nvalid;
  if ((st = RDN_ARGS(ctx, k, "write_lowpass", RDN_TARG(out, oo), RDN_ARG(s->B), RDN_ARG(hp),
                     RDN_ARG(wp), RDN_ARG(ho), RDN_ARG(wo), RDN_ARG(crop), RDN_ARG(cb0),
                     RDN_ARG(kch), RDN_ARG(cbase), RDN_ARG(cs1), RDN_ARG(c1), RDN_ARG(c2),
                     RDN_ARG(nv))) != RDN_OK)
    return st;
  return launch(ctx, k, "write_lowpass", s->oh * s->ow, a1n * a2n, nvalid);
}

/* The low-pass step of a path family: spectra `U` of nb = bc * mult planes at resolution
** res -> out channels base + a1 s1 + a2. */
static rdn_status lowpass(rdn_scattering *s, rdn_tensor *out, cl_mem U, int res, int mult,
                          size_t b0, size_t nvalid, size_t base, size_t s1, size_t a1n,
                          size_t a2n) {
  rdn_status st;
  if ((st = cmul(s, s->A, U, s->bc * (size_t)mult, s->phi_off[res], 1, res, s->J - res)) !=
      RDN_OK ||
      (st = fft(s, PL_C2C, s->J, mult, s->A, s->B)) != RDN_OK)
    return st;
  return write_out(s, out, b0, nvalid, base, s1, a1n, a2n);
}

static rdn_status run_chunk(rdn_scattering *s, rdn_tensor *out, const rdn_tensor *x, size_t b0,
                            size_t nvalid) {
  rdn_ctx *ctx = s->ctx;
  cl_kernel k;
  rdn_status st;
  size_t bc = s->bc, L = (size_t)s->L;
  int J = s->J;
  if ((st = rdn__kernel(ctx, "scattering", RDN_F32, NULL, "pad_reflect", &k)) != RDN_OK)
    return st;
  cl_ulong xo = x->offset, cb0 = b0;
  cl_uint h = (cl_uint)s->h, w = (cl_uint)s->w, hp = (cl_uint)s->hp, wp = (cl_uint)s->wp;
  cl_uint top = (cl_uint)s->top, left = (cl_uint)s->left, nv = (cl_uint)nvalid, nb = (cl_uint)bc;
  if ((st = RDN_ARGS(ctx, k, "pad_reflect", RDN_ARG(s->xp), RDN_TARG(x, xo), RDN_ARG(h),
                     RDN_ARG(w), RDN_ARG(hp), RDN_ARG(wp), RDN_ARG(top), RDN_ARG(left),
                     RDN_ARG(cb0), RDN_ARG(nv), RDN_ARG(nb))) != RDN_OK ||
      (st = launch(ctx, k, "pad_reflect", s->wp, s->hp, bc)) != RDN_OK ||
      (st = fft(s, PL_R2C, 0, 1, s->xp, s->X)) != RDN_OK ||
      (st = lowpass(s, out, s->X, 0, 1, b0, nvalid, 0, 0, 1, 1)) != RDN_OK)
    return st;
  size_t base2 = 1 + (size_t)J * L;
  for (int j1 = 0; j1 < J && s->order >= 1; j1++) {
    /* U1 = |x * psi_{j1, .}| at resolution j1, then its spectrum */
    if ((st = cmul(s, s->A, s->X, bc, s->psi_off[j1][0], L, 0, j1)) != RDN_OK ||
        (st = fft(s, PL_C2C, j1, s->L, s->A, s->B)) != RDN_OK ||
        (st = modulus(s, bc * L * pr(s, j1))) != RDN_OK ||
        (st = fft(s, PL_R2C, j1, s->L, s->R, s->U1)) != RDN_OK ||
        (st = lowpass(s, out, s->U1, j1, s->L, b0, nvalid, 1 + (size_t)j1 * L, 1, L, 1)) !=
        RDN_OK)
      return st;
    if (s->order < 2) continue;
    size_t kids = L * (size_t)(J - 1 - j1);      /* order-2 paths below one (j1, l1) */
    for (int j2 = j1 + 1; j2 < J; j2++) {
      int m2 = s->L * s->L;
      if ((st = cmul(s, s->A, s->U1, bc * L, s->psi_off[j2][j1], L, j1, j2 - j1)) != RDN_OK ||
          (st = fft(s, PL_C2C, j2, m2, s->A, s->B)) != RDN_OK ||
          (st = modulus(s, bc * L * L * pr(s, j2))) != RDN_OK ||
          (st = fft(s, PL_R2C, j2, m2, s->R, s->U2)) != RDN_OK ||
          (st = lowpass(s, out, s->U2, j2, m2, b0, nvalid, base2 + (size_t)(j2 - j1 - 1) * L,
                        kids, L, L)) != RDN_OK)
        return st;
    }
    base2 += L * kids;
  }
  return RDN_OK;
}

/* ------------------------------------------------------------- own FFT engine */
/* Radices of n (4s first, then 2, 3, 5, 7, 11, 13) into r; the number of stages, or -1
** when n has another prime factor or needs more than 5 stages. */
static int factor(int n, int *r) {
  static const int pr[] = { 4, 2, 3, 5, 7, 11, 13 };
  int ns = 0;
  for (int i = 0; i < 7; i++)
    while (n % pr[i] == 0 && n > 1) {
      if (ns == 5) return -1;
      r[ns++] = pr[i], n /= pr[i];
    }
  return n == 1 ? ns : -1;
}

static int own_ok(const rdn_scattering *s) {
  int r[5];
  for (int j = 0; j <= s->J; j++)
    if (hr(s, j) > MAX_LINE || wr(s, j) > MAX_LINE || factor((int)hr(s, j), r) < 0 ||
        factor((int)wr(s, j), r) < 0)
      return 0;
  return 1;
}

/* The program options and twiddle table for lines of n points (built on first use). */
static rdn_status line_of(rdn_scattering *s, size_t n, fft_line **out) {
  static const char *fn = "rdn_scattering2d";
  rdn_status st;
  cl_kernel k;
  for (int i = 0; i < s->nline; i++)
    if (s->line[i].n == (int)n) {
      *out = &s->line[i];
      return RDN_OK;
    }
  fft_line *l = &s->line[s->nline];
  int r[5], ns = factor((int)n, r), u = 0;
  u += snprintf(l->opts, sizeof l->opts, "-DFFT_N=%d -DFFT_NS=%d", (int)n, ns);
  for (int i = 0; i < ns; i++) u += snprintf(l->opts + u, sizeof l->opts - (size_t)u,
                                             " -DFFT_R%d=%d", i + 1, r[i]);
  l->n = (int)n;
  if (!(l->tw = rdn__buffer(s->ctx, fn, n * 8, &st))) return st;
  s->nline++;
  if ((st = rdn__kernel(s->ctx, "scatfft", RDN_F32, l->opts, "fft_twiddles", &k)) != RDN_OK ||
      (st = RDN_ARGS(s->ctx, k, "fft_twiddles", RDN_ARG(l->tw))) != RDN_OK ||
      (st = rdn__launch(s->ctx, k, "fft_twiddles", 1, &n, NULL)) != RDN_OK)
    return st;
  *out = l;
  return RDN_OK;
}

/* Kernel `name` for lines of n points; *tw its twiddle table. */
static rdn_status own_kernel(rdn_scattering *s, size_t n, const char *name, cl_kernel *k,
                             cl_mem *tw) {
  fft_line *l;
  rdn_status st = line_of(s, n, &l);
  if (st != RDN_OK) return st;
  *tw = l->tw;
  return rdn__kernel(s->ctx, "scatfft", RDN_F32, l->opts, name, k);
}

/* Launch with work-groups of one line-set row and enough planes for ~64 work-items. */
static rdn_status own_launch(rdn_ctx *ctx, cl_kernel k, const char *name, int dims, size_t g0,
                             size_t g1, size_t g2) {
  size_t g[3] = { g0, g1, g2 }, l[3] = { g0, 1, 1 };
  l[1] = g0 >= 64 ? 1 : 64 / g0;
  if (l[1] > g1) l[1] = g1;
  return rdn__launch(ctx, k, name, dims, g, dims == 2 ? l : NULL);
}

/* 1-D launch of n work-items (each does V lines) in work-groups of OWN_WG. */
#define OWN_WG 16
static rdn_status own_launch1(rdn_ctx *ctx, cl_kernel k, const char *name, size_t n) {
  size_t l = OWN_WG, g = (n + l - 1) / l * l;
  return rdn__launch(ctx, k, name, 1, &g, &l);
}

/* Columns of U (half spectra of nb planes at resolution res) times nf filters at foff,
** periodised by 2^logk, inverse along columns -> A [nb, nf, H', W'] (H' = hr(res + logk)). */
static rdn_status own_cols_inv(rdn_scattering *s, cl_mem U, size_t nb, int res, int logk,
                               size_t foff, size_t nf) {
  cl_kernel k;
  cl_mem tw;
  rdn_status st = own_kernel(s, hr(s, res + logk), "cols_inv_prod", &k, &tw);
  if (st != RDN_OK) return st;
  cl_ulong fo = foff;
  cl_int h0 = (cl_int)hr(s, res), w0 = (cl_int)wr(s, res), kk = 1 << logk, cnf = (cl_int)nf;
  cl_int nfb = (cl_int)(nf * nb), xs = (cl_int)sh(s, res), os = (cl_int)sf(s, res + logk);
  if ((st = RDN_ARGS(s->ctx, k, "cols_inv_prod", RDN_ARG(s->A), RDN_ARG(U), RDN_ARG(xs),
                     RDN_ARG(s->filt), RDN_ARG(fo), RDN_ARG(h0), RDN_ARG(w0), RDN_ARG(kk),
                     RDN_ARG(cnf), RDN_ARG(nfb), RDN_ARG(os), RDN_ARG(tw))) != RDN_OK)
    return st;
  return own_launch(s->ctx, k, "cols_inv_prod", 2, (size_t)os / OWN_V, nf * nb, 1);
}

/* A (nb planes at resolution res, columns inverted) -> rows inverted, |.|, rows forward ->
** half spectra in U, then columns forward in place: U = fft2(|ifft2(...)|). */
static rdn_status own_modulus(rdn_scattering *s, cl_mem U, size_t nb, int res) {
  cl_kernel k;
  cl_mem tw;
  rdn_status st = own_kernel(s, wr(s, res), "rows_inv_abs_fwd", &k, &tw);
  if (st != RDN_OK) return st;
  cl_int nr = (cl_int)(nb * hr(s, res)), np = (cl_int)nb, is = (cl_int)sf(s, res);
  cl_int os = (cl_int)sh(s, res);
  cl_float sc = (cl_float)(1.0 / (double)pr(s, res));
  if ((st = RDN_ARGS(s->ctx, k, "rows_inv_abs_fwd", RDN_ARG(U), RDN_ARG(s->A), RDN_ARG(nr),
                     RDN_ARG(is), RDN_ARG(os), RDN_ARG(sc), RDN_ARG(tw))) != RDN_OK ||
      (st = own_launch1(s->ctx, k, "rows_inv_abs_fwd", ((size_t)nr + OWN_V - 1) / OWN_V)) !=
      RDN_OK ||
      (st = own_kernel(s, hr(s, res), "cols_fwd", &k, &tw)) != RDN_OK ||
      (st = RDN_ARGS(s->ctx, k, "cols_fwd", RDN_ARG(U), RDN_ARG(os), RDN_ARG(np), RDN_ARG(tw))) !=
      RDN_OK)
    return st;
  return own_launch(s->ctx, k, "cols_fwd", 2, (size_t)os / OWN_V, nb, 1);
}

/* Low-pass path family from half spectra U (bc * mult planes at resolution res). */
static rdn_status own_lowpass(rdn_scattering *s, rdn_tensor *out, cl_mem U, int res, int mult,
                              size_t b0, size_t nvalid, size_t base, size_t s1, size_t a1n,
                              size_t a2n) {
  cl_kernel k;
  cl_mem tw;
  rdn_status st = own_cols_inv(s, U, s->bc * (size_t)mult, res, s->J - res, s->phi_off[res], 1);
  if (st != RDN_OK || (st = own_kernel(s, wr(s, s->J), "rows_inv_out", &k, &tw)) != RDN_OK)
    return st;
  cl_ulong oo = out->offset, cb0 = b0;
  cl_int hh = (cl_int)hr(s, s->J), ho = (cl_int)s->oh, wo = (cl_int)s->ow, crop = s->crop;
  cl_int kch = (cl_int)s->K, cb = (cl_int)base, cs1 = (cl_int)s1, c1 = (cl_int)a1n;
  cl_int c2 = (cl_int)a2n, nv = (cl_int)nvalid, st_ = (cl_int)sf(s, s->J);
  cl_float sc = (cl_float)(1.0 / (double)pr(s, s->J));
  if ((st = RDN_ARGS(s->ctx, k, "rows_inv_out", RDN_TARG(out, oo), RDN_ARG(s->A), RDN_ARG(hh),
                     RDN_ARG(st_), RDN_ARG(ho), RDN_ARG(wo), RDN_ARG(crop), RDN_ARG(sc),
                     RDN_ARG(cb0), RDN_ARG(kch), RDN_ARG(cb), RDN_ARG(cs1), RDN_ARG(c1),
                     RDN_ARG(c2), RDN_ARG(nv), RDN_ARG(tw))) != RDN_OK)
    return st;
  return own_launch(s->ctx, k, "rows_inv_out", 3, pad_v(s->oh) / OWN_V, a1n * a2n, nvalid);
}

static rdn_status own_chunk(rdn_scattering *s, rdn_tensor *out, const rdn_tensor *x, size_t b0,
                           size_t nvalid) {
  cl_kernel k;
  cl_mem tw;
  rdn_status st;
  size_t bc = s->bc, L = (size_t)s->L;
  int J = s->J;
  cl_ulong xo = x->offset, cb0 = b0;
  cl_int h = (cl_int)s->h, w = (cl_int)s->w, hh = (cl_int)s->hp, top = (cl_int)s->top;
  cl_int left = (cl_int)s->left, nv = (cl_int)nvalid, nb = (cl_int)bc;
  cl_int os = (cl_int)sh(s, 0);
  if ((st = own_kernel(s, s->wp, "rows_fwd_pad", &k, &tw)) != RDN_OK ||
      (st = RDN_ARGS(s->ctx, k, "rows_fwd_pad", RDN_ARG(s->X), RDN_TARG(x, xo), RDN_ARG(h),
                     RDN_ARG(w), RDN_ARG(hh), RDN_ARG(os), RDN_ARG(top), RDN_ARG(left),
                     RDN_ARG(cb0), RDN_ARG(nv), RDN_ARG(nb), RDN_ARG(tw))) != RDN_OK ||
      (st = own_launch(s->ctx, k, "rows_fwd_pad", 2, pad_v(s->hp) / OWN_V, bc, 1)) != RDN_OK ||
      (st = own_kernel(s, s->hp, "cols_fwd", &k, &tw)) != RDN_OK ||
      (st = RDN_ARGS(s->ctx, k, "cols_fwd", RDN_ARG(s->X), RDN_ARG(os), RDN_ARG(nb),
                     RDN_ARG(tw))) != RDN_OK ||
      (st = own_launch(s->ctx, k, "cols_fwd", 2, (size_t)os / OWN_V, bc, 1)) != RDN_OK ||
      (st = own_lowpass(s, out, s->X, 0, 1, b0, nvalid, 0, 0, 1, 1)) != RDN_OK)
    return st;
  size_t base2 = 1 + (size_t)J * L;
  for (int j1 = 0; j1 < J && s->order >= 1; j1++) {
    if ((st = own_cols_inv(s, s->X, bc, 0, j1, s->psi_off[j1][0], L)) != RDN_OK ||
        (st = own_modulus(s, s->U1, bc * L, j1)) != RDN_OK ||
        (st = own_lowpass(s, out, s->U1, j1, s->L, b0, nvalid, 1 + (size_t)j1 * L, 1, L, 1)) !=
        RDN_OK)
      return st;
    if (s->order < 2) continue;
    size_t kids = L * (size_t)(J - 1 - j1);
    for (int j2 = j1 + 1; j2 < J; j2++)
      if ((st = own_cols_inv(s, s->U1, bc * L, j1, j2 - j1, s->psi_off[j2][j1], L)) != RDN_OK ||
          (st = own_modulus(s, s->U2, bc * L * L, j2)) != RDN_OK ||
          (st = own_lowpass(s, out, s->U2, j2, s->L * s->L, b0, nvalid,
                            base2 + (size_t)(j2 - j1 - 1) * L, kids, L, L)) != RDN_OK)
        return st;
    base2 += L * kids;
  }
  return RDN_OK;
}

rdn_status rdn_scattering2d(rdn_scattering *s, rdn_tensor *out, const rdn_tensor *x) {
  static const char *fn = "rdn_scattering2d";
  char a[96], b[96];
  rdn_status st;
  if (!s) return RDN_EINVAL;
  rdn_ctx *ctx = s->ctx;
  if ((st = rdn__tensor_arg(ctx, fn, "x", x)) != RDN_OK ||
      (st = rdn__tensor_arg(ctx, fn, "out", out)) != RDN_OK)
    return st;
  if (x->dtype != RDN_F32 || out->dtype != RDN_F32)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'x' is %s and 'out' %s, want f32", fn,
                     rdn_dtype_name(x->dtype), rdn_dtype_name(out->dtype));
  int nd = x->ndim;
  if (nd < 2 || x->shape[nd - 2] != s->h || x->shape[nd - 1] != s->w)
    return rdn__fail(ctx, RDN_EINVAL, "%s: 'x' is %s, want [m, %zu, %zu] or [m, C, %zu, %zu]",
                     fn, rdn_tensor_shape_str(x, a, sizeof a), s->h, s->w, s->h, s->w);
  size_t m = nd >= 3 ? x->shape[0] : 1, c = nd == 4 ? x->shape[1] : 1, nimg = m * c;
  if (nd > 4) m = 0;
  size_t want[4] = { m, c * s->K, s->oh, s->ow };
  if (out->ndim != 4 || memcmp(out->shape, want, sizeof want))
    return rdn__fail(ctx, RDN_EINVAL, "%s: shape mismatch: 'x' is %s, 'out' is %s, want "
                     "[%zu x %zu x %zu x %zu]", fn, rdn_tensor_shape_str(x, a, sizeof a),
                     rdn_tensor_shape_str(out, b, sizeof b), want[0], want[1], want[2], want[3]);
  if (out->buf == x->buf) {
    size_t x0 = x->offset, x1 = x0 + rdn_tensor_numel(x), o0 = out->offset;
    if (o0 < x1 && x0 < o0 + rdn_tensor_numel(out))
      return rdn__fail(ctx, RDN_EINVAL, "%s: 'out' overlaps 'x'", fn);
  }
  if ((st = rdn__check_finite(ctx, fn, x, "x")) != RDN_OK) return st;
  sizes z = chunk_sizes(s);
  size_t per = s->own ? 8 * z.X + 8 * z.A + 8 * z.U1 + 8 * z.U2
                      : 4 * z.xp + 8 * z.X + 20 * z.A + 8 * z.U1 + 8 * z.U2;
  size_t bc = (s->own ? OWN_CHUNK_BYTES : CHUNK_BYTES) / per;
  if (ctx->info.max_alloc && bc * z.A * 8 > ctx->info.max_alloc)
    bc = ctx->info.max_alloc / (z.A * 8);
  const char *env = getenv("RDN_SCAT_CHUNK");     /* tests: force small chunks */
  if (env && atol(env) > 0) bc = (size_t)atol(env);
  if (bc < 1) bc = 1;
  if (bc > nimg) bc = nimg;
  if ((st = ensure_chunk(s, bc)) != RDN_OK) return st;
  for (size_t b0 = 0; b0 < nimg; b0 += s->bc) {
    size_t nv = nimg - b0 < s->bc ? nimg - b0 : s->bc;
    if ((st = (s->own ? own_chunk : run_chunk)(s, out, x, b0, nv)) != RDN_OK) return st;
  }
  return RDN_OK;
}
