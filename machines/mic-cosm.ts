/**
 * Intel MIC COSM (Coprocessor State Management): the host's per-card state machine, the SCIF
 * server thread, the per-card SCIF work with its heartbeat watchdog, the reset work, and the
 * card-side cosm_client, as parallel parts.
 *
 * Sources: sources/mic-cosm-scif.txt (cosm_scif_server.c, cited as `seed:<line>`), and
 * from Linux 4.4–5.9 drivers/misc/mic/cosm/cosm_main.c (cosm_start, cosm_stop, cosm_reset,
 * cosm_shutdown), cosm_sysfs.c (heartbeat_enable) and cosm_client/cosm_scif_client.c.
 *
 * Every critical section under cdev->cosm_mutex is one atomic step, so the mutex itself needs no
 * state: a step that needs the mutex simply happens between two others. What the code does
 * outside the mutex (the server thread storing newepd, the card, SCIF delivering messages and
 * hang-ups) are separate steps that interleave with everything. docs/mic-cosm.md lists what is
 * merged and why.
 *
 * The behaviour of each step is a pure function on the context (the `...Effect` functions
 * below); the XState machine wires those to the parts' program counters. `effectTransitions`
 * turns one effect into guarded transitions with the right number of `emit` actions.
 */
import { assign, emit, setup, type AnyStateMachine } from 'xstate';
import { defineMachine, type ModelConfig, type ModelState } from '../src/model/model.ts';

// ---------------------------------------------------------------------------------------------
// Types, named after the code

/** enum mic_states (include/uapi/linux/mic_common.h). */
export type HostState =
  'READY' | 'BOOTING' | 'ONLINE' | 'SHUTTING_DOWN' | 'RESETTING' | 'RESET_FAILED';

/** enum mic_status, plus INVALID: any value outside it (seed:149-159 rejects those). */
export type Status = 'NOP' | 'CRASHED' | 'HALTED' | 'POWER_OFF' | 'RESTART' | 'INVALID';

/** What the card's reboot notifier can put in COSM_MSG_SHUTDOWN_STATUS. */
export const CARD_STATUSES = ['HALTED', 'POWER_OFF', 'RESTART'] as const;

/** One host-side SCIF endpoint the server accepted for a card, and its receive queue. */
export interface Endpoint {
  id: number;
  /** The card's end is open; false once the card closed it or the host removed the node (POLLHUP). */
  peerOpen: boolean;
  /** The card behind it crashed (or was reset without a SCIF remove): nothing more will come. */
  silent: boolean;
  /** At least one COSM_MSG_HEARTBEAT is queued (the host drains them all at once). */
  hb: boolean;
  /** A queued COSM_MSG_SHUTDOWN_STATUS (the card sends one per connection at most). */
  status: Status | null;
  /** Ghost: cosm_set_online made it cdev->epd. */
  used: boolean;
}

/** What scif_poll returned to cosm_scif_work. */
export type Revents = 'IN' | 'HUP' | 'IN_HUP' | 'TIMEOUT';

export type HostMessage = 'SYNC_TIME' | 'SHUTDOWN';

/** One struct cosm_device, the SCIF connection(s) to its card, and the card's own variables. */
export interface Cdev {
  state: HostState;
  /** cdev->prev_state, only meaningful while RESETTING (null otherwise, to stay canonical). */
  prevState: HostState | null;
  /** cdev->shutdown_status_int: kept until the endpoint is closed (seed:136-143, 228-233). */
  statusInt: Status;
  /** cdev->heartbeat_watchdog_enable. */
  watchdog: boolean;
  /** cdev->epd: the endpoint the work polls; CLOSED_EP if it points at a closed one. */
  epd: number | null;
  /** cdev->newepd: stored by the server thread, taken by cosm_set_online. */
  newepd: number | null;
  /** scif_work is queued (WORK_STRUCT_PENDING). */
  workPending: boolean;
  /** What the last scif_poll returned, while the work waits for the mutex. */
  revents: Revents | null;
  /** The work is blocked in mutex_lock (dequeued before cosm_set_online, or back from
   *  scif_poll). Mirrors the work region, for the fairness rule in `userCall`. */
  workWaitsForMutex: boolean;
  /** reset_trigger_work is queued. */
  resetPending: boolean;
  /** Null while the reset work is idle; while it sits in flush_work(&scif_work), how many
   *  scif_work executions it still waits for. */
  flushRuns: number | null;
  /** Host-side endpoints accepted for this card and not yet scif_close()d. */
  eps: Endpoint[];
  /** SCIF connect request from the card, waiting in the listen backlog. */
  connectPending: boolean;
  /** The card's client_epd (the id of its connection), null when it has none. */
  cardEp: number | null;
  /** Host-to-card messages not yet read by the card's client thread. */
  toCard: HostMessage[];
  /** Budgets (bounds): cosm_start calls and cosm_client reloads used. */
  boots: number;
  reloads: number;
  /** Ghost: an orderly shutdown of this boot has begun (host sent SHUTDOWN, or the card's own). */
  ghostOrderly: boolean;
}

export interface MicContext {
  cards: Cdev[];
  /** The endpoint cosm_scif_server accepted and has not yet handed to its card. */
  server: { card: number; ep: number } | null;
}

type CardEventType =
  | 'start'
  | 'shutdown'
  | 'reset'
  | 'stop.flushed'
  | 'work.dequeue'
  | 'work.online'
  | 'work.poll'
  | 'work.timeout'
  | 'work.process'
  | 'card.heartbeat'
  | 'card.recv'
  | 'card.reboot'
  | 'card.crash'
  | 'card.unload'
  | 'card.load'
  | 'card.close'
  | 'server.accept';

export type MicEvent =
  | { type: CardEventType; card: number }
  | { type: 'stop.run'; card: number; ok: boolean }
  | { type: 'card.notify'; card: number; status: Status }
  | { type: 'server.schedule' };

/**
 * Observable outputs: what user space (mpssd, via sysfs), the hardware and SCIF see.
 * - `publish`: cosm_set_shutdown_status, sysfs `shutdown_status` (cosm_sysfs.c).
 * - `cosm_set_state`: every call notifies sysfs `state` (cosm_main.h cosm_set_state:
 *   `sysfs_notify_dirent(cdev->state_sysfs)`), which mpssd reads; seed:164, 252.
 * - `hw_start` / `hw_stop`: hw_ops->start / stop.
 * - `scif_close`: the host closes one of the card's endpoints (seed:234, and the fix of
 *   finding 1); `ep` is its id as the model numbers them (the lowest id no open endpoint of
 *   that card holds).
 */
export type MicOutput =
  | { type: 'publish'; card: number; status: Status }
  | { type: 'cosm_set_state'; card: number; state: HostState }
  | { type: 'hw_start'; card: number }
  | { type: 'hw_stop'; card: number }
  | { type: 'scif_close'; card: number; ep: number };

/** A pointer to an endpoint that has been scif_close()d (use after close). */
export const CLOSED_EP = -1;

// ---------------------------------------------------------------------------------------------
// Variants

export const VARIANTS = {
  asWritten: 'as-written',
  refusedOnlineLeaks: 'refused-online-leaks-newepd',
  lateStatus: 'late-status-sets-shutting-down',
  publishOnReceipt: 'publish-on-receipt',
  onlineFromAny: 'online-from-any-state',
  acceptAnyStatus: 'accept-any-status',
  watchdogStaysOn: 'watchdog-on-after-status',
  shortTimeout: 'timeout-below-heartbeat-period',
  noStopWhenShuttingDown: 'no-hw-stop-when-shutting-down',
  slowWorkqueue: 'slow-workqueue',
} as const;

/** The behaviour switches, resolved once from the variant names. */
export interface Behaviour {
  /** cosm_set_online leaves a refused newepd open (seed:255-259). */
  refusedOnlineLeaks: boolean;
  /** cosm_shutdown_status_int moves any state but SHUTTING_DOWN to SHUTTING_DOWN (seed:163-164). */
  lateStatus: boolean;
  publishOnReceipt: boolean;
  onlineFromAny: boolean;
  acceptAnyStatus: boolean;
  watchdogStaysOn: boolean;
  shortTimeout: boolean;
  noStopWhenShuttingDown: boolean;
  /** Drop the timing assumption that a queued work item runs before the card reconnects. */
  slowWorkqueue: boolean;
}

export function behaviour(variants: ReadonlySet<string>): Behaviour {
  const asWritten = variants.has(VARIANTS.asWritten) || variants.has(VARIANTS.slowWorkqueue);
  return {
    refusedOnlineLeaks: asWritten || variants.has(VARIANTS.refusedOnlineLeaks),
    lateStatus: asWritten || variants.has(VARIANTS.lateStatus),
    publishOnReceipt: variants.has(VARIANTS.publishOnReceipt),
    onlineFromAny: variants.has(VARIANTS.onlineFromAny),
    acceptAnyStatus: variants.has(VARIANTS.acceptAnyStatus),
    watchdogStaysOn: variants.has(VARIANTS.watchdogStaysOn),
    shortTimeout: variants.has(VARIANTS.shortTimeout),
    noStopWhenShuttingDown: variants.has(VARIANTS.noStopWhenShuttingDown),
    slowWorkqueue: variants.has(VARIANTS.slowWorkqueue),
  };
}

// ---------------------------------------------------------------------------------------------
// Pure helpers on one card

interface Result {
  context: MicContext;
  outputs: MicOutput[];
}

export const isValidStatus = (s: Status) =>
  s === 'CRASHED' || s === 'HALTED' || s === 'POWER_OFF' || s === 'RESTART';

const endpoint = (d: Cdev, id: number | null) =>
  id === null ? undefined : d.eps.find((e) => e.id === id);

const queued = (e: Endpoint) => (e.hb ? 1 : 0) + (e.status ? 1 : 0);

const mapEp = (d: Cdev, id: number, f: (e: Endpoint) => Endpoint): Cdev => ({
  ...d,
  eps: d.eps.map((e) => (e.id === id ? f(e) : e)),
});

/**
 * cosm_set_state: the new state, and sysfs_notify_dirent on the `state` file (every call, even
 * one that does not change the state). prev_state is dead outside RESETTING, so it is dropped
 * to stay canonical.
 */
function setState(d: Cdev, state: HostState, card: number, outputs: MicOutput[]): Cdev {
  outputs.push({ type: 'cosm_set_state', card, state });
  return { ...d, state, prevState: state === 'RESETTING' ? d.prevState : null };
}

/** scif_close on the host: the endpoint is gone; pointers to it become CLOSED_EP. */
function hostClose(d: Cdev, id: number, card: number, outputs: MicOutput[]): Cdev {
  outputs.push({ type: 'scif_close', card, ep: id });
  return {
    ...d,
    eps: d.eps.filter((e) => e.id !== id),
    epd: d.epd === id ? CLOSED_EP : d.epd,
    newepd: d.newepd === id ? CLOSED_EP : d.newepd,
  };
}

/** The card's end of its connection goes away (closed by the card, or the card is gone). */
function cardEndGone(d: Cdev, mark: Partial<Pick<Endpoint, 'peerOpen' | 'silent'>>): Cdev {
  const closed = d.cardEp === null ? d : mapEp(d, d.cardEp, (e) => ({ ...e, ...mark }));
  return { ...closed, cardEp: null, toCard: [] };
}

/** A host message on cdev->epd: scif_send fails once the peer has gone (rc < 0). */
function hostSend(d: Cdev, id: number | null, msg: HostMessage): { ok: boolean; d: Cdev } {
  const e = endpoint(d, id);
  if (!e || !e.peerOpen) return { ok: false, d };
  return { ok: true, d: d.cardEp === id ? { ...d, toCard: [...d.toCard, msg] } : d };
}

/** The card sends a heartbeat if its connection still reaches a host endpoint with room. */
function cardHeartbeat(d: Cdev, inflight: number): Cdev {
  const e = endpoint(d, d.cardEp);
  if (!e || e.hb || queued(e) >= inflight) return d;
  return mapEp(d, e.id, (x) => ({ ...x, hb: true }));
}

const updateCard = (ctx: MicContext, c: number, d: Cdev): MicContext => ({
  ...ctx,
  cards: ctx.cards.map((x, i) => (i === c ? d : x)),
});

/** Smallest id not referenced anywhere for this card, so ids stay canonical. */
function freshId(d: Cdev): number {
  const taken = new Set<number | null>([...d.eps.map((e) => e.id), d.cardEp, d.epd, d.newepd]);
  let id = 0;
  while (taken.has(id)) id++;
  return id;
}

// ---------------------------------------------------------------------------------------------
// The steps. Each returns null when it is not enabled.

export interface Env {
  bounds: ModelConfig['bounds'];
  b: Behaviour;
}

type Effect = (ctx: MicContext, event: MicEvent, env: Env) => Result | null;

const cardOf = (ctx: MicContext, event: MicEvent) =>
  'card' in event ? ctx.cards[event.card] : undefined;

/**
 * A sysfs call takes cosm_mutex. It does not overtake the work when that is already blocked in
 * mutex_lock: mutex waiters are served in order (the model has no time, so without this rule a
 * work item could wait for the mutex across a whole card boot; docs/mic-cosm.md).
 */
const userCall = (d: Cdev | undefined): d is Cdev => d !== undefined && !d.workWaitsForMutex;

/** cosm_start: only from READY; hw_ops->start, then BOOTING (bootmode "linux"). */
const startEffect: Effect = (ctx, event, { bounds }) => {
  const d = cardOf(ctx, event);
  if (!userCall(d) || !('card' in event) || d.state !== 'READY' || d.boots >= bounds.boots)
    return null;
  // hw_ops->start, then cosm_set_state(MIC_BOOTING) (bootmode "linux").
  const outputs: MicOutput[] = [{ type: 'hw_start', card: event.card }];
  const booted: Cdev = {
    ...setState(d, 'BOOTING', event.card, outputs),
    boots: d.boots + 1,
    connectPending: true,
    ghostOrderly: false,
  };
  return { context: updateCard(ctx, event.card, booted), outputs };
};

/** cosm_shutdown: only ONLINE with an endpoint; send SHUTDOWN, watchdog off, SHUTTING_DOWN. */
const shutdownEffect: Effect = (ctx, event) => {
  const d = cardOf(ctx, event);
  if (!userCall(d) || !('card' in event) || d.state !== 'ONLINE' || d.epd === null) return null;
  const sent = hostSend(d, d.epd, 'SHUTDOWN');
  if (!sent.ok) return null; // scif_send failed: -ECONNRESET, nothing changes
  const outputs: MicOutput[] = [];
  const next = {
    ...setState(sent.d, 'SHUTTING_DOWN', event.card, outputs),
    watchdog: false,
    ghostOrderly: true,
  };
  return { context: updateCard(ctx, event.card, next), outputs };
};

/** cosm_reset: unless READY or RESETTING, remember the state, RESETTING, queue the stop. */
const resetEffect: Effect = (ctx, event) => {
  const d = cardOf(ctx, event);
  if (!userCall(d) || !('card' in event) || d.state === 'READY' || d.state === 'RESETTING')
    return null;
  const outputs: MicOutput[] = [];
  const next: Cdev = {
    ...setState({ ...d, prevState: d.state }, 'RESETTING', event.card, outputs),
    resetPending: true,
  };
  return { context: updateCard(ctx, event.card, next), outputs };
};

/** The reset work runs cosm_stop's locked section (the part before flush_work). */
export const stopRuns = (d: Cdev, event: MicEvent) =>
  event.type === 'stop.run' &&
  d.resetPending &&
  d.flushRuns === null &&
  (d.state !== 'READY' || event.ok); // with nothing to reset, `ok` is irrelevant: one event

/** cosm_stop hits the hardware (anything but READY): the card is off afterwards. */
export const stopResetsCard = (d: Cdev, event: MicEvent) =>
  stopRuns(d, event) && d.state !== 'READY';

const stopEffect: Effect = (ctx, event, { b }) => {
  const d = cardOf(ctx, event);
  if (!d || event.type !== 'stop.run' || !stopRuns(d, event)) return null;
  let next: Cdev = { ...d, resetPending: false };
  if (d.state === 'READY') return { context: updateCard(ctx, event.card, next), outputs: [] };
  const outputs: MicOutput[] = [];
  const state = d.state === 'RESETTING' ? d.prevState! : d.state;
  const callHwOps =
    state !== 'RESET_FAILED' &&
    state !== 'READY' &&
    !(b.noStopWhenShuttingDown && state === 'SHUTTING_DOWN');
  if (d.state !== 'RESETTING') next = setState(next, 'RESETTING', event.card, outputs);
  next = { ...next, watchdog: false };
  if (callHwOps) {
    // hw_ops->stop unregisters the SCIF device: every endpoint to the card hangs up.
    outputs.push({ type: 'hw_stop', card: event.card });
    next = { ...cardEndGone(next, {}), eps: next.eps.map((e) => ({ ...e, peerOpen: false })) };
  }
  // cosm_hw_reset: the card's hardware is reset whatever ran on it; without a SCIF remove
  // first, its endpoint simply goes quiet.
  next = { ...cardEndGone(next, { silent: true }), connectPending: false };
  next = setState(next, event.ok ? 'READY' : 'RESET_FAILED', event.card, outputs);
  // cosm_set_shutdown_status(NOP): the sysfs copy; shutdown_status_int is left as it is.
  outputs.push({ type: 'publish', card: event.card, status: 'NOP' });
  return { context: updateCard(ctx, event.card, next), outputs };
};

/** flush_work(&cdev->scif_work) returns once the executions it waited for are done. */
const flushedEffect: Effect = (ctx, event) => {
  const d = cardOf(ctx, event);
  if (!d || !('card' in event) || d.flushRuns !== 0) return null;
  return { context: updateCard(ctx, event.card, { ...d, flushRuns: null }), outputs: [] };
};

/**
 * Timing assumption: a card reconnects (a boot, or a cosm_client reload) only after the work
 * queued for its previous connection has run cosm_set_online. Queued work runs within
 * microseconds and cosm_mutex is held for long only by cosm_start/cosm_stop, while the card
 * cannot connect; a reconnect takes seconds. Without it (variant slow-workqueue) the server
 * can overwrite an unconsumed newepd, and flush_work can end up waiting on a work item that
 * took the next boot's connection.
 */
const workTookNewepd = (d: Cdev) => !d.workPending && !d.workWaitsForMutex;

/** The server thread: scif_accept returns a new endpoint for a card's connect request. */
const acceptEffect: Effect = (ctx, event, { b }) => {
  const d = cardOf(ctx, event);
  if (!d || !('card' in event) || ctx.server !== null || !d.connectPending) return null;
  if (!b.slowWorkqueue && !workTookNewepd(d)) return null;
  const id = freshId(d);
  const ep: Endpoint = { id, peerOpen: true, silent: false, hb: false, status: null, used: false };
  const next: Cdev = { ...d, eps: [...d.eps, ep], cardEp: id, connectPending: false, toCard: [] };
  return {
    context: { ...updateCard(ctx, event.card, next), server: { card: event.card, ep: id } },
    outputs: [],
  };
};

/** The server thread: cdev->newepd = newepd; schedule_work(&cdev->scif_work) (seed:347-348). */
const scheduleEffect: Effect = (ctx) => {
  if (ctx.server === null) return null;
  const { card, ep } = ctx.server;
  const d = { ...ctx.cards[card], newepd: ep, workPending: true };
  return { context: { ...updateCard(ctx, card, d), server: null }, outputs: [] };
};

/** Work item dequeued by a worker (WORK_STRUCT_PENDING cleared); it now wants cosm_mutex. */
const dequeueEffect: Effect = (ctx, event) => {
  const d = cardOf(ctx, event);
  if (!d || !('card' in event) || !d.workPending) return null;
  const next = { ...d, workPending: false, workWaitsForMutex: true };
  return { context: updateCard(ctx, event.card, next), outputs: [] };
};

/** The work item returns: one fewer execution for a flush_work to wait for. */
const workExits = (d: Cdev): Cdev => ({
  ...d,
  revents: null,
  workWaitsForMutex: false,
  flushRuns: d.flushRuns === null ? null : Math.max(0, d.flushRuns - 1),
});

/**
 * cdev->newepd keeps pointing at the endpoint cosm_set_online took (the code never clears it).
 * Under the timing assumption it is never read again before the server overwrites it, so the
 * model forgets it to keep states canonical; with slow-workqueue the stale pointer matters.
 */
const forgetNewepd = (d: Cdev, b: Behaviour) => (b.slowWorkqueue ? d.newepd : null);

/** Whether cosm_set_online goes online (seed:244-263). */
export function goesOnline(d: Cdev, b: Behaviour): boolean {
  return b.onlineFromAny || d.state === 'BOOTING' || d.state === 'ONLINE';
}

const onlineEffect: Effect = (ctx, event, { bounds, b }) => {
  const d = cardOf(ctx, event);
  if (!d || !('card' in event) || !goesOnline(d, b)) return null;
  const id = d.newepd;
  const outputs: MicOutput[] = [];
  let next: Cdev = {
    ...d,
    workWaitsForMutex: false,
    watchdog: bounds.heartbeatEnable === 1,
    epd: id,
    newepd: forgetNewepd(d, b),
  };
  if (id !== null && id !== CLOSED_EP) next = mapEp(next, id, (e) => ({ ...e, used: true }));
  // BOOTING (or any, in a variant); a reload while ONLINE calls no cosm_set_state (seed:251-252).
  if (next.state !== 'ONLINE') next = setState(next, 'ONLINE', event.card, outputs);
  // cosm_send_time: COSM_MSG_SYNC_TIME is not delivered in the model. Its only effect on the
  // protocol is the heartbeat the card sends after reading it, which `card.heartbeat` covers.
  return { context: updateCard(ctx, event.card, next), outputs };
};

const onlineRefusedEffect: Effect = (ctx, event, { b }) => {
  const d = cardOf(ctx, event);
  if (!d || !('card' in event) || goesOnline(d, b)) return null;
  let next = d;
  const outputs: MicOutput[] = [];
  // The fix: scif_close the endpoint we will not serve. As written, no close: the leak.
  if (!b.refusedOnlineLeaks && d.newepd !== null && d.newepd !== CLOSED_EP)
    next = hostClose(next, d.newepd, event.card, outputs);
  next = { ...next, newepd: forgetNewepd(next, b) };
  return { context: updateCard(ctx, event.card, workExits(next)), outputs };
};

/** scif_poll returns POLLIN and/or POLLHUP. */
const pollEffect: Effect = (ctx, event) => {
  const d = cardOf(ctx, event);
  if (!d || !('card' in event)) return null;
  const e = endpoint(d, d.epd);
  const pollIn = !!e && queued(e) > 0;
  const hup = !e || !e.peerOpen; // an endpoint already closed polls as hung up
  if (!pollIn && !hup) return null;
  const revents: Revents = pollIn && hup ? 'IN_HUP' : pollIn ? 'IN' : 'HUP';
  const next = { ...d, revents, workWaitsForMutex: true };
  return { context: updateCard(ctx, event.card, next), outputs: [] };
};

/**
 * scif_poll returns 0 after COSM_HEARTBEAT_TIMEOUT_MSEC (40 s) with nothing to read. A card
 * whose client thread runs sends a heartbeat every 30 s, so that can only happen when the card
 * behind the endpoint is silent. A timeout with the watchdog off changes nothing (the loop
 * polls again), so it is only offered with the watchdog on; the check under the mutex is
 * modelled in `processEffect`.
 */
const timeoutEffect: Effect = (ctx, event, { b }) => {
  const d = cardOf(ctx, event);
  if (!d || !('card' in event) || !d.watchdog) return null;
  const e = endpoint(d, d.epd);
  if (!e || queued(e) > 0 || !e.peerOpen) return null;
  if (!e.silent && !b.shortTimeout) return null;
  const next: Cdev = { ...d, revents: 'TIMEOUT', workWaitsForMutex: true };
  return { context: updateCard(ctx, event.card, next), outputs: [] };
};

/** cosm_update_mic_status (seed:137-143). */
function updateMicStatus(d: Cdev, card: number, outputs: MicOutput[]): Cdev {
  if (d.statusInt === 'NOP') return d;
  outputs.push({ type: 'publish', card, status: d.statusInt });
  return { ...d, statusInt: 'NOP' };
}

/** cosm_shutdown_status_int (seed:146-165). */
function shutdownStatusInt(
  d: Cdev,
  s: Status,
  card: number,
  outputs: MicOutput[],
  b: Behaviour,
): Cdev {
  if (!isValidStatus(s) && !b.acceptAnyStatus) return d; // dev_err "Unexpected shutdown_status"
  let next: Cdev = { ...d, statusInt: s, watchdog: b.watchdogStaysOn ? d.watchdog : false };
  // As written: any state but SHUTTING_DOWN; the fix: only ONLINE (a status processed after
  // cosm_stop belongs to a boot that is over).
  if (b.lateStatus ? next.state !== 'SHUTTING_DOWN' : next.state === 'ONLINE')
    next = setState(next, 'SHUTTING_DOWN', card, outputs);
  if (b.publishOnReceipt) next = updateMicStatus(next, card, outputs);
  return next;
}

/** The work, back under cosm_mutex after scif_poll: recv, hang-up, or watchdog (seed:291-310). */
const processEffect: Effect = (ctx, event, { b }) => {
  const d = cardOf(ctx, event);
  if (!d || !('card' in event) || d.revents === null) return null;
  const card = event.card;
  const outputs: MicOutput[] = [];
  let next: Cdev = { ...d, revents: null, workWaitsForMutex: false };
  const e = endpoint(next, next.epd);
  if ((d.revents === 'IN' || d.revents === 'IN_HUP') && e) {
    // cosm_scif_recv drains everything queued by now; heartbeats only unblock scif_poll.
    next = mapEp(next, e.id, (x) => ({ ...x, hb: false, status: null }));
    if (e.status !== null) next = shutdownStatusInt(next, e.status, card, outputs, b);
  }
  if (d.revents === 'HUP' || d.revents === 'IN_HUP') {
    // cosm_scif_close: publish the kept status now that the card's end is closed, then
    // scif_close (a pointer to an endpoint already closed closes nothing: slow-workqueue only).
    next = updateMicStatus(next, card, outputs);
    if (next.epd !== null && next.epd !== CLOSED_EP)
      next = hostClose(next, next.epd, card, outputs);
    next = workExits({ ...next, epd: null });
  } else if (d.revents === 'TIMEOUT' && next.watchdog) {
    // cosm_set_crashed
    next = shutdownStatusInt(next, 'CRASHED', card, outputs, b);
    next = updateMicStatus(next, card, outputs);
  }
  return { context: updateCard(ctx, card, next), outputs };
};

/** Whether the work's loop ends in this step (POLLHUP). */
export const processEnds = (d: Cdev) => d.revents === 'HUP' || d.revents === 'IN_HUP';

// --- the card (cosm_client) -----------------------------------------------------------------

const cardStep =
  (f: (d: Cdev, event: MicEvent, env: Env) => Cdev | null): Effect =>
  (ctx, event, env) => {
    const d = cardOf(ctx, event);
    if (!d || !('card' in event)) return null;
    const next = f(d, event, env);
    return next === null ? null : { context: updateCard(ctx, event.card, next), outputs: [] };
  };

/** The client thread's scif_poll times out after 30 s: COSM_MSG_HEARTBEAT. */
const heartbeatEffect = cardStep((d, _e, { bounds }) => {
  const next = cardHeartbeat(d, bounds.inflight);
  return next === d ? null : next;
});

/** cosm_client_recv: SYNC_TIME sets the clock, SHUTDOWN calls orderly_poweroff; then a heartbeat. */
const recvEffect = cardStep((d, _e, { bounds }) => {
  if (d.toCard.length === 0) return null;
  return cardHeartbeat({ ...d, toCard: [] }, bounds.inflight);
});

export const recvShutsDown = (d: Cdev) => d.toCard.includes('SHUTDOWN');

/** The card's own user halts, powers off or restarts it (the host learns it from the notifier). */
const rebootEffect = cardStep((d) => d);

/** Kernel panic or hang: the client thread stops heartbeating, the endpoint stays open. */
const crashEffect = cardStep((d) => ({
  ...cardEndGone(d, { silent: true }),
  connectPending: false,
}));

/** cosm_reboot_event: COSM_MSG_SHUTDOWN_STATUS with SCIF_SEND_BLOCK (blocks while full). */
const notifyEffect = cardStep((d, event, { bounds }) => {
  if (event.type !== 'card.notify') return null;
  const e = endpoint(d, d.cardEp);
  if (!e) return d; // the host closed its end: scif_send fails, the shutdown goes on
  if (queued(e) >= bounds.inflight) return null;
  const reported = { ...d, ghostOrderly: d.ghostOrderly || isValidStatus(event.status) };
  return mapEp(reported, e.id, (x) => ({ ...x, status: event.status }));
});

/** Device shutdown: scif_remove on the card, cosm_scif_remove closes client_epd (SCIF_DISCNCT). */
const closeEffect = cardStep((d) => cardEndGone(d, { peerOpen: false }));

/** rmmod cosm_client: cosm_scif_remove closes client_epd. */
const unloadEffect = cardStep((d, _e, { bounds }) =>
  d.reloads >= bounds.reloads
    ? null
    : { ...cardEndGone(d, { peerOpen: false }), reloads: d.reloads + 1 },
);

/** insmod cosm_client: cosm_scif_probe connects to the host again. */
const loadEffect = cardStep((d) => ({ ...d, connectPending: true }));

// ---------------------------------------------------------------------------------------------
// Wiring effects into XState transitions

type Guarded = {
  guard: (args: { context: MicContext; event: MicEvent }) => boolean;
  target?: string;
  actions: unknown[];
};

/**
 * At most this many outputs come from one step: cosm_stop's cosm_set_state(RESETTING),
 * hw_ops->stop, cosm_hw_reset's cosm_set_state(READY or RESET_FAILED) and the NOP publish.
 * (cosm_scif_work's step: a state change on a status, a publish, scif_close: three.)
 */
const MAX_OUTPUTS = 4;

/**
 * One transition per possible number of outputs: XState's `emit` always emits, so a step that
 * can emit zero to four outputs is five guarded transitions with 0, 1, 2, 3, 4 emits. Emits run
 * before the assign, so they see the state before the step, like the effect did.
 */
function effectTransitions(
  effect: Effect,
  env: Env,
  options: { target?: string; when?: (ctx: MicContext, event: MicEvent) => boolean } = {},
): Guarded[] {
  // The stepper asks every guard, then the emits and the assign, with the same context and
  // event objects: remember the last answer instead of recomputing it.
  let lastContext: MicContext | undefined;
  let lastEvent: MicEvent | undefined;
  let lastResult: Result | null = null;
  const run = (context: MicContext, event: MicEvent) => {
    if (context !== lastContext || event !== lastEvent) {
      lastContext = context;
      lastEvent = event;
      lastResult =
        options.when && !options.when(context, event) ? null : effect(context, event, env);
    }
    return lastResult;
  };
  return Array.from({ length: MAX_OUTPUTS + 1 }, (_, n) => ({
    guard: ({ context, event }) => run(context, event)?.outputs.length === n,
    ...(options.target === undefined ? {} : { target: options.target }),
    actions: [
      ...Array.from({ length: n }, (_unused, i) =>
        emit(({ context, event }: { context: MicContext; event: MicEvent }) => {
          return run(context, event)!.outputs[i] as MicOutput;
        }),
      ),
      assign(
        ({ context, event }: { context: MicContext; event: MicEvent }) =>
          run(context, event)!.context,
      ),
    ],
  }));
}

const forCard = (c: number) => (_ctx: MicContext, event: MicEvent) =>
  'card' in event && event.card === c;

function cardRegions(c: number, env: Env) {
  const mine = forCard(c);
  const on = (effect: Effect, target?: string, when?: (ctx: MicContext, e: MicEvent) => boolean) =>
    effectTransitions(effect, env, {
      ...(target === undefined ? {} : { target }),
      when: (ctx, e) => mine(ctx, e) && (when ? when(ctx, e) : true),
    });
  const d = (ctx: MicContext) => ctx.cards[c];
  // flush_work waits for the running execution and a queued one, if any (a barrier behind them).
  const flushAssign = (running: boolean) => ({
    guard: ({ context, event }: { context: MicContext; event: MicEvent }) =>
      mine(context, event) && stopRuns(d(context), event),
    actions: assign(({ context }: { context: MicContext }) =>
      updateCard(context, c, {
        ...d(context),
        flushRuns: (running ? 1 : 0) + (d(context).workPending ? 1 : 0),
      }),
    ),
  });
  return {
    type: 'parallel' as const,
    // The host-side calls (sysfs "shutdown" / "reset") and the end of flush_work only change
    // the context; the reset work's locked section lives on the card region below, because it
    // also switches the card off.
    on: {
      shutdown: on(shutdownEffect),
      reset: on(resetEffect),
      'stop.flushed': on(flushedEffect),
    },
    // The card region comes first: on stop.run its actions (cosm_stop) must run before the
    // work region's flush bookkeeping changes flushRuns, which cosm_stop's guard reads.
    states: {
      /** The card: the cosm_client driver and the kernel around it. */
      card: {
        initial: 'OFF',
        on: {
          // cosm_stop: hw_ops->stop and cosm_hw_reset leave the card off.
          'stop.run': [
            ...on(stopEffect, '.OFF', (ctx, e) => stopResetsCard(d(ctx), e)),
            ...on(stopEffect),
          ],
        },
        states: {
          OFF: { on: { start: on(startEffect, 'CONNECTING') } },
          /** Booting (or reloading cosm_client): scif_connect waits in the listen backlog. */
          CONNECTING: {
            on: {
              // The server region does the work; the card's connect returns.
              'server.accept': {
                guard: ({ context, event }: { context: MicContext; event: MicEvent }) =>
                  mine(context, event) && acceptEffect(context, event, env) !== null,
                target: 'UP',
              },
              'card.crash': on(crashEffect, 'CRASHED'),
            },
          },
          /** The client thread polls client_epd and heartbeats. */
          UP: {
            on: {
              'card.heartbeat': on(heartbeatEffect),
              'card.recv': [
                ...on(recvEffect, 'NOTIFY', (ctx) => recvShutsDown(d(ctx))),
                ...on(recvEffect),
              ],
              'card.reboot': on(rebootEffect, 'NOTIFY'),
              'card.crash': on(crashEffect, 'CRASHED'),
              'card.unload': on(unloadEffect, 'UNLOADED'),
            },
          },
          /** Orderly shutdown under way; the reboot notifier has not run yet. (Heartbeats go on
           *  here, but only wake the host up: the model lets them go, see docs.) */
          NOTIFY: {
            on: {
              'card.recv': on(recvEffect),
              'card.notify': on(notifyEffect, 'CLOSING'),
              'card.crash': on(crashEffect, 'CRASHED'),
            },
          },
          /** SHUTDOWN_STATUS sent; device shutdown has not reached cosm_scif_remove yet. */
          CLOSING: {
            on: {
              'card.recv': on(recvEffect),
              'card.close': on(closeEffect, 'DOWN'),
              'card.crash': on(crashEffect, 'CRASHED'),
            },
          },
          /** Halted, powered off or restarting: waits for the host to reset it. */
          DOWN: {},
          /** cosm_client unloaded; the card runs on without a connection. */
          UNLOADED: {
            on: {
              'card.load': on(loadEffect, 'CONNECTING'),
              'card.crash': on(crashEffect, 'CRASHED'),
            },
          },
          CRASHED: {},
        },
      },
      /** cosm_scif_work: one execution per connection, from cosm_set_online to POLLHUP. */
      scifWork: {
        initial: 'IDLE',
        states: {
          IDLE: {
            on: { 'work.dequeue': on(dequeueEffect, 'STARTING'), 'stop.run': flushAssign(false) },
          },
          STARTING: {
            on: {
              'work.online': [...on(onlineEffect, 'POLL'), ...on(onlineRefusedEffect, 'IDLE')],
              'stop.run': flushAssign(true),
            },
          },
          POLL: {
            on: {
              'work.poll': on(pollEffect, 'POLLED'),
              'work.timeout': on(timeoutEffect, 'POLLED'),
              'stop.run': flushAssign(true),
            },
          },
          POLLED: {
            on: {
              'work.process': [
                ...on(processEffect, 'IDLE', (ctx) => processEnds(d(ctx))),
                ...on(processEffect, 'POLL'),
              ],
              'stop.run': flushAssign(true),
            },
          },
        },
      },
    },
  };
}

export function buildMachine(config: ModelConfig): AnyStateMachine {
  const env: Env = { bounds: config.bounds, b: behaviour(config.variants) };
  const cards = config.bounds.cards;
  const emptyCard: Cdev = {
    state: 'READY',
    prevState: null,
    statusInt: 'NOP',
    watchdog: false,
    epd: null,
    newepd: null,
    workPending: false,
    revents: null,
    workWaitsForMutex: false,
    resetPending: false,
    flushRuns: null,
    eps: [],
    connectPending: false,
    cardEp: null,
    toCard: [],
    boots: 0,
    reloads: 0,
    ghostOrderly: false,
  };
  const regions: Record<string, unknown> = {};
  for (let c = 0; c < cards; c++) regions[`card${c}`] = cardRegions(c, env);
  return setup({
    types: {} as { context: MicContext; events: MicEvent; emitted: MicOutput },
  }).createMachine({
    id: 'micCosm',
    type: 'parallel',
    context: { cards: Array.from({ length: cards }, () => emptyCard), server: null },
    states: {
      /** cosm_scif_server: scif_accept, find the cdev, hand over newepd, schedule the work. */
      server: {
        initial: 'ACCEPT',
        states: {
          ACCEPT: {
            on: {
              'server.accept': effectTransitions(acceptEffect, env, { target: 'FOUND' }).slice(
                0,
                1,
              ),
            },
          },
          FOUND: {
            on: {
              'server.schedule': effectTransitions(scheduleEffect, env, { target: 'ACCEPT' }).slice(
                0,
                1,
              ),
            },
          },
        },
      },
      ...regions,
    } as never,
  }) as unknown as AnyStateMachine;
}

// ---------------------------------------------------------------------------------------------
// The alphabet

export function micEvents(state: ModelState<MicContext>, config: ModelConfig): MicEvent[] {
  const events: MicEvent[] = [];
  const statuses: Status[] = [...CARD_STATUSES.slice(0, config.bounds.statuses), 'INVALID'];
  state.context.cards.forEach((_d, card) => {
    const simple: CardEventType[] = [
      'start',
      'shutdown',
      'reset',
      'stop.flushed',
      'work.dequeue',
      'work.online',
      'work.poll',
      'work.timeout',
      'work.process',
      'card.heartbeat',
      'card.recv',
      'card.reboot',
      'card.crash',
      'card.unload',
      'card.load',
      'card.close',
      'server.accept',
    ];
    for (const type of simple) events.push({ type, card });
    events.push({ type: 'stop.run', card, ok: true }, { type: 'stop.run', card, ok: false });
    for (const status of statuses) events.push({ type: 'card.notify', card, status });
  });
  events.push({ type: 'server.schedule' });
  return events;
}

export const cardPath = (c: number, node: string) => `card${c}.card.${node}`;
export const workPath = (c: number, node: string) => `card${c}.scifWork.${node}`;

export const micCosmMachine = defineMachine<MicContext, MicEvent>({
  name: 'mic-cosm',
  title: 'Intel MIC COSM: card lifecycle, SCIF connection and heartbeat watchdog',
  seed: 'sources/mic-cosm-scif.txt',
  bounds: [
    { name: 'cards', default: 1, min: 1, max: 3, description: 'MIC cards (cosm_device)' },
    { name: 'boots', default: 1, min: 1, max: 4, description: 'cosm_start calls per card' },
    { name: 'reloads', default: 1, min: 0, max: 3, description: 'cosm_client reloads per card' },
    {
      name: 'inflight',
      default: 1,
      min: 1,
      max: 2,
      description: 'card-to-host messages queued per endpoint (heartbeats count as one)',
    },
    {
      name: 'statuses',
      default: 1,
      min: 1,
      max: 3,
      description:
        'valid statuses the card may report (HALTED, POWER_OFF, RESTART), plus one invalid value',
    },
    {
      name: 'heartbeatEnable',
      default: 1,
      min: 0,
      max: 1,
      description: 'sysfs heartbeat_enable (cdev->sysfs_heartbeat_enable)',
    },
  ],
  variants: [
    {
      name: VARIANTS.asWritten,
      description:
        'The seed as written: cosm_set_online leaves a refused newepd open, and a SHUTDOWN_STATUS processed after cosm_stop moves READY/BOOTING/RESETTING to SHUTTING_DOWN.',
      source: 'sources/mic-cosm-scif.txt:163-164, 255-259',
      breaks: ['hw-stop-once-per-boot', 'accepted-endpoint-used-or-closed'],
    },
    {
      name: VARIANTS.refusedOnlineLeaks,
      description:
        'As written (finding 1): when cosm_set_online refuses (state not BOOTING/ONLINE), cdev->newepd is neither used nor closed.',
      source: 'sources/mic-cosm-scif.txt:255-259 "not going online in state"',
      breaks: ['accepted-endpoint-used-or-closed'],
      finding: true,
    },
    {
      name: VARIANTS.lateStatus,
      description:
        'As written (finding 2): cosm_shutdown_status_int sets SHUTTING_DOWN from any other state, so a status the work processes after cosm_stop reset the card re-opens a finished boot.',
      source: 'sources/mic-cosm-scif.txt:163-164 "if (cdev->state != MIC_SHUTTING_DOWN)"',
      breaks: ['hw-stop-once-per-boot'],
      finding: true,
    },
    {
      name: VARIANTS.publishOnReceipt,
      description:
        'Publish the shutdown status when SHUTDOWN_STATUS arrives instead of when the endpoint hangs up.',
      source:
        'sources/mic-cosm-scif.txt:228-233 "we notify mpssd to reset the card when SCIF endpoint is closed"',
      breaks: ['status-published-once-after-stop'],
    },
    {
      name: VARIANTS.onlineFromAny,
      description:
        'cosm_set_online without its state check: any state goes ONLINE on a new connection.',
      source: 'sources/mic-cosm-scif.txt:239-252',
      breaks: ['online-only-from-booting', 'crash-only-when-silent', 'hw-stop-once-per-boot'],
    },
    {
      name: VARIANTS.acceptAnyStatus,
      description: 'cosm_shutdown_status_int without its switch: any value is kept and acted on.',
      source: 'sources/mic-cosm-scif.txt:149-159',
      breaks: ['invalid-status-ignored', 'status-published-once-after-stop'],
    },
    {
      name: VARIANTS.watchdogStaysOn,
      description: 'cosm_shutdown_status_int does not switch the heartbeat watchdog off.',
      source: 'sources/mic-cosm-scif.txt:161 "cdev->heartbeat_watchdog_enable = false"',
      breaks: ['crash-only-when-silent', 'status-published-once-after-stop'],
    },
    {
      name: VARIANTS.shortTimeout,
      description:
        "The poll timeout is shorter than the card's heartbeat period (no COSM_HEARTBEAT_CHECK_DELTA_SEC): a live card can be silent for a whole timeout.",
      source:
        'sources/mic-cosm-scif.txt:128-130 COSM_HEARTBEAT_TIMEOUT_SEC = SEND_SEC + CHECK_DELTA_SEC',
      breaks: ['crash-only-when-silent', 'status-published-once-after-stop'],
    },
    {
      name: VARIANTS.noStopWhenShuttingDown,
      description:
        'cosm_stop skips hw_ops->stop for a card that is SHUTTING_DOWN: without the SCIF remove its endpoint never hangs up.',
      source: 'sources/mic-cosm-scif.txt:98-114 "Card reset" steps 1-3',
      breaks: ['card-can-return-to-ready', 'status-published-once-after-stop', 'no-deadlock'],
    },
    {
      name: VARIANTS.slowWorkqueue,
      description:
        'The seed as written, without the timing assumption that queued work runs before the card reconnects (see docs/mic-cosm.md).',
      source: 'sources/mic-cosm-scif.txt:347-348 cdev->newepd = newepd without cosm_mutex',
      breaks: ['no-use-after-close', 'hw-stop-once-per-boot', 'accepted-endpoint-used-or-closed'],
    },
  ],
  build(config) {
    return {
      machine: buildMachine(config),
      events: (state) => micEvents(state, config),
      terminal: (state) =>
        state.matches('server.ACCEPT') &&
        state.context.cards.every(
          (d, c) =>
            d.state === 'READY' &&
            d.boots >= config.bounds.boots &&
            state.matches(cardPath(c, 'OFF')) &&
            state.matches(workPath(c, 'IDLE')) &&
            !d.workPending &&
            !d.resetPending &&
            d.flushRuns === null,
        ),
    };
  },
});
