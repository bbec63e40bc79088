/** What one `npm run bench` measured: written to bench/results.json, read by the report. */
import type { Curve } from './curves.ts';
import type { AnchorSize } from './spin.ts';

/** One sample of one tool. */
export interface Run {
  states: number;
  transitions: number;
  /** Search time: pan's own `elapsed time`, our `result.seconds`. */
  seconds: number;
  /** The process's user + system time (worker threads included). */
  cpuSeconds: number;
  peakRssBytes: number;
  /** Node rows: the RSS before the search (runtime, tsx, XState, the model). */
  baselineRssBytes?: number;
  /** Ours: bytes of the visited set and the search tree's links. */
  storeBytes?: number;
  complete: boolean;
  /** Ours: each property's verdict (true, false, or null when undecided). */
  verdicts?: Record<string, boolean | null>;
}

/** Samples of one quantity: median and range. */
export interface Sampled {
  median: number;
  min: number;
  max: number;
  values: number[];
}

/** A tool's samples at one configuration. */
export interface Measured {
  tool: string;
  runs: Run[];
  states: number;
  transitions: number;
  complete: boolean;
  seconds: Sampled;
  cpuSeconds: Sampled;
  statesPerSecond: Sampled;
  statesPerCpuSecond: Sampled;
  peakRssBytes: Sampled;
  /** Medians over the samples. */
  bytesPerState: number;
  /** (peak RSS - RSS before the search) / states: what each state added. */
  bytesAboveBaseline: number;
  storeBytesPerState: number;
}

/** The anchor at one size: SPIN, ours on one thread and ours with worker threads, alternated. */
export interface AnchorRow {
  size: AnchorSize;
  spin?: Measured;
  ours: Measured;
  workers: Measured;
  workerCount: number;
  /** Per round: ours / SPIN states/s (wall) and per CPU second. */
  ratioToSpin?: Sampled;
  cpuRatioToSpin?: Sampled;
  /** Per round: states/s with workers / states/s on one thread. */
  speedUp: Sampled;
}

/** A protocol at its deep bounds, alternated with the anchor at its base size. */
export interface ProtocolRow {
  protocol: string;
  bounds: Record<string, number>;
  ours: Measured;
  anchor: Measured;
  /** Per round: the protocol's states/s / the anchor's, wall and per CPU second. */
  ratioToAnchor: Sampled;
  cpuRatioToAnchor: Sampled;
  error?: string;
}

/**
 * A model with a symmetry declaration, explored without and with the reduction in alternating
 * rounds (the anchor at its base size, each declaring protocol at its deep bounds).
 */
export interface SymmetryRow {
  model: string;
  bounds: Record<string, number>;
  /** The declared groups and their sizes. */
  groups: Array<{ name: string; members: number }>;
  unreduced: Measured;
  reduced: Measured;
  /** Unreduced states / reduced states (NaN unless both runs are complete). */
  reduction: number;
  /** Per round: unreduced seconds / reduced seconds (how much sooner the verdict comes). */
  speedUp: Sampled;
  /** Per round: reduced states/s / unreduced states/s (what canonicalising costs per state). */
  rateRatio: Sampled;
  /** Whether both runs gave every property the same verdict. */
  sameVerdicts: boolean;
  error?: string;
}

export interface Results {
  machine: Machine;
  /** The command that produced these numbers, with the BENCH_ knobs it was given. */
  command?: string;
  /** Rounds of alternation per comparison. */
  pairs: number;
  /** The anchor at growing sizes; the first is the base size the protocols are compared to. */
  anchor: AnchorRow[];
  /** Single samples at the base size: the previous store and xstate/graph. */
  references: { json?: Run; xstateGraph?: Run; xstateBudgetSeconds: number };
  spinSkipped?: string;
  protocols: ProtocolRow[];
  /** Symmetry reduction, per model that declares it (absent in runs before it existed). */
  symmetry?: SymmetryRow[];
  /** The budget of one protocol run (BENCH_PROTOCOL_SECONDS). */
  protocolSeconds: number;
  curves: Curve[];
  curveBudget: { maxStates: number; maxSeconds: number };
}

export interface Machine {
  nproc: number;
  cpu: string;
  node: string;
  spin: string;
  loadAverageAtStart: number;
  loadAverageAtEnd: number;
  date: string;
}
