/**
 * What must hold for Intel MIC COSM. Sources cite sources/mic-cosm-scif.txt by line;
 * cosm_main.c and cosm_bus.c are Linux 4.4–5.9 drivers/misc/mic/{cosm,bus}/.
 */
import type { ModelConfig, ModelState, Property, Step } from '../src/model/model.ts';
import { EXPIRED } from '../src/model/time.ts';
import {
  CLOSED_EP,
  DETECT_TICKS,
  endpoint,
  freed,
  isValidStatus,
  type MicContext,
  type MicEvent,
  type MicOutput,
  type Status,
} from '../machines/mic-cosm.ts';

type S = ModelState<MicContext>;
type MicStep = Step<MicContext, MicEvent>;

const outputsOf = (step: MicStep) => step.outputs as unknown as MicOutput[];

const publications = (step: MicStep) =>
  outputsOf(step).filter((o): o is Extract<MicOutput, { type: 'publish' }> => o.type === 'publish');

const hwOutputs = (step: MicStep, type: 'hw_start' | 'hw_stop') =>
  outputsOf(step).flatMap((o) => (o.type === type ? [o.card] : []));

/** The step is the work processing a scif_poll timeout: a CRASHED it publishes is the watchdog's. */
const watchdogStep = (step: MicStep, card: number) =>
  step.event.type === 'work.process' &&
  step.event.card === card &&
  step.from.context.cards[card].revents === 'TIMEOUT';

/** A shutdown status the card handed to SCIF that user space has not been shown yet. */
interface Owed {
  status: Status;
  /** The connection it came on: the card has stopped once it no longer holds it. */
  conn: number;
  /** False once the host reset the card: publishing is then allowed (once), not required. */
  required: boolean;
  /** The card has let go of that connection (closed it, crashed, or was reset). */
  stopped: boolean;
}

interface StatusMonitor {
  /** Per card, oldest first: a late status of an earlier boot can still be on its way. */
  owed: Owed[][];
}

const stillInHost = (state: S, card: number, status: Status) => {
  const d = state.context.cards[card];
  return d.statusInt === status || d.eps.some((e) => e.status === status);
};

export function micCosmProperties(config: ModelConfig): Property<MicContext, MicEvent>[] {
  const cards = Array.from({ length: config.bounds.cards }, (_, c) => c);
  return [
    {
      kind: 'step',
      name: 'crash-only-when-silent',
      statement:
        'The watchdog declares a card CRASHED only when heartbeat_enable is set, its watchdog is on and the card behind the endpoint has gone silent, never during an orderly shutdown.',
      source:
        'sources/mic-cosm-scif.txt:200-206 cosm_set_crashed, sources/mic-cosm-scif.txt:249, sources/mic-cosm-scif.txt:308-310 "if (!rc && cdev->heartbeat_watchdog_enable)", sources/mic-cosm-scif.txt:161; cosm_main.c cosm_shutdown disables the watchdog',
      check: (step) => {
        for (const p of publications(step)) {
          if (p.status !== 'CRASHED' || !watchdogStep(step, p.card)) continue;
          const d = step.from.context.cards[p.card];
          if (config.bounds.heartbeatEnable !== 1)
            return `card ${p.card} declared CRASHED with sysfs heartbeat_enable 0`;
          if (!d.watchdog) return `card ${p.card} declared CRASHED with its watchdog off`;
          if (!endpoint(d, d.epd)?.silent)
            return `card ${p.card} declared CRASHED while it is still alive`;
          if (d.ghostOrderly) return `card ${p.card} declared CRASHED during an orderly shutdown`;
        }
        return true;
      },
    },
    {
      kind: 'invariant',
      name: 'crash-published-within-timeout',
      statement: `Once a watched card goes silent (its watchdog on, the work polling its endpoint, no hang-up), CRASHED is published within ${DETECT_TICKS} ticks (45 s: the 40 s poll timeout fires one tick after it expires), or the watch ends; a scif_poll error restarts the count.`,
      source:
        'sources/mic-cosm-scif.txt:128-131 COSM_HEARTBEAT_TIMEOUT_SEC, sources/mic-cosm-scif.txt:290 scif_poll(..., COSM_HEARTBEAT_TIMEOUT_MSEC), sources/mic-cosm-scif.txt:292-296, sources/mic-cosm-scif.txt:309-310',
      check: ({ context }) => {
        const c = context.cards.findIndex((d) => d.ghostDetectBy === EXPIRED);
        return (
          c < 0 ||
          `card ${c}: silent for more than ${DETECT_TICKS} ticks with its watchdog on, and no CRASHED`
        );
      },
    },
    {
      kind: 'monitor',
      name: 'status-published-once-after-stop',
      statement:
        'Every shutdown status the card sends is published to user space exactly once, and only after the card has stopped (its endpoint closed or it is dead).',
      source:
        'sources/mic-cosm-scif.txt:226-237 cosm_scif_close "SHUTDOWN_STATUS message is sent by the MIC cards in the reboot notifier when shutdown is still not complete"',
      initial: (): StatusMonitor => ({ owed: cards.map(() => []) }),
      step: (m: StatusMonitor, step) => {
        const { event, from } = step;
        // Endpoint ids are reused once both ends are closed, so "stopped" is latched on the
        // step where the card lets go of the connection rather than compared by id later.
        const owed = m.owed.map((list, card) =>
          list.map((o) =>
            !o.stopped && from.context.cards[card].cardEp !== o.conn ? { ...o, stopped: true } : o,
          ),
        );
        if (event.type === 'card.notify' && isValidStatus(event.status)) {
          const d = from.context.cards[event.card];
          // Only a status SCIF accepted is owed: the host end of the card's connection exists.
          if (d.card === 'NOTIFY' && d.cardEp !== null && endpoint(d, d.cardEp))
            owed[event.card] = [
              ...owed[event.card],
              { status: event.status, conn: d.cardEp, required: true, stopped: false },
            ];
        }
        for (const card of hwOutputs(step, 'hw_stop'))
          owed[card] = owed[card].map((o) => ({ ...o, required: false, stopped: true }));
        for (const p of publications(step)) {
          if (p.status === 'NOP') continue;
          const list = owed[p.card];
          if (p.status === 'CRASHED' && watchdogStep(step, p.card)) {
            const pending = list.find((o) => o.required);
            if (pending)
              return {
                violation: `card ${p.card}: its ${pending.status} status replaced by CRASHED`,
              };
            continue;
          }
          const same = list.filter((o) => o.status === p.status);
          if (same.length === 0)
            return {
              violation: `card ${p.card}: ${p.status} published with no such status owed (twice, or never sent)`,
            };
          const done = same.find((o) => o.stopped);
          if (!done)
            return {
              violation: `card ${p.card}: ${p.status} published while the card still holds its endpoint (not stopped yet)`,
            };
          owed[p.card] = list.filter((o) => o !== done);
        }
        // An optional status that is no longer anywhere in the host (not queued on an
        // endpoint, not kept in shutdown_status_int) can never be published: forget it, so
        // the monitor's state stays small.
        return {
          owed: owed.map((list, card) =>
            list.filter((o) => o.required || stillInHost(step.to, card, o.status)),
          ),
        };
      },
      hot: (m: StatusMonitor) => m.owed.some((list) => list.some((o) => o.required)),
    },
    {
      kind: 'step',
      name: 'invalid-status-ignored',
      statement:
        'A SHUTDOWN_STATUS message with a value outside enum mic_status changes neither the card state, nor the watchdog, nor the kept status.',
      source:
        'sources/mic-cosm-scif.txt:155-158 default: dev_err("Unexpected shutdown_status"); return',
      check: (step) => {
        if (step.event.type !== 'work.process') return true;
        const c = step.event.card;
        const d = step.from.context.cards[c];
        const after = step.to.context.cards[c];
        const e = endpoint(d, d.epd);
        if (!e || e.status !== 'INVALID' || (d.revents !== 'IN' && d.revents !== 'IN_HUP'))
          return true;
        if (after.state !== d.state)
          return `invalid status moved card ${c} ${d.state} -> ${after.state}`;
        if (after.watchdog !== d.watchdog) return `invalid status switched card ${c}'s watchdog`;
        if (d.revents === 'IN' && after.statusInt !== d.statusInt)
          return `invalid status kept as card ${c}'s shutdown_status_int`;
        if (publications(step).some((p) => p.status === 'INVALID'))
          return `invalid status published for card ${c}`;
        return true;
      },
    },
    {
      kind: 'step',
      name: 'online-only-from-booting',
      statement: 'A card goes ONLINE only from BOOTING (or stays ONLINE on a cosm_client reload).',
      source:
        'sources/mic-cosm-scif.txt:239-248 cosm_set_online "if (MIC_BOOTING == cdev->state || MIC_ONLINE == cdev->state)"',
      check: ({ from, to }) => {
        for (const c of cards) {
          const before = from.context.cards[c].state;
          if (to.context.cards[c].state === 'ONLINE' && before !== 'ONLINE' && before !== 'BOOTING')
            return `card ${c} went ONLINE from ${before}`;
        }
        return true;
      },
    },
    {
      kind: 'monitor',
      name: 'hw-stop-once-per-boot',
      statement: 'hw_ops->stop is called at most once per boot of a card.',
      source:
        'cosm_main.c cosm_stop: "Don\'t call hw_ops if they have been called previously. stop(..) calls device_unregister and will crash the system if called multiple times."',
      initial: () => ({ stopped: cards.map(() => true) }),
      step: (m: { stopped: boolean[] }, step) => {
        const stopped = [...m.stopped];
        for (const c of hwOutputs(step, 'hw_start')) stopped[c] = false;
        for (const c of hwOutputs(step, 'hw_stop')) {
          if (stopped[c])
            return { violation: `card ${c}: hw_ops->stop called again without a boot` };
          stopped[c] = true;
        }
        return { stopped };
      },
    },
    {
      kind: 'invariant',
      name: 'no-use-after-close',
      statement: 'cdev->epd never points at an endpoint that has already been scif_close()d.',
      source:
        'sources/mic-cosm-scif.txt:234-235 cosm_scif_close "scif_close(cdev->epd); cdev->epd = NULL", sources/mic-cosm-scif.txt:250 "cdev->epd = cdev->newepd"',
      check: ({ context }) => {
        const c = context.cards.findIndex((d) => d.epd === CLOSED_EP);
        return c < 0 || `card ${c}: cdev->epd is an endpoint already closed`;
      },
    },
    {
      kind: 'recoverable',
      name: 'accepted-endpoint-used-or-closed',
      statement:
        "Every endpoint the server accepts is eventually either served by the card's work (cdev->epd) or closed, also one from a node without a cosm_device.",
      source:
        'sources/mic-cosm-scif.txt:63-67, 344-348 cosm_scif_server "if (!cdev) continue; cdev->newepd = newepd; schedule_work(&cdev->scif_work)"',
      goal: (state: S) =>
        state.context.strays === 0 && state.context.cards.every((d) => d.eps.every((e) => e.used)),
    },
    {
      kind: 'recoverable',
      name: 'device-refs-dropped',
      statement:
        'Every device reference the server takes with cosm_find_cdev_by_id is eventually dropped with put_device.',
      source:
        'sources/mic-cosm-scif.txt:344 cosm_find_cdev_by_id (bus_find_device: get_device), sources/mic-cosm-scif.txt:260-261 "Drop reference acquired by bus_find_device in the server thread", sources/mic-cosm-scif.txt:348 schedule_work',
      goal: (state: S) => state.context.cards.every((d) => d.refs === 0),
    },
    {
      kind: 'invariant',
      name: 'no-use-after-free',
      lint: {
        vacuous:
          'the device is unregistered only with --bound remove=1 (remove=0 keeps the default space small); test/mic-cosm.test.ts checks it at remove=1 and shows it fail on finding 5',
      },
      statement:
        'A cosm_device is freed only when nothing will touch it again: its work is neither queued nor running and the server thread does not hold it.',
      source:
        'sources/mic-cosm-scif.txt:260-261 put_device in cosm_set_online, sources/mic-cosm-scif.txt:312-314 mutex_unlock(&cdev->cosm_mutex) after it; cosm_bus.c cosm_release_dev kfree(cdev)',
      check: ({ context }) => {
        for (const [c, d] of context.cards.entries()) {
          if (!freed(d)) continue;
          if (d.work !== 'IDLE' || d.workPending)
            return `card ${c}: its cosm_device is freed while its work is ${d.workPending ? 'queued' : d.work}`;
          if (context.serverHolds?.card === c)
            return `card ${c}: its cosm_device is freed while the server thread holds it`;
        }
        return true;
      },
    },
    {
      kind: 'invariant',
      name: 'no-work-after-remove',
      lint: {
        vacuous:
          'the device is unregistered only with --bound remove=1 (remove=0 keeps the default space small); test/mic-cosm.test.ts checks it at remove=1 and shows it fail on finding 5',
      },
      statement:
        "Once cosm_driver_remove has returned (the module's code and the device may go), the card's work is neither queued nor running.",
      source:
        'sources/mic-cosm-scif.txt:422-437 cosm_scif_exit (kthread_stop, scif_close(listen_epd)); cosm_main.c cosm_driver_remove: cosm_stop (flush_work) then cosm_scif_exit',
      check: ({ context }) => {
        const c = context.cards.findIndex(
          (d) => d.rm === 'DONE' && (d.work !== 'IDLE' || d.workPending),
        );
        return (
          c < 0 || `card ${c}: its work is queued or running after cosm_driver_remove returned`
        );
      },
    },
    {
      kind: 'recoverable',
      name: 'card-can-return-to-ready',
      statement: 'From every reachable state every card can get back to READY (or be removed).',
      source:
        'cosm_main.c cosm_reset / cosm_stop; sources/mic-cosm-scif.txt:98-124 "Card reset", "Card crash"',
      goal: (state: S) => state.context.cards.every((d) => d.state === 'READY' || d.rm === 'DONE'),
    },
  ];
}
