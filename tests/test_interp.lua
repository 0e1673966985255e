-- test_interp.lua -- the `rdn` interpreter as a user sees it, driven through io.popen:
-- error reports ("rdn: <where>: <msg>" + traceback, exit status 1), --version,
-- --devices, --help, arg passing, -e/-/-i, embedded modules and RDN_LUA_DIR, lazy
-- submodules, and that a second process compiles nothing (binary cache).
-- The interpreter is $RDN (set by tests/run.sh), default ./rdn.
local T = dofile("tests/testlib.lua")

local RDN = os.getenv("RDN") or "./rdn"
if RDN:sub(1, 1) ~= "/" then RDN = (os.getenv("PWD") or ".") .. "/" .. RDN end
local tmp = string.format("%s/rdn_interp_%d_%d", os.getenv("TMPDIR") or "/tmp", os.time(),
                          math.random(1 << 30))
local function q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end
local function sh(cmd) return os.execute(cmd) end
sh("mkdir -p " .. q(tmp))
local errfile = tmp .. "/stderr"

-- run(cmdline) -> stdout, stderr, exit code
local function run(args, env, stdin)
  local cmd = (env or "") .. " " .. q(RDN) .. " " .. args .. " 2>" .. q(errfile)
  if stdin then
    local inf = tmp .. "/stdin"
    local f = assert(io.open(inf, "wb"))
    f:write(stdin)
    f:close()
    cmd = cmd .. " <" .. q(inf)
  end
  local p = assert(io.popen(cmd, "r"))
  local out = p:read("a")
  local _, how, code = p:close()
  local f = io.open(errfile, "rb")
  local err = f and f:read("a") or ""
  if f then f:close() end
  return out, err, how == "exit" and code or 128 + (code or 0)
end
local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

-- ------------------------------------------------------------------ errors
do
  local out, err, code = run("-e " .. q("error('boom')"))
  T.ok(code == 1, "-e error exits 1 (got " .. code .. ")")
  T.ok(err:find("^rdn: %(command line%):1: boom\n"), "-e error reads 'rdn: (command line):1: boom'")
  T.ok(err:find("stack traceback:", 1, true), "traceback printed")
  T.ok(out == "", "nothing on stdout")

  local script = tmp .. "/fail.lua"
  write(script, "local x = 1\nlocal function f()\n  error('bad thing')\nend\nf()\n")
  out, err, code = run(q(script))
  T.ok(code == 1 and err:find("^rdn: " .. script:gsub("%p", "%%%0") .. ":3: bad thing\n"),
       "script error names file and line: " .. err:sub(1, 120))
  T.ok(err:find("in local 'f'", 1, true) or err:find("in function 'f'", 1, true)
       or err:find("in upvalue 'f'", 1, true), "traceback names the function")

  write(script, "local a = rdn.zeros(2, 3)\nlocal c = rdn.matmul(a, a)\n")
  out, err, code = run(q(script))
  T.ok(code == 1 and err:find(":2: rdn.matmul: shape mismatch: a is [2 x 3], b is [2 x 3]", 1,
       true), "runtime error from an op: " .. err:sub(1, 160))

  out, err, code = run("-e " .. q("error({})"))
  T.ok(code == 1 and err:find("(error object is a table value)", 1, true), "non-string error")
  out, err, code = run("-e " .. q("error(setmetatable({}, {__tostring = function() " ..
                                  "return 'custom' end}))"))
  T.ok(code == 1 and err:find("rdn: custom", 1, true), "error object with __tostring")
  out, err, code = run(q(tmp .. "/nonexistent.lua"))
  T.ok(code == 1 and err:find("^rdn: cannot open"), "missing script: " .. err)
  out, err, code = run("-e " .. q("x = = 1"))
  T.ok(code == 1 and err:find("^rdn: %(command line%):1:"), "syntax error")
  out, err, code = run("-e " .. q("os.exit(3)"))
  T.ok(code == 3, "os.exit code passes through")
  out, err, code = run("-e " .. q("rdn.zeros(2)"), "RDN_DEVICE=no-such-device-xyz")
  T.ok(code == 1 and err:find("no OpenCL device matches RDN_DEVICE 'no-such-device-xyz'", 1,
       true), "bad RDN_DEVICE is a Lua error: " .. err:sub(1, 120))
  out, err, code = run("-e " .. q("print(42)"), "RDN_DEVICE=no-such-device-xyz")
  T.ok(code == 0 and out == "42\n", "the context is created lazily")
end

-- ------------------------------------------------------------ info options
do
  local out, err, code = run("--version")
  T.ok(code == 0 and out:find("^rdn %d+%.%d+%.%d+ %(Lua 5%.4"), "--version: " .. out)
  local ver = out:match("^rdn (%S+)")
  T.ok(ver == rdn.version, "--version matches rdn.version")
  out, err, code = run("--help")
  T.ok(code == 0 and out:find("usage:", 1, true) and out:find("--devices", 1, true), "--help")
  out, err, code = run("--bogus")
  T.ok(code == 1 and err:find("unrecognized option", 1, true) and err:find("usage:", 1, true),
       "bad option: message, usage, exit 1")
  out, err, code = run("--devices")
  local d = rdn.device()
  T.ok(code == 0 and out:find("P:D", 1, true), "--devices header")
  local line
  for l in out:gmatch("[^\n]+") do if l:find(d.name, 1, true) then line = l end end
  T.ok(line and line:find(d.index, 1, true) and line:find(d.type, 1, true)
       and line:find("GiB", 1, true) and line:find(d.fp64 and "yes" or "no", 1, true),
       "--devices lists the default device with index, type, fp64, memory")
  T.ok(line and line:sub(1, 1) == "*", "--devices marks the default device")
end

-- -------------------------------------------------------- args, -e, -, -i
do
  local script = tmp .. "/args.lua"
  write(script, "print(arg[0], #arg, arg[1], arg[2], select('#', ...), ...)\n")
  local out, _, code = run(q(script) .. " one 'two words'")
  T.ok(code == 0 and out == script .. "\t2\tone\ttwo words\t2\tone\ttwo words\n",
       "arg table and ... : " .. out)
  out = run("-e " .. q("x = 2") .. " -e " .. q("print(x * 21)"))
  T.ok(out == "42\n", "several -e run in order")
  out = run("-e " .. q("print(rdn ~= nil, package.loaded.rdn == rdn, rdn.device ~= nil)"))
  T.ok(out == "true\ttrue\ttrue\n", "global rdn without require")
  out = run("-", nil, "print(1 + 1, arg[0])\n")
  T.ok(out == "2\t-\n", "script from stdin with '-': " .. out)
  out = run("", nil, "print('piped')\n")
  T.ok(out == "piped\n", "no arguments and a pipe run stdin")
  out = run("-i", nil, "1 + 2\nx = 5\nx * 2\nfunction f(a)\n  return a + 1\nend\nf(9)\n" ..
            "error('oops')\nprint('after')\n")
  T.ok(out:find("3\n", 1, true) and out:find("10\n", 1, true) and out:find("after", 1, true),
       "REPL prints values, continues after errors: " .. out)
  T.ok(out:find("10\n", 1, true) and out:find(">> ", 1, true), "REPL continuation lines")
  local _, err2 = run("-i", nil, "error('oops')\n")
  T.ok(err2:find("oops", 1, true), "REPL reports errors")
  out = run("-l string -e " .. q("print(type(string))"))
  T.ok(out == "table\n", "-l")
end

-- ------------------------------------------------ modules: embedded, dev dir
do
  local out, _, code = run("-e " .. q("print(package.preload['rdn.core'] ~= nil, " ..
                                     "package.searchers[2] ~= nil)"))
  T.ok(code == 0 and out == "true\ttrue\n", "rdn.core preloaded, searcher installed")
  -- embedded sources work from any directory
  out, _, code = run("-e " .. q("print(rdn.zeros(2):numel())"), "cd " .. q(tmp) .. " &&")
  T.ok(code == 0 and out == "2\n", "embedded rdn loads outside the source tree")
  -- RDN_LUA_DIR wins and lazy submodules find new files without editing init.lua
  sh("mkdir -p " .. q(tmp .. "/dev/rdn/sub"))
  write(tmp .. "/dev/rdn/zzmod.lua", "return { answer = 42 }\n")
  write(tmp .. "/dev/rdn/sub/init.lua", "return { name = 'sub' }\n")
  write(tmp .. "/dev/rdn/broken.lua", "error('broken module on purpose')\n")
  local real = io.open("lua/rdn/init.lua", "rb")
  if real then
    write(tmp .. "/dev/rdn/init.lua", real:read("a") .. "\n-- dev copy\n")
    real:close()
  end
  local env = "RDN_LUA_DIR=" .. q(tmp .. "/dev")
  out, _, code = run("-e " .. q("print(rdn.zzmod.answer, rdn.sub.name, rdn.nothere)"), env)
  T.ok(code == 0 and out == "42\tsub\tnil\n", "RDN_LUA_DIR modules, lazy fields: " .. out)
  out = run("-e " .. q("print(package.searchpath and select(2, pcall(require, 'rdn.zzmod')))"))
  T.ok(not out:find("42", 1, true), "without RDN_LUA_DIR the dev module is not found")
  local _, err, c2 = run("-e " .. q("local x = rdn.broken"), env)
  T.ok(c2 == 1 and err:find("broken module on purpose", 1, true),
       "a submodule's own error propagates")
end

-- ---------------------------------------------------- binary program cache
do
  local cache = tmp .. "/cache"
  local env = "RDN_CACHE_DIR=" .. q(cache)
  local code = "local t = rdn.full({1000}, 2); io.write(t:sum(), ' '); " ..
               "local s = rdn.stats(); print(s.builds_source, s.builds_binary)"
  local o1, e1 = run("-e " .. q(code), env)
  local o2, e2 = run("-e " .. q(code), env)
  local s1 = o1:match("^2000%.?0* (%d+)\t%d+")
  local s2, b2 = o2:match("^2000%.?0* (%d+)\t(%d+)")
  T.ok(s1 and tonumber(s1) > 0, "first process compiles (" .. o1 .. e1 .. ")")
  T.ok(s2 == "0" and tonumber(b2) > 0, "second process compiles nothing: " .. o2 .. e2)
  local o3 = run("-e " .. q("print(rdn.cache_dir())"), env)
  T.ok(o3 == cache .. "\n", "rdn.cache_dir() follows RDN_CACHE_DIR")
  local o4 = run("-e " .. q("print(rdn.cache_dir())"), "RDN_CACHE_DIR=off")
  T.ok(o4 == "nil\n", "RDN_CACHE_DIR=off disables the cache")
  local _, e5, c5 = run("-e " .. q("rdn.ones(10):sum()"), env .. " RDN_PROFILE=1")
  T.ok(c5 == 0 and e5:find("profile on", 1, true), "RDN_PROFILE=1 prints the report at exit")
end

sh("rm -rf " .. q(tmp))
T.done()
