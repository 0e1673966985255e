-- test_rate.lua -- rdn.rate (coding rate, class rate, MCR²) against the closed forms of
-- SPEC §1.1 / §7.1, a float64 reference written here in Lua, invariances, the spectral
-- form against the vector form, the Gram / Cholesky bindings, and the error messages.
local T = dofile("tests/testlib.lua")
local rdn = require "rdn"
local rate = rdn.rate

local E = 0.1

-- Deterministic pseudo-random numbers in [-1, 1).
local seed = 12345
local function rnd()
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 1073741824 - 1
end

-- Host helpers in double: Gram, Cholesky log-det, rates.
local function logdet(a, n)
  local l = {}
  for i = 1, n do l[i] = {} end
  local s = 0
  for j = 1, n do
    local d = a[j][j]
    for k = 1, j - 1 do d = d - l[j][k] * l[j][k] end
    l[j][j] = math.sqrt(d)
    s = s + 2 * math.log(l[j][j])
    for i = j + 1, n do
      local v = a[i][j]
      for k = 1, j - 1 do v = v - l[i][k] * l[j][k] end
      l[i][j] = v / l[j][j]
    end
  end
  return s
end

local function rates(z, y, d, k)
  local m = #z
  local function part(cls)
    local g, mc = {}, 0
    for i = 1, d do g[i] = {} for j = 1, d do g[i][j] = 0 end end
    for r = 1, m do
      if cls == nil or y[r] == cls then
        mc = mc + 1
        for i = 1, d do for j = 1, d do g[i][j] = g[i][j] + z[r][i] * z[r][j] end end
      end
    end
    local a = d / (mc * E)
    for i = 1, d do for j = 1, d do g[i][j] = a * g[i][j] + (i == j and 1 or 0) end end
    return logdet(g, d), mc
  end
  local R = 0.5 * part(nil)
  local Rc = 0
  for c = 0, k - 1 do
    local ld, mc = part(c)
    Rc = Rc + mc / (2 * m) * ld
  end
  return R, Rc
end

local function unit_rows(m, d)
  local z = {}
  for i = 1, m do
    local row, n2 = {}, 0
    for j = 1, d do row[j] = rnd() n2 = n2 + row[j] * row[j] end
    for j = 1, d do row[j] = row[j] / math.sqrt(n2) end
    z[i] = row
  end
  return z
end

-- Closed forms (SPEC §7.1).
do
  -- 8 orthonormal rows: a signed permutation matrix
  local z = {}
  for i = 1, 8 do
    z[i] = {}
    for j = 1, 8 do z[i][j] = 0 end
    z[i][(i * 3) % 8 + 1] = i % 2 == 0 and -1 or 1
  end
  T.near(rate.coding_rate(rdn.tensor(z), E), 9.591581091193483, 1e-6, "orthonormal R")
  T.near(rate.coding_rate(rdn.tensor(z, "f64"), E), 9.591581091193483, 1e-12, "orthonormal R f64")
  local same = {}
  for i = 1, 20 do same[i] = z[1] end
  T.near(rate.coding_rate(rdn.tensor(same), E), math.log(9), 1e-6, "identical samples: ln 9")
  -- orthogonal lines, d = k = 2 and 3 (the MCR² optimum)
  for _, k in ipairs({ 2, 3 }) do
    local zz, y = {}, {}
    for i = 1, 10 * k do
      local c = (i - 1) % k
      zz[i] = {}
      for j = 1, k do zz[i][j] = j == c + 1 and 1 or 0 end
      y[i] = c
    end
    local want = k == 2 and 0.8756340539366587 or 1.879849
    local dR, R, Rc = rate.mcr2(rdn.tensor(zz), y, E)
    T.near(dR, want, k == 2 and 1e-6 or 1e-6, "orthogonal lines d = k = " .. k)
    T.near(R - Rc, dR, 1e-12, "dR = R - Rc")
  end
end

-- Random unit rows vs the Lua reference; invariances; both sides of the Gram identity.
do
  local m, d, k = 60, 8, 3
  local z = unit_rows(m, d)
  local y = {}
  for i = 1, m do y[i] = (i * 7) % k end
  local R, Rc = rates(z, y, d, k)
  local Z = rdn.tensor(z)
  local dR, R1, Rc1 = rate.mcr2(Z, y, E)
  T.near(R1, R, 2e-6, "R vs host")
  T.near(Rc1, Rc, 2e-6, "Rc vs host")
  T.ok(dR >= 0, "dR >= 0")
  T.near(rate.class_rate(Z, y, E), Rc, 2e-6, "class_rate")
  T.near(rate.class_rate(Z, rdn.tensor(y, "i32"), E, 3), Rc, 2e-6, "class_rate, i32 labels")
  -- orthogonal U of the features: a rotation in the (1, 2) plane and a sign flip
  local c, s = math.cos(0.7), math.sin(0.7)
  local zu = {}
  for i = 1, m do
    local r = { table.unpack(z[i]) }
    r[1], r[2] = c * z[i][1] - s * z[i][2], s * z[i][1] + c * z[i][2]
    r[5] = -r[5]
    zu[i] = r
  end
  local dRu, Ru, Rcu = rate.mcr2(rdn.tensor(zu), y, E)
  T.near(dRu, dR, 2e-6, "dR invariant to U")
  T.near(Ru, R1, 2e-6, "R invariant to U")
  T.near(Rcu, Rc1, 2e-6, "Rc invariant to U")
  -- the samples' side (m < d) and the features' side agree
  local zs = {}
  for i = 1, 5 do zs[i] = z[i] end
  local g1 = rdn.gram(rdn.tensor(zs), { side = "cols", alpha = 0.3, diag = 1 })
  local g2 = rdn.gram(rdn.tensor(zs), { side = "rows", alpha = 0.3, diag = 1 })
  T.near(rdn.spd_logdet(g1), rdn.spd_logdet(g2), 2e-6, "logdet(I + a Z^T Z) = logdet(I + a Z Z^T)")
  T.ok(g1:shape()[1] == 8 and g2:shape()[1] == 5, "gram shapes")
  -- per-class Grams sum to the whole Gram
  local gc = rdn.gram_classes(Z, y, k)
  local whole = rdn.gram(Z)
  local sum = rdn.gram_sum(gc)
  local a, b, worst = sum:totable(), whole:totable(), 0
  for i = 1, d do for j = 1, d do worst = math.max(worst, math.abs(a[i][j] - b[i][j])) end end
  T.ok(worst < 1e-5, "sum of class Grams = whole Gram (" .. worst .. ")")
end

-- Spectral rates: T = 1 is the vector case; a real signal's full and half spectra agree.
do
  local m, C = 12, 3
  local z, y = unit_rows(m, C), {}
  for i = 1, m do y[i] = i % 2 end
  local dRv, Rv = rate.mcr2(rdn.tensor(z), y, E)
  local spec = {}
  for i = 1, m do spec[i] = {} for c = 1, C do spec[i][c] = { { z[i][c], 0 } } end end
  -- c64 [m, C, 1] (leaves are {re, im})
  local Zc = rdn.tensor(spec, "c64")
  local dRs, Rs = rate.mcr2(Zc, y, E, { t = 1 })
  T.near(dRs, dRv, 2e-6, "spectral T = 1 equals the vector dR")
  T.near(rate.coding_rate(Zc, E, { t = 1, half = true }), Rv, 2e-6, "spectral R, T = 1")
end

-- Errors.
do
  local Z = rdn.tensor(unit_rows(40, 6))
  local y = {}
  for i = 1, 40 do y[i] = (i - 1) % 10 end
  y[38] = 12
  T.errors(function() rate.mcr2(Z, y, 0.5, 10) end,
           "rdn.mcr2: labels out of range: label 12 at sample 37, classes = 10", "table label")
  local yt = rdn.tensor(y, "i32")
  T.errors(function() rate.mcr2(Z, yt, 0.5, 10) end,
           "rdn.mcr2: labels out of range: label 12 at sample 37, classes = 10", "device label")
  y[38] = 7
  y[4] = -1
  T.errors(function() rate.class_rate(Z, y, 0.5) end, "label -1 at sample 3", "negative label")
  y[4] = 3
  T.errors(function() rate.mcr2(Z, y, 0.5, 11) end, "empty class: class 10 has no samples",
           "empty class")
  T.errors(function() rate.mcr2(Z, { 0, 1, 0 }, 0.5) end,
           "shape mismatch: 40 samples, labels are [3]", "mismatched m")
  T.errors(function() rate.mcr2(Z, y, 0) end, "'eps_sq' must be finite and > 0, got 0",
           "eps_sq = 0")
  T.errors(function() rate.coding_rate(Z, -1) end, "got -1", "eps_sq < 0")
  T.errors(function() rate.coding_rate(Z, 0 / 0) end, "must be finite", "eps_sq NaN")
  T.errors(function() rate.coding_rate(Z, math.huge) end, "got inf", "eps_sq inf")
  local bad = unit_rows(40, 6)
  bad[14][5] = 0 / 0
  T.errors(function() rate.mcr2(rdn.tensor(bad), y, 0.5) end,
           "rdn.mcr2: 'z' has nan at sample 13, feature 4", "NaN in Z")
  bad[14][5] = 0
  bad[3][2] = math.huge
  T.errors(function() rate.coding_rate(rdn.tensor(bad), 0.5) end,
           "'z' has inf at sample 2, feature 1", "Inf in Z")
  T.errors(function() rate.mcr2(Z, { 0, 1.5 }, 0.5) end, "labels[2] is not an integer",
           "non-integer label")
  local Zc = rdn.zeros({ 4, 3, 5 }, "c64")
  T.errors(function() rate.coding_rate(Zc, 0.5) end, "need opts {t = T", "spectra need t")
  T.errors(function() rate.coding_rate(Zc, 0.5, { t = 12, half = true }) end,
           "'z' has 5 frequencies, but t = 12 with the half spectrum needs 7", "wrong t")
  local a = rdn.tensor({ { 1, 2 }, { 2, 1 } })
  T.errors(function() rdn.cholesky(a) end,
           "rdn.cholesky: matrix 0 is not positive definite: pivot 1", "non-SPD")
end

T.done()
