/**
 * The state the MCDI model carries (machines/mcdi.ts): the driver's fields under the seed's
 * names, the MC and the event queue (the environment), the clocks, and the ghosts only
 * properties read. Also the pure functions both the machine and the properties need: how the
 * MC answers, how the driver reads a response header, how an MC error code becomes a Linux one.
 * Seed lines are sources/sfc-mcdi-async.txt; code outside the diff is mcdi.c of Linux 3.12-3.14
 * (docs/mcdi.md, "What is modelled").
 */
import type { Deadline, Due } from '../src/model/time.ts';
import type { Ledger } from '../src/model/ghosts.ts';

export const EIO = -5;
export const ENOMEM = -12;
export const EINVAL = -22;
export const ENETDOWN = -100;
export const ETIMEDOUT = -110;

/** MC_CMD_ERR_EINVAL: the MC's own error number in a response (mcdi_pcol.h). */
export const MC_CMD_ERR_EINVAL = 22;

/**
 * Lengths are in dwords. Every caller asks for OUTLEN dwords of response (efx_mcdi_rpc's
 * `outlen`, efx_mcdi_rpc_async's `outlen`); an async request's parameters are INLEN_FITS or
 * INLEN_OVER dwords (`inlen` <= or > `outlen`, which decides the async buffer's size).
 */
export const OUTLEN = 2;
export const INLEN_FITS = 1;
export const INLEN_OVER = 3;
/** MCDI_CTL_SDU_LEN_MAX_V1 in dwords: the largest length a v1 header can say (252 bytes). */
export const SDU_LEN_MAX = 63;

export type IfaceState = 'QUIESCENT' | 'RUNNING_SYNC' | 'RUNNING_ASYNC' | 'COMPLETED';
/**
 * MCDI_MODE_FAIL is the fix for finding 8 (docs/mcdi.md), as in later kernels: after a timeout
 * every MCDI call fails with -ENETDOWN until the reset (an FLR) that efx_mcdi_abandon schedules.
 */
export type Mode = 'POLL' | 'EVENTS' | 'FAIL';

/**
 * What the MC wrote for one request: its header's SEQ, its error code (MC numbering, 0: none)
 * and DATALEN, plus the ghost id of the request it answers (the payload, which the driver
 * copies to its caller without looking at it).
 */
export interface Answer {
  seq: number;
  id: number;
  rc: number;
  len: number;
}

/** A request the MC holds and has not answered (FIFO: it works on the oldest). */
export interface McRequest {
  seq: number;
  /** Ghost: the request's id in the ledger. */
  id: number;
  /** MCDI_HEADER_XFLAGS_EVREQ: the MC posts a CMDDONE event when it answers. */
  evreq: boolean;
  /** Ghost: the driver gave up on this answer (a timeout, or an MC failure reported as -EIO). */
  abandoned: boolean;
  /**
   * Ghost: written while the MC still held an older request, so its answer waits for that
   * one's, which may be late: the MC's latency is not owed from this request's send.
   */
  behind: boolean;
}

/** An MCDI event on the event queue: a CMDDONE (with the v1 fields SEQ, ERRNO, DATALEN), or REBOOT. */
export type McdiEvent = ({ code: 'CMDDONE' } & Answer) | { code: 'REBOOT' };

/** The response buffer the driver polls: an answer, the header an MC reboot leaves, or none yet. */
export type SharedMemory = Answer | 'REBOOT' | null;

/** One credit: the request it stands for (ghost) and that request's seqno. */
export interface Credit {
  id: number;
  seq: number;
}

/** An entry of mcdi->async_list: the request's ghost id, its inlen and the buffer it was given. */
export interface AsyncParam {
  id: number;
  inlen: number;
  /** ALIGN(max(inlen, outlen), 4) in dwords: what kmalloc gave for the request and response. */
  buf: number;
}

export interface McdiContext {
  /* ---- struct efx_mcdi_iface ---- */
  state: IfaceState;
  mode: Mode;
  /** mcdi->seqno & SEQ_MASK: the width is the seqBits bound. */
  seqno: number;
  /**
   * mcdi->credits, one entry per credit: the ghost id of the request it was taken for (which
   * abandoned request it stands for) and the seqno that request was sent with. As written the
   * driver reads only the count; the fix (docs/mcdi.md, finding 6) matches the seqno.
   */
  credits: Credit[];
  /** mcdi->resprc and mcdi->resp_data_len: the last response read (hdr_len is 0 iff len is). */
  resprc: number;
  respLen: number;
  /** Ghost: the answer resprc and respLen were read from (null: none, e.g. a reboot). */
  ghostResp: Answer | null;
  /** Fix (docs/mcdi.md, finding 3): a response is still awaited for mcdi->seqno. */
  awaiting: boolean;
  asyncList: AsyncParam[];
  /** mcdi->async_lock is held across steps (by the data-path caller or a release). */
  asyncLocked: boolean;
  /**
   * efx_mcdi_release's local `async`: the ghost id of the head it is starting, from
   * list_first_entry_or_null until its send (null: no release is starting one).
   */
  releasing: number | null;
  /** mcdi->async_timer: ticks to its expiry, null when not pending. */
  asyncTimer: Deadline;
  /** Derived from the configuration: the timer handler is running (del_timer_sync waits). */
  timerRunning: boolean;
  /** Derived: NAPI is inside an MCDI event handler. */
  napiBusy: boolean;
  /** Derived: efx_mcdi_rpc_async is inside its async_lock section. */
  callerBusy: boolean;
  /** The MC's status word says it rebooted (efx_mcdi_poll_reboot reads and clears it). */
  statusWord: boolean;
  /** Ghost: efx_mcdi_ev_death handled the last reboot with no request waiting. */
  ghostRebootHandled: boolean;
  /** efx_schedule_reset was called and the reset work has not started yet. */
  resetPending: boolean;
  /**
   * The fix for finding 8: efx_schedule_reset(RESET_TYPE_MCDI_TIMEOUT) from efx_mcdi_abandon is
   * pending (efx->reset_pending's bit for it): the reset work will do an FLR, which ends
   * MCDI_MODE_FAIL. Kept until the FLR, as efx_reset clears its bit only after the reset.
   */
  flrPending: boolean;

  /* ---- the sleeping process (efx_mcdi_rpc) and the reset work ---- */
  /** The sync request's ghost id (its stack frame). */
  syncId: number | null;
  /** Its clock: wait_event_timeout's timeout, efx_mcdi_poll's `finish`, or its msleep. */
  procDeadline: Deadline;
  /** Asleep on mcdi->wq; wake_up(&mcdi->wq) makes it runnable, and it re-checks. */
  procAsleep: boolean;
  /** Derived: what the process is waiting for in its current step (see `runnable`). */
  procWaits: Wait;
  /** The reset work's efx_mcdi_poll `finish` (efx_mcdi_flush_async). */
  resetDeadline: Deadline;
  resetAsleep: boolean;
  resetWaits: Wait;
  /** The reset work must start within the resetLatency bound of efx_schedule_reset. */
  resetDue: Due;
  /** Event queues are stopped (from the reset's stop until its restart). */
  eventsStopped: boolean;
  /** NAPI's locals in efx_mcdi_complete_async: rc, data_len and the answer's ghost. */
  napiRc: number;
  napiLen: number;
  napiResp: Answer | null;

  /* ---- the environment ---- */
  /** Calls made so far (the budgets that keep the space finite). */
  issued: number;
  asyncIssued: number;
  /** MC reboots still allowed (the `reset` bound). */
  rebootsLeft: number;
  /** Times a user may still bring the interface down (the `ifdowns` bound). */
  ifdownsLeft: number;
  mc: McRequest[];
  /** The MC's obligation to answer its oldest request (null: none, or it is late). */
  mcDue: Due;
  shmem: SharedMemory;
  evq: McdiEvent[];
  /** Ghost: each request's device and caller sides (src/model/ghosts.ts). */
  ghosts: Ledger;
}

/**
 * What a context waits for in its current step: nothing ('run': it is runnable), mcdi->wq
 * ('wq': runnable once woken), a response in shared memory or its poll deadline ('poll'), the
 * end of a sleep ('sleep'), or it is idle.
 */
export type Wait = 'idle' | 'run' | 'wq' | 'poll' | 'sleep';

/** efx_mcdi_errno for the error codes the modelled MC sends. */
export function efxMcdiErrno(mcErr: number): number {
  if (mcErr === 0) return 0;
  if (mcErr === MC_CMD_ERR_EINVAL) return EINVAL;
  return -71; // -EPROTO: "the fallback error number for unknown MCDI error codes"
}

/**
 * efx_mcdi_read_response_header under iface_lock: DATALEN from the header; "MC rebooted"
 * (ERROR with no data) and "MC response mismatch" (SEQ is not mcdi->seqno) are -EIO; an error
 * is translated from the first payload dword; else 0. A header the MC has not written yet
 * still holds the driver's request (RESPONSE clear, no error, our seq): it reads as success
 * with no data, and with no answer behind it.
 */
export function readResponseHeader(
  shmem: SharedMemory,
  seqno: number,
): Pick<McdiContext, 'resprc' | 'respLen' | 'ghostResp'> {
  if (shmem === null) return { resprc: 0, respLen: 0, ghostResp: null };
  if (shmem === 'REBOOT') return { resprc: EIO, respLen: 0, ghostResp: null };
  if (shmem.seq !== seqno) return { resprc: EIO, respLen: shmem.len, ghostResp: null };
  return { resprc: efxMcdiErrno(shmem.rc), respLen: shmem.len, ghostResp: shmem };
}

/** ALIGN(max(inlen, outlen), 4), in dwords. */
export function asyncBufferSize(inlen: number, outlen: number): number {
  return Math.max(inlen, outlen);
}
