/**
 * The sfc MCDI interface (drivers/net/ethernet/sfc/mcdi.c after "sfc: Implement asynchronous
 * MCDI requests", sources/sfc-mcdi-async.txt) as imperative TypeScript: the system
 * under test for `mailbox-models conform mcdi`. It does not import the model.
 *
 * Each execution context is a generator function that runs C-like code and `yield`s where the
 * C code can be preempted at lock grain (a lock is dropped, a wait begins, another CPU may run
 * in between): the process (efx_mcdi_rpc, efx_mcdi_mode_event, efx_mcdi_flush_async), the data
 * path caller (efx_mcdi_rpc_async), NAPI (efx_mcdi_process_event -> efx_mcdi_ev_cpl /
 * efx_mcdi_ev_death) and the timer (efx_mcdi_timeout_async). A wait that cannot proceed yields
 * BLOCKED and retries on the next step. The MC, the event queue and the timers are the seams
 * the adapter at the bottom drives.
 *
 * Outputs: `complete` (the async completer: cookie, rc, the response's cookie), `rpc_done`
 * (efx_mcdi_rpc's return) and `rpc_async_rc` (efx_mcdi_rpc_async's return). A request's
 * cookie is the harness's request number; the MC echoes it as the response payload, so `resp`
 * says whose response the driver handed over.
 */
import {
  NotEnabledError,
  type DriverAdapter,
  type DriverDefinition,
} from '../src/testgen/conform.ts';
import { BLOCKED, ExecutionContexts, type Preemptible } from '../harness/execution-contexts.ts';
import type { Output } from '../src/model/model.ts';

const EIO = 5;
const ENETDOWN = 100;
const ETIMEDOUT = 110;

type mcdi_state =
  | 'MCDI_STATE_QUIESCENT'
  | 'MCDI_STATE_RUNNING_SYNC'
  | 'MCDI_STATE_RUNNING_ASYNC'
  | 'MCDI_STATE_COMPLETED';
type mcdi_mode = 'MCDI_MODE_POLL' | 'MCDI_MODE_EVENTS';

interface efx_mcdi_async_param {
  cmd: number;
  cookie: number;
}

/** The response buffer in shared memory: a header with seq and payload, or the reboot word. */
type mc_shmem = { seq: number; cookie: number } | 'REBOOT' | null;
type mcdi_event = { code: 'CMDDONE'; seqno: number; cookie: number } | { code: 'REBOOT' };

interface efx_mcdi_iface {
  state: mcdi_state;
  mode: mcdi_mode;
  seqno: number;
  credits: number;
  resprc: number;
  /** The payload (cookie) of the response that resprc came from; -1: none. */
  resp_cookie: number;
  /** The fix shared with the model: a response to mcdi->seqno is still awaited. */
  awaiting: boolean;
  async_list: efx_mcdi_async_param[];
  /** Which context holds async_lock across a preemption point (null: free). */
  async_lock: string | null;
  async_timer: { pending: boolean; running: boolean };
}

type Step = Preemptible;

export const MCDI_DRIVER_VARIANTS = [
  {
    name: 'timeout-no-seqno',
    description: 'efx_mcdi_complete_async(timeout) does not ++mcdi->seqno',
    source: 'sources/sfc-mcdi-async.txt:152',
  },
  {
    name: 'complete-async-no-cmpxchg',
    description: 'efx_mcdi_complete_async tests the state without the cmpxchg to COMPLETED',
    source: 'sources/sfc-mcdi-async.txt:144',
  },
  {
    name: 'flush-no-wait',
    description: 'efx_mcdi_flush_async sets QUIESCENT without efx_mcdi_poll',
    source: 'sources/sfc-mcdi-async.txt:345',
  },
  {
    name: 'rpc-async-queue-before-mode-check',
    description:
      'efx_mcdi_rpc_async queues the request before checking the mode (and still returns -ENETDOWN)',
    source: 'sources/sfc-mcdi-async.txt:284',
  },
  {
    name: 'as-written-release',
    description: 'efx_mcdi_release drops async_lock before setting QUIESCENT (the seed as written)',
    source: 'sources/sfc-mcdi-async.txt:118',
  },
  {
    name: 'rpc-async-list-add-head',
    description: 'efx_mcdi_rpc_async uses list_add instead of list_add_tail',
    source: 'sources/sfc-mcdi-async.txt:272',
  },
  {
    name: 'flush-skips-running',
    description: 'efx_mcdi_flush_async drops the running request without calling its completer',
    source: 'sources/sfc-mcdi-async.txt:345-353',
  },
  {
    name: 'ev-death-completes-async',
    description: 'efx_mcdi_ev_death completes an async request under iface_lock and deadlocks',
    source: 'sources/sfc-mcdi-async.txt:381',
  },
  {
    name: 'as-written-send-window',
    description:
      'efx_mcdi_ev_cpl accepts any event whose seqno is mcdi->seqno (the seed as written); the suites kill it once duplicate completions are in play',
    source: 'sources/sfc-mcdi-async.txt:196-201',
    killBounds: { duplicates: 1 },
  },
  {
    name: 'as-written-check-then-cmpxchg',
    description:
      'efx_mcdi_ev_cpl drops iface_lock between the seqno check and the cmpxchg (the seed as written)',
    source: 'sources/sfc-mcdi-async.txt:184-196',
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
  let bounds: Readonly<Record<string, number>> = {};
  let SEQ_MASK = 15;
  let mcdi!: efx_mcdi_iface;
  /* The MC and the event queue (the environment). */
  let mc_requests: Array<{ seq: number; cookie: number; evreq: boolean }> = [];
  let shmem: mc_shmem = null;
  let evq: mcdi_event[] = [];
  let evq_stopped = false;
  let next_cookie = 0;
  /* Execution contexts: process, caller (another CPU), napi and timer. */
  const contexts = new ExecutionContexts();
  let outputs: Output[] = [];
  /* Flags set by environment events a wait observes. */
  let rpc_timed_out = false;
  let poll_timed_out = false;

  const complete = (cookie: number, rc: number, resp: number) =>
    outputs.push({ type: 'complete', id: cookie, rc, resp: resp < 0 ? null : resp });

  /* ---------- the driver ---------- */

  function efx_mcdi_send_request(cookie: number): void {
    // ++seqno and the copy into the MC's buffer, under iface_lock.
    mcdi.seqno = (mcdi.seqno + 1) & SEQ_MASK;
    // Not for a request that an MC reboot or mode_poll already completed.
    mcdi.awaiting =
      mcdi.state === 'MCDI_STATE_RUNNING_SYNC' || mcdi.state === 'MCDI_STATE_RUNNING_ASYNC';
    shmem = null;
    mc_requests.push({ seq: mcdi.seqno, cookie, evreq: mcdi.mode === 'MCDI_MODE_EVENTS' });
  }

  /** efx_mcdi_poll_once: the response header, read under iface_lock. */
  function efx_mcdi_read_response_header(): void {
    mcdi.awaiting = false; // the poll has read whatever answer there is
    if (shmem === 'REBOOT' || shmem === null || shmem.seq !== mcdi.seqno) {
      mcdi.resprc = -EIO; // "MC rebooted" / "MC response mismatch"
      mcdi.resp_cookie = -1;
      return;
    }
    mcdi.resprc = 0;
    mcdi.resp_cookie = shmem.cookie;
  }

  function* spin_lock_async(owner: string): Generator<typeof BLOCKED, void, void> {
    while (mcdi.async_lock !== null) yield BLOCKED;
    mcdi.async_lock = owner;
  }

  /** efx_mcdi_release, run by `owner`. */
  function* efx_mcdi_release(owner: string): Step {
    if (mcdi.mode === 'MCDI_MODE_EVENTS') {
      yield* spin_lock_async(owner);
      const async = mcdi.async_list[0];
      if (async) {
        mcdi.state = 'MCDI_STATE_RUNNING_ASYNC';
        yield 'RELEASE_SEND';
        efx_mcdi_send_request(async.cookie);
        mcdi.async_timer.pending = true; // mod_timer
        mcdi.async_lock = null;
        return;
      }
      if (has('as-written-release')) {
        mcdi.async_lock = null; // spin_unlock_bh, then ...
        yield 'RELEASE_QUIESCE';
        mcdi.state = 'MCDI_STATE_QUIESCENT';
        return;
      }
      mcdi.state = 'MCDI_STATE_QUIESCENT'; // the fix: still under async_lock
      mcdi.async_lock = null;
      return;
    }
    mcdi.state = 'MCDI_STATE_QUIESCENT';
  }

  /** The list_del and completer call of efx_mcdi_complete_async, then release. */
  function* efx_mcdi_complete_async_tail(owner: string, rc: number, resp: number): Step {
    yield 'LIST_DEL';
    yield* spin_lock_async(owner);
    const async = mcdi.async_list.shift();
    mcdi.async_lock = null;
    complete(async ? async.cookie : -1, rc, resp);
    yield 'RELEASE';
    yield* efx_mcdi_release(owner);
  }

  function* efx_mcdi_rpc(cookie: number): Step {
    yield 'ACQUIRE_SYNC';
    // efx_mcdi_acquire_sync: wait_event(cmpxchg(QUIESCENT -> RUNNING_SYNC))
    while (mcdi.state !== 'MCDI_STATE_QUIESCENT') yield BLOCKED;
    mcdi.state = 'MCDI_STATE_RUNNING_SYNC';
    yield 'SEND_REQUEST';
    efx_mcdi_send_request(cookie);
    // efx_mcdi_rpc_finish: efx_mcdi_await_completion in EVENTS mode, else efx_mcdi_poll.
    let timed_out = false;
    let polling = mcdi.mode === 'MCDI_MODE_POLL';
    if (!polling) {
      rpc_timed_out = false;
      yield 'AWAIT_COMPLETION';
      // wait_event_timeout(mcdi->wq, state == COMPLETED, MCDI_RPC_TIMEOUT)
      while ((mcdi.state as mcdi_state) !== 'MCDI_STATE_COMPLETED' && !rpc_timed_out) {
        yield BLOCKED;
      }
      timed_out = rpc_timed_out;
      // mode_poll raced us: "efx_mcdi_await_completion() will then call efx_mcdi_poll()"
      polling = !timed_out && mcdi.mode === 'MCDI_MODE_POLL';
      if (!timed_out && !polling) yield 'FINISH';
    }
    if (polling) {
      poll_timed_out = false;
      yield 'POLL';
      // efx_mcdi_poll: until a response is there or time_after(time, finish)
      while (shmem === null && !poll_timed_out) yield BLOCKED;
      timed_out = poll_timed_out;
      if (!timed_out) {
        efx_mcdi_read_response_header();
        yield 'FINISH';
      }
    }
    if (timed_out) {
      // "Close the race with efx_mcdi_ev_cpl() executing just too late"
      mcdi.seqno = (mcdi.seqno + 1) & SEQ_MASK;
      ++mcdi.credits;
      outputs.push({ type: 'rpc_done', id: cookie, rc: -ETIMEDOUT, resp: null });
    } else {
      const rc = mcdi.resprc;
      outputs.push({
        type: 'rpc_done',
        id: cookie,
        rc,
        resp: mcdi.resp_cookie < 0 ? null : mcdi.resp_cookie,
      });
    }
    yield 'RELEASE';
    yield* efx_mcdi_release('process');
  }

  function* efx_mcdi_mode_event(): Step {
    yield 'MODE_EVENT';
    while (mcdi.state !== 'MCDI_STATE_QUIESCENT') yield BLOCKED;
    mcdi.state = 'MCDI_STATE_RUNNING_SYNC';
    mcdi.mode = 'MCDI_MODE_EVENTS';
    evq_stopped = false; // the event queues were restarted before this call
    yield 'RELEASE';
    yield* efx_mcdi_release('process');
  }

  function* efx_mcdi_flush_async(): Step {
    // Event processing is stopped: queued events are gone with the queues.
    evq_stopped = true;
    evq = [];
    yield 'FLUSH_DEL_TIMER';
    while (mcdi.async_timer.running) yield BLOCKED; // del_timer_sync
    mcdi.async_timer.pending = false;
    if (mcdi.state === 'MCDI_STATE_RUNNING_ASYNC') {
      if (has('flush-no-wait')) {
        mcdi.state = 'MCDI_STATE_QUIESCENT';
        mcdi.awaiting = false;
      } else {
        poll_timed_out = false;
        yield 'FLUSH_POLL';
        while (shmem === null && !poll_timed_out) yield BLOCKED;
        if (poll_timed_out) {
          mcdi.awaiting = false;
        } else {
          efx_mcdi_read_response_header();
          if (has('flush-skips-running')) mcdi.async_list.shift(); // freed, no completer
        }
        mcdi.state = 'MCDI_STATE_QUIESCENT';
      }
    }
    // list_for_each_entry_safe: one completer per step.
    for (;;) {
      yield 'FLUSH_LIST';
      const async = mcdi.async_list.shift();
      if (!async) return;
      if (!has('flush-forgets-completer')) complete(async.cookie, -ENETDOWN, -1);
    }
  }

  function* efx_mcdi_rpc_async(cookie: number): Step {
    // spin_lock_bh(async_lock): the adapter only calls it with the lock free.
    mcdi.async_lock = 'caller';
    const async: efx_mcdi_async_param = { cmd: 0, cookie };
    if (mcdi.mode === 'MCDI_MODE_EVENTS' || has('rpc-async-queue-before-mode-check')) {
      if (has('rpc-async-list-add-head')) mcdi.async_list.unshift(async);
      else mcdi.async_list.push(async);
    }
    if (mcdi.mode !== 'MCDI_MODE_EVENTS') {
      outputs.push({ type: 'rpc_async_rc', id: cookie, rc: -ENETDOWN });
      mcdi.async_lock = null;
      return;
    }
    outputs.push({ type: 'rpc_async_rc', id: cookie, rc: 0 });
    // At the head of the queue: efx_mcdi_acquire_async's cmpxchg(QUIESCENT -> RUNNING_ASYNC).
    if (mcdi.async_list[0] === async && mcdi.state === 'MCDI_STATE_QUIESCENT') {
      mcdi.state = 'MCDI_STATE_RUNNING_ASYNC';
      yield 'SEND_REQUEST';
      efx_mcdi_send_request(cookie);
      mcdi.async_timer.pending = true;
    }
    mcdi.async_lock = null;
  }

  /** efx_mcdi_ev_cpl's seqno test. */
  function ev_cpl_accepts(event: mcdi_event): boolean {
    return (
      event.code === 'CMDDONE' &&
      event.seqno === mcdi.seqno &&
      (mcdi.awaiting || has('as-written-send-window'))
    );
  }

  function* efx_mcdi_process_event(event: mcdi_event): Step {
    if (event.code === 'REBOOT') {
      if (has('ev-death-completes-async') && mcdi.state === 'MCDI_STATE_RUNNING_ASYNC') {
        // efx_mcdi_complete_async wins the cmpxchg, then spins on the iface_lock we hold.
        mcdi.state = 'MCDI_STATE_COMPLETED';
        yield 'DEATH_DEADLOCK';
        for (;;) yield BLOCKED;
      }
      // efx_mcdi_ev_death, under iface_lock: complete a sync request only.
      if (mcdi.state === 'MCDI_STATE_RUNNING_SYNC') {
        mcdi.state = 'MCDI_STATE_COMPLETED';
        mcdi.awaiting = false;
        if (mcdi.mode === 'MCDI_MODE_EVENTS') {
          mcdi.resprc = -EIO;
          mcdi.resp_cookie = -1;
          ++mcdi.credits;
        }
      }
      return;
    }
    // efx_mcdi_ev_cpl, under iface_lock.
    if (!ev_cpl_accepts(event)) {
      if (event.seqno !== mcdi.seqno && mcdi.credits > 0) --mcdi.credits; // cancelled request
      return;
    }
    mcdi.resprc = 0;
    mcdi.resp_cookie = event.cookie;
    mcdi.awaiting = false;
    if (has('as-written-check-then-cmpxchg')) yield 'COMPLETE'; // spin_unlock(iface_lock)
    if (mcdi.state === 'MCDI_STATE_RUNNING_ASYNC') {
      // efx_mcdi_complete_async(mcdi, false), its cmpxchg in the same lock section
      if (!has('complete-async-no-cmpxchg')) mcdi.state = 'MCDI_STATE_COMPLETED';
      const rc = mcdi.resprc;
      const resp = mcdi.resp_cookie;
      yield 'DEL_TIMER';
      while (mcdi.async_timer.running) yield BLOCKED; // del_timer_sync
      mcdi.async_timer.pending = false;
      yield* efx_mcdi_complete_async_tail('napi', rc, resp);
      return;
    }
    // efx_mcdi_complete_sync
    if (mcdi.state === 'MCDI_STATE_RUNNING_SYNC') mcdi.state = 'MCDI_STATE_COMPLETED';
  }

  function* efx_mcdi_timeout_async(): Step {
    // efx_mcdi_complete_async(mcdi, true)
    if (mcdi.state !== 'MCDI_STATE_RUNNING_ASYNC') return;
    if (!has('complete-async-no-cmpxchg')) mcdi.state = 'MCDI_STATE_COMPLETED';
    // "Ensure that if the completion event arrives later, the seqno check ... will fail"
    if (!has('timeout-no-seqno')) mcdi.seqno = (mcdi.seqno + 1) & SEQ_MASK;
    ++mcdi.credits;
    yield* efx_mcdi_complete_async_tail('timer', has('timeout-wrong-rc') ? -EIO : -ETIMEDOUT, -1);
  }

  /* ---------- the adapter ---------- */

  function contextAt(name: string): string | null {
    return contexts.at(name);
  }

  /** Runs `name`'s code up to its next preemption point; finished contexts become idle. */
  function advance(name: string): void {
    const result = contexts.advance(name);
    if (result.done && name === 'timer') mcdi.async_timer.running = false;
  }

  /** Starts `step` in context `name` and runs it to its first preemption point. */
  function start(name: string, step: Step): void {
    contexts.start(name, step);
  }

  function mc_respond(copies: number): void {
    const request = mc_requests.shift();
    if (!request) throw new NotEnabledError('the MC holds no request');
    shmem = { seq: request.seq, cookie: request.cookie };
    if (request.evreq && !evq_stopped) {
      for (let i = 0; i < copies; i++) {
        evq.push({ code: 'CMDDONE', seqno: request.seq, cookie: request.cookie });
      }
    }
  }

  return {
    reset(next) {
      bounds = next;
      SEQ_MASK = 2 ** bounds.seqBits - 1;
      mcdi = {
        state: 'MCDI_STATE_QUIESCENT',
        mode: 'MCDI_MODE_POLL',
        seqno: 0,
        credits: 0,
        resprc: 0,
        resp_cookie: -1,
        awaiting: false,
        async_list: [],
        async_lock: null,
        async_timer: { pending: false, running: false },
      };
      mc_requests = [];
      shmem = null;
      evq = [];
      evq_stopped = false;
      next_cookie = 0;
      contexts.clear();
      return [];
    },
    apply(event) {
      outputs = [];
      switch (event.type) {
        case 'rpc':
          start('process', efx_mcdi_rpc(next_cookie++));
          break;
        case 'mode_event':
          start('process', efx_mcdi_mode_event());
          break;
        case 'flush_async':
          start('process', efx_mcdi_flush_async());
          break;
        case 'rpc_async':
          if (mcdi.async_lock !== null) throw new NotEnabledError('async_lock is held');
          start('caller', efx_mcdi_rpc_async(next_cookie++));
          break;
        case 'mode_poll':
          // efx_mcdi_mode_poll: lockless; then efx_mcdi_complete_sync.
          mcdi.mode = 'MCDI_MODE_POLL';
          if (mcdi.state === 'MCDI_STATE_RUNNING_SYNC') mcdi.state = 'MCDI_STATE_COMPLETED';
          break;
        case 'napi': {
          if (contexts.isRunning('napi')) {
            advance('napi');
            break;
          }
          const ev = evq.shift();
          if (!ev) throw new NotEnabledError('the event queue is empty');
          start('napi', efx_mcdi_process_event(ev));
          break;
        }
        case 'process':
        case 'caller':
          advance(event.type);
          break;
        case 'timer':
          advance('timer');
          break;
        case 'timer_expire':
          if (!mcdi.async_timer.pending || contexts.isRunning('timer')) {
            throw new NotEnabledError('no timer pending');
          }
          mcdi.async_timer.pending = false;
          mcdi.async_timer.running = true;
          contexts.enter('timer', efx_mcdi_timeout_async(), 'COMPLETE_ASYNC');
          break;
        case 'rpc_timeout':
          if (contextAt('process') !== 'AWAIT_COMPLETION') throw new NotEnabledError('not waiting');
          rpc_timed_out = true;
          break;
        case 'poll_timeout': {
          const at = contextAt('process');
          if ((at !== 'POLL' && at !== 'FLUSH_POLL') || shmem !== null) {
            throw new NotEnabledError('not polling');
          }
          poll_timed_out = true;
          // The flush ignores the poll's result: its wait ends here, in the same step.
          if (at === 'FLUSH_POLL') advance('process');
          break;
        }
        case 'mc_respond':
          mc_respond(1);
          break;
        case 'mc_respond_dup':
          mc_respond(2);
          break;
        case 'mc_reboot':
          mc_requests = [];
          shmem = 'REBOOT';
          if (!evq_stopped) evq.push({ code: 'REBOOT' });
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
