/**
 * Intel MIC COSM: scenarios through the model (the code paths the seed describes), the timing
 * abstraction, and the findings on the seed as written, each with the shape of its
 * counterexample. The generic registry test checks every variant's `breaks` list.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/model/config.ts';
import { explore } from '../src/explore/explore.ts';
import type { Output } from '../src/model/model.ts';
import { ModelSystem, type SystemNode } from '../src/model/system.ts';
import { type MicContext, type MicEvent } from '../machines/mic-cosm.ts';
import { micCosmModel } from '../machines/registry.ts';

/** Drives the model through `events`, failing on any event that is not enabled. */
function drive(
  events: MicEvent[],
  options: { variants?: string[]; bounds?: Record<string, number> } = {},
) {
  const system = new ModelSystem(micCosmModel, resolveConfig(micCosmModel, options));
  let node: SystemNode = system.initial().node;
  const outputs: Output[][] = [];
  for (const [i, event] of events.entries()) {
    const step = system.stepWith(node, system.view(node), event, i);
    if (!step) throw new Error(`step ${i + 1} (${JSON.stringify(event)}) is not enabled`);
    node = step.node;
    outputs.push(step.result.outputs);
  }
  const view = system.view(node);
  const enabled = (event: MicEvent) => system.stepWith(node, view, event, 0) !== null;
  return { view, card: (view.context as MicContext).cards[0], outputs, enabled };
}

const card = 0;
/** Boot card 0 and let the work go online on its connection. */
const bootOnline: MicEvent[] = [
  { type: 'start', card },
  { type: 'server.accept', card },
  { type: 'server.schedule' },
  { type: 'work.dequeue', card },
  { type: 'work.online', card },
];

/** The host reads the heartbeat the card sent after a message. */
const drainHeartbeat: MicEvent[] = [
  { type: 'work.poll', card },
  { type: 'work.process', card },
];

describe('mic-cosm scenarios', () => {
  it('the reboot notifier blocks while the host has not read the heartbeat (inflight=1)', () => {
    const full = drive([...bootOnline, { type: 'shutdown', card }, { type: 'card.recv', card }]);
    expect(full.enabled({ type: 'card.notify', card, status: 'HALTED' })).toBe(false);
    const roomy = drive([...bootOnline, { type: 'shutdown', card }, { type: 'card.recv', card }], {
      bounds: { inflight: 2 },
    });
    expect(roomy.enabled({ type: 'card.notify', card, status: 'HALTED' })).toBe(true);
  });

  it('boots: BOOTING, then ONLINE with the watchdog on once the work takes the endpoint', () => {
    const booting = drive(bootOnline.slice(0, 1));
    expect(booting.card.state).toBe('BOOTING');
    const { card: d, view } = drive(bootOnline);
    expect(d.state).toBe('ONLINE');
    expect(d.watchdog).toBe(true);
    expect(d.epd).toBe(d.cardEp);
    expect(view.matches('card0.scifWork.POLL')).toBe(true);
  });

  it('keeps the watchdog off when sysfs heartbeat_enable is 0', () => {
    expect(drive(bootOnline, { bounds: { heartbeatEnable: 0 } }).card.watchdog).toBe(false);
  });

  it('orderly shutdown: status kept on receipt, published once the card closes its endpoint', () => {
    // User space shuts the card down; the card answers HALTED, which the work processes.
    const haltedReceived = [
      ...bootOnline,
      { type: 'shutdown', card },
      { type: 'card.recv', card },
      ...drainHeartbeat,
      { type: 'card.notify', card, status: 'HALTED' },
      { type: 'work.poll', card },
      { type: 'work.process', card },
    ] as const;
    const received = drive([...haltedReceived]);
    expect(received.card.state).toBe('SHUTTING_DOWN');
    expect(received.card.statusInt).toBe('HALTED');
    // Nothing published yet; mpssd only saw the state changes (the status, processed while
    // SHUTTING_DOWN, calls no cosm_set_state).
    expect(received.outputs.flat()).toEqual([
      { type: 'hw_start', card },
      { type: 'cosm_set_state', card, state: 'BOOTING' },
      { type: 'cosm_set_state', card, state: 'ONLINE' },
      { type: 'cosm_set_state', card, state: 'SHUTTING_DOWN' },
    ]);

    const closed = drive([
      ...haltedReceived,
      { type: 'card.close', card },
      { type: 'work.poll', card },
      { type: 'work.process', card },
    ]);
    // cosm_scif_close: cosm_update_mic_status, then scif_close(cdev->epd) (seed:232-234).
    expect(closed.outputs.at(-1)).toEqual([
      { type: 'publish', card, status: 'HALTED' },
      { type: 'scif_close', card, ep: 0 },
    ]);
    expect(closed.card.statusInt).toBe('NOP');
    expect(closed.card.epd).toBeNull();
    expect(closed.card.eps).toEqual([]);
    expect(closed.view.matches('card0.scifWork.IDLE')).toBe(true);
  });

  it('ignores a status value outside enum mic_status', () => {
    const { card: d } = drive([
      ...bootOnline,
      { type: 'card.reboot', card },
      { type: 'card.notify', card, status: 'INVALID' },
      { type: 'work.poll', card },
      { type: 'work.process', card },
    ]);
    expect(d.state).toBe('ONLINE');
    expect(d.watchdog).toBe(true);
    expect(d.statusInt).toBe('NOP');
  });

  it('times out only on a silent card, and then declares it CRASHED', () => {
    const alive = drive(bootOnline);
    expect(alive.enabled({ type: 'work.timeout', card })).toBe(false);
    const crashed = drive([
      ...bootOnline,
      { type: 'card.crash', card },
      { type: 'work.timeout', card },
      { type: 'work.process', card },
    ]);
    // cosm_set_crashed: cosm_shutdown_status_int (ONLINE -> SHUTTING_DOWN), then the publish.
    expect(crashed.outputs.at(-1)).toEqual([
      { type: 'cosm_set_state', card, state: 'SHUTTING_DOWN' },
      { type: 'publish', card, status: 'CRASHED' },
    ]);
    expect(crashed.card.state).toBe('SHUTTING_DOWN');
    expect(crashed.card.watchdog).toBe(false);
  });

  it('with a timeout below the heartbeat period, a live card can time out', () => {
    const alive = drive(bootOnline, { variants: ['timeout-below-heartbeat-period'] });
    expect(alive.enabled({ type: 'work.timeout', card })).toBe(true);
  });

  it('reset: stops the hardware once, hangs the endpoint up, READY and status NOP', () => {
    const {
      card: d,
      outputs,
      view,
    } = drive([...bootOnline, { type: 'reset', card }, { type: 'stop.run', card, ok: true }]);
    expect(outputs.at(-2)).toEqual([{ type: 'cosm_set_state', card, state: 'RESETTING' }]);
    // cosm_stop: already RESETTING, so hw_ops->stop, cosm_hw_reset's READY, the NOP status.
    expect(outputs.at(-1)).toEqual([
      { type: 'hw_stop', card },
      { type: 'cosm_set_state', card, state: 'READY' },
      { type: 'publish', card, status: 'NOP' },
    ]);
    expect(d.state).toBe('READY');
    expect(d.eps.every((e) => !e.peerOpen)).toBe(true);
    expect(view.matches('card0.card.OFF')).toBe(true);
    // flush_work waits for the work, which ends on the hang-up.
    expect(d.flushRuns).toBe(1);
  });

  it('a reset from RESET_FAILED does not call hw_ops->stop again', () => {
    const { outputs, card: d } = drive([
      ...bootOnline,
      { type: 'reset', card },
      { type: 'stop.run', card, ok: false },
      { type: 'work.poll', card },
      { type: 'work.process', card },
      { type: 'stop.flushed', card },
      { type: 'reset', card },
      { type: 'stop.run', card, ok: true },
    ]);
    expect(outputs[6]).toEqual([
      { type: 'hw_stop', card },
      { type: 'cosm_set_state', card, state: 'RESET_FAILED' },
      { type: 'publish', card, status: 'NOP' },
    ]);
    expect(outputs.at(-1)).toEqual([
      { type: 'cosm_set_state', card, state: 'READY' },
      { type: 'publish', card, status: 'NOP' },
    ]);
    expect(d.state).toBe('READY');
  });

  it('a sysfs call does not overtake the work already waiting for cosm_mutex', () => {
    const waiting = drive([...bootOnline.slice(0, 4)]);
    expect(waiting.card.workWaitsForMutex).toBe(true);
    expect(waiting.enabled({ type: 'reset', card })).toBe(false);
    expect(drive(bootOnline).enabled({ type: 'reset', card })).toBe(true);
  });

  it('a cosm_client reload reconnects while ONLINE and stays ONLINE', () => {
    const { card: d, outputs } = drive([
      ...bootOnline,
      { type: 'card.unload', card },
      { type: 'work.poll', card },
      { type: 'work.process', card },
      { type: 'card.load', card },
      { type: 'server.accept', card },
      { type: 'server.schedule' },
      { type: 'work.dequeue', card },
      { type: 'work.online', card },
    ]);
    expect(d.state).toBe('ONLINE');
    expect(d.epd).toBe(d.cardEp);
    // The old endpoint hung up and was closed; the new one reuses its number. Going online
    // while ONLINE calls no cosm_set_state (seed:251-252).
    expect(outputs[7]).toEqual([{ type: 'scif_close', card, ep: 0 }]);
    expect(outputs.at(-1)).toEqual([]);
  });

  it('shutdown is refused without an ONLINE card or once the endpoint has hung up', () => {
    expect(drive(bootOnline.slice(0, 3)).enabled({ type: 'shutdown', card })).toBe(false);
    const hungUp = drive([...bootOnline, { type: 'card.unload', card }]);
    expect(hungUp.enabled({ type: 'shutdown', card })).toBe(false);
  });
});

describe('mic-cosm findings on the seed as written', () => {
  it('finding 1: a refused cosm_set_online leaks newepd; the fix closes it', () => {
    const race: MicEvent[] = [
      { type: 'start', card },
      { type: 'reset', card },
      { type: 'server.accept', card },
      { type: 'server.schedule' },
      { type: 'work.dequeue', card },
      { type: 'work.online', card },
    ];
    const asWritten = drive(race, { variants: ['refused-online-leaks-newepd'] });
    expect(asWritten.card.state).toBe('RESETTING');
    expect(asWritten.card.eps).toHaveLength(1);
    expect(asWritten.card.eps[0].used).toBe(false);
    expect(asWritten.outputs.at(-1)).toEqual([]);
    // The fix's scif_close is what tells the two apart from outside.
    const fixed = drive(race);
    expect(fixed.card.eps).toEqual([]);
    expect(fixed.outputs.at(-1)).toEqual([{ type: 'scif_close', card, ep: 0 }]);
  });

  it('finding 2: a status processed after cosm_stop sets SHUTTING_DOWN on a READY card, and the next reset stops the hardware again', () => {
    const race: MicEvent[] = [
      ...bootOnline,
      { type: 'card.reboot', card },
      { type: 'card.notify', card, status: 'HALTED' },
      { type: 'reset', card },
      { type: 'stop.run', card, ok: true },
      { type: 'work.poll', card },
      { type: 'work.process', card },
    ];
    const asWritten = drive(race, { variants: ['late-status-sets-shutting-down'] });
    expect(asWritten.card.state).toBe('SHUTTING_DOWN');
    // mpssd is told at once: a READY card went SHUTTING_DOWN.
    expect(asWritten.outputs.at(-1)).toEqual([
      { type: 'cosm_set_state', card, state: 'SHUTTING_DOWN' },
      { type: 'publish', card, status: 'HALTED' },
      { type: 'scif_close', card, ep: 0 },
    ]);
    const again = drive(
      [
        ...race,
        { type: 'reset', card },
        { type: 'stop.flushed', card },
        { type: 'stop.run', card, ok: true },
      ],
      { variants: ['late-status-sets-shutting-down'] },
    );
    expect(again.outputs.filter((o) => o.some((x) => x.type === 'hw_stop'))).toHaveLength(2);
    // The fix leaves the READY card alone; the status is still published once, at the hang-up.
    const fixed = drive(race);
    expect(fixed.card.state).toBe('READY');
    expect(fixed.outputs.at(-1)).toEqual([
      { type: 'publish', card, status: 'HALTED' },
      { type: 'scif_close', card, ep: 0 },
    ]);
  });

  it('finding 2 between cosm_reset and cosm_stop: the stop notifies RESETTING again (four outputs in one step)', () => {
    const race: MicEvent[] = [
      ...bootOnline,
      { type: 'card.crash', card },
      { type: 'reset', card },
      { type: 'work.timeout', card },
      { type: 'work.process', card },
      { type: 'stop.run', card, ok: true },
    ];
    const asWritten = drive(race, { variants: ['late-status-sets-shutting-down'] });
    // cosm_set_crashed moved RESETTING to SHUTTING_DOWN, so cosm_stop sets RESETTING itself.
    expect(asWritten.outputs.at(-2)).toEqual([
      { type: 'cosm_set_state', card, state: 'SHUTTING_DOWN' },
      { type: 'publish', card, status: 'CRASHED' },
    ]);
    expect(asWritten.outputs.at(-1)).toEqual([
      { type: 'cosm_set_state', card, state: 'RESETTING' },
      { type: 'hw_stop', card },
      { type: 'cosm_set_state', card, state: 'READY' },
      { type: 'publish', card, status: 'NOP' },
    ]);
    const fixed = drive(race);
    expect(fixed.outputs.at(-2)).toEqual([{ type: 'publish', card, status: 'CRASHED' }]);
    expect(fixed.outputs.at(-1)).toEqual([
      { type: 'hw_stop', card },
      { type: 'cosm_set_state', card, state: 'READY' },
      { type: 'publish', card, status: 'NOP' },
    ]);
  });

  // Why the state cover kills late-status-sets-shutting-down at the default bounds: the state
  // after the late step is one that only such a step reaches, so its BFS path takes the step.
  it('only a status or timeout processed after cosm_reset leads to RESETTING (from ONLINE) with the watchdog off', () => {
    const system = new ModelSystem(micCosmModel, resolveConfig(micCosmModel, {}));
    const target = (d: MicContext['cards'][number]) =>
      d.state === 'RESETTING' && d.prevState === 'ONLINE' && !d.watchdog;
    const start = system.initial().node;
    const seen = new Set<string>([JSON.stringify(system.view(start))]);
    const queue = [start];
    const entries = new Set<string>();
    while (queue.length > 0) {
      const node = queue.shift()!;
      const from = (system.view(node).context as MicContext).cards[0];
      for (const next of system.successors(node)) {
        const to = (system.view(next.node).context as MicContext).cards[0];
        if (target(to) && !target(from)) entries.add(`${next.event.type} in ${from.state}`);
        const key = JSON.stringify(system.view(next.node));
        if (!seen.has(key)) {
          seen.add(key);
          queue.push(next.node);
        }
      }
    }
    expect([...entries]).toEqual(['work.process in RESETTING']);
  });

  it('the explorer finds each as-written finding with a counterexample', () => {
    const result = explore(micCosmModel, { variants: ['as-written'] });
    const failed = Object.fromEntries(
      result.properties.filter((p) => p.holds === false).map((p) => [p.name, p]),
    );
    const doubleStop = failed['hw-stop-once-per-boot'].trace!.steps;
    const stops = doubleStop.filter((s) => s.outputs.some((o) => o.type === 'hw_stop'));
    expect(stops).toHaveLength(2);
    expect(doubleStop.some((s) => s.event.type === 'start' && s !== doubleStop[0])).toBe(false);
    const leak = failed['accepted-endpoint-used-or-closed'].trace!.steps;
    expect(leak.map((s) => s.event.type)).toContain('server.accept');
  });

  it('publishing on receipt tells user space before the card has stopped', () => {
    const result = explore(micCosmModel, { variants: ['publish-on-receipt'] });
    const status = result.properties.find((p) => p.name === 'status-published-once-after-stop')!;
    expect(status.holds).toBe(false);
    expect(status.message).toMatch(/not stopped yet/);
    const last = status.trace!.steps.at(-1)!;
    expect(last.event.type).toBe('work.process');
    expect((last.value as Record<string, Record<string, string>>).card0.card).not.toBe('DOWN');
  });

  it('going online from any state is caught leaving a state other than BOOTING', () => {
    const result = explore(micCosmModel, { variants: ['online-from-any-state'] });
    const online = result.properties.find((p) => p.name === 'online-only-from-booting')!;
    expect(online.holds).toBe(false);
    expect(online.message).toMatch(/went ONLINE from (RESETTING|SHUTTING_DOWN|READY|RESET_FAILED)/);
    expect(online.trace!.steps.at(-1)!.event.type).toBe('work.online');
  });
});

describe('mic-cosm bounds', () => {
  it('default bounds stay small', () => {
    const result = explore(micCosmModel);
    expect(result.complete).toBe(true);
    expect(result.states).toBeLessThan(10_000);
  });

  it('finds no violation in the first 5,000 states with two cards (too many to finish)', () => {
    const result = explore(micCosmModel, { bounds: { cards: 2, reloads: 0 }, maxStates: 5_000 });
    expect(result.properties.filter((p) => p.holds === false).map((p) => p.name)).toEqual([]);
  });
});
