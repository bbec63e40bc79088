/**
 * Intel MIC COSM (Coprocessor State Management): the host's per-card state machine, the SCIF
 * server thread and its stop, the per-card SCIF work with its heartbeat watchdog, the reset work,
 * the removal of a card's cosm_device, and the card-side cosm_client, in time.
 *
 * Sources: sources/mic-cosm-scif.txt (cosm_scif_server.c, cited as `seed:<line>`), and
 * from Linux 4.4–5.9 drivers/misc/mic/cosm/cosm_main.c (cosm_start, cosm_stop, cosm_reset,
 * cosm_shutdown, cosm_driver_remove), bus/cosm_bus.c (cosm_find_cdev_by_id takes a device
 * reference; cosm_release_dev frees the cosm_device), scif/scif_api.c (scif_poll, scif_accept,
 * scif_send, scif_close) and cosm_client/cosm_scif_client.c (the card).
 *
 * Time (src/model/time.ts) counts ticks of 5 s: one jiffy per tick, so that the kernel's rules
 * hold as written. scif_poll's 40 s (seed:128-131, 290) is msecs_to_jiffies = 8 ticks and fires
 * 9 ticks after the poll started; the card's client thread polls for 30 s (6 ticks) and sends a
 * heartbeat when that fires, 7 ticks after it started. docs/mic-cosm.md says which orderings
 * this keeps and why.
 *
 * Every critical section under cdev->cosm_mutex is one atomic step, so the mutex needs no state
 * of its own, except while a context sleeps holding it (scif_send blocking on a full ring: the
 * work in SENDING, a sysfs writer in SHUTDOWN_SENDING); steps that need the mutex wait then.
 * What the code does outside the mutex (the server thread, the card, SCIF, the removal) are
 * separate steps that interleave with everything. Steps that the kernel runs at once (a woken
 * kworker, the server thread, a fired timer's waiter) are urgent: time does not pass while one
 * is enabled; user space, the card's own choices and the administrator are not.
 *
 * The behaviour of each step is a pure function on the context (the `...Effect` functions
 * below) that also moves the program counters kept in the context (`card`, `work`, `rm`,
 * `user`, `server`, `exit`); the XState machine mirrors each program counter as a region, one
 * region owning the step's assign and emits and the others following (`wire`).
 */
import { assign, emit, setup, type AnyStateMachine } from 'xstate';
import {
  defineMachine,
  type LaneSpec,
  type ModelConfig,
  type ModelState,
} from '../src/model/model.ts';
import {
  arm,
  canTick,
  elapse,
  EXPIRED,
  TICK,
  timeAfter,
  timerDue,
  type Deadline,
} from '../src/model/time.ts';

// ---------------------------------------------------------------------------------------------
// Types, named after the code

/** enum mic_states (include/uapi/linux/mic_common.h). */
export type HostState =
  'READY' | 'BOOTING' | 'ONLINE' | 'SHUTTING_DOWN' | 'RESETTING' | 'RESET_FAILED';

/** enum mic_status, plus INVALID: any value outside it (seed:149-159 rejects those). */
export type Status = 'NOP' | 'CRASHED' | 'HALTED' | 'POWER_OFF' | 'RESTART' | 'INVALID';

/**
 * What a card can put in COSM_MSG_SHUTDOWN_STATUS, in the order the `statuses` bound admits
 * them: cosm_reboot_event's HALTED, POWER_OFF and RESTART, then CRASHED, which cosm_client never
 * sends but the host's switch accepts (seed:153), so a misbehaving card can. INVALID (every value
 * outside enum mic_status: NOP, or a 4.13+ card's SYSTEM_RESTART) is always possible.
 */
export const CARD_STATUSES = ['HALTED', 'POWER_OFF', 'RESTART', 'CRASHED'] as const;

export type HostMessage = 'SYNC_TIME' | 'SHUTDOWN';

/** One host-side SCIF endpoint the server accepted for a card, and its two rings. */
export interface Endpoint {
  id: number;
  /** The card's end is open; false once the card closed it or the host removed the node (POLLHUP). */
  peerOpen: boolean;
  /** The card behind it crashed (or was reset without a SCIF remove): nothing more will come. */
  silent: boolean;
  /** At least one COSM_MSG_HEARTBEAT is queued to the host (the host drains them all at once). */
  hb: boolean;
  /** A queued COSM_MSG_SHUTDOWN_STATUS. */
  status: Status | null;
  /** Host-to-card messages in the card's receive ring, not yet read (at most `hostRing`). */
  toCard: HostMessage[];
  /** Ghost: cosm_set_online made it cdev->epd. */
  used: boolean;
}

/** What the last scif_poll returned to cosm_scif_work. */
export type Revents = 'IN' | 'HUP' | 'IN_HUP' | 'TIMEOUT' | 'ERROR';

/** The card: cosm_client and the kernel around it. */
export type CardPc =
  | 'OFF'
  | 'CONNECTING' // booting, or cosm_client (re)loaded: scif_connect waits in the listen backlog
  | 'UP' // the client thread polls client_epd and heartbeats
  | 'NOTIFY' // orderly shutdown under way, the reboot notifier has not run
  | 'CLOSING' // SHUTDOWN_STATUS sent; device shutdown has not reached cosm_scif_remove
  | 'DOWN' // halted, powered off or restarting: waits for the host to reset it
  | 'UNLOADED' // cosm_client unloaded (or its connect refused): no connection
  | 'CRASHED';

/** cosm_scif_work (seed:272-315). */
export type WorkPc =
  | 'IDLE'
  | 'STARTING' // dequeued, wants cosm_mutex for cosm_set_online
  | 'SENDING' // cosm_send_time blocked in scif_send, holding cosm_mutex (seed:215)
  | 'REFUSED' // cosm_set_online refused and put its reference; mutex_unlock, return next (seed:261, 314)
  | 'WENT_ONLINE' // cosm_set_online done and put its reference; mutex_unlock, scif_poll next (seed:261, 288)
  | 'POLL' // asleep in scif_poll (seed:290)
  | 'POLLED'; // back from scif_poll, wants cosm_mutex (seed:291)

/** The removal of the card's cosm_device: device_unregister → cosm_driver_remove (cosm_main.c). */
export type RemovalPc = 'NONE' | 'BEGUN' | 'STOPPED' | 'FLUSHED' | 'DONE';

/** A sysfs writer: only cosm_shutdown can sleep (in scif_send) holding cosm_mutex. */
export type UserPc = 'IDLE' | 'SHUTDOWN_SENDING';

/** cosm_scif_server (seed:322-353). */
export type ServerPc = 'ACCEPT' | 'FOUND' | 'EXITED';

/** cosm_scif_exit (seed:422-437): kthread_stop sent, then the listening endpoint closed. */
export type ExitPc = 'RUNNING' | 'KILLING' | 'CLOSED';

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
  /** reset_trigger_work is queued. */
  resetPending: boolean;
  /** Null unless cosm_stop sits in flush_work(&scif_work): how many executions it waits for. */
  flushRuns: number | null;
  /** References cosm_find_cdev_by_id took (seed:344) that put_device has not dropped (seed:261). */
  refs: number;
  /** Program counters of the card, the work, the removal and a sysfs writer. */
  card: CardPc;
  work: WorkPc;
  rm: RemovalPc;
  user: UserPc;
  /** Host-side endpoints accepted for this card and not yet scif_close()d. */
  eps: Endpoint[];
  /** The card's SCIF connect request waits in the listen backlog. */
  connectPending: boolean;
  /** The card's client_epd (the id of its connection), null when it has none. */
  cardEp: number | null;
  /** The work's scif_poll timeout (seed:290); null outside scif_poll or with no timeout. */
  pollTimer: Deadline;
  /** The card's client thread: its scif_poll timeout (30 s); EXPIRED while it owes a heartbeat;
   *  null when the thread is not running. */
  hbTimer: Deadline;
  /** From cosm_start until the booting card can connect (a boot takes at least one tick). */
  bootTimer: Deadline;
  /** Budgets (bounds): cosm_start calls, cosm_client reloads, scif_poll errors used. */
  boots: number;
  reloads: number;
  pollErrors: number;
  /** Ghost: an orderly shutdown of this boot has begun (host sent SHUTDOWN, or the card's own). */
  ghostOrderly: boolean;
  /**
   * Ghost: while the watchdog is armed and the work polls an endpoint whose card has gone
   * silent, the ticks left until CRASHED must have been published (`crash-published-within-
   * timeout`); null otherwise. A running deadline also lets time pass, so that a driver whose
   * poll has no timeout is seen missing the crash.
   */
  ghostDetectBy: Deadline;
}

export interface MicContext {
  cards: Cdev[];
  server: ServerPc;
  /** The endpoint cosm_scif_server accepted for a card it found, not yet handed over. */
  serverHolds: { card: number; ep: number } | null;
  exit: ExitPc;
  /** A connect from a SCIF node that has no cosm_device (the host itself) waits in the backlog. */
  strangerPending: boolean;
  /** Budget: such connects made. */
  strangers: number;
  /** Endpoints accepted from such nodes and never closed (seed:345-346 as written). */
  strays: number;
}

type CardEventType =
  | 'start'
  | 'shutdown'
  | 'shutdown.sent'
  | 'shutdown.interrupted'
  | 'reset'
  | 'stop.flushed'
  | 'work.dequeue'
  | 'work.online'
  | 'work.sent'
  | 'work.exit'
  | 'work.sleep'
  | 'work.poll'
  | 'work.timeout'
  | 'work.pollError'
  | 'work.process'
  | 'card.heartbeat'
  | 'card.recv'
  | 'card.reboot'
  | 'card.crash'
  | 'card.unload'
  | 'card.load'
  | 'card.close'
  | 'server.accept'
  | 'remove.begin'
  | 'remove.flushed'
  | 'remove.done'
  | 'exit.kill';

type GlobalEventType =
  | 'server.schedule'
  | 'server.exit'
  | 'server.acceptStranger'
  | 'stranger.connect'
  | 'exit.close'
  | typeof TICK;

export type MicEvent =
  | { type: CardEventType; card: number }
  | { type: 'stop.run' | 'remove.stop'; card: number; ok: boolean }
  | { type: 'card.notify'; card: number; status: Status }
  | { type: GlobalEventType };

/**
 * Observable outputs: what user space (mpssd, via sysfs), the hardware, SCIF and the device
 * model see.
 * - `publish`: cosm_set_shutdown_status, sysfs `shutdown_status` (cosm_sysfs.c).
 * - `cosm_set_state`: every call notifies sysfs `state` (cosm_main.h cosm_set_state:
 *   `sysfs_notify_dirent(cdev->state_sysfs)`), which mpssd reads; seed:164, 252.
 * - `hw_start` / `hw_stop`: hw_ops->start / stop.
 * - `scif_close`: the host closes an endpoint (seed:234, and the fixes); `card` is null for a
 *   node without a cosm_device; `ep` is the model's id (the lowest id no open endpoint of that
 *   card holds).
 * - `device_release`: cosm_release_dev frees the cosm_device (its last reference dropped).
 */
export type MicOutput =
  | { type: 'publish'; card: number; status: Status }
  | { type: 'cosm_set_state'; card: number; state: HostState }
  | { type: 'hw_start'; card: number }
  | { type: 'hw_stop'; card: number }
  | { type: 'scif_close'; card: number | null; ep: number }
  | { type: 'device_release'; card: number };

/** A pointer to an endpoint that has been scif_close()d (use after close). */
export const CLOSED_EP = -1;

// ---------------------------------------------------------------------------------------------
// Time constants (ticks of 5 s, one jiffy per tick)

export const TICK_MSEC = 5000;
/** msecs_to_jiffies at one jiffy per tick (rounds up, as the kernel's does). */
export const msecsToTicks = (msecs: number) => Math.ceil(msecs / TICK_MSEC);
const MSEC_PER_SEC = 1000;
/** cosm_main.h. */
export const COSM_HEARTBEAT_SEND_SEC = 30;
/** seed:128. */
export const COSM_HEARTBEAT_CHECK_DELTA_SEC = 10;
/** seed:129-131: scif_poll's timeout in the work, 8 ticks. */
export const HOST_POLL_TICKS = msecsToTicks(
  (COSM_HEARTBEAT_SEND_SEC + COSM_HEARTBEAT_CHECK_DELTA_SEC) * MSEC_PER_SEC,
);
/** cosm_scif_client: the client thread's scif_poll timeout, COSM_HEARTBEAT_SEND_MSEC, 6 ticks. */
export const CARD_POLL_TICKS = msecsToTicks(COSM_HEARTBEAT_SEND_SEC * MSEC_PER_SEC);
/**
 * At most this many ticks from the moment a watched card goes silent to CRASHED: the poll that
 * is running then started no later than that moment, and its timer fires 9 ticks after it
 * started (expires + 1), after which the woken work runs within the tick.
 */
export const DETECT_TICKS = HOST_POLL_TICKS + 1;

// ---------------------------------------------------------------------------------------------
// Variants

export const VARIANTS = {
  asWritten: 'as-written',
  refusedOnlineLeaks: 'refused-online-leaks-newepd',
  lateStatus: 'late-status-sets-shutting-down',
  handoffUnlocked: 'newepd-handoff-unlocked',
  unknownNodeLeaks: 'unknown-node-leaks-newepd',
  exitAfterFlush: 'server-stopped-after-flush',
  publishOnReceipt: 'publish-on-receipt',
  onlineFromAny: 'online-from-any-state',
  acceptAnyStatus: 'accept-any-status',
  watchdogStaysOn: 'watchdog-on-after-status',
  shortTimeout: 'timeout-below-heartbeat-period',
  watchdogNotArmed: 'watchdog-not-armed',
  pollWithoutTimeout: 'poll-without-timeout',
  noStopWhenShuttingDown: 'no-hw-stop-when-shutting-down',
} as const;

/** The behaviour switches, resolved once from the variant names. */
export interface Behaviour {
  /** cosm_set_online leaves a refused newepd open (seed:255-259). */
  refusedOnlineLeaks: boolean;
  /** cosm_shutdown_status_int moves any state but SHUTTING_DOWN to SHUTTING_DOWN (seed:163-164). */
  lateStatus: boolean;
  /** The server stores newepd without cosm_mutex and without looking at it; cosm_set_online
   *  never clears it (seed:250, 347-348). */
  handoffUnlocked: boolean;
  /** A connection whose node has no cosm_device is dropped without scif_close (seed:345-346). */
  unknownNodeLeaks: boolean;
  /** cosm_driver_remove stops the server thread only after cosm_stop's flush_work (cosm_main.c). */
  exitAfterFlush: boolean;
  publishOnReceipt: boolean;
  onlineFromAny: boolean;
  acceptAnyStatus: boolean;
  watchdogStaysOn: boolean;
  shortTimeout: boolean;
  watchdogNotArmed: boolean;
  pollWithoutTimeout: boolean;
  noStopWhenShuttingDown: boolean;
}

export function behaviour(variants: ReadonlySet<string>): Behaviour {
  const asWritten = variants.has(VARIANTS.asWritten);
  const v = (name: string) => variants.has(name);
  return {
    refusedOnlineLeaks: asWritten || v(VARIANTS.refusedOnlineLeaks),
    lateStatus: asWritten || v(VARIANTS.lateStatus),
    handoffUnlocked: asWritten || v(VARIANTS.handoffUnlocked),
    unknownNodeLeaks: asWritten || v(VARIANTS.unknownNodeLeaks),
    exitAfterFlush: asWritten || v(VARIANTS.exitAfterFlush),
    publishOnReceipt: v(VARIANTS.publishOnReceipt),
    onlineFromAny: v(VARIANTS.onlineFromAny),
    acceptAnyStatus: v(VARIANTS.acceptAnyStatus),
    watchdogStaysOn: v(VARIANTS.watchdogStaysOn),
    shortTimeout: v(VARIANTS.shortTimeout),
    watchdogNotArmed: v(VARIANTS.watchdogNotArmed),
    pollWithoutTimeout: v(VARIANTS.pollWithoutTimeout),
    noStopWhenShuttingDown: v(VARIANTS.noStopWhenShuttingDown),
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

export const endpoint = (d: Cdev, id: number | null) =>
  id === null ? undefined : d.eps.find((e) => e.id === id);

const queued = (e: Endpoint) => (e.hb ? 1 : 0) + (e.status ? 1 : 0);

const mapEp = (d: Cdev, id: number, f: (e: Endpoint) => Endpoint): Cdev => ({
  ...d,
  eps: d.eps.map((e) => (e.id === id ? f(e) : e)),
});

/**
 * No context holds cosm_mutex between steps, so a step that takes it may run: only the work
 * blocked in cosm_send_time or between a refused cosm_set_online's put_device and its unlock,
 * and a sysfs writer blocked in cosm_shutdown's scif_send, hold it across a step boundary.
 */
export const mutexFree = (d: Cdev) =>
  d.work !== 'SENDING' &&
  d.work !== 'REFUSED' &&
  d.work !== 'WENT_ONLINE' &&
  d.user !== 'SHUTDOWN_SENDING';

/** The card's sysfs files exist (device_destroy in cosm_driver_remove removes them). */
const sysfsOpen = (d: Cdev) => d.rm === 'NONE';

/** The cosm_device has been freed: cosm_driver_remove returned and no reference is left. */
export const freed = (d: Cdev) => d.rm === 'DONE' && d.refs === 0;

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

/** put_device: one reference fewer; the last one, once the device is unregistered, frees it. */
function putDevice(d: Cdev, card: number, outputs: MicOutput[]): Cdev {
  const next = { ...d, refs: d.refs - 1 };
  if (freed(next)) outputs.push({ type: 'device_release', card });
  return next;
}

/** The card's end of its connection goes away (closed by the card, or the card is gone). */
function cardEndGone(d: Cdev, mark: Partial<Pick<Endpoint, 'peerOpen' | 'silent'>>): Cdev {
  const closed = d.cardEp === null ? d : mapEp(d, d.cardEp, (e) => ({ ...e, ...mark }));
  return { ...closed, cardEp: null, hbTimer: null };
}

/**
 * The card's client thread sends a heartbeat (scif_send, SCIF_SEND_BLOCK): queued (or merged
 * with one already queued), failed at once when the host end is gone, or blocked while the
 * host's queue is full, in which case the thread owes it (hbTimer stays EXPIRED).
 */
function cardHeartbeat(d: Cdev, inflight: number): Cdev {
  const e = endpoint(d, d.cardEp);
  if (e && !e.hb && queued(e) >= inflight) return { ...d, hbTimer: EXPIRED };
  const sent = e ? mapEp(d, e.id, (x) => ({ ...x, hb: true })) : d;
  return { ...sent, hbTimer: arm(CARD_POLL_TICKS) };
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
  /** Whether some urgent step is enabled, per context object (asked by every `tick` guard). */
  urgentCache: WeakMap<MicContext, boolean>;
  /** The urgent events of the alphabet. */
  urgentEvents: MicEvent[];
}

type Effect = (ctx: MicContext, event: MicEvent, env: Env) => Result | null;

const cardOf = (ctx: MicContext, event: MicEvent): [Cdev, number] | [undefined, -1] => {
  if (!('card' in event)) return [undefined, -1];
  const d = ctx.cards[event.card];
  return d ? [d, event.card] : [undefined, -1];
};

/** A sysfs write: takes cosm_mutex, only while the device's files exist. */
const userCall = (d: Cdev | undefined): d is Cdev =>
  d !== undefined && sysfsOpen(d) && mutexFree(d) && d.user === 'IDLE';

/** cosm_start: only from READY; hw_ops->start, then BOOTING (bootmode "linux"). */
const startEffect: Effect = (ctx, event, { bounds }) => {
  const [d, c] = cardOf(ctx, event);
  if (!userCall(d) || d.state !== 'READY' || d.card !== 'OFF' || d.boots >= bounds.boots)
    return null;
  const outputs: MicOutput[] = [{ type: 'hw_start', card: c }];
  const booted: Cdev = {
    ...setState(d, 'BOOTING', c, outputs),
    card: 'CONNECTING',
    boots: d.boots + 1,
    connectPending: true,
    bootTimer: arm(0),
    ghostOrderly: false,
  };
  return { context: updateCard(ctx, c, booted), outputs };
};

/** cosm_shutdown's scif_send has put SHUTDOWN in the ring: watchdog off, SHUTTING_DOWN. */
function shutdownSent(d: Cdev, c: number, outputs: MicOutput[]): Cdev {
  const sent = mapEp(d, d.epd!, (e) => ({ ...e, toCard: [...e.toCard, 'SHUTDOWN' as const] }));
  return {
    ...setState(sent, 'SHUTTING_DOWN', c, outputs),
    watchdog: false,
    ghostOrderly: true,
    user: 'IDLE',
  };
}

/**
 * cosm_shutdown: only ONLINE with an endpoint. scif_send(SHUTDOWN, SCIF_SEND_BLOCK) under
 * cosm_mutex: fails once the peer has gone (the call returns an error: not a step), sleeps
 * holding the mutex while the card's ring is full, else puts the message there.
 */
const shutdownEffect: Effect = (ctx, event, { bounds }) => {
  const [d, c] = cardOf(ctx, event);
  if (!userCall(d) || d.state !== 'ONLINE' || d.epd === null) return null;
  const e = endpoint(d, d.epd);
  if (!e || !e.peerOpen) return null;
  const outputs: MicOutput[] = [];
  const next: Cdev =
    e.toCard.length >= bounds.hostRing
      ? { ...d, user: 'SHUTDOWN_SENDING' }
      : shutdownSent(d, c, outputs);
  return { context: updateCard(ctx, c, next), outputs };
};

/** The blocked scif_send returns: room in the ring (sent), or the peer gone (-ECONNRESET). */
const shutdownWakeEffect: Effect = (ctx, event, { bounds }) => {
  const [d, c] = cardOf(ctx, event);
  if (!d || d.user !== 'SHUTDOWN_SENDING') return null;
  const e = endpoint(d, d.epd);
  const outputs: MicOutput[] = [];
  if (!e || !e.peerOpen)
    return { context: updateCard(ctx, c, { ...d, user: 'IDLE' }), outputs: [] };
  if (e.toCard.length >= bounds.hostRing) return null;
  return { context: updateCard(ctx, c, shutdownSent(d, c, outputs)), outputs };
};

/**
 * The writer is killed while scif_send sleeps: -ERESTARTSYS. wait_event_interruptible checks
 * its condition first, so this happens only while the ring is still full and the peer there.
 */
const shutdownInterruptEffect: Effect = (ctx, event, { bounds }) => {
  const [d, c] = cardOf(ctx, event);
  if (!d || d.user !== 'SHUTDOWN_SENDING') return null;
  const e = endpoint(d, d.epd);
  if (!e || !e.peerOpen || e.toCard.length < bounds.hostRing) return null;
  return { context: updateCard(ctx, c, { ...d, user: 'IDLE' }), outputs: [] };
};

/** cosm_reset: unless READY or RESETTING, remember the state, RESETTING, queue the stop. */
const resetEffect: Effect = (ctx, event) => {
  const [d, c] = cardOf(ctx, event);
  if (!userCall(d) || d.state === 'READY' || d.state === 'RESETTING') return null;
  const outputs: MicOutput[] = [];
  const next: Cdev = {
    ...setState({ ...d, prevState: d.state }, 'RESETTING', c, outputs),
    resetPending: true,
  };
  return { context: updateCard(ctx, c, next), outputs };
};

/**
 * cosm_stop's locked section (cosm_main.c), for the reset work and for cosm_driver_remove.
 * With nothing to reset (READY, not forced) it does nothing; the caller then flushes the work.
 */
function cosmStop(d: Cdev, c: number, ok: boolean, b: Behaviour, outputs: MicOutput[]): Cdev {
  if (d.state === 'READY') return d;
  let next = d;
  const state = d.state === 'RESETTING' ? d.prevState! : d.state;
  const callHwOps =
    state !== 'RESET_FAILED' &&
    state !== 'READY' &&
    !(b.noStopWhenShuttingDown && state === 'SHUTTING_DOWN');
  if (d.state !== 'RESETTING') next = setState(next, 'RESETTING', c, outputs);
  next = { ...next, watchdog: false };
  if (callHwOps) {
    // hw_ops->stop unregisters the SCIF device: every endpoint to the card hangs up.
    outputs.push({ type: 'hw_stop', card: c });
    next = { ...cardEndGone(next, {}), eps: next.eps.map((e) => ({ ...e, peerOpen: false })) };
  }
  // cosm_hw_reset: the card's hardware is reset whatever ran on it; without a SCIF remove
  // first, its endpoint simply goes quiet. Its msleep(1000) polls take no model time: what
  // expires meanwhile is handled under cosm_mutex after this step either way.
  next = {
    ...cardEndGone(next, { silent: true }),
    card: 'OFF',
    connectPending: false,
    bootTimer: null,
  };
  next = setState(next, ok ? 'READY' : 'RESET_FAILED', c, outputs);
  // cosm_set_shutdown_status(NOP): the sysfs copy; shutdown_status_int is left as it is.
  outputs.push({ type: 'publish', card: c, status: 'NOP' });
  return next;
}

/** flush_work(&scif_work) waits for the running execution and a queued one, if any. */
const startFlush = (d: Cdev): Cdev => ({
  ...d,
  flushRuns: (d.work !== 'IDLE' ? 1 : 0) + (d.workPending ? 1 : 0),
});

/** The reset work runs cosm_stop's locked section (the part before flush_work). */
const stopEffect: Effect = (ctx, event, { b }) => {
  const [d, c] = cardOf(ctx, event);
  if (!d || event.type !== 'stop.run' || !d.resetPending || d.flushRuns !== null) return null;
  if (!mutexFree(d)) return null;
  if (d.state === 'READY' && !event.ok) return null; // nothing to reset: `ok` is irrelevant
  const outputs: MicOutput[] = [];
  const next = startFlush(cosmStop({ ...d, resetPending: false }, c, event.ok, b, outputs));
  return { context: updateCard(ctx, c, next), outputs };
};

/** flush_work(&cdev->scif_work) returns in the reset work (the removal has its own step). */
const flushedEffect: Effect = (ctx, event) => {
  const [d, c] = cardOf(ctx, event);
  if (!d || d.flushRuns !== 0 || d.rm === 'STOPPED') return null;
  return { context: updateCard(ctx, c, { ...d, flushRuns: null }), outputs: [] };
};

/** The server thread: scif_accept returns a card's connection; cosm_find_cdev_by_id. */
const acceptEffect: Effect = (ctx, event, { b }) => {
  const [d, c] = cardOf(ctx, event);
  if (!d || ctx.server !== 'ACCEPT' || ctx.exit === 'CLOSED' || !d.connectPending) return null;
  // A booting card connects one tick after cosm_start at the earliest; a reload at once.
  if (d.bootTimer !== null && !timeAfter(d.bootTimer)) return null;
  const id = freshId(d);
  const ep: Endpoint = {
    id,
    peerOpen: true,
    silent: false,
    hb: false,
    status: null,
    toCard: [],
    used: false,
  };
  let next: Cdev = {
    ...d,
    eps: [...d.eps, ep],
    cardEp: id,
    connectPending: false,
    bootTimer: null,
    card: 'UP',
    hbTimer: arm(CARD_POLL_TICKS),
  };
  const outputs: MicOutput[] = [];
  // subsys_find_device_by_id no longer finds a device whose removal began (klist_del).
  if (d.rm !== 'NONE') {
    if (!b.unknownNodeLeaks) next = hostClose(next, id, c, outputs);
    return { context: { ...updateCard(ctx, c, next), server: loopHead(ctx) }, outputs };
  }
  next = { ...next, refs: next.refs + 1 }; // get_device
  return {
    context: { ...updateCard(ctx, c, next), server: 'FOUND', serverHolds: { card: c, ep: id } },
    outputs,
  };
};

/**
 * Back at the loop head (seed:331): once kthread_stop has set should_stop the thread returns
 * there, with no preemption point in between that touches shared state.
 */
const loopHead = (ctx: MicContext): ServerPc => (ctx.exit === 'KILLING' ? 'EXITED' : 'ACCEPT');

/** A connection from a node without a cosm_device: cosm_find_cdev_by_id returns NULL. */
const acceptStrangerEffect: Effect = (ctx, _event, { b }) => {
  if (ctx.server !== 'ACCEPT' || !ctx.strangerPending) return null;
  const next = { ...ctx, strangerPending: false, server: loopHead(ctx) };
  if (b.unknownNodeLeaks) return { context: { ...next, strays: ctx.strays + 1 }, outputs: [] };
  return { context: next, outputs: [{ type: 'scif_close', card: null, ep: 0 }] };
};

/** Some SCIF node without a cosm_device connects to SCIF_COSM_LISTEN_PORT. */
const strangerConnectEffect: Effect = (ctx, _event, { bounds }) => {
  if (ctx.strangerPending || ctx.strangers >= bounds.strangers || ctx.exit === 'CLOSED')
    return null;
  return {
    context: { ...ctx, strangerPending: true, strangers: ctx.strangers + 1 },
    outputs: [],
  };
};

/**
 * The server thread hands the endpoint over and schedules the work (seed:347-348).
 * As written: `cdev->newepd = newepd; schedule_work()`, without cosm_mutex: an endpoint not yet
 * taken is overwritten, and a schedule that finds the work still queued keeps the reference
 * this accept took. The fix, under cosm_mutex: an endpoint not yet taken is replaced (closed)
 * and this accept's reference dropped, else the work is scheduled.
 */
const scheduleEffect: Effect = (ctx, _event, { b }) => {
  if (ctx.server !== 'FOUND' || ctx.serverHolds === null) return null;
  const { card: c, ep } = ctx.serverHolds;
  let d = ctx.cards[c];
  const outputs: MicOutput[] = [];
  if (b.handoffUnlocked) {
    d = { ...d, newepd: ep, workPending: true };
  } else {
    if (!mutexFree(d)) return null;
    const old = d.newepd;
    d = { ...d, newepd: ep };
    if (old === null) d = { ...d, workPending: true };
    else {
      if (old !== CLOSED_EP && endpoint(d, old)) d = hostClose(d, old, c, outputs);
      d = putDevice(d, c, outputs);
    }
  }
  return {
    context: { ...updateCard(ctx, c, d), server: loopHead(ctx), serverHolds: null },
    outputs,
  };
};

/** Work item dequeued by a worker (WORK_STRUCT_PENDING cleared); it now wants cosm_mutex. */
const dequeueEffect: Effect = (ctx, event) => {
  const [d, c] = cardOf(ctx, event);
  if (!d || !d.workPending || d.work !== 'IDLE') return null;
  return {
    context: updateCard(ctx, c, { ...d, workPending: false, work: 'STARTING' }),
    outputs: [],
  };
};

/** The work item returns: one fewer execution for a flush_work to wait for. */
const workExits = (d: Cdev): Cdev => ({
  ...d,
  work: 'IDLE',
  revents: null,
  pollTimer: null,
  flushRuns: d.flushRuns === null ? null : Math.max(0, d.flushRuns - 1),
});

/** Whether cosm_set_online goes online (seed:244-263). */
export function goesOnline(d: Cdev, b: Behaviour): boolean {
  return b.onlineFromAny || d.state === 'BOOTING' || d.state === 'ONLINE';
}

/** Unlock and sleep in scif_poll with its timeout (seed:284-290). */
const startPoll = (d: Cdev, b: Behaviour): Cdev => ({
  ...d,
  work: 'POLL',
  revents: null,
  pollTimer: b.pollWithoutTimeout ? null : arm(b.shortTimeout ? CARD_POLL_TICKS : HOST_POLL_TICKS),
});

/** The rest of cosm_set_online after cosm_send_time: put_device (then the unlock and the poll
 *  loop are the next step: another CPU can drop the last reference in between). */
function onlineDone(d: Cdev, c: number, outputs: MicOutput[]): Cdev {
  return { ...putDevice(d, c, outputs), work: 'WENT_ONLINE' };
}

const onlineEffect: Effect = (ctx, event, { bounds, b }) => {
  const [d, c] = cardOf(ctx, event);
  if (!d || d.work !== 'STARTING' || !mutexFree(d)) return null;
  const outputs: MicOutput[] = [];
  if (!goesOnline(d, b)) {
    // Refused (seed:255-259). The fix closes the endpoint nobody will serve.
    let next = d;
    if (!b.refusedOnlineLeaks && d.newepd !== null && d.newepd !== CLOSED_EP)
      next = hostClose(next, d.newepd, c, outputs);
    if (!b.handoffUnlocked) next = { ...next, newepd: null };
    next = { ...putDevice(next, c, outputs), work: 'REFUSED' };
    return { context: updateCard(ctx, c, next), outputs };
  }
  const id = d.newepd;
  let next: Cdev = {
    ...d,
    watchdog: !b.watchdogNotArmed && bounds.heartbeatEnable === 1,
    epd: id,
    newepd: b.handoffUnlocked ? d.newepd : null,
  };
  if (id !== null && id !== CLOSED_EP) next = mapEp(next, id, (e) => ({ ...e, used: true }));
  // BOOTING (or any, in a variant); a reload while ONLINE calls no cosm_set_state (seed:251-252).
  if (next.state !== 'ONLINE') next = setState(next, 'ONLINE', c, outputs);
  // cosm_send_time (seed:209-219): scif_send(SYNC_TIME, SCIF_SEND_BLOCK) with cosm_mutex held.
  const e = endpoint(next, id);
  if (e && e.peerOpen) {
    if (e.toCard.length >= bounds.hostRing)
      return { context: updateCard(ctx, c, { ...next, work: 'SENDING' }), outputs };
    next = mapEp(next, e.id, (x) => ({ ...x, toCard: [...x.toCard, 'SYNC_TIME' as const] }));
  } // else rc < 0: dev_err only (seed:216-218)
  return { context: updateCard(ctx, c, onlineDone(next, c, outputs)), outputs };
};

/** cosm_send_time's blocked scif_send returns: room in the ring, or the peer gone. */
const sentEffect: Effect = (ctx, event, { bounds }) => {
  const [d, c] = cardOf(ctx, event);
  if (!d || d.work !== 'SENDING') return null;
  const e = endpoint(d, d.epd);
  let next = d;
  if (e && e.peerOpen) {
    if (e.toCard.length >= bounds.hostRing) return null;
    next = mapEp(d, e.id, (x) => ({ ...x, toCard: [...x.toCard, 'SYNC_TIME' as const] }));
  }
  const outputs: MicOutput[] = [];
  return { context: updateCard(ctx, c, onlineDone(next, c, outputs)), outputs };
};

/** After a refused cosm_set_online: `goto exit; mutex_unlock` (seed:280-281, 312-314). */
const exitEffect: Effect = (ctx, event) => {
  const [d, c] = cardOf(ctx, event);
  if (!d || d.work !== 'REFUSED') return null;
  return { context: updateCard(ctx, c, workExits(d)), outputs: [] };
};

/** After cosm_set_online went online: mutex_unlock, into scif_poll (seed:283-290). */
const sleepEffect: Effect = (ctx, event, { b }) => {
  const [d, c] = cardOf(ctx, event);
  if (!d || d.work !== 'WENT_ONLINE') return null;
  return { context: updateCard(ctx, c, startPoll(d, b)), outputs: [] };
};

/** scif_poll returns POLLIN and/or POLLHUP (seed:290). */
const pollEffect: Effect = (ctx, event) => {
  const [d, c] = cardOf(ctx, event);
  if (!d || d.work !== 'POLL') return null;
  const e = endpoint(d, d.epd);
  const pollIn = !!e && queued(e) > 0;
  const hup = !e || !e.peerOpen; // an endpoint already closed polls as hung up
  if (!pollIn && !hup) return null;
  const revents: Revents = pollIn && hup ? 'IN_HUP' : pollIn ? 'IN' : 'HUP';
  return {
    context: updateCard(ctx, c, { ...d, revents, work: 'POLLED', pollTimer: null }),
    outputs: [],
  };
};

/**
 * scif_poll returns 0: its schedule_timeout fired (expires + 1) and nothing is there. Whether
 * the watchdog is on is read afterwards, under the mutex (`processEffect`).
 */
const timeoutEffect: Effect = (ctx, event) => {
  const [d, c] = cardOf(ctx, event);
  if (!d || d.work !== 'POLL' || !timerDue(d.pollTimer)) return null;
  const e = endpoint(d, d.epd);
  if (!e || queued(e) > 0 || !e.peerOpen) return null;
  return {
    context: updateCard(ctx, c, { ...d, revents: 'TIMEOUT', work: 'POLLED', pollTimer: null }),
    outputs: [],
  };
};

/**
 * scif_poll returns an error (seed:292-296). For a kworker this needs a signal (kworkers take
 * none) or a failed poll-table allocation (one endpoint fits the inline table), so it is a
 * bound that is 0 by default. A pending crash detection restarts with the new poll.
 */
const pollErrorEffect: Effect = (ctx, event, { bounds }) => {
  const [d, c] = cardOf(ctx, event);
  if (!d || d.work !== 'POLL' || d.pollErrors >= bounds.pollErrors) return null;
  const next: Cdev = {
    ...d,
    revents: 'ERROR',
    work: 'POLLED',
    pollTimer: null,
    pollErrors: d.pollErrors + 1,
    ghostDetectBy: d.ghostDetectBy === null ? null : arm(DETECT_TICKS),
  };
  return { context: updateCard(ctx, c, next), outputs: [] };
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
  const [d, c] = cardOf(ctx, event);
  if (!d || d.work !== 'POLLED' || d.revents === null || !mutexFree(d)) return null;
  const outputs: MicOutput[] = [];
  let next: Cdev = { ...d, revents: null };
  if (d.revents === 'ERROR') return { context: updateCard(ctx, c, startPoll(next, b)), outputs };
  const e = endpoint(next, next.epd);
  if ((d.revents === 'IN' || d.revents === 'IN_HUP') && e) {
    // cosm_scif_recv drains everything queued by now; heartbeats only unblock scif_poll.
    next = mapEp(next, e.id, (x) => ({ ...x, hb: false, status: null }));
    if (e.status !== null) next = shutdownStatusInt(next, e.status, c, outputs, b);
  }
  if (d.revents === 'HUP' || d.revents === 'IN_HUP') {
    // cosm_scif_close: publish the kept status now that the card's end is closed, then
    // scif_close (a pointer to an endpoint already closed closes nothing: as written only).
    next = updateMicStatus(next, c, outputs);
    if (next.epd !== null && next.epd !== CLOSED_EP) next = hostClose(next, next.epd, c, outputs);
    return { context: updateCard(ctx, c, workExits({ ...next, epd: null })), outputs };
  }
  if (d.revents === 'TIMEOUT' && next.watchdog) {
    // cosm_set_crashed
    next = shutdownStatusInt(next, 'CRASHED', c, outputs, b);
    next = updateMicStatus(next, c, outputs);
  }
  return { context: updateCard(ctx, c, startPoll(next, b)), outputs };
};

// --- the card (cosm_client) -----------------------------------------------------------------

const cardStep =
  (f: (d: Cdev, event: MicEvent, env: Env) => Cdev | null): Effect =>
  (ctx, event, env) => {
    const [d, c] = cardOf(ctx, event);
    if (!d) return null;
    const next = f(d, event, env);
    return next === null ? null : { context: updateCard(ctx, c, next), outputs: [] };
  };

/** The client thread runs (polls client_epd and heartbeats) until cosm_scif_remove. */
const clientRuns = (d: Cdev) => d.card === 'UP' || d.card === 'NOTIFY' || d.card === 'CLOSING';

/** The client thread's scif_poll timed out (or it owes a blocked heartbeat): it sends one. */
const heartbeatEffect = cardStep((d, _e, { bounds }) => {
  if (!clientRuns(d) || !timerDue(d.hbTimer)) return null;
  const next = cardHeartbeat(d, bounds.inflight);
  return next.hbTimer === EXPIRED ? null : next; // still blocked: nothing happens
});

/** cosm_client_recv: SYNC_TIME sets the clock, SHUTDOWN calls orderly_poweroff; a heartbeat. */
const recvEffect = cardStep((d, _e, { bounds }) => {
  if (!clientRuns(d) || d.hbTimer === null || timerDue(d.hbTimer)) return null;
  const e = endpoint(d, d.cardEp);
  if (!e || e.toCard.length === 0) return null;
  const shuts = e.toCard.includes('SHUTDOWN');
  const read = mapEp(d, e.id, (x) => ({ ...x, toCard: [] }));
  return cardHeartbeat(
    { ...read, card: shuts && d.card === 'UP' ? 'NOTIFY' : d.card },
    bounds.inflight,
  );
});

/** The card's own user halts, powers off or restarts it (the host learns it from the notifier). */
const rebootEffect = cardStep((d) => (d.card === 'UP' ? { ...d, card: 'NOTIFY' } : null));

/** Kernel panic or hang: the client thread stops heartbeating, the endpoint stays open. */
const crashEffect = cardStep((d) => {
  if (d.card !== 'CONNECTING' && !clientRuns(d) && d.card !== 'UNLOADED') return null;
  return {
    ...cardEndGone(d, { silent: true }),
    card: 'CRASHED',
    connectPending: false,
    bootTimer: null,
  };
});

/** cosm_reboot_event: COSM_MSG_SHUTDOWN_STATUS with SCIF_SEND_BLOCK (blocks while full). */
const notifyEffect = cardStep((d, event, { bounds }) => {
  if (event.type !== 'card.notify' || d.card !== 'NOTIFY') return null;
  const allowed: readonly Status[] = [...CARD_STATUSES.slice(0, bounds.statuses), 'INVALID'];
  if (!allowed.includes(event.status)) return null;
  const e = endpoint(d, d.cardEp);
  if (!e) return { ...d, card: 'CLOSING' }; // the host closed its end: the send fails
  if (queued(e) >= bounds.inflight) return null;
  const reported = {
    ...d,
    card: 'CLOSING' as const,
    ghostOrderly: d.ghostOrderly || isValidStatus(event.status),
  };
  return mapEp(reported, e.id, (x) => ({ ...x, status: event.status }));
});

/** Device shutdown: cosm_scif_remove stops the client thread and closes client_epd (DISCNCT). */
const closeEffect = cardStep((d) =>
  d.card === 'CLOSING' ? { ...cardEndGone(d, { peerOpen: false }), card: 'DOWN' } : null,
);

/** rmmod cosm_client: cosm_scif_remove closes client_epd. */
const unloadEffect = cardStep((d, _e, { bounds }) =>
  d.card !== 'UP' || d.reloads >= bounds.reloads
    ? null
    : { ...cardEndGone(d, { peerOpen: false }), card: 'UNLOADED', reloads: d.reloads + 1 },
);

/** insmod cosm_client: cosm_scif_probe connects to the host again. */
const loadEffect: Effect = (ctx, event) => {
  const [d, c] = cardOf(ctx, event);
  // Once the listening endpoint is closed the connect is rejected: nothing changes.
  if (!d || d.card !== 'UNLOADED' || ctx.exit === 'CLOSED') return null;
  return {
    context: updateCard(ctx, c, { ...d, card: 'CONNECTING', connectPending: true }),
    outputs: [],
  };
};

// --- removal of the cosm_device and the server's stop ---------------------------------------

/**
 * Where cosm_driver_remove decrements g_num_dev and, for the last device, calls cosm_scif_exit:
 * as written after cosm_stop's flush (FLUSHED); the fix before cosm_stop (BEGUN).
 */
const exitPoint = (b: Behaviour): RemovalPc => (b.exitAfterFlush ? 'FLUSHED' : 'BEGUN');

const ORDER: readonly RemovalPc[] = ['NONE', 'BEGUN', 'STOPPED', 'FLUSHED', 'DONE'];

/**
 * cosm_driver_remove has decremented g_num_dev: with the fix in the step that leaves BEGUN
 * (exit.kill or remove.stop), as written in remove.flushed (the step into FLUSHED).
 */
const passedDec = (rm: RemovalPc, b: Behaviour) =>
  b.exitAfterFlush
    ? ORDER.indexOf(rm) >= ORDER.indexOf('FLUSHED')
    : ORDER.indexOf(rm) > ORDER.indexOf('BEGUN');

/** Every other card's removal has decremented g_num_dev: card c's decrement reaches 0. */
const lastDevice = (ctx: MicContext, c: number, b: Behaviour) =>
  ctx.cards.every((o, i) => i === c || passedDec(o.rm, b));

/** Card c is at its exit point, is the last device, and the listening endpoint is not
 *  closed yet: cosm_scif_exit is (or is still) its next step. */
function needsExit(ctx: MicContext, c: number, b: Behaviour): boolean {
  return ctx.cards[c].rm === exitPoint(b) && ctx.exit !== 'CLOSED' && lastDevice(ctx, c, b);
}

/** device_unregister: klist_del (cosm_find_cdev_by_id fails from now), then cosm_driver_remove's
 *  device_destroy (the sysfs files go, after the writers in them return). */
const removeBeginEffect: Effect = (ctx, event, { bounds }) => {
  const [d, c] = cardOf(ctx, event);
  if (!d || bounds.remove === 0 || d.rm !== 'NONE' || d.user !== 'IDLE') return null;
  return { context: updateCard(ctx, c, { ...d, rm: 'BEGUN' }), outputs: [] };
};

/** flush_work(&reset_trigger_work) has returned, then cosm_stop(cdev, false)'s locked section. */
const removeStopEffect: Effect = (ctx, event, { b }) => {
  const [d, c] = cardOf(ctx, event);
  if (!d || event.type !== 'remove.stop' || d.rm !== 'BEGUN' || needsExit(ctx, c, b)) return null;
  if (d.resetPending || d.flushRuns !== null || !mutexFree(d)) return null;
  if (d.state === 'READY' && !event.ok) return null;
  const outputs: MicOutput[] = [];
  const next = startFlush(cosmStop(d, c, event.ok, b, outputs));
  return { context: updateCard(ctx, c, { ...next, rm: 'STOPPED' }), outputs };
};

/**
 * cosm_stop's flush_work(&scif_work) returns in cosm_driver_remove. As written the last device
 * then goes straight on into cosm_scif_exit (the decrement, send_sig and kthread_stop touch
 * nothing another context reads, except the server's SIGKILL, which it only acts on with
 * kthread_should_stop): this step also does exit.kill's.
 */
const removeFlushedEffect: Effect = (ctx, event, { b }) => {
  const [d, c] = cardOf(ctx, event);
  if (!d || d.rm !== 'STOPPED' || d.flushRuns !== 0) return null;
  const next = updateCard(ctx, c, { ...d, rm: 'FLUSHED', flushRuns: null });
  const kills = b.exitAfterFlush && ctx.exit === 'RUNNING' && lastDevice(ctx, c, b);
  return { context: kills ? { ...next, exit: 'KILLING' } : next, outputs: [] };
};

/** cosm_driver_remove returns (the module may go); device_unregister drops the bus reference. */
const removeDoneEffect: Effect = (ctx, event, { b }) => {
  const [d, c] = cardOf(ctx, event);
  if (!d || d.rm !== 'FLUSHED' || needsExit(ctx, c, b)) return null;
  const next: Cdev = { ...d, rm: 'DONE' };
  const outputs: MicOutput[] = freed(next) ? [{ type: 'device_release', card: c }] : [];
  return { context: updateCard(ctx, c, next), outputs };
};

/** cosm_scif_exit: send_sig(SIGKILL) and kthread_stop (which sets should_stop and waits). As
 *  written it is part of remove.flushed; this is the fix's step, right after BEGUN. */
const exitKillEffect: Effect = (ctx, event, { b }) => {
  const [d, c] = cardOf(ctx, event);
  if (!d || b.exitAfterFlush || ctx.exit !== 'RUNNING' || !needsExit(ctx, c, b)) return null;
  // In both orders flush_work(&reset_trigger_work) has returned by then.
  if (d.resetPending || (d.flushRuns !== null && d.rm !== 'STOPPED')) return null;
  return { context: { ...ctx, exit: 'KILLING' }, outputs: [] };
};

/** The server thread sees kthread_should_stop at its loop head (seed:331) and returns. */
const serverExitEffect: Effect = (ctx) =>
  ctx.exit === 'KILLING' && ctx.server === 'ACCEPT'
    ? { context: { ...ctx, server: 'EXITED' }, outputs: [] }
    : null;

/** kthread_stop returned; cosm_scif_listen_exit: scif_close(listen_epd) rejects pending connects. */
const exitCloseEffect: Effect = (ctx) => {
  if (ctx.exit !== 'KILLING' || ctx.server !== 'EXITED') return null;
  const cards = ctx.cards.map((d): Cdev =>
    d.connectPending ? { ...d, connectPending: false, bootTimer: null, card: 'UNLOADED' } : d,
  );
  return { context: { ...ctx, cards, exit: 'CLOSED', strangerPending: false }, outputs: [] };
};

// --- time -------------------------------------------------------------------------------------

/** Every clock of the state. */
const deadlines = (ctx: MicContext): Deadline[] =>
  ctx.cards.flatMap((d) => [d.pollTimer, d.hbTimer, d.bootTimer, d.ghostDetectBy]);

/** One tick: every clock moves. */
const tickEffect: Effect = (ctx, _event, env) => {
  if (!canTick({ deadlines: deadlines(ctx), urgent: urgent(ctx, env) })) return null;
  const cards = ctx.cards.map((d) => ({
    ...d,
    pollTimer: elapse(d.pollTimer),
    hbTimer: elapse(d.hbTimer),
    bootTimer: elapse(d.bootTimer),
    ghostDetectBy: elapse(d.ghostDetectBy),
  }));
  return { context: { ...ctx, cards }, outputs: [] };
};

/**
 * Whether the watchdog is owed on a silent card: user space enabled it (sysfs heartbeat_enable),
 * the card is ONLINE (no shutdown announced, not being reset), and the work polls (or is back
 * from polling) an endpoint whose card has gone silent without hanging up. This reads what the
 * protocol promises, not cdev->heartbeat_watchdog_enable, so a driver that forgets to arm the
 * watchdog is held to it too.
 */
export function watchdogOwed(d: Cdev, heartbeatEnable: number): boolean {
  if (heartbeatEnable !== 1 || d.state !== 'ONLINE') return false;
  if (d.work !== 'POLL' && d.work !== 'POLLED') return false;
  const e = endpoint(d, d.epd);
  return !!e && e.silent && e.peerOpen;
}

/** Keeps each card's ghost detection deadline: armed when the watch starts, dropped when it ends. */
function trackDetection(ctx: MicContext, heartbeatEnable: number): MicContext {
  let changed = false;
  const cards = ctx.cards.map((d) => {
    const owed = watchdogOwed(d, heartbeatEnable);
    if (owed === (d.ghostDetectBy !== null)) return d;
    changed = true;
    return { ...d, ghostDetectBy: owed ? arm(DETECT_TICKS) : null };
  });
  return changed ? { ...ctx, cards } : ctx;
}

// ---------------------------------------------------------------------------------------------
// Events: the effects, which ones are urgent, and how they move the regions

type EventType = MicEvent['type'];

const EFFECTS: Record<EventType, Effect> = {
  start: startEffect,
  shutdown: shutdownEffect,
  'shutdown.sent': shutdownWakeEffect,
  'shutdown.interrupted': shutdownInterruptEffect,
  reset: resetEffect,
  'stop.run': stopEffect,
  'stop.flushed': flushedEffect,
  'work.dequeue': dequeueEffect,
  'work.online': onlineEffect,
  'work.sent': sentEffect,
  'work.exit': exitEffect,
  'work.sleep': sleepEffect,
  'work.poll': pollEffect,
  'work.timeout': timeoutEffect,
  'work.pollError': pollErrorEffect,
  'work.process': processEffect,
  'card.heartbeat': heartbeatEffect,
  'card.recv': recvEffect,
  'card.reboot': rebootEffect,
  'card.notify': notifyEffect,
  'card.crash': crashEffect,
  'card.unload': unloadEffect,
  'card.load': loadEffect,
  'card.close': closeEffect,
  'server.accept': acceptEffect,
  'server.schedule': scheduleEffect,
  'server.exit': serverExitEffect,
  'server.acceptStranger': acceptStrangerEffect,
  'stranger.connect': strangerConnectEffect,
  'remove.begin': removeBeginEffect,
  'remove.stop': removeStopEffect,
  'remove.flushed': removeFlushedEffect,
  'remove.done': removeDoneEffect,
  'exit.kill': exitKillEffect,
  'exit.close': exitCloseEffect,
  tick: tickEffect,
};

/**
 * What the kernel runs without letting time pass: a woken or queued kworker, the server thread,
 * the card's client thread on a message or a fired timer, the reset work and the removal once
 * started. Not urgent: user space, the card's own choices (reboot, crash, close, reload), the
 * administrator starting a removal, a connect from a stranger, and a scif_poll error.
 */
export const URGENT: ReadonlySet<EventType> = new Set<EventType>([
  'shutdown.sent',
  'stop.run',
  'stop.flushed',
  'work.dequeue',
  'work.online',
  'work.sent',
  'work.exit',
  'work.sleep',
  'work.poll',
  'work.timeout',
  'work.process',
  'card.heartbeat',
  'card.recv',
  'server.accept',
  'server.schedule',
  'server.exit',
  'server.acceptStranger',
  'remove.stop',
  'remove.flushed',
  'remove.done',
  'exit.kill',
  'exit.close',
]);

/** Some urgent step is enabled in this context. */
export function urgent(ctx: MicContext, env: Env): boolean {
  const known = env.urgentCache.get(ctx);
  if (known !== undefined) return known;
  const result = env.urgentEvents.some((e) => EFFECTS[e.type](ctx, e, env) !== null);
  env.urgentCache.set(ctx, result);
  return result;
}

/** The environment the effects of one configuration run in. */
export function makeEnv(config: ModelConfig): Env {
  return {
    bounds: config.bounds,
    b: behaviour(config.variants),
    urgentCache: new WeakMap(),
    urgentEvents: alphabet(config.bounds.cards, config.bounds.statuses).filter((e) =>
      URGENT.has(e.type),
    ),
  };
}

/** An effect followed by the ghost bookkeeping every step needs. */
function runEffect(ctx: MicContext, event: MicEvent, env: Env): Result | null {
  const result = EFFECTS[event.type](ctx, event, env);
  if (result === null || event.type === TICK) return result;
  return {
    context: trackDetection(result.context, env.bounds.heartbeatEnable),
    outputs: result.outputs,
  };
}

// ---------------------------------------------------------------------------------------------
// Wiring effects into XState transitions

type Guarded = {
  guard: (args: { context: MicContext; event: MicEvent }) => boolean;
  target?: string;
  actions?: unknown[];
  meta: { source: string; lint?: Record<string, string> };
};

/** A region of the machine and the program counter in the context it mirrors. */
interface Region {
  path: string;
  states: readonly string[];
  pc(ctx: MicContext): string;
  /** The card this region belongs to (events for other cards leave it alone). */
  card?: number;
}

/**
 * How one event moves the regions. The owner carries the assign and the emits: from each state
 * of `from` it may move to one of `to` (a transition on that state), or stay where it is (`stay`:
 * one transition on the region, for steps that move no program counter of the owner). Each of
 * `moves` follows from its `from` states to its target when the effect says so.
 */
interface Wiring {
  owner: (regions: Regions) => Region;
  from?: readonly string[];
  to?: readonly string[];
  stay?: boolean;
  moves?: (regions: Regions) => Array<{ region: Region; from: readonly string[]; to: string }>;
  /** The most outputs one step of this event emits. */
  outputs: number;
  /**
   * The output counts a step can have, per target state of the owner (`=` when it stays), where
   * fewer than 0..outputs: only these transitions are generated, and a step that emits another
   * count is a model error (checked at every step, so a count left out cannot drop a step).
   */
  counts?: Readonly<Record<string, readonly number[]>>;
  /** The code the step runs (`meta.source`: the inspector shows the cited lines). */
  source: string;
}

interface CardRegions {
  card: Region;
  work: Region;
  removal: Region;
  sysfs: Region;
}

interface Regions {
  server: Region;
  exit: Region;
  /** The regions of one card. */
  of: CardRegions;
}

const CARD_STATES: readonly CardPc[] = [
  'OFF',
  'CONNECTING',
  'UP',
  'NOTIFY',
  'CLOSING',
  'DOWN',
  'UNLOADED',
  'CRASHED',
];
const WORK_STATES: readonly WorkPc[] = [
  'IDLE',
  'STARTING',
  'SENDING',
  'REFUSED',
  'WENT_ONLINE',
  'POLL',
  'POLLED',
];
const REMOVAL_STATES: readonly RemovalPc[] = ['NONE', 'BEGUN', 'STOPPED', 'FLUSHED', 'DONE'];
const USER_STATES: readonly UserPc[] = ['IDLE', 'SHUTDOWN_SENDING'];
const SERVER_STATES: readonly ServerPc[] = ['ACCEPT', 'FOUND', 'EXITED'];
const EXIT_STATES: readonly ExitPc[] = ['RUNNING', 'KILLING', 'CLOSED'];

const CARD_ALIVE: readonly CardPc[] = ['CONNECTING', 'UP', 'NOTIFY', 'CLOSING', 'UNLOADED'];

const WIRING: Record<EventType, Wiring> = {
  start: {
    source:
      'cosm_start (cosm_main.c, not in the seed): hw_ops->start, BOOTING; the card boots and connects: sources/mic-cosm-scif.txt:63-70',
    owner: (r) => r.of.card,
    from: ['OFF'],
    to: ['CONNECTING'],
    outputs: 2,
    counts: { CONNECTING: [2] },
  },
  shutdown: {
    source:
      'cosm_shutdown (cosm_main.c): SHUTDOWN sent to the card under cosm_mutex: sources/mic-cosm-scif.txt:75-78',
    owner: (r) => r.of.sysfs,
    from: ['IDLE'],
    to: ['SHUTDOWN_SENDING'],
    stay: true,
    outputs: 1,
    counts: { '=': [1], SHUTDOWN_SENDING: [0] },
  },
  'shutdown.sent': {
    source: "cosm_shutdown's blocking scif_send returns: sources/mic-cosm-scif.txt:75-78",
    owner: (r) => r.of.sysfs,
    from: ['SHUTDOWN_SENDING'],
    to: ['IDLE'],
    outputs: 1,
  },
  'shutdown.interrupted': {
    source: "cosm_shutdown's scif_send interrupted by a signal: sources/mic-cosm-scif.txt:75-78",
    owner: (r) => r.of.sysfs,
    from: ['SHUTDOWN_SENDING'],
    to: ['IDLE'],
    outputs: 0,
  },
  reset: {
    source: 'cosm_reset (cosm_main.c) queues reset_trigger_work: sources/mic-cosm-scif.txt:98-101',
    owner: (r) => r.of.sysfs,
    stay: true,
    outputs: 1,
    counts: { '=': [1] },
  },
  'stop.run': {
    source:
      'cosm_stop under cosm_mutex: hw_ops->stop unregisters the SCIF device: sources/mic-cosm-scif.txt:103-105',
    owner: (r) => r.of.card,
    from: [...CARD_ALIVE, 'DOWN', 'CRASHED'],
    to: ['OFF'],
    stay: true,
    outputs: 4,
    counts: { OFF: [2, 3, 4], '=': [2, 3, 4] },
  },
  'stop.flushed': {
    source: "cosm_stop's flush_work(&cdev->scif_work) returns: sources/mic-cosm-scif.txt:113-114",
    owner: (r) => r.of.sysfs,
    stay: true,
    outputs: 0,
  },
  'work.dequeue': {
    source: 'the worker takes scif_work, up to mutex_lock: sources/mic-cosm-scif.txt:272-279',
    owner: (r) => r.of.work,
    from: ['IDLE'],
    to: ['STARTING'],
    outputs: 0,
  },
  'work.online': {
    source: 'cosm_set_online up to its put_device: sources/mic-cosm-scif.txt:244-261',
    owner: (r) => r.of.work,
    from: ['STARTING'],
    to: ['WENT_ONLINE', 'SENDING', 'REFUSED'],
    outputs: 2,
    counts: { WENT_ONLINE: [0, 1], SENDING: [], REFUSED: [0, 1, 2] },
  },
  'work.sent': {
    source: "cosm_send_time's blocking scif_send returns: sources/mic-cosm-scif.txt:215",
    owner: (r) => r.of.work,
    from: ['SENDING'],
    to: ['WENT_ONLINE'],
    outputs: 1,
  },
  'work.exit': {
    source: 'refused: goto exit, mutex_unlock: sources/mic-cosm-scif.txt:280-281',
    owner: (r) => r.of.work,
    from: ['REFUSED'],
    to: ['IDLE'],
    outputs: 0,
  },
  'work.sleep': {
    source: 'mutex_unlock, into scif_poll with its timeout: sources/mic-cosm-scif.txt:283-290',
    owner: (r) => r.of.work,
    from: ['WENT_ONLINE'],
    to: ['POLL'],
    outputs: 0,
  },
  'work.poll': {
    source: 'scif_poll returns an event, mutex_lock: sources/mic-cosm-scif.txt:290-291',
    owner: (r) => r.of.work,
    from: ['POLL'],
    to: ['POLLED'],
    outputs: 0,
  },
  'work.timeout': {
    source: 'scif_poll times out after COSM_HEARTBEAT_TIMEOUT_MSEC: sources/mic-cosm-scif.txt:290',
    owner: (r) => r.of.work,
    from: ['POLL'],
    to: ['POLLED'],
    outputs: 0,
  },
  'work.pollError': {
    source: 'scif_poll returns < 0: continue: sources/mic-cosm-scif.txt:292-296',
    owner: (r) => r.of.work,
    from: ['POLL'],
    to: ['POLLED'],
    outputs: 0,
  },
  'work.process': {
    source: 'messages, hang-up, crash check: sources/mic-cosm-scif.txt:298-311',
    owner: (r) => r.of.work,
    from: ['POLLED'],
    to: ['POLL', 'IDLE'],
    outputs: 3,
    counts: { POLL: [0, 1, 2], IDLE: [0, 1, 2, 3] },
  },
  'card.heartbeat': {
    source: "the card's periodic heartbeat: sources/mic-cosm-scif.txt:60-61",
    owner: (r) => r.of.card,
    stay: true,
    outputs: 0,
  },
  'card.recv': {
    source:
      "the card's client thread reads a message (SYNC_TIME, SHUTDOWN): sources/mic-cosm-scif.txt:13-17",
    owner: (r) => r.of.card,
    from: ['UP'],
    to: ['NOTIFY'],
    stay: true,
    outputs: 0,
  },
  'card.reboot': {
    source: 'the card shuts down or reboots (orderly_poweroff): sources/mic-cosm-scif.txt:75-78',
    owner: (r) => r.of.card,
    from: ['UP'],
    to: ['NOTIFY'],
    outputs: 0,
  },
  'card.notify': {
    source: 'the card sends its shutdown status: sources/mic-cosm-scif.txt:14-15',
    owner: (r) => r.of.card,
    from: ['NOTIFY'],
    to: ['CLOSING'],
    outputs: 0,
  },
  'card.crash': {
    source: 'the card crashes: no heartbeat, no DISCNCT: sources/mic-cosm-scif.txt:116-125',
    owner: (r) => r.of.card,
    from: CARD_ALIVE,
    to: ['CRASHED'],
    outputs: 0,
  },
  'card.unload': {
    source: 'cosm_client unloaded on the card: sources/mic-cosm-scif.txt:68-70',
    owner: (r) => r.of.card,
    from: ['UP'],
    to: ['UNLOADED'],
    outputs: 0,
  },
  'card.load': {
    source: 'cosm_client reloaded on the card: sources/mic-cosm-scif.txt:240-242',
    owner: (r) => r.of.card,
    from: ['UNLOADED'],
    to: ['CONNECTING'],
    outputs: 0,
  },
  'card.close': {
    source: 'the card closes its endpoint: POLLHUP on the host: sources/mic-cosm-scif.txt:83-88',
    owner: (r) => r.of.card,
    from: ['CLOSING'],
    to: ['DOWN'],
    outputs: 0,
  },
  'server.accept': {
    source: 'scif_accept returns, cosm_find_cdev_by_id: sources/mic-cosm-scif.txt:332-346',
    owner: (r) => r.server,
    from: ['ACCEPT'],
    to: ['FOUND', 'EXITED'],
    stay: true,
    moves: (r) => [{ region: r.of.card, from: ['CONNECTING'], to: 'UP' }],
    outputs: 1,
    counts: { FOUND: [0], EXITED: [0, 1], '=': [0, 1] },
  },
  'server.schedule': {
    source: 'newepd stored, schedule_work: sources/mic-cosm-scif.txt:347-348',
    owner: (r) => r.server,
    from: ['FOUND'],
    to: ['ACCEPT', 'EXITED'],
    outputs: 2,
    counts: { ACCEPT: [0, 1], EXITED: [0, 1] },
  },
  'server.exit': {
    source: 'kthread_should_stop: the server returns: sources/mic-cosm-scif.txt:331',
    owner: (r) => r.server,
    from: ['ACCEPT'],
    to: ['EXITED'],
    outputs: 0,
  },
  'server.acceptStranger': {
    source:
      'a connect from a node with no cosm_device: continue: sources/mic-cosm-scif.txt:344-346',
    owner: (r) => r.server,
    from: ['ACCEPT'],
    to: ['EXITED'],
    stay: true,
    outputs: 1,
  },
  'stranger.connect': {
    source:
      'a connect to the listening port from a node with no cosm_device: sources/mic-cosm-scif.txt:332-333',
    owner: (r) => r.server,
    stay: true,
    outputs: 0,
  },
  'remove.begin': {
    source:
      'device_unregister begins: cosm_find_cdev_by_id fails from now: sources/mic-cosm-scif.txt:344',
    owner: (r) => r.of.removal,
    from: ['NONE'],
    to: ['BEGUN'],
    outputs: 0,
  },
  'remove.stop': {
    source: "cosm_driver_remove's cosm_stop (cosm_main.c): sources/mic-cosm-scif.txt:103-105",
    owner: (r) => r.of.removal,
    from: ['BEGUN'],
    to: ['STOPPED'],
    moves: (r) => [
      ...[...CARD_ALIVE, 'DOWN', 'CRASHED'].map((from) => ({
        region: r.of.card,
        from: [from],
        to: 'OFF',
      })),
    ],
    outputs: 4,
    counts: { STOPPED: [0, 3, 4] },
  },
  'remove.flushed': {
    source:
      "cosm_stop's flush_work returns in cosm_driver_remove: sources/mic-cosm-scif.txt:113-114",
    owner: (r) => r.of.removal,
    from: ['STOPPED'],
    to: ['FLUSHED'],
    moves: (r) => [{ region: r.exit, from: ['RUNNING'], to: 'KILLING' }],
    outputs: 0,
  },
  'remove.done': {
    source:
      "cosm_driver_remove returns; device_unregister's put_device: sources/mic-cosm-scif.txt:260-261",
    owner: (r) => r.of.removal,
    from: ['FLUSHED'],
    to: ['DONE'],
    outputs: 1,
  },
  'exit.kill': {
    source: 'cosm_scif_exit: send_sig(SIGKILL), kthread_stop: sources/mic-cosm-scif.txt:426-433',
    owner: (r) => r.exit,
    from: ['RUNNING'],
    to: ['KILLING'],
    outputs: 0,
  },
  'exit.close': {
    source: 'kthread_stop returns; the listening endpoint closed: sources/mic-cosm-scif.txt:436',
    owner: (r) => r.exit,
    from: ['KILLING'],
    to: ['CLOSED'],
    moves: (r) => [{ region: r.of.card, from: ['CONNECTING'], to: 'UNLOADED' }],
    outputs: 0,
  },
  tick: {
    source: "5 s pass (the heartbeat timeout's unit): sources/mic-cosm-scif.txt:128-131",
    owner: (r) => r.server,
    stay: true,
    outputs: 0,
  },
};

/**
 * The sequence chart's lanes are the code's execution contexts, not the machine's regions: the
 * card region is the device (cosm_client on the card), and a context's step can move another
 * region (reset_work's cosm_stop and the removal's take the card region to OFF).
 */
const LANES: LaneSpec[] = [
  { name: 'sysfs writer (mpssd)', events: ['start', 'shutdown*', 'reset'] },
  { name: 'reset_trigger_work', events: ['stop.*'] },
  { name: 'scif_work (kworker)', events: ['work.*'] },
  { name: 'cosm_server kthread', events: ['server.*'] },
  { name: 'removal (device_unregister, rmmod)', events: ['remove.*', 'exit.*'] },
  { name: 'card (cosm_client) and time', events: ['card.*', 'stranger.*', TICK], device: true },
];

/** The reason a part of the machine is idle at the default bounds, per bound left at 0 or 2. */
const BOUND_ONLY = {
  remove:
    'taken only with --bound remove=1 (the removal; remove=0 keeps the default space small; the tests run remove=1)',
  strangers:
    'taken only with --bound strangers=1 (a connect to the COSM port from a node without a cosm_device)',
  pollErrors: 'taken only with --bound pollErrors=1 (scif_poll returning an error)',
  hostRing:
    "taken only with --bound hostRing=1: cosm_shutdown's scif_send sleeps on the card's full ring",
} as const;

/**
 * Lint suppressions for generated transitions, by `<event> <region> <from>><to> <outputs>`
 * (`*>=`: staying on the region; `-`: a region another event's step moves): each says at which
 * bounds or in which variant the transition is taken, or why it never is at these bounds.
 */
const LINT_NOTES: Record<string, Record<string, string>> = notes();

/** Why a region's state is never entered at the default bounds, by `<region>.<state>`. */
const STATE_NOTES: Record<string, string> = {
  'server.EXITED': BOUND_ONLY.remove,
  'exit.KILLING': BOUND_ONLY.remove,
  'exit.CLOSED': BOUND_ONLY.remove,
  'card.removal.BEGUN': BOUND_ONLY.remove,
  'card.removal.STOPPED': BOUND_ONLY.remove,
  'card.removal.FLUSHED': BOUND_ONLY.remove,
  'card.removal.DONE': BOUND_ONLY.remove,
  'card.sysfs.SHUTDOWN_SENDING': BOUND_ONLY.hostRing,
  'card.scifWork.SENDING':
    "never entered at any bound: SYNC_TIME is a connection's first message, so even a one-message ring (hostRing=1) has room (test/mic-cosm.test.ts checks it in every state); kept because the seed's scif_send(SCIF_SEND_BLOCK) under cosm_mutex (seed:215) can sleep and the C harness steps it",
};

function notes(): Record<string, Record<string, string>> {
  const never = (reason: string) => ({ 'guard-never-true': reason });
  const table: Record<string, Record<string, string>> = {};
  const add = (keys: string[], note: Record<string, string>) => {
    for (const key of keys) table[key] = note;
  };
  add(
    [
      'server.accept server *>= 0',
      'server.accept server *>= 1',
      'server.accept server ACCEPT>EXITED 0',
      'server.accept server ACCEPT>EXITED 1',
      'server.exit server ACCEPT>EXITED 0',
      'server.schedule server FOUND>EXITED 0',
      'server.schedule server FOUND>EXITED 1',
      'exit.kill exit RUNNING>KILLING 0',
      'remove.begin card.removal NONE>BEGUN 0',
      'exit.close card.card CONNECTING>UNLOADED -',
      ...['CONNECTING', 'UP', 'NOTIFY', 'CLOSING', 'DOWN', 'UNLOADED', 'CRASHED'].map(
        (from) => `remove.stop card.card ${from}>OFF -`,
      ),
    ],
    never(BOUND_ONLY.remove),
  );
  add(
    ['remove.flushed exit RUNNING>KILLING -'],
    never(
      'taken only with --bound remove=1 in the seed-as-written order (server-stopped-after-flush, as-written): the last device goes from the flush straight on into cosm_scif_exit',
    ),
  );
  add(
    [
      'stranger.connect server *>= 0',
      'server.acceptStranger server *>= 0',
      'server.acceptStranger server *>= 1',
      'server.acceptStranger server ACCEPT>EXITED 0',
      'server.acceptStranger server ACCEPT>EXITED 1',
    ],
    never(BOUND_ONLY.strangers),
  );
  add(['work.pollError card.scifWork POLL>POLLED 0'], never(BOUND_ONLY.pollErrors));
  const alive = ['CONNECTING', 'UP', 'NOTIFY', 'CLOSING', 'DOWN', 'UNLOADED', 'CRASHED'];
  add(
    [
      ...alive.map((from) => `stop.run card.card ${from}>OFF 4`),
      'stop.run card.card *>= 3',
      'stop.run card.card *>= 4',
    ],
    never(
      'taken only in variants where the state changes after cosm_reset set RESETTING (a late status sets SHUTTING_DOWN: late-status-sets-shutting-down, as-written; online-from-any-state sets ONLINE): cosm_stop then sets RESETTING again, one output more',
    ),
  );
  add(
    alive.map((from) => `stop.run card.card ${from}>OFF 2`),
    never(
      'taken only in no-hw-stop-when-shutting-down: cosm_stop skips hw_ops->stop, one output fewer',
    ),
  );
  add(
    ['work.online card.scifWork STARTING>REFUSED 0'],
    never(
      'taken only in the seed-as-written variants refused-online-leaks-newepd, newepd-handoff-unlocked and as-written: the refused endpoint is not closed (findings 1, 3)',
    ),
  );
  add(
    ['work.process card.scifWork POLLED>IDLE 0'],
    never(
      'taken only in the seed-as-written variants newepd-handoff-unlocked and as-written (finding 3)',
    ),
  );
  add(['shutdown card.sysfs IDLE>SHUTDOWN_SENDING 0'], never(BOUND_ONLY.hostRing));
  add(
    [
      ...['CONNECTING', 'UP', 'NOTIFY', 'CLOSING', 'UNLOADED'].map(
        (from) => `card.crash card.card ${from}>CRASHED 0`,
      ),
      'card.reboot card.card UP>NOTIFY 0',
      'card.close card.card CLOSING>DOWN 0',
      'card.load card.card UNLOADED>CONNECTING 0',
      'work.online card.scifWork STARTING>REFUSED 1',
      'work.exit card.scifWork REFUSED>IDLE 0',
      'work.sleep card.scifWork WENT_ONLINE>POLL 0',
      'work.process card.scifWork POLLED>IDLE 3',
    ],
    {
      'guard-never-false':
        "never false with one card (the default): at cards=2 the guard also leaves the other card's events to that card's region",
    },
  );
  return table;
}

/** A region's path with the card's number left out (`card.scifWork`), for LINT_NOTES. */
const kind = (region: Region) => region.path.replace(/^card\d+\./, 'card.');

/** A generated transition's meta: the code it runs, and its lint note if it has one. */
function meta(wiring: Wiring, key: string): Guarded['meta'] {
  const note = LINT_NOTES[key];
  return { source: wiring.source, ...(note ? { lint: note } : {}) };
}

/** The output counts to generate transitions for, towards `to` (`=`: staying). */
const countsOf = (wiring: Wiring, to: string): readonly number[] =>
  wiring.counts?.[to] ?? Array.from({ length: wiring.outputs + 1 }, (_unused, n) => n);

function buildMachine(config: ModelConfig): AnyStateMachine {
  const env = makeEnv(config);
  const cards = config.bounds.cards;

  // One memo for all regions: the stepper asks every guard, then the emits and the assign,
  // with the same context and event objects.
  let lastContext: MicContext | undefined;
  let lastEvent: MicEvent | undefined;
  let lastResult: Result | null = null;
  const run = (context: MicContext, event: MicEvent) => {
    if (context !== lastContext || event !== lastEvent) {
      lastContext = context;
      lastEvent = event;
      lastResult = runEffect(context, event, env);
      if (lastResult !== null) checkCounts(context, event, lastResult);
    }
    return lastResult;
  };

  const cardRegions: CardRegions[] = Array.from({ length: cards }, (_, c) => ({
    card: {
      path: `card${c}.card`,
      states: CARD_STATES,
      pc: (ctx) => ctx.cards[c].card,
      card: c,
    },
    work: {
      path: `card${c}.scifWork`,
      states: WORK_STATES,
      pc: (ctx) => ctx.cards[c].work,
      card: c,
    },
    removal: {
      path: `card${c}.removal`,
      states: REMOVAL_STATES,
      pc: (ctx) => ctx.cards[c].rm,
      card: c,
    },
    sysfs: {
      path: `card${c}.sysfs`,
      states: USER_STATES,
      pc: (ctx) => ctx.cards[c].user,
      card: c,
    },
  }));
  const server: Region = { path: 'server', states: SERVER_STATES, pc: (ctx) => ctx.server };
  const exit: Region = { path: 'exit', states: EXIT_STATES, pc: (ctx) => ctx.exit };

  /** A step whose output count its wiring does not generate would be refused: say so. */
  const checkCounts = (context: MicContext, event: MicEvent, result: Result) => {
    const wiring = WIRING[event.type];
    const card = 'card' in event && event.card !== null ? event.card : 0;
    const owner = wiring.owner({ server, exit, of: cardRegions[card] });
    const from = owner.pc(context);
    const to = owner.pc(result.context);
    if (!wiring.counts) return;
    const allowed = wiring.counts[from === to && wiring.stay ? '=' : to];
    if (allowed && !allowed.includes(result.outputs.length)) {
      throw new Error(
        `mic-cosm: ${event.type} from ${owner.path}.${from} to ${to} emits ${result.outputs.length} outputs, which WIRING.counts leaves out`,
      );
    }
  };

  /** The transitions of each node (a region or one of its states), by event type. */
  const on = new Map<string, Record<string, Guarded[]>>();
  const add = (node: string, type: string, transition: Guarded) => {
    const table = on.get(node) ?? {};
    table[type] = [...(table[type] ?? []), transition];
    on.set(node, table);
  };
  const mine = (region: Region, event: MicEvent) =>
    region.card === undefined || ('card' in event && event.card === region.card);

  for (const type of Object.keys(WIRING) as EventType[]) {
    const wiring = WIRING[type];
    const perCard = cardRegions.map((of) => ({ server, exit, of }));
    // A card event is owned by a region of each card (its guard takes only its card's events);
    // a global one by one region.
    const owners = new Set(perCard.map((r) => wiring.owner(r)));
    const actions = (n: number) => [
      ...Array.from({ length: n }, (_unused, i) =>
        emit(({ context, event }: { context: MicContext; event: MicEvent }) => {
          return run(context, event)!.outputs[i];
        }),
      ),
      assign(
        ({ context, event }: { context: MicContext; event: MicEvent }) =>
          run(context, event)!.context,
      ),
    ];
    for (const owner of owners) {
      // Staying: one transition per output count on the region, in whatever state it is.
      if (wiring.stay) {
        for (const n of countsOf(wiring, '=')) {
          add(owner.path, type, {
            guard: ({ context, event }) => {
              const r = run(context, event);
              return (
                r !== null &&
                mine(owner, event) &&
                owner.pc(r.context) === owner.pc(context) &&
                r.outputs.length === n
              );
            },
            actions: actions(n),
            meta: meta(wiring, `${type} ${kind(owner)} *>= ${n}`),
          });
        }
      }
      // Moving: from each source state to each target, per output count.
      for (const from of wiring.from ?? []) {
        for (const to of wiring.to ?? []) {
          for (const n of countsOf(wiring, to)) {
            add(`${owner.path}.${from}`, type, {
              guard: ({ context, event }) => {
                const r = run(context, event);
                return (
                  r !== null &&
                  mine(owner, event) &&
                  owner.pc(r.context) === to &&
                  r.outputs.length === n
                );
              },
              target: to,
              actions: actions(n),
              meta: meta(wiring, `${type} ${kind(owner)} ${from}>${to} ${n}`),
            });
          }
        }
      }
    }
    for (const r of perCard) {
      for (const move of wiring.moves?.(r) ?? []) {
        for (const from of move.from) {
          add(`${move.region.path}.${from}`, type, {
            guard: ({ context, event }) => {
              const res = run(context, event);
              return res !== null && move.region.pc(res.context) === move.to;
            },
            target: move.to,
            meta: meta(wiring, `${type} ${kind(move.region)} ${from}>${move.to} -`),
          });
        }
      }
    }
  }

  const region = (r: Region, initial: string) => ({
    initial,
    on: on.get(r.path) ?? {},
    states: Object.fromEntries(
      r.states.map((state) => {
        const note = STATE_NOTES[`${kind(r)}.${state}`];
        const meta = note ? { meta: { lint: { 'state-never-entered': note } } } : {};
        return [state, { on: on.get(`${r.path}.${state}`) ?? {}, ...meta }];
      }),
    ),
  });
  const cardNodes: Record<string, unknown> = {};
  cardRegions.forEach((of, c) => {
    cardNodes[`card${c}`] = {
      type: 'parallel',
      states: {
        card: region(of.card, 'OFF'),
        scifWork: region(of.work, 'IDLE'),
        removal: region(of.removal, 'NONE'),
        sysfs: region(of.sysfs, 'IDLE'),
      },
    };
  });

  const emptyCard: Cdev = {
    state: 'READY',
    prevState: null,
    statusInt: 'NOP',
    watchdog: false,
    epd: null,
    newepd: null,
    workPending: false,
    revents: null,
    resetPending: false,
    flushRuns: null,
    refs: 0,
    card: 'OFF',
    work: 'IDLE',
    rm: 'NONE',
    user: 'IDLE',
    eps: [],
    connectPending: false,
    cardEp: null,
    pollTimer: null,
    hbTimer: null,
    bootTimer: null,
    boots: 0,
    reloads: 0,
    pollErrors: 0,
    ghostOrderly: false,
    ghostDetectBy: null,
  };
  return setup({
    types: {} as { context: MicContext; events: MicEvent; emitted: MicOutput },
  }).createMachine({
    id: 'micCosm',
    type: 'parallel',
    meta: {
      lint: {
        'field-never-changes': {
          'context.cards[].user': BOUND_ONLY.hostRing,
          'context.cards[].pollErrors': BOUND_ONLY.pollErrors,
          'context.exit': BOUND_ONLY.remove,
          'context.strangerPending': BOUND_ONLY.strangers,
          'context.strangers': BOUND_ONLY.strangers,
        },
      },
    },
    context: {
      cards: Array.from({ length: cards }, () => emptyCard),
      server: 'ACCEPT',
      serverHolds: null,
      exit: 'RUNNING',
      strangerPending: false,
      strangers: 0,
      strays: 0,
    },
    states: {
      /** cosm_scif_server: scif_accept and cosm_find_cdev_by_id, hand newepd over, schedule. */
      server: region(server, 'ACCEPT'),
      /** cosm_scif_exit: the server thread stopped, then the listening endpoint closed. */
      exit: region(exit, 'RUNNING'),
      ...cardNodes,
    } as never,
  }) as unknown as AnyStateMachine;
}

// ---------------------------------------------------------------------------------------------
// The alphabet

function alphabet(cards: number, statuses: number): MicEvent[] {
  const events: MicEvent[] = [];
  const payloads: Status[] = [...CARD_STATUSES.slice(0, statuses), 'INVALID'];
  for (let card = 0; card < cards; card++) {
    const simple: CardEventType[] = [
      'start',
      'shutdown',
      'shutdown.sent',
      'shutdown.interrupted',
      'reset',
      'stop.flushed',
      'work.dequeue',
      'work.online',
      'work.sent',
      'work.exit',
      'work.sleep',
      'work.poll',
      'work.timeout',
      'work.pollError',
      'work.process',
      'card.heartbeat',
      'card.recv',
      'card.reboot',
      'card.crash',
      'card.unload',
      'card.load',
      'card.close',
      'server.accept',
      'remove.begin',
      'remove.flushed',
      'remove.done',
      'exit.kill',
    ];
    for (const type of simple) events.push({ type, card });
    for (const type of ['stop.run', 'remove.stop'] as const)
      events.push({ type, card, ok: true }, { type, card, ok: false });
    for (const status of payloads) events.push({ type: 'card.notify', card, status });
  }
  for (const type of [
    'server.schedule',
    'server.exit',
    'server.acceptStranger',
    'stranger.connect',
    'exit.close',
    TICK,
  ] as const)
    events.push({ type });
  return events;
}

/** The alphabet does not depend on the state: one list per configuration. */
export function micEvents(config: ModelConfig): (state: ModelState<MicContext>) => MicEvent[] {
  const events = alphabet(config.bounds.cards, config.bounds.statuses);
  return () => events;
}

/**
 * Conformance both ways (docs/test-vectors.md; docs/mic-cosm.md "Conformance both ways").
 * Enabling: the steps of the driver's own contexts (the work, the reset work, the server thread,
 * the removal and the module's exit, a writer asleep in scif_send) and what the card can do only
 * because of what the host did (read the host's messages; heartbeat once its poll timed out and
 * the host has drained its queue). Left out: the calls (start, shutdown, reset, remove.begin),
 * the card's own choices (reboot, notify, close, crash, unload, load), budgets (a stranger's
 * connect, a scif_poll error) and tick, which the model allows only when no urgent step is
 * enabled anywhere: a view no driver keeps (it refuses a tick only over a timer that is due).
 */
export const CONFORMANCE_ENABLING = [
  'work.dequeue',
  'work.online',
  'work.sent',
  'work.exit',
  'work.sleep',
  'work.poll',
  'work.timeout',
  'work.process',
  'stop.run',
  'stop.flushed',
  'server.accept',
  'server.acceptStranger',
  'server.schedule',
  'server.exit',
  'remove.stop',
  'remove.flushed',
  'remove.done',
  'exit.kill',
  'exit.close',
  'shutdown.sent',
  'shutdown.interrupted',
  'card.heartbeat',
  'card.recv',
] as const satisfies readonly EventType[];

/**
 * The fields a driver keeps too, per card (`card<i>.<field>`): struct cosm_device's (state,
 * prev_state while RESETTING, shutdown_status_int, heartbeat_watchdog_enable, epd and newepd as
 * endpoint ids, -1 for a closed one, the two works' PENDING bits, the references the server
 * took), the host endpoints SCIF has open for the card, and the work's scif_poll timer (ticks
 * to go); a freed cosm_device is only `freed`. `strays`: endpoints from nodes without a
 * cosm_device left open.
 */
export function observeMic({ context }: ModelState<MicContext>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  context.cards.forEach((d, c) => {
    const at = (field: string, value: unknown) => (fields[`card${c}.${field}`] = value);
    at('freed', freed(d));
    if (freed(d)) return;
    at('state', d.state);
    at('prevState', d.state === 'RESETTING' ? d.prevState : null);
    at('statusInt', d.statusInt);
    at('watchdog', d.watchdog);
    at('epd', d.epd);
    at('newepd', d.newepd);
    at('workPending', d.workPending);
    at('resetPending', d.resetPending);
    at('refs', d.refs);
    at(
      'endpoints',
      d.eps.map((e) => e.id).sort((a, b) => a - b),
    );
    at('pollTimer', d.pollTimer);
  });
  fields.strays = context.strays;
  return fields;
}

export const cardPath = (c: number, node: string) => `card${c}.card.${node}`;
export const workPath = (c: number, node: string) => `card${c}.scifWork.${node}`;

/** Nothing left to do: the server waits in accept (or has exited with the last removal), and
 *  every card is READY and off with its boots used, or removed, with no work anywhere. */
function terminal(ctx: MicContext, boots: number): boolean {
  const quiet = (d: Cdev) =>
    d.work === 'IDLE' &&
    !d.workPending &&
    !d.resetPending &&
    d.flushRuns === null &&
    d.user === 'IDLE';
  return (
    !ctx.strangerPending &&
    (ctx.server === 'ACCEPT' || (ctx.server === 'EXITED' && ctx.exit === 'CLOSED')) &&
    ctx.cards.every(
      (d) =>
        quiet(d) &&
        (d.rm === 'DONE' ||
          (d.rm === 'NONE' && d.state === 'READY' && d.boots >= boots && d.card === 'OFF')),
    )
  );
}

export const micCosmMachine = defineMachine<MicContext, MicEvent>({
  name: 'mic-cosm',
  title: 'Intel MIC COSM: card lifecycle, SCIF connection and heartbeat watchdog',
  seed: 'mic-cosm-scif.txt',
  bounds: [
    { name: 'cards', default: 1, min: 1, max: 3, description: 'MIC cards (cosm_device)' },
    {
      name: 'boots',
      default: 1,
      min: 1,
      max: 4,
      deep: 2,
      description: 'cosm_start calls per card',
    },
    { name: 'reloads', default: 1, min: 0, max: 3, description: 'cosm_client reloads per card' },
    {
      name: 'inflight',
      default: 1,
      min: 1,
      max: 2,
      deep: 2,
      description: 'card-to-host messages queued per endpoint (heartbeats count as one)',
    },
    {
      name: 'statuses',
      default: 1,
      min: 1,
      max: 4,
      deep: 4,
      description:
        'statuses the card may report (HALTED, POWER_OFF, RESTART, CRASHED), plus any value outside enum mic_status',
    },
    {
      name: 'heartbeatEnable',
      default: 1,
      min: 0,
      max: 1,
      description: 'sysfs heartbeat_enable (cdev->sysfs_heartbeat_enable)',
    },
    {
      name: 'hostRing',
      default: 2,
      min: 1,
      max: 2,
      description:
        "host-to-card messages the card's receive ring holds (2 = all COSM ever queues on a connection; the real 4 KB ring holds 170)",
    },
    {
      name: 'pollErrors',
      default: 0,
      min: 0,
      max: 2,
      deep: 1,
      description: "error returns of the work's scif_poll per card (seed:292-296)",
    },
    {
      name: 'strangers',
      default: 0,
      min: 0,
      max: 1,
      deep: 1,
      description: 'connects to the COSM port from a SCIF node without a cosm_device',
    },
    {
      name: 'remove',
      default: 0,
      min: 0,
      max: 1,
      deep: 1,
      description: 'the cosm_device may be removed (device_unregister, or rmmod for the last card)',
    },
  ],
  variants: [
    {
      name: VARIANTS.asWritten,
      description:
        'The seed as written: a refused cosm_set_online leaves newepd open, a late SHUTDOWN_STATUS moves READY/BOOTING/RESETTING to SHUTTING_DOWN, the server hands newepd over without cosm_mutex and drops a connection from an unknown node without closing it, and cosm_driver_remove stops the server only after flushing the work.',
      source:
        'sources/mic-cosm-scif.txt:163-164, 250, 255-259, 345-348; cosm_main.c cosm_driver_remove',
      breaks: [
        'hw-stop-once-per-boot',
        'no-use-after-close',
        'accepted-endpoint-used-or-closed',
        'device-refs-dropped',
        'no-use-after-free',
        'no-work-after-remove',
      ],
      finding: true,
      // The teardown (and the removal's not-found accept) needs a removal.
      bounds: { remove: 1 },
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
      name: VARIANTS.handoffUnlocked,
      description:
        'As written (finding 3): the server stores cdev->newepd and calls schedule_work without cosm_mutex and without looking at what is there, and cosm_set_online never clears newepd: a second connection before the work ran overwrites the first (leaked) and its device reference is never dropped (schedule_work coalesces); a work queued again takes the same, by then closed, newepd.',
      source: 'sources/mic-cosm-scif.txt:250 "cdev->epd = cdev->newepd", 347-348',
      breaks: ['no-use-after-close', 'accepted-endpoint-used-or-closed', 'device-refs-dropped'],
      finding: true,
    },
    {
      name: VARIANTS.unknownNodeLeaks,
      description:
        'As written (finding 4): when cosm_find_cdev_by_id finds no device (a connection from the host itself, or from a card whose cosm_device is being removed), the server continues without scif_close(newepd).',
      source: 'sources/mic-cosm-scif.txt:344-346 "if (!cdev) continue;"',
      breaks: ['accepted-endpoint-used-or-closed'],
      finding: true,
      // The teardown (and the removal's not-found accept) needs a removal.
      bounds: { remove: 1 },
    },
    {
      name: VARIANTS.exitAfterFlush,
      description:
        "As written (finding 5): cosm_driver_remove flushes scif_work (in cosm_stop) before cosm_scif_exit stops the server thread, so a server that had already found the device schedules the work after the flush: it runs after cosm_driver_remove returned, and its put_device frees the cosm_device before the work's mutex_unlock.",
      source:
        'cosm_main.c cosm_driver_remove: "cosm_stop(cdev, false); if (atomic_dec_and_test(&g_num_dev)) cosm_scif_exit();"; sources/mic-cosm-scif.txt:260-261, 314, 422-437',
      breaks: ['no-use-after-free', 'no-work-after-remove'],
      finding: true,
      // The teardown (and the removal's not-found accept) needs a removal.
      bounds: { remove: 1 },
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
      breaks: ['crash-only-when-silent', 'online-only-from-booting', 'hw-stop-once-per-boot'],
    },
    {
      name: VARIANTS.acceptAnyStatus,
      description: 'cosm_shutdown_status_int without its switch: any value is kept and acted on.',
      source: 'sources/mic-cosm-scif.txt:149-159',
      breaks: ['status-published-once-after-stop', 'invalid-status-ignored'],
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
        "The poll timeout is the card's heartbeat period (no COSM_HEARTBEAT_CHECK_DELTA_SEC): the work's scif_poll and the card's client thread both wait 30 s, so a live card's heartbeat races the timeout.",
      source:
        'sources/mic-cosm-scif.txt:128-130 COSM_HEARTBEAT_TIMEOUT_SEC = SEND_SEC + CHECK_DELTA_SEC',
      breaks: ['crash-only-when-silent', 'status-published-once-after-stop'],
    },
    {
      name: VARIANTS.watchdogNotArmed,
      description:
        'cosm_set_online does not arm the watchdog (heartbeat_watchdog_enable = sysfs_heartbeat_enable is missing): a crashed card is never declared CRASHED.',
      source: 'sources/mic-cosm-scif.txt:249',
      breaks: ['crash-published-within-timeout'],
    },
    {
      name: VARIANTS.pollWithoutTimeout,
      description:
        'The work polls without a timeout (scif_poll(..., -1), or the timeout in the wrong unit): a crashed card is never declared CRASHED.',
      source: 'sources/mic-cosm-scif.txt:290 scif_poll(&pollepd, 1, COSM_HEARTBEAT_TIMEOUT_MSEC)',
      breaks: ['crash-published-within-timeout'],
    },
    {
      name: VARIANTS.noStopWhenShuttingDown,
      description:
        'cosm_stop skips hw_ops->stop for a card that is SHUTTING_DOWN: without the SCIF remove its endpoint never hangs up.',
      source: 'sources/mic-cosm-scif.txt:98-114 "Card reset" steps 1-3',
      breaks: ['status-published-once-after-stop', 'card-can-return-to-ready'],
    },
  ],
  build(config) {
    return {
      machine: buildMachine(config),
      events: micEvents(config),
      terminal: (state) => terminal(state.context, config.bounds.boots),
      time: { tick: TICK },
      lanes: LANES,
      conformance: { enabling: CONFORMANCE_ENABLING, observe: observeMic },
    };
  },
});
