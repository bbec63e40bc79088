import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/model/config.ts';
import { suiteCoverage } from '../src/testgen/coverage.ts';
import {
  edgeCover,
  generateSuite,
  generateSuites,
  generateSuitesWithin,
  OverBudget,
  randomWalks,
  StepBudget,
  stateCover,
  transitionTour,
  xstateShortestPathsBaseline,
} from '../src/testgen/generate.ts';
import { buildStateGraph, stateKey } from '../src/testgen/state-graph.ts';
import { ModelSystem } from '../src/model/system.ts';
import { serializeSuite } from '../src/testgen/vectors.ts';
import { toyModel } from './fixtures/toy-mailbox.ts';

const graphOf = (bounds: Record<string, number> = {}) =>
  buildStateGraph(new ModelSystem(toyModel, resolveConfig(toyModel, { bounds })));

describe('state graph', () => {
  it('has every state the explorer reaches, each edge replayable by its event index', () => {
    const graph = graphOf();
    expect(graph.complete).toBe(true);
    // The toy's 25 model states (the explorer counts monitor states too, so it is not compared).
    expect(new Set(graph.states.map(stateKey)).size).toBe(graph.states.length);
    for (let s = 0; s < graph.states.length; s++) {
      for (const edge of graph.edges[s]) {
        const events = graph.system.events({ state: graph.states[s], monitors: [] });
        expect(events[edge.eventIndex]).toEqual(edge.event);
        const result = graph.system.compiled.step(graph.states[s], edge.event)!;
        expect(stateKey(result.state)).toBe(stateKey(graph.states[edge.target]));
      }
    }
  });

  it('stops at maxStates and says it is incomplete', () => {
    const graph = buildStateGraph(new ModelSystem(toyModel, resolveConfig(toyModel)), 5);
    expect(graph.complete).toBe(false);
    expect(graph.states.length).toBe(5);
  });
});

describe('generators', () => {
  const boundsList: Record<string, number>[] = [
    {},
    { requests: 5, seqMod: 2 },
    { wire: 3, requests: 4 },
  ];
  for (const bounds of boundsList) {
    it(`the tour takes every reachable transition (bounds ${JSON.stringify(bounds)})`, () => {
      const graph = graphOf(bounds);
      const tour = transitionTour(graph);
      const taken = new Set(tour.flat().flatMap((edge) => edge.transitions));
      expect([...taken].sort((a, b) => a - b)).toEqual(graph.reachableTransitions);
      // Each path is a walk from the initial state along real edges.
      for (const path of tour) {
        let state = 0;
        for (const edge of path) {
          expect(graph.edges[state]).toContain(edge);
          state = edge.target;
        }
      }
    });
  }

  it('the tour is shorter than the shortest paths to every state (xstate/graph)', () => {
    const { suite } = generateSuite(toyModel, { generator: 'tour' });
    const baseline = xstateShortestPathsBaseline(toyModel);
    expect(baseline.paths).toBe(suite.summary.reachableStates);
    expect(suite.summary.steps).toBeGreaterThanOrEqual(suite.summary.reachableTransitions);
    expect(suite.summary.steps).toBeLessThan(baseline.totalLength);
  });

  it('the state cover reaches every reachable state along shortest paths', () => {
    const graph = graphOf({ requests: 4 });
    const depth = new Map<number, number>();
    for (const path of stateCover(graph)) {
      path.forEach((edge, i) => {
        const known = depth.get(edge.target);
        if (known === undefined) depth.set(edge.target, i + 1);
        else expect(known).toBe(i + 1);
      });
    }
    expect(depth.size + 1).toBe(graph.states.length); // + the initial state
    // Shortest: BFS distance equals the position on the path.
    const bfs = new Map<number, number>([[0, 0]]);
    const queue = [0];
    for (let h = 0; h < queue.length; h++) {
      for (const edge of graph.edges[queue[h]]) {
        if (!bfs.has(edge.target)) {
          bfs.set(edge.target, bfs.get(queue[h])! + 1);
          queue.push(edge.target);
        }
      }
    }
    for (const [state, d] of depth) expect(d).toBe(bfs.get(state));
  });

  it('random walks depend only on the seed', () => {
    const graph = graphOf();
    const ids = (paths: ReturnType<typeof randomWalks>) =>
      paths.map((path) => path.map((edge) => edge.eventIndex));
    expect(ids(randomWalks(graph, 7, 10, 30))).toEqual(ids(randomWalks(graph, 7, 10, 30)));
    expect(ids(randomWalks(graph, 7, 10, 30))).not.toEqual(ids(randomWalks(graph, 8, 10, 30)));
  });
});

describe('suites', () => {
  it('same generator, seed and bounds give byte-identical JSON', () => {
    for (const generator of ['tour', 'states', 'random'] as const) {
      const a = serializeSuite(generateSuite(toyModel, { generator, seed: 3 }).suite);
      const b = serializeSuite(generateSuite(toyModel, { generator, seed: 3 }).suite);
      expect(a).toBe(b);
    }
    const other = serializeSuite(generateSuite(toyModel, { generator: 'random', seed: 4 }).suite);
    expect(other).not.toBe(
      serializeSuite(generateSuite(toyModel, { generator: 'random', seed: 3 }).suite),
    );
  });

  it('every step carries the outputs the model emits there', () => {
    const { suite } = generateSuite(toyModel, { generator: 'tour' });
    const steps = suite.vectors.flatMap((v) => v.steps);
    const timeouts = steps.filter((s) => s.event.type === 'timeout' && !s.refused);
    expect(timeouts.length).toBeGreaterThan(0);
    for (const step of timeouts)
      expect(step.outputs).toEqual([expect.objectContaining({ rc: -110 })]);
    // The toy model declares conformance: refusal steps carry no outputs, every step the
    // model's enabled set and projection.
    const refusals = steps.filter((s) => s.refused);
    expect(refusals.map((s) => s.event.type)).toContain('timeout');
    for (const step of refusals) expect(step.outputs).toEqual([]);
    for (const step of steps)
      expect(step.observed).toEqual({ seq: expect.any(Number), inFlight: expect.any(Number) });
  });

  it('suite coverage agrees with the generator: the tour leaves no reachable transition untaken', () => {
    const config = resolveConfig(toyModel);
    const { suite, graph } = generateSuite(toyModel, { generator: 'tour' });
    const coverage = suiteCoverage(toyModel, config, suite);
    const labels = graph.system.compiled.transitions.map((t) => t.label);
    for (const id of graph.reachableTransitions)
      expect(coverage.transitions[labels[id]]).toBeGreaterThan(0);
    const states = suiteCoverage(
      toyModel,
      config,
      generateSuite(toyModel, { generator: 'states' }).suite,
    );
    expect(states.distinctStates).toBe(graph.states.length);
    expect(states.neverActiveStateNodes).toEqual([]);
  });
});

describe('a step budget inside suite generation', () => {
  const [edges, states, pairs] = generateSuites(toyModel, ['edges', 'states', 'pairs'], {});
  const stepsOf = (generated: { suite: { summary: { steps: number } } }) =>
    generated.suite.summary.steps;

  it('a budget below a suite’s size skips it, stopped near the budget, far short of its size', () => {
    for (const [generator, full] of [
      ['edges', edges],
      ['states', states],
      ['pairs', pairs],
    ] as const) {
      const budget = Math.floor(stepsOf(full) / 4);
      const [result] = generateSuitesWithin(toyModel, [generator], {}, budget);
      expect(result, generator).not.toHaveProperty('suite');
      expect(result).toMatchObject({ generator, skipped: { budget } });
      const { steps } = (result as { skipped: { steps: number } }).skipped;
      // It stopped at the first steps past the budget (a route of at most the graph's depth),
      // not after building the suite and counting it.
      expect(steps, generator).toBeGreaterThan(budget);
      expect(steps, generator).toBeLessThan(stepsOf(full) / 2);
    }
  });

  it('the path stage stops the edge cover itself at the first edge past the budget', () => {
    const graph = graphOf();
    const thrown = (() => {
      try {
        edgeCover(graph, new StepBudget(10));
      } catch (error) {
        return error;
      }
    })();
    expect(thrown).toBeInstanceOf(OverBudget);
    expect((thrown as OverBudget).steps).toBeGreaterThan(10);
    expect((thrown as OverBudget).steps).toBeLessThan(edgeCover(graph).flat().length);
  });

  it('refusal steps count: one step short of the suite’s size skips it, at exactly its size', () => {
    const size = stepsOf(edges);
    const refusals = edges.suite.vectors.flatMap((v) => v.steps).filter((s) => s.refused);
    // The graph's edges alone fit: it is the vector steps, refusals included, that pass.
    expect(refusals.length).toBeGreaterThan(0);
    const [over] = generateSuitesWithin(toyModel, ['edges'], {}, size - 1);
    expect(over).toMatchObject({ skipped: { steps: size, budget: size - 1 } });
  });

  it('a budget the suite fits gives the suite generated without one, byte for byte', () => {
    const fitting = generateSuitesWithin(toyModel, ['edges', 'states'], {}, stepsOf(edges));
    expect(fitting[0]).toHaveProperty('suite');
    expect(serializeSuite((fitting[0] as typeof edges).suite)).toBe(serializeSuite(edges.suite));
    // states is smaller than edges here, so the same budget keeps it too.
    expect(stepsOf(states)).toBeLessThanOrEqual(stepsOf(edges));
    expect(serializeSuite((fitting[1] as typeof states).suite)).toBe(serializeSuite(states.suite));
  });
});
