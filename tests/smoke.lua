-- smoke.lua -- runs one example (arg[1]) under RDN_SMOKE=1 (set by tests/run.sh, so the
-- example picks small sizes) and reports it in the tests' format: "1 passed, 0 failed",
-- or the error with its traceback and "0 passed, 1 failed" (exit status 1).
local script = arg[1]
if not script then
  io.stderr:write("usage: rdn tests/smoke.lua examples/NAME.lua [args...]\n")
  os.exit(2)
end
local outer = arg
arg = { [0] = script, table.unpack(outer, 2) }   -- the example sees its own arg table
local ok, err = xpcall(dofile, debug.traceback, script)
arg = outer
io.stdout:flush()
if ok then
  print("1 passed, 0 failed")
else
  io.stderr:write("smoke: ", script, ": ", tostring(err), "\n")
  print("0 passed, 1 failed")
  os.exit(1)
end
