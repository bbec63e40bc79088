/**
 * The state codec: a product state as a compact byte string, and back (the visited set,
 * src/explore/state-store.ts, stores these strings).
 *
 * `StateCodec` turns a product state (configuration number, context, monitor states) into
 * bytes and back. The encoding is injective on JSON values (every value carries a one-byte
 * tag, arrays and objects their length), so two states share bytes exactly when they share
 * the JSON key the explorer used before: storage is exact, there are no fingerprints and no
 * collisions. Integers 0..199 (configuration-sized numbers, slots, seqnos) take one byte;
 * strings and object keys are interned to small numbers. Because the bytes decode back to the
 * state, the explorer needs no frontier of snapshots: state i is decoded when its turn comes.
 *
 * A value that is not plain JSON data (a Map, a class instance, a function, a symbol) throws
 * `UnencodableError`; the explorer then falls back to JSON keys.
 *
 * Speed (the codec is a third of the explorer's time): `StateCodec.writeValue` is the generic
 * writer and the specification of the bytes. Each object shape also gets generated code
 * (`shapeWriter` per shape and place in the state, `shapeBuilder` per shape) that writes and
 * reads its fields inline, with caches per place (`Site`: the last shape, the last string seen
 * there), and falls back to the generic writer on anything else. Writes go to the buffer
 * unchecked: a state that did not fit is written again into a bigger buffer.
 * test/state-store.test.ts checks the bytes against a plain reference encoder.
 */
export class UnencodableError extends Error {}

/**
 * Thrown by a `frozen` codec asked to write a string or an object shape it has no id for.
 * Worker threads encode with frozen copies of the main thread's tables, so that every thread
 * writes the same bytes for the same state; a state that needs a new id goes back to the main
 * thread as an object, and the new ids reach the workers as a `CodecTables` delta.
 */
export class NotInternedError extends Error {}
const NOT_INTERNED = new NotInternedError('a string or object shape without an id');

/** The interned strings and object shapes (key lists) added since some earlier sizes. */
export interface CodecTables {
  strings: string[];
  shapes: string[][];
}

const SMALL_LIMIT = 200; // tags 0..199 are the integer itself
const T_NULL = 200;
const T_FALSE = 201;
const T_TRUE = 202;
const T_INT = 203; // zigzag varint
const T_FLOAT = 204; // 8 bytes, little-endian float64
const T_STRING = 205; // varint string id
const T_ARRAY = 206; // varint length, then the items
const T_OBJECT = 207; // varint property count, then (varint key id, value) pairs
const T_UNDEFINED = 208; // only at the top level (a monitor state may be undefined)
const T_SHAPE = 209; // varint shape id, then the values in the shape's key order

/**
 * Writes `record` at `pos` and returns the position after it if `record` is plain data
 * (prototype Object.prototype or null) of exactly one shape, else returns -1 (having written
 * nothing that counts).
 */
type ShapeWriter = (record: object, codec: StateCodec, buffer: Uint8Array, pos: number) => number;

/**
 * The encoder's caches for one place in a state: the context's root, one monitor, one field of
 * an object at some place, or the items of an array found there. A place mostly holds the same
 * kind of value every time (the same object shape, often the same string), so trying the last
 * one first avoids the generic dispatch and the string table. Caches only: the bytes never
 * depend on them.
 *
 * Each place has its own generated writer per shape, not one per shape for the whole state:
 * objects of one shape made at different places in the model (literals, spreads, our builder)
 * have different hidden classes, and one writer seeing them all would make V8's property loads
 * megamorphic; one place sees few of them.
 */
class Site {
  /** The writer of the shape last written here. */
  write: ShapeWriter | undefined = undefined;
  /** The string last written here and its id (an id never changes once given). */
  str: string | undefined = undefined;
  id = 0;
  /** The site of the items of an array written here (made on first use). */
  items: Site | undefined = undefined;
  /** Per shape id: this place's writer for the shape and the sites of its fields. */
  readonly shapes: Array<{ write: ShapeWriter; fields: Site[] } | undefined> = [];
}

interface Shape {
  id: number;
  /** The object's defined keys, in enumeration order. */
  keys: string[];
  /** Reads the values at the codec's read position and builds the object (one hidden class). */
  build: (codec: StateCodec) => Record<string, unknown>;
}

/** Whether the defined keys of `record`, in order, are exactly `keys`. */
function hasShape(record: Record<string, unknown>, keys: readonly string[]): boolean {
  let i = 0;
  for (const key in record) {
    if (record[key] === undefined) continue;
    if (keys[i] !== key) return false;
    i++;
  }
  return i === keys.length;
}

/**
 * Writes `value` (a non-negative integer below 2^53) as a little-endian base-128 varint at
 * `pos` and returns the position after it. Bytes past the buffer's end are dropped (typed
 * arrays ignore them); `encode` then grows the buffer and writes the state again.
 */
function writeVarint(buffer: Uint8Array, pos: number, value: number): number {
  while (value >= 0x80) {
    buffer[pos++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  buffer[pos++] = value;
  return pos;
}

/** Whether `value` is written as its own one-byte tag. (-0 is: JSON writes it as 0.) */
const SMALL_TEST = (v: string): string =>
  `${v} >= 0 && ${v} < ${SMALL_LIMIT} && (${v} | 0) === ${v}`;

/**
 * Generated code writing the value held in variable `v` at `b[p]` (advancing `p`), with the
 * caches of site `s`. The common cases are inline: small integers, null and booleans (fields
 * such as deadlines and flags: most of a protocol's context), strings with the site's last
 * string, arrays (of small integers, of the items' last string, of objects of the items' last
 * shape), objects of the site's last shape. Everything else, and every cache miss, goes to the codec's generic
 * writer, which is the specification: each inline case writes exactly the bytes it would.
 */
function valueWriteCode(v: string, s: string): string {
  return `
  if (typeof ${v} === 'number' && ${SMALL_TEST(v)}) {
    b[p++] = ${v};
  } else if (${v} === null) {
    b[p++] = ${T_NULL};
  } else if (${v} === true) {
    b[p++] = ${T_TRUE};
  } else if (${v} === false) {
    b[p++] = ${T_FALSE};
  } else if (typeof ${v} === 'string') {
    b[p++] = ${T_STRING};
    const id = ${v} === ${s}.str ? ${s}.id : c.stringAt(${v}, ${s});
    if (id < 0x80) b[p++] = id;
    else p = writeVarint(b, p, id);
  } else if (Array.isArray(${v})) {
    const n = ${v}.length;
    b[p++] = ${T_ARRAY};
    if (n < 0x80) b[p++] = n;
    else p = writeVarint(b, p, n);
    const is = ${s}.items ?? c.itemSite(${s});
    for (let x = 0; x < n; x++) {
      const e = ${v}[x];
      if (typeof e === 'number' && ${SMALL_TEST('e')}) {
        b[p++] = e;
      } else if (typeof e === 'string' && e === is.str && is.id < 0x80) {
        b[p++] = ${T_STRING};
        b[p++] = is.id;
      } else if (typeof e === 'object' && e !== null && !Array.isArray(e)) {
        const w = is.write;
        const q = w === undefined ? -1 : w(e, c, b, p);
        p = q >= 0 ? q : c.writeRecord(e, b, p, is);
      } else {
        p = c.writeValue(e, b, p, is, false);
      }
    }
  } else if (typeof ${v} === 'object' && ${v} !== null) {
    const w = ${s}.write;
    const q = w === undefined ? -1 : w(${v}, c, b, p);
    p = q >= 0 ? q : c.writeRecord(${v}, b, p, ${s});
  } else {
    p = c.writeValue(${v}, b, p, ${s}, false);
  }`;
}

let writerCount = 0;

/**
 * A writer specialised to one shape (at one place): it checks the key order with one for-in, reads the values
 * by name, rejects an undefined value (JSON would drop that key, so the object has another
 * shape) and an object that is not plain data (the caller's generic path then throws), then
 * writes the header and each field inline.
 */
function shapeWriter(id: number, keys: readonly string[], sites: readonly Site[]): ShapeWriter {
  const scratch = new Uint8Array(8);
  const headerBytes = Array.from(scratch.subarray(0, writeVarint(scratch, 0, id)));
  const names = keys.map((key) => JSON.stringify(key));
  const body = [
    'let i = 0;',
    'for (const key in r) { if (key !== keys[i]) return -1; i++; }',
    `if (i !== ${keys.length}) return -1;`,
    ...names.map((name, i) => `const v${i} = r[${name}]; if (v${i} === undefined) return -1;`),
    // After the loads, which check r's hidden class, so the prototype is a known constant.
    'const proto = Object.getPrototypeOf(r);',
    'if (proto !== OBJECT_PROTO && proto !== null) return -1;',
    `b[p++] = ${T_SHAPE};`,
    ...headerBytes.map((byte) => `b[p++] = ${byte};`),
    ...names.map((_, i) => valueWriteCode(`v${i}`, `s${i}`)),
    'return p;',
  ].join('\n');
  const siteNames = keys.map((_, i) => `s${i}`);
  const factory = new Function(
    'keys',
    'writeVarint',
    'OBJECT_PROTO',
    ...siteNames,
    // The counter makes each writer's source text unique, so that V8 gives each its own
    // feedback rather than sharing one compiled function between places.
    `return function write(r, c, b, p) { // ${++writerCount}\n${body}\n};`,
  ) as (...args: unknown[]) => ShapeWriter;
  return factory(keys, writeVarint, Object.prototype, ...sites);
}

/**
 * Generated code reading one array item into variable `a` (small integers, strings and shapes
 * with one-byte ids inline).
 */
function itemReadCode(a: string): string {
  return `
      t = b[p];
      if (t < ${SMALL_LIMIT}) {
        ${a} = t;
        p++;
      } else if (t === ${T_STRING} && b[p + 1] < 0x80) {
        ${a} = strings[b[p + 1]];
        p += 2;
      } else if (t === ${T_SHAPE} && b[p + 1] < 0x80) {
        c.readPos = p + 2;
        ${a} = shapes[b[p + 1]].build(c);
        p = c.readPos;
      } else {
        c.readPos = p;
        ${a} = c.readValue();
        p = c.readPos;
      }`;
}

/**
 * Generated code reading one value into variable `v` from `b[p]` (advancing `p`): small
 * integers, null, booleans, strings and nested objects with one-byte ids and arrays inline, the rest through the codec's generic
 * reader. Arrays of up to four items are built as array literals: exactly sized, packed, and
 * one allocation site per field and length (the model's own arrays come from slice and spread).
 */
function valueReadCode(v: string): string {
  return `
  t = b[p];
  if (t < ${SMALL_LIMIT}) {
    ${v} = t;
    p++;
  } else if (t === ${T_NULL}) {
    ${v} = null;
    p++;
  } else if (t === ${T_TRUE}) {
    ${v} = true;
    p++;
  } else if (t === ${T_FALSE}) {
    ${v} = false;
    p++;
  } else if (t === ${T_STRING} && b[p + 1] < 0x80) {
    ${v} = strings[b[p + 1]];
    p += 2;
  } else if (t === ${T_SHAPE} && b[p + 1] < 0x80) {
    c.readPos = p + 2;
    ${v} = shapes[b[p + 1]].build(c);
    p = c.readPos;
  } else if (t === ${T_ARRAY} && b[p + 1] < 0x80) {
    const n = b[p + 1];
    p += 2;
    if (n === 0) {
      ${v} = [];
    } else if (n <= 4) {
      let a0, a1, a2, a3;
      ${itemReadCode('a0')}
      if (n > 1) {
        ${itemReadCode('a1')}
        if (n > 2) {
          ${itemReadCode('a2')}
          if (n > 3) {
            ${itemReadCode('a3')}
          }
        }
      }
      ${v} = n === 1 ? [a0] : n === 2 ? [a0, a1] : n === 3 ? [a0, a1, a2] : [a0, a1, a2, a3];
    } else {
      ${v} = [];
      for (let x = 0; x < n; x++) {
        let a;
        ${itemReadCode('a')}
        ${v}.push(a);
      }
    }
  } else {
    c.readPos = p;
    ${v} = c.readValue();
    p = c.readPos;
  }`;
}

/**
 * A builder specialised to one shape: reads the values in key order, then returns
 * `{ k0: v0, k1: v1, ... }`, plain code rather than a loop so decoded objects share a hidden
 * class like the model's own. (A `__proto__` key cannot be written that way; such objects are
 * unencodable.)
 */
function shapeBuilder(
  keys: readonly string[],
  strings: readonly string[],
  shapes: readonly Shape[],
): Shape['build'] {
  const vars = keys.map((_, i) => `v${i}`);
  const body = [
    'const b = c.readBytes;',
    'let p = c.readPos;',
    'let t;',
    ...(vars.length > 0 ? [`let ${vars.join(', ')};`] : []),
    ...vars.map((v) => valueReadCode(v)),
    'c.readPos = p;',
    `return { ${keys.map((key, i) => `${JSON.stringify(key)}: v${i}`).join(', ')} };`,
  ].join('\n');
  const factory = new Function('strings', 'shapes', `return function build(c) {\n${body}\n};`) as (
    strings: readonly string[],
    shapes: readonly Shape[],
  ) => Shape['build'];
  return factory(strings, shapes);
}

export interface EncodedNode {
  config: number;
  context: unknown;
  monitors: unknown[];
}

export class StateCodec {
  /** Scratch buffer holding the last encoded state, `length` bytes. */
  buffer = new Uint8Array(256);
  /** `buffer` as 32-bit words, for hashing (its length is kept a multiple of 8). */
  private words = new Int32Array(this.buffer.buffer);
  length = 0;
  private readonly stringIds = new Map<string, number>();
  private readonly strings: string[] = [];
  private readonly shapes: Shape[] = [];
  private readonly shapesByFirstKey = new Map<string, Shape[]>();
  private readonly contextSite = new Site();
  private readonly monitorSites: Site[] = [];
  /** When set, a new string or shape throws NotInternedError instead of getting an id. */
  frozen = false;
  private readonly floatView = new DataView(new ArrayBuffer(8));
  private readonly floatBytes = new Uint8Array(this.floatView.buffer);

  /** Encodes a node into `buffer[0..length)` and returns its hash. */
  encode(config: number, context: unknown, monitors: readonly unknown[]): number {
    this.length = 0;
    for (;;) {
      const buffer = this.buffer;
      let pos = writeVarint(buffer, 0, config);
      pos = this.writeValue(context, buffer, pos, this.contextSite, true);
      for (let i = 0; i < monitors.length; i++) {
        const site = this.monitorSites[i] ?? (this.monitorSites[i] = new Site());
        pos = this.writeValue(monitors[i], buffer, pos, site, true);
      }
      if (pos <= buffer.length) {
        this.length = pos;
        return hashWords(this.words, buffer, pos);
      }
      // The state did not fit: the writes past the end were dropped. Writing it again gives
      // the same bytes (every string and shape it needs has its id now).
      this.buffer = new Uint8Array(Math.max(buffer.length * 2, (pos * 2 + 7) & ~7));
      this.words = new Int32Array(this.buffer.buffer);
    }
  }

  /** Decodes bytes written by `encode` (with `monitorCount` monitor states). */
  decode(bytes: Uint8Array, offset: number, monitorCount: number): EncodedNode {
    this.readPos = offset;
    this.readBytes = bytes;
    const config = this.readVarint();
    const context = this.readValue();
    const monitors: unknown[] = [];
    for (let i = 0; i < monitorCount; i++) monitors.push(this.readValue());
    return { config, context, monitors };
  }

  /* ---------- writing (the generic writer: the specification of the bytes) ---------- */

  /**
   * Writes `value` at `buffer[pos]` and returns the position after it. Public for the
   * generated shape writers, which call it for anything they do not handle inline.
   */
  writeValue(
    value: unknown,
    buffer: Uint8Array,
    pos: number,
    site: Site,
    topLevel: boolean,
  ): number {
    if (typeof value === 'number') {
      if (value >= 0 && value < SMALL_LIMIT && (value | 0) === value) {
        buffer[pos] = value;
        return pos + 1;
      }
      return this.writeNumber(value, buffer, pos);
    }
    if (typeof value === 'object') {
      if (value === null) {
        buffer[pos] = T_NULL;
        return pos + 1;
      }
      if (Array.isArray(value)) {
        const length = value.length;
        buffer[pos++] = T_ARRAY;
        pos = writeVarint(buffer, pos, length);
        const items = site.items ?? this.itemSite(site);
        for (let i = 0; i < length; i++) {
          const item = value[i] as unknown;
          // Small integers, null and booleans (a monitor's tuple state) without a call.
          if (typeof item === 'number' && item >= 0 && item < SMALL_LIMIT && (item | 0) === item) {
            buffer[pos++] = item;
          } else if (item === null) {
            buffer[pos++] = T_NULL;
          } else if (typeof item === 'boolean') {
            buffer[pos++] = item ? T_TRUE : T_FALSE;
          } else {
            pos = this.writeValue(item, buffer, pos, items, false);
          }
        }
        return pos;
      }
      const write = site.write;
      if (write !== undefined) {
        const end = write(value, this, buffer, pos);
        if (end >= 0) return end;
      }
      return this.writeRecord(value, buffer, pos, site);
    }
    switch (typeof value) {
      case 'string': {
        buffer[pos++] = T_STRING;
        const id = value === site.str ? site.id : this.stringAt(value, site);
        return writeVarint(buffer, pos, id);
      }
      case 'boolean':
        buffer[pos] = value ? T_TRUE : T_FALSE;
        return pos + 1;
      case 'undefined':
        if (topLevel) {
          buffer[pos] = T_UNDEFINED;
          return pos + 1;
        }
        throw new UnencodableError('undefined inside an array');
      default:
        throw new UnencodableError(`a ${typeof value} in the context`);
    }
  }

  private writeNumber(value: number, buffer: Uint8Array, pos: number): number {
    if (Number.isInteger(value) && Math.abs(value) <= 0x7fffffff) {
      buffer[pos++] = T_INT;
      return writeVarint(buffer, pos, value >= 0 ? value * 2 : -value * 2 - 1);
    }
    buffer[pos++] = T_FLOAT;
    this.floatView.setFloat64(0, value, true);
    for (let i = 0; i < 8; i++) buffer[pos++] = this.floatBytes[i];
    return pos;
  }

  /** The id of `value` (given now if new), remembered as the site's last string. */
  stringAt(value: string, site: Site): number {
    let id = this.stringIds.get(value);
    if (id === undefined) {
      if (this.frozen) throw NOT_INTERNED;
      id = this.strings.length;
      this.strings.push(value);
      this.stringIds.set(value, id);
    }
    site.str = value;
    site.id = id;
    return id;
  }

  itemSite(site: Site): Site {
    return (site.items = new Site());
  }

  /**
   * An object is written as its shape (its defined keys, in order: JSON.stringify skips
   * undefined properties and so do we) and then its values. Shapes are found by first key and
   * compared key by key with `===`, which is cheap because property names are interned. The
   * shape found becomes the one the site tries first.
   */
  writeRecord(value: object, buffer: Uint8Array, pos: number, site: Site): number {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      throw new UnencodableError('context holds an object that is not plain data');
    }
    const record = value as Record<string, unknown>;
    const shape = this.shapeOf(record);
    let here = site.shapes[shape.id];
    if (here === undefined) {
      const fields = shape.keys.map(() => new Site());
      here = { write: shapeWriter(shape.id, shape.keys, fields), fields };
      site.shapes[shape.id] = here;
    }
    site.write = here.write;
    buffer[pos++] = T_SHAPE;
    pos = writeVarint(buffer, pos, shape.id);
    const keys = shape.keys;
    for (let i = 0; i < keys.length; i++) {
      pos = this.writeValue(record[keys[i]], buffer, pos, here.fields[i], false);
    }
    return pos;
  }

  private shapeOf(record: Record<string, unknown>): Shape {
    let first: string | undefined;
    for (const key in record) {
      if (record[key] !== undefined) {
        first = key;
        break;
      }
    }
    const candidates = this.shapesByFirstKey.get(first ?? '');
    if (candidates !== undefined) {
      for (const shape of candidates) if (hasShape(record, shape.keys)) return shape;
    }
    const keys: string[] = [];
    for (const key in record) if (record[key] !== undefined) keys.push(key);
    if (keys.includes('__proto__')) throw new UnencodableError('a property named __proto__');
    if (this.frozen) throw NOT_INTERNED;
    return this.addShape(keys);
  }

  private addShape(keys: string[]): Shape {
    const first = keys[0];
    const id = this.shapes.length;
    const shape: Shape = { id, keys, build: shapeBuilder(keys, this.strings, this.shapes) };
    this.shapes.push(shape);
    const list = this.shapesByFirstKey.get(first ?? '');
    if (list) list.push(shape);
    else this.shapesByFirstKey.set(first ?? '', [shape]);
    return shape;
  }

  /* ---------- sharing the tables between threads ---------- */

  /** How many strings and shapes have ids: the mark for a later `tablesSince`. */
  tableSizes(): { strings: number; shapes: number } {
    return { strings: this.strings.length, shapes: this.shapes.length };
  }

  /** The strings and shapes given ids since `sizes` (in id order). */
  tablesSince(sizes: { strings: number; shapes: number }): CodecTables {
    return {
      strings: this.strings.slice(sizes.strings),
      shapes: this.shapes.slice(sizes.shapes).map((shape) => shape.keys),
    };
  }

  /**
   * Appends another codec's new ids (from its `tablesSince`, applied in order), so that both
   * write and read the same bytes. Ids must continue where this codec's tables end.
   */
  importTables(tables: CodecTables): void {
    for (const value of tables.strings) {
      this.stringIds.set(value, this.strings.length);
      this.strings.push(value);
    }
    for (const keys of tables.shapes) this.addShape(keys);
  }

  /* ---------- reading (public for the generated shape builders) ---------- */

  readPos = 0;
  readBytes: Uint8Array = this.buffer;

  readVarint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      const byte = this.readBytes[this.readPos++];
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
  }

  readValue(): unknown {
    const tag = this.readBytes[this.readPos++];
    if (tag < SMALL_LIMIT) return tag;
    switch (tag) {
      case T_NULL:
        return null;
      case T_FALSE:
        return false;
      case T_TRUE:
        return true;
      case T_INT: {
        const zigzag = this.readVarint();
        return zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
      }
      case T_FLOAT: {
        for (let i = 0; i < 8; i++) this.floatBytes[i] = this.readBytes[this.readPos++];
        return this.floatView.getFloat64(0, true);
      }
      case T_STRING:
        return this.strings[this.readVarint()];
      case T_ARRAY: {
        const length = this.readVarint();
        const array: unknown[] = [];
        for (let i = 0; i < length; i++) array.push(this.readValue());
        return array;
      }
      case T_OBJECT: {
        const count = this.readVarint();
        const record: Record<string, unknown> = {};
        for (let i = 0; i < count; i++) {
          const key = this.strings[this.readVarint()];
          record[key] = this.readValue();
        }
        return record;
      }
      case T_SHAPE: {
        const shape = this.shapes[this.readVarint()];
        return shape.build(this);
      }
      case T_UNDEFINED:
        return undefined;
      default:
        throw new Error(`state store: corrupt byte ${tag}`);
    }
  }
}

/*
 * The hash of a state's bytes: MurmurHash3 (x86, 32-bit, seed 0) over little-endian 32-bit
 * words. A word at a time is about twice as fast as a byte-at-a-time hash on ~40-byte states,
 * and the finaliser spreads the low bits that linear probing uses.
 */

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function mixWord(k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, 0x1b873593);
}

function mixHash(h: number, k: number): number {
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Mixes in the last `end - from` (0..3) bytes and the length, then avalanches. */
function finishHash(
  h: number,
  bytes: Uint8Array,
  from: number,
  end: number,
  length: number,
): number {
  const rest = end - from;
  if (rest > 0) {
    let k = bytes[from];
    if (rest > 1) k |= bytes[from + 1] << 8;
    if (rest > 2) k |= bytes[from + 2] << 16;
    h ^= mixWord(k);
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** The hash of `bytes[start..end)`, as `StateCodec.encode` returns it. */
export function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  const full = start + ((end - start) & ~3);
  let h = 0;
  for (let i = start; i < full; i += 4) {
    h = mixHash(
      h,
      mixWord(bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)),
    );
  }
  return finishHash(h, bytes, full, end, end - start);
}

/** `hashBytes(bytes, 0, length)`, reading whole words through `words` (a view of `bytes`). */
function hashWords(words: Int32Array, bytes: Uint8Array, length: number): number {
  if (!LITTLE_ENDIAN) return hashBytes(bytes, 0, length);
  const count = length >> 2;
  let h = 0;
  for (let i = 0; i < count; i++) h = mixHash(h, mixWord(words[i]));
  return finishHash(h, bytes, count << 2, length, length);
}
