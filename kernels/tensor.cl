/*
** tensor.cl -- fill kernels used by rdn_tensor_fill.
*/
__kernel void fill(__global elem *x, ulong xoff, ulong n, real v) {
  x += xoff;
  FOR_EACH(i, n) {
#if RDN_COMPLEX
    x[i] = (elem)(v, 0);
#else
    x[i] = v;
#endif
  }
}

__kernel void fill_i32(__global int *x, ulong xoff, ulong n, int v) {
  x += xoff;
  FOR_EACH(i, n) x[i] = v;
}
