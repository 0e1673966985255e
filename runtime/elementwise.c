/* elementwise.c -- placeholder (scale, axpby, randn, check_finite land here). */
#include "rdn_impl.h"
