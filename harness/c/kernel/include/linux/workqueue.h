/* SPDX-License-Identifier: MIT */
/* <linux/workqueue.h>: all of the shim is in kshim.h. */
#include "../../kshim.h"
