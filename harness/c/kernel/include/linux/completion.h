/* SPDX-License-Identifier: MIT */
/* <linux/completion.h>: all of the shim is in kshim.h. */
#include "../../kshim.h"
