/*
** rdn.h -- the one public header of librdn, a C11 runtime of OpenCL kernels for
** white-box (forward-constructed) deep networks: tensors, kernel programs with an
** on-disk binary cache, GEMM/FFT providers and the numerical primitives.
**
** Ownership, in one paragraph.  Every object is created by a `*_create`/`*_new` call
** and released by the matching `*_destroy`/`*_release`, all of which accept NULL.
** A tensor holds a reference to its context; the context must outlive the tensors
** only in the sense that rdn_ctx_destroy() must be the last call: destroy (release)
** tensors and plans first.  Tensors are reference counted: rdn_tensor_retain() adds
** a reference, rdn_tensor_release() drops one, views share the parent's buffer and
** keep it alive.  Pointers returned by accessors (names, messages) stay valid until
** the next call on the same context.  Ops never take ownership of their arguments.
** The library never prints, exits or aborts: every fallible call returns an
** rdn_status and leaves a one-line message in rdn_ctx_error(ctx).
*/
#ifndef RDN_H
#define RDN_H

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RDN_VERSION_MAJOR 0
#define RDN_VERSION_MINOR 1
#define RDN_VERSION_PATCH 0
#define RDN_VERSION_STRING "0.1.0"

#if defined(__GNUC__)
#define RDN_API __attribute__((visibility("default")))
#else
#define RDN_API
#endif

/* ------------------------------------------------------------------ status */
typedef enum {
  RDN_OK = 0,          /* success */
  RDN_EINVAL = 1,      /* bad argument: shape, dtype, size or parameter value */
  RDN_EVALUE = 2,      /* bad data: NaN/Inf, label out of range, empty class */
  RDN_ENOMEM = 3,      /* host memory exhausted */
  RDN_EDEVMEM = 4,     /* device memory exhausted (or allocation too large) */
  RDN_ENODEV = 5,      /* no OpenCL platform/device, or RDN_DEVICE matches none */
  RDN_EBUILD = 6,      /* OpenCL program failed to build */
  RDN_ECL = 7,         /* any other OpenCL error */
  RDN_EIO = 8,         /* file cannot be opened, read or written */
  RDN_EFORMAT = 9,     /* file is corrupt, truncated or of the wrong kind */
  RDN_ENUMERIC = 10,   /* numerical failure: non-positive pivot, singular system */
  RDN_EUNSUPPORTED = 11/* feature not available on this device or build */
} rdn_status;

RDN_API const char *rdn_status_string(rdn_status s);   /* "RDN_EINVAL" ... */
RDN_API const char *rdn_version(void);                   /* RDN_VERSION_STRING */

/* ----------------------------------------------------------------- logging */
typedef enum { RDN_LOG_DEBUG, RDN_LOG_INFO, RDN_LOG_WARN, RDN_LOG_ERROR } rdn_log_level;
typedef void (*rdn_log_fn)(rdn_log_level level, const char *msg, void *user);

/* ------------------------------------------------------------------ device */
typedef struct rdn_ctx rdn_ctx;

typedef struct {
  int platform, device;       /* indices as used by RDN_DEVICE=P:D */
  char name[128], vendor[128], platform_name[128], driver[64], version[64];
  int is_gpu, is_cpu, has_fp64;
  int compute_units;
  size_t global_mem, max_alloc, max_work_group;
} rdn_device_info;

/* Lists every OpenCL device: fills up to `max` entries, stores the total in *n.
** Returns RDN_ENODEV (with *n = 0) when no platform is installed; msg gets the reason. */
RDN_API rdn_status rdn_devices(rdn_device_info *out, int max, int *n, char *msg, size_t msglen);

/* Creates a context on the device named by `spec` ("cpu", "gpu", "P:D", or a name
** substring; NULL or "" reads RDN_DEVICE, default: first GPU, else first CPU).
** Like sqlite3_open, *out is set even on failure so rdn_ctx_error() can explain;
** it must be destroyed either way (NULL only when memory ran out). */
RDN_API rdn_status rdn_ctx_create(rdn_ctx **out, const char *spec);
/* Adopts a host's OpenCL objects (retained, released on destroy). queue may be NULL. */
RDN_API rdn_status rdn_ctx_wrap(rdn_ctx **out, cl_context c, cl_device_id d,
                                cl_command_queue q);
RDN_API void rdn_ctx_destroy(rdn_ctx *ctx);
RDN_API const char *rdn_ctx_error(const rdn_ctx *ctx);
RDN_API const rdn_device_info *rdn_ctx_device(const rdn_ctx *ctx);
RDN_API rdn_status rdn_ctx_finish(rdn_ctx *ctx);          /* clFinish on the queue */
RDN_API void rdn_ctx_set_log(rdn_ctx *ctx, rdn_log_fn fn, void *user);
RDN_API cl_context rdn_ctx_cl_context(const rdn_ctx *ctx);
RDN_API cl_command_queue rdn_ctx_cl_queue(const rdn_ctx *ctx);

typedef struct {
  long builds_source;     /* programs compiled from source in this ctx */
  long builds_binary;     /* programs loaded from the on-disk binary cache */
  long mem_hits;          /* program lookups served by the in-memory cache */
  long launches;          /* kernels enqueued */
} rdn_ctx_stats;
RDN_API void rdn_ctx_get_stats(const rdn_ctx *ctx, rdn_ctx_stats *st);
/* Total device time (ms) of the kernels enqueued so far, from OpenCL events; waits for
** them.  Only with profiling on (RDN_PROFILE=1 before rdn_ctx_create), else
** RDN_EUNSUPPORTED.  Benchmarks difference two readings. */
RDN_API rdn_status rdn_ctx_device_time(rdn_ctx *ctx, double *ms);
/* Directory of the binary cache, or NULL when disabled (RDN_CACHE_DIR=off). */
RDN_API const char *rdn_ctx_cache_dir(const rdn_ctx *ctx);

/* ------------------------------------------------------------------ tensor */
typedef enum { RDN_F32 = 0, RDN_F64 = 1, RDN_C64 = 2, RDN_I32 = 3 } rdn_dtype;
#define RDN_MAX_DIMS 4

typedef struct rdn_tensor rdn_tensor;

RDN_API size_t rdn_dtype_size(rdn_dtype dt);              /* 4, 8, 8, 4 */
RDN_API const char *rdn_dtype_name(rdn_dtype dt);         /* "f32" ... */
RDN_API int rdn_dtype_parse(const char *s, rdn_dtype *dt);/* 1 on success */

/* New uninitialised tensor; ndim in 1..4, every extent >= 1 (0-sized tensors are
** refused: RDN_EINVAL).  RDN_EDEVMEM when the device cannot hold it. */
RDN_API rdn_status rdn_tensor_new(rdn_ctx *ctx, rdn_tensor **out, rdn_dtype dt,
                                  int ndim, const size_t *shape);
RDN_API rdn_tensor *rdn_tensor_retain(rdn_tensor *t);
RDN_API void rdn_tensor_release(rdn_tensor *t);
/* A view with another shape over the same elements (same numel), or over rows
** [row0, row0+nrows) of the first axis. Views share storage and are contiguous. */
RDN_API rdn_status rdn_tensor_reshape(rdn_tensor **out, rdn_tensor *t, int ndim,
                                      const size_t *shape);
RDN_API rdn_status rdn_tensor_rows(rdn_tensor **out, rdn_tensor *t, size_t row0,
                                   size_t nrows);
/* Host <-> device, whole tensor; `bytes` must equal numel * dtype size. Blocking. */
RDN_API rdn_status rdn_tensor_write(rdn_tensor *t, const void *host, size_t bytes);
RDN_API rdn_status rdn_tensor_read(const rdn_tensor *t, void *host, size_t bytes);
RDN_API rdn_status rdn_tensor_copy(rdn_tensor *dst, const rdn_tensor *src);
/* Every element = v (complex: v + 0i; i32: (int)v). */
RDN_API rdn_status rdn_tensor_fill(rdn_tensor *t, double v);

RDN_API rdn_ctx *rdn_tensor_ctx(const rdn_tensor *t);
RDN_API rdn_dtype rdn_tensor_dtype(const rdn_tensor *t);
RDN_API int rdn_tensor_ndim(const rdn_tensor *t);
RDN_API size_t rdn_tensor_dim(const rdn_tensor *t, int i);   /* negative i from end */
RDN_API size_t rdn_tensor_numel(const rdn_tensor *t);
RDN_API cl_mem rdn_tensor_buffer(const rdn_tensor *t);
RDN_API size_t rdn_tensor_offset(const rdn_tensor *t);       /* in elements */
/* "[64 x 128]" into buf; returns buf. */
RDN_API const char *rdn_tensor_shape_str(const rdn_tensor *t, char *buf, size_t len);

/* --------------------------------------------------------------- elementwise */
/* All in-place ops act on the whole tensor (f32/f64/c64; real scalars, which must be
** finite); x and y must have equal numel and dtype, and may be the same tensor but must
** not partially overlap.  b = 0 does not read y (BLAS), so a NaN in y does not spread. */
RDN_API rdn_status rdn_scale(rdn_ctx *ctx, rdn_tensor *x, double alpha);        /* x *= a */
RDN_API rdn_status rdn_axpby(rdn_ctx *ctx, rdn_tensor *y, double a, const rdn_tensor *x,
                             double b);                                         /* y = a x + b y */
/* Fills with samples of N(0,1) from a counter-based generator (Philox-4x32-10 keyed by
** the seed, counted by element, + Box-Muller; see kernels/random.cl): a value depends
** only on (seed, element index), so every device gives the same numbers up to the
** rounding of log/cos/sin.  f32/f64/c64; c64 is the standard complex normal: real and
** imaginary parts independent N(0, 1/2), so E|z|^2 = 1. */
RDN_API rdn_status rdn_randn(rdn_ctx *ctx, rdn_tensor *x, uint64_t seed);
/* RDN_EVALUE naming `argname`, the flat index and the value if x holds NaN/Inf (c64:
** in either part), the first one in memory order, e.g. "rdn_check_finite: 'Z' has NaN at
** index 37 (row 5, col 2)".  One kernel and a 4-byte read when x is clean. */
RDN_API rdn_status rdn_check_finite(rdn_ctx *ctx, const rdn_tensor *x, const char *argname);

/* ------------------------------------------------------------------ reduce */
/* Whole-tensor sums accumulated in double on the device (chunked, CPU-friendly).
** For c64, sum returns the real part's sum and sumsq the sum of |z|^2.  f32/f64/c64.
** RDN_REDUCE=chunk|tree forces the CPU form (few work-items on contiguous chunks) or
** the GPU form (work-group trees) of every reduction; default by device type. */
RDN_API rdn_status rdn_sum(rdn_ctx *ctx, const rdn_tensor *x, double *out);
RDN_API rdn_status rdn_sumsq(rdn_ctx *ctx, const rdn_tensor *x, double *out);
/* Row-wise over a tensor viewed as [rows, rest]: out[r] = ||x[r,:]||, accumulated in
** double; out has `rows` elements of x's real dtype (f32 for c64). */
RDN_API rdn_status rdn_row_norms(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x);
/* x[r,:] /= max(||x[r,:]||, clamp)  (SPEC §0.1 uses clamp = 1e-8). */
RDN_API rdn_status rdn_normalize_rows(rdn_ctx *ctx, rdn_tensor *x, double clamp);
/* out (i32, `rows` elements) = argmax over the row (first maximum wins; a NaN counts as
** the maximum, so a row with NaN gives its first NaN, as numpy.argmax).  f32/f64. */
RDN_API rdn_status rdn_argmax_rows(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x);
/* out[i,:] = x[idx[i],:]; idx is i32 with n elements, out is [n, rest of x], any dtype.
** An index out of range is RDN_EINVAL naming the first bad position and its value (rows
** with valid indices are written all the same); out must not overlap x. */
RDN_API rdn_status rdn_gather_rows(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x,
                                   const rdn_tensor *idx);

/* -------------------------------------------------------------------- GEMM */
typedef enum { RDN_NOTRANS = 0, RDN_TRANS = 1, RDN_CONJTRANS = 2 } rdn_trans;
typedef enum { RDN_GEMM_AUTO = 0, RDN_GEMM_OWN = 1, RDN_GEMM_CLBLAST = 2 } rdn_gemm_provider;

/* C = alpha op(A) op(B) + beta C.  2-D tensors, or 3-D [batch, rows, cols] for a
** strided batch (a 2-D operand is broadcast over the batch).  f32, f64, c64 (the
** scalars are real).  Provider: RDN_GEMM env (own|clblast), default own on CPU
** devices and CLBlast on GPUs.  The own c64 kernel forms each complex product from three
** real ones (Gauss: 3 FMAs instead of 4); its rounding error bound, relative to
** sum |a||b|, is about twice that of the four-product form. */
RDN_API rdn_status rdn_gemm(rdn_ctx *ctx, rdn_trans ta, rdn_trans tb, double alpha,
                            const rdn_tensor *a, const rdn_tensor *b, double beta,
                            rdn_tensor *c);
RDN_API rdn_gemm_provider rdn_gemm_provider_get(const rdn_ctx *ctx);
RDN_API rdn_status rdn_gemm_provider_set(rdn_ctx *ctx, rdn_gemm_provider p);

/* --------------------------------------------------------------------- FFT */
typedef struct rdn_fft_plan rdn_fft_plan;
typedef enum { RDN_FFT_C2C = 0, RDN_FFT_R2C = 1, RDN_FFT_C2R = 2 } rdn_fft_kind;
typedef enum {
  RDN_FFT_BACKWARD_NORM = 0,  /* forward unscaled, inverse 1/N (NumPy default) */
  RDN_FFT_ORTHO = 1           /* both directions 1/sqrt(N) (unitary) */
} rdn_fft_norm;

/* Plan for `batch` transforms of rank 1 or 2 (`lengths` = {T} or {H, W}, innermost
** last), single precision.  C2C: c64 [batch, lengths] <-> same.  R2C: f32
** [batch, H, W] -> c64 [batch, H, W/2+1] (the Hermitian half, NumPy rfft2 layout);
** C2R the reverse.  N = product of lengths scales the transforms per `norm`.
** Shape rule for execute: a tensor's trailing `rank` axes must equal the lengths of its
** side (innermost W/2+1 on the complex side of R2C/C2R) and its leading axes must
** multiply to `batch` (none: batch 1); so [n, c, H, W] serves batch n*c.  Tensor views
** with an element offset are accepted.
** Provider: RDN_FFT=clfft (default; clFFT, lengths with prime factors 2, 3, 5, 7, 11, 13)
** or own (not implemented yet: RDN_EUNSUPPORTED), read when a ctx first plans an FFT.
** Ownership: each successful create returns a new handle that must be destroyed; the
** baked plan behind it lives in the ctx's plan cache (created on a miss, shared by
** handles with equal kind, rank, lengths, batch and norm, so repeated creates are cheap)
** and is freed by rdn_ctx_destroy.  A plan is used only with its ctx's tensors. */
RDN_API rdn_status rdn_fft_plan_create(rdn_ctx *ctx, rdn_fft_plan **out, rdn_fft_kind kind,
                                       int rank, const size_t *lengths, size_t batch,
                                       rdn_fft_norm norm);
RDN_API void rdn_fft_plan_destroy(rdn_fft_plan *p);
/* inverse = 0: forward transform (e^{-i..}), 1: inverse (e^{+i..}).  C2C plans run both
** ways; an R2C plan runs only forward and a C2R plan only inverse (else RDN_EINVAL).
** in is never modified; in and out must not overlap (no in-place).  Asynchronous:
** enqueued on the ctx's (in-order) queue. */
RDN_API rdn_status rdn_fft_execute(rdn_fft_plan *p, int inverse, const rdn_tensor *in,
                                   rdn_tensor *out);

/* --------------------------------------------------------------------- npy */
/* NumPy .npy files (format 1.0, 2.0, 3.0; C order only).  Load reads '<f4' -> f32,
** '<f8' -> f64, '<c8' -> c64, '<i4' -> i32, and decodes '|u1' -> f32 (0..255) and
** '<i8' -> i32 (a value outside int32 is RDN_EFORMAT).  The file is untrusted: magic,
** version, header length and dict, dtype, shape (1 to 4 axes, no zero extent), size
** overflow and the exact data length are checked; RDN_EFORMAT names the path and what
** is wrong; a missing or unreadable file is RDN_EIO with strerror.  Save writes version
** 1.0 ('<f4' '<f8' '<c8' '<i4', header padded to 64 bytes) to `path.tmp.<pid>` and
** renames it into place: on any failure no partial file remains. */
RDN_API rdn_status rdn_npy_load(rdn_ctx *ctx, const char *path, rdn_tensor **out);
RDN_API rdn_status rdn_npy_save(rdn_ctx *ctx, const char *path, const rdn_tensor *t);

/* --------------------------------------------------------- linear algebra */
/* Gram, Cholesky, solves, log-det (coding-rate issue). */
/* Gram matrices.  Z holds samples as rows: [m, d] (m samples, d features) or a batch
** [b, m, d] (b independent problems, e.g. one per frequency).  c64 uses the conjugate
** transpose: G = Z^H Z, G[i][j] = sum_s conj(Z[s][i]) Z[s][j] (Hermitian; for spectra
** with sample vectors v_s = Z[s][:] this is conj(sum_s v_s v_s^H), same eigenvalues, so
** the same log-det).  Sums run in register blocks of 256 samples added into G (blocked
** summation, error ~ (256 + m/256) eps).  f32, f64, c64. */
typedef enum {
  RDN_GRAM_COLS = 0,   /* G = Z^H Z over the features: [d, d] ([b, d, d]) */
  RDN_GRAM_ROWS = 1    /* G = Z Z^H over the samples: [m, m] ([b, m, m]) */
} rdn_gram_side;
/* g = alpha * op(Z) + diag * I (logdet(I + a Z^H Z) = logdet(I + a Z Z^H): pick the
** smaller side). */
RDN_API rdn_status rdn_gram(rdn_ctx *ctx, rdn_tensor *g, const rdn_tensor *z,
                            rdn_gram_side side, double alpha, double diag);
/* Per-class Grams in one pass: g[j] = alpha[j] * Z_j^H Z_j + diag * I, Z_j the samples
** with label j.  labels: i32 with m elements, 0-based, checked on the device (a label
** outside [0, k) is RDN_EVALUE naming the label and its sample).  z [m, d] -> g [k, d, d];
** z [b, m, d] -> g [k, b, d, d] (labels over m).  alpha: k values, or NULL for 1.  An
** empty class gives diag * I.  With alpha NULL and diag 0 the whole Gram is the sum over
** classes: rdn_gram_sum. */
RDN_API rdn_status rdn_gram_classes(rdn_ctx *ctx, rdn_tensor *g, const rdn_tensor *z,
                                    const rdn_tensor *labels, int k, const double *alpha,
                                    double diag);
/* out = alpha * sum_j g[j] + diag * I: g [k, d, d] -> out [d, d], g [k, b, d, d] -> out
** [b, d, d].  Reads the upper triangles of g (Hermitian). */
RDN_API rdn_status rdn_gram_sum(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *g,
                                double alpha, double diag);
/* out = in with its last axis moved first: [a, F] -> [F, a], [a, c, F] -> [F, a, c] ...
** (spectra [m, C, F] from an FFT along the last axis -> per-frequency batches [F, m, C]). */
RDN_API rdn_status rdn_last_axis_first(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *in);

/* Cholesky family.  Matrices are [n, n] or batches [b, n, n]; f32, f64, c64 (Hermitian).
** Batches of n <= 128: on CPU devices each work-item factors 16 (f64: 8) matrices at once
** in SIMD lanes, read into __local memory, factored / inverted and written back by one
** kernel (one launch; a global packed copy between three kernels when the lanes do not
** fit __local memory); on GPUs one matrix per work-item for n <= 16, a work-group per
** matrix above while the matrix fits __local memory, else one per work-item (launches of
** at most 256 MiB of packed copies).  RDN_CHOL=local|lanes|item|group forces a path,
** RDN_CHOL_BATCH=b at most b matrices per launch.  Larger n use a
** blocked left-looking factorisation: panel kernels + rdn_gemm updates (the inverse of a
** large matrix: two blocked triangular solves on the identity).  A pivot that is
** not positive (or NaN/Inf) gives RDN_ENUMERIC naming the matrix, the pivot index and its
** value; the result is then undefined but the call never reports success with NaNs. */
/* In place: a (lower triangle read) becomes L with A = L L^H; the strict upper triangle
** is set to zero. */
RDN_API rdn_status rdn_cholesky(rdn_ctx *ctx, rdn_tensor *a);
/* out[i] = log det A_i = 2 sum_j log L_i[j][j], accumulated in double, for the nout = b
** matrices of l (the factor left by rdn_cholesky). */
RDN_API rdn_status rdn_chol_logdet(rdn_ctx *ctx, double *out, size_t nout, const rdn_tensor *l);
/* In place: l (a factor from rdn_cholesky) becomes the full Hermitian A^-1 (potri). */
RDN_API rdn_status rdn_chol_inverse(rdn_ctx *ctx, rdn_tensor *l);
/* b <- A^-1 b from the factor l: l [n, n] with b [n, r], or l [bt, n, n] with b [bt, n, r]
** (r right-hand sides, r >= 1). */
RDN_API rdn_status rdn_chol_solve(rdn_ctx *ctx, rdn_tensor *b, const rdn_tensor *l);
/* b <- op(L)^-1 b with lower-triangular l (shapes as rdn_chol_solve): RDN_NOTRANS solves
** L x = b, RDN_CONJTRANS (or RDN_TRANS for real dtypes) L^H x = b. */
RDN_API rdn_status rdn_trsm(rdn_ctx *ctx, rdn_tensor *b, const rdn_tensor *l, rdn_trans t);
/* Convenience: rdn_cholesky + rdn_chol_inverse fused (one launch for small batches):
** a (Hermitian positive definite) becomes A^-1. */
RDN_API rdn_status rdn_spd_inverse(rdn_ctx *ctx, rdn_tensor *a);
/* rdn_cholesky + log-dets + inverse fused: a (Hermitian positive definite, [n, n] or
** [b, n, n]) becomes A^-1 (full Hermitian) and logdet[i] = log det A_i (nout = b values;
** the sum of the log pivots in double where the device has fp64).  Small n: one pass
** over each matrix in fast memory (on CPU devices one kernel per batch, 16 (f64: 8)
** matrices per work-item in __local memory).  Errors as rdn_cholesky. */
RDN_API rdn_status rdn_spd_inverse_logdet(rdn_ctx *ctx, rdn_tensor *a, double *logdet,
                                          size_t nout);
/* rdn_cholesky of a (overwritten by L), then out = log det per matrix (one pass). */
RDN_API rdn_status rdn_spd_logdet(rdn_ctx *ctx, double *out, size_t nout, rdn_tensor *a);
/* Packed Hermitian storage (runtime/hpack.c): the lower triangles of the n matrices of
** a [.., C, C] (f32/f64 symmetric, c64 Hermitian), row i at offset i(i+1)/2, as
** out with n C(C+1)/2 elements (any shape); unpack rebuilds the full matrices, the strict
** upper triangle as the conjugate mirror of the lower.  Pack reads only the lower
** triangle; unpack is not in place. */
RDN_API rdn_status rdn_herm_pack(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *a);
RDN_API rdn_status rdn_herm_unpack(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *ap);

/* Coding rates (SPEC §1.1).  z [m, d]: rows are samples (m samples, d features); eps_sq
** is the squared distortion e = eps^2 (the reference code's `eps`), finite and > 0.
**   R  = 1/2 logdet(I + d/(m e) Z^T Z)
**   Rc = sum_j m_j/(2m) logdet(I + d/(m_j e) Z_j^T Z_j)
** labels: i32 with m elements, 0-based; k <= 0 takes k = max label + 1 (found on the
** device).  Each log-det uses the smaller side of the Gram identity (d vs m, d vs m_j).
** Errors: NaN/Inf in z (RDN_EVALUE naming the sample and feature), labels out of [0, k)
** or an empty class (RDN_EVALUE), a label count different from m (RDN_EINVAL).  c64
** z [m, d] is a complex vector set (Hermitian Grams). */
RDN_API rdn_status rdn_coding_rate(rdn_ctx *ctx, double *r, const rdn_tensor *z, double eps_sq);
RDN_API rdn_status rdn_class_rate(rdn_ctx *ctx, double *rc, const rdn_tensor *z,
                                  const rdn_tensor *labels, int k, double eps_sq);
/* out[0] = R - Rc (the rate reduction), out[1] = R, out[2] = Rc. */
RDN_API rdn_status rdn_mcr2(rdn_ctx *ctx, double *out, const rdn_tensor *z,
                            const rdn_tensor *labels, int k, double eps_sq);
/* Spectral rates (SPEC §1.4): z c64 [m, C, F], the ortho DFT along time of m samples of C
** channels and length t.  half = 0: F = t, all frequencies; half = 1: F = t/2 + 1 (the
** R2C half spectrum of real signals; the missing frequencies are conjugates and are
** counted twice).  With a = C/(m e), a_j = C/(m_j e) and Sigma(p) = sum_i v_i(p) v_i(p)^H:
**   R  = 1/(2t) sum_p logdet(I + a Sigma(p)),
**   Rc = 1/(2t) sum_p sum_j (m_j/m) logdet(I + a_j Sigma_j(p)),
** out as rdn_mcr2 (labels NULL: R only, out[0] = out[1] = R, out[2] = 0). */
RDN_API rdn_status rdn_mcr2_spectral(rdn_ctx *ctx, double *out, const rdn_tensor *z,
                                     const rdn_tensor *labels, int k, double eps_sq, size_t t,
                                     int half);

/* ---------------------------------------------- datasets, models, ReduNet */
/* IDX files (the MNIST family), plain or gzip-compressed (zlib reads both).  Element
** types u8 (0x08), i8 (0x09), i32 (0x0C) and f32 (0x0D): a rank-1 file becomes i32 [n]
** (labels; f32 stays f32), higher ranks f32 [n, d1, ...] (u8 0..255 kept as is; rank
** <= 4).  The file is untrusted: magic, type, rank, extents and the data length are
** checked (RDN_EFORMAT naming the path and the problem); an unreadable file is RDN_EIO. */
RDN_API rdn_status rdn_idx_load(rdn_ctx *ctx, const char *path, rdn_tensor **out);

/* safetensors files: an 8-byte little-endian header length, a JSON header (libcjson)
** and raw little-endian tensors (F32, F64, I32; an rdn c64 tensor is stored as F32 with
** a trailing axis of 2 and marked by the metadata key "rdn.c64.<name>" = "1").
** `__metadata__` is a string -> string map.  Save validates everything, writes a temp
** file in the same directory and renames it, so no partial file is ever left behind.
** Load treats the file as untrusted: header size, JSON shape, dtypes, ranks, overflow,
** offsets (inside the buffer, matching the element count, contiguous, no overlap) and the
** file length are checked; RDN_EFORMAT names the path and the problem. */
typedef struct rdn_safetensors rdn_safetensors;
RDN_API rdn_status rdn_safetensors_save(rdn_ctx *ctx, const char *path, size_t n,
                                        const char *const *names,
                                        const rdn_tensor *const *tensors, size_t nmeta,
                                        const char *const *keys, const char *const *values);
RDN_API rdn_status rdn_safetensors_load(rdn_ctx *ctx, const char *path,
                                        rdn_safetensors **out);
RDN_API void rdn_safetensors_destroy(rdn_safetensors *f);
/* Tensors in header order; tensors are borrowed (retain to keep them past destroy). */
RDN_API size_t rdn_safetensors_count(const rdn_safetensors *f);
RDN_API const char *rdn_safetensors_name(const rdn_safetensors *f, size_t i);
RDN_API rdn_tensor *rdn_safetensors_tensor(const rdn_safetensors *f, size_t i);
RDN_API rdn_tensor *rdn_safetensors_find(const rdn_safetensors *f, const char *name);
RDN_API size_t rdn_safetensors_meta_count(const rdn_safetensors *f);
RDN_API const char *rdn_safetensors_meta_key(const rdn_safetensors *f, size_t i);
RDN_API const char *rdn_safetensors_meta_value(const rdn_safetensors *f, size_t i);
/* Value of a metadata key, or NULL. */
RDN_API const char *rdn_safetensors_meta(const rdn_safetensors *f, const char *key);

/* Vector ReduNet (SPEC §1.3).  z is [m, d] (rows unit-norm), w the stacked layer operators
** [k+1, d, d] = [E; C^1; ...; C^k] (each symmetric), gamma[j] = m_j / m.
**
** rdn_redunet_operators: from features z and labels (i32 [m], 0 <= y < k, every class
** non-empty) computes E = a (I + a zᵀz)^-1, a = d/(m eps_sq), and C^j = a_j (I + a_j z_jᵀz_j)^-1,
** a_j = d/(m_j eps_sq), into w; gamma (k doubles) and, when rates is not NULL, rates[0] =
** R(z), rates[1] = Rc(z | labels), rates[2] = R - Rc from the same Cholesky factors.
** w = NULL computes only the rates (and gamma when not NULL): no inverses. */
RDN_API rdn_status rdn_redunet_operators(rdn_ctx *ctx, rdn_tensor *w, double *gamma,
                                         double *rates, const rdn_tensor *z,
                                         const rdn_tensor *labels, int k, double eps_sq);
/* Fused membership + update for precomputed applied operators p = z [E C^1 ... C^k]
** ([m, (k+1) d], one GEMM with w viewed as [(k+1) d, d], transposed): per sample
**   pi = softmax(-lambda max(|c_j|, 1e-8)) (max subtracted), or one-hot(labels[i]) when
**   labels is not NULL ("label" membership);  z <- P_S(z + eta (e - sum_j gamma_j pi_j c_j)).
** pi_out ([m, k], dtype of z) receives pi when not NULL. */
RDN_API rdn_status rdn_redunet_update(rdn_ctx *ctx, rdn_tensor *z, const rdn_tensor *p, int k,
                                      const double *gamma, double eta, double lambda,
                                      const rdn_tensor *labels, rdn_tensor *pi_out);
/* One layer on z in place: the GEMM p = z wᵀ in row chunks (scratch allocated inside,
** at most ~256 MiB) followed by rdn_redunet_update. */
RDN_API rdn_status rdn_redunet_layer(rdn_ctx *ctx, rdn_tensor *z, const rdn_tensor *w,
                                     const double *gamma, double eta, double lambda,
                                     const rdn_tensor *labels, rdn_tensor *pi_out);
/* Number of samples per class: labels i32 [m] -> counts[k] (host); a label outside
** [0, k) is RDN_EVALUE naming the label and the sample index. */
RDN_API rdn_status rdn_label_counts(rdn_ctx *ctx, const rdn_tensor *labels, int k,
                                    long *counts);
/* Fraction of equal entries of two i32 tensors of the same size. */
RDN_API rdn_status rdn_accuracy(rdn_ctx *ctx, const rdn_tensor *pred, const rdn_tensor *y,
                                double *acc);
/* perm (i32 [m]) = the samples grouped by class, each class in file order (a stable sort
** by label), and counts[k]: class j occupies perm[sum_{i<j} counts[i] ...].  Gathering
** rows with perm gives one buffer whose class blocks are row views. */
RDN_API rdn_status rdn_label_sort(rdn_ctx *ctx, rdn_tensor *perm, const rdn_tensor *labels,
                                  int k, long *counts);
/* Orthonormalises the rows of y ([n, d] or a batch [b, n, d], n <= d) in place
** (modified Gram-Schmidt, two passes, dot products in double where the device has it). */
RDN_API rdn_status rdn_orthonormalize(rdn_ctx *ctx, rdn_tensor *y);
/* Nearest subspace (SPEC §1.8): u [k, n, d] holds orthonormal basis rows per class; pred
** (i32 [m]) = argmin_j |(I - U_j U_jᵀ) z_i| (ties: lowest class). */
RDN_API rdn_status rdn_nearsub_predict(rdn_ctx *ctx, rdn_tensor *pred, const rdn_tensor *z,
                                       const rdn_tensor *u);
/* k-nearest neighbours by inner product (cosine for unit rows), 1 <= k <= 64: majority
** label of the k most similar rows of ztr (ties: lower index, then lowest label). */
RDN_API rdn_status rdn_knn_predict(rdn_ctx *ctx, rdn_tensor *pred, const rdn_tensor *z,
                                   const rdn_tensor *ztr, const rdn_tensor *ytr, int k);
/* One-vs-rest ridge classifier in closed form (as scikit-learn's RidgeClassifier): ±1
** targets, an unpenalised intercept (features and targets centred), W = (XcᵀXc + alpha
** I)^-1 XcᵀTc by Cholesky; pred (i32, [rows of zte]) = argmax of zte W + bias. */
RDN_API rdn_status rdn_ridge_predict(rdn_ctx *ctx, rdn_tensor *pred, const rdn_tensor *ztr,
                                     const rdn_tensor *ytr, const rdn_tensor *zte, int k,
                                     double alpha);
/* Sinusoid datasets (SPEC §1.7, noise-free part; add N(0, s^2) with rdn_randn + rdn_axpby
** for modes 7, 8, 9): x [k n, ..., T] gets n samples per class in class order, each
** T points of f_c(linspace(x0, x0 + 2 pi, T)) with x0 ~ U(0, 10 pi) from a hash of
** (seed, sample).  Modes: 1 sin x | sin 3x; 2 adds sin 7x; 3 adds sin 11x; 5, 7, 8 sin x |
** sign(sin x); 9 sin x | exp(sin x) | sign(sin x).  rdn_waves_classes: k of a mode, 0 if
** unknown. */
RDN_API int rdn_waves_classes(int mode);
RDN_API rdn_status rdn_waves(rdn_ctx *ctx, rdn_tensor *x, int mode, size_t n, uint64_t seed);
/* out [m, k] (f32/f64) = `on` at (i, labels[i]) and `off` elsewhere (labels outside
** [0, k) give a row of `off`). */
RDN_API rdn_status rdn_onehot(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *labels,
                              double on, double off);
/* ---- end datasets, models, ReduNet ---- */

/* ========================= separation / concentration (SPEC §3: shrink.c, scattering.c) */
/* Shrinkage (SPEC §3.1).  RDN_SHRINK_SOFT: the soft threshold rho_l(u) = sign(u) max(|u| - l, 0)
** = u - clamp(u, -l, l) (odd, 1-Lipschitz, rho_0 = identity); RDN_SHRINK_RELU: the one-sided
** ReLU(u - l) (the paper code's "relu" non-linearity with its bias). */
typedef enum { RDN_SHRINK_SOFT = 0, RDN_SHRINK_RELU = 1 } rdn_shrink_kind;
/* out = rho_lambda(x) elementwise; f32/f64; out has x's dtype and numel and is x itself (in
** place) or does not overlap it.  lambda must be finite and >= 0 (else RDN_EINVAL naming it). */
RDN_API rdn_status rdn_shrink(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x,
                              rdn_shrink_kind kind, double lambda);
/* Per-channel thresholds: x viewed as [outer, C, inner] with C = numel(lambdas) (same dtype
** as x) and the given inner extent: inner = 1 means channels last ([rows, C], the layout of
** 1x1 frames), inner = H*W channels first ([m, C, H, W]).  Every lambda is checked on the
** device: a negative or non-finite one is RDN_EINVAL naming its index and value. */
RDN_API rdn_status rdn_shrink_channels(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x,
                                       rdn_shrink_kind kind, const rdn_tensor *lambdas,
                                       size_t inner);
/* *count = number of elements with |x| > threshold (f32/f64; exact, counted on the device). */
RDN_API rdn_status rdn_count_above(rdn_ctx *ctx, const rdn_tensor *x, double threshold,
                                   size_t *count);
/* out (f32) = |x| for c64 x of the same numel (no overlap). */
RDN_API rdn_status rdn_cabs(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x);
/* Filter-bank product in the Fourier domain (K7): filt is c64 or f32 [F, P...] (a rank-1
** filt is one filter, F = 1), P = numel(filt) / F; x c64 holds B = numel(x) / P spectra;
** out c64 [B, F, P...]: out[b, f, p] = x[b, p] * filt[f, p], or * conj(filt[f, p]) when
** conj = 1.  out overlaps neither input. */
RDN_API rdn_status rdn_cmul_bank(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x,
                                 const rdn_tensor *filt, int conj);
/* Fourier-domain subsampling by k (K8, periodisation): x c64 [.., H, W] -> out c64
** [.., H/k, W/k], out[u, v] = k^-2 sum_{a, b < k} x[u + a H/k, v + b W/k]: with NumPy's fft2
** conventions, the spectrum of the decimated image x[::k, ::k].  k >= 1 divides H and W. */
RDN_API rdn_status rdn_fourier_subsample(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x,
                                         int k);
/* Per-channel statistics (K12): x (f32/f64, finite) viewed as [outer, C, inner], C =
** numel(mean) = numel(var); mean[c] and the population variance var[c] over outer x inner
** values, two passes accumulated in double (where the device has it). */
RDN_API rdn_status rdn_channel_stats(rdn_ctx *ctx, rdn_tensor *mean, rdn_tensor *var,
                                     const rdn_tensor *x, size_t inner);
/* out = x * scale[c] + shift[c] (shift NULL: 0), x viewed as [outer, C, inner], C =
** numel(scale); out is x or does not overlap it. */
RDN_API rdn_status rdn_channel_affine(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x,
                                      const rdn_tensor *scale, const rdn_tensor *shift,
                                      size_t inner);
/* out = (x - mean[c]) / sqrt(var[c] + eps), eps > 0 (BatchNorm without affine, SPEC §3.4). */
RDN_API rdn_status rdn_channel_standardize(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x,
                                           const rdn_tensor *mean, const rdn_tensor *var,
                                           double eps, size_t inner);
/* Batched transpose: x viewed as [b, rows, cols] -> out [b, cols, rows] (any dtype, same
** numel, no overlap): [m, C, H*W] <-> [m, H*W, C] between channels-first images and
** channels-last position vectors. */
RDN_API rdn_status rdn_transpose(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x,
                                 size_t rows, size_t cols);

/* 2-D scattering transform (SPEC §3.3), Kymatio 0.3 conventions: Morlet wavelets psi_{j,l}
** (sigma 0.8 2^j, xi 3pi/4 2^-j, slant 4/L, theta = (floor(L/2) - 1 - l) pi/L) and a Gaussian
** low-pass phi_J (sigma 0.8 2^(J-1)), built once in space on the working grid (5 x 5
** periodised tiles), Fourier-transformed on the device and kept, with their periodised
** copies for the coarser resolutions.  Coefficients of order 0, 1 (j1, l1) and 2 (j1 < j2,
** l1, l2), in Kymatio's channel order: K = 1 + J L (order >= 1) + L^2 J (J - 1) / 2 (order 2).
**   RDN_SCAT_REFLECT: Kymatio's default: reflect-pad H x W to Hp = (floor((H + 2^J) / 2^J)
**     + 1) 2^J (the extra pixel at the end), crop one pixel per side at output resolution:
**     output (Hp / 2^J - 2) x (Wp / 2^J - 2) (28 x 28, J = 2: 7 x 7).  Needs 2^J <= H, W.
**   RDN_SCAT_PERIODIC: no padding, circular convolutions on H x W, output H/2^J x W/2^J,
**     exactly equivariant to circular shifts by multiples of 2^J; H, W multiples of 2^J.
** Products and subsampling are done in the Fourier domain (FFTs with NumPy's scaling), by
** the transform's own line FFTs (kernels/scatfft.cl: working-grid sides <= 64 with prime
** factors <= 13, filter products, periodisation, modulus, padding fused) or by clFFT plans
** (any other size, or RDN_SCAT_FFT=clfft read at create). */
typedef struct rdn_scattering rdn_scattering;
typedef enum { RDN_SCAT_REFLECT = 0, RDN_SCAT_PERIODIC = 1 } rdn_scat_pad;
/* 1 <= J, 1 <= L <= 64, order 0, 1 or 2; J too large for h x w is RDN_EINVAL naming J and
** the size.  The filters are built here (device kernels + FFT). */
RDN_API rdn_status rdn_scattering2d_create(rdn_ctx *ctx, rdn_scattering **out, size_t h,
                                           size_t w, int J, int L, int order, rdn_scat_pad pad);
RDN_API void rdn_scattering2d_destroy(rdn_scattering *s);
/* Output channels K and spatial size per image. */
RDN_API void rdn_scattering2d_shape(const rdn_scattering *s, size_t *channels, size_t *oh,
                                    size_t *ow);
/* x f32 [m, h, w] -> out f32 [m, K, oh, ow]; x [m, C, h, w] -> out [m, C K, oh, ow] (each
** input channel scattered on its own; channel c's coefficients at c K .. c K + K - 1).
** NaN/Inf in x is RDN_EVALUE naming the element.  Runs in chunks of images (scratch and
** FFT plans are kept by the object between calls; RDN_SCAT_CHUNK=n forces n per chunk). */
RDN_API rdn_status rdn_scattering2d(rdn_scattering *s, rdn_tensor *out, const rdn_tensor *x);
/* New references to the level-0 filters in the Fourier domain (f32, real, NumPy fft2
** frequency order on the working grid Hp x Wp): phi [Hp, Wp], psi [J L, Hp, Wp] (index
** j L + l).  Either pointer may be NULL. */
RDN_API rdn_status rdn_scattering2d_filters(rdn_scattering *s, rdn_tensor **phi,
                                            rdn_tensor **psi);
/* ============================== end of separation / concentration */

/* ---- interpolation (issue 8: runtime/interp.c, kernels/interp.cl) ----------------- */
/* Interpolation matrices of ReLU layers and training-free ReLU networks that interpolate
** data exactly (SPEC §4).  The paper (Huang, arXiv 2208.07498) was available only as an
** abstract: the constructions below are reconstructions that realise its claims, not the
** paper's own algorithms.  f32/f64 data; i32 labels. */
/* dst = src converted between f32 and f64 (equal numel; same dtype: a copy). */
RDN_API rdn_status rdn_convert(rdn_ctx *ctx, rdn_tensor *dst, const rdn_tensor *src);
/* x = max(x, 0) in place (NaN stays NaN), any shape, f32/f64. */
RDN_API rdn_status rdn_relu(rdn_ctx *ctx, rdn_tensor *x);
/* A fully connected layer: out [m, n] = act(x w^T + b) with x [m, d], w [n, d] (torch's
** [out, in] layout), b [n] or NULL, act = ReLU when relu != 0 (one GEMM, then one fused
** bias + ReLU kernel).  With relu this is the interpolation matrix A[i, u] = h_u(x_i). */
RDN_API rdn_status rdn_linear(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x,
                              const rdn_tensor *w, const rdn_tensor *b, int relu);

/* Sparsity and numerical rank of an interpolation matrix a [m, n] (f32/f64). */
typedef struct {
  size_t nnz;                 /* entries > 0 */
  size_t row_min, row_max;    /* non-zeros per row (data point: how many units it fires) */
  size_t col_min, col_max;    /* non-zeros per column (unit: how many points fire it) */
  size_t rank;                /* numerical rank (want_rank), else 0 */
  double tol;                 /* pivot tolerance on the Gram: s * eps * max diag */
  double pivot_min, pivot_max;/* smallest / largest accepted Gram pivot */
} rdn_interp_info;
/* row_nnz (i32, m values) and col_nnz (i32, n values) receive the counts unless NULL.
** Rank (want_rank): G = the smaller Gram (a^T a or a a^T, size s = min(m, n)) in f64 where
** the device has it, then semi-definite elimination without pivoting: a pivot <= tol =
** s * max(eps, 100 eps_a^2) * max diag(G) marks a dependent column (eps of the Gram, eps_a
** of a's dtype: f32 data is noisy at eps32).  As G squares the singular values, rank is
** reported full only while cond(a) < ~1/sqrt(tol / max diag) (f64 data: ~1e7, f32 data:
** ~1e5); cost O(s^3) in s launches. */
RDN_API rdn_status rdn_interp_stats(rdn_ctx *ctx, const rdn_tensor *a, rdn_tensor *row_nnz,
                                    rdn_tensor *col_nnz, int want_rank, rdn_interp_info *st);

typedef enum {
  RDN_INTERP_TRIANGULAR = 0,  /* 3-layer net, lower-triangular A, solved (SPEC §4.2) */
  RDN_INTERP_HAT = 1,         /* 4-layer net, layer-2 matrix = identity (SPEC §4.3) */
  RDN_INTERP_INTERVAL = 2     /* 4-layer net, one unit per class run: block-sparse */
} rdn_interp_kind;

typedef struct {
  rdn_interp_kind kind;
  int force_f32;              /* solve in compensated float32 even where fp64 exists */
  int classes;                /* number of classes k for i32 labels (>= 1) */
  double warn_tol;            /* warn when cond * eps exceeds it (0: 1e-3) */
} rdn_interp_opts;

/* A built network: Linear(w[0], b[0]) ReLU Linear(w[1], b[1]) [ReLU Linear(w[2], b[2])],
** weights [out, in] in the dtype of x.  Free with rdn_interp_net_free (tensors still set,
** order included, are released; take one by setting its pointer to NULL). */
typedef struct {
  int nlinear;                /* 2 (triangular) or 3 */
  rdn_tensor *w[3], *b[3];
  rdn_tensor *order;          /* i32 [m]: the sample at each sorted position (unit order) */
  size_t direction;           /* row of dirs used */
  size_t units[2];            /* widths of the hidden layers */
  size_t duplicates;          /* samples identical to another one with the same target */
  double min_gap;             /* smallest gap of consecutive sorted projections that
                              ** matters (interval: across class boundaries); inf if none */
  double delta;               /* hat / interval ramp half-width (0.45 min gap) */
  double cond;                /* triangular: 1-norm condition estimate of A (Hager-Higham);
                              ** hat / interval: max |projection| / delta */
  double max_error;           /* max |f(x_i) - y_i| of the built network on the data
                              ** (triangular, hat regression), else NAN */
  int solve_f64;              /* the triangular solve ran in float64 */
  int warned;                 /* cond * eps > warn_tol: warning logged (RDN_LOG_WARN) */
  char warning[320];
} rdn_interp_net;

/* Builds a network that interpolates (x, y) exactly.  x [m, d]; dirs [c, d] candidate
** directions (same dtype as x; the one with the largest min_gap is used: pass unit rows
** to compare them fairly).  y: triangular: targets [m] or [m, k] of x's dtype (k outputs);
** hat: the same (regression) or i32 labels [m] in [0, classes) (class scores); interval:
** i32 labels.  Projections are sorted on the device (stable rank sort, O(c m^2)).  The
** triangular solve runs in f64 where the device has it, else (or with force_f32) in
** float32 with compensated dot products; one work-item per right-hand side on CPU
** devices, a work-group elsewhere (RDN_TRSV=item|group forces one).  When cond * eps of
** the solve or data dtype exceeds warn_tol the result is still returned, with net->warned
** set and a RDN_LOG_WARN message (a pessimistic bound: compare net->max_error).
** Errors: NaN/Inf in x, y or dirs (RDN_EVALUE), identical inputs with different targets
** (RDN_EVALUE naming both samples), distinct samples with equal projections on the best
** direction (RDN_EVALUE naming them), a solve that overflows (RDN_ENUMERIC). */
RDN_API rdn_status rdn_interp_build(rdn_ctx *ctx, rdn_interp_net *net, const rdn_tensor *x,
                                    const rdn_tensor *y, const rdn_tensor *dirs,
                                    const rdn_interp_opts *opts);
RDN_API void rdn_interp_net_free(rdn_interp_net *net);
/* ---- end interpolation ------------------------------------------------------------ */

/* ==== frames and sparse coding (issue 7; SPEC §2, §5.3: frames.c, dfp.c, sparse.c) ======= */
/* A frame b [d, k] holds k atoms of R^d as COLUMNS (row-major; f32/f64).  A Parseval frame
** F [p, d] with p atoms as rows is b = F^T (b b^T = F^T F = I). */
typedef struct {
  size_t d, k;
  double fp;                  /* frame potential ||b^T b||_F^2 of b as given */
  double fp_unit;             /* the same for the unit atoms b_i / ||b_i|| */
  double fp_bound;            /* max(k, k^2 / d): fp_unit >= it, equality iff the unit atoms
                              ** are a tight frame (k >= d) or orthonormal (k <= d) */
  double coherence;           /* max_{i != j} |<b~_i, b~_j>| (0 when k = 1) */
  double welch;               /* sqrt((k - d) / (d (k - 1))) for k > d (else 0) <= coherence */
  double norm_min, norm_max;  /* smallest / largest atom norm */
  double tight_a;             /* frame bound estimate a = tr(b b^T) / d */
  double tight_err;           /* ||b b^T - a I||_F / ||b b^T||_F (0: tight frame) */
  double parseval_err;        /* ||b b^T - I||_F (0: Parseval frame) */
} rdn_frame_info;
/* Frame measures (SPEC §2.1) from the Gram b^T b [k, k] and b b^T [d, d].  NaN/Inf in b and
** an all-zero atom (coherence undefined) are RDN_EVALUE naming it. */
RDN_API rdn_status rdn_frame_stats(rdn_ctx *ctx, const rdn_tensor *b, rdn_frame_info *st);
typedef enum {
  RDN_FRAME_UNIT = 0,         /* every atom to unit norm (a zero atom is RDN_EVALUE) */
  RDN_FRAME_BALL = 1          /* atoms longer than 1 scaled to 1 (projection on the ball) */
} rdn_frame_norm;
RDN_API rdn_status rdn_frame_normalize(rdn_ctx *ctx, rdn_tensor *b, rdn_frame_norm mode);
/* *out = ||b||_2^2 = l_max(b^T b): power iteration on the smaller Gram from a N(0, I) start
** (seed), at most `iters` products, stopping when the estimate ||G v|| (a lower bound that
** rises to l_max) changes by <= tol relative between checks 8 products apart. */
RDN_API rdn_status rdn_frame_norm2(rdn_ctx *ctx, double *out, const rdn_tensor *b, int iters,
                                   double tol, uint64_t seed);
/* Potential of the circular convolutional frame of k filters h (f32 [k, d, f] on signals of
** length p, or [k, d, f, f] on p x p images; stride 1) by the FFT form of SPEC §2.4:
** fp = sum_w ||H(w)^H H(w)||_F^2, H(w) [d, k] the unnormalised DFTs of the zero-padded
** filters (R2C half spectrum, mirrored frequencies counted twice).  p: clFFT lengths. */
RDN_API rdn_status rdn_conv_frame_potential(rdn_ctx *ctx, double *fp, const rdn_tensor *h,
                                            size_t p);

/* Deep frame potential (SPEC §2.2-2.3).  A network of `layers` = l layers with widths k_0..k_l
** and parent sets P(j) (adj[i (l+1) + j] != 0 iff layer i feeds layer j; i < j; every layer
** has a parent) induces a frame: row block i = 0..l-1 (k_i rows), column block j = 1..l (k_j
** columns), block (i, j) = B_{i,j} for i in P(j) and -I at (i, i) for 1 <= i < l.  Weights are
** packed in one tensor: layer j holds [R_j, k_j] (R_j = sum of its parents' widths, parents
** ascending, row-major) at rdn_dfp_layer's offset.  Only the structurally non-zero blocks of
** the Gram are formed (on the device). */
typedef struct rdn_dfp rdn_dfp;
typedef struct {
  int layers;
  size_t rows, cols;          /* induced frame [N, K]: N = sum_{i<l} k_i, K = sum_{j>=1} k_j */
  size_t nweights;            /* packed weight elements */
  size_t nnz;                 /* N_nz: structurally non-zero Gram entries (diagonal included) */
  size_t nnz_frame;           /* structurally non-zero entries of the frame */
  size_t blocks;              /* non-zero Gram blocks (ordered pairs) */
} rdn_dfp_info;
/* Which columns are normalised (SPEC §2.3 leaves it open: both exposed, INDUCED recommended). */
typedef enum {
  RDN_DFP_INDUCED = 0,        /* unit layer columns (jointly over parents), then unit induced
                              ** columns ([b; -e] / sqrt 2 below the top layer) */
  RDN_DFP_LAYER = 1,          /* unit layer columns only */
  RDN_DFP_INDUCED_ONLY = 2,   /* weights as given, unit induced columns (degenerates if
                              ** minimised: SPEC §2.3) */
  RDN_DFP_NONE = 3            /* weights and columns as given */
} rdn_dfp_norm;
RDN_API rdn_status rdn_dfp_create(rdn_ctx *ctx, rdn_dfp **out, int layers, const size_t *widths,
                                  const unsigned char *adj);
RDN_API void rdn_dfp_destroy(rdn_dfp *p);
RDN_API void rdn_dfp_get_info(const rdn_dfp *p, rdn_dfp_info *info);
/* Layer j (1..l): packed offset, rows R_j and columns k_j of its weights. */
RDN_API rdn_status rdn_dfp_layer(const rdn_dfp *p, int j, size_t *offset, size_t *rows,
                                 size_t *cols);
/* fp = ||G~||_F^2 over the normalised induced Gram, dfp = fp / N_nz; count_diag = 0 leaves
** the diagonal out of both (N_nz - K).  w: f32/f64 with nweights elements.  A column that
** must be normalised but is zero is RDN_EVALUE naming the layer and unit. */
RDN_API rdn_status rdn_dfp_potential(rdn_dfp *p, const rdn_tensor *w, rdn_dfp_norm norm,
                                     int count_diag, double *fp, double *dfp);
/* Dense copies for inspection: the normalised induced frame out [N, K] and its Gram [K, K]
** (structural zeros exactly 0); out has w's dtype. */
RDN_API rdn_status rdn_dfp_frame(rdn_dfp *p, rdn_tensor *out, const rdn_tensor *w,
                                 rdn_dfp_norm norm);
RDN_API rdn_status rdn_dfp_gram(rdn_dfp *p, rdn_tensor *out, const rdn_tensor *w,
                                rdn_dfp_norm norm);
typedef struct {
  int restarts;               /* independent N(0, 1) starts, run side by side (>= 1) */
  int iters;                  /* gradient steps (>= 0); SPEC §2.3 used 6000 */
  double step;                /* step size (SPEC: 0.02) */
  uint64_t seed;
  rdn_dfp_norm norm;          /* INDUCED or LAYER */
  int count_diag;             /* only scales the reported DFP: the gradient is the same */
  int plain;                  /* 0: projected descent, weights kept on the unit sphere per
                              ** column (default); 1: SPEC's plain descent on unnormalised V
                              ** through V / ||V|| (slower: its step shrinks as ||V|| grows) */
} rdn_dfp_min_opts;
/* Data-free minimisation of the potential over unit-norm layer weights (gradient
** 4 B~ G~ on the weight positions, through the normalisation).  w receives the best
** restart's weights (unit layer columns), *best its fp, per_restart (restarts values, may be
** NULL) every restart's fp.  A diverging run (non-finite potential) is RDN_ENUMERIC. */
RDN_API rdn_status rdn_dfp_minimize(rdn_dfp *p, rdn_tensor *w, const rdn_dfp_min_opts *opts,
                                    double *best, double *per_restart);

/* Sparse coding: codes w [m, k] of samples x [m, d] (rows) over a frame b [d, k] minimise
**   1/2 ||x - w b^T||^2 + g(w),  g = lambda ||w||_1 (prox: soft threshold) or, with nonneg,
**   lambda^T w + indicator(w >= 0) (prox: max(v - t lambda, 0));
** lambda is one scalar, or lambdas [k] (one per atom; entries checked on the device). */
/* The fused proximal-gradient step w <- prox_{tau g}(w - tau u) (u: the gradient, same numel
** as w; atoms are w's last axis).  With w = 0, u = -x b and tau = 1 it is the ReLU /
** soft-threshold layer of SPEC §2.2. */
RDN_API rdn_status rdn_prox_step(rdn_ctx *ctx, rdn_tensor *w, const rdn_tensor *u, double tau,
                                 double lambda, const rdn_tensor *lambdas, int nonneg);
RDN_API rdn_status rdn_sparse_objective(rdn_ctx *ctx, double *out, const rdn_tensor *x,
                                        const rdn_tensor *b, const rdn_tensor *w, double lambda,
                                        const rdn_tensor *lambdas);
typedef enum {
  RDN_ISTA_AUTO = 0,          /* GRAM when k <= 2 d (fewer flops), else DIRECT */
  RDN_ISTA_GRAM = 1,          /* per step one GEMM w (b^T b) against x b, both formed once */
  RDN_ISTA_DIRECT = 2         /* per step two GEMMs: (w b^T - x) b */
} rdn_ista_form;
typedef struct {
  double lambda;              /* >= 0, used when lambdas is NULL */
  const rdn_tensor *lambdas;  /* per-atom thresholds [k] or NULL */
  int steps;                  /* >= 1 (the unrolled network's depth) */
  int fista;                  /* Beck-Teboulle momentum */
  int nonneg;
  int warm;                   /* start from the codes in w (else from 0) */
  double lipschitz;           /* step 1/L; 0: L = ||b||^2 by rdn_frame_norm2 */
  rdn_ista_form form;
  int allow_zero_atoms;       /* else an all-zero atom of b is RDN_EVALUE */
  double *objective;          /* NULL or steps + 1 values: at the start, after each step */
} rdn_ista_opts;
typedef struct {
  double lipschitz;           /* L used */
  int steps;
  int gram_form;
} rdn_ista_info;
/* ISTA / FISTA (SPEC §2.5) on the device, w in place; every step is one or two GEMMs and
** one fused prox kernel.  info may be NULL. */
RDN_API rdn_status rdn_ista(rdn_ctx *ctx, rdn_tensor *w, const rdn_tensor *x,
                            const rdn_tensor *b, const rdn_ista_opts *opts, rdn_ista_info *info);
/* Group soft-threshold (SPEC §5.3): d [nin, n] (atoms as columns), groups i32 [nin] gives
** the group (0..ngroups-1) of each input row; every block d[g, u] is scaled by
** max(0, 1 - t / ||d[g, u]||) (the prox of t ||.||_2).  norms [n, ngroups] (or NULL)
** receives the new block norms: the connectivity mask is norms > 0.  A group id outside
** [0, ngroups) or an empty group is RDN_EVALUE. */
RDN_API rdn_status rdn_group_shrink(rdn_ctx *ctx, rdn_tensor *d, const rdn_tensor *groups,
                                    int ngroups, double t, rdn_tensor *norms);
typedef enum { RDN_POOL_MAX = 0, RDN_POOL_L2 = 1, RDN_POOL_MEAN = 2 } rdn_pool_mode;
/* out [m, ngroups] pools the columns of x [m, n] over the groups of groups (i32 [n]). */
RDN_API rdn_status rdn_pool_groups(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x,
                                   const rdn_tensor *groups, int ngroups, rdn_pool_mode mode);
/* ==== end frames and sparse coding ====================================================== */

/* ==================== spectral ReduNet (issue 5: runtime/spectral.c, kernels/spectral.cl) */
/* Shift-invariant ReduNet in the spectral domain (SPEC §1.4-1.6).  A block of spectral
** layers works on spectra v c64 [F, m, C] (frequency first, so each frequency is one batch
** entry of the GEMMs and Cholesky calls): the ortho DFT (SPEC §0.2) along time of m
** signals [C, T] (rank 1) or over the plane of m images [C, H, W] (rank 2).  half = 1 keeps
** the R2C half spectrum, F = H (W/2 + 1) (rank 1: H = 1, W = T), and counts every stored
** column q twice (its mirror W - q) except q = 0 and q = W/2 (W even); half = 0 keeps all
** F = H W frequencies (reference mode: same results, about twice the work). */
typedef struct {
  int rank;        /* 1: signals of length w (h ignored); 2: images h x w */
  size_t h, w;
  int half;        /* 1: R2C half spectrum; 0: all frequencies */
} rdn_spectral_geom;
/* Number of stored frequencies F (0 for NULL). */
RDN_API size_t rdn_spectral_nfreq(const rdn_spectral_geom *g);
/* v [F, m, C] = DFT_ortho(x), x f32 [m, C, T] / [m, C, H, W] (finite; not normalised here).
** Lengths the FFT provider cannot do fail in rdn_fft_plan_create, naming the length. */
RDN_API rdn_status rdn_spectral_enter(rdn_ctx *ctx, rdn_tensor *v, const rdn_tensor *x,
                                      const rdn_spectral_geom *g);
/* x f32 [m, C, ...] = Re IDFT_ortho(v), each sample then renormalised to unit norm (clamp
** 1e-8, SPEC §1.12 item 6).  Half mode: the C2R transform (the imaginary parts of
** self-conjugate bins, zero up to rounding for ReduNet spectra, are dropped). */
RDN_API rdn_status rdn_spectral_leave(rdn_ctx *ctx, rdn_tensor *x, const rdn_tensor *v,
                                      const rdn_spectral_geom *g);
/* Shift-invariant read-out (SPEC §1.4: invariance comes from shift-invariant classifiers
** on top of the equivariant features): out f32 [m, C F] (any shape with m rows and m C F
** elements, sample-major, then channel, then frequency) = sqrt(mirror weight) |v[f, s, c]|,
** the per-channel magnitude spectrum.  Identical for all circular shifts of a sample (up to
** rounding); |out_s| = |x_s| in half mode as in full mode (Parseval). */
RDN_API rdn_status rdn_spectral_magnitude(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *v,
                                          const rdn_spectral_geom *g);
/* Layer operators of spectra v (unit norm over the whole C x T spectrum per sample) and
** labels (i32 [m], every class of [0, k) present): with a = C/(m eps_sq), a_j = C/(m_j
** eps_sq) and Sigma(p) = sum_i v_i(p) v_i(p)^H (SPEC §1.4, ortho DFT),
**   w[0, p] = conj E(p) = conj a (I + a Sigma(p))^-1,  w[j, p] = conj C^j(p) (class j-1),
** stored c64 [k+1, F, C, C] (conjugated: a row vector v^T times w[j, p] is (C^j(p) v)^T, so
** the layer is one batched GEMM per frequency).  Class Grams V_j(p)^H V_j(p) as batched
** GEMMs of the class-sorted spectra (Sigma is their sum), one batched Cholesky + logdet +
** inverse over all (k+1) F matrices.  gamma (k values, may be NULL)
** = m_j / m; rates (may be NULL) = {R, Rc, R - Rc} with the 1/(2 H W) normalisation of
** SPEC §1.4 (logdets weighted by the mirror count).  w NULL: rates only (no inverse).
** Errors: eps_sq <= 0 or non-finite, labels (range, count, empty class), NaN/Inf in v. */
RDN_API rdn_status rdn_spectral_operators(rdn_ctx *ctx, rdn_tensor *w, double *gamma,
                                          double *rates, const rdn_tensor *v,
                                          const rdn_tensor *labels, int k, double eps_sq,
                                          const rdn_spectral_geom *g);
/* One layer in place on v with operators w [k+1, F, C, C] from rdn_spectral_operators:
**   |c_j|^2 = sum_p weight(p) |C^j(p) v(p)|^2,  pi = softmax(-lambda max(|c_j|, 1e-8)) (or
**   one-hot(labels) when labels is not NULL),  v(p) += eta (E(p) v(p) - sum_j gamma_j pi_j
**   C^j(p) v(p)),  v /= max(|v|, 1e-8) with the norm over the whole spectrum.
** One pass over sample chunks: per chunk one batched GEMM per frequency applies all k + 1
** operators side by side (w is widened to [C, (k+1) C] per frequency, block by block),
** then class norms, memberships and the update.  The applied operators of a
** chunk, F (k+1) C c64 per sample, fit an eighth of the device memory (at most one
** allocation, within [64 MiB, 2 GiB]; RDN_SPECTRAL_CHUNK=n forces n samples per chunk, and
** RDN_SPECTRAL_FBLOCK=n n frequencies per GEMM block).  pi_out (f32, m k values) receives
** pi when not NULL. */
RDN_API rdn_status rdn_spectral_layer(rdn_ctx *ctx, rdn_tensor *v, const rdn_tensor *w,
                                      const double *gamma, double eta, double lambda,
                                      const rdn_tensor *labels, rdn_tensor *pi_out,
                                      const rdn_spectral_geom *g);
/* Woodbury form of the class operators (SPEC §1.11), for classes with fewer samples than
** channels (m_j < C):  C^j(p) v = a_j (v - V_j(p) (I/a_j + V_j(p)^H V_j(p))^-1 V_j(p)^H v)
** with the class spectra V_j(p) (C x m_j) stored class-major and the m_j x m_j inverses
** (batched Cholesky over the F frequencies per class); E stays direct (C x C).  Memory:
** (F C^2 + F m C + F sum m_j^2) c64 instead of (k+1) F C^2 (rdn_spectral_wb_bytes).
** create takes the arguments of rdn_spectral_operators (same gamma, rates and errors);
** rdn_spectral_layer_wb is rdn_spectral_layer with these operators (same results up to
** rounding).  The object keeps its tensors until destroy. */
typedef struct rdn_spectral_wb rdn_spectral_wb;
RDN_API rdn_status rdn_spectral_wb_create(rdn_ctx *ctx, rdn_spectral_wb **out, double *gamma,
                                          double *rates, const rdn_tensor *v,
                                          const rdn_tensor *labels, int k, double eps_sq,
                                          const rdn_spectral_geom *g);
RDN_API void rdn_spectral_wb_destroy(rdn_spectral_wb *wb);
RDN_API size_t rdn_spectral_wb_bytes(const rdn_spectral_wb *wb);
/* Its tensors (borrowed: e c64 [F, C, C] = conj E, zs c64 [F m, C] the class-major spectra,
** ninv c64 [F sum m_j^2] the inverses) and the k class counts, e.g. to save them; assemble
** rebuilds the object from them (retained) with the eps_sq of the construction. */
RDN_API void rdn_spectral_wb_parts(const rdn_spectral_wb *wb, rdn_tensor **e, rdn_tensor **zs,
                                   rdn_tensor **ninv, size_t *counts);
RDN_API rdn_status rdn_spectral_wb_assemble(rdn_ctx *ctx, rdn_spectral_wb **out, rdn_tensor *e,
                                            rdn_tensor *zs, rdn_tensor *ninv,
                                            const size_t *counts, int k, double eps_sq);
RDN_API rdn_status rdn_spectral_layer_wb(rdn_ctx *ctx, rdn_tensor *v, const rdn_spectral_wb *wb,
                                         const double *gamma, double eta, double lambda,
                                         const rdn_tensor *labels, rdn_tensor *pi_out,
                                         const rdn_spectral_geom *g);
/* Lifting filters (SPEC §1.6), circular cross-correlation on the device:
**   1-D: x [m, Cin, T], w [Cout, Cin, k] -> out [m, Cout, T],
**        out[s, o, t] = act(sum_{c, a} w[o, c, a] x[s, c, (t + a) mod T]);
**   2-D: x [m, Cin, H, W], w [Cout, Cin, kh, kw] -> out [m, Cout, H, W] likewise with
**        (h + a) mod H, (w + b) mod W (right/bottom circular padding by k - 1, no flip).
** act = ReLU when relu != 0.  f32/f64 (all three alike), finite x and w, kernel <= signal.
** rdn_lift is rdn_lift_method with RDN_LIFT_AUTO. */
RDN_API rdn_status rdn_lift(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x,
                            const rdn_tensor *w, int relu);
typedef enum {
  RDN_LIFT_AUTO = 0,    /* the cheaper of the two by the estimate below */
  RDN_LIFT_DIRECT = 1,  /* sum over the kernel taps, on a circularly extended copy of x */
  RDN_LIFT_FFT = 2      /* out = act(IDFT(sum_c conj(K^[o, c]) X^[c])), K zero-padded */
} rdn_lift_algo;
/* The lift by a chosen method.  FFT: R2C transforms of x (samples in chunks of <= 256 MiB of
** spectra) and of the zero-padded filters, one kernel for the per-frequency products over
** the half spectrum F = H (W/2+1), C2R into out, then rdn_relu; f32 only (the FFT provider is
** single precision: f64 is RDN_EUNSUPPORTED) and signal lengths the provider can do (clFFT:
** prime factors 2, 3, 5, 7, 11, 13; else RDN_EUNSUPPORTED naming the size).  Direct: x is
** extended circularly into a scratch copy (<= 4x x), then one vectorised kernel.  AUTO runs
** the FFT when r FFT < direct, with the flop estimates direct = 2 m Cout Cin H W kh kw and
** FFT = 2.5 N log2 N (m Cin + Cout Cin + m Cout) + 8 m Cout Cin F (N = H W: three batches of
** real transforms and the complex MACs) and r the relative cost of an FFT flop measured on
** PoCL by bench/bench_lift.c: 1.5 for 1-D transforms (H = 1), 8 for 2-D.  So on the paper's
** settings: direct for 28 x 28 with Cin = 1 (k = 3 and 7) and for T = 64, Cin = 1, k = 5;
** FFT for T = 64, Cin = 16, k = 5.  AUTO runs direct for f64 and when the provider cannot do
** the size.  Results of the two methods agree to f32 rounding (~1e-6 relative).  out must
** not overlap x or w.  RDN_LIFT_CHUNK=n (env) sets the FFT chunk to n samples. */
RDN_API rdn_status rdn_lift_method(rdn_ctx *ctx, rdn_tensor *out, const rdn_tensor *x,
                                   const rdn_tensor *w, int relu, rdn_lift_algo algo);
/* The method AUTO runs for these operands (RDN_LIFT_DIRECT or RDN_LIFT_FFT) in *algo; the
** operands are validated as by rdn_lift_method (data not read). */
RDN_API rdn_status rdn_lift_choose(rdn_ctx *ctx, const rdn_tensor *x, const rdn_tensor *w,
                                   rdn_lift_algo *algo);
/* ==================== end spectral ReduNet */

#ifdef __cplusplus
}
#endif
#endif /* RDN_H */
