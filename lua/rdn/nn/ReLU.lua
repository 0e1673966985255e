-- rdn/nn/ReLU.lua -- the rectifier max(x, 0) as a layer (a new tensor; NaN stays NaN).
-- No parameters; construct is forward.  rdn.interp.matrix reads the hidden layers of a
-- Sequential as the outputs of its ReLU layers.
local core = require "rdn.core"
local U = require "rdn.nn.util"

local ReLU = U.class("ReLU")
local NAME = "rdn.nn.ReLU"

function ReLU.new(opts)
  U.opts(NAME, opts, {})
  return setmetatable({}, ReLU)
end

function ReLU:forward(X)
  if not core.is_tensor(X) then U.fail("%s:forward: X must be a tensor, got %s", NAME, type(X)) end
  local dt = X:dtype()
  if dt ~= "f32" and dt ~= "f64" then
    U.fail("%s:forward: X must be f32 or f64, got %s", NAME, dt)
  end
  return X:clone():relu()
end

function ReLU:construct(X) return {}, self:forward(X) end
function ReLU:params() return {} end
function ReLU:state(prefix) return {}, { [prefix .. "model"] = "ReLU" } end
function ReLU.from_state() return ReLU.new() end
function ReLU:__tostring() return "ReLU" end

return ReLU
