/**
 * Differential replay: two implementations of one protocol (the TypeScript driver and the
 * seed's C behind the C harness) fed the same vectors, compared with each other step by step
 * rather than with the model. Where both depart from the model in the same way they agree;
 * where they differ, one of them is wrong, and the report shows both answers.
 *
 * Each step's answer is one of: the outputs emitted; a refusal (NotEnabledError: the event
 * cannot happen there); a fault (any other exception, such as the C harness dying in the
 * sanitizer's report or a driver's own check of a freed object). Refusal reasons and fault
 * texts differ between languages and are not compared. After a fault on both sides the vector
 * ends (the state is gone); after a refusal on both sides it goes on.
 */
import type { Output } from '../model/model.ts';
import { formatEvent } from '../model/trace.ts';
import { NotEnabledError, type DriverAdapter, type DriverDefinition } from './conform.ts';
import { canonicalJson, type TestSuite, type TestVector } from './vectors.ts';

export type Answer =
  | { kind: 'outputs'; outputs: Output[] }
  | { kind: 'refused'; reason: string }
  | { kind: 'fault'; message: string };

export interface Disagreement {
  vector: string;
  /** 1-based step; 0 is the reset. */
  step: number;
  path: TestVector['steps'];
  left: Answer;
  right: Answer;
}

export interface DifferentialResult {
  generator: string;
  vectors: number;
  steps: number;
  /** How many steps (resets not counted) each kind of answer had, the same on both sides. */
  agreed: { outputs: number; refused: number; fault: number };
  disagreement?: Disagreement;
}

function answer(act: () => Output[]): Answer {
  try {
    return { kind: 'outputs', outputs: act() };
  } catch (error) {
    if (error instanceof NotEnabledError) return { kind: 'refused', reason: error.message };
    return {
      kind: 'fault',
      message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    };
  }
}

function same(a: Answer, b: Answer): boolean {
  if (a.kind !== b.kind) return false;
  return (
    a.kind !== 'outputs' || canonicalJson(a.outputs) === canonicalJson((b as typeof a).outputs)
  );
}

export function runDifferential(
  left: DriverDefinition,
  right: DriverDefinition,
  suite: TestSuite,
  variants: readonly string[] = [],
): DifferentialResult {
  const adapters: [DriverAdapter, DriverAdapter] = [
    left.create(new Set(variants), suite),
    right.create(new Set(variants), suite),
  ];
  const result: DifferentialResult = {
    generator: suite.generator.name,
    vectors: 0,
    steps: 0,
    agreed: { outputs: 0, refused: 0, fault: 0 },
  };
  for (const vector of suite.vectors) {
    result.vectors++;
    for (let step = 0; step <= vector.steps.length; step++) {
      const [a, b] = adapters.map((adapter) =>
        answer(() =>
          step === 0 ? adapter.reset(suite.bounds) : adapter.apply(vector.steps[step - 1].event),
        ),
      );
      if (!same(a, b)) {
        result.disagreement = {
          vector: vector.id,
          step,
          path: vector.steps.slice(0, step),
          left: a,
          right: b,
        };
        return result;
      }
      if (step > 0) {
        result.steps++;
        result.agreed[a.kind]++;
      }
      if (a.kind === 'fault') break; // both died here: nothing further to compare
    }
  }
  return result;
}

function formatAnswer(a: Answer): string {
  switch (a.kind) {
    case 'outputs':
      return a.outputs.length === 0 ? '(nothing)' : a.outputs.map(formatEvent).join(', ');
    case 'refused':
      return `refuses: ${a.reason}`;
    case 'fault':
      return `fails: ${a.message}`;
  }
}

export function formatDisagreement(d: Disagreement, names: [string, string]): string {
  const lines = [`vector ${d.vector}, step ${d.step}:`];
  d.path.forEach((step, i) => {
    const mark = i + 1 === d.step ? '>>' : '  ';
    lines.push(`${mark}${String(i + 1).padStart(4)}. ${formatEvent(step.event)}  [${step.state}]`);
  });
  if (d.step === 0) lines.push('  on reset');
  const width = Math.max(names[0].length, names[1].length) + 1;
  lines.push(`  ${`${names[0]}:`.padEnd(width)} ${formatAnswer(d.left)}`);
  lines.push(`  ${`${names[1]}:`.padEnd(width)} ${formatAnswer(d.right)}`);
  return lines.join('\n');
}
