/**
 * What can be checked of a model without exploring it: the definition's names, bounds,
 * variants and properties, and the registry's entries. Each problem is one line that says
 * where and what to do.
 */
import type { ModelDefinition, ModelInstance } from '../model/model.ts';
import { DEADLOCK_PROPERTY } from '../model/system.ts';
import { finding, type Finding } from './rules.ts';

const KEBAB = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const KINDS = new Set(['invariant', 'step', 'monitor', 'recoverable']);
/** The function each kind of property must have. */
const REQUIRED: Record<string, string> = {
  invariant: 'check',
  step: 'check',
  monitor: 'step',
  recoverable: 'goal',
};

/** Problems with the definition itself, and properties no variant breaks. */
export function definitionFindings(
  definition: ModelDefinition,
  instance: ModelInstance,
): Finding[] {
  const findings: Finding[] = [];
  const bad = (id: string, message: string) =>
    findings.push(finding('bad-definition', { kind: 'model', id }, message));

  if (!KEBAB.test(definition.name))
    bad(definition.name, `the model's name '${definition.name}' is not kebab-case`);
  for (const name of repeated(definition.bounds.map((b) => b.name)))
    bad(name, `bound '${name}' is declared twice`);
  for (const bound of definition.bounds) {
    const { name, min, max } = bound;
    for (const [what, value] of [
      ['default', bound.default],
      ['deep', bound.deep ?? bound.default],
    ] as const) {
      if (!Number.isInteger(value) || value < min || value > max) {
        bad(
          name,
          `bound '${name}': its ${what} value ${value} is not an integer from ${min} to ${max}`,
        );
      }
    }
  }
  for (const name of repeated(definition.variants.map((v) => v.name)))
    bad(name, `variant '${name}' is declared twice`);

  const properties = instance.properties;
  const names = properties.map((p) => p.name);
  for (const name of repeated(names)) bad(name, `property '${name}' is declared twice`);
  for (const property of properties) {
    const name = property.name;
    if (!KEBAB.test(name)) bad(name, `property '${name}': the name is not kebab-case`);
    if (!KINDS.has(property.kind)) {
      bad(
        name,
        `property '${name}': unknown kind '${property.kind}' (invariant, step, monitor, recoverable)`,
      );
      continue;
    }
    const required = REQUIRED[property.kind];
    if (typeof (property as unknown as Record<string, unknown>)[required] !== 'function') {
      bad(name, `property '${name}': a ${property.kind} needs a ${required} function`);
    }
    if (!property.statement?.trim())
      bad(name, `property '${name}' has no statement (one sentence)`);
    if (!property.source?.trim())
      bad(name, `property '${name}' has no source (the seed line it comes from)`);
  }

  const known = new Set([...names, DEADLOCK_PROPERTY]);
  for (const variant of definition.variants) {
    for (const broken of variant.breaks) {
      if (!known.has(broken)) {
        bad(
          variant.name,
          `variant '${variant.name}' breaks '${broken}', which is not a property of ${definition.name} (${[...known].join(', ')})`,
        );
      }
    }
  }
  const broken = new Set(definition.variants.flatMap((variant) => variant.breaks));
  for (const name of names) {
    if (broken.has(name)) continue;
    findings.push(
      finding(
        'unbroken-property',
        { kind: 'property', id: name },
        `property '${name}' is broken by no variant, so nothing shows it can fail: add a variant that breaks it (variants: [{ name, description, source, breaks: ['${name}'] }], switched on in build()), or remove the property`,
      ),
    );
  }
  return findings;
}

/**
 * Problems with a registry's list of models, as one line each: an entry that is not a model
 * (an import that names nothing is `undefined`), or two models of one name.
 */
export function registryProblems(models: readonly unknown[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  models.forEach((model, index) => {
    const entry = `entry ${index + 1} of models`;
    if (typeof model !== 'object' || model === null) {
      problems.push(
        `${entry} is ${model === undefined ? 'undefined (an import that names nothing?)' : String(model)}, not a model`,
      );
      return;
    }
    const { name, build, bounds, variants } = model as Partial<ModelDefinition>;
    if (typeof name !== 'string' || name === '') {
      problems.push(`${entry} has no name`);
      return;
    }
    if (typeof build !== 'function')
      problems.push(`model '${name}' (${entry}) has no build function`);
    if (!Array.isArray(bounds) || !Array.isArray(variants)) {
      problems.push(`model '${name}' (${entry}) needs bounds and variants arrays (empty if none)`);
    }
    if (seen.has(name)) problems.push(`two models are named '${name}'`);
    seen.add(name);
  });
  return problems;
}

function repeated(names: readonly string[]): string[] {
  return [...new Set(names.filter((name, i) => names.indexOf(name) !== i))];
}
