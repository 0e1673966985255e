-- rdn/nn/BlockSweep.lua -- the layered form of iterative inference (SPEC §2.2, §2.5) for a
-- chain of frames B_1 [k_0, k_1], ..., B_l [k_{l-1}, k_l]: codes w_1..w_l minimise
--   sum_j 1/2 ||w_{j-1} - B_j w_j||² + sum_j g_j(w_j),  w_0 = x,
-- g_j = lambda_j^T w + indicator(w >= 0) (nonneg, default) or lambda_j ||w||_1, by sweeps
-- j = 1..l of block proximal-gradient steps
--   w_j <- prox(w_j - tau_j [-B_jᵀ(w_{j-1} - B_j w_j) + (w_j - B_{j+1} w_{j+1})]).
-- tau = "feedforward" (default): the first sweep from zero uses tau_j = 1, which IS the
-- feed-forward ReLU network ReLU(B_jᵀ w_{j-1} - lambda_j) (steps = 1); later sweeps use the
-- safe tau_j = 1 / (||B_j||² + 1) (top layer: 1 / ||B_l||²), with which the objective never
-- increases.  tau = "safe": safe steps throughout; a number: that step everywhere.
local core = require "rdn.core"
local U = require "rdn.nn.util"

local BlockSweep = U.class("BlockSweep")
local NAME = "rdn.nn.BlockSweep"

--- BlockSweep{frames = {B_1, ..., B_l}, lambda = 0 (number, or one number per layer),
---   steps = 1, tau = "feedforward" | "safe" | number, nonneg = true}
function BlockSweep.new(opts)
  opts = U.opts(NAME, opts, { frames = true, lambda = true, steps = true, tau = true,
                              nonneg = true })
  local F = opts.frames
  if type(F) ~= "table" or #F == 0 then U.fail("%s: frames must be a list of [k_{j-1}, k_j] "
                                               .. "tensors", NAME) end
  local self = setmetatable({ frames = {}, widths = {}, lambda = {} }, BlockSweep)
  for j, B in ipairs(F) do
    if not core.is_tensor(B) or #B:shape() ~= 2 then
      U.fail("%s: frames[%d] must be a 2-D tensor, got %s", NAME, j,
             core.is_tensor(B) and U.shape_str(B) or type(B))
    end
    if j == 1 then self.widths[1], self.dtype = B:dim(1), B:dtype() end
    if B:dim(1) ~= self.widths[j] or B:dtype() ~= self.dtype then
      U.fail("%s: frames[%d] is %s %s, want %s [%d x k] (rows = units of the layer below)", NAME,
             j, B:dtype(), U.shape_str(B), self.dtype, self.widths[j])
    end
    local ok, err = pcall(core.frame_stats, B)
    if not ok then
      U.fail("%s: frames[%d]: %s", NAME, j, (tostring(err):gsub("^rdn%.frame_stats: ", "")))
    end
    self.frames[j], self.widths[j + 1] = B, B:dim(2)
  end
  local l = #F
  for j = 1, l do
    local v = type(opts.lambda) == "table" and opts.lambda[j] or opts.lambda or 0
    if type(v) ~= "number" or v ~= v or v < 0 or v == math.huge then
      U.fail("%s: lambda%s must be >= 0 and finite, got %s", NAME,
             type(opts.lambda) == "table" and string.format("[%d]", j) or "", tostring(v))
    end
    self.lambda[j] = v
  end
  self.steps = opts.steps or 1
  if math.type(self.steps) ~= "integer" or self.steps < 1 then
    U.fail("%s: steps must be an integer >= 1, got %s", NAME, tostring(self.steps))
  end
  self.tau = opts.tau or "feedforward"
  if self.tau ~= "feedforward" and self.tau ~= "safe" and
     not (type(self.tau) == "number" and self.tau > 0 and self.tau < math.huge) then
    U.fail("%s: tau must be 'feedforward', 'safe' or a positive number, got %s", NAME,
           tostring(self.tau))
  end
  self.nonneg = opts.nonneg ~= false
  return self
end

function BlockSweep:_safe_taus()
  if not self.taus then
    self.taus = {}
    for j, B in ipairs(self.frames) do
      self.taus[j] = 1 / (core.frame_norm2(B) + (j < #self.frames and 1 or 0))
    end
  end
  return self.taus
end

--- sweep:objective(codes, X) -> sum_j 1/2 ||w_{j-1} - B_j w_j||² + penalties.
function BlockSweep:objective(W, X)
  local f = 0
  for j, B in ipairs(self.frames) do
    f = f + core.sparse_objective(j == 1 and X or W[j - 1], B, W[j], self.lambda[j])
  end
  return f
end

--- sweep:codes(X [, {steps, objective = false}]) -> {w_1, ..., w_l}, objectives (the start
--- and after every sweep, when asked).
function BlockSweep:codes(X, opts)
  local fn = NAME .. ":forward"
  opts = U.opts(fn, opts, { steps = true, objective = true })
  if not core.is_tensor(X) then U.fail("%s: X must be a tensor, got %s", fn, type(X)) end
  local m, k0 = X:dim(1), self.widths[1]
  if X:numel() ~= m * k0 or X:dtype() ~= self.dtype then
    U.fail("%s: X must be %s with %d features per sample, got %s %s", fn, self.dtype, k0,
           X:dtype(), U.shape_str(X))
  end
  X = X:reshape(m, k0)
  local l, W, R, S, G = #self.frames, {}, {}, {}, {}
  for j = 1, l do
    W[j] = core.zeros { m, self.widths[j + 1], dtype = self.dtype }
    R[j] = core.empty { m, self.widths[j], dtype = self.dtype }      -- w_{j-1} - w_j B_jᵀ
    G[j] = core.empty { m, self.widths[j + 1], dtype = self.dtype }  -- block gradient
    S[j] = core.empty { m, self.widths[j + 1], dtype = self.dtype }
  end
  local obj = opts.objective and { self:objective(W, X) } or nil
  for sweep = 1, opts.steps or self.steps do
    local taus = (self.tau == "safe" or (self.tau == "feedforward" and sweep > 1)) and
                 self:_safe_taus() or nil
    for j, B in ipairs(self.frames) do
      R[j]:copy(j == 1 and X or W[j - 1])
      core.gemm(W[j], B, R[j], { tb = true, alpha = -1, beta = 1 })
      core.gemm(R[j], B, G[j], { alpha = -1 })
      if j < l then
        S[j]:copy(W[j])
        core.gemm(W[j + 1], self.frames[j + 1], S[j], { tb = true, alpha = -1, beta = 1 })
        G[j]:axpby(1, S[j], 1)
      end
      local tau = taus and taus[j] or (type(self.tau) == "number" and self.tau or 1)
      core.prox_step(W[j], G[j], tau, self.lambda[j], self.nonneg)
    end
    if obj then obj[#obj + 1] = self:objective(W, X) end
  end
  self.last_objective = obj
  return W, obj
end

function BlockSweep:forward(X)
  local W = self:codes(X)
  return W[#W]
end

function BlockSweep:construct(X) return {}, self:forward(X) end

function BlockSweep:params(prefix)
  local p = {}
  for j, B in ipairs(self.frames) do p[j] = { (prefix or "") .. "frame" .. j, B } end
  return p
end

function BlockSweep:__tostring()
  return string.format("BlockSweep(%s, %d sweep%s, tau %s%s)", table.concat(self.widths, "-"),
                       self.steps, self.steps == 1 and "" or "s", tostring(self.tau),
                       self.nonneg and "" or ", signed")
end

return BlockSweep
