/** Parsing the CLI's option values; every mistake is a UsageError with one clear line. */
import { UsageError } from '../model/config.ts';
import type { ModelDefinition } from '../model/model.ts';

/**
 * An integer option: digits, or an integer in exponent notation (`--runs 1e6`), between `min`
 * and `max` (default: the largest integer a double holds exactly).
 */
export function parseInteger(
  text: string,
  what: string,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const trimmed = text.trim();
  const value = Number(trimmed);
  if (!/^-?\d+(?:\.\d+)?(?:e\+?\d+)?$/i.test(trimmed) || !Number.isInteger(value)) {
    throw new UsageError(`${what} must be an integer, got '${text}'`);
  }
  if (value < min) throw new UsageError(`${what} must be at least ${min}, got ${trimmed}`);
  if (value > max || !Number.isSafeInteger(value)) {
    throw new UsageError(`${what} must be at most ${max}, got ${trimmed}`);
  }
  return value;
}

/** Seeds are 32-bit integers (fast-check's generator): a larger one would silently wrap. */
export function parseSeed(text: string): number {
  return parseInteger(text, '--seed', -(2 ** 31), 2 ** 31 - 1);
}

/** `--bound name=value` pairs; naming a bound twice is a mistake, not an override. */
export function parseBounds(pairs: readonly string[] = []): Record<string, number> {
  const bounds: Record<string, number> = {};
  for (const pair of pairs) {
    const match = /^([A-Za-z][\w-]*)=(-?\d+)$/.exec(pair);
    if (!match) throw new UsageError(`--bound takes name=integer, got '${pair}'`);
    if (match[1] in bounds) {
      throw new UsageError(
        `--bound ${match[1]} is given twice (${match[1]}=${bounds[match[1]]}, ${pair})`,
      );
    }
    bounds[match[1]] = Number(match[2]);
  }
  return bounds;
}

/** `--bound name=a..b` (or name=value) pairs for sweeps: each bound's list of values. */
export function parseBoundRanges(pairs: readonly string[] = []): Record<string, number[]> {
  const ranges: Record<string, number[]> = {};
  for (const pair of pairs) {
    const match = /^([A-Za-z][\w-]*)=(-?\d+)(?:\.\.(-?\d+))?$/.exec(pair);
    if (!match) throw new UsageError(`--bound takes name=a..b or name=value, got '${pair}'`);
    const from = Number(match[2]);
    const to = match[3] === undefined ? from : Number(match[3]);
    if (match[1] in ranges) throw new UsageError(`--bound ${match[1]} is given twice`);
    if (to < from) throw new UsageError(`--bound ${pair}: the range is empty`);
    if (to - from > 64) throw new UsageError(`--bound ${pair}: at most 65 values per bound`);
    ranges[match[1]] = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  }
  return ranges;
}

/** The models named on the command line, or every model when none is named. */
export function selectModels(
  names: readonly string[],
  models: readonly ModelDefinition[],
  { atLeastOne = false, atMostOne = false } = {},
): ModelDefinition[] {
  if (names.length === 0) {
    if (atLeastOne) throw new UsageError(`name a protocol: ${listNames(models)}`);
    return [...models];
  }
  if (atMostOne && names.length > 1) throw new UsageError('name exactly one protocol');
  return names.map((name) => {
    const model = models.find((candidate) => candidate.name === name);
    if (!model) throw new UsageError(`unknown protocol '${name}'; protocols: ${listNames(models)}`);
    return model;
  });
}

function listNames(models: readonly ModelDefinition[]): string {
  return models.length > 0 ? models.map((model) => model.name).join(', ') : '(none registered)';
}
