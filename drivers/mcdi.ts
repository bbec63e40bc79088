/**
 * The sfc MCDI interface (drivers/net/ethernet/sfc/mcdi.c after "sfc: Implement asynchronous
 * MCDI requests", sources/sfc-mcdi-async.txt, with the 3.12-3.14 functions the diff does not
 * show) as imperative TypeScript: the system under test for `mailbox-models conform mcdi`. It
 * does not import the model.
 *
 * Each execution context is a generator function that runs C-like code and `yield`s where the
 * C code can be preempted at lock grain (a lock is dropped, a wait begins, another CPU may run
 * in between): the process (efx_mcdi_rpc), the data-path caller (efx_mcdi_rpc_async), NAPI
 * (efx_mcdi_process_event -> efx_mcdi_ev_cpl / efx_mcdi_ev_death), the timer
 * (efx_mcdi_timeout_async) and the interface going down and up (efx_soft_disable_interrupts /
 * efx_soft_enable_interrupts, also run by the reset work). A preemption point where the code
 * then waits (a lock, a wake-up, a deadline) is a `waitAt` with its condition, so the adapter
 * knows which contexts can step now without a second copy of the condition. Time is jiffies;
 * timers and timeouts compare them with time_after(), as the kernel does.
 *
 * The adapter at the bottom is the harness: the MC (a FIFO of requests it answers, loses,
 * or forgets in a reboot), the event queue, jiffies, and the callers' cookies. A request's
 * cookie is the harness's request number (the lowest one no request still in flight uses); the
 * MC echoes it as the response payload, so `resp` says whose answer the driver handed over.
 *
 * Outputs: `complete` (the async completer: cookie, rc, the answer, the length it is told and
 * the length read into its buffer), `rpc_done` (efx_mcdi_rpc's return, outlen_actual and the
 * bytes copied), `rpc_async_rc` (efx_mcdi_rpc_async's return) and `mc_mismatch` (the "MC
 * response mismatch" error log). Lengths are in dwords; every caller asks for OUTLEN.
 */
import {
  NotEnabledError,
  type DriverAdapter,
  type DriverDefinition,
  type DriverVariant,
} from '../src/testgen/conform.ts';
import { ExecutionContexts, waitAt, type Preemptible } from '../harness/execution-contexts.ts';
import type { Output } from '../src/model/model.ts';
import { faultOn, replyLengthValue, replyLengths } from '../src/model/device.ts';
import type { VectorEvent } from '../src/testgen/vectors.ts';

const EIO = 5;
const ENOMEM = 12;
const EINVAL = 22;
const ENETDOWN = 100;
const ETIMEDOUT = 110;
const MC_CMD_ERR_EINVAL = 22;
const OUTLEN = 2;
/** MCDI_CTL_SDU_LEN_MAX_V1 in dwords: the longest answer a v1 header can announce. */
const SDU_LEN_MAX = 63;

type mcdi_state =
  | 'MCDI_STATE_QUIESCENT'
  | 'MCDI_STATE_RUNNING_SYNC'
  | 'MCDI_STATE_RUNNING_ASYNC'
  | 'MCDI_STATE_COMPLETED';
/** MCDI_MODE_FAIL: the fix for finding 8 (docs/mcdi.md), efx_mcdi_abandon as in later kernels. */
type mcdi_mode = 'MCDI_MODE_POLL' | 'MCDI_MODE_EVENTS' | 'MCDI_MODE_FAIL';

/** What the MC wrote: header SEQ, ERROR (its own numbering), DATALEN, and the payload cookie. */
interface mc_answer {
  seq: number;
  cookie: number;
  rc: number;
  len: number;
}
type mc_shmem = mc_answer | 'REBOOT' | null;
type mcdi_event = ({ code: 'CMDDONE' } & mc_answer) | { code: 'REBOOT' };

interface efx_mcdi_async_param {
  cookie: number;
  inlen: number;
  outlen: number;
  /** The dwords kmalloc gave for the request and the response. */
  bufsize: number;
}

interface efx_mcdi_iface {
  state: mcdi_state;
  mode: mcdi_mode;
  seqno: number;
  /** As written a count (its length); fixed, the seqnos of the cancelled requests. */
  credits: number[];
  resprc: number;
  resp_data_len: number;
  /** The answer resprc and resp_data_len were read from (null: none). */
  resp: mc_answer | null;
  /** The fix shared with the model: a response to mcdi->seqno is still awaited. */
  awaiting: boolean;
  async_list: efx_mcdi_async_param[];
  /** Which context holds async_lock across a preemption point (null: free). */
  async_lock: string | null;
  async_timer: { pending: boolean; expires: number; running: boolean };
}

type Step = Preemptible;

export const MCDI_DRIVER_VARIANTS: DriverVariant[] = [
  {
    name: 'timeout-no-seqno',
    description: 'efx_mcdi_complete_async(timeout) does not ++mcdi->seqno',
    source: 'sources/sfc-mcdi-async.txt:148',
  },
  {
    name: 'complete-async-no-cmpxchg',
    description: 'efx_mcdi_complete_async tests the state without the cmpxchg to COMPLETED',
    source: 'sources/sfc-mcdi-async.txt:138',
  },
  {
    name: 'flush-no-wait',
    description: 'efx_mcdi_flush_async sets QUIESCENT without efx_mcdi_poll',
    source: 'sources/sfc-mcdi-async.txt:342-345',
  },
  {
    name: 'rpc-async-queue-before-mode-check',
    description:
      'efx_mcdi_rpc_async queues the request before checking the mode (and still returns -ENETDOWN)',
    source: 'sources/sfc-mcdi-async.txt:271-286',
  },
  {
    name: 'rpc-async-list-add-head',
    description: 'efx_mcdi_rpc_async uses list_add instead of list_add_tail',
    source: 'sources/sfc-mcdi-async.txt:272',
  },
  {
    name: 'flush-skips-running',
    description: 'efx_mcdi_flush_async drops the running request without calling its completer',
    source: 'sources/sfc-mcdi-async.txt:342-356',
  },
  {
    name: 'ev-death-completes-async',
    description: 'efx_mcdi_ev_death completes an async request under iface_lock and deadlocks',
    source: 'sources/sfc-mcdi-async.txt:380-382',
    killBounds: { reset: 1, late: 0, error: 0 },
  },
  {
    name: 'as-written-release',
    description: 'efx_mcdi_release drops async_lock before setting QUIESCENT (the seed as written)',
    source: 'sources/sfc-mcdi-async.txt:115-121',
  },
  {
    name: 'as-written-send-window',
    description:
      'efx_mcdi_ev_cpl accepts any event whose seqno is mcdi->seqno (the seed as written)',
    source: 'sources/sfc-mcdi-async.txt:197-202',
  },
  {
    name: 'as-written-check-then-cmpxchg',
    description:
      'efx_mcdi_ev_cpl drops iface_lock between the seqno check and the cmpxchg (the seed as written)',
    source: 'sources/sfc-mcdi-async.txt:189-195',
  },
  {
    name: 'as-written-completer-length',
    description:
      'the completer is told data_len, not the min(outlen, data_len) read into its buffer (the seed as written)',
    source: 'sources/sfc-mcdi-async.txt:174-176',
    killBounds: { lengths: 3, late: 0, error: 0 },
  },
  {
    name: 'as-written-flush-no-wake',
    description: 'efx_mcdi_flush_async sets QUIESCENT without wake_up (the seed as written)',
    source: 'sources/sfc-mcdi-async.txt:342-345',
  },
  {
    name: 'as-written-flush-unlocked',
    description:
      'efx_mcdi_release reads the mode before async_lock and efx_mcdi_flush_async stops the timer and walks the list without it (the seed as written)',
    source: 'sources/sfc-mcdi-async.txt:99-115, 336-356',
  },
  {
    name: 'as-written-credits',
    description:
      'credits are taken on every timeout and ev_death, and a stale CMDDONE takes any credit (the seed as written)',
    source: 'sources/sfc-mcdi-async.txt:145-149, efx_mcdi_ev_cpl',
  },
  {
    name: 'sync-copy-unclamped',
    description: 'efx_mcdi_rpc_finish copies data_len bytes into outbuf',
    source: 'efx_mcdi_rpc_finish (3.12)',
    killBounds: { lengths: 3, late: 0, error: 0 },
  },
  {
    name: 'async-buffer-outlen-only',
    description:
      'efx_mcdi_rpc_async allocates ALIGN(outlen, 4): memcpy of a longer inlen overflows',
    source: 'sources/sfc-mcdi-async.txt:257, 267',
    killBounds: { inlen: 2, late: 0, error: 0 },
  },
  {
    name: 'ev-cpl-v1-keeps-datalen',
    description: 'efx_mcdi_ev_cpl (v1) does not set resp_data_len from the event',
    source: 'efx_mcdi_ev_cpl (3.12)',
  },
  {
    name: 'ev-cpl-v1-ignores-errno',
    description:
      'efx_mcdi_ev_cpl (v1) sets resprc = 0 instead of efx_mcdi_errno(mcdi_err); only the state and edge covers reach an error answer that an event delivers and a caller reports, and at the defaults they are beyond what conform replays (over its 500,000-step budget), hence smaller bounds',
    source: 'efx_mcdi_ev_cpl (3.12)',
    killBounds: { requests: 1, asyncCalls: 1 },
  },
  {
    name: 'ev-death-keeps-status',
    description: 'efx_mcdi_ev_death does not consume the status word when no request waits',
    source: 'efx_mcdi_ev_death (3.12)',
    killBounds: { reset: 1, late: 0, error: 0 },
  },
  {
    name: 'ev-death-no-reset',
    description: 'efx_mcdi_ev_death does not schedule a reset when no sync request waits',
    source: 'efx_mcdi_ev_death (3.12)',
    killBounds: { reset: 1, late: 0, error: 0 },
  },
  {
    name: 'rpc-async-nomem-reports-success',
    description: 'efx_mcdi_rpc_async returns 0 when kmalloc fails',
    source: 'sources/sfc-mcdi-async.txt:257-260',
  },
  {
    name: 'poll-time-after-eq',
    description:
      'efx_mcdi_poll gives up at time_after_eq(time, finish): one tick early (only a two-way check sees it: the driver offers a timeout the model does not)',
    source: 'efx_mcdi_poll (3.12): if (time_after(time, finish)) return -ETIMEDOUT',
  },
  {
    name: 'complete-sync-no-wake',
    description: 'efx_mcdi_complete_sync does not wake_up(&mcdi->wq)',
    source: 'sources/sfc-mcdi-async.txt:89-93',
  },
  {
    name: 'as-written-seqno-wrap',
    description:
      'a timeout only moves seqno on; MCDI is not abandoned, so requests go on while the MC holds the timed-out one and its late answer aliases a later request once seqno wraps (the seed as written)',
    source: 'sources/sfc-mcdi-async.txt:145-148, efx_mcdi_rpc_finish (3.12)',
  },
  {
    name: 'abandon-no-reset',
    description:
      'efx_mcdi_abandon sets MCDI_MODE_FAIL without efx_schedule_reset(RESET_TYPE_MCDI_TIMEOUT)',
    source: 'efx_mcdi_abandon (torvalds/linux drivers/net/ethernet/sfc/mcdi.c)',
  },
  {
    name: 'abandon-in-timer',
    description:
      'efx_mcdi_abandon also from the async timer (upstream: from efx_mcdi_rpc_finish only)',
    source: 'efx_mcdi_abandon (torvalds/linux drivers/net/ethernet/sfc/mcdi.c)',
  },
  {
    name: 'timeout-wrong-rc',
    description: 'code only: the timer completes the request with -EIO instead of -ETIMEDOUT',
    source: 'code only',
  },
  {
    name: 'flush-forgets-completer',
    description:
      'code only: efx_mcdi_flush_async frees queued requests without calling their completers',
    source: 'code only (the kernel-doc promises the completer is called exactly once)',
  },
];

function createMcdiDriver(variants: ReadonlySet<string>): DriverAdapter {
  const has = (name: string) => variants.has(name);
  let SEQ_MASK = 15;
  let MCDI_RPC_TIMEOUT = 2;
  let mcdi_max_ver = 1;
  let mcdi!: efx_mcdi_iface;
  let jiffies = 0;
  /** The MC's status word: set when it rebooted; efx_mcdi_poll_reboot reads and clears it. */
  let mc_status_rebooted = false;
  let reset_pending = false;
  /** The fix for finding 8: efx_schedule_reset(RESET_TYPE_MCDI_TIMEOUT) is pending (an FLR). */
  let flr_pending = false;
  /* The harness: the MC, the event queue, the interface's up/down state, the callers. */
  let mc_requests: Array<{ seq: number; cookie: number; evreq: boolean }> = [];
  /** The answers the MC may give and the faults it may commit (from the bounds). */
  let mc_answers: Array<{ len: number; err: boolean }> = [];
  let mc_faults = { duplicate: false, lost: false };
  let shmem: mc_shmem = null;
  let evq: mcdi_event[] = [];
  let evq_stopped = true;
  let interface_up = false;
  /** Callers not completed yet (their cookies are in use). */
  let waiting = new Set<number>();
  const contexts = new ExecutionContexts({ declaredWaits: true });
  let outputs: Output[] = [];
  /* What a sleeper waits for, and the flags its wake-ups set. */
  let proc_asleep = false;
  let reset_asleep = false;
  let rpc_timed_out = false;
  let poll_timed_out = false;
  let proc_deadline = 0;
  let reset_deadline = 0;

  const time_after = (a: number, b: number) => a - b > 0;
  const time_after_eq = (a: number, b: number) => a - b >= 0;

  /* ---------- the driver ---------- */

  function wake_up_wq(): void {
    proc_asleep = false;
    reset_asleep = false;
  }

  function efx_mcdi_errno(mcdi_err: number): number {
    if (mcdi_err === 0) return 0;
    if (mcdi_err === MC_CMD_ERR_EINVAL) return -EINVAL;
    return -71;
  }

  /** efx_mcdi_send_request, first half: ++seqno under iface_lock (and the fix's token). */
  function send_request_seqno(): void {
    mcdi.seqno = (mcdi.seqno + 1) & SEQ_MASK;
    // Not for a request an MC reboot or mode_poll already completed.
    mcdi.awaiting =
      !has('as-written-send-window') &&
      (mcdi.state === 'MCDI_STATE_RUNNING_SYNC' || mcdi.state === 'MCDI_STATE_RUNNING_ASYNC');
  }

  /** efx_mcdi_send_request, second half: EVREQ from the mode, the request written. */
  function send_request_write(cookie: number): void {
    shmem = null;
    mc_requests.push({ seq: mcdi.seqno, cookie, evreq: mcdi.mode === 'MCDI_MODE_EVENTS' });
  }

  /** efx_mcdi_read_response_header (under iface_lock). */
  function efx_mcdi_read_response_header(): void {
    if (shmem === null) {
      mcdi.resprc = 0;
      mcdi.resp_data_len = 0;
      mcdi.resp = null;
    } else if (shmem === 'REBOOT') {
      mcdi.resprc = -EIO; // "MC rebooted"
      mcdi.resp_data_len = 0;
      mcdi.resp = null;
    } else if (shmem.seq !== mcdi.seqno) {
      mcdi.resp_data_len = shmem.len;
      mcdi.resprc = -EIO; // "MC response mismatch"
      mcdi.resp = null;
    } else {
      mcdi.resp_data_len = shmem.len;
      mcdi.resprc = efx_mcdi_errno(shmem.rc);
      mcdi.resp = shmem;
    }
  }

  /** efx_mcdi_poll_reboot: reads and clears the status word. */
  function efx_mcdi_poll_reboot(): boolean {
    const rebooted = mc_status_rebooted;
    mc_status_rebooted = false;
    return rebooted;
  }

  function efx_schedule_reset(): void {
    reset_pending = true;
  }

  /**
   * The fix for finding 8, efx_mcdi_abandon: "MCDI timeouts seen, so make all MCDI calls
   * fail-fast and issue an FLR to try to recover".
   */
  function efx_mcdi_abandon(): void {
    const was = mcdi.mode;
    mcdi.mode = 'MCDI_MODE_FAIL'; // xchg
    if (was === 'MCDI_MODE_FAIL') return; // it had already been done
    if (!has('abandon-no-reset')) flr_pending = true; // efx_schedule_reset(RESET_TYPE_MCDI_TIMEOUT)
  }

  /**
   * efx_mcdi_reset(RESET_TYPE_MCDI_TIMEOUT): pci_reset_function (the harness: the MC drops
   * what it holds for this function), then "Re-enable polled MCDI completion". efx_reset
   * clears this reset's bit; a MC_FAILURE reset pending beside it is taken as done. The
   * credits go (finding 7's fix; upstream keeps its count).
   */
  function efx_mcdi_reset_flr(): void {
    mc_requests = [];
    mcdi.credits = []; // the fix's credits: no CMDDONE of a dropped request can come
    mcdi.mode = 'MCDI_MODE_POLL';
    flr_pending = false;
    reset_pending = false;
  }

  /** ++credits for the cancelled request; the fix takes one only while a CMDDONE can come. */
  function take_credit(): void {
    if (has('as-written-credits') || (mcdi.awaiting && mcdi.mode === 'MCDI_MODE_EVENTS')) {
      mcdi.credits.push(mcdi.seqno);
    }
  }

  /**
   * The timeout paths: ++seqno; ++credits under iface_lock; fixed, efx_mcdi_rpc_finish's
   * efx_mcdi_abandon too (after the credit test, which reads the mode the request was sent in).
   */
  function timeout_fence(bump_seqno: boolean, abandon: boolean): void {
    take_credit();
    if (abandon) efx_mcdi_abandon();
    if (bump_seqno) mcdi.seqno = (mcdi.seqno + 1) & SEQ_MASK;
  }

  /** Preemption point `at`, then spin_lock_bh(&mcdi->async_lock) for `owner`. */
  function* spin_lock_async(at: string, owner: string): Step {
    yield* waitAt(at, () => mcdi.async_lock === null);
    mcdi.async_lock = owner;
  }

  /** efx_mcdi_release's end outside async_lock: state = QUIESCENT; wake_up(&mcdi->wq). */
  function release_quiesce(): void {
    mcdi.state = 'MCDI_STATE_QUIESCENT';
    wake_up_wq();
  }

  /** efx_mcdi_release, run by `owner` from its preemption point RELEASE. */
  function* efx_mcdi_release(owner: string): Step {
    if (has('as-written-flush-unlocked')) {
      // As written: the mode is read before spin_lock_bh (mode_poll may store POLL since).
      yield 'RELEASE';
      if (mcdi.mode !== 'MCDI_MODE_EVENTS') return release_quiesce();
      yield* spin_lock_async('RELEASE_LOCK', owner);
    } else {
      // Fixed: the mode is read under async_lock; in POLL mode the lock is not needed.
      yield* waitAt('RELEASE', () => mcdi.mode !== 'MCDI_MODE_EVENTS' || mcdi.async_lock === null);
      if (mcdi.mode !== 'MCDI_MODE_EVENTS') return release_quiesce();
      mcdi.async_lock = owner;
    }
    const async = mcdi.async_list[0];
    if (async) {
      mcdi.state = 'MCDI_STATE_RUNNING_ASYNC';
      yield 'RELEASE_SEQNO';
      send_request_seqno();
      yield 'RELEASE_SEND';
      // A param the flush freed meanwhile is read anyway: garbage.
      send_request_write(mcdi.async_list.includes(async) ? async.cookie : -1);
      mcdi.async_timer.pending = true; // mod_timer(jiffies + MCDI_RPC_TIMEOUT)
      mcdi.async_timer.expires = jiffies + MCDI_RPC_TIMEOUT;
      mcdi.async_lock = null;
      return;
    }
    if (has('as-written-release')) {
      mcdi.async_lock = null; // spin_unlock_bh, then ...
      yield 'RELEASE_QUIESCE';
      return release_quiesce();
    }
    mcdi.state = 'MCDI_STATE_QUIESCENT'; // the fix: still under async_lock
    wake_up_wq();
    mcdi.async_lock = null;
  }

  /** efx_mcdi_complete_sync: cmpxchg RUNNING_SYNC -> COMPLETED, and wake the waiter. */
  function efx_mcdi_complete_sync(): boolean {
    if (mcdi.state !== 'MCDI_STATE_RUNNING_SYNC') return false;
    mcdi.state = 'MCDI_STATE_COMPLETED';
    if (!has('complete-sync-no-wake')) wake_up_wq();
    return true;
  }

  /** The list_del, response read and completer call of efx_mcdi_complete_async, then release. */
  function* efx_mcdi_complete_async_tail(
    owner: string,
    rc: number,
    data_len: number,
    resp: mc_answer | null,
  ): Step {
    yield* spin_lock_async('LIST_DEL', owner);
    const async = mcdi.async_list.shift();
    mcdi.async_lock = null;
    const copied = Math.min(async ? async.outlen : OUTLEN, data_len);
    const len = has('as-written-completer-length') ? data_len : copied;
    complete(async ? async.cookie : -1, rc, resp, len, copied);
    yield* efx_mcdi_release(owner);
  }

  function* efx_mcdi_rpc(cookie: number): Step {
    // efx_mcdi_rpc_start: "if (mcdi->mode == MCDI_MODE_FAIL) return -ENETDOWN;" (the fix)
    if (mcdi.mode === 'MCDI_MODE_FAIL') {
      outputs.push({
        type: 'rpc_done',
        id: cookie,
        rc: -ENETDOWN,
        resp: null,
        outlenActual: null,
        copied: 0,
      });
      waiting.delete(cookie);
      return;
    }
    // efx_mcdi_acquire_sync: wait_event(mcdi->wq, cmpxchg(QUIESCENT -> RUNNING_SYNC))
    yield* waitAt('ACQUIRE_SYNC', () => !proc_asleep);
    for (;;) {
      if (mcdi.state === 'MCDI_STATE_QUIESCENT') {
        mcdi.state = 'MCDI_STATE_RUNNING_SYNC';
        break;
      }
      proc_asleep = true;
      yield* waitAt('ACQUIRE_SYNC', () => !proc_asleep);
    }
    yield 'SEND_SEQNO';
    send_request_seqno();
    yield 'SEND_WRITE';
    send_request_write(cookie);
    // efx_mcdi_rpc_finish: efx_mcdi_poll in POLL mode, else efx_mcdi_await_completion.
    let timed_out = false;
    let polled = false;
    if (mcdi.mode === 'MCDI_MODE_POLL') {
      timed_out = yield* efx_mcdi_poll();
      polled = true;
    } else {
      proc_deadline = jiffies + MCDI_RPC_TIMEOUT;
      rpc_timed_out = false;
      // wait_event_timeout(mcdi->wq, state == COMPLETED, MCDI_RPC_TIMEOUT)
      const woken = () => !proc_asleep || rpc_timed_out;
      yield* waitAt('AWAIT_COMPLETION', woken);
      for (;;) {
        if ((mcdi.state as mcdi_state) === 'MCDI_STATE_COMPLETED') break;
        if (rpc_timed_out) break;
        proc_asleep = true;
        yield* waitAt('AWAIT_COMPLETION', woken);
      }
      proc_asleep = false;
      timed_out = (mcdi.state as mcdi_state) !== 'MCDI_STATE_COMPLETED';
      // "Check if efx_mcdi_set_mode() switched us back to polled completions."
      if (!timed_out && (mcdi.mode as mcdi_mode) === 'MCDI_MODE_POLL') {
        timed_out = yield* efx_mcdi_poll();
        polled = true;
      }
      if (!polled) yield timed_out ? 'TIMED_OUT' : 'FINISH';
    }
    if (timed_out) {
      // "Close the race with efx_mcdi_ev_cpl() executing just too late"
      timeout_fence(true, !has('as-written-seqno-wrap'));
      outputs.push({
        type: 'rpc_done',
        id: cookie,
        rc: -ETIMEDOUT,
        resp: null,
        outlenActual: null,
        copied: 0,
      });
      waiting.delete(cookie);
    } else {
      // rc = resprc, hdr_len, data_len under iface_lock; copy min(outlen, data_len).
      const rc = mcdi.resprc;
      const copied = has('sync-copy-unclamped')
        ? mcdi.resp_data_len
        : Math.min(OUTLEN, mcdi.resp_data_len);
      outputs.push({
        type: 'rpc_done',
        id: cookie,
        rc,
        resp: toResp(mcdi.resp),
        outlenActual: rc === 0 ? mcdi.resp_data_len : null,
        copied: rc === 0 ? copied : 0,
      });
      waiting.delete(cookie);
      if (rc === -EIO) {
        // "MC fatal error": efx_schedule_reset; msleep(MCDI_STATUS_SLEEP_MS); poll_reboot.
        efx_schedule_reset();
        proc_deadline = jiffies;
        yield* waitAt('MSLEEP', () => time_after(jiffies, proc_deadline));
        efx_mcdi_poll_reboot();
      }
    }
    yield* efx_mcdi_release('process');
  }

  /**
   * efx_mcdi_poll for the process: efx_mcdi_poll_reboot first, then the loop until a response
   * is there or time_after(time, finish). Returns whether it timed out; it has yielded the
   * label of the step that follows (FINISH or TIMED_OUT).
   */
  function* efx_mcdi_poll(): Preemptible<boolean> {
    if (efx_mcdi_poll_reboot()) {
      mcdi.resprc = -EIO;
      mcdi.resp_data_len = 0;
      mcdi.resp = null;
      mcdi.awaiting = false;
      yield 'FINISH';
      return false;
    }
    proc_deadline = jiffies + MCDI_RPC_TIMEOUT;
    poll_timed_out = false;
    yield* waitAt('POLL', () => shmem !== null || poll_timed_out);
    if (poll_timed_out) {
      yield 'TIMED_OUT';
      return true;
    }
    efx_mcdi_read_response_header(); // efx_mcdi_poll_once, under iface_lock
    mcdi.awaiting = false;
    yield 'FINISH';
    return false;
  }

  /** efx_soft_enable_interrupts: the event queues start, then efx_mcdi_mode_event. */
  function* interface_up_path(): Step {
    evq_stopped = false;
    reset_pending = false;
    yield* waitAt('MODE_EVENT', () => !reset_asleep);
    // Fixed: "If in fail-fast state, don't switch to event completion. FLR recovery will do
    // that later." Tested once, before efx_mcdi_acquire_sync.
    if (mcdi.mode !== 'MCDI_MODE_POLL') {
      interface_up = true;
      return;
    }
    for (;;) {
      if (mcdi.state === 'MCDI_STATE_QUIESCENT') {
        mcdi.state = 'MCDI_STATE_RUNNING_SYNC';
        break;
      }
      reset_asleep = true;
      yield* waitAt('MODE_EVENT_WAIT', () => !reset_asleep);
    }
    mcdi.mode = 'MCDI_MODE_EVENTS';
    yield* efx_mcdi_release('reset');
    interface_up = true;
  }

  /** efx_soft_disable_interrupts: efx_mcdi_mode_poll, stop the event queues, flush. */
  function* interface_down_path(): Step {
    interface_up = false;
    yield 'MODE_POLL_STORE';
    // Fixed: "If in fail-fast state, don't switch to polled completion."
    if (mcdi.mode !== 'MCDI_MODE_FAIL') {
      mcdi.mode = 'MCDI_MODE_POLL'; // "lockless"
      yield 'MODE_POLL_COMPLETE';
      efx_mcdi_complete_sync();
    }
    // synchronize_irq, efx_stop_eventq: NAPI and the data path finish, queued events go.
    yield* waitAt('STOP_EVQ', () => !contexts.isRunning('napi') && !contexts.isRunning('caller'));
    evq_stopped = true;
    evq = [];
    yield* efx_mcdi_flush_async();
    if (flr_pending) {
      // The reset work for RESET_TYPE_MCDI_TIMEOUT: efx_mcdi_reset's FLR, then up again.
      yield 'FLR';
      efx_mcdi_reset_flr();
      yield* interface_up_path();
      return;
    }
    if (reset_pending) {
      yield* interface_up_path();
      return;
    }
  }

  function* efx_mcdi_flush_async(): Step {
    // Fixed: take and drop async_lock first, so that a release inside it has finished; then
    // del_timer_sync waits for a running handler.
    yield* waitAt(
      'FLUSH_DEL_TIMER',
      () =>
        (has('as-written-flush-unlocked') || mcdi.async_lock === null) && !mcdi.async_timer.running,
    );
    mcdi.async_timer.pending = false;
    if (mcdi.state === 'MCDI_STATE_RUNNING_ASYNC') {
      if (has('flush-no-wait')) {
        flush_quiesce(false);
      } else if (efx_mcdi_poll_reboot()) {
        mcdi.resprc = -EIO;
        mcdi.resp_data_len = 0;
        mcdi.resp = null;
        flush_quiesce(true);
      } else {
        reset_deadline = jiffies + MCDI_RPC_TIMEOUT;
        poll_timed_out = false;
        yield* waitAt('FLUSH_POLL', () => shmem !== null || poll_timed_out);
        if (!poll_timed_out) efx_mcdi_read_response_header();
        flush_quiesce(!poll_timed_out);
      }
    }
    // list_for_each_entry_safe, without async_lock: one completer per step.
    for (;;) {
      yield 'FLUSH_LIST';
      const async = mcdi.async_list.shift();
      if (!async) return;
      if (!has('flush-forgets-completer')) complete(async.cookie, -ENETDOWN, null, 0, 0);
    }
  }

  function flush_quiesce(saw_response: boolean): void {
    mcdi.state = 'MCDI_STATE_QUIESCENT';
    mcdi.awaiting = false;
    if (!has('as-written-flush-no-wake')) wake_up_wq();
    if (saw_response && has('flush-skips-running')) mcdi.async_list.shift(); // freed, no completer
  }

  function* efx_mcdi_rpc_async(cookie: number, inlen: number): Step {
    // spin_lock_bh(async_lock): the adapter only calls it with the lock free.
    mcdi.async_lock = 'caller';
    const bufsize = has('async-buffer-outlen-only') ? OUTLEN : Math.max(inlen, OUTLEN);
    if (inlen > bufsize) {
      throw new Error(`memcpy(async + 1, inbuf, ${inlen}) overflows a ${bufsize}-dword buffer`);
    }
    const async: efx_mcdi_async_param = { cookie, inlen, outlen: OUTLEN, bufsize };
    if (mcdi.mode === 'MCDI_MODE_EVENTS' || has('rpc-async-queue-before-mode-check')) {
      if (has('rpc-async-list-add-head')) mcdi.async_list.unshift(async);
      else mcdi.async_list.push(async);
    }
    if (mcdi.mode !== 'MCDI_MODE_EVENTS') {
      outputs.push({ type: 'rpc_async_rc', id: cookie, rc: -ENETDOWN });
      waiting.delete(cookie);
      mcdi.async_lock = null;
      return;
    }
    outputs.push({ type: 'rpc_async_rc', id: cookie, rc: 0 });
    // At the head of the queue: efx_mcdi_acquire_async's cmpxchg(QUIESCENT -> RUNNING_ASYNC).
    if (mcdi.async_list[0] === async && mcdi.state === 'MCDI_STATE_QUIESCENT') {
      mcdi.state = 'MCDI_STATE_RUNNING_ASYNC';
      yield 'SEND_SEQNO';
      send_request_seqno();
      yield 'SEND_WRITE';
      send_request_write(cookie);
      mcdi.async_timer.pending = true;
      mcdi.async_timer.expires = jiffies + MCDI_RPC_TIMEOUT;
    }
    mcdi.async_lock = null;
  }

  /** efx_mcdi_ev_cpl's test: the event's seqno is mcdi->seqno (and, fixed, still awaited). */
  function ev_cpl_accepts(event: mc_answer): boolean {
    return event.seq === mcdi.seqno && (mcdi.awaiting || has('as-written-send-window'));
  }

  /** efx_mcdi_ev_cpl accepting: v1 takes rc and length from the event, v2 reads the header. */
  function ev_cpl_accept(event: mc_answer): void {
    mcdi.awaiting = false;
    if (mcdi_max_ver >= 2) {
      efx_mcdi_read_response_header();
      return;
    }
    mcdi.resprc = has('ev-cpl-v1-ignores-errno') ? 0 : efx_mcdi_errno(event.rc);
    if (!has('ev-cpl-v1-keeps-datalen')) mcdi.resp_data_len = event.len;
    mcdi.resp = event;
  }

  /** A stale CMDDONE: a credit takes it ("The request has been cancelled"), or it is logged. */
  function ev_cpl_stale(event: mc_answer): void {
    if (event.seq === mcdi.seqno) return; // fixed: our seqno but not awaited: a duplicate
    const credit = has('as-written-credits')
      ? mcdi.credits.length - 1
      : mcdi.credits.indexOf(event.seq);
    if (credit >= 0) {
      mcdi.credits.splice(credit, 1);
      return;
    }
    outputs.push({ type: 'mc_mismatch', seq: event.seq, seqno: mcdi.seqno });
  }

  function* efx_mcdi_process_event(event: mcdi_event): Step {
    if (event.code === 'REBOOT') {
      if (has('ev-death-completes-async') && mcdi.state === 'MCDI_STATE_RUNNING_ASYNC') {
        // efx_mcdi_complete_async wins the cmpxchg, then spins on the iface_lock we hold.
        mcdi.state = 'MCDI_STATE_COMPLETED';
        yield* waitAt('DEATH_DEADLOCK', () => false);
        return;
      }
      // efx_mcdi_ev_death, under iface_lock.
      if (mcdi.state === 'MCDI_STATE_RUNNING_SYNC') {
        efx_mcdi_complete_sync();
        if (mcdi.mode === 'MCDI_MODE_EVENTS') {
          mcdi.resprc = -EIO;
          mcdi.resp_data_len = 0;
          mcdi.resp = null;
          take_credit();
        }
        mcdi.awaiting = false;
        return;
      }
      // "Consume the status word since efx_mcdi_rpc_finish() won't"; schedule a reset.
      if (!has('ev-death-keeps-status')) efx_mcdi_poll_reboot();
      if (!has('ev-death-no-reset')) efx_schedule_reset();
      return;
    }
    // efx_mcdi_ev_cpl, under iface_lock.
    if (!ev_cpl_accepts(event)) {
      ev_cpl_stale(event);
      return;
    }
    ev_cpl_accept(event);
    if (has('as-written-check-then-cmpxchg')) yield 'COMPLETE'; // spin_unlock(iface_lock)
    if (mcdi.state === 'MCDI_STATE_RUNNING_ASYNC') {
      // efx_mcdi_complete_async(mcdi, false), its cmpxchg in the same lock section
      if (!has('complete-async-no-cmpxchg')) mcdi.state = 'MCDI_STATE_COMPLETED';
      const rc = mcdi.resprc;
      const data_len = mcdi.resp_data_len;
      const resp = mcdi.resp;
      yield* waitAt('DEL_TIMER', () => !mcdi.async_timer.running); // del_timer_sync
      mcdi.async_timer.pending = false;
      yield* efx_mcdi_complete_async_tail('napi', rc, data_len, resp);
      return;
    }
    efx_mcdi_complete_sync();
  }

  function* efx_mcdi_timeout_async(): Step {
    // efx_mcdi_complete_async(mcdi, true): the cmpxchg ...
    if (mcdi.state !== 'MCDI_STATE_RUNNING_ASYNC') return;
    if (!has('complete-async-no-cmpxchg')) mcdi.state = 'MCDI_STATE_COMPLETED';
    yield 'FENCE';
    // ... then under iface_lock "Ensure that if the completion event arrives later, the seqno
    // check in efx_mcdi_ev_cpl() will fail"
    timeout_fence(!has('timeout-no-seqno'), has('abandon-in-timer')); // upstream: sync path only
    yield* efx_mcdi_complete_async_tail(
      'timer',
      has('timeout-wrong-rc') ? -EIO : -ETIMEDOUT,
      0,
      null,
    );
  }

  /* ---------- the harness ---------- */

  function complete(
    cookie: number,
    rc: number,
    resp: mc_answer | null,
    len: number,
    copied: number,
  ) {
    outputs.push({ type: 'complete', id: cookie, rc, resp: toResp(resp), len, copied });
    waiting.delete(cookie);
  }

  /** The answer as the outputs show it: the MC's SEQ, the request it answers, ERROR, DATALEN. */
  function toResp(answer: mc_answer | null) {
    return answer === null
      ? null
      : { seq: answer.seq, id: answer.cookie, rc: answer.rc, len: answer.len };
  }

  /** The lowest cookie no request in flight uses (a caller waits, the MC or a reply has it). */
  function newCookie(): number {
    const used = new Set<number>([
      ...waiting,
      ...mc_requests.map((r) => r.cookie),
      ...evq.flatMap((ev) => (ev.code === 'CMDDONE' ? [ev.cookie] : [])),
      ...(shmem !== null && shmem !== 'REBOOT' ? [shmem.cookie] : []),
    ]);
    let cookie = 0;
    while (used.has(cookie)) cookie++;
    return cookie;
  }

  function advance(name: string): void {
    const result = contexts.advance(name);
    if (result.done && name === 'timer') mcdi.async_timer.running = false;
  }

  function mc_respond(len: number, rc: number, copies: number): void {
    const request = mc_requests.shift()!;
    const answer: mc_answer = { seq: request.seq, cookie: request.cookie, rc, len };
    shmem = answer;
    if (request.evreq && !evq_stopped) {
      for (let i = 0; i < copies; i++) evq.push({ code: 'CMDDONE', ...answer });
    }
  }

  /* When each environment event can happen: apply() refuses it otherwise, enabled() lists it. */

  function timer_due(): boolean {
    const timer = mcdi.async_timer;
    return timer.pending && time_after(jiffies, timer.expires) && !contexts.isRunning('timer');
  }

  function rpc_wait_timed_out(): boolean {
    return contexts.at('process') === 'AWAIT_COMPLETION' && time_after(jiffies, proc_deadline);
  }

  /** The context whose efx_mcdi_poll gives up now (time_after(time, finish), no response). */
  function poll_gives_up(): 'process' | 'reset' | null {
    const past = has('poll-time-after-eq') ? time_after_eq : time_after;
    if (shmem !== null) return null;
    if (contexts.at('process') === 'POLL') {
      return past(jiffies, proc_deadline) ? 'process' : null;
    }
    if (contexts.at('reset') === 'FLUSH_POLL') {
      return past(jiffies, reset_deadline) ? 'reset' : null;
    }
    return null;
  }

  /** NAPI runs an MCDI event: it is inside a handler and can go on, or an event is queued. */
  function napi_can_run(): boolean {
    return contexts.isRunning('napi') ? contexts.ready('napi') : evq.length > 0;
  }

  /** The reset work runs: it is inside efx_reset/ifup/ifdown and can go on, or is queued. */
  function reset_can_run(): boolean {
    return contexts.isRunning('reset') ? contexts.ready('reset') : reset_pending || flr_pending;
  }

  function mc_can_answer(len: number, err: boolean): boolean {
    return mc_requests.length > 0 && mc_answers.some((a) => a.len === len && a.err === err);
  }

  /** A duplicated CMDDONE: the MC's oldest request asked for an event and the queues run. */
  function mc_can_answer_twice(): boolean {
    return mc_faults.duplicate && mc_requests.length > 0 && mc_requests[0].evreq && !evq_stopped;
  }

  function mc_can_lose(): boolean {
    return mc_faults.lost && mc_requests.length > 0;
  }

  return {
    reset(bounds) {
      // The fake MC's repertoire under these bounds: lengths, error answers, faults.
      mc_answers = replyLengths(bounds.lengths).flatMap((kind) => {
        const len = replyLengthValue(kind, OUTLEN, SDU_LEN_MAX);
        const err = faultOn(bounds, 'error') && len > 0;
        return err
          ? [
              { len, err: false },
              { len, err: true },
            ]
          : [{ len, err: false }];
      });
      mc_faults = { duplicate: faultOn(bounds, 'duplicate'), lost: faultOn(bounds, 'lost') };
      SEQ_MASK = 2 ** bounds.seqBits - 1;
      MCDI_RPC_TIMEOUT = bounds.timeout;
      mcdi_max_ver = bounds.mcdiVersion;
      mcdi = {
        state: 'MCDI_STATE_QUIESCENT',
        mode: 'MCDI_MODE_POLL',
        seqno: 0,
        credits: [],
        resprc: 0,
        resp_data_len: 0,
        resp: null,
        awaiting: false,
        async_list: [],
        async_lock: null,
        async_timer: { pending: false, expires: 0, running: false },
      };
      jiffies = 0;
      mc_status_rebooted = false;
      reset_pending = false;
      flr_pending = false;
      mc_requests = [];
      shmem = null;
      evq = [];
      evq_stopped = true;
      interface_up = false;
      waiting = new Set();
      proc_asleep = false;
      reset_asleep = false;
      contexts.clear();
      return [];
    },
    enabled() {
      const list: VectorEvent[] = [];
      for (const name of ['process', 'caller', 'timer'] as const) {
        if (contexts.ready(name)) list.push({ type: name });
      }
      if (napi_can_run()) list.push({ type: 'napi' });
      if (reset_can_run()) list.push({ type: 'reset' });
      if (timer_due()) list.push({ type: 'timer_expire' });
      if (rpc_wait_timed_out()) list.push({ type: 'rpc_timeout' });
      if (poll_gives_up()) list.push({ type: 'poll_timeout' });
      for (const answer of mc_answers) {
        if (mc_can_answer(answer.len, answer.err)) list.push({ type: 'mc_respond', ...answer });
      }
      if (mc_can_answer_twice()) list.push({ type: 'mc_respond_dup' });
      if (mc_can_lose()) list.push({ type: 'mc_lose' });
      return list;
    },
    observe() {
      /** A deadline as ticks to go, floored at one past (it only matters that it passed). */
      const left = (deadline: number) => Math.max(deadline - jiffies, -1);
      const proc = contexts.at('process');
      const proc_deadline_live =
        proc === 'AWAIT_COMPLETION' || proc === 'POLL' || proc === 'MSLEEP';
      return {
        state: mcdi.state.replace('MCDI_STATE_', ''),
        mode: mcdi.mode.replace('MCDI_MODE_', ''),
        seqno: mcdi.seqno,
        credits: mcdi.credits,
        awaiting: mcdi.awaiting,
        asyncList: mcdi.async_list.map((async) => async.cookie),
        asyncLocked: mcdi.async_lock !== null,
        asyncTimer: mcdi.async_timer.pending ? left(mcdi.async_timer.expires) : null,
        timerRunning: mcdi.async_timer.running,
        statusWord: mc_status_rebooted,
        resetPending: reset_pending,
        flrPending: flr_pending,
        eventsStopped: evq_stopped,
        procAsleep: proc_asleep,
        procDeadline: proc_deadline_live ? left(proc_deadline) : null,
        resetAsleep: reset_asleep,
        resetDeadline: contexts.at('reset') === 'FLUSH_POLL' ? left(reset_deadline) : null,
      };
    },
    apply(event) {
      outputs = [];
      switch (event.type) {
        case 'rpc': {
          const cookie = newCookie();
          waiting.add(cookie);
          contexts.start('process', efx_mcdi_rpc(cookie));
          break;
        }
        case 'rpc_async': {
          if (mcdi.async_lock !== null) throw new NotEnabledError('async_lock is held');
          const cookie = newCookie();
          waiting.add(cookie);
          contexts.start('caller', efx_mcdi_rpc_async(cookie, event.inlen as number));
          break;
        }
        case 'rpc_async_unsupported':
          // efx_mcdi_check_supported fails: -EINVAL, nothing allocated.
          outputs.push({ type: 'rpc_async_rc', id: newCookie(), rc: -EINVAL });
          break;
        case 'rpc_async_nomem': {
          const cookie = newCookie();
          if (has('rpc-async-nomem-reports-success')) {
            waiting.add(cookie); // the caller waits for a completer that never runs
            outputs.push({ type: 'rpc_async_rc', id: cookie, rc: 0 });
          } else {
            outputs.push({ type: 'rpc_async_rc', id: cookie, rc: -ENOMEM });
          }
          break;
        }
        case 'ifup':
          if (interface_up || contexts.isRunning('reset')) throw new NotEnabledError('not down');
          contexts.start('reset', interface_up_path());
          break;
        case 'ifdown':
          if (!interface_up || contexts.isRunning('reset')) throw new NotEnabledError('not up');
          contexts.start('reset', interface_down_path());
          break;
        case 'reset':
          if (contexts.isRunning('reset')) {
            contexts.advance('reset');
          } else if (!reset_pending && !flr_pending) {
            throw new NotEnabledError('no reset work queued');
          } else if (interface_up) {
            contexts.start('reset', interface_down_path()); // the reset work: down, then up
          } else {
            // Nothing running to take down and bring up; RESET_TYPE_MCDI_TIMEOUT's FLR still.
            if (flr_pending) efx_mcdi_reset_flr();
            reset_pending = false;
          }
          break;
        case 'napi': {
          if (contexts.isRunning('napi')) {
            advance('napi');
            break;
          }
          const ev = evq.shift();
          if (!ev) throw new NotEnabledError('the event queue is empty');
          contexts.start('napi', efx_mcdi_process_event(ev));
          break;
        }
        case 'process':
        case 'caller':
        case 'timer':
          advance(event.type);
          break;
        case 'timer_expire':
          if (!timer_due()) throw new NotEnabledError('no timer due');
          mcdi.async_timer.pending = false;
          mcdi.async_timer.running = true;
          contexts.enter('timer', efx_mcdi_timeout_async(), 'COMPLETE_ASYNC');
          break;
        case 'rpc_timeout':
          if (!rpc_wait_timed_out()) throw new NotEnabledError('no wait timed out');
          rpc_timed_out = true;
          proc_asleep = false;
          advance('process');
          break;
        case 'poll_timeout': {
          const poller = poll_gives_up();
          if (!poller) throw new NotEnabledError('not polling past its deadline');
          poll_timed_out = true;
          advance(poller);
          break;
        }
        case 'mc_respond': {
          const { len, err } = event as unknown as { len: number; err: boolean };
          if (!mc_can_answer(len, err)) throw new NotEnabledError('the MC cannot answer so');
          mc_respond(len, err ? MC_CMD_ERR_EINVAL : 0, 1);
          break;
        }
        case 'mc_respond_dup':
          if (!mc_can_answer_twice()) throw new NotEnabledError('no CMDDONE to duplicate');
          mc_respond(OUTLEN, 0, 2);
          break;
        case 'mc_lose':
          if (!mc_can_lose()) throw new NotEnabledError('the MC cannot lose a request');
          mc_requests.shift();
          break;
        case 'mc_stall':
          break; // the MC is late: nothing the driver sees
        case 'mc_reboot':
          mc_requests = [];
          shmem = 'REBOOT';
          mc_status_rebooted = true;
          if (!evq_stopped) evq.push({ code: 'REBOOT' });
          break;
        case 'tick':
          jiffies += 1;
          break;
        default:
          throw new NotEnabledError(`unknown event '${event.type}'`);
      }
      return outputs;
    },
  };
}

export const mcdiDriver: DriverDefinition = {
  protocol: 'mcdi',
  file: 'drivers/mcdi.ts',
  variants: MCDI_DRIVER_VARIANTS,
  create: createMcdiDriver,
};
