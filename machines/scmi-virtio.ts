/**
 * Arm SCMI over virtio, TX channel, with the atomic (polling) support of
 * `[PATCH v8 09/11] firmware: arm_scmi: Add atomic mode support to virtio transport`
 * (sources/scmi-virtio-atomic.txt), under the kernel's time and with a device that may answer
 * late, with an error, or never, and notify when asked not to.
 *
 * Execution contexts, one parallel region each, stepping at the grain of the locks the code
 * takes (`vioch->lock`, `msg->poll_lock`, `vioch->ready_lock`, the core's `xfer->lock`); the
 * list of steps with their lines is in docs/scmi-virtio.md, "Execution contexts":
 * - `cpu<i>`: an SCMI core caller on CPU i running `do_xfer()` for one transfer at a time;
 * - `irq`: the virtqueue interrupt running `scmi_vio_complete_cb()` on one of the CPUs (that
 *   CPU's caller does not step while it runs);
 * - `worker`: `scmi_vio_deferred_tx_worker()` (an unbound kworker: any CPU);
 * - `teardown`: `scmi_remove()` -> `virtio_chan_free()`;
 * - `device`: takes added buffers and returns them to the used ring in any order;
 * - `clock`: time, one tick at a time.
 *
 * The code is in machines/scmi-virtio/: context.ts (the state), transport.ts (virtio.c),
 * core.ts (the SCMI core), environment.ts (device, time, teardown), machine.ts (the regions).
 */
import { faultBounds, faultOn } from '../src/model/device.ts';
import { defineMachine, type LaneSpec, type ModelState } from '../src/model/model.ts';
import { TICK } from '../src/model/time.ts';
import type { ScmiEvent } from './scmi-virtio/alphabet.ts';
import { SCMI_ERR_SUPPORT, SCMI_SUCCESS, type ScmiContext } from './scmi-virtio/context.ts';
import { owed } from './scmi-virtio/environment.ts';
import { buildMachine, type MachineBounds } from './scmi-virtio/machine.ts';
import { VARIANTS, flagsOf } from './scmi-virtio/variants.ts';

export * from './scmi-virtio/alphabet.ts';
export * from './scmi-virtio/context.ts';
export { rxCallback, pollExit, retOf, allocToken } from './scmi-virtio/core.ts';
export {
  deviceReply,
  deviceLose,
  tick,
  tickEnabled,
  freeSteps,
} from './scmi-virtio/environment.ts';
export {
  sendMessage,
  pollBegin,
  pollCheck,
  pollFetch,
  markTxdone,
  workerList,
  queueWork,
} from './scmi-virtio/transport.ts';
export { VARIANTS, flagsOf, type Flags } from './scmi-virtio/variants.ts';

/** The transfer ids a model with these bounds can issue (properties keep per-id bits). */
export const MAX_TRANSFERS = 6;

/**
 * SCMI_MAX_RESPONSE_TIMEOUT (2 s) in ticks: one. It is shorter than the transfer timeout (60 s
 * for virtio); the model keeps that ordering with `timeout` >= 1, not the ratio.
 */
export const DRESP_TIMEOUT = 1;

/**
 * The sequence chart's lanes: the code's execution contexts. The interrupt handler runs on one
 * of the CPUs (its caller waits) but is a context of its own; the device and time share the
 * environment lane, the device drawn last.
 */
function lanes(cpus: number): LaneSpec[] {
  return [
    ...Array.from({ length: cpus }, (_, i) => ({
      name: `CPU ${i}: do_xfer() caller`,
      regions: [`cpu${i}`],
    })),
    { name: 'TX vq interrupt (scmi_vio_complete_cb)', regions: ['irq'] },
    { name: 'deferred_tx_worker (kworker)', regions: ['worker'] },
    { name: 'RX vq interrupt (delayed responses)', regions: ['rx'] },
    { name: 'scmi_remove -> virtio_chan_free', regions: ['teardown'] },
    {
      name: 'device (SCMI platform) and time',
      regions: ['device', 'clock'],
      events: ['device_*', 'irq_anyway', TICK],
      device: true,
    },
  ];
}

function events(bounds: MachineBounds) {
  const statuses = bounds.error ? [SCMI_SUCCESS, SCMI_ERR_SUPPORT] : [SCMI_SUCCESS];
  return (state: ModelState<ScmiContext>): ScmiEvent[] => {
    const list: ScmiEvent[] = [];
    for (let cpu = 0; cpu < bounds.cpus; cpu++) {
      list.push({ type: 'send', cpu, polled: true }, { type: 'send', cpu, polled: false });
      if (bounds.async > 0) list.push({ type: 'send_async', cpu });
      list.push({ type: 'step', cpu }, { type: 'irq', cpu });
    }
    list.push({ type: 'irq_step' }, { type: 'work_step' }, { type: 'rx_irq' }, { type: 'rx_step' });
    for (const dresp of state.context.dresps) {
      if (dresp.due === null) continue;
      for (const rx of state.context.rxDevice) {
        for (const status of statuses)
          list.push({ type: 'device_dresp', xfer: dresp.gid, rx, status });
      }
    }
    for (const msg of owed(state.context)) {
      for (const status of statuses) list.push({ type: 'device_reply', msg, status });
      if (bounds.lost > 0) list.push({ type: 'device_lose', msg });
    }
    list.push({ type: 'irq_anyway' }, { type: 'chan_free' }, { type: 'free_step' });
    list.push({ type: TICK });
    return list;
  };
}

export const scmiVirtioMachine = defineMachine<ScmiContext, ScmiEvent>({
  name: 'scmi-virtio',
  title: 'Arm SCMI virtio transport: polling and IRQ paths on several CPUs',
  seed: 'sources/scmi-virtio-atomic.txt',
  bounds: [
    {
      name: 'maxMsg',
      default: 2,
      min: 1,
      max: 4,
      description: 'TX messages in the pool (max_msg)',
    },
    { name: 'cpus', default: 2, min: 1, max: 3, description: 'CPUs issuing transfers' },
    {
      name: 'transfers',
      default: 2,
      deep: 3,
      min: 0,
      max: MAX_TRANSFERS,
      description: 'transfers issued in total',
    },
    {
      name: 'tokens',
      default: 4,
      min: 1,
      max: 8,
      description:
        'the core\u2019s token space (MSG_TOKEN_MAX, 1024 upstream); below `transfers` a token is reused',
    },
    {
      name: 'timeout',
      default: 1,
      min: 1,
      max: 4,
      description: 'the transfer timeout in ticks (max_rx_timeout_ms, 60 s for virtio)',
    },
    {
      name: 'teardown',
      default: 1,
      deep: 2,
      min: 0,
      max: 2,
      description:
        'virtio_chan_free(): 0 never, 1 once no transfer is in the core (scmi_remove\u2019s contract), 2 at any time (an unbind with users)',
    },
    {
      name: 'async',
      default: 0,
      min: 0,
      max: 2,
      description:
        'transfers sent with do_xfer_with_response(): a delayed response on the RX virtqueue',
    },
    {
      name: 'ignoreHint',
      default: 1,
      min: 0,
      max: 1,
      description: 'the device may notify although callbacks are disabled (the flag is a hint)',
    },
    ...faultBounds({
      lost: { default: 0, note: 'the buffer stays with the device' },
      late: { default: 0, deep: 1, note: 'up to two ticks after the timeout' },
      error: { default: 0, note: 'an SCMI error status in the reply' },
    }),
  ],
  variants: [
    {
      name: VARIANTS.asWritten,
      description:
        'v8 exactly as posted: the IRQ path frees polled messages, mark_txdone frees on list_empty() and ret == 0 only, poll_done refreshes poll_idx over a POLL_DONE mark, queue_work() reads deferred_tx_wq after the unlock while chan_free destroys it and NULLs it without the lock.',
      source: 'sources/scmi-virtio-atomic.txt (the whole patch)',
      breaks: [
        'free-only-when-returned',
        'one-list-at-a-time',
        'not-freed-while-polled',
        'poll-done-own-reply',
        'no-timeout-after-reply',
        'no-buffer-leak',
        'all-free-reachable',
      ],
      finding: true,
    },
    {
      name: VARIANTS.teardownAsWritten,
      description:
        'v8\u2019s teardown as posted, the rest fixed: poll_done calls queue_work() on vioch->deferred_tx_wq after dropping vioch->lock, while virtio_chan_free() destroys the workqueue and only then sets the pointer to NULL, without the lock. Needs a transfer in flight at chan_free (teardown=2).',
      source: 'sources/scmi-virtio-atomic.txt:280-283, :491-492',
      breaks: ['workqueue-used-while-alive'],
      // One CPU is enough: the next transfer's poll loop prefetches a late reply.
      bounds: { teardown: 2, cpus: 1, late: 1 },
      finding: true,
    },
    {
      name: VARIANTS.rxFeedBeforeCallback,
      description:
        'code only: the RX path gives its buffer back to the device (scmi_vio_feed_vq_rx) before scmi_rx_callback() has read the delayed response in it.',
      source: 'code only (the order of sources/scmi-virtio-atomic.txt:185-190)',
      breaks: ['rx-buffer-not-reused-while-read'],
      bounds: { async: 1, cpus: 1 },
    },
    {
      name: VARIANTS.coreAsyncDoneUnlocked,
      description:
        'the SCMI core of v5.17 as written (not the seed): scmi_handle_response() calls complete(xfer->async_done) without xfer->lock, and do_xfer_with_response() sets it to NULL on timeout without it, so a delayed response that comes as the caller gives up completes NULL.',
      source:
        'driver.c of v5.17 (scmi_handle_response, do_xfer_with_response); fix posted by Wen Yang, 2024-08-27 ("protect xfer->async_done with xfer->lock")',
      breaks: ['complete-live-async-done'],
      bounds: { async: 1, cpus: 1, late: 1 },
      finding: true,
    },
    {
      name: VARIANTS.v7MissingListDel,
      description:
        'The deferred worker processes pending_cmds_list without list_del(): each message stays on it while being added to free_list.',
      source:
        'sources/scmi-virtio-atomic.txt:27 (V6 --> V7 "fixed missing list_del on pending_cmds_list processing"); the list_del() at :211',
      breaks: ['one-list-at-a-time'],
    },
    {
      name: VARIANTS.noDeferredWorker,
      description:
        'The v8 design without the deferred worker: poll_done still prefetches onto pending_cmds_list, but nothing ever processes it.',
      source:
        'sources/scmi-virtio-atomic.txt:24 (v7 --> v8 "added deferred worker for TX replies to aid while polling mode is active"), :492',
      breaks: ['no-buffer-leak', 'all-free-reachable', 'no-timeout-after-reply'],
    },
    {
      name: VARIANTS.txdoneFreesTimedOut,
      description:
        'virtio_mark_txdone() also frees polled messages whose transfer timed out, while the device may still own them.',
      source:
        'sources/scmi-virtio-atomic.txt:350-360 (the comment explaining why it must not), :381',
      breaks: [
        'free-only-when-returned',
        'one-list-at-a-time',
        'not-freed-while-polled',
        'reply-handed-once',
        'fetch-own-reply',
        'poll-done-own-reply',
        'all-free-reachable',
      ],
      // A polled transfer times out before its buffer comes back only with a late device.
      bounds: { late: 1, cpus: 1 },
    },
    {
      name: VARIANTS.indexMovedMeansDone,
      description:
        'virtio_poll_done() reports done as soon as the used index moved, without dequeuing to check whose reply arrived.',
      source:
        'sources/scmi-virtio-atomic.txt:393-396 ("the only way to check if the freshly arrived buffer was what we were waiting for")',
      breaks: ['reply-handed-once', 'fetch-own-reply', 'poll-done-own-reply'],
    },
    {
      name: VARIANTS.pollDoneNoEnableCb,
      description:
        'code only: virtio_poll_done() leaves callbacks disabled after finding its reply (no virtqueue_enable_cb()), so a later reply raises no interrupt unless the device ignores the hint.',
      source: 'code only (sources/scmi-virtio-atomic.txt:481-482)',
      breaks: ['no-timeout-after-reply'],
    },
    {
      name: VARIANTS.rxLookupOldestPending,
      description:
        'code only: scmi_rx_callback() hands a reply to the oldest transfer still waiting instead of the one its token names.',
      source: 'code only (the token lookup of scmi_handle_response, driver.c)',
      // The core rebinds a polled transfer's xfer->priv to another's buffer while its
      // poll_done() is between sections: that poll_done then returns true on its own buffer.
      breaks: [
        'not-freed-while-polled',
        'reply-handed-once',
        'fetch-own-reply',
        'poll-done-own-reply',
        'no-timeout-after-reply',
        'no-buffer-leak',
        'all-free-reachable',
      ],
    },
    {
      name: VARIANTS.destroyWqAfterFreeChannel,
      description:
        'virtio_chan_free() clears vioch->cinfo before destroy_workqueue(): the drain runs the worker, whose pending list calls scmi_rx_callback() on the freed channel.',
      source: 'plausible reordering of sources/scmi-virtio-atomic.txt:280-285',
      breaks: ['channel-used-while-alive'],
      // The worker must still be queued when the last transfer is done: a late reply.
      bounds: { late: 1, cpus: 1 },
    },
  ],
  build({ bounds, variants }) {
    const flags = flagsOf(variants);
    const b: MachineBounds = {
      maxMsg: bounds.maxMsg,
      cpus: bounds.cpus,
      transfers: bounds.transfers,
      tokens: bounds.tokens,
      timeout: bounds.timeout,
      // The device returns a buffer within the timeout, or with `late` up to two ticks after it.
      deviceLatency: bounds.timeout + (faultOn(bounds, 'late') ? 2 : 0),
      teardown: bounds.teardown,
      error: faultOn(bounds, 'error'),
      ignoreHint: bounds.ignoreHint > 0,
      lost: bounds.lost,
      async: bounds.async,
      drespTimeout: DRESP_TIMEOUT,
      // The delayed response comes within both timeouts, or two ticks later with `late`.
      drespLatency: bounds.timeout + DRESP_TIMEOUT + (faultOn(bounds, 'late') ? 2 : 0),
    };
    return {
      machine: buildMachine(b, flags),
      events: events(b),
      time: { tick: TICK },
      lanes: lanes(b.cpus),
      conformance: {
        // What the device can do and which interrupts can be taken say what the driver holds;
        // which contexts can step (at a preemption point, not waiting on a lock, a completion,
        // its timer or the workqueue's drain) says where the driver would go on.
        enabling: [
          'device_reply',
          'device_dresp',
          'irq',
          'rx_irq',
          'step',
          'irq_step',
          'work_step',
          'rx_step',
          'free_step',
        ],
        observe: ({ context: c }) => ({
          freeList: c.freeList,
          pendingList: c.pendingList,
          device: c.device,
          used: c.used,
          cbEnabled: c.cbEnabled,
          workQueued: c.workQueued,
          ready: c.ready,
          wq: c.wqPointer ? ['alive', 'draining', 'freed'][c.wq] : 'null',
          rxDevice: c.rxDevice,
          rxUsed: c.rxUsed,
        }),
      },
      // The CPUs are interchangeable: each runs the same do_xfer() in its own region, every
      // per-CPU event exists for each, and nothing prefers a CPU; `irqOn` names the CPU the
      // interrupt runs on. (Messages are interchangeable too, but the free list's order tells
      // them apart, so declaring them saves about 1%: not declared.) `check --check-symmetry`
      // verifies it; docs/scmi-virtio.md, "Symmetry".
      symmetry: [
        {
          name: 'cpus',
          arrays: ['cpus'],
          regions: Array.from({ length: b.cpus }, (_, i) => `cpu${i}`),
          indices: ['irqOn'],
        },
      ],
      terminal: (state) => {
        const c = state.context;
        const tornDown = state.matches('teardown.DONE');
        return (
          (c.issued === b.transfers || tornDown) &&
          c.cpus.every((cpu) => cpu.xfer < 0) &&
          owed(c).length === 0 &&
          (c.used.length === 0 || tornDown) &&
          !c.irqPending &&
          !c.workQueued &&
          state.matches('irq.IDLE') &&
          state.matches('worker.IDLE') &&
          c.dresps.every((d) => d.due === null) &&
          c.rxUsed.length === 0 &&
          !c.rxIrqPending &&
          state.matches('rx.IDLE')
        );
      },
    };
  },
});
