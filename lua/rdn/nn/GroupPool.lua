-- rdn/nn/GroupPool.lua -- pooling of units over groups (the invariance structure found by
-- rdn.structure's correlation clustering, SPEC §5.3): out[s, g] = max / l2 / mean of the
-- units of group g in row s.  No parameters beyond the grouping; construct is forward.
local core = require "rdn.core"
local U = require "rdn.nn.util"

local GroupPool = U.class("GroupPool")
local NAME = "rdn.nn.GroupPool"

--- GroupPool{groups = i32 tensor [n] or a Lua list of 0-based group ids (one per unit),
---   mode = "max" | "l2" | "mean"}: every group id in 0..G-1 must be used.
function GroupPool.new(opts)
  opts = U.opts(NAME, opts, { groups = true, mode = true })
  local g = opts.groups
  if type(g) == "table" then
    local t = {}
    for i, v in ipairs(g) do
      if math.type(v) ~= "integer" or v < 0 then
        U.fail("%s: groups[%d] = %s is not a group id (integers >= 0)", NAME, i, tostring(v))
      end
      t[i] = v
    end
    g = core.tensor(t, "i32")
  end
  if not core.is_tensor(g) or g:dtype() ~= "i32" then
    U.fail("%s: groups must be an i32 tensor or a list of group ids", NAME)
  end
  local ids, ng = g:totable(), 0
  for _, v in ipairs(ids) do if v + 1 > ng then ng = v + 1 end end
  local mode = opts.mode or "max"
  if mode ~= "max" and mode ~= "l2" and mode ~= "mean" then
    U.fail("%s: mode must be 'max', 'l2' or 'mean', got %s", NAME, tostring(mode))
  end
  local self = setmetatable({ groups = g:reshape(g:numel()), units = g:numel(), ngroups = ng,
                              mode = mode }, GroupPool)
  local probe = core.zeros { 1, self.units }
  local ok, err = pcall(core.pool_groups, probe, self.groups, ng, mode)   -- empty groups
  if not ok then U.fail("%s: %s", NAME, (tostring(err):gsub("^rdn%.pool_groups: ", ""))) end
  return self
end

function GroupPool:forward(X)
  local fn = NAME .. ":forward"
  if not core.is_tensor(X) then U.fail("%s: X must be a tensor, got %s", fn, type(X)) end
  local m = X:dim(1)
  if X:numel() ~= m * self.units then
    U.fail("%s: X %s has %d units per sample, the pooling takes %d", fn, U.shape_str(X),
           X:numel() // m, self.units)
  end
  return core.pool_groups(X:reshape(m, self.units), self.groups, self.ngroups, self.mode)
end

function GroupPool:construct(X) return {}, self:forward(X) end
function GroupPool:params(prefix) return { { (prefix or "") .. "groups", self.groups } } end

function GroupPool:state(prefix)
  return self:params(prefix), { [prefix .. "model"] = "GroupPool", [prefix .. "mode"] = self.mode }
end

function GroupPool.from_state(file, prefix, fname)
  local ok, r = pcall(GroupPool.new, { groups = file.tensors[prefix .. "groups"],
                                       mode = file.metadata[prefix .. "mode"] })
  if not ok then U.fail("%s: model file: %s", fname, tostring(r)) end
  return r
end

function GroupPool:__tostring()
  return string.format("GroupPool(%d units -> %d groups, %s)", self.units, self.ngroups, self.mode)
end

return GroupPool
