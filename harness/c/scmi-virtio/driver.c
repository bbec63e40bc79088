// SPDX-License-Identifier: MIT
/*
 * RECONSTRUCTED: the SCMI core (drivers/firmware/arm_scmi/driver.c of v5.17, the release that
 * merged the atomic series the seed is part of), reduced to the path of a command on one TX
 * channel and its delayed response on the RX channel:
 *   - the pool of max_msg transfers and the monotonic tokens (scmi_xfer_get,
 *     scmi_xfer_token_set, __scmi_xfer_put);
 *   - do_xfer(): send_message, then the polling loop on poll_done / try_wait_for_completion /
 *     ktime_after, or wait_for_completion_timeout; mark_txdone; do_xfer_with_response();
 *   - scmi_rx_callback() -> scmi_handle_response(): the token lookup, the state check under
 *     xfer->lock (scmi_msg_response_validate), the busy flag, fetch_response, complete();
 *   - scmi_free_channel().
 * Left out: notifications (the model's device sends none), protocols and their instances,
 * the idr of channels (one TX, one RX), scmi_xfer_raw_*, debugfs, the SMC/mailbox transports.
 *
 * HARNESS CHANGE (four kinds, each marked where it is):
 *   - the core's calls of a transport op, and the transport's calls into the core, are yield
 *     points (Y_CALL, named by the function): the model's steps begin at some of them;
 *   - observation points (KSHIM_TRACE) where the model has an output and upstream has no
 *     tracepoint: a reply fetched by polling, poll_done() returning true, a dropped reply
 *     (later kernels trace it there: scmi_bad_message_trace), the channel freed;
 *   - `xfer->async_done = NULL` in do_xfer_with_response() is a plain store that the RX path
 *     reads without a lock: a yield point (Y_ACCESS) before it, as smp_store_mb() has;
 *   - the test after the polling loop is the model's ktime_after(), not v5.17's
 *     ktime_before() (they differ only at a clock reading of exactly `stop`: a tick here).
 */
#include "common.h"

struct scmi_xfers_info {
	struct scmi_xfer *xfers; /* the pool (upstream: devm-allocated one by one) */
	unsigned long xfer_alloc_table[BITS_TO_LONGS(MSG_TOKEN_BITS)];
	spinlock_t xfer_lock;
	int max_msg;
	struct list_head free_xfers;
	struct list_head pending_xfers; /* upstream: a hash by token */
};

struct scmi_handle {
	int unused;
};

struct scmi_info {
	struct device *dev;
	const struct scmi_desc *desc;
	struct scmi_handle handle;
	struct scmi_xfers_info tx_minfo;
};

#define handle_to_scmi_info(h) container_of(h, struct scmi_info, handle)

/* HARNESS CHANGE: a call of a transport op is a yield point (see the file's comment). */
#define TRANSPORT_OP(info, op, ...) \
	(KSHIM_AT(kyield(Y_CALL, #op)), (info)->desc->ops->op(__VA_ARGS__))

static long transfer_last_id; /* upstream: atomic_t, starts at 0 */

static const int scmi_linux_errmap[] = {
	/* better than switch case as long as return value is continuous */
	0,           /* SCMI_SUCCESS */
	-EOPNOTSUPP, /* SCMI_ERR_SUPPORT */
	-EINVAL,     /* SCMI_ERR_PARAM */
	-EACCES,     /* SCMI_ERR_ACCESS */
	-ENOENT,     /* SCMI_ERR_ENTRY */
	-ERANGE,     /* SCMI_ERR_RANGE */
	-EBUSY,      /* SCMI_ERR_BUSY */
	-ECOMM,      /* SCMI_ERR_COMMS */
	-EIO,        /* SCMI_ERR_GENERIC */
	-EREMOTEIO,  /* SCMI_ERR_HARDWARE */
	-EPROTO,     /* SCMI_ERR_PROTOCOL */
};

static inline int scmi_to_linux_errno(int errno_)
{
	int err_idx = -errno_;

	if (err_idx >= SCMI_SUCCESS && err_idx < (int)ARRAY_SIZE(scmi_linux_errmap))
		return scmi_linux_errmap[err_idx];
	return -EIO;
}

/* ---------- tokens and the pool ---------- */

static int scmi_xfer_token_set(struct scmi_xfers_info *minfo, struct scmi_xfer *xfer)
{
	unsigned long xfer_id, next_token;

	/* HARNESS CHANGE: `% MSG_TOKEN_MAX` for upstream's `& (MSG_TOKEN_MAX - 1)` (the same
	 * for a power of two; the model's token space may be any size). */
	next_token = (unsigned long)xfer->transfer_id % MSG_TOKEN_MAX;
	xfer_id = find_next_zero_bit(minfo->xfer_alloc_table, MSG_TOKEN_MAX, next_token);
	if (xfer_id == MSG_TOKEN_MAX) {
		/* no free token ahead: wrap around to the start of the table */
		xfer_id = find_next_zero_bit(minfo->xfer_alloc_table, MSG_TOKEN_MAX, 0);
		if (WARN_ON(xfer_id == MSG_TOKEN_MAX))
			return -ENOMEM;
	}
	/* keep transfer_last_id in step when a hole was skipped */
	if (xfer_id != next_token)
		transfer_last_id += (long)(xfer_id - next_token);
	set_bit((long)xfer_id, minfo->xfer_alloc_table);
	xfer->hdr.seq = (u16)xfer_id;
	return 0;
}

static inline void scmi_xfer_token_clear(struct scmi_xfers_info *minfo, struct scmi_xfer *xfer)
{
	clear_bit(xfer->hdr.seq, minfo->xfer_alloc_table);
}

static struct scmi_xfer *scmi_xfer_get(struct scmi_info *info, struct scmi_xfers_info *minfo)
{
	unsigned long flags;
	struct scmi_xfer *xfer;

	spin_lock_irqsave(&minfo->xfer_lock, flags);
	if (list_empty(&minfo->free_xfers)) {
		spin_unlock_irqrestore(&minfo->xfer_lock, flags);
		return ERR_PTR(-ENOMEM);
	}
	xfer = list_first_entry(&minfo->free_xfers, struct scmi_xfer, node);
	list_del_init(&xfer->node);
	xfer->transfer_id = (int)++transfer_last_id;
	if (scmi_xfer_token_set(minfo, xfer)) {
		dev_err(info->dev, "Failed to get monotonic token\n");
		list_add(&xfer->node, &minfo->free_xfers);
		xfer = ERR_PTR(-ENOMEM);
	} else {
		list_add(&xfer->node, &minfo->pending_xfers);
		xfer->pending = true;
		xfer->users = 1;
		xfer->busy = SCMI_XFER_FREE;
	}
	spin_unlock_irqrestore(&minfo->xfer_lock, flags);
	return xfer;
}

static void __scmi_xfer_put(struct scmi_xfers_info *minfo, struct scmi_xfer *xfer)
{
	unsigned long flags;

	spin_lock_irqsave(&minfo->xfer_lock, flags);
	if (--xfer->users == 0) {
		if (xfer->pending) {
			scmi_xfer_token_clear(minfo, xfer);
			list_del_init(&xfer->node);
			xfer->pending = false;
		}
		list_add(&xfer->node, &minfo->free_xfers);
	}
	spin_unlock_irqrestore(&minfo->xfer_lock, flags);
}

static struct scmi_xfer *scmi_xfer_lookup_unlocked(struct scmi_xfers_info *minfo, u16 xfer_id)
{
	struct scmi_xfer *xfer;

	if (test_bit(xfer_id, minfo->xfer_alloc_table))
		list_for_each_entry(xfer, &minfo->pending_xfers, node)
			if (xfer->hdr.seq == xfer_id)
				return xfer;
	return ERR_PTR(-EINVAL);
}

/* ---------- the receive path ---------- */

static inline int scmi_msg_response_validate(struct scmi_chan_info *cinfo, u8 msg_type,
					     struct scmi_xfer *xfer)
{
	/* a delayed response nobody asked for: the platform's fault */
	if (msg_type == MSG_TYPE_DELAYED_RESP && !xfer->async_done) {
		dev_err(cinfo->dev, "Delayed Response for %d not expected! Buggy F/W ?\n",
			xfer->hdr.seq);
		return -EINVAL;
	}

	switch (xfer->state) {
	case SCMI_XFER_SENT_OK:
		if (msg_type == MSG_TYPE_DELAYED_RESP) {
			/* the delayed response came first: take the response as successful */
			xfer->hdr.status = SCMI_SUCCESS;
			xfer->state = SCMI_XFER_RESP_OK;
			complete(&xfer->done);
			dev_warn(cinfo->dev, "Received valid OoO Delayed Response for %d\n",
				 xfer->hdr.seq);
		}
		break;
	case SCMI_XFER_RESP_OK:
		if (msg_type != MSG_TYPE_DELAYED_RESP)
			return -EINVAL;
		break;
	case SCMI_XFER_DRESP_OK:
		/* nothing more is expected once the delayed response was taken */
		return -EINVAL;
	}

	return 0;
}

static inline void scmi_xfer_state_update(struct scmi_xfer *xfer, u8 msg_type)
{
	xfer->hdr.type = msg_type;
	if (xfer->hdr.type == MSG_TYPE_COMMAND)
		xfer->state = SCMI_XFER_RESP_OK;
	else
		xfer->state = SCMI_XFER_DRESP_OK;
}

static bool scmi_xfer_acquired(struct scmi_xfer *xfer)
{
	if (xfer->busy != SCMI_XFER_FREE)
		return false;
	xfer->busy = SCMI_XFER_BUSY; /* atomic_cmpxchg() */
	return true;
}

static inline struct scmi_xfer *scmi_xfer_command_acquire(struct scmi_chan_info *cinfo,
							  u32 msg_hdr)
{
	int ret;
	unsigned long flags;
	struct scmi_xfer *xfer;
	struct scmi_info *info = handle_to_scmi_info(cinfo->handle);
	struct scmi_xfers_info *minfo = &info->tx_minfo;
	u8 msg_type = MSG_XTRACT_TYPE(msg_hdr);
	u16 xfer_id = MSG_XTRACT_TOKEN(msg_hdr);

	spin_lock_irqsave(&minfo->xfer_lock, flags);
	xfer = scmi_xfer_lookup_unlocked(minfo, xfer_id);
	if (IS_ERR(xfer)) {
		dev_err(cinfo->dev, "Message for %d type %d is not expected!\n", xfer_id,
			msg_type);
		spin_unlock_irqrestore(&minfo->xfer_lock, flags);
		return xfer;
	}
	xfer->users++; /* refcount_inc() */
	spin_unlock_irqrestore(&minfo->xfer_lock, flags);

	spin_lock_irqsave(&xfer->lock, flags);
	ret = scmi_msg_response_validate(cinfo, msg_type, xfer);
	if (!ret) {
		spin_until_cond(scmi_xfer_acquired(xfer));
		scmi_xfer_state_update(xfer, msg_type);
	}
	spin_unlock_irqrestore(&xfer->lock, flags);

	if (ret) {
		dev_err(cinfo->dev, "Invalid message type:%d for %d - HDR:0x%X  state:%d\n",
			msg_type, xfer_id, msg_hdr, xfer->state);
		__scmi_xfer_put(minfo, xfer);
		xfer = ERR_PTR(-EINVAL);
	}

	return xfer;
}

static inline void scmi_xfer_command_release(struct scmi_info *info, struct scmi_xfer *xfer)
{
	xfer->busy = SCMI_XFER_FREE; /* atomic_set() */
	__scmi_xfer_put(&info->tx_minfo, xfer);
}

static inline void scmi_clear_channel(struct scmi_info *info, struct scmi_chan_info *cinfo)
{
	if (info->desc->ops->clear_channel)
		TRANSPORT_OP(info, clear_channel, cinfo);
}

static void scmi_handle_response(struct scmi_chan_info *cinfo, u32 msg_hdr, void *priv)
{
	struct scmi_xfer *xfer;
	struct scmi_info *info = handle_to_scmi_info(cinfo->handle);

	xfer = scmi_xfer_command_acquire(cinfo, msg_hdr);
	if (IS_ERR(xfer)) {
		/* HARNESS CHANGE (observation): the reply is dropped */
		KSHIM_TRACE("scmi_msg_dropped", priv, msg_hdr, 0);
		if (MSG_XTRACT_TYPE(msg_hdr) == MSG_TYPE_DELAYED_RESP)
			scmi_clear_channel(info, cinfo);
		return;
	}

	/* a delayed response may be longer than what the response left in rx.len */
	if (xfer->hdr.type == MSG_TYPE_DELAYED_RESP)
		xfer->rx.len = info->desc->max_msg_size;

	if (priv)
		smp_store_mb(xfer->priv, priv);
	TRANSPORT_OP(info, fetch_response, cinfo, xfer);

	KSHIM_TRACE("scmi_rx_done", xfer, xfer->hdr.type, priv);

	if (xfer->hdr.type == MSG_TYPE_DELAYED_RESP) {
		scmi_clear_channel(info, cinfo);
		complete(xfer->async_done);
	} else {
		complete(&xfer->done);
	}

	scmi_xfer_command_release(info, xfer);
}

void scmi_rx_callback(struct scmi_chan_info *cinfo, u32 msg_hdr, void *priv)
{
	u8 msg_type = MSG_XTRACT_TYPE(msg_hdr);

	/* HARNESS CHANGE: the transport calls into the core (see the file's comment). */
	KSHIM_AT(kyield(Y_CALL, "scmi_rx_callback"));
	switch (msg_type) {
	case MSG_TYPE_COMMAND:
	case MSG_TYPE_DELAYED_RESP:
		scmi_handle_response(cinfo, msg_hdr, priv);
		break;
	default: /* notifications are left out: the model's device sends none */
		WARN(1, "received unknown msg_type:%d\n", msg_type);
		break;
	}
}

/* ---------- the transmit path ---------- */

static inline bool scmi_xfer_done_no_timeout(struct scmi_chan_info *cinfo,
					     struct scmi_xfer *xfer, ktime_t stop)
{
	struct scmi_info *info = handle_to_scmi_info(cinfo->handle);

	if (TRANSPORT_OP(info, poll_done, cinfo, xfer)) {
		/* HARNESS CHANGE (observation): poll_done() said the reply is there */
		KSHIM_TRACE("scmi_poll_done", xfer, 0, 0);
		return true;
	}
	/* also on xfer->done, which an out-of-order delayed response completes */
	return try_wait_for_completion(&xfer->done) || ktime_after(ktime_get(), stop);
}

static int scmi_wait_for_message_response(struct scmi_chan_info *cinfo, struct scmi_xfer *xfer)
{
	struct scmi_info *info = handle_to_scmi_info(cinfo->handle);
	int ret = 0, timeout_ms = info->desc->max_rx_timeout_ms;

	if (xfer->hdr.poll_completion) {
		ktime_t stop = ktime_add_ms(ktime_get(), timeout_ms);

		spin_until_cond(scmi_xfer_done_no_timeout(cinfo, xfer, stop));
		/*
		 * HARNESS CHANGE: v5.17 asks `if (ktime_before(ktime_get(), stop))` and fetches,
		 * else times out. The two differ only when the clock reads exactly `stop`: with a
		 * nanosecond clock, just after the loop's own ktime_after() said false, that does
		 * not happen; with the model's ticks it is a whole tick, in which the loop keeps
		 * spinning and a reply may arrive. The model's POLL_EXIT asks ktime_after() here
		 * (docs/scmi-virtio.md, "Time"), which is what the continuous clock does.
		 */
		if (ktime_after(ktime_get(), stop)) {
			dev_err(info->dev, "timed out in resp - polling\n");
			ret = -ETIMEDOUT;
		}

		if (!ret) {
			unsigned long flags;

			/* not if an out-of-order delayed response took the transfer already */
			spin_lock_irqsave(&xfer->lock, flags);
			if (xfer->state == SCMI_XFER_SENT_OK) {
				TRANSPORT_OP(info, fetch_response, cinfo, xfer);
				/* HARNESS CHANGE (observation): the reply fetched by polling */
				KSHIM_TRACE("scmi_poll_fetched", xfer, 0, 0);
				xfer->state = SCMI_XFER_RESP_OK;
			}
			spin_unlock_irqrestore(&xfer->lock, flags);
		}
	} else {
		if (!wait_for_completion_timeout(&xfer->done, msecs_to_jiffies(timeout_ms))) {
			dev_err(info->dev, "timed out in resp\n");
			ret = -ETIMEDOUT;
		}
	}

	return ret;
}

static int do_xfer(struct scmi_info *info, struct scmi_chan_info *cinfo, struct scmi_xfer *xfer)
{
	int ret;

	if (xfer->hdr.poll_completion && !info->desc->ops->poll_done)
		return -EINVAL;

	reinit_completion(&xfer->done);
	xfer->state = SCMI_XFER_SENT_OK;
	smp_mb();

	ret = TRANSPORT_OP(info, send_message, cinfo, xfer);
	if (ret < 0) {
		dev_dbg(info->dev, "Failed to send message %d\n", ret);
		return ret;
	}

	ret = scmi_wait_for_message_response(cinfo, xfer);
	if (!ret && xfer->hdr.status)
		ret = scmi_to_linux_errno((int)xfer->hdr.status);

	if (info->desc->ops->mark_txdone)
		TRANSPORT_OP(info, mark_txdone, cinfo, ret, xfer);

	return ret;
}

#define SCMI_MAX_RESPONSE_TIMEOUT (2 * MSEC_PER_SEC)

static int do_xfer_with_response(struct scmi_info *info, struct scmi_chan_info *cinfo,
				 struct scmi_xfer *xfer)
{
	int ret;
	unsigned long timeout = msecs_to_jiffies(SCMI_MAX_RESPONSE_TIMEOUT);
	DECLARE_COMPLETION_ONSTACK(async_response);

	xfer->async_done = &async_response;

	/* delayed responses are not polled */
	WARN_ON(xfer->hdr.poll_completion);

	ret = do_xfer(info, cinfo, xfer);
	if (!ret) {
		if (!wait_for_completion_timeout(xfer->async_done, timeout)) {
			dev_err(info->dev, "timed out in delayed resp\n");
			ret = -ETIMEDOUT;
		} else if (xfer->hdr.status) {
			ret = scmi_to_linux_errno((int)xfer->hdr.status);
		}
	}

	/* HARNESS CHANGE: a yield point before this racy store (see the file's comment) */
	KSHIM_AT(kyield(Y_ACCESS, "xfer->async_done = NULL"));
	xfer->async_done = NULL;
	return ret;
}

/* ---------- what a protocol calls (ph->xops): get, do, put ---------- */

static int xfer_get_init(struct scmi_info *info, u8 msg_id, size_t tx_size, size_t rx_size,
			 struct scmi_xfer **p)
{
	struct scmi_xfer *xfer = scmi_xfer_get(info, &info->tx_minfo);

	if (IS_ERR(xfer))
		return (int)PTR_ERR(xfer);
	xfer->tx.len = tx_size;
	xfer->rx.len = rx_size ?: (size_t)info->desc->max_msg_size;
	xfer->hdr.type = MSG_TYPE_COMMAND;
	xfer->hdr.id = msg_id;
	xfer->hdr.poll_completion = false;
	*p = xfer;
	return 0;
}

static void xfer_put(struct scmi_info *info, struct scmi_xfer *xfer)
{
	__scmi_xfer_put(&info->tx_minfo, xfer);
}

/* ---------- channels ---------- */

void scmi_free_channel(struct scmi_chan_info *cinfo, void *idr, int id)
{
	/* HARNESS CHANGE: the transport calls into the core; observation: the channel is gone */
	KSHIM_AT(kyield(Y_CALL, "scmi_free_channel"));
	(void)idr;
	(void)id;
	KSHIM_TRACE("scmi_chan_freed", cinfo, 0, 0); /* upstream: idr_remove(idr, id) */
}

/* scmi_xfer_info_init(): the TX pool, max_msg transfers, each with its buffers and lock. */
static int scmi_xfer_info_init(struct scmi_info *info, struct scmi_chan_info *base_cinfo)
{
	struct scmi_xfers_info *minfo = &info->tx_minfo;
	int i;

	minfo->max_msg = info->desc->max_msg ?:
		(int)info->desc->ops->get_max_msg(base_cinfo);
	minfo->xfers = devm_kcalloc(info->dev, minfo->max_msg, sizeof(*minfo->xfers), GFP_KERNEL);
	if (!minfo->xfers)
		return -ENOMEM;
	bitmap_zero(minfo->xfer_alloc_table, MSG_TOKEN_BITS);
	spin_lock_init(&minfo->xfer_lock);
	INIT_LIST_HEAD(&minfo->free_xfers);
	INIT_LIST_HEAD(&minfo->pending_xfers);
	for (i = 0; i < minfo->max_msg; i++) {
		struct scmi_xfer *xfer = &minfo->xfers[i];

		xfer->rx.buf = devm_kzalloc(info->dev, info->desc->max_msg_size, GFP_KERNEL);
		if (!xfer->rx.buf)
			return -ENOMEM;
		xfer->tx.buf = xfer->rx.buf;
		init_completion(&xfer->done);
		spin_lock_init(&xfer->lock);
		list_add(&xfer->node, &minfo->free_xfers);
	}
	return 0;
}
