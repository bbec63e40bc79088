/**
 * What must hold of the MCDI model (machines/mcdi.ts). Sources are lines of
 * sources/sfc-mcdi-async.txt, or the 3.12 function the diff does not show.
 */
import { find, ledgerFaultFree } from '../src/model/ghosts.ts';
import type { ModelConfig, ModelState, Output, Property } from '../src/model/model.ts';
import { noTimeoutWhileDue, respondsWithin } from '../src/model/timed-properties.ts';
import {
  allIdle,
  efxMcdiErrno,
  ENETDOWN,
  OUTLEN,
  type Answer,
  type McdiContext,
  type McdiInput,
} from '../machines/mcdi.ts';

type McdiProperty = Property<McdiContext, McdiInput>;
type Completion = Output & { id: number; rc: number; resp: Answer | null };

const isComplete = (o: Output): o is Completion & { len: number; copied: number } =>
  o.type === 'complete';
const isSyncReturn = (
  o: Output,
): o is Completion & { outlenActual: number | null; copied: number } => o.type === 'rpc_done';

/** Ids whose rpc_async returned `rc` in this step. */
const asyncReturns = (outputs: readonly Output[], rc: (value: number) => boolean): number[] =>
  outputs.filter((o) => o.type === 'rpc_async_rc' && rc(o.rc as number)).map((o) => o.id as number);

/** The request the MC holds that a sleeper waits for: in these steps, for these conditions. */
const SLEEPERS: Array<{
  region: string;
  step: string;
  asleep: keyof McdiContext;
  waitsFor: string;
}> = [
  { region: 'process', step: 'ACQUIRE_SYNC', asleep: 'procAsleep', waitsFor: 'QUIESCENT' },
  { region: 'process', step: 'AWAIT_COMPLETION', asleep: 'procAsleep', waitsFor: 'COMPLETED' },
  { region: 'reset', step: 'MODE_EVENT_WAIT', asleep: 'resetAsleep', waitsFor: 'QUIESCENT' },
];

export function mcdiProperties({ bounds }: ModelConfig): McdiProperty[] {
  return [
    {
      kind: 'monitor',
      name: 'completer-once',
      statement:
        'Every async request that efx_mcdi_rpc_async accepted has its completer called exactly once, and no completer is called for anything else.',
      source:
        'sources/sfc-mcdi-async.txt:238 ("the @complete function will be called exactly once")',
      // The accepted requests whose completer has not run yet.
      initial: (): number[] => [],
      step: (open: number[], { outputs }) => {
        let next = [...open, ...asyncReturns(outputs, (rc) => rc === 0)];
        for (const o of outputs.filter(isComplete)) {
          if (!next.includes(o.id)) {
            return {
              violation:
                o.id < 0
                  ? 'a completer was called for an entry of an empty async_list'
                  : `the completer of request ${o.id} was called, but it is not pending`,
            };
          }
          next = next.filter((id) => id !== o.id);
        }
        return next;
      },
      hot: (open: number[]) => open.length > 0,
    },
    ledgerFaultFree<McdiContext>({
      source:
        'sources/sfc-mcdi-async.txt:238 (exactly once) and efx_mcdi_rpc (one return per call)',
      ledger: (state) => state.context.ghosts,
    }),
    {
      kind: 'monitor',
      name: 'completer-fifo',
      statement:
        'Completers run in the order efx_mcdi_rpc_async accepted the requests (async_list is a FIFO).',
      source: 'sources/sfc-mcdi-async.txt:272 (list_add_tail) and :168 (list_first_entry)',
      initial: (): number[] => [],
      step: (open: number[], { outputs }) => {
        let next = [...open, ...asyncReturns(outputs, (rc) => rc === 0)];
        for (const o of outputs.filter(isComplete)) {
          if (next.includes(o.id) && next[0] !== o.id) {
            return {
              violation: `request ${o.id} completed before request ${next[0]}, accepted earlier`,
            };
          }
          next = next.filter((id) => id !== o.id);
        }
        return next;
      },
    },
    {
      kind: 'step',
      name: 'completion-for-request-in-flight',
      statement:
        'A completer or a synchronous caller that gets response data (rc 0) gets the response to its own request, never one that belongs to another request.',
      source:
        'sources/sfc-mcdi-async.txt:184-202 (efx_mcdi_ev_cpl seqno check; "A subsequent invocation would increment seqno")',
      check: ({ outputs }) => {
        for (const o of outputs) {
          if (!isComplete(o) && !isSyncReturn(o)) continue;
          if (o.rc === 0 && o.resp?.id !== o.id) {
            return `request ${o.id} finished with rc 0 and the response to ${
              o.resp === null ? 'no request' : `request ${o.resp.id}`
            }`;
          }
        }
        return true;
      },
    },
    {
      kind: 'step',
      name: 'result-matches-answer',
      statement:
        "A caller that gets its own request's answer gets the MC's error code translated by efx_mcdi_errno and the MC's length (outlen_actual = DATALEN; min(outlen, DATALEN) bytes in a completer's buffer), whether the answer came by event or by polling.",
      source:
        'efx_mcdi_ev_cpl, efx_mcdi_read_response_header, efx_mcdi_rpc_finish (3.12) and sources/sfc-mcdi-async.txt:153-157, 174-175',
      check: ({ outputs }) => {
        for (const o of outputs) {
          if (!isComplete(o) && !isSyncReturn(o)) continue;
          if (o.resp === null || o.resp.id !== o.id) continue;
          const rc = efxMcdiErrno(o.resp.rc);
          if (o.rc !== rc) {
            return `request ${o.id} got rc ${o.rc} for an answer whose error code means ${rc}`;
          }
          const length = isComplete(o) ? o.copied : o.outlenActual;
          const expected = isComplete(o)
            ? Math.min(OUTLEN, o.resp.len)
            : rc === 0
              ? o.resp.len
              : null;
          if (length !== expected) {
            return `request ${o.id} was told ${length} dwords of an answer of ${o.resp.len}`;
          }
        }
        return true;
      },
    },
    {
      kind: 'step',
      name: 'copy-within-buffer',
      statement:
        "Nothing is copied past a caller's buffer: a sync caller gets at most outlen dwords, an async buffer (ALIGN(max(inlen, outlen))) holds the request's inlen and at most outlen dwords of response.",
      source: 'sources/sfc-mcdi-async.txt:257, 267, 174-175 and efx_mcdi_rpc_finish (3.12)',
      check: ({ outputs, to }) => {
        for (const o of outputs) {
          if ((isComplete(o) || isSyncReturn(o)) && o.copied > OUTLEN) {
            return `${o.copied} dwords copied into the ${OUTLEN}-dword buffer of request ${o.id}`;
          }
        }
        const overflow = to.context.asyncList.find((param) => param.inlen > param.buf);
        return (
          overflow === undefined ||
          `request ${overflow.id}: ${overflow.inlen} dwords of parameters copied into a ${overflow.buf}-dword buffer`
        );
      },
    },
    {
      kind: 'step',
      name: 'completer-length-is-copied',
      statement:
        'A completer is told exactly the number of response bytes that were read into its buffer.',
      source:
        'sources/sfc-mcdi-async.txt:174-176 (mcdi_read_response(outbuf, hdr_len, min(outlen, data_len)), then complete(..., outbuf, len))',
      check: ({ outputs }) => {
        const wrong = outputs.filter(isComplete).find((o) => o.len !== o.copied);
        return (
          wrong === undefined ||
          `request ${wrong.id}: the completer is told ${wrong.len} dwords, ${wrong.copied} were read into its buffer`
        );
      },
    },
    {
      kind: 'step',
      name: 'credit-for-awaited-event',
      statement:
        'A credit is taken only for a request whose CMDDONE can still come as far as the driver knows: it asked for one (EVREQ) and the driver has not taken it.',
      source:
        'sources/sfc-mcdi-async.txt:145-149 ("Ensure that if the completion event arrives later, the seqno check ... will fail"), efx_mcdi_rpc_finish and efx_mcdi_ev_death (3.12)',
      check: ({ from, to }) => {
        for (const credit of to.context.credits.slice(from.context.credits.length)) {
          const request = from.context.mc.find((r) => r.id === credit.id);
          const queued = from.context.evq.some(
            (ev) => ev.code === 'CMDDONE' && ev.id === credit.id,
          );
          // Answered, and no CMDDONE of it on its way: nothing can come any more.
          const answered = find(from.context.ghosts, credit.id)?.device === 'answered';
          if (request ? !request.evreq : !queued && answered) {
            return `a credit is taken for request ${credit.id}, whose CMDDONE ${
              request ? 'was never asked for' : 'has already been taken'
            }`;
          }
        }
        return true;
      },
    },
    {
      kind: 'step',
      name: 'credit-absorbs-own-event',
      statement:
        'A stale CMDDONE is absorbed only by the credit of its own request, never by one that stands for another request.',
      source:
        'efx_mcdi_ev_cpl (3.12): if (mcdi->credits) /* The request has been cancelled */ --mcdi->credits',
      check: ({ from, to }) => {
        const ev = from.context.evq[0];
        if (ev?.code !== 'CMDDONE' || to.context.credits.length >= from.context.credits.length) {
          return true;
        }
        return (
          from.context.credits.some((credit) => credit.id === ev.id) ||
          `the CMDDONE of request ${ev.id} took a credit of request ${from.context.credits[0].id}`
        );
      },
    },
    {
      kind: 'invariant',
      name: 'one-outstanding-at-mc',
      statement:
        'At most one request is outstanding at the MC that the driver still waits for: not answered, not given up on after a timeout or an MC failure (-EIO).',
      source:
        'sources/sfc-mcdi-async.txt:338-345 ("so that the response won\'t overwrite our next request")',
      check: ({ context }) => {
        const live = context.mc.filter((r) => !r.abandoned);
        return (
          live.length <= 1 ||
          `requests ${live.map((r) => r.id).join(', ')} are all outstanding at the MC`
        );
      },
    },
    {
      kind: 'step',
      name: 'no-completer-after-error-return',
      statement:
        'A request that efx_mcdi_rpc_async rejects (-EINVAL, -ENOMEM, -ENETDOWN outside EVENTS mode) is never put on async_list, so its completer can never be called.',
      source: 'sources/sfc-mcdi-async.txt:253-260 and 283-285 (kfree(async); rc = -ENETDOWN)',
      check: ({ outputs, to }) => {
        const queued = asyncReturns(outputs, (rc) => rc !== 0).filter((id) =>
          to.context.asyncList.some((param) => param.id === id),
        );
        return queued.length === 0 || `request ${queued[0]} was rejected but is on async_list`;
      },
    },
    {
      kind: 'monitor',
      name: 'flush-completes-queued',
      statement:
        'efx_mcdi_flush_async calls the completer of every request on async_list (the running one included) with -ENETDOWN before it returns.',
      source: 'sources/sfc-mcdi-async.txt:352-353 (list_for_each_entry_safe ... -ENETDOWN)',
      // null outside a flush; during one, the requests it still has to complete.
      initial: (): number[] | null => null,
      step: (pending: number[] | null, { from, to, outputs }) => {
        let next = pending;
        if (from.matches('reset.FLUSH_DEL_TIMER') && !to.matches('reset.FLUSH_DEL_TIMER')) {
          next = from.context.asyncList.map((param) => param.id);
        }
        if (next === null) return null;
        for (const o of outputs.filter(isComplete)) {
          if (!next.includes(o.id)) continue;
          if (o.rc !== ENETDOWN) {
            return { violation: `request ${o.id} completed with ${o.rc} during the flush` };
          }
          next = next.filter((id) => id !== o.id);
        }
        if (to.matches('reset.DOWN') || to.matches('reset.MODE_EVENT') || to.matches('reset.FLR')) {
          return next.length === 0
            ? null
            : { violation: `flush_async returned with ${next.join(', ')} not completed` };
        }
        return next;
      },
    },
    {
      kind: 'invariant',
      name: 'flush-frees-unused',
      statement:
        'efx_mcdi_flush_async frees only requests nothing else uses: no efx_mcdi_release is still starting a request that the flush has completed and freed.',
      source:
        'sources/sfc-mcdi-async.txt:347-351 ("Nothing else will access the async list now, so it is safe to walk it without holding async_lock")',
      check: ({ context }) =>
        context.releasing === null ||
        context.asyncList.some((param) => param.id === context.releasing) ||
        `efx_mcdi_release is sending request ${context.releasing} from a buffer the flush freed`,
    },
    {
      kind: 'invariant',
      name: 'no-stranded-request',
      statement:
        'In EVENTS mode the interface is never QUIESCENT while a request waits on async_list: whoever leaves the interface starts the head.',
      source:
        'sources/sfc-mcdi-async.txt:104-122 (efx_mcdi_release) and :277-278 (start if at the front)',
      check: ({ context }) =>
        !(
          context.mode === 'EVENTS' &&
          context.state === 'QUIESCENT' &&
          context.asyncList.length > 0
        ) || `request ${context.asyncList[0].id} is queued but nobody will start it`,
    },
    {
      kind: 'invariant',
      name: 'fail-mode-recovers',
      statement:
        'MCDI is in MCDI_MODE_FAIL only while the reset that ends it (RESET_TYPE_MCDI_TIMEOUT, an FLR) is pending: in FAIL mode every MCDI call fails with -ENETDOWN, so a FAIL nothing ends would refuse every call for good.',
      source:
        'efx_mcdi_abandon and efx_mcdi_reset (torvalds/linux drivers/net/ethernet/sfc/mcdi.c): "make all MCDI calls fail-fast and issue an FLR to try to recover"',
      check: ({ context }) =>
        context.mode !== 'FAIL' ||
        context.flrPending ||
        'MCDI is in FAIL mode and no reset will end it',
    },
    {
      kind: 'invariant',
      name: 'no-lost-wakeup',
      statement:
        'No context sleeps on mcdi->wq while the condition it waits for holds: whoever makes it true (QUIESCENT for efx_mcdi_acquire_sync, COMPLETED for efx_mcdi_await_completion) wakes the queue.',
      source:
        'sources/sfc-mcdi-async.txt:58-69 (wait_event), 89-93 (complete_sync: wake_up), 121-122 (release: wake_up)',
      check: (state) => {
        for (const sleeper of SLEEPERS) {
          if (
            state.matches(`${sleeper.region}.${sleeper.step}`) &&
            state.context[sleeper.asleep] === true &&
            state.context.state === sleeper.waitsFor
          ) {
            return `${sleeper.region} sleeps in ${sleeper.step} although the interface is ${sleeper.waitsFor}`;
          }
        }
        return true;
      },
    },
    {
      kind: 'step',
      name: 'stale-reboot-not-reported',
      statement:
        'A request is failed with "MC rebooted" from the status word only for a reboot the driver has not handled yet (a REBOOT event handled without a waiting request consumes it).',
      source:
        'efx_mcdi_ev_death (3.12): "Consume the status word since efx_mcdi_rpc_finish() won\'t"; efx_mcdi_poll: efx_mcdi_poll_reboot',
      check: ({ from, to }) => {
        // efx_mcdi_poll's first efx_mcdi_poll_reboot, in a sync call or in the flush.
        const polls =
          (to.matches('process.FINISH') && !from.matches('process.FINISH')) ||
          from.matches('reset.FLUSH_DEL_TIMER');
        const consumed = from.context.statusWord && !to.context.statusWord;
        return (
          !(polls && consumed && from.context.ghostRebootHandled) ||
          'a request is failed for a reboot efx_mcdi_ev_death already handled with no request waiting'
        );
      },
    },
    noTimeoutWhileDue<McdiContext, McdiInput>({
      name: 'no-timeout-while-answer-due',
      statement:
        'No request is given up as timed out while the MC still owes its answer within its latency of the request being sent.',
      source:
        'efx_mcdi_poll (3.12: time_after(time, finish)), wait_event_timeout in efx_mcdi_await_completion, sources/sfc-mcdi-async.txt:112-113 and 280-281 (mod_timer)',
      // The moment the driver gives up: the waiter's timeout or the poll's time_after
      // decides, or the timer's cmpxchg wins (the -ETIMEDOUT is reported a step later).
      timedOut: ({ from, to }) => [
        ...(to.matches('process.TIMED_OUT') && !from.matches('process.TIMED_OUT')
          ? [String(to.context.syncId)]
          : []),
        ...(to.matches('timer.FENCE') && !from.matches('timer.FENCE')
          ? [String(to.context.asyncList[0]?.id)]
          : []),
      ],
      // Owed from the send: a request written behind an older one waits for that one's answer.
      answerDue: (state, key) =>
        state.context.mc[0]?.id === Number(key) &&
        !state.context.mc[0].behind &&
        state.context.mcDue !== null,
    }),
    ...(bounds.resetLatency > 0
      ? [
          {
            ...respondsWithin<McdiContext, McdiInput>({
              name: 'no-wait-for-lost-request',
              statement: `An async request the MC lost in a reboot is completed within ${bounds.resetLatency} tick(s) of efx_mcdi_ev_death handling the REBOOT (by the reset's flush), not left to its timer.`,
              source:
                'sources/sfc-mcdi-async.txt:380-382 ("The reset process will take care of this") and efx_mcdi_ev_death\'s efx_schedule_reset',
              ticks: bounds.resetLatency,
              // efx_mcdi_ev_death with an async request running that the reboot took: the MC
              // holds it no more, and the header still says so (nothing was written since).
              start: ({ from, to }) => {
                const running = from.context.asyncList[0];
                const deathHandled =
                  from.context.evq[0]?.code === 'REBOOT' &&
                  to.context.evq.length < from.context.evq.length &&
                  from.context.state === 'RUNNING_ASYNC';
                return deathHandled &&
                  running !== undefined &&
                  from.context.shmem === 'REBOOT' &&
                  find(from.context.ghosts, running.id)?.device === 'lost'
                  ? [`request ${running.id}`]
                  : [];
              },
              end: ({ outputs }) => outputs.filter(isComplete).map((o) => `request ${o.id}`),
            }),
            lint: {
              vacuous:
                'an MC reboot loses requests only with --bound reset=1 (ev-death-no-reset breaks it there)',
            },
          },
        ]
      : []),
    {
      kind: 'recoverable',
      name: 'can-return-to-quiescent',
      statement:
        'From every reachable state the interface can get back to QUIESCENT with every context idle.',
      source: 'sources/sfc-mcdi-async.txt:121 (mcdi->state = MCDI_STATE_QUIESCENT)',
      goal: (state: ModelState<McdiContext>) =>
        state.context.state === 'QUIESCENT' && allIdle(state),
    },
  ];
}
