/**
 * PCI DOE model: paths of the patch replayed step by step, the findings about the seed's
 * state machine, its IRQ handler and the review's proposed handler, and what the explorer
 * finds for the default model and the careless-change variants.
 */
import { describe, expect, it } from 'vitest';
import type { EventObject } from 'xstate';
import { resolveConfig } from '../src/model/config.ts';
import { explore, type ExploreResult } from '../src/explore/explore.ts';
import { ModelSystem, type SystemNode } from '../src/model/system.ts';
import type { Output } from '../src/model/model.ts';
import {
  EBUSY,
  EINVAL,
  EIO,
  RESPONSE_BYTES,
  VARIANTS,
  type DoeContext,
  type DoeEvent,
} from '../machines/pci-doe.ts';
import { pciDoeModel } from '../machines/registry.ts';

/* ---- helpers: replay a script of events, and search forward from where it ends ---- */

interface Replay {
  system: ModelSystem;
  node: SystemNode;
  outputs: Output[][];
}

function system(variants: string[] = [], bounds: Record<string, number> = {}): ModelSystem {
  return new ModelSystem(pciDoeModel, resolveConfig(pciDoeModel, { variants, bounds }));
}

/** Steps `events` in order; each must be enabled (else the test fails with its index). */
function replay(events: DoeEvent[], variants: string[] = []): Replay {
  const sys = system(variants);
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
  c.dead || (at('driver.DOE_IDLE') && c.curTask === null);

const ev = (type: DoeEvent['type']) => ({ type }) as DoeEvent;
const call = (caller: number, wholeDwords = true): DoeEvent => ({
  type: 'call',
  caller,
  wholeDwords,
});

/** probe in `mode`, the init abort completes, probe returns: the mailbox is READY. */
function readyIn(mode: 'irq' | 'poll'): DoeEvent[] {
  const abort: DoeEvent[] = [{ type: 'probe', mode }, ev('work_run'), ev('device_abort_done')];
  // In IRQ mode BUSY clearing at the end of the abort interrupts; in polling mode the work
  // scheduled by pci_doe_abort_start() runs once the deadline is reached.
  const wake: DoeEvent[] =
    mode === 'irq'
      ? [ev('irq_read_status'), ev('irq_write_clear'), ev('irq_schedule_work')]
      : [ev('tick')];
  return [...abort, ...wake, ev('work_run'), ev('probe_resume')];
}

const traceEvents = (result: ExploreResult, property: string) =>
  (result.properties.find((p) => p.name === property)?.trace?.steps ?? []).map(
    (step) => step.event as EventObject & Record<string, unknown>,
  );
const failed = (result: ExploreResult) =>
  result.properties.filter((p) => p.holds === false).map((p) => p.name);

/* ---- the code paths ---- */

describe('pci-doe code paths', () => {
  it('the init abort completes abort_c and probe lets callers in, in both modes', () => {
    for (const mode of ['irq', 'poll'] as const) {
      const r = replay(readyIn(mode));
      expect(matches(r, 'probe.READY')).toBe(true);
      expect(matches(r, 'driver.DOE_IDLE')).toBe(true);
      expect(contextOf(r)).toMatchObject({ irq: mode === 'irq', dead: false, curTask: null });
      expect(r.outputs[1]).toEqual([{ type: 'abort_written' }]);
    }
  });

  it('an exchange: GO, Data Object Ready raises the interrupt, the handler kicks the work, the caller gets the length', () => {
    const r = replay([
      ...readyIn('irq'),
      call(0),
      ev('work_run'),
      ev('device_respond'),
      ev('irq_read_status'),
      ev('irq_write_clear'),
      ev('irq_schedule_work'),
      ev('work_run'),
    ]);
    const all = r.outputs.flat();
    expect(all).toContainEqual({ type: 'request_written', task: 0 });
    expect(all).toContainEqual({ type: 'callback', task: 0, rc: RESPONSE_BYTES });
    expect(all).toContainEqual({ type: 'exchange_return', caller: 0, rc: RESPONSE_BYTES });
    expect(contextOf(r)).toMatchObject({ curTask: null, dataObjectReady: false, work: 'none' });
  });

  it('a second caller sleeps while cur_task is set and is woken when it is cleared', () => {
    const r = replay([...readyIn('poll'), call(0), call(1)]);
    expect(contextOf(r).callers).toEqual(['waiting', 'asleep']);
    const done = replay([
      ...readyIn('poll'),
      call(0),
      call(1),
      ev('work_run'),
      ev('device_respond'),
      ev('work_run'),
    ]);
    expect(contextOf(done).callers).toEqual(['idle', 'woken']);
  });

  it('a payload that is not whole dwords returns -EINVAL and touches nothing', () => {
    const r = replay([...readyIn('poll'), call(0, false)]);
    expect(r.outputs.at(-1)).toEqual([{ type: 'exchange_return', caller: 0, rc: EINVAL }]);
    expect(contextOf(r).curTask).toBeNull();
  });

  it('BUSY held by another user: retried, then -EBUSY after PCI_DOE_BUSY_MAX_RETRIES runs', () => {
    const r = replay([
      ...readyIn('poll'),
      ev('other_user_busy'),
      call(0),
      ev('work_run'),
      ev('work_run'),
    ]);
    expect(r.outputs.at(-2)).toEqual([]);
    expect(r.outputs.at(-1)).toContainEqual({ type: 'callback', task: 0, rc: EBUSY });
    expect(contextOf(r)).toMatchObject({ curTask: null, busyRetries: 0 });
    expect(r.outputs.flat().some((o) => o.type === 'request_written')).toBe(false);
  });

  it('a device error: -EIO to the caller, an abort, cur_task held until the abort is done', () => {
    const r = replay([
      ...readyIn('poll'),
      call(0),
      call(1),
      ev('work_run'),
      ev('device_error'),
      ev('work_run'),
    ]);
    expect(r.outputs.at(-1)).toEqual([
      { type: 'abort_written' },
      { type: 'callback', task: 0, rc: EIO },
      { type: 'exchange_return', caller: 0, rc: EIO },
    ]);
    expect(matches(r, 'driver.DOE_WAIT_ABORT_ON_ERR')).toBe(true);
    expect(contextOf(r).curTask).toBe(0);
    expect(contextOf(r).callers).toEqual(['idle', 'asleep']);
  });

  it('an abort that never completes makes the mailbox dead and later exchanges return -EIO', () => {
    const r = replay([
      ...readyIn('poll'),
      call(0),
      ev('work_run'),
      ev('device_error'),
      ev('work_run'),
      ev('device_abort_hang'),
      ev('tick'),
      ev('tick'),
      ev('work_run'),
      call(1),
    ]);
    expect(r.outputs.at(-2)).toContainEqual({ type: 'mailbox_dead' });
    expect(r.outputs.at(-1)).toEqual([{ type: 'exchange_return', caller: 1, rc: EIO }]);
  });
});

/* ---- the findings ---- */

describe('finding 1: DOE_WAIT_ABORT returns without rescheduling (seed as written)', () => {
  const result = explore(pciDoeModel, { variants: [VARIANTS.waitAbortNoReschedule] });

  it('breaks recoverability and deadlocks probe, and nothing else', () => {
    expect(failed(result).sort()).toEqual(['mailbox-recovers', 'no-deadlock']);
  });

  it('shortest story, polling mode: the work runs at exactly timeout_jiffies during the init abort', () => {
    // probe, the work starts the abort, jiffies reaches timeout_jiffies, the work runs:
    // time_after() is false and the abort is not done, so it returns and is never queued again.
    expect(traceEvents(result, 'mailbox-recovers')).toEqual([
      { type: 'probe', mode: 'poll' },
      { type: 'work_run' },
      { type: 'tick' },
      { type: 'work_run' },
    ]);
  });

  it('in IRQ mode an interrupt handled late runs the abort work early, and a hung abort is never declared dead', () => {
    const script: DoeEvent[] = [
      ...readyIn('irq'),
      call(0),
      ev('work_run'),
      ev('device_error'), // INT_STATUS rises: an MSI is pending
      ev('tick'),
      ev('work_run'), // the 1 s work sees ERROR first: err_abort, abort started
      ev('irq_read_status'), // the handler finally runs ...
      ev('irq_write_clear'),
      ev('irq_schedule_work'), // ... and mod_delayed_work() pulls the abort work forward
      ev('work_run'), // abort not done, not timed out: return, nothing queued
      ev('device_abort_hang'),
    ];
    const asWritten = replay(script, [VARIANTS.waitAbortNoReschedule]);
    expect(contextOf(asWritten)).toMatchObject({ work: 'none', curTask: 0, dead: false });
    expect(canReach(asWritten, backToIdle)).toBe(false);
    const fixed = replay(script);
    expect(contextOf(fixed).work).toBe('soon');
    expect(canReach(fixed, backToIdle)).toBe(true);
  });
});

describe('finding 2: probe frees the doe with the work still queued (seed as written)', () => {
  const result = explore(pciDoeModel, { variants: [VARIANTS.probeErrorNoCancel] });

  it('breaks no-work-after-free only', () => {
    expect(failed(result)).toEqual(['no-work-after-free']);
  });

  it('the init abort times out, then completes late and its interrupt queues the work', () => {
    const events = traceEvents(result, 'no-work-after-free').map((e) => e.type);
    expect(events.at(-1)).toBe('probe_resume');
    const dead = events.indexOf('work_run', events.indexOf('tick'));
    expect(events.slice(dead + 1)).toEqual([
      'device_abort_done',
      'irq_read_status',
      'irq_write_clear',
      'irq_schedule_work',
      'probe_resume',
    ]);
  });
});

describe("finding 3: the review's pci_doe_irq() leaves INT_STATUS set after an error", () => {
  const result = explore(pciDoeModel, { variants: [VARIANTS.reviewIrqHandler] });

  it('on the fixed state machine it breaks response-wakes-driver only', () => {
    expect(failed(result)).toEqual(['response-wakes-driver']);
  });

  it('the counterexample: a response arrives while INT_STATUS is still set from an error, so no MSI', () => {
    const trace = result.properties.find((p) => p.name === 'response-wakes-driver')!.trace!;
    const last = trace.steps.at(-1)!;
    expect(last.event).toEqual({ type: 'device_respond' });
    expect(last.context).toMatchObject({ intStatus: true, irqPending: false, work: 'deadline' });
    const errorBranch = trace.steps.findIndex(
      (s) => s.event.type === 'irq_read_status' && (s.context as DoeContext).error,
    );
    expect(errorBranch).toBeGreaterThan(0);
    // From the error branch on, nothing ever clears INT_STATUS.
    expect(trace.steps.slice(errorBranch).every((s) => (s.context as DoeContext).intStatus)).toBe(
      true,
    );
  });

  it("on the seed's state machine it hangs even when the abort completes, where the seed's handler recovers", () => {
    const script: DoeEvent[] = [
      ...readyIn('irq'),
      call(0),
      ev('work_run'),
      ev('device_error'),
      ev('tick'),
      ev('work_run'),
      ev('irq_read_status'), // ERROR and INT_STATUS both set: the two handlers part here
    ];
    // The review's handler takes the ERROR branch and does not clear INT_STATUS.
    const review = replay(
      [...script, ev('irq_schedule_work'), ev('work_run'), ev('device_abort_done')],
      [VARIANTS.waitAbortNoReschedule, VARIANTS.reviewIrqHandler],
    );
    expect(contextOf(review)).toMatchObject({ intStatus: true, irqPending: false, work: 'none' });
    expect(canReach(review, backToIdle)).toBe(false);
    const seed = replay(
      [
        ...script,
        ev('irq_write_clear'),
        ev('irq_schedule_work'),
        ev('work_run'),
        ev('device_abort_done'),
      ],
      [VARIANTS.waitAbortNoReschedule],
    );
    expect(contextOf(seed).irqPending).toBe(true); // BUSY clearing raised INT_STATUS again
    expect(canReach(seed, backToIdle)).toBe(true);
  });
});

describe("finding 5: the seed handler's read-to-clear window is harmless, as the review argues", () => {
  it('Data Object Ready rising between the read and the clear sends no MSI, yet the work sees it', () => {
    const prefix: DoeEvent[] = [
      ...readyIn('irq'),
      ev('other_user_busy'),
      call(0),
      ev('work_run'), // BUSY: retry
      ev('other_user_done'), // BUSY clears: INT_STATUS rises, MSI
      ev('irq_read_status'), // the handler reads INT_STATUS set ...
      ev('work_run'), // (the retry writes GO meanwhile)
      ev('device_respond'), // ... Data Object Ready rises while INT_STATUS is still set
    ];
    const window = replay(prefix);
    expect(contextOf(window)).toMatchObject({ irqPending: false, intStatus: true });
    const done = replay([
      ...prefix,
      ev('irq_write_clear'), // clears the INT_STATUS that Data Object Ready also wanted
      ev('irq_schedule_work'), // but the work is kicked after the clear
      ev('work_run'),
    ]);
    expect(done.outputs.at(-1)).toContainEqual({
      type: 'callback',
      task: 0,
      rc: RESPONSE_BYTES,
    });
  });
});

describe('finding 4: the dead branches of both handlers', () => {
  const coverage = (variants: string[], bounds: Record<string, number> = {}) =>
    explore(pciDoeModel, { variants, bounds }).coverage.transitions;
  const read = (i: number) => `pciDoe.irq.IRQ_IDLE:irq_read_status:${i}`;

  it("the seed's ERROR branch and final IRQ_HANDLED are never taken, as the review says", () => {
    for (const c of [coverage([]), coverage([VARIANTS.asWritten], { modes: 1, busyRetries: 3 })]) {
      expect(c[read(0)]).toBeGreaterThan(0);
      expect(c[read(1)]).toBe(0);
      expect(c[read(2)]).toBe(0);
    }
  });

  it("the review's ERROR-first branch is taken; its IRQ_NONE path is never", () => {
    const c = coverage([VARIANTS.reviewIrqHandler]);
    expect(c[read(0)]).toBeGreaterThan(0);
    expect(c[read(1)]).toBeGreaterThan(0);
    expect(c[read(2)]).toBe(0);
  });
});

/* ---- the default model and the variants ---- */

describe('pci-doe default model', () => {
  it('proves every property at a larger bound too (3 callers, 3 busy retries)', () => {
    const result = explore(pciDoeModel, { bounds: { callers: 3, busyRetries: 3 } });
    expect(result.complete).toBe(true);
    expect(failed(result)).toEqual([]);
  });

  it('polling only never takes an interrupt', () => {
    const result = explore(pciDoeModel, { bounds: { modes: 0 } });
    expect(failed(result)).toEqual([]);
    expect(result.coverage.transitions['pciDoe.irq.IRQ_IDLE:irq_read_status:0']).toBe(0);
  });

  it('reaches -EBUSY, a dead mailbox after probe, and every driver state', () => {
    const result = explore(pciDoeModel);
    const t = result.coverage.transitions;
    expect(t['pciDoe.driver.DOE_IDLE:work_run:3']).toBeGreaterThan(0); // err_busy
    for (const state of ['DOE_IDLE', 'DOE_WAIT_RESP', 'DOE_WAIT_ABORT', 'DOE_WAIT_ABORT_ON_ERR']) {
      expect(result.coverage.stateNodes[`pciDoe.driver.${state}`]).toBeGreaterThan(0);
    }
    expect(t['pciDoe.driver.DOE_WAIT_ABORT_ON_ERR:work_run:2']).toBeGreaterThan(0); // dead
  });
});

describe('pci-doe careless changes', () => {
  it('no busy check: a request is written under BUSY in 9 steps', () => {
    // probe, abort start, tick, abort done, work (idle), probe returns, another user takes
    // the mailbox, call, work writes GO.
    const result = explore(pciDoeModel, { variants: [VARIANTS.noBusyCheck] });
    const events = traceEvents(result, 'no-request-while-busy').map((e) => e.type);
    expect(events).toHaveLength(9);
    expect(events.slice(-3)).toEqual(['other_user_busy', 'call', 'work_run']);
  });

  it('err_busy keeping cur_task: the next interrupt reuses the returned task', () => {
    const result = explore(pciDoeModel, { variants: [VARIANTS.errBusyKeepsCurTask] });
    const property = result.properties.find((p) => p.name === 'no-use-after-return')!;
    expect(property.holds).toBe(false);
    const events = property.trace!.steps.map((s) => s.event.type);
    expect(events).toContain('irq_schedule_work');
    expect(property.message).toMatch(/whose caller has already returned/);
  });

  it('deadline tested before Data Object Ready: a ready response is thrown away with -ETIMEDOUT', () => {
    const result = explore(pciDoeModel, { variants: [VARIANTS.deadlineBeforeReady] });
    const events = traceEvents(result, 'response-not-lost').map((e) => e.type);
    expect(events).toContain('device_respond');
    expect(events.filter((e) => e === 'tick').length).toBeGreaterThanOrEqual(2);
  });

  it('no deadline in DOE_WAIT_RESP: a device that never answers holds the task forever', () => {
    const result = explore(pciDoeModel, { variants: [VARIANTS.noDeadlineInWaitResp] });
    const events = traceEvents(result, 'callback-once').map((e) => e.type);
    expect(events.at(-1)).toBe('device_hang');
  });
});
