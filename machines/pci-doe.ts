/**
 * PCIe Data Object Exchange (DOE) mailbox, as driven by the patch under review in
 * sources/pci-doe-review.txt ("[PATCH 2/5] PCI/DOE: Add Data Object Exchange Aux
 * Driver", with Jonathan Cameron's review).
 *
 * Four execution contexts of the driver and the device run as parallel regions:
 *
 * - `probe`: pci_doe_probe() up to the point where users may call in: pci_doe_reg_irq (IRQ
 *   or polling mode), then pci_doe_abort(), which sets `abort`, kicks the work and sleeps on
 *   `abort_c`.
 * - `driver`: `doe->state` (DOE_IDLE / DOE_WAIT_RESP / DOE_WAIT_ABORT / DOE_WAIT_ABORT_ON_ERR).
 *   Each run of doe_statemachine_work() is one `work_run` step: the work has exclusive access
 *   to the mailbox registers, so only the IRQ handler and the device can act between its
 *   reads and writes, and neither changes what the work decides (see docs/pci-doe.md).
 *   The branches of each `case` are the guarded `work_run` transitions, in the code's order.
 * - `irq`: pci_doe_irq() split into its steps, read status (and test it), write-1-to-clear
 *   INT_STATUS, mod_delayed_work(); the device can act between any two of them.
 * - `device`: the mailbox hardware: its status bits live in the context (they are registers
 *   both sides read), its phase is this region's state. Register writes from the driver are
 *   posted in `cmd` and taken by the device's eventless transitions within the same step.
 *
 * Callers of pci_doe_exchange_sync() are a small array in the context. Time is explicit: the
 * delayed work is either not pending, due soon (delay 0, the poll interval, a busy retry) or
 * due at the 1 s deadline, and `tick` moves jiffies relative to `timeout_jiffies` from
 * `before` to `reached` (jiffies == timeout_jiffies, where time_after() is still false) to
 * `passed`.
 */
import { and, assign, emit, not, setup } from 'xstate';
import { defineMachine, type ModelState } from '../src/model/model.ts';

/* Return codes as the kernel has them (negative errno); a response is its payload in bytes. */
export const EIO = -5;
export const EINVAL = -22;
export const EBUSY = -16;
export const ETIMEDOUT = -110;
export const RESPONSE_BYTES = 4;

/** A caller of pci_doe_exchange_sync(): not in it, asleep on doe->wq, woken, or waiting for its task. */
export type CallerState = 'idle' | 'asleep' | 'woken' | 'waiting';
/** The delayed work `doe->statemachine`: not pending, due soon, or due at the 1 s deadline. */
export type WorkPending = 'none' | 'soon' | 'deadline';
/** jiffies against doe->timeout_jiffies. */
export type Deadline = 'before' | 'reached' | 'passed';

export interface DoeContext {
  /* struct pci_doe */
  /** doe->cur_task: the index of the caller whose task it is, or null. */
  curTask: number | null;
  abort: boolean;
  dead: boolean;
  busyRetries: number;
  /** doe->irq > 0: IRQ mode; otherwise the state machine polls. */
  irq: boolean;
  work: WorkPending;
  deadline: Deadline;
  /** doe->abort_c has been completed and pci_doe_abort() has not consumed it yet. */
  abortDone: boolean;
  /* the DOE Status register, and Interrupt Enable from the Control register */
  busy: boolean;
  dataObjectReady: boolean;
  error: boolean;
  intStatus: boolean;
  intEnable: boolean;
  /** A register write the device has not taken yet (GO, ABORT, or the response read out). */
  cmd: 'GO' | 'ABORT' | 'READ' | null;
  /** The response in the mailbox has a header that does not match the request. */
  responseBad: boolean;
  /** An MSI was sent and pci_doe_irq() has not started on it yet. */
  irqPending: boolean;
  /** pci_doe_irq() is between its read and its return (free_irq() waits for it). */
  handlerRunning: boolean;
  /** Ghost: the task whose request the device holds (processing it or its response). */
  ghostRequestOf: number | null;
  /** pci_doe_probe() is done: users may call pci_doe_exchange_sync(). */
  ready: boolean;
  callers: CallerState[];
}

export type DoeEvent =
  | { type: 'probe'; mode: 'irq' | 'poll' }
  | { type: 'probe_resume' }
  | { type: 'call'; caller: number; wholeDwords: boolean }
  | { type: 'wake_recheck'; caller: number }
  | { type: 'work_run' }
  | { type: 'tick' }
  | { type: 'irq_read_status' }
  | { type: 'irq_write_clear' }
  | { type: 'irq_schedule_work' }
  | { type: 'device_respond' }
  | { type: 'device_respond_bad' }
  | { type: 'device_error' }
  | { type: 'device_hang' }
  | { type: 'device_abort_done' }
  | { type: 'device_abort_hang' }
  | { type: 'other_user_busy' }
  | { type: 'other_user_done' };

/** What the model emits: the observable outputs monitors and the conformance runner see. */
export type DoeOutput =
  | { type: 'task_submitted'; task: number }
  | { type: 'request_written'; task: number }
  | { type: 'response_read'; task: number }
  | { type: 'abort_written' }
  | { type: 'callback'; task: number; rc: number }
  | { type: 'exchange_return'; caller: number; rc: number }
  | { type: 'mailbox_dead' }
  | { type: 'irq_return'; value: 'IRQ_HANDLED' | 'IRQ_NONE' };

export const VARIANTS = {
  /** The seed as written: both of the next two. */
  asWritten: 'as-written',
  /** The seed's DOE_WAIT_ABORT case: returns without rescheduling when the abort is not done. */
  waitAbortNoReschedule: 'wait-abort-no-reschedule',
  /** The seed's probe error path: kfree(doe) with the state machine work still queued. */
  probeErrorNoCancel: 'probe-error-no-cancel',
  /** The review's pci_doe_irq(): ERROR first, explicit INT_STATUS clear, IRQ_NONE at the end. */
  reviewIrqHandler: 'review-irq-handler',
  errBusyKeepsCurTask: 'err-busy-keeps-cur-task',
  noDeadlineInWaitResp: 'no-deadline-in-wait-resp',
  deadlineBeforeReady: 'deadline-before-ready',
  noWakeOnResponse: 'no-wake-on-response',
  noBusyCheck: 'no-busy-check',
  noDeadCheck: 'no-dead-check',
  timeoutSkipsAbort: 'timeout-skips-abort',
} as const;

const SEED = 'sources/pci-doe-review.txt';

/** INT_STATUS is set by Data Object Ready, by ERROR and by BUSY clearing; an MSI is sent when
 * "enabled AND INT_STATUS" goes from false to true (review, quoting sec 6.xx.3). In polling
 * mode nobody reads INT_STATUS, so it is not tracked there (one state instead of two). */
function setIntStatus(context: DoeContext): Partial<DoeContext> {
  if (!context.intEnable) return {};
  return { intStatus: true, irqPending: context.irqPending || !context.intStatus };
}

/** wake_up_interruptible(&doe->wq): every caller asleep on the queue becomes runnable. */
function wakeUp(callers: CallerState[]): CallerState[] {
  return callers.map((c) => (c === 'asleep' ? 'woken' : c));
}

/** schedule_delayed_work(): does nothing when the work is already pending. */
function schedule(context: DoeContext, delay: Exclude<WorkPending, 'none'>): WorkPending {
  return context.work === 'none' ? delay : context.work;
}

function modeAllowed(modes: number, mode: 'irq' | 'poll'): boolean {
  return modes === 2 || (modes === 1) === (mode === 'irq');
}

export const pciDoeMachine = defineMachine<DoeContext, DoeEvent>({
  name: 'pci-doe',
  title: 'PCIe DOE mailbox (Data Object Exchange aux driver, under review)',
  seed: SEED,
  bounds: [
    {
      name: 'callers',
      default: 2,
      min: 1,
      max: 3,
      description: 'concurrent callers of pci_doe_exchange_sync()',
    },
    {
      name: 'busyRetries',
      default: 2,
      min: 1,
      max: 16,
      description: 'PCI_DOE_BUSY_MAX_RETRIES (16 in the seed)',
    },
    {
      name: 'modes',
      default: 2,
      min: 0,
      max: 2,
      description: '0: polling only, 1: IRQ mode only, 2: either, chosen at probe',
    },
    {
      name: 'otherUser',
      default: 1,
      min: 0,
      max: 1,
      description: '1: another user of the mailbox (firmware) can hold it BUSY between exchanges',
    },
  ],
  variants: [
    {
      name: VARIANTS.asWritten,
      description:
        "The seed exactly as written: wait-abort-no-reschedule and probe-error-no-cancel together (with the seed's own pci_doe_irq()).",
      source: SEED,
      breaks: ['no-work-after-free', 'mailbox-recovers', 'no-deadlock'],
    },
    {
      name: VARIANTS.waitAbortNoReschedule,
      description:
        'As written: in DOE_WAIT_ABORT / DOE_WAIT_ABORT_ON_ERR, when the abort is neither done nor past its deadline, the work returns without rescheduling itself; if it ran early (an interrupt, or exactly at timeout_jiffies) nothing runs it again. The default model reschedules it at PCI_DOE_POLL_INTERVAL.',
      source: `${SEED}:399-411 (if (time_after(jiffies, doe->timeout_jiffies)) {...} return;)`,
      breaks: ['mailbox-recovers', 'no-deadlock'],
      finding: true,
    },
    {
      name: VARIANTS.probeErrorNoCancel,
      description:
        'As written: when the init abort times out, pci_doe_register() frees the IRQ and pci_doe_probe() frees the doe without cancelling doe->statemachine, which an interrupt may have queued after the timeout. The default model calls cancel_delayed_work_sync() after free_irq().',
      source: `${SEED}:583-584,597-599 (rc = pci_doe_register(doe); if (rc) goto err_free; ... kfree(doe))`,
      breaks: ['no-work-after-free'],
      finding: true,
    },
    {
      name: VARIANTS.reviewIrqHandler,
      description:
        "pci_doe_irq() as the review proposes: the ERROR test first (returning without clearing INT_STATUS), INT_STATUS cleared by writing PCI_DOE_STATUS_INT_STATUS, IRQ_NONE on the final path; on the default model's state machine. After any error INT_STATUS stays set, so 'enabled AND INT_STATUS' never rises again and no interrupt is ever sent.",
      source: `${SEED}:222-256 (review of pci_doe_irq(): "Summary of above suggested changes")`,
      breaks: ['response-wakes-driver'],
      finding: true,
    },
    {
      name: VARIANTS.errBusyKeepsCurTask,
      description:
        'err_busy forgets to clear cur_task and wake the queue when it gives up after PCI_DOE_BUSY_MAX_RETRIES.',
      source: `${SEED}:417-426 (err_busy: if (doe->state == DOE_IDLE) {...})`,
      breaks: ['callback-once', 'no-use-after-return', 'cur-task-cleared', 'mailbox-recovers'],
    },
    {
      name: VARIANTS.noDeadlineInWaitResp,
      description:
        'DOE_WAIT_RESP without the time_after() check: it polls forever when the device never answers.',
      source: `${SEED}:350-357 (if (!DATA_OBJECT_READY) { if (time_after(...)) ...; reschedule })`,
      breaks: ['callback-once', 'mailbox-recovers'],
    },
    {
      name: VARIANTS.deadlineBeforeReady,
      description:
        'DOE_WAIT_RESP tests the deadline before Data Object Ready: a response that arrived before the deadline but is read after it is thrown away with -ETIMEDOUT.',
      source: `${SEED}:345-357 (ERROR, then Data Object Ready, then the deadline)`,
      breaks: ['response-not-lost'],
    },
    {
      name: VARIANTS.noWakeOnResponse,
      description:
        'DOE_WAIT_RESP clears cur_task on success but forgets wake_up_interruptible(&doe->wq).',
      source: `${SEED}:366-369 (cur_task = NULL; wake_up_interruptible(&doe->wq))`,
      breaks: ['waiters-woken'],
    },
    {
      name: VARIANTS.noBusyCheck,
      description: 'pci_doe_send_req() writes the request without testing DOE Busy first.',
      source:
        'pci_doe_send_req() (elided in the seed; v4/v6 of the series): if (BUSY) return -EBUSY',
      breaks: ['no-request-while-busy'],
    },
    {
      name: VARIANTS.noDeadCheck,
      description: 'pci_doe_exchange_sync() does not test doe->dead before taking the mailbox.',
      source: `${SEED}:476-478 (if (doe->dead) ... return -EIO)`,
      breaks: ['callback-once', 'dead-means-eio', 'cur-task-cleared', 'no-deadlock'],
    },
    {
      name: VARIANTS.timeoutSkipsAbort,
      description:
        'On -ETIMEDOUT the work gives up like err_busy (state back to DOE_IDLE, no abort) instead of going to err_abort.',
      source: `${SEED}:352-354 (rc = -ETIMEDOUT; goto err_abort)`,
      breaks: ['abort-before-next-request', 'response-matches-request', 'response-wakes-driver'],
    },
  ],
  build({ bounds, variants }) {
    const has = (name: string) => variants.has(name);
    const waitAbortNoReschedule = has(VARIANTS.asWritten) || has(VARIANTS.waitAbortNoReschedule);
    const probeErrorNoCancel = has(VARIANTS.asWritten) || has(VARIANTS.probeErrorNoCancel);
    const maxRetries = bounds.busyRetries;
    const callerCount = bounds.callers;

    /** The task in flight, for emits; only called where cur_task is known to be set. */
    const task = (context: DoeContext) => context.curTask ?? -1;

    const doe = setup({
      types: {} as { context: DoeContext; events: DoeEvent; emitted: DoeOutput },
      guards: {
        /* The delayed work's timer has expired (or it was queued with no delay). */
        workDue: ({ context }) =>
          context.work === 'soon' || (context.work === 'deadline' && context.deadline !== 'before'),
        abortRequested: ({ context }) => context.abort,
        noTask: ({ context }) => context.curTask === null,
        busy: ({ context }) => context.busy && !has(VARIANTS.noBusyCheck),
        retriesLeft: ({ context }) => context.busyRetries + 1 < maxRetries,
        error: ({ context }) => context.error,
        dataObjectReady: ({ context }) => context.dataObjectReady,
        /* time_after(jiffies, doe->timeout_jiffies) */
        timedOut: ({ context }) => context.deadline === 'passed',
        badResponse: ({ context }) => context.responseBad,
        abortFinished: ({ context }) => !context.error && !context.busy,
        handlerRunning: ({ context }) => context.handlerRunning,
        probeReady: ({ context }) => context.ready,
        irqPending: ({ context }) => context.irqPending,
        intStatus: ({ context }) => context.intStatus,
        otherUser: () => bounds.otherUser === 1,
        cmdGo: ({ context }) => context.cmd === 'GO',
        cmdAbort: ({ context }) => context.cmd === 'ABORT',
        cmdRead: ({ context }) => context.cmd === 'READ',
        cmdAny: ({ context }) => context.cmd !== null,
        abortDone: ({ context }) => context.abortDone,
        dead: ({ context }) => context.dead,
        mailboxTaken: ({ context }) => context.curTask !== null,
        callerIdle: ({ context, event }) =>
          event.type === 'call' && context.callers[event.caller] === 'idle',
        callerWoken: ({ context, event }) =>
          event.type === 'wake_recheck' && context.callers[event.caller] === 'woken',
        misaligned: ({ event }) => event.type === 'call' && !event.wholeDwords,
        modeIrq: ({ event }) =>
          event.type === 'probe' && event.mode === 'irq' && modeAllowed(bounds.modes, 'irq'),
        modePoll: ({ event }) =>
          event.type === 'probe' && event.mode === 'poll' && modeAllowed(bounds.modes, 'poll'),
        deadlineArmed: ({ context }) => context.deadline !== 'passed',
      },
      actions: {
        /* The workqueue clears PENDING before it calls the work function. */
        takeWork: assign({ work: 'none' as WorkPending }),
        clearAbortFlag: assign({ abort: false }),
        /* pci_doe_abort_start(): write ABORT (| INT_EN), timeout_jiffies = jiffies + HZ,
         * schedule_delayed_work(HZ). The device shows BUSY from the ABORT write on. */
        abortStart: assign(({ context }) => ({
          cmd: 'ABORT' as const,
          deadline: 'before' as Deadline,
          work: schedule(context, 'deadline'),
        })),
        emitAbortWritten: emit({ type: 'abort_written' as const }),
        /* task->rv = rc; task->cb(task->private): the caller's completion fires and
         * pci_doe_exchange_sync() returns task.rv. */
        callback: emit(({ context }, params: { rc: number }) => ({
          type: 'callback' as const,
          task: task(context),
          rc: params.rc,
        })),
        callerReturns: emit(({ context }, params: { rc: number }) => ({
          type: 'exchange_return' as const,
          caller: task(context),
          rc: params.rc,
        })),
        callerLeaves: assign({
          callers: ({ context }) =>
            context.callers.map((c, i) => (i === context.curTask ? 'idle' : c)),
        }),
        /* mutex_lock; doe->cur_task = NULL; mutex_unlock; wake_up_interruptible(&doe->wq) */
        clearCurTask: assign({ curTask: null }),
        wakeQueue: assign({ callers: ({ context }) => wakeUp(context.callers) }),
        busyRetry: assign(({ context }) => ({
          busyRetries: context.busyRetries + 1,
          work: schedule(context, 'soon'),
        })),
        resetRetries: assign({ busyRetries: 0 }),
        /* pci_doe_send_req(): header and payload, then GO (| INT_EN) */
        writeRequest: assign({ cmd: 'GO' as const }),
        emitRequestWritten: emit(({ context }) => ({
          type: 'request_written' as const,
          task: task(context),
        })),
        /* DOE_WAIT_RESP entry: timeout_jiffies = jiffies + HZ; wait for the IRQ with the
         * timeout as a fallback, or poll. */
        armResponseWait: assign(({ context }) => ({
          deadline: 'before' as Deadline,
          work: schedule(context, context.irq ? 'deadline' : 'soon'),
        })),
        pollAgain: assign(({ context }) => ({ work: schedule(context, 'soon') })),
        /* pci_doe_recv_resp(): read the object out, which clears Data Object Ready */
        readResponse: assign({ cmd: 'READ' as const }),
        emitResponseRead: emit(({ context }) => ({
          type: 'response_read' as const,
          task: task(context),
        })),
        /* doe->timeout_jiffies is not read again until it is re-armed: keep states canonical */
        forgetDeadline: assign({ deadline: 'before' as Deadline }),
        completeAbortC: assign({ abortDone: true }),
        markDead: assign({ dead: true }),
        emitDead: emit({ type: 'mailbox_dead' as const }),
        tick: assign({
          deadline: ({ context }) => (context.deadline === 'before' ? 'reached' : 'passed'),
        }),
        /* probe */
        regIrq: assign({ irq: true, intEnable: true }),
        /* pci_doe_abort(): reinit_completion; doe->abort = true; schedule_delayed_work(0) */
        requestInitAbort: assign(({ context }) => ({
          abort: true,
          abortDone: false,
          work: schedule(context, 'soon'),
        })),
        /* probe succeeded: abort_c is not waited on again */
        probeDone: assign({ abortDone: false, ready: true }),
        /* err_free_irqs: free_irq() (no handler runs after it), kfree(irq_name); then
         * pci_doe_probe()'s err_free: kfree(doe). The fix then cancels the work, after
         * free_irq() so that no handler can queue it again. */
        freeIrq: assign({ irq: false, intEnable: false, irqPending: false }),
        cancelWork: assign({ work: 'none' as WorkPending }),
        /* callers */
        returnEinval: emit(({ event }) => ({
          type: 'exchange_return' as const,
          caller: event.type === 'call' ? event.caller : -1,
          rc: EINVAL,
        })),
        sleepOnQueue: assign({
          callers: ({ context, event }) => setCaller(context, event, 'asleep'),
        }),
        returnEio: emit(({ event }) => ({
          type: 'exchange_return' as const,
          caller: callerOf(event),
          rc: EIO,
        })),
        callerToIdle: assign({
          callers: ({ context, event }) => setCaller(context, event, 'idle'),
        }),
        /* doe->cur_task = &task; schedule_delayed_work(&doe->statemachine, 0) */
        takeMailbox: assign(({ context, event }) => ({
          curTask: callerOf(event),
          callers: setCaller(context, event, 'waiting'),
          work: schedule(context, 'soon'),
        })),
        emitSubmitted: emit(({ event }) => ({
          type: 'task_submitted' as const,
          task: callerOf(event),
        })),
        /* irq */
        takeIrq: assign({ irqPending: false }),
        enterHandler: assign({ irqPending: false, handlerRunning: true }),
        clearIntStatus: assign({ intStatus: false }),
        /* mod_delayed_work(system_wq, &doe->statemachine, 0) */
        modWorkNow: assign({ work: 'soon' as WorkPending, handlerRunning: false }),
        irqHandled: emit({ type: 'irq_return' as const, value: 'IRQ_HANDLED' as const }),
        irqNone: emit({ type: 'irq_return' as const, value: 'IRQ_NONE' as const }),
        /* device */
        takeCmd: assign({ cmd: null }),
        noteRequest: assign(({ context }) => ({ ghostRequestOf: context.curTask })),
        deviceBusy: assign({ busy: true }),
        busyClears: assign(({ context }) => ({ busy: false, ...setIntStatus(context) })),
        raiseReady: assign(({ context }) => ({ dataObjectReady: true, ...setIntStatus(context) })),
        raiseBadReady: assign(({ context }) => ({
          dataObjectReady: true,
          responseBad: true,
          ...setIntStatus(context),
        })),
        raiseError: assign(({ context }) => ({ error: true, ...setIntStatus(context) })),
        responseTaken: assign({ dataObjectReady: false, ghostRequestOf: null }),
        /* An abort clears ERROR and Data Object Ready, then BUSY (which sets INT_STATUS). */
        abortCompletes: assign(({ context }) => ({
          error: false,
          dataObjectReady: false,
          responseBad: false,
          ghostRequestOf: null,
          busy: false,
          ...setIntStatus(context),
        })),
      },
    });
    /* The shapes createMachine() expects, so that the helpers below are checked against the
     * guard and action names of this setup. */
    type Config = Parameters<typeof doe.createMachine>[0];
    type On<K extends DoeEvent['type']> = NonNullable<NonNullable<Config['on']>[K]>;
    type TransitionOf<K extends DoeEvent['type']> = Exclude<On<K>, string | readonly unknown[]>;
    type States = NonNullable<Config['states']>;
    type Actions = NonNullable<TransitionOf<'work_run'>['actions']>;
    type ActionList = Extract<Actions, readonly unknown[]>;
    type ChildStates = NonNullable<States[string]['states']>;
    type Eventless = Exclude<NonNullable<Config['always']>, string | readonly unknown[]>;

    const machine = doe.createMachine({
      id: 'pciDoe',
      type: 'parallel',
      context: {
        curTask: null,
        abort: false,
        dead: false,
        busyRetries: 0,
        irq: false,
        work: 'none',
        deadline: 'before',
        abortDone: false,
        busy: false,
        dataObjectReady: false,
        error: false,
        intStatus: false,
        intEnable: false,
        cmd: null,
        responseBad: false,
        irqPending: false,
        handlerRunning: false,
        ghostRequestOf: null,
        ready: false,
        callers: Array.from({ length: callerCount }, () => 'idle' as CallerState),
      },
      states: {
        probe: {
          initial: 'PROBE',
          states: {
            PROBE: {
              on: {
                probe: [
                  {
                    guard: 'modeIrq',
                    target: 'WAIT_ABORT_C',
                    actions: ['regIrq', 'requestInitAbort'],
                  },
                  { guard: 'modePoll', target: 'WAIT_ABORT_C', actions: 'requestInitAbort' },
                ],
              },
            },
            /* wait_for_completion(&doe->abort_c); if (doe->dead) return -EIO */
            WAIT_ABORT_C: {
              on: {
                probe_resume: [
                  {
                    guard: and(['abortDone', 'dead', not('handlerRunning')]),
                    target: 'PROBE_FAILED',
                    actions: probeErrorNoCancel ? 'freeIrq' : ['freeIrq', 'cancelWork'],
                  },
                  { guard: and(['abortDone', not('dead')]), target: 'READY', actions: 'probeDone' },
                ],
              },
            },
            /* Callers may use the mailbox (pci_doe_cache_protocols() and the aux users). */
            READY: {},
            /* pci_doe_register() failed: the IRQ is freed and the doe with it. */
            PROBE_FAILED: {},
          },
        },
        driver: {
          initial: 'DOE_IDLE',
          states: {
            DOE_IDLE: { on: { work_run: idleWork() } },
            DOE_WAIT_RESP: { on: { work_run: waitRespWork(), tick: tickWhileArmed() } },
            DOE_WAIT_ABORT: {
              on: { work_run: waitAbortWork(true), tick: tickWhileArmed() },
            },
            DOE_WAIT_ABORT_ON_ERR: {
              on: { work_run: waitAbortWork(false), tick: tickWhileArmed() },
            },
          },
        },
        callers: {
          on: {
            call: [
              {
                guard: and(['callerIdle', 'misaligned', 'probeReady']),
                actions: 'returnEinval',
              },
              ...takeOrSleep('callerIdle'),
            ],
            /* wait_event_interruptible() returned: goto again */
            /* The same code as a first call; only the event's name differs. */
            wake_recheck: takeOrSleep('callerWoken') as unknown as TransitionOf<'wake_recheck'>[],
          },
        },
        irq: {
          initial: 'IRQ_IDLE',
          states: irqHandlerStates(),
        },
        device: {
          initial: 'DEV_IDLE',
          states: deviceStates(),
        },
      },
    });

    /* ---- doe_statemachine_work(), one list of guarded transitions per `case` ---- */

    /** `if (abort) { WARN_ON(task); doe->state = DOE_WAIT_ABORT; pci_doe_abort_start(doe); return; }` */
    function abortFirst(): TransitionOf<'work_run'> {
      return {
        guard: and(['workDue', 'abortRequested']),
        target: 'DOE_WAIT_ABORT',
        actions: ['takeWork', 'clearAbortFlag', 'abortStart', 'emitAbortWritten'],
      };
    }

    /** err_abort: state = DOE_WAIT_ABORT_ON_ERR; pci_doe_abort_start(); then err_busy's callback. */
    function errAbort(rc: number): TransitionOf<'work_run'> {
      return {
        target: '#pciDoe.driver.DOE_WAIT_ABORT_ON_ERR',
        actions: [
          'takeWork',
          'abortStart',
          'emitAbortWritten',
          { type: 'callback', params: { rc } },
          { type: 'callerReturns', params: { rc } },
          'callerLeaves',
        ],
      };
    }

    /** err_busy with doe->state == DOE_IDLE: callback, then clear cur_task and wake. */
    function errBusy(rc: number): ActionList {
      const clear: ActionList = has(VARIANTS.errBusyKeepsCurTask)
        ? []
        : ['clearCurTask', 'wakeQueue'];
      return [
        { type: 'callback', params: { rc } },
        { type: 'callerReturns', params: { rc } },
        'callerLeaves',
        ...clear,
      ];
    }

    function idleWork(): TransitionOf<'work_run'>[] {
      return [
        abortFirst(),
        { guard: and(['workDue', 'noTask']), actions: 'takeWork' },
        {
          guard: and(['workDue', 'busy', 'retriesLeft']),
          actions: ['takeWork', 'busyRetry'],
        },
        {
          guard: and(['workDue', 'busy']),
          actions: ['takeWork', 'resetRetries', ...errBusy(EBUSY)],
        },
        /* pci_doe_send_req() returns -EIO when DOE Error is set */
        { guard: and(['workDue', 'error']), ...errAbort(EIO) },
        {
          guard: 'workDue',
          target: 'DOE_WAIT_RESP',
          actions: [
            'takeWork',
            'writeRequest',
            'emitRequestWritten',
            'resetRetries',
            'armResponseWait',
          ],
        },
      ];
    }

    function waitRespWork(): TransitionOf<'work_run'>[] {
      const timeout: TransitionOf<'work_run'> = has(VARIANTS.timeoutSkipsAbort)
        ? {
            target: 'DOE_IDLE',
            actions: ['takeWork', 'forgetDeadline', ...errBusy(ETIMEDOUT)],
          }
        : errAbort(ETIMEDOUT);
      const deadlineCheck = has(VARIANTS.noDeadlineInWaitResp)
        ? []
        : [
            {
              guard: has(VARIANTS.deadlineBeforeReady)
                ? and(['workDue', 'timedOut'])
                : and(['workDue', not('dataObjectReady'), 'timedOut']),
              ...timeout,
            },
          ];
      const wake: ActionList = has(VARIANTS.noWakeOnResponse) ? [] : ['wakeQueue'];
      return [
        abortFirst(),
        { guard: and(['workDue', 'error']), ...errAbort(EIO) },
        ...deadlineCheck,
        { guard: and(['workDue', not('dataObjectReady')]), actions: ['takeWork', 'pollAgain'] },
        /* pci_doe_recv_resp() < 0: the header does not match the request */
        { guard: and(['workDue', 'badResponse']), ...errAbort(EIO) },
        {
          guard: 'workDue',
          target: 'DOE_IDLE',
          actions: [
            'takeWork',
            'readResponse',
            'emitResponseRead',
            'forgetDeadline',
            { type: 'callback', params: { rc: RESPONSE_BYTES } },
            { type: 'callerReturns', params: { rc: RESPONSE_BYTES } },
            'callerLeaves',
            'clearCurTask',
            ...wake,
          ],
        },
      ];
    }

    function waitAbortWork(deliberate: boolean): TransitionOf<'work_run'>[] {
      const complete: ActionList = deliberate ? ['completeAbortC'] : [];
      const notYet: ActionList = waitAbortNoReschedule ? ['takeWork'] : ['takeWork', 'pollAgain'];
      return [
        abortFirst(),
        {
          guard: and(['workDue', 'abortFinished']),
          target: 'DOE_IDLE',
          actions: ['takeWork', 'clearCurTask', 'wakeQueue', ...complete, 'forgetDeadline'],
        },
        {
          guard: and(['workDue', 'timedOut']),
          actions: ['takeWork', 'markDead', 'emitDead', 'clearCurTask', 'wakeQueue', ...complete],
        },
        { guard: 'workDue', actions: notYet },
      ];
    }

    function tickWhileArmed(): TransitionOf<'tick'> {
      return { guard: 'deadlineArmed', actions: 'tick' };
    }

    /* ---- pci_doe_exchange_sync() ---- */

    /** `again:` lock; if (cur_task) sleep; if (dead) return -EIO; cur_task = &task; schedule. */
    function takeOrSleep(callerGuard: 'callerIdle' | 'callerWoken'): TransitionOf<'call'>[] {
      const deadCheck: TransitionOf<'call'>[] = has(VARIANTS.noDeadCheck)
        ? []
        : [
            {
              guard: and([callerGuard, 'probeReady', 'dead']),
              actions: ['returnEio', 'callerToIdle'],
            },
          ];
      return [
        { guard: and([callerGuard, 'probeReady', 'mailboxTaken']), actions: 'sleepOnQueue' },
        ...deadCheck,
        {
          guard: and([callerGuard, 'probeReady']),
          actions: ['takeMailbox', 'emitSubmitted'],
        },
      ];
    }

    /* ---- pci_doe_irq() ---- */

    function irqHandlerStates(): ChildStates {
      const review = has(VARIANTS.reviewIrqHandler);
      /* The read and the test are one step: the test looks only at the value read. */
      const read: TransitionOf<'irq_read_status'>[] = review
        ? [
            {
              guard: and(['irqPending', 'error']),
              target: 'IRQ_SCHEDULE',
              actions: 'enterHandler',
            },
            {
              guard: and(['irqPending', 'intStatus']),
              target: 'IRQ_CLEAR',
              actions: 'enterHandler',
            },
            { guard: 'irqPending', actions: ['takeIrq', 'irqNone'] },
          ]
        : [
            {
              guard: and(['irqPending', 'intStatus']),
              target: 'IRQ_CLEAR',
              actions: 'enterHandler',
            },
            {
              guard: and(['irqPending', 'error']),
              target: 'IRQ_SCHEDULE',
              actions: 'enterHandler',
            },
            { guard: 'irqPending', actions: ['takeIrq', 'irqHandled'] },
          ];
      return {
        IRQ_IDLE: { on: { irq_read_status: read } },
        /* pci_write_config_dword(STATUS, val) (seed) or (STATUS, INT_STATUS) (review): RW1C */
        IRQ_CLEAR: {
          on: { irq_write_clear: { target: 'IRQ_SCHEDULE', actions: 'clearIntStatus' } },
        },
        IRQ_SCHEDULE: {
          on: {
            irq_schedule_work: { target: 'IRQ_IDLE', actions: ['modWorkNow', 'irqHandled'] },
          },
        },
      };
    }

    /* ---- the device ---- */

    function deviceStates(): ChildStates {
      /* ABORT is taken in every phase; the device holds BUSY until the abort completes. */
      const takeAbort: Eventless = {
        guard: 'cmdAbort',
        target: '#pciDoe.device.ABORTING',
        actions: ['takeCmd', 'deviceBusy'],
      };
      /* Anything else written out of turn is ignored (a property reports it). */
      const ignore: Eventless = { guard: 'cmdAny', actions: 'takeCmd' };
      return {
        DEV_IDLE: {
          always: [
            takeAbort,
            { guard: 'cmdGo', target: 'PROCESSING', actions: ['takeCmd', 'noteRequest'] },
            ignore,
          ],
          on: {
            other_user_busy: { guard: 'otherUser', target: 'OTHER_USER', actions: 'deviceBusy' },
          },
        },
        /* Another user of the mailbox (firmware) owns it: BUSY. */
        OTHER_USER: {
          always: [takeAbort, ignore],
          on: { other_user_done: { target: 'DEV_IDLE', actions: 'busyClears' } },
        },
        PROCESSING: {
          always: [takeAbort, ignore],
          on: {
            device_respond: { target: 'RESPONSE_READY', actions: 'raiseReady' },
            device_respond_bad: { target: 'BAD_RESPONSE', actions: 'raiseBadReady' },
            device_error: { target: 'ERROR_SET', actions: 'raiseError' },
            device_hang: 'HUNG',
          },
        },
        /* The device never answers this request. */
        HUNG: { always: [takeAbort, ignore] },
        RESPONSE_READY: {
          always: [
            takeAbort,
            { guard: 'cmdRead', target: 'DEV_IDLE', actions: ['takeCmd', 'responseTaken'] },
            ignore,
          ],
        },
        /* A response whose header does not match the request: pci_doe_recv_resp() fails. */
        BAD_RESPONSE: { always: [takeAbort, ignore] },
        ERROR_SET: { always: [takeAbort, ignore] },
        ABORTING: {
          always: [{ guard: 'cmdAny', actions: 'takeCmd' }],
          on: {
            device_abort_done: { target: 'DEV_IDLE', actions: 'abortCompletes' },
            device_abort_hang: 'ABORT_HUNG',
          },
        },
        /* The abort never completes: BUSY stays set. */
        ABORT_HUNG: { always: [{ guard: 'cmdAny', actions: 'takeCmd' }] },
      };
    }

    return {
      machine,
      events: (state: ModelState<DoeContext>) => alphabet(state, callerCount),
      terminal: (state) => state.matches('probe.PROBE_FAILED'),
    };
  },
});

function callerOf(event: DoeEvent): number {
  return event.type === 'call' || event.type === 'wake_recheck' ? event.caller : -1;
}

function setCaller(context: DoeContext, event: DoeEvent, to: CallerState): CallerState[] {
  const who = callerOf(event);
  return context.callers.map((c, i) => (i === who ? to : c));
}

const FIXED_EVENTS: DoeEvent[] = [
  { type: 'probe', mode: 'irq' },
  { type: 'probe', mode: 'poll' },
  { type: 'probe_resume' },
  { type: 'work_run' },
  { type: 'tick' },
  { type: 'irq_read_status' },
  { type: 'irq_write_clear' },
  { type: 'irq_schedule_work' },
  { type: 'device_respond' },
  { type: 'device_respond_bad' },
  { type: 'device_error' },
  { type: 'device_hang' },
  { type: 'device_abort_done' },
  { type: 'device_abort_hang' },
  { type: 'other_user_busy' },
  { type: 'other_user_done' },
];

function alphabet(state: ModelState<DoeContext>, callerCount: number): DoeEvent[] {
  const perCaller: DoeEvent[] = [];
  for (let caller = 0; caller < callerCount; caller++) {
    const now = state.context.callers[caller];
    if (now === 'idle') {
      perCaller.push({ type: 'call', caller, wholeDwords: true });
      perCaller.push({ type: 'call', caller, wholeDwords: false });
    } else if (now === 'woken') {
      perCaller.push({ type: 'wake_recheck', caller });
    }
  }
  return [...FIXED_EVENTS, ...perCaller];
}
