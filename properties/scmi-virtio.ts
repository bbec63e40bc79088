/**
 * What the SCMI virtio TX channel must guarantee (issues 4 and 17), each tied to the seed's
 * text. Line numbers refer to sources/scmi-virtio-atomic.txt.
 */
import type { ModelConfig, ModelState, Property } from '../src/model/model.ts';
import { noTimeoutWhileDue } from '../src/model/timed-properties.ts';
import {
  ETIMEDOUT,
  MAX_TRANSFERS,
  type ScmiContext,
  type ScmiEvent,
  type ScmiOutput,
} from '../machines/scmi-virtio.ts';

type P = Property<ScmiContext, ScmiEvent>;

const outputsOf = (outputs: readonly unknown[]) => outputs as readonly ScmiOutput[];
const bit = (n: number) => 2 ** n;

/** Messages the virtqueue still owns: held by the device or waiting on the used ring. */
const ownedByVirtqueue = (c: ScmiContext) => new Set([...c.device, ...c.used]);

/**
 * The messages a step hands to the core, as bits: a reply through scmi_rx_callback() or
 * poll_done() returning true (bit `gid`), a delayed response (bit MAX_TRANSFERS + gid).
 */
function handed(outputs: readonly ScmiOutput[]): Array<{ bit: number; what: string }> {
  const list: Array<{ bit: number; what: string }> = [];
  const reply = (gid: number) =>
    gid >= 0 && list.push({ bit: gid, what: `the reply of transfer ${gid}` });
  const dresp = (gid: number) =>
    gid >= 0 &&
    list.push({ bit: MAX_TRANSFERS + gid, what: `the delayed response of transfer ${gid}` });
  for (const output of outputs) {
    if (output.type === 'discarded' || output.type === 'poll_done') reply(output.reply);
    if (output.type === 'fetched' && output.via === 'rx_callback') reply(output.reply);
    if (output.type === 'dresp_discarded') dresp(output.reply);
    if (output.type === 'fetched' && output.via === 'dresp') dresp(output.reply);
  }
  return list;
}

/** Buffers that can still come back: free, or with the device (lost ones stay with it). */
const backOrWithDevice = ({ context }: ModelState<ScmiContext>) =>
  context.msgs.every((_, m) => context.freeList.includes(m) || context.device.includes(m));

export function scmiVirtioProperties({ bounds }: ModelConfig): P[] {
  return [
    {
      kind: 'invariant',
      name: 'free-only-when-returned',
      statement:
        'A message is on free_list only when the device no longer holds it: it was returned and dequeued from the used ring.',
      source:
        'sources/scmi-virtio-atomic.txt:350-355 (timed-out buffers are "still effectively owned by the SCMI platform VirtIO device")',
      check: ({ context }) => {
        const owned = ownedByVirtqueue(context);
        const wrong = context.freeList.filter((m) => owned.has(m));
        return wrong.length === 0 || `msg ${wrong[0]} is on free_list while the virtqueue owns it`;
      },
    },
    {
      kind: 'invariant',
      name: 'one-list-at-a-time',
      statement:
        'A message is on at most one of free_list and pending_cmds_list, and at most once on it.',
      source:
        'sources/scmi-virtio-atomic.txt:293 ("Re-init element so we can discern anytime if it is still in-flight"), :27 (v6->v7 list_del fix)',
      check: ({ context }) => {
        const all = [...context.freeList, ...context.pendingList];
        const twice = all.find((m, i) => all.indexOf(m) !== i);
        return (
          twice === undefined ||
          `msg ${twice} is linked twice (free ${JSON.stringify(context.freeList)}, pending ${JSON.stringify(context.pendingList)})`
        );
      },
    },
    {
      kind: 'invariant',
      name: 'not-freed-while-polled',
      statement:
        'A message is on free_list only when no transfer still polls it: it is not the xfer->priv of a pending polled transfer, nor the message a virtio_poll_done() between its two critical sections is working on.',
      source:
        'sources/scmi-virtio-atomic.txt:376-377 ("Ensure msg is unbound from xfer before pushing onto the free list"), :426 and :484-487 (poll_done\u2019s local msg, updated in its second section)',
      check: ({ context }) => {
        for (const c of context.cpus) {
          if (c.xfer < 0 || !c.polled) continue;
          // pollMsg: poll_done's local msg, which its second section still writes (poll_idx).
          const polls = [c.priv, c.pollMsg].filter((m) => m >= 0);
          const freed = polls.find((m) => context.freeList.includes(m));
          if (freed !== undefined)
            return `msg ${freed} is on free_list while transfer ${c.xfer} still polls it`;
        }
        return true;
      },
    },
    {
      kind: 'monitor',
      name: 'reply-handed-once',
      statement:
        'Every reply and delayed response the device returns is handed to the core at most once: by scmi_rx_callback(), or by virtio_poll_done() returning true for it.',
      source:
        'sources/scmi-virtio-atomic.txt:185, 213 (scmi_rx_callback per dequeued buffer), :449-452 (poll_done: "process all new messages till the polled-for message is found")',
      initial: () => 0,
      step: (seen: number, { outputs }) => {
        let next = seen;
        for (const { bit: b, what } of handed(outputsOf(outputs))) {
          if (next & bit(b)) return { violation: `${what} was handed to the core twice` };
          next |= bit(b);
        }
        return next;
      },
    },
    {
      kind: 'step',
      name: 'fetch-own-reply',
      statement:
        "The core copies a reply into a transfer (fetch_response) only from a buffer holding that transfer's own reply.",
      source:
        'sources/scmi-virtio-atomic.txt:318-327 (fetch_response reads xfer->priv), :185-186 (scmi_rx_callback by the header\u2019s token)',
      check: ({ outputs }) => {
        for (const output of outputsOf(outputs)) {
          if (output.type !== 'fetched' || output.reply === output.xfer) continue;
          return output.reply < 0
            ? `transfer ${output.xfer} fetched stale content (${output.via})`
            : `transfer ${output.xfer} fetched the reply of transfer ${output.reply} (${output.via})`;
        }
        return true;
      },
    },
    {
      kind: 'step',
      name: 'poll-done-own-reply',
      statement:
        "virtio_poll_done() reports a polled transfer done only when the buffer bound to it holds that transfer's own reply, returned by the device.",
      source:
        'sources/scmi-virtio-atomic.txt:393-396 ("the only way to check if the freshly arrived buffer was what we were waiting for")',
      check: ({ outputs }) => {
        for (const output of outputsOf(outputs)) {
          if (output.type !== 'poll_done' || output.reply === output.xfer) continue;
          return output.reply < 0
            ? `poll_done reported transfer ${output.xfer} done while its buffer holds no reply of it`
            : `poll_done reported transfer ${output.xfer} done with the reply of transfer ${output.reply}`;
        }
        return true;
      },
    },
    noTimeoutWhileDue<ScmiContext, ScmiEvent>({
      name: 'no-timeout-after-reply',
      statement:
        'A transfer ends with -ETIMEDOUT only if the device had not returned its reply before its deadline passed (on a channel not being freed).',
      source:
        'sources/scmi-virtio-atomic.txt:516 (max_rx_timeout_ms), :473-477 (poll_done: the reply "will be served by a deferred worker OR by the normal IRQ/callback OR by other poll loops")',
      timedOut: (step) =>
        outputsOf(step.outputs)
          .filter((o) => o.type === 'completed' && o.ret === ETIMEDOUT)
          .map((o) => String((o as { xfer: number }).xfer)),
      answerDue: (state, key) =>
        state.context.ready &&
        state.context.cpus.some((cpu) => cpu.xfer === Number(key) && cpu.ghostAnswered),
    }),
    {
      kind: 'step',
      name: 'workqueue-used-while-alive',
      statement:
        'queue_work() is called only on the live deferred_tx_wq: not while destroy_workqueue() drains it, not once it is freed, never on NULL.',
      source:
        'sources/scmi-virtio-atomic.txt:280-283 (chan_free destroys and clears deferred_tx_wq), :491-492 (poll_done queues on it)',
      check: ({ outputs }) => {
        const misuse = outputsOf(outputs).find((o) => o.type === 'queue_work' && o.wq !== 'alive');
        if (!misuse || misuse.type !== 'queue_work') return true;
        const what = {
          draining: 'a workqueue being destroyed (WARN, the work is dropped)',
          freed: 'a freed workqueue (use after free)',
          null: 'a NULL workqueue (oops)',
        } as const;
        return `queue_work() on ${what[misuse.wq as keyof typeof what]}`;
      },
    },
    {
      kind: 'step',
      name: 'channel-used-while-alive',
      statement:
        'No reply is handed to the core through vioch->cinfo once virtio_chan_free() has cleared it.',
      source:
        'sources/scmi-virtio-atomic.txt:276-288 (virtio_chan_free), :213 (the worker calls scmi_rx_callback(vioch->cinfo, ...))',
      check: ({ from, outputs }) =>
        from.context.cinfo ||
        !outputsOf(outputs).some(
          (o) => o.type === 'discarded' || (o.type === 'fetched' && o.via === 'rx_callback'),
        ) ||
        'scmi_rx_callback() called with vioch->cinfo == NULL',
    },
    {
      kind: 'invariant',
      name: 'rx-buffer-not-reused-while-read',
      statement:
        'The device never holds an RX buffer whose delayed response the core is still reading.',
      source:
        'sources/scmi-virtio-atomic.txt:163-164, :185-190 (scmi_rx_callback, then scmi_finalize_message feeds the buffer back)',
      lint: {
        vacuous:
          'the RX virtqueue carries delayed responses only, off at the default bounds (async=0); the variant rx-feed-before-callback breaks it at async=1',
      },
      check: ({ context }) =>
        context.rxCb.msg < 0 ||
        !context.rxDevice.includes(context.rxCb.msg) ||
        `RX buffer ${context.rxCb.msg} is with the device while the core reads it`,
    },
    {
      kind: 'step',
      name: 'complete-live-async-done',
      statement:
        'complete(xfer->async_done) is called only while the caller still waits on it: never on NULL or on a completion whose waiter has returned.',
      source:
        'driver.c of v5.17 (scmi_handle_response: complete(xfer->async_done); do_xfer_with_response: xfer->async_done = NULL), Wen Yang 2024-08-27',
      check: ({ outputs }) => {
        const dead = outputsOf(outputs).find((o) => o.type === 'async_complete' && !o.live);
        return (
          !dead ||
          dead.type !== 'async_complete' ||
          `complete(xfer->async_done) of transfer ${dead.xfer} after its caller cleared it (NULL)`
        );
      },
    },
    {
      kind: 'recoverable',
      name: 'no-buffer-leak',
      statement:
        'While the channel is ready, every buffer the device returns can still get back to free_list: a state is reachable where each message is free or held by the device.',
      source:
        'sources/scmi-virtio-atomic.txt:347-348 ("let IRQ/RX callbacks eventually clean up such messages"), :358-360',
      when: ({ context }) => context.ready,
      goal: (state) => state.context.ready && backOrWithDevice(state),
    },
    {
      kind: 'recoverable',
      name: 'all-free-reachable',
      statement:
        'While the channel is ready and the device answers, the channel can get back to all max_msg messages on free_list.',
      source:
        'sources/scmi-virtio-atomic.txt:355-356 (only a device that never returns buffers may exhaust the pool)',
      when: ({ context }) => context.ready && context.lostLeft === bounds.lost,
      goal: ({ context }) =>
        context.ready &&
        context.freeList.length === bounds.maxMsg &&
        new Set(context.freeList).size === bounds.maxMsg,
    },
  ];
}
