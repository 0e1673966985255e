-- rdn/nn/Project.lua -- training-free 1x1 projection P (SPEC §3.5 step 1): the top `dims`
-- principal directions of the channel vectors, so P has orthonormal rows (P Pᵀ = I, exactly
-- Parseval) and keeps the most energy.  mode = "pooled": one P from the second-moment
-- matrix pooled over all samples and positions (inputs are expected standardised, so this
-- is the channel covariance); mode = "position": one P per spatial position.  Directions
-- come from orthogonal (subspace) iteration with Gram-Schmidt on the device, ordered by
-- decreasing eigenvalue.  normalize = true (default) then divides every position's vector
-- by its norm (SPEC §3.4 step 4, clamp 1e-8).  [m, C, h, w] -> [m, dims, h, w]; [m, d] ->
-- [m, dims].
local core = require "rdn.core"
local U = require "rdn.nn.util"
local P = require "rdn.nn.positions"

local Project = U.class("Project")
local NAME = "rdn.nn.Project"

function Project.new(opts)
  opts = U.opts(NAME, opts, { dims = true, mode = true, normalize = true, iters = true,
                              seed = true })
  local self = setmetatable({}, Project)
  if opts.dims == nil then U.fail("%s: dims (output channels) is required", NAME) end
  self.dims = U.number(NAME, "dims", opts.dims, false, true)
  self.mode = opts.mode or "pooled"
  if self.mode ~= "pooled" and self.mode ~= "position" then
    U.fail("%s: mode must be 'pooled' or 'position', got '%s'", NAME, tostring(self.mode))
  end
  self.normalize = opts.normalize ~= false
  self.iters = U.number(NAME, "iters", opts.iters or 150, false, true)
  self.seed = opts.seed or 0
  return self
end

--- layer:construct(X [, y, opts]) -> log ({layer, dims, energy = share of the input's
--- energy kept by P before normalisation}), Z.
function Project:construct(X)
  local fn = NAME .. ":construct"
  local m, c, h, w = P.split(fn, X)
  if self.dims > c then
    U.fail("%s: dims = %d exceeds the %d input channels", fn, self.dims, c)
  end
  local hw, n, dt = h * w, self.dims, X:dtype()
  if self.mode == "position" and hw == 1 then
    U.fail("%s: mode = 'position' needs [m, C, h, w] images, got %s", fn, U.shape_str(X))
  end
  X:check_finite("X")
  local T = P.rows(X, m, c, hw)
  local G, Q, Y
  if self.mode == "pooled" then
    G = core.gram(T, { alpha = 1 / (m * hw) })
    Q = core.randn { n, c, seed = self.seed, dtype = dt }
  else
    G = core.gram(T:reshape(hw, m, c), { alpha = 1 / m })
    Q = core.randn { hw, n, c, seed = self.seed, dtype = dt }
  end
  T:release()
  core.orthonormalize(Q)
  Y = Q:clone()
  for _ = 1, self.iters do            -- rows of Q span the top eigenvectors of G
    core.gemm(Q, G, Y)
    core.orthonormalize(Y)
    Q, Y = Y, Q
  end
  Y:release()
  G:release()
  self.P, self.c, self.hw = Q, c, hw
  local Z, energy = self:_apply(X)
  return { layer = "Project", dims = n, energy = energy }, Z
end

-- Z (normalised when asked) and the energy share ||P x||^2 / ||x||^2.
function Project:_apply(X)
  local fn = NAME .. ":forward"
  local m, c, h, w = P.split(fn, X)
  if c ~= self.c or (self.mode == "position" and h * w ~= self.hw) then
    U.fail("%s: X %s does not match the layer (%d channels%s)", fn, U.shape_str(X), self.c,
           self.mode == "position" and string.format(", %d positions", self.hw) or "")
  end
  local hw, n = h * w, self.dims
  local T = P.rows(X, m, c, hw)
  local Z
  if self.mode == "pooled" then Z = core.matmul(T, self.P, { tb = true })
  else Z = core.matmul(T:reshape(hw, m, c), self.P, { tb = true }):reshape(hw * m, n) end
  local ex, ez = T:sumsq(), Z:sumsq()
  T:release()
  if self.normalize then Z:normalize_rows(1e-8) end
  return P.images(Z, m, n, h, w), ex > 0 and ez / ex or 0
end

function Project:forward(X)
  if not self.P then U.fail("%s:forward: not constructed (call construct first)", NAME) end
  return (self:_apply(X))
end

function Project:params(prefix)
  return self.P and { { (prefix or "") .. "P", self.P } } or {}
end

function Project:state(prefix)
  local meta = { model = "Project", dims = tostring(self.dims), mode = self.mode,
                 normalize = tostring(self.normalize), iters = tostring(self.iters),
                 seed = tostring(self.seed) }
  if self.P then meta.c, meta.hw = tostring(self.c), tostring(self.hw) end
  local m = {}
  for k, v in pairs(meta) do m[prefix .. k] = v end
  return self:params(prefix), m
end

function Project.from_state(file, prefix, fname)
  local meta = file.metadata
  local function get(k) return meta[prefix .. k] end
  local self = Project.new { dims = tonumber(get "dims"), mode = get "mode",
                             normalize = get "normalize" ~= "false", iters = tonumber(get "iters"),
                             seed = tonumber(get "seed") }
  local W = file.tensors[prefix .. "P"]
  if W then
    self.P, self.c = W, math.tointeger(tonumber(get "c"))
    self.hw = math.tointeger(tonumber(get "hw"))
    if not self.c or W:dim(-1) ~= self.c or W:dim(-2) ~= self.dims then
      U.fail("%s: model file: tensor '%sP' does not match dims = %d", fname, prefix, self.dims)
    end
  end
  return self
end

function Project:__tostring()
  return string.format("Project(dims = %d, %s%s%s)", self.dims, self.mode,
                       self.normalize and ", normalize" or "",
                       self.P and string.format("; %d -> %d channels", self.c, self.dims) or "")
end

return Project
