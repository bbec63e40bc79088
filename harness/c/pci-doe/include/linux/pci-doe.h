/*
 * include/linux/pci-doe.h of the same patch. The seed quotes its first lines
 * (sources/pci-doe-review.txt, lines 677-696) and stops; the rest is
 * RECONSTRUCTED from the structures doe.c uses, as v4/v6 of the series declare them.
 */
/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Data Object Exchange was added as an ECN to the PCIe r5.0 spec.
 *
 * Copyright (C) 2021 Huawei
 *     Jonathan Cameron <Jonathan.Cameron@xxxxxxxxxx>
 */

#include <linux/completion.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/auxiliary_bus.h>

#ifndef LINUX_PCI_DOE_H
#define LINUX_PCI_DOE_H

#define DOE_DEV_NAME "doe"

/* RECONSTRUCTED from here (the seed stops after line 696). */
struct pci_doe_protocol {
	u16 vid;
	u8 type;
};

struct pci_doe_exchange {
	struct pci_doe_protocol prot;
	u32 *request_pl;
	size_t request_pl_sz;
	u32 *response_pl;
	size_t response_pl_sz;
};

struct pci_doe_dev {
	struct auxiliary_device adev;
	struct pci_dev *pdev;
	int cap_offset;
};

int pci_doe_exchange_sync(struct pci_doe_dev *doe_dev, struct pci_doe_exchange *ex);
bool pci_doe_supports_prot(struct pci_doe_dev *doe_dev, u16 vid, u8 type);

#endif
