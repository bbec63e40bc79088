import fc from 'fast-check';
import { assign, emit, initialTransition, setup, transition } from 'xstate';
import { describe, expect, it } from 'vitest';
import { CompiledMachine, ModelCompileError } from '../src/model/compiled.ts';
import { resolveConfig } from '../src/model/config.ts';
import type { ModelDefinition, ModelInstance } from '../src/model/model.ts';
import { models } from '../machines/registry.ts';
import { toyModel } from './fixtures/toy-mailbox.ts';
import { disagreement } from './helpers/equivalence.ts';

/** A machine that exercises what the compiler must get right: nesting, parallel regions,
 * entry/exit order, reentry, eventless transitions and guards with parameters. */
const tricky = setup({
  types: {} as {
    context: { log: string[]; n: number };
    events: { type: 'A' } | { type: 'B' } | { type: 'C' };
  },
  guards: { below: ({ context }, params: { limit: number }) => context.n < params.limit },
  actions: {
    note: assign({
      log: ({ context }, params: { text: string }) => [...context.log.slice(-3), params.text],
    }),
    bump: assign({ n: ({ context }) => (context.n + 1) % 4 }),
    say: emit(({ context }) => ({ type: 'said', n: context.n })),
  },
}).createMachine({
  id: 'tricky',
  context: { log: [], n: 0 },
  type: 'parallel',
  states: {
    left: {
      initial: 'one',
      entry: { type: 'note', params: { text: 'enter left' } },
      states: {
        one: {
          exit: { type: 'note', params: { text: 'exit one' } },
          on: { A: { target: 'two', actions: ['bump', 'say'] } },
        },
        two: {
          initial: 'deep',
          entry: { type: 'note', params: { text: 'enter two' } },
          states: { deep: { on: { B: { target: 'deep', reenter: true, actions: 'bump' } } } },
          always: { guard: { type: 'below', params: { limit: 1 } }, target: 'one' },
          on: { C: '#tricky.left.one' },
        },
      },
    },
    right: {
      initial: 'off',
      states: {
        off: {
          on: {
            A: { guard: { type: 'below', params: { limit: 3 } }, target: 'on', actions: 'say' },
          },
        },
        on: {
          on: { B: { target: 'off', actions: { type: 'note', params: { text: 'right off' } } } },
        },
      },
    },
  },
});

const trickyInstance: ModelInstance = {
  machine: tricky,
  events: () => [{ type: 'A' }, { type: 'B' }, { type: 'C' }],
  properties: [],
};

function instancesOf(model: ModelDefinition): Array<[string, ModelInstance]> {
  const configs = [[], ...model.variants.map((variant) => [variant.name])];
  return configs.map((variants) => [
    `${model.name}${variants.length ? ` (${variants[0]})` : ''}`,
    model.build(resolveConfig(model, { variants })),
  ]);
}

const walks = fc.array(fc.nat({ max: 1000 }), { minLength: 1, maxLength: 60, size: 'max' });

describe('the compiled stepper agrees with XState transition()', () => {
  const cases: Array<[string, ModelInstance]> = [
    ['tricky', trickyInstance],
    ...[toyModel, ...models].flatMap(instancesOf),
  ];
  it.each(cases)('on random walks of %s', (_name, instance) => {
    fc.assert(
      fc.property(walks, (choices) => {
        const problem = disagreement(instance, choices);
        if (problem) throw new Error(problem);
      }),
      { numRuns: 60, seed: 42 },
    );
  });
});

describe('the compiler rejects what it cannot run', () => {
  it('names the state that uses a delayed transition', () => {
    const machine = setup({}).createMachine({
      id: 'delayed',
      initial: 'a',
      states: { a: { after: { 1000: 'b' } }, b: {} },
    });
    expect(() => new CompiledMachine(machine)).toThrow(ModelCompileError);
    expect(() => new CompiledMachine(machine)).toThrow(/delayed\.a.*after/);
  });

  it('rejects inline side-effect actions', () => {
    const machine = setup({}).createMachine({
      id: 'effects',
      initial: 'a',
      states: { a: { on: { GO: { actions: () => console.log('side effect') } } } },
    });
    expect(() => new CompiledMachine(machine)).toThrow(/inline side-effect/);
  });

  it('reports a disabled event as null and an enabled one with the transition taken', () => {
    const compiled = new CompiledMachine(tricky);
    const { state } = compiled.initial();
    expect(compiled.step(state, { type: 'C' })).toBeNull();
    // A bumps n to 1, so left.two's eventless guard (n < 1) stays closed: both regions' A only.
    const result = compiled.step(state, { type: 'A' })!;
    expect(result.transitions.map((id) => compiled.transitions[id].label)).toEqual([
      'tricky.left.one:A:0',
      'tricky.right.off:A:0',
    ]);
    expect(result.outputs).toEqual([
      { type: 'said', n: 1 },
      { type: 'said', n: 1 },
    ]);
  });

  it('merges a function assign as XState does, and runs property assigners of an object one', () => {
    // A function assigner's result is merged as it is (a function value stays a value); in an
    // object assigner a function is a property assigner and is called.
    const keep = () => 'kept';
    const machine = setup({
      types: {} as { context: { f: unknown; g: unknown; n: number }; events: { type: 'GO' } },
    }).createMachine({
      context: { f: null, g: null, n: 1 },
      on: {
        GO: {
          actions: [assign(() => ({ f: keep })), assign({ g: ({ context }) => context.n + 1 })],
        },
      },
    });
    const compiled = new CompiledMachine(machine);
    const next = compiled.step(compiled.initial().state, { type: 'GO' })!;
    expect(next.state.context).toEqual({ f: keep, g: 2, n: 1 });
    const [start] = initialTransition(machine);
    const [after] = transition(machine, start, { type: 'GO' });
    expect(after.context).toEqual(next.state.context);
    expect((after.context as { f: unknown }).f).toBe(keep);
  });
});
