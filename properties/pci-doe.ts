/**
 * What must hold of the DOE mailbox driver in sources/pci-doe-review.txt. Line numbers are
 * those of that file; pci_doe_send_req() and pci_doe_recv_resp() are elided there and taken
 * from v4 and v6 of the series (docs/pci-doe.md).
 */
import type { ModelConfig, ModelState, Output, Property } from '../src/model/model.ts';
import { timeAfter } from '../src/model/time.ts';
import { respondsWithin } from '../src/model/timed-properties.ts';
import type { ReplyLength } from '../src/model/device.ts';
import {
  EBUSY,
  EINVAL,
  EIO,
  ETIMEDOUT,
  RESPONSE_DWORDS,
  TASK_STEPS,
  WAKE_PENDING,
  touchesDoe,
  type DoeContext,
  type DoeEvent,
} from '../machines/pci-doe.ts';

const SEED = 'sources/pci-doe-review.txt';

const outputsOf = (outputs: readonly Output[], type: string) =>
  outputs.filter((output) => output.type === type);

/** The struct pci_doe at rest: no run of the work in flight and back in DOE_IDLE, or dead. */
const settled = (state: ModelState<DoeContext>) =>
  (state.context.doeState === 'DOE_IDLE' && !state.context.workRunning) || state.context.dead;

/** A caller still inside pci_doe_exchange_sync(): its task and completion are on its stack. */
const inside = (context: DoeContext, caller: number) =>
  context.callers[caller] === 'waiting' || context.callers[caller] === 'completed';

/** The device holds the request of the task the driver is working on (not a stale one). */
const holdsCurrent = (context: DoeContext) =>
  context.ghostRequestOf !== null && context.ghostRequestOf === context.curTask;

/** Payload dwords in an object of this Length kind (DOE: `zero` encodes 2^18 DW). */
function payloadDwords(kind: ReplyLength): number {
  switch (kind) {
    case 'exact':
      return RESPONSE_DWORDS;
    case 'short':
      return 0;
    case 'long':
      return RESPONSE_DWORDS + 1;
    case 'zero':
      return (1 << 18) - 2;
    case 'max':
      return 0x3ffff - 2;
  }
}

interface InFlight {
  tasks: number[];
}
interface AbortDebt {
  owed: boolean;
}
interface TaskWatch {
  task: number | null;
}
interface ObjectRead {
  task: number | null;
  kind: ReplyLength | null;
}
interface BusyWatch {
  since: number | null;
}

export function pciDoeProperties({ bounds }: ModelConfig): Property<DoeContext, DoeEvent>[] {
  const hz = bounds.hz;
  /* An MSI is handled within irqLatency ticks; the work it queues (behind a run that may be
   * in flight) then runs within workLatency: max(irqLatency, workLatency) + workLatency. */
  const wakeTicks = Math.max(bounds.irqDelay, bounds.workDelay) + bounds.workDelay;
  return [
    {
      kind: 'monitor',
      name: 'callback-once',
      statement:
        'Each task submitted by pci_doe_exchange_sync() has its callback run exactly once: never twice, and it is always still possible for it to run.',
      source: `${SEED}:373,419 (task->cb(task->private) on the success and on the err_abort/err_busy paths)`,
      initial: (): InFlight => ({ tasks: [] }),
      step: (m: InFlight, { outputs }) => {
        let tasks = m.tasks;
        for (const output of outputs) {
          const task = output.task as number;
          if (output.type === 'task_submitted') {
            if (tasks.includes(task)) return { violation: `task ${task} submitted twice` };
            tasks = [...tasks, task].sort();
          } else if (output.type === 'callback') {
            if (!tasks.includes(task)) {
              return { violation: `callback for task ${task}, which is not in flight` };
            }
            tasks = tasks.filter((t) => t !== task);
          }
        }
        return tasks === m.tasks ? m : { tasks };
      },
      hot: (m: InFlight) => m.tasks.length > 0,
    },
    {
      kind: 'step',
      name: 'no-use-after-return',
      statement:
        "The state machine touches a task (sends its request, reads into its buffer, sets its rv, completes it) only while its caller is still inside pci_doe_exchange_sync(): the task and its completion live on that caller's stack.",
      source: `${SEED}:441-443 (struct pci_doe_task task; DECLARE_COMPLETION_ONSTACK(c)) and 480 (doe->cur_task = &task)`,
      check: ({ from, event }) => {
        if (!TASK_STEPS.has(event.type)) return true;
        const task = from.context.task ?? -1;
        return (
          inside(from.context, task) ||
          `${event.type} touches task ${task}, whose caller has already returned`
        );
      },
    },
    {
      kind: 'step',
      name: 'no-use-after-free',
      statement:
        'Once kfree(doe) has run (probe failed, or the device was removed), neither the state machine work nor the interrupt handler runs on it.',
      source: `${SEED}:582-600 (pci_doe_probe() error paths: kfree(doe)) and 603-616 (pci_doe_remove())`,
      check: ({ from, event }) =>
        !from.context.freed ||
        !touchesDoe(event.type) ||
        `${event.type} runs on the struct pci_doe after kfree(doe)`,
    },
    {
      kind: 'step',
      name: 'dead-means-eio',
      statement:
        'Once the mailbox is dead no request reaches the hardware and no task is taken, and every exchange that starts with a whole-dword payload returns -EIO.',
      source: `${SEED}:403 (doe->dead = true) and 476-478 (if (doe->dead) return -EIO)`,
      check: ({ from, event, outputs }) => {
        if (!from.context.dead) return true;
        if (outputsOf(outputs, 'request_written').length > 0) {
          return 'a request was written to a dead mailbox';
        }
        if (outputsOf(outputs, 'task_submitted').length > 0) return 'a task took a dead mailbox';
        if (event.type !== 'call' && event.type !== 'wake_recheck') return true;
        const wrong = outputsOf(outputs, 'exchange_return').find(
          (o) => o.rc !== EIO && o.rc !== EINVAL,
        );
        return wrong ? `an exchange on a dead mailbox returned ${String(wrong.rc)}` : true;
      },
    },
    {
      kind: 'step',
      name: 'no-request-while-busy',
      statement: 'No request is written to the mailbox while DOE Busy is set.',
      source:
        'pci_doe_send_req() (elided in the seed; v4 and v6 of the series): if (FIELD_GET(PCI_DOE_STATUS_BUSY, val)) return -EBUSY',
      check: ({ from, outputs }) =>
        !from.context.busy ||
        outputsOf(outputs, 'request_written').length === 0 ||
        'a request was written while DOE Busy was set',
    },
    {
      kind: 'monitor',
      name: 'abort-before-next-request',
      statement:
        'After the device reports an error or returns a bad response, or the driver times a request out, an abort is written before the next request (unless the device was reset meanwhile).',
      source: `${SEED}:345-354,362 (goto err_abort) and 414-416 (err_abort: pci_doe_abort_start())`,
      initial: (): AbortDebt => ({ owed: false }),
      step: (m: AbortDebt, { event, from, to, outputs }) => {
        let owed = m.owed;
        if (
          event.type === 'device_error' ||
          event.type === 'device_respond_bad' ||
          event.type === 'other_user_error'
        ) {
          owed = true;
        }
        /* the work decides -ETIMEDOUT */
        if (to.context.rc === ETIMEDOUT && from.context.rc !== ETIMEDOUT) owed = true;
        if (event.type === 'device_reset') owed = false;
        if (outputsOf(outputs, 'abort_written').length > 0) owed = false;
        if (owed && outputsOf(outputs, 'request_written').length > 0) {
          return { violation: 'a request was written without an abort after the error' };
        }
        return owed === m.owed ? m : { owed };
      },
    },
    {
      kind: 'invariant',
      name: 'cur-task-cleared',
      statement:
        'Whenever the state machine is at rest in DOE_IDLE or the mailbox is dead, cur_task is NULL or belongs to a caller still inside pci_doe_exchange_sync().',
      source: `${SEED}:367,385,404,423 (doe->cur_task = NULL on the success, abort-done, dead and err_busy paths)`,
      check: (state) => {
        const { curTask } = state.context;
        if (!settled(state) || curTask === null || inside(state.context, curTask)) return true;
        return `cur_task still points at task ${curTask}, whose caller has returned`;
      },
    },
    {
      kind: 'invariant',
      name: 'waiters-woken',
      statement:
        'No caller is left asleep on doe->wq once cur_task is NULL and the wake-up that follows its clearing has run.',
      source: `${SEED}:472 (wait_event_interruptible(doe->wq, doe->cur_task == NULL)) and 369,387,406,425 (wake_up_interruptible)`,
      check: (state) => {
        const { context } = state;
        if (context.curTask !== null || !context.callers.includes('asleep')) return true;
        if (WAKE_PENDING.some((step) => state.matches(`work.${step}`))) return true;
        return 'cur_task is NULL but a caller still sleeps on doe->wq';
      },
    },
    {
      kind: 'step',
      name: 'response-matches-request',
      statement:
        'A task reads out only the response to its own request, never one left in the mailbox by an earlier request.',
      source: `${SEED}:360-373 (rc = pci_doe_recv_resp(doe, task->ex); task->rv = rc)`,
      check: ({ from, outputs }) => {
        for (const output of outputs) {
          if (output.type === 'response_read' && output.task !== from.context.ghostRequestOf) {
            const owner = from.context.ghostRequestOf;
            return `task ${output.task as number} read the response to ${owner === null ? 'no request' : `task ${owner}'s request`}`;
          }
        }
        return true;
      },
    },
    {
      kind: 'monitor',
      name: 'response-not-lost',
      statement:
        "A good response (any Length the spec allows) that the device raises before the driver's deadline has passed ends its task with success, not with a timeout or an error (unless the mailbox then reports an error, the device's or another user's, or resets).",
      source: `${SEED}:343-373 (ERROR, then Data Object Ready before the deadline; pci_doe_recv_resp(); task->rv = length)`,
      initial: (): TaskWatch => ({ task: null }),
      step: (m: TaskWatch, { event, from, outputs }) => {
        let task = m.task;
        const onTime = from.context.timeout !== null && !timeAfter(from.context.timeout);
        if (event.type === 'device_respond' && onTime && holdsCurrent(from.context)) {
          task = from.context.ghostRequestOf;
        }
        /* an error on the mailbox (the device's, or another user's left in ERROR) or an FLR:
         * the driver cannot tell whose error it reads, so failing then is not losing */
        if (
          event.type === 'device_error' ||
          event.type === 'other_user_error' ||
          event.type === 'device_reset'
        ) {
          task = null;
        }
        for (const output of outputs) {
          if (output.type !== 'callback' || output.task !== task) continue;
          if (typeof output.rc === 'number' && output.rc < 0) {
            return { violation: `task ${task} had a response in time but ended with ${output.rc}` };
          }
          task = null;
        }
        return task === m.task ? m : { task };
      },
    },
    respondsWithin<DoeContext, DoeEvent>({
      name: 'response-wakes-driver',
      statement: `In IRQ mode (its interrupt registered), the state machine reads Data Object Ready ${wakeTicks === 0 ? 'before the next tick after' : `within ${wakeTicks} ticks of`} the device raising it (the interrupt and workqueue latencies), not at the 1 s fallback timer.`,
      source: `${SEED}:335-337 ("Now poll or wait for IRQ with timeout") and 186-195 (an interrupt each time enabled AND INT_STATUS goes from false to true)`,
      ticks: wakeTicks,
      start: ({ event, from }) =>
        (event.type === 'device_respond' || event.type === 'device_respond_bad') &&
        from.context.irqLine &&
        from.context.doeState === 'DOE_WAIT_RESP'
          ? ['the response']
          : [],
      end: ({ event, from, to }) =>
        (event.type === 'work_resp_status' && from.context.dataObjectReady) ||
        !to.context.dataObjectReady ||
        !to.context.irqLine ||
        to.context.doeState !== 'DOE_WAIT_RESP'
          ? ['the response']
          : [],
    }),
    {
      kind: 'monitor',
      name: 'response-fits-buffer',
      statement:
        "pci_doe_recv_resp() stores no dword beyond the caller's response buffer, and a successful exchange returns min(the object's payload, the buffer) in bytes.",
      source:
        'pci_doe_recv_resp() (v4 and v6): for (i = 0; i < min(length, ex->response_pl_sz / sizeof(u32)); i++); return min(length, ...) * sizeof(u32)',
      initial: (): ObjectRead => ({ task: null, kind: null }),
      step: (m: ObjectRead, { event, from, outputs }) => {
        let next = m;
        if (event.type === 'work_recv_payload' && from.context.stored >= RESPONSE_DWORDS) {
          return {
            violation: `dword ${from.context.stored} stored into a response buffer of ${RESPONSE_DWORDS}`,
          };
        }
        if (event.type === 'device_respond' && holdsCurrent(from.context)) {
          next = { task: from.context.ghostRequestOf, kind: event.length };
        }
        if (event.type === 'device_reset') next = { task: null, kind: null };
        for (const output of outputs) {
          if (output.type !== 'callback' || output.task !== next.task || next.kind === null)
            continue;
          const expected = 4 * Math.min(payloadDwords(next.kind), RESPONSE_DWORDS);
          if (typeof output.rc === 'number' && output.rc >= 0 && output.rc !== expected) {
            return {
              violation: `a ${next.kind} response returned ${output.rc} bytes, not ${expected}`,
            };
          }
          next = { task: null, kind: null };
        }
        return next;
      },
    },
    {
      kind: 'monitor',
      name: 'error-fails-exchange',
      statement:
        'When the device raises DOE Error while it holds a request or its response, that exchange does not succeed (unless the device is reset first).',
      source:
        'pci_doe_recv_resp() (v4 and v6): "Final error check to pick up on any since Data Object Ready"; 345-348 (ERROR: rc = -EIO)',
      initial: (): TaskWatch => ({ task: null }),
      step: (m: TaskWatch, { event, from, outputs }) => {
        let task = m.task;
        if (event.type === 'device_error' && holdsCurrent(from.context)) {
          task = from.context.ghostRequestOf;
        }
        if (event.type === 'device_reset' || event.type === 'device_abort_done') task = null;
        for (const output of outputs) {
          if (output.type !== 'callback' || output.task !== task) continue;
          if (typeof output.rc === 'number' && output.rc >= 0) {
            return { violation: `task ${task} succeeded although the device raised DOE Error` };
          }
          task = null;
        }
        return task === m.task ? m : { task };
      },
    },
    {
      kind: 'monitor',
      name: 'busy-patience',
      statement: `A request fails with -EBUSY only after the driver has tried for PCI_DOE_TIMEOUT (${hz} ticks) since it first found the mailbox busy: a device busy for less than that does not fail it.`,
      source: `${SEED}:311-327 ("so try for 1 second then fail"; busy_retries; schedule_delayed_work(w, HZ / PCI_DOE_BUSY_MAX_RETRIES))`,
      initial: (): BusyWatch => ({ since: null }),
      step: (m: BusyWatch, { event, from, outputs }) => {
        let since = m.since;
        if (event.type === 'work_send' && from.context.busy) since = since ?? 0;
        if (outputsOf(outputs, 'request_written').length > 0) since = null;
        if (event.type === 'tick' && since !== null) since = Math.min(hz, since + 1);
        for (const output of outputs) {
          if (output.type !== 'callback') continue;
          if (output.rc === EBUSY && (since ?? 0) < hz) {
            return {
              violation: `-EBUSY after ${since ?? 0} ticks of retries, less than PCI_DOE_TIMEOUT (${hz})`,
            };
          }
          since = null;
        }
        return since === m.since ? m : { since };
      },
    },
    {
      kind: 'step',
      name: 'abort-done-means-idle',
      statement:
        'When the state machine counts an abort as done, the device has finished it: the mailbox is neither aborting nor in error.',
      source: `${SEED}:379-397 (if (!ERROR && !BUSY) /* Back to normal state - carry on */)`,
      check: ({ event, from, to }) =>
        event.type !== 'work_abort_status' ||
        !to.matches('work.ABORT_WAKE') ||
        (!from.matches('device.ABORTING') && !from.context.error) ||
        'the abort was counted as done while the device was still aborting',
    },
    {
      kind: 'step',
      name: 'no-spin-on-signal',
      statement:
        'A caller whose wait for the mailbox is interrupted by a signal returns; it does not go back round `again:` to a mailbox that is still taken (where it would spin without sleeping).',
      source: `${SEED}:469-474 (wait_event_interruptible(doe->wq, doe->cur_task == NULL); goto again)`,
      check: ({ event, from, to }) => {
        if (event.type !== 'wait_check') return true;
        const i = event.caller;
        if (!from.context.signalled[i] || from.context.curTask === null) return true;
        return (
          to.context.callers[i] !== 'woken' ||
          `caller ${i} has a signal pending and goes round again: without sleeping`
        );
      },
    },
    {
      kind: 'recoverable',
      name: 'mailbox-recovers',
      statement:
        'From every reachable state the mailbox can get back to DOE_IDLE with no task and no run of the work in flight, unless it is dead or freed.',
      source: `${SEED}:377-411 (DOE_WAIT_ABORT: back to DOE_IDLE, or dead after the timeout)`,
      goal: (state) =>
        state.context.dead ||
        state.context.freed ||
        (state.context.doeState === 'DOE_IDLE' &&
          !state.context.workRunning &&
          state.context.curTask === null),
    },
  ];
}
