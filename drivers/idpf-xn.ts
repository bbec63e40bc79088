/**
 * The idpf virtchnl transaction manager (idpf_vc_xn_* in
 * drivers/net/ethernet/intel/idpf/idpf_virtchnl.c, Linux 6.9) as imperative TypeScript: the
 * system under test for `mailbox-models conform idpf-xn`. It does not import the model.
 *
 * The default driver is 6.9 with the two fixes of docs/idpf-xn.md: forward_reply compares the
 * salt under the transaction lock, and complete() is called inside the critical section.
 *
 * Execution contexts are generator functions that `yield` where the C code can be preempted at
 * lock grain: one per caller of idpf_vc_xn_exec (`caller0`, ...), the mailbox receive task
 * (`rx`, idpf_recv_mb_msg -> idpf_vc_xn_forward_reply) and the reset path (`reset`,
 * idpf_vc_xn_shutdown). The seams the adapter drives: the control plane (the send queue and
 * the replies), wait_for_completion_timeout (the timeout firing) and idpf_vc_xn_init.
 *
 * Ghost data (harness instrumentation, not in the C code, marked `ghost_`): request ids carried
 * as the message payload the control plane echoes, the request holding a transaction and the
 * request whose reply completed it. They are only used to fill the outputs, never to decide.
 */
import {
  NotEnabledError,
  type DriverAdapter,
  type DriverDefinition,
} from '../src/testgen/conform.ts';
import { BLOCKED, ExecutionContexts, type Preemptible } from '../harness/execution-contexts.ts';
import type { Output } from '../src/model/model.ts';

const EIO = 5;
const ENXIO = 6;
const EBUSY = 16;
const EINVAL = 22;
const ENOSPC = 28;
const ETIME = 62;
/** The reply size a COMPLETED_SUCCESS transaction returns (any value >= 0). */
const REPLY_SZ = 16;
const UINT_MAX = 0xffffffff;
/** The one virtchnl opcode every request uses; a `wrongop` reply carries another one. */
const VIRTCHNL2_OP_X = 500;

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
  ghost_holder: number;
  ghost_answer: number;
}

interface idpf_vc_xn_manager {
  ring: idpf_vc_xn[];
  free_xn_bm: boolean[];
  salt: number;
}

/** A message on the mailbox: the cookie, the opcode, and the echoed payload (ghost). */
interface ctlq_msg {
  cookie: number;
  opcode: number;
  retval: number;
  ghost_req: number;
  ghost_async: boolean;
}

type ReplyKind = 'ok' | 'error' | 'wrongop';

/** A request as the control plane holds it (plus the harness's age bookkeeping). */
interface PendingRequest {
  idx: number;
  salt: number;
  req: number;
  async: boolean;
  age: number;
  kind: ReplyKind | null;
}

export const IDPF_XN_DRIVER_VARIANTS = [
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
    name: 'cookie-index-only',
    description: 'the cookie carries only the index, forward_reply checks no salt',
    source: 'cover letter: "Without the salt we would have no way of knowing"',
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
];

function createIdpfXnDriver(variants: ReadonlySet<string>): DriverAdapter {
  const has = (name: string) => variants.has(name);
  let bounds: Readonly<Record<string, number>> = {};
  let SALT_MASK = 1;
  let vcxn_mngr!: idpf_vc_xn_manager;
  /* The control plane: requests sent and not answered (the model's mailbox, sorted). */
  let mailbox: PendingRequest[] = [];
  let duplicates = 0;
  let shutdowns = 0;
  let down = false;
  const contexts = new ExecutionContexts();
  let outputs: Output[] = [];
  /* Per caller: wait_for_completion_timeout's timer has fired. */
  let timed_out: boolean[] = [];
  /* Harness ghost state of each caller: the request id and age (for the replyDelay bound). */
  let callerReq: number[] = [];
  let callerAge: number[] = [];
  /* The request of the reply the receive task holds (-1: none). */
  let rxReq = -1;

  /* ---------- locks: at step grain a lock is held only inside one step ---------- */
  const idpf_vc_xn_lock = (_xn: idpf_vc_xn) => {};
  const idpf_vc_xn_unlock = (_xn: idpf_vc_xn) => {};
  const spin_lock_bh = () => {};
  const spin_unlock_bh = () => {};

  function complete(c: completion): void {
    if (c.done !== UINT_MAX) c.done++;
  }
  function complete_all(c: completion): void {
    c.done = UINT_MAX;
  }
  function reinit_completion(c: completion): void {
    c.done = 0;
  }

  /* ---------- ghost request ids (lowest id nothing refers to, as the model's) ---------- */
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
  /** A transaction was popped by caller c: give the request an id, age the others. */
  function ghost_claimed(c: number, xn: idpf_vc_xn): void {
    const req = freshId();
    if (bounds.replyDelay > 0) {
      for (const m of mailbox) m.age++;
      for (let i = 0; i < callerAge.length; i++) if (callerAge[i] >= 0) callerAge[i]++;
      callerAge[c] = 0;
    }
    callerReq[c] = req;
    xn.ghost_holder = req;
    xn.ghost_answer = -1;
  }
  function ghost_exec_done(c: number): void {
    callerReq[c] = -1;
    callerAge[c] = -1;
  }

  /* ---------- the driver ---------- */

  function idpf_vc_xn_init(): void {
    spin_lock_bh();
    for (let i = 0; i < bounds.ringSize; i++) {
      const xn = vcxn_mngr.ring[i];
      xn.state = 'IDLE';
      xn.idx = i;
      xn.async_handler = false;
      reinit_completion(xn.completed); // init_completion
      xn.ghost_holder = -1;
      xn.ghost_answer = -1;
    }
    vcxn_mngr.free_xn_bm = vcxn_mngr.ring.map(() => true); // bitmap_fill
    spin_unlock_bh();
  }

  /** idpf_vc_xn_release_bufs + set_bit. */
  function idpf_vc_xn_push_free(xn: idpf_vc_xn): void {
    if (xn.state !== 'SHUTDOWN') xn.state = 'IDLE';
    xn.async_handler = false;
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
    ghost_claimed(c, xn);
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

  /** idpf_send_mb_msg -> idpf_ctlq_send: fails when the send queue has no free descriptor. */
  function idpf_send_mb_msg(xn: idpf_vc_xn, async: boolean, c: number): number {
    if (mailbox.length >= bounds.inFlight) return -EBUSY;
    const cookie = has('cookie-index-only') ? xn.idx : (xn.salt << 8) | xn.idx;
    mailbox.push({
      idx: cookie & 0xff,
      salt: cookie >> 8,
      req: callerReq[c],
      async,
      age: Math.max(callerAge[c], 0),
      kind: null,
    });
    sortMailbox();
    callerAge[c] = -1;
    return 0;
  }

  /** wait_for_completion_timeout: 0 on timeout, else the time left. */
  function* wait_for_completion_timeout(c: number, x: completion): Preemptible<number> {
    yield 'WAITING';
    // Woken by complete()/complete_all() or by the timer (the adapter's TIMEOUT).
    while (!timed_out[c] && x.done === 0) yield BLOCKED;
    if (timed_out[c]) return 0;
    if (x.done !== UINT_MAX) x.done--;
    return 1;
  }

  /** idpf_vc_xn_exec: returns the reply size, 0 (async sent) or a negative errno. */
  function* idpf_vc_xn_exec(c: number, async: boolean): Preemptible<number> {
    const xn = yield* idpf_vc_xn_pop_free(c);
    if (!xn) return -ENOSPC;
    yield 'LOCKING';
    idpf_vc_xn_lock(xn);
    if (xn.state === 'SHUTDOWN') {
      if (has('enxio-frees')) idpf_vc_xn_push_free(xn);
      xn.ghost_holder = -1;
      idpf_vc_xn_unlock(xn);
      return -ENXIO;
    } else if (!async) {
      xn.state = 'WAITING';
    } else {
      xn.state = 'ASYNC';
      xn.async_handler = true;
    }
    xn.ghost_answer = -1;
    xn.vc_op = VIRTCHNL2_OP_X;
    idpf_vc_xn_unlock(xn);
    if (!async) reinit_completion(xn.completed);
    let retval = idpf_send_mb_msg(xn, async, c);
    if (retval) {
      idpf_vc_xn_lock(xn);
      emitReturn(c, async, retval, false, xn);
      idpf_vc_xn_push_free(xn);
      idpf_vc_xn_unlock(xn);
      return retval;
    }
    if (async) return 0;

    timed_out[c] = false;
    const left = yield* wait_for_completion_timeout(c, xn.completed);
    if (left) outputs.push({ type: 'wake', caller: c, req: callerReq[c], idx: xn.idx });
    yield 'CHECKING';
    idpf_vc_xn_lock(xn);
    // Read again: the receive task or the shutdown changed it while this caller slept.
    switch (xn.state as idpf_vc_xn_state) {
      case 'SHUTDOWN':
        retval = -ENXIO;
        emitReturn(c, async, retval, !left, xn);
        xn.ghost_holder = -1;
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
    emitReturn(c, async, retval, !left, xn);
    idpf_vc_xn_push_free(xn);
    idpf_vc_xn_unlock(xn);
    return retval;
  }

  /** idpf_vc_xn_forward_async: the handler runs unless the opcode mismatches; then free. */
  function idpf_vc_xn_forward_async(xn: idpf_vc_xn, msg: ctlq_msg): number {
    let err = 0;
    if (msg.opcode !== xn.vc_op) err = -EINVAL;
    else if (xn.async_handler) err = 0; // the handler runs
    if (!has('async-not-freed')) idpf_vc_xn_push_free(xn);
    return err;
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
  ): void {
    outputs.push({
      type: 'reply',
      idx,
      answers: msg.ghost_req,
      holder: idx < 0 ? -1 : vcxn_mngr.ring[idx].ghost_holder,
      async: msg.ghost_async,
      kind,
      verdict,
      effect,
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
      case 'WAITING':
        if (msg.opcode !== xn.vc_op || msg.retval) {
          xn.state = 'COMPLETED_FAILED';
          err = -EINVAL;
        } else {
          xn.reply_sz = REPLY_SZ;
          xn.state = 'COMPLETED_SUCCESS';
        }
        xn.ghost_answer = msg.ghost_req;
        emitReply(xn_idx, msg, kind, verdict, xn.state);
        break;
      case 'IDLE': // "Unexpected or belated VC reply"
        emitReply(xn_idx, msg, kind, verdict, 'NONE');
        err = -EINVAL;
        break;
      case 'SHUTDOWN':
        emitReply(xn_idx, msg, kind, verdict, 'NONE');
        err = -ENXIO;
        break;
      case 'ASYNC':
        emitReply(xn_idx, msg, kind, verdict, msg.opcode !== xn.vc_op ? 'FREED' : 'CALLBACK');
        err = idpf_vc_xn_forward_async(xn, msg);
        idpf_vc_xn_unlock(xn);
        return err;
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

  /** idpf_vc_xn_shutdown. */
  function* idpf_vc_xn_shutdown(): Preemptible {
    spin_lock_bh();
    vcxn_mngr.free_xn_bm = vcxn_mngr.ring.map(() => false); // bitmap_zero
    spin_unlock_bh();
    for (let i = 0; i < bounds.ringSize; i++) {
      yield 'SHUTTING_DOWN';
      const xn = vcxn_mngr.ring[i];
      idpf_vc_xn_lock(xn);
      xn.state = 'SHUTDOWN';
      xn.async_handler = false; // idpf_vc_xn_release_bufs
      idpf_vc_xn_unlock(xn);
      complete_all(xn.completed);
    }
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

  /** exec_return; `xnState` defaults to the state of the transaction the caller held. */
  function emitReturn(
    c: number,
    async: boolean,
    rc: number,
    timedOut: boolean,
    xn: idpf_vc_xn | null,
    xnState: idpf_vc_xn_state = xn ? xn.state : 'IDLE',
  ): void {
    outputs.push({
      type: 'exec_return',
      caller: c,
      req: callerReq[c],
      async,
      rc: rcName(async, rc),
      timedOut,
      answer: xn && !async && rc !== -EBUSY ? xn.ghost_answer : -1,
      xnState,
    });
  }

  /* ---------- the control plane (the environment) ---------- */

  const KIND_ORDER = (k: ReplyKind | null) => k ?? '';
  function sortMailbox(): void {
    mailbox.sort(
      (a, b) =>
        a.idx - b.idx ||
        a.salt - b.salt ||
        a.req - b.req ||
        Number(a.async) - Number(b.async) ||
        a.age - b.age ||
        KIND_ORDER(a.kind).localeCompare(KIND_ORDER(b.kind)),
    );
  }

  /* ---------- the adapter ---------- */

  function runCaller(c: number, async: boolean): void {
    const name = `caller${c}`;
    if (contexts.isRunning(name)) throw new NotEnabledError(`${name} is in exec`);
    const result = contexts.start(name, idpf_vc_xn_exec(c, async));
    if (result.done) finishExec(c, async, result.value);
  }

  /** The exec returned without a return emitted at its return site (ENOSPC, ENXIO, OK). */
  function finishExec(c: number, async: boolean, rc: number): void {
    const emitted = outputs.some((o) => o.type === 'exec_return' && o.caller === c);
    if (!emitted) {
      if (rc === -ENOSPC) {
        callerReq[c] = -1; // nothing was popped: no request
        emitReturn(c, async, rc, false, null);
      } else {
        // ENXIO: the ring was shut down; OK: the transaction stays ASYNC for its handler.
        emitReturn(c, async, rc, false, null, rc === -ENXIO ? 'SHUTDOWN' : 'ASYNC');
      }
    }
    ghost_exec_done(c);
  }

  const callerAsync: boolean[] = [];

  function advanceCaller(c: number, at: string): void {
    const result = contexts.advanceFrom<number>(`caller${c}`, at);
    if (result.done) finishExec(c, callerAsync[c], result.value);
  }

  function advanceRx(at: string): void {
    if (contexts.advanceFrom('rx', at).done) rxReq = -1;
  }

  return {
    reset(next) {
      bounds = next;
      SALT_MASK = 2 ** bounds.saltBits - 1;
      vcxn_mngr = {
        ring: Array.from({ length: bounds.ringSize }, (_, i) => ({
          state: 'IDLE' as const,
          salt: 0,
          idx: i,
          vc_op: 0,
          completed: { done: 0 },
          async_handler: false,
          reply_sz: 0,
          ghost_holder: -1,
          ghost_answer: -1,
        })),
        free_xn_bm: [],
        salt: 0,
      };
      idpf_vc_xn_init();
      mailbox = [];
      duplicates = bounds.duplicates;
      shutdowns = bounds.shutdowns;
      down = false;
      contexts.clear();
      timed_out = Array.from({ length: bounds.callers }, () => false);
      callerReq = Array.from({ length: bounds.callers }, () => -1);
      callerAge = Array.from({ length: bounds.callers }, () => -1);
      rxReq = -1;
      return [];
    },
    apply(event) {
      outputs = [];
      const c = typeof event.caller === 'number' ? event.caller : -1;
      switch (event.type) {
        case 'EXEC':
          callerAsync[c] = event.async === true;
          runCaller(c, event.async === true);
          break;
        case 'CLAIM':
          advanceCaller(c, 'CLAIMING');
          break;
        case 'SEND':
          advanceCaller(c, 'LOCKING');
          break;
        case 'WAKE':
        case 'TIMEOUT':
          // Whether the wait timed out is only set for a caller that waits.
          if (contexts.at(`caller${c}`) !== 'WAITING') throw new NotEnabledError('not waiting');
          timed_out[c] = event.type === 'TIMEOUT';
          advanceCaller(c, 'WAITING');
          break;
        case 'CHECK':
          advanceCaller(c, 'CHECKING');
          break;
        case 'REPLY': {
          if (contexts.isRunning('rx')) throw new NotEnabledError('rx is busy');
          const i = event.msg as number;
          const request = mailbox[i];
          if (!request) throw new NotEnabledError('no such request on the mailbox');
          const kind = event.kind as ReplyKind;
          if (request.kind && request.kind !== kind) throw new NotEnabledError('duplicate kind');
          mailbox.splice(i, 1);
          if (event.duplicate === true) {
            if (duplicates === 0) throw new NotEnabledError('no duplicates left');
            duplicates--;
            mailbox.push({ ...request, kind });
            sortMailbox();
          }
          const msg: ctlq_msg = {
            cookie: (request.salt << 8) | request.idx,
            opcode: kind === 'wrongop' ? VIRTCHNL2_OP_X + 1 : VIRTCHNL2_OP_X,
            retval: kind === 'error' ? -EIO : 0,
            ghost_req: request.req,
            ghost_async: request.async,
          };
          rxReq = request.req;
          const result = contexts.start('rx', idpf_vc_xn_forward_reply(msg, kind));
          if (result.done) rxReq = -1;
          break;
        }
        case 'FORWARD':
          advanceRx('SALT_CHECKED');
          break;
        case 'COMPLETE':
          advanceRx('SIGNALLING');
          break;
        case 'SHUTDOWN':
          if (down || contexts.isRunning('reset') || shutdowns === 0)
            throw new NotEnabledError('no shutdown possible');
          shutdowns--;
          contexts.start('reset', idpf_vc_xn_shutdown());
          break;
        case 'SHUTDOWN_XN':
          if (contexts.advanceFrom('reset', 'SHUTTING_DOWN').done) down = true;
          break;
        case 'REINIT':
          if (!down) throw new NotEnabledError('not down');
          for (let k = 0; k < bounds.callers; k++)
            if (contexts.isRunning(`caller${k}`)) throw new NotEnabledError('caller in exec');
          if (contexts.isRunning('rx')) throw new NotEnabledError('rx busy');
          // idpf_vc_core_init: the mailbox is re-created, then idpf_vc_xn_init.
          mailbox = [];
          idpf_vc_xn_init();
          down = false;
          break;
        default:
          throw new NotEnabledError(`unknown event '${event.type}'`);
      }
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
