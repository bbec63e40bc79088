/**
 * mutation/score.ts: how a Stryker report is scored against mutation/equivalent.json, and that
 * every declared equivalent still names a line of its driver (a driver edit that changes the
 * line makes its reason stale: the entry must be read again).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { drivers } from '../drivers/registry.ts';
import {
  loadEquivalents,
  scoreReport,
  type MutationReport,
  type ReportMutant,
} from '../mutation/score.ts';

const source = ['let a = false;', 'if (x > 0) f();', 'if (x > 0) f();', "return g('a', 'b');"].join(
  '\n',
);

function mutant(
  id: string,
  line: number,
  mutatorName: string,
  replacement: string,
  status: string,
  [start, end] = [1, 1],
) {
  const location = { start: { line, column: start }, end: { line, column: end } };
  return { id, mutatorName, replacement, status, location } as ReportMutant;
}

const report: MutationReport = {
  files: {
    'drivers/x.ts': {
      source,
      mutants: [
        mutant('1', 1, 'BooleanLiteral', 'true', 'Survived'),
        mutant('2', 2, 'ConditionalExpression', 'true', 'Killed'),
        mutant('3', 2, 'ConditionalExpression', 'false', 'Survived'),
        mutant('4', 3, 'ConditionalExpression', 'false', 'NoCoverage'),
        mutant('5', 4, 'BlockStatement', '{}', 'Timeout'),
        mutant('6', 4, 'StringLiteral', '""', 'CompileError', [10, 13]),
        mutant('7', 4, 'StringLiteral', '""', 'Survived', [15, 18]),
      ],
    },
  },
};

describe('scoreReport', () => {
  it('counts detected over valid mutants, and over the non-equivalent ones', () => {
    const score = scoreReport('x', report, [
      { code: 'let a = false;', mutator: 'BooleanLiteral', reason: 'reset() assigns it' },
    ]);
    expect(score.counts).toMatchObject({
      mutants: 6,
      killed: 1,
      timeout: 1,
      survived: 3,
      noCoverage: 1,
      equivalent: 1,
    });
    expect(score.counts.score).toBeCloseTo(2 / 6);
    expect(score.counts.scoreNonEquivalent).toBeCloseTo(2 / 5);
    expect(score.open).toHaveLength(3);
    expect(score.open[0]).toMatch(/^drivers\/x\.ts:2:1 ConditionalExpression Survived -> false/);
  });

  it('matches the replacement when the entry gives one, and only surviving mutants', () => {
    const score = scoreReport('x', report, [
      {
        code: 'if (x > 0) f();',
        line: 2,
        mutator: 'ConditionalExpression',
        replacement: 'true',
        reason: 'r',
      },
    ]);
    // mutant 2 (-> true) was killed: the entry matches no survivor and is reported stale.
    expect(score.counts.equivalent).toBe(0);
    expect(score.stale).toEqual(['2: if (x > 0) f(); ConditionalExpression -> true']);
  });

  it("tells two mutants of one line apart by the mutated expression's text", () => {
    const entry = { code: "return g('a', 'b');", mutator: 'StringLiteral', replacement: '""' };
    expect(scoreReport('x', report, [{ ...entry, original: "'a'", reason: 'r' }]).stale).toEqual([
      "?: return g('a', 'b'); StringLiteral -> \"\"",
    ]);
    const score = scoreReport('x', report, [{ ...entry, original: "'b'", reason: 'r' }]);
    expect(score.counts.equivalent).toBe(1);
  });

  it('tells lines with the same text apart only by their line', () => {
    const entry = { code: 'if (x > 0) f();', mutator: 'ConditionalExpression', reason: 'r' };
    expect(() => scoreReport('x', report, [entry])).toThrow(/several lines; give its line/);
    const score = scoreReport('x', report, [{ ...entry, line: 3 }]);
    expect(score.counts.equivalent).toBe(1);
    expect(score.open.some((line) => line.startsWith('drivers/x.ts:3:'))).toBe(false);
  });
});

describe('mutation/equivalent.json', () => {
  const equivalents = loadEquivalents(
    new URL('../mutation/equivalent.json', import.meta.url).pathname,
  );

  it('declares mutants of registered drivers only, each with a reason', () => {
    for (const [protocol, entries] of Object.entries(equivalents)) {
      expect(drivers.map((d) => d.protocol)).toContain(protocol);
      for (const entry of entries) expect(entry.reason.length).toBeGreaterThan(10);
    }
  });

  it("names lines that are in the driver as it is now (at the entry's line where it gives one)", () => {
    for (const [protocol, entries] of Object.entries(equivalents)) {
      const file = drivers.find((d) => d.protocol === protocol)!.file;
      const lines = readFileSync(new URL(`../${file}`, import.meta.url), 'utf8')
        .split('\n')
        .map((l) => l.replace(/\s+/g, ' ').trim());
      const missing = entries.filter((e) =>
        e.line === undefined ? !lines.includes(e.code) : lines[e.line - 1] !== e.code,
      );
      expect(missing.map((e) => `${protocol}: ${e.line ?? '?'}: ${e.code}`)).toEqual([]);
    }
  });
});
