-- rdn/init.lua -- the public `rdn` table, built on the C binding rdn.core as Torch's
-- init.lua is on libtorch.  Every rdn.core function is re-exported; submodules
-- (lua/rdn/<name>.lua or lua/rdn/<name>/init.lua) load lazily on first access, so
-- `rdn.nn` works without an explicit require and new modules need no edit here.
--
-- Conventions of the Lua API (see also the comments in lua/l_*.c):
--   * shapes are tables or varargs: rdn.zeros{2, 3}, rdn.zeros(2, 3),
--     rdn.zeros{2, 3, dtype = "f64"}; dtypes are "f32" (default), "f64", "c64", "i32";
--   * Lua-side positions are 1-based (t:dim(1), t:rows(i0, n)), but index VALUES stored
--     in tensors are 0-based (t:argmax_rows(), t:gather_rows(idx), labels), as the
--     device kernels and NumPy use them;
--   * expected failures (a missing file) return nil, msg; programming errors and
--     corrupt data raise "rdn.<fn>: <what failed>: <detail>".
local core = require "rdn.core"

local rdn = {}
for k, v in pairs(core) do rdn[k] = v end
rdn.npy_load, rdn.npy_save = nil, nil

--- rdn.npy.load(path) -> tensor | nil, msg   rdn.npy.save(path, t) -> true | nil, msg
rdn.npy = { load = core.npy_load, save = core.npy_save }

--- rdn.Tensor: the method table of tensors (t:sum() ...), for reading, not patching.
rdn.Tensor = core.Tensor

local function lazy_module(t, k)
  if type(k) ~= "string" or not k:match("^[%a_][%w_]*$") then return nil end
  local name = "rdn." .. k
  local ok, mod = pcall(require, name)
  if ok then
    rawset(t, k, mod)
    return mod
  end
  if type(mod) == "string" and mod:find("module '" .. name .. "' not found", 1, true) then
    return nil
  end
  error(mod, 2)
end

return setmetatable(rdn, { __index = lazy_module })
