import { describe, expect, it } from 'vitest';
import { runSuite } from '../src/testgen/conform.ts';
import { generateSuite, generateSuites } from '../src/testgen/generate.ts';
import { GENERATORS, type TestSuite } from '../src/testgen/vectors.ts';
import { idpfXnDriver } from '../drivers/idpf-xn.ts';
import { idpfXnModel } from '../machines/registry.ts';

// The suites are generated from the model; the driver never sees the model. One exploration
// per set of bounds gives all five suites.
const cache = new Map<string, TestSuite[]>();
function suitesAt(bounds: Readonly<Record<string, number>> = {}): TestSuite[] {
  const key = JSON.stringify(bounds);
  if (!cache.has(key)) {
    cache.set(
      key,
      generateSuites(idpfXnModel, GENERATORS, { bounds }).map((generated) => generated.suite),
    );
  }
  return cache.get(key)!;
}
const suites = suitesAt();
const byName = (name: string) => suites.find((suite) => suite.generator.name === name)!;

/** The first generated suite (tour, states, random, edges, pairs) that kills `variant`, and where. */
function killer(variant: string) {
  const killBounds = idpfXnDriver.variants.find((v) => v.name === variant)?.killBounds;
  for (const suite of suitesAt(killBounds)) {
    const result = runSuite(idpfXnDriver, suite, [variant]);
    if (!result.conforms) return { generator: suite.generator.name, ...result.divergence! };
  }
  return null;
}

describe('idpf-xn driver conformance', () => {
  it('the five suites are non-trivial', () => {
    expect(suites.map((s) => s.generator.name)).toEqual([
      'tour',
      'states',
      'random',
      'edges',
      'pairs',
    ]);
    for (const suite of suites) expect(suite.vectors.length).toBeGreaterThan(0);
    // The edge cover takes every edge of the state graph: more vectors than the state cover.
    expect(byName('states').vectors.length).toBeGreaterThan(300);
    expect(byName('edges').vectors.length).toBeGreaterThan(byName('states').vectors.length);
  });

  it('the correct driver (6.9 with the fixes of docs/idpf-xn.md) conforms to all five suites', () => {
    for (const suite of suites) {
      const result = runSuite(idpfXnDriver, suite);
      expect(result.divergence, suite.generator.name).toBeUndefined();
      expect(result.conforms).toBe(true);
    }
  });

  // Which generator first kills each variant, at which event (measured: the step in brackets).
  // Variants that add or remove a preemption point show as an event the driver cannot take
  // (NotEnabledError) or a missing output; both are divergences the runner reports.
  const expected: Record<string, { generator: string; eventType: string }> = {
    // [tour 6] The salt passes before the lock: the reply's output is held back to FORWARD.
    'salt-check-unlocked': { generator: 'tour', eventType: 'REPLY' },
    // [tour 7] complete() is still pending after the unlock: the waiter cannot wake yet.
    'complete-after-unlock': { generator: 'tour', eventType: 'WAKE' },
    // [random 13] reinit_completion() after the unlock erases the shutdown's complete_all().
    'reinit-after-unlock': { generator: 'random', eventType: 'WAKE' },
    // [tour 8] A reply of exactly the expected size is reported at IDPF_CTLQ_MAX_BUF_LEN.
    'reply-size-from-buffer': { generator: 'tour', eventType: 'CHECK' },
    // [random 57] The async error reply reaches the handler with reply_sz 0: invalid_payload.
    'async-reply-size-unset': { generator: 'random', eventType: 'REPLY' },
    // [tour 5] The handler runs under the raw completion lock.
    'handler-under-raw-lock': { generator: 'tour', eventType: 'REPLY' },
    // [tour 17] vc_event_task goes to vport_ctrl_lock first: no shutdown step to take.
    'reset-after-vport-lock': { generator: 'tour', eventType: 'SHUTDOWN_XN' },
    // [tour 14, initFailures=1] The error path deinitialises before any cancel.
    'init-error-deinit-before-cancel': { generator: 'tour', eventType: 'CANCEL_MBX' },
    // [tour 8] No async timeout: nothing reclaims the slot.
    'async-never-reclaimed': { generator: 'tour', eventType: 'RECLAIM' },
    // [tour 18, late=1] A late reply is taken as "belated" (IDLE) instead of salt_mismatch.
    'cookie-index-only': { generator: 'tour', eventType: 'REPLY' },
    // [states 7] A reply finds no waiter by opcode (no_waiter) instead of its SHUTDOWN slot.
    'opcode-only-matching': { generator: 'states', eventType: 'REPLY' },
    // [tour 6] The async transaction is never freed: the next exec gets -ENOSPC.
    'async-not-freed': { generator: 'tour', eventType: 'EXEC' },
    // [tour 2] find_first_bit and clear_bit are separate steps: the caller is still CLAIMING.
    'pop-free-unlocked': { generator: 'tour', eventType: 'ARM' },
    // [random 49] The first timeout returns EIO.
    'timeout-returns-eio': { generator: 'random', eventType: 'CHECK' },
    // [random 20] push_free after bitmap_zero sets a bit during shutdown: a later exec pops
    // it instead of -ENOSPC. Needs a pop before the shutdown and the ARM after it.
    'enxio-frees': { generator: 'random', eventType: 'EXEC' },
  };

  it('names every driver variant in the expectations', () => {
    expect(Object.keys(expected).sort()).toEqual(idpfXnDriver.variants.map((v) => v.name).sort());
  });

  for (const variant of idpfXnDriver.variants) {
    it(`${variant.name} is killed by a generated suite`, () => {
      const kill = killer(variant.name);
      expect(kill, variant.name).not.toBeNull();
      expect(kill!.step).toBeGreaterThan(0);
      expect(kill!.path).toHaveLength(kill!.step);
      expect({ generator: kill!.generator, eventType: kill!.event?.type }).toEqual(
        expected[variant.name],
      );
    });
  }

  // The converse check that the bug variants are the model's bugs and not other ones: a driver
  // variant conforms to the transition tour generated from the model with the same variant
  // switched on, at the variant's own bounds (the tour takes every transition of the broken
  // model; the other suites of a broken model cost a graph build each and add little here).
  const shared: Array<[string, Record<string, number>]> = idpfXnModel.variants
    .map((v): [string, Record<string, number>] => [v.name, { ...(v.bounds ?? {}) }])
    .filter(([name]) => idpfXnDriver.variants.some((d) => d.name === name));
  it('every model variant has a driver twin', () => {
    expect(shared.map(([name]) => name).sort()).toEqual(
      idpfXnModel.variants.map((v) => v.name).sort(),
    );
  });
  for (const [variant, bounds] of shared) {
    it(`the ${variant} driver conforms to the ${variant} model`, () => {
      const suite = generateSuite(idpfXnModel, { generator: 'tour', variants: [variant], bounds });
      const result = runSuite(idpfXnDriver, suite.suite, [variant]);
      expect(result.divergence, variant).toBeUndefined();
      expect(result.conforms).toBe(true);
    });
  }
});
