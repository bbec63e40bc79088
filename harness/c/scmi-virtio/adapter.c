// SPDX-License-Identifier: MIT
/*
 * scmi-virtio: the seed's virtio.c (with the patch, as written) and the reconstructed SCMI
 * core behind the harness. Four parts:
 *
 *   1. the SCMI platform as a virtio device: it reads a command from a TX buffer it holds and
 *      writes the reply into the same chain (device_reply), keeps a buffer for ever
 *      (device_lose), writes the delayed response an asynchronous command owes into an RX
 *      buffer (device_dresp), notifies although VRING_AVAIL_F_NO_INTERRUPT asks it not to
 *      (irq_anyway); the virtqueues themselves are the shim's (kernel/virtio_ring.c);
 *   2. the callers: an SCMI protocol on each CPU taking a transfer, running do_xfer() or
 *      do_xfer_with_response() and putting it back (the model's `send`), and scmi_remove()'s
 *      virtio_chan_free() (`chan_free`);
 *   3. what an observer sees, as the model's outputs: the device's own actions, the core's
 *      tracepoints (a reply fetched or dropped, poll_done() true, the channel freed), a
 *      queue_work() call and the workqueue it reaches, complete() on a waiter's completion,
 *      do_xfer()'s return value;
 *   4. THE TABLE (bottom): the model's events, and for each execution context the code points
 *      where the model's steps begin (`*_points`). It is the only part that depends on the
 *      model's grain; the environment's `enabled` functions mirror the model's assumptions
 *      (bounds, latencies, maximal progress), each naming the model function it mirrors.
 *
 * A transfer is named by its issue order (the model's ghost id): the caller writes it into
 * the command's payload, the device echoes it in its reply, and the observer reads it back.
 */
#include "../runner/adapter.h"

#ifndef HARNESS_SEED
#define HARNESS_SEED "virtio.c"
#endif
#include HARNESS_SEED
#ifndef HARNESS_FILE_driver_c
#define HARNESS_FILE_driver_c "driver.c"
#endif
#include HARNESS_FILE_driver_c
#include "msg.c"

#define TX_IRQ 40
#define RX_IRQ 41
#define RX_MSGS 1               /* the model's RX_MSGS: one eventq buffer */
#define SCMI_PROTOCOL_BASE 0x10
#define CMD_SYNC 0x2            /* a command answered by its response */
#define CMD_ASYNC 0x3           /* a command whose delayed response follows */
#define SCMI_ERR_SUPPORT (-1)
#define MAX_CPUS 4
#define MAX_XFERS 8
#define MAX_MSGS 8

/* ---------- the driver's objects ---------- */

static struct virtio_device vdev;
static struct device core_dev;
static struct scmi_info info;
static struct scmi_chan_info tx_cinfo, rx_cinfo;
static struct scmi_vio_msg *tx_msgs[MAX_MSGS]; /* the model's message numbers: setup order */
static int n_tx_msgs;

static struct scmi_vio_channel *vioch_tx(void)
{
	return &((struct scmi_vio_channel *)vdev.priv)[VIRTIO_SCMI_VQ_TX];
}

static struct scmi_vio_channel *vioch_rx(void)
{
	return &((struct scmi_vio_channel *)vdev.priv)[VIRTIO_SCMI_VQ_RX];
}

static int msg_index(const void *msg)
{
	for (int i = 0; i < n_tx_msgs; i++)
		if (tx_msgs[i] == msg)
			return i;
	return -1;
}

/* The callers: each CPU's transfer in progress. */
static struct {
	int gid;               /* the transfer's issue number, -1 when idle */
	struct scmi_xfer *xfer;
	bool polled, async;
	unsigned long armed;   /* jiffies when its current wait's deadline was armed */
	int phase;             /* the step it stopped at after its last run */
} cpus[MAX_CPUS];
static int n_cpus, issued, async_left, lost_left;
static int irq_on = -1; /* the CPU the TX interrupt handler runs on */

/* The xfer a ghost id was last given to (the observer's map: xfer -> transfer). */
static int gid_of(const struct scmi_xfer *xfer)
{
	for (int i = 0; i < n_cpus; i++)
		if (cpus[i].xfer == xfer && cpus[i].gid >= 0)
			return cpus[i].gid;
	return xfer ? (int)((const u32 *)xfer->tx.buf)[0] : -1;
}

/* ---------- 1. the SCMI platform ---------- */

static struct {
	/* What the device wrote into each TX buffer's input last: the reply to this transfer. */
	int answered[MAX_MSGS];
	/* Per TX message: when it was added last (the model's `due` is per message), lost. */
	unsigned long added[MAX_MSGS];
	unsigned int added_seq[MAX_MSGS]; /* the chain's seq + 1 */
	bool lost[MAX_MSGS];
	/* Delayed responses owed: the async command's transfer, token, when it was taken. */
	struct {
		int gid;
		u16 token;
		unsigned long since;
	} owed[MAX_XFERS];
	int n_owed;
	bool seen[MAX_XFERS]; /* async commands the device has taken */
} dev;

static int bound_late(void)
{
	return harness_bound("late", 0) > 0 ? 2 : 0;
}

/* machines/scmi-virtio.ts build(): deviceLatency and drespLatency. */
static long device_latency(void)
{
	return harness_bound("timeout", 1) + bound_late();
}

#define DRESP_TIMEOUT 1 /* SCMI_MAX_RESPONSE_TIMEOUT in ticks (msecs_to_jiffies below) */

static long dresp_latency(void)
{
	return harness_bound("timeout", 1) + DRESP_TIMEOUT + bound_late();
}

static u32 peek32(const void *p)
{
	u32 v;

	kshim_vq_peek(p, &v, sizeof(v));
	return v;
}

/* The command in a TX chain, as the device reads it: header, then the payload (the ghost). */
static void read_request(const struct kshim_vq_chain *ch, u32 *hdr, u32 *gid)
{
	u32 words[2];

	kshim_vq_device_read(ch, 0, words, sizeof(words));
	*hdr = words[0];
	*gid = words[1];
}

/* What the device learns from the chains it holds: async commands owe a delayed response. */
static void device_takes_commands(void)
{
	unsigned int n;
	const struct kshim_vq_chain *held = kshim_vq_held(vioch_tx()->vqueue, &n);

	for (unsigned int i = 0; i < n; i++) {
		int m = msg_index(held[i].data);
		u32 hdr, gid;

		read_request(&held[i], &hdr, &gid);
		/* The latest add of a message starts its obligation again (sendMessage's due). */
		if (m >= 0 && (!dev.added_seq[m] || held[i].seq + 1 > dev.added_seq[m])) {
			dev.added_seq[m] = held[i].seq + 1;
			dev.added[m] = held[i].added_at;
			dev.lost[m] = false;
		}
		if (MSG_XTRACT_ID(hdr) == CMD_ASYNC && gid < MAX_XFERS && !dev.seen[gid]) {
			dev.seen[gid] = true;
			dev.owed[dev.n_owed].gid = (int)gid;
			dev.owed[dev.n_owed].token = (u16)MSG_XTRACT_TOKEN(hdr);
			dev.owed[dev.n_owed].since = held[i].added_at;
			dev.n_owed++;
		}
	}
}

/* The oldest chain the device holds for TX message m, or -1. */
static int held_chain(int m)
{
	unsigned int n;
	const struct kshim_vq_chain *held = kshim_vq_held(vioch_tx()->vqueue, &n);

	for (unsigned int i = 0; i < n; i++)
		if (held[i].data == tx_msgs[m])
			return (int)i;
	return -1;
}

/* The model's owed(): messages the device holds and has not lost. */
static bool device_owes(int m)
{
	return m >= 0 && m < n_tx_msgs && held_chain(m) >= 0 && !dev.lost[m];
}

static bool status_allowed(const struct hjson *ev)
{
	long status = hjson_int(ev, "status", 0);

	return status == SCMI_SUCCESS || (status == SCMI_ERR_SUPPORT && harness_bound("error", 0));
}

static bool can_reply(const struct hjson *ev, const char **why)
{
	*why = "the device does not hold that message, or may not answer with that status";
	return device_owes((int)hjson_int(ev, "msg", -1)) && status_allowed(ev);
}

static void device_reply(const struct hjson *ev)
{
	int m = (int)hjson_int(ev, "msg", -1);
	int status = (int)hjson_int(ev, "status", 0);
	unsigned int n;
	const struct kshim_vq_chain *held = kshim_vq_held(vioch_tx()->vqueue, &n);
	const struct kshim_vq_chain *ch = &held[held_chain(m)];
	u32 hdr, gid, reply[3];

	read_request(ch, &hdr, &gid);
	/* The response: the command's header (its token), the status, the ghost echoed. */
	reply[0] = hdr;
	reply[1] = (u32)status;
	reply[2] = gid;
	kshim_vq_device_write(ch, 1, reply, sizeof(reply));
	dev.answered[m] = (int)gid;
	emit("returned", "\"msg\":%d,\"reply\":%d,\"status\":%d", m, (int)gid, status);
	kshim_vq_device_return(vioch_tx()->vqueue, (unsigned int)held_chain(m), sizeof(reply));
}

static bool can_lose(const struct hjson *ev, const char **why)
{
	*why = "the device may lose no more buffers, or does not hold that one";
	return lost_left > 0 && device_owes((int)hjson_int(ev, "msg", -1));
}

/* The model's deviceLose(): the message's obligation is gone (every copy the device holds). */
static void device_lose(const struct hjson *ev)
{
	int m = (int)hjson_int(ev, "msg", -1);

	while (held_chain(m) >= 0)
		kshim_vq_device_lose(vioch_tx()->vqueue, (unsigned int)held_chain(m));
	dev.lost[m] = true;
	lost_left--;
}

static int owed_index(int gid)
{
	for (int i = 0; i < dev.n_owed; i++)
		if (dev.owed[i].gid == gid)
			return i;
	return -1;
}

static bool can_dresp(const struct hjson *ev, const char **why)
{
	unsigned int n;

	kshim_vq_held(vioch_rx()->vqueue, &n);
	*why = "no delayed response owed for that transfer, or no RX buffer to put it in";
	return owed_index((int)hjson_int(ev, "xfer", -1)) >= 0 &&
	       hjson_int(ev, "rx", -1) == 0 && n > 0 && status_allowed(ev);
}

static void device_dresp(const struct hjson *ev)
{
	int gid = (int)hjson_int(ev, "xfer", -1);
	int status = (int)hjson_int(ev, "status", 0);
	int i = owed_index(gid);
	unsigned int n;
	const struct kshim_vq_chain *held = kshim_vq_held(vioch_rx()->vqueue, &n);
	struct scmi_msg_hdr h = { .id = CMD_ASYNC, .protocol_id = SCMI_PROTOCOL_BASE,
				  .type = MSG_TYPE_DELAYED_RESP, .seq = dev.owed[i].token };
	u32 dresp[3] = { pack_scmi_header(&h), (u32)status, (u32)gid };

	kshim_vq_device_write(&held[0], 0, dresp, sizeof(dresp));
	memmove(&dev.owed[i], &dev.owed[i + 1], (size_t)(--dev.n_owed - i) * sizeof(dev.owed[0]));
	emit("dresp_returned", "\"rx\":0,\"reply\":%d,\"status\":%d", gid, status);
	kshim_vq_device_return(vioch_rx()->vqueue, 0, sizeof(dresp));
}

/* The model's irq_anyway guard: the hint is set, something is used, the line is quiet. */
static bool can_irq_anyway(const struct hjson *ev, const char **why)
{
	struct virtqueue *vq = vioch_tx()->vqueue;

	(void)ev;
	*why = "the device honours the hint here, or has nothing to notify";
	return harness_bound("ignoreHint", 0) && kshim_vq_no_interrupt(vq) &&
	       !*kshim_vq_irq_line(vq) && kshim_vq_used_pending(vq) > 0;
}

static void irq_anyway(const struct hjson *ev)
{
	(void)ev;
	*kshim_vq_irq_line(vioch_tx()->vqueue) = true;
}

/* ---------- 2. the callers ---------- */

static long send_entry(const struct hjson *ev)
{
	int cpu = (int)hjson_int(ev, "cpu", -1);
	bool async = !strcmp(hjson_str(ev, "type", ""), "send_async");
	bool polled = hjson_bool(ev, "polled", false);
	int gid = issued++;
	struct scmi_xfer *xfer;
	int ret;

	if (async)
		async_left--;
	cpus[cpu].gid = gid;
	cpus[cpu].polled = polled;
	cpus[cpu].async = async;
	cpus[cpu].armed = jiffies;
	ret = xfer_get_init(&info, async ? CMD_ASYNC : CMD_SYNC, sizeof(u32), sizeof(u32), &xfer);
	if (!ret) {
		cpus[cpu].xfer = xfer;
		xfer->hdr.protocol_id = SCMI_PROTOCOL_BASE;
		xfer->hdr.poll_completion = polled;
		((u32 *)xfer->tx.buf)[0] = (u32)gid;
		ret = async ? do_xfer_with_response(&info, &tx_cinfo, xfer) :
			      do_xfer(&info, &tx_cinfo, xfer);
	}
	emit("completed", "\"xfer\":%d,\"ret\":%d", gid, ret);
	if (cpus[cpu].xfer)
		xfer_put(&info, xfer);
	cpus[cpu].xfer = NULL;
	cpus[cpu].gid = -1;
	return ret;
}

static long chan_free_entry(const struct hjson *ev)
{
	(void)ev;
	return scmi_virtio_desc.ops->chan_free(0, &tx_cinfo, NULL);
}

/* ---------- 3. what an observer sees ---------- */

/* The reply a TX buffer holds, as the model names it: the transfer whose request is in it,
 * if the device has answered that request; -1 (stale) otherwise. */
static int reply_in(const struct scmi_vio_msg *msg)
{
	int m = msg_index(msg);
	u32 request_gid = peek32(&msg->request->msg_payload[0]);

	return m >= 0 && dev.answered[m] == (int)request_gid ? (int)request_gid : -1;
}

/* The delayed response an RX buffer holds: the transfer the device wrote it for. */
static int dresp_in(const struct scmi_vio_msg *msg)
{
	return (int)peek32(&msg->input->msg_payload[1]);
}

static bool is_rx_msg(const void *msg)
{
	return msg && msg_index(msg) < 0;
}

static void on_trace(const char *event, const void *obj, long a, long b)
{
	if (!strcmp(event, "scmi_rx_done")) {
		const struct scmi_xfer *xfer = obj;
		const void *msg = (const void *)b;

		if (a == MSG_TYPE_DELAYED_RESP)
			emit("fetched", "\"xfer\":%d,\"reply\":%d,\"via\":\"dresp\"", gid_of(xfer),
			     dresp_in(msg));
		else
			emit("fetched", "\"xfer\":%d,\"reply\":%d,\"via\":\"rx_callback\"",
			     gid_of(xfer), reply_in(msg));
	} else if (!strcmp(event, "scmi_poll_fetched")) {
		const struct scmi_xfer *xfer = obj;

		emit("fetched", "\"xfer\":%d,\"reply\":%d,\"via\":\"poll\"", gid_of(xfer),
		     reply_in(xfer->priv));
	} else if (!strcmp(event, "scmi_poll_done")) {
		const struct scmi_xfer *xfer = obj;

		emit("poll_done", "\"xfer\":%d,\"reply\":%d", gid_of(xfer),
		     xfer->priv ? reply_in(xfer->priv) : -1);
	} else if (!strcmp(event, "scmi_msg_dropped")) {
		if (is_rx_msg(obj))
			emit("dresp_discarded", "\"reply\":%d", dresp_in(obj));
		else
			emit("discarded", "\"reply\":%d", reply_in(obj));
	} else if (!strcmp(event, "scmi_chan_freed")) {
		emit("chan_freed", "%s", "");
	}
}

static void on_queue_work(struct workqueue_struct *wq, enum kshim_wq_state state,
			  struct work_struct *w)
{
	static const char *const names[] = {
		[KSHIM_WQ_NULL] = "null",
		[KSHIM_WQ_ALIVE] = "alive",
		[KSHIM_WQ_DRAINING] = "draining",
		[KSHIM_WQ_FREED] = "freed",
	};

	(void)wq;
	if (w == &vioch_tx()->deferred_tx_work)
		emit("queue_work", "\"wq\":\"%s\"", names[state]);
}

/* complete(xfer->async_done) with a caller waiting on it. */
static void on_completed(struct completion *c)
{
	for (int i = 0; i < n_cpus; i++)
		if (cpus[i].xfer && cpus[i].async && cpus[i].xfer->async_done == c)
			emit("async_complete", "\"xfer\":%d,\"live\":true", cpus[i].gid);
}

/* ---------- 4. the table ---------- */

/*
 * Where the model's steps begin, per execution context (docs/scmi-virtio-c.md, "The grain").
 * A run stops at the first point of its context's list that matches: the kind, the function
 * performing the operation, part of its label, the spinlocks held there (-1: any), the step
 * the run resumed from (`after`, 0: any) and a condition. The step a stopped context is at is
 * the point it stopped at.
 */
enum phase {
	AT_START, /* a run from the context's entry (a call, an interrupt, a work starting) */
	POLL_CHECK, POLL_FETCH, POLL_KICK, TRY_WAIT, POLL_EXIT, WAIT, MARK_TXDONE, WAIT_DRESP,
	ASYNC_CLEAR,
	CB_GET, CB_HAND, CB_FINALIZE, PENDING_LIST,
	RX_GET, RX_ACQUIRE, RX_COMPLETE, RX_FINALIZE,
	FREE_WQ_NULL, FREE_DRAIN, FREE_DESTROY, FREE_GONE,
	NO_PHASE,
};
#define P(phase) (1u << (phase))

struct phase_point {
	enum phase phase;
	enum yield_kind kind;
	const char *func;
	const char *label;
	int depth;
	unsigned after;
	bool (*when)(const struct kctx *c);
};

/* The polling loop ended on its own ktime_after() (the model merges that into TRY_WAIT). */
static bool loop_not_timed_out(const struct kctx *c)
{
	(void)c;
	return !kctx_run_crossed(Y_CHECK, "scmi_xfer_done_no_timeout", "ktime_get");
}

/* As written, `vioch->deferred_tx_wq = NULL` comes after destroy_workqueue(), unlocked. */
static bool wq_pointer_still_set(const struct kctx *c)
{
	(void)c;
	return vioch_tx()->deferred_tx_wq != NULL;
}

static const struct phase_point cpu_points[] = {
	{ POLL_CHECK, Y_CALL, NULL, "poll_done", -1, 0, NULL },
	{ POLL_FETCH, Y_LOCK, "virtio_poll_done", "(&vioch->lock", 0, 0, NULL },
	{ POLL_KICK, Y_QUEUE_WORK, "virtio_poll_done", NULL, 0, 0, NULL },
	{ TRY_WAIT, Y_CHECK, NULL, "try_wait_for_completion", -1, 0, NULL },
	{ POLL_EXIT, Y_CHECK, "scmi_wait_for_message_response", "ktime_get", -1,
	  P(POLL_CHECK) | P(POLL_FETCH) | P(POLL_KICK) | P(TRY_WAIT), loop_not_timed_out },
	{ WAIT, Y_WAIT_COMPLETION, NULL, "&xfer->done", -1, 0, NULL },
	{ MARK_TXDONE, Y_CALL, NULL, "mark_txdone", -1, 0, NULL },
	{ WAIT_DRESP, Y_WAIT_COMPLETION, NULL, "async_done", -1, 0, NULL },
	{ ASYNC_CLEAR, Y_ACCESS, NULL, "xfer->async_done = NULL", -1, 0, NULL },
	{ ASYNC_CLEAR, Y_LOCK, "do_xfer_with_response", "(&xfer->lock", 0, 0, NULL },
};

#define COMPLETE_CB_POINTS(GET, HAND, FINALIZE)                                              \
	{ GET, Y_LOCK, "scmi_vio_complete_cb", "(&vioch->ready_lock", 0, 0, NULL },          \
	{ HAND, Y_CALL, NULL, "scmi_rx_callback", -1, P(GET), NULL },                        \
	{ FINALIZE, Y_LOCK, "scmi_vio_complete_cb", "spin_lock(&vioch->lock)", -1,            \
	  P(HAND) | P(RX_COMPLETE), NULL }

static const struct phase_point irq_points[] = {
	COMPLETE_CB_POINTS(CB_GET, CB_HAND, CB_FINALIZE),
};

static const struct phase_point worker_points[] = {
	{ PENDING_LIST, Y_LOCK, "scmi_vio_deferred_tx_worker", "(&vioch->lock", 0, 0, NULL },
	COMPLETE_CB_POINTS(CB_GET, CB_HAND, CB_FINALIZE),
};

static const struct phase_point rx_points[] = {
	COMPLETE_CB_POINTS(RX_GET, RX_ACQUIRE, RX_FINALIZE),
	{ RX_COMPLETE, Y_ACCESS, "scmi_handle_response", "smp_store_mb(xfer->priv", -1,
	  P(RX_ACQUIRE), NULL },
};

static const struct phase_point teardown_points[] = {
	{ FREE_WQ_NULL, Y_LOCK, "virtio_chan_free", "(&vioch->lock", 0, P(AT_START), NULL },
	{ FREE_WQ_NULL, Y_FREE, "virtio_chan_free", "destroy_workqueue(", -1, 0,
	  wq_pointer_still_set },
	{ FREE_DRAIN, Y_CANCEL_WORK, NULL, "destroy_workqueue(", -1, 0, NULL },
	{ FREE_DESTROY, Y_WAIT_WORK, NULL, "destroy_workqueue(", -1, 0, NULL },
	{ FREE_GONE, Y_CALL, NULL, "scmi_free_channel", -1, 0, NULL },
};

static bool point_matches(const struct phase_point *pp, const struct kpoint *p)
{
	return pp->kind == p->kind && (!pp->func || (p->func && !strcmp(pp->func, p->func))) &&
	       (!pp->label || strstr(p->label, pp->label)) &&
	       (pp->depth < 0 || pp->depth == p->depth);
}

/* The step a context that stopped at `p` is at (AT_START for a run from its entry). */
static enum phase phase_at(const struct phase_point *pts, size_t n, const struct kpoint *p)
{
	if (p->kind == Y_START)
		return AT_START;
	for (size_t i = 0; i < n; i++)
		if (point_matches(&pts[i], p))
			return pts[i].phase;
	return NO_PHASE;
}

static bool stops(const struct phase_point *pts, size_t n, const struct kctx *c,
		  const struct kpoint *from, const struct kpoint *here)
{
	enum phase was = phase_at(pts, n, from);

	for (size_t i = 0; i < n; i++)
		if (point_matches(&pts[i], here) && (!pts[i].after || (pts[i].after & P(was))) &&
		    (!pts[i].when || pts[i].when(c)))
			return true;
	return false;
}

#define STOP_RULE(name, pts)                                                                \
	static bool name(const struct kctx *c, const struct kpoint *from,                  \
			 const struct kpoint *here)                                        \
	{                                                                                  \
		return stops(pts, ARRAY_SIZE(pts), c, from, here);                         \
	}
STOP_RULE(cpu_stops, cpu_points)
STOP_RULE(irq_stops, irq_points)
STOP_RULE(worker_stops, worker_points)
STOP_RULE(rx_stops, rx_points)
STOP_RULE(teardown_stops, teardown_points)

static enum phase cpu_phase(int i)
{
	struct kctx *k = harness_context("cpu", i);

	return k->status == KCTX_IDLE ? AT_START :
					phase_at(cpu_points, ARRAY_SIZE(cpu_points), &k->from);
}

/* ---------- the environment's assumptions (each mirrors machines/scmi-virtio) ---------- */

static bool context_idle(const char *name, int index)
{
	return harness_context(name, index)->status == KCTX_IDLE;
}

/* How long the wait of cpu i has run, and its limit (sendMessage's arm(timeout), or
 * MARK_TXDONE's arm(drespTimeout)); false when no deadline is armed (the model's giveUp). */
static bool cpu_deadline(int i, long *elapsed, long *limit)
{
	enum phase ph = cpu_phase(i);

	*elapsed = (long)(jiffies - cpus[i].armed);
	*limit = ph == WAIT_DRESP ? DRESP_TIMEOUT : harness_bound("timeout", 1);
	return ph == POLL_CHECK || ph == POLL_FETCH || ph == POLL_KICK || ph == TRY_WAIT ||
	       ph == POLL_EXIT || ph == WAIT || ph == WAIT_DRESP;
}

/* environment.ts waiting(): a CPU that only waits (maximal progress lets time pass). */
static bool cpu_waiting(int i)
{
	enum phase ph = cpu_phase(i);
	struct scmi_xfer *xfer = cpus[i].xfer;
	long elapsed, limit;

	if (ph == AT_START)
		return true;
	if (ph == WAIT)
		return xfer->done.done == 0;
	if (ph == WAIT_DRESP)
		return xfer->async_done && xfer->async_done->done == 0;
	if (ph != POLL_CHECK && ph != TRY_WAIT)
		return false;
	/* polling: not past the deadline, nothing completed, poll_done would see nothing */
	cpu_deadline(i, &elapsed, &limit);
	if (xfer->done.done || elapsed > limit || !xfer->priv)
		return false;
	{
		struct scmi_vio_msg *msg = xfer->priv;

		return msg->poll_idx != VIO_MSG_POLL_DONE &&
		       (u16)msg->poll_idx == kshim_vq_used_idx(vioch_tx()->vqueue);
	}
}

/* environment.ts tickEnabled() -> canTick(): nothing urgent, no obligation at 0, and some
 * deadline or obligation still moves. */
static bool tick_enabled(const struct hjson *ev, const char **why)
{
	bool moves = false;
	long t;

	(void)ev;
	*why = "something must happen before time passes (maximal progress), or no clock moves";
	if (*kshim_vq_irq_line(vioch_tx()->vqueue) || *kshim_vq_irq_line(vioch_rx()->vqueue) ||
	    !context_idle("irq", -1) || !context_idle("rx", -1) || !context_idle("worker", -1) ||
	    vioch_tx()->deferred_tx_work.queued)
		return false;
	for (int i = 0; i < n_cpus; i++) {
		long elapsed, limit;

		if (!cpu_waiting(i))
			return false;
		if (cpu_deadline(i, &elapsed, &limit) && elapsed <= limit)
			moves = true;
	}
	for (int m = 0; m < n_tx_msgs; m++) {
		if (!device_owes(m))
			continue;
		t = device_latency() - (long)(jiffies - dev.added[m]);
		if (t <= 0)
			return false;
		moves = true;
	}
	for (int i = 0; i < dev.n_owed; i++) {
		t = dresp_latency() - (long)(jiffies - dev.owed[i].since);
		if (t <= 0)
			return false;
		moves = true;
	}
	return moves;
}

static void tick(const struct hjson *ev)
{
	(void)ev;
	kshim_clock_advance(1);
}

static bool can_send(const struct hjson *ev, const char **why)
{
	int cpu = (int)hjson_int(ev, "cpu", -1);
	bool async = !strcmp(hjson_str(ev, "type", ""), "send_async");

	*why = "this CPU runs the interrupt, every transfer was issued, or the channel is going";
	return cpu != irq_on && issued < harness_bound("transfers", 0) &&
	       (!async || async_left > 0) && vioch_tx()->ready;
}

static bool cpu_free(const struct hjson *ev, const char **why)
{
	*why = "this CPU runs the interrupt handler";
	return (int)hjson_int(ev, "cpu", -1) != irq_on;
}

static bool line_raised(struct virtqueue *vq, const char **why)
{
	*why = "no interrupt is pending";
	return *kshim_vq_irq_line(vq);
}

static bool tx_irq_pending(const struct hjson *ev, const char **why)
{
	(void)ev;
	return line_raised(vioch_tx()->vqueue, why);
}

static bool rx_irq_pending(const struct hjson *ev, const char **why)
{
	(void)ev;
	return line_raised(vioch_rx()->vqueue, why);
}

/* vring_interrupt() on CPU `cpu`: the line is taken (VRING_INTERRUPT consumes it). */
static void take_tx_irq(const struct hjson *ev)
{
	*kshim_vq_irq_line(vioch_tx()->vqueue) = false;
	irq_on = (int)hjson_int(ev, "cpu", -1);
}

static void take_rx_irq(const struct hjson *ev)
{
	(void)ev;
	*kshim_vq_irq_line(vioch_rx()->vqueue) = false;
}

static unsigned tx_irq(void)
{
	return TX_IRQ;
}

static unsigned rx_irq(void)
{
	return RX_IRQ;
}

static struct work_struct *deferred_work(const struct hjson *ev)
{
	(void)ev;
	return &vioch_tx()->deferred_tx_work;
}

/* machine.ts chan_free: teardown on, ready_lock free, and no transfer in the core unless
 * teardown=2 (scmi_remove's "no more users" contract). */
static bool can_free(const struct hjson *ev, const char **why)
{
	(void)ev;
	*why = "no teardown in these bounds, it ran, ready_lock is held, or transfers are in flight";
	if (harness_bound("teardown", 0) == 0 || !vioch_tx()->ready ||
	    vioch_tx()->ready_lock.locked)
		return false;
	if (harness_bound("teardown", 0) > 1)
		return true;
	for (int i = 0; i < n_cpus; i++)
		if (!context_idle("cpu", i))
			return false;
	return true;
}

static void after_step(void)
{
	device_takes_commands();
}

/* A CPU entering WAIT_DRESP arms SCMI_MAX_RESPONSE_TIMEOUT (the wait starts in that step). */
static void cpu_ran(int i)
{
	enum phase now = cpu_phase(i);

	if (now == WAIT_DRESP && cpus[i].phase != WAIT_DRESP)
		cpus[i].armed = jiffies;
	cpus[i].phase = now;
}

static void irq_finished(int index, long ret)
{
	(void)index;
	(void)ret;
	irq_on = -1;
}

static void reset(const struct hjson *bounds)
{
	long timeout = harness_bound("timeout", 1);

	(void)bounds;
	/* the model's tick: max_rx_timeout_ms is `timeout` ticks */
	kshim_msecs_per_jiffy = (unsigned long)(scmi_virtio_desc.max_rx_timeout_ms / timeout);
	memset(cpus, 0, sizeof(cpus));
	memset(&dev, 0, sizeof(dev));
	for (int m = 0; m < MAX_MSGS; m++)
		dev.answered[m] = -1;
	n_cpus = (int)harness_bound("cpus", 1);
	if (n_cpus > MAX_CPUS || harness_bound("maxMsg", 1) > MAX_MSGS ||
	    harness_bound("transfers", 0) > MAX_XFERS)
		harness_fatal("bounds too large for this harness");
	for (int i = 0; i < n_cpus; i++)
		cpus[i].gid = -1;
	issued = 0;
	async_left = (int)harness_bound("async", 0);
	lost_left = (int)harness_bound("lost", 0);
	irq_on = -1;

	/* The device: a TX queue of two descriptors per message, the RX queue of RX_MSGS. */
	memset(&vdev, 0, sizeof(vdev));
	vdev.features = 1ULL << VIRTIO_SCMI_F_P2A_CHANNELS;
	vdev.kshim_vring_size[VIRTIO_SCMI_VQ_TX] =
		(unsigned int)harness_bound("maxMsg", 1) * DESCRIPTORS_PER_TX_MSG;
	vdev.kshim_vring_size[VIRTIO_SCMI_VQ_RX] = RX_MSGS;
	vdev.kshim_irq_base = TX_IRQ;
	scmi_vdev = NULL;
	if (scmi_vio_probe(&vdev))
		harness_fatal("scmi_vio_probe failed");

	/* The core: its two channels set up, the TX pool from get_max_msg(). */
	memset(&info, 0, sizeof(info));
	info.dev = &core_dev;
	info.desc = &scmi_virtio_desc;
	tx_cinfo = (struct scmi_chan_info){ .dev = &core_dev, .handle = &info.handle };
	rx_cinfo = (struct scmi_chan_info){ .dev = &core_dev, .handle = &info.handle };
	if (scmi_virtio_desc.ops->chan_setup(&tx_cinfo, &core_dev, true) ||
	    scmi_virtio_desc.ops->chan_setup(&rx_cinfo, &core_dev, false) ||
	    scmi_xfer_info_init(&info, &tx_cinfo))
		harness_fatal("channel setup failed");
	transfer_last_id = 0;

	/* The model numbers the messages in setup order; each was list_add()ed at the head. */
	n_tx_msgs = 0;
	{
		struct scmi_vio_msg *msg;
		int p = 0;

		list_for_each_entry(msg, &vioch_tx()->free_list, list)
			n_tx_msgs++;
		list_for_each_entry(msg, &vioch_tx()->free_list, list)
			tx_msgs[n_tx_msgs - 1 - p++] = msg;
	}

	kshim_hooks.trace = on_trace;
	kshim_hooks.queue_work_called = on_queue_work;
	kshim_hooks.completed = on_completed;
}

#define CPU { "cpu", PAY_INDEX, "cpus" }
#define STATUS { "status", PAY_INTS, "0|-1" }
#define ANY_KIND (~0u)

static const struct step_rule rules[] = {
	/* a protocol on CPU `cpu`: xfer_get, do_xfer(_with_response) to its first step point */
	{ .event = "send", .action = RULE_START, .context = "cpu", .index_key = "cpu",
	  .payload = { CPU, { "polled", PAY_BOOL, NULL } }, .enabled = can_send,
	  .entry = send_entry, .stop_at = cpu_stops },
	{ .event = "send_async", .action = RULE_START, .context = "cpu", .index_key = "cpu",
	  .payload = { CPU }, .enabled = can_send, .entry = send_entry, .stop_at = cpu_stops },
	{ .event = "step", .action = RULE_RESUME, .context = "cpu", .index_key = "cpu",
	  .payload = { CPU }, .at = ANY_KIND, .enabled = cpu_free, .stop_at = cpu_stops },
	/* the TX virtqueue's interrupt on CPU `cpu`, and its handler's steps */
	{ .event = "irq", .action = RULE_IRQ, .context = "irq", .payload = { CPU },
	  .enabled = tx_irq_pending, .act = take_tx_irq, .irq = tx_irq, .stop_at = irq_stops },
	{ .event = "irq_step", .action = RULE_RESUME, .context = "irq", .at = ANY_KIND,
	  .stop_at = irq_stops },
	/* the deferred worker: the workqueue starts it, then its steps */
	{ .event = "work_step", .action = RULE_WORK, .context = "worker", .work = deferred_work,
	  .stop_at = worker_stops },
	{ .event = "work_step", .action = RULE_RESUME, .context = "worker", .at = ANY_KIND,
	  .stop_at = worker_stops },
	/* the RX virtqueue's interrupt (delayed responses) */
	{ .event = "rx_irq", .action = RULE_IRQ, .context = "rx", .enabled = rx_irq_pending,
	  .act = take_rx_irq, .irq = rx_irq, .stop_at = rx_stops },
	{ .event = "rx_step", .action = RULE_RESUME, .context = "rx", .at = ANY_KIND,
	  .stop_at = rx_stops },
	/* scmi_remove() -> virtio_chan_free() on the TX channel */
	{ .event = "chan_free", .action = RULE_START, .context = "teardown", .enabled = can_free,
	  .entry = chan_free_entry, .stop_at = teardown_stops },
	{ .event = "free_step", .action = RULE_RESUME, .context = "teardown", .at = ANY_KIND,
	  .stop_at = teardown_stops },
	/* the device and time */
	{ .event = "device_reply", .action = RULE_ENV,
	  .payload = { { "msg", PAY_INDEX, "maxMsg" }, STATUS }, .enabled = can_reply,
	  .act = device_reply },
	{ .event = "device_dresp", .action = RULE_ENV,
	  .payload = { { "xfer", PAY_INDEX, "transfers" }, { "rx", PAY_INTS, "0" }, STATUS },
	  .enabled = can_dresp, .act = device_dresp },
	{ .event = "device_lose", .action = RULE_ENV, .payload = { { "msg", PAY_INDEX, "maxMsg" } },
	  .enabled = can_lose, .act = device_lose },
	{ .event = "irq_anyway", .action = RULE_ENV, .enabled = can_irq_anyway, .act = irq_anyway },
	{ .event = "tick", .action = RULE_ENV, .enabled = tick_enabled, .act = tick },
};

static const struct context_rule contexts[] = {
	{ .context = "cpu", .ran = cpu_ran },
	{ .context = "irq", .finished = irq_finished },
	{ .context = "worker" },
	{ .context = "rx" },
	{ .context = "teardown" },
};

const struct harness_adapter harness_adapter = {
	.protocol = "scmi-virtio",
	.rules = rules,
	.n_rules = ARRAY_SIZE(rules),
	.contexts = contexts,
	.n_contexts = ARRAY_SIZE(contexts),
	.reset = reset,
	.after_step = after_step,
};
