-- test_interpolation.lua -- rdn.interp and the rdn.nn Linear / ReLU layers: exact
-- interpolation (f64 <= 1e-8; f32 within 16 cond eps32), multi-output and label targets,
-- the triangular / identity / block structure of the interpolation matrices, rank
-- deficiency, the float32 warning, model files, and the bad-input messages.  References
-- are computed here in double precision Lua.
local T = dofile("tests/testlib.lua")
local rdn = require "rdn"
local nn, interp = rdn.nn, rdn.interp

local fp64 = rdn.device().fp64

local maxdiff = T.maxdiff

local function maxabs(t)
  local v = 0
  for i = 1, #t do
    if type(t[i]) == "table" then v = math.max(v, maxabs(t[i]))
    else v = math.max(v, math.abs(t[i])) end
  end
  return v
end

-- Linear and ReLU layers against the host
do
  local L = nn.Linear { inputs = 7, outputs = 11, seed = 5, dtype = fp64 and "f64" or "f32" }
  local X = rdn.randn { 13, 7, seed = 6, dtype = L.dtype }
  local W, b, x = L.weight:totable(), L.bias:totable(), X:totable()
  local ref, rref = {}, {}
  for i = 1, 13 do
    ref[i], rref[i] = {}, {}
    for u = 1, 11 do
      local s = b[u]
      for k = 1, 7 do s = s + x[i][k] * W[u][k] end
      ref[i][u], rref[i][u] = s, math.max(s, 0)
    end
  end
  local tol = fp64 and 1e-12 or 1e-5
  T.ok(maxdiff(L:forward(X):totable(), ref) <= tol, "Linear forward")
  T.ok(maxdiff(nn.ReLU():forward(L:forward(X)):totable(), rref) <= tol, "ReLU forward")
  T.ok(maxdiff(L:forward(X, true):totable(), rref) <= tol, "Linear fused ReLU")
  T.ok(maxdiff(L:forward(X:astype("f32")):totable(), ref) <= 1e-5, "Linear converts f32 input")
  T.ok(tostring(L):find("Linear(7 -> 11", 1, true), "Linear tostring")
  T.errors(function() L:forward(rdn.randn { 4, 6 }) end,
           "has 6 features per sample, the layer takes 7")
  T.errors(function() nn.Linear { weight = rdn.randn { 3, 2 }, bias = rdn.randn { 4 } } end,
           "bias must be f32 with 3 elements")
end

if not fp64 then
  io.stderr:write("note: device without fp64: only the float32 paths are tested\n")
end
local dt = fp64 and "f64" or "f32"

-- three_layer: exact interpolation, multi-output, structure of A, cond and order
do
  local m, d = 40, 5
  local X = rdn.randn { m, d, seed = 11, dtype = dt }
  local Y = rdn.randn { m, 3, seed = 12, dtype = dt }
  local net, info = interp.three_layer(X, Y, { k = 16, seed = 1 })
  local err = maxdiff(net:forward(X):totable(), Y:totable())
  local tol = fp64 and 1e-8 or 16 * info.cond * 2 ^ -23 * maxabs(Y:totable())
  T.ok(err <= tol, string.format("three_layer %s: max error %.3g <= %.3g", dt, err, tol))
  T.ok(info.max_error <= tol and info.units[1] == m and info.solve == (fp64 and "f64" or "f32"),
       "three_layer info")
  T.ok(#net.children == 3 and info.direction:numel() == d, "three_layer net shape")
  -- A of the sorted data: lower triangular with a positive diagonal, row i fires i units
  local A, st = interp.matrix(net, X:gather_rows(info.order))
  local a, bad = A:totable(), 0
  for r = 1, m do
    for u = 1, m do
      if (u > r and a[r][u] ~= 0) or (u == r and not (a[r][u] > 0)) then bad = bad + 1 end
    end
  end
  T.ok(bad == 0, "triangular structure (" .. bad .. " bad entries)")
  local rn = st.row_nnz:totable()
  local inc = true
  for r = 1, m do inc = inc and rn[r] == r end
  T.ok(inc and st.nnz == m * (m + 1) // 2 and st.row_min == 1 and st.col_max == m,
       "sparsity: row i has i non-zeros")
  if fp64 then T.ok(st.rank == m, "full rank " .. tostring(st.rank)) end
  -- min gap is the smallest gap of the sorted projections on the direction
  local p = rdn.matmul(X, info.direction:reshape(d, 1)):totable()
  local o = info.order:totable()
  local g = math.huge
  for r = 2, m do g = math.min(g, p[o[r] + 1][1] - p[o[r - 1] + 1][1]) end
  T.near(info.min_gap, g, 1e-6, "min gap")
  -- a model file round trip keeps the function
  local path = os.tmpname()
  net:save(path)
  local back = nn.load(path)
  os.remove(path)
  T.ok(maxdiff(back:forward(X):totable(), net:forward(X):totable()) == 0, "save / load")
  -- a given direction, 1-D targets as a Lua table, labels as one-hot targets
  local yt = {}
  for i = 1, m do yt[i] = math.sin(i) end
  local net2, i2 = interp.three_layer(X, yt, { direction = { 1, 0.5, -0.25, 0.125, 2 } })
  local f = net2:forward(X):totable()
  local e2 = 0
  for i = 1, m do e2 = math.max(e2, math.abs(f[i][1] - yt[i])) end
  T.ok(e2 <= (fp64 and 1e-8 or 16 * i2.cond * 2 ^ -23), "given direction, table targets: " .. e2)
  local labels = {}
  for i = 1, m do labels[i] = (i * 3) % 4 end
  local net3 = interp.three_layer(X, labels)
  local pred = net3:forward(X):argmax_rows():totable()
  local wrong = 0
  for i = 1, m do if pred[i] ~= labels[i] then wrong = wrong + 1 end end
  T.ok(wrong == 0, "labels memorised (" .. wrong .. " wrong)")
end

-- sparse_deep: hat (identity layer-2 matrix), interval (blocks), regression
do
  local m = 30
  local X = rdn.randn { m, 4, seed = 21, dtype = dt }
  local y = {}
  for i = 1, m do y[i] = (i * 7) % 3 end
  for _, mode in ipairs { "hat", "interval" } do
    local net, info = interp.sparse_deep(X, y, { mode = mode })
    local pred = net:forward(X):argmax_rows():totable()
    local wrong = 0
    for i = 1, m do if pred[i] ~= y[i] then wrong = wrong + 1 end end
    T.ok(wrong == 0, mode .. ": training labels recovered (" .. wrong .. " wrong)")
    local A2, st = interp.matrix(net, X, { layer = 2 })
    local a, dev = A2:totable(), 0
    if mode == "hat" then
      local o = info.order:totable()
      for u = 1, m do
        for i = 1, m do dev = math.max(dev, math.abs(a[i][u] - (i == o[u] + 1 and 1 or 0))) end
      end
      T.ok(dev <= (fp64 and 1e-9 or 1e-3) and st.row_max == 1 and st.col_max == 1,
           "hat: layer-2 matrix is the identity (deviation " .. dev .. ")")
    else
      local ok = true
      for i = 1, m do
        local ones = 0
        for u = 1, #a[1] do
          dev = math.max(dev, math.min(math.abs(a[i][u]), math.abs(a[i][u] - 1)))
          if a[i][u] > 0.5 then ones = ones + 1 end
        end
        ok = ok and ones == 1
      end
      T.ok(ok and dev <= (fp64 and 1e-9 or 1e-3) and info.intervals == #a[1],
           "interval: one unit per point, blocks (deviation " .. dev .. ")")
    end
  end
  local yr = rdn.randn { m, 2, seed = 22, dtype = dt }
  local net, info = interp.sparse_deep(X, yr)
  local err = maxdiff(net:forward(X):totable(), yr:totable())
  T.ok(err <= (fp64 and 1e-10 or 1e-3) and info.max_error <= (fp64 and 1e-10 or 1e-3),
       "hat regression error " .. err)
end

-- rank deficiency and duplicates
do
  local x = rdn.randn { 20, 5, seed = 31, dtype = dt }:totable()
  x[8] = x[3]                                   -- samples 2 and 7 (0-based) coincide
  local X = rdn.tensor(x, dt)
  local L = nn.Linear { inputs = 5, outputs = 50, seed = 3, dtype = dt }
  local _, st = interp.matrix(L, X)
  T.ok(st.rank == 19, "repeated point: rank " .. tostring(st.rank) .. " of 20")
  local y = {}
  for i = 1, 20 do y[i] = i end
  T.errors(function() interp.three_layer(X, y) end,
           "rdn.interp.three_layer: conflicting targets: samples 2 and 7 have identical inputs")
  local labels = {}
  for i = 1, 20 do labels[i] = i % 2 end
  labels[8] = labels[3]
  local net, info = interp.sparse_deep(X, labels, { mode = "hat" })
  T.ok(info.duplicates == 1, "consistent duplicate merged")
  local pred = net:forward(X):argmax_rows():totable()
  local wrong = 0
  for i = 1, 20 do if pred[i] ~= labels[i] then wrong = wrong + 1 end end
  T.ok(wrong == 0, "duplicate still classified")
  labels[8] = 1 - labels[3]
  T.errors(function() interp.sparse_deep(X, labels, { mode = "interval" }) end,
           "samples 2 and 7 have identical inputs but different labels")
end

-- float32 solve: a warning, not silent garbage
do
  local X = rdn.randn { 80, 3, seed = 41, dtype = dt }
  local Y = rdn.randn { 80, seed = 42, dtype = dt }
  local _, info = interp.three_layer(X, Y, { f32 = true, k = 4 })
  T.ok(info.solve == "f32" and type(info.warning) == "string" and
       info.warning:find("ill-conditioned", 1, true),
       "forced f32: warning " .. tostring(info.warning))
  local g = {}
  for i = 1, 9 do g[i] = { i - 1, 0.5 } end
  local _, i2 = interp.three_layer(g, { 0, 1, 0, 1, 2, 3, 1, 0, 2 },
                                   { f32 = true, direction = { 1, 0 } })
  T.ok(i2.warning == nil and i2.max_error <= 16 * i2.cond * 2 ^ -23, "grid data in f32: no warning")
end

-- bad input
do
  local X = rdn.randn { 10, 5, seed = 51, dtype = dt }
  local y = rdn.randn { 10, dtype = dt }
  T.errors(function() interp.three_layer({}, {}) end,
           "rdn.interp.three_layer: X has no samples (m = 0)")
  T.errors(function() interp.sparse_deep({}, {}) end,
           "rdn.interp.sparse_deep: X has no samples (m = 0)")
  T.errors(function() interp.three_layer(X, y, { direction = { 1, 2, 3, 4 } }) end,
           "rdn.interp.three_layer: direction has 4 elements, X has 5 features")
  T.errors(function() interp.three_layer(X, y, { direction = { 0, 0, 0, 0, 0 } }) end,
           "are distinct but have equal projections")
  local xn = X:totable()
  xn[4][2] = 0 / 0
  T.errors(function() interp.three_layer(rdn.tensor(xn, dt), y) end,
           "rdn.interp.three_layer: 'x' has NaN")
  local yn = y:totable()
  yn[3] = math.huge
  T.errors(function() interp.three_layer(X, rdn.tensor(yn, dt)) end, "'y' has Inf")
  T.errors(function() interp.three_layer(X, rdn.randn { 9, dtype = dt }) end,
           "Y has 9 rows, X has 10 samples")
  T.errors(function() interp.sparse_deep(X, y, { mode = "interval" }) end,
           "mode 'interval' needs class labels")
  T.errors(function() interp.sparse_deep(X, { 0, 1, 0, 1, 0, 1, 0, 1, 0, 1 }, { mode = "box" }) end,
           "mode must be 'hat' or 'interval', got 'box'")
  T.errors(function() interp.sparse_deep(X, { 0, 1, 0, 1, 0, 1, 0, 1, 0, -1 }) end, "label -1")
  T.errors(function() interp.three_layer(X, y, { foo = 1 }) end, "unknown option 'foo'")
  T.errors(function() interp.matrix({}, X) end, "rdn.interp.matrix: layer must be an rdn.nn.Linear")
  T.errors(function() interp.matrix(nn.Sequential { nn.Linear { inputs = 5, outputs = 3 } }, X) end,
           "rdn.interp.matrix: the Sequential has no ReLU layer")
  T.errors(function() rdn.linear(X, rdn.randn { 3, 4, dtype = dt }) end,
           "rdn.linear: shape mismatch: x is [10 x 5], w is [3 x 4]")
end

T.done()
