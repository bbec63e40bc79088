/**
 * What a protocol page knows besides its SVG, as plain JSON for the page's script: the states
 * and transitions (with what the model says they do and the source lines they cite), the lanes
 * of the sequence chart, coverage sets (exploration, suites) and traces.
 *
 * Traces are stored so that a page with a 10^5-step trace stays small and quick: per step only
 * the event, the transitions taken (by index), the outputs (sparse), the configuration (an
 * index into the trace's distinct configurations) and what changed in the context; the whole
 * context is kept every CHECKPOINT steps and rebuilt in between by the script.
 */
import type { Coverage, PropertyResult } from '../explore/explore.ts';
import type { LaneSpec } from '../model/model.ts';
import { formatStateValue, type Trace } from '../model/trace.ts';
import { activeStates, type Chart } from './chart.ts';
import { lanesOf, type Lane } from './lanes.ts';
import { labelText } from './layout.ts';
import type { SourceExcerpt } from './sources.ts';

/** A whole context is stored every this many steps; the ones between are rebuilt from changes. */
export const CHECKPOINT = 256;

export interface CoverageSet {
  name: string;
  /** What was counted, in one line (shown above the never-taken list). */
  description: string;
  stateNodes: Record<string, number>;
  transitions: Record<string, number>;
}

/** A context change: `[key, new value]`, `[key]` when the key went away, `['', value]` for all. */
export type ContextChange = [string] | [string, unknown];

export interface PageConfiguration {
  /** The state value as `a.b.X c.Y`. */
  value: string;
  /** Indices into `PageData.states` of the active state nodes. */
  active: number[];
  /** Per lane, its region's active state (path inside the region), or null. */
  lanes: Array<string | null>;
}

export interface PageTrace {
  /** Used in deep links: `#trace=<name>&step=<n>`. */
  name: string;
  description: string;
  violation?: string;
  /** The property the trace violates, when it is a counterexample. */
  property?: string;
  /** Step i + 1 takes events[i]; step 0 is the initial state. */
  events: unknown[];
  /** Per event, indices into `PageData.transitions` of the transitions it took. */
  taken: number[][];
  /** Outputs by step (absent: none). */
  outputs: Record<number, unknown[]>;
  /** Per step (initial included), an index into `configurations`. */
  configs: number[];
  configurations: PageConfiguration[];
  /** The whole context at step 0 and every CHECKPOINT steps. */
  checkpoints: Record<number, unknown>;
  /** Per step (initial included: empty), what changed in the context. */
  changes: ContextChange[][];
  /** Timed models: the clock (ticks since the initial state) per step, initial included. */
  times?: number[];
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
  /** What this page shows: `default (fixed) model`, `seed as written`. */
  role?: string;
  config: { bounds: Record<string, number>; variants: string[] };
  exploration?: {
    states: number;
    transitions: number;
    depth: number;
    seconds: number;
    complete: boolean;
  };
  states: Array<{
    id: string;
    key: string;
    kind: string;
    parent?: string;
    description?: string;
    cites?: string;
  }>;
  transitions: Array<{
    label: string;
    /** The event type, or `always` for an eventless transition. */
    event: string;
    source: string;
    text: string;
    targets: string[];
    lane: number;
    guard?: string;
    actions: string[];
    description?: string;
    cites?: string;
  }>;
  lanes: Lane[];
  coverage: CoverageSet[];
  traces: PageTrace[];
  properties: PageProperty[];
  /** Cited source lines by the citing string (a property's source, a state's or transition's). */
  sources: Record<string, SourceExcerpt[]>;
  renderMilliseconds?: number;
}

export function chartData(
  chart: Chart,
  declaredLanes?: readonly LaneSpec[],
): Pick<PageData, 'states' | 'transitions' | 'lanes'> {
  const { lanes, ofTransition } = lanesOf(chart, declaredLanes);
  return {
    states: chart.order.map((id) => {
      const { key, kind, parent, description, cites } = chart.states.get(id)!;
      return {
        id,
        key,
        kind,
        ...(parent ? { parent } : {}),
        ...(description ? { description } : {}),
        ...(cites ? { cites } : {}),
      };
    }),
    transitions: chart.transitions.map((t, i) => ({
      label: t.label,
      event: t.event,
      source: t.source,
      text: labelText(chart, t),
      targets: t.targets,
      lane: ofTransition[i],
      ...(t.guard === undefined ? {} : { guard: t.guardSource ?? t.guard }),
      actions: t.actions,
      ...(t.description ? { description: t.description } : {}),
      ...(t.cites ? { cites: t.cites } : {}),
    })),
    lanes,
  };
}

/** What changed from one context to the next, key by key for objects. */
function changesOf(before: unknown, after: unknown): ContextChange[] {
  const isRecord = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isRecord(before) || !isRecord(after)) {
    return JSON.stringify(before) === JSON.stringify(after) ? [] : [['', after]];
  }
  const changes: ContextChange[] = [];
  for (const key of Object.keys(after)) {
    if (before[key] !== after[key] && JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
      changes.push([key, after[key]]);
    }
  }
  for (const key of Object.keys(before)) if (!(key in after)) changes.push([key]);
  return changes;
}

export function pageTrace(
  chart: Chart,
  name: string,
  description: string,
  trace: Trace,
  lanes: readonly Lane[] = [],
  property?: string,
): PageTrace {
  const stateIndex = new Map(chart.order.map((id, i) => [id, i]));
  const transitionIndex = new Map(chart.transitions.map((t, i) => [t.label, i]));
  const configurations: PageConfiguration[] = [];
  const configurationOf = new Map<string, number>();
  const configIndex = (value: Trace['initial']['value']): number => {
    const text = formatStateValue(value);
    let index = configurationOf.get(text);
    if (index === undefined) {
      const active = activeStates(chart, value);
      index = configurations.length;
      configurations.push({
        value: text,
        active: active.map((id) => stateIndex.get(id)!),
        lanes: lanes.map((lane) => (lane.region ? laneState(chart, lane.region, active) : null)),
      });
      configurationOf.set(text, index);
    }
    return index;
  };
  const result: PageTrace = {
    name,
    description,
    ...(trace.violation ? { violation: trace.violation } : {}),
    ...(property ? { property } : {}),
    events: [],
    taken: [],
    outputs: trace.initial.outputs.length > 0 ? { 0: trace.initial.outputs } : {},
    configs: [configIndex(trace.initial.value)],
    configurations,
    checkpoints: { 0: trace.initial.context },
    changes: [[]],
  };
  if (trace.steps.some((step) => step.time !== undefined)) {
    result.times = [0, ...trace.steps.map((step) => step.time ?? 0)];
  }
  let context = trace.initial.context;
  trace.steps.forEach((step, i) => {
    const n = i + 1;
    result.events.push(step.event);
    result.taken.push(
      step.transitions.map((label) => transitionIndex.get(label)).filter((t) => t !== undefined),
    );
    if (step.outputs.length > 0) result.outputs[n] = step.outputs;
    result.configs.push(configIndex(step.value));
    result.changes.push(changesOf(context, step.context));
    if (n % CHECKPOINT === 0) result.checkpoints[n] = step.context;
    context = step.context;
  });
  return result;
}

/** The active state inside a region, as its path below the region (`POLL`, `UP.WAIT`). */
function laneState(chart: Chart, region: string, active: readonly string[]): string | null {
  let deepest: string | undefined;
  for (const id of active) {
    let inside = false;
    for (let node = chart.states.get(id)?.parent; node; node = chart.states.get(node)?.parent) {
      if (node === region) inside = true;
    }
    if (inside && (!deepest || chart.states.get(id)!.depth > chart.states.get(deepest)!.depth)) {
      deepest = id;
    }
  }
  if (!deepest) return null;
  const keys: string[] = [];
  for (let node: string | undefined = deepest; node && node !== region;) {
    keys.unshift(chart.states.get(node)!.key);
    node = chart.states.get(node)!.parent;
  }
  return keys.join('.');
}

/** A property result with its counterexample turned into a page trace. */
export function pageProperties(
  chart: Chart,
  results: readonly PropertyResult[],
  lanes: readonly Lane[] = [],
): { properties: PageProperty[]; traces: PageTrace[] } {
  const traces: PageTrace[] = [];
  const properties = results.map((p) => {
    let trace: string | undefined;
    if (p.trace) {
      trace = p.name;
      traces.push(pageTrace(chart, p.name, `counterexample: ${p.name}`, p.trace, lanes, p.name));
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
