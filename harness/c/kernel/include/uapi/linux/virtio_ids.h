/* SPDX-License-Identifier: MIT */
#ifndef HARNESS_UAPI_VIRTIO_IDS_H
#define HARNESS_UAPI_VIRTIO_IDS_H
#define VIRTIO_ID_SCMI 32
#endif
