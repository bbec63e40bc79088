/**
 * The state of the SCMI virtio model (machines/scmi-virtio.ts): what the code holds, named as
 * the code names it, plus the few ghost fields that only properties read (named `ghost...`).
 * Line numbers are those of sources/scmi-virtio-atomic.txt.
 */
import type { Deadline, Due } from '../../src/model/time.ts';

/* `msg->poll_idx` (:114). NOT_POLLED and POLL_DONE are the patch's out-of-range markers
 * (:112-113). A real index only matters through `virtqueue_poll(vq, poll_idx)`, i.e. whether it
 * still equals the device's used index, so it is kept as that one bit: IDX_CURRENT (equal) or
 * IDX_MOVED (the device has returned buffers since it was taken). 16-bit wrap-around is not
 * modelled. */
export const NOT_POLLED = -2;
export const POLL_DONE = -1;
export const IDX_CURRENT = 0;
export const IDX_MOVED = 1;

export const ETIMEDOUT = -110;
export const EBUSY = -16;
/** What `scmi_to_linux_errno()` makes of the error status the device may answer with. */
export const EOPNOTSUPP = -95;

/** The reply's status word: SCMI_SUCCESS, or SCMI_ERR_SUPPORT (-1), the error a device may send. */
export const SCMI_SUCCESS = 0;
export const SCMI_ERR_SUPPORT = -1;

/** `xfer->state` (driver.c): a response may be fetched only while SENT_OK. */
export const SENT_OK = 0;
export const RESP_OK = 1;
export const DRESP_OK = 2;

/** RX buffers (the eventq's pool, `max_msg` of the RX channel), scaled to one. */
export const RX_MSGS = 1;

/** `vioch->ready_lock` holder. */
export const READY_FREE = 0;
export const READY_IRQ = 1;
export const READY_WORKER = 2;

/** `vioch->deferred_tx_wq` as chan_free leaves it (:280-283): alive, being drained, freed. */
export const WQ_ALIVE = 0;
export const WQ_DRAINING = 1;
export const WQ_FREED = 2;

/** One TX `struct scmi_vio_msg` (:107-117), with what the device left in its input buffer. */
export interface Msg {
  /** Ghost: the transfer whose request is in `msg->request`; -1 never used. */
  gid: number;
  /** The token in the request header (`msg_tx_prepare`), echoed by the device's reply. */
  token: number;
  pollIdx: number;
  /** `msg->input` holds the reply to `gid` (the device returned the buffer since it was sent);
   * false: whatever an earlier user of the buffer left there. */
  fresh: boolean;
  /** The status word of that reply (SCMI_SUCCESS when not fresh). */
  status: number;
  /** While the device holds the buffer: ticks left to return it; null when it lost it. */
  due: Due;
}

/** A delayed response the device owes: to an async command it took. */
export interface Dresp {
  /** Ghost id and token of the command it answers. */
  gid: number;
  token: number;
  /** Ticks left to send it; null when the device will never send it. */
  due: Due;
}

/** One RX `struct scmi_vio_msg`: what the device wrote into its input buffer. */
export interface RxMsg {
  /** Ghost id and token of the command whose delayed response it holds (-1: none). */
  gid: number;
  token: number;
  status: number;
}

/** One CPU's `do_xfer()` and its `struct scmi_xfer` while the transfer is pending in the core. */
export interface Cpu {
  /** Ghost id of the transfer (issue order), -1 when idle. */
  xfer: number;
  /** `xfer->hdr.seq`: the token the core allocated. */
  token: number;
  polled: boolean;
  /** do_xfer_with_response(): a delayed response is awaited after the response. */
  async: boolean;
  /** `xfer->async_done != NULL`: the caller's on-stack completion is still there. */
  asyncLive: boolean;
  /** The async completion was completed. */
  asyncDone: boolean;
  /** Waiting for the delayed response (its own deadline in `deadline`). */
  inDrespWait: boolean;
  /** `xfer->priv`: the message bound to the transfer, -1 for NULL. */
  priv: number;
  /**
   * `virtio_poll_done()`'s local `msg` (:426): `xfer->priv` as its first critical section read
   * it, used by its second (:445-489) whatever `xfer->priv` holds by then; -1 outside
   * poll_done. The two differ only when the core rebinds `xfer->priv` in between (a late reply
   * with a reused token, or the rx-lookup-oldest-pending variant).
   */
  pollMsg: number;
  /** `xfer->done` completed and not yet consumed. */
  done: boolean;
  /** `xfer->state`: SENT_OK or RESP_OK. */
  state: number;
  /** `xfer->hdr.status` as fetched. */
  status: number;
  /** The return code do_xfer hands to `mark_txdone` and returns. */
  ret: number;
  /** `virtio_poll_done()`'s `ret`, kept from the fetch step to the kick step (as written). */
  found: boolean;
  /** The transfer's timeout: `stop` of the polling loop, or wait_for_completion_timeout's timer. */
  deadline: Deadline;
  /** At a point where it only waits: WAIT, or the polling loop's POLL_CHECK / TRY_WAIT. */
  spinning: boolean;
  /**
   * Ghost: what the transfer waits for now (its reply, then its delayed response) came from the
   * device before the wait's deadline, on a ready channel.
   */
  ghostAnswered: boolean;
  /** Ghost: the device sent its delayed response while the transfer was pending. */
  ghostDresp: boolean;
}

/** Locals of one running `scmi_vio_complete_cb()`. */
export interface CompleteCb {
  msg: number;
  cbEnabled: boolean;
}

export interface ScmiContext {
  msgs: Msg[];
  /** `vioch->free_list`, head first. A message listed twice is a corrupted list. */
  freeList: number[];
  /** `vioch->pending_cmds_list`, head first. */
  pendingList: number[];
  /** Buffers added to the virtqueue that the device has not returned yet (sorted). */
  device: number[];
  /** The used ring: returned by the device, not yet dequeued by `virtqueue_get_buf`, oldest first. */
  used: number[];
  /** Used-buffer notifications enabled (`virtqueue_enable_cb*` / `virtqueue_disable_cb`). */
  cbEnabled: boolean;
  /** An interrupt was raised and not yet taken. */
  irqPending: boolean;
  /** `deferred_tx_work` is queued (WORK_STRUCT_PENDING). */
  workQueued: boolean;
  /** The worker is running (between its start and its return). */
  workRunning: boolean;
  readyLock: number;
  /** The CPU the interrupt handler runs on, -1 when it does not run. */
  irqOn: number;
  irqCb: CompleteCb;
  workCb: CompleteCb;
  cpus: Cpu[];
  /** Transfers issued so far (the next transfer's ghost id). */
  issued: number;
  /** The token the core allocated last (`transfer_last_id`, modulo the token space). */
  lastToken: number;
  /** Buffers the device may still lose (the `lost` fault's budget). */
  lostLeft: number;
  /** `vioch->ready` (v5.16): false once virtio_chan_free() started. */
  ready: boolean;
  /** The workqueue `vioch->deferred_tx_wq` points to (WQ_ALIVE, WQ_DRAINING, WQ_FREED). */
  wq: number;
  /** `vioch->deferred_tx_wq != NULL`. */
  wqPointer: boolean;
  /** `vioch->cinfo != NULL`: cleared at the end of virtio_chan_free(). */
  cinfo: boolean;
  /* The RX channel (the eventq), only for delayed responses (bound `async`). */
  /** Async transfers still to issue. */
  asyncLeft: number;
  /** Delayed responses the device owes, in the order of their commands. */
  dresps: Dresp[];
  rxMsgs: RxMsg[];
  /** RX buffers the device holds (fed, empty), sorted. */
  rxDevice: number[];
  /** RX used ring, oldest first. */
  rxUsed: number[];
  rxCbEnabled: boolean;
  rxIrqPending: boolean;
  /** Locals of the running RX complete_cb (msg -1: none; `cbEnabled` as in CompleteCb). */
  rxCb: CompleteCb;
  /** The RX handler is running (between its interrupt and its return). */
  rxRunning: boolean;
  /**
   * The transfer (ghost id and token) the RX path holds between acquire and release (its busy
   * flag and a reference, so its token stays allocated), or null.
   */
  rxHeld: { xfer: number; token: number } | null;
}

export const IDLE_CPU: Cpu = {
  xfer: -1,
  token: -1,
  polled: false,
  async: false,
  asyncLive: false,
  asyncDone: false,
  inDrespWait: false,
  priv: -1,
  pollMsg: -1,
  done: false,
  state: SENT_OK,
  status: SCMI_SUCCESS,
  ret: 0,
  found: false,
  deadline: null,
  spinning: false,
  ghostAnswered: false,
  ghostDresp: false,
};
export const IDLE_CB: CompleteCb = { msg: -1, cbEnabled: true };

export function initialContext(
  maxMsg: number,
  cpus: number,
  tokens: number,
  lost: number,
  async = 0,
): ScmiContext {
  const msgs: Msg[] = [];
  let freeList: number[] = [];
  // virtio_chan_setup(): scmi_vio_feed_vq_tx() list_add()s each new message at the head.
  for (let i = 0; i < maxMsg; i++) {
    msgs.push({
      gid: -1,
      token: -1,
      pollIdx: NOT_POLLED,
      fresh: false,
      status: SCMI_SUCCESS,
      due: null,
    });
    freeList = [i, ...freeList];
  }
  return {
    msgs,
    freeList,
    pendingList: [],
    device: [],
    used: [],
    cbEnabled: true,
    irqPending: false,
    workQueued: false,
    workRunning: false,
    readyLock: READY_FREE,
    irqOn: -1,
    irqCb: IDLE_CB,
    workCb: IDLE_CB,
    cpus: Array.from({ length: cpus }, () => IDLE_CPU),
    issued: 0,
    lastToken: tokens - 1,
    lostLeft: lost,
    ready: true,
    wq: WQ_ALIVE,
    wqPointer: true,
    cinfo: true,
    asyncLeft: async,
    dresps: [],
    // virtio_chan_setup() of the RX channel: every buffer fed to the device.
    rxMsgs: Array.from({ length: RX_MSGS }, () => ({ gid: -1, token: -1, status: SCMI_SUCCESS })),
    rxDevice: Array.from({ length: RX_MSGS }, (_, i) => i),
    rxUsed: [],
    rxCbEnabled: true,
    rxIrqPending: false,
    rxCb: IDLE_CB,
    rxRunning: false,
    rxHeld: null,
  };
}

/* ---------- small pure helpers ---------- */

export const setAt = <T>(list: readonly T[], index: number, value: T): T[] =>
  list.map((item, i) => (i === index ? value : item));
export const withMsg = (c: ScmiContext, m: number, patch: Partial<Msg>): ScmiContext => ({
  ...c,
  msgs: setAt(c.msgs, m, { ...c.msgs[m], ...patch }),
});
export const withCpu = (c: ScmiContext, i: number, patch: Partial<Cpu>): ScmiContext => ({
  ...c,
  cpus: setAt(c.cpus, i, { ...c.cpus[i], ...patch }),
});
