/**
 * The model lint on every registered protocol, as CI runs it: `lint --strict` at the default
 * bounds (every warning an error), with the verdicts' vacuity judged over the whole space.
 *
 * Models whose owners have not yet fixed or suppressed what the lint found (listed, with the
 * findings, in the project notes' lint-findings.md) are held to "no lint errors" only, until
 * they pass --strict; the list must shrink: a listed model that passes --strict fails the test.
 */
import { describe, expect, it } from 'vitest';
import { lintErrors, lintModel } from '../src/lint/lint.ts';
import { models } from '../machines/registry.ts';

const STRICT_PENDING = new Set<string>();

describe.each(models.map((model) => [model.name, model] as const))('%s', (name, model) => {
  const report = lintModel(model);
  const problems = (strict: boolean) =>
    lintErrors(report, strict).map((f) => `${f.rule}: ${f.message}`);

  it('is linted over every reachable state at its default bounds', () => {
    expect(report.complete).toBe(true);
  });

  if (STRICT_PENDING.has(name)) {
    it('has no lint errors (lint --strict is pending its owner: see lint-findings.md)', () => {
      expect(problems(false)).toEqual([]);
      expect(
        problems(true).length,
        `${name} passes --strict: take it off STRICT_PENDING`,
      ).toBeGreaterThan(0);
    });
  } else {
    it('passes lint --strict', () => {
      expect(problems(true)).toEqual([]);
    });
  }
});
