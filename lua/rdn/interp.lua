-- rdn/interp.lua -- interpolation matrices of ReLU layers and training-free ReLU networks
-- that interpolate data exactly (SPEC §4, after C. Huang, "Universal Solutions of
-- Feedforward ReLU Networks for Interpolations", arXiv 2208.07498).
--
-- RECONSTRUCTION: only the paper's abstract was available.  The interpolation matrix is
-- the standard notion; the triangular, hat and interval constructions below realise the
-- abstract's claims and were verified numerically, but they are our reconstructions, not
-- the paper's own algorithms.  Not a competitive classifier: a memorisation baseline, a
-- generator of networks with prescribed activation sparsity and an oracle for the kernels.
--
-- API (all numerics on the device; errors read "rdn.interp.<fn>: ..."):
--   A, info = interp.matrix(layer, X [, {rank = true, layer = i}])
--       A[i, u] = h_u(x_i) = ReLU(w_uᵀ x_i + b_u): layer is an rdn.nn.Linear (its units
--       through a ReLU) or a Sequential (the output of its i-th ReLU, default the last: the
--       last hidden layer).  info: nnz, density, row_nnz / col_nnz (i32 tensors: units
--       fired per point, points firing each unit), row_min/max/mean, col_min/max/mean, and
--       rank (numerical, from the Gram by semi-definite elimination: O(s^3) for s = min(m,
--       n), about 1 s at s = 1000 and 10 s at 2000 on a 2-core CPU; rank = false skips it;
--       see rdn.h rdn_interp_stats for its tolerance), tol, pivot_min, pivot_max.
--   net, info = interp.three_layer(X, Y [, {direction = "best-of-k" | tensor [d], k = 16,
--       seed = 0, f32 = false, warn_tol = 1e-3, dtype = "f64"}])
--       Linear(d -> m) + ReLU + Linear(m -> k) with net(x_i) = y_i: all m hidden units share
--       one direction w, thresholds at the mid-points of the sorted projections, so the
--       interpolation matrix of the sorted data is lower triangular with a positive
--       diagonal; A V = Y is solved by forward substitution on the device (f64 where the
--       device has it, else float32 with compensated dot products).  Y: [m] or [m, k] real
--       targets, or i32 labels (one-hot targets).  "best-of-k" draws k unit directions and
--       keeps the one with the largest minimum gap between consecutive projections.
--       info: cond (1-norm estimate of A), min_gap, max_error (on the data), order (i32:
--       sample at each sorted position = unit order), direction (tensor [d]),
--       direction_index, duplicates (identical samples with identical targets, merged),
--       solve ("f64" / "f32"), warning (set, and printed as an rdn warning, when cond x eps
--       exceeds warn_tol: float32 cannot hold the interpolant).
--   net, info = interp.sparse_deep(X, y [, {mode = "hat" | "interval", classes = k, ...}])
--       Linear + ReLU + Linear + ReLU + Linear.  hat: two ramps per point, ReLU(q - p_i) +
--       ReLU(p_i - q) = |q - p_i| with q = wᵀx, feed hats ReLU(1 - |q - p_i| / delta), so
--       the layer-2 interpolation matrix is the identity (one active unit per point).  SPEC
--       §4.3 builds the same triangle from three ramps at p_i - delta, p_i, p_i + delta; the
--       |.| form is used because its inactive units are exactly 0 in floating point (the
--       three-ramp sum leaves rounding noise, which would spoil the sparsity counts).
--       interval: consecutive points of one class along w merge into one unit (two ramps
--       per class boundary), so layer 2 is block-sparse and covers the whole line.  Output:
--       class scores (y i32 labels) or, for hat only, regression targets (y real).  info:
--       min_gap, delta (ramp half-width 0.45 min gap), units, intervals, order, ...
-- Inputs may be tensors or Lua tables (tables become f64, or opts.dtype).  Identical inputs
-- with different targets, NaN/Inf, m = 0 and a direction of the wrong size are errors.
local core = require "rdn.core"
local U = require "rdn.nn.util"

local interp = {}

-- Re-raises err as "<fn>: <message>" (without a position, a core function's name or a
-- repeated fn prefix).
local function fail(fn, err)
  local msg = tostring(err):gsub("^[^\n]-:%d+: ", "", 1):gsub("^rdn%.interp_%a+: ", "", 1)
                            :gsub("^rdn_[%w_]+: ", "", 1)
  if msg:sub(1, #fn + 2) == fn .. ": " then error(msg, 0) end
  error(fn .. ": " .. msg, 0)
end

local function real(fn, what, t)
  local dt = t:dtype()
  if dt ~= "f32" and dt ~= "f64" then U.fail("%s: %s must be f32 or f64, got %s", fn, what, dt) end
  return t
end

-- X as a real [m, d] tensor (tables -> dtype, default f64).
local function inputs(fn, X, dtype)
  if type(X) == "table" then
    if #X == 0 then U.fail("%s: X has no samples (m = 0)", fn) end
    if type(X[1]) ~= "table" then U.fail("%s: X must be a table of rows", fn) end
    local ok, t = pcall(core.tensor, X, dtype or "f64")
    if not ok then fail(fn, t) end
    X = t
  elseif not core.is_tensor(X) then
    U.fail("%s: X must be a tensor or a table of rows, got %s", fn, type(X))
  end
  real(fn, "X", X)
  if #X:shape() < 2 then
    U.fail("%s: X must be [m, d] (or [m, ...]), got %s", fn, U.shape_str(X))
  end
  if dtype and X:dtype() ~= dtype then X = X:astype(dtype) end
  local m = X:dim(1)
  return X:reshape(m, X:numel() // m), m, X:numel() // m
end

-- Targets: real [m] / [m, k] (converted to dt) or labels (i32 tensor / integer table).
local function targets(fn, Y, m, dt, classes)
  if type(Y) == "table" then
    if #Y == 0 then U.fail("%s: Y has no samples (m = 0)", fn) end
    local labels = math.type(Y[1]) == "integer"
    local ok, t = pcall(core.tensor, Y, labels and "i32" or dt)
    if not ok then fail(fn, t) end
    Y = t
  elseif not core.is_tensor(Y) then
    U.fail("%s: Y must be a tensor or a table, got %s", fn, type(Y))
  end
  if Y:dim(1) ~= m then
    U.fail("%s: Y has %d rows, X has %d samples", fn, Y:dim(1), m)
  end
  if Y:dtype() == "i32" then             -- labels in [0, k); classes may be empty
    if Y:numel() ~= m then U.fail("%s: y must hold %d labels, got %s", fn, m, U.shape_str(Y)) end
    if classes ~= nil then U.number(fn, "classes", classes, false, true) end
    local ok, counts = pcall(core.label_counts, Y, classes or 256)
    if not ok then fail(fn, tostring(counts):gsub("^rdn%.label_counts: ", "y: ")) end
    local k = classes
    if not k then
      for j = #counts, 1, -1 do if counts[j] > 0 then k = j break end end
    end
    return Y:reshape(m), k, true
  end
  real(fn, "Y", Y)
  if Y:dtype() ~= dt then Y = Y:astype(dt) end
  return Y, Y:numel() // m, false
end

-- Candidate directions [c, d]: "best-of-k" unit rows or one given direction.
local function directions(fn, opts, d, dt)
  local dir = opts.direction or "best-of-k"
  if dir == "best-of-k" then
    local k = U.number(fn, "k", opts.k or 16, false, true)
    local seed = opts.seed or 0
    if math.type(seed) ~= "integer" then
      U.fail("%s: seed must be an integer, got %s", fn, tostring(seed))
    end
    return core.randn { k, d, seed = seed, dtype = dt }:normalize_rows()
  end
  if type(dir) == "table" then
    local ok, t = pcall(core.tensor, dir, dt)
    if not ok then fail(fn, t) end
    dir = t
  end
  if not core.is_tensor(dir) then
    U.fail("%s: direction must be 'best-of-k' or a tensor of %d values, got %s", fn, d,
           tostring(dir))
  end
  if dir:numel() ~= d then
    U.fail("%s: direction has %d elements, X has %d features", fn, dir:numel(), d)
  end
  real(fn, "direction", dir)
  if dir:dtype() ~= dt then dir = dir:astype(dt) end
  return dir:reshape(1, d)
end

-- Runs the C construction and turns its weights into an rdn.nn.Sequential.
local function build(fn, kind, X, Y, D, copts)
  local ok, r = pcall(core.interp_build, kind, X, Y, D, copts)
  if not ok then fail(fn, r) end
  local nn = require "rdn.nn"
  local layers = {}
  for i = 1, #r.w do
    layers[#layers + 1] = nn.Linear { weight = r.w[i], bias = r.b[i] }
    if i < #r.w then layers[#layers + 1] = nn.ReLU() end
  end
  r.direction_index = r.direction
  r.direction = D:rows(r.direction, 1):reshape(X:dim(2))
  r.w, r.b = nil, nil
  return nn.Sequential(layers), r
end

local COMMON = { direction = true, k = true, seed = true, f32 = true, warn_tol = true,
                 dtype = true, classes = true }

--- interp.three_layer(X, Y [, opts]) -> net, info (see the header).
function interp.three_layer(X, Y, opts)
  local fn = "rdn.interp.three_layer"
  opts = U.opts(fn, opts, COMMON)
  local m, d
  X, m, d = inputs(fn, X, opts.dtype)
  local dt = X:dtype()
  local y, k, labels = targets(fn, Y, m, dt, opts.classes)
  if labels then y = core.onehot(y, k, 1, 0, dt) end
  local D = directions(fn, opts, d, dt)
  return build(fn, "triangular", X, y, D, { f32 = opts.f32 and true or false,
                                            warn_tol = opts.warn_tol })
end

--- interp.sparse_deep(X, y [, opts]) -> net, info (see the header).
function interp.sparse_deep(X, y, opts)
  local fn = "rdn.interp.sparse_deep"
  local known = { mode = true }
  for key in pairs(COMMON) do known[key] = true end
  opts = U.opts(fn, opts, known)
  local mode = opts.mode or "hat"
  if mode ~= "hat" and mode ~= "interval" then
    U.fail("%s: mode must be 'hat' or 'interval', got '%s'", fn, tostring(mode))
  end
  local m, d
  X, m, d = inputs(fn, X, opts.dtype)
  local dt = X:dtype()
  local t, k, labels = targets(fn, y, m, dt, opts.classes)
  if mode == "interval" and not labels then
    U.fail("%s: mode 'interval' needs class labels (i32), got %s targets", fn, t:dtype())
  end
  local D = directions(fn, opts, d, dt)
  local net, info = build(fn, mode, X, t, D, { classes = labels and k or nil,
                                                warn_tol = opts.warn_tol })
  info.classes = labels and k or nil
  if mode == "interval" then info.intervals = info.units[2] end
  return net, info
end

-- The hidden layer of `layer` on X: (Linear | Sequential) -> A.
local function hidden(fn, layer, X, which)
  local nn = require "rdn.nn"
  local mt = getmetatable(layer)
  if mt == nn.Linear then return layer:forward(X, true) end
  if mt ~= nn.Sequential then
    U.fail("%s: layer must be an rdn.nn.Linear or an rdn.nn.Sequential, got %s", fn,
           mt and mt.__name or type(layer))
  end
  local relus = {}
  for i, c in ipairs(layer.children) do
    if getmetatable(c) == nn.ReLU then relus[#relus + 1] = i end
  end
  if #relus == 0 then U.fail("%s: the Sequential has no ReLU layer", fn) end
  local at = relus[which or #relus]
  if not at then
    U.fail("%s: layer = %s, the Sequential has %d ReLU layers", fn, tostring(which), #relus)
  end
  local Z = X
  for i = 1, at - 1 do
    local c = layer.children[i]
    if i == at - 1 and getmetatable(c) == nn.Linear then return c:forward(Z, true) end
    Z = c:forward(Z)
  end
  return layer.children[at]:forward(Z)
end

--- interp.matrix(layer, X [, {rank = true, layer = i}]) -> A, info (see the header).
function interp.matrix(layer, X, opts)
  local fn = "rdn.interp.matrix"
  opts = U.opts(fn, opts, { rank = true, layer = true })
  local m
  X, m = inputs(fn, X)
  local ok, A = pcall(hidden, fn, layer, X, opts.layer)
  if not ok then fail(fn, A) end
  local st
  ok, st = pcall(core.interp_stats, A, { rank = opts.rank ~= false })
  if not ok then fail(fn, st) end
  local n = A:dim(2)
  st.density = st.nnz / (m * n)
  st.row_mean, st.col_mean = st.nnz / m, st.nnz / n
  return A, st
end

return interp
