/**
 * Discrete time with the kernel's semantics, for models (docs/engine.md, "Time").
 *
 * Time is a count of ticks (jiffies, or a coarser unit the model names). The state holds no
 * absolute clock, which would grow forever: every clock is relative to now. A `Deadline` is
 * `expires - jiffies` for a kernel timer, a delayed work, a `schedule_timeout()` or a value
 * compared with `time_after()`; it counts down by one per `tick` and stops at `EXPIRED`, where
 * everything the code can ask of it has become true. A `Due` is an obligation of the
 * environment (the device answers within L ticks, a runnable softirq runs within S): it counts
 * down to 0, and at 0 time cannot pass until the obligation is met or dropped.
 *
 * The kernel's rules, each a function below:
 * - `time_after(jiffies, expires)` is strict: false at `jiffies == expires` (`timeAfter`).
 * - A timer armed with `expires` fires at `expires + 1` at the earliest: the timer wheel
 *   rounds every expiry up to the next bucket so that no timer fires early
 *   (kernel/time/timer.c, calc_index: "The timer wheel has to guarantee that a timer does not
 *   fire early"), so `mod_timer(t, jiffies + d)` runs its callback after d + 1 ticks at the
 *   earliest (`timerDue`). A delayed work with delay 0 is queued at once, with no timer.
 * - `wait_for_completion_timeout(x, t)` returns 0 when it timed out, else the jiffies left,
 *   at least 1 (`completionReturn`).
 * - `schedule_delayed_work()` and `queue_delayed_work()` do nothing when the work is already
 *   pending; `mod_delayed_work()` re-arms it (`queueDelayedWork`, `modDelayedWork`).
 *
 * This is the digital-clock (integer-time) semantics of timed automata. It is exact for code
 * that reads only jiffies, as these drivers do: jiffies are integers, and every comparison the
 * code makes is between integers. What a model gives up is the size of its constants: a 1 s
 * timeout is a few ticks, not HZ of them, so a bug that needs a specific large ratio between
 * two delays (a timeout 250 times a poll interval) is found only if the model's constants keep
 * that ordering. Models say which orderings their bounds keep.
 */

/** Ticks from now to a point in time (`expires - jiffies`), or `null` when nothing is armed. */
export type Deadline = number | null;

/**
 * The floor of a deadline: one tick after `expires`. From here on `time_after()` is true and a
 * timer may fire; further ticks change nothing the code can observe, so the state stops here.
 */
export const EXPIRED = -1;

/** `expires = jiffies + delay` (`mod_timer`, `queue_delayed_work`, `timeout_jiffies = ...`). */
export function arm(delay: number): number {
  if (!Number.isInteger(delay) || delay < 0) throw new RangeError(`arm: bad delay ${delay}`);
  return delay;
}

/** One tick later. */
export function elapse(deadline: Deadline): Deadline {
  return deadline === null ? null : Math.max(EXPIRED, deadline - 1);
}

/** `time_after(jiffies, expires)`: strictly after. An unarmed deadline is never passed. */
export function timeAfter(deadline: Deadline): boolean {
  return deadline !== null && deadline < 0;
}

/** `time_after_eq(jiffies, expires)` (also `time_before(jiffies, expires)` is its negation). */
export function timeAfterEq(deadline: Deadline): boolean {
  return deadline !== null && deadline <= 0;
}

/** A timer with this expiry may fire now: at `expires + 1` at the earliest (the timer wheel). */
export function timerDue(deadline: Deadline): boolean {
  return deadline !== null && deadline <= EXPIRED;
}

/**
 * What `wait_for_completion_timeout()` (and `wait_event_timeout()` with a true condition)
 * returns when the waiter sees the completion now: the jiffies left until its timeout, at
 * least 1. Once the timeout has passed, a waiter that still sees `done` also returns 1
 * (`timeout ?: 1` in do_wait_for_common); 0 means it timed out, and is the caller's to return.
 */
export function completionReturn(deadline: Deadline): number {
  return deadline !== null && deadline > 0 ? deadline : 1;
}

/** `queue_delayed_work(wq, dwork, delay)`: nothing changes when the work is already pending. */
export function queueDelayedWork(pending: Deadline, delay: number): number {
  return pending ?? arm(delay);
}

/** `mod_delayed_work(wq, dwork, delay)`: (re)arms the work whether or not it is pending. */
export function modDelayedWork(_pending: Deadline, delay: number): number {
  return arm(delay);
}

/** Ticks left for an obligation of the environment, or `null` when there is none (or no bound). */
export type Due = number | null;

/**
 * A latency bound as a model bound: `0` means unbounded (the old, free behaviour: the
 * environment may wait forever), `L > 0` means it must act within L ticks.
 */
export const UNBOUNDED = 0;

/** The obligation that starts now under a latency bound (`null` when the bound is UNBOUNDED). */
export function due(latency: number): Due {
  if (!Number.isInteger(latency) || latency < 0)
    throw new RangeError(`due: bad latency ${latency}`);
  return latency === UNBOUNDED ? null : latency;
}

/** One tick later. Never below 0: time cannot pass an obligation at 0 (see `canTick`). */
export function elapseDue(obligation: Due): Due {
  return obligation === null ? null : Math.max(0, obligation - 1);
}

/** What decides whether time may pass in a state. */
export interface Clocks {
  /** Every armed deadline of the state (nulls allowed). */
  deadlines?: readonly Deadline[];
  /** Every obligation of the environment (nulls allowed). */
  dues?: readonly Due[];
  /**
   * Something must happen before the next tick that neither list says: a due timer that the
   * model makes urgent, a runnable context that cannot be preempted for a whole tick.
   */
  urgent?: boolean;
}

/**
 * Whether a `tick` is a step: some clock still moves (an armed deadline before EXPIRED, or an
 * obligation above 0), no obligation is at 0, and nothing urgent is pending. A tick that would
 * change no clock is not offered: it would be a self-loop, and a model in which only time can
 * pass and nothing moves is stuck, which the deadlock check should say.
 */
export function canTick({ deadlines = [], dues = [], urgent = false }: Clocks): boolean {
  if (urgent) return false;
  if (dues.some((d) => d === 0)) return false;
  return deadlines.some((d) => d !== null && d > EXPIRED) || dues.some((d) => d !== null && d > 0);
}

/** The tick event every timed model uses; `ModelInstance.time` names it for the engine. */
export const TICK = 'tick' as const;
export type TickEvent = { type: typeof TICK };

/** How many ticks a path of events spans (the clock a trace shows). */
export function ticksIn(events: ReadonlyArray<{ type: string }>, tick: string = TICK): number {
  return events.reduce((n, event) => n + (event.type === tick ? 1 : 0), 0);
}
