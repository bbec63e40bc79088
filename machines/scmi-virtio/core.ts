/**
 * The SCMI core (drivers/firmware/arm_scmi/driver.c of v5.17, the atomic series this patch
 * belongs to), reduced to what the transport sees: token allocation, the receive path's lookup
 * of a reply by its token, fetch_response into a transfer, and do_xfer()'s return code.
 */
import { timeAfter } from '../../src/model/time.ts';
import type { ScmiOutput } from './alphabet.ts';
import {
  DRESP_OK,
  IDLE_CPU,
  EOPNOTSUPP,
  ETIMEDOUT,
  RESP_OK,
  SCMI_SUCCESS,
  SENT_OK,
  withCpu,
  type ScmiContext,
} from './context.ts';
import type { Flags } from './variants.ts';

/** `scmi_to_linux_errno()` of the status do_xfer() found (`if (!ret && xfer->hdr.status)`). */
export const retOf = (status: number) => (status === SCMI_SUCCESS ? 0 : EOPNOTSUPP);

/**
 * Transfers taken from the core's pool (max_msg of them): from xfer_get() to the last
 * xfer_put(), which is the RX path's release when it still holds a transfer its caller put.
 */
export const pendingTransfers = (c: ScmiContext) =>
  c.cpus.filter((cpu) => cpu.xfer >= 0).length +
  (c.rxHeld && !c.cpus.some((cpu) => cpu.xfer === c.rxHeld!.xfer) ? 1 : 0);

/**
 * `scmi_xfer_token_set()`: the next token after the last one (the monotonic transfer id modulo
 * the token space), or the first free one after it, wrapping; null when every token is in use.
 */
export function allocToken(c: ScmiContext, tokens: number): number | null {
  const busy = new Set(c.cpus.filter((cpu) => cpu.xfer >= 0).map((cpu) => cpu.token));
  if (c.rxHeld) busy.add(c.rxHeld.token);
  for (let i = 1; i <= tokens; i++) {
    const token = (c.lastToken + i) % tokens;
    if (!busy.has(token)) return token;
  }
  return null;
}

/** The CPU whose pending transfer `scmi_rx_callback()` finds for a reply with `token`, or -1. */
function lookup(c: ScmiContext, token: number, flags: Flags): number {
  if (flags.rxLookupOldestPending) {
    // Variant: the reply goes to the oldest transfer still waiting, whatever its token.
    let oldest = -1;
    c.cpus.forEach((cpu, i) => {
      if (cpu.xfer >= 0 && cpu.state === SENT_OK && (oldest < 0 || cpu.xfer < c.cpus[oldest].xfer))
        oldest = i;
    });
    return oldest;
  }
  // scmi_xfer_lookup_unlocked(): the pending transfer holding the reply header's token.
  return c.cpus.findIndex((cpu) => cpu.xfer >= 0 && cpu.token === token);
}

/**
 * `scmi_rx_callback()` -> `scmi_handle_response()` for a reply in TX buffer `m`: look the
 * transfer up by the header's token; if it is pending and still SENT_OK
 * (`scmi_msg_response_validate`), bind the message (`xfer->priv`), fetch, mark RESP_OK and
 * complete `xfer->done`; otherwise the core logs and drops the reply.
 */
export function rxCallback(
  c: ScmiContext,
  m: number,
  flags: Flags,
): { next: ScmiContext; output: ScmiOutput } {
  const msg = c.msgs[m];
  const reply = msg.fresh ? msg.gid : -1;
  const i = lookup(c, msg.token, flags);
  if (i < 0 || c.cpus[i].state !== SENT_OK) {
    return { next: c, output: { type: 'discarded', reply } };
  }
  return {
    next: withCpu(c, i, { priv: m, state: RESP_OK, status: msg.status, done: true }),
    output: { type: 'fetched', xfer: c.cpus[i].xfer, reply, via: 'rx_callback' },
  };
}

/**
 * After the polling loop: `if (ktime_after(ktime_get(), stop)) ret = -ETIMEDOUT;` else, under
 * xfer->lock, fetch_response from `xfer->priv` unless a response was already fetched; then
 * do_xfer()'s `ret = scmi_to_linux_errno(xfer->hdr.status)`.
 */
export function pollExit(
  c: ScmiContext,
  i: number,
): { next: ScmiContext; output: ScmiOutput | null } {
  const cpu = c.cpus[i];
  if (timeAfter(cpu.deadline)) return { next: withCpu(c, i, { ret: ETIMEDOUT }), output: null };
  if (cpu.state !== SENT_OK) {
    return { next: withCpu(c, i, { ret: retOf(cpu.status) }), output: null };
  }
  const msg = c.msgs[cpu.priv];
  return {
    next: withCpu(c, i, { state: RESP_OK, status: msg.status, ret: retOf(msg.status) }),
    output: { type: 'fetched', xfer: cpu.xfer, reply: msg.fresh ? msg.gid : -1, via: 'poll' },
  };
}

/* ---------- delayed responses: scmi_handle_response() for MSG_TYPE_DELAYED_RESP ---------- */

/**
 * `scmi_xfer_command_acquire()` for the delayed response in RX buffer `r`, one xfer->lock
 * section: the transfer its token names; `scmi_msg_response_validate()` refuses it when no
 * async completion is set or a delayed response was already taken; one that comes before the
 * response is taken as the response too (SENT_OK -> RESP_OK, `complete(&xfer->done)`); then
 * the busy flag and DRESP_OK. `held`: the RX path now holds the transfer until its release.
 */
export function rxAcquire(
  c: ScmiContext,
  r: number,
  flags: Flags,
): { next: ScmiContext; output: ScmiOutput | null } {
  const dresp = c.rxMsgs[r];
  const i = lookup(c, dresp.token, flags);
  const cpu = c.cpus[i];
  if (i < 0 || !cpu.asyncLive || cpu.state === DRESP_OK) {
    return { next: c, output: { type: 'dresp_discarded', reply: dresp.gid } };
  }
  const early = cpu.state === SENT_OK ? { status: SCMI_SUCCESS, done: true } : {};
  return {
    next: {
      ...withCpu(c, i, { ...early, state: DRESP_OK }),
      rxHeld: { xfer: cpu.xfer, token: cpu.token },
    },
    output: null,
  };
}

/**
 * After the acquire: fetch_response from the RX buffer into the transfer, then
 * `complete(xfer->async_done)` and the release. The v5.17 core reads `async_done` here without
 * xfer->lock, so a caller that timed out meanwhile and cleared it makes this complete(NULL)
 * (`live: false`); the fix (posted in 2024) completes it under xfer->lock only if still set.
 */
export function rxComplete(
  c: ScmiContext,
  r: number,
  flags: Flags,
): { next: ScmiContext; outputs: ScmiOutput[] } {
  const held = c.rxHeld!;
  const dresp = c.rxMsgs[r];
  const i = c.cpus.findIndex((cpu) => cpu.xfer === held.xfer);
  const live = i >= 0 && c.cpus[i].asyncLive;
  const outputs: ScmiOutput[] = [
    { type: 'fetched', xfer: held.xfer, reply: dresp.gid, via: 'dresp' },
  ];
  if (live || flags.coreAsyncDoneUnlocked) {
    outputs.push({ type: 'async_complete', xfer: held.xfer, live });
  }
  let next: ScmiContext = { ...c, rxHeld: null };
  if (i >= 0)
    next = withCpu(next, i, { status: dresp.status, ...(live ? { asyncDone: true } : {}) });
  return { next, outputs };
}

/** xfer_put(): the transfer leaves the core (its token is free again). */
export function xferPut(c: ScmiContext, i: number): ScmiContext {
  return withCpu(c, i, IDLE_CPU);
}
