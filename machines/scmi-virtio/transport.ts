/**
 * The virtio transport of sources/scmi-virtio-atomic.txt (virtio.c with the patch), one plain
 * function per critical section, on the model's context. `flags.asWritten` selects v8 exactly
 * as posted; without it each function carries its part of the fix (docs/scmi-virtio.md, "The
 * fix"), marked "Fix" where it differs.
 */
import { arm, due } from '../../src/model/time.ts';
import type { ScmiOutput } from './alphabet.ts';
import { allocToken, pendingTransfers, rxCallback } from './core.ts';
import {
  EBUSY,
  IDLE_CB,
  IDLE_CPU,
  IDX_CURRENT,
  IDX_MOVED,
  NOT_POLLED,
  POLL_DONE,
  READY_FREE,
  READY_IRQ,
  READY_WORKER,
  SCMI_SUCCESS,
  WQ_ALIVE,
  WQ_DRAINING,
  withCpu,
  withMsg,
  type CompleteCb,
  type ScmiContext,
} from './context.ts';
import type { Flags } from './variants.ts';

const ENOMEM = -12;

/** The bounds the transport's functions need. */
export interface TransportBounds {
  tokens: number;
  timeout: number;
  /** Ticks the device may take to return a buffer (the timeout, or more with the late fault). */
  deviceLatency: number;
}

/** `list_empty(&msg->list)`: on neither list. */
export const listEmpty = (c: ScmiContext, m: number) =>
  !c.freeList.includes(m) && !c.pendingList.includes(m);

/** `virtqueue_enable_cb_prepare()`: enables callbacks, returns the driver's last used index. */
const enableCbPrepare = (c: ScmiContext): [ScmiContext, number] => [
  { ...c, cbEnabled: true },
  c.used.length > 0 ? IDX_MOVED : IDX_CURRENT,
];

/** `virtqueue_poll(vq, idx)`: has the device's used index moved away from `idx`? The two
 * markers are outside the 16-bit range, so they never equal it. */
const vqPoll = (idx: number) => idx !== IDX_CURRENT;

/**
 * `scmi_vio_feed_vq_tx()` (:149-157): reset poll_idx, `list_add()` at the free list's head.
 * What the buffer still holds is forgotten when nothing can read it any more (no polled transfer
 * is bound to it, the device does not hold it): states that differ only there are one state.
 */
export function feedVqTx(c: ScmiContext, m: number): ScmiContext {
  const readable =
    c.device.includes(m) ||
    c.used.includes(m) ||
    c.cpus.some((cpu) => cpu.xfer >= 0 && cpu.polled && cpu.priv === m);
  const forgotten = readable ? {} : { gid: -1, token: -1, fresh: false, status: SCMI_SUCCESS };
  return {
    ...withMsg(c, m, { pollIdx: NOT_POLLED, ...forgotten }),
    freeList: [m, ...c.freeList],
  };
}

/* ---------- xfer_get() + virtio_send_message() (:288-316) ---------- */

/**
 * One step: the core's xfer_get() (a free xfer and a token, else -ENOMEM), `xfer->state =
 * SENT_OK`, then send_message's vioch->lock section: -EBUSY on an empty free list, else
 * `list_del_init()` of its head, `virtqueue_add_sgs()` + kick, and for a polled transfer
 * `poll_idx = virtqueue_enable_cb_prepare()` and `xfer->priv = msg`. The transfer's timeout
 * starts here. `ret` is 0 or the error do_xfer() returns at once.
 */
export function sendMessage(
  c: ScmiContext,
  i: number,
  polled: boolean,
  bounds: TransportBounds & { maxMsg: number },
): { next: ScmiContext; ret: number } {
  const xfer = c.issued;
  const token = pendingTransfers(c) < bounds.maxMsg ? allocToken(c, bounds.tokens) : null;
  if (token === null) return { next: { ...c, issued: xfer + 1 }, ret: ENOMEM };
  const base: ScmiContext = { ...c, issued: xfer + 1, lastToken: token };
  if (base.freeList.length === 0) return { next: base, ret: EBUSY }; // do_xfer(), xfer_put()
  const m = base.freeList[0];
  let next: ScmiContext = {
    ...withMsg(base, m, {
      gid: xfer,
      token,
      fresh: false,
      status: SCMI_SUCCESS,
      due: due(bounds.deviceLatency),
    }),
    freeList: base.freeList.slice(1), // list_del_init()
    device: [...base.device, m].sort((a, b) => a - b),
  };
  next = withCpu(next, i, {
    ...IDLE_CPU,
    xfer,
    token,
    polled,
    deadline: arm(bounds.timeout),
    spinning: true,
  });
  if (polled) {
    const [enabled, idx] = enableCbPrepare(next);
    next = withCpu(withMsg(enabled, m, { pollIdx: idx }), i, { priv: m });
  }
  return { next, ret: 0 };
}

/**
 * do_xfer_with_response(): `xfer->async_done = &async_response`, then the same send (never
 * polled: the core WARNs on a polled async command, see docs/scmi-virtio.md); the device now
 * owes a delayed response as well, within `drespLatency` ticks.
 */
export function sendAsync(
  c: ScmiContext,
  i: number,
  bounds: TransportBounds & { maxMsg: number; drespLatency: number },
): { next: ScmiContext; ret: number } {
  const sent = sendMessage({ ...c, asyncLeft: c.asyncLeft - 1 }, i, false, bounds);
  if (sent.ret !== 0) return sent;
  const { xfer, token } = sent.next.cpus[i];
  return {
    next: {
      ...withCpu(sent.next, i, { async: true, asyncLive: true }),
      dresps: [...sent.next.dresps, { gid: xfer, token, due: due(bounds.drespLatency) }],
    },
    ret: 0,
  };
}

/* ---------- virtio_poll_done() (:420-495) ---------- */

/** First critical section (msg->poll_lock, :432-443): 'done', 'idle' (not moved) or 'moved'. */
export function pollCheck(c: ScmiContext, i: number, flags: Flags): 'done' | 'idle' | 'moved' {
  const idx = c.msgs[c.cpus[i].priv].pollIdx;
  if (idx === POLL_DONE) return 'done';
  if (!vqPoll(idx)) return 'idle';
  // Variant: trust the moved used index as "my reply is there" without dequeuing.
  return flags.indexMovedMeansDone ? 'done' : 'moved';
}

/**
 * poll_done() goes on to its second critical section: its local `msg`, read from `xfer->priv`
 * at entry (:426), is what that section compares and updates, even if the core rebinds
 * `xfer->priv` before it runs.
 */
export const pollBegin = (c: ScmiContext, i: number): ScmiContext =>
  withCpu(c, i, { pollMsg: c.cpus[i].priv });

export interface FetchResult {
  next: ScmiContext;
  found: boolean;
  /** `any_prefetched || pending`: the deferred worker is to be kicked. */
  kick: boolean;
}

/**
 * Second critical section (vioch->lock, :445-489, with nested poll_locks): drain the used ring
 * looking for poll_done()'s local `msg` (pollBegin); poll_done returns after it (the as-written
 * queue_work() after the unlock does not use `msg`), so the local is gone.
 */
export function pollFetch(c: ScmiContext, i: number, flags: Flags): FetchResult {
  const own = c.cpus[i].pollMsg;
  let next: ScmiContext = { ...c, cbEnabled: false }; // virtqueue_disable_cb()
  let found = false;
  let prefetched = 0;
  while (next.used.length > 0) {
    const m = next.used[0];
    next = { ...next, used: next.used.slice(1) }; // virtqueue_get_buf()
    if (m === own) {
      found = true;
      // Fix: remember that the device has returned it, for mark_txdone().
      if (!flags.asWritten) next = withMsg(next, m, { pollIdx: POLL_DONE });
      break;
    }
    if (next.msgs[m].pollIdx === NOT_POLLED) {
      prefetched++;
      next = { ...next, pendingList: [...next.pendingList, m] }; // list_add_tail()
    } else {
      next = withMsg(next, m, { pollIdx: POLL_DONE });
    }
  }
  let pending: boolean;
  if (!found && !flags.asWritten && next.msgs[own].pollIdx === POLL_DONE) {
    // Fix: another context dequeued our reply between the two critical sections; refreshing
    // poll_idx would erase that mark and leave us spinning on a buffer nobody will return.
    found = true;
  }
  if (found) {
    // virtqueue_enable_cb(); the variant forgets it and leaves callbacks disabled.
    if (!flags.pollDoneNoEnableCb) next = { ...next, cbEnabled: true };
    pending = next.used.length > 0;
  } else {
    const [enabled, idx] = enableCbPrepare(next);
    next = withMsg(enabled, own, { pollIdx: idx });
    pending = vqPoll(idx);
  }
  const kick = prefetched > 0 || pending;
  // As written, `found` is kept across the queue_work() step that still has to return it.
  const kickAfterUnlock = flags.teardownAsWritten && !flags.noDeferredWorker && kick;
  return {
    next: withCpu(next, i, { found: found && kickAfterUnlock, pollMsg: -1 }),
    found,
    kick,
  };
}

/** The workqueue `queue_work(vioch->deferred_tx_wq, ...)` reaches, as the output names it. */
export function wqSeen(c: ScmiContext): 'alive' | 'draining' | 'freed' | 'null' {
  if (!c.wqPointer) return 'null';
  return c.wq === WQ_ALIVE ? 'alive' : c.wq === WQ_DRAINING ? 'draining' : 'freed';
}

/**
 * `queue_work(vioch->deferred_tx_wq, &vioch->deferred_tx_work)`: queues the work on a live
 * workqueue (nothing changes when it is already queued); a draining one refuses it with a
 * WARN (__queue_work); a freed or NULL one is a use after free or an oops, after which nothing
 * is queued either. The output says which happened.
 */
export function queueWork(c: ScmiContext): { next: ScmiContext; output: ScmiOutput } {
  const wq = wqSeen(c);
  return {
    next: wq === 'alive' ? { ...c, workQueued: true } : c,
    output: { type: 'queue_work', wq },
  };
}

/* ---------- virtio_mark_txdone() (:366-384) + xfer_put() ---------- */

export function markTxdone(c: ScmiContext, i: number, flags: Flags): ScmiContext {
  const { priv: m, ret, polled } = c.cpus[i];
  let next = c;
  if (m >= 0 && polled) {
    if (flags.asWritten) {
      if ((ret === 0 || flags.txdoneFreesTimedOut) && listEmpty(c, m)) next = feedVqTx(c, m);
    } else if (c.msgs[m].pollIdx === POLL_DONE || flags.txdoneFreesTimedOut) {
      // Fix: the device has returned it and it was dequeued for us: free it, whatever ret.
      next = feedVqTx(c, m);
    } else {
      // Fix: still owned by the device: hand it over to the late-reply paths.
      next = withMsg(c, m, { pollIdx: NOT_POLLED });
    }
  }
  return withCpu(next, i, { priv: -1 }); // smp_store_mb(xfer->priv, NULL)
}

/* ---------- scmi_vio_complete_cb() (:175-196), in IRQ or worker context ---------- */

export type CbKey = 'irqCb' | 'workCb';
const holder = (key: CbKey) => (key === 'irqCb' ? READY_IRQ : READY_WORKER);

/**
 * Loop head: take ready_lock; if the channel is not ready any more, re-enable callbacks if
 * this loop disabled them and leave; otherwise, under vioch->lock, disable callbacks once and
 * get a buffer, or re-enable them and leave when there is none. `got`: a buffer to hand over;
 * `left`: the loop is over (ready_lock dropped).
 */
export function cbGet(
  c: ScmiContext,
  key: CbKey,
  flags: Flags,
): { next: ScmiContext; got: boolean; left: boolean } {
  const local: CompleteCb = c[key];
  const leave = (next: ScmiContext) => ({
    next: { ...next, readyLock: READY_FREE, [key]: IDLE_CB },
    got: false,
    left: true,
  });
  if (!c.ready) return leave(local.cbEnabled ? c : { ...c, cbEnabled: true });
  let next: ScmiContext = { ...c, readyLock: holder(key) };
  if (local.cbEnabled) next = { ...next, cbEnabled: false };
  if (next.used.length === 0) {
    // virtqueue_enable_cb() finds nothing pending: leave the loop, drop ready_lock.
    return leave({ ...next, cbEnabled: true });
  }
  const m = next.used[0];
  next = { ...next, used: next.used.slice(1) };
  if (!flags.asWritten && next.msgs[m].pollIdx !== NOT_POLLED) {
    // Fix: a polled message belongs to its poller until mark_txdone(); mark it as dequeued
    // exactly as another CPU's poll loop would, so that the poller reports it and frees it.
    next = withMsg(next, m, { pollIdx: POLL_DONE });
    return {
      next: { ...next, readyLock: READY_FREE, [key]: { msg: -1, cbEnabled: false } },
      got: false,
      left: false,
    };
  }
  return { next: { ...next, [key]: { msg: m, cbEnabled: false } }, got: true, left: false };
}

/** scmi_rx_callback() for the buffer this loop got (:185-186), outside vioch->lock. */
export function cbHand(
  c: ScmiContext,
  key: CbKey,
  flags: Flags,
): { next: ScmiContext; output: ScmiOutput } {
  return rxCallback(c, c[key].msg, flags);
}

/** After the buffer is handed to the core: scmi_finalize_message() under vioch->lock (:188-190). */
export function cbFinalize(c: ScmiContext, key: CbKey): ScmiContext {
  const next = feedVqTx(c, c[key].msg);
  return { ...next, readyLock: READY_FREE, [key]: { msg: -1, cbEnabled: false } };
}

/* ---------- scmi_vio_deferred_tx_worker(): the pending_cmds_list part (:207-220) ---------- */

export function workerList(
  c: ScmiContext,
  flags: Flags,
): { next: ScmiContext; outputs: ScmiOutput[] } {
  let next: ScmiContext = { ...c, workCb: IDLE_CB };
  const outputs: ScmiOutput[] = [];
  for (const m of c.pendingList) {
    const handed = rxCallback(next, m, flags);
    outputs.push(handed.output);
    next = feedVqTx(handed.next, m);
  }
  // v6 -> v7: "fixed missing list_del on pending_cmds_list processing".
  return { next: flags.v7MissingListDel ? next : { ...next, pendingList: [] }, outputs };
}

/* ---------- the RX channel's scmi_vio_complete_cb() (:175-196 on the RX vioch) ---------- */

/**
 * Loop head on the RX virtqueue: disable callbacks once and get a buffer, or re-enable them and
 * leave. The RX channel is never freed in the model, so its ready check always passes; its
 * ready_lock has no other taker. With the variant the buffer goes back to the device at once,
 * before the core has read it.
 */
export function rxGet(c: ScmiContext, flags: Flags): { next: ScmiContext; got: boolean } {
  let next: ScmiContext = c.rxCb.cbEnabled ? { ...c, rxCbEnabled: false } : c;
  if (next.rxUsed.length === 0) {
    return { next: { ...next, rxCbEnabled: true, rxCb: IDLE_CB, rxRunning: false }, got: false };
  }
  const r = next.rxUsed[0];
  next = { ...next, rxUsed: next.rxUsed.slice(1), rxCb: { msg: r, cbEnabled: false } };
  if (flags.rxFeedBeforeCallback) next = feedVqRx(next, r);
  return { next, got: true };
}

/** `scmi_vio_feed_vq_rx()` (:125-146): the buffer back to the device (virtqueue_add_inbuf). */
function feedVqRx(c: ScmiContext, r: number): ScmiContext {
  return { ...c, rxDevice: [...c.rxDevice, r].sort((a, b) => a - b) };
}

/** scmi_finalize_message() on the RX channel, under vioch->lock (:163-164, :188-190). */
export function rxFinalize(c: ScmiContext, flags: Flags): ScmiContext {
  const r = c.rxCb.msg;
  const next = flags.rxFeedBeforeCallback ? c : feedVqRx(c, r);
  return { ...next, rxCb: { msg: -1, cbEnabled: false } };
}
