-- rdn/nn/init.lua -- forward-constructed layers (one class per file) and model files.
-- Every layer follows one protocol: construct(X, y, opts) -> log, Z; forward(X) -> Z;
-- params() -> {{name, tensor}, ...}; state(prefix) / from_state for save and load;
-- __tostring.  Models are safetensors files: the tensors plus a string metadata map
-- with the layer configuration, "format" = "rdn.nn" and "format_version".
local core = require "rdn.core"
local U = require "rdn.nn.util"

local nn = {}
nn.FORMAT, nn.FORMAT_VERSION = "rdn.nn", 1
nn.ReduNet = require "rdn.nn.ReduNet"
nn.Sequential = require "rdn.nn.Sequential"
nn.ISTA = require "rdn.nn.ISTA"
nn.BlockSweep = require "rdn.nn.BlockSweep"
nn.GroupPool = require "rdn.nn.GroupPool"
nn.Linear = require "rdn.nn.Linear"
nn.ReLU = require "rdn.nn.ReLU"
nn.Scattering2D = require "rdn.nn.Scattering2D"
nn.Standardize = require "rdn.nn.Standardize"
nn.Project = require "rdn.nn.Project"
nn.TightFrame = require "rdn.nn.TightFrame"
nn.SoftThreshold = require "rdn.nn.SoftThreshold"
nn.ReduNet1D = require "rdn.nn.ReduNet1D"
nn.ReduNet2D = require "rdn.nn.ReduNet2D"
nn.Lift1D = require "rdn.nn.Lift1D"
nn.Lift2D = require "rdn.nn.Lift2D"

--- nn.save(model, path) -> true: writes the model (temp file + rename; raises on failure).
function nn.save(model, path)
  local fn = "rdn.nn.save"
  if type(path) ~= "string" then U.fail("%s: path must be a string, got %s", fn, type(path)) end
  if type(model) ~= "table" or type(model.state) ~= "function" then
    U.fail("%s: not a model (no state method)", fn)
  end
  local tensors, meta = model:state("")
  meta.format, meta.format_version = nn.FORMAT, tostring(nn.FORMAT_VERSION)
  local ok, err = core.safetensors_save(path, tensors, meta)
  if not ok then U.fail("%s", (tostring(err):gsub("^rdn_safetensors_save", fn))) end
  return true
end

local function build(file, prefix, fname)
  local model = file.metadata[prefix .. "model"]
  local C = model and nn[model]
  if type(C) ~= "table" or type(C.from_state) ~= "function" then
    U.fail("%s: model file: unknown layer type '%s' at '%smodel'", fname, tostring(model), prefix)
  end
  return C.from_state(file, prefix, fname, build)
end

--- nn.load(path) -> model | nil, msg (a missing file); a corrupt file, a model of a newer
--- format version or an unknown layer type raise.
function nn.load(path)
  local fn = "rdn.nn.load"
  if type(path) ~= "string" then U.fail("%s: path must be a string, got %s", fn, type(path)) end
  local ok, file, msg = pcall(core.safetensors_load, path)
  if not ok then U.fail("%s: %s", fn, (tostring(file):gsub("^rdn%.safetensors_load: ", ""))) end
  if not file then return nil, msg end
  local meta = file.metadata
  if meta.format ~= nn.FORMAT then
    U.fail("%s: '%s' is not an rdn model (metadata format = %s)", fn, path, tostring(meta.format))
  end
  local v = tonumber(meta.format_version)
  if not v then
    U.fail("%s: '%s': bad format_version '%s'", fn, path, tostring(meta.format_version))
  end
  if v > nn.FORMAT_VERSION then
    U.fail("%s: '%s' has format version %s, this rdn reads versions up to %d (upgrade rdn)", fn,
           path, meta.format_version, nn.FORMAT_VERSION)
  end
  return build(file, "", fn)
end

--- nn.write_log(path, log): a construction log as CSV (layer,dR,R,Rc,time), written to a
--- temp file and renamed.
function nn.write_log(path, log)
  local tmp = path .. ".tmp"
  local f, err = io.open(tmp, "w")
  if not f then U.fail("rdn.nn: cannot write log '%s': %s", path, err) end
  f:write("layer,dR,R,Rc,time\n")
  for _, e in ipairs(log) do
    f:write(string.format("%d,%.17g,%.17g,%.17g,%.6f\n", e.layer, e.dR, e.R, e.Rc, e.time or 0))
  end
  local ok, cerr = f:close()
  if not ok then os.remove(tmp) U.fail("rdn.nn: cannot write log '%s': %s", path, cerr) end
  local rok, rerr = os.rename(tmp, path)
  if not rok then os.remove(tmp) U.fail("rdn.nn: cannot write log '%s': %s", path, rerr) end
end

return nn
