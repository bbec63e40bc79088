import { describe, expect, it } from 'vitest';
import { anchorModel } from '../bench/anchor-mailbox.ts';
import { models } from '../machines/registry.ts';
import { UsageError } from '../src/model/config.ts';
import { explore, type ExploreResult } from '../src/explore/explore.ts';
import { classContextModel } from './fixtures/class-context.ts';
import { toyModel } from './fixtures/toy-mailbox.ts';

/** Everything a result says except the timings and memory. */
const outcome = (r: ExploreResult) => ({
  complete: r.complete,
  states: r.states,
  transitions: r.transitions,
  depth: r.depth,
  storeBytes: r.storeBytes,
  properties: r.properties.map((p) => ({
    name: p.name,
    holds: p.holds,
    message: p.message,
    trace: p.trace?.steps.map((s) => [s.event, s.outputs]),
  })),
  coverage: r.coverage,
});

// Worker threads take a few hundred ms to start; each case below starts two.
describe('parallel exploration (worker threads)', () => {
  it('gives the sequential result on every model, correct and as written', () => {
    // At a budget of 4,000 states (the models' default bounds reach 10^4 to 10^5 states, too
    // many to run twice per model in CI): the budget cuts both runs at the same state, as the
    // test of the anchor's counterexample below shows.
    const budget = { maxStates: 4_000 };
    let tracesCompared = 0;
    for (const model of [toyModel, ...models]) {
      // The default model, and a variant that breaks something (traces must be the same too).
      const broken = model.variants.find((v) => v.breaks.length > 0);
      for (const variants of [[], ...(broken ? [[broken.name]] : [])]) {
        const sequential = explore(model, { variants, ...budget });
        // workersOnly: every state goes through a worker, which starts knowing no string,
        // object shape or configuration and must hand back what it cannot number.
        const parallel = explore(model, { variants, workers: 2, workersOnly: true, ...budget });
        expect(outcome(parallel), `${model.name} ${variants.join()}`).toEqual(outcome(sequential));
        expect(parallel.parallel).toEqual({ workers: 2, expandedByWorkers: sequential.states });
        if (sequential.properties.some((p) => p.holds === false)) tracesCompared++;
      }
    }
    // Some variants fail within the budget (the toy's, pci-doe's, idpf-xn's, mic-cosm's at
    // this writing), so counterexamples are compared too, not only verdicts that hold.
    expect(tracesCompared).toBeGreaterThanOrEqual(3);
  }, 300_000);

  it('hands the frontier to the workers on a large model and still finds SPIN’s numbers', () => {
    // 346,785 states: long enough that the workers, not the main thread, expand most of them.
    const parallel = explore(anchorModel, { workers: 2 });
    expect([parallel.states, parallel.transitions + 1]).toEqual([346_785, 852_148]);
    expect(parallel.parallel!.expandedByWorkers).toBeGreaterThan(parallel.states / 2);
    expect(parallel.properties.every((p) => p.holds === true)).toBe(true);
  }, 120_000);

  it('finds the same shortest counterexample and stops at the same budget', () => {
    const request = { variants: ['buggy-timeout'], maxStates: 30_000 };
    const sequential = explore(anchorModel, request);
    const parallel = explore(anchorModel, { ...request, workers: 2, workersOnly: true });
    expect(parallel.complete).toBe(false);
    expect(outcome(parallel)).toEqual(outcome(sequential));
    const ghost = parallel.properties.find((p) => p.name === 'ghost-generation')!;
    expect(ghost.trace!.steps).toHaveLength(11);
  }, 60_000);

  it('falls back to JSON keys in one thread when the context is not plain data', () => {
    const sequential = explore(classContextModel);
    const parallel = explore(classContextModel, { workers: 2, workersOnly: true });
    expect(parallel.states).toBeGreaterThan(10);
    expect(outcome(parallel)).toEqual(outcome(sequential));
  }, 60_000);

  it('refuses a model that does not name its module, and a bad worker count', () => {
    const { module: _module, ...anonymous } = toyModel;
    expect(() => explore(anonymous, { workers: 2 })).toThrow(UsageError);
    expect(() => explore(toyModel, { workers: 0 })).toThrow(/at least 1/);
    expect(() => explore(toyModel, { workers: 1.5 })).toThrow(UsageError);
  });
});
