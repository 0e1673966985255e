-- fashion_mnist_translation2d.lua -- translation-invariant ReduNet on Fashion-MNIST (SPEC
-- §1.5, §1.10): 50 training images per class, lifted by 35 random 9x9 N(0, 1) filters +
-- ReLU (circular padding), then 5 spectral ReduNet2D layers (eta = 0.5, eps_sq = 0.1,
-- lambda = 500); 100 test images per class, tested as they are and circularly shifted by
-- (5, -7) pixels, on the features and on their shift-invariant read-out (|DFT|, where the
-- shifted set scores as the original).  Reference (NumPy float64, SPEC §1.10): raw
-- 0.779/0.738/0.775, lift 0.788/0.732/0.794, lift + ReduNet 0.782/0.750/0.784 (ridge /
-- kNN-5 / nearest subspace; unshifted).
-- Writes fashion_mnist_translation2d.svg to $RDN_OUT (or .).  RDN_SMOKE=1: 8 + 6 per class,
-- 4 channels, 1 layer.  Data: Debian's dataset-fashion-mnist (RDN_DATA overrides).
local rdn = require "rdn"
local S = require "rdn.nn.spectral"
local smoke = os.getenv("RDN_SMOKE") == "1"
local ntr, nte = smoke and 8 or 50, smoke and 6 or 100
local C, L = smoke and 4 or 35, smoke and 1 or 5
local dir = os.getenv("RDN_OUT") or (smoke and (os.getenv("TMPDIR") or "/tmp") or ".")
local out = dir .. "/fashion_mnist_translation2d.svg"

local train, err = rdn.data.fashion_mnist { split = "train", n_per_class = ntr }
if not train then
  print("skipped: " .. err)
  return
end
local test = assert(rdn.data.fashion_mnist { split = "test", n_per_class = nte })
local Xtr = train.x:reshape(train.x:dim(1), 1, 28, 28)
local Xte = test.x:reshape(test.x:dim(1), 1, 28, 28)
local Xsh = S.circshift(Xte, 5, -7)

-- ridge solves a d x d system: only on raw pixels (d = 784), not on lifted features
-- (d = 35 x 784 = 27440, ~10^13 flops)
local function report(tag, Ztr, Zte, Zsh)
  local line = {}
  local small = Ztr:numel() // Ztr:dim(1) <= 4096
  local tests = { { "kNN-5", rdn.eval.knn, { k = 5 } },
                  { "NS-10", rdn.eval.nearest_subspace,
                    { components = smoke and 2 or 10, iters = smoke and 10 or 100 } } }
  if small then table.insert(tests, 1, { "ridge", rdn.eval.ridge, { alpha = 1 } }) end
  for _, c in ipairs(tests) do
    local ok, a = pcall(c[2], Ztr, train.y, Zte, test.y, c[3])
    local ok2, b = pcall(c[2], Ztr, train.y, Zsh, test.y, c[3])
    line[#line + 1] = string.format("%s %s / shifted %s", c[1], ok and string.format("%.3f", a)
                                    or "n/a", ok2 and string.format("%.3f", b) or "n/a")
  end
  print(string.format("%-22s %s", tag, table.concat(line, "   ")))
end

-- each representation twice: as it is (equivariant, so shifted copies score ~chance) and
-- through the shift-invariant read-out S.invariant (per-channel |DFT| over the plane, SPEC
-- §1.4): the shifted test set then scores exactly as the original one.
local function both(tag, Ztr, Zte, Zsh)
  report(tag, Ztr, Zte, Zsh)
  report(tag .. " |DFT|", S.invariant(Ztr), S.invariant(Zte), S.invariant(Zsh))
end

both("raw", Xtr, Xte, Xsh)
local lift = rdn.nn.Lift2D { channels = C, kernel = 9, seed = 0 }
local redunet = rdn.nn.ReduNet2D { layers = L, eta = 0.5, eps_sq = 0.1, lambda = 500 }
local _, Ltr = lift:construct(Xtr)
both("lift", Ltr, lift:forward(Xte), lift:forward(Xsh))
local t0 = rdn.clock()
local log, Z = redunet:construct(Ltr, train.y, { quiet = not smoke })
print(string.format("%s: ΔR %.4f -> %.4f, %.2f s, operators %.1f MiB per layer", tostring(redunet),
                    log[1].dR, log[#log].dR, rdn.clock() - t0, log[#log].memory / 2 ^ 20))
both("lift + ReduNet", Z, redunet:forward(lift:forward(Xte)),
       redunet:forward(lift:forward(Xsh)))
rdn.plot.construction(out, log, string.format("Fashion-MNIST 2-D, %d/class, C = %d", ntr, C))
print("wrote " .. out)
