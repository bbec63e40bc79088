/**
 * SCMI virtio model: the code paths of the patch one by one, then the races of v8 as written,
 * replayed step by step, then what the explorer finds for the default model and each variant.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../src/explore/explore.ts';
import { ModelSystem, type SystemNode } from '../src/model/system.ts';
import { resolveConfig } from '../src/model/config.ts';
import {
  ETIMEDOUT,
  IDX_CURRENT,
  IDX_MOVED,
  NOT_POLLED,
  POLL_DONE,
  VARIANTS,
  deviceReply,
  flagsOf,
  initialContext,
  markTxdone,
  pollFetch,
  sendMessage,
  workerList,
  type ScmiContext,
  type ScmiEvent,
} from '../machines/scmi-virtio.ts';
import { scmiVirtioModel } from '../machines/registry.ts';

const fixed = flagsOf(new Set());
const asWritten = flagsOf(new Set([VARIANTS.asWritten]));

describe('scmi-virtio code paths', () => {
  it('sets the pool up as list_add() leaves it: last message at the head', () => {
    expect(initialContext(3, 2).freeList).toEqual([2, 1, 0]);
  });

  it('send_message takes the head of free_list, hands it to the device, binds polled ones', () => {
    const c = sendMessage(initialContext(2, 2), 0, true);
    expect(c.freeList).toEqual([0]);
    expect(c.device).toEqual([1]);
    expect(c.msgs[1]).toEqual({ token: 0, pollIdx: IDX_CURRENT });
    expect(c.cpus[0]).toMatchObject({ xfer: 0, polled: true, priv: 1 });
    const notPolled = sendMessage(initialContext(2, 2), 1, false);
    expect(notPolled.msgs[1].pollIdx).toBe(NOT_POLLED);
    expect(notPolled.cpus[1].priv).toBe(-1);
  });

  it('send_message fails with -EBUSY on an empty free_list and the transfer is put', () => {
    let c = sendMessage(initialContext(1, 2), 0, false);
    c = sendMessage(c, 1, true);
    expect(c.issued).toBe(2);
    expect(c.device).toEqual([0]);
    expect(c.cpus[1].xfer).toBe(-1);
  });

  it('a returned buffer moves every poll index taken before it and raises the IRQ only if enabled', () => {
    const c = sendMessage(initialContext(2, 2), 0, true);
    const returned = deviceReply(c, 1);
    expect(returned.used).toEqual([1]);
    expect(returned.msgs[1].pollIdx).toBe(IDX_MOVED);
    expect(returned.irqPending).toBe(true);
    expect(deviceReply({ ...c, cbEnabled: false }, 1).irqPending).toBe(false);
  });

  it('poll_done prefetches non-polled replies, marks other polled ones POLL_DONE, stops at its own', () => {
    let c = sendMessage(initialContext(3, 3), 0, true); // msg 2
    c = sendMessage(c, 1, false); // msg 1
    c = sendMessage(c, 2, true); // msg 0
    c = deviceReply(deviceReply(deviceReply(c, 1), 0), 2);
    const { next, found, kick } = pollFetch(c, 0, asWritten);
    expect(found).toBe(true);
    expect(kick).toBe(true);
    expect(next.pendingList).toEqual([1]);
    expect(next.msgs[0].pollIdx).toBe(POLL_DONE);
    expect(next.used).toEqual([]);
    expect(next.cbEnabled).toBe(true);
  });

  it('poll_done without its reply refreshes poll_idx and re-enables callbacks', () => {
    let c = sendMessage(initialContext(2, 2), 0, true);
    c = { ...c, msgs: c.msgs.map((m, i) => (i === 1 ? { ...m, pollIdx: IDX_MOVED } : m)) };
    const { next, found, kick } = pollFetch(c, 0, asWritten);
    expect([found, kick]).toEqual([false, false]);
    expect(next.msgs[1].pollIdx).toBe(IDX_CURRENT);
  });

  it('as written, mark_txdone frees only a successful polled message that is on no list', () => {
    const sent = sendMessage(initialContext(2, 1), 0, true);
    const ok = { ...sent, cpus: [{ ...sent.cpus[0], ret: 0 }] };
    expect(markTxdone(ok, 0, asWritten).freeList).toEqual([1, 0]);
    const late = { ...sent, cpus: [{ ...sent.cpus[0], ret: ETIMEDOUT }] };
    expect(markTxdone(late, 0, asWritten).freeList).toEqual([0]);
    const listed = { ...ok, freeList: [1, 0] };
    expect(markTxdone(listed, 0, asWritten).freeList).toEqual([1, 0]);
  });

  it('fixed, mark_txdone frees a dequeued polled message whatever ret, else leaves it to the late-reply paths', () => {
    const sent = sendMessage(initialContext(2, 1), 0, true);
    const timedOut = { ...sent, cpus: [{ ...sent.cpus[0], ret: ETIMEDOUT }] };
    const dequeued = {
      ...timedOut,
      device: [],
      msgs: timedOut.msgs.map((m, i) => (i === 1 ? { ...m, pollIdx: POLL_DONE } : m)),
    };
    expect(markTxdone(dequeued, 0, fixed).freeList).toEqual([1, 0]);
    const stillHeld = markTxdone(timedOut, 0, fixed);
    expect(stillHeld.freeList).toEqual([0]);
    expect(stillHeld.msgs[1].pollIdx).toBe(NOT_POLLED);
  });

  it('the deferred worker empties pending_cmds_list; without list_del (v6) the messages stay on it', () => {
    const c: ScmiContext = { ...initialContext(2, 1), freeList: [], pendingList: [0, 1] };
    expect(workerList(c, fixed)).toMatchObject({ pendingList: [], freeList: [1, 0] });
    const v6 = workerList(c, flagsOf(new Set([VARIANTS.v7MissingListDel])));
    expect(v6.pendingList).toEqual([0, 1]);
    expect(v6.freeList).toEqual([1, 0]);
  });
});

/** Steps the model through `events` with the engine's stepper; returns the violations seen. */
function replay(variants: string[], events: ScmiEvent[]) {
  const system = new ModelSystem(scmiVirtioModel, resolveConfig(scmiVirtioModel, { variants }));
  let node: SystemNode = system.initial().node;
  const violations: string[] = [];
  for (const [i, event] of events.entries()) {
    const next = system.stepWith(node, system.view(node), event, 0);
    if (!next) throw new Error(`step ${i} (${JSON.stringify(event)}) is not enabled`);
    violations.push(...next.violations.map((v) => v.property));
    node = next.node;
    violations.push(...system.checkState(node).map((v) => v.property));
  }
  return { context: system.view(node).context as ScmiContext, violations };
}

/** A polled transfer on CPU 0 whose reply the IRQ callback on CPU 1 hands to the core. */
const irqAnswersPolledTransfer: ScmiEvent[] = [
  { type: 'send', cpu: 0, polled: true },
  { type: 'step', cpu: 0 }, // poll_done: index not moved yet
  { type: 'device_reply', msg: 1 },
  { type: 'irq', cpu: 1 },
  { type: 'irq_step' }, // virtqueue_get_buf()
  { type: 'irq_step' }, // scmi_rx_callback(): completes xfer->done
];

describe('v8 as written: the races the explorer reports, replayed', () => {
  it('mark_txdone frees a message the IRQ callback is about to free: linked twice', () => {
    const { context, violations } = replay(
      [VARIANTS.asWritten],
      [
        ...irqAnswersPolledTransfer,
        { type: 'step', cpu: 0 }, // try_wait_for_completion() succeeds
        { type: 'step', cpu: 0 }, // in time
        { type: 'step', cpu: 0 }, // mark_txdone(0): list_empty() -> free
        { type: 'irq_step' }, // scmi_finalize_message(): free again
      ],
    );
    expect(context.freeList).toEqual([1, 1, 0]);
    expect(violations).toContain('one-list-at-a-time');
  });

  it('... and if the message was reused meanwhile, it is freed while the device holds it', () => {
    const { violations } = replay(
      [VARIANTS.asWritten],
      [
        ...irqAnswersPolledTransfer,
        { type: 'step', cpu: 0 },
        { type: 'step', cpu: 0 },
        { type: 'step', cpu: 0 },
        { type: 'send', cpu: 0, polled: true }, // reuses msg 1
        { type: 'irq_step' },
      ],
    );
    expect(violations).toContain('free-only-when-returned');
  });

  it("a poller still bound to a freed and reused message takes another transfer's reply", () => {
    const { violations } = replay(
      [VARIANTS.asWritten],
      [
        { type: 'send', cpu: 0, polled: true }, // transfer 0 in msg 1
        { type: 'device_reply', msg: 1 },
        { type: 'step', cpu: 0 }, // poll_idx moved: on to the vioch->lock section
        { type: 'irq', cpu: 0 }, // ... but the interrupt comes first
        { type: 'irq_step' }, // virtqueue_get_buf(): msg 1
        { type: 'irq_step' }, // scmi_rx_callback(): transfer 0 completed
        { type: 'irq_step' }, // scmi_finalize_message(): msg 1 free
        { type: 'send', cpu: 1, polled: true }, // transfer 1 reuses msg 1
        { type: 'irq_step' }, // nothing more: the callback returns
        { type: 'device_reply', msg: 1 }, // transfer 1's reply
        { type: 'step', cpu: 0 }, // CPU 0 dequeues msg 1 as its own
      ],
    );
    expect(violations).toEqual(['reply-handed-once']);
  });

  it('the interrupt handler keeps the caller of the CPU it runs on from stepping', () => {
    const system = new ModelSystem(scmiVirtioModel, resolveConfig(scmiVirtioModel));
    let node = system.initial().node;
    const events: ScmiEvent[] = [
      { type: 'send', cpu: 0, polled: true },
      { type: 'device_reply', msg: 1 },
      { type: 'irq', cpu: 0 },
    ];
    for (const event of events) {
      node = system.stepWith(node, system.view(node), event, 0)!.node;
    }
    const step: ScmiEvent = { type: 'step', cpu: 0 };
    const otherCpu: ScmiEvent = { type: 'send', cpu: 1, polled: false };
    expect(system.stepWith(node, system.view(node), step, 0)).toBeNull();
    expect(system.stepWith(node, system.view(node), otherCpu, 0)).not.toBeNull();
  });

  it('a reply found by poll_done is leaked when the final ktime check says timed out', () => {
    const { context, violations } = replay(
      [VARIANTS.asWritten],
      [
        { type: 'send', cpu: 0, polled: true },
        { type: 'device_reply', msg: 1 },
        { type: 'step', cpu: 0 }, // poll_idx moved
        { type: 'step', cpu: 0 }, // dequeues its own reply: poll_done() returns true
        { type: 'expire', cpu: 0 }, // ktime_after(): -ETIMEDOUT
        { type: 'step', cpu: 0 }, // mark_txdone(-ETIMEDOUT) does not free it
      ],
    );
    expect(violations).toEqual([]);
    expect(context.freeList).toEqual([0]);
    expect(context.device).toEqual([]);
    expect(context.used).toEqual([]);
    expect(context.pendingList).toEqual([]);
  });

  it('a poll loop erases the POLL_DONE mark another CPU left between its two critical sections', () => {
    const { context } = replay(
      [VARIANTS.asWritten],
      [
        { type: 'send', cpu: 0, polled: true }, // msg 1
        { type: 'send', cpu: 1, polled: true }, // msg 0
        { type: 'device_reply', msg: 1 },
        { type: 'step', cpu: 0 }, // CPU 0 sees its index moved
        { type: 'step', cpu: 1 }, // CPU 1 too ...
        { type: 'step', cpu: 1 }, // ... and dequeues msg 1: POLL_DONE
        { type: 'step', cpu: 0 }, // CPU 0 finds the ring empty and refreshes poll_idx
      ],
    );
    expect(context.msgs[1].pollIdx).toBe(IDX_CURRENT);
    expect(context.used).toEqual([]);
  });
});

describe('scmi-virtio exploration', () => {
  it('finds the v8 double free as a short counterexample ending in scmi_finalize_message()', () => {
    // One message is enough for this race, and keeps the search small.
    const result = explore(scmiVirtioModel, {
      variants: [VARIANTS.asWritten],
      bounds: { maxMsg: 1 },
    });
    const trace = result.properties.find((p) => p.name === 'one-list-at-a-time')?.trace;
    expect(trace).toBeDefined();
    const events = trace!.steps.map((s) => s.event.type);
    expect(events.at(-1)).toBe('irq_step');
    expect(trace!.steps.length).toBeLessThanOrEqual(12);
  });

  it('catches the missing deferred worker by the leak of a prefetched reply', () => {
    const result = explore(scmiVirtioModel, { variants: [VARIANTS.noDeferredWorker] });
    const leak = result.properties.find((p) => p.name === 'no-buffer-leak');
    expect(leak?.holds).toBe(false);
    const last = leak!.trace!.steps.at(-1)!.context as ScmiContext;
    expect(last.pendingList.length).toBeGreaterThan(0);
  });

  it('catches mark_txdone freeing a timed-out message while the device still holds it', () => {
    const result = explore(scmiVirtioModel, {
      variants: [VARIANTS.txdoneFreesTimedOut],
      bounds: { maxMsg: 1 },
    });
    const trace = result.properties.find((p) => p.name === 'free-only-when-returned')?.trace;
    expect(trace!.steps.map((s) => s.event.type)).toContain('expire');
  });
});
