/**
 * What must hold for Intel MIC COSM. `seed:<line>` cites sources/mic-cosm-scif.txt;
 * cosm_main.c is Linux 4.4–5.9 drivers/misc/mic/cosm/cosm_main.c.
 */
import type { ModelConfig, ModelState, Property, Step } from '../src/model/model.ts';
import {
  CLOSED_EP,
  cardPath,
  isValidStatus,
  type MicContext,
  type MicEvent,
  type MicOutput,
  type Status,
} from '../machines/mic-cosm.ts';

type S = ModelState<MicContext>;
type MicStep = Step<MicContext, MicEvent>;

const publications = (step: MicStep) =>
  (step.outputs as unknown as MicOutput[]).filter(
    (o): o is Extract<MicOutput, { type: 'publish' }> => o.type === 'publish',
  );

const hwOutputs = (step: MicStep, type: 'hw_start' | 'hw_stop') =>
  (step.outputs as unknown as MicOutput[]).filter((o) => o.type === type).map((o) => o.card);

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
        'A card is declared CRASHED only when its watchdog is on and it has stopped heartbeating (crashed), never during an orderly shutdown.',
      source:
        'sources/mic-cosm-scif.txt:200-206 cosm_set_crashed, seed:308-310 "if (!rc && cdev->heartbeat_watchdog_enable)", seed:161; cosm_main.c cosm_shutdown disables the watchdog',
      check: (step) => {
        for (const p of publications(step)) {
          if (p.status !== 'CRASHED') continue;
          const d = step.from.context.cards[p.card];
          if (!d.watchdog) return `card ${p.card} declared CRASHED with its watchdog off`;
          if (!step.from.matches(cardPath(p.card, 'CRASHED')))
            return `card ${p.card} declared CRASHED while it is still alive`;
          if (d.ghostOrderly) return `card ${p.card} declared CRASHED during an orderly shutdown`;
        }
        return true;
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
          if (d.cardEp !== null && d.eps.some((e) => e.id === d.cardEp))
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
          if (p.status === 'CRASHED') {
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
        const e = d.eps.find((x) => x.id === d.epd);
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
        'sources/mic-cosm-scif.txt:234-235 cosm_scif_close "scif_close(cdev->epd); cdev->epd = NULL", seed:250 "cdev->epd = cdev->newepd"',
      check: ({ context }) => {
        const c = context.cards.findIndex((d) => d.epd === CLOSED_EP);
        return c < 0 || `card ${c}: cdev->epd is an endpoint already closed`;
      },
    },
    {
      kind: 'recoverable',
      name: 'accepted-endpoint-used-or-closed',
      statement:
        "Every endpoint the server accepts is eventually either served by the card's work (cdev->epd) or closed.",
      source:
        'sources/mic-cosm-scif.txt:63-67, 344-348 cosm_scif_server "cdev->newepd = newepd; schedule_work(&cdev->scif_work)"',
      goal: (state: S) => state.context.cards.every((d) => d.eps.every((e) => e.used)),
    },
    {
      kind: 'recoverable',
      name: 'card-can-return-to-ready',
      statement: 'From every reachable state every card can get back to READY.',
      source: 'cosm_main.c cosm_reset / cosm_stop; seed:98-124 "Card reset", "Card crash"',
      goal: (state: S) => state.context.cards.every((d) => d.state === 'READY'),
    },
  ];
}
