/* SPDX-License-Identifier: MIT */
/* RECONSTRUCTED: <uapi/linux/virtio_scmi.h>, the names virtio.c uses (virtio spec 5.17). */
#ifndef HARNESS_UAPI_VIRTIO_SCMI_H
#define HARNESS_UAPI_VIRTIO_SCMI_H
#define VIRTIO_SCMI_F_P2A_CHANNELS 0
#define VIRTIO_SCMI_VQ_TX 0
#define VIRTIO_SCMI_VQ_RX 1
#define VIRTIO_SCMI_VQ_MAX_CNT 2
#endif
