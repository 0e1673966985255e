-- rdn/nn/positions.lua -- images [m, c, h, w] <-> position vectors for the 1x1 layers
-- (Project, TightFrame): the channel vector of every pixel becomes a row of a
-- position-major matrix [h w m, c] (row = p m + i), so that a 1x1 map is one GEMM and
-- per-position statistics are batches [h w, m, c].  [m, d] features are one position.
local core = require "rdn.core"
local U = require "rdn.nn.util"

local P = {}

--- P.split(fname, X) -> m, c, h, w: X is f32/f64 [m, c, h, w] or [m, c] (h = w = 1).
function P.split(fname, X)
  if not core.is_tensor(X) then U.fail("%s: X must be a tensor, got %s", fname, type(X)) end
  local s, dt = X:shape(), X:dtype()
  if dt ~= "f32" and dt ~= "f64" then U.fail("%s: X must be f32 or f64, got %s", fname, dt) end
  if #s == 4 then return s[1], s[2], s[3], s[4] end
  if #s == 2 then return s[1], s[2], 1, 1 end
  U.fail("%s: X must be [m, channels, h, w] or [m, d], got %s", fname, U.shape_str(X))
end

--- P.rows(X, m, c, hw) -> T [hw m, c] (a new tensor; [m, c] input: a copy).
function P.rows(X, m, c, hw)
  if hw == 1 then return X:reshape(m, c):clone() end
  return core.transpose(X, m * c, hw):reshape(hw * m, c)
end

--- P.images(T, m, n, h, w) -> [m, n, h, w] from position rows T [h w m, n].
function P.images(T, m, n, h, w)
  if h * w == 1 then return T:reshape(m, n) end
  return core.transpose(T, h * w, m * n):reshape(m, n, h, w)
end

--- P.chunks(m, per_image, budget) -> images per chunk so that a chunk's scratch of
--- per_image elements per image stays within `budget` elements (default 16 Mi).
function P.chunks(m, per_image, budget)
  return math.max(1, math.min(m, (budget or 16 * 1024 * 1024) // math.max(1, per_image)))
end

return P
