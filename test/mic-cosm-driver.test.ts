/**
 * The Intel MIC COSM driver (drivers/mic-cosm.ts) against the suites generated from its model:
 * the correct driver conforms to the tour, the state cover and the random walks; each bug
 * variant is killed by a generated suite, and where the kill happens says what the bug does.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MIC_COSM_DIRECTED_VARIANTS, micCosmDriver } from '../drivers/mic-cosm.ts';
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
} from '../src/testgen/conform.ts';
import { resolveConfig } from '../src/model/config.ts';
import { ModelSystem } from '../src/model/system.ts';
import { generateSuite } from '../src/testgen/generate.ts';
import {
  GENERATORS,
  type GeneratorName,
  type TestSuite,
  type TestVector,
  type VectorEvent,
} from '../src/testgen/vectors.ts';

type Suites = Record<GeneratorName, TestSuite>;
const generate = (options: { bounds?: Record<string, number>; variants?: string[] } = {}) =>
  Object.fromEntries(
    GENERATORS.map((generator) => [
      generator,
      generateSuite(micCosmModel, { generator, ...options }).suite,
    ]),
  ) as Suites;

/** Four boots and no reloads: the random walks run through several boot/reset cycles. */
const DEEP_BOUNDS = { reloads: 0, boots: 4 };
/** The removal of the cosm_device and the server's stop (0 at the default bounds). */
const REMOVAL = { remove: 1 };
/** The environment's rarer behaviours: a full ring, a scif_poll error, a stranger's connect. */
const HOSTILE = { hostRing: 1, pollErrors: 1, strangers: 1, statuses: 4, reloads: 0 };

// Generated once each, on first use, per bounds.
const cache = new Map<string, Suites>();
const suitesAt = (bounds?: Readonly<Record<string, number>>): Suites => {
  const key = JSON.stringify(bounds ?? {});
  if (!cache.has(key)) cache.set(key, generate(bounds ? { bounds: { ...bounds } } : {}));
  return cache.get(key)!;
};

const run = (suite: TestSuite, variants: string[] = []): ConformResult =>
  runSuite(micCosmDriver, suite, variants);

const noDivergence = (result: ConformResult) =>
  result.divergence ? formatDivergence(result.divergence) : null;

/** The first suite (tour, states, random, at its killBounds or the defaults) that kills it. */
function killer(variant: string): { generator: GeneratorName; divergence: Divergence } | null {
  const suites = suitesAt(micCosmDriver.variants.find((v) => v.name === variant)?.killBounds);
  for (const generator of GENERATORS) {
    const result = run(suites[generator], [variant]);
    if (!result.conforms) return { generator, divergence: result.divergence! };
  }
  return null;
}

describe('mic-cosm driver: the correct driver conforms', () => {
  it('the three suites at the default bounds are non-trivial', { timeout: 600_000 }, () => {
    const suites = suitesAt();
    expect(suites.tour.bounds).toEqual({
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
    expect(suites.tour.summary.coveredTransitions).toBe(suites.tour.summary.reachableTransitions);
    expect(suites.tour.vectors.length).toBeGreaterThan(1);
    // One vector per leaf of the BFS tree over the model's 13,000-odd states.
    expect(suites.states.summary.reachableStates).toBeGreaterThan(10_000);
    expect(suites.states.vectors.length).toBeGreaterThan(2000);
    expect(suites.random.vectors).toHaveLength(20);
    // Every suite boots the card (hw_start), takes it through states mpssd is told of
    // (cosm_set_state), closes an endpoint and resets the card (hw_stop) somewhere.
    for (const generator of GENERATORS) {
      const types = suites[generator].vectors.flatMap((v) => v.steps.flatMap((s) => s.outputs));
      expect(
        types.map((o) => o.type),
        generator,
      ).toEqual(
        expect.arrayContaining(['hw_start', 'cosm_set_state', 'scif_close', 'hw_stop', 'publish']),
      );
    }
  });

  it('conforms to the tour, the state cover and the random walks at the default bounds', () => {
    for (const generator of GENERATORS) {
      expect(noDivergence(run(suitesAt()[generator])), generator).toBeNull();
    }
  });

  it('conforms to all three suites with four boots and no reloads', { timeout: 600_000 }, () => {
    const suites = suitesAt(DEEP_BOUNDS);
    expect(suites.states.summary.reachableStates).toBeGreaterThan(15_000);
    for (const generator of GENERATORS) {
      expect(noDivergence(run(suites[generator])), generator).toBeNull();
    }
  });

  it('conforms to all three suites with a removal', { timeout: 600_000 }, () => {
    const suites = suitesAt(REMOVAL);
    for (const generator of GENERATORS) {
      expect(noDivergence(run(suites[generator])), generator).toBeNull();
    }
    const steps = suites.tour.vectors.flatMap((v) => v.steps);
    expect(steps.some((s) => s.outputs.some((o) => o.type === 'device_release'))).toBe(true);
    expect(steps.some((s) => s.event.type === 'exit.close')).toBe(true);
  });

  it('conforms to the tour and the random walks with a full ring, poll errors, strangers and every status', () => {
    for (const generator of ['tour', 'random'] as const) {
      const suite = generateSuite(micCosmModel, { generator, bounds: { ...HOSTILE } }).suite;
      expect(noDivergence(run(suite)), generator).toBeNull();
      if (generator === 'tour') {
        const steps = suite.vectors.flatMap((v) => v.steps);
        for (const type of ['shutdown.sent', 'work.pollError', 'server.acceptStranger'])
          expect(
            steps.some((s) => s.event.type === type),
            type,
          ).toBe(true);
      }
    }
  });
});

describe('mic-cosm driver: every variant is killed', () => {
  // Which generator first kills each variant (in the order tour, states, random), at which
  // event; measured vector and step in brackets. `shows` checks that the divergence is the bug.
  const close = (ep: number) => ({ type: 'scif_close', card: 0, ep });
  const state = (s: string) => ({ type: 'cosm_set_state', card: 0, state: s });
  const expected: Record<
    string,
    { generator: GeneratorName; eventType: string; shows: (d: Divergence) => void }
  > = {
    // [tour-4, step 8] The card's connection is accepted, then user space resets the card
    // before the work runs: cosm_set_online refuses in RESETTING. The fix scif_close()s the
    // endpoint it will not serve; as written nothing closes it (finding 1, the first of the
    // seed's findings the tour reaches).
    'as-written': {
      generator: 'tour',
      eventType: 'work.online',
      shows: (d) => {
        expect(d.expected).toEqual([close(0)]);
        expect(d.actual).toEqual([]);
      },
    },
    // [tour-8, step 8] The card reloads cosm_client before the work ran: the fix's server
    // replaces the endpoint not yet taken and closes it (finding 3); as written nothing does.
    'newepd-handoff-unlocked': {
      generator: 'tour',
      eventType: 'server.schedule',
      shows: (d) => {
        expect(d.expected).toEqual([close(0)]);
        expect(d.actual).toEqual([]);
        const types = d.path.map((s) => s.event.type);
        expect(types.filter((t) => t === 'server.accept')).toHaveLength(2);
        expect(types).toContain('card.load');
      },
    },
    // [tour-4, step 8] The same refusal, finding 1 alone.
    'refused-online-leaks-newepd': {
      generator: 'tour',
      eventType: 'work.online',
      shows: (d) => {
        expect(d.expected).toEqual([close(0)]);
        expect(d.actual).toEqual([]);
        expect(d.path.map((s) => s.event.type)).toContain('reset');
      },
    },
    // [states-252, step 12] A HALTED status queued before a reset and processed after cosm_stop:
    // as written the READY card goes SHUTTING_DOWN and mpssd is told (finding 2). The tour
    // misses it: processing in RESETTING or READY is the same transition as in ONLINE.
    'late-status-sets-shutting-down': {
      generator: 'states',
      eventType: 'work.process',
      shows: (d) => {
        const published = [{ type: 'publish', card: 0, status: 'HALTED' }, close(0)];
        expect(d.expected).toEqual(published);
        expect(d.actual).toEqual([state('SHUTTING_DOWN'), ...published]);
        const types = d.path.map((s) => s.event.type);
        expect(types.lastIndexOf('reset')).toBeLessThan(types.lastIndexOf('work.process'));
      },
    },
    // [tour-5, step 4, at remove=1] The card's connect is accepted after its removal began:
    // cosm_find_cdev_by_id finds nothing; the fix closes the endpoint (finding 4).
    'unknown-node-leaks-newepd': {
      generator: 'tour',
      eventType: 'server.accept',
      shows: (d) => {
        expect(d.expected).toEqual([close(0)]);
        expect(d.actual).toEqual([]);
        expect(d.path.map((s) => s.event.type)).toContain('remove.begin');
      },
    },
    // [tour-1, step 7, at remove=1] The fix stops the server thread before cosm_stop; the
    // variant's cosm_driver_remove goes to cosm_stop's flush_work instead (finding 5).
    'server-stopped-after-flush': {
      generator: 'tour',
      eventType: 'exit.kill',
      shows: (d) => {
        expect(d.error).toMatch(/went to flush_work, not kthread_stop/);
      },
    },
    // [tour-7, step 11] The card sent HALTED and has not hung up (it crashed): the fix
    // only moves the card to SHUTTING_DOWN, the variant also publishes the status.
    'publish-on-receipt': {
      generator: 'tour',
      eventType: 'work.process',
      shows: (d) => {
        expect(d.expected).toEqual([state('SHUTTING_DOWN')]);
        expect(d.actual).toEqual([
          state('SHUTTING_DOWN'),
          { type: 'publish', card: 0, status: 'HALTED' },
        ]);
        // The card sent HALTED (and then crashed, without hanging up): the host processes the
        // status alone.
        expect(d.path.map((s) => s.event.type)).toContain('card.notify');
      },
    },
    // [tour-4, step 8] The refusal of the finding 1 kill: the variant goes ONLINE instead.
    'online-from-any-state': {
      generator: 'tour',
      eventType: 'work.online',
      shows: (d) => {
        expect(d.expected).toEqual([close(0)]);
        expect(d.actual).toEqual([state('ONLINE')]);
      },
    },
    // [states-168, step 11] A status outside enum mic_status, then the hang-up: the variant
    // keeps it, shuts the card down and publishes it. The tour's statuses are all valid ones.
    'accept-any-status': {
      generator: 'states',
      eventType: 'work.process',
      shows: (d) => {
        expect(d.expected).toEqual([close(0)]);
        expect(d.actual).toEqual([
          state('SHUTTING_DOWN'),
          { type: 'publish', card: 0, status: 'INVALID' },
          close(0),
        ]);
      },
    },
    // [tour-14, step 23] The card crashed after its status; the variant's 30 s timer is due two
    // ticks before the model's 40 s one, and the harness refuses to let time pass over it.
    'timeout-below-heartbeat-period': {
      generator: 'tour',
      eventType: 'tick',
      shows: (d) => {
        expect(d.error).toMatch(/a scif_poll timer is due and has not fired/);
        expect(d.path.map((s) => s.event.type)).toContain('card.crash');
      },
    },
    // [tour-14, step 26] A crashed card's poll times out: the model declares it CRASHED, the
    // variant never armed the watchdog and publishes nothing.
    'watchdog-not-armed': {
      generator: 'tour',
      eventType: 'work.process',
      shows: (d) => {
        expect(d.expected).toEqual([
          state('SHUTTING_DOWN'),
          { type: 'publish', card: 0, status: 'CRASHED' },
        ]);
        expect(d.actual).toEqual([]);
      },
    },
    // [tour-14, step 25] The model's poll times out; the variant's has no timer.
    'poll-without-timeout': {
      generator: 'tour',
      eventType: 'work.timeout',
      shows: (d) => {
        expect(d.error).toMatch(/scif_poll's timer has not fired/);
      },
    },
    // [tour-2, step 11] Reset after `shutdown` (SHUTTING_DOWN): no hw_ops->stop.
    'no-hw-stop-when-shutting-down': {
      generator: 'tour',
      eventType: 'stop.run',
      shows: (d) => {
        const after = [state('READY'), { type: 'publish', card: 0, status: 'NOP' }];
        expect(d.expected).toEqual([{ type: 'hw_stop', card: 0 }, ...after]);
        expect(d.actual).toEqual(after);
        expect(d.path.map((s) => s.event.type)).toContain('shutdown');
      },
    },
  };

  it('names every driver variant in the expectations', () => {
    expect(Object.keys(expected).sort()).toEqual(micCosmDriver.variants.map((v) => v.name).sort());
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
    it(`${variant.name} is killed by a generated suite`, () => {
      const kill = killer(variant.name);
      expect(kill, variant.name).not.toBeNull();
      const { generator, divergence } = kill!;
      expect(divergence.step).toBeGreaterThan(0);
      expect(divergence.path).toHaveLength(divergence.step);
      expect({ generator, eventType: divergence.event?.type }).toEqual({
        generator: expected[variant.name].generator,
        eventType: expected[variant.name].eventType,
      });
      expected[variant.name].shows(divergence);
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

describe('mic-cosm driver: the variant no generated suite reaches, killed by a directed vector', () => {
  it('is the one model variant that is not a driver variant, with its reason', () => {
    const driverVariants = micCosmDriver.variants.map((v) => v.name);
    const modelVariants = micCosmModel.variants.map((v) => v.name);
    expect(modelVariants.filter((v) => !driverVariants.includes(v))).toEqual(
      MIC_COSM_DIRECTED_VARIANTS.map((v) => v.name),
    );
    for (const variant of MIC_COSM_DIRECTED_VARIANTS)
      expect(variant.why.length).toBeGreaterThan(40);
  });

  it('watchdog-on-after-status: a card dies after its status; the variant still declares it CRASHED', () => {
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

describe('mic-cosm driver: each variant conforms to the model with the same variant', () => {
  // The converse check: the driver's bugs are the model's bugs and not other ones. The tour and
  // the random walks of each variant's model (at its declared bounds); the state cover of every
  // variant model would take minutes.
  for (const variant of micCosmModel.variants) {
    it(variant.name, () => {
      for (const generator of ['tour', 'random'] as const) {
        const suite = generateSuite(micCosmModel, { generator, variants: [variant.name] }).suite;
        expect(noDivergence(run(suite, [variant.name])), generator).toBeNull();
      }
    });
  }
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
        {
          id: `walk-${w + 1}`,
          steps,
        },
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

async function conform(values: Record<string, string[]>) {
  let stdout = '';
  const io: CliIo = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stdout += t),
    stderrIsTty: false,
  };
  const code = await makeTestgenCommands([micCosmDriver]).conform({
    models: [micCosmModel],
    io,
    values,
    positionals: ['mic-cosm'],
  });
  return { code, stdout };
}

describe('conform mic-cosm (the command)', () => {
  it(
    'exits 0 for the correct driver, 1 with a divergence for a variant',
    { timeout: 300_000 },
    async () => {
      const correct = await conform({});
      expect(correct.code, correct.stdout).toBe(0);
      expect(correct.stdout.match(/conforms/g)).toHaveLength(5);
      const leak = await conform({ variant: ['refused-online-leaks-newepd'] });
      expect(leak.code).toBe(1);
      expect(leak.stdout).toMatch(/DIVERGES at vector tour-4, step 8/);
    },
  );

  it(
    '--variant all: the correct driver conforms and every variant is killed',
    { timeout: 600_000 },
    async () => {
      const { code, stdout } = await conform({ variant: ['all'] });
      expect(code, stdout).toBe(0);
      expect(stdout).toMatch(/the correct driver conforms; 13 of 13 variants killed/);
    },
  );
});
