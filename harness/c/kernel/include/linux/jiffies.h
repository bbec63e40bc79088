/* SPDX-License-Identifier: MIT */
/* <linux/jiffies.h>: all of the shim is in kshim.h. */
#include "../../kshim.h"
