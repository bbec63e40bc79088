import { describe, expect, it } from 'vitest';
import { runSuite, type DriverDefinition } from '../src/testgen/conform.ts';
import type { ModelDefinition } from '../src/model/model.ts';
import { generateSuite, generateSuites } from '../src/testgen/generate.ts';
import { GENERATORS, type TestSuite } from '../src/testgen/vectors.ts';
import { idpfXnDriver } from '../drivers/idpf-xn.ts';
import { idpfXnModel } from '../machines/registry.ts';

// The suites are generated from the model; the driver never sees the model. One exploration
// per set of bounds gives all five suites.
const suites: TestSuite[] = generateSuites(idpfXnModel, GENERATORS, {}).map(
  (generated) => generated.suite,
);
const byName = (name: string) => suites.find((suite) => suite.generator.name === name)!;

/** The first generated suite (tour, states, random, edges, pairs) that kills `variant`, and where. */
function killer(variant: string) {
  const killBounds = idpfXnDriver.variants.find((v) => v.name === variant)?.killBounds;
  for (const generator of GENERATORS) {
    // At a variant's own bounds, one suite at a time: the edge and pair covers of a larger
    // graph cost more than the tour that usually kills first.
    const suite = killBounds
      ? generateSuite(idpfXnModel, { generator, bounds: killBounds }).suite
      : byName(generator);
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
      // Two ways: enabled sets and observed fields after every step, refusals where offered.
      expect(result.checked.enabled && result.checked.observed).toBe(true);
    }
    expect(byName('tour').vectors.some((v) => v.steps.some((step) => step.refused))).toBe(true);
  });

  it("the enabled sets name the control plane's inputs and the reset worker's steps too", () => {
    // Every input but tick is compared (machines/idpf-xn.ts, conformance.enabling): an
    // adapter that left one out would report a smaller set than the model's and diverge.
    const seen = new Set(
      suites
        .flatMap((suite) =>
          suite.vectors.flatMap((v) => v.steps.flatMap((step) => step.enabled ?? [])),
        )
        .map((event) => event.type),
    );
    for (const type of [
      'EXEC',
      'REPLY',
      'LOSE',
      'DEVICE_RESET',
      'DETECT',
      'CTRL_LOCK',
      'CANCEL_MBX',
      'DEVICE_READY',
    ])
      expect(seen, type).toContain(type);
    expect(seen).not.toContain('tick');
    // Refusals of environment inputs are offered: a netdev op while the reset worker holds
    // vport_ctrl_lock, the cancel while a stats exec is in flight, the device before its time.
    const refused = new Set(
      suites.flatMap((suite) =>
        suite.vectors.flatMap((v) =>
          v.steps.filter((step) => step.refused).map((step) => step.event.type),
        ),
      ),
    );
    for (const type of ['EXEC', 'CANCEL_MBX', 'DEVICE_READY'])
      expect(refused, type).toContain(type);
  });

  it('the correct driver keeps the replyDelay assumption as the model does (its tour at replyDelay=1)', () => {
    // The assumption gates EXEC and CLAIM; the harness counts allocations on ghost stamps.
    const suite = generateSuite(idpfXnModel, {
      generator: 'tour',
      bounds: { replyDelay: 1 },
    }).suite;
    expect(
      suite.vectors.some((v) => v.steps.some((s) => s.refused && s.event.type === 'EXEC')),
    ).toBe(true);
    const result = runSuite(idpfXnDriver, suite);
    expect(result.divergence).toBeUndefined();
    expect(result.conforms).toBe(true);
  });

  // Which generator first kills each variant, at which event (measured: the step in brackets).
  // Variants that add or remove a preemption point show as an event the driver cannot take
  // (NotEnabledError) or a missing output; both are divergences the runner reports.
  // Two-way checks (docs/test-vectors.md) kill some first: `enabled` when the driver cannot
  // take a step the model enables (or the reverse), `observed` when a field differs.
  const expected: Record<string, { generator: string; kind: string; eventType: string }> = {
    // [tour 8] The salt passes before the lock: the reply's output is held back to FORWARD.
    'salt-check-unlocked': { generator: 'tour', kind: 'outputs', eventType: 'REPLY' },
    // [tour 8] complete() still pending after the unlock: the driver's rx is at SIGNALLING.
    'complete-after-unlock': { generator: 'tour', kind: 'enabled', eventType: 'REPLY' },
    // [random 11] reinit_completion() after the unlock: after the shutdown's complete_all()
    // the model's waiter can wake, the driver's (done erased) cannot.
    'reinit-after-unlock': { generator: 'random', kind: 'enabled', eventType: 'SEND' },
    // [tour 11] A reply of exactly the expected size is reported at IDPF_CTLQ_MAX_BUF_LEN.
    'reply-size-from-buffer': { generator: 'tour', kind: 'outputs', eventType: 'CHECK' },
    // [random 57] The async error reply reaches the handler with reply_sz 0: invalid_payload.
    'async-reply-size-unset': { generator: 'random', kind: 'outputs', eventType: 'REPLY' },
    // [tour 5] The handler runs under the raw completion lock.
    'handler-under-raw-lock': { generator: 'tour', kind: 'outputs', eventType: 'REPLY' },
    // [tour 39] vc_event_task goes to vport_ctrl_lock first: the driver's reset worker offers
    // CTRL_LOCK where the model's offers its first SHUTDOWN_XN (outputs alone: one step later).
    'reset-after-vport-lock': { generator: 'tour', kind: 'enabled', eventType: 'EVENT' },
    // [tour 33, initFailures=1] The error path deinitialises before any cancel: after the
    // shutdown the driver offers DEINIT_MBX where the model offers CANCEL_MBX.
    'init-error-deinit-before-cancel': {
      generator: 'tour',
      kind: 'enabled',
      eventType: 'SHUTDOWN_XN',
    },
    // [tour 7] No async timeout: the model's RECLAIM is due, the driver has none to offer.
    'async-never-reclaimed': { generator: 'tour', kind: 'enabled', eventType: 'tick' },
    // [tour 18, late=1] A late reply is taken as "belated" (IDLE) instead of salt_mismatch.
    'cookie-index-only': { generator: 'tour', kind: 'outputs', eventType: 'REPLY' },
    // [states 7] A reply finds no waiter by opcode (no_waiter) instead of its SHUTDOWN slot.
    'opcode-only-matching': { generator: 'states', kind: 'outputs', eventType: 'REPLY' },
    // [tour 5] The async transaction is not pushed free: the free bitmap differs at once
    // (outputs alone showed it one step later, at the next EXEC's -ENOSPC).
    'async-not-freed': { generator: 'tour', kind: 'observed', eventType: 'REPLY' },
    // [tour 1] find_first_bit and clear_bit are separate steps: the bit is still set after EXEC.
    'pop-free-unlocked': { generator: 'tour', kind: 'observed', eventType: 'EXEC' },
    // [random 49] The first timeout returns EIO.
    'timeout-returns-eio': { generator: 'random', kind: 'outputs', eventType: 'CHECK' },
    // [tour 9] push_free after bitmap_zero sets a bit during shutdown: the free bitmap shows
    // it (outputs alone needed random 20: a later exec pops it instead of -ENOSPC).
    'enxio-frees': { generator: 'tour', kind: 'observed', eventType: 'ARM' },
    // [states 5] The deinit does not wait for the stats exec in flight: once the reset worker
    // holds vport_ctrl_lock the driver offers CANCEL_MBX, the model does not. Only the
    // completed enabled set sees it (docs/idpf-xn.md): no replayed step reaches the difference.
    'stats-cancel-no-sync': { generator: 'states', kind: 'enabled', eventType: 'CTRL_LOCK' },
    // [tour 36] The service task would queue vc_event_task again during the reset it started.
    'detect-during-reset': { generator: 'tour', kind: 'enabled', eventType: 'DETECT' },
  };

  // Last session's enabled set: the execution contexts' steps and the async timeout only. The
  // runner then offers an input only where the model enables it, and compares no other.
  it('the twins only the completed enabled set kills conform to all five suites with the old set', () => {
    const OLD = ['ARM', 'SEND', 'WAKE', 'TIMEOUT', 'CHECK', 'FORWARD', 'COMPLETE', 'RECLAIM'];
    const cutModel: ModelDefinition = {
      ...idpfXnModel,
      build: (config) => {
        const instance = idpfXnModel.build(config);
        return { ...instance, conformance: { ...instance.conformance!, enabling: OLD } };
      },
    };
    const cutDriver: DriverDefinition = {
      ...idpfXnDriver,
      create: (variants) => {
        const adapter = idpfXnDriver.create(variants);
        return {
          ...adapter,
          enabled: () => adapter.enabled!().filter((e) => OLD.includes(e.type)),
        };
      },
    };
    const oldSuites = generateSuites(cutModel, GENERATORS, {}).map((generated) => generated.suite);
    expect(oldSuites).toHaveLength(5);
    for (const variant of ['stats-cancel-no-sync', 'detect-during-reset']) {
      for (const suite of oldSuites) {
        const result = runSuite(cutDriver, suite, [variant]);
        expect(result.divergence, `${variant}, ${suite.generator.name}`).toBeUndefined();
      }
      // The same suites with the complete set kill it (the expectations below say where).
      expect(killer(variant)?.kind).toBe('enabled');
    }
  });

  it('names every driver variant in the expectations', () => {
    expect(Object.keys(expected).sort()).toEqual(idpfXnDriver.variants.map((v) => v.name).sort());
  });

  for (const variant of idpfXnDriver.variants) {
    it(`${variant.name} is killed by a generated suite`, () => {
      const kill = killer(variant.name);
      expect(kill, variant.name).not.toBeNull();
      expect(kill!.step).toBeGreaterThan(0);
      expect(kill!.path).toHaveLength(kill!.step);
      expect({
        generator: kill!.generator,
        kind: kill!.kind,
        eventType: kill!.event?.type,
      }).toEqual(expected[variant.name]);
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
