-- rdn/nn/ReduNet1D.lua -- the shift-invariant ReduNet for signals [m, C, T] (circular time shifts)
-- in the spectral domain (SPEC §1.4): rdn.nn.ReduNet1D{ layers, eta, eps_sq, lambda,
-- membership }.  The body is shared with ReduNet2D in rdn/nn/spectral.lua.
return require("rdn.nn.spectral").class("ReduNet1D", 1)
