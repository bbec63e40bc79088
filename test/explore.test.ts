import { getAdjacencyMap } from 'xstate/graph';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/model/config.ts';
import { explore } from '../src/explore/explore.ts';
import { fuzz } from '../src/fuzz/fuzz.ts';
import { defineModel, type ModelState } from '../src/model/model.ts';
import { assign, setup } from 'xstate';
import { sweep } from '../src/explore/sweep.ts';
import { toyModel, type ToyContext } from './fixtures/toy-mailbox.ts';

const failing = (result: ReturnType<typeof explore>) =>
  result.properties.filter((p) => p.holds === false).map((p) => p.name);

describe('explore', () => {
  it('proves every property of the correct toy model', () => {
    const result = explore(toyModel);
    expect(result.complete).toBe(true);
    expect(failing(result)).toEqual([]);
    expect(result.properties.every((p) => p.holds === true)).toBe(true);
  });

  it('finds as many states as xstate/graph does, independently', () => {
    // Without monitors a product state is a model state, so xstate/graph's adjacency map
    // (XState's own interpreter, serialised value + context) must have the same size.
    const bare = {
      ...toyModel,
      build: (c: Parameters<typeof toyModel.build>[0]) => ({
        ...toyModel.build(c),
        properties: [],
      }),
    };
    const boundSets: Array<Record<string, number>> = [{}, { seqMod: 2, requests: 4, wire: 3 }];
    for (const bounds of boundSets) {
      const instance = toyModel.build(resolveConfig(toyModel, { bounds }));
      const adjacency = getAdjacencyMap(instance.machine, {
        events: (snapshot) =>
          instance.events({
            value: snapshot.value,
            context: snapshot.context as ToyContext,
            matches: (path: string) => snapshot.matches(path as never),
          } as ModelState<ToyContext>),
      });
      expect(explore(bare, { bounds }).states).toBe(Object.keys(adjacency).length);
    }
  });

  it('catches each variant with exactly the properties it declares', () => {
    for (const variant of toyModel.variants) {
      const result = explore(toyModel, { variants: [variant.name] });
      expect(failing(result).sort()).toEqual([...variant.breaks].sort());
    }
  });

  it('gives the shortest counterexample: send, timeout, send, stale reply', () => {
    const result = explore(toyModel, { variants: ['accept-any-seq'] });
    const property = result.properties.find((p) => p.name === 'reply-matches-request')!;
    const steps = property.trace!.steps;
    expect(steps.map((s) => s.event.type)).toEqual(['send', 'timeout', 'send', 'reply']);
    // The accepted reply is the first request's, answering the second.
    expect(steps[3].event).toMatchObject({ id: 0 });
    expect(steps[3].outputs).toEqual([{ type: 'complete', id: 0, rc: 0 }]);
  });

  it('reports a liveness violation with a path to the stuck state', () => {
    const result = explore(toyModel, { variants: ['no-timeout'] });
    const property = result.properties.find((p) => p.name === 'can-return-to-idle')!;
    expect(property.trace!.steps.map((s) => s.event.type)).toEqual(['send', 'lose']);
  });

  it('stops cleanly at the state budget and proves nothing', () => {
    const result = explore(toyModel, { maxStates: 5 });
    expect(result.complete).toBe(false);
    expect(result.states).toBe(5);
    expect(result.properties.every((p) => p.holds === null)).toBe(true);
  });

  it('still reports a violation found before the budget ran out', () => {
    const result = explore(toyModel, { variants: ['accept-any-seq'], maxStates: 30 });
    expect(result.complete).toBe(false);
    expect(failing(result)).toContain('reply-matches-request');
  });

  it('counts coverage of state nodes and transitions', () => {
    const result = explore(toyModel, { variants: ['no-timeout'] });
    expect(result.coverage.transitions['toy.host.WAITING:reply:0']).toBeGreaterThan(0);
    // With no timeout the WAITING state has no timeout transition at all.
    expect(Object.keys(result.coverage.transitions)).not.toContain('toy.host.WAITING:timeout:0');
    expect(result.coverage.stateNodes['toy.host.WAITING']).toBeGreaterThan(0);
  });
});

describe('sweep', () => {
  it('draws the boundary: 3 requests need more than 2 sequence numbers', () => {
    const result = sweep(toyModel, { ranges: { seqMod: [1, 2, 3, 4], requests: [3] } });
    const verdict = Object.fromEntries(
      result.rows.map((row) => [row.bounds.seqMod, row.failed.length === 0]),
    );
    expect(verdict).toEqual({ 1: false, 2: false, 3: true, 4: true });
    expect(result.smallestFailure?.counterexamples.map((p) => p.name)).toContain(
      'reply-matches-request',
    );
  });
});

describe('fuzz', () => {
  it('passes on the correct model', () => {
    expect(fuzz(toyModel, { runs: 100, seed: 7 }).failed).toBe(false);
  });

  it('finds the stale-reply race, shrinks it and replays it from seed and path', () => {
    const found = fuzz(toyModel, { variants: ['accept-any-seq'], runs: 500, seed: 7 });
    expect(found.failed).toBe(true);
    expect(['reply-matches-request', 'completes-once']).toContain(found.property);
    // Shrinking reaches the 4-step story (no shorter one exists: explore proves it above).
    expect(found.trace!.steps.length).toBe(4);
    const replayed = fuzz(toyModel, {
      variants: ['accept-any-seq'],
      runs: 500,
      seed: found.seed,
      path: found.path,
    });
    expect(replayed.trace).toEqual(found.trace);
  });
});

describe('recoverable with `when`: an obligation that holds only in a phase of the system', () => {
  /* START may go to GOAL (and back), or to CLOSED for good; CLOSED reaches no goal. */
  const phases = (when?: (closed: boolean) => boolean) =>
    defineModel<{ closed: boolean }, { type: 'open' | 'close' | 'goal' }>({
      name: 'phases',
      title: 'recoverable when (engine test)',
      seed: 'none',
      bounds: [],
      variants: [],
      build: () => ({
        machine: setup({
          types: {} as {
            context: { closed: boolean };
            events: { type: 'open' | 'close' | 'goal' };
          },
        }).createMachine({
          context: { closed: false },
          initial: 'START',
          states: {
            START: {
              on: {
                goal: { target: 'GOAL' },
                close: { target: 'CLOSED', actions: assign({ closed: true }) },
              },
            },
            GOAL: { on: { open: { target: 'START' } } },
            CLOSED: {},
          },
        }),
        events: () => [{ type: 'open' }, { type: 'close' }, { type: 'goal' }],
        terminal: () => true,
        properties: [
          {
            kind: 'recoverable',
            name: 'goal-reachable',
            statement: 'The goal stays reachable while the phase lasts.',
            source: 'engine test',
            goal: (state) => state.matches('GOAL'),
            ...(when
              ? { when: (state: ModelState<{ closed: boolean }>) => when(state.context.closed) }
              : {}),
          },
        ],
      }),
    });

  const verdict = (model: ReturnType<typeof phases>) => {
    const result = explore(model);
    return result.properties.find((p) => p.name === 'goal-reachable')!;
  };

  it('without `when`, the closed state that reaches no goal is a violation', () => {
    const property = verdict(phases());
    expect(property.holds).toBe(false);
    expect(property.trace!.steps.map((s) => s.event.type)).toEqual(['close']);
  });

  it('with `when` false in the closed state, it is exempt and the property holds', () => {
    expect(verdict(phases((closed) => !closed)).holds).toBe(true);
  });

  it('a state where `when` holds must still reach the goal, whatever is exempt elsewhere', () => {
    // `when` true only in CLOSED: START and GOAL are exempt, CLOSED is obliged and stuck.
    const property = verdict(phases((closed) => closed));
    expect(property.holds).toBe(false);
    expect(property.trace!.steps.map((s) => s.event.type)).toEqual(['close']);
  });
});
