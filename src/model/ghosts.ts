/**
 * Ghost accounting: each request the driver sends gets a ghost record that only properties
 * read, with its two sides kept apart: what the device still owes (a reply it holds, has sent,
 * or has lost) and what the caller was told (still waiting, or completed). A raw counter
 * (credits, free slots) says how many; the ledger says which request each one stands for, so
 * that a property can say "every credit stands for an abandoned request whose reply can still
 * arrive" or "no reply is taken by a request it does not answer".
 *
 * The ledger is plain JSON, never mutated, and bounded: ids are the lowest free number below
 * the capacity, and a record is dropped as soon as nothing can refer to it any more: the
 * device has answered or lost it, none of its replies is still on its way, and the caller has
 * been completed. So the ledger adds no states beyond what the requests in flight already are,
 * and an id is never reused while a stale reply carrying it can still arrive.
 *
 * Two kinds of misuse are told apart. What a buggy driver does (complete a request twice, or
 * one that is no longer in flight) is recorded in `fault`, the first one only, for the
 * `ledgerFaultFree` invariant to report with a trace. What only a wrong model can do (a device
 * that answers a request twice without a duplicate, a reply taken that was never sent, more
 * requests than the capacity) throws a LedgerError.
 */
import type { Invariant, ModelState } from './model.ts';

/** What the device owes for a request. */
export type DeviceSide = 'holds' | 'answered' | 'lost';
/** What the driver has told the request's caller. */
export type CallerSide = 'waiting' | 'completed';

export interface Ghost {
  id: number;
  device: DeviceSide;
  /** Replies the device has sent for this request that the driver has not yet taken or dropped. */
  replies: number;
  caller: CallerSide;
}

export interface Ledger {
  /** Records sorted by id (a canonical order: the same requests are the same ledger). */
  readonly requests: readonly Ghost[];
  /** The first thing the driver did that no correct driver does, or null. */
  readonly fault: string | null;
}

export const EMPTY_LEDGER: Ledger = { requests: [], fault: null };

/** A mistake of the model itself (not of the driver it describes). */
export class LedgerError extends Error {}

/**
 * A new request: the lowest id not in use. Throws when `capacity` ids are in use. `reserved`
 * are ids the model still names outside the ledger (a ghost "whose reply filled this slot" kept
 * after the ledger dropped the record): they are not reused either, so a property never reads
 * an old request's id as a new one's.
 */
export function issue(
  ledger: Ledger,
  capacity: number,
  reserved: ReadonlySet<number> = new Set(),
): { ledger: Ledger; id: number } {
  let id = 0;
  while (reserved.has(id) || ledger.requests.some((g) => g.id === id)) id += 1;
  if (id >= capacity) throw new LedgerError(`ghost ledger full (${capacity} requests in flight)`);
  const requests: Ghost[] = [
    ...ledger.requests,
    { id, device: 'holds', replies: 0, caller: 'waiting' },
  ];
  requests.sort((a, b) => a.id - b.id);
  return { ledger: { ...ledger, requests }, id };
}

/** Whether anything can still refer to this request. */
function live(g: Ghost): boolean {
  return g.device === 'holds' || g.replies > 0 || g.caller === 'waiting';
}

function update(ledger: Ledger, id: number, change: (g: Ghost) => Ghost): Ledger {
  return {
    ...ledger,
    requests: ledger.requests.map((g) => (g.id === id ? change(g) : g)).filter(live),
  };
}

function required(ledger: Ledger, id: number, what: string): Ghost {
  const found = find(ledger, id);
  if (!found) throw new LedgerError(`${what}: no request ${id} in flight`);
  return found;
}

/** The device sends its reply for `id`: it is on its way to the driver. */
export function answer(ledger: Ledger, id: number): Ledger {
  const g = required(ledger, id, 'answer');
  if (g.device !== 'holds') throw new LedgerError(`answer: request ${id} was already ${g.device}`);
  return update(ledger, id, (r) => ({ ...r, device: 'answered', replies: r.replies + 1 }));
}

/** The device sends another copy of a reply it already sent for `id`. */
export function duplicate(ledger: Ledger, id: number): Ledger {
  const g = required(ledger, id, 'duplicate');
  if (g.device !== 'answered') throw new LedgerError(`duplicate: request ${id} is ${g.device}`);
  return update(ledger, id, (r) => ({ ...r, replies: r.replies + 1 }));
}

/** The driver takes (or drops) one reply for `id` that was on its way. */
export function deliver(ledger: Ledger, id: number): Ledger {
  const g = required(ledger, id, 'deliver');
  if (g.replies === 0) throw new LedgerError(`deliver: no reply for request ${id} on its way`);
  return update(ledger, id, (r) => ({ ...r, replies: r.replies - 1 }));
}

/** The device will never answer `id` (lost, or reset with it). */
export function lose(ledger: Ledger, id: number): Ledger {
  required(ledger, id, 'lose');
  return update(ledger, id, (r) => ({ ...r, device: 'lost' }));
}

/** The driver has completed `id` to its caller (success, error or timeout). */
export function complete(ledger: Ledger, id: number): Ledger {
  const g = find(ledger, id);
  const fault =
    g === undefined
      ? `request ${id} completed although it is not in flight`
      : g.caller === 'completed'
        ? `request ${id} completed twice`
        : null;
  if (fault) return ledger.fault ? ledger : { ...ledger, fault };
  return update(ledger, id, (r) => ({ ...r, caller: 'completed' }));
}

export function find(ledger: Ledger, id: number): Ghost | undefined {
  return ledger.requests.find((g) => g.id === id);
}

/** Requests whose caller is still waiting. */
export function waiting(ledger: Ledger): Ghost[] {
  return ledger.requests.filter((g) => g.caller === 'waiting');
}

/**
 * Requests the driver has completed while a reply can still arrive for them: the device still
 * holds them, or a reply is on its way. What a credit, a stale-reply filter or a quarantined
 * slot must account for.
 */
export function abandoned(ledger: Ledger): Ghost[] {
  return ledger.requests.filter(
    (g) => g.caller === 'completed' && (g.device === 'holds' || g.replies > 0),
  );
}

/** Requests the device still holds, whatever the caller was told. */
export function owed(ledger: Ledger): Ghost[] {
  return ledger.requests.filter((g) => g.device === 'holds');
}

/** "Every request is completed to its caller at most once, and only while in flight." */
export function ledgerFaultFree<TContext>(spec: {
  name?: string;
  source: string;
  ledger(state: ModelState<TContext>): Ledger;
}): Invariant<TContext> {
  return {
    kind: 'invariant',
    name: spec.name ?? 'completed-at-most-once',
    statement:
      "Every request is completed to its caller at most once, and only while it is in flight (the ghost ledger's account).",
    source: spec.source,
    // The fault is set only by a driver bug, so a correct model never changes it: the
    // property holding, not a test never made. Its variants (each model's) show it failing.
    lint: {
      vacuous:
        "it reads only the ledger's fault, which a correct model never sets: the fault records a driver completing a request twice or out of flight",
    },
    check: (state) => spec.ledger(state).fault ?? true,
  };
}
