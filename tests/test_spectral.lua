-- test_spectral.lua -- rdn.nn.Lift1D/2D and ReduNet1D/2D from Lua: composition in
-- Sequential with the vector ReduNet, forward on the construction data = construction
-- output, exact shift equivariance of lift + spectral ReduNet (1e-5), save/load identical,
-- update, per-layer memory in the log, rates against rdn.rate.mcr2_spectral's convention
-- (T = 1 equals the vector ReduNet), and every bad-input case with its message.
local rdn = require "rdn"
local S = require "rdn.nn.spectral"
local T = dofile("tests/testlib.lua")
local tmp = os.tmpname()
os.remove(tmp)
os.execute("mkdir -p " .. tmp)

local function maxdiff(a, b) return math.sqrt(a:clone():axpby(-1, b, 1):sumsq()) end
local function labels(m, k)
  local y = {}
  for i = 1, m do y[i] = (i - 1) % k end
  return rdn.tensor(y, "i32")
end

-- 1. 1-D: lift + spectral ReduNet + vector ReduNet -------------------------------------
local X = rdn.randn { 24, 2, 12, seed = 3 }
local y = labels(24, 3)
local net = rdn.nn.Sequential {
  rdn.nn.Lift1D { channels = 4, kernel = 3, seed = 1 },
  rdn.nn.ReduNet1D { layers = 3, eta = 0.5, eps_sq = 0.1, lambda = 500 },
  rdn.nn.ReduNet { layers = 2, eta = 0.5, eps_sq = 0.1 },
}
local logs, Z = net:construct(X, y, { quiet = true })
T.ok(#logs == 3 and #logs[2] == 4 and logs[2][2].memory == 4 * 7 * 10 * 8,
     "log: 3 layers + input, memory = (k+1) F C(C+1)/2 8 bytes (packed)")
for i = 2, #logs[2] do T.ok(logs[2][i].dR >= logs[2][i - 1].dR - 1e-6, "ΔR does not drop") end
T.ok(maxdiff(net:forward(X), Z) < 1e-5, "forward on the construction data = construct output")
-- equivariance: lift + spectral block only (the vector ReduNet is not shift-equivariant)
local inv = rdn.nn.Sequential { net.children[1], net.children[2] }
local F0 = inv:forward(X)
for _, s in ipairs { 1, 5, 11 } do
  local e = maxdiff(inv:forward(S.circshift(X, s)), S.circshift(F0, s))
  T.ok(e < 1e-5, string.format("1-D: features of shifted input = shifted features (s = %d): %g",
                               s, e))
end
-- invariant read-out (S.invariant: per-channel |DFT|): identical features and identical
-- kNN / nearest-subspace predictions for every circular shift of the test set
local Xq = rdn.randn { 15, 2, 12, seed = 8 }
local yq = labels(15, 3)
local Itr = S.invariant(F0)
local Fq = inv:forward(Xq)
local Iq = S.invariant(Fq)
T.ok(Iq:dim(1) == 15 and Iq:dim(2) == 4 * 7, "invariant: [m, C F] with F = T/2 + 1")
local _, pk = rdn.eval.knn(Itr, y, Iq, yq, { k = 3 })
local _, pn = rdn.eval.nearest_subspace(Itr, y, Iq, yq, { components = 2, iters = 30 })
local pk0, pn0 = pk:totable(), pn:totable()
local worst, flips = 0, 0
for s = 1, 11 do
  local Is = S.invariant(inv:forward(S.circshift(Xq, s)))
  worst = math.max(worst, maxdiff(Is, Iq))
  local _, a = rdn.eval.knn(Itr, y, Is, yq, { k = 3 })
  local _, b = rdn.eval.nearest_subspace(Itr, y, Is, yq, { components = 2, iters = 30 })
  local at, bt = a:totable(), b:totable()
  for i = 1, 15 do
    if at[i] ~= pk0[i] or bt[i] ~= pn0[i] then flips = flips + 1 end
  end
end
T.ok(worst < 1e-5, string.format("invariant read-out equal under all 11 shifts: %g", worst))
T.ok(flips == 0, string.format("kNN / NS predictions identical under all shifts: %d changed",
                               flips))
local I2a = S.invariant(rdn.randn { 3, 2, 6, 5, seed = 9 })
local I2b = S.invariant(S.circshift(rdn.randn { 3, 2, 6, 5, seed = 9 }, 4, 3))
T.ok(I2a:dim(2) == 2 * 6 * 3 and maxdiff(I2a, I2b) < 1e-5, "2-D invariant read-out")
T.errors(function() S.invariant(rdn.randn { 3, 4 }) end, "got [3 x 4]", "invariant: bad rank")
-- save / load
local path = tmp .. "/s1.safetensors"
T.ok(net:save(path), "save")
local back = rdn.nn.load(path)
T.ok(back and maxdiff(back:forward(X), net:forward(X)) == 0, "load: identical forward")
-- packed (default) and full storage: same features, half the memory, both save / load;
-- a file of either form loads into either storage; update on packed = update on full
local Xs = rdn.randn { 20, 3, 10, seed = 21 }
local ys = labels(20, 2)
local np_ = rdn.nn.ReduNet1D { layers = 2, lambda = 5, woodbury = false }
local nf_ = rdn.nn.ReduNet1D { layers = 2, lambda = 5, woodbury = false, storage = "full" }
local lp, Zp = np_:construct(Xs, ys, { quiet = true })
local lf, Zf = nf_:construct(Xs, ys, { quiet = true })
T.ok(np_.storage == "packed" and np_.ops[1]:dim(3) == 6 and #nf_.ops[1]:shape() == 4,
     "storage: packed [k+1, F, C(C+1)/2] by default, full [k+1, F, C, C] on request")
T.ok(maxdiff(Zp, Zf) == 0 and lp[2].memory * 3 == lf[2].memory * 2,
     string.format("packed = full: features %g, memory %d vs %d", maxdiff(Zp, Zf),
                   lp[2].memory, lf[2].memory))
T.ok(maxdiff(rdn.core.herm_unpack(np_.ops[2], 3), nf_.ops[2]) == 0, "packed ops unpack to full")
local pp, pf = tmp .. "/packed.safetensors", tmp .. "/full.safetensors"
np_:save(pp)
nf_:save(pf)
local bp, bf = rdn.nn.load(pp), rdn.nn.load(pf)
T.ok(bp.storage == "packed" and bf.storage == "full" and maxdiff(bp:forward(Xs), Zp) == 0 and
     maxdiff(bf:forward(Xs), Zf) == 0, "packed / full save and load")
-- an older file (no storage entry, full ops) loads as full; a packed file loads into full
-- (re-saved without the loader's reserved "rdn." dtype keys)
local function user_meta(m)
  local out = {}
  for key, v in pairs(m) do if not key:match("^rdn%.") then out[key] = v end end
  return out
end
local f = rdn.core.safetensors_load(pf)
f.metadata = user_meta(f.metadata)
f.metadata.storage = nil
local list = {}
for name, t in pairs(f.tensors) do list[#list + 1] = { name, t } end
table.sort(list, function(u, v) return u[1] < v[1] end)
local po = tmp .. "/old.safetensors"
rdn.core.safetensors_save(po, list, f.metadata)
local bo = rdn.nn.load(po)
T.ok(bo.storage == "full" and #bo.ops[1]:shape() == 4 and maxdiff(bo:forward(Xs), Zf) == 0,
     "a file without 'storage' (before packed storage) loads as full")
local g = rdn.core.safetensors_load(pp)
g.metadata = user_meta(g.metadata)
g.metadata.storage = "full"
list = {}
for name, t in pairs(g.tensors) do list[#list + 1] = { name, t } end
rdn.core.safetensors_save(po, list, g.metadata)
local bq = rdn.nn.load(po)
T.ok(bq.storage == "full" and #bq.ops[1]:shape() == 4 and maxdiff(bq:forward(Xs), Zp) == 0,
     "packed tensors load into full storage")
local Xs2 = rdn.randn { 9, 3, 10, seed = 22 }
np_:update(Xs2, labels(9, 2), 0.3)
nf_:update(Xs2, labels(9, 2), 0.3)
T.ok(maxdiff(np_:forward(Xs), nf_:forward(Xs)) < 1e-6, "update: packed = full")
T.errors(function() rdn.nn.ReduNet2D { storage = "half" } end, "storage must be 'packed' or "
         .. "'full', got half", "bad storage value")
-- update keeps the shapes and runs
local ulog = select(1, net:update(X, y, 0.2))
T.ok(type(ulog) == "table", "update")

-- Woodbury class operators (every class smaller than C: "auto"): same features as the
-- direct form, memory (F C^2 + F m C + F sum m_j^2) 8 bytes, save / load, no update
local Xw = rdn.randn { 12, 5, 8, seed = 12 }
local yw = labels(12, 3)
local nw = rdn.nn.ReduNet1D { layers = 2, lambda = 5 }
local lw, Zw = nw:construct(Xw, yw, { quiet = true })
local nd = rdn.nn.ReduNet1D { layers = 2, lambda = 5, woodbury = false }
local ld, Zd = nd:construct(Xw, yw, { quiet = true })
T.ok(nw.wb and not nd.wb, "woodbury = 'auto' picks the Woodbury form when m_j < C")
T.ok(maxdiff(Zw, Zd) < 1e-5 and math.abs(lw[3].dR - ld[3].dR) < 1e-5,
     string.format("Woodbury = direct: features %g", maxdiff(Zw, Zd)))
T.ok(lw[2].memory == (5 * 25 + 5 * 12 * 5 + 5 * 3 * 16) * 8 and ld[2].memory == 4 * 5 * 15 * 8,
     "Woodbury memory in the log")
T.ok(maxdiff(nw:forward(Xw), Zw) < 1e-5, "Woodbury forward")
local Xw2 = rdn.randn { 17, 5, 8, seed = 13 }
T.ok(maxdiff(nw:forward(Xw2), nd:forward(Xw2)) < 1e-5, "Woodbury forward on another set size")
local pw = tmp .. "/wb.safetensors"
T.ok(nw:save(pw), "Woodbury save")
local bw = rdn.nn.load(pw)
T.ok(bw.wb and maxdiff(bw:forward(Xw), nw:forward(Xw)) == 0, "Woodbury load: identical forward")
T.errors(function() nw:update(Xw, yw) end, "Woodbury", "update with Woodbury operators")
T.errors(function() rdn.nn.ReduNet1D { woodbury = "yes" } end, "woodbury must be", "woodbury opt")

-- 2. 2-D -------------------------------------------------------------------------------
local X2 = rdn.randn { 10, 1, 6, 5, seed = 4 }
local y2 = labels(10, 2)
local net2 = rdn.nn.Sequential {
  rdn.nn.Lift2D { channels = 3, kernel = 3, seed = 2 },
  rdn.nn.ReduNet2D { layers = 2, eta = 0.5, eps_sq = 0.1, lambda = 500 },
}
local _, Z2 = net2:construct(X2, y2, { quiet = true })
T.ok(#Z2:shape() == 4 and Z2:dim(2) == 3 and Z2:dim(3) == 6 and Z2:dim(4) == 5,
     "2-D output [m, 3, 6, 5]")
for _, s in ipairs { { 1, 0 }, { 0, 2 }, { 5, 4 } } do
  local e = maxdiff(net2:forward(S.circshift(X2, s[1], s[2])), S.circshift(Z2, s[1], s[2]))
  T.ok(e < 1e-5, string.format("2-D: shift (%d, %d) equivariance: %g", s[1], s[2], e))
end
local p2 = tmp .. "/s2.safetensors"
net2:save(p2)
T.ok(maxdiff(rdn.nn.load(p2):forward(X2), Z2) < 1e-6, "2-D save / load")

-- 3. T = 1 (H = W = 1) equals the vector ReduNet with d = C (SPEC §7.2 item 14) ----------
local V = rdn.randn { 30, 5, 1, seed = 5 }
local yv = labels(30, 3)
local sl = select(2, rdn.nn.ReduNet1D { layers = 2, eta = 0.5 }:construct(V, yv, { quiet = true }))
local vl = select(2, rdn.nn.ReduNet { layers = 2, eta = 0.5 }:construct(V:reshape(30, 5), yv,
                                                                          { quiet = true }))
T.ok(maxdiff(sl:reshape(30, 5), vl) < 1e-5, "T = 1: spectral = vector ReduNet")

-- 4. bad input -------------------------------------------------------------------------
local R1 = rdn.nn.ReduNet1D { layers = 1 }
T.errors(function() R1:construct(rdn.randn { 4, 2, 3, 3 }, labels(4, 2)) end,
         "X must be [m, C, T] (rank 3), got [4 x 2 x 3 x 3]", "wrong rank")
T.errors(function() R1:forward(X) end, "not constructed", "forward before construct")
T.errors(function() rdn.nn.ReduNet1D { eps_sq = 0 } end, "eps_sq must be positive", "eps_sq 0")
T.errors(function() rdn.nn.ReduNet2D { membership = "hard" } end, "membership", "membership")
T.errors(function() R1:construct(rdn.randn { 6, 2, 17 }, labels(6, 2)) end, "length 17",
         "FFT size the provider cannot do")
T.errors(function() R1:construct(rdn.randn { 6, 2, 8 }, { 0, 1, 0, 1, 0, 7 }, { classes = 2 }) end,
         "label 7", "label out of range")
T.errors(function() R1:construct(rdn.randn { 6, 2, 8 }, labels(5, 2)) end, "6 labels",
         "label count")
local nanx = rdn.randn { 6, 2, 8 }
nanx:rows(3, 1):fill(0 / 0)
T.errors(function() R1:construct(nanx, labels(6, 2)) end, "NaN", "NaN input")
T.errors(function() net2:forward(rdn.randn { 3, 2, 6, 5 }) end, "2 channels", "channel count")
T.errors(function() net.children[2]:forward(rdn.randn { 3, 3, 12 }) end, "built for C = 4",
         "spectral channel count")
T.errors(function() rdn.nn.Lift2D { kernel = 9 }:construct(rdn.randn { 2, 1, 5, 5 }) end,
         "kernel <= signal", "kernel larger than the image")
os.execute("rm -rf " .. tmp)
T.done()
