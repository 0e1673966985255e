-- rdn/nn/ReduNet2D.lua -- the shift-invariant ReduNet for images [m, C, H, W] (translations)
-- in the spectral domain (SPEC §1.5): rdn.nn.ReduNet2D{ layers, eta, eps_sq, lambda,
-- membership }.  The body is shared with ReduNet1D in rdn/nn/spectral.lua.
return require("rdn.nn.spectral").class("ReduNet2D", 2)
