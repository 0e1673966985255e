-- gaussian3d.lua -- 3 classes on S^2 around e1, e2, e3 (SPEC §1.7, §7.1 item 8), sigma =
-- 0.1, eta = 0.5, eps_sq = 0.1, lambda = 500: ΔR increases at every layer towards the
-- optimum 1.5 ln 11 - ½ ln 31 = 1.879849 (1.879804 after 300 layers with 200/class).
-- Full: 500 per class, 2000 layers.  RDN_SMOKE=1: 100 per class, 30 layers.  Writes
-- gaussian3d.svg to $RDN_OUT (or the current directory).
local rdn = require "rdn"
local smoke = os.getenv("RDN_SMOKE") == "1"
local n, L = smoke and 100 or 500, smoke and 30 or 2000
local dir = os.getenv("RDN_OUT") or (smoke and (os.getenv("TMPDIR") or "/tmp") or ".")
local out = dir .. "/gaussian3d.svg"

local train = rdn.data.gaussian_mixture { mode = 1, dim = 3, n_per_class = n, sigma = 0.1,
                                          seed = 3 }
local test = rdn.data.gaussian_mixture { mode = 1, dim = 3, n_per_class = n, sigma = 0.1, seed = 4 }
local net = rdn.nn.ReduNet { layers = L, eta = 0.5, eps_sq = 0.1, lambda = 500 }
local t0 = rdn.clock()
local log, Z = net:construct(train.x, train.y, { quiet = not smoke })
local optimum = 1.5 * math.log(11) - 0.5 * math.log(31)
print(string.format("ΔR %.6f -> %.6f after %d layers (optimum %.6f), %.2f s", log[1].dR,
                    log[#log].dR, L, optimum, rdn.clock() - t0))
local smallest = math.huge
for i = 2, #log do smallest = math.min(smallest, log[i].dR - log[i - 1].dR) end
print(string.format("smallest per-layer increase of ΔR: %.3g", smallest))
local Zte = net:forward(test.x)
print(string.format("kNN-5 test accuracy raw %.3f -> ReduNet %.3f",
                    rdn.eval.knn(train.x, train.y, test.x, test.y),
                    rdn.eval.knn(Z, train.y, Zte, test.y)))
rdn.plot.construction(out, log, string.format("Gaussian 3-D, %d/class: ΔR, R, Rc per layer", n))
print("wrote " .. out)
assert(smallest > -1e-5, "ΔR decreased")  -- f32 rounding near the optimum is ~1e-6
