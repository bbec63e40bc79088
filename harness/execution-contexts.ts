/**
 * Execution contexts for the imperative drivers under test (drivers/<protocol>.ts).
 *
 * A driver's concurrent code paths (a CPU running the requester, NAPI, a timer, an IRQ
 * handler, a worker) are generator functions written like the C code: they `yield` a label at
 * each preemption point (where the code drops a lock or another CPU may run) and `yield
 * BLOCKED` while they wait for something another context must do first. The conformance
 * adapter steps them one preemption point at a time, at the grain the model interleaves them.
 */
import { NotEnabledError } from '../src/testgen/conform.ts';

/** Yielded by a context that cannot make progress yet (a lock is held, a wait not satisfied). */
export const BLOCKED: unique symbol = Symbol('blocked');

/**
 * A preemption point at which the context waits until `ready()` holds (a lock is free, a
 * wake-up came, a deadline passed) before it goes on; `waitAt` yields one.
 */
export interface WaitPoint {
  at: string;
  ready: () => boolean;
}

/**
 * A context's code: yields preemption points (a label: it goes on without waiting; a
 * WaitPoint: it waits for its condition first) or BLOCKED, and returns its result.
 */
export type Preemptible<R = void> = Generator<string | WaitPoint | typeof BLOCKED, R, void>;

/**
 * A preemption point `at` where the context then waits until `ready()`: the step that follows
 * is possible exactly when `ready()` holds, so the adapter's `enabled()` can ask
 * `ExecutionContexts.ready` instead of restating the condition.
 */
export function* waitAt(at: string, ready: () => boolean): Preemptible {
  yield { at, ready };
  while (!ready()) yield BLOCKED;
}

export type Advanced<R> = { done: true; value: R } | { done: false; at: string };

interface Live {
  code: Preemptible<unknown>;
  at: string;
  /** The condition its next step waits for (none: it goes on at once). */
  ready?: () => boolean;
}

export class ExecutionContexts {
  private readonly live = new Map<string, Live>();

  /**
   * `declaredWaits`: every wait is declared with `waitAt`, so a context that yields BLOCKED at
   * a plain label breaks the contract `ready()` relies on (an Error, not a refusal).
   */
  constructor(private readonly options: { declaredWaits?: boolean } = {}) {}

  /** The preemption point context `name` waits at, or null when nothing runs there. */
  at(name: string): string | null {
    return this.live.get(name)?.at ?? null;
  }

  isRunning(name: string): boolean {
    return this.live.has(name);
  }

  /** Whether `advance(name)` can run now: the context is live and not waiting. */
  ready(name: string): boolean {
    const context = this.live.get(name);
    return context !== undefined && (context.ready?.() ?? true);
  }

  /** Starts `code` as context `name` and runs it to its first preemption point. */
  start<R>(name: string, code: Preemptible<R>): Advanced<R> {
    this.enter(name, code, 'START');
    return this.advance<R>(name);
  }

  /** Makes `code` runnable as context `name` without running it (a timer that has fired). */
  enter(name: string, code: Preemptible<unknown>, at: string): void {
    const running = this.live.get(name);
    if (running) throw new NotEnabledError(`${name}: busy at ${running.at}`);
    this.live.set(name, { code, at });
  }

  /**
   * Runs context `name` to its next preemption point. A context that finishes becomes idle;
   * one that is blocked stays where it was and the step is not possible (NotEnabledError).
   */
  advance<R = unknown>(name: string): Advanced<R> {
    const context = this.live.get(name);
    if (!context) throw new NotEnabledError(`${name}: nothing is running there`);
    const next = context.code.next();
    if (next.done) {
      this.live.delete(name);
      return { done: true, value: next.value as R };
    }
    if (next.value === BLOCKED) {
      if (this.options.declaredWaits && !context.ready) {
        throw new Error(`${name}: blocked at ${context.at}, which declares no wait (waitAt)`);
      }
      throw new NotEnabledError(`${name}: blocked at ${context.at}`);
    }
    const point: Partial<WaitPoint> & { at: string } =
      typeof next.value === 'string' ? { at: next.value } : next.value;
    context.at = point.at;
    context.ready = point.ready;
    return { done: false, at: point.at };
  }

  /**
   * advance() for an event that only a context waiting at preemption point `at` can take (a
   * wake-up for a sleeper, the second half of an IRQ handler): anywhere else it is not possible.
   */
  advanceFrom<R = unknown>(name: string, at: string): Advanced<R> {
    if (this.at(name) !== at) throw new NotEnabledError(`${name} is not at ${at}`);
    return this.advance<R>(name);
  }

  /** Forgets every context, as a reset does. */
  clear(): void {
    this.live.clear();
  }
}
