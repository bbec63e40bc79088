import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  hashBytes,
  NotInternedError,
  StateCodec,
  UnencodableError,
} from '../src/explore/state-codec.ts';
import { StateStore } from '../src/explore/state-store.ts';

/**
 * The byte format, written the slow and obvious way: one recursive function, no caches, no
 * generated code. StateCodec specialises per object shape and per site; whatever it does, it
 * must write exactly these bytes (the store's exactness, the JSON-store equivalence test and
 * the worker threads all rely on it). Ids are given in first-seen order: a string when it is
 * written, a shape (the list of defined keys, in enumeration order) before its values.
 */
class ReferenceEncoder {
  private readonly strings = new Map<string, number>();
  private readonly shapes = new Map<string, number>();
  private out: number[] = [];

  encode(config: number, context: unknown, monitors: readonly unknown[]): Uint8Array {
    this.out = [];
    this.varint(config);
    this.value(context, true);
    for (const monitor of monitors) this.value(monitor, true);
    return Uint8Array.from(this.out);
  }

  private varint(value: number): void {
    while (value >= 128) {
      this.out.push((value % 128) + 128);
      value = Math.floor(value / 128);
    }
    this.out.push(value);
  }

  private value(value: unknown, topLevel: boolean): void {
    if (value === undefined && topLevel) return void this.out.push(208);
    if (value === null) return void this.out.push(200);
    if (value === false) return void this.out.push(201);
    if (value === true) return void this.out.push(202);
    if (typeof value === 'number') {
      if (Number.isInteger(value) && value >= 0 && value < 200) return void this.out.push(value);
      if (Number.isInteger(value) && Math.abs(value) <= 0x7fffffff) {
        this.out.push(203);
        return this.varint(value >= 0 ? value * 2 : -value * 2 - 1);
      }
      const bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setFloat64(0, value, true);
      this.out.push(204, ...bytes);
      return;
    }
    if (typeof value === 'string') {
      this.out.push(205);
      return this.varint(this.idOf(this.strings, value));
    }
    if (Array.isArray(value)) {
      this.out.push(206);
      this.varint(value.length);
      for (const item of value) this.value(item, false);
      return;
    }
    if (typeof value === 'object') {
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) throw new UnencodableError('not plain');
      const record = value as Record<string, unknown>;
      const keys: string[] = [];
      for (const key in record) if (record[key] !== undefined) keys.push(key);
      this.out.push(209);
      this.varint(this.idOf(this.shapes, JSON.stringify(keys)));
      for (const key of keys) this.value(record[key], false);
      return;
    }
    throw new UnencodableError(`a ${typeof value}`);
  }

  private idOf(table: Map<string, number>, key: string): number {
    let id = table.get(key);
    if (id === undefined) table.set(key, (id = table.size));
    return id;
  }
}

/** Keys that repeat (so shapes and sites repeat), in varying orders; '0' and '10' enumerate first. */
const key = fc.constantFrom('a', 'b', 'kind', 'slot', 'seq', '0', '10', 'with space');
const scalar = fc.oneof(
  fc.integer({ min: 0, max: 260 }),
  // Both sides of the one-byte limit (200) and of the varint byte boundaries.
  fc.constantFrom(0, 127, 128, 199, 200, 201, 255, 256, 16383, 16384),
  fc.integer({ min: -0x8000_0000, max: 0x8000_0000 }), // zigzag varints, and 2^31 as a float
  fc.constantFrom(-0, 0.5, -1.25, 2 ** 40, -(2 ** 53), Number.MAX_VALUE, 1e-300),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom('REQ', 'RESP', 'ABORT', '', 'ü'),
  fc.string({ maxLength: 4 }),
  fc.boolean(),
  fc.constant(null),
);
/** JSON-like data; undefined only as a property value (JSON drops the key). */
const { json } = fc.letrec<{ json: unknown; entry: [string, unknown] }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('json'), { maxLength: 5 }),
    fc.array(tie('entry'), { maxLength: 6 }).map((entries) => Object.fromEntries(entries)),
  ),
  entry: fc.tuple(key, fc.oneof(tie('json'), fc.constant(undefined))),
}));
/** A product state: configuration number, context, monitor states (a monitor may be undefined). */
const node = fc.tuple(
  fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 2 ** 40 })),
  json,
  fc.array(fc.oneof(json, fc.constant(undefined)), { maxLength: 3 }),
);

/** A copy of `template` with its scalars replaced, in order, by `leaves` (cycled). */
function refill(template: unknown, leaves: readonly unknown[]): unknown {
  let next = 0;
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, v === undefined ? undefined : walk(v)]),
      );
    }
    return leaves.length === 0 ? value : leaves[next++ % leaves.length];
  };
  return walk(template);
}
const leaves = fc.array(
  fc.oneof({ weight: 6, arbitrary: scalar }, { weight: 1, arbitrary: json }),
  {
    maxLength: 8,
  },
);
/**
 * Sequences in which the same shapes come back at the same places with other values (so the
 * per-shape writers and per-site caches are warm, then meet other strings, numbers, types),
 * several such families interleaved (so the caches also see other shapes at a place).
 */
const states = fc
  .array(
    fc.tuple(
      node,
      fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), leaves, leaves), { maxLength: 15 }),
    ),
    { minLength: 1, maxLength: 3 },
  )
  .map((families) => {
    const sequences = families.map(([first, variations]) => [
      first,
      ...variations.map(([config, contextLeaves, monitorLeaves]): [number, unknown, unknown[]] => [
        config,
        refill(first[1], contextLeaves),
        first[2].map((monitor) => refill(monitor, monitorLeaves)),
      ]),
    ]);
    const merged: Array<[number, unknown, unknown[]]> = [];
    for (let i = 0; merged.length < sequences.flat().length; i++) {
      for (const sequence of sequences) if (i < sequence.length) merged.push(sequence[i]);
    }
    return merged;
  });

const bytesOf = (codec: StateCodec): number[] => Array.from(codec.buffer.subarray(0, codec.length));

describe('StateCodec', () => {
  it('writes exactly the reference bytes for every state of a random sequence', () => {
    // One codec for the whole sequence, so that what it caches from one state meets the next.
    fc.assert(
      fc.property(states, (nodes) => {
        const codec = new StateCodec();
        const reference = new ReferenceEncoder();
        for (const [config, context, monitors] of nodes) {
          codec.encode(config, context, monitors);
          expect(bytesOf(codec)).toEqual(Array.from(reference.encode(config, context, monitors)));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('decodes every state JSON-equal to what it encoded', () => {
    fc.assert(
      fc.property(states, (nodes) => {
        const codec = new StateCodec();
        const store = new StateStore();
        const ids = nodes.map(([config, context, monitors]) => {
          const hash = codec.encode(config, context, monitors);
          return store.insert(codec.buffer, codec.length, hash);
        });
        nodes.forEach(([config, context, monitors], i) => {
          const decoded = codec.decode(
            store.segmentOf(ids[i]),
            store.offsetOf(ids[i]),
            monitors.length,
          );
          expect(decoded.config).toBe(config);
          expect(JSON.stringify(decoded.context)).toBe(JSON.stringify(context));
          expect(decoded.monitors.map((m) => JSON.stringify(m))).toEqual(
            monitors.map((m) => JSON.stringify(m)),
          );
        });
      }),
      { numRuns: 300 },
    );
  });

  it('gives two states equal bytes exactly when their JSON keys are equal', () => {
    // The pair is drawn from a small space so that equal JSON happens often; the copy through
    // JSON (which drops undefined properties) and a key-reversed copy test both directions.
    const small = fc.letrec<{ v: unknown }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.constantFrom(0, 1, -0, 199, 200, -1, 0.5, 'x', 'y', true, null),
        fc.array(tie('v'), { maxLength: 3 }),
        fc
          .array(
            fc.tuple(fc.constantFrom('p', 'q', 'r'), fc.oneof(tie('v'), fc.constant(undefined))),
            {
              maxLength: 3,
            },
          )
          .map((entries) => Object.fromEntries(entries)),
      ),
    })).v;
    const reversed = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(reversed);
      if (value === null || typeof value !== 'object') return value;
      return Object.fromEntries(
        Object.entries(value)
          .reverse()
          .map(([k, v]) => [k, reversed(v)]),
      );
    };
    fc.assert(
      fc.property(
        small,
        small,
        fc.constantFrom('other', 'json-copy', 'reversed'),
        (a, other, how) => {
          const b =
            how === 'other'
              ? other
              : how === 'json-copy'
                ? JSON.parse(JSON.stringify(a))
                : reversed(a);
          const codec = new StateCodec();
          codec.encode(0, a, []);
          const bytesA = bytesOf(codec);
          codec.encode(0, b, []);
          const bytesB = bytesOf(codec);
          expect(bytesA.join() === bytesB.join()).toBe(JSON.stringify(a) === JSON.stringify(b));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('writes states larger than its buffer whole, and the same bytes again after growing', () => {
    // The encoder writes without bounds checks and writes a state again when it did not fit:
    // the second pass must not give new ids (the strings were interned by the first).
    const codec = new StateCodec();
    const reference = new ReferenceEncoder();
    const big = {
      items: Array.from({ length: 3000 }, (_, i) => ({ name: `s${i}`, n: i, f: i + 0.5 })),
    };
    codec.encode(7, big, [undefined]);
    expect(codec.length).toBeGreaterThan(256 * 8);
    expect(bytesOf(codec)).toEqual(Array.from(reference.encode(7, big, [undefined])));
    expect(codec.tableSizes()).toEqual({ strings: 3000, shapes: 2 });
    const decoded = codec.decode(codec.buffer, 0, 1);
    expect(JSON.stringify(decoded.context)).toBe(JSON.stringify(big));
  });

  it('hashes equal states equally and spreads different ones', () => {
    const codec = new StateCodec();
    const hashes = new Set<number>();
    for (let i = 0; i < 5000; i++) hashes.add(codec.encode(i % 7, { a: i, b: [i % 3] }, []));
    expect(hashes.size).toBeGreaterThan(4990); // 32-bit hashes of 5000 distinct states
    expect(codec.encode(3, { a: 10, b: [1] }, [])).toBe(codec.encode(3, { a: 10, b: [1] }, []));
  });

  it('returns the hash of its bytes, word by word as byte by byte, at every length', () => {
    // encode hashes whole words of its buffer; hashBytes assembles them from bytes. Lengths
    // 1..40 cover every remainder mod 4 (the last partial word must not see stale bytes).
    const codec = new StateCodec();
    codec.encode(0, { filler: Array<number>(60).fill(7) }, []); // stale bytes behind the next ones
    for (let n = 0; n < 40; n++) {
      const hash = codec.encode(1, Array<number>(n).fill(1), []);
      expect(codec.length).toBe(n + 3);
      expect(hash).toBe(hashBytes(codec.buffer, 0, codec.length));
      expect(hash).toBe(
        hashBytes(Uint8Array.from(codec.buffer.subarray(0, codec.length)), 0, n + 3),
      );
    }
  });
});

describe('frozen codecs and table deltas', () => {
  const states: Array<[number, unknown, unknown[]]> = [
    [0, { kind: 'REQ', slot: 1, q: [{ kind: 'RESP', seq: 2 }] }, [undefined]],
    [1, { kind: 'ABORT', slot: 300, q: [] }, [{ phase: 'idle' }]],
  ];

  it('writes the same bytes as the codec it imported its tables from', () => {
    const main = new StateCodec();
    const expected = states.map(([c, x, m]) => (main.encode(c, x, m), bytesOf(main)));
    const worker = new StateCodec();
    worker.importTables(main.tablesSince({ strings: 0, shapes: 0 }));
    worker.frozen = true;
    states.forEach(([c, x, m], i) => {
      worker.encode(c, x, m);
      expect(bytesOf(worker)).toEqual(expected[i]);
      expect(worker.decode(worker.buffer, 0, m.length)).toEqual({
        config: c,
        context: x,
        monitors: m,
      });
    });
  });

  it('throws NotInternedError for a new string or a new shape, and gives no id', () => {
    const main = new StateCodec();
    for (const [c, x, m] of states) main.encode(c, x, m);
    const worker = new StateCodec();
    worker.importTables(main.tablesSince({ strings: 0, shapes: 0 }));
    worker.frozen = true;
    const sizes = worker.tableSizes();
    // A known shape with a string it has no id for (at a site whose cache holds another).
    expect(() => worker.encode(0, { kind: 'ABORT_ACK', slot: 1, q: [] }, [undefined])).toThrow(
      NotInternedError,
    );
    // Known strings in an unknown shape: the same keys in another order are another shape.
    expect(() => worker.encode(0, { slot: 1, kind: 'REQ', q: [] }, [undefined])).toThrow(
      NotInternedError,
    );
    // A nested new shape behind a known one.
    expect(() => worker.encode(0, states[0][1], [{ phase: 'idle', extra: 1 }])).toThrow(
      NotInternedError,
    );
    expect(worker.tableSizes()).toEqual(sizes);

    // The main thread gives the ids; the delta makes the worker write its bytes again.
    const fresh: [number, unknown, unknown[]] = [
      0,
      { slot: 1, kind: 'ABORT_ACK', q: [] },
      [undefined],
    ];
    const mark = main.tableSizes();
    main.encode(...fresh);
    const expected = bytesOf(main);
    const delta = main.tablesSince(mark);
    expect(delta).toEqual({ strings: ['ABORT_ACK'], shapes: [['slot', 'kind', 'q']] });
    worker.importTables(delta);
    worker.encode(...fresh);
    expect(bytesOf(worker)).toEqual(expected);
  });
});

describe('objects that are not plain data', () => {
  class Point {
    constructor(
      public x: number,
      public y: number,
    ) {}
  }
  const unencodable: Array<[string, unknown]> = [
    ['a Map', new Map([[1, 2]])],
    ['a Date', new Date(0)],
    ['a class instance', new Point(1, 2)],
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['a bigint', 1n],
    ['undefined inside an array', [1, undefined]],
    ['an own __proto__ key', JSON.parse('{"__proto__": 1}') as unknown],
  ];

  for (const [what, value] of unencodable) {
    it(`throws UnencodableError for ${what}, at the top, in a field and in an array`, () => {
      const codec = new StateCodec();
      expect(() => codec.encode(0, { v: value }, [])).toThrow(UnencodableError);
      expect(() => codec.encode(0, [1, value], [])).toThrow(UnencodableError);
      if (what !== 'undefined inside an array') {
        expect(() => codec.encode(0, value, [])).toThrow(UnencodableError);
      }
    });
  }

  it('throws for a class instance of the very shape its cache holds for that place', () => {
    // The per-shape writer is tried first: it must check the prototype, not only the keys.
    const codec = new StateCodec();
    codec.encode(0, { p: { x: 1, y: 2 }, list: [{ x: 1, y: 2 }] }, [{ x: 1, y: 2 }]);
    expect(() => codec.encode(0, { p: new Point(1, 2), list: [] }, [{ x: 1, y: 2 }])).toThrow(
      UnencodableError,
    );
    expect(() => codec.encode(0, { p: { x: 1, y: 2 }, list: [new Point(1, 2)] }, [])).toThrow(
      UnencodableError,
    );
    expect(() => codec.encode(0, { p: { x: 1, y: 2 }, list: [] }, [new Point(1, 2)])).toThrow(
      UnencodableError,
    );
  });

  it('encodes objects without a prototype like plain ones', () => {
    const codec = new StateCodec();
    const bare = Object.assign(Object.create(null) as object, { x: 1, y: 'a' });
    codec.encode(0, { p: bare }, []);
    const expected = bytesOf(codec);
    codec.encode(0, { p: { x: 1, y: 'a' } }, []);
    expect(bytesOf(codec)).toEqual(expected);
  });
});

describe('StateStore', () => {
  it('numbers distinct byte strings in insertion order through growth and rehashing', () => {
    const store = new StateStore();
    const codec = new StateCodec();
    const ids: number[] = [];
    // 20,000 states (several rehashes and arena doublings), each inserted twice.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 20_000; i++) {
        const hash = codec.encode(i % 5, { n: i, tag: i % 2 === 0 ? 'even' : 'odd' }, []);
        const id = store.insert(codec.buffer, codec.length, hash);
        expect(store.added).toBe(round === 0);
        if (round === 0) ids.push(id);
        else expect(id).toBe(ids[i]);
      }
    }
    expect(ids).toEqual(ids.map((_, i) => i));
    expect(store.size).toBe(20_000);
    const decoded = codec.decode(store.segmentOf(12_345), store.offsetOf(12_345), 0);
    expect(decoded).toEqual({
      config: 12_345 % 5,
      context: { n: 12_345, tag: 'odd' },
      monitors: [],
    });
  });

  it('tells apart states whose hashes are equal', () => {
    // Same hash, different bytes: only the byte compare separates them.
    const store = new StateStore();
    const a = Uint8Array.from([1, 2, 3]);
    const b = Uint8Array.from([1, 2, 4]);
    const c = Uint8Array.from([1, 2]);
    expect(store.insert(a, 3, 42)).toBe(0);
    expect(store.insert(b, 3, 42)).toBe(1);
    expect(store.insert(c, 2, 42)).toBe(2);
    expect(store.insert(b, 3, 42)).toBe(1);
    expect(store.added).toBe(false);
  });

  it('compares whole words and the tail, from buffers at any offset', () => {
    // Same hash and length, one byte differs: the last byte of the first word, the third of the
    // second word, the first and the last byte of the partial last word. The store compares four bytes at a time when the array starts at offset 0
    // (the codec's buffer) and byte by byte otherwise (a subarray of a worker's batch).
    const store = new StateStore();
    const base = Array.from({ length: 11 }, (_, i) => i + 1);
    const variants = [base, ...[3, 6, 8, 10].map((at) => base.map((v, i) => (i === at ? 99 : v)))];
    const atZero = variants.map((v) => Uint8Array.from(v));
    const shifted = variants.map((v) => {
      const batch = new Uint8Array(3 + v.length);
      batch.set(v, 3);
      return batch.subarray(3);
    });
    const ids = [0, 1, 2, 3, 4];
    expect(atZero.map((bytes) => store.insert(bytes, 11, 7))).toEqual(ids);
    expect(shifted.map((bytes) => store.insert(bytes, 11, 7))).toEqual(ids);
    expect(atZero.map((bytes) => store.insert(bytes, 11, 7))).toEqual(ids);
    expect(store.size).toBe(5);
    // A worker's reply: every state back to back in one array, inserted by offset (the
    // word compare reads at `offset + i`, the tail byte by byte).
    const reply = new Uint8Array(5 + 5 * 11);
    variants.forEach((v, k) => reply.set(v, 5 + 11 * k));
    expect(variants.map((_, k) => store.insert(reply, 11, 7, 5 + 11 * k))).toEqual(ids);
    expect(store.added).toBe(false);
    const other = base.map((v) => v + 100);
    reply.set(other, 5 + 11 * 2);
    expect(store.insert(reply, 11, 7, 5 + 11 * 2)).toBe(5);
    const added = store.offsetOf(5);
    expect([...store.segmentOf(5).subarray(added, added + 11)]).toEqual(other);
    expect(store.lengthOf(5)).toBe(11);
  });

  it('keeps every state whole in one segment, across segment boundaries', () => {
    // Segments of 64 bytes (the explorer's are 64 MiB): states of 1 to 40 bytes fill them
    // unevenly, so many end exactly at, just before and across a boundary, and one state of
    // 150 bytes needs a segment of its own.
    const store = new StateStore(64);
    const lengths = Array.from({ length: 300 }, (_, i) => (i === 123 ? 150 : 1 + ((i * 7) % 40)));
    const stateBytes = lengths.map((length, i) =>
      Uint8Array.from({ length }, (_, j) => (i * 31 + j * 17 + length) & 0xff),
    );
    const hashes = stateBytes.map((bytes) => hashBytes(bytes, 0, bytes.length));
    const ids = stateBytes.map((bytes, i) => store.insert(bytes, bytes.length, hashes[i]));
    expect(ids).toEqual(lengths.map((_, i) => i));
    // The first segment grows up to 64 bytes; every other one is new, so there are about as
    // many segments as 64-byte loads of states.
    const total = lengths.reduce((a, b) => a + b, 0);
    expect(store.segmentCount).toBeGreaterThanOrEqual(Math.ceil((total - 150) / 64));
    stateBytes.forEach((bytes, i) => {
      const segment = store.segmentOf(i);
      const offset = store.offsetOf(i);
      expect(store.lengthOf(i), `state ${i}`).toBe(bytes.length);
      expect(offset + bytes.length).toBeLessThanOrEqual(segment.length);
      expect([...segment.subarray(offset, offset + bytes.length)], `state ${i}`).toEqual([
        ...bytes,
      ]);
    });
    // Found again, wherever they are: the first, last and large ones, and every state that
    // opens or closes a segment (length check against the segment's end).
    stateBytes.forEach((bytes, i) => {
      expect(store.insert(bytes, bytes.length, hashes[i])).toBe(i);
      expect(store.added).toBe(false);
    });
    // A state that is the prefix of a stored one that ends a segment is another state.
    const last =
      stateBytes.findIndex((_, i) => i > 0 && store.segmentOf(i) !== store.segmentOf(i - 1)) - 1;
    const prefix = stateBytes[last].subarray(0, stateBytes[last].length - 1);
    expect(store.insert(prefix, prefix.length, hashes[last])).toBe(300);
    expect(store.added).toBe(true);
  });

  it('copies a run of states spanning segments as one contiguous batch (what a worker gets)', () => {
    const store = new StateStore(64);
    const stateBytes = Array.from({ length: 120 }, (_, i) =>
      Uint8Array.from({ length: 1 + ((i * 11) % 30) }, (_, j) => (i * 7 + j) & 0xff),
    );
    stateBytes.forEach((bytes) =>
      store.insert(bytes, bytes.length, hashBytes(bytes, 0, bytes.length)),
    );
    expect(store.segmentCount).toBeGreaterThan(10);
    // Every run that starts or ends in the first segment, at a boundary, or inside one.
    for (const [start, end] of [
      [0, 120],
      [0, 1],
      [5, 6],
      [3, 57],
      [40, 120],
      [119, 120],
      [60, 60],
    ]) {
      const { bytes, offsets } = store.copyStates(start, end);
      expect(offsets).toHaveLength(end - start + 1);
      expect(offsets[end - start]).toBe(bytes.length);
      for (let i = start; i < end; i++) {
        const copy = bytes.subarray(offsets[i - start], offsets[i - start + 1]);
        expect([...copy], `states ${start}..${end}: state ${i}`).toEqual([...stateBytes[i]]);
      }
    }
  });

  it('keeps a first state larger than a segment (the first segment is then left empty)', () => {
    const store = new StateStore(16);
    const big = Uint8Array.from({ length: 40 }, (_, j) => j);
    const small = Uint8Array.of(9, 9);
    expect(store.insert(big, 40, hashBytes(big, 0, 40))).toBe(0);
    expect(store.insert(small, 2, hashBytes(small, 0, 2))).toBe(1);
    expect(store.lengthOf(0)).toBe(40);
    expect(store.lengthOf(1)).toBe(2);
    expect(store.insert(big, 40, hashBytes(big, 0, 40))).toBe(0);
    const { bytes, offsets } = store.copyStates(0, 2);
    expect([...offsets]).toEqual([0, 40, 42]);
    expect([...bytes]).toEqual([...big, 9, 9]);
  });
});
