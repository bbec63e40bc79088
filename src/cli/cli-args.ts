/** Parsing the CLI's option values; every mistake is a UsageError with one clear line. */
import { UsageError } from '../model/config.ts';
import type { ModelDefinition } from '../model/model.ts';

export function parseInteger(text: string, what: string, min = 0): number {
  if (!/^-?\d+$/.test(text.trim()))
    throw new UsageError(`${what} must be an integer, got '${text}'`);
  const value = Number(text);
  if (value < min) throw new UsageError(`${what} must be at least ${min}, got ${value}`);
  return value;
}

/** `--bound name=value` pairs. */
export function parseBounds(pairs: readonly string[] = []): Record<string, number> {
  const bounds: Record<string, number> = {};
  for (const pair of pairs) {
    const match = /^([A-Za-z][\w-]*)=(-?\d+)$/.exec(pair);
    if (!match) throw new UsageError(`--bound takes name=integer, got '${pair}'`);
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
