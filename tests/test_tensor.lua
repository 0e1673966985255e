-- test_tensor.lua -- the Lua tensor API: creation forms, shape/dtype queries, totable
-- round trips, views, release/<close>, error messages, and the ops (sum, norms, scale,
-- axpby, row ops, gather, matmul/gemm, randn) against references computed here in
-- double precision Lua.
local T = dofile("tests/testlib.lua")

-- deterministic host data in [-1, 1)
local state = 12345
local function rnd()
  state = (state * 1103515245 + 12345) % 2147483648
  return state / 1073741824 - 1
end
local function matrix(r, c)
  local m = {}
  for i = 1, r do
    m[i] = {}
    for j = 1, c do m[i][j] = rnd() end
  end
  return m
end
local function f32(x) return string.unpack("<f", string.pack("<f", x)) end
local maxdiff = T.maxdiff

-- ---------------------------------------------------------------- creation
do
  local t = rdn.tensor{{1, 2, 3}, {4, 5, 6}}
  T.ok(t:dtype() == "f32", "default dtype f32")
  local s = t:shape()
  T.ok(#s == 2 and s[1] == 2 and s[2] == 3, "shape {2, 3}")
  T.ok(t:dim(1) == 2 and t:dim(2) == 3 and t:dim(-1) == 3, "dim(i), dim(-1)")
  T.ok(#t == 2 and t:numel() == 6, "#t and numel")
  T.ok(maxdiff(t:totable(), {{1, 2, 3}, {4, 5, 6}}) == 0, "f32 totable round trip")
  T.ok(tostring(t) == "rdn.Tensor f32 [2 x 3] {1, 2, 3, 4, 5, 6}", "tostring: " .. tostring(t))
  local big = rdn.zeros(3, 4)
  T.ok(tostring(big):find("{0, 0, 0, 0, 0, 0, ...}", 1, true), "tostring elides")
  T.ok(rdn.is_tensor(t) and not rdn.is_tensor({}), "rdn.is_tensor")

  local m = matrix(5, 7)
  local d = rdn.tensor(m, "f64")
  T.ok(d:dtype() == "f64" and maxdiff(d:totable(), m) == 0, "f64 round trip is exact")
  local f = rdn.tensor(m)
  local want = {}
  for i = 1, 5 do want[i] = {} for j = 1, 7 do want[i][j] = f32(m[i][j]) end end
  T.ok(maxdiff(f:totable(), want) == 0, "f32 round trip equals float rounding")

  local i = rdn.tensor({{-3, 7}, {2147483647, -2147483648}}, "i32")
  local it = i:totable()
  T.ok(it[1][1] == -3 and it[2][1] == 2147483647 and math.type(it[1][2]) == "integer",
       "i32 round trip as integers")
  local c = rdn.tensor({{1, -2}, {0.5, 4}, {3, 0}}, "c64")
  T.ok(c:dim(1) == 3 and c:numel() == 3, "c64 leaves are {re, im} pairs")
  T.ok(maxdiff(c:totable(), {{1, -2}, {0.5, 4}, {3, 0}}) == 0, "c64 round trip")
  local cr = rdn.tensor({1, 2}, "c64")
  T.ok(maxdiff(cr:totable(), {{1, 0}, {2, 0}}) == 0, "c64 from real numbers")
  local q = rdn.tensor{{{{1}, {2}}}}
  T.ok(#q:shape() == 4 and q:dim(3) == 2, "4-D nested table")

  -- shapes as tables or varargs, dtype in table or trailing
  local forms = { rdn.zeros{2, 3}, rdn.zeros(2, 3), rdn.zeros({2, 3}, "f64"),
                  rdn.zeros{2, 3, dtype = "f64"}, rdn.zeros(2, 3, "f64") }
  for k, z in ipairs(forms) do
    T.ok(z:dim(1) == 2 and z:dim(2) == 3 and z:sum() == 0, "zeros form " .. k)
  end
  T.ok(forms[3]:dtype() == "f64" and forms[4]:dtype() == "f64" and forms[5]:dtype() == "f64",
       "zeros dtype forms")
  T.ok(rdn.ones(4):sum() == 4, "ones(4)")
  T.ok(rdn.ones{2, 2, dtype = "i32"}:dtype() == "i32", "ones i32")
  local fl = rdn.full({3, 5}, 2.5)
  T.ok(fl:sum() == 37.5 and fl:dim(2) == 5, "full({3,5}, 2.5)")
  T.ok(rdn.full(3, 5, -1):sum() == -15, "full(3, 5, -1)")
  T.ok(rdn.full({2}, 1.5, "f64"):dtype() == "f64", "full with dtype")
end

-- ------------------------------------------------------------------- views
do
  local m = matrix(6, 4)
  local t = rdn.tensor(m, "f64")
  local r = t:rows(2, 3)                       -- rows 2..4 (1-based)
  T.ok(r:dim(1) == 3 and r:dim(2) == 4, "rows view shape")
  T.ok(maxdiff(r:totable(), { m[2], m[3], m[4] }) == 0, "rows(2, 3) holds rows 2..4")
  r:fill(7)
  local all = t:totable()
  T.ok(all[1][1] == m[1][1] and all[5][4] == m[5][4] and all[2][1] == 7 and all[4][4] == 7,
       "fill on a rows view touches only those rows")
  local v = t:reshape(4, 6)
  T.ok(v:dim(1) == 4 and v:dim(2) == 6, "reshape varargs")
  local v2 = r:reshape{12}
  T.ok(v2:sum() == 84, "reshape of an offset view keeps its elements")
  local sub = r:rows(3, 1)                     -- row 4 of t: a view of a view
  sub:fill(-1)
  T.ok(t:totable()[4][2] == -1 and t:totable()[3][2] == 7, "view of a view has the right offset")
  t:release()
  T.ok(v2:sum() == 12 * 7 - 4 * 8, "a view keeps the storage alive after the parent's release")
  local c = v2:clone()
  c:fill(0)
  T.ok(v2:sum() ~= 0 and c:sum() == 0, "clone is a copy")
  local d = rdn.zeros(12, "f64")
  d:copy(v2)
  T.ok(d:sum() == v2:sum(), "copy(src)")
  T.errors(function() return v:rows(0, 1) end,
           "bad argument #1 to 'rows' (first row 0 outside [1, 4])", "rows i0 = 0")
  T.errors(function() return v:rows(3, 3) end, "3 rows from row 3 exceed the 4 rows",
           "rows too many")
  T.errors(function() return v:reshape(5, 5) end, "(shape has 25 elements, tensor has 24)",
           "reshape count")
  T.errors(function() return v:dim(3) end, "axis 3 out of range (tensor has 2)", "dim out of range")
  T.errors(function() d:copy(rdn.zeros(5, "f64")) end, "rdn.Tensor:copy:", "copy size mismatch")
end

-- ------------------------------------------------------- release / <close>
do
  local keep
  do
    local x <close> = rdn.zeros{2, 2}
    keep = x
    T.ok(x:numel() == 4, "usable inside its scope")
  end
  T.errors(function() return keep:numel() end, "attempt to use a released tensor",
           "<close> released")
  T.errors(function() return keep:sum() end, "attempt to use a released tensor", "ops too")
  T.ok(tostring(keep) == "rdn.Tensor (released)", "tostring of a released tensor")
  keep:release()                               -- releasing again is allowed
  T.errors(function() return rdn.matmul(keep, keep) end, "attempt to use a released tensor",
           "as an argument")
  for _ = 1, 50 do local _ = rdn.zeros(256, 256) end
  collectgarbage()
  T.ok(true, "garbage tensors are collected")
end

-- ------------------------------------------------------------------ errors
do
  T.errors(function() rdn.tensor{{1, 2, 3}, {4, 5}} end,
           "bad argument #1 to 'tensor' (ragged table: t[2] has 2 entries, expected 3)", "ragged")
  T.errors(function() rdn.tensor{{1, 2}, 3} end, "ragged table: t[2] is number, expected a table",
           "ragged depth")
  T.errors(function() rdn.tensor{{1, "x"}} end, "element t[1][2] is string, expected a number",
           "non-number")
  T.errors(function() rdn.tensor{} end, "empty table", "empty table")
  T.errors(function() rdn.tensor({1.5}, "i32") end, "expected a 32-bit integer", "i32 non-integer")
  T.errors(function() rdn.tensor({1}, "f16") end, "unknown dtype 'f16' (f32, f64, c64 or i32)",
           "bad dtype string")
  T.errors(function() rdn.zeros{2, 2, dtype = "half"} end, "field 'dtype': unknown dtype 'half'",
           "bad dtype field")
  T.errors(function() rdn.zeros{2, 2, dtyp = "f32"} end, "unknown option 'dtyp'", "unknown option")
  T.errors(function() rdn.zeros(0, 2) end, "dimension 1 is 0, must be >= 1", "zero extent")
  T.errors(function() rdn.zeros(2, 2.5) end, "dimension 2 is a non-integer number", "fractional")
  T.errors(function() rdn.zeros{2, "a"} end, "dimension 2 is string", "string extent")
  T.errors(function() rdn.zeros(1, 2, 3, 4, 5) end, "shape has 5 dimensions, expected 1 to 4",
           "too many dims")
  T.errors(function() rdn.zeros() end, "shape expected", "no shape")
  T.errors(function() rdn.matmul(nil, rdn.zeros(2, 2)) end,
           "bad argument #1 to 'matmul' (rdn.Tensor expected, got nil)", "matmul arg type")
  T.errors(function() rdn.zeros(2):copy(5) end,
           "bad argument #1 to 'copy' (rdn.Tensor expected, got number)", "method arg type")
  T.errors(function() rdn.matmul(rdn.zeros(2, 3), rdn.zeros(4, 2)) end,
           "rdn.matmul: shape mismatch: a is [2 x 3], b is [4 x 2]", "matmul shapes")
  T.errors(function() rdn.matmul(rdn.zeros(2, 3), rdn.zeros(3, 2), { tA = true }) end,
           "unknown option 'tA'", "matmul option typo")
  T.errors(function() rdn.matmul(rdn.zeros(6), rdn.zeros(6, 2)) end,
           "(2-D or 3-D tensor expected, got [6])", "matmul rank")
  local bad = rdn.tensor{1, 2, 0 / 0, 4}
  T.errors(function() bad:check_finite("z") end, "'z' has NaN at index 2", "NaN names index")
  T.errors(function() rdn.tensor{{1, 2}, {1 / 0, 4}}:check_finite() end, "at index 2",
           "Inf names index")
  T.ok(rdn.ones(3):check_finite("ok") ~= nil, "finite data passes")
end

-- ------------------------------------------------------- ops vs Lua reference
do
  local R, C = 37, 53                           -- odd sizes, not multiples of a work-group
  local m = matrix(R, C)
  local t = rdn.tensor(m, "f64")
  local s, ss = 0, 0
  for i = 1, R do for j = 1, C do s = s + m[i][j]; ss = ss + m[i][j] ^ 2 end end
  T.near(t:sum(), s, 1e-12, "sum f64")
  T.near(t:sumsq(), ss, 1e-12, "sumsq f64")
  T.near(t:norm(), math.sqrt(ss), 1e-12, "norm f64")
  local tf = rdn.tensor(m)
  T.near(tf:sum(), s, 1e-5, "sum f32")
  local rs = 0
  for i = 5, 9 do for j = 1, C do rs = rs + m[i][j] end end
  T.near(t:rows(5, 5):sum(), rs, 1e-12, "sum of a rows view")

  local u = t:clone():scale(-2.5)
  T.near(u:sum(), -2.5 * s, 1e-12, "scale returns t and scales")
  local y = t:clone():axpby(2, u, 3)           -- 2 (-2.5 m) + 3 m = -2 m
  T.near(y:sum(), -2 * s, 1e-12, "axpby")

  local rn = t:row_norms():totable()
  local worst = 0
  for i = 1, R do
    local n2 = 0
    for j = 1, C do n2 = n2 + m[i][j] ^ 2 end
    worst = math.max(worst, math.abs(rn[i] - math.sqrt(n2)))
  end
  T.ok(#rn == R and worst < 1e-12, "row_norms f64 (max err " .. worst .. ")")
  T.ok(tf:row_norms():dtype() == "f32", "row_norms of f32 is f32")
  local nz = t:clone():normalize_rows()
  local nn = nz:row_norms():totable()
  worst = 0
  for i = 1, R do worst = math.max(worst, math.abs(nn[i] - 1)) end
  T.ok(worst < 1e-12, "normalize_rows gives unit rows")
  T.ok(rdn.zeros(2, 3):normalize_rows():sum() == 0, "zero rows stay zero (clamp)")

  local am = t:argmax_rows()
  T.ok(am:dtype() == "i32" and am:numel() == R, "argmax_rows is i32 [rows]")
  local at, ok = am:totable(), true
  for i = 1, R do
    local best = 1
    for j = 2, C do if m[i][j] > m[i][best] then best = j end end
    if at[i] ~= best - 1 then ok = false end
  end
  T.ok(ok, "argmax_rows gives 0-based column indices")

  local idx = rdn.tensor({4, 0, 36, 4}, "i32")
  local g = t:gather_rows(idx):totable()
  T.ok(#g == 4 and maxdiff(g, { m[5], m[1], m[37], m[5] }) == 0, "gather_rows (0-based)")
  T.errors(function() t:gather_rows(rdn.tensor({0, 37}, "i32")) end,
           "index out of range: idx[1] = 37", "gather index out of range")
end

-- -------------------------------------------------------------- matmul / gemm
local function ref_mm(a, b, ta, tb, alpha)
  local function at(x, t, i, j) if t then return x[j][i] end return x[i][j] end
  local m = ta and #a[1] or #a
  local k = ta and #a or #a[1]
  local n = tb and #b or #b[1]
  local c = {}
  for i = 1, m do
    c[i] = {}
    for j = 1, n do
      local s = 0
      for l = 1, k do s = s + at(a, ta, i, l) * at(b, tb, l, j) end
      c[i][j] = (alpha or 1) * s
    end
  end
  return c
end

do
  local M, K, N = 17, 23, 19
  for _, dt in ipairs{ "f32", "f64" } do
    local tol = dt == "f32" and 1e-5 or 1e-12
    local a, b = matrix(M, K), matrix(K, N)
    local at, bt = matrix(K, M), matrix(N, K)
    local ra, rb = rdn.tensor(a, dt), rdn.tensor(b, dt)
    local rat, rbt = rdn.tensor(at, dt), rdn.tensor(bt, dt)
    local c = rdn.matmul(ra, rb)
    T.ok(c:dim(1) == M and c:dim(2) == N and c:dtype() == dt, dt .. " matmul shape")
    T.ok(maxdiff(c:totable(), ref_mm(a, b)) < tol * K, dt .. " matmul NN")
    T.ok(maxdiff(rdn.matmul(rat, rb, { ta = true }):totable(), ref_mm(at, b, true)) < tol * K,
         dt .. " matmul TN")
    T.ok(maxdiff(rdn.matmul(ra, rbt, { tb = "T", alpha = -0.5 }):totable(),
                 ref_mm(a, bt, false, true, -0.5)) < tol * K, dt .. " matmul NT alpha")
    T.ok(maxdiff(rdn.matmul(rat, rbt, { ta = "C", tb = true }):totable(),
                 ref_mm(at, bt, true, true)) < tol * K, dt .. " matmul 'C' on real = T")
    -- gemm: c = 2 a b + 0.5 c, into a rows view of a bigger tensor
    local big = rdn.full({M + 4, N}, 1, dt)
    local cv = big:rows(3, M)
    local back = rdn.gemm(ra, rb, cv, { alpha = 2, beta = 0.5 })
    T.ok(back == cv, "gemm returns c")
    local want = ref_mm(a, b, false, false, 2)
    for i = 1, M do for j = 1, N do want[i][j] = want[i][j] + 0.5 end end
    local bt2 = big:totable()
    T.ok(maxdiff(cv:totable(), want) < tol * K and bt2[1][1] == 1 and bt2[M + 3][N] == 1,
         dt .. " gemm alpha/beta into an offset view")
  end
  -- batched: [3, M, K] x [K, N] (shared b)
  local a3 = {}
  for bi = 1, 3 do a3[bi] = matrix(5, 6) end
  local b2 = matrix(6, 4)
  local c3 = rdn.matmul(rdn.tensor(a3, "f64"), rdn.tensor(b2, "f64")):totable()
  local ok = #c3 == 3
  for bi = 1, 3 do ok = ok and maxdiff(c3[bi], ref_mm(a3[bi], b2)) < 1e-12 end
  T.ok(ok, "batched matmul with a shared b")
  -- complex: a^H b with c64
  local ca, cb = {}, {}
  for i = 1, 4 do ca[i], cb[i] = {}, {} for j = 1, 3 do
    ca[i][j] = { rnd(), rnd() }
    cb[i][j] = { rnd(), rnd() }
  end end
  local cc = rdn.matmul(rdn.tensor(ca, "c64"), rdn.tensor(cb, "c64"), { ta = "C" }):totable()
  local worst = 0
  for i = 1, 3 do for j = 1, 3 do
    local re, im = 0, 0
    for l = 1, 4 do
      local xr, xi = ca[l][i][1], -ca[l][i][2]
      local yr, yi = cb[l][j][1], cb[l][j][2]
      re, im = re + xr * yr - xi * yi, im + xr * yi + xi * yr
    end
    worst = math.max(worst, math.abs(cc[i][j][1] - re), math.abs(cc[i][j][2] - im))
  end end
  T.ok(worst < 1e-5, "c64 matmul a^H b (err " .. worst .. ")")
end

-- ------------------------------------------------------------------- randn
do
  local n = 20000
  local x = rdn.randn{n, seed = 7}
  local mean, var = x:sum() / n, x:sumsq() / n
  T.ok(math.abs(mean) < 5 / math.sqrt(n), "randn mean ~ 0 (" .. mean .. ")")
  T.ok(math.abs(var - 1) < 0.05, "randn variance ~ 1 (" .. var .. ")")
  local y = rdn.randn{n, seed = 7}
  y:axpby(1, x, -1)
  T.ok(y:sumsq() == 0, "same seed, same numbers")
  local z1, z2 = rdn.randn(4, 5), rdn.randn(4, 5)
  T.ok(z1:clone():axpby(1, z2, -1):sumsq() > 0, "unseeded calls differ")
  T.ok(rdn.randn{3, 3, dtype = "f64", seed = 1}:dtype() == "f64", "randn dtype option")
  local w = rdn.zeros(10):randn(7)
  T.ok(maxdiff(w:totable(), x:reshape(n):rows(1, 10):totable()) == 0, "t:randn(seed) refills")
end

-- ------------------------------------------------------------------ device
do
  local d = rdn.device()
  T.ok(type(d.name) == "string" and #d.name > 0, "device name")
  T.ok(d.type == "cpu" or d.type == "gpu" or d.type == "other", "device type")
  T.ok(type(d.fp64) == "boolean", "device fp64 boolean")
  T.ok(math.type(d.compute_units) == "integer" and d.compute_units > 0, "compute units")
  T.ok(d.global_mem > 0 and d.max_alloc > 0 and d.max_alloc <= d.global_mem, "memory sizes")
  T.ok(d.index and d.index:match("^%d+:%d+$"), "device index P:D")
  T.ok(type(d.vendor) == "string" and type(d.platform) == "string" and type(d.driver) == "string"
       and type(d.version) == "string", "device strings")
  local list = rdn.devices()
  local found = false
  for _, e in ipairs(list) do if e.index == d.index and e.name == d.name then found = true end end
  T.ok(found, "rdn.devices() lists the default device")
  local st = rdn.stats()
  T.ok(st.launches > 0 and st.builds_source + st.builds_binary > 0, "stats counts")
  T.ok(type(rdn.version) == "string" and rdn.version:match("^%d+%.%d+%.%d+$"), "rdn.version")
  local cd = rdn.cache_dir()
  T.ok(cd == nil or type(cd) == "string", "cache_dir")
  rdn.finish()
  T.ok(rdn.nosuchmodule == nil, "missing submodule reads nil")
end

T.done()
