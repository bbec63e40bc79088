/**
 * What every registered protocol model must satisfy, whoever wrote it: its properties are
 * well-formed and each one is shown to fail on some variant; the default model proves every
 * property; each variant breaks exactly the properties it declares; random walks agree.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/model/config.ts';
import { explore } from '../src/explore/explore.ts';
import { fuzz } from '../src/fuzz/fuzz.ts';
import { definitionFindings } from '../src/lint/definition.ts';
import { models } from '../machines/registry.ts';

const names = models.map((model) => model.name);

describe('the registry', () => {
  it('has unique protocol names', () => {
    expect(new Set(names).size).toBe(names.length);
  });
});

describe.each(models.map((model) => [model.name, model] as const))('%s', (_name, model) => {
  const instance = model.build(resolveConfig(model));
  const propertyNames = instance.properties.map((p) => p.name);

  it('names, states and sources every property, each name once', () => {
    expect(new Set(propertyNames).size).toBe(propertyNames.length);
    for (const property of instance.properties) {
      expect(property.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(property.statement.length).toBeGreaterThan(10);
      expect(property.source.length).toBeGreaterThan(3);
    }
  });

  it('names the module that exports it, for worker threads to load', async () => {
    expect(model.module).toMatch(/\/machines\/registry\.ts$/);
    const exports = (await import(model.module!)) as Record<string, unknown>;
    expect(Object.values(exports)).toContain(model);
  });

  it('shows every property failing on some variant', () => {
    // The lint's rules say which property, and what to do (src/lint/definition.ts).
    const problems = definitionFindings(model, instance)
      .filter((f) => f.rule === 'unbroken-property' || f.rule === 'bad-definition')
      .map((f) => f.message);
    expect(problems).toEqual([]);
  });

  it('proves every property at the default bounds', () => {
    const result = explore(model);
    expect(result.complete).toBe(true);
    const failures = result.properties
      .filter((p) => p.holds !== true)
      .map((p) => `${p.name}: ${p.message}`);
    expect(failures).toEqual([]);
  });

  it.each(model.variants.map((variant) => [variant.name, variant] as const))(
    'variant %s breaks exactly what it declares, each with a counterexample',
    (_variantName, variant) => {
      const result = explore(model, { variants: [variant.name] });
      const failed = result.properties.filter((p) => p.holds === false);
      expect(failed.map((p) => p.name).sort()).toEqual([...variant.breaks].sort());
      for (const property of failed) expect(property.trace?.steps.length).toBeGreaterThan(0);
    },
  );

  it('passes random walks of the default model', () => {
    const result = fuzz(model, { runs: 50, maxSteps: 100, seed: 1 });
    expect(result.failed ? `${result.property}: ${result.message}` : 'ok').toBe('ok');
  });
});
