/* SPDX-License-Identifier: MIT */
/* <linux/module.h>: all of the shim is in kshim.h. */
#include "../../kshim.h"
