-- rdn/data.lua -- datasets: IDX files (Fashion-MNIST from Debian's dataset-fashion-mnist,
-- path override RDN_DATA), numeric CSV, and the synthetic generators of SPEC §1.7
-- (Gaussian mixtures on spheres, sinusoids), all seeded and generated on the device.
-- Labels are i32 tensors of 0-based classes; features f32 [n, d].
local core = require "rdn.core"
local U = require "rdn.nn.util"

local data = {}

--- data.idx(path) -> tensor | nil, msg: u8 images -> f32 [n, rows, cols], labels -> i32 [n].
function data.idx(path) return core.idx_load(path) end

local FMNIST = "/usr/share/datasets/fashion-mnist"

local function open_idx(dir, base)
  for _, name in ipairs { base .. ".gz", base } do
    local f = io.open(dir .. "/" .. name, "rb")
    if f then
      f:close()
      return core.idx_load(dir .. "/" .. name)
    end
  end
  return nil, string.format("rdn.data.fashion_mnist: no '%s[.gz]' in '%s' (install "
                            .. "dataset-fashion-mnist or set RDN_DATA)", base, dir)
end

--- data.fashion_mnist{split = "train"|"test", n_per_class = n, classes = {0, ...}, scale = 1/255,
---   dir = path} -> {x = f32 [n, 784], y = i32 [n], classes = {...}} | nil, msg.
--- The first n samples of each class in file order (all when n is nil), grouped by class
--- in the order of `classes`; y[i] is the position of the class in `classes` (0-based).
function data.fashion_mnist(opts)
  local fn = "rdn.data.fashion_mnist"
  opts = U.opts(fn, opts, { split = true, n_per_class = true, classes = true, scale = true,
                            dir = true })
  local split = opts.split or "train"
  if split ~= "train" and split ~= "test" then
    U.fail("%s: split must be 'train' or 'test', got '%s'", fn, tostring(split))
  end
  local dir = opts.dir or os.getenv("RDN_DATA") or FMNIST
  local pre = split == "train" and "train" or "t10k"
  local labels, err = open_idx(dir, pre .. "-labels-idx1-ubyte")
  if not labels then return nil, err end
  local images, err2 = open_idx(dir, pre .. "-images-idx3-ubyte")
  if not images then return nil, err2 end
  local N = images:dim(1)
  if labels:numel() ~= N then
    U.fail("%s: '%s': %d images but %d labels", fn, dir, N, labels:numel())
  end
  local classes = opts.classes or { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }
  local perm, counts = core.label_sort(labels, 10)
  local offs, o = {}, 0
  for j = 1, 10 do offs[j], o = o, o + counts[j] end
  local want, total = {}, 0
  for i, c in ipairs(classes) do
    if math.type(c) ~= "integer" or c < 0 or c > 9 then
      U.fail("%s: classes[%d] = %s is not a class 0..9", fn, i, tostring(c))
    end
    want[i] = math.min(opts.n_per_class and U.number(fn, "n_per_class", opts.n_per_class, false,
                                                      true) or math.huge, counts[c + 1])
    total = total + want[i]
  end
  if total == 0 then U.fail("%s: no samples selected", fn) end
  -- selection and relabelling on the device: slices of the class-sorted permutation
  local sel, y, at = core.empty { total, dtype = "i32" }, core.empty { total, dtype = "i32" }, 1
  for i, c in ipairs(classes) do
    if want[i] > 0 then
      sel:rows(at, want[i]):copy(perm:rows(offs[c + 1] + 1, want[i]))
      y:rows(at, want[i]):fill(i - 1)
      at = at + want[i]
    end
  end
  local d = images:numel() // N
  local x = images:reshape(N, d):gather_rows(sel):scale(opts.scale or 1 / 255)
  images:release()
  return { x = x, y = y, classes = classes, n_per_class = want }
end

-- Class centres of the Gaussian mixtures (SPEC §1.7).
local CENTRES = {
  [2] = { [1] = { { 1, 0 }, { 0, 1 } },
          [2] = { { math.cos(math.pi / 3), math.sin(math.pi / 3) }, { 1, 0 } } },
  [3] = { [1] = { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } } },
}

--- data.gaussian_mixture{mode = 1, dim = 2|3, n_per_class = 500, sigma = 0.1, seed = s,
---   centers = {{...}, ...}, normalize = true} -> {x = [k n, dim], y = i32 [k n]}: class j
--- samples N(centre_j, sigma^2 I), rows normalised onto the sphere, grouped by class.
function data.gaussian_mixture(opts)
  local fn = "rdn.data.gaussian_mixture"
  opts = U.opts(fn, opts, { mode = true, dim = true, n_per_class = true, sigma = true,
                            seed = true, centers = true, normalize = true, dtype = true })
  local centres = opts.centers
  if not centres then
    local dim, mode = opts.dim or 2, opts.mode or 1
    centres = CENTRES[dim] and CENTRES[dim][mode]
    if not centres then
      U.fail("%s: no centres for dim = %s, mode = %s (2-D modes 1, 2; 3-D mode 1; or pass "
             .. "centers)", fn, tostring(dim), tostring(mode))
    end
  end
  local k, dim = #centres, #centres[1]
  local n = U.number(fn, "n_per_class", opts.n_per_class or 500, false, true)
  local sigma = U.number(fn, "sigma", opts.sigma or 0.1, true)
  local dt = opts.dtype or "f32"
  local y = core.empty { k * n, dtype = "i32" }
  for j = 1, k do y:rows((j - 1) * n + 1, n):fill(j - 1) end
  local x = core.randn { k * n, dim, seed = opts.seed or 0, dtype = dt }:scale(sigma)
  core.gemm(core.onehot(y, k, 1, 0, dt), core.tensor(centres, dt), x, { beta = 1 })
  if opts.normalize ~= false then x:normalize_rows() end
  return { x = x, y = y, classes = k }
end

local WAVE_NOISE = { [7] = 0.1, [8] = 0.2, [9] = 0.1 }

--- data.sinusoid{mode = 7, n_per_class = 400, T = 150, seed = s, noise = (by mode)} ->
--- {x = [k n, 1, T], y = i32 [k n], classes = k} (SPEC §1.7 generate_wave): x0 ~ U(0, 10 pi)
--- per sample, x = linspace(x0, x0 + 2 pi, T); mode 1: sin x | sin 3x; 2: + sin 7x;
--- 3: + sin 11x; 5: sin x | sign(sin x); 7 / 8: mode 5 + N(0, 0.1^2) / N(0, 0.2^2);
--- 9: sin x | exp(sin x) | sign(sin x) + N(0, 0.1^2).
function data.sinusoid(opts)
  local fn = "rdn.data.sinusoid"
  opts = U.opts(fn, opts, { mode = true, n_per_class = true, T = true, seed = true,
                            noise = true, dtype = true })
  local mode = opts.mode or 7
  local n = U.number(fn, "n_per_class", opts.n_per_class or 400, false, true)
  local T = U.number(fn, "T", opts.T or 150, false, true)
  local seed = opts.seed or 0
  local ok, x, k = pcall(core.waves, mode, n, T, seed, opts.dtype or "f32")
  if not ok then U.fail("%s: mode %s: %s", fn, tostring(mode), tostring(x)) end
  local noise = opts.noise or WAVE_NOISE[mode]
  if noise and noise > 0 then
    x:axpby(noise, core.randn { k * n, 1, T, seed = seed + 1, dtype = x:dtype() }, 1)
  end
  local y = core.empty { k * n, dtype = "i32" }
  for j = 1, k do y:rows((j - 1) * n + 1, n):fill(j - 1) end
  return { x = x, y = y, classes = k }
end

--- data.csv(path [, {label = "last"|"first"|false, header = nil|true|false}]) ->
--- {x = f32 [n, d], y = i32 [n] (when label)} | nil, msg.  Plain or gzip; numeric fields
--- only; a first line with a non-numeric field is a header (sklearn's
--- "150,4,setosa,...") unless header = false.
function data.csv(path, opts)
  local fn = "rdn.data.csv"
  opts = U.opts(fn, opts, { label = true, header = true })
  local label = opts.label == nil and "last" or opts.label
  local text, err = core.read_file(path)
  if not text then return nil, string.format("%s: cannot open %s", fn, err) end
  local rows, width, lineno = {}, nil, 0
  for line in text:gmatch("[^\n]*") do
    lineno = lineno + 1
    line = line:gsub("\r$", "")
    if line:match("%S") then
      local fields, numeric = {}, true
      for fld in (line .. ","):gmatch("([^,]*),") do
        local v = tonumber(fld)
        if not v then numeric = false end
        fields[#fields + 1] = v or fld
      end
      local is_header = #rows == 0 and lineno == 1 and
                        (opts.header == true or (opts.header == nil and not numeric))
      if not is_header then
        if not numeric then U.fail("%s: '%s' line %d: non-numeric field", fn, path, lineno) end
        width = width or #fields
        if #fields ~= width then
          U.fail("%s: '%s' line %d has %d fields, expected %d", fn, path, lineno, #fields, width)
        end
        rows[#rows + 1] = fields
      end
    end
  end
  if #rows == 0 then U.fail("%s: '%s' has no data rows", fn, path) end
  if not label then return { x = core.tensor(rows) } end
  if width < 2 then U.fail("%s: '%s' needs a label column and a feature", fn, path) end
  local lc = label == "first" and 1 or width
  local xs, ys = {}, {}
  for i, r in ipairs(rows) do
    local v = r[lc]
    if v ~= math.floor(v) then
      U.fail("%s: '%s' row %d: label %s is not an integer", fn, path, i, v)
    end
    ys[i] = math.tointeger(v)
    table.remove(r, lc)
    xs[i] = r
  end
  return { x = core.tensor(xs), y = core.tensor(ys, "i32") }
end

--- data.split(path) -> train, test | nil: two Lua arrays of 0-based row indices from a
--- split file (tests/data/*_split.txt: '#' comment lines, then the train line and the
--- test line of comma-separated integers); nil when the file cannot be opened.
function data.split(path)
  local f = io.open(path)
  if not f then return nil end
  f:close()
  local lines = {}
  for l in io.lines(path) do if not l:match("^#") then lines[#lines + 1] = l end end
  local function idx(s)
    local t = {}
    for v in s:gmatch("%d+") do t[#t + 1] = tonumber(v) end
    return t
  end
  return idx(lines[1]), idx(lines[2])
end

return data
