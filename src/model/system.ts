/**
 * A model instance together with its property monitors: the product system that the explorer,
 * the fuzzer and trace replay all step through, so that they agree on what a step is and on
 * what a violation is.
 */
import type { EventObject } from 'xstate';
import {
  CompiledMachine,
  ModelCompileError,
  type CompileOptions,
  type CompiledState,
  type StepResult,
} from './compiled.ts';
import { deepFreeze, ModelError, ModelRuntimeError } from './model-error.ts';
import { compileSymmetry, type SymmetryGroup } from './symmetry.ts';
import type {
  Invariant,
  Monitor,
  ModelConfig,
  ModelDefinition,
  ModelInstance,
  ModelState,
  Output,
  Recoverable,
  Step,
  StepProperty,
  Verdict,
} from './model.ts';

/** A state of the product: the model's state and each monitor's state. */
export interface SystemNode {
  state: CompiledState;
  monitors: unknown[];
}

export interface Violation {
  property: string;
  message: string;
}

export interface Successor {
  event: EventObject;
  /** Index of the event in the alphabet of the source state: how traces are replayed. */
  eventIndex: number;
  result: StepResult;
  node: SystemNode;
  /** Step properties and monitors violated by this step. */
  violations: Violation[];
}

/** The properties every model gets without writing them. */
export const DEADLOCK_PROPERTY = 'no-deadlock';

export class ModelSystem {
  readonly definition: ModelDefinition;
  readonly config: ModelConfig;
  readonly instance: ModelInstance;
  readonly compiled: CompiledMachine;
  readonly invariants: Invariant<unknown>[];
  readonly stepProperties: StepProperty<unknown, EventObject>[];
  readonly monitors: Monitor<unknown, EventObject>[];
  readonly recoverables: Recoverable<unknown>[];
  /** The model's symmetry declarations, checked against its context and machine. */
  readonly symmetry: SymmetryGroup[];

  constructor(definition: ModelDefinition, config: ModelConfig, options: CompileOptions = {}) {
    this.definition = definition;
    this.config = config;
    this.instance = named(`${definition.name}: build`, () => definition.build(config));
    try {
      this.compiled = new CompiledMachine(this.instance.machine, options);
    } catch (error) {
      // The compiler names the node; the definition knows the file.
      if (!(error instanceof ModelCompileError) || definition.definedIn === undefined) throw error;
      throw new ModelCompileError(`${definition.definedIn}: ${error.message}`, { cause: error });
    }
    const properties = this.instance.properties;
    this.invariants = properties.filter((p): p is Invariant<unknown> => p.kind === 'invariant');
    this.stepProperties = properties.filter(
      (p): p is StepProperty<unknown, EventObject> => p.kind === 'step',
    );
    this.monitors = properties.filter(
      (p): p is Monitor<unknown, EventObject> => p.kind === 'monitor',
    );
    this.recoverables = properties.filter(
      (p): p is Recoverable<unknown> => p.kind === 'recoverable',
    );
    const specs = this.instance.symmetry;
    if (specs === undefined || specs.length === 0) {
      this.symmetry = [];
    } else {
      const { node } = this.initial();
      this.symmetry = compileSymmetry(
        specs,
        node.state.context,
        this.monitors.map((m, i) => ({ name: m.name, initial: node.monitors[i] })),
        this.compiled,
        definition.definedIn ?? definition.name,
      );
    }
  }

  /**
   * Checking mode (src/model/model-error.ts): contexts, events, outputs and monitor states are
   * deep-frozen before model code sees them, so an in-place change throws and names its author.
   */
  get checking(): boolean {
    return this.compiled.checking;
  }

  set checking(on: boolean) {
    this.compiled.checking = on;
  }

  initial(): { node: SystemNode; outputs: Output[] } {
    const { state, outputs } = this.compiled.initial();
    const view = this.compiled.view(state);
    const monitors = this.monitors.map((m) =>
      this.frozen(named(`monitor '${m.name}' (initial)`, () => m.initial(view))),
    );
    return { node: { state, monitors }, outputs };
  }

  view(node: SystemNode): ModelState<unknown> {
    if (this.checking) deepFreeze(node.state.context);
    return this.compiled.view(node.state);
  }

  events(node: SystemNode): EventObject[] {
    const view = this.view(node);
    try {
      return this.frozen(this.instance.events(view));
    } catch (error) {
      throw culpritError('the event alphabet (events)', error);
    }
  }

  /** Invariants violated in this state. */
  checkState(node: SystemNode): Violation[] {
    const view = this.view(node);
    const violations: Violation[] = [];
    for (const invariant of this.invariants) {
      let verdict: Verdict;
      try {
        verdict = invariant.when && !invariant.when(view) ? true : invariant.check(view);
      } catch (error) {
        throw culpritError(`invariant '${invariant.name}'`, error);
      }
      const message = failure(verdict);
      if (message !== undefined) violations.push({ property: invariant.name, message });
    }
    return violations;
  }

  isTerminal(node: SystemNode): boolean {
    const terminal = this.instance.terminal;
    if (!terminal) return false;
    const view = this.view(node);
    return named('terminal', () => terminal(view));
  }

  /** `value`, deep-frozen in checking mode. */
  private frozen<T>(value: T): T {
    return this.checking ? deepFreeze(value) : value;
  }

  /** Every enabled successor of `node`, in alphabet order. */
  successors(node: SystemNode, events = this.events(node)): Successor[] {
    const from = this.view(node);
    const successors: Successor[] = [];
    for (let eventIndex = 0; eventIndex < events.length; eventIndex++) {
      const successor = this.stepWith(node, from, events[eventIndex], eventIndex);
      if (successor) successors.push(successor);
    }
    return successors;
  }

  /** One event from `node`; `null` when it takes no transition. */
  stepWith(
    node: SystemNode,
    from: ModelState<unknown>,
    event: EventObject,
    eventIndex: number,
  ): Successor | null {
    const result = this.compiled.step(node.state, event);
    if (!result) return null;
    const violations: Violation[] = [];
    if (this.stepProperties.length === 0 && this.monitors.length === 0) {
      return {
        event,
        eventIndex,
        result,
        node: { state: result.state, monitors: node.monitors },
        violations,
      };
    }
    const step: Step<unknown, EventObject> = {
      from,
      event,
      outputs: result.outputs,
      to: this.compiled.view(result.state),
    };
    for (const property of this.stepProperties) {
      let verdict: Verdict;
      try {
        verdict = property.when && !property.when(step) ? true : property.check(step);
      } catch (error) {
        throw culpritError(`step property '${property.name}'`, error);
      }
      const message = failure(verdict);
      if (message !== undefined) violations.push({ property: property.name, message });
    }
    let monitors = node.monitors;
    if (this.monitors.length > 0) {
      monitors = this.monitors.map((monitor, i) => {
        let next: unknown;
        try {
          next = this.frozen(monitor.step(node.monitors[i], step));
        } catch (error) {
          throw culpritError(`monitor '${monitor.name}'`, error);
        }
        if (isMonitorViolation(next)) {
          violations.push({ property: monitor.name, message: next.violation });
          return node.monitors[i]; // keep exploring past the violation without reporting it again
        }
        return next;
      });
    }
    return { event, eventIndex, result, node: { state: result.state, monitors }, violations };
  }

  /** The identity of a node for the visited set: equal keys mean the same state. */
  key(node: SystemNode): string {
    const base = node.state.config + ':' + JSON.stringify(node.state.context);
    return this.monitors.length === 0 ? base : base + '|' + JSON.stringify(node.monitors);
  }

  /** Names of all properties checked, the built-in deadlock check included. */
  propertyNames(): string[] {
    return [...this.instance.properties.map((p) => p.name), DEADLOCK_PROPERTY];
  }
}

/** Runs model code, naming it in the error when it throws (not for hot loops: a closure). */
function named<T>(culprit: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw culpritError(culprit, error);
  }
}

function culpritError(culprit: string, error: unknown): ModelError {
  return error instanceof ModelError ? error : new ModelRuntimeError(culprit, error);
}

function failure(verdict: Verdict): string | undefined {
  if (verdict === true || verdict === undefined) return undefined;
  return verdict === false ? 'violated' : verdict;
}

function isMonitorViolation(value: unknown): value is { violation: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    'violation' in value &&
    typeof (value as { violation: unknown }).violation === 'string'
  );
}
