/* SPDX-License-Identifier: MIT */
/* <linux/slab.h>: all of the shim is in kshim.h. */
#include "../../kshim.h"
