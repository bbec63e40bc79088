// SPDX-License-Identifier: MIT
/*
 * pci-doe: the seed's doe.c behind the harness. Three parts:
 *
 *   1. the DOE mailbox as the device presents it (registers, MSI), which the device_* and
 *      other_user_* events drive, as machines/pci-doe.ts's `device` region does;
 *   2. what an observer sees, as the model's outputs: the device decodes GO (request_written),
 *      ABORT (abort_written) and the last read of a response (response_read); a completion a
 *      caller sleeps on is its callback; the kernel log's "DOE ABORT timed out" is
 *      mailbox_dead; a caller's and the handler's return values;
 *   3. THE TABLE (rules[] and contexts[] at the bottom): which model event runs which
 *      context how far. Change it when the model's grain changes.
 *
 * The seed's file is included, so that its static functions are the entry points: the build
 * defines HARNESS_SEED as the as-written doe.c or a patched copy of it.
 */
#include "../runner/adapter.h"

#ifndef HARNESS_SEED
#define HARNESS_SEED "doe.c"
#endif
#include HARNESS_SEED

#define CAP_OFFSET 0x100
#define DOE_IRQ 42
#define RESPONSE_PAYLOAD 0xcafe0001u

/* ---------- 1. the mailbox device ---------- */

enum dev_phase {
	DEV_IDLE,
	OTHER_USER,
	PROCESSING,
	HUNG,
	RESPONSE_READY,
	BAD_RESPONSE,
	ERROR_SET,
	ABORTING,
	ABORT_HUNG,
};

static struct {
	enum dev_phase phase;
	bool busy, error, data_object_ready, int_status, int_en;
	u32 write_mb[8];
	int n_write;
	u32 request_header; /* the request's first dword, as the device took it at GO */
	int request_task;  /* whose request it holds: the request's payload dword (the caller) */
	u32 read_mb[3];
	int n_read, read_pos;
	bool msi_pending;
} dev;

static struct pci_dev pdev;
static struct pci_doe_dev doe_dev;
static bool probed, ready, doe_freed;
static struct pci_doe_task *last_cur_task;
/* Each caller's task (on its stack), from when it is submitted. */
static struct pci_doe_task *tasks[8];

static struct pci_doe *the_doe(void)
{
	return probed && !doe_freed ? dev_get_drvdata(&doe_dev.adev.dev) : NULL;
}

/* INT_STATUS is set by Data Object Ready, ERROR and BUSY clearing; an MSI is sent when
 * "INT_EN AND INT_STATUS" rises (the ECN, quoted at lines 185-195). With interrupts
 * disabled nobody reads it, so it is tracked only while INT_EN is set, as in the model. */
static void dev_set_int_status(void)
{
	if (!dev.int_en)
		return;
	if (!dev.int_status && kshim_irq_requested(DOE_IRQ))
		dev.msi_pending = true;
	dev.int_status = true;
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
		return dev.read_pos < dev.n_read ? dev.read_mb[dev.read_pos] : 0;
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
			int task = dev.n_write >= 3 ? (int)dev.write_mb[2] : -1;

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
		if ((dev.phase == RESPONSE_READY || dev.phase == BAD_RESPONSE) &&
		    dev.read_pos < dev.n_read) {
			dev.read_pos++;
			if (dev.read_pos == dev.n_read) {
				if (dev.phase == RESPONSE_READY)
					emit("response_read", "\"task\":%d", dev.request_task);
				dev.data_object_ready = false;
				dev.phase = DEV_IDLE;
			}
		}
		return;
	}
}

static const struct kshim_pci_device doe_device = { dev_read, dev_write };

static void dev_respond(bool bad)
{
	/* The request's header echoed, in a 3-dword object (header, length, one payload dword). */
	u32 header = dev.request_header;

	if (bad)
		header ^= 1u << 16; /* another protocol type than the request's */
	dev.read_mb[0] = header;
	dev.read_mb[1] = 3;
	dev.read_mb[2] = RESPONSE_PAYLOAD;
	dev.n_read = 3;
	dev.read_pos = 0;
	dev.phase = bad ? BAD_RESPONSE : RESPONSE_READY;
	dev.data_object_ready = true;
	dev_set_int_status();
}

/* ---------- 2. what an observer sees ---------- */

static void on_log(enum klog_level level, const char *text);
static void (*runner_log)(enum klog_level, const char *);

static void on_log(enum klog_level level, const char *text)
{
	if (level == KLOG_ERR && strstr(text, "DOE ABORT timed out"))
		emit("mailbox_dead", "%s", "");
	runner_log(level, text);
}

/* complete(&c) on the completion a caller sleeps on: that task's callback has run. */
static void on_completed(struct completion *c)
{
	for (int i = 0; i < (int)ARRAY_SIZE(tasks); i++) {
		struct kctx *k = harness_context("caller", i);

		if (k->status == KCTX_BLOCKED && k->at == Y_WAIT_COMPLETION && k->wait_arg == c &&
		    tasks[i])
			emit("callback", "\"task\":%d,\"rc\":%d", i, tasks[i]->rv);
	}
}

static void on_freed(void *p)
{
	if (probed && p == dev_get_drvdata(&doe_dev.adev.dev))
		doe_freed = true;
}

/* A caller ran: if doe->cur_task became its task in this step, it was submitted (line 480). */
static void caller_ran(int i)
{
	struct pci_doe *doe = the_doe();

	if (doe && doe->cur_task && doe->cur_task != last_cur_task) {
		tasks[i] = doe->cur_task;
		emit("task_submitted", "\"task\":%d", i);
		last_cur_task = doe->cur_task;
	}
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

/* ---------- entry points and environment actions ---------- */

/* The model merges probe's run after abort_c into one step; on the error path (the abort
 * timed out: doe->dead) that run goes through free_irq(), which waits for a running handler
 * (synchronize_irq): the model's step is possible only where it would not sleep there.
 * (The merge is sound: before free_irq() probe only reads doe->dead, which the handler does
 * not write.) */
static bool probe_may_resume(const struct hjson *ev, const char **why)
{
	struct pci_doe *doe = the_doe();

	(void)ev;
	*why = "free_irq() would wait for the running handler (the model's step does not)";
	return !(doe && doe->dead && kshim_irq_running(DOE_IRQ));
}

static long probe_entry(const struct hjson *ev)
{
	static const struct auxiliary_device_id id = { .name = "cxl_pci.doe" };

	pdev.msi_enabled = !strcmp(hjson_str(ev, "mode", ""), "irq");
	probed = true;
	return pci_doe_probe(&doe_dev.adev, &id);
}

static long call_entry(const struct hjson *ev)
{
	int caller = (int)hjson_int(ev, "caller", -1);
	u32 request_pl[1] = { (u32)caller };
	u32 response_pl[1] = { 0 };
	struct pci_doe_exchange ex = {
		.prot = { .vid = 1, .type = PCI_DOE_PROTOCOL_DISCOVERY },
		.request_pl = request_pl,
		.request_pl_sz = hjson_bool(ev, "wholeDwords", true) ? 4 : 3,
		.response_pl = response_pl,
		.response_pl_sz = 4,
	};

	return pci_doe_exchange_sync(&doe_dev, &ex);
}

static bool can_probe(const struct hjson *ev, const char **why)
{
	long modes = harness_bound("modes", 2);
	bool irq = !strcmp(hjson_str(ev, "mode", ""), "irq");

	*why = "probe already ran, or that mode is outside the bounds";
	return !probed && (modes == 2 || (modes == 1) == irq);
}

static bool can_call(const struct hjson *ev, const char **why)
{
	(void)ev;
	*why = "the doe is not probed";
	return ready && !doe_freed;
}

static bool msi_pending(const struct hjson *ev, const char **why)
{
	(void)ev;
	*why = "no interrupt to handle";
	return dev.msi_pending;
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

static struct work_struct *statemachine(const struct hjson *ev)
{
	struct pci_doe *doe = the_doe();

	(void)ev;
	return doe ? &doe->statemachine.work : NULL;
}

/* The model's time: a work queued with a delay shorter than PCI_DOE_TIMEOUT is "soon" and may
 * run at any moment; the 1 s one once jiffies has reached its expiry (one tick before the
 * kernel's timer wheel would fire it: issue 16; options {"timers":"kernel"} refuses that). */
static bool timer_may_fire(const struct timer_list *t)
{
	return t->expires - t->armed_at < PCI_DOE_TIMEOUT || !time_before(jiffies, t->expires);
}

static bool deadline_armed(const struct hjson *ev, const char **why)
{
	struct pci_doe *doe = the_doe();

	(void)ev;
	*why = "no deadline armed";
	return doe && doe->state != DOE_IDLE && !time_after(jiffies, doe->timeout_jiffies);
}

/* jiffies to timeout_jiffies, then one past it (the model's `before`/`reached`/`passed`). */
static void tick(const struct hjson *ev)
{
	struct pci_doe *doe = the_doe();

	(void)ev;
	if (time_before(jiffies, doe->timeout_jiffies))
		kshim_clock_advance(doe->timeout_jiffies - jiffies);
	else
		kshim_clock_advance(1);
}

#define NEED_PHASE(name, phase_)                                                   \
	static bool name(const struct hjson *ev, const char **why)                 \
	{                                                                          \
		(void)ev;                                                          \
		*why = "the device is not " #phase_;                               \
		return dev.phase == phase_;                                        \
	}
NEED_PHASE(processing, PROCESSING)
NEED_PHASE(aborting, ABORTING)
NEED_PHASE(other_user_holds, OTHER_USER)

static bool idle_and_other_user(const struct hjson *ev, const char **why)
{
	(void)ev;
	*why = "the device is not idle, or there is no other user";
	return dev.phase == DEV_IDLE && harness_bound("otherUser", 0) == 1;
}

static void device_respond(const struct hjson *ev)
{
	dev_respond(!strcmp(hjson_str(ev, "type", ""), "device_respond_bad"));
}

static void device_error(const struct hjson *ev)
{
	(void)ev;
	dev.phase = ERROR_SET;
	dev.error = true;
	dev_set_int_status();
}

static void device_hang(const struct hjson *ev)
{
	(void)ev;
	dev.phase = HUNG;
}

static void device_abort_done(const struct hjson *ev)
{
	(void)ev;
	/* An abort clears ERROR and Data Object Ready, then BUSY (which sets INT_STATUS). */
	dev.error = false;
	dev.data_object_ready = false;
	dev.n_read = dev.read_pos = 0;
	dev.busy = false;
	dev.phase = DEV_IDLE;
	dev_set_int_status();
}

static void device_abort_hang(const struct hjson *ev)
{
	(void)ev;
	dev.phase = ABORT_HUNG;
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
	dev.busy = false;
	dev_set_int_status();
}

static void reset(const struct hjson *bounds)
{
	struct pci_doe *doe = the_doe();

	(void)bounds;
	if (doe) { /* power off: what the previous vector left */
		free(doe->irq_name);
		free(doe);
	}
	memset(&dev, 0, sizeof(dev));
	memset(tasks, 0, sizeof(tasks));
	memset(&pdev, 0, sizeof(pdev));
	memset(&doe_dev, 0, sizeof(doe_dev));
	pdev.sim = &doe_device;
	pdev.irq = DOE_IRQ;
	doe_dev.adev.name = "cxl_pci.doe";
	doe_dev.pdev = &pdev;
	doe_dev.cap_offset = CAP_OFFSET;
	probed = ready = doe_freed = false;
	last_cur_task = NULL;
	if (kshim_hooks.log != on_log) {
		runner_log = kshim_hooks.log;
		kshim_hooks.log = on_log;
	}
	kshim_hooks.completed = on_completed;
	kshim_hooks.freed = on_freed;
}

/* ---------- 3. the table: the model's events (machines/pci-doe.ts) ---------- */

#define IRQ_STEPS (YBIT(Y_REG_WRITE) | YBIT(Y_QUEUE_WORK))

static const struct step_rule rules[] = {
	/* pci_doe_probe() up to wait_for_completion(&doe->abort_c) */
	{ .event = "probe", .action = RULE_START, .context = "probe",
	  .payload = { { "mode", PAY_ENUM, "irq|poll" } },
	  .enabled = can_probe, .entry = probe_entry },
	/* probe after abort_c: to its return */
	{ .event = "probe_resume", .action = RULE_RESUME, .context = "probe",
	  .at = YBIT(Y_WAIT_COMPLETION), .enabled = probe_may_resume },
	/* pci_doe_exchange_sync() up to its first sleep or its return */
	{ .event = "call", .action = RULE_START, .context = "caller", .index_key = "caller",
	  .payload = { { "caller", PAY_INDEX, "callers" }, { "wholeDwords", PAY_BOOL, NULL } },
	  .enabled = can_call, .entry = call_entry },
	/* a woken caller goes round `again:` (line 473) */
	{ .event = "wake_recheck", .action = RULE_RESUME, .context = "caller",
	  .index_key = "caller", .at = YBIT(Y_WAIT_EVENT),
	  .payload = { { "caller", PAY_INDEX, "callers" } } },
	/* doe_statemachine_work(), one whole run (docs/pci-doe.md: the work is one step) */
	{ .event = "work_run", .action = RULE_WORK, .context = "worker",
	  .work = statemachine, .delayed = true },
	/* pci_doe_irq() in three steps: the status read, the write-1-to-clear, the
	 * mod_delayed_work() and return */
	{ .event = "irq_read_status", .action = RULE_IRQ, .context = "irq", .stop = IRQ_STEPS,
	  .enabled = msi_pending, .act = take_msi, .irq = doe_irq },
	{ .event = "irq_write_clear", .action = RULE_RESUME, .context = "irq",
	  .at = YBIT(Y_REG_WRITE), .stop = YBIT(Y_QUEUE_WORK) },
	{ .event = "irq_schedule_work", .action = RULE_RESUME, .context = "irq",
	  .at = YBIT(Y_QUEUE_WORK) },
	/* the environment */
	{ .event = "tick", .action = RULE_ENV, .enabled = deadline_armed, .act = tick },
	{ .event = "device_respond", .action = RULE_ENV, .enabled = processing,
	  .act = device_respond },
	{ .event = "device_respond_bad", .action = RULE_ENV, .enabled = processing,
	  .act = device_respond },
	{ .event = "device_error", .action = RULE_ENV, .enabled = processing,
	  .act = device_error },
	{ .event = "device_hang", .action = RULE_ENV, .enabled = processing, .act = device_hang },
	{ .event = "device_abort_done", .action = RULE_ENV, .enabled = aborting,
	  .act = device_abort_done },
	{ .event = "device_abort_hang", .action = RULE_ENV, .enabled = aborting,
	  .act = device_abort_hang },
	{ .event = "other_user_busy", .action = RULE_ENV, .enabled = idle_and_other_user,
	  .act = other_user_busy },
	{ .event = "other_user_done", .action = RULE_ENV, .enabled = other_user_holds,
	  .act = other_user_done },
};

static const struct context_rule contexts[] = {
	/* The model merges "the callback completes &c" and "the caller returns task.rv". */
	{ .context = "caller", .auto_at = YBIT(Y_WAIT_COMPLETION), .finished = caller_finished,
	  .ran = caller_ran },
	{ .context = "irq", .finished = irq_finished },
	{ .context = "probe", .finished = probe_finished },
	{ .context = "worker" },
};

const struct harness_adapter harness_adapter = {
	.protocol = "pci-doe",
	.rules = rules,
	.n_rules = ARRAY_SIZE(rules),
	.contexts = contexts,
	.n_contexts = ARRAY_SIZE(contexts),
	.reset = reset,
	.timer_may_fire = timer_may_fire,
	.after_step = after_step,
};
