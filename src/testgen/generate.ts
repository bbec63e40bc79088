/**
 * Test generation from a model: three generators over the explicit reachable graph
 * (src/testgen/state-graph.ts), each producing paths from the initial state that become test vectors
 * carrying the model's expected outputs at every step.
 *
 * - tour: every reachable model transition (`<source>:<event>:<index>`) taken at least once.
 *   Greedy: from where the current sequence stands, walk to the nearest edge that takes a
 *   transition not yet covered; start a new sequence from reset instead when an uncovered
 *   transition is nearer to the initial state than to the current one (or unreachable from it).
 * - states: the shortest path to every reachable state. BFS-tree paths share prefixes, so one
 *   vector per leaf of the BFS tree reaches every state along a shortest path.
 * - random: fast-check walks, choices drawn from a recorded seed.
 *
 * Everything is deterministic: the graph is built in alphabet order, ties break by index, and
 * random choices come from fast-check's seeded generator.
 */
import fc from 'fast-check';
import { getShortestPaths } from 'xstate/graph';
import type { AnyStateMachine } from 'xstate';
import { resolveConfig, type ConfigRequest } from '../model/config.ts';
import type { ModelDefinition, ModelState } from '../model/model.ts';
import { buildStateGraph, shortestPathTo, type GraphEdge, type StateGraph } from './state-graph.ts';
import { ModelSystem } from '../model/system.ts';
import { formatStateValue } from '../model/trace.ts';
import {
  VECTOR_FORMAT,
  VECTOR_VERSION,
  type GeneratorName,
  type TestSuite,
  type TestVector,
} from './vectors.ts';

export const DEFAULT_SEED = 1;
export const DEFAULT_WALKS = 20;
export const DEFAULT_WALK_STEPS = 100;

export interface GenerateOptions extends ConfigRequest {
  generator: GeneratorName;
  seed?: number;
  walks?: number;
  maxSteps?: number;
  /** Refuse to build graphs larger than this many states. */
  maxStates?: number;
}

/** A path is a list of graph edges from the initial state. */
export type Path = GraphEdge[];

/* ---------- generators ---------- */

/** Greedy transition tour: paths that together take every reachable transition. */
export function transitionTour(graph: StateGraph): Path[] {
  const uncovered = new Set(graph.reachableTransitions);
  const count = graph.states.length;
  const depth = bfsDistances(graph, 0);
  const paths: Path[] = [];
  let path: Path = [];
  let current = 0;
  const takes = (edge: GraphEdge) => edge.transitions.some((id) => uncovered.has(id));
  const cover = (edge: GraphEdge) => {
    for (const id of edge.transitions) uncovered.delete(id);
    path.push(edge);
    current = edge.target;
  };
  // From the initial state: the nearest uncovered edge by BFS depth (lowest index on ties).
  const nearestFromInitial = (): number => {
    let best = -1;
    for (let s = 0; s < count; s++) {
      if ((best < 0 || depth[s] < depth[best]) && graph.edges[s].some(takes)) best = s;
    }
    return best;
  };

  while (uncovered.size > 0) {
    const near = nearestUncovered(graph, current, takes);
    if (near === null && path.length === 0)
      throw new Error('tour: uncovered transitions unreachable');
    const fromInitial = nearestFromInitial();
    if (near === null || (path.length > 0 && depth[fromInitial] < near.distance)) {
      // Reset: the rest is closer to (or only reachable from) the initial state.
      if (path.length > 0) paths.push(path);
      path = [];
      current = 0;
      continue;
    }
    for (const edge of near.route) cover(edge);
    cover(graph.edges[near.state].find(takes)!);
  }
  if (path.length > 0) paths.push(path);
  return withoutRedundantPaths(paths);
}

/**
 * Drops paths whose transitions the other paths all take too (a later path may have covered,
 * on its way, what an earlier one was made for). Longest paths are tried first.
 */
function withoutRedundantPaths(paths: Path[]): Path[] {
  const takenBy = (path: Path) => new Set(path.flatMap((edge) => edge.transitions));
  const counts = new Map<number, number>();
  const sets = paths.map(takenBy);
  for (const set of sets) for (const id of set) counts.set(id, (counts.get(id) ?? 0) + 1);
  const order = paths.map((_, i) => i).sort((a, b) => paths[b].length - paths[a].length || a - b);
  const dropped = new Set<number>();
  for (const i of order) {
    if ([...sets[i]].every((id) => counts.get(id)! > 1)) {
      dropped.add(i);
      for (const id of sets[i]) counts.set(id, counts.get(id)! - 1);
    }
  }
  return paths.filter((_, i) => !dropped.has(i));
}

/** BFS from `from` to the nearest state with an edge that `takes`; null when none is reachable. */
function nearestUncovered(
  graph: StateGraph,
  from: number,
  takes: (edge: GraphEdge) => boolean,
): { state: number; distance: number; route: Path } | null {
  const count = graph.states.length;
  const previous = new Int32Array(count).fill(-1);
  const previousEdge = new Int32Array(count).fill(-1);
  const seen = new Uint8Array(count);
  const queue = new Int32Array(count);
  let tail = 0;
  queue[tail++] = from;
  seen[from] = 1;
  for (let head = 0; head < tail; head++) {
    const s = queue[head];
    if (graph.edges[s].some(takes)) {
      const route: Path = [];
      for (let t = s; t !== from; t = previous[t]) {
        route.push(graph.edges[previous[t]][previousEdge[t]]);
      }
      route.reverse();
      return { state: s, distance: route.length, route };
    }
    graph.edges[s].forEach((edge, e) => {
      if (seen[edge.target]) return;
      seen[edge.target] = 1;
      previous[edge.target] = s;
      previousEdge[edge.target] = e;
      queue[tail++] = edge.target;
    });
  }
  return null;
}

function bfsDistances(graph: StateGraph, from: number): Int32Array {
  const distance = new Int32Array(graph.states.length).fill(-1);
  const queue = [from];
  distance[from] = 0;
  for (let head = 0; head < queue.length; head++) {
    const s = queue[head];
    for (const edge of graph.edges[s]) {
      if (distance[edge.target] < 0) {
        distance[edge.target] = distance[s] + 1;
        queue.push(edge.target);
      }
    }
  }
  return distance;
}

/** Shortest paths to every reachable state: one per leaf of the BFS tree. */
export function stateCover(graph: StateGraph): Path[] {
  const hasChild = new Uint8Array(graph.states.length);
  for (let s = 1; s < graph.states.length; s++) hasChild[graph.parent[s]] = 1;
  const paths: Path[] = [];
  for (let s = 0; s < graph.states.length; s++) {
    if (!hasChild[s] && s !== 0) paths.push(shortestPathTo(graph, s));
  }
  // A model with a single state still gets one (empty) vector that checks the reset outputs.
  if (paths.length === 0) paths.push([]);
  return paths;
}

/** Seeded random walks; each stops early in a state with no enabled event. */
export function randomWalks(
  graph: StateGraph,
  seed: number,
  walks: number,
  maxSteps: number,
): Path[] {
  const choices = fc.array(fc.nat({ max: 0xffff }), { minLength: maxSteps, maxLength: maxSteps });
  return fc.sample(choices, { seed, numRuns: walks }).map((picks) => {
    const path: Path = [];
    let state = 0;
    for (const pick of picks) {
      const out = graph.edges[state];
      if (out.length === 0) break;
      const edge = out[pick % out.length];
      path.push(edge);
      state = edge.target;
    }
    return path;
  });
}

/* ---------- suites ---------- */

export interface GeneratedSuite {
  suite: TestSuite;
  graph: StateGraph;
  paths: Path[];
}

export function generateSuite(
  definition: ModelDefinition,
  options: GenerateOptions,
): GeneratedSuite {
  const config = resolveConfig(definition, options);
  const system = new ModelSystem(definition, config);
  const graph = buildStateGraph(system, options.maxStates);
  if (!graph.complete) {
    throw new GenerateError(
      `${definition.name} has more than ${options.maxStates} reachable states under these bounds; use smaller bounds`,
    );
  }
  const seed = options.seed ?? DEFAULT_SEED;
  const walks = options.walks ?? DEFAULT_WALKS;
  const maxSteps = options.maxSteps ?? DEFAULT_WALK_STEPS;
  const paths =
    options.generator === 'tour'
      ? transitionTour(graph)
      : options.generator === 'states'
        ? stateCover(graph)
        : randomWalks(graph, seed, walks, maxSteps);
  const labels = system.compiled.transitions.map((t) => t.label);
  const covered = new Set<number>();
  const vectors: TestVector[] = paths.map((path, i) => ({
    id: `${options.generator}-${i + 1}`,
    steps: path.map((edge) => {
      edge.transitions.forEach((id) => covered.add(id));
      return {
        event: edge.event as TestVector['steps'][number]['event'],
        outputs: edge.outputs,
        state: formatStateValue(system.compiled.stateValue(graph.states[edge.target].config)),
        transitions: edge.transitions.map((id) => labels[id]),
      };
    }),
  }));
  const suite: TestSuite = {
    format: VECTOR_FORMAT,
    version: VECTOR_VERSION,
    protocol: definition.name,
    bounds: { ...config.bounds },
    variants: [...config.variants].sort(),
    generator:
      options.generator === 'random'
        ? { name: 'random', seed, walks, maxSteps }
        : { name: options.generator },
    summary: {
      vectors: vectors.length,
      steps: paths.reduce((sum, path) => sum + path.length, 0),
      reachableStates: graph.states.length,
      reachableTransitions: graph.reachableTransitions.length,
      coveredTransitions: covered.size,
    },
    initialOutputs: graph.initialOutputs,
    vectors,
  };
  return { suite, graph, paths };
}

/** A generation the user asked for that cannot be done (too many states): exit 2. */
export class GenerateError extends Error {}

/**
 * What xstate/graph's getShortestPaths gives for the same model and alphabet: the number of
 * paths (one per reachable state) and their total length, the baseline the tour is compared to.
 * It runs XState's interpreter, so it is only practical for small state spaces.
 */
export function xstateShortestPathsBaseline(
  definition: ModelDefinition,
  request: ConfigRequest = {},
): { paths: number; totalLength: number } {
  const instance = definition.build(resolveConfig(definition, request));
  const machine: AnyStateMachine = instance.machine;
  const paths = getShortestPaths(machine, {
    // A snapshot offers value, context and matches('a.b'): what the alphabet reads.
    events: (snapshot) => instance.events(snapshot as unknown as ModelState<unknown>),
  });
  return {
    paths: paths.length,
    totalLength: paths.reduce((sum, path) => sum + path.weight, 0),
  };
}

/** Total number of events in a set of paths. */
export function totalLength(paths: readonly Path[] | readonly TestVector[]): number {
  return paths.reduce(
    (sum: number, p: Path | TestVector) => sum + (Array.isArray(p) ? p.length : p.steps.length),
    0,
  );
}
