-- rdn/nn/spectral.lua -- shared body of ReduNet1D / ReduNet2D (SPEC §1.4-1.5): a block of
-- shift-invariant ReduNet layers in the spectral domain.  The input enters by one ortho
-- FFT (half spectrum of real signals), every layer holds its per-frequency operators
-- (c64, conjugated; packed Hermitian [k+1, F, C(C+1)/2] by default, storage = "full" keeps
-- [k+1, F, C, C]) or, when every class has fewer samples than channels, their Woodbury
-- form (SPEC §1.11), and gamma; one inverse FFT leaves (real part,
-- renormalised).  Same protocol and model-file layout as the vector ReduNet.  S.invariant
-- is the shift-invariant read-out (|DFT|) for classifiers on top.
local core = require "rdn.core"
local U = require "rdn.nn.util"

local S = {}
local KNOWN = { layers = true, eta = true, eps_sq = true, lambda = true, membership = true,
                woodbury = true, storage = true }

--- S.class(name, rank) -> a layer class for inputs [m, C, T] (rank 1) / [m, C, H, W] (2).
function S.class(cname, rank)
  local C = U.class(cname)
  local NAME = "rdn.nn." .. cname
  local FORM = rank == 1 and "[m, C, T]" or "[m, C, H, W]"

  function C.new(opts)
    opts = U.opts(NAME, opts, KNOWN)
    local self = setmetatable({}, C)
    U.redunet_hyper(NAME, self, opts)
    -- woodbury: class operators in the Woodbury form (SPEC §1.11: class spectra + m_j x m_j
    -- inverses instead of C x C per class and frequency); "auto" when every class has
    -- fewer samples than channels
    if opts.woodbury == nil then self.woodbury = "auto" else self.woodbury = opts.woodbury end
    if self.woodbury ~= "auto" and type(self.woodbury) ~= "boolean" then
      U.fail("%s: woodbury must be true, false or 'auto', got %s", NAME, tostring(self.woodbury))
    end
    -- storage: "packed" keeps each layer's Hermitian C x C operators as lower triangles
    -- (C(C+1)/2 per matrix, about half the memory; unpacked into one scratch per layer
    -- call), "full" keeps [k+1, F, C, C]
    self.storage = opts.storage or "packed"
    if self.storage ~= "packed" and self.storage ~= "full" then
      U.fail("%s: storage must be 'packed' or 'full', got %s", NAME, tostring(self.storage))
    end
    self.ops, self.gamma = {}, {}
    return self
  end

  -- X: [m, C, T] / [m, C, H, W] (or without the channel axis: C = 1), f32 or f64, finite.
  -- Returns a unit-norm f32 copy in channel form and the geometry.
  function C:_input(fn, X)
    if not core.is_tensor(X) then U.fail("%s: X must be a tensor, got %s", fn, type(X)) end
    local s = X:shape()
    if #s == rank + 1 then table.insert(s, 2, 1) end
    if #s ~= rank + 2 then
      U.fail("%s: X must be %s (rank %d), got %s", fn, FORM, rank + 2, U.shape_str(X))
    end
    local g = { rank = rank, h = rank == 2 and s[3] or 1, w = s[#s], half = true }
    if self.c and (s[2] ~= self.c or g.h ~= self.geom.h or g.w ~= self.geom.w) then
      U.fail("%s: shape mismatch: X %s, the layer was built for C = %d, size %s", fn,
             U.shape_str(X), self.c, rank == 1 and tostring(self.geom.w)
             or (self.geom.h .. " x " .. self.geom.w))
    end
    local dt = X:dtype()
    if dt ~= "f32" and dt ~= "f64" then U.fail("%s: X must be f32 or f64, got %s", fn, dt) end
    local Z = U.features(fn, X)            -- finite, [m, d] unit rows (a copy)
    if dt == "f64" then Z = Z:astype("f32") end
    return Z:reshape(s), g, s[1], s[2]
  end

  -- The full operators [k+1, F, C, C] of layer l, ready for core.spectral_layer: the
  -- stored tensor, or the packed one unpacked into the scratch self._full (one per net).
  function C:_full_ops(l)
    local W = self.ops[l]
    if not core.is_tensor(W) or #W:shape() == 4 then return W end
    local s = W:shape()
    if not self._full then self._full = core.empty { s[1], s[2], self.c, self.c, dtype = "c64" } end
    return core.herm_unpack(W, self._full)
  end

  -- Operators of one layer: c64 [k+1, F, C, C] (full), [k+1, F, C(C+1)/2] (packed), or
  -- Woodbury operators (userdata); returns ops, bytes, gamma, dR, R, Rc.  wb: use the
  -- Woodbury form; full: a [k+1, F, C, C] scratch for the packed form (else nil).
  local function operators(wb, want, V, labels, k, eps_sq, g, c, full)
    if not want then
      return nil, 0, core.spectral_operators(nil, V, labels, k, eps_sq, g)
    end
    if wb then
      local W, gamma, dR, R, Rc = core.spectral_wb(V, labels, k, eps_sq, g)
      return W, W:bytes(), gamma, dR, R, Rc
    end
    local W = full or core.empty { k + 1, V:dim(1), c, c, dtype = "c64" }
    local gamma, dR, R, Rc = core.spectral_operators(W, V, labels, k, eps_sq, g)
    if full then W = core.herm_pack(full) end
    return W, W:numel() * 8, gamma, dR, R, Rc
  end

  --- net:construct(X, y [, {quiet, log, classes}]) -> log, Z: log[1] is the input, log[l+1]
  --- the output of layer l ({layer, dR, R, Rc, time, memory = bytes of its operators}).
  function C:construct(X, y, opts)
    local fn = NAME .. ":construct"
    opts = U.opts(fn, opts, { quiet = true, log = true, classes = true })
    self.c = nil
    local Z, g, m, c = self:_input(fn, X)
    local labels, k = U.labels(fn, y, m, opts.classes)
    local V = core.spectral_enter(Z, g)
    self.c, self.geom, self.k, self.ops, self.gamma = c, g, k, {}, {}
    local wb = self.woodbury == true
    if self.woodbury == "auto" then
      wb = true
      for _, n in ipairs(core.label_counts(labels, k)) do wb = wb and n < c end
    end
    self.wb = wb
    local log, L, clock = {}, self.layers, core.clock
    local lab = self.membership == "label" and labels or nil
    local t0, bytes = clock(), 0
    self._full = nil
    local full = not wb and self.storage == "packed" and L > 0 and
                 core.empty { k + 1, V:dim(1), c, c, dtype = "c64" } or nil
    self._full = full
    for l = 1, L + 1 do
      local W, b, gamma, dR, R, Rc = operators(wb, l <= L, V, labels, k, self.eps_sq, g, c,
                                               full)
      U.redunet_log(log, l, L, opts.quiet, dR, R, Rc, t0, clock(), bytes)
      bytes = b
      if l > L then break end
      t0 = clock()
      self.ops[l], self.gamma[l] = W, gamma
      core.spectral_layer(V, full or W, gamma, self.eta, self.lambda, g, lab)
    end
    if opts.log then require("rdn.nn").write_log(opts.log, log) end
    return log, core.spectral_leave(V, g)
  end

  function C:_check_built(fn)
    if not self.c then U.fail("%s: the network is not constructed (call construct first)", fn) end
  end

  --- net:forward(X) -> Z: the layers on new data (soft memberships), same shape as X.
  function C:forward(X)
    local fn = NAME .. ":forward"
    self:_check_built(fn)
    local Z, g = self:_input(fn, X)
    local V = core.spectral_enter(Z, g)
    for l = 1, #self.ops do
      core.spectral_layer(V, self:_full_ops(l), self.gamma[l], self.eta, self.lambda, g)
    end
    return core.spectral_leave(V, g)
  end

  --- net:update(X, y [, tau = 0.1]) -> log, Z: moving average of the operators and gamma
  --- towards those of another batch, layer by layer (as the vector ReduNet).
  function C:update(X, y, tau)
    local fn = NAME .. ":update"
    self:_check_built(fn)
    if self.wb then
      U.fail("%s: not available with Woodbury operators (build with woodbury = false)", fn)
    end
    tau = U.tau(fn, tau)
    local Z, g, m = self:_input(fn, X)
    local labels = U.labels(fn, y, m, self.k)
    local lab = self.membership == "label" and labels or nil
    local V = core.spectral_enter(Z, g)
    local W = core.empty { self.k + 1, V:dim(1), self.c, self.c, dtype = "c64" }
    local log = {}
    for l = 1, #self.ops do
      local gamma, dR, R, Rc = core.spectral_operators(W, V, labels, self.k, self.eps_sq, g)
      log[l] = { layer = l - 1, dR = dR, R = R, Rc = Rc }
      self.ops[l]:axpby(tau, #self.ops[l]:shape() == 4 and W or core.herm_pack(W), 1 - tau)
      U.gamma_average(self.gamma[l], gamma, self.k, tau)
      core.spectral_layer(V, self:_full_ops(l), self.gamma[l], self.eta, self.lambda, g, lab)
    end
    W:release()
    return log, core.spectral_leave(V, g)
  end

  function C:params(prefix)
    local p = {}
    for l, W in ipairs(self.ops) do
      local key = (prefix or "") .. "layer." .. l
      if core.is_tensor(W) then
        p[#p + 1] = { key .. ".ops", W }
      else
        local e, zs, ninv = W:parts()
        p[#p + 1] = { key .. ".e", e }
        p[#p + 1] = { key .. ".zs", zs }
        p[#p + 1] = { key .. ".ninv", ninv }
      end
    end
    return p
  end

  function C:state(prefix)
    local meta = U.redunet_meta(cname, self)
    meta.woodbury = tostring(self.woodbury)
    meta.storage = self.storage
    if self.c then
      if self.wb and self.ops[1] then meta.counts = U.list2str(select(4, self.ops[1]:parts())) end
      meta.channels, meta.h, meta.w, meta.k = tostring(self.c), tostring(self.geom.h),
                                               tostring(self.geom.w), tostring(self.k)
      meta.built = tostring(#self.ops)
    end
    return self:params(prefix), U.prefixed(meta, prefix)
  end

  function C.from_state(file, prefix, fname)
    local get, hyper = U.redunet_from_meta(file, prefix, fname)
    local wbs = get "woodbury"
    hyper.woodbury = wbs == "true" or (wbs ~= "false" and "auto")
    hyper.storage = get "storage" or "full"   -- files before packed storage hold [k+1, F, C, C]
    local self = C.new(hyper)
    local built = tonumber(get "built")
    if not built then return self end
    local c, h, w, k = tonumber(get "channels"), tonumber(get "h"), tonumber(get "w"),
                       tonumber(get "k")
    if not (c and h and w and k) then U.fail("%s: model file: bad '%s' geometry", fname, prefix) end
    self.c, self.k = c, k
    self.geom = { rank = rank, h = h, w = w, half = true }
    local F = h * (w // 2 + 1)
    local counts = get "counts" and U.str2list(fname, get "counts")
    self.wb = counts ~= nil
    for l = 1, built do
      local W = file.tensors[prefix .. "layer." .. l .. ".ops"]
      if counts then
        local t = function(n) return file.tensors[prefix .. "layer." .. l .. "." .. n] end
        if not (t "e" and t "zs" and t "ninv") then
          U.fail("%s: model file: Woodbury tensors of '%slayer.%d' are missing", fname, prefix, l)
        end
        local ok, wb = pcall(core.spectral_wb_assemble, t "e", t "zs", t "ninv", counts,
                             self.eps_sq)
        if not ok then U.fail("%s: model file: layer %d: %s", fname, l, tostring(wb)) end
        W = wb
      end
      local s = core.is_tensor(W) and W:shape()
      local full = s and #s == 4 and s[3] == c and s[4] == c
      local packed = s and #s == 3 and s[3] == c * (c + 1) // 2
      if not counts and (not W or W:dtype() ~= "c64" or s[1] ~= k + 1 or s[2] ~= F
                         or not (full or packed)) then
        U.fail("%s: model file: tensor '%slayer.%d.ops' is missing or not c64 [%d x %d x %d x %d] "
               .. "(or packed [%d x %d x %d])", fname, prefix, l, k + 1, F, c, c, k + 1, F,
               c * (c + 1) // 2)
      end
      -- the file's form is converted to the layer's storage
      if not counts and full and self.storage == "packed" then W = core.herm_pack(W) end
      if not counts and packed and self.storage == "full" then W = core.herm_unpack(W, c) end
      self.ops[l] = W
      self.gamma[l] = U.redunet_gamma(fname, get, l, k)
    end
    return self
  end

  function C:save(path) return require("rdn.nn").save(self, path) end

  function C:__tostring()
    local s = string.format("%s(layers = %d, eta = %g, eps_sq = %g, lambda = %g, "
                            .. "membership = %s", cname, self.layers, self.eta, self.eps_sq,
                            self.lambda, self.membership)
    if self.c then
      s = s .. string.format("; built: %d layers, C = %d, size %s, k = %d", #self.ops, self.c,
                             rank == 1 and tostring(self.geom.w)
                             or (self.geom.h .. " x " .. self.geom.w), self.k)
      if self.wb then s = s .. ", Woodbury" end
    end
    return s .. ")"
  end

  return C
end

--- S.invariant(X) -> f32 [m, C F]: the shift-invariant read-out of equivariant features
--- X [m, C, T] / [m, C, H, W] (SPEC §1.4: invariance comes from shift-invariant
--- classifiers on top): per-channel magnitude spectrum |DFT_ortho| along the shifted axes
--- (half spectrum, mirrored bins weighted by sqrt 2 so that |row| = |X_s|).  A circular
--- shift only multiplies each DFT coefficient by a unit phase, so the rows are identical
--- for every circular shift of a sample and any classifier on them (kNN, ridge, nearest
--- subspace) predicts the same class.  One FFT + one kernel on the device.
function S.invariant(X)
  if not core.is_tensor(X) then U.fail("rdn.nn.spectral.invariant: X must be a tensor, got %s",
                                       type(X)) end
  local s = X:shape()
  if #s ~= 3 and #s ~= 4 then
    U.fail("rdn.nn.spectral.invariant: X must be [m, C, T] or [m, C, H, W], got %s",
           U.shape_str(X))
  end
  if X:dtype() ~= "f32" then X = X:astype("f32") end
  local g = { rank = #s - 2, h = #s == 4 and s[3] or 1, w = s[#s], half = true }
  local V = core.spectral_enter(X, g)
  local out = core.spectral_magnitude(V, g)
  V:release()
  return out
end

--- S.circshift(X, sh [, sw]) -> a new tensor: X [m, C, T] / [m, C, H, W] circularly shifted,
--- out[.., h, w] = X[.., h - sh, w - sw] (1-D: by sh along T).  Two transposes around one
--- row gather on the device (positions as rows).
function S.circshift(X, sh, sw)
  local s = X:shape()
  local H, W = #s == 4 and s[3] or 1, s[#s]
  if #s ~= 4 then sh, sw = 0, sh end
  local P = H * W
  local idx = {}
  for h = 0, H - 1 do
    for w = 0, W - 1 do idx[h * W + w + 1] = ((h - sh) % H) * W + (w - sw) % W end
  end
  local rows = X:numel() // P
  local Xt = core.transpose(X, rows, P):gather_rows(core.tensor(idx, "i32"))
  return core.transpose(Xt, P, rows):reshape(s)
end

return S
