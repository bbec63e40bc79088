/**
 * Scoring a Stryker JSON report against the mutants declared equivalent in
 * mutation/equivalent.json. An entry names a mutant by the text of the line it mutates (so it
 * follows the line when code above it moves, and stops matching when the line itself changes,
 * which is when its reason must be read again), the mutator, and the replacement; `line` is
 * needed only when the same text occurs on several lines of the driver.
 */
import { existsSync, readFileSync } from 'node:fs';

export interface ReportMutant {
  id: string;
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: { line: number; column: number }; end: { line: number; column: number } };
}

export interface MutationReport {
  files: Record<string, { source: string; mutants: ReportMutant[] }>;
}

export interface Equivalent {
  /** The mutated line's text, trimmed. */
  code: string;
  mutator: string;
  /**
   * The mutated expression's text (whitespace runs count as one space): tells apart two mutants
   * of one line. Ending in '…', a prefix of it (for a long block).
   */
  original?: string;
  /** The replacement as Stryker prints it (whitespace runs count as one space); any if absent. */
  replacement?: string;
  /** Only to tell apart lines with the same text. */
  line?: number;
  /** One line a reviewer can check: why no test can tell this mutant from the driver. */
  reason: string;
}

export type Equivalents = Record<string, Equivalent[]>;

export function loadEquivalents(file: string): Equivalents {
  if (!existsSync(file)) return {};
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Equivalents;
  for (const [protocol, entries] of Object.entries(parsed)) {
    for (const e of entries) {
      if (!e.code || !e.mutator || !e.reason?.trim()) {
        throw new Error(`${file}: ${protocol}: every entry needs code, mutator and a reason`);
      }
    }
  }
  return parsed;
}

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

export interface Score {
  counts: {
    mutants: number;
    killed: number;
    timeout: number;
    survived: number;
    noCoverage: number;
    equivalent: number;
    score: number;
    scoreNonEquivalent: number;
  };
  /** Survivors not declared equivalent, one line each (file:line:column mutator status -> replacement). */
  open: string[];
  /** The lines those survivors span, first to last line of each (ascending, distinct). */
  openLines: number[];
  /** Entries that match no surviving mutant (killed now, or the line changed). */
  stale: string[];
}

export function scoreReport(
  protocol: string,
  report: MutationReport,
  declared: readonly Equivalent[],
): Score {
  const files = Object.entries(report.files);
  const mutants = files.flatMap(([file, { source, mutants: ms }]) => {
    const lines = source.split('\n');
    const offset = (p: { line: number; column: number }) =>
      lines.slice(0, p.line - 1).reduce((n, l) => n + l.length + 1, 0) + p.column - 1;
    return ms.map((m) => ({
      file,
      m,
      code: squash(lines[m.location.start.line - 1] ?? ''),
      original: squash(source.slice(offset(m.location.start), offset(m.location.end))),
    }));
  });
  const lineCount = new Map<string, Set<number>>();
  for (const { code, m } of mutants) {
    if (!lineCount.has(code)) lineCount.set(code, new Set());
    lineCount.get(code)!.add(m.location.start.line);
  }
  for (const e of declared) {
    if ((lineCount.get(squash(e.code))?.size ?? 0) > 1 && e.line === undefined) {
      throw new Error(
        `mutation/equivalent.json: ${protocol}: '${e.code}' occurs on several lines; give its line`,
      );
    }
  }
  const matches = (e: Equivalent, x: (typeof mutants)[number]) =>
    squash(e.code) === x.code &&
    e.mutator === x.m.mutatorName &&
    (e.original === undefined ||
      (e.original.endsWith('…')
        ? x.original.startsWith(squash(e.original.slice(0, -1)))
        : squash(e.original) === x.original)) &&
    (e.replacement === undefined || squash(e.replacement) === squash(x.m.replacement ?? '')) &&
    (e.line === undefined || e.line === x.m.location.start.line);

  const valid = mutants.filter((x) => !['CompileError', 'Ignored'].includes(x.m.status));
  const count = (status: string) => valid.filter((x) => x.m.status === status).length;
  const detected = valid.filter((x) => ['Killed', 'Timeout'].includes(x.m.status));
  const surviving = valid.filter((x) => ['Survived', 'NoCoverage'].includes(x.m.status));
  const equivalent = surviving.filter((x) => declared.some((e) => matches(e, x)));
  const open = surviving.filter((x) => !declared.some((e) => matches(e, x)));
  const stale = declared
    .filter((e) => !surviving.some((x) => matches(e, x)))
    .map(
      (e) =>
        `${e.line ?? '?'}: ${e.code} ${e.mutator}${e.replacement ? ` -> ${e.replacement}` : ''}`,
    );
  const nonEquivalent = valid.length - equivalent.length;
  return {
    counts: {
      mutants: valid.length,
      killed: count('Killed'),
      timeout: count('Timeout'),
      survived: count('Survived'),
      noCoverage: count('NoCoverage'),
      equivalent: equivalent.length,
      score: valid.length === 0 ? 0 : detected.length / valid.length,
      scoreNonEquivalent: nonEquivalent === 0 ? 0 : detected.length / nonEquivalent,
    },
    open: open.map(
      ({ file, m, code }) =>
        `${file}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName} ${m.status}` +
        (m.replacement ? ` -> ${squash(m.replacement).slice(0, 120)}` : '') +
        `  | ${code}`,
    ),
    openLines: [
      ...new Set(
        open.flatMap(({ m }) =>
          Array.from(
            { length: m.location.end.line - m.location.start.line + 1 },
            (_, i) => m.location.start.line + i,
          ),
        ),
      ),
    ].sort((a, b) => a - b),
    stale,
  };
}

/** A mutant's identity across two runs on the same source: where it is, what it changes. */
export const mutantKey = (m: ReportMutant) =>
  `${m.location.start.line}:${m.location.start.column}-${m.location.end.line}:${m.location.end.column} ${m.mutatorName} ${squash(m.replacement ?? '')}`;
