/**
 * Two-way conformance (src/testgen/conform.ts): refusal steps, the enabled set and observed
 * fields each kill a driver bug that outputs alone cannot see, on the toy driver's two such
 * variants; and the graph-edge and transition-pair suites cover what they claim to.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/model/config.ts';
import { ModelSystem } from '../src/model/system.ts';
import { runSuite, formatDivergence, type DriverDefinition } from '../src/testgen/conform.ts';
import { edgeCover, generateSuite, transitionPairs } from '../src/testgen/generate.ts';
import { buildStateGraph, edgeCount } from '../src/testgen/state-graph.ts';
import { outputsOnly, parseSuite, serializeSuite } from '../src/testgen/vectors.ts';
import { toyDriver } from './fixtures/toy-driver.ts';
import { toyModel } from './fixtures/toy-mailbox.ts';

const suites = (['tour', 'states', 'random', 'edges', 'pairs'] as const).map(
  (generator) => generateSuite(toyModel, { generator }).suite,
);

/** The toy driver with `enabled()` or `observe()` taken away from its adapter. */
function without(method: 'enabled' | 'observe'): DriverDefinition {
  return {
    ...toyDriver,
    create: (variants) => {
      const adapter = toyDriver.create(variants);
      return { reset: adapter.reset, apply: adapter.apply, [method]: undefined };
    },
  };
}

describe('two-way conformance', () => {
  it('the correct toy driver conforms to every suite with every check on', () => {
    for (const suite of suites) {
      const result = runSuite(toyDriver, suite);
      expect(result.conforms, result.divergence && formatDivergence(result.divergence)).toBe(true);
      expect(result.checked.enabled && result.checked.observed).toBe(true);
    }
    expect(suites[0].vectors.flatMap((v) => v.steps).some((s) => s.refused)).toBe(true);
  });

  it('a timer left armed conforms on outputs alone (the old blind spot)', () => {
    for (const suite of suites) {
      expect(runSuite(toyDriver, outputsOnly(suite), ['timer-left-armed']).conforms).toBe(true);
    }
  });

  it('the enabled set kills a timer left armed right after the reply that should disarm it', () => {
    const { divergence } = runSuite(toyDriver, suites[0], ['timer-left-armed']);
    expect(divergence).toMatchObject({ kind: 'enabled', onlyDriver: [{ type: 'timeout' }] });
    expect(divergence!.event!.type).toBe('reply');
    expect(formatDivergence(divergence!)).toMatch(
      /the driver can take next, the model cannot: timeout/,
    );
  });

  it('refusal steps kill it too when the adapter does not report enabled events', () => {
    const { divergence, checked } = runSuite(without('enabled'), suites[0], ['timer-left-armed']);
    expect(checked.enabled).toBe(false);
    expect(divergence).toMatchObject({ kind: 'refusal', event: { type: 'timeout' } });
    expect(divergence!.error).toMatch(/took an input the model refuses/);
  });

  it('observe() names the field of a silent state divergence at the step that causes it', () => {
    const { divergence } = runSuite(toyDriver, suites[0], ['timeout-bumps-seq']);
    expect(divergence).toMatchObject({
      kind: 'observed',
      field: 'seq',
      event: { type: 'timeout' },
    });
    expect(divergence!.driverValue).toBe((divergence!.modelValue as number) + 1);
    // Without observe() the same bug shows only later, when a reply no longer matches.
    const late = runSuite(without('observe'), suites[0], ['timeout-bumps-seq']).divergence;
    expect(late === undefined || late.step > divergence!.step).toBe(true);
  });
});

describe('graph suites', () => {
  const system = new ModelSystem(toyModel, resolveConfig(toyModel));
  const graph = buildStateGraph(system);

  it('edges takes every edge of the state graph, in at least as many steps as there are edges', () => {
    const paths = edgeCover(graph);
    const taken = new Set<string>();
    for (const path of paths) {
      let state = 0;
      for (const edge of path) {
        taken.add(`${state}:${graph.edges[state].indexOf(edge)}`);
        state = edge.target;
      }
    }
    expect(taken.size).toBe(edgeCount(graph));
    expect(paths.reduce((n, p) => n + p.length, 0)).toBeGreaterThanOrEqual(edgeCount(graph));
  });

  it('pairs takes every feasible pair of consecutive transitions', () => {
    const label = (edge: { transitions: number[] }) => edge.transitions.join('+');
    const feasible = new Set<string>();
    graph.edges.forEach((out, state) => {
      for (const edge of out) {
        if (state === 0) feasible.add(`>${label(edge)}`);
        for (const next of graph.edges[edge.target]) feasible.add(`${label(edge)}>${label(next)}`);
      }
    });
    const seen = new Set<string>();
    for (const path of transitionPairs(graph)) {
      path.forEach((edge, i) => seen.add(`${i === 0 ? '' : label(path[i - 1])}>${label(edge)}`));
    }
    expect([...feasible].filter((pair) => !seen.has(pair))).toEqual([]);
  });
});

describe('vector format 2', () => {
  it('round-trips refusal steps, enabled sets and projections', () => {
    const text = serializeSuite(suites[0]);
    const parsed = parseSuite(text);
    expect(parsed.version).toBe(2);
    expect(parsed.vectors).toEqual(suites[0].vectors);
    expect(parsed.initialObserved).toEqual({ seq: 0, inFlight: 0 });
  });

  it('refuses a refusal step with outputs, and still reads version 1', () => {
    const document = JSON.parse(serializeSuite(suites[0]));
    const refusal = document.vectors[0].steps.findIndex((s: { refused?: boolean }) => s.refused);
    document.vectors[0].steps[refusal].outputs = [{ type: 'complete' }];
    expect(() => parseSuite(JSON.stringify(document), 'f.json')).toThrow(
      /f\.json: vectors\[0\]\.steps\[\d+\]\.outputs: must be empty on a refusal step/,
    );
    const v1 = { ...JSON.parse(serializeSuite(outputsOnly(suites[1]))), version: 1 };
    expect(parseSuite(JSON.stringify(v1)).vectors.length).toBe(suites[1].vectors.length);
  });
});
