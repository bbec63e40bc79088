/**
 * The source lines a model cites, read from the repository's sources/ so that a page shows
 * them beside the property, transition or trace step that cites them. A citation is
 * `sources/<file>:<lines>` anywhere in a `source` string, where <lines> is `118`, `196-201` or
 * a comma-separated list of those (`583-584,597-599`); `… and 476-478` or `… and :168` after
 * it cites more lines of the same file, and `seed:<lines>` cites the model's own seed.
 */
import { readFileSync } from 'node:fs';

export interface SourceExcerpt {
  /** `sources/sfc-mcdi-async.txt`. */
  file: string;
  /** The cited lines (1-based, inclusive). */
  from: number;
  to: number;
  /** The lines shown: a little context around the cited ones, first line number `start`. */
  start: number;
  lines: string[];
}

/** Lines of context shown before and after a cited range. */
const CONTEXT_LINES = 2;
/** A longer range is cut after this many lines (the citation still names the whole range). */
const MAX_LINES = 40;

const LINES = String.raw`\d+(?:-\d+)?(?:,\s*\d+(?:-\d+)?)*`;
/** `sources/<file>:<lines>`, `seed:<lines>`, or `and <lines>` / `and :<lines>` after either. */
const CITATION = new RegExp(
  String.raw`(?:(sources/[A-Za-z0-9._-]+|\bseed):|\band\s+:?)(${LINES})\b`,
  'g',
);

/** The cited ranges in one source string; `seed` is the model's seed file, if it has one. */
export function citedRanges(
  source: string,
  seed?: string,
): Array<{ file: string; from: number; to: number }> {
  const ranges: Array<{ file: string; from: number; to: number }> = [];
  let file: string | undefined;
  for (const match of source.matchAll(CITATION)) {
    if (match[1] !== undefined) file = match[1] === 'seed' ? seed : match[1];
    if (file === undefined || !file.startsWith('sources/')) continue;
    for (const part of match[2].split(',')) {
      const [from, to = from] = part.trim().split('-').map(Number);
      if (from > 0 && to >= from) ranges.push({ file, from, to });
    }
  }
  return ranges;
}

const DEFAULT_SOURCES = new URL('../../sources/', import.meta.url);

/**
 * For each distinct source string, the excerpts of what it cites. A file that cannot be read
 * or a line beyond its end gives no excerpt (the citation stays visible as text).
 */
export function sourceExcerpts(
  sources: readonly string[],
  { seed, dir = DEFAULT_SOURCES }: { seed?: string; dir?: URL } = {},
): Record<string, SourceExcerpt[]> {
  const files = new Map<string, string[] | null>();
  const linesOf = (file: string): string[] | null => {
    if (!files.has(file)) {
      try {
        const name = file.slice('sources/'.length);
        files.set(file, readFileSync(new URL(name, dir), 'utf8').split('\n'));
      } catch {
        files.set(file, null);
      }
    }
    return files.get(file)!;
  };
  const result: Record<string, SourceExcerpt[]> = {};
  for (const source of new Set(sources)) {
    const excerpts: SourceExcerpt[] = [];
    for (const range of citedRanges(source, seed)) {
      const lines = linesOf(range.file);
      if (!lines || range.from > lines.length) continue;
      const start = Math.max(1, range.from - CONTEXT_LINES);
      const end = Math.min(lines.length, range.to + CONTEXT_LINES, start + MAX_LINES - 1);
      excerpts.push({ ...range, start, lines: lines.slice(start - 1, end) });
    }
    if (excerpts.length > 0) result[source] = excerpts;
  }
  return result;
}
