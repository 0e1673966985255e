/*
** hostcopy.h -- the host baseline of the streaming benches (bench_stream.c,
** bench_scattering.c): memcpy split over `nthreads` threads, like STREAM's copy kernel.
** Header-only (static functions).
*/
#ifndef RDN_BENCH_HOSTCOPY_H
#define RDN_BENCH_HOSTCOPY_H
#include <pthread.h>
#include <string.h>

typedef struct { char *dst; const char *src; size_t len; } hc_part;

static void *hc_copy_part(void *p) {
  hc_part *q = p;
  memcpy(q->dst, q->src, q->len);
  return NULL;
}

/* Copies `bytes` from src to dst in nthreads (1..64) equal slices, one per thread. */
static void hc_copy(char *dst, const char *src, size_t bytes, int nthreads) {
  pthread_t th[64];
  hc_part pt[64] = { { 0 } };
  size_t per = bytes / (size_t)nthreads;
  for (int i = 0; i < nthreads; i++) {
    size_t off = (size_t)i * per, len = i == nthreads - 1 ? bytes - off : per;
    pt[i] = (hc_part){ dst + off, src + off, len };
    if (i > 0) pthread_create(&th[i], NULL, hc_copy_part, &pt[i]);
  }
  hc_copy_part(&pt[0]);
  for (int i = 1; i < nthreads; i++) pthread_join(th[i], NULL);
}

#endif
