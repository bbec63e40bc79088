/**
 * Expanding one state: what the explorer does with a state when its turn comes, in one place
 * so that the sequential explorer and the worker threads of the parallel one (src/explore-
 * parallel.ts) check exactly the same things in the same order.
 *
 * For a state it checks the invariants, computes the liveness goal bits, counts coverage, and
 * hands every successor (with its step-property and monitor violations) to a sink; a state
 * with no successor that is not terminal is a deadlock.
 */
import { DEADLOCK_PROPERTY, type ModelSystem, type SystemNode } from '../model/system.ts';

/** The goal value of a state where a liveness obligation does not apply (Recoverable.when). */
export const EXEMPT = 2;

export interface ExpansionSink {
  /** A property violated in the expanded state, or by the step with `eventIndex` from it. */
  violation(property: string, message: string, eventIndex: number | undefined): void;
  /** A successor, in alphabet order. */
  successor(node: SystemNode, eventIndex: number): void;
}

export class Expander {
  /**
   * One goal per liveness obligation, in property order: a recoverable's goal, or "this
   * monitor is not hot". A state that can reach no goal state is stuck, unless the obligation
   * does not apply there (a recoverable's `when`): its goal value is then EXEMPT.
   */
  readonly goalChecks: Array<(node: SystemNode) => boolean | typeof EXEMPT> = [];
  /** Expanded states per configuration number (state-node coverage). */
  readonly configHits: number[] = [];
  /** How often each compiled transition was taken. */
  readonly transitionHits: number[];
  /** Successors generated so far. */
  transitions = 0;

  constructor(readonly system: ModelSystem) {
    for (const property of system.instance.properties) {
      if (property.kind === 'recoverable') {
        const { goal, when } = property;
        this.goalChecks.push((node) => {
          const state = system.view(node);
          return goal(state) || (when && !when(state) ? EXEMPT : false);
        });
      } else if (property.kind === 'monitor' && property.hot) {
        const index = system.monitors.indexOf(property);
        const hot = property.hot;
        this.goalChecks.push((node) => !hot(node.monitors[index]));
      }
    }
    this.transitionHits = system.compiled.transitions.map(() => 0);
  }

  /**
   * Writes the goal values of `node` to `out[offset..offset + goalChecks.length)`: 1 a goal
   * state, 0 not, EXEMPT (2) neither but not obliged to reach one.
   */
  goals(node: SystemNode, out: { [index: number]: number }, offset: number): void {
    for (let i = 0; i < this.goalChecks.length; i++) {
      const value = this.goalChecks[i](node);
      out[offset + i] = value === EXEMPT ? EXEMPT : value ? 1 : 0;
    }
  }

  expand(node: SystemNode, sink: ExpansionSink): void {
    const system = this.system;
    const configId = node.state.config;
    this.configHits[configId] = (this.configHits[configId] ?? 0) + 1;
    if (system.invariants.length > 0) {
      for (const violation of system.checkState(node)) {
        sink.violation(violation.property, violation.message, undefined);
      }
    }
    const successors = system.successors(node);
    if (successors.length === 0 && !system.isTerminal(node)) {
      sink.violation(
        DEADLOCK_PROPERTY,
        'no event is enabled and the state is not terminal',
        undefined,
      );
    }
    const hits = this.transitionHits;
    for (let s = 0; s < successors.length; s++) {
      const successor = successors[s];
      this.transitions++;
      const taken = successor.result.transitions;
      for (let t = 0; t < taken.length; t++) hits[taken[t]]++;
      for (const violation of successor.violations) {
        sink.violation(violation.property, violation.message, successor.eventIndex);
      }
      sink.successor(successor.node, successor.eventIndex);
    }
  }
}
