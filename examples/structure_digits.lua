-- structure_digits.lua -- structure learning by global group sparse coding (SPEC §5.3, a
-- RECONSTRUCTION of arXiv 2105.13905, not the paper's algorithm) on sklearn digits (8 x 8,
-- one group per pixel) and Fashion-MNIST (28 x 28, one group per 2 x 2 block).  Reports
-- what SPEC §5.4 says is meaningful offline: (i) the spatial spread of the learned
-- connectivity masks (local receptive fields have a small spread; a unit reading the whole
-- image has the spread of the grid), (ii) the entropy proxy R(Y) of the first layer as a
-- function of lambda_A, (iii) R(Y) and ridge-probe test accuracy per layer, with the depth
-- chosen by the rate-gain rule.  Writes structure_digits.svg (R and accuracy vs lambda_A) in
-- $RDN_OUT, or the current directory (the temp directory in smoke mode).
-- RDN_SMOKE=1: few samples, few iterations.
local rdn = require "rdn"
local S = rdn.structure
local smoke = os.getenv("RDN_SMOKE") == "1"
local dir = os.getenv("RDN_OUT") or (smoke and (os.getenv("TMPDIR") or "/tmp") or ".")

-- Spread of a full mask over the grid (every group connected, equal weights).
local function grid_spread(pos)
  local n, my, mx, s = #pos, 0, 0, 0
  for _, p in ipairs(pos) do my, mx = my + p[1] / n, mx + p[2] / n end
  for _, p in ipairs(pos) do s = s + ((p[1] - my) ^ 2 + (p[2] - mx) ^ 2) / n end
  return math.sqrt(s)
end

-- Per-layer features: the learned net's children one by one; a layer's output is that of
-- its last child (ReLU, or GroupPool when pooling).
local function layer_features(net, X)
  local res, H, l = {}, X, 0
  for _, c in ipairs(net.children) do
    H = c:forward(H)
    if getmetatable(c).__name == "Linear" then l = l + 1 else res[l] = H end
  end
  return res
end

local function run(name, Xtr, ytr, Xte, yte, cfg)
  print(string.format("== %s: %d train / %d test samples, %d inputs, %d groups of %s", name,
                      Xtr:dim(1), Xte:dim(1), Xtr:dim(2), cfg.ngroups, cfg.group_desc))
  local raw = rdn.eval.ridge(Xtr, ytr, Xte, yte, { alpha = 1 })
  print(string.format("raw pixels: R = %.3f, ridge test accuracy %.4f", S.rate(Xtr), raw))
  -- (ii) R(Y) of one layer against lambda_A
  local lams, Rs, accs = cfg.lambdas, {}, {}
  print(string.format("%-9s %9s %10s %9s %9s %8s", "lambda_A", "R(Y)", "R / unit", "active",
                      "spread", "probe"))
  for i, la in ipairs(lams) do
    local r = S.learn(Xtr, { groups = cfg.groups, units = cfg.units, lambda_a = la,
                             lambda_g = cfg.lambda_g, max_layers = 1, iters = cfg.iters,
                             tol = 1e-6 })
    local L = r.layers[1]
    local spread, active = S.spread(L, cfg.positions)
    local Yte = r.net:forward(Xte)
    Rs[i], accs[i] = L.R, rdn.eval.ridge(L.features, ytr, Yte, yte, { alpha = 1 })
    print(string.format("%-9g %9.3f %10.4f %9.1f %9.2f %8.4f", la, L.R, L.R_unit, active, spread,
                        accs[i]))
  end
  print(string.format("(spread of a unit reading the whole grid: %.2f; active = connected "
                      .. "groups per unit, out of %d)", grid_spread(cfg.positions), cfg.ngroups))
  -- (iii) a deep structure: every layer up to max_layers is built (gain_threshold = -inf) so
  -- the probe can be read per layer; the rate-gain rule's choice is marked
  local r = S.learn(Xtr, { groups = cfg.groups, units = cfg.units, lambda_a = cfg.lambda_a,
                           lambda_g = cfg.lambda_g, max_layers = cfg.max_layers,
                           gain_threshold = -math.huge, iters = cfg.iters, tol = 1e-6,
                           pool = cfg.pool })
  local ftr, fte = layer_features(r.net, Xtr), layer_features(r.net, Xte)
  print(string.format("deep structure (lambda_A %g, lambda_G %g, %s pooling):", cfg.lambda_a,
                      cfg.lambda_g, cfg.pool and "with" or "no"))
  local depth
  for l, L in ipairs(r.layers) do
    local acc = rdn.eval.ridge(ftr[l], ytr, fte[l], yte, { alpha = 1 })
    if not depth and l > 1 and L.gain <= cfg.gain_threshold then depth = l - 1 end
    print(string.format("  layer %d: %d units, R = %.3f (%.4f / unit, gain %+.4f), %.1f active "
                        .. "inputs, %d dead, %s, probe %.4f", l, L.D:dim(2), L.R, L.R_unit, L.gain,
                        L.active, L.dead, L.pool and ("pooled to " .. L.pool.clusters) or "no pool",
                        acc))
  end
  print(string.format("  depth chosen by the rate-gain rule (gain per unit > %g): %d",
                      cfg.gain_threshold, depth or r.depth))
  print(r.net)
  return lams, Rs, accs
end

local series = {}
local digits = rdn.data.csv("tests/data/digits.csv.gz")
local itr, ite = rdn.data.split("tests/data/digits_split.txt")
if digits and itr then
  if smoke then itr, ite = { table.unpack(itr, 1, 300) }, { table.unpack(ite, 1, 100) } end
  itr, ite = rdn.tensor(itr, "i32"), rdn.tensor(ite, "i32")
  local ids, ng, pos = S.image_groups(8, 8, 1)
  local lams, Rs, accs = run("sklearn digits", digits.x:gather_rows(itr):scale(1 / 16),
    digits.y:gather_rows(itr), digits.x:gather_rows(ite):scale(1 / 16), digits.y:gather_rows(ite),
    { groups = ids, ngroups = ng, positions = pos, group_desc = "1 pixel", units = 64,
      lambdas = smoke and { 0.05, 0.2 } or { 0.01, 0.02, 0.05, 0.1, 0.2, 0.4 },
      lambda_a = 0.05, lambda_g = 0.005, iters = smoke and 5 or 200, max_layers = 3,
      gain_threshold = 0, pool = { clusters = 32 } })
  series[#series + 1] = { name = "digits R(Y) / 10", x = lams, y = {} }
  series[#series + 1] = { name = "digits probe acc.", x = lams, y = accs }
  for i, v in ipairs(Rs) do series[#series - 1].y[i] = v / 10 end
else
  print("digits: skipped (tests/data/digits.csv.gz or digits_split.txt not found)")
end

local ntr, nte = smoke and 10 or 100, smoke and 10 or 50
local train, err = rdn.data.fashion_mnist { split = "train", n_per_class = ntr }
if train then
  local test = assert(rdn.data.fashion_mnist { split = "test", n_per_class = nte })
  local ids, ng, pos = S.image_groups(28, 28, 2)
  local lams, Rs, accs = run("Fashion-MNIST", train.x, train.y, test.x, test.y,
    { groups = ids, ngroups = ng, positions = pos, group_desc = "2 x 2 pixels",
      units = smoke and 16 or 128, lambdas = smoke and { 0.05 } or { 0.02, 0.05, 0.1, 0.2 },
      lambda_a = 0.05, lambda_g = 0.05, iters = smoke and 3 or 150, max_layers = smoke and 2 or 3,
      gain_threshold = 0, pool = { clusters = smoke and 8 or 64 } })
  series[#series + 1] = { name = "F-MNIST R(Y) / 10", x = lams, y = {} }
  series[#series + 1] = { name = "F-MNIST probe acc.", x = lams, y = accs }
  for i, v in ipairs(Rs) do series[#series - 1].y[i] = v / 10 end
else
  print("Fashion-MNIST: skipped (" .. err .. ")")
end

if #series > 0 then
  local out = dir .. "/structure_digits.svg"
  rdn.plot.lines { path = out, title = "structure learning: first-layer R(Y) and probe accuracy "
                   .. "vs lambda_A", xlabel = "lambda_A", ylabel = "nats / 10, accuracy",
                   series = series }
  print("wrote " .. out)
end
print("(SPEC §5: a reconstruction; the paper's algorithm and numbers were not available)")
