/**
 * PCIe Data Object Exchange (DOE) mailbox, as driven by the patch under review in
 * sources/pci-doe-review.txt ("[PATCH 2/5] PCI/DOE: Add Data Object Exchange Aux Driver",
 * v5, with Jonathan Cameron's review). Line numbers are lines of that file; the functions it
 * elides are taken from v4 and v6 of the series, where they are identical (docs/pci-doe.md).
 *
 * Execution contexts, each a parallel region or a slot of the context, stepped at the grain of
 * the code's yield points (a lock section ending at its unlock, a register access, a wake-up or
 * `complete()`, a sleep, a free); docs/pci-doe.md has the step table the C harness follows:
 *
 * - `probe`: pci_doe_probe() and pci_doe_remove(): the init abort, the discovery exchanges of
 *   pci_doe_cache_protocols() (the probe is caller 0 of pci_doe_exchange_sync()), every error
 *   path, and orderly removal.
 * - `work`: doe_statemachine_work(), one state per step of its code; `doe->state` is
 *   `doeState` in the context (only the work reads it).
 * - `callers`: pci_doe_exchange_sync() for caller 0 (probe) and the users 1..callers.
 * - `irq`: pci_doe_irq(): read and test, write-1-to-clear, mod_delayed_work().
 * - `device`: the mailbox; its registers are in the context, its phase is the region's state.
 *   The driver's register writes are posted in `cmd` and taken by the device's eventless
 *   transitions in the same step.
 * - `clock`: one `tick` is one jiffy (src/model/time.ts): the kernel's timer semantics, a
 *   1 s timeout of `hz` ticks, interrupt and workqueue latencies as bounds.
 */
import { and, emit, not, setup } from 'xstate';
import { faultBounds, faultOn, replyLengths, type ReplyLength } from '../src/model/device.ts';
import { defineMachine, type Bounds, type LintAllow, type ModelState } from '../src/model/model.ts';
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

/* Return codes as the kernel has them (negative errno); a response is its payload in bytes. */
export const EIO = -5;
export const EINVAL = -22;
export const EBUSY = -16;
export const ETIMEDOUT = -110;
export const ERESTARTSYS = -512;
/** Every caller's response buffer, in dwords: pci_doe_discovery()'s one u32. */
export const RESPONSE_DWORDS = 1;

export type DoeState = 'DOE_IDLE' | 'DOE_WAIT_RESP' | 'DOE_WAIT_ABORT' | 'DOE_WAIT_ABORT_ON_ERR';

/**
 * A caller of pci_doe_exchange_sync(): not in it; between its unlock and
 * wait_event_interruptible()'s test (`checking`); asleep on doe->wq; woken (about to go round
 * `again:`); waiting for its task; its completion fired but it has not returned yet.
 */
export type CallerState = 'idle' | 'checking' | 'asleep' | 'woken' | 'waiting' | 'completed';

/** Dwords still to read in a loop of pci_doe_recv_resp(); `many` abstracts 2^18-ish counts. */
export type Count = 0 | 1 | 2 | 'many';

/**
 * The object in the read mailbox: its Length field's kind (src/model/device.ts; for DOE,
 * `zero` is the encoding of the largest object, 2^18 DW, and `max` is 0x3FFFF DW) or `bad`
 * (a header that does not match the request).
 */
export type ResponseObject = ReplyLength | 'bad';

export interface DoeContext {
  /* struct pci_doe */
  doeState: DoeState;
  /** doe->cur_task: the index of the caller whose task it is, or null. */
  curTask: number | null;
  abort: boolean;
  dead: boolean;
  /** doe->busy_retries (the seed's count of BUSY attempts; the fix keeps it at 0). */
  busyRetries: number;
  /** The fix: jiffies until the driver stops retrying a busy mailbox (null: not busy yet). */
  busyTimeout: Deadline;
  /** doe->irq > 0: IRQ mode; otherwise the state machine polls. */
  irq: boolean;
  /** doe->timeout_jiffies - jiffies (forgotten, null, once DOE_IDLE no longer reads it). */
  timeout: Deadline;
  /**
   * doe->abort_c.done: complete() adds one, probe's wait_for_completion() takes one. It goes
   * past 1 when the init abort is declared dead (DEAD_COMPLETE) and an interrupt runs the
   * work again before probe has taken it: the abort is then done after all (ABORT_COMPLETE),
   * or another user holds BUSY at that run and it is declared dead again. Probe takes one and
   * nothing ever waits on abort_c again, so the count saturates at ABORT_DONE_MAX (2).
   */
  abortDone: number;
  /* doe->statemachine, the delayed work */
  /** Its timer (expires - jiffies), or null when no timer is armed. */
  workTimer: Deadline;
  /** Queued with no timer (delay 0, mod_delayed_work(0)): runnable now. */
  workQueued: boolean;
  workRunning: boolean;
  /** The workqueue's obligation: a runnable or running work finishes within workLatency. */
  workDue: Due;
  /** cancel_delayed_work_sync() is waiting for the running work: queueing is refused. */
  canceling: boolean;
  /* doe_statemachine_work()'s locals, while it runs */
  task: number | null;
  rc: number;
  /** pci_doe_recv_resp(): payload dwords still to store, excess dwords still to flush. */
  toStore: Count;
  toFlush: Count;
  /** Payload dwords stored into task->ex->response_pl so far (its index). */
  stored: number;
  /* lifecycle */
  /** pci_doe_probe() has begun: the device's own activity (another user, an FLR) is modelled from here. */
  probed: boolean;
  /** pci_doe_probe() returned 0 and removal has not begun: users may call. */
  ready: boolean;
  /** Discovery exchanges done by pci_doe_cache_protocols(). */
  discovered: number;
  /** pci_doe_cache_protocols() is running: probe's frame calls pci_doe_exchange_sync(). */
  discovering: boolean;
  /** kfree(doe) has run. */
  freed: boolean;
  /** request_irq() done and free_irq() not yet: an MSI reaches pci_doe_irq(). */
  irqLine: boolean;
  /* callers, index 0 = probe's discovery exchanges */
  callers: CallerState[];
  /** Each caller's on-stack task.rv (null: not written since the call). */
  rv: Array<number | null>;
  /** A signal is pending for the caller (wait_event_interruptible() returns at once). */
  signalled: boolean[];
  /* the MSI line and pci_doe_irq() */
  irqPending: boolean;
  handlerRunning: boolean;
  /** The interrupt's latency: pending or running, it is handled within irqLatency ticks. */
  irqDue: Due;
  /* DOE Status, and Interrupt Enable from the Control register */
  busy: boolean;
  dataObjectReady: boolean;
  error: boolean;
  intStatus: boolean;
  intEnable: boolean;
  /** This device sets INT_STATUS when BUSY clears (the ECN), or not (later revisions). */
  busyClearIrq: boolean;
  /** A register write the device has not taken yet. */
  cmd: 'GO' | 'ABORT' | 'READ' | 'READ_LAST' | null;
  /** Ghost, with a GO write: whose request it is (the device notes it if it takes the GO). */
  goTask: number | null;
  /** The object in the read mailbox, while Data Object Ready holds one. */
  response: ResponseObject | null;
  /** Ghost: the task whose request the device holds (processing it or its response). */
  ghostRequestOf: number | null;
}

export type DoeEvent =
  | { type: 'probe'; mode: 'irq' | 'poll' | 'irq-setup-fails'; busyClearIrq: boolean }
  | { type: 'probe_resume' }
  | { type: 'probe_free_irq' }
  | { type: 'probe_cancel' }
  | { type: 'probe_cancel_done' }
  | { type: 'probe_kfree' }
  | { type: 'remove_cancel' }
  | { type: 'remove_cancel_done' }
  | { type: 'remove_free_irq' }
  | { type: 'remove_kfree' }
  | { type: 'call'; caller: number; wholeDwords: boolean }
  | { type: 'wait_check'; caller: number }
  | { type: 'wake_recheck'; caller: number }
  | { type: 'signal'; caller: number }
  | { type: 'caller_return'; caller: number }
  | { type: 'work_start' }
  | { type: 'work_abort_start' }
  | { type: 'work_send' }
  | { type: 'work_resp_status' }
  | { type: 'work_recv_header' }
  | { type: 'work_recv_length' }
  | { type: 'work_recv_payload' }
  | { type: 'work_recv_flush'; last: boolean }
  | { type: 'work_recv_status' }
  | { type: 'work_done_wake' }
  | { type: 'work_callback' }
  | { type: 'work_rv_write' }
  | { type: 'work_after_cb' }
  | { type: 'work_after_cb_wake' }
  | { type: 'work_err_abort' }
  | { type: 'work_abort_status' }
  | { type: 'work_abort_wake' }
  | { type: 'work_abort_complete' }
  | { type: 'work_dead_wake' }
  | { type: 'work_dead_complete' }
  | { type: 'irq_read_status' }
  | { type: 'irq_write_clear' }
  | { type: 'irq_schedule_work' }
  | { type: 'device_respond'; length: ReplyLength }
  | { type: 'device_respond_bad' }
  | { type: 'device_error' }
  | { type: 'device_abort_done' }
  | { type: 'device_hang' }
  | { type: 'device_abort_hang' }
  | { type: 'device_reset' }
  | { type: 'other_user_busy' }
  | { type: 'other_user_done' }
  | { type: 'other_user_error' }
  | { type: 'tick' };

/** What the model emits: the observable outputs monitors and the conformance runner see. */
export type DoeOutput =
  | { type: 'task_submitted'; task: number }
  | { type: 'request_written'; task: number }
  | { type: 'response_read'; task: number }
  | { type: 'abort_written' }
  | { type: 'callback'; task: number; rc: number | null }
  | { type: 'exchange_return'; caller: number; rc: number | null }
  | { type: 'mailbox_dead' }
  | { type: 'irq_return'; value: 'IRQ_HANDLED' | 'IRQ_NONE' };

/** The steps of doe_statemachine_work() that dereference its task (and so the caller's stack). */
export const TASK_STEPS: ReadonlySet<DoeEvent['type']> = new Set([
  'work_send',
  'work_recv_header',
  'work_recv_length',
  'work_recv_payload',
  'work_recv_status',
  'work_callback',
  'work_rv_write',
]);

/** Every step of the work and of the interrupt handler reads or writes the struct pci_doe. */
export function touchesDoe(type: string): boolean {
  return type.startsWith('work_') || type.startsWith('irq_');
}

/** The work states between an unlock that cleared cur_task and the wake-up after it. */
export const WAKE_PENDING = ['DONE_WAKE', 'AFTER_CB_WAKE', 'ABORT_WAKE', 'DEAD_WAKE'] as const;

export const VARIANTS = {
  /** The seed as written: every finding below together. */
  asWritten: 'as-written',
  waitAbortNoReschedule: 'wait-abort-no-reschedule',
  probeErrorNoCancel: 'probe-error-no-cancel',
  removeCancelBeforeFreeIrq: 'remove-cancel-before-free-irq',
  busyRetriesCounted: 'busy-retries-counted',
  maxLengthRejected: 'max-length-rejected',
  ignoreWaitReturn: 'ignore-wait-return',
  reviewIrqHandler: 'review-irq-handler',
  errBusyKeepsCurTask: 'err-busy-keeps-cur-task',
  noDeadlineInWaitResp: 'no-deadline-in-wait-resp',
  deadlineBeforeReady: 'deadline-before-ready',
  noWakeOnResponse: 'no-wake-on-response',
  noBusyCheck: 'no-busy-check',
  noDeadCheck: 'no-dead-check',
  timeoutSkipsAbort: 'timeout-skips-abort',
  rvAfterCallback: 'rv-after-callback',
  noFinalErrorCheck: 'no-final-error-check',
  recvNoClamp: 'recv-no-clamp',
  abortDoneIgnoresBusy: 'abort-done-ignores-busy',
} as const;

/** The findings: each is the seed as written where the default model carries the fix. */
const FINDINGS: string[] = [
  VARIANTS.waitAbortNoReschedule,
  VARIANTS.probeErrorNoCancel,
  VARIANTS.removeCancelBeforeFreeIrq,
  VARIANTS.busyRetriesCounted,
  VARIANTS.maxLengthRejected,
  VARIANTS.ignoreWaitReturn,
];

const SEED = 'sources/pci-doe-review.txt';

/** Where doe->abort_c.done saturates: probe's one wait cannot tell 2 from more. */
export const ABORT_DONE_MAX = 2;

/** A transition's source lines in the seed, for the inspector (`meta.source`). */
const at = (lines: string) => ({ source: `${SEED}:${lines}` });

/* Lint suppressions shared by several transitions (the lint's reasons, docs/writing-models.md). */
const REMOVE_NEVER_WAITS =
  "cancel_delayed_work_sync() waits only for a running work: removal starts with the state machine at rest, and a work that starts after it finds DOE_IDLE and no task and returns in its first step; the step is kept because the code's cancel can sleep there";
const HANDLER_BRANCH_NEEDS_FLR =
  'an MSI is sent only when INT_STATUS rises and only pci_doe_irq() clears it, so the handler finds it set unless an FLR cleared it in between (reset = 1, deep bounds)';
const LONG_ONLY =
  'an excess dword to flush needs a response longer than the buffer (lengths >= 3: long, zero, max)';
const OFFERED_ONLY =
  "the alphabet offers this step only to a caller in the state the guard tests; the guard is what makes the machine refuse it for another caller when a replayed vector or a fuzz step names one (conformance's refusal steps)";

/** The bounds each finding needs beyond the defaults to show its bug. */
const FINDING_BOUNDS: Record<string, Bounds> = {
  [VARIANTS.waitAbortNoReschedule]: { modes: 1, lengths: 1 },
  [VARIANTS.maxLengthRejected]: { lengths: 4 },
  [VARIANTS.ignoreWaitReturn]: { signals: 1, lengths: 1 },
};

export const pciDoeMachine = defineMachine<DoeContext, DoeEvent>({
  name: 'pci-doe',
  title: 'PCIe DOE mailbox (Data Object Exchange aux driver, under review)',
  seed: SEED,
  bounds: [
    {
      name: 'callers',
      default: 1,
      min: 0,
      max: 3,
      description: 'users calling pci_doe_exchange_sync() once probe is done',
    },
    {
      name: 'protocols',
      default: 1,
      deep: 2,
      min: 1,
      max: 3,
      description: 'discovery exchanges pci_doe_cache_protocols() makes during probe',
    },
    {
      name: 'busyRetries',
      default: 2,
      deep: 3,
      min: 1,
      max: 16,
      description: 'PCI_DOE_BUSY_MAX_RETRIES (16 in the seed)',
    },
    {
      name: 'hz',
      default: 4,
      deep: 4,
      min: 2,
      max: 250,
      description: 'HZ in ticks: PCI_DOE_TIMEOUT (1 s); a busy retry waits hz / busyRetries ticks',
    },
    {
      name: 'pollInterval',
      default: 1,
      min: 0,
      max: 4,
      description: 'PCI_DOE_POLL_INTERVAL = HZ / 128 in ticks (1 at HZ = 128..255, 0 at HZ = 100)',
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
      deep: 2,
      min: 0,
      max: 2,
      description:
        '1: another user (firmware, or the device itself after an exchange) holds the mailbox BUSY between exchanges; 2: and may leave DOE Error set',
    },
    {
      name: 'busyClearIrq',
      default: 1,
      deep: 2,
      min: 0,
      max: 2,
      description:
        'BUSY clearing sets INT_STATUS: 0 never (later spec revisions), 1 always (the ECN), 2 either, chosen at probe',
    },
    {
      name: 'irqDelay',
      default: 0,
      deep: 1,
      min: 0,
      max: 4,
      description:
        'ticks an MSI may wait until pci_doe_irq() has returned (0: before the next tick)',
    },
    {
      name: 'workDelay',
      default: 0,
      deep: 1,
      min: 0,
      max: 4,
      description:
        'ticks a runnable delayed work may wait until its run returns (0: before the next tick)',
    },
    {
      name: 'dirtyStart',
      default: 0,
      deep: 1,
      min: 0,
      max: 1,
      description: '1: INT_STATUS is already set at probe (left by firmware or an earlier driver)',
    },
    {
      name: 'signals',
      default: 0,
      deep: 1,
      min: 0,
      max: 1,
      description: '1: a caller asleep in pci_doe_exchange_sync() may get a signal',
    },
    ...faultBounds({
      lost: {
        default: 1,
        note: 'the device never answers a request, or never completes an abort (BUSY stays set)',
      },
      error: { default: 1, note: 'DOE Error while processing a request or while it is read' },
      reset: { default: 0, deep: 1, note: 'an FLR: every register cleared, Interrupt Enable too' },
      lengths: {
        default: 1,
        deep: 5,
        note: 'for DOE, zero is the Length encoding of the largest object (2^18 DW) and max is 0x3FFFF DW',
      },
    }),
  ],
  variants: [
    {
      name: VARIANTS.asWritten,
      description:
        "The seed as written: every finding together (with the seed's own pci_doe_irq()).",
      source: SEED,
      breaks: [
        'mailbox-recovers',
        'no-use-after-free',
        'busy-patience',
        'response-not-lost',
        'no-spin-on-signal',
        'no-deadlock',
      ],
      finding: true,
      bounds: { modes: 1, lengths: 4, signals: 1 },
    },
    {
      name: VARIANTS.waitAbortNoReschedule,
      description:
        'As written: in DOE_WAIT_ABORT / DOE_WAIT_ABORT_ON_ERR, when the abort is neither done nor past its deadline, the work returns without queueing itself again. Only an interrupt runs it early (its mod_delayed_work(0) replaces the 1 s timer), and then nothing runs it again unless BUSY clearing interrupts. The default model reschedules it at PCI_DOE_POLL_INTERVAL.',
      source: `${SEED}:399-411 (if (time_after(jiffies, doe->timeout_jiffies)) {...} return;)`,
      breaks: ['mailbox-recovers', 'no-deadlock'],
      finding: true,
      bounds: FINDING_BOUNDS[VARIANTS.waitAbortNoReschedule],
    },
    {
      name: VARIANTS.probeErrorNoCancel,
      description:
        'As written: every probe error path after the init abort (the abort timed out, 583-584; a discovery exchange failed, 586-593) ends in kfree(doe) without cancel_delayed_work_sync(): a failed discovery exchange leaves the abort work armed for 1 s, an abort that completes late queues it by interrupt. The default model cancels it before the kfree, after free_irq().',
      source: `${SEED}:582-600 (goto err_free; ... kfree(doe))`,
      breaks: ['no-use-after-free'],
      finding: true,
    },
    {
      name: VARIANTS.removeCancelBeforeFreeIrq,
      description:
        'As written: pci_doe_remove() cancels the work (608) before pci_doe_unregister() frees the IRQ (614); an interrupt in between (an abort completing, another user releasing BUSY) queues it again on a doe about to be freed. The default model frees the IRQ first.',
      source: `${SEED}:603-616 (cancel_delayed_work_sync(); kfree(prots); pci_doe_unregister(); kfree(doe))`,
      breaks: ['no-use-after-free'],
      finding: true,
    },
    {
      name: VARIANTS.busyRetriesCounted,
      description:
        "As written: the driver's patience with a busy mailbox is a count of attempts, not the second the comment promises. busy_retries == PCI_DOE_BUSY_MAX_RETRIES gives up at the 16th attempt, after 15 waits of at least HZ/16 + 1 jiffies (240 jiffies, 0.96 s, at HZ = 250); in IRQ mode each BUSY-clear interrupt (the ECN) pulls the next attempt forward, so another user that takes the mailbox back each time fails the request sooner still; and -EIO after some retries goes to err_abort before busy_retries = 0, so the next request starts with retries used up. The default model gives up when time_after(jiffies, busy_timeout), a deadline set at the first BUSY.",
      source: `${SEED}:313-331 ("try for 1 second then fail"; if (doe->busy_retries == PCI_DOE_BUSY_MAX_RETRIES); if (rc) goto err_abort; doe->busy_retries = 0)`,
      breaks: ['busy-patience'],
      finding: true,
    },
    {
      name: VARIANTS.maxLengthRejected,
      description:
        'As written (pci_doe_recv_resp(), elided in the seed, v4 = v6): if (length > SZ_1M || length < 2) return -EIO. A Length of 0 encodes the largest data object (2^18 DW), so a legal response fails with -EIO and an abort; the SZ_1M test is dead (the field has 18 bits). The default model reads 0 as 2^18.',
      source:
        'pci_doe_recv_resp() (elided in the seed; v4 and v6 of the series): length = FIELD_GET(PCI_DOE_DATA_OBJECT_HEADER_2_LENGTH, val); if (length > SZ_1M || length < 2) return -EIO',
      breaks: ['response-not-lost'],
      finding: true,
      bounds: FINDING_BOUNDS[VARIANTS.maxLengthRejected],
    },
    {
      name: VARIANTS.ignoreWaitReturn,
      description:
        "As written: pci_doe_exchange_sync() ignores wait_event_interruptible()'s return; with a signal pending it returns at once, and the caller goes round `again:` without sleeping for as long as another task holds the mailbox. The default model returns -ERESTARTSYS.",
      source: `${SEED}:469-474 (wait_event_interruptible(doe->wq, doe->cur_task == NULL); goto again;)`,
      breaks: ['no-spin-on-signal'],
      finding: true,
      bounds: FINDING_BOUNDS[VARIANTS.ignoreWaitReturn],
    },
    {
      name: VARIANTS.reviewIrqHandler,
      description:
        "pci_doe_irq() as the review proposes: the ERROR test first (returning without clearing INT_STATUS), INT_STATUS cleared by writing the bit, IRQ_NONE on the final path. After any device error INT_STATUS stays set, so 'enabled AND INT_STATUS' never rises again and no interrupt is ever sent.",
      source: `${SEED}:222-256 (review of pci_doe_irq(): "Summary of above suggested changes")`,
      breaks: ['response-wakes-driver'],
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
        'DOE_WAIT_RESP tests the deadline before Data Object Ready: a response that arrived in time but is read after the deadline is thrown away with -ETIMEDOUT.',
      source: `${SEED}:345-357 (ERROR, then Data Object Ready, then the deadline)`,
      breaks: ['response-not-lost'],
    },
    {
      name: VARIANTS.noWakeOnResponse,
      description:
        'DOE_WAIT_RESP clears cur_task on success but forgets wake_up_interruptible(&doe->wq).',
      source: `${SEED}:366-369 (cur_task = NULL; wake_up_interruptible(&doe->wq))`,
      breaks: ['waiters-woken'],
      bounds: { callers: 2, modes: 0, otherUser: 0, lengths: 1 },
    },
    {
      name: VARIANTS.noBusyCheck,
      description: 'pci_doe_send_req() writes the request without testing DOE Busy first.',
      source:
        'pci_doe_send_req() (elided in the seed; v4 and v6 of the series): if (BUSY) return -EBUSY',
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
      breaks: ['abort-before-next-request', 'response-matches-request'],
      bounds: { callers: 2, modes: 0, otherUser: 0, lengths: 1 },
    },
    {
      name: VARIANTS.rvAfterCallback,
      description:
        'The success path calls task->cb() before task->rv = rc: the woken caller can return its stale rv, and the work then writes into a stack frame that has returned.',
      source: `${SEED}:371-373 (task->rv = rc; task->cb(task->private))`,
      breaks: ['no-use-after-return'],
    },
    {
      name: VARIANTS.noFinalErrorCheck,
      description:
        'pci_doe_recv_resp() without its last STATUS read: a DOE Error raised while the response is read out is not seen and the exchange succeeds.',
      source:
        'pci_doe_recv_resp() (v4 and v6): "Final error check to pick up on any since Data Object Ready"',
      breaks: ['error-fails-exchange'],
    },
    {
      name: VARIANTS.recvNoClamp,
      description:
        "pci_doe_recv_resp() reads length - 2 payload dwords into the response buffer without min(length, response_pl_sz / 4): a long response overflows the caller's buffer (in pci_doe_discovery(), a u32 on its stack).",
      source:
        'pci_doe_recv_resp() (v4 and v6): for (i = 0; i < min(length, ex->response_pl_sz / sizeof(u32)); i++)',
      breaks: ['response-fits-buffer'],
      bounds: { lengths: 3 },
    },
    {
      name: VARIANTS.abortDoneIgnoresBusy,
      description:
        'DOE_WAIT_ABORT counts the abort as done when DOE Error is clear, without testing DOE Busy.',
      source: `${SEED}:381-383 (if (!ERROR && !BUSY) /* Back to normal state */)`,
      breaks: ['abort-done-means-idle'],
    },
  ],
  build({ bounds, variants }) {
    const has = (name: string) =>
      variants.has(name) || (variants.has(VARIANTS.asWritten) && FINDINGS.includes(name));
    const hz = bounds.hz;
    const maxRetries = bounds.busyRetries;
    /* The seed's delays in ticks, with its integer division. */
    const busyDelay = Math.floor(hz / maxRetries);
    const pollDelay = bounds.pollInterval;
    const users = bounds.callers;
    /* Latencies: 0 makes the context urgent (it runs before the next tick), L > 0 an
     * obligation of L ticks (src/model/time.ts `due`). */
    const workLatency = bounds.workDelay;
    const irqLatency = bounds.irqDelay;
    const lengths = replyLengths(bounds.lengths);
    const canReset = faultOn(bounds, 'reset');
    const canError = faultOn(bounds, 'error');
    const canLose = faultOn(bounds, 'lost');

    /* ---- the kernel's workqueue: queue, timer, run, cancel ---- */

    const pending = (c: DoeContext) => c.workQueued || c.workTimer !== null;
    const runnable = (c: DoeContext) => c.workQueued || timerDue(c.workTimer);

    /** schedule_delayed_work(): a no-op when pending (or while a cancel waits). */
    function schedule(c: DoeContext, delay: number): Partial<DoeContext> {
      if (c.canceling || pending(c)) return {};
      if (delay === 0)
        return { workQueued: true, workDue: c.workRunning ? c.workDue : due(workLatency) };
      return { workTimer: arm(delay) };
    }

    /** mod_delayed_work(system_wq, w, 0): queued now, its timer (if any) dropped. */
    function modNow(c: DoeContext): Partial<DoeContext> {
      if (c.canceling) return {};
      const keep = c.workRunning || runnable(c);
      return { workQueued: true, workTimer: null, workDue: keep ? c.workDue : due(workLatency) };
    }

    /** The work function returns; a new run is owed if it was queued meanwhile. */
    function workReturns(c: DoeContext): Partial<DoeContext> {
      return {
        workRunning: false,
        workDue: runnable(c) ? due(workLatency) : null,
        task: null,
        rc: 0,
        toStore: 0,
        toFlush: 0,
        stored: 0,
      };
    }

    /** cancel_delayed_work_sync(), first half: the pending work is gone; it waits if running. */
    function cancelPending(c: DoeContext): Partial<DoeContext> {
      return {
        workQueued: false,
        workTimer: null,
        workDue: c.workRunning ? c.workDue : null,
        canceling: c.workRunning,
      };
    }

    /* ---- registers ---- */

    /** An MSI: sent when "enabled AND INT_STATUS" rises (review, quoting sec 6.xx.3). */
    function msi(c: DoeContext): Partial<DoeContext> {
      if (!c.irqLine || c.irqPending) return {};
      return { irqPending: true, irqDue: c.handlerRunning ? c.irqDue : due(irqLatency) };
    }

    /** INT_STATUS is set by Data Object Ready, by ERROR and (per device) by BUSY clearing.
     * In polling mode nobody reads it, so it is not tracked there. */
    function setIntStatus(c: DoeContext): Partial<DoeContext> {
      if (!c.irq) return {};
      const rises = c.intEnable && !c.intStatus;
      return { intStatus: true, ...(rises ? msi(c) : {}) };
    }

    /** A Control write from the driver: INT_EN with it in IRQ mode (v5's pci_doe_write_ctrl). */
    function writeCtrl(c: DoeContext, what: 'GO' | 'ABORT'): Partial<DoeContext> {
      const rises = c.irq && !c.intEnable && c.intStatus;
      return {
        cmd: what,
        goTask: what === 'GO' ? c.task : null,
        intEnable: c.irq,
        ...(rises ? msi(c) : {}),
      };
    }

    /* ---- composing the updates of one step ---- */

    type Update = (c: DoeContext) => Partial<DoeContext>;
    /** Applies updates in order, each seeing the context the previous ones left. */
    const seq =
      (...updates: Update[]) =>
      (c: DoeContext): DoeContext =>
        updates.reduce<DoeContext>((acc, update) => ({ ...acc, ...update(acc) }), c);

    /** pci_doe_abort_start(): ABORT (| INT_EN), timeout_jiffies = jiffies + HZ, schedule HZ. */
    const abortStart: Update[] = [
      (c) => writeCtrl(c, 'ABORT'),
      () => ({ timeout: arm(hz) }),
      (c) => schedule(c, hz),
    ];

    /** mutex_lock; doe->cur_task = NULL; mutex_unlock (the wake-up is the next step). */
    const clearCurTask: Update = () => ({ curTask: null });

    /** wake_up_interruptible(&doe->wq): every sleeper becomes runnable. */
    const wakeQueue: Update = (c) => ({
      callers: c.callers.map((s) => (s === 'asleep' ? 'woken' : s)),
    });

    const setCaller = (c: DoeContext, who: number, to: CallerState) =>
      c.callers.map((s, i) => (i === who ? to : s));

    const who = (event: DoeEvent) =>
      'caller' in event && typeof event.caller === 'number' ? event.caller : -1;

    /** Payload dwords pci_doe_recv_resp() reads for a Length it read (null: it returns -EIO). */
    function lengthRead(c: DoeContext): { store: Count; flush: Count } | null {
      const kind = c.response === null || c.response === 'bad' ? 'none' : c.response;
      /* An emptied mailbox (a reset) reads as 0, the largest-object encoding. */
      const zeroLength = kind === 'none' || kind === 'zero';
      if (zeroLength && has(VARIANTS.maxLengthRejected)) return null;
      const payload: Count =
        kind === 'exact' ? 1 : kind === 'short' ? 0 : kind === 'long' ? 2 : 'many';
      /* recv-no-clamp: every payload dword goes to the buffer; two show the overflow. */
      if (has(VARIANTS.recvNoClamp)) return { store: payload === 'many' ? 2 : payload, flush: 0 };
      const store: Count = payload === 0 ? 0 : 1;
      const flush: Count = payload === 0 || payload === 1 ? 0 : payload === 2 ? 1 : 'many';
      return { store, flush };
    }

    /** The register access that reads the last dword of the object, as the driver counts. */
    const advance =
      (last: boolean): Update =>
      () => ({ cmd: last ? 'READ_LAST' : 'READ' });

    const dec = (n: Count): Count => (n === 'many' ? 'many' : n === 2 ? 1 : 0);

    const counted = has(VARIANTS.busyRetriesCounted);
    /** busy_retries = 0 (the fix: the busy deadline is forgotten too). */
    const forgetBusy: Update = () => ({ busyRetries: 0, busyTimeout: null });

    const doe = setup({
      types: {} as { context: DoeContext; events: DoeEvent; emitted: DoeOutput },
      guards: {
        runnable: ({ context }) => runnable(context),
        abortRequested: ({ context }) => context.abort,
        noTask: ({ context }) => context.curTask === null,
        idle: ({ context }) => context.doeState === 'DOE_IDLE',
        waitResp: ({ context }) => context.doeState === 'DOE_WAIT_RESP',
        busy: ({ context }) => context.busy && !has(VARIANTS.noBusyCheck),
        /* As written: ++busy_retries == PCI_DOE_BUSY_MAX_RETRIES gives up. The fix: give up
         * once time_after(jiffies, busy_timeout), the deadline the first BUSY set. */
        retriesLeft: ({ context }) =>
          counted ? context.busyRetries + 1 !== maxRetries : !timeAfter(context.busyTimeout),
        error: ({ context }) => context.error,
        dataObjectReady: ({ context }) => context.dataObjectReady,
        /* time_after(jiffies, doe->timeout_jiffies) */
        timedOut: ({ context }) => timeAfter(context.timeout),
        headerMatches: ({ context }) => context.response !== null && context.response !== 'bad',
        lengthAccepted: ({ context }) => lengthRead(context) !== null,
        nothingToRead: ({ context }) => {
          const n = lengthRead(context);
          return n !== null && n.store === 0 && n.flush === 0;
        },
        storesOnly: ({ context }) => context.toStore !== 0,
        lastStore: ({ context }) => context.toStore === 1 && context.toFlush === 0,
        /* The flush loop's count: one dword, or 2^18-ish abstracted as `many`, whose last
         * iteration the event names. */
        lastFlush: ({ context, event }) =>
          event.type === 'work_recv_flush' && event.last && context.toFlush !== 0,
        moreFlush: ({ context, event }) =>
          event.type === 'work_recv_flush' && !event.last && context.toFlush === 'many',
        finalError: ({ context }) => context.error && !has(VARIANTS.noFinalErrorCheck),
        succeeded: ({ context }) => context.rc >= 0,
        waitAbort: ({ context }) => context.doeState === 'DOE_WAIT_ABORT',
        abortFinished: ({ context }) =>
          !context.error && (!context.busy || has(VARIANTS.abortDoneIgnoresBusy)),
        dead: ({ context }) => context.dead,
        taskTaken: ({ context }) => context.curTask !== null,
        abortDone: ({ context }) => context.abortDone > 0,
        handlerIdle: ({ context }) => !context.handlerRunning,
        workIdle: ({ context }) => !context.workRunning,
        canTick: ({ context }) =>
          canTick({
            deadlines: [context.timeout, context.workTimer],
            dues: [context.workDue, context.irqDue],
            urgent:
              (irqLatency === 0 && (context.irqPending || context.handlerRunning)) ||
              (workLatency === 0 && (runnable(context) || context.workRunning)),
          }),
        irqPending: ({ context }) => context.irqPending,
        intStatus: ({ context }) => context.intStatus,
      },
      actions: {
        emitAbortWritten: emit({ type: 'abort_written' as const }),
        emitRequestWritten: emit(({ context }) => ({
          type: 'request_written' as const,
          task: context.task ?? -1,
        })),
        emitDead: emit({ type: 'mailbox_dead' as const }),
        irqHandled: emit({ type: 'irq_return' as const, value: 'IRQ_HANDLED' as const }),
        irqNone: emit({ type: 'irq_return' as const, value: 'IRQ_NONE' as const }),
      },
    });

    /* The shapes createMachine() expects, so that helpers are checked against this setup. */
    type Config = Parameters<typeof doe.createMachine>[0];
    type On<K extends DoeEvent['type']> = NonNullable<NonNullable<Config['on']>[K]>;
    type TransitionOf<K extends DoeEvent['type']> = Exclude<On<K>, string | readonly unknown[]>;
    type States = NonNullable<Config['states']>;
    type ChildStates = NonNullable<States[string]['states']>;
    type Eventless = Exclude<NonNullable<Config['always']>, string | readonly unknown[]>;

    /** Guard and action arguments, typed for helpers that build transitions for several events. */
    type Args = { context: DoeContext; event: DoeEvent };

    /** One assign that applies `updates` in order. */
    const apply = (...updates: Update[]) => doe.assign(({ context }) => seq(...updates)(context));

    /* ---- doe_statemachine_work(), one state per step ---- */

    const W = (state: string) => `#pciDoe.work.${state}`;

    /** Where err_abort / err_busy / the success path hand the task back: task->rv, task->cb. */
    const toCallback = (rc: number) => () => ({ rc });

    function workStates(): ChildStates {
      const rvAfter = has(VARIANTS.rvAfterCallback);
      /* `if (time_after(...)) { rc = -ETIMEDOUT; goto err_abort; }` or the variant's err_busy */
      const timeout: TransitionOf<'work_resp_status'> = has(VARIANTS.timeoutSkipsAbort)
        ? {
            meta: at('350-354'),
            target: W('CALLBACK'),
            actions: apply(() => ({ doeState: 'DOE_IDLE', timeout: null }), toCallback(ETIMEDOUT)),
          }
        : { meta: at('350-354'), target: W('ERR_ABORT'), actions: apply(toCallback(ETIMEDOUT)) };
      const deadlineChecks: TransitionOf<'work_resp_status'>[] = has(VARIANTS.noDeadlineInWaitResp)
        ? []
        : has(VARIANTS.deadlineBeforeReady)
          ? [{ guard: 'timedOut', ...timeout }]
          : [{ guard: and([not('dataObjectReady'), 'timedOut']), ...timeout }];
      return {
        NOT_RUNNING: {
          on: {
            /* 286-290: mutex_lock; task = cur_task; abort = doe->abort; doe->abort = false;
             * mutex_unlock; then the branch the locals choose. The workqueue clears PENDING
             * before it calls the function. */
            work_start: [
              {
                guard: and(['runnable', 'abortRequested']),
                meta: at('286-292'),
                target: 'ABORT_START',
                actions: apply(startRun, () => ({ abort: false })),
              },
              {
                guard: and(['runnable', 'idle', 'noTask']),
                meta: at('286-290,304-307'),
                actions: apply(startRun, workReturns),
              },
              {
                guard: and(['runnable', 'idle']),
                meta: at('286-290,304-305'),
                target: 'SEND',
                actions: apply(startRun),
              },
              {
                guard: and(['runnable', 'waitResp']),
                meta: at('286-290,304,342-343'),
                target: 'RESP_STATUS',
                actions: apply(startRun),
              },
              {
                guard: 'runnable',
                meta: at('286-290,304,377-378'),
                target: 'ABORT_STATUS',
                actions: apply(startRun),
              },
            ],
          },
        },
        /* 298-301: WARN_ON(task); doe->state = DOE_WAIT_ABORT; pci_doe_abort_start(); return */
        ABORT_START: {
          on: {
            work_abort_start: {
              meta: at('298-301'),
              target: 'NOT_RUNNING',
              actions: [
                apply(() => ({ doeState: 'DOE_WAIT_ABORT' }), ...abortStart, workReturns),
                'emitAbortWritten',
              ],
            },
          },
        },
        /* 310-340: pci_doe_send_req(): STATUS read; -EBUSY, -EIO, or the object and GO. */
        SEND: {
          on: {
            work_send: [
              {
                guard: and(['busy', 'retriesLeft']),
                meta: at('310-328'),
                target: 'NOT_RUNNING',
                actions: apply(
                  (c) =>
                    counted
                      ? { busyRetries: c.busyRetries + 1 }
                      : { busyTimeout: c.busyTimeout ?? arm(hz) },
                  (c) => schedule(c, busyDelay),
                  workReturns,
                ),
              },
              /* "Long enough, fail this request": busy_retries = 0; goto err_busy */
              {
                guard: 'busy',
                meta: at('318-324'),
                target: 'CALLBACK',
                actions: apply(forgetBusy, toCallback(EBUSY)),
              },
              /* As written the -EIO goto err_abort skips busy_retries = 0 (331). */
              {
                guard: 'error',
                meta: {
                  ...at('310,329-330'),
                  lint: {
                    'guard-never-true':
                      'DOE Error is set at a send only when another user leaves it (otherUser = 2, deep bounds): an abort clears the errors of our own exchanges before the next send',
                  },
                },
                target: 'ERR_ABORT',
                actions: apply((c) => (counted ? {} : forgetBusy(c)), toCallback(EIO)),
              },
              {
                meta: at('310,331-340'),
                target: 'NOT_RUNNING',
                actions: [
                  'emitRequestWritten',
                  apply(
                    (c) => writeCtrl(c, 'GO'),
                    forgetBusy,
                    () => ({ doeState: 'DOE_WAIT_RESP', timeout: arm(hz) }),
                    (c) => schedule(c, c.irq ? hz : pollDelay),
                    workReturns,
                  ),
                ],
              },
            ],
          },
        },
        /* 343-358: STATUS read: ERROR, then Data Object Ready, then the deadline. */
        RESP_STATUS: {
          on: {
            work_resp_status: [
              {
                guard: 'error',
                meta: at('344-348'),
                target: 'ERR_ABORT',
                actions: apply(toCallback(EIO)),
              },
              ...deadlineChecks,
              {
                guard: not('dataObjectReady'),
                meta: at('350-357'),
                target: 'NOT_RUNNING',
                actions: apply((c) => schedule(c, pollDelay), workReturns),
              },
              { meta: at('360'), target: 'RECV_HEADER' },
            ],
          },
        },
        /* pci_doe_recv_resp(): the header dword (vid, type) and its advance. */
        RECV_HEADER: {
          on: {
            work_recv_header: [
              {
                guard: 'headerMatches',
                meta: at('360'),
                target: 'RECV_LENGTH',
                actions: apply(advance(false)),
              },
              { meta: at('360-362'), target: 'ERR_ABORT', actions: apply(toCallback(EIO)) },
            ],
          },
        },
        /* The Length dword and its advance; then `if (length > SZ_1M || length < 2)`. */
        RECV_LENGTH: {
          on: {
            work_recv_length: [
              /* max-length-rejected only: the default model reads Length 0 as 2^18 DW */
              ...(has(VARIANTS.maxLengthRejected)
                ? [
                    {
                      guard: not('lengthAccepted'),
                      meta: at('360-362'),
                      target: 'ERR_ABORT' as const,
                      actions: apply(advance(false), toCallback(EIO)),
                    },
                  ]
                : []),
              {
                guard: 'nothingToRead',
                meta: {
                  ...at('360'),
                  lint: { 'guard-never-true': 'a short response (Length 2) needs lengths >= 2' },
                },
                target: 'RECV_STATUS',
                actions: apply(advance(true)),
              },
              {
                meta: at('360'),
                target: 'RECV_PAYLOAD',
                actions: apply(advance(false), (c) => {
                  const n = lengthRead(c)!;
                  return { toStore: n.store, toFlush: n.flush };
                }),
              },
            ],
          },
        },
        /* ex->response_pl[i] = READ; advance (i < min(length, response_pl_sz / 4)) */
        RECV_PAYLOAD: {
          on: {
            work_recv_payload: [
              {
                guard: 'lastStore',
                meta: { ...at('360'), lint: { 'guard-never-false': LONG_ONLY } },
                target: 'RECV_STATUS',
                actions: apply(advance(true), storeOne),
              },
              {
                guard: ({ context }) => context.toStore === 1,
                meta: at('360'),
                target: 'RECV_FLUSH',
                actions: apply(advance(false), storeOne),
              },
              /* recv-no-clamp only: more payload dwords than the buffer holds */
              { meta: at('360'), actions: apply(advance(false), storeOne) },
            ],
          },
        },
        /* "Flush excess length" */
        RECV_FLUSH: {
          meta: { lint: { 'state-never-entered': LONG_ONLY } },
          on: {
            work_recv_flush: [
              {
                guard: 'lastFlush',
                meta: at('360'),
                target: 'RECV_STATUS',
                actions: apply(advance(true), () => ({ toFlush: 0 })),
              },
              {
                guard: 'moreFlush',
                meta: at('360'),
                actions: apply(advance(false), (c) => ({ toFlush: dec(c.toFlush) })),
              },
            ],
          },
        },
        /* "Final error check", then 364-368: state = IDLE; lock; cur_task = NULL; unlock */
        RECV_STATUS: {
          on: {
            work_recv_status: [
              {
                guard: 'finalError',
                meta: at('360-362'),
                target: 'ERR_ABORT',
                actions: apply(toCallback(EIO)),
              },
              {
                meta: at('360,364-368'),
                target: 'DONE_WAKE',
                actions: apply(
                  (c) => ({ rc: 4 * c.stored, doeState: 'DOE_IDLE', timeout: null }),
                  clearCurTask,
                ),
              },
            ],
          },
        },
        /* 369: wake_up_interruptible(&doe->wq) */
        DONE_WAKE: {
          on: {
            work_done_wake: {
              meta: at('369'),
              target: 'CALLBACK',
              actions: has(VARIANTS.noWakeOnResponse) ? [] : apply(wakeQueue),
            },
          },
        },
        /* 372-373 / 418-419: task->rv = rc; task->cb(task->private), i.e. complete(&c).
         * The success path returns after it; err_abort / err_busy go on. */
        CALLBACK: {
          on: {
            work_callback: [
              ...(rvAfter
                ? [
                    {
                      meta: at('371-373'),
                      target: 'RV_WRITE' as const,
                      actions: [emitCallback(false), apply(completeTask(false))],
                    },
                  ]
                : []),
              {
                guard: 'succeeded',
                meta: at('371-375'),
                target: 'NOT_RUNNING',
                actions: [emitCallback(true), apply(completeTask(true), workReturns)],
              },
              {
                meta: at('417-419'),
                target: 'AFTER_CB',
                actions: [emitCallback(true), apply(completeTask(true))],
              },
            ],
          },
        },
        /* rv-after-callback only: task->rv = rc after the completion. */
        RV_WRITE: {
          meta: {
            lint: { 'state-never-entered': 'entered only by the rv-after-callback variant' },
          },
          on: {
            work_rv_write: [
              {
                guard: 'succeeded',
                meta: at('372'),
                target: 'NOT_RUNNING',
                actions: apply(writeRv, workReturns),
              },
              { meta: at('418'), target: 'AFTER_CB', actions: apply(writeRv) },
            ],
          },
        },
        /* 420-426: if (doe->state == DOE_IDLE) { lock; cur_task = NULL; unlock; wake } */
        AFTER_CB: {
          on: {
            work_after_cb: [
              {
                guard: and(['idle', () => !has(VARIANTS.errBusyKeepsCurTask)]),
                meta: at('420-424'),
                target: 'AFTER_CB_WAKE',
                actions: apply(clearCurTask),
              },
              { meta: at('420-421,427'), target: 'NOT_RUNNING', actions: apply(workReturns) },
            ],
          },
        },
        AFTER_CB_WAKE: {
          on: {
            work_after_cb_wake: {
              meta: at('425-427'),
              target: 'NOT_RUNNING',
              actions: apply(wakeQueue, workReturns),
            },
          },
        },
        /* 414-416: err_abort: doe->state = DOE_WAIT_ABORT_ON_ERR; pci_doe_abort_start() */
        ERR_ABORT: {
          on: {
            work_err_abort: {
              meta: at('414-416'),
              target: 'CALLBACK',
              actions: [
                apply(() => ({ doeState: 'DOE_WAIT_ABORT_ON_ERR' }), ...abortStart),
                'emitAbortWritten',
              ],
            },
          },
        },
        /* 377-411: STATUS read; done: lock; cur_task = NULL; unlock; timed out: lock;
         * dead = true; cur_task = NULL; unlock; else return (the fix: poll again). */
        ABORT_STATUS: {
          on: {
            work_abort_status: [
              {
                guard: 'abortFinished',
                meta: at('379-386'),
                target: 'ABORT_WAKE',
                actions: apply(clearCurTask),
              },
              {
                guard: 'timedOut',
                meta: at('399-405'),
                target: 'DEAD_WAKE',
                actions: ['emitDead', apply(() => ({ dead: true }), clearCurTask)],
              },
              {
                meta: at('399,410-411'),
                target: 'NOT_RUNNING',
                actions: apply(
                  (c) => (has(VARIANTS.waitAbortNoReschedule) ? {} : schedule(c, pollDelay)),
                  workReturns,
                ),
              },
            ],
          },
        },
        /* 387-396: wake_up_interruptible(); then complete(&abort_c) for the init abort;
         * doe->state = DOE_IDLE. */
        ABORT_WAKE: {
          on: {
            work_abort_wake: [
              {
                guard: 'waitAbort',
                meta: at('387'),
                target: 'ABORT_COMPLETE',
                actions: apply(wakeQueue),
              },
              {
                meta: at('387-397'),
                target: 'NOT_RUNNING',
                actions: apply(
                  wakeQueue,
                  () => ({ doeState: 'DOE_IDLE', timeout: null }),
                  workReturns,
                ),
              },
            ],
          },
        },
        ABORT_COMPLETE: {
          on: {
            work_abort_complete: {
              meta: at('393-397'),
              target: 'NOT_RUNNING',
              actions: apply(
                (c) => ({
                  abortDone: Math.min(ABORT_DONE_MAX, c.abortDone + 1),
                  doeState: 'DOE_IDLE',
                  timeout: null,
                }),
                workReturns,
              ),
            },
          },
        },
        /* 406-409: wake_up_interruptible(); complete(&abort_c) for the init abort; return */
        DEAD_WAKE: {
          on: {
            work_dead_wake: [
              {
                guard: 'waitAbort',
                meta: at('406'),
                target: 'DEAD_COMPLETE',
                actions: apply(wakeQueue),
              },
              {
                meta: at('406-411'),
                target: 'NOT_RUNNING',
                actions: apply(wakeQueue, workReturns),
              },
            ],
          },
        },
        DEAD_COMPLETE: {
          on: {
            work_dead_complete: {
              meta: at('408-411'),
              target: 'NOT_RUNNING',
              actions: apply(
                (c) => ({ abortDone: Math.min(ABORT_DONE_MAX, c.abortDone + 1) }),
                workReturns,
              ),
            },
          },
        },
      };
    }

    /** The workqueue takes the work: PENDING cleared, the function starts (its lock section). */
    function startRun(c: DoeContext): Partial<DoeContext> {
      return {
        workQueued: false,
        workTimer: null,
        workRunning: true,
        task: c.curTask,
      };
    }

    /** ex->response_pl[stored] = dword; the index saturates at 2 (one past the buffer). */
    function storeOne(c: DoeContext): Partial<DoeContext> {
      return { stored: Math.min(2, c.stored + 1), toStore: dec(c.toStore) };
    }

    /** task->cb(task->private): the caller's completion fires (rv written first, or not). */
    /** A task whose caller is still inside pci_doe_exchange_sync(); any other is a dead frame. */
    const alive = (c: DoeContext, t: number) =>
      c.callers[t] === 'waiting' || c.callers[t] === 'completed';

    function completeTask(withRv: boolean): Update {
      return (c) => {
        const t = c.task ?? -1;
        if (!alive(c, t)) return {};
        return {
          callers: setCaller(c, t, 'completed'),
          ...(withRv ? { rv: c.rv.map((v, i) => (i === t ? c.rc : v)) } : {}),
        };
      };
    }

    /** task->rv = rc: into the frame the work completed; a frame that returned is gone. */
    function writeRv(c: DoeContext): Partial<DoeContext> {
      const t = c.task ?? -1;
      return c.callers[t] === 'completed' ? { rv: c.rv.map((v, i) => (i === t ? c.rc : v)) } : {};
    }

    /** What the completion carries: the task's rv when cb() runs. */
    function emitCallback(withRv: boolean) {
      return doe.emit(({ context }) => {
        const t = context.task ?? -1;
        return {
          type: 'callback' as const,
          task: t,
          rc: withRv ? context.rc : (context.rv[t] ?? null),
        };
      });
    }

    /* ---- pci_doe_exchange_sync() ---- */

    /** `again:` lock; cur_task? unlock, wait / dead? -EIO / cur_task = &task; schedule(0). */
    function againSection<K extends 'call' | 'wake_recheck'>(
      inState: (c: DoeContext, e: DoeEvent) => boolean,
      lint: { taken?: LintAllow; submit?: LintAllow } = {},
    ): TransitionOf<K>[] {
      const deadCheck = has(VARIANTS.noDeadCheck)
        ? []
        : [
            {
              guard: ({ context, event }: Args) =>
                inState(context, event) && context.dead && context.curTask === null,
              meta: at('469,476-478'),
              actions: [
                returnWith(() => EIO),
                doe.assign(({ context, event }: Args) => leave(context, who(event))),
              ],
            },
          ];
      return [
        {
          guard: ({ context, event }: Args) => inState(context, event) && context.curTask !== null,
          meta: { ...at('469-471'), lint: lint.taken },
          actions: doe.assign(({ context, event }: Args) => ({
            callers: setCaller(context, who(event), 'checking'),
          })),
        },
        ...deadCheck,
        {
          guard: ({ context, event }: Args) => inState(context, event),
          meta: { ...at('469,480-484'), lint: lint.submit },
          actions: [
            doe.emit(({ event }: Args) => ({ type: 'task_submitted' as const, task: who(event) })),
            doe.assign(({ context, event }: Args) =>
              seq(
                (c) => ({ curTask: who(event), callers: setCaller(c, who(event), 'waiting') }),
                (c) => schedule(c, 0),
              )(context),
            ),
          ],
        },
      ] as unknown as TransitionOf<K>[];
    }

    function returnWith(rc: (c: DoeContext, e: DoeEvent) => number | null) {
      return doe.emit(({ context, event }) => ({
        type: 'exchange_return' as const,
        caller: who(event),
        rc: rc(context, event),
      }));
    }

    /** The caller has returned from pci_doe_exchange_sync(): its frame is gone. */
    function leave(c: DoeContext, i: number): Partial<DoeContext> {
      return {
        callers: setCaller(c, i, 'idle'),
        rv: c.rv.map((v, j) => (j === i ? null : v)),
        signalled: c.signalled.map((s, j) => (j === i ? false : s)),
      };
    }

    const callerIs =
      (...states: CallerState[]) =>
      (c: DoeContext, e: DoeEvent) =>
        states.includes(c.callers[who(e)]);

    /** A user (not probe's frame) may enter: probe returned 0 and removal has not begun. */
    const userCalls = (c: DoeContext, e: DoeEvent) =>
      e.type === 'call' && who(e) > 0 && c.ready && c.callers[who(e)] === 'idle';
    const userWhole = (c: DoeContext, e: DoeEvent) =>
      userCalls(c, e) && e.type === 'call' && e.wholeDwords;

    /** What caller 0 (probe) gets back from pci_doe_exchange_sync() in this step, if anything. */
    function probeFrameReturns(c: DoeContext, e: DoeEvent): number | null | undefined {
      if (who(e) !== 0) return undefined;
      const frame = c.callers[0];
      if (e.type === 'caller_return' && frame === 'completed') return c.rv[0];
      const again =
        (e.type === 'call' && frame === 'idle') || (e.type === 'wake_recheck' && frame === 'woken');
      if (again && c.dead && c.curTask === null && !has(VARIANTS.noDeadCheck)) return EIO;
      if (e.type === 'wait_check' && frame === 'checking' && c.curTask !== null && c.signalled[0]) {
        return has(VARIANTS.ignoreWaitReturn) ? undefined : ERESTARTSYS;
      }
      return undefined;
    }

    const machine = doe.createMachine({
      id: 'pciDoe',
      type: 'parallel',
      meta: {
        lint: {
          'field-never-changes': {
            'context.cmd':
              "a register write the driver's step posts and the device's eventless transitions take in the same macrostep: null between steps",
            'context.goTask':
              'posted with cmd (whose request the GO write carries) and taken with it in the same macrostep',
            'context.busyRetries':
              "the seed's attempt counter: the default model (the fix) gives up by a deadline and keeps it at 0; busy-retries-counted counts with it",
            'context.workDue':
              'a workqueue latency obligation: null while workDelay = 0 (the work runs before the next tick); workDelay = 1 at the deep bounds',
            'context.irqDue':
              'an interrupt latency obligation: null while irqDelay = 0 (the handler runs before the next tick); irqDelay = 1 at the deep bounds',
            'context.toFlush': LONG_ONLY,
            'context.signalled[]': 'a pending signal: signals = 1 at the deep bounds',
            'context.busyClearIrq':
              'the device chosen at probe: busyClearIrq = 1 (the ECN) by default; 2 at the deep bounds lets probe choose a device whose BUSY clearing does not interrupt',
          },
        },
      },
      context: {
        doeState: 'DOE_IDLE',
        curTask: null,
        abort: false,
        dead: false,
        busyRetries: 0,
        busyTimeout: null,
        irq: false,
        timeout: null,
        abortDone: 0,
        workTimer: null,
        workQueued: false,
        workRunning: false,
        workDue: null,
        canceling: false,
        task: null,
        rc: 0,
        toStore: 0,
        toFlush: 0,
        stored: 0,
        probed: false,
        ready: false,
        discovered: 0,
        discovering: false,
        freed: false,
        irqLine: false,
        callers: Array.from({ length: users + 1 }, () => 'idle' as CallerState),
        rv: Array.from({ length: users + 1 }, () => null),
        signalled: Array.from({ length: users + 1 }, () => false),
        irqPending: false,
        handlerRunning: false,
        irqDue: null,
        busy: false,
        dataObjectReady: false,
        error: false,
        intStatus: bounds.dirtyStart === 1,
        intEnable: false,
        busyClearIrq: bounds.busyClearIrq === 1,
        cmd: null,
        goTask: null,
        response: null,
        ghostRequestOf: null,
      },
      states: {
        probe: { initial: 'PROBE', states: probeStates() },
        work: { initial: 'NOT_RUNNING', states: workStates() },
        callers: { on: callerTransitions() },
        irq: { initial: 'IRQ_IDLE', states: irqHandlerStates() },
        device: { initial: 'DEV_IDLE', states: deviceStates() },
        clock: {
          on: {
            tick: {
              guard: 'canTick',
              meta: at('334,352,399'),
              actions: doe.assign(({ context }) => {
                const workTimer = elapse(context.workTimer);
                const fires = !timerDue(context.workTimer) && timerDue(workTimer);
                const startsOwing = fires && !context.workRunning && !context.workQueued;
                return {
                  timeout: elapse(context.timeout),
                  busyTimeout: elapse(context.busyTimeout),
                  workTimer,
                  workDue: startsOwing ? due(workLatency) : elapseDue(context.workDue),
                  irqDue: elapseDue(context.irqDue),
                };
              }),
            },
          },
        },
      },
    });

    /* ---- pci_doe_probe() and pci_doe_remove() ---- */

    function probeStates(): ChildStates {
      const cancelFirst = has(VARIANTS.removeCancelBeforeFreeIrq);
      const probeCancels = !has(VARIANTS.probeErrorNoCancel);
      /* Where the probe frame goes when pci_doe_exchange_sync() returns rc to
       * pci_doe_discovery() (ret != sizeof(response_pl) is -EIO) and the loop goes on. */
      const discovery =
        (rc: (r: number | null) => boolean) =>
        ({ context, event }: Args) => {
          const r = probeFrameReturns(context, event);
          return r !== undefined && rc(r);
        };
      const failed = (r: number | null) => r !== 4;
      const more = (c: DoeContext) => c.discovered + 1 < bounds.protocols;
      const onReturn = [
        /* rc < 0, or ret != sizeof(response_pl): kfree(prots); pci_doe_unregister() */
        {
          guard: discovery(failed),
          meta: at('484-486,586-588'),
          target: 'UNREGISTER',
          actions: doe.assign({ discovering: false }),
        },
        {
          guard: ({ context, event }: Args) =>
            discovery((r) => r === 4)({ context, event }) && more(context),
          meta: {
            ...at('484-486,586'),
            lint: { 'guard-never-true': 'a second protocol needs protocols >= 2 (deep)' },
          },
          actions: doe.assign(({ context }: Args) => ({ discovered: context.discovered + 1 })),
        },
        /* the last protocol: pci_doe_probe() returns 0 */
        {
          guard: discovery((r) => r === 4),
          meta: {
            ...at('484-486,586,596'),
            lint: {
              'guard-never-false':
                "no user is inside pci_doe_exchange_sync() during probe, so every caller_return here is probe's own frame's; the guard keeps it so",
            },
          },
          target: 'READY',
          actions: doe.assign(({ context }) => ({
            discovered: context.discovered + 1,
            discovering: false,
            ready: true,
          })),
        },
      ];
      return {
        /* 568-582, pci_doe_register(): reg_irq (request_irq, CTRL <- INT_EN), then
         * pci_doe_abort(): reinit_completion; abort = true; schedule_delayed_work(0); sleep. */
        PROBE: {
          on: {
            probe: [
              {
                guard: ({ event }) =>
                  event.type === 'probe' &&
                  event.mode === 'irq-setup-fails' &&
                  modeAllowed('irq', event),
                meta: at('582-584,598-600'),
                target: 'FAILED',
                actions: doe.assign({ freed: true, probed: true }),
              },
              {
                guard: ({ event }) =>
                  event.type === 'probe' && event.mode === 'irq' && modeAllowed('irq', event),
                meta: at('568-582'),
                target: 'ABORT_WAIT',
                actions: doe.assign(({ context, event }) =>
                  seq(
                    () => ({
                      probed: true,
                      irq: true,
                      irqLine: true,
                      busyClearIrq: busyIrqOf(event),
                    }),
                    (c) => ({ intEnable: true, ...(c.intStatus ? msi(c) : {}) }),
                    () => ({ abort: true, abortDone: 0 }),
                    (c) => schedule(c, 0),
                  )(context),
                ),
              },
              {
                guard: ({ event }) =>
                  event.type === 'probe' && event.mode === 'poll' && modeAllowed('poll', event),
                meta: at('568-582'),
                target: 'ABORT_WAIT',
                actions: doe.assign(({ context, event }) =>
                  seq(
                    () => ({ probed: true, intStatus: false, busyClearIrq: busyIrqOf(event) }),
                    () => ({ abort: true, abortDone: 0 }),
                    (c) => schedule(c, 0),
                  )(context),
                ),
              },
            ],
          },
        },
        /* wait_for_completion(&doe->abort_c); if (doe->dead) return -EIO, else get_device()
         * and pci_doe_cache_protocols() starts: kzalloc(prots), the first discovery. */
        ABORT_WAIT: {
          on: {
            probe_resume: [
              {
                guard: and(['abortDone', 'dead']),
                meta: at('582-584'),
                target: 'UNREGISTER',
                actions: doe.assign(({ context }) => ({ abortDone: context.abortDone - 1 })),
              },
              {
                guard: 'abortDone',
                meta: at('582,586'),
                target: 'DISCOVER',
                actions: doe.assign(({ context }) => ({
                  abortDone: context.abortDone - 1,
                  discovering: true,
                })),
              },
            ],
          },
        },
        /* pci_doe_discovery(): pci_doe_exchange_sync() as caller 0, until it returns. It
         * returns only at caller_return: it is the only caller during probe, so it never
         * finds the mailbox taken (no wait, no signal) and never finds it dead (the exchange
         * that kills it fails, and probe stops at that failure). */
        DISCOVER: {
          on: {
            caller_return: onReturn as unknown as TransitionOf<'caller_return'>[],
          },
        },
        /* err_free_irq (583) or pci_doe_unregister() (588): free_irq() waits for a running
         * handler; kfree(irq_name), put_device(). */
        UNREGISTER: {
          on: {
            probe_free_irq: {
              guard: 'handlerIdle',
              meta: at('524-527,538-542'),
              target: probeCancels ? 'CANCEL' : 'KFREE',
              actions: apply(freeIrq),
            },
          },
        },
        /* The fix: cancel_delayed_work_sync(&doe->statemachine) before 599's kfree(doe). */
        CANCEL: {
          on: {
            probe_cancel: [
              {
                guard: 'workIdle',
                meta: at('598-599'),
                target: 'KFREE',
                actions: apply(cancelPending),
              },
              { meta: at('598-599'), target: 'CANCEL_WAIT', actions: apply(cancelPending) },
            ],
          },
        },
        CANCEL_WAIT: {
          on: {
            probe_cancel_done: {
              guard: 'workIdle',
              meta: at('598-599'),
              target: 'KFREE',
              actions: doe.assign({ canceling: false }),
            },
          },
        },
        /* 598-599: err_free: kfree(doe) */
        KFREE: {
          on: {
            probe_kfree: {
              meta: at('598-600'),
              target: 'FAILED',
              actions: doe.assign({ freed: true }),
            },
          },
        },
        FAILED: {},
        /* Users may call; orderly removal once none is inside pci_doe_exchange_sync(). */
        READY: {
          on: cancelFirst
            ? {
                remove_cancel: {
                  guard: ({ context }) => usersOut(context),
                  meta: at('603-608'),
                  target: 'REMOVE_FREE_IRQ',
                  actions: apply((c) => ({ ready: false, ...cancelPending(c) })),
                },
              }
            : {
                remove_free_irq: {
                  guard: ({ context }) => usersOut(context) && !context.handlerRunning,
                  meta: at('603-605,614,538-540'),
                  target: 'REMOVE_CANCEL',
                  actions: apply((c) => ({ ready: false, ...freeIrq(c) })),
                },
              },
        },
        /* 608: cancel_delayed_work_sync(): waits for the running work */
        REMOVE_CANCEL_WAIT: {
          meta: { lint: { 'state-never-entered': REMOVE_NEVER_WAITS } },
          on: {
            remove_cancel_done: {
              guard: 'workIdle',
              meta: at('608'),
              target: cancelFirst ? 'REMOVE_FREE_IRQ' : 'REMOVE_KFREE',
              actions: doe.assign({ canceling: false }),
            },
          },
        },
        /* the fix: after free_irq(), cancel */
        REMOVE_CANCEL: {
          on: {
            remove_cancel: [
              {
                guard: 'workIdle',
                meta: { ...at('608'), lint: { 'guard-never-false': REMOVE_NEVER_WAITS } },
                target: 'REMOVE_KFREE',
                actions: apply(cancelPending),
              },
              { meta: at('608'), target: 'REMOVE_CANCEL_WAIT', actions: apply(cancelPending) },
            ],
          },
        },
        /* 609, 614: kfree(prots); pci_doe_unregister(): free_irq, kfree(irq_name), put_device */
        REMOVE_FREE_IRQ: {
          meta: {
            lint: {
              'state-never-entered':
                'the order of the seed as written (remove-cancel-before-free-irq): the default model frees the IRQ first',
            },
          },
          on: {
            remove_free_irq: {
              guard: 'handlerIdle',
              meta: at('609,614,538-542'),
              target: 'REMOVE_KFREE',
              actions: apply(freeIrq),
            },
          },
        },
        /* 615: kfree(doe) */
        REMOVE_KFREE: {
          on: {
            remove_kfree: {
              meta: at('615-616'),
              target: 'REMOVED',
              actions: doe.assign({ freed: true }),
            },
          },
        },
        REMOVED: {},
      };
    }

    /** Orderly removal: no user inside pci_doe_exchange_sync() and the state machine at rest
     * (DOE_IDLE, no task, not running); its work may still be queued. */
    function usersOut(c: DoeContext): boolean {
      return (
        c.callers.every((s, i) => i === 0 || s === 'idle') &&
        c.doeState === 'DOE_IDLE' &&
        c.curTask === null &&
        !c.workRunning
      );
    }

    /** free_irq(): no handler runs after it, and no MSI reaches the driver. */
    function freeIrq(c: DoeContext): Partial<DoeContext> {
      return c.irqLine ? { irqLine: false, irqPending: false, irqDue: null } : {};
    }

    function modeAllowed(mode: 'irq' | 'poll', event: DoeEvent): boolean {
      const modes = bounds.modes;
      const modeOk = modes === 2 || (modes === 1) === (mode === 'irq');
      const irqChoice = event.type === 'probe' ? event.busyClearIrq : false;
      const busyOk = bounds.busyClearIrq === 2 || irqChoice === (bounds.busyClearIrq === 1);
      return modeOk && busyOk;
    }

    function busyIrqOf(event: DoeEvent): boolean {
      return event.type === 'probe' && event.busyClearIrq;
    }

    /* ---- the callers' steps (probe's frame included) ---- */

    function callerTransitions(): NonNullable<Config['on']> {
      /* Probe's frame calls while pci_doe_cache_protocols() loops; users once probe is done. */
      const mayCall = (c: DoeContext, e: DoeEvent) =>
        e.type === 'call' &&
        c.callers[who(e)] === 'idle' &&
        (who(e) === 0 ? c.discovering : c.ready && e.wholeDwords);
      return {
        call: [
          /* 448-450: DOE requests must be a whole number of DW */
          {
            guard: ({ context, event }) => userCalls(context, event) && !userWhole(context, event),
            meta: at('448-450'),
            actions: returnWith(() => EINVAL),
          },
          ...againSection<'call'>(mayCall),
        ],
        /* wait_event_interruptible(doe->wq, doe->cur_task == NULL) */
        wait_check: [
          {
            guard: ({ context, event }) =>
              callerIs('checking')(context, event) && context.curTask === null,
            meta: at('472-473'),
            actions: doe.assign(({ context, event }) => ({
              callers: setCaller(context, who(event), 'woken'),
            })),
          },
          ...(bounds.signals !== 1
            ? []
            : [
                {
                  guard: ({ context, event }: Args) =>
                    callerIs('checking')(context, event) && context.signalled[who(event)],
                  meta: at('472-473'),
                  actions: has(VARIANTS.ignoreWaitReturn)
                    ? doe.assign(({ context, event }: Args) => ({
                        callers: setCaller(context, who(event), 'woken'),
                      }))
                    : [
                        returnWith(() => ERESTARTSYS),
                        doe.assign(({ context, event }) => leave(context, who(event))),
                      ],
                },
              ]),
          {
            guard: ({ context, event }) => callerIs('checking')(context, event),
            meta: { ...at('472'), lint: { 'guard-never-false': OFFERED_ONLY } },
            actions: doe.assign(({ context, event }) => ({
              callers: setCaller(context, who(event), 'asleep'),
            })),
          },
        ],
        wake_recheck: againSection<'wake_recheck'>(callerIs('woken'), {
          taken: {
            'guard-never-true':
              'another user taking the mailbox between the wake-up and the lock needs two users (callers >= 2, as the no-wake-on-response and timeout-skips-abort variants run)',
          },
          submit: { 'guard-never-false': OFFERED_ONLY },
        }),
        /* A signal wakes an interruptible sleeper, which tests its condition again. */
        ...signalTransition(),
        /* 484-486: wait_for_completion(&c) has returned; return task.rv */
        caller_return: {
          guard: ({ context, event }) => callerIs('completed')(context, event),
          meta: { ...at('484-486'), lint: { 'guard-never-false': OFFERED_ONLY } },
          actions: [
            returnWith((c, e) => c.rv[who(e)] ?? null),
            doe.assign(({ context, event }) => leave(context, who(event))),
          ],
        },
      };
    }

    /** A signal (bound `signals`): wait_event_interruptible()'s loop tests again. */
    function signalTransition(): NonNullable<Config['on']> {
      if (bounds.signals !== 1) return {};
      return {
        signal: {
          guard: ({ context, event }) =>
            callerIs('checking', 'asleep', 'woken')(context, event) &&
            !context.signalled[who(event)],
          meta: at('472'),
          actions: doe.assign(({ context, event }) => ({
            signalled: context.signalled.map((s, i) => (i === who(event) ? true : s)),
            /* wait_event_interruptible()'s loop runs again: the condition, then the signal */
            callers: context.callers.map((s, i) =>
              i === who(event) && s === 'asleep' ? 'checking' : s,
            ),
          })),
        },
      };
    }

    /* ---- pci_doe_irq() ---- */

    function irqHandlerStates(): ChildStates {
      const review = has(VARIANTS.reviewIrqHandler);
      const enter = doe.assign({ irqPending: false, handlerRunning: true });
      const leaveNow = doe.assign({ irqPending: false, handlerRunning: false, irqDue: null });
      const read: TransitionOf<'irq_read_status'>[] = review
        ? [
            {
              guard: and(['irqPending', 'error']),
              meta: at('203,221-222,251-252'),
              target: 'IRQ_SCHEDULE',
              actions: enter,
            },
            {
              guard: and(['irqPending', 'intStatus']),
              meta: at('203-204'),
              target: 'IRQ_CLEAR',
              actions: enter,
            },
            { guard: 'irqPending', meta: at('245,256'), actions: [leaveNow, 'irqNone'] },
          ]
        : [
            {
              guard: and(['irqPending', 'intStatus']),
              meta: at('203-204'),
              target: 'IRQ_CLEAR',
              actions: enter,
            },
            /* the seed's ERROR and final branches: reachable only when INT_STATUS has gone
             * between the MSI and the handler's read (an FLR; docs/pci-doe.md, Observations) */
            {
              guard: and(['irqPending', 'error']),
              meta: {
                ...at('203,221-222'),
                lint: { 'guard-never-true': HANDLER_BRANCH_NEEDS_FLR },
              },
              target: 'IRQ_SCHEDULE',
              actions: enter,
            },
            {
              guard: 'irqPending',
              meta: { ...at('234-248'), lint: { 'guard-never-true': HANDLER_BRANCH_NEEDS_FLR } },
              actions: [leaveNow, 'irqHandled'],
            },
          ];
      return {
        IRQ_IDLE: { on: { irq_read_status: read } },
        /* pci_write_config_dword(STATUS, val) (seed) or (STATUS, INT_STATUS) (review): RW1C */
        IRQ_CLEAR: {
          on: {
            irq_write_clear: {
              meta: at('217'),
              target: 'IRQ_SCHEDULE',
              actions: doe.assign({ intStatus: false }),
            },
          },
        },
        /* mod_delayed_work(system_wq, &doe->statemachine, 0); return IRQ_HANDLED */
        IRQ_SCHEDULE: {
          on: {
            irq_schedule_work: {
              meta: at('218-219,231-232'),
              target: 'IRQ_IDLE',
              actions: [
                doe.assign(({ context }) =>
                  seq(modNow, (c) => ({
                    handlerRunning: false,
                    irqDue: c.irqPending ? due(irqLatency) : null,
                  }))(context),
                ),
                'irqHandled',
              ],
            },
          },
        },
      };
    }

    /* ---- the device ---- */

    function deviceStates(): ChildStates {
      /* ABORT is taken in every phase; the device holds BUSY until the abort completes. */
      const takeAbort: Eventless = {
        guard: ({ context }) => context.cmd === 'ABORT',
        meta: at('300,416'),
        target: '#pciDoe.device.ABORTING',
        actions: doe.assign({ cmd: null, busy: true }),
      };
      /* Anything else written out of turn is ignored. */
      const ignore: Eventless = {
        guard: ({ context }) => context.cmd !== null,
        meta: at('310-317'),
        actions: doe.assign({ cmd: null, goTask: null }),
      };
      /* The same, in a phase where the default model never writes out of turn. */
      const ignoreOutOfTurn: Eventless = {
        ...ignore,
        meta: {
          ...at('310-317'),
          lint: {
            'guard-never-true':
              'the default driver writes GO only to an idle mailbox and reads only a ready one; a write out of turn here comes from a variant (no-busy-check, abort-done-ignores-busy), which the device ignores as the spec says',
          },
        },
      };
      /* Transitions for the device's faults exist only where their bound switches them on
       * (the alphabet offers them under the same bounds). */
      const reset = canReset
        ? {
            device_reset: {
              guard: ({ context }: Args) => context.probed,
              description:
                'an FLR (the PCIe spec, not in the seed): every DOE register cleared, Interrupt Enable and Interrupt Status (the bits lines 185-195 quote) too',
              meta: at('185-195'),
              target: '#pciDoe.device.DEV_IDLE',
              actions: doe.assign({
                busy: false,
                dataObjectReady: false,
                error: false,
                intStatus: false,
                intEnable: false,
                response: null,
                ghostRequestOf: null,
              }),
            },
          }
        : {};
      const errorNow = {
        meta: at('185-195,345'),
        actions: doe.assign(({ context }) => ({
          error: true,
          ...setIntStatus(context),
        })),
      };
      const busyClears = (c: DoeContext): Partial<DoeContext> => ({
        busy: false,
        ...(c.busyClearIrq ? setIntStatus(c) : {}),
      });
      return {
        DEV_IDLE: {
          always: [
            takeAbort,
            {
              guard: ({ context }) => context.cmd === 'GO',
              meta: at('310'),
              target: 'PROCESSING',
              actions: doe.assign(({ context }) => ({
                cmd: null,
                goTask: null,
                ghostRequestOf: context.goTask,
              })),
            },
            ignoreOutOfTurn,
          ],
          on: {
            other_user_busy: {
              guard: ({ context }) => bounds.otherUser >= 1 && context.probed,
              meta: at('311-317'),
              target: 'OTHER_USER',
              actions: doe.assign({ busy: true }),
            },
            ...reset,
          },
        },
        /* Another user of the mailbox owns it: BUSY. */
        OTHER_USER: {
          always: [takeAbort, ignoreOutOfTurn],
          on: {
            other_user_done: {
              meta: at('195,311-317'),
              target: 'DEV_IDLE',
              actions: doe.assign(({ context }) => busyClears(context)),
            },
            ...(bounds.otherUser === 2
              ? {
                  other_user_error: {
                    meta: at('195,311-317'),
                    target: 'ERROR_SET',
                    actions: doe.assign(({ context }) =>
                      seq(busyClears, (c) => ({ error: true, ...setIntStatus(c) }))(context),
                    ),
                  },
                }
              : {}),
            ...reset,
          },
        },
        /* The device works on the request; it may never answer. */
        PROCESSING: {
          always: [takeAbort, ignoreOutOfTurn],
          on: {
            /* the alphabet offers the lengths the `lengths` bound switches on */
            device_respond: {
              meta: at('185-195,350'),
              target: 'RESPONSE',
              actions: doe.assign(({ context, event }) => ({
                dataObjectReady: true,
                response: event.type === 'device_respond' ? event.length : null,
                ...setIntStatus(context),
              })),
            },
            device_respond_bad: {
              meta: at('185-195,350,360'),
              target: 'RESPONSE',
              actions: doe.assign(({ context }) => ({
                dataObjectReady: true,
                response: 'bad' as const,
                ...setIntStatus(context),
              })),
            },
            ...(canError ? { device_error: { ...errorNow, target: 'ERROR_SET' } } : {}),
            ...(canLose ? { device_hang: { meta: at('350-354'), target: 'HUNG' } } : {}),
            ...reset,
          },
        },
        /* The device has dropped the request: it will never answer it. */
        HUNG: { always: [takeAbort, ignoreOutOfTurn], on: { ...reset } },
        /* Data Object Ready: the object is read out dword by dword. */
        RESPONSE: {
          always: [
            takeAbort,
            {
              guard: ({ context }) => context.cmd === 'READ_LAST',
              meta: at('360'),
              target: 'DEV_IDLE',
              /* The driver has read the object's last dword: it is consumed. */
              actions: [
                doe.emit(({ context }) => ({
                  type: 'response_read' as const,
                  task: context.task ?? -1,
                })),
                doe.assign({
                  cmd: null,
                  dataObjectReady: false,
                  response: null,
                  ghostRequestOf: null,
                }),
              ],
            },
            ignore,
          ],
          on: {
            ...(canError ? { device_error: errorNow } : {}),
            ...reset,
          },
        },
        ERROR_SET: { always: [takeAbort, ignoreOutOfTurn], on: { ...reset } },
        /* The abort will never complete: BUSY stays set. */
        ABORT_HUNG: { always: [ignoreOutOfTurn], on: { ...reset } },
        /* The abort may never complete: BUSY stays set. */
        ABORTING: {
          always: [ignoreOutOfTurn],
          on: {
            /* An abort clears ERROR and Data Object Ready, then BUSY. */
            ...(canLose
              ? { device_abort_hang: { meta: at('381-382,399-401'), target: 'ABORT_HUNG' } }
              : {}),
            device_abort_done: {
              meta: at('195,381-382'),
              target: 'DEV_IDLE',
              actions: doe.assign(({ context }) =>
                seq(
                  () => ({
                    error: false,
                    dataObjectReady: false,
                    response: null,
                    ghostRequestOf: null,
                  }),
                  busyClears,
                )(context),
              ),
            },
            ...reset,
          },
        },
      };
    }

    return {
      machine,
      events: (state: ModelState<DoeContext>) => alphabet(state, bounds, lengths),
      time: { tick: TICK },
      terminal: (state) => state.context.freed,
      /* The sequence chart: one lane per execution context of the code, the clock, and the
         mailbox (with the other users of it and FLRs) as the device. The callers' lane holds
         probe's discovery frame too (caller 0), as pci_doe_exchange_sync() is one code path. */
      lanes: [
        { name: 'pci_doe_probe(), pci_doe_remove()', regions: ['probe'] },
        { name: 'pci_doe_exchange_sync() (callers)', regions: ['callers'] },
        { name: 'doe_statemachine_work()', regions: ['work'] },
        { name: 'pci_doe_irq()', regions: ['irq'] },
        { name: 'clock', events: [TICK] },
        { name: 'DOE mailbox', regions: ['device'], device: true },
      ],
      conformance: {
        /* What a driver's adapter can tell from the driver's own state: which context can
           take its next step (at a yield point, its wait satisfied: pci_doe_exchange_sync()'s
           wait queue and completion, abort_c, free_irq() and cancel_delayed_work_sync()), the
           delayed work runnable (queued, or its timer past expiry), an MSI waiting for its
           handler, a signal that an interruptible sleep would see, a user that may call, and
           what the mailbox can do with what the driver wrote to it. Left out: `probe` (called
           once, its modes chosen by the bounds) and `tick` (the driver keeps its own jiffies
           and never refuses a tick; the model refuses one only to bound its latencies). */
        enabling: [
          'probe_resume',
          'probe_free_irq',
          'probe_cancel',
          'probe_cancel_done',
          'probe_kfree',
          'remove_cancel',
          'remove_cancel_done',
          'remove_free_irq',
          'remove_kfree',
          'call',
          'wait_check',
          'wake_recheck',
          'signal',
          'caller_return',
          ...WORK_EVENTS.map((e) => e.type),
          ...IRQ_EVENTS.map((e) => e.type),
          'device_respond',
          ...DEVICE_EVENTS.map((e) => e.type),
        ].filter((type, i, all) => all.indexOf(type) === i),
        /* struct pci_doe, its delayed work, the callers' frames, the MSI line and the mailbox's
           Status bits and Interrupt Enable, as the driver and its fake device keep them.
           Left out: the work's locals (task, rc and recv_resp's counts: a generator's frame),
           probe's loop (discovered, discovering), `probed` (the environment's: from probe on
           the device may act), the latency obligations (workDue, irqDue: the environment's),
           INT_STATUS (tracked only in IRQ mode, where its effect, the MSI, is irqPending),
           the device's choice of interrupt on BUSY clearing, and the ghosts (cmd, goTask,
           response, ghostRequestOf). */
        observe: ({ context: c }: ModelState<DoeContext>) => ({
          doeState: c.doeState,
          curTask: c.curTask,
          abort: c.abort,
          dead: c.dead,
          busyRetries: c.busyRetries,
          busyTimeout: c.busyTimeout,
          irq: c.irq,
          timeout: c.timeout,
          /* abort_c completed and not yet taken (its count saturates in the model) */
          abortDone: c.abortDone > 0,
          workTimer: c.workTimer,
          workQueued: c.workQueued,
          workRunning: c.workRunning,
          canceling: c.canceling,
          ready: c.ready,
          freed: c.freed,
          irqLine: c.irqLine,
          callers: c.callers,
          rv: c.rv,
          signalled: c.signalled,
          irqPending: c.irqPending,
          handlerRunning: c.handlerRunning,
          busy: c.busy,
          error: c.error,
          dataObjectReady: c.dataObjectReady,
          intEnable: c.intEnable,
        }),
      },
    };
  },
});

/** The events possible in a state, payloads included (it may over-approximate). */
function alphabet(
  state: ModelState<DoeContext>,
  bounds: Bounds,
  lengths: ReplyLength[],
): DoeEvent[] {
  const c = state.context;
  const events: DoeEvent[] = [];
  if (state.matches('probe.PROBE')) {
    for (const mode of ['irq', 'poll', 'irq-setup-fails'] as const) {
      for (const busyClearIrq of [false, true]) events.push({ type: 'probe', mode, busyClearIrq });
    }
  }
  events.push(
    { type: 'probe_resume' },
    { type: 'probe_free_irq' },
    { type: 'probe_cancel' },
    { type: 'probe_cancel_done' },
    { type: 'probe_kfree' },
    { type: 'remove_cancel' },
    { type: 'remove_cancel_done' },
    { type: 'remove_free_irq' },
    { type: 'remove_kfree' },
  );
  for (let caller = 0; caller < c.callers.length; caller++) {
    switch (c.callers[caller]) {
      case 'idle':
        events.push({ type: 'call', caller, wholeDwords: true });
        if (caller > 0) events.push({ type: 'call', caller, wholeDwords: false });
        break;
      case 'checking':
        events.push({ type: 'wait_check', caller });
        break;
      case 'woken':
        events.push({ type: 'wake_recheck', caller });
        break;
      case 'completed':
        events.push({ type: 'caller_return', caller });
        break;
    }
    if (bounds.signals === 1 && !c.signalled[caller] && c.callers[caller] !== 'idle') {
      events.push({ type: 'signal', caller });
    }
  }
  events.push(...WORK_EVENTS, ...IRQ_EVENTS);
  for (const length of lengths) events.push({ type: 'device_respond', length });
  events.push(...DEVICE_EVENTS.filter((e) => deviceEventOn(e, bounds)), { type: 'tick' });
  return events;
}

/** Whether the bounds switch on the device's action `e` (its transitions exist only then). */
function deviceEventOn(e: DoeEvent, bounds: Bounds): boolean {
  switch (e.type) {
    case 'device_error':
      return faultOn(bounds, 'error');
    case 'device_hang':
    case 'device_abort_hang':
      return faultOn(bounds, 'lost');
    case 'device_reset':
      return faultOn(bounds, 'reset');
    case 'other_user_error':
      return bounds.otherUser === 2;
    default:
      return true;
  }
}

const WORK_EVENTS: DoeEvent[] = [
  { type: 'work_start' },
  { type: 'work_abort_start' },
  { type: 'work_send' },
  { type: 'work_resp_status' },
  { type: 'work_recv_header' },
  { type: 'work_recv_length' },
  { type: 'work_recv_payload' },
  { type: 'work_recv_flush', last: true },
  { type: 'work_recv_flush', last: false },
  { type: 'work_recv_status' },
  { type: 'work_done_wake' },
  { type: 'work_callback' },
  { type: 'work_rv_write' },
  { type: 'work_after_cb' },
  { type: 'work_after_cb_wake' },
  { type: 'work_err_abort' },
  { type: 'work_abort_status' },
  { type: 'work_abort_wake' },
  { type: 'work_abort_complete' },
  { type: 'work_dead_wake' },
  { type: 'work_dead_complete' },
];

const IRQ_EVENTS: DoeEvent[] = [
  { type: 'irq_read_status' },
  { type: 'irq_write_clear' },
  { type: 'irq_schedule_work' },
];

const DEVICE_EVENTS: DoeEvent[] = [
  { type: 'device_respond_bad' },
  { type: 'device_error' },
  { type: 'device_abort_done' },
  { type: 'device_hang' },
  { type: 'device_abort_hang' },
  { type: 'device_reset' },
  { type: 'other_user_busy' },
  { type: 'other_user_done' },
  { type: 'other_user_error' },
];
