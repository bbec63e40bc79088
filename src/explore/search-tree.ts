/**
 * What a search (sequential or parallel) builds and what the verdicts are read from: the tree
 * of first discovery (parent index and alphabet index of the event, so traces are rebuilt by
 * replay and are shortest), the first finding per property, and, when some property is a
 * liveness obligation, the state graph and each state's goal bits.
 */
import { EXEMPT, type Expander, type ExpansionSink } from './expand.ts';
import { IntVector } from './int-vector.ts';
import type { Coverage, ExploreResult, PropertyResult } from './result.ts';
import type { ModelDefinition } from '../model/model.ts';
import { DEADLOCK_PROPERTY, type ModelSystem, type SystemNode } from '../model/system.ts';
import { replayIndices, type Trace } from '../model/trace.ts';
import type { PathConcretizer } from './symmetry.ts';
import type { Visited } from './visited.ts';

export interface Found {
  stateIndex: number;
  /** For step violations: the alphabet index of the violating event from that state. */
  eventIndex?: number;
  message: string;
}

export class SearchTree {
  readonly parent = new IntVector();
  readonly via = new IntVector();
  readonly found = new Map<string, Found>();
  readonly edgeStart = new IntVector();
  readonly edgeTarget = new IntVector();
  /** Per liveness obligation (Expander.goalChecks), one goal value per expanded state. */
  readonly goals: IntVector[];
  readonly needGraph: boolean;
  /** BFS depth of the state being expanded. */
  depth = 0;
  private layerEnd = 1; // states [0, layerEnd) are at depth <= `depth`

  constructor(goalCount: number) {
    this.goals = Array.from({ length: goalCount }, () => new IntVector());
    this.needGraph = goalCount > 0;
  }

  /** The first finding per property is kept: states are expanded in BFS order. */
  record(property: string, finding: Found): void {
    if (!this.found.has(property)) this.found.set(property, finding);
  }

  /** A new state was added to the visited set, first reached from `from` by `eventIndex`. */
  discovered(from: number, eventIndex: number): void {
    this.parent.push(from);
    this.via.push(eventIndex);
  }

  /** Before state `index` is taken, when `known` states have been discovered. */
  reach(index: number, known: number): void {
    if (index === this.layerEnd) {
      this.depth++;
      this.layerEnd = known;
    }
  }

  /** State `index` is being expanded; its successors' edges follow. */
  expanding(): void {
    if (this.needGraph) this.edgeStart.push(this.edgeTarget.length);
  }

  edge(target: number): void {
    if (this.needGraph) this.edgeTarget.push(target);
  }

  get byteLength(): number {
    return this.parent.byteLength + this.via.byteLength;
  }
}

/**
 * Expanding states in this thread straight into the tree and the visited set: what the
 * sequential explorer does for every state, and the parallel one until a worker is ready.
 */
export class ExpansionHere {
  /** The state being expanded. */
  private index = 0;
  private readonly goalBits: number[] = [];
  private readonly sink: ExpansionSink;

  constructor(
    private readonly tree: SearchTree,
    private readonly expander: Expander,
    visited: Visited,
  ) {
    this.sink = {
      violation: (property, message, eventIndex) =>
        tree.record(property, { stateIndex: this.index, eventIndex, message }),
      successor: (node, eventIndex) => {
        const id = visited.add(node);
        if (visited.added) tree.discovered(this.index, eventIndex);
        tree.edge(id);
      },
    };
  }

  expand(index: number, node: SystemNode): void {
    this.index = index;
    const goalCount = this.tree.goals.length;
    if (goalCount > 0) {
      this.expander.goals(node, this.goalBits, 0);
      for (let i = 0; i < goalCount; i++) this.tree.goals[i].push(this.goalBits[i]);
    }
    this.tree.expanding();
    this.expander.expand(node, this.sink);
  }
}

export interface SearchSummary {
  complete: boolean;
  /** States expanded. */
  states: number;
  transitions: number;
  started: number;
  peakRss: number;
  /** Bytes of the visited set (the tree's links are added here). */
  visitedBytes: number;
  configHits: readonly number[];
  transitionHits: readonly number[];
  /** With symmetry reduction: maps a path among representatives to a concrete one. */
  concretize?: PathConcretizer;
}

/** The verdict on every property, with shortest traces, from a finished search. */
export function resultOf(
  definition: ModelDefinition,
  system: ModelSystem,
  tree: SearchTree,
  summary: SearchSummary,
): ExploreResult {
  const { parent, via, found, edgeStart, edgeTarget, goals } = tree;
  const { complete, states: processed } = summary;
  const config = system.config;
  if (tree.needGraph) edgeStart.push(edgeTarget.length);

  // Liveness obligations: a state that cannot reach its goal is stuck.
  const stuck = goals.map((_, i) =>
    complete ? firstUnableToReach(goals[i], edgeStart, edgeTarget, processed) : -1,
  );

  const pathTo = (stateIndex: number): number[] => {
    const path: number[] = [];
    for (let s = stateIndex; parent.get(s) !== -1; s = parent.get(s)) path.push(via.get(s));
    return path.reverse();
  };
  const traceOf = (finding: Found, property: string): Trace => {
    let path = pathTo(finding.stateIndex);
    if (finding.eventIndex !== undefined) path.push(finding.eventIndex);
    let message = finding.message;
    if (summary.concretize) {
      ({ path, message } = summary.concretize(
        path,
        finding.eventIndex !== undefined,
        property,
        message,
      ));
    }
    return { ...replayIndices(system, path), violation: message };
  };

  const results: PropertyResult[] = [];
  let goalIndex = 0;
  for (const property of system.instance.properties) {
    const base = {
      name: property.name,
      kind: property.kind,
      statement: property.statement,
      source: property.source,
    };
    let finding = found.get(property.name);
    const isLiveness =
      property.kind === 'recoverable' || (property.kind === 'monitor' && property.hot);
    if (!finding && isLiveness) {
      const stuckAt = stuck[goalIndex];
      if (stuckAt >= 0) {
        finding = {
          stateIndex: stuckAt,
          message:
            property.kind === 'recoverable'
              ? 'from this state no goal state is reachable'
              : 'the monitor is hot here and can never become cold again',
        };
      }
    }
    if (isLiveness) goalIndex++;
    if (finding) {
      const trace = traceOf(finding, property.name);
      results.push({ ...base, holds: false, message: trace.violation, trace });
    } else {
      // Without a complete exploration a property that held so far is not proven.
      results.push({ ...base, holds: complete ? true : null });
    }
  }
  const deadlock = found.get(DEADLOCK_PROPERTY);
  results.push({
    name: DEADLOCK_PROPERTY,
    kind: 'deadlock',
    statement: 'Every reachable state that is not terminal has an enabled event.',
    source: 'engine',
    holds: deadlock ? false : complete ? true : null,
    ...(deadlock ? { message: deadlock.message, trace: traceOf(deadlock, DEADLOCK_PROPERTY) } : {}),
  });

  return {
    protocol: definition.name,
    bounds: { ...config.bounds },
    variants: [...config.variants],
    complete,
    states: processed,
    transitions: summary.transitions,
    depth: tree.depth,
    seconds: (performance.now() - summary.started) / 1000,
    peakRssBytes: summary.peakRss,
    storeBytes: summary.visitedBytes + tree.byteLength,
    properties: results,
    coverage: coverageOf(system, summary.configHits, summary.transitionHits),
  };
}

/** Backward reachability from the goal states; returns the first state that cannot reach one. */
function firstUnableToReach(
  goal: IntVector,
  edgeStart: IntVector,
  edgeTarget: IntVector,
  count: number,
): number {
  // Reverse adjacency in CSR form.
  const inDegree = new Int32Array(count + 1);
  for (let e = 0; e < edgeTarget.length; e++) inDegree[edgeTarget.get(e) + 1]++;
  for (let s = 0; s < count; s++) inDegree[s + 1] += inDegree[s];
  const reverseStart = inDegree;
  const fill = reverseStart.slice(0, count);
  const reverseSource = new Int32Array(edgeTarget.length);
  for (let s = 0; s < count; s++) {
    for (let e = edgeStart.get(s); e < edgeStart.get(s + 1); e++) {
      reverseSource[fill[edgeTarget.get(e)]++] = s;
    }
  }
  const canReach = new Uint8Array(count);
  const queue = new Int32Array(count);
  let tail = 0;
  for (let s = 0; s < count; s++) {
    if (goal.get(s) === 1) {
      canReach[s] = 1;
      queue[tail++] = s;
    }
  }
  for (let head = 0; head < tail; head++) {
    const s = queue[head];
    for (let e = reverseStart[s]; e < reverseStart[s + 1]; e++) {
      const p = reverseSource[e];
      if (!canReach[p]) {
        canReach[p] = 1;
        queue[tail++] = p;
      }
    }
  }
  // A state where the obligation does not apply (EXEMPT) need not reach a goal.
  for (let s = 0; s < count; s++) if (!canReach[s] && goal.get(s) !== EXEMPT) return s;
  return -1;
}

function coverageOf(
  system: ModelSystem,
  configHits: readonly number[],
  transitionHits: readonly number[],
): Coverage {
  const stateNodes: Record<string, number> = {};
  for (const id of system.compiled.stateNodeIds) stateNodes[id] = 0;
  for (let config = 0; config < configHits.length; config++) {
    const hits = configHits[config];
    if (!hits) continue;
    for (const id of system.compiled.activeStateNodes(config)) stateNodes[id] += hits;
  }
  const transitions: Record<string, number> = {};
  for (const info of system.compiled.transitions) {
    transitions[info.label] = transitionHits[info.id] ?? 0;
  }
  return { stateNodes, transitions };
}
