-- test_redunet.lua -- rdn.nn.ReduNet / Sequential, rdn.eval and model files: ΔR
-- non-decreasing on the Gaussian cases and reaching the SPEC §7.1 optimum, the initial
-- ΔR against a float64 host computation, Iris and digits numbers of SPEC §1.10, forward on
-- the construction data = construction output, save/load bit-identical, update, and
-- every bad-input case (message checked).
local rdn = require "rdn"
local T = dofile("tests/testlib.lua")
local tmp = os.tmpname()
os.remove(tmp)
os.execute("mkdir -p " .. tmp)

local function same(a, b) return a:clone():axpby(-1, b, 1):sumsq() == 0 end
local function maxdiff(a, b) local d = a:clone():axpby(-1, b, 1) return math.sqrt(d:sumsq()) end

-- host float64 ΔR of unit rows (d = 2 or 3) for the initial log entry
local function host_mcr2(X, y, k, eps)
  local rows, lab = X:totable(), y:totable()
  local d, m = #rows[1], #rows
  local function logdet(sel)
    local n, G = 0, {}
    for i = 1, d do G[i] = {} for j = 1, d do G[i][j] = 0 end end
    for s, r in ipairs(rows) do
      if sel(s) then
        n = n + 1
        for i = 1, d do for j = 1, d do G[i][j] = G[i][j] + r[i] * r[j] end end
      end
    end
    local a, ld = d / (n * eps), 0
    for i = 1, d do for j = 1, d do G[i][j] = (i == j and 1 or 0) + a * G[i][j] end end
    for j = 1, d do                       -- Cholesky
      local s = G[j][j]
      for p = 1, j - 1 do s = s - G[j][p] ^ 2 end
      G[j][j] = math.sqrt(s)
      ld = ld + 2 * math.log(G[j][j])
      for i = j + 1, d do
        local t = G[i][j]
        for p = 1, j - 1 do t = t - G[i][p] * G[j][p] end
        G[i][j] = t / G[j][j]
      end
    end
    return ld, n
  end
  local R = 0.5 * logdet(function() return true end)
  local Rc = 0
  for j = 0, k - 1 do
    local ld, n = logdet(function(s) return lab[s] == j end)
    Rc = Rc + n / (2 * m) * ld
  end
  return R - Rc, R, Rc
end

-- 1. Gaussian 2-D: initial ΔR vs the host, monotone ascent, optimum ln 11 - ½ ln 21 ----
local g = rdn.data.gaussian_mixture { n_per_class = 100, sigma = 0.1, seed = 1 }
local net = rdn.nn.ReduNet { layers = 300, eta = 0.5, eps_sq = 0.1, lambda = 500 }
local log, Z = net:construct(g.x, g.y, { quiet = true, log = tmp .. "/log.csv" })
local dR0, R0, Rc0 = host_mcr2(g.x, g.y, 2, 0.1)
T.near(log[1].dR, dR0, 1e-5, "initial ΔR vs float64 host")
T.near(log[1].R, R0, 1e-5, "initial R vs float64 host")
T.near(log[1].Rc, Rc0, 1e-5, "initial Rc vs float64 host")
T.ok(#log == 301 and log[301].layer == 300, "log has layers 0..L")
local worst = 0
for i = 2, #log do worst = math.min(worst, log[i].dR - log[i - 1].dR) end
T.ok(worst > -1e-5, "ΔR non-decreasing (2-D), worst step " .. worst)
local optimum = math.log(11) - 0.5 * math.log(21)
T.near(log[#log].dR, optimum, 1e-4, "2-D Gaussian reaches ln 11 - ½ ln 21")
T.near(log[#log].R, math.log(11), 2e-4, "R -> ln 11")
local dRz = host_mcr2(Z, g.y, 2, 0.1)
T.near(dRz, log[#log].dR, 1e-4, "last log entry describes the output features")
if rdn.rate then   -- the coding-rate module computes the same numbers its own way
  local a, b, c = rdn.rate.mcr2(Z, g.y, 0.1)
  T.ok(math.abs(a - log[#log].dR) < 1e-5 and math.abs(b - log[#log].R) < 1e-5 and
       math.abs(c - log[#log].Rc) < 1e-5, "log agrees with rdn.rate.mcr2")
end
local csv = io.open(tmp .. "/log.csv"):read("a")
T.ok(csv:find("^layer,dR,R,Rc,time\n0,") and select(2, csv:gsub("\n", "")) == 302, "log csv")
-- forward on the construction data equals the construction output, bit for bit
T.ok(same(net:forward(g.x), Z), "forward(train) == construction output")
-- test features: unit rows (SPEC §7.1 item 10), batch independence
local te = rdn.data.gaussian_mixture { n_per_class = 50, sigma = 0.1, seed = 2 }
local Zte = net:forward(te.x)
T.near(Zte:sumsq(), 100, 1e-4, "unit rows after forward")
local one = net:forward(te.x:rows(7, 1))
T.ok(maxdiff(one, Zte:rows(7, 1)) < 1e-6, "forwarding one sample = forwarding the batch")
T.near((rdn.eval.knn(Z, g.y, Zte, te.y)), 1, 0, "2-D test accuracy kNN")
T.near((rdn.eval.nearest_subspace(Z, g.y, Zte, te.y)), 1, 0, "2-D test accuracy nearest subspace")

-- 1b. SPEC §7.1 item 8 as stated: 500/class, 2000 layers (optimum by layer ~500); 3-D with
-- 200/class and 300 layers ends within 1e-4 of 1.879849 (1.879804 in the reference draw)
local function ascent(log)
  local w = 0
  for i = 2, #log do w = math.min(w, log[i].dR - log[i - 1].dR) end
  return w
end
local gs = rdn.data.gaussian_mixture { n_per_class = 500, sigma = 0.1, seed = 11 }
local slog = rdn.nn.ReduNet { layers = 2000 }:construct(gs.x, gs.y, { quiet = true })
T.near(slog[501].dR, optimum, 1e-4, "2-D, 500/class: optimum by layer 500")
T.near(slog[2001].dR, optimum, 1e-5, "2-D, 500/class: ΔR after 2000 layers")
T.ok(ascent(slog) > -1e-5, "2-D, 2000 layers: no decrease beyond f32 rounding")
local g3s = rdn.data.gaussian_mixture { dim = 3, n_per_class = 200, sigma = 0.1, seed = 12 }
local s3 = rdn.nn.ReduNet { layers = 300 }:construct(g3s.x, g3s.y, { quiet = true })
T.near(s3[301].dR, 1.5 * math.log(11) - 0.5 * math.log(31), 1e-4, "3-D, 300 layers: 1.8798")
T.ok(ascent(s3) > -1e-5, "3-D: ΔR non-decreasing")

-- 1c. inputs [m, ...] are flattened; f64 features give an f64 network (same numbers)
local g4 = rdn.data.gaussian_mixture { n_per_class = 40, sigma = 0.1, seed = 21 }
local flat = rdn.nn.ReduNet { layers = 5 }
local _, Zflat = flat:construct(g4.x, g4.y, { quiet = true })
local _, Z3 = rdn.nn.ReduNet { layers = 5 }:construct(g4.x:reshape(80, 1, 2), g4.y, { quiet = true })
T.ok(same(Zflat, Z3), "X [m, 1, 2] is flattened to [m, 2]")
if rdn.device().fp64 then
  local x64 = rdn.tensor(g4.x:totable(), "f64")
  local n64 = rdn.nn.ReduNet { layers = 5 }
  local log64, Z64 = n64:construct(x64, g4.y, { quiet = true })
  local log32 = flat:construct(g4.x, g4.y, { quiet = true })
  T.ok(Z64:dtype() == "f64" and n64:params()[1][2]:dtype() == "f64", "f64 network")
  T.near(log64[6].dR, log32[6].dR, 1e-5, "f64 and f32 constructions agree")
end

-- 2. Gaussian 3-D, label membership: monotone ascent -------------------------------------
local g3 = rdn.data.gaussian_mixture { dim = 3, n_per_class = 60, sigma = 0.1, seed = 3 }
local net3 = rdn.nn.ReduNet { layers = 60, membership = "label" }
local log3 = net3:construct(g3.x, g3.y, { quiet = true })
worst = 0
for i = 2, #log3 do worst = math.min(worst, log3[i].dR - log3[i - 1].dR) end
T.ok(worst > -1e-5 and log3[#log3].dR > log3[1].dR + 0.2, "ΔR increases (3-D, label membership)")
T.ok(log3[#log3].dR < 1.5 * math.log(11) - 0.5 * math.log(31) + 1e-4, "3-D below its optimum")

-- 3. Iris (SPEC §7.1 item 9): split of train_test_split(random_state=42) ------------------
local function split(path)
  local lines = {}
  for l in io.lines(path) do if not l:match("^#") then lines[#lines + 1] = l end end
  local function idx(s) local t = {} for v in s:gmatch("%d+") do t[#t + 1] = tonumber(v) end
    return rdn.tensor(t, "i32") end
  return idx(lines[1]), idx(lines[2])
end
local iris = rdn.data.csv("tests/data/iris.csv")
local itr, ite = split("tests/data/iris_split.txt")
local Xtr, ytr = iris.x:gather_rows(itr), iris.y:gather_rows(itr)
local Xte, yte = iris.x:gather_rows(ite), iris.y:gather_rows(ite)
T.near((rdn.eval.knn(Xtr, ytr, Xte, yte)), 1, 0, "Iris raw kNN accuracy 1.000")
T.near((rdn.eval.nearest_subspace(Xtr, ytr, Xte, yte)), 1, 0, "Iris raw nearest subspace 1.000")
-- the full SPEC run: 4000 layers, eta = 0.1: ΔR 0.4423 -> 1.8526 (soft) / 2.1327 (label)
for _, mem in ipairs { { "soft", 1.8526 }, { "label", 2.1327 } } do
  local inet = rdn.nn.ReduNet { layers = 4000, eta = 0.1, membership = mem[1] }
  local ilog, iZ = inet:construct(Xtr, ytr, { quiet = true })
  T.near(ilog[1].dR, 0.4423, 1e-4, "Iris initial ΔR 0.4423")
  T.near(ilog[#ilog].dR, mem[2], 1e-4, "Iris ΔR after 4000 layers, " .. mem[1] .. " membership")
  local iZte = inet:forward(Xte)
  T.near((rdn.eval.knn(iZ, ytr, iZte, yte)), 1, 0, "Iris kNN after ReduNet (" .. mem[1] .. ")")
  T.near((rdn.eval.nearest_subspace(iZ, ytr, iZte, yte)), 1, 0, "Iris nearest subspace after")
  T.near((rdn.eval.ridge(iZ, ytr, iZte, yte)), 1, 0, "Iris ridge after")
end

-- 4. digits (SPEC §1.10): raw accuracies and 30 layers: ΔR 10.24 -> 41.79 ------------------
local dg = rdn.data.csv("tests/data/digits.csv.gz")
local dtr, dte = split("tests/data/digits_split.txt")
local DXtr, Dytr = dg.x:gather_rows(dtr), dg.y:gather_rows(dtr)
local DXte, Dyte = dg.x:gather_rows(dte), dg.y:gather_rows(dte)
T.near((rdn.eval.knn(DXtr, Dytr, DXte, Dyte)), 0.991, 0.02, "digits raw kNN 0.991")
T.near((rdn.eval.nearest_subspace(DXtr, Dytr, DXte, Dyte, { components = 10 })), 0.993, 0.02,
       "digits raw nearest subspace 0.993")
-- the sample-side (Gram) form finds the same class subspaces: same predictions
local af, pf = rdn.eval.nearest_subspace(DXtr, Dytr, DXte, Dyte, { components = 10,
                                                                  side = "features" })
local as, ps = rdn.eval.nearest_subspace(DXtr, Dytr, DXte, Dyte, { components = 10,
                                                                  side = "samples" })
local pft, pst, differ = pf:totable(), ps:totable(), 0
for i = 1, #pft do if pft[i] ~= pst[i] then differ = differ + 1 end end
T.ok(differ <= #pft // 100 and math.abs(af - as) <= 0.01,
     string.format("nearest subspace, sample side = feature side: %d of %d predictions differ, "
                   .. "accuracy %.3f vs %.3f", differ, #pft, af, as))
T.errors(function() rdn.eval.nearest_subspace(DXtr, Dytr, DXte, Dyte, { side = "rows" }) end,
         "side must be 'auto', 'features' or 'samples', got rows", "nearest subspace: bad side")
T.errors(function() rdn.eval.nearest_subspace(DXtr:rows(1, 200), Dytr:rows(1, 200), DXte, Dyte,
                                              { components = 50, side = "samples" }) end,
         "components = 50 <= the smallest class", "nearest subspace: too many components")
local dnet = rdn.nn.ReduNet { layers = 30 }
local dlog, DZ = dnet:construct(DXtr, Dytr, { quiet = true })
T.near(dlog[1].dR, 10.24, 0.01 / 10.24, "digits initial ΔR 10.24")
T.near(dlog[#dlog].dR, 41.79, 0.2 / 41.79, "digits ΔR after 30 layers 41.79")
local DZte = dnet:forward(DXte)
T.near((rdn.eval.knn(DZ, Dytr, DZte, Dyte)), 0.983, 0.02, "digits kNN after ReduNet 0.983")
T.near((rdn.eval.nearest_subspace(DZ, Dytr, DZte, Dyte, { components = 10 })), 0.983, 0.02,
       "digits nearest subspace after ReduNet 0.983")

-- 4b. SPEC §7.4 item 34: Fashion-MNIST first 10 000 / first 2 000 (file order), raw pixels:
-- ridge (alpha = 1) 0.821, kNN-5 0.832
local fdir = os.getenv("RDN_DATA") or "/usr/share/datasets/fashion-mnist"
local FX = rdn.data.idx(fdir .. "/train-images-idx3-ubyte.gz")
if FX then
  local FY = rdn.data.idx(fdir .. "/train-labels-idx1-ubyte.gz")
  local FXt = rdn.data.idx(fdir .. "/t10k-images-idx3-ubyte.gz")
  local FYt = rdn.data.idx(fdir .. "/t10k-labels-idx1-ubyte.gz")
  local xtr, ytr = FX:reshape(60000, 784):rows(1, 10000), FY:rows(1, 10000)
  local xte, yte = FXt:reshape(10000, 784):rows(1, 2000), FYt:rows(1, 2000)
  T.near((rdn.eval.ridge(xtr, ytr, xte, yte, { alpha = 1 })), 0.821, 0.003,
         "Fashion-MNIST 10k/2k raw ridge 0.821")
  T.near((rdn.eval.knn(xtr, ytr, xte, yte)), 0.832, 0.003, "Fashion-MNIST 10k/2k raw kNN 0.832")
  FX, FXt = nil, nil
  collectgarbage()
end
T.errors(function() rdn.eval.ridge(DXtr, Dytr, DXte, Dyte, { alpha = -1 }) end,
         "alpha must be >= 0 and finite, got -1")

-- 5. save / load: bit-identical, no partial files, corrupt and newer files -------------------
local path = tmp .. "/g.safetensors"
T.ok(net:save(path), "save")
local back = rdn.nn.load(path)
T.ok(tostring(back) == tostring(net), "loaded config: " .. tostring(back))
local pa, pb = net:params(), back:params()
local allsame = #pa == #pb and #pa == 300
for i = 1, #pa do allsame = allsame and pa[i][1] == pb[i][1] and same(pa[i][2], pb[i][2]) end
T.ok(allsame, "params bit-identical after load")
T.ok(same(back:forward(te.x), Zte), "loaded model forward bit-identical")
T.ok(rdn.nn.load(tmp .. "/none.safetensors") == nil, "missing model file: nil, msg")
net:save(tmp .. "/g2.safetensors")
T.ok(io.open(path, "rb"):read("a") == io.open(tmp .. "/g2.safetensors", "rb"):read("a"),
     "saving twice gives the same bytes")
local bytes = io.open(path, "rb"):read("a")
for _, cut in ipairs { 7, 100, #bytes // 2, #bytes - 1 } do
  local f = io.open(tmp .. "/cut.safetensors", "wb") f:write(bytes:sub(1, cut)) f:close()
  T.errors(function() rdn.nn.load(tmp .. "/cut.safetensors") end, "rdn.nn.load:",
           "truncated model (" .. cut .. " bytes)")
end
local W = rdn.zeros { 3, 2, 2 }
rdn.safetensors_save(tmp .. "/new.safetensors", { { "layer.1.ops", W } },
  { format = "rdn.nn", format_version = "2", model = "ReduNet", layers = "1", eta = "0.5",
    eps_sq = "0.1", lambda = "500", membership = "soft" })
T.errors(function() rdn.nn.load(tmp .. "/new.safetensors") end,
         "has format version 2, this rdn reads versions up to 1", "newer format version")
rdn.safetensors_save(tmp .. "/other.safetensors", { { "w", W } }, { format = "numpy" })
T.errors(function() rdn.nn.load(tmp .. "/other.safetensors") end, "is not an rdn model")
rdn.safetensors_save(tmp .. "/miss.safetensors", { { "w", W } },
  { format = "rdn.nn", format_version = "1", model = "ReduNet", layers = "1", eta = "0.5",
    eps_sq = "0.1", lambda = "500", membership = "soft", built = "1", d = "2", k = "2",
    dtype = "f32", ["layer.1.gamma"] = "0.5 0.5" })
T.errors(function() rdn.nn.load(tmp .. "/miss.safetensors") end,
         "tensor 'layer.1.ops' is missing or not f32 [3 x 2 x 2]", "model without its tensor")
os.execute("mkdir -p " .. tmp .. "/dir.safetensors")
T.errors(function() net:save(tmp .. "/dir.safetensors") end, "cannot rename",
         "save onto a directory")
local ls = io.popen("ls -a " .. tmp):read("a")
T.ok(not ls:find("%.tmp"), "no temp file left behind by a failed save")

-- 6. Sequential: chained construction, error prefixes, save/load --------------------------
local seq = rdn.nn.Sequential { rdn.nn.ReduNet { layers = 3 }, rdn.nn.ReduNet { layers = 2 } }
local logs, SZ = seq:construct(g.x, g.y, { quiet = true })
T.ok(#logs == 2 and #logs[2] == 3 and same(seq:forward(g.x), SZ), "Sequential construct/forward")
T.ok(seq:save(tmp .. "/seq.safetensors") and
     same(rdn.nn.load(tmp .. "/seq.safetensors"):forward(te.x), seq:forward(te.x)),
     "Sequential save/load")
T.ok(#seq:params() == 5 and seq:params()[4][1] == "2.layer.1.ops", "Sequential params names")
T.errors(function() seq:forward(rdn.randn { 4, 3 }) end,
         "layer #1 (ReduNet): rdn.nn.ReduNet:forward: dimension mismatch", "child error prefix")
local fresh = rdn.nn.Sequential { rdn.nn.ReduNet { layers = 1 } }
T.errors(function() fresh:forward(g.x) end, "layer #1 (ReduNet): rdn.nn.ReduNet:forward: the "
         .. "network is not constructed")

-- 7. update: tau = 1 on the construction batch rebuilds the same operators ----------------
local u = rdn.nn.ReduNet { layers = 5 }
local _, uZ = u:construct(g.x, g.y, { quiet = true })
local before = u:params()[3][2]:clone()
u:update(g.x, g.y, 1)
T.ok(maxdiff(u:params()[3][2], before) < 1e-5 * math.sqrt(before:sumsq()),
     "update(tau = 1) on the same data keeps the operators")
T.ok(maxdiff(u:forward(g.x), uZ) < 1e-4, "and the features")
u:update(te.x, te.y, 0.1)
T.ok(maxdiff(u:params()[3][2], before) > 0, "update on another batch moves the operators")
T.errors(function() u:update(te.x, te.y, 1.5) end, "tau must be in (0, 1], got 1.5")

-- 8. bad input -----------------------------------------------------------------------------
local R = rdn.nn.ReduNet
T.errors(function() R { eta = -1 } end, "rdn.nn.ReduNet: eta must be positive and finite, got -1")
T.errors(function() R { eta = 0 / 0 } end, "eta must be positive and finite, got " .. (0 / 0))
T.errors(function() R { lambda = -5 } end, "lambda must be >= 0 and finite, got -5")
T.errors(function() R { eps_sq = 0 } end, "eps_sq must be positive and finite, got 0")
T.errors(function() R { layers = 2.5 } end, "layers must be an integer positive")
T.errors(function() R { membership = "hard" } end,
         "membership must be 'soft' or 'label', got 'hard'")
T.errors(function() R { lambada = 1 } end, "unknown option 'lambada'")
local r = R { layers = 2 }
T.errors(function() r:forward(g.x) end, "not constructed (call construct first)",
         "forward before construct")
T.errors(function() r:construct(rdn.randn { 10 }, { 0 }) end, "X must have rank >= 2", "X rank 1")
local bad = rdn.tensor { { 1, 0 }, { 0 / 0, 1 }, { 0, 1 } }
T.errors(function() r:construct(bad, { 0, 1, 1 }) end, "'X' has NaN", "non-finite data")
T.errors(function() r:construct(g.x:rows(1, 3), { 0, 2, 2 }) end, "class 1 has no samples",
         "empty class")
T.errors(function() r:construct(g.x:rows(1, 3), { 0, 1, 5 }, { classes = 2 }) end,
         "labels out of range: label 5 at sample 2, classes = 2", "label out of range")
T.errors(function() r:construct(g.x:rows(1, 3), { 0, -1, 1 }) end, "label -1 at sample 1")
T.errors(function() r:construct(g.x:rows(1, 3), { 0, 1 }) end, "y has 2 labels, X has 3 samples")
T.errors(function() r:construct(g.x:rows(1, 3), { 0, 1, 0.5 }) end, "label 3 is not an integer")
r:construct(g.x, g.y, { quiet = true })
T.errors(function() r:forward(rdn.randn { 5, 3 }) end,
         "dimension mismatch: X [5 x 3] has 3 features per sample, the layer was built for 2")
T.errors(function() r:forward(rdn.randn { 5, 2, dtype = "f64" }) end,
         "X is f64, the layer was built for f32")
T.errors(function() rdn.eval.knn(Z, g.y, Zte, te.y, { k = 0 }) end, "k must be an integer positive")
T.errors(function() rdn.eval.nearest_subspace(Z, g.y, Zte, te.y, { components = 3 }) end,
         "components = 3 exceeds the dimension 2")

os.execute("rm -rf " .. tmp)
T.done()
