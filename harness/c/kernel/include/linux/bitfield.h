/* SPDX-License-Identifier: MIT */
/* <linux/bitfield.h>: all of the shim is in kshim.h. */
#include "../../kshim.h"
