/* SPDX-License-Identifier: MIT */
/* <linux/virtio_config.h>: features and virtqueue discovery (the shim's split ring). */
#include "virtio.h"
