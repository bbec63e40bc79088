/**
 * Traces: a path from the initial state, replayed through the model so that every step carries
 * the event, the outputs, the state value and the context. Counterexamples, fuzz failures and
 * generated tests are all traces.
 */
import type { EventObject, StateValue } from 'xstate';
import type { Output } from './model.ts';
import type { ModelSystem, SystemNode } from './system.ts';

export interface TraceStep {
  event: EventObject;
  outputs: Output[];
  value: StateValue;
  context: unknown;
  /** Labels of the model transitions taken (`<source>:<event>:<index>`). */
  transitions: string[];
  /** Timed models (`ModelInstance.time`): ticks elapsed from the initial state to after this step. */
  time?: number;
}

export interface Trace {
  initial: { value: StateValue; context: unknown; outputs: Output[] };
  steps: TraceStep[];
  /** What went wrong at the end of the trace, for counterexamples. */
  violation?: string;
}

/** Replays a path given as alphabet indices (one per step) from the initial state. */
export function replayIndices(system: ModelSystem, indices: readonly number[]): Trace {
  const { node: start, outputs } = system.initial();
  const trace: Trace = {
    initial: {
      value: system.compiled.stateValue(start.state.config),
      context: start.state.context,
      outputs,
    },
    steps: [],
  };
  const tick = system.instance.time?.tick;
  let time = 0;
  let node: SystemNode = start;
  for (const index of indices) {
    const events = system.events(node);
    const event = events[index];
    const successor = event && system.stepWith(node, system.view(node), event, index);
    if (!successor) {
      throw new Error(
        `trace replay: event #${index} is not enabled after ${trace.steps.length} steps`,
      );
    }
    const step = traceStep(system, successor.event, successor.result);
    if (tick !== undefined) {
      if (successor.event.type === tick) time += 1;
      step.time = time;
    }
    trace.steps.push(step);
    node = successor.node;
  }
  return trace;
}

function traceStep(
  system: ModelSystem,
  event: EventObject,
  result: { state: SystemNode['state']; outputs: Output[]; transitions: number[] },
): TraceStep {
  return {
    event,
    outputs: result.outputs,
    value: system.compiled.stateValue(result.state.config),
    context: result.state.context,
    transitions: result.transitions.map((id) => system.compiled.transitions[id].label),
  };
}

/** `{ a: { b: 'X' }, c: 'Y' }` as `a.b.X c.Y`: one token per active leaf. */
export function formatStateValue(value: StateValue, prefix = ''): string {
  if (typeof value === 'string') return prefix + value;
  const parts = Object.entries(value).map(([key, child]) =>
    child === undefined || (typeof child === 'object' && Object.keys(child).length === 0)
      ? prefix + key
      : formatStateValue(child as StateValue, `${prefix}${key}.`),
  );
  return parts.join(' ');
}

export function formatEvent(event: EventObject): string {
  const { type, ...payload } = event as EventObject & Record<string, unknown>;
  const fields = Object.entries(payload).map(([key, value]) => `${key}=${JSON.stringify(value)}`);
  return fields.length > 0 ? `${type}(${fields.join(', ')})` : type;
}

function formatOutputs(outputs: readonly Output[]): string {
  return outputs.length > 0 ? `  => ${outputs.map(formatEvent).join(', ')}` : '';
}

/** Fields of `after` that differ from `before`, as `name: before -> after`. */
function contextChanges(before: unknown, after: unknown): string[] {
  if (typeof before !== 'object' || typeof after !== 'object' || !before || !after) {
    return JSON.stringify(before) === JSON.stringify(after)
      ? []
      : [`${JSON.stringify(before)} -> ${JSON.stringify(after)}`];
  }
  const changes: string[] = [];
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const key of keys) {
    const from = JSON.stringify((before as Record<string, unknown>)[key]);
    const to = JSON.stringify((after as Record<string, unknown>)[key]);
    if (from !== to) changes.push(`${key}: ${from} -> ${to}`);
  }
  return changes;
}

/** A numbered, readable trace: event, outputs, new state and what changed in the context. */
export function formatTrace(trace: Trace): string {
  const lines = [
    `   0. initial  [${formatStateValue(trace.initial.value)}]${formatOutputs(trace.initial.outputs)}`,
    `      context ${JSON.stringify(trace.initial.context)}`,
  ];
  let context = trace.initial.context;
  trace.steps.forEach((step, i) => {
    const clock = step.time === undefined ? '' : `t=${step.time} `;
    lines.push(
      `${String(i + 1).padStart(4)}. ${clock}${formatEvent(step.event)}${formatOutputs(step.outputs)}`,
    );
    lines.push(`      [${formatStateValue(step.value)}]`);
    const changes = contextChanges(context, step.context);
    if (changes.length > 0) lines.push(`      ${changes.join('; ')}`);
    context = step.context;
  });
  if (trace.violation) lines.push(`      !! ${trace.violation}`);
  return lines.join('\n');
}
