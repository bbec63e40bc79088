/**
 * The XState machine of the SCMI virtio model: one parallel region per execution context, whose
 * states are the steps of its code at the grain of the locks it takes (docs/scmi-virtio.md,
 * "Execution contexts"). The state-changing code is in transport.ts, core.ts and
 * environment.ts; the machine only says which step each region is at and which comes next.
 */
import { assign, emit, setup } from 'xstate';
import { arm, timeAfter, timerDue } from '../../src/model/time.ts';
import type { ScmiEvent, ScmiOutput } from './alphabet.ts';
import { pollExit, retOf, rxAcquire, rxComplete, xferPut } from './core.ts';
import {
  ETIMEDOUT,
  IDLE_CB,
  initialContext,
  READY_FREE,
  SCMI_SUCCESS,
  withCpu,
  type ScmiContext,
} from './context.ts';
import {
  deviceDresp,
  deviceLose,
  deviceReply,
  freeStep,
  freeStepEnabled,
  freeSteps,
  tick,
  tickEnabled,
  type FreeStep,
} from './environment.ts';
import {
  cbFinalize,
  cbGet,
  cbHand,
  markTxdone,
  pollBegin,
  pollCheck,
  pollFetch,
  queueWork,
  rxFinalize,
  rxGet,
  sendAsync,
  sendMessage,
  workerList,
  type CbKey,
  type TransportBounds,
} from './transport.ts';
import type { Flags } from './variants.ts';

export interface MachineBounds extends TransportBounds {
  maxMsg: number;
  cpus: number;
  transfers: number;
  /** 0: no teardown; 1: chan_free once no transfer is in the core; 2: at any time. */
  teardown: number;
  /** The device may answer with an error status. */
  error: boolean;
  /** The device may notify although callbacks are disabled. */
  ignoreHint: boolean;
  lost: number;
  /** Transfers that are do_xfer_with_response() (a delayed response on the RX channel). */
  async: number;
  /** The delayed response's timeout (SCMI_MAX_RESPONSE_TIMEOUT) and the device's latency for it. */
  drespTimeout: number;
  drespLatency: number;
}

type Ctx = { context: ScmiContext; event: ScmiEvent };

const cpuOf = (event: ScmiEvent) => ('cpu' in event ? event.cpu : -1);

/** A citation of the seed's lines (`sources/<file>:<lines>`: the inspector shows them). */
const seed = (lines: string) => `sources/scmi-virtio-atomic.txt:${lines}`;

/** Lint suppressions, each with its reason (docs/writing-models.md). */
type LintReasons = Record<string, string>;

/** Where a step's code is: the seed lines it runs, or a description where the seed has none. */
interface StepMeta {
  source?: string;
  description?: string;
  /** Lint suppressions on the state node, each with its reason. */
  lint?: LintReasons;
}

/**
 * The states of a region, each citing the seed lines its step runs: on the node and on each
 * of its transitions (so that a trace step shows them too). A transition's own meta (a more
 * precise source, a lint suppression) is kept over the node's. Its result is typed `never`, as
 * the other protocols type their regions: XState's config types do not survive the mapping.
 */
function citeStates<S extends Record<string, object>>(
  steps: { [K in keyof S]?: StepMeta },
  states: S,
): never {
  const cite = (node: { on?: object }, { source, description, lint }: StepMeta) => {
    const where = {
      ...(source ? { meta: { source } } : {}),
      ...(description ? { description } : {}),
    };
    const withSource = (t: { meta?: object }) => ({
      ...where,
      ...t,
      ...(source || t.meta ? { meta: { ...where.meta, ...t.meta } } : {}),
    });
    const on = Object.fromEntries(
      Object.entries(node.on ?? {}).map(([event, t]) => [
        event,
        Array.isArray(t) ? t.map(withSource) : withSource(t as { meta?: object }),
      ]),
    );
    return {
      ...node,
      ...(node.on ? { on } : {}),
      meta: { ...(source ? { source } : {}), ...(lint ? { lint } : {}) },
    };
  };
  return Object.fromEntries(
    Object.entries(states).map(([name, node]) => {
      const meta = steps[name as keyof S];
      return [name, meta ? cite(node, meta) : node];
    }),
  ) as never;
}

/** The reason shared by the timeouts: at the default bounds the device answers in time. */
const LATE_ONLY =
  'a timeout needs a device later than the deadline (late=1, lost=1) or v8 as written (a reply taken by another transfer): test/scmi-virtio.test.ts checks both';

/** The reason shared by the delayed-response parts, off at the default bounds. */
const ASYNC_ONLY =
  'delayed responses only (async=0 at the default bounds); test/scmi-virtio.test.ts and the driver test run them at async=1';

/** The caller's steps (do_xfer() and do_xfer_with_response() with the TX ops they call). */
const CPU_STEPS = {
  IDLE: { source: seed('288-316') },
  POLL_CHECK: { source: seed('429-443') },
  POLL_FETCH: { source: seed('445-492') },
  POLL_KICK: {
    source: seed('491-492'),
    lint: {
      'state-never-entered':
        'v8 as written only (as-written, teardown-as-written): the fix queues the work inside the vioch->lock section, in POLL_FETCH',
    },
  },
  TRY_WAIT: {
    description:
      'the core polls: try_wait_for_completion(&xfer->done), ktime_after(stop) (driver.c, not in the seed)',
  },
  POLL_EXIT: { source: seed('318-327') },
  WAIT: {
    description:
      'wait_for_completion_timeout(&xfer->done, max_rx_timeout_ms) (driver.c; the timeout at sources/scmi-virtio-atomic.txt:516)',
  },
  MARK_TXDONE: { source: seed('366-384') },
  WAIT_DRESP: {
    description:
      'wait_for_completion_timeout(xfer->async_done, SCMI_MAX_RESPONSE_TIMEOUT) (driver.c, not in the seed)',
    lint: { 'state-never-entered': ASYNC_ONLY },
  },
  ASYNC_CLEAR: {
    description: 'xfer->async_done = NULL, do_xfer_with_response() returns (driver.c)',
    lint: { 'state-never-entered': ASYNC_ONLY },
  },
} satisfies Record<string, StepMeta>;

/** scmi_vio_complete_cb()'s steps (v5.16 context lines of the seed's hunks). */
const CB_STEPS = {
  CB_GET: { source: seed('176-183') },
  CB_HAND: { source: seed('185-186') },
  CB_FINALIZE: { source: seed('188-190') },
} satisfies Record<string, StepMeta>;

const RX_NEVER = { 'state-never-entered': ASYNC_ONLY };

/** The RX channel's complete_cb with the core's delayed-response path. */
const RX_STEPS = {
  IDLE: { source: seed('175-196') },
  RX_GET: { source: seed('176-183'), lint: RX_NEVER },
  RX_ACQUIRE: {
    description:
      'scmi_rx_callback() -> scmi_xfer_command_acquire(): token lookup, validate (driver.c)',
    lint: RX_NEVER,
  },
  RX_COMPLETE: { source: seed('318-327'), lint: RX_NEVER },
  RX_FINALIZE: { source: seed('163-164 and 125-146'), lint: RX_NEVER },
} satisfies Record<string, StepMeta>;

const WORKER_STEPS = {
  IDLE: { source: seed('198-205') },
  PENDING_LIST: { source: seed('207-220') },
  ...CB_STEPS,
} satisfies Record<string, StepMeta>;

/** virtio_chan_free()'s steps (environment.ts, freeSteps). */
const FREE_SOURCES: Record<FreeStep, string> = {
  READY: seed('276-278'),
  DRAIN: seed('280-281'),
  DESTROY: seed('281'),
  WQ_NULL: seed('282'),
  GONE: seed('285-287'),
};

/** Context fields that change only at bounds or in variants other than the defaults. */
const FIELDS_OFF_BY_DEFAULT: Record<string, string> = {
  'context.msgs[].status':
    'the reply status: SCMI_SUCCESS only, unless error=1 (finding 6 is at error=1)',
  'context.cpus[].status':
    'the reply status: SCMI_SUCCESS only, unless error=1 (finding 6 is at error=1)',
  'context.cpus[].ret':
    "do_xfer()'s return: 0 at the default bounds; an error with error=1, -ETIMEDOUT with late=1 or in as-written",
  'context.cpus[].found':
    'kept across the queue_work() after the unlock, a step only v8 as written has (as-written, teardown-as-written)',
  'context.lostLeft': 'lost=0 at the default bounds',
  'context.cpus[].async': ASYNC_ONLY,
  'context.cpus[].asyncLive': ASYNC_ONLY,
  'context.cpus[].asyncDone': ASYNC_ONLY,
  'context.cpus[].inDrespWait': ASYNC_ONLY,
  'context.cpus[].ghostDresp': ASYNC_ONLY,
  'context.asyncLeft': ASYNC_ONLY,
  'context.rxMsgs[].gid': ASYNC_ONLY,
  'context.rxMsgs[].token': ASYNC_ONLY,
  'context.rxMsgs[].status': ASYNC_ONLY,
  'context.rxDevice[]': ASYNC_ONLY,
  'context.rxCbEnabled': ASYNC_ONLY,
  'context.rxIrqPending': ASYNC_ONLY,
  'context.rxCb.cbEnabled': ASYNC_ONLY,
  'context.rxRunning': ASYNC_ONLY,
  'context.rxHeld': ASYNC_ONLY,
};

export function buildMachine(bounds: MachineBounds, flags: Flags) {
  /** The content xfer->priv points to, as poll_done hands it over: its reply, or -1 (stale). */
  const privReply = (c: ScmiContext, i: number) => {
    const msg = c.msgs[c.cpus[i].priv];
    return msg.fresh ? msg.gid : -1;
  };

  const cpuRegion = (i: number) => {
    // This CPU's caller runs only when the interrupt handler is not running on it.
    const mine = ({ context, event }: Ctx) => cpuOf(event) === i && context.irqOn !== i;
    const cpu = (context: ScmiContext) => context.cpus[i];
    const spin = (c: ScmiContext, spinning: boolean) => withCpu(c, i, { spinning });
    /** Leaves the wait with `ret`: the deadline is no longer looked at. */
    const giveUp = (c: ScmiContext, ret: number) =>
      withCpu(c, i, { ret, deadline: null, spinning: false });
    const completed = emit(({ context }: Ctx) => ({
      type: 'completed' as const,
      xfer: cpu(context).xfer,
      ret: cpu(context).ret,
    }));
    const canSendAsync = (c: ScmiContext) =>
      c.asyncLeft > 0 && c.issued < bounds.transfers && c.ready;
    const pollDone = emit(({ context }: Ctx) => ({
      type: 'poll_done' as const,
      xfer: cpu(context).xfer,
      reply: privReply(context, i),
    }));
    /** As written: queue_work() reading vioch->deferred_tx_wq after the unlock. */
    const kickAfter = (c: ScmiContext) => (flags.noDeferredWorker ? c : queueWork(c).next);
    const emitKickAfter = flags.noDeferredWorker
      ? []
      : [emit(({ context }: Ctx) => queueWork(context).output)];
    const emitKickInside = emit(
      ({ context }: Ctx) =>
        queueWork(withCpu(pollFetch(context, i, flags).next, i, { spinning: false })).output,
    );
    /** IDLE's transitions for send_async: do_xfer_with_response(). */
    function sendAsyncTransitions() {
      return [
        {
          guard: ({ context, event }: Ctx) =>
            mine({ context, event }) &&
            canSendAsync(context) &&
            sendAsync(context, i, bounds).ret !== 0,
          actions: [
            emit(({ context }: Ctx) => ({
              type: 'completed' as const,
              xfer: context.issued,
              ret: sendAsync(context, i, bounds).ret,
            })),
            assign(({ context }: Ctx) => sendAsync(context, i, bounds).next),
          ],
        },
        {
          guard: ({ context, event }: Ctx) => mine({ context, event }) && canSendAsync(context),
          target: 'WAIT',
          actions: assign(({ context }: Ctx) => sendAsync(context, i, bounds).next),
        },
      ];
    }
    return {
      initial: 'IDLE',
      states: citeStates(CPU_STEPS, {
        IDLE: {
          on: {
            send: [
              {
                guard: ({ context, event }: Ctx) =>
                  mine({ context, event }) &&
                  context.issued < bounds.transfers &&
                  context.ready &&
                  event.type === 'send' &&
                  sendMessage(context, i, event.polled, bounds).ret !== 0,
                meta: {
                  lint: {
                    'guard-never-true':
                      'do_xfer() fails at once (-EBUSY: no free message; -ENOMEM: no free token) only with more transfers in flight than messages or tokens: maxMsg=1 with two CPUs, or buffers held by a late or lost device over three transfers',
                  },
                },
                actions: [
                  emit(({ context, event }: Ctx) => ({
                    type: 'completed' as const,
                    xfer: context.issued,
                    ret: sendMessage(context, i, event.type === 'send' && event.polled, bounds).ret,
                  })),
                  assign(
                    ({ context, event }: Ctx) =>
                      sendMessage(context, i, event.type === 'send' && event.polled, bounds).next,
                  ),
                ],
              },
              {
                guard: ({ context, event }: Ctx) =>
                  mine({ context, event }) &&
                  context.issued < bounds.transfers &&
                  context.ready &&
                  event.type === 'send' &&
                  event.polled,
                target: 'POLL_CHECK',
                actions: assign(({ context }: Ctx) => sendMessage(context, i, true, bounds).next),
              },
              {
                guard: ({ context, event }: Ctx) =>
                  mine({ context, event }) && context.issued < bounds.transfers && context.ready,
                target: 'WAIT',
                actions: assign(({ context }: Ctx) => sendMessage(context, i, false, bounds).next),
              },
            ],
            // Only with async transfers (the alphabet has no send_async otherwise).
            ...(bounds.async > 0 ? { send_async: sendAsyncTransitions() } : {}),
          },
        },
        POLL_CHECK: {
          // virtio_poll_done(), its msg->poll_lock section (:432-443).
          on: {
            step: [
              {
                guard: ({ context, event }: Ctx) =>
                  mine({ context, event }) && pollCheck(context, i, flags) === 'done',
                target: 'POLL_EXIT',
                actions: [pollDone, assign(({ context }: Ctx) => spin(context, false))],
              },
              {
                guard: ({ context, event }: Ctx) =>
                  mine({ context, event }) && pollCheck(context, i, flags) === 'idle',
                target: 'TRY_WAIT',
              },
              {
                guard: mine,
                target: 'POLL_FETCH',
                actions: assign(({ context }: Ctx) => spin(pollBegin(context, i), false)),
              },
            ],
          },
        },
        POLL_FETCH: {
          // Its vioch->lock section (:445-489); the fix queues the work inside it.
          on: {
            step: [
              ...(flags.teardownAsWritten
                ? [
                    {
                      guard: ({ context, event }: Ctx) =>
                        mine({ context, event }) &&
                        !flags.noDeferredWorker &&
                        pollFetch(context, i, flags).kick,
                      target: 'POLL_KICK',
                      actions: assign(({ context }: Ctx) => pollFetch(context, i, flags).next),
                    },
                  ]
                : []),
              ...[true, false].flatMap((kicks) => [
                {
                  guard: ({ context, event }: Ctx) =>
                    mine({ context, event }) &&
                    pollFetch(context, i, flags).found &&
                    kicksInside(context) === kicks,
                  target: 'POLL_EXIT',
                  actions: [
                    ...(kicks ? [emitKickInside] : []),
                    assign(({ context }: Ctx) => afterFetch(context)),
                    pollDone,
                  ],
                },
                {
                  guard: ({ context, event }: Ctx) =>
                    mine({ context, event }) && kicksInside(context) === kicks,
                  target: 'TRY_WAIT',
                  actions: [
                    ...(kicks ? [emitKickInside] : []),
                    assign(({ context }: Ctx) => spin(afterFetch(context), true)),
                  ],
                },
              ]),
            ],
          },
        },
        POLL_KICK: {
          // As written: queue_work() after dropping vioch->lock (:491-492), then poll_done returns.
          on: {
            step: [
              {
                guard: ({ context, event }: Ctx) => mine({ context, event }) && cpu(context).found,
                target: 'POLL_EXIT',
                actions: [
                  ...emitKickAfter,
                  assign(({ context }: Ctx) => withCpu(kickAfter(context), i, { found: false })),
                  pollDone,
                ],
              },
              {
                guard: mine,
                target: 'TRY_WAIT',
                actions: [
                  ...emitKickAfter,
                  assign(({ context }: Ctx) =>
                    spin(withCpu(kickAfter(context), i, { found: false }), true),
                  ),
                ],
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
                description: 'try_wait_for_completion(&xfer->done) succeeds (driver.c)',
                meta: {
                  lint: {
                    'guard-never-true':
                      'only v8 as written completes xfer->done of a polled transfer (its IRQ path hands it the reply: as-written); the fix leaves a polled reply to its poller',
                  },
                },
                actions: assign(({ context }: Ctx) =>
                  withCpu(context, i, { done: false, spinning: false }),
                ),
              },
              {
                // The loop ends on the deadline, and the check after it says -ETIMEDOUT.
                guard: ({ context, event }: Ctx) =>
                  mine({ context, event }) && timeAfter(cpu(context).deadline),
                target: 'MARK_TXDONE',
                description: 'ktime_after(stop): the poll loop times out (driver.c)',
                meta: { source: seed('516'), lint: { 'guard-never-true': LATE_ONLY } },
                actions: assign(({ context }: Ctx) => giveUp(context, ETIMEDOUT)),
              },
              {
                guard: mine,
                target: 'POLL_CHECK',
                description: 'not done, not late: poll_done() again (driver.c)',
              },
            ],
          },
        },
        POLL_EXIT: {
          on: {
            step: [
              {
                guard: ({ context, event }: Ctx) =>
                  mine({ context, event }) && pollExit(context, i).output !== null,
                target: 'MARK_TXDONE',
                actions: [
                  emit(({ context }: Ctx) => pollExit(context, i).output!),
                  assign(({ context }: Ctx) => leaveExit(context)),
                ],
              },
              {
                guard: mine,
                target: 'MARK_TXDONE',
                meta: {
                  lint: {
                    'guard-never-true':
                      "fetch_response is skipped only for a transfer no longer in SENT_OK: timed out (late=1) or handed by v8's IRQ path (as-written)",
                  },
                },
                actions: assign(({ context }: Ctx) => leaveExit(context)),
              },
            ],
          },
        },
        WAIT: {
          // wait_for_completion_timeout(&xfer->done, ...): done, or woken by its timer.
          on: {
            step: [
              {
                guard: ({ context, event }: Ctx) => mine({ context, event }) && cpu(context).done,
                target: 'MARK_TXDONE',
                description: 'wait_for_completion_timeout(): xfer->done completed (driver.c)',
                actions: assign(({ context }: Ctx) =>
                  giveUp(withCpu(context, i, { done: false }), retOf(cpu(context).status)),
                ),
              },
              {
                guard: ({ context, event }: Ctx) =>
                  mine({ context, event }) && timerDue(cpu(context).deadline),
                target: 'MARK_TXDONE',
                description: 'wait_for_completion_timeout(): its timer fires (driver.c)',
                meta: { source: seed('516'), lint: { 'guard-never-true': LATE_ONLY } },
                actions: assign(({ context }: Ctx) => giveUp(context, ETIMEDOUT)),
              },
            ],
          },
        },
        MARK_TXDONE: {
          // virtio_mark_txdone(ret) (:366-384), do_xfer() returns; xfer_put(), or the wait for
          // the delayed response.
          on: {
            step: [
              {
                guard: ({ context, event }: Ctx) => mine({ context, event }) && !cpu(context).async,
                target: 'IDLE',
                actions: [
                  completed,
                  assign(({ context }: Ctx) => xferPut(markTxdone(context, i, flags), i)),
                ],
              },
              {
                guard: ({ context, event }: Ctx) =>
                  mine({ context, event }) && cpu(context).ret === 0,
                target: 'WAIT_DRESP',
                meta: { lint: { 'guard-never-true': ASYNC_ONLY } },
                actions: assign(({ context }: Ctx) =>
                  withCpu(markTxdone(context, i, flags), i, {
                    deadline: arm(bounds.drespTimeout),
                    spinning: true,
                    inDrespWait: true,
                    ghostAnswered: cpu(context).ghostDresp,
                  }),
                ),
              },
              {
                guard: mine,
                target: 'ASYNC_CLEAR',
                meta: { lint: { 'guard-never-true': ASYNC_ONLY } },
                actions: assign(({ context }: Ctx) => markTxdone(context, i, flags)),
              },
            ],
          },
        },
        WAIT_DRESP: {
          // wait_for_completion_timeout(xfer->async_done, SCMI_MAX_RESPONSE_TIMEOUT)
          on: {
            step: [
              {
                guard: ({ context, event }: Ctx) =>
                  mine({ context, event }) && cpu(context).asyncDone,
                target: 'ASYNC_CLEAR',
                description: 'wait_for_completion_timeout(): async_done completed (driver.c)',
                actions: assign(({ context }: Ctx) =>
                  withCpu(giveUp(context, retOf(cpu(context).status)), i, { inDrespWait: false }),
                ),
              },
              {
                guard: ({ context, event }: Ctx) =>
                  mine({ context, event }) && timerDue(cpu(context).deadline),
                target: 'ASYNC_CLEAR',
                description:
                  'wait_for_completion_timeout(): the delayed response is late (driver.c)',
                actions: assign(({ context }: Ctx) =>
                  withCpu(giveUp(context, ETIMEDOUT), i, { inDrespWait: false }),
                ),
              },
            ],
          },
        },
        ASYNC_CLEAR: {
          // `xfer->async_done = NULL`, do_xfer_with_response() returns, xfer_put().
          on: {
            step: {
              guard: mine,
              target: 'IDLE',
              actions: [completed, assign(({ context }: Ctx) => xferPut(context, i))],
            },
          },
        },
      }),
    };

    /** The fix calls queue_work() inside the vioch->lock section, if the workqueue is set. */
    function kicksInside(c: ScmiContext): boolean {
      if (flags.teardownAsWritten || flags.noDeferredWorker) return false;
      const fetched = pollFetch(c, i, flags);
      return fetched.kick && fetched.next.wqPointer;
    }
    /** The fetch step's context: the drained ring, and the work queued if the fix kicks it. */
    function afterFetch(c: ScmiContext): ScmiContext {
      const next = withCpu(pollFetch(c, i, flags).next, i, { spinning: false });
      return kicksInside(c) ? queueWork(next).next : next;
    }
    /** POLL_EXIT's context: fetched (or not), and out of the wait. */
    function leaveExit(c: ScmiContext): ScmiContext {
      const next = pollExit(c, i).next;
      return giveUp(next, next.cpus[i].ret);
    }
  };

  /** scmi_vio_complete_cb() as steps of one context (`irq` or `worker`). */
  const completeCbStates = (key: CbKey, stepEvent: 'irq_step' | 'work_step', exit: object) => ({
    CB_GET: {
      // Loop head: ready_lock, then the vioch->lock section that gets one buffer.
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
              context.readyLock === READY_FREE && !cbGet(context, key, flags).left,
            target: 'CB_GET',
            actions: assign(({ context }: Ctx) => cbGet(context, key, flags).next),
          },
          {
            guard: ({ context }: Ctx) => context.readyLock === READY_FREE,
            target: 'IDLE',
            actions: assign(({ context }: Ctx) => ({
              ...cbGet(context, key, flags).next,
              ...exit,
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
            emit(({ context }: Ctx) => cbHand(context, key, flags).output),
            assign(({ context }: Ctx) => cbHand(context, key, flags).next),
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

  const steps: FreeStep[] = freeSteps(flags).filter((step) => step !== 'READY');
  const teardownStates = Object.fromEntries(
    steps.map((step, k) => {
      const last = k === steps.length - 1;
      return [
        `FREE_${step}`,
        {
          on: {
            free_step: {
              // Only destroy_workqueue()'s wait for the work can block a step.
              ...(step === 'DESTROY'
                ? { guard: ({ context }: Ctx) => freeStepEnabled(context, step) }
                : {}),
              target: last ? 'DONE' : `FREE_${steps[k + 1]}`,
              meta: { source: FREE_SOURCES[step] },
              actions: [
                ...(step === 'GONE' ? [emit({ type: 'chan_freed' as const })] : []),
                assign(({ context }: Ctx) => freeStep(context, step)),
              ],
            },
          },
        },
      ];
    }),
  );

  return setup({
    types: {} as { context: ScmiContext; events: ScmiEvent; emitted: ScmiOutput },
  }).createMachine({
    id: 'scmi-virtio',
    type: 'parallel',
    meta: { lint: { 'field-never-changes': FIELDS_OFF_BY_DEFAULT } },
    context: initialContext(bounds.maxMsg, bounds.cpus, bounds.tokens, bounds.lost, bounds.async),
    states: {
      ...cpuRegions,
      irq: {
        initial: 'IDLE',
        states: citeStates(
          { IDLE: { source: seed('175-196') }, ...CB_STEPS },
          {
            IDLE: {
              on: {
                irq: [
                  {
                    // vring_interrupt(): nothing used -> IRQ_NONE, the callback does not run.
                    guard: ({ context }: Ctx) => context.irqPending && context.used.length === 0,
                    actions: assign(({ context }: Ctx) => ({ ...context, irqPending: false })),
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
            ...completeCbStates('irqCb', 'irq_step', { irqOn: -1 }),
          },
        ),
      },
      worker: {
        initial: 'IDLE',
        states: citeStates(WORKER_STEPS, {
          IDLE: {
            on: {
              work_step: {
                guard: ({ context }: Ctx) => context.workQueued,
                target: 'PENDING_LIST',
                // The work item starts: WORK_STRUCT_PENDING cleared.
                actions: assign(({ context }: Ctx) => ({
                  ...context,
                  workQueued: false,
                  workRunning: true,
                })),
              },
            },
          },
          PENDING_LIST: {
            // One vioch->lock section (:207-220): every pre-fetched message handed and freed.
            on: {
              // One transition per length of the list, so that each handed reply is one output.
              work_step: [
                ...Array.from({ length: bounds.maxMsg + bounds.transfers + 1 }, (_, k) => ({
                  guard: ({ context }: Ctx) => context.pendingList.length === k,
                  target: 'CB_GET',
                  ...(k === 1
                    ? {
                        meta: {
                          lint: {
                            'guard-never-false':
                              'two prefetched replies on the list need three transfers (two non-polled replies dequeued by one poller) or v7-missing-list-del',
                          },
                        },
                      }
                    : {}),
                  actions: [
                    ...Array.from({ length: k }, (_, j) =>
                      emit<ScmiContext, ScmiEvent, undefined, ScmiEvent, ScmiOutput>(
                        ({ context }) => workerList(context, flags).outputs[j],
                      ),
                    ),
                    assign<ScmiContext, ScmiEvent, undefined, ScmiEvent, never>(
                      ({ context }) => workerList(context, flags).next,
                    ),
                  ],
                })),
              ],
            },
          },
          ...completeCbStates('workCb', 'work_step', { workRunning: false }),
        }),
      },
      rx: {
        // The RX virtqueue's interrupt: scmi_vio_complete_cb() on the RX channel, for delayed
        // responses (on a CPU whose caller it does not hold up: no async transfer polls).
        initial: 'IDLE',
        states: citeStates(RX_STEPS, {
          IDLE: {
            on: {
              rx_irq: [
                {
                  guard: ({ context }: Ctx) => context.rxIrqPending && context.rxUsed.length === 0,
                  meta: { lint: { 'guard-never-true': ASYNC_ONLY } },
                  actions: assign(({ context }: Ctx) => ({ ...context, rxIrqPending: false })),
                },
                {
                  guard: ({ context }: Ctx) => context.rxIrqPending,
                  target: 'RX_GET',
                  meta: { lint: { 'guard-never-true': ASYNC_ONLY } },
                  actions: assign(({ context }: Ctx) => ({
                    ...context,
                    rxIrqPending: false,
                    rxRunning: true,
                    rxCb: IDLE_CB,
                  })),
                },
              ],
            },
          },
          RX_GET: {
            on: {
              rx_step: [
                {
                  guard: ({ context }: Ctx) => rxGet(context, flags).got,
                  target: 'RX_ACQUIRE',
                  actions: assign(({ context }: Ctx) => rxGet(context, flags).next),
                },
                {
                  target: 'IDLE',
                  actions: assign(({ context }: Ctx) => rxGet(context, flags).next),
                },
              ],
            },
          },
          RX_ACQUIRE: {
            // scmi_rx_callback() -> scmi_xfer_command_acquire(): lookup, validate, busy.
            on: {
              rx_step: [
                {
                  guard: ({ context }: Ctx) =>
                    rxAcquire(context, context.rxCb.msg, flags).output !== null,
                  target: 'RX_FINALIZE',
                  description: 'scmi_rx_callback(): no transfer expects it, dropped (driver.c)',
                  actions: emit(
                    ({ context }: Ctx) => rxAcquire(context, context.rxCb.msg, flags).output!,
                  ),
                },
                {
                  target: 'RX_COMPLETE',
                  description: 'scmi_xfer_command_acquire(): token found, validated (driver.c)',
                  actions: assign(
                    ({ context }: Ctx) => rxAcquire(context, context.rxCb.msg, flags).next,
                  ),
                },
              ],
            },
          },
          RX_COMPLETE: {
            // fetch_response, complete(xfer->async_done), scmi_xfer_command_release().
            on: {
              rx_step: [true, false].map((twoOutputs) => ({
                guard: ({ context }: Ctx) =>
                  (rxComplete(context, context.rxCb.msg, flags).outputs.length === 2) ===
                  twoOutputs,
                target: 'RX_FINALIZE',
                actions: [
                  ...[0, ...(twoOutputs ? [1] : [])].map((k) =>
                    emit<ScmiContext, ScmiEvent, undefined, ScmiEvent, ScmiOutput>(
                      ({ context }) => rxComplete(context, context.rxCb.msg, flags).outputs[k],
                    ),
                  ),
                  assign<ScmiContext, ScmiEvent, undefined, ScmiEvent, never>(
                    ({ context }) => rxComplete(context, context.rxCb.msg, flags).next,
                  ),
                ],
              })),
            },
          },
          RX_FINALIZE: {
            on: {
              rx_step: {
                target: 'RX_GET',
                actions: assign(({ context }: Ctx) => rxFinalize(context, flags)),
              },
            },
          },
        }),
      },
      device: {
        on: {
          // Only with async transfers (the alphabet has no device_dresp otherwise).
          ...(bounds.async > 0
            ? {
                device_dresp: {
                  guard: ({ context, event }: Ctx) =>
                    event.type === 'device_dresp' &&
                    context.dresps.some((d) => d.gid === event.xfer && d.due !== null) &&
                    context.rxDevice.includes(event.rx) &&
                    (event.status === SCMI_SUCCESS || bounds.error),
                  actions: [
                    emit(({ event }: Ctx) => {
                      const { xfer, rx, status } = event as Extract<
                        ScmiEvent,
                        { type: 'device_dresp' }
                      >;
                      return { type: 'dresp_returned' as const, rx, reply: xfer, status };
                    }),
                    assign(({ context, event }: Ctx) => {
                      const { xfer, rx, status } = event as Extract<
                        ScmiEvent,
                        { type: 'device_dresp' }
                      >;
                      return deviceDresp(context, xfer, rx, status);
                    }),
                  ],
                },
              }
            : {}),
          device_reply: {
            guard: ({ context, event }: Ctx) =>
              event.type === 'device_reply' &&
              context.device.includes(event.msg) &&
              context.msgs[event.msg].due !== null &&
              (event.status === SCMI_SUCCESS || bounds.error),
            meta: {
              lint: {
                'guard-never-false':
                  'the alphabet offers only what the device can do; the guard restates it so that a replayed suite or trace with a reply the device cannot give is refused',
              },
            },
            actions: [
              emit(({ context, event }: Ctx) => {
                const { msg, status } = event as Extract<ScmiEvent, { type: 'device_reply' }>;
                return { type: 'returned' as const, msg, reply: context.msgs[msg].gid, status };
              }),
              assign(({ context, event }: Ctx) => {
                const { msg, status } = event as Extract<ScmiEvent, { type: 'device_reply' }>;
                return deviceReply(context, msg, status);
              }),
            ],
          },
          // Only with the lost fault (the alphabet has no device_lose otherwise).
          ...(bounds.lost > 0
            ? {
                device_lose: {
                  guard: ({ context, event }: Ctx) =>
                    event.type === 'device_lose' &&
                    context.lostLeft > 0 &&
                    context.device.includes(event.msg) &&
                    context.msgs[event.msg].due !== null,
                  actions: assign(({ context, event }: Ctx) =>
                    deviceLose(context, (event as Extract<ScmiEvent, { type: 'device_lose' }>).msg),
                  ),
                },
              }
            : {}),
          irq_anyway: {
            guard: ({ context }: Ctx) =>
              bounds.ignoreHint &&
              !context.cbEnabled &&
              !context.irqPending &&
              context.used.length > 0,
            actions: assign({ irqPending: true }),
          },
        },
      },
      teardown: {
        initial: 'IDLE',
        states: {
          IDLE: {
            on: {
              chan_free: {
                // scmi_remove(): with teardown=1 only once no transfer is in the core.
                meta: { source: FREE_SOURCES.READY },
                guard: ({ context }: Ctx) =>
                  bounds.teardown > 0 &&
                  context.readyLock === READY_FREE &&
                  (bounds.teardown > 1 || context.cpus.every((c) => c.xfer < 0)),
                target: `FREE_${steps[0]}`,
                actions: assign(({ context }: Ctx) => freeStep(context, 'READY')),
              },
            },
          },
          ...teardownStates,
          DONE: {},
        },
      },
      clock: {
        on: {
          tick: {
            guard: ({ context }: Ctx) => tickEnabled(context, flags),
            actions: assign(({ context }: Ctx) => tick(context)),
          },
        },
      },
    },
  });
}
