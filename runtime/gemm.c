/* gemm.c -- placeholder until the GEMM provider lands. */
#include "rdn_impl.h"
void rdn__gemm_free(rdn_ctx *ctx) { (void)ctx; }
