/* SPDX-License-Identifier: MIT */
/* <linux/timer.h>: all of the shim is in kshim.h. */
#include "../../kshim.h"
