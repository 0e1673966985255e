-- frame_potential.lua -- the deep frame potential (SPEC §2.3), data-free: the minimum over
-- unit-norm weights of the normalised induced Gram's potential, for chain, residual and
-- dense networks.  Reproduces SPEC §2.3's table (8-8-8-8-8: chain 48.000, residual 37.43,
-- dense 32.39 with SPEC's plain descent; 32 = max(K, K²/N), the absolute bound, with the
-- default projected descent) and the 4-6-9-12 chain closed form 49.375, then plots minDFP
-- against depth and width (frame_potential_depth.svg, frame_potential_width.svg in $RDN_OUT,
-- or the current directory; the temp directory in smoke mode).  Also compares a
-- convolutional layer with a dense one (SPEC §2.4).  RDN_SMOKE=1: few iterations, small grid.
local rdn = require "rdn"
local F = rdn.frames
local smoke = os.getenv("RDN_SMOKE") == "1"
local dir = os.getenv("RDN_OUT") or (smoke and (os.getenv("TMPDIR") or "/tmp") or ".")
local iters, restarts = smoke and 150 or 6000, smoke and 1 or 3
local conns = { "chain", "residual", "dense" }

print(string.format("SPEC §2.3 table: widths 8-8-8-8-8, %d iterations, %d restarts", iters,
                    restarts))
print(string.format("%-9s %12s %12s %6s %9s", "P(j)", "min FP", "SPEC plain", "N_nz", "min DFP"))
local spec = { chain = 48.000, residual = 37.43, dense = 32.39 }
local t0 = rdn.clock()
for _, c in ipairs(conns) do
  local r = F.min_potential { widths = { 8, 8, 8, 8, 8 }, connectivity = c, iters = iters,
                              restarts = restarts }
  local p = F.min_potential { widths = { 8, 8, 8, 8, 8 }, connectivity = c, iters = iters,
                              restarts = restarts, plain = true }
  print(string.format("%-9s %12.4f %12.4f %6d %9.4f   (SPEC: %.3f)", c, r.fp, p.fp, r.nnz, r.dfp,
                      spec[c]))
  if not smoke then
    assert(c ~= "chain" or math.abs(r.fp - 48) < 1e-3, "chain minimum is not 48")
    assert(c ~= "residual" or math.abs(r.fp - 37.434) < 0.01, "residual minimum is not 37.43")
    assert(c ~= "dense" or r.fp <= 32.4, "dense minimum above 32.4")
  end
end
local closed, cdfp, cnnz = F.chain_potential { widths = { 4, 6, 9, 12 } }
local opt = F.min_potential { widths = { 4, 6, 9, 12 }, iters = iters, restarts = restarts }
print(string.format("chain 4-6-9-12: closed form %.4f (N_nz %d, DFP %.5f), descent %.4f", closed,
                    cnnz, cdfp, opt.fp))
print(string.format("(%.1f s)", rdn.clock() - t0))

-- minDFP against depth (width 8) and width (depth 4)
local function curve(xs, widths_of, title, xlabel, path)
  local series = {}
  for i, c in ipairs(conns) do
    local y = {}
    for j, x in ipairs(xs) do
      y[j] = F.min_potential { widths = widths_of(x), connectivity = c,
                               iters = smoke and 100 or 3000, restarts = smoke and 1 or 2 }.dfp
    end
    series[i] = { name = c, x = xs, y = y }
    local cells = {}
    for j, v in ipairs(y) do cells[j] = string.format("%d:%.4f", xs[j], v) end
    print(string.format("  %-9s %s", c, table.concat(cells, "  ")))
  end
  rdn.plot.lines { path = path, title = title, xlabel = xlabel, ylabel = "min DFP = FP / N_nz",
                   series = series }
  print("wrote " .. path)
end
local depths = smoke and { 1, 2, 3 } or { 1, 2, 3, 4, 5, 6, 8 }
print("min DFP vs depth (width 8):")
local function width8(l)
  local w = {}
  for i = 1, l + 1 do w[i] = 8 end
  return w
end
curve(depths, width8, "minimum deep frame potential vs depth (width 8)", "layers",
      dir .. "/frame_potential_depth.svg")
local widths = smoke and { 4, 8 } or { 4, 8, 12, 16, 24, 32 }
print("min DFP vs width (4 layers, input 8):")
curve(widths, function(k) return { 8, k, k, k, k } end,
      "minimum deep frame potential vs width (4 layers)", "width",
      dir .. "/frame_potential_width.svg")

-- a convolutional layer vs a dense one of the same size (SPEC §2.4): k filters on d channels
local k, d, f, p = 6, 3, 3, smoke and 8 or 16
local fp_conv, bound = F.conv_potential(rdn.randn { k, d, f, seed = 1 }, p)
local dense = F.min_potential { widths = { d * p, k * p }, iters = smoke and 100 or 2000,
                                restarts = 1 }
print(string.format("conv layer (%d filters, %d channels, taps %d, length %d): random FP %.2f; "
                    .. "dense min FP %.2f = bound p k²/d = %.2f", k, d, f, p, fp_conv, dense.fp,
                    bound))
