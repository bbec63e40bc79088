/**
 * The kernel shim's semantics, on the self-test driver (harness/c/selftest/): each
 * expectation is what the kernel does, and fails on a shim that does otherwise (a mutex that
 * does not block, a timer that fires at its expiry, a flush that does not wait for a running
 * work, a sleep under a spinlock that goes unreported).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCHarness, runCSuite, type CReply } from '../harness/c-harness.ts';
import type { TestSuite, VectorEvent } from '../src/testgen/vectors.ts';

type Ev = VectorEvent;
const ev = (type: string, fields: Record<string, unknown> = {}): Ev => ({ type, ...fields });

let binary = '';
beforeAll(() => {
  binary = buildCHarness('selftest', []);
});

/** Runs each list of events as a vector from reset; the replies after each event. */
function run(...vectors: Ev[][]): { replies: CReply[][]; crashes: Record<number, string> } {
  const suite: Pick<TestSuite, 'bounds' | 'vectors'> = {
    bounds: { delays: 5 },
    vectors: vectors.map((events, i) => ({
      id: `v${i}`,
      steps: events.map((event) => ({ event, outputs: [], state: '', transitions: [] })),
    })),
  };
  const { replies, crashes } = runCSuite(binary, 'selftest', suite, { enabled: true }, true);
  return { replies: replies.map((r) => r.slice(1)), crashes };
}

const enabled = (reply: CReply) => (reply.enabled ?? []).map((e) => e.type);

describe('the kernel shim', () => {
  it('a mutex holder may sleep, and a second locker waits until it unlocks', () => {
    const [steps] = run([ev('hold'), ev('take'), ev('set_flag'), ev('run_a'), ev('run_b')]).replies;
    expect(enabled(steps[1])).not.toContain('run_a'); // asleep on wq, not woken
    expect(enabled(steps[1])).not.toContain('run_b'); // waits for big_lock
    expect(enabled(steps[2])).toContain('run_a'); // woken: its condition holds
    expect(enabled(steps[2])).not.toContain('run_b');
    expect(steps[3].outputs).toEqual([{ type: 'returned', result: 1 }]);
    expect(enabled(steps[3])).toContain('run_b');
    expect(steps[4].outputs).toEqual([{ type: 'returned', result: 2 }]);
  });

  it('a delayed work fires one jiffy after its expiry at the earliest; queueing it again does nothing', () => {
    const [steps] = run([
      ev('arm', { delay: 2 }),
      ev('arm', { delay: 2 }),
      ev('tick'),
      ev('tick'),
      ev('tick'),
    ]).replies;
    expect(steps[0].outputs).toEqual([{ type: 'armed', queued: true }]);
    expect(steps[1].outputs).toEqual([{ type: 'armed', queued: false }]);
    expect(enabled(steps[2])).not.toContain('work');
    expect(enabled(steps[3])).not.toContain('work'); // jiffies == expires
    expect(enabled(steps[4])).toContain('work'); // expires + 1
  });

  it('mod_delayed_work re-arms a pending work from now', () => {
    const [steps] = run([
      ev('arm', { delay: 1 }),
      ev('rearm', { delay: 3 }),
      ev('tick'),
      ev('tick'),
      ev('tick'),
      ev('tick'),
    ]).replies;
    expect(steps[1].outputs).toEqual([{ type: 'rearmed', was_pending: true }]);
    expect(enabled(steps[3])).not.toContain('work'); // the first timer would have fired here
    expect(enabled(steps[4])).not.toContain('work');
    expect(enabled(steps[5])).toContain('work');
  });

  it('flush_work waits for the running work, and only for it', () => {
    const [steps] = run([
      ev('arm', { delay: 0 }),
      ev('work'),
      ev('flush'),
      ev('open_gate'),
      ev('run_worker'),
      ev('run_c'),
    ]).replies;
    expect(enabled(steps[0])).toContain('work'); // delay 0 queues at once
    expect(enabled(steps[1])).not.toContain('run_worker'); // asleep at the gate
    expect(enabled(steps[2])).not.toContain('run_c'); // the flush waits
    expect(enabled(steps[3])).toContain('run_worker');
    expect(enabled(steps[3])).not.toContain('run_c'); // the work has not finished yet
    expect(enabled(steps[4])).toContain('run_c');
    expect(steps[5].outputs).toEqual([{ type: 'returned', result: 1 }]);
  });

  it('a signal ends an interruptible sleep: -ERESTARTSYS, unless the condition holds first', () => {
    const [signalled, conditionFirst] = run(
      [ev('isleep'), ev('signal', { to: 'e' }), ev('run_e')],
      [ev('isleep'), ev('set_flag'), ev('signal', { to: 'e' }), ev('run_e')],
    ).replies;
    expect(enabled(signalled[0])).not.toContain('run_e'); // asleep: nothing woke it
    expect(enabled(signalled[1])).toContain('run_e'); // the signal wakes it
    expect(signalled[2].outputs).toEqual([{ type: 'returned', result: -512 }]);
    expect(conditionFirst[3].outputs).toEqual([{ type: 'returned', result: 0 }]);
  });

  it('a signal ends mutex_lock_interruptible() with -EINTR, wait_for_completion_interruptible() with -ERESTARTSYS', () => {
    const [lock, completion, done] = run(
      [ev('hold'), ev('ilock'), ev('signal', { to: 'f' }), ev('run_f')],
      [ev('iwait'), ev('signal', { to: 'g' }), ev('run_g')],
      [ev('iwait'), ev('open_gate'), ev('signal', { to: 'g' }), ev('run_g')],
    ).replies;
    expect(enabled(lock[1])).not.toContain('run_f'); // waits for big_lock
    expect(enabled(lock[2])).toContain('run_f');
    expect(lock[3].outputs).toEqual([{ type: 'returned', result: -4 }]);
    expect(enabled(completion[0])).not.toContain('run_g');
    expect(completion[2].outputs).toEqual([{ type: 'returned', result: -512 }]);
    expect(done[3].outputs).toEqual([{ type: 'returned', result: 0 }]); // done wins
  });

  it('a process that dies before it read all its input is a crash, not a failure to run', () => {
    // More input than a pipe holds: the writer meets a closed pipe (EPIPE) after the crash.
    const ticks = Array.from({ length: 20_000 }, () => ev('tick'));
    const { replies, crashes } = run([ev('spin_sleep'), ...ticks]);
    expect(replies[0]).toEqual([]);
    expect(crashes[0]).toMatch(/^BUG: sleeping function called from invalid context/);
  });

  it("reports a sleep under a spinlock as the kernel's BUG and dies there", () => {
    const { replies, crashes } = run([ev('spin_sleep')], [ev('tick')]);
    expect(replies[0]).toEqual([]);
    expect(crashes[0]).toMatch(
      /^BUG: sleeping function called from invalid context at wait_for_completion\(&gate\)/,
    );
    expect(replies[1]).toHaveLength(1); // the next vector runs in a new process
  });
});
