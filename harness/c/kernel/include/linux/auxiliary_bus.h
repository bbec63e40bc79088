/* SPDX-License-Identifier: MIT */
/* <linux/auxiliary_bus.h>: the auxiliary bus as far as a driver sees it. */
#ifndef HARNESS_AUXILIARY_BUS_H
#define HARNESS_AUXILIARY_BUS_H
#include "../../kshim.h"

struct auxiliary_device {
	struct device dev;
	const char *name;
	u32 id;
};

struct auxiliary_device_id {
	char name[32];
	unsigned long driver_data;
};

struct auxiliary_driver {
	int (*probe)(struct auxiliary_device *adev, const struct auxiliary_device_id *id);
	void (*remove)(struct auxiliary_device *adev);
	const char *name;
	const struct auxiliary_device_id *id_table;
};

/* Registration with the bus: the harness calls probe and remove itself. */
static inline int auxiliary_driver_register(struct auxiliary_driver *drv)
{
	(void)drv;
	return 0;
}
static inline void auxiliary_driver_unregister(struct auxiliary_driver *drv) { (void)drv; }
#endif
