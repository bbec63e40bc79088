// SPDX-License-Identifier: MIT
/*
 * mic-cosm: the seed's cosm_scif_server.c behind the harness, with cosm_main.c
 * (RECONSTRUCTED) around it. Three parts, as for pci-doe:
 *
 *   1. SCIF and the card, simulated as drivers/mic-cosm.ts simulates them: host endpoints
 *      with their receive queues, scif_accept / scif_poll sleeping until the environment
 *      wakes them, the card's cosm_client (heartbeats, the reboot notifier's status, closing,
 *      crashing, reloading), and the hardware (hw_ops);
 *   2. what an observer sees: `cosm_set_state` and `publish` are the sysfs notifications of
 *      the `state` and `shutdown_status` files (what mpssd reads), `hw_start` / `hw_stop`
 *      the hw_ops calls, `scif_close` the host closing an endpoint to a card;
 *   3. THE TABLE (bottom): which model event runs which context how far.
 *
 * A host endpoint is freed by scif_close(), so a use after close in the C under test is a
 * heap-use-after-free for AddressSanitizer.
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

/* ---------- 1. SCIF, the card, the hardware ---------- */

struct scif_endpt {
	bool listening;
	bool disconnected; /* the card closed its end or its node went away: POLLHUP */
	int node;          /* the card's SCIF node: its cosm index + 1 */
	int ep;            /* its number among the open endpoints to that node */
	struct cosm_msg recvq[QUEUE_MAX]; /* card to host, not yet scif_recv()d */
	int n_recv;
	struct cosm_msg to_card[QUEUE_MAX]; /* host to card, not yet read by the card */
	int n_to_card;
	bool peer_dead; /* the card died holding its end: it never sends, no DISCNCT either */
};

enum card_state { OFF, BOOTING, RUNNING, POWERING_OFF, NOTIFIED, HALTED, UNLOADED, CRASHED };

static struct mic_card {
	enum card_state state;
	struct scif_endpt *host; /* the host end of its connection (its client_epd's peer) */
	bool firmware_ready;
	int boots, reloads; /* the model's budgets (bounds), spent by start and unload */
} cards[MAX_CARDS];

static struct cosm_device cdevs[MAX_CARDS];
static int n_cards;
static struct scif_endpt *open_eps[MAX_EPS];
static int accept_from = -1; /* the card whose connect request scif_accept takes */
static bool after_poll[MAX_CARDS]; /* scif_work<c> came back from scif_poll (not from dequeue) */

enum wake { WAKE_NONE, WAKE_EVENT, WAKE_TIMEOUT };
struct poll_waiter {
	struct scif_pollepd *ufds;
	unsigned int nfds;
	long timeout_msecs;
	enum wake wake;
};
static struct poll_waiter *waiters[MAX_CARDS]; /* per card: its work asleep in scif_poll */

static const char *const state_name[] = { "READY", "BOOTING", "ONLINE",
					  "SHUTTING_DOWN", "RESETTING", "RESET_FAILED" };
static const char *const status_name[] = { "NOP", "CRASHED", "HALTED", "POWER_OFF",
					   "RESTART" };
/* What the card's reboot notifier sends (cosm_reboot_event); INVALID: SYSTEM_RESTART on 4.13+ */
static const char *const card_status_name[] = { "HALTED", "POWER_OFF", "RESTART", "INVALID" };
static const u64 card_status_value[] = { MIC_HALTED, MIC_POWER_OFF, MIC_RESTART, 5 };

static int card_of(const struct hjson *ev)
{
	return (int)hjson_int(ev, "card", -1);
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

static bool accept_ready(void *arg)
{
	(void)arg;
	return accept_from >= 0;
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

int scif_accept(scif_epd_t epd, struct scif_port_id *peer, scif_epd_t *newepd, int flags)
{
	struct mic_card *card;
	struct scif_endpt *ep;

	(void)epd;
	(void)flags;
	kblock(Y_WAIT_DEVICE, "scif_accept(listen_epd, ...)", accept_ready, NULL);
	card = &cards[accept_from];
	ep = scif_connection(accept_from + 1);
	/* The card's scif_connect returns: cosm_client starts its thread on client_epd. */
	card->host = ep;
	card->state = RUNNING;
	peer->node = (u16)ep->node;
	peer->port = SCIF_COSM_LISTEN_PORT;
	*newepd = ep;
	accept_from = -1;
	return 0;
}

static short poll_mask(const struct scif_endpt *ep)
{
	if (!ep)
		return POLLHUP;
	return (ep->n_recv > 0 ? POLLIN : 0) | (ep->disconnected ? POLLHUP : 0);
}

static bool poll_woken(void *arg)
{
	return ((struct poll_waiter *)arg)->wake != WAKE_NONE;
}

/* Sleeps until the environment wakes it (work.poll, work.timeout), also when an event is
 * there already: the model's `work.poll` is the step that returns from it. */
int scif_poll(struct scif_pollepd *ufds, unsigned int nfds, long timeout_msecs)
{
	struct poll_waiter w = { ufds, nfds, timeout_msecs, WAKE_NONE };
	int card = ufds[0].epd ? ufds[0].epd->node - 1 : -1;
	int rc = 0;

	kyield(Y_DEVICE, "scif_poll");
	if (card < 0 || card >= n_cards)
		harness_fatal("scif_poll on an endpoint to no card");
	waiters[card] = &w;
	kblock(Y_WAIT_DEVICE, "scif_poll(&pollepd, 1, COSM_HEARTBEAT_TIMEOUT_MSEC)", poll_woken, &w);
	waiters[card] = NULL;
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

int scif_send(scif_epd_t epd, void *msg, int len, int flags)
{
	(void)flags;
	kyield(Y_DEVICE, "scif_send");
	if (!epd)
		return -ENOTCONN;
	if (epd->disconnected)
		return -ECONNRESET;
	/* The card reads SYNC_TIME at once: the model does not deliver it (docs/mic-cosm.md:
	 * its only effect is the heartbeat after it, which card.heartbeat covers). */
	if (((struct cosm_msg *)msg)->id == COSM_MSG_SYNC_TIME)
		return len;
	if (!epd->peer_dead && epd->n_to_card < QUEUE_MAX)
		memcpy(&epd->to_card[epd->n_to_card++], msg, (size_t)len);
	return len;
}

int scif_close(scif_epd_t epd)
{
	kyield(Y_DEVICE, "scif_close");
	if (!epd)
		return -EINVAL;
	if (!epd->listening) {
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

/* cosm_scif_remove on the card closes client_epd: the host end gets POLLHUP. */
static void card_close_end(struct mic_card *card)
{
	if (card->host)
		card->host->disconnected = true;
	card->host = NULL;
}

/* The card stops for good without closing anything: its end goes quiet. */
static void card_dies(struct mic_card *card, enum card_state state)
{
	if (card->host)
		card->host->peer_dead = true;
	card->host = NULL;
	card->state = state;
}

static int hw_start(struct cosm_device *cdev, int id)
{
	(void)id;
	emit("hw_start", "\"card\":%d", cdev->index);
	/* The card boots Linux, loads cosm_client, and cosm_scif_probe connects. */
	cards[cdev->index].state = BOOTING;
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
		struct cosm_device *cdev = &cdevs[c];

		if (kobj != &cdev->dev.kobj)
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

/* ---------- entry points and environment actions ---------- */

static long sysfs_entry(const struct hjson *ev)
{
	struct cosm_device *cdev = &cdevs[card_of(ev)];
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

/* The model's rule that mutex waiters are served in order: a sysfs call does not overtake the
 * card's work already waiting for cosm_mutex (machines/mic-cosm.ts, userCall). */
static bool work_waits_for_mutex(int c)
{
	struct kctx *k = harness_context("scif_work", c);

	return k->status == KCTX_STOPPED && k->at == Y_LOCK;
}

/* A write to the `state` file is a model step only when the call succeeds (the model has no
 * failing calls): these are the calls' own checks, read before the call. */
static bool can_sysfs(const struct hjson *ev, const char **why)
{
	const char *type = hjson_str(ev, "type", "");
	struct cosm_device *cdev;
	int c;

	if (!valid_card(ev, why))
		return false;
	c = card_of(ev);
	cdev = &cdevs[c];
	*why = "the card's work waits for cosm_mutex first";
	if (work_waits_for_mutex(c))
		return false;
	*why = "the call would fail";
	if (!strcmp(type, "start"))
		return cdev->state == MIC_READY && cards[c].boots < harness_bound("boots", 1);
	if (!strcmp(type, "shutdown"))
		return cdev->state == MIC_ONLINE && cdev->epd && !cdev->epd->disconnected;
	return cdev->state != MIC_READY && cdev->state != MIC_RESETTING;
}

static struct work_struct *scif_work_of(const struct hjson *ev)
{
	int c = card_of(ev);

	return c >= 0 && c < n_cards ? &cdevs[c].scif_work : NULL;
}

static struct work_struct *reset_work_of(const struct hjson *ev)
{
	int c = card_of(ev);

	return c >= 0 && c < n_cards ? &cdevs[c].reset_trigger_work : NULL;
}

/* stop.run{ok}: whether the card's firmware answers hw_ops->ready after the reset. */
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

static bool poll_has_event(const struct hjson *ev, const char **why)
{
	struct poll_waiter *w = waiter_of(ev);

	*why = "nothing wakes scif_poll";
	if (!w)
		return false;
	for (unsigned int i = 0; i < w->nfds; i++)
		if (poll_mask(w->ufds[i].epd) & (w->ufds[i].events | POLLHUP))
			return true;
	return false;
}

/* A live card heartbeats every COSM_HEARTBEAT_SEND_SEC: a longer poll timeout expires only
 * when the card behind the endpoint is dead. The model offers the timeout only while the
 * watchdog is on (with it off the work just polls again: a step that changes nothing). */
static bool poll_may_time_out(const struct hjson *ev, const char **why)
{
	struct poll_waiter *w = waiter_of(ev);

	*why = "the card heartbeats before the timeout, scif_poll has an event, or the watchdog is off";
	if (!w || !cdevs[card_of(ev)].heartbeat_watchdog_enable)
		return false;
	for (unsigned int i = 0; i < w->nfds; i++) {
		const struct scif_endpt *ep = w->ufds[i].epd;

		if (poll_mask(ep))
			return false;
		if (!ep->peer_dead && w->timeout_msecs > COSM_HEARTBEAT_SEND_SEC * MSEC_PER_SEC)
			return false;
	}
	return true;
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

/* The model's timing assumption (machines/mic-cosm.ts, workTookNewepd): a card reconnects
 * only after the work queued for its previous connection has taken cdev->newepd. */
static bool can_accept(const struct hjson *ev, const char **why)
{
	int c;

	if (!valid_card(ev, why))
		return false;
	c = card_of(ev);
	*why = "the card is not connecting";
	if (cards[c].state != BOOTING)
		return false;
	*why = "the work queued for the previous connection has not taken newepd";
	return !cdevs[c].scif_work.pending && !work_waits_for_mutex(c);
}

static void take_connect(const struct hjson *ev)
{
	accept_from = card_of(ev);
}

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
CARD_IN(card_has_mail, (card->state == RUNNING || card->state == POWERING_OFF ||
			card->state == NOTIFIED) && card->host && card->host->n_to_card > 0)
CARD_IN(card_notified, card->state == NOTIFIED)
CARD_IN(card_unloaded, card->state == UNLOADED)
CARD_IN(card_alive, card->state == BOOTING || card->state == RUNNING ||
		    card->state == POWERING_OFF || card->state == NOTIFIED ||
		    card->state == UNLOADED)
CARD_IN(card_may_unload, card->state == RUNNING && card->reloads < harness_bound("reloads", 1))

static bool heartbeat_fits(const struct hjson *ev, const char **why)
{
	struct mic_card *card;
	struct scif_endpt *host;

	if (!card_running(ev, why))
		return false;
	card = &cards[card_of(ev)];
	host = card->host;
	/* The model lets a heartbeat happen only where it changes something: reaching a host
	 * end with room and no heartbeat queued (one wakes scif_poll as well as two). */
	*why = "the heartbeat would change nothing, or the card's scif_send blocks";
	if (!host || host->disconnected)
		return false;
	for (int i = 0; i < host->n_recv; i++)
		if (host->recvq[i].id == COSM_MSG_HEARTBEAT)
			return false;
	return host->n_recv < harness_bound("inflight", 1);
}

static void card_heartbeat(const struct hjson *ev)
{
	card_send(&cards[card_of(ev)], COSM_MSG_HEARTBEAT, 0);
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
	card_send(card, COSM_MSG_HEARTBEAT, 0);
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
	    (s != 3 && s >= harness_bound("statuses", 1)))
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
	cards[card_of(ev)].state = BOOTING;
}

static void reset(const struct hjson *bounds)
{
	(void)bounds;
	for (int i = 0; i < MAX_EPS; i++) { /* power off: what the previous vector left */
		free(open_eps[i]);
		open_eps[i] = NULL;
	}
	free(listen_epd);
	listen_epd = NULL;
	server_thread = NULL;
	accept_from = -1;
	memset(waiters, 0, sizeof(waiters));
	memset(after_poll, 0, sizeof(after_poll));
	n_cards = (int)harness_bound("cards", 1);
	if (n_cards > MAX_CARDS)
		harness_fatal("at most %d cards", MAX_CARDS);
	memset(cards, 0, sizeof(cards));
	memset(cdevs, 0, sizeof(cdevs));
	/* cosm_add_device / cosm_driver_probe: each card READY, bootmode "linux". */
	n_cosm_devices = n_cards;
	for (int c = 0; c < n_cards; c++) {
		struct cosm_device *cdev = &cdevs[c];

		cards[c].firmware_ready = true;
		cdev->index = c;
		cdev->hw_ops = &hw_ops;
		cdev->bootmode = "linux";
		cdev->sysfs_heartbeat_enable = harness_bound("heartbeatEnable", 1) == 1;
		mutex_init(&cdev->cosm_mutex);
		INIT_WORK(&cdev->scif_work, cosm_scif_work);
		INIT_WORK(&cdev->reset_trigger_work, cosm_reset_trigger_work);
		cosm_devices[c] = cdev;
	}
	kshim_hooks.sysfs_notified = on_sysfs;
	/* Module init: the listening endpoint, and the server kthread asleep in scif_accept. */
	if (cosm_scif_init())
		harness_fatal("cosm_scif_init failed");
}

/* ---------- 3. the table: the model's events (machines/mic-cosm.ts) ---------- */

#define CARD { "card", PAY_INDEX, "cards" }

static const struct step_rule rules[] = {
	/* writes to the sysfs `state` file: cosm_start, cosm_shutdown, cosm_reset, whole */
	{ .event = "start", .action = RULE_START, .context = "sysfs", .payload = { CARD },
	  .enabled = can_sysfs, .entry = sysfs_entry },
	{ .event = "shutdown", .action = RULE_START, .context = "sysfs", .payload = { CARD },
	  .enabled = can_sysfs, .entry = sysfs_entry },
	{ .event = "reset", .action = RULE_START, .context = "sysfs", .payload = { CARD },
	  .enabled = can_sysfs, .entry = sysfs_entry },
	/* reset_trigger_work: cosm_stop up to its flush_work(&cdev->scif_work), then the rest */
	{ .event = "stop.run", .action = RULE_WORK, .context = "reset_work", .index_key = "card",
	  .payload = { CARD, { "ok", PAY_BOOL, NULL } }, .work = reset_work_of,
	  .act = set_firmware, .stop = YBIT(Y_WAIT_WORK) },
	{ .event = "stop.flushed", .action = RULE_RESUME, .context = "reset_work",
	  .index_key = "card", .payload = { CARD }, .at = YBIT(Y_WAIT_WORK) },
	/* scif_work: dequeued (PENDING cleared) up to mutex_lock; cosm_set_online and on into
	 * scif_poll; back from scif_poll (an event, or the timeout) up to mutex_lock; the
	 * messages, the hang-up or the crash, and back into scif_poll */
	{ .event = "work.dequeue", .action = RULE_WORK, .context = "scif_work", .index_key = "card",
	  .payload = { CARD }, .work = scif_work_of, .act = dequeued, .stop = YBIT(Y_LOCK) },
	{ .event = "work.online", .action = RULE_RESUME, .context = "scif_work",
	  .index_key = "card", .payload = { CARD }, .at = YBIT(Y_LOCK),
	  .enabled = before_online },
	{ .event = "work.poll", .action = RULE_RESUME, .context = "scif_work", .index_key = "card",
	  .payload = { CARD }, .at = YBIT(Y_WAIT_DEVICE), .enabled = poll_has_event,
	  .act = wake_event, .stop = YBIT(Y_LOCK) },
	{ .event = "work.timeout", .action = RULE_RESUME, .context = "scif_work",
	  .index_key = "card", .payload = { CARD }, .at = YBIT(Y_WAIT_DEVICE),
	  .enabled = poll_may_time_out, .act = wake_timeout, .stop = YBIT(Y_LOCK) },
	{ .event = "work.process", .action = RULE_RESUME, .context = "scif_work",
	  .index_key = "card", .payload = { CARD }, .at = YBIT(Y_LOCK),
	  .enabled = before_process },
	/* the server kthread: scif_accept returns (up to cosm_find_cdev_by_id's klist lock);
	 * then the find, newepd, schedule_work, and back into scif_accept */
	{ .event = "server.accept", .action = RULE_RESUME, .context = "cosm_server",
	  .payload = { CARD }, .at = YBIT(Y_WAIT_DEVICE), .enabled = can_accept,
	  .act = take_connect, .stop = YBIT(Y_LOCK) },
	{ .event = "server.schedule", .action = RULE_RESUME, .context = "cosm_server",
	  .at = YBIT(Y_LOCK) },
	/* the card */
	{ .event = "card.heartbeat", .action = RULE_ENV, .payload = { CARD },
	  .enabled = heartbeat_fits, .act = card_heartbeat },
	{ .event = "card.recv", .action = RULE_ENV, .payload = { CARD }, .enabled = card_has_mail,
	  .act = card_recv },
	{ .event = "card.reboot", .action = RULE_ENV, .payload = { CARD }, .enabled = card_running,
	  .act = card_reboot },
	{ .event = "card.notify", .action = RULE_ENV,
	  .payload = { CARD, { "status", PAY_ENUM, "HALTED|POWER_OFF|RESTART|INVALID" } },
	  .enabled = can_notify, .act = card_notify },
	{ .event = "card.close", .action = RULE_ENV, .payload = { CARD }, .enabled = card_notified,
	  .act = card_close },
	{ .event = "card.crash", .action = RULE_ENV, .payload = { CARD }, .enabled = card_alive,
	  .act = card_crash },
	{ .event = "card.unload", .action = RULE_ENV, .payload = { CARD },
	  .enabled = card_may_unload, .act = card_unload },
	{ .event = "card.load", .action = RULE_ENV, .payload = { CARD }, .enabled = card_unloaded,
	  .act = card_load },
};

static const struct context_rule contexts[] = {
	{ .context = "sysfs" },
	{ .context = "reset_work" },
	{ .context = "scif_work" },
	{ .context = "cosm_server" },
};

const struct harness_adapter harness_adapter = {
	.protocol = "mic-cosm",
	.rules = rules,
	.n_rules = ARRAY_SIZE(rules),
	.contexts = contexts,
	.n_contexts = ARRAY_SIZE(contexts),
	.reset = reset,
};
