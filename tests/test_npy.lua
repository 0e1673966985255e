-- test_npy.lua -- rdn.npy.load / rdn.npy.save from Lua: round trips of every dtype and
-- of views, files written byte by byte here, the nil-msg convention for a missing file,
-- raised errors for corrupt files, and (only when python3 has numpy) interchange with
-- numpy both ways.
local T = dofile("tests/testlib.lua")

local dir = os.getenv("TMPDIR") or "/tmp"
local base = string.format("%s/rdn_npy_lua_%d_%d", dir, os.time(), math.random(1 << 30))
local made = {}
local function path(name)
  local p = base .. "_" .. name
  made[#made + 1] = p
  return p
end
local function write(p, bytes)
  local f = assert(io.open(p, "wb"))
  f:write(bytes)
  f:close()
end
local function npy(header, data)           -- version 1.0 file with a verbatim header
  return "\x93NUMPY\1\0" .. string.pack("<I2", #header) .. header .. (data or "")
end
local maxdiff = T.maxdiff

-- ------------------------------------------------------------- round trips
do
  local vals = { { { 1.5, -2, 3 }, { 4, 5, 6.25 } }, { { 7, 8, 9 }, { 0, -1, 1e-3 } } }
  for _, dt in ipairs{ "f32", "f64", "i32" } do
    local src = dt == "i32" and { { { 1, -2, 3 }, { 4, 5, 6 } }, { { 7, 8, 9 }, { 0, -1, 2 } } }
                or vals
    local t = rdn.tensor(src, dt)
    local p = path("rt_" .. dt .. ".npy")
    T.ok(rdn.npy.save(p, t) == true, dt .. " save returns true")
    local back = rdn.npy.load(p)
    T.ok(back:dtype() == dt and #back:shape() == 3 and back:dim(3) == 3, dt .. " shape/dtype")
    T.ok(maxdiff(back:totable(), t:totable()) == 0, dt .. " values")
  end
  local c = rdn.tensor({ { 1, 2 }, { -3, 0.5 } }, "c64")
  local p = path("rt_c64.npy")
  rdn.npy.save(p, c)
  T.ok(maxdiff(rdn.npy.load(p):totable(), { { 1, 2 }, { -3, 0.5 } }) == 0, "c64 round trip")
  -- a view with an offset
  local big = rdn.tensor({ { 1, 2 }, { 3, 4 }, { 5, 6 }, { 7, 8 } }, "f64")
  rdn.npy.save(p, big:rows(2, 2))
  T.ok(maxdiff(rdn.npy.load(p):totable(), { { 3, 4 }, { 5, 6 } }) == 0, "rows view saved")
  -- the file is numpy's layout: 64-byte aligned header ending in '\n'
  local f = assert(io.open(p, "rb"))
  local bytes = f:read("a")
  f:close()
  local hlen = string.unpack("<I2", bytes, 9)
  T.ok(bytes:sub(1, 8) == "\x93NUMPY\1\0" and (10 + hlen) % 64 == 0, "v1.0, padded to 64")
  T.ok(bytes:find("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", 1, true) == 11,
       "numpy's header dict")
  T.ok(#bytes == 10 + hlen + 32, "file size")
end

-- ---------------------------------------------------------- handmade files
do
  local p = path("u1.npy")
  write(p, npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }", "\0\1\128\255"))
  local t = rdn.npy.load(p)
  T.ok(t:dtype() == "f32" and maxdiff(t:totable(), { { 0, 1 }, { 128, 255 } }) == 0,
       "'|u1' decodes to f32")
  p = path("i8.npy")
  write(p, npy("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }",
               string.pack("<i8<i8<i8", 9, -1, 2147483647)))
  t = rdn.npy.load(p)
  T.ok(t:dtype() == "i32" and maxdiff(t:totable(), { 9, -1, 2147483647 }) == 0,
       "'<i8' decodes to i32")
end

-- ------------------------------------------------------------------ errors
do
  local p = path("missing.npy")
  local t, msg = rdn.npy.load(p)
  T.ok(t == nil and type(msg) == "string" and msg:find("No such file", 1, true)
       and msg:find(p, 1, true), "missing file: nil, msg naming the path")
  local ok, smsg = rdn.npy.save(base .. "_nodir/x/y.npy", rdn.zeros(2))
  T.ok(ok == nil and smsg:find("No such file", 1, true), "unwritable path: nil, msg")
  local cases = {
    { "magic", "\x93NUMPX\1\0\0\0", "not a .npy file (bad magic)" },
    { "trunc", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                   ("\0"):rep(20)),
      "truncated: data needs 24 bytes, the file has 20 after the header" },
    { "long", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", ("\0"):rep(12)),
      "size mismatch: data needs 8 bytes" },
    { "fortran", npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }",
                     ("\0"):rep(16)), "fortran_order True is not supported" },
    { "dtype", npy("{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", ("\0"):rep(4)),
      "unsupported dtype '<f2'" },
    { "header", npy("{'descr': '<f4', 'shape': (2,), }", ("\0"):rep(8)),
      "bad header: missing key 'fortran_order'" },
    { "dims", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1), }",
                  "\0\0\0\0"), "shape has more than 4 dimensions" },
  }
  for _, c in ipairs(cases) do
    local cp = path(c[1] .. ".npy")
    write(cp, c[2])
    local err = T.errors(function() rdn.npy.load(cp) end, c[3], "corrupt: " .. c[1])
    T.ok(err and err:find("rdn.npy_load: '" .. cp .. "'", 1, true) == nil and
         err:find("'" .. cp .. "'", 1, true), "corrupt " .. c[1] .. " names the path")
  end
  T.errors(function() rdn.npy.save(path("x.npy"), nil) end,
           "bad argument #2 to 'save' (rdn.Tensor expected, got nil)", "save arg type")
  T.errors(function() rdn.npy.load() end, "bad argument #1 to 'load'", "load arg type")
end

-- --------------------------------------------- numpy interchange (optional)
do
  local probe = io.popen("python3 -c 'import numpy' 2>/dev/null && echo yes")
  local have = probe and probe:read("a"):find("yes")
  if probe then probe:close() end
  if have then
    local a, b = path("np_a.npy"), path("np_b.npy")
    rdn.npy.save(a, rdn.tensor({ { 1, 2, 3 }, { 4, 5, 6 } }, "f64"))
    local cmd = string.format("python3 -c \"import numpy as np; x = np.load('%s'); " ..
      "np.save('%s', (x.T * 2).astype(np.float32).copy())\"", a, b)
    T.ok(os.execute(cmd), "numpy reads our file and writes one")
    local y = rdn.npy.load(b)
    T.ok(y and maxdiff(y:totable(), { { 2, 8 }, { 4, 10 }, { 6, 12 } }) == 0,
         "we read numpy's file")
  else
    io.stderr:write("note: python3 numpy not available, interchange test skipped\n")
  end
end

for _, p in ipairs(made) do os.remove(p) end
T.done()
