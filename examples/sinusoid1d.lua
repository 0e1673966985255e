-- sinusoid1d.lua -- SPEC §1.10 / §7.2 item 17: shift-invariant classification of noisy
-- sinusoids (mode 7: sin x | sign(sin x) + N(0, 0.1^2), T = 150, 400 per class), lifted by
-- 7 random N(0, 1) filters of width 3 + ReLU, then 200 spectral ReduNet layers (eta = 0.1,
-- eps_sq = 0.1, lambda = 500).  Reports accuracy on the test set and on circularly shifted
-- copies (the classifiers read all features, so they are not exactly shift-invariant: the
-- features are, test_spectral checks that) and writes sinusoid1d.svg to $RDN_OUT (or .).
-- RDN_SMOKE=1: 40 per class, 8 layers.
local rdn = require "rdn"
local S = require "rdn.nn.spectral"
local smoke = os.getenv("RDN_SMOKE") == "1"
local n, L = smoke and 40 or 400, smoke and 8 or 200
local dir = os.getenv("RDN_OUT") or (smoke and (os.getenv("TMPDIR") or "/tmp") or ".")
local out = dir .. "/sinusoid1d.svg"

local train = rdn.data.sinusoid { mode = 7, n_per_class = n, T = 150, seed = 1 }
local test = rdn.data.sinusoid { mode = 7, n_per_class = n, T = 150, seed = 2 }
local net = rdn.nn.Sequential {
  rdn.nn.Lift1D { channels = 7, kernel = 3, seed = 10 },
  rdn.nn.ReduNet1D { layers = L, eta = 0.1, eps_sq = 0.1, lambda = 500 },
}
print(net)
local t0 = rdn.clock()
local logs, Z = net:construct(train.x, train.y, { quiet = not smoke })
local log = logs[2]
print(string.format("ΔR %.6f -> %.6f after %d layers, %.2f s (operators %.2f MiB per layer)",
                    log[1].dR, log[#log].dR, L, rdn.clock() - t0, log[#log].memory / 2 ^ 20))
local shifted = S.circshift(test.x, 37)
local Zte, Zsh = net:forward(test.x), net:forward(shifted)
local accs = {}
for _, c in ipairs { { "ridge", rdn.eval.ridge, {} }, { "kNN-5", rdn.eval.knn, { k = 5 } },
                     { "nearest subspace (10)", rdn.eval.nearest_subspace,
                       { components = 10 } } } do
  local raw = c[2](train.x, train.y, test.x, test.y, c[3])
  local rawsh = c[2](train.x, train.y, shifted, test.y, c[3])
  local after = c[2](Z, train.y, Zte, test.y, c[3])
  local aftsh = c[2](Z, train.y, Zsh, test.y, c[3])
  accs[c[1]] = after
  print(string.format("%-22s test accuracy raw %.3f (shifted %.3f) -> ReduNet %.3f (shifted %.3f)",
                      c[1], raw, rawsh, after, aftsh))
end
rdn.plot.construction(out, log, string.format("Sinusoids (mode 7), %d/class: ΔR, R, Rc", n))
print("wrote " .. out)
if not smoke then
  for name, a in pairs(accs) do assert(a >= 0.98, name .. " accuracy below 0.98") end
end
