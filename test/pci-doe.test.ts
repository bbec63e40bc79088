/**
 * PCI DOE model: paths of the patch replayed step by step under the kernel's timer semantics,
 * the findings about the seed as written (each against its fix), the review's handler, and the
 * observations that are not findings. test/registry.test.ts checks that every variant breaks
 * exactly what it declares; here each finding's story is checked event by event.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { EventObject } from 'xstate';
import { chartOf } from '../src/inspect/chart.ts';
import { lanesOf } from '../src/inspect/lanes.ts';
import { resolveConfig } from '../src/model/config.ts';
import { explore, type ExploreResult } from '../src/explore/explore.ts';
import { ModelSystem, type SystemNode } from '../src/model/system.ts';
import type { Output } from '../src/model/model.ts';
import { pciDoeModel } from '../machines/registry.ts';
import {
  EBUSY,
  EINVAL,
  EIO,
  ERESTARTSYS,
  ETIMEDOUT,
  VARIANTS,
  type DoeContext,
  type DoeEvent,
} from '../machines/pci-doe.ts';

/* ---- helpers: replay a script of events, and search forward from where it ends ---- */

interface Replay {
  system: ModelSystem;
  node: SystemNode;
  outputs: Output[][];
}

type Bounds = Record<string, number>;

function replay(events: DoeEvent[], variants: string[] = [], bounds: Bounds = {}): Replay {
  const sys = new ModelSystem(pciDoeModel, resolveConfig(pciDoeModel, { variants, bounds }));
  let node = sys.initial().node;
  const outputs: Output[][] = [];
  events.forEach((event, i) => {
    const index = sys.events(node).findIndex((e) => JSON.stringify(e) === JSON.stringify(event));
    const next = index >= 0 ? sys.stepWith(node, sys.view(node), event, index) : null;
    if (!next) throw new Error(`step ${i}: ${JSON.stringify(event)} is not enabled`);
    outputs.push(next.result.outputs);
    node = next.node;
  });
  return { system: sys, node, outputs };
}

const contextOf = (r: Replay) => r.node.state.context as DoeContext;
const matches = (r: Replay, path: string) => r.system.view(r.node).matches(path);

/** Whether some state satisfying `goal` is reachable from the end of the replay. */
function canReach(r: Replay, goal: (c: DoeContext, at: (path: string) => boolean) => boolean) {
  const seen = new Set<string>();
  const queue = [r.node];
  while (queue.length > 0) {
    const node = queue.shift()!;
    const key = r.system.key(node);
    if (seen.has(key)) continue;
    seen.add(key);
    const view = r.system.view(node);
    if (goal(node.state.context as DoeContext, (p) => view.matches(p))) return true;
    for (const s of r.system.successors(node)) queue.push(s.node);
  }
  return false;
}

const backToIdle = (c: DoeContext, at: (path: string) => boolean) =>
  c.dead || c.freed || (at('work.NOT_RUNNING') && c.doeState === 'DOE_IDLE' && c.curTask === null);

const ev = (type: DoeEvent['type']) => ({ type }) as DoeEvent;
const evs = (...types: DoeEvent['type'][]) => types.map(ev);
const ticks = (n: number) => Array.from({ length: n }, () => ev('tick'));
const call = (caller: number, wholeDwords = true): DoeEvent => ({
  type: 'call',
  caller,
  wholeDwords,
});
const callerEv = (
  type: 'wait_check' | 'wake_recheck' | 'signal' | 'caller_return',
  caller: number,
) => ({ type, caller }) as DoeEvent;
const respond = (length: 'exact' | 'short' | 'long' | 'zero' | 'max' = 'exact'): DoeEvent => ({
  type: 'device_respond',
  length,
});
const probe = (mode: 'irq' | 'poll' | 'irq-setup-fails', busyClearIrq = true): DoeEvent => ({
  type: 'probe',
  mode,
  busyClearIrq,
});
const irq = evs('irq_read_status', 'irq_write_clear', 'irq_schedule_work');
const HZ = 4; // the default bound hz: PCI_DOE_TIMEOUT in ticks

/** probe, the init abort completes, pci_doe_abort() returns: probe is about to discover. */
function abortDone(mode: 'irq' | 'poll', busyClearIrq = true): DoeEvent[] {
  const start = [probe(mode, busyClearIrq), ...evs('work_start', 'work_abort_start')];
  // BUSY clearing interrupts (the ECN) in IRQ mode; otherwise the 1 s timer fires at
  // timeout_jiffies + 1, where time_after() is already true.
  const wake = mode === 'irq' && busyClearIrq ? irq : ticks(HZ + 1);
  return [
    ...start,
    ev('device_abort_done'),
    ...wake,
    ...evs('work_start', 'work_abort_status', 'work_abort_wake', 'work_abort_complete'),
    ev('probe_resume'),
  ];
}

/** A whole exchange of caller `i` answered with an exact response. */
function exchange(mode: 'irq' | 'poll', i: number): DoeEvent[] {
  const wake = mode === 'irq' ? irq : ticks(2); // the poll timer: PCI_DOE_POLL_INTERVAL + 1
  return [
    call(i),
    ...evs('work_start', 'work_send'),
    respond(),
    ...wake,
    ...evs(
      'work_start',
      'work_resp_status',
      'work_recv_header',
      'work_recv_length',
      'work_recv_payload',
      'work_recv_status',
      'work_done_wake',
      'work_callback',
    ),
    callerEv('caller_return', i),
  ];
}

/** probe done in `mode`: the discovery exchange succeeded and users may call. */
const readyIn = (mode: 'irq' | 'poll', busyClearIrq = true) => [
  ...abortDone(mode, busyClearIrq),
  ...exchange(mode, 0),
];

const traceOf = (result: ExploreResult, property: string) =>
  result.properties.find((p) => p.name === property)?.trace?.steps ?? [];
const traceEvents = (result: ExploreResult, property: string) =>
  traceOf(result, property).map((step) => step.event as EventObject & Record<string, unknown>);
const failed = (result: ExploreResult) =>
  result.properties.filter((p) => p.holds === false).map((p) => p.name);

/* ---- the code paths ---- */

describe('pci-doe code paths', () => {
  it('the init abort completes, discovery succeeds and probe lets users in, in both modes', () => {
    for (const mode of ['irq', 'poll'] as const) {
      const r = replay(readyIn(mode));
      expect(matches(r, 'probe.READY')).toBe(true);
      expect(contextOf(r)).toMatchObject({ irq: mode === 'irq', dead: false, curTask: null });
      expect(r.outputs.flat()).toContainEqual({ type: 'exchange_return', caller: 0, rc: 4 });
    }
  });

  it('polling: the 1 s abort timer fires one tick after timeout_jiffies, never at it', () => {
    const start = [probe('poll'), ...evs('work_start', 'work_abort_start')];
    const atDeadline = replay([...start, ...ticks(HZ)]);
    expect(contextOf(atDeadline)).toMatchObject({ timeout: 0, workTimer: 0 });
    // jiffies == timeout_jiffies: the timer wheel has not fired it yet
    expect(() => replay([...start, ...ticks(HZ), ev('work_start')])).toThrow(/not enabled/);
    const fired = replay([...start, ...ticks(HZ + 1), ev('work_start')]);
    expect(contextOf(fired).timeout).toBe(-1); // time_after() is true in this run
  });

  it('an exchange in IRQ mode: GO, Data Object Ready interrupts, the work reads it dword by dword', () => {
    const r = replay([...readyIn('irq'), ...exchange('irq', 1)]);
    const all = r.outputs.flat();
    expect(all).toContainEqual({ type: 'request_written', task: 1 });
    expect(all).toContainEqual({ type: 'response_read', task: 1 });
    expect(all).toContainEqual({ type: 'callback', task: 1, rc: 4 });
    expect(all).toContainEqual({ type: 'exchange_return', caller: 1, rc: 4 });
    expect(contextOf(r)).toMatchObject({
      curTask: null,
      dataObjectReady: false,
      workRunning: false,
    });
  });

  it('the callback and the return are two steps: the caller is still inside in between', () => {
    const withoutReturn = exchange('irq', 1).slice(0, -1);
    const r = replay([...readyIn('irq'), ...withoutReturn]);
    expect(contextOf(r).callers[1]).toBe('completed');
    expect(contextOf(r).rv[1]).toBe(4);
  });

  it('a second user sleeps while cur_task is set and is woken when it is cleared', () => {
    const asleep = [...readyIn('poll'), call(1), call(2), callerEv('wait_check', 2)];
    const r = replay(asleep, [], { callers: 2 });
    expect(contextOf(r).callers).toEqual(['idle', 'waiting', 'asleep']);
    const answered = [
      ...evs('work_start', 'work_send'),
      respond(),
      ...ticks(2),
      ...evs('work_start', 'work_resp_status', 'work_recv_header', 'work_recv_length'),
      ...evs('work_recv_payload', 'work_recv_status'),
    ];
    const cleared = replay([...asleep, ...answered], [], { callers: 2 });
    expect(contextOf(cleared)).toMatchObject({
      curTask: null,
      callers: ['idle', 'waiting', 'asleep'],
    });
    const woken = replay([...asleep, ...answered, ev('work_done_wake')], [], { callers: 2 });
    expect(contextOf(woken).callers[2]).toBe('woken');
  });

  it('a payload that is not whole dwords returns -EINVAL and touches nothing', () => {
    const r = replay([...readyIn('poll'), call(1, false)]);
    expect(r.outputs.at(-1)).toEqual([{ type: 'exchange_return', caller: 1, rc: EINVAL }]);
    expect(contextOf(r).curTask).toBeNull();
  });

  it('BUSY held by another user: retried, then -EBUSY once the busy deadline has passed (the fix)', () => {
    const r = replay([
      ...readyIn('poll'),
      ev('other_user_busy'),
      call(1),
      ...evs('work_start', 'work_send'), // busy: busy_timeout = jiffies + HZ, retry in HZ/2
      ...ticks(3),
      ...evs('work_start', 'work_send'), // still busy, not yet past the deadline
      ...ticks(3),
      ...evs('work_start', 'work_send', 'work_callback'),
    ]);
    expect(r.outputs.at(-1)).toEqual([{ type: 'callback', task: 1, rc: EBUSY }]);
    expect(r.outputs.flat().some((o) => o.type === 'request_written' && o.task === 1)).toBe(false);
  });

  it('a device error: -EIO to the caller, an abort, cur_task held until the abort is done', () => {
    const r = replay([
      ...readyIn('poll'),
      call(1),
      ...evs('work_start', 'work_send', 'device_error'),
      ...ticks(2),
      ...evs('work_start', 'work_resp_status', 'work_err_abort', 'work_callback'),
    ]);
    expect(r.outputs.at(-2)).toEqual([{ type: 'abort_written' }]);
    expect(r.outputs.at(-1)).toEqual([{ type: 'callback', task: 1, rc: EIO }]);
    expect(contextOf(r)).toMatchObject({ doeState: 'DOE_WAIT_ABORT_ON_ERR', curTask: 1 });
  });

  it('an abort that never completes makes the mailbox dead and later exchanges return -EIO', () => {
    const r = replay([
      ...readyIn('poll'),
      call(1),
      ...evs('work_start', 'work_send', 'device_error'),
      ...ticks(2),
      ...evs('work_start', 'work_resp_status', 'work_err_abort', 'work_callback'),
      callerEv('caller_return', 1),
      ...evs('work_after_cb', 'device_abort_hang'),
      ...ticks(HZ + 1),
      ...evs('work_start', 'work_abort_status', 'work_dead_wake'),
      call(1),
    ]);
    expect(r.outputs.flat()).toContainEqual({ type: 'mailbox_dead' });
    expect(r.outputs.at(-1)).toEqual([{ type: 'exchange_return', caller: 1, rc: EIO }]);
  });

  it('a timeout: the device never answers, -ETIMEDOUT at time_after(), then the abort', () => {
    const r = replay([
      ...readyIn('poll'),
      call(1),
      ...evs('work_start', 'work_send', 'device_hang'),
      ...[0, 1].flatMap(() => [...ticks(2), ...evs('work_start', 'work_resp_status')]),
      ...ticks(2),
      ...evs('work_start', 'work_resp_status', 'work_err_abort', 'work_callback'),
    ]);
    expect(r.outputs.at(-1)).toEqual([{ type: 'callback', task: 1, rc: ETIMEDOUT }]);
  });

  it('a signalled caller returns -ERESTARTSYS instead of waiting (the fix)', () => {
    const r = replay(
      [
        ...readyIn('poll'),
        call(1),
        ...evs('work_start', 'work_send', 'device_error'),
        ...ticks(2),
        ...evs('work_start', 'work_resp_status', 'work_err_abort', 'work_callback'),
        callerEv('caller_return', 1),
        call(1), // cur_task is still the old task until the abort is done
        callerEv('signal', 1),
        callerEv('wait_check', 1),
      ],
      [],
      { signals: 1 },
    );
    expect(r.outputs.at(-1)).toEqual([{ type: 'exchange_return', caller: 1, rc: ERESTARTSYS }]);
  });

  it('the largest object (Length 0 = 2^18 DW) is read and flushed, the buffer gets its one dword', () => {
    const r = replay(
      [
        ...readyIn('poll'),
        call(1),
        ...evs('work_start', 'work_send'),
        respond('zero'),
        ...ticks(2),
        ...evs('work_start', 'work_resp_status', 'work_recv_header', 'work_recv_length'),
        ev('work_recv_payload'),
        { type: 'work_recv_flush', last: false },
        { type: 'work_recv_flush', last: true },
        ...evs('work_recv_status', 'work_done_wake', 'work_callback'),
      ],
      [],
      { lengths: 4 },
    );
    expect(r.outputs.flat()).toContainEqual({ type: 'response_read', task: 1 });
    expect(r.outputs.at(-1)).toEqual([{ type: 'callback', task: 1, rc: 4 }]);
  });

  it('orderly removal frees the IRQ, cancels the work, then frees the doe', () => {
    const r = replay([
      ...readyIn('irq'),
      ...evs('remove_free_irq', 'remove_cancel', 'remove_kfree'),
    ]);
    expect(matches(r, 'probe.REMOVED')).toBe(true);
    expect(contextOf(r)).toMatchObject({ freed: true, irqLine: false, workQueued: false });
  });

  it('every probe error path ends in kfree(doe), with nothing left queued (the fix)', () => {
    const setupFails = replay([probe('irq-setup-fails')]);
    expect(matches(setupFails, 'probe.FAILED')).toBe(true);
    // a short discovery response: 0 bytes, so pci_doe_discovery() returns -EIO
    const shortAnswer = replay(
      [
        ...abortDone('poll'),
        call(0),
        ...evs('work_start', 'work_send'),
        respond('short'),
        ...ticks(2),
        ...evs('work_start', 'work_resp_status', 'work_recv_header', 'work_recv_length'),
        ...evs('work_recv_status', 'work_done_wake', 'work_callback'),
        callerEv('caller_return', 0),
        ...evs('probe_free_irq', 'probe_cancel', 'probe_kfree'),
      ],
      [],
      { lengths: 2 },
    );
    expect(shortAnswer.outputs.flat()).toContainEqual({
      type: 'exchange_return',
      caller: 0,
      rc: 0,
    });
    expect(matches(shortAnswer, 'probe.FAILED')).toBe(true);
    expect(contextOf(shortAnswer)).toMatchObject({ workQueued: false, workTimer: null });
  });
});

/* ---- the findings ---- */

describe('finding 1: DOE_WAIT_ABORT returns without rescheduling (seed as written)', () => {
  const result = explore(pciDoeModel, { variants: [VARIANTS.waitAbortNoReschedule] });

  it('in IRQ mode: a BUSY-clear interrupt during the init abort pulls the abort work forward and probe hangs (6 steps)', () => {
    expect(traceEvents(result, 'mailbox-recovers')).toEqual([
      probe('irq'),
      ev('work_start'),
      ev('other_user_busy'),
      ev('other_user_done'), // BUSY clears: INT_STATUS, an MSI (the ECN)
      ev('work_abort_start'), // ABORT written, the 1 s timer armed
      ev('device_abort_hang'), // the MSI's mod_delayed_work(0) will replace that timer
    ]);
  });

  it('retracted in polling mode: under kernel timer semantics the abort wait always sees time_after()', () => {
    const polling = explore(pciDoeModel, {
      variants: [VARIANTS.waitAbortNoReschedule],
      bounds: { modes: 0, otherUser: 1, lengths: 1 },
    });
    expect(polling.complete).toBe(true);
    expect(failed(polling)).toEqual([]);
  });

  it('without another user: a response racing the 1 s timeout leaves the mailbox stuck when BUSY clearing does not interrupt', () => {
    const script: DoeEvent[] = [
      ...readyIn('irq', false),
      call(1),
      ...evs('work_start', 'work_send'),
      ...ticks(HZ + 1), // the 1 s fallback timer fires
      ...evs('work_start', 'work_resp_status'), // no Data Object Ready: -ETIMEDOUT
      respond(), // ... which comes right after the STATUS read: an MSI
      ...evs('work_err_abort', 'work_callback'), // ABORT written, 1 s timer armed
      ...irq, // mod_delayed_work(0) replaces it
      ...evs('work_after_cb', 'work_start', 'work_abort_status'), // BUSY, not timed out: return
      ev('device_abort_done'),
    ];
    const asWritten = replay(script, [VARIANTS.waitAbortNoReschedule], { busyClearIrq: 0 });
    expect(contextOf(asWritten)).toMatchObject({ workTimer: null, workQueued: false, curTask: 1 });
    expect(canReach(asWritten, backToIdle)).toBe(false);
    const fixed = replay(script, [], { busyClearIrq: 0 });
    expect(canReach(fixed, backToIdle)).toBe(true);
  });
});

describe('finding 2: every probe error path frees the doe with its work queued (seed as written)', () => {
  const result = explore(pciDoeModel, { variants: [VARIANTS.probeErrorNoCancel] });

  it('shortest: the init abort is declared dead, completes late, and its interrupt queues the work (20 steps)', () => {
    const events = traceEvents(result, 'no-use-after-free').map((e) => e.type);
    expect(events).toHaveLength(20);
    expect(events.filter((e) => e === 'tick')).toHaveLength(HZ + 1); // dead at timeout + 1
    expect(events.slice(-8)).toEqual([
      'probe_resume', // pci_doe_abort() returns -EIO
      'device_abort_done', // the abort completes after all: BUSY clears, an MSI
      'irq_read_status',
      'irq_write_clear',
      'irq_schedule_work', // the work is queued
      'probe_free_irq',
      'probe_kfree',
      'work_start',
    ]);
  });

  it('a failed discovery exchange: kfree(doe) right after the callback, before the work has returned', () => {
    const script: DoeEvent[] = [
      ...abortDone('irq'),
      call(0),
      ...evs('work_start', 'work_send', 'device_error'),
      ...irq,
      ...evs('work_start', 'work_resp_status', 'work_err_abort', 'work_callback'),
      callerEv('caller_return', 0), // pci_doe_discovery() returns -EIO
      ...evs('probe_free_irq', 'probe_kfree'),
    ];
    const asWritten = replay(script, [VARIANTS.probeErrorNoCancel]);
    expect(contextOf(asWritten)).toMatchObject({ freed: true, workRunning: true });
    // the work's next step reads doe->state (421): a use after free
    const afterCb = asWritten.system
      .successors(asWritten.node)
      .find((s) => s.event.type === 'work_after_cb');
    expect(afterCb?.violations.map((v) => v.property)).toEqual(['no-use-after-free']);
    // and the abort's 1 s timer is still armed on the freed doe
    expect(contextOf(asWritten).workTimer).toBe(HZ);
    // the fix waits for the running work and cancels the armed abort timer first
    expect(() => replay(script)).toThrow(/probe_kfree.*not enabled/);
  });
});

describe("finding 3: the review's pci_doe_irq() leaves INT_STATUS set after an error", () => {
  const result = explore(pciDoeModel, { variants: [VARIANTS.reviewIrqHandler] });

  it('no interrupt once an error has been seen: the next response waits for the 1 s fallback', () => {
    const steps = traceOf(result, 'response-wakes-driver');
    expect(steps.at(-1)?.event).toEqual({ type: 'tick' });
    const errorBranch = steps.findIndex(
      (s) =>
        s.event.type === 'irq_read_status' &&
        (s.context as DoeContext).handlerRunning &&
        (s.context as DoeContext).error,
    );
    expect(errorBranch).toBeGreaterThan(0);
    expect(steps.slice(errorBranch).every((s) => (s.context as DoeContext).intStatus)).toBe(true);
    // no unhandled interrupt across a deadline: every tick of the trace is its last step
    expect(steps.filter((s) => s.event.type === 'tick')).toHaveLength(1);
  });
});

describe('finding 4: pci_doe_remove() cancels the work before it frees the IRQ (seed as written)', () => {
  const result = explore(pciDoeModel, { variants: [VARIANTS.removeCancelBeforeFreeIrq] });

  it('another user releasing BUSY between the two interrupts and queues the work on a doe about to be freed', () => {
    const events = traceEvents(result, 'no-use-after-free').map((e) => e.type);
    expect(events.slice(-9)).toEqual([
      'remove_cancel',
      'other_user_busy',
      'other_user_done',
      'irq_read_status',
      'irq_write_clear',
      'irq_schedule_work',
      'remove_free_irq',
      'remove_kfree',
      'work_start',
    ]);
  });
});

describe('finding 5: the busy patience is a count of attempts, not the promised second (seed as written)', () => {
  it('it gives up after less than PCI_DOE_TIMEOUT', () => {
    const result = explore(pciDoeModel, { variants: [VARIANTS.busyRetriesCounted] });
    expect(traceOf(result, 'busy-patience').at(-1)?.event).toEqual({ type: 'work_callback' });
    expect(result.properties.find((p) => p.name === 'busy-patience')?.message).toMatch(
      /-EBUSY after 3 ticks/,
    );
  });

  it('IRQ mode: a BUSY-clear interrupt pulls the next attempt forward, and another user taking the mailbox back uses the attempts up at once', () => {
    const script: DoeEvent[] = [
      ...readyIn('irq'),
      ev('other_user_busy'),
      call(1),
      ...evs('work_start', 'work_send'), // BUSY: a retry in HZ / 2
      ev('other_user_done'), // BUSY clears: INT_STATUS, an MSI
      ...irq, // mod_delayed_work(0): the retry runs now ...
      ev('other_user_busy'), // ... and the other user has the mailbox again
      ...evs('work_start', 'work_send'),
    ];
    const counted = replay([...script, ev('work_callback')], [VARIANTS.busyRetriesCounted]);
    expect(counted.outputs.at(-1)).toEqual([{ type: 'callback', task: 1, rc: EBUSY }]);
    const deadline = replay(script);
    expect(matches(deadline, 'work.NOT_RUNNING')).toBe(true);
    expect(contextOf(deadline).workTimer).toBe(2); // retried again, the deadline not passed
  });

  it('polling only, the count falls short exactly when (R - 1) waits of HZ / R + 1 are less than HZ; the deadline never does', () => {
    const cases: Array<[number, number]> = [
      [4, 2],
      [8, 2],
      [8, 4],
      [6, 3],
      [3, 4],
    ];
    for (const [hz, busyRetries] of cases) {
      const bounds = { hz, busyRetries, modes: 0, lengths: 1, lost: 0, error: 0 };
      const counted = explore(pciDoeModel, { variants: [VARIANTS.busyRetriesCounted], bounds });
      // a retry armed with HZ / R jiffies runs HZ / R + 1 later; with HZ < R, at once
      const delay = Math.floor(hz / busyRetries);
      const short = (busyRetries - 1) * (delay === 0 ? 0 : delay + 1) < hz;
      expect(failed(counted).includes('busy-patience'), `hz=${hz} R=${busyRetries}`).toBe(short);
      expect(failed(explore(pciDoeModel, { bounds }))).toEqual([]);
    }
  });
});

describe('finding 6: a Length of 0, the largest object, is rejected (seed as written)', () => {
  it('the response is good and in time, the exchange fails with -EIO and an abort', () => {
    const result = explore(pciDoeModel, { variants: [VARIANTS.maxLengthRejected] });
    const events = traceEvents(result, 'response-not-lost');
    expect(events).toContainEqual(respond('zero'));
    expect(events.slice(-3).map((e) => e.type)).toEqual([
      'work_recv_length',
      'work_err_abort',
      'work_callback',
    ]);
  });
});

describe('finding 7: a signalled caller goes round again: without sleeping (seed as written)', () => {
  it("wait_event_interruptible()'s -ERESTARTSYS is ignored while another task holds the mailbox", () => {
    const result = explore(pciDoeModel, { variants: [VARIANTS.ignoreWaitReturn] });
    const events = traceEvents(result, 'no-spin-on-signal');
    expect(events.slice(-3)).toEqual([call(1), callerEv('signal', 1), callerEv('wait_check', 1)]);
  });
});

describe('observations, not findings', () => {
  it('an FLR before the Length is read: the driver reads 2^18 zero dwords and succeeds with zeros', () => {
    const r = replay(
      [
        ...readyIn('poll'),
        call(1),
        ...evs('work_start', 'work_send'),
        respond(),
        ...ticks(2),
        ...evs('work_start', 'work_resp_status', 'work_recv_header', 'device_reset'),
        ...evs('work_recv_length', 'work_recv_payload'),
        { type: 'work_recv_flush', last: true },
        ...evs('work_recv_status', 'work_done_wake', 'work_callback'),
      ],
      [],
      { reset: 1 },
    );
    expect(r.outputs.at(-1)).toEqual([{ type: 'callback', task: 1, rc: 4 }]);
    // no object was consumed: the 4 bytes are zeros read from an empty mailbox
    expect(r.outputs.flat()).not.toContainEqual({ type: 'response_read', task: 1 });
    // as written, Length 0 is -EIO: the same reset is caught
    const asWritten = replay(
      [
        ...readyIn('poll'),
        call(1),
        ...evs('work_start', 'work_send'),
        respond(),
        ...ticks(2),
        ...evs('work_start', 'work_resp_status', 'work_recv_header', 'device_reset'),
        ...evs('work_recv_length', 'work_err_abort', 'work_callback'),
      ],
      [VARIANTS.maxLengthRejected],
      { reset: 1 },
    );
    expect(asWritten.outputs.at(-1)).toEqual([{ type: 'callback', task: 1, rc: EIO }]);
  });

  it("the seed's handler: its ERROR branch and final IRQ_HANDLED are never taken without an FLR", () => {
    const coverage = explore(pciDoeModel).coverage.transitions;
    const read = (i: number) => `pciDoe.irq.IRQ_IDLE:irq_read_status:${i}`;
    expect(coverage[read(0)]).toBeGreaterThan(0);
    expect(coverage[read(1)]).toBe(0);
    expect(coverage[read(2)]).toBe(0);
    const withReset = explore(pciDoeModel, { bounds: { reset: 1 } }).coverage.transitions;
    expect(withReset[read(2)]).toBeGreaterThan(0); // an FLR clears INT_STATUS before the read
  });

  it("the seed handler's read-to-clear window is harmless: the work reads STATUS itself", () => {
    // A handler stalled for two ticks (irqDelay 2), a busy retry every tick (HZ / 4).
    const bounds = { irqDelay: 2, busyRetries: 4 };
    const prefix: DoeEvent[] = [
      ...readyIn('irq'),
      ev('other_user_busy'),
      call(1),
      ...evs('work_start', 'work_send'), // BUSY: retry
      ev('other_user_done'), // BUSY clears: INT_STATUS, an MSI
      ev('irq_read_status'), // the handler reads INT_STATUS set ...
      ...ticks(2),
      ...evs('work_start', 'work_send'), // (the retry writes GO meanwhile)
      respond(), // ... Data Object Ready rises while INT_STATUS is still set: no MSI
    ];
    const window = replay(prefix, [], bounds);
    expect(contextOf(window)).toMatchObject({ irqPending: false, intStatus: true });
    const done = replay(
      [
        ...prefix,
        ...evs('irq_write_clear', 'irq_schedule_work'), // clears what DOR also wanted, then kicks
        ...evs('work_start', 'work_resp_status', 'work_recv_header', 'work_recv_length'),
        ...evs('work_recv_payload', 'work_recv_status', 'work_done_wake', 'work_callback'),
      ],
      [],
      bounds,
    );
    expect(done.outputs.at(-1)).toEqual([{ type: 'callback', task: 1, rc: 4 }]);
  });
});

describe('pci-doe default model', () => {
  it('proves every property with two users (polling only)', () => {
    const result = explore(pciDoeModel, { bounds: { callers: 2, modes: 0 } });
    expect(result.complete).toBe(true);
    expect(failed(result)).toEqual([]);
  });
});

describe('inspector: lanes and the cited source lines', () => {
  const seed = readFileSync('sources/pci-doe-review.txt', 'utf8').split('\n');
  /** The seed's lines a citation names (`sources/pci-doe-review.txt:369`, `:420-421,427`). */
  function citedLines(cites: string): string[] {
    const match = /^sources\/pci-doe-review\.txt:([\d,-]+)$/.exec(cites);
    expect(match, cites).not.toBeNull();
    return match![1].split(',').flatMap((range) => {
      const [from, to = from] = range.split('-').map(Number);
      expect(from).toBeGreaterThan(0);
      expect(to).toBeGreaterThanOrEqual(from);
      expect(to).toBeLessThanOrEqual(seed.length);
      return seed.slice(from - 1, to);
    });
  }
  const chartFor = (variants: string[]) =>
    chartOf(
      new ModelSystem(pciDoeModel, resolveConfig(pciDoeModel, { variants })).instance.machine,
    );

  it('every transition of the default model and of every variant cites lines of the seed', () => {
    for (const variants of [[], ...pciDoeModel.variants.map((v) => [v.name])]) {
      for (const t of chartFor(variants).transitions) {
        expect(t.cites, `${variants.join() || 'default'}: ${t.label}`).toBeDefined();
        citedLines(t.cites!);
      }
    }
  });

  it('the citations are the code each step runs', () => {
    const chart = chartFor([]);
    const code = (label: string) =>
      citedLines(chart.transitions.find((t) => t.label === label)!.cites!).join('\n');
    expect(code('pciDoe.work.DONE_WAKE:work_done_wake:0')).toMatch(/wake_up_interruptible/);
    expect(code('pciDoe.work.ERR_ABORT:work_err_abort:0')).toMatch(/pci_doe_abort_start/);
    expect(code('pciDoe.work.ABORT_STATUS:work_abort_status:1')).toMatch(/doe->dead = true/);
    expect(code('pciDoe.work.AFTER_CB:work_after_cb:0')).toMatch(/doe->state == DOE_IDLE/);
    expect(code('pciDoe.irq.IRQ_CLEAR:irq_write_clear:0')).toMatch(/pci_write_config_dword/);
    expect(code('pciDoe.irq.IRQ_SCHEDULE:irq_schedule_work:0')).toMatch(/mod_delayed_work/);
    expect(code('pciDoe.callers:caller_return:0')).toMatch(/wait_for_completion\(&c\)/);
    expect(code('pciDoe.callers:call:0')).toMatch(/request_pl_sz % sizeof\(u32\)/);
    expect(code('pciDoe.probe.REMOVE_KFREE:remove_kfree:0')).toMatch(/kfree\(doe\)/);
    expect(code('pciDoe.probe.UNREGISTER:probe_free_irq:0')).toMatch(/free_irq/);
  });

  it('one lane per execution context, the clock, and the mailbox as the device (last)', () => {
    const system = new ModelSystem(pciDoeModel, resolveConfig(pciDoeModel));
    const chart = chartOf(system.instance.machine);
    const { lanes, ofTransition } = lanesOf(chart, system.instance.lanes);
    expect(lanes.at(-1)).toMatchObject({ name: 'DOE mailbox', device: true });
    const laneOf = (label: string) =>
      lanes[ofTransition[chart.transitions.findIndex((t) => t.label === label)]].name;
    expect(laneOf('pciDoe.clock:tick:0')).toBe('clock');
    expect(laneOf('pciDoe.device.PROCESSING:device_respond:0')).toBe('DOE mailbox');
    expect(laneOf('pciDoe.irq.IRQ_IDLE:irq_read_status:0')).toBe('pci_doe_irq()');
    expect(laneOf('pciDoe.probe.DISCOVER:caller_return:0')).toBe(
      'pci_doe_probe(), pci_doe_remove()',
    );
    /* every lane takes some transition, and none falls back to an undeclared lane */
    expect(new Set(ofTransition).size).toBe(lanes.length);
    expect(lanes.map((l) => l.name)).not.toContain('device / environment');
  });
});
