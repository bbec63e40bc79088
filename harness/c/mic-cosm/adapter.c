// SPDX-License-Identifier: MIT
/*
 * mic-cosm: the seed's cosm_scif_server.c behind the harness, with cosm_main.c
 * (RECONSTRUCTED) around it. Three parts, as for pci-doe:
 *
 *   1. SCIF, the card and time, simulated as drivers/mic-cosm.ts simulates them: host
 *      endpoints with both rings (card to host, `inflight` messages; host to card, `hostRing`),
 *      scif_accept / scif_poll / a blocking scif_send sleeping until the environment wakes
 *      them, scif_poll's timeout as a kernel timer, the card's cosm_client (its client
 *      thread's 30 s poll and heartbeats, the reboot notifier's status, closing, crashing,
 *      reloading), a connect from a node without a cosm_device, and the hardware (hw_ops).
 *      One jiffy is 5 s, the model's tick (docs/mic-cosm.md, "Time");
 *   2. what an observer sees: `cosm_set_state` and `publish` are the sysfs notifications of
 *      the `state` and `shutdown_status` files (what mpssd reads), `hw_start` / `hw_stop` the
 *      hw_ops calls, `scif_close` the host closing an endpoint (card null: the host's own
 *      node), `device_release` the driver core freeing the cosm_device;
 *   3. THE TABLE (bottom): which model event runs which context how far, and the model's
 *      environment in the `enabled` functions, so that the C's enabled set is the model's:
 *      the budgets (bounds), when the card can act, and when time can pass (`can_tick`: some
 *      clock runs and nothing the kernel runs at once is runnable, machines/mic-cosm.ts
 *      `URGENT`).
 *
 * A host endpoint is freed by scif_close(), and the cosm_device by the driver core when its
 * last reference goes: a use after either is a heap-use-after-free for AddressSanitizer.
 */
#include "../runner/adapter.h"

#ifndef HARNESS_SEED
#define HARNESS_SEED "cosm_scif_server.c"
#endif
#include HARNESS_SEED
#include "cosm_main.c"

#define MAX_CARDS 4
#define QUEUE_MAX 8
#define MAX_EPS 16

/* ---------- time: one jiffy per 5 s ---------- */

#define MSEC_PER_JIFFY 5000L
static unsigned long scif_msecs_to_jiffies(long msecs)
{
	return (unsigned long)((msecs + MSEC_PER_JIFFY - 1) / MSEC_PER_JIFFY);
}
/* The model's bound on detecting a silent card (crash-published-within-timeout): the poll
 * timer fires 9 jiffies after scif_poll started. */
#define DETECT_JIFFIES 9

/* ---------- 1. SCIF, the card, the hardware ---------- */

struct scif_endpt {
	bool listening;
	bool disconnected; /* the card closed its end or its node went away: POLLHUP */
	int node;          /* the peer's SCIF node: its cosm index + 1, or 0 for the host */
	int ep;            /* its number among the open endpoints to that node */
	struct cosm_msg recvq[QUEUE_MAX]; /* card to host, not yet scif_recv()d */
	int n_recv;
	struct cosm_msg to_card[QUEUE_MAX]; /* host to card, not yet read by the card */
	int n_to_card;
	bool peer_dead; /* the card died holding its end: it never sends or reads, no DISCNCT */
};

enum card_state { OFF, BOOTING, RUNNING, POWERING_OFF, NOTIFIED, HALTED, UNLOADED, CRASHED };

static struct mic_card {
	enum card_state state;
	struct scif_endpt *host; /* the host end of its connection (its client_epd's peer) */
	bool firmware_ready;
	int boots, reloads; /* the model's budgets (bounds), spent by start and unload */
	bool connect_pending;   /* its scif_connect waits in the listen backlog */
	bool boot_timed;        /* booted by cosm_start: it connects after booted_at */
	unsigned long booted_at;
	bool client_polling;    /* the client thread sleeps in scif_poll, its timer at: */
	unsigned long client_expires;
	bool owes_heartbeat;    /* its poll returned; the heartbeat's scif_send blocks */
} cards[MAX_CARDS];

static struct cosm_device *cdevs[MAX_CARDS];
static bool cdev_freed[MAX_CARDS];
static bool removal_started[MAX_CARDS];
static int n_cards;
static struct scif_endpt *open_eps[MAX_EPS];
static int accept_from = -1; /* the node whose connect request scif_accept takes */
static int server_found = -1; /* the card the server thread found (FOUND), or -1 */
static bool stranger_pending; /* a connect from the host's own node waits in the backlog */
static int strangers;
static bool listen_closed;
static bool after_poll[MAX_CARDS]; /* scif_work<c> came back from scif_poll (not from dequeue) */
static bool refused[MAX_CARDS];    /* its cosm_set_online refused the connection */
static int poll_errors[MAX_CARDS];
static bool sysfs_signal[MAX_CARDS]; /* the writer of card c's `state` file is being killed */
/* The model's ghost deadline for detecting a silent card (it also lets time pass). */
static bool detect_armed[MAX_CARDS];
static unsigned long detect_at[MAX_CARDS];

enum wake { WAKE_NONE, WAKE_EVENT, WAKE_TIMEOUT, WAKE_ERROR };
struct poll_waiter {
	struct scif_pollepd *ufds;
	unsigned int nfds;
	enum wake wake;
	bool fired; /* its timeout's timer fired */
	struct timer_list timer;
};
static struct poll_waiter *waiters[MAX_CARDS]; /* per card: its work asleep in scif_poll */

static const char *const state_name[] = { "READY", "BOOTING", "ONLINE",
					  "SHUTTING_DOWN", "RESETTING", "RESET_FAILED" };
static const char *const status_name[] = { "NOP", "CRASHED", "HALTED", "POWER_OFF",
					   "RESTART" };
/* What a card's reboot notifier may send (cosm_reboot_event), in the order the bound
 * `statuses` admits them: HALTED, POWER_OFF, RESTART, CRASHED (a misbehaving card only);
 * INVALID, any value outside enum mic_status (SYSTEM_RESTART on 4.13+), always. */
static const char *const card_status_name[] = { "HALTED", "POWER_OFF", "RESTART", "CRASHED",
						"INVALID" };
static const u64 card_status_value[] = { MIC_HALTED, MIC_POWER_OFF, MIC_RESTART, MIC_CRASHED,
					 5 };
#define INVALID_STATUS 4

static int card_of(const struct hjson *ev)
{
	return (int)hjson_int(ev, "card", -1);
}

/* The endpoint is one SCIF still has (not closed, so not freed). */
static bool ep_open(const struct scif_endpt *ep)
{
	if (!ep)
		return false;
	for (int i = 0; i < MAX_EPS; i++)
		if (open_eps[i] == ep)
			return true;
	return false;
}

/* Card c's cosm_device, while the driver core has not freed it. */
static struct cosm_device *cdev_of(int c)
{
	return c >= 0 && c < n_cards && !cdev_freed[c] ? cdevs[c] : NULL;
}

scif_epd_t scif_open(void)
{
	struct scif_endpt *ep = calloc(1, sizeof(*ep));

	kyield(Y_DEVICE, "scif_open");
	ep->listening = true;
	return ep;
}

int scif_bind(scif_epd_t epd, u16 pn)
{
	(void)epd;
	return pn;
}

int scif_listen(scif_epd_t epd, int backlog)
{
	(void)epd;
	(void)backlog;
	return 0;
}

/* A new connection to node `node`: numbered with the lowest number no open one has. */
static struct scif_endpt *scif_connection(int node)
{
	struct scif_endpt *ep = calloc(1, sizeof(*ep));
	int number = 0;

	for (bool taken = true; taken; number += taken) {
		taken = false;
		for (int i = 0; i < MAX_EPS; i++)
			if (open_eps[i] && open_eps[i]->node == node && open_eps[i]->ep == number)
				taken = true;
	}
	ep->node = node;
	ep->ep = number;
	for (int i = 0; i < MAX_EPS; i++)
		if (!open_eps[i]) {
			open_eps[i] = ep;
			return ep;
		}
	harness_fatal("too many SCIF endpoints");
}

/* The client thread (re)enters scif_poll with COSM_HEARTBEAT_SEND_MSEC. */
static void client_polls(struct mic_card *card)
{
	card->client_polling = true;
	card->owes_heartbeat = false;
	card->client_expires = jiffies + scif_msecs_to_jiffies(COSM_HEARTBEAT_SEND_SEC * MSEC_PER_SEC);
}

static void client_stops(struct mic_card *card)
{
	card->client_polling = false;
	card->owes_heartbeat = false;
}

static bool client_runs(const struct mic_card *card)
{
	return card->state == RUNNING || card->state == POWERING_OFF || card->state == NOTIFIED;
}

/* Its poll's timer fired (expires + 1) or it already owes a heartbeat. */
static bool client_due(const struct mic_card *card)
{
	return card->owes_heartbeat ||
	       (card->client_polling && time_after(jiffies, card->client_expires));
}

/* wait_event_interruptible(conwq, conreqcnt || ...): a request, or SIGKILL. */
static bool accept_ready(void *arg)
{
	(void)arg;
	return accept_from >= 0 || (!IS_ERR_OR_NULL(server_thread) && server_thread->sigkill);
}

int scif_accept(scif_epd_t epd, struct scif_port_id *peer, scif_epd_t *newepd, int flags)
{
	struct scif_endpt *ep;
	int node;

	(void)epd;
	(void)flags;
	if (listen_closed)
		return -EINVAL;
	kblock(Y_WAIT_DEVICE, "scif_accept(listen_epd, ...)", accept_ready, NULL);
	if (accept_from < 0)
		return -ERESTARTSYS;
	node = accept_from;
	accept_from = -1;
	ep = scif_connection(node);
	if (node == 0) {
		stranger_pending = false;
	} else {
		struct mic_card *card = &cards[node - 1];

		/* The card's scif_connect returns: cosm_client starts its thread on client_epd. */
		card->connect_pending = false;
		card->boot_timed = false;
		card->host = ep;
		card->state = RUNNING;
		client_polls(card);
	}
	server_found = node - 1;
	peer->node = (u16)node;
	peer->port = SCIF_COSM_LISTEN_PORT;
	*newepd = ep;
	return 0;
}

static short poll_mask(const struct scif_endpt *ep)
{
	if (!ep_open(ep))
		return POLLHUP;
	return (ep->n_recv > 0 ? POLLIN : 0) | (ep->disconnected ? POLLHUP : 0);
}

static bool poll_woken(void *arg)
{
	return ((struct poll_waiter *)arg)->wake != WAKE_NONE;
}

static void poll_timer_fn(struct timer_list *t)
{
	struct poll_waiter *w = from_timer(w, t, timer);

	w->fired = true;
}

/* Sleeps until the environment wakes it (work.poll, work.timeout once its timer fired,
 * work.pollError), also when an event is there already: the model's `work.poll` is the
 * step that returns from it. The timeout is a kernel timer, due at expires + 1. */
int scif_poll(struct scif_pollepd *ufds, unsigned int nfds, long timeout_msecs)
{
	struct poll_waiter w = { .ufds = ufds, .nfds = nfds, .wake = WAKE_NONE };
	int card = ufds[0].epd && ep_open(ufds[0].epd) ? ufds[0].epd->node - 1 : -1;
	int rc = 0;

	kyield(Y_DEVICE, "scif_poll");
	if (card < 0 || card >= n_cards)
		harness_fatal("scif_poll on an endpoint to no card");
	timer_setup(&w.timer, poll_timer_fn, 0);
	if (timeout_msecs >= 0)
		mod_timer(&w.timer, jiffies + scif_msecs_to_jiffies(timeout_msecs));
	waiters[card] = &w;
	kblock(Y_WAIT_DEVICE, "scif_poll(&pollepd, 1, COSM_HEARTBEAT_TIMEOUT_MSEC)", poll_woken, &w);
	waiters[card] = NULL;
	del_timer(&w.timer);
	if (w.wake == WAKE_ERROR)
		return -EINTR;
	for (unsigned int i = 0; i < nfds; i++) {
		ufds[i].revents = w.wake == WAKE_TIMEOUT ?
			0 : poll_mask(ufds[i].epd) & (ufds[i].events | POLLHUP | POLLERR);
		if (ufds[i].revents)
			rc++;
	}
	return rc;
}

int scif_recv(scif_epd_t epd, void *msg, int len, int flags)
{
	(void)flags;
	kyield(Y_DEVICE, "scif_recv");
	if (!epd)
		return -ENOTCONN;
	if (epd->n_recv == 0)
		return epd->disconnected ? -ECONNRESET : 0;
	memcpy(msg, &epd->recvq[0], (size_t)len);
	memmove(&epd->recvq[0], &epd->recvq[1], sizeof(epd->recvq[0]) * (size_t)--epd->n_recv);
	return len;
}

/* The sysfs writer running now, or -1. */
static int sysfs_writer(void)
{
	for (int c = 0; c < n_cards; c++)
		if (kcurrent && kcurrent == harness_context("sysfs", c))
			return c;
	return -1;
}

struct send_wait {
	struct scif_endpt *ep;
	int sysfs; /* the writer's card, or -1 (the kworker: not interruptible) */
};

static bool send_ready(void *arg)
{
	struct send_wait *s = arg;

	return s->ep->disconnected || s->ep->n_to_card < harness_bound("hostRing", 2) ||
	       (s->sysfs >= 0 && sysfs_signal[s->sysfs]);
}

/* scif_send(SCIF_SEND_BLOCK) on the host: the message goes into the card's receive ring,
 * read by its client thread; the call sleeps while the ring is full (interruptibly: a writer
 * of the sysfs file can be killed). */
int scif_send(scif_epd_t epd, void *msg, int len, int flags)
{
	(void)flags;
	kyield(Y_DEVICE, "scif_send");
	if (!epd)
		return -ENOTCONN;
	if (epd->disconnected)
		return -ECONNRESET;
	if (epd->n_to_card >= harness_bound("hostRing", 2)) {
		struct send_wait s = { epd, sysfs_writer() };

		kblock(Y_WAIT_DEVICE, "scif_send(cdev->epd, &msg, sizeof(msg), SCIF_SEND_BLOCK)",
		       send_ready, &s);
		if (epd->disconnected)
			return -ECONNRESET;
		if (epd->n_to_card >= harness_bound("hostRing", 2)) {
			sysfs_signal[s.sysfs] = false;
			return -ERESTARTSYS;
		}
	}
	if (epd->n_to_card >= QUEUE_MAX)
		harness_fatal("the card's ring overflows");
	memcpy(&epd->to_card[epd->n_to_card++], msg, (size_t)len);
	return len;
}

/* scif_close of the listening endpoint: pending connect requests are rejected (the card's
 * cosm_scif_connect retries, then gives up: its client is not started). */
static void close_listen(void)
{
	listen_closed = true;
	stranger_pending = false;
	for (int c = 0; c < n_cards; c++)
		if (cards[c].connect_pending) {
			cards[c].connect_pending = false;
			cards[c].boot_timed = false;
			cards[c].state = UNLOADED;
		}
}

int scif_close(scif_epd_t epd)
{
	kyield(Y_DEVICE, "scif_close");
	if (!epd)
		return -EINVAL;
	if (epd->listening) {
		close_listen();
	} else {
		if (epd->node == 0)
			emit("scif_close", "\"card\":null,\"ep\":%d", epd->ep);
		else
			emit("scif_close", "\"card\":%d,\"ep\":%d", epd->node - 1, epd->ep);
		/* The card's end sees the host gone. */
		if (epd->node >= 1 && cards[epd->node - 1].host == epd)
			cards[epd->node - 1].host = NULL;
		for (int i = 0; i < MAX_EPS; i++)
			if (open_eps[i] == epd)
				open_eps[i] = NULL;
	}
	free(epd);
	return 0;
}

enum sent { SENT, FAILED, FULL };

/* The card's scif_send(client_epd, SCIF_SEND_BLOCK); heartbeats coalesce (they only wake). */
static enum sent card_send(struct mic_card *card, u64 id, u64 status)
{
	struct scif_endpt *host = card->host;

	if (!host || host->disconnected)
		return FAILED;
	if (id == COSM_MSG_HEARTBEAT)
		for (int i = 0; i < host->n_recv; i++)
			if (host->recvq[i].id == COSM_MSG_HEARTBEAT)
				return SENT;
	if (host->n_recv >= harness_bound("inflight", 1))
		return FULL;
	host->recvq[host->n_recv].id = id;
	host->recvq[host->n_recv++].shutdown_status = status;
	return SENT;
}

/* The client thread sends its heartbeat and polls again, or stays blocked owing it. */
static void client_heartbeat(struct mic_card *card)
{
	if (card_send(card, COSM_MSG_HEARTBEAT, 0) == FULL) {
		card->client_polling = false;
		card->owes_heartbeat = true;
	} else {
		client_polls(card);
	}
}

/* cosm_scif_remove on the card closes client_epd: the host end gets POLLHUP. */
static void card_close_end(struct mic_card *card)
{
	if (card->host)
		card->host->disconnected = true;
	card->host = NULL;
	client_stops(card);
}

/* The card stops for good without closing anything: its end goes quiet. */
static void card_dies(struct mic_card *card, enum card_state state)
{
	if (card->host)
		card->host->peer_dead = true;
	card->host = NULL;
	card->state = state;
	card->connect_pending = false;
	card->boot_timed = false;
	client_stops(card);
}

static int hw_start(struct cosm_device *cdev, int id)
{
	struct mic_card *card = &cards[cdev->index];

	(void)id;
	emit("hw_start", "\"card\":%d", cdev->index);
	/* The card boots Linux, loads cosm_client, and cosm_scif_probe connects: one jiffy
	 * (5 s) later at the earliest. */
	card->state = BOOTING;
	card->connect_pending = true;
	card->boot_timed = true;
	card->booted_at = jiffies;
	return 0;
}

static void hw_stop(struct cosm_device *cdev, bool force)
{
	(void)force;
	emit("hw_stop", "\"card\":%d", cdev->index);
	/* The SCIF HW device goes: every endpoint to the card hangs up (seed:103-114). */
	for (int i = 0; i < MAX_EPS; i++)
		if (open_eps[i] && open_eps[i]->node == cdev->index + 1)
			open_eps[i]->disconnected = true;
	card_close_end(&cards[cdev->index]);
}

static void hw_reset(struct cosm_device *cdev)
{
	card_dies(&cards[cdev->index], OFF);
}

static bool hw_ready(struct cosm_device *cdev)
{
	return cards[cdev->index].firmware_ready;
}

static const struct cosm_hw_ops hw_ops = {
	.reset = hw_reset,
	.ready = hw_ready,
	.start = hw_start,
	.stop = hw_stop,
};

/* ---------- 2. what an observer sees ---------- */

static void on_sysfs(const void *kobj, const char *attr)
{
	for (int c = 0; c < n_cards; c++) {
		struct cosm_device *cdev = cdev_of(c);

		if (!cdev || kobj != &cdev->dev.kobj)
			continue;
		if (!strcmp(attr, "state"))
			emit("cosm_set_state", "\"card\":%d,\"state\":\"%s\"", c,
			     state_name[cdev->state]);
		else
			emit("publish", "\"card\":%d,\"status\":\"%s\"", c,
			     cdev->shutdown_status < MIC_STATUS_LAST ?
				     status_name[cdev->shutdown_status] : "INVALID");
	}
}

/* cosm_bus.c cosm_release_dev: the driver core drops the last reference. */
static void cosm_release_dev(struct device *dev)
{
	struct cosm_device *cdev = container_of(dev, struct cosm_device, dev);
	int c = cdev->index;

	emit("device_release", "\"card\":%d", c);
	cdev_freed[c] = true;
	kfree(cdev);
}

/* ---------- the model's ghost: the watchdog owed on a silent card ---------- */

/* machines/mic-cosm.ts watchdogOwed: heartbeat_enable, ONLINE, the work polling (or back
 * from polling) an endpoint whose card went silent without hanging up. */
static bool watchdog_owed(int c)
{
	struct cosm_device *cdev = cdev_of(c);
	struct kctx *k = harness_context("scif_work", c);
	const struct scif_endpt *ep;

	if (!cdev || harness_bound("heartbeatEnable", 1) != 1 || cdev->state != MIC_ONLINE)
		return false;
	if (!waiters[c] && !(after_poll[c] && k->status != KCTX_IDLE && k->at == Y_LOCK))
		return false;
	ep = cdev->epd;
	return ep_open(ep) && ep->peer_dead && !ep->disconnected;
}

static void after_step(void)
{
	for (int c = 0; c < n_cards; c++) {
		bool owed = watchdog_owed(c);

		if (owed && !detect_armed[c])
			detect_at[c] = jiffies;
		detect_armed[c] = owed;
	}
}

/* ---------- entry points and environment actions ---------- */

static long sysfs_entry(const struct hjson *ev)
{
	struct cosm_device *cdev = cdevs[card_of(ev)];
	const char *type = hjson_str(ev, "type", "");

	if (!strcmp(type, "start")) {
		cards[cdev->index].boots++;
		return cosm_start(cdev);
	}
	if (!strcmp(type, "shutdown"))
		return cosm_shutdown(cdev);
	return cosm_reset(cdev);
}

static bool valid_card(const struct hjson *ev, const char **why)
{
	int c = card_of(ev);

	*why = "no such card";
	return c >= 0 && c < n_cards;
}

/* A write to the `state` file is a model step only when the call succeeds (or, for
 * cosm_shutdown, sleeps in scif_send): the calls' own checks, read before the call, and
 * cosm_mutex free (a context that sleeps holding it makes the writer wait). */
static bool can_sysfs(const struct hjson *ev, const char **why)
{
	const char *type = hjson_str(ev, "type", "");
	struct cosm_device *cdev;
	int c;

	if (!valid_card(ev, why))
		return false;
	c = card_of(ev);
	cdev = cdev_of(c);
	*why = "the device's sysfs files are gone";
	if (!cdev || !cdev->sdev)
		return false;
	*why = "cosm_mutex is held";
	if (mutex_is_locked(&cdev->cosm_mutex))
		return false;
	*why = "the call would fail";
	if (!strcmp(type, "start"))
		return cdev->state == MIC_READY && cards[c].state == OFF &&
		       cards[c].boots < harness_bound("boots", 1);
	if (!strcmp(type, "shutdown"))
		return cdev->state == MIC_ONLINE && ep_open(cdev->epd) && !cdev->epd->disconnected;
	return cdev->state != MIC_READY && cdev->state != MIC_RESETTING;
}

/* The writer sleeps in scif_send and the ring is still full: killing it ends the call. */
static bool can_interrupt(const struct hjson *ev, const char **why)
{
	struct cosm_device *cdev;

	if (!valid_card(ev, why))
		return false;
	cdev = cdev_of(card_of(ev));
	*why = "the writer is not blocked on a full ring";
	return cdev && ep_open(cdev->epd) && !cdev->epd->disconnected &&
	       cdev->epd->n_to_card >= harness_bound("hostRing", 2);
}

static void interrupt_writer(const struct hjson *ev)
{
	sysfs_signal[card_of(ev)] = true;
}

static struct work_struct *scif_work_of(const struct hjson *ev)
{
	struct cosm_device *cdev = cdev_of(card_of(ev));

	return cdev ? &cdev->scif_work : NULL;
}

static struct work_struct *reset_work_of(const struct hjson *ev)
{
	struct cosm_device *cdev = cdev_of(card_of(ev));

	return cdev ? &cdev->reset_trigger_work : NULL;
}

/* stop.run / remove.stop {ok}: cosm_stop takes cosm_mutex; with nothing to reset (READY)
 * only one of the two payloads is a step. */
static bool can_stop(const struct hjson *ev, const char **why)
{
	struct cosm_device *cdev;

	if (!valid_card(ev, why))
		return false;
	cdev = cdev_of(card_of(ev));
	*why = "cosm_mutex is held, or there is nothing to reset";
	return cdev && !mutex_is_locked(&cdev->cosm_mutex) &&
	       (cdev->state != MIC_READY || hjson_bool(ev, "ok", true));
}

/* whether the card's firmware answers hw_ops->ready after the reset */
static void set_firmware(const struct hjson *ev)
{
	cards[card_of(ev)].firmware_ready = hjson_bool(ev, "ok", true);
}

static void dequeued(const struct hjson *ev)
{
	after_poll[card_of(ev)] = false;
}

static bool before_online(const struct hjson *ev, const char **why)
{
	*why = "the work is not at cosm_set_online";
	return !after_poll[card_of(ev)];
}

/* cosm_set_online refuses unless the card is BOOTING or ONLINE (seed:248): read before it. */
static void going_online(const struct hjson *ev)
{
	int c = card_of(ev);

	refused[c] = cdevs[c]->state != MIC_BOOTING && cdevs[c]->state != MIC_ONLINE;
}

static bool is_refused(const struct hjson *ev, const char **why)
{
	*why = "cosm_set_online went online";
	return refused[card_of(ev)];
}

static bool went_online(const struct hjson *ev, const char **why)
{
	*why = "cosm_set_online refused";
	return !refused[card_of(ev)];
}

static bool sends_time(const struct hjson *ev, const char **why)
{
	struct kctx *k = harness_context("scif_work", card_of(ev));

	*why = "the work is not in cosm_send_time's scif_send";
	return k->label && strstr(k->label, "scif_send") && kctx_can_run(k);
}

static bool before_process(const struct hjson *ev, const char **why)
{
	*why = "the work is not back from scif_poll";
	return after_poll[card_of(ev)];
}

static struct poll_waiter *waiter_of(const struct hjson *ev)
{
	int c = card_of(ev);

	return c >= 0 && c < n_cards ? waiters[c] : NULL;
}

static bool poll_event(const struct poll_waiter *w)
{
	for (unsigned int i = 0; i < w->nfds; i++)
		if (poll_mask(w->ufds[i].epd) & (w->ufds[i].events | POLLHUP))
			return true;
	return false;
}

static bool poll_has_event(const struct hjson *ev, const char **why)
{
	struct poll_waiter *w = waiter_of(ev);

	*why = "nothing wakes scif_poll";
	return w && poll_event(w);
}

/* scif_poll returns 0: its timer fired and nothing is there. */
static bool poll_timed_out(const struct hjson *ev, const char **why)
{
	struct poll_waiter *w = waiter_of(ev);

	*why = "scif_poll's timer has not fired, or it has an event";
	return w && w->fired && !poll_event(w);
}

static bool poll_may_fail(const struct hjson *ev, const char **why)
{
	*why = "no scif_poll error left (bound pollErrors)";
	return waiter_of(ev) && poll_errors[card_of(ev)] < harness_bound("pollErrors", 0);
}

static void wake_event(const struct hjson *ev)
{
	waiter_of(ev)->wake = WAKE_EVENT;
	after_poll[card_of(ev)] = true;
}

static void wake_timeout(const struct hjson *ev)
{
	waiter_of(ev)->wake = WAKE_TIMEOUT;
	after_poll[card_of(ev)] = true;
}

/* A scif_poll error: the model restarts its detection window with the new poll. */
static void wake_error(const struct hjson *ev)
{
	int c = card_of(ev);

	waiter_of(ev)->wake = WAKE_ERROR;
	after_poll[c] = true;
	poll_errors[c]++;
	if (detect_armed[c])
		detect_at[c] = jiffies;
}

static bool server_in_accept(const char **why)
{
	struct kctx *k = harness_context("cosm_server", -1);

	*why = "the server thread is not in scif_accept";
	return k->status == KCTX_BLOCKED && k->label && strstr(k->label, "scif_accept");
}

static bool can_accept(const struct hjson *ev, const char **why)
{
	struct mic_card *card;

	if (!valid_card(ev, why) || !server_in_accept(why))
		return false;
	card = &cards[card_of(ev)];
	*why = "the card is not connecting, or has not booted for a jiffy yet";
	return card->state == BOOTING && card->connect_pending && !listen_closed &&
	       (!card->boot_timed || time_after(jiffies, card->booted_at));
}

static void take_connect(const struct hjson *ev)
{
	accept_from = card_of(ev) + 1;
}

static bool can_accept_stranger(const struct hjson *ev, const char **why)
{
	(void)ev;
	if (!server_in_accept(why))
		return false;
	*why = "no connect from a node without a cosm_device";
	return stranger_pending;
}

static void take_stranger(const struct hjson *ev)
{
	(void)ev;
	accept_from = 0;
}

static bool can_connect_stranger(const struct hjson *ev, const char **why)
{
	(void)ev;
	*why = "no stranger left (bound strangers), or one waits, or nothing listens";
	return !stranger_pending && !listen_closed && strangers < harness_bound("strangers", 0);
}

static void connect_stranger(const struct hjson *ev)
{
	(void)ev;
	stranger_pending = true;
	strangers++;
}

/* The fixed server takes cosm_mutex to hand newepd over. */
static bool can_hand_over(const struct hjson *ev, const char **why)
{
	(void)ev;
	*why = "cosm_mutex is held";
#ifdef COSM_NEWEPD_HANDOFF_FIX
	return server_found >= 0 && cdev_of(server_found) &&
	       !mutex_is_locked(&cdevs[server_found]->cosm_mutex);
#else
	return true;
#endif
}

static bool server_stopping(const struct hjson *ev, const char **why)
{
	(void)ev;
	if (!server_in_accept(why))
		return false;
	*why = "kthread_stop has not been called";
	return !IS_ERR_OR_NULL(server_thread) && server_thread->should_stop;
}

/* ---------- the removal ---------- */

static struct kctx *removal(int c)
{
	return harness_context("remove", c);
}

/* The removal of card c waits at the shim operation `label` (and can go on). */
static bool removal_at(int c, const char *label)
{
	struct kctx *k = removal(c);

	return k->status != KCTX_IDLE && k->label && strstr(k->label, label) && kctx_can_run(k);
}

/* cosm_driver_remove's decrement of g_num_dev is behind card o (as machines/mic-cosm.ts
 * `passedDec`): with the fix right after flush_work(&reset_trigger_work), as written after
 * cosm_stop's flush. */
static bool passed_dec(int o)
{
	struct kctx *k = removal(o);

	if (!removal_started[o])
		return false;
	if (k->status == KCTX_IDLE)
		return true;
#ifdef COSM_SCIF_EXIT_FIRST
	return !(k->label && strstr(k->label, "reset_trigger_work"));
#else
	return !(k->label && (strstr(k->label, "reset_trigger_work") ||
			      strstr(k->label, "mutex_lock") || strstr(k->label, "scif_work")));
#endif
}

static bool last_device(int c)
{
	for (int o = 0; o < n_cards; o++)
		if (o != c && !passed_dec(o))
			return false;
	return true;
}

static bool can_begin_removal(const struct hjson *ev, const char **why)
{
	int c;

	if (!valid_card(ev, why))
		return false;
	c = card_of(ev);
	*why = "no removal (bound remove), it began already, or a sysfs writer is inside";
	return harness_bound("remove", 0) >= 1 && !removal_started[c] &&
	       harness_context("sysfs", c)->status == KCTX_IDLE;
}

static long removal_entry(const struct hjson *ev)
{
	int c = card_of(ev);

	removal_started[c] = true;
	cosm_unregister_device(cdevs[c]);
	return 0;
}

/* exit.kill (the fix): flush_work(&reset_trigger_work) has returned and this is the last
 * device: cosm_scif_exit sends SIGKILL and waits in kthread_stop. */
static bool can_kill_server(const struct hjson *ev, const char **why)
{
	int c;

	if (!valid_card(ev, why))
		return false;
	c = card_of(ev);
	*why = "not the last device at cosm_scif_exit (as written it comes with remove.flushed)";
#ifdef COSM_SCIF_EXIT_FIRST
	return removal_at(c, "reset_trigger_work") && last_device(c);
#else
	return false;
#endif
}

/* remove.stop: cosm_stop's locked section, from flush_work(&reset_trigger_work) (a device
 * that is not the last, or as written) or, after cosm_scif_exit, from its mutex_lock. */
static bool can_stop_removal(const struct hjson *ev, const char **why)
{
	int c;

	if (!valid_card(ev, why))
		return false;
	c = card_of(ev);
	*why = "the removal is not before cosm_stop";
#ifdef COSM_SCIF_EXIT_FIRST
	if (!(removal_at(c, "reset_trigger_work") && !last_device(c)) && !removal_at(c, "mutex_lock"))
		return false;
#else
	if (!removal_at(c, "reset_trigger_work"))
		return false;
#endif
	return can_stop(ev, why);
}

static bool removal_flush_done(const struct hjson *ev, const char **why)
{
	*why = "cosm_stop's flush_work has not returned";
	return valid_card(ev, why) && removal_at(card_of(ev), "scif_work");
}

static bool removal_exited(const struct hjson *ev, const char **why)
{
	(void)ev;
	*why = "nobody waits in kthread_stop for a server that exited";
	for (int c = 0; c < n_cards; c++)
		if (removal_at(c, "kthread_stop"))
			return true;
	return false;
}

/* kthread_stop returned: cosm_scif_listen_exit, then (the fix) up to cosm_stop's mutex_lock
 * or (as written) up to the end's kfree()s. exit.close has no card: the runner resumes
 * contexts by rule, so the action does it (what it crosses is not reported). */
static void close_after_exit(const struct hjson *ev)
{
	(void)ev;
	for (int c = 0; c < n_cards; c++)
		if (removal_at(c, "kthread_stop")) {
			kctx_resume(removal(c), YBIT(Y_LOCK) | YBIT(Y_FREE));
			return;
		}
}

static bool removal_returns(const struct hjson *ev, const char **why)
{
	*why = "cosm_driver_remove is not at its end";
	return valid_card(ev, why) && removal_at(card_of(ev), "cmdline");
}

/* ---------- the card ---------- */

#define CARD_IN(name, cond)                                                \
	static bool name(const struct hjson *ev, const char **why)         \
	{                                                                  \
		struct mic_card *card;                                     \
		if (!valid_card(ev, why))                                  \
			return false;                                      \
		card = &cards[card_of(ev)];                                \
		*why = "the card cannot do that now";                      \
		return (cond);                                             \
	}
CARD_IN(card_running, card->state == RUNNING)
CARD_IN(card_has_mail, client_runs(card) && card->client_polling && !client_due(card) &&
			       card->host && card->host->n_to_card > 0)
CARD_IN(card_notified, card->state == NOTIFIED)
CARD_IN(card_may_load, card->state == UNLOADED && !listen_closed)
CARD_IN(card_alive, card->state == BOOTING || client_runs(card) || card->state == UNLOADED)
CARD_IN(card_may_unload, card->state == RUNNING && card->reloads < harness_bound("reloads", 1))

/* The client thread's poll timed out (or it owes a heartbeat) and the send does not block
 * (a host end that is gone fails at once; one heartbeat queued already takes this one). */
static bool heartbeat_due(const struct hjson *ev, const char **why)
{
	struct mic_card *card;
	struct scif_endpt *host;

	if (!valid_card(ev, why))
		return false;
	card = &cards[card_of(ev)];
	*why = "no heartbeat due, or the card's scif_send blocks";
	if (!client_runs(card) || !client_due(card))
		return false;
	host = card->host;
	if (!host || host->disconnected)
		return true;
	for (int i = 0; i < host->n_recv; i++)
		if (host->recvq[i].id == COSM_MSG_HEARTBEAT)
			return true;
	return host->n_recv < harness_bound("inflight", 1);
}

static void card_heartbeat(const struct hjson *ev)
{
	client_heartbeat(&cards[card_of(ev)]);
}

/* cosm_client_recv: SYNC_TIME sets the clock, SHUTDOWN calls orderly_poweroff; the client
 * thread then heartbeats. */
static void card_recv(const struct hjson *ev)
{
	struct mic_card *card = &cards[card_of(ev)];
	bool shutdown = false;

	for (int i = 0; i < card->host->n_to_card; i++)
		shutdown |= card->host->to_card[i].id == COSM_MSG_SHUTDOWN;
	card->host->n_to_card = 0;
	if (shutdown && card->state == RUNNING)
		card->state = POWERING_OFF;
	client_heartbeat(card);
}

static void card_reboot(const struct hjson *ev)
{
	cards[card_of(ev)].state = POWERING_OFF;
}

static int status_index(const struct hjson *ev)
{
	const char *status = hjson_str(ev, "status", "");

	for (int i = 0; i < (int)ARRAY_SIZE(card_status_name); i++)
		if (!strcmp(status, card_status_name[i]))
			return i;
	return -1;
}

/* cosm_reboot_event: SHUTDOWN_STATUS, SCIF_SEND_BLOCK (a failed send is logged, it goes on).
 * Which statuses the card sends is the bound `statuses` (plus INVALID, always). */
static bool can_notify(const struct hjson *ev, const char **why)
{
	struct mic_card *card;
	struct scif_endpt *host;
	int s = status_index(ev);

	if (!valid_card(ev, why))
		return false;
	card = &cards[card_of(ev)];
	*why = "the card is not powering off, or does not send that status";
	if (card->state != POWERING_OFF || s < 0 ||
	    (s != INVALID_STATUS && s >= harness_bound("statuses", 1)))
		return false;
	host = card->host;
	*why = "the card's scif_send blocks";
	return !host || host->disconnected || host->n_recv < harness_bound("inflight", 1);
}

static void card_notify(const struct hjson *ev)
{
	struct mic_card *card = &cards[card_of(ev)];

	card_send(card, COSM_MSG_SHUTDOWN_STATUS, card_status_value[status_index(ev)]);
	card->state = NOTIFIED;
}

static void card_close(const struct hjson *ev)
{
	struct mic_card *card = &cards[card_of(ev)];

	card_close_end(card);
	card->state = HALTED;
}

static void card_crash(const struct hjson *ev)
{
	card_dies(&cards[card_of(ev)], CRASHED);
}

static void card_unload(const struct hjson *ev)
{
	struct mic_card *card = &cards[card_of(ev)];

	card_close_end(card);
	card->state = UNLOADED;
	card->reloads++;
}

static void card_load(const struct hjson *ev)
{
	struct mic_card *card = &cards[card_of(ev)];

	card->state = BOOTING;
	card->connect_pending = true;
}

/* ---------- time ---------- */

/* Some clock still moves: a scif_poll timer, a client thread's poll, a booting card, or the
 * model's detection deadline (machines/mic-cosm.ts `deadlines`). */
static bool clocks_move(void)
{
	if (kshim_next_timer())
		return true;
	for (int c = 0; c < n_cards; c++) {
		const struct mic_card *card = &cards[c];

		if (client_runs(card) && card->client_polling &&
		    !time_after(jiffies, card->client_expires))
			return true;
		if (card->boot_timed && !time_after(jiffies, card->booted_at))
			return true;
		if (detect_armed[c] && jiffies - detect_at[c] <= DETECT_JIFFIES)
			return true;
	}
	return false;
}

/* What the kernel runs before time passes (machines/mic-cosm.ts URGENT). */
static const char *const urgent_events[] = {
	"shutdown.sent", "stop.run",      "stop.flushed",   "work.dequeue",
	"work.online",   "work.sent",     "work.exit",      "work.sleep",
	"work.poll",     "work.timeout",  "work.process",   "card.heartbeat",
	"card.recv",     "server.accept", "server.schedule", "server.exit",
	"server.acceptStranger", "remove.stop", "remove.flushed", "remove.done",
	"exit.kill",     "exit.close",
};

static bool can_tick(const struct hjson *ev, const char **why)
{
	(void)ev;
	*why = "no clock moves";
	if (!clocks_move())
		return false;
	*why = "something the kernel runs at once is runnable";
	for (size_t i = 0; i < ARRAY_SIZE(urgent_events); i++)
		if (harness_event_enabled(urgent_events[i]))
			return false;
	return true;
}

static void tick(const struct hjson *ev)
{
	(void)ev;
	kshim_clock_advance(1);
}

/* ---------- reset ---------- */

static void reset(const struct hjson *bounds)
{
	(void)bounds;
	for (int i = 0; i < MAX_EPS; i++) { /* power off: what the previous vector left */
		free(open_eps[i]);
		open_eps[i] = NULL;
	}
	for (int c = 0; c < MAX_CARDS; c++) {
		if (cdevs[c] && !cdev_freed[c])
			free(cdevs[c]);
		cdevs[c] = NULL;
	}
	free(listen_epd);
	listen_epd = NULL;
	server_thread = NULL;
	accept_from = -1;
	server_found = -1;
	stranger_pending = false;
	strangers = 0;
	listen_closed = false;
	memset(waiters, 0, sizeof(waiters));
	memset(after_poll, 0, sizeof(after_poll));
	memset(refused, 0, sizeof(refused));
	memset(poll_errors, 0, sizeof(poll_errors));
	memset(sysfs_signal, 0, sizeof(sysfs_signal));
	memset(detect_armed, 0, sizeof(detect_armed));
	memset(cdev_freed, 0, sizeof(cdev_freed));
	memset(removal_started, 0, sizeof(removal_started));
	n_cards = (int)harness_bound("cards", 1);
	if (n_cards > MAX_CARDS)
		harness_fatal("at most %d cards", MAX_CARDS);
	memset(cards, 0, sizeof(cards));
	/* cosm_register_device (the bus's reference) and cosm_driver_probe: each card READY,
	 * bootmode "linux", its sysfs files there. */
	n_cosm_devices = n_cards;
	g_num_dev = n_cards;
	for (int c = 0; c < n_cards; c++) {
		struct cosm_device *cdev = kzalloc(sizeof(*cdev), GFP_KERNEL);

		cards[c].firmware_ready = true;
		cdev->index = c;
		cdev->hw_ops = &hw_ops;
		cdev->bootmode = "linux";
		cdev->sysfs_heartbeat_enable = harness_bound("heartbeatEnable", 1) == 1;
		cdev->dev.refcount = 1;
		cdev->dev.release = cosm_release_dev;
		cdev->sdev = cdev;
		mutex_init(&cdev->cosm_mutex);
		INIT_WORK(&cdev->scif_work, cosm_scif_work);
		INIT_WORK(&cdev->reset_trigger_work, cosm_reset_trigger_work);
		cdevs[c] = cdev;
		cosm_devices[c] = cdev;
	}
	kshim_hooks.sysfs_notified = on_sysfs;
	/* Module init: the listening endpoint, and the server kthread asleep in scif_accept. */
	if (cosm_scif_init())
		harness_fatal("cosm_scif_init failed");
}

/* ---------- 3. the table: the model's events (machines/mic-cosm.ts) ---------- */

#define CARD { "card", PAY_INDEX, "cards" }
#define OK { "ok", PAY_BOOL, NULL }

static const struct step_rule rules[] = {
	/* writes to the sysfs `state` file: cosm_start, cosm_reset whole; cosm_shutdown whole
	 * or asleep in scif_send (cosm_mutex held), then woken or killed */
	{ .event = "start", .action = RULE_START, .context = "sysfs", .index_key = "card",
	  .payload = { CARD }, .enabled = can_sysfs, .entry = sysfs_entry },
	{ .event = "shutdown", .action = RULE_START, .context = "sysfs", .index_key = "card",
	  .payload = { CARD }, .enabled = can_sysfs, .entry = sysfs_entry },
	{ .event = "shutdown.sent", .action = RULE_RESUME, .context = "sysfs", .index_key = "card",
	  .payload = { CARD }, .at = YBIT(Y_WAIT_DEVICE) },
	{ .event = "shutdown.interrupted", .action = RULE_RESUME, .context = "sysfs",
	  .index_key = "card", .payload = { CARD }, .at = YBIT(Y_WAIT_DEVICE),
	  .enabled = can_interrupt, .act = interrupt_writer },
	{ .event = "reset", .action = RULE_START, .context = "sysfs", .index_key = "card",
	  .payload = { CARD }, .enabled = can_sysfs, .entry = sysfs_entry },
	/* reset_trigger_work: cosm_stop up to its flush_work(&cdev->scif_work), then the rest */
	{ .event = "stop.run", .action = RULE_WORK, .context = "reset_work", .index_key = "card",
	  .payload = { CARD, OK }, .work = reset_work_of, .enabled = can_stop,
	  .act = set_firmware, .stop = YBIT(Y_WAIT_WORK) },
	{ .event = "stop.flushed", .action = RULE_RESUME, .context = "reset_work",
	  .index_key = "card", .payload = { CARD }, .at = YBIT(Y_WAIT_WORK) },
	/* scif_work: dequeued (PENDING cleared) up to mutex_lock; cosm_set_online up to its
	 * put_device (or asleep in cosm_send_time's scif_send); then the unlock and the return,
	 * or the unlock and into scif_poll; back from scif_poll (an event, its timer, an error)
	 * up to mutex_lock; the messages, the hang-up or the crash, into scif_poll or out */
	{ .event = "work.dequeue", .action = RULE_WORK, .context = "scif_work", .index_key = "card",
	  .payload = { CARD }, .work = scif_work_of, .act = dequeued, .stop = YBIT(Y_LOCK) },
	{ .event = "work.online", .action = RULE_RESUME, .context = "scif_work",
	  .index_key = "card", .payload = { CARD }, .at = YBIT(Y_LOCK),
	  .enabled = before_online, .act = going_online, .stop = YBIT(Y_REF) },
	{ .event = "work.sent", .action = RULE_RESUME, .context = "scif_work", .index_key = "card",
	  .payload = { CARD }, .at = YBIT(Y_WAIT_DEVICE), .enabled = sends_time,
	  .stop = YBIT(Y_REF) },
	{ .event = "work.exit", .action = RULE_RESUME, .context = "scif_work", .index_key = "card",
	  .payload = { CARD }, .at = YBIT(Y_REF), .enabled = is_refused },
	{ .event = "work.sleep", .action = RULE_RESUME, .context = "scif_work",
	  .index_key = "card", .payload = { CARD }, .at = YBIT(Y_REF), .enabled = went_online },
	{ .event = "work.poll", .action = RULE_RESUME, .context = "scif_work", .index_key = "card",
	  .payload = { CARD }, .at = YBIT(Y_WAIT_DEVICE), .enabled = poll_has_event,
	  .act = wake_event, .stop = YBIT(Y_LOCK) },
	{ .event = "work.timeout", .action = RULE_RESUME, .context = "scif_work",
	  .index_key = "card", .payload = { CARD }, .at = YBIT(Y_WAIT_DEVICE),
	  .enabled = poll_timed_out, .act = wake_timeout, .stop = YBIT(Y_LOCK) },
	{ .event = "work.pollError", .action = RULE_RESUME, .context = "scif_work",
	  .index_key = "card", .payload = { CARD }, .at = YBIT(Y_WAIT_DEVICE),
	  .enabled = poll_may_fail, .act = wake_error, .stop = YBIT(Y_LOCK) },
	{ .event = "work.process", .action = RULE_RESUME, .context = "scif_work",
	  .index_key = "card", .payload = { CARD }, .at = YBIT(Y_LOCK),
	  .enabled = before_process },
	/* the server kthread: scif_accept returns and cosm_find_cdev_by_id takes its reference
	 * (not found: on, back into scif_accept); then newepd, schedule_work, back into
	 * scif_accept; woken by SIGKILL once kthread_stop is called, it returns */
	{ .event = "server.accept", .action = RULE_RESUME, .context = "cosm_server",
	  .payload = { CARD }, .at = YBIT(Y_WAIT_DEVICE), .enabled = can_accept,
	  .act = take_connect, .stop = YBIT(Y_REF) },
	{ .event = "server.acceptStranger", .action = RULE_RESUME, .context = "cosm_server",
	  .at = YBIT(Y_WAIT_DEVICE), .enabled = can_accept_stranger, .act = take_stranger,
	  .stop = YBIT(Y_REF) },
	{ .event = "server.schedule", .action = RULE_RESUME, .context = "cosm_server",
	  .at = YBIT(Y_REF), .enabled = can_hand_over },
	{ .event = "server.exit", .action = RULE_RESUME, .context = "cosm_server",
	  .at = YBIT(Y_WAIT_DEVICE), .enabled = server_stopping },
	{ .event = "stranger.connect", .action = RULE_ENV, .enabled = can_connect_stranger,
	  .act = connect_stranger },
	/* device_unregister: klist_del and device_destroy up to flush_work(&reset_trigger_work);
	 * cosm_stop up to its flush_work(&scif_work); the flush returns, to the decrement (as
	 * written: the last device on into kthread_stop) or the end; the end and put_device.
	 * For the last device cosm_scif_exit: SIGKILL and kthread_stop (the fix: right after the
	 * reset work's flush), then listen_epd closed. */
	{ .event = "remove.begin", .action = RULE_START, .context = "remove", .index_key = "card",
	  .payload = { CARD }, .enabled = can_begin_removal, .entry = removal_entry,
	  .stop = YBIT(Y_WAIT_WORK) },
	{ .event = "remove.stop", .action = RULE_RESUME, .context = "remove", .index_key = "card",
	  .payload = { CARD, OK }, .at = YBIT(Y_WAIT_WORK) | YBIT(Y_LOCK),
	  .enabled = can_stop_removal, .act = set_firmware, .stop = YBIT(Y_WAIT_WORK) },
	{ .event = "remove.flushed", .action = RULE_RESUME, .context = "remove",
	  .index_key = "card", .payload = { CARD }, .at = YBIT(Y_WAIT_WORK),
	  .enabled = removal_flush_done, .stop = YBIT(Y_FREE) },
	{ .event = "remove.done", .action = RULE_RESUME, .context = "remove", .index_key = "card",
	  .payload = { CARD }, .at = YBIT(Y_FREE), .enabled = removal_returns },
	{ .event = "exit.kill", .action = RULE_RESUME, .context = "remove", .index_key = "card",
	  .payload = { CARD }, .at = YBIT(Y_WAIT_WORK), .enabled = can_kill_server },
	{ .event = "exit.close", .action = RULE_ENV, .enabled = removal_exited,
	  .act = close_after_exit },
	/* the card */
	{ .event = "card.heartbeat", .action = RULE_ENV, .payload = { CARD },
	  .enabled = heartbeat_due, .act = card_heartbeat },
	{ .event = "card.recv", .action = RULE_ENV, .payload = { CARD }, .enabled = card_has_mail,
	  .act = card_recv },
	{ .event = "card.reboot", .action = RULE_ENV, .payload = { CARD }, .enabled = card_running,
	  .act = card_reboot },
	{ .event = "card.notify", .action = RULE_ENV,
	  .payload = { CARD, { "status", PAY_ENUM, "HALTED|POWER_OFF|RESTART|CRASHED|INVALID" } },
	  .enabled = can_notify, .act = card_notify },
	{ .event = "card.close", .action = RULE_ENV, .payload = { CARD }, .enabled = card_notified,
	  .act = card_close },
	{ .event = "card.crash", .action = RULE_ENV, .payload = { CARD }, .enabled = card_alive,
	  .act = card_crash },
	{ .event = "card.unload", .action = RULE_ENV, .payload = { CARD },
	  .enabled = card_may_unload, .act = card_unload },
	{ .event = "card.load", .action = RULE_ENV, .payload = { CARD }, .enabled = card_may_load,
	  .act = card_load },
	/* time: one jiffy, 5 s; the timers due fire */
	{ .event = "tick", .action = RULE_ENV, .enabled = can_tick, .act = tick },
};

static const struct context_rule contexts[] = {
	{ .context = "sysfs" },
	{ .context = "reset_work" },
	{ .context = "scif_work" },
	{ .context = "cosm_server" },
	{ .context = "remove" },
};

const struct harness_adapter harness_adapter = {
	.protocol = "mic-cosm",
	.rules = rules,
	.n_rules = ARRAY_SIZE(rules),
	.contexts = contexts,
	.n_contexts = ARRAY_SIZE(contexts),
	.reset = reset,
	.after_step = after_step,
};
