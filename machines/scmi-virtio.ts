/**
 * Arm SCMI over virtio, TX channel, with the atomic (polling) support of
 * `[PATCH v8 09/11] firmware: arm_scmi: Add atomic mode support to virtio transport`
 * (sources/scmi-virtio-atomic.txt).
 *
 * Execution contexts, one parallel region each, stepping at the grain of the locks the code
 * takes (`vioch->lock`, `msg->poll_lock`, `vioch->ready_lock`, the core's `xfer->lock`):
 * - `cpu<i>`: an SCMI core caller on CPU i running `do_xfer()` for one transfer at a time:
 *   `virtio_send_message()`, then either the polling loop around `virtio_poll_done()` or a wait
 *   on `xfer->done`, the transfer timeout, `virtio_mark_txdone()` and `xfer_put()`;
 * - `irq`: the virtqueue interrupt running `scmi_vio_complete_cb()` on one of the CPUs (that
 *   CPU's caller does not step while it runs);
 * - `worker`: `scmi_vio_deferred_tx_worker()` (an unbound kworker: any CPU);
 * - the device: takes added buffers and returns them to the used ring in any order.
 *
 * The state-changing code is in plain functions on the context below; the machine only says
 * which step each region is at and which step comes next.
 */
import { assign, emit, setup } from 'xstate';
import { defineMachine, type ModelState } from '../src/model/model.ts';

/* `msg->poll_idx`. NOT_POLLED and POLL_DONE are the patch's out-of-range markers. A real index
 * only matters through `virtqueue_poll(vq, poll_idx)`, i.e. whether it still equals the device's
 * used index, so it is kept as that one bit: IDX_CURRENT (equal) or IDX_MOVED (the device has
 * returned buffers since it was taken). 16-bit wrap-around is not modelled. */
export const NOT_POLLED = -2;
export const POLL_DONE = -1;
export const IDX_CURRENT = 0;
export const IDX_MOVED = 1;

export const ETIMEDOUT = -110;
export const EBUSY = -16;

/** `vioch->ready_lock` holder. */
export const READY_FREE = 0;
export const READY_IRQ = 1;
export const READY_WORKER = 2;

export interface Msg {
  /** The transfer whose request (and so whose reply header) is in this buffer; -1 never used. */
  token: number;
  pollIdx: number;
}

/** One CPU's `do_xfer()` locals and its `struct scmi_xfer` while the transfer is pending. */
export interface Cpu {
  /** Transfer id (= its token) while pending in the core, -1 when idle. */
  xfer: number;
  polled: boolean;
  /** `xfer->priv`: the message bound to the transfer, -1 for NULL. */
  priv: number;
  /** `xfer->done` completed and not yet consumed. */
  done: boolean;
  /** `xfer->state == SCMI_XFER_RESP_OK`: a response was already fetched. */
  respOk: boolean;
  /** Return code handed to `mark_txdone`. */
  ret: number;
  /** `virtio_poll_done()`'s `ret`, kept from the fetch step to the kick step. */
  found: boolean;
}

/** Locals of one running `scmi_vio_complete_cb()`. */
export interface CompleteCb {
  msg: number;
  cbEnabled: boolean;
}

export interface ScmiContext {
  msgs: Msg[];
  /** `vioch->free_list`, head first. A message listed twice is a corrupted list. */
  freeList: number[];
  /** `vioch->pending_cmds_list`, head first. */
  pendingList: number[];
  /** Buffers added to the virtqueue that the device has not returned yet (sorted). */
  device: number[];
  /** The used ring: returned by the device, not yet dequeued by `virtqueue_get_buf`, oldest first. */
  used: number[];
  /** Used-buffer notifications enabled (`virtqueue_enable_cb*` / `virtqueue_disable_cb`). */
  cbEnabled: boolean;
  /** An interrupt was raised and not yet taken. */
  irqPending: boolean;
  /** `deferred_tx_work` is queued (WORK_STRUCT_PENDING). */
  workQueued: boolean;
  readyLock: number;
  /** The CPU the interrupt handler runs on, -1 when it does not run. */
  irqOn: number;
  irqCb: CompleteCb;
  workCb: CompleteCb;
  cpus: Cpu[];
  /** Transfers issued so far (the next transfer's id). */
  issued: number;
}

export type ScmiEvent =
  | { type: 'send'; cpu: number; polled: boolean }
  | { type: 'step'; cpu: number }
  | { type: 'expire'; cpu: number }
  | { type: 'irq'; cpu: number }
  | { type: 'irq_step' }
  | { type: 'work_step' }
  | { type: 'device_reply'; msg: number };

export interface Delivery {
  /** The transfer whose reply is in the buffer handed over. */
  token: number;
  /** The transfer it is handed to the core as the reply of. */
  xfer: number;
  via: 'rx_callback' | 'poll_done';
}

export type ScmiOutput =
  | { type: 'returned'; token: number; msg: number }
  | { type: 'handed'; deliveries: Delivery[] }
  | { type: 'poll_done'; xfer: number }
  | { type: 'timed_out'; xfer: number }
  | { type: 'busy'; xfer: number };

export const VARIANTS = {
  asWritten: 'as-written',
  v7MissingListDel: 'v7-missing-list-del',
  noDeferredWorker: 'no-deferred-worker',
  txdoneFreesTimedOut: 'txdone-frees-timed-out',
  indexMovedMeansDone: 'index-moved-means-done',
} as const;

export interface Flags {
  /** v8 exactly as posted; otherwise the fix described in docs/scmi-virtio.md. */
  asWritten: boolean;
  v7MissingListDel: boolean;
  noDeferredWorker: boolean;
  txdoneFreesTimedOut: boolean;
  indexMovedMeansDone: boolean;
}

const IDLE_CPU: Cpu = {
  xfer: -1,
  polled: false,
  priv: -1,
  done: false,
  respOk: false,
  ret: 0,
  found: false,
};
const IDLE_CB: CompleteCb = { msg: -1, cbEnabled: true };

export function initialContext(maxMsg: number, cpus: number): ScmiContext {
  const msgs: Msg[] = [];
  let freeList: number[] = [];
  // virtio_chan_setup(): scmi_vio_feed_vq_tx() list_add()s each new message at the head.
  for (let i = 0; i < maxMsg; i++) {
    msgs.push({ token: -1, pollIdx: NOT_POLLED });
    freeList = [i, ...freeList];
  }
  return {
    msgs,
    freeList,
    pendingList: [],
    device: [],
    used: [],
    cbEnabled: true,
    irqPending: false,
    workQueued: false,
    readyLock: READY_FREE,
    irqOn: -1,
    irqCb: IDLE_CB,
    workCb: IDLE_CB,
    cpus: Array.from({ length: cpus }, () => IDLE_CPU),
    issued: 0,
  };
}

/* ---------- small pure helpers ---------- */

const setAt = <T>(list: readonly T[], index: number, value: T): T[] =>
  list.map((item, i) => (i === index ? value : item));
const withMsg = (c: ScmiContext, m: number, patch: Partial<Msg>): ScmiContext => ({
  ...c,
  msgs: setAt(c.msgs, m, { ...c.msgs[m], ...patch }),
});
const withCpu = (c: ScmiContext, i: number, patch: Partial<Cpu>): ScmiContext => ({
  ...c,
  cpus: setAt(c.cpus, i, { ...c.cpus[i], ...patch }),
});
/** `list_empty(&msg->list)`: on neither list. */
const listEmpty = (c: ScmiContext, m: number) =>
  !c.freeList.includes(m) && !c.pendingList.includes(m);
/** `virtqueue_enable_cb_prepare()`: enables callbacks, returns the driver's last used index. */
const enableCbPrepare = (c: ScmiContext): [ScmiContext, number] => [
  { ...c, cbEnabled: true },
  c.used.length > 0 ? IDX_MOVED : IDX_CURRENT,
];
/** `virtqueue_poll(vq, idx)`: has the device's used index moved away from `idx`? The two
 * markers are outside the 16-bit range, so they never equal it. */
const vqPoll = (idx: number) => idx !== IDX_CURRENT;

/** `scmi_vio_feed_vq_tx()`: reset poll_idx, `list_add()` at the free list's head. */
function feedVqTx(c: ScmiContext, m: number): ScmiContext {
  return { ...withMsg(c, m, { pollIdx: NOT_POLLED }), freeList: [m, ...c.freeList] };
}

/** The CPU running the pending transfer `token`, or -1 (not pending: the reply is discarded). */
const pendingCpu = (c: ScmiContext, token: number) =>
  token < 0 ? -1 : c.cpus.findIndex((cpu) => cpu.xfer === token);

/**
 * `scmi_rx_callback()` -> `scmi_handle_response()`: look the transfer up by the header's token;
 * if it is pending and no response was fetched yet, bind the message (`xfer->priv`), fetch and
 * complete `xfer->done`; otherwise the core logs and discards the reply.
 */
function rxCallback(c: ScmiContext, m: number): ScmiContext {
  const cpu = pendingCpu(c, c.msgs[m].token);
  if (cpu < 0 || c.cpus[cpu].respOk) return c;
  return withCpu(c, cpu, { priv: m, respOk: true, done: true });
}

/* ---------- virtio_send_message() ---------- */

export function sendMessage(c: ScmiContext, cpu: number, polled: boolean): ScmiContext {
  const xfer = c.issued;
  const base = withCpu({ ...c, issued: xfer + 1 }, cpu, { ...IDLE_CPU, xfer, polled });
  if (base.freeList.length === 0) return withCpu(base, cpu, IDLE_CPU); // -EBUSY, xfer_put()
  const m = base.freeList[0];
  let next: ScmiContext = {
    ...withMsg(base, m, { token: xfer }),
    freeList: base.freeList.slice(1), // list_del_init()
    device: [...base.device, m].sort((a, b) => a - b), // virtqueue_add_sgs() + kick
  };
  if (polled) {
    const [enabled, idx] = enableCbPrepare(next);
    next = withCpu(withMsg(enabled, m, { pollIdx: idx }), cpu, { priv: m });
  }
  return next;
}

/* ---------- virtio_poll_done() ---------- */

/** First critical section (msg->poll_lock): 'done', 'idle' (not moved) or 'moved'. */
export function pollCheck(c: ScmiContext, cpu: number, flags: Flags): 'done' | 'idle' | 'moved' {
  const idx = c.msgs[c.cpus[cpu].priv].pollIdx;
  if (idx === POLL_DONE) return 'done';
  if (!vqPoll(idx)) return 'idle';
  // Variant: trust the moved used index as "my reply is there" without dequeuing.
  return flags.indexMovedMeansDone ? 'done' : 'moved';
}

interface FetchResult {
  next: ScmiContext;
  found: boolean;
  kick: boolean;
}

/** Second critical section (vioch->lock, with nested poll_locks): drain the used ring. */
export function pollFetch(c: ScmiContext, cpu: number, flags: Flags): FetchResult {
  const own = c.cpus[cpu].priv;
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
  if (found) {
    next = { ...next, cbEnabled: true }; // virtqueue_enable_cb()
    pending = next.used.length > 0;
  } else if (!flags.asWritten && next.msgs[own].pollIdx === POLL_DONE) {
    // Fix: another context dequeued our reply between the two critical sections; refreshing
    // poll_idx would erase that mark and leave us spinning on a buffer nobody will return.
    found = true;
    next = { ...next, cbEnabled: true };
    pending = next.used.length > 0;
  } else {
    const [enabled, idx] = enableCbPrepare(next);
    next = withMsg(enabled, own, { pollIdx: idx });
    pending = vqPoll(idx);
  }
  const kick = prefetched > 0 || pending;
  // `found` is kept only across the queue_work() step that still has to return it.
  return { next: withCpu(next, cpu, { found: found && kick }), found, kick };
}

/* ---------- virtio_mark_txdone() + xfer_put() ---------- */

export function markTxdone(c: ScmiContext, cpu: number, flags: Flags): ScmiContext {
  const { priv: m, ret, polled } = c.cpus[cpu];
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
  return withCpu(next, cpu, IDLE_CPU); // priv = NULL; xfer_put() removes it from pending
}

/* ---------- scmi_vio_complete_cb(), in IRQ or worker context ---------- */

type CbKey = 'irqCb' | 'workCb';
const holder = (key: CbKey) => (key === 'irqCb' ? READY_IRQ : READY_WORKER);

/** Loop head: take ready_lock; under vioch->lock disable callbacks once and get a buffer. */
export function cbGet(
  c: ScmiContext,
  key: CbKey,
  flags: Flags,
): { next: ScmiContext; got: boolean } {
  let next: ScmiContext = { ...c, readyLock: holder(key) };
  const local = c[key];
  if (local.cbEnabled) next = { ...next, cbEnabled: false };
  if (next.used.length === 0) {
    // virtqueue_enable_cb() finds nothing pending: leave the loop, drop ready_lock.
    return {
      next: { ...next, cbEnabled: true, readyLock: READY_FREE, [key]: IDLE_CB },
      got: false,
    };
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
    };
  }
  return { next: { ...next, [key]: { msg: m, cbEnabled: false } }, got: true };
}

/** After the buffer is handed to the core: scmi_finalize_message() under vioch->lock. */
function cbFinalize(c: ScmiContext, key: CbKey): ScmiContext {
  const next = feedVqTx(c, c[key].msg);
  return { ...next, readyLock: READY_FREE, [key]: { msg: -1, cbEnabled: false } };
}

/* ---------- scmi_vio_deferred_tx_worker(): the pending_cmds_list part ---------- */

export function workerList(c: ScmiContext, flags: Flags): ScmiContext {
  let next: ScmiContext = { ...c, workCb: IDLE_CB };
  for (const m of c.pendingList) {
    next = feedVqTx(rxCallback(next, m), m);
  }
  // v6 -> v7: "fixed missing list_del on pending_cmds_list processing".
  return flags.v7MissingListDel ? next : { ...next, pendingList: [] };
}

/* ---------- the device ---------- */

export function deviceReply(c: ScmiContext, m: number): ScmiContext {
  return {
    ...c,
    device: c.device.filter((d) => d !== m),
    used: [...c.used, m],
    // Every poll index taken at the old used index now differs from it.
    msgs: c.msgs.map((msg) => (msg.pollIdx === IDX_CURRENT ? { ...msg, pollIdx: IDX_MOVED } : msg)),
    irqPending: c.irqPending || c.cbEnabled,
  };
}

/* ---------- the machine ---------- */

export function flagsOf(variants: ReadonlySet<string>): Flags {
  return {
    asWritten: variants.has(VARIANTS.asWritten),
    v7MissingListDel: variants.has(VARIANTS.v7MissingListDel),
    noDeferredWorker: variants.has(VARIANTS.noDeferredWorker),
    txdoneFreesTimedOut: variants.has(VARIANTS.txdoneFreesTimedOut),
    indexMovedMeansDone: variants.has(VARIANTS.indexMovedMeansDone),
  };
}

type Ctx = { context: ScmiContext; event: ScmiEvent };

function buildMachine(bounds: { maxMsg: number; cpus: number; transfers: number }, flags: Flags) {
  const cpuOf = (event: ScmiEvent) => ('cpu' in event ? event.cpu : -1);
  const deliver = (token: number, xfer: number, via: Delivery['via']): ScmiOutput => ({
    type: 'handed',
    deliveries: [{ token, xfer, via }],
  });

  const queueWork = (c: ScmiContext): ScmiContext =>
    flags.noDeferredWorker ? c : { ...c, workQueued: true };

  const cpuRegion = (i: number) => {
    /** queue_work(), then poll_done() returns: its `ret` is no longer needed. */
    const kicked = (c: ScmiContext) => withCpu(queueWork(c), i, { found: false });
    // This CPU's caller runs only when the interrupt handler is not running on it.
    const mine = ({ context, event }: Ctx) => cpuOf(event) === i && context.irqOn !== i;
    const cpu = (context: ScmiContext) => context.cpus[i];
    const timedOut = [
      emit(({ context }: Ctx) => ({ type: 'timed_out' as const, xfer: cpu(context).xfer })),
      assign(({ context }: Ctx) => withCpu(context, i, { ret: ETIMEDOUT })),
    ];
    const pollDoneTrue = emit(({ context }: Ctx) => ({
      type: 'poll_done' as const,
      xfer: cpu(context).xfer,
    }));
    const handOwn = emit(({ context }: Ctx) =>
      deliver(context.msgs[cpu(context).priv].token, cpu(context).xfer, 'poll_done'),
    );
    return {
      initial: 'IDLE',
      states: {
        IDLE: {
          on: {
            send: [
              {
                guard: ({ context, event }: Ctx) =>
                  mine({ context, event }) &&
                  context.issued < bounds.transfers &&
                  context.freeList.length === 0,
                actions: [
                  emit(({ context }: Ctx) => ({ type: 'busy' as const, xfer: context.issued })),
                  assign(({ context }: Ctx) => sendMessage(context, i, false)),
                ],
              },
              {
                guard: ({ context, event }: Ctx) =>
                  mine({ context, event }) &&
                  context.issued < bounds.transfers &&
                  event.type === 'send' &&
                  event.polled,
                target: 'POLL_CHECK',
                actions: assign(({ context }: Ctx) => sendMessage(context, i, true)),
              },
              {
                guard: ({ context, event }: Ctx) =>
                  mine({ context, event }) && context.issued < bounds.transfers,
                target: 'WAIT',
                actions: assign(({ context }: Ctx) => sendMessage(context, i, false)),
              },
            ],
          },
        },
        POLL_CHECK: {
          on: {
            step: [
              {
                guard: ({ context, event }: Ctx) =>
                  mine({ context, event }) && pollCheck(context, i, flags) === 'done',
                target: 'POLL_EXIT',
                actions: [pollDoneTrue, handOwn],
              },
              {
                guard: ({ context, event }: Ctx) =>
                  mine({ context, event }) && pollCheck(context, i, flags) === 'idle',
                target: 'TRY_WAIT',
              },
              { guard: mine, target: 'POLL_FETCH' },
            ],
          },
        },
        POLL_FETCH: {
          on: {
            step: [
              {
                guard: ({ context, event }: Ctx) =>
                  mine({ context, event }) && pollFetch(context, i, flags).kick,
                target: 'POLL_KICK',
                actions: [
                  emit(({ context }: Ctx) =>
                    pollFetch(context, i, flags).found
                      ? deliver(
                          context.msgs[cpu(context).priv].token,
                          cpu(context).xfer,
                          'poll_done',
                        )
                      : { type: 'handed' as const, deliveries: [] },
                  ),
                  assign(({ context }: Ctx) => pollFetch(context, i, flags).next),
                ],
              },
              {
                guard: ({ context, event }: Ctx) =>
                  mine({ context, event }) && pollFetch(context, i, flags).found,
                target: 'POLL_EXIT',
                actions: [
                  pollDoneTrue,
                  handOwn,
                  assign(({ context }: Ctx) => pollFetch(context, i, flags).next),
                ],
              },
              {
                guard: mine,
                target: 'TRY_WAIT',
                actions: assign(({ context }: Ctx) => pollFetch(context, i, flags).next),
              },
            ],
          },
        },
        POLL_KICK: {
          // queue_work() after dropping vioch->lock, then poll_done returns.
          on: {
            step: [
              {
                guard: ({ context, event }: Ctx) => mine({ context, event }) && cpu(context).found,
                target: 'POLL_EXIT',
                actions: [pollDoneTrue, assign(({ context }: Ctx) => kicked(context))],
              },
              {
                guard: mine,
                target: 'TRY_WAIT',
                actions: assign(({ context }: Ctx) => kicked(context)),
              },
            ],
          },
        },
        TRY_WAIT: {
          // ... || try_wait_for_completion(&xfer->done) || ktime_after(ktime_get(), stop)
          on: {
            step: [
              {
                guard: ({ context, event }: Ctx) => mine({ context, event }) && cpu(context).done,
                target: 'POLL_EXIT',
                actions: assign(({ context }: Ctx) => withCpu(context, i, { done: false })),
              },
              { guard: mine, target: 'POLL_CHECK' },
            ],
            expire: {
              guard: ({ context, event }: Ctx) => mine({ context, event }) && !cpu(context).done,
              target: 'MARK_TXDONE',
              actions: timedOut,
            },
          },
        },
        POLL_EXIT: {
          // After the loop: `if (ktime_after(ktime_get(), stop)) ret = -ETIMEDOUT;`, else
          // fetch_response under xfer->lock unless a response was already fetched.
          on: {
            step: {
              guard: mine,
              target: 'MARK_TXDONE',
              actions: assign(({ context }: Ctx) => withCpu(context, i, { ret: 0, respOk: true })),
            },
            expire: { guard: mine, target: 'MARK_TXDONE', actions: timedOut },
          },
        },
        WAIT: {
          // wait_for_completion_timeout(&xfer->done, ...)
          on: {
            step: {
              guard: ({ context, event }: Ctx) => mine({ context, event }) && cpu(context).done,
              target: 'MARK_TXDONE',
              actions: assign(({ context }: Ctx) => withCpu(context, i, { ret: 0, done: false })),
            },
            expire: {
              guard: ({ context, event }: Ctx) => mine({ context, event }) && !cpu(context).done,
              target: 'MARK_TXDONE',
              actions: timedOut,
            },
          },
        },
        MARK_TXDONE: {
          on: {
            step: {
              guard: mine,
              target: 'IDLE',
              actions: assign(({ context }: Ctx) => markTxdone(context, i, flags)),
            },
          },
        },
      },
    };
  };

  /** scmi_vio_complete_cb() as steps of one context (`irq` or `worker`). */
  const completeCbStates = (key: CbKey, stepEvent: 'irq_step' | 'work_step', exitTo: string) => ({
    CB_GET: {
      on: {
        [stepEvent]: [
          {
            guard: ({ context }: Ctx) =>
              context.readyLock === READY_FREE && cbGet(context, key, flags).got,
            target: 'CB_HAND',
            actions: assign(({ context }: Ctx) => cbGet(context, key, flags).next),
          },
          {
            guard: ({ context }: Ctx) =>
              context.readyLock === READY_FREE && context.used.length > 0,
            target: 'CB_GET',
            actions: assign(({ context }: Ctx) => cbGet(context, key, flags).next),
          },
          {
            guard: ({ context }: Ctx) => context.readyLock === READY_FREE,
            target: exitTo,
            actions: assign(({ context }: Ctx) => ({
              ...cbGet(context, key, flags).next,
              ...(key === 'irqCb' ? { irqOn: -1 } : {}),
            })),
          },
        ],
      },
    },
    CB_HAND: {
      // scmi_rx_callback(): outside vioch->lock, ready_lock held.
      on: {
        [stepEvent]: {
          target: 'CB_FINALIZE',
          actions: [
            emit(({ context }: Ctx) => {
              const token = context.msgs[context[key].msg].token;
              return deliver(token, token, 'rx_callback');
            }),
            assign(({ context }: Ctx) => rxCallback(context, context[key].msg)),
          ],
        },
      },
    },
    CB_FINALIZE: {
      on: {
        [stepEvent]: {
          target: 'CB_GET',
          actions: assign(({ context }: Ctx) => cbFinalize(context, key)),
        },
      },
    },
  });

  const cpuRegions = Object.fromEntries(
    Array.from({ length: bounds.cpus }, (_, i) => [`cpu${i}`, cpuRegion(i)]),
  );

  return setup({
    types: {} as { context: ScmiContext; events: ScmiEvent; emitted: ScmiOutput },
  }).createMachine({
    id: 'scmi-virtio',
    type: 'parallel',
    context: initialContext(bounds.maxMsg, bounds.cpus),
    states: {
      ...cpuRegions,
      irq: {
        initial: 'IDLE',
        states: {
          IDLE: {
            on: {
              irq: [
                {
                  // vring_interrupt(): nothing used -> IRQ_NONE, the callback does not run.
                  guard: ({ context }: Ctx) => context.irqPending && context.used.length === 0,
                  actions: assign({ irqPending: false }),
                },
                {
                  guard: ({ context }: Ctx) => context.irqPending,
                  target: 'CB_GET',
                  actions: assign(({ context, event }: Ctx) => ({
                    ...context,
                    irqPending: false,
                    irqOn: cpuOf(event),
                    irqCb: IDLE_CB,
                  })),
                },
              ],
            },
          },
          ...completeCbStates('irqCb', 'irq_step', 'IDLE'),
        },
      },
      worker: {
        initial: 'IDLE',
        states: {
          IDLE: {
            on: {
              work_step: {
                guard: ({ context }: Ctx) => context.workQueued,
                target: 'PENDING_LIST',
                actions: assign({ workQueued: false }), // the work item starts: PENDING cleared
              },
            },
          },
          PENDING_LIST: {
            // One vioch->lock section: every pre-fetched message handed to the core and freed.
            on: {
              work_step: {
                target: 'CB_GET',
                actions: [
                  emit(({ context }: Ctx) => ({
                    type: 'handed' as const,
                    deliveries: context.pendingList.map((m) => ({
                      token: context.msgs[m].token,
                      xfer: context.msgs[m].token,
                      via: 'rx_callback' as const,
                    })),
                  })),
                  assign(({ context }: Ctx) => workerList(context, flags)),
                ],
              },
            },
          },
          ...completeCbStates('workCb', 'work_step', 'IDLE'),
        },
      },
      device: {
        on: {
          device_reply: {
            guard: ({ context, event }: Ctx) =>
              event.type === 'device_reply' && context.device.includes(event.msg),
            actions: [
              emit(({ context, event }: Ctx) => {
                const m = event.type === 'device_reply' ? event.msg : -1;
                return { type: 'returned' as const, token: context.msgs[m].token, msg: m };
              }),
              assign(({ context, event }: Ctx) =>
                deviceReply(context, event.type === 'device_reply' ? event.msg : -1),
              ),
            ],
          },
        },
      },
    },
  });
}

function events(cpus: number) {
  return (state: ModelState<ScmiContext>): ScmiEvent[] => {
    const list: ScmiEvent[] = [];
    for (let cpu = 0; cpu < cpus; cpu++) {
      list.push({ type: 'send', cpu, polled: true }, { type: 'send', cpu, polled: false });
      list.push({ type: 'step', cpu }, { type: 'expire', cpu }, { type: 'irq', cpu });
    }
    list.push({ type: 'irq_step' }, { type: 'work_step' });
    for (const msg of state.context.device) list.push({ type: 'device_reply', msg });
    return list;
  };
}

export const scmiVirtioMachine = defineMachine<ScmiContext, ScmiEvent>({
  name: 'scmi-virtio',
  title: 'Arm SCMI virtio transport: polling and IRQ paths on several CPUs',
  seed: 'sources/scmi-virtio-atomic.txt',
  bounds: [
    {
      name: 'maxMsg',
      default: 2,
      min: 1,
      max: 4,
      description: 'TX messages in the pool (max_msg)',
    },
    { name: 'cpus', default: 2, min: 1, max: 3, description: 'CPUs issuing transfers' },
    { name: 'transfers', default: 2, min: 0, max: 6, description: 'transfers issued in total' },
  ],
  variants: [
    {
      name: VARIANTS.asWritten,
      description:
        'v8 exactly as posted: the IRQ path frees polled messages, mark_txdone frees on list_empty() and ret == 0 only, poll_done refreshes poll_idx over a POLL_DONE mark.',
      source: 'sources/scmi-virtio-atomic.txt (the whole patch)',
      breaks: [
        'free-only-when-returned',
        'one-list-at-a-time',
        'reply-handed-once',
        'no-buffer-leak',
        'all-free-reachable',
      ],
      finding: true,
    },
    {
      name: VARIANTS.v7MissingListDel,
      description:
        'The deferred worker processes pending_cmds_list without list_del(): each message stays on it while being added to free_list.',
      source:
        'sources/scmi-virtio-atomic.txt:27 (V6 --> V7 "fixed missing list_del on pending_cmds_list processing"); the list_del() at :211',
      breaks: ['one-list-at-a-time'],
    },
    {
      name: VARIANTS.noDeferredWorker,
      description:
        'The v8 design without the deferred worker: poll_done still prefetches onto pending_cmds_list, but nothing ever processes it.',
      source:
        'sources/scmi-virtio-atomic.txt:24 (v7 --> v8 "added deferred worker for TX replies to aid while polling mode is active"), :492',
      breaks: ['no-buffer-leak', 'all-free-reachable'],
    },
    {
      name: VARIANTS.txdoneFreesTimedOut,
      description:
        'virtio_mark_txdone() also frees polled messages whose transfer timed out, while the device may still own them.',
      source:
        'sources/scmi-virtio-atomic.txt:350-360 (the comment explaining why it must not), :381',
      breaks: [
        'free-only-when-returned',
        'one-list-at-a-time',
        'reply-handed-once',
        'poll-done-after-reply',
        'all-free-reachable',
      ],
    },
    {
      name: VARIANTS.indexMovedMeansDone,
      description:
        'virtio_poll_done() reports done as soon as the used index moved, without dequeuing to check whose reply arrived.',
      source:
        'sources/scmi-virtio-atomic.txt:393-396 ("the only way to check if the freshly arrived buffer was what we were waiting for")',
      breaks: ['reply-handed-once', 'poll-done-after-reply'],
    },
  ],
  build({ bounds, variants }) {
    const flags = flagsOf(variants);
    const b = { maxMsg: bounds.maxMsg, cpus: bounds.cpus, transfers: bounds.transfers };
    return {
      machine: buildMachine(b, flags),
      events: events(b.cpus),
      terminal: (state) => {
        const c = state.context;
        return (
          c.issued === b.transfers &&
          c.cpus.every((cpu) => cpu.xfer < 0) &&
          c.device.length === 0 &&
          c.used.length === 0 &&
          !c.irqPending &&
          !c.workQueued &&
          state.matches('irq.IDLE') &&
          state.matches('worker.IDLE')
        );
      },
    };
  },
});
