/**
 * MCDI-specific checks. The registry suite already proves the default bounds and that every
 * variant breaks exactly what it declares; here: the counterexamples tell the right story
 * (length, the events that make the race), the races the issue names are really explored,
 * and the seqBits bound does what it says.
 */
import { describe, expect, it } from 'vitest';
import { explore, type ExploreResult } from '../src/explore/explore.ts';
import type { TraceStep } from '../src/model/trace.ts';
import { VARIANTS } from '../machines/mcdi.ts';
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
const inState = (step: TraceStep, region: string, node: string) =>
  (step.value as Record<string, string>)[region] === node;

describe('mcdi model', () => {
  it('proves every property at the default bounds, in a space small enough for CI', () => {
    const result = explore(mcdiModel);
    expect(result.complete).toBe(true);
    expect(failing(result)).toEqual([]);
    // Every state node the default model can use is used (the rest belong to variants).
    const variantOnly = ['mcdi.napi.COMPLETE', 'mcdi.napi.DEATH_DEADLOCK'];
    const unused = Object.entries(result.coverage.stateNodes)
      .filter(([id, hits]) => hits === 0 && !variantOnly.includes(id) && !id.endsWith('_QUIESCE'))
      .map(([id]) => id);
    expect(unused).toEqual([]);
    expect(result.states).toBeLessThan(60_000);
  });

  it('explores a timeout that loses the cmpxchg to a completion, and one that wins', () => {
    const { coverage } = explore(mcdiModel);
    // COMPLETE_ASYNC's first transition: the timer won (RUNNING_ASYNC -> COMPLETED);
    // its second: the completion path had already taken the request.
    expect(coverage.transitions['mcdi.timer.COMPLETE_ASYNC:timer:0']).toBeGreaterThan(0);
    expect(coverage.transitions['mcdi.timer.COMPLETE_ASYNC:timer:1']).toBeGreaterThan(0);
    // A completion that fails the check (stale, or no longer awaited) is dropped.
    expect(coverage.transitions['mcdi.napi.IDLE:napi:5']).toBeGreaterThan(0);
  });

  describe('as-written findings', () => {
    it('a timer firing between the seqno check and the cmpxchg hands the response to the next request', () => {
      const result = explore(mcdiModel, { variants: [VARIANTS.asWrittenCheckThenCmpxchg] });
      expect(failing(result)).toEqual(['completion-for-request-in-flight']);
      const steps = traceOf(result, 'completion-for-request-in-flight');
      // NAPI passed the check (napi.COMPLETE) and, before its cmpxchg, the timer completed
      // the request and released the interface to the next one.
      const checked = steps.findIndex((s) => inState(s, 'napi', 'COMPLETE'));
      const cmpxchg = steps.findIndex((s, i) => i > checked && !inState(s, 'napi', 'COMPLETE'));
      expect(checked).toBeGreaterThan(0);
      const between = steps.slice(checked + 1, cmpxchg);
      expect(between.some((s) => s.outputs.some((o) => o.rc === -110))).toBe(true);
      expect(between.some((s) => inState(s, 'timer', 'RELEASE_SEND'))).toBe(true);
      const last = steps[steps.length - 1].outputs[0];
      expect(last).toMatchObject({ type: 'complete', rc: 0 });
      expect(last.resp).not.toBe(last.id);
    });

    it('release drops async_lock before QUIESCENT: a request queued in between is stranded (5 steps)', () => {
      const result = explore(mcdiModel, { variants: [VARIANTS.asWrittenRelease] });
      const steps = traceOf(result, 'no-stranded-request');
      // mode_event takes 2 steps, release 2 (unlock, then QUIESCENT), rpc_async 1 in between.
      expect(types(steps)).toEqual(['mode_event', 'process', 'process', 'rpc_async', 'process']);
      expect(steps[steps.length - 1].context).toMatchObject({
        state: 'QUIESCENT',
        mode: 'EVENTS',
        asyncList: [0],
      });
    });

    it("without the awaiting token a late answer lands in the next request's window", () => {
      const result = explore(mcdiModel, { variants: [VARIANTS.asWrittenSendWindow] });
      expect(failing(result)).toEqual(['completion-for-request-in-flight']);
      const steps = traceOf(result, 'completion-for-request-in-flight');
      // No timeout is involved: the seed's ++seqno on timeout cannot be what saves it.
      expect(types(steps)).not.toContain('timer_expire');
      expect(types(steps)).not.toContain('rpc_timeout');
      expect(types(steps)).not.toContain('poll_timeout');
    });
  });

  describe('variants', () => {
    it("timeout-no-seqno: the timed-out request's late answer completes the next request", () => {
      const result = explore(mcdiModel, { variants: [VARIANTS.timeoutNoSeqno] });
      const steps = traceOf(result, 'completion-for-request-in-flight');
      const expire = types(steps).indexOf('timer_expire');
      const answer = types(steps).lastIndexOf('mc_respond');
      expect(expire).toBeGreaterThanOrEqual(0);
      expect(answer).toBeGreaterThan(expire);
      const timedOut = outputsOf(steps).find((o) => o.rc === -110)!;
      const wrong = steps[steps.length - 1].outputs[0];
      expect(wrong).toMatchObject({ type: 'complete', rc: 0, resp: timedOut.id });
      expect(wrong.id).not.toBe(timedOut.id);
    });

    it('complete-async-no-cmpxchg: timer and completion both run the completer', () => {
      const result = explore(mcdiModel, { variants: [VARIANTS.completeAsyncNoCmpxchg] });
      const steps = traceOf(result, 'completer-once');
      const completes = outputsOf(steps).filter((o) => o.type === 'complete');
      expect(completes.length).toBe(2);
      expect(types(steps)).toContain('timer_expire');
    });

    it('flush-no-wait: the next request is written while the MC works on the running one (13 steps)', () => {
      const result = explore(mcdiModel, { variants: [VARIANTS.flushNoWait] });
      const steps = traceOf(result, 'one-outstanding-at-mc');
      // EVENTS (2 steps), release (1), an async request started and sent (2), mode_poll,
      // flush_async (4 steps: call, del_timer + QUIESCENT, one completer, return), then a
      // sync rpc in POLL mode: call, acquire, send. The order of the first five varies.
      expect(steps.length).toBe(13);
      const order = types(steps);
      expect(order.indexOf('mode_poll')).toBeLessThan(order.indexOf('flush_async'));
      expect(order.slice(-3)).toEqual(['rpc', 'process', 'process']);
      const mc = (steps[12].context as { mc: Array<{ abandoned: boolean }> }).mc;
      expect(mc.filter((r) => !r.abandoned).length).toBe(2);
    });

    it('rpc-async-queue-before-mode-check: a rejected request is on the list after one call', () => {
      const result = explore(mcdiModel, { variants: [VARIANTS.queueBeforeModeCheck] });
      const steps = traceOf(result, 'no-completer-after-enetdown');
      expect(types(steps)).toEqual(['rpc_async']);
      expect(steps[0].outputs).toEqual([{ type: 'rpc_async_rc', id: 0, rc: -100 }]);
    });

    it('ev-death-completes-async: NAPI spins on iface_lock forever (6 steps)', () => {
      const result = explore(mcdiModel, { variants: [VARIANTS.evDeathCompletesAsync] });
      const steps = traceOf(result, 'can-return-to-quiescent');
      // EVENTS (2), release (1), rpc_async (1; it may queue during the release instead),
      // a reboot while the request runs, and NAPI's ev_death.
      expect(steps.length).toBe(6);
      expect(types(steps)).toContain('rpc_async');
      expect(types(steps).slice(-2)).toEqual(['mc_reboot', 'napi']);
      expect(inState(steps[5], 'napi', 'DEATH_DEADLOCK')).toBe(true);
    });
  });

  describe('bounds', () => {
    it('seqBits=1: seqno wraps and a late answer aliases the next request', () => {
      const result = explore(mcdiModel, { bounds: { seqBits: 1 } });
      expect(failing(result)).toEqual(['completion-for-request-in-flight']);
    });

    it('seqBits=2 is wide enough for two requests and their timeouts', () => {
      const result = explore(mcdiModel, { bounds: { seqBits: 2 } });
      expect(failing(result)).toEqual([]);
    });

    it('a duplicate CMDDONE is explored and harmless in the default model', () => {
      const fixed = explore(mcdiModel, { bounds: { duplicates: 1, reboots: 0 } });
      expect(fixed.complete).toBe(true);
      expect(failing(fixed)).toEqual([]);
      expect(fixed.coverage.transitions['mcdi:mc_respond_dup:0']).toBeGreaterThan(0);
    });
  });
});
