/**
 * What must hold for the idpf virtchnl transaction manager. Ghost request ids (never the
 * cookies) decide which request a reply answers and which request holds a transaction; the
 * ghost ledger (src/model/ghosts.ts) says what the control plane still owes.
 */
import type { EventObject } from 'xstate';
import { find, ledgerFaultFree } from '../src/model/ghosts.ts';
import type { ModelConfig, ModelState, Output, Property } from '../src/model/model.ts';
import { noTimeoutWhileDue, respondsWithin } from '../src/model/timed-properties.ts';
import {
  atLeastExpected,
  referencedIds,
  type IdpfXnContext,
  type IdpfXnEvent,
  type IdpfXnOutput,
} from '../machines/idpf-xn.ts';

type ReplyOutput = Extract<IdpfXnOutput, { type: 'reply' }>;
type ReturnOutput = Extract<IdpfXnOutput, { type: 'exec_return' }>;
type WakeOutput = Extract<IdpfXnOutput, { type: 'wake' }>;

const ofType = <T extends IdpfXnOutput['type']>(outputs: readonly Output[], type: T) =>
  outputs.filter((o) => o.type === type) as unknown as Extract<IdpfXnOutput, { type: T }>[];

const SEED = 'sources/idpf-virtchnl-xn.txt';
const CODE = 'idpf_virtchnl.c (Linux 6.9)';

/** The caller a caller-step event names, or -1. */
const callerOf = (event: IdpfXnEvent): number => ('caller' in event ? event.caller : -1);

/** Sync callers blocked in wait_for_completion_timeout: waiting, and nothing completed them. */
function blockedWaiters(state: ModelState<IdpfXnContext>): number[] {
  // Only a caller past its send has a deadline: test that before the state value.
  return state.context.callers.flatMap((caller, c) =>
    caller.deadline !== null &&
    state.context.xn[caller.idx].done === 0 &&
    state.matches(`caller${c}.WAITING`)
      ? [c]
      : [],
  );
}

/** Monitor state of async-callback-once: async requests whose transaction was consumed. */
type Called = number[];

export function idpfXnProperties(
  _config: ModelConfig,
): Property<IdpfXnContext, IdpfXnEvent & EventObject>[] {
  return [
    {
      kind: 'step',
      name: 'reply-to-own-transaction',
      statement:
        'A reply completes, calls back or frees only the transaction held by the request it answers.',
      source: `${SEED}:34-37 "the salt guards against index conflicts to make certain the lookup is correct"`,
      check: ({ outputs }) => {
        for (const reply of ofType(outputs, 'reply')) {
          if (reply.effect !== 'NONE' && reply.holder !== reply.answers) {
            return `the reply to request ${reply.answers} ${reply.effect} transaction ${reply.idx}, held by request ${reply.holder}`;
          }
        }
        return true;
      },
    },
    {
      kind: 'invariant',
      name: 'index-exclusive',
      statement: 'No transaction index is held by two in-flight requests at once.',
      source: `${SEED}:20-21 "pop from a bitmap of free transactions to track in-flight messages"`,
      check: ({ context }) => {
        for (const [c, caller] of context.callers.entries()) {
          const holder = context.xn[caller.idx]?.holder;
          if (caller.idx >= 0 && holder !== caller.req) {
            return holder < 0
              ? `caller ${c} (request ${caller.req}) is still in exec on index ${caller.idx}, which was pushed back on the free list`
              : `caller ${c} (request ${caller.req}) holds index ${caller.idx}, which request ${holder} holds too`;
          }
        }
        return true;
      },
    },
    {
      kind: 'monitor',
      name: 'async-callback-once',
      statement:
        "An async handler runs at most once per request, and runs when the request's own reply (right opcode) arrives before its transaction was shut down or reclaimed.",
      source: `${SEED}:47-49 "space for a callback to be defined"; ${CODE} idpf_vc_xn_forward_async`,
      lint: {
        vacuous:
          'what it remembers matters only while a copy of a reply can still come (--bound duplicate=1 or late=1, deep); at the default bounds every id is forgotten within its step',
      },
      initial: (): Called => [],
      step: (called: Called, { outputs, to }) => {
        let next = called;
        const consumed = (id: number) => {
          if (!next.includes(id)) next = [...next, id].sort((a, b) => a - b);
        };
        for (const reclaim of ofType(outputs, 'reclaim')) consumed(reclaim.holder);
        for (const reply of ofType(outputs, 'reply')) {
          if (reply.effect === 'CALLBACK' && next.includes(reply.holder)) {
            return { violation: `the async handler of request ${reply.holder} ran twice` };
          }
          if (reply.effect === 'CALLBACK' || reply.effect === 'FREED') consumed(reply.holder);
          const owed =
            reply.async &&
            reply.kind !== 'wrongop' &&
            !called.includes(reply.answers) &&
            reply.verdict !== 'SHUTDOWN';
          const ranOwn = reply.effect === 'CALLBACK' && reply.holder === reply.answers;
          if (owed && !ranOwn) {
            return {
              violation: `the reply to async request ${reply.answers} arrived (${reply.verdict}) and its handler did not run`,
            };
          }
        }
        // Forget requests nothing refers to any more: their ids may be reused.
        if (next.length === 0) return next;
        const live = referencedIds(to.context);
        return next.filter((id) => live.has(id));
      },
    },
    {
      kind: 'step',
      name: 'sync-result-matches',
      statement:
        "A sync caller's return value says what happened to its own request: reply size or -EIO only for its own reply, -ETIME only once its timeout has passed, -ENXIO only after shutdown.",
      source: `${SEED}:25-27 "receives a reply, we leverage the completion API to signal the received buffer is ready"; ${CODE} idpf_vc_xn_exec switch (xn->state)`,
      check: ({ outputs }) => {
        for (const ret of ofType(outputs, 'exec_return')) {
          if (ret.async) continue;
          const own = ret.answer === ret.req;
          if ((ret.rc === 'SIZE' || ret.rc === 'EIO') && !own) {
            return `request ${ret.req} returned ${ret.rc} from the reply to request ${ret.answer}`;
          }
          if (ret.rc === 'ETIME' && !ret.expired) {
            return `request ${ret.req} returned -ETIME before its timeout had passed`;
          }
          if (ret.rc === 'ENXIO' && ret.xnState !== 'SHUTDOWN') {
            return `request ${ret.req} returned -ENXIO without a shutdown`;
          }
        }
        return true;
      },
    },
    {
      kind: 'step',
      name: 'waiter-woken-by-own-cause',
      statement:
        'A sync waiter is woken only by its own reply or by shutdown, never by a completion meant for another request.',
      source: `${SEED}:25-27; ${CODE} idpf_vc_xn_forward_reply "complete(&xn->completed)" and idpf_vc_xn_shutdown "complete_all"`,
      check: ({ from, outputs }) => {
        for (const wake of ofType(outputs, 'wake') as WakeOutput[]) {
          const xn = from.context.xn[wake.idx];
          const ownReply =
            (xn.state === 'COMPLETED_SUCCESS' || xn.state === 'COMPLETED_FAILED') &&
            xn.answer === wake.req;
          if (!ownReply && xn.state !== 'SHUTDOWN') {
            return `request ${wake.req} was woken while its transaction ${wake.idx} is ${xn.state}${xn.answer >= 0 ? ` with the reply to request ${xn.answer}` : ''}`;
          }
        }
        return true;
      },
    },
    {
      kind: 'step',
      name: 'reply-size-honest',
      statement:
        'A caller that gets a reply size gets the length its reply carried: a short or empty reply is never reported at full size.',
      source: `${CODE} idpf_vc_xn_exec "@returns >= 0 for success, the size of the initial reply"; callers check "if (reply_sz < sizeof(...)) return -EIO"`,
      check: ({ outputs }) => {
        for (const ret of ofType(outputs, 'exec_return') as ReturnOutput[]) {
          if (ret.rc === 'SIZE' && ret.size !== ret.sent) {
            const passes = atLeastExpected(ret.size!) && !atLeastExpected(ret.sent!);
            return `request ${ret.req} was told reply size '${ret.size}' for a '${ret.sent}' reply${passes ? ', which passes its size check' : ''}`;
          }
        }
        return true;
      },
    },
    {
      kind: 'step',
      name: 'async-error-reconciled',
      statement:
        "When an async MAC filter request's own error reply carries its whole payload, the handler removes the failed filters from the driver's list.",
      source: `${SEED}:50-52 "handle MAC filter failures better; previously we could potentially have stale, failed filters in our list"; idpf_mac_filter_async_handler`,
      check: ({ outputs }) => {
        for (const reply of ofType(outputs, 'reply') as ReplyOutput[]) {
          if (
            reply.effect === 'CALLBACK' &&
            reply.kind === 'error' &&
            reply.holder === reply.answers &&
            atLeastExpected(reply.len) &&
            reply.handler !== 'reconciled'
          ) {
            return `request ${reply.answers}'s error reply ('${reply.len}' payload) reached the handler, which returned ${reply.handler}: the failed filter stays in the list`;
          }
        }
        return true;
      },
    },
    {
      kind: 'step',
      name: 'handler-lock-context',
      statement:
        'The async handler never takes a spinlock_t (mac_filter_list_lock) while the transaction lock it runs under is a raw spinlock.',
      source: `${CODE} "#define idpf_vc_xn_lock(xn) raw_spin_lock(&(xn)->completed.wait.lock)"; lockdep "BUG: Invalid wait context" in idpf_mac_filter_async_handler`,
      check: ({ outputs }) => {
        for (const reply of ofType(outputs, 'reply') as ReplyOutput[]) {
          if (reply.handler === 'reconciled' && reply.lock === 'raw') {
            return `the handler of request ${reply.holder} took mac_filter_list_lock (spin_lock_bh) under the raw transaction lock`;
          }
        }
        return true;
      },
    },
    noTimeoutWhileDue<IdpfXnContext, IdpfXnEvent & EventObject>({
      name: 'no-timeout-while-answer-due',
      statement:
        'No sync wait times out while the control plane still owes its reply within its latency, or while the reply is already in the driver’s hands.',
      source: `${CODE} idpf_vc_xn_exec wait_for_completion_timeout; docs/engine.md "no timeout while the answer is due"`,
      timedOut: (step) =>
        step.event.type === 'TIMEOUT'
          ? [`request ${step.from.context.callers[callerOf(step.event)].req}`]
          : [],
      answerDue: (state, key) => {
        const req = Number(key.slice('request '.length));
        const { mailbox, rx } = state.context;
        return (
          mailbox.some((m) => m.req === req && m.kind === null && m.due !== null) || rx?.req === req
        );
      },
    }),
    {
      kind: 'step',
      name: 'shutdown-releases-waiters',
      statement:
        'No sync wait times out on a transaction that idpf_vc_xn_shutdown has already shut down: shutdown wakes every waiter.',
      source: `${CODE} idpf_vc_xn_shutdown "All waiting threads will be woken-up and their transaction aborted"`,
      check: ({ event, from }) => {
        if (event.type !== 'TIMEOUT') return true;
        const caller = from.context.callers[callerOf(event)];
        return from.context.xn[caller.idx].state === 'SHUTDOWN'
          ? `request ${caller.req} waited out its whole timeout on transaction ${caller.idx}, which was shut down`
          : true;
      },
    },
    respondsWithin<IdpfXnContext, IdpfXnEvent & EventObject>({
      name: 'reset-releases-waiters',
      statement:
        'Within one tick of the service task detecting a device reset, no sync caller is still blocked waiting for a reply the device can no longer send.',
      source:
        'idpf: avoid mailbox timeout delays during reset (2025): "Operations that require MBX exchange with the control plane will result in long delays if executed while a reset is in progress"',
      ticks: 1,
      start: (step) => (step.event.type === 'DETECT' ? ['reset'] : []),
      end: (step) => (blockedWaiters(step.to).length === 0 ? ['reset'] : []),
    }),
    {
      kind: 'step',
      name: 'mbx-task-not-after-deinit',
      statement:
        'The default mailbox is deinitialised only after its mailbox task has been cancelled.',
      source:
        'idpf: fix idpf_vc_core_init error path (CVE-2024-53064): "mailbox is deinitialized but the mailbox workqueue is still alive and polling"',
      check: ({ outputs }) =>
        ofType(outputs, 'mbx_deinit').some((o) => o.taskPending)
          ? 'idpf_deinit_dflt_mbx ran while the mailbox task was still queued: its next poll reads the released control queue'
          : true,
    },
    {
      kind: 'invariant',
      name: 'no-leak',
      statement:
        'Outside a reset, every transaction off the free list is held by a caller in exec, or by an async request whose reply is still owed or whose async timeout will reclaim it.',
      source: `${SEED}:20-21; ${CODE} idpf_vc_xn_push_free`,
      check: (state) => {
        if (!state.matches('reset.RUNNING')) return true;
        const { context } = state;
        const owed = (req: number) => {
          const ghost = find(context.ghosts, req);
          return ghost !== undefined && (ghost.device === 'holds' || ghost.replies > 0);
        };
        for (const [i, xn] of context.xn.entries()) {
          if (xn.free) continue;
          const byCaller = context.callers.some((caller) => caller.idx === i);
          const byAsync =
            xn.state === 'ASYNC' && xn.holder >= 0 && (owed(xn.holder) || xn.asyncDue !== null);
          if (!byCaller && !byAsync) {
            return `transaction ${i} (${xn.state}) is off the free list and nothing will free it`;
          }
        }
        return true;
      },
    },
    {
      kind: 'recoverable',
      name: 'all-can-become-free',
      statement: 'From every reachable state every transaction can be IDLE on the free list again.',
      source: `${SEED}:20-21; ${CODE} idpf_vc_xn_init "bitmap_fill"`,
      goal: (state: ModelState<IdpfXnContext>) =>
        state.context.xn.every((xn) => xn.free && xn.state === 'IDLE'),
    },
    ledgerFaultFree<IdpfXnContext>({
      source: `${SEED}:25-27; ${CODE} idpf_vc_xn_exec returns once, forward_async pushes the slot free once`,
      ledger: (state) => state.context.ghosts,
    }),
  ];
}
