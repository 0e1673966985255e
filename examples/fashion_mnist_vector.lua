-- fashion_mnist_vector.lua -- the vector ReduNet on Fashion-MNIST pixels (SPEC §1.10): the
-- first 500 images per class of the training file, the first 200 per class of the test
-- file, 20 layers (eta = 0.5, eps_sq = 0.1, lambda = 500).  Reports nearest-subspace (10),
-- kNN-5 and ridge accuracy on raw pixels and on ReduNet features (reference, NumPy float64:
-- ΔR 128.9 after layer 1 -> 641.4 after layer 20 (the input has 96.2); kNN 0.814 -> 0.818,
-- NS 0.814 -> 0.818), writes the ΔR / R / Rc
-- curves to fashion_mnist_vector.svg in $RDN_OUT (or the current directory) and the model
-- to fashion_mnist_vector.safetensors there.  RDN_SMOKE=1: 30 + 20 per class, 1 layer
-- (with fewer samples than pixels the operators amplify directions the training set does
-- not span, so smoke-mode accuracies after ReduNet say nothing).
-- The data come from Debian's dataset-fashion-mnist (RDN_DATA overrides the directory).
local rdn = require "rdn"
local smoke = os.getenv("RDN_SMOKE") == "1"
local ntr, nte, L = smoke and 30 or 500, smoke and 20 or 200, smoke and 1 or 20
local dir = os.getenv("RDN_OUT") or (smoke and (os.getenv("TMPDIR") or "/tmp") or ".")

local train, err = rdn.data.fashion_mnist { split = "train", n_per_class = ntr }
if not train then
  print("skipped: " .. err)
  return
end
local test = assert(rdn.data.fashion_mnist { split = "test", n_per_class = nte })
print(string.format("Fashion-MNIST: %d train, %d test images, d = %d", train.x:dim(1),
                    test.x:dim(1), train.x:dim(2)))

local function report(tag, Ztr, Zte)
  local t0 = rdn.clock()
  local ns = rdn.eval.nearest_subspace(Ztr, train.y, Zte, test.y,
                                       { components = 10, iters = smoke and 20 or 100 })
  local knn = rdn.eval.knn(Ztr, train.y, Zte, test.y, { k = 5 })
  local ok, ridge = pcall(rdn.eval.ridge, Ztr, train.y, Zte, test.y, { alpha = 1 })
  print(string.format("%-8s nearest subspace %.3f   kNN-5 %.3f   ridge %s   (%.1f s)", tag, ns,
                      knn, ok and string.format("%.3f", ridge) or "n/a: " .. tostring(ridge),
                      rdn.clock() - t0))
end

report("raw", train.x, test.x)
local net = rdn.nn.ReduNet { layers = L, eta = 0.5, eps_sq = 0.1, lambda = 500 }
local t0 = rdn.clock()
local log, Z = net:construct(train.x, train.y)
local secs = rdn.clock() - t0
print(string.format("construction: ΔR input %.1f, after layer 1 %.1f, after layer %d %.1f; "
                    .. "%.2f s (%.3f s/layer)", log[1].dR, log[2].dR, L, log[#log].dR, secs,
                    secs / L))
report("ReduNet", Z, net:forward(test.x))
local svg = rdn.plot.construction(dir .. "/fashion_mnist_vector.svg", log,
                                  string.format("Fashion-MNIST vector ReduNet, %d/class", ntr))
net:save(dir .. "/fashion_mnist_vector.safetensors")
print("wrote " .. svg .. " and " .. dir .. "/fashion_mnist_vector.safetensors")
