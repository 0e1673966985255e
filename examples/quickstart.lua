-- quickstart.lua -- a first tour of rdn (`make demo`): the device, a tensor round trip,
-- a GEMM timed cold (first call: the kernel is built, or loaded from the binary cache)
-- and warm, its error against a double-precision check, and what the program caches
-- did.  RDN_SMOKE=1 picks small sizes (used by `make check`).
local rdn = require "rdn"
local N = os.getenv("RDN_SMOKE") == "1" and 96 or 1024

local d = rdn.device()
print(string.format("device    %s [%s] %s, %d compute units, %.1f GiB, fp64 %s", d.name,
                    d.index or "?", d.type, d.compute_units, d.global_mem / 2 ^ 30,
                    d.fp64 and "yes" or "no"))
print(string.format("          %s, driver %s", d.platform, d.driver))

-- a tensor goes to the device and back
local t = rdn.tensor{ { 1, 2, 3 }, { 4, 5, 6 } }
local back = t:totable()
print(string.format("tensor    %s  sum %g  back[2][3] = %g", tostring(t), t:sum(), back[2][3]))

-- GEMM: C = A B with A, B ~ N(0, 1), timed on the host around rdn.finish()
local a = rdn.randn{ N, N, seed = 1 }
local b = rdn.randn{ N, N, seed = 2 }
rdn.finish()
local t0 = rdn.clock()
local c = rdn.matmul(a, b)
rdn.finish()
local cold = rdn.clock() - t0
local warm = math.huge
for _ = 1, 3 do
  t0 = rdn.clock()
  rdn.gemm(a, b, c)
  rdn.finish()
  warm = math.min(warm, rdn.clock() - t0)
end
local gflop = 2 * N ^ 3 / 1e9
print(string.format("gemm      %d x %d x %d f32: first call %.3f s, warm %.2f ms = %.1f GFLOP/s",
                    N, N, N, cold, warm * 1e3, gflop / warm))

-- check 16 entries against a double-precision dot product; the error is relative to
-- sum_k |a_ik b_kj|, the scale of f32 rounding in a length-N sum
local bt = b:totable()
local worst, seed = 0, 7
for _ = 1, 16 do
  seed = (seed * 1103515245 + 12345) % 2147483648
  local i, j = seed % N + 1, (seed // N) % N + 1
  local ai = a:rows(i, 1):totable()[1]
  local s, mag = 0, 0
  for k = 1, N do
    s = s + ai[k] * bt[k][j]
    mag = mag + math.abs(ai[k] * bt[k][j])
  end
  local got = c:rows(i, 1):totable()[1][j]
  worst = math.max(worst, math.abs(got - s) / mag)
end
print(string.format("check     max relative error %.2e over 16 entries (f32 epsilon %.2e)",
                    worst, 2 ^ -23))
if worst > 1e-4 then error(string.format("gemm check failed: relative error %.3g", worst)) end

-- program caches: a second run of this script loads every kernel from the binary cache
local st = rdn.stats()
print(string.format("programs  %d built from source, %d loaded from the binary cache, %d " ..
                    "in-memory hits; %d kernel launches", st.builds_source, st.builds_binary,
                    st.mem_hits, st.launches))
print(string.format("cache     %s", rdn.cache_dir() or "off (RDN_CACHE_DIR=off)"))
