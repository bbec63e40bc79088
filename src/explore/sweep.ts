/**
 * A bound sweep: explore every combination of bound values and say where every property
 * holds and where it stops holding, with the smallest failing combination's counterexample.
 * It turns "the salt makes a stale reply impossible" into a boundary that can be read off.
 */
import { resolveConfig } from '../model/config.ts';
import { explore, type PropertyResult } from './explore.ts';
import type { ModelDefinition } from '../model/model.ts';

export interface SweepOptions {
  ranges: Record<string, number[]>;
  variants?: string[];
  maxStates?: number;
  /**
   * Only the combinations this shard owns (`sweep --shard i/n`, src/cli/shard.ts decides):
   * the table then holds those rows, and its smallest failure is the shard's own.
   */
  owns?: (position: number) => boolean;
}

export interface SweepRow {
  bounds: Record<string, number>;
  complete: boolean;
  states: number;
  seconds: number;
  /** Names of the properties that fail with these bounds. */
  failed: string[];
}

export interface SweepResult {
  protocol: string;
  variants: string[];
  /** The swept bounds, in the order of the table's columns. */
  swept: string[];
  rows: SweepRow[];
  /** The failing combination with the fewest states, with its counterexamples. */
  smallestFailure: (SweepRow & { counterexamples: PropertyResult[] }) | null;
}

export function sweep(model: ModelDefinition, options: SweepOptions): SweepResult {
  const swept = Object.keys(options.ranges);
  const variants = options.variants ?? [];
  // Check every value up front so that a bad bound fails before hours of exploring.
  for (const name of swept) {
    for (const value of options.ranges[name]) {
      resolveConfig(model, { bounds: { [name]: value }, variants });
    }
  }
  const rows: SweepRow[] = [];
  let smallestFailure: SweepResult['smallestFailure'] = null;
  let position = 0;
  for (const bounds of combinations(swept, options.ranges)) {
    if (options.owns && !options.owns(position++)) continue;
    const result = explore(model, { bounds, variants, maxStates: options.maxStates });
    const failing = result.properties.filter((p) => p.holds === false);
    const row: SweepRow = {
      bounds: result.bounds,
      complete: result.complete,
      states: result.states,
      seconds: result.seconds,
      failed: failing.map((p) => p.name),
    };
    rows.push(row);
    if (failing.length > 0 && (!smallestFailure || row.states < smallestFailure.states)) {
      smallestFailure = { ...row, counterexamples: failing };
    }
  }
  return { protocol: model.name, variants, swept, rows, smallestFailure };
}

/** How many combinations a sweep over `ranges` explores. */
export function sweepSize(ranges: Record<string, number[]>): number {
  return Object.values(ranges).reduce((product, values) => product * values.length, 1);
}

function* combinations(
  names: string[],
  ranges: Record<string, number[]>,
): Generator<Record<string, number>> {
  if (names.length === 0) {
    yield {};
    return;
  }
  const [first, ...rest] = names;
  for (const value of ranges[first]) {
    for (const tail of combinations(rest, ranges)) yield { [first]: value, ...tail };
  }
}
