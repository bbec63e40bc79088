/* SPDX-License-Identifier: MIT */
/* <linux/scatterlist.h>: one contiguous buffer per entry (no pages in userspace). */
#ifndef HARNESS_SCATTERLIST_H
#define HARNESS_SCATTERLIST_H
#include "../../kshim.h"

struct scatterlist {
	void *buf;
	unsigned int length;
};

static inline void sg_init_one(struct scatterlist *sg, const void *buf, unsigned int buflen)
{
	sg->buf = (void *)buf;
	sg->length = buflen;
}
#endif
