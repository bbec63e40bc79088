/**
 * The benchmark anchor (bench/anchor/mailbox-3slots.pml) as an XState machine.
 *
 * Step for step: each Promela `atomic` block is one event, and each arm of the device's
 * nondeterministic `if` is its own event (respond, lose, duplicate), so a successor here is a
 * successor in SPIN. The two proctypes are two parallel regions with one control state each
 * (every atomic block returns to the head of its `do` loop). The locals k, s, q, g are reset
 * to 0 at the end of every block, so they are constant in every stored state and are left out;
 * the context is exactly the rest of SPIN's state vector: st[], sq[], gen[], next_seq and the
 * two channels. That is why the explorer must find exactly SPIN's number of distinct states.
 *
 * Not a protocol (it is not in machines/registry.ts): it exists to measure the explorer.
 */
import { assign, emit, setup } from 'xstate';
import { defineModel, type Property } from '../src/model/model.ts';

export const FREE = 0;
export const PENDING = 1;
export const ABORTING = 2;
/** GENMOD in the Promela file: the ghost generation is a bit. */
const GENMOD = 2;

export type Kind = 'REQ' | 'ABORT' | 'RESP' | 'ABORT_ACK';

/** One channel message: `{ mtype, byte, byte, byte }` = kind, slot, seq, ghost gen. */
export interface Message {
  kind: Kind;
  slot: number;
  seq: number;
  gen: number;
}

export interface AnchorContext {
  st: number[];
  sq: number[];
  gen: number[];
  nextSeq: number;
  h2d: Message[];
  d2h: Message[];
}

export type AnchorEvent =
  | { type: 'host.issue'; slot: number }
  | { type: 'host.timeout'; slot: number }
  | { type: 'host.complete' }
  | { type: 'device.respond' }
  | { type: 'device.lose' }
  | { type: 'device.duplicate' }
  | { type: 'device.ack' };

/** What the host's completion path did with the head of d2h. */
type Completion = { type: 'accepted'; slot: number; gen: number } | { type: 'discarded' };

const BUGGY = 'buggy-timeout';

const setAt = (array: number[], index: number, value: number): number[] => {
  const copy = array.slice();
  copy[index] = value;
  return copy;
};

export const anchorModel = defineModel<AnchorContext, AnchorEvent>({
  name: 'anchor',
  module: import.meta.url,
  title: 'Benchmark anchor: slotted host/device mailbox (SPIN twin)',
  seed: 'bench/anchor/mailbox-3slots.pml',
  bounds: [
    { name: 'slots', default: 3, min: 1, max: 4, description: 'NSLOTS: request slots' },
    { name: 'seqMod', default: 4, min: 1, max: 8, description: 'SEQMOD: seqnos wrap here' },
    { name: 'qlen', default: 2, min: 1, max: 3, description: 'QLEN: capacity of each channel' },
  ],
  variants: [
    {
      name: BUGGY,
      description: 'a timeout frees the slot at once, with no abort handshake (-DBUGGY)',
      source: 'mailbox-3slots.pml: #ifdef BUGGY, atomic { st[i]==PENDING -> st[i]=FREE }',
      breaks: ['ghost-generation'],
    },
  ],
  build({ bounds, variants }) {
    const { slots, seqMod, qlen } = bounds;
    const buggy = variants.has(BUGGY);
    const nfull = (queue: Message[]) => queue.length < qlen;
    const head = (queue: Message[]): Message | undefined => queue[0];
    const slotOf = (event: AnchorEvent) => ('slot' in event ? event.slot : -1);
    /** The completion path's first two arms: the head of d2h completes its slot. */
    const completes = (context: AnchorContext): boolean => {
      const m = context.d2h[0];
      if (m === undefined) return false;
      const wanted = m.kind === 'RESP' ? PENDING : m.kind === 'ABORT_ACK' ? ABORTING : -1;
      return context.st[m.slot] === wanted && context.sq[m.slot] === m.seq;
    };

    const machine = setup({
      types: {} as { context: AnchorContext; events: AnchorEvent; emitted: Completion },
      guards: {
        canIssue: ({ context, event }) => context.st[slotOf(event)] === FREE && nfull(context.h2d),
        canTimeout: ({ context, event }) =>
          context.st[slotOf(event)] === PENDING && (buggy || nfull(context.h2d)),
        hasReply: ({ context }) => context.d2h.length > 0,
        completes: ({ context }) => completes(context),
        /* The device's block guard: nfull(d2h) && nempty(h2d), and the head's kind. */
        requestAtHead: ({ context }) => nfull(context.d2h) && head(context.h2d)?.kind === 'REQ',
        abortAtHead: ({ context }) => nfull(context.d2h) && head(context.h2d)?.kind === 'ABORT',
        /* len(d2h) < QLEN-1 (the dequeue from h2d does not change d2h). */
        roomForTwo: ({ context }) =>
          nfull(context.d2h) && head(context.h2d)?.kind === 'REQ' && context.d2h.length < qlen - 1,
      },
      actions: {
        issue: assign(({ context, event }) => {
          const s = slotOf(event);
          const seq = context.nextSeq;
          const gen = (context.gen[s] + 1) % GENMOD;
          return {
            st: setAt(context.st, s, PENDING),
            sq: setAt(context.sq, s, seq),
            nextSeq: (seq + 1) % seqMod,
            gen: setAt(context.gen, s, gen),
            h2d: [...context.h2d, { kind: 'REQ' as const, slot: s, seq, gen }],
          };
        }),
        timeout: assign(({ context, event }) => {
          const s = slotOf(event);
          if (buggy) return { st: setAt(context.st, s, FREE) };
          return {
            st: setAt(context.st, s, ABORTING),
            h2d: [
              ...context.h2d,
              { kind: 'ABORT' as const, slot: s, seq: context.sq[s], gen: context.gen[s] },
            ],
          };
        }),
        accept: assign(({ context }) => ({
          st: setAt(context.st, context.d2h[0].slot, FREE),
          d2h: context.d2h.slice(1),
        })),
        reportAccept: emit(({ context }) => ({
          type: 'accepted' as const,
          slot: context.d2h[0].slot,
          gen: context.d2h[0].gen,
        })),
        discard: assign(({ context }) => ({ d2h: context.d2h.slice(1) })),
        reportDiscard: emit({ type: 'discarded' as const }),
        /* The device's block: h2d?k,s,q,g then one of the arms. */
        respond: assign(({ context }) => ({
          h2d: context.h2d.slice(1),
          d2h: [...context.d2h, { ...context.h2d[0], kind: 'RESP' as const }],
        })),
        lose: assign(({ context }) => ({ h2d: context.h2d.slice(1) })),
        duplicate: assign(({ context }) => {
          const reply = { ...context.h2d[0], kind: 'RESP' as const };
          return { h2d: context.h2d.slice(1), d2h: [...context.d2h, reply, { ...reply }] };
        }),
        acknowledge: assign(({ context }) => ({
          h2d: context.h2d.slice(1),
          d2h: [...context.d2h, { ...context.h2d[0], kind: 'ABORT_ACK' as const }],
        })),
      },
    }).createMachine({
      id: 'anchor',
      type: 'parallel',
      context: {
        st: Array<number>(slots).fill(FREE),
        sq: Array<number>(slots).fill(0),
        gen: Array<number>(slots).fill(0),
        nextSeq: 0,
        h2d: [],
        d2h: [],
      },
      states: {
        Host: {
          initial: 'end_host',
          states: {
            end_host: {
              on: {
                'host.issue': { guard: 'canIssue', actions: 'issue' },
                'host.timeout': { guard: 'canTimeout', actions: 'timeout' },
                'host.complete': [
                  { guard: 'completes', actions: ['reportAccept', 'accept'] },
                  { guard: 'hasReply', actions: ['reportDiscard', 'discard'] },
                ],
              },
            },
          },
        },
        Device: {
          initial: 'end_dev',
          states: {
            end_dev: {
              on: {
                'device.respond': { guard: 'requestAtHead', actions: 'respond' },
                'device.lose': { guard: 'requestAtHead', actions: 'lose' },
                'device.duplicate': { guard: 'roomForTwo', actions: 'duplicate' },
                'device.ack': { guard: 'abortAtHead', actions: 'acknowledge' },
              },
            },
          },
        },
      },
    });

    // The alphabet is the same in every state (one entry per atomic block and arm); the
    // guards decide which are enabled, exactly like the Promela guards.
    const alphabet: AnchorEvent[] = [];
    for (let s = 0; s < slots; s++) {
      alphabet.push({ type: 'host.issue', slot: s }, { type: 'host.timeout', slot: s });
    }
    alphabet.push(
      { type: 'host.complete' },
      { type: 'device.respond' },
      { type: 'device.lose' },
      { type: 'device.duplicate' },
      { type: 'device.ack' },
    );

    const properties: Property<AnchorContext, AnchorEvent>[] = [
      {
        kind: 'step',
        name: 'ghost-generation',
        statement:
          'A completion the host accepts belongs to the request it completes (same ghost generation).',
        source: 'mailbox-3slots.pml: assert(gen[s]==g) in the completion path',
        check: ({ from, outputs }) => {
          for (const output of outputs) {
            if (output.type !== 'accepted') continue;
            const { slot, gen } = output as Completion & { type: 'accepted' };
            if (from.context.gen[slot] !== gen) {
              return `slot ${slot} accepted a reply of generation ${gen}, its request is generation ${from.context.gen[slot]}`;
            }
          }
          return true;
        },
      },
    ];
    // The slots are interchangeable: every slot has the same events, the host never prefers
    // one, and a message names its slot, which a permutation must rename.
    const symmetry = [
      { name: 'slots', arrays: ['st', 'sq', 'gen'], indices: ['h2d[].slot', 'd2h[].slot'] },
    ];
    return { machine, events: () => alphabet, properties, symmetry };
  },
});
