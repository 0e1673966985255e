-- rdn/nn/Standardize.lua -- (x - mean) / sqrt(var + eps) with exact training-set
-- statistics (SPEC §3.4 step 2, §3.8 item 2): per = "feature" (every coordinate of the
-- flattened sample, as the scattering + ridge baseline of SPEC §8) or "channel" (axis 2 of
-- [m, C, h, w], pooled over samples and positions: BatchNorm without affine).  The
-- population variance is used; statistics accumulate in double on the device.
local core = require "rdn.core"
local U = require "rdn.nn.util"

local Standardize = U.class("Standardize")
local NAME = "rdn.nn.Standardize"

function Standardize.new(opts)
  opts = U.opts(NAME, opts, { eps = true, per = true })
  local self = setmetatable({}, Standardize)
  self.eps = U.number(NAME, "eps", opts.eps or 1e-5)
  self.per = opts.per or "feature"
  if self.per ~= "feature" and self.per ~= "channel" then
    U.fail("%s: per must be 'feature' or 'channel', got '%s'", NAME, tostring(self.per))
  end
  return self
end

-- channels C and inner extent of X for this layer's mode
local function layout(self, fn, X)
  if not core.is_tensor(X) then U.fail("%s: X must be a tensor, got %s", fn, type(X)) end
  local s = X:shape()
  if #s < 2 then U.fail("%s: X must have rank >= 2, got %s", fn, U.shape_str(X)) end
  if self.per == "feature" then return X:numel() // s[1], 1 end
  if #s < 3 then U.fail("%s: per = 'channel' needs [m, C, ...], got %s", fn, U.shape_str(X)) end
  return s[2], X:numel() // (s[1] * s[2])
end

--- layer:construct(X [, y, opts]) -> log, Z: the statistics of X, then X standardised.
function Standardize:construct(X)
  local fn = NAME .. ":construct"
  local C, inner = layout(self, fn, X)
  local ok, mean, var = pcall(core.channel_stats, X, C, inner)
  if not ok then U.fail("%s: %s", fn, (tostring(mean):gsub("^rdn%.channel_stats: ", ""))) end
  self.mean, self.var, self.C, self.inner = mean, var, C, inner
  return { layer = "Standardize", channels = C }, self:forward(X)
end

function Standardize:forward(X)
  local fn = NAME .. ":forward"
  if not self.mean then U.fail("%s: not constructed (call construct first)", fn) end
  local C, inner = layout(self, fn, X)
  if C ~= self.C or inner ~= self.inner then
    U.fail("%s: X %s has %d %ss of %d values, the layer was built for %d of %d", fn,
           U.shape_str(X), C, self.per, inner, self.C, self.inner)
  end
  if X:dtype() ~= self.mean:dtype() then
    U.fail("%s: X is %s, the layer was built for %s", fn, X:dtype(), self.mean:dtype())
  end
  return core.channel_standardize(X, self.mean, self.var, self.eps, inner)
end

function Standardize:params(prefix)
  if not self.mean then return {} end
  prefix = prefix or ""
  return { { prefix .. "mean", self.mean }, { prefix .. "var", self.var } }
end

function Standardize:state(prefix)
  local meta = { [prefix .. "model"] = "Standardize", [prefix .. "eps"] = U.num2str(self.eps),
                 [prefix .. "per"] = self.per }
  if self.mean then meta[prefix .. "inner"] = tostring(self.inner) end
  return self:params(prefix), meta
end

function Standardize.from_state(file, prefix, fname)
  local meta = file.metadata
  local self = Standardize.new { eps = tonumber(meta[prefix .. "eps"]),
                                 per = meta[prefix .. "per"] }
  local mean, var = file.tensors[prefix .. "mean"], file.tensors[prefix .. "var"]
  if mean then
    if not var or var:numel() ~= mean:numel() or not tonumber(meta[prefix .. "inner"]) then
      U.fail("%s: model file: bad Standardize statistics at '%s'", fname, prefix)
    end
    self.mean, self.var, self.C = mean, var, mean:numel()
    self.inner = math.tointeger(tonumber(meta[prefix .. "inner"]))
  end
  return self
end

function Standardize:__tostring()
  return string.format("Standardize(per = %s, eps = %g%s)", self.per, self.eps,
                       self.mean and string.format("; %d %ss", self.C, self.per) or "")
end

return Standardize
