/* SPDX-License-Identifier: MIT */
/* <linux/list.h>: all of the shim is in kshim.h. */
#include "../../kshim.h"
