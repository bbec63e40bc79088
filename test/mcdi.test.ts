/**
 * MCDI-specific checks. The registry suite already proves the default bounds and that every
 * variant breaks exactly what it declares; here: the counterexamples tell the right story
 * (the events that make each race, the clock where time matters), the steps the issue asked to
 * split are really interleaved, and the bounds do what they say.
 */
import { describe, expect, it } from 'vitest';
import { explore, type ExploreResult } from '../src/explore/explore.ts';
import { chartOf } from '../src/inspect/chart.ts';
import { lanesOf } from '../src/inspect/lanes.ts';
import { resolveConfig } from '../src/model/config.ts';
import { ModelSystem } from '../src/model/system.ts';
import type { TraceStep } from '../src/model/trace.ts';
import { OUTLEN, VARIANTS, type McdiContext } from '../machines/mcdi.ts';
import { mcdiModel } from '../machines/registry.ts';

const failing = (result: ExploreResult) =>
  result.properties.filter((p) => p.holds === false).map((p) => p.name);

function traceOf(result: ExploreResult, property: string): TraceStep[] {
  const found = result.properties.find((p) => p.name === property);
  expect(found?.holds, `${property} should fail`).toBe(false);
  return found!.trace!.steps;
}

const types = (steps: TraceStep[]) => steps.map((s) => s.event.type);
const outputsOf = (steps: TraceStep[]) => steps.flatMap((s) => s.outputs);
const at = (step: TraceStep, region: string) => (step.value as Record<string, string>)[region];
const context = (step: TraceStep) => step.context as McdiContext;

/** Variants explored at the bounds they declare (check --variant does the same). */
const exploreVariant = (name: string, bounds: Record<string, number> = {}) =>
  explore(mcdiModel, { variants: [name], bounds });

describe('mcdi model at the default bounds', () => {
  const result = explore(mcdiModel);

  it('proves every property, in a space small enough for CI', () => {
    expect(result.complete).toBe(true);
    expect(failing(result)).toEqual([]);
    expect(result.states).toBeLessThan(60_000);
  });

  it('uses every state node the default model has (the rest belong to variants)', () => {
    const variantOnly = ['COMPLETE', 'DEATH_DEADLOCK', 'RELEASE_LOCK', 'RELEASE_QUIESCE'];
    const unused = Object.entries(result.coverage.stateNodes)
      .filter(([id, hits]) => hits === 0 && !variantOnly.some((node) => id.endsWith(`.${node}`)))
      .map(([id]) => id);
    expect(unused).toEqual([]);
  });

  it('explores a timer that loses its cmpxchg to a completion, and one that wins', () => {
    const taken = result.coverage.transitions;
    expect(taken['mcdi.timer.COMPLETE_ASYNC:timer:0']).toBeGreaterThan(0); // timer won
    expect(taken['mcdi.timer.COMPLETE_ASYNC:timer:1']).toBeGreaterThan(0); // NAPI had it
  });
});

describe('as-written findings', () => {
  it('release drops async_lock before QUIESCENT: a request queued in between is stranded (5 steps)', () => {
    const steps = traceOf(exploreVariant(VARIANTS.asWrittenRelease), 'no-stranded-request');
    // ifup, mode_event's acquire, its release up to the unlock; rpc_async; QUIESCENT.
    expect(types(steps)).toEqual(['ifup', 'reset', 'reset', 'rpc_async', 'reset']);
    expect(context(steps[4])).toMatchObject({ state: 'QUIESCENT', mode: 'EVENTS' });
    expect(context(steps[4]).asyncList).toHaveLength(1);
  });

  it('a timeout between the seqno check and the cmpxchg hands the answer to the next request', () => {
    const result = exploreVariant(VARIANTS.asWrittenCheckThenCmpxchg);
    expect(failing(result)).toEqual(['completion-for-request-in-flight']);
    const steps = traceOf(result, 'completion-for-request-in-flight');
    // NAPI passed the check (napi.COMPLETE) and, before its cmpxchg, the waiter gave up and
    // its release started the next request.
    const checked = steps.findIndex((s) => at(s, 'napi') === 'COMPLETE');
    const cmpxchg = steps.findIndex((s, i) => i > checked && at(s, 'napi') !== 'COMPLETE');
    expect(checked).toBeGreaterThan(0);
    const between = steps.slice(checked + 1, cmpxchg);
    expect(between.some((s) => s.outputs.some((o) => o.rc === -110))).toBe(true);
    expect(between.some((s) => context(s).state === 'RUNNING_ASYNC')).toBe(true);
    // The MC answered late: the timeout and the answer fall in the same tick, after T + 1. It
    // is the async timer's: after a sync timeout MCDI is abandoned (finding 8's fix), and the
    // release in FAIL mode starts no queued request.
    const timeout = steps.findIndex((s) => s.event.type === 'timer_expire');
    const answer = steps.findIndex((s) => s.event.type === 'mc_respond');
    expect(steps[timeout].time).toBe(3);
    expect(steps[answer].time).toBe(steps[timeout].time);
    const last = steps[steps.length - 1].outputs[0];
    expect(last).toMatchObject({ type: 'complete', rc: 0 });
    expect((last.resp as { id: number }).id).not.toBe(last.id);
  });

  it("without the awaiting token a late CMDDONE lands in the next request's window, no timeout needed", () => {
    const result = exploreVariant(VARIANTS.asWrittenSendWindow);
    expect(failing(result)).toEqual(['completion-for-request-in-flight']);
    const steps = traceOf(result, 'completion-for-request-in-flight');
    for (const timeout of ['timer_expire', 'rpc_timeout', 'poll_timeout']) {
      expect(types(steps)).not.toContain(timeout);
    }
  });

  it('the completer is told data_len although min(outlen, data_len) was read (long answer)', () => {
    const steps = traceOf(
      exploreVariant(VARIANTS.asWrittenCompleterLength),
      'completer-length-is-copied',
    );
    const wrong = steps[steps.length - 1].outputs.find((o) => o.type === 'complete')!;
    expect(wrong).toMatchObject({ len: OUTLEN + 1, copied: OUTLEN });
    expect(types(steps)).toContainEqual('mc_respond');
  });

  it('flush_async sets QUIESCENT without a wake-up while a sync caller sleeps in acquire_sync', () => {
    const steps = traceOf(exploreVariant(VARIANTS.asWrittenFlushNoWake), 'no-lost-wakeup');
    const last = steps[steps.length - 1];
    expect(at(last, 'process')).toBe('ACQUIRE_SYNC');
    expect(context(last)).toMatchObject({ procAsleep: true, state: 'QUIESCENT' });
    expect(at(steps[steps.length - 2], 'reset')).toMatch(/^FLUSH_/);
  });

  it('flush_async frees the request a concurrent release is starting', () => {
    const result = exploreVariant(VARIANTS.asWrittenFlushUnlocked);
    const steps = traceOf(result, 'flush-frees-unused');
    const last = steps[steps.length - 1];
    const freed = context(steps[steps.length - 2]).releasing;
    // The flush's list walk completed it (-ENETDOWN) while the process was still starting it.
    expect(last.outputs).toContainEqual(expect.objectContaining({ id: freed, rc: -100 }));
    expect(at(last, 'process')).toMatch(/^RELEASE_(SEQNO|SEND)$/);
    // The release read EVENTS before mode_poll's store, then the whole down path ran.
    expect(types(steps)).toContain('ifdown');
  });

  it('a polled timeout takes a credit for a CMDDONE nobody asked for', () => {
    const steps = traceOf(exploreVariant(VARIANTS.asWrittenCredits), 'credit-for-awaited-event');
    const last = steps[steps.length - 1];
    expect(last.outputs).toContainEqual(expect.objectContaining({ type: 'rpc_done', rc: -110 }));
    // Sent and timed out in POLL mode (the timeout then abandons MCDI: FAIL).
    expect(context(steps[steps.length - 2]).mode).toBe('POLL');
    expect(context(last).mode).toBe('FAIL');
    expect(context(last).mc[0].evreq).toBe(false);
  });
});

describe('time', () => {
  it('poll-time-after-eq gives up at jiffies == finish, while the MC may still answer', () => {
    const steps = traceOf(exploreVariant(VARIANTS.pollTimeAfterEq), 'no-timeout-while-answer-due');
    const timeout = steps.find((s) => s.event.type === 'poll_timeout')!;
    // finish = jiffies + T: time_after_eq is true at t = T, time_after only at T + 1.
    expect(timeout.time).toBe(2);
    expect(context(timeout).mcDue).toBe(0);
  });

  it('an MC that keeps its latency never makes a request time out', () => {
    const result = explore(mcdiModel, { bounds: { late: 0 } });
    expect(failing(result)).toEqual([]);
    const taken = result.coverage.transitions;
    const timeouts = Object.entries(taken).filter(
      ([label, hits]) => /:(rpc_timeout|poll_timeout|timer_expire):/.test(label) && hits > 0,
    );
    expect(timeouts).toEqual([]);
  });

  it('complete-sync-no-wake leaves the waiter asleep although its answer came', () => {
    const steps = traceOf(exploreVariant(VARIANTS.completeSyncNoWake), 'no-lost-wakeup');
    const last = steps[steps.length - 1];
    expect(at(last, 'process')).toBe('AWAIT_COMPLETION');
    expect(context(last)).toMatchObject({ procAsleep: true, state: 'COMPLETED' });
  });

  it('without the reset, a request the MC lost in a reboot waits for its timer', () => {
    const steps = traceOf(exploreVariant(VARIANTS.evDeathNoReset), 'no-wait-for-lost-request');
    expect(types(steps)).toContain('mc_reboot');
    expect(steps[steps.length - 1].event.type).toBe('tick');
    expect(outputsOf(steps).filter((o) => o.type === 'complete')).toEqual([]);
  });
});

describe('bounds', () => {
  it('seqBits=1: seqno still wraps through the async timer, which does not abandon MCDI (as upstream)', () => {
    const result = explore(mcdiModel, { bounds: { seqBits: 1 } });
    const steps = traceOf(result, 'completion-for-request-in-flight');
    // One async timeout moves seqno by 2 = 2^seqBits; the next async request takes the late
    // answer. Only efx_mcdi_rpc_finish calls efx_mcdi_abandon (finding 8's fix).
    expect(types(steps)).toContain('timer_expire');
    expect(types(steps)).not.toContain('rpc_timeout');
    expect(types(steps)).not.toContain('poll_timeout');
    const last = steps[steps.length - 1].outputs.find((o) => o.type === 'complete')!;
    expect(last).toMatchObject({ rc: 0 });
    expect((last.resp as { id: number }).id).not.toBe(last.id);
  });

  it('seqBits=2 is wide enough for two requests and their timeouts', () => {
    expect(failing(explore(mcdiModel, { bounds: { seqBits: 2 } }))).toEqual([]);
  });

  it('an MCDI v2 NIC (the header read in ev_cpl) keeps every property', () => {
    const result = explore(mcdiModel, { bounds: { mcdiVersion: 2 } });
    expect(result.complete).toBe(true);
    expect(failing(result)).toEqual([]);
  });

  it('a reboot and the reset it schedules are explored and keep every property', () => {
    const result = explore(mcdiModel, { bounds: { reset: 1, late: 0, error: 0 } });
    expect(failing(result)).toEqual([]);
    const taken = result.coverage.transitions;
    expect(taken['mcdi:mc_reboot:0']).toBeGreaterThan(0);
    expect(taken['mcdi.reset.UP:reset:0']).toBeGreaterThan(0); // the reset work ran
  });
});

describe('sequence chart lanes', () => {
  it('one lane per driver context, the clock, and the MC as the device (last)', () => {
    const system = new ModelSystem(mcdiModel, resolveConfig(mcdiModel));
    const chart = chartOf(system.instance.machine);
    const { lanes, ofTransition } = lanesOf(chart, system.instance.lanes);
    expect(lanes.at(-1)).toMatchObject({ name: 'MC', device: true });
    const laneOf = (label: string) =>
      lanes[ofTransition[chart.transitions.findIndex((t) => t.label === label)]].name;
    expect(laneOf('mcdi:mc_reboot:0')).toBe('MC');
    expect(laneOf('mcdi:tick:0')).toBe('clock');
    // efx_mcdi_mode_poll runs in the context that brings the interface down, not the MC's.
    expect(laneOf('mcdi.reset.MODE_POLL_STORE:reset:0')).toBe('ifdown, ifup, reset work');
    // Every lane takes some transition: none is declared for nothing, none falls back.
    expect(new Set(ofTransition).size).toBe(lanes.length);
    expect(lanes.map((l) => l.name)).not.toContain('device / environment');
  });
});

/**
 * Finding 8 (docs/mcdi.md): at the hardware's 4-bit seqno, the 80-step run `bench/width.ts`
 * found at requests=9, replayed event by event through the seed as written
 * (as-written-seqno-wrap) and through the default model, which abandons MCDI after a timeout.
 * Exploring to depth 80 takes millions of states; the replay takes 80 steps.
 */
describe('the real width (seqBits=4): a late answer after eight timeouts', () => {
  const WIDTH_BOUNDS = {
    requests: 9,
    asyncCalls: 0,
    error: 0,
    ifdowns: 0,
    timeout: 1,
    latency: 1,
    asyncFailures: 0,
  };
  const process = { type: 'process' };
  /** `timedOut` polled requests that time out (the MC stalls the first), then one more. */
  function wrapEvents(timedOut: number) {
    const events: Array<Record<string, unknown> & { type: string }> = [];
    for (let k = 0; k < timedOut; k++) {
      events.push({ type: 'rpc' }, process, process, process);
      if (k === 0) events.push({ type: 'mc_stall' });
      events.push({ type: 'tick' }, { type: 'tick' }, { type: 'poll_timeout' }, process, process);
    }
    events.push({ type: 'rpc' }, process, process, process);
    events.push({ type: 'mc_respond', len: 2, err: false }, process, process);
    return events;
  }
  /**
   * Steps `events` through the model (with `variants`) while they are enabled: the outputs
   * and the violations of each step taken, and the first event that was not enabled.
   */
  function replay(events: ReturnType<typeof wrapEvents>, variants: string[] = []) {
    const config = resolveConfig(mcdiModel, { bounds: WIDTH_BOUNDS, variants });
    const system = new ModelSystem(mcdiModel, config);
    let node = system.initial().node;
    const steps: Array<{ outputs: Array<Record<string, unknown>>; violated: string[] }> = [];
    for (const event of events) {
      const successor = system
        .successors(node)
        .find((s) => JSON.stringify(s.event) === JSON.stringify(event));
      if (!successor) return { steps, refused: event };
      node = successor.node;
      steps.push({
        outputs: successor.result.outputs,
        violated: [...successor.violations, ...system.checkState(node)].map((v) => v.property),
      });
    }
    return { steps, refused: null };
  }

  it('as written, after eight timeouts request 8 takes request 0’s answer (80 steps, fails)', () => {
    const { steps, refused } = replay(wrapEvents(8), [VARIANTS.asWrittenSeqnoWrap]);
    expect(refused).toBeNull();
    expect(steps).toHaveLength(80);
    expect(steps.slice(0, -1).flatMap((s) => s.violated)).toEqual([]);
    expect(steps[79].violated).toContain('completion-for-request-in-flight');
    expect(steps[79].outputs).toContainEqual(
      expect.objectContaining({
        type: 'rpc_done',
        id: 8,
        rc: 0,
        resp: expect.objectContaining({ id: 0 }),
      }),
    );
  });

  it('as written, after seven timeouts the same late answer is refused by the seqno check', () => {
    const { steps, refused } = replay(wrapEvents(7), [VARIANTS.asWrittenSeqnoWrap]);
    expect(refused).toBeNull();
    expect(steps.flatMap((s) => s.violated)).toEqual([]);
    // "MC response mismatch": efx_mcdi_read_response_header gives request 7 -EIO, no data.
    expect(steps[steps.length - 1].outputs).toEqual([
      expect.objectContaining({ type: 'rpc_done', id: 7, rc: -5, resp: null, copied: 0 }),
    ]);
  });

  it('fixed, the first timeout abandons MCDI: the next call fails with -ENETDOWN, nothing is sent', () => {
    const { steps, refused } = replay(wrapEvents(8));
    expect(steps.flatMap((s) => s.violated)).toEqual([]);
    // Request 0 timed out in 10 steps; the call of step 11 is refused before acquire_sync,
    // so the process has nothing to do at step 12.
    expect(steps).toHaveLength(11);
    expect(steps[8].outputs).toContainEqual(expect.objectContaining({ id: 0, rc: -110 }));
    expect(steps[10].outputs).toEqual([
      expect.objectContaining({ type: 'rpc_done', id: 1, rc: -100, resp: null }),
    ]);
    expect(refused).toEqual(process);
  });
});

describe('finding 8 at seqBits=2 (the wrap after two timeouts)', () => {
  const SMALL = { seqBits: 2, requests: 3, asyncCalls: 0, error: 0, ifdowns: 0 };

  it('as written: the third request takes the first one’s late answer', () => {
    const result = explore(mcdiModel, { variants: [VARIANTS.asWrittenSeqnoWrap], bounds: SMALL });
    // The credits, told apart by their seqnos (finding 7's fix), alias alike.
    expect(failing(result)).toEqual([
      'completion-for-request-in-flight',
      'credit-absorbs-own-event',
    ]);
    const steps = traceOf(result, 'completion-for-request-in-flight');
    const done = outputsOf(steps).filter((o) => o.type === 'rpc_done');
    expect(done.map((o) => o.rc)).toEqual([-110, -110, 0]);
    expect(done[2]).toMatchObject({ id: 2, resp: expect.objectContaining({ id: 0 }) });
  });

  it('fixed: every property holds, and the FLR that ends the fail mode is reached', () => {
    const result = explore(mcdiModel, { bounds: SMALL });
    expect(result.complete).toBe(true);
    expect(failing(result)).toEqual([]);
    const taken = result.coverage.transitions;
    expect(taken['mcdi.process.IDLE:rpc:0']).toBeGreaterThan(0); // refused in FAIL mode
    expect(taken['mcdi.reset.FLR:reset:0']).toBeGreaterThan(0); // the reset work's FLR
  });

  it('abandon-no-reset: MCDI stays in FAIL mode with no reset to end it', () => {
    const result = exploreVariant(VARIANTS.abandonNoReset);
    const steps = traceOf(result, 'fail-mode-recovers');
    const last = context(steps[steps.length - 1]);
    expect(last).toMatchObject({ mode: 'FAIL', flrPending: false });
    expect(outputsOf(steps)).toContainEqual(expect.objectContaining({ rc: -110 }));
  });
});
