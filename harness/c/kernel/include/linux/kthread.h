/* SPDX-License-Identifier: MIT */
/* <linux/kthread.h>: all of the shim is in kshim.h. */
#include "../../kshim.h"
