/**
 * The explorer's visited set: every distinct state stored once as a compact byte string in one
 * arena, found again through an open-addressing hash table of state numbers.
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

interface Shape {
  id: number;
  /** The object's defined keys, in enumeration order. */
  keys: string[];
  /** Builds the object from values read in key order (an object literal: one hidden class). */
  build: (read: () => unknown) => Record<string, unknown>;
  /** Writes `record` if it has exactly this shape (and returns true), else writes nothing. */
  write: (record: Record<string, unknown>, codec: StateCodec) => boolean;
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
 * A writer specialised to one shape: it checks the key order with one for-in, reads the values
 * by name (fast, monomorphic loads) and rejects an undefined value (JSON would drop that key,
 * so the object has another shape).
 */
function shapeWriter(id: number, keys: readonly string[]): Shape['write'] {
  const names = keys.map((key) => JSON.stringify(key));
  const body = [
    'let i = 0;',
    'for (const key in record) { if (key !== keys[i]) return false; i++; }',
    `if (i !== ${keys.length}) return false;`,
    ...names.map(
      (name, i) => `const v${i} = record[${name}]; if (v${i} === undefined) return false;`,
    ),
    `codec.writeShapeHeader(${id});`,
    ...names.map((_, i) => `codec.writeField(v${i});`),
    'return true;',
  ].join('\n');
  return new Function('keys', `return function (record, codec) {\n${body}\n};`)(
    keys,
  ) as Shape['write'];
}

/**
 * A function returning `{ k0: read(), k1: read(), ... }` (properties are evaluated left to
 * right). Plain code rather than a loop so decoded objects share a hidden class like the
 * model's own. (A `__proto__` key cannot be written that way; such objects are unencodable.)
 */
function shapeBuilder(keys: readonly string[]): Shape['build'] {
  const body = keys.map((key) => `${JSON.stringify(key)}: read()`).join(', ');
  return new Function('read', `return { ${body} };`) as Shape['build'];
}

export interface EncodedNode {
  config: number;
  context: unknown;
  monitors: unknown[];
}

export class StateCodec {
  /** Scratch buffer holding the last encoded state, `length` bytes. */
  buffer = new Uint8Array(256);
  length = 0;
  private readonly stringIds = new Map<string, number>();
  private readonly strings: string[] = [];
  private lastString: string | undefined;
  private lastStringId = 0;
  private readonly shapes: Shape[] = [];
  private readonly shapeAtDepth: Array<Shape | undefined> = [];
  private depth = 0;
  private readonly shapesByFirstKey = new Map<string, Shape[]>();
  private readonly read = (): unknown => this.readValue();
  /** When set, a new string or shape throws NotInternedError instead of getting an id. */
  frozen = false;
  private readonly floatView = new DataView(new ArrayBuffer(8));
  private readonly floatBytes = new Uint8Array(this.floatView.buffer);

  /** Encodes a node into `buffer[0..length)` and returns its hash. */
  encode(config: number, context: unknown, monitors: readonly unknown[]): number {
    this.length = 0;
    this.depth = 0;
    this.writeVarint(config);
    this.writeValue(context, true);
    for (let i = 0; i < monitors.length; i++) this.writeValue(monitors[i], true);
    return hashBytes(this.buffer, 0, this.length);
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

  /* ---------- writing ---------- */

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + extra));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  private writeByte(byte: number): void {
    if (this.length === this.buffer.length) this.ensure(1);
    this.buffer[this.length++] = byte;
  }

  private writeVarint(value: number): void {
    while (value >= 0x80) {
      this.writeByte((value & 0x7f) | 0x80);
      value = Math.floor(value / 128);
    }
    this.writeByte(value);
  }

  private writeString(value: string): void {
    if (value === this.lastString) {
      this.writeVarint(this.lastStringId);
      return;
    }
    let id = this.stringIds.get(value);
    if (id === undefined) {
      if (this.frozen) throw NOT_INTERNED;
      id = this.strings.length;
      this.strings.push(value);
      this.stringIds.set(value, id);
    }
    this.lastString = value;
    this.lastStringId = id;
    this.writeVarint(id);
  }

  private writeValue(value: unknown, topLevel = false): void {
    if (typeof value === 'number') {
      // Small non-negative integers (the common case) are their own tag; -0 lands here too,
      // as JSON writes it: 0.
      if (value >= 0 && value < SMALL_LIMIT && (value | 0) === value) {
        if (this.length === this.buffer.length) this.ensure(1);
        this.buffer[this.length++] = value;
      } else {
        this.writeNumber(value);
      }
      return;
    }
    if (typeof value === 'object') {
      if (value === null) {
        this.writeByte(T_NULL);
      } else if (Array.isArray(value)) {
        const length = value.length;
        this.writeByte(T_ARRAY);
        this.writeVarint(length);
        this.ensure(length);
        for (let i = 0; i < length; i++) {
          const item: unknown = value[i];
          if (typeof item === 'number' && item >= 0 && item < SMALL_LIMIT && (item | 0) === item) {
            if (this.length === this.buffer.length) this.ensure(1);
            this.buffer[this.length++] = item;
          } else {
            this.writeValue(item);
          }
        }
      } else {
        const proto = Object.getPrototypeOf(value) as unknown;
        if (proto !== Object.prototype && proto !== null) {
          throw new UnencodableError('context holds an object that is not plain data');
        }
        this.writeObject(value as Record<string, unknown>);
      }
      return;
    }
    switch (typeof value) {
      case 'string':
        this.writeByte(T_STRING);
        this.writeString(value);
        return;
      case 'boolean':
        this.writeByte(value ? T_TRUE : T_FALSE);
        return;
      case 'undefined':
        if (topLevel) {
          this.writeByte(T_UNDEFINED);
          return;
        }
        throw new UnencodableError('undefined inside an array');
      default:
        throw new UnencodableError(`a ${typeof value} in the context`);
    }
  }

  private writeNumber(value: number): void {
    if (Number.isInteger(value) && Math.abs(value) <= 0x7fffffff) {
      this.writeByte(T_INT);
      this.writeVarint(value >= 0 ? value * 2 : -value * 2 - 1);
    } else {
      this.writeByte(T_FLOAT);
      this.floatView.setFloat64(0, value, true);
      this.ensure(8);
      this.buffer.set(this.floatBytes, this.length);
      this.length += 8;
    }
  }

  /**
   * An object is written as its shape (its defined keys, in order: JSON.stringify skips
   * undefined properties and so do we) and then its values. Shapes are found by first key and
   * compared key by key with `===`, which is cheap because property names are interned.
   */
  private writeObject(record: Record<string, unknown>): void {
    const depth = this.depth++;
    // Objects at one depth mostly share one shape: try the last one seen there first.
    const cached = this.shapeAtDepth[depth];
    if (cached === undefined || !cached.write(record, this)) {
      const shape = this.shapeOf(record);
      this.shapeAtDepth[depth] = shape;
      this.writeByte(T_SHAPE);
      this.writeVarint(shape.id);
      const keys = shape.keys;
      for (let i = 0; i < keys.length; i++) this.writeValue(record[keys[i]]);
    }
    this.depth = depth;
  }

  /** Used by the generated shape writers: one value. */
  writeField(value: unknown): void {
    this.writeValue(value);
  }

  /** Used by the generated shape writers: the shape's header. */
  writeShapeHeader(id: number): void {
    this.writeByte(T_SHAPE);
    this.writeVarint(id);
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
    const shape: Shape = { id, keys, build: shapeBuilder(keys), write: shapeWriter(id, keys) };
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

  /* ---------- reading ---------- */

  private readPos = 0;
  private readBytes: Uint8Array = this.buffer;

  private readVarint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      const byte = this.readBytes[this.readPos++];
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
  }

  private readValue(): unknown {
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
        return shape.build(this.read);
      }
      case T_UNDEFINED:
        return undefined;
      default:
        throw new Error(`state store: corrupt byte ${tag}`);
    }
  }
}

/** 32-bit FNV-1a variant with a murmur finaliser: cheap, and well spread for linear probing. */
export function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5 | 0;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/**
 * Distinct byte strings, numbered 0, 1, 2... in insertion order. Memory per state: its bytes,
 * a 4-byte offset, and 8 bytes per table slot at a load factor between 3/8 and 3/4.
 */
export class StateStore {
  private arena = new Uint8Array(1 << 16);
  private used = 0;
  private offsets = new Uint32Array(1 << 12);
  /** Open addressing: slot -> state number + 1 (0 = empty), and that state's hash. */
  private slots = new Int32Array(1 << 12);
  private hashes = new Int32Array(1 << 12);
  private mask = (1 << 12) - 1;
  size = 0;
  /** Whether the last `insert` added a new state. */
  added = false;

  /** The state number of `bytes[0..length)`, adding it if new (then `added` is true). */
  insert(bytes: Uint8Array, length: number, hash: number): number {
    let slot = hash & this.mask;
    for (;;) {
      const entry = this.slots[slot];
      if (entry === 0) break;
      if (this.hashes[slot] === hash && this.equals(entry - 1, bytes, length)) {
        this.added = false;
        return entry - 1;
      }
      slot = (slot + 1) & this.mask;
    }
    const id = this.size++;
    if (this.used + length > this.arena.length) this.growArena(length);
    this.arena.set(bytes.subarray(0, length), this.used);
    if (id + 1 >= this.offsets.length) this.growOffsets();
    this.offsets[id] = this.used;
    this.used += length;
    this.offsets[id + 1] = this.used;
    this.slots[slot] = id + 1;
    this.hashes[slot] = hash;
    if (this.size * 4 > this.slots.length * 3) this.rehash();
    this.added = true;
    return id;
  }

  /** The arena and the offset where state `id` starts (valid until the next insert). */
  bytesOf(id: number): { bytes: Uint8Array; offset: number } {
    return { bytes: this.arena, offset: this.offsets[id] };
  }

  get arenaBytes(): Uint8Array {
    return this.arena;
  }

  offsetOf(id: number): number {
    return this.offsets[id];
  }

  /** Bytes held by the store's typed arrays (allocated, not only used). */
  get byteLength(): number {
    return (
      this.arena.byteLength +
      this.offsets.byteLength +
      this.slots.byteLength +
      this.hashes.byteLength
    );
  }

  /** Bytes of state data actually stored (the encoded states). */
  get dataBytes(): number {
    return this.used;
  }

  private equals(id: number, bytes: Uint8Array, length: number): boolean {
    const start = this.offsets[id];
    if (this.offsets[id + 1] - start !== length) return false;
    const arena = this.arena;
    for (let i = 0; i < length; i++) if (arena[start + i] !== bytes[i]) return false;
    return true;
  }

  private growArena(extra: number): void {
    const grown = new Uint8Array(Math.max(this.arena.length * 2, this.used + extra));
    grown.set(this.arena.subarray(0, this.used));
    this.arena = grown;
  }

  private growOffsets(): void {
    const grown = new Uint32Array(this.offsets.length * 2);
    grown.set(this.offsets);
    this.offsets = grown;
  }

  private rehash(): void {
    const capacity = this.slots.length * 2;
    const slots = new Int32Array(capacity);
    const hashes = new Int32Array(capacity);
    const mask = capacity - 1;
    for (let i = 0; i < this.slots.length; i++) {
      const entry = this.slots[i];
      if (entry === 0) continue;
      let slot = this.hashes[i] & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = entry;
      hashes[slot] = this.hashes[i];
    }
    this.slots = slots;
    this.hashes = hashes;
    this.mask = mask;
  }
}
