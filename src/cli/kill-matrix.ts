/**
 * `conform <p> --variant all`'s kill matrix: one row per (driver, bounds) replayed against
 * every suite at those bounds, and where each suite first kills it. Split out of
 * commands-testgen.ts so that `merge` prints the rows of several shards as one run would.
 */
import type { DivergenceKind } from '../testgen/conform.ts';
import { GENERATORS, type GeneratorName } from '../testgen/vectors.ts';

/** Where a suite first kills a variant, and what diverged there (the field, if observed). */
export type KilledAt = {
  vector: string;
  step: number;
  kind: DivergenceKind;
  field?: string;
} | null;

export interface KillRow {
  variant: string;
  /** The killBounds the variant declares, when its row ran at them. */
  killBounds?: Readonly<Record<string, number>>;
  bounds: Readonly<Record<string, number>>;
  /** Per suite replayed at the row's bounds: where it first diverged, or null. */
  suites: Record<string, KilledAt>;
}

/** The unsharded JSON document of `conform --variant all --json`. */
export interface KillMatrix {
  protocol: string;
  conforms: boolean;
  matrix: KillRow[];
}

/** The name of the rows that replay the correct driver (at the defaults and each killBounds). */
export const CORRECT_DRIVER = '(correct driver)';

export function killVerdict(matrix: readonly KillRow[]): {
  conforms: boolean;
  bugs: number;
  survivors: string[];
} {
  const clean = (row: KillRow) => Object.values(row.suites).every((k) => k === null);
  const bugs = matrix.filter((row) => row.variant !== CORRECT_DRIVER);
  return {
    conforms: matrix.filter((row) => row.variant === CORRECT_DRIVER).every(clean),
    bugs: bugs.length,
    survivors: bugs.filter(clean).map((row) => row.variant),
  };
}

/** Exit 0 only when the correct driver conforms everywhere and every variant is killed. */
export function killMatrixPasses(matrix: readonly KillRow[]): boolean {
  const { conforms, survivors } = killVerdict(matrix);
  return conforms && survivors.length === 0;
}

const formatBounds = (bounds: Readonly<Record<string, number>>) =>
  Object.entries(bounds)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');

/**
 * The table: every suite replayed at some row's bounds gets a column; a suite too large to
 * replay at a row's bounds is `n/a` there, not a `-` that would claim it was replayed and
 * conformed. Without `verdict`, the last line (a shard's rows alone do not decide it) is left
 * to the caller.
 */
export function formatKillTable(matrix: readonly KillRow[]): string[] {
  const order = (name: string) => {
    const i = GENERATORS.indexOf(name as GeneratorName);
    return i < 0 ? GENERATORS.length : i;
  };
  const names = [...new Set(matrix.flatMap((row) => Object.keys(row.suites)))].sort(
    (a, b) => order(a) - order(b),
  );
  const width = Math.max(0, ...matrix.map((row) => row.variant.length));
  const cell = (k: KilledAt | undefined) =>
    (k === undefined ? 'n/a' : k ? `${k.vector}@${k.step} ${k.kind}` : '-').padEnd(26);
  const line = (first: string, cells: string[], last: string) =>
    `${first.padEnd(width)}  ${cells.join('')}${last}`.trimEnd();
  return [
    line(
      '',
      names.map((n) => n.padEnd(26)),
      'bounds',
    ),
    ...matrix.map((row) =>
      line(
        row.variant,
        names.map((n) => cell(row.suites[n])),
        formatBounds(row.bounds),
      ),
    ),
  ];
}

export function formatKillVerdict(matrix: readonly KillRow[]): string {
  const { conforms, bugs, survivors } = killVerdict(matrix);
  return (
    `${conforms ? 'the correct driver conforms' : 'THE CORRECT DRIVER DIVERGES'}; ` +
    `${bugs - survivors.length} of ${bugs} variants killed` +
    (survivors.length > 0 ? ` (survivors: ${survivors.join(', ')})` : '')
  );
}

/** What `conform --variant all` prints for the whole matrix (and `merge` for its shards). */
export function formatKillMatrix(matrix: readonly KillRow[]): string {
  return [...formatKillTable(matrix), formatKillVerdict(matrix)].join('\n') + '\n';
}
