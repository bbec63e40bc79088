/**
 * Symmetry declarations: which members of a model are interchangeable (callers, CPUs, slots),
 * where their state lives and where other parts of the state name them by index. The explorer
 * uses a declaration to store one representative per orbit (src/explore/symmetry.ts); this
 * module says what a declaration is and checks it against the model when the system is built,
 * so that a declaration naming a field the context does not have, or arrays of different
 * lengths, is one clear error rather than a silently unsound reduction.
 *
 * Paths name places in the context: `st`, `irqCb.msg`, and `[]` for "every item of this
 * array": `h2d[].slot` is the `slot` of every message in `h2d`, `device[]` every item of
 * `device`. A path starting with `@<monitor>` is in that monitor's state instead
 * (`@stop-once.stopped`): a monitor that keeps per-member state must be renamed too.
 */
import { ModelError } from './model-error.ts';

/**
 * One group of interchangeable members. Member i is item i of every array in `arrays`, plus
 * the parallel region `regions[i]` when the members are execution contexts with their own
 * region. A permutation of the members moves those items and regions, and renames every
 * member index found at `indices` and `sets`.
 *
 * Sound only if the model treats the members alike: the code never prefers an index (no
 * "lowest free index", no "member 0 does X"), every event that names a member exists for each
 * of them, and no property singles one out. `check --check-symmetry` verifies that on the
 * explored graph (docs/writing-models.md, "Symmetry").
 */
export interface SymmetrySpec {
  /** What the members are, for messages and reports: `slots`, `cpus`. */
  name: string;
  /** Context arrays indexed by member (all of one length: the number of members). */
  arrays: readonly string[];
  /**
   * Places holding a member's index (`current`, `h2d[].slot`, `cpus[].waitingFor`). An
   * integer in 0..members-1 there is renamed; anything else (-1, null) is left alone.
   */
  indices?: readonly string[];
  /** Arrays of member indices kept sorted (a set): renamed, then sorted again. */
  sets?: readonly string[];
  /** Per member, in member order, its parallel region (`cpu0`, `cpu1`): dotted state paths. */
  regions?: readonly string[];
}

/** A symmetry declaration that does not fit the model. */
export class SymmetryDeclarationError extends ModelError {
  override readonly kind = 'symmetry declaration';
}

/** A path step: a field name, or EACH for every item of an array. */
export const EACH: unique symbol = Symbol('each item');
export type PathStep = string | typeof EACH;

/** A parsed path: in the context (`root` -1) or in the state of monitor number `root`. */
export interface Place {
  root: number;
  steps: PathStep[];
}

/** A declaration checked against the model, its paths parsed. */
export interface SymmetryGroup {
  name: string;
  /** Number of members. */
  size: number;
  arrays: Place[];
  indices: Place[];
  sets: Place[];
  /** Per member, the id of its region's state node (`anchor.cpu0`); empty without regions. */
  regionIds: string[];
}

const SPEC_FIELDS = new Set(['name', 'arrays', 'indices', 'sets', 'regions']);

export function parsePath(path: string): PathStep[] {
  const steps: PathStep[] = [];
  for (const part of path.split('.')) {
    const match = /^([^[\]]*)((?:\[\])*)$/.exec(part);
    if (!match || (match[1] === '' && steps.length === 0 && match[2] === '')) {
      throw new Error(`'${path}' is not a path (fields separated by dots, [] for every item)`);
    }
    if (match[1] !== '') steps.push(match[1]);
    for (let i = 0; i < match[2].length / 2; i++) steps.push(EACH);
  }
  if (steps.length === 0 || steps[0] === EACH) {
    throw new Error(`'${path}' must start with a context field`);
  }
  return steps;
}

/** The value at a path without EACH steps (undefined when a field is missing). */
export function valueAt(value: unknown, steps: readonly PathStep[]): unknown {
  let here = value;
  for (const step of steps) {
    if (step === EACH || here === null || typeof here !== 'object') return undefined;
    here = (here as Record<string, unknown>)[step];
  }
  return here;
}

/** What the compiled machine can say about a region. */
export interface RegionLookup {
  /** The id of the machine's root node. */
  rootId: string;
  /** Every state node id. */
  stateNodeIds: readonly string[];
  /** Whether the node with this id is a child of a parallel state. */
  isRegion(id: string): boolean;
}

/**
 * Checks declarations against the model's initial context and machine; throws
 * SymmetryDeclarationError naming the first problem.
 */
export function compileSymmetry(
  specs: readonly SymmetrySpec[],
  initialContext: unknown,
  monitors: ReadonlyArray<{ name: string; initial: unknown }>,
  machine: RegionLookup,
  where: string,
): SymmetryGroup[] {
  const fail = (name: string, message: string): never => {
    throw new SymmetryDeclarationError(`${where}: symmetry '${name}': ${message}`);
  };
  const names = new Set<string>();
  return specs.map((spec) => {
    const name = typeof spec.name === 'string' ? spec.name : '?';
    for (const key of Object.keys(spec)) {
      if (!SPEC_FIELDS.has(key)) {
        fail(name, `unknown field '${key}' (fields: ${[...SPEC_FIELDS].join(', ')})`);
      }
    }
    if (names.has(name)) fail(name, 'declared twice');
    names.add(name);
    const parse = (path: string): Place => {
      let root = -1;
      let rest = path;
      if (path.startsWith('@')) {
        const dot = path.indexOf('.');
        const monitor = dot < 0 ? path.slice(1) : path.slice(1, dot);
        root = monitors.findIndex((m) => m.name === monitor);
        if (root < 0) fail(name, `no monitor named '${monitor}' (in '${path}')`);
        if (dot < 0) return { root, steps: [] };
        rest = path.slice(dot + 1);
      }
      let steps: PathStep[] = [];
      try {
        steps = parsePath(rest);
      } catch (error) {
        fail(name, (error as Error).message);
      }
      const field = steps[0] as string;
      const base = root < 0 ? initialContext : monitors[root].initial;
      if (base === null || typeof base !== 'object' || !(field in base)) {
        const what = root < 0 ? 'the context' : `monitor '${monitors[root].name}'`;
        fail(name, `${what} has no field '${field}' (in '${path}')`);
      }
      return { root, steps };
    };
    if (!Array.isArray(spec.arrays) || spec.arrays.length === 0) {
      fail(name, 'arrays must name at least one context array');
    }
    let size = -1;
    let first = '';
    const arrays = spec.arrays.map((path) => {
      const place = parse(path);
      if (place.steps.includes(EACH)) {
        fail(name, `'${path}': an array of members is a field path, no []`);
      }
      const base = place.root < 0 ? initialContext : monitors[place.root].initial;
      const value = valueAt(base, place.steps);
      if (!Array.isArray(value)) {
        fail(name, `'${path}' is not an array in the initial state (${JSON.stringify(value)})`);
      }
      const length = (value as unknown[]).length;
      if (size < 0) {
        size = length;
        first = path;
      } else if (length !== size) {
        fail(name, `'${first}' has ${size} members but '${path}' has ${length}`);
      }
      return place;
    });
    const indices = (spec.indices ?? []).map(parse);
    const sets = (spec.sets ?? []).map(parse);
    const regions = spec.regions ?? [];
    if (regions.length > 0 && regions.length !== size) {
      fail(name, `${regions.length} regions for ${size} members ('${first}')`);
    }
    const regionIds = regions.map((path) => {
      const id = `${machine.rootId}.${path}`;
      if (!machine.isRegion(id)) fail(name, `'${path}' is not a region of a parallel state`);
      return id;
    });
    // The members' regions must be copies of one another: the same nodes below each.
    const below = (id: string) =>
      machine.stateNodeIds
        .filter((node) => node.startsWith(id + '.'))
        .map((node) => node.slice(id.length))
        .sort()
        .join(' ');
    for (let i = 1; i < regionIds.length; i++) {
      if (below(regionIds[i]) !== below(regionIds[0])) {
        fail(name, `regions '${regions[0]}' and '${regions[i]}' do not have the same states`);
      }
    }
    return { name, size, arrays, indices, sets, regionIds };
  });
}
