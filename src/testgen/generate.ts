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
 * - edges: every edge of the explored state graph (each event from each reachable state),
 *   in as few steps as a greedy walk finds; its lower bound is the number of edges.
 * - pairs: every feasible pair of consecutive model transitions (an edge taking `a` into a
 *   state with an edge taking `b`), so behaviour that depends on what came just before is
 *   exercised, which a tour (each transition once) and a state cover (shortest paths) miss.
 *
 * With a model's `conformance` spec, every step also carries the model's enabled events of its
 * `enabling` types and its `observe()` projection, and the tour, edges and pairs suites offer
 * the driver refusal steps: events of those types the model refuses in the state at hand.
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
  canonicalJson,
  VECTOR_FORMAT,
  VECTOR_VERSION,
  type GeneratorName,
  type TestSuite,
  type TestVector,
  type VectorEvent,
  type VectorStep,
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

/**
 * A cap on the steps a suite may have, counted while it is built: the first step past it
 * stops the generator (OverBudget), so a suite too large to replay is never held in memory
 * (an edge cover of 1.5 M steps with two-way records outgrew a 4 GB heap).
 */
export class StepBudget {
  private used = 0;
  constructor(readonly limit: number = Infinity) {}
  add(steps: number): void {
    this.used += steps;
    if (this.used > this.limit) throw new OverBudget(this.used, this.limit);
  }
}

/** A suite stopped at `steps` (already past `limit`): it has at least that many. */
export class OverBudget extends Error {
  constructor(
    readonly steps: number,
    readonly limit: number,
  ) {
    super(`${steps}+ steps > budget ${limit}`);
  }
}

const UNLIMITED = new StepBudget();

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

/**
 * Every edge of the state graph. A greedy walk: take an untaken edge out of the current state
 * when there is one, else go by a shortest route to the nearest state that has one, or start a
 * new vector from reset when that state is no nearer than the nearest one from the initial
 * state (states are numbered in BFS order, so the first with an untaken edge is that one, and
 * its BFS-tree path is a shortest route to it).
 */
export function edgeCover(graph: StateGraph, budget: StepBudget = UNLIMITED): Path[] {
  const taken = graph.edges.map((out) => new Uint8Array(out.length));
  const left = graph.edges.map((out) => out.length);
  const depth = bfsDistances(graph, 0);
  const search = new NearestSearch(graph);
  let remaining = left.reduce((a, b) => a + b, 0);
  let firstOpen = 0;
  const paths: Path[] = [];
  let path: Path = [];
  let current = 0;
  while (remaining > 0) {
    if (left[current] > 0) {
      // Prefer an untaken edge that leads on to more untaken edges (fewer detours and resets).
      let index = -1;
      graph.edges[current].forEach((edge, e) => {
        if (taken[current][e]) return;
        if (index < 0 || left[edge.target] > left[graph.edges[current][index].target]) index = e;
      });
      taken[current][index] = 1;
      left[current] -= 1;
      remaining -= 1;
      const edge = graph.edges[current][index];
      budget.add(1);
      path.push(edge);
      current = edge.target;
      continue;
    }
    while (left[firstOpen] === 0) firstOpen += 1;
    const fromHere = search.nearest(current, (state) => left[state] > 0, depth[firstOpen] - 1);
    if (fromHere) {
      budget.add(fromHere.route.length);
      path.push(...fromHere.route);
      current = fromHere.state;
      continue;
    }
    if (path.length > 0) paths.push(path);
    path = shortestPathTo(graph, firstOpen);
    budget.add(path.length);
    current = firstOpen;
  }
  if (path.length > 0) paths.push(path);
  return paths;
}

/** Breadth-first searches over one graph, reusing their buffers (edge cover runs thousands). */
class NearestSearch {
  private readonly previous: Int32Array;
  private readonly previousEdge: Int32Array;
  private readonly seenAt: Int32Array;
  private readonly queue: Int32Array;
  private readonly distance: Int32Array;
  private generation = 0;

  constructor(private readonly graph: StateGraph) {
    const count = graph.states.length;
    this.previous = new Int32Array(count);
    this.previousEdge = new Int32Array(count);
    this.seenAt = new Int32Array(count);
    this.queue = new Int32Array(count);
    this.distance = new Int32Array(count);
  }

  /** The nearest state (by edges, then BFS order) satisfying `wanted`, within `maxDistance`. */
  nearest(
    from: number,
    wanted: (state: number) => boolean,
    maxDistance = Infinity,
  ): { state: number; route: Path } | null {
    const stamp = ++this.generation;
    let tail = 0;
    this.queue[tail++] = from;
    this.seenAt[from] = stamp;
    this.distance[from] = 0;
    for (let head = 0; head < tail; head++) {
      const s = this.queue[head];
      if (wanted(s)) {
        const route: Path = [];
        for (let t = s; t !== from; t = this.previous[t]) {
          route.push(this.graph.edges[this.previous[t]][this.previousEdge[t]]);
        }
        return { state: s, route: route.reverse() };
      }
      if (this.distance[s] >= maxDistance) continue;
      const out = this.graph.edges[s];
      for (let e = 0; e < out.length; e++) {
        const target = out[e].target;
        if (this.seenAt[target] === stamp) continue;
        this.seenAt[target] = stamp;
        this.previous[target] = s;
        this.previousEdge[target] = e;
        this.distance[target] = this.distance[s] + 1;
        this.queue[tail++] = target;
      }
    }
    return null;
  }
}

/** The label of what an edge does in the statechart: its model transitions. */
function edgeLabel(edge: GraphEdge): string {
  return edge.transitions.join('+');
}

/**
 * Every feasible pair of consecutive edge labels (`a` then `b`): greedy, like edgeCover, over
 * pairs instead of edges. The pairs out of the initial state count with an empty `a`.
 */
export function transitionPairs(graph: StateGraph, budget: StepBudget = UNLIMITED): Path[] {
  const pairKey = (into: GraphEdge | null, out: GraphEdge) =>
    `${into ? edgeLabel(into) : ''}>${edgeLabel(out)}`;
  const all = new Set<string>();
  const incoming: Array<GraphEdge[]> = graph.states.map(() => []);
  graph.edges.forEach((out) => out.forEach((edge) => incoming[edge.target].push(edge)));
  graph.edges.forEach((out, state) => {
    const intos: Array<GraphEdge | null> =
      state === 0 ? [null, ...incoming[state]] : incoming[state];
    for (const into of intos) for (const edge of out) all.add(pairKey(into, edge));
  });
  const covered = new Set<string>();
  const paths: Path[] = [];
  let path: Path = [];
  let current = 0;
  let last: GraphEdge | null = null;
  const step = (edge: GraphEdge) => {
    budget.add(1);
    covered.add(pairKey(last, edge));
    path.push(edge);
    last = edge;
    current = edge.target;
  };
  // A state is worth reaching when some edge into it... is the last one taken: so look for a
  // state with an out-edge whose pair with one of the edges out of it is still open.
  const opensPair = (edge: GraphEdge) =>
    graph.edges[edge.target].some((next) => !covered.has(pairKey(edge, next)));
  while (covered.size < all.size) {
    const here = graph.edges[current].find((edge) => !covered.has(pairKey(last, edge)));
    if (here) {
      step(here);
      continue;
    }
    const near = nearestUncovered(graph, current, (edge) => opensPair(edge));
    if (near === null) {
      if (path.length === 0) throw new Error('pairs: uncovered pairs unreachable');
      paths.push(path);
      path = [];
      current = 0;
      last = null;
      continue;
    }
    for (const edge of near.route) step(edge);
    step(graph.edges[near.state].find(opensPair)!);
  }
  if (path.length > 0) paths.push(path);
  return paths;
}

/** BFS from `from` to the nearest state with an edge that `takes`; null when none is reachable. */
function nearestUncovered(
  graph: StateGraph,
  from: number,
  takes: (edge: GraphEdge, index: number, state: number) => boolean,
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
    if (graph.edges[s].some((edge, index) => takes(edge, index, s))) {
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
export function stateCover(graph: StateGraph, budget: StepBudget = UNLIMITED): Path[] {
  const hasChild = new Uint8Array(graph.states.length);
  for (let s = 1; s < graph.states.length; s++) hasChild[graph.parent[s]] = 1;
  const paths: Path[] = [];
  for (let s = 0; s < graph.states.length; s++) {
    if (!hasChild[s] && s !== 0) {
      const path = shortestPathTo(graph, s);
      budget.add(path.length);
      paths.push(path);
    }
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
  const [generated] = generateSuites(definition, [options.generator], options);
  return generated;
}

/**
 * One suite per generator from a single exploration: the graph is built once and only read
 * by the generators, so several suites at the same bounds cost one exploration, not one each.
 */
export function generateSuites(
  definition: ModelDefinition,
  generators: readonly GeneratorName[],
  options: Omit<GenerateOptions, 'generator'>,
): GeneratedSuite[] {
  return generateSuitesWithin(definition, generators, options, Infinity) as GeneratedSuite[];
}

/** A suite that was not built: it passed the step budget at `steps` (it has at least that many). */
export interface SkippedSuite {
  generator: GeneratorName;
  skipped: { steps: number; budget: number };
}

/**
 * generateSuites, each suite built only while it has at most `maxSuiteSteps` steps (refusal
 * steps included): one that passes the budget is dropped as soon as it does, and reported as
 * skipped with the count it had reached.
 */
export function generateSuitesWithin(
  definition: ModelDefinition,
  generators: readonly GeneratorName[],
  options: Omit<GenerateOptions, 'generator'>,
  maxSuiteSteps: number,
): Array<GeneratedSuite | SkippedSuite> {
  const config = resolveConfig(definition, options);
  const system = new ModelSystem(definition, config);
  const graph = buildStateGraph(system, options.maxStates);
  if (!graph.complete) {
    throw new GenerateError(
      `${definition.name} has more than ${options.maxStates} reachable states under these bounds; use smaller bounds`,
    );
  }
  return generators.map((generator) => {
    try {
      return suiteFromGraph(definition, config, graph, { ...options, generator }, maxSuiteSteps);
    } catch (error) {
      if (!(error instanceof OverBudget)) throw error;
      return { generator, skipped: { steps: error.steps, budget: error.limit } };
    }
  });
}

function suiteFromGraph(
  definition: ModelDefinition,
  config: ReturnType<typeof resolveConfig>,
  graph: StateGraph,
  options: GenerateOptions,
  maxSuiteSteps = Infinity,
): GeneratedSuite {
  const seed = options.seed ?? DEFAULT_SEED;
  const walks = options.walks ?? DEFAULT_WALKS;
  const maxSteps = options.maxSteps ?? DEFAULT_WALK_STEPS;
  // The paths' edges first (the generators that can grow with the graph stop at the budget;
  // the tour and random walks are small by construction), then the vector steps, refusals
  // included, against the same budget afresh.
  const pathBudget = new StepBudget(maxSuiteSteps);
  const paths =
    options.generator === 'tour'
      ? transitionTour(graph)
      : options.generator === 'states'
        ? stateCover(graph, pathBudget)
        : options.generator === 'edges'
          ? edgeCover(graph, pathBudget)
          : options.generator === 'pairs'
            ? transitionPairs(graph, pathBudget)
            : randomWalks(graph, seed, walks, maxSteps);
  const covered = new Set<number>();
  for (const path of paths)
    for (const edge of path) edge.transitions.forEach((id) => covered.add(id));
  const steps = new VectorSteps(graph, REFUSALS[options.generator]);
  const stepBudget = new StepBudget(maxSuiteSteps);
  const vectors: TestVector[] = paths.map((path, i) => ({
    id: `${options.generator}-${i + 1}`,
    steps: steps.of(path, stepBudget),
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
      steps: totalLength(vectors),
      reachableStates: graph.states.length,
      reachableTransitions: graph.reachableTransitions.length,
      coveredTransitions: covered.size,
    },
    initialOutputs: graph.initialOutputs,
    ...steps.initial(),
    vectors,
  };
  return { suite, graph, paths };
}

/**
 * Where refusal steps are offered: once per state (tour: few states, each worth it), once per
 * statechart configuration (edges, pairs: they visit every state, so per state would double
 * them), never (states, random: their size is their point).
 */
const REFUSALS: Record<GeneratorName, 'state' | 'configuration' | 'none'> = {
  tour: 'state',
  edges: 'configuration',
  pairs: 'configuration',
  states: 'none',
  random: 'none',
};

/** Turns paths into vector steps: outputs, state, transitions, and the two-way fields. */
class VectorSteps {
  private readonly labels: string[];
  private readonly conformance;
  private readonly offered = new Set<string>();
  private readonly enabledCache = new Map<number, VectorEvent[]>();
  /* One projection per state, shared by every step that reaches it (a state cover repeats
     states along its prefixes: a fresh object per step outgrew a worker's heap on pci-doe). */
  private readonly observedCache = new Map<number, Record<string, unknown>>();

  constructor(
    private readonly graph: StateGraph,
    private readonly refusals: 'state' | 'configuration' | 'none',
  ) {
    this.labels = graph.system.compiled.transitions.map((t) => t.label);
    this.conformance = graph.system.instance.conformance;
  }

  /** The two-way fields after reset. */
  initial(): Pick<TestSuite, 'initialEnabled' | 'initialObserved'> {
    return this.conformance
      ? { initialEnabled: this.enabled(0), ...this.observedAt('initialObserved', 0) }
      : {};
  }

  of(path: Path, budget: StepBudget = UNLIMITED): VectorStep[] {
    const steps: VectorStep[] = [];
    let state = 0;
    const refusals = (at: number) => {
      const offered = this.refusalsAt(at);
      budget.add(offered.length);
      steps.push(...offered);
    };
    for (const edge of path) {
      refusals(state);
      budget.add(1);
      steps.push({
        event: edge.event as VectorEvent,
        outputs: edge.outputs,
        state: this.stateText(edge.target),
        transitions: edge.transitions.map((id) => this.labels[id]),
        ...this.twoWay(edge.target),
      });
      state = edge.target;
    }
    refusals(state);
    return steps;
  }

  private twoWay(state: number): Pick<VectorStep, 'enabled' | 'observed'> {
    if (!this.conformance) return {};
    return { enabled: this.enabled(state), ...this.observedAt('observed', state) };
  }

  private observedAt<K extends string>(
    key: K,
    state: number,
  ): Partial<Record<K, Record<string, unknown>>> {
    const observe = this.conformance?.observe;
    if (!observe) return {};
    let observed = this.observedCache.get(state);
    if (!observed) {
      const view = this.graph.system.view({ state: this.graph.states[state], monitors: [] });
      observed = observe(view);
      this.observedCache.set(state, observed);
    }
    return { [key]: observed } as Partial<Record<K, Record<string, unknown>>>;
  }

  /** The events of `enabling` types the model enables in `state`, distinct, in canonical order. */
  private enabled(state: number): VectorEvent[] {
    const cached = this.enabledCache.get(state);
    if (cached) return cached;
    const types = new Set(this.conformance?.enabling ?? []);
    const events = distinct(
      this.graph.edges[state]
        .filter((e) => types.has(e.event.type))
        .map((e) => e.event as VectorEvent),
    );
    this.enabledCache.set(state, events);
    return events;
  }

  private refusalsAt(state: number): VectorStep[] {
    if (this.refusals === 'none') return [];
    const where = this.refusals === 'state' ? `s${state}` : `c${this.graph.states[state].config}`;
    const steps: VectorStep[] = [];
    for (const event of distinct(this.graph.refused[state] as VectorEvent[])) {
      const key = `${where}:${canonicalJson(event)}`;
      if (this.offered.has(key)) continue;
      this.offered.add(key);
      steps.push({
        event,
        outputs: [],
        state: this.stateText(state),
        transitions: [],
        refused: true,
        ...this.twoWay(state),
      });
    }
    return steps;
  }

  private stateText(state: number): string {
    return formatStateValue(this.graph.system.compiled.stateValue(this.graph.states[state].config));
  }
}

function distinct(events: readonly VectorEvent[]): VectorEvent[] {
  const byKey = new Map(events.map((event) => [canonicalJson(event), event]));
  return [...byKey.keys()].sort().map((key) => byKey.get(key)!);
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
