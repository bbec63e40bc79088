/**
 * The PCIe DOE mailbox driver of "[PATCH 2/5] PCI/DOE: Add Data Object Exchange Aux Driver"
 * (sources/pci-doe-review.txt) as imperative TypeScript: the system under test for
 * `mailbox-models conform pci-doe`. It does not import the model.
 *
 * The driver keeps the seed's functions, fields, states and return codes. The functions the
 * seed elides (pci_doe_abort_start, pci_doe_send_req, pci_doe_recv_resp, pci_doe_abort,
 * pci_doe_register, pci_doe_cache_protocols, pci_doe_discovery) are written as v4/v6 of the
 * series have them. The default driver carries the fixes of docs/pci-doe.md: DOE_WAIT_ABORT
 * reschedules itself, probe's error path cancels the work before kfree(doe), remove frees the
 * IRQ before it cancels, busy retries end at a deadline, a Length of 0 is the largest object,
 * and a signalled caller returns -ERESTARTSYS.
 *
 * Execution contexts are generators that yield at the code's yield points (docs/pci-doe.md,
 * "Steps"): `probe` (pci_doe_probe(), with its discovery exchanges), `remove`, `work`
 * (doe_statemachine_work()), `pci_doe_irq`, and `caller i` (pci_doe_exchange_sync()). Each
 * yield label names the step that resumes it.
 *
 * Seams the adapter at the bottom drives: the DOE capability's registers (drivers/
 * pci-doe-device.ts), jiffies and the delayed work's timer, the MSI line, signals, callers.
 *
 * Observable outputs: task_submitted / request_written / callback (task = the caller's index),
 * response_read (the device's object consumed), abort_written, mailbox_dead, exchange_return
 * (what pci_doe_exchange_sync() returns), irq_return (what pci_doe_irq() returns).
 */
import {
  NotEnabledError,
  type DriverAdapter,
  type DriverDefinition,
  type DriverVariant,
} from '../src/testgen/conform.ts';
import {
  ExecutionContexts,
  waitAt,
  type Advanced,
  type Preemptible,
} from '../harness/execution-contexts.ts';
import { faultOn, replyLengths } from '../src/model/device.ts';
import type { Output } from '../src/model/model.ts';
import type { VectorEvent } from '../src/testgen/vectors.ts';
import {
  DeviceStateError,
  DoeDevice,
  PCI_DOE_CTRL,
  PCI_DOE_CTRL_ABORT,
  PCI_DOE_CTRL_GO,
  PCI_DOE_CTRL_INT_EN,
  PCI_DOE_DATA_OBJECT_HEADER_1_TYPE,
  PCI_DOE_DATA_OBJECT_HEADER_1_VID,
  PCI_DOE_DATA_OBJECT_HEADER_2_LENGTH,
  PCI_DOE_READ,
  PCI_DOE_STATUS,
  PCI_DOE_STATUS_BUSY,
  PCI_DOE_STATUS_DATA_OBJECT_READY,
  PCI_DOE_STATUS_ERROR,
  PCI_DOE_STATUS_INT_STATUS,
  PCI_DOE_WRITE,
  type ResponseLength,
} from './pci-doe-device.ts';

const EIO = 5;
const EBUSY = 16;
const EINVAL = 22;
const ETIMEDOUT = 110;
const ERESTARTSYS = 512;
const SZ_1M = 0x100000;
/** The largest data object, 2^18 DW, which a Length of 0 encodes (PCIe r6.0 6.30.1). */
const PCI_DOE_MAX_LENGTH = 1 << 18;

const FIELD_GET = (mask: number, val: number): number => (val & mask) >>> ctz(mask);
const ctz = (mask: number): number => 31 - Math.clz32(mask & -mask);
/** time_after(a, b): true when a is strictly later than b. */
const time_after = (a: number, b: number): boolean => b - a < 0;

type pci_doe_state = 'DOE_IDLE' | 'DOE_WAIT_RESP' | 'DOE_WAIT_ABORT' | 'DOE_WAIT_ABORT_ON_ERR';
type irqreturn_t = 'IRQ_HANDLED' | 'IRQ_NONE';

interface completion {
  done: number;
}

interface pci_doe_protocol {
  vid: number;
  type: number;
}

interface pci_doe_exchange {
  prot: pci_doe_protocol;
  request_pl: number[];
  request_pl_sz: number;
  response_pl: number[];
  response_pl_sz: number;
}

interface pci_doe_task {
  /** Which caller's stack frame this task lives in (the outputs' `task`). */
  caller: number;
  ex: pci_doe_exchange;
  /** task.rv; null: not written since the call (in C, whatever the stack held). */
  rv: number | null;
  cb: (priv: completion) => void;
  private: completion;
}

interface delayed_work {
  /** PENDING: queued now, or its timer armed. */
  pending: boolean;
  /** Queued with no timer (delay 0, mod_delayed_work(0), or its timer fired). */
  queued: boolean;
  expires: number;
  running: boolean;
  /** cancel_delayed_work_sync() waits for the running work: queueing is refused. */
  canceling: boolean;
}

interface pci_doe {
  abort_c: completion;
  irq: number;
  cur_task: pci_doe_task | null;
  /** wait_queue_head_t: the callers asleep on it. */
  wq: Set<number>;
  statemachine: delayed_work;
  state: pci_doe_state;
  timeout_jiffies: number;
  busy_retries: number;
  /** The fix: the jiffy after which a busy mailbox fails the request (null: not busy yet). */
  busy_timeout: number | null;
  abort: boolean;
  dead: boolean;
  /** kfree(doe) has run. */
  freed: boolean;
}

/** The protocol every caller uses (discovery) and its request's one payload dword. */
const DISCOVERY: pci_doe_protocol = { vid: 0x0001, type: 0 };

export const PCI_DOE_DRIVER_VARIANTS: DriverVariant[] = [
  {
    name: 'as-written',
    description: 'The seed as written: every finding below together.',
    source: 'sources/pci-doe-review.txt',
    killBounds: { modes: 1, lengths: 4, signals: 1 },
  },
  {
    name: 'wait-abort-no-reschedule',
    description:
      'DOE_WAIT_ABORT / DOE_WAIT_ABORT_ON_ERR returns without rescheduling when the abort is neither done nor timed out (the seed).',
    source: 'sources/pci-doe-review.txt:399-411',
  },
  {
    name: 'probe-error-no-cancel',
    description:
      'pci_doe_probe() frees the doe on its error paths without cancel_delayed_work_sync() (the seed).',
    source: 'sources/pci-doe-review.txt:582-600',
  },
  {
    name: 'remove-cancel-before-free-irq',
    description: 'pci_doe_remove() cancels the work before it frees the IRQ (the seed).',
    source: 'sources/pci-doe-review.txt:603-616',
  },
  {
    name: 'busy-retries-counted',
    description:
      'The seed: busy_retries counts attempts up to == PCI_DOE_BUSY_MAX_RETRIES, and is not reset before goto err_abort.',
    source: 'sources/pci-doe-review.txt:313-331',
  },
  {
    name: 'max-length-rejected',
    description: 'pci_doe_recv_resp() rejects a Length of 0 (length < 2), as v4/v6 do.',
    source: 'pci_doe_recv_resp() (v4 and v6 of the series)',
    killBounds: { lengths: 4 },
  },
  {
    name: 'ignore-wait-return',
    description: "pci_doe_exchange_sync() ignores wait_event_interruptible()'s return (the seed).",
    source: 'sources/pci-doe-review.txt:469-474',
    killBounds: { signals: 1 },
  },
  {
    name: 'review-irq-handler',
    description:
      'pci_doe_irq() as the review proposes: ERROR tested first (INT_STATUS left set), INT_STATUS cleared by writing the bit, IRQ_NONE at the end.',
    source: 'sources/pci-doe-review.txt:251-256',
  },
  {
    name: 'err-busy-keeps-cur-task',
    description: 'err_busy does not clear cur_task nor wake doe->wq.',
    source: 'sources/pci-doe-review.txt:417-426',
  },
  {
    name: 'no-deadline-in-wait-resp',
    description: 'DOE_WAIT_RESP polls without the time_after() check.',
    source: 'sources/pci-doe-review.txt:350-357',
  },
  {
    name: 'deadline-before-ready',
    description: 'DOE_WAIT_RESP tests time_after() before Data Object Ready.',
    source: 'sources/pci-doe-review.txt:345-357',
  },
  {
    name: 'no-wake-on-response',
    description: 'The success path clears cur_task without wake_up_interruptible(&doe->wq).',
    source: 'sources/pci-doe-review.txt:366-369',
    killBounds: { callers: 2, modes: 0, otherUser: 0 },
  },
  {
    name: 'no-busy-check',
    description: 'pci_doe_send_req() does not test DOE Busy.',
    source: 'pci_doe_send_req() (v4 and v6 of the series)',
  },
  {
    name: 'no-dead-check',
    description: 'pci_doe_exchange_sync() does not test doe->dead.',
    source: 'sources/pci-doe-review.txt:476-478',
  },
  {
    name: 'timeout-skips-abort',
    description: '-ETIMEDOUT goes to err_busy with doe->state = DOE_IDLE instead of err_abort.',
    source: 'sources/pci-doe-review.txt:352-354',
  },
  {
    name: 'rv-after-callback',
    description: 'The success path calls task->cb() before task->rv = rc.',
    source: 'sources/pci-doe-review.txt:371-373',
  },
  {
    name: 'no-final-error-check',
    description: 'pci_doe_recv_resp() without its final STATUS read for DOE Error.',
    source: 'pci_doe_recv_resp() (v4 and v6 of the series)',
  },
  {
    name: 'recv-no-clamp',
    description:
      'pci_doe_recv_resp() stores length - 2 payload dwords without min(length, response_pl_sz / 4).',
    source: 'pci_doe_recv_resp() (v4 and v6 of the series)',
    killBounds: { lengths: 3 },
  },
  {
    name: 'abort-done-ignores-busy',
    description:
      'DOE_WAIT_ABORT counts the abort as done when DOE Error is clear, ignoring DOE Busy.',
    source: 'sources/pci-doe-review.txt:381-383',
  },
  {
    name: 'ctrl-write-drops-int-en',
    description:
      'code only: pci_doe_abort_start() and pci_doe_send_req() write ABORT / GO without | PCI_DOE_CTRL_INT_EN, which turns interrupts off (the reason v5 has pci_doe_write_ctrl()).',
    source: 'code only (pci_doe_write_ctrl() in v5/v6)',
  },
  {
    name: 'busy-timeout-not-cleared',
    description:
      "code only, on the fix of finding 5: a request sent after BUSY retries resets busy_retries (331, as the seed) but not the fix's busy_timeout, so the next request that finds the mailbox busy measures its patience from the stale deadline and may fail at its first BUSY. Nothing the driver emits shows it until then.",
    source:
      'sources/pci-doe-review.txt:331 (doe->busy_retries = 0), and the fix of docs/pci-doe.md finding 5',
  },
  {
    name: 'timer-fires-at-expiry',
    description:
      "code only, in the kernel services the driver carries: the delayed work's timer runs at jiffies == expires, not at expires + 1 as the timer wheel guarantees (calc_index() rounds up); the earlier model's artefact (issue 16). The work becomes runnable a tick early where the model offers nothing: no output shows it.",
    source:
      'kernel/time/timer.c calc_index(); sources/pci-doe-review.txt:326,337,339,356 (schedule_delayed_work)',
  },
  {
    name: 'recv-resp-no-header-check',
    description:
      'code only: pci_doe_recv_resp() does not compare the response header with the request protocol.',
    source: 'code only (pci_doe_recv_resp() in v4/v6: if (vid != ex->prot.vid || ...) return -EIO)',
  },
];

/** The findings as-written switches on together. */
const SEED_AS_WRITTEN = [
  'wait-abort-no-reschedule',
  'probe-error-no-cancel',
  'remove-cancel-before-free-irq',
  'busy-retries-counted',
  'max-length-rejected',
  'ignore-wait-return',
];

function createPciDoeDriver(variants: ReadonlySet<string>): DriverAdapter {
  const has = (name: string) =>
    variants.has(name) || (variants.has('as-written') && SEED_AS_WRITTEN.includes(name));

  let bounds: Readonly<Record<string, number>> = {};
  /** The Lengths the fake device answers with under these bounds. */
  let lengths: ResponseLength[] = [];
  /* The seed's constants at the suite's HZ (bounds.hz ticks per second). */
  let HZ = 250;
  let PCI_DOE_TIMEOUT = HZ;
  let PCI_DOE_POLL_INTERVAL = 1;
  let PCI_DOE_BUSY_MAX_RETRIES = 16;
  let jiffies = 0;
  let doe!: pci_doe;
  let dev!: DoeDevice;
  /* The interrupt line: request_irq()'d, an MSI waiting for the handler. */
  let irq_requested = false;
  let msi_pending = false;
  /* Signals pending for each caller, and what woke each sleeper. */
  let signal_pending: boolean[] = [];
  let woken_by: Array<'wake' | 'signal' | null> = [];
  /* Every wait is a waitAt() with its condition, so enabled() asks contexts.ready(). */
  const contexts = new ExecutionContexts({ declaredWaits: true });
  /** pci_doe_probe() has been called: from then on the mailbox's other users and FLRs act. */
  let probe_called = false;
  /** recv_resp's flush loop: dwords left to flush, the one at hand included. */
  let flush_left = 0;
  /** pci_doe_probe() returned 0 and pci_doe_remove() has not begun. */
  let ready = false;
  /** The caller whose task the running work reads a response for (response_read's task). */
  let reader: number | null = null;
  let outputs: Output[] = [];
  const emit = (output: Output) => outputs.push(output);

  /* ---------- kernel services ---------- */

  function pci_read_config_dword(where: number): number {
    return dev.readConfig(where);
  }

  function pci_write_config_dword(where: number, val: number): void {
    const before = dev.consumed();
    dev.writeConfig(where, val);
    /* The device consumed a whole object: the response is read. */
    if (where === PCI_DOE_READ && !before && dev.consumed()) {
      emit({ type: 'response_read', task: reader ?? -1 });
    }
  }

  function schedule_delayed_work(w: delayed_work, delay: number): boolean {
    if (w.pending || w.canceling) return false;
    w.pending = true;
    w.queued = delay === 0;
    w.expires = jiffies + delay;
    return true;
  }

  function mod_delayed_work(w: delayed_work, delay: number): void {
    if (w.canceling) return;
    w.pending = true;
    w.queued = delay === 0;
    w.expires = jiffies + delay;
  }

  /** A delayed work may run: queued, or its timer has fired (at expires + 1 at the earliest). */
  function work_runnable(w: delayed_work): boolean {
    const fired = has('timer-fires-at-expiry')
      ? time_after(jiffies + 1, w.expires) // time_after_eq(jiffies, expires)
      : time_after(jiffies, w.expires);
    return w.pending && (w.queued || fired);
  }

  /** cancel_delayed_work_sync(): the pending work is gone; it waits for a running one. */
  function* cancel_delayed_work_sync(w: delayed_work, wait: string): Preemptible<void> {
    w.pending = false;
    w.queued = false;
    if (w.running) {
      w.canceling = true;
      yield* waitAt(wait, () => !w.running);
      w.canceling = false;
    }
  }

  function complete(c: completion): void {
    c.done++;
  }

  /** wake_up_interruptible(): every sleeper becomes runnable. */
  function wake_up_interruptible(wq: Set<number>): void {
    for (const caller of wq) woken_by[caller] = 'wake';
    wq.clear();
  }

  /** free_irq() has waited for a running handler (the caller's waitAt): no MSI afterwards. */
  function free_irq(): void {
    irq_requested = false;
    msi_pending = false;
  }

  /** What free_irq() waits for: no pci_doe_irq() running. */
  const handler_idle = () => !contexts.isRunning('pci_doe_irq');

  function kfree_doe(): void {
    doe.freed = true;
  }

  /** A context about to touch a freed doe: what KASAN reports in a kernel. */
  function checkAlive(who: string): void {
    if (doe.freed) throw new Error(`KASAN: use-after-free in ${who} (struct pci_doe freed)`);
  }

  /* ---------- the driver ---------- */

  /** v5: the control register is written with INT_EN in IRQ mode. */
  function pci_doe_write_ctrl(val: number): void {
    if (doe.irq > 0 && !has('ctrl-write-drops-int-en')) val |= PCI_DOE_CTRL_INT_EN;
    pci_write_config_dword(PCI_DOE_CTRL, val);
  }

  function pci_doe_abort_start(): void {
    pci_doe_write_ctrl(PCI_DOE_CTRL_ABORT);
    emit({ type: 'abort_written' });
    doe.timeout_jiffies = jiffies + HZ;
    schedule_delayed_work(doe.statemachine, HZ);
  }

  function pci_doe_send_req(task: pci_doe_task): number {
    const ex = task.ex;
    const val = pci_read_config_dword(PCI_DOE_STATUS);
    /* Busy handling is best effort only (the seed's comment). */
    if (FIELD_GET(PCI_DOE_STATUS_BUSY, val) && !has('no-busy-check')) return -EBUSY;
    if (FIELD_GET(PCI_DOE_STATUS_ERROR, val)) return -EIO;
    pci_write_config_dword(PCI_DOE_WRITE, (ex.prot.type << 16) | ex.prot.vid);
    pci_write_config_dword(PCI_DOE_WRITE, 2 + ex.request_pl_sz / 4);
    for (const dw of ex.request_pl) pci_write_config_dword(PCI_DOE_WRITE, dw);
    pci_doe_write_ctrl(PCI_DOE_CTRL_GO);
    emit({ type: 'request_written', task: task.caller });
    return 0;
  }

  /**
   * pci_doe_recv_resp() at the grain the device can act: one yield per dword (read and
   * advance), then the final STATUS read. Returns the payload in bytes or -EIO.
   */
  function* pci_doe_recv_resp(ex: pci_doe_exchange): Preemptible<number> {
    /* Read the first dword to get the protocol */
    let val = pci_read_config_dword(PCI_DOE_READ);
    const vid = FIELD_GET(PCI_DOE_DATA_OBJECT_HEADER_1_VID, val);
    const type = FIELD_GET(PCI_DOE_DATA_OBJECT_HEADER_1_TYPE, val);
    if ((vid !== ex.prot.vid || type !== ex.prot.type) && !has('recv-resp-no-header-check')) {
      return -EIO;
    }
    pci_write_config_dword(PCI_DOE_READ, 0);
    yield 'RECV_LENGTH';
    /* Read the second dword to get the length */
    val = pci_read_config_dword(PCI_DOE_READ);
    let length = FIELD_GET(PCI_DOE_DATA_OBJECT_HEADER_2_LENGTH, val);
    if (!has('max-length-rejected') && length === 0) length = PCI_DOE_MAX_LENGTH;
    const payload = Math.max(0, length - 2);
    const store = has('recv-no-clamp')
      ? Math.min(payload, ex.response_pl_sz / 4 + 1) // two dwords show the overflow
      : Math.min(payload, ex.response_pl_sz / 4);
    pci_write_config_dword(PCI_DOE_READ, 0);
    if (length > SZ_1M || length < 2) return -EIO;
    let i = 0;
    for (; i < store; i++) {
      yield 'RECV_PAYLOAD';
      const dw = pci_read_config_dword(PCI_DOE_READ);
      if (i >= ex.response_pl.length) ex.response_pl.push(dw);
      else ex.response_pl[i] = dw;
      pci_write_config_dword(PCI_DOE_READ, 0);
    }
    /* Flush excess length */
    if (!has('recv-no-clamp')) {
      for (; i < payload; i++) {
        flush_left = payload - i;
        yield 'RECV_FLUSH';
        pci_read_config_dword(PCI_DOE_READ);
        pci_write_config_dword(PCI_DOE_READ, 0);
      }
    }
    yield 'RECV_STATUS';
    /* Final error check to pick up on any since Data Object Ready */
    val = pci_read_config_dword(PCI_DOE_STATUS);
    if (FIELD_GET(PCI_DOE_STATUS_ERROR, val) && !has('no-final-error-check')) return -EIO;
    return store * 4; // min(length, ex->response_pl_sz / sizeof(u32)) * sizeof(u32)
  }

  function pci_doe_task_complete(c: completion): void {
    complete(c);
  }

  /** A task's caller that has returned: its stack frame (task, completion) is gone. */
  const frameGone = (task: pci_doe_task) => !callerInside(task.caller, task);

  /** task->rv = rc; task->cb(task->private) (the rv write first, or after: a variant). */
  function* signal_task(task: pci_doe_task, rc: number): Preemptible<void> {
    yield 'CALLBACK';
    if (!has('rv-after-callback') && !frameGone(task)) task.rv = rc;
    /* what the completion carries: the rc, or (rv written after) an rv not written yet */
    emit({ type: 'callback', task: task.caller, rc: has('rv-after-callback') ? null : rc });
    task.cb(task.private);
    if (has('rv-after-callback')) {
      yield 'RV_WRITE';
      if (!frameGone(task)) task.rv = rc;
    }
  }

  function* doe_statemachine_work(): Preemptible<void> {
    checkAlive('doe_statemachine_work');
    const w = doe.statemachine;
    let rc = 0;

    /* mutex_lock(&doe->state_lock) ... mutex_unlock() */
    const task = doe.cur_task;
    const abort = doe.abort;
    doe.abort = false;

    if (abort) {
      /* Currently only used during init (WARN_ON(task)) */
      yield 'ABORT_START';
      checkAlive('doe_statemachine_work');
      doe.state = 'DOE_WAIT_ABORT';
      pci_doe_abort_start();
      return;
    }

    /* The C code's goto labels: each break out of the switch below jumps to one of them. */
    let goto: 'err_abort' | 'err_busy';
    switch (doe.state) {
      case 'DOE_IDLE': {
        if (task === null) return;
        yield 'SEND';
        checkAlive('doe_statemachine_work');
        reader = task.caller;
        rc = pci_doe_send_req(task);
        if (rc === -EBUSY) {
          if (has('busy-retries-counted')) {
            doe.busy_retries++;
            if (doe.busy_retries === PCI_DOE_BUSY_MAX_RETRIES) {
              doe.busy_retries = 0; // "DOE busy for too long"
              goto = 'err_busy';
              break;
            }
          } else {
            /* The fix: try for PCI_DOE_TIMEOUT from the first BUSY, then fail. */
            if (doe.busy_timeout !== null && time_after(jiffies, doe.busy_timeout)) {
              doe.busy_timeout = null;
              goto = 'err_busy';
              break;
            }
            doe.busy_timeout ??= jiffies + PCI_DOE_TIMEOUT;
          }
          schedule_delayed_work(w, Math.floor(HZ / PCI_DOE_BUSY_MAX_RETRIES));
          return;
        }
        if (rc) {
          if (!has('busy-retries-counted')) forget_busy();
          goto = 'err_abort';
          break;
        }
        if (has('busy-timeout-not-cleared')) doe.busy_retries = 0;
        else forget_busy();

        doe.state = 'DOE_WAIT_RESP';
        doe.timeout_jiffies = jiffies + HZ;
        /* Now poll or wait for IRQ with timeout */
        if (doe.irq > 0) schedule_delayed_work(w, PCI_DOE_TIMEOUT);
        else schedule_delayed_work(w, PCI_DOE_POLL_INTERVAL);
        return;
      }

      case 'DOE_WAIT_RESP': {
        const cur = task!; // "Not possible to get here with NULL task"
        yield 'RESP_STATUS';
        checkAlive('doe_statemachine_work');
        const val = pci_read_config_dword(PCI_DOE_STATUS);
        if (FIELD_GET(PCI_DOE_STATUS_ERROR, val)) {
          rc = -EIO;
          goto = 'err_abort';
          break;
        }
        if (has('deadline-before-ready') && time_after(jiffies, doe.timeout_jiffies)) {
          rc = -ETIMEDOUT;
          goto = 'err_abort';
          break;
        }
        if (!FIELD_GET(PCI_DOE_STATUS_DATA_OBJECT_READY, val)) {
          /* If not yet at timeout reschedule otherwise abort */
          if (time_after(jiffies, doe.timeout_jiffies) && !has('no-deadline-in-wait-resp')) {
            rc = -ETIMEDOUT;
            goto = 'err_abort';
            break;
          }
          schedule_delayed_work(w, PCI_DOE_POLL_INTERVAL);
          return;
        }

        yield 'RECV_HEADER';
        checkAlive('doe_statemachine_work');
        reader = cur.caller;
        rc = yield* pci_doe_recv_resp(cur.ex);
        if (rc < 0) {
          goto = 'err_abort';
          break;
        }

        doe.state = 'DOE_IDLE';
        doe.cur_task = null; // under state_lock
        yield 'DONE_WAKE';
        checkAlive('doe_statemachine_work');
        if (!has('no-wake-on-response')) wake_up_interruptible(doe.wq);

        /* Set the return value to the length of received payload */
        yield* signal_task(cur, rc);
        return;
      }

      case 'DOE_WAIT_ABORT':
      case 'DOE_WAIT_ABORT_ON_ERR': {
        yield 'ABORT_STATUS';
        checkAlive('doe_statemachine_work');
        const val = pci_read_config_dword(PCI_DOE_STATUS);
        const busy = FIELD_GET(PCI_DOE_STATUS_BUSY, val) && !has('abort-done-ignores-busy');
        if (!FIELD_GET(PCI_DOE_STATUS_ERROR, val) && !busy) {
          /* Back to normal state - carry on */
          doe.cur_task = null; // under state_lock
          yield 'ABORT_WAKE';
          checkAlive('doe_statemachine_work');
          wake_up_interruptible(doe.wq);
          /* For deliberately triggered abort, someone is waiting. */
          if (doe.state === 'DOE_WAIT_ABORT') {
            yield 'ABORT_COMPLETE';
            checkAlive('doe_statemachine_work');
            complete(doe.abort_c);
          }
          doe.state = 'DOE_IDLE';
          return;
        }
        if (time_after(jiffies, doe.timeout_jiffies)) {
          /* Task has timed out and is dead - abort ("DOE ABORT timed out") */
          emit({ type: 'mailbox_dead' });
          doe.dead = true;
          doe.cur_task = null;
          yield 'DEAD_WAKE';
          checkAlive('doe_statemachine_work');
          wake_up_interruptible(doe.wq);
          if (doe.state === 'DOE_WAIT_ABORT') {
            yield 'DEAD_COMPLETE';
            checkAlive('doe_statemachine_work');
            complete(doe.abort_c);
          }
          return;
        }
        /* The fix: whatever woke us early, keep polling the abort. */
        if (!has('wait-abort-no-reschedule')) schedule_delayed_work(w, PCI_DOE_POLL_INTERVAL);
        return;
      }
    }

    /* timeout-skips-abort: -ETIMEDOUT handled like a busy give-up (no abort). */
    if (goto === 'err_abort' && rc === -ETIMEDOUT && has('timeout-skips-abort')) {
      doe.state = 'DOE_IDLE';
      goto = 'err_busy';
    }
    if (goto === 'err_abort') {
      yield 'ERR_ABORT';
      checkAlive('doe_statemachine_work');
      doe.state = 'DOE_WAIT_ABORT_ON_ERR';
      pci_doe_abort_start();
    }
    /* err_busy: */
    yield* signal_task(task!, rc);
    /* If here via err_busy, signal the task done. */
    yield 'AFTER_CB';
    checkAlive('doe_statemachine_work');
    if (doe.state === 'DOE_IDLE' && !has('err-busy-keeps-cur-task')) {
      doe.cur_task = null; // under state_lock
      yield 'AFTER_CB_WAKE';
      checkAlive('doe_statemachine_work');
      wake_up_interruptible(doe.wq);
    }
  }

  function forget_busy(): void {
    doe.busy_retries = 0;
    doe.busy_timeout = null;
  }

  /** A caller is inside pci_doe_exchange_sync() with this very task (its frame is live). */
  const liveTasks = new Map<number, pci_doe_task>();
  function callerInside(caller: number, task: pci_doe_task): boolean {
    return liveTasks.get(caller) === task;
  }

  function* pci_doe_exchange_sync(
    caller: number,
    ex: pci_doe_exchange,
  ): Preemptible<number | null> {
    yield 'CALL';
    /* DOE requests must be a whole number of DW */
    if (ex.request_pl_sz % 4) return -EINVAL;

    const c: completion = { done: 0 }; // DECLARE_COMPLETION_ONSTACK(c)
    const task: pci_doe_task = {
      caller,
      ex,
      rv: null,
      cb: pci_doe_task_complete,
      private: c,
    };
    liveTasks.set(caller, task);
    try {
      for (;;) {
        /* again: mutex_lock(&doe->state_lock) */
        if (doe.cur_task) {
          /* mutex_unlock; wait_event_interruptible(doe->wq, doe->cur_task == NULL) */
          yield 'WAIT_CHECK';
          let slept = false;
          for (;;) {
            if (doe.cur_task === null) break;
            if (signal_pending[caller]) {
              if (!has('ignore-wait-return')) return -ERESTARTSYS;
              break; // goto again, without sleeping
            }
            doe.wq.add(caller);
            woken_by[caller] = null;
            yield* waitAt('WAIT_EVENT', () => !doe.wq.has(caller));
            if (woken_by[caller] === 'wake') {
              slept = true;
              break;
            }
            /* a signal woke it: wait_event_interruptible() tests again */
            yield 'WAIT_CHECK';
          }
          if (!slept) yield 'WOKEN';
          continue; // goto again
        }
        if (doe.dead && !has('no-dead-check')) return -EIO;
        doe.cur_task = task;
        emit({ type: 'task_submitted', task: caller });
        schedule_delayed_work(doe.statemachine, 0);
        /* mutex_unlock; wait_for_completion(&c) */
        yield* waitAt('WAIT_FOR_COMPLETION', () => c.done > 0);
        return task.rv;
      }
    } finally {
      liveTasks.delete(caller);
    }
  }

  function* pci_doe_irq(): Preemptible<irqreturn_t> {
    checkAlive('pci_doe_irq');
    const review = has('review-irq-handler');
    const val = pci_read_config_dword(PCI_DOE_STATUS);
    if (review && FIELD_GET(PCI_DOE_STATUS_ERROR, val)) {
      yield 'MOD_WORK';
      mod_delayed_work(doe.statemachine, 0);
      return 'IRQ_HANDLED';
    }
    if (FIELD_GET(PCI_DOE_STATUS_INT_STATUS, val)) {
      yield 'WRITE_CLEAR';
      pci_write_config_dword(PCI_DOE_STATUS, review ? PCI_DOE_STATUS_INT_STATUS : val);
      yield 'MOD_WORK';
      mod_delayed_work(doe.statemachine, 0);
      return 'IRQ_HANDLED';
    }
    /* Leave the error case to be handled outside IRQ */
    if (!review && FIELD_GET(PCI_DOE_STATUS_ERROR, val)) {
      yield 'MOD_WORK';
      mod_delayed_work(doe.statemachine, 0);
      return 'IRQ_HANDLED';
    }
    return review ? 'IRQ_NONE' : 'IRQ_HANDLED';
  }

  /** pci_doe_abort(): the init abort; sleeps on abort_c. */
  function* pci_doe_abort(): Preemptible<number> {
    doe.abort_c.done = 0; // reinit_completion
    doe.abort = true; // under state_lock
    schedule_delayed_work(doe.statemachine, 0);
    yield* waitAt('WAIT_ABORT_C', () => doe.abort_c.done > 0);
    doe.abort_c.done--;
    if (doe.dead) return -EIO;
    return 0;
  }

  /** pci_doe_discovery(): one exchange of the discovery protocol as caller 0. */
  function* pci_doe_discovery(): Preemptible<number> {
    const ex: pci_doe_exchange = {
      prot: DISCOVERY,
      request_pl: [0],
      request_pl_sz: 4,
      response_pl: [0],
      response_pl_sz: 4,
    };
    const ret = yield* pci_doe_exchange_sync(0, ex);
    emit({ type: 'exchange_return', caller: 0, rc: ret });
    if (ret === null || ret < 0) return ret ?? -EIO;
    if (ret !== 4) return -EIO;
    return 0;
  }

  function* pci_doe_cache_protocols(): Preemptible<number> {
    for (let i = 0; i < bounds.protocols; i++) {
      const rc = yield* pci_doe_discovery();
      if (rc) return rc; // err_free_prots: kfree(doe->prots)
    }
    return 0;
  }

  /** pci_doe_unregister() / err_free_irq: free_irq() (and kfree(irq_name), put_device()). */
  function* pci_doe_release_irq(): Preemptible<void> {
    yield* waitAt('FREE_IRQ', handler_idle);
    if (doe.irq > 0) free_irq();
  }

  function* pci_doe_probe(mode: 'irq' | 'poll' | 'irq-setup-fails'): Preemptible<number> {
    /* pci_doe_register(): pci_doe_reg_irq() */
    if (mode === 'irq-setup-fails') {
      kfree_doe(); // pci_irq_vector() < 0, kasprintf() or request_irq() failed: err_free
      return -EIO;
    }
    if (mode === 'irq') {
      doe.irq = 42; // request_irq(irq, pci_doe_irq, 0, irq_name, doe)
      irq_requested = true;
      pci_write_config_dword(PCI_DOE_CTRL, PCI_DOE_CTRL_INT_EN);
    }
    /* Reset the mailbox by issuing an abort */
    let rc = yield* pci_doe_abort();
    /* get_device(); pci_doe_cache_protocols() */
    if (!rc) rc = yield* pci_doe_cache_protocols();
    if (rc) {
      yield* pci_doe_release_irq(); // err_free_irq, or pci_doe_unregister()
      if (!has('probe-error-no-cancel')) {
        yield 'CANCEL';
        yield* cancel_delayed_work_sync(doe.statemachine, 'CANCEL_WAIT');
      }
      yield 'KFREE';
      kfree_doe(); // err_free
      return rc;
    }
    return 0;
  }

  function* pci_doe_remove(): Preemptible<void> {
    if (has('remove-cancel-before-free-irq')) {
      /* First halt the state machine */
      yield* cancel_delayed_work_sync(doe.statemachine, 'CANCEL_WAIT');
      /* kfree(doe->prots); pci_doe_unregister(doe) */
      yield* pci_doe_release_irq();
    } else {
      if (doe.irq > 0) free_irq(); // the adapter starts removal only with no handler running
      yield 'CANCEL';
      yield* cancel_delayed_work_sync(doe.statemachine, 'CANCEL_WAIT');
    }
    yield 'KFREE';
    kfree_doe();
  }

  /* ---------- the adapter ----------
   *
   * Each model event either enters the driver (probe, call, remove), advances the execution
   * context it names by one step (the label it waits at is the step's name), or acts for the
   * environment (tick, the device_* and other_user_* events, a signal, an MSI's arrival).
   */

  function needRunnable(): void {
    if (contexts.isRunning('work')) throw new NotEnabledError('the work is running');
    if (!work_runnable(doe.statemachine)) throw new NotEnabledError('the work is not runnable');
  }

  /** The context that runs caller i's pci_doe_exchange_sync(): probe's frame for 0. */
  const callerContext = (i: number) => (i === 0 ? 'probe' : `caller ${i}`);

  /** A step of probe: when pci_doe_probe() returns 0, users may call. */
  function probeStepped(result: Advanced<unknown>): void {
    if (result.done) ready = result.value === 0;
  }

  function irqStepped(result: Advanced<irqreturn_t>): void {
    if (result.done) emit({ type: 'irq_return', value: result.value });
  }

  /** Steps caller i from one of `at`; a user's return value is an output. */
  function stepCaller(i: number, at: string[]): void {
    const name = callerContext(i);
    const where = contexts.at(name);
    if (where === null || !at.includes(where)) {
      throw new NotEnabledError(`${name} is not at ${at.join('/')}`);
    }
    const result = contexts.advance(name);
    if (i === 0) probeStepped(result);
    else if (result.done) {
      signal_pending[i] = false; // delivered on the way out of the kernel
      emit({ type: 'exchange_return', caller: i, rc: result.value as number | null });
    }
  }

  /* ---------- what can happen next: applyEvent() refuses it otherwise, enabled() lists it ---------- */

  /** pci_doe_exchange_sync()'s yield points and the step that resumes each. */
  const CALLER_STEPS: Record<string, string> = {
    CALL: 'call',
    WAIT_CHECK: 'wait_check',
    WAIT_EVENT: 'wake_recheck',
    WOKEN: 'wake_recheck',
    WAIT_FOR_COMPLETION: 'caller_return',
  };
  /** pci_doe_probe()'s own yield points (its discovery frame's are CALLER_STEPS). */
  const PROBE_STEPS: Record<string, string> = {
    WAIT_ABORT_C: 'probe_resume',
    FREE_IRQ: 'probe_free_irq',
    CANCEL: 'probe_cancel',
    CANCEL_WAIT: 'probe_cancel_done',
    KFREE: 'probe_kfree',
  };
  const REMOVE_STEPS: Record<string, string> = {
    FREE_IRQ: 'remove_free_irq',
    CANCEL: 'remove_cancel',
    CANCEL_WAIT: 'remove_cancel_done',
    KFREE: 'remove_kfree',
  };

  /** Where caller i stands inside pci_doe_exchange_sync(), or null (not in it). */
  function callerAt(i: number): string | null {
    const at = contexts.at(callerContext(i));
    return at !== null && at in CALLER_STEPS ? at : null;
  }

  /** A signal to caller i is seen by wait_event_interruptible() (checking, asleep or woken). */
  function signal_can(i: number): boolean {
    const at = callerAt(i);
    return (
      bounds.signals === 1 &&
      !signal_pending[i] &&
      (at === 'WAIT_CHECK' || at === 'WAIT_EVENT' || at === 'WOKEN')
    );
  }

  /** A user may call pci_doe_exchange_sync(): probe returned 0, it is not inside already. */
  const user_can_call = (i: number) => ready && !doe.freed && !contexts.isRunning(callerContext(i));

  /**
   * Orderly removal can begin: no user inside pci_doe_exchange_sync() and the state machine
   * at rest (its work may be queued); the fix's first step, free_irq(), waits for a handler.
   */
  function removal_can_start(): 'remove_cancel' | 'remove_free_irq' | null {
    if (contexts.isRunning('remove') || !ready) return null;
    for (let i = 1; i <= bounds.callers; i++) if (contexts.isRunning(callerContext(i))) return null;
    const atRest = doe.state === 'DOE_IDLE' && doe.cur_task === null && !doe.statemachine.running;
    if (!atRest) return null;
    if (has('remove-cancel-before-free-irq')) return 'remove_cancel';
    return handler_idle() ? 'remove_free_irq' : null;
  }

  /** What the mailbox can do now: its phase, the bounds' faults, and probe having begun. */
  function device_can(event: VectorEvent): boolean {
    const phase = dev.phase;
    switch (event.type) {
      case 'device_respond':
        return phase === 'PROCESSING' && lengths.includes(event.length as ResponseLength);
      case 'device_respond_bad':
        return phase === 'PROCESSING';
      case 'device_error':
        return faultOn(bounds, 'error') && (phase === 'PROCESSING' || phase === 'RESPONSE');
      case 'device_hang':
        return faultOn(bounds, 'lost') && phase === 'PROCESSING';
      case 'device_abort_done':
        return phase === 'ABORTING';
      case 'device_abort_hang':
        return faultOn(bounds, 'lost') && phase === 'ABORTING';
      case 'device_reset':
        return faultOn(bounds, 'reset') && probe_called;
      case 'other_user_busy':
        return bounds.otherUser >= 1 && probe_called && phase === 'DEV_IDLE';
      case 'other_user_done':
        return phase === 'OTHER_USER';
      case 'other_user_error':
        return bounds.otherUser === 2 && phase === 'OTHER_USER';
      default:
        return false;
    }
  }

  /** Everything the mailbox may ever do under these bounds (device_can() picks the possible). */
  function device_repertoire(): VectorEvent[] {
    return [
      ...lengths.map((length) => ({ type: 'device_respond', length })),
      ...[
        'device_respond_bad',
        'device_error',
        'device_hang',
        'device_abort_done',
        'device_abort_hang',
        'device_reset',
        'other_user_busy',
        'other_user_done',
        'other_user_error',
      ].map((type) => ({ type })),
    ];
  }

  /** The step the work, stopped at `at`, resumes with (the flush loop names its last dword). */
  function work_steps(at: string): VectorEvent[] {
    if (at !== 'RECV_FLUSH') return [{ type: `work_${at.toLowerCase()}` }];
    const last = [{ type: 'work_recv_flush', last: true }];
    return flush_left > 1 ? [...last, { type: 'work_recv_flush', last: false }] : last;
  }

  /** A caller's state as the driver holds it: its yield point, the wait queue, its completion. */
  function caller_state(i: number): string {
    switch (callerAt(i)) {
      case 'WAIT_CHECK':
        return 'checking';
      case 'WAIT_EVENT':
        return doe.wq.has(i) ? 'asleep' : 'woken';
      case 'WOKEN':
        return 'woken';
      case 'WAIT_FOR_COMPLETION':
        return liveTasks.get(i)!.private.done > 0 ? 'completed' : 'waiting';
      default:
        return 'idle'; // not inside, or probe's frame before its call
    }
  }

  return {
    reset(next) {
      bounds = next;
      HZ = bounds.hz;
      PCI_DOE_TIMEOUT = HZ;
      PCI_DOE_POLL_INTERVAL = bounds.pollInterval;
      PCI_DOE_BUSY_MAX_RETRIES = bounds.busyRetries;
      lengths = replyLengths(bounds.lengths);
      probe_called = false;
      flush_left = 0;
      jiffies = 1000;
      doe = {
        abort_c: { done: 0 },
        irq: 0,
        cur_task: null,
        wq: new Set(),
        statemachine: {
          pending: false,
          queued: false,
          expires: 0,
          running: false,
          canceling: false,
        },
        state: 'DOE_IDLE',
        timeout_jiffies: 0,
        busy_retries: 0,
        busy_timeout: null,
        abort: false,
        dead: false,
        freed: false,
      };
      dev = new DoeDevice(() => {
        if (irq_requested) msi_pending = true;
      });
      dev.intStatus = bounds.dirtyStart === 1;
      irq_requested = false;
      msi_pending = false;
      signal_pending = Array.from({ length: bounds.callers + 1 }, () => false);
      woken_by = Array.from({ length: bounds.callers + 1 }, () => null);
      liveTasks.clear();
      contexts.clear();
      ready = false;
      return [];
    },

    enabled() {
      const list: VectorEvent[] = [];
      const probeAt = contexts.at('probe');
      if (probeAt !== null && probeAt in PROBE_STEPS && contexts.ready('probe')) {
        list.push({ type: PROBE_STEPS[probeAt] });
      }
      for (let i = 0; i <= bounds.callers; i++) {
        const at = callerAt(i);
        if (at !== null && contexts.ready(callerContext(i))) {
          list.push(
            at === 'CALL'
              ? { type: 'call', caller: i, wholeDwords: true }
              : { type: CALLER_STEPS[at], caller: i },
          );
        }
        if (i > 0 && user_can_call(i)) {
          list.push(
            { type: 'call', caller: i, wholeDwords: true },
            { type: 'call', caller: i, wholeDwords: false },
          );
        }
        if (signal_can(i)) list.push({ type: 'signal', caller: i });
      }
      const removal = removal_can_start();
      if (removal) list.push({ type: removal });
      const removeAt = contexts.at('remove');
      if (removeAt !== null && contexts.ready('remove'))
        list.push({ type: REMOVE_STEPS[removeAt] });
      const workAt = contexts.at('work');
      if (workAt === null) {
        if (work_runnable(doe.statemachine)) list.push({ type: 'work_start' });
      } else if (contexts.ready('work')) list.push(...work_steps(workAt));
      const irqAt = contexts.at('pci_doe_irq');
      if (irqAt === null) {
        if (msi_pending) list.push({ type: 'irq_read_status' });
      } else list.push({ type: irqAt === 'WRITE_CLEAR' ? 'irq_write_clear' : 'irq_schedule_work' });
      list.push(...device_repertoire().filter(device_can));
      return list;
    },

    observe() {
      /** A deadline as ticks to go, floored at one past (from there on only "passed" matters). */
      const left = (expires: number) => Math.max(expires - jiffies, -1);
      const w = doe.statemachine;
      const callers = Array.from({ length: bounds.callers + 1 }, (_, i) => i);
      return {
        doeState: doe.state,
        curTask: doe.cur_task?.caller ?? null,
        abort: doe.abort,
        dead: doe.dead,
        busyRetries: doe.busy_retries,
        busyTimeout: doe.busy_timeout === null ? null : left(doe.busy_timeout),
        irq: doe.irq > 0,
        /* DOE_IDLE never reads timeout_jiffies again (the model forgets it there) */
        timeout: doe.state === 'DOE_IDLE' ? null : left(doe.timeout_jiffies),
        abortDone: doe.abort_c.done > 0,
        workTimer: w.pending && !w.queued ? left(w.expires) : null,
        workQueued: w.pending && w.queued,
        workRunning: w.running,
        canceling: w.canceling,
        ready,
        freed: doe.freed,
        irqLine: irq_requested,
        callers: callers.map(caller_state),
        rv: callers.map((i) => liveTasks.get(i)?.rv ?? null),
        signalled: [...signal_pending],
        irqPending: msi_pending,
        handlerRunning: contexts.isRunning('pci_doe_irq'),
        busy: dev.busy,
        error: dev.error,
        dataObjectReady: dev.dataObjectReady,
        intEnable: dev.intEnable,
      };
    },

    apply(event) {
      outputs = [];
      try {
        applyEvent(event);
      } catch (error) {
        if (error instanceof DeviceStateError) throw new NotEnabledError(error.message);
        throw error;
      }
      return outputs;
    },
  };

  function applyEvent(event: Record<string, unknown> & { type: string }): void {
    switch (event.type) {
      case 'probe': {
        if (probe_called) throw new NotEnabledError('probed');
        probe_called = true;
        dev.busyClearIrq = event.busyClearIrq === true;
        probeStepped(contexts.start('probe', pci_doe_probe(event.mode as 'irq')));
        return;
      }
      case 'probe_resume':
        probeStepped(contexts.advanceFrom('probe', 'WAIT_ABORT_C'));
        return;
      case 'probe_free_irq':
        probeStepped(contexts.advanceFrom('probe', 'FREE_IRQ'));
        return;
      case 'probe_cancel':
        probeStepped(contexts.advanceFrom('probe', 'CANCEL'));
        return;
      case 'probe_cancel_done':
        probeStepped(contexts.advanceFrom('probe', 'CANCEL_WAIT'));
        return;
      case 'probe_kfree':
        probeStepped(contexts.advanceFrom('probe', 'KFREE'));
        return;
      case 'remove_cancel':
      case 'remove_free_irq': {
        const first = event.type === 'remove_cancel' ? 'CANCEL' : 'FREE_IRQ';
        if (!contexts.isRunning('remove')) {
          const start = removal_can_start();
          if (start === null) throw new NotEnabledError('no orderly removal now');
          if (start !== event.type) {
            throw new NotEnabledError(`removal does not start with ${event.type}`);
          }
          ready = false;
          contexts.start('remove', pci_doe_remove());
          return;
        }
        contexts.advanceFrom('remove', first);
        return;
      }
      case 'remove_cancel_done':
        contexts.advanceFrom('remove', 'CANCEL_WAIT');
        return;
      case 'remove_kfree':
        contexts.advanceFrom('remove', 'KFREE');
        return;
      case 'call': {
        const i = Number(event.caller);
        if (!(i <= bounds.callers)) throw new NotEnabledError(`no caller ${i}`);
        if (i === 0) {
          stepCaller(0, ['CALL']);
          return;
        }
        if (!ready || doe.freed) throw new NotEnabledError('the doe is not probed');
        if (contexts.isRunning(`caller ${i}`)) throw new NotEnabledError(`caller ${i} is busy`);
        const ex: pci_doe_exchange = {
          prot: DISCOVERY,
          request_pl: [i],
          request_pl_sz: event.wholeDwords ? 4 : 3,
          response_pl: [0],
          response_pl_sz: 4,
        };
        signal_pending[i] = false;
        contexts.start(`caller ${i}`, pci_doe_exchange_sync(i, ex));
        stepCaller(i, ['CALL']);
        return;
      }
      case 'wait_check':
        stepCaller(Number(event.caller), ['WAIT_CHECK']);
        return;
      case 'wake_recheck':
        stepCaller(Number(event.caller), ['WOKEN', 'WAIT_EVENT']);
        return;
      case 'signal': {
        const i = Number(event.caller);
        if (!signal_can(i)) {
          throw new NotEnabledError(`no interruptible wait of caller ${i} sees a signal now`);
        }
        signal_pending[i] = true;
        if (doe.wq.has(i)) {
          /* signal_wake_up(): the sleeper runs wait_event_interruptible()'s test again */
          doe.wq.delete(i);
          woken_by[i] = 'signal';
          contexts.advance(callerContext(i));
        }
        return;
      }
      case 'caller_return':
        stepCaller(Number(event.caller), ['WAIT_FOR_COMPLETION']);
        return;
      case 'work_start': {
        needRunnable();
        const w = doe.statemachine;
        w.pending = false; // the workqueue clears PENDING before it calls the function
        w.queued = false;
        w.running = true;
        const result = contexts.start('work', doe_statemachine_work());
        if (result.done) w.running = false;
        return;
      }
      case 'tick':
        jiffies++;
        return;
      case 'irq_read_status': {
        if (!msi_pending || contexts.isRunning('pci_doe_irq')) {
          throw new NotEnabledError('no interrupt to handle');
        }
        msi_pending = false;
        irqStepped(contexts.start('pci_doe_irq', pci_doe_irq()));
        return;
      }
      case 'irq_write_clear':
        irqStepped(contexts.advanceFrom('pci_doe_irq', 'WRITE_CLEAR'));
        return;
      case 'irq_schedule_work':
        irqStepped(contexts.advanceFrom('pci_doe_irq', 'MOD_WORK'));
        return;
      default:
        if (event.type.startsWith('work_')) {
          stepWork(event);
          return;
        }
        if (event.type.startsWith('device_') || event.type.startsWith('other_user_')) {
          if (!device_can(event as VectorEvent)) {
            throw new NotEnabledError(`the mailbox cannot ${event.type} now (${dev.phase})`);
          }
          deviceActs(event);
          return;
        }
        throw new NotEnabledError(`unknown event '${event.type}'`);
    }
  }

  /** The mailbox's own action (device_can() has said it is possible). */
  function deviceActs(event: Record<string, unknown> & { type: string }): void {
    switch (event.type) {
      case 'device_respond':
        dev.respond(event.length as ResponseLength, false);
        return;
      case 'device_respond_bad':
        dev.respond('exact', true);
        return;
      case 'device_error':
        dev.raiseError();
        return;
      case 'device_hang':
        dev.hang();
        return;
      case 'device_abort_done':
        dev.abortDone();
        return;
      case 'device_abort_hang':
        dev.abortHang();
        return;
      case 'device_reset':
        dev.reset();
        return;
      case 'other_user_busy':
        dev.otherUserBusy();
        return;
      case 'other_user_done':
      case 'other_user_error':
        dev.otherUserDone(event.type === 'other_user_error');
        return;
    }
  }

  /** work_<step>: the work, waiting at that step, runs to its next one. */
  function stepWork(event: Record<string, unknown> & { type: string }): void {
    const label = event.type.slice('work_'.length).toUpperCase();
    const w = doe.statemachine;
    if (label === 'RECV_FLUSH') {
      /* The flush loop's count is abstracted: `last` runs it to its end. */
      if (event.last !== true && !(contexts.at('work') === 'RECV_FLUSH' && flush_left > 1)) {
        throw new NotEnabledError('no more than the last dword is left to flush');
      }
      contexts.advanceFrom('work', 'RECV_FLUSH');
      while (event.last === true && contexts.at('work') === 'RECV_FLUSH') contexts.advance('work');
      if (event.last === true) return finishIfDone();
      if (contexts.at('work') !== 'RECV_FLUSH') throw new NotEnabledError('the flush loop ended');
      return;
    }
    const result = contexts.advanceFrom('work', label);
    if (result.done) w.running = false;
  }

  function finishIfDone(): void {
    if (!contexts.isRunning('work')) doe.statemachine.running = false;
  }
}

export const pciDoeDriver: DriverDefinition = {
  protocol: 'pci-doe',
  file: 'drivers/pci-doe.ts',
  variants: PCI_DOE_DRIVER_VARIANTS,
  create: createPciDoeDriver,
};
