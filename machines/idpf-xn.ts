/**
 * Intel idpf virtchnl transaction manager (drivers/net/ethernet/intel/idpf/idpf_virtchnl.c,
 * Linux 6.9: idpf_vc_xn_pop_free, idpf_vc_xn_exec, idpf_vc_xn_forward_reply,
 * idpf_vc_xn_forward_async, idpf_vc_xn_shutdown, idpf_vc_xn_init).
 *
 * Regions: one per concurrent caller of idpf_vc_xn_exec, the mailbox receive task
 * (idpf_recv_mb_msg -> idpf_vc_xn_forward_reply) and the reset path (shutdown, re-init). The
 * control plane is the environment: it answers any request it was sent, in any order, with a
 * good reply, an error retval or a wrong opcode, possibly twice. Each step is one critical
 * section of the code; see docs/idpf-xn.md for how the code maps onto the steps.
 */
import { assign, emit, setup, type AnyStateMachine } from 'xstate';
import { defineMachine, type Bounds, type ModelState } from '../src/model/model.ts';

export type XnState =
  'IDLE' | 'WAITING' | 'ASYNC' | 'COMPLETED_SUCCESS' | 'COMPLETED_FAILED' | 'SHUTDOWN';

/** One struct idpf_vc_xn, its bit in free_xn_bm, its completion, and ghost bookkeeping. */
export interface Xn {
  state: XnState;
  salt: number;
  /** This transaction's bit in vcxn_mngr->free_xn_bm. */
  free: boolean;
  /** xn->completed.done: 0, 1 (complete) or 'all' (complete_all, never consumed). */
  done: 0 | 1 | 'all';
  /** Ghost: the request that popped this transaction and has not freed it, or -1. */
  holder: number;
  /** Ghost: the request whose reply set COMPLETED_SUCCESS/FAILED here, or -1. */
  answer: number;
}

/** The reply kinds the control plane can send for a cookie. */
export type ReplyKind = 'ok' | 'error' | 'wrongop';

/** A request on the mailbox: the cookie it carries and, as ghost fields, who sent it. */
export interface Message {
  idx: number;
  salt: number;
  /** Ghost: the request id. */
  req: number;
  /** Ghost: whether it was sent by an async exec. */
  async: boolean;
  /** Allocations (pops) since its request popped its transaction; see the replyDelay bound. */
  age: number;
  /** null until the control plane answers; a duplicate left behind repeats the same reply. */
  kind: ReplyKind | null;
}

/** A reply the receive task is working on. */
export interface InHand extends Message {
  kind: ReplyKind;
  /** The transaction it was routed to (the cookie's index, or by opcode in that variant). */
  target: number;
}

/** The locals of one idpf_vc_xn_exec call. */
export interface Caller {
  /** Ghost: the id of the request this call is making, or -1 when not in exec. */
  req: number;
  /** The popped transaction's index, or -1. */
  idx: number;
  async: boolean;
  /** What ended wait_for_completion_timeout: its return value was 0. */
  timedOut: boolean;
  /** Allocations since this call popped, until it sends; -1 once sent or when idle. */
  age: number;
  /** pop-free-unlocked variant: the index find_first_bit returned, not yet claimed. */
  found: number;
}

export interface IdpfXnContext {
  xn: Xn[];
  /** vcxn_mngr->salt, already reduced to the salt width. */
  salt: number;
  callers: Caller[];
  /** Requests the control plane has and has not answered yet (a multiset, kept sorted). */
  mailbox: Message[];
  /** The reply idpf_recv_mb_msg is processing, or null. */
  rx: InHand | null;
  /** Duplicate replies the control plane may still send. */
  duplicates: number;
  /** Shutdowns (idpf_vc_xn_shutdown, then re-init) still allowed. */
  shutdowns: number;
  /** Next ring index idpf_vc_xn_shutdown's loop marks SHUTDOWN. */
  shutdownNext: number;
}

export type IdpfXnEvent =
  | { type: 'EXEC'; caller: number; async: boolean }
  | { type: 'CLAIM'; caller: number }
  | { type: 'SEND'; caller: number }
  | { type: 'WAKE'; caller: number }
  | { type: 'TIMEOUT'; caller: number }
  | { type: 'CHECK'; caller: number }
  | { type: 'REPLY'; msg: number; kind: ReplyKind; duplicate: boolean }
  | { type: 'FORWARD' }
  | { type: 'COMPLETE' }
  | { type: 'SHUTDOWN' }
  | { type: 'SHUTDOWN_XN' }
  | { type: 'REINIT' };

/** Return codes of idpf_vc_xn_exec, by name; SIZE is the reply size (>= 0). */
export type ExecRc = 'OK' | 'SIZE' | 'ETIME' | 'EIO' | 'ENXIO' | 'ENOSPC' | 'ESEND';

export type IdpfXnOutput =
  | {
      type: 'exec_return';
      caller: number;
      req: number;
      async: boolean;
      rc: ExecRc;
      timedOut: boolean;
      /** Ghost: the request whose reply completed the transaction (-1: none). */
      answer: number;
      xnState: XnState;
    }
  | {
      /** One reply processed by idpf_vc_xn_forward_reply, and what it did. */
      type: 'reply';
      idx: number;
      /** Ghost: the request the reply answers. */
      answers: number;
      /** Ghost: the request holding the transaction it was routed to (-1: none). */
      holder: number;
      async: boolean;
      kind: ReplyKind;
      /** What the reply path saw: a drop reason or the transaction's state under the lock. */
      verdict: 'salt_mismatch' | 'no_waiter' | XnState;
      /** What it changed: a completion, the async handler (and free), a free without handler. */
      effect: 'COMPLETED_SUCCESS' | 'COMPLETED_FAILED' | 'CALLBACK' | 'FREED' | 'NONE';
    }
  | { type: 'wake'; caller: number; req: number; idx: number };

export const VARIANTS = {
  saltCheckUnlocked: 'salt-check-unlocked',
  completeAfterUnlock: 'complete-after-unlock',
  cookieIndexOnly: 'cookie-index-only',
  opcodeOnlyMatching: 'opcode-only-matching',
  asyncNotFreed: 'async-not-freed',
  popFreeUnlocked: 'pop-free-unlocked',
} as const;

/* ---------- pure helpers on the context (the code's operations) ---------- */

/**
 * One-entry memo on the identity of both arguments: a transition's guard, emit and assign
 * each ask for the same (context, event) result, and contexts are immutable.
 */
function memo2<A extends object, B extends object, R>(fn: (a: A, b: B) => R): (a: A, b: B) => R {
  let lastA: A | undefined;
  let lastB: B | undefined;
  let last: R;
  return (a, b) => {
    if (a !== lastA || b !== lastB) {
      last = fn(a, b);
      lastA = a;
      lastB = b;
    }
    return last;
  };
}

const replace = <T>(list: readonly T[], index: number, value: T): T[] =>
  list.map((item, i) => (i === index ? value : item));

/** The mailbox is a multiset (the control plane answers in any order): keep it sorted. */
const compareMessages = (a: Message, b: Message): number =>
  a.idx - b.idx ||
  a.salt - b.salt ||
  a.req - b.req ||
  Number(a.async) - Number(b.async) ||
  a.age - b.age ||
  (a.kind ?? '').localeCompare(b.kind ?? '');
const sortMessages = (messages: Message[]): Message[] => [...messages].sort(compareMessages);

/** idpf_vc_xn_exec returning before any wait (shut down, async sent, send error). */
function returnBeforeWait(
  context: IdpfXnContext,
  c: number,
  rc: ExecRc,
  xnState: XnState,
): IdpfXnOutput {
  const caller = context.callers[c];
  return {
    type: 'exec_return',
    caller: c,
    req: caller.req,
    async: caller.async,
    rc,
    timedOut: false,
    answer: -1,
    xnState,
  };
}

const IDLE_CALLER: Caller = { req: -1, idx: -1, async: false, timedOut: false, age: -1, found: -1 };

/** Request ids still referenced anywhere; a new request takes the lowest id not in this set. */
export function referencedIds(context: IdpfXnContext): Set<number> {
  const ids = new Set<number>();
  for (const caller of context.callers) if (caller.req >= 0) ids.add(caller.req);
  for (const xn of context.xn) {
    if (xn.holder >= 0) ids.add(xn.holder);
    if (xn.answer >= 0) ids.add(xn.answer);
  }
  for (const message of context.mailbox) ids.add(message.req);
  if (context.rx) ids.add(context.rx.req);
  return ids;
}

function freshId(context: IdpfXnContext): number {
  const used = referencedIds(context);
  let id = 0;
  while (used.has(id)) id++;
  return id;
}

/** idpf_vc_xn_push_free: release_bufs (IDLE unless SHUTDOWN) and set the free bit. */
function pushFree(xn: Xn): Xn {
  return {
    ...xn,
    state: xn.state === 'SHUTDOWN' ? 'SHUTDOWN' : 'IDLE',
    free: true,
    holder: -1,
    answer: -1,
  };
}

function lowestFree(context: IdpfXnContext): number {
  return context.xn.findIndex((xn) => xn.free);
}

/** Whether another allocation keeps every reply within the assumed delay (see replyDelay). */
function canAllocate(context: IdpfXnContext, replyDelay: number): boolean {
  if (replyDelay === 0) return true;
  const ages = [
    ...context.mailbox.map((m) => m.age),
    ...(context.rx ? [context.rx.age] : []),
    ...context.callers.map((c) => c.age),
  ];
  return ages.every((age) => age < replyDelay);
}

/** Every allocation ages the requests already allocated (only tracked under a delay bound). */
function ageAll(context: IdpfXnContext, replyDelay: number): Partial<IdpfXnContext> {
  if (replyDelay === 0) return {};
  return {
    mailbox: context.mailbox.map((m) => ({ ...m, age: m.age + 1 })),
    rx: context.rx ? { ...context.rx, age: context.rx.age + 1 } : null,
    callers: context.callers.map((c) => (c.age >= 0 ? { ...c, age: c.age + 1 } : c)),
  };
}

/**
 * The second half of idpf_vc_xn_pop_free under xn_bm_lock: clear the bit, give the
 * transaction the manager's salt, increment the salt.
 */
function claim(
  context: IdpfXnContext,
  caller: number,
  index: number,
  async: boolean,
  bounds: Bounds,
): Partial<IdpfXnContext> {
  const req = freshId(context);
  const aged = { ...context, ...ageAll(context, bounds.replyDelay) };
  const xn = replace(aged.xn, index, {
    ...aged.xn[index],
    free: false,
    salt: context.salt,
    holder: req,
    answer: -1,
  });
  const callers = replace(aged.callers, caller, {
    ...IDLE_CALLER,
    req,
    idx: index,
    async,
    age: bounds.replyDelay === 0 ? -1 : 0,
  });
  return {
    xn,
    callers,
    mailbox: aged.mailbox,
    rx: aged.rx,
    salt: (context.salt + 1) % 2 ** bounds.saltBits,
  };
}

/** The switch of idpf_vc_xn_forward_reply on xn->state, under the transaction's lock. */
function forwardLocked(
  context: IdpfXnContext,
  message: InHand,
  asyncNotFreed: boolean,
): { xn: Xn; output: IdpfXnOutput; signal: boolean } {
  const xn = context.xn[message.target];
  const output = (effect: Extract<IdpfXnOutput, { type: 'reply' }>['effect']): IdpfXnOutput => ({
    type: 'reply',
    idx: message.target,
    answers: message.req,
    holder: xn.holder,
    async: message.async,
    kind: message.kind,
    verdict: xn.state,
    effect,
  });
  switch (xn.state) {
    case 'WAITING': {
      // Opcode, then retval; either failing gives COMPLETED_FAILED.
      const result = message.kind === 'ok' ? 'COMPLETED_SUCCESS' : 'COMPLETED_FAILED';
      return {
        xn: { ...xn, state: result, answer: message.req },
        output: output(result),
        signal: true,
      };
    }
    case 'ASYNC':
      // idpf_vc_xn_forward_async: an opcode mismatch skips the handler; both paths free.
      return {
        xn: asyncNotFreed ? xn : pushFree(xn),
        output: output(message.kind === 'wrongop' ? 'FREED' : 'CALLBACK'),
        signal: false,
      };
    default:
      // IDLE ("Unexpected or belated"), COMPLETED_* ("Overwriting"), SHUTDOWN (-ENXIO):
      // nothing changes, but the code still goes to out_unlock and signals the completion.
      return { xn, output: output('NONE'), signal: true };
  }
}

/** complete(&xn->completed). */
function signal(xn: Xn): Xn {
  return xn.done === 'all' ? xn : { ...xn, done: 1 };
}

/* ---------- the model ---------- */

export const idpfXnMachine = defineMachine<IdpfXnContext, IdpfXnEvent>({
  name: 'idpf-xn',
  title: 'Intel idpf virtchnl transaction manager (index + salt cookies)',
  seed: 'sources/idpf-virtchnl-xn.txt',
  bounds: [
    {
      name: 'ringSize',
      default: 1,
      min: 1,
      max: 4,
      description: 'transactions in the ring (IDPF_VC_XN_RING_LEN, 255 upstream)',
    },
    {
      name: 'saltBits',
      default: 1,
      min: 1,
      max: 8,
      description: 'width of the salt in the cookie (8 upstream)',
    },
    {
      name: 'callers',
      default: 2,
      min: 1,
      max: 3,
      description: 'threads calling idpf_vc_xn_exec concurrently',
    },
    {
      name: 'inFlight',
      default: 2,
      min: 1,
      max: 4,
      description: 'requests on the mailbox not yet answered; a send beyond fails',
    },
    {
      name: 'duplicates',
      default: 0,
      min: 0,
      max: 2,
      description: 'duplicate replies the control plane may send in total',
    },
    {
      name: 'shutdowns',
      default: 1,
      min: 0,
      max: 1,
      description: 'idpf_vc_xn_shutdown + re-init cycles',
    },
    {
      name: 'replyDelay',
      default: 1,
      min: 0,
      max: 16,
      description:
        'control-plane latency assumption: a reply is processed before this many further transactions are allocated after its own (0 = unbounded)',
    },
  ],
  variants: [
    {
      name: VARIANTS.saltCheckUnlocked,
      description:
        'Linux 6.9 as written: idpf_vc_xn_forward_reply compares the salt before taking the transaction lock, so the transaction can be freed and re-popped in between',
      source:
        'idpf_virtchnl.c (6.9) idpf_vc_xn_forward_reply: "if (xn->salt != salt) ... idpf_vc_xn_lock(xn);"; fixed by "idpf: Acquire the lock before accessing the xn->salt" (Aug 2024)',
      breaks: ['reply-to-own-transaction', 'sync-result-matches', 'waiter-woken-by-own-cause'],
      finding: true,
    },
    {
      name: VARIANTS.completeAfterUnlock,
      description:
        'Linux 6.9 as written: forward_reply unlocks and only then calls complete(); a late complete() lands on the transaction after it was freed, re-popped and reinit_completion()ed, and wakes the new waiter',
      source:
        'idpf_virtchnl.c (6.9) idpf_vc_xn_forward_reply: "out_unlock: idpf_vc_xn_unlock(xn); /* we _cannot_ hold lock while calling complete */ complete(&xn->completed);"',
      breaks: ['sync-result-matches', 'waiter-woken-by-own-cause'],
      finding: true,
    },
    {
      name: VARIANTS.cookieIndexOnly,
      description: 'the cookie carries only the index: any reply for that index is accepted',
      source:
        'sources/idpf-virtchnl-xn.txt cover letter: "Without the salt we would have no way of knowing for sure if it\'s the correct reply"',
      breaks: ['reply-to-own-transaction', 'sync-result-matches', 'waiter-woken-by-own-cause'],
    },
    {
      name: VARIANTS.opcodeOnlyMatching,
      description:
        'before the manager: a reply goes to whoever waits for its opcode (here, the lowest busy transaction; every request uses the same opcode)',
      source:
        'idpf_virtchnl.c before the series, idpf_recv_mb_msg: "if (op && ctlq_msg.cookie.mbx.chnl_opcode != op) goto post_buffs;" and idpf_recv_vchnl_op waking vchnl_wq',
      breaks: [
        'reply-to-own-transaction',
        'async-callback-once',
        'sync-result-matches',
        'waiter-woken-by-own-cause',
      ],
    },
    {
      name: VARIANTS.asyncNotFreed,
      description:
        'the reply path runs the async handler but does not push the ASYNC transaction back on the free list',
      source:
        'idpf_virtchnl.c idpf_vc_xn_forward_async: "release_bufs: idpf_vc_xn_push_free(adapter->vcxn_mngr, xn);" removed',
      breaks: ['no-leak', 'all-can-become-free'],
    },
    {
      name: VARIANTS.popFreeUnlocked,
      description:
        'idpf_vc_xn_pop_free without xn_bm_lock: find_first_bit and clear_bit are separate steps, two callers can take the same index',
      source:
        'idpf_virtchnl.c idpf_vc_xn_pop_free: "spin_lock_bh(&vcxn_mngr->xn_bm_lock); free_idx = find_first_bit(...)" removed',
      breaks: [
        'index-exclusive',
        'reply-to-own-transaction',
        'async-callback-once',
        'sync-result-matches',
        'waiter-woken-by-own-cause',
      ],
    },
  ],
  build({ bounds, variants }) {
    const has = (name: string) => variants.has(name);
    const callerIds = Array.from({ length: bounds.callers }, (_, i) => i);

    type Args = { context: IdpfXnContext; event: IdpfXnEvent };
    const forCaller =
      (c: number) =>
      ({ event }: Args) =>
        'caller' in event && event.caller === c;

    /** The reply path's routing: by the cookie's index, or by opcode before the manager. */
    const route = (context: IdpfXnContext, message: Message): number => {
      if (!has(VARIANTS.opcodeOnlyMatching)) return message.idx;
      return context.xn.findIndex((xn) => xn.state === 'WAITING' || xn.state === 'ASYNC');
    };
    const saltMatches = (context: IdpfXnContext, message: InHand): boolean =>
      has(VARIANTS.cookieIndexOnly) ||
      has(VARIANTS.opcodeOnlyMatching) ||
      context.xn[message.target].salt === message.salt;

    /** A reply taken off the mailbox (REPLY): the message and the mailbox without it. */
    const take = memo2((context: IdpfXnContext, event: IdpfXnEvent) => {
      if (event.type !== 'REPLY') throw new Error('take: not a REPLY');
      const message = context.mailbox[event.msg];
      const rest = context.mailbox.filter((_, i) => i !== event.msg);
      const mailbox = event.duplicate
        ? sortMessages([...rest, { ...message, kind: event.kind }])
        : rest;
      const inHand: InHand = { ...message, kind: event.kind, target: route(context, message) };
      return {
        inHand,
        mailbox,
        duplicates: context.duplicates - (event.duplicate ? 1 : 0),
      };
    });
    const dropped = (
      context: IdpfXnContext,
      message: InHand,
      verdict: 'salt_mismatch' | 'no_waiter',
    ): IdpfXnOutput => ({
      type: 'reply',
      idx: message.target,
      answers: message.req,
      holder: message.target < 0 ? -1 : context.xn[message.target].holder,
      async: message.async,
      kind: message.kind,
      verdict,
      effect: 'NONE',
    });

    /**
     * Lock, switch, unlock of forward_reply. With the default fix complete() is issued inside
     * the same critical section; in the as-written variant it is the separate COMPLETE step.
     */
    const forward = memo2((context: IdpfXnContext, message: InHand) => {
      const result = forwardLocked(context, message, has(VARIANTS.asyncNotFreed));
      const late = has(VARIANTS.completeAfterUnlock) && result.signal;
      const xn = result.signal && !late ? signal(result.xn) : result.xn;
      return {
        update: { xn: replace(context.xn, message.target, xn), rx: late ? message : null },
        output: result.output,
        late,
      };
    });
    /** REPLY with the whole of forward_reply in one step (salt compared under the lock). */
    const takeAndForward = memo2((context: IdpfXnContext, event: IdpfXnEvent) => {
      const taken = take(context, event);
      const result = forward({ ...context, ...taken }, taken.inHand);
      return {
        ...result,
        update: { ...result.update, mailbox: taken.mailbox, duplicates: taken.duplicates },
      };
    });

    /** idpf_vc_xn_exec after the wait: the switch under the lock, then free and return. */
    const afterWait = (context: IdpfXnContext, c: number) => {
      const caller = context.callers[c];
      const xn = context.xn[caller.idx];
      const rc: ExecRc =
        xn.state === 'SHUTDOWN'
          ? 'ENXIO'
          : xn.state === 'WAITING'
            ? 'ETIME'
            : xn.state === 'COMPLETED_SUCCESS'
              ? 'SIZE'
              : 'EIO'; // COMPLETED_FAILED, or the WARN_ON_ONCE default
      const output: IdpfXnOutput = {
        type: 'exec_return',
        caller: c,
        req: caller.req,
        async: false,
        rc,
        timedOut: caller.timedOut,
        answer: xn.answer,
        xnState: xn.state,
      };
      // SHUTDOWN goes to only_unlock: the transaction is not pushed back.
      const nextXn = rc === 'ENXIO' ? { ...xn, holder: -1 } : pushFree(xn);
      return {
        output,
        context: {
          xn: replace(context.xn, caller.idx, nextXn),
          callers: replace(context.callers, c, IDLE_CALLER),
        },
      };
    };

    const callerRegion = (c: number) => {
      const mine = forCaller(c);
      /** Under the transaction lock: WAITING (sync) or ASYNC. */
      const setState = assign(({ context }: Args) => {
        const caller = context.callers[c];
        const xn = context.xn[caller.idx];
        return {
          xn: replace(context.xn, caller.idx, {
            ...xn,
            state: caller.async ? ('ASYNC' as const) : ('WAITING' as const),
            answer: -1,
          }),
        };
      });
      const popStep = has(VARIANTS.popFreeUnlocked)
        ? {
            // find_first_bit without the lock: only remember the index.
            EXEC: [
              {
                guard: ({ context, event }: Args) =>
                  mine({ context, event }) && lowestFree(context) >= 0,
                target: 'CLAIMING',
                actions: assign(({ context, event }: Args) => ({
                  callers: replace(context.callers, c, {
                    ...IDLE_CALLER,
                    async: event.type === 'EXEC' && event.async,
                    found: lowestFree(context),
                  }),
                })),
              },
              { guard: mine, actions: 'returnEnospc' as const },
            ],
          }
        : {
            EXEC: [
              {
                guard: ({ context, event }: Args) =>
                  mine({ context, event }) &&
                  lowestFree(context) >= 0 &&
                  canAllocate(context, bounds.replyDelay),
                target: 'LOCKING',
                actions: assign(({ context, event }: Args) =>
                  claim(
                    context,
                    c,
                    lowestFree(context),
                    event.type === 'EXEC' && event.async,
                    bounds,
                  ),
                ),
              },
              {
                guard: ({ context, event }: Args) =>
                  mine({ context, event }) && lowestFree(context) < 0,
                actions: 'returnEnospc' as const,
              },
            ],
          };
      return {
        initial: 'IDLE',
        states: {
          IDLE: { on: popStep },
          // pop-free-unlocked only: clear_bit and the salt, for the index found earlier.
          CLAIMING: {
            on: {
              CLAIM: {
                guard: ({ context, event }: Args) =>
                  mine({ context, event }) && canAllocate(context, bounds.replyDelay),
                target: 'LOCKING',
                actions: assign(({ context }: Args) =>
                  claim(context, c, context.callers[c].found, context.callers[c].async, bounds),
                ),
              },
            },
          },
          // Popped. SEND is one step for: idpf_vc_xn_lock, the SHUTDOWN check, WAITING or
          // ASYNC, unlock, reinit_completion (sync), cookie = salt << 8 | idx, idpf_send_mb_msg
          // and, on a send error, lock + push_free + unlock. Nothing in the gaps between
          // these can be observed differently from just before or just after the step.
          LOCKING: {
            on: {
              SEND: [
                {
                  guard: ({ context, event }: Args) =>
                    mine({ context, event }) &&
                    context.xn[context.callers[c].idx].state === 'SHUTDOWN',
                  target: 'IDLE',
                  actions: [
                    emit(({ context }: Args) => returnBeforeWait(context, c, 'ENXIO', 'SHUTDOWN')),
                    assign(({ context }: Args) => {
                      const idx = context.callers[c].idx;
                      return {
                        xn: replace(context.xn, idx, { ...context.xn[idx], holder: -1 }),
                        callers: replace(context.callers, c, IDLE_CALLER),
                      };
                    }),
                  ],
                },
                {
                  guard: ({ context, event }: Args) =>
                    mine({ context, event }) &&
                    context.mailbox.length < bounds.inFlight &&
                    context.callers[c].async,
                  target: 'IDLE',
                  actions: [
                    setState,
                    // The guard holds only for an async caller, so its output says async: true.
                    emit(({ context }: Args) => returnBeforeWait(context, c, 'OK', 'ASYNC')),
                    assign(({ context }: Args) => ({
                      mailbox: sortMessages([...context.mailbox, messageOf(context, c)]),
                      callers: replace(context.callers, c, IDLE_CALLER),
                    })),
                  ],
                },
                {
                  guard: ({ context, event }: Args) =>
                    mine({ context, event }) && context.mailbox.length < bounds.inFlight,
                  target: 'WAITING',
                  actions: [
                    setState,
                    assign(({ context }: Args) => {
                      const caller = context.callers[c];
                      return {
                        xn: replace(context.xn, caller.idx, {
                          ...context.xn[caller.idx],
                          done: context.xn[caller.idx].done === 'all' ? 'all' : 0,
                        }),
                        mailbox: sortMessages([...context.mailbox, messageOf(context, c)]),
                        callers: replace(context.callers, c, { ...caller, age: -1 }),
                      };
                    }),
                  ],
                },
                {
                  // A send error (idpf_ctlq_send: no free descriptor): lock, push_free, unlock.
                  guard: mine,
                  target: 'IDLE',
                  actions: [
                    setState,
                    emit(({ context }: Args) =>
                      returnBeforeWait(
                        context,
                        c,
                        'ESEND',
                        context.xn[context.callers[c].idx].state,
                      ),
                    ),
                    assign(({ context }: Args) => {
                      const idx = context.callers[c].idx;
                      return {
                        xn: replace(context.xn, idx, pushFree(context.xn[idx])),
                        callers: replace(context.callers, c, IDLE_CALLER),
                      };
                    }),
                  ],
                },
              ],
            },
          },
          // wait_for_completion_timeout: a completion or the timeout ends it.
          WAITING: {
            on: {
              WAKE: {
                guard: ({ context, event }: Args) =>
                  mine({ context, event }) && context.xn[context.callers[c].idx].done !== 0,
                target: 'CHECKING',
                actions: [
                  emit(({ context }: Args) => ({
                    type: 'wake' as const,
                    caller: c,
                    req: context.callers[c].req,
                    idx: context.callers[c].idx,
                  })),
                  assign(({ context }: Args) => {
                    const caller = context.callers[c];
                    const xn = context.xn[caller.idx];
                    return {
                      xn: replace(context.xn, caller.idx, {
                        ...xn,
                        done: xn.done === 'all' ? 'all' : 0,
                      }),
                      callers: replace(context.callers, c, { ...caller, timedOut: false }),
                    };
                  }),
                ],
              },
              TIMEOUT: {
                guard: mine,
                target: 'CHECKING',
                actions: assign(({ context }: Args) => ({
                  callers: replace(context.callers, c, {
                    ...context.callers[c],
                    timedOut: true,
                  }),
                })),
              },
            },
          },
          CHECKING: {
            on: {
              CHECK: {
                guard: mine,
                target: 'IDLE',
                actions: [
                  emit(({ context }: Args) => afterWait(context, c).output),
                  assign(({ context }: Args) => afterWait(context, c).context),
                ],
              },
            },
          },
        },
      };
    };

    /** The request a caller puts on the mailbox, its cookie read from the transaction. */
    const messageOf = (context: IdpfXnContext, c: number): Message => {
      const caller = context.callers[c];
      return {
        idx: caller.idx,
        salt: has(VARIANTS.cookieIndexOnly) ? 0 : context.xn[caller.idx].salt,
        req: caller.req,
        async: caller.async,
        age: Math.max(caller.age, 0),
        kind: null,
      };
    };

    const dropStep = (verdict: 'salt_mismatch' | 'no_waiter') => [
      emit(({ context, event }: Args) => dropped(context, take(context, event).inHand, verdict)),
      assign(({ context, event }: Args) => {
        const { mailbox, duplicates } = take(context, event);
        return { mailbox, duplicates };
      }),
    ];
    const forwardNow = [
      emit(({ context, event }: Args) => takeAndForward(context, event).output),
      assign(({ context, event }: Args) => takeAndForward(context, event).update),
    ];
    const forwardInHand = [
      emit(({ context }: Args) => forward(context, context.rx!).output),
      assign(({ context }: Args) => forward(context, context.rx!).update),
    ];

    const rxRegion = {
      initial: 'IDLE',
      states: {
        IDLE: {
          on: {
            REPLY: [
              {
                // Routed nowhere: opcode-only matching with no thread waiting for it.
                guard: ({ context, event }: Args) => take(context, event).inHand.target < 0,
                actions: dropStep('no_waiter'),
              },
              {
                // The salt compare (without the lock in the as-written variant).
                guard: ({ context, event }: Args) =>
                  !saltMatches(context, take(context, event).inHand),
                actions: dropStep('salt_mismatch'),
              },
              ...(has(VARIANTS.saltCheckUnlocked)
                ? [
                    {
                      // Salt matched; preemptible before idpf_vc_xn_lock.
                      target: 'SALT_CHECKED',
                      actions: assign(({ context, event }: Args) => {
                        const { inHand, mailbox, duplicates } = take(context, event);
                        return { rx: inHand, mailbox, duplicates };
                      }),
                    },
                  ]
                : [
                    {
                      guard: ({ context, event }: Args) => takeAndForward(context, event).late,
                      target: 'SIGNALLING',
                      actions: forwardNow,
                    },
                    { actions: forwardNow },
                  ]),
            ],
          },
        },
        // salt-check-unlocked only: the lock and the state switch, after the salt compare.
        SALT_CHECKED: {
          on: {
            FORWARD: [
              {
                guard: ({ context }: Args) => forward(context, context.rx!).late,
                target: 'SIGNALLING',
                actions: forwardInHand,
              },
              { target: 'IDLE', actions: forwardInHand },
            ],
          },
        },
        // complete-after-unlock only: complete(&xn->completed) after idpf_vc_xn_unlock.
        SIGNALLING: {
          on: {
            COMPLETE: {
              target: 'IDLE',
              actions: assign(({ context }: Args) => ({
                xn: replace(context.xn, context.rx!.target, signal(context.xn[context.rx!.target])),
                rx: null,
              })),
            },
          },
        },
      },
    };

    const resetRegion = {
      initial: 'RUNNING',
      states: {
        RUNNING: {
          on: {
            SHUTDOWN: {
              guard: ({ context }: Args) => context.shutdowns > 0,
              target: 'SHUTTING_DOWN',
              // bitmap_zero(free_xn_bm) under xn_bm_lock.
              actions: assign(({ context }: Args) => ({
                xn: context.xn.map((xn) => ({ ...xn, free: false })),
                shutdowns: context.shutdowns - 1,
                shutdownNext: 0,
              })),
            },
          },
        },
        // One transaction per step: lock, SHUTDOWN, release_bufs, unlock, complete_all.
        SHUTTING_DOWN: {
          on: {
            SHUTDOWN_XN: [
              {
                guard: ({ context }: Args) => context.shutdownNext === bounds.ringSize - 1,
                target: 'DOWN',
                actions: 'shutdownXn' as const,
              },
              { actions: 'shutdownXn' as const },
            ],
          },
        },
        DOWN: {
          on: {
            // idpf_vc_core_init -> idpf_vc_xn_init after the reset: no caller in exec, the
            // mailbox re-created (messages in flight are gone); the salts are kept.
            REINIT: {
              guard: ({ context }: Args) =>
                context.callers.every((caller) => caller.req < 0 && caller.found < 0) &&
                context.rx === null,
              target: 'RUNNING',
              actions: assign(({ context }: Args) => ({
                xn: context.xn.map((xn) => ({
                  ...xn,
                  state: 'IDLE' as const,
                  free: true,
                  done: 0 as const,
                  holder: -1,
                  answer: -1,
                })),
                mailbox: [],
                shutdownNext: 0,
              })),
            },
          },
        },
      },
    };

    const machine = setup({
      types: {} as { context: IdpfXnContext; events: IdpfXnEvent; emitted: IdpfXnOutput },
      actions: {
        returnEnospc: emit(({ event }: Args) => ({
          type: 'exec_return' as const,
          caller: 'caller' in event ? event.caller : -1,
          req: -1,
          async: event.type === 'EXEC' && event.async,
          rc: 'ENOSPC' as const,
          timedOut: false,
          answer: -1,
          xnState: 'IDLE' as const,
        })),
        shutdownXn: assign(({ context }: Args) => {
          const k = context.shutdownNext;
          const xn = context.xn[k];
          return {
            xn: replace(context.xn, k, { ...xn, state: 'SHUTDOWN' as const, done: 'all' as const }),
            shutdownNext: k + 1 === bounds.ringSize ? 0 : k + 1,
          };
        }),
      },
    }).createMachine({
      id: 'idpf-xn',
      type: 'parallel',
      context: {
        xn: Array.from({ length: bounds.ringSize }, () => ({
          state: 'IDLE' as const,
          salt: 0,
          free: true,
          done: 0 as const,
          holder: -1,
          answer: -1,
        })),
        salt: 0,
        callers: callerIds.map(() => IDLE_CALLER),
        mailbox: [],
        rx: null,
        duplicates: bounds.duplicates,
        shutdowns: bounds.shutdowns,
        shutdownNext: 0,
      },
      states: {
        ...Object.fromEntries(callerIds.map((c) => [`caller${c}`, callerRegion(c) as never])),
        // Regions are built as plain configs; XState's inference cannot follow them.
        rx: rxRegion as never,
        reset: resetRegion as never,
      },
    });

    /** The events possible in a state: only those of each region's current step. */
    const events = (state: ModelState<IdpfXnContext>): IdpfXnEvent[] => {
      const list: IdpfXnEvent[] = [];
      for (const c of callerIds) {
        const at = (step: string) => state.matches(`caller${c}.${step}`);
        if (at('IDLE')) {
          list.push(
            { type: 'EXEC', caller: c, async: false },
            { type: 'EXEC', caller: c, async: true },
          );
        } else if (at('CLAIMING')) list.push({ type: 'CLAIM', caller: c });
        else if (at('LOCKING')) list.push({ type: 'SEND', caller: c });
        else if (at('WAITING'))
          list.push({ type: 'WAKE', caller: c }, { type: 'TIMEOUT', caller: c });
        else list.push({ type: 'CHECK', caller: c });
      }
      if (state.matches('rx.IDLE')) {
        state.context.mailbox.forEach((message, msg) => {
          // Identical messages are one choice: answer the first of them.
          if (msg > 0 && compareMessages(state.context.mailbox[msg - 1], message) === 0) return;
          const kinds = message.kind ? [message.kind] : (['ok', 'error', 'wrongop'] as const);
          for (const kind of kinds) {
            list.push({ type: 'REPLY', msg, kind, duplicate: false });
            if (state.context.duplicates > 0)
              list.push({ type: 'REPLY', msg, kind, duplicate: true });
          }
        });
      } else if (state.matches('rx.SALT_CHECKED')) list.push({ type: 'FORWARD' });
      else list.push({ type: 'COMPLETE' });
      if (state.matches('reset.RUNNING')) list.push({ type: 'SHUTDOWN' });
      else if (state.matches('reset.SHUTTING_DOWN')) list.push({ type: 'SHUTDOWN_XN' });
      else list.push({ type: 'REINIT' });
      return list;
    };

    return {
      // The states' typing is erased by the `as never` regions above.
      machine: machine as unknown as AnyStateMachine,
      events,
    };
  },
});
