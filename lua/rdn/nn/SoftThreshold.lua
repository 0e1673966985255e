-- rdn/nn/SoftThreshold.lua -- rho_lambda(x) = sign(x) max(|x| - lambda, 0) elementwise
-- (kind = "relu": the one-sided relu(x - lambda)), SPEC §3.1.  relative = true uses the
-- paper's rule lambda = lambda0 / sqrt(C) with C the channels (axis 2) of [m, C, ...] or the
-- features of [m, d]: a unit vector spread over C coefficients has RMS 1 / sqrt(C), so
-- lambda0 is the threshold in RMS units (SPEC §3.4 step 5).  Nothing is fitted.
local core = require "rdn.core"
local U = require "rdn.nn.util"

local SoftThreshold = U.class("SoftThreshold")
local NAME = "rdn.nn.SoftThreshold"

function SoftThreshold.new(opts)
  opts = U.opts(NAME, opts, { lambda = true, relative = true, kind = true })
  local self = setmetatable({}, SoftThreshold)
  local l = opts.lambda or 1.0
  if type(l) ~= "number" or l ~= l or l < 0 or l == math.huge then
    U.fail("%s: lambda must be >= 0 and finite, got %s", NAME, tostring(l))
  end
  self.lambda0 = l
  self.relative = opts.relative ~= false
  self.kind = opts.kind or "soft"
  if self.kind ~= "soft" and self.kind ~= "relu" then
    U.fail("%s: kind must be 'soft' or 'relu', got '%s'", NAME, tostring(self.kind))
  end
  return self
end

--- layer:threshold(X) -> the lambda applied to X.
function SoftThreshold:threshold(X)
  if not self.relative then return self.lambda0 end
  local s = X:shape()
  local C = #s >= 3 and s[2] or X:numel() // s[1]
  return self.lambda0 / math.sqrt(C)
end

function SoftThreshold:forward(X)
  local fn = NAME .. ":forward"
  if not core.is_tensor(X) then U.fail("%s: X must be a tensor, got %s", fn, type(X)) end
  if #X:shape() < 2 then U.fail("%s: X must be [m, ...], got %s", fn, U.shape_str(X)) end
  local lam = self:threshold(X)
  local ok, Z = pcall(core.shrink, X, lam, { kind = self.kind })
  if not ok then U.fail("%s: %s", fn, (tostring(Z):gsub("^rdn%.shrink: ", ""))) end
  self.kept = core.count_above(Z, 0) / Z:numel()
  return Z
end

--- layer:construct(X [, y, opts]) -> log ({layer, lambda, kept = fraction of non-zeros}), Z.
function SoftThreshold:construct(X)
  local Z = self:forward(X)
  return { layer = "SoftThreshold", lambda = self:threshold(X), kept = self.kept }, Z
end

function SoftThreshold:params() return {} end

function SoftThreshold:state(prefix)
  return {}, { [prefix .. "model"] = "SoftThreshold",
               [prefix .. "lambda"] = U.num2str(self.lambda0),
               [prefix .. "relative"] = tostring(self.relative), [prefix .. "kind"] = self.kind }
end

function SoftThreshold.from_state(file, prefix)
  local m = file.metadata
  return SoftThreshold.new { lambda = tonumber(m[prefix .. "lambda"]),
                             relative = m[prefix .. "relative"] ~= "false",
                             kind = m[prefix .. "kind"] }
end

function SoftThreshold:__tostring()
  return string.format("SoftThreshold(%s, lambda = %g%s)", self.kind, self.lambda0,
                       self.relative and " / sqrt(channels)" or "")
end

return SoftThreshold
