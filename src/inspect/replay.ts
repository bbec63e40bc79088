/**
 * Turning trace files into traces the page can step through. Accepted: a Trace
 * (`{initial, steps}`), `{ trace }` (a fuzz result), a `check --json` document (every
 * counterexample in it), a test-vector suite (every vector) or a plain list of events.
 * Anything that is only events is replayed through the model, so every step gets its state,
 * context and transitions.
 */
import type { EventObject } from 'xstate';
import { UsageError } from '../model/config.ts';
import type { ModelSystem } from '../model/system.ts';
import type { Trace } from '../model/trace.ts';

export interface NamedTrace {
  name: string;
  description: string;
  trace: Trace;
}

/** Replays events from the initial state; stops with an error at the first one not enabled. */
export function replayEvents(
  system: ModelSystem,
  events: ReadonlyArray<EventObject & Record<string, unknown>>,
): Trace {
  const start = system.compiled.initial();
  const trace: Trace = {
    initial: {
      value: system.compiled.stateValue(start.state.config),
      context: start.state.context,
      outputs: start.outputs,
    },
    steps: [],
  };
  let state = start.state;
  for (const event of events) {
    const result = system.compiled.step(state, event);
    if (!result) {
      throw new UsageError(
        `event ${JSON.stringify(event)} is not enabled after ${trace.steps.length} steps`,
      );
    }
    trace.steps.push({
      event,
      outputs: result.outputs,
      value: system.compiled.stateValue(result.state.config),
      context: result.state.context,
      transitions: result.transitions.map((id) => system.compiled.transitions[id].label),
    });
    state = result.state;
  }
  return trace;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isTrace = (v: unknown): v is Trace =>
  isObject(v) && isObject(v.initial) && Array.isArray(v.steps);
const isEvent = (v: unknown): v is EventObject => isObject(v) && typeof v.type === 'string';

/** The traces in a parsed trace file, for one protocol. */
export function tracesFromJson(system: ModelSystem, document: unknown, file: string): NamedTrace[] {
  const protocol = system.definition.name;
  if (isTrace(document))
    return [{ name: 'trace', description: `trace from ${file}`, trace: document }];
  if (Array.isArray(document) && document.every(isEvent)) {
    return [
      {
        name: 'run',
        description: `recorded run from ${file}`,
        trace: replayEvents(system, document),
      },
    ];
  }
  if (isObject(document) && isTrace(document.trace)) {
    const name = typeof document.property === 'string' ? document.property : 'trace';
    return [{ name, description: `${name} from ${file}`, trace: document.trace }];
  }
  if (isObject(document) && Array.isArray(document.results)) {
    const traces: NamedTrace[] = [];
    for (const result of document.results) {
      if (!isObject(result) || (result.protocol !== undefined && result.protocol !== protocol))
        continue;
      for (const property of Array.isArray(result.properties) ? result.properties : []) {
        if (isObject(property) && isTrace(property.trace)) {
          const name = String(property.name);
          traces.push({
            name,
            description: `counterexample ${name} from ${file}`,
            trace: property.trace,
          });
        }
      }
    }
    return traces;
  }
  if (isObject(document) && Array.isArray(document.vectors)) {
    return document.vectors.map((vector, i) => {
      const v = vector as { id?: unknown; steps?: Array<{ event: EventObject }> };
      const name = typeof v.id === 'string' ? v.id : `vector-${i}`;
      return {
        name,
        description: `test vector ${name} from ${file}`,
        trace: replayEvents(
          system,
          (v.steps ?? []).map((step) => step.event),
        ),
      };
    });
  }
  throw new UsageError(
    `${file}: not a trace, a list of events, a check --json document or a test-vector suite`,
  );
}

/** Hit counts of a suite of traces: how the page colours a suite when no other count is given. */
export function coverageOfTraces(
  system: ModelSystem,
  traces: readonly Trace[],
  activeOf: (value: unknown) => string[],
): { stateNodes: Record<string, number>; transitions: Record<string, number> } {
  const stateNodes: Record<string, number> = {};
  const transitions: Record<string, number> = {};
  for (const id of system.compiled.stateNodeIds) stateNodes[id] = 0;
  for (const t of system.compiled.transitions) transitions[t.label] = 0;
  for (const trace of traces) {
    for (const id of activeOf(trace.initial.value)) stateNodes[id]++;
    for (const step of trace.steps) {
      for (const id of activeOf(step.value)) stateNodes[id]++;
      for (const label of step.transitions) transitions[label]++;
    }
  }
  return { stateNodes, transitions };
}
