/**
 * Running benchmark samples and summarising them. Every sample runs in its own process (its
 * peak RSS is its own), and samples of the tools being compared alternate (A B A B ...), so a
 * change in the machine's load during the run hits every tool alike; ratios are taken per
 * pair and then summarised by their median and range.
 */
import { spawnSync } from 'node:child_process';
import type { ChildRow, ChildSpec } from './child.ts';
import type { Measured, Run, Sampled } from './results.ts';
import { runSpin, type AnchorSize } from './spin.ts';

const root = new URL('..', import.meta.url).pathname;

/** Median and range of some samples (the median of an even count is the mean of the middle two). */
export function sampled(values: number[]): Sampled {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return { median: NaN, min: NaN, max: NaN, values };
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted.at(-1)!, values };
}

/** Per-pair ratios a[i] / b[i], summarised. */
export function pairedRatio(a: Run[], b: Run[], of: (run: Run) => number): Sampled {
  const count = Math.min(a.length, b.length);
  return sampled(Array.from({ length: count }, (_, i) => of(a[i]) / of(b[i])));
}

export const rate = (run: Run) => run.states / run.seconds;
export const cpuRate = (run: Run) => run.states / run.cpuSeconds;

/** A tool's samples: its counts (the same in every sample of a complete run) and spreads. */
export function measured(tool: string, runs: Run[]): Measured {
  const last = runs.at(-1)!;
  const perState = (bytes: number | undefined, run: Run) =>
    bytes === undefined ? NaN : bytes / run.states;
  return {
    tool,
    runs,
    states: last.states,
    transitions: last.transitions,
    complete: runs.every((r) => r.complete),
    seconds: sampled(runs.map((r) => r.seconds)),
    cpuSeconds: sampled(runs.map((r) => r.cpuSeconds)),
    statesPerSecond: sampled(runs.map(rate)),
    statesPerCpuSecond: sampled(runs.map(cpuRate)),
    peakRssBytes: sampled(runs.map((r) => r.peakRssBytes)),
    bytesPerState: sampled(runs.map((r) => r.peakRssBytes / r.states)).median,
    bytesAboveBaseline: sampled(
      runs.map((r) =>
        r.baselineRssBytes === undefined ? NaN : (r.peakRssBytes - r.baselineRssBytes) / r.states,
      ),
    ).median,
    storeBytesPerState: sampled(runs.map((r) => perState(r.storeBytes, r))).median,
  };
}

/** One run of ours (or xstate/graph) in a child process. */
export function child(spec: ChildSpec): Run {
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'bench/child.ts', JSON.stringify(spec)],
    { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  if (run.status !== 0) {
    throw new Error(`bench child ${JSON.stringify(spec)} failed:\n${run.stderr}`);
  }
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as ChildRow;
}

/** One SPIN run (its search time is pan's own elapsed time). */
export function spin(size: AnchorSize): Run {
  const r = runSpin(size);
  return {
    states: r.states,
    transitions: r.transitions,
    seconds: r.seconds,
    cpuSeconds: r.cpuSeconds,
    peakRssBytes: r.peakRssBytes,
    complete: r.complete,
  };
}

/**
 * `pairs` rounds of every runner, one after the other in each round (A B C, A B C, ...):
 * the samples of each runner, in round order, so that sample i of A and of B are a pair.
 */
export function alternate(
  pairs: number,
  runners: Record<string, () => Run>,
  log: (line: string) => void,
): Record<string, Run[]> {
  const runs: Record<string, Run[]> = {};
  for (const name of Object.keys(runners)) runs[name] = [];
  for (let round = 0; round < pairs; round++) {
    for (const [name, runner] of Object.entries(runners)) {
      const run = runner();
      runs[name].push(run);
      log(
        `  ${name} #${round + 1}: ${run.states.toLocaleString('en-US')} states in ${run.seconds.toFixed(2)} s (${Math.round(rate(run)).toLocaleString('en-US')}/s, ${run.cpuSeconds.toFixed(2)} cpu s)${run.complete ? '' : ' (budget)'}`,
      );
    }
  }
  return runs;
}
