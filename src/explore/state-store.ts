/**
 * The explorer's visited set: every distinct state stored once as a compact byte string (its
 * encoding by src/explore/state-codec.ts) in a segmented arena, found again through an
 * open-addressing hash table of state numbers.
 *
 * No ceiling but memory: one typed array holds at most 2^32 bytes, so the arena is a list of
 * segments (the first grows by doubling up to SEGMENT_BYTES, then every new segment has that
 * size), and a state's bytes never straddle two segments. A state is found by its number
 * through its offset in its segment (4 bytes) and the table of the segments' first numbers.
 * The table holds state number + 1 in an Int32 (2^31 - 1 states at most: the largest table a
 * typed array can hold, 2^31 slots of 8 bytes, stops at 1.6 * 10^9 states anyway).
 */
import { UsageError } from '../model/config.ts';

/** The size of every arena segment after the first (64 MiB), unless a test asks for another. */
const SEGMENT_BYTES = 1 << 26;
/** The largest table: 2^31 slots of two 32-bit words (one typed array of 2^32 elements). */
const MAX_SLOTS = 2 ** 31;

/**
 * Distinct byte strings, numbered 0, 1, 2... in insertion order. Memory per state: its bytes,
 * a 4-byte offset, and 8 bytes per table slot at a load factor between 3/8 and 3/4.
 */
export class StateStore {
  /** Every segment, the last one being filled (`arena`). */
  private readonly segments: Uint8Array[] = [];
  /** Per segment: a view for comparing four bytes at a time, its first state, its used bytes. */
  private readonly segmentViews: DataView[] = [];
  private readonly segmentFirst: number[] = [];
  private readonly segmentEnd: number[] = [];
  private arena: Uint8Array;
  private used = 0;
  /**
   * Per state, where its bytes start in its segment; `offsets[size]` is where the next one
   * would start in the last segment, so that a state's end is its successor's start, except
   * for the last state of a full segment, which ends at the segment's end (`segmentEnd`).
   */
  private offsets = new Uint32Array(1 << 12);
  /** The last byte arrays compared in words (the codec's buffers, a worker batch) and views of them. */
  private viewOf: Uint8Array | undefined;
  private view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  private otherViewOf: Uint8Array | undefined;
  private otherView: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  /**
   * Open addressing, two words per slot side by side (one cache line for a probe): the state
   * number + 1 (0 = empty), and that state's hash.
   */
  private table = new Int32Array(2 << 12);
  private mask = (1 << 12) - 1;
  size = 0;
  /** Whether the last `insert` added a new state. */
  added = false;

  constructor(private readonly segmentBytes = SEGMENT_BYTES) {
    this.arena = new Uint8Array(Math.min(1 << 16, segmentBytes));
    this.openSegment(this.arena);
  }

  /**
   * The state number of `bytes[offset..offset + length)`, adding it if new (then `added` is
   * true). `hash` is `hashBytes` of those bytes. An offset rather than a subarray: the
   * parallel explorer inserts many states from one message, and a subarray allocates.
   */
  insert(bytes: Uint8Array, length: number, hash: number, offset = 0): number {
    const table = this.table;
    const mask = this.mask;
    let slot = hash & mask;
    for (;;) {
      const entry = table[2 * slot];
      if (entry === 0) break;
      if (table[2 * slot + 1] === hash && this.equals(entry - 1, bytes, offset, length)) {
        this.added = false;
        return entry - 1;
      }
      slot = (slot + 1) & mask;
    }
    const id = this.size++;
    if (this.used + length > this.arena.length) this.makeRoom(id, length);
    const arena = this.arena;
    const start = this.used;
    // A loop rather than arena.set(bytes.subarray(...)): states are a few dozen bytes, and a
    // subarray is an allocation.
    if (length <= 64) for (let i = 0; i < length; i++) arena[start + i] = bytes[offset + i];
    else arena.set(bytes.subarray(offset, offset + length), start);
    if (id + 1 >= this.offsets.length) this.growOffsets();
    this.offsets[id] = start;
    this.used = start + length;
    this.offsets[id + 1] = this.used;
    this.segmentEnd[this.segments.length - 1] = this.used;
    table[2 * slot] = id + 1;
    table[2 * slot + 1] = hash;
    if (this.size * 4 > (mask + 1) * 3) this.rehash();
    this.added = true;
    return id;
  }

  /** The segment that holds state `id` (valid until the next insert; see `offsetOf`). */
  segmentOf(id: number): Uint8Array {
    return this.segments[this.segmentIndex(id)];
  }

  /** Where state `id` starts in its segment. */
  offsetOf(id: number): number {
    return this.offsets[id];
  }

  /** How many bytes state `id` takes. */
  lengthOf(id: number): number {
    return this.endOf(id, this.segmentIndex(id)) - this.offsets[id];
  }

  /**
   * States `start..end-1` as one byte array, with `offsets[i]` where state `start + i` starts
   * in it (`offsets[end - start]` is its length): what the parallel explorer sends a worker.
   * Consecutive states of one segment are contiguous, so it copies once per segment spanned.
   */
  copyStates(start: number, end: number): { bytes: Uint8Array; offsets: Uint32Array } {
    const count = end - start;
    const offsets = new Uint32Array(count + 1);
    let k = this.segmentIndex(start);
    const runs: Array<[segment: number, from: number, to: number]> = [];
    let from = this.offsets[start];
    for (let i = 0; i < count; i++) {
      const id = start + i;
      if (k + 1 < this.segments.length && id === this.segmentFirst[k + 1]) {
        runs.push([k, from, this.segmentEnd[k]]);
        k++;
        from = 0;
      }
      offsets[i + 1] = offsets[i] + this.endOf(id, k) - this.offsets[id];
    }
    if (count > 0) runs.push([k, from, this.endOf(end - 1, k)]);
    const bytes = new Uint8Array(offsets[count]);
    let at = 0;
    for (const [segment, runFrom, runTo] of runs) {
      bytes.set(this.segments[segment].subarray(runFrom, runTo), at);
      at += runTo - runFrom;
    }
    return { bytes, offsets };
  }

  /** How many segments the arena has (for tests and the memory report). */
  get segmentCount(): number {
    return this.segments.length;
  }

  /** Bytes held by the store's typed arrays (allocated, not only used). */
  get byteLength(): number {
    let arena = 0;
    for (const segment of this.segments) arena += segment.byteLength;
    return arena + this.offsets.byteLength + this.table.byteLength;
  }

  private segmentIndex(id: number): number {
    const first = this.segmentFirst;
    let high = first.length - 1;
    if (id >= first[high]) return high; // the common case: a recent state
    let low = 0;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (first[mid] <= id) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  /** The end of state `id` in segment `k` (its own). */
  private endOf(id: number, k: number): number {
    return k + 1 < this.segments.length && id + 1 === this.segmentFirst[k + 1]
      ? this.segmentEnd[k]
      : this.offsets[id + 1];
  }

  private equals(id: number, bytes: Uint8Array, offset: number, length: number): boolean {
    const k = this.segmentIndex(id);
    const start = this.offsets[id];
    if (this.endOf(id, k) - start !== length) return false;
    const segment = this.segments[k];
    let i = 0;
    // Four bytes at a time (states start anywhere in a segment: unaligned DataView reads),
    // through a view of `bytes` made once per array: the codec's two buffers, or a message of
    // states from another thread (offset 0; other subarrays are compared byte by byte).
    if (bytes !== this.viewOf && bytes.byteOffset === 0) {
      const viewOf = this.viewOf;
      const view = this.view;
      this.view =
        bytes === this.otherViewOf
          ? this.otherView
          : new DataView(bytes.buffer, 0, bytes.byteLength);
      this.viewOf = bytes;
      this.otherViewOf = viewOf;
      this.otherView = view;
    }
    if (bytes === this.viewOf) {
      const segmentView = this.segmentViews[k];
      const view = this.view;
      for (const full = length & ~3; i < full; i += 4) {
        if (segmentView.getInt32(start + i) !== view.getInt32(offset + i)) return false;
      }
    }
    for (; i < length; i++) if (segment[start + i] !== bytes[offset + i]) return false;
    return true;
  }

  /** Room for `length` more bytes: the first segment grows, or a new segment starts at `id`. */
  private makeRoom(id: number, length: number): void {
    const needed = this.used + length;
    if (this.segments.length === 1 && needed <= this.segmentBytes) {
      const grown = new Uint8Array(
        Math.min(Math.max(this.arena.length * 2, needed), this.segmentBytes),
      );
      grown.set(this.arena.subarray(0, this.used));
      this.arena = grown;
      this.segments[0] = grown;
      this.segmentViews[0] = new DataView(grown.buffer);
      return;
    }
    // A state longer than a segment gets a segment of its own size.
    this.arena = new Uint8Array(Math.max(this.segmentBytes, length));
    this.openSegment(this.arena, id);
    this.used = 0;
  }

  private openSegment(segment: Uint8Array, firstId = 0): void {
    this.segments.push(segment);
    this.segmentViews.push(new DataView(segment.buffer));
    this.segmentFirst.push(firstId);
    this.segmentEnd.push(0);
  }

  private growOffsets(): void {
    const grown = new Uint32Array(this.offsets.length * 2);
    grown.set(this.offsets);
    this.offsets = grown;
  }

  private rehash(): void {
    const old = this.table;
    const capacity = old.length; // slots: twice the old number
    if (capacity > MAX_SLOTS) {
      throw new UsageError(
        `the visited set is full: ${this.size.toLocaleString('en-US')} states, the most one table holds`,
      );
    }
    const table = new Int32Array(2 * capacity);
    const mask = capacity - 1;
    for (let i = 0; i < old.length; i += 2) {
      const entry = old[i];
      if (entry === 0) continue;
      let slot = old[i + 1] & mask;
      while (table[2 * slot] !== 0) slot = (slot + 1) & mask;
      table[2 * slot] = entry;
      table[2 * slot + 1] = old[i + 1];
    }
    this.table = table;
    this.mask = mask;
  }
}
