/* fft.c -- placeholder until the FFT provider lands. */
#include "rdn_impl.h"
void rdn__fft_free(rdn_ctx *ctx) { (void)ctx; }
