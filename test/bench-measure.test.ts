import { describe, expect, it } from 'vitest';
import { alternate, measured, pairedRatio, rate, sampled } from '../bench/measure.ts';
import type { AnchorRow, Results, Run } from '../bench/results.ts';
import { cpuCost, workersSection } from '../bench/workers-section.ts';

const run = (states: number, seconds: number): Run => ({
  states,
  transitions: 0,
  seconds,
  cpuSeconds: seconds,
  peakRssBytes: 0,
  complete: true,
});

describe('bench summaries', () => {
  it('gives the median and range, the median of an even count being the mean of the middle two', () => {
    expect(sampled([3, 1, 2])).toMatchObject({ median: 2, min: 1, max: 3 });
    expect(sampled([4, 1, 3, 2])).toMatchObject({ median: 2.5, min: 1, max: 4 });
    // A sample that could not be measured (0 / 0) is left out of the summary, not counted as 0.
    expect(sampled([NaN, 5, 7])).toMatchObject({ median: 6, min: 5, max: 7 });
    expect(sampled([]).median).toBeNaN();
  });

  it('takes ratios within each round, not between medians', () => {
    // Rates per round: ours 10, 100, 60; SPIN 20, 100, 400. Per round 0.5, 1 and 0.15; the
    // ratio of the medians (60 / 100) would be 0.6, a ratio no round showed.
    const ours = [run(100, 10), run(100, 1), run(60, 1)];
    const spin = [run(100, 5), run(100, 1), run(400, 1)];
    const ratio = pairedRatio(ours, spin, rate);
    expect(ratio.values).toEqual([0.5, 1, 0.15]);
    expect(ratio).toMatchObject({ median: 0.5, min: 0.15, max: 1 });
    // A round cut short (a sample without its pair) is dropped.
    expect(pairedRatio([...ours, run(1, 1)], spin, rate).values).toHaveLength(3);
  });

  it('alternates the tools within each round, in order', () => {
    const calls: string[] = [];
    const runner = (name: string) => () => {
      calls.push(name);
      return run(calls.length, 1);
    };
    const runs = alternate(3, { spin: runner('spin'), ours: runner('ours') }, () => {});
    expect(calls).toEqual(['spin', 'ours', 'spin', 'ours', 'spin', 'ours']);
    expect(runs.spin.map((r) => r.states)).toEqual([1, 3, 5]);
    expect(runs.ours.map((r) => r.states)).toEqual([2, 4, 6]);
  });
});

describe('the workers section of the bench page', () => {
  const anchorRow = (workerSeconds: number[]): AnchorRow => {
    const ours = [run(6e6, 100), run(6e6, 100), run(6e6, 100)];
    const workers = workerSeconds.map((s) => ({ ...run(6e6, s), cpuSeconds: 120 }));
    return {
      size: { slots: 4, seqMod: 5, qlen: 1 },
      ours: measured('ours', ours),
      workers: measured('workers', workers),
      workerCount: 2,
      speedUp: pairedRatio(workers, ours, rate),
    };
  };
  const results = (load: number, row: AnchorRow): Results => ({
    machine: {
      nproc: 2,
      cpu: 'test',
      node: 'v20',
      spin: 'none',
      loadAverageAtStart: load,
      loadAverageAtEnd: load,
      date: '2026-12-03T00:00:00Z',
    },
    command: 'BENCH_SECTIONS=anchor npm run bench',
    pairs: 3,
    anchor: [row],
    references: { xstateBudgetSeconds: 0 },
    protocols: [],
    protocolSeconds: 0,
    curves: [],
    curveBudget: { maxStates: 0, maxSeconds: 0 },
  });

  it('gives the CPU cost per round and calls the target only on an idle machine', () => {
    const faster = anchorRow([80, 50, 100]); // speed-ups 1.25, 2, 1
    expect(cpuCost(faster)).toMatchObject({ median: 1.2, min: 1.2, max: 1.2 });
    expect(workersSection(results(1.5, faster))).toMatch(
      /Measured: 1\.25× \(1\.00–2\.00\) at 6,000,000 states: \*\*reached\*\*/,
    );
    expect(workersSection(results(20, faster))).toMatch(
      /\*\*not shown\*\*: the load \(20 at the start/,
    );
    expect(workersSection(results(1.5, anchorRow([125, 125, 110])))).toMatch(/\*\*not reached\*\*/);
  });
});
