/**
 * The idpf virtchnl transaction manager (idpf_vc_xn_* in
 * drivers/net/ethernet/intel/idpf/idpf_virtchnl.c, Linux 6.9) and the parts of idpf_lib.c that
 * own its lifetime (the service task's reset detection, idpf_vc_event_task,
 * idpf_init_hard_reset, idpf_vc_core_init's error path) as imperative TypeScript: the system
 * under test for `mailbox-models conform idpf-xn`. It does not import the model.
 *
 * The default driver is 6.9 with the fixes docs/idpf-xn.md lists: forward_reply compares the
 * salt under the transaction lock and calls complete() inside it (on the separate spinlock_t
 * of "idpf: fix PREEMPT_RT raw/bh spinlock nesting"), exec re-initialises its completion
 * before it unlocks, reply_sz is the descriptor's data_len (also for the async handler),
 * vc_event_task shuts the manager down before it takes vport_ctrl_lock, the init error path
 * cancels the mailbox task before it deinitialises the mailbox, and an async transaction has a
 * timeout after which the mailbox task reclaims it.
 *
 * Execution contexts are generator functions that `yield` where the C code can be preempted at
 * lock grain: one per caller of idpf_vc_xn_exec (`caller0`, ...), the mailbox receive task
 * (`rx`) and the reset worker (`reset`). The seams the adapter drives: the control plane (the
 * send queue, its replies, its resets), the clock (jiffies), the timers that fire on it, and
 * the environment's choice of how idpf_vc_core_init's exchange ends.
 *
 * Ghost data (harness instrumentation, not in the C code, marked `ghost_`): request ids carried
 * as the message payload the control plane echoes, the request holding a transaction and the
 * request (and data_len) whose reply completed it. They only fill the outputs.
 */
import {
  BLOCKED,
  ExecutionContexts,
  waitAt,
  type Preemptible,
} from '../harness/execution-contexts.ts';
import {
  NotEnabledError,
  type DriverAdapter,
  type DriverDefinition,
  type DriverVariant,
} from '../src/testgen/conform.ts';
import type { Output } from '../src/model/model.ts';
import { replyLengths } from '../src/model/device.ts';
import type { VectorEvent } from '../src/testgen/vectors.ts';

const EIO = 5;
const ENXIO = 6;
const EBUSY = 16;
const EINVAL = 22;
const ENOSPC = 28;
const ETIME = 62;
const UINT_MAX = 0xffffffff;
/** The one virtchnl opcode every request uses; a `wrongop` reply carries another one. */
const VIRTCHNL2_OP_X = 500;
const IDPF_CTLQ_MAX_BUF_LEN = 4096;
/** sizeof() of the reply every caller (and the MAC filter handler) expects. */
const EXPECTED = 16;
/** vport_ctrl_lock held by the reset worker. */
const RESET_WORKER = -2;

type idpf_vc_xn_state =
  'IDLE' | 'WAITING' | 'ASYNC' | 'COMPLETED_SUCCESS' | 'COMPLETED_FAILED' | 'SHUTDOWN';

interface completion {
  done: number;
}

interface idpf_vc_xn {
  state: idpf_vc_xn_state;
  salt: number;
  idx: number;
  vc_op: number;
  completed: completion;
  /** Whether an async handler is attached (async_handler != NULL). */
  async_handler: boolean;
  reply_sz: number;
  /** The async timeout of the default (jiffies), or null. */
  async_expires: number | null;
  ghost_holder: number;
  ghost_answer: number;
  ghost_answer_len: number;
}

interface idpf_vc_xn_manager {
  ring: idpf_vc_xn[];
  free_xn_bm: boolean[];
  salt: number;
}

/** A message on the mailbox: the cookie, the opcode, retval, data_len, and the ghost payload. */
interface ctlq_msg {
  cookie: number;
  opcode: number;
  retval: number;
  data_len: number;
  ghost_req: number;
  ghost_async: boolean;
}

type ReplyKind = 'ok' | 'error' | 'wrongop';

/** What the control plane holds: a request, or a copy of a reply it already sent. */
interface PendingRequest {
  cookie: number;
  req: number;
  async: boolean;
  /** null: the request itself; set: a duplicate reply still to come. */
  copy: { kind: ReplyKind; data_len: number } | null;
  /**
   * The control plane still owes this request its answer within the latency: false once it
   * chose to answer late, or once the mailbox task was cancelled (the reply then waits in the
   * ARQ for nobody).
   */
  due: boolean;
  /** Ghost: `ghost_pops` just after its request popped its transaction (the replyDelay assumption). */
  popped: number;
}

const LENGTHS: Record<string, number> = {
  exact: EXPECTED,
  short: EXPECTED - 1,
  long: EXPECTED + 1,
  zero: 0,
  max: IDPF_CTLQ_MAX_BUF_LEN,
};
function lenName(n: number): string {
  if (n === 0) return 'zero';
  if (n === IDPF_CTLQ_MAX_BUF_LEN) return 'max';
  return n < EXPECTED ? 'short' : n === EXPECTED ? 'exact' : 'long';
}

export const IDPF_XN_DRIVER_VARIANTS: DriverVariant[] = [
  {
    name: 'salt-check-unlocked',
    description: 'Linux 6.9 as written: forward_reply compares xn->salt before idpf_vc_xn_lock',
    source: 'idpf_virtchnl.c (6.9) idpf_vc_xn_forward_reply; fixed Aug 2024',
  },
  {
    name: 'complete-after-unlock',
    description: 'Linux 6.9 as written: forward_reply unlocks, then calls complete()',
    source: 'idpf_virtchnl.c (6.9) idpf_vc_xn_forward_reply out_unlock',
  },
  {
    name: 'reinit-after-unlock',
    description: 'as written: exec unlocks the transaction, then calls reinit_completion()',
    source: 'idpf_virtchnl.c idpf_vc_xn_exec',
  },
  {
    name: 'reply-size-from-buffer',
    description: 'Linux 6.9 as written: reply_sz is the receive buffer size, not data_len',
    source: 'idpf_virtchnl.c (6.9) forward_reply "payload_size = ...payload->size"; fixed Sep 2024',
  },
  {
    name: 'async-reply-size-unset',
    description: 'Linux 6.9 as written: the async handler sees reply_sz 0',
    source: 'idpf_virtchnl.c (6.9) forward_async; fixed Mar 2026',
  },
  {
    name: 'handler-under-raw-lock',
    description: "Linux 6.9 as written: the transaction lock is the completion's raw wait.lock",
    source: 'idpf_virtchnl.c (6.9) idpf_vc_xn_lock; fixed Mar 2026',
  },
  {
    name: 'reset-after-vport-lock',
    description: 'Linux 6.9 as written: vc_event_task takes vport_ctrl_lock before the shutdown',
    source: 'idpf_lib.c (6.9) idpf_vc_event_task; fixed May 2025',
  },
  {
    name: 'init-error-deinit-before-cancel',
    description:
      'Linux 6.9 as written: vc_core_init error path deinits the mailbox, mbx_task queued (needs a failed init)',
    source: 'idpf_virtchnl.c (6.9) idpf_vc_core_init; CVE-2024-53064',
    killBounds: { initFailures: 1 },
  },
  {
    name: 'async-never-reclaimed',
    description: 'Linux 6.9 as written: an async transaction has no timeout',
    source: 'idpf_virtchnl.c (6.9) idpf_vc_xn_exec',
  },
  {
    name: 'cookie-index-only',
    description:
      'the cookie carries only the index, forward_reply checks no salt (needs a reply that outlives its waiter)',
    source: 'cover letter: "Without the salt we would have no way of knowing"',
    killBounds: { late: 1 },
  },
  {
    name: 'opcode-only-matching',
    description: 'before the manager: a reply goes to the first transaction busy on its opcode',
    source: 'idpf_virtchnl.c before the series, idpf_recv_mb_msg',
  },
  {
    name: 'async-not-freed',
    description: 'idpf_vc_xn_forward_async runs the handler but does not push_free',
    source: 'idpf_vc_xn_forward_async release_bufs removed',
  },
  {
    name: 'pop-free-unlocked',
    description: 'idpf_vc_xn_pop_free: find_first_bit and clear_bit without xn_bm_lock',
    source: 'idpf_vc_xn_pop_free spin_lock_bh(xn_bm_lock) removed',
  },
  {
    name: 'timeout-returns-eio',
    description: 'code only: a timed-out WAITING transaction returns -EIO instead of -ETIME',
    source: 'code only (idpf_vc_xn_exec: "case IDPF_VC_XN_WAITING: retval = -ETIME")',
  },
  {
    name: 'enxio-frees',
    description: 'code only: the SHUTDOWN check at send time pushes the transaction back free',
    source: 'code only (idpf_vc_xn_exec: "goto only_unlock" skips push_free)',
  },
  {
    name: 'stats-cancel-no-sync',
    description:
      'code only: idpf_deinit_task cancels the stats task with cancel_delayed_work(), not _sync: the reset goes on while a stats exec is still inside idpf_vc_xn_exec',
    source:
      'code only (idpf_lib.c idpf_deinit_task: "cancel_delayed_work_sync(&adapter->stats_task)")',
  },
  {
    name: 'detect-during-reset',
    description:
      'code only: idpf_service_task queues vc_event_task on a detected reset without checking idpf_is_reset_in_prog(), so it can run again during the reset it is handling',
    source:
      'code only (idpf_lib.c idpf_service_task: "if (idpf_is_reset_detected(adapter) && !idpf_is_reset_in_prog(adapter) ...")',
  },
];

function createIdpfXnDriver(variants: ReadonlySet<string>): DriverAdapter {
  const has = (name: string) => variants.has(name);
  let bounds: Readonly<Record<string, number>> = {};
  let SALT_MASK = 1;
  let vcxn_mngr!: idpf_vc_xn_manager;
  let jiffies = 0;
  const contexts = new ExecutionContexts();
  let outputs: Output[] = [];

  /* ---------- adapter state (struct idpf_adapter) ---------- */
  /** adapter->hw.arq/asq initialised. */
  let mbx = true;
  /** adapter->mbx_task pending. */
  let mbx_task = true;
  /** vport_ctrl_lock: the caller holding it, RESET_WORKER, or -1. */
  let vport_ctrl_lock = -1;
  /** IDPF_HR_FUNC_RESET / DRV_LOAD / RESET_IN_PROG. */
  let reset_in_prog = false;
  /** idpf_deinit_task has cancelled the stats task and stopped the vports. */
  let vports_down = false;
  /** Per caller: the jiffies wait_for_completion_timeout's timer expires at, or null. */
  let wait_expires: Array<number | null> = [];

  /* ---------- the control plane (the environment) ---------- */
  let mailbox: PendingRequest[] = [];
  let device_in_reset = false;
  /** jiffies after which the device may come out of reset. */
  let device_back_after = 0;
  /** How the next idpf_vc_core_init exchange ends (set by the adapter). */
  let core_init_fails = false;
  /** The control plane's repertoire and what is left of its fault budgets (the bounds'). */
  let reply_kinds: ReplyKind[] = ['ok'];
  let reply_lengths: string[] = ['exact'];
  const faults = { lost: 0, duplicate: 0, late: 0, reset: 0, initFailures: 0 };

  /* ---------- ghost request ids (lowest id nothing refers to, as the model's) ---------- */
  let callerReq: number[] = [];
  let callerAsync: boolean[] = [];
  /** The transaction each caller popped (harness bookkeeping for the wait's seams). */
  let callerXn: Array<idpf_vc_xn | null> = [];
  let rxReq = -1;
  /** Ghost: allocations so far, and each caller's stamp after its own (replyDelay). */
  let ghost_pops = 0;
  let callerPopped: number[] = [];
  /** Ghost: the stamp of the message the receive task holds, while it holds one. */
  let rxPopped = 0;
  function freshId(): number {
    const used = new Set<number>();
    for (const r of callerReq) if (r >= 0) used.add(r);
    for (const xn of vcxn_mngr.ring) {
      if (xn.ghost_holder >= 0) used.add(xn.ghost_holder);
      if (xn.ghost_answer >= 0) used.add(xn.ghost_answer);
    }
    for (const m of mailbox) used.add(m.req);
    if (rxReq >= 0) used.add(rxReq);
    let id = 0;
    while (used.has(id)) id++;
    return id;
  }

  /* ---------- locks: at step grain a lock is held only inside one step ---------- */
  const idpf_vc_xn_lock = (_xn: idpf_vc_xn) => {};
  const idpf_vc_xn_unlock = (_xn: idpf_vc_xn) => {};
  const spin_lock_bh = () => {};
  const spin_unlock_bh = () => {};
  /** The lock class the transaction lock has: 6.9's completion wait.lock is a raw spinlock. */
  const XN_LOCK_CLASS = has('handler-under-raw-lock') ? 'raw' : 'spin';

  function complete(c: completion): void {
    if (c.done !== UINT_MAX) c.done++;
  }
  function complete_all(c: completion): void {
    c.done = UINT_MAX;
  }
  function reinit_completion(c: completion): void {
    c.done = 0;
  }
  /** time_after(jiffies, expires). */
  const time_after = (expires: number | null) => expires !== null && jiffies > expires;

  /* ---------- the transaction manager ---------- */

  /** idpf_vc_xn_release_bufs. */
  function idpf_vc_xn_release_bufs(xn: idpf_vc_xn): void {
    if (xn.state !== 'SHUTDOWN') xn.state = 'IDLE';
  }

  function idpf_vc_xn_init(): void {
    for (let i = 0; i < bounds.ringSize; i++) {
      const xn = vcxn_mngr.ring[i];
      xn.state = 'IDLE';
      xn.idx = i;
      idpf_vc_xn_release_bufs(xn);
      reinit_completion(xn.completed); // init_completion
      xn.async_handler = false;
      xn.async_expires = null;
      xn.ghost_holder = -1;
      xn.ghost_answer = -1;
    }
    vcxn_mngr.free_xn_bm = vcxn_mngr.ring.map(() => true); // bitmap_fill
  }

  /** idpf_vc_xn_release_bufs + set_bit. */
  function idpf_vc_xn_push_free(xn: idpf_vc_xn): void {
    idpf_vc_xn_release_bufs(xn);
    xn.async_handler = false;
    xn.async_expires = null;
    xn.ghost_holder = -1;
    xn.ghost_answer = -1;
    vcxn_mngr.free_xn_bm[xn.idx] = true;
  }

  function find_first_bit(): number {
    return vcxn_mngr.free_xn_bm.findIndex((bit) => bit);
  }

  function claim(c: number, free_idx: number): idpf_vc_xn {
    vcxn_mngr.free_xn_bm[free_idx] = false; // clear_bit
    const xn = vcxn_mngr.ring[free_idx];
    xn.salt = vcxn_mngr.salt;
    vcxn_mngr.salt = (vcxn_mngr.salt + 1) & SALT_MASK;
    const req = freshId();
    callerReq[c] = req;
    callerPopped[c] = ++ghost_pops;
    callerXn[c] = xn;
    xn.ghost_holder = req;
    xn.ghost_answer = -1;
    return xn;
  }

  /** idpf_vc_xn_pop_free: the lowest free transaction, or null. */
  function* idpf_vc_xn_pop_free(c: number): Preemptible<idpf_vc_xn | null> {
    if (has('pop-free-unlocked')) {
      const free_idx = find_first_bit();
      if (free_idx < 0) return null;
      yield 'CLAIMING'; // another caller can find the same bit
      return claim(c, free_idx);
    }
    spin_lock_bh();
    const free_idx = find_first_bit();
    const xn = free_idx < 0 ? null : claim(c, free_idx);
    spin_unlock_bh();
    return xn;
  }

  /** idpf_is_reset_detected: the receive queue is gone, or its length register reads 0. */
  const idpf_is_reset_detected = () => !mbx || device_in_reset;

  /** idpf_send_mb_msg -> idpf_ctlq_send. */
  function idpf_send_mb_msg(xn: idpf_vc_xn, async: boolean, c: number): number {
    // "If we are here and a reset is detected nothing much can be done": return 0, send nothing.
    if (idpf_is_reset_detected()) return 0;
    if (mailbox.filter((m) => m.copy === null).length >= bounds.inFlight) return -EBUSY;
    const cookie = has('cookie-index-only') ? xn.idx : (xn.salt << 8) | xn.idx;
    mailbox.push({
      cookie,
      req: callerReq[c],
      async,
      copy: null,
      due: bounds.latency > 0,
      popped: callerPopped[c],
    });
    return 0;
  }

  /** wait_for_completion_timeout: 0 on timeout, else the time left (at least 1). */
  function* wait_for_completion_timeout(c: number, x: completion): Preemptible<number> {
    wait_expires[c] = jiffies + bounds.timeout;
    yield 'WAITING';
    // Woken by complete()/complete_all(), or by the timer (the adapter's TIMEOUT).
    while (x.done === 0 && !timerFired[c]) yield BLOCKED;
    if (x.done === 0) return 0;
    if (x.done !== UINT_MAX) x.done--;
    return Math.max(1, (wait_expires[c] ?? 0) - jiffies);
  }
  /** Per caller: the adapter fired wait_for_completion_timeout's timer. */
  let timerFired: boolean[] = [];

  /** idpf_vc_xn_exec: returns the reply size, 0 (async sent) or a negative errno. */
  function* idpf_vc_xn_exec(c: number, async: boolean): Preemptible<number> {
    const xn = yield* idpf_vc_xn_pop_free(c);
    if (!xn) return -ENOSPC;
    yield 'ARMING';
    idpf_vc_xn_lock(xn);
    if (xn.state === 'SHUTDOWN') {
      if (has('enxio-frees')) idpf_vc_xn_push_free(xn);
      emitReturn(c, async, -ENXIO, xn);
      xn.ghost_holder = -1;
      idpf_vc_xn_unlock(xn);
      return -ENXIO;
    }
    xn.reply_sz = 0;
    xn.ghost_answer = -1;
    xn.ghost_answer_len = 0;
    xn.state = async ? 'ASYNC' : 'WAITING';
    xn.vc_op = VIRTCHNL2_OP_X;
    xn.async_handler = async;
    // The fix: re-initialise the completion before the unlock, where shutdown cannot yet
    // have signalled it.
    if (!async && !has('reinit-after-unlock')) reinit_completion(xn.completed);
    idpf_vc_xn_unlock(xn);
    yield 'SENDING';
    if (!async && has('reinit-after-unlock')) reinit_completion(xn.completed);
    let retval = idpf_send_mb_msg(xn, async, c);
    if (retval) {
      idpf_vc_xn_lock(xn);
      emitReturn(c, async, retval, xn);
      idpf_vc_xn_push_free(xn);
      idpf_vc_xn_unlock(xn);
      return retval;
    }
    if (async) {
      if (!has('async-never-reclaimed') && xn.state === 'ASYNC')
        xn.async_expires = jiffies + bounds.timeout;
      emitReturn(c, async, 0, xn);
      return 0;
    }

    timerFired[c] = false;
    const left = yield* wait_for_completion_timeout(c, xn.completed);
    if (left) outputs.push({ type: 'wake', caller: c, req: callerReq[c], idx: xn.idx });
    yield 'CHECKING';
    idpf_vc_xn_lock(xn);
    // Read again: the receive task or the shutdown changed it while this caller slept.
    switch (xn.state as idpf_vc_xn_state) {
      case 'SHUTDOWN':
        retval = -ENXIO;
        emitReturn(c, async, retval, xn);
        xn.ghost_holder = -1;
        xn.ghost_answer = -1;
        idpf_vc_xn_unlock(xn); // only_unlock: not pushed back
        return retval;
      case 'WAITING':
        retval = has('timeout-returns-eio') ? -EIO : -ETIME;
        break;
      case 'COMPLETED_SUCCESS':
        retval = xn.reply_sz;
        break;
      default: // COMPLETED_FAILED, or WARN_ON_ONCE
        retval = -EIO;
        break;
    }
    emitReturn(c, async, retval, xn);
    idpf_vc_xn_push_free(xn);
    idpf_vc_xn_unlock(xn);
    return retval;
  }

  /**
   * idpf_mac_filter_async_handler: a success returns at once; an error with a payload at least
   * struct_size(ma_list, ...) removes the failed filters under mac_filter_list_lock.
   */
  function idpf_mac_filter_async_handler(xn: idpf_vc_xn, msg: ctlq_msg): string {
    if (!msg.retval) return 'ok';
    if (xn.reply_sz < EXPECTED) return 'invalid_payload';
    spin_lock_bh(); // mac_filter_list_lock: a spinlock_t, under the transaction lock
    spin_unlock_bh();
    return 'reconciled';
  }

  /** idpf_vc_xn_forward_async: the handler runs unless the opcode mismatches; then free. */
  function idpf_vc_xn_forward_async(xn: idpf_vc_xn, msg: ctlq_msg): string {
    let result = 'FREED';
    if (msg.opcode !== xn.vc_op) {
      xn.reply_sz = 0;
    } else if (xn.async_handler) {
      result = idpf_mac_filter_async_handler(xn, msg);
    }
    if (!has('async-not-freed')) idpf_vc_xn_push_free(xn);
    return result;
  }

  /** The routing: the cookie's index, or before the manager the first busy transaction. */
  function route(msg: ctlq_msg): number {
    if (has('opcode-only-matching'))
      return vcxn_mngr.ring.findIndex((xn) => xn.state === 'WAITING' || xn.state === 'ASYNC');
    return msg.cookie & 0xff;
  }

  function emitReply(
    idx: number,
    msg: ctlq_msg,
    kind: ReplyKind,
    verdict: string,
    effect: string,
    handler = 'none',
  ): void {
    outputs.push({
      type: 'reply',
      idx,
      answers: msg.ghost_req,
      holder: idx < 0 ? -1 : vcxn_mngr.ring[idx].ghost_holder,
      async: msg.ghost_async,
      kind,
      len: lenName(msg.data_len),
      verdict,
      effect,
      handler,
      lock: effect === 'CALLBACK' ? XN_LOCK_CLASS : null,
    });
  }

  /** idpf_vc_xn_forward_reply, with the fixes unless the as-written variants are on. */
  function* idpf_vc_xn_forward_reply(msg: ctlq_msg, kind: ReplyKind): Preemptible<number> {
    const xn_idx = route(msg);
    if (xn_idx < 0) {
      emitReply(-1, msg, kind, 'no_waiter', 'NONE');
      return -EINVAL;
    }
    const xn = vcxn_mngr.ring[xn_idx];
    const salt = msg.cookie >> 8;
    const checkSalt = !has('cookie-index-only') && !has('opcode-only-matching');
    if (has('salt-check-unlocked')) {
      if (checkSalt && xn.salt !== salt) {
        emitReply(xn_idx, msg, kind, 'salt_mismatch', 'NONE');
        return -EINVAL;
      }
      yield 'SALT_CHECKED';
      idpf_vc_xn_lock(xn);
    } else {
      idpf_vc_xn_lock(xn);
      if (checkSalt && xn.salt !== salt) {
        emitReply(xn_idx, msg, kind, 'salt_mismatch', 'NONE');
        idpf_vc_xn_unlock(xn);
        return -EINVAL;
      }
    }
    let err = 0;
    const verdict = xn.state;
    switch (xn.state) {
      case 'WAITING': {
        if (msg.opcode !== xn.vc_op || msg.retval) {
          xn.reply_sz = 0;
          xn.state = 'COMPLETED_FAILED';
          err = -EINVAL;
        } else {
          const payload_size = !msg.data_len
            ? 0
            : has('reply-size-from-buffer')
              ? IDPF_CTLQ_MAX_BUF_LEN // ctlq_msg->ctx.indirect.payload->size
              : msg.data_len;
          xn.reply_sz = payload_size;
          xn.ghost_answer_len = msg.data_len;
          xn.state = 'COMPLETED_SUCCESS';
        }
        xn.ghost_answer = msg.ghost_req;
        emitReply(xn_idx, msg, kind, verdict, xn.state);
        break;
      }
      case 'IDLE': // "Unexpected or belated VC reply"
        emitReply(xn_idx, msg, kind, verdict, 'NONE');
        err = -EINVAL;
        break;
      case 'SHUTDOWN':
        emitReply(xn_idx, msg, kind, verdict, 'NONE');
        err = -ENXIO;
        break;
      case 'ASYNC': {
        // The fix: the handler gets the payload's size (6.9 left exec's 0 there).
        if (!has('async-reply-size-unset')) xn.reply_sz = msg.data_len;
        const holder = xn.ghost_holder;
        const result = idpf_vc_xn_forward_async(xn, msg);
        outputs.push({
          type: 'reply',
          idx: xn_idx,
          answers: msg.ghost_req,
          holder,
          async: msg.ghost_async,
          kind,
          len: lenName(msg.data_len),
          verdict,
          effect: result === 'FREED' ? 'FREED' : 'CALLBACK',
          handler: result === 'FREED' ? 'none' : result,
          lock: result === 'FREED' ? null : XN_LOCK_CLASS,
        });
        idpf_vc_xn_unlock(xn);
        return err;
      }
      default: // "Overwriting VC reply"
        emitReply(xn_idx, msg, kind, verdict, 'NONE');
        err = -EBUSY;
        break;
    }
    if (has('complete-after-unlock')) {
      idpf_vc_xn_unlock(xn);
      yield 'SIGNALLING'; // "we _cannot_ hold lock while calling complete"
      complete(xn.completed);
    } else {
      complete(xn.completed); // the fix: signalled inside the critical section
      idpf_vc_xn_unlock(xn);
    }
    return err;
  }

  /** The mailbox task's async timeout scan (the default's fix), for one transaction. */
  function idpf_vc_xn_reclaim_async(xn: idpf_vc_xn): void {
    idpf_vc_xn_lock(xn);
    outputs.push({ type: 'reclaim', idx: xn.idx, holder: xn.ghost_holder });
    idpf_vc_xn_push_free(xn);
    idpf_vc_xn_unlock(xn);
  }

  /** idpf_vc_xn_shutdown, one transaction per preemption point (`at` names the loop). */
  function* idpf_vc_xn_shutdown(at: string): Preemptible {
    spin_lock_bh();
    vcxn_mngr.free_xn_bm = vcxn_mngr.ring.map(() => false); // bitmap_zero
    spin_unlock_bh();
    for (let i = 0; i < bounds.ringSize; i++) {
      yield at;
      const xn = vcxn_mngr.ring[i];
      idpf_vc_xn_lock(xn);
      xn.state = 'SHUTDOWN';
      idpf_vc_xn_release_bufs(xn);
      xn.async_expires = null;
      idpf_vc_xn_unlock(xn);
      complete_all(xn.completed);
    }
  }

  /* ---------- the mailbox and the reset worker (idpf_lib.c) ---------- */

  /** idpf_deinit_dflt_mbx, after trigger_reset: the control queues and what they held go. */
  function idpf_deinit_dflt_mbx(): void {
    outputs.push({ type: 'mbx_deinit', taskPending: mbx_task });
    device_in_reset = true; // reg_ops->trigger_reset
    device_back_after = jiffies;
    mbx = false;
    mailbox = [];
  }

  /** The stats task (a sync caller outside vport_ctrl_lock) is inside idpf_vc_xn_exec. */
  const stats_in_exec = () =>
    callerReq.some((req, k) => k >= bounds.ctrlCallers && req >= 0 && !callerAsync[k]);

  /** idpf_vc_core_deinit (6.9 order where it matters here). */
  function* idpf_vc_core_deinit(): Preemptible {
    if (has('reset-after-vport-lock')) yield* idpf_vc_xn_shutdown('DEINIT_SHUTDOWN');
    // idpf_deinit_task: cancel_delayed_work_sync(&stats_task) waits for a stats exec in flight
    // (the stats-cancel-no-sync twin's cancel_delayed_work() does not), and the vports go
    // down; then cancel_delayed_work_sync(&mbx_task) waits for a receive in progress.
    yield* waitAt(
      'CANCELLING',
      () => (has('stats-cancel-no-sync') || !stats_in_exec()) && !contexts.isRunning('rx'),
    );
    vports_down = true;
    mbx_task = false;
  }

  /** idpf_vc_core_init after idpf_vc_xn_init: the VERSION/GET_CAPS exchange, and init_failed. */
  function* idpf_vc_core_init(): Preemptible<number> {
    yield 'REINITIALISING';
    idpf_vc_xn_init();
    yield 'CORE_INIT';
    if (!core_init_fails) return 0;
    // init_failed: "Retry to initialize the mailbox again"
    yield* idpf_vc_xn_shutdown('INIT_FAILED');
    if (has('init-error-deinit-before-cancel')) {
      yield 'FAIL_DEINIT';
      idpf_deinit_dflt_mbx();
    }
    return -EAGAIN;
  }
  const EAGAIN = 11;

  /** idpf_init_hard_reset (FUNC_RESET, or DRV_LOAD on a retry). */
  function* idpf_init_hard_reset(drvLoad: boolean): Preemptible {
    yield* waitAt(drvLoad ? 'RELOCKING' : 'LOCKING', () => vport_ctrl_lock === -1);
    vport_ctrl_lock = RESET_WORKER;
    if (!drvLoad) {
      yield* idpf_vc_core_deinit();
      yield 'DEINITIALISING';
      idpf_deinit_dflt_mbx();
    } else {
      device_in_reset = true; // trigger_reset(IDPF_HR_DRV_LOAD)
    }
    // idpf_check_reset_complete, then idpf_init_dflt_mbx and queue_delayed_work(mbx_task, 0).
    yield* waitAt('WAIT_DEVICE', () => jiffies > device_back_after);
    device_in_reset = false;
    mbx = true;
    mbx_task = true;
    const err = yield* idpf_vc_core_init();
    if (err) {
      if (!has('init-error-deinit-before-cancel')) {
        // cancel_delayed_work_sync(&mbx_task): waits for a receive in progress.
        yield* waitAt('FAIL_CANCELLING', () => !contexts.isRunning('rx'));
        mbx_task = false;
        yield 'FAIL_DEINIT';
        idpf_deinit_dflt_mbx();
      }
      yield 'UNLOCKING';
      vport_ctrl_lock = -1;
      return; // vc_event_task (DRV_LOAD) is queued again
    }
    vport_ctrl_lock = -1;
    reset_in_prog = false;
    vports_down = false; // idpf_init_task brings the vports back
  }

  /** idpf_vc_event_task. */
  function* idpf_vc_event_task(drvLoad: boolean): Preemptible {
    if (!drvLoad && !has('reset-after-vport-lock')) yield* idpf_vc_xn_shutdown('SHUTTING_DOWN');
    yield* idpf_init_hard_reset(drvLoad);
  }

  /* ---------- outputs ---------- */

  function rcName(async: boolean, rc: number): string {
    if (rc >= 0) return async ? 'OK' : 'SIZE';
    switch (-rc) {
      case ETIME:
        return 'ETIME';
      case EIO:
        return 'EIO';
      case ENXIO:
        return 'ENXIO';
      case ENOSPC:
        return 'ENOSPC';
      case EBUSY:
        return 'ESEND';
      default:
        return `E${-rc}`;
    }
  }

  /** exec_return, as the caller sees it at its return site. */
  function emitReturn(c: number, async: boolean, rc: number, xn: idpf_vc_xn | null): void {
    const size = !async && rc >= 0 && xn ? lenName(xn.reply_sz) : null;
    const waited = !async && xn !== null && rc !== -EBUSY && wait_expires[c] !== null;
    outputs.push({
      type: 'exec_return',
      caller: c,
      req: xn ? callerReq[c] : -1,
      async,
      rc: rcName(async, rc),
      expired: waited ? time_after(wait_expires[c]) : false,
      answer: waited ? xn.ghost_answer : -1,
      xnState: xn ? xn.state : 'IDLE',
      size,
      sent: size === null ? null : lenName(xn!.ghost_answer_len),
    });
  }

  /* ---------- the adapter ---------- */

  function finishExec(c: number, async: boolean, rc: number): void {
    if (rc === -ENOSPC) emitReturn(c, async, rc, null);
    callerReq[c] = -1;
    callerXn[c] = null;
    wait_expires[c] = null;
    if (vport_ctrl_lock === c) vport_ctrl_lock = -1; // mutex_unlock(&adapter->vport_ctrl_lock)
  }

  function runCaller(c: number, async: boolean): void {
    if (c < bounds.ctrlCallers) vport_ctrl_lock = c; // mutex_lock (enabled: it was free)
    callerAsync[c] = async;
    wait_expires[c] = null;
    const result = contexts.start(`caller${c}`, idpf_vc_xn_exec(c, async));
    if (result.done) finishExec(c, async, result.value);
  }

  function advanceCaller(c: number, at: string): void {
    const result = contexts.advanceFrom<number>(`caller${c}`, at);
    if (result.done) finishExec(c, callerAsync[c], result.value);
  }

  function advanceRx(at: string): void {
    if (contexts.advanceFrom('rx', at).done) rxReq = -1;
  }

  /** vc_event_task (DRV_LOAD) is queued after a failed idpf_vc_core_init. */
  let awaitingRetry = false;

  /** The message the control plane holds for request `req` (or a copy of its reply). */
  function takeMessage(req: number, copy: boolean): PendingRequest {
    const i = mailbox.findIndex((m) => m.req === req && (m.copy !== null) === copy);
    if (i < 0) throw new Error(`the control plane holds nothing for request ${req}`); // enabled() said it did
    const [message] = mailbox.splice(i, 1);
    return message;
  }

  /* ---------- what can happen now: enabled() lists it, apply() takes nothing else ---------- */

  /**
   * The environment's replyDelay assumption (0: none): a new allocation is made only while
   * every request that can still be answered (held, or a reply on its way or in the receive
   * task's hands) and every caller between its pop and its send has seen fewer than
   * `replyDelay` allocations since its own. Counted on the harness's ghost stamps.
   */
  function canAllocate(): boolean {
    if (!bounds.replyDelay) return true;
    const stamps = mailbox.map((m) => m.popped);
    if (contexts.isRunning('rx')) stamps.push(rxPopped);
    for (let c = 0; c < bounds.callers; c++) {
      const at = contexts.at(`caller${c}`);
      if (at === 'ARMING' || at === 'SENDING') stamps.push(callerPopped[c]);
    }
    return stamps.every((stamp) => ghost_pops - stamp < bounds.replyDelay);
  }

  /**
   * A call of idpf_vc_xn_exec can start: the caller is not in exec, a netdev op (sync) gets
   * vport_ctrl_lock, the stats task and the MAC filter sync run only while the vports are up;
   * and where the pop allocates in this step, the environment's assumption allows it.
   */
  function canCall(c: number, async: boolean): boolean {
    if (contexts.isRunning(`caller${c}`)) return false;
    const mayEnter = c < bounds.ctrlCallers ? !async && vport_ctrl_lock === -1 : !vports_down;
    const allocates = !has('pop-free-unlocked') && find_first_bit() >= 0;
    return mayEnter && (!allocates || canAllocate());
  }

  /** idpf_service_task: "HW reset detected" queues vc_event_task (FUNC_RESET). */
  const service_task_detects = () =>
    idpf_is_reset_detected() && (has('detect-during-reset') || !reset_in_prog);

  /** The reset worker's preemption points, and the step each one takes next. */
  const RESET_STEPS: Record<string, string> = {
    SHUTTING_DOWN: 'SHUTDOWN_XN',
    DEINIT_SHUTDOWN: 'SHUTDOWN_XN',
    INIT_FAILED: 'SHUTDOWN_XN',
    LOCKING: 'CTRL_LOCK',
    RELOCKING: 'CTRL_LOCK',
    CANCELLING: 'CANCEL_MBX',
    FAIL_CANCELLING: 'CANCEL_MBX',
    DEINITIALISING: 'DEINIT_MBX',
    FAIL_DEINIT: 'DEINIT_MBX',
    WAIT_DEVICE: 'DEVICE_READY',
    REINITIALISING: 'REINIT',
    CORE_INIT: 'CORE_INIT_OK',
    UNLOCKING: 'CTRL_UNLOCK',
  };

  /** Every input the driver and its fake control plane can take now, except a tick. */
  function enabledNow(): VectorEvent[] {
    const list: VectorEvent[] = [];
    // The callers: a new exec, or the step after the preemption point each one is at.
    for (let c = 0; c < bounds.callers; c++) {
      const at = contexts.at(`caller${c}`);
      if (at === null) {
        if (canCall(c, false)) list.push({ type: 'EXEC', caller: c, async: false });
        if (canCall(c, true)) list.push({ type: 'EXEC', caller: c, async: true });
      } else if (at === 'CLAIMING' && canAllocate()) list.push({ type: 'CLAIM', caller: c });
      else if (at === 'ARMING') list.push({ type: 'ARM', caller: c });
      else if (at === 'SENDING') list.push({ type: 'SEND', caller: c });
      else if (at === 'CHECKING') list.push({ type: 'CHECK', caller: c });
      else if (at === 'WAITING') {
        const done = callerXn[c]?.completed.done ?? 0;
        if (done !== 0) list.push({ type: 'WAKE', caller: c });
        else if (time_after(wait_expires[c])) list.push({ type: 'TIMEOUT', caller: c });
      }
    }
    // The mailbox task: inside forward_reply (the as-written splits), or idle, when the
    // control plane can answer, lose or delay what it holds and the async timeout can fire.
    const rxAt = contexts.at('rx');
    if (rxAt === 'SALT_CHECKED') list.push({ type: 'FORWARD' });
    if (rxAt === 'SIGNALLING') list.push({ type: 'COMPLETE' });
    if (rxAt === null) {
      const polls = mbx && mbx_task;
      for (const m of mailbox) {
        if (m.copy) {
          if (polls) {
            const { kind, data_len } = m.copy;
            list.push({
              type: 'REPLY',
              req: m.req,
              copy: true,
              kind,
              len: lenName(data_len),
              duplicate: false,
            });
          }
          continue;
        }
        for (const kind of polls ? reply_kinds : []) {
          for (const len of kind === 'wrongop' ? ['exact'] : reply_lengths) {
            list.push({ type: 'REPLY', req: m.req, copy: false, kind, len, duplicate: false });
            if (faults.duplicate > 0)
              list.push({ type: 'REPLY', req: m.req, copy: false, kind, len, duplicate: true });
          }
        }
        if (faults.lost > 0) list.push({ type: 'LOSE', req: m.req });
        if (faults.late > 0 && m.due) list.push({ type: 'LATE', req: m.req });
      }
      if (polls && !has('async-never-reclaimed')) {
        vcxn_mngr.ring.forEach((xn, idx) => {
          if (xn.state === 'ASYNC' && time_after(xn.async_expires))
            list.push({ type: 'RECLAIM', idx });
        });
      }
    }
    // The reset: the control plane's own, a requested one, the service task's detection, the
    // event task, and the reset worker's next step where it does not wait.
    if (!reset_in_prog && !device_in_reset && faults.reset > 0)
      list.push({ type: 'DEVICE_RESET' }, { type: 'RESET_REQUEST' });
    if (service_task_detects()) list.push({ type: 'DETECT' });
    if (reset_in_prog && !contexts.isRunning('reset') && !awaitingRetry)
      list.push({ type: 'EVENT' });
    if (awaitingRetry) list.push({ type: 'RETRY' });
    const resetAt = contexts.at('reset');
    if (resetAt !== null && contexts.ready('reset')) {
      list.push({ type: RESET_STEPS[resetAt] });
      if (resetAt === 'CORE_INIT' && faults.initFailures > 0) list.push({ type: 'CORE_INIT_FAIL' });
    }
    return list;
  }

  const sameEvent = (a: VectorEvent, b: VectorEvent): boolean => {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every(
        (key) => (a as Record<string, unknown>)[key] === (b as Record<string, unknown>)[key],
      )
    );
  };

  /** Runs one input the caller checked is enabled. */
  function dispatch(event: VectorEvent): void {
    const c = typeof event.caller === 'number' ? event.caller : -1;
    switch (event.type) {
      case 'EXEC':
        runCaller(c, event.async === true);
        break;
      case 'CLAIM':
        advanceCaller(c, 'CLAIMING');
        break;
      case 'ARM':
        advanceCaller(c, 'ARMING');
        break;
      case 'SEND':
        advanceCaller(c, 'SENDING');
        break;
      case 'WAKE':
        advanceCaller(c, 'WAITING');
        break;
      case 'TIMEOUT':
        // The timer fires from expires + 1 on; a waiter that sees its completion returns >0.
        timerFired[c] = true;
        advanceCaller(c, 'WAITING');
        break;
      case 'CHECK':
        advanceCaller(c, 'CHECKING');
        break;
      case 'REPLY': {
        const request = takeMessage(event.req as number, event.copy === true);
        const kind = (request.copy?.kind ?? event.kind) as ReplyKind;
        const data_len = request.copy?.data_len ?? LENGTHS[event.len as string];
        if (event.duplicate === true) {
          faults.duplicate--;
          mailbox.push({ ...request, copy: { kind, data_len }, due: bounds.latency > 0 });
        }
        const msg: ctlq_msg = {
          cookie: request.cookie,
          opcode: kind === 'wrongop' ? VIRTCHNL2_OP_X + 1 : VIRTCHNL2_OP_X,
          retval: kind === 'error' ? -EIO : 0,
          data_len,
          ghost_req: request.req,
          ghost_async: request.async,
        };
        rxReq = request.req;
        rxPopped = request.popped;
        const result = contexts.start('rx', idpf_vc_xn_forward_reply(msg, kind));
        if (result.done) rxReq = -1;
        break;
      }
      case 'LOSE':
        faults.lost--;
        takeMessage(event.req as number, false);
        break;
      case 'LATE':
        // The control plane will answer after the waiter's timeout: nothing the driver sees.
        faults.late--;
        mailbox.find((m) => m.req === event.req && m.copy === null)!.due = false;
        break;
      case 'FORWARD':
        advanceRx('SALT_CHECKED');
        break;
      case 'COMPLETE':
        advanceRx('SIGNALLING');
        break;
      case 'RECLAIM':
        idpf_vc_xn_reclaim_async(vcxn_mngr.ring[event.idx as number]);
        break;
      case 'DEVICE_RESET':
        // An FLR or a control-plane reboot: the device drops the requests it holds.
        faults.reset--;
        device_in_reset = true;
        mailbox = mailbox.filter((m) => m.copy !== null);
        break;
      case 'RESET_REQUEST': // a driver-initiated reset (Tx timeout, ethtool)
        faults.reset--;
        reset_in_prog = true;
        break;
      case 'DETECT': // idpf_service_task: FUNC_RESET, vc_event_task queued
        reset_in_prog = true;
        break;
      case 'EVENT':
        contexts.start('reset', idpf_vc_event_task(false));
        break;
      case 'RETRY':
        awaitingRetry = false;
        contexts.start('reset', idpf_vc_event_task(true));
        break;
      case 'CORE_INIT_OK':
      case 'CORE_INIT_FAIL':
        if (event.type === 'CORE_INIT_FAIL') faults.initFailures--;
        core_init_fails = event.type === 'CORE_INIT_FAIL';
        contexts.advance('reset');
        break;
      default: {
        // SHUTDOWN_XN, CTRL_LOCK, CANCEL_MBX, DEINIT_MBX, DEVICE_READY, REINIT, CTRL_UNLOCK
        const at = contexts.at('reset');
        if (contexts.advance('reset').done && at === 'UNLOCKING') awaitingRetry = true;
      }
    }
  }

  return {
    reset(next) {
      bounds = next;
      SALT_MASK = 2 ** bounds.saltBits - 1;
      jiffies = 0;
      vcxn_mngr = {
        ring: Array.from({ length: bounds.ringSize }, (_, i) => ({
          state: 'IDLE' as const,
          salt: 0,
          idx: i,
          vc_op: 0,
          completed: { done: 0 },
          async_handler: false,
          reply_sz: 0,
          async_expires: null,
          ghost_holder: -1,
          ghost_answer: -1,
          ghost_answer_len: 0,
        })),
        free_xn_bm: [],
        salt: 0,
      };
      idpf_vc_xn_init();
      mbx = true;
      mbx_task = true;
      vport_ctrl_lock = -1;
      reset_in_prog = false;
      vports_down = false;
      mailbox = [];
      device_in_reset = false;
      device_back_after = 0;
      core_init_fails = false;
      reply_kinds = (bounds.error ?? 0) > 0 ? ['ok', 'error', 'wrongop'] : ['ok'];
      reply_lengths = replyLengths(bounds.lengths ?? 1);
      faults.lost = bounds.lost ?? 0;
      faults.duplicate = bounds.duplicate ?? 0;
      faults.late = bounds.late ?? 0;
      faults.reset = bounds.reset ?? 0;
      faults.initFailures = bounds.initFailures ?? 0;
      awaitingRetry = false;
      contexts.clear();
      callerReq = Array.from({ length: bounds.callers }, () => -1);
      callerAsync = Array.from({ length: bounds.callers }, () => false);
      callerXn = Array.from({ length: bounds.callers }, () => null);
      wait_expires = Array.from({ length: bounds.callers }, () => null);
      timerFired = Array.from({ length: bounds.callers }, () => false);
      rxReq = -1;
      ghost_pops = 0;
      callerPopped = Array.from({ length: bounds.callers }, () => 0);
      rxPopped = 0;
      return [];
    },
    enabled() {
      // From the driver's own state (where each context is paused, what its completion,
      // timers and locks say, whether the mailbox task runs) and its fake control plane's
      // (what it holds, its fault budgets); `tick` is never refused (the driver's jiffies).
      return enabledNow();
    },
    observe() {
      return {
        xn: vcxn_mngr.ring.map((xn) => xn.state),
        free: [...vcxn_mngr.free_xn_bm],
        ctrl: vport_ctrl_lock,
        mbx,
        mbxTask: mbx_task,
        vportsDown: vports_down,
      };
    },
    apply(event) {
      outputs = [];
      if (event.type === 'tick') {
        jiffies++;
        return outputs;
      }
      if (!enabledNow().some((e) => sameEvent(e, event)))
        throw new NotEnabledError(`${JSON.stringify(event)} is not possible now`);
      const taskPending = mbx_task;
      dispatch(event);
      // cancel_delayed_work_sync(&mbx_task): what the control plane holds now waits in the
      // ARQ for nobody, so it no longer owes an answer within the latency.
      if (taskPending && !mbx_task) for (const m of mailbox) m.due = false;
      return outputs;
    },
  };
}

export const idpfXnDriver: DriverDefinition = {
  protocol: 'idpf-xn',
  file: 'drivers/idpf-xn.ts',
  variants: IDPF_XN_DRIVER_VARIANTS,
  create: createIdpfXnDriver,
};
