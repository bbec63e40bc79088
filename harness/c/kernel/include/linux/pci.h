/* SPDX-License-Identifier: MIT */
/*
 * <linux/pci.h>: a PCI function whose configuration space is a simulated device. Config
 * accesses are yield points (the device may act between any two of them) and go to the
 * device's read/write functions, which the protocol adapter implements.
 */
#ifndef HARNESS_PCI_H
#define HARNESS_PCI_H
#include "../../kshim.h"
#include "pci_regs.h"

struct pci_dev;
struct kshim_pci_device {
	u32 (*read)(struct pci_dev *pdev, int where);
	void (*write)(struct pci_dev *pdev, int where, u32 val);
};

struct pci_dev {
	struct device dev;
	const struct kshim_pci_device *sim;
	bool msi_enabled;
	int irq; /* the vector pci_irq_vector() gives */
};

#define pci_read_config_dword(pdev, where, val) \
	KSHIM_AT(kshim_pci_read(pdev, where, val, "pci_read_config_dword(" #where ")"))
#define pci_write_config_dword(pdev, where, val) \
	KSHIM_AT(kshim_pci_write(pdev, where, val, "pci_write_config_dword(" #where ")"))

static inline int kshim_pci_read(struct pci_dev *pdev, int where, u32 *val, const char *label)
{
	kyield(Y_REG_READ, label);
	*val = pdev->sim->read(pdev, where);
	return 0;
}

static inline int kshim_pci_write(struct pci_dev *pdev, int where, u32 val, const char *label)
{
	kyield(Y_REG_WRITE, label);
	pdev->sim->write(pdev, where, val);
	return 0;
}

static inline bool pci_dev_msi_enabled(struct pci_dev *pdev) { return pdev->msi_enabled; }
static inline int pci_irq_vector(struct pci_dev *pdev, unsigned int nr)
{
	(void)nr;
	return pdev->msi_enabled ? pdev->irq : -EINVAL;
}

#define pci_err(pdev, ...) klog(KLOG_ERR, __VA_ARGS__)
#define pci_warn(pdev, ...) klog(KLOG_WARN, __VA_ARGS__)
#define pci_info(pdev, ...) klog(KLOG_INFO, __VA_ARGS__)
#define pci_dbg(pdev, ...) klog(KLOG_DEBUG, __VA_ARGS__)
#define pci_WARN(pdev, cond, ...) kwarn(!!(cond), __func__, __VA_ARGS__)
#endif
