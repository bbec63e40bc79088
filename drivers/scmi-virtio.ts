/**
 * The SCMI virtio transport's TX channel (drivers/firmware/arm_scmi/virtio.c with
 * "[PATCH v8 09/11] firmware: arm_scmi: Add atomic mode support to virtio transport",
 * sources/scmi-virtio-atomic.txt) as imperative TypeScript: the system under test for
 * `mailbox-models conform scmi-virtio`. It does not import the model.
 *
 * The default driver is v8 with the fix of docs/scmi-virtio.md ("The fix"); the variant
 * `as-written` is v8 exactly as posted.
 *
 * The transport (virtio_send_message, virtio_poll_done, virtio_mark_txdone,
 * scmi_vio_complete_cb, scmi_vio_deferred_tx_worker, scmi_vio_feed_vq_tx, virtio_chan_free)
 * is written as the C code is. Code that can be preempted between lock sections is a generator
 * that `yield`s where the C code drops a lock (or another CPU may run). Its seams, driven by the
 * adapter at the bottom:
 * - the split virtqueue and the SCMI platform device behind it (buffers added, the used ring,
 *   the NO_INTERRUPT hint, the interrupt line; a device that answers with an error status,
 *   loses a buffer, or notifies although asked not to);
 * - the SCMI core (driver.c of v5.17): do_xfer() on each CPU (a generator too: the polling
 *   loop, the wait on xfer->done), xfer_get()'s token allocation, scmi_rx_callback() -> the
 *   token lookup of scmi_handle_response();
 * - jiffies (`tick`), the workqueue running deferred_tx_work, the interrupt running
 *   vring_interrupt(), and scmi_remove() calling virtio_chan_free().
 *
 * Outputs are the transport's and the core's observable behaviour, each where the C code does
 * it: `returned` (the device puts a buffer on the used ring), `fetched` (fetch_response copies a
 * reply into a transfer), `discarded` (scmi_rx_callback drops a reply), `poll_done`
 * (virtio_poll_done returns true), `completed` (do_xfer returns), `queue_work` (with the state of
 * the workqueue it reaches), `chan_freed`. A reply is named by the transfer whose request was in
 * the buffer when the device answered: a ghost the harness's device keeps beside the header.
 * Lists check CONFIG_DEBUG_LIST's "list_add double add" (a BUG: the adapter throws, a
 * divergence).
 *
 * Variants: most are killed by the suites generated at the model's default bounds; the others
 * declare the bounds at which they are (killBounds).
 */
import {
  NotEnabledError,
  type DriverAdapter,
  type DriverDefinition,
  type DriverVariant,
} from '../src/testgen/conform.ts';
import { ExecutionContexts, waitAt, type Preemptible } from '../harness/execution-contexts.ts';
import type { Output } from '../src/model/model.ts';
import type { VectorEvent } from '../src/testgen/vectors.ts';

const ENOMEM = 12;
const EBUSY = 16;
const EOPNOTSUPP = 95;
const ETIMEDOUT = 110;

/* The patch's out-of-range poll_idx markers. */
const VIO_MSG_NOT_POLLED = 0xeeeeeeee;
const VIO_MSG_POLL_DONE = 0xffffffff;

const SCMI_SUCCESS = 0;
const SCMI_ERR_SUPPORT = -1;

/** xfer->state */
const SCMI_XFER_SENT_OK = 0;
const SCMI_XFER_RESP_OK = 1;
const SCMI_XFER_DRESP_OK = 2;

interface scmi_vio_msg {
  /** Index in the pool (the descriptor the device sees). */
  id: number;
  /** msg->request: the header's token, and (ghost) the transfer whose request it is. */
  request_token: number;
  request_gid: number;
  /** The command asks for a delayed response (its message id is an async one). */
  request_async: boolean;
  /** msg->input: the status word of the reply in it, and (ghost) whose reply it is (-1 none). */
  input_status: number;
  input_gid: number;
  poll_idx: number;
}

/** An RX (eventq) struct scmi_vio_msg: its input holds a delayed response. */
interface scmi_vio_rx_msg {
  id: number;
  /** The delayed response's header token and status, and (ghost) whose command it answers. */
  input_token: number;
  input_status: number;
  input_gid: number;
}

/** The SCMI core's struct scmi_xfer, as far as the transport sees it. */
interface scmi_xfer {
  /** Ghost: the transfer's id (issue order). */
  gid: number;
  /** xfer->hdr.seq */
  token: number;
  poll_completion: boolean;
  priv: scmi_vio_msg | null;
  /** xfer->done: completed and not yet consumed. */
  done: boolean;
  state: number;
  /** xfer->hdr.status */
  status: number;
  /** ktime / jiffies at which the transfer's timeout passes: `stop`, or the timer's expiry. */
  stop: number;
  /** xfer->async_done: do_xfer_with_response()'s on-stack completion, or NULL. */
  async_done: { done: boolean } | null;
  /** xfer->users: the caller's reference and the RX path's while it handles a message. */
  users: number;
}

/** What deferred_tx_wq points to: a workqueue, being destroyed or freed. */
interface workqueue_struct {
  draining: boolean;
  freed: boolean;
}

/** The split virtqueue as the driver and the device share it. */
interface virtqueue {
  /** Buffers added (virtqueue_add_sgs) that the device has not returned yet. */
  device_holds: scmi_vio_msg[];
  /** Buffers the device lost: it keeps them and never returns them. */
  device_lost: scmi_vio_msg[];
  /** The used ring, oldest first, from last_used_idx on. */
  used: scmi_vio_msg[];
  /** vring.used->idx (device side) and the driver's last_used_idx. */
  used_idx: number;
  last_used_idx: number;
  /** VRING_AVAIL_F_NO_INTERRUPT */
  no_interrupt: boolean;
}

/** The RX channel: its virtqueue as the device shares it. */
interface rx_channel {
  /** Buffers fed (virtqueue_add_inbuf) that the device has not filled yet. */
  device_holds: scmi_vio_rx_msg[];
  used: scmi_vio_rx_msg[];
  no_interrupt: boolean;
  irq_line: boolean;
}

interface scmi_vio_channel {
  vqueue: virtqueue;
  /** list_head free_list / pending_cmds_list, head first. */
  free_list: scmi_vio_msg[];
  pending_cmds_list: scmi_vio_msg[];
  max_msg: number;
  /** Who holds vioch->ready_lock across a preemption point (null: free). */
  ready_lock: string | null;
  ready: boolean;
  /** vioch->cinfo != NULL */
  cinfo: boolean;
  deferred_tx_wq: workqueue_struct | null;
  /** deferred_tx_work has WORK_STRUCT_PENDING set. */
  deferred_tx_work_pending: boolean;
}

type Step<R = void> = Preemptible<R>;

/**
 * Where the variants that the default bounds cannot show are killed: one CPU, a device that
 * answers late, so that a polled transfer times out while the device still holds its buffer,
 * and a teardown with a transfer in flight (6,677 states: small enough for every suite in CI;
 * three transfers, 33,660 states, are left to `conform --bound`, docs/scmi-virtio.md).
 */
export const DEEP_VARIANT_BOUNDS = { cpus: 1, late: 1, teardown: 2 } as const;

/**
 * Where the delayed-response variants show: one CPU, one transfer and that one async, a late
 * device (1,151 states).
 */
export const ASYNC_VARIANT_BOUNDS = { cpus: 1, transfers: 1, async: 1, late: 1 } as const;

/** SCMI_MAX_RESPONSE_TIMEOUT (2 s) in the model's ticks. */
const SCMI_MAX_RESPONSE_TIMEOUT = 1;

/**
 * The driver's bug variants. The suites generated at the model's default bounds kill those
 * without killBounds; `conform --variant` and the tests run the others at their killBounds.
 */
export const SCMI_VIRTIO_DRIVER_VARIANTS: DriverVariant[] = [
  {
    name: 'as-written',
    description:
      'v8 exactly as posted: the IRQ path hands and frees polled messages, mark_txdone frees on ret == 0 && list_empty(), poll_done neither marks its own reply POLL_DONE nor keeps another CPU\u2019s mark, queue_work() after the unlock on a workqueue chan_free destroys unlocked',
    source: 'sources/scmi-virtio-atomic.txt (the whole patch)',
  },
  {
    name: 'teardown-as-written',
    description:
      'v8\u2019s teardown only: queue_work() after dropping vioch->lock, and chan_free destroys the workqueue before it NULLs the pointer, without the lock',
    source: 'sources/scmi-virtio-atomic.txt:280-283, :491-492',
  },
  {
    name: 'no-deferred-worker',
    description: 'poll_done prefetches onto pending_cmds_list but never queues the worker',
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
      'code only (sources/scmi-virtio-atomic.txt:222-223 "Process possibly still pending messages")',
  },
  {
    name: 'poll-done-drops-prefetched',
    description:
      'code only: virtio_poll_done() dequeues a non-polled reply without putting it on pending_cmds_list (the reply is lost)',
    source: 'code only (sources/scmi-virtio-atomic.txt:463-466)',
  },
  {
    name: 'poll-done-no-enable-cb',
    description:
      'code only: virtio_poll_done() leaves callbacks disabled after finding its reply (no virtqueue_enable_cb()), so later replies raise no interrupt',
    source: 'code only (sources/scmi-virtio-atomic.txt:481-482)',
  },
  {
    name: 'rx-lookup-oldest-pending',
    description:
      'code only: scmi_rx_callback() hands a reply to the oldest transfer still waiting instead of the one its token names',
    source: 'code only (the token lookup of scmi_handle_response, driver.c)',
  },
  {
    name: 'txdone-frees-timed-out',
    description: 'virtio_mark_txdone() frees polled messages even when the transfer timed out',
    source: 'sources/scmi-virtio-atomic.txt:350-360 (the comment saying why it must not), :381',
    killBounds: DEEP_VARIANT_BOUNDS,
  },
  {
    name: 'destroy-wq-after-free-channel',
    description:
      'virtio_chan_free() clears vioch->cinfo before destroy_workqueue(), whose drain runs the worker on the freed channel',
    source: 'plausible reordering of sources/scmi-virtio-atomic.txt:280-285',
  },
  {
    name: 'rx-feed-before-callback',
    description:
      'code only: the RX path feeds its buffer back to the device before scmi_rx_callback() has read the delayed response in it',
    source: 'code only (the order of sources/scmi-virtio-atomic.txt:185-190)',
    killBounds: ASYNC_VARIANT_BOUNDS,
  },
  {
    name: 'core-async-done-unlocked',
    description:
      'the v5.17 core (not the seed): complete(xfer->async_done) without xfer->lock, so a delayed response that comes as the caller gives up completes NULL',
    source: 'driver.c of v5.17; fix posted by Wen Yang, 2024-08-27',
    killBounds: ASYNC_VARIANT_BOUNDS,
  },
  {
    name: 'wait-timer-at-expiry',
    description:
      'code only: the wait on xfer->done times out at its expiry instead of the tick after it (time_after_eq for time_after), so the caller could go on a tick before the model lets it; outputs agree once the model\u2019s timer fires too, only the enabled steps show it',
    source:
      'code only (wait_for_completion_timeout() in do_xfer, driver.c; the timeout of sources/scmi-virtio-atomic.txt:516)',
  },
  {
    name: 'v7-missing-list-del',
    description: 'the deferred worker walks pending_cmds_list without list_del()',
    source: 'sources/scmi-virtio-atomic.txt:27 (v6 -> v7 changelog), the list_del() at :211',
  },
];

function createScmiVirtioDriver(variants: ReadonlySet<string>): DriverAdapter {
  const has = (name: string) => variants.has(name);
  const as_written = has('as-written');
  /** v8's queue_work() placement and chan_free order (also part of as-written). */
  const teardown_as_written = as_written || has('teardown-as-written');

  let vioch!: scmi_vio_channel;
  let rx!: rx_channel;
  /** The device: delayed responses it owes, by the command's ghost id (with its token). */
  let dresps_owed = new Map<number, number>();
  let async_left = 0;
  /** The device may answer with an error status (the model's `error` fault). */
  let error_replies = false;
  /* The SCMI core: pending transfers by token, the pool size, the token space, the clock. */
  let pending_xfers = new Map<number, scmi_xfer>();
  let next_gid = 0;
  let transfer_last_token = 0;
  let tokens = 1;
  let timeout = 1;
  let jiffies = 0;
  /* The interrupt line of the virtqueue: raised by the device, taken by irq(cpu). */
  let irq_line = false;
  /** The CPU the interrupt handler runs on, -1 when it does not run. */
  let irq_on = -1;
  /* Execution contexts: cpu0..cpuN-1 (the core's do_xfer), irq, worker and teardown. */
  /* Every wait is a waitAt() with its condition, so enabled() asks contexts.ready(). */
  const contexts = new ExecutionContexts({ declaredWaits: true });
  let cpus = 0;
  let outputs: Output[] = [];

  /* ---------- the virtqueue API (virtio_ring.c, split ring) ---------- */

  function virtqueue_add_sgs(msg: scmi_vio_msg): void {
    vioch.vqueue.device_holds.push(msg);
    // The device reads the command: an async one owes a delayed response as well.
    if (msg.request_async) dresps_owed.set(msg.request_gid, msg.request_token);
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

  /* ---------- workqueues ---------- */

  /** queue_work(wq, &vioch->deferred_tx_work), reporting what `wq` was. */
  function queue_work(wq: workqueue_struct | null): void {
    const seen = !wq ? 'null' : wq.freed ? 'freed' : wq.draining ? 'draining' : 'alive';
    outputs.push({ type: 'queue_work', wq: seen });
    // A draining workqueue refuses the work (__queue_work's WARN); a freed or NULL one is a
    // use after free or an oops, after which nothing is queued either.
    if (seen === 'alive') vioch.deferred_tx_work_pending = true;
  }

  /* ---------- the SCMI core (driver.c, v5.17) ---------- */

  /** scmi_to_linux_errno() */
  const errno_of = (status: number) => (status === SCMI_SUCCESS ? 0 : -EOPNOTSUPP);

  /** scmi_xfer_token_set(): the next token after the last, or the first free one after it. */
  function scmi_xfer_token_set(): number | null {
    for (let i = 1; i <= tokens; i++) {
      const token = (transfer_last_token + i) % tokens;
      if (!pending_xfers.has(token)) return token;
    }
    return null;
  }

  /** The reply a buffer holds, as the model names it: its request's transfer, or -1 (stale). */
  const reply_in = (msg: scmi_vio_msg) =>
    msg.input_gid === msg.request_gid ? msg.request_gid : -1;

  /** scmi_rx_callback() -> scmi_handle_response(): look the transfer up by its token. */
  function scmi_rx_callback(msg: scmi_vio_msg): void {
    if (!vioch.cinfo) throw new Error('scmi_rx_callback(NULL): vioch->cinfo was freed');
    let xfer = pending_xfers.get(msg.request_token);
    if (has('rx-lookup-oldest-pending')) {
      xfer = [...pending_xfers.values()]
        .filter((x) => x.state === SCMI_XFER_SENT_OK)
        .sort((a, b) => a.gid - b.gid)[0];
    }
    if (!xfer || xfer.state !== SCMI_XFER_SENT_OK) {
      outputs.push({ type: 'discarded', reply: reply_in(msg) }); // late or unexpected
      return;
    }
    xfer.priv = msg; // smp_store_mb(xfer->priv, priv)
    xfer.status = msg.input_status; // fetch_response
    xfer.state = SCMI_XFER_RESP_OK;
    outputs.push({ type: 'fetched', xfer: xfer.gid, reply: reply_in(msg), via: 'rx_callback' });
    xfer.done = true; // complete(&xfer->done)
  }

  /** __scmi_xfer_put(): the last reference returns the xfer to the pool and frees its token. */
  function xfer_put(xfer: scmi_xfer): void {
    if (--xfer.users === 0) pending_xfers.delete(xfer.token);
  }

  /**
   * scmi_handle_response() for a delayed response, first half: scmi_xfer_command_acquire()
   * (lookup by token, then under xfer->lock scmi_msg_response_validate(), the busy flag and
   * the state update). Null when the core refuses it.
   */
  function scmi_xfer_command_acquire_dresp(msg: scmi_vio_rx_msg): scmi_xfer | null {
    // (the RX channel's own cinfo: that channel is not freed in the harness)
    const xfer = pending_xfers.get(msg.input_token);
    if (!xfer || !xfer.async_done || xfer.state === SCMI_XFER_DRESP_OK) {
      outputs.push({ type: 'dresp_discarded', reply: msg.input_gid }); // "not expected"
      return null;
    }
    xfer.users++;
    if (xfer.state === SCMI_XFER_SENT_OK) {
      // "Received valid OoO Delayed Response": taken as the response too.
      xfer.status = SCMI_SUCCESS;
      xfer.state = SCMI_XFER_RESP_OK;
      xfer.done = true; // complete(&xfer->done)
    }
    xfer.state = SCMI_XFER_DRESP_OK;
    return xfer;
  }

  /** ... second half: fetch_response, complete(xfer->async_done), the release. */
  function scmi_handle_dresp_complete(xfer: scmi_xfer, msg: scmi_vio_rx_msg): void {
    xfer.status = msg.input_status; // fetch_response from the RX buffer
    outputs.push({ type: 'fetched', xfer: xfer.gid, reply: msg.input_gid, via: 'dresp' });
    if (has('core-async-done-unlocked')) {
      // v5.17: complete(xfer->async_done), read without xfer->lock: NULL if the caller gave up.
      outputs.push({ type: 'async_complete', xfer: xfer.gid, live: xfer.async_done !== null });
      if (xfer.async_done) xfer.async_done.done = true;
    } else if (xfer.async_done) {
      // The fix: under xfer->lock, only while the caller still has it.
      outputs.push({ type: 'async_complete', xfer: xfer.gid, live: true });
      xfer.async_done.done = true;
    }
    xfer_put(xfer); // scmi_xfer_command_release()
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

  /** The TX part of virtio_chan_setup(): the workqueue, and each new message list_add()ed. */
  function virtio_chan_setup(): void {
    vioch.deferred_tx_wq = { draining: false, freed: false }; // alloc_workqueue()
    for (let i = 0; i < vioch.max_msg; i++) {
      const msg: scmi_vio_msg = {
        id: i,
        request_token: -1,
        request_gid: -1,
        request_async: false,
        input_status: SCMI_SUCCESS,
        input_gid: -1,
        poll_idx: 0,
      };
      scmi_vio_feed_vq_tx(msg); // under vioch->lock
    }
  }

  /** One vioch->lock section. */
  function virtio_send_message(xfer: scmi_xfer): number {
    if (vioch.free_list.length === 0) return -EBUSY;
    const msg = vioch.free_list[0]; // list_first_entry()
    vioch.free_list.shift(); // list_del_init()
    msg.request_token = xfer.token; // msg_tx_prepare()
    msg.request_gid = xfer.gid;
    msg.request_async = xfer.async_done !== null;
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
    // Fix: free it iff it was dequeued for us (POLL_DONE), whatever ret; otherwise the device
    // still owns it: let the late-reply paths treat it as a non-polled message.
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
        // Fix: remember that the device returned it, for mark_txdone().
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
      // Fix: another context dequeued our reply after our poll_lock section; do not erase its
      // mark with a fresh index (we would wait for a buffer nobody will return).
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
    const kick = (any_prefetched > 0 || pending) && !has('no-deferred-worker');
    if (!teardown_as_written) {
      // Fix: queue the work inside the lock, and only while chan_free has not taken the
      // workqueue away (it NULLs the pointer under this lock before destroying it).
      if (kick && vioch.deferred_tx_wq) queue_work(vioch.deferred_tx_wq);
      // spin_unlock_irqrestore(&vioch->lock)
      return ret;
    }
    // spin_unlock_irqrestore(&vioch->lock)
    if (kick) {
      yield 'POLL_KICK';
      queue_work(vioch.deferred_tx_wq);
    }
    return ret;
  }

  /** vring_interrupt() / the worker's tail: one ready_lock section per loop iteration. */
  function* scmi_vio_complete_cb(who: string): Step {
    let cb_enabled = true;
    for (;;) {
      // spin_lock_irqsave(&vioch->ready_lock)
      yield* waitAt('CB_GET', () => vioch.ready_lock === null);
      vioch.ready_lock = who;
      if (!vioch.ready) {
        if (!cb_enabled) virtqueue_enable_cb();
        vioch.ready_lock = null; // goto unlock_ready_out
        return;
      }
      // spin_lock(&vioch->lock)
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
        yield 'CB_FINALIZE';
        scmi_finalize_message(msg); // under vioch->lock
      }
      vioch.ready_lock = null; // spin_unlock_irqrestore(&vioch->ready_lock)
    }
  }

  let worker_running = false;
  /** deferred_tx_work is queued or running: what destroy_workqueue()'s drain waits for. */
  const work_busy = () => vioch.deferred_tx_work_pending || worker_running;

  function* scmi_vio_deferred_tx_worker(): Step {
    worker_running = true;
    yield 'PENDING_LIST';
    // spin_lock_irqsave(&vioch->lock); list_for_each_entry_safe()
    for (const msg of [...vioch.pending_cmds_list]) {
      if (!has('v7-missing-list-del'))
        vioch.pending_cmds_list.splice(vioch.pending_cmds_list.indexOf(msg), 1);
      scmi_rx_callback(msg);
      scmi_vio_feed_vq_tx(msg);
    }
    // spin_unlock_irqrestore(&vioch->lock)
    if (!has('worker-skips-complete-cb')) yield* scmi_vio_complete_cb('worker');
    worker_running = false;
  }

  /** scmi_vio_feed_vq_rx() (:125-146), the caller holding the RX vioch->lock. */
  function scmi_vio_feed_vq_rx(msg: scmi_vio_rx_msg): void {
    rx.device_holds.push(msg); // virtqueue_add_inbuf() + kick
  }

  /** scmi_vio_complete_cb() on the RX virtqueue: delayed responses. */
  function* scmi_vio_rx_complete_cb(): Step {
    let cb_enabled = true;
    for (;;) {
      yield 'RX_GET';
      // (ready_lock and vioch->lock of the RX channel: no other taker in the harness)
      if (cb_enabled) {
        rx.no_interrupt = true; // virtqueue_disable_cb()
        cb_enabled = false;
      }
      const msg = rx.used.shift();
      if (!msg) {
        rx.no_interrupt = false; // virtqueue_enable_cb(): nothing pending
        return;
      }
      if (has('rx-feed-before-callback')) scmi_vio_feed_vq_rx(msg);
      yield 'RX_ACQUIRE';
      const xfer = scmi_xfer_command_acquire_dresp(msg);
      if (xfer) {
        yield 'RX_COMPLETE';
        scmi_handle_dresp_complete(xfer, msg);
      }
      yield 'RX_FINALIZE';
      if (!has('rx-feed-before-callback')) scmi_vio_feed_vq_rx(msg); // scmi_finalize_message()
    }
  }

  /**
   * virtio_chan_free() on the TX channel (:276-288 with the v5.16 lines): each step one
   * critical section or call, yielding before the next. destroy_workqueue() is two steps: it
   * starts draining, then returns (and frees) once the work is neither queued nor running.
   */
  function* virtio_chan_free(): Step {
    // spin_lock_irqsave(&vioch->ready_lock): apply() starts this only while it is free, as the
    // model's chan_free takes it in the same step.
    vioch.ready = false;
    const wq = vioch.deferred_tx_wq;
    const order = teardown_as_written
      ? (['DRAIN', 'DESTROY', 'WQ_NULL', 'GONE'] as const)
      : has('destroy-wq-after-free-channel')
        ? (['WQ_NULL', 'GONE', 'DRAIN', 'DESTROY'] as const)
        : (['WQ_NULL', 'DRAIN', 'DESTROY', 'GONE'] as const);
    for (const step of order) {
      // ... returns once the work is neither queued nor running, and frees the workqueue.
      if (step === 'DESTROY') yield* waitAt('FREE_DESTROY', () => !work_busy());
      else yield `FREE_${step}`;
      switch (step) {
        case 'WQ_NULL':
          vioch.deferred_tx_wq = null; // the fix: under vioch->lock, before destroying it
          break;
        case 'DRAIN':
          if (wq) wq.draining = true; // destroy_workqueue(): __WQ_DRAINING
          break;
        case 'DESTROY':
          if (wq) wq.freed = true;
          break;
        case 'GONE':
          vioch.cinfo = false; // scmi_free_channel(); vioch->cinfo = NULL under vioch->lock
          outputs.push({ type: 'chan_freed' });
          break;
      }
    }
  }

  /* ---------- the SCMI core's do_xfer() on one CPU (driver.c, v5.17) ---------- */

  /** ktime_after(ktime_get(), stop), and the timer of wait_for_completion_timeout(). */
  const deadline_passed = (xfer: scmi_xfer) => jiffies > xfer.stop;

  /** do_xfer(), or with `async` do_xfer_with_response() around it. */
  function* do_xfer(poll_completion: boolean, async = false): Step {
    const gid = next_gid++;
    // xfer_get(): a free xfer from the pool of max_msg, and a token.
    const token = pending_xfers.size < vioch.max_msg ? scmi_xfer_token_set() : null;
    if (token === null) {
      outputs.push({ type: 'completed', xfer: gid, ret: -ENOMEM });
      return;
    }
    transfer_last_token = token;
    const xfer: scmi_xfer = {
      gid,
      token,
      poll_completion,
      priv: null,
      done: false,
      state: SCMI_XFER_SENT_OK,
      status: SCMI_SUCCESS,
      stop: jiffies + timeout,
      // do_xfer_with_response(): xfer->async_done = &async_response
      async_done: async ? { done: false } : null,
      users: 1,
    };
    pending_xfers.set(token, xfer);
    if (virtio_send_message(xfer) === -EBUSY) {
      outputs.push({ type: 'completed', xfer: gid, ret: -EBUSY });
      xfer_put(xfer);
      return;
    }
    let ret: number | null = null;
    if (poll_completion) {
      // spin_until_cond(poll_done() || try_wait_for_completion() || ktime_after(now, stop))
      for (;;) {
        yield 'POLL_CHECK';
        if (yield* virtio_poll_done(xfer)) {
          outputs.push({ type: 'poll_done', xfer: gid, reply: reply_in(xfer.priv!) });
          break;
        }
        yield 'TRY_WAIT';
        if (xfer.done) {
          xfer.done = false; // try_wait_for_completion()
          break;
        }
        // The loop's ktime_after() and the check after the loop read the same clock: one step.
        if (deadline_passed(xfer)) {
          ret = -ETIMEDOUT;
          break;
        }
      }
      if (ret === null) {
        yield 'POLL_EXIT';
        if (deadline_passed(xfer)) {
          ret = -ETIMEDOUT;
        } else {
          // spin_lock(&xfer->lock): fetch_response unless already SCMI_XFER_RESP_OK
          if (xfer.state === SCMI_XFER_SENT_OK) {
            const msg = xfer.priv!;
            xfer.status = msg.input_status;
            xfer.state = SCMI_XFER_RESP_OK;
            outputs.push({ type: 'fetched', xfer: gid, reply: reply_in(msg), via: 'poll' });
          }
          ret = errno_of(xfer.status);
        }
      }
    } else {
      // wait_for_completion_timeout(&xfer->done): woken by done, or by its timer
      const timer_fired = has('wait-timer-at-expiry')
        ? () => jiffies >= xfer.stop
        : () => deadline_passed(xfer);
      yield* waitAt('WAIT', () => xfer.done || timer_fired());
      if (xfer.done) {
        xfer.done = false;
        ret = errno_of(xfer.status);
      } else {
        ret = -ETIMEDOUT;
      }
    }
    yield 'MARK_TXDONE';
    if (!xfer.async_done) {
      outputs.push({ type: 'completed', xfer: gid, ret });
      virtio_mark_txdone(ret, xfer);
      xfer_put(xfer);
      return;
    }
    virtio_mark_txdone(ret, xfer);
    if (ret === 0) {
      // wait_for_completion_timeout(xfer->async_done, SCMI_MAX_RESPONSE_TIMEOUT)
      const stop = jiffies + SCMI_MAX_RESPONSE_TIMEOUT;
      const async_done = xfer.async_done;
      yield* waitAt('WAIT_DRESP', () => async_done.done || jiffies > stop);
      ret = async_done.done ? errno_of(xfer.status) : -ETIMEDOUT;
    }
    yield 'ASYNC_CLEAR';
    xfer.async_done = null; // under xfer->lock in the fix
    outputs.push({ type: 'completed', xfer: gid, ret });
    xfer_put(xfer);
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
    if (!(cpu >= 0 && cpu < cpus)) throw new NotEnabledError(`no cpu${cpu}`);
    return `cpu${cpu}`;
  }

  function held(id: number): scmi_vio_msg {
    const msg = vioch.vqueue.device_holds.find((m) => m.id === id);
    if (!msg) throw new NotEnabledError(`the device does not hold msg ${id}`);
    return msg;
  }

  /** The device writes a reply of `status` for the request in buffer `id` and returns it. */
  function device_reply(id: number, status: number): void {
    const vq = vioch.vqueue;
    const msg = held(id);
    // One descriptor of it: a buffer added twice (freed while the device held it) comes back twice.
    vq.device_holds.splice(vq.device_holds.indexOf(msg), 1);
    msg.input_status = status;
    msg.input_gid = msg.request_gid;
    outputs.push({ type: 'returned', msg: id, reply: msg.request_gid, status });
    vq.used.push(msg);
    vq.used_idx++;
    if (!vq.no_interrupt) irq_line = true;
  }

  let transfers = 0;

  /** The device writes the delayed response it owes for `gid` into RX buffer `id`. */
  function device_dresp(gid: number, id: number, status: number): void {
    if (!dresps_owed.has(gid)) throw new NotEnabledError(`no delayed response owed for ${gid}`);
    const msg = rx.device_holds.find((m) => m.id === id);
    if (!msg) throw new NotEnabledError(`the device does not hold RX buffer ${id}`);
    rx.device_holds.splice(rx.device_holds.indexOf(msg), 1);
    msg.input_token = dresps_owed.get(gid)!;
    msg.input_gid = gid;
    msg.input_status = status;
    dresps_owed.delete(gid);
    outputs.push({ type: 'dresp_returned', rx: id, reply: gid, status });
    rx.used.push(msg);
    if (!rx.no_interrupt) rx.irq_line = true;
  }

  return {
    reset(bounds) {
      vioch = {
        vqueue: {
          device_holds: [],
          device_lost: [],
          used: [],
          used_idx: 0,
          last_used_idx: 0,
          no_interrupt: false,
        },
        free_list: [],
        pending_cmds_list: [],
        max_msg: bounds.maxMsg,
        ready_lock: null,
        ready: true,
        cinfo: true,
        deferred_tx_wq: null,
        deferred_tx_work_pending: false,
      };
      virtio_chan_setup();
      // The RX channel's setup: its one buffer fed to the device.
      rx = {
        device_holds: [{ id: 0, input_token: -1, input_status: SCMI_SUCCESS, input_gid: -1 }],
        used: [],
        no_interrupt: false,
        irq_line: false,
      };
      dresps_owed = new Map();
      async_left = bounds.async ?? 0;
      error_replies = (bounds.error ?? 0) > 0;
      contexts.clear();
      cpus = bounds.cpus;
      transfers = bounds.transfers;
      tokens = bounds.tokens;
      timeout = bounds.timeout;
      pending_xfers = new Map();
      next_gid = 0;
      transfer_last_token = tokens - 1;
      jiffies = 0;
      irq_line = false;
      irq_on = -1;
      worker_running = false;
      return [];
    },
    enabled() {
      const statuses = error_replies ? [SCMI_SUCCESS, SCMI_ERR_SUPPORT] : [SCMI_SUCCESS];
      const list: VectorEvent[] = [];
      for (const msg of vioch.vqueue.device_holds) {
        for (const status of statuses) list.push({ type: 'device_reply', msg: msg.id, status });
      }
      for (const xfer of dresps_owed.keys()) {
        for (const buffer of rx.device_holds) {
          for (const status of statuses) {
            list.push({ type: 'device_dresp', xfer, rx: buffer.id, status });
          }
        }
      }
      if (irq_line && !contexts.isRunning('irq')) {
        for (let cpu = 0; cpu < cpus; cpu++) list.push({ type: 'irq', cpu });
      }
      if (rx.irq_line && !contexts.isRunning('rx')) list.push({ type: 'rx_irq' });
      // The contexts that can step now: at a preemption point, not waiting (a CPU's caller
      // not held by the interrupt handler on its CPU); the worker also when its work is queued.
      for (let cpu = 0; cpu < cpus; cpu++) {
        if (irq_on !== cpu && contexts.ready(`cpu${cpu}`)) list.push({ type: 'step', cpu });
      }
      if (contexts.ready('irq')) list.push({ type: 'irq_step' });
      const worker = contexts.isRunning('worker');
      if (worker ? contexts.ready('worker') : vioch.deferred_tx_work_pending) {
        list.push({ type: 'work_step' });
      }
      if (contexts.ready('rx')) list.push({ type: 'rx_step' });
      if (contexts.ready('teardown')) list.push({ type: 'free_step' });
      return list;
    },
    observe() {
      const ids = (list: Array<{ id: number }>) => list.map((m) => m.id);
      const vq = vioch.vqueue;
      const wq = vioch.deferred_tx_wq;
      return {
        freeList: ids(vioch.free_list),
        pendingList: ids(vioch.pending_cmds_list),
        device: ids([...vq.device_holds, ...vq.device_lost]).sort((a, b) => a - b),
        used: ids(vq.used),
        cbEnabled: !vq.no_interrupt,
        workQueued: vioch.deferred_tx_work_pending,
        ready: vioch.ready,
        wq: !wq ? 'null' : wq.freed ? 'freed' : wq.draining ? 'draining' : 'alive',
        rxDevice: ids(rx.device_holds).sort((a, b) => a - b),
        rxUsed: ids(rx.used),
      };
    },
    apply(event) {
      outputs = [];
      switch (event.type) {
        case 'send': {
          const name = cpuContext(event);
          if (next_gid >= transfers) throw new NotEnabledError('every transfer was issued');
          if (!vioch.ready) throw new NotEnabledError('the channel is being freed');
          contexts.start(name, do_xfer(event.polled === true));
          break;
        }
        case 'send_async': {
          const name = cpuContext(event);
          if (next_gid >= transfers || async_left === 0) {
            throw new NotEnabledError('every transfer was issued');
          }
          if (!vioch.ready) throw new NotEnabledError('the channel is being freed');
          async_left--;
          contexts.start(name, do_xfer(false, true));
          break;
        }
        case 'step':
          advance(cpuContext(event));
          break;
        case 'rx_irq':
          if (contexts.isRunning('rx') || !rx.irq_line) {
            throw new NotEnabledError('no RX interrupt pending');
          }
          rx.irq_line = false;
          if (rx.used.length === 0) break; // IRQ_NONE
          contexts.enter('rx', scmi_vio_rx_complete_cb(), 'START');
          advance('rx');
          break;
        case 'rx_step':
          advance('rx');
          break;
        case 'device_dresp':
          device_dresp(Number(event.xfer), Number(event.rx), Number(event.status));
          break;
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
          device_reply(Number(event.msg), Number(event.status));
          break;
        case 'device_lose': {
          const vq = vioch.vqueue;
          const msg = held(Number(event.msg));
          vq.device_holds.splice(vq.device_holds.indexOf(msg), 1);
          vq.device_lost.push(msg);
          break;
        }
        case 'irq_anyway':
          // The device notifies although VRING_AVAIL_F_NO_INTERRUPT asks it not to.
          if (!vioch.vqueue.no_interrupt || vioch.vqueue.used.length === 0 || irq_line) {
            throw new NotEnabledError('nothing to notify');
          }
          irq_line = true;
          break;
        case 'chan_free':
          if (contexts.isRunning('teardown') || !vioch.ready) {
            throw new NotEnabledError('virtio_chan_free() already ran');
          }
          // Its first lock: spin_lock_irqsave(&vioch->ready_lock) spins while a handler holds it.
          if (vioch.ready_lock !== null) throw new NotEnabledError('vioch->ready_lock is held');
          contexts.start('teardown', virtio_chan_free());
          break;
        case 'free_step':
          advance('teardown');
          break;
        case 'tick':
          jiffies++;
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
