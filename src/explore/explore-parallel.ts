/**
 * Breadth-first exploration on several cores, with the visited set partitioned by state hash:
 * each worker thread (src/explore/explore-worker.ts) owns the states whose hash routes to it,
 * expands its share of each BFS level, sends every successor to its owner, and inserts the
 * successors it owns into its own store. No thread inserts all the states: the step that made
 * the earlier design (workers expand, the main thread inserts) slower than one thread at scale.
 *
 * The search is level-synchronous, and the result is the sequential explorer's, exactly: the
 * same states, transitions, depth, first findings, shortest traces (the same ones, event for
 * event), stuck states and coverage (test/explore-parallel.test.ts checks it on every model).
 * Every state gets its sequential BFS number ("global number"): a successor carries the key
 * `parent's global number * 2^20 + its ordinal among the parent's successors`, which orders
 * discoveries as the sequential search makes them; each owner inserts the candidates of a level
 * in key order (src/explore/partition.ts), so the first insertion is the sequential first
 * discovery and its new states come out sorted by key; after the level the main thread merges
 * the workers' sorted key lists, which numbers the new level exactly as the sequential search
 * does. Findings are the first per property in global order; a trace is rebuilt from the
 * workers' parent links (global numbers) at the end.
 *
 * The main thread keeps the codec's tables (strings, object shapes and configuration numbers
 * must mean the same in every thread): a worker that meets a successor needing a new id sends
 * it here and waits for the ids (rare: a model has few strings, shapes and configurations).
 *
 * The main thread stays synchronous (explore() returns a result, not a promise): it waits with
 * Atomics.wait on a shared word the workers bump after each message, and reads its ports with
 * receiveMessageOnPort.
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
  ControlRequest,
  FinishReply,
  InternRequest,
  LevelReply,
  TableDelta,
  WorkerReply,
  WorkerSetup,
} from './explore-worker.ts';
import type { ModelDefinition } from '../model/model.ts';
import { ownerOf } from './partition.ts';
import { SearchTree, resultOf } from './search-tree.ts';
import { StateCodec, UnencodableError } from './state-codec.ts';
import type { ModelSystem } from '../model/system.ts';

/** A worker that has not answered for this long is taken as dead. */
const SILENCE_LIMIT_MS = 120_000;

/** The worker threads, their ports to each other, and the synchronous channel to them. */
class WorkerPool {
  private readonly controls: MessagePort[] = [];
  private readonly workers: Worker[] = [];
  private readonly signals: Int32Array;

  constructor(
    private readonly count: number,
    setup: Pick<WorkerSetup, 'module' | 'model' | 'request'>,
    /** Gives the ids a worker asks for. */
    private readonly intern: (worker: number, request: InternRequest) => ControlRequest,
  ) {
    this.signals = new Int32Array(new SharedArrayBuffer(4 * (count + 1)));
    const peers: Array<Array<MessagePort | null>> = Array.from({ length: count }, () =>
      new Array<MessagePort | null>(count).fill(null),
    );
    for (let i = 0; i < count; i++) {
      for (let j = i + 1; j < count; j++) {
        const { port1, port2 } = new MessageChannel();
        peers[i][j] = port1;
        peers[j][i] = port2;
      }
    }
    for (let i = 0; i < count; i++) {
      const { port1, port2 } = new MessageChannel();
      const workerSetup: WorkerSetup = {
        ...setup,
        index: i,
        workerCount: count,
        control: port2,
        peers: peers[i],
        signals: this.signals.buffer as SharedArrayBuffer,
      };
      const ports = [port2, ...peers[i].filter((port) => port !== null)];
      // The entry registers tsx and loads explore-worker.ts; no inherited flags (`--import
      // tsx` from a parent would load tsx twice).
      const worker = new Worker(new URL('./explore-worker-boot.mjs', import.meta.url), {
        workerData: workerSetup,
        transferList: ports,
        execArgv: [],
      });
      worker.unref();
      this.workers.push(worker);
      this.controls.push(port1);
    }
  }

  post(worker: number, message: ControlRequest, transfer: ArrayBuffer[] = []): void {
    this.controls[worker].postMessage(message, transfer);
    Atomics.add(this.signals, worker, 1);
    Atomics.notify(this.signals, worker);
  }

  /** One reply from every worker, answering their requests for ids meanwhile. */
  collect<T extends WorkerReply>(): T[] {
    const replies = new Array<T | undefined>(this.count);
    let missing = this.count;
    let silentSince = performance.now();
    for (;;) {
      const seen = Atomics.load(this.signals, this.count);
      for (let w = 0; w < this.count; w++) {
        for (;;) {
          const received = receiveMessageOnPort(this.controls[w]);
          if (!received) break;
          const reply = received.message as WorkerReply;
          if (reply.type === 'error') {
            if (reply.unencodable) throw new UnencodableError(reply.message);
            throw new Error(`explorer worker: ${reply.message}`);
          }
          if (reply.type === 'ready') continue;
          if (reply.type === 'intern') {
            this.post(w, this.intern(w, reply));
            continue;
          }
          replies[w] = reply as T;
          missing--;
        }
      }
      if (missing === 0) return replies as T[];
      if (Atomics.wait(this.signals, this.count, seen, 1000) !== 'timed-out') {
        silentSince = performance.now();
      } else if (performance.now() - silentSince > SILENCE_LIMIT_MS) {
        throw new Error('explorer worker: no answer for 120 s (did the worker thread die?)');
      }
    }
  }

  close(): void {
    for (let w = 0; w < this.count; w++) {
      this.post(w, { type: 'close' });
      this.controls[w].close();
      void this.workers[w].terminate();
    }
  }
}

/**
 * Global numbers for a level's new states: the workers' keys, each list ascending, merged;
 * the state with the k-th smallest key gets `first + k`, its sequential number.
 */
export function rankLevel(keys: readonly Float64Array[], first: number): Int32Array[] {
  const globals = keys.map((list) => new Int32Array(list.length));
  const at = new Array<number>(keys.length).fill(0);
  let total = 0;
  for (const list of keys) total += list.length;
  for (let n = 0; n < total; n++) {
    let best = -1;
    let bestKey = Infinity;
    for (let w = 0; w < keys.length; w++) {
      if (at[w] < keys[w].length && keys[w][at[w]] < bestKey) {
        bestKey = keys[w][at[w]];
        best = w;
      }
    }
    globals[best][at[best]++] = first + n;
  }
  return globals;
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
  const deadline = Date.now() + (options.maxSeconds ?? Infinity) * 1000;
  let peakRss = process.memoryUsage.rss();
  let lastProgress = started;

  const compiled = system.compiled;
  const codec = new StateCodec();
  // The initial state first: a context that is not plain data fails here, before any thread starts.
  const initial = system.initial().node;
  const seedHash = codec.encode(initial.state.config, initial.state.context, initial.monitors);
  const seed = { bytes: codec.buffer.slice(0, codec.length), hash: seedHash };
  const goalCount = new Expander(system).goalChecks.length;
  const tree = new SearchTree(goalCount);

  // What each worker has been told of the codec's tables and the configuration numbers
  // (nothing yet: the initial state's ids go with the first level).
  const sentTables = Array.from({ length: workerCount }, () => ({ strings: 0, shapes: 0 }));
  const sentConfigurations = new Array<number>(workerCount).fill(0);
  const delta = (worker: number): TableDelta => {
    const tables = codec.tablesSince(sentTables[worker]);
    sentTables[worker] = codec.tableSizes();
    const configurations: string[] = [];
    for (let c = sentConfigurations[worker]; c < compiled.configurationCount; c++) {
      configurations.push(compiled.configurationKey(c));
    }
    sentConfigurations[worker] = compiled.configurationCount;
    return { tables, configurations };
  };

  const pool = new WorkerPool(
    workerCount,
    {
      module: definition.module,
      model: definition.name,
      request: { bounds: system.config.bounds, variants: [...system.config.variants] },
    },
    (worker, request) => {
      const config = compiled.configurationOfKey(request.configuration);
      codec.encode(config, request.context, request.monitors); // gives the ids
      return { type: 'interned', ...delta(worker) };
    },
  );

  /** Runs one level on every worker; `globals` numbers the previous level's new states. */
  const runLevel = (limit: number, globals: Int32Array[] | undefined, withSeed: boolean) => {
    const seedOwner = withSeed ? ownerOf(seed.hash, workerCount) : -1;
    for (let w = 0; w < workerCount; w++) {
      const transfer = globals ? [globals[w].buffer as ArrayBuffer] : [];
      pool.post(
        w,
        {
          type: 'level',
          ...delta(w),
          limit,
          deadline,
          ...(globals ? { globals: globals[w] } : {}),
          ...(w === seedOwner ? { seed } : {}),
        },
        transfer,
      );
    }
    return pool.collect<LevelReply>();
  };

  try {
    // The level of the initial state, then one level of BFS per round.
    let globals = rankLevel(
      runLevel(0, undefined, true).map((reply) => reply.newKeys),
      0,
    );
    // Progress counts from here: the workers' start is not progress (a small model would
    // report one state after a second of loading).
    lastProgress = performance.now();
    let levelStart = 0; // the frontier is [levelStart, levelEnd) in global numbers
    let levelEnd = 1;
    let discovered = 1;
    let depth = 0;
    let processed = 0;
    let transitions = 0;
    let stopped = false; // by the deadline
    for (;;) {
      if (Date.now() > deadline) {
        stopped = true;
        break;
      }
      const limit = Math.min(levelEnd, maxStates);
      if (limit <= levelStart) break; // the budget is spent
      const replies = runLevel(limit, globals, false);
      let newStates = 0;
      const findings = replies.flatMap((reply) => reply.findings);
      findings.sort((a, b) => a.state - b.state);
      for (const finding of findings) {
        tree.record(finding.property, {
          stateIndex: finding.state,
          eventIndex: finding.eventIndex < 0 ? undefined : finding.eventIndex,
          message: finding.message,
        });
      }
      for (const reply of replies) {
        processed += reply.expanded;
        transitions += reply.transitions;
        newStates += reply.newKeys.length;
      }
      discovered = levelEnd + newStates;
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      const now = performance.now();
      if (options.onProgress && now - lastProgress >= 1000) {
        lastProgress = now;
        options.onProgress({ states: processed, transitions, seconds: (now - started) / 1000 });
      }
      if (replies.some((reply) => reply.aborted)) {
        stopped = true;
        break;
      }
      if (newStates === 0 || limit < levelEnd) break;
      globals = rankLevel(
        replies.map((reply) => reply.newKeys),
        levelEnd,
      );
      levelStart = levelEnd;
      levelEnd = discovered;
      depth++;
    }
    // As the sequential search: the depth of the first state not expanded, or of the last one.
    tree.depth = depth;
    const complete = !stopped && processed === discovered;

    const graph = tree.needGraph && complete;
    const finish: ControlRequest = { type: 'finish', parents: tree.found.size > 0 || graph, graph };
    for (let w = 0; w < workerCount; w++) pool.post(w, finish);
    const finished = pool.collect<FinishReply>();
    if (finish.parents) fillParents(tree, finished, levelEnd);
    if (graph) fillGraph(tree, finished, processed);
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    const result = resultOf(definition, system, tree, {
      complete,
      states: processed,
      transitions,
      started,
      peakRss,
      visitedBytes: finished.reduce((sum, reply) => sum + reply.bytes, 0),
      ...coverageTotals(system, finished),
    });
    return { ...result, parallel: { workers: workerCount, expandedByWorkers: processed } };
  } finally {
    pool.close();
  }
}

/** The tree of first discovery in global numbers, from the workers' links (states below `count`). */
function fillParents(tree: SearchTree, replies: FinishReply[], count: number): void {
  const parent = new Int32Array(count);
  const via = new Int32Array(count);
  for (const { parents } of replies) {
    if (!parents) continue;
    for (let i = 0; i < parents.globals.length; i++) {
      const global = parents.globals[i];
      if (global < 0 || global >= count) continue; // found, not numbered (the budget ran out)
      parent[global] = parents.parent[i];
      via[global] = parents.via[i];
    }
  }
  for (let s = 0; s < count; s++) tree.discovered(parent[s], via[s]);
}

/** Goal bits and edges of the `processed` expanded states in global order, for liveness. */
function fillGraph(tree: SearchTree, replies: FinishReply[], processed: number): void {
  const goalCount = tree.goals.length;
  const goals = new Int32Array(processed * goalCount);
  const outDegree = new Int32Array(processed + 1);
  for (const { graph } of replies) {
    if (!graph) continue;
    for (let i = 0; i < graph.expanded.length; i++) {
      for (let g = 0; g < goalCount; g++) {
        goals[graph.expanded[i] * goalCount + g] = graph.goals[i * goalCount + g];
      }
    }
    for (let e = 0; e < graph.edgeSource.length; e++) outDegree[graph.edgeSource[e] + 1]++;
  }
  for (let s = 0; s < processed; s++) outDegree[s + 1] += outDegree[s];
  const fill = outDegree.slice(0, processed);
  const targets = new Int32Array(outDegree[processed]);
  for (const { graph } of replies) {
    if (!graph) continue;
    for (let e = 0; e < graph.edgeSource.length; e++) {
      targets[fill[graph.edgeSource[e]]++] = graph.edgeTarget[e];
    }
  }
  for (let s = 0; s < processed; s++) {
    for (let g = 0; g < goalCount; g++) tree.goals[g].push(goals[s * goalCount + g]);
    tree.expanding();
  }
  // expanding() pushed each state's start as the current edge count: set them, then the edges.
  for (let s = 0; s < processed; s++) tree.edgeStart.set(s, outDegree[s]);
  for (const target of targets) tree.edge(target);
}

/** State-node and transition coverage summed over the workers (configurations by key). */
function coverageTotals(
  system: ModelSystem,
  replies: FinishReply[],
): { configHits: number[]; transitionHits: number[] } {
  const configHits: number[] = [];
  const transitionHits = system.compiled.transitions.map(() => 0);
  for (const totals of replies) {
    for (const [key, hits] of Object.entries(totals.configHits)) {
      const config = system.compiled.configurationOfKey(key);
      configHits[config] = (configHits[config] ?? 0) + hits;
    }
    totals.transitionHits.forEach((hits, t) => (transitionHits[t] += hits));
  }
  for (let c = 0; c < configHits.length; c++) configHits[c] ??= 0;
  return { configHits, transitionHits };
}
