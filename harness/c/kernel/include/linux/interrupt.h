/* SPDX-License-Identifier: MIT */
/* <linux/interrupt.h>: all of the shim is in kshim.h. */
#include "../../kshim.h"
