-- rdn/nn/Sequential.lua -- a chain of forward-constructed layers: construct builds each
-- child on the output of the previous one, forward chains them.  A child's error is
-- re-raised as "layer #i (Name): <message>" (nn's Container:rethrowErrors, simpler).
local U = require "rdn.nn.util"

local Sequential = U.class("Sequential")
local NAME = "rdn.nn.Sequential"

function Sequential.new(children)
  if type(children) ~= "table" then
    U.fail("%s: expects a table of layers, got %s", NAME, type(children))
  end
  local self = setmetatable({ children = {} }, Sequential)
  for i, c in ipairs(children) do
    if type(c) ~= "table" or type(c.construct) ~= "function" or type(c.forward) ~= "function" then
      U.fail("%s: entry #%d is not a layer (no construct/forward)", NAME, i)
    end
    self.children[i] = c
  end
  return self
end

local function name_of(c) return (getmetatable(c) or {}).__name or "?" end

-- Calls child:method(...) and prefixes its error with the layer number and name.
local function call(i, c, method, ...)
  local r = table.pack(pcall(c[method], c, ...))
  if not r[1] then
    local msg = tostring(r[2]):gsub("^[^:\n]+:%d+: ", "", 1)
    error(string.format("layer #%d (%s): %s", i, name_of(c), msg), 0)
  end
  return table.unpack(r, 2, r.n)
end

--- seq:construct(X, y [, opts]) -> logs (one per child), Z (output of the last child).
function Sequential:construct(X, y, opts)
  local logs = {}
  for i, c in ipairs(self.children) do logs[i], X = call(i, c, "construct", X, y, opts) end
  return logs, X
end

function Sequential:forward(X)
  for i, c in ipairs(self.children) do X = call(i, c, "forward", X) end
  return X
end

--- seq:update(X, y [, tau]) -> logs, Z: children that can update do, others forward.
function Sequential:update(X, y, tau)
  local logs = {}
  for i, c in ipairs(self.children) do
    if c.update then logs[i], X = call(i, c, "update", X, y, tau)
    else X = call(i, c, "forward", X) end
  end
  return logs, X
end

function Sequential:params(prefix)
  local p = {}
  for i, c in ipairs(self.children) do
    for _, e in ipairs(c:params((prefix or "") .. i .. ".")) do p[#p + 1] = e end
  end
  return p
end

function Sequential:state(prefix)
  local tensors, meta = {}, { [prefix .. "model"] = "Sequential",
                              [prefix .. "children"] = tostring(#self.children) }
  for i, c in ipairs(self.children) do
    if not c.state then U.fail("%s: layer #%d (%s) cannot be saved", NAME, i, name_of(c)) end
    local t, m = c:state(prefix .. i .. ".")
    for _, e in ipairs(t) do tensors[#tensors + 1] = e end
    for k, v in pairs(m) do meta[k] = v end
  end
  return tensors, meta
end

function Sequential.from_state(file, prefix, fname, build)
  local n = tonumber(file.metadata[prefix .. "children"])
  if not n or n < 0 or n ~= math.floor(n) then
    U.fail("%s: model file: bad or missing '%schildren'", fname, prefix)
  end
  local children = {}
  for i = 1, n do children[i] = build(file, prefix .. i .. ".", fname) end
  return Sequential.new(children)
end

function Sequential:save(path) return require("rdn.nn").save(self, path) end

function Sequential:__tostring()
  local s = { "Sequential {" }
  for i, c in ipairs(self.children) do s[#s + 1] = string.format("  (%d) %s", i, tostring(c)) end
  s[#s + 1] = "}"
  return table.concat(s, "\n")
end

return Sequential
