/**
 * The SCMI virtio driver (drivers/scmi-virtio.ts) against the generated suites of its model:
 * the correct driver conforms to the tour, the state cover and the random walks; each bug
 * variant is killed by a generated suite, and where the kill happens says what the bug does.
 */
import { describe, expect, it } from 'vitest';
import { DEEP_VARIANT_BOUNDS, scmiVirtioDriver } from '../drivers/scmi-virtio.ts';
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
import { generateSuite } from '../src/testgen/generate.ts';
import { GENERATORS, type GeneratorName, type TestSuite } from '../src/testgen/vectors.ts';

type Suites = Record<GeneratorName, TestSuite>;
const generate = (bounds?: Record<string, number>): Suites =>
  Object.fromEntries(
    GENERATORS.map((generator) => [
      generator,
      generateSuite(scmiVirtioModel, { generator, ...(bounds ? { bounds } : {}) }).suite,
    ]),
  ) as Suites;

/* Generated once for the file: the state cover at the default bounds alone takes seconds. */
let defaultSuites: Suites | undefined;
let deepSuites: Suites | undefined;
const atDefault = () => (defaultSuites ??= generate());
const atDeep = () => (deepSuites ??= generate({ ...DEEP_VARIANT_BOUNDS }));

/** The variants that need other bounds: they declare them as their killBounds. */
const deepVariants = scmiVirtioDriver.variants.filter((variant) => variant.killBounds);
/** The suites a variant is checked against: at its killBounds, or at the model's defaults. */
const suitesFor = (variant: string) =>
  deepVariants.some((v) => v.name === variant) ? atDeep() : atDefault();

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

  it('to every generated suite at the deep-variant bounds (one CPU, three transfers, a late device, teardown in flight)', () => {
    const suites = atDeep();
    expect(suites.tour.summary.coveredTransitions).toBe(suites.tour.summary.reachableTransitions);
    for (const generator of GENERATORS) {
      expect(noDivergence(run(suites[generator])), generator).toBeNull();
    }
  });
});

describe('scmi-virtio driver: every variant is killed', () => {
  it('the variants the default bounds cannot show declare DEEP_VARIANT_BOUNDS as their killBounds', () => {
    expect(deepVariants.map((v) => v.name)).toEqual([
      'txdone-frees-timed-out',
      'v7-missing-list-del',
    ]);
    for (const variant of deepVariants) expect(variant.killBounds).toEqual(DEEP_VARIANT_BOUNDS);
  });

  it('each variant by a suite generated at its killBounds (default: the model defaults), after step 0', () => {
    for (const variant of scmiVirtioDriver.variants) {
      const kills = killers(suitesFor(variant.name), variant.name);
      expect(kills.length, variant.name).toBeGreaterThan(0);
      for (const { divergence } of kills) expect(divergence.step).toBeGreaterThan(0);
    }
  });

  it('as-written: the IRQ path hands a polled transfer its reply (the root of findings 1-3), first seen by the tour, the state cover and the random walks', () => {
    const kills = killers(atDefault(), 'as-written');
    expect(kills.map((k) => k.generator)).toEqual([...GENERATORS]);
    for (const { divergence } of kills.filter(
      (k) => k.generator !== 'edges' && k.generator !== 'pairs',
    )) {
      expect(divergence.event).toEqual({ type: 'irq_step' });
      // The fix leaves the message to its poller; v8 hands it over through scmi_rx_callback().
      expect(divergence.expected).toEqual([]);
      expect(divergence.actual).toEqual([
        { type: 'fetched', xfer: 0, reply: 0, via: 'rx_callback' },
      ]);
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

  it('teardown-as-written, no-deferred-worker, poll-done-drops-prefetched: the poll loop that must kick the worker does not queue it inside its vioch->lock section', () => {
    for (const variant of [
      'teardown-as-written',
      'no-deferred-worker',
      'poll-done-drops-prefetched',
    ]) {
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

  it('worker-skips-complete-cb: the model runs a worker step the driver has finished', () => {
    for (const { divergence } of killers(atDefault(), 'worker-skips-complete-cb')) {
      expect(divergence.event).toEqual({ type: 'work_step' });
      expect(divergence.error).toMatch(/no work queued/);
    }
  });

  it('poll-done-no-enable-cb: the state cover and the edge suites reach the interrupt that the driver never raises; the tour and the random walks do not', () => {
    const kills = killers(atDefault(), 'poll-done-no-enable-cb');
    expect(kills.map((k) => k.generator)).toEqual(['states', 'edges', 'pairs']);
    for (const { divergence } of kills) {
      expect(divergence.event).toMatchObject({ type: 'irq' });
      expect(divergence.error).toMatch(/no interrupt pending/);
    }
  });

  it('destroy-wq-after-free-channel: scmi_free_channel() comes two steps early', () => {
    for (const { divergence } of killers(atDefault(), 'destroy-wq-after-free-channel')) {
      expect(divergence.event).toEqual({ type: 'free_step' });
      expect(divergence.expected).toEqual([]);
      expect(divergence.actual).toEqual([{ type: 'chan_freed' }]);
    }
  });

  it('v7-missing-list-del: the worker walks the stale pending entry again and frees it twice', () => {
    const divergence = killedBy(atDeep(), 'v7-missing-list-del', 'states');
    expect(divergence.event).toEqual({ type: 'work_step' });
    // The message handed and freed on the first walk is still on pending_cmds_list: the second
    // walk hands it again and list_add()s it next to itself on the free list.
    expect(divergence.error).toMatch(/list_add double add/);
    const workerRuns = divergence.path.filter((s) => s.state.includes('worker.PENDING_LIST'));
    expect(workerRuns.length).toBeGreaterThanOrEqual(2);
  });

  it('txdone-frees-timed-out: the device returns a buffer a later transfer reused', () => {
    const divergence = killedBy(atDeep(), 'txdone-frees-timed-out', 'tour');
    expect(divergence.event).toMatchObject({ type: 'device_reply' });
    const [expected] = divergence.expected;
    const [actual] = divergence.actual;
    expect(actual).toMatchObject({ type: 'returned', msg: expected.msg });
    expect(Number(actual.reply)).toBeGreaterThan(Number(expected.reply)); // a later request
    // The transfer timed out before its message came back.
    expect(divergence.path.map((s) => s.event.type)).toContain('tick');
  });

  it('at the default bounds, txdone-frees-timed-out and v7-missing-list-del cannot show', () => {
    // Without a late device a polled transfer never times out while the device holds its
    // buffer, and with two transfers the worker walks pending_cmds_list once.
    expect(killers(atDefault(), 'txdone-frees-timed-out')).toEqual([]);
    expect(killers(atDefault(), 'v7-missing-list-del')).toEqual([]);
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

interface MatrixRow {
  variant: string;
  killBounds?: Record<string, number>;
  bounds: Record<string, number>;
  suites: Record<GeneratorName, { vector: string; step: number } | null>;
}

describe('conform scmi-virtio (the command)', () => {
  it('--variant all: the correct driver conforms at both bounds and every variant is killed after step 0', async () => {
    // One call generates the suites once per bounds (default and deep) for every row.
    const { code, stdout } = await conform({ variant: ['all'], json: true });
    expect(code, stdout).toBe(0);
    const { conforms, matrix } = JSON.parse(stdout) as { conforms: boolean; matrix: MatrixRow[] };
    expect(conforms).toBe(true);
    const correct = matrix.filter((row) => row.variant === '(correct driver)');
    // The deep variants' kills count only where the correct driver conforms too.
    expect(correct.map((row) => row.killBounds)).toEqual([undefined, DEEP_VARIANT_BOUNDS]);
    for (const row of correct) {
      expect(Object.values(row.suites)).toEqual(GENERATORS.map(() => null));
    }
    const bugs = matrix.filter((row) => row.variant !== '(correct driver)');
    expect(bugs.map((row) => row.variant)).toEqual(scmiVirtioDriver.variants.map((v) => v.name));
    for (const row of bugs) {
      const kills = Object.values(row.suites).filter((kill) => kill !== null);
      expect(kills.length, row.variant).toBeGreaterThan(0);
      for (const kill of kills) expect(kill!.step, row.variant).toBeGreaterThan(0);
      // Each row ran at the bounds its variant declares.
      expect(row.bounds, row.variant).toMatchObject(
        deepVariants.some((v) => v.name === row.variant)
          ? DEEP_VARIANT_BOUNDS
          : { maxMsg: 2, cpus: 2, transfers: 2 },
      );
    }
  });

  it('--variant <deep variant> exits 1 at its killBounds and says so, without --bound', async () => {
    for (const variant of deepVariants) {
      const { code, stdout } = await conform({ variant: [variant.name] });
      expect(code, variant.name).toBe(1);
      // Every report line names the bounds; at the defaults no suite would kill it.
      const lines = stdout.split('\n').filter((line) => line.startsWith('scmi-virtio '));
      expect(lines).toHaveLength(GENERATORS.length);
      for (const line of lines) {
        expect(line).toContain(
          `--variant ${variant.name} (at its killBounds cpus=1 transfers=3 late=1 teardown=2)`,
        );
      }
      expect(stdout).toMatch(/DIVERGES at vector \w+-\d+, step [1-9]/);
    }
  });
});
