/**
 * Lays a chart out with elkjs (layered, hierarchy included so that edges between nested states
 * are routed across compound borders). Text is measured with a fixed-advance monospace font, so
 * a layout is deterministic and the SVG matches what the layout reserved.
 *
 * What is an arrow and what is a row: transitions without a target, to their own source, or
 * between a state and its own ancestor or descendant are drawn as text rows inside the source
 * state (UML's internal transitions); every other transition is an arrow per target, with its
 * own label box. Transitions of one state on one event to the same targets (guarded
 * alternatives that differ only in what they compute, like mic-cosm's five `card.crash`
 * transitions for zero to four outputs) are folded into one arrow or row, `event ×n`: drawn
 * apart they are a bundle of parallel lines that makes the chart unreadable at any zoom.
 */
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import { transitionText, type Chart, type ChartTransition } from './chart.ts';
import { runElk } from './elk-runner.ts';

export const FONT_SIZE = 12;
/** Advance of one character of a monospace font at FONT_SIZE (0.6 em for DejaVu Sans Mono). */
export const CHAR_WIDTH = FONT_SIZE * 0.6;
export const LINE_HEIGHT = 16;
export const FONT_FAMILY = "'DejaVu Sans Mono', 'Liberation Mono', Menlo, Consolas, monospace";
const PAD = 8;
const HEADER = 24;
const MARKER = 12;

export const textWidth = (text: string): number => [...text].length * CHAR_WIDTH;

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
export interface Point {
  x: number;
  y: number;
}

/** A transition (or a folded bundle of them) drawn as a row inside its source state. */
export interface Row {
  /** The element id: `edge:<label>` of the first transition. */
  id: string;
  transition: ChartTransition;
  /** Every transition the row stands for (more than one when folded). */
  transitions: ChartTransition[];
  text: string;
}

export interface EdgeLayout {
  /** `edge:<label>`, and `edge:<label>#<n>` for the n-th extra target of a multi-target transition. */
  id: string;
  transition: ChartTransition;
  /** Every transition the arrow stands for (more than one when folded). */
  transitions: ChartTransition[];
  target: string;
  points: Point[];
  label?: Box & { text: string };
}

export interface Layout {
  width: number;
  height: number;
  states: Map<string, Box>;
  rows: Map<string, Row[]>;
  /** Initial markers per compound state: the dot and the path to the initial child. */
  initials: Map<string, { dot: Box; points: Point[] }>;
  edges: EdgeLayout[];
  /** Which attempt produced the layout: 'full', or 'simple' after the full one failed. */
  attempt: 'full' | 'simple';
  milliseconds: number;
}

export const stateElementId = (id: string): string => `state:${id}`;
export const edgeElementId = (label: string, targetIndex = 0): string =>
  targetIndex === 0 ? `edge:${label}` : `edge:${label}#${targetIndex}`;

function isAncestor(chart: Chart, ancestor: string, node: string): boolean {
  for (let id = chart.states.get(node)?.parent; id; id = chart.states.get(id)?.parent) {
    if (id === ancestor) return true;
  }
  return false;
}

/** Whether a transition is drawn as a row (see the module comment). */
export function isRow(chart: Chart, transition: ChartTransition): boolean {
  return (
    transition.internal ||
    transition.targets.some(
      (target) =>
        target === transition.source ||
        isAncestor(chart, transition.source, target) ||
        isAncestor(chart, target, transition.source),
    )
  );
}

/**
 * Text of a transition (transitionText), with `#n` when another transition of the same state
 * on the same event reads the same (XState's order of evaluation).
 */
export function labelText(chart: Chart, transition: ChartTransition): string {
  const base = transitionText(transition);
  const twins = chart.transitions.filter(
    (t) =>
      t.source === transition.source && t.event === transition.event && transitionText(t) === base,
  );
  return twins.length > 1 ? `${base} #${twins.indexOf(transition) + 1}` : base;
}

/**
 * The transitions drawn as one element: those of one state on one event to the same targets,
 * keyed by the first one's label (document order).
 */
export function bundlesOf(chart: Chart): Map<string, ChartTransition[]> {
  const byKey = new Map<string, ChartTransition[]>();
  for (const t of chart.transitions) {
    const key = JSON.stringify([t.source, t.event, t.targets]);
    const list = byKey.get(key);
    if (list) list.push(t);
    else byKey.set(key, [t]);
  }
  return new Map([...byKey.values()].map((list) => [list[0].label, list]));
}

/** The text of a drawn element: the transition's, or `event ×n` for a folded bundle. */
export function bundleText(chart: Chart, bundle: readonly ChartTransition[]): string {
  if (bundle.length === 1) return labelText(chart, bundle[0]);
  const event = bundle[0].event === 'always' ? '(always)' : bundle[0].event;
  return `${event} ×${bundle.length}`;
}

function rowText(chart: Chart, bundle: readonly ChartTransition[]): string {
  const transition = bundle[0];
  const text = bundleText(chart, bundle);
  if (transition.targets.length === 0) return text;
  const names = transition.targets.map((target) =>
    target === transition.source ? '↻' : `→ ${relativeName(chart, transition.source, target)}`,
  );
  return `${text} ${names.join(' ')}`;
}

/** `IDLE`, `process.IDLE` or `^parent`: a target's name as seen from the source. */
function relativeName(chart: Chart, from: string, to: string): string {
  if (isAncestor(chart, to, from)) return `^${chart.states.get(to)!.key}`;
  const parts: string[] = [];
  for (let id: string | undefined = to; id && id !== from; id = chart.states.get(id)?.parent) {
    parts.unshift(chart.states.get(id)!.key);
  }
  return parts.join('.');
}

export function rowsOf(chart: Chart): Map<string, Row[]> {
  const rows = new Map<string, Row[]>();
  for (const bundle of bundlesOf(chart).values()) {
    const transition = bundle[0];
    if (!isRow(chart, transition)) continue;
    const list = rows.get(transition.source) ?? [];
    list.push({
      id: edgeElementId(transition.label),
      transition,
      transitions: bundle,
      text: rowText(chart, bundle),
    });
    rows.set(transition.source, list);
  }
  return rows;
}

/** Breadth-first rank of every state among its siblings, from the initial one. */
function siblingRanks(chart: Chart, arrows: ChartTransition[]): Map<string, number> {
  const rank = new Map<string, number>();
  const siblingOf = (id: string, parent: string): string | undefined => {
    let node: string | undefined = id;
    while (node && chart.states.get(node)?.parent !== parent) node = chart.states.get(node)?.parent;
    return node;
  };
  for (const state of chart.states.values()) {
    if (state.children.length === 0) continue;
    const start = state.initial ?? state.children[0];
    const queue = [start];
    rank.set(start, 0);
    for (let head = 0; head < queue.length; head++) {
      const current = queue[head];
      for (const t of arrows) {
        if (siblingOf(t.source, state.id) !== current) continue;
        for (const target of t.targets) {
          const next = siblingOf(target, state.id);
          if (next && !rank.has(next)) {
            rank.set(next, rank.get(current)! + 1);
            queue.push(next);
          }
        }
      }
    }
  }
  return rank;
}

function buildGraph(
  chart: Chart,
  rows: Map<string, Row[]>,
  full: boolean,
  extra: Record<string, string> = {},
): ElkNode {
  const arrows = chart.transitions.filter((t) => !isRow(chart, t));
  const rank = full ? siblingRanks(chart, arrows) : new Map<string, number>();
  const nodeOf = (id: string): ElkNode => {
    const state = chart.states.get(id)!;
    const rowList = rows.get(id) ?? [];
    const textW = Math.max(textWidth(state.key), ...rowList.map((row) => textWidth(row.text)));
    const rowsHeight = rowList.length * LINE_HEIGHT;
    if (state.children.length === 0) {
      return {
        id,
        width: Math.max(60, textW + 2 * PAD),
        height: HEADER + rowsHeight + (rowList.length > 0 ? PAD : 4),
      };
    }
    const children = state.children.map(nodeOf);
    if (state.initial) {
      children.unshift({
        id: `init:${id}`,
        width: MARKER,
        height: MARKER,
        ...(full ? { layoutOptions: { 'elk.layered.layering.layerConstraint': 'FIRST' } } : {}),
      });
    }
    return {
      id,
      children,
      layoutOptions: {
        'elk.padding': `[top=${HEADER + rowsHeight + PAD},left=${PAD * 2},bottom=${PAD * 2},right=${PAD * 2}]`,
        // Room for the header text even when the children are narrow.
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        'elk.nodeSize.minimum': `(${textW + 4 * PAD},${HEADER + rowsHeight + 2 * PAD})`,
      },
    };
  };
  const edges: ElkExtendedEdge[] = [];
  for (const state of chart.states.values()) {
    if (state.initial) {
      edges.push({
        id: `initedge:${state.id}`,
        sources: [`init:${state.id}`],
        targets: [state.initial],
      });
    }
  }
  for (const bundle of bundlesOf(chart).values()) {
    const t = bundle[0];
    if (isRow(chart, t)) continue;
    const text = bundleText(chart, bundle);
    t.targets.forEach((target, i) => {
      const forward = full && (rank.get(t.source) ?? Infinity) < (rank.get(target) ?? -Infinity);
      edges.push({
        id: edgeElementId(t.label, i),
        sources: [t.source],
        targets: [target],
        // Only the first edge of a multi-target transition carries the text.
        labels: i === 0 ? [{ text, width: textWidth(text) + 4, height: LINE_HEIGHT }] : [],
        ...(forward ? { layoutOptions: { 'elk.layered.priority.direction': '10' } } : {}),
      });
    });
  }
  const root = nodeOf(chart.rootId);
  return {
    id: '__graph__',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.json.shapeCoords': 'ROOT',
      'elk.json.edgeCoords': 'ROOT',
      'elk.edgeLabels.placement': 'CENTER',
      'elk.spacing.nodeNode': '24',
      'elk.spacing.edgeLabel': '4',
      'elk.spacing.edgeEdge': '10',
      'elk.layered.spacing.nodeNodeBetweenLayers': '36',
      'elk.layered.spacing.edgeNodeBetweenLayers': '14',
      'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
      'elk.padding': '[top=8,left=8,bottom=8,right=8]',
      ...(full
        ? {
            'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
            'elk.layered.cycleBreaking.strategy': 'MODEL_ORDER',
          }
        : {}),
      ...extra,
    },
    children: [root],
    edges,
  };
}

function collect(chart: Chart, graph: ElkNode, rows: Map<string, Row[]>) {
  const states = new Map<string, Box>();
  const markers = new Map<string, Box>();
  const walk = (node: ElkNode) => {
    const box = {
      x: node.x ?? 0,
      y: node.y ?? 0,
      width: node.width ?? 0,
      height: node.height ?? 0,
    };
    if (node.id.startsWith('init:')) markers.set(node.id.slice('init:'.length), box);
    else if (chart.states.has(node.id)) states.set(node.id, box);
    for (const child of node.children ?? []) walk(child);
  };
  walk(graph);
  const pointsOf = (edge: ElkExtendedEdge): Point[] => {
    const points: Point[] = [];
    for (const section of edge.sections ?? []) {
      points.push(section.startPoint, ...(section.bendPoints ?? []), section.endPoint);
    }
    return points.map(({ x, y }) => ({ x, y }));
  };
  const allEdges: ElkExtendedEdge[] = [];
  const gather = (node: ElkNode) => {
    allEdges.push(...(node.edges ?? []));
    for (const child of node.children ?? []) gather(child);
  };
  gather(graph);
  const initials = new Map<string, { dot: Box; points: Point[] }>();
  const edges: EdgeLayout[] = [];
  const bundles = bundlesOf(chart);
  for (const edge of allEdges) {
    if (edge.id.startsWith('initedge:')) {
      const id = edge.id.slice('initedge:'.length);
      initials.set(id, { dot: markers.get(id)!, points: pointsOf(edge) });
      continue;
    }
    const match = /^edge:(.*?)(?:#(\d+))?$/.exec(edge.id)!;
    const transitions = bundles.get(match[1])!;
    const transition = transitions[0];
    const index = match[2] === undefined ? 0 : Number(match[2]);
    const label = edge.labels?.[0];
    edges.push({
      id: edge.id,
      transition,
      transitions,
      target: transition.targets[index],
      points: pointsOf(edge),
      ...(label && label.text
        ? {
            label: {
              x: label.x ?? 0,
              y: label.y ?? 0,
              width: label.width ?? 0,
              height: label.height ?? 0,
              text: label.text,
            },
          }
        : {}),
    });
  }
  return {
    width: graph.width ?? 0,
    height: graph.height ?? 0,
    states,
    rows,
    initials,
    edges,
  };
}

/**
 * Layouts already computed in this process, by their elkjs input: a report draws a protocol's
 * default model and its variants, most of which have the same chart (a variant usually changes
 * what a guard computes, not the states), and elkjs is deterministic.
 */
const layouts = new Map<string, Promise<ElkNode>>();

function runElkOnce(graph: ElkNode, timeoutMs: number): Promise<ElkNode> {
  const key = JSON.stringify(graph);
  let layout = layouts.get(key);
  if (!layout) {
    layout = runElk(graph, timeoutMs);
    layouts.set(key, layout);
    // A failed layout is not remembered: the next caller may retry it.
    layout.catch(() => layouts.delete(key));
  }
  return layout;
}

export interface LayoutOptions {
  timeoutMs?: number;
  /** Extra root layout options (experiments). */
  rootOptions?: Record<string, string>;
}

/** Lays out a chart; on an elkjs failure or timeout, retries with the simplest options. */
export async function layoutChart(chart: Chart, options: LayoutOptions = {}): Promise<Layout> {
  const started = performance.now();
  const rows = rowsOf(chart);
  const timeoutMs = options.timeoutMs ?? 10_000;
  let attempt: Layout['attempt'] = 'full';
  let graph: ElkNode;
  try {
    graph = await runElkOnce(buildGraph(chart, rows, true, options.rootOptions), timeoutMs);
  } catch {
    attempt = 'simple';
    graph = await runElkOnce(buildGraph(chart, rows, false), timeoutMs);
  }
  return {
    ...collect(chart, graph, rows),
    attempt,
    milliseconds: performance.now() - started,
  };
}
