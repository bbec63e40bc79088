/** What a search is asked (options) and what it returns (result): shared by the sequential and
 * the parallel explorer and by everything that reads a result (reports, sweeps, the inspector). */
import type { ConfigRequest } from '../model/config.ts';
import type { Trace } from '../model/trace.ts';

export interface ExploreOptions extends ConfigRequest {
  /** Stop after this many distinct states; the result is then incomplete. */
  maxStates?: number;
  /** Stop after about this many seconds; the result is then incomplete. */
  maxSeconds?: number;
  /**
   * How the visited set is stored: `compact` (default) keeps each state as tagged bytes in one
   * arena, exact and decodable, falling back to `json` when a context is not plain JSON data;
   * `json` is the original Map of JSON keys with snapshots queued until expanded.
   */
  store?: 'compact' | 'json';
  /**
   * Worker threads that expand states (default 1: no threads, the search runs in this thread).
   * The result is the same either way; the model must name its `module`.
   */
  workers?: number;
  /**
   * Symmetry reduction (src/explore/symmetry.ts): store one representative per orbit of the
   * model's declared symmetry (`ModelInstance.symmetry`). Verdicts are those of the unreduced
   * model when the declaration is sound; traces are concrete. One thread only.
   */
  symmetry?: boolean;
  /**
   * Checking mode (src/model/model-error.ts): every context frozen, so that a model changing
   * one in place fails at once, naming the culprit. Default: on in the test suite
   * (MAILBOX_MODELS_CHECKING=1), off otherwise. Worker threads follow the default.
   */
  checking?: boolean;
  /** Called about once a second with the progress so far. */
  onProgress?: (progress: { states: number; transitions: number; seconds: number }) => void;
}

export type PropertyKind = 'invariant' | 'step' | 'monitor' | 'recoverable' | 'deadlock';

export interface PropertyResult {
  name: string;
  kind: PropertyKind;
  statement: string;
  source: string;
  /** `null` when the run stopped before the property could be decided. */
  holds: boolean | null;
  /**
   * Why the property holds only vacuously (never put to the test), when the model lint found so
   * (src/lint/): `check` fills it in from the lint of the same configuration.
   */
  vacuous?: string;
  message?: string;
  trace?: Trace;
}

export interface Coverage {
  /** Reachable states in which each state node is active. */
  stateNodes: Record<string, number>;
  /** How often each model transition was taken over all explored steps. */
  transitions: Record<string, number>;
}

export interface ExploreResult {
  protocol: string;
  bounds: Record<string, number>;
  variants: string[];
  complete: boolean;
  states: number;
  transitions: number;
  depth: number;
  seconds: number;
  peakRssBytes: number;
  /** Bytes held by the visited set and the parent links (what a stored state costs). */
  storeBytes?: number;
  /** With symmetry reduction: the groups reduced by and their sizes (states are representatives). */
  symmetry?: Array<{ name: string; members: number }>;
  /** With worker threads: how many, and how many states they expanded (the rest: this thread). */
  parallel?: { workers: number; expandedByWorkers: number };
  properties: PropertyResult[];
  coverage: Coverage;
}
