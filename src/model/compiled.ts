/**
 * A fast stepper for the subset of XState v5 that models use (docs/writing-models.md).
 *
 * XState's interpreter rebuilds snapshots, actor scopes and action lists on every event; that
 * is the explorer's bottleneck. Here the machine's structure is compiled once: state
 * configurations become small integers, and for each configuration and each set of selected
 * transitions the exit set, entry set and action list (SCXML microstep semantics, ported from
 * XState's own algorithm) are computed once and cached. At run time a step evaluates guards
 * and assignments on a plain context and nothing else. `test/compiled.test.ts` checks, on
 * random walks of every registered model, that the result equals XState's `transition()`.
 */
import { initialTransition, type AnyStateMachine, type EventObject, type StateValue } from 'xstate';
import type { ModelState, Output } from './model.ts';
import { checkingByDefault, deepFreeze, ModelError, ModelRuntimeError } from './model-error.ts';

/* XState's StateNode and TransitionDefinition as far as we read them. */
interface XNode {
  id: string;
  key: string;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  order: number;
  parent?: XNode;
  states: Record<string, XNode>;
  transitions: Map<string, XTransition[]>;
  always?: XTransition[];
  entry: unknown[];
  exit: unknown[];
  invoke: unknown[];
  after: unknown[];
  initial?: { actions: unknown[]; target: XNode[] };
}
interface XTransition {
  source: XNode;
  target?: XNode[];
  guard?: unknown;
  actions: unknown[];
  reenter: boolean;
  eventType: string;
}

/** The machine uses something outside the subset the engine runs (docs/writing-models.md). */
export class ModelCompileError extends ModelError {}

type Guard = (context: unknown, event: EventObject) => boolean;
type Action = (context: unknown, event: EventObject, outputs: Output[]) => unknown;

export interface CompileOptions {
  /**
   * Called with every guard's result, by transition id (the model lint counts guards that are
   * never true or never false). Guards are wrapped only when it is given.
   */
  guardProbe?: (transitionId: number, result: boolean) => void;
}

/** One transition of the model: the unit of coverage and of the transition tour. */
export interface TransitionInfo {
  id: number;
  /** Stable label: `<source state id>:<event type>:<index among that node's transitions for the event>`. */
  label: string;
  source: string;
  eventType: string;
  targets: string[];
  guard?: string;
}

/** A model state as the engine stores it: a configuration number and the context. */
export interface CompiledState<C = unknown> {
  config: number;
  context: C;
}

export interface StepResult<C = unknown> {
  state: CompiledState<C>;
  outputs: Output[];
  /** Ids of the transitions taken, the event's first, then any eventless ones. */
  transitions: number[];
}

interface Plan {
  actions: Action[];
  /** What each action is, for errors: `action 'send' of transition toy.host.IDLE:send:0`. */
  culprits: string[];
  nextConfig: number;
}

interface Configuration {
  /** Its identity in every CompiledMachine of the same machine: the nodes' document orders. */
  key: string;
  nodes: XNode[]; // document order
  nodeSet: Set<XNode>;
  atomic: XNode[];
  value: StateValue;
  activePaths: Set<string>;
  /** `ModelState.matches` for this configuration, made once (views are made on every step). */
  matches: (path: string) => boolean;
  /** Whether any active node has eventless transitions; if none, a step never looks for them. */
  hasEventless: boolean;
  plans: Map<string, Plan>;
  /** Plans of single-transition microsteps, by transition id (the common case). */
  singlePlans: Map<number, Plan>;
  /** Per event type, the active nodes that have transitions for it (null: none do). */
  selectors: Map<string, Selector | null>;
}

/**
 * The part of the active configuration that `select` must visit for one event type: the nodes
 * with candidate transitions for it and the nodes on the way to them, in document order.
 * Subtrees without candidates would select nothing and are left out.
 */
interface Selector {
  parallel: boolean;
  children: Selector[];
  candidates: XTransition[];
  guards: Array<Guard | undefined>;
  /** What each guard is, for errors: `guard 'canSend' of transition toy.host.IDLE:send:0`. */
  culprits: string[];
}

const MAX_EVENTLESS_MICROSTEPS = 1000;

export class CompiledMachine<C = unknown, E extends EventObject = EventObject> {
  readonly machine: AnyStateMachine;
  readonly stateNodeIds: string[] = [];
  readonly transitions: TransitionInfo[] = [];
  private readonly root: XNode;
  private readonly transitionIds = new Map<XTransition, number>();
  private readonly transitionMetas: unknown[] = [];
  private readonly nodesByOrder = new Map<number, XNode>();
  private readonly guards = new Map<XTransition, Guard | undefined>();
  private readonly actionCache = new Map<unknown, Action>();
  private readonly configs: Configuration[] = [];
  private readonly configIds = new Map<string, number>();
  private readonly candidates = new Map<XNode, Map<string, XTransition[]>>();
  /**
   * Checking mode (src/model/model-error.ts): every context and event a step is given, and the
   * context it returns, are deep-frozen, so that a guard or action writing to them throws.
   */
  checking = checkingByDefault();

  constructor(
    machine: AnyStateMachine,
    private readonly options: CompileOptions = {},
  ) {
    this.machine = machine;
    this.root = machine.root as unknown as XNode;
    this.compileNode(this.root);
  }

  /** The initial state, computed by XState itself (it runs once). */
  initial(): StepResult<C> {
    const [snapshot, actions] = this.running(
      'the initial state (its context and entry actions)',
      () => initialTransition(this.machine),
    );
    const nodes = (snapshot as unknown as { _nodes: XNode[] })._nodes;
    // XState's types do not list emit among executable actions, but transition() returns them.
    const outputs = (actions as Array<{ type: string; params?: unknown }>)
      .filter((action) => action.type === 'xstate.emit')
      .map((action) => (action.params as { event: Output }).event);
    const result = {
      state: { config: this.configId(new Set(nodes)), context: snapshot.context as C },
      outputs,
      transitions: [],
    };
    return this.checking ? deepFreeze(result) : result;
  }

  /** Runs model code, naming it in the error when it throws. */
  private running<T>(culprit: string, run: () => T): T {
    try {
      return run();
    } catch (error) {
      throw error instanceof ModelError ? error : new ModelRuntimeError(culprit, error);
    }
  }

  /** The result of `event` in `state`, or `null` when no transition is enabled. */
  step(state: CompiledState<C>, event: E): StepResult<C> | null {
    if (this.checking) {
      deepFreeze(state.context);
      deepFreeze(event);
      const result = this.stepUnchecked(state, event);
      if (result) deepFreeze(result);
      return result;
    }
    return this.stepUnchecked(state, event);
  }

  private stepUnchecked(state: CompiledState<C>, event: E): StepResult<C> | null {
    const configuration = this.configs[state.config];
    let selector = configuration.selectors.get(event.type);
    if (selector === undefined) {
      selector = this.selectorFor(this.root, configuration, event.type);
      configuration.selectors.set(event.type, selector);
    }
    if (selector === null) return null;
    const selected = selectWith(selector, state.context, event);
    if (selected.length === 0) return null;
    const outputs: Output[] = [];
    const taken: number[] = [];
    let config = state.config;
    let context: unknown = state.context;
    ({ config, context } = this.microstep(config, context, event, selected, outputs, taken));

    for (let i = 0; ; i++) {
      if (i > MAX_EVENTLESS_MICROSTEPS) {
        throw new ModelCompileError(`eventless transitions loop forever after '${event.type}'`);
      }
      const configuration = this.configs[config];
      if (!configuration.hasEventless) break;
      const eventless = this.selectEventless(configuration, context, event);
      if (eventless.length === 0) break;
      const before = { config, context };
      ({ config, context } = this.microstep(config, context, event, eventless, outputs, taken));
      // XState stops taking eventless transitions once a microstep changes nothing.
      if (config === before.config && context === before.context) break;
    }
    return { state: { config, context: context as C }, outputs, transitions: taken };
  }

  /** The view of a state that properties and the event alphabet get. */
  view(state: CompiledState<C>): ModelState<C> {
    const configuration = this.configs[state.config];
    return { value: configuration.value, context: state.context, matches: configuration.matches };
  }

  /** The `meta` of the transition with this id, as the machine's config gives it. */
  transitionMeta(id: number): unknown {
    return this.transitionMetas[id];
  }

  stateValue(config: number): StateValue {
    return this.configs[config].value;
  }

  /** Ids of every active state node (root included) in a configuration. */
  activeStateNodes(config: number): string[] {
    return this.configs[config].nodes.map((node) => node.id);
  }

  get configurationCount(): number {
    return this.configs.length;
  }

  /* ---------- compile time ---------- */

  private compileNode(node: XNode): void {
    const where = `state '${node.id}'`;
    if (node.type === 'history' || node.type === 'final') {
      throw new ModelCompileError(`${where}: ${node.type} states are not supported`);
    }
    if (node.invoke.length > 0) throw new ModelCompileError(`${where}: invoke is not supported`);
    if (node.after.length > 0) {
      throw new ModelCompileError(`${where}: delayed transitions (after) are not supported`);
    }
    this.stateNodeIds.push(node.id);
    this.nodesByOrder.set(node.order, node);
    const byEvent = new Map<string, XTransition[]>();
    for (const [eventType, list] of node.transitions) {
      if (eventType.includes('*') || eventType.startsWith('xstate.')) {
        throw new ModelCompileError(`${where}: event descriptor '${eventType}' is not supported`);
      }
      byEvent.set(eventType, list);
      list.forEach((transition, index) => this.registerTransition(transition, eventType, index));
    }
    this.candidates.set(node, byEvent);
    (node.always ?? []).forEach((transition, index) =>
      this.registerTransition(transition, '', index),
    );
    for (const action of [...node.entry, ...node.exit, ...(node.initial?.actions ?? [])]) {
      this.compileAction(action, where);
    }
    for (const child of Object.values(node.states)) this.compileNode(child);
  }

  private registerTransition(transition: XTransition, eventType: string, index: number): void {
    const id = this.transitions.length;
    const guard = transition.guard === undefined ? undefined : describeGuard(transition.guard);
    const source = transition.source.id;
    this.transitions.push({
      id,
      label: `${source}:${eventType || 'always'}:${index}`,
      source,
      eventType,
      targets: (transition.target ?? []).map((target) => target.id),
      ...(guard === undefined ? {} : { guard }),
    });
    this.transitionIds.set(transition, id);
    this.transitionMetas.push((transition as { meta?: unknown }).meta);
    let compiled: Guard | undefined;
    if (transition.guard !== undefined) {
      compiled = this.compileGuard(transition.guard, `transition ${this.transitions[id].label}`);
      const probe = this.options.guardProbe;
      if (probe) {
        const unprobed = compiled;
        compiled = (context, event) => {
          const result = unprobed(context, event);
          probe(id, result);
          return result;
        };
      }
    }
    this.guards.set(transition, compiled);
    for (const action of transition.actions) this.compileAction(action, `transition ${source}`);
  }

  /** What a guard is called in errors. */
  private guardCulprit(transition: XTransition): string {
    const info = this.transitions[this.transitionIds.get(transition)!];
    return `guard '${info.guard}' of transition ${info.label}`;
  }

  private compileGuard(guard: unknown, where: string): Guard {
    const machine = this.machine;
    const implementations = machine.implementations.guards as Record<string, unknown>;
    const resolve = (ref: unknown): { fn: unknown; params?: unknown } => {
      if (typeof ref === 'function') return { fn: ref };
      if (typeof ref === 'string') return { fn: implementations[ref] };
      const { type, params } = ref as { type: string; params?: unknown };
      return { fn: implementations[type], params };
    };
    const { fn, params } = resolve(guard);
    if (fn === undefined)
      throw new ModelCompileError(`${where}: guard '${describeGuard(guard)}' is not implemented`);
    if (typeof fn !== 'function') return this.compileGuard(fn, where);
    if ('check' in fn) return this.compileBuiltinGuard(fn, where);
    const check = fn as (args: unknown, params: unknown) => boolean;
    if (typeof params === 'function') {
      return (context, event) => check({ context, event }, params({ context, event }));
    }
    return (context, event) => check({ context, event }, params);
  }

  /**
   * XState's built-in guards: `and`, `or` and `not` are composed here from their compiled parts
   * (so that every guard inside them is checked against the subset too); `stateIn` and any
   * other built-in read the interpreter's snapshot, which the engine does not have.
   */
  private compileBuiltinGuard(fn: object, where: string): Guard {
    const builtin = fn as { name: string; guards?: unknown[]; stateValue?: unknown };
    if ('stateValue' in builtin) {
      throw new ModelCompileError(
        `${where}: stateIn(${JSON.stringify(builtin.stateValue)}) is not supported: guards see the ` +
          'context and the event only; keep where the other region is as a flag in the context, ' +
          'set by the transitions that move it (docs/writing-models.md)',
      );
    }
    const parts = Array.isArray(builtin.guards)
      ? builtin.guards.map((part) => this.compileGuard(part, where))
      : undefined;
    if (parts && builtin.name === 'and') {
      return (context, event) => {
        for (let i = 0; i < parts.length; i++) if (!parts[i](context, event)) return false;
        return true;
      };
    }
    if (parts && builtin.name === 'or') {
      return (context, event) => {
        for (let i = 0; i < parts.length; i++) if (parts[i](context, event)) return true;
        return false;
      };
    }
    if (parts?.length === 1 && builtin.name === 'not') {
      const [part] = parts;
      return (context, event) => !part(context, event);
    }
    throw new ModelCompileError(
      `${where}: the built-in guard '${builtin.name}' is not supported (and, or, not are)`,
    );
  }

  private compileAction(action: unknown, where: string): Action {
    const cached = this.actionCache.get(action);
    if (cached) return cached;
    const compiled = this.buildAction(action, where);
    this.actionCache.set(action, compiled);
    return compiled;
  }

  private buildAction(action: unknown, where: string, params?: unknown): Action {
    const implementations = this.machine.implementations.actions as Record<string, unknown>;
    if (typeof action === 'string' || (typeof action === 'object' && action !== null)) {
      const { type, params: refParams } =
        typeof action === 'string'
          ? { type: action, params: undefined }
          : (action as { type: string; params?: unknown });
      const implementation = implementations[type];
      if (implementation === undefined) {
        throw new ModelCompileError(`${where}: action '${type}' is not implemented`);
      }
      return this.buildAction(implementation, where, refParams);
    }
    if (typeof action !== 'function') {
      throw new ModelCompileError(`${where}: unsupported action ${String(action)}`);
    }
    const builtin = action as unknown as { type?: string; assignment?: unknown; event?: unknown };
    const paramsOf =
      typeof params === 'function'
        ? (context: unknown, event: EventObject) =>
            (params as (args: unknown) => unknown)({ context, event })
        : () => params;
    if (builtin.type === 'xstate.assign') {
      const assignment = builtin.assignment;
      if (typeof assignment === 'function') {
        // As XState's assign with a function: its result is merged as it is (one spread,
        // which V8 does without a per-key store).
        return (context, event) => ({
          ...(context as Record<string, unknown>),
          ...(assignment({ context, event }, paramsOf(context, event)) as Record<string, unknown>),
        });
      }
      return (context, event) => {
        const args = { context, event };
        const actionParams = paramsOf(context, event);
        const partial = assignment as Record<string, unknown>;
        // As XState's assign with an object: a property that is a function is a property
        // assigner.
        const updated: Record<string, unknown> = { ...(context as Record<string, unknown>) };
        for (const key in partial) {
          const value = partial[key];
          updated[key] = typeof value === 'function' ? value(args, actionParams) : value;
        }
        return updated;
      };
    }
    if (builtin.type === 'xstate.emit') {
      const emitted = builtin.event;
      return (context, event, outputs) => {
        outputs.push(
          (typeof emitted === 'function'
            ? emitted({ context, event }, paramsOf(context, event))
            : emitted) as Output,
        );
        return context;
      };
    }
    if (builtin.type !== undefined && builtin.type.startsWith('xstate.')) {
      throw new ModelCompileError(`${where}: action '${builtin.type}' is not supported`);
    }
    throw new ModelCompileError(
      `${where}: inline side-effect functions are not supported (use assign or emit)`,
    );
  }

  /* ---------- configurations ---------- */

  /**
   * Configuration numbers are handed out as configurations are met, so two instances of one
   * machine (the explorer's worker threads) number them differently; keys are the same in all.
   */
  configurationKey(config: number): string {
    return this.configs[config].key;
  }

  /** The number of the configuration with this key (from `configurationKey`), added if new. */
  configurationOfKey(key: string): number {
    const known = this.configIds.get(key);
    if (known !== undefined) return known;
    const nodes = key.split(',').map((order) => {
      const node = this.nodesByOrder.get(Number(order));
      if (node === undefined) throw new Error(`no state node with order ${order}`);
      return node;
    });
    return this.configId(new Set(nodes));
  }

  /** The number of the configuration whose active nodes have these ids (symmetry's renaming). */
  configurationOfNodeIds(ids: readonly string[]): number {
    const byId = (this.nodesById ??= new Map(
      [...this.nodesByOrder.values()].map((n) => [n.id, n]),
    ));
    return this.configId(
      new Set(
        ids.map((id) => {
          const node = byId.get(id);
          if (node === undefined) throw new Error(`no state node '${id}'`);
          return node;
        }),
      ),
    );
  }

  private nodesById: Map<string, XNode> | undefined;

  /** Whether `id` names a region: a child of a parallel state. */
  isRegion(id: string): boolean {
    for (const node of this.nodesByOrder.values()) {
      if (node.id === id) return node.parent?.type === 'parallel';
    }
    return false;
  }

  /** The id of the machine's root state node. */
  get rootId(): string {
    return this.root.id;
  }

  private configId(nodeSet: Set<XNode>): number {
    const nodes = [...nodeSet].sort((a, b) => a.order - b.order);
    const key = nodes.map((node) => node.order).join(',');
    const known = this.configIds.get(key);
    if (known !== undefined) return known;
    const rootPrefix = this.root.id + '.';
    const id = this.configs.length;
    const activePaths = new Set(
      nodes.filter((node) => node !== this.root).map((node) => node.id.slice(rootPrefix.length)),
    );
    this.configs.push({
      key,
      nodes,
      nodeSet: new Set(nodes),
      atomic: nodes.filter((node) => node.type === 'atomic'),
      value: stateValueOf(this.root, new Set(nodes)),
      activePaths,
      matches: (path: string) => activePaths.has(path),
      hasEventless: nodes.some((node) => (node.always ?? []).length > 0),
      plans: new Map(),
      singlePlans: new Map(),
      selectors: new Map(),
    });
    this.configIds.set(key, id);
    return id;
  }

  /* ---------- run time ---------- */

  /** The Selector of `node` for `eventType` in this configuration (null: selects nothing). */
  private selectorFor(
    node: XNode,
    configuration: Configuration,
    eventType: string,
  ): Selector | null {
    const children: Selector[] = [];
    if (node.type === 'compound' || node.type === 'parallel') {
      for (const child of Object.values(node.states)) {
        if (!configuration.nodeSet.has(child)) continue;
        const selector = this.selectorFor(child, configuration, eventType);
        if (selector) children.push(selector);
      }
    }
    const candidates = this.candidates.get(node)!.get(eventType) ?? [];
    if (children.length === 0 && candidates.length === 0) return null;
    // A node with nothing of its own to offer selects whatever its only child selects.
    if (children.length === 1 && candidates.length === 0) return children[0];
    return {
      parallel: node.type === 'parallel',
      children,
      candidates,
      guards: candidates.map((candidate) => this.guards.get(candidate)),
      culprits: candidates.map((candidate) => this.guardCulprit(candidate)),
    };
  }

  private selectEventless(
    configuration: Configuration,
    context: unknown,
    event: EventObject,
  ): XTransition[] {
    const enabled = new Set<XTransition>();
    for (const atomic of configuration.atomic) {
      search: for (let node: XNode | undefined = atomic; node; node = node.parent) {
        for (const transition of node.always ?? []) {
          const guard = this.guards.get(transition);
          let holds = guard === undefined;
          if (!holds) {
            try {
              holds = guard!(context, event);
            } catch (error) {
              throw new ModelRuntimeError(this.guardCulprit(transition), error);
            }
          }
          if (holds) {
            enabled.add(transition);
            break search;
          }
        }
      }
    }
    return [...enabled];
  }

  private microstep(
    config: number,
    context: unknown,
    event: EventObject,
    selected: XTransition[],
    outputs: Output[],
    taken: number[],
  ): { config: number; context: unknown } {
    const configuration = this.configs[config];
    let plan: Plan | undefined;
    if (selected.length === 1) {
      const id = this.transitionIds.get(selected[0])!;
      taken.push(id);
      plan = configuration.singlePlans.get(id);
      if (plan === undefined) {
        plan = this.plan(configuration, selected);
        configuration.singlePlans.set(id, plan);
      }
    } else {
      const key = selected.map((transition) => this.transitionIds.get(transition)).join(',');
      for (const transition of selected) taken.push(this.transitionIds.get(transition)!);
      plan = configuration.plans.get(key);
      if (plan === undefined) {
        plan = this.plan(configuration, selected);
        configuration.plans.set(key, plan);
      }
    }
    let next = context;
    const actions = plan.actions;
    for (let i = 0; i < actions.length; i++) {
      try {
        next = actions[i](next, event, outputs);
      } catch (error) {
        throw new ModelRuntimeError(plan.culprits[i], error);
      }
    }
    return { config: plan.nextConfig, context: next };
  }

  /** SCXML microstep, as XState computes it: exit set, transition actions, entry set. */
  private plan(configuration: Configuration, selected: XTransition[]): Plan {
    const active = new Set(configuration.nodeSet);
    const filtered = removeConflictingTransitions(selected, active);
    const exiting = computeExitSet(filtered, active).sort((a, b) => b.order - a.order);
    const actions: unknown[] = [];
    const culprits: string[] = [];
    const add = (list: readonly unknown[], of: string) => {
      for (const action of list) {
        actions.push(action);
        culprits.push(`action '${describeAction(action)}' ${of}`);
      }
    };
    for (const node of exiting) {
      add(node.exit, `(exit) of state ${node.id}`);
      active.delete(node);
    }
    for (const transition of filtered) {
      add(
        transition.actions,
        `of transition ${this.transitions[this.transitionIds.get(transition)!].label}`,
      );
    }
    const statesToEnter = new Set<XNode>();
    const statesForDefaultEntry = new Set<XNode>();
    computeEntrySet(filtered, statesForDefaultEntry, statesToEnter);
    for (const node of [...statesToEnter].sort((a, b) => a.order - b.order)) {
      active.add(node);
      add(node.entry, `(entry) of state ${node.id}`);
      if (statesForDefaultEntry.has(node))
        add(node.initial?.actions ?? [], `(initial) of state ${node.id}`);
    }
    return {
      actions: actions.map((action) => this.compileAction(action, 'microstep')),
      culprits,
      nextConfig: this.configId(active),
    };
  }
}

/** XState's transitionNode on a Selector: inner regions first, a node's own only if none. */
function selectWith(selector: Selector, context: unknown, event: EventObject): XTransition[] {
  let inner: XTransition[] = EMPTY;
  const children = selector.children;
  for (let i = 0; i < children.length; i++) {
    const chosen = selectWith(children[i], context, event);
    if (chosen.length > 0) inner = inner.length === 0 ? chosen : inner.concat(chosen);
  }
  if (inner.length > 0) return inner;
  const { candidates, guards } = selector;
  for (let i = 0; i < candidates.length; i++) {
    const guard = guards[i];
    if (guard === undefined) return [candidates[i]];
    let enabled: boolean;
    try {
      enabled = guard(context, event);
    } catch (error) {
      throw new ModelRuntimeError(selector.culprits[i], error);
    }
    if (enabled) return [candidates[i]];
  }
  return inner;
}

const EMPTY: XTransition[] = [];

/** An action as the model names it: its name in `setup({ actions })`, or what kind it is. */
function describeAction(action: unknown): string {
  if (typeof action === 'string') return action;
  if (typeof action === 'function') {
    const type = (action as { type?: string }).type;
    if (type?.startsWith('xstate.')) return type.slice('xstate.'.length);
    return action.name || 'inline';
  }
  return (action as { type?: string }).type ?? String(action);
}

function describeGuard(guard: unknown): string {
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') return guard.name || 'inline';
  const { type, params } = guard as { type: string; params?: unknown };
  return params === undefined || typeof params === 'function'
    ? type
    : `${type}(${JSON.stringify(params)})`;
}

function stateValueOf(node: XNode, active: Set<XNode>): StateValue {
  const children = Object.values(node.states).filter((child) => active.has(child));
  if (node.type === 'compound') {
    const [child] = children;
    return child.type === 'atomic' ? child.key : { [child.key]: stateValueOf(child, active) };
  }
  const value: Record<string, StateValue> = {};
  for (const child of children) value[child.key] = stateValueOf(child, active);
  return value;
}

/* The structural half of XState's microstep (raise-*.esm.js), without history and final states. */

function isDescendant(child: XNode, parent: XNode): boolean {
  let marker = child;
  while (marker.parent && marker.parent !== parent) marker = marker.parent;
  return marker.parent === parent;
}

function getProperAncestors(node: XNode, upTo: XNode | undefined): XNode[] {
  const ancestors: XNode[] = [];
  if (upTo === node) return ancestors;
  for (let m = node.parent; m && m !== upTo; m = m.parent) ancestors.push(m);
  return ancestors;
}

function findLeastCommonAncestor(nodes: XNode[]): XNode | undefined {
  const [head, ...tail] = nodes;
  for (const ancestor of getProperAncestors(head, undefined)) {
    if (tail.every((node) => isDescendant(node, ancestor))) return ancestor;
  }
  return undefined;
}

function getTransitionDomain(transition: XTransition): XNode | undefined {
  const targets = transition.target ?? [];
  if (
    !transition.reenter &&
    targets.every(
      (target) => target === transition.source || isDescendant(target, transition.source),
    )
  ) {
    return transition.source;
  }
  const lca = findLeastCommonAncestor(targets.concat(transition.source));
  if (lca) return lca;
  if (transition.reenter) return undefined;
  let root = transition.source;
  while (root.parent) root = root.parent;
  return root;
}

function computeExitSet(transitions: XTransition[], active: Set<XNode>): XNode[] {
  const statesToExit = new Set<XNode>();
  for (const transition of transitions) {
    if (!transition.target?.length) continue;
    const domain = getTransitionDomain(transition);
    if (transition.reenter && transition.source === domain) statesToExit.add(domain);
    for (const node of active) {
      if (domain && isDescendant(node, domain)) statesToExit.add(node);
    }
  }
  return [...statesToExit];
}

function removeConflictingTransitions(enabled: XTransition[], active: Set<XNode>): XTransition[] {
  const filtered = new Set<XTransition>();
  for (const t1 of enabled) {
    let preempted = false;
    const toRemove = new Set<XTransition>();
    for (const t2 of filtered) {
      const exit2 = new Set(computeExitSet([t2], active));
      if (computeExitSet([t1], active).some((node) => exit2.has(node))) {
        if (isDescendant(t1.source, t2.source)) {
          toRemove.add(t2);
        } else {
          preempted = true;
          break;
        }
      }
    }
    if (!preempted) {
      for (const t3 of toRemove) filtered.delete(t3);
      filtered.add(t1);
    }
  }
  return [...filtered];
}

function childrenOf(node: XNode): XNode[] {
  return Object.values(node.states);
}

function computeEntrySet(
  transitions: XTransition[],
  statesForDefaultEntry: Set<XNode>,
  statesToEnter: Set<XNode>,
): void {
  for (const transition of transitions) {
    const domain = getTransitionDomain(transition);
    for (const target of transition.target ?? []) {
      if (transition.source !== target || transition.source !== domain || transition.reenter) {
        statesToEnter.add(target);
        statesForDefaultEntry.add(target);
      }
      addDescendantStatesToEnter(target, statesForDefaultEntry, statesToEnter);
    }
    for (const target of transition.target ?? []) {
      const ancestors = getProperAncestors(target, domain);
      if (domain?.type === 'parallel') ancestors.push(domain);
      addAncestorStatesToEnter(
        statesToEnter,
        statesForDefaultEntry,
        ancestors,
        !transition.source.parent && transition.reenter ? undefined : domain,
      );
    }
  }
}

function addDescendantStatesToEnter(
  node: XNode,
  statesForDefaultEntry: Set<XNode>,
  statesToEnter: Set<XNode>,
): void {
  if (node.type === 'compound') {
    const [initial] = node.initial!.target;
    statesToEnter.add(initial);
    statesForDefaultEntry.add(initial);
    addDescendantStatesToEnter(initial, statesForDefaultEntry, statesToEnter);
    addAncestorStatesToEnter(
      statesToEnter,
      statesForDefaultEntry,
      getProperAncestors(initial, node),
      undefined,
    );
  } else if (node.type === 'parallel') {
    for (const child of childrenOf(node)) {
      if (![...statesToEnter].some((entering) => isDescendant(entering, child))) {
        statesToEnter.add(child);
        statesForDefaultEntry.add(child);
        addDescendantStatesToEnter(child, statesForDefaultEntry, statesToEnter);
      }
    }
  }
}

function addAncestorStatesToEnter(
  statesToEnter: Set<XNode>,
  statesForDefaultEntry: Set<XNode>,
  ancestors: XNode[],
  reentrancyDomain: XNode | undefined,
): void {
  for (const ancestor of ancestors) {
    if (!reentrancyDomain || isDescendant(ancestor, reentrancyDomain)) statesToEnter.add(ancestor);
    if (ancestor.type === 'parallel') {
      for (const child of childrenOf(ancestor)) {
        if (![...statesToEnter].some((entering) => isDescendant(entering, child))) {
          statesToEnter.add(child);
          addDescendantStatesToEnter(child, statesForDefaultEntry, statesToEnter);
        }
      }
    }
  }
}
