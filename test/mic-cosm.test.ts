/**
 * Intel MIC COSM: scenarios through the model (the code paths the seed describes, in time), the
 * time model's guarantees, and the findings on the seed as written, each with the shape of its
 * counterexample read against the code (docs/mic-cosm.md). The generic registry test checks
 * every variant's `breaks` list.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/model/config.ts';
import { explore } from '../src/explore/explore.ts';
import type { Output } from '../src/model/model.ts';
import { ModelSystem, type SystemNode } from '../src/model/system.ts';
import {
  DETECT_TICKS,
  HOST_POLL_TICKS,
  CARD_POLL_TICKS,
  type Cdev,
  type MicContext,
  type MicEvent,
} from '../machines/mic-cosm.ts';
import { micCosmModel } from '../machines/registry.ts';
import { chartOf } from '../src/inspect/chart.ts';
import { lanesOf } from '../src/inspect/lanes.ts';

type Options = { variants?: string[]; bounds?: Record<string, number> };

/** Drives the model through `events`, failing on any event that is not enabled. */
function drive(events: MicEvent[], options: Options = {}) {
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
  const context = view.context as MicContext;
  return { view, context, card: context.cards[0], outputs, enabled };
}

/** Every reachable state of a configuration (breadth-first), with its enabled steps. */
function* reachable(options: Options = {}) {
  const system = new ModelSystem(micCosmModel, resolveConfig(micCosmModel, options));
  const start = system.initial().node;
  const seen = new Set<string>([JSON.stringify(system.view(start))]);
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    const successors = system.successors(node);
    yield { view: system.view(node), successors: successors.map((s) => s.event.type) };
    for (const next of successors) {
      const key = JSON.stringify(system.view(next.node));
      if (!seen.has(key)) {
        seen.add(key);
        queue.push(next.node);
      }
    }
  }
}

const card = 0;
const tick: MicEvent = { type: 'tick' };
const ticks = (n: number): MicEvent[] => Array.from({ length: n }, () => tick);

/** Boot card 0 (it connects one tick later) and let the work go online on its connection and
 *  sleep in scif_poll. */
const bootOnline: MicEvent[] = [
  { type: 'start', card },
  tick,
  { type: 'server.accept', card },
  { type: 'server.schedule' },
  { type: 'work.dequeue', card },
  { type: 'work.online', card },
  { type: 'work.sleep', card },
];

/** The card reads SYNC_TIME and heartbeats; the host reads the heartbeat. */
const syncTime: MicEvent[] = [
  { type: 'card.recv', card },
  { type: 'work.poll', card },
  { type: 'work.process', card },
];

describe('mic-cosm in time', () => {
  it('the constants: 5 s ticks, the 40 s poll fires 9 ticks after it starts, the card heartbeats 7 after its poll', () => {
    expect(HOST_POLL_TICKS).toBe(8);
    expect(CARD_POLL_TICKS).toBe(6);
    expect(DETECT_TICKS).toBe(9);
  });

  it('a booting card connects one tick after cosm_start at the earliest', () => {
    const started = drive([{ type: 'start', card }]);
    expect(started.enabled({ type: 'server.accept', card })).toBe(false);
    expect(drive([{ type: 'start', card }, tick]).enabled({ type: 'server.accept', card })).toBe(
      true,
    );
  });

  it('boots: BOOTING, then ONLINE with the watchdog armed, SYNC_TIME in the card ring', () => {
    expect(drive(bootOnline.slice(0, 1)).card.state).toBe('BOOTING');
    const { card: d, view } = drive(bootOnline);
    expect(d.state).toBe('ONLINE');
    expect(d.watchdog).toBe(true);
    expect(d.epd).toBe(d.cardEp);
    expect(d.eps[0].toCard).toEqual(['SYNC_TIME']);
    expect(d.pollTimer).toBe(HOST_POLL_TICKS);
    expect(view.matches('card0.scifWork.POLL')).toBe(true);
  });

  it('urgent steps happen before time passes: no tick while the card has a message to read', () => {
    const online = drive(bootOnline);
    expect(online.enabled({ type: 'card.recv', card })).toBe(true);
    expect(online.enabled(tick)).toBe(false);
    expect(drive([...bootOnline, ...syncTime]).enabled(tick)).toBe(true);
  });

  it('a live card heartbeats 7 ticks after its client thread polls, before the host could time out', () => {
    const polled = [...bootOnline, ...syncTime];
    const six = drive([...polled, ...ticks(6)]);
    expect(six.enabled({ type: 'card.heartbeat', card })).toBe(false);
    const seven = drive([...polled, ...ticks(7)]);
    expect(seven.enabled({ type: 'card.heartbeat', card })).toBe(true);
    // The heartbeat is due: time stands still until it is sent.
    expect(seven.enabled(tick)).toBe(false);
    expect(seven.enabled({ type: 'work.timeout', card })).toBe(false);
    const read = drive([
      ...polled,
      ...ticks(7),
      { type: 'card.heartbeat', card },
      { type: 'work.poll', card },
      { type: 'work.process', card },
    ]);
    expect(read.card.pollTimer).toBe(HOST_POLL_TICKS);
  });

  it('the poll never times out on a card that is alive (every state of the default bounds)', () => {
    let timeouts = 0;
    for (const { view, successors } of reachable()) {
      if (!successors.includes('work.timeout')) continue;
      timeouts++;
      const d = (view.context as MicContext).cards[0];
      expect(d.eps.find((e) => e.id === d.epd)?.silent).toBe(true);
    }
    expect(timeouts).toBeGreaterThan(0);
  });

  it('a crashed card is declared CRASHED exactly 9 ticks after the poll started', () => {
    const crashed = [...bootOnline, ...syncTime, { type: 'card.crash', card } as MicEvent];
    expect(drive([...crashed, ...ticks(8)]).enabled({ type: 'work.timeout', card })).toBe(false);
    const due = drive([...crashed, ...ticks(9)]);
    expect(due.card.ghostDetectBy).toBe(0);
    expect(due.enabled(tick)).toBe(false);
    const declared = drive([
      ...crashed,
      ...ticks(9),
      { type: 'work.timeout', card },
      { type: 'work.process', card },
    ]);
    // cosm_set_crashed: cosm_shutdown_status_int (ONLINE -> SHUTTING_DOWN), then the publish.
    expect(declared.outputs.at(-1)).toEqual([
      { type: 'cosm_set_state', card, state: 'SHUTTING_DOWN' },
      { type: 'publish', card, status: 'CRASHED' },
    ]);
    expect(declared.card.watchdog).toBe(false);
    expect(declared.card.ghostDetectBy).toBeNull();
  });

  it('with the watchdog off a timeout publishes nothing and polls again', () => {
    const events = [
      ...bootOnline,
      ...syncTime,
      { type: 'card.crash', card } as MicEvent,
      ...ticks(9),
      { type: 'work.timeout', card } as MicEvent,
      { type: 'work.process', card } as MicEvent,
    ];
    const off = drive(events, { bounds: { heartbeatEnable: 0 } });
    expect(off.card.watchdog).toBe(false);
    expect(off.outputs.at(-1)).toEqual([]);
    expect(off.card.pollTimer).toBe(HOST_POLL_TICKS);
  });

  it('a scif_poll error re-polls with a fresh timeout, and the detection window restarts', () => {
    const crashed = [...bootOnline, ...syncTime, { type: 'card.crash', card } as MicEvent];
    const errored = [
      ...crashed,
      ...ticks(5),
      { type: 'work.pollError', card } as MicEvent,
      { type: 'work.process', card } as MicEvent,
    ];
    const d = drive(errored, { bounds: { pollErrors: 1 } }).card;
    expect(d.pollTimer).toBe(HOST_POLL_TICKS);
    expect(d.ghostDetectBy).toBe(DETECT_TICKS);
    // CRASHED 9 ticks after the error, 14 after the crash.
    const declared = drive(
      [...errored, ...ticks(9), { type: 'work.timeout', card }, { type: 'work.process', card }],
      { bounds: { pollErrors: 1 } },
    );
    expect(declared.outputs.at(-1)).toContainEqual({ type: 'publish', card, status: 'CRASHED' });
  });
});

describe('mic-cosm scenarios', () => {
  it('the reboot notifier blocks while the host has not read the heartbeat (inflight=1)', () => {
    const read = [
      ...bootOnline,
      { type: 'shutdown', card } as MicEvent,
      { type: 'card.recv', card } as MicEvent,
    ];
    expect(drive(read).enabled({ type: 'card.notify', card, status: 'HALTED' })).toBe(false);
    const roomy = drive(read, { bounds: { inflight: 2 } });
    expect(roomy.enabled({ type: 'card.notify', card, status: 'HALTED' })).toBe(true);
  });

  it('orderly shutdown: status kept on receipt, published once the card closes its endpoint', () => {
    const haltedReceived: MicEvent[] = [
      ...bootOnline,
      ...syncTime,
      { type: 'shutdown', card },
      { type: 'card.recv', card },
      { type: 'work.poll', card },
      { type: 'work.process', card },
      { type: 'card.notify', card, status: 'HALTED' },
      { type: 'work.poll', card },
      { type: 'work.process', card },
    ];
    const received = drive(haltedReceived);
    expect(received.card.state).toBe('SHUTTING_DOWN');
    expect(received.card.statusInt).toBe('HALTED');
    expect(received.outputs.flat().filter((o) => o.type === 'publish')).toEqual([]);
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
    expect(closed.view.matches('card0.scifWork.IDLE')).toBe(true);
  });

  it('heartbeats go on between the reboot notifier and cosm_scif_remove', () => {
    const notified = drive([
      ...bootOnline,
      ...syncTime,
      { type: 'card.reboot', card },
      { type: 'card.notify', card, status: 'HALTED' },
      { type: 'work.poll', card },
      { type: 'work.process', card },
      ...ticks(7),
    ]);
    expect(notified.card.card).toBe('CLOSING');
    expect(notified.enabled({ type: 'card.heartbeat', card })).toBe(true);
  });

  it('ignores a status value outside enum mic_status', () => {
    const { card: d } = drive([
      ...bootOnline,
      ...syncTime,
      { type: 'card.reboot', card },
      { type: 'card.notify', card, status: 'INVALID' },
      { type: 'work.poll', card },
      { type: 'work.process', card },
    ]);
    expect(d.state).toBe('ONLINE');
    expect(d.watchdog).toBe(true);
    expect(d.statusInt).toBe('NOP');
  });

  it('a card that reports CRASHED itself (statuses=4) has it published at the hang-up, like any status', () => {
    const { outputs } = drive(
      [
        ...bootOnline,
        ...syncTime,
        { type: 'card.reboot', card },
        { type: 'card.notify', card, status: 'CRASHED' },
        { type: 'card.close', card },
        { type: 'work.poll', card },
        { type: 'work.process', card },
      ],
      { bounds: { statuses: 4 } },
    );
    expect(outputs.at(-1)).toEqual([
      { type: 'cosm_set_state', card, state: 'SHUTTING_DOWN' },
      { type: 'publish', card, status: 'CRASHED' },
      { type: 'scif_close', card, ep: 0 },
    ]);
  });

  it('reset: stops the hardware once, hangs the endpoint up, READY and status NOP', () => {
    const {
      card: d,
      outputs,
      view,
    } = drive([...bootOnline, { type: 'reset', card }, { type: 'stop.run', card, ok: true }]);
    expect(outputs.at(-2)).toEqual([{ type: 'cosm_set_state', card, state: 'RESETTING' }]);
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
    expect(outputs[8]).toEqual([
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

  it('a cosm_client reload reconnects while ONLINE and stays ONLINE', () => {
    const { card: d, outputs } = drive([
      ...bootOnline,
      ...syncTime,
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
    expect(outputs[12]).toEqual([{ type: 'scif_close', card, ep: 0 }]);
    expect(outputs.at(-1)).toEqual([]);
    expect(d.refs).toBe(0);
  });

  it('a reload before the work ran: the fix replaces the endpoint not taken and drops its reference', () => {
    const race: MicEvent[] = [
      { type: 'start', card },
      tick,
      { type: 'server.accept', card },
      { type: 'server.schedule' },
      { type: 'card.unload', card },
      { type: 'card.load', card },
      { type: 'server.accept', card },
      { type: 'server.schedule' },
    ];
    const fixed = drive(race);
    expect(fixed.outputs.at(-1)).toEqual([{ type: 'scif_close', card, ep: 0 }]);
    expect(fixed.card.newepd).toBe(1);
    expect(fixed.card.refs).toBe(1);
    const online = drive([...race, { type: 'work.dequeue', card }, { type: 'work.online', card }]);
    expect(online.card.epd).toBe(1);
    expect(online.card.newepd).toBeNull();
    expect(online.card.refs).toBe(0);
  });

  it('shutdown is refused without an ONLINE card or once the endpoint has hung up', () => {
    expect(drive(bootOnline.slice(0, 3)).enabled({ type: 'shutdown', card })).toBe(false);
    const hungUp = drive([...bootOnline, ...syncTime, { type: 'card.unload', card }]);
    expect(hungUp.enabled({ type: 'shutdown', card })).toBe(false);
  });

  it('a sysfs write may take cosm_mutex before the woken work (mutexes are not FIFO)', () => {
    // The work was queued for a reload's connection; the reset runs, then user space boots the
    // card again before the work gets the mutex: it goes ONLINE on the hung-up connection.
    const { card: d, outputs } = drive(
      [
        ...bootOnline,
        ...syncTime,
        { type: 'card.unload', card },
        { type: 'work.poll', card },
        { type: 'work.process', card },
        { type: 'card.load', card },
        { type: 'server.accept', card },
        { type: 'server.schedule' },
        { type: 'work.dequeue', card },
        { type: 'reset', card },
        { type: 'stop.run', card, ok: true },
        { type: 'start', card },
        { type: 'work.online', card },
      ],
      { bounds: { boots: 2 } },
    );
    expect(outputs.at(-1)).toEqual([{ type: 'cosm_set_state', card, state: 'ONLINE' }]);
    expect(d.card).toBe('CONNECTING');
    expect(d.eps.find((e) => e.id === d.epd)?.peerOpen).toBe(false);
  });
});

describe('mic-cosm blocking sends (hostRing)', () => {
  const blocked: MicEvent[] = [...bootOnline, { type: 'shutdown', card }];

  it('at hostRing=2 (all COSM ever queues on a connection) no send blocks, in any state', () => {
    for (const { view } of reachable()) {
      const d = (view.context as MicContext).cards[0];
      expect(d.work).not.toBe('SENDING');
      expect(d.user).not.toBe('SHUTDOWN_SENDING');
    }
  });

  it('at hostRing=1 cosm_shutdown sleeps in scif_send holding cosm_mutex', () => {
    const b = { bounds: { hostRing: 1 } };
    const asleep = drive(blocked, b);
    expect(asleep.card.user).toBe('SHUTDOWN_SENDING');
    expect(asleep.outputs.at(-1)).toEqual([]);
    // Reset, the work's processing and the reset work all wait for the mutex.
    expect(asleep.enabled({ type: 'reset', card })).toBe(false);
    // The card reads SYNC_TIME: room in the ring, the send completes.
    const sent = drive(
      [...blocked, { type: 'card.recv', card }, { type: 'shutdown.sent', card }],
      b,
    );
    expect(sent.card.state).toBe('SHUTTING_DOWN');
    expect(sent.outputs.at(-1)).toEqual([{ type: 'cosm_set_state', card, state: 'SHUTTING_DOWN' }]);
  });

  it('at hostRing=1 a crashed card never reads: the writer keeps cosm_mutex, the watchdog cannot publish, until it is killed', () => {
    const b = { bounds: { hostRing: 1 } };
    const timedOut: MicEvent[] = [
      ...blocked,
      { type: 'card.crash', card },
      ...ticks(HOST_POLL_TICKS + 1),
      { type: 'work.timeout', card },
    ];
    // Time passes while the ghost deadline runs; then nothing moves any more.
    const stuck = drive([...timedOut, tick], b);
    expect(stuck.enabled({ type: 'work.process', card })).toBe(false);
    expect(stuck.enabled({ type: 'shutdown.sent', card })).toBe(false);
    expect(stuck.enabled({ type: 'reset', card })).toBe(false);
    const killed = drive([...timedOut, { type: 'shutdown.interrupted', card }], b);
    expect(killed.card.user).toBe('IDLE');
    expect(killed.card.state).toBe('ONLINE');
    const declared = drive(
      [...timedOut, { type: 'shutdown.interrupted', card }, { type: 'work.process', card }],
      b,
    );
    expect(declared.outputs.at(-1)).toContainEqual({ type: 'publish', card, status: 'CRASHED' });
  });

  it('at hostRing=1 this is the one property that fails: CRASHED is late while a shutdown sleeps on a dead card', () => {
    const result = explore(micCosmModel, { bounds: { hostRing: 1 } });
    const failed = result.properties.filter((p) => p.holds === false);
    expect(failed.map((p) => p.name)).toEqual(['crash-published-within-timeout']);
    const types = failed[0].trace!.steps.map((s) => s.event.type);
    expect(types).toContain('shutdown');
    expect(types).toContain('card.crash');
    expect(types).not.toContain('shutdown.sent');
  });
});

describe('mic-cosm removal and the server thread', () => {
  const r = { bounds: { remove: 1 } };

  it('the fixed order: stop the server, close the listening endpoint, then cosm_stop; the device is released last', () => {
    const { context, outputs, view } = drive(
      [
        ...bootOnline,
        { type: 'remove.begin', card },
        { type: 'exit.kill', card },
        { type: 'server.exit' },
        { type: 'exit.close' },
        { type: 'remove.stop', card, ok: true },
        { type: 'work.poll', card },
        { type: 'work.process', card },
        { type: 'remove.flushed', card },
        { type: 'remove.done', card },
      ],
      r,
    );
    expect(context.server).toBe('EXITED');
    expect(context.exit).toBe('CLOSED');
    expect(context.cards[0].rm).toBe('DONE');
    expect(outputs.at(-1)).toEqual([{ type: 'device_release', card }]);
    expect(view.matches('card0.removal.DONE')).toBe(true);
  });

  it('sysfs calls end with the removal: no cosm_start once it began', () => {
    expect(drive([{ type: 'remove.begin', card }], r).enabled({ type: 'start', card })).toBe(false);
  });

  it('a connect from a node without a cosm_device is closed (strangers=1)', () => {
    const { outputs, context } = drive(
      [{ type: 'stranger.connect' }, { type: 'server.acceptStranger' }],
      { bounds: { strangers: 1 } },
    );
    expect(outputs.at(-1)).toEqual([{ type: 'scif_close', card: null, ep: 0 }]);
    expect(context.strays).toBe(0);
  });
});

describe('mic-cosm regions mirror the program counters', () => {
  it('every reachable state of the default, removal and one-message-ring bounds', () => {
    const configs: Options[] = [
      {},
      { bounds: { remove: 1, reloads: 0 } },
      { bounds: { hostRing: 1, reloads: 0 } },
    ];
    for (const options of configs) {
      let states = 0;
      for (const { view } of reachable(options)) {
        states++;
        const ctx = view.context as MicContext;
        expect(view.matches(`server.${ctx.server}`)).toBe(true);
        expect(view.matches(`exit.${ctx.exit}`)).toBe(true);
        const d: Cdev = ctx.cards[0];
        expect(view.matches(`card0.card.${d.card}`)).toBe(true);
        expect(view.matches(`card0.scifWork.${d.work}`)).toBe(true);
        expect(view.matches(`card0.removal.${d.rm}`)).toBe(true);
        expect(view.matches(`card0.sysfs.${d.user}`)).toBe(true);
        // cosm_send_time's SYNC_TIME is the first message on a new connection: even a
        // one-message ring has room, so it never blocks (only cosm_shutdown's send can).
        expect(d.work).not.toBe('SENDING');
      }
      expect(states).toBeGreaterThan(1_000);
    }
  });

  it('each transition cites the seed lines it runs, and its lane is the code context that runs it', () => {
    const instance = micCosmModel.build(resolveConfig(micCosmModel, { bounds: { remove: 1 } }));
    const chart = chartOf(instance.machine);
    expect(chart.transitions.length).toBeGreaterThan(50);
    for (const t of chart.transitions) {
      expect(t.cites, t.label).toMatch(/sources\/mic-cosm-scif\.txt:\d+/);
    }
    const lanes = lanesOf(chart, instance.lanes);
    const laneOf = (label: string) => {
      const index = chart.transitions.findIndex((t) => t.label === label);
      expect(index, label).toBeGreaterThanOrEqual(0);
      return lanes.lanes[lanes.ofTransition[index]];
    };
    // The card region is the device; a step of another context that moves the card region
    // (reset_work's cosm_stop, the server's accept) stays in that context's lane.
    expect(laneOf('micCosm.card0.card.UP:card.crash:0')).toMatchObject({ device: true });
    expect(laneOf('micCosm.card0.card.CONNECTING:server.accept:0').name).toBe(
      'cosm_server kthread',
    );
    expect(laneOf('micCosm.card0.card.CRASHED:stop.run:1').name).toBe('reset_trigger_work');
    expect(laneOf('micCosm.card0.scifWork.POLL:work.timeout:0').name).toBe('scif_work (kworker)');
    expect(lanes.lanes.map((l) => l.name)).not.toContain('device / environment');
  });
});

describe('mic-cosm findings on the seed as written', () => {
  const failures = (variants: string[], bounds?: Record<string, number>) => {
    const result = explore(micCosmModel, { variants, ...(bounds ? { bounds } : {}) });
    return Object.fromEntries(
      result.properties.filter((p) => p.holds === false).map((p) => [p.name, p]),
    );
  };
  const events = (steps: { event: { type: string } }[]) => steps.map((s) => s.event.type);

  it('finding 1: a refused cosm_set_online leaks newepd (4 steps); the fix closes it', () => {
    const leak = failures(['refused-online-leaks-newepd'])['accepted-endpoint-used-or-closed'];
    expect(events(leak.trace!.steps)).toEqual(['start', 'tick', 'reset', 'server.accept']);
    const race: MicEvent[] = [
      { type: 'start', card },
      tick,
      { type: 'reset', card },
      { type: 'server.accept', card },
      { type: 'server.schedule' },
      { type: 'work.dequeue', card },
      { type: 'work.online', card },
    ];
    const asWritten = drive(race, { variants: ['refused-online-leaks-newepd'] });
    expect(asWritten.card.eps[0].used).toBe(false);
    expect(asWritten.outputs.at(-1)).toEqual([]);
    expect(drive(race).outputs.at(-1)).toEqual([{ type: 'scif_close', card, ep: 0 }]);
  });

  it('finding 2: a late status re-opens a finished boot and hw_ops->stop runs twice (16 steps)', () => {
    const trace = failures(['late-status-sets-shutting-down'])['hw-stop-once-per-boot'].trace!;
    expect(trace.steps).toHaveLength(16);
    const stops = trace.steps.filter((s) => s.outputs.some((o) => o.type === 'hw_stop'));
    expect(stops).toHaveLength(2);
    const types = events(trace.steps);
    // The status is queued before the reset and processed after cosm_stop.
    expect(types.indexOf('card.notify')).toBeLessThan(types.indexOf('stop.run'));
    expect(types.indexOf('stop.run')).toBeLessThan(types.indexOf('work.process'));
    expect(types.filter((t) => t === 'start')).toHaveLength(1);
  });

  it('finding 3: two connections before the work ran leak the first endpoint and a device reference (8 steps), and a work queued again uses the closed endpoint (18)', () => {
    const failed = failures(['newepd-handoff-unlocked']);
    const refs = failed['device-refs-dropped'].trace!.steps;
    expect(events(refs)).toEqual([
      'start',
      'tick',
      'server.accept',
      'card.unload',
      'card.load',
      'server.schedule',
      'server.accept',
      'server.schedule',
    ]);
    const reuse = failed['no-use-after-close'].trace!.steps;
    expect(reuse).toHaveLength(18);
    // All within one tick: the kworker is slower than a cosm_client reload.
    expect(reuse.filter((s) => s.event.type === 'tick')).toHaveLength(1);
    expect(events(reuse).filter((t) => t === 'work.online')).toHaveLength(2);
  });

  it("finding 3's flush deadlock is gone in time: with two boots the card still returns to READY", () => {
    const failed = failures(['newepd-handoff-unlocked'], { boots: 2 });
    expect(failed['card-can-return-to-ready']).toBeUndefined();
    expect(failed['no-deadlock']).toBeUndefined();
  });

  it(
    'finding 4: a connection accepted after the removal began is never closed (4 steps)',
    {
      timeout: 300_000,
    },
    () => {
      const leak = failures(['unknown-node-leaks-newepd'])['accepted-endpoint-used-or-closed'];
      expect(events(leak.trace!.steps)).toEqual(['start', 'tick', 'remove.begin', 'server.accept']);
      const stranger = failures(['unknown-node-leaks-newepd'], { strangers: 1, remove: 0 })[
        'accepted-endpoint-used-or-closed'
      ];
      expect(events(stranger.trace!.steps)).toEqual(['stranger.connect', 'server.acceptStranger']);
    },
  );

  it('finding 5: the server schedules the work after the removal flushed it (9 steps); its put_device frees the device before its unlock (11)', () => {
    const failed = failures(['server-stopped-after-flush']);
    // As written the last device's remove.flushed goes straight on into cosm_scif_exit: the
    // server is told to stop (kthread_stop's request) in that same step, so no exit.kill.
    const late = events(failed['no-work-after-remove'].trace!.steps);
    expect(late).toEqual([
      'start',
      'tick',
      'server.accept',
      'remove.begin',
      'remove.stop',
      'remove.flushed',
      'server.schedule',
      'exit.close',
      'remove.done',
    ]);
    const uaf = failed['no-use-after-free'].trace!.steps;
    expect(uaf).toHaveLength(11);
    expect(uaf.at(-1)!.event.type).toBe('remove.done');
    expect(uaf.at(-1)!.outputs).toEqual([{ type: 'device_release', card }]);
    expect(uaf.at(-1)!.value).toMatchObject({ card0: { scifWork: 'REFUSED' } });
  });

  it('as written, all five findings show at once (with a removal)', () => {
    const failed = Object.keys(failures(['as-written'])).sort();
    expect(failed).toEqual(
      [
        'accepted-endpoint-used-or-closed',
        'device-refs-dropped',
        'hw-stop-once-per-boot',
        'no-use-after-close',
        'no-use-after-free',
        'no-work-after-remove',
      ].sort(),
    );
  });
});

describe('mic-cosm timing variants', () => {
  it('a 30 s poll timeout races the live card’s heartbeat: CRASHED on a card that is up', () => {
    const trace = explore(micCosmModel, {
      variants: ['timeout-below-heartbeat-period'],
    }).properties.find((p) => p.name === 'crash-only-when-silent')!.trace!;
    const timeout = trace.steps.findIndex((s) => s.event.type === 'work.timeout');
    const before = trace.steps[timeout - 1];
    // The card is alive, and its heartbeat was due in the same tick.
    expect(before.value).toMatchObject({
      card0: { card: expect.stringMatching(/UP|NOTIFY|CLOSING/) },
    });
    expect(trace.steps.slice(timeout).some((s) => s.event.type === 'tick')).toBe(false);
  });

  it('no watchdog, or no poll timeout: a crashed card is never declared CRASHED', () => {
    for (const variant of ['watchdog-not-armed', 'poll-without-timeout']) {
      const property = explore(micCosmModel, { variants: [variant] }).properties.find(
        (p) => p.name === 'crash-published-within-timeout',
      )!;
      expect(property.holds, variant).toBe(false);
      const steps = property.trace!.steps;
      const crash = steps.findIndex((s) => s.event.type === 'card.crash');
      // Ten ticks after the card went silent (the tenth is the violation).
      expect(steps.slice(crash).filter((s) => s.event.type === 'tick').length, variant).toBe(
        DETECT_TICKS + 1,
      );
    }
  });
});

describe('mic-cosm bounds', () => {
  it('the default bounds stay small and prove every property', () => {
    const result = explore(micCosmModel);
    expect(result.complete).toBe(true);
    expect(result.states).toBeLessThan(20_000);
    expect(result.properties.filter((p) => p.holds !== true).map((p) => p.name)).toEqual([]);
  });

  it('each bound raised alone from the default still proves every property', () => {
    const raised: Record<string, number>[] = [
      { pollErrors: 1 },
      { strangers: 1 },
      { statuses: 4 },
      { heartbeatEnable: 0 },
      { inflight: 2 },
    ];
    for (const bounds of raised) {
      const result = explore(micCosmModel, { bounds });
      expect(result.complete).toBe(true);
      const failed = result.properties.filter((p) => p.holds !== true).map((p) => p.name);
      expect(failed, JSON.stringify(bounds)).toEqual([]);
    }
  });

  it('finds no violation in the first 5,000 states with two cards (too many to finish)', () => {
    const result = explore(micCosmModel, { bounds: { cards: 2, reloads: 0 }, maxStates: 5_000 });
    expect(result.properties.filter((p) => p.holds === false).map((p) => p.name)).toEqual([]);
  });
});
