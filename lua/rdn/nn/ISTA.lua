-- rdn/nn/ISTA.lua -- iterative sparse coding over a fixed frame as a layer (SPEC §2.5): the
-- codes of x minimise 1/2 ||x - B w||² + lambda ||w||_1 (or lambda^T w with w >= 0 when
-- nonneg), by `steps` ISTA or FISTA steps from w = 0 on the device: an unrolled recurrent
-- network.  L = ||B||² by power iteration (construct), or given.  steps = 1 with
-- lipschitz = 1 and nonneg is the ReLU layer ReLU(Bᵀx - lambda) (SPEC §2.2).
local core = require "rdn.core"
local U = require "rdn.nn.util"

local ISTA = U.class("ISTA")
local NAME = "rdn.nn.ISTA"
local KNOWN = { frame = true, lambda = true, steps = true, fista = true, nonneg = true,
                lipschitz = true, form = true }

local function check_lambda(fn, lam, k, dt)
  if core.is_tensor(lam) then
    if lam:numel() ~= k or lam:dtype() ~= dt then
      U.fail("%s: lambda must be a number or a %s tensor of %d thresholds, got %s %s", fn, dt, k,
             lam:dtype(), U.shape_str(lam))
    end
    return lam:reshape(k)
  end
  if type(lam) ~= "number" or lam ~= lam or lam < 0 or lam == math.huge then
    U.fail("%s: lambda must be >= 0 and finite, got %s", fn, tostring(lam))
  end
  return lam
end

--- ISTA{frame = B [d, k] (atoms as columns), lambda = 0.1 (or a tensor [k]), steps = 10,
---   fista = false, nonneg = false, lipschitz = nil (power iteration), form = "auto"}
function ISTA.new(opts)
  opts = U.opts(NAME, opts, KNOWN)
  local B = opts.frame
  if not core.is_tensor(B) or #B:shape() ~= 2 then
    U.fail("%s: frame must be a tensor [d, k] (atoms as columns), got %s", NAME,
           core.is_tensor(B) and U.shape_str(B) or type(B))
  end
  local ok, st = pcall(core.frame_stats, B)    -- NaN / zero atoms are refused here
  if not ok then U.fail("%s: frame: %s", NAME, (tostring(st):gsub("^rdn%.frame_stats: ", ""))) end
  local self = setmetatable({ frame = B, d = B:dim(1), k = B:dim(2), dtype = B:dtype() }, ISTA)
  self.lambda = check_lambda(NAME, opts.lambda == nil and 0.1 or opts.lambda, self.k, self.dtype)
  local steps = opts.steps or 10
  if math.type(steps) ~= "integer" or steps < 1 then
    U.fail("%s: steps must be an integer >= 1, got %s", NAME, tostring(steps))
  end
  self.steps = steps
  self.fista, self.nonneg = opts.fista and true or false, opts.nonneg and true or false
  self.form = opts.form or "auto"
  if self.form ~= "auto" and self.form ~= "gram" and self.form ~= "direct" then
    U.fail("%s: form must be 'auto', 'gram' or 'direct', got %s", NAME, tostring(self.form))
  end
  if opts.lipschitz ~= nil then self.L = U.number(NAME, "lipschitz", opts.lipschitz) end
  self.coherence = st.coherence
  return self
end

--- layer:lipschitz() -> L = ||B||² (power iteration on the device, once).
function ISTA:lipschitz()
  if not self.L then self.L = core.frame_norm2(self.frame) end
  return self.L
end

--- layer:codes(X [, {objective = false, steps = self.steps, warm = W}]) -> W [m, k], info:
--- info.objective holds the objective at the start and after every step when asked.
function ISTA:codes(X, opts)
  local fn = NAME .. ":forward"
  opts = U.opts(fn, opts, { objective = true, steps = true, warm = true })
  if not core.is_tensor(X) then U.fail("%s: X must be a tensor, got %s", fn, type(X)) end
  local m = X:dim(1)
  if X:numel() // m ~= self.d or X:numel() % m ~= 0 then
    U.fail("%s: dimension mismatch: X %s has %d features per sample, the frame has d = %d", fn,
           U.shape_str(X), X:numel() // m, self.d)
  end
  if X:dtype() ~= self.dtype then
    U.fail("%s: X is %s, the frame is %s", fn, X:dtype(), self.dtype)
  end
  X = X:reshape(m, self.d)
  local W = opts.warm and opts.warm:clone() or core.empty { m, self.k, dtype = self.dtype }
  local ok, info = pcall(core.ista, W, X, self.frame, {
    lambda = self.lambda, steps = opts.steps or self.steps, fista = self.fista,
    nonneg = self.nonneg, lipschitz = self:lipschitz(), form = self.form,
    warm = opts.warm ~= nil, objective = opts.objective and true or false })
  if not ok then U.fail("%s: %s", fn, (tostring(info):gsub("^rdn%.ista: ", ""))) end
  self.objective = info.objective
  return W, info
end

--- layer:forward(X) -> codes [m, k] (layer.objective keeps the last per-step objective
--- when construct/codes asked for it).
function ISTA:forward(X) return (self:codes(X)) end

--- layer:construct(X [, y, {objective = true}]) -> log {lipschitz, objective}, codes.
function ISTA:construct(X, _, opts)
  opts = U.opts(NAME .. ":construct", opts, { objective = true, quiet = true, log = true,
                                              classes = true })
  local W, info = self:codes(X, { objective = opts.objective ~= false })
  return { lipschitz = self.L, objective = info.objective }, W
end

function ISTA:params(prefix)
  prefix = prefix or ""
  local p = { { prefix .. "frame", self.frame } }
  if core.is_tensor(self.lambda) then p[2] = { prefix .. "lambda", self.lambda } end
  return p
end

function ISTA:state(prefix)
  return self:params(prefix), {
    [prefix .. "model"] = "ISTA", [prefix .. "steps"] = tostring(self.steps),
    [prefix .. "fista"] = self.fista and "1" or "0",
    [prefix .. "nonneg"] = self.nonneg and "1" or "0",
    [prefix .. "form"] = self.form, [prefix .. "lipschitz"] = U.num2str(self:lipschitz()),
    [prefix .. "lambda"] = core.is_tensor(self.lambda) and "tensor" or U.num2str(self.lambda) }
end

function ISTA.from_state(file, prefix, fname)
  local meta, t = file.metadata, file.tensors
  local function num(key)
    local v = tonumber(meta[prefix .. key])
    if not v then U.fail("%s: model file: bad or missing '%s%s'", fname, prefix, key) end
    return v
  end
  local lam = meta[prefix .. "lambda"] == "tensor" and t[prefix .. "lambda"] or num("lambda")
  local ok, r = pcall(ISTA.new, { frame = t[prefix .. "frame"], lambda = lam,
                                  steps = math.tointeger(num("steps")),
                                  fista = meta[prefix .. "fista"] == "1",
                                  nonneg = meta[prefix .. "nonneg"] == "1",
                                  form = meta[prefix .. "form"], lipschitz = num("lipschitz") })
  if not ok then U.fail("%s: model file: %s", fname, tostring(r)) end
  return r
end

function ISTA:save(path) return require("rdn.nn").save(self, path) end

function ISTA:__tostring()
  return string.format("ISTA(%d -> %d atoms, %s, %d steps, lambda %s%s)", self.d, self.k,
                       self.fista and "FISTA" or "ISTA", self.steps,
                       core.is_tensor(self.lambda) and "per atom"
                         or string.format("%g", self.lambda),
                       self.nonneg and ", non-negative" or "")
end

return ISTA
