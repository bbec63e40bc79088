/**
 * The SCMI virtio driver (drivers/scmi-virtio.ts) against the generated suites of its model:
 * the correct driver conforms to the tour, the state cover and the random walks; each bug
 * variant is killed by a generated suite, and where the kill happens says what the bug does.
 */
import { describe, expect, it } from 'vitest';
import {
  ASYNC_VARIANT_BOUNDS,
  DEEP_VARIANT_BOUNDS,
  scmiVirtioDriver,
} from '../drivers/scmi-virtio.ts';
import { scmiVirtioModel } from '../machines/registry.ts';
import type { CliIo } from '../src/cli/command.ts';
import type { OptionValues } from '../src/cli/options.ts';
import { makeTestgenCommands } from '../src/cli/commands-testgen.ts';
import {
  formatDivergence,
  runSuite,
  type ConformResult,
  type Divergence,
} from '../src/testgen/conform.ts';
import { generateSuites } from '../src/testgen/generate.ts';
import { GENERATORS, type GeneratorName, type TestSuite } from '../src/testgen/vectors.ts';

type Suites = Record<GeneratorName, TestSuite>;
const generate = (bounds?: Record<string, number>): Suites =>
  Object.fromEntries(
    generateSuites(scmiVirtioModel, GENERATORS, bounds ? { bounds } : {}).map(({ suite }) => [
      suite.generator.name,
      suite,
    ]),
  ) as Suites;

/* Generated once per bounds for the file: the state cover at the default bounds takes seconds. */
const cache = new Map<string, Suites>();
const suitesAt = (bounds?: Readonly<Record<string, number>>) => {
  const key = JSON.stringify(bounds ?? {});
  if (!cache.has(key)) cache.set(key, generate(bounds ? { ...bounds } : undefined));
  return cache.get(key)!;
};
const atDefault = () => suitesAt();
const atDeep = () => suitesAt(DEEP_VARIANT_BOUNDS);
const atAsync = () => suitesAt(ASYNC_VARIANT_BOUNDS);

/** The variants that need other bounds: they declare them as their killBounds. */
const deepVariants = scmiVirtioDriver.variants.filter((variant) => variant.killBounds);
/** The suites a variant is checked against: at its killBounds, or at the model's defaults. */
const suitesFor = (variant: string) =>
  suitesAt(scmiVirtioDriver.variants.find((v) => v.name === variant)?.killBounds);

const run = (suite: TestSuite, variant?: string): ConformResult =>
  runSuite(scmiVirtioDriver, suite, variant ? [variant] : []);

/** The generators whose suite kills `variant`, with the divergence of each. */
function killers(suites: Suites, variant: string) {
  return GENERATORS.flatMap((generator) => {
    const result = run(suites[generator], variant);
    return result.conforms ? [] : [{ generator, divergence: result.divergence! }];
  });
}

/** Where `generator`'s suite kills `variant`; the test fails when that suite does not. */
function killedBy(suites: Suites, variant: string, generator: GeneratorName): Divergence {
  const result = run(suites[generator], variant);
  expect(result.conforms, `${generator} kills ${variant}`).toBe(false);
  return result.divergence!;
}

const noDivergence = (result: ConformResult) =>
  result.divergence ? formatDivergence(result.divergence) : null;

describe('scmi-virtio driver: the correct driver conforms', () => {
  it('to every generated suite at the default bounds', () => {
    const suites = atDefault();
    expect(suites.tour.bounds).toMatchObject({ maxMsg: 2, cpus: 2, transfers: 2, teardown: 1 });
    expect(suites.tour.summary.coveredTransitions).toBe(suites.tour.summary.reachableTransitions);
    expect(suites.states.summary.reachableStates).toBeGreaterThan(1000);
    for (const generator of GENERATORS) {
      expect(noDivergence(run(suites[generator])), generator).toBeNull();
    }
  });

  it('to every generated suite at the deep-variant bounds (one CPU, a late device, teardown in flight)', () => {
    const suites = atDeep();
    expect(suites.tour.summary.coveredTransitions).toBe(suites.tour.summary.reachableTransitions);
    for (const generator of GENERATORS) {
      expect(noDivergence(run(suites[generator])), generator).toBeNull();
    }
  });
  it('to every generated suite with a token reused while a late reply for it is due (tokens=1 cpus=1 late=1)', () => {
    // The core rebinds the polled transfer's xfer->priv to the late reply's buffer while its
    // poll_done() is between its two sections: the second still looks for the buffer the first
    // read (pairs-53 diverged when the model re-read xfer->priv there).
    const suites = suitesAt({ tokens: 1, cpus: 1, late: 1 });
    expect(suites.tour.summary.coveredTransitions).toBe(suites.tour.summary.reachableTransitions);
    for (const generator of GENERATORS) {
      expect(noDivergence(run(suites[generator])), generator).toBeNull();
    }
  });

  it('to every generated suite at the delayed-response bounds (one transfer, async, a late device)', () => {
    const suites = atAsync();
    expect(suites.tour.summary.coveredTransitions).toBe(suites.tour.summary.reachableTransitions);
    for (const generator of GENERATORS) {
      expect(noDivergence(run(suites[generator])), generator).toBeNull();
    }
  });
});

describe('scmi-virtio driver: every variant is killed', () => {
  it('the variants the default bounds cannot show declare where they show as killBounds', () => {
    expect(deepVariants.map((v) => [v.name, v.killBounds])).toEqual([
      ['txdone-frees-timed-out', DEEP_VARIANT_BOUNDS],
      ['rx-feed-before-callback', ASYNC_VARIANT_BOUNDS],
      ['core-async-done-unlocked', ASYNC_VARIANT_BOUNDS],
    ]);
  });

  it('each variant by a suite generated at its killBounds (default: the model defaults), after step 0', () => {
    for (const variant of scmiVirtioDriver.variants) {
      const kills = killers(suitesFor(variant.name), variant.name);
      expect(kills.length, variant.name).toBeGreaterThan(0);
      for (const { divergence } of kills) expect(divergence.step).toBeGreaterThan(0);
    }
  });

  it('as-written: the state cover sees the IRQ path hand a polled transfer its reply (the root of findings 1-3); the suites with a teardown see chan_free destroy the workqueue before it NULLs the pointer', () => {
    const kills = killers(atDefault(), 'as-written');
    expect(kills.map((k) => k.generator)).toEqual([...GENERATORS]);
    const states = kills.find((k) => k.generator === 'states')!.divergence;
    expect(states.event).toEqual({ type: 'irq_step' });
    // The fix leaves the message to its poller; v8 hands it over through scmi_rx_callback().
    expect(states.expected).toEqual([]);
    expect(states.actual).toEqual([{ type: 'fetched', xfer: 0, reply: 0, via: 'rx_callback' }]);
    for (const { divergence } of kills.filter((k) => k.generator !== 'states')) {
      expect(divergence).toMatchObject({
        kind: 'observed',
        event: { type: 'free_step' },
        field: 'wq',
        modelValue: 'null',
        driverValue: 'draining',
      });
    }
  });

  it('teardown-as-written: every suite sees the workqueue drained while deferred_tx_wq still points to it', () => {
    const kills = killers(atDefault(), 'teardown-as-written');
    expect(kills.map((k) => k.generator)).toEqual([...GENERATORS]);
    for (const { divergence } of kills) {
      expect(divergence).toMatchObject({ kind: 'observed', field: 'wq', driverValue: 'draining' });
    }
  });

  it('rx-lookup-oldest-pending: the rx path names the transfer its lookup found, so a reply handed to the wrong one diverges', () => {
    const kills = killers(atDefault(), 'rx-lookup-oldest-pending');
    expect(kills.map((k) => k.generator)).toEqual([...GENERATORS]);
    for (const { divergence } of kills) {
      // Handed by the interrupt handler or by the worker's pending list.
      expect(['irq_step', 'work_step']).toContain(divergence.event?.type);
      const [expected] = divergence.expected;
      const [actual] = divergence.actual;
      expect(actual).toMatchObject({ type: 'fetched', reply: expected.reply, via: 'rx_callback' });
      expect(expected.xfer).toBe(expected.reply);
      expect(actual.xfer).not.toBe(expected.xfer);
    }
  });

  it('index-moved-means-done: poll_done reports done without dequeuing, caught by every suite', () => {
    const kills = killers(atDefault(), 'index-moved-means-done');
    expect(kills.map((k) => k.generator)).toEqual([...GENERATORS]);
    for (const { divergence } of kills) {
      expect(divergence.event).toMatchObject({ type: 'step' });
      expect(divergence.actual[0]).toMatchObject({ type: 'poll_done' });
    }
  });

  it('no-deferred-worker, poll-done-drops-prefetched: the poll loop that must kick the worker does not queue it', () => {
    for (const variant of ['no-deferred-worker', 'poll-done-drops-prefetched']) {
      const kills = killers(atDefault(), variant);
      expect(
        kills.map((k) => k.generator),
        variant,
      ).toEqual([...GENERATORS]);
      for (const { divergence } of kills) {
        expect(divergence.event).toMatchObject({ type: 'step' });
        expect(divergence.expected).toContainEqual({ type: 'queue_work', wq: 'alive' });
        expect(divergence.actual.filter((o) => o.type === 'queue_work')).toEqual([]);
      }
    }
  });

  it('worker-skips-complete-cb: the model has a worker step left where the driver has finished (the enabled steps)', () => {
    const kills = killers(atDefault(), 'worker-skips-complete-cb');
    expect(kills.map((k) => k.generator)).toEqual([...GENERATORS]);
    for (const { divergence } of kills) {
      // After the pending-list step the model goes on to complete_cb's loop, the driver
      // returns; it shows there, or when the interrupt handler drops the ready_lock the
      // model's worker then waits for.
      expect(divergence.kind).toBe('enabled');
      expect(['work_step', 'irq_step']).toContain(divergence.event?.type);
      expect(divergence.onlyModel).toEqual([{ type: 'work_step' }]);
      expect(divergence.onlyDriver).toEqual([]);
    }
  });

  it('wait-timer-at-expiry: a caller that could go on a tick before the model lets it shows only in the enabled steps', () => {
    const kills = killers(atDefault(), 'wait-timer-at-expiry');
    expect(kills.length).toBeGreaterThan(0);
    for (const { divergence } of kills) {
      // The tick that reaches the expiry: the driver's wait is over, the model's timer is not.
      expect(divergence).toMatchObject({ kind: 'enabled', event: { type: 'tick' } });
      expect(divergence.onlyModel).toEqual([]);
      expect(divergence.onlyDriver).toHaveLength(1);
      expect(divergence.onlyDriver![0]).toMatchObject({ type: 'step' });
      expect(divergence.path.at(-1)?.state).toMatch(/cpu\d\.WAIT/);
    }
  });

  it('poll-done-no-enable-cb: callbacks left disabled show in the observed projection at once', () => {
    const kills = killers(atDefault(), 'poll-done-no-enable-cb');
    expect(kills.map((k) => k.generator)).toEqual([...GENERATORS]);
    for (const { divergence } of kills) {
      expect(divergence).toMatchObject({
        kind: 'observed',
        field: 'cbEnabled',
        modelValue: true,
        driverValue: false,
      });
      expect(divergence.actual[0]).toMatchObject({ type: 'poll_done' });
    }
  });

  it('destroy-wq-after-free-channel: scmi_free_channel() comes two steps early', () => {
    for (const { divergence } of killers(atDefault(), 'destroy-wq-after-free-channel')) {
      expect(divergence.event).toEqual({ type: 'free_step' });
      expect(divergence.expected).toEqual([]);
      expect(divergence.actual).toEqual([{ type: 'chan_freed' }]);
    }
  });

  it('v7-missing-list-del: the handed message stays on pending_cmds_list (the observed projection, at the default bounds)', () => {
    const kills = killers(atDefault(), 'v7-missing-list-del');
    expect(kills.length).toBeGreaterThan(0);
    for (const { divergence } of kills) {
      expect(divergence).toMatchObject({ kind: 'observed', field: 'pendingList', modelValue: [] });
      expect(divergence.event).toEqual({ type: 'work_step' });
      expect(divergence.driverValue).toHaveLength(1);
    }
  });

  it('txdone-frees-timed-out: mark_txdone frees a message the device still holds (late device)', () => {
    const divergence = killedBy(atDeep(), 'txdone-frees-timed-out', 'tour');
    expect(divergence).toMatchObject({ kind: 'observed', field: 'freeList' });
    expect(divergence.expected).toEqual([{ type: 'completed', xfer: 0, ret: -110 }]);
    expect((divergence.driverValue as number[]).length).toBe(
      (divergence.modelValue as number[]).length + 1,
    );
    // The transfer timed out before its message came back.
    expect(divergence.path.map((s) => s.event.type)).toContain('tick');
    // Without a late device a polled transfer never times out while the device holds its buffer.
    expect(killers(atDefault(), 'txdone-frees-timed-out')).toEqual([]);
  });

  it('rx-feed-before-callback: the RX buffer is back with the device while the core reads it (the observed projection)', () => {
    for (const { divergence } of killers(atAsync(), 'rx-feed-before-callback')) {
      expect(divergence).toMatchObject({
        kind: 'observed',
        field: 'rxDevice',
        modelValue: [],
        driverValue: [0],
      });
    }
  });

  it('core-async-done-unlocked: complete(xfer->async_done) after the caller gave up', () => {
    const divergence = killedBy(atAsync(), 'core-async-done-unlocked', 'tour');
    expect(divergence.event).toEqual({ type: 'rx_step' });
    expect(divergence.actual).toContainEqual({ type: 'async_complete', xfer: 0, live: false });
    expect(divergence.expected).toEqual([{ type: 'fetched', xfer: 0, reply: 0, via: 'dresp' }]);
  });
});

async function conform(values: OptionValues) {
  let stdout = '';
  const io: CliIo = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stdout += t),
    stderrIsTty: false,
  };
  const code = await makeTestgenCommands([scmiVirtioDriver]).conform({
    models: [scmiVirtioModel],
    io,
    values,
    positionals: ['scmi-virtio'],
  });
  return { code, stdout };
}

describe('conform scmi-virtio (the command)', () => {
  /* The matrix of `--variant all` (every bounds, every suite) is what the tests above check one
   * row at a time, from suites they generate once; here only what the command adds. */
  it('--variant <variant with killBounds> exits 1 at its killBounds and says so, without --bound', async () => {
    const variant = scmiVirtioDriver.variants.find((v) => v.name === 'core-async-done-unlocked')!;
    const { code, stdout } = await conform({ variant: [variant.name] });
    expect(code).toBe(1);
    const lines = stdout.split('\n').filter((line) => line.startsWith('scmi-virtio '));
    expect(lines).toHaveLength(GENERATORS.length);
    for (const line of lines) {
      expect(line).toContain(
        `--variant ${variant.name} (at its killBounds cpus=1 transfers=1 async=1 late=1)`,
      );
    }
    expect(stdout).toMatch(/DIVERGES at vector tour-\d+, step [1-9]/);
  });
});
