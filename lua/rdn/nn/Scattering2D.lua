-- rdn/nn/Scattering2D.lua -- the 2-D scattering transform (SPEC §3.3) as a layer: Morlet
-- filters of Kymatio 0.3 (J scales, L orientations, order 0/1/2), "reflect" padding as
-- Kymatio (output (Hp / 2^J - 2) per side: 7 x 7 for 28 x 28, J = 2) or "periodic" (no
-- padding, H / 2^J per side, exactly equivariant to circular shifts by multiples of 2^J).
-- Input [m, h, w], [m, C, h, w], or [m, h w] with shape = {h, w} (a square d needs none);
-- output f32 [m, C K, oh, ow], K = 1 + J L + L^2 J (J - 1) / 2 (J = 2, L = 8: 81).
-- No parameters are learned: construct is forward.  The filter bank is built on the device
-- at the first forward for an image size and kept (rdn.Scattering handle).
local core = require "rdn.core"
local U = require "rdn.nn.util"

local Scattering2D = U.class("Scattering2D")
local NAME = "rdn.nn.Scattering2D"
local KNOWN = { J = true, L = true, order = true, pad = true, shape = true }

function Scattering2D.new(opts)
  opts = U.opts(NAME, opts, KNOWN)
  local self = setmetatable({}, Scattering2D)
  self.J = U.number(NAME, "J", opts.J or 2, false, true)
  self.L = U.number(NAME, "L", opts.L or 8, false, true)
  self.order = U.number(NAME, "order", opts.order or 2, true, true)
  if self.order > 2 then U.fail("%s: order must be 0, 1 or 2, got %d", NAME, self.order) end
  self.pad = opts.pad or "reflect"
  if self.pad ~= "reflect" and self.pad ~= "periodic" then
    U.fail("%s: pad must be 'reflect' or 'periodic', got '%s'", NAME, tostring(self.pad))
  end
  if opts.shape ~= nil then
    local s = opts.shape
    if type(s) ~= "table" or #s ~= 2 then U.fail("%s: shape must be {h, w}", NAME) end
    self.shape = { U.number(NAME, "shape[1]", s[1], false, true),
                   U.number(NAME, "shape[2]", s[2], false, true) }
  end
  return self
end

-- Images of x as [m, h, w] or [m, C, h, w] (a view), and h, w.
function Scattering2D:_images(fn, X)
  if not core.is_tensor(X) then U.fail("%s: X must be a tensor, got %s", fn, type(X)) end
  local s = X:shape()
  if #s == 2 then
    local h, w
    if self.shape then h, w = self.shape[1], self.shape[2]
    else
      local r = math.floor(math.sqrt(s[2]) + 0.5)
      if r * r ~= s[2] then
        U.fail("%s: X is %s: flat images need shape = {h, w} (%d is not a square)", fn,
               U.shape_str(X), s[2])
      end
      h, w = r, r
    end
    if h * w ~= s[2] then
      U.fail("%s: X is %s, shape = {%d, %d} has %d pixels", fn, U.shape_str(X), h, w, h * w)
    end
    return X:reshape(s[1], h, w), h, w
  end
  if #s == 3 or #s == 4 then return X, s[#s - 1], s[#s] end
  U.fail("%s: X must be [m, h, w], [m, C, h, w] or [m, h w], got %s", fn, U.shape_str(X))
end

function Scattering2D:_handle(fn, h, w)
  if self.S and self.h == h and self.w == w then return self.S end
  if self.S then self.S:release() end
  local ok, S = pcall(core.scattering2d, { h = h, w = w, J = self.J, L = self.L,
                                           order = self.order, pad = self.pad })
  if not ok then U.fail("%s: %s", fn, (tostring(S):gsub("^rdn%.scattering2d: ", ""))) end
  self.S, self.h, self.w = S, h, w
  self.K, self.oh, self.ow = S:shape()
  return S
end

--- layer:forward(X) -> S (f32 [m, C K, oh, ow]).
function Scattering2D:forward(X)
  local fn = NAME .. ":forward"
  local I, h, w = self:_images(fn, X)
  if I:dtype() ~= "f32" then U.fail("%s: X must be f32, got %s", fn, I:dtype()) end
  local S = self:_handle(fn, h, w)
  local ok, out = pcall(S.forward, S, I)
  if not ok then U.fail("%s: %s", fn, (tostring(out):gsub("^[^:]*forward: ", ""))) end
  return out
end

--- layer:construct(X [, y, opts]) -> log, S: nothing to fit; log = {layer, channels, oh,
--- ow, time}.
function Scattering2D:construct(X)
  local t0 = core.clock()
  local Z = self:forward(X)
  return { layer = "Scattering2D", channels = Z:dim(2), oh = self.oh, ow = self.ow,
           time = core.clock() - t0 }, Z
end

function Scattering2D:params() return {} end

function Scattering2D:state(prefix)
  local m = { model = "Scattering2D", J = tostring(self.J), L = tostring(self.L),
              order = tostring(self.order), pad = self.pad }
  if self.shape then m.shape = self.shape[1] .. " " .. self.shape[2] end
  local meta = {}
  for k, v in pairs(m) do meta[prefix .. k] = v end
  return {}, meta
end

function Scattering2D.from_state(file, prefix, fname)
  local meta = file.metadata
  local function get(k) return meta[prefix .. k] end
  local shape = get "shape" and U.str2list(fname, get "shape") or nil
  return Scattering2D.new { J = tonumber(get "J"), L = tonumber(get "L"),
                            order = tonumber(get "order"), pad = get "pad", shape = shape }
end

function Scattering2D:__tostring()
  local s = string.format("Scattering2D(J = %d, L = %d, order = %d, pad = %s", self.J, self.L,
                          self.order, self.pad)
  if self.S then s = s .. string.format("; %d x %d -> %d x %d x %d", self.h, self.w, self.K,
                                        self.oh, self.ow) end
  return s .. ")"
end

return Scattering2D
