/**
 * The structure of a statechart as the inspector draws it, read from the XState machine: the
 * state tree (compound, parallel, atomic), each compound state's initial child, and every
 * transition under the engine's stable label `<source>:<event>:<index>` (the same labels as
 * `CompiledMachine.transitions`, trace steps and coverage use).
 */
import type { AnyStateMachine } from 'xstate';

export type StateKind = 'atomic' | 'compound' | 'parallel';

export interface ChartState {
  /** XState's state node id (`toy.host.IDLE`): stable, and what coverage and traces name. */
  id: string;
  key: string;
  kind: StateKind;
  parent?: string;
  children: string[];
  /** For compound states: the id of the initial child. */
  initial?: string;
  depth: number;
  /** The model's `description` of the state, if it gives one. */
  description?: string;
  /** Where the state comes from: its `meta.source` (`sources/<file>:<line>`), if given. */
  cites?: string;
}

export interface ChartTransition {
  /** `<source id>:<event type or "always">:<index>`. */
  label: string;
  source: string;
  event: string;
  targets: string[];
  /** Guard name as the engine describes it (`guard` or `inline` for inline functions). */
  guard?: string;
  /** Source text of an inline guard, for the tooltip; shortened. */
  guardSource?: string;
  /** Names of the actions, for the tooltip. */
  actions: string[];
  /** Drawn as a row inside the source state instead of an arrow (no target, or itself). */
  internal: boolean;
  /** The model's `description` of the transition: what the step does in the code. */
  description?: string;
  /** Where the step comes from: `meta.source`, or a `sources/…` citation in the description. */
  cites?: string;
}

export interface Chart {
  rootId: string;
  states: Map<string, ChartState>;
  /** Document order (parents before children). */
  order: string[];
  transitions: ChartTransition[];
}

/* XState's StateNode and TransitionDefinition, as far as we read them. */
interface XNode {
  id: string;
  key: string;
  type: string;
  description?: string;
  meta?: unknown;
  states: Record<string, XNode>;
  transitions: Map<string, XTransition[]>;
  always?: XTransition[];
  initial?: { target: XNode[] };
}
interface XTransition {
  source: XNode;
  target?: XNode[];
  guard?: unknown;
  actions: unknown[];
  description?: string;
  meta?: unknown;
}

/** `meta.source` when it is a string, else a `sources/…` citation in the description. */
function sourceOf(meta: unknown, description: string | undefined): string | undefined {
  const source = (meta as { source?: unknown } | undefined)?.source;
  if (typeof source === 'string') return source;
  return description !== undefined && /\bsources\//.test(description) ? description : undefined;
}

export function chartOf(machine: AnyStateMachine): Chart {
  const root = machine.root as unknown as XNode;
  const chart: Chart = { rootId: root.id, states: new Map(), order: [], transitions: [] };
  const visit = (node: XNode, parent: XNode | undefined, depth: number) => {
    const children = Object.values(node.states);
    const kind: StateKind =
      node.type === 'parallel' ? 'parallel' : children.length > 0 ? 'compound' : 'atomic';
    chart.states.set(node.id, {
      id: node.id,
      key: node.key,
      kind,
      ...(parent ? { parent: parent.id } : {}),
      children: children.map((child) => child.id),
      ...(kind === 'compound' && node.initial?.target[0]
        ? { initial: node.initial.target[0].id }
        : {}),
      depth,
      ...optional('description', node.description),
      ...optional('cites', sourceOf(node.meta, node.description)),
    });
    chart.order.push(node.id);
    // Same order and labels as CompiledMachine.compileNode.
    for (const [eventType, list] of node.transitions) {
      list.forEach((transition, index) => add(transition, eventType, index));
    }
    (node.always ?? []).forEach((transition, index) => add(transition, 'always', index));
    for (const child of children) visit(child, node, depth + 1);
  };
  const add = (transition: XTransition, event: string, index: number) => {
    const source = transition.source.id;
    const targets = (transition.target ?? []).map((target) => target.id);
    const guard = transition.guard === undefined ? undefined : describeGuard(transition.guard);
    chart.transitions.push({
      label: `${source}:${event}:${index}`,
      source,
      event,
      targets,
      ...(guard === undefined ? {} : { guard }),
      ...(typeof transition.guard === 'function' && !('guards' in transition.guard)
        ? { guardSource: shorten(String(transition.guard)) }
        : {}),
      actions: transition.actions.map(describeAction),
      internal: targets.length === 0 || targets.every((target) => target === source),
      ...optional('description', transition.description),
      ...optional('cites', sourceOf(transition.meta, transition.description)),
    });
  };
  visit(root, undefined, 0);
  return chart;
}

const optional = <K extends string>(key: K, value: string | undefined) =>
  (value === undefined || value === '' ? {} : { [key]: value }) as Partial<Record<K, string>>;

/** XState's guard combinators, which carry their operands in `guards`. */
const COMBINATORS: Record<string, (operands: string[]) => string> = {
  and: (operands) => operands.join(' && '),
  or: (operands) => operands.join(' || '),
  not: ([operand]) => `!${/^[\w.$]+$/.test(operand) ? operand : `(${operand})`}`,
};

/** `and(['a', not('b')])` as `a && !b`; inline operands as their condition. */
function describeCombinator(guard: { name: string; guards: unknown[] }): string {
  const operands = guard.guards.map((operand) => {
    const text =
      typeof operand === 'function' && !('guards' in operand) && ANONYMOUS.has(operand.name)
        ? guardCondition(String(operand)) || 'inline'
        : describeGuard(operand);
    return needsParentheses(text) ? `(${text})` : text;
  });
  return COMBINATORS[guard.name](operands);
}

const needsParentheses = (text: string) => /&&|\|\|/.test(text);

/** The guard as `CompiledMachine` names it; combinators spelt out. */
function describeGuard(guard: unknown): string {
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const combinator = guard as unknown as { name: string; guards?: unknown };
    if (Array.isArray(combinator.guards) && combinator.name in COMBINATORS) {
      return describeCombinator(combinator as { name: string; guards: unknown[] });
    }
    return guard.name || 'inline';
  }
  const { type, params } = guard as { type: string; params?: unknown };
  return params === undefined || typeof params === 'function'
    ? type
    : `${type}(${JSON.stringify(params)})`;
}

function describeAction(action: unknown): string {
  if (typeof action === 'string') return action;
  if (typeof action === 'function') {
    const builtin = action as { type?: string; name?: string };
    return builtin.type ?? (builtin.name || 'inline');
  }
  if (typeof action === 'object' && action !== null && 'type' in action) {
    return String((action as { type: unknown }).type);
  }
  return String(action);
}

function shorten(text: string, max = 400): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
}

/** Names a function gets from where it is written, which say nothing about what it checks. */
const ANONYMOUS = new Set(['guard', 'inline', 'actions', 'anonymous', '']);

/**
 * What an inline guard checks, from its source: `({ context }) => context.mode === 'POLL'`
 * reads as `mode === 'POLL'` (the parameter list and `context.` go; a one-line body's
 * `return` is unwrapped). Empty when the source says nothing readable.
 */
export function guardCondition(source: string): string {
  let text = source.replace(/\s+/g, ' ').trim();
  const arrow = /^(?:async\s*)?(?:\([^)]*\)|[\w$]+)\s*=>\s*/.exec(text);
  if (!arrow) return '';
  text = text.slice(arrow[0].length);
  const body = /^\{\s*return\s+([^;{}]*?);?\s*\}$/.exec(text);
  if (body) text = body[1];
  else if (text.startsWith('{')) return '';
  return text.replace(/\bcontext\./g, '').trim();
}

/**
 * Longest guard condition and description shown on an arrow (the panel and the tooltip show
 * all of it): longer labels widen the layers they sit in, and the chart no longer fits.
 */
export const MAX_CONDITION = 24;
export const MAX_DESCRIPTION = 36;

function shortened(text: string, max: number): string {
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}

/** A description without its `sources/…` citation (the page shows the cited lines apart). */
function withoutCitation(description: string): string {
  return description.replace(/\s*\(?\bsources\/[^\s)]*\)?/g, '').trim();
}

/**
 * The text on a transition, saying what the step does in the code: `event: <description>`
 * when the model describes it, else `event [guard]` with the guard's name or, for an inline
 * guard, its condition (`process [mode === 'POLL']`).
 */
export function transitionText(transition: ChartTransition): string {
  const event = transition.event === 'always' ? '(always)' : transition.event;
  const described = transition.description && withoutCitation(transition.description);
  if (described) return `${event}: ${shortened(described, MAX_DESCRIPTION)}`;
  if (transition.guard === undefined) return event;
  const condition = ANONYMOUS.has(transition.guard)
    ? guardCondition(transition.guardSource ?? '')
    : transition.guard;
  return condition ? `${event} [${shortened(condition, MAX_CONDITION)}]` : `${event} [guard]`;
}

/** Ids of the state nodes active in a state value (root included), in document order. */
export function activeStates(chart: Chart, value: unknown): string[] {
  const active: string[] = [];
  const byKey = (parentId: string, key: string) =>
    chart.states.get(parentId)!.children.find((id) => chart.states.get(id)!.key === key);
  const walk = (id: string, value: unknown) => {
    active.push(id);
    if (typeof value === 'string') {
      const child = byKey(id, value);
      if (child) walk(child, undefined);
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, sub] of Object.entries(value)) {
        const child = byKey(id, key);
        if (child) walk(child, sub);
      }
    }
    // An active parallel state has all its regions active, even if the value omits one.
    const state = chart.states.get(id)!;
    if (state.kind === 'parallel') {
      for (const child of state.children) if (!active.includes(child)) walk(child, undefined);
    }
  };
  walk(chart.rootId, value);
  const rank = new Map(chart.order.map((id, i) => [id, i]));
  return active.sort((a, b) => rank.get(a)! - rank.get(b)!);
}
