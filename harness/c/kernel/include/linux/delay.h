/* SPDX-License-Identifier: MIT */
/* <linux/delay.h>: all of the shim is in kshim.h. */
#include "../../kshim.h"
