// SPDX-License-Identifier: MIT
/*
 * pci-doe: the seed's doe.c behind the harness. Three parts:
 *
 *   1. the DOE mailbox as the device presents it (registers, MSI, reply lengths, another user,
 *      an FLR), which the device_* and other_user_* events drive, as machines/pci-doe.ts's
 *      `device` region does;
 *   2. what an observer sees, as the model's outputs: the device decodes GO (request_written),
 *      ABORT (abort_written) and the last read of a response (response_read); a completion a
 *      caller sleeps on is its callback; the kernel log's "DOE ABORT timed out" is
 *      mailbox_dead; a caller's and the handler's return values;
 *   3. THE TABLE (rules[] and contexts[] at the bottom): which model event runs which
 *      context how far, and where each context's steps end (the *_boundary() functions: the
 *      model's step boundaries depend on the register and the driver's state, not only on
 *      the kind of yield point). Change it when the model's grain changes; docs/pci-doe.md,
 *      "Steps", is the model's side of it.
 *
 * The seed's file is included, so that its static functions are the entry points: the build
 * defines HARNESS_SEED as the as-written doe.c or a patched copy of it.
 */
/* The harness runs at HZ = the model's bound `hz` (ticks to the second), so that one `tick` is
 * one jiffy and PCI_DOE_TIMEOUT is `hz` ticks, as in the model. */
long harness_bound(const char *name, long fallback);
#define HZ ((unsigned long)harness_bound("hz", 250))

#include "../runner/adapter.h"

#ifndef HARNESS_SEED
#define HARNESS_SEED "doe.c"
#endif
#include HARNESS_SEED

#define CAP_OFFSET 0x100
#define DOE_IRQ 42
/* Contexts by caller index: 0 is probe's own frame (its discovery exchanges). */
#define MAX_CALLERS 8

/* ---------- 1. the mailbox device ---------- */

enum dev_phase {
	DEV_IDLE,
	OTHER_USER,
	PROCESSING,
	HUNG,
	RESPONSE,
	ERROR_SET,
	ABORTING,
	ABORT_HUNG,
};

/* The reply lengths, in the order the model's `lengths` bound switches them on
 * (src/model/device.ts REPLY_LENGTHS), as Length values for a one-dword response: exact
 * 3 DW, short 2 (no payload), long 4 (one dword to flush), zero 0 (the encoding of the largest
 * object, 2^18 DW: PCIe r6.0 6.30.1) and max 0x3FFFF. The device serves every dword of the
 * object; the model counts the flush loop as `1 / many` (docs/pci-doe-c.md says how the
 * table maps that onto the C's dword-by-dword loop). */
static const char *const LENGTH_KINDS[] = { "exact", "short", "long", "zero", "max" };
static const u32 LENGTH_VALUES[] = { 3, 2, 4, 0, 0x3ffff };
#define LARGEST_OBJECT (1u << 18)

/* The object's size in dwords that a Length field encodes (0: the largest). */
static u32 object_dwords(u32 length_field)
{
	return length_field ? length_field : LARGEST_OBJECT;
}

static struct {
	enum dev_phase phase;
	bool busy, error, data_object_ready, int_status, int_en;
	bool busy_clear_irq; /* BUSY clearing sets INT_STATUS (the ECN), chosen at probe */
	u32 write_mb[8];
	int n_write;
	u32 request_header; /* the request's first dword, as the device took it at GO */
	int request_task;   /* whose request it holds (the caller whose task cur_task was) */
	u32 read_mb[4];     /* the object's first dwords; the rest of it reads as 0 */
	int n_read, read_pos;
	bool bad;           /* the response's header does not match the request's */
	bool msi_pending;
} dev;

static struct pci_dev pdev;
static struct pci_doe_dev doe_dev;
static bool probed, ready, doe_freed;
static struct pci_doe_task *last_cur_task;
/* Each caller's task (on its stack), from when it is submitted; 0: probe's frame. */
static struct pci_doe_task *tasks[MAX_CALLERS];
/* What probe's frame's pci_doe_exchange_sync() will return (task.rv when c completed). */
static long probe_frame_rv;

static struct pci_doe *the_doe(void)
{
	return probed && !doe_freed ? dev_get_drvdata(&doe_dev.adev.dev) : NULL;
}

static int task_index(const struct pci_doe_task *task)
{
	for (int i = 0; i < MAX_CALLERS; i++)
		if (task && tasks[i] == task)
			return i;
	return -1;
}

/* INT_STATUS is set by Data Object Ready, ERROR and (per device) BUSY clearing; an MSI is
 * sent when "INT_EN AND INT_STATUS" rises (the ECN, quoted at lines 185-195). With
 * interrupts disabled nobody reads it, so it is tracked only while INT_EN is set, as in the
 * model. */
static void dev_set_int_status(void)
{
	if (!dev.int_en)
		return;
	if (!dev.int_status && kshim_irq_requested(DOE_IRQ))
		dev.msi_pending = true;
	dev.int_status = true;
}

static void dev_busy_clears(void)
{
	dev.busy = false;
	if (dev.busy_clear_irq)
		dev_set_int_status();
}

static u32 dev_read(struct pci_dev *p, int where)
{
	(void)p;
	switch (where - CAP_OFFSET) {
	case PCI_DOE_CAP:
		return PCI_DOE_CAP_INT_SUP | FIELD_PREP(PCI_DOE_CAP_INT_MSG_NUM, 0);
	case PCI_DOE_STATUS:
		return (dev.busy ? PCI_DOE_STATUS_BUSY : 0) |
		       (dev.int_status ? PCI_DOE_STATUS_INT_STATUS : 0) |
		       (dev.error ? PCI_DOE_STATUS_ERROR : 0) |
		       (dev.data_object_ready ? PCI_DOE_STATUS_DATA_OBJECT_READY : 0);
	case PCI_DOE_READ:
		return dev.phase == RESPONSE && dev.read_pos < dev.n_read &&
				       dev.read_pos < (int)ARRAY_SIZE(dev.read_mb)
			       ? dev.read_mb[dev.read_pos]
			       : 0;
	default:
		return 0;
	}
}

static void dev_write(struct pci_dev *p, int where, u32 val)
{
	(void)p;
	switch (where - CAP_OFFSET) {
	case PCI_DOE_STATUS: /* RW1C INT_STATUS; the rest is read-only */
		if (val & PCI_DOE_STATUS_INT_STATUS)
			dev.int_status = false;
		return;
	case PCI_DOE_CTRL: {
		bool was = dev.int_en && dev.int_status;

		dev.int_en = val & PCI_DOE_CTRL_INT_EN;
		if (!dev.int_en)
			dev.int_status = false;
		if (!was && dev.int_en && dev.int_status && kshim_irq_requested(DOE_IRQ))
			dev.msi_pending = true;
		if (val & PCI_DOE_CTRL_ABORT) {
			emit("abort_written", "%s", "");
			if (dev.phase != ABORTING && dev.phase != ABORT_HUNG) {
				dev.phase = ABORTING;
				dev.busy = true; /* from the ABORT write until it completes */
				dev.n_write = 0;
			}
		} else if (val & PCI_DOE_CTRL_GO) {
			struct pci_doe *doe = the_doe();
			int task = doe ? task_index(doe->cur_task) : -1;

			emit("request_written", "\"task\":%d", task);
			if (dev.phase == DEV_IDLE) {
				dev.phase = PROCESSING;
				dev.request_header = dev.write_mb[0];
				dev.request_task = task;
			} /* GO out of turn is ignored */
			dev.n_write = 0;
		}
		return;
	}
	case PCI_DOE_WRITE:
		if (dev.n_write < (int)ARRAY_SIZE(dev.write_mb))
			dev.write_mb[dev.n_write++] = val;
		return;
	case PCI_DOE_READ: /* any write advances the read mailbox */
		if (dev.phase == RESPONSE && dev.read_pos < dev.n_read) {
			dev.read_pos++;
			if (dev.read_pos == dev.n_read) {
				emit("response_read", "\"task\":%d", dev.request_task);
				dev.data_object_ready = false;
				dev.phase = DEV_IDLE;
			}
		}
		return;
	}
}

static const struct kshim_pci_device doe_device = { dev_read, dev_write };

/* A response to the request the device holds: its header echoed (or another protocol type
 * than the request's), the Length, and as payload a discovery response: the next index is
 * the request's index + 1 while `protocols` lasts, then 0. */
static void dev_respond(bool bad, u32 length)
{
	u32 index = FIELD_GET(PCI_DOE_DATA_OBJECT_DISC_REQ_3_INDEX, dev.write_mb[2]);
	u32 next = (long)index + 1 < harness_bound("protocols", 1) ? index + 1 : 0;

	dev.read_mb[0] = bad ? dev.request_header ^ (1u << 16) : dev.request_header;
	dev.read_mb[1] = FIELD_PREP(PCI_DOE_DATA_OBJECT_HEADER_2_LENGTH, length);
	dev.read_mb[2] = FIELD_PREP(PCI_DOE_DATA_OBJECT_DISC_RSP_3_VID, PCI_VENDOR_ID_PCI_SIG) |
			 FIELD_PREP(PCI_DOE_DATA_OBJECT_DISC_RSP_3_NEXT_INDEX, next);
	dev.read_mb[3] = 0;
	/* A bad header ends the read at the first dword; otherwise the object's Length. */
	dev.n_read = bad ? 3 : (int)object_dwords(length);
	dev.read_pos = 0;
	dev.bad = bad;
	dev.phase = RESPONSE;
	dev.data_object_ready = true;
	dev_set_int_status();
}

/* ---------- 2. what an observer sees ---------- */

static void on_log(enum klog_level level, const char *text);
static void (*runner_log)(enum klog_level, const char *);
static void on_completed(struct completion *c);

/* The worker stops before every register access, wake-up and completion (worker_boundary()
 * says which of those end a model step). */
#define WORK_STOPS (YBIT(Y_REG_READ) | YBIT(Y_REG_WRITE) | YBIT(Y_WAKE))

/* The worker's step: set at each boundary (worker_boundary), read by the rules' enabled(). */
static struct {
	const char *next;  /* the model event that runs the worker on from where it stopped */
	long flush_left;   /* work_recv_flush: the object's dwords still to read, this one included */
	bool flush_to_end; /* work_recv_flush{last: true} runs: the rest of the loop in one step */
	bool began_abort;  /* this run found doe->abort set (work_abort_start) */
	bool dead;         /* this run logged "DOE ABORT timed out" */
	bool called_back;  /* this run completed its task */
	int reads;         /* READ mailbox reads in this run's recv_resp */
	u32 length;        /* the object's size in dwords, by the Length field the work reads */
	long cb_rv;        /* the rv of the task it completed */
} work;

static struct kctx *worker(void)
{
	return harness_context("worker", -1);
}

static void on_log(enum klog_level level, const char *text)
{
	if (level == KLOG_ERR && strstr(text, "DOE ABORT timed out")) {
		emit("mailbox_dead", "%s", "");
		work.dead = true;
	}
	runner_log(level, text);
}

/* complete(&c) on the completion a caller sleeps on: that task's callback has run. */
static void on_completed(struct completion *c)
{
	for (int i = 0; i < MAX_CALLERS; i++) {
		struct kctx *k = i == 0 ? harness_context("probe", -1) : harness_context("caller", i);

		if (k->status == KCTX_BLOCKED && k->at == Y_WAIT_COMPLETION && k->wait_arg == c &&
		    tasks[i]) {
			emit("callback", "\"task\":%d,\"rc\":%d", i, tasks[i]->rv);
			if (i == 0)
				probe_frame_rv = tasks[i]->rv;
			if (kcurrent == worker()) {
				work.called_back = true;
				work.cb_rv = tasks[i]->rv;
				/* The model's step ends after complete(): the caller may return before
				 * the work reads doe->state (line 421). A yield point just after it. */
				kyield(Y_WAKE, "(complete() returned)");
			}
		}
	}
}

/* What the model's clock still reads of a freed doe (its deadline, its timer). */
static struct {
	enum pci_doe_state state;
	unsigned long timeout_jiffies;
	bool timer_pending;
} freed_doe;

static void on_freed(void *p)
{
	struct pci_doe *doe = p;

	if (probed && p == dev_get_drvdata(&doe_dev.adev.dev)) {
		doe_freed = true;
		freed_doe.state = doe->state;
		freed_doe.timeout_jiffies = doe->timeout_jiffies;
		freed_doe.timer_pending = doe->statemachine.timer.pending;
	}
}

/* A context ran: if doe->cur_task became caller i's task in this step, it was submitted
 * (line 480). */
static void submitted_check(int i)
{
	struct pci_doe *doe = the_doe();

	if (doe && doe->cur_task && doe->cur_task != last_cur_task) {
		tasks[i] = doe->cur_task;
		emit("task_submitted", "\"task\":%d", i);
		last_cur_task = doe->cur_task;
	}
}

/* Caller i slept in wait_event_interruptible() when a signal came: the signal, not a wake-up,
 * makes it runnable, and its next step tests the condition (the model's `signal` turns
 * `asleep` into `checking`: wait_check, not wake_recheck). Cleared once it runs. */
static bool signal_woke[MAX_CALLERS];

static void caller_ran(int i)
{
	signal_woke[i] = false;
	submitted_check(i);
}

static void probe_ran(int index)
{
	(void)index;
	submitted_check(0);
}

static void after_step(void)
{
	struct pci_doe *doe = the_doe();

	last_cur_task = doe ? doe->cur_task : NULL;
}

static void caller_finished(int i, long rc)
{
	tasks[i] = NULL;
	emit("exchange_return", "\"caller\":%d,\"rc\":%ld", i, rc);
}

static void irq_finished(int index, long ret)
{
	(void)index;
	emit("irq_return", "\"value\":\"%s\"", ret == IRQ_NONE ? "IRQ_NONE" : "IRQ_HANDLED");
}

static void probe_finished(int index, long rc)
{
	(void)index;
	ready = rc == 0;
}

/* ---------- where each context's steps end (docs/pci-doe.md, "Steps") ---------- */

static bool label_has(const struct kctx *c, const char *what)
{
	return c->label && strstr(c->label, what);
}

static bool aborting(const struct pci_doe *doe)
{
	return doe->state == DOE_WAIT_ABORT || doe->state == DOE_WAIT_ABORT_ON_ERR;
}

/* The worker stops before every register access, wake-up and completion, and just after a
 * completion; this says which of those start a model step, and which. */
static bool worker_boundary(int index, struct kctx *c)
{
	struct pci_doe *doe = the_doe();

	(void)index;
	if (!doe) { /* the work runs on a freed doe: ASan reports it; any stop will do */
		work.next = "?";
		return true;
	}
	switch (c->at) {
	case Y_REG_READ:
		if (label_has(c, "PCI_DOE_STATUS")) {
			if (doe->state == DOE_IDLE)
				work.next = "work_send";
			else if (aborting(doe))
				work.next = "work_abort_status";
			else
				work.next = work.reads ? "work_recv_status" : "work_resp_status";
			return true;
		}
		if (label_has(c, "PCI_DOE_READ")) {
			int k = work.reads++;
			long payload = (long)work.length - 2;
			long stored = payload < 1 ? payload : 1; /* min(length, response_pl_sz / 4) */

			if (k == 0)
				work.next = "work_recv_header";
			else if (k == 1)
				work.next = "work_recv_length";
			else if (k - 2 < stored)
				work.next = "work_recv_payload";
			else {
				work.next = "work_recv_flush";
				work.flush_left = payload - (k - 2);
			}
			return true;
		}
		return false;
	case Y_REG_WRITE:
		if (label_has(c, "PCI_DOE_CTRL") && aborting(doe)) {
			work.next = work.began_abort ? "work_abort_start" : "work_err_abort";
			return true;
		}
		return false;
	case Y_WAKE:
		if (label_has(c, "(complete() returned)")) {
			/* on success the work returns in the callback's step */
			if (work.cb_rv >= 0)
				return false;
			work.next = "work_after_cb";
			return true;
		}
		if (label_has(c, "wake_up")) {
			if (work.dead)
				work.next = "work_dead_wake";
			else if (aborting(doe))
				work.next = "work_abort_wake";
			else
				work.next = work.called_back ? "work_after_cb_wake" : "work_done_wake";
			return true;
		}
		if (label_has(c, "abort_c")) {
			work.next = work.dead ? "work_dead_complete" : "work_abort_complete";
			return true;
		}
		if (label_has(c, "complete(")) {
			work.next = "work_callback";
			return true;
		}
		return false;
	default:
		return false;
	}
}

/* The object the work reads, by the Length dword the device serves it (read as the spec
 * encodes it: 0 is 2^18 DW; an emptied mailbox reads 0 too). What the driver makes of that
 * Length is its own business: the names only say where in the object its reads are. */
static void note_length_read(void)
{
	if (work.reads == 2)
		work.length = object_dwords(FIELD_GET(PCI_DOE_DATA_OBJECT_HEADER_2_LENGTH,
			dev_read(&pdev, CAP_OFFSET + PCI_DOE_READ)));
}

/* probe (and its discovery frame, caller 0) and remove: the step being run and the next. */
static struct {
	const char *step; /* the model event running probe now */
	const char *next; /* where it stopped: the event that runs it on */
	bool discovering; /* past the init abort: a state_lock lock is an exchange's again: */
} probe;

static struct {
	const char *step;
	const char *next;
} removal;

static bool probe_boundary(int index, struct kctx *c)
{
	(void)index;
	if (!strcmp(probe.step, "probe"))
		return false; /* irq-setup-fails: probe runs to its kfree(doe) in one step */
	switch (c->at) {
	case Y_LOCK:
		if (probe.discovering && label_has(c, "state_lock")) {
			probe.next = "call";
			return true;
		}
		return false;
	case Y_DEVICE: /* free_irq() */
		probe.next = "probe_free_irq";
		return true;
	case Y_CANCEL_WORK:
		probe.next = "probe_cancel";
		return true;
	case Y_FREE:
		if (label_has(c, "kfree(doe->irq_name)") && strcmp(probe.step, "probe_free_irq")) {
			probe.next = "probe_free_irq"; /* polling mode: no free_irq() */
			return true;
		}
		if (label_has(c, "kfree(doe)")) {
			probe.next = "probe_kfree";
			return true;
		}
		return false;
	default:
		return false;
	}
}

static bool remove_boundary(int index, struct kctx *c)
{
	(void)index;
	switch (c->at) {
	case Y_CANCEL_WORK:
		if (!strcmp(removal.step, "remove_cancel"))
			return false;
		removal.next = "remove_cancel";
		return true;
	case Y_FREE:
		if (label_has(c, "kfree(doe->prots)") && strcmp(removal.step, "remove_free_irq")) {
			removal.next = "remove_free_irq";
			return true;
		}
		if (label_has(c, "kfree(doe)")) {
			removal.next = "remove_kfree";
			return true;
		}
		return false;
	default:
		return false;
	}
}

/* ---------- entry points and preconditions ---------- */

static const char *hstr(const struct hjson *ev, const char *key)
{
	return hjson_str(ev, key, "");
}

static bool can_probe(const struct hjson *ev, const char **why)
{
	long modes = harness_bound("modes", 2), clear = harness_bound("busyClearIrq", 1);
	const char *mode = hstr(ev, "mode");
	bool irq = strcmp(mode, "poll") != 0;
	bool busy_irq = hjson_bool(ev, "busyClearIrq", false);

	*why = "probe already ran, or that mode or device is outside the bounds";
	return !probed && (modes == 2 || (modes == 1) == irq) &&
	       (clear == 2 || busy_irq == (clear == 1));
}

static long probe_entry(const struct hjson *ev)
{
	static const struct auxiliary_device_id id = { .name = "cxl_pci.doe" };
	const char *mode = hstr(ev, "mode");

	pdev.msi_enabled = strcmp(mode, "poll") != 0;
	/* irq-setup-fails: pci_irq_vector() fails (so would kasprintf() or request_irq()) */
	pdev.irq = !strcmp(mode, "irq-setup-fails") ? -ENOSPC : DOE_IRQ;
	dev.busy_clear_irq = hjson_bool(ev, "busyClearIrq", false);
	probed = true;
	probe.step = "probe";
	probe.next = "";
	probe.discovering = false;
	return pci_doe_probe(&doe_dev.adev, &id);
}

static bool probe_at(const char *next, const char **why)
{
	struct kctx *k = harness_context("probe", -1);

	*why = "probe is not there";
	return k->status == KCTX_STOPPED && !strcmp(probe.next, next);
}

static bool probe_can_resume(const struct hjson *ev, const char **why)
{
	struct kctx *k = harness_context("probe", -1);

	(void)ev;
	*why = "the init abort has not completed";
	return k->status == KCTX_BLOCKED && kctx_can_run(k) && !probe.discovering;
}

static void probe_resumes(const struct hjson *ev)
{
	struct pci_doe *doe = the_doe();

	(void)ev;
	probe.step = "probe_resume";
	probe.discovering = doe && !doe->dead;
}

static bool probe_can_free_irq(const struct hjson *ev, const char **why)
{
	(void)ev;
	if (!probe_at("probe_free_irq", why))
		return false;
	*why = "free_irq() would wait for the running handler";
	return !kshim_irq_running(DOE_IRQ);
}

#define PROBE_STEP(fn, name)                                                        \
	static bool fn##_ok(const struct hjson *ev, const char **why)             \
	{                                                                          \
		(void)ev;                                                          \
		return probe_at(name, why);                                        \
	}                                                                          \
	static void fn##_go(const struct hjson *ev)                               \
	{                                                                          \
		(void)ev;                                                          \
		probe.step = name;                                                 \
	}
PROBE_STEP(probe_cancel, "probe_cancel")
PROBE_STEP(probe_kfree, "probe_kfree")

static void probe_free_irq_go(const struct hjson *ev)
{
	(void)ev;
	probe.step = "probe_free_irq";
}

static bool probe_cancel_done_ok(const struct hjson *ev, const char **why)
{
	struct kctx *k = harness_context("probe", -1);

	(void)ev;
	*why = "probe is not waiting for the work";
	return k->status == KCTX_BLOCKED && k->at == Y_WAIT_WORK && kctx_can_run(k);
}

static void probe_cancel_done_go(const struct hjson *ev)
{
	(void)ev;
	probe.step = "probe_cancel_done";
}

/* caller 0: probe's frame */
static bool is_probe_frame(const struct hjson *ev)
{
	return hjson_int(ev, "caller", -1) == 0;
}

static bool is_user(const struct hjson *ev)
{
	return hjson_int(ev, "caller", -1) > 0;
}

static bool probe_frame_calls(const struct hjson *ev, const char **why)
{
	if (!hjson_bool(ev, "wholeDwords", true)) {
		*why = "probe's frame sends whole dwords";
		return false;
	}
	return probe_at("call", why);
}

static void probe_frame_call(const struct hjson *ev)
{
	(void)ev;
	probe.step = "call";
}

static bool probe_frame_returns(const struct hjson *ev, const char **why)
{
	struct kctx *k = harness_context("probe", -1);

	(void)ev;
	*why = "probe's frame is not returning from pci_doe_exchange_sync()";
	return probe.discovering && k->status == KCTX_BLOCKED && k->at == Y_WAIT_COMPLETION &&
	       kctx_can_run(k);
}

static void probe_frame_return(const struct hjson *ev)
{
	(void)ev;
	probe.step = "caller_return";
	tasks[0] = NULL;
	emit("exchange_return", "\"caller\":0,\"rc\":%ld", probe_frame_rv);
}

static long call_entry(const struct hjson *ev)
{
	int caller = (int)hjson_int(ev, "caller", -1);
	u32 request_pl[1] = { (u32)caller };
	u32 response_pl[1] = { 0 };
	struct pci_doe_exchange ex = {
		.prot = { .vid = PCI_VENDOR_ID_PCI_SIG, .type = PCI_DOE_PROTOCOL_DISCOVERY },
		.request_pl = request_pl,
		.request_pl_sz = hjson_bool(ev, "wholeDwords", true) ? 4 : 3,
		.response_pl = response_pl,
		.response_pl_sz = 4,
	};

	return pci_doe_exchange_sync(&doe_dev, &ex);
}

static bool can_call(const struct hjson *ev, const char **why)
{
	(void)ev;
	*why = "the doe is not probed";
	return ready && !doe_freed && !removal.step;
}

static bool caller_checks(const struct hjson *ev, const char **why)
{
	int i = (int)hjson_int(ev, "caller", -1);
	struct kctx *k = harness_context("caller", i);

	*why = "that caller is not about to test its wait condition";
	return (k->status == KCTX_STOPPED && k->at == Y_WAIT_EVENT) ||
	       (k->status == KCTX_BLOCKED && k->at == Y_WAIT_EVENT && signal_woke[i]);
}

static bool caller_woken(const struct hjson *ev, const char **why)
{
	int i = (int)hjson_int(ev, "caller", -1);
	struct kctx *k = harness_context("caller", i);

	*why = "that caller is not woken";
	return (k->status == KCTX_BLOCKED && k->at == Y_WAIT_EVENT && kctx_can_run(k) &&
		!signal_woke[i]) ||
	       (k->status == KCTX_STOPPED && k->at == Y_LOCK);
}

/* A signal (bound `signals`) to a user inside pci_doe_exchange_sync()'s wait: about to test
 * its condition, asleep, or woken and on its way back to again:. Caller 0, probe's frame,
 * never waits there (it is the only user while probe runs). */
static bool can_signal(const struct hjson *ev, const char **why)
{
	int i = (int)hjson_int(ev, "caller", -1);
	struct kctx *k = i > 0 ? harness_context("caller", i) : NULL;

	*why = "no signals at these bounds (signals = 0)";
	if (harness_bound("signals", 0) != 1)
		return false;
	*why = "that caller is not waiting in pci_doe_exchange_sync(), or has a signal pending";
	return k && !k->sigpending &&
	       (k->at == Y_WAIT_EVENT ? k->status != KCTX_IDLE
				       : k->status == KCTX_STOPPED && k->at == Y_LOCK);
}

static void send_signal(const struct hjson *ev)
{
	int i = (int)hjson_int(ev, "caller", -1);
	struct kctx *k = harness_context("caller", i);

	if (k->status == KCTX_BLOCKED && !kctx_can_run(k))
		signal_woke[i] = true;
	kshim_send_signal(k);
}

static bool caller_returns(const struct hjson *ev, const char **why)
{
	struct kctx *k = harness_context("caller", (int)hjson_int(ev, "caller", -1));

	*why = "that caller's task has not completed";
	return k->status == KCTX_BLOCKED && k->at == Y_WAIT_COMPLETION && kctx_can_run(k);
}

/* Orderly removal: no user inside pci_doe_exchange_sync(), the state machine at rest. */
static bool at_rest(const char **why)
{
	struct pci_doe *doe = the_doe();

	*why = "removal needs the doe ready, no user inside and the state machine at rest";
	if (!ready || !doe || removal.step || doe->state != DOE_IDLE || doe->cur_task ||
	    worker()->status != KCTX_IDLE)
		return false;
	for (int i = 1; i < MAX_CALLERS; i++)
		if (harness_context("caller", i)->status != KCTX_IDLE)
			return false;
	return true;
}

#ifdef PCI_DOE_REMOVE_FREES_IRQ_FIRST
#define REMOVE_FIRST "remove_free_irq"
#else
#define REMOVE_FIRST "remove_cancel"
#endif

/* The event's own string dies with the step: the name as a constant. */
static const char *remove_step_name(const struct hjson *ev)
{
	static const char *const steps[] = { "remove_free_irq", "remove_cancel",
					     "remove_cancel_done", "remove_kfree" };

	for (int i = 0; i < (int)ARRAY_SIZE(steps); i++)
		if (!strcmp(hstr(ev, "type"), steps[i]))
			return steps[i];
	return "";
}

static long remove_entry(const struct hjson *ev)
{
	removal.step = remove_step_name(ev);
	ready = false;
	pci_doe_remove(&doe_dev.adev);
	return 0;
}

static bool remove_starts(const struct hjson *ev, const char **why)
{
	if (strcmp(hstr(ev, "type"), REMOVE_FIRST)) {
		*why = "this build's pci_doe_remove() begins with the other step";
		return false;
	}
	if (!at_rest(why))
		return false;
	*why = "free_irq() would wait for the running handler";
	return strcmp(REMOVE_FIRST, "remove_free_irq") || !kshim_irq_running(DOE_IRQ);
}

static bool remove_is_idle(const struct hjson *ev)
{
	(void)ev;
	return harness_context("remove", -1)->status == KCTX_IDLE;
}

static bool remove_is_running(const struct hjson *ev)
{
	return !remove_is_idle(ev);
}

static void remove_step(const struct hjson *ev)
{
	removal.step = remove_step_name(ev);
}

static bool remove_goes_on(const struct hjson *ev, const char **why)
{
	struct kctx *k = harness_context("remove", -1);
	const char *type = hstr(ev, "type");

	*why = "removal is not there";
	if (!strcmp(type, "remove_cancel_done"))
		return k->status == KCTX_BLOCKED && k->at == Y_WAIT_WORK && kctx_can_run(k);
	if (k->status != KCTX_STOPPED || strcmp(removal.next, type))
		return false;
	*why = "free_irq() would wait for the running handler";
	return strcmp(type, "remove_free_irq") || !kshim_irq_running(DOE_IRQ);
}

/* ---------- the work ---------- */

static struct work_struct *statemachine(const struct hjson *ev)
{
	struct pci_doe *doe = the_doe();

	(void)ev;
	return doe ? &doe->statemachine.work : NULL;
}

static void work_begins(const struct hjson *ev)
{
	struct pci_doe *doe = the_doe();

	(void)ev;
	memset(&work, 0, sizeof(work));
	work.next = "";
	work.began_abort = doe && doe->abort;
}

static bool worker_at(const struct hjson *ev, const char **why)
{
	struct kctx *k = worker();
	const char *type = hstr(ev, "type");

	*why = "the work is not at that step";
	if (k->status != KCTX_STOPPED || strcmp(work.next, type))
		return false;
	/* The model's flush count is 1 or `many` (machines/pci-doe.ts, lastFlush / moreFlush):
	 * {last: true} reads what is left, {last: false} one dword of at least two. */
	if (!strcmp(type, "work_recv_flush") &&
	    work.flush_left < (hjson_bool(ev, "last", false) ? 1 : 2)) {
		*why = "the flush loop is not at that iteration";
		return false;
	}
	return true;
}

static void worker_goes_on(const struct hjson *ev)
{
	/* the Length dword is read in work_recv_length's step (the second READ read) */
	if (work.reads == 2)
		note_length_read();
	work.flush_to_end =
		!strcmp(hstr(ev, "type"), "work_recv_flush") && hjson_bool(ev, "last", false);
}

/* The worker's stops: WORK_STOPS, except inside work_recv_flush{last: true}, which runs the
 * rest of the flush loop (up to 2^18 - 3 reads and advances) without a stop, as the model's
 * one step does, and without a switch per dword (the reads are counted here instead). */
static bool worker_stops(const struct kctx *c, const struct kpoint *from, const struct kpoint *here)
{
	(void)c;
	(void)from;
	if (work.flush_to_end && strstr(here->label, "PCI_DOE_READ")) {
		if (here->kind == Y_REG_READ)
			work.reads++;
		return false;
	}
	return WORK_STOPS & YBIT(here->kind);
}

/* A RESUME rule with an `act` leaves the "can it run" test to its `enabled`. */
static void take_nothing(const struct hjson *ev)
{
	(void)ev;
}

/* ---------- the interrupt ---------- */

/* An MSI reaches the driver while its handler is registered (free_irq() drops it). */
static bool msi_to_handle(void)
{
	return dev.msi_pending && kshim_irq_requested(DOE_IRQ);
}

static bool msi_pending(const struct hjson *ev, const char **why)
{
	(void)ev;
	*why = "no interrupt to handle";
	return msi_to_handle();
}

static void take_msi(const struct hjson *ev)
{
	(void)ev;
	dev.msi_pending = false;
}

static unsigned doe_irq(void)
{
	return DOE_IRQ;
}

/* ---------- the clock ---------- */

/* The model's canTick at irqDelay = workDelay = 0 (src/model/time.ts): nothing urgent (an
 * MSI to handle, a handler running, the work runnable or running) and some clock that can
 * move (the work's timer armed, or a deadline the driver still reads not yet passed). */
static bool clock_moves(const struct hjson *ev, const char **why)
{
	struct pci_doe *doe = the_doe();
	struct work_struct *w = doe ? &doe->statemachine.work : NULL;

	(void)ev;
	*why = "something must run first, or no clock is running";
	if (harness_bound("irqDelay", 0) || harness_bound("workDelay", 0)) {
		*why = "the harness runs latencies 0 only (irqDelay = workDelay = 0)";
		return false;
	}
	if (!probed || msi_to_handle() || kshim_irq_running(DOE_IRQ) ||
	    worker()->status != KCTX_IDLE || (w && w->queued))
		return false;
	if (doe_freed) /* the model's clock goes on reading them */
		return freed_doe.timer_pending ||
		       (freed_doe.state != DOE_IDLE &&
			!time_after(jiffies, freed_doe.timeout_jiffies));
	if (!doe)
		return false;
	return doe->statemachine.timer.pending ||
	       (doe->state != DOE_IDLE && !time_after(jiffies, doe->timeout_jiffies));
}

static void tick(const struct hjson *ev)
{
	(void)ev;
	kshim_clock_advance(1);
}

/* ---------- the device's actions ---------- */

#define NEED_PHASE(name, phase_)                                                   \
	static bool name(const struct hjson *ev, const char **why)                 \
	{                                                                          \
		(void)ev;                                                          \
		*why = "the device is not " #phase_;                               \
		return dev.phase == phase_;                                        \
	}
NEED_PHASE(processing, PROCESSING)
NEED_PHASE(aborting_now, ABORTING)
NEED_PHASE(other_user_holds, OTHER_USER)

static bool fault_on(const char *fault, const char **why)
{
	*why = "that fault is off at these bounds";
	return harness_bound(fault, 0) > 0;
}

static int length_kind(const struct hjson *ev)
{
	const char *kind = hstr(ev, "length");

	for (int i = 0; i < (int)ARRAY_SIZE(LENGTH_KINDS); i++)
		if (!strcmp(kind, LENGTH_KINDS[i]))
			return i;
	return -1;
}

static bool can_respond(const struct hjson *ev, const char **why)
{
	int kind = length_kind(ev);

	if (!processing(ev, why))
		return false;
	*why = "that reply length is off at these bounds";
	return kind >= 0 && kind < harness_bound("lengths", 1);
}

static void device_respond(const struct hjson *ev)
{
	dev_respond(false, LENGTH_VALUES[length_kind(ev)]);
}

static void device_respond_bad(const struct hjson *ev)
{
	(void)ev;
	dev_respond(true, 3);
}

static bool can_error(const struct hjson *ev, const char **why)
{
	(void)ev;
	if (!fault_on("error", why))
		return false;
	*why = "the device holds no request or response";
	return dev.phase == PROCESSING || dev.phase == RESPONSE;
}

static void device_error(const struct hjson *ev)
{
	(void)ev;
	if (dev.phase == PROCESSING)
		dev.phase = ERROR_SET;
	dev.error = true;
	dev_set_int_status();
}

static bool can_hang(const struct hjson *ev, const char **why)
{
	return fault_on("lost", why) && processing(ev, why);
}

static void device_hang(const struct hjson *ev)
{
	(void)ev;
	dev.phase = HUNG;
}

static bool can_abort_hang(const struct hjson *ev, const char **why)
{
	return fault_on("lost", why) && aborting_now(ev, why);
}

static void device_abort_done(const struct hjson *ev)
{
	(void)ev;
	/* An abort clears ERROR and Data Object Ready, then BUSY. */
	dev.error = false;
	dev.data_object_ready = false;
	dev.n_read = dev.read_pos = 0;
	dev.phase = DEV_IDLE;
	dev_busy_clears();
}

static void device_abort_hang(const struct hjson *ev)
{
	(void)ev;
	dev.phase = ABORT_HUNG;
}

static bool can_reset(const struct hjson *ev, const char **why)
{
	(void)ev;
	if (!fault_on("reset", why))
		return false;
	*why = "probe has not begun";
	return probed;
}

/* An FLR: every register cleared, Interrupt Enable too; the mailboxes emptied. */
static void device_reset(const struct hjson *ev)
{
	(void)ev;
	dev.busy = dev.error = dev.data_object_ready = dev.int_status = dev.int_en = false;
	dev.n_read = dev.read_pos = dev.n_write = 0;
	dev.phase = DEV_IDLE;
}

static bool other_user_may(const struct hjson *ev, const char **why)
{
	(void)ev;
	*why = "the device is not idle, there is no other user, or probe has not begun";
	return dev.phase == DEV_IDLE && harness_bound("otherUser", 0) >= 1 && probed;
}

static void other_user_busy(const struct hjson *ev)
{
	(void)ev;
	dev.phase = OTHER_USER;
	dev.busy = true;
}

static void other_user_done(const struct hjson *ev)
{
	(void)ev;
	dev.phase = DEV_IDLE;
	dev_busy_clears();
}

static bool other_user_may_err(const struct hjson *ev, const char **why)
{
	if (!other_user_holds(ev, why))
		return false;
	*why = "the other user leaves no error at these bounds (otherUser < 2)";
	return harness_bound("otherUser", 0) == 2;
}

static void other_user_error(const struct hjson *ev)
{
	(void)ev;
	dev.phase = ERROR_SET;
	dev_busy_clears();
	dev.error = true;
	dev_set_int_status();
}

static void reset(const struct hjson *bounds)
{
	struct pci_doe *doe = the_doe();

	(void)bounds;
	/* Power off: what the previous vector left. Only the doe: its prots and irq_name may be
	 * freed already by an error path the vector stopped in (LeakSanitizer is off). */
	if (doe)
		free(doe);
	memset(&dev, 0, sizeof(dev));
	memset(tasks, 0, sizeof(tasks));
	memset(signal_woke, 0, sizeof(signal_woke));
	memset(&pdev, 0, sizeof(pdev));
	memset(&doe_dev, 0, sizeof(doe_dev));
	memset(&work, 0, sizeof(work));
	memset(&freed_doe, 0, sizeof(freed_doe));
	work.next = "";
	probe.step = probe.next = "";
	probe.discovering = false;
	removal.step = NULL;
	removal.next = "";
	pdev.sim = &doe_device;
	pdev.irq = DOE_IRQ;
	doe_dev.adev.name = "cxl_pci.doe";
	doe_dev.pdev = &pdev;
	doe_dev.cap_offset = CAP_OFFSET;
	probed = ready = doe_freed = false;
	probe_frame_rv = 0;
	last_cur_task = NULL;
	if (kshim_hooks.log != on_log) {
		runner_log = kshim_hooks.log;
		kshim_hooks.log = on_log;
	}
	kshim_hooks.completed = on_completed;
	kshim_hooks.freed = on_freed;
}

/* ---------- 3. the table: the model's events (machines/pci-doe.ts) ---------- */

#define ALL_YIELDS (~0u & ~YBIT(Y_START))
#define PROBE_STOPS (YBIT(Y_LOCK) | YBIT(Y_DEVICE) | YBIT(Y_CANCEL_WORK) | YBIT(Y_FREE))
#define REMOVE_STOPS (YBIT(Y_CANCEL_WORK) | YBIT(Y_FREE))
#define IRQ_STEPS (YBIT(Y_REG_WRITE) | YBIT(Y_QUEUE_WORK))
#define CALLER_INDEX { "caller", PAY_INDEX, "callers", 1 }

#define WORK_RULE(name)                                                              \
	{ .event = name, .action = RULE_RESUME, .context = "worker", .at = WORK_STOPS, \
	  .stop = WORK_STOPS, .enabled = worker_at, .act = worker_goes_on }

static const struct step_rule rules[] = {
	/* pci_doe_probe() up to wait_for_completion(&doe->abort_c) (irq-setup-fails: to its
	 * return) */
	{ .event = "probe", .action = RULE_START, .context = "probe", .stop = PROBE_STOPS,
	  .payload = { { "mode", PAY_ENUM, "irq|poll|irq-setup-fails" },
		       { "busyClearIrq", PAY_BOOL, NULL } },
	  .enabled = can_probe, .entry = probe_entry },
	/* abort_c done: on to the first discovery exchange's again:, or the error path */
	{ .event = "probe_resume", .action = RULE_RESUME, .context = "probe",
	  .at = YBIT(Y_WAIT_COMPLETION), .stop = PROBE_STOPS, .enabled = probe_can_resume,
	  .act = probe_resumes },
	{ .event = "probe_free_irq", .action = RULE_RESUME, .context = "probe", .at = PROBE_STOPS,
	  .stop = PROBE_STOPS, .enabled = probe_can_free_irq, .act = probe_free_irq_go },
	{ .event = "probe_cancel", .action = RULE_RESUME, .context = "probe", .at = PROBE_STOPS,
	  .stop = PROBE_STOPS, .enabled = probe_cancel_ok, .act = probe_cancel_go },
	{ .event = "probe_cancel_done", .action = RULE_RESUME, .context = "probe",
	  .at = YBIT(Y_WAIT_WORK), .stop = PROBE_STOPS, .enabled = probe_cancel_done_ok,
	  .act = probe_cancel_done_go },
	{ .event = "probe_kfree", .action = RULE_RESUME, .context = "probe", .at = PROBE_STOPS,
	  .stop = PROBE_STOPS, .enabled = probe_kfree_ok, .act = probe_kfree_go },
	/* pci_doe_remove(), in the order this build has */
	{ .event = "remove_free_irq", .action = RULE_START, .context = "remove",
	  .stop = REMOVE_STOPS, .match = remove_is_idle, .enabled = remove_starts,
	  .entry = remove_entry },
	{ .event = "remove_cancel", .action = RULE_START, .context = "remove",
	  .stop = REMOVE_STOPS, .match = remove_is_idle, .enabled = remove_starts,
	  .entry = remove_entry },
	{ .event = "remove_free_irq", .action = RULE_RESUME, .context = "remove",
	  .at = REMOVE_STOPS, .stop = REMOVE_STOPS, .match = remove_is_running,
	  .enabled = remove_goes_on, .act = remove_step },
	{ .event = "remove_cancel", .action = RULE_RESUME, .context = "remove",
	  .at = REMOVE_STOPS, .stop = REMOVE_STOPS, .match = remove_is_running,
	  .enabled = remove_goes_on, .act = remove_step },
	{ .event = "remove_cancel_done", .action = RULE_RESUME, .context = "remove",
	  .at = YBIT(Y_WAIT_WORK), .stop = REMOVE_STOPS, .enabled = remove_goes_on,
	  .act = remove_step },
	{ .event = "remove_kfree", .action = RULE_RESUME, .context = "remove", .at = REMOVE_STOPS,
	  .stop = REMOVE_STOPS, .enabled = remove_goes_on, .act = remove_step },
	/* caller 0, probe's frame: the again: lock section to wait_for_completion(&c) */
	{ .event = "call", .action = RULE_RESUME, .context = "probe", .at = YBIT(Y_LOCK),
	  .stop = PROBE_STOPS, .match = is_probe_frame,
	  .payload = { CALLER_INDEX, { "wholeDwords", PAY_BOOL, NULL } },
	  .enabled = probe_frame_calls, .act = probe_frame_call },
	/* callers 1..: pci_doe_exchange_sync() up to wait_event_interruptible() or a sleep */
	{ .event = "call", .action = RULE_START, .context = "caller", .index_key = "caller",
	  .stop = YBIT(Y_WAIT_EVENT), .match = is_user,
	  .payload = { CALLER_INDEX, { "wholeDwords", PAY_BOOL, NULL } },
	  .enabled = can_call, .entry = call_entry },
	/* wait_event_interruptible(): the condition, then the sleep or goto again */
	{ .event = "wait_check", .action = RULE_RESUME, .context = "caller", .index_key = "caller",
	  .at = YBIT(Y_WAIT_EVENT), .stop = YBIT(Y_LOCK) | YBIT(Y_WAIT_EVENT), .match = is_user,
	  .payload = { CALLER_INDEX }, .enabled = caller_checks },
	/* woken: round again: (line 473) */
	{ .event = "wake_recheck", .action = RULE_RESUME, .context = "caller",
	  .index_key = "caller", .at = YBIT(Y_WAIT_EVENT) | YBIT(Y_LOCK),
	  .stop = YBIT(Y_WAIT_EVENT), .match = is_user, .payload = { CALLER_INDEX },
	  .enabled = caller_woken, .act = take_nothing },
	/* wait_for_completion(&c) has returned: return task.rv */
	{ .event = "caller_return", .action = RULE_RESUME, .context = "probe",
	  .at = YBIT(Y_WAIT_COMPLETION), .stop = PROBE_STOPS, .match = is_probe_frame,
	  .payload = { CALLER_INDEX }, .enabled = probe_frame_returns, .act = probe_frame_return },
	{ .event = "caller_return", .action = RULE_RESUME, .context = "caller",
	  .index_key = "caller", .at = YBIT(Y_WAIT_COMPLETION), .match = is_user,
	  .payload = { CALLER_INDEX }, .enabled = caller_returns, .act = take_nothing },
	/* a signal to a waiting user: its interruptible sleep ends (the shim's kshim_send_signal) */
	{ .event = "signal", .action = RULE_ENV, .payload = { CALLER_INDEX }, .enabled = can_signal,
	  .act = send_signal },
	/* doe_statemachine_work(): the workqueue clears PENDING and runs it to its first step */
	{ .event = "work_start", .action = RULE_WORK, .context = "worker", .stop = WORK_STOPS,
	  .work = statemachine, .delayed = true, .act = work_begins },
	WORK_RULE("work_abort_start"),
	WORK_RULE("work_send"),
	WORK_RULE("work_resp_status"),
	WORK_RULE("work_recv_header"),
	WORK_RULE("work_recv_length"),
	WORK_RULE("work_recv_payload"),
	{ .event = "work_recv_flush", .action = RULE_RESUME, .context = "worker", .at = WORK_STOPS,
	  .stop = WORK_STOPS, .stop_at = worker_stops, .payload = { { "last", PAY_BOOL, NULL } },
	  .enabled = worker_at, .act = worker_goes_on },
	WORK_RULE("work_recv_status"),
	WORK_RULE("work_done_wake"),
	WORK_RULE("work_callback"),
	WORK_RULE("work_after_cb"),
	WORK_RULE("work_after_cb_wake"),
	WORK_RULE("work_err_abort"),
	WORK_RULE("work_abort_status"),
	WORK_RULE("work_abort_wake"),
	WORK_RULE("work_abort_complete"),
	WORK_RULE("work_dead_wake"),
	WORK_RULE("work_dead_complete"),
	/* pci_doe_irq() in three steps: the status read, the write-1-to-clear, the
	 * mod_delayed_work() and return */
	{ .event = "irq_read_status", .action = RULE_IRQ, .context = "irq", .stop = IRQ_STEPS,
	  .enabled = msi_pending, .act = take_msi, .irq = doe_irq },
	{ .event = "irq_write_clear", .action = RULE_RESUME, .context = "irq",
	  .at = YBIT(Y_REG_WRITE), .stop = YBIT(Y_QUEUE_WORK) },
	{ .event = "irq_schedule_work", .action = RULE_RESUME, .context = "irq",
	  .at = YBIT(Y_QUEUE_WORK) },
	/* the environment */
	{ .event = "tick", .action = RULE_ENV, .enabled = clock_moves, .act = tick },
	{ .event = "device_respond", .action = RULE_ENV,
	  .payload = { { "length", PAY_ENUM, "exact|short|long|zero|max" } },
	  .enabled = can_respond, .act = device_respond },
	{ .event = "device_respond_bad", .action = RULE_ENV, .enabled = processing,
	  .act = device_respond_bad },
	{ .event = "device_error", .action = RULE_ENV, .enabled = can_error, .act = device_error },
	{ .event = "device_hang", .action = RULE_ENV, .enabled = can_hang, .act = device_hang },
	{ .event = "device_abort_done", .action = RULE_ENV, .enabled = aborting_now,
	  .act = device_abort_done },
	{ .event = "device_abort_hang", .action = RULE_ENV, .enabled = can_abort_hang,
	  .act = device_abort_hang },
	{ .event = "device_reset", .action = RULE_ENV, .enabled = can_reset, .act = device_reset },
	{ .event = "other_user_busy", .action = RULE_ENV, .enabled = other_user_may,
	  .act = other_user_busy },
	{ .event = "other_user_done", .action = RULE_ENV, .enabled = other_user_holds,
	  .act = other_user_done },
	{ .event = "other_user_error", .action = RULE_ENV, .enabled = other_user_may_err,
	  .act = other_user_error },
};

static const struct context_rule contexts[] = {
	{ .context = "caller", .finished = caller_finished, .ran = caller_ran },
	{ .context = "irq", .finished = irq_finished },
	{ .context = "probe", .finished = probe_finished, .ran = probe_ran,
	  .boundary = probe_boundary },
	{ .context = "remove", .boundary = remove_boundary },
	{ .context = "worker", .boundary = worker_boundary },
};

const struct harness_adapter harness_adapter = {
	.protocol = "pci-doe",
	.rules = rules,
	.n_rules = ARRAY_SIZE(rules),
	.contexts = contexts,
	.n_contexts = ARRAY_SIZE(contexts),
	.reset = reset,
	.after_step = after_step,
};
