/**
 * One worker's share of the parallel search's visited set (src/explore/explore-parallel.ts):
 * the states whose hash routes to this worker, stored and numbered here, and the streams of
 * candidate successors that the workers (this one included) send it during a BFS level.
 *
 * Why the streams are merged by key: a successor found from the state with global BFS number
 * `p` as its `o`-th successor has key `p * 2^20 + o`, the order in which the sequential search
 * meets it. Every worker expands its frontier in global order, so each stream arrives sorted by
 * key; merging the streams and inserting in key order makes the first insertion of a state its
 * sequential first discovery (the same parent, the same event), and numbers this partition's new
 * states in sequential order, so the main thread ranks a level by merging sorted key lists. No
 * sort, no fix-up of parents.
 */
import { IntVector } from './int-vector.ts';
import { StateStore } from './state-store.ts';

/** Keys hold the successor's ordinal in the low 20 bits. */
export const ORDINAL_BITS = 20;
export const ORDINAL_LIMIT = 2 ** ORDINAL_BITS;

/** The partition that owns a state of hash `hash`: the hash's high bits (its low bits pick table slots). */
export function ownerOf(hash: number, partitions: number): number {
  return ((hash >>> 16) * partitions) >>> 16;
}

/** A batch of candidate successors, as sent between threads (every array transferable). */
export interface CandidateBatch {
  count: number;
  /** Per candidate: parent's global number * 2^20 + ordinal, ascending. */
  keys: Float64Array;
  /** Per candidate: the alphabet index of the event. */
  via: Int32Array;
  hashes: Int32Array;
  /** Per candidate: where its bytes end in `bytes` (a candidate starts where the previous ends). */
  ends: Uint32Array;
  bytes: Uint8Array;
  /** The sender's last batch of the level. */
  last: boolean;
}

/** Candidates being collected for one partition. */
export class Outbox {
  count = 0;
  private used = 0;
  private keys: Float64Array;
  private via: Int32Array;
  private hashes: Int32Array;
  private ends: Uint32Array;
  private bytes: Uint8Array;

  constructor(readonly capacity: number) {
    this.keys = new Float64Array(capacity);
    this.via = new Int32Array(capacity);
    this.hashes = new Int32Array(capacity);
    this.ends = new Uint32Array(capacity);
    this.bytes = new Uint8Array(capacity * 32);
  }

  get full(): boolean {
    return this.count === this.capacity;
  }

  add(key: number, via: number, hash: number, source: Uint8Array, length: number): void {
    const n = this.count++;
    this.keys[n] = key;
    this.via[n] = via;
    this.hashes[n] = hash;
    if (this.used + length > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.used + length));
      grown.set(this.bytes.subarray(0, this.used));
      this.bytes = grown;
    }
    // A loop, not set(subarray): states are a few dozen bytes and a subarray allocates.
    const bytes = this.bytes;
    const used = this.used;
    for (let i = 0; i < length; i++) bytes[used + i] = source[i];
    this.used = used + length;
    this.ends[n] = this.used;
  }

  /**
   * The batch collected so far (its arrays change hands); the outbox goes on in the arrays of
   * `spare` (a batch already read) when there is one, else in new ones.
   */
  take(last: boolean, spare: CandidateBatch | undefined): CandidateBatch {
    const batch: CandidateBatch = {
      count: this.count,
      keys: this.keys,
      via: this.via,
      hashes: this.hashes,
      ends: this.ends,
      bytes: this.bytes,
      last,
    };
    if (spare !== undefined && spare.keys.length === this.capacity) {
      ({ keys: this.keys, via: this.via, hashes: this.hashes, ends: this.ends } = spare);
      this.bytes = spare.bytes;
    } else {
      this.keys = new Float64Array(this.capacity);
      this.via = new Int32Array(this.capacity);
      this.hashes = new Int32Array(this.capacity);
      this.ends = new Uint32Array(this.capacity);
      this.bytes = new Uint8Array(Math.max(this.used, this.capacity * 32));
    }
    this.count = 0;
    this.used = 0;
    return batch;
  }
}

/** The arrays of a batch, for postMessage's transfer list. */
export function transferablesOf(batch: CandidateBatch): ArrayBuffer[] {
  return [batch.keys, batch.via, batch.hashes, batch.ends, batch.bytes].map(
    (array) => array.buffer as ArrayBuffer,
  );
}

/** Read batches kept for reuse by the outboxes (a batch is about 100 KB). */
const MAX_SPARES = 16;

/** One sender's candidates for this partition in a level, in key order. */
class Stream {
  private readonly batches: CandidateBatch[] = [];
  constructor(private readonly spares: CandidateBatch[]) {}

  /** The batch being read (`batches[0]`) and the next candidate in it. */
  cursor = 0;
  ended = false;

  push(batch: CandidateBatch): void {
    if (batch.count > 0) this.batches.push(batch);
    if (batch.last) this.ended = true;
  }

  /** The batch holding the next candidate, or undefined when none has arrived. */
  head(): CandidateBatch | undefined {
    for (;;) {
      const batch = this.batches[0];
      if (batch === undefined || this.cursor < batch.count) return batch;
      this.batches.shift();
      this.cursor = 0;
      if (this.spares.length < MAX_SPARES) this.spares.push(batch);
    }
  }

  /** Whether the level's candidates from this sender are all read. */
  get drained(): boolean {
    return this.ended && this.head() === undefined;
  }

  reset(): void {
    this.batches.length = 0;
    this.cursor = 0;
    this.ended = false;
  }
}

/**
 * The states of one partition: their bytes (a StateStore, local numbers in insertion order),
 * and per state its global BFS number (-1 until the level that found it is ranked), its
 * parent's global number and the event from it (the tree of first discovery, for traces).
 */
export class Partition {
  readonly store = new StateStore();
  readonly globalOf = new IntVector();
  readonly parentOf = new IntVector();
  readonly viaOf = new IntVector();
  /** Keys of the states new in this level (local numbers from `levelFirst`), ascending. */
  newKeys: Float64Array = new Float64Array(1024);
  /** The first local number of the level's new states. */
  levelFirst = 0;
  /** Edges (source global number, target local number), kept when liveness needs the graph. */
  readonly edgeSource = new IntVector();
  readonly edgeTarget = new IntVector();
  private readonly streams: Stream[];
  /** Batches read, whose arrays the outboxes reuse (no allocation per message). */
  private readonly spares: CandidateBatch[] = [];

  constructor(
    senders: number,
    private readonly keepEdges: boolean,
  ) {
    this.streams = Array.from({ length: senders }, () => new Stream(this.spares));
  }

  /** A read batch whose arrays can be written again, if any. */
  spare(): CandidateBatch | undefined {
    return this.spares.pop();
  }

  /** Whether the merge waits for `sender`'s next candidates. */
  waitsFor(sender: number): boolean {
    const stream = this.streams[sender];
    return !stream.ended && stream.head() === undefined;
  }

  /** Starts a level: the states added from now on are its new states. */
  startLevel(): void {
    this.levelFirst = this.store.size;
    for (const stream of this.streams) stream.reset();
  }

  receive(sender: number, batch: CandidateBatch): void {
    this.streams[sender].push(batch);
  }

  /** How many states the level has added. */
  get newCount(): number {
    return this.store.size - this.levelFirst;
  }

  /**
   * Inserts candidates in key order for as long as the order is known (every sender has a
   * candidate waiting or has ended). Returns whether every stream is drained (the level's
   * candidates are all in).
   */
  merge(): boolean {
    const streams = this.streams;
    for (;;) {
      let best: CandidateBatch | undefined;
      let bestStream: Stream | undefined;
      let bestKey = Infinity;
      for (let s = 0; s < streams.length; s++) {
        const stream = streams[s];
        const batch = stream.head();
        if (batch === undefined) {
          if (!stream.ended) return false; // its next candidate may come first
          continue;
        }
        const key = batch.keys[stream.cursor];
        if (key < bestKey) {
          bestKey = key;
          best = batch;
          bestStream = stream;
        }
      }
      if (best === undefined || bestStream === undefined) return true;
      const at = bestStream.cursor++;
      this.insert(best, at, bestKey);
    }
  }

  private insert(batch: CandidateBatch, at: number, key: number): void {
    const start = at === 0 ? 0 : batch.ends[at - 1];
    const store = this.store;
    const id = store.insert(batch.bytes, batch.ends[at] - start, batch.hashes[at], start);
    const parent = Math.floor(key / ORDINAL_LIMIT);
    if (store.added) {
      this.globalOf.push(-1);
      this.parentOf.push(parent);
      this.viaOf.push(batch.via[at]);
      const n = id - this.levelFirst;
      if (n === this.newKeys.length) {
        const grown = new Float64Array(n * 2);
        grown.set(this.newKeys);
        this.newKeys = grown;
      }
      this.newKeys[n] = key;
    }
    if (this.keepEdges && parent >= 0) {
      this.edgeSource.push(parent);
      this.edgeTarget.push(id);
    }
  }

  /** Bytes held: the store, the links and the edges. */
  get byteLength(): number {
    return (
      this.store.byteLength +
      this.globalOf.byteLength +
      this.parentOf.byteLength +
      this.viaOf.byteLength +
      this.newKeys.byteLength +
      this.edgeSource.byteLength +
      this.edgeTarget.byteLength
    );
  }
}
