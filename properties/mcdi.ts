/**
 * What must hold of the MCDI model (machines/mcdi.ts). Sources are lines of
 * sources/sfc-mcdi-async.txt.
 */
import type { ModelConfig, ModelState, Output, Property } from '../src/model/model.ts';
import { ENETDOWN, type McdiContext, type McdiInput } from '../machines/mcdi.ts';

type McdiProperty = Property<McdiContext, McdiInput>;

const isComplete = (o: Output): o is Output & { id: number; rc: number; resp: number | null } =>
  o.type === 'complete';

/** Ids whose rpc_async returned `rc` in this step. */
const asyncReturns = (outputs: readonly Output[], rc: (value: number) => boolean): number[] =>
  outputs.filter((o) => o.type === 'rpc_async_rc' && rc(o.rc as number)).map((o) => o.id as number);

const allIdle = (state: ModelState<McdiContext>) =>
  state.matches('process.IDLE') &&
  state.matches('caller.IDLE') &&
  state.matches('napi.IDLE') &&
  state.matches('timer.IDLE');

export function mcdiProperties(_config: ModelConfig): McdiProperty[] {
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
        'sources/sfc-mcdi-async.txt:184-201 (efx_mcdi_ev_cpl seqno check; "A subsequent invocation would increment seqno")',
      check: ({ outputs }) => {
        for (const o of outputs) {
          if (o.type !== 'complete' && o.type !== 'rpc_done') continue;
          if (o.rc === 0 && o.resp !== o.id) {
            return `request ${o.id as number} finished with rc 0 and the response to ${
              o.resp === null ? 'no request' : `request ${o.resp as number}`
            }`;
          }
        }
        return true;
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
      name: 'no-completer-after-enetdown',
      statement:
        'A request that efx_mcdi_rpc_async rejects with -ENETDOWN (outside EVENTS mode) is freed and never put on async_list, so its completer can never be called.',
      source: 'sources/sfc-mcdi-async.txt:283-285 (kfree(async); rc = -ENETDOWN)',
      check: ({ outputs, to }) => {
        const queued = asyncReturns(outputs, (rc) => rc !== 0).filter((id) =>
          to.context.asyncList.includes(id),
        );
        return (
          queued.length === 0 ||
          `request ${queued[0]} was rejected with -ENETDOWN but is on async_list`
        );
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
        if (from.matches('process.FLUSH_DEL_TIMER') && !to.matches('process.FLUSH_DEL_TIMER')) {
          next = [...from.context.asyncList];
        }
        if (next === null) return null;
        for (const o of outputs.filter(isComplete)) {
          if (!next.includes(o.id)) continue;
          if (o.rc !== ENETDOWN) {
            return { violation: `request ${o.id} completed with ${o.rc} during the flush` };
          }
          next = next.filter((id) => id !== o.id);
        }
        if (to.matches('process.IDLE')) {
          return next.length === 0
            ? null
            : { violation: `flush_async returned with ${next.join(', ')} not completed` };
        }
        return next;
      },
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
        ) || `request ${context.asyncList[0]} is queued but nobody will start it`,
    },
    {
      kind: 'recoverable',
      name: 'can-return-to-quiescent',
      statement:
        'From every reachable state the interface can get back to QUIESCENT with every context idle.',
      source: 'sources/sfc-mcdi-async.txt:121 (mcdi->state = MCDI_STATE_QUIESCENT)',
      goal: (state) => state.context.state === 'QUIESCENT' && allIdle(state),
    },
  ];
}
