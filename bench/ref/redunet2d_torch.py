#!/usr/bin/env python3
"""A PyTorch port of the reference shift-invariant ReduNet layer as SPEC §1.4-1.5 describe
the reference code (Fourier2D): ortho 2-D DFT, all H x W frequencies (no conjugate-symmetry
shortcut), per-frequency covariances by einsum, E and C^j by torch.linalg.inv, application by
einsum, soft membership softmax(-lambda ||c_j||), update, renormalisation.  Written here
from the SPEC's description (not the reference code itself) to time the reference's
algorithm on this machine: bench_spectral quotes the issue's numbers, this script measures.
Usage: python3 bench/ref/redunet2d_torch.py C m [reps]  (28 x 28, k = 10, float32)."""
import sys
import time

import torch

C = int(sys.argv[1]) if len(sys.argv) > 1 else 35
m = int(sys.argv[2]) if len(sys.argv) > 2 else 500
reps = int(sys.argv[3]) if len(sys.argv) > 3 else 3
k, H, W, eps, eta, lam = 10, 28, 28, 0.1, 0.5, 500.0
g = torch.Generator().manual_seed(0)
Z = torch.randn(m, C, H, W, generator=g)
y = torch.arange(m) % k
Z = Z / Z.flatten(1).norm(dim=1).view(m, 1, 1, 1)
V = torch.fft.fft2(Z, norm="ortho")                       # [m, C, H, W] complex64
I = torch.eye(C, dtype=V.dtype)


def op(Vs, a):
    S = torch.einsum("bipq,bjpq->pqij", Vs, Vs.conj())    # [H, W, C, C]
    return a * torch.linalg.inv(I + a * S)


def layer(V):
    E = op(V, C / (m * eps))
    Cs = [op(V[y == j], C / (int((y == j).sum()) * eps)) for j in range(k)]
    gam = torch.tensor([float((y == j).sum()) / m for j in range(k)])
    e = torch.einsum("pqhi,bipq->bhpq", E, V)
    c = torch.stack([torch.einsum("pqhi,bipq->bhpq", Cj, V) for Cj in Cs])   # [k, m, C, H, W]
    nrm = c.abs().pow(2).flatten(2).sum(2).sqrt()        # [k, m]
    pi = torch.softmax(-lam * nrm.clamp_min(1e-8), dim=0)
    V = V + eta * (e - (gam.view(k, 1) * pi).view(k, m, 1, 1, 1).mul(c).sum(0))
    return V / V.flatten(1).norm(dim=1).view(m, 1, 1, 1)


times = []
with torch.no_grad():
    # untimed warm-up on a slice (first-call library set-up stays out of the timing)
    Vw = V[: 4 * k]
    torch.einsum("pqhi,bipq->bhpq", op(Vw, 1.0), Vw).abs().sum()
    for _ in range(reps):
        t0 = time.perf_counter()
        layer(V)
        times.append(time.perf_counter() - t0)
t = sorted(times)[len(times) // 2]
print(f"| PyTorch port (torch {torch.__version__}, {torch.get_num_threads()} threads) | 2-D "
      f"C={C} 28x28 m={m} k={k} | {t * 1000:.1f} ms | median of {reps} |")
