-- test_scattering.lua -- the separation/concentration layers and rdn.metrics: Parseval
-- frames (||F x|| = ||x||, FᵀF = I) of both kinds, the concentration block (identity at
-- lambda 0, zero above max |F x|, non-expansive), soft-threshold identities, PCA projection
-- (orthonormal rows, the top eigen-directions), standardisation, the Fisher ratio against a
-- float64 host computation and its invariance, the Scattering2D layer (flat input, channels,
-- periodic shift equivariance), model files, and every bad-input case.
local rdn = require "rdn"
local T = dofile("tests/testlib.lua")
local nn, metrics = rdn.nn, rdn.metrics

local function diffnorm(a, b) return math.sqrt(a:clone():axpby(-1, b, 1):sumsq()) end

-- ---------------------------------------------------------------- frames
local X = rdn.randn { 6, 12, 3, 5, seed = 3 }            -- 6 images, 12 channels, 3 x 5
for _, kind in ipairs { "parseval-random", "kmeans" } do
  local F = nn.TightFrame { atoms = 40, kind = kind, mode = "analysis", seed = 1 }
  local log, Z = F:construct(X)
  T.ok(log.parseval < 1e-5, kind .. ": ||FᵀF - I||_F = " .. log.parseval)
  T.near(Z:sumsq(), X:sumsq(), 1e-5, kind .. ": Parseval ||F x||^2 = ||x||^2")
  T.ok(Z:dim(2) == 40 and Z:dim(3) == 3 and Z:dim(4) == 5, kind .. ": analysis gives [m, p, h, w]")
  -- per position: the coefficients of one pixel have that pixel's norm
  local x1 = X:reshape(6, 12, 15):totable()[2]
  local z1 = Z:reshape(6, 40, 15):totable()[2]
  local nx, nz = 0, 0
  for c = 1, 12 do nx = nx + x1[c][7] ^ 2 end
  for c = 1, 40 do nz = nz + z1[c][7] ^ 2 end
  T.near(nz, nx, 1e-5, kind .. ": per-position Parseval")
end

-- concentration block x -> Fᵀ rho(F x)
do
  local F0 = nn.TightFrame { atoms = 30, lambda = 0, seed = 2 }
  local _, Z = F0:construct(X)
  T.ok(diffnorm(Z, X) <= 1e-5 * math.sqrt(X:sumsq()), "lambda = 0: FᵀF x = x")
  local big = nn.TightFrame { atoms = 30, lambda = 100, relative = false, seed = 2 }
  local _, Zb = big:construct(X)
  T.ok(Zb:sumsq() == 0 and big.kept == 0, "lambda >= max |F x|: zero output")
  local F = nn.TightFrame { atoms = 30, lambda = 1, seed = 2 }
  F:construct(X)
  local Y = X:clone():axpby(0.3, rdn.randn { 6, 12, 3, 5, seed = 4 }, 1)
  local a, b = F:forward(X), F:forward(Y)
  T.ok(diffnorm(a, b) <= diffnorm(X, Y) * (1 + 1e-6), "concentration is non-expansive")
  T.ok(F.kept > 0 and F.kept < 1, "a fraction of coefficients survives: " .. F.kept)
  local m2 = nn.TightFrame { atoms = 30, seed = 2 }
  m2:construct(X)
  T.ok(diffnorm(m2:forward(X), a) == 0, "same seed, same frame")
end

-- ------------------------------------------------------------- shrinkage
do
  local v = rdn.tensor { -2.3, -0.5, 0, 0.7, 2.3 }
  local st = nn.SoftThreshold { lambda = 0.7, relative = false }
  local s = st:forward(v:reshape(1, 5)):totable()[1]
  T.near(s[1], -1.6, 1e-6, "rho_0.7(-2.3) = -1.6")
  T.ok(s[2] == 0 and s[3] == 0 and s[4] == 0, "|x| <= lambda gives exact zeros")
  T.near(s[5], 1.6, 1e-6, "prox value rho_0.7(2.3) = 1.6")
  local id = nn.SoftThreshold { lambda = 0 }:forward(X)
  T.ok(diffnorm(id, X) == 0, "rho_0 = identity")
  local rl = nn.SoftThreshold { lambda = 0.7, relative = false, kind = "relu" }
  local r = rl:forward(v:reshape(1, 5))
  T.near(r:totable()[1][5], 1.6, 1e-6, "relu(x - lambda)")
  T.ok(r:totable()[1][1] == 0, "relu(-2.3 - 0.7) = 0")
  local l = nn.SoftThreshold { lambda = 2 }
  T.near(l:threshold(X), 2 / math.sqrt(12), 1e-12, "relative lambda = lambda0 / sqrt(channels)")
  local lam = rdn.tensor { 0, 0.5, 1 }
  local pc = rdn.shrink(rdn.tensor { { 1, 1, 1 }, { -2, -2, -2 } }, lam):totable()
  T.ok(pc[1][1] == 1 and pc[1][2] == 0.5 and pc[1][3] == 0 and pc[2][2] == -1.5,
       "per-channel lambdas (channels last)")
end

-- ------------------------------------------------------------- projection
do
  local P = nn.Project { dims = 5, normalize = false }
  local log, Z = P:construct(X)
  local G = rdn.matmul(P.P, P.P, { tb = true }):totable()
  local err = 0
  for i = 1, 5 do
    for j = 1, 5 do err = math.max(err, math.abs(G[i][j] - (i == j and 1 or 0))) end
  end
  T.ok(err < 1e-5, "P Pᵀ = I (orthonormal rows): " .. err)
  T.ok(Z:dim(2) == 5 and Z:dim(3) == 3, "Project: [m, dims, h, w]")
  T.ok(log.energy > 5 / 12 and log.energy < 1,
       "PCA keeps more than its share of energy: " .. log.energy)
  local P12 = nn.Project { dims = 12, normalize = false }
  local l12 = P12:construct(X)
  T.near(l12.energy, 1, 1e-5, "dims = channels keeps all energy")
  local Pn = nn.Project { dims = 5 }
  local _, Zn = Pn:construct(X)
  local norms = rdn.transpose(Zn, 30, 15):reshape(90, 5):row_norms():totable()
  local ok = true
  for _, v in ipairs(norms) do ok = ok and math.abs(v - 1) < 1e-5 end
  T.ok(ok, "normalize: every position's vector has norm 1")
  local Pp = nn.Project { dims = 4, mode = "position" }
  local _, Zp = Pp:construct(X)
  T.ok(Zp:dim(2) == 4 and Pp.P:dim(1) == 15, "mode = position: one P per position")
  -- top eigen-direction of a rank-1-dominated cloud
  local u = rdn.tensor { { 3, 4, 0 } }
  local Xs = rdn.matmul(rdn.randn { 200, 1, seed = 8 }, u)
  Xs:axpby(0.01, rdn.randn { 200, 3, seed = 9 }, 1)
  local P1 = nn.Project { dims = 1, normalize = false }
  P1:construct(Xs)
  local p = P1.P:totable()[1]
  T.near(math.abs(p[1] * 0.6 + p[2] * 0.8), 1, 1e-4, "the first principal direction")
end

-- ------------------------------------------------------------ standardise
do
  local A = rdn.randn { 50, 4, 3, 3, seed = 5 }:scale(3)
  local S = nn.Standardize {}
  local _, Z = S:construct(A)
  local m, v = rdn.channel_stats(Z, 36, 1)
  local mm, vv = 0, 0
  for _, x in ipairs(m:totable()) do mm = math.max(mm, math.abs(x)) end
  for _, x in ipairs(v:totable()) do vv = math.max(vv, math.abs(x - 1)) end
  T.ok(mm < 1e-5 and vv < 1e-4, "per feature: mean 0, variance 1")
  local C = nn.Standardize { per = "channel" }
  local _, Zc = C:construct(A)
  local m2, v2 = rdn.channel_stats(Zc, 4, 9)
  mm, vv = 0, 0
  for _, x in ipairs(m2:totable()) do mm = math.max(mm, math.abs(x)) end
  for _, x in ipairs(v2:totable()) do vv = math.max(vv, math.abs(x - 1)) end
  T.ok(mm < 1e-5 and vv < 1e-4, "per channel: mean 0, variance 1")
end

-- ----------------------------------------------------------------- Fisher
do
  -- two classes, priors 1/2: tr(Sw^-1 Sb) = 1/4 (mu1 - mu2)ᵀ Sw^-1 (mu1 - mu2) (SPEC item 31)
  local n, d = 100, 3
  local A = rdn.randn { 2 * n, d, seed = 11 }
  local shift = rdn.matmul(rdn.full({ n, 1 }, 1), rdn.tensor { { 1.0, 0.5, -0.25 } })
  A:rows(n + 1, n):axpby(1, shift, 1)
  local lab = {}
  for i = 1, 2 * n do lab[i] = i <= n and 0 or 1 end
  local f, r = metrics.fisher(A, lab, { delta = 1e-12 })
  -- host float64 reference
  local rows = A:totable()
  local mu = { {}, {} }
  for c = 1, 2 do for j = 1, d do mu[c][j] = 0 end end
  for i, x in ipairs(rows) do
    local c = lab[i] + 1
    for j = 1, d do mu[c][j] = mu[c][j] + x[j] / n end
  end
  local S = {}
  for a = 1, d do S[a] = {} for b = 1, d do S[a][b] = 0 end end
  for i, x in ipairs(rows) do
    local c = lab[i] + 1
    for a = 1, d do for b = 1, d do
      S[a][b] = S[a][b] + (x[a] - mu[c][a]) * (x[b] - mu[c][b]) / (2 * n)
    end end
  end
  local dm = {}
  for j = 1, d do dm[j] = mu[1][j] - mu[2][j] end
  -- solve S z = dm by Gaussian elimination
  local M = {}
  for a = 1, d do M[a] = { S[a][1], S[a][2], S[a][3], dm[a] } end
  for k = 1, d do
    for i = k + 1, d do
      local q = M[i][k] / M[k][k]
      for j = k, d + 1 do M[i][j] = M[i][j] - q * M[k][j] end
    end
  end
  local z = {}
  for i = d, 1, -1 do
    local s = M[i][d + 1]
    for j = i + 1, d do s = s - M[i][j] * z[j] end
    z[i] = s / M[i][i]
  end
  local want = 0
  for j = 1, d do want = want + 0.25 * dm[j] * z[j] end
  T.near(f, want, 1e-4, "Fisher ratio, two classes: 1/4 dᵀ Sw^-1 d")
  T.near(r.per_class[1] + r.per_class[2], f, 1e-12, "per-class terms add up")
  local B = rdn.tensor { { 2, 0.5, 0 }, { -1, 1, 0.3 }, { 0.2, 0, 3 } }
  local f2 = metrics.fisher(rdn.matmul(A, B), lab, { delta = 1e-12 })
  T.near(f2, f, 1e-4, "Fisher ratio invariant under an invertible linear map")
  local sep = metrics.separation(A, lab)
  local dd = math.sqrt(dm[1] ^ 2 + dm[2] ^ 2 + dm[3] ^ 2)
  T.near(sep.sep_min, dd, 1e-4, "class-mean separation")
  T.ok(sep.within_share > 0 and sep.within_share < 1, "within share in (0, 1)")
  T.near(metrics.within_variance(A, lab), S[1][1] + S[2][2] + S[3][3], 1e-4, "tr Sigma_W")
end

-- ------------------------------------------------------------- scattering
do
  local imgs = rdn.randn { 3, 16, 16, seed = 21 }
  local S = nn.Scattering2D { J = 2, L = 4 }
  local log, Z = S:construct(imgs)
  T.ok(Z:dim(2) == 1 + 8 + 16 and Z:dim(3) == 4 and log.channels == 25, "Scattering2D shape")
  T.ok(diffnorm(S:forward(imgs:reshape(3, 256)), Z) == 0, "flat [m, h w] input")
  local Z2 = S:forward(imgs:reshape(3, 1, 16, 16))
  T.ok(diffnorm(Z2, Z) == 0, "[m, 1, h, w] = [m, h, w]")
  -- periodic: shifting by 2^J shifts the output by one pixel (host shift of the input)
  local P = nn.Scattering2D { J = 2, L = 4, pad = "periodic" }
  local x = imgs:totable()
  local xs = {}
  for b = 1, 3 do
    xs[b] = {}
    for u = 1, 16 do
      xs[b][u] = {}
      for v = 1, 16 do xs[b][u][v] = x[b][(u - 4 - 1) % 16 + 1][v] end
    end
  end
  local A, B = P:forward(imgs):totable(), P:forward(rdn.tensor(xs)):totable()
  local err = 0
  for b = 1, 3 do for c = 1, 25 do for u = 1, 4 do for v = 1, 4 do
    err = math.max(err, math.abs(B[b][c][u][v] - A[b][c][(u - 2) % 4 + 1][v]))
  end end end end
  T.ok(err < 1e-5, "periodic: shift by 4 rows shifts S by one row: " .. err)
end

-- ------------------------------------------------------------- model files
do
  local tmp = os.tmpname()
  local net = nn.Sequential { nn.Scattering2D { J = 1, L = 4 }, nn.Standardize { per = "channel" },
                              nn.Project { dims = 3 }, nn.TightFrame { atoms = 8 },
                              nn.SoftThreshold { lambda = 0.5 } }
  local imgs = rdn.randn { 4, 8, 8, seed = 31 }
  local logs, Z = net:construct(imgs)
  T.ok(#logs == 5 and logs[4].layer == "TightFrame", "Sequential construction log per layer")
  nn.save(net, tmp)
  local back = nn.load(tmp)
  T.ok(diffnorm(back:forward(imgs), Z) <= 1e-6, "save / load round trip")
  os.remove(tmp)
end

-- ------------------------------------------------------------- bad input
T.errors(function() nn.TightFrame { atoms = 8 }:construct(X) end,
         "a tight frame needs at least as many atoms as dimensions: atoms = 8 < 12 channels",
         "frame with fewer atoms than dimensions")
T.errors(function() nn.TightFrame { atoms = 8, lambda = -1 } end,
         "lambda must be >= 0 and finite, got -1",
         "negative lambda (frame)")
T.errors(function() nn.SoftThreshold { lambda = -0.5 } end, "got -0.5", "negative lambda")
T.errors(function() rdn.shrink(X, -0.25) end, "lambda must be finite and >= 0, got -0.25",
         "rdn.shrink with lambda < 0")
T.errors(function() rdn.shrink(rdn.tensor { 1, 2 }, rdn.tensor { -1, 0 }) end, "lambdas[0]",
         "negative per-channel lambda")
T.errors(function() nn.Scattering2D { J = 5 }:forward(rdn.randn { 2, 28, 28 }) end,
         "J = 5 too large for 28 x 28 images: 2^J = 32", "J too large")
T.errors(function() nn.Scattering2D { L = 0 } end, "L must be", "L < 1 (layer)")
T.errors(function() rdn.scattering2d { h = 28, w = 28, L = 0 } end, "L = 0 orientations",
         "L < 1 (core)")
T.errors(function() nn.Scattering2D {}:forward(rdn.full({ 2, 28, 28 }, 0 / 0)) end,
         "'x' has NaN at index 0", "non-finite input")
T.errors(function() nn.Scattering2D {}:forward(rdn.randn { 2, 30 }) end, "30 is not a square",
         "flat input without shape")
T.errors(function() nn.Project { dims = 20 }:construct(X) end,
         "dims = 20 exceeds the 12 input channels",
         "projection wider than the input")
T.errors(function() metrics.fisher(X, { 0, 1, 0 }) end, "y has 3 labels, X has 6 samples",
         "label count mismatch")
T.errors(function() nn.Standardize {}:forward(X) end, "not constructed", "forward before construct")

T.done()
