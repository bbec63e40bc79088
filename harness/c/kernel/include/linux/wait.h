/* SPDX-License-Identifier: MIT */
/* <linux/wait.h>: all of the shim is in kshim.h. */
#include "../../kshim.h"
