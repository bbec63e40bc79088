/* SPDX-License-Identifier: MIT */
/*
 * <linux/virtio.h> and <linux/virtio_config.h>: virtqueues as a split ring shared with a
 * simulated device (kernel/virtio_ring.c), with the kernel's semantics where a driver can
 * see them:
 *   - virtqueue_add_sgs()/add_inbuf() give the device a chain of buffers; from then until
 *     virtqueue_get_buf() returns it the device owns them, and the shim poisons them for
 *     AddressSanitizer (a driver access meanwhile is a use-after-poison: the DMA rules);
 *   - the device returns chains to the used ring in any order it likes; used->idx moves;
 *   - virtqueue_disable_cb() sets VRING_AVAIL_F_NO_INTERRUPT, a hint the device may ignore;
 *     virtqueue_enable_cb_prepare() clears it and returns last_used_idx;
 *     virtqueue_poll(vq, idx) is `(u16)idx != used->idx`; virtqueue_enable_cb() is
 *     `!virtqueue_poll(vq, virtqueue_enable_cb_prepare(vq))` (no event index);
 *   - vring_interrupt() is IRQ_NONE when nothing is used, else runs the callback.
 * Every virtqueue operation is a device access (Y_DEVICE).
 */
#ifndef HARNESS_VIRTIO_H
#define HARNESS_VIRTIO_H
#include "../../kshim.h"
#include "scatterlist.h"

#define VIRTIO_F_VERSION_1 32

struct virtqueue;
struct virtio_device;
typedef void vq_callback_t(struct virtqueue *);

struct virtqueue {
	vq_callback_t *callback;
	const char *name;
	struct virtio_device *vdev;
	unsigned int index;
	unsigned int num_free;
	void *priv;
};

struct virtio_device {
	struct device dev;
	u64 features;
	void *priv;
	/* The shim's: each virtqueue's size and interrupt line, as the device offers them. */
	unsigned int kshim_vring_size[4];
	unsigned int kshim_irq_base;
};

static inline bool virtio_has_feature(const struct virtio_device *vdev, unsigned int fbit)
{
	return vdev->features & (1ULL << fbit);
}
static inline const char *dev_name(const struct device *dev)
{
	(void)dev;
	return "virtio0";
}

#define virtqueue_add_sgs(vq, sgs, out, in, data, gfp) \
	KSHIM_AT(kshim_virtqueue_add(vq, sgs, NULL, out, in, data))
#define virtqueue_add_inbuf(vq, sg, num, data, gfp) \
	KSHIM_AT(kshim_virtqueue_add(vq, NULL, sg, 0, num, data))
#define virtqueue_kick(vq) KSHIM_AT(kshim_virtqueue_kick(vq))
#define virtqueue_get_buf(vq, len) KSHIM_AT(kshim_virtqueue_get_buf(vq, len))
#define virtqueue_disable_cb(vq) KSHIM_AT(kshim_virtqueue_disable_cb(vq))
#define virtqueue_enable_cb_prepare(vq) KSHIM_AT(kshim_virtqueue_enable_cb_prepare(vq))
#define virtqueue_poll(vq, idx) KSHIM_AT(kshim_virtqueue_poll(vq, idx))
#define virtqueue_enable_cb(vq) KSHIM_AT(kshim_virtqueue_enable_cb(vq))

int kshim_virtqueue_add(struct virtqueue *vq, struct scatterlist *sgs[], struct scatterlist *sg,
			unsigned int out_sgs, unsigned int in_sgs, void *data);
bool kshim_virtqueue_kick(struct virtqueue *vq);
void *kshim_virtqueue_get_buf(struct virtqueue *vq, unsigned int *len);
void kshim_virtqueue_disable_cb(struct virtqueue *vq);
unsigned int kshim_virtqueue_enable_cb_prepare(struct virtqueue *vq);
bool kshim_virtqueue_poll(struct virtqueue *vq, unsigned int last_used_idx);
bool kshim_virtqueue_enable_cb(struct virtqueue *vq);
unsigned int virtqueue_get_vring_size(struct virtqueue *vq);
irqreturn_t vring_interrupt(int irq, void *vq);

/* virtio_find_vqs(): `nvqs` split rings of the sizes the device offers, each with its
 * interrupt line (kshim_irq_base + i) requested for vring_interrupt(). */
int virtio_find_vqs(struct virtio_device *vdev, unsigned int nvqs, struct virtqueue *vqs[],
		    vq_callback_t *callbacks[], const char *const names[], void *desc);

/* ---------- the device's side, for adapters ---------- */

/* A chain the device holds: added by the driver, not yet returned. */
struct kshim_vq_chain {
	void *data;                    /* the driver's token */
	struct scatterlist sg[4];      /* out entries first, then in entries */
	unsigned int n_out, n_in;
	unsigned long added_at;        /* jiffies when it was added */
	unsigned int seq;              /* order of adding, for the adapter's bookkeeping */
};

/* The chains the device holds, oldest first; *n gets their count. */
const struct kshim_vq_chain *kshim_vq_held(struct virtqueue *vq, unsigned int *n);
/* Copies out of / into a chain's buffers, as the device's DMA does (past the poison). */
void kshim_vq_device_read(const struct kshim_vq_chain *ch, unsigned int entry, void *to,
			  size_t len);
void kshim_vq_device_write(const struct kshim_vq_chain *ch, unsigned int entry,
			   const void *from, size_t len);
/* The device returns held chain `i` with `len` bytes written: onto the used ring, used->idx
 * moves, and the interrupt line rises unless VRING_AVAIL_F_NO_INTERRUPT is set. */
void kshim_vq_device_return(struct virtqueue *vq, unsigned int i, unsigned int len);
/* The device keeps held chain `i` for ever (it is lost). */
void kshim_vq_device_lose(struct virtqueue *vq, unsigned int i);
/* The driver's interrupt-suppression hint (VRING_AVAIL_F_NO_INTERRUPT). */
bool kshim_vq_no_interrupt(struct virtqueue *vq);
/* used->idx, as the device has moved it. */
u16 kshim_vq_used_idx(struct virtqueue *vq);
/* Copies `n` bytes at `p` for an observer, past the poison of a buffer the device owns. */
void kshim_vq_peek(const void *p, void *to, size_t n);
/* Returned chains the driver has not taken yet (used->idx - last_used_idx). */
unsigned int kshim_vq_used_pending(struct virtqueue *vq);
/* The virtqueue's interrupt line: raised by a return (or by the adapter), taken by the IRQ. */
bool *kshim_vq_irq_line(struct virtqueue *vq);
unsigned int kshim_vq_irq(struct virtqueue *vq);
/* Frees every virtqueue (a reset); their buffers are the driver's to free. */
void kshim_vq_release_all(void);

#endif
