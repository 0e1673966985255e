#!/usr/bin/env python3
"""Kymatio's NumPy frontend on the scattering bench's batch (bench/bench_scattering.c):
10000 float32 images 28 x 28, J = 2, L = 8, order 2.  Prints images per second (median of
`reps` timed runs after one warm-up).  Baseline for issue 6's "10x Kymatio" target; needs
`pip install kymatio` (0.3).  Usage: python3 bench/ref/kymatio_rate.py [m] [reps]"""
import sys
import time

import numpy as np
# the 2-D frontend directly: kymatio.numpy also imports the 3-D one, which needs
# scipy.special.sph_harm (removed in SciPy 1.15)
from kymatio.scattering2d.frontend.numpy_frontend import ScatteringNumPy2D as Scattering2D

m = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
x = np.random.default_rng(0).standard_normal((m, 28, 28)).astype(np.float32)
s = Scattering2D(J=2, shape=(28, 28), L=8, max_order=2)
s(x[:100])
times = []
for _ in range(reps):
    t0 = time.perf_counter()
    out = s(x)
    times.append(time.perf_counter() - t0)
t = sorted(times)[len(times) // 2]
import kymatio
print(f"| Kymatio {kymatio.__version__} NumPy frontend (numpy {np.__version__}) | {m} x 28 x 28, "
      f"J=2 L=8 | {t * 1000:.1f} ms | {m / t / 1000:.3f} k img/s, median of {reps} |")
