-- test_lift.lua -- rdn.nn.Lift1D/2D `method` option ("auto" | "direct" | "fft"): the three
-- agree (1e-5 relative, f32 rounding), core.lift's 4th argument, save/load keeps the method,
-- files without it load as "auto", and bad values raise errors naming the value.
local rdn = require "rdn"
local core = require "rdn.core"
local T = dofile("tests/testlib.lua")
local tmp = os.tmpname()

local function rel(a, b)
  return math.sqrt(a:clone():axpby(-1, b, 1):sumsq() / math.max(b:sumsq(), 1e-30))
end

-- 1. the three methods agree, 1-D and 2-D (odd sizes), through the layer and core.lift
for _, case in ipairs {
  { rdn.nn.Lift1D, rdn.randn { 5, 2, 15, seed = 4 }, 5 },
  { rdn.nn.Lift2D, rdn.randn { 4, 1, 9, 10, seed = 5 }, 3 },
} do
  local C, X, k = case[1], case[2], case[3]
  local out = {}
  for _, m in ipairs { "auto", "direct", "fft" } do
    local L = C { channels = 6, kernel = k, seed = 7, method = m }
    T.ok(L.method == m, "method stored: " .. m)
    local _, Z = L:construct(X)
    out[m] = Z
  end
  T.ok(rel(out.fft, out.direct) < 1e-5, C.__name .. ": fft == direct: " ..
       rel(out.fft, out.direct))
  T.ok(rel(out.auto, out.direct) < 1e-5, C.__name .. ": auto == direct")
  T.ok(C { channels = 2 }.method == "auto", C.__name .. ": default method auto")
end
local x, w = rdn.randn { 3, 2, 12, seed = 1 }, rdn.randn { 4, 2, 3, seed = 2 }
local a, b = core.lift(x, w, false, "direct"), core.lift(x, w, false, "fft")
T.ok(rel(b, a) < 1e-5, "core.lift method argument: fft == direct")
T.ok(rel(core.lift(x, w, false), a) < 1e-5, "core.lift without a method (auto)")
T.errors(function() core.lift(x, w, true, "fast") end,
         "method must be 'auto', 'direct' or 'fft', got 'fast'", "core.lift bad method")
T.errors(function() core.lift(x:astype("f64"), w:astype("f64"), true, "fft") end,
         "f32 only", "core.lift f64 with fft")

-- 2. save / load keeps the method; a file without it loads as "auto"
local L = rdn.nn.Lift2D { channels = 3, kernel = 3, seed = 1, method = "fft" }
local X = rdn.randn { 2, 1, 6, 7, seed = 9 }
local _, Z = L:construct(X)
L:save(tmp)
local L2 = rdn.nn.load(tmp)
T.ok(L2.method == "fft", "loaded method = fft, got " .. tostring(L2.method))
T.ok(rel(L2:forward(X), Z) < 1e-6, "loaded layer gives the same output")
T.ok(tostring(L2):find("method = fft", 1, true), "tostring names a non-default method")
local seq = rdn.nn.Sequential { rdn.nn.Lift1D { channels = 2, kernel = 3, method = "direct" } }
seq:construct(rdn.randn { 3, 1, 8, seed = 3 })
seq:save(tmp)
T.ok(rdn.nn.load(tmp).children[1].method == "direct", "method kept inside a Sequential")
local tensors, meta = L:state("")
meta.method = nil
meta.format, meta.format_version = rdn.nn.FORMAT, tostring(rdn.nn.FORMAT_VERSION)
assert(core.safetensors_save(tmp, tensors, meta))
local L3 = rdn.nn.load(tmp)
T.ok(L3.method == "auto", "old file without method loads as auto, got " .. tostring(L3.method))
T.ok(rel(L3:forward(X), Z) < 1e-5, "old file: same output")
meta.method = "slow"
assert(core.safetensors_save(tmp, tensors, meta))
T.errors(function() rdn.nn.load(tmp) end, "bad method: 'slow'", "bad method in a model file")
os.remove(tmp)

-- 3. bad values
T.errors(function() rdn.nn.Lift1D { method = "fast" } end,
         "rdn.nn.Lift1D: bad method: 'fast' (auto, direct or fft)", "Lift1D bad method")
T.errors(function() rdn.nn.Lift2D { method = 2 } end, "bad method: '2'", "Lift2D bad method")
local L64 = rdn.nn.Lift1D { channels = 2, kernel = 3, method = "fft" }
T.errors(function() L64:construct(rdn.randn { 2, 1, 8 }:astype("f64")) end, "f32 only",
         "fft on f64 data")
T.errors(function()
  rdn.nn.Lift1D { channels = 2, kernel = 3, method = "fft" }:construct(rdn.randn { 2, 1, 17 })
end, "length 17", "fft on a length the provider cannot do")
T.ok(select(2, rdn.nn.Lift1D { channels = 2, kernel = 3 }:construct(rdn.randn { 2, 1, 17 })),
     "auto on length 17 runs (direct)")
T.done()
