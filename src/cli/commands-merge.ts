/**
 * `merge FILE ...`: the shard documents of one `sweep --shard i/n` or `conform --variant all
 * --shard i/n` run, joined into the table (or, with --json, the document) and the exit code
 * that the unsharded run gives. Shards of different runs, a shard given twice or a missing one
 * are refused with one line (src/cli/shard.ts), before anything is printed.
 */
import type { SweepResult } from '../explore/sweep.ts';
import { EXIT, type Command } from './command.ts';
import { formatKillMatrix, killMatrixPasses, killVerdict, type KillMatrix } from './kill-matrix.ts';
import { formatSweepTable } from './report-text.ts';
import { inRunOrder, readShards, type ShardDocument } from './shard.ts';
import { canonicalJson } from '../testgen/vectors.ts';

/** A sweep's exit code: 1 where a combination fails, else 3 where one ran out of budget. */
export function sweepExitCode(result: SweepResult): number {
  if (result.rows.some((row) => row.failed.length > 0)) return EXIT.failed;
  if (result.rows.some((row) => !row.complete)) return EXIT.budget;
  return EXIT.ok;
}

/**
 * The sweep the shards are parts of. Its smallest failure is the shards' smallest with the
 * fewest states, the earliest in the table on a tie, as the unsharded sweep picks it.
 */
export function mergeSweep(documents: readonly ShardDocument[]): SweepResult {
  const results = documents.map((document) => document.result as SweepResult);
  const rows = inRunOrder(documents, (document) => (document.result as SweepResult).rows);
  const positionOf = (bounds: Record<string, number>) =>
    rows.findIndex((row) => canonicalJson(row.bounds) === canonicalJson(bounds));
  let smallestFailure: SweepResult['smallestFailure'] = null;
  for (const candidate of results.map((result) => result.smallestFailure)) {
    if (!candidate) continue;
    if (
      !smallestFailure ||
      candidate.states < smallestFailure.states ||
      (candidate.states === smallestFailure.states &&
        positionOf(candidate.bounds) < positionOf(smallestFailure.bounds))
    ) {
      smallestFailure = candidate;
    }
  }
  const [{ protocol, variants, swept }] = results;
  return { protocol, variants, swept, rows, smallestFailure };
}

/** The kill matrix the shards are parts of, rows in the unsharded order. */
export function mergeKillMatrix(documents: readonly ShardDocument[]): KillMatrix {
  const matrix = inRunOrder(documents, (document) => (document.result as KillMatrix).matrix);
  return { protocol: documents[0].protocol, conforms: killVerdict(matrix).conforms, matrix };
}

const merge: Command = ({ io, values, positionals }) => {
  const documents = readShards(positionals);
  if (documents[0].command === 'sweep') {
    const result = mergeSweep(documents);
    io.stdout(
      values.json ? JSON.stringify(result, null, 2) + '\n' : formatSweepTable(result) + '\n',
    );
    return sweepExitCode(result);
  }
  const matrix = mergeKillMatrix(documents);
  io.stdout(values.json ? JSON.stringify(matrix, null, 2) + '\n' : formatKillMatrix(matrix.matrix));
  return killMatrixPasses(matrix.matrix) ? EXIT.ok : EXIT.failed;
};

export const mergeCommands: Record<string, Command> = { merge };
