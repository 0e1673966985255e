#!/usr/bin/env python3
"""gen_kymatio.py -- known-answer data for tests/test_scattering.c from Kymatio's NumPy
frontend (kymatio 0.3.0, scipy.fft, float64).  Run once, outside the build, from a venv:
    python3 -m venv /tmp/ky && /tmp/ky/bin/pip install kymatio==0.3.0 "numpy<2" "scipy<1.14"
    /tmp/ky/bin/python tests/data/gen_kymatio.py tests/data
Cases (name: images, shape, J, L, max_order, padding; inputs uniform [0, 1), seed 2024 + i):
  a: 4 x 32x32, J=2, L=8, order 2, reflect (Kymatio's Scattering2D(J=2, shape=(32, 32), L=8))
  b: 2 x 21x20, J=3, L=6, order 2, reflect (odd size: uneven padding 5 + 6)
  c: 3 x 16x16, J=1, L=3, order 1, reflect
  p: 2 x 32x32, J=2, L=8, order 2, periodic: Kymatio's core scattering2d() with the filter
     bank built on the unpadded 32x32 grid and identity pad/unpad
Files: kym_<case>_x.npy (float64 [n, M, N]), kym_<case>_s.npy (float64 [n, K, h, w]) and,
for case a, kym_a_phi0.npy (float64 [40, 40], low-pass level 0) and kym_a_psi0.npy (float32
[16, 40, 40], the wavelets at level 0, Fourier domain, real)."""
import os
import sys

import numpy as np
from kymatio.numpy import Scattering2D
from kymatio.scattering2d.backend.numpy_backend import backend
from kymatio.scattering2d.core.scattering2d import scattering2d
from kymatio.scattering2d.filter_bank import filter_bank

CASES = [("a", 4, (32, 32), 2, 8, 2, "reflect"), ("b", 2, (21, 20), 3, 6, 2, "reflect"),
         ("c", 3, (16, 16), 1, 3, 1, "reflect"), ("p", 2, (32, 32), 2, 8, 2, "periodic")]


def main(out):
    for i, (name, n, shape, J, L, order, pad) in enumerate(CASES):
        x = np.random.default_rng(2024 + i).random((n,) + shape)
        if pad == "reflect":
            S = Scattering2D(J=J, shape=shape, L=L, max_order=order)
            s = S(x)
        else:
            f = filter_bank(shape[0], shape[1], J, L)
            ident = lambda u: u
            s = scattering2d(x, ident, ident, backend, J, L, f["phi"], f["psi"], order)
        np.save(os.path.join(out, "kym_%s_x.npy" % name), x)
        np.save(os.path.join(out, "kym_%s_s.npy" % name), s)
        print(name, x.shape, "->", s.shape)
        if name == "a":
            np.save(os.path.join(out, "kym_a_phi0.npy"), S.phi["levels"][0])
            psi0 = np.stack([p["levels"][0] for p in S.psi]).astype(np.float32)
            np.save(os.path.join(out, "kym_a_psi0.npy"), psi0)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__)))
