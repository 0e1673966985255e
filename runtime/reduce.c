/* reduce.c -- placeholder (sum, sumsq, row norms, normalize, argmax, gather land here). */
#include "rdn_impl.h"
