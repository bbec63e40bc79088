/**
 * What must hold for the idpf virtchnl transaction manager. Ghost request ids (never the
 * cookies) decide which request a reply answers and which request holds a transaction.
 */
import type { EventObject } from 'xstate';
import type { ModelConfig, ModelState, Output, Property } from '../src/model/model.ts';
import {
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

/** Monitor state of async-callback-once: async requests whose transaction the reply path consumed (handler run, or freed on an opcode mismatch). */
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
        for (const reply of ofType(outputs, 'reply') as ReplyOutput[]) {
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
          if (caller.idx >= 0 && context.xn[caller.idx].holder !== caller.req) {
            return `caller ${c} (request ${caller.req}) holds index ${caller.idx}, which request ${context.xn[caller.idx].holder} holds too`;
          }
        }
        return true;
      },
    },
    {
      kind: 'monitor',
      name: 'async-callback-once',
      statement:
        "An async handler runs at most once per request, and runs when the request's own reply (right opcode) arrives before shutdown.",
      source: `${SEED}:47-49 "space for a callback to be defined"; ${CODE} idpf_vc_xn_forward_async`,
      initial: (): Called => [],
      step: (called: Called, { outputs, to }) => {
        let next = called;
        for (const reply of ofType(outputs, 'reply') as ReplyOutput[]) {
          if (reply.effect === 'CALLBACK' && next.includes(reply.holder)) {
            return { violation: `the async handler of request ${reply.holder} ran twice` };
          }
          if (
            (reply.effect === 'CALLBACK' || reply.effect === 'FREED') &&
            !next.includes(reply.holder)
          ) {
            next = [...next, reply.holder].sort((a, b) => a - b);
          }
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
        const live = referencedIds(to.context);
        return next.filter((id) => live.has(id));
      },
    },
    {
      kind: 'step',
      name: 'sync-result-matches',
      statement:
        "A sync caller's return value says what happened to its own request: reply size or -EIO only for its own reply, -ETIME only after its wait timed out, -ENXIO only after shutdown.",
      source: `${SEED}:25-27 "receives a reply, we leverage the completion API to signal the received buffer is ready"; ${CODE} idpf_vc_xn_exec switch (xn->state)`,
      check: ({ outputs }) => {
        for (const ret of ofType(outputs, 'exec_return') as ReturnOutput[]) {
          if (ret.async) continue;
          const own = ret.answer === ret.req;
          if ((ret.rc === 'SIZE' || ret.rc === 'EIO') && !own) {
            return `request ${ret.req} returned ${ret.rc} from the reply to request ${ret.answer}`;
          }
          if (ret.rc === 'ETIME' && !ret.timedOut) {
            return `request ${ret.req} returned -ETIME although its wait did not time out`;
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
        'A sync waiter is woken only by its own reply, a timeout or shutdown, never by a completion meant for another request.',
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
      kind: 'invariant',
      name: 'no-leak',
      statement:
        'Outside a shutdown, every transaction off the free list is held by a caller in exec or by an async request whose reply is still coming.',
      source: `${SEED}:20-21; ${CODE} idpf_vc_xn_push_free`,
      check: (state) => {
        if (!state.matches('reset.RUNNING')) return true;
        const { context } = state;
        const coming = (req: number) =>
          context.mailbox.some((m) => m.req === req) || context.rx?.req === req;
        for (const [i, xn] of context.xn.entries()) {
          if (xn.free) continue;
          const byCaller = context.callers.some((caller) => caller.idx === i);
          const byAsync = xn.state === 'ASYNC' && xn.holder >= 0 && coming(xn.holder);
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
      statement:
        'From every reachable state, with the control plane answering, every transaction can be IDLE on the free list again.',
      source: `${SEED}:20-21; ${CODE} idpf_vc_xn_init "bitmap_fill"`,
      goal: (state: ModelState<IdpfXnContext>) =>
        state.context.xn.every((xn) => xn.free && xn.state === 'IDLE'),
    },
  ];
}
