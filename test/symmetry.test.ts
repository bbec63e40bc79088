/**
 * Symmetry reduction (src/explore/symmetry.ts, src/model/symmetry.ts): declarations are
 * checked against the model, the reduced run keeps one state per orbit and gives the
 * unreduced run's verdicts, its counterexamples replay on the unreduced model, and a
 * declaration the code does not honour is caught by checkSymmetry.
 */
import { describe, expect, it } from 'vitest';
import { assign, setup, type EventObject } from 'xstate';
import { anchorModel } from '../bench/anchor-mailbox.ts';
import { measured, pairedRatio, rate } from '../bench/measure.ts';
import { spliceSection } from '../bench/report.ts';
import type { Results, Run, SymmetryRow } from '../bench/results.ts';
import { symmetryTable } from '../bench/tables.ts';
import { idpfXnModel, scmiVirtioModel } from '../machines/registry.ts';
import { resolveConfig } from '../src/model/config.ts';
import { defineModel, type ModelDefinition } from '../src/model/model.ts';
import type { SymmetrySpec } from '../src/model/symmetry.ts';
import { ModelSystem, type SystemNode } from '../src/model/system.ts';
import type { Trace } from '../src/model/trace.ts';
import { explore, type ExploreOptions } from '../src/explore/explore.ts';
import { checkSymmetry, Symmetry } from '../src/explore/symmetry.ts';
import { runCli } from './helpers/run-cli.ts';

/** `model` with its symmetry declaration replaced. */
function declaring(model: ModelDefinition, symmetry: SymmetrySpec[]): ModelDefinition {
  return { ...model, build: (config) => ({ ...model.build(config), symmetry }) };
}

/**
 * Replays a trace on the model without symmetry, event by event (each must be in the
 * alphabet and enabled, and reach the context the trace prints), and returns the last node
 * with the violations of the last step.
 */
function replayUnreduced(
  model: ModelDefinition,
  options: ExploreOptions,
  trace: Trace,
): { system: ModelSystem; node: SystemNode; lastViolations: string[] } {
  const system = new ModelSystem(model, resolveConfig(model, options));
  let node = system.initial().node;
  expect(node.state.context).toEqual(trace.initial.context);
  let lastViolations: string[] = [];
  for (const step of trace.steps) {
    const events = system.events(node);
    const index = events.findIndex(
      (event) => JSON.stringify(event) === JSON.stringify(step.event as EventObject),
    );
    expect(index, `event ${JSON.stringify(step.event)} is in the alphabet`).toBeGreaterThanOrEqual(
      0,
    );
    const successor = system.stepWith(node, system.view(node), events[index], index);
    expect(successor, `event ${JSON.stringify(step.event)} is enabled`).not.toBeNull();
    expect(successor!.node.state.context).toEqual(step.context);
    lastViolations = successor!.violations.map((v) => v.property);
    node = successor!.node;
  }
  return { system, node, lastViolations };
}

const verdicts = (result: ReturnType<typeof explore>) =>
  Object.fromEntries(result.properties.map((p) => [p.name, p.holds]));

describe('symmetry declarations are checked when the model is built', () => {
  const build = (symmetry: SymmetrySpec[]) =>
    new ModelSystem(declaring(anchorModel, symmetry), resolveConfig(anchorModel, {}));

  it('accepts the anchor’s slots', () => {
    expect(
      build([{ name: 'slots', arrays: ['st', 'sq'], indices: ['h2d[].slot'] }]).symmetry,
    ).toMatchObject([{ name: 'slots', size: 3 }]);
  });

  it.each([
    [
      { name: 'slots', arrays: ['st', 'nope'] },
      "symmetry 'slots': the context has no field 'nope'",
    ],
    [{ name: 'slots', arrays: ['nextSeq'] }, "'nextSeq' is not an array"],
    [{ name: 'slots', arrays: ['st'], indices: ['h2d[].slot', 'ghost.slot'] }, "no field 'ghost'"],
    [{ name: 'slots', arrays: ['st'], regions: ['Host', 'Device', 'Host'] }, 'do not have'],
    [{ name: 'slots', arrays: ['st'], regions: ['Host'] }, '1 regions for 3 members'],
    [{ name: 'slots', arrays: ['st'], regions: ['Host.end_host', 'Host', 'Host'] }, 'not a region'],
    [{ name: 'slots', arrays: ['st'], index: ['h2d[].slot'] }, "unknown field 'index'"],
  ])('rejects %j', (spec, message) => {
    expect(() => build([spec as SymmetrySpec])).toThrow(message);
  });

  it('rejects arrays of different lengths in one group, naming both', () => {
    expect(() => build([{ name: 'pair', arrays: ['st', 'h2d'] }])).toThrow(
      "symmetry 'pair': 'st' has 3 members but 'h2d' has 0",
    );
  });

  it('refuses a reduction the model does not declare', () => {
    const undeclared = declaring(anchorModel, []);
    expect(() => explore(undeclared, { symmetry: true })).toThrow('declares no symmetry');
  });
});

describe('the anchor (bench/anchor-mailbox.ts) reduced by its slots', () => {
  const small = { bounds: { slots: 3, seqMod: 2, qlen: 1 } };

  it('keeps exactly one state per orbit', () => {
    // The orbits counted by brute force: every unreduced state under all 3! orders of the
    // slots, named by the smallest JSON key of the six.
    const system = new ModelSystem(anchorModel, resolveConfig(anchorModel, small));
    const symmetry = new Symmetry(system);
    const [group] = symmetry.groups;
    const orders = [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ];
    const seen = new Map<string, SystemNode>();
    const queue = [system.initial().node];
    seen.set(system.key(queue[0]), queue[0]);
    while (queue.length > 0) {
      for (const s of system.successors(queue.pop()!)) {
        const key = system.key(s.node);
        if (!seen.has(key)) {
          seen.set(key, s.node);
          queue.push(s.node);
        }
      }
    }
    const orbits = new Set<string>();
    for (const node of seen.values()) {
      const keys = orders.map((order) => system.key(symmetry.permute(node, group, order)));
      orbits.add(keys.sort()[0]);
      // Every state of an orbit gets the same representative.
      const representatives = new Set(
        orders.map((order) => system.key(symmetry.canonical(symmetry.permute(node, group, order)))),
      );
      expect(representatives.size).toBe(1);
    }
    const unreduced = explore(anchorModel, small);
    const reduced = explore(anchorModel, { ...small, symmetry: true });
    expect(unreduced.states).toBe(seen.size);
    expect(reduced.states).toBe(orbits.size);
    expect(reduced.states).toBeLessThan(unreduced.states / 4);
    expect(reduced.symmetry).toEqual([{ name: 'slots', members: 3 }]);
    expect(verdicts(reduced)).toEqual(verdicts(unreduced));
    expect(verdicts(reduced)['ghost-generation']).toBe(true);
  });

  it.each([[[] as string[]], [['buggy-timeout']]])(
    'gives the unreduced verdicts, and a counterexample that replays on the unreduced model (variants %j)',
    (variants) => {
      // SEQMOD 2 wraps so soon that a stale reply matches even with the abort handshake.
      const options = { bounds: { slots: 2, seqMod: 2, qlen: 2 }, variants };
      const unreduced = explore(anchorModel, options);
      const reduced = explore(anchorModel, { ...options, symmetry: true });
      expect(reduced.states).toBeLessThan(unreduced.states);
      expect(verdicts(reduced)).toEqual(verdicts(unreduced));
      const failing = reduced.properties.find((p) => p.name === 'ghost-generation')!;
      expect(failing.holds).toBe(false);
      const shortest = unreduced.properties.find((p) => p.name === 'ghost-generation')!;
      // Breadth-first in both: the reduced trace is a shortest one too.
      expect(failing.trace!.steps).toHaveLength(shortest.trace!.steps.length);
      const { lastViolations } = replayUnreduced(anchorModel, options, failing.trace!);
      expect(lastViolations).toContain('ghost-generation');
      // The message names the slot of the concrete trace, not of a representative.
      const accepted = failing.trace!.steps.at(-1)!.outputs.find((o) => o.type === 'accepted');
      expect(failing.message).toContain(`slot ${String(accepted!.slot)} accepted`);
    },
  );

  it('passes checkSymmetry, and a declaration without the messages’ slot fields fails it', () => {
    const options = { bounds: { slots: 2, seqMod: 2, qlen: 1 } };
    const sound = checkSymmetry(anchorModel, options);
    expect(sound.problem).toBeUndefined();
    expect(sound.complete).toBe(true);
    expect(sound.states).toBe(explore(anchorModel, options).states);

    // Forgetting that a message names its slot: permuting the slots leaves the messages
    // pointing at the wrong one.
    const forgetful = declaring(anchorModel, [{ name: 'slots', arrays: ['st', 'sq', 'gen'] }]);
    const caught = checkSymmetry(forgetful, options);
    expect(caught.problem).toBeDefined();
    expect(caught.problem!.group).toBe('slots');
    expect(caught.problem!.message).toMatch(/^slots swapping members 0 and 1: /);
    // Already in the initial state: issuing on a slot puts a message naming it in h2d.
    expect(caught.problem!.message).toContain('host.issue');
    expect(caught.problem!.trace.steps).toHaveLength(0);
  });
});

/**
 * A pool that reuses the lowest free index, as idpf's free bitmap (find_first_bit) and mcdi's
 * seqno do: the slots are not interchangeable, and a declaration claiming they are is caught.
 */
interface PoolContext {
  busy: boolean[];
  uses: number[];
}
type PoolEvent = { type: 'alloc'; slot?: number } | { type: 'free'; slot: number };

/**
 * With `monitored`, a monitor keeps per-slot state (frees seen per slot): a declaration must
 * rename it too (`monitorPath`), or the check reports the difference.
 */
function poolModel(lowestFree: boolean, monitored = false, monitorPath?: string) {
  return defineModel<PoolContext, PoolEvent>({
    name: 'pool',
    title: 'a pool of slots',
    seed: 'test fixture',
    bounds: [{ name: 'slots', default: 3, min: 2, max: 4, description: 'slots' }],
    variants: [],
    build({ bounds }) {
      const slots = Array.from({ length: bounds.slots }, (_, i) => i);
      const target = (context: PoolContext, event: PoolEvent) =>
        lowestFree ? context.busy.indexOf(false) : (event.slot ?? -1);
      const machine = setup({
        types: {} as { context: PoolContext; events: PoolEvent },
      }).createMachine({
        context: { busy: slots.map(() => false), uses: slots.map(() => 0) },
        on: {
          alloc: {
            guard: ({ context, event }) => {
              const slot = target(context, event);
              return slot >= 0 && !context.busy[slot] && context.uses[slot] < 2;
            },
            actions: assign(({ context, event }) => {
              const slot = target(context, event);
              return {
                busy: context.busy.map((b, i) => b || i === slot),
                uses: context.uses.map((u, i) => (i === slot ? u + 1 : u)),
              };
            }),
          },
          free: {
            guard: ({ context, event }) => context.busy[event.slot],
            actions: assign(({ context, event }) => ({
              busy: context.busy.map((b, i) => b && i !== event.slot),
            })),
          },
        },
      });
      const events: PoolEvent[] = lowestFree
        ? [{ type: 'alloc' }, ...slots.map((slot) => ({ type: 'free' as const, slot }))]
        : slots.flatMap((slot) => [
            { type: 'alloc' as const, slot },
            { type: 'free' as const, slot },
          ]);
      return {
        machine,
        events: () => events,
        properties: monitored
          ? [
              {
                kind: 'monitor' as const,
                name: 'frees',
                statement: 'A slot is freed at most twice.',
                source: 'test fixture',
                initial: () => ({ frees: slots.map(() => 0) }),
                step: (m: { frees: number[] }, step: { event: PoolEvent }) => {
                  const event = step.event;
                  if (event.type !== 'free') return m;
                  const frees = m.frees.map((f, i) => (i === event.slot ? f + 1 : f));
                  return frees[event.slot] > 2 ? { violation: 'freed three times' } : { frees };
                },
              },
            ]
          : [],
        terminal: () => true,
        symmetry: [
          { name: 'slots', arrays: ['busy', 'uses', ...(monitorPath ? [monitorPath] : [])] },
        ],
      };
    },
  });
}

describe('a declaration the code does not honour', () => {
  it('is caught on a pool that reuses the lowest free index, with a trace', () => {
    const result = checkSymmetry(poolModel(true));
    expect(result.problem).toBeDefined();
    expect(result.problem!.message).toContain('alloc');
    // Found in the initial state: all slots free, alloc takes slot 0 whatever the order.
    expect(result.problem!.trace.steps).toHaveLength(0);
  });

  it('is caught on idpf-xn’s transaction ring, whose pop takes the lowest free bit', () => {
    // idpf_vc_xn_pop_free: find_first_bit over the free bitmap. Claiming the ring's slots are
    // interchangeable (with every field that names a slot) is wrong, and the first EXEC says so.
    const ring = declaring(idpfXnModel, [
      {
        name: 'ring',
        arrays: ['xn'],
        indices: ['callers[].idx', 'callers[].found', 'rx.target', 'shutdownNext'],
      },
    ]);
    const result = checkSymmetry(ring, { bounds: { ringSize: 2 } });
    expect(result.problem?.message).toMatch(/^ring swapping members 0 and 1: after EXEC\(/);
  });

  it('must rename a monitor’s per-member state (`@monitor.path`), or the check says so', () => {
    expect(checkSymmetry(poolModel(false, true)).problem?.message).toMatch(/^slots swapping/);
    const renamed = poolModel(false, true, '@frees.frees');
    const result = checkSymmetry(renamed);
    expect(result.problem).toBeUndefined();
    const unreduced = explore(renamed);
    const reduced = explore(renamed, { symmetry: true });
    expect(reduced.states).toBeLessThan(unreduced.states);
    expect(verdicts(reduced)).toEqual(verdicts(unreduced));
    expect(() => explore(poolModel(false, true, '@nope.frees'), { symmetry: true })).toThrow(
      "symmetry 'slots': no monitor named 'nope' (in '@nope.frees')",
    );
  });

  it('is not reported where any free slot may be taken', () => {
    const result = checkSymmetry(poolModel(false));
    expect(result.problem).toBeUndefined();
    expect(result.complete).toBe(true);
    expect(explore(poolModel(false), { symmetry: true }).states).toBeLessThan(
      explore(poolModel(false)).states,
    );
  });
});

describe('scmi-virtio reduced by its CPUs (machines/scmi-virtio.ts)', () => {
  // One TX message: small, and as written the model still fails four properties (one of
  // them the liveness property all-free-reachable).
  const bounds = { maxMsg: 1 };

  it('declares its CPUs, and the declaration passes checkSymmetry', () => {
    const result = checkSymmetry(scmiVirtioModel, { bounds, variants: ['as-written'] });
    expect(result.groups).toEqual([{ name: 'cpus', members: 2 }]);
    expect(result.problem).toBeUndefined();
    expect(result.complete).toBe(true);
  });

  it.each([[[] as string[]], [['as-written']]])(
    'gives the unreduced verdicts with concrete counterexamples (variants %j)',
    (variants) => {
      const options = { bounds, variants };
      const unreduced = explore(scmiVirtioModel, options);
      const reduced = explore(scmiVirtioModel, { ...options, symmetry: true });
      expect(reduced.states).toBeLessThan(unreduced.states * 0.6);
      expect(verdicts(reduced)).toEqual(verdicts(unreduced));
      for (const property of reduced.properties.filter((p) => p.holds === false)) {
        const { system, node, lastViolations } = replayUnreduced(
          scmiVirtioModel,
          options,
          property.trace!,
        );
        if (property.kind === 'invariant') {
          expect(system.checkState(node).map((v) => v.property)).toContain(property.name);
        } else if (property.kind === 'step' || property.kind === 'monitor') {
          expect(lastViolations).toContain(property.name);
        }
        const shortest = unreduced.properties.find((p) => p.name === property.name)!;
        expect(property.trace!.steps.length, property.name).toBe(shortest.trace!.steps.length);
      }
    },
  );
});

describe('the command line', () => {
  const cli = (args: string[], models: ModelDefinition[]) => runCli(args, models);
  const small = ['--bound', 'slots=2', '--bound', 'seqMod=2', '--bound', 'qlen=1'];

  it('check --check-symmetry says the declaration holds, or prints where it fails (exit 1)', async () => {
    const sound = await cli(['check', 'anchor', '--check-symmetry', ...small], [anchorModel]);
    expect(sound.code).toBe(0);
    expect(sound.stdout).toMatch(
      /^anchor: symmetry slots \(2 members\) holds on every one of [\d,]+ states\n$/,
    );
    const forgetful = declaring(anchorModel, [{ name: 'slots', arrays: ['st', 'sq', 'gen'] }]);
    const caught = await cli(['check', 'anchor', '--check-symmetry', ...small], [forgetful]);
    expect(caught.code).toBe(1);
    expect(caught.stdout).toContain('anchor: symmetry slots (2 members) does NOT hold');
    expect(caught.stdout).toContain('0. initial');
  });

  it('check --symmetry reports the concrete counterexample; without a declaration it is one line, exit 2', async () => {
    const bounds = ['--bound', 'slots=2', '--bound', 'seqMod=2', '--bound', 'qlen=2'];
    const args = ['check', 'anchor', '--variant', 'buggy-timeout', ...bounds, '--json'];
    const reduced = await cli([...args, '--symmetry'], [anchorModel]);
    const unreduced = await cli(args, [anchorModel]);
    expect(reduced.code).toBe(1);
    type Json = {
      results: Array<{ states: number; properties: Array<{ name: string; holds: boolean }> }>;
    };
    const [r] = (JSON.parse(reduced.stdout) as Json).results;
    const [u] = (JSON.parse(unreduced.stdout) as Json).results;
    expect(r.states).toBeLessThan(u.states);
    expect(r.properties.map((p) => p.holds)).toEqual(u.properties.map((p) => p.holds));

    const none = await cli(
      ['check', 'anchor', '--symmetry', ...small],
      [declaring(anchorModel, [])],
    );
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(
      'mailbox-models: anchor declares no symmetry at these bounds and variants\n',
    );
  });
});

describe('the bench’s symmetry rows (bench/tables.ts, bench/report.ts)', () => {
  const run = (states: number, seconds: number, verdict: boolean): Run => ({
    states,
    transitions: 0,
    seconds,
    cpuSeconds: seconds,
    peakRssBytes: 0,
    complete: true,
    verdicts: { p: verdict },
  });
  const row = (same: boolean): SymmetryRow => {
    const unreduced = [run(600, 6, true), run(600, 3, true)];
    const reduced = [run(100, 2, same), run(100, 1, true)];
    return {
      model: 'm',
      bounds: { n: 3 },
      groups: [{ name: 'slots', members: 3 }],
      unreduced: measured('without', unreduced),
      reduced: measured('with', reduced),
      reduction: 6,
      speedUp: pairedRatio(reduced, unreduced, (r) => 1 / r.seconds),
      rateRatio: pairedRatio(reduced, unreduced, rate),
      sameVerdicts: same,
    };
  };
  const results = (rows: SymmetryRow[]) => ({ symmetry: rows }) as unknown as Results;

  it('gives the reduction, the per-round ratios and whether the verdicts agree', () => {
    const [, , line] = symmetryTable(results([row(true)]));
    const cells = line.split(' | ');
    expect(cells.slice(3, 6)).toEqual(['600', '100', '6.00×']);
    // Per round, time without / with: 6/2 and 3/1; rate with / without: (100/2)/(600/6) = 0.5.
    expect(line).toContain('3.00×');
    expect(line).toContain('0.50×');
    expect(line).toContain('| yes |');
    expect(symmetryTable(results([row(false)]))[2]).toContain('| **no** |');
  });

  it('replaces only its own section of the page, or adds it before the targets', () => {
    const page = '# P\n\n## A\n\na\n\n## Symmetry reduction\n\nold\n\n## Targets\n\nt\n';
    expect(spliceSection(page, '## Symmetry reduction\n\nnew\n')).toBe(
      '# P\n\n## A\n\na\n\n## Symmetry reduction\n\nnew\n\n## Targets\n\nt\n',
    );
    expect(spliceSection('# P\n\n## Targets\n\nt\n', '## Symmetry reduction\n\nnew\n')).toBe(
      '# P\n\n## Symmetry reduction\n\nnew\n\n## Targets\n\nt\n',
    );
  });
});
