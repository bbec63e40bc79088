/**
 * The path past one machine: `sweep` and `conform --variant all` take `--shard i/n` (1-based,
 * as vitest and playwright spell it) and run only their share of the work, and `merge` joins
 * the shards' documents into what the unsharded run prints.
 *
 * The work is a list in a stable order (a sweep's bound combinations, the kill matrix's rows),
 * dealt round-robin: the unit at position p goes to shard (p mod n) + 1. Neighbouring units
 * cost alike (a sweep grows along its last bound), so dealing them out one by one keeps the
 * shards balanced, and nothing depends on time, hashing or the machine.
 *
 * A shard document records everything its results depend on (the command, the protocol, the
 * options that shape the run and a fingerprint of the sources), so that `merge` refuses shards
 * of different runs instead of printing a table that no single run would print.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../model/config.ts';
import { canonicalJson } from '../testgen/vectors.ts';
import { REPOSITORY, sourceFingerprint } from './source-fingerprint.ts';

export interface Shard {
  /** 1-based: shard 1 of n is the first. */
  index: number;
  count: number;
}

export type ShardedCommand = 'sweep' | 'conform';

export const SHARD_FORMAT = 'mailbox-models-shard';
export const SHARD_VERSION = 1;

export interface ShardDocument<Result = unknown> {
  format: typeof SHARD_FORMAT;
  version: typeof SHARD_VERSION;
  command: ShardedCommand;
  protocol: string;
  /** The options that decide the results: shards merge only when these are equal. */
  run: Record<string, unknown>;
  /** SHA-256 of the models, drivers and engine the shard ran on. */
  sources: string;
  shard: Shard;
  /** Units of work in the whole run (bound combinations; kill-matrix rows). */
  units: number;
  /** Where this shard's units stand in the whole run's order, ascending. */
  positions: number[];
  /** The command's own result for this shard's units (the unsharded JSON, restricted). */
  result: Result;
}

/** `--shard i/n`: 1 ≤ i ≤ n. */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!match) throw new UsageError(`--shard takes i/n (1-based, as in 2/3), got '${text}'`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1) throw new UsageError(`--shard ${text}: n must be at least 1`);
  if (index < 1 || index > count) {
    throw new UsageError(`--shard ${text}: i must be between 1 and ${count}`);
  }
  return { index, count };
}

/** Whether the unit at `position` (0-based, in the whole run's order) is this shard's. */
export function inShard(shard: Shard | undefined, position: number): boolean {
  return shard === undefined || position % shard.count === shard.index - 1;
}

/** The positions of `shard`'s units among `units`. */
export function shardPositions(shard: Shard, units: number): number[] {
  const positions: number[] = [];
  for (let p = shard.index - 1; p < units; p += shard.count) positions.push(p);
  return positions;
}

/** What a shard's results depend on: models, properties, drivers, the C harness, the engine. */
const SHARD_SOURCES = ['machines', 'properties', 'drivers', 'harness', 'src', 'package-lock.json'];

let fingerprint: string | undefined;

/** SHA-256 over the names and contents of the sources (computed once per process). */
export function shardSources(): string {
  fingerprint ??= sourceFingerprint(REPOSITORY, SHARD_SOURCES);
  return fingerprint;
}

export function shardDocument<Result>(
  fields: Omit<ShardDocument<Result>, 'format' | 'version' | 'sources' | 'positions'>,
): ShardDocument<Result> {
  return {
    format: SHARD_FORMAT,
    version: SHARD_VERSION,
    ...fields,
    sources: shardSources(),
    positions: shardPositions(fields.shard, fields.units),
  };
}

const label = (document: ShardDocument) =>
  `${document.command} ${document.protocol} shard ${document.shard.index}/${document.shard.count}`;

/** Reads one shard document; anything else is a UsageError naming the file. */
function readShard(file: string): ShardDocument {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  let document: Partial<ShardDocument>;
  try {
    document = JSON.parse(text) as Partial<ShardDocument>;
  } catch (error) {
    throw new UsageError(`${file}: not JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  const notShard = `${file}: not a shard document (write one with sweep or conform --variant all --shard i/n --out FILE)`;
  if (typeof document !== 'object' || document === null || document.format !== SHARD_FORMAT) {
    throw new UsageError(notShard);
  }
  if (document.version !== SHARD_VERSION) {
    throw new UsageError(
      `${file}: shard format version ${document.version}, this tool reads ${SHARD_VERSION}`,
    );
  }
  const { command, shard, units, positions } = document;
  const wellFormed =
    (command === 'sweep' || command === 'conform') &&
    typeof document.protocol === 'string' &&
    typeof document.sources === 'string' &&
    typeof document.run === 'object' &&
    document.run !== null &&
    Number.isInteger(shard?.index) &&
    Number.isInteger(shard?.count) &&
    shard!.index >= 1 &&
    shard!.index <= shard!.count &&
    Number.isInteger(units) &&
    Array.isArray(positions) &&
    canonicalJson(positions) === canonicalJson(shardPositions(shard!, units!)) &&
    typeof document.result === 'object' &&
    document.result !== null;
  if (!wellFormed) throw new UsageError(`${file}: a damaged shard document`);
  return document as ShardDocument;
}

/** The first option (by name) on which two runs differ, as `name: a vs b`. */
function firstDifference(a: Record<string, unknown>, b: Record<string, unknown>): string {
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const name = names.find((n) => canonicalJson(a[n] ?? null) !== canonicalJson(b[n] ?? null))!;
  const show = (value: unknown) => (value === undefined ? '(not given)' : canonicalJson(value));
  return `${name}: ${show(a[name])} vs ${show(b[name])}`;
}

/**
 * The shard documents in `files`, checked to be every shard of one run exactly once, in shard
 * order. Every refusal is one line naming the files it is about.
 */
export function readShards(files: readonly string[]): ShardDocument[] {
  if (files.length === 0) throw new UsageError('merge needs the shard files: merge FILE ...');
  const documents = files.map(readShard);
  const [first] = documents;
  const firstFile = files[0];
  documents.forEach((document, i) => {
    const file = files[i];
    const against = `${firstFile} (${label(first)}) and ${file} (${label(document)})`;
    if (document.command !== first.command) {
      throw new UsageError(`${against} come from different commands`);
    }
    if (document.protocol !== first.protocol) {
      throw new UsageError(`${against} are of different protocols`);
    }
    if (document.shard.count !== first.shard.count) {
      throw new UsageError(`${against} split the run into different numbers of shards`);
    }
    if (canonicalJson(document.run) !== canonicalJson(first.run)) {
      throw new UsageError(
        `${against} ran different configurations (${firstDifference(first.run, document.run)})`,
      );
    }
    if (document.units !== first.units) {
      throw new UsageError(
        `${against} have different numbers of units (${first.units} vs ${document.units})`,
      );
    }
    if (document.sources !== first.sources) {
      throw new UsageError(
        `${against} ran on different sources (models, drivers or engine changed between them)`,
      );
    }
  });
  const byIndex = new Map<number, number>();
  documents.forEach((document, i) => {
    const seen = byIndex.get(document.shard.index);
    if (seen !== undefined) {
      throw new UsageError(
        `shard ${document.shard.index}/${document.shard.count} is given twice (${files[seen]}, ${files[i]})`,
      );
    }
    byIndex.set(document.shard.index, i);
  });
  const missing = Array.from({ length: first.shard.count }, (_, i) => i + 1).filter(
    (index) => !byIndex.has(index),
  );
  if (missing.length > 0) {
    throw new UsageError(
      `shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${first.shard.count}`).join(', ')} ` +
        `of ${label(first).replace(/ shard .*/, '')} ${missing.length > 1 ? 'are' : 'is'} missing`,
    );
  }
  return [...documents].sort((a, b) => a.shard.index - b.shard.index);
}

/**
 * The units of all shards in the whole run's order: `rowsOf` gives a shard's units in its
 * positions' order.
 */
export function inRunOrder<Row>(
  documents: readonly ShardDocument[],
  rowsOf: (document: ShardDocument) => readonly Row[],
): Row[] {
  const rows: Row[] = new Array<Row>(documents[0]?.units ?? 0);
  for (const document of documents) {
    const own = rowsOf(document);
    if (own.length !== document.positions.length) {
      throw new UsageError(
        `${label(document)}: ${own.length} results for ${document.positions.length} units (a damaged shard document)`,
      );
    }
    document.positions.forEach((position, i) => (rows[position] = own[i]));
  }
  return rows;
}
