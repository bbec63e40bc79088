/**
 * What acts on the transport from outside its code paths: the SCMI platform device, time, and
 * the teardown (scmi_remove -> virtio_chan_free(), :276-288 with the v5.16 lines around it).
 */
import { canTick, elapse, elapseDue, timeAfter } from '../../src/model/time.ts';
import {
  IDX_CURRENT,
  IDX_MOVED,
  WQ_DRAINING,
  WQ_FREED,
  type Cpu,
  type ScmiContext,
} from './context.ts';
import { pollCheck } from './transport.ts';
import type { Flags } from './variants.ts';

/* ---------- the device ---------- */

/**
 * The device returns buffer `m` with a reply of `status`: on the used ring, every poll index
 * taken at the old used index now differs from it, and an interrupt is raised if callbacks are
 * enabled. Ghost: the transfer waiting for it was answered in time if its deadline has not
 * passed and the channel is still ready.
 */
export function deviceReply(c: ScmiContext, m: number, status: number): ScmiContext {
  const gid = c.msgs[m].gid;
  // One descriptor of it: a buffer added twice (after it was freed while the device held it)
  // is returned twice.
  const at = c.device.indexOf(m);
  const device = [...c.device.slice(0, at), ...c.device.slice(at + 1)];
  return {
    ...c,
    device,
    used: [...c.used, m],
    msgs: c.msgs.map((msg, i) => {
      const moved = msg.pollIdx === IDX_CURRENT ? { ...msg, pollIdx: IDX_MOVED } : msg;
      if (i !== m) return moved;
      return { ...moved, fresh: true, status, due: device.includes(m) ? moved.due : null };
    }),
    cpus: c.cpus.map((cpu) =>
      cpu.xfer === gid && cpu.deadline !== null && !timeAfter(cpu.deadline) && c.ready
        ? { ...cpu, ghostAnswered: true }
        : cpu,
    ),
    irqPending: c.irqPending || c.cbEnabled,
  };
}

/**
 * The device sends the delayed response it owes for transfer `gid` in RX buffer `r`: on the RX
 * used ring, with an interrupt if the RX callbacks are enabled. Ghost: it came while the
 * transfer was pending, and in time if the transfer already waits for it.
 */
export function deviceDresp(c: ScmiContext, gid: number, r: number, status: number): ScmiContext {
  const owedFor = c.dresps.find((d) => d.gid === gid)!;
  return {
    ...c,
    dresps: c.dresps.filter((d) => d !== owedFor),
    rxDevice: c.rxDevice.filter((x) => x !== r),
    rxUsed: [...c.rxUsed, r],
    rxMsgs: c.rxMsgs.map((msg, i) => (i === r ? { gid, token: owedFor.token, status } : msg)),
    rxIrqPending: c.rxIrqPending || c.rxCbEnabled,
    cpus: c.cpus.map((cpu) => {
      if (cpu.xfer !== gid || !c.ready) return cpu;
      const inTime = cpu.inDrespWait && !timeAfter(cpu.deadline);
      return { ...cpu, ghostDresp: true, ...(inTime ? { ghostAnswered: true } : {}) };
    }),
  };
}

/** The device loses buffer `m`: it keeps it and never returns it. */
export function deviceLose(c: ScmiContext, m: number): ScmiContext {
  return {
    ...c,
    msgs: c.msgs.map((msg, i) => (i === m ? { ...msg, due: null } : msg)),
    lostLeft: c.lostLeft - 1,
  };
}

/** Buffers the device still has to return (it holds them and has not lost them). */
export const owed = (c: ScmiContext) => c.device.filter((m) => c.msgs[m].due !== null);

/* ---------- time ---------- */

/**
 * A CPU only waits: it is idle, sleeps in wait_for_completion_timeout() with nothing completed,
 * or spins in the polling loop with nothing new to look at before its deadline. Anything else
 * it does takes less than a tick (a tick is on the scale of the 60 s timeout, :516).
 */
function waiting(c: ScmiContext, i: number, flags: Flags): boolean {
  const cpu: Cpu = c.cpus[i];
  if (cpu.xfer < 0) return true;
  if (!cpu.spinning || cpu.done) return false;
  if (cpu.inDrespWait) return !cpu.asyncDone;
  if (!cpu.polled) return true;
  return !timeAfter(cpu.deadline) && pollCheck(c, i, flags) === 'idle';
}

/**
 * A tick is a step when some clock moves, the device owes nothing at its last tick, and
 * nothing urgent runs: interrupts are taken and their handler runs, a queued work item runs,
 * and every CPU is waiting (maximal progress; docs/scmi-virtio.md, "Time").
 */
export function tickEnabled(c: ScmiContext, flags: Flags): boolean {
  return canTick({
    deadlines: c.cpus.map((cpu) => cpu.deadline),
    dues: [...c.msgs.map((msg) => msg.due), ...c.dresps.map((d) => d.due)],
    urgent:
      c.irqPending ||
      c.rxIrqPending ||
      c.rxRunning ||
      c.irqOn >= 0 ||
      c.workQueued ||
      c.workRunning ||
      c.cpus.some((_, i) => !waiting(c, i, flags)),
  });
}

/** One tick later: every deadline and every obligation of the device moves. */
export function tick(c: ScmiContext): ScmiContext {
  return {
    ...c,
    cpus: c.cpus.map((cpu) =>
      cpu.deadline === null ? cpu : { ...cpu, deadline: elapse(cpu.deadline) },
    ),
    msgs: c.msgs.map((msg) => (msg.due === null ? msg : { ...msg, due: elapseDue(msg.due) })),
    dresps: c.dresps.map((d) => (d.due === null ? d : { ...d, due: elapseDue(d.due) })),
  };
}

/* ---------- teardown: virtio_chan_free() on the TX channel ---------- */

/**
 * The steps of virtio_chan_free(), each one critical section or one call:
 * - READY: `vioch->ready = false` under ready_lock (v5.16);
 * - DRAIN: destroy_workqueue() starts draining: __WQ_DRAINING, queue_work() refused;
 * - DESTROY: ... returns once the work is neither queued nor running, and frees the workqueue;
 * - WQ_NULL: `vioch->deferred_tx_wq = NULL` (:282);
 * - GONE: scmi_free_channel() and `vioch->cinfo = NULL` under vioch->lock (v5.16).
 */
export type FreeStep = 'READY' | 'DRAIN' | 'DESTROY' | 'WQ_NULL' | 'GONE';

/** Their order: as written (:280-283), the fix (NULL first, under vioch->lock), or a variant. */
export function freeSteps(flags: Flags): FreeStep[] {
  if (flags.teardownAsWritten) return ['READY', 'DRAIN', 'DESTROY', 'WQ_NULL', 'GONE'];
  if (flags.destroyWqAfterFreeChannel) return ['READY', 'WQ_NULL', 'GONE', 'DRAIN', 'DESTROY'];
  return ['READY', 'WQ_NULL', 'DRAIN', 'DESTROY', 'GONE'];
}

/** Whether a step can run now: READY takes ready_lock, DESTROY waits for the work to finish. */
export function freeStepEnabled(c: ScmiContext, step: FreeStep): boolean {
  if (step === 'READY') return c.readyLock === 0;
  if (step === 'DESTROY') return !c.workQueued && !c.workRunning;
  return true;
}

export function freeStep(c: ScmiContext, step: FreeStep): ScmiContext {
  switch (step) {
    case 'READY':
      return { ...c, ready: false };
    case 'DRAIN':
      return { ...c, wq: WQ_DRAINING };
    case 'DESTROY':
      return { ...c, wq: WQ_FREED };
    case 'WQ_NULL':
      return { ...c, wqPointer: false };
    case 'GONE':
      return { ...c, cinfo: false };
  }
}
