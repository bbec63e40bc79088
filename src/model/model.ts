/**
 * The contract between a protocol model and the engine.
 *
 * A protocol is described by a `ModelDefinition`: its bounds, its named variants and a `build`
 * function that, for one choice of bounds and variants, returns the XState machine, the event
 * alphabet and the properties. The engine (explore, fuzz, generate, conform, inspect) only ever
 * sees these types; it never imports a protocol by name.
 */
import type { AnyStateMachine, EventObject, StateValue } from 'xstate';
import { modelFrame } from './model-error.ts';
import type { SymmetrySpec } from './symmetry.ts';

/** A numeric bound that keeps the state space finite (queue length, seqno bits, ring size). */
export interface BoundSpec {
  name: string;
  default: number;
  /** Smallest and largest value the model accepts; the CLI rejects anything outside. */
  min: number;
  max: number;
  description: string;
  /**
   * The value at the model's deep bounds (`check --deep`): what a reviewer would want proven
   * before trusting the model, where the default is what keeps the tests fast. Omitted: the
   * default.
   */
  deep?: number;
}

/** A named historical or plausible bug, switched on by name. */
export interface VariantSpec {
  name: string;
  description: string;
  /** Where the bug comes from: a seed file and line, a commit, a review comment. */
  source: string;
  /** The properties this variant must break; tests assert each one fails with a trace. */
  breaks: string[];
  /**
   * The seed's code as written, where the default model carries the smallest fix: a finding of
   * the model. `check` runs these beside the default model so that the findings are shown.
   */
  finding?: boolean;
  /**
   * Bounds at which the variant shows its bug, where the defaults cannot (a late reply needs a
   * latency above the timeout). `check --variant` starts from them; `--bound` still overrides.
   */
  bounds?: Readonly<Record<string, number>>;
}

export type Bounds = Readonly<Record<string, number>>;

export interface ModelConfig {
  bounds: Bounds;
  variants: ReadonlySet<string>;
}

/** One snapshot of a model as properties and the event alphabet see it. */
export interface ModelState<TContext> {
  readonly value: StateValue;
  readonly context: TContext;
  /** True when the state node at this dotted path (relative to the root, e.g. "napi.CHECK") is active. */
  matches(path: string): boolean;
}

/** An observable output of a step: what an `emit(...)` action in the model produced. */
export type Output = EventObject & Record<string, unknown>;

/** One transition as properties observe it. */
export interface Step<TContext, TEvent extends EventObject> {
  readonly from: ModelState<TContext>;
  readonly event: TEvent;
  readonly outputs: readonly Output[];
  readonly to: ModelState<TContext>;
}

/** `true` (or `undefined`) means the property holds here; `false` or a message means it does not. */
export type Verdict = boolean | string | undefined;

/**
 * Model-lint warnings that do not apply here, each with the reason, as eslint-disable comments
 * do: `{ 'guard-never-false': 'false only when requests > wire (--bound requests=4)' }`. On a
 * property (`lint`), a state node or a transition (`meta: { lint }`); at the machine's root a
 * rule about the alphabet or a context field takes a map from the event type or field to the
 * reason. `mailbox-models lint` lists the rules (src/lint/rules.ts) and reports a suppression
 * that suppresses nothing.
 */
export type LintAllow = Readonly<Record<string, string | Readonly<Record<string, string>>>>;

interface PropertyBase {
  /** kebab-case, unique within the model: `completer-once`, `no-stale-accept`. */
  name: string;
  /** One sentence in plain words. */
  statement: string;
  /** The seed line it comes from: `sources/sfc-mcdi-async.txt:283` or a quote. */
  source: string;
  /** Lint warnings about this property that do not apply, with the reason. */
  lint?: LintAllow;
}

/** Holds on every reachable state. */
export interface Invariant<TContext> extends PropertyBase {
  kind: 'invariant';
  /**
   * The states the invariant is about (its antecedent); `check` is asked only there. A `when`
   * that holds in no reachable state makes the invariant vacuous, and the lint says so.
   */
  when?(state: ModelState<TContext>): boolean;
  check(state: ModelState<TContext>): Verdict;
}

/** Holds on every reachable transition (a stateless monitor of inputs and outputs). */
export interface StepProperty<TContext, TEvent extends EventObject> extends PropertyBase {
  kind: 'step';
  /**
   * The steps the property is about (its antecedent, as in `when |-> check`); `check` is asked
   * only on those. A `when` that holds on no reachable step makes the property vacuous.
   */
  when?(step: Step<TContext, TEvent>): boolean;
  check(step: Step<TContext, TEvent>): Verdict;
}

/** What a monitor returns from `step` when the property is violated. */
export interface MonitorViolation {
  violation: string;
}

/**
 * A P-style spec monitor: it observes every step and keeps its own state, which the explorer
 * stores beside the model's (so it must be small, immutable and JSON-serialisable).
 * `hot` marks obligations (a request pending): a reachable state from which no non-hot monitor
 * state can be reached is reported as a liveness violation.
 */
export interface Monitor<TContext, TEvent extends EventObject, M = unknown> extends PropertyBase {
  kind: 'monitor';
  initial(state: ModelState<TContext>): M;
  step(monitor: M, step: Step<TContext, TEvent>): M | MonitorViolation;
  hot?(monitor: M): boolean;
}

/**
 * From every reachable state some state satisfying `goal` is reachable (AG EF goal). With
 * `when`, only from the states where it holds (AG (when -> EF goal)): for an obligation that
 * ends with a phase of the system, such as buffers that must come back while a channel lives.
 * The path to the goal may pass anywhere, so a goal that should be met within the phase says so
 * itself (`goal: s => when(s) && ...`).
 */
export interface Recoverable<TContext> extends PropertyBase {
  kind: 'recoverable';
  goal(state: ModelState<TContext>): boolean;
  when?(state: ModelState<TContext>): boolean;
}

export type Property<TContext, TEvent extends EventObject> =
  | Invariant<TContext>
  | StepProperty<TContext, TEvent>
  | Monitor<TContext, TEvent, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- each monitor has its own state type
  | Recoverable<TContext>;

/* The registry holds models of different context and event types, hence the `any` defaults. */
/* eslint-disable @typescript-eslint/no-explicit-any */

/** One choice of bounds and variants, ready to explore. */
export interface ModelInstance<TContext = any, TEvent extends EventObject = any> {
  /** Built with `setup({...}).createMachine({...})`; see docs/writing-models.md for the subset the engine runs. */
  machine: AnyStateMachine;
  /**
   * The finite list of events that may happen in this state, payloads included. It may
   * over-approximate: an event that takes no transition here is simply not enabled.
   */
  events(state: ModelState<TContext>): TEvent[];
  properties: Property<TContext, TEvent>[];
  /**
   * States where having nothing left to do is correct (every budgeted request issued and
   * finished). A reachable state with no enabled event that is not terminal is a deadlock.
   */
  terminal?(state: ModelState<TContext>): boolean;
  /**
   * Timed models (src/model/time.ts): the event that advances time by one tick. Traces then
   * carry the clock (ticks since the initial state) at every step, and timed properties count
   * these events.
   */
  time?: { tick: string };
  /**
   * The lanes of the inspector's sequence chart, when the machine's regions are not enough.
   * Omitted: one lane per region of a parallel state (nested parallel regions are split
   * further), and a "device / environment" lane for transitions on the parallel states
   * themselves. See docs/inspector.md.
   */
  lanes?: LaneSpec[];
  /**
   * Interchangeable members (callers, CPUs, slots) the explorer may reduce by with
   * `explore(..., { symmetry: true })` / `check --symmetry`: src/model/symmetry.ts says what a
   * declaration holds, docs/writing-models.md when one is sound. Declare it only for the
   * variants whose code treats the members alike.
   */
  symmetry?: readonly SymmetrySpec[];
  /**
   * Conformance in both directions (src/testgen/conform.ts, docs/test-vectors.md), in the
   * spirit of ioco: what a driver's adapter can be asked beyond its outputs.
   */
  conformance?: ConformanceSpec<TContext>;
}

/** A lane of the inspector's sequence chart: one execution context, or the device. */
export interface LaneSpec {
  name: string;
  /**
   * The regions this lane stands for, as dotted paths from the root (`napi`, `card0.scifWork`):
   * it takes every transition inside them.
   */
  regions?: string[];
  /** Event types it takes wherever they are handled (`mc_respond`; `card.*` matches a prefix). */
  events?: string[];
  /** The device (or its firmware): drawn last, and where a step that involves it starts. */
  device?: boolean;
}

export interface ConformanceSpec<TContext> {
  /**
   * Event types whose being possible says something about the driver's state: a timer is
   * armed, a context waits at a preemption point, the device holds a request. After every step
   * the vectors carry the model's enabled events of these types, an adapter that reports its
   * own (`enabled()`) is compared with them, and events of these types that the model refuses
   * are offered to the driver as refusal steps. Calls limited only by the model's budget
   * (bounds) do not belong here.
   */
  enabling: readonly string[];
  /**
   * The model's context projected onto fields a driver also keeps (a credit count, a slot's
   * state), as plain JSON. Vectors carry it after every step; an adapter's `observe()` returns
   * the same fields from the driver's structs, and the first difference names the field.
   */
  observe?(state: ModelState<TContext>): Record<string, unknown>;
}

export interface ModelDefinition<TContext = any, TEvent extends EventObject = any> {
  /** CLI name: `mcdi`, `pci-doe`. */
  name: string;
  title: string;
  /** The seed file in sources/ the model is built from. */
  seed: string;
  bounds: BoundSpec[];
  variants: VariantSpec[];
  build(config: ModelConfig): ModelInstance<TContext, TEvent>;
  /**
   * The module that exports this definition (`import.meta.url` in the model's file): worker
   * threads import it to explore in parallel (`explore(..., { workers })`, `check --workers`).
   */
  module?: string;
  /**
   * The file that defines the model, as `defineMachine` / `defineModel` find it from where they
   * are called (`machines/mcdi.ts`): errors the engine finds in the machine name it.
   */
  definedIn?: string;
}

/** What `build` of a machine module returns: a model instance without its properties. */
export type MachineInstance<TContext = any, TEvent extends EventObject = any> = Omit<
  ModelInstance<TContext, TEvent>,
  'properties'
>;

/**
 * A protocol's machine module (machines/<p>.ts): the definition without its properties, which
 * live in properties/<p>.ts and read the machine's types. The registry joins the two
 * (`withProperties`), so that properties depend on the machine and nothing depends back.
 */
export interface MachineDefinition<TContext = any, TEvent extends EventObject = any> extends Omit<
  ModelDefinition<TContext, TEvent>,
  'build' | 'module'
> {
  build(config: ModelConfig): MachineInstance<TContext, TEvent>;
}

/** A protocol's properties module (properties/<p>.ts): its properties for one configuration. */
export type PropertiesOf<TContext = any, TEvent extends EventObject = any> = (
  config: ModelConfig,
) => Property<TContext, TEvent>[];

/* eslint-enable @typescript-eslint/no-explicit-any */

/** Identity function that gives a machine module's definition its types. */
export function defineMachine<TContext, TEvent extends EventObject>(
  definition: MachineDefinition<TContext, TEvent>,
): MachineDefinition<TContext, TEvent> {
  return { ...definition, definedIn: definition.definedIn ?? callerFile() };
}

/**
 * A machine and its properties as one model. `module` is the URL of the module that exports
 * the result (the registry's `import.meta.url`), which worker threads import to find it by name.
 */
export function withProperties<TContext, TEvent extends EventObject>(
  machine: MachineDefinition<TContext, TEvent>,
  properties: PropertiesOf<TContext, TEvent>,
  module: string,
): ModelDefinition<TContext, TEvent> {
  return {
    ...machine,
    module,
    build: (config) => ({ ...machine.build(config), properties: properties(config) }),
  };
}

/** Identity function that gives a model definition its types. */
export function defineModel<TContext, TEvent extends EventObject>(
  definition: ModelDefinition<TContext, TEvent>,
): ModelDefinition<TContext, TEvent> {
  return { ...definition, definedIn: definition.definedIn ?? callerFile() };
}

/** The project file that called into this module (the model's own file), without line. */
function callerFile(): string | undefined {
  return modelFrame(new Error())?.replace(/:\d+:\d+$/, '');
}
