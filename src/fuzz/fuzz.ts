/**
 * Random walks over the event alphabet with fast-check: each walk is an array of choices, the
 * i-th choice picking one of the events enabled at step i. fast-check shrinks a failing array
 * to a short one (fewer steps, earlier choices), which is a short story of the race; the seed
 * and path it prints replay the same run.
 */
import fc from 'fast-check';
import { resolveConfig, type ConfigRequest } from '../model/config.ts';
import type { ModelDefinition } from '../model/model.ts';
import { DEADLOCK_PROPERTY, ModelSystem, type Violation } from '../model/system.ts';
import { replayIndices, type Trace } from '../model/trace.ts';

export interface FuzzOptions extends ConfigRequest {
  runs?: number;
  /** Longest walk. Races that need 10+ steps are missed by fast-check's default array size. */
  maxSteps?: number;
  seed?: number;
  /** fast-check's replay path, printed with a failure. */
  path?: string;
  /** Called every 64 walks (shrinking included) with how many ran so far. */
  onProgress?: (progress: { walks: number; seconds: number }) => void;
}

export interface FuzzResult {
  protocol: string;
  seed: number;
  runs: number;
  maxSteps: number;
  failed: boolean;
  property?: string;
  message?: string;
  trace?: Trace;
  /** `--seed <seed> --path <path>` replays exactly this failure. */
  path?: string;
  shrinks?: number;
}

export const DEFAULT_FUZZ_RUNS = 200;
export const DEFAULT_FUZZ_STEPS = 200;

interface WalkFailure extends Violation {
  indices: number[];
}

/** Follows `choices` through the model; the first violated property ends the walk. */
export function walk(system: ModelSystem, choices: readonly number[]): WalkFailure | null {
  let node = system.initial().node;
  const indices: number[] = [];
  const fail = (violation: Violation): WalkFailure => ({ ...violation, indices: [...indices] });
  const [initialViolation] = system.checkState(node);
  if (initialViolation) return fail(initialViolation);
  for (const choice of choices) {
    const successors = system.successors(node);
    if (successors.length === 0) {
      if (system.isTerminal(node)) return null;
      return fail({
        property: DEADLOCK_PROPERTY,
        message: 'no event is enabled and the state is not terminal',
      });
    }
    const successor = successors[choice % successors.length];
    indices.push(successor.eventIndex);
    const [violation] = [...successor.violations, ...system.checkState(successor.node)];
    if (violation) return fail(violation);
    node = successor.node;
  }
  return null;
}

export function fuzz(definition: ModelDefinition, options: FuzzOptions = {}): FuzzResult {
  const system = new ModelSystem(definition, resolveConfig(definition, options));
  const runs = options.runs ?? DEFAULT_FUZZ_RUNS;
  const maxSteps = options.maxSteps ?? DEFAULT_FUZZ_STEPS;
  const seed = options.seed ?? Date.now() ^ (Math.random() * 0x100000000);
  // size 'max': with only maxLength, fast-check's default size caps walks at about 10 steps.
  const choices = fc.array(fc.nat({ max: 0xffff }), {
    minLength: 1,
    maxLength: maxSteps,
    size: 'max',
  });
  const started = performance.now();
  let walks = 0;
  const property = fc.property(choices, (picks) => {
    walks++;
    if (options.onProgress && (walks & 0x3f) === 0) {
      options.onProgress({ walks, seconds: (performance.now() - started) / 1000 });
    }
    return walk(system, picks) === null;
  });
  const details = fc.check(property, {
    numRuns: runs,
    seed,
    ...(options.path ? { path: options.path } : {}),
  });
  const base = { protocol: definition.name, seed: details.seed, runs, maxSteps };
  if (!details.failed) return { ...base, failed: false };
  if (!details.counterexample) throw details.errorInstance;
  const failure = walk(system, details.counterexample[0])!;
  return {
    ...base,
    failed: true,
    property: failure.property,
    message: failure.message,
    trace: { ...replayIndices(system, failure.indices), violation: failure.message },
    path: details.counterexamplePath ?? undefined,
    shrinks: details.numShrinks,
  };
}
