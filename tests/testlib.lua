-- testlib.lua -- a tiny assertion library for the Lua tests:
--   local T = dofile("tests/testlib.lua")
--   T.ok(cond, msg)  T.near(a, b, tol, msg)  T.errors(fn, pattern, msg)  T.done()
--   T.maxdiff(a, b): max |a - b| over nested tables of numbers
-- Failures print "FAIL <msg>: <why>" with the caller's line; T.done() prints exactly
-- "N passed, N failed" and exits 1 when anything failed.
local T = { passed = 0, failed = 0 }

local here = debug.getinfo(1, "S").source

local function where()            -- the first caller outside this file
  for level = 2, 20 do
    local info = debug.getinfo(level, "Sl")
    if not info then break end
    if info.source ~= here and info.what ~= "C" then
      return info.short_src .. ":" .. (info.currentline or 0)
    end
  end
  return "?"
end

local function record(ok, msg, why)
  if ok then
    T.passed = T.passed + 1
  else
    T.failed = T.failed + 1
    io.stderr:write(string.format("FAIL %s: %s%s\n", where(), tostring(msg or "check"),
                                  why and (": " .. why) or ""))
  end
  return ok
end

--- T.ok(cond, msg): passes when cond is truthy.
function T.ok(cond, msg)
  return record(cond and true or false, msg)
end

--- T.near(a, b, tol, msg): |a - b| <= tol * max(1, |b|) (relative above 1, absolute
--- below); NaN never passes.
function T.near(a, b, tol, msg)
  if type(a) ~= "number" or type(b) ~= "number" then
    return record(false, msg, "got " .. type(a) .. " and " .. type(b))
  end
  local err = math.abs(a - b) / math.max(1, math.abs(b))
  return record(err <= tol, msg, string.format("got %.17g, want %.17g (err %.3g > tol %.3g)",
                                               a, b, err, tol))
end

--- T.errors(fn, pattern, msg): fn() must raise an error whose message contains the plain
--- string `pattern`; returns the message.
function T.errors(fn, pattern, msg)
  local ok, err = pcall(fn)
  if ok then return record(false, msg, "no error raised") and nil end
  err = tostring(err)
  if pattern and not err:find(pattern, 1, true) then
    record(false, msg, "error '" .. err .. "' lacks '" .. pattern .. "'")
    return err
  end
  record(true, msg)
  return err
end

--- T.maxdiff(a, b) -> max |a[i] - b[i]| over nested tables of numbers (or {re, im}),
--- walking the entries of b.
function T.maxdiff(a, b)
  local d = 0
  for i = 1, #b do
    if type(b[i]) == "table" then d = math.max(d, T.maxdiff(a[i], b[i]))
    else d = math.max(d, math.abs(a[i] - b[i])) end
  end
  return d
end

--- T.done(): prints the summary line; exits 1 on any failure.
function T.done()
  io.stdout:write(string.format("%d passed, %d failed\n", T.passed, T.failed))
  io.stdout:flush()
  if T.failed > 0 then os.exit(1) end
end

return T
