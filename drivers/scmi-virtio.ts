/**
 * The SCMI virtio transport's TX channel (drivers/firmware/arm_scmi/virtio.c with
 * "[PATCH v8 09/11] firmware: arm_scmi: Add atomic mode support to virtio transport",
 * sources/scmi-virtio-atomic.txt) as imperative TypeScript: the system under test for
 * `mailbox-models conform scmi-virtio`. It does not import the model.
 *
 * The default driver is v8 with the four-part fix of docs/scmi-virtio.md ("The fix"); the
 * variant `as-written` is v8 exactly as posted.
 *
 * The transport (virtio_send_message, virtio_poll_done, virtio_mark_txdone,
 * scmi_vio_complete_cb, scmi_vio_deferred_tx_worker, scmi_vio_feed_vq_tx) is written as the C
 * code is. Code that can be preempted between lock sections is a generator that `yield`s where
 * the C code drops a lock (or another CPU may run): virtio_poll_done, scmi_vio_complete_cb and
 * the worker. Its seams, driven by the adapter at the bottom:
 * - the split virtqueue and the SCMI platform device behind it (buffers added, the used ring,
 *   the NO_INTERRUPT hint, the interrupt line);
 * - the SCMI core: do_xfer() on each CPU (a generator too: the polling loop, the wait on
 *   xfer->done, the timeout), scmi_rx_callback() -> the token lookup of scmi_handle_response();
 * - the workqueue running deferred_tx_work, and the interrupt running vring_interrupt().
 *
 * Outputs are the transport's observable behaviour: `returned(token, msg)` when the device
 * returns a buffer, `handed(deliveries)` when replies are handed to the core (by
 * scmi_rx_callback, or by virtio_poll_done returning true with the reply in xfer->priv),
 * `poll_done(xfer)`, `timed_out(xfer)` and `busy(xfer)` (-EBUSY from send_message). Lists
 * check CONFIG_DEBUG_LIST's "list_add double add" (a BUG: the adapter throws, a divergence).
 *
 * Variants: most are killed by the suites generated at the model's default bounds; the deep
 * ones declare DEEP_VARIANT_BOUNDS as their killBounds (see there).
 */
import {
  NotEnabledError,
  type DriverAdapter,
  type DriverDefinition,
  type DriverVariant,
} from '../src/testgen/conform.ts';
import { BLOCKED, ExecutionContexts, type Preemptible } from '../harness/execution-contexts.ts';
import type { Output } from '../src/model/model.ts';
import type { VectorEvent } from '../src/testgen/vectors.ts';

const EBUSY = 16;
const ETIMEDOUT = 110;

/* The patch's out-of-range poll_idx markers. */
const VIO_MSG_NOT_POLLED = 0xeeeeeeee;
const VIO_MSG_POLL_DONE = 0xffffffff;

interface scmi_vio_msg {
  /** Index in the pool (the descriptor the device sees). */
  id: number;
  /** msg->request: the header written by msg_tx_prepare(), i.e. the transfer's token. */
  request_token: number;
  poll_idx: number;
  /* rx_len is not modelled: the harness checks whose reply, not its length. */
}

/** The SCMI core's struct scmi_xfer, as far as the transport sees it. */
interface scmi_xfer {
  token: number;
  poll_completion: boolean;
  priv: scmi_vio_msg | null;
  /** xfer->done: completed and not yet consumed. */
  done: boolean;
  /** xfer->state == SCMI_XFER_RESP_OK */
  resp_ok: boolean;
  /** The harness's clock: ktime_get() is past this transfer's stop time. */
  deadline_passed: boolean;
  /** For the outputs: the poll loop already reported the hand-over of its reply. */
  handover_reported: boolean;
}

/** The split virtqueue as the driver and the device share it. */
interface virtqueue {
  /** Buffers added (virtqueue_add_sgs) that the device has not returned yet. */
  device_holds: scmi_vio_msg[];
  /** The used ring, oldest first, from last_used_idx on. */
  used: scmi_vio_msg[];
  /** vring.used->idx (device side) and the driver's last_used_idx. */
  used_idx: number;
  last_used_idx: number;
  /** VRING_AVAIL_F_NO_INTERRUPT */
  no_interrupt: boolean;
}

interface scmi_vio_channel {
  vqueue: virtqueue;
  /** list_head free_list / pending_cmds_list, head first. */
  free_list: scmi_vio_msg[];
  pending_cmds_list: scmi_vio_msg[];
  max_msg: number;
  /** Who holds vioch->ready_lock across a preemption point (null: free). */
  ready_lock: string | null;
  /** deferred_tx_work has WORK_STRUCT_PENDING set. */
  deferred_tx_work_pending: boolean;
}

type Step<R = void> = Preemptible<R>;

/**
 * The bounds at which the deep variants below become observable in the outputs: one CPU, three
 * messages, three transfers, so that the worker walks pending_cmds_list twice for one poll loop
 * and a reply can arrive after a poll loop found its own. At the default bounds (two
 * transfers) v7-missing-list-del only corrupts the lists (the worker walks them once, and the
 * stale entry is never added next to itself, so CONFIG_DEBUG_LIST does not see it either);
 * poll-done-no-enable-cb shows only on some random seeds (2 and 6), not on the tour, the state
 * cover or the default seed.
 */
export const DEEP_VARIANT_BOUNDS = { maxMsg: 3, cpus: 1, transfers: 3 } as const;

/**
 * The driver's bug variants. The suites generated at the model's default bounds kill those
 * without killBounds; `conform --variant` and the tests run the deep ones at their killBounds.
 */
export const SCMI_VIRTIO_DRIVER_VARIANTS: DriverVariant[] = [
  {
    name: 'as-written',
    description:
      'v8 exactly as posted: the IRQ path hands and frees polled messages, mark_txdone frees on ret == 0 && list_empty(), poll_done neither marks its own reply POLL_DONE nor keeps another CPU\u2019s mark',
    source: 'sources/scmi-virtio-atomic.txt (the whole patch)',
  },
  {
    name: 'no-deferred-worker',
    description: 'poll_done prefetches onto pending_cmds_list but queue_work() does nothing',
    source: 'sources/scmi-virtio-atomic.txt:24 (v7 -> v8 changelog), :492',
  },
  {
    name: 'index-moved-means-done',
    description:
      'virtio_poll_done() returns true as soon as the used index moved, without dequeuing',
    source: 'sources/scmi-virtio-atomic.txt:393-396',
  },
  {
    name: 'worker-skips-complete-cb',
    description:
      'code only: scmi_vio_deferred_tx_worker() does not end with scmi_vio_complete_cb(), so buffers left in the vqueue by a poll loop wait for an interrupt that was suppressed',
    source:
      'code only (sources/scmi-virtio-atomic.txt:218-219 "Process possibly still pending messages")',
  },
  {
    name: 'poll-done-drops-prefetched',
    description:
      'code only: virtio_poll_done() dequeues a non-polled reply without putting it on pending_cmds_list (the reply is lost)',
    source: 'code only (sources/scmi-virtio-atomic.txt:488-491)',
  },
  {
    name: 'txdone-frees-timed-out',
    description: 'virtio_mark_txdone() frees polled messages even when the transfer timed out',
    source: 'sources/scmi-virtio-atomic.txt:350-360 (the comment saying why it must not), :381',
  },
  /* The deep variants: observable only at DEEP_VARIANT_BOUNDS. */
  {
    name: 'v7-missing-list-del',
    description: 'the deferred worker walks pending_cmds_list without list_del()',
    source: 'sources/scmi-virtio-atomic.txt:27 (v6 -> v7 changelog), the list_del() at :211',
    killBounds: DEEP_VARIANT_BOUNDS,
  },
  {
    name: 'poll-done-no-enable-cb',
    description:
      'code only: virtio_poll_done() leaves callbacks disabled after finding its reply (no virtqueue_enable_cb()), so later replies raise no interrupt',
    source: 'code only (sources/scmi-virtio-atomic.txt:503-504)',
    killBounds: DEEP_VARIANT_BOUNDS,
  },
];

function createScmiVirtioDriver(variants: ReadonlySet<string>): DriverAdapter {
  const has = (name: string) => variants.has(name);
  const as_written = has('as-written');

  let vioch!: scmi_vio_channel;
  /* The SCMI core: pending transfers by token, the next token, the transfers budget. */
  let pending_xfers = new Map<number, scmi_xfer>();
  let next_token = 0;
  let transfers = 0;
  /* The interrupt line of the virtqueue: raised by the device, taken by irq(cpu). */
  let irq_line = false;
  /** The CPU the interrupt handler runs on, -1 when it does not run. */
  let irq_on = -1;
  /* Execution contexts: cpu0..cpuN-1 (the core's do_xfer), irq and worker. */
  const contexts = new ExecutionContexts();
  let cpus = 0;
  let outputs: Output[] = [];
  /* Replies scmi_rx_callback() handed to the core in the current lock section. */
  let deliveries: Array<{ token: number; xfer: number; via: 'rx_callback' | 'poll_done' }> = [];

  function report_handed(): void {
    outputs.push({ type: 'handed', deliveries });
    deliveries = [];
  }

  /* ---------- the virtqueue API (virtio_ring.c, split ring) ---------- */

  function virtqueue_add_sgs(msg: scmi_vio_msg): void {
    vioch.vqueue.device_holds.push(msg);
  }

  function virtqueue_get_buf(): scmi_vio_msg | null {
    const vq = vioch.vqueue;
    const msg = vq.used.shift() ?? null;
    if (msg) vq.last_used_idx++;
    return msg;
  }

  function virtqueue_disable_cb(): void {
    vioch.vqueue.no_interrupt = true;
  }

  function virtqueue_enable_cb_prepare(): number {
    vioch.vqueue.no_interrupt = false;
    return vioch.vqueue.last_used_idx;
  }

  /** `(u16)last_used_idx != used->idx`: the markers never equal a (small) used index. */
  function virtqueue_poll(last_used_idx: number): boolean {
    return (last_used_idx & 0xffff) !== vioch.vqueue.used_idx;
  }

  /** True when nothing is pending. */
  function virtqueue_enable_cb(): boolean {
    return !virtqueue_poll(virtqueue_enable_cb_prepare());
  }

  /*
   * list_add() / list_add_tail() with CONFIG_DEBUG_LIST's __list_add_valid(): adding an entry
   * next to itself ("list_add double add") is a BUG(). A harness runs the kernel with it on; an
   * entry added twice elsewhere in a list corrupts it silently, as in the kernel.
   */
  function list_add(msg: scmi_vio_msg, head: scmi_vio_msg[]): void {
    if (head[0] === msg) throw new Error(`list_add double add: msg ${msg.id}`);
    head.unshift(msg);
  }

  function list_add_tail(msg: scmi_vio_msg, head: scmi_vio_msg[]): void {
    if (head[head.length - 1] === msg || head[0] === msg) {
      throw new Error(`list_add double add: msg ${msg.id}`);
    }
    head.push(msg);
  }

  function list_empty(msg: scmi_vio_msg): boolean {
    return !vioch.free_list.includes(msg) && !vioch.pending_cmds_list.includes(msg);
  }

  function queue_work(): void {
    if (has('no-deferred-worker')) return;
    vioch.deferred_tx_work_pending = true; // a queued item stays queued once
  }

  /* ---------- the SCMI core's receive side (driver.c) ---------- */

  /** scmi_rx_callback() -> scmi_handle_response(): look the transfer up by its token. */
  function scmi_rx_callback(msg: scmi_vio_msg): void {
    const token = msg.request_token;
    deliveries.push({ token, xfer: token, via: 'rx_callback' });
    const xfer = pending_xfers.get(token);
    if (!xfer || xfer.resp_ok) return; // late or unexpected: discarded
    xfer.priv = msg;
    xfer.resp_ok = true; // fetch_response, SCMI_XFER_RESP_OK
    xfer.done = true; // complete(&xfer->done)
  }

  /* ---------- the transport (virtio.c) ---------- */

  /** Called with vioch->lock held. */
  function scmi_vio_feed_vq_tx(msg: scmi_vio_msg): void {
    msg.poll_idx = VIO_MSG_NOT_POLLED; // under msg->poll_lock
    list_add(msg, vioch.free_list);
  }

  function scmi_finalize_message(msg: scmi_vio_msg): void {
    scmi_vio_feed_vq_tx(msg);
  }

  /** The TX part of virtio_chan_setup(): each new message list_add()ed to free_list. */
  function virtio_chan_setup(): void {
    for (let i = 0; i < vioch.max_msg; i++) {
      const msg: scmi_vio_msg = { id: i, request_token: -1, poll_idx: 0 };
      scmi_vio_feed_vq_tx(msg); // under vioch->lock
    }
  }

  /** One vioch->lock section. */
  function virtio_send_message(xfer: scmi_xfer): number {
    if (vioch.free_list.length === 0) return -EBUSY;
    const msg = vioch.free_list[0]; // list_first_entry()
    vioch.free_list.shift(); // list_del_init()
    msg.request_token = xfer.token; // msg_tx_prepare()
    virtqueue_add_sgs(msg);
    if (xfer.poll_completion) {
      msg.poll_idx = virtqueue_enable_cb_prepare(); // under msg->poll_lock
      xfer.priv = msg; // smp_store_mb()
    }
    // virtqueue_kick()
    return 0;
  }

  function virtio_mark_txdone(ret: number, xfer: scmi_xfer): void {
    const msg = xfer.priv;
    if (!msg) return;
    xfer.priv = null;
    // spin_lock_irqsave(&vioch->lock)
    if (!xfer.poll_completion) return;
    if (as_written) {
      if ((ret === 0 || has('txdone-frees-timed-out')) && list_empty(msg)) {
        scmi_vio_feed_vq_tx(msg);
      }
      return;
    }
    // Fix, part 4: free it iff it was dequeued for us (POLL_DONE), whatever ret; otherwise
    // the device still owns it: let the late-reply paths treat it as a non-polled message.
    if (msg.poll_idx === VIO_MSG_POLL_DONE || has('txdone-frees-timed-out')) {
      scmi_vio_feed_vq_tx(msg);
    } else {
      msg.poll_idx = VIO_MSG_NOT_POLLED; // under msg->poll_lock
    }
  }

  /** Returns whether polling completed; yields where it drops a lock. */
  function* virtio_poll_done(xfer: scmi_xfer): Step<boolean> {
    const msg = xfer.priv;
    if (!msg) return true;

    // spin_lock_irqsave(&msg->poll_lock)
    if (msg.poll_idx === VIO_MSG_POLL_DONE) return true;
    let pending = virtqueue_poll(msg.poll_idx);
    // spin_unlock_irqrestore(&msg->poll_lock)
    if (!pending) return false;
    if (has('index-moved-means-done')) return true;

    yield 'POLL_FETCH';
    // spin_lock_irqsave(&vioch->lock)
    let ret = false;
    let any_prefetched = 0;
    virtqueue_disable_cb();
    let next_msg: scmi_vio_msg | null;
    while ((next_msg = virtqueue_get_buf())) {
      if (next_msg === msg) {
        ret = true;
        // Fix, part 2: remember that the device returned it, for mark_txdone().
        if (!as_written) msg.poll_idx = VIO_MSG_POLL_DONE;
        break;
      }
      // spin_lock(&next_msg->poll_lock)
      if (next_msg.poll_idx === VIO_MSG_NOT_POLLED) {
        if (!has('poll-done-drops-prefetched')) {
          any_prefetched++;
          list_add_tail(next_msg, vioch.pending_cmds_list);
        }
      } else {
        next_msg.poll_idx = VIO_MSG_POLL_DONE;
      }
    }
    if (!ret && !as_written && msg.poll_idx === VIO_MSG_POLL_DONE) {
      // Fix, part 3: another context dequeued our reply after our poll_lock section; do not
      // erase its mark with a fresh index (we would wait for a buffer nobody will return).
      ret = true;
    }
    if (ret) {
      pending = has('poll-done-no-enable-cb')
        ? vioch.vqueue.used.length > 0
        : !virtqueue_enable_cb();
    } else {
      msg.poll_idx = virtqueue_enable_cb_prepare(); // under msg->poll_lock
      pending = virtqueue_poll(msg.poll_idx);
    }
    // spin_unlock_irqrestore(&vioch->lock)

    if (any_prefetched || pending) {
      // Observation point: what this section dequeued for the core, seen before the kick.
      if (ret) deliveries.push({ token: msg.request_token, xfer: xfer.token, via: 'poll_done' });
      report_handed();
      xfer.handover_reported = ret;
      yield 'POLL_KICK';
      queue_work();
    }
    return ret;
  }

  /** vring_interrupt() / the worker's tail: one ready_lock section per loop iteration. */
  function* scmi_vio_complete_cb(who: string): Step {
    let cb_enabled = true;
    for (;;) {
      yield 'CB_GET';
      while (vioch.ready_lock !== null) yield BLOCKED; // spin_lock_irqsave(&vioch->ready_lock)
      vioch.ready_lock = who;
      // vioch->ready is always true here (no teardown). spin_lock(&vioch->lock)
      if (cb_enabled) {
        virtqueue_disable_cb();
        cb_enabled = false;
      }
      const msg = virtqueue_get_buf();
      if (!msg) {
        if (virtqueue_enable_cb()) {
          // goto unlock_out
          vioch.ready_lock = null;
          return;
        }
        cb_enabled = true;
      }
      if (msg && !as_written && msg.poll_idx !== VIO_MSG_NOT_POLLED) {
        // Fix, part 1: a polled message belongs to its poller until mark_txdone(); mark it
        // dequeued, as another CPU's poll loop would (under msg->poll_lock).
        msg.poll_idx = VIO_MSG_POLL_DONE;
        vioch.ready_lock = null;
        continue;
      }
      // spin_unlock(&vioch->lock)
      if (msg) {
        yield 'CB_HAND';
        scmi_rx_callback(msg);
        report_handed();
        yield 'CB_FINALIZE';
        scmi_finalize_message(msg); // under vioch->lock
      }
      vioch.ready_lock = null; // spin_unlock_irqrestore(&vioch->ready_lock)
    }
  }

  function* scmi_vio_deferred_tx_worker(): Step {
    yield 'PENDING_LIST';
    // spin_lock_irqsave(&vioch->lock); list_for_each_entry_safe()
    for (const msg of [...vioch.pending_cmds_list]) {
      if (!has('v7-missing-list-del'))
        vioch.pending_cmds_list.splice(vioch.pending_cmds_list.indexOf(msg), 1);
      scmi_rx_callback(msg);
      scmi_vio_feed_vq_tx(msg);
    }
    report_handed();
    // spin_unlock_irqrestore(&vioch->lock)
    if (has('worker-skips-complete-cb')) return;
    yield* scmi_vio_complete_cb('worker');
  }

  /* ---------- the SCMI core's do_xfer() on one CPU (driver.c, v5.17) ---------- */

  function ktime_after(xfer: scmi_xfer): boolean {
    return xfer.deadline_passed;
  }

  function* do_xfer(poll_completion: boolean): Step {
    const xfer: scmi_xfer = {
      token: next_token++,
      poll_completion,
      priv: null,
      done: false,
      resp_ok: false,
      deadline_passed: false,
      handover_reported: false,
    };
    pending_xfers.set(xfer.token, xfer); // xfer_get()
    if (virtio_send_message(xfer) === -EBUSY) {
      outputs.push({ type: 'busy', xfer: xfer.token });
      pending_xfers.delete(xfer.token); // xfer_put()
      return;
    }
    let ret: number | null = null;
    if (poll_completion) {
      // spin_until_cond(poll_done() || try_wait_for_completion() || ktime_after(now, stop))
      for (;;) {
        yield 'POLL_CHECK';
        if (yield* virtio_poll_done(xfer)) {
          outputs.push({ type: 'poll_done', xfer: xfer.token });
          if (!xfer.handover_reported) {
            const msg = xfer.priv!;
            deliveries.push({ token: msg.request_token, xfer: xfer.token, via: 'poll_done' });
            report_handed();
          }
          xfer.handover_reported = false;
          break;
        }
        yield 'TRY_WAIT';
        if (xfer.done) {
          xfer.done = false; // try_wait_for_completion()
          break;
        }
        // The loop's ktime_after() and the check after the loop read the same clock: one step.
        if (ktime_after(xfer)) {
          ret = -ETIMEDOUT;
          break;
        }
      }
      if (ret === null) {
        yield 'POLL_EXIT';
        if (ktime_after(xfer)) {
          ret = -ETIMEDOUT;
        } else {
          // spin_lock(&xfer->lock): fetch_response unless already SCMI_XFER_RESP_OK
          xfer.resp_ok = true;
          ret = 0;
        }
      }
    } else {
      yield 'WAIT';
      // wait_for_completion_timeout(&xfer->done)
      while (!xfer.done && !ktime_after(xfer)) yield BLOCKED;
      if (xfer.done) {
        xfer.done = false;
        ret = 0;
      } else {
        ret = -ETIMEDOUT;
      }
    }
    if (ret === -ETIMEDOUT) outputs.push({ type: 'timed_out', xfer: xfer.token });
    yield 'MARK_TXDONE';
    virtio_mark_txdone(ret, xfer);
    pending_xfers.delete(xfer.token); // xfer_put()
  }

  /* ---------- the adapter ---------- */

  function advance(name: string): void {
    const result = contexts.advance(name);
    if (result.done && name === 'irq') irq_on = -1;
  }

  /** A CPU's caller does not run while the interrupt handler runs on that CPU. */
  function cpuContext(event: VectorEvent): string {
    const cpu = Number(event.cpu);
    if (irq_on === cpu) throw new NotEnabledError(`cpu${cpu} runs the interrupt handler`);
    return `cpu${cpu}`;
  }

  /** The transfer each CPU context runs: the harness's clock passes its deadline on `expire`. */
  let xfer_of: Record<string, scmi_xfer | undefined> = {};

  function device_reply(id: number): void {
    const vq = vioch.vqueue;
    const msg = vq.device_holds.find((m) => m.id === id);
    if (!msg) throw new NotEnabledError(`the device does not hold msg ${id}`);
    vq.device_holds = vq.device_holds.filter((m) => m !== msg);
    outputs.push({ type: 'returned', token: msg.request_token, msg: id });
    vq.used.push(msg);
    vq.used_idx++;
    if (!vq.no_interrupt) irq_line = true;
  }

  return {
    reset(bounds) {
      vioch = {
        vqueue: {
          device_holds: [],
          used: [],
          used_idx: 0,
          last_used_idx: 0,
          no_interrupt: false,
        },
        free_list: [],
        pending_cmds_list: [],
        max_msg: bounds.maxMsg,
        ready_lock: null,
        deferred_tx_work_pending: false,
      };
      virtio_chan_setup();
      contexts.clear();
      cpus = bounds.cpus;
      pending_xfers = new Map();
      xfer_of = {};
      next_token = 0;
      transfers = bounds.transfers;
      irq_line = false;
      irq_on = -1;
      deliveries = [];
      return [];
    },
    apply(event) {
      outputs = [];
      switch (event.type) {
        case 'send': {
          const name = cpuContext(event);
          if (!(Number(event.cpu) < cpus)) throw new NotEnabledError(`no ${name}`);
          if (next_token >= transfers) throw new NotEnabledError('every transfer was issued');
          const token = next_token;
          contexts.start(name, do_xfer(event.polled === true));
          xfer_of[name] = pending_xfers.get(token);
          break;
        }
        case 'step':
          advance(cpuContext(event));
          break;
        case 'expire': {
          const name = cpuContext(event);
          const at = contexts.at(name);
          const xfer = xfer_of[name];
          if (
            !xfer ||
            !(at === 'POLL_EXIT' || ((at === 'TRY_WAIT' || at === 'WAIT') && !xfer.done))
          ) {
            throw new NotEnabledError(`${name}: no deadline to pass at ${at ?? 'IDLE'}`);
          }
          xfer.deadline_passed = true;
          advance(name);
          break;
        }
        case 'irq': {
          if (contexts.isRunning('irq') || !irq_line) {
            throw new NotEnabledError('no interrupt pending');
          }
          irq_line = false;
          // vring_interrupt(): !more_used() -> IRQ_NONE
          if (vioch.vqueue.used.length === 0) break;
          irq_on = Number(event.cpu);
          contexts.enter('irq', scmi_vio_complete_cb('irq'), 'START');
          advance('irq');
          break;
        }
        case 'irq_step':
          advance('irq');
          break;
        case 'work_step':
          if (contexts.isRunning('worker')) {
            advance('worker');
          } else {
            if (!vioch.deferred_tx_work_pending) throw new NotEnabledError('no work queued');
            vioch.deferred_tx_work_pending = false; // the work item starts running
            contexts.start('worker', scmi_vio_deferred_tx_worker());
          }
          break;
        case 'device_reply':
          device_reply(Number(event.msg));
          break;
        default:
          throw new NotEnabledError(`unknown event '${event.type}'`);
      }
      return outputs;
    },
  };
}

export const scmiVirtioDriver: DriverDefinition = {
  protocol: 'scmi-virtio',
  file: 'drivers/scmi-virtio.ts',
  variants: SCMI_VIRTIO_DRIVER_VARIANTS,
  create: createScmiVirtioDriver,
};
