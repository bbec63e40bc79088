/* SPDX-License-Identifier: MIT */
/* <linux/spinlock.h>: all of the shim is in kshim.h. */
#include "../../kshim.h"
