-- rdn/nn/lift.lua -- shared body of Lift1D / Lift2D (SPEC §1.6): the random lifting
-- front-end of the shift-invariant ReduNet (fixed N(0, 1) filters, circular
-- cross-correlation, optional ReLU), computed on the device by core.lift, directly or by
-- FFT (`method`).
local core = require "rdn.core"
local U = require "rdn.nn.util"

local L = {}

local METHODS = { auto = true, direct = true, fft = true }

local function method(fname, v)
  if v == nil then return "auto" end
  if not METHODS[v] then
    U.fail("%s: bad method: '%s' (auto, direct or fft)", fname, tostring(v))
  end
  return v
end

--- L.class(name, rank) -> Lift1D / Lift2D: fixed random N(0, 1) filters
--- [channels, Cin, k(, k)] drawn at construct from `seed`, circular cross-correlation
--- (right/bottom padding by k - 1) and optional ReLU (SPEC §1.6).  method = "auto" (default:
--- the cheaper by a flop estimate, see rdn_lift_method), "direct" or "fft" (f32 only).
function L.class(cname, rank)
  local C = U.class(cname)
  local NAME = "rdn.nn." .. cname
  local FORM = rank == 1 and "[m, C, T] or [m, T]" or "[m, C, H, W] or [m, H, W]"

  function C.new(opts)
    opts = U.opts(NAME, opts, { channels = true, kernel = true, seed = true, relu = true,
                                        method = true })
    local self = setmetatable({}, C)
    self.channels = U.number(NAME, "channels", opts.channels or 8, false, true)
    self.kernel = U.number(NAME, "kernel", opts.kernel or 3, false, true)
    self.seed = U.number(NAME, "seed", opts.seed or 0, true, true)
    self.relu = opts.relu ~= false
    self.method = method(NAME, opts.method)
    return self
  end

  local function input(self, fn, X)
    if not core.is_tensor(X) then U.fail("%s: X must be a tensor, got %s", fn, type(X)) end
    local s = X:shape()
    if #s == rank + 1 then table.insert(s, 2, 1) end
    if #s ~= rank + 2 then U.fail("%s: X must be %s, got %s", fn, FORM, U.shape_str(X)) end
    if self.w and s[2] ~= self.w:dim(2) then
      U.fail("%s: X has %d channels, the filters were built for %d", fn, s[2], self.w:dim(2))
    end
    local dt = X:dtype()
    if dt ~= "f32" and dt ~= "f64" then U.fail("%s: X must be f32 or f64, got %s", fn, dt) end
    return X:reshape(s), s
  end

  function C:forward(X)
    local fn = NAME .. ":forward"
    if not self.w then U.fail("%s: the layer is not constructed (call construct first)", fn) end
    local Xc = input(self, fn, X)
    local w = self.w
    if Xc:dtype() ~= w:dtype() then w = w:astype(Xc:dtype()) end
    local ok, out = pcall(core.lift, Xc, w, self.relu, self.method)
    if not ok then U.fail("%s: %s", fn, (tostring(out):gsub("^rdn_lift_method: ", ""))) end
    return out
  end

  --- lift:construct(X) -> {}, Z: draws the filters (Cin from X), then forward.
  function C:construct(X)
    local _, s = input(self, NAME .. ":construct", X)
    local k = self.kernel
    local shape = rank == 1 and { self.channels, s[2], k } or { self.channels, s[2], k, k }
    shape.seed, shape.dtype = self.seed, "f32"
    self.w = nil
    self.w = core.randn(shape)
    return {}, self:forward(X)
  end

  function C:params(prefix) return self.w and { { (prefix or "") .. "filters", self.w } } or {} end

  function C:state(prefix)
    local meta = { model = cname, channels = tostring(self.channels),
                   kernel = tostring(self.kernel), seed = tostring(self.seed),
                   relu = self.relu and "1" or "0", method = self.method }
    return self:params(prefix), U.prefixed(meta, prefix)
  end

  function C.from_state(file, prefix, fname)
    local meta = file.metadata
    local self = C.new { channels = tonumber(meta[prefix .. "channels"]),
                         kernel = tonumber(meta[prefix .. "kernel"]),
                         seed = tonumber(meta[prefix .. "seed"]),
                         relu = meta[prefix .. "relu"] ~= "0",
                         method = meta[prefix .. "method"] }   -- older files: nil = auto
    local w = file.tensors[prefix .. "filters"]
    if w then
      if #w:shape() ~= rank + 2 or w:dim(1) ~= self.channels then
        U.fail("%s: model file: bad '%sfilters' %s", fname, prefix, U.shape_str(w))
      end
      self.w = w
    end
    return self
  end

  function C:save(path) return require("rdn.nn").save(self, path) end

  function C:__tostring()
    return string.format("%s(channels = %d, kernel = %d, seed = %d, relu = %s%s)", cname,
                         self.channels, self.kernel, self.seed, tostring(self.relu),
                         self.method == "auto" and "" or ", method = " .. self.method)
  end

  return C
end

return L
