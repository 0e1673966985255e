-- rdn/nn/Lift1D.lua -- random lifting filters for signals [m, Cin, T] (SPEC §1.6):
-- rdn.nn.Lift1D{ channels = C, kernel = k, seed = s, relu = true, method = "auto" }, N(0, 1)
-- filters, circular cross-correlation on the device (direct or FFT: method = "auto" |
-- "direct" | "fft").  Shared body in rdn/nn/lift.lua.
return require("rdn.nn.lift").class("Lift1D", 1)
