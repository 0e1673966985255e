-- rdn/rate.lua -- coding rates and the rate reduction of MCR² (SPEC §1.1, §1.4), computed
-- on the device (Gram, Cholesky, log-det in double; the smaller side of the Gram
-- identity is picked per log-det).
--
--   local rate = require "rdn.rate"       -- or rdn.rate
--   local dR, R, Rc = rate.mcr2(Z, y, 0.5)
--
-- Z holds samples as ROWS: [m, d] (m samples, d features), f32 / f64 / c64.
-- eps_sq is the squared distortion e = eps^2: the `eps` argument of the reference code
-- (`--eps 0.1` there means eps_sq = 0.1).  It is never squared again here.
--   R  = 1/2 logdet(I + d/(m e) Z^T Z)
--   Rc = sum_j m_j/(2m) logdet(I + d/(m_j e) Z_j^T Z_j)
--   dR = R - Rc >= 0
-- y: labels, an i32 tensor or a Lua table of 0-based integers (one per sample);
-- k (classes) defaults to max label + 1.  Labels outside [0, k) and empty classes raise.
--
-- Spectra (shift-invariant ReduNet, SPEC §1.4): Z c64 [m, C, F] is the ortho DFT along
-- time of m samples of C channels and length T (F = T: every frequency; F = T/2 + 1:
-- the half spectrum of real signals, `half = true`).  Pass opts {t = T, half = bool}
-- (and k there too, for class_rate / mcr2).  The rates are summed over frequencies with
-- a = C/(m e) and the 1/(2T) factor of the reference code:
--   R = 1/(2T) sum_p logdet(I + a Sigma(p)),  Sigma(p) = sum_i v_i(p) v_i(p)^H.
local core = require "rdn.core"

local rate = {}

-- Calls a core function; its error is re-raised at the caller of rdn.rate.* (level 3), so
-- the message points at the user's line, and reads "rdn.mcr2: ..." (the runtime's
-- "rdn_mcr2: ..." in Lua spelling).
local function call(f, ...)
  local r = table.pack(pcall(f, ...))
  if not r[1] then
    local msg = tostring(r[2]):gsub("^[^\n]-rate%.lua:%d+: ", "")
    msg = msg:gsub("^rdn_([%w_]+): ", "rdn.%1: ")
    error(msg, 3)
  end
  return table.unpack(r, 2, r.n)
end

-- Spectral options for a 3-D c64 input: returns k, t, half (or nil for vector input).
local function spectral(fname, Z, opts)
  local spec = Z:dtype() == "c64" and #Z:shape() == 3
  if type(opts) == "table" then
    for key in pairs(opts) do
      if key ~= "k" and key ~= "t" and key ~= "half" then
        error(string.format("rdn.rate.%s: unknown option '%s'", fname, tostring(key)), 3)
      end
    end
    if not spec then
      if opts.t ~= nil or opts.half ~= nil then
        error(string.format("rdn.rate.%s: options t / half need c64 spectra [m, C, F]",
                            fname), 3)
      end
      return opts.k
    end
    if math.type(opts.t) ~= "integer" or opts.t < 1 then
      error(string.format("rdn.rate.%s: spectra need opts.t, the number of time samples T "
                          .. "(an integer >= 1), got %s", fname, tostring(opts.t)), 3)
    end
    return opts.k, opts.t, opts.half and true or false
  end
  if spec then
    error(string.format("rdn.rate.%s: c64 spectra [m, C, F] need opts {t = T, half = "
                        .. "true|false}", fname), 3)
  end
  return opts
end

--- rate.coding_rate(Z, eps_sq [, opts]) -> R.  opts {t, half} for spectra.
function rate.coding_rate(Z, eps_sq, opts)
  local _, t, half = spectral("coding_rate", Z, opts)
  if t then
    local _, R = call(core.mcr2_spectral, Z, nil, eps_sq, 0, t, half)
    return R
  end
  return (call(core.coding_rate, Z, eps_sq))
end

--- rate.class_rate(Z, y, eps_sq [, k | opts]) -> Rc.
function rate.class_rate(Z, y, eps_sq, k)
  local kk, t, half = spectral("class_rate", Z, k)
  if t then
    local _, _, Rc = call(core.mcr2_spectral, Z, y, eps_sq, kk or 0, t, half)
    return Rc
  end
  return (call(core.class_rate, Z, y, eps_sq, kk))
end

--- rate.mcr2(Z, y, eps_sq [, k | opts]) -> dR, R, Rc.
function rate.mcr2(Z, y, eps_sq, k)
  local kk, t, half = spectral("mcr2", Z, k)
  if t then return call(core.mcr2_spectral, Z, y, eps_sq, kk or 0, t, half) end
  return call(core.mcr2, Z, y, eps_sq, kk)
end

return rate
