/**
 * Breadth-first exploration on several cores: worker threads expand batches of states (step
 * the model, check the properties, encode the successors: src/explore/explore-worker.ts) while the
 * main thread owns the visited set and the search tree and only inserts bytes.
 *
 * The result is the sequential explorer's, exactly: batches are cut from the store in state
 * order and their replies are applied in that order, so every state gets the number it gets in
 * the sequential search, and the states, transitions, depth, first findings, shortest traces
 * and coverage are the same (test/explore-parallel.test.ts checks it on every model).
 *
 * Why this split: encoding must give the same bytes for the same state in every thread, and
 * the codec interns strings and object shapes, and the compiled machine numbers
 * configurations, as it meets them. Only the main thread assigns ids; workers encode with a
 * frozen copy of its tables, send back as objects the rare successors that need a new id, and
 * receive the new ids with their next batch.
 *
 * A worker takes a few hundred milliseconds to start (tsx, XState, the model). Until one is
 * ready the main thread expands states itself, so a small model costs about what it costs
 * sequentially.
 *
 * The main thread stays synchronous (explore() returns a result, not a promise): it waits with
 * Atomics.wait on a shared counter the workers bump after each reply, and reads the replies
 * with receiveMessageOnPort.
 */
import {
  MessageChannel,
  receiveMessageOnPort,
  Worker,
  type MessagePort,
} from 'node:worker_threads';
import { UsageError } from '../model/config.ts';
import { Expander } from './expand.ts';
import type { ExploreOptions, ExploreResult } from './result.ts';
import type {
  BatchReply,
  BatchRequest,
  TotalsReply,
  WorkerReply,
  WorkerSetup,
} from './explore-worker.ts';
import type { ModelDefinition } from '../model/model.ts';
import { ExpansionHere, SearchTree, resultOf } from './search-tree.ts';
import { UnencodableError } from './state-codec.ts';
import type { ModelSystem, SystemNode } from '../model/system.ts';
import { CompactVisited } from './visited.ts';

/** Largest batch: big enough that a message costs little, small enough to share the frontier. */
const MAX_BATCH = 1024;
/** Batches in flight per worker: one being expanded, one waiting, so no worker idles. */
const IN_FLIGHT = 2;
/** A worker that has not answered for this long is taken as dead. */
const SILENCE_LIMIT_MS = 120_000;

interface Batch {
  worker: number;
  start: number;
  end: number;
}

type Reply = Exclude<WorkerReply, { type: 'error' | 'ready' }>;

/** The worker threads and the synchronous channel to them. */
class WorkerPool {
  readonly ready: boolean[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly workers: Worker[] = [];
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));

  constructor(count: number, setup: Omit<WorkerSetup, 'port' | 'signal'>) {
    for (let i = 0; i < count; i++) {
      const { port1, port2 } = new MessageChannel();
      const workerSetup: WorkerSetup = {
        ...setup,
        port: port2,
        signal: this.signal.buffer as SharedArrayBuffer,
      };
      // The entry registers tsx and loads explore-worker.ts; no inherited flags (`--import
      // tsx` from a parent would load tsx twice).
      const worker = new Worker(new URL('./explore-worker-boot.mjs', import.meta.url), {
        workerData: workerSetup,
        transferList: [port2],
        execArgv: [],
      });
      worker.unref();
      this.workers.push(worker);
      this.ports.push(port1);
      this.ready.push(false);
    }
  }

  get anyReady(): boolean {
    return this.ready.includes(true);
  }

  post(worker: number, message: BatchRequest | { type: 'totals' }, transfer: ArrayBuffer[] = []) {
    this.ports[worker].postMessage(message, transfer);
  }

  /** Takes the `ready` notes that have arrived, without waiting. */
  pollReady(): void {
    for (let w = 0; w < this.ports.length; w++) {
      if (!this.ready[w]) this.take(w);
    }
  }

  /** The next reply of `worker` (a ready worker), waiting for it. */
  receive(worker: number): Reply {
    return this.waitFor(() => this.take(worker));
  }

  /** Waits until some worker is ready. */
  waitUntilReady(): void {
    this.waitFor(() => {
      this.pollReady();
      return this.anyReady || undefined;
    });
  }

  private waitFor<T>(poll: () => T | undefined): T {
    let silentSince = performance.now();
    for (;;) {
      const seen = Atomics.load(this.signal, 0);
      const result = poll();
      if (result !== undefined) return result;
      if (Atomics.wait(this.signal, 0, seen, 1000) !== 'timed-out') {
        silentSince = performance.now();
      } else if (performance.now() - silentSince > SILENCE_LIMIT_MS) {
        throw new Error('explorer worker: no answer for 120 s (did the worker thread die?)');
      }
    }
  }

  private take(worker: number): Reply | undefined {
    for (;;) {
      const received = receiveMessageOnPort(this.ports[worker]);
      if (!received) return undefined;
      const reply = received.message as WorkerReply;
      if (reply.type === 'error') {
        if (reply.unencodable) throw new UnencodableError(reply.message);
        throw new Error(`explorer worker: ${reply.message}`);
      }
      if (reply.type !== 'ready') return reply;
      this.ready[worker] = true;
    }
  }

  close(): void {
    for (const port of this.ports) port.close();
    for (const worker of this.workers) void worker.terminate();
  }
}

export function exploreParallel(
  definition: ModelDefinition,
  options: ExploreOptions,
  system: ModelSystem,
  workerCount: number,
): ExploreResult {
  if (definition.module === undefined) {
    throw new UsageError(
      `model ${definition.name} does not name its module (module: import.meta.url), which worker threads need`,
    );
  }
  const started = performance.now();
  const maxStates = options.maxStates ?? Infinity;
  const deadline = started + (options.maxSeconds ?? Infinity) * 1000;
  let peakRss = process.memoryUsage.rss();
  let lastProgress = started;

  const visited = new CompactVisited(system.monitors.length);
  const { codec, store } = visited;
  const compiled = system.compiled;
  const local = new Expander(system); // the main thread's own expansions
  const goalCount = local.goalChecks.length;
  const tree = new SearchTree(goalCount);
  visited.add(system.initial().node);
  tree.discovered(-1, -1);

  const pool = new WorkerPool(workerCount, {
    module: definition.module,
    model: definition.name,
    request: { bounds: system.config.bounds, variants: [...system.config.variants] },
  });
  const sentTables = Array.from({ length: workerCount }, () => ({ strings: 0, shapes: 0 }));
  const sentConfigurations = new Array<number>(workerCount).fill(0);
  const inFlight: Batch[] = [];
  const inFlightOf = new Array<number>(workerCount).fill(0);
  let dispatched = 0; // states [0, dispatched) are expanded or sent to a worker
  let applied = 0; // states [0, applied) are expanded and their successors added
  let transitions = 0; // successors added from the workers' replies
  let outOfTime = false;

  let expandedHere = 0;
  const here = new ExpansionHere(tree, local, visited);
  /** The next state, expanded in this thread (while no worker is ready). */
  const expandHere = () => {
    const index = dispatched;
    tree.reach(index, store.size);
    here.expand(index, visited.take(index));
    dispatched = applied = index + 1;
    expandedHere++;
  };

  const dispatch = (worker: number, start: number, end: number) => {
    const { bytes, offsets } = store.copyStates(start, end);
    const tables = codec.tablesSince(sentTables[worker]);
    sentTables[worker] = codec.tableSizes();
    const configurations: string[] = [];
    for (let c = sentConfigurations[worker]; c < compiled.configurationCount; c++) {
      configurations.push(compiled.configurationKey(c));
    }
    sentConfigurations[worker] = compiled.configurationCount;
    pool.post(worker, { type: 'batch', tables, configurations, bytes, offsets }, [
      bytes.buffer as ArrayBuffer,
      offsets.buffer as ArrayBuffer,
    ]);
    inFlight.push({ worker, start, end });
    inFlightOf[worker]++;
    dispatched = end;
  };

  /** A worker's reply, in state order: the same additions expandHere would have made. */
  const apply = (batch: Batch, reply: BatchReply) => {
    let successor = 0;
    let byteOffset = 0;
    let unencoded = 0;
    let violation = 0;
    for (let index = batch.start; index < batch.end; index++) {
      const at = index - batch.start;
      tree.reach(index, store.size);
      for (let g = 0; g < goalCount; g++) tree.goals[g].push(reply.goalBits[at * goalCount + g]);
      tree.expanding();
      while (violation < reply.violations.length && reply.violations[violation].state === at) {
        const v = reply.violations[violation++];
        tree.record(v.property, {
          stateIndex: index,
          eventIndex: v.eventIndex < 0 ? undefined : v.eventIndex,
          message: v.message,
        });
      }
      const end = successor + reply.successorCounts[at];
      for (; successor < end; successor++) {
        const length = reply.lengths[successor];
        let id: number;
        if (length >= 0) {
          id = store.insert(reply.bytes, length, reply.hashes[successor], byteOffset);
          byteOffset += length;
        } else {
          const { configuration, context, monitors } = reply.unencoded[unencoded++];
          const node: SystemNode = {
            state: { config: compiled.configurationOfKey(configuration), context },
            monitors,
          };
          id = visited.add(node);
        }
        if (store.added) tree.discovered(index, reply.eventIndices[successor]);
        tree.edge(id);
      }
      transitions += reply.successorCounts[at];
    }
    applied = batch.end;
  };

  const fillWorkers = (limit: number) => {
    for (;;) {
      let worker = -1;
      for (let w = 0; w < workerCount; w++) {
        if (pool.ready[w] && (worker < 0 || inFlightOf[w] < inFlightOf[worker])) worker = w;
      }
      if (worker < 0 || inFlightOf[worker] >= IN_FLIGHT || dispatched >= limit) return;
      const share = Math.ceil((limit - dispatched) / (workerCount * IN_FLIGHT));
      dispatch(worker, dispatched, dispatched + Math.min(MAX_BATCH, share));
    }
  };

  try {
    for (let round = 0; ; round++) {
      const limit = Math.min(store.size, maxStates);
      if ((round & 0x3f) === 0) {
        if (!pool.anyReady) pool.pollReady();
        const now = performance.now();
        if (now > deadline) outOfTime = true;
        if (now - lastProgress >= 1000) {
          lastProgress = now;
          peakRss = Math.max(peakRss, process.memoryUsage.rss());
          const states = applied;
          options.onProgress?.({
            states,
            transitions: transitions + local.transitions,
            seconds: (now - started) / 1000,
          });
        }
      }
      if (!outOfTime) {
        if (!pool.anyReady && dispatched < limit) {
          if (!options.workersOnly) {
            expandHere();
            continue;
          }
          if (inFlight.length === 0) pool.waitUntilReady();
        }
        pool.pollReady();
        fillWorkers(limit);
      }
      const oldest = inFlight.shift();
      if (oldest === undefined) break;
      inFlightOf[oldest.worker]--;
      apply(oldest, pool.receive(oldest.worker) as BatchReply);
    }
    if (applied < store.size) tree.reach(applied, store.size);
    const coverage = coverageTotals(system, local, pool, workerCount);
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    const result = resultOf(definition, system, tree, {
      complete: applied === store.size,
      states: applied,
      transitions: transitions + local.transitions,
      started,
      peakRss,
      visitedBytes: visited.bytes(),
      ...coverage,
    });
    return {
      ...result,
      parallel: { workers: workerCount, expandedByWorkers: applied - expandedHere },
    };
  } finally {
    pool.close();
  }
}

/**
 * State-node and transition coverage summed over this thread and the workers. Workers count
 * configurations by key, since each numbers them its own way.
 */
function coverageTotals(
  system: ModelSystem,
  local: Expander,
  pool: WorkerPool,
  workerCount: number,
): { configHits: number[]; transitionHits: number[] } {
  const configHits = [...local.configHits].map((hits) => hits ?? 0);
  const transitionHits = [...local.transitionHits];
  for (let w = 0; w < workerCount; w++) {
    if (!pool.ready[w]) continue; // never got a batch
    pool.post(w, { type: 'totals' });
    const totals = pool.receive(w) as TotalsReply;
    for (const [key, hits] of Object.entries(totals.configHits)) {
      const config = system.compiled.configurationOfKey(key);
      configHits[config] = (configHits[config] ?? 0) + hits;
    }
    totals.transitionHits.forEach((hits, t) => (transitionHits[t] += hits));
  }
  return { configHits, transitionHits };
}
