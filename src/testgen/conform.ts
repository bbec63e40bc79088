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
 * - Two ways (ioco): when the model declares a `conformance` spec, `adapter.enabled()` lists
 *   the events of the model's `enabling` types that the driver can take now (a timer it has
 *   armed, a sleeper it would wake, a context at a preemption point, the device holding a
 *   request), and it must equal the model's set after every step; refusal steps offer the
 *   driver an event the model refuses, which `apply` must refuse with NotEnabledError without
 *   changing anything; and `adapter.observe()` projects the driver's structs onto the model's
 *   `observe()` fields, compared after every step, so a leaked credit or slot shows at once.
 *   An adapter may leave either method out; the runner then checks what it can (and says so in
 *   `ConformResult.checked`).
 * - An adapter translates; it never supplies what the driver should have computed (an output's
 *   fields, the set of enabled events, an observed value all come from the driver's state).
 *
 * Any exception from the driver is reported as a divergence at that step, never a crash.
 */
import type { Output } from '../model/model.ts';
import { formatEvent } from '../model/trace.ts';
import {
  canonicalJson,
  type TestSuite,
  type TestVector,
  type VectorEvent,
  type VectorStep,
} from './vectors.ts';

export interface DriverAdapter {
  reset(bounds: Readonly<Record<string, number>>): Output[];
  apply(event: VectorEvent): Output[];
  /** The events of the model's `enabling` types the driver can take now (any order). */
  enabled?(): VectorEvent[];
  /** The driver's state as the model's `observe()` fields. */
  observe?(): Record<string, unknown>;
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

/** What disagreed: the outputs, a refusal, the set of enabled inputs, or an observed field. */
export type DivergenceKind = 'outputs' | 'refusal' | 'enabled' | 'observed';

export interface Divergence {
  vector: string;
  /** 1-based step of the vector; 0 means the outputs on reset. */
  step: number;
  kind: DivergenceKind;
  event?: VectorEvent;
  expected: Output[];
  actual: Output[];
  /** The driver's exception, when it threw instead of returning outputs. */
  error?: string;
  /** `enabled`: what the model enables that the driver cannot take, and the reverse. */
  onlyModel?: VectorEvent[];
  onlyDriver?: VectorEvent[];
  /** `observed`: the first field that differs, with both values. */
  field?: string;
  modelValue?: unknown;
  driverValue?: unknown;
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
  /** What was compared besides outputs: refusal steps, enabled sets, observed fields. */
  checked: { refusals: number; enabled: boolean; observed: boolean };
}

type Expectation = Pick<VectorStep, 'outputs' | 'refused' | 'enabled' | 'observed'>;

const describeError = (thrown: unknown) =>
  thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);

/** One step against the driver: what it emits (or refuses), then what it enables and holds. */
function checkStep(
  adapter: DriverAdapter,
  expected: Expectation,
  act: () => Output[],
): Omit<Divergence, 'vector' | 'step' | 'path' | 'event'> | null {
  let actual: Output[] = [];
  let error: string | undefined;
  let refusedByDriver = false;
  try {
    actual = act();
  } catch (thrown) {
    if (expected.refused && thrown instanceof NotEnabledError) refusedByDriver = true;
    else error = describeError(thrown);
  }
  if (expected.refused) {
    if (!refusedByDriver) {
      return {
        kind: 'refusal',
        expected: [],
        actual,
        ...(error === undefined
          ? { error: 'the driver took an input the model refuses here' }
          : { error: `the driver threw instead of refusing: ${error}` }),
      };
    }
  } else if (error !== undefined || canonicalJson(actual) !== canonicalJson(expected.outputs)) {
    return {
      kind: 'outputs',
      expected: expected.outputs,
      actual,
      ...(error === undefined ? {} : { error }),
    };
  }
  if (expected.observed !== undefined && adapter.observe) {
    const observed = adapter.observe();
    for (const field of Object.keys(expected.observed).sort()) {
      if (canonicalJson(observed[field]) !== canonicalJson(expected.observed[field])) {
        return {
          kind: 'observed',
          expected: expected.outputs,
          actual,
          field,
          modelValue: expected.observed[field],
          driverValue: observed[field],
        };
      }
    }
  }
  if (expected.enabled !== undefined && adapter.enabled) {
    const model = new Map(expected.enabled.map((e) => [canonicalJson(e), e]));
    const driver = new Map(adapter.enabled().map((e) => [canonicalJson(e), e]));
    const onlyModel = [...model].filter(([k]) => !driver.has(k)).map(([, e]) => e);
    const onlyDriver = [...driver].filter(([k]) => !model.has(k)).map(([, e]) => e);
    if (onlyModel.length > 0 || onlyDriver.length > 0) {
      return { kind: 'enabled', expected: expected.outputs, actual, onlyModel, onlyDriver };
    }
  }
  return null;
}

/** Replays one vector from reset; the first divergence, or null when the driver conforms. */
export function runVector(
  adapter: DriverAdapter,
  suite: Pick<TestSuite, 'bounds' | 'initialOutputs' | 'initialEnabled' | 'initialObserved'>,
  vector: TestVector,
): Divergence | null {
  const atReset = checkStep(
    adapter,
    {
      outputs: suite.initialOutputs,
      enabled: suite.initialEnabled,
      observed: suite.initialObserved,
    },
    () => adapter.reset(suite.bounds),
  );
  if (atReset) return { vector: vector.id, step: 0, path: [], ...atReset };
  for (let i = 0; i < vector.steps.length; i++) {
    const step = vector.steps[i];
    const divergence = checkStep(adapter, step, () => adapter.apply(step.event));
    if (divergence) {
      return {
        vector: vector.id,
        step: i + 1,
        event: step.event,
        path: vector.steps.slice(0, i + 1),
        ...divergence,
      };
    }
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
  const refusals = suite.vectors.reduce((n, v) => n + v.steps.filter((s) => s.refused).length, 0);
  const twoWay = suite.vectors.some((v) => v.steps.some((s) => s.enabled !== undefined));
  const observed = suite.vectors.some((v) => v.steps.some((s) => s.observed !== undefined));
  const base = {
    protocol: suite.protocol,
    variants: [...variants],
    generator: suite.generator.name,
    checked: {
      refusals,
      enabled: twoWay && adapter.enabled !== undefined,
      observed: observed && adapter.observe !== undefined,
    },
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

const formatEvents = (events: readonly VectorEvent[]) =>
  events.length === 0 ? '(none)' : events.map(formatEvent).join(', ');

/** The divergence as text: the path replayed, then what the model and the driver disagree on. */
export function formatDivergence(divergence: Divergence): string {
  const lines = [`vector ${divergence.vector}, step ${divergence.step}:`];
  divergence.path.forEach((step, i) => {
    const mark = i + 1 === divergence.step ? '>>' : '  ';
    const what = step.refused ? 'refused by the model' : `=> ${formatOutputs(step.outputs)}`;
    lines.push(
      `${mark}${String(i + 1).padStart(4)}. ${formatEvent(step.event)}  ${what}  [${step.state}]`,
    );
  });
  if (divergence.step === 0) lines.push('  on reset');
  switch (divergence.kind) {
    case 'refusal':
      lines.push(`  model refuses: ${divergence.event ? formatEvent(divergence.event) : '?'}`);
      lines.push(
        `  driver:        ${divergence.error}` +
          (divergence.actual.length > 0 ? `, emitting ${formatOutputs(divergence.actual)}` : ''),
      );
      break;
    case 'enabled':
      lines.push(
        `  the model can take next, the driver cannot: ${formatEvents(divergence.onlyModel ?? [])}`,
      );
      lines.push(
        `  the driver can take next, the model cannot: ${formatEvents(divergence.onlyDriver ?? [])}`,
      );
      break;
    case 'observed':
      lines.push(
        `  field ${divergence.field}: model ${JSON.stringify(divergence.modelValue)}, driver ${JSON.stringify(divergence.driverValue)}`,
      );
      break;
    case 'outputs':
      lines.push(`  model expects: ${formatOutputs(divergence.expected)}`);
      lines.push(
        divergence.error !== undefined
          ? `  driver threw:  ${divergence.error}`
          : `  driver emits:  ${formatOutputs(divergence.actual)}`,
      );
  }
  return lines.join('\n');
}
