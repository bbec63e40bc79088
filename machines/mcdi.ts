/**
 * The sfc MCDI interface (drivers/net/ethernet/sfc/mcdi.c, Linux 3.12-3.14, after "sfc:
 * Implement asynchronous MCDI requests"), as a timed XState machine. See docs/mcdi.md.
 *
 * Five contexts of the driver run as parallel regions, each at the grain of its locks:
 *   process  a sleeping caller of efx_mcdi_rpc (acquire, send, poll or await, finish, release);
 *   caller   efx_mcdi_rpc_async from atomic context on another CPU (the data path);
 *   napi     the event queue: efx_mcdi_ev_cpl and efx_mcdi_ev_death, then
 *            efx_mcdi_complete_async(mcdi, false);
 *   timer    efx_mcdi_timeout_async = efx_mcdi_complete_async(mcdi, true);
 *   reset    bringing the channel down (efx_mcdi_mode_poll, stopping the event queues,
 *            efx_mcdi_flush_async) and up (restarting them, efx_mcdi_mode_event): ifdown,
 *            ifup, and the reset work that efx_schedule_reset queues.
 * The MC (answers, losses, delays, duplicates, reboots) and `tick` are events at the root.
 *
 * Time is discrete (src/model/time.ts): MCDI_RPC_TIMEOUT is `timeout` ticks, the MC answers its
 * oldest request within `latency` ticks unless it is late or loses it, and code that runs
 * without sleeping (every step not waiting on mcdi->wq, a poll, a sleep or the MC) runs before
 * the next tick.
 */
import { assign, emit, setup } from 'xstate';
import { faultBounds, faultOn, replyLengths, replyLengthValue } from '../src/model/device.ts';
import {
  answer,
  complete as ledgerComplete,
  deliver,
  duplicate,
  EMPTY_LEDGER,
  find,
  issue as ledgerIssue,
  lose,
  type Ledger,
} from '../src/model/ghosts.ts';
import { defineMachine, type ModelState } from '../src/model/model.ts';
import {
  arm,
  canTick,
  due,
  elapse,
  elapseDue,
  TICK,
  timeAfter,
  timeAfterEq,
  timerDue,
  type Deadline,
} from '../src/model/time.ts';
import {
  asyncBufferSize,
  EIO,
  EINVAL,
  ENETDOWN,
  ENOMEM,
  ETIMEDOUT,
  INLEN_FITS,
  INLEN_OVER,
  MC_CMD_ERR_EINVAL,
  OUTLEN,
  readResponseHeader,
  SDU_LEN_MAX,
  efxMcdiErrno,
  type Answer,
  type AsyncParam,
  type McdiContext,
  type McdiEvent,
  type McRequest,
  type Wait,
} from './mcdi-context.ts';

export * from './mcdi-context.ts';

export type McdiInput =
  | { type: 'rpc' }
  | { type: 'rpc_async'; inlen: number }
  | { type: 'rpc_async_unsupported' }
  | { type: 'rpc_async_nomem' }
  | { type: 'ifup' }
  | { type: 'ifdown' }
  | { type: 'process' }
  | { type: 'caller' }
  | { type: 'napi' }
  | { type: 'timer' }
  | { type: 'reset' }
  | { type: 'rpc_timeout' }
  | { type: 'poll_timeout' }
  | { type: 'timer_expire' }
  | { type: 'mc_respond'; len: number; err: boolean }
  | { type: 'mc_respond_dup' }
  | { type: 'mc_lose' }
  | { type: 'mc_stall' }
  | { type: 'mc_reboot' }
  | { type: 'tick' };

/** What the driver hands back: a completer call, a sync return, rpc_async's return code. */
export type McdiOutput =
  | { type: 'complete'; id: number; rc: number; resp: Answer | null; len: number; copied: number }
  | {
      type: 'rpc_done';
      id: number;
      rc: number;
      resp: Answer | null;
      outlenActual: number | null;
      copied: number;
    }
  | { type: 'rpc_async_rc'; id: number; rc: number }
  /* netif_err "MC response mismatch tx seq 0x%x rx seq 0x%x": a stale CMDDONE no credit took. */
  | { type: 'mc_mismatch'; seq: number; seqno: number };

export const VARIANTS = {
  timeoutNoSeqno: 'timeout-no-seqno',
  completeAsyncNoCmpxchg: 'complete-async-no-cmpxchg',
  flushNoWait: 'flush-no-wait',
  queueBeforeModeCheck: 'rpc-async-queue-before-mode-check',
  listAddHead: 'rpc-async-list-add-head',
  flushSkipsRunning: 'flush-skips-running',
  evDeathCompletesAsync: 'ev-death-completes-async',
  asWrittenRelease: 'as-written-release',
  asWrittenSendWindow: 'as-written-send-window',
  asWrittenCheckThenCmpxchg: 'as-written-check-then-cmpxchg',
  asWrittenCompleterLength: 'as-written-completer-length',
  asWrittenFlushNoWake: 'as-written-flush-no-wake',
  asWrittenFlushUnlocked: 'as-written-flush-unlocked',
  asWrittenCredits: 'as-written-credits',
  syncCopyUnclamped: 'sync-copy-unclamped',
  asyncBufferOutlenOnly: 'async-buffer-outlen-only',
  evCplV1KeepsDatalen: 'ev-cpl-v1-keeps-datalen',
  evCplV1IgnoresErrno: 'ev-cpl-v1-ignores-errno',
  evDeathKeepsStatus: 'ev-death-keeps-status',
  evDeathNoReset: 'ev-death-no-reset',
  nomemReportsSuccess: 'rpc-async-nomem-reports-success',
  pollTimeAfterEq: 'poll-time-after-eq',
  completeSyncNoWake: 'complete-sync-no-wake',
  asWrittenSeqnoWrap: 'as-written-seqno-wrap',
  abandonNoReset: 'abandon-no-reset',
  abandonInTimer: 'abandon-in-timer',
} as const;

type Ctx = McdiContext;

/**
 * Why an `!asyncLocked` guard is never false where the context holds the interface: async_lock
 * is held across a step only by an interface holder (the caller starting its request, a
 * release sending the next), and the interface has one holder. The guard is spin_lock_bh's
 * wait, kept as the code has it.
 */
const LOCK_FREE_HERE =
  'async_lock is held across a step only by the holder of the interface, which is this context';
/** RELEASE's POLL branch is reached only when the EVENTS ones failed, i.e. in POLL or FAIL mode. */
const RELEASE_POLL_ONLY = `${LOCK_FREE_HERE}, so the EVENTS branches fail only outside EVENTS mode`;

/**
 * Device-side ghost updates. A request sent from a buffer the flush already freed is garbage
 * (id -1): it has no ghost, and the MC's answer to it none either. A buggy driver (a variant)
 * may send one request twice: the ledger keeps one record per request, so the second copy's
 * answer counts as another reply while the record lives, and as nothing once it is gone.
 */
const onDevice =
  (op: (ledger: Ledger, id: number) => Ledger) =>
  (ledger: Ledger, id: number): Ledger =>
    id < 0 ? ledger : op(ledger, id);
const ledgerAnswer = onDevice((ledger, id) => {
  const device = find(ledger, id)?.device;
  if (device === 'holds') return answer(ledger, id);
  return device === 'answered' ? duplicate(ledger, id) : ledger;
});
const ledgerDuplicate = onDevice((ledger, id) =>
  find(ledger, id)?.device === 'answered' ? duplicate(ledger, id) : ledger,
);
const ledgerLose = onDevice((ledger, id) => (find(ledger, id) ? lose(ledger, id) : ledger));
const ledgerDeliver = onDevice((ledger, id) =>
  (find(ledger, id)?.replies ?? 0) > 0 ? deliver(ledger, id) : ledger,
);

/** Marks request `id` at the MC as given up on (ghost only). */
function abandon(mc: McRequest[], id: number | null | undefined): McRequest[] {
  return mc.map((r) => (r.id === id ? { ...r, abandoned: true } : r));
}
type Args = { context: Ctx; event: McdiInput };
type Region = 'process' | 'napi' | 'timer' | 'reset';

/** wake_up(&mcdi->wq): every sleeper on it becomes runnable and re-checks its condition. */
const WAKE_UP = { procAsleep: false, resetAsleep: false } as const;

export const mcdiMachine = defineMachine<McdiContext, McdiInput>({
  name: 'mcdi',
  title: 'Solarflare MCDI: sync and async RPCs to the management controller',
  seed: 'sources/sfc-mcdi-async.txt',
  bounds: [
    {
      name: 'requests',
      default: 2,
      min: 1,
      max: 16,
      description: 'calls in total (efx_mcdi_rpc and efx_mcdi_rpc_async together)',
    },
    {
      name: 'asyncCalls',
      default: 2,
      min: 0,
      max: 16,
      description: 'of those, calls of efx_mcdi_rpc_async (0: synchronous callers only)',
    },
    {
      name: 'queueLen',
      default: 2,
      min: 1,
      max: 6,
      description: 'longest async_list: rpc_async is not called while the list is this long',
    },
    {
      name: 'seqBits',
      default: 4,
      min: 1,
      max: 8,
      description: 'width of MCDI_HEADER_SEQ (4 in hardware): seqno wraps at 2^seqBits',
    },
    {
      name: 'timeout',
      default: 2,
      min: 1,
      max: 6,
      description: 'MCDI_RPC_TIMEOUT (10 s) in ticks: the async timer, wait_event_timeout, poll',
    },
    {
      name: 'latency',
      default: 2,
      min: 0,
      max: 6,
      description:
        'the MC answers its oldest request within this many ticks unless it is late or loses it (0: unbounded)',
    },
    {
      name: 'resetLatency',
      default: 1,
      min: 0,
      max: 4,
      description:
        'the reset work starts within this many ticks of efx_schedule_reset (0: unbounded)',
    },
    {
      name: 'ifdowns',
      default: 1,
      min: 0,
      max: 4,
      description:
        'times a user brings the interface down (efx_soft_disable_interrupts: mode_poll, stop the event queues, flush_async); ifup is free',
    },
    {
      name: 'mcdiVersion',
      default: 1,
      min: 1,
      max: 2,
      description:
        'MCDI version of the NIC: 1 (Siena) takes rc and length from the CMDDONE event, 2 (EF10) reads the header',
    },
    {
      name: 'inlen',
      default: 1,
      deep: 2,
      min: 1,
      max: 2,
      description: 'async inlen: 1 no longer than outlen, 2 also longer (the buffer is their max)',
    },
    {
      name: 'asyncFailures',
      default: 1,
      min: 0,
      max: 1,
      description:
        'efx_mcdi_rpc_async may fail before queueing (unsupported command, GFP_ATOMIC allocation failure)',
    },
    ...faultBounds({
      lost: { default: 0, deep: 1, note: 'the MC drops its oldest request' },
      duplicate: { default: 0, deep: 1, note: 'a CMDDONE event posted twice' },
      late: {
        default: 1,
        note: 'the MC answers its oldest request whenever it likes, also after the timeout',
      },
      error: { default: 1, note: 'MC_CMD_ERR_EINVAL in the header and in CMDDONE.ERRNO' },
      reset: {
        default: 0,
        deep: 1,
        note: 'the MC reboots: requests it holds are lost, the status word is set, a REBOOT event is posted',
      },
      lengths: { default: 1, deep: 3, note: 'DATALEN of an answer against an outlen of 2 dwords' },
    }),
  ],
  variants: [
    {
      name: VARIANTS.timeoutNoSeqno,
      description:
        'efx_mcdi_complete_async(timeout) without ++mcdi->seqno: a late completion of the timed-out request is taken for the next one',
      source: 'sources/sfc-mcdi-async.txt:148 (++mcdi->seqno in efx_mcdi_complete_async)',
      breaks: ['completion-for-request-in-flight'],
    },
    {
      name: VARIANTS.completeAsyncNoCmpxchg,
      description:
        'efx_mcdi_complete_async tests state == RUNNING_ASYNC without the cmpxchg to COMPLETED: the timer and a completion both complete the request',
      source: 'sources/sfc-mcdi-async.txt:138 (cmpxchg RUNNING_ASYNC -> COMPLETED)',
      breaks: [
        'completer-once',
        'completed-at-most-once',
        'completion-for-request-in-flight',
        'credit-for-awaited-event',
        'one-outstanding-at-mc',
      ],
    },
    {
      name: VARIANTS.flushNoWait,
      description:
        'efx_mcdi_flush_async sets QUIESCENT without efx_mcdi_poll: the next request is written while the MC still works on the running one',
      source: 'sources/sfc-mcdi-async.txt:342-345 (efx_mcdi_poll before state = QUIESCENT)',
      breaks: ['one-outstanding-at-mc'],
    },
    {
      name: VARIANTS.queueBeforeModeCheck,
      description:
        'efx_mcdi_rpc_async adds the request to async_list before checking the mode, and still returns -ENETDOWN: flush_async later calls its completer',
      source: 'sources/sfc-mcdi-async.txt:271-286 (list_add_tail only in MCDI_MODE_EVENTS)',
      // Before finding 8's fix it also broke credit-for-awaited-event: a polled sync request
      // timed out, ifup's mode_event started the rejected request, and its timer took a credit.
      // Now that timeout abandons MCDI, mode_event returns in FAIL, and the FLR's flush drops it.
      breaks: ['completer-once', 'completed-at-most-once', 'no-completer-after-error-return'],
    },
    {
      name: VARIANTS.listAddHead,
      description:
        'efx_mcdi_rpc_async uses list_add instead of list_add_tail: a new request jumps the queue, and complete_async then takes it for the running one',
      source: 'sources/sfc-mcdi-async.txt:272 (list_add_tail(&async->list, &mcdi->async_list))',
      breaks: [
        'completer-fifo',
        'completion-for-request-in-flight',
        'credit-absorbs-own-event',
        'one-outstanding-at-mc',
      ],
    },
    {
      name: VARIANTS.flushSkipsRunning,
      description:
        'efx_mcdi_flush_async takes the running request off async_list once efx_mcdi_poll has seen its response, without calling its completer',
      source:
        'sources/sfc-mcdi-async.txt:342-356 (the running request stays on the list and gets -ENETDOWN)',
      breaks: ['completer-once', 'completer-fifo', 'flush-completes-queued'],
    },
    {
      name: VARIANTS.evDeathCompletesAsync,
      description:
        'efx_mcdi_ev_death completes an outstanding async request under iface_lock: efx_mcdi_complete_async takes iface_lock again and spins forever',
      source: 'sources/sfc-mcdi-async.txt:380-382 ("efx_mcdi_complete() would deadlock")',
      breaks: [
        'completer-once',
        'no-wait-for-lost-request',
        'can-return-to-quiescent',
        'no-deadlock',
      ],
      bounds: { reset: 1, late: 0, error: 0 },
    },
    {
      name: VARIANTS.asWrittenRelease,
      description:
        'the seed as written: efx_mcdi_release drops async_lock before setting QUIESCENT, so a request queued in between is never started',
      source: 'sources/sfc-mcdi-async.txt:115-121 (spin_unlock_bh, then mcdi->state = QUIESCENT)',
      breaks: ['no-stranded-request', 'completer-once'],
      finding: true,
    },
    {
      name: VARIANTS.asWrittenSendWindow,
      description:
        'the seed as written: efx_mcdi_ev_cpl accepts any CMDDONE whose seqno is mcdi->seqno, also one for the previous request that arrives after the next request took the interface and before efx_mcdi_send_request incremented seqno',
      source:
        'sources/sfc-mcdi-async.txt:197-202 ("A subsequent invocation would increment seqno")',
      breaks: ['completion-for-request-in-flight'],
      finding: true,
    },
    {
      name: VARIANTS.asWrittenCheckThenCmpxchg,
      description:
        'the seed as written: efx_mcdi_ev_cpl checks the seqno under iface_lock, drops the lock, then efx_mcdi_complete_async does the cmpxchg; a timeout in between completes the request and starts the next one, whose RUNNING_ASYNC the late cmpxchg then takes',
      source: 'sources/sfc-mcdi-async.txt:189-195 (spin_unlock(&mcdi->iface_lock); if (wake) ...)',
      breaks: ['completion-for-request-in-flight'],
      finding: true,
    },
    {
      name: VARIANTS.asWrittenCompleterLength,
      description:
        'the seed as written: the completer is told data_len, the length the MC sent, although only min(outlen, data_len) bytes were read into its buffer (upstream later passes the min)',
      source:
        'sources/sfc-mcdi-async.txt:174-176 (read min(async->outlen, data_len); complete(..., data_len))',
      breaks: ['completer-length-is-copied'],
      bounds: { lengths: 3, late: 0, error: 0 },
      finding: true,
    },
    {
      name: VARIANTS.asWrittenFlushNoWake,
      description:
        'the seed as written: efx_mcdi_flush_async sets QUIESCENT without wake_up(&mcdi->wq), so a caller asleep in efx_mcdi_acquire_sync sleeps on until some other context releases the interface',
      source: 'sources/sfc-mcdi-async.txt:342-345 (mcdi->state = MCDI_STATE_QUIESCENT; no wake_up)',
      breaks: ['no-lost-wakeup'],
      finding: true,
    },
    {
      name: VARIANTS.asWrittenFlushUnlocked,
      description:
        'the seed as written: efx_mcdi_flush_async stops the timer and walks async_list without async_lock ("Nothing else will access the async list now"), while a synchronous caller\'s efx_mcdi_release, which read EVENTS before efx_mcdi_mode_poll, starts the head: the flush frees the request the release is sending, and the release arms the timer after del_timer_sync',
      source:
        'sources/sfc-mcdi-async.txt:99-115 (release: mode test, then spin_lock_bh) and 336-356 (flush: del_timer_sync, list walk without the lock)',
      breaks: [
        'flush-frees-unused',
        'completer-once',
        'completed-at-most-once',
        'flush-completes-queued',
      ],
      finding: true,
    },
    {
      name: VARIANTS.asWrittenCredits,
      description:
        'the seed as written: a timeout or efx_mcdi_ev_death takes a credit whether or not a CMDDONE can still come (a polled request asked for none; NAPI may have taken the answer between the timer\'s cmpxchg and its fence), and a stale CMDDONE takes any credit: credits drift, silencing a real "MC response mismatch" or logging a false one',
      source:
        'sources/sfc-mcdi-async.txt:145-149 (++mcdi->credits on timeout), efx_mcdi_rpc_finish and efx_mcdi_ev_death (3.12), efx_mcdi_ev_cpl ("The request has been cancelled")',
      breaks: ['credit-for-awaited-event', 'credit-absorbs-own-event'],
      finding: true,
    },
    {
      name: VARIANTS.syncCopyUnclamped,
      description:
        "efx_mcdi_rpc_finish copies data_len bytes into the caller's outbuf instead of min(outlen, data_len)",
      source:
        'efx_mcdi_rpc_finish (3.12): mcdi_read_response(outbuf, hdr_len, min(outlen, data_len))',
      breaks: ['copy-within-buffer'],
      bounds: { lengths: 3, late: 0, error: 0 },
    },
    {
      name: VARIANTS.asyncBufferOutlenOnly,
      description:
        'efx_mcdi_rpc_async allocates ALIGN(outlen, 4) for the request and response buffer: memcpy(async + 1, inbuf, inlen) overflows it when inlen > outlen',
      source: 'sources/sfc-mcdi-async.txt:257 (ALIGN(max(inlen, outlen), 4)) and :267',
      breaks: ['copy-within-buffer'],
      bounds: { inlen: 2, late: 0, error: 0 },
    },
    {
      name: VARIANTS.evCplV1KeepsDatalen,
      description:
        'efx_mcdi_ev_cpl on an MCDI v1 NIC does not set resp_data_len from the event: the length of the previous response is reported',
      source: 'efx_mcdi_ev_cpl (3.12): mcdi->resp_data_len = datalen',
      breaks: ['result-matches-answer'],
    },
    {
      name: VARIANTS.evCplV1IgnoresErrno,
      description:
        'efx_mcdi_ev_cpl on an MCDI v1 NIC sets resprc = 0 instead of efx_mcdi_errno(mcdi_err): an error the poll path reports is success by event',
      source: 'efx_mcdi_ev_cpl (3.12): mcdi->resprc = efx_mcdi_errno(mcdi_err)',
      breaks: ['result-matches-answer'],
    },
    {
      name: VARIANTS.evDeathKeepsStatus,
      description:
        'efx_mcdi_ev_death does not consume the status word when no request waits: the next polled request reads "MC rebooted" for a reboot already handled',
      source:
        'efx_mcdi_ev_death (3.12): "Consume the status word since efx_mcdi_rpc_finish() won\'t"',
      breaks: ['stale-reboot-not-reported'],
      bounds: { reset: 1, late: 0, error: 0 },
    },
    {
      name: VARIANTS.evDeathNoReset,
      description:
        'efx_mcdi_ev_death does not call efx_schedule_reset when no sync request waits: the async request the MC lost is left to its timer',
      source:
        'sources/sfc-mcdi-async.txt:380-382 ("The reset process will take care of this") and efx_mcdi_ev_death\'s efx_schedule_reset',
      breaks: ['no-wait-for-lost-request'],
      bounds: { reset: 1, late: 0, error: 0 },
    },
    {
      name: VARIANTS.nomemReportsSuccess,
      description:
        "efx_mcdi_rpc_async returns 0 when kmalloc fails (rc still holds check_supported's 0): the caller waits for a completer that never runs",
      source: 'sources/sfc-mcdi-async.txt:257-260 (if (!async) return -ENOMEM)',
      breaks: ['completer-once', 'completer-fifo'],
    },
    {
      name: VARIANTS.pollTimeAfterEq,
      description:
        'efx_mcdi_poll gives up at time_after_eq(time, finish): one tick early, while the MC may still answer within MCDI_RPC_TIMEOUT',
      source: 'efx_mcdi_poll (3.12): if (time_after(time, finish)) return -ETIMEDOUT',
      breaks: ['no-timeout-while-answer-due'],
    },
    {
      name: VARIANTS.completeSyncNoWake,
      description:
        'efx_mcdi_complete_sync moves to COMPLETED without wake_up(&mcdi->wq): the waiter sleeps its whole timeout although its answer came',
      source: 'sources/sfc-mcdi-async.txt:89-93 (cmpxchg, then wake_up(&mcdi->wq))',
      breaks: ['no-lost-wakeup'],
    },
    {
      name: VARIANTS.asWrittenSeqnoWrap,
      description:
        'the seed as written: a timeout only moves mcdi->seqno on (the fence), and the next caller sends at once; with the MC still holding the timed-out request, 2^(seqBits-1) timeouts bring seqno back to its seq, and its late answer is taken for the request then running',
      source:
        'sources/sfc-mcdi-async.txt:145-148 ("if the completion event arrives later, the seqno check in efx_mcdi_ev_cpl() will fail") and efx_mcdi_rpc_finish (3.12)',
      // The credits are told apart by their seqnos (finding 7's fix): they alias alike.
      breaks: ['completion-for-request-in-flight', 'credit-absorbs-own-event'],
      // The wrap at the hardware's 4 bits needs requests=9 (docs/mcdi.md, finding 8): the
      // same aliasing at 2 bits needs 3 requests (two timeouts, then the one that takes it).
      bounds: { seqBits: 2, requests: 3, asyncCalls: 0, error: 0, ifdowns: 0 },
      finding: true,
    },
    {
      name: VARIANTS.abandonNoReset,
      description:
        'efx_mcdi_abandon sets MCDI_MODE_FAIL without efx_schedule_reset(RESET_TYPE_MCDI_TIMEOUT): nothing ends the fail mode, and every later MCDI call fails with -ENETDOWN',
      source:
        'efx_mcdi_abandon (torvalds/linux drivers/net/ethernet/sfc/mcdi.c): xchg(&mcdi->mode, MCDI_MODE_FAIL), then efx_schedule_reset',
      // Requests queued when MCDI failed are never started, and no reset flushes them.
      breaks: ['completer-once', 'fail-mode-recovers'],
    },
    {
      name: VARIANTS.abandonInTimer,
      description:
        "efx_mcdi_abandon also from the async timer (upstream calls it from efx_mcdi_rpc_finish only): a sync caller past efx_mcdi_rpc_start's FAIL test sends without EVREQ, a mode_poll that stored POLL before the abandon completes it, and efx_mcdi_await_completion, which polls only in POLL mode, returns 0 with no response",
      source:
        'efx_mcdi_abandon, efx_mcdi_rpc_start, efx_mcdi_await_completion ("if (mcdi->mode == MCDI_MODE_POLL) return efx_mcdi_poll(efx)") in torvalds/linux drivers/net/ethernet/sfc/mcdi.c',
      breaks: ['completion-for-request-in-flight'],
    },
  ],
  build({ bounds, variants }) {
    const SEQ_MOD = 2 ** bounds.seqBits;
    const T = bounds.timeout;
    const has = (name: string) => variants.has(name);
    const timeoutBumpsSeqno = !has(VARIANTS.timeoutNoSeqno);
    const asyncCmpxchg = !has(VARIANTS.completeAsyncNoCmpxchg);
    const flushWaits = !has(VARIANTS.flushNoWait);
    const queueBeforeModeCheck = has(VARIANTS.queueBeforeModeCheck);
    const addAtHead = has(VARIANTS.listAddHead);
    const quiesceUnderLock = !has(VARIANTS.asWrittenRelease);
    const checkAwaiting = !has(VARIANTS.asWrittenSendWindow);
    const cmpxchgUnderLock = !has(VARIANTS.asWrittenCheckThenCmpxchg);
    const flushSkipsRunning = has(VARIANTS.flushSkipsRunning);
    const deathCompletesAsync = has(VARIANTS.evDeathCompletesAsync);
    const completerGetsDataLen = has(VARIANTS.asWrittenCompleterLength);
    /* As written, efx_mcdi_release reads the mode before async_lock and the flush walks the
       list without it; fixed, the release reads the mode under the lock and the flush takes
       the lock once (waiting for a release inside it) before it stops the timer. */
    const modeCheckedUnlocked = has(VARIANTS.asWrittenFlushUnlocked);
    const flushSyncsWithRelease = !modeCheckedUnlocked;
    const creditsAsWritten = has(VARIANTS.asWrittenCredits);
    const flushWakes = !has(VARIANTS.asWrittenFlushNoWake);
    const completeSyncWakes = !has(VARIANTS.completeSyncNoWake);
    const deathConsumesStatus = !has(VARIANTS.evDeathKeepsStatus);
    const deathSchedulesReset = !has(VARIANTS.evDeathNoReset);
    /* The fix for finding 8: a timeout abandons MCDI (MCDI_MODE_FAIL until an FLR). */
    const timeoutAbandons = !has(VARIANTS.asWrittenSeqnoWrap);
    const abandonSchedulesFlr = !has(VARIANTS.abandonNoReset);
    /** time_after(time, finish) in efx_mcdi_poll, or the variant's time_after_eq. */
    const pollGivesUp = has(VARIANTS.pollTimeAfterEq) ? timeAfterEq : timeAfter;

    /** efx_mcdi_complete_sync's effect when its cmpxchg wins: COMPLETED, and wake the waiter. */
    const completeSync = completeSyncWakes
      ? ({ state: 'COMPLETED', ...WAKE_UP } as const)
      : ({ state: 'COMPLETED' } as const);

    /**
     * resprc, resp_data_len and the ghost of their answer once read for good: the next reader
     * always finds them written anew, so the model forgets them (fewer states; the driver
     * keeps them). Not in the variant that reports the previous response's length.
     */
    const keepsDeadValues = has(VARIANTS.evCplV1KeepsDatalen);
    const consumed: Partial<Ctx> = keepsDeadValues
      ? {}
      : { resprc: 0, respLen: 0, ghostResp: null };

    /**
     * Entering efx_mcdi_poll from a step that also does `before` (the send, the wake-up):
     * efx_mcdi_poll_reboot first ("MC rebooted" when the status word is set, which it reads
     * and clears), else finish = jiffies + MCDI_RPC_TIMEOUT and the poll loop. Merged with the
     * step before: no lock is held across it, and a reboot just after it is seen by the loop
     * (the header then says "MC rebooted") with the same result.
     */
    const startPoll = (when: (args: Args) => boolean, before: (context: Ctx) => Partial<Ctx>) => [
      {
        guard: (args: Args) => when(args) && args.context.statusWord,
        meta: {
          lint: { 'guard-never-true': 'the status word is set by an MC reboot: --bound reset=1' },
        },
        target: 'FINISH',
        actions: assign<Ctx, McdiInput, undefined, McdiInput, never>(({ context }) => ({
          ...before(context),
          statusWord: false,
          resprc: EIO,
          respLen: 0,
          ghostResp: null,
          awaiting: false,
        })),
      },
      {
        guard: when,
        target: 'POLL',
        actions: assign<Ctx, McdiInput, undefined, McdiInput, never>(({ context }) => ({
          ...before(context),
          procDeadline: arm(T),
        })),
      },
    ];

    /** efx_schedule_reset: the reset work is queued (it must start within resetLatency). */
    const scheduleReset = (context: Ctx): Partial<Ctx> => ({
      resetPending: true,
      resetDue:
        context.resetWaits === 'idle' ? (context.resetDue ?? due(bounds.resetLatency)) : null,
    });

    /**
     * The fix for finding 8, efx_mcdi_abandon: xchg(&mcdi->mode, MCDI_MODE_FAIL) and, if it was
     * not failed already, efx_schedule_reset(RESET_TYPE_MCDI_TIMEOUT). Lockless; merged with
     * the fence that follows it (the steps that could come between read the mode or seqno,
     * never both: rpc_async, mode_poll and mode_event the mode, ev_cpl the seqno).
     */
    const abandonMcdi = (context: Ctx): Partial<Ctx> =>
      context.mode === 'FAIL' || !abandonSchedulesFlr
        ? { mode: 'FAIL' }
        : {
            mode: 'FAIL',
            flrPending: true,
            resetDue:
              context.resetWaits === 'idle' ? (context.resetDue ?? due(bounds.resetLatency)) : null,
          };

    /**
     * efx_mcdi_reset(RESET_TYPE_MCDI_TIMEOUT): pci_reset_function, then mode = POLL. The FLR
     * ends what the MC was doing for this function: the requests it holds are dropped, so no
     * answer to them can come (the model's reading of "issue an FLR to try to recover"; the
     * firmware is not in the seed). efx_reset clears only this reset's bit; a MC_FAILURE reset
     * pending beside it is taken as done here (its down and up are what this one did). The
     * credits go too (finding 7's fix: a credit stands for a CMDDONE that can still come, and
     * after the FLR none of the dropped requests' can; upstream keeps its count).
     */
    const flr = (context: Ctx): Partial<Ctx> => ({
      flrPending: false,
      resetPending: false,
      credits: [],
      mode: 'POLL',
      mc: [],
      mcDue: null,
      ghosts: context.mc.reduce((ledger, r) => ledgerLose(ledger, r.id), context.ghosts),
    });

    /** The MC's header is overwritten: the answer it held is gone for good (ghost). */
    const overwriteHeader = (context: Ctx, ghosts: Ledger): Ledger =>
      context.shmem !== null && context.shmem !== 'REBOOT'
        ? ledgerDeliver(ghosts, context.shmem.id)
        : ghosts;

    /** efx_mcdi_send_request, first half: ++seqno under iface_lock (and the fix's token). */
    const sendSeqno = (context: Ctx): Partial<Ctx> => ({
      seqno: (context.seqno + 1) % SEQ_MOD,
      // Not for a request an MC reboot or mode_poll already completed (state COMPLETED).
      awaiting:
        checkAwaiting && (context.state === 'RUNNING_SYNC' || context.state === 'RUNNING_ASYNC'),
    });

    /**
     * efx_mcdi_send_request, second half: EVREQ from the mode, the header and the request
     * written, the doorbell rung. The MC owes an answer from when the request is its oldest.
     */
    const sendWrite = (context: Ctx, id: number): Partial<Ctx> => ({
      mc: [
        ...context.mc,
        {
          seq: context.seqno,
          id,
          evreq: context.mode === 'EVENTS',
          abandoned: false,
          behind: context.mc.length > 0,
        },
      ],
      mcDue: context.mc.length === 0 ? due(bounds.latency) : context.mcDue,
      shmem: null,
      ghosts: overwriteHeader(context, context.ghosts),
    });

    /**
     * ++credits for the request `owner`, cancelled with seqno mcdi->seqno. As written always;
     * fixed only while its CMDDONE can still come as far as the driver knows: a response is
     * still awaited and completions come by event.
     */
    const takeCredit = (context: Ctx, owner: number): Partial<Ctx> =>
      creditsAsWritten || (context.awaiting && context.mode === 'EVENTS')
        ? { credits: [...context.credits, { id: owner, seq: context.seqno }] }
        : {};

    /**
     * The timeout paths' fence: ++seqno; ++credits under iface_lock; fixed, in the sync
     * path, with efx_mcdi_abandon. Upstream abandons first; here the credit test (finding 7's
     * fix) reads the mode the request was sent in, so it comes first (nothing between reads
     * both).
     */
    const fence = (
      context: Ctx,
      owner: number,
      bumpSeqno: boolean,
      abandons: boolean,
    ): Partial<Ctx> => ({
      ...takeCredit(context, owner),
      ...(abandons ? abandonMcdi(context) : {}),
      seqno: bumpSeqno ? (context.seqno + 1) % SEQ_MOD : context.seqno,
      mc: abandon(context.mc, owner),
    });

    /** efx_mcdi_ev_cpl's test: the event's seqno is mcdi->seqno (and, fixed, still awaited). */
    const accepts = (context: Ctx): boolean => {
      const ev = context.evq[0];
      return (
        ev?.code === 'CMDDONE' && ev.seq === context.seqno && (!checkAwaiting || context.awaiting)
      );
    };

    /**
     * efx_mcdi_ev_cpl accepting the head CMDDONE: a v1 NIC takes rc and length from the event,
     * a v2 NIC reads the header (efx_mcdi_read_response_header).
     */
    const acceptCompletion = (context: Ctx): Partial<Ctx> => {
      const ev = context.evq[0] as { code: 'CMDDONE' } & Answer;
      const rest = {
        evq: context.evq.slice(1),
        awaiting: false,
        ghosts: ledgerDeliver(context.ghosts, ev.id),
      };
      if (bounds.mcdiVersion >= 2)
        return { ...rest, ...readResponseHeader(context.shmem, context.seqno) };
      const answer: Answer = { seq: ev.seq, id: ev.id, rc: ev.rc, len: ev.len };
      return {
        ...rest,
        resprc: has(VARIANTS.evCplV1IgnoresErrno) ? 0 : efxMcdiErrno(ev.rc),
        respLen: has(VARIANTS.evCplV1KeepsDatalen) ? context.respLen : ev.len,
        ghostResp: answer,
      };
    };

    /**
     * A CMDDONE that fails the check: if its seqno is not mcdi->seqno and a credit is left,
     * "The request has been cancelled" takes one (else "MC response mismatch" is logged). As
     * written any credit (the model takes the event's own if it has one, so that a theft is a
     * theft); fixed, only the credit of the seqno the event carries.
     */
    /** The credit a stale CMDDONE takes (an index of `credits`), or -1 when none. */
    const creditTaken = (context: Ctx): number => {
      const ev = context.evq[0] as { code: 'CMDDONE' } & Answer;
      if (ev.seq === context.seqno) return -1;
      const own = context.credits.findIndex((c) =>
        creditsAsWritten ? c.id === ev.id : c.seq === ev.seq,
      );
      return own >= 0 ? own : creditsAsWritten && context.credits.length > 0 ? 0 : -1;
    };
    /** A stale CMDDONE with no credit to take: "MC response mismatch" is logged. */
    const logsMismatch = (context: Ctx): boolean =>
      (context.evq[0] as Answer).seq !== context.seqno && creditTaken(context) < 0;

    const dropCompletion = (context: Ctx): Partial<Ctx> => {
      const ev = context.evq[0] as { code: 'CMDDONE' } & Answer;
      const taken = creditTaken(context);
      const stale = taken >= 0;
      return {
        evq: context.evq.slice(1),
        credits: stale ? context.credits.filter((_, i) => i !== taken) : context.credits,
        ghosts: ledgerDeliver(context.ghosts, ev.id),
      };
    };

    const canCallAsync = (context: Ctx): boolean =>
      context.issued < bounds.requests &&
      context.asyncIssued < bounds.asyncCalls &&
      !context.asyncLocked &&
      context.asyncList.length < bounds.queueLen;

    /** A call of efx_mcdi_rpc_async gets a ghost id whatever it returns. */
    const newAsyncCall = (context: Ctx) => {
      const { ledger, id } = ledgerIssue(context.ghosts, bounds.requests);
      return {
        id,
        ledger,
        counts: { issued: context.issued + 1, asyncIssued: context.asyncIssued + 1 },
      };
    };

    /**
     * Whether the context in this step may be kept waiting across a tick: it is idle, asleep
     * on mcdi->wq (and not at its deadline), polling with no response yet (and not past its
     * deadline), or sleeping before its deadline. Any other code runs before the next tick.
     */
    const mayWait = (wait: Wait, asleep: boolean, deadline: Deadline, responded: boolean) => {
      switch (wait) {
        case 'idle':
          return true;
        case 'run':
          return false;
        case 'wq':
          return asleep && !timerDue(deadline);
        case 'poll':
          return !responded && !pollGivesUp(deadline);
        case 'sleep':
          return !timerDue(deadline);
      }
    };

    const urgent = (context: Ctx): boolean =>
      context.callerBusy ||
      context.napiBusy ||
      context.evq.length > 0 ||
      context.timerRunning ||
      timerDue(context.asyncTimer) ||
      !mayWait(
        context.procWaits,
        context.procAsleep,
        context.procDeadline,
        context.shmem !== null,
      ) ||
      !mayWait(
        context.resetWaits,
        context.resetAsleep,
        context.resetDeadline,
        context.shmem !== null,
      );

    /** Entry action of a step: what the region waits for there (derived, adds no states). */
    const waits = (region: 'process' | 'reset', wait: Wait) => ({
      type: 'waits' as const,
      params: { region, wait },
    });
    const run = (region: 'process' | 'reset') => waits(region, 'run');

    const machine = setup({
      types: {} as { context: McdiContext; events: McdiInput; emitted: McdiOutput },
      actions: {
        waits: assign((_, params: { region: 'process' | 'reset'; wait: Wait }) =>
          params.region === 'process' ? { procWaits: params.wait } : { resetWaits: params.wait },
        ),
        /* UP and DOWN of the reset region: idle, and the reset work's clock starts. */
        idleReset: assign(({ context }) => ({
          resetWaits: 'idle' as const,
          resetDue:
            context.resetPending || context.flrPending
              ? (context.resetDue ?? due(bounds.resetLatency))
              : null,
        })),
        /* efx_mcdi_rpc_async returned an error: the request never reached the MC, and its
           caller knows (a call gets a ghost id whatever it returns). */
        returnRejected: emit(({ context }, params: { rc: number }) => ({
          type: 'rpc_async_rc' as const,
          id: newAsyncCall(context).id,
          rc: params.rc,
        })),
        forgetRejected: assign(({ context }) => {
          const call = newAsyncCall(context);
          return {
            ...call.counts,
            ghosts: ledgerComplete(ledgerLose(call.ledger, call.id), call.id),
          };
        }),
      },
    }).createMachine({
      id: 'mcdi',
      type: 'parallel',
      meta: {
        lint: {
          'field-never-changes': {
            'context.rebootsLeft':
              'the reboot budget: reset=0 by default, --bound reset=1 spends it',
            'context.ghostRebootHandled':
              'set when efx_mcdi_ev_death handles a REBOOT: only with --bound reset=1 (stale-reboot-not-reported reads it)',
          },
        },
      },
      context: {
        state: 'QUIESCENT',
        mode: 'POLL',
        seqno: 0,
        credits: [],
        resprc: 0,
        respLen: 0,
        ghostResp: null,
        awaiting: false,
        asyncList: [],
        asyncLocked: false,
        releasing: null,
        asyncTimer: null,
        timerRunning: false,
        napiBusy: false,
        callerBusy: false,
        statusWord: false,
        ghostRebootHandled: false,
        resetPending: false,
        flrPending: false,
        syncId: null,
        procDeadline: null,
        procAsleep: false,
        procWaits: 'idle',
        resetDeadline: null,
        resetAsleep: false,
        resetWaits: 'idle',
        resetDue: null,
        eventsStopped: true,
        napiRc: 0,
        napiLen: 0,
        napiResp: null,
        issued: 0,
        asyncIssued: 0,
        rebootsLeft: bounds.reset,
        ifdownsLeft: bounds.ifdowns,
        mc: [],
        mcDue: null,
        shmem: null,
        evq: [],
        ghosts: EMPTY_LEDGER,
      },
      on: {
        /* The MC answers its oldest request: the header in shared memory and, if the request
           asked for it and the event queues run, a CMDDONE event with SEQ, ERRNO, DATALEN. */
        mc_respond: {
          guard: ({ context, event }) =>
            context.mc.length > 0 && answerAllowed(event.len, event.err),
          actions: assign(({ context, event }) => respond(context, event.len, event.err, 1)),
        },
        mc_respond_dup: {
          meta: { lint: { 'guard-never-true': 'the MC duplicates only with --bound duplicate=1' } },
          guard: ({ context }) =>
            faultOn(bounds, 'duplicate') &&
            context.mc.length > 0 &&
            context.mc[0].evreq &&
            !context.eventsStopped,
          actions: assign(({ context }) => respond(context, OUTLEN, false, 2)),
        },
        /* The MC drops its oldest request: no answer will ever come. */
        mc_lose: {
          meta: { lint: { 'guard-never-true': 'the MC loses requests only with --bound lost=1' } },
          guard: ({ context }) => faultOn(bounds, 'lost') && context.mc.length > 0,
          actions: assign(({ context }) => ({
            mc: context.mc.slice(1),
            mcDue: context.mc.length > 1 ? due(bounds.latency) : null,
            ghosts: ledgerLose(context.ghosts, context.mc[0].id),
          })),
        },
        /* The MC is late with its oldest request: it may answer at any time from now on. */
        mc_stall: {
          guard: ({ context }) => faultOn(bounds, 'late') && context.mcDue !== null,
          actions: assign({ mcDue: null }),
        },
        /* MC reboot: requests it holds are lost, the header and the status word say so, and a
           REBOOT event is posted (the MC sets the status word within MCDI_STATUS_DELAY_COUNT
           polls of the event; modelled as set with it). */
        mc_reboot: {
          meta: { lint: { 'guard-never-true': 'the MC reboots only with --bound reset=1' } },
          guard: ({ context }) =>
            context.rebootsLeft > 0 && (context.state !== 'QUIESCENT' || context.mc.length > 0),
          actions: assign(({ context }) => ({
            mc: [],
            mcDue: null,
            rebootsLeft: context.rebootsLeft - 1,
            shmem: 'REBOOT' as const,
            statusWord: true,
            ghostRebootHandled: false,
            evq: context.eventsStopped
              ? context.evq
              : [...context.evq, { code: 'REBOOT' as const }],
            ghosts: context.mc.reduce(
              (ledger, r) => ledgerLose(ledger, r.id),
              overwriteHeader(context, context.ghosts),
            ),
          })),
        },
        [TICK]: {
          guard: ({ context }) =>
            canTick({
              deadlines: [context.asyncTimer, context.procDeadline, context.resetDeadline],
              dues: [context.mcDue, context.resetDue],
              urgent: urgent(context),
            }),
          actions: assign(({ context }) => ({
            asyncTimer: elapse(context.asyncTimer),
            procDeadline: elapse(context.procDeadline),
            resetDeadline: elapse(context.resetDeadline),
            mcDue: elapseDue(context.mcDue),
            resetDue: elapseDue(context.resetDue),
          })),
        },
      },
      states: {
        process: {
          initial: 'IDLE',
          states: {
            IDLE: {
              entry: [assign({ syncId: null }), waits('process', 'idle')],
              on: {
                rpc: [
                  /* The fix for finding 8: efx_mcdi_rpc_start in MCDI_MODE_FAIL returns
                     -ENETDOWN before efx_mcdi_acquire_sync (lockless: a caller past this test
                     when the mode fails still sends). */
                  {
                    guard: ({ context }) =>
                      context.issued < bounds.requests && context.mode === 'FAIL',
                    actions: [
                      emit(({ context }) => ({
                        type: 'rpc_done' as const,
                        id: ledgerIssue(context.ghosts, bounds.requests).id,
                        rc: ENETDOWN,
                        resp: null,
                        outlenActual: null,
                        copied: 0,
                      })),
                      assign(({ context }) => {
                        const { ledger, id } = ledgerIssue(context.ghosts, bounds.requests);
                        return {
                          issued: context.issued + 1,
                          ghosts: ledgerComplete(ledgerLose(ledger, id), id),
                        };
                      }),
                    ],
                  },
                  {
                    guard: ({ context }) => context.issued < bounds.requests,
                    target: 'ACQUIRE_SYNC',
                    actions: assign(({ context }) => {
                      const { ledger, id } = ledgerIssue(context.ghosts, bounds.requests);
                      return { syncId: id, issued: context.issued + 1, ghosts: ledger };
                    }),
                  },
                ],
              },
            },
            /* efx_mcdi_acquire_sync: wait_event(cmpxchg(QUIESCENT -> RUNNING_SYNC)). */
            ACQUIRE_SYNC: {
              entry: waits('process', 'wq'),
              on: {
                process: [
                  {
                    guard: ({ context }) => !context.procAsleep && context.state === 'QUIESCENT',
                    target: 'SEND_SEQNO',
                    actions: assign({ state: 'RUNNING_SYNC' }),
                  },
                  {
                    guard: ({ context }) => !context.procAsleep,
                    actions: assign({ procAsleep: true }),
                  },
                ],
              },
            },
            SEND_SEQNO: {
              entry: run('process'),
              on: {
                process: {
                  target: 'SEND_WRITE',
                  actions: assign(({ context }) => sendSeqno(context)),
                },
              },
            },
            /* The request reaches the MC; efx_mcdi_rpc_finish then polls or awaits by mode. */
            SEND_WRITE: {
              entry: run('process'),
              on: {
                process: [
                  ...startPoll(
                    ({ context }) => context.mode === 'POLL',
                    (context) => sendWrite(context, context.syncId!),
                  ),
                  {
                    target: 'AWAIT_COMPLETION',
                    actions: assign(({ context }) => ({
                      ...sendWrite(context, context.syncId!),
                      procDeadline: arm(T),
                    })),
                  },
                ],
              },
            },
            /* efx_mcdi_await_completion: wait_event_timeout(state == COMPLETED, T); then, if
               mode_poll switched us to POLL meanwhile, efx_mcdi_poll. */
            AWAIT_COMPLETION: {
              entry: waits('process', 'wq'),
              on: {
                process: [
                  ...startPoll(
                    ({ context }) =>
                      !context.procAsleep &&
                      context.state === 'COMPLETED' &&
                      context.mode === 'POLL',
                    () => ({ procDeadline: null }),
                  ),
                  {
                    guard: ({ context }) => !context.procAsleep && context.state === 'COMPLETED',
                    target: 'FINISH',
                    actions: assign({ procDeadline: null }),
                  },
                  {
                    guard: ({ context }) => !context.procAsleep,
                    actions: assign({ procAsleep: true }),
                  },
                ],
                /* The timeout wakes the waiter, which checks the condition once more. */
                rpc_timeout: [
                  ...startPoll(
                    ({ context }) =>
                      timerDue(context.procDeadline) &&
                      context.state === 'COMPLETED' &&
                      context.mode === 'POLL',
                    () => ({ procDeadline: null, procAsleep: false }),
                  ),
                  {
                    guard: ({ context }) =>
                      timerDue(context.procDeadline) && context.state === 'COMPLETED',
                    target: 'FINISH',
                    actions: assign({ procDeadline: null, procAsleep: false }),
                  },
                  {
                    guard: ({ context }) => timerDue(context.procDeadline),
                    target: 'TIMED_OUT',
                    actions: assign({ procDeadline: null, procAsleep: false }),
                  },
                ],
              },
            },
            /* The poll loop: time = jiffies; efx_mcdi_poll_once reads the header under
               iface_lock when the MC has written it; else time_after(time, finish). */
            POLL: {
              entry: waits('process', 'poll'),
              on: {
                process: {
                  guard: ({ context }) => context.shmem !== null,
                  target: 'FINISH',
                  actions: assign(({ context }) => ({
                    ...readResponseHeader(context.shmem, context.seqno),
                    awaiting: false,
                    procDeadline: null,
                  })),
                },
                poll_timeout: {
                  guard: ({ context }) =>
                    context.shmem === null && pollGivesUp(context.procDeadline),
                  target: 'TIMED_OUT',
                  actions: assign({ procDeadline: null }),
                },
              },
            },
            /* efx_mcdi_rpc_finish, rc != 0: "Close the race with efx_mcdi_ev_cpl() executing
               just too late": ++seqno; ++credits under iface_lock. */
            TIMED_OUT: {
              entry: run('process'),
              on: {
                process: {
                  target: 'RELEASE',
                  actions: [
                    emit(({ context }) => ({
                      type: 'rpc_done' as const,
                      id: context.syncId!,
                      rc: ETIMEDOUT,
                      resp: null,
                      outlenActual: null,
                      copied: 0,
                    })),
                    assign(({ context }) => ({
                      ...fence(context, context.syncId!, true, timeoutAbandons),
                      ghosts: ledgerComplete(context.ghosts, context.syncId!),
                    })),
                  ],
                },
              },
            },
            /* efx_mcdi_rpc_finish, rc == 0: rc = resprc, hdr_len, data_len under iface_lock;
               on success copy min(outlen, data_len) and report data_len; on -EIO ("MC fatal
               error") efx_schedule_reset, then msleep and efx_mcdi_poll_reboot. */
            FINISH: {
              entry: run('process'),
              on: {
                process: [
                  {
                    guard: ({ context }) => context.resprc === EIO,
                    target: 'MSLEEP',
                    actions: [
                      emit(({ context }) => syncReturn(context)),
                      assign(({ context }) => ({
                        ...scheduleReset(context),
                        ...consumed,
                        procDeadline: arm(0),
                        mc: abandon(context.mc, context.syncId),
                        ghosts: ledgerComplete(context.ghosts, context.syncId!),
                      })),
                    ],
                  },
                  {
                    target: 'RELEASE',
                    actions: [
                      emit(({ context }) => syncReturn(context)),
                      assign(({ context }) => ({
                        ...consumed,
                        ghosts: ledgerComplete(context.ghosts, context.syncId!),
                      })),
                    ],
                  },
                ],
              },
            },
            /* msleep(MCDI_STATUS_SLEEP_MS), at least one tick; then efx_mcdi_poll_reboot. */
            MSLEEP: {
              entry: waits('process', 'sleep'),
              on: {
                process: {
                  guard: ({ context }) => timerDue(context.procDeadline),
                  target: 'RELEASE',
                  actions: assign({ statusWord: false, procDeadline: null }),
                },
              },
            },
            ...releaseStates('process', 'IDLE'),
          },
        },

        caller: {
          initial: 'IDLE',
          states: {
            IDLE: {
              entry: assign({ callerBusy: false }),
              exit: assign({ callerBusy: true }),
              on: {
                /* efx_mcdi_check_supported fails: an unsupported command (-EINVAL), or inlen
                   beyond MCDI_CTL_SDU_LEN_MAX (-EMSGSIZE, the same path). Nothing allocated. */
                rpc_async_unsupported: {
                  guard: ({ context }) => bounds.asyncFailures > 0 && canCallAsync(context),
                  actions: [{ type: 'returnRejected', params: { rc: EINVAL } }, 'forgetRejected'],
                },
                /* kmalloc(..., GFP_ATOMIC) fails: -ENOMEM. */
                rpc_async_nomem: {
                  guard: ({ context }) => bounds.asyncFailures > 0 && canCallAsync(context),
                  actions: has(VARIANTS.nomemReportsSuccess)
                    ? [
                        emit(({ context }) => ({
                          type: 'rpc_async_rc' as const,
                          id: newAsyncCall(context).id,
                          rc: 0,
                        })),
                        assign(({ context }) => {
                          const call = newAsyncCall(context);
                          return { ...call.counts, ghosts: ledgerLose(call.ledger, call.id) };
                        }),
                      ]
                    : [{ type: 'returnRejected', params: { rc: ENOMEM } }, 'forgetRejected'],
                },
                /* efx_mcdi_rpc_async: spin_lock_bh(async_lock); in EVENTS mode add to the
                   tail, and if at the head try efx_mcdi_acquire_async. */
                rpc_async: [
                  {
                    guard: ({ context, event }) =>
                      canCallAsync(context) &&
                      inlenAllowed(event.inlen) &&
                      context.mode === 'EVENTS' &&
                      (context.asyncList.length === 0 || addAtHead) &&
                      context.state === 'QUIESCENT',
                    target: 'SEND_SEQNO',
                    actions: [
                      emit(({ context }) => ({
                        type: 'rpc_async_rc' as const,
                        id: newAsyncCall(context).id,
                        rc: 0,
                      })),
                      assign(({ context, event }) => {
                        const call = newAsyncCall(context);
                        return {
                          ...call.counts,
                          ghosts: call.ledger,
                          asyncList: [asyncParam(call.id, event.inlen), ...context.asyncList],
                          state: 'RUNNING_ASYNC' as const,
                          asyncLocked: true,
                        };
                      }),
                    ],
                  },
                  {
                    guard: ({ context, event }) =>
                      canCallAsync(context) &&
                      inlenAllowed(event.inlen) &&
                      context.mode === 'EVENTS',
                    actions: [
                      emit(({ context }) => ({
                        type: 'rpc_async_rc' as const,
                        id: newAsyncCall(context).id,
                        rc: 0,
                      })),
                      assign(({ context, event }) => {
                        const call = newAsyncCall(context);
                        const param = asyncParam(call.id, event.inlen);
                        return {
                          ...call.counts,
                          ghosts: call.ledger,
                          asyncList: addAtHead
                            ? [param, ...context.asyncList]
                            : [...context.asyncList, param],
                        };
                      }),
                    ],
                  },
                  /* Not in EVENTS mode: kfree(async); -ENETDOWN. */
                  {
                    guard: ({ context, event }) =>
                      canCallAsync(context) && inlenAllowed(event.inlen),
                    actions: [
                      emit(({ context }) => ({
                        type: 'rpc_async_rc' as const,
                        id: newAsyncCall(context).id,
                        rc: ENETDOWN,
                      })),
                      assign(({ context, event }) => {
                        const call = newAsyncCall(context);
                        return {
                          ...call.counts,
                          ghosts: ledgerComplete(ledgerLose(call.ledger, call.id), call.id),
                          asyncList: queueBeforeModeCheck
                            ? [...context.asyncList, asyncParam(call.id, event.inlen)]
                            : context.asyncList,
                        };
                      }),
                    ],
                  },
                ],
              },
            },
            /* Still under async_lock: efx_mcdi_send_request's ++seqno ... */
            SEND_SEQNO: {
              on: {
                caller: {
                  target: 'SEND_WRITE',
                  actions: assign(({ context }) => sendSeqno(context)),
                },
              },
            },
            /* ... its write, mod_timer(jiffies + MCDI_RPC_TIMEOUT), unlock. */
            SEND_WRITE: {
              on: {
                caller: {
                  target: 'IDLE',
                  actions: assign(({ context }) => ({
                    ...sendWrite(context, context.asyncList[0].id),
                    asyncTimer: arm(T),
                    asyncLocked: false,
                  })),
                },
              },
            },
          },
        },

        napi: {
          initial: 'IDLE',
          states: {
            IDLE: {
              entry: assign({ napiBusy: false, napiRc: 0, napiLen: 0, napiResp: null }),
              exit: assign({ napiBusy: true }),
              on: {
                napi: [
                  /* The variant: efx_mcdi_complete_async inside ev_death's iface_lock section. */
                  {
                    guard: ({ context }) =>
                      deathCompletesAsync &&
                      context.evq[0]?.code === 'REBOOT' &&
                      context.state === 'RUNNING_ASYNC',
                    meta: {
                      lint: {
                        'guard-never-true':
                          'only the ev-death-completes-async variant, with --bound reset=1',
                      },
                    },
                    target: 'DEATH_DEADLOCK',
                    actions: assign(({ context }) => ({
                      evq: context.evq.slice(1),
                      state: 'COMPLETED' as const,
                    })),
                  },
                  /* efx_mcdi_ev_death, all under iface_lock. */
                  {
                    guard: ({ context }) => context.evq[0]?.code === 'REBOOT',
                    meta: { lint: { 'guard-never-true': 'a REBOOT event: --bound reset=1' } },
                    actions: assign(({ context }) => evDeath(context)),
                  },
                  /* efx_mcdi_ev_cpl under iface_lock: the seqno check. As written, the lock
                     is dropped before efx_mcdi_complete_async's cmpxchg (napi.COMPLETE). */
                  {
                    guard: ({ context }) => !cmpxchgUnderLock && accepts(context),
                    meta: {
                      lint: { 'guard-never-true': 'the as-written-check-then-cmpxchg variant' },
                    },
                    target: 'COMPLETE',
                    actions: assign(({ context }) => acceptCompletion(context)),
                  },
                  /* The fix: the seqno check and the state change in one iface_lock
                     section, so that no timeout or release can come between them. */
                  {
                    guard: ({ context }) => accepts(context) && context.state === 'RUNNING_ASYNC',
                    target: 'DEL_TIMER',
                    actions: assign(({ context }) => {
                      const accepted = acceptCompletion(context);
                      return {
                        ...accepted,
                        ...consumed,
                        state: asyncCmpxchg ? ('COMPLETED' as const) : context.state,
                        napiRc: accepted.resprc!,
                        napiLen: accepted.respLen!,
                        napiResp: accepted.ghostResp!,
                      };
                    }),
                  },
                  {
                    guard: ({ context }) => accepts(context),
                    actions: assign(({ context }) => ({
                      ...acceptCompletion(context),
                      ...(context.state === 'RUNNING_SYNC' ? completeSync : {}),
                    })),
                  },
                  {
                    guard: ({ context }) =>
                      context.evq[0]?.code === 'CMDDONE' && logsMismatch(context),
                    actions: [
                      emit(({ context }) => ({
                        type: 'mc_mismatch' as const,
                        seq: (context.evq[0] as Answer).seq,
                        seqno: context.seqno,
                      })),
                      assign(({ context }) => dropCompletion(context)),
                    ],
                  },
                  {
                    guard: ({ context }) => context.evq[0]?.code === 'CMDDONE',
                    actions: assign(({ context }) => dropCompletion(context)),
                  },
                ],
              },
            },
            /* The variant: efx_mcdi_complete_async inside ev_death's iface_lock section won
               the cmpxchg and now spins on iface_lock, which this CPU already holds. */
            DEATH_DEADLOCK: {
              meta: {
                lint: { 'state-never-entered': 'the ev-death-completes-async variant only' },
              },
            },
            /* As written: if (!efx_mcdi_complete_async(mcdi, false)) efx_mcdi_complete_sync:
               the cmpxchg, then resprc, hdr_len, data_len under iface_lock. */
            COMPLETE: {
              meta: {
                lint: { 'state-never-entered': 'the as-written-check-then-cmpxchg variant only' },
              },
              on: {
                napi: [
                  {
                    guard: ({ context }) => context.state === 'RUNNING_ASYNC',
                    target: 'DEL_TIMER',
                    actions: assign(({ context }) => ({
                      ...consumed,
                      state: asyncCmpxchg ? ('COMPLETED' as const) : context.state,
                      napiRc: context.resprc,
                      napiLen: context.respLen,
                      napiResp: context.ghostResp,
                    })),
                  },
                  {
                    guard: ({ context }) => context.state === 'RUNNING_SYNC',
                    target: 'IDLE',
                    actions: assign(completeSync),
                  },
                  { target: 'IDLE' },
                ],
              },
            },
            /* del_timer_sync: wait for a running timer handler, cancel a pending one. */
            DEL_TIMER: {
              on: {
                napi: {
                  guard: ({ context }) => !context.timerRunning,
                  target: 'LIST_DEL',
                  actions: assign({ asyncTimer: null }),
                },
              },
            },
            LIST_DEL: listDelAndComplete('napi', ({ context }) => ({
              rc: context.napiRc,
              dataLen: context.napiLen,
              resp: context.napiResp,
            })),
            ...releaseStates('napi', 'IDLE'),
          },
        },

        timer: {
          initial: 'IDLE',
          states: {
            IDLE: {
              entry: assign({ timerRunning: false }),
              on: {
                timer_expire: {
                  guard: ({ context }) => timerDue(context.asyncTimer),
                  target: 'COMPLETE_ASYNC',
                  actions: assign({ asyncTimer: null, timerRunning: true }),
                },
              },
            },
            /* efx_mcdi_complete_async(mcdi, true): the cmpxchg. */
            COMPLETE_ASYNC: {
              on: {
                timer: [
                  {
                    guard: ({ context }) => context.state === 'RUNNING_ASYNC',
                    target: 'FENCE',
                    actions: assign(({ context }) => ({
                      state: asyncCmpxchg ? ('COMPLETED' as const) : context.state,
                    })),
                  },
                  { target: 'IDLE' },
                ],
              },
            },
            /* Then, under iface_lock, "++mcdi->seqno; ++mcdi->credits" so that a late
               completion fails the seqno check. No lock is held between the two: NAPI's
               whole efx_mcdi_ev_cpl can run here. */
            FENCE: {
              on: {
                timer: {
                  target: 'LIST_DEL',
                  actions: assign(({ context }) =>
                    // Upstream's efx_mcdi_abandon is called from efx_mcdi_rpc_finish only.
                    fence(
                      context,
                      context.asyncList[0]?.id ?? -1,
                      timeoutBumpsSeqno,
                      has(VARIANTS.abandonInTimer),
                    ),
                  ),
                },
              },
            },
            LIST_DEL: listDelAndComplete('timer', () => ({
              rc: ETIMEDOUT,
              dataLen: 0,
              resp: null,
            })),
            ...releaseStates('timer', 'IDLE'),
          },
        },

        reset: {
          initial: 'DOWN',
          states: {
            /* Event queues stopped, MCDI in POLL mode: before the first ifup, after ifdown. */
            DOWN: {
              entry: 'idleReset',
              on: {
                /* efx_start_interrupts: the event queues start, then efx_mcdi_mode_event. */
                ifup: {
                  target: 'MODE_EVENT',
                  actions: assign({ eventsStopped: false, resetPending: false, resetDue: null }),
                },
                /* The reset work with nothing running to take down and bring up (for
                   RESET_TYPE_MCDI_TIMEOUT: the FLR, merged with the rest of it: with the
                   interface down, mode_poll returns and the flush has nothing to do). */
                reset: {
                  guard: ({ context }) => context.resetPending || context.flrPending,
                  target: 'DOWN',
                  reenter: true,
                  actions: assign(({ context }) => ({
                    resetPending: false,
                    resetDue: null,
                    ...(context.flrPending ? flr(context) : {}),
                  })),
                },
              },
            },
            /* efx_mcdi_mode_event: (fixed: in FAIL mode, return); acquire_sync; mode =
               EVENTS; release. The mode test and the first cmpxchg are one step (lockless,
               nothing to wait for between them); once asleep, the waiter re-tests only the
               cmpxchg (MODE_EVENT_WAIT), so a FAIL set meanwhile is overwritten with EVENTS. */
            MODE_EVENT: {
              entry: waits('reset', 'wq'),
              on: {
                reset: [
                  {
                    guard: ({ context }) => context.mode !== 'POLL',
                    target: 'UP',
                  },
                  {
                    guard: ({ context }) => context.state === 'QUIESCENT',
                    target: 'RELEASE',
                    actions: assign({ state: 'RUNNING_SYNC', mode: 'EVENTS' }),
                  },
                  {
                    target: 'MODE_EVENT_WAIT',
                    actions: assign({ resetAsleep: true }),
                  },
                ],
              },
            },
            MODE_EVENT_WAIT: {
              entry: waits('reset', 'wq'),
              on: {
                reset: [
                  {
                    guard: ({ context }) => !context.resetAsleep && context.state === 'QUIESCENT',
                    target: 'RELEASE',
                    actions: assign({ state: 'RUNNING_SYNC', mode: 'EVENTS' }),
                  },
                  {
                    guard: ({ context }) => !context.resetAsleep,
                    actions: assign({ resetAsleep: true }),
                  },
                ],
              },
            },
            ...releaseStates('reset', 'UP'),
            UP: {
              entry: 'idleReset',
              on: {
                ifdown: {
                  guard: ({ context }) => context.ifdownsLeft > 0,
                  target: 'MODE_POLL_STORE',
                  // A reset work queued meanwhile is done by this down (and the up after it).
                  actions: assign(({ context }) => ({
                    ifdownsLeft: context.ifdownsLeft - 1,
                    resetDue: null,
                  })),
                },
                /* The reset work: down, then up again (efx_reset_down, efx_reset_up). */
                reset: {
                  guard: ({ context }) => context.resetPending || context.flrPending,
                  target: 'MODE_POLL_STORE',
                  actions: assign({ resetDue: null }),
                },
              },
            },
            /* efx_mcdi_mode_poll, "lockless": (fixed: in FAIL mode, return, "FLR recovery
               will do that later") mode = POLL ... The test and the store are one step. */
            MODE_POLL_STORE: {
              entry: run('reset'),
              on: {
                reset: [
                  { guard: ({ context }) => context.mode === 'FAIL', target: 'STOP_EVQ' },
                  { target: 'MODE_POLL_COMPLETE', actions: assign({ mode: 'POLL' }) },
                ],
              },
            },
            /* ... then efx_mcdi_complete_sync. */
            MODE_POLL_COMPLETE: {
              entry: run('reset'),
              on: {
                reset: {
                  target: 'STOP_EVQ',
                  actions: assign(({ context }) =>
                    context.state === 'RUNNING_SYNC' ? completeSync : {},
                  ),
                },
              },
            },
            /* The event queues stop ("after event processing is stopped"): NAPI and the data
               path (which runs from NAPI's receive path) finish, queued events are gone. */
            STOP_EVQ: {
              entry: run('reset'),
              on: {
                reset: {
                  guard: ({ context }) => !context.napiBusy && !context.callerBusy,
                  target: 'FLUSH_DEL_TIMER',
                  actions: assign(({ context }) => ({
                    eventsStopped: true,
                    evq: [],
                    ghosts: context.evq.reduce(
                      (ledger, ev) =>
                        ev.code === 'CMDDONE' ? ledgerDeliver(ledger, ev.id) : ledger,
                      context.ghosts,
                    ),
                  })),
                },
              },
            },
            /* efx_mcdi_flush_async: BUG_ON(mode != POLL); del_timer_sync; if a request still
               runs, efx_mcdi_poll (its efx_mcdi_poll_reboot first) and state = QUIESCENT. */
            FLUSH_DEL_TIMER: {
              entry: run('reset'),
              on: {
                reset: [
                  {
                    guard: ({ context }) =>
                      stopsTimer(context) &&
                      context.state === 'RUNNING_ASYNC' &&
                      flushWaits &&
                      context.statusWord,
                    meta: {
                      lint: {
                        'guard-never-true':
                          'the status word is set by an MC reboot: --bound reset=1',
                      },
                    },
                    target: 'FLUSH_LIST',
                    actions: assign(({ context }) => ({
                      ...(keepsDeadValues ? { resprc: EIO, respLen: 0, ghostResp: null } : {}),
                      asyncTimer: null,
                      statusWord: false,
                      ...flushQuiesce(context, true, true),
                    })),
                  },
                  {
                    guard: ({ context }) =>
                      stopsTimer(context) && context.state === 'RUNNING_ASYNC' && flushWaits,
                    target: 'FLUSH_POLL',
                    actions: assign({ asyncTimer: null, resetDeadline: arm(T) }),
                  },
                  {
                    guard: ({ context }) =>
                      stopsTimer(context) && context.state === 'RUNNING_ASYNC',
                    meta: { lint: { 'guard-never-true': 'the flush-no-wait variant only' } },
                    target: 'FLUSH_LIST',
                    actions: assign(({ context }) => ({
                      asyncTimer: null,
                      ...flushQuiesce(context, false, false),
                    })),
                  },
                  {
                    guard: ({ context }) => stopsTimer(context),
                    target: 'FLUSH_LIST',
                    actions: assign({ asyncTimer: null }),
                  },
                ],
              },
            },
            /* "make sure we give the MC time to complete it": the poll loop (its result is
               ignored), then state = QUIESCENT. */
            FLUSH_POLL: {
              entry: waits('reset', 'poll'),
              on: {
                reset: {
                  guard: ({ context }) => context.shmem !== null,
                  target: 'FLUSH_LIST',
                  actions: assign(({ context }) => {
                    // The flush ignores efx_mcdi_poll's result (dead values are not kept).
                    const read = readResponseHeader(context.shmem, context.seqno);
                    return {
                      ...(keepsDeadValues ? read : {}),
                      resetDeadline: null,
                      // A stale response (-EIO, "MC response mismatch") also ends the wait.
                      ...flushQuiesce(context, true, read.resprc === EIO),
                    };
                  }),
                },
                poll_timeout: {
                  guard: ({ context }) =>
                    context.shmem === null && pollGivesUp(context.resetDeadline),
                  target: 'FLUSH_LIST',
                  actions: assign(({ context }) => ({
                    resetDeadline: null,
                    ...flushQuiesce(context, false, true),
                  })),
                },
              },
            },
            /* list_for_each_entry_safe: each queued request's completer with -ENETDOWN,
               then list_del, without async_lock ("Nothing else will access the async list
               now"). One step per entry. Then, for the reset work, up again. */
            FLUSH_LIST: {
              entry: run('reset'),
              on: {
                reset: [
                  {
                    guard: ({ context }) => context.asyncList.length > 0,
                    target: 'FLUSH_LIST',
                    reenter: true,
                    actions: [
                      emit(({ context }) => ({
                        type: 'complete' as const,
                        id: context.asyncList[0].id,
                        rc: ENETDOWN,
                        resp: null,
                        len: 0,
                        copied: 0,
                      })),
                      assign(({ context }) => {
                        const { id } = context.asyncList[0];
                        // A request still queued never reached the MC: no answer can come.
                        const unsent =
                          find(context.ghosts, id)?.device === 'holds' &&
                          !context.mc.some((r) => r.id === id);
                        return {
                          asyncList: context.asyncList.slice(1),
                          ghosts: ledgerComplete(
                            unsent ? ledgerLose(context.ghosts, id) : context.ghosts,
                            id,
                          ),
                        };
                      }),
                    ],
                  },
                  { guard: ({ context }) => context.flrPending, target: 'FLR' },
                  {
                    guard: ({ context }) => context.resetPending,
                    target: 'MODE_EVENT',
                    actions: assign({ eventsStopped: false, resetPending: false }),
                  },
                  { target: 'DOWN' },
                ],
              },
            },
            /* The fix for finding 8: efx_reset's efx->type->reset for RESET_TYPE_MCDI_TIMEOUT
               (efx_mcdi_reset: pci_reset_function, mode = POLL), then efx_reset_up starts the
               event queues and calls efx_mcdi_mode_event. */
            FLR: {
              entry: run('reset'),
              on: {
                reset: {
                  target: 'MODE_EVENT',
                  actions: assign(({ context }) => ({ ...flr(context), eventsStopped: false })),
                },
              },
            },
          },
        },
      },
    });

    /** The flush's del_timer_sync (after, fixed, taking and dropping async_lock) can go on. */
    function stopsTimer(context: Ctx): boolean {
      return !context.timerRunning && !(flushSyncsWithRelease && context.asyncLocked);
    }

    function inlenAllowed(inlen: number): boolean {
      return inlen === INLEN_FITS || (bounds.inlen >= 2 && inlen === INLEN_OVER);
    }

    /** The efx_mcdi_async_param kmalloc'd for a call, as async_list holds it. */
    function asyncParam(id: number, inlen: number): AsyncParam {
      const buf = has(VARIANTS.asyncBufferOutlenOnly) ? OUTLEN : asyncBufferSize(inlen, OUTLEN);
      return { id, inlen, buf };
    }

    /**
     * efx_mcdi_ev_death under iface_lock: a sync request is completed (in EVENTS mode with
     * the reboot's rc, no data, and a credit for the CMDDONE that may still come); otherwise
     * the status word is consumed ("efx_mcdi_rpc_finish() won't") and a reset scheduled.
     */
    function evDeath(context: Ctx): Partial<Ctx> {
      const evq = context.evq.slice(1);
      if (context.state === 'RUNNING_SYNC') {
        const events =
          context.mode === 'EVENTS'
            ? {
                resprc: EIO,
                respLen: 0,
                ghostResp: null,
                ...takeCredit(context, context.syncId ?? -1),
              }
            : {};
        return { evq, ...completeSync, ...events, awaiting: false };
      }
      return {
        evq,
        ghostRebootHandled: true,
        statusWord: deathConsumesStatus ? false : context.statusWord,
        ...(deathSchedulesReset ? scheduleReset(context) : {}),
      };
    }

    /**
     * efx_mcdi_flush_async's state = QUIESCENT once its poll is over (or skipped); a poll that
     * ended without the running request's answer (timeout, -EIO) gave up on it (ghost).
     */
    function flushQuiesce(context: Ctx, sawResponse: boolean, gaveUp: boolean): Partial<Ctx> {
      return {
        state: 'QUIESCENT',
        awaiting: false,
        ...(flushWakes ? WAKE_UP : {}),
        asyncList:
          sawResponse && flushSkipsRunning ? context.asyncList.slice(1) : context.asyncList,
        mc: gaveUp ? abandon(context.mc, context.asyncList[0]?.id) : context.mc,
      };
    }

    /**
     * efx_mcdi_complete_async's tail in `region`: list_del of the head under async_lock, the
     * response read into the async buffer (min(outlen, data_len)), the completer called, the
     * buffer freed; then efx_mcdi_release.
     */
    function listDelAndComplete(
      region: 'napi' | 'timer',
      result: (args: Args) => { rc: number; dataLen: number; resp: Answer | null },
    ) {
      return {
        on: {
          [region]: {
            guard: ({ context }: Args) => !context.asyncLocked,
            meta: { lint: { 'guard-never-false': LOCK_FREE_HERE } },
            target: 'RELEASE',
            actions: [
              emit((args: Args) => {
                const { rc, dataLen, resp } = result(args);
                const copied = Math.min(OUTLEN, dataLen);
                return {
                  type: 'complete' as const,
                  // list_first_entry on an empty list: a garbage entry, shown as id -1.
                  id: args.context.asyncList[0]?.id ?? -1,
                  rc,
                  resp,
                  len: completerGetsDataLen ? dataLen : copied,
                  copied,
                };
              }),
              assign(({ context }: Args) => ({
                asyncList: context.asyncList.slice(1),
                ghosts: ledgerComplete(context.ghosts, context.asyncList[0]?.id ?? -1),
              })),
            ],
          },
        },
      };
    }

    /** Which answers the MC may send under the bounds: an error always carries its code. */
    function answerAllowed(len: number, err: boolean): boolean {
      const lens = replyLengths(bounds.lengths).map((kind) =>
        replyLengthValue(kind, OUTLEN, SDU_LEN_MAX),
      );
      if (!lens.includes(len)) return false;
      if (err) return faultOn(bounds, 'error') && len > 0;
      return true;
    }

    /** The MC answers its oldest request; `copies` CMDDONE events (2: a duplicate). */
    function respond(context: Ctx, len: number, err: boolean, copies: number): Partial<Ctx> {
      const [head, ...rest] = context.mc;
      const answer: Answer = { seq: head.seq, id: head.id, rc: err ? MC_CMD_ERR_EINVAL : 0, len };
      const post = head.evreq && !context.eventsStopped ? copies : 0;
      let ghosts = ledgerAnswer(overwriteHeader(context, context.ghosts), head.id);
      for (let i = 0; i < post; i++) ghosts = ledgerDuplicate(ghosts, head.id);
      const events: McdiEvent[] = Array.from({ length: post }, () => ({
        code: 'CMDDONE' as const,
        ...answer,
      }));
      return {
        mc: rest,
        mcDue: rest.length > 0 ? due(bounds.latency) : null,
        shmem: answer,
        evq: [...context.evq, ...events],
        ghosts,
      };
    }

    /** efx_mcdi_rpc's return: rc; on success min(outlen, data_len) copied, data_len reported. */
    function syncReturn(context: Ctx): McdiOutput {
      const ok = context.resprc === 0;
      const copied = has(VARIANTS.syncCopyUnclamped)
        ? context.respLen
        : Math.min(OUTLEN, context.respLen);
      return {
        type: 'rpc_done',
        id: context.syncId!,
        rc: context.resprc,
        resp: context.ghostResp,
        outlenActual: ok ? context.respLen : null,
        copied: ok ? copied : 0,
      };
    }

    /**
     * Lint suppressions for RELEASE's transitions under async_lock, by index: the seed's
     * QUIESCENT after the unlock is the as-written-release variant's; and the reset work
     * releases only from efx_mcdi_mode_event, in EVENTS mode with the lock free.
     */
    function releaseLint(region: Region): Array<Record<string, string> | undefined> {
      const variantOnly = { 'guard-never-true': 'the as-written-release variant only' };
      return region === 'reset'
        ? [undefined, variantOnly, { 'guard-never-false': `${LOCK_FREE_HERE}; and in EVENTS mode` }]
        : [undefined, variantOnly];
    }

    /**
     * efx_mcdi_release in `region`: in EVENTS mode, under async_lock, start the head of
     * async_list (state = RUNNING_ASYNC, send, mod_timer); otherwise state = QUIESCENT and
     * wake_up(&mcdi->wq).
     */
    function releaseStates(region: Region, done: string) {
      const entry = region === 'process' || region === 'reset' ? [run(region)] : [];
      /* Under async_lock: start the head, or (fixed) set QUIESCENT before the unlock. */
      const underLock = [
        {
          guard: ({ context }: Args) => !context.asyncLocked && context.asyncList.length > 0,
          target: 'RELEASE_SEQNO',
          actions: assign(({ context }: Args) => ({
            state: 'RUNNING_ASYNC' as const,
            asyncLocked: true,
            releasing: context.asyncList[0].id,
          })),
        },
        {
          guard: ({ context }: Args) => !context.asyncLocked && !quiesceUnderLock,
          target: 'RELEASE_QUIESCE',
        },
        {
          guard: ({ context }: Args) => !context.asyncLocked,
          target: done,
          actions: assign({ state: 'QUIESCENT' as const, ...WAKE_UP }),
        },
      ];
      const quiesce = {
        target: done,
        actions: assign({ state: 'QUIESCENT' as const, ...WAKE_UP }),
      };
      return {
        /* if (mcdi->mode == MCDI_MODE_EVENTS) { spin_lock_bh(&mcdi->async_lock); ... */
        RELEASE: {
          entry,
          on: {
            [region]: modeCheckedUnlocked
              ? [
                  {
                    guard: ({ context }: Args) => context.mode === 'EVENTS',
                    target: 'RELEASE_LOCK',
                  },
                  quiesce,
                ]
              : [
                  ...underLock.map((t, i) => ({
                    ...t,
                    guard: (args: Args) => args.context.mode === 'EVENTS' && t.guard(args),
                    ...(releaseLint(region)[i] ? { meta: { lint: releaseLint(region)[i] } } : {}),
                  })),
                  {
                    ...quiesce,
                    guard: ({ context }: Args) => context.mode !== 'EVENTS',
                    ...(region === 'reset'
                      ? {}
                      : { meta: { lint: { 'guard-never-false': RELEASE_POLL_ONLY } } }),
                  },
                ],
          },
        },
        /* As written: the mode was read before spin_lock_bh; mode_poll may store POLL since. */
        RELEASE_LOCK: {
          meta: { lint: { 'state-never-entered': 'the as-written-flush-unlocked variant only' } },
          entry,
          on: { [region]: underLock },
        },
        /* Still under async_lock: efx_mcdi_send_request's ++seqno ... */
        RELEASE_SEQNO: {
          entry,
          on: {
            [region]: {
              target: 'RELEASE_SEND',
              actions: assign(({ context }: Args) => sendSeqno(context)),
            },
          },
        },
        /* ... its write, mod_timer, unlock. */
        RELEASE_SEND: {
          entry,
          on: {
            [region]: {
              target: done,
              actions: assign(({ context }: Args) => ({
                // A param the flush freed meanwhile is read anyway: garbage, shown as id -1.
                ...sendWrite(
                  context,
                  context.asyncList.some((param) => param.id === context.releasing)
                    ? context.releasing!
                    : -1,
                ),
                asyncTimer: arm(T),
                asyncLocked: false,
                releasing: null,
              })),
            },
          },
        },
        /* The seed: spin_unlock_bh(async_lock); then mcdi->state = QUIESCENT; wake_up. */
        RELEASE_QUIESCE: {
          meta: { lint: { 'state-never-entered': 'the as-written-release variant only' } },
          entry,
          on: {
            [region]: {
              target: done,
              actions: assign({ state: 'QUIESCENT' as const, ...WAKE_UP }),
            },
          },
        },
      };
    }

    const alphabet: McdiInput[] = [
      { type: 'rpc' },
      { type: 'rpc_async', inlen: INLEN_FITS },
      ...(bounds.inlen >= 2 ? [{ type: 'rpc_async' as const, inlen: INLEN_OVER }] : []),
      { type: 'rpc_async_unsupported' },
      { type: 'rpc_async_nomem' },
      { type: 'ifup' },
      { type: 'ifdown' },
      { type: 'process' },
      { type: 'caller' },
      { type: 'napi' },
      { type: 'timer' },
      { type: 'reset' },
      { type: 'rpc_timeout' },
      { type: 'poll_timeout' },
      { type: 'timer_expire' },
      ...replyLengths(bounds.lengths).flatMap((kind) => {
        const len = replyLengthValue(kind, OUTLEN, SDU_LEN_MAX);
        return [false, true]
          .filter((err) => answerAllowed(len, err))
          .map((err) => ({ type: 'mc_respond' as const, len, err }));
      }),
      { type: 'mc_respond_dup' },
      { type: 'mc_lose' },
      { type: 'mc_stall' },
      { type: 'mc_reboot' },
      { type: TICK },
    ];

    return {
      machine,
      // Over-approximates: guards decide which of these are enabled.
      events: () => alphabet,
      time: { tick: TICK },
      /* The sequence chart: the driver's five contexts are the regions; the events written on
         the root are the MC's (the device) and the clock's, which the derived lanes would
         draw as one "device / environment" lane. */
      lanes: [
        { name: 'process (efx_mcdi_rpc)', regions: ['process'] },
        { name: 'data path (efx_mcdi_rpc_async)', regions: ['caller'] },
        { name: 'NAPI (ev_cpl, ev_death)', regions: ['napi'] },
        { name: 'timer (efx_mcdi_timeout_async)', regions: ['timer'] },
        { name: 'ifdown, ifup, reset work', regions: ['reset'] },
        { name: 'clock', events: [TICK] },
        { name: 'MC', events: ['mc_*'], device: true },
      ],
      conformance: {
        /* What a driver's adapter can tell from the driver's own state: which contexts can
           step (at a preemption point and not waiting), which timers and waits have expired,
           and what the MC can do with the requests it was written. Calls are limited by the
           budgets only, and tick, mc_stall and mc_reboot by the environment's own clocks and
           budget, which a driver does not keep. */
        enabling: [
          'process',
          'caller',
          'napi',
          'timer',
          'reset',
          'timer_expire',
          'rpc_timeout',
          'poll_timeout',
          'mc_respond',
          'mc_respond_dup',
          'mc_lose',
        ],
        /* struct efx_mcdi_iface and the waiters' flags and clocks, as the driver keeps them
           (credits by the seqno they stand for; resprc and resp_data_len are left out because
           the model forgets them once read). */
        observe: ({ context: c }: ModelState<McdiContext>) => ({
          state: c.state,
          mode: c.mode,
          seqno: c.seqno,
          credits: c.credits.map((credit) => credit.seq),
          awaiting: c.awaiting,
          asyncList: c.asyncList.map((param) => param.id),
          asyncLocked: c.asyncLocked,
          asyncTimer: c.asyncTimer,
          timerRunning: c.timerRunning,
          statusWord: c.statusWord,
          resetPending: c.resetPending,
          flrPending: c.flrPending,
          eventsStopped: c.eventsStopped,
          procAsleep: c.procAsleep,
          procDeadline: c.procDeadline,
          resetAsleep: c.resetAsleep,
          resetDeadline: c.resetDeadline,
        }),
      },
      terminal: (state: ModelState<McdiContext>) => allIdle(state),
    };
  },
});

/** Every context is idle (the reset work too): having nothing to do is fine there. */
export function allIdle(state: ModelState<McdiContext>): boolean {
  return (
    state.matches('process.IDLE') &&
    state.matches('caller.IDLE') &&
    state.matches('napi.IDLE') &&
    state.matches('timer.IDLE') &&
    (state.matches('reset.UP') || state.matches('reset.DOWN'))
  );
}
