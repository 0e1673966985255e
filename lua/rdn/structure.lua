-- rdn/structure.lua -- structure learning by global group sparse coding: a RECONSTRUCTION
-- (SPEC §5.3; the paper, arXiv 2105.13905, was available as an abstract only).  Each layer
-- learns a dictionary D [n_in, n] (atoms = units' receptive fields, as columns) from
-- unlabelled data by alternating
--   A <- ISTA on 1/2 ||X - A Dᵀ||² + lambda_a ||A||_1         (warm start, on the device)
--   D <- D - tau (D AᵀA - XᵀA),  tau = m / ||A||²             (data terms per sample)
--   D[g, u] <- group soft-threshold (tau lambda_g)            (rdn.group_shrink)
--   D[:, u] <- D[:, u] / max(1, ||D[:, u]||)
-- minimising (1/m)(1/2 ||X - A Dᵀ||² + lambda_a ||A||_1) + lambda_g sum_{u,g} ||D[g, u]||
-- (lambda_g is per sample: SPEC's lambda_G = m lambda_g).  The connectivity mask of a layer
-- is M[u, g] = (||D[g, u]|| > 0).  The feature map is the feed-forward approximation
-- y = ReLU(Dᵀx - lambda_a) (SPEC §2.2), so the learned network is a plain
-- Sequential{Linear, ReLU, [GroupPool], ...}.  Depth rule (unverified in SPEC, an option):
-- add layers while the entropy proxy R(Y) (coding rate of the centred, row-normalised
-- features, eps_sq) grows by more than gain_threshold per unit ("per_unit", default) or in
-- total, or while a probe function's score improves by more than probe_margin.
local core = require "rdn.core"
local U = require "rdn.nn.util"
local nn = require "rdn.nn"

local structure = {}
local NAME = "rdn.structure.learn"

--- structure.image_groups(h, w [, block = 1 [, channels = 1]]) -> ids (Lua list, one group id
--- per input, inputs ordered [channel, y, x]), ngroups, positions {{y, x}, ...} (block
--- centres): one group per block x block pixel block holding all its channels.
function structure.image_groups(h, w, block, channels)
  local fn = "rdn.structure.image_groups"
  h, w = U.number(fn, "h", h, false, true), U.number(fn, "w", w, false, true)
  block = U.number(fn, "block", block or 1, false, true)
  channels = U.number(fn, "channels", channels or 1, false, true)
  local gw, gh = (w + block - 1) // block, (h + block - 1) // block
  local ids, pos = {}, {}
  for c = 0, channels - 1 do
    for y = 0, h - 1 do
      for x = 0, w - 1 do ids[#ids + 1] = (y // block) * gw + x // block end
    end
    if c == 0 then
      for gy = 0, gh - 1 do
        for gx = 0, gw - 1 do
          pos[#pos + 1] = { math.min(gy * block + (block - 1) / 2, h - 1),
                            math.min(gx * block + (block - 1) / 2, w - 1) }
        end
      end
    end
  end
  return ids, gh * gw, pos
end

-- Groups as a partition of n inputs: a list of index lists (0-based), a list of group ids
-- (one per input), an i32 tensor of ids, or {image = {h, w}, block = b, channels = c}.
-- Returns an i32 tensor of ids, the number of groups and positions (or nil).
function structure.partition(fn, groups, n)
  if type(groups) == "table" and groups.image then
    local im = groups.image
    local ids, ng, pos = structure.image_groups(im[1], im[2], groups.block, groups.channels)
    if #ids ~= n then
      U.fail("%s: groups: image %dx%d (x %d channels) has %d inputs, the data has %d", fn, im[1],
             im[2], groups.channels or 1, #ids, n)
    end
    return core.tensor(ids, "i32"), ng, pos
  end
  if core.is_tensor(groups) then groups = groups:totable() end
  if type(groups) ~= "table" or #groups == 0 then
    U.fail("%s: groups must be index lists, group ids or {image = {h, w}, block = b}", fn)
  end
  local ids = {}
  if type(groups[1]) == "table" then              -- lists of input indices
    for g, list in ipairs(groups) do
      if type(list) ~= "table" or #list == 0 then U.fail("%s: group %d is empty", fn, g - 1) end
      for _, i in ipairs(list) do
        if math.type(i) ~= "integer" or i < 0 or i >= n then
          U.fail("%s: group %d lists input %s, outside 0..%d (groups must partition the %d inputs)",
                 fn, g - 1, tostring(i), n - 1, n)
        end
        if ids[i + 1] then
          U.fail("%s: groups do not partition the inputs: input %d is in groups %d and %d", fn, i,
                 ids[i + 1], g - 1)
        end
        ids[i + 1] = g - 1
      end
    end
    for i = 1, n do
      if not ids[i] then U.fail("%s: groups do not partition the inputs: input %d is in no group",
                                fn, i - 1) end
    end
    return core.tensor(ids, "i32"), #groups
  end
  if #groups ~= n then
    U.fail("%s: groups has %d ids, the data has %d inputs (groups must partition the inputs)", fn,
           #groups, n)
  end
  local ng, used = 0, {}
  for i, g in ipairs(groups) do
    if math.type(g) ~= "integer" or g < 0 then
      U.fail("%s: groups[%d] = %s is not a group id (integers >= 0)", fn, i, tostring(g))
    end
    used[g] = true
    if g + 1 > ng then ng = g + 1 end
  end
  for g = 0, ng - 1 do
    if not used[g] then U.fail("%s: group %d is empty (ids must run over 0..%d)", fn, g, ng - 1) end
  end
  return core.tensor(groups, "i32"), ng
end

-- Columns centred: Y - 1 (1ᵀY / m).
local function center(Y)
  local m = Y:dim(1)
  local ones = core.ones { m, 1, dtype = Y:dtype() }
  local mean = core.matmul(ones, Y, { ta = true, alpha = 1 / m })      -- [1, n]
  return core.gemm(ones, mean, Y:clone(), { alpha = -1, beta = 1 })
end

--- structure.rate(Y [, eps_sq = 0.1]) -> R, R per unit: the entropy proxy of SPEC §5.2,
--- 1/2 logdet(I + n/(m eps_sq) ỸᵀỸ) of the centred features with rows on the unit sphere.
function structure.rate(Y, eps_sq)
  local Z = center(Y):normalize_rows(1e-12)
  local R = require("rdn.rate").coding_rate(Z, eps_sq or 0.1)
  return R, R / Y:dim(2)
end

-- Spherical k-means of the units' correlation profiles (SPEC §5.3 pooling): ids (Lua list,
-- compacted to 0..c'-1) and c'.
function structure.cluster_units(Y, clusters, iters)
  local m, n = Y:dim(1), Y:dim(2)
  local Z = core.transpose(center(Y), m, n):normalize_rows(1e-12)        -- units as rows
  local C = core.gram(Z, { side = "rows" }):normalize_rows(1e-12)        -- correlation rows
  local c = math.min(clusters, n)
  local init = {}
  for i = 0, c - 1 do init[i + 1] = (i * n) // c end
  local cent = C:gather_rows(core.tensor(init, "i32"))
  local a
  for _ = 1, iters or 20 do
    a = core.matmul(C, cent, { tb = true }):argmax_rows()
    cent = core.matmul(core.onehot(a, c, 1, 0, C:dtype()), C, { ta = true }):normalize_rows(1e-12)
  end
  local ids, map, k = a:totable(), {}, 0                 -- drop empty clusters
  for i, v in ipairs(ids) do
    if not map[v] then map[v], k = k, k + 1 end
    ids[i] = map[v]
  end
  return ids, k
end

-- One layer: alternating group sparse coding of X [m, n_in]; returns the layer record.
local function learn_layer(fn, X, o, groups, ng, n, seed, quiet, depth)
  local m, nin, dt = X:dim(1), X:dim(2), X:dtype()
  local D = core.frame_normalize(core.randn { nin, n, seed = seed, dtype = dt }, "unit")
  local A = core.zeros { m, n, dtype = dt }
  local norms = core.empty { n, ng, dtype = dt }
  local trace, prev = {}, math.huge
  local function objective()
    core.group_shrink(D, groups, ng, 0, norms)        -- t = 0: block norms only
    return core.sparse_objective(X, D, A, o.lambda_a) / m + o.lambda_g * norms:sum()
  end
  for it = 1, o.iters do
    core.ista(A, X, D, { lambda = o.lambda_a, steps = o.ista_steps, fista = o.fista,
                         nonneg = o.nonneg, warm = it > 1, allow_zero_atoms = true })
    trace[#trace + 1] = objective()
    local L = core.frame_norm2(A)
    if L == 0 then
      U.fail("%s: layer %d: every code is zero at iteration %d: lambda_a = %g is too large for "
             .. "this data", fn, depth, it, o.lambda_a)
    end
    local G = core.matmul(D, core.gram(A))
    G:axpby(-1, core.matmul(X, A, { ta = true }), 1)
    D:axpby(-1 / L, G, 1)
    core.group_shrink(D, groups, ng, m * o.lambda_g / L)
    core.frame_normalize(D, "ball")
    local f = objective()
    trace[#trace + 1] = f
    if not quiet then
      io.stderr:write(string.format("  layer %d iter %d: objective %.6g\n", depth, it, f))
    end
    if math.abs(prev - f) <= o.tol * math.abs(f) then break end
    prev = f
  end
  local Wt = core.transpose(D, nin, n)                   -- Linear's [out, in]
  local lin = nn.Linear { weight = Wt, bias = core.full(n, -o.lambda_a, dt) }
  local Y = lin:forward(X, true)                         -- ReLU(X D - lambda_a)
  return { D = D, codes = A, norms = norms, groups = groups, ngroups = ng, objective = trace,
           linear = lin, features = Y, active = core.count_above(norms, 0) / n,
           dead = n - core.count_above(Wt:row_norms(), 0) }
end

local KNOWN = { groups = true, units = true, lambda_a = true, lambda_g = true, max_layers = true,
                gain_threshold = true, gain = true, iters = true, ista_steps = true, fista = true,
                nonneg = true, eps_sq = true, pool = true, seed = true, tol = true, quiet = true,
                probe = true, probe_margin = true }

--- structure.learn(X, {groups = ..., units = 64 (or one per layer), lambda_a = 0.1, lambda_g
---   = 0.01, max_layers = 3, gain_threshold = 0, gain = "per_unit" | "total", iters = 30,
---   ista_steps = 10, fista = false, nonneg = true, eps_sq = 0.1, pool = nil | {clusters = c,
---   mode = "max"}, seed = 0, tol = 1e-4, quiet = true, probe = nil | function(Y, layer) ->
---   score, probe_margin = 0}) -> {layers = {...}, net = Sequential, rates = {R(X), ...},
---   depth, features}.  Layer 1 groups its inputs by `groups`; deeper layers use one group
---   per input unit (or per pooled cluster).  Each layer record: D [n_in, n], norms [n, G]
---   (mask = norms > 0), objective (after every half-step), R, R_unit, gain, active (mean
---   groups per unit), dead (all-zero units), pool ({ids, clusters} when pooling).
function structure.learn(X, opts)
  local fn = NAME
  if not core.is_tensor(X) or #X:shape() < 2 then
    U.fail("%s: X must be a tensor [m, n_in] (rows are samples), got %s", fn,
           core.is_tensor(X) and U.shape_str(X) or type(X))
  end
  opts = U.opts(fn, opts, KNOWN)
  local m = X:dim(1)
  X = X:reshape(m, X:numel() // m)
  local dt = X:dtype()
  if dt ~= "f32" and dt ~= "f64" then U.fail("%s: X must be f32 or f64, got %s", fn, dt) end
  local ok, err = pcall(X.check_finite, X, "X")
  if not ok then
    U.fail("%s: %s", fn, (tostring(err):gsub("^[^\n]-rdn%.Tensor:check_finite: ", "")))
  end
  local o = {
    lambda_a = U.number(fn, "lambda_a", opts.lambda_a or 0.1, true),
    lambda_g = U.number(fn, "lambda_g", opts.lambda_g or 0.01, true),
    iters = U.number(fn, "iters", opts.iters or 30, false, true),
    ista_steps = U.number(fn, "ista_steps", opts.ista_steps or 10, false, true),
    tol = U.number(fn, "tol", opts.tol or 1e-4, true),
    fista = opts.fista and true or false, nonneg = opts.nonneg ~= false }
  local max_layers = U.number(fn, "max_layers", opts.max_layers or 3, false, true)
  local threshold = opts.gain_threshold or 0
  if type(threshold) ~= "number" or threshold ~= threshold then
    U.fail("%s: gain_threshold must be a number, got %s", fn, tostring(threshold))
  end
  local gain_kind = opts.gain or "per_unit"
  if gain_kind ~= "per_unit" and gain_kind ~= "total" then
    U.fail("%s: gain must be 'per_unit' or 'total', got %s", fn, tostring(gain_kind))
  end
  local eps = U.number(fn, "eps_sq", opts.eps_sq or 0.1)
  if opts.groups == nil then U.fail("%s: groups is required (a partition of the inputs)", fn) end
  local groups, ng, pos = structure.partition(fn, opts.groups, X:dim(2))
  local units = opts.units or 64
  local function units_of(l)
    local u = type(units) == "table" and units[l] or units
    return U.number(fn, type(units) == "table" and string.format("units[%d]", l) or "units", u,
                    false, true)
  end
  local res = { layers = {}, rates = {}, positions = pos }
  local R0, R0u = structure.rate(X, eps)
  res.rates[1] = R0
  local prev_R, prev_score = gain_kind == "per_unit" and R0u or R0, nil
  if opts.probe then prev_score = opts.probe(X, 0) end
  local children, Y = {}, X
  for l = 1, max_layers do
    if type(units) == "table" and units[l] == nil then break end
    local rec = learn_layer(fn, Y, o, groups, ng, units_of(l), (opts.seed or 0) + l,
                            opts.quiet ~= false, l)
    rec.R, rec.R_unit = structure.rate(rec.features, eps)
    rec.gain = (gain_kind == "per_unit" and rec.R_unit or rec.R) - prev_R
    local accept = l == 1 or rec.gain > threshold
    if opts.probe then
      rec.score = opts.probe(rec.features, l)
      accept = l == 1 or rec.score > prev_score + (opts.probe_margin or 0)
    end
    if not accept then
      res.rejected = rec
      break
    end
    res.layers[l], res.rates[l + 1] = rec, rec.R
    prev_R, prev_score = gain_kind == "per_unit" and rec.R_unit or rec.R, rec.score
    children[#children + 1] = rec.linear
    children[#children + 1] = nn.ReLU {}
    Y = rec.features
    local nxt = Y:dim(2)
    if opts.pool then
      local p = U.opts(fn .. ": pool", opts.pool, { clusters = true, mode = true, iters = true })
      local ids, c = structure.cluster_units(Y, U.number(fn, "pool.clusters", p.clusters, false,
                                                         true), p.iters)
      local pool = nn.GroupPool { groups = ids, mode = p.mode or "max" }
      rec.pool = { ids = ids, clusters = c }
      children[#children + 1] = pool
      Y = pool:forward(Y)
      nxt = c
    end
    local ids = {}
    for i = 1, nxt do ids[i] = i - 1 end
    groups, ng = core.tensor(ids, "i32"), nxt
  end
  res.depth, res.features = #res.layers, Y
  res.net = nn.Sequential(children)
  return res
end

--- structure.mask(layer) -> {[u] = {g, ...}}: the groups (0-based) unit u (1-based) is
--- connected to, i.e. M[u, g] = 1[||D[g, u]|| > 0] as lists (the learned connectivity, read
--- back: n x G values).
function structure.mask(layer)
  local out = {}
  for u, row in ipairs(layer.norms:totable()) do
    local gs = {}
    for g, v in ipairs(row) do if v > 0 then gs[#gs + 1] = g - 1 end end
    out[u] = gs
  end
  return out
end

--- structure.spread(layer, positions) -> mean over live units of the RMS distance of the
--- unit's connected groups from their centroid (groups weighted by their block norms), and
--- the mean number of connected groups: how local the learned receptive fields are.  A
--- report on the learned connectivity (the mask is read back: n x G values).
function structure.spread(layer, positions)
  local n, G = layer.norms:dim(1), layer.norms:dim(2)
  local w = layer.norms:totable()
  local tot, cnt, live = 0, 0, 0
  for u = 1, n do
    local sw, sy, sx, syy, k = 0, 0, 0, 0, 0
    for g = 1, G do
      local v = w[u][g]
      if v > 0 then
        local p = positions[g]
        sw, sy, sx, syy, k = sw + v, sy + v * p[1], sx + v * p[2], syy + v * (p[1] ^ 2 + p[2] ^ 2),
                             k + 1
      end
    end
    if sw > 0 then
      local my, mx = sy / sw, sx / sw
      tot = tot + math.sqrt(math.max(0, syy / sw - my * my - mx * mx))
      cnt, live = cnt + k, live + 1
    end
  end
  return live > 0 and tot / live or 0, live > 0 and cnt / live or 0, live
end

return structure
