/**
 * The explorer's visited sets: the compact exact store (src/explore/state-store.ts) and the original
 * Map of JSON keys, behind one interface.
 */
import { StateCodec } from './state-codec.ts';
import { StateStore } from './state-store.ts';
import type { ModelSystem, SystemNode } from '../model/system.ts';

/**
 * The visited set and the BFS queue in one: states are numbered in discovery order, and state
 * `i` can be fetched back when its turn comes, so no separate frontier is kept.
 */
export interface Visited {
  /** The number of `node`, adding it if new (then `added` is true). */
  add(node: SystemNode): number;
  added: boolean;
  readonly size: number;
  /** The node numbered `index`, for expanding it (each index is taken once, in order). */
  take(index: number): SystemNode;
  /** Bytes held for the stored states (keys and table; parent links not included). */
  bytes(): number;
}

/** Exact compact storage: states as tagged bytes in a segmented arena (src/explore/state-store.ts). */
export class CompactVisited implements Visited {
  /** Public for the parallel explorer, which encodes in workers and inserts bytes here. */
  readonly codec = new StateCodec();
  readonly store = new StateStore();
  added = false;

  constructor(private readonly monitorCount: number) {}

  get size(): number {
    return this.store.size;
  }

  add(node: SystemNode): number {
    const codec = this.codec;
    const hash = codec.encode(node.state.config, node.state.context, node.monitors);
    const id = this.store.insert(codec.buffer, codec.length, hash);
    this.added = this.store.added;
    return id;
  }

  take(index: number): SystemNode {
    const store = this.store;
    const decoded = this.codec.decode(
      store.segmentOf(index),
      store.offsetOf(index),
      this.monitorCount,
    );
    return {
      state: { config: decoded.config, context: decoded.context },
      monitors: decoded.monitors,
    };
  }

  bytes(): number {
    return this.store.byteLength;
  }
}

/** The original store: a Map from JSON keys, snapshots kept until expanded. */
export class JsonVisited implements Visited {
  private readonly ids = new Map<string, number>();
  private readonly pending: Array<SystemNode | undefined> = [];
  added = false;
  private keyBytes = 0;

  constructor(private readonly system: ModelSystem) {}

  get size(): number {
    return this.ids.size;
  }

  add(node: SystemNode): number {
    const key = this.system.key(node);
    const known = this.ids.get(key);
    this.added = known === undefined;
    if (known !== undefined) return known;
    const id = this.ids.size;
    this.ids.set(key, id);
    this.pending.push(node);
    this.keyBytes += key.length;
    return id;
  }

  take(index: number): SystemNode {
    const node = this.pending[index]!;
    this.pending[index] = undefined;
    return node;
  }

  bytes(): number {
    return this.keyBytes;
  }
}
