-- rdn/frames.lua -- frames and the deep frame potential (SPEC §2), on the device.
--   * one frame B [d, k] holds k atoms as COLUMNS: frames.stats (potential, coherence,
--     Welch bound, tightness), gram, is_tight / is_parseval, parseval (polar factor);
--   * a network's induced frame (SPEC §2.2): frames.potential{widths, connectivity, ...}
--     forms only the structurally non-zero Gram blocks; frames.min_potential minimises it
--     over unit-norm weights without data; frames.chain_potential is the closed form of
--     SPEC §2.3; frames.conv_potential the FFT form of §2.4.
-- SPEC leaves the normalisation open (unverified): normalize = "induced" (default, SPEC's
-- recommendation: unit layer columns, then unit induced columns) | "layer" | "induced_only"
-- | "none", and count_diag = true (default: N_nz counts the Gram diagonal) | false.
local core = require "rdn.core"
local U = require "rdn.nn.util"

local frames = {}

-- Calls a core function, re-raising its error as "<fn>: <message>" at the caller's caller.
local function call(fn, f, ...)
  local r = table.pack(pcall(f, ...))
  if not r[1] then
    local msg = tostring(r[2]):gsub("^[^\n]-%.lua:%d+: ", "")
    msg = msg:gsub("^rdn[_%.][%w_%.:]+: ", ""):gsub("^bad argument #(%d+) to '[^']*'",
                                                    "bad argument #%1")
    error(fn .. ": " .. msg, 3)
  end
  return table.unpack(r, 2, r.n)
end
frames._call = call

local function frame_arg(fn, B)
  if not core.is_tensor(B) then U.fail("%s: B must be a tensor [d, k], got %s", fn, type(B)) end
  if #B:shape() ~= 2 then U.fail("%s: B must be [d, k] (atoms as columns), got %s", fn,
                                 U.shape_str(B)) end
  return B
end

--- frames.stats(B) -> {d, k, fp, fp_unit, fp_bound, coherence, welch, norm_min, norm_max,
--- tight_a, tight_err, parseval_err}.  A zero atom raises (coherence is undefined).
function frames.stats(B)
  local fn = "rdn.frames.stats"
  return call(fn, core.frame_stats, frame_arg(fn, B))
end

--- frames.welch(d, k) -> sqrt((k - d) / (d (k - 1))) (0 when k <= d).
function frames.welch(d, k)
  d = U.number("rdn.frames.welch", "d", d, false, true)
  k = U.number("rdn.frames.welch", "k", k, false, true)
  return k > d and math.sqrt((k - d) / (d * (k - 1))) or 0
end

--- frames.coherence(B) -> mu, Welch bound.
function frames.coherence(B)
  local s = call("rdn.frames.coherence", core.frame_stats, frame_arg("rdn.frames.coherence", B))
  return s.coherence, s.welch
end

--- frames.gram(B [, {normalize = false}]) -> Bᵀ B [k, k] (of the unit atoms when normalize).
function frames.gram(B, opts)
  local fn = "rdn.frames.gram"
  opts = U.opts(fn, opts, { normalize = true })
  frame_arg(fn, B)
  if opts.normalize then B = call(fn, core.frame_normalize, B:clone(), "unit") end
  return call(fn, core.matmul, B, B, { ta = true })
end

--- frames.is_tight(B [, tol = 1e-4]) -> bool, a (B Bᵀ = a I within tol relative).
function frames.is_tight(B, tol)
  local s = frames.stats(B)
  return s.tight_err <= (tol or 1e-4), s.tight_a
end

--- frames.is_parseval(B [, tol = 1e-4]) -> bool, ||B Bᵀ - I||_F.
function frames.is_parseval(B, tol)
  local s = frames.stats(B)
  return s.parseval_err <= (tol or 1e-4) * math.sqrt(s.d), s.parseval_err
end

--- frames.parseval(W [, {iters = 200, tol = 1e-6, beta = 0.5}]) -> F: the polar factor of
--- W [p, d] (p >= d, full rank): Fᵀ F = I_d, atoms as ROWS (as SPEC's Parseval frames; Fᵀ
--- is the frame with atoms as columns).  Iterates W <- (1 + beta) W - beta W (WᵀW) from
--- W / ||W||_2 (SPEC §7.3 item 22; beta = 0.5 is Newton-Schulz), on the device.
function frames.parseval(W, opts)
  local fn = "rdn.frames.parseval"
  opts = U.opts(fn, opts, { iters = true, tol = true, beta = true })
  frame_arg(fn, W)
  local p, d = W:dim(1), W:dim(2)
  if p < d then U.fail("%s: W must have at least as many rows as columns, got %s", fn,
                       U.shape_str(W)) end
  local iters = U.number(fn, "iters", opts.iters or 200, false, true)
  local tol = U.number(fn, "tol", opts.tol or 1e-6, true)
  local beta = U.number(fn, "beta", opts.beta or 0.5)
  local s = call(fn, core.frame_norm2, W)
  if s == 0 then U.fail("%s: W is zero", fn) end
  local F = W:clone():scale(1 / math.sqrt(s))
  local G, T = core.empty { d, d, dtype = W:dtype() }, core.empty { p, d, dtype = W:dtype() }
  for it = 1, iters do
    core.gemm(F, F, G, { ta = true })
    if it % 5 == 0 then
      -- ||FᵀF - I||_F^2 = ||G||^2 - 2 tr G + d, tr G = ||F||_F^2
      local e = math.sqrt(math.max(0, G:sumsq() - 2 * F:sumsq() + d))
      if e <= tol * math.sqrt(d) then break end
    end
    core.gemm(F, G, T)
    F:axpby(-beta, T, 1 + beta)
  end
  return F
end

-- ---------------------------------------------------------------- deep frames
local function check_int(fn, what, v, lo)
  if math.type(v) ~= "integer" and not (type(v) == "number" and v == math.floor(v)) then
    U.fail("%s: %s must be an integer, got %s", fn, what, tostring(v))
  end
  if v < lo then U.fail("%s: %s = %s, must be >= %d", fn, what, tostring(v), lo) end
  return math.tointeger(v)
end

--- The parents of every layer (lists of 0-based layer indices) for a connectivity:
--- "chain" {j-1}, "residual" {j-1, j-2}, "dense" {0..j-1}, or function(j) -> list.
function frames.parents(fn, l, connectivity)
  local parents = {}
  for j = 1, l do
    local P
    if connectivity == nil or connectivity == "chain" then P = { j - 1 }
    elseif connectivity == "residual" then P = j >= 2 and { j - 1, j - 2 } or { 0 }
    elseif connectivity == "dense" then
      P = {}
      for i = 0, j - 1 do P[#P + 1] = i end
    elseif type(connectivity) == "function" then
      P = connectivity(j)
      if type(P) == "number" then P = { P } end
      if type(P) ~= "table" then
        U.fail("%s: connectivity(%d) must return a list of parent layers, got %s", fn, j, type(P))
      end
    else
      U.fail("%s: connectivity must be 'chain', 'residual', 'dense' or a function, got %s", fn,
             tostring(connectivity))
    end
    if #P == 0 then U.fail("%s: connectivity(%d) returned no parent", fn, j) end
    local seen = {}
    for q, i in ipairs(P) do
      if math.type(i) ~= "integer" or i < 0 or i >= j then
        U.fail("%s: connectivity(%d) returned %s (entry %d), which is not a parent: parents of "
               .. "layer %d are layers 0..%d", fn, j, tostring(i), q, j, j - 1)
      end
      if seen[i] then U.fail("%s: connectivity(%d) lists layer %d twice", fn, j, i) end
      seen[i] = true
    end
    table.sort(P)
    parents[j] = P
  end
  return parents
end

local ARCH = { widths = true, connectivity = true, normalize = true, count_diag = true,
               weights = true, seed = true, dtype = true }

-- The architecture handle, parents and options of a potential call.
local function arch(fn, opts, extra)
  local known = {}
  for k in pairs(ARCH) do known[k] = true end
  for k in pairs(extra or {}) do known[k] = true end
  opts = U.opts(fn, opts, known)
  local w = opts.widths
  if type(w) ~= "table" or #w < 2 then
    U.fail("%s: widths must list at least 2 layer sizes (input, layer 1, ...)", fn)
  end
  local widths = {}
  for i = 1, #w do widths[i] = check_int(fn, string.format("widths[%d]", i), w[i], 1) end
  local parents = frames.parents(fn, #widths - 1, opts.connectivity)
  local norm = opts.normalize or "induced"
  if norm ~= "induced" and norm ~= "layer" and norm ~= "induced_only" and norm ~= "none" then
    U.fail("%s: normalize must be 'induced', 'layer', 'induced_only' or 'none', got %s", fn,
           tostring(norm))
  end
  local dt = opts.dtype or "f32"
  if dt ~= "f32" and dt ~= "f64" then U.fail("%s: dtype must be 'f32' or 'f64', got %s", fn,
                                             tostring(dt)) end
  return call(fn, core.dfp, widths, parents), widths, parents, opts, norm, dt
end

--- frames.layers(D, packed) -> per-layer weight views {[R_1, k_1], ..., [R_l, k_l]}: rows are
--- the parents' units, ascending by parent layer.
function frames.layers(D, packed)
  local flat, out = packed:reshape(packed:numel()), {}
  for j = 1, D:info().layers do
    local off, r, c = D:layer(j)
    out[j] = flat:rows(off + 1, r * c):reshape(r, c)
  end
  return out
end

-- Packed weights from opts.weights (a packed tensor or a list of per-layer tensors) or a
-- N(0, 1) draw.
local function weights(fn, D, opts, dt)
  local n = D:info().nweights
  local W = opts.weights
  if W == nil then return core.randn { n, seed = opts.seed or 0, dtype = dt } end
  if core.is_tensor(W) then return W end
  if type(W) ~= "table" then U.fail("%s: weights must be a tensor or a list of tensors", fn) end
  local P = core.empty { n, dtype = type(W[1]) == "userdata" and W[1]:dtype() or dt }
  local views = frames.layers(D, P)
  if #W ~= #views then U.fail("%s: weights has %d layers, the architecture %d", fn, #W, #views) end
  for j, v in ipairs(views) do
    if not core.is_tensor(W[j]) or W[j]:numel() ~= v:numel() then
      U.fail("%s: weights[%d] must be a tensor %s (parents' units x units), got %s", fn, j,
             U.shape_str(v), core.is_tensor(W[j]) and U.shape_str(W[j]) or type(W[j]))
    end
    call(fn, v.copy, v, W[j])
  end
  return P
end

local function result(D, fp, count_diag, W)
  local info = D:info()
  local nnz = count_diag and info.nnz or info.nnz - info.cols
  return { fp = fp, dfp = fp / nnz, nnz = nnz, rows = info.rows, cols = info.cols,
           layers = info.layers, weights = W, arch = D }
end

--- frames.potential(B) -> fp, fp of the unit atoms: the potential of one frame; or
--- frames.potential{widths = {k_0, ..., k_l}, connectivity = "chain" | "residual" | "dense" |
---   function(j) -> parents, normalize = "induced", count_diag = true, weights = packed |
---   {per layer}, seed = 0, dtype = "f32"} -> {fp, dfp = fp / nnz, nnz, rows, cols, layers,
---   weights (packed), arch}: the deep frame potential (random N(0, 1) weights by default).
function frames.potential(opts)
  local fn = "rdn.frames.potential"
  if core.is_tensor(opts) then
    local s = frames.stats(opts)
    return s.fp, s.fp_unit
  end
  local D, _, _, o, norm, dt = arch(fn, opts)
  local W = weights(fn, D, o, dt)
  local cd = o.count_diag ~= false
  local fp = call(fn, D.potential, D, W, { normalize = norm, count_diag = cd })
  return result(D, fp, cd, W)
end

--- frames.min_potential{widths, connectivity, normalize, count_diag, restarts = 3, iters =
---   6000, step = 0.02, seed = 0, dtype = "f32", plain = false} -> {fp (best), dfp, nnz,
---   per_restart = {fp...}, weights (packed, best restart, unit layer columns), ...}.
--- Data-free gradient descent on the device; restarts run side by side.  plain = true is
--- SPEC's variant (descent on unnormalised V through V / ||V||); the default keeps every
--- column on the sphere and reaches lower values for dense nets (SPEC §2.3 reports 32.39
--- for 8-8-8-8-8 dense, which is not converged: 32 = max(K, K²/N) is the bound).
function frames.min_potential(opts)
  local fn = "rdn.frames.min_potential"
  local D, _, _, o, norm, dt = arch(fn, opts, { restarts = true, iters = true, step = true,
                                                plain = true })
  if norm ~= "induced" and norm ~= "layer" then
    U.fail("%s: normalize = '%s' cannot be minimised (SPEC §2.3: the potential degenerates "
           .. "without unit-norm layer weights); use 'induced' or 'layer'", fn, norm)
  end
  local cd = o.count_diag ~= false
  local W = core.empty { D:info().nweights, dtype = dt }
  local best, per = call(fn, D.minimize, D, W, {
    restarts = U.number(fn, "restarts", o.restarts or 3, false, true),
    iters = U.number(fn, "iters", o.iters or 6000, true, true),
    step = U.number(fn, "step", o.step or 0.02), seed = o.seed or 0, normalize = norm,
    count_diag = cd, plain = o.plain and true or false })
  local r = result(D, best, cd, W)
  r.per_restart = per
  return r
end

--- frames.induced{widths, connectivity, weights, normalize, ...} -> frame [N, K], Gram [K, K]
--- (dense copies of the normalised induced frame, for inspection).
function frames.induced(opts)
  local fn = "rdn.frames.induced"
  local D, _, _, o, norm, dt = arch(fn, opts)
  local W = weights(fn, D, o, dt)
  return call(fn, D.frame, D, W, { normalize = norm }), call(fn, D.gram, D, W, { normalize = norm })
end

--- frames.chain_potential{widths = {k_0, ..., k_l} [, weights = {B_1, ..., B_l}]} -> fp, dfp,
--- nnz: SPEC §2.3's closed form for a chain with unit layer columns and induced
--- normalisation, from the per-layer potentials of the given weights (each B_j [k_{j-1},
--- k_j]), or its minimum max(k_j, k_j² / k_{j-1}) per layer without weights.  (For l = 1
--- there is no -I block: FP is the layer's own potential.)
function frames.chain_potential(opts)
  local fn = "rdn.frames.chain_potential"
  opts = U.opts(fn, opts, { widths = true, weights = true })
  local k = opts.widths
  if type(k) ~= "table" or #k < 2 then U.fail("%s: widths must list at least 2 sizes", fn) end
  for i = 1, #k do check_int(fn, string.format("widths[%d]", i), k[i], 1) end
  local l = #k - 1
  local function layer_fp(j)            -- ||B_jᵀ B_j||² of unit columns (j = 1..l)
    if opts.weights then
      local B = opts.weights[j]
      if not core.is_tensor(B) or B:numel() ~= k[j] * k[j + 1] then
        U.fail("%s: weights[%d] must be a tensor [%d x %d]", fn, j, k[j], k[j + 1])
      end
      return call(fn, core.frame_stats, B:reshape(k[j], k[j + 1])).fp_unit
    end
    return math.max(k[j + 1], k[j + 1] ^ 2 / k[j])
  end
  local fp, nnz = 0, 0
  for j = 1, l do
    local kj = k[j + 1]
    fp = fp + (j < l and 0.25 * (layer_fp(j) + 3 * kj) or layer_fp(j))
    if j >= 2 and j < l then fp = fp + kj / 2 end
    nnz = nnz + kj * kj + (j < l and 2 * kj * k[j + 2] or 0)
  end
  if l >= 2 then fp = fp + k[l + 1] end
  return fp, fp / nnz, nnz
end

--- frames.conv_potential(h, p [, {normalize = true}]) -> fp, bound: the potential of the
--- circular convolutional frame of filters h [k, d, f] (signals of length p) or
--- [k, d, f, f] (p x p images) by the FFT form (SPEC §2.4), with unit-norm filters unless
--- normalize = false; bound = p^r k² / d (r = 1 or 2), valid for unit filters.
function frames.conv_potential(h, p, opts)
  local fn = "rdn.frames.conv_potential"
  opts = U.opts(fn, opts, { normalize = true })
  if not core.is_tensor(h) then U.fail("%s: h must be a tensor, got %s", fn, type(h)) end
  local shape = h:shape()
  if #shape ~= 3 and #shape ~= 4 then
    U.fail("%s: h must be [k, d, f] or [k, d, f, f], got %s", fn, U.shape_str(h))
  end
  p = check_int(fn, "p", p, 1)
  if opts.normalize ~= false then
    h = h:clone()
    call(fn, h.normalize_rows, h:reshape(shape[1], h:numel() // shape[1]), 1e-30)
  end
  local fp = call(fn, core.conv_frame_potential, h, p)
  return fp, p ^ (#shape - 2) * shape[1] ^ 2 / shape[2]
end

return frames
