/*
 * drivers/pci/doe.c of "[PATCH 2/5] PCI/DOE: Add Data Object Exchange Aux Driver" (Ira Weiny,
 * v5 of the series, November 2021), extracted from the review that quotes it:
 *
 *     sources/pci-doe-review.txt, lines 81-670 (the lines starting "> +"; the
 *     reviewer's comments in between are left out).
 *
 * This is the code AS WRITTEN. The fixes of docs/pci-doe.md's findings are patches on top
 * (patches/, listed in harness.json); the harness builds the variant a run asks for.
 *
 * Marks, so that every line that is not the seed's can be found:
 *   HARNESS CHANGE   the seed's line changed, where a kernel-only construct has no meaning
 *                    here or a model bound replaces a constant; the seed's line is quoted.
 *   RECONSTRUCTED    the seed elides this function ("..." at the line given); the smallest
 *                    version consistent with the quoted code, taken from the neighbouring
 *                    versions of the same series (v4, and v6 that applied this review) and
 *                    from drivers/pci/doe.c as merged in Linux 6.0 where they agree.
 * Everything else is the seed's text, byte for byte (tabs included).
 */

// SPDX-License-Identifier: GPL-2.0
/*
 * Data Object Exchange ECN
 * https://members.pcisig.com/wg/PCI-SIG/document/14143
 *
 * Copyright (C) 2021 Huawei
 *     Jonathan Cameron <Jonathan.Cameron@xxxxxxxxxx>
 */

#include <linux/bitfield.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/pci-doe.h>
#include <linux/workqueue.h>
#include <linux/module.h>

#define PCI_DOE_PROTOCOL_DISCOVERY 0

/* HARNESS CHANGE (line 102, "#define PCI_DOE_BUSY_MAX_RETRIES 16"): the model's bound
 * busyRetries, so that vectors at small bounds exercise the give-up path. */
#define PCI_DOE_BUSY_MAX_RETRIES ((unsigned int)harness_bound("busyRetries", 16))
/* HARNESS CHANGE (line 103, "#define PCI_DOE_POLL_INTERVAL (HZ / 128)"): the model's bound
 * pollInterval (HZ / 128 in ticks), because the harness runs at HZ = the bound hz (4 ticks to
 * the second by default), where HZ / 128 would be 0. */
#define PCI_DOE_POLL_INTERVAL ((unsigned long)harness_bound("pollInterval", 1))

/* Timeout of 1 second from 6.xx.1 (Operation), ECN - Data Object Exchange */
#define PCI_DOE_TIMEOUT HZ

enum pci_doe_state {
	DOE_IDLE,
	DOE_WAIT_RESP,
	DOE_WAIT_ABORT,
	DOE_WAIT_ABORT_ON_ERR,
};

/*
 * struct pci_doe_task - description of a query / response task
 * @ex: The details of the task to be done
 * @rv: Return value.  Length of received response or error
 * @cb: Callback for completion of task
 * @private: Private data passed to callback on completion
 */
struct pci_doe_task {
	struct pci_doe_exchange *ex;
	int rv;
	void (*cb)(void *private);
	void *private;
};

/**
 * struct pci_doe - A single DOE mailbox driver
 *
 * @doe_dev: The DOE Auxiliary device being driven
 * @abort_c: Completion used for initial abort handling
 * @irq: Interrupt used for signaling DOE ready or abort
 * @irq_name: Name used to identify the irq for a particular DOE
 * @prots: Array of identifiers for protocols supported
 * @num_prots: Size of prots array
 * @cur_task: Current task the state machine is working on
 * @wq: Wait queue to wait on if a query is in progress
 * @state_lock: Protect the state of cur_task, abort, and dead
 * @statemachine: Work item for the DOE state machine
 * @state: Current state of this DOE
 * @timeout_jiffies: 1 second after GO set
 * @busy_retries: Count of retry attempts
 * @abort: Request a manual abort (e.g. on init)
 * @dead: Used to mark a DOE for which an ABORT has timed out. Further messages
 *        will immediately be aborted with error
 */
struct pci_doe {
	struct pci_doe_dev *doe_dev;
	struct completion abort_c;
	int irq;
	char *irq_name;
	struct pci_doe_protocol *prots;
	int num_prots;

	struct pci_doe_task *cur_task;
	wait_queue_head_t wq;
	struct mutex state_lock;
	struct delayed_work statemachine;
	enum pci_doe_state state;
	unsigned long timeout_jiffies;
	unsigned int busy_retries;
	unsigned int abort:1;
	unsigned int dead:1;
};

static irqreturn_t pci_doe_irq(int irq, void *data)
{
	struct pci_doe *doe = data;
	struct pci_dev *pdev = doe->doe_dev->pdev;
	int offset = doe->doe_dev->cap_offset;
	u32 val;

	pci_read_config_dword(pdev, offset + PCI_DOE_STATUS, &val);
	if (FIELD_GET(PCI_DOE_STATUS_INT_STATUS, val)) {
		pci_write_config_dword(pdev, offset + PCI_DOE_STATUS, val);
		mod_delayed_work(system_wq, &doe->statemachine, 0);
		return IRQ_HANDLED;
	}
	/* Leave the error case to be handled outside IRQ */
	if (FIELD_GET(PCI_DOE_STATUS_ERROR, val)) {
		mod_delayed_work(system_wq, &doe->statemachine, 0);
		return IRQ_HANDLED;
	}

	/*
	 * Busy being cleared can result in an interrupt, but as
	 * the original Busy may not have been detected, there is no
	 * way to separate such an interrupt from a spurious interrupt.
	 */
	return IRQ_HANDLED;
}

/*
 * RECONSTRUCTED (the seed elides the functions between pci_doe_irq() and
 * pci_doe_task_complete(): "..." at line 258): pci_doe_abort_start(), pci_doe_send_req() and
 * pci_doe_recv_resp() as v4/v6 of the series have them. The control register is written
 * with Interrupt Enable kept set in IRQ mode (v5's pci_doe_write_ctrl()).
 */
static void pci_doe_write_ctrl(struct pci_doe *doe, u32 val)
{
	struct pci_dev *pdev = doe->doe_dev->pdev;
	int offset = doe->doe_dev->cap_offset;

	if (doe->irq > 0)
		val |= PCI_DOE_CTRL_INT_EN;
	pci_write_config_dword(pdev, offset + PCI_DOE_CTRL, val);
}

static void pci_doe_abort_start(struct pci_doe *doe)
{
	pci_doe_write_ctrl(doe, PCI_DOE_CTRL_ABORT);

	doe->timeout_jiffies = jiffies + HZ;
	schedule_delayed_work(&doe->statemachine, HZ);
}

static int pci_doe_send_req(struct pci_doe *doe, struct pci_doe_exchange *ex)
{
	struct pci_dev *pdev = doe->doe_dev->pdev;
	int offset = doe->doe_dev->cap_offset;
	u32 val;
	int i;

	/*
	 * Check the DOE busy bit is not set. If it is set, this could indicate
	 * someone other than Linux (e.g. firmware) is using the mailbox. Note
	 * it is expected that firmware and OS will negotiate access rights via
	 * an, as yet to be defined method.
	 */
	pci_read_config_dword(pdev, offset + PCI_DOE_STATUS, &val);
	if (FIELD_GET(PCI_DOE_STATUS_BUSY, val))
		return -EBUSY;

	if (FIELD_GET(PCI_DOE_STATUS_ERROR, val))
		return -EIO;

	/* Write DOE Header */
	val = FIELD_PREP(PCI_DOE_DATA_OBJECT_HEADER_1_VID, ex->prot.vid) |
		FIELD_PREP(PCI_DOE_DATA_OBJECT_HEADER_1_TYPE, ex->prot.type);
	pci_write_config_dword(pdev, offset + PCI_DOE_WRITE, val);
	/* Length is 2 DW of header + length of payload in DW */
	pci_write_config_dword(pdev, offset + PCI_DOE_WRITE,
			       FIELD_PREP(PCI_DOE_DATA_OBJECT_HEADER_2_LENGTH,
					  2 + ex->request_pl_sz / sizeof(u32)));
	for (i = 0; i < ex->request_pl_sz / sizeof(u32); i++)
		pci_write_config_dword(pdev, offset + PCI_DOE_WRITE,
				       ex->request_pl[i]);

	pci_doe_write_ctrl(doe, PCI_DOE_CTRL_GO);
	return 0;
}

static int pci_doe_recv_resp(struct pci_doe *doe, struct pci_doe_exchange *ex)
{
	struct pci_dev *pdev = doe->doe_dev->pdev;
	int offset = doe->doe_dev->cap_offset;
	size_t length;
	u32 val;
	int i;

	/* Read the first dword to get the protocol */
	pci_read_config_dword(pdev, offset + PCI_DOE_READ, &val);
	if ((FIELD_GET(PCI_DOE_DATA_OBJECT_HEADER_1_VID, val) != ex->prot.vid) ||
	    (FIELD_GET(PCI_DOE_DATA_OBJECT_HEADER_1_TYPE, val) != ex->prot.type)) {
		pci_err(pdev,
			"Expected [VID, Protocol] = [%x, %x], got [%x, %x]\n",
			ex->prot.vid, ex->prot.type,
			(u32)FIELD_GET(PCI_DOE_DATA_OBJECT_HEADER_1_VID, val),
			(u32)FIELD_GET(PCI_DOE_DATA_OBJECT_HEADER_1_TYPE, val));
		return -EIO;
	}

	pci_write_config_dword(pdev, offset + PCI_DOE_READ, 0);
	/* Read the second dword to get the length */
	pci_read_config_dword(pdev, offset + PCI_DOE_READ, &val);
	pci_write_config_dword(pdev, offset + PCI_DOE_READ, 0);

	length = FIELD_GET(PCI_DOE_DATA_OBJECT_HEADER_2_LENGTH, val);
	if (length > SZ_1M || length < 2)
		return -EIO;

	/* First 2 dwords have already been read */
	length -= 2;
	/* Read the rest of the response payload */
	for (i = 0; i < min(length, ex->response_pl_sz / sizeof(u32)); i++) {
		pci_read_config_dword(pdev, offset + PCI_DOE_READ,
				      &ex->response_pl[i]);
		pci_write_config_dword(pdev, offset + PCI_DOE_READ, 0);
	}

	/* Flush excess length */
	for (; i < length; i++) {
		pci_read_config_dword(pdev, offset + PCI_DOE_READ, &val);
		pci_write_config_dword(pdev, offset + PCI_DOE_READ, 0);
	}
	/* Final error check to pick up on any since Data Object Ready */
	pci_read_config_dword(pdev, offset + PCI_DOE_STATUS, &val);
	if (FIELD_GET(PCI_DOE_STATUS_ERROR, val))
		return -EIO;

	return min(length, ex->response_pl_sz / sizeof(u32)) * sizeof(u32);
}


static void pci_doe_task_complete(void *private)
{
	complete(private);
}

static void doe_statemachine_work(struct work_struct *work)
{
	struct delayed_work *w = to_delayed_work(work);
	struct pci_doe *doe = container_of(w, struct pci_doe, statemachine);
	struct pci_dev *pdev = doe->doe_dev->pdev;
	int offset = doe->doe_dev->cap_offset;
	struct pci_doe_task *task;
	bool abort;
	u32 val;
	int rc;

	mutex_lock(&doe->state_lock);
	task = doe->cur_task;
	abort = doe->abort;
	doe->abort = false;
	mutex_unlock(&doe->state_lock);

	if (abort) {
		/*
		 * Currently only used during init - care needed if
		 * pci_doe_abort() is generally exposed as it would impact
		 * queries in flight.
		 */
		WARN_ON(task);
		doe->state = DOE_WAIT_ABORT;
		pci_doe_abort_start(doe);
		return;
	}

	switch (doe->state) {
	case DOE_IDLE:
		if (task == NULL)
			return;

		/* Nothing currently in flight so queue a task */
		rc = pci_doe_send_req(doe, task->ex);
		/*
		 * The specification does not provide any guidance on how long
		 * some other entity could keep the DOE busy, so try for 1
		 * second then fail. Busy handling is best effort only, because
		 * there is no way of avoiding racing against another user of
		 * the DOE.
		 */
		if (rc == -EBUSY) {
			doe->busy_retries++;
			if (doe->busy_retries == PCI_DOE_BUSY_MAX_RETRIES) {
				/* Long enough, fail this request */
				pci_WARN(pdev, true, "DOE busy for too long\n");
				doe->busy_retries = 0;
				goto err_busy;
			}
			schedule_delayed_work(w, HZ / PCI_DOE_BUSY_MAX_RETRIES);
			return;
		}
		if (rc)
			goto err_abort;
		doe->busy_retries = 0;

		doe->state = DOE_WAIT_RESP;
		doe->timeout_jiffies = jiffies + HZ;
		/* Now poll or wait for IRQ with timeout */
		if (doe->irq > 0)
			schedule_delayed_work(w, PCI_DOE_TIMEOUT);
		else
			schedule_delayed_work(w, PCI_DOE_POLL_INTERVAL);
		return;

	case DOE_WAIT_RESP:
		/* Not possible to get here with NULL task */
		pci_read_config_dword(pdev, offset + PCI_DOE_STATUS, &val);
		if (FIELD_GET(PCI_DOE_STATUS_ERROR, val)) {
			rc = -EIO;
			goto err_abort;
		}

		if (!FIELD_GET(PCI_DOE_STATUS_DATA_OBJECT_READY, val)) {
			/* If not yet at timeout reschedule otherwise abort */
			if (time_after(jiffies, doe->timeout_jiffies)) {
				rc = -ETIMEDOUT;
				goto err_abort;
			}
			schedule_delayed_work(w, PCI_DOE_POLL_INTERVAL);
			return;
		}

		rc  = pci_doe_recv_resp(doe, task->ex);
		if (rc < 0)
			goto err_abort;

		doe->state = DOE_IDLE;

		mutex_lock(&doe->state_lock);
		doe->cur_task = NULL;
		mutex_unlock(&doe->state_lock);
		wake_up_interruptible(&doe->wq);

		/* Set the return value to the length of received payload */
		task->rv = rc;
		task->cb(task->private);

		return;

	case DOE_WAIT_ABORT:
	case DOE_WAIT_ABORT_ON_ERR:
		pci_read_config_dword(pdev, offset + PCI_DOE_STATUS, &val);

		if (!FIELD_GET(PCI_DOE_STATUS_ERROR, val) &&
		    !FIELD_GET(PCI_DOE_STATUS_BUSY, val)) {
			/* Back to normal state - carry on */
			mutex_lock(&doe->state_lock);
			doe->cur_task = NULL;
			mutex_unlock(&doe->state_lock);
			wake_up_interruptible(&doe->wq);

			/*
			 * For deliberately triggered abort, someone is
			 * waiting.
			 */
			if (doe->state == DOE_WAIT_ABORT)
				complete(&doe->abort_c);

			doe->state = DOE_IDLE;
			return;
		}
		if (time_after(jiffies, doe->timeout_jiffies)) {
			/* Task has timed out and is dead - abort */
			pci_err(pdev, "DOE ABORT timed out\n");
			mutex_lock(&doe->state_lock);
			doe->dead = true;
			doe->cur_task = NULL;
			mutex_unlock(&doe->state_lock);
			wake_up_interruptible(&doe->wq);

			if (doe->state == DOE_WAIT_ABORT)
				complete(&doe->abort_c);
		}
		return;
	}

err_abort:
	doe->state = DOE_WAIT_ABORT_ON_ERR;
	pci_doe_abort_start(doe);
err_busy:
	task->rv = rc;
	task->cb(task->private);
	/* If here via err_busy, signal the task done. */
	if (doe->state == DOE_IDLE) {
		mutex_lock(&doe->state_lock);
		doe->cur_task = NULL;
		mutex_unlock(&doe->state_lock);
		wake_up_interruptible(&doe->wq);
	}
}

/**
 * pci_doe_exchange_sync() - Send a request, then wait for and receive a response
 * @doe: DOE mailbox state structure
 * @ex: Description of the buffers and Vendor ID + type used in this
 *      request/response pair
 *
 * Excess data will be discarded.
 *
 * RETURNS: payload in bytes on success, < 0 on error
 */
int pci_doe_exchange_sync(struct pci_doe_dev *doe_dev, struct pci_doe_exchange *ex)
{
	struct pci_doe *doe = dev_get_drvdata(&doe_dev->adev.dev);
	struct pci_doe_task task;
	DECLARE_COMPLETION_ONSTACK(c);

	if (!doe)
		return -EAGAIN;

	/* DOE requests must be a whole number of DW */
	if (ex->request_pl_sz % sizeof(u32))
		return -EINVAL;

	task.ex = ex;
	task.cb = pci_doe_task_complete;
	task.private = &c;

again:
	mutex_lock(&doe->state_lock);
	if (doe->cur_task) {
		mutex_unlock(&doe->state_lock);
		wait_event_interruptible(doe->wq, doe->cur_task == NULL);
		goto again;
	}

	if (doe->dead) {
		mutex_unlock(&doe->state_lock);
		return -EIO;
	}
	doe->cur_task = &task;
	schedule_delayed_work(&doe->statemachine, 0);
	mutex_unlock(&doe->state_lock);

	wait_for_completion(&c);

	return task.rv;
}
EXPORT_SYMBOL_GPL(pci_doe_exchange_sync);

/**
 * pci_doe_supports_prot() - Return if the DOE instance supports the given protocol
 * @pdev: Device on which to find the DOE instance
 * @vid: Protocol Vendor ID
 * @type: protocol type
 *
 * This device can then be passed to pci_doe_exchange_sync() to execute a mailbox
 * exchange through that DOE mailbox.
 *
 * RETURNS: True if the DOE device supports the protocol specified
 */
bool pci_doe_supports_prot(struct pci_doe_dev *doe_dev, u16 vid, u8 type)
{
	struct pci_doe *doe = dev_get_drvdata(&doe_dev->adev.dev);
	int i;

	if (!doe)
		return false;

	for (i = 0; i < doe->num_prots; i++)
		if ((doe->prots[i].vid == vid) &&
		    (doe->prots[i].type == type))
			return true;

	return false;
}
EXPORT_SYMBOL_GPL(pci_doe_supports_prot);

/*
 * RECONSTRUCTED (elided: "..." at line 522): pci_doe_abort(), pci_doe_cache_protocols() and
 * pci_doe_reg_irq(), as v4/v6 of the series have them.
 */
static int pci_doe_abort(struct pci_doe *doe)
{
	reinit_completion(&doe->abort_c);
	mutex_lock(&doe->state_lock);
	doe->abort = true;
	mutex_unlock(&doe->state_lock);
	schedule_delayed_work(&doe->statemachine, 0);
	wait_for_completion(&doe->abort_c);

	if (doe->dead)
		return -EIO;

	return 0;
}

/*
 * RECONSTRUCTED (elided: "..." at line 522): pci_doe_discovery() and
 * pci_doe_cache_protocols() as v4 of the series has them: the discovery protocol's request
 * carries an index, its response the protocol at that index and the next index (0: the last).
 */
#define PCI_VENDOR_ID_PCI_SIG 0x0001
#define PCI_DOE_DATA_OBJECT_DISC_REQ_3_INDEX GENMASK(7, 0)
#define PCI_DOE_DATA_OBJECT_DISC_RSP_3_VID GENMASK(15, 0)
#define PCI_DOE_DATA_OBJECT_DISC_RSP_3_PROTOCOL GENMASK(23, 16)
#define PCI_DOE_DATA_OBJECT_DISC_RSP_3_NEXT_INDEX GENMASK(31, 24)

static int pci_doe_discovery(struct pci_doe *doe, u8 *index, u16 *vid, u8 *protocol)
{
	u32 request_pl = FIELD_PREP(PCI_DOE_DATA_OBJECT_DISC_REQ_3_INDEX, *index);
	u32 response_pl;
	struct pci_doe_exchange ex = {
		.prot.vid = PCI_VENDOR_ID_PCI_SIG,
		.prot.type = PCI_DOE_PROTOCOL_DISCOVERY,
		.request_pl = &request_pl,
		.request_pl_sz = sizeof(request_pl),
		.response_pl = &response_pl,
		.response_pl_sz = sizeof(response_pl),
	};
	int ret;

	ret = pci_doe_exchange_sync(doe->doe_dev, &ex);
	if (ret < 0)
		return ret;

	if (ret != sizeof(response_pl))
		return -EIO;

	*vid = FIELD_GET(PCI_DOE_DATA_OBJECT_DISC_RSP_3_VID, response_pl);
	*protocol = FIELD_GET(PCI_DOE_DATA_OBJECT_DISC_RSP_3_PROTOCOL, response_pl);
	*index = FIELD_GET(PCI_DOE_DATA_OBJECT_DISC_RSP_3_NEXT_INDEX, response_pl);

	return 0;
}

static int pci_doe_cache_protocols(struct pci_doe *doe)
{
	u8 index = 0;
	int num_prots;
	int rc;

	/* Discovery protocol must always be supported and must report itself */
	num_prots = 1;
	doe->prots = kcalloc(num_prots, sizeof(*doe->prots), GFP_KERNEL);
	if (!doe->prots)
		return -ENOMEM;

	do {
		struct pci_doe_protocol *prot;

		prot = &doe->prots[num_prots - 1];
		rc = pci_doe_discovery(doe, &index, &prot->vid, &prot->type);
		if (rc)
			goto err_free_prots;

		if (index) {
			struct pci_doe_protocol *prot_new;

			num_prots++;
			prot_new = krealloc(doe->prots, sizeof(*doe->prots) * num_prots,
					    GFP_KERNEL);
			if (!prot_new) {
				rc = -ENOMEM;
				goto err_free_prots;
			}
			doe->prots = prot_new;
		}
	} while (index);

	doe->num_prots = num_prots;
	return 0;

err_free_prots:
	kfree(doe->prots);
	return rc;
}

static int pci_doe_reg_irq(struct pci_doe *doe)
{
	struct pci_doe_dev *doe_dev = doe->doe_dev;
	struct pci_dev *pdev = doe_dev->pdev;
	int offset = doe_dev->cap_offset;
	int irq, rc;
	u32 val;

	pci_read_config_dword(pdev, offset + PCI_DOE_CAP, &val);

	if (!FIELD_GET(PCI_DOE_CAP_INT_SUP, val))
		return 0;

	irq = pci_irq_vector(pdev, FIELD_GET(PCI_DOE_CAP_INT_MSG_NUM, val));
	if (irq < 0)
		return irq;

	doe->irq_name = kasprintf(GFP_KERNEL, "DOE[%s]_%x", doe_dev->adev.name,
				  offset);
	if (!doe->irq_name)
		return -ENOMEM;

	rc = request_irq(irq, pci_doe_irq, 0, doe->irq_name, doe);
	if (rc) {
		kfree(doe->irq_name);
		return rc;
	}

	doe->irq = irq;
	pci_write_config_dword(pdev, offset + PCI_DOE_CTRL,
			       PCI_DOE_CTRL_INT_EN);
	return 0;
}

static void pci_doe_release_irq(struct pci_doe *doe)
{
	if (doe->irq > 0)
		free_irq(doe->irq, doe);
}

/*
 * RECONSTRUCTED (elided: "..." at line 535): pci_doe_register(), as v4/v6 of the series
 * have it: the IRQ when MSI is enabled, then the init-time abort; on failure the IRQ is
 * released (err_free_irqs) and pci_doe_probe() frees the doe (lines 582-584, 598-599).
 */
static int pci_doe_register(struct pci_doe *doe)
{
	struct pci_dev *pdev = doe->doe_dev->pdev;
	bool poll = !pci_dev_msi_enabled(pdev);
	int rc;

	if (!poll) {
		rc = pci_doe_reg_irq(doe);
		if (rc)
			return rc;
	}

	/* Reset the mailbox by issuing an abort */
	rc = pci_doe_abort(doe);
	if (rc)
		goto err_free_irqs;

	/* Ensure the pci device remains until this driver is done with it */
	get_device(&pdev->dev);

	return 0;

err_free_irqs:
	pci_doe_release_irq(doe);
	kfree(doe->irq_name);
	return rc;
}


static void pci_doe_unregister(struct pci_doe *doe)
{
	pci_doe_release_irq(doe);
	kfree(doe->irq_name);
	put_device(&doe->doe_dev->pdev->dev);
}

/*
 * pci_doe_probe() - Set up the Mailbox
 * @aux_dev: Auxiliary Device
 * @id: Auxiliary device ID
 *
 * Probe the mailbox found for all protocols and set up the Mailbox
 *
 * RETURNS: 0 on success, < 0 on error
 */
static int pci_doe_probe(struct auxiliary_device *aux_dev,
			 const struct auxiliary_device_id *id)
{
	struct pci_doe_dev *doe_dev = container_of(aux_dev,
					struct pci_doe_dev,
					adev);
	struct pci_doe *doe;
	int rc;

	doe = kzalloc(sizeof(*doe), GFP_KERNEL);
	if (!doe)
		return -ENOMEM;

	mutex_init(&doe->state_lock);
	init_completion(&doe->abort_c);
	doe->doe_dev = doe_dev;
	init_waitqueue_head(&doe->wq);
	INIT_DELAYED_WORK(&doe->statemachine, doe_statemachine_work);
	dev_set_drvdata(&aux_dev->dev, doe);

	rc = pci_doe_register(doe);
	if (rc)
		goto err_free;

	rc = pci_doe_cache_protocols(doe);
	if (rc) {
		pci_doe_unregister(doe);
		goto err_free;
	}

	return 0;

err_free:
	kfree(doe);
	return rc;
}

static void pci_doe_remove(struct auxiliary_device *aux_dev)
{
	struct pci_doe *doe = dev_get_drvdata(&aux_dev->dev);

	/* First halt the state machine */
	cancel_delayed_work_sync(&doe->statemachine);
	kfree(doe->prots);
	pci_doe_unregister(doe);
	kfree(doe);
}

static const struct auxiliary_device_id pci_doe_auxiliary_id_table[] = {
	{.name = "cxl_pci.doe", },
	{},
};

MODULE_DEVICE_TABLE(auxiliary, pci_doe_auxiliary_id_table);

struct auxiliary_driver pci_doe_auxiliary_drv = {
	.name = "pci_doe_drv",
	.id_table = pci_doe_auxiliary_id_table,
	.probe = pci_doe_probe,
	.remove = pci_doe_remove
};

static int __init pci_doe_init_module(void)
{
	int ret;

	ret = auxiliary_driver_register(&pci_doe_auxiliary_drv);
	if (ret) {
		pr_err("Failed pci_doe auxiliary_driver_register() ret=%d\n",
		       ret);
		return ret;
	}

	return 0;
}

static void __exit pci_doe_exit_module(void)
{
	auxiliary_driver_unregister(&pci_doe_auxiliary_drv);
}

module_init(pci_doe_init_module);
module_exit(pci_doe_exit_module);
MODULE_LICENSE("GPL v2");
