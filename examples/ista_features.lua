-- ista_features.lua -- sparse codes over a Parseval frame as features (SPEC §2.5, §2.6's
-- training-free proxy): Fashion-MNIST images (centred, unit rows) are coded by K = 1, 5, 20
-- steps of ISTA and FISTA (an unrolled recurrent network) over an overcomplete Parseval frame
-- (1024 atoms: training images made Parseval by the polar iteration of SPEC §7.3 item 22),
-- and a closed-form ridge probe reports test accuracy against K; raw pixels as the baseline.
-- The excess objective per step of ISTA and FISTA is plotted (ista_features.svg in $RDN_OUT, or the
-- current directory; the temp directory in smoke mode).  A proxy, not a paper result.
-- RDN_SMOKE=1: 20 images per class at 14 x 14, a random Parseval frame of 256 atoms.
local rdn = require "rdn"
local smoke = os.getenv("RDN_SMOKE") == "1"
local dir = os.getenv("RDN_OUT") or (smoke and (os.getenv("TMPDIR") or "/tmp") or ".")
local ntr, nte = smoke and 20 or 500, smoke and 10 or 200
local train, err = rdn.data.fashion_mnist { split = "train", n_per_class = ntr }
if not train then
  print("Fashion-MNIST: skipped (" .. err .. ")")
  return
end
local test = assert(rdn.data.fashion_mnist { split = "test", n_per_class = nte })
local d = 784
if smoke then                       -- 14 x 14 images (2 x 2 block means) keep the smoke run fast
  local ids, ng = rdn.structure.image_groups(28, 28, 2)
  local g = rdn.tensor(ids, "i32")
  train.x, test.x = rdn.pool_groups(train.x, g, ng, "mean"), rdn.pool_groups(test.x, g, ng, "mean")
  d = ng
end

-- centre by the training mean, rows on the unit sphere
local ones = rdn.ones { train.x:dim(1), 1 }
local mean = rdn.matmul(ones, train.x, { ta = true, alpha = 1 / train.x:dim(1) })
local function prep(X)
  local Y = X:clone()
  rdn.gemm(rdn.ones { X:dim(1), 1 }, mean, Y, { alpha = -1, beta = 1 })
  return Y:normalize_rows(1e-12)
end
local Xtr, Xte = prep(train.x), prep(test.x)

-- the frame: atoms as rows W [k, d] -> polar factor P (PᵀP = I) -> B = Pᵀ [d, k], B Bᵀ = I
local k = smoke and 256 or 1024
local W
if smoke then
  W = rdn.randn { k, d, seed = 3 }
else
  local idx, N = {}, Xtr:dim(1)
  for i = 0, k - 1 do idx[i + 1] = (i * N) // k end          -- spread over the classes
  W = Xtr:gather_rows(rdn.tensor(idx, "i32"))
end
local t0 = rdn.clock()
local P = rdn.frames.parseval(W)
local B = rdn.transpose(P, k, d)
local st = rdn.frames.stats(B)
print(string.format("Parseval frame %d x %d (%s atoms): ||BBᵀ - I||_F = %.2e, coherence %.3f "
                    .. "(Welch %.3f), FP %.1f (bound %.1f), %.1f s", d, k,
                    smoke and "random" or "image", st.parseval_err, st.coherence, st.welch,
                    st.fp_unit, st.fp_bound, rdn.clock() - t0))

local lambda = 0.02
local raw = rdn.eval.ridge(Xtr, train.y, Xte, test.y, { alpha = 1 })
print(string.format("raw pixels + ridge: test accuracy %.4f", raw))
print(string.format("%-6s %3s %10s %10s %9s %7s", "alg", "K", "accuracy", "objective",
                    "nonzero", "time"))
local acc = { ISTA = {}, FISTA = {} }
local Ks = { 1, 5, 20 }
for _, alg in ipairs { "ISTA", "FISTA" } do
  for i, K in ipairs(Ks) do
    local layer = rdn.nn.ISTA { frame = B, lambda = lambda, steps = K, fista = alg == "FISTA" }
    local t1 = rdn.clock()
    local Ztr, info = layer:codes(Xtr, { objective = true })
    local Zte = layer:forward(Xte)
    local secs = rdn.clock() - t1
    acc[alg][i] = rdn.eval.ridge(Ztr, train.y, Zte, test.y, { alpha = 1 })
    print(string.format("%-6s %3d %10.4f %10.4f %8.1f%% %6.2fs", alg, K, acc[alg][i],
                        info.objective[#info.objective] / Xtr:dim(1),
                        100 * rdn.count_above(Ztr, 0) / Ztr:numel(), secs))
  end
end

-- excess objective per sample over 40 steps of each (log10, against the lowest value seen)
local series, curves, best = {}, {}, math.huge
for i, alg in ipairs { "ISTA", "FISTA" } do
  local layer = rdn.nn.ISTA { frame = B, lambda = lambda, steps = 40, fista = alg == "FISTA" }
  local _, info = layer:codes(Xtr, { objective = true })
  curves[i] = info.objective
  for j, v in ipairs(info.objective) do
    best = math.min(best, v)
    if alg == "ISTA" and j > 1 then
      assert(v <= info.objective[j - 1] * (1 + 1e-5), "ISTA objective increased")
    end
  end
end
for i, alg in ipairs { "ISTA", "FISTA" } do
  local y, x = {}, {}
  for j = 2, #curves[i] do
    x[j - 1], y[j - 1] = j - 1, math.log(math.max(curves[i][j] - best, 1e-9) / Xtr:dim(1), 10)
  end
  series[i] = { name = alg, x = x, y = y }
end
local out = dir .. "/ista_features.svg"
rdn.plot.lines { path = out, title = string.format("Fashion-MNIST codes, lambda = %g: excess "
                                                   .. "objective per sample", lambda),
                 xlabel = "step", ylabel = "log10(objective - lowest)", series = series }
print("wrote " .. out)
print("(training-free proxy of SPEC §2.6: the frame and the probe are closed form, no SGD)")
