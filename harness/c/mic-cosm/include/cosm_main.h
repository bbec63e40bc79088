/*
 * RECONSTRUCTED: drivers/misc/mic/cosm/cosm_main.h and the parts of cosm_bus.h and
 * include/uapi/linux/mic_common.h that cosm_scif_server.c uses (the seed includes
 * "cosm_main.h" at line 54 and quotes none of it). Names and values as Linux 4.4-5.9 have
 * them, the same as drivers/mic-cosm.ts; fields the seed and cosm_main.c do not use are left
 * out.
 */
#ifndef COSM_MAIN_H
#define COSM_MAIN_H

#include <linux/scif.h>
#include <linux/kthread.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <linux/device.h>

#define COSM_HEARTBEAT_SEND_SEC 30
#define SCIF_COSM_LISTEN_PORT 201

/* include/uapi/linux/mic_common.h */
enum mic_states {
	MIC_READY = 0,
	MIC_BOOTING,
	MIC_ONLINE,
	MIC_SHUTTING_DOWN,
	MIC_RESETTING,
	MIC_RESET_FAILED,
	MIC_LAST
};

enum mic_status {
	MIC_NOP = 0,
	MIC_CRASHED,
	MIC_HALTED,
	MIC_POWER_OFF,
	MIC_RESTART,
	MIC_STATUS_LAST
};

/* cosm_main.h */
enum cosm_msg_id {
	COSM_MSG_SHUTDOWN = BIT(0),
	COSM_MSG_SYNC_TIME = BIT(1),
	COSM_MSG_HEARTBEAT = BIT(2),
	COSM_MSG_SHUTDOWN_STATUS = BIT(3),
};

struct cosm_msg {
	u64 id;
	union {
		u64 shutdown_status;
		struct timespec64 timespec;
	};
};

extern const char * const cosm_state_string[];

struct cosm_device;

/* cosm_bus.h: what the MIC PCIe driver gives COSM */
struct cosm_hw_ops {
	void (*reset)(struct cosm_device *cdev);
	void (*force_reset)(struct cosm_device *cdev);
	void (*post_reset)(struct cosm_device *cdev, enum mic_states state);
	bool (*ready)(struct cosm_device *cdev);
	int (*start)(struct cosm_device *cdev, int id);
	void (*stop)(struct cosm_device *cdev, bool force);
};

struct cosm_device {
	const struct cosm_hw_ops *hw_ops;
	struct device dev;
	int index;
	struct mutex cosm_mutex;
	u8 state;
	u8 prev_state;
	u8 shutdown_status;
	u8 shutdown_status_int;
	const char *bootmode;
	bool heartbeat_watchdog_enable;
	bool sysfs_heartbeat_enable;
	scif_epd_t epd;
	scif_epd_t newepd;
	struct work_struct scif_work;
	struct work_struct reset_trigger_work;
	/* The class device holding the sysfs files (`state`, `shutdown_status`); device_destroy()
	 * in cosm_driver_remove takes it away. */
	void *sdev;
	/* sysfs-written strings, freed by cosm_driver_remove (allocated by writes to the files;
	 * the harness never writes them, so they stay NULL) */
	char *cmdline, *firmware, *ramdisk;
};

/* cosm_main.c, cosm_sysfs.c, cosm_bus.c */
void cosm_set_state(struct cosm_device *cdev, u8 state);
void cosm_set_shutdown_status(struct cosm_device *cdev, u8 status);
struct cosm_device *cosm_find_cdev_by_id(int id);
int cosm_start(struct cosm_device *cdev);
void cosm_stop(struct cosm_device *cdev, bool force);
int cosm_reset(struct cosm_device *cdev);
int cosm_shutdown(struct cosm_device *cdev);
void cosm_reset_trigger_work(struct work_struct *work);
void cosm_unregister_device(struct cosm_device *cdev);

/* cosm_scif_server.c */
void cosm_scif_work(struct work_struct *work);
int cosm_scif_init(void);
void cosm_scif_exit(void);

#endif
