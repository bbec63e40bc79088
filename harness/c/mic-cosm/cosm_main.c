/*
 * RECONSTRUCTED: the parts of drivers/misc/mic/cosm/cosm_main.c, cosm_sysfs.c and cosm_bus.c
 * that cosm_scif_server.c calls or races with (the seed quotes none of them): cosm_set_state,
 * cosm_set_shutdown_status, cosm_find_cdev_by_id, cosm_hw_reset, cosm_start, cosm_stop,
 * cosm_reset_trigger_work, cosm_reset, cosm_shutdown, cosm_driver_remove, and
 * cosm_unregister_device with the driver core's part of device_unregister. Written after
 * drivers/mic-cosm.ts, which follows Linux 4.4-5.9; left out as there: the firmware download's
 * credentials, force_reset, cosm_suspend, the debugfs directory, the sysfs show/store wrappers
 * (the adapter calls these directly, as a write to the `state` file does).
 */
#include "cosm_main.h"

const char * const cosm_state_string[] = {
	[MIC_READY] = "ready",
	[MIC_BOOTING] = "booting",
	[MIC_ONLINE] = "online",
	[MIC_SHUTTING_DOWN] = "shutting_down",
	[MIC_RESETTING] = "resetting",
	[MIC_RESET_FAILED] = "reset_failed",
};

#define MIC_RESET_TO 45

/* The devices on the COSM bus, as cosm_add_device() registers them (the adapter does). */
static struct cosm_device *cosm_devices[8];
static int n_cosm_devices;
static DEFINE_SPINLOCK(cosm_bus_klist_lock);

/* cosm_main.h: the new state, and sysfs_notify_dirent() wakes mpssd (on every call). */
void cosm_set_state(struct cosm_device *cdev, u8 state)
{
	dev_dbg(&cdev->dev, "State %s -> %s\n", cosm_state_string[cdev->state],
		cosm_state_string[state]);
	cdev->state = state;
	sysfs_notify(&cdev->dev.kobj, NULL, "state");
}

/* cosm_sysfs.c */
void cosm_set_shutdown_status(struct cosm_device *cdev, u8 shutdown_status)
{
	dev_dbg(&cdev->dev, "Shutdown Status %d -> %d\n", cdev->shutdown_status,
		shutdown_status);
	cdev->shutdown_status = shutdown_status;
	sysfs_notify(&cdev->dev.kobj, NULL, "shutdown_status");
}

/* cosm_bus.c: subsys_find_device_by_id() walks the bus's klist (its spinlock held for each
 * step of the iterator, which keeps a reference on the node it stands on) and takes a
 * reference on the device it finds. A device whose device_del() has run klist_del is not on
 * the list any more. */
struct cosm_device *cosm_find_cdev_by_id(int id)
{
	struct cosm_device *found = NULL;

	spin_lock(&cosm_bus_klist_lock);
	for (int i = 0; i < n_cosm_devices; i++)
		if (cosm_devices[i] && cosm_devices[i]->index == id)
			found = cosm_devices[i];
	spin_unlock(&cosm_bus_klist_lock);
	return found ? container_of(get_device(&found->dev), struct cosm_device, dev) : NULL;
}

static void cosm_hw_reset(struct cosm_device *cdev, bool force)
{
	int i;

	if (force && cdev->hw_ops->force_reset)
		cdev->hw_ops->force_reset(cdev);
	else
		cdev->hw_ops->reset(cdev);

	for (i = 0; i < MIC_RESET_TO; i++) {
		if (cdev->hw_ops->ready(cdev)) {
			cosm_set_state(cdev, MIC_READY);
			return;
		}
		/* Resets typically take 10s of seconds to complete */
		msleep(1000);
	}
	cosm_set_state(cdev, MIC_RESET_FAILED);
}

int cosm_start(struct cosm_device *cdev)
{
	int rc;

	mutex_lock(&cdev->cosm_mutex);
	if (!cdev->bootmode) {
		dev_err(&cdev->dev, "%s %d bootmode not set\n", __func__, __LINE__);
		rc = -EINVAL;
		goto unlock_ret;
	}
retry:
	if (cdev->state != MIC_READY) {
		dev_err(&cdev->dev, "%s %d MIC state not READY\n", __func__, __LINE__);
		rc = -EINVAL;
		goto unlock_ret;
	}
	if (!cdev->hw_ops->ready(cdev)) {
		cosm_hw_reset(cdev, false);
		/* The state will either be MIC_READY or MIC_RESET_FAILED here */
		goto retry;
	}
	rc = cdev->hw_ops->start(cdev, cdev->index);
	if (rc)
		goto unlock_ret;
	/*
	 * If linux is being booted, card is treated 'online' only
	 * when the scif interface in the card is up. If anything else
	 * is booted, we set card to 'online' immediately.
	 */
	if (!strcmp(cdev->bootmode, "linux"))
		cosm_set_state(cdev, MIC_BOOTING);
	else
		cosm_set_state(cdev, MIC_ONLINE);
unlock_ret:
	mutex_unlock(&cdev->cosm_mutex);
	if (rc)
		dev_err(&cdev->dev, "cosm_start failed rc %d\n", rc);
	return rc;
}

void cosm_stop(struct cosm_device *cdev, bool force)
{
	mutex_lock(&cdev->cosm_mutex);
	if (cdev->state != MIC_READY || force) {
		/*
		 * Don't call hw_ops if they have been called previously.
		 * stop(..) calls device_unregister and will crash the system if
		 * called multiple times.
		 */
		u8 state = cdev->state == MIC_RESETTING ?
					cdev->prev_state : cdev->state;
		bool call_hw_ops = state != MIC_RESET_FAILED &&
					state != MIC_READY;

		if (cdev->state != MIC_RESETTING)
			cosm_set_state(cdev, MIC_RESETTING);
		cdev->heartbeat_watchdog_enable = false;
		if (call_hw_ops)
			cdev->hw_ops->stop(cdev, force);
		cosm_hw_reset(cdev, force);
		cosm_set_shutdown_status(cdev, MIC_NOP);
		if (call_hw_ops && cdev->hw_ops->post_reset)
			cdev->hw_ops->post_reset(cdev, cdev->state);
	}
	mutex_unlock(&cdev->cosm_mutex);
	flush_work(&cdev->scif_work);
}

void cosm_reset_trigger_work(struct work_struct *work)
{
	struct cosm_device *cdev = container_of(work, struct cosm_device,
						reset_trigger_work);

	cosm_stop(cdev, false);
}

int cosm_reset(struct cosm_device *cdev)
{
	int rc = 0;

	mutex_lock(&cdev->cosm_mutex);
	if (cdev->state != MIC_READY) {
		if (cdev->state != MIC_RESETTING) {
			cdev->prev_state = cdev->state;
			cosm_set_state(cdev, MIC_RESETTING);
			schedule_work(&cdev->reset_trigger_work);
		} else {
			dev_err(&cdev->dev, "%s %d MIC is RESETTING\n", __func__, __LINE__);
			rc = -EINVAL;
		}
	} else {
		dev_err(&cdev->dev, "%s %d MIC is READY\n", __func__, __LINE__);
		rc = -EINVAL;
	}
	mutex_unlock(&cdev->cosm_mutex);
	return rc;
}

int cosm_shutdown(struct cosm_device *cdev)
{
	struct cosm_msg msg = { .id = COSM_MSG_SHUTDOWN };
	int rc = 0;

	mutex_lock(&cdev->cosm_mutex);
	if (cdev->state != MIC_ONLINE) {
		rc = -EINVAL;
		dev_err(&cdev->dev, "%s %d skipping shutdown in state: %s\n",
			__func__, __LINE__, cosm_state_string[cdev->state]);
		goto err;
	}

	if (!cdev->epd) {
		rc = -ENOTCONN;
		dev_err(&cdev->dev, "%s %d scif endpoint not connected rc %d\n",
			__func__, __LINE__, rc);
		goto err;
	}

	rc = scif_send(cdev->epd, &msg, sizeof(msg), SCIF_SEND_BLOCK);
	if (rc < 0) {
		dev_err(&cdev->dev, "%s %d scif_send failed rc %d\n",
			__func__, __LINE__, rc);
		goto err;
	}
	cdev->heartbeat_watchdog_enable = false;
	cosm_set_state(cdev, MIC_SHUTTING_DOWN);
	rc = 0;
err:
	mutex_unlock(&cdev->cosm_mutex);
	return rc;
}

/* cosm_main.c: g_num_dev, the probed devices (cosm_driver_probe adds one each; the adapter). */
static int g_num_dev;

/*
 * cosm_main.c cosm_driver_remove. Linux stops the card (cosm_stop flushes scif_work) and only
 * then, for the last device, cosm_scif_exit stops the server thread. The fix of finding 5
 * (docs/mic-cosm.md) stops the server first, so that cosm_stop's flush catches a work the
 * server queued meanwhile; its patch to cosm_scif_server.c defines COSM_SCIF_EXIT_FIRST (the
 * harness patches only the seed, and this function is the reconstruction's).
 */
static void cosm_driver_remove(struct cosm_device *cdev)
{
	/* device_destroy(g_cosm_class, ...): the sysfs files go (their writers returned). */
	cdev->sdev = NULL;
	flush_work(&cdev->reset_trigger_work);
#ifdef COSM_SCIF_EXIT_FIRST
	if (--g_num_dev == 0)
		cosm_scif_exit();
	cosm_stop(cdev, false);
#else
	cosm_stop(cdev, false);
	if (--g_num_dev == 0)
		cosm_scif_exit();
#endif
	/* These sysfs entries might have allocated */
	kfree(cdev->cmdline);
	kfree(cdev->firmware);
	kfree(cdev->ramdisk);
}

/* cosm_bus.c cosm_unregister_device: device_unregister() = device_del() (bus_remove_device:
 * klist_del, then the driver's remove) and put_device() of the bus's reference. */
void cosm_unregister_device(struct cosm_device *cdev)
{
	spin_lock(&cosm_bus_klist_lock);
	for (int i = 0; i < n_cosm_devices; i++)
		if (cosm_devices[i] == cdev)
			cosm_devices[i] = NULL;
	spin_unlock(&cosm_bus_klist_lock);
	cosm_driver_remove(cdev);
	put_device(&cdev->dev);
}
