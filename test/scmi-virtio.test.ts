/**
 * SCMI virtio model: the code paths of the patch and of the core one by one, time and teardown,
 * then the findings on v8 as written replayed step by step (each with the property it breaks
 * and the consequence the trace shows), then what the explorer says at chosen bounds (the
 * token's safety boundary, the hint). The generic checks (every variant breaks exactly what it
 * declares, at its bounds) are in test/registry.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { chartOf } from '../src/inspect/chart.ts';
import { lanesOf } from '../src/inspect/lanes.ts';
import { explore } from '../src/explore/explore.ts';
import { ModelSystem, type SystemNode } from '../src/model/system.ts';
import { resolveConfig } from '../src/model/config.ts';
import { EXPIRED } from '../src/model/time.ts';
import {
  EBUSY,
  EOPNOTSUPP,
  ETIMEDOUT,
  IDX_CURRENT,
  IDX_MOVED,
  NOT_POLLED,
  POLL_DONE,
  SCMI_ERR_SUPPORT,
  VARIANTS,
  WQ_ALIVE,
  allocToken,
  deviceReply,
  flagsOf,
  freeSteps,
  initialContext,
  markTxdone,
  pollBegin,
  pollExit,
  pollFetch,
  queueWork,
  rxCallback,
  sendMessage,
  tick,
  tickEnabled,
  withCpu,
  workerList,
  type ScmiContext,
  type ScmiEvent,
  type ScmiOutput,
} from '../machines/scmi-virtio.ts';
import { scmiVirtioModel } from '../machines/registry.ts';
import { scmiVirtioProperties } from '../properties/scmi-virtio.ts';

const fixed = flagsOf(new Set());
const asWritten = flagsOf(new Set([VARIANTS.asWritten]));
const transport = { maxMsg: 2, tokens: 4, timeout: 1, deviceLatency: 1 };
const fresh = (maxMsg = 2, cpus = 2) => initialContext(maxMsg, cpus, 4, 0);
const send = (c: ScmiContext, cpu: number, polled: boolean, bounds = transport) =>
  sendMessage(c, cpu, polled, bounds).next;

describe('scmi-virtio code paths', () => {
  it('sets the pool up as list_add() leaves it: last message at the head', () => {
    expect(fresh(3).freeList).toEqual([2, 1, 0]);
  });

  it('send_message takes the head of free_list, hands it to the device, binds polled ones, starts the timeout', () => {
    const c = send(fresh(), 0, true);
    expect(c.freeList).toEqual([0]);
    expect(c.device).toEqual([1]);
    expect(c.msgs[1]).toMatchObject({ gid: 0, token: 0, pollIdx: IDX_CURRENT, due: 1 });
    expect(c.cpus[0]).toMatchObject({ xfer: 0, polled: true, priv: 1, deadline: 1 });
    const notPolled = send(fresh(), 1, false);
    expect(notPolled.msgs[1].pollIdx).toBe(NOT_POLLED);
    expect(notPolled.cpus[1].priv).toBe(-1);
  });

  it('a send on an empty free list fails with -EBUSY, and the transfer still took a token', () => {
    const one = { ...transport, maxMsg: 2 };
    const c = send(initialContext(1, 2, 4, 0), 0, false, one);
    const { next, ret } = sendMessage(c, 1, true, one);
    expect(ret).toBe(EBUSY);
    expect(next.issued).toBe(2);
    expect(next.lastToken).toBe(1);
    expect(next.cpus[1].xfer).toBe(-1);
  });

  it('the core allocates the next token after the last, skipping those in use, wrapping', () => {
    let c = initialContext(2, 2, 2, 0);
    expect(allocToken(c, 2)).toBe(0);
    c = send(c, 0, false, { ...transport, tokens: 2 }); // token 0, in use
    c = { ...c, lastToken: 1 }; // the next would be 0 again: it is busy, so 1
    expect(allocToken(c, 2)).toBe(1);
    c = withCpu(c, 1, { xfer: 1, token: 1 });
    expect(allocToken(c, 2)).toBeNull();
  });

  it('a returned buffer moves every poll index, raises the IRQ only if enabled, marks an answer in time', () => {
    const c = send(fresh(), 0, true);
    const returned = deviceReply(c, 1, 0);
    expect(returned.used).toEqual([1]);
    expect(returned.msgs[1]).toMatchObject({ pollIdx: IDX_MOVED, fresh: true, due: null });
    expect(returned.irqPending).toBe(true);
    expect(returned.cpus[0].ghostAnswered).toBe(true);
    expect(deviceReply({ ...c, cbEnabled: false }, 1, 0).irqPending).toBe(false);
    // After the deadline passed (time_after strict), the same reply is late.
    const late = deviceReply(withCpu(c, 0, { deadline: EXPIRED }), 1, 0);
    expect(late.cpus[0].ghostAnswered).toBe(false);
  });

  it('scmi_rx_callback finds the transfer by token; a reply for a transfer already RESP_OK is discarded', () => {
    let c = send(fresh(), 0, false);
    c = deviceReply(c, 1, SCMI_ERR_SUPPORT);
    const handed = rxCallback(c, 1, fixed);
    expect(handed.output).toEqual({ type: 'fetched', xfer: 0, reply: 0, via: 'rx_callback' });
    expect(handed.next.cpus[0]).toMatchObject({ done: true, priv: 1, status: SCMI_ERR_SUPPORT });
    expect(rxCallback(handed.next, 1, fixed).output).toEqual({ type: 'discarded', reply: 0 });
  });

  it('poll_done prefetches non-polled replies, marks other polled ones POLL_DONE, stops at its own', () => {
    let c = initialContext(3, 3, 4, 0);
    c = send(c, 0, true, { ...transport, maxMsg: 3 }); // msg 2
    c = send(c, 1, false, { ...transport, maxMsg: 3 }); // msg 1
    c = send(c, 2, true, { ...transport, maxMsg: 3 }); // msg 0
    c = deviceReply(deviceReply(deviceReply(c, 1, 0), 0, 0), 2, 0);
    const { next, found, kick } = pollFetch(pollBegin(c, 0), 0, asWritten);
    expect([found, kick]).toEqual([true, true]);
    expect(next.pendingList).toEqual([1]);
    expect(next.msgs[0].pollIdx).toBe(POLL_DONE);
    expect(next.used).toEqual([]);
    expect(next.cbEnabled).toBe(true);
    // The fix also marks its own message, so that mark_txdone knows it came back.
    expect(pollFetch(pollBegin(c, 0), 0, fixed).next.msgs[2].pollIdx).toBe(POLL_DONE);
  });

  it('poll_done without its reply refreshes poll_idx and re-enables callbacks', () => {
    let c = send(fresh(), 0, true);
    c = { ...c, msgs: c.msgs.map((m, i) => (i === 1 ? { ...m, pollIdx: IDX_MOVED } : m)) };
    const { next, found, kick } = pollFetch(pollBegin(c, 0), 0, asWritten);
    expect([found, kick]).toEqual([false, false]);
    expect(next.msgs[1].pollIdx).toBe(IDX_CURRENT);
  });

  it("not-freed-while-polled also covers poll_done's local msg, which its second section still writes", () => {
    const property = scmiVirtioProperties({
      bounds: resolveConfig(scmiVirtioModel).bounds,
      variants: new Set(),
    }).find((p) => p.name === 'not-freed-while-polled')!;
    const check = (context: ScmiContext) =>
      property.kind === 'invariant' && property.check({ value: {}, context, matches: () => false });
    let c = pollBegin(send(fresh(), 0, true), 0); // transfer 0 polls msg 1, its poll_done at its second section
    expect(check(c)).toBe(true);
    // The core rebinds xfer->priv to msg 0; msg 1, still poll_done's msg, goes back to free_list.
    c = { ...withCpu(c, 0, { priv: 0 }), freeList: [1] };
    expect(check(c)).toBe('msg 1 is on free_list while transfer 0 still polls it');
  });

  it('after the polling loop the deadline decides: -ETIMEDOUT once time_after(), else fetch and the status errno', () => {
    let c = deviceReply(send(fresh(), 0, true), 1, SCMI_ERR_SUPPORT);
    c = pollFetch(pollBegin(c, 0), 0, fixed).next;
    const inTime = pollExit(withCpu(c, 0, { deadline: 0 }), 0);
    expect(inTime.output).toEqual({ type: 'fetched', xfer: 0, reply: 0, via: 'poll' });
    expect(inTime.next.cpus[0].ret).toBe(EOPNOTSUPP);
    const passed = pollExit(withCpu(c, 0, { deadline: EXPIRED }), 0);
    expect(passed.output).toBeNull();
    expect(passed.next.cpus[0].ret).toBe(ETIMEDOUT);
  });

  it('as written, mark_txdone frees only a successful polled message that is on no list', () => {
    const sent = send(fresh(2, 1), 0, true);
    const ok = withCpu(sent, 0, { ret: 0 });
    expect(markTxdone(ok, 0, asWritten).freeList).toEqual([1, 0]);
    for (const ret of [ETIMEDOUT, EOPNOTSUPP]) {
      expect(markTxdone(withCpu(sent, 0, { ret }), 0, asWritten).freeList).toEqual([0]);
    }
    const listed = { ...ok, freeList: [1, 0] };
    expect(markTxdone(listed, 0, asWritten).freeList).toEqual([1, 0]);
  });

  it('fixed, mark_txdone frees a dequeued polled message whatever ret, else leaves it to the late-reply paths', () => {
    const sent = send(fresh(2, 1), 0, true);
    const timedOut = withCpu(sent, 0, { ret: ETIMEDOUT });
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

  it('the deferred worker hands and frees pending_cmds_list; without list_del (v6) the messages stay on it', () => {
    const c: ScmiContext = { ...fresh(2, 1), freeList: [], pendingList: [0, 1] };
    expect(workerList(c, fixed).next).toMatchObject({ pendingList: [], freeList: [1, 0] });
    expect(workerList(c, fixed).outputs).toEqual([
      { type: 'discarded', reply: -1 },
      { type: 'discarded', reply: -1 },
    ]);
    const v6 = workerList(c, flagsOf(new Set([VARIANTS.v7MissingListDel]))).next;
    expect(v6.pendingList).toEqual([0, 1]);
    expect(v6.freeList).toEqual([1, 0]);
  });

  it('queue_work queues only on a live workqueue and says what it reached', () => {
    const c = fresh();
    expect(queueWork(c)).toMatchObject({ output: { wq: 'alive' }, next: { workQueued: true } });
    for (const [patch, wq] of [
      [{ wq: 1 }, 'draining'],
      [{ wq: 2 }, 'freed'],
      [{ wqPointer: false }, 'null'],
    ] as const) {
      const result = queueWork({ ...c, ...patch });
      expect(result.output).toEqual({ type: 'queue_work', wq });
      expect(result.next.workQueued).toBe(false);
    }
    expect(c.wq).toBe(WQ_ALIVE);
  });

  it('virtio_chan_free: as written destroys then NULLs; the fix NULLs first (under vioch->lock)', () => {
    expect(freeSteps(asWritten)).toEqual(['READY', 'DRAIN', 'DESTROY', 'WQ_NULL', 'GONE']);
    expect(freeSteps(fixed)).toEqual(['READY', 'WQ_NULL', 'DRAIN', 'DESTROY', 'GONE']);
  });
});

describe('scmi-virtio time', () => {
  it('time passes only while every context waits: not with an interrupt, work or a runnable CPU', () => {
    const waiting = send(fresh(), 0, false);
    expect(tickEnabled(waiting, fixed)).toBe(true);
    expect(tickEnabled({ ...waiting, irqPending: true }, fixed)).toBe(false);
    expect(tickEnabled({ ...waiting, workQueued: true }, fixed)).toBe(false);
    expect(tickEnabled(withCpu(waiting, 0, { done: true }), fixed)).toBe(false);
    expect(tickEnabled(withCpu(waiting, 0, { spinning: false }), fixed)).toBe(false);
  });

  it('a polling CPU lets time pass only while it has nothing new to look at', () => {
    const polling = send(fresh(), 0, true);
    expect(tickEnabled(polling, fixed)).toBe(true);
    const moved = deviceReply({ ...polling, cbEnabled: false }, 1, 0);
    expect(tickEnabled(moved, fixed)).toBe(false);
  });

  it('a tick moves every deadline and every obligation of the device; the device must answer before its last tick', () => {
    const c = send(fresh(), 0, false);
    const later = tick(c);
    expect(later.cpus[0].deadline).toBe(0);
    expect(later.msgs[1].due).toBe(0);
    expect(tickEnabled(later, fixed)).toBe(false); // the device owes msg 1 now
    const answered = tick(deviceReply({ ...later, cbEnabled: false }, 1, 0));
    expect(answered.cpus[0].deadline).toBe(EXPIRED);
    expect(tick(answered).cpus[0].deadline).toBe(EXPIRED);
  });
});

interface Replayed {
  context: ScmiContext;
  /** Per step (1-based index - 1): the properties violated by the step or in the state after it. */
  violations: string[][];
  outputs: ScmiOutput[][];
}

/** Steps the model through `events` with the engine's stepper. */
function replay(
  variants: string[],
  events: ScmiEvent[],
  bounds: Record<string, number> = {},
): Replayed {
  const config = resolveConfig(scmiVirtioModel, { variants, bounds });
  const system = new ModelSystem(scmiVirtioModel, config);
  let node: SystemNode = system.initial().node;
  const violations: string[][] = [];
  const outputs: ScmiOutput[][] = [];
  for (const [i, event] of events.entries()) {
    const next = system.stepWith(node, system.view(node), event, 0);
    if (!next) throw new Error(`step ${i + 1} (${JSON.stringify(event)}) is not enabled`);
    node = next.node;
    violations.push([
      ...next.violations.map((v) => v.property),
      ...system.checkState(node).map((v) => v.property),
    ]);
    outputs.push(next.result.outputs as ScmiOutput[]);
  }
  return { context: system.view(node).context as ScmiContext, violations, outputs };
}

const step = (cpu: number): ScmiEvent => ({ type: 'step', cpu });
const reply = (msg: number, status = 0): ScmiEvent => ({ type: 'device_reply', msg, status });
const polledSend = (cpu: number): ScmiEvent => ({ type: 'send', cpu, polled: true });
const TICK: ScmiEvent = { type: 'tick' };
const IRQ_STEP: ScmiEvent = { type: 'irq_step' };

/** A polled transfer on CPU 0 whose reply the IRQ callback on CPU 1 hands to the core. */
const irqAnswersPolledTransfer: ScmiEvent[] = [
  polledSend(0),
  step(0), // poll_done: index not moved yet
  reply(1),
  { type: 'irq', cpu: 1 },
  IRQ_STEP, // virtqueue_get_buf()
  IRQ_STEP, // scmi_rx_callback(): fetched, completes xfer->done
];

describe('v8 as written: the findings, replayed', () => {
  it('the root: the IRQ path frees a polled message while its transfer still polls it (6 steps)', () => {
    const { violations } = replay(
      [VARIANTS.asWritten],
      [polledSend(0), reply(1), { type: 'irq', cpu: 0 }, IRQ_STEP, IRQ_STEP, IRQ_STEP],
    );
    expect(violations[5]).toEqual(['not-freed-while-polled']);
    expect(violations.slice(0, 5).flat()).toEqual([]);
  });

  it('finding 1: mark_txdone frees a message the IRQ callback is about to free: linked twice (10 steps)', () => {
    const { context, violations } = replay(
      [VARIANTS.asWritten],
      [
        ...irqAnswersPolledTransfer,
        step(0), // try_wait_for_completion() succeeds
        step(0), // in time, already RESP_OK
        step(0), // mark_txdone(0): list_empty() -> free
        IRQ_STEP, // scmi_finalize_message(): free again
      ],
    );
    expect(context.freeList).toEqual([1, 1, 0]);
    expect(violations[9]).toContain('one-list-at-a-time');
  });

  it('finding 2: ... and if the message was reused meanwhile, it is freed while the device holds it (11 steps)', () => {
    const { violations } = replay(
      [VARIANTS.asWritten],
      [...irqAnswersPolledTransfer, step(0), step(0), step(0), polledSend(0), IRQ_STEP],
    );
    expect(violations[10]).toEqual(
      expect.arrayContaining(['free-only-when-returned', 'not-freed-while-polled']),
    );
  });

  it("finding 3: a poller bound to a freed and reused message consumes the other transfer's reply (11 steps); no wrong payload, but that transfer times out although answered", () => {
    const prefix: ScmiEvent[] = [
      polledSend(0), // transfer 0 in msg 1
      reply(1),
      step(0), // poll_idx moved: on to the vioch->lock section
      { type: 'irq', cpu: 0 }, // ... but the interrupt comes first
      IRQ_STEP, // virtqueue_get_buf(): msg 1
      IRQ_STEP, // scmi_rx_callback(): transfer 0 fetched and completed
      IRQ_STEP, // scmi_finalize_message(): msg 1 free
      polledSend(1), // transfer 1 reuses msg 1
      IRQ_STEP, // nothing more: the callback returns
      reply(1), // transfer 1's reply
      step(0), // CPU 0 dequeues msg 1 as its own
    ];
    const { violations, outputs, context } = replay(
      [VARIANTS.asWritten],
      [
        ...prefix,
        step(0), // POLL_EXIT: transfer 0 is RESP_OK, nothing fetched
        step(0), // mark_txdone(0): msg 1 is on no list -> freed, while transfer 1 polls it
        { type: 'irq', cpu: 1 }, // the interrupt of transfer 1's reply: the ring is empty
        step(1), // transfer 1: poll_idx NOT_POLLED reads as moved
        step(1), // nothing to dequeue: poll_idx refreshed
        TICK,
        TICK,
        step(1), // its deadline passed
        step(1), // -ETIMEDOUT
      ],
    );
    expect(violations[6]).toEqual(['not-freed-while-polled']);
    expect(outputs[10]).toEqual([{ type: 'poll_done', xfer: 0, reply: 1 }]);
    expect(violations[10]).toEqual(['poll-done-own-reply']);
    // Transfer 0 got its own reply through the IRQ path; the core fetches nothing more.
    expect(outputs.flat().filter((o) => o.type === 'fetched')).toEqual([
      { type: 'fetched', xfer: 0, reply: 0, via: 'rx_callback' },
    ]);
    expect(violations[12]).toEqual(['not-freed-while-polled']);
    expect(outputs[19]).toEqual([{ type: 'completed', xfer: 1, ret: ETIMEDOUT }]);
    expect(violations[19]).toEqual(['no-timeout-after-reply']);
    expect(context.freeList).toEqual([1, 0]);
  });

  it('finding 4: a reply that comes in the tick the deadline passes is dequeued, the final ktime check says timed out, the message leaks (late device)', () => {
    const events: ScmiEvent[] = [
      polledSend(0),
      TICK,
      TICK, // the deadline has passed; the poller is back at its poll_done() call
      reply(1), // a late reply
      step(0), // poll_done: index moved
      step(0), // dequeues its own reply: true
      step(0), // ktime_after(): -ETIMEDOUT
      step(0), // mark_txdone(-ETIMEDOUT) does not free it
      { type: 'irq', cpu: 0 }, // IRQ_NONE: the ring is empty
    ];
    const written = replay([VARIANTS.asWritten], events, { late: 1 });
    expect(written.outputs[6]).toEqual([]);
    expect(written.outputs[7]).toEqual([{ type: 'completed', xfer: 0, ret: ETIMEDOUT }]);
    expect(written.context).toMatchObject({ freeList: [0], device: [], used: [], pendingList: [] });
    // The fix frees it: the poll loop marked it POLL_DONE.
    expect(replay([], events, { late: 1 }).context.freeList).toEqual([1, 0]);
  });

  it('finding 5: a poll loop erases the POLL_DONE mark another CPU left between its two critical sections (the leak is decided at step 6)', () => {
    const { context } = replay(
      [VARIANTS.asWritten],
      [
        polledSend(0), // msg 1
        polledSend(1), // msg 0
        reply(0), // transfer 1's reply
        step(0), // CPU 0 sees the index move
        step(1), // CPU 1 too
        step(0), // CPU 0 dequeues msg 0: POLL_DONE for CPU 1
        step(1), // CPU 1 finds the ring empty and refreshes poll_idx over the mark
      ],
    );
    expect(context.msgs[0].pollIdx).toBe(IDX_CURRENT);
    expect(context.used).toEqual([]);
  });

  it('finding 6 (new): a polled transfer answered with an SCMI error status leaks its message (mark_txdone tests ret == 0)', () => {
    const events: ScmiEvent[] = [
      polledSend(0),
      reply(1, SCMI_ERR_SUPPORT),
      step(0), // index moved
      step(0), // dequeues its own reply
      step(0), // fetch: status NOT_SUPPORTED
      step(0), // mark_txdone(-EOPNOTSUPP)
      { type: 'irq', cpu: 0 },
    ];
    const written = replay([VARIANTS.asWritten], events, { error: 1 });
    expect(written.outputs[4]).toEqual([{ type: 'fetched', xfer: 0, reply: 0, via: 'poll' }]);
    expect(written.outputs[5]).toEqual([{ type: 'completed', xfer: 0, ret: EOPNOTSUPP }]);
    expect(written.context).toMatchObject({ freeList: [0], device: [], used: [], pendingList: [] });
    expect(replay([], events, { error: 1 }).context.freeList).toEqual([1, 0]);
  });

  describe('finding 7 (new): queue_work() against virtio_chan_free() with a transfer in flight', () => {
    /* One CPU, a late device, teardown with users: the second transfer's poll loop prefetches
     * the late reply of the first and has to kick the worker after dropping vioch->lock. */
    const bounds = { teardown: 2, cpus: 1, late: 1 };
    const prefix: ScmiEvent[] = [
      { type: 'send', cpu: 0, polled: false },
      TICK,
      TICK,
      step(0), // woken by its timer
      step(0), // -ETIMEDOUT; msg 1 stays with the device
      polledSend(0), // transfer 1 in msg 0
      reply(1), // transfer 0's late reply
      step(0), // index moved
      step(0), // prefetched onto pending_cmds_list: the worker must be kicked
    ];
    const kick = (variant: string, frees: number) =>
      replay(
        [variant],
        [
          ...prefix,
          { type: 'chan_free' },
          ...Array.from({ length: frees }, () => ({ type: 'free_step' }) as ScmiEvent),
          step(0),
        ],
        bounds,
      );

    it('on a draining workqueue (WARN, work dropped), a freed one (use after free), a NULL one (oops)', () => {
      for (const [frees, wq] of [
        [1, 'draining'],
        [2, 'freed'],
        [3, 'null'],
      ] as const) {
        const { outputs, violations } = kick(VARIANTS.teardownAsWritten, frees);
        expect(outputs.at(-1)).toEqual([{ type: 'queue_work', wq }]);
        expect(violations.at(-1)).toEqual(['workqueue-used-while-alive']);
      }
    });

    it('the fix queues inside vioch->lock, and chan_free clears the pointer under it before destroying', () => {
      const { outputs } = replay([], [...prefix.slice(0, -1), step(0)], bounds);
      expect(outputs.at(-1)).toEqual([{ type: 'queue_work', wq: 'alive' }]);
    });
  });
});

describe('delayed responses (the RX virtqueue)', () => {
  const rxStep: ScmiEvent = { type: 'rx_step' };
  const dresp = (xfer: number, status = 0): ScmiEvent => ({
    type: 'device_dresp',
    xfer,
    rx: 0,
    status,
  });

  it('a delayed response before the response is taken as both; the late response is then dropped', () => {
    const { outputs, violations } = replay(
      [],
      [
        { type: 'send_async', cpu: 0 },
        dresp(0),
        { type: 'rx_irq' },
        rxStep, // get the RX buffer
        rxStep, // acquire: SENT_OK -> RESP_OK (complete done) -> DRESP_OK
        rxStep, // fetch, complete(async_done), release
        rxStep, // feed the RX buffer back
        step(0), // wait_for_completion_timeout(done): done
        step(0), // mark_txdone; the async completion is already done
        step(0), // wait_for_completion_timeout(async_done)
        step(0), // async_done = NULL, return 0
        reply(1), // the response, after all
        { type: 'irq', cpu: 0 },
        IRQ_STEP,
        IRQ_STEP,
      ],
      { async: 1, cpus: 1 },
    );
    expect(outputs[5]).toEqual([
      { type: 'fetched', xfer: 0, reply: 0, via: 'dresp' },
      { type: 'async_complete', xfer: 0, live: true },
    ]);
    expect(outputs[10]).toEqual([{ type: 'completed', xfer: 0, ret: 0 }]);
    expect(outputs[14]).toEqual([{ type: 'discarded', reply: 0 }]);
    expect(violations.flat()).toEqual([]);
  });

  /* The response never comes in time; the delayed response comes as the caller gives up. */
  const givesUp: ScmiEvent[] = [
    { type: 'send_async', cpu: 0 },
    TICK,
    TICK,
    step(0), // woken by its timer: -ETIMEDOUT
    step(0), // mark_txdone; no wait for the delayed response
    dresp(0),
    { type: 'rx_irq' },
    rxStep, // get the RX buffer
    rxStep, // acquire: async_done is still set, the transfer still pending
    step(0), // async_done = NULL, return -ETIMEDOUT, xfer_put
    rxStep, // fetch, complete(xfer->async_done)
  ];

  it('core finding: the v5.17 core completes xfer->async_done after the caller set it to NULL (11 steps)', () => {
    const written = replay([VARIANTS.coreAsyncDoneUnlocked], givesUp, {
      async: 1,
      cpus: 1,
      late: 1,
    });
    expect(written.outputs[10]).toEqual([
      { type: 'fetched', xfer: 0, reply: 0, via: 'dresp' },
      { type: 'async_complete', xfer: 0, live: false },
    ]);
    expect(written.violations[10]).toEqual(['complete-live-async-done']);
    // With the fix (xfer->lock around both), the delayed response is fetched and nothing completed.
    const fixedCore = replay([], givesUp, { async: 1, cpus: 1, late: 1 });
    expect(fixedCore.outputs[10]).toEqual([{ type: 'fetched', xfer: 0, reply: 0, via: 'dresp' }]);
    expect(fixedCore.violations.flat()).toEqual([]);
  });

  it('an RX buffer fed back before the core read it is with the device while it is read', () => {
    const { violations } = replay(
      [VARIANTS.rxFeedBeforeCallback],
      [{ type: 'send_async', cpu: 0 }, dresp(0), { type: 'rx_irq' }, rxStep],
      { async: 1, cpus: 1 },
    );
    expect(violations[3]).toEqual(['rx-buffer-not-reused-while-read']);
  });
});

describe('scmi-virtio exploration', () => {
  it("the token's safety boundary: a late reply outlived by MSG_TOKEN_MAX allocations is fetched by the transfer that reuses its token (every transport version)", () => {
    const at = (tokens: number) =>
      explore(scmiVirtioModel, { bounds: { tokens, transfers: 3, late: 1, cpus: 1 } });
    const reused = at(2).properties.find((p) => p.name === 'fetch-own-reply')!;
    expect(reused.holds).toBe(false);
    expect(reused.message).toBe('transfer 2 fetched the reply of transfer 0 (rx_callback)');
    expect(at(3).properties.every((p) => p.holds)).toBe(true);
  });

  describe('past the boundary with a polled transfer (tokens=1 cpus=1 late=1): the core rebinds xfer->priv under a running poll_done()', () => {
    const bounds = { tokens: 1, cpus: 1, late: 1 };
    const events: ScmiEvent[] = [
      { type: 'send', cpu: 0, polled: false }, // transfer 0: token 0, msg 1
      TICK,
      TICK,
      step(0), // woken by its timer: -ETIMEDOUT
      step(0), // mark_txdone, do_xfer returns, xfer_put: token 0 free; msg 1 still with the device
      polledSend(0), // transfer 1: token 0 again, msg 0
      reply(1), // transfer 0's late reply
      step(0), // poll_done: index moved
      step(0), // it prefetches msg 1 onto pending_cmds_list and queues the worker
      step(0), // not done, not late: poll_done() again
      reply(0), // transfer 1's own reply
      step(0), // poll_done: index moved; its local msg = xfer->priv = msg 0
      { type: 'work_step' }, // the worker starts
      { type: 'work_step' }, // scmi_rx_callback(msg 1): token 0 -> transfer 1, xfer->priv = msg 1
      step(0), // poll_done's second section dequeues msg 0, its local msg: true
      step(0), // RESP_OK already: nothing fetched, ret 0
      step(0), // mark_txdone: xfer->priv is msg 1 (free); msg 0, POLL_DONE, is freed by no one
    ];

    it('poll_done finds the buffer its first section read (:426), not the one xfer->priv holds by then (pairs-53 of conform)', () => {
      const { outputs, context } = replay([], events, bounds);
      expect(outputs[13]).toEqual([{ type: 'fetched', xfer: 1, reply: 0, via: 'rx_callback' }]);
      // What poll_done hands over is what xfer->priv points to: transfer 0's late reply.
      expect(outputs[14]).toEqual([{ type: 'poll_done', xfer: 1, reply: 0 }]);
      expect(outputs[16]).toEqual([{ type: 'completed', xfer: 1, ret: 0 }]);
      expect(context.msgs[0].pollIdx).toBe(POLL_DONE);
      expect(context).toMatchObject({ freeList: [1], device: [], used: [], pendingList: [] });
    });

    it('each violation follows the wrong fetch the token reuse causes: the rebound buffer is free while polled, poll_done hands it, the own buffer leaks', () => {
      const { violations } = replay([], events, bounds);
      expect(violations.slice(0, 13).flat()).toEqual([]);
      expect(violations[13].sort()).toEqual(['fetch-own-reply', 'not-freed-while-polled']);
      // poll_done returns true with transfer 0's reply in xfer->priv: handed a second time by
      // the property's count, though the core, finding RESP_OK, fetches nothing more.
      expect(violations[14].sort()).toEqual([
        'not-freed-while-polled',
        'poll-done-own-reply',
        'reply-handed-once',
      ]);
      expect(violations[15]).toEqual(['not-freed-while-polled']);
      expect(violations[16]).toEqual([]); // mark_txdone cleared xfer->priv
      const failing = explore(scmiVirtioModel, { bounds })
        .properties.filter((p) => p.holds === false)
        .map((p) => p.name)
        .sort();
      expect(failing).toEqual([
        'all-free-reachable',
        'fetch-own-reply',
        'no-buffer-leak',
        'not-freed-while-polled',
        'poll-done-own-reply',
        'reply-handed-once',
      ]);
      // Without the reuse (a token per transfer) every property holds at the same bounds.
      const unique = explore(scmiVirtioModel, { bounds: { ...bounds, tokens: 2 } });
      expect(unique.properties.filter((p) => p.holds !== true)).toEqual([]);
    });
  });

  it('the suppression hint: a poll loop that leaves callbacks disabled leaks only with a device that honours it', () => {
    const failing = (ignoreHint: number) =>
      explore(scmiVirtioModel, {
        variants: [VARIANTS.pollDoneNoEnableCb],
        bounds: { ignoreHint },
      })
        .properties.filter((p) => p.holds === false)
        .map((p) => p.name)
        .sort();
    expect(failing(1)).toEqual(['no-timeout-after-reply']);
    expect(failing(0)).toEqual(
      expect.arrayContaining(['all-free-reachable', 'no-buffer-leak', 'no-timeout-after-reply']),
    );
  });
});

describe('scmi-virtio in the inspector', () => {
  it("each step cites the seed lines it runs (or says it is the core's, not in the seed), and its lane is the context that runs it", () => {
    const bounds = { async: 1, lost: 1 };
    const instance = scmiVirtioModel.build(resolveConfig(scmiVirtioModel, { bounds }));
    const chart = chartOf(instance.machine);
    const lanes = lanesOf(chart, instance.lanes);
    const laneOf = (index: number) => lanes.lanes[lanes.ofTransition[index]];
    expect(chart.transitions.length).toBeGreaterThan(60);
    chart.transitions.forEach((t, index) => {
      // The device and time are the environment: they run no code of the seed.
      if (laneOf(index).device) return;
      const cited = /sources\/scmi-virtio-atomic\.txt:\d+/.test(t.cites ?? '');
      expect(cited || /driver\.c/.test(t.description ?? ''), t.label).toBe(true);
    });
    const laneNamed = (label: string) => {
      const index = chart.transitions.findIndex((t) => t.label.startsWith(label));
      expect(index, label).toBeGreaterThanOrEqual(0);
      return laneOf(index);
    };
    expect(laneNamed('scmi-virtio.cpu1.POLL_FETCH:step').name).toBe('CPU 1: do_xfer() caller');
    expect(laneNamed('scmi-virtio.irq.CB_HAND:irq_step').name).toMatch(/^TX vq interrupt/);
    expect(laneNamed('scmi-virtio.worker.PENDING_LIST:work_step').name).toMatch(/kworker/);
    expect(laneNamed('scmi-virtio.device:device_reply')).toMatchObject({ device: true });
    expect(laneNamed('scmi-virtio.clock:tick')).toMatchObject({ device: true });
    expect(lanes.lanes.map((l) => l.name)).not.toContain('device / environment');
  });
});
