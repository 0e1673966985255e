/*
** benchutil.h -- timing and table printing shared by bench/bench_*.c.
** Device times come from OpenCL events (RDN_PROFILE=1 is set by bu_ctx()); host
** baselines (OpenBLAS, FFTW, LAPACKE, memcpy) use a monotonic clock.  Each figure is the
** median of `reps` runs after `warm` warm-up runs.
*/
#ifndef RDN_BENCHUTIL_H
#define RDN_BENCHUTIL_H
#include "rdn.h"

double bu_now(void);                                /* seconds, monotonic */
rdn_ctx *bu_ctx(void);                              /* profiling ctx; prints "# device: …" */
/* First thing in main of a bench with an OpenBLAS baseline: OpenBLAS 0.3.21 picks slow
** AVX2 kernels on CPUs it does not know (Zen 5) and reads its core type when the library
** loads, so this sets OPENBLAS_CORETYPE=SkylakeX (unless set) and re-executes once. */
void bu_openblas_coretype(char **argv);
/* Median device seconds of fn(arg) (fn enqueues work on ctx; returns nonzero on error). */
double bu_device(rdn_ctx *ctx, int (*fn)(void *), void *arg, int warm, int reps);
/* Median wall seconds of a host function. */
double bu_host(void (*fn)(void *), void *arg, int warm, int reps);
/* Table: bu_head("GEMM", "baseline") then bu_row(...) per line. rate = work/sec in
** `unit` (work in GFLOP or GB); ratio = base_sec / sec (rdn speed relative to the
** baseline; > 1 means rdn is faster).  base_sec <= 0 prints "-". */
void bu_head(const char *title, const char *base_name);
void bu_row(const char *op, const char *shape, double sec, double work, const char *unit,
            double base_sec);
#endif
