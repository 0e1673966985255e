-- interpolation.lua -- training-free ReLU networks that interpolate data exactly (SPEC §4,
-- a reconstruction from the abstract of Huang, arXiv 2208.07498; see lua/rdn/interp.lua).
--  1. synthetic data: the interpolation error of the triangular 3-layer net (f64, and f32
--     data with its warning), the hat and interval 4-layer nets, and the sparsity of their
--     interpolation matrices;
--  2. conditioning vs minimum projection gap over random directions, written as
--     interpolation_cond.svg to $RDN_OUT (or the current directory; the temp directory in
--     smoke mode);
--  3. a memorisation baseline: sklearn digits (tests/data) and a Fashion-MNIST subset
--     (Debian's dataset-fashion-mnist): train accuracy 1.0 by construction, and the test
--     accuracy, honestly poor, next to kNN-5 on the same pixels.
-- RDN_SMOKE=1 picks small sizes.
local rdn = require "rdn"
local interp = rdn.interp
local smoke = os.getenv("RDN_SMOKE") == "1"
local dir = os.getenv("RDN_OUT") or (smoke and (os.getenv("TMPDIR") or "/tmp") or ".")
local fp64 = rdn.device().fp64
local dt = fp64 and "f64" or "f32"

local function max_error(net, X, Y)
  local D = net:forward(X):axpby(-1, Y:reshape(Y:dim(1), Y:numel() // Y:dim(1)):astype(dt), 1)
  local m = 0
  for _, row in ipairs(D:totable()) do
    for _, v in ipairs(row) do m = math.max(m, math.abs(v)) end
  end
  return m
end

-- 1. synthetic -----------------------------------------------------------------------------
local m, d = smoke and 40 or 200, 5
local X = rdn.randn { m, d, seed = 1, dtype = dt }
local Y = rdn.randn { m, 2, seed = 2, dtype = dt }
print(string.format("synthetic: m = %d points in d = %d, 2 outputs, device fp64: %s", m, d,
                    tostring(fp64)))
local t0 = rdn.clock()
local net, info = interp.three_layer(X, Y, { k = 16 })
print(string.format("  triangular  %-4s solve: max |f(x_i) - y_i| = %.2e (%.3f s)  min gap "
                    .. "%.2e  cond_1(A) ~ %.2e", info.solve, max_error(net, X, Y),
                    rdn.clock() - t0, info.min_gap, info.cond))
local Xf = X:astype("f32")
local netf, infof = interp.three_layer(Xf, Y:astype("f32"), { k = 16 })
print(string.format("  triangular  f32 data:   max error %.2e%s", infof.max_error,
                    infof.warning and "  (warned: cond x eps32 too large for float32)" or ""))
local _, st = interp.matrix(net, X:gather_rows(info.order))
print(string.format("    A (sorted points): lower triangular, density %.3f (row i fires i units), "
                    .. "rank %d of %d", st.density, st.rank, m))
local hat, hinfo = interp.sparse_deep(X, Y, { mode = "hat" })
local _, hst = interp.matrix(hat, X, { layer = 2 })
print(string.format("  hat (4 layers): max error %.2e; layer-2 matrix: %d non-zeros of %d "
                    .. "(identity), rank %d", max_error(hat, X, Y), hst.nnz, m * m, hst.rank))
local labels = {}
for i = 1, m do labels[i] = (i * 7) % 3 end
local ivl, iinfo = interp.sparse_deep(X, labels, { mode = "interval" })
local _, ist = interp.matrix(ivl, X, { layer = 2 })
local acc = rdn.accuracy(ivl:forward(X):argmax_rows(), rdn.tensor(labels, "i32"))
print(string.format("  interval (3 classes): train accuracy %.3f, %d intervals, layer-2 density "
                    .. "%.3f (one unit per point)", acc, iinfo.intervals, ist.density))
print(string.format("    hat min gap %.2e, delta %.2e", hinfo.min_gap, hinfo.delta))
netf, hat, ivl = nil, nil, nil

-- 2. conditioning vs minimum gap ---------------------------------------------------------
local mc, ndir = smoke and 30 or 60, smoke and 8 or 40
local Xc = rdn.randn { mc, d, seed = 3, dtype = dt }
local Yc = rdn.randn { mc, seed = 4, dtype = dt }
local dirs = rdn.randn { ndir, d, seed = 5, dtype = dt }:normalize_rows():totable()
local pts = {}
for j = 1, ndir do
  local _, inf = interp.three_layer(Xc, Yc, { direction = dirs[j], warn_tol = 1 })
  pts[#pts + 1] = { math.log(inf.min_gap, 10), math.log(inf.cond, 10) }
end
table.sort(pts, function(a, b) return a[1] < b[1] end)
-- least-squares slope of log cond against log gap (a handful of scalars, on the host)
local sx, sy, sxx, sxy = 0, 0, 0, 0
for _, p in ipairs(pts) do
  sx, sy, sxx, sxy = sx + p[1], sy + p[2], sxx + p[1] ^ 2, sxy + p[1] * p[2]
end
local n = #pts
local slope = (n * sxy - sx * sy) / (n * sxx - sx * sx)
local icpt = (sy - slope * sx) / n
local gx, gy, fx, fy = {}, {}, {}, {}
for i, p in ipairs(pts) do gx[i], gy[i] = p[1], p[2] end
fx, fy = { pts[1][1], pts[n][1] }, { icpt + slope * pts[1][1], icpt + slope * pts[n][1] }
local svg = rdn.plot.lines {
  path = dir .. "/interpolation_cond.svg",
  title = string.format("triangular interpolation, m = %d: cond_1(A) vs min gap", mc),
  xlabel = "log10 minimum gap of sorted projections", ylabel = "log10 cond_1(A)",
  series = { { name = "random directions", x = gx, y = gy },
             { name = string.format("fit, slope %.2f", slope), x = fx, y = fy } } }
print(string.format("conditioning: %d directions, m = %d: log10 cond = %.2f %+.2f log10 gap; "
                    .. "wrote %s", ndir, mc, icpt, slope, svg))

-- 3. memorisation baselines -----------------------------------------------------------------
local function baseline(name, Xtr, ytr, Xte, yte)
  print(string.format("%s: %d train, %d test, d = %d", name, Xtr:dim(1), Xte:dim(1), Xtr:dim(2)))
  local knn = rdn.eval.knn(Xtr, ytr, Xte, yte, { k = 5 })
  print(string.format("  %-22s train -      test %.3f", "kNN-5 (cosine)", knn))
  local forms = {
    { "triangular (3 layers)", function() return interp.three_layer(Xtr, ytr, { dtype = dt }) end },
    { "hat (4 layers)", function() return interp.sparse_deep(Xtr, ytr, { dtype = dt }) end },
    { "interval (4 layers)", function()
        return interp.sparse_deep(Xtr, ytr, { mode = "interval", dtype = dt }) end },
  }
  for _, f in ipairs(forms) do
    local t = rdn.clock()
    local ok, fnet, finfo = pcall(f[2])
    if not ok then
      print(string.format("  %-22s failed: %s", f[1], fnet))
    else
      local tr = rdn.accuracy(fnet:forward(Xtr):argmax_rows(), ytr)
      local te = rdn.accuracy(fnet:forward(Xte):argmax_rows(), yte)
      print(string.format("  %-22s train %.3f  test %.3f  (%d hidden units, min gap %.2e, "
                          .. "%.2f s)%s",
                          f[1], tr, te, finfo.units[1], finfo.min_gap, rdn.clock() - t,
                          finfo.warning and "  [ill-conditioned]" or ""))
    end
  end
end

local digits = rdn.data.csv("tests/data/digits.csv.gz")
local itr, ite = rdn.data.split("tests/data/digits_split.txt")
if digits and itr then
  if smoke then itr, ite = { table.unpack(itr, 1, 200) }, { table.unpack(ite, 1, 100) } end
  itr, ite = rdn.tensor(itr, "i32"), rdn.tensor(ite, "i32")
  baseline("sklearn digits", digits.x:gather_rows(itr), digits.y:gather_rows(itr),
           digits.x:gather_rows(ite), digits.y:gather_rows(ite))
else
  print("digits: skipped (tests/data/digits.csv.gz or digits_split.txt not found)")
end

local ntr, nte = smoke and 10 or 100, smoke and 10 or 50
local train, err = rdn.data.fashion_mnist { split = "train", n_per_class = ntr }
if train then
  local test = assert(rdn.data.fashion_mnist { split = "test", n_per_class = nte })
  baseline("Fashion-MNIST subset", train.x, train.y, test.x, test.y)
else
  print("Fashion-MNIST: skipped (" .. err .. ")")
end
print("(memorisation: the nets interpolate along one direction, so unseen points land between "
      .. "training points; SPEC §4.4: not a competitive classifier)")
