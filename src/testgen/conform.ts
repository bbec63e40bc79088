/**
 * Conformance: replay a test suite against a driver (the system under test) and report the
 * first step where the driver's outputs differ from the model's, with the path up to it.
 *
 * ## The driver adapter contract (drivers/<protocol>.ts)
 *
 * A driver is imperative TypeScript written like the seed's C code (same functions, fields and
 * return codes). It must not import machines/ or properties/: it is checked against the model,
 * so it must not be built from it. Its seams (the device, timers, the completion callbacks, the
 * other CPU) are driven by an adapter that the driver module exports as a `DriverDefinition`:
 *
 * - `create(variants, suite)` returns a fresh `DriverAdapter` with the named bug variants
 *   switched on. The suite it will replay is passed along for drivers that run a whole suite
 *   at once (the C harness runs it in one process and replays the replies); TS drivers ignore it.
 * - `adapter.reset(bounds)` puts the driver in its initial state for the suite's bounds (ring
 *   sizes, seqno widths, budgets: the same numbers the model uses) and returns what it emitted.
 * - `adapter.apply(event)` performs one model event and returns the observable outputs in the
 *   order they happened. An event is either a call into a driver entry point
 *   (`efx_mcdi_rpc_async`), an environment action the adapter performs on the driver's seams
 *   (the device writes a completion, a timer fires), or "advance that execution context to its
 *   next preemption point". Contexts that the model interleaves at lock grain are naturally
 *   written as generator functions that `yield` where the C code drops a lock or another CPU
 *   may run; the adapter keeps the live generators and steps the one the event names.
 * - Outputs are plain JSON objects shaped exactly like the model's `emit(...)` events (same
 *   `type` and fields), because they are compared as canonical JSON (sorted keys), in order.
 * - When the driver cannot perform the event in its current state (the context the event
 *   names is not at that point, no request is pending), `apply` throws a `NotEnabledError`:
 *   the model thought the event possible, so this is a divergence too.
 *
 * Any exception from the driver is reported as a divergence at that step, never a crash.
 */
import type { Output } from '../model/model.ts';
import { formatEvent } from '../model/trace.ts';
import { canonicalJson, type TestSuite, type TestVector, type VectorEvent } from './vectors.ts';

export interface DriverAdapter {
  reset(bounds: Readonly<Record<string, number>>): Output[];
  apply(event: VectorEvent): Output[];
}

export interface DriverVariant {
  name: string;
  description: string;
  /** Where the bug comes from (seed line, commit), as for model variants. */
  source: string;
  /**
   * Bounds under which generated suites kill this variant, when the model's defaults are too
   * small for the race (say why in the description). Tests use them; default: the model's.
   */
  killBounds?: Readonly<Record<string, number>>;
}

export interface DriverDefinition {
  protocol: string;
  /** The source file, for reports. */
  file: string;
  variants: DriverVariant[];
  create(variants: ReadonlySet<string>, suite?: TestSuite): DriverAdapter;
}

/** Thrown by an adapter when the event cannot happen in the driver's current state. */
export class NotEnabledError extends Error {
  override name = 'NotEnabledError';
}

export interface Divergence {
  vector: string;
  /** 1-based step of the vector; 0 means the outputs on reset. */
  step: number;
  event?: VectorEvent;
  expected: Output[];
  actual: Output[];
  /** The driver's exception, when it threw instead of returning outputs. */
  error?: string;
  /** The steps of the vector up to and including the divergent one. */
  path: TestVector['steps'];
}

export interface ConformResult {
  protocol: string;
  variants: string[];
  generator: string;
  vectors: number;
  steps: number;
  conforms: boolean;
  divergence?: Divergence;
}

/** Replays one vector from reset; the first divergence, or null when the driver conforms. */
export function runVector(
  adapter: DriverAdapter,
  suite: Pick<TestSuite, 'bounds' | 'initialOutputs'>,
  vector: TestVector,
): Divergence | null {
  const compare = (step: number, expected: Output[], act: () => Output[]): Divergence | null => {
    let actual: Output[] = [];
    let error: string | undefined;
    try {
      actual = act();
    } catch (thrown) {
      error = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
    }
    if (error === undefined && canonicalJson(actual) === canonicalJson(expected)) return null;
    return {
      vector: vector.id,
      step,
      ...(step > 0 ? { event: vector.steps[step - 1].event } : {}),
      expected,
      actual,
      ...(error === undefined ? {} : { error }),
      path: vector.steps.slice(0, step),
    };
  };
  const atReset = compare(0, suite.initialOutputs, () => adapter.reset(suite.bounds));
  if (atReset) return atReset;
  for (let i = 0; i < vector.steps.length; i++) {
    const step = vector.steps[i];
    const divergence = compare(i + 1, step.outputs, () => adapter.apply(step.event));
    if (divergence) return divergence;
  }
  return null;
}

/** Replays every vector of the suite (fresh adapter state each time); stops at the first divergence. */
export function runSuite(
  driver: DriverDefinition,
  suite: TestSuite,
  variants: readonly string[] = [],
): ConformResult {
  const adapter = driver.create(new Set(variants), suite);
  let steps = 0;
  let vectors = 0;
  const base = {
    protocol: suite.protocol,
    variants: [...variants],
    generator: suite.generator.name,
  };
  for (const vector of suite.vectors) {
    vectors++;
    const divergence = runVector(adapter, suite, vector);
    if (divergence) {
      steps += divergence.step;
      return { ...base, vectors, steps, conforms: false, divergence };
    }
    steps += vector.steps.length;
  }
  return { ...base, vectors, steps, conforms: true };
}

function formatOutputs(outputs: readonly Output[]): string {
  return outputs.length === 0 ? '(nothing)' : outputs.map(formatEvent).join(', ');
}

/** The divergence as text: the path replayed, then expected against actual. */
export function formatDivergence(divergence: Divergence): string {
  const lines = [`vector ${divergence.vector}, step ${divergence.step}:`];
  divergence.path.forEach((step, i) => {
    const mark = i + 1 === divergence.step ? '>>' : '  ';
    lines.push(
      `${mark}${String(i + 1).padStart(4)}. ${formatEvent(step.event)}  => ${formatOutputs(step.outputs)}  [${step.state}]`,
    );
  });
  if (divergence.step === 0) lines.push('  on reset');
  lines.push(`  model expects: ${formatOutputs(divergence.expected)}`);
  lines.push(
    divergence.error !== undefined
      ? `  driver threw:  ${divergence.error}`
      : `  driver emits:  ${formatOutputs(divergence.actual)}`,
  );
  return lines.join('\n');
}
