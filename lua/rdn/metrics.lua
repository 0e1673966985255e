-- rdn/metrics.lua -- class separation measurements (SPEC §3.2, §7.4 item 31), on the
-- device, for features X [m, ...] (flattened to [m, D]) with 0-based labels y:
--   Sigma_W = sum_c pi_c Cov(x | c)      (within-class covariance, pi_c = m_c / m)
--   Sigma_B = sum_c pi_c (mu_c - mu)(mu_c - mu)ᵀ
--   fisher  = tr(Sigma_W^-1 Sigma_B) = sum_c pi_c (mu_c - mu)ᵀ Sigma_W^-1 (mu_c - mu)
-- with the ridge Sigma_W + delta (tr Sigma_W / D) I (delta = 1e-4 by default: a reported
-- Fisher ratio depends on it when Sigma_W is singular, e.g. m < D), solved by Cholesky, never
-- an inverse.  Invariant under invertible linear maps of the features (up to the ridge).
-- Also: tr Sigma_W (within-class variance), tr Sigma_B, the within share tr Sigma_W /
-- (tr Sigma_W + tr Sigma_B), and class-mean separation (smallest and mean distance between
-- two class means, raw and in units of sqrt(tr Sigma_W)).
local core = require "rdn.core"
local U = require "rdn.nn.util"

local metrics = {}

-- [m, D] view of X, labels tensor, k, counts.
local function prepare(fn, X, y, k)
  if not core.is_tensor(X) then U.fail("%s: X must be a tensor, got %s", fn, type(X)) end
  local dt = X:dtype()
  if dt ~= "f32" and dt ~= "f64" then U.fail("%s: X must be f32 or f64, got %s", fn, dt) end
  local m = X:dim(1)
  local A = X:reshape(m, X:numel() // m)
  local ok, err = pcall(A.check_finite, A, "X")
  if not ok then U.fail("%s: %s", fn, (tostring(err):gsub("^rdn%.Tensor:check_finite: ", ""))) end
  local yt, kk, counts = U.labels(fn, y, m, k)
  return A, yt, kk, counts
end

-- Class means M [k, D] and the one-hot [m, k] used to make them.
local function class_means(A, y, k, counts)
  local dt = A:dtype()
  local Y1 = core.onehot(y, k, 1, 0, dt)
  local inv = {}
  for j = 1, k do inv[j] = 1 / counts[j] end
  local S = core.matmul(Y1, A, { ta = true })
  return core.channel_affine(S, core.tensor(inv, dt), nil, A:dim(2), S), Y1
end

--- metrics.separation(X, y [, {classes = k}]) -> {tr_w, tr_b, within_share, sep_min,
--- sep_mean, sep_min_w, sep_mean_w, m, d, k}: no D x D matrix, cheap.
function metrics.separation(X, y, opts)
  local fn = "rdn.metrics.separation"
  opts = U.opts(fn, opts, { classes = true })
  local A, yt, k, counts = prepare(fn, X, y, opts.classes)
  local m, D = A:dim(1), A:dim(2)
  local M, Y1 = class_means(A, yt, k, counts)
  local R = A:clone()
  core.gemm(Y1, M, R, { alpha = -1, beta = 1 })       -- residuals x_i - mu_{y_i}
  local trw = R:sumsq() / m
  R:release()
  local pi = {}
  for j = 1, k do pi[j] = counts[j] / m end
  local mu = core.matmul(core.tensor({ pi }, A:dtype()), M)        -- [1, D]
  local Dm = M:clone()
  core.gemm(core.full({ k, 1, dtype = A:dtype() }, 1), mu, Dm, { alpha = -1, beta = 1 })
  local Q = core.matmul(Dm, Dm, { tb = true }):totable()            -- k x k Gram of means
  local trb, dmin, dsum, np = 0, math.huge, 0, 0
  for a = 1, k do
    trb = trb + pi[a] * Q[a][a]
    for b = a + 1, k do
      local d2 = math.max(0, Q[a][a] + Q[b][b] - 2 * Q[a][b])
      dmin, dsum, np = math.min(dmin, math.sqrt(d2)), dsum + math.sqrt(d2), np + 1
    end
  end
  local sw = math.sqrt(trw)
  local r = { tr_w = trw, tr_b = trb, within_share = trw / (trw + trb), m = m, d = D, k = k,
              sep_min = np > 0 and dmin or 0, sep_mean = np > 0 and dsum / np or 0 }
  r.sep_min_w, r.sep_mean_w = r.sep_min / sw, r.sep_mean / sw
  return r, Dm, M, Y1, pi
end

--- metrics.within_variance(X, y [, {classes = k}]) -> tr Sigma_W.
function metrics.within_variance(X, y, opts) return (metrics.separation(X, y, opts)).tr_w end

--- metrics.fisher(X, y [, {delta = 1e-4, classes = k}]) -> fisher, r: r holds the fields of
--- metrics.separation plus fisher, per_class ({pi_c dᵀ Sigma_W^-1 d, ...}) and delta.
function metrics.fisher(X, y, opts)
  local fn = "rdn.metrics.fisher"
  opts = U.opts(fn, opts, { delta = true, classes = true })
  local delta = U.number(fn, "delta", opts.delta or 1e-4)
  local r, Dm, M, Y1, pi = metrics.separation(X, y, { classes = opts.classes })
  local A = X:reshape(r.m, r.d)
  local R = A:clone()
  core.gemm(Y1, M, R, { alpha = -1, beta = 1 })
  local Sw = core.gram(R, { alpha = 1 / r.m, diag = delta * r.tr_w / r.d })
  R:release()
  local ok, err = pcall(core.cholesky, Sw)
  if not ok then
    U.fail("%s: within-class covariance not positive definite: %s", fn, tostring(err))
  end
  local B = core.transpose(Dm, r.k, r.d)                  -- [D, k]
  core.chol_solve(B, Sw)
  Sw:release()
  local Q = core.matmul(Dm, B):totable()
  local f, per = 0, {}
  for j = 1, r.k do
    per[j] = pi[j] * Q[j][j]
    f = f + per[j]
  end
  r.fisher, r.per_class, r.delta = f, per, delta
  return f, r
end

--- metrics.report(tag, X, y [, opts]) -> r with r.tag: fisher + separation (opts as fisher).
function metrics.report(tag, X, y, opts)
  local _, r = metrics.fisher(X, y, opts)
  r.tag = tag
  return r
end

--- metrics.write_log(path, rows): CSV of report rows (tag, fisher, tr_w, tr_b, within_share,
--- sep_min, sep_mean, d, plus accuracy / kept when present), temp file + rename.
function metrics.write_log(path, rows)
  local cols = { "tag", "d", "fisher", "tr_w", "tr_b", "within_share", "sep_min_w", "sep_mean_w",
                 "accuracy", "kept" }
  local tmp = path .. ".tmp"
  local f, err = io.open(tmp, "w")
  if not f then U.fail("rdn.metrics.write_log: cannot write '%s': %s", path, err) end
  f:write(table.concat(cols, ","), "\n")
  for _, r in ipairs(rows) do
    local v = {}
    for i, c in ipairs(cols) do
      local x = r[c]
      v[i] = type(x) == "number" and string.format("%.10g", x) or tostring(x or "")
    end
    f:write(table.concat(v, ","), "\n")
  end
  local ok, cerr = f:close()
  if not ok then os.remove(tmp) U.fail("rdn.metrics.write_log: '%s': %s", path, cerr) end
  local rok, rerr = os.rename(tmp, path)
  if not rok then os.remove(tmp) U.fail("rdn.metrics.write_log: '%s': %s", path, rerr) end
  return path
end

return metrics
