/**
 * What the SCMI virtio TX channel must guarantee (issue 4), each tied to the seed's text.
 * Line numbers refer to sources/scmi-virtio-atomic.txt.
 */
import type { ModelConfig, Property } from '../src/model/model.ts';
import type { ScmiContext, ScmiEvent, ScmiOutput } from '../machines/scmi-virtio.ts';

type P = Property<ScmiContext, ScmiEvent>;

const outputsOf = (outputs: readonly unknown[]) => outputs as readonly ScmiOutput[];
const bit = (n: number) => 1 << n;

/** Messages the virtqueue still owns: held by the device or waiting on the used ring. */
const ownedByVirtqueue = (c: ScmiContext) => new Set([...c.device, ...c.used]);

interface ReplyLedger {
  /** Transfers whose reply the device has returned. */
  returned: number;
  /** Transfers whose reply has been handed to the core. */
  handed: number;
  /** Transfers that ended with -ETIMEDOUT. */
  timedOut: number;
}

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
      kind: 'monitor',
      name: 'reply-handed-once',
      statement:
        'Every reply the device returns is handed to the core at most once and only as the reply of its own transfer, and exactly once unless its transfer timed out.',
      source:
        'sources/scmi-virtio-atomic.txt:185, 213 (scmi_rx_callback per dequeued buffer), :449-452 (poll_done: "process all new messages till the polled-for message is found")',
      initial: (): ReplyLedger => ({ returned: 0, handed: 0, timedOut: 0 }),
      step: (m: ReplyLedger, { outputs }) => {
        let { returned, handed, timedOut } = m;
        for (const output of outputsOf(outputs)) {
          if (output.type === 'returned') returned |= bit(output.token);
          if (output.type === 'timed_out') timedOut |= bit(output.xfer);
          if (output.type !== 'handed') continue;
          for (const d of output.deliveries) {
            if (d.token !== d.xfer)
              return {
                violation: `${d.via} handed the reply of transfer ${d.token} as the reply of transfer ${d.xfer}`,
              };
            if (handed & bit(d.token))
              return {
                violation: `${d.via} handed the reply of transfer ${d.token} a second time`,
              };
            handed |= bit(d.token);
          }
        }
        return { returned, handed, timedOut };
      },
      hot: (m: ReplyLedger) => (m.returned & ~m.handed & ~m.timedOut) !== 0,
    },
    {
      kind: 'step',
      name: 'poll-done-after-reply',
      statement:
        "virtio_poll_done() reports a polled transfer done only after the device has returned that transfer's reply.",
      source:
        'sources/scmi-virtio-atomic.txt:393-396 ("the only way to check if the freshly arrived buffer was what we were waiting for")',
      check: ({ from, outputs }) => {
        for (const output of outputsOf(outputs)) {
          if (output.type !== 'poll_done') continue;
          const held = from.context.device.find((m) => from.context.msgs[m].token === output.xfer);
          if (held !== undefined)
            return `poll_done reported transfer ${output.xfer} done while the device still holds its msg ${held}`;
        }
        return true;
      },
    },
    {
      kind: 'recoverable',
      name: 'no-buffer-leak',
      statement:
        'Every buffer the device returns can still get back to free_list: from every state, a state is reachable where each message is free or held by the device.',
      source:
        'sources/scmi-virtio-atomic.txt:347-348 ("let IRQ/RX callbacks eventually clean up such messages"), :358-360',
      goal: ({ context }) =>
        context.msgs.every((_, m) => context.freeList.includes(m) || context.device.includes(m)),
    },
    {
      kind: 'recoverable',
      name: 'all-free-reachable',
      statement:
        'From every reachable state, with the device answering, the channel can get back to all max_msg messages on free_list.',
      source:
        'sources/scmi-virtio-atomic.txt:355-356 (only a device that never returns buffers may exhaust the pool)',
      goal: ({ context }) =>
        context.freeList.length === bounds.maxMsg &&
        new Set(context.freeList).size === bounds.maxMsg,
    },
  ];
}
