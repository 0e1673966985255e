-- rdn/plot.lua -- small SVG line plots (per-layer ΔR / R / Rc curves, spectra): axes with
-- "nice" ticks, one polyline per series, a legend.  Written to a temp file and renamed.
local U = require "rdn.nn.util"

local plot = {}
local COLORS = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf" }

local function esc(s)
  return (tostring(s):gsub("[&<>\"]", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;",
                                        ['"'] = "&quot;" }))
end

-- About n round tick values covering [lo, hi].
local function ticks(lo, hi, n)
  local span = hi - lo
  local raw = span / n
  local mag = 10 ^ math.floor(math.log(raw, 10))
  local step = mag
  for _, f in ipairs { 1, 2, 2.5, 5, 10 } do
    if f * mag >= raw then step = f * mag break end
  end
  local t, v = {}, math.ceil(lo / step - 1e-9) * step
  while v <= hi + step * 1e-9 do
    t[#t + 1] = math.abs(v) < step * 1e-9 and 0 or v
    v = v + step
  end
  return t
end

local function good(v) return type(v) == "number" and v == v and math.abs(v) < math.huge end

--- plot.lines{path = "x.svg", title = "...", xlabel = "layer", ylabel = "nats",
---   series = {{name = "ΔR", y = {...}, x = {...} (default 0, 1, ...)}, ...},
---   width = 720, height = 440} -> path
function plot.lines(opts)
  local fn = "rdn.plot.lines"
  opts = U.opts(fn, opts, { path = true, title = true, xlabel = true, ylabel = true,
                            series = true, width = true, height = true })
  if type(opts.path) ~= "string" then U.fail("%s: path must be a string", fn) end
  if type(opts.series) ~= "table" or #opts.series == 0 then U.fail("%s: series is empty", fn) end
  local W, H = opts.width or 720, opts.height or 440
  local ml, mr, mt, mb = 70, 150, 40, 50
  local x0, x1, y0, y1 = math.huge, -math.huge, math.huge, -math.huge
  for i, s in ipairs(opts.series) do
    if type(s) ~= "table" or type(s.y) ~= "table" then
      U.fail("%s: series %d has no y table", fn, i)
    end
    for j, v in ipairs(s.y) do
      local x = s.x and s.x[j] or (j - 1)
      if good(v) and good(x) then
        x0, x1, y0, y1 = math.min(x0, x), math.max(x1, x), math.min(y0, v), math.max(y1, v)
      end
    end
  end
  if x0 > x1 then x0, x1, y0, y1 = 0, 1, 0, 1 end
  if x1 == x0 then x1 = x0 + 1 end
  if y1 == y0 then y0, y1 = y0 - 0.5, y1 + 0.5 end
  local pad = 0.04 * (y1 - y0)
  y0, y1 = y0 - pad, y1 + pad
  local function px(x) return ml + (x - x0) / (x1 - x0) * (W - ml - mr) end
  local function py(y) return H - mb - (y - y0) / (y1 - y0) * (H - mt - mb) end
  local o = {}
  local function out(fmt, ...) o[#o + 1] = string.format(fmt, ...) end
  out('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
      .. 'font-size="12">\n<rect width="100%%" height="100%%" fill="white"/>\n', W, H)
  if opts.title then out('<text x="%g" y="22" font-size="15" text-anchor="middle">%s</text>\n',
                         (ml + W - mr) / 2, esc(opts.title)) end
  for _, t in ipairs(ticks(x0, x1, 6)) do
    out('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>'
        .. '<text x="%.1f" y="%d" text-anchor="middle">%g</text>\n',
        px(t), mt, px(t), H - mb, px(t), H - mb + 16, t)
  end
  for _, t in ipairs(ticks(y0, y1, 6)) do
    out('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>'
        .. '<text x="%d" y="%.1f" text-anchor="end">%.6g</text>\n',
        ml, py(t), W - mr, py(t), ml - 6, py(t) + 4, t)
  end
  out('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="black"/>\n', ml, mt,
      W - ml - mr, H - mt - mb)
  if opts.xlabel then out('<text x="%g" y="%d" text-anchor="middle">%s</text>\n',
                          (ml + W - mr) / 2, H - 12, esc(opts.xlabel)) end
  if opts.ylabel then out('<text transform="translate(16 %g) rotate(-90)" text-anchor="middle">'
                          .. '%s</text>\n', (mt + H - mb) / 2, esc(opts.ylabel)) end
  for i, s in ipairs(opts.series) do
    local c, pts = COLORS[(i - 1) % #COLORS + 1], {}
    for j, v in ipairs(s.y) do
      local x = s.x and s.x[j] or (j - 1)
      if good(v) and good(x) then pts[#pts + 1] = string.format("%.2f,%.2f", px(x), py(v)) end
    end
    out('<polyline fill="none" stroke="%s" stroke-width="1.8" points="%s"/>\n', c,
        table.concat(pts, " "))
    local ly = mt + 10 + 20 * (i - 1)
    out('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/>'
        .. '<text x="%d" y="%d">%s</text>\n', W - mr + 12, ly, W - mr + 36, ly, c,
        W - mr + 42, ly + 4, esc(s.name or ("series " .. i)))
  end
  out("</svg>\n")
  local tmp = opts.path .. ".tmp"
  local f, err = io.open(tmp, "w")
  if not f then U.fail("%s: cannot write '%s': %s", fn, opts.path, err) end
  f:write(table.concat(o))
  local ok, cerr = f:close()
  if not ok then os.remove(tmp) U.fail("%s: cannot write '%s': %s", fn, opts.path, cerr) end
  local rok, rerr = os.rename(tmp, opts.path)
  if not rok then os.remove(tmp) U.fail("%s: cannot rename to '%s': %s", fn, opts.path, rerr) end
  return opts.path
end

--- plot.construction(path, log, title): ΔR, R and Rc per layer of a construction log.
function plot.construction(path, log, title)
  local dR, R, Rc, x = {}, {}, {}, {}
  for i, e in ipairs(log) do dR[i], R[i], Rc[i], x[i] = e.dR, e.R, e.Rc, e.layer end
  return plot.lines { path = path, title = title, xlabel = "layer", ylabel = "nats",
                      series = { { name = "ΔR", y = dR, x = x }, { name = "R", y = R, x = x },
                                 { name = "Rc", y = Rc, x = x } } }
end

return plot
