/**
 * What must hold of the DOE mailbox driver in sources/pci-doe-review.txt. Line
 * numbers are those of that file.
 */
import type { ModelConfig, ModelState, Output, Property } from '../src/model/model.ts';
import type { DoeContext, DoeEvent } from '../machines/pci-doe.ts';

const SEED = 'sources/pci-doe-review.txt';
const EIO = -5;
const ETIMEDOUT = -110;
const EINVAL = -22;

const outputsOf = (outputs: readonly Output[], type: string) =>
  outputs.filter((output) => output.type === type);

/** Not in an abort: back in DOE_IDLE, or the mailbox is dead. */
const settled = (state: ModelState<DoeContext>) =>
  state.matches('driver.DOE_IDLE') || state.context.dead;

interface InFlight {
  tasks: number[];
}
interface AbortDebt {
  owed: boolean;
}
interface ResponseSeen {
  task: number | null;
}

export function pciDoeProperties(_config: ModelConfig): Property<DoeContext, DoeEvent>[] {
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
        return { tasks };
      },
      hot: (m: InFlight) => m.tasks.length > 0,
    },
    {
      kind: 'step',
      name: 'no-use-after-return',
      statement:
        "The state machine touches a task (sends it, reads its response, calls its callback) only while its caller is still inside pci_doe_exchange_sync(): the task and its completion live on that caller's stack.",
      source: `${SEED}:441-443 (struct pci_doe_task task; DECLARE_COMPLETION_ONSTACK(c)) and 480 (doe->cur_task = &task)`,
      check: ({ from, outputs }) => {
        for (const output of outputs) {
          if (
            output.type === 'request_written' ||
            output.type === 'response_read' ||
            output.type === 'callback'
          ) {
            const task = output.task as number;
            if (from.context.callers[task] !== 'waiting') {
              return `${output.type} on task ${task}, whose caller has already returned`;
            }
          }
        }
        return true;
      },
    },
    {
      kind: 'step',
      name: 'dead-means-eio',
      statement:
        'Once the mailbox is dead no request reaches the hardware and no task is taken, and every exchange with a whole-dword payload returns -EIO.',
      source: `${SEED}:403 (doe->dead = true) and 476-478 (if (doe->dead) return -EIO)`,
      check: ({ from, outputs }) => {
        if (!from.context.dead) return true;
        if (outputsOf(outputs, 'request_written').length > 0) {
          return 'a request was written to a dead mailbox';
        }
        if (outputsOf(outputs, 'task_submitted').length > 0) {
          return 'a task took a dead mailbox';
        }
        const wrong = outputsOf(outputs, 'exchange_return').find(
          (o) => o.rc !== EIO && o.rc !== EINVAL,
        );
        return wrong ? `an exchange on a dead mailbox returned ${wrong.rc as number}` : true;
      },
    },
    {
      kind: 'step',
      name: 'no-request-while-busy',
      statement: 'No request is written to the mailbox while DOE Busy is set.',
      source:
        'pci_doe_send_req() (elided in the seed, as in v4/v6 of the series): if (FIELD_GET(PCI_DOE_STATUS_BUSY, val)) return -EBUSY',
      check: ({ from, outputs }) =>
        !from.context.busy ||
        outputsOf(outputs, 'request_written').length === 0 ||
        'a request was written while DOE Busy was set',
    },
    {
      kind: 'monitor',
      name: 'abort-before-next-request',
      statement:
        'After the device reports an error, returns a bad response, or a task times out, an abort is written before the next request.',
      source: `${SEED}:345-354,362 (goto err_abort) and 414-416 (err_abort: pci_doe_abort_start())`,
      initial: (): AbortDebt => ({ owed: false }),
      step: (m: AbortDebt, { event, outputs }) => {
        let owed = m.owed;
        if (event.type === 'device_error' || event.type === 'device_respond_bad') owed = true;
        if (outputsOf(outputs, 'callback').some((o) => o.rc === ETIMEDOUT || o.rc === EIO)) {
          owed = true;
        }
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
        'Whenever the state machine is back in DOE_IDLE or the mailbox is dead, cur_task is NULL or belongs to a caller still waiting for it.',
      source: `${SEED}:367,385,404,423 (doe->cur_task = NULL on the success, abort-done, dead and err_busy paths)`,
      check: (state) => {
        const { curTask, callers } = state.context;
        if (!settled(state) || curTask === null || callers[curTask] === 'waiting') return true;
        return `cur_task still points at task ${curTask}, whose caller has returned`;
      },
    },
    {
      kind: 'invariant',
      name: 'waiters-woken',
      statement: 'No caller is left asleep on doe->wq once cur_task is NULL.',
      source: `${SEED}:472 (wait_event_interruptible(doe->wq, doe->cur_task == NULL)) and 369,387,406,425 (wake_up_interruptible)`,
      check: ({ context }) =>
        context.curTask !== null ||
        !context.callers.includes('asleep') ||
        'cur_task is NULL but a caller still sleeps on doe->wq',
    },
    {
      kind: 'step',
      name: 'response-matches-request',
      statement:
        'A task receives only the response to its own request, never one left in the mailbox by an earlier request.',
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
        'When the device has produced a good response for a task, that task ends with the response, not with a timeout or an error.',
      source: `${SEED}:350-373 (Data Object Ready: pci_doe_recv_resp(); task->rv = length)`,
      initial: (): ResponseSeen => ({ task: null }),
      step: (m: ResponseSeen, { event, from, outputs }) => {
        let task = m.task;
        if (event.type === 'device_respond') task = from.context.curTask;
        for (const output of outputs) {
          if (output.type !== 'callback' || output.task !== task) continue;
          if ((output.rc as number) < 0) {
            return {
              violation: `task ${task} had a response ready but ended with ${output.rc as number}`,
            };
          }
          task = null;
        }
        return task === m.task ? m : { task };
      },
    },
    {
      kind: 'invariant',
      name: 'response-wakes-driver',
      statement:
        'In IRQ mode, once the response the driver waits for is ready, the state machine is due to run (an interrupt is pending, the handler is running, or the work is due), not left asleep until the 1 s timeout.',
      source: `${SEED}:335-337 ("Now poll or wait for IRQ with timeout") and 186-195 (an interrupt each time enabled AND INT_STATUS goes from false to true)`,
      check: (state) => {
        const { context } = state;
        if (!context.irq || !context.dataObjectReady || !state.matches('driver.DOE_WAIT_RESP')) {
          return true;
        }
        const asleep =
          context.work === 'deadline' &&
          context.deadline === 'before' &&
          !context.irqPending &&
          !context.handlerRunning;
        return (
          !asleep ||
          'a response is ready but no interrupt will come: the work sleeps until the 1 s timeout'
        );
      },
    },
    {
      kind: 'invariant',
      name: 'no-work-after-free',
      statement:
        'When probe fails and the doe is freed, its state machine work is not left pending (it would run on freed memory).',
      source: `${SEED}:583-584,597-599 (pci_doe_register() fails -> kfree(doe)) with pci_doe_abort()'s work still queued`,
      check: (state) =>
        !state.matches('probe.PROBE_FAILED') ||
        state.context.work === 'none' ||
        'the doe was freed with doe->statemachine still queued',
    },
    {
      kind: 'recoverable',
      name: 'mailbox-recovers',
      statement:
        'From every reachable state the mailbox can get back to DOE_IDLE with no task, unless it is dead (or probe failed).',
      source: `${SEED}:377-411 (DOE_WAIT_ABORT: back to DOE_IDLE, or dead after the timeout)`,
      goal: (state) =>
        state.context.dead ||
        state.matches('probe.PROBE_FAILED') ||
        (state.matches('driver.DOE_IDLE') && state.context.curTask === null),
    },
  ];
}
