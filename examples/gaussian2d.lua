-- gaussian2d.lua -- the ReduNet paper's 2-class S^1 case (SPEC §1.7, §7.1 item 8): 500
-- samples per class around (1, 0) and (0, 1), sigma = 0.1, on the circle; 2000 layers with
-- eta = 0.5, eps_sq = 0.1, lambda = 500.  ΔR climbs to the optimum ln 11 - ½ ln 21 =
-- 0.875634 (classes mapped to orthogonal lines).  Writes gaussian2d.svg to $RDN_OUT (or
-- the current directory; the temp directory in smoke mode).  RDN_SMOKE=1: 100 per class, 30 layers.
local rdn = require "rdn"
local smoke = os.getenv("RDN_SMOKE") == "1"
local n, L = smoke and 100 or 500, smoke and 30 or 2000
local dir = os.getenv("RDN_OUT") or (smoke and (os.getenv("TMPDIR") or "/tmp") or ".")
local out = dir .. "/gaussian2d.svg"

local train = rdn.data.gaussian_mixture { mode = 1, dim = 2, n_per_class = n, sigma = 0.1,
                                          seed = 1 }
local test = rdn.data.gaussian_mixture { mode = 1, dim = 2, n_per_class = n, sigma = 0.1, seed = 2 }
local net = rdn.nn.ReduNet { layers = L, eta = 0.5, eps_sq = 0.1, lambda = 500 }
print(net)
local t0 = rdn.clock()
local log, Z = net:construct(train.x, train.y, { quiet = not smoke and true or false })
local secs = rdn.clock() - t0
local optimum = math.log(11) - 0.5 * math.log(21)
local first, last = log[1], log[#log]
print(string.format("ΔR %.6f -> %.6f after %d layers (optimum %.6f, gap %.2e), %.2f s",
                    first.dR, last.dR, L, optimum, optimum - last.dR, secs))
for _, l in ipairs { 10, 100, 500, 1000 } do
  if log[l + 1] then print(string.format("  layer %4d  ΔR %.6f", l, log[l + 1].dR)) end
end
-- near the optimum f32 rounding moves ΔR by ~1e-6 either way: count real decreases only
local drops = 0
for i = 2, #log do if log[i].dR < log[i - 1].dR - 1e-5 then drops = drops + 1 end end
print(string.format("layers where ΔR decreased by more than 1e-5: %d", drops))

local Zte = net:forward(test.x)
for _, c in ipairs { { "kNN-5", rdn.eval.knn, { k = 5 } },
                     { "nearest subspace (1)", rdn.eval.nearest_subspace, { components = 1 } } } do
  local raw = c[2](train.x, train.y, test.x, test.y, c[3])
  local after = c[2](Z, train.y, Zte, test.y, c[3])
  print(string.format("%-22s test accuracy raw %.3f -> ReduNet %.3f", c[1], raw, after))
end
rdn.plot.construction(out, log, string.format("Gaussian 2-D, %d/class: ΔR, R, Rc per layer", n))
print("wrote " .. out)
if not smoke then assert(math.abs(last.dR - optimum) < 1e-4, "ΔR did not reach the optimum") end
assert(drops == 0, "ΔR decreased")
