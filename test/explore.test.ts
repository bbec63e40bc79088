import { getAdjacencyMap } from 'xstate/graph';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/model/config.ts';
import { explore } from '../src/explore/explore.ts';
import { fuzz } from '../src/fuzz/fuzz.ts';
import type { ModelState } from '../src/model/model.ts';
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
