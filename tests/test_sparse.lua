-- test_sparse.lua -- sparse coding (SPEC §7.3 items 25-26, §7.6): ISTA objective
-- non-increasing, ISTA and FISTA converging to a float64 host solution (signed, non-negative,
-- per-atom thresholds, both GEMM forms, views), KKT conditions, one step = the ReLU layer,
-- block sweep with one sweep = the feed-forward net and a non-increasing objective with safe
-- steps, soft / group soft-threshold prox identities, structure learning (objective per
-- half-step, reconstruction as lambdas -> 0, the net reproduces its features), bad inputs.
local rdn = require "rdn"
local T = dofile("tests/testlib.lua")
local f64 = rdn.device().fp64

local seed = 12345
local function rnd()                     -- deterministic uniform [-1, 1) (reference data)
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 1073741824 - 1
end
local function matrix(r, c, f)
  local M = {}
  for i = 1, r do M[i] = {} for j = 1, c do M[i][j] = f and f(i, j) or rnd() end end
  return M
end
local function maxdiff(a, b) return math.sqrt(a:clone():axpby(-1, b, 1):sumsq()) end

-- host float64 ISTA on x [m][d], b [d][k]: many iterations from 0 (the reference solution)
local function host_ista(x, b, lam, nonneg, iters)
  local m, d, k = #x, #b, #b[1]
  local G, C = matrix(k, k, function() return 0 end), matrix(m, k, function() return 0 end)
  for i = 1, k do for j = 1, k do for q = 1, d do G[i][j] = G[i][j] + b[q][i] * b[q][j] end end end
  for s = 1, m do for j = 1, k do for q = 1, d do C[s][j] = C[s][j] + x[s][q] * b[q][j] end end end
  local v = {}                           -- L by power iteration
  for i = 1, k do v[i] = 1 end
  local L = 0
  for _ = 1, 500 do
    local u, n = {}, 0
    for i = 1, k do u[i] = 0 for j = 1, k do u[i] = u[i] + G[i][j] * v[j] end n = n + u[i] ^ 2 end
    L = math.sqrt(n)
    for i = 1, k do v[i] = u[i] / L end
  end
  local w = matrix(m, k, function() return 0 end)
  for _ = 1, iters do
    for s = 1, m do
      local g = {}
      for j = 1, k do
        g[j] = -C[s][j]
        for i = 1, k do g[j] = g[j] + w[s][i] * G[i][j] end
      end
      for j = 1, k do
        local l = type(lam) == "table" and lam[j] or lam
        local z, t = w[s][j] - g[j] / L, l / L
        w[s][j] = nonneg and math.max(z - t, 0) or (z > t and z - t or z < -t and z + t or 0)
      end
    end
  end
  return w, G, C
end

-- ISTA / FISTA against the host solution
local m, d, k = 5, 7, 11
local x, b = matrix(m, d), matrix(d, k)
local cases = { { false, 0.1 }, { true, 0.05 }, { false, { 0.1, 0.15, 0.2, 0.1, 0.15, 0.2, 0.1, 0.15,
                                                           0.2, 0.1, 0.15 } } }
for _, case in ipairs(cases) do case.ref = host_ista(x, b, case[2], case[1], 6000) end
for _, dt in ipairs(f64 and { "f64", "f32" } or { "f32" }) do
  for _, case in ipairs(cases) do
    local nonneg, lam, ref = case[1], case[2], case.ref
    local X = rdn.tensor(x, dt)
    local Bbig = rdn.tensor(matrix(d + 2, k), dt)         -- b as a view at row 3
    local B = Bbig:rows(3, d):copy(rdn.tensor(b, dt))
    local lamv = type(lam) == "table" and rdn.tensor(lam, dt) or lam
    local R = rdn.tensor(ref, dt)
    for _, form in ipairs { "gram", "direct" } do
      local W = rdn.empty { m, k, dtype = dt }
      local info = rdn.ista(W, X, B, { lambda = lamv, steps = 200, nonneg = nonneg, form = form,
                                       objective = true })
      local mono = true
      for i = 2, #info.objective do
        if info.objective[i] > info.objective[i - 1] * (1 + (dt == "f32" and 1e-6 or 1e-13)) then
          mono = false
        end
      end
      T.ok(mono, string.format("%s %s nonneg=%s: ISTA objective non-increasing", dt, form,
                               tostring(nonneg)))
      T.ok(info.gram_form == (form == "gram"), "form used")
      local tol = dt == "f32" and 2e-4 or 1e-7
      local W2 = rdn.empty { m, k, dtype = dt }
      rdn.ista(W2, X, B, { lambda = lamv, steps = 3000, nonneg = nonneg, form = form })
      T.ok(maxdiff(W2, R) < tol, string.format("%s %s ISTA -> reference: %g", dt, form,
                                                maxdiff(W2, R)))
      local W3 = rdn.empty { m, k, dtype = dt }
      local i3 = rdn.ista(W3, X, B, { lambda = lamv, steps = 800, nonneg = nonneg, fista = true,
                                      form = form, objective = true })
      T.ok(maxdiff(W3, R) < 2e-4, string.format("%s %s FISTA -> reference: %g", dt, form,
                                                 maxdiff(W3, R)))
      local fref = rdn.sparse_objective(X, B, R, lamv)
      T.near(i3.objective[#i3.objective], fref, dt == "f32" and 1e-5 or 1e-8,
             "FISTA objective -> the minimum")
      T.ok(i3.objective[#i3.objective] <= info.objective[#info.objective] + 1e-6,
           "FISTA ends at least as low as ISTA")
    end
    if nonneg and dt == "f64" then      -- KKT (SPEC §7.3 item 26)
      local W = rdn.empty { m, k, dtype = dt }
      rdn.ista(W, X, B, { lambda = lamv, steps = 2000, nonneg = true, fista = true })
      local grad = rdn.matmul(rdn.matmul(W, B, { tb = true }), B)  -- Bᵀ(Bw) - Bᵀx per row
      grad:axpby(-1, rdn.matmul(X, B), 1)
      local w, g, ok = W:totable(), grad:totable(), true
      for s = 1, m do
        for j = 1, k do
          local r = g[s][j] + lam
          if w[s][j] > 0 and math.abs(r) > 1e-6 then ok = false end
          if w[s][j] == 0 and r < -1e-6 then ok = false end
        end
      end
      T.ok(ok, "KKT conditions at the non-negative solution")
    end
  end
  -- one step of size 1 from 0, non-negative: ReLU(x B - lambda) (SPEC §2.2 / item 25)
  local X, B = rdn.tensor(x, dt), rdn.tensor(b, dt)
  local W = rdn.empty { m, k, dtype = dt }
  rdn.ista(W, X, B, { lambda = 0.2, steps = 1, nonneg = true, lipschitz = 1 })
  local ff = rdn.linear(X, rdn.transpose(B, d, k), rdn.full(k, -0.2, dt), { relu = true })
  T.ok(maxdiff(W, ff) < (dt == "f32" and 1e-5 or 1e-12), dt .. ": one ISTA step = ReLU layer")
end

-- block sweep: one sweep = feed-forward net; safe sweeps never increase the objective
do
  local k = { 6, 9, 5, 4 }
  local F = {}
  for j = 1, 3 do F[j] = rdn.tensor(matrix(k[j], k[j + 1]), f64 and "f64" or "f32") end
  local X = rdn.tensor(matrix(8, 6), f64 and "f64" or "f32")
  local lam = { 0.1, 0.05, 0.2 }
  local sweep = rdn.nn.BlockSweep { frames = F, lambda = lam, steps = 1 }
  local Y = sweep:forward(X)
  local H = X
  for j = 1, 3 do
    local bias = rdn.full(k[j + 1], -lam[j], F[j]:dtype())
    H = rdn.linear(H, rdn.transpose(F[j], k[j], k[j + 1]), bias, { relu = true })
  end
  T.ok(maxdiff(Y, H) < 1e-10, "block sweep, 1 sweep = feed-forward ReLU net")
  local safe = rdn.nn.BlockSweep { frames = F, lambda = lam, steps = 60, tau = "safe" }
  local _, obj = safe:codes(X, { objective = true })
  local mono = true
  for i = 2, #obj do if obj[i] > obj[i - 1] * (1 + 1e-12) then mono = false end end
  T.ok(mono and obj[#obj] < obj[1], "safe block sweeps: objective non-increasing")
  local ffw = rdn.nn.BlockSweep { frames = F, lambda = lam, steps = 40 }
  local _, o2 = ffw:codes(X, { objective = true })
  local mono2 = true
  for i = 3, #o2 do if o2[i] > o2[i - 1] * (1 + 1e-12) then mono2 = false end end
  T.ok(mono2, "feed-forward start, then safe sweeps: non-increasing after the first")
  T.errors(function() rdn.nn.BlockSweep { frames = F, lambda = -1 } end,
           "lambda must be >= 0 and finite, got -1")
  T.errors(function() rdn.nn.BlockSweep { frames = { F[1], F[3] } } end, "frames[2]")
end

-- soft-threshold prox (SPEC §7.4 item 27) through the fused step: w = 0, u = -v, tau = 1
do
  local v = rdn.tensor { 2.3, -2.3, 0.5, -0.7, 0.7, 0 }
  local w = rdn.zeros { 6 }
  rdn.prox_step(w, v:clone():scale(-1), 1, 0.7)
  local r = w:totable()
  T.near(r[1], 1.6, 1e-6, "rho(2.3) = 1.6")
  T.near(r[2], -1.6, 1e-6, "odd")
  T.ok(r[3] == 0 and r[4] == 0 and r[5] == 0 and r[6] == 0, "|u| <= lambda -> 0")
  local w0 = rdn.zeros { 6 }
  rdn.prox_step(w0, v:clone():scale(-1), 1, 0)
  T.ok(maxdiff(w0, v) == 0, "rho_0 = identity")
  T.errors(function() rdn.prox_step(w, v, 1, -0.5) end, "lambda must be finite and >= 0, got -0.5")
  T.errors(function() rdn.prox_step(w, v, 1, rdn.tensor { 1, 2, 3, -1, 0, 0 }) end,
           "lambdas[3] = -1")
end

-- group soft-threshold (SPEC §7.6 item 37): v max(0, 1 - t/||v||) is the prox of t||.||_2
do
  local nin, n = 7, 3
  local d = matrix(nin, n)
  d[1][2], d[4][2] = 0.05, -0.02                       -- group 0 of unit 1: small
  local ids = { 0, 1, 1, 0, 2, 2, 2 }
  local D = rdn.tensor(d, "f64")
  local norms = rdn.empty { n, 3, dtype = "f64" }
  local t = 0.3
  rdn.group_shrink(D, rdn.tensor(ids, "i32"), 3, t, norms)
  local got, nr = D:totable(), norms:totable()
  local ok, zero, nok = true, true, true
  for u = 1, n do
    for g = 0, 2 do
      local s = 0
      for r = 1, nin do if ids[r] == g then s = s + d[r][u] ^ 2 end end
      s = math.sqrt(s)
      local f = math.max(0, 1 - t / s)
      -- prox optimality: the objective 1/2||p - v||² + t||p|| is not lowered by perturbations
      local function obj(scale)
        local a, pn = 0, 0
        for r = 1, nin do
          if ids[r] == g then
            local p = d[r][u] * f * scale
            a, pn = a + 0.5 * (p - d[r][u]) ^ 2, pn + p * p
          end
        end
        return a + t * math.sqrt(pn)
      end
      if obj(1) > obj(1.01) + 1e-12 or obj(1) > obj(0.99) + 1e-12 or obj(1) > obj(0) + 1e-12 then
        ok = false
      end
      for r = 1, nin do
        if ids[r] == g and math.abs(got[r][u] - d[r][u] * f) > 1e-12 then ok = false end
        if ids[r] == g and s <= t and got[r][u] ~= 0 then zero = false end
      end
      if math.abs(nr[u][g + 1] - f * s) > 1e-12 then nok = false end
    end
  end
  T.ok(ok, "group soft-threshold = prox of t ||.||")
  T.ok(zero and got[1][2] == 0 and got[4][2] == 0, "groups with ||v|| <= t become exactly zero")
  T.ok(nok, "block norms reported")
  T.errors(function() rdn.group_shrink(D, rdn.tensor({ 0, 1, 5, 0, 2, 2, 2 }, "i32"), 3, t) end,
           "label 5")
  T.errors(function() rdn.group_shrink(D, rdn.tensor({ 0, 1, 1, 0, 1, 1, 1 }, "i32"), 3, t) end,
           "group 2 is empty")
  T.errors(function() rdn.group_shrink(D, rdn.tensor(ids, "i32"), 3, -1) end, "got -1")
  local P = rdn.pool_groups(rdn.tensor { { 1, -2, 3, 4 }, { 0, 5, -1, 2 } },
                            rdn.tensor({ 1, 0, 1, 0 }, "i32"), 2)
  local p = P:totable()
  T.ok(p[1][1] == 4 and p[1][2] == 3 and p[2][1] == 5 and p[2][2] == 0, "max pooling over groups")
end

-- ISTA layer: errors name the value; save / load
do
  local B = rdn.tensor(matrix(4, 6))
  T.errors(function() rdn.nn.ISTA { frame = B, lambda = -0.1 } end,
           "lambda must be >= 0 and finite, got -0.1")
  T.errors(function() rdn.nn.ISTA { frame = B, steps = 0 } end,
           "steps must be an integer >= 1, got 0")
  local Z = rdn.tensor(matrix(4, 6, function(_, j) return j == 3 and 0 or 1 end))
  T.errors(function() rdn.nn.ISTA { frame = Z } end, "zero column: atom 2")
  local X1 = rdn.empty { 2, 4 }:fill(1)
  T.errors(function() rdn.ista(rdn.empty { 2, 6 }, X1, Z, { steps = 1 }) end,
           "atom 2")
  T.errors(function() rdn.ista(rdn.empty { 2, 6 }, X1, B, { steps = 0 }) end,
           "steps must be >= 1, got 0")
  local layer = rdn.nn.ISTA { frame = B, lambda = 0.05, steps = 30, fista = true }
  local X = rdn.tensor(matrix(9, 4))
  local log, W = layer:construct(X)
  T.ok(#log.objective == 31 and log.lipschitz > 0, "construct logs the objective per step")
  local tmp = os.tmpname()
  layer:save(tmp)
  local back = rdn.nn.load(tmp)
  os.remove(tmp)
  T.ok(maxdiff(back:forward(X), W) == 0, "ISTA layer save / load")
end

-- structure learning (reconstruction): objective per half-step, lambdas -> 0, the net
do
  local X = rdn.tensor(matrix(60, 8), f64 and "f64" or "f32")
  local r = rdn.structure.learn(X, { groups = { { 0, 1 }, { 2, 3 }, { 4, 5 }, { 6, 7 } },
                                     units = 6, lambda_a = 0.05, lambda_g = 0.02, max_layers = 1,
                                     iters = 25, tol = 0 })
  local o, mono = r.layers[1].objective, true
  for i = 2, #o do if o[i] > o[i - 1] * (1 + 1e-9) then mono = false end end
  T.ok(mono and #o == 50, "alternating minimisation: objective non-increasing per half-step")
  T.ok(maxdiff(r.net:forward(X), r.features) == 0, "the learned net reproduces the features")
  local M, nc = rdn.structure.mask(r.layers[1]), 0
  for _, g in ipairs(M) do nc = nc + #g end
  T.ok(#M == 6 and nc == r.layers[1].active * 6, "mask lists = connected groups")
  local r0 = rdn.structure.learn(X, { groups = { image = { 2, 4 } }, units = 10, lambda_a = 1e-4,
                                      lambda_g = 0, max_layers = 1, iters = 150, ista_steps = 30,
                                      tol = 0, nonneg = false })
  local L = r0.layers[1]
  local res = X:clone()
  rdn.gemm(L.codes, L.D, res, { tb = true, alpha = -1, beta = 1 })
  T.ok(math.sqrt(res:sumsq() / X:sumsq()) < 0.05, string.format(
       "lambda_G = 0, lambda_A -> 0, n >= n_in: reconstruction error %.3g -> 0",
       math.sqrt(res:sumsq() / X:sumsq())))
  local fn = function(g) return function() rdn.structure.learn(X, { groups = g, units = 4 }) end end
  T.errors(fn { { 0, 1 }, { 1, 2 }, { 3, 4, 5, 6, 7 } }, "input 1 is in groups 0 and 1")
  T.errors(fn { { 0, 1 }, { 2, 3 }, { 4, 5, 6 } }, "input 7 is in no group")
  T.errors(fn { { 0, 1 }, { 2, 9 }, { 3, 4, 5, 6, 7 } }, "lists input 9, outside 0..7")
  T.errors(fn { 0, 0, 1, 1, 3, 3, 3, 3 }, "group 2 is empty")
  T.errors(fn { 0, 0, 1 }, "groups has 3 ids, the data has 8 inputs")
  T.errors(function() rdn.structure.learn(X, { groups = { image = { 2, 4 } }, lambda_a = -1 }) end,
           "lambda_a must be >= 0 and finite, got -1")
end

T.done()
