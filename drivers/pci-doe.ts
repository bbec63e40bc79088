/**
 * The PCIe DOE mailbox driver of "[PATCH 2/5] PCI/DOE: Add Data Object Exchange Aux Driver"
 * (sources/pci-doe-review.txt) as imperative TypeScript: the system under test for
 * `mailbox-models conform pci-doe`. It does not import the model.
 *
 * The driver keeps the seed's functions, fields, states and return codes. The functions the
 * seed elides (pci_doe_send_req, pci_doe_recv_resp, pci_doe_abort_start, pci_doe_abort,
 * pci_doe_register, pci_doe_reg_irq) are written as v4/v6 of the series have them. The default
 * driver carries the two smallest fixes of docs/pci-doe.md: DOE_WAIT_ABORT reschedules itself
 * when the abort is not done yet, and the probe error path cancels the work after free_irq().
 *
 * Execution contexts and their preemption points (the grain of the model's steps):
 * - probe: pci_doe_probe() yields at wait_for_completion(&doe->abort_c);
 * - each caller: pci_doe_exchange_sync() yields at wait_event_interruptible(doe->wq) and at
 *   wait_for_completion(&c);
 * - the IRQ: pci_doe_irq() yields after its status read and after its write-1-to-clear;
 * - the workqueue: doe_statemachine_work() runs to its end in one step. It is the only code
 *   that touches the mailbox's control and data registers, and the workqueue never runs it
 *   twice at once, so nothing the other contexts do in between changes what it decides.
 *
 * Seams the adapter at the bottom drives: the DOE capability's registers (the mailbox device),
 * jiffies and the delayed work's timer, the MSI line, and the callers.
 *
 * Observable outputs: task_submitted / request_written / response_read / callback (task =
 * the caller's index), abort_written, mailbox_dead, exchange_return (what
 * pci_doe_exchange_sync() returns), irq_return (what pci_doe_irq() returns).
 */
import {
  NotEnabledError,
  type DriverAdapter,
  type DriverDefinition,
} from '../src/testgen/conform.ts';
import {
  BLOCKED,
  ExecutionContexts,
  type Advanced,
  type Preemptible,
} from '../harness/execution-contexts.ts';
import type { Output } from '../src/model/model.ts';

const EIO = 5;
const EBUSY = 16;
const EINVAL = 22;
const ETIMEDOUT = 110;

const HZ = 250;
const PCI_DOE_TIMEOUT = HZ;
const PCI_DOE_POLL_INTERVAL = PCI_DOE_TIMEOUT / 128;

/* DOE capability registers (offsets from the capability) and their bits (PCIe r6.0 7.9.24). */
const PCI_DOE_CTRL = 0x08;
const PCI_DOE_CTRL_ABORT = 1 << 0;
const PCI_DOE_CTRL_INT_EN = 1 << 1;
const PCI_DOE_CTRL_GO = 1 << 31;
const PCI_DOE_STATUS = 0x0c;
const PCI_DOE_STATUS_BUSY = 1 << 0;
const PCI_DOE_STATUS_INT_STATUS = 1 << 1;
const PCI_DOE_STATUS_ERROR = 1 << 2;
const PCI_DOE_STATUS_DATA_OBJECT_READY = 1 << 31;
const PCI_DOE_WRITE = 0x10;
const PCI_DOE_READ = 0x14;

const FIELD_GET = (mask: number, val: number): boolean => (val & mask) !== 0;
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
  rv: number;
  cb: (priv: completion) => void;
  private: completion;
}

interface delayed_work {
  pending: boolean;
  /** The delay it was queued with, and the jiffy its timer expires at. */
  delay: number;
  expires: number;
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
  abort: boolean;
  dead: boolean;
  /** kfree(doe) has run. */
  freed: boolean;
}

/** The mailbox as the device presents it: registers plus what it is doing. */
type dev_phase =
  | 'DEV_IDLE'
  | 'OTHER_USER'
  | 'PROCESSING'
  | 'HUNG'
  | 'RESPONSE_READY'
  | 'BAD_RESPONSE'
  | 'ERROR_SET'
  | 'ABORTING'
  | 'ABORT_HUNG';

interface doe_device {
  phase: dev_phase;
  busy: boolean;
  error: boolean;
  data_object_ready: boolean;
  int_status: boolean;
  int_en: boolean;
  /** The write mailbox: dwords written since the last GO. */
  write_mb: number[];
  /** The request the device took at GO (its header dword). */
  request_header: number;
  /** The read mailbox: the response's dwords not read out yet. */
  read_mb: number[];
}

/** The protocol every caller uses (discovery), and a response payload of one dword. */
const DISCOVERY: pci_doe_protocol = { vid: 0x0001, type: 0 };
const RESPONSE_PAYLOAD = 0xcafe0001;

export const PCI_DOE_DRIVER_VARIANTS = [
  {
    name: 'as-written',
    description: 'The seed exactly: wait-abort-no-reschedule and probe-error-no-cancel together.',
    source: 'sources/pci-doe-review.txt:399-411,583-584,597-599',
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
      'pci_doe_register() fails after the init abort timed out and pci_doe_probe() frees the doe without cancel_delayed_work_sync() (the seed).',
    source: 'sources/pci-doe-review.txt:583-584,597-599',
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
  },
  {
    name: 'no-busy-check',
    description: 'pci_doe_send_req() does not test DOE Busy.',
    source: 'pci_doe_send_req() (v4/v6 of the series)',
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
    name: 'ctrl-write-drops-int-en',
    description:
      'code only: pci_doe_abort_start() and pci_doe_send_req() write ABORT / GO without | PCI_DOE_CTRL_INT_EN, which turns interrupts off (the reason v5 has pci_doe_write_ctrl()).',
    source: 'code only (pci_doe_write_ctrl() in v5/v6)',
  },
  {
    name: 'busy-retries-not-reset',
    description:
      'code only: a request sent after busy retries leaves doe->busy_retries counting, so the next exchange gives up on DOE Busy early.',
    source: 'code only (sources/pci-doe-review.txt:331: doe->busy_retries = 0)',
  },
  {
    name: 'recv-resp-no-header-check',
    description:
      'code only: pci_doe_recv_resp() does not compare the response header with the request protocol.',
    source: 'code only (pci_doe_recv_resp() in v5/v6: if (vid != ex->prot.vid || ...) return -EIO)',
  },
];

function createPciDoeDriver(variants: ReadonlySet<string>): DriverAdapter {
  const has = (name: string) => variants.has(name);
  const waitAbortNoReschedule = has('as-written') || has('wait-abort-no-reschedule');
  const probeErrorNoCancel = has('as-written') || has('probe-error-no-cancel');

  let PCI_DOE_BUSY_MAX_RETRIES = 16;
  let bounds: Readonly<Record<string, number>> = {};
  let jiffies = 0;
  let doe!: pci_doe;
  let dev!: doe_device;
  /* The interrupt line: request_irq()'d, an MSI waiting for the handler. */
  let irq_requested = false;
  let msi_pending = false;
  /* Execution contexts: `probe`, `pci_doe_irq` and `caller 0`, `caller 1`, ... */
  const contexts = new ExecutionContexts();
  let probed = false;
  /** pci_doe_probe() returned 0: users may call pci_doe_exchange_sync(). */
  let ready = false;
  /** What each sleeping context waits for in wait_for_completion(). */
  const waits = new Map<string, completion>();
  let outputs: Output[] = [];
  const emit = (output: Output) => outputs.push(output);

  /* ---------- the mailbox device (environment) ---------- */

  /** INT_STATUS is set by Data Object Ready, ERROR and BUSY clearing; an MSI is sent when
   * "INT_EN AND INT_STATUS" rises. With interrupts disabled nobody reads it, so the device
   * here only tracks it while INT_EN is set. */
  function dev_set_int_status(): void {
    if (!dev.int_en) return;
    if (!dev.int_status && irq_requested) msi_pending = true;
    dev.int_status = true;
  }

  function dev_abort(): void {
    dev.phase = 'ABORTING';
    dev.busy = true; // from the ABORT write until it completes
    dev.write_mb = [];
  }

  function pci_read_config_dword(where: number): number {
    switch (where) {
      case PCI_DOE_STATUS:
        return (
          (dev.busy ? PCI_DOE_STATUS_BUSY : 0) |
          (dev.int_status ? PCI_DOE_STATUS_INT_STATUS : 0) |
          (dev.error ? PCI_DOE_STATUS_ERROR : 0) |
          (dev.data_object_ready ? PCI_DOE_STATUS_DATA_OBJECT_READY : 0)
        );
      case PCI_DOE_READ:
        return dev.read_mb[0] ?? 0;
      default:
        return 0;
    }
  }

  function pci_write_config_dword(where: number, val: number): void {
    switch (where) {
      case PCI_DOE_STATUS: // RW1C INT_STATUS; the rest is read-only
        if (FIELD_GET(PCI_DOE_STATUS_INT_STATUS, val)) dev.int_status = false;
        return;
      case PCI_DOE_CTRL: {
        const was = dev.int_en && dev.int_status;
        dev.int_en = FIELD_GET(PCI_DOE_CTRL_INT_EN, val);
        if (!dev.int_en) dev.int_status = false; // not tracked while disabled (see above)
        if (!was && dev.int_en && dev.int_status && irq_requested) msi_pending = true;
        if (FIELD_GET(PCI_DOE_CTRL_ABORT, val)) {
          if (dev.phase !== 'ABORTING' && dev.phase !== 'ABORT_HUNG') dev_abort();
        } else if (FIELD_GET(PCI_DOE_CTRL_GO, val)) {
          if (dev.phase === 'DEV_IDLE') {
            dev.phase = 'PROCESSING';
            dev.request_header = dev.write_mb[0];
          } // GO out of turn is ignored
          dev.write_mb = [];
        }
        return;
      }
      case PCI_DOE_WRITE:
        dev.write_mb.push(val);
        return;
      case PCI_DOE_READ: // any write advances the read mailbox
        if (
          (dev.phase === 'RESPONSE_READY' || dev.phase === 'BAD_RESPONSE') &&
          dev.read_mb.length > 0
        ) {
          dev.read_mb.shift();
          if (dev.read_mb.length === 0) {
            dev.data_object_ready = false;
            dev.phase = 'DEV_IDLE';
          }
        }
        return;
    }
  }

  function dev_respond(bad: boolean): void {
    const header = bad ? dev.request_header ^ (1 << 16) : dev.request_header;
    dev.read_mb = [header, 3, RESPONSE_PAYLOAD];
    dev.phase = bad ? 'BAD_RESPONSE' : 'RESPONSE_READY';
    dev.data_object_ready = true;
    dev_set_int_status();
  }

  /* ---------- kernel services ---------- */

  function schedule_delayed_work(w: delayed_work, delay: number): boolean {
    if (w.pending) return false;
    w.pending = true;
    w.delay = delay;
    w.expires = jiffies + delay;
    return true;
  }

  function mod_delayed_work(w: delayed_work, delay: number): void {
    w.pending = true;
    w.delay = delay;
    w.expires = jiffies + delay;
  }

  function cancel_delayed_work_sync(w: delayed_work): void {
    w.pending = false; // the work never sleeps, so it is never running here
  }

  function complete(c: completion): void {
    c.done++;
  }

  /** `who` sleeps until `c` completes; the scheduler (adapter) knows what it waits on. */
  function* wait_for_completion(c: completion, at: string, who: string): Preemptible<void> {
    waits.set(who, c);
    yield at;
    while (c.done === 0) yield BLOCKED;
    c.done--;
    waits.delete(who);
  }

  function wake_up_interruptible(wq: Set<number>): void {
    wq.clear();
  }

  /** wait_event_interruptible(doe->wq, cond) for caller `me` (signals are not modelled). */
  function* wait_event_interruptible(me: number, cond: () => boolean): Preemptible<void> {
    while (!cond()) {
      doe.wq.add(me);
      yield 'WAIT_EVENT';
      while (doe.wq.has(me)) yield BLOCKED;
    }
  }

  /** kfree(doe): with CONFIG_DEBUG_OBJECTS_WORK a harness sees a still-armed work as an error. */
  function kfree_doe(): void {
    if (doe.statemachine.pending) {
      throw new Error(
        'ODEBUG: free active (active state 0) object type: timer_list (doe->statemachine)',
      );
    }
    doe.freed = true;
  }

  /* ---------- the driver ---------- */

  /** v5: the control register is always written with INT_EN in IRQ mode. */
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

  function pci_doe_send_req(ex: pci_doe_exchange): number {
    const val = pci_read_config_dword(PCI_DOE_STATUS);
    /* Busy handling is best effort only (the seed's comment): another user can take it now. */
    if (FIELD_GET(PCI_DOE_STATUS_BUSY, val) && !has('no-busy-check')) return -EBUSY;
    if (FIELD_GET(PCI_DOE_STATUS_ERROR, val)) return -EIO;
    pci_write_config_dword(PCI_DOE_WRITE, (ex.prot.type << 16) | ex.prot.vid);
    pci_write_config_dword(PCI_DOE_WRITE, 2 + ex.request_pl_sz / 4);
    for (const dw of ex.request_pl) pci_write_config_dword(PCI_DOE_WRITE, dw);
    pci_doe_write_ctrl(PCI_DOE_CTRL_GO);
    return 0;
  }

  function pci_doe_recv_resp(ex: pci_doe_exchange): number {
    let val = pci_read_config_dword(PCI_DOE_READ);
    const vid = val & 0xffff;
    const type = (val >>> 16) & 0xff;
    pci_write_config_dword(PCI_DOE_READ, 0);
    val = pci_read_config_dword(PCI_DOE_READ);
    const length = val;
    pci_write_config_dword(PCI_DOE_READ, 0);
    if ((vid !== ex.prot.vid || type !== ex.prot.type) && !has('recv-resp-no-header-check')) {
      return -EIO;
    }
    const payload_length = Math.min(length - 2, ex.response_pl_sz / 4);
    for (let i = 0; i < payload_length; i++) {
      ex.response_pl[i] = pci_read_config_dword(PCI_DOE_READ);
      pci_write_config_dword(PCI_DOE_READ, 0);
    }
    return payload_length * 4;
  }

  function pci_doe_task_complete(c: completion): void {
    complete(c);
  }

  /** task->rv = rc; task->cb(task->private); */
  function signal_task(task: pci_doe_task, rc: number): void {
    task.rv = rc;
    emit({ type: 'callback', task: task.caller, rc });
    task.cb(task.private);
  }

  function doe_statemachine_work(): void {
    const w = doe.statemachine;
    let rc = 0;

    const task = doe.cur_task; // under state_lock
    const abort = doe.abort;
    doe.abort = false;

    if (abort) {
      /* Currently only used during init (WARN_ON(task)) */
      doe.state = 'DOE_WAIT_ABORT';
      pci_doe_abort_start();
      return;
    }

    /* The C code's goto labels: each break out of the switch below jumps to one of them. */
    let goto: 'err_abort' | 'err_busy';
    switch (doe.state) {
      case 'DOE_IDLE': {
        if (task === null) return;
        rc = pci_doe_send_req(task.ex);
        if (rc === -EBUSY) {
          doe.busy_retries++;
          if (doe.busy_retries === PCI_DOE_BUSY_MAX_RETRIES) {
            /* Long enough, fail this request ("DOE busy for too long") */
            doe.busy_retries = 0;
            goto = 'err_busy';
            break;
          }
          schedule_delayed_work(w, HZ / PCI_DOE_BUSY_MAX_RETRIES);
          return;
        }
        if (rc) {
          goto = 'err_abort';
          break;
        }
        emit({ type: 'request_written', task: task.caller });
        if (!has('busy-retries-not-reset')) doe.busy_retries = 0;

        doe.state = 'DOE_WAIT_RESP';
        doe.timeout_jiffies = jiffies + HZ;
        /* Now poll or wait for IRQ with timeout */
        if (doe.irq > 0) schedule_delayed_work(w, PCI_DOE_TIMEOUT);
        else schedule_delayed_work(w, PCI_DOE_POLL_INTERVAL);
        return;
      }

      case 'DOE_WAIT_RESP': {
        const cur = task!; // "Not possible to get here with NULL task"
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

        rc = pci_doe_recv_resp(cur.ex);
        if (rc < 0) {
          goto = 'err_abort';
          break;
        }
        emit({ type: 'response_read', task: cur.caller });

        doe.state = 'DOE_IDLE';
        doe.cur_task = null; // under state_lock
        if (!has('no-wake-on-response')) wake_up_interruptible(doe.wq);

        /* Set the return value to the length of received payload */
        signal_task(cur, rc);
        return;
      }

      case 'DOE_WAIT_ABORT':
      case 'DOE_WAIT_ABORT_ON_ERR': {
        const val = pci_read_config_dword(PCI_DOE_STATUS);
        if (!FIELD_GET(PCI_DOE_STATUS_ERROR, val) && !FIELD_GET(PCI_DOE_STATUS_BUSY, val)) {
          /* Back to normal state - carry on */
          doe.cur_task = null;
          wake_up_interruptible(doe.wq);
          /* For deliberately triggered abort, someone is waiting. */
          if (doe.state === 'DOE_WAIT_ABORT') complete(doe.abort_c);
          doe.state = 'DOE_IDLE';
          return;
        }
        if (time_after(jiffies, doe.timeout_jiffies)) {
          /* Task has timed out and is dead - abort ("DOE ABORT timed out") */
          emit({ type: 'mailbox_dead' });
          doe.dead = true;
          doe.cur_task = null;
          wake_up_interruptible(doe.wq);
          if (doe.state === 'DOE_WAIT_ABORT') complete(doe.abort_c);
          return;
        }
        /* The fix: whatever woke us early, keep polling the abort. */
        if (!waitAbortNoReschedule) schedule_delayed_work(w, PCI_DOE_POLL_INTERVAL);
        return;
      }
    }

    /* timeout-skips-abort: -ETIMEDOUT handled like a busy give-up (no abort). */
    if (goto === 'err_abort' && rc === -ETIMEDOUT && has('timeout-skips-abort')) {
      doe.state = 'DOE_IDLE';
      goto = 'err_busy';
    }
    if (goto === 'err_abort') {
      doe.state = 'DOE_WAIT_ABORT_ON_ERR';
      pci_doe_abort_start();
    }
    /* err_busy: */
    signal_task(task!, rc);
    /* If here via err_busy, signal the task done. */
    if (doe.state === 'DOE_IDLE' && !has('err-busy-keeps-cur-task')) {
      doe.cur_task = null;
      wake_up_interruptible(doe.wq);
    }
  }

  function* pci_doe_exchange_sync(caller: number, ex: pci_doe_exchange): Preemptible<number> {
    /* DOE requests must be a whole number of DW */
    if (ex.request_pl_sz % 4) return -EINVAL;

    const c: completion = { done: 0 }; // DECLARE_COMPLETION_ONSTACK(c)
    const task: pci_doe_task = {
      caller,
      ex,
      rv: 0,
      cb: pci_doe_task_complete,
      private: c,
    };

    for (;;) {
      /* again: mutex_lock(&doe->state_lock) */
      if (doe.cur_task) {
        yield* wait_event_interruptible(caller, () => doe.cur_task === null);
        continue; // goto again
      }
      if (doe.dead && !has('no-dead-check')) return -EIO;
      doe.cur_task = task;
      emit({ type: 'task_submitted', task: caller });
      schedule_delayed_work(doe.statemachine, 0);
      yield* wait_for_completion(c, 'WAIT_FOR_COMPLETION', `caller ${caller}`);
      return task.rv;
    }
  }

  function* pci_doe_irq(): Preemptible<irqreturn_t> {
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

  /** pci_doe_reg_irq(): the adapter's probe event says whether MSI is available. */
  function pci_doe_reg_irq(use_irq: boolean): void {
    if (!use_irq) return; // polling mode
    doe.irq = 42; // request_irq(irq, pci_doe_irq, 0, irq_name, doe)
    irq_requested = true;
    pci_write_config_dword(PCI_DOE_CTRL, PCI_DOE_CTRL_INT_EN);
  }

  function* pci_doe_release_irq(): Preemptible<void> {
    if (doe.irq > 0) {
      // free_irq() waits for a running handler
      while (contexts.isRunning('pci_doe_irq')) yield BLOCKED;
      irq_requested = false;
      msi_pending = false;
    }
  }

  function* pci_doe_abort(): Preemptible<number> {
    doe.abort_c.done = 0; // reinit_completion
    doe.abort = true; // under state_lock
    schedule_delayed_work(doe.statemachine, 0);
    yield* wait_for_completion(doe.abort_c, 'WAIT_ABORT_C', 'probe');
    if (doe.dead) return -EIO;
    return 0;
  }

  function* pci_doe_register(use_irq: boolean): Preemptible<number> {
    pci_doe_reg_irq(use_irq);
    const rc = yield* pci_doe_abort();
    if (rc) {
      /* err_free_irqs */
      yield* pci_doe_release_irq();
      if (!probeErrorNoCancel) cancel_delayed_work_sync(doe.statemachine);
      return rc;
    }
    return 0;
  }

  function* pci_doe_probe(use_irq: boolean): Preemptible<number> {
    const rc = yield* pci_doe_register(use_irq);
    if (rc) {
      kfree_doe(); // err_free
      return rc;
    }
    /* pci_doe_cache_protocols(): its exchanges are what the callers do (not modelled) */
    return 0;
  }

  /* ---------- the adapter ----------
   *
   * Each model event is one of:
   * - an entry point: `probe` (pci_doe_probe() up to wait_for_completion(&abort_c)), `call`
   *   (pci_doe_exchange_sync() up to its first sleep or return);
   * - advancing a context: `probe_resume` (probe after abort_c), `wake_recheck` (a woken caller
   *   goes round `again:`), `irq_read_status` / `irq_write_clear` / `irq_schedule_work` (the
   *   three steps of pci_doe_irq(), the first one started by a pending MSI), `work_run` (the
   *   workqueue runs doe_statemachine_work() once its timer has expired);
   * - the environment: `tick` (jiffies to timeout_jiffies, then one past it), the device_* and
   *   other_user_* events (the mailbox hardware).
   * A caller whose completion fired returns in the same step (the model merges them).
   *
   * Time: jiffies moves only on `tick`. A work queued with a delay shorter than PCI_DOE_TIMEOUT
   * (0, PCI_DOE_POLL_INTERVAL, HZ / PCI_DOE_BUSY_MAX_RETRIES) may run at any moment, as in the
   * model ("soon"); one queued with PCI_DOE_TIMEOUT runs once jiffies reaches its expiry.
   */

  /** What a caller's pci_doe_exchange_sync() returns is an output. */
  function callerStepped(i: number, result: Advanced<number>): void {
    if (result.done) emit({ type: 'exchange_return', caller: i, rc: result.value });
  }

  /** So is what pci_doe_irq() returns. */
  function irqStepped(result: Advanced<irqreturn_t>): void {
    if (result.done) emit({ type: 'irq_return', value: result.value });
  }

  function needPhase(...phases: dev_phase[]): void {
    if (!phases.includes(dev.phase)) throw new NotEnabledError(`the device is ${dev.phase}`);
  }

  function modeAllowed(mode: unknown): boolean {
    const modes = bounds.modes;
    return modes === 2 || (modes === 1) === (mode === 'irq');
  }

  /** A caller whose task's completion fired returns from pci_doe_exchange_sync() now. */
  function returnCompletedCallers(): void {
    for (let i = 0; i < bounds.callers; i++) {
      const name = `caller ${i}`;
      if (contexts.at(name) === 'WAIT_FOR_COMPLETION' && waits.get(name)?.done) {
        callerStepped(i, contexts.advance(name));
      }
    }
  }

  return {
    reset(next) {
      bounds = next;
      PCI_DOE_BUSY_MAX_RETRIES = bounds.busyRetries;
      jiffies = 1000;
      doe = {
        abort_c: { done: 0 },
        irq: 0,
        cur_task: null,
        wq: new Set(),
        statemachine: { pending: false, delay: 0, expires: 0 },
        state: 'DOE_IDLE',
        timeout_jiffies: 0,
        busy_retries: 0,
        abort: false,
        dead: false,
        freed: false,
      };
      dev = {
        phase: 'DEV_IDLE',
        busy: false,
        error: false,
        data_object_ready: false,
        int_status: false,
        int_en: false,
        write_mb: [],
        request_header: 0,
        read_mb: [],
      };
      irq_requested = false;
      msi_pending = false;
      contexts.clear();
      waits.clear();
      probed = false;
      ready = false;
      return [];
    },

    apply(event) {
      outputs = [];
      switch (event.type) {
        case 'probe': {
          if (probed || !modeAllowed(event.mode)) throw new NotEnabledError('cannot probe');
          probed = true;
          contexts.start('probe', pci_doe_probe(event.mode === 'irq'));
          break;
        }
        case 'probe_resume': {
          const result = contexts.advanceFrom<number>('probe', 'WAIT_ABORT_C');
          if (!result.done) throw new Error('pci_doe_probe() stopped twice');
          ready = result.value === 0;
          break;
        }
        case 'call': {
          const i = Number(event.caller);
          if (!ready || doe.freed) throw new NotEnabledError('the doe is not probed');
          if (!(i < bounds.callers)) throw new NotEnabledError(`no caller ${i}`);
          if (contexts.isRunning(`caller ${i}`)) throw new NotEnabledError(`caller ${i} is busy`);
          const sz = event.wholeDwords ? 4 : 3;
          const ex: pci_doe_exchange = {
            prot: DISCOVERY,
            request_pl: [i],
            request_pl_sz: sz,
            response_pl: [0],
            response_pl_sz: 4,
          };
          callerStepped(i, contexts.start(`caller ${i}`, pci_doe_exchange_sync(i, ex)));
          break;
        }
        case 'wake_recheck': {
          const i = Number(event.caller);
          if (contexts.at(`caller ${i}`) === 'WAIT_EVENT' && doe.wq.has(i)) {
            throw new NotEnabledError(`caller ${i} is asleep`);
          }
          callerStepped(i, contexts.advanceFrom(`caller ${i}`, 'WAIT_EVENT'));
          break;
        }
        case 'work_run': {
          const w = doe.statemachine;
          if (!w.pending) throw new NotEnabledError('the work is not queued');
          /* Every delay shorter than PCI_DOE_TIMEOUT may expire at any moment (the model's
           * "soon"); the 1 s timer only once jiffies has reached it. */
          if (w.delay >= PCI_DOE_TIMEOUT && time_after(w.expires, jiffies)) {
            throw new NotEnabledError('the work timer has not expired');
          }
          w.pending = false; // the workqueue clears PENDING before it calls the function
          doe_statemachine_work();
          break;
        }
        case 'tick':
          if (doe.state === 'DOE_IDLE' || time_after(jiffies, doe.timeout_jiffies)) {
            throw new NotEnabledError('no deadline armed');
          }
          jiffies = time_after(doe.timeout_jiffies, jiffies)
            ? doe.timeout_jiffies
            : doe.timeout_jiffies + 1;
          break;
        case 'irq_read_status':
          if (!msi_pending || contexts.isRunning('pci_doe_irq')) {
            throw new NotEnabledError('no interrupt to handle');
          }
          msi_pending = false;
          irqStepped(contexts.start('pci_doe_irq', pci_doe_irq()));
          break;
        case 'irq_write_clear':
          irqStepped(contexts.advanceFrom('pci_doe_irq', 'WRITE_CLEAR'));
          break;
        case 'irq_schedule_work':
          irqStepped(contexts.advanceFrom('pci_doe_irq', 'MOD_WORK'));
          break;
        case 'device_respond':
        case 'device_respond_bad':
          needPhase('PROCESSING');
          dev_respond(event.type === 'device_respond_bad');
          break;
        case 'device_error':
          needPhase('PROCESSING');
          dev.phase = 'ERROR_SET';
          dev.error = true;
          dev_set_int_status();
          break;
        case 'device_hang':
          needPhase('PROCESSING');
          dev.phase = 'HUNG';
          break;
        case 'device_abort_done':
          needPhase('ABORTING');
          /* An abort clears ERROR and Data Object Ready, then BUSY (which sets INT_STATUS). */
          dev.error = false;
          dev.data_object_ready = false;
          dev.read_mb = [];
          dev.busy = false;
          dev.phase = 'DEV_IDLE';
          dev_set_int_status();
          break;
        case 'device_abort_hang':
          needPhase('ABORTING');
          dev.phase = 'ABORT_HUNG';
          break;
        case 'other_user_busy':
          needPhase('DEV_IDLE');
          if (bounds.otherUser !== 1) throw new NotEnabledError('no other user');
          dev.phase = 'OTHER_USER';
          dev.busy = true;
          break;
        case 'other_user_done':
          needPhase('OTHER_USER');
          dev.phase = 'DEV_IDLE';
          dev.busy = false;
          dev_set_int_status();
          break;
        default:
          throw new NotEnabledError(`unknown event '${event.type}'`);
      }
      returnCompletedCallers();
      return outputs;
    },
  };
}

export const pciDoeDriver: DriverDefinition = {
  protocol: 'pci-doe',
  file: 'drivers/pci-doe.ts',
  variants: PCI_DOE_DRIVER_VARIANTS,
  create: createPciDoeDriver,
};
