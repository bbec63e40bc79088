/**
 * Intel idpf virtchnl transaction manager (drivers/net/ethernet/intel/idpf/idpf_virtchnl.c,
 * Linux 6.9: idpf_vc_xn_pop_free, idpf_vc_xn_exec, idpf_vc_xn_forward_reply,
 * idpf_vc_xn_forward_async, idpf_vc_xn_shutdown, idpf_vc_xn_init) with the mailbox task and the
 * reset path around it (idpf_lib.c: idpf_service_task, idpf_vc_event_task, idpf_init_hard_reset,
 * idpf_vc_core_init's error path).
 *
 * Regions: one per concurrent caller of idpf_vc_xn_exec (caller 0..ctrlCallers-1 hold
 * vport_ctrl_lock around their exec, as the netdev and ethtool ops do), `rx` (the mailbox task:
 * the control plane's answer and idpf_recv_mb_msg -> idpf_vc_xn_forward_reply), `reset` (the
 * service task, the reset worker, the mailbox's lifecycle) and `clock`. The control plane is the
 * environment: it answers within `latency` ticks in any order, with success, an error or a wrong
 * opcode, a reply of any length the `lengths` bound allows; it may lose a request, answer one
 * late or twice, or reset. Each step is one critical section of the code; docs/idpf-xn.md maps
 * the code onto the steps and says what each merge hides.
 *
 * Salts are kept relative to vcxn_mngr->salt (a pop hands out 0 and ages every other salt by
 * one), and the salt of a free slot that no message names is forgotten (0): the code compares
 * salts only for equality and overwrites a free slot's salt before reading it, so both keep the
 * behaviour and shrink the state space by about 2^saltBits.
 */
import { assign, emit, setup, type AnyStateMachine } from 'xstate';
import { faultBounds, replyLengths, type ReplyLength } from '../src/model/device.ts';
import {
  answer,
  complete,
  deliver,
  duplicate,
  EMPTY_LEDGER,
  find,
  issue,
  lose,
  type Ledger,
} from '../src/model/ghosts.ts';
import { defineMachine, type Bounds, type ModelState } from '../src/model/model.ts';
import {
  arm,
  canTick,
  due,
  elapse,
  elapseDue,
  TICK,
  timeAfter,
  timerDue,
  type Deadline,
  type Due,
} from '../src/model/time.ts';

export type XnState =
  'IDLE' | 'WAITING' | 'ASYNC' | 'COMPLETED_SUCCESS' | 'COMPLETED_FAILED' | 'SHUTDOWN';

/** A reply's length against what its reader expects (src/model/device.ts). */
export type Len = ReplyLength;

/** One struct idpf_vc_xn, its bit in free_xn_bm, its completion, and ghost bookkeeping. */
export interface Xn {
  state: XnState;
  /** xn->salt, relative to vcxn_mngr->salt (see the file comment). */
  salt: number;
  /** This transaction's bit in vcxn_mngr->free_xn_bm. */
  free: boolean;
  /**
   * xn->completed.done: how many complete()s no wait has consumed yet (a reply and its
   * duplicate give two), or 'all' after complete_all (never consumed).
   */
  done: number | 'all';
  /** xn->reply_sz: what exec returns for COMPLETED_SUCCESS and what the async handler checks. */
  replySz: Len;
  /** The default's async deadline (the mbx task reclaims an ASYNC slot after it), or null. */
  asyncDue: Deadline;
  /** Ghost: the request that popped this transaction and has not freed it, or -1. */
  holder: number;
  /** Ghost: the request whose reply set COMPLETED_SUCCESS/FAILED here, or -1. */
  answer: number;
  /** Ghost: the data_len of that reply (what reply_sz should say). */
  answerLen: Len;
}

/** The reply kinds the control plane can send for a cookie. */
export type ReplyKind = 'ok' | 'error' | 'wrongop';

/**
 * A request on the mailbox: the cookie it carries and, as ghost fields, who sent it. `kind`
 * null: the control plane holds the request; set: a copy of a reply it already sent (a
 * duplicate), still on its way.
 */
export interface Message {
  idx: number;
  salt: number;
  /** Ghost: the request id. */
  req: number;
  /** Ghost: whether it was sent by an async exec. */
  async: boolean;
  /** Allocations (pops) since its request popped its transaction; see the replyDelay bound. */
  age: number;
  kind: ReplyKind | null;
  /** The data_len of the copy (null while the control plane holds the request). */
  len: Len | null;
  /** Ticks left for the control plane to answer (null: no obligation: late or unbounded). */
  due: Due;
}

/** A reply the receive task is working on. */
export interface InHand extends Message {
  kind: ReplyKind;
  len: Len;
  /** The transaction it was routed to (the cookie's index, or by opcode in that variant). */
  target: number;
}

/** The locals of one idpf_vc_xn_exec call. */
export interface Caller {
  /** Ghost: the id of the request this call is making, or -1 when not in exec. */
  req: number;
  /** The popped transaction's index, or -1. */
  idx: number;
  async: boolean;
  /** wait_for_completion_timeout's timeout (expires - jiffies), armed after the send. */
  deadline: Deadline;
  /** Allocations since this call popped, until it sends; -1 once sent or when idle. */
  age: number;
  /** pop-free-unlocked variant: the index find_first_bit returned, not yet claimed. */
  found: number;
}

export interface IdpfXnContext {
  xn: Xn[];
  callers: Caller[];
  /** Requests the control plane holds and reply copies on their way (a multiset, sorted). */
  mailbox: Message[];
  /** The reply idpf_recv_mb_msg is processing, or null. */
  rx: InHand | null;
  /** Fault budgets left (the bounds of the same names). */
  faults: { lost: number; duplicate: number; late: number; reset: number; initFailures: number };
  /** The default mailbox (adapter->hw.arq/asq) is initialised. */
  mbx: boolean;
  /** adapter->mbx_task is pending (queued, or re-queueing itself every poll). */
  mbxTask: boolean;
  /** vport_ctrl_lock: the caller that holds it, RESET_WORKER, or -1. */
  ctrl: number;
  /** The device is in reset: it answers nothing and idpf_is_reset_detected() is true. */
  deviceReset: boolean;
  /** IDPF_HR_FUNC_RESET / DRV_LOAD set: the reset worker owns the manager. */
  resetting: boolean;
  /**
   * idpf_deinit_task has run: the stats task is cancelled and the vports are stopped (no MAC
   * filter sync is sent while a vport is not UP), until idpf_init_task brings them back.
   */
  vportsDown: boolean;
  /** The device comes out of reset no sooner than this (an FLR or reboot takes time). */
  deviceBack: Deadline;
  /** The service task must see the device reset within this many ticks. */
  detectDue: Due;
  /** vc_event_task (queued +10 ms, +30 ms on a retry) must run within this many ticks. */
  eventDue: Due;
  /** Next ring index idpf_vc_xn_shutdown's loop marks SHUTDOWN, or null outside the loop. */
  shutdownNext: number | null;
  ghosts: Ledger;
}

/** `ctrl` when the reset worker (idpf_init_hard_reset) holds vport_ctrl_lock. */
export const RESET_WORKER = -2;

export type IdpfXnEvent =
  | { type: 'EXEC'; caller: number; async: boolean }
  | { type: 'CLAIM'; caller: number }
  | { type: 'ARM'; caller: number }
  | { type: 'SEND'; caller: number }
  | { type: 'WAKE'; caller: number }
  | { type: 'TIMEOUT'; caller: number }
  | { type: 'CHECK'; caller: number }
  /**
   * The control plane answers request `req` (or, `copy`, delivers the duplicate it left), with
   * `kind` and `len`; `duplicate` leaves a copy of this reply to come again.
   */
  | { type: 'REPLY'; req: number; copy: boolean; kind: ReplyKind; len: Len; duplicate: boolean }
  | { type: 'LOSE'; req: number }
  | { type: 'LATE'; req: number }
  | { type: 'FORWARD' }
  | { type: 'COMPLETE' }
  | { type: 'RECLAIM'; idx: number }
  | { type: 'DEVICE_RESET' }
  | { type: 'RESET_REQUEST' }
  | { type: 'DETECT' }
  | { type: 'EVENT' }
  | { type: 'CTRL_LOCK' }
  | { type: 'SHUTDOWN_XN' }
  | { type: 'CANCEL_MBX' }
  | { type: 'DEINIT_MBX' }
  | { type: 'DEVICE_READY' }
  | { type: 'REINIT' }
  | { type: 'CORE_INIT_OK' }
  | { type: 'CORE_INIT_FAIL' }
  | { type: 'CTRL_UNLOCK' }
  | { type: 'RETRY' }
  | { type: typeof TICK };

/** Return codes of idpf_vc_xn_exec, by name; SIZE is the reply size (>= 0). */
export type ExecRc = 'OK' | 'SIZE' | 'ETIME' | 'EIO' | 'ENXIO' | 'ENOSPC' | 'ESEND';

/** What idpf_mac_filter_async_handler did with a reply. */
export type HandlerResult = 'none' | 'ok' | 'reconciled' | 'invalid_payload';

export type IdpfXnOutput =
  | {
      type: 'exec_return';
      caller: number;
      req: number;
      async: boolean;
      rc: ExecRc;
      /** time_after(jiffies, deadline) when exec read the state: the wait had timed out. */
      expired: boolean;
      /** Ghost: the request whose reply completed the transaction (-1: none). */
      answer: number;
      xnState: XnState;
      /** The reply size exec returned (rc SIZE), or null. */
      size: Len | null;
      /** Ghost: the data_len of the reply behind it, or null. */
      sent: Len | null;
    }
  | {
      /** One reply processed by idpf_vc_xn_forward_reply, and what it did. */
      type: 'reply';
      idx: number;
      /** Ghost: the request the reply answers. */
      answers: number;
      /** Ghost: the request holding the transaction it was routed to (-1: none). */
      holder: number;
      async: boolean;
      kind: ReplyKind;
      /** The reply's data_len. */
      len: Len;
      /** What the reply path saw: a drop reason or the transaction's state under the lock. */
      verdict: 'salt_mismatch' | 'no_waiter' | XnState;
      /** What it changed: a completion, the async handler (and free), a free without handler. */
      effect: 'COMPLETED_SUCCESS' | 'COMPLETED_FAILED' | 'CALLBACK' | 'FREED' | 'NONE';
      /** CALLBACK only: what the MAC filter handler did, and the transaction lock it ran under. */
      handler: HandlerResult;
      lock: 'raw' | 'spin' | null;
    }
  | { type: 'wake'; caller: number; req: number; idx: number }
  | { type: 'reclaim'; idx: number; holder: number }
  | { type: 'mbx_deinit'; taskPending: boolean };

export const VARIANTS = {
  saltCheckUnlocked: 'salt-check-unlocked',
  completeAfterUnlock: 'complete-after-unlock',
  reinitAfterUnlock: 'reinit-after-unlock',
  replySizeFromBuffer: 'reply-size-from-buffer',
  asyncReplySizeUnset: 'async-reply-size-unset',
  handlerUnderRawLock: 'handler-under-raw-lock',
  resetAfterVportLock: 'reset-after-vport-lock',
  initErrorDeinitBeforeCancel: 'init-error-deinit-before-cancel',
  asyncNeverReclaimed: 'async-never-reclaimed',
  cookieIndexOnly: 'cookie-index-only',
  opcodeOnlyMatching: 'opcode-only-matching',
  asyncNotFreed: 'async-not-freed',
  popFreeUnlocked: 'pop-free-unlocked',
} as const;

/* ---------- pure helpers on the context (the code's operations) ---------- */

/**
 * One-entry memo on the identity of both arguments: a transition's guard, emit and assign
 * each ask for the same (context, event) result, and contexts are immutable.
 */
function memo2<A extends object, B extends object, R>(fn: (a: A, b: B) => R): (a: A, b: B) => R {
  let lastA: A | undefined;
  let lastB: B | undefined;
  let last: R;
  return (a, b) => {
    if (a !== lastA || b !== lastB) {
      last = fn(a, b);
      lastA = a;
      lastB = b;
    }
    return last;
  };
}

/**
 * Lint suppressions (docs/writing-models.md): what the default bounds cannot show, and where
 * it shows. Each is checked by the lint to suppress something at the default bounds.
 */
const ONLY = {
  /** A caller's own-event guard is false only for another caller's event at the same step. */
  otherCaller:
    "false only for another caller's event at the same step: two callers past the pop at once need --bound ringSize=2",
  /** Guards the alphabet already satisfies: kept so that the machine refuses the event otherwise. */
  offered: (what: string) =>
    `the alphabet offers this event only when ${what}; the guard makes the machine refuse it otherwise (two-way conformance offers refusals)`,
  variant: (name: string) => `entered only with the ${name} variant`,
  initFailure: 'reached only with --bound initFailures=1 (deep): a failed idpf_vc_core_init',
} as const;

/**
 * Where each transition comes from (`meta.source`, shown by the inspector). The seed is the
 * series' cover letter: it describes the manager, the cookie, the completion, the salt and the
 * async callback, and names the receive loop's -ENXIO; every other step rests on the upstream
 * code it describes, named here by function and marked "not in the seed" (docs/idpf-xn.md,
 * "Abstraction table", lists the same).
 */
const SEED = 'sources/idpf-virtchnl-xn.txt';
const UPSTREAM = '(upstream code, not in the seed)';
const SRC = {
  pop: `${SEED}:18-22 (a ring of transactions, popped from a bitmap of free ones); idpf_vc_xn_pop_free: xn_bm_lock, find_first_bit, clear_bit, salt++ ${UPSTREAM}`,
  noSpace: `${SEED}:20-22 (the free bitmap); idpf_vc_xn_exec: "if (!xn) return -ENOSPC" ${UPSTREAM}`,
  claim: `${SEED}:20-22; the second half of idpf_vc_xn_pop_free (clear_bit, salt++), here without xn_bm_lock ${UPSTREAM}`,
  armShutdown: `${SEED}:22-25 (idpf_vc_xn_exec "will take care of all the messy bits"); idpf_vc_xn_exec: lock, SHUTDOWN -> -ENXIO, only_unlock ${UPSTREAM}`,
  arm: `${SEED}:22-25 (idpf_vc_xn_exec); idpf_vc_xn_exec: lock, state WAITING or ASYNC, reply_sz = 0, unlock ${UPSTREAM}`,
  sendFails: `${SEED}:22-25 (idpf_vc_xn_exec); idpf_vc_xn_exec: idpf_send_mb_msg fails -> lock, push_free, unlock, its error ${UPSTREAM}`,
  asyncSent: `${SEED}:47-49 (asynchronously sent messages, a callback); idpf_vc_xn_exec: "if (params->async) return 0" after the send ${UPSTREAM}`,
  send: `${SEED}:29-34 (the cookie: 8 bits of index, 8 of salt, echoed by the reply); idpf_vc_xn_exec: reinit_completion, idpf_send_mb_msg ${UPSTREAM}`,
  wake: `${SEED}:25-27 (the completion API signals the reply: success or an error code); wait_for_completion_timeout returns > 0`,
  timeout: `${SEED}:37-40 ("The message times out without receiving a reply"); wait_for_completion_timeout returns 0 ${UPSTREAM}`,
  check: `${SEED}:25-27,38-40 (success or an error code; "index 1 is renewed ... we report the timeout"); idpf_vc_xn_exec after the wait: lock, switch on the state, push_free or only_unlock ${UPSTREAM}`,
  noWaiter: `${SEED}:12-16 (before the series, one message at a time); idpf_recv_mb_msg before the series matches replies by opcode (not in the seed)`,
  saltMismatch: `${SEED}:34-45 (the salt tells a stale reply from the current one); idpf_vc_xn_forward_reply: "if (xn->salt != salt)" ${UPSTREAM}`,
  saltUnlocked: `${SEED}:34-37; Linux 6.9 idpf_vc_xn_forward_reply compares the salt before idpf_vc_xn_lock ${UPSTREAM}`,
  forwardReply: `${SEED}:25-27,29-34,47-53 and 76-78 (the completion, the cookie's lookup, the async callback, forward_reply's -ENXIO); idpf_vc_xn_forward_reply and idpf_vc_xn_forward_async: lock, switch, reply_sz, memcpy, handler, push_free, complete ${UPSTREAM}`,
  completeLate: `${SEED}:25-27; Linux 6.9 idpf_vc_xn_forward_reply: unlock, then complete() ${UPSTREAM}`,
  forwardAfterSalt: `${SEED}:25-27,34-37; Linux 6.9 idpf_vc_xn_forward_reply after its unlocked salt compare: lock, switch ${UPSTREAM}`,
  lose: `${SEED}:37-38 (a message "times out without receiving a reply"): the control plane loses a request`,
  late: `${SEED}:41-44 (a reply "_actually_ for the previous send"): the control plane answers after the waiter gave up`,
  reclaim: `${SEED}:47-49 (async transactions); their timeout is libie_xn_check_async_timeout of the libie rework (2026): not in the seed, not in 6.9`,
  deviceReset: `not in the seed: an FLR or control-plane reboot; idpf_is_reset_detected (idpf_lib.c, upstream)`,
  resetRequest: `not in the seed: a driver-initiated reset (idpf_tx_timeout, ethtool) sets IDPF_HR_FUNC_RESET (idpf_lib.c, upstream)`,
  detect: `not in the seed: idpf_service_task "HW reset detected" queues vc_event_task (idpf_lib.c, upstream)`,
  eventShutdownFirst: `not in the seed: idpf_vc_event_task calls idpf_vc_xn_shutdown first ("idpf: avoid mailbox timeout delays during reset", 2025, upstream)`,
  eventLockFirst: `not in the seed: Linux 6.9 idpf_vc_event_task -> idpf_init_hard_reset (idpf_lib.c, upstream)`,
  shutdown: `${SEED}:76-78 (forward_reply's -ENXIO for a shut-down transaction); idpf_vc_xn_shutdown: bitmap_zero, per slot lock, SHUTDOWN, release_bufs, unlock, complete_all ${UPSTREAM}`,
  ctrlLock: `not in the seed: idpf_init_hard_reset: mutex_lock(&adapter->vport_ctrl_lock) (idpf_lib.c, upstream)`,
  cancel: `not in the seed: idpf_vc_core_deinit -> idpf_deinit_task (cancel_delayed_work_sync of the stats task, vports down), cancel_delayed_work_sync(&adapter->mbx_task) (upstream)`,
  deinitMbx: `not in the seed: trigger_reset, idpf_deinit_dflt_mbx (idpf_lib.c, upstream)`,
  deviceReady: `not in the seed: idpf_check_reset_complete, idpf_init_dflt_mbx, queue_delayed_work(mbx_task, 0) (idpf_lib.c, upstream)`,
  reinit: `${SEED}:20-21,60-61 (the manager inits its ring; idpf_vc_xn_init); idpf_vc_core_init -> idpf_vc_xn_init: every slot IDLE, bitmap_fill, the salt kept ${UPSTREAM}`,
  coreInitOk: `not in the seed: idpf_vc_core_init's VERSION and GET_CAPS exchange succeeds (upstream)`,
  coreInitFail: `not in the seed: idpf_vc_core_init's exchange fails, init_failed (upstream; "idpf: fix idpf_vc_core_init error path", CVE-2024-53064)`,
  ctrlUnlock: `not in the seed: idpf_init_hard_reset's unlock_mutex after a failed init; vc_event_task queued with IDPF_HR_DRV_LOAD (upstream)`,
  retry: `not in the seed: idpf_vc_event_task with IDPF_HR_DRV_LOAD -> idpf_init_hard_reset (upstream)`,
  tick: 'the clock: one jiffy passes (docs/engine.md, "Discrete time"); not in the seed',
} as const;

const replace = <T>(list: readonly T[], index: number, value: T): T[] =>
  list.map((item, i) => (i === index ? value : item));

/** The mailbox is a multiset (the control plane answers in any order): keep it sorted. */
const KIND_ORDER = { null: 0, ok: 1, error: 2, wrongop: 3 } as const;
export const compareMessages = (a: Message, b: Message): number =>
  a.idx - b.idx ||
  a.salt - b.salt ||
  a.req - b.req ||
  Number(a.async) - Number(b.async) ||
  a.age - b.age ||
  KIND_ORDER[a.kind ?? 'null'] - KIND_ORDER[b.kind ?? 'null'] ||
  (a.len ?? '').localeCompare(b.len ?? '') ||
  (a.due ?? -1) - (b.due ?? -1);
const sortMessages = (messages: Message[]): Message[] => [...messages].sort(compareMessages);

/** A length at least what its reader expects (the callers' `reply_sz < sizeof(x)` check). */
export const atLeastExpected = (len: Len): boolean =>
  len === 'exact' || len === 'long' || len === 'max';

const IDLE_CALLER: Caller = {
  req: -1,
  idx: -1,
  async: false,
  deadline: null,
  age: -1,
  found: -1,
};

/** Request ids the model names outside the ledger: not reused while named. */
export function referencedIds(context: IdpfXnContext): Set<number> {
  const ids = new Set<number>();
  for (const caller of context.callers) if (caller.req >= 0) ids.add(caller.req);
  for (const xn of context.xn) {
    if (xn.holder >= 0) ids.add(xn.holder);
    if (xn.answer >= 0) ids.add(xn.answer);
  }
  for (const message of context.mailbox) ids.add(message.req);
  if (context.rx) ids.add(context.rx.req);
  return ids;
}

/** idpf_vc_xn_push_free: release_bufs (IDLE unless SHUTDOWN) and set the free bit. */
function pushFree(xn: Xn): Xn {
  return {
    ...xn,
    state: xn.state === 'SHUTDOWN' ? 'SHUTDOWN' : 'IDLE',
    free: true,
    replySz: 'zero',
    asyncDue: null,
    holder: -1,
    answer: -1,
    answerLen: 'zero',
  };
}

function lowestFree(context: IdpfXnContext): number {
  return context.xn.findIndex((xn) => xn.free);
}

/**
 * Keep the salts canonical: forget (0) the salt of a free slot that no message names, since
 * the code overwrites it at the next pop before it is read.
 */
function settleSalts(context: IdpfXnContext): IdpfXnContext {
  const named = new Set(context.mailbox.map((m) => m.idx));
  if (context.rx) named.add(context.rx.idx);
  if (!context.xn.some((xn, i) => xn.free && xn.salt !== 0 && !named.has(i))) return context;
  return {
    ...context,
    xn: context.xn.map((xn, i) => (xn.free && !named.has(i) ? { ...xn, salt: 0 } : xn)),
  };
}

/**
 * complete(&xn->completed). The count is kept up to `waiters`: every sync wait follows its own
 * reinit_completion(), so after the last one at most one wait per caller can consume a
 * complete(), and counts above that are alike (only pop-free-unlocked lets them grow).
 */
function signal(xn: Xn, waiters: number): Xn {
  return xn.done === 'all' ? xn : { ...xn, done: Math.min(xn.done + 1, waiters) };
}

/** The ledger after the control plane's answer to `message` reached the driver. */
function delivered(ledger: Ledger, message: Message, leavesCopy: boolean): Ledger {
  let next = message.kind === null ? answer(ledger, message.req) : ledger;
  if (leavesCopy) next = duplicate(next, message.req);
  return deliver(next, message.req);
}

/** Drop every message (the mailbox was torn down or the device reset): who loses what. */
function discard(ledger: Ledger, messages: readonly Message[]): Ledger {
  return messages.reduce(
    (next, m) => (m.kind === null ? lose(next, m.req) : deliver(next, m.req)),
    ledger,
  );
}

/** Where request `req`'s held request (or a reply copy of it) is on the mailbox, or -1. */
export function messageIndex(context: IdpfXnContext, req: number, copy: boolean): number {
  return context.mailbox.findIndex((m) => m.req === req && (m.kind !== null) === copy);
}

/* ---------- the model ---------- */

export const idpfXnMachine = defineMachine<IdpfXnContext, IdpfXnEvent>({
  name: 'idpf-xn',
  title: 'Intel idpf virtchnl transaction manager (index + salt cookies)',
  seed: 'idpf-virtchnl-xn.txt',
  bounds: [
    {
      name: 'ringSize',
      default: 1,
      min: 1,
      max: 4,
      description: 'transactions in the ring (IDPF_VC_XN_RING_LEN, 255 upstream)',
    },
    {
      name: 'saltBits',
      default: 1,
      deep: 2,
      min: 1,
      max: 8,
      description: 'width of the salt in the cookie (8 upstream)',
    },
    {
      name: 'callers',
      default: 2,
      min: 1,
      max: 3,
      description: 'threads calling idpf_vc_xn_exec concurrently',
    },
    {
      name: 'ctrlCallers',
      default: 1,
      min: 0,
      max: 2,
      description:
        'of the callers, how many hold vport_ctrl_lock around a sync exec (netdev and ethtool ops); the others are the stats task and the async MAC filter sync',
    },
    {
      name: 'inFlight',
      default: 2,
      min: 1,
      max: 4,
      description: 'requests on the mailbox not yet answered; a send beyond fails',
    },
    {
      name: 'timeout',
      default: 2,
      min: 1,
      max: 4,
      description: 'wait_for_completion_timeout in ticks (the 2 s and 60 s timeouts, scaled)',
    },
    {
      name: 'latency',
      default: 2,
      min: 0,
      max: 4,
      description:
        'the control plane answers (and the mbx task processes) within this many ticks; 0 = unbounded',
    },
    {
      name: 'replyDelay',
      default: 0,
      // The salt's assumption at 2 bits: a reply is outlived by fewer than 2^2 allocations.
      deep: 3,
      min: 0,
      max: 16,
      description:
        'allocation-count assumption: a reply is processed before this many further transactions are allocated after its own (0 = no assumption)',
    },
    {
      name: 'initFailures',
      default: 0,
      deep: 1,
      min: 0,
      max: 1,
      description:
        "times idpf_vc_core_init's VERSION/GET_CAPS exchange may fail after a reset (its error path retries)",
    },
    ...faultBounds({
      lost: { default: 1 },
      duplicate: { default: 0, deep: 1 },
      late: { default: 0, deep: 1, note: 'the reply comes after its waiter timed out' },
      error: { default: 1, note: 'an error retval or a wrong opcode' },
      reset: { default: 1, note: 'a device or driver-initiated reset, once' },
      lengths: { default: 2, deep: 4, max: 4 },
    }),
  ],
  variants: [
    {
      name: VARIANTS.saltCheckUnlocked,
      description:
        'Linux 6.9 as written: idpf_vc_xn_forward_reply compares the salt before taking the transaction lock, so the transaction can be freed and re-popped in between',
      source:
        'idpf_virtchnl.c (6.9) idpf_vc_xn_forward_reply: "if (xn->salt != salt) ... idpf_vc_xn_lock(xn);"; fixed by "idpf: Acquire the lock before accessing the xn->salt" (Aug 2024)',
      breaks: [
        'reply-to-own-transaction',
        'index-exclusive',
        'sync-result-matches',
        'waiter-woken-by-own-cause',
        'no-timeout-while-answer-due',
      ],
      finding: true,
    },
    {
      name: VARIANTS.completeAfterUnlock,
      description:
        'Linux 6.9 as written: forward_reply unlocks and only then calls complete(); a late complete() lands on the transaction after it was freed, re-popped and reinit_completion()ed, and wakes the new waiter',
      source:
        'idpf_virtchnl.c (6.9) idpf_vc_xn_forward_reply: "out_unlock: idpf_vc_xn_unlock(xn); /* we _cannot_ hold lock while calling complete */ complete(&xn->completed);"',
      breaks: ['sync-result-matches', 'waiter-woken-by-own-cause', 'no-timeout-while-answer-due'],
      finding: true,
      // Keep the salt from wrapping under a reply this early -ETIME freed (a second story,
      // the salt boundary of docs/idpf-xn.md).
      bounds: { replyDelay: 1 },
    },
    {
      name: VARIANTS.reinitAfterUnlock,
      description:
        "As written (6.9 and later trees): idpf_vc_xn_exec unlocks the transaction and only then calls reinit_completion(); idpf_vc_xn_shutdown's complete_all() landing in between is erased, and the caller sits out its whole timeout",
      source:
        'idpf_virtchnl.c idpf_vc_xn_exec: "idpf_vc_xn_unlock(xn); if (!params->async) reinit_completion(&xn->completed);"; idpf_vc_xn_shutdown: "All waiting threads will be woken-up"',
      breaks: ['shutdown-releases-waiters'],
      finding: true,
    },
    {
      name: VARIANTS.replySizeFromBuffer,
      description:
        "Linux 6.9 as written: forward_reply takes reply_sz from the receive buffer's size (always IDPF_CTLQ_MAX_BUF_LEN) instead of the descriptor's data_len, so a short reply passes every caller's size check",
      source:
        'idpf_virtchnl.c (6.9) idpf_vc_xn_forward_reply: "payload_size = ctlq_msg->ctx.indirect.payload->size;"; fixed by "idpf: use actual mbx receive payload length" (Sep 2024)',
      breaks: ['reply-size-honest'],
      finding: true,
    },
    {
      name: VARIANTS.asyncReplySizeUnset,
      description:
        'Linux 6.9 as written: the ASYNC branch calls the handler without setting reply_sz (exec left it 0), so idpf_mac_filter_async_handler never gets past its size check and a failed MAC filter stays in the list',
      source:
        'idpf_virtchnl.c (6.9) idpf_vc_xn_exec "xn->reply_sz = 0" and forward_async; fixed by "idpf: set the payload size before calling the async handler" (Mar 2026)',
      breaks: ['async-error-reconciled'],
      finding: true,
    },
    {
      name: VARIANTS.handlerUnderRawLock,
      description:
        "Linux 6.9 as written: the transaction lock is the completion's raw wait.lock, and the async handler takes mac_filter_list_lock (spin_lock_bh) under it: an invalid wait context (a sleeping lock on PREEMPT_RT)",
      source:
        'idpf_virtchnl.c (6.9) "#define idpf_vc_xn_lock(xn) raw_spin_lock(&(xn)->completed.wait.lock)"; fixed by "idpf: fix PREEMPT_RT raw/bh spinlock nesting for async VC handling" (Mar 2026)',
      breaks: ['handler-lock-context'],
      finding: true,
    },
    {
      name: VARIANTS.resetAfterVportLock,
      description:
        'Linux 6.9 as written: vc_event_task goes straight to idpf_init_hard_reset, which takes vport_ctrl_lock before anything shuts the manager down; a netdev op waiting in exec holds that lock, and waits out its timeout while the device is in reset',
      source:
        'idpf_lib.c (6.9) idpf_vc_event_task -> idpf_init_hard_reset "mutex_lock(&adapter->vport_ctrl_lock)" then idpf_vc_core_deinit; fixed by "idpf: avoid mailbox timeout delays during reset" (May 2025)',
      breaks: ['reset-releases-waiters'],
      finding: true,
    },
    {
      name: VARIANTS.initErrorDeinitBeforeCancel,
      description:
        "Linux 6.9 as written: idpf_vc_core_init's error path deinitialises the mailbox while the mailbox task is still queued (it polls every 300 ms), which then reads the released control queue",
      source:
        'idpf_virtchnl.c (6.9) idpf_vc_core_init init_failed: "idpf_vc_xn_shutdown(...); idpf_deinit_dflt_mbx(adapter);"; fixed by "idpf: fix idpf_vc_core_init error path" (Oct 2024, CVE-2024-53064)',
      breaks: ['mbx-task-not-after-deinit'],
      finding: true,
      bounds: { initFailures: 1 },
    },
    {
      name: VARIANTS.asyncNeverReclaimed,
      description:
        'Linux 6.9 as written: an async transaction has no timeout; when its reply is lost the slot stays ASYNC until the next reset, and once every slot is lost every exec returns -ENOSPC',
      source:
        'idpf_virtchnl.c (6.9) idpf_vc_xn_exec "if (params->async) return 0;" (nothing frees an ASYNC slot but its reply or a shutdown); libie later times async transactions out (libie_xn_check_async_timeout)',
      breaks: ['no-leak', 'all-can-become-free'],
      finding: true,
      bounds: { lost: 1, reset: 0 },
    },
    {
      name: VARIANTS.cookieIndexOnly,
      description: 'the cookie carries only the index: any reply for that index is accepted',
      source:
        'idpf-virtchnl-xn.txt cover letter: "Without the salt we would have no way of knowing for sure if it\'s the correct reply"',
      breaks: [
        'reply-to-own-transaction',
        'index-exclusive',
        'sync-result-matches',
        'waiter-woken-by-own-cause',
      ],
      bounds: { late: 1 },
    },
    {
      name: VARIANTS.opcodeOnlyMatching,
      description:
        'before the manager: a reply goes to whoever waits for its opcode (here, the lowest busy transaction; every request uses the same opcode)',
      source:
        'idpf_virtchnl.c before the series, idpf_recv_mb_msg: "if (op && ctlq_msg.cookie.mbx.chnl_opcode != op) goto post_buffs;" and idpf_recv_vchnl_op waking vchnl_wq',
      breaks: [
        'reply-to-own-transaction',
        'index-exclusive',
        'async-callback-once',
        'sync-result-matches',
        'waiter-woken-by-own-cause',
      ],
      bounds: { late: 1 },
    },
    {
      name: VARIANTS.asyncNotFreed,
      description:
        'the reply path runs the async handler but does not push the ASYNC transaction back on the free list: the async timeout of the default reclaims the slot later, and a duplicate reply runs the handler again meanwhile',
      source:
        'idpf_virtchnl.c idpf_vc_xn_forward_async: "release_bufs: idpf_vc_xn_push_free(adapter->vcxn_mngr, xn);" removed',
      breaks: ['async-callback-once', 'completed-at-most-once'],
      bounds: { duplicate: 1, replyDelay: 1 },
    },
    {
      name: VARIANTS.popFreeUnlocked,
      description:
        'idpf_vc_xn_pop_free without xn_bm_lock: find_first_bit and clear_bit are separate steps, two callers can take the same index',
      source:
        'idpf_virtchnl.c idpf_vc_xn_pop_free: "spin_lock_bh(&vcxn_mngr->xn_bm_lock); free_idx = find_first_bit(...)" removed',
      breaks: [
        'index-exclusive',
        'reply-to-own-transaction',
        'async-callback-once',
        'sync-result-matches',
        'waiter-woken-by-own-cause',
        'completed-at-most-once',
      ],
      // Two free callers racing the pop; everything else as small as the race allows.
      bounds: {
        reset: 0,
        ctrlCallers: 0,
        error: 0,
        lost: 0,
        lengths: 1,
        inFlight: 1,
        replyDelay: 1,
        timeout: 1,
        latency: 1,
      },
    },
  ],
  build({ bounds, variants }) {
    const has = (name: string) => variants.has(name);
    const callerIds = Array.from({ length: bounds.callers }, (_, i) => i);
    const isCtrl = (c: number) => c < bounds.ctrlCallers;
    const saltMod = 2 ** bounds.saltBits;
    /** Ids in flight at once: callers, async holders, stale messages and their copies. */
    const capacity = bounds.callers + bounds.ringSize + bounds.inFlight + 2;
    const replyKinds: ReplyKind[] = bounds.error > 0 ? ['ok', 'error', 'wrongop'] : ['ok'];
    const lengths = replyLengths(bounds.lengths);

    type Args = { context: IdpfXnContext; event: IdpfXnEvent };
    const forCaller =
      (c: number) =>
      ({ event }: Args) =>
        'caller' in event && event.caller === c;

    /** The reply path's routing: by the cookie's index, or by opcode before the manager. */
    const route = (context: IdpfXnContext, message: Message): number => {
      if (!has(VARIANTS.opcodeOnlyMatching)) return message.idx;
      return context.xn.findIndex((xn) => xn.state === 'WAITING' || xn.state === 'ASYNC');
    };
    const saltMatches = (context: IdpfXnContext, message: InHand): boolean =>
      has(VARIANTS.cookieIndexOnly) ||
      has(VARIANTS.opcodeOnlyMatching) ||
      context.xn[message.target].salt === message.salt;

    /** Whether another allocation keeps every reply within the assumed delay (see replyDelay). */
    const canAllocate = (context: IdpfXnContext): boolean =>
      bounds.replyDelay === 0 ||
      [
        ...context.mailbox.map((m) => m.age),
        ...(context.rx ? [context.rx.age] : []),
        ...context.callers.map((c) => c.age),
      ].every((age) => age < bounds.replyDelay);

    /**
     * The second half of idpf_vc_xn_pop_free under xn_bm_lock: clear the bit, give the
     * transaction the manager's salt (relative 0, every other salt one older), issue a ghost id.
     */
    const claim = (
      context: IdpfXnContext,
      c: number,
      index: number,
      async: boolean,
    ): IdpfXnContext => {
      // A request still waiting that nothing in the driver names any more (only the broken
      // variants lose one: a slot taken twice, a reply fed to the wrong holder) will never be
      // completed; the ghost forgets it as the driver did, so the ledger stays bounded.
      const named = referencedIds(context);
      const forgotten = context.ghosts.requests
        .filter((g) => g.caller === 'waiting' && !named.has(g.id))
        .reduce((ledger, g) => complete(ledger, g.id), context.ghosts);
      const { ledger, id } = issue(forgotten, capacity, named);
      const older = (salt: number) => (salt + 1) % saltMod;
      const aged = (age: number) => (bounds.replyDelay === 0 || age < 0 ? age : age + 1);
      const xn = context.xn.map((x, i) =>
        i === index
          ? { ...x, free: false, salt: 0, holder: id, answer: -1 }
          : { ...x, salt: older(x.salt) },
      );
      const callers = context.callers.map((caller, i) =>
        i === c
          ? {
              ...IDLE_CALLER,
              req: id,
              idx: index,
              async,
              age: bounds.replyDelay === 0 ? -1 : 0,
            }
          : { ...caller, age: aged(caller.age) },
      );
      return settleSalts({
        ...context,
        xn,
        callers,
        mailbox: context.mailbox.map((m) => ({ ...m, salt: older(m.salt), age: aged(m.age) })),
        rx: context.rx
          ? { ...context.rx, salt: older(context.rx.salt), age: aged(context.rx.age) }
          : null,
        ghosts: ledger,
      });
    };

    /** A reply taken off the mailbox (REPLY): the message, the mailbox and ledger without it. */
    const take = memo2((context: IdpfXnContext, event: IdpfXnEvent) => {
      if (event.type !== 'REPLY') throw new Error('take: not a REPLY');
      const at = messageIndex(context, event.req, event.copy);
      const message = context.mailbox[at];
      const rest = context.mailbox.filter((_, i) => i !== at);
      const copy: Message = {
        ...message,
        kind: event.kind,
        len: event.len,
        due: due(bounds.latency),
      };
      const mailbox = event.duplicate ? sortMessages([...rest, copy]) : rest;
      const inHand: InHand = {
        ...message,
        kind: event.kind,
        len: event.len,
        due: null,
        target: route(context, message),
      };
      return {
        inHand,
        mailbox,
        faults: event.duplicate
          ? { ...context.faults, duplicate: context.faults.duplicate - 1 }
          : context.faults,
        ghosts: delivered(context.ghosts, message, event.duplicate),
      };
    });

    const replyOutput = (
      context: IdpfXnContext,
      message: InHand,
      verdict: Extract<IdpfXnOutput, { type: 'reply' }>['verdict'],
      effect: Extract<IdpfXnOutput, { type: 'reply' }>['effect'],
      handler: HandlerResult = 'none',
    ): IdpfXnOutput => ({
      type: 'reply',
      idx: message.target,
      answers: message.req,
      holder: message.target < 0 ? -1 : context.xn[message.target].holder,
      async: message.async,
      kind: message.kind,
      len: message.len,
      verdict,
      effect,
      handler,
      lock: effect === 'CALLBACK' ? (has(VARIANTS.handlerUnderRawLock) ? 'raw' : 'spin') : null,
    });

    /**
     * idpf_mac_filter_async_handler on the reply it is given: success returns at once; an
     * error with a payload at least struct_size(ma_list, ...) removes the failed filters.
     */
    const macFilterHandler = (message: InHand): HandlerResult => {
      if (message.kind === 'ok') return 'ok';
      const replySz: Len = has(VARIANTS.asyncReplySizeUnset) ? 'zero' : message.len;
      return atLeastExpected(replySz) ? 'reconciled' : 'invalid_payload';
    };

    /** The switch of idpf_vc_xn_forward_reply on xn->state, under the transaction's lock. */
    const forwardLocked = (
      context: IdpfXnContext,
      message: InHand,
    ): { xn: Xn; output: IdpfXnOutput; signal: boolean; ghosts: Ledger } => {
      const xn = context.xn[message.target];
      switch (xn.state) {
        case 'WAITING': {
          // Opcode, then retval; either failing gives COMPLETED_FAILED with reply_sz 0.
          const ok = message.kind === 'ok';
          const result = ok ? 'COMPLETED_SUCCESS' : 'COMPLETED_FAILED';
          const replySz: Len = !ok
            ? 'zero'
            : has(VARIANTS.replySizeFromBuffer) && message.len !== 'zero'
              ? 'max'
              : message.len;
          return {
            xn: {
              ...xn,
              state: result,
              replySz,
              answer: message.req,
              answerLen: ok ? message.len : 'zero',
            },
            output: replyOutput(context, message, 'WAITING', result),
            signal: true,
            ghosts: context.ghosts,
          };
        }
        case 'ASYNC': {
          // idpf_vc_xn_forward_async: an opcode mismatch skips the handler; both paths free.
          const freed = has(VARIANTS.asyncNotFreed) ? xn : pushFree(xn);
          const wrongop = message.kind === 'wrongop';
          return {
            xn: freed,
            output: wrongop
              ? replyOutput(context, message, 'ASYNC', 'FREED')
              : replyOutput(context, message, 'ASYNC', 'CALLBACK', macFilterHandler(message)),
            signal: false,
            ghosts: complete(context.ghosts, xn.holder),
          };
        }
        default:
          // IDLE ("Unexpected or belated"), COMPLETED_* ("Overwriting"), SHUTDOWN (-ENXIO):
          // nothing changes, but the code still goes to out_unlock and signals the completion.
          return {
            xn,
            output: replyOutput(context, message, xn.state, 'NONE'),
            signal: true,
            ghosts: context.ghosts,
          };
      }
    };

    /**
     * Lock, switch, unlock of forward_reply. With the default fix complete() is issued inside
     * the same critical section; in the as-written variant it is the separate COMPLETE step.
     */
    const forward = memo2((context: IdpfXnContext, message: InHand) => {
      const result = forwardLocked(context, message);
      const late = has(VARIANTS.completeAfterUnlock) && result.signal;
      const xn = result.signal && !late ? signal(result.xn, bounds.callers) : result.xn;
      return {
        update: {
          xn: replace(context.xn, message.target, xn),
          rx: late ? message : null,
          ghosts: result.ghosts,
        },
        output: result.output,
        late,
      };
    });
    /** REPLY with the whole of forward_reply in one step (salt compared under the lock). */
    const takeAndForward = memo2((context: IdpfXnContext, event: IdpfXnEvent) => {
      const taken = take(context, event);
      const result = forward({ ...context, ...taken }, taken.inHand);
      return {
        ...result,
        update: settleSalts({
          ...context,
          ...result.update,
          mailbox: taken.mailbox,
          faults: taken.faults,
        }),
      };
    });

    /** idpf_vc_xn_exec after the wait: the switch under the lock, then free and return. */
    const afterWait = (context: IdpfXnContext, c: number) => {
      const caller = context.callers[c];
      const xn = context.xn[caller.idx];
      const rc: ExecRc =
        xn.state === 'SHUTDOWN'
          ? 'ENXIO'
          : xn.state === 'WAITING'
            ? 'ETIME'
            : xn.state === 'COMPLETED_SUCCESS'
              ? 'SIZE'
              : 'EIO'; // COMPLETED_FAILED, or the WARN_ON_ONCE default
      const output: IdpfXnOutput = {
        type: 'exec_return',
        caller: c,
        req: caller.req,
        async: false,
        rc,
        expired: timeAfter(caller.deadline),
        answer: xn.answer,
        xnState: xn.state,
        size: rc === 'SIZE' ? xn.replySz : null,
        sent: rc === 'SIZE' ? xn.answerLen : null,
      };
      // SHUTDOWN goes to only_unlock: the transaction is not pushed back.
      const nextXn =
        rc === 'ENXIO' ? { ...xn, holder: -1, answer: -1, answerLen: 'zero' as Len } : pushFree(xn);
      return {
        output,
        context: settleSalts({
          ...context,
          xn: replace(context.xn, caller.idx, nextXn),
          callers: replace(context.callers, c, IDLE_CALLER),
          ctrl: context.ctrl === c ? -1 : context.ctrl,
          ghosts: complete(context.ghosts, caller.req),
        }),
      };
    };

    /** idpf_vc_xn_exec returning before any wait (shut down, async sent, send error). */
    const returnBeforeWait = (
      context: IdpfXnContext,
      c: number,
      rc: ExecRc,
      xnState: XnState,
    ): IdpfXnOutput => {
      const caller = context.callers[c];
      return {
        type: 'exec_return',
        caller: c,
        req: caller.req,
        async: caller.async,
        rc,
        expired: false,
        answer: -1,
        xnState,
        size: null,
        sent: null,
      };
    };

    /** The request a caller puts on the mailbox, its cookie read from the transaction. */
    const messageOf = (context: IdpfXnContext, c: number): Message => {
      const caller = context.callers[c];
      return {
        idx: caller.idx,
        salt: has(VARIANTS.cookieIndexOnly) ? 0 : context.xn[caller.idx].salt,
        req: caller.req,
        async: caller.async,
        age: Math.max(caller.age, 0),
        kind: null,
        len: null,
        due: due(bounds.latency),
      };
    };

    /** idpf_send_mb_msg reached the device: false when a reset is detected (returns 0, sends nothing). */
    const reachesDevice = (context: IdpfXnContext) => context.mbx && !context.deviceReset;

    const callerRegion = (c: number) => {
      const mine = forCaller(c);
      /** Lock, the SHUTDOWN check, WAITING or ASYNC, reply_sz = 0, unlock. */
      const arm_ = assign(({ context }: Args) => {
        const caller = context.callers[c];
        const xn = context.xn[caller.idx];
        return {
          xn: replace(context.xn, caller.idx, {
            ...xn,
            state: caller.async ? ('ASYNC' as const) : ('WAITING' as const),
            replySz: 'zero' as Len,
            answer: -1,
            answerLen: 'zero' as Len,
            // The fix: reinit_completion() inside the section, before shutdown can signal.
            done: !caller.async && !has(VARIANTS.reinitAfterUnlock) ? 0 : xn.done,
          }),
        };
      });
      const exec = (async: boolean) => [
        {
          guard: ({ context, event }: Args) =>
            mine({ context, event }) &&
            event.type === 'EXEC' &&
            event.async === async &&
            mayCall(context) &&
            (has(VARIANTS.popFreeUnlocked)
              ? lowestFree(context) >= 0
              : lowestFree(context) >= 0 && canAllocate(context)),
          target: has(VARIANTS.popFreeUnlocked) ? 'CLAIMING' : 'ARMING',
          meta: { source: SRC.pop },
          actions: assign(({ context }: Args) => {
            const taken = { ...context, ctrl: isCtrl(c) ? c : context.ctrl };
            if (has(VARIANTS.popFreeUnlocked)) {
              // find_first_bit without the lock: only remember the index.
              return {
                ctrl: taken.ctrl,
                callers: replace(context.callers, c, {
                  ...IDLE_CALLER,
                  async,
                  found: lowestFree(context),
                }),
              };
            }
            return claim(taken, c, lowestFree(context), async);
          }),
        },
        {
          guard: ({ context, event }: Args) =>
            mine({ context, event }) &&
            event.type === 'EXEC' &&
            event.async === async &&
            mayCall(context) &&
            lowestFree(context) < 0,
          meta: { source: SRC.noSpace },
          actions: emit(() => ({
            type: 'exec_return' as const,
            caller: c,
            req: -1,
            async,
            rc: 'ENOSPC' as const,
            expired: false,
            answer: -1,
            xnState: 'IDLE' as const,
            size: null,
            sent: null,
          })),
        },
      ];
      /** An async exec returns 0 right after the send (the MAC filter sync of set_rx_mode). */
      const asyncSend = {
        meta: { source: SRC.asyncSent },
        guard: ({ context, event }: Args) => mine({ context, event }) && context.callers[c].async,
        target: 'IDLE',
        actions: [
          emit(({ context }: Args) =>
            returnBeforeWait(context, c, 'OK', context.xn[context.callers[c].idx].state),
          ),
          assign(({ context }: Args) => {
            const caller = context.callers[c];
            const sent = reachesDevice(context);
            const xn = context.xn[caller.idx];
            return {
              mailbox: sent
                ? sortMessages([...context.mailbox, messageOf(context, c)])
                : context.mailbox,
              // The fix for lost async replies: a deadline the mbx task reclaims at.
              xn:
                has(VARIANTS.asyncNeverReclaimed) || xn.state !== 'ASYNC'
                  ? context.xn
                  : replace(context.xn, caller.idx, {
                      ...xn,
                      asyncDue: arm(bounds.timeout),
                    }),
              callers: replace(context.callers, c, IDLE_CALLER),
              ghosts: sent ? context.ghosts : lose(context.ghosts, caller.req),
            };
          }),
        ],
      };
      const idle = () => ({ ctrl: -1 });
      /**
       * Who may enter exec now: a ctrl caller takes vport_ctrl_lock (blocks while held); the
       * others (the stats task, the async MAC filter sync of a vport that is UP) cannot start
       * while idpf_deinit_task has the vports down.
       */
      const mayCall = (context: IdpfXnContext) =>
        isCtrl(c) ? context.ctrl === -1 : !context.vportsDown;
      return {
        initial: 'IDLE',
        states: {
          IDLE: { on: { EXEC: [...exec(false), ...(isCtrl(c) ? [] : exec(true))] } },
          // pop-free-unlocked only: clear_bit and the salt, for the index found earlier.
          CLAIMING: {
            meta: { lint: { 'state-never-entered': ONLY.variant(VARIANTS.popFreeUnlocked) } },
            on: {
              CLAIM: {
                meta: { source: SRC.claim },
                guard: ({ context, event }: Args) =>
                  mine({ context, event }) && canAllocate(context),
                target: 'ARMING',
                actions: assign(({ context }: Args) =>
                  claim(context, c, context.callers[c].found, context.callers[c].async),
                ),
              },
            },
          },
          ARMING: {
            on: {
              ARM: [
                {
                  guard: ({ context, event }: Args) =>
                    mine({ context, event }) &&
                    context.xn[context.callers[c].idx].state === 'SHUTDOWN',
                  target: 'IDLE',
                  meta: { source: SRC.armShutdown },
                  actions: [
                    emit(({ context }: Args) => returnBeforeWait(context, c, 'ENXIO', 'SHUTDOWN')),
                    assign(({ context }: Args) => {
                      const { idx, req } = context.callers[c];
                      return {
                        xn: replace(context.xn, idx, { ...context.xn[idx], holder: -1 }),
                        callers: replace(context.callers, c, IDLE_CALLER),
                        ...(context.ctrl === c ? idle() : {}),
                        ghosts: complete(lose(context.ghosts, req), req),
                      };
                    }),
                  ],
                },
                {
                  guard: mine,
                  target: 'SENDING',
                  actions: arm_,
                  meta: { lint: { 'guard-never-false': ONLY.otherCaller }, source: SRC.arm },
                },
              ],
            },
          },
          // reinit_completion (as written), the cookie, idpf_send_mb_msg.
          SENDING: {
            on: {
              SEND: [
                {
                  // idpf_ctlq_send: no free descriptor. Lock, push_free, unlock, return.
                  meta: {
                    lint: {
                      'guard-never-true':
                        'with one ring slot a second request is held only after a late reply: --bound late=1 (deep) or --bound inFlight=1',
                    },
                    source: SRC.sendFails,
                  },
                  guard: ({ context, event }: Args) =>
                    mine({ context, event }) &&
                    reachesDevice(context) &&
                    context.mailbox.filter((m) => m.kind === null).length >= bounds.inFlight,
                  target: 'IDLE',
                  actions: [
                    emit(({ context }: Args) =>
                      returnBeforeWait(
                        context,
                        c,
                        'ESEND',
                        context.xn[context.callers[c].idx].state,
                      ),
                    ),
                    assign(({ context }: Args) => {
                      const { idx, req } = context.callers[c];
                      return settleSalts({
                        ...context,
                        xn: replace(context.xn, idx, pushFree(context.xn[idx])),
                        callers: replace(context.callers, c, IDLE_CALLER),
                        ctrl: context.ctrl === c ? -1 : context.ctrl,
                        ghosts: complete(lose(context.ghosts, req), req),
                      });
                    }),
                  ],
                },
                // A ctrl caller's exec is always sync.
                ...(isCtrl(c) ? [] : [asyncSend]),
                {
                  meta: {
                    lint: { 'guard-never-false': ONLY.otherCaller },
                    source: SRC.send,
                  },
                  guard: mine,
                  target: 'WAITING',
                  actions: assign(({ context }: Args) => {
                    const caller = context.callers[c];
                    const sent = reachesDevice(context);
                    const xn = context.xn[caller.idx];
                    return {
                      xn: has(VARIANTS.reinitAfterUnlock)
                        ? replace(context.xn, caller.idx, { ...xn, done: 0 })
                        : context.xn,
                      mailbox: sent
                        ? sortMessages([...context.mailbox, messageOf(context, c)])
                        : context.mailbox,
                      callers: replace(context.callers, c, {
                        ...caller,
                        age: -1,
                        deadline: arm(bounds.timeout),
                      }),
                      ghosts: sent ? context.ghosts : lose(context.ghosts, caller.req),
                    };
                  }),
                },
              ],
            },
          },
          // wait_for_completion_timeout: the completion, or the timer when nothing completed it.
          WAITING: {
            on: {
              WAKE: {
                meta: { source: SRC.wake },
                guard: ({ context, event }: Args) =>
                  mine({ context, event }) && context.xn[context.callers[c].idx].done !== 0,
                target: 'CHECKING',
                actions: [
                  emit(({ context }: Args) => ({
                    type: 'wake' as const,
                    caller: c,
                    req: context.callers[c].req,
                    idx: context.callers[c].idx,
                  })),
                  assign(({ context }: Args) => {
                    const caller = context.callers[c];
                    const xn = context.xn[caller.idx];
                    return {
                      xn: replace(context.xn, caller.idx, {
                        ...xn,
                        done: xn.done === 'all' ? 'all' : xn.done - 1,
                      }),
                    };
                  }),
                ],
              },
              TIMEOUT: {
                meta: { source: SRC.timeout },
                guard: ({ context, event }: Args) =>
                  mine({ context, event }) &&
                  context.xn[context.callers[c].idx].done === 0 &&
                  timerDue(context.callers[c].deadline),
                target: 'CHECKING',
              },
            },
          },
          CHECKING: {
            on: {
              CHECK: {
                meta: { lint: { 'guard-never-false': ONLY.otherCaller }, source: SRC.check },
                guard: mine,
                target: 'IDLE',
                actions: [
                  emit(({ context }: Args) => afterWait(context, c).output),
                  assign(({ context }: Args) => afterWait(context, c).context),
                ],
              },
            },
          },
        },
      };
    };

    const dropStep = (verdict: 'salt_mismatch' | 'no_waiter') => [
      emit(({ context, event }: Args) => {
        const inHand = take(context, event).inHand;
        return replyOutput(context, inHand, verdict, 'NONE');
      }),
      assign(({ context, event }: Args) => {
        const { mailbox, faults, ghosts } = take(context, event);
        return settleSalts({ ...context, mailbox, faults, ghosts });
      }),
    ];
    const forwardNow = [
      emit(({ context, event }: Args) => takeAndForward(context, event).output),
      assign(({ context, event }: Args) => takeAndForward(context, event).update),
    ];
    const forwardInHand = [
      emit(({ context }: Args) => forward(context, context.rx!).output),
      assign(({ context }: Args) =>
        settleSalts({ ...context, ...forward(context, context.rx!).update }),
      ),
    ];
    const mbxRuns = ({ context }: Args) => context.mbx && context.mbxTask;

    const rxRegion = {
      initial: 'IDLE',
      states: {
        IDLE: {
          on: {
            REPLY: [
              ...(has(VARIANTS.opcodeOnlyMatching)
                ? [
                    {
                      // Routed nowhere: opcode-only matching with no thread waiting for it.
                      meta: { source: SRC.noWaiter },
                      guard: ({ context, event }: Args) =>
                        mbxRuns({ context, event }) && take(context, event).inHand.target < 0,
                      actions: dropStep('no_waiter'),
                    },
                  ]
                : []),
              {
                // The salt compare (without the lock in the as-written variant).
                meta: {
                  lint: {
                    'guard-never-true':
                      'a reply outlives its transaction only when late or duplicated: --bound late=1 or duplicate=1 (deep)',
                  },
                  source: SRC.saltMismatch,
                },
                guard: ({ context, event }: Args) =>
                  mbxRuns({ context, event }) && !saltMatches(context, take(context, event).inHand),
                actions: dropStep('salt_mismatch'),
              },
              ...(has(VARIANTS.saltCheckUnlocked)
                ? [
                    {
                      // Salt matched; preemptible before idpf_vc_xn_lock.
                      meta: { source: SRC.saltUnlocked },
                      guard: mbxRuns,
                      target: 'SALT_CHECKED',
                      actions: assign(({ context, event }: Args) => {
                        const { inHand, mailbox, faults, ghosts } = take(context, event);
                        return { rx: inHand, mailbox, faults, ghosts };
                      }),
                    },
                  ]
                : [
                    ...(has(VARIANTS.completeAfterUnlock)
                      ? [
                          {
                            meta: { source: SRC.completeLate },
                            guard: ({ context, event }: Args) =>
                              mbxRuns({ context, event }) && takeAndForward(context, event).late,
                            target: 'SIGNALLING',
                            actions: forwardNow,
                          },
                        ]
                      : []),
                    {
                      guard: mbxRuns,
                      actions: forwardNow,
                      meta: {
                        lint: { 'guard-never-false': ONLY.offered('the mailbox task runs') },
                        source: SRC.forwardReply,
                      },
                    },
                  ]),
            ],
            // The control plane drops a request it holds.
            LOSE: {
              meta: {
                lint: {
                  'guard-never-false': ONLY.offered('a lost fault is left for a held request'),
                },
                source: SRC.lose,
              },
              guard: ({ context, event }: Args) =>
                event.type === 'LOSE' &&
                context.faults.lost > 0 &&
                messageIndex(context, event.req, false) >= 0,
              actions: assign(({ context, event }: Args) => {
                const msg = messageIndex(context, (event as { req: number }).req, false);
                const message = context.mailbox[msg];
                return settleSalts({
                  ...context,
                  mailbox: context.mailbox.filter((_, i) => i !== msg),
                  faults: { ...context.faults, lost: context.faults.lost - 1 },
                  ghosts: lose(context.ghosts, message.req),
                });
              }),
            },
            // The control plane will answer this request after its waiter gave up.
            LATE: {
              meta: {
                lint: { 'event-never-produced': 'produced only with --bound late=1 (deep)' },
                source: SRC.late,
              },
              guard: ({ context, event }: Args) =>
                event.type === 'LATE' &&
                context.faults.late > 0 &&
                context.mailbox[messageIndex(context, event.req, false)]?.due != null,
              actions: assign(({ context, event }: Args) => {
                const msg = messageIndex(context, (event as { req: number }).req, false);
                return {
                  mailbox: sortMessages(
                    replace(context.mailbox, msg, { ...context.mailbox[msg], due: null }),
                  ),
                  faults: { ...context.faults, late: context.faults.late - 1 },
                };
              }),
            },
            // The default's async timeout: the mbx task frees an ASYNC slot whose reply is overdue.
            RECLAIM: {
              meta: {
                lint: {
                  'guard-never-false': ONLY.offered(
                    'the mbx task runs and an ASYNC slot is past its timeout',
                  ),
                },
                source: SRC.reclaim,
              },
              guard: ({ context, event }: Args) =>
                event.type === 'RECLAIM' &&
                mbxRuns({ context, event }) &&
                context.xn[event.idx].state === 'ASYNC' &&
                timerDue(context.xn[event.idx].asyncDue),
              actions: [
                emit(({ context, event }: Args) => {
                  const idx = (event as { idx: number }).idx;
                  return { type: 'reclaim' as const, idx, holder: context.xn[idx].holder };
                }),
                assign(({ context, event }: Args) => {
                  const idx = (event as { idx: number }).idx;
                  return settleSalts({
                    ...context,
                    xn: replace(context.xn, idx, pushFree(context.xn[idx])),
                    ghosts: complete(context.ghosts, context.xn[idx].holder),
                  });
                }),
              ],
            },
          },
        },
        // salt-check-unlocked only: the lock and the state switch, after the salt compare.
        SALT_CHECKED: {
          meta: { lint: { 'state-never-entered': ONLY.variant(VARIANTS.saltCheckUnlocked) } },
          on: {
            FORWARD: [
              {
                guard: ({ context }: Args) => forward(context, context.rx!).late,
                target: 'SIGNALLING',
                actions: forwardInHand,
                meta: { source: SRC.forwardAfterSalt },
              },
              { target: 'IDLE', actions: forwardInHand, meta: { source: SRC.forwardAfterSalt } },
            ],
          },
        },
        // complete-after-unlock only: complete(&xn->completed) after idpf_vc_xn_unlock.
        SIGNALLING: {
          meta: { lint: { 'state-never-entered': ONLY.variant(VARIANTS.completeAfterUnlock) } },
          on: {
            COMPLETE: {
              target: 'IDLE',
              meta: { source: SRC.completeLate },
              actions: assign(({ context }: Args) =>
                settleSalts({
                  ...context,
                  xn: replace(
                    context.xn,
                    context.rx!.target,
                    signal(context.xn[context.rx!.target], bounds.callers),
                  ),
                  rx: null,
                }),
              ),
            },
          },
        },
      },
    };

    /* The reset path: the service task, vc_event_task, idpf_init_hard_reset. */
    const asWrittenOrder = has(VARIANTS.resetAfterVportLock);
    /** bitmap_zero(free_xn_bm) under xn_bm_lock, the start of idpf_vc_xn_shutdown. */
    const startShutdown = assign(({ context }: Args) => ({
      xn: context.xn.map((xn) => ({ ...xn, free: false })),
      shutdownNext: 0,
    }));
    /** One transaction of idpf_vc_xn_shutdown: lock, SHUTDOWN, release_bufs, unlock, complete_all. */
    const shutdownXn = assign(({ context }: Args) => {
      const k = context.shutdownNext!;
      const xn = context.xn[k];
      return {
        xn: replace(context.xn, k, {
          ...xn,
          state: 'SHUTDOWN' as const,
          done: 'all' as const,
          replySz: 'zero' as Len,
          asyncDue: null,
        }),
        shutdownNext: k + 1 === bounds.ringSize ? null : k + 1,
      };
    });
    /** `entered`: whether the default model enters the state (else the guard is never asked). */
    const shutdownLoop = (next: string, entered = true) => ({
      on: {
        SHUTDOWN_XN: [
          {
            meta: {
              source: SRC.shutdown,
              ...(entered && {
                lint: {
                  'guard-never-false': 'false only before the last slot: --bound ringSize=2',
                },
              }),
            },
            guard: ({ context }: Args) => context.shutdownNext === bounds.ringSize - 1,
            target: next,
            actions: shutdownXn,
          },
          { actions: shutdownXn, meta: { source: SRC.shutdown } },
        ],
      },
    });
    /**
     * idpf_vc_core_deinit: idpf_deinit_task's cancel_delayed_work_sync(&stats_task) waits for
     * a stats exec in flight, then cancel_delayed_work_sync(&mbx_task) for a running receive.
     */
    const statsIdle = (context: IdpfXnContext) =>
      context.callers.every((caller, c) => isCtrl(c) || caller.req < 0 || caller.async);
    // (An async sender already inside exec is not waited for: it cannot be preempted for a
    // tick, and the device takes at least one to come back, so it is done before re-init.)
    const cancelMbx = {
      meta: { source: SRC.cancel },
      guard: ({ context }: Args) => context.rx === null && statsIdle(context),
      actions: assign(({ context }: Args) => ({
        mbxTask: false,
        vportsDown: true,
        // Replies now wait in the ARQ for nobody: no latency obligation is left.
        mailbox: context.mailbox.map((m) => ({ ...m, due: null })),
      })),
    };
    /** idpf_deinit_dflt_mbx (after trigger_reset): the control queues and what they held go. */
    const deinitMbx = [
      emit(({ context }: Args) => ({ type: 'mbx_deinit' as const, taskPending: context.mbxTask })),
      assign(({ context }: Args) =>
        settleSalts({
          ...context,
          mbx: false,
          deviceReset: true,
          deviceBack: arm(0),
          mailbox: [],
          ghosts: discard(context.ghosts, context.mailbox),
        }),
      ),
    ];
    const lockCtrl = (target: string, then?: typeof startShutdown) => ({
      CTRL_LOCK: {
        meta: { source: SRC.ctrlLock },
        guard: ({ context }: Args) => context.ctrl === -1,
        target,
        actions: then
          ? [assign(() => ({ ctrl: RESET_WORKER })), then]
          : assign(() => ({ ctrl: RESET_WORKER })),
      },
    });

    const resetRegion = {
      initial: 'RUNNING',
      states: {
        RUNNING: {
          on: {
            // An FLR or a control-plane reboot: the device drops what it holds.
            DEVICE_RESET: {
              meta: { source: SRC.deviceReset },
              guard: ({ context }: Args) => context.faults.reset > 0 && !context.deviceReset,
              actions: assign(({ context }: Args) => {
                const held = context.mailbox.filter((m) => m.kind === null);
                return settleSalts({
                  ...context,
                  deviceReset: true,
                  detectDue: 1,
                  mailbox: context.mailbox.filter((m) => m.kind !== null),
                  faults: { ...context.faults, reset: context.faults.reset - 1 },
                  ghosts: discard(context.ghosts, held),
                });
              }),
            },
            // A driver-initiated reset (Tx timeout, ethtool reset): IDPF_HR_FUNC_RESET.
            RESET_REQUEST: {
              meta: { source: SRC.resetRequest },
              guard: ({ context }: Args) => context.faults.reset > 0 && !context.deviceReset,
              target: 'DETECTED',
              actions: assign(({ context }: Args) => ({
                resetting: true,
                eventDue: 1,
                faults: { ...context.faults, reset: context.faults.reset - 1 },
              })),
            },
            // idpf_service_task: "HW reset detected", queue vc_event_task (+10 ms).
            DETECT: {
              meta: { source: SRC.detect },
              guard: ({ context }: Args) => context.deviceReset && !context.resetting,
              target: 'DETECTED',
              actions: assign(() => ({ resetting: true, detectDue: null, eventDue: 1 })),
            },
          },
        },
        // vc_event_task runs: the fix shuts the manager down first, 6.9 takes the lock first.
        DETECTED: {
          on: {
            EVENT: asWrittenOrder
              ? {
                  target: 'LOCKING',
                  meta: { source: SRC.eventLockFirst },
                  actions: assign(() => ({ eventDue: null })),
                }
              : {
                  target: 'SHUTTING_DOWN',
                  meta: { source: SRC.eventShutdownFirst },
                  actions: [assign(() => ({ eventDue: null })), startShutdown],
                },
          },
        },
        SHUTTING_DOWN: shutdownLoop('LOCKING'),
        // idpf_init_hard_reset: mutex_lock(&adapter->vport_ctrl_lock).
        LOCKING: {
          on: asWrittenOrder ? lockCtrl('DEINIT_SHUTDOWN', startShutdown) : lockCtrl('CANCELLING'),
        },
        // 6.9's idpf_vc_core_deinit: the shutdown under vport_ctrl_lock.
        DEINIT_SHUTDOWN: {
          ...shutdownLoop('CANCELLING', false),
          meta: { lint: { 'state-never-entered': ONLY.variant(VARIANTS.resetAfterVportLock) } },
        },
        CANCELLING: { on: { CANCEL_MBX: { ...cancelMbx, target: 'DEINITIALISING' } } },
        DEINITIALISING: {
          on: {
            DEINIT_MBX: {
              target: 'WAIT_DEVICE',
              actions: deinitMbx,
              meta: { source: SRC.deinitMbx },
            },
          },
        },
        // idpf_check_reset_complete, then idpf_init_dflt_mbx and queue_delayed_work(mbx_task, 0).
        WAIT_DEVICE: {
          on: {
            DEVICE_READY: {
              meta: { source: SRC.deviceReady },
              guard: ({ context }: Args) => timerDue(context.deviceBack),
              target: 'REINITIALISING',
              actions: assign(() => ({
                deviceReset: false,
                deviceBack: null,
                detectDue: null,
                mbx: true,
                mbxTask: true,
              })),
            },
          },
        },
        // idpf_vc_core_init -> idpf_vc_xn_init: every slot IDLE and free, salts kept.
        REINITIALISING: {
          on: {
            REINIT: {
              target: 'CORE_INIT',
              meta: { source: SRC.reinit },
              actions: assign(({ context }: Args) => {
                // Async requests whose slot is re-initialised are forgotten by the driver.
                let ghosts = context.ghosts;
                for (const xn of context.xn)
                  if (xn.holder >= 0 && find(ghosts, xn.holder)?.caller === 'waiting')
                    ghosts = complete(ghosts, xn.holder);
                return settleSalts({
                  ...context,
                  xn: context.xn.map((xn) => ({
                    ...pushFree(xn),
                    state: 'IDLE' as const,
                    done: 0,
                  })),
                  ghosts,
                });
              }),
            },
          },
        },
        CORE_INIT: {
          on: {
            CORE_INIT_OK: {
              target: 'RUNNING',
              meta: { source: SRC.coreInitOk },
              // idpf_init_task restarts the stats task once the vports are back.
              actions: assign(() => ({ ctrl: -1, resetting: false, vportsDown: false })),
            },
            // VERSION or GET_CAPS failed: init_failed shuts the manager down and retries.
            CORE_INIT_FAIL: {
              meta: { lint: { 'guard-never-true': ONLY.initFailure }, source: SRC.coreInitFail },
              guard: ({ context }: Args) => context.faults.initFailures > 0,
              target: 'INIT_FAILED',
              actions: [
                assign(({ context }: Args) => ({
                  faults: { ...context.faults, initFailures: context.faults.initFailures - 1 },
                })),
                startShutdown,
              ],
            },
          },
        },
        INIT_FAILED: {
          ...shutdownLoop(
            has(VARIANTS.initErrorDeinitBeforeCancel) ? 'FAIL_DEINIT' : 'FAIL_CANCELLING',
            false,
          ),
          meta: { lint: { 'state-never-entered': ONLY.initFailure } },
        },
        // The fix: idpf_init_hard_reset cancels the mbx task before idpf_deinit_dflt_mbx.
        FAIL_CANCELLING: {
          meta: { lint: { 'state-never-entered': ONLY.initFailure } },
          on: { CANCEL_MBX: { ...cancelMbx, target: 'FAIL_DEINIT' } },
        },
        FAIL_DEINIT: {
          meta: { lint: { 'state-never-entered': ONLY.initFailure } },
          on: {
            DEINIT_MBX: {
              target: 'UNLOCKING',
              actions: deinitMbx,
              meta: { source: SRC.deinitMbx },
            },
          },
        },
        // unlock_mutex; vc_event_task (DRV_LOAD) is queued +30 ms.
        UNLOCKING: {
          meta: { lint: { 'state-never-entered': ONLY.initFailure } },
          on: {
            CTRL_UNLOCK: {
              target: 'RETRYING',
              meta: { source: SRC.ctrlUnlock },
              actions: assign(() => ({ ctrl: -1, eventDue: 1 })),
            },
          },
        },
        // vc_event_task, DRV_LOAD: idpf_init_hard_reset locks and triggers a reset.
        RETRYING: {
          meta: { lint: { 'state-never-entered': ONLY.initFailure } },
          on: {
            RETRY: {
              target: 'RELOCKING',
              meta: { source: SRC.retry },
              actions: assign(() => ({ eventDue: null })),
            },
          },
        },
        RELOCKING: {
          meta: { lint: { 'state-never-entered': ONLY.initFailure } },
          on: lockCtrl('WAIT_DEVICE'),
        },
      },
    };

    /** The events each step of the reset region can take (its alphabet, by state). */
    const RESET_EVENTS: Record<string, IdpfXnEvent[]> = {
      RUNNING: [{ type: 'DEVICE_RESET' }, { type: 'RESET_REQUEST' }, { type: 'DETECT' }],
      DETECTED: [{ type: 'EVENT' }],
      SHUTTING_DOWN: [{ type: 'SHUTDOWN_XN' }],
      LOCKING: [{ type: 'CTRL_LOCK' }],
      DEINIT_SHUTDOWN: [{ type: 'SHUTDOWN_XN' }],
      CANCELLING: [{ type: 'CANCEL_MBX' }],
      DEINITIALISING: [{ type: 'DEINIT_MBX' }],
      WAIT_DEVICE: [{ type: 'DEVICE_READY' }],
      REINITIALISING: [{ type: 'REINIT' }],
      CORE_INIT: [{ type: 'CORE_INIT_OK' }, { type: 'CORE_INIT_FAIL' }],
      INIT_FAILED: [{ type: 'SHUTDOWN_XN' }],
      FAIL_CANCELLING: [{ type: 'CANCEL_MBX' }],
      FAIL_DEINIT: [{ type: 'DEINIT_MBX' }],
      UNLOCKING: [{ type: 'CTRL_UNLOCK' }],
      RETRYING: [{ type: 'RETRY' }],
      RELOCKING: [{ type: 'CTRL_LOCK' }],
    };
    const elapseAll = assign(({ context }: Args) => ({
      callers: context.callers.map((caller) =>
        caller.deadline === null ? caller : { ...caller, deadline: elapse(caller.deadline) },
      ),
      xn: context.xn.map((xn) =>
        xn.asyncDue === null ? xn : { ...xn, asyncDue: elapse(xn.asyncDue) },
      ),
      mailbox: sortMessages(context.mailbox.map((m) => ({ ...m, due: elapseDue(m.due) }))),
      deviceBack: elapse(context.deviceBack),
      detectDue: elapseDue(context.detectDue),
      eventDue: elapseDue(context.eventDue),
    }));
    const tickAllowed = ({ context }: Args) =>
      canTick({
        deadlines: [
          ...context.callers.map((caller) => caller.deadline),
          ...context.xn.map((xn) => xn.asyncDue),
          context.deviceBack,
        ],
        dues: [...context.mailbox.map((m) => m.due), context.detectDue, context.eventDue],
        // The reset worker's idpf_vc_xn_shutdown runs to its end within the tick, and an
        // async exec (set_rx_mode, under netif_addr_lock_bh) cannot be preempted for one.
        urgent:
          context.shutdownNext !== null ||
          context.callers.some((caller) => caller.async && (caller.req >= 0 || caller.found >= 0)),
      });

    const machine = setup({
      types: {} as { context: IdpfXnContext; events: IdpfXnEvent; emitted: IdpfXnOutput },
    }).createMachine({
      id: 'idpf-xn',
      type: 'parallel',
      meta: {
        lint: {
          'field-never-changes': {
            'context.xn[].salt':
              "salts are kept relative to the manager's, so one ring slot's is always 0: read by the salt compare, it changes with --bound ringSize=2",
            'context.callers[].age':
              'the allocation count of the replyDelay assumption, off by default (replyDelay=0)',
            'context.callers[].found':
              'set only with the pop-free-unlocked variant (the index find_first_bit found)',
            'context.faults.duplicate': 'the duplicate fault is off by default (deep: 1)',
            'context.faults.late': 'the late fault is off by default (deep: 1)',
            'context.faults.initFailures': ONLY.initFailure,
          },
        },
      },
      context: {
        xn: Array.from({ length: bounds.ringSize }, () => ({
          state: 'IDLE' as const,
          salt: 0,
          free: true,
          done: 0,
          replySz: 'zero' as Len,
          asyncDue: null,
          holder: -1,
          answer: -1,
          answerLen: 'zero' as Len,
        })),
        callers: callerIds.map(() => IDLE_CALLER),
        mailbox: [],
        rx: null,
        faults: {
          lost: bounds.lost,
          duplicate: bounds.duplicate,
          late: bounds.late,
          reset: bounds.reset,
          initFailures: bounds.initFailures,
        },
        mbx: true,
        mbxTask: true,
        ctrl: -1,
        deviceReset: false,
        resetting: false,
        vportsDown: false,
        deviceBack: null,
        detectDue: null,
        eventDue: null,
        shutdownNext: null,
        ghosts: EMPTY_LEDGER,
      },
      states: {
        ...Object.fromEntries(callerIds.map((c) => [`caller${c}`, callerRegion(c) as never])),
        // Regions are built as plain configs; XState's inference cannot follow them.
        rx: rxRegion as never,
        reset: resetRegion as never,
        clock: {
          on: {
            [TICK]: {
              guard: tickAllowed,
              actions: elapseAll,
              meta: {
                lint: {
                  'guard-never-false': ONLY.offered('no due time and no urgent step forbids it'),
                },
                source: SRC.tick,
              },
            },
          },
        } as never,
      },
    });

    /** The events possible in a state: only those of each region's current step. */
    const events = (state: ModelState<IdpfXnContext>): IdpfXnEvent[] => {
      const list: IdpfXnEvent[] = [];
      const { context } = state;
      for (const c of callerIds) {
        const at = (step: string) => state.matches(`caller${c}.${step}`);
        if (at('IDLE')) {
          list.push({ type: 'EXEC', caller: c, async: false });
          if (!isCtrl(c)) list.push({ type: 'EXEC', caller: c, async: true });
        } else if (at('CLAIMING')) list.push({ type: 'CLAIM', caller: c });
        else if (at('ARMING')) list.push({ type: 'ARM', caller: c });
        else if (at('SENDING')) list.push({ type: 'SEND', caller: c });
        else if (at('WAITING'))
          list.push({ type: 'WAKE', caller: c }, { type: 'TIMEOUT', caller: c });
        else list.push({ type: 'CHECK', caller: c });
      }
      if (state.matches('rx.IDLE')) {
        if (context.mbx && context.mbxTask) {
          for (const message of context.mailbox) {
            const { req } = message;
            if (message.kind === null) {
              for (const kind of replyKinds) {
                for (const len of kind === 'wrongop' ? (['exact'] as const) : lengths) {
                  list.push({ type: 'REPLY', req, copy: false, kind, len, duplicate: false });
                  if (context.faults.duplicate > 0)
                    list.push({ type: 'REPLY', req, copy: false, kind, len, duplicate: true });
                }
              }
            } else {
              const len = message.len ?? 'exact';
              list.push({
                type: 'REPLY',
                req,
                copy: true,
                kind: message.kind,
                len,
                duplicate: false,
              });
            }
          }
          context.xn.forEach((xn, idx) => {
            if (xn.state === 'ASYNC' && timerDue(xn.asyncDue)) list.push({ type: 'RECLAIM', idx });
          });
        }
        for (const message of context.mailbox) {
          if (message.kind !== null) continue;
          if (context.faults.lost > 0) list.push({ type: 'LOSE', req: message.req });
          if (context.faults.late > 0 && message.due !== null)
            list.push({ type: 'LATE', req: message.req });
        }
      } else if (state.matches('rx.SALT_CHECKED')) list.push({ type: 'FORWARD' });
      else list.push({ type: 'COMPLETE' });
      const reset = (state.value as { reset: string }).reset;
      list.push(...(RESET_EVENTS[reset] ?? []));
      if (tickAllowed({ context, event: { type: TICK } })) list.push({ type: TICK });
      return list;
    };

    return {
      // The states' typing is erased by the `as never` regions above.
      machine: machine as unknown as AnyStateMachine,
      events,
      time: { tick: TICK },
      // The sequence chart: one lane per execution context; the control plane's own actions
      // (losing a request, answering late, resetting) in the device's lane. Its answers are
      // taken by the mailbox task in the same step (REPLY), so they stay in that lane.
      lanes: [
        ...callerIds.map((c) => ({ name: `caller${c}`, regions: [`caller${c}`] })),
        { name: 'mbx task', regions: ['rx'] },
        { name: 'reset worker', regions: ['reset'] },
        { name: 'control plane', events: ['LOSE', 'LATE', 'DEVICE_RESET'], device: true },
      ],
      conformance: {
        // Every input but `tick` (the driver keeps its own jiffies and never refuses one):
        // whether one can be taken says where each execution context is paused (the callers'
        // exec and the pop, the mailbox task's reply path, the reset worker's steps), what
        // completed a wait, which timers are due (TIMEOUT, RECLAIM, DEVICE_READY), which locks
        // are free (EXEC, CTRL_LOCK, CANCEL_MBX), and what the control plane holds and may do
        // with it (REPLY, LOSE, LATE, DEVICE_RESET) within its fault budgets. The replyDelay
        // assumption (EXEC, CLAIM) is the environment's: a harness counts allocations on its
        // ghost stamps (drivers/idpf-xn.ts, canAllocate).
        enabling: [
          'EXEC',
          'CLAIM',
          'ARM',
          'SEND',
          'WAKE',
          'TIMEOUT',
          'CHECK',
          'REPLY',
          'LOSE',
          'LATE',
          'FORWARD',
          'COMPLETE',
          'RECLAIM',
          'DEVICE_RESET',
          'RESET_REQUEST',
          'DETECT',
          'EVENT',
          'CTRL_LOCK',
          'SHUTDOWN_XN',
          'CANCEL_MBX',
          'DEINIT_MBX',
          'DEVICE_READY',
          'REINIT',
          'CORE_INIT_OK',
          'CORE_INIT_FAIL',
          'CTRL_UNLOCK',
          'RETRY',
        ],
        observe: ({ context }) => ({
          xn: context.xn.map((xn) => xn.state),
          free: context.xn.map((xn) => xn.free),
          ctrl: context.ctrl,
          mbx: context.mbx,
          mbxTask: context.mbxTask,
          vportsDown: context.vportsDown,
        }),
      },
    };
  },
});

/** The bounds a state was built with are not in the state; properties get them from config. */
export type { Bounds };
