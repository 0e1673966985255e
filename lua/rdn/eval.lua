-- rdn/eval.lua -- classifiers on top of features (SPEC §1.8), all on the device; the
-- features are flattened and row-normalised first.  Each returns the test accuracy and
-- the i32 predictions:  knn (cosine, majority vote), nearest_subspace (top-n principal
-- directions per class by subspace iteration), ridge (closed-form one-vs-rest).
local core = require "rdn.core"
local U = require "rdn.nn.util"

local eval = {}

-- Normalised [m, d] copies of train/test features, labels, k.
local function prepare(fn, Ztr, ytr, Zte, yte)
  local A, d = U.features(fn, Ztr)
  local B = U.features(fn, Zte, d, A:dtype())
  local ytr_t, k = U.labels(fn, ytr, A:dim(1))
  local yte_t
  if type(yte) == "table" then yte_t = core.tensor(yte, "i32") else yte_t = yte end
  if not core.is_tensor(yte_t) or yte_t:dtype() ~= "i32" or yte_t:numel() ~= B:dim(1) then
    U.fail("%s: yte must be %d i32 labels", fn, B:dim(1))
  end
  return A, ytr_t, B, yte_t, k, d
end

--- eval.knn(Ztr, ytr, Zte, yte [, {k = 5}]) -> accuracy, predictions.  Ties between
--- neighbours go to the lower training index, ties in the vote to the lowest label.
function eval.knn(Ztr, ytr, Zte, yte, opts)
  local fn = "rdn.eval.knn"
  opts = U.opts(fn, opts, { k = true })
  local A, ya, B, yb = prepare(fn, Ztr, ytr, Zte, yte)
  local kn = U.number(fn, "k", opts.k or 5, false, true)
  if kn > 64 or kn > A:dim(1) then
    U.fail("%s: k = %d exceeds min(64, %d training samples)", fn, kn, A:dim(1))
  end
  local pred = core.knn_predict(B, A, ya, kn)
  return core.accuracy(pred, yb), pred
end

--- eval.nearest_subspace(Ztr, ytr, Zte, yte [, {components = 1, iters = 100, seed = 0,
--- side = "auto"}]) -> accuracy, predictions.  Basis of class j: the top-n right singular
--- vectors of Z_j (uncentred, as TruncatedSVD), by subspace iteration with Gram-Schmidt on
--- Z_jᵀZ_j [d x d] (side = "features"), or on Z_jZ_jᵀ [m_j x m_j] followed by v = Z_jᵀu
--- (side = "samples": the same subspace, for features wider than the classes, e.g. lifted
--- images with d = C·H·W).  "auto" takes "samples" when every class has fewer samples than
--- d and at least n of them.
function eval.nearest_subspace(Ztr, ytr, Zte, yte, opts)
  local fn = "rdn.eval.nearest_subspace"
  opts = U.opts(fn, opts, { components = true, iters = true, seed = true, side = true })
  local A, ya, B, yb, k, d = prepare(fn, Ztr, ytr, Zte, yte)
  local n = U.number(fn, "components", opts.components or 1, false, true)
  local iters = U.number(fn, "iters", opts.iters or 100, false, true)
  if n > d then U.fail("%s: components = %d exceeds the dimension %d", fn, n, d) end
  local side = opts.side or "auto"
  if side ~= "auto" and side ~= "features" and side ~= "samples" then
    U.fail("%s: side must be 'auto', 'features' or 'samples', got %s", fn, tostring(side))
  end
  local dt = A:dtype()
  local perm, counts = core.label_sort(ya, k)
  local lo, hi = math.huge, 0
  for j = 1, k do lo, hi = math.min(lo, counts[j]), math.max(hi, counts[j]) end
  if side == "auto" then side = (hi < d and lo >= n) and "samples" or "features" end
  if side == "samples" and lo < n then
    U.fail("%s: side = 'samples' needs components = %d <= the smallest class (%d samples)", fn,
           n, lo)
  end
  local S = A:gather_rows(perm)                    -- the one gather buffer: classes in blocks
  local Q = core.empty { k, n, d, dtype = dt }
  if side == "samples" then
    -- per class: Gram K = Z_j Z_jᵀ, subspace iteration for its top-n eigenvectors U (rows),
    -- then the right singular vectors as the rows of U Z_j (orthonormalised below)
    local Q2, at = Q:reshape(k * n, d), 1
    for j = 1, k do
      local mj = counts[j]
      local Zj = S:rows(at, mj)
      local K = core.empty { mj, mj, dtype = dt }
      core.gemm(Zj, Zj, K, { tb = true })
      local P = core.randn { 1, n, mj, seed = (opts.seed or 0) + j, dtype = dt }
      local Y = core.empty { 1, n, mj, dtype = dt }
      core.orthonormalize(P)
      for _ = 1, iters do
        core.gemm(P:reshape(n, mj), K, Y:reshape(n, mj))
        core.orthonormalize(Y)
        P, Y = Y, P
      end
      core.gemm(P:reshape(n, mj), Zj, Q2:rows((j - 1) * n + 1, n))
      at = at + mj
    end
    core.orthonormalize(Q)
  else
    local G = core.empty { k, d, d, dtype = dt }
    local G2 = G:reshape(k * d, d)
    local at = 1
    for j = 1, k do
      core.gemm(S:rows(at, counts[j]), S:rows(at, counts[j]), G2:rows((j - 1) * d + 1, d),
                { ta = true })
      at = at + counts[j]
    end
    -- bases as rows, Q [k, n, d]: Y = Q G (= (G Qᵀ)ᵀ, G symmetric), then Gram-Schmidt
    Q = core.randn { k, n, d, seed = opts.seed or 0, dtype = dt }
    local Y = core.empty { k, n, d, dtype = dt }
    core.orthonormalize(Q)
    for _ = 1, iters do
      core.gemm(Q, G, Y)
      core.orthonormalize(Y)
      Q, Y = Y, Q
    end
  end
  S:release()
  local pred = core.nearsub_predict(B, Q)
  return core.accuracy(pred, yb), pred
end

--- eval.ridge(Ztr, ytr, Zte, yte [, {alpha = 1}]) -> accuracy, predictions: one-vs-rest
--- ridge regression on ±1 targets with an unpenalised intercept (as scikit-learn's
--- RidgeClassifier), W = (XcᵀXc + alpha I)^-1 XcᵀYc by Cholesky.
function eval.ridge(Ztr, ytr, Zte, yte, opts)
  local fn = "rdn.eval.ridge"
  opts = U.opts(fn, opts, { alpha = true })
  local A, ya, B, yb, k = prepare(fn, Ztr, ytr, Zte, yte)
  local alpha = U.number(fn, "alpha", opts.alpha or 1, true)
  local pred = core.ridge_predict(A, ya, B, k, alpha)
  return core.accuracy(pred, yb), pred
end

return eval
