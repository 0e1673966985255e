-- rdn/nn/util.lua -- shared pieces of the layer classes: class tables, option checks,
-- feature tensors (rank, finiteness, flattening, normalisation to the sphere), labels,
-- and exact number <-> string for model metadata.  Errors are raised at level 0 with
-- the layer's name first ("rdn.nn.ReduNet: eta must be ..."), so containers can prefix.
local core = require "rdn.core"

local U = {}

function U.fail(fmt, ...) error(string.format(fmt, ...), 0) end

--- A class table: C{...} calls C.new{...}; instances get C as metatable.
function U.class(name)
  local C = { __name = name }
  C.__index = C
  return setmetatable(C, { __call = function(cls, ...) return cls.new(...) end })
end

--- Checks an option table against `known` (a set); nil gives {}.
function U.opts(fname, opts, known)
  if opts == nil then return {} end
  if type(opts) ~= "table" then U.fail("%s: options must be a table, got %s", fname, type(opts)) end
  for k in pairs(opts) do
    if not known[k] then U.fail("%s: unknown option '%s'", fname, tostring(k)) end
  end
  return opts
end

local function finite(v)
  return type(v) == "number" and v == v and v > -math.huge and v < math.huge
end

--- A number option: finite, > 0 (or >= 0 with allow_zero); integer if `int`.
function U.number(fname, name, v, allow_zero, int)
  local ok = finite(v) and (v > 0 or (allow_zero and v == 0)) and
             (not int or math.type(v) == "integer" or v == math.floor(v))
  if not ok then
    U.fail("%s: %s must be %s%s, got %s", fname, name, int and "an integer " or "",
           allow_zero and ">= 0 and finite" or "positive and finite", tostring(v))
  end
  return int and math.tointeger(v) or v
end

local function shape_str(t) return "[" .. table.concat(t:shape(), " x ") .. "]" end
U.shape_str = shape_str

--- Features: X [m, d] or [m, ...] (flattened), f32/f64, finite.  Returns a normalised
--- copy [m, d] (rows on the unit sphere, SPEC §0.1) and d.  `d` / `dtype` when given
--- must match (a constructed layer).
function U.features(fname, X, d, dtype)
  if not core.is_tensor(X) then U.fail("%s: X must be a tensor, got %s", fname, type(X)) end
  local shape = X:shape()
  if #shape < 2 then
    U.fail("%s: X must have rank >= 2 ([m, d] or [m, ...]), got %s", fname, shape_str(X))
  end
  local dt = X:dtype()
  if dt ~= "f32" and dt ~= "f64" then U.fail("%s: X must be f32 or f64, got %s", fname, dt) end
  local m = shape[1]
  local dx = X:numel() // m
  if d and dx ~= d then
    U.fail("%s: dimension mismatch: X %s has %d features per sample, the layer was built for %d",
           fname, shape_str(X), dx, d)
  end
  if dtype and dt ~= dtype then
    U.fail("%s: X is %s, the layer was built for %s", fname, dt, dtype)
  end
  local ok, err = pcall(X.check_finite, X, "X")
  if not ok then
    U.fail("%s: %s", fname, (tostring(err):gsub("^[^\n]-rdn%.Tensor:check_finite: ", "")))
  end
  return X:reshape(m, dx):clone():normalize_rows(), dx
end

--- Labels: an i32 tensor or a Lua array of integers (0-based), m of them.  Returns the
--- i32 tensor and k (opts_k, else the highest label + 1; at most 256 classes).
function U.labels(fname, y, m, k)
  if type(y) == "table" then
    if #y ~= m then U.fail("%s: y has %d labels, X has %d samples", fname, #y, m) end
    for i = 1, #y do
      local v = y[i]
      if math.type(v) ~= "integer" and not (finite(v) and v == math.floor(v)) then
        U.fail("%s: label %d is not an integer: %s", fname, i, tostring(v))
      end
    end
    y = core.tensor(y, "i32")
  elseif not core.is_tensor(y) then
    U.fail("%s: y must be an i32 tensor or a table of labels, got %s", fname, type(y))
  end
  if y:dtype() ~= "i32" or y:numel() ~= m then
    U.fail("%s: y must be i32 with %d labels, got %s %s", fname, m, y:dtype(), shape_str(y))
  end
  local ok, counts = pcall(core.label_counts, y, k or 256)
  if not ok then U.fail("%s: %s", fname, (tostring(counts):gsub("^rdn%.label_counts: ", ""))) end
  if not k then
    k = 0
    for j = #counts, 1, -1 do if counts[j] > 0 then k = j break end end
  end
  for j = 1, k do
    if counts[j] < 1 then
      U.fail("%s: class %d has no samples (labels are 0-based, k = %d)", fname, j - 1, k)
    end
  end
  return y, k, counts
end

--- Exact text for a float (round-trips through tonumber) and back.
function U.num2str(v) return string.format("%.17g", v) end
function U.list2str(t)
  local s = {}
  for i, v in ipairs(t) do s[i] = U.num2str(v) end
  return table.concat(s, " ")
end
function U.str2list(fname, s)
  local t = {}
  for w in tostring(s):gmatch("%S+") do
    local v = tonumber(w)
    if not v then U.fail("%s: bad number '%s' in model metadata", fname, w) end
    t[#t + 1] = v
  end
  return t
end

--- Shared by ReduNet and the spectral ReduNets (rdn.nn.spectral): the hyper-parameters,
--- their metadata, the construct progress log and the per-layer gamma metadata.
local REDUNET_KEYS = { "layers", "eta", "eps_sq", "lambda", "membership" }

--- Validates the ReduNet options of `opts` into self (layers, eta, eps_sq, lambda, membership).
function U.redunet_hyper(name, self, opts)
  self.layers = U.number(name, "layers", opts.layers or 10, false, true)
  self.eta = U.number(name, "eta", opts.eta or 0.5)
  self.eps_sq = U.number(name, "eps_sq", opts.eps_sq or 0.1)
  self.lambda = U.number(name, "lambda", opts.lambda or 500, true)
  self.membership = opts.membership or "soft"
  if self.membership ~= "soft" and self.membership ~= "label" then
    U.fail("%s: membership must be 'soft' or 'label', got '%s'", name, tostring(self.membership))
  end
end

--- tau of update(): in (0, 1], default 0.1.
function U.tau(fn, tau)
  tau = U.number(fn, "tau", tau or 0.1)
  if tau > 1 then U.fail("%s: tau must be in (0, 1], got %s", fn, tostring(tau)) end
  return tau
end

--- Moving average gl <- gl + tau (gamma - gl) of the k class weights.
function U.gamma_average(gl, gamma, k, tau)
  for j = 1, k do gl[j] = gl[j] + tau * (gamma[j] - gl[j]) end
end

--- Metadata of the hyper-parameters (and, with built layers, their gamma) of a ReduNet.
function U.redunet_meta(model, self)
  local meta = { model = model, layers = tostring(self.layers), eta = U.num2str(self.eta),
                 eps_sq = U.num2str(self.eps_sq), lambda = U.num2str(self.lambda),
                 membership = self.membership }
  for l = 1, #self.ops do meta["layer." .. l .. ".gamma"] = U.list2str(self.gamma[l]) end
  return meta
end

--- The metadata table with every key under `prefix`.
function U.prefixed(meta, prefix)
  local m = {}
  for k, v in pairs(meta) do m[prefix .. k] = v end
  return m
end

--- Reads a ReduNet's metadata under `prefix`: returns get(key) and the options for new().
function U.redunet_from_meta(file, prefix, fname)
  local meta = file.metadata
  local function get(k) return meta[prefix .. k] end
  for _, k in ipairs(REDUNET_KEYS) do
    if not get(k) then U.fail("%s: model file lacks metadata '%s%s'", fname, prefix, k) end
  end
  return get, { layers = tonumber(get "layers"), eta = tonumber(get "eta"),
                eps_sq = tonumber(get "eps_sq"), lambda = tonumber(get "lambda"),
                membership = get "membership" }
end

--- gamma of layer l from the metadata (get as from redunet_from_meta), k values.
function U.redunet_gamma(fname, get, l, k)
  local gamma = U.str2list(fname, get("layer." .. l .. ".gamma"))
  if #gamma ~= k then
    U.fail("%s: model file: layer %d has %d gamma values, k = %d", fname, l, #gamma, k)
  end
  return gamma
end

--- One construct log entry (l - 1 = layer, time since t0 except for the input) and its
--- progress line on stderr unless quiet; bytes (the operators' memory) when given.
function U.redunet_log(log, l, L, quiet, dR, R, Rc, t0, now, bytes)
  log[l] = { layer = l - 1, dR = dR, R = R, Rc = Rc, time = l == 1 and 0 or now - t0,
             memory = bytes }
  if l > 1 and not quiet then
    local s = string.format("layer %d/%d  ΔR %.6g  R %.6g  Rc %.6g  %.2f s", l - 1, L, dR, R, Rc,
                            now - t0)
    if bytes then s = s .. string.format("  %.1f MiB", bytes / 2 ^ 20) end
    io.stderr:write(s .. "\n")
    io.stderr:flush()
  end
end

return U
