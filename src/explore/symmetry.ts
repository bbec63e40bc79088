/**
 * Symmetry reduction: one representative per orbit of the declared permutations
 * (src/model/symmetry.ts), as TLC's SYMMETRY and SPIN's symmetry tools do.
 *
 * - `Symmetry.canonical` maps a state to its orbit's representative: per group, the members
 *   are sorted by their own data (their array items and their region's active states, with
 *   member indices masked, so that the sort key moves with the member), and when members tie
 *   every order of the tied ones is tried and the smallest encoding wins. That makes the
 *   representative exact for one group; with several groups, each is sorted in turn, which
 *   stays sound (every representative is in its state's orbit) but may keep more than one per
 *   orbit. More than MAX_CANDIDATES tied orders: the stable sort alone (sound, not minimal).
 * - `SymmetricVisited` wraps the explorer's visited set: every state is stored as its
 *   representative (the hook in src/explore/explore.ts).
 * - `concreteTraces` turns a path found among representatives into a path of the unreduced
 *   model: from the initial state it re-executes the steps, choosing at each one the concrete
 *   successor whose representative is the one the search reached. The printed trace then
 *   replays on the model without symmetry.
 * - `checkSymmetry` (`check --check-symmetry`) explores the unreduced model and verifies, for
 *   every reachable state and every generator of each group, that the permuted state's
 *   successors are exactly the permuted successors (with the same step violations), and that
 *   invariants, terminal states and liveness goals agree: a declaration the code does not
 *   honour (lowest-free-index reuse, a property about member 0) is reported with a trace.
 */
import { resolveConfig, UsageError } from '../model/config.ts';
import type { ModelDefinition } from '../model/model.ts';
import {
  EACH,
  SymmetryDeclarationError,
  valueAt,
  type PathStep,
  type Place,
  type SymmetryGroup,
} from '../model/symmetry.ts';
import type { ModelSystem, Successor, SystemNode } from '../model/system.ts';
import { ModelSystem as System } from '../model/system.ts';
import { formatEvent, replayIndices, type Trace } from '../model/trace.ts';
import { Expander } from './expand.ts';
import type { ExploreOptions } from './result.ts';
import { StateCodec } from './state-codec.ts';
import type { Visited } from './visited.ts';

/** Above this many orders of tied members, the stable sort alone is used. */
const MAX_CANDIDATES = 720;

type Rename = (value: unknown) => unknown;

/** `value` with `fn` applied at `steps[from..]`, copying only what changes (key order kept). */
function updateAt(value: unknown, steps: readonly PathStep[], from: number, fn: Rename): unknown {
  if (from === steps.length) return fn(value);
  const step = steps[from];
  if (step === EACH) {
    if (!Array.isArray(value)) return value;
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const next = updateAt(item, steps, from + 1, fn);
      if (next !== item) (copy ??= value.slice())[i] = next;
    }
    return copy ?? value;
  }
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  const child = record[step];
  if (child === undefined) return value;
  const next = updateAt(child, steps, from + 1, fn);
  return next === child ? value : { ...record, [step]: next };
}

/** Calls `fn` with every value at `steps[from..]` (EACH: every item). */
function visitAt(
  value: unknown,
  steps: readonly PathStep[],
  from: number,
  fn: (value: unknown) => void,
): void {
  if (from === steps.length) {
    fn(value);
    return;
  }
  const step = steps[from];
  if (step === EACH) {
    if (Array.isArray(value)) for (const item of value) visitAt(item, steps, from + 1, fn);
  } else if (value !== null && typeof value === 'object') {
    const child = (value as Record<string, unknown>)[step];
    if (child !== undefined) visitAt(child, steps, from + 1, fn);
  }
}

const isIndex = (value: unknown, size: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < size;

/** A group with what canonicalisation precomputes. */
interface Group extends SymmetryGroup {
  /** Per array: the index paths inside its items (masked in the members' sort keys). */
  inner: Array<Array<{ steps: PathStep[]; set: boolean }>>;
  /** A member index as the sort keys see it (masked), alone and in a set. */
  mask: Rename;
  maskSet: Rename;
}

/** The group's permutations that generate all of them: a swap and a rotation. */
export function generators(size: number): number[][] {
  const identity = Array.from({ length: size }, (_, i) => i);
  const result: number[][] = [];
  if (size >= 2) result.push([1, 0, ...identity.slice(2)]);
  if (size >= 3) result.push([...identity.slice(1), 0]);
  return result;
}

/** The value a place's path starts from: the context, or a monitor's state. */
const rootOf = (node: SystemNode, place: Place): unknown =>
  place.root < 0 ? node.state.context : node.monitors[place.root];

function startsWith(path: readonly PathStep[], prefix: readonly PathStep[]): boolean {
  return prefix.every((step, i) => path[i] === step);
}

export class Symmetry {
  readonly groups: Group[];
  private readonly codec = new StateCodec();
  private best = new Uint8Array(256);
  private bestLength = 0;
  private readonly permutedConfigs = new Map<string, number>();
  private readonly regionKeys = new Map<string, string[]>();

  constructor(readonly system: ModelSystem) {
    this.groups = system.symmetry.map((group) => ({
      ...group,
      mask: (value) => (isIndex(value, group.size) ? '#' : value),
      maskSet: (value) =>
        Array.isArray(value) ? value.map((v) => (isIndex(v, group.size) ? '#' : v)) : value,
      inner: group.arrays.map((array) => {
        const prefix: PathStep[] = [...array.steps, EACH];
        return [
          ...group.indices.map((place) => ({ place, set: false })),
          ...group.sets.map((place) => ({ place, set: true })),
        ]
          .filter(({ place }) => place.root === array.root && startsWith(place.steps, prefix))
          .map(({ place, set }) => ({ steps: place.steps.slice(prefix.length), set }));
      }),
    }));
  }

  /**
   * The node with the members of `group` reordered: new member j is old member `order[j]`;
   * every member index is renamed to match.
   */
  permute(node: SystemNode, group: Group, order: readonly number[]): SystemNode {
    const size = group.size;
    const rename: number[] = [];
    for (let j = 0; j < size; j++) rename[order[j]] = j;
    const renameValue: Rename = (value) => (isIndex(value, size) ? rename[value] : value);
    let context = node.state.context;
    let monitors = node.monitors;
    const apply = ({ root, steps }: Place, fn: Rename) => {
      if (root < 0) {
        context = updateAt(context, steps, 0, fn);
        return;
      }
      const next = updateAt(monitors[root], steps, 0, fn);
      if (next === monitors[root]) return;
      if (monitors === node.monitors) monitors = monitors.slice();
      monitors[root] = next;
    };
    for (const place of group.indices) apply(place, renameValue);
    for (const place of group.sets) {
      apply(place, (value) =>
        Array.isArray(value) ? value.map(renameValue).sort(byNumber) : value,
      );
    }
    for (const place of group.arrays) {
      apply(place, (value) => {
        if (!Array.isArray(value) || value.length !== size) {
          throw new SymmetryDeclarationError(
            `symmetry '${group.name}': '${pathText(place.steps)}' no longer holds ${size} members`,
          );
        }
        return order.map((i) => value[i] as unknown);
      });
    }
    const config = this.permuteConfig(node.state.config, group, rename);
    return { state: { config, context }, monitors };
  }

  /** The configuration with each member's region moved to where `rename` sends the member. */
  private permuteConfig(config: number, group: Group, rename: readonly number[]): number {
    const regions = group.regionIds;
    if (regions.length === 0) return config;
    const key = `${group.name}:${config}:${rename.join(',')}`;
    let permuted = this.permutedConfigs.get(key);
    if (permuted === undefined) {
      const compiled = this.system.compiled;
      const ids = compiled.activeStateNodes(config).map((id) => {
        for (let i = 0; i < regions.length; i++) {
          const region = regions[i];
          if (id === region || id.startsWith(region + '.')) {
            return regions[rename[i]] + id.slice(region.length);
          }
        }
        return id;
      });
      permuted = compiled.configurationOfNodeIds(ids);
      this.permutedConfigs.set(key, permuted);
    }
    return permuted;
  }

  /** Per member, its region's active states (relative to the region), as a string. */
  private regionKeysOf(config: number, group: Group): string[] {
    const key = `${group.name}:${config}`;
    let keys = this.regionKeys.get(key);
    if (keys === undefined) {
      const active = this.system.compiled.activeStateNodes(config);
      keys = group.regionIds.map((region) =>
        active
          .filter((id) => id.startsWith(region + '.'))
          .map((id) => id.slice(region.length))
          .join(' '),
      );
      this.regionKeys.set(key, keys);
    }
    return keys;
  }

  /** Each member's own data as a string: equal strings mean members that differ only in name. */
  private memberKeys(node: SystemNode, group: Group): string[] {
    const config = node.state.config;
    const size = group.size;
    const keys: string[] =
      group.regionIds.length > 0 ? this.regionKeysOf(config, group).slice() : Array(size).fill('');
    const { mask, maskSet } = group;
    for (let a = 0; a < group.arrays.length; a++) {
      const array = valueAt(rootOf(node, group.arrays[a]), group.arrays[a].steps) as unknown[];
      const inner = group.inner[a];
      for (let i = 0; i < size; i++) {
        let item: unknown = array[i];
        for (const { steps, set } of inner) item = updateAt(item, steps, 0, set ? maskSet : mask);
        keys[i] += '\u0000' + (typeof item === 'number' ? String(item) : JSON.stringify(item));
      }
    }
    return keys;
  }

  /** The representative of `node`'s orbit (`node` itself when it is one). */
  canonical(node: SystemNode): SystemNode {
    let current = node;
    for (const group of this.groups) {
      const keys = this.memberKeys(current, group);
      const order = Array.from({ length: group.size }, (_, i) => i);
      order.sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : a - b));
      const runs: Array<[number, number]> = [];
      let candidates = 1;
      for (let start = 0; start < order.length;) {
        let end = start + 1;
        while (end < order.length && keys[order[end]] === keys[order[start]]) end++;
        if (end - start > 1) {
          runs.push([start, end]);
          for (let n = 2; n <= end - start; n++) candidates *= n;
        }
        start = end;
      }
      if (runs.length > 0) {
        // Tied members that nothing names are identical: their order changes nothing.
        const named = this.namedMembers(current, group);
        for (let r = runs.length - 1; r >= 0; r--) {
          const [start, end] = runs[r];
          if (order.slice(start, end).some((member) => named[member])) continue;
          runs.splice(r, 1);
          for (let n = 2; n <= end - start; n++) candidates /= n;
        }
      }
      if (runs.length === 0 || candidates > MAX_CANDIDATES) {
        if (order.some((old, j) => old !== j)) current = this.permute(current, group, order);
        continue;
      }
      let best: SystemNode | undefined;
      for (const candidate of orders(order, runs)) {
        const permuted = candidate.every((old, j) => old === j)
          ? current
          : this.permute(current, group, candidate);
        this.codec.encode(permuted.state.config, permuted.state.context, permuted.monitors);
        if (best === undefined || this.encodedBeforeBest()) {
          best = permuted;
          this.keepBest();
        }
      }
      current = best!;
    }
    return current;
  }

  /** Per member, whether some index or set field of the state names it. */
  private namedMembers(node: SystemNode, group: Group): boolean[] {
    const named: boolean[] = Array(group.size).fill(false);
    const note = (value: unknown) => {
      if (isIndex(value, group.size)) named[value] = true;
    };
    for (const place of group.indices) visitAt(rootOf(node, place), place.steps, 0, note);
    for (const place of group.sets) {
      visitAt(rootOf(node, place), place.steps, 0, (value) => {
        if (Array.isArray(value)) value.forEach(note);
      });
    }
    return named;
  }

  /** Whether the codec's last encoding sorts before the best kept so far. */
  private encodedBeforeBest(): boolean {
    const { buffer, length } = this.codec;
    const common = Math.min(length, this.bestLength);
    for (let i = 0; i < common; i++) {
      if (buffer[i] !== this.best[i]) return buffer[i] < this.best[i];
    }
    return length < this.bestLength;
  }

  /** Keeps the codec's last encoding as the best. */
  private keepBest(): void {
    const { buffer, length } = this.codec;
    if (this.best.length < length) this.best = new Uint8Array(length * 2);
    this.best.set(buffer.subarray(0, length));
    this.bestLength = length;
  }
}

const pathText = (steps: readonly PathStep[]) =>
  steps
    .map((step) => (step === EACH ? '[]' : `.${step}`))
    .join('')
    .slice(1);

const byNumber = (a: unknown, b: unknown) => (a as number) - (b as number);

/** Every order that permutes the members within each run of `order` (runs of tied keys). */
function* orders(
  order: readonly number[],
  runs: ReadonlyArray<[number, number]>,
): Generator<number[]> {
  if (runs.length === 0) {
    yield order.slice();
    return;
  }
  const [[start, end], ...rest] = runs;
  for (const run of permutations(order.slice(start, end))) {
    yield* orders([...order.slice(0, start), ...run, ...order.slice(end)], rest);
  }
}

function* permutations(items: readonly number[]): Generator<number[]> {
  if (items.length <= 1) {
    yield items.slice();
    return;
  }
  for (let i = 0; i < items.length; i++) {
    const rest = [...items.slice(0, i), ...items.slice(i + 1)];
    for (const tail of permutations(rest)) yield [items[i], ...tail];
  }
}

/** The explorer's visited set, storing every state as its orbit's representative. */
export class SymmetricVisited implements Visited {
  constructor(
    private readonly inner: Visited,
    private readonly symmetry: Symmetry,
  ) {}

  get added(): boolean {
    return this.inner.added;
  }

  get size(): number {
    return this.inner.size;
  }

  add(node: SystemNode): number {
    return this.inner.add(this.symmetry.canonical(node));
  }

  take(index: number): SystemNode {
    return this.inner.take(index);
  }

  bytes(): number {
    return this.inner.bytes();
  }
}

/** Maps a path among representatives to a concrete one (see resultOf in search-tree.ts). */
export type PathConcretizer = (
  path: readonly number[],
  lastStepViolates: boolean,
  property: string,
  message: string,
) => { path: number[]; message: string };

/**
 * Re-executes a path found in the reduced space on the unreduced model: at each step, the
 * concrete successor whose representative is the state the search reached (for a final
 * violating step, one that violates the property too). Messages are taken from the concrete
 * run, so the member indices they name are the trace's own.
 */
export function concreteTraces(system: ModelSystem, symmetry: Symmetry): PathConcretizer {
  const keyOf = (node: SystemNode) => system.key(symmetry.canonical(node));
  return (path, lastStepViolates, property, message) => {
    let rep = symmetry.canonical(system.initial().node);
    let concrete = system.initial().node;
    const concretePath: number[] = [];
    path.forEach((index, i) => {
      const event = system.events(rep)[index];
      const reached = event && system.stepWith(rep, system.view(rep), event, index);
      if (!reached) throw new Error(`symmetry: step ${i + 1} of a reduced trace is not enabled`);
      rep = symmetry.canonical(reached.node);
      const target = system.key(rep);
      const last = lastStepViolates && i === path.length - 1;
      const match = system
        .successors(concrete)
        .find(
          (s: Successor) =>
            keyOf(s.node) === target &&
            (!last || s.violations.some((violation) => violation.property === property)),
        );
      if (!match) {
        throw new SymmetryDeclarationError(
          `symmetry: step ${i + 1} (${formatEvent(event)} on a representative) has no concrete ` +
            'counterpart, so the model is not symmetric as declared; run check --check-symmetry',
        );
      }
      concretePath.push(match.eventIndex);
      concrete = match.node;
      if (last) message = match.violations.find((v) => v.property === property)!.message;
    });
    if (!lastStepViolates) {
      const violation = system.checkState(concrete).find((v) => v.property === property);
      if (violation) message = violation.message;
    }
    return { path: concretePath, message };
  };
}

/** What `checkSymmetry` found. */
export interface SymmetryCheck {
  protocol: string;
  bounds: Record<string, number>;
  groups: Array<{ name: string; members: number }>;
  /** States of the unreduced model checked. */
  states: number;
  complete: boolean;
  /** The first place where a declared permutation is not a symmetry of the model. */
  problem?: { group: string; permutation: number[]; message: string; trace: Trace };
}

/**
 * Verifies a model's symmetry declarations on its unreduced state graph (up to
 * `options.maxStates`): for every reachable state s and every generator p of each group,
 * successors(p(s)) = p(successors(s)) with the same step violations, and s and p(s) agree on
 * invariants, on being terminal and on every liveness goal. Generators suffice: if the model
 * commutes with a swap and a rotation it commutes with every permutation they compose.
 */
export function checkSymmetry(
  definition: ModelDefinition,
  options: ExploreOptions = {},
): SymmetryCheck {
  const config = resolveConfig(definition, options);
  const system = new System(definition, config);
  if (system.symmetry.length === 0) {
    throw new UsageError(`${definition.name} declares no symmetry at these bounds and variants`);
  }
  const symmetry = new Symmetry(system);
  const expander = new Expander(system);
  const maxStates = options.maxStates ?? Infinity;
  const ids = new Map<string, number>();
  const nodes: SystemNode[] = [];
  const parent: number[] = [];
  const via: number[] = [];
  const add = (node: SystemNode, from: number, eventIndex: number) => {
    const key = system.key(node);
    if (ids.has(key)) return;
    ids.set(key, nodes.length);
    nodes.push(node);
    parent.push(from);
    via.push(eventIndex);
  };
  add(system.initial().node, -1, -1);
  const stepKey = (s: Successor) =>
    `${system.key(s.node)} ${s.violations
      .map((v) => v.property)
      .sort()
      .join(',')}`;
  const goals = (node: SystemNode) => {
    const out: number[] = [];
    expander.goals(node, out, 0);
    return out.join(',');
  };
  const invariants = (node: SystemNode) =>
    system
      .checkState(node)
      .map((v) => v.property)
      .sort()
      .join(',');

  let index = 0;
  let problem: SymmetryCheck['problem'];
  search: for (; index < nodes.length && index < maxStates; index++) {
    const node = nodes[index];
    const successors = system.successors(node);
    for (const s of successors) add(s.node, index, s.eventIndex);
    for (const group of symmetry.groups) {
      for (const order of generators(group.size)) {
        const permuted = symmetry.permute(node, group, order);
        const say = (message: string) => {
          const path: number[] = [];
          for (let s = index; parent[s] !== -1; s = parent[s]) path.push(via[s]);
          problem = {
            group: group.name,
            permutation: order,
            message: `${group.name} ${describe(order)}: ${message}`,
            trace: replayIndices(system, path.reverse()),
          };
        };
        if (invariants(node) !== invariants(permuted)) {
          say(`invariants fail on [${invariants(node)}] here but on [${invariants(permuted)}]`);
          break search;
        }
        if (system.isTerminal(node) !== system.isTerminal(permuted)) {
          say('one of the two states is terminal and the other is not');
          break search;
        }
        if (goals(node) !== goals(permuted)) {
          say('a liveness goal holds in one of the two states and not in the other');
          break search;
        }
        const expected = new Map<string, Successor>();
        for (const s of successors) {
          const moved = { ...s, node: symmetry.permute(s.node, group, order) };
          expected.set(stepKey(moved), s);
        }
        const actual = new Map<string, Successor>();
        for (const s of system.successors(permuted)) actual.set(stepKey(s), s);
        for (const [key, s] of actual) {
          if (!expected.has(key)) {
            say(
              `after ${formatEvent(s.event)} the permuted state reaches a state that no step of ` +
                'this state reaches, permuted',
            );
            break search;
          }
        }
        for (const [key, s] of expected) {
          if (!actual.has(key)) {
            say(
              `${formatEvent(s.event)} here reaches a state whose permutation the permuted ` +
                'state cannot reach',
            );
            break search;
          }
        }
      }
    }
  }
  return {
    protocol: definition.name,
    bounds: { ...config.bounds },
    groups: symmetry.groups.map((group) => ({ name: group.name, members: group.size })),
    states: problem ? index + 1 : index,
    complete: problem !== undefined || index >= nodes.length,
    ...(problem ? { problem } : {}),
  };
}

/** `swapping members 0 and 1` or `rotating members (member i becomes i-1)`. */
function describe(order: readonly number[]): string {
  return order[0] === 1 && order[1] === 0
    ? 'swapping members 0 and 1'
    : `reordering members as [${order.join(', ')}] (new member j is old member order[j])`;
}
