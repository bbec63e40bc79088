/* SPDX-License-Identifier: MIT */
/* <linux/device.h>: all of the shim is in kshim.h. */
#include "../../kshim.h"
