-- rdn/nn/Lift1D.lua -- random lifting filters for signals [m, Cin, T] (SPEC §1.6):
-- rdn.nn.Lift1D{ channels = C, kernel = k, seed = s, relu = true }, N(0, 1) filters,
-- circular cross-correlation on the device.  Shared body in rdn/nn/lift.lua.
return require("rdn.nn.lift").class("Lift1D", 1)
