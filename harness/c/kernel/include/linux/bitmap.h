/* SPDX-License-Identifier: MIT */
/* <linux/bitmap.h>: all of the shim is in kshim.h. */
#include "../../kshim.h"
