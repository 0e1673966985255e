-- test_frames.lua -- rdn.frames from Lua (SPEC §7.3 items 20-24): single-frame measures,
-- Parseval iteration, the deep frame potential (N_nz, chain closed form = direct computation
-- with given and with optimal weights, minimisation values of SPEC §2.3, connectivity
-- functions), the conv-frame FFT form against an explicit frame, and every bad input.
local rdn = require "rdn"
local T = dofile("tests/testlib.lua")
local F = rdn.frames

-- harmonic frame (item 20), its coherence vs Welch, and tightness
do
  local c, s = {}, {}
  for i = 0, 4 do
    c[i + 1], s[i + 1] = math.cos(2 * math.pi * i / 5), math.sin(2 * math.pi * i / 5)
  end
  local B = rdn.tensor({ c, s }, "f64")
  local st = F.stats(B)
  T.near(st.fp, 12.5, 1e-12, "harmonic FP = k²/d")
  T.near(F.coherence(B), math.cos(math.pi / 5), 1e-12, "harmonic coherence cos(pi/5)")
  T.near(F.welch(2, 5), math.sqrt(3 / 8), 1e-15, "Welch bound")
  T.ok(F.is_tight(B) and not F.is_parseval(B), "tight, not Parseval")
  T.ok(F.is_parseval(B:clone():scale(math.sqrt(2 / 5))), "sqrt(d/k) B is Parseval")
  local fp, fpu = F.potential(B)
  T.near(fpu, 12.5, 1e-12, "frames.potential(B)")
  T.near(F.gram(B, { normalize = true }):sumsq(), fp, 1e-12, "normalised Gram")
end

-- Parseval from a random matrix (item 22): FᵀF = I
do
  local W = rdn.randn { 13, 5, seed = 4, dtype = "f64" }
  local P = F.parseval(W, { tol = 1e-12 })
  local G = rdn.matmul(P, P, { ta = true })
  local e = G:sumsq() - 2 * P:sumsq() + 5
  T.ok(math.sqrt(math.max(e, 0)) < 1e-9, "parseval: FᵀF = I")
  T.ok(F.is_parseval(rdn.transpose(P, 13, 5), 1e-8), "its transpose is a Parseval frame")
end

-- deep frames: N_nz, closed form, minimisation (SPEC §2.3 table)
do
  local k8 = { 8, 8, 8, 8, 8 }
  for conn, nnz in pairs { chain = 640, residual = 896, dense = 1024 } do
    T.ok(F.potential { widths = k8, connectivity = conn }.nnz == nnz, conn .. " N_nz")
  end
  local r = F.potential { widths = { 4, 6, 9, 12 }, seed = 5, dtype = "f64" }
  T.ok(r.nnz == 585, "4-6-9-12 N_nz = 585")
  local closed = F.chain_potential { widths = { 4, 6, 9, 12 },
                                     weights = F.layers(r.arch, r.weights) }
  T.near(closed, r.fp, 1e-10, "chain closed form = direct computation")
  local cmin, _, cnnz = F.chain_potential { widths = { 4, 6, 9, 12 } }
  T.near(cmin, 49.375, 1e-15, "4-6-9-12 closed-form minimum")
  T.ok(cnnz == 585, "closed form N_nz")
  -- every layer a unit-norm tight (harmonic) frame: the minimum is attained exactly
  local function harmonic(d, n)
    local H, r = {}, 0
    if d % 2 == 1 then
      r = 1
      H[1] = {}
      for j = 1, n do H[1][j] = 1 / math.sqrt(d) end
    end
    for p = 1, d // 2 do
      local c, s = {}, {}
      for j = 1, n do
        c[j] = math.cos(2 * math.pi * p * (j - 1) / n) * math.sqrt(2 / d)
        s[j] = math.sin(2 * math.pi * p * (j - 1) / n) * math.sqrt(2 / d)
      end
      H[r + 2 * p - 1], H[r + 2 * p] = c, s
    end
    return rdn.tensor(H, "f64")
  end
  local untf = { harmonic(4, 6), harmonic(6, 9), harmonic(9, 12) }
  for j = 1, 3 do T.ok(F.is_tight(untf[j], 1e-12), "harmonic frame " .. j .. " is a UNTF") end
  local at = F.potential { widths = { 4, 6, 9, 12 }, weights = untf }
  T.near(at.fp, 49.375, 1e-12, "UNTF layers attain the chain minimum 49.375")
  local rd = F.potential { widths = { 4, 6, 9, 12 }, seed = 5, dtype = "f64", count_diag = false }
  T.near(rd.fp, r.fp - 27, 1e-10, "count_diag = false leaves the K unit diagonals out")
  T.ok(rd.nnz == 585 - 27, "and N_nz - K")
  local m = F.min_potential { widths = k8, iters = 1500, restarts = 2 }
  T.near(m.fp, 48, 1e-4, "min DFP chain 8x5 = 48.000")
  T.near(m.dfp, 0.075, 1e-6, "min DFP chain / N_nz")
  local back = F.potential { widths = k8, weights = F.layers(m.arch, m.weights) }
  T.near(back.fp, m.fp, 1e-5, "per-layer weights in, same potential")
  local res = F.min_potential { widths = k8, connectivity = "residual", iters = 1500, restarts = 2 }
  T.near(res.fp, 37.434, 3e-4, "min DFP residual 8x5 = 37.43")
  local den = F.min_potential { widths = k8, connectivity = "dense", iters = 1500, restarts = 2 }
  T.ok(den.fp < 32.4 and den.fp > 32 - 1e-4, "min DFP dense 8x5 <= 32.4 (bound 32)")
  T.ok(m.dfp > res.dfp and res.dfp > den.dfp, "chain > residual > dense")
  local function skip_conn(j) return j == 3 and { 0, 2 } or { j - 1 } end
  local skip = F.potential { widths = { 3, 4, 5, 6 }, connectivity = skip_conn }
  T.ok(skip.nnz > F.potential { widths = { 3, 4, 5, 6 } }.nnz, "custom connectivity adds blocks")
end

-- conv frames: FFT form = explicit circular frame
do
  local k, d, f, p = 3, 2, 4, 8
  local h = rdn.randn { k, d, f, seed = 11, dtype = "f32" }
  local fp, bound = F.conv_potential(h, p)
  local hn = h:clone()
  hn:reshape(k, d * f):normalize_rows(1e-30)
  local hv = hn:totable()
  local cols, rows = {}, d * p
  for a = 1, k do
    for sh = 0, p - 1 do
      local col = {}
      for r = 1, rows do col[r] = 0 end
      for ch = 1, d do
        for tap = 0, f - 1 do
          local r = (ch - 1) * p + (sh + tap) % p + 1
          col[r] = col[r] + hv[a][ch][tap + 1]
        end
      end
      cols[#cols + 1] = col
    end
  end
  local B = {}
  for r = 1, rows do B[r] = {} for c = 1, #cols do B[r][c] = cols[c][r] end end
  local st = F.stats(rdn.tensor(B, "f64"))
  T.near(fp, st.fp, 1e-5, "conv FFT form = time-domain Gram")
  T.ok(fp >= bound * (1 - 1e-6) and bound == p * k * k / d, "conv FP >= p k²/d")
end

-- bad input
do
  T.errors(function() F.potential { widths = { 4, 0, 3 } } end, "widths[2] = 0, must be >= 1")
  T.errors(function() F.potential { widths = { 4, 2.5, 3 } } end,
           "widths[2] must be an integer, got 2.5")
  T.errors(function() F.potential { widths = { 4 } } end, "at least 2 layer sizes")
  local self_parent = function(j) return { j } end
  T.errors(function() F.potential { widths = { 4, 5, 6 }, connectivity = self_parent } end,
           "connectivity(1) returned 1 (entry 1), which is not a parent")
  local none = function() return {} end
  T.errors(function() F.potential { widths = { 4, 5, 6 }, connectivity = none } end,
           "returned no parent")
  T.errors(function() F.potential { widths = { 4, 5, 6 }, connectivity = "ring" } end,
           "connectivity must be")
  T.errors(function() F.potential { widths = { 4, 5, 6 }, normalize = "both" } end, "got both")
  T.errors(function() F.min_potential { widths = { 4, 5, 6 }, normalize = "none" } end,
           "cannot be minimised")
  T.errors(function() F.min_potential { widths = { 4, 5, 6 }, restarts = 0 } end,
           "restarts must be an integer positive and finite, got 0")
  T.errors(function() F.potential { widths = { 2, 3 }, weights = { rdn.zeros { 2, 3 } } } end,
           "unit 0 of layer 1 has all-zero weights")
  T.errors(function() F.stats(rdn.tensor { { 1, 0 }, { 1, 0 } }) end, "zero column: atom 1")
  T.errors(function() F.stats(rdn.zeros { 4 }) end, "B must be [d, k]")
  T.errors(function() F.conv_potential(rdn.randn { 2, 1, 5 }, 3) end, "p = 3")
end

T.done()
