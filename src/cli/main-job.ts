/**
 * The main job (`check` without `--variant`, and so `npm start`): per protocol, the default
 * model, which carries the smallest fix of every finding, and each variant flagged
 * `finding: true` (the seed's code as written), so that what the models found is shown beside
 * the proof of the fix. With `--deep` the default model is also explored at its deep bounds.
 *
 * Exit code: 0 when every default model holds and every finding still fails what it declares
 * it breaks; 1 when a default model fails a property or a finding is lost (a declared break
 * holds); 3 when a state budget ran out before either could be decided.
 */
import { resolveConfig, type ConfigRequest } from '../model/config.ts';
import type { ModelDefinition, VariantSpec } from '../model/model.ts';
import { explore, type ExploreOptions, type ExploreResult } from '../explore/explore.ts';
import { EXIT } from './command.ts';
import { findProof, recordProof, type DeepProof, type ProofStore } from './deep-proofs.ts';

/** What one finding variant showed. */
export interface FindingOutcome {
  variant: VariantSpec;
  result: ExploreResult;
  /** Every property the variant fails, shortest counterexample first, with its length. */
  fails: Array<{ property: string; steps: number; declared: boolean }>;
  /** Properties the variant declares it breaks that did not fail: a lost finding, or undecided. */
  missing: string[];
}

/**
 * The default model at the deep bounds: explored now, equal to the default bounds, proven by
 * an earlier `--deep` run on the same sources (deep-proofs.ts), or not run.
 */
export type DeepOutcome =
  | { kind: 'same'; bounds: Record<string, number> }
  | { kind: 'explored'; bounds: Record<string, number>; result: ExploreResult }
  | { kind: 'cached'; bounds: Record<string, number>; proof: DeepProof }
  | { kind: 'not-run'; bounds: Record<string, number> };

export interface ProtocolOutcome {
  model: ModelDefinition;
  /** The default (fixed) model at the requested bounds. */
  fixed: ExploreResult;
  deep: DeepOutcome;
  findings: FindingOutcome[];
}

export interface MainJobOptions {
  /** --bound overrides, applied to every run. */
  bounds: Record<string, number>;
  /** Also explore the default model at its deep bounds. */
  deep: boolean;
  explore: Omit<ExploreOptions, keyof ConfigRequest | 'onProgress'>;
  /** Where proofs at the deep bounds are remembered (none: nothing is read or recorded). */
  proofs?: ProofStore;
  /** Called before each run with a name for progress lines (`mcdi`, `mcdi as-written-release`). */
  progress?: (label: string) => { report: ExploreOptions['onProgress']; done: () => void };
}

export const findingVariants = (model: ModelDefinition): VariantSpec[] =>
  model.variants.filter((variant) => variant.finding === true);

function sameBounds(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

/** Checks every bound override against every model before any time is spent exploring. */
export function validateMainJob(models: readonly ModelDefinition[], options: MainJobOptions): void {
  for (const model of models) {
    resolveConfig(model, { bounds: options.bounds });
    if (options.deep) resolveConfig(model, { deep: true, bounds: options.bounds });
  }
}

export function outcomeOfFinding(variant: VariantSpec, result: ExploreResult): FindingOutcome {
  const failed = result.properties.filter((p) => p.holds === false && p.trace);
  const fails = failed
    .map((p) => ({
      property: p.name,
      steps: p.trace!.steps.length,
      declared: variant.breaks.includes(p.name),
    }))
    .sort((a, b) => a.steps - b.steps);
  const missing = variant.breaks.filter((name) => !fails.some((f) => f.property === name));
  return { variant, result, fails, missing };
}

/** Runs the main job for one protocol: the default model, its findings, and maybe its deep bounds. */
export function runProtocol(model: ModelDefinition, options: MainJobOptions): ProtocolOutcome {
  const run = (label: string, request: ConfigRequest) => {
    const progress = options.progress?.(label);
    const result = explore(model, { ...options.explore, ...request, onProgress: progress?.report });
    progress?.done();
    return result;
  };
  const fixed = run(model.name, { bounds: options.bounds });
  const findings = findingVariants(model).map((variant) =>
    outcomeOfFinding(
      variant,
      run(`${model.name} ${variant.name}`, { bounds: options.bounds, variants: [variant.name] }),
    ),
  );
  const deepBounds = { ...resolveConfig(model, { deep: true, bounds: options.bounds }).bounds };
  let deep: DeepOutcome;
  if (sameBounds(deepBounds, fixed.bounds)) deep = { kind: 'same', bounds: deepBounds };
  else if (!options.deep) {
    const proof = options.proofs && findProof(options.proofs, model.name, deepBounds);
    deep = proof
      ? { kind: 'cached', bounds: deepBounds, proof }
      : { kind: 'not-run', bounds: deepBounds };
  } else {
    const result = run(`${model.name} (deep bounds)`, { deep: true, bounds: options.bounds });
    deep = { kind: 'explored', bounds: deepBounds, result };
    if (options.proofs && result.complete && result.properties.every((p) => p.holds === true)) {
      recordProof(options.proofs, {
        protocol: model.name,
        bounds: deepBounds,
        states: result.states,
        transitions: result.transitions,
        seconds: result.seconds,
        provenAt: new Date().toISOString(),
      });
    }
  }
  return { model, fixed, deep, findings };
}

/** Every exploration of an outcome, in the order they are reported. */
export function runsOf(
  outcome: ProtocolOutcome,
): Array<{ role: 'model' | 'deep' | 'finding'; result: ExploreResult }> {
  return [
    { role: 'model' as const, result: outcome.fixed },
    ...outcome.findings.map((f) => ({ role: 'finding' as const, result: f.result })),
    ...(outcome.deep.kind === 'explored'
      ? [{ role: 'deep' as const, result: outcome.deep.result }]
      : []),
  ];
}

/** Whether a default-model run failed, or a finding was lost: the outcomes exit 1 reports. */
export function mainJobExitCode(outcomes: readonly ProtocolOutcome[]): number {
  const models = outcomes.flatMap((o) => [
    o.fixed,
    ...(o.deep.kind === 'explored' ? [o.deep.result] : []),
  ]);
  if (models.some((r) => r.properties.some((p) => p.holds === false))) return EXIT.failed;
  const findings = outcomes.flatMap((o) => o.findings);
  // A declared break that held on a complete run: the model no longer shows the finding.
  if (findings.some((f) => f.result.complete && f.missing.length > 0)) return EXIT.failed;
  const incomplete =
    models.some((r) => !r.complete) || findings.some((f) => !f.result.complete && f.missing.length);
  return incomplete ? EXIT.budget : EXIT.ok;
}
