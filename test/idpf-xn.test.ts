/**
 * Model-specific checks for idpf-xn: the two findings in Linux 6.9's idpf_vc_xn_forward_reply,
 * the salt's safety boundary (a reply may be outlived by fewer than 2^saltBits allocations),
 * and the smallest failing combination of the bound sweep. The generic checks (defaults hold,
 * each variant breaks what it declares) are in test/registry.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { explore, type PropertyResult } from '../src/explore/explore.ts';
import type { Trace } from '../src/model/trace.ts';
import { VARIANTS, type IdpfXnOutput } from '../machines/idpf-xn.ts';
import { idpfXnModel } from '../machines/registry.ts';

type Bounds = Record<string, number>;

function run(bounds: Bounds = {}, variants: string[] = []) {
  const result = explore(idpfXnModel, { bounds, variants });
  expect(result.complete).toBe(true);
  const property = (name: string): PropertyResult => {
    const found = result.properties.find((p) => p.name === name);
    if (!found) throw new Error(`no property ${name}`);
    return found;
  };
  return { result, property };
}

const eventTypes = (trace: Trace) => trace.steps.map((step) => step.event.type);
const replies = (trace: Trace) =>
  trace.steps.flatMap((step) =>
    (step.outputs as unknown as IdpfXnOutput[]).filter((o) => o.type === 'reply'),
  );

describe('idpf-xn', () => {
  it('holds every property on a ring of two transactions', () => {
    const { result } = run({ ringSize: 2, shutdowns: 0 });
    expect(result.properties.filter((p) => p.holds !== true).map((p) => p.name)).toEqual([]);
  });

  it('finding 1 (6.9): the salt compared outside the lock lets a stale reply complete the next request', () => {
    const { property } = run({}, [VARIANTS.saltCheckUnlocked]);
    const failed = property('reply-to-own-transaction');
    expect(failed.holds).toBe(false);
    const trace = failed.trace!;
    // The reply path passes the salt check, the caller frees and re-pops the index (new
    // salt), then the reply path takes the lock and completes the new request.
    const types = eventTypes(trace);
    expect(types.indexOf('REPLY')).toBeLessThan(types.lastIndexOf('EXEC'));
    expect(types.at(-1)).toBe('FORWARD');
    const last = replies(trace).at(-1)!;
    expect(last.type === 'reply' && last.holder !== last.answers).toBe(true);
  });

  it('finding 2 (6.9): complete() after the unlock wakes the next request on the same index', () => {
    const { property } = run({}, [VARIANTS.completeAfterUnlock]);
    const failed = property('waiter-woken-by-own-cause');
    expect(failed.holds).toBe(false);
    const types = eventTypes(failed.trace!);
    // A late COMPLETE from the previous request's reply lands after the new SEND.
    expect(types.lastIndexOf('COMPLETE')).toBeGreaterThan(types.lastIndexOf('SEND'));
    expect(types.at(-1)).toBe('WAKE');
    expect(property('sync-result-matches').message).toMatch(/-ETIME although its wait did not/);
  });

  it('the code as written (both findings) fails where each finding fails', () => {
    const { result } = run({}, [VARIANTS.saltCheckUnlocked, VARIANTS.completeAfterUnlock]);
    const failed = result.properties.filter((p) => p.holds === false).map((p) => p.name);
    expect(failed.sort()).toEqual(
      ['reply-to-own-transaction', 'sync-result-matches', 'waiter-woken-by-own-cause'].sort(),
    );
  });

  it('a duplicate reply runs the handler twice when the ASYNC transaction is not freed', () => {
    const { property } = run({ duplicates: 1 }, [VARIANTS.asyncNotFreed]);
    expect(property('async-callback-once').message).toMatch(/ran twice/);
  });

  it.each([1, 2])(
    'with %i salt bit(s), the salt is safe exactly while a reply is outlived by fewer than 2^bits allocations',
    (saltBits) => {
      const wrap = 2 ** saltBits;
      const safe = run({ saltBits, replyDelay: wrap - 1, callers: 1 });
      expect(safe.result.properties.every((p) => p.holds === true)).toBe(true);

      const unsafe = run({ saltBits, replyDelay: wrap, callers: 1 });
      const failed = unsafe.property('reply-to-own-transaction');
      expect(failed.holds).toBe(false);
      // The stale reply carries the same index and salt as the transaction it completes.
      const trace = failed.trace!;
      const last = trace.steps.at(-1)!;
      const before = trace.steps.at(-2)?.context ?? trace.initial.context;
      const reply = replies(trace).at(-1)!;
      expect(reply.type === 'reply' && reply.holder !== reply.answers).toBe(true);
      const xnBefore = (before as { xn: { salt: number }[] }).xn[0];
      const event = last.event as { type: string; msg: number };
      const message = (before as { mailbox: { salt: number }[] }).mailbox[event.msg];
      expect(message.salt).toBe(xnBefore.salt);
      // At least 2^bits allocations (EXEC) happen in the counterexample.
      expect(eventTypes(trace).filter((t) => t === 'EXEC').length).toBeGreaterThanOrEqual(wrap);
    },
  );

  it('reproduces the smallest failing combination of the sweep: ring 1, 1 salt bit, 2 in flight, unbounded delay', () => {
    const smallest = { ringSize: 1, saltBits: 1, replyDelay: 0 };
    // One request in flight at most: a stale reply blocks every later send, so no mix-up.
    const oneInFlight = run({ ...smallest, inFlight: 1 });
    expect(oneInFlight.result.properties.every((p) => p.holds === true)).toBe(true);

    const { property } = run({ ...smallest, inFlight: 2 });
    const failed = property('reply-to-own-transaction');
    expect(failed.holds).toBe(false);
    // The cover letter's example with the salt wrapped: a sync request times out, a second
    // request takes salt 1, a third gets salt 0 again and the first one's reply completes it.
    const trace = failed.trace!;
    const types = eventTypes(trace);
    expect(types.filter((t) => t === 'EXEC').length).toBe(3);
    expect(types.indexOf('TIMEOUT')).toBeGreaterThan(-1);
    expect(types.indexOf('TIMEOUT')).toBeLessThan(types.lastIndexOf('EXEC'));
    const last = replies(trace).at(-1)!;
    expect(
      last.type === 'reply' && last.verdict === 'WAITING' && last.holder !== last.answers,
    ).toBe(true);
  });
});
