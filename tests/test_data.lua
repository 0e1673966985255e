-- test_data.lua -- rdn.data (IDX, Fashion-MNIST selection, CSV, Gaussian mixtures,
-- sinusoids), safetensors from Lua and rdn.plot: shapes, values against host references
-- or invariants, and the error cases (missing file -> nil, msg; corrupt -> error).
local rdn = require "rdn"
local T = dofile("tests/testlib.lua")
local tmp = os.tmpname()
os.remove(tmp)
os.execute("mkdir -p " .. tmp)

local function write(path, s) local f = assert(io.open(path, "wb")) f:write(s) f:close() end
local function read(path) local f = io.open(path, "rb") if not f then return nil end
  local s = f:read("a") f:close() return s end

-- IDX: a u8 [2, 2, 3] file and a label file written by hand (big-endian header)
write(tmp .. "/img", string.pack(">I4I4I4I4", 0x0803, 2, 2, 3) .. string.char(0, 1, 2, 3, 4, 5,
      250, 251, 252, 253, 254, 255))
write(tmp .. "/lab", string.pack(">I4I4", 0x0801, 4) .. string.char(3, 0, 9, 1))
local img = rdn.data.idx(tmp .. "/img")
T.ok(img:dtype() == "f32" and table.concat(img:shape(), "x") == "2x2x3", "idx image shape")
T.ok(img:totable()[2][2][3] == 255 and img:sum() == 15 + 1515, "idx image values")
local lab = rdn.data.idx(tmp .. "/lab")
T.ok(lab:dtype() == "i32" and table.concat(lab:totable(), ",") == "3,0,9,1", "idx labels")
local none, msg = rdn.data.idx(tmp .. "/missing")
T.ok(none == nil and msg:find("cannot open", 1, true), "missing idx file: nil, msg")
write(tmp .. "/short", string.pack(">I4I4", 0x0801, 5) .. "ab")
T.errors(function() rdn.data.idx(tmp .. "/short") end, "truncated: header promises 5 data bytes",
         "truncated idx file")

-- Fashion-MNIST (Debian dataset-fashion-mnist); the selection is checked against the files
local fm = rdn.data.fashion_mnist { split = "test", n_per_class = 3, classes = { 7, 2 } }
if fm then
  T.ok(table.concat(fm.x:shape(), "x") == "6x784", "fashion_mnist shape")
  T.ok(table.concat(fm.y:totable(), ",") == "0,0,0,1,1,1", "fashion_mnist relabels by classes")
  local labels = rdn.data.idx("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz")
  local images = rdn.data.idx("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")
  if os.getenv("RDN_DATA") then labels, images = nil, nil end
  if labels then
    local l, first7 = labels:totable(), nil
    for i = 1, #l do if l[i] == 7 then first7 = i break end end
    local want = images:rows(first7, 1):reshape(1, 784):totable()[1]
    local got = fm.x:rows(1, 1):totable()[1]
    local worst = 0
    for i = 1, 784 do worst = math.max(worst, math.abs(got[i] - want[i] / 255)) end
    T.ok(worst < 1e-6, "first class-7 test image, scaled by 1/255")
  end
  local all = rdn.data.fashion_mnist { split = "test", classes = { 0 } }
  T.ok(all.x:dim(1) == 1000, "all of one class without n_per_class")
  T.errors(function() rdn.data.fashion_mnist { split = "valid" } end,
           "split must be 'train' or 'test'")
  T.errors(function() rdn.data.fashion_mnist { classes = { 10 } } end, "classes[1] = 10")
else
  io.stderr:write("note: Fashion-MNIST not installed, its checks skipped\n")
end
local nofm, fmsg = rdn.data.fashion_mnist { dir = tmp }
T.ok(nofm == nil and fmsg:find("train%-labels"), "fashion_mnist without files: nil, msg")

-- CSV
local iris = rdn.data.csv("tests/data/iris.csv")
T.ok(table.concat(iris.x:shape(), "x") == "150x4" and iris.y:numel() == 150, "iris.csv shape")
T.near(iris.x:sum(), 876.5 + 458.6 + 563.7 + 179.9, 1e-6, "iris.csv feature sum")
T.ok(table.concat(rdn.label_counts(iris.y, 3), ",") == "50,50,50", "iris labels")
local digits = rdn.data.csv("tests/data/digits.csv.gz")
T.ok(table.concat(digits.x:shape(), "x") == "1797x64", "digits.csv.gz (gzip) shape")
write(tmp .. "/h.csv", "a,b,label\n1,2,0\n3,4.5,1\n")
local h = rdn.data.csv(tmp .. "/h.csv")
T.ok(h.x:sum() == 10.5 and table.concat(h.y:totable(), ",") == "0,1", "csv header detected")
local first = rdn.data.csv(tmp .. "/h.csv", { label = "first" })
T.ok(table.concat(first.y:totable(), ",") == "1,3", "csv label = first")
write(tmp .. "/r.csv", "1,2,0\n3,4\n")
T.errors(function() rdn.data.csv(tmp .. "/r.csv") end, "line 2 has 2 fields, expected 3",
         "ragged csv")
write(tmp .. "/n.csv", "1,2,0\n3,x,1\n")
T.errors(function() rdn.data.csv(tmp .. "/n.csv") end, "line 2: non-numeric field", "text in csv")
write(tmp .. "/f.csv", "1,2,0.5\n")
T.errors(function() rdn.data.csv(tmp .. "/f.csv") end, "label 0.5 is not an integer")
T.ok(rdn.data.csv(tmp .. "/none.csv") == nil, "missing csv: nil, msg")

-- Gaussian mixtures: unit rows, class blocks, centred near (1,0) / (0,1), deterministic seeds
local g = rdn.data.gaussian_mixture { n_per_class = 200, sigma = 0.1, seed = 5 }
T.ok(table.concat(g.x:shape(), "x") == "400x2" and g.classes == 2, "gaussian shape")
local rows, worst, mean = g.x:totable(), 0, { { 0, 0 }, { 0, 0 } }
local y = g.y:totable()
for i, r in ipairs(rows) do
  worst = math.max(worst, math.abs(r[1] ^ 2 + r[2] ^ 2 - 1))
  local c = mean[y[i] + 1]
  c[1], c[2] = c[1] + r[1] / 200, c[2] + r[2] / 200
end
T.ok(worst < 1e-6, "gaussian rows on the circle")
T.ok(mean[1][1] > 0.98 and math.abs(mean[1][2]) < 0.03 and mean[2][2] > 0.98, "class centres")
local g2 = rdn.data.gaussian_mixture { n_per_class = 200, sigma = 0.1, seed = 5 }
local g3 = rdn.data.gaussian_mixture { n_per_class = 200, sigma = 0.1, seed = 6 }
T.ok(g2.x:clone():axpby(-1, g.x, 1):sumsq() == 0, "same seed, same data")
T.ok(g3.x:clone():axpby(-1, g.x, 1):sumsq() > 1, "another seed, other data")
local g3d = rdn.data.gaussian_mixture { dim = 3, n_per_class = 10 }
T.ok(table.concat(g3d.x:shape(), "x") == "30x3" and g3d.classes == 3, "3-D mixture")
T.errors(function() rdn.data.gaussian_mixture { dim = 3, mode = 5 } end,
         "no centres for dim = 3, mode = 5")
T.errors(function() rdn.data.gaussian_mixture { sigma = -1 } end, "sigma must be >= 0")
T.errors(function() rdn.data.gaussian_mixture { n = 3 } end, "unknown option 'n'")

-- sinusoids: a full period sampled at T-1 equally spaced points sums to ~0, squares to (T-1)/2
local s = rdn.data.sinusoid { mode = 1, n_per_class = 4, T = 33, seed = 2 }
T.ok(table.concat(s.x:shape(), "x") == "8x1x33" and s.classes == 2, "sinusoid shape")
local sx = s.x:totable()
local ws, wq = 0, 0
for i = 1, 8 do
  local sum, sq = 0, 0
  for p = 1, 32 do sum, sq = sum + sx[i][1][p], sq + sx[i][1][p] ^ 2 end
  ws, wq = math.max(ws, math.abs(sum)), math.max(wq, math.abs(sq - 16))
end
T.ok(ws < 1e-4 and wq < 1e-4, "sinusoid periods (sum, sum of squares)")
local w5 = rdn.data.sinusoid { mode = 5, n_per_class = 2, T = 16 }
local ok5 = true
for _, v in ipairs(w5.x:rows(3, 2):reshape(32):totable()) do
  ok5 = ok5 and (v == 1 or v == -1 or v == 0)
end
T.ok(ok5, "mode 5 second class is sign(sin x)")
local w7 = rdn.data.sinusoid { mode = 7, n_per_class = 50, T = 150, seed = 1 }
local w7c = rdn.data.sinusoid { mode = 7, n_per_class = 50, T = 150, seed = 1, noise = 0 }
local noise = w7.x:clone():axpby(-1, w7c.x, 1)
T.near(math.sqrt(noise:sumsq() / noise:numel()), 0.1, 0.05, "mode 7 noise level 0.1")
T.errors(function() rdn.data.sinusoid { mode = 4 } end, "mode 4")

-- safetensors from Lua: round trip, metadata, nil for a missing file, error when corrupt
local a, b = rdn.randn { 3, 4, seed = 1 }, rdn.tensor({ 1, 2, 3 }, "i32")
T.ok(rdn.safetensors_save(tmp .. "/t.safetensors", { { "a", a }, { "b", b } }, { note = "x" }),
     "safetensors save")
local f = rdn.safetensors_load(tmp .. "/t.safetensors")
T.ok(f.names[1] == "a" and f.names[2] == "b" and f.metadata.note == "x", "names and metadata")
T.ok(f.tensors.a:clone():axpby(-1, a, 1):sumsq() == 0 and f.tensors.b:totable()[3] == 3,
     "tensors round trip exactly")
T.ok(rdn.safetensors_load(tmp .. "/none.safetensors") == nil, "missing file: nil, msg")
write(tmp .. "/bad.safetensors", read(tmp .. "/t.safetensors"):sub(1, 40))
T.errors(function() rdn.safetensors_load(tmp .. "/bad.safetensors") end, "rdn.safetensors_load:",
         "truncated safetensors raises")
T.errors(function() rdn.safetensors_save(tmp .. "/x.safetensors", { { "a" } }) end,
         "entry 1 ('a') has no tensor")

-- plot: an SVG with one polyline per series, written atomically
local svg = rdn.plot.lines { path = tmp .. "/p.svg", title = "a < b", series = {
  { name = "ΔR", y = { 1, 2, 3 } }, { name = "R", y = { 3, 2, 0 / 0 }, x = { 0, 5, 10 } } } }
local text = read(svg) or ""
local _, npoly = text:gsub("<polyline", "")
T.ok(text:find("^<svg") and npoly == 2 and text:find("a &lt; b", 1, true), "svg content")
T.ok(read(tmp .. "/p.svg.tmp") == nil, "no temp file left")
T.errors(function() rdn.plot.lines { path = tmp .. "/q.svg", series = {} } end, "series is empty")
T.errors(function() rdn.plot.lines { path = tmp .. "/nodir/q.svg", series = { { y = { 1 } } } } end,
         "cannot write")

os.execute("rm -rf " .. tmp)
T.done()
