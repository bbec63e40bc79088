/* SPDX-License-Identifier: MIT */
/* <linux/mutex.h>: all of the shim is in kshim.h. */
#include "../../kshim.h"
