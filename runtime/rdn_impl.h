/*
** rdn_impl.h -- private structures and cross-file helpers of librdn (rdn__ prefix).
** Never installed.  Op files use rdn__kernel() + rdn__args() + rdn__launch(); errors
** are reported with rdn__fail(), which formats the context message and returns the code.
*/
#ifndef RDN_IMPL_H
#define RDN_IMPL_H

#include "rdn.h"
#include <stdarg.h>

#define RDN_ERRLEN 1024

typedef struct rdn_prog_entry rdn_prog_entry;   /* program.c */
typedef struct rdn_prof_entry rdn_prof_entry;   /* launch.c */
typedef struct rdn_gemm_state rdn_gemm_state;   /* gemm.c */
typedef struct rdn_fft_state rdn_fft_state;     /* fft.c */
typedef struct rdn_reduce_state rdn_reduce_state; /* reduce.c */
typedef struct rdn_linalg_state rdn_linalg_state; /* gram.c */

struct rdn_ctx {
  cl_platform_id platform;
  cl_device_id device;
  cl_context context;
  cl_command_queue queue;
  rdn_device_info info;
  char err[RDN_ERRLEN];
  rdn_log_fn log_fn;
  void *log_user;
  rdn_prog_entry *progs;       /* in-memory program cache (linked list) */
  char *cache_dir;             /* NULL: disk cache off */
  char *kernel_dir;            /* RDN_KERNEL_DIR or NULL */
  int profile;                 /* RDN_PROFILE=1 */
  rdn_prof_entry *prof;
  rdn_ctx_stats stats;
  rdn_gemm_state *gemm;
  rdn_fft_state *fft;
  rdn_reduce_state *reduce;    /* reduce.c scratch (see the block at the end) */
  rdn_linalg_state *linalg;    /* gram.c scratch (linear algebra block) */
  int ok;                      /* 1 once the device is usable */
};

struct rdn_tensor {
  rdn_ctx *ctx;
  cl_mem buf;
  rdn_tensor *base;            /* views: the owner of buf (retained), else NULL */
  size_t offset;               /* in elements */
  size_t shape[RDN_MAX_DIMS];
  int ndim;
  rdn_dtype dtype;
  int refs;
};

/* error.c */
rdn_status rdn__fail(rdn_ctx *ctx, rdn_status s, const char *fmt, ...)
#if defined(__GNUC__)
  __attribute__((format(printf, 3, 4)))
#endif
  ;
const char *rdn__cl_errname(cl_int e);
/* Maps a CL error from `what` (e.g. "clEnqueueNDRangeKernel") to a status + message;
** allocation failures become RDN_EDEVMEM. */
rdn_status rdn__cl_fail(rdn_ctx *ctx, const char *fn, const char *what, cl_int e);
void rdn__log(rdn_ctx *ctx, rdn_log_level lv, const char *fmt, ...)
#if defined(__GNUC__)
  __attribute__((format(printf, 3, 4)))
#endif
  ;

/* device.c */
void rdn__device_describe(cl_platform_id p, cl_device_id d, int pi, int di,
                          rdn_device_info *o);
rdn_status rdn__device_select(const char *spec, cl_platform_id *op, cl_device_id *od,
                              rdn_device_info *info, char *msg, size_t msglen);

/* program.c: kernel `name` of program `prog` ("gemm" -> kernels/gemm.cl) built with
** `opts` (the dtype define is added from dt).  The kernel object is cached with the
** program; do not release it.  Not thread-safe (one ctx per thread). */
rdn_status rdn__kernel(rdn_ctx *ctx, const char *prog, rdn_dtype dt, const char *opts,
                       const char *name, cl_kernel *out);
void rdn__programs_free(rdn_ctx *ctx);
/* embedded kernels/NAME.cl (build/gen/kernels.c, made by tools/embed.c) */
size_t rdn__kernels_count(void);
const char *rdn__kernels_get(size_t i, const char **name, size_t *len);

/* bincache.c */
char *rdn__cache_dir_default(void);      /* malloc'd or NULL when disabled */
rdn_status rdn__cache_load(rdn_ctx *ctx, const char *key, unsigned char **bin, size_t *len);
void rdn__cache_store(rdn_ctx *ctx, const char *key, const unsigned char *bin, size_t len);
uint64_t rdn__hash64(const void *data, size_t len, uint64_t seed);

/* launch.c */
typedef struct { size_t size; const void *ptr; } rdn__karg;
/* Sets args 0..n-1. */
rdn_status rdn__args(rdn_ctx *ctx, cl_kernel k, const char *name, int n, const rdn__karg *a);
#define RDN_ARG(v) ((rdn__karg){ sizeof(v), &(v) })
#define RDN_ARGS(ctx, k, name, ...) \
  rdn__args(ctx, k, name, (int)(sizeof((rdn__karg[]){ __VA_ARGS__ }) / sizeof(rdn__karg)), \
            (rdn__karg[]){ __VA_ARGS__ })
/* Enqueues; lws may be NULL.  Global sizes are rounded up to a multiple of lws. */
rdn_status rdn__launch(rdn_ctx *ctx, cl_kernel k, const char *name, int dims,
                       const size_t *gws, const size_t *lws);
void rdn__profile_report(rdn_ctx *ctx);
/* Providers (CLBlast, clFFT) hand their events here; takes ownership of ev.  Pass
** &ev to the library only when rdn__profile_want(ctx) is true, else NULL. */
void rdn__profile_event(rdn_ctx *ctx, const char *name, cl_event ev);
int rdn__profile_want(const rdn_ctx *ctx);
size_t rdn__round_up(size_t x, size_t m);

/* tensor.c helpers for ops */
int rdn__is_real(rdn_dtype dt);                    /* f32 / f64 */
int rdn__is_float(rdn_dtype dt);                   /* f32 / f64 / c64 */
/* Checks the device supports dt (f64 needs cl_khr_fp64). */
rdn_status rdn__check_dtype(rdn_ctx *ctx, const char *fn, const char *arg, rdn_dtype dt);
/* Kernels take a tensor as two args: `__global T *x, ulong xoff` (offset in elements);
** RDN_TARG(t, off) expands to both, with `cl_ulong off = t->offset` declared by the caller. */
#define RDN_TARG(t, off) RDN_ARG((t)->buf), RDN_ARG(off)
/* rows = product of all but the last axis; cols = last axis (for [rows, rest] views use
** rdn__rows_cols_flat: rows = dim 0, cols = numel / dim 0). */
size_t rdn__rows(const rdn_tensor *t);
size_t rdn__flat_cols(const rdn_tensor *t);

/* gemm.c / fft.c state release (called by rdn_ctx_destroy) */
void rdn__gemm_free(rdn_ctx *ctx);
void rdn__fft_free(rdn_ctx *ctx);

/* ---- elementwise.c / reduce.c / random.c (streaming ops and reductions) ----------- */
/* Per-ctx scratch of the reductions (reduce.c): one cl_mem holding a uint flag at
** word 0, the final acc result and the partial sums; grown on demand. */
void rdn__reduce_free(rdn_ctx *ctx);             /* called by rdn_ctx_destroy */
/* The scratch buffer with at least `nacc` acc slots of partials; *buf is not retained. */
rdn_status rdn__scratch(rdn_ctx *ctx, const char *fn, size_t nacc, cl_mem *buf);
/* Device-side "first bad position" flag (scratch word 0): reset to UINT32_MAX, then
** kernels atomic_min into it; read back blocks and returns the word. */
rdn_status rdn__flag_reset(rdn_ctx *ctx, const char *fn, cl_mem *buf);
rdn_status rdn__flag_read(rdn_ctx *ctx, const char *fn, cl_uint *v);
/* 1: CPU form of reductions and scans (few work-items on contiguous chunks), 0: GPU
** form (work-group trees); by device type, RDN_REDUCE=chunk|tree overrides. */
int rdn__reduce_chunked(const rdn_ctx *ctx);
/* Number of chunk-form work-items for `ns` scalars (a few per compute unit). */
size_t rdn__chunk_split(const rdn_ctx *ctx, size_t ns);
/* Validates a tensor argument: not NULL, of this ctx, a dtype the device supports. */
rdn_status rdn__tensor_arg(rdn_ctx *ctx, const char *fn, const char *arg, const rdn_tensor *t);
/* rdn__tensor_arg plus: dtype is f32, f64 or c64 (else RDN_EINVAL naming it). */
rdn_status rdn__float_arg(rdn_ctx *ctx, const char *fn, const char *arg, const rdn_tensor *t);
/* rdn_check_finite with the caller's name in the message ("<fn>: 'Z' has NaN at ..."). */
rdn_status rdn__check_finite(rdn_ctx *ctx, const char *fn, const rdn_tensor *x,
                             const char *argname);
/* ---- end elementwise / reduce / random -------------------------------------------- */

/* ---- linear algebra (gram.c, cholesky.c, chol_blocked.c, rate.c) ---------------- */
/* A Gram source: G_{q} = Z_q^H Z_q where element (b, r, c) of Z is at
** z->buf[z->offset + b*sb + R*sr + C*sc], r < nr summed over, c < nc the Gram index;
** R = perm[poff + r] when pax == 0, C = perm[poff + c] when pax == 1 (pax -1: none);
** conj: use conj(Z).  Segments: rows [seg[segoff+s], seg[segoff+s+1]) (seg NULL: one). */
typedef struct {
  const rdn_tensor *z;
  size_t nb, nr, nc;
  long sb, sr, sc;
  cl_mem perm;
  size_t poff;
  int pax, conj;
  cl_mem seg;
  size_t segoff, nseg;
} rdn__gram_src;
/* A new device buffer, or NULL with the failure in *st (RDN_EDEVMEM / RDN_ECL). */
cl_mem rdn__buffer(rdn_ctx *ctx, const char *fn, size_t bytes, rdn_status *st);
/* Per-ctx scratch buffers kept between calls (a fresh buffer costs page faults on first
** touch: ~5 ms per 16 MiB on PoCL).  Slot use: 0-2 Gram panels and sums, 3-4 batched
** Cholesky, 5 blocked Cholesky, 6 coding-rate matrices.  Not retained: do not release. */
#define RDN_LINALG_SLOTS 10
/* Slots 8-9: the spectral layer (spectral.c): applied operators, widened operators. */
#define RDN_LINALG_SPEC_P 8
#define RDN_LINALG_SPEC_W 9
rdn_status rdn__linalg_scratch(rdn_ctx *ctx, const char *fn, int slot, size_t bytes,
                               cl_mem *out);
void rdn__linalg_free(rdn_ctx *ctx);           /* called by rdn_ctx_destroy */
/* A tensor header over a scratch buffer (retained; released with the tensor). */
rdn_status rdn__tensor_over(rdn_ctx *ctx, cl_mem buf, size_t off, rdn_dtype dt, int ndim,
                            const size_t *shape, rdn_tensor **out);
/* Packs and accumulates: *gs (scratch slot 2) holds nseg*nb upper triangles with row
** stride *dp.  NaN/Inf in the source records its smallest flat index in bad (uint,
** may be NULL; not read here). */
rdn_status rdn__gram_raw(rdn_ctx *ctx, const char *fn, const rdn__gram_src *src, cl_mem bad,
                         cl_mem *gs, size_t *dp);
/* out (elements from ooff) [nmat, d, d] = alpha * scale[q / sdiv] * G_q + diag * I. */
rdn_status rdn__gram_finish(rdn_ctx *ctx, const char *fn, rdn_dtype dt, cl_mem out,
                            size_t ooff, cl_mem gs, size_t d, size_t dp, size_t nmat,
                            const double *scale, size_t nscale, size_t sdiv, double alpha,
                            double diag);
/* out [nb, d, d] = alpha * sum over s of G_{s*nb+b} + diag * I. */
rdn_status rdn__gram_sum(rdn_ctx *ctx, const char *fn, rdn_dtype dt, cl_mem out, size_t ooff,
                         cl_mem gs, size_t goff, size_t d, size_t dp, size_t nb, size_t nseg,
                         double alpha, double diag);
/* Validates labels (i32, numel m) on the device and sorts the samples by class:
** counts[k] on the host; *meta (int: [1+k+j] = first position of class j, k+1 values)
** and *perm (int [m]: position -> sample) on the device when asked (caller releases).
** A label outside [0, k) is RDN_EVALUE naming the label and its sample. */
rdn_status rdn__labels(rdn_ctx *ctx, const char *fn, const rdn_tensor *y, size_t m, int k,
                       size_t *counts, cl_mem *meta, cl_mem *perm);
/* *k <= 0: sets *k = max label + 1 (a device reduction over the labels). */
rdn_status rdn__labels_k(rdn_ctx *ctx, const char *fn, const rdn_tensor *y, size_t m, int *k);
/* Cholesky (and with inverse, A^-1) of nmat matrices [n, n], n <= 128 (SMALL_N), at
** elements off.. of buf, in place (cholesky.c). */
rdn_status rdn__chol_batch(rdn_ctx *ctx, const char *fn, rdn_dtype dt, cl_mem buf, size_t off,
                           size_t nmat, size_t n, int inverse);
/* Failure record of the factorisations (scratch slot 4): word 0 is reset to UINT_MAX;
** check reads it and reports RDN_ENUMERIC naming matrix base + index and the pivot. */
rdn_status rdn__chol_info_reset(rdn_ctx *ctx, const char *fn, size_t nmat, cl_mem *info);
rdn_status rdn__chol_info_check(rdn_ctx *ctx, const char *fn, cl_mem info, size_t nmat,
                                size_t n, size_t base);
/* Small triangular solves in place (n <= 64 each; chol_solve_small in cholesky.cl):
** mode 1 L x = b, 2 L^H x = b, 3 both; strides in elements. */
rdn_status rdn__solve_small(rdn_ctx *ctx, const char *fn, rdn_dtype dt, cl_mem b, size_t boff,
                            size_t sb, size_t ldb, cl_mem l, size_t loff, size_t sl, size_t ldl,
                            size_t n, size_t r, size_t nmat, int mode);
/* Blocked (rdn_gemm-based) Cholesky, inverse from the factor, and triangular solves of
** one large matrix [n, n] at element off of a / l (chol_blocked.c); widx names the
** matrix in messages; b [n, nrhs] at boff; mode as rdn__solve_small (1 or 2). */
rdn_status rdn__chol_large(rdn_ctx *ctx, const char *fn, rdn_tensor *a, size_t off, size_t n,
                           size_t widx);
rdn_status rdn__inverse_large(rdn_ctx *ctx, const char *fn, rdn_tensor *a, size_t off, size_t n);
rdn_status rdn__trsm_large(rdn_ctx *ctx, const char *fn, rdn_tensor *b, size_t boff,
                           size_t nrhs, const rdn_tensor *l, size_t loff, size_t n, int mode);
/* per-matrix 2 sum log L_ii in double, nmat values read back to out */
rdn_status rdn__chol_logdet(rdn_ctx *ctx, const char *fn, rdn_dtype dt, cl_mem buf, size_t off,
                            size_t nmat, size_t n, double *out);
/* ---- end of linear algebra block ------------------------------------------------ */

/* ---- fft.c: profiling of multi-kernel providers ----------------------------------- */
/* Like rdn__profile_event for a provider that enqueues several commands but returns one
** event (clFFT 2-D): device time from the START of `first` (a marker enqueued just before,
** on the in-order queue) to the END of `last`.  Takes ownership of both events. */
void rdn__profile_span(rdn_ctx *ctx, const char *name, cl_event first, cl_event last);
/* ---- end fft.c ------------------------------------------------------------------- */

/* ---- frames and sparse coding (issue 7: frames.c, dfp.c, sparse.c) ---------------- */
/* dtype of `acc` in the kernels: f64 where the device has it, else f32. */
rdn_dtype rdn__acc_dtype(const rdn_ctx *ctx);
/* A frame argument: f32/f64 2-D [d, k] (atoms as columns). */
rdn_status rdn__frame_arg(rdn_ctx *ctx, const char *fn, const char *arg, const rdn_tensor *b);
/* RDN_EVALUE "<fn>: frame '<arg>' [d x k] has a zero column: atom N" if b has one. */
rdn_status rdn__frame_zero_col(rdn_ctx *ctx, const char *fn, const char *arg,
                               const rdn_tensor *b);
/* ---- end frames and sparse coding ------------------------------------------------ */

/* ---- ReduNet layer parameters (redunet.c, used by spectral.c) -------------------- */
/* RDN_EINVAL "<fn>: ..." unless gamma (k values) is non-NULL with values in [0, 1], eta is
** positive and finite and lambda is >= 0 and finite. */
rdn_status rdn__layer_params(rdn_ctx *ctx, const char *fn, int k, const double *gamma,
                             double eta, double lambda);
/* ---- end ReduNet layer parameters ------------------------------------------------ */

/* ---- interpolation (interp_layer.c, shared with interp.c) ------------------------- */
/* Solve dtype: f64 where the device has it (unless forced), else f32. */
rdn_dtype rdn__interp_solve_dt(const rdn_ctx *ctx, int force32);
/* Kernel `name` of interp.cl for data dtype dt and solve dtype sdt. */
rdn_status rdn__interp_kern(rdn_ctx *ctx, rdn_dtype dt, rdn_dtype sdt, const char *name,
                            cl_kernel *k);
/* A real (f32/f64) 2-D tensor argument. */
rdn_status rdn__interp_need_real2(rdn_ctx *ctx, const char *fn, const char *arg,
                                  const rdn_tensor *t);
/* A new [a, b] (b = 0: [a]) work tensor; a failure names `fn`. */
rdn_status rdn__interp_tnew(rdn_ctx *ctx, const char *fn, rdn_tensor **t, rdn_dtype dt,
                            size_t a, size_t b);
/* Reads n values of a real or i32 tensor from element `off` as doubles (a few scalars). */
rdn_status rdn__interp_read_vals(rdn_ctx *ctx, const char *fn, const rdn_tensor *t, size_t off,
                                 size_t n, double *out);
/* A kernel argument of the solve dtype, stored in *v. */
typedef union { cl_float f; cl_double d; } rdn__interp_sval;
rdn__karg rdn__interp_sarg(rdn_dtype sdt, rdn__interp_sval *v, double x);
/* Launch with a fixed local size (PoCL compiles one work-group function per local size). */
rdn_status rdn__interp_go(rdn_ctx *ctx, cl_kernel k, const char *name, int dims, size_t g0,
                          size_t g1);
/* ---- end interpolation ------------------------------------------------------------ */

/* ---- strided-batch GEMM on raw buffers (gemm.c, used by spectral.c) -------------- */
/* C[b] (m x n) = alpha op(A[b]) op(B[b]) + beta C[b], b < batch, element offsets and
** strides (0 broadcasts A or B); ta/tb 0 none, 1 T, 2 H.  The caller validates (no alias
** or bounds checks here).  With beta == 0 under CLBlast the whole span of C is cleared. */
typedef struct {
  rdn_dtype dt;
  int ta, tb;
  size_t m, n, k, batch;
  cl_mem a, b, c;
  size_t aoff, boff, coff, lda, ldb, ldc, sa, sb, sc;
} rdn__gemm_raw;
rdn_status rdn__gemm_strided(rdn_ctx *ctx, const rdn__gemm_raw *r, double alpha, double beta);
/* ---- end strided-batch GEMM ------------------------------------------------------ */

#endif
