/**
 * The sfc MCDI interface (drivers/net/ethernet/sfc/mcdi.c, Linux 3.12-3.14, after "sfc:
 * Implement asynchronous MCDI requests"), as an XState machine. See docs/mcdi.md.
 *
 * Four contexts of the driver run as parallel regions, each at the grain of its locks:
 *   process  the sleeping caller: efx_mcdi_rpc (start + finish), efx_mcdi_mode_event,
 *            efx_mcdi_flush_async;
 *   caller   efx_mcdi_rpc_async from atomic context on another CPU (the data path);
 *   napi     the event queue: efx_mcdi_ev_cpl and efx_mcdi_ev_death, then
 *            efx_mcdi_complete_async(mcdi, false);
 *   timer    efx_mcdi_timeout_async = efx_mcdi_complete_async(mcdi, true).
 * The MC and efx_mcdi_mode_poll ("lockless", callable from anywhere) are single atomic events
 * at the root.
 *
 * Shared driver state keeps the seed's names (state, mode, seqno, credits, resprc, async_list).
 * Fields named ghost* are never read by driver logic: they record which request a response
 * belongs to, so that properties can tell a right completion from a wrong one.
 */
import { assign, emit, setup } from 'xstate';
import { defineMachine, type ModelState } from '../src/model/model.ts';

export const EIO = -5;
export const ENETDOWN = -100;
export const ETIMEDOUT = -110;

export type IfaceState = 'QUIESCENT' | 'RUNNING_SYNC' | 'RUNNING_ASYNC' | 'COMPLETED';
export type Mode = 'POLL' | 'EVENTS';

/** A request the MC has been given and has not answered yet. */
export interface McRequest {
  seq: number;
  /** Ghost: the request's id. */
  id: number;
  /** MCDI_HEADER_XFLAGS_EVREQ: the request was sent in EVENTS mode, so the MC posts CMDDONE. */
  evreq: boolean;
  /** Ghost: the driver gave up on this answer (a timeout, or an MC failure reported as -EIO). */
  abandoned: boolean;
}

/** An MCDI event on the event queue, not yet processed by NAPI. */
export type McdiEvent = { code: 'CMDDONE'; seq: number; id: number } | { code: 'REBOOT' };

/** The response header in the shared-memory buffer: a response, the reboot status, or none. */
export type SharedMemory = { seq: number; id: number } | 'REBOOT' | null;

export interface McdiContext {
  state: IfaceState;
  mode: Mode;
  /** mcdi->seqno & SEQ_MASK: the width is the seqBits bound. */
  seqno: number;
  credits: number;
  /** mcdi->resprc: the return code of the last response read. */
  resprc: number;
  /** Ghost: the request whose response resprc came from (null: none, e.g. reboot). */
  ghostResp: number | null;
  /** Fix (see docs/mcdi.md): a response is still awaited for mcdi->seqno. */
  awaiting: boolean;
  /** mcdi->async_list as the ghost ids of its entries, head first. */
  asyncList: number[];
  /** mcdi->async_lock is held across steps (by caller or a release); otherwise it is free. */
  asyncLocked: boolean;
  /** mcdi->async_timer is pending. */
  timerArmed: boolean;
  /** Derived from the configuration: the timer handler is running (del_timer_sync waits). */
  timerRunning: boolean;
  /** Derived: NAPI is inside an MCDI event handler. */
  napiBusy: boolean;
  /** Derived: efx_mcdi_rpc_async is inside its async_lock section. */
  callerBusy: boolean;
  /** Event queues are stopped (before flush_async, until mode_event restarts them). */
  eventsStopped: boolean;
  /** The process's sync request (its stack frame), as a ghost id. */
  syncId: number | null;
  /** NAPI's locals in efx_mcdi_complete_async: rc and the response's ghost. */
  napiRc: number;
  napiResp: number | null;
  /* The environment. */
  issued: number;
  mc: McRequest[];
  shmem: SharedMemory;
  evq: McdiEvent[];
  dupsLeft: number;
  rebootsLeft: number;
}

export type McdiEventType =
  | 'rpc'
  | 'rpc_async'
  | 'mode_poll'
  | 'mode_event'
  | 'flush_async'
  | 'process'
  | 'caller'
  | 'napi'
  | 'timer'
  | 'rpc_timeout'
  | 'poll_timeout'
  | 'timer_expire'
  | 'mc_respond'
  | 'mc_respond_dup'
  | 'mc_reboot';
export type McdiInput = { type: McdiEventType };

/** What the driver hands back: a completer call, a sync return, rpc_async's return code. */
export type McdiOutput =
  | { type: 'complete'; id: number; rc: number; resp: number | null }
  | { type: 'rpc_done'; id: number; rc: number; resp: number | null }
  | { type: 'rpc_async_rc'; id: number; rc: number };

export const VARIANTS = {
  timeoutNoSeqno: 'timeout-no-seqno',
  completeAsyncNoCmpxchg: 'complete-async-no-cmpxchg',
  flushNoWait: 'flush-no-wait',
  queueBeforeModeCheck: 'rpc-async-queue-before-mode-check',
  listAddHead: 'rpc-async-list-add-head',
  asWrittenRelease: 'as-written-release',
  asWrittenSendWindow: 'as-written-send-window',
  asWrittenCheckThenCmpxchg: 'as-written-check-then-cmpxchg',
  flushSkipsRunning: 'flush-skips-running',
  evDeathCompletesAsync: 'ev-death-completes-async',
} as const;

type Ctx = McdiContext;
type Args = { context: Ctx };

const ALL_EVENTS: McdiEventType[] = [
  'rpc',
  'rpc_async',
  'mode_poll',
  'mode_event',
  'flush_async',
  'process',
  'caller',
  'napi',
  'timer',
  'rpc_timeout',
  'poll_timeout',
  'timer_expire',
  'mc_respond',
  'mc_respond_dup',
  'mc_reboot',
];

/** Marks request `id` at the MC as given up on (ghost only). */
function abandon(mc: McRequest[], id: number | null): McRequest[] {
  return mc.map((r) => (r.id === id ? { ...r, abandoned: true } : r));
}

export const mcdiMachine = defineMachine<McdiContext, McdiInput>({
  name: 'mcdi',
  title: 'Solarflare MCDI: sync and async RPCs to the management controller',
  seed: 'sources/sfc-mcdi-async.txt',
  bounds: [
    {
      name: 'requests',
      default: 2,
      min: 1,
      max: 8,
      description: 'requests issued in total (efx_mcdi_rpc and efx_mcdi_rpc_async together)',
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
      name: 'duplicates',
      default: 0,
      min: 0,
      max: 3,
      description: 'CMDDONE events the MC may post twice',
    },
    {
      name: 'reboots',
      default: 1,
      min: 0,
      max: 2,
      description: 'MC reboots (REBOOT event, status word set, requests in progress lost)',
    },
  ],
  variants: [
    {
      name: VARIANTS.timeoutNoSeqno,
      description:
        'efx_mcdi_complete_async(timeout) without ++mcdi->seqno: a late completion of the timed-out request is taken for the next one',
      source: 'sources/sfc-mcdi-async.txt:152 (++mcdi->seqno in efx_mcdi_complete_async)',
      breaks: ['completion-for-request-in-flight'],
    },
    {
      name: VARIANTS.completeAsyncNoCmpxchg,
      description:
        'efx_mcdi_complete_async tests state == RUNNING_ASYNC without the cmpxchg to COMPLETED: the timer and a completion both complete the request',
      source: 'sources/sfc-mcdi-async.txt:144 (cmpxchg RUNNING_ASYNC -> COMPLETED)',
      breaks: ['completer-once', 'completion-for-request-in-flight', 'one-outstanding-at-mc'],
    },
    {
      name: VARIANTS.flushNoWait,
      description:
        'efx_mcdi_flush_async sets QUIESCENT without efx_mcdi_poll: the next request is written while the MC still works on the running one',
      source: 'sources/sfc-mcdi-async.txt:345 (efx_mcdi_poll before state = QUIESCENT)',
      breaks: ['one-outstanding-at-mc'],
    },
    {
      name: VARIANTS.queueBeforeModeCheck,
      description:
        'efx_mcdi_rpc_async adds the request to async_list before checking the mode, and still returns -ENETDOWN: flush_async later calls its completer',
      source: 'sources/sfc-mcdi-async.txt:284 (list_add_tail only in MCDI_MODE_EVENTS)',
      breaks: ['completer-once', 'no-completer-after-enetdown'],
    },
    {
      name: VARIANTS.listAddHead,
      description:
        'efx_mcdi_rpc_async uses list_add instead of list_add_tail: a new request jumps the queue, and complete_async then takes it for the running one',
      source: 'sources/sfc-mcdi-async.txt:272 (list_add_tail(&async->list, &mcdi->async_list))',
      breaks: ['completer-fifo', 'completion-for-request-in-flight', 'one-outstanding-at-mc'],
    },
    {
      name: VARIANTS.flushSkipsRunning,
      description:
        'efx_mcdi_flush_async takes the running request off async_list once efx_mcdi_poll has seen its response, without calling its completer',
      source:
        'sources/sfc-mcdi-async.txt:341-353 (the running request stays on the list and gets -ENETDOWN)',
      breaks: ['completer-once', 'completer-fifo', 'flush-completes-queued'],
    },
    {
      name: VARIANTS.evDeathCompletesAsync,
      description:
        'efx_mcdi_ev_death completes an outstanding async request under iface_lock: efx_mcdi_complete_async takes iface_lock again and spins forever',
      source: 'sources/sfc-mcdi-async.txt:381 ("efx_mcdi_complete() would deadlock")',
      breaks: ['completer-once', 'can-return-to-quiescent', 'no-deadlock'],
    },
    {
      name: VARIANTS.asWrittenRelease,
      description:
        'the seed as written: efx_mcdi_release drops async_lock before setting QUIESCENT, so a request queued in between is never started',
      source: 'sources/sfc-mcdi-async.txt:118 (spin_unlock_bh, then mcdi->state = QUIESCENT)',
      breaks: ['no-stranded-request'],
      finding: true,
    },
    {
      name: VARIANTS.asWrittenSendWindow,
      description:
        'the seed as written: efx_mcdi_ev_cpl accepts any CMDDONE whose seqno is mcdi->seqno, also one for the previous request (a duplicate, an answer after ev_death or after a polled completion) that arrives after the next request took the interface and before efx_mcdi_send_request incremented seqno',
      source:
        'sources/sfc-mcdi-async.txt:196-201 ("A subsequent invocation would increment seqno")',
      breaks: ['completion-for-request-in-flight'],
      finding: true,
    },
    {
      name: VARIANTS.asWrittenCheckThenCmpxchg,
      description:
        'the seed as written: efx_mcdi_ev_cpl checks the seqno under iface_lock, drops the lock, then efx_mcdi_complete_async does the cmpxchg; a timeout in between completes the request and starts the next one, whose RUNNING_ASYNC the late cmpxchg then takes',
      source: 'sources/sfc-mcdi-async.txt:184-196 (spin_unlock(&mcdi->iface_lock); if (wake) ...)',
      breaks: ['completion-for-request-in-flight'],
      finding: true,
    },
  ],
  build({ bounds, variants }) {
    const SEQ_MOD = 2 ** bounds.seqBits;
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

    /** efx_mcdi_send_request: ++seqno under iface_lock, write the request to the MC. */
    const sendRequest = (context: Ctx, id: number): Partial<Ctx> => {
      const seq = (context.seqno + 1) % SEQ_MOD;
      return {
        seqno: seq,
        // Not for a request an MC reboot or mode_poll already completed (state COMPLETED).
        awaiting:
          checkAwaiting && (context.state === 'RUNNING_SYNC' || context.state === 'RUNNING_ASYNC'),
        mc: [...context.mc, { seq, id, evreq: context.mode === 'EVENTS', abandoned: false }],
        shmem: null,
      };
    };

    /** The timeout paths' fence: ++seqno; ++credits under iface_lock. */
    const fence = (context: Ctx, bumpSeqno: boolean): Partial<Ctx> => ({
      seqno: bumpSeqno ? (context.seqno + 1) % SEQ_MOD : context.seqno,
      credits: context.credits + 1,
    });

    const machine = setup({
      types: {} as { context: McdiContext; events: McdiInput; emitted: McdiOutput },
    }).createMachine({
      id: 'mcdi',
      type: 'parallel',
      context: {
        state: 'QUIESCENT',
        mode: 'POLL',
        seqno: 0,
        credits: 0,
        resprc: 0,
        ghostResp: null,
        awaiting: false,
        asyncList: [],
        asyncLocked: false,
        timerArmed: false,
        timerRunning: false,
        napiBusy: false,
        callerBusy: false,
        eventsStopped: false,
        syncId: null,
        napiRc: 0,
        napiResp: null,
        issued: 0,
        mc: [],
        shmem: null,
        evq: [],
        dupsLeft: bounds.duplicates,
        rebootsLeft: bounds.reboots,
      },
      on: {
        /* efx_mcdi_mode_poll: lockless; mode = POLL, then efx_mcdi_complete_sync. */
        mode_poll: {
          guard: ({ context }) => context.mode === 'EVENTS',
          actions: assign(({ context }) => ({
            mode: 'POLL' as const,
            state: context.state === 'RUNNING_SYNC' ? ('COMPLETED' as const) : context.state,
          })),
        },
        /* The MC answers the oldest request it holds: response in shared memory, and a
           CMDDONE event if the request asked for one and the event queues are running. */
        mc_respond: {
          guard: ({ context }) => context.mc.length > 0,
          actions: assign(({ context }) => respond(context, 1)),
        },
        mc_respond_dup: {
          guard: ({ context }) =>
            context.dupsLeft > 0 &&
            context.mc.length > 0 &&
            context.mc[0].evreq &&
            !context.eventsStopped,
          actions: assign(({ context }) => ({
            ...respond(context, 2),
            dupsLeft: context.dupsLeft - 1,
          })),
        },
        /* MC reboot: requests in progress are lost, the status word reads as a reboot, and
           a REBOOT event is posted. */
        mc_reboot: {
          // Only while a request is in progress: a reboot at rest just schedules a reset.
          guard: ({ context }) => context.rebootsLeft > 0 && context.state !== 'QUIESCENT',
          actions: assign(({ context }) => ({
            mc: [],
            shmem: 'REBOOT' as const,
            evq: context.eventsStopped
              ? context.evq
              : [...context.evq, { code: 'REBOOT' as const }],
            rebootsLeft: context.rebootsLeft - 1,
          })),
        },
      },
      states: {
        process: {
          initial: 'IDLE',
          states: {
            IDLE: {
              entry: assign({ syncId: null }),
              on: {
                rpc: {
                  guard: ({ context }) => context.issued < bounds.requests,
                  target: 'ACQUIRE_SYNC',
                  actions: assign(({ context }) => ({
                    syncId: context.issued,
                    issued: context.issued + 1,
                  })),
                },
                mode_event: {
                  guard: ({ context }) => context.mode === 'POLL',
                  target: 'MODE_EVENT',
                },
                /* "after event processing is stopped": no NAPI handler and no data-path
                   caller is running, and queued events are gone with the event queues
                   (docs/mcdi.md, assumptions). BUG_ON(mode != POLL). */
                flush_async: {
                  guard: ({ context }) =>
                    context.mode === 'POLL' && !context.napiBusy && !context.callerBusy,
                  target: 'FLUSH_DEL_TIMER',
                  actions: assign({ eventsStopped: true, evq: [] }),
                },
              },
            },
            /* efx_mcdi_acquire_sync: wait_event(cmpxchg(QUIESCENT -> RUNNING_SYNC)). */
            ACQUIRE_SYNC: {
              on: {
                process: {
                  guard: ({ context }) => context.state === 'QUIESCENT',
                  target: 'SEND_REQUEST',
                  actions: assign({ state: 'RUNNING_SYNC' }),
                },
              },
            },
            /* efx_mcdi_send_request, then efx_mcdi_rpc_finish picks poll or await by mode. */
            SEND_REQUEST: {
              on: {
                process: [
                  {
                    guard: ({ context }) => context.mode === 'POLL',
                    target: 'POLL',
                    actions: assign(({ context }) => sendRequest(context, context.syncId!)),
                  },
                  {
                    target: 'AWAIT_COMPLETION',
                    actions: assign(({ context }) => sendRequest(context, context.syncId!)),
                  },
                ],
              },
            },
            /* efx_mcdi_await_completion: wait_event_timeout(state == COMPLETED); then, if
               mode_poll switched us to POLL meanwhile, efx_mcdi_poll. */
            AWAIT_COMPLETION: {
              on: {
                process: [
                  {
                    guard: ({ context }) =>
                      context.state === 'COMPLETED' && context.mode === 'POLL',
                    target: 'POLL',
                  },
                  { guard: ({ context }) => context.state === 'COMPLETED', target: 'FINISH' },
                ],
                rpc_timeout: {
                  guard: ({ context }) => context.state !== 'COMPLETED',
                  target: 'TIMED_OUT',
                },
              },
            },
            /* efx_mcdi_poll -> efx_mcdi_poll_once: the response is read under iface_lock
               by efx_mcdi_read_response_header; or time_after(time, finish). */
            POLL: {
              on: {
                process: {
                  guard: ({ context }) => context.shmem !== null,
                  target: 'FINISH',
                  actions: assign(({ context }) => readResponseHeader(context)),
                },
                poll_timeout: {
                  guard: ({ context }) => context.shmem === null,
                  target: 'TIMED_OUT',
                },
              },
            },
            /* efx_mcdi_rpc_finish, rc != 0: "Close the race with efx_mcdi_ev_cpl() executing
               just too late": ++seqno; ++credits under iface_lock. */
            TIMED_OUT: {
              on: {
                process: {
                  target: 'RELEASE',
                  actions: [
                    assign(({ context }) => ({
                      ...fence(context, true),
                      mc: abandon(context.mc, context.syncId),
                    })),
                    emit(({ context }) => ({
                      type: 'rpc_done' as const,
                      id: context.syncId!,
                      rc: ETIMEDOUT,
                      resp: null,
                    })),
                  ],
                },
              },
            },
            /* efx_mcdi_rpc_finish, rc == 0: rc = mcdi->resprc under iface_lock. */
            /* -EIO ("MC fatal error"): efx_schedule_reset, msleep, poll_reboot; the driver
               has given up on this request's answer (ghost). */
            FINISH: {
              on: {
                process: {
                  target: 'RELEASE',
                  actions: [
                    emit(({ context }) => ({
                      type: 'rpc_done' as const,
                      id: context.syncId!,
                      rc: context.resprc,
                      resp: context.ghostResp,
                    })),
                    assign(({ context }) => ({
                      mc: context.resprc === EIO ? abandon(context.mc, context.syncId) : context.mc,
                    })),
                  ],
                },
              },
            },
            ...releaseStates('process', 'IDLE'),
            /* efx_mcdi_mode_event: acquire_sync; mode = EVENTS; release. The event queues
               were restarted before this call. */
            MODE_EVENT: {
              on: {
                process: {
                  guard: ({ context }) => context.state === 'QUIESCENT',
                  target: 'RELEASE',
                  actions: assign({ state: 'RUNNING_SYNC', mode: 'EVENTS', eventsStopped: false }),
                },
              },
            },
            /* efx_mcdi_flush_async: del_timer_sync (waits for a running handler). */
            FLUSH_DEL_TIMER: {
              on: {
                process: [
                  {
                    guard: ({ context }) =>
                      !context.timerRunning && context.state === 'RUNNING_ASYNC' && flushWaits,
                    target: 'FLUSH_POLL',
                    actions: assign({ timerArmed: false }),
                  },
                  {
                    guard: ({ context }) =>
                      !context.timerRunning && context.state === 'RUNNING_ASYNC',
                    target: 'FLUSH_LIST',
                    actions: assign({ timerArmed: false, state: 'QUIESCENT', awaiting: false }),
                  },
                  {
                    guard: ({ context }) => !context.timerRunning,
                    target: 'FLUSH_LIST',
                    actions: assign({ timerArmed: false }),
                  },
                ],
              },
            },
            /* "make sure we give the MC time to complete it": efx_mcdi_poll, whose result
               is ignored; then state = QUIESCENT. */
            FLUSH_POLL: {
              on: {
                process: {
                  guard: ({ context }) => context.shmem !== null,
                  target: 'FLUSH_LIST',
                  actions: assign(({ context }) => {
                    const read = readResponseHeader(context);
                    return {
                      ...read,
                      state: 'QUIESCENT' as const,
                      asyncList: flushSkipsRunning ? context.asyncList.slice(1) : context.asyncList,
                      // A stale response (-EIO, "MC response mismatch") also ends the wait:
                      // the driver has given up on the running request (ghost).
                      mc:
                        read.resprc === EIO
                          ? abandon(context.mc, context.asyncList[0] ?? null)
                          : context.mc,
                    };
                  }),
                },
                poll_timeout: {
                  guard: ({ context }) => context.shmem === null,
                  target: 'FLUSH_LIST',
                  actions: assign(({ context }) => ({
                    state: 'QUIESCENT' as const,
                    awaiting: false,
                    mc: abandon(context.mc, context.asyncList[0] ?? null),
                  })),
                },
              },
            },
            /* list_for_each_entry_safe: each queued request's completer with -ENETDOWN,
               then list_del; without async_lock ("Nothing else will access the async list
               now"). One step per entry. */
            FLUSH_LIST: {
              on: {
                process: [
                  {
                    guard: ({ context }) => context.asyncList.length > 0,
                    target: 'FLUSH_LIST',
                    actions: [
                      emit(({ context }) => ({
                        type: 'complete' as const,
                        id: context.asyncList[0],
                        rc: ENETDOWN,
                        resp: null,
                      })),
                      assign(({ context }) => ({ asyncList: context.asyncList.slice(1) })),
                    ],
                  },
                  { target: 'IDLE' },
                ],
              },
            },
          },
        },

        caller: {
          initial: 'IDLE',
          states: {
            IDLE: {
              entry: assign({ callerBusy: false }),
              exit: assign({ callerBusy: true }),
              on: {
                /* efx_mcdi_rpc_async: spin_lock_bh(async_lock); in EVENTS mode add to the
                   tail, and if at the head try efx_mcdi_acquire_async. */
                rpc_async: [
                  {
                    guard: ({ context }) =>
                      canCallAsync(context) &&
                      context.mode === 'EVENTS' &&
                      (context.asyncList.length === 0 || addAtHead) &&
                      context.state === 'QUIESCENT',
                    target: 'SEND_REQUEST',
                    actions: [
                      emit(({ context }) => ({
                        type: 'rpc_async_rc' as const,
                        id: context.issued,
                        rc: 0,
                      })),
                      assign(({ context }) => ({
                        asyncList: [context.issued, ...context.asyncList],
                        issued: context.issued + 1,
                        state: 'RUNNING_ASYNC' as const,
                        asyncLocked: true,
                      })),
                    ],
                  },
                  {
                    guard: ({ context }) => canCallAsync(context) && context.mode === 'EVENTS',
                    actions: [
                      emit(({ context }) => ({
                        type: 'rpc_async_rc' as const,
                        id: context.issued,
                        rc: 0,
                      })),
                      assign(({ context }) => ({
                        asyncList: addAtHead
                          ? [context.issued, ...context.asyncList]
                          : [...context.asyncList, context.issued],
                        issued: context.issued + 1,
                      })),
                    ],
                  },
                  {
                    guard: ({ context }) => canCallAsync(context),
                    actions: [
                      emit(({ context }) => ({
                        type: 'rpc_async_rc' as const,
                        id: context.issued,
                        rc: ENETDOWN,
                      })),
                      assign(({ context }) => ({
                        asyncList: queueBeforeModeCheck
                          ? [...context.asyncList, context.issued]
                          : context.asyncList,
                        issued: context.issued + 1,
                      })),
                    ],
                  },
                ],
              },
            },
            /* Still under async_lock: efx_mcdi_send_request, mod_timer, unlock. */
            SEND_REQUEST: {
              on: {
                caller: {
                  target: 'IDLE',
                  actions: assign(({ context }) => ({
                    ...sendRequest(context, context.asyncList[0]),
                    timerArmed: true,
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
              entry: assign({ napiBusy: false, napiRc: 0, napiResp: null }),
              exit: assign({ napiBusy: true }),
              on: {
                napi: [
                  /* efx_mcdi_ev_death, all under iface_lock. An async request is left to
                     the timer ("The reset process will take care of this"). */
                  {
                    guard: ({ context }) =>
                      deathCompletesAsync &&
                      context.evq[0]?.code === 'REBOOT' &&
                      context.state === 'RUNNING_ASYNC',
                    target: 'DEATH_DEADLOCK',
                    actions: assign(({ context }) => ({
                      evq: context.evq.slice(1),
                      state: 'COMPLETED' as const,
                    })),
                  },
                  {
                    guard: ({ context }) => context.evq[0]?.code === 'REBOOT',
                    actions: assign(({ context }) => evDeath(context)),
                  },
                  /* efx_mcdi_ev_cpl under iface_lock: the seqno check. As written, the lock
                     is dropped before the cmpxchg in efx_mcdi_complete_async (next state). */
                  {
                    guard: ({ context }) => !cmpxchgUnderLock && accepts(context),
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
                        state: asyncCmpxchg ? ('COMPLETED' as const) : context.state,
                        napiRc: accepted.resprc,
                        napiResp: accepted.ghostResp,
                      };
                    }),
                  },
                  {
                    guard: ({ context }) => accepts(context),
                    actions: assign(({ context }) => ({
                      ...acceptCompletion(context),
                      state:
                        context.state === 'RUNNING_SYNC' ? ('COMPLETED' as const) : context.state,
                    })),
                  },
                  {
                    guard: ({ context }) => context.evq.length > 0,
                    actions: assign(({ context }) => ({
                      evq: context.evq.slice(1),
                      // "The request has been cancelled"; else netif_err mismatch.
                      credits:
                        context.evq[0].code === 'CMDDONE' &&
                        context.evq[0].seq !== context.seqno &&
                        context.credits > 0
                          ? context.credits - 1
                          : context.credits,
                    })),
                  },
                ],
              },
            },
            /* The variant: efx_mcdi_complete_async inside ev_death's iface_lock section won
               the cmpxchg and now spins on iface_lock, which this CPU already holds. */
            DEATH_DEADLOCK: {},
            /* if (!efx_mcdi_complete_async(mcdi, false)) efx_mcdi_complete_sync(mcdi):
               the two cmpxchgs, merged into one step. */
            COMPLETE: {
              on: {
                napi: [
                  {
                    guard: ({ context }) => context.state === 'RUNNING_ASYNC',
                    target: 'DEL_TIMER',
                    actions: assign(({ context }) => ({
                      state: asyncCmpxchg ? ('COMPLETED' as const) : context.state,
                      napiRc: context.resprc,
                      napiResp: context.ghostResp,
                    })),
                  },
                  {
                    guard: ({ context }) => context.state === 'RUNNING_SYNC',
                    target: 'IDLE',
                    actions: assign({ state: 'COMPLETED' }),
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
                  actions: assign({ timerArmed: false }),
                },
              },
            },
            LIST_DEL: listDelAndComplete('napi', ({ context }) => ({
              rc: context.napiRc,
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
                  guard: ({ context }) => context.timerArmed,
                  target: 'COMPLETE_ASYNC',
                  actions: assign({ timerArmed: false, timerRunning: true }),
                },
              },
            },
            /* efx_mcdi_complete_async(mcdi, true): the cmpxchg, then under iface_lock
               "++mcdi->seqno; ++mcdi->credits" so that a late completion fails the check. */
            COMPLETE_ASYNC: {
              on: {
                timer: [
                  {
                    guard: ({ context }) => context.state === 'RUNNING_ASYNC',
                    target: 'LIST_DEL',
                    actions: assign(({ context }) => ({
                      state: asyncCmpxchg ? ('COMPLETED' as const) : context.state,
                      ...fence(context, timeoutBumpsSeqno),
                      mc: abandon(context.mc, context.asyncList[0] ?? null),
                    })),
                  },
                  { target: 'IDLE' },
                ],
              },
            },
            LIST_DEL: listDelAndComplete('timer', () => ({ rc: ETIMEDOUT, resp: null })),
            ...releaseStates('timer', 'IDLE'),
          },
        },
      },
    });

    /** efx_mcdi_ev_cpl's test: the event's seqno is mcdi->seqno (and, fixed, still awaited). */
    function accepts(context: Ctx): boolean {
      const ev = context.evq[0];
      return (
        ev?.code === 'CMDDONE' && ev.seq === context.seqno && (!checkAwaiting || context.awaiting)
      );
    }

    /** The accepted event's response becomes mcdi->resprc (the MC's rc is always 0 here). */
    function acceptCompletion(context: Ctx) {
      const ev = context.evq[0] as { seq: number; id: number };
      return { evq: context.evq.slice(1), resprc: 0, ghostResp: ev.id, awaiting: false };
    }

    function canCallAsync(context: Ctx): boolean {
      return (
        context.issued < bounds.requests &&
        context.asyncList.length < bounds.queueLen &&
        !context.asyncLocked
      );
    }

    /** list_del of the head under async_lock, then async->complete(rc), then release. */
    function listDelAndComplete(
      region: 'napi' | 'timer',
      result: (args: Args) => { rc: number; resp: number | null },
    ) {
      return {
        on: {
          [region]: {
            guard: ({ context }: Args) => !context.asyncLocked,
            target: 'RELEASE',
            actions: [
              emit((args: Args) => ({
                type: 'complete' as const,
                // list_first_entry on an empty list: a garbage entry, shown as id -1.
                id: args.context.asyncList[0] ?? -1,
                ...result(args),
              })),
              assign(({ context }: Args) => ({ asyncList: context.asyncList.slice(1) })),
            ],
          },
        },
      };
    }

    /**
     * efx_mcdi_release in `region`: in EVENTS mode, under async_lock, start the head of
     * async_list (state = RUNNING_ASYNC, send, mod_timer); otherwise state = QUIESCENT.
     */
    function releaseStates(region: 'process' | 'napi' | 'timer', done: string) {
      return {
        RELEASE: {
          on: {
            [region]: [
              {
                guard: ({ context }: Args) =>
                  context.mode === 'EVENTS' && !context.asyncLocked && context.asyncList.length > 0,
                target: 'RELEASE_SEND',
                actions: assign({ state: 'RUNNING_ASYNC' as const, asyncLocked: true }),
              },
              {
                guard: ({ context }: Args) =>
                  context.mode === 'EVENTS' && !context.asyncLocked && !quiesceUnderLock,
                target: 'RELEASE_QUIESCE',
              },
              {
                guard: ({ context }: Args) => context.mode === 'POLL' || !context.asyncLocked,
                target: done,
                actions: assign({ state: 'QUIESCENT' as const }),
              },
            ],
          },
        },
        /* Still under async_lock: efx_mcdi_send_request, mod_timer, unlock. */
        RELEASE_SEND: {
          on: {
            [region]: {
              target: done,
              actions: assign(({ context }: Args) => ({
                ...sendRequest(context, context.asyncList[0]),
                timerArmed: true,
                asyncLocked: false,
              })),
            },
          },
        },
        /* The seed: spin_unlock_bh(async_lock); then mcdi->state = QUIESCENT. */
        RELEASE_QUIESCE: {
          on: {
            [region]: { target: done, actions: assign({ state: 'QUIESCENT' as const }) },
          },
        },
      };
    }

    return {
      machine,
      // Over-approximates: guards decide which of these are enabled.
      events: () => ALL_EVENTS.map((type) => ({ type })),
      // Nothing is in progress in any context: having nothing to do is fine there.
      terminal: (state: ModelState<McdiContext>) =>
        state.matches('process.IDLE') &&
        state.matches('caller.IDLE') &&
        state.matches('napi.IDLE') &&
        state.matches('timer.IDLE'),
    };
  },
});

/** The MC answers its oldest request; `copies` CMDDONE events (2: a duplicate). */
function respond(context: McdiContext, copies: number): Partial<McdiContext> {
  const [head, ...rest] = context.mc;
  const post = head.evreq && !context.eventsStopped;
  const event: McdiEvent = { code: 'CMDDONE', seq: head.seq, id: head.id };
  return {
    mc: rest,
    shmem: { seq: head.seq, id: head.id },
    evq: post ? [...context.evq, ...Array.from({ length: copies }, () => event)] : context.evq,
  };
}

/**
 * efx_mcdi_read_response_header under iface_lock (efx_mcdi_poll_once): a reboot reads as
 * "MC rebooted" (-EIO), a header whose seq differs from mcdi->seqno as "MC response
 * mismatch" (-EIO); otherwise the MC's rc (always 0 here) and its data.
 */
function readResponseHeader(context: McdiContext): Partial<McdiContext> {
  const shmem = context.shmem;
  if (shmem === 'REBOOT' || shmem === null)
    return { resprc: EIO, ghostResp: null, awaiting: false };
  if (shmem.seq !== context.seqno) return { resprc: EIO, ghostResp: null, awaiting: false };
  return { resprc: 0, ghostResp: shmem.id, awaiting: false };
}

/**
 * efx_mcdi_ev_death: complete a sync request with the reboot's rc; else schedule a reset.
 * Completing it ends the wait for its answer (the fix's awaiting token).
 */
function evDeath(context: McdiContext): Partial<McdiContext> {
  const evq = context.evq.slice(1);
  if (context.state !== 'RUNNING_SYNC') return { evq };
  if (context.mode !== 'EVENTS') return { evq, state: 'COMPLETED', awaiting: false };
  return {
    evq,
    state: 'COMPLETED',
    awaiting: false,
    resprc: EIO,
    ghostResp: null,
    credits: context.credits + 1,
  };
}
