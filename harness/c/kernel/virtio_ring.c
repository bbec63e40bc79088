// SPDX-License-Identifier: MIT
/* The split virtqueue shared with a simulated device (see include/linux/virtio.h). */
#define _GNU_SOURCE
#include <linux/virtio.h>

#include <stdio.h>

#define MAX_VQS 4
#define MAX_CHAINS 16

struct vring {
	struct virtqueue vq;
	unsigned int num; /* descriptors in the ring */
	unsigned int irq;
	bool irq_line;
	/* the driver's side */
	u16 last_used_idx;
	bool no_interrupt; /* VRING_AVAIL_F_NO_INTERRUPT */
	/* the device's side */
	struct kshim_vq_chain held[MAX_CHAINS];
	unsigned int n_held;
	struct kshim_vq_chain lost[MAX_CHAINS];
	unsigned int n_lost;
	struct {
		void *data;
		unsigned int len;
		struct kshim_vq_chain chain;
	} used[MAX_CHAINS]; /* returned, not yet taken by the driver, oldest first */
	unsigned int n_used;
	u16 used_idx; /* used->idx */
	unsigned int seq;
};

static struct vring *vrings[MAX_VQS];

static struct vring *to_vring(struct virtqueue *vq)
{
	return container_of(vq, struct vring, vq);
}

/* ---------- DMA ownership: what the device holds is poisoned, counted per buffer ---------- */

#define MAX_OWNED (MAX_VQS * MAX_CHAINS * 4)
static struct {
	const void *buf;
	unsigned int len, count;
} owned[MAX_OWNED];

static void device_takes(const struct scatterlist *sg)
{
	int free_slot = -1;

	for (int i = 0; i < MAX_OWNED; i++) {
		if (owned[i].count && owned[i].buf == sg->buf) {
			owned[i].count++;
			return;
		}
		if (!owned[i].count && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0)
		harness_fatal("virtqueue: too many buffers owned by the device");
	owned[free_slot].buf = sg->buf;
	owned[free_slot].len = sg->length;
	owned[free_slot].count = 1;
	kshim_poison(sg->buf, sg->length);
}

static void driver_takes_back(const struct scatterlist *sg)
{
	for (int i = 0; i < MAX_OWNED; i++)
		if (owned[i].count && owned[i].buf == sg->buf) {
			/* A buffer added twice stays the device's until both are back. */
			if (--owned[i].count == 0)
				kshim_unpoison(sg->buf, sg->length);
			return;
		}
}

static void chain_owned(const struct kshim_vq_chain *ch, bool by_device)
{
	for (unsigned int i = 0; i < ch->n_out + ch->n_in; i++)
		(by_device ? device_takes : driver_takes_back)(&ch->sg[i]);
}

/* ---------- the driver's side ---------- */

int kshim_virtqueue_add(struct virtqueue *vq, struct scatterlist *sgs[], struct scatterlist *sg,
			unsigned int out_sgs, unsigned int in_sgs, void *data)
{
	struct vring *vr = to_vring(vq);
	struct kshim_vq_chain *ch;
	unsigned int n = out_sgs + in_sgs;

	kyield(Y_DEVICE, "virtqueue_add");
	if (n > ARRAY_SIZE(ch->sg) || vq->num_free < n || vr->n_held == MAX_CHAINS)
		return -ENOSPC;
	ch = &vr->held[vr->n_held++];
	memset(ch, 0, sizeof(*ch));
	ch->data = data;
	for (unsigned int i = 0; i < n; i++)
		ch->sg[i] = sgs ? *sgs[i] : sg[i];
	ch->n_out = out_sgs;
	ch->n_in = in_sgs;
	ch->added_at = jiffies;
	ch->seq = vr->seq++;
	vq->num_free -= n;
	chain_owned(ch, true);
	return 0;
}

bool kshim_virtqueue_kick(struct virtqueue *vq)
{
	(void)vq;
	kyield(Y_DEVICE, "virtqueue_kick");
	return true;
}

void *kshim_virtqueue_get_buf(struct virtqueue *vq, unsigned int *len)
{
	struct vring *vr = to_vring(vq);
	void *data;

	kyield(Y_DEVICE, "virtqueue_get_buf");
	if (vr->last_used_idx == vr->used_idx)
		return NULL;
	data = vr->used[0].data;
	*len = vr->used[0].len;
	chain_owned(&vr->used[0].chain, false);
	vq->num_free += vr->used[0].chain.n_out + vr->used[0].chain.n_in;
	memmove(&vr->used[0], &vr->used[1], --vr->n_used * sizeof(vr->used[0]));
	vr->last_used_idx++;
	return data;
}

void kshim_virtqueue_disable_cb(struct virtqueue *vq)
{
	kyield(Y_DEVICE, "virtqueue_disable_cb");
	to_vring(vq)->no_interrupt = true;
}

unsigned int kshim_virtqueue_enable_cb_prepare(struct virtqueue *vq)
{
	kyield(Y_DEVICE, "virtqueue_enable_cb_prepare");
	to_vring(vq)->no_interrupt = false;
	return to_vring(vq)->last_used_idx;
}

bool kshim_virtqueue_poll(struct virtqueue *vq, unsigned int last_used_idx)
{
	kyield(Y_DEVICE, "virtqueue_poll");
	return (u16)last_used_idx != to_vring(vq)->used_idx;
}

bool kshim_virtqueue_enable_cb(struct virtqueue *vq)
{
	unsigned int last_used_idx = kshim_virtqueue_enable_cb_prepare(vq);

	return !kshim_virtqueue_poll(vq, last_used_idx);
}

unsigned int virtqueue_get_vring_size(struct virtqueue *vq)
{
	return to_vring(vq)->num;
}

irqreturn_t vring_interrupt(int irq, void *_vq)
{
	struct vring *vr = to_vring(_vq);

	(void)irq;
	kyield(Y_DEVICE, "vring_interrupt: more_used()");
	if (vr->last_used_idx == vr->used_idx)
		return IRQ_NONE;
	if (vr->vq.callback)
		vr->vq.callback(&vr->vq);
	return IRQ_HANDLED;
}

int virtio_find_vqs(struct virtio_device *vdev, unsigned int nvqs, struct virtqueue *vqs[],
		    vq_callback_t *callbacks[], const char *const names[], void *desc)
{
	(void)desc;
	for (unsigned int i = 0; i < nvqs; i++) {
		struct vring *vr = calloc(1, sizeof(*vr));
		int slot = -1;

		for (int s = 0; s < MAX_VQS; s++)
			if (!vrings[s]) {
				slot = s;
				break;
			}
		if (!vr || slot < 0)
			harness_fatal("virtio_find_vqs: too many virtqueues");
		vrings[slot] = vr;
		vr->num = vdev->kshim_vring_size[i];
		vr->irq = vdev->kshim_irq_base + i;
		vr->vq.callback = callbacks[i];
		vr->vq.name = names[i];
		vr->vq.vdev = vdev;
		vr->vq.index = i;
		vr->vq.num_free = vr->num;
		if (kshim_request_irq(vr->irq, vring_interrupt, names[i], &vr->vq))
			harness_fatal("virtio_find_vqs: irq %u taken", vr->irq);
		vqs[i] = &vr->vq;
	}
	return 0;
}

/* ---------- the device's side ---------- */

const struct kshim_vq_chain *kshim_vq_held(struct virtqueue *vq, unsigned int *n)
{
	*n = to_vring(vq)->n_held;
	return to_vring(vq)->held;
}

void kshim_vq_device_read(const struct kshim_vq_chain *ch, unsigned int entry, void *to,
			  size_t len)
{
	const struct scatterlist *sg = &ch->sg[entry];

	kshim_unpoison(sg->buf, sg->length);
	memcpy(to, sg->buf, min(len, (size_t)sg->length));
	kshim_poison(sg->buf, sg->length);
}

void kshim_vq_device_write(const struct kshim_vq_chain *ch, unsigned int entry,
			   const void *from, size_t len)
{
	const struct scatterlist *sg = &ch->sg[entry];

	kshim_unpoison(sg->buf, sg->length);
	memcpy(sg->buf, from, min(len, (size_t)sg->length));
	kshim_poison(sg->buf, sg->length);
}

static void take_held(struct vring *vr, unsigned int i, struct kshim_vq_chain *into)
{
	if (i >= vr->n_held)
		harness_fatal("virtqueue: the device holds no chain %u", i);
	*into = vr->held[i];
	memmove(&vr->held[i], &vr->held[i + 1], (--vr->n_held - i) * sizeof(vr->held[0]));
}

void kshim_vq_device_return(struct virtqueue *vq, unsigned int i, unsigned int len)
{
	struct vring *vr = to_vring(vq);

	if (vr->n_used == MAX_CHAINS)
		harness_fatal("virtqueue: used ring full");
	take_held(vr, i, &vr->used[vr->n_used].chain);
	vr->used[vr->n_used].data = vr->used[vr->n_used].chain.data;
	vr->used[vr->n_used].len = len;
	vr->n_used++;
	vr->used_idx++;
	if (!vr->no_interrupt)
		vr->irq_line = true;
}

void kshim_vq_device_lose(struct virtqueue *vq, unsigned int i)
{
	struct vring *vr = to_vring(vq);

	take_held(vr, i, &vr->lost[vr->n_lost++]);
}

u16 kshim_vq_used_idx(struct virtqueue *vq)
{
	return to_vring(vq)->used_idx;
}

void kshim_vq_peek(const void *p, void *to, size_t n)
{
	for (int i = 0; i < MAX_OWNED; i++)
		if (owned[i].count && (const char *)p >= (const char *)owned[i].buf &&
		    (const char *)p + n <= (const char *)owned[i].buf + owned[i].len) {
			kshim_unpoison(owned[i].buf, owned[i].len);
			memcpy(to, p, n);
			kshim_poison(owned[i].buf, owned[i].len);
			return;
		}
	memcpy(to, p, n);
}

bool kshim_vq_no_interrupt(struct virtqueue *vq)
{
	return to_vring(vq)->no_interrupt;
}

unsigned int kshim_vq_used_pending(struct virtqueue *vq)
{
	return (u16)(to_vring(vq)->used_idx - to_vring(vq)->last_used_idx);
}

bool *kshim_vq_irq_line(struct virtqueue *vq)
{
	return &to_vring(vq)->irq_line;
}

unsigned int kshim_vq_irq(struct virtqueue *vq)
{
	return to_vring(vq)->irq;
}

void kshim_vq_release_all(void)
{
	for (int s = 0; s < MAX_VQS; s++) {
		free(vrings[s]);
		vrings[s] = NULL;
	}
	for (int i = 0; i < MAX_OWNED; i++)
		if (owned[i].count)
			kshim_unpoison(owned[i].buf, owned[i].len);
	memset(owned, 0, sizeof(owned));
}
