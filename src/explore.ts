/**
 * Exhaustive breadth-first exploration of a model under its bounds.
 *
 * The visited set holds one compact key per state (configuration number + context JSON, plus
 * monitor states) mapped to its index; the tree of first discovery is kept as two Int32Arrays
 * (parent index, alphabet index of the event), so traces are rebuilt by replay and no snapshot
 * outlives its BFS layer. Because states are numbered in BFS order, the first violation found
 * for a property has a shortest trace, and for recoverability the lowest-numbered stuck state
 * is a nearest one.
 */
import { resolveConfig, type ConfigRequest } from './config.ts';
import { IntVector } from './int-vector.ts';
import type { ModelDefinition } from './model.ts';
import { DEADLOCK_PROPERTY, ModelSystem, type SystemNode } from './system.ts';
import { replayIndices, type Trace } from './trace.ts';

export interface ExploreOptions extends ConfigRequest {
  /** Stop after this many distinct states; the result is then incomplete. */
  maxStates?: number;
  /** Called about once a second with the progress so far. */
  onProgress?: (progress: { states: number; transitions: number; seconds: number }) => void;
}

export type PropertyKind = 'invariant' | 'step' | 'monitor' | 'recoverable' | 'deadlock';

export interface PropertyResult {
  name: string;
  kind: PropertyKind;
  statement: string;
  source: string;
  /** `null` when the run stopped before the property could be decided. */
  holds: boolean | null;
  message?: string;
  trace?: Trace;
}

export interface Coverage {
  /** Reachable states in which each state node is active. */
  stateNodes: Record<string, number>;
  /** How often each model transition was taken over all explored steps. */
  transitions: Record<string, number>;
}

export interface ExploreResult {
  protocol: string;
  bounds: Record<string, number>;
  variants: string[];
  complete: boolean;
  states: number;
  transitions: number;
  depth: number;
  seconds: number;
  peakRssBytes: number;
  properties: PropertyResult[];
  coverage: Coverage;
}

interface Found {
  stateIndex: number;
  /** For step violations: the alphabet index of the violating event from that state. */
  eventIndex?: number;
  message: string;
}

export function explore(definition: ModelDefinition, options: ExploreOptions = {}): ExploreResult {
  const config = resolveConfig(definition, options);
  const system = new ModelSystem(definition, config);
  const maxStates = options.maxStates ?? Infinity;
  const started = performance.now();
  let lastProgress = started;
  let peakRss = process.memoryUsage.rss();

  const ids = new Map<string, number>();
  const parent = new IntVector();
  const via = new IntVector();
  const found = new Map<string, Found>();
  const edgeStart = new IntVector();
  const edgeTarget = new IntVector();
  // One goal bit per state per liveness obligation, in property order: a recoverable's goal,
  // or "this monitor is not hot".
  const goalChecks: Array<(node: SystemNode) => boolean> = [];
  for (const property of system.instance.properties) {
    if (property.kind === 'recoverable') {
      goalChecks.push((node) => property.goal(system.view(node)));
    } else if (property.kind === 'monitor' && property.hot) {
      const index = system.monitors.indexOf(property);
      const hot = property.hot;
      goalChecks.push((node) => !hot(node.monitors[index]));
    }
  }
  const goals = goalChecks.map(() => new IntVector());
  const needGraph = goalChecks.length > 0;
  const configHits = new Map<number, number>();
  const transitionHits = new Map<number, number>();

  const record = (property: string, finding: Found) => {
    if (!found.has(property)) found.set(property, finding);
  };
  const add = (node: SystemNode, from: number, eventIndex: number): number => {
    const key = system.key(node);
    const known = ids.get(key);
    if (known !== undefined) return known;
    const id = ids.size;
    ids.set(key, id);
    parent.push(from);
    via.push(eventIndex);
    next.push(node);
    return id;
  };

  let next: SystemNode[] = [];
  add(system.initial().node, -1, -1);
  let depth = 0;
  let transitions = 0;
  let processed = 0;
  let complete = true;

  while (next.length > 0) {
    const layer = next;
    next = [];
    for (const node of layer) {
      if (processed >= maxStates) {
        complete = false;
        break;
      }
      const index = processed++;
      configHits.set(node.state.config, (configHits.get(node.state.config) ?? 0) + 1);
      for (const violation of system.checkState(node)) {
        record(violation.property, { stateIndex: index, message: violation.message });
      }
      goalChecks.forEach((check, i) => goals[i].push(check(node) ? 1 : 0));
      if (needGraph) edgeStart.push(edgeTarget.length);

      const successors = system.successors(node);
      if (successors.length === 0 && !system.isTerminal(node)) {
        record(DEADLOCK_PROPERTY, {
          stateIndex: index,
          message: 'no event is enabled and the state is not terminal',
        });
      }
      for (const successor of successors) {
        transitions++;
        for (const id of successor.result.transitions) {
          transitionHits.set(id, (transitionHits.get(id) ?? 0) + 1);
        }
        for (const violation of successor.violations) {
          record(violation.property, {
            stateIndex: index,
            eventIndex: successor.eventIndex,
            message: violation.message,
          });
        }
        const target = add(successor.node, index, successor.eventIndex);
        if (needGraph) edgeTarget.push(target);
      }
      if ((processed & 0xfff) === 0) {
        peakRss = Math.max(peakRss, process.memoryUsage.rss());
        const now = performance.now();
        if (options.onProgress && now - lastProgress >= 1000) {
          lastProgress = now;
          options.onProgress({ states: processed, transitions, seconds: (now - started) / 1000 });
        }
      }
    }
    if (!complete) break;
    if (next.length > 0) depth++;
  }
  if (needGraph) edgeStart.push(edgeTarget.length);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());

  // Liveness obligations: a state that cannot reach its goal is stuck.
  const stuck = goalChecks.map((_, i) =>
    complete ? firstUnableToReach(goals[i], edgeStart, edgeTarget, processed) : -1,
  );

  const pathTo = (stateIndex: number): number[] => {
    const path: number[] = [];
    for (let s = stateIndex; parent.get(s) !== -1; s = parent.get(s)) path.push(via.get(s));
    return path.reverse();
  };
  const traceOf = (finding: Found): Trace => {
    const path = pathTo(finding.stateIndex);
    if (finding.eventIndex !== undefined) path.push(finding.eventIndex);
    return { ...replayIndices(system, path), violation: finding.message };
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
      results.push({ ...base, holds: false, message: finding.message, trace: traceOf(finding) });
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
    ...(deadlock ? { message: deadlock.message, trace: traceOf(deadlock) } : {}),
  });

  return {
    protocol: definition.name,
    bounds: { ...config.bounds },
    variants: [...config.variants],
    complete,
    states: processed,
    transitions,
    depth,
    seconds: (performance.now() - started) / 1000,
    peakRssBytes: peakRss,
    properties: results,
    coverage: coverageOf(system, configHits, transitionHits),
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
    if (goal.get(s)) {
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
  for (let s = 0; s < count; s++) if (!canReach[s]) return s;
  return -1;
}

function coverageOf(
  system: ModelSystem,
  configHits: Map<number, number>,
  transitionHits: Map<number, number>,
): Coverage {
  const stateNodes: Record<string, number> = {};
  for (const id of system.compiled.stateNodeIds) stateNodes[id] = 0;
  for (const [config, hits] of configHits) {
    for (const id of system.compiled.activeStateNodes(config)) stateNodes[id] += hits;
  }
  const transitions: Record<string, number> = {};
  for (const info of system.compiled.transitions) {
    transitions[info.label] = transitionHits.get(info.id) ?? 0;
  }
  return { stateNodes, transitions };
}
