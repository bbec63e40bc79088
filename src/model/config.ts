/** Turning user-supplied bounds and variant names into a checked ModelConfig. */
import type { Bounds, ModelConfig, ModelDefinition } from './model.ts';

/** An error the user caused: the CLI prints its message as one line and exits 2. */
export class UsageError extends Error {}

export interface ConfigRequest {
  /** Start from the model's deep bounds (each bound's `deep` value) instead of its defaults. */
  deep?: boolean;
  bounds?: Readonly<Record<string, number>>;
  variants?: readonly string[];
}

export function resolveConfig(model: ModelDefinition, request: ConfigRequest = {}): ModelConfig {
  const variants = new Set<string>();
  for (const name of request.variants ?? []) {
    if (!model.variants.some((variant) => variant.name === name)) {
      throw new UsageError(
        `unknown variant '${name}' for ${model.name}; valid variants: ${listOrNone(model.variants.map((v) => v.name))}`,
      );
    }
    variants.add(name);
  }
  // Defaults (or deep values), then what the chosen variants need to show their bug, then
  // the user's own --bound values.
  const bounds: Record<string, number> = {};
  for (const spec of model.bounds) {
    bounds[spec.name] = request.deep ? (spec.deep ?? spec.default) : spec.default;
  }
  const requested = [
    ...model.variants
      .filter((v) => variants.has(v.name))
      .flatMap((v) =>
        Object.entries(v.bounds ?? {}).map(
          ([n, value]) => [n, value, `variant ${v.name}`] as const,
        ),
      ),
    ...Object.entries(request.bounds ?? {}).map(([n, value]) => [n, value, undefined] as const),
  ];
  for (const [name, value, origin] of requested) {
    const spec = model.bounds.find((bound) => bound.name === name);
    if (!spec) {
      throw new UsageError(
        `unknown bound '${name}'${origin ? ` in ${origin}` : ''} for ${model.name}; valid bounds: ${listOrNone(model.bounds.map((b) => b.name))}`,
      );
    }
    if (!Number.isInteger(value) || value < spec.min || value > spec.max) {
      throw new UsageError(
        `bound ${name}=${value}${origin ? ` (${origin})` : ''} is out of range for ${model.name}: an integer from ${spec.min} to ${spec.max}`,
      );
    }
    bounds[name] = value;
  }
  return { bounds: bounds as Bounds, variants };
}

function listOrNone(names: string[]): string {
  return names.length > 0 ? names.join(', ') : '(none)';
}

/** The model's deep bounds: each bound's `deep` value, or its default. */
export function deepBounds(model: ModelDefinition): Bounds {
  return Object.fromEntries(model.bounds.map((b) => [b.name, b.deep ?? b.default]));
}
