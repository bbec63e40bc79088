/**
 * Properties over time, for timed models (src/model/time.ts). Each is built from the ordinary
 * property kinds, so the explorer checks it on every reachable state and its counterexample is
 * a shortest trace, which shows the clock (`t=` on every step of a timed model's trace).
 *
 * - `respondsWithin`: "within T ticks of X, Y" (bounded response). A monitor keeps, for each
 *   X still waiting for its Y, the ticks left; a tick with none left is the violation. It is hot
 *   while something waits, so "Y never comes at all" is a liveness failure as well.
 * - `noTimeoutWhileDue`: "no timeout while the answer is due": a step that gives up on a request
 *   (a timeout, an -ETIMEDOUT) must not happen while the request's answer is still owed within
 *   the environment's latency bound or has already arrived. On a device that keeps its latency,
 *   a timeout is then a bug of the driver (a timer armed too short, a deadline taken too early,
 *   a completion not seen), never legitimate.
 */
import type { EventObject } from 'xstate';
import type { ModelState, Monitor, Step, StepProperty } from './model.ts';
import { TICK } from './time.ts';

interface Described {
  name: string;
  statement: string;
  source: string;
}

/** For each key still waiting for its response, the ticks left; sorted by key (canonical). */
export type Pending = ReadonlyArray<readonly [string, number]>;

export interface RespondsWithin<TContext, TEvent extends EventObject> extends Described {
  /** T: at most this many ticks may pass between X and Y. */
  ticks: number;
  /** The tick event's type (default `tick`). */
  tick?: string;
  /** X: the keys (request ids) whose clock starts at this step. */
  start(step: Step<TContext, TEvent>): readonly string[];
  /** Y: the keys answered at this step (a key not pending is ignored). */
  end(step: Step<TContext, TEvent>): readonly string[];
}

/** "Within T ticks of X, Y", as a monitor. */
export function respondsWithin<TContext, TEvent extends EventObject>(
  spec: RespondsWithin<TContext, TEvent>,
): Monitor<TContext, TEvent, Pending> {
  const tick = spec.tick ?? TICK;
  return {
    kind: 'monitor',
    name: spec.name,
    statement: spec.statement,
    source: spec.source,
    initial: () => [],
    step(pending, step) {
      const ended = new Set(spec.end(step));
      let next: Array<readonly [string, number]> = pending.filter(([key]) => !ended.has(key));
      if (step.event.type === tick) {
        const late = next.find(([, left]) => left === 0);
        if (late) {
          return {
            violation: `${late[0]}: ${spec.ticks} tick${spec.ticks === 1 ? '' : 's'} passed without the response (${spec.statement})`,
          };
        }
        next = next.map(([key, left]) => [key, left - 1] as const);
      }
      for (const key of spec.start(step)) {
        if (!next.some(([k]) => k === key)) next.push([key, spec.ticks]);
      }
      next.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return next;
    },
    hot: (pending) => pending.length > 0,
  };
}

export interface NoTimeoutWhileDue<TContext, TEvent extends EventObject> extends Described {
  /** The requests this step gives up on as timed out (by their key). */
  timedOut(step: Step<TContext, TEvent>): readonly string[];
  /**
   * In the state before the step: the environment still owes this request's answer within its
   * latency bound, or the answer has already arrived. Either way a timeout is premature.
   */
  answerDue(state: ModelState<TContext>, key: string): boolean;
}

/** "No timeout while the answer is due", as a step property. */
export function noTimeoutWhileDue<TContext, TEvent extends EventObject>(
  spec: NoTimeoutWhileDue<TContext, TEvent>,
): StepProperty<TContext, TEvent> {
  return {
    kind: 'step',
    name: spec.name,
    statement: spec.statement,
    source: spec.source,
    check(step) {
      const premature = spec.timedOut(step).filter((key) => spec.answerDue(step.from, key));
      return premature.length === 0
        ? true
        : `${premature.join(', ')} timed out while its answer was still due`;
    },
  };
}
