-- rdn/nn/TightFrame.lua -- a 1x1 Parseval tight frame F [p, c] (p >= c atoms, FᵀF = I,
-- so ||F x|| = ||x|| and FᵀF x = x) built without SGD (SPEC §3.5 step 2), and the
-- concentration block x -> Fᵀ rho_lambda(F x) on every position's channel vector
-- (SPEC §3.1: non-expansive; identity at lambda = 0).
--   kind = "parseval-random": orthonormalised Gaussian (the QR of a p x c Gaussian);
--   kind = "kmeans": spherical k-means (p centroids, `kmeans_iters`) on up to `fit`
--     normalised position vectors, then the polar factor U Vᵀ of the centroid matrix
--     (Newton-Schulz iterations W <- 1.5 W - 0.5 W WᵀW, the paper's Parseval step with
--     beta = 1/2, from W / ||W||_F).
-- mode = "block" (default) returns Fᵀ rho(F x) ([m, c, h, w]); "analysis" returns F x
-- ([m, p, h, w], follow it with SoftThreshold).  lambda = lambda0 / sqrt(p) when relative
-- (default; lambda0 = 1: SPEC §3.6's best setting), soft threshold (kind "relu": relu(u - l)).
local core = require "rdn.core"
local U = require "rdn.nn.util"
local P = require "rdn.nn.positions"

local TightFrame = U.class("TightFrame")
local NAME = "rdn.nn.TightFrame"
local KNOWN = { atoms = true, kind = true, mode = true, lambda = true, relative = true,
                shrink = true, seed = true, kmeans_iters = true, polar_iters = true, fit = true }

function TightFrame.new(opts)
  opts = U.opts(NAME, opts, KNOWN)
  local self = setmetatable({}, TightFrame)
  if opts.atoms == nil then U.fail("%s: atoms (frame size p) is required", NAME) end
  self.atoms = U.number(NAME, "atoms", opts.atoms, false, true)
  self.kind = opts.kind or "parseval-random"
  if self.kind ~= "parseval-random" and self.kind ~= "kmeans" then
    U.fail("%s: kind must be 'parseval-random' or 'kmeans', got '%s'", NAME, tostring(self.kind))
  end
  self.mode = opts.mode or "block"
  if self.mode ~= "block" and self.mode ~= "analysis" then
    U.fail("%s: mode must be 'block' or 'analysis', got '%s'", NAME, tostring(self.mode))
  end
  local l = opts.lambda or 1.0
  if type(l) ~= "number" or l ~= l or l < 0 or l == math.huge then
    U.fail("%s: lambda must be >= 0 and finite, got %s", NAME, tostring(l))
  end
  self.lambda0, self.relative = l, opts.relative ~= false
  self.shrink = opts.shrink or "soft"
  if self.shrink ~= "soft" and self.shrink ~= "relu" then
    U.fail("%s: shrink must be 'soft' or 'relu', got '%s'", NAME, tostring(self.shrink))
  end
  self.seed = opts.seed or 0
  self.kmeans_iters = U.number(NAME, "kmeans_iters", opts.kmeans_iters or 10, false, true)
  self.polar_iters = U.number(NAME, "polar_iters", opts.polar_iters or 60, false, true)
  self.fit = U.number(NAME, "fit", opts.fit or 20000, false, true)
  return self
end

function TightFrame:lambda()
  return self.relative and self.lambda0 / math.sqrt(self.atoms) or self.lambda0
end

-- Spherical k-means centroids [p, c] of (a strided subset of) the position vectors.
local function kmeans(self, X, m, c, hw)
  local p, dt = self.atoms, X:dtype()
  local T = P.rows(X, m, c, hw)
  local N = T:dim(1)
  local n = math.min(N, math.max(self.fit, p))
  local idx = {}
  for i = 1, n do idx[i] = ((i - 1) * N) // n end
  local V = T:gather_rows(core.tensor(idx, "i32")):normalize_rows(1e-8)
  T:release()
  local sel = {}
  for j = 1, p do sel[j] = ((j - 1) * n) // p end
  local C = V:gather_rows(core.tensor(sel, "i32"))
  for _ = 1, self.kmeans_iters do
    local a = core.matmul(V, C, { tb = true }):argmax_rows()
    local Cn = core.matmul(core.onehot(a, p, 1, 0, dt), V, { ta = true })
    Cn:axpby(1e-3, C, 1)               -- an empty cluster keeps its previous direction
    C = Cn:normalize_rows(1e-8)
  end
  return C
end

-- Polar factor of W [p, c] by Newton-Schulz; returns it and ||WᵀW - I||_F.
local function polar(W, iters)
  W:scale(1 / W:norm())
  for _ = 1, iters do
    local W2 = core.matmul(W, core.gram(W))
    W:axpby(-0.5, W2, 1.5)
  end
  return W, core.gram(W, { diag = -1 }):norm()
end

--- layer:construct(X [, y, opts]) -> log ({layer, atoms, lambda, parseval = ||FᵀF - I||_F,
--- kept = fraction of coefficients above lambda}), Z.
function TightFrame:construct(X)
  local fn = NAME .. ":construct"
  local m, c, h, w = P.split(fn, X)
  local p = self.atoms
  if p < c then
    U.fail("%s: a tight frame needs at least as many atoms as dimensions: atoms = %d < %d "
           .. "channels", fn, p, c)
  end
  X:check_finite("X")
  local Ft
  if self.kind == "parseval-random" then
    Ft = core.randn { c, p, seed = self.seed, dtype = X:dtype() }
    core.orthonormalize(Ft)            -- rows of Fᵀ orthonormal: FᵀF = I
  else
    local W = polar(kmeans(self, X, m, c, h * w), self.polar_iters)
    Ft = core.transpose(W, p, c)
  end
  self.Ft, self.c = Ft, c
  self.parseval = core.gram(Ft, { side = "rows", diag = -1 }):norm()
  local Z = self:forward(X)
  return { layer = "TightFrame", atoms = p, lambda = self:lambda(), parseval = self.parseval,
           kept = self.kept }, Z
end

--- layer:forward(X) -> Fᵀ rho(F x) per position (mode "block") or F x ("analysis");
--- layer.kept is the fraction of |F x| above lambda.
function TightFrame:forward(X)
  local fn = NAME .. ":forward"
  if not self.Ft then U.fail("%s: not constructed (call construct first)", fn) end
  local m, c, h, w = P.split(fn, X)
  if c ~= self.c then
    U.fail("%s: X %s has %d channels, the frame was built for %d", fn, U.shape_str(X), c, self.c)
  end
  local p, hw, lam = self.atoms, h * w, self:lambda()
  local nout = self.mode == "block" and c or p
  local out = hw == 1 and core.empty { m, nout, dtype = X:dtype() }
              or core.empty { m, nout, h, w, dtype = X:dtype() }
  local step, above = P.chunks(m, hw * p * 2), 0
  for i = 1, m, step do
    local n = math.min(step, m - i + 1)
    local T = P.rows(X:rows(i, n), n, c, hw)
    local Z = core.matmul(T, self.Ft)                 -- [hw n, p] = rows of F x
    T:release()
    above = above + core.count_above(Z, lam)
    if self.mode == "block" then
      core.shrink(Z, lam, { kind = self.shrink, out = Z })
      local R = core.matmul(Z, self.Ft, { tb = true })
      out:rows(i, n):copy(P.images(R, n, c, h, w))
      R:release()
    else
      out:rows(i, n):copy(P.images(Z, n, p, h, w))
    end
    Z:release()
  end
  self.kept = above / (m * hw * p)
  return out
end

function TightFrame:params(prefix)
  return self.Ft and { { (prefix or "") .. "Ft", self.Ft } } or {}
end

function TightFrame:state(prefix)
  local meta = { model = "TightFrame", atoms = tostring(self.atoms), kind = self.kind,
                 mode = self.mode, lambda = U.num2str(self.lambda0),
                 relative = tostring(self.relative), shrink = self.shrink,
                 seed = tostring(self.seed) }
  local mm = {}
  for k, v in pairs(meta) do mm[prefix .. k] = v end
  return self:params(prefix), mm
end

function TightFrame.from_state(file, prefix, fname)
  local meta = file.metadata
  local function get(k) return meta[prefix .. k] end
  local self = TightFrame.new { atoms = tonumber(get "atoms"), kind = get "kind", mode = get "mode",
                                lambda = tonumber(get "lambda"),
                                relative = get "relative" ~= "false",
                                shrink = get "shrink", seed = tonumber(get "seed") }
  local Ft = file.tensors[prefix .. "Ft"]
  if Ft then
    if #Ft:shape() ~= 2 or Ft:dim(2) ~= self.atoms then
      U.fail("%s: model file: tensor '%sFt' is not [c, %d]", fname, prefix, self.atoms)
    end
    self.Ft, self.c = Ft, Ft:dim(1)
  end
  return self
end

function TightFrame:__tostring()
  return string.format("TightFrame(%d atoms, %s, %s, lambda = %g%s%s)", self.atoms, self.kind,
                       self.mode, self.lambda0, self.relative and " / sqrt(atoms)" or "",
                       self.Ft and string.format("; %d channels", self.c) or "")
end

return TightFrame
