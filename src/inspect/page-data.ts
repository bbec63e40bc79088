/**
 * What a protocol page knows besides its SVG, as plain JSON for the page's script: the states
 * and transitions, coverage sets (exploration, suites) and traces with, for every step, the
 * active states, the transitions taken, the event, the outputs and the context change.
 */
import type { Coverage, PropertyResult } from '../explore/explore.ts';
import { formatStateValue, type Trace } from '../model/trace.ts';
import { activeStates, type Chart } from './chart.ts';
import { labelText } from './layout.ts';

export interface CoverageSet {
  name: string;
  /** What was counted, in one line (shown above the never-taken list). */
  description: string;
  stateNodes: Record<string, number>;
  transitions: Record<string, number>;
}

export interface PageStep {
  /** `initial`, or the event as `type(field=value, …)`. */
  title: string;
  event: unknown;
  outputs: unknown[];
  value: string;
  active: string[];
  taken: string[];
  context: unknown;
  changes: Array<{ key: string; from: string; to: string }>;
}

export interface PageTrace {
  /** Used in deep links: `#trace=<name>&step=<n>`. */
  name: string;
  description: string;
  violation?: string;
  steps: PageStep[];
}

export interface PageProperty {
  name: string;
  kind: string;
  statement: string;
  source: string;
  holds: boolean | null;
  message?: string;
  /** Name of the counterexample trace on this page. */
  trace?: string;
}

export interface PageData {
  protocol: string;
  title: string;
  seed: string;
  config: { bounds: Record<string, number>; variants: string[] };
  exploration?: {
    states: number;
    transitions: number;
    depth: number;
    seconds: number;
    complete: boolean;
  };
  states: Array<{ id: string; key: string; kind: string; parent?: string }>;
  transitions: Array<{ label: string; source: string; text: string; targets: string[] }>;
  coverage: CoverageSet[];
  traces: PageTrace[];
  properties: PageProperty[];
  renderMilliseconds?: number;
}

export function chartData(chart: Chart): Pick<PageData, 'states' | 'transitions'> {
  return {
    states: chart.order.map((id) => {
      const { key, kind, parent } = chart.states.get(id)!;
      return { id, key, kind, ...(parent ? { parent } : {}) };
    }),
    transitions: chart.transitions.map((t) => ({
      label: t.label,
      source: t.source,
      text: labelText(chart, t),
      targets: t.targets,
    })),
  };
}

function eventTitle(event: Record<string, unknown>): string {
  const { type, ...payload } = event;
  const fields = Object.entries(payload).map(([key, value]) => `${key}=${JSON.stringify(value)}`);
  return fields.length > 0 ? `${String(type)}(${fields.join(', ')})` : String(type);
}

function changesOf(before: unknown, after: unknown): PageStep['changes'] {
  const json = (v: unknown) => (v === undefined ? '(none)' : JSON.stringify(v));
  if (typeof before !== 'object' || typeof after !== 'object' || !before || !after) {
    return json(before) === json(after)
      ? []
      : [{ key: '(context)', from: json(before), to: json(after) }];
  }
  const changes: PageStep['changes'] = [];
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const from = json((before as Record<string, unknown>)[key]);
    const to = json((after as Record<string, unknown>)[key]);
    if (from !== to) changes.push({ key, from, to });
  }
  return changes;
}

export function pageTrace(
  chart: Chart,
  name: string,
  description: string,
  trace: Trace,
): PageTrace {
  const steps: PageStep[] = [
    {
      title: 'initial',
      event: null,
      outputs: trace.initial.outputs,
      value: formatStateValue(trace.initial.value),
      active: activeStates(chart, trace.initial.value),
      taken: [],
      context: trace.initial.context,
      changes: [],
    },
  ];
  let context = trace.initial.context;
  for (const step of trace.steps) {
    steps.push({
      title: eventTitle(step.event as unknown as Record<string, unknown>),
      event: step.event,
      outputs: step.outputs,
      value: formatStateValue(step.value),
      active: activeStates(chart, step.value),
      taken: step.transitions,
      context: step.context,
      changes: changesOf(context, step.context),
    });
    context = step.context;
  }
  return { name, description, ...(trace.violation ? { violation: trace.violation } : {}), steps };
}

/** A property result with its counterexample turned into a page trace. */
export function pageProperties(
  chart: Chart,
  results: readonly PropertyResult[],
): { properties: PageProperty[]; traces: PageTrace[] } {
  const traces: PageTrace[] = [];
  const properties = results.map((p) => {
    let trace: string | undefined;
    if (p.trace) {
      trace = p.name;
      traces.push(pageTrace(chart, p.name, `counterexample: ${p.name}`, p.trace));
    }
    return {
      name: p.name,
      kind: p.kind,
      statement: p.statement,
      source: p.source,
      holds: p.holds,
      ...(p.message === undefined ? {} : { message: p.message }),
      ...(trace ? { trace } : {}),
    };
  });
  return { properties, traces };
}

export function explorationCoverage(coverage: Coverage): CoverageSet {
  return {
    name: 'exploration',
    description:
      'Exhaustive exploration: per state, the reachable states in which it is active; per transition, how often it was taken.',
    stateNodes: coverage.stateNodes,
    transitions: coverage.transitions,
  };
}
