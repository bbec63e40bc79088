/**
 * The model lint on every registered protocol, as CI runs it: `lint --strict` at the default
 * bounds (every warning an error), with the verdicts' vacuity judged over the whole space.
 * Every warning our models had was fixed or suppressed where it occurs, with the bound or
 * variant that makes the part live (docs/writing-models.md, "Suppressing a warning").
 */
import { describe, expect, it } from 'vitest';
import { lintErrors, lintModel } from '../src/lint/lint.ts';
import { models } from '../machines/registry.ts';

describe.each(models.map((model) => [model.name, model] as const))('%s', (_name, model) => {
  const report = lintModel(model);

  it('is linted over every reachable state at its default bounds', () => {
    expect(report.complete).toBe(true);
  });

  it('passes lint --strict', () => {
    expect(lintErrors(report, true).map((f) => `${f.rule}: ${f.message}`)).toEqual([]);
  });
});
