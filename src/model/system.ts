/**
 * A model instance together with its property monitors: the product system that the explorer,
 * the fuzzer and trace replay all step through, so that they agree on what a step is and on
 * what a violation is.
 */
import type { EventObject } from 'xstate';
import { CompiledMachine, type CompiledState, type StepResult } from './compiled.ts';
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

  constructor(definition: ModelDefinition, config: ModelConfig) {
    this.definition = definition;
    this.config = config;
    this.instance = definition.build(config);
    this.compiled = new CompiledMachine(this.instance.machine);
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
  }

  initial(): { node: SystemNode; outputs: Output[] } {
    const { state, outputs } = this.compiled.initial();
    const view = this.compiled.view(state);
    return { node: { state, monitors: this.monitors.map((m) => m.initial(view)) }, outputs };
  }

  view(node: SystemNode): ModelState<unknown> {
    return this.compiled.view(node.state);
  }

  events(node: SystemNode): EventObject[] {
    return this.instance.events(this.view(node));
  }

  /** Invariants violated in this state. */
  checkState(node: SystemNode): Violation[] {
    const view = this.view(node);
    const violations: Violation[] = [];
    for (const invariant of this.invariants) {
      const message = failure(invariant.check(view));
      if (message !== undefined) violations.push({ property: invariant.name, message });
    }
    return violations;
  }

  isTerminal(node: SystemNode): boolean {
    return this.instance.terminal?.(this.view(node)) ?? false;
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
      const message = failure(property.check(step));
      if (message !== undefined) violations.push({ property: property.name, message });
    }
    let monitors = node.monitors;
    if (this.monitors.length > 0) {
      monitors = this.monitors.map((monitor, i) => {
        const next = monitor.step(node.monitors[i], step);
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
