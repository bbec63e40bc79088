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
import { StateCodec, StateStore, UnencodableError } from './state-store.ts';
import { Expander, type ExpansionSink } from './expand.ts';
import { DEADLOCK_PROPERTY, ModelSystem, type SystemNode } from './system.ts';
import { replayIndices, type Trace } from './trace.ts';

export interface ExploreOptions extends ConfigRequest {
  /** Stop after this many distinct states; the result is then incomplete. */
  maxStates?: number;
  /** Stop after about this many seconds; the result is then incomplete. */
  maxSeconds?: number;
  /**
   * How the visited set is stored: `compact` (default) keeps each state as tagged bytes in one
   * arena, exact and decodable, falling back to `json` when a context is not plain JSON data;
   * `json` is the original Map of JSON keys with snapshots queued until expanded.
   */
  store?: 'compact' | 'json';
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
  /** Bytes held by the visited set and the parent links (what a stored state costs). */
  storeBytes?: number;
  properties: PropertyResult[];
  coverage: Coverage;
}

interface Found {
  stateIndex: number;
  /** For step violations: the alphabet index of the violating event from that state. */
  eventIndex?: number;
  message: string;
}

/**
 * The visited set and the BFS queue in one: states are numbered in discovery order, and state
 * `i` can be fetched back when its turn comes, so no separate frontier is kept.
 */
interface Visited {
  /** The number of `node`, adding it if new (then `added` is true). */
  add(node: SystemNode): number;
  added: boolean;
  readonly size: number;
  /** The node numbered `index`, for expanding it (each index is taken once, in order). */
  take(index: number): SystemNode;
  /** Bytes held for the stored states (keys and table; parent links not included). */
  bytes(): number;
}

/** Exact compact storage: states as tagged bytes in one arena (src/state-store.ts). */
class CompactVisited implements Visited {
  private readonly codec = new StateCodec();
  private readonly store = new StateStore();
  added = false;

  constructor(private readonly monitorCount: number) {}

  get size(): number {
    return this.store.size;
  }

  add(node: SystemNode): number {
    const codec = this.codec;
    const hash = codec.encode(node.state.config, node.state.context, node.monitors);
    const id = this.store.insert(codec.buffer, codec.length, hash);
    this.added = this.store.added;
    return id;
  }

  take(index: number): SystemNode {
    const decoded = this.codec.decode(
      this.store.arenaBytes,
      this.store.offsetOf(index),
      this.monitorCount,
    );
    return {
      state: { config: decoded.config, context: decoded.context },
      monitors: decoded.monitors,
    };
  }

  bytes(): number {
    return this.store.byteLength;
  }
}

/** The original store: a Map from JSON keys, snapshots kept until expanded. */
class JsonVisited implements Visited {
  private readonly ids = new Map<string, number>();
  private readonly pending: Array<SystemNode | undefined> = [];
  added = false;
  private keyBytes = 0;

  constructor(private readonly system: ModelSystem) {}

  get size(): number {
    return this.ids.size;
  }

  add(node: SystemNode): number {
    const key = this.system.key(node);
    const known = this.ids.get(key);
    this.added = known === undefined;
    if (known !== undefined) return known;
    const id = this.ids.size;
    this.ids.set(key, id);
    this.pending.push(node);
    this.keyBytes += key.length;
    return id;
  }

  take(index: number): SystemNode {
    const node = this.pending[index]!;
    this.pending[index] = undefined;
    return node;
  }

  bytes(): number {
    return this.keyBytes;
  }
}

export function explore(definition: ModelDefinition, options: ExploreOptions = {}): ExploreResult {
  const config = resolveConfig(definition, options);
  const system = new ModelSystem(definition, config);
  if ((options.store ?? 'compact') === 'compact') {
    try {
      return exploreWith(definition, options, system, new CompactVisited(system.monitors.length));
    } catch (error) {
      if (!(error instanceof UnencodableError)) throw error;
      // A context that is not plain JSON data: JSON keys still work (as before).
    }
  }
  return exploreWith(definition, options, system, new JsonVisited(system));
}

function exploreWith(
  definition: ModelDefinition,
  options: ExploreOptions,
  system: ModelSystem,
  visited: Visited,
): ExploreResult {
  const config = system.config;
  const maxStates = options.maxStates ?? Infinity;
  const started = performance.now();
  const deadline = started + (options.maxSeconds ?? Infinity) * 1000;
  let lastProgress = started;
  let peakRss = process.memoryUsage.rss();

  const parent = new IntVector();
  const via = new IntVector();
  const found = new Map<string, Found>();
  const edgeStart = new IntVector();
  const edgeTarget = new IntVector();
  const expander = new Expander(system);
  const goalCount = expander.goalChecks.length;
  const goals = expander.goalChecks.map(() => new IntVector());
  const goalBits: number[] = [];
  const needGraph = goalCount > 0;

  const record = (property: string, finding: Found) => {
    if (!found.has(property)) found.set(property, finding);
  };
  const add = (node: SystemNode, from: number, eventIndex: number): number => {
    const id = visited.add(node);
    if (visited.added) {
      parent.push(from);
      via.push(eventIndex);
    }
    return id;
  };
  let index = 0; // the state being expanded
  const sink: ExpansionSink = {
    violation: (property, message, eventIndex) =>
      record(property, { stateIndex: index, eventIndex, message }),
    successor: (node, eventIndex) => {
      const target = add(node, index, eventIndex);
      if (needGraph) edgeTarget.push(target);
    },
  };

  add(system.initial().node, -1, -1);
  let depth = 0;
  let layerEnd = 1; // states [0, layerEnd) are at depth <= `depth`
  let processed = 0;
  let complete = true;

  while (processed < visited.size) {
    if (processed === layerEnd) {
      depth++;
      layerEnd = visited.size;
    }
    if (processed >= maxStates || ((processed & 0xff) === 0 && performance.now() > deadline)) {
      complete = false;
      break;
    }
    index = processed++;
    const node = visited.take(index);
    if (goalCount > 0) {
      expander.goals(node, goalBits, 0);
      for (let i = 0; i < goalCount; i++) goals[i].push(goalBits[i]);
    }
    if (needGraph) edgeStart.push(edgeTarget.length);
    expander.expand(node, sink);
    if ((processed & 0xfff) === 0) {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      const now = performance.now();
      if (options.onProgress && now - lastProgress >= 1000) {
        lastProgress = now;
        options.onProgress({
          states: processed,
          transitions: expander.transitions,
          seconds: (now - started) / 1000,
        });
      }
    }
  }
  if (needGraph) edgeStart.push(edgeTarget.length);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());

  // Liveness obligations: a state that cannot reach its goal is stuck.
  const stuck = goals.map((_, i) =>
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
    transitions: expander.transitions,
    depth,
    seconds: (performance.now() - started) / 1000,
    peakRssBytes: peakRss,
    storeBytes: visited.bytes() + parent.byteLength + via.byteLength,
    properties: results,
    coverage: coverageOf(system, expander.configHits, expander.transitionHits),
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
