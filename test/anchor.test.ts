import { describe, expect, it } from 'vitest';
import { anchorModel } from '../bench/anchor-mailbox.ts';
import { models } from '../machines/registry.ts';
import { explore } from '../src/explore/explore.ts';
import { StateCodec } from '../src/explore/state-codec.ts';
import { StateStore } from '../src/explore/state-store.ts';

describe('benchmark anchor (SPIN twin)', () => {
  it('has exactly the distinct states and transitions SPIN reports (3 slots, SEQMOD 4, QLEN 2)', () => {
    // bench/anchor/README.md: 346,785 states, 852,148 transitions (= stored +
    // matched, which counts the initial state once more than the successors generated).
    const result = explore(anchorModel);
    expect(result.complete).toBe(true);
    expect(result.states).toBe(346_785);
    expect(result.transitions + 1).toBe(852_148);
    expect(result.properties.every((p) => p.holds === true)).toBe(true);
  }, 120_000);

  it('-DBUGGY: a stale reply completes a later request after 11 steps, the shortest', () => {
    // BFS numbers states by depth, so the first violation found has a shortest trace; the
    // budget only cuts the run short after that.
    const result = explore(anchorModel, { variants: ['buggy-timeout'], maxStates: 30_000 });
    const ghost = result.properties.find((p) => p.name === 'ghost-generation')!;
    expect(ghost.holds).toBe(false);
    const steps = ghost.trace!.steps;
    expect(steps).toHaveLength(11);
    // It ends with the host accepting a reply of the other generation.
    const last = steps[steps.length - 1];
    expect(last.event.type).toBe('host.complete');
    expect(last.outputs[0]).toMatchObject({ type: 'accepted' });
    expect(steps.filter((s) => s.event.type === 'host.issue')).toHaveLength(5);
  }, 60_000);
});

describe('compact state store', () => {
  it('decodes what it encodes, JSON-equal, and tells different states apart', () => {
    const codec = new StateCodec();
    const store = new StateStore();
    const values: unknown[] = [
      { a: 1, b: [1, 2, { c: 'x' }], d: null, e: true, f: false },
      { b: [1, 2, { c: 'x' }], a: 1, d: null, e: true, f: false }, // other key order: other JSON
      { a: 1, b: [1, 2, { c: 'y' }], d: null, e: true, f: false },
      { a: -5, b: [250, 1e9, 2.5, -0.5], d: 'x', e: [], f: {} },
      { a: 1, skipped: undefined, z: 2 },
      { a: 1, z: 2 }, // JSON-equal to the previous one
      [[], [[]], ''],
    ];
    const ids = values.map((value) => {
      const hash = codec.encode(3, value, [undefined, { n: 1 }]);
      return store.insert(codec.buffer, codec.length, hash);
    });
    expect(ids).toEqual([0, 1, 2, 3, 4, 4, 5]);
    values.forEach((value, i) => {
      const decoded = codec.decode(store.segmentOf(ids[i]), store.offsetOf(ids[i]), 2);
      expect(decoded.config).toBe(3);
      expect(JSON.stringify(decoded.context)).toBe(JSON.stringify(value));
      expect(decoded.monitors).toEqual([undefined, { n: 1 }]);
    });
  });

  it('explores every registered model and variant exactly as the JSON-keyed store does', () => {
    for (const model of models) {
      for (const variants of [[], ...model.variants.map((v) => [v.name])]) {
        const compact = explore(model, { variants, maxStates: 500 });
        const json = explore(model, { variants, maxStates: 500, store: 'json' });
        const verdicts = (r: typeof json) =>
          r.properties.map((p) => [p.name, p.holds, p.trace?.steps.length]);
        expect([compact.states, compact.transitions, compact.depth]).toEqual([
          json.states,
          json.transitions,
          json.depth,
        ]);
        expect(verdicts(compact)).toEqual(verdicts(json));
      }
    }
  }, 300_000);
});
