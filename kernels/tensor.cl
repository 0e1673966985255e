/*
** tensor.cl -- fill kernels used by rdn_tensor_fill.  One element per work-item and
** no loop: PoCL then vectorises across work-items (a grid-stride loop stops it).
*/
__kernel void fill(__global elem *x, ulong xoff, ulong n, real v) {
  size_t i = get_global_id(0);
  if (i >= n) return;
#if RDN_COMPLEX
  x[xoff + i] = (elem)(v, 0);
#else
  x[xoff + i] = v;
#endif
}

__kernel void fill_i32(__global int *x, ulong xoff, ulong n, int v) {
  size_t i = get_global_id(0);
  if (i < n) x[xoff + i] = v;
}
