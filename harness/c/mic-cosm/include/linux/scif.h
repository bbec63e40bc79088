/*
 * <linux/scif.h>: the SCIF API as drivers/misc/mic/scif exports it (the calls the seed makes,
 * with their signatures and flags). The endpoints and the card behind them are simulated by
 * the mic-cosm adapter (adapter.c), which implements these functions; each is a yield point
 * of kind Y_DEVICE, and scif_accept / scif_poll sleep (Y_WAIT_DEVICE).
 */
#ifndef HARNESS_SCIF_H
#define HARNESS_SCIF_H
#include "../../../kernel/kshim.h"
#include <poll.h>

#define SCIF_ACCEPT_SYNC 1
#define SCIF_SEND_BLOCK 1
#define SCIF_RECV_BLOCK 1

typedef struct scif_endpt *scif_epd_t;

struct scif_port_id {
	u16 node;
	u16 port;
};

struct scif_pollepd {
	scif_epd_t epd;
	short events;
	short revents;
};

scif_epd_t scif_open(void);
int scif_bind(scif_epd_t epd, u16 pn);
int scif_listen(scif_epd_t epd, int backlog);
int scif_accept(scif_epd_t epd, struct scif_port_id *peer, scif_epd_t *newepd, int flags);
int scif_close(scif_epd_t epd);
int scif_send(scif_epd_t epd, void *msg, int len, int flags);
int scif_recv(scif_epd_t epd, void *msg, int len, int flags);
int scif_poll(struct scif_pollepd *epds, unsigned int nepds, long timeout);
#endif
