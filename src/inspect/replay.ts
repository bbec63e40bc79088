/**
 * Turning trace files into traces the page can step through. Accepted: a Trace
 * (`{initial, steps}`), `{ trace }` (a fuzz result), a `check --json` document (every
 * counterexample in it), a test-vector suite (every vector) or a plain list of events. Every
 * trace keeps the protocol and configuration its file records, and is replayed through that
 * model, so every step gets its state, context and transitions from the model it belongs to.
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
  const tick = system.instance.time?.tick;
  let time = 0;
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
      // Timed models: the clock after the step, as the explorer's traces carry it.
      ...(tick === undefined ? {} : { time: (time += event.type === tick ? 1 : 0) }),
    });
    state = result.state;
  }
  return trace;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isTrace = (v: unknown): v is Trace =>
  isObject(v) && isObject(v.initial) && Array.isArray(v.steps);
const isEvent = (v: unknown): v is EventObject & Record<string, unknown> =>
  isObject(v) && typeof v.type === 'string';

/** The configuration a trace was recorded under, when the file says. */
export interface RecordedConfig {
  bounds: Record<string, number>;
  variants: string[];
}

/** Traces of one protocol and configuration from a trace file, as events to replay. */
export interface TraceGroup {
  /** The protocol the file says the traces belong to, if it says. */
  protocol?: string;
  config?: RecordedConfig;
  traces: Array<{
    name: string;
    description: string;
    events: Array<EventObject & Record<string, unknown>>;
    violation?: string;
  }>;
}

function recordedConfig(document: Record<string, unknown>): RecordedConfig | undefined {
  const { bounds, variants } = document;
  if (!isObject(bounds) || !Object.values(bounds).every((v) => typeof v === 'number')) {
    return undefined;
  }
  const names = Array.isArray(variants) ? variants.filter((v) => typeof v === 'string') : [];
  return { bounds: bounds as Record<string, number>, variants: names };
}

const protocolOf = (document: Record<string, unknown>) =>
  typeof document.protocol === 'string' ? { protocol: document.protocol } : {};

function eventsOf(trace: Trace, file: string): Array<EventObject & Record<string, unknown>> {
  return trace.steps.map((step, i) => {
    if (!isEvent(step.event)) throw new UsageError(`${file}: step ${i + 1} has no event`);
    return step.event;
  });
}

/**
 * The traces in a parsed trace file, grouped by protocol and recorded configuration: a trace
 * (`{initial, steps}`), a fuzz result (`{trace}`), a `check --json` document (every
 * counterexample, each under its run's bounds and variants), a test-vector suite or a plain
 * list of events.
 */
export function traceGroups(document: unknown, file: string): TraceGroup[] {
  if (isTrace(document)) {
    return [
      {
        traces: [
          {
            name: 'trace',
            description: `trace from ${file}`,
            events: eventsOf(document, file),
            ...(document.violation ? { violation: document.violation } : {}),
          },
        ],
      },
    ];
  }
  if (Array.isArray(document) && document.every(isEvent)) {
    return [
      { traces: [{ name: 'run', description: `recorded run from ${file}`, events: document }] },
    ];
  }
  if (isObject(document) && isTrace(document.trace)) {
    const name = typeof document.property === 'string' ? document.property : 'trace';
    const config = recordedConfig(document);
    return [
      {
        ...protocolOf(document),
        ...(config ? { config } : {}),
        traces: [
          {
            name,
            description: `${name} from ${file}`,
            events: eventsOf(document.trace, file),
            ...(document.trace.violation ? { violation: document.trace.violation } : {}),
          },
        ],
      },
    ];
  }
  if (isObject(document) && Array.isArray(document.results)) {
    const groups: TraceGroup[] = [];
    for (const result of document.results) {
      if (!isObject(result)) continue;
      const config = recordedConfig(result);
      const traces: TraceGroup['traces'] = [];
      for (const property of Array.isArray(result.properties) ? result.properties : []) {
        if (isObject(property) && isTrace(property.trace)) {
          const name = String(property.name);
          const variants = config?.variants.length
            ? ` (variant ${config.variants.join(', ')})`
            : '';
          traces.push({
            name,
            description: `counterexample ${name}${variants} from ${file}`,
            events: eventsOf(property.trace, file),
            ...(property.trace.violation ? { violation: property.trace.violation } : {}),
          });
        }
      }
      if (traces.length > 0)
        groups.push({ ...protocolOf(result), ...(config ? { config } : {}), traces });
    }
    return groups;
  }
  if (isObject(document) && Array.isArray(document.vectors)) {
    const config = recordedConfig(document);
    return [
      {
        ...protocolOf(document),
        ...(config ? { config } : {}),
        traces: document.vectors.map((vector, i) => {
          const v = vector as { id?: unknown; steps?: Array<{ event: unknown }> };
          const name = typeof v.id === 'string' ? v.id : `vector-${i}`;
          const events = (v.steps ?? []).map((step) => step.event);
          if (!events.every(isEvent))
            throw new UsageError(`${file}: vector ${name} has a step without an event`);
          return { name, description: `test vector ${name} from ${file}`, events };
        }),
      },
    ];
  }
  throw new UsageError(
    `${file}: not a trace, a list of events, a check --json document, a fuzz result or a test-vector suite`,
  );
}

/**
 * Replays a group's traces through the model, so that every step gets its state, context and
 * transitions from the model the page shows; an event the model does not take there is a
 * usage error naming the trace and the step.
 */
export function replayGroup(system: ModelSystem, group: TraceGroup, file: string): NamedTrace[] {
  return group.traces.map((trace) => {
    let replayed: Trace;
    try {
      replayed = replayEvents(system, trace.events);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      throw new UsageError(
        `${file}: trace '${trace.name}' does not fit ${describe(system)}: ${error.message}`,
      );
    }
    return {
      name: trace.name,
      description: trace.description,
      trace: trace.violation ? { ...replayed, violation: trace.violation } : replayed,
    };
  });
}

function describe(system: ModelSystem): string {
  const bounds = Object.entries(system.config.bounds)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
  const variants = [...system.config.variants];
  return `${system.definition.name} at ${bounds || 'its bounds'}${variants.length ? ` with variant ${variants.join(', ')}` : ''}`;
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
