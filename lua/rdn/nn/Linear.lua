-- rdn/nn/Linear.lua -- a fully connected layer y = x Wᵀ + b (W [out, in], torch's layout):
-- either given weights (the interpolation constructions of rdn.interp compute them) or
-- random ones, W ~ N(0, 1/in) and b ~ N(0, bias_std²).  Nothing is trained: construct is
-- forward.  forward is one GEMM plus one bias kernel (rdn.linear); input of another float
-- dtype is converted to the layer's.
local core = require "rdn.core"
local U = require "rdn.nn.util"

local Linear = U.class("Linear")
local NAME = "rdn.nn.Linear"
local KNOWN = { weight = true, bias = true, inputs = true, outputs = true, seed = true,
                bias_std = true, dtype = true }

local function real_tensor(fn, what, t)
  if not core.is_tensor(t) then U.fail("%s: %s must be a tensor, got %s", fn, what, type(t)) end
  local dt = t:dtype()
  if dt ~= "f32" and dt ~= "f64" then U.fail("%s: %s must be f32 or f64, got %s", fn, what, dt) end
  return t
end

--- Linear{weight = W [out, in] [, bias = b [out]]}, or
--- Linear{inputs = d, outputs = n [, seed = 0, bias_std = 1, dtype = "f32"]} (random).
function Linear.new(opts)
  opts = U.opts(NAME, opts, KNOWN)
  local self = setmetatable({}, Linear)
  if opts.weight ~= nil then
    local W = real_tensor(NAME, "weight", opts.weight)
    if #W:shape() ~= 2 then U.fail("%s: weight must be [out, in], got %s", NAME, U.shape_str(W)) end
    self.weight, self.outputs, self.inputs = W, W:dim(1), W:dim(2)
    if opts.bias ~= nil then
      local b = real_tensor(NAME, "bias", opts.bias)
      if b:numel() ~= self.outputs or b:dtype() ~= W:dtype() then
        U.fail("%s: bias must be %s with %d elements, got %s %s", NAME, W:dtype(), self.outputs,
               b:dtype(), U.shape_str(b))
      end
      self.bias = b:reshape(self.outputs)
    end
  else
    local d = U.number(NAME, "inputs", opts.inputs, false, true)
    local n = U.number(NAME, "outputs", opts.outputs, false, true)
    local dt, seed = opts.dtype or "f32", opts.seed or 0
    if dt ~= "f32" and dt ~= "f64" then
      U.fail("%s: dtype must be 'f32' or 'f64', got %s", NAME, tostring(dt))
    end
    if math.type(seed) ~= "integer" then
      U.fail("%s: seed must be an integer, got %s", NAME, tostring(seed))
    end
    local bstd = U.number(NAME, "bias_std", opts.bias_std or 1, true)
    self.weight = core.randn { n, d, seed = seed, dtype = dt }:scale(1 / math.sqrt(d))
    self.bias = core.randn { n, seed = seed + 1, dtype = dt }:scale(bstd)
    self.outputs, self.inputs = n, d
  end
  self.dtype = self.weight:dtype()
  return self
end

--- layer:forward(X [, relu]) -> X Wᵀ + b (ReLU(X Wᵀ + b) when relu, fused in the bias
--- kernel): X [m, in] (or [m, ...] flattened), converted to the layer's dtype when it differs.
function Linear:forward(X, relu)
  local fn = NAME .. ":forward"
  real_tensor(fn, "X", X)
  local m = X:dim(1)
  if X:numel() // m ~= self.inputs or X:numel() % m ~= 0 then
    U.fail("%s: dimension mismatch: X %s has %d features per sample, the layer takes %d", fn,
           U.shape_str(X), X:numel() // m, self.inputs)
  end
  if X:dtype() ~= self.dtype then X = X:astype(self.dtype) end
  if #X:shape() ~= 2 then X = X:reshape(m, self.inputs) end
  if self.bias then return core.linear(X, self.weight, self.bias, { relu = relu }) end
  return core.linear(X, self.weight, { relu = relu })
end

--- layer:construct(X [, y, opts]) -> {}, forward(X): the weights are fixed.
function Linear:construct(X) return {}, self:forward(X) end

function Linear:params(prefix)
  prefix = prefix or ""
  local p = { { prefix .. "weight", self.weight } }
  if self.bias then p[2] = { prefix .. "bias", self.bias } end
  return p
end

function Linear:state(prefix)
  return self:params(prefix), { [prefix .. "model"] = "Linear",
                                [prefix .. "bias"] = self.bias and "1" or "0" }
end

function Linear.from_state(file, prefix, fname)
  local W, b = file.tensors[prefix .. "weight"], file.tensors[prefix .. "bias"]
  if not W then U.fail("%s: model file: tensor '%sweight' is missing", fname, prefix) end
  if file.metadata[prefix .. "bias"] == "1" and not b then
    U.fail("%s: model file: tensor '%sbias' is missing", fname, prefix)
  end
  local ok, r = pcall(Linear.new, { weight = W, bias = b })
  if not ok then U.fail("%s: model file: %s", fname, tostring(r)) end
  return r
end

function Linear:save(path) return require("rdn.nn").save(self, path) end

function Linear:__tostring()
  return string.format("Linear(%d -> %d, %s%s)", self.inputs, self.outputs, self.dtype,
                       self.bias and "" or ", no bias")
end

return Linear
