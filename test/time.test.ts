/**
 * The time, hostile-device, ghost and timed-property primitives (src/model/time.ts, device.ts,
 * ghosts.ts, timed-properties.ts), each against the kernel rule or the contract it implements,
 * and end to end on the timed fixture (test/fixtures/timed-mailbox.ts).
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../src/explore/explore.ts';
import { resolveConfig } from '../src/model/config.ts';
import { faultBounds, faultOn, replyLengths, replyLengthValue } from '../src/model/device.ts';
import {
  abandoned,
  answer,
  complete,
  deliver,
  duplicate,
  EMPTY_LEDGER,
  find,
  issue,
  ledgerFaultFree,
  LedgerError,
  type Ledger,
  lose,
  owed,
  waiting,
} from '../src/model/ghosts.ts';
import type { ModelState, Step } from '../src/model/model.ts';
import {
  arm,
  canTick,
  completionReturn,
  due,
  elapse,
  elapseDue,
  EXPIRED,
  modDelayedWork,
  queueDelayedWork,
  ticksIn,
  timeAfter,
  timeAfterEq,
  timerDue,
  type Deadline,
} from '../src/model/time.ts';
import { noTimeoutWhileDue, respondsWithin, type Pending } from '../src/model/timed-properties.ts';
import { formatTrace } from '../src/model/trace.ts';
import { timedModel } from './fixtures/timed-mailbox.ts';

const after = (deadline: Deadline, ticks: number) => {
  let d = deadline;
  for (let i = 0; i < ticks; i += 1) d = elapse(d);
  return d;
};

describe('kernel time', () => {
  it('time_after is strict: false at jiffies == expires, true one tick later', () => {
    const d = arm(3);
    expect([0, 1, 2, 3, 4].map((t) => timeAfter(after(d, t)))).toEqual([
      false,
      false,
      false,
      false,
      true,
    ]);
    expect([0, 1, 2, 3, 4].map((t) => timeAfterEq(after(d, t)))).toEqual([
      false,
      false,
      false,
      true,
      true,
    ]);
  });

  it('a timer armed for d ticks fires after d + 1 ticks at the earliest, never at expiry', () => {
    expect([0, 1, 2, 3].map((t) => timerDue(after(arm(2), t)))).toEqual([
      false,
      false,
      false,
      true,
    ]);
    expect(timerDue(arm(0))).toBe(false);
    expect(timerDue(elapse(arm(0)))).toBe(true);
  });

  it('a deadline stops at EXPIRED and an unarmed one never passes', () => {
    expect(after(arm(1), 10)).toBe(EXPIRED);
    expect(elapse(null)).toBeNull();
    expect(timeAfter(null) || timeAfterEq(null) || timerDue(null)).toBe(false);
  });

  it('rejects a negative or fractional delay', () => {
    expect(() => arm(-1)).toThrow(RangeError);
    expect(() => arm(1.5)).toThrow(RangeError);
    expect(() => due(-2)).toThrow(RangeError);
  });

  it('wait_for_completion_timeout returns the jiffies left, at least 1, when completed', () => {
    expect(completionReturn(arm(5))).toBe(5);
    expect(completionReturn(after(arm(5), 3))).toBe(2);
    expect(completionReturn(after(arm(5), 5))).toBe(1);
    expect(completionReturn(after(arm(5), 9))).toBe(1);
  });

  it('queue_delayed_work keeps a pending work; mod_delayed_work re-arms it', () => {
    expect(queueDelayedWork(null, 4)).toBe(4);
    expect(queueDelayedWork(1, 4)).toBe(1);
    expect(modDelayedWork(1, 4)).toBe(4);
    expect(modDelayedWork(null, 0)).toBe(0);
  });

  it('an obligation counts down to 0 and stays there; latency 0 means unbounded', () => {
    expect(due(0)).toBeNull();
    expect(elapseDue(elapseDue(due(1)))).toBe(0);
    expect(elapseDue(null)).toBeNull();
  });

  it('time passes only when some clock moves, no obligation is at 0 and nothing is urgent', () => {
    expect(canTick({})).toBe(false);
    expect(canTick({ deadlines: [null, EXPIRED] })).toBe(false);
    expect(canTick({ deadlines: [0] })).toBe(true);
    expect(canTick({ deadlines: [3], dues: [0] })).toBe(false);
    expect(canTick({ dues: [1] })).toBe(true);
    expect(canTick({ deadlines: [3], urgent: true })).toBe(false);
  });

  it('counts the ticks of a path', () => {
    expect(ticksIn([{ type: 'tick' }, { type: 'send' }, { type: 'tick' }])).toBe(2);
    expect(ticksIn([{ type: 'clk' }], 'clk')).toBe(1);
  });
});

describe('hostile device', () => {
  it('declares fault bounds with the shared names, ranges and descriptions', () => {
    const [lost, lengths] = faultBounds({
      lost: { default: 1 },
      lengths: { default: 2, deep: 4, note: 'in dwords' },
    });
    expect(lost).toMatchObject({ name: 'lost', default: 1, min: 0, max: 1 });
    expect(lost.deep).toBeUndefined();
    expect(lengths).toMatchObject({ name: 'lengths', default: 2, deep: 4, min: 1, max: 5 });
    expect(lengths.description).toMatch(/\(in dwords\)$/);
    expect(faultOn({ lost: 1 }, 'lost')).toBe(true);
    expect(faultOn({}, 'duplicate')).toBe(false);
  });

  it('adds reply lengths in a fixed order and gives each a value', () => {
    expect(replyLengths(1)).toEqual(['exact']);
    expect(replyLengths(3)).toEqual(['exact', 'short', 'long']);
    expect(replyLengths(9)).toHaveLength(5);
    expect(
      ['exact', 'short', 'long', 'zero', 'max'].map((k) => replyLengthValue(k as never, 2, 9)),
    ).toEqual([2, 1, 3, 0, 9]);
    expect(replyLengthValue('short', 0, 9)).toBe(0);
  });
});

describe('ghost ledger', () => {
  it('gives the lowest free id and refuses past its capacity', () => {
    const a = issue(EMPTY_LEDGER, 2);
    const b = issue(a.ledger, 2);
    expect([a.id, b.id]).toEqual([0, 1]);
    expect(() => issue(b.ledger, 2)).toThrow(LedgerError);
    const freed = complete(deliver(answer(b.ledger, 0), 0), 0);
    expect(issue(freed, 2).id).toBe(0);
  });

  it('skips the ids a model still names outside the ledger', () => {
    const a = issue(EMPTY_LEDGER, 3, new Set([0]));
    expect(a.id).toBe(1);
    // 1 is in the ledger, 0 and 2 are reserved: the next is 3, past a capacity of 3.
    expect(issue(a.ledger, 4, new Set([0, 2])).id).toBe(3);
    expect(() => issue(a.ledger, 3, new Set([0, 2]))).toThrow(LedgerError);
  });

  it('keeps a record while a reply for it can still arrive, so its id is not reused', () => {
    let { ledger } = issue(EMPTY_LEDGER, 2);
    ledger = complete(ledger, 0); // the caller gave up: abandoned, the device still holds it
    expect(abandoned(ledger).map((g) => g.id)).toEqual([0]);
    ledger = answer(ledger, 0); // the late reply is on its way
    expect(find(ledger, 0)).toMatchObject({ device: 'answered', replies: 1 });
    expect(issue(ledger, 2).id).toBe(1);
    ledger = duplicate(ledger, 0);
    ledger = deliver(ledger, 0);
    expect(abandoned(ledger)).toHaveLength(1);
    ledger = deliver(ledger, 0);
    expect(ledger).toEqual(EMPTY_LEDGER);
  });

  it('drops a lost request once its caller is completed; throws on what only a wrong model does', () => {
    let { ledger } = issue(EMPTY_LEDGER, 1);
    ledger = lose(ledger, 0);
    expect(owed(ledger)).toEqual([]);
    expect(waiting(ledger)).toHaveLength(1);
    expect(() => answer(ledger, 0)).toThrow(/already lost/);
    expect(() => deliver(ledger, 0)).toThrow(/no reply/);
    expect(() => duplicate(ledger, 0)).toThrow(LedgerError);
    expect(() => lose(EMPTY_LEDGER, 3)).toThrow(/no request 3/);
    ledger = complete(ledger, 0);
    expect(ledger).toEqual(EMPTY_LEDGER);
  });

  it('records what a buggy driver does (the first fault), for an invariant to report', () => {
    const held = complete(issue(EMPTY_LEDGER, 1).ledger, 0); // the device still holds it
    const twice = complete(held, 0);
    expect(twice.fault).toBe('request 0 completed twice');
    expect(complete(twice, 7).fault).toBe('request 0 completed twice');
    expect(complete(EMPTY_LEDGER, 7).fault).toMatch(
      /request 7 completed although it is not in flight/,
    );
    const property = ledgerFaultFree<Ledger>({ source: 'test', ledger: (s) => s.context });
    const view = (context: Ledger): ModelState<Ledger> => ({
      value: 'X',
      context,
      matches: () => false,
    });
    expect(property.check(view(held))).toBe(true);
    expect(property.check(view(twice))).toBe('request 0 completed twice');
  });
});

type S = Step<null, { type: string }>;
const state: ModelState<null> = { value: 'X', context: null, matches: () => false };
const step = (type: string, outputs: Array<{ type: string; key?: string }> = []): S => ({
  from: state,
  event: { type },
  outputs,
  to: state,
});

describe('timed properties', () => {
  const within = respondsWithin<null, { type: string }>({
    name: 'p',
    statement: 'answered within 2 ticks',
    source: 'test',
    ticks: 2,
    start: (s) => (s.event.type === 'send' ? ['a'] : []),
    end: (s) => s.outputs.map((o) => String(o.key)),
  });
  const run = (steps: S[]) => {
    let m: Pending | { violation: string } = within.initial(state);
    for (const s of steps) {
      if ('violation' in m) break;
      m = within.step(m as Pending, s);
    }
    return m;
  };

  it('respondsWithin allows T ticks and fails on the tick after', () => {
    expect(
      run([step('send'), step('tick'), step('tick'), step('done', [{ type: 'r', key: 'a' }])]),
    ).toEqual([]);
    expect(run([step('send'), step('tick'), step('tick'), step('tick')])).toMatchObject({
      violation: expect.stringMatching(/^a: 2 ticks passed/),
    });
  });

  it('respondsWithin is hot while something waits, and keeps the older clock on a restart', () => {
    const pending = run([step('send'), step('tick'), step('send')]) as Pending;
    expect(pending).toEqual([['a', 1]]);
    expect(within.hot!(pending)).toBe(true);
    expect(within.hot!([])).toBe(false);
  });

  it('noTimeoutWhileDue fails only on a timeout whose answer was due', () => {
    const property = noTimeoutWhileDue<null, { type: string }>({
      name: 'q',
      statement: 's',
      source: 'test',
      timedOut: (s) => s.outputs.map((o) => String(o.key)),
      answerDue: (_state, key) => key === 'due',
    });
    expect(property.check(step('fire', [{ type: 't', key: 'late' }]))).toBe(true);
    expect(property.check(step('fire', [{ type: 't', key: 'due' }]))).toMatch(/due timed out/);
  });
});

describe('the timed fixture end to end', () => {
  it('holds every property with the kernel timer semantics', () => {
    const result = explore(timedModel);
    expect(result.complete).toBe(true);
    expect(result.properties.filter((p) => p.holds !== true).map((p) => p.name)).toEqual([]);
  });

  it.each(timedModel.variants.map((v) => [v.name, v.breaks] as const))(
    'variant %s breaks exactly %j',
    (name, breaks) => {
      const result = explore(timedModel, { variants: [name] });
      expect(
        result.properties
          .filter((p) => p.holds === false)
          .map((p) => p.name)
          .sort(),
      ).toEqual([...breaks].sort());
    },
  );

  it('a timer that fires at expiry times out a request the device answers at that tick: the trace shows the clock', () => {
    const result = explore(timedModel, { variants: ['timer-fires-at-expiry'] });
    const trace = result.properties.find((p) => p.name === 'no-timeout-while-answer-due')!.trace!;
    expect(trace.steps.map((s) => s.event.type)).toEqual(['send', 'tick', 'tick', 'timer_fire']);
    expect(trace.steps.map((s) => s.time)).toEqual([0, 1, 2, 2]);
    expect(formatTrace(trace)).toMatch(/4\. t=2 timer_fire {2}=> result\(id=0, rc=-110\)/);
  });

  it('one tick more patience than promised fails the bounded response on a tick', () => {
    const result = explore(timedModel, { variants: ['timer-one-tick-long'] });
    const trace = result.properties.find((p) => p.name === 'result-within-timeout')!.trace!;
    expect(trace.steps.at(-1)!.event.type).toBe('tick');
    expect(trace.violation).toMatch(/3 ticks passed without the response/);
  });

  it('with unbounded latency the device may outwait the timer, so a timeout is legitimate', () => {
    const result = explore(timedModel, { bounds: { latency: 0, lost: 0 } });
    expect(result.properties.every((p) => p.holds === true)).toBe(true);
    const bounded = explore(timedModel, {
      bounds: { latency: 0, lost: 0 },
      variants: ['timer-fires-at-expiry'],
    });
    expect(bounded.properties.every((p) => p.holds === true)).toBe(true);
    const tooSlow = explore(timedModel, { bounds: { latency: 3, timeout: 2, lost: 0 } });
    expect(tooSlow.properties.find((p) => p.name === 'no-timeout-while-answer-due')!.holds).toBe(
      false,
    );
  });
});

describe("a variant's bounds", () => {
  it('apply when the variant is chosen, and the user may still override them', () => {
    expect(resolveConfig(timedModel, { variants: ['stale-answer-completes'] }).bounds.latency).toBe(
      0,
    );
    expect(
      resolveConfig(timedModel, { variants: ['stale-answer-completes'], bounds: { latency: 4 } })
        .bounds.latency,
    ).toBe(4);
    expect(resolveConfig(timedModel).bounds.latency).toBe(2);
  });
});
