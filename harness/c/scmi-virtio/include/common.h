/* SPDX-License-Identifier: MIT */
/*
 * RECONSTRUCTED: drivers/firmware/arm_scmi/common.h of v5.17 (the series the seed belongs to),
 * reduced to what virtio.c and the reconstructed core (driver.c, msg.c) use: the message
 * header, struct scmi_xfer and its states, the channel and the transport's ops, the
 * descriptor, the core's entry points.
 *
 * HARNESS CHANGE: MSG_TOKEN_MAX (1024 upstream, the 10-bit token field) is the model's bound
 * `tokens`, so that small vectors reuse tokens as the core does after 1024 transfers.
 */
#ifndef HARNESS_SCMI_COMMON_H
#define HARNESS_SCMI_COMMON_H

#include <linux/bitfield.h>
#include <linux/completion.h>
#include <linux/device.h>
#include <linux/list.h>
#include <linux/spinlock.h>

typedef u32 __le32;
#define cpu_to_le32(x) ((u32)(x))
#define le32_to_cpu(x) ((u32)(x))
#define IS_ENABLED(option) (option)
/* Atomic (polled) transfers on: the model is about them. */
#define CONFIG_ARM_SCMI_TRANSPORT_VIRTIO_ATOMIC_ENABLE 1
#define EPROBE_DEFER 517

#define MSG_ID_MASK GENMASK(7, 0)
#define MSG_XTRACT_ID(hdr) FIELD_GET(MSG_ID_MASK, (hdr))
#define MSG_TYPE_MASK GENMASK(9, 8)
#define MSG_XTRACT_TYPE(hdr) FIELD_GET(MSG_TYPE_MASK, (hdr))
#define MSG_TYPE_COMMAND 0
#define MSG_TYPE_DELAYED_RESP 2
#define MSG_TYPE_NOTIFICATION 3
#define MSG_PROTOCOL_ID_MASK GENMASK(17, 10)
#define MSG_XTRACT_PROT_ID(hdr) FIELD_GET(MSG_PROTOCOL_ID_MASK, (hdr))
#define MSG_TOKEN_ID_MASK GENMASK(27, 18)
#define MSG_XTRACT_TOKEN(hdr) FIELD_GET(MSG_TOKEN_ID_MASK, (hdr))
/* HARNESS CHANGE (see above): upstream (MSG_XTRACT_TOKEN(MSG_TOKEN_ID_MASK) + 1). */
#define MSG_TOKEN_MAX ((unsigned long)harness_bound("tokens", 1024))
#define MSG_TOKEN_BITS 1024
#define SCMI_MSG_MAX_PROT_OVERHEAD (2 * sizeof(__le32))

#define SCMI_SUCCESS 0

struct scmi_msg_hdr {
	u8 id;
	u8 protocol_id;
	u8 type;
	u16 seq;
	u32 status;
	bool poll_completion;
};

static inline u32 pack_scmi_header(struct scmi_msg_hdr *hdr)
{
	return FIELD_PREP(MSG_ID_MASK, hdr->id) | FIELD_PREP(MSG_TYPE_MASK, hdr->type) |
	       FIELD_PREP(MSG_TOKEN_ID_MASK, hdr->seq) |
	       FIELD_PREP(MSG_PROTOCOL_ID_MASK, hdr->protocol_id);
}

struct scmi_msg {
	void *buf;
	size_t len;
};

/* xfer->state and xfer->busy */
#define SCMI_XFER_SENT_OK 0
#define SCMI_XFER_RESP_OK 1
#define SCMI_XFER_DRESP_OK 2
#define SCMI_XFER_FREE 0
#define SCMI_XFER_BUSY 1

struct scmi_xfer {
	int transfer_id;
	struct scmi_msg_hdr hdr;
	struct scmi_msg tx;
	struct scmi_msg rx;
	struct completion done;
	struct completion *async_done;
	bool pending;
	struct list_head node; /* on the free list or the pending list (upstream: hlist/hash) */
	int users;             /* refcount_t */
	int busy;              /* atomic_t */
	int state;
	spinlock_t lock;
	void *priv;
};

struct scmi_handle;
struct scmi_chan_info {
	struct device *dev;
	struct scmi_handle *handle;
	void *transport_info;
};

struct scmi_transport_ops {
	int (*chan_setup)(struct scmi_chan_info *cinfo, struct device *dev, bool tx);
	int (*chan_free)(int id, void *p, void *data);
	unsigned int (*get_max_msg)(struct scmi_chan_info *base_cinfo);
	int (*send_message)(struct scmi_chan_info *cinfo, struct scmi_xfer *xfer);
	void (*mark_txdone)(struct scmi_chan_info *cinfo, int ret, struct scmi_xfer *xfer);
	void (*fetch_response)(struct scmi_chan_info *cinfo, struct scmi_xfer *xfer);
	void (*fetch_notification)(struct scmi_chan_info *cinfo, size_t max_len,
				   struct scmi_xfer *xfer);
	void (*clear_channel)(struct scmi_chan_info *cinfo);
	bool (*poll_done)(struct scmi_chan_info *cinfo, struct scmi_xfer *xfer);
};

struct scmi_desc {
	const struct scmi_transport_ops *ops;
	int max_rx_timeout_ms;
	int max_msg;
	int max_msg_size;
	bool atomic_enabled;
};

/* The core's entry points for transports (driver.c). */
void scmi_rx_callback(struct scmi_chan_info *cinfo, u32 msg_hdr, void *priv);
void scmi_free_channel(struct scmi_chan_info *cinfo, void *idr, int id);

/* msg.c: the message layout shared by the virtio and optee transports. */
struct scmi_msg_payld {
	__le32 msg_header;
	__le32 msg_payload[];
};
size_t msg_command_size(struct scmi_xfer *xfer);
size_t msg_response_size(struct scmi_xfer *xfer);
void msg_tx_prepare(struct scmi_msg_payld *msg, struct scmi_xfer *xfer);
u32 msg_read_header(struct scmi_msg_payld *msg);
void msg_fetch_response(struct scmi_msg_payld *msg, size_t len, struct scmi_xfer *xfer);
void msg_fetch_notification(struct scmi_msg_payld *msg, size_t len, size_t max_len,
			    struct scmi_xfer *xfer);

#endif
