-- rdn/nn/ReduNet.lua -- the vector ReduNet (SPEC §1.3): layer l holds E = a (I + a ZᵀZ)^-1
-- and C^j = a_j (I + a_j Z_jᵀZ_j)^-1 of its input features, stacked in one [k+1, d, d]
-- tensor (one GEMM applies them all), and gamma_j = m_j / m.  Built forward from data
-- (construct), no back-propagation; forward applies it to new data (soft memberships).
local core = require "rdn.core"
local U = require "rdn.nn.util"

local ReduNet = U.class("ReduNet")
local NAME = "rdn.nn.ReduNet"
local KNOWN = { layers = true, eta = true, eps_sq = true, lambda = true, membership = true }

function ReduNet.new(opts)
  opts = U.opts(NAME, opts, KNOWN)
  local self = setmetatable({}, ReduNet)
  U.redunet_hyper(NAME, self, opts)
  self.ops, self.gamma = {}, {}       -- per layer: W [k+1, d, d], {gamma_1..k}
  return self
end

--- net:construct(X, y [, {quiet, log = "file.csv", classes = k}]) -> log, Z.
--- log[1] describes the input (layer 0), log[l + 1] the output of layer l: {layer, dR, R,
--- Rc, time} with the true labels; Z is the output of the last layer.
function ReduNet:construct(X, y, opts)
  local fn = NAME .. ":construct"
  opts = U.opts(fn, opts, { quiet = true, log = true, classes = true })
  local Z, d = U.features(fn, X)
  local labels, k = U.labels(fn, y, Z:dim(1), opts.classes)
  self.d, self.k, self.dtype, self.ops, self.gamma = d, k, Z:dtype(), {}, {}
  local log, L, clock = {}, self.layers, core.clock
  local lab = self.membership == "label" and labels or nil
  local t0 = clock()
  for l = 1, L + 1 do
    local W = l <= L and core.empty { k + 1, d, d, dtype = self.dtype } or nil  -- last: rates
    local gamma, dR, R, Rc = core.redunet_operators(W, Z, labels, k, self.eps_sq)
    U.redunet_log(log, l, L, opts.quiet, dR, R, Rc, t0, clock())
    if l > L then break end
    t0 = clock()
    self.ops[l], self.gamma[l] = W, gamma
    core.redunet_layer(Z, W, gamma, self.eta, self.lambda, lab)
  end
  if opts.log then require("rdn.nn").write_log(opts.log, log) end
  return log, Z
end

function ReduNet:_check_built(fn)
  if not self.d then U.fail("%s: the network is not constructed (call construct first)", fn) end
end

--- net:forward(X) -> Z: the constructed layers applied to new data, soft memberships.
function ReduNet:forward(X)
  local fn = NAME .. ":forward"
  self:_check_built(fn)
  local Z = U.features(fn, X, self.d, self.dtype)
  for l = 1, #self.ops do
    core.redunet_layer(Z, self.ops[l], self.gamma[l], self.eta, self.lambda)
  end
  return Z
end

--- net:update(X, y [, tau = 0.1]) -> log, Z: moving-average refresh E <- E + tau (E_new - E)
--- (same for C^j and gamma) from another batch, layer by layer, as the reference's update.
function ReduNet:update(X, y, tau)
  local fn = NAME .. ":update"
  self:_check_built(fn)
  tau = U.tau(fn, tau)
  local Z = U.features(fn, X, self.d, self.dtype)
  local labels = U.labels(fn, y, Z:dim(1), self.k)
  local lab = self.membership == "label" and labels or nil
  local W = core.empty { self.k + 1, self.d, self.d, dtype = self.dtype }
  local log = {}
  for l = 1, #self.ops do
    local gamma, dR, R, Rc = core.redunet_operators(W, Z, labels, self.k, self.eps_sq)
    log[l] = { layer = l - 1, dR = dR, R = R, Rc = Rc }
    self.ops[l]:axpby(tau, W, 1 - tau)
    U.gamma_average(self.gamma[l], gamma, self.k, tau)
    core.redunet_layer(Z, self.ops[l], self.gamma[l], self.eta, self.lambda, lab)
  end
  W:release()
  return log, Z
end

--- net:params() -> {{name, tensor}, ...}: the stacked operators of each layer.
function ReduNet:params(prefix)
  local p = {}
  for l, W in ipairs(self.ops) do p[l] = { (prefix or "") .. "layer." .. l .. ".ops", W } end
  return p
end

--- Model file state: tensors and string metadata under `prefix`.
function ReduNet:state(prefix)
  local meta = U.redunet_meta("ReduNet", self)
  if self.d then
    meta.d, meta.k, meta.dtype, meta.built = tostring(self.d), tostring(self.k), self.dtype,
                                             tostring(#self.ops)
  end
  return self:params(prefix), U.prefixed(meta, prefix)
end

function ReduNet.from_state(file, prefix, fname)
  local get, hyper = U.redunet_from_meta(file, prefix, fname)
  local self = ReduNet.new(hyper)
  local built = tonumber(get "built")
  if not built then return self end
  self.d, self.k, self.dtype = tonumber(get "d"), tonumber(get "k"), get "dtype"
  for l = 1, built do
    local W = file.tensors[prefix .. "layer." .. l .. ".ops"]
    local shape = W and W:shape()
    if not W or W:dtype() ~= self.dtype or #shape ~= 3 or shape[1] ~= self.k + 1
       or shape[2] ~= self.d or shape[3] ~= self.d then
      U.fail("%s: model file: tensor '%slayer.%d.ops' is missing or not %s [%d x %d x %d]", fname,
             prefix, l, self.dtype, self.k + 1, self.d, self.d)
    end
    self.ops[l] = W
    self.gamma[l] = U.redunet_gamma(fname, get, l, self.k)
  end
  return self
end

function ReduNet:save(path) return require("rdn.nn").save(self, path) end

function ReduNet:__tostring()
  local s = string.format("ReduNet(layers = %d, eta = %g, eps_sq = %g, lambda = %g, "
                          .. "membership = %s", self.layers, self.eta, self.eps_sq,
                          self.lambda, self.membership)
  if self.d then s = s .. string.format("; built: %d layers, d = %d, k = %d, %s", #self.ops,
                                        self.d, self.k, self.dtype) end
  return s .. ")"
end

return ReduNet
