/**
 * The Intel MIC COSM driver (drivers/mic-cosm.ts) against the suites generated from its model,
 * two ways (docs/test-vectors.md): outputs, refusal steps, the enabled set and the observed
 * fields. The correct driver conforms; every driver bug variant is killed by the suite and kind
 * of divergence docs/mic-cosm.md lists ("Conformance both ways"); the two that only a two-way
 * check can see at the default bounds are shown to pass the same suites outputs-only.
 *
 * Each bound's state graph is built once and every suite needed there taken from it
 * (generateSuites), and only the suites a check needs are generated: the edge cover at
 * `remove=1` (a million steps) is not.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { micCosmDriver } from '../drivers/mic-cosm.ts';
import { micCosmModel } from '../machines/registry.ts';
import type { MicEvent } from '../machines/mic-cosm.ts';
import type { CliIo } from '../src/cli/command.ts';
import { makeTestgenCommands } from '../src/cli/commands-testgen.ts';
import {
  formatDivergence,
  runSuite,
  runVector,
  type ConformResult,
  type Divergence,
  type DivergenceKind,
} from '../src/testgen/conform.ts';
import { resolveConfig } from '../src/model/config.ts';
import { ModelSystem } from '../src/model/system.ts';
import { generateSuites } from '../src/testgen/generate.ts';
import {
  GENERATORS,
  outputsOnly,
  serializeSuite,
  type GeneratorName,
  type TestSuite,
  type TestVector,
  type VectorEvent,
} from '../src/testgen/vectors.ts';

/** The removal of the cosm_device and the server's stop (0 at the default bounds). */
const REMOVAL = { remove: 1 };
/** Four boots and no reloads: the random walks run through several boot/reset cycles. */
const BOOTS = { reloads: 0, boots: 4 };
/** The environment's rarer behaviours: a full ring, a scif_poll error, a stranger's connect. */
const HOSTILE = { hostRing: 1, pollErrors: 1, strangers: 1, statuses: 4, reloads: 0 };
/** What a removal needs beyond the tour (its edge cover is a million steps). */
const SMALL_SUITES: GeneratorName[] = ['tour', 'random', 'pairs'];

const cache = new Map<string, Partial<Record<GeneratorName, TestSuite>>>();
/** The suites of `generators` at `bounds`, from one state graph (built once per bounds). */
function suitesAt(
  bounds: Readonly<Record<string, number>> = {},
  generators: readonly GeneratorName[] = GENERATORS,
): Partial<Record<GeneratorName, TestSuite>> {
  const key = JSON.stringify(bounds);
  const have = cache.get(key) ?? {};
  const missing = generators.filter((g) => !have[g]);
  if (missing.length > 0) {
    const made = generateSuites(micCosmModel, missing, { bounds: { ...bounds } });
    missing.forEach((g, i) => (have[g] = made[i].suite));
    cache.set(key, have);
  }
  return have;
}
const suite = (generator: GeneratorName, bounds: Readonly<Record<string, number>> = {}) =>
  suitesAt(bounds, [generator])[generator]!;

const run = (s: TestSuite, variants: string[] = []): ConformResult =>
  runSuite(micCosmDriver, s, variants);

const describeResult = (result: ConformResult) =>
  result.divergence ? formatDivergence(result.divergence) : 'conforms';

describe('mic-cosm driver: the correct driver conforms, two ways', () => {
  it(
    'to all five suites at the default bounds: outputs, refusals, enabled sets and observed fields',
    { timeout: 600_000 },
    () => {
      const suites = suitesAt();
      expect(suites.tour!.bounds).toEqual({
        cards: 1,
        boots: 1,
        reloads: 1,
        inflight: 1,
        statuses: 1,
        heartbeatEnable: 1,
        hostRing: 2,
        pollErrors: 0,
        strangers: 0,
        remove: 0,
      });
      expect(suites.tour!.summary.coveredTransitions).toBe(
        suites.tour!.summary.reachableTransitions,
      );
      expect(suites.states!.summary.reachableStates).toBeGreaterThan(10_000);
      let refusals = 0;
      for (const generator of GENERATORS) {
        const generated = suites[generator]!;
        // Every suite boots the card, tells mpssd of its states, closes an endpoint, resets it.
        const types = generated.vectors.flatMap((v) => v.steps.flatMap((s) => s.outputs));
        expect(
          types.map((o) => o.type),
          generator,
        ).toEqual(
          expect.arrayContaining([
            'hw_start',
            'cosm_set_state',
            'scif_close',
            'hw_stop',
            'publish',
          ]),
        );
        const result = run(generated);
        expect(result.conforms, `${generator}: ${describeResult(result)}`).toBe(true);
        expect(result.checked, generator).toMatchObject({ enabled: true, observed: true });
        refusals += result.checked.refusals;
      }
      // The tour, edges and pairs offer what the model refuses (states and random do not).
      expect(refusals).toBeGreaterThan(1000);
    },
  );

  it('to the tour, the random walks and the pairs with a removal', { timeout: 600_000 }, () => {
    const suites = suitesAt(REMOVAL, SMALL_SUITES);
    for (const generator of SMALL_SUITES) {
      const result = run(suites[generator]!);
      expect(result.conforms, `${generator}: ${describeResult(result)}`).toBe(true);
    }
    const steps = suites.tour!.vectors.flatMap((v) => v.steps);
    expect(steps.some((s) => s.outputs.some((o) => o.type === 'device_release'))).toBe(true);
    expect(steps.some((s) => s.event.type === 'exit.close' && !s.refused)).toBe(true);
  });

  it(
    'to the tour and the random walks with four boots, and with a full ring, poll errors, strangers and every status',
    { timeout: 600_000 },
    () => {
      for (const bounds of [BOOTS, HOSTILE]) {
        const suites = suitesAt(bounds, ['tour', 'random']);
        for (const generator of ['tour', 'random'] as const) {
          const result = run(suites[generator]!);
          expect(result.conforms, `${generator} ${JSON.stringify(bounds)}`).toBe(true);
        }
      }
      const hostile = suitesAt(HOSTILE, ['tour']).tour!.vectors.flatMap((v) => v.steps);
      for (const type of ['shutdown.sent', 'work.pollError', 'server.acceptStranger'])
        expect(
          hostile.some((s) => s.event.type === type && !s.refused),
          type,
        ).toBe(true);
    },
  );
});

/**
 * Where each driver variant is first killed (the suites in the order tour, states, random,
 * edges, pairs, at its killBounds or the defaults): the suite, the kind of the first divergence
 * (with the field for `observed`) and the event. docs/mic-cosm.md lists the same.
 */
const KILLS: Record<
  string,
  { by: GeneratorName; kind: DivergenceKind; field?: string; event: string }
> = {
  'as-written': { by: 'tour', kind: 'observed', field: 'card0.newepd', event: 'work.online' },
  'refused-online-leaks-newepd': { by: 'tour', kind: 'outputs', event: 'work.online' },
  'late-status-sets-shutting-down': { by: 'states', kind: 'outputs', event: 'work.process' },
  'newepd-handoff-unlocked': {
    by: 'tour',
    kind: 'observed',
    field: 'card0.newepd',
    event: 'work.online',
  },
  'unknown-node-leaks-newepd': { by: 'tour', kind: 'outputs', event: 'server.accept' },
  'server-stopped-after-flush': { by: 'tour', kind: 'enabled', event: 'stop.flushed' },
  'publish-on-receipt': { by: 'tour', kind: 'outputs', event: 'work.process' },
  'online-from-any-state': { by: 'tour', kind: 'outputs', event: 'work.online' },
  'accept-any-status': { by: 'states', kind: 'outputs', event: 'work.process' },
  'timeout-below-heartbeat-period': {
    by: 'tour',
    kind: 'observed',
    field: 'card0.pollTimer',
    event: 'work.sleep',
  },
  'watchdog-not-armed': {
    by: 'tour',
    kind: 'observed',
    field: 'card0.watchdog',
    event: 'work.online',
  },
  'poll-without-timeout': {
    by: 'tour',
    kind: 'observed',
    field: 'card0.pollTimer',
    event: 'work.sleep',
  },
  'no-hw-stop-when-shutting-down': { by: 'tour', kind: 'outputs', event: 'stop.run' },
  'watchdog-on-after-status': {
    by: 'tour',
    kind: 'observed',
    field: 'card0.watchdog',
    event: 'work.process',
  },
  'refused-online-keeps-reference': {
    by: 'tour',
    kind: 'observed',
    field: 'card0.refs',
    event: 'work.online',
  },
};

const killBounds = (name: string) =>
  micCosmDriver.variants.find((v) => v.name === name)?.killBounds ?? {};

/** The divergence of `name` in the suite KILLS names for it, two ways or outputs only. */
function kill(name: string, oneWay = false): Divergence | undefined {
  const generated = suite(KILLS[name].by, killBounds(name));
  return run(oneWay ? outputsOnly(generated) : generated, [name]).divergence;
}

describe('mic-cosm driver: every bug variant is killed', () => {
  it('has a driver twin for every model variant, and KILLS names every driver variant', () => {
    const twins = new Set(micCosmDriver.variants.map((v) => v.name));
    expect(micCosmModel.variants.map((v) => v.name).filter((name) => !twins.has(name))).toEqual([]);
    expect(Object.keys(KILLS).sort()).toEqual([...twins].sort());
  });

  it('only the removal findings need larger bounds (a removal)', () => {
    expect(
      micCosmDriver.variants.filter((v) => v.killBounds).map((v) => [v.name, v.killBounds]),
    ).toEqual([
      ['unknown-node-leaks-newepd', REMOVAL],
      ['server-stopped-after-flush', REMOVAL],
    ]);
  });

  for (const variant of micCosmDriver.variants) {
    const { by, kind, field, event } = KILLS[variant.name] ?? {};
    it(`${variant.name} is killed by ${by} (${kind}${field ? `: ${field}` : ''}) at ${event}`, () => {
      // No earlier suite (in the kill matrix's order) kills it: `by` is where it first dies.
      for (const earlier of GENERATORS.slice(0, GENERATORS.indexOf(by))) {
        const result = run(suite(earlier, killBounds(variant.name)), [variant.name]);
        expect(result.conforms, `${earlier}: ${describeResult(result)}`).toBe(true);
      }
      const divergence = kill(variant.name);
      expect(divergence, 'no divergence').toBeDefined();
      expect(divergence!.step).toBeGreaterThan(0);
      expect(divergence!.path).toHaveLength(divergence!.step);
      expect(
        { kind: divergence!.kind, field: divergence!.field, event: divergence!.event?.type },
        formatDivergence(divergence!),
      ).toEqual({ kind, field, event });
    });
  }
});

describe('mic-cosm driver: the kills show the bug', () => {
  const close = (ep: number) => ({ type: 'scif_close', card: 0, ep });
  const state = (s: string) => ({ type: 'cosm_set_state', card: 0, state: s });

  it('findings 1, 3: a refused endpoint left open; a newepd never cleared (so a second run takes it again)', () => {
    const leak = kill('refused-online-leaks-newepd')!;
    expect([leak.expected, leak.actual]).toEqual([[close(0)], []]);
    const handoff = kill('newepd-handoff-unlocked')!;
    expect([handoff.modelValue, handoff.driverValue]).toEqual([null, 0]);
    // Outputs only, finding 3 shows later: the reload's endpoint overwrites the first, unclosed.
    const oneWay = kill('newepd-handoff-unlocked', true)!;
    expect(oneWay.event?.type).toBe('server.schedule');
    expect([oneWay.expected, oneWay.actual]).toEqual([[close(0)], []]);
    expect(oneWay.path.filter((s) => s.event.type === 'card.load')).not.toEqual([]);
  });

  it('finding 2: a status processed after cosm_stop re-opens the boot', () => {
    const d = kill('late-status-sets-shutting-down')!;
    const published = [{ type: 'publish', card: 0, status: 'HALTED' }, close(0)];
    expect(d.expected).toEqual(published);
    expect(d.actual).toEqual([state('SHUTTING_DOWN'), ...published]);
    const types = d.path.map((s) => s.event.type);
    expect(types.lastIndexOf('reset')).toBeLessThan(types.lastIndexOf('work.process'));
  });

  it('finding 4: an accept after klist_del closes nothing', () => {
    const d = kill('unknown-node-leaks-newepd')!;
    expect([d.expected, d.actual]).toEqual([[close(0)], []]);
    expect(d.path.map((s) => s.event.type)).toContain('remove.begin');
  });

  it('finding 5: the removal of the last device stops the server first; as written it goes to cosm_stop', () => {
    const d = kill('server-stopped-after-flush')!;
    expect(d.onlyModel).toEqual([{ type: 'exit.kill', card: 0 }]);
    expect(d.onlyDriver).toEqual([{ type: 'remove.stop', card: 0, ok: true }]);
    // Outputs only, the model's exit.kill is what the driver cannot do.
    const oneWay = kill('server-stopped-after-flush', true)!;
    expect(oneWay.event?.type).toBe('exit.kill');
    expect(oneWay.error).toMatch(/not possible now/);
  });

  it('the watchdog: 30 s or no poll timer, never armed, or left on after a status', () => {
    expect([
      kill('timeout-below-heartbeat-period')!.modelValue,
      kill('timeout-below-heartbeat-period')!.driverValue,
    ]).toEqual([8, 6]);
    expect(kill('poll-without-timeout')!.driverValue).toBeNull();
    expect([
      kill('watchdog-not-armed')!.modelValue,
      kill('watchdog-not-armed')!.driverValue,
    ]).toEqual([true, false]);
    const after = kill('watchdog-on-after-status')!;
    expect([after.modelValue, after.driverValue]).toEqual([false, true]);
    expect(after.path.map((s) => s.event.type)).toContain('card.notify');
  });

  it('the other variants: publish on receipt, online from any state, any status, no hw_stop', () => {
    const publish = kill('publish-on-receipt')!;
    expect(publish.expected).toEqual([state('SHUTTING_DOWN')]);
    expect(publish.actual).toEqual([
      state('SHUTTING_DOWN'),
      { type: 'publish', card: 0, status: 'HALTED' },
    ]);
    const online = kill('online-from-any-state')!;
    expect([online.expected, online.actual]).toEqual([[close(0)], [state('ONLINE')]]);
    const any = kill('accept-any-status')!;
    expect(any.expected).toEqual([close(0)]);
    expect(any.actual).toEqual([
      state('SHUTTING_DOWN'),
      { type: 'publish', card: 0, status: 'INVALID' },
      close(0),
    ]);
    const stop = kill('no-hw-stop-when-shutting-down')!;
    const after = [state('READY'), { type: 'publish', card: 0, status: 'NOP' }];
    expect(stop.expected).toEqual([{ type: 'hw_stop', card: 0 }, ...after]);
    expect(stop.actual).toEqual(after);
  });
});

describe('mic-cosm driver: what only the two-way checks see', () => {
  it('refused-online-keeps-reference: no suite at the default bounds kills it outputs-only; refs shows it at once', () => {
    for (const generator of GENERATORS) {
      const result = run(outputsOnly(suite(generator)), ['refused-online-keeps-reference']);
      expect(result.conforms, `${generator}: ${describeResult(result)}`).toBe(true);
    }
    const d = kill('refused-online-keeps-reference')!;
    expect([d.modelValue, d.driverValue]).toEqual([0, 1]);
    // With a removal the leak reaches an output: the random walks at remove=1 remove a device
    // after a refusal, and it is never released.
    const removal = run(outputsOnly(suite('random', REMOVAL)), ['refused-online-keeps-reference']);
    expect(removal.divergence?.event?.type).toBe('remove.done');
    expect(removal.divergence?.expected).toEqual([{ type: 'device_release', card: 0 }]);
    expect(removal.divergence?.actual).toEqual([]);
  });

  it('watchdog-on-after-status: outputs-only, only the edge cover reaches it, deep in; two ways, the tour at the status', () => {
    for (const generator of ['tour', 'states', 'random', 'pairs'] as const) {
      const result = run(outputsOnly(suite(generator)), ['watchdog-on-after-status']);
      expect(result.conforms, `${generator}: ${describeResult(result)}`).toBe(true);
    }
    const edges = run(outputsOnly(suite('edges')), ['watchdog-on-after-status']).divergence!;
    expect(edges.actual).toContainEqual({ type: 'publish', card: 0, status: 'CRASHED' });
  });
});

describe('mic-cosm driver: each variant conforms to the model with the same variant', () => {
  // The converse check: the driver's bugs are the model's bugs and not other ones, two ways.
  // The tour and the random walks of each variant's model, from one graph each.
  for (const variant of micCosmModel.variants) {
    it(variant.name, () => {
      const [tour, random] = generateSuites(micCosmModel, ['tour', 'random'], {
        variants: [variant.name],
      });
      for (const generated of [tour, random]) {
        const result = run(generated.suite, [variant.name]);
        expect(result.conforms, describeResult(result)).toBe(true);
      }
    });
  }
});

/** A vector of the correct model: its outputs for `events`, which must all be enabled. */
function directedVector(id: string, events: MicEvent[]): TestVector {
  const system = new ModelSystem(micCosmModel, resolveConfig(micCosmModel, {}));
  let node = system.initial().node;
  const steps: TestVector['steps'] = events.map((event, i) => {
    const step = system.stepWith(node, system.view(node), event, i);
    if (!step) throw new Error(`${id}: step ${i + 1} ${event.type} is not enabled`);
    node = step.node;
    return {
      event: event as VectorEvent,
      outputs: step.result.outputs,
      state: '',
      transitions: [],
    };
  });
  return { id, steps };
}

describe('mic-cosm driver: watchdog-on-after-status reaches an output', () => {
  it('a card dies after its status; the variant declares it CRASHED when the poll times out', () => {
    const card = 0;
    const vector = directedVector('watchdog-after-status', [
      { type: 'start', card },
      { type: 'tick' },
      { type: 'server.accept', card },
      { type: 'server.schedule' },
      { type: 'work.dequeue', card },
      { type: 'work.online', card },
      { type: 'work.sleep', card },
      { type: 'card.recv', card },
      { type: 'work.poll', card },
      { type: 'work.process', card },
      { type: 'card.reboot', card },
      { type: 'card.notify', card, status: 'HALTED' },
      { type: 'work.poll', card },
      { type: 'work.process', card },
      { type: 'card.crash', card },
      ...Array.from({ length: 9 }, () => ({ type: 'tick' }) as MicEvent),
      { type: 'work.timeout', card },
      { type: 'work.process', card },
    ]);
    const setup = { bounds: resolveConfig(micCosmModel, {}).bounds, initialOutputs: [] };
    const adapter = (variants: string[]) => micCosmDriver.create(new Set(variants));
    expect(runVector(adapter([]), setup, vector)).toBeNull();
    const divergence = runVector(adapter(['watchdog-on-after-status']), setup, vector)!;
    expect(divergence.step).toBe(vector.steps.length);
    expect(divergence.expected).toEqual([]);
    expect(divergence.actual).toEqual([{ type: 'publish', card, status: 'CRASHED' }]);
  });
});

describe('mic-cosm driver: two cards share the server thread', () => {
  // Two cards are more than 300,000 states: too many for a generated suite, so these are
  // random walks on the model itself (seeded), replayed as vectors.
  it('conforms to 100 random walks of the two-card model', () => {
    const config = resolveConfig(micCosmModel, { bounds: { cards: 2, reloads: 0, remove: 1 } });
    const system = new ModelSystem(micCosmModel, config);
    const picks = fc.sample(fc.array(fc.nat(), { minLength: 60, maxLength: 60 }), {
      seed: 7,
      numRuns: 100,
    });
    const adapter = micCosmDriver.create(new Set());
    let bothCards = 0;
    for (const [w, walk] of picks.entries()) {
      let node = system.initial().node;
      const steps: TestVector['steps'] = [];
      for (const pick of walk) {
        const next = system.successors(node);
        if (next.length === 0) break;
        const { event, result } = next[pick % next.length];
        steps.push({
          event: event as VectorEvent,
          outputs: result.outputs,
          state: '',
          transitions: [],
        });
        node = next[pick % next.length].node;
      }
      if (new Set(steps.map((s) => s.event.card)).size === 3) bothCards++; // 0, 1, and none
      const divergence = runVector(
        adapter,
        { bounds: config.bounds, initialOutputs: [] },
        { id: `walk-${w + 1}`, steps },
      );
      expect(divergence && formatDivergence(divergence)).toBeNull();
    }
    expect(bothCards).toBeGreaterThan(50);
  });
});

describe('mic-cosm driver: the source', () => {
  it('does not import the model (machines/ or properties/)', () => {
    const source = readFileSync(new URL('../drivers/mic-cosm.ts', import.meta.url), 'utf8');
    const imports = [...source.matchAll(/^import[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]);
    expect(imports.length).toBeGreaterThan(0);
    for (const path of imports) expect(path).not.toMatch(/(^|\/)(machines|properties)\//);
    expect(source).not.toMatch(/import\(\s*['"][^'"]*(machines|properties)\//);
  });
});

describe('conform mic-cosm (the command)', () => {
  it('exits 0 for the correct driver on a tour file, 1 with the divergence for a variant', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mic-cosm-driver-')), 'tour.json');
    writeFileSync(file, serializeSuite(suite('tour')));
    const conform = async (values: Record<string, string[]>) => {
      let stdout = '';
      const io: CliIo = {
        stdout: (t) => void (stdout += t),
        stderr: (t) => void (stdout += t),
        stderrIsTty: false,
      };
      const code = await makeTestgenCommands([micCosmDriver]).conform({
        models: [micCosmModel],
        io,
        values: { suite: file, ...values },
        positionals: ['mic-cosm'],
      });
      return { code, stdout };
    };
    const correct = await conform({});
    expect(correct.code, correct.stdout).toBe(0);
    expect(correct.stdout).toMatch(/mic-cosm tour: conforms/);
    const leak = await conform({ variant: ['refused-online-keeps-reference'] });
    expect(leak.code).toBe(1);
    expect(leak.stdout).toMatch(/field card0\.refs: model 0, driver 1/);
  });
});
