/**
 * Model-specific checks for idpf-xn: each finding's counterexample read as the story the docs
 * tell (its shape and its clock), the salt's safety boundary under late replies, the stories
 * the shortest counterexample does not tell (a short reply at full size, the masked lock
 * nesting), and what the time model must keep (no -ETIME before the timeout passes). The
 * generic checks (the defaults hold, each variant breaks exactly what it declares) are in
 * test/registry.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { EventObject } from 'xstate';
import { explore, type PropertyResult } from '../src/explore/explore.ts';
import { resolveConfig } from '../src/model/config.ts';
import type { Output } from '../src/model/model.ts';
import { ModelSystem, type SystemNode } from '../src/model/system.ts';
import type { Trace } from '../src/model/trace.ts';
import { VARIANTS, type IdpfXnEvent, type IdpfXnOutput } from '../machines/idpf-xn.ts';
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

const types = (trace: Trace) => trace.steps.map((step) => step.event.type);
const outputsOf = (trace: Trace) =>
  trace.steps.flatMap((step) => step.outputs as unknown as IdpfXnOutput[]);
/** The clock at the step where `type` first (or last) happens. */
const timeAt = (trace: Trace, type: string, last = false) => {
  const steps = trace.steps.filter((step) => step.event.type === type);
  return (last ? steps.at(-1) : steps[0])?.time;
};

/**
 * Plays a story event by event (each given by the fields it must match in the alphabet) and
 * returns every step's outputs and the step properties it broke.
 */
function play(story: Array<Partial<IdpfXnEvent>>, bounds: Bounds = {}, variants: string[] = []) {
  const system = new ModelSystem(idpfXnModel, resolveConfig(idpfXnModel, { bounds, variants }));
  let node: SystemNode = system.initial().node;
  const steps: Array<{ outputs: Output[]; broken: string[] }> = [];
  for (const wanted of story) {
    const events = system.events(node);
    const index = events.findIndex((event) =>
      Object.entries(wanted).every(([k, v]) => (event as Record<string, unknown>)[k] === v),
    );
    const successor =
      index >= 0 ? system.stepWith(node, system.view(node), events[index], index) : null;
    if (!successor) throw new Error(`not enabled: ${JSON.stringify(wanted)}`);
    steps.push({
      outputs: successor.result.outputs,
      broken: successor.violations.map((v) => v.property),
    });
    node = successor.node;
  }
  return steps;
}
const returns = (outputs: readonly EventObject[]) =>
  outputs.filter((o) => o.type === 'exec_return') as unknown as Extract<
    IdpfXnOutput,
    { type: 'exec_return' }
  >[];

/** One sync caller and a control plane that answers every request whole and in time. */
const STORY_ONLY = { callers: 1, ctrlCallers: 0, reset: 0, error: 0, lost: 0, lengths: 1 };

describe('idpf-xn: the findings as stories', () => {
  it('finding 1 (6.9): with the salt compared before the lock, a reply held across its waiter’s deadline completes the next request', () => {
    // One caller and a well-behaved device are enough for the story (and keep the run small).
    const failed = run({ ...STORY_ONLY }, [VARIANTS.saltCheckUnlocked]).property(
      'reply-to-own-transaction',
    );
    expect(failed.holds).toBe(false);
    const trace = failed.trace!;
    // The reply is taken (salt checked) before the waiter times out; the waiter gives up only
    // once the timer is due (timeout + 1 ticks), frees the index, a new request re-pops it, and
    // the preempted reply path locks and completes that one.
    expect(types(trace).indexOf('REPLY')).toBeLessThan(types(trace).indexOf('TIMEOUT'));
    expect(timeAt(trace, 'TIMEOUT')).toBe(3);
    expect(types(trace).lastIndexOf('EXEC')).toBeGreaterThan(types(trace).indexOf('CHECK'));
    expect(types(trace).at(-1)).toBe('FORWARD');
    const reply = outputsOf(trace).at(-1)!;
    expect(reply.type === 'reply' && reply.answers !== reply.holder).toBe(true);
  });

  it('finding 2 (6.9): complete() after the unlock wakes the next request, which returns -ETIME in the same tick it sent', () => {
    const { property } = run({ ...STORY_ONLY, replyDelay: 1 }, [VARIANTS.completeAfterUnlock]);
    const failed = property('sync-result-matches');
    expect(failed.holds).toBe(false);
    expect(failed.message).toMatch(/-ETIME before its timeout had passed/);
    const trace = failed.trace!;
    expect(types(trace).lastIndexOf('COMPLETE')).toBeGreaterThan(types(trace).lastIndexOf('SEND'));
    // Sent and given up on at the same tick: it waited 0 of its 2 ticks.
    expect(timeAt(trace, 'SEND', true)).toBe(timeAt(trace, 'CHECK', true));
    const last = returns(outputsOf(trace)).at(-1)!;
    expect([last.rc, last.expired]).toEqual(['ETIME', false]);
  });

  it('finding N1 (6.9 and later): shutdown between the unlock and reinit_completion leaves the caller to wait out its whole timeout', () => {
    const failed = run({}, [VARIANTS.reinitAfterUnlock]).property('shutdown-releases-waiters');
    expect(failed.holds).toBe(false);
    const trace = failed.trace!;
    const t = types(trace);
    // ARM (unlock) ... the shutdown's slot step ... SEND (reinit_completion erases it).
    expect(t.indexOf('ARM')).toBeLessThan(t.indexOf('SHUTDOWN_XN'));
    expect(t.indexOf('SHUTDOWN_XN')).toBeLessThan(t.indexOf('SEND'));
    expect(t.at(-1)).toBe('TIMEOUT');
    // The whole timeout: the timer is due timeout + 1 ticks after the send.
    expect(timeAt(trace, 'TIMEOUT')! - timeAt(trace, 'SEND')!).toBe(3);
  });

  it('the fix of N1 returns -ENXIO at once: the same interleaving with reinit_completion under the lock', () => {
    const story: Array<Partial<IdpfXnEvent>> = [
      { type: 'EXEC', caller: 0 },
      { type: 'ARM', caller: 0 },
      { type: 'DEVICE_RESET' },
      { type: 'DETECT' },
      { type: 'EVENT' },
      { type: 'SHUTDOWN_XN' },
      { type: 'SEND', caller: 0 },
      { type: 'WAKE', caller: 0 },
      { type: 'CHECK', caller: 0 },
    ];
    const last = returns(play(story).at(-1)!.outputs)[0];
    expect([last.rc, last.expired]).toEqual(['ENXIO', false]);
    expect(() => play(story, {}, [VARIANTS.reinitAfterUnlock])).toThrow(/not enabled.*WAKE/);
  });

  it('reset-after-vport-lock (6.9): the reset waits for vport_ctrl_lock while its holder waits for a device in reset', () => {
    const failed = run({}, [VARIANTS.resetAfterVportLock]).property('reset-releases-waiters');
    expect(failed.holds).toBe(false);
    const t = types(failed.trace!);
    expect(t.slice(t.indexOf('DEVICE_RESET'))).toEqual([
      'DEVICE_RESET',
      'DETECT',
      'EVENT',
      'tick',
      'tick',
    ]);
  });

  it('init-error-deinit-before-cancel (6.9, CVE-2024-53064): a failed init deinitialises the mailbox with its task still queued', () => {
    const failed = run({ initFailures: 1 }, [VARIANTS.initErrorDeinitBeforeCancel]).property(
      'mbx-task-not-after-deinit',
    );
    expect(failed.holds).toBe(false);
    const t = types(failed.trace!);
    expect(t.lastIndexOf('CORE_INIT_FAIL')).toBeLessThan(t.lastIndexOf('DEINIT_MBX'));
    expect(t.slice(t.lastIndexOf('CORE_INIT_FAIL'))).not.toContain('CANCEL_MBX');
  });

  it('async-never-reclaimed (6.9): one lost async reply leaks its slot; with no reset left it never comes back', () => {
    const { property } = run({ lost: 1, reset: 0 }, [VARIANTS.asyncNeverReclaimed]);
    expect(types(property('no-leak').trace!).slice(-2)).toEqual(['SEND', 'LOSE']);
    expect(property('all-can-become-free').holds).toBe(false);
    // The default's async timeout gives the slot back: the same loss, then RECLAIM.
    const steps = play(
      [
        { type: 'EXEC', caller: 1, async: true },
        { type: 'ARM', caller: 1 },
        { type: 'SEND', caller: 1 },
        { type: 'LOSE' },
        { type: 'tick' },
        { type: 'tick' },
        { type: 'tick' },
        { type: 'RECLAIM', idx: 0 },
      ],
      { reset: 0 },
    );
    expect(steps.at(-1)!.outputs).toEqual([{ type: 'reclaim', idx: 0, holder: 0 }]);
  });
});

describe('idpf-xn: payloads', () => {
  const syncStory = (len: string): Array<Partial<IdpfXnEvent>> => [
    { type: 'EXEC', caller: 0 },
    { type: 'ARM', caller: 0 },
    { type: 'SEND', caller: 0 },
    { type: 'REPLY', kind: 'ok', len: len as never, duplicate: false },
    { type: 'WAKE', caller: 0 },
    { type: 'CHECK', caller: 0 },
  ];

  it('reply-size-from-buffer (6.9): a short reply is reported at the full 4 KiB and passes the caller’s size check', () => {
    const [asWritten] = returns(
      play(syncStory('short'), {}, [VARIANTS.replySizeFromBuffer]).at(-1)!.outputs,
    );
    expect([asWritten.size, asWritten.sent]).toEqual(['max', 'short']);
    expect(play(syncStory('short'), {}, [VARIANTS.replySizeFromBuffer]).at(-1)!.broken).toContain(
      'reply-size-honest',
    );
    // The fix reports data_len: the caller's `reply_sz < sizeof()` check rejects it.
    const [fixed] = returns(play(syncStory('short')).at(-1)!.outputs);
    expect([fixed.size, fixed.sent]).toEqual(['short', 'short']);
  });

  const asyncError: Array<Partial<IdpfXnEvent>> = [
    { type: 'EXEC', caller: 1, async: true },
    { type: 'ARM', caller: 1 },
    { type: 'SEND', caller: 1 },
    { type: 'REPLY', kind: 'error', len: 'exact', duplicate: false },
  ];
  const handled = (variants: string[]) => {
    const step = play(asyncError, {}, variants).at(-1)!;
    const reply = step.outputs[0] as unknown as Extract<IdpfXnOutput, { type: 'reply' }>;
    return { handler: reply.handler, lock: reply.lock, broken: step.broken };
  };

  it('the MAC filter handler removes the failed filter only when it is told the payload size', () => {
    expect(handled([])).toEqual({ handler: 'reconciled', lock: 'spin', broken: [] });
    expect(handled([VARIANTS.asyncReplySizeUnset])).toEqual({
      handler: 'invalid_payload',
      lock: 'spin',
      broken: ['async-error-reconciled'],
    });
  });

  it('6.9 as written masks its own lock nesting bug: with reply_sz unset the handler never reaches the spinlock', () => {
    expect(handled([VARIANTS.handlerUnderRawLock]).broken).toEqual(['handler-lock-context']);
    expect(handled([VARIANTS.handlerUnderRawLock, VARIANTS.asyncReplySizeUnset]).broken).toEqual([
      'async-error-reconciled',
    ]);
    const { property } = run({}, [VARIANTS.handlerUnderRawLock, VARIANTS.asyncReplySizeUnset]);
    expect(property('handler-lock-context').holds).toBe(true);
  });
});

describe('idpf-xn: time and the salt', () => {
  it('a wait times out only when its timer is due: no -ETIME before timeout + 1 ticks', () => {
    const steps = play([
      { type: 'EXEC', caller: 0 },
      { type: 'ARM', caller: 0 },
      { type: 'SEND', caller: 0 },
      { type: 'LOSE' },
      { type: 'tick' },
      { type: 'tick' },
    ]);
    expect(steps).toHaveLength(6);
    expect(() =>
      play([
        { type: 'EXEC', caller: 0 },
        { type: 'ARM', caller: 0 },
        { type: 'SEND', caller: 0 },
        { type: 'LOSE' },
        { type: 'tick' },
        { type: 'tick' },
        { type: 'TIMEOUT', caller: 0 },
      ]),
    ).toThrow(/not enabled.*TIMEOUT/);
  });

  it('a control plane that answers within its latency and never twice cannot fool the salt, whatever its width', () => {
    const { result } = run({ saltBits: 1, replyDelay: 0, late: 0, duplicate: 0, reset: 0 });
    expect(result.properties.every((p) => p.holds === true)).toBe(true);
  });

  it.each([1, 2])(
    'with %i salt bit(s) and a late reply, the salt is safe exactly while a reply is outlived by fewer than 2^bits allocations',
    (saltBits) => {
      const wrap = 2 ** saltBits;
      const base = { saltBits, late: 1, reset: 0, callers: 1, ctrlCallers: 0 };
      const safe = run({ ...base, replyDelay: wrap - 1 });
      expect(safe.result.properties.every((p) => p.holds === true)).toBe(true);

      const failed = run({ ...base, replyDelay: wrap }).property('reply-to-own-transaction');
      expect(failed.holds).toBe(false);
      const trace = failed.trace!;
      // The late reply carries the index and (relative) salt of the transaction it completes.
      const before = (trace.steps.at(-2)?.context ?? trace.initial.context) as {
        xn: { salt: number }[];
        mailbox: { req: number; salt: number }[];
      };
      const last = trace.steps.at(-1)!.event as { type: string; req: number };
      const message = before.mailbox.find((m) => m.req === last.req)!;
      expect(message.salt).toBe(before.xn[0].salt);
      expect(types(trace)).toContain('LATE');
      expect(types(trace).filter((t) => t === 'EXEC').length).toBeGreaterThanOrEqual(wrap);
    },
  );
});
