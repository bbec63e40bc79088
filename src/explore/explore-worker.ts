/**
 * A worker thread of the parallel explorer (src/explore/explore-parallel.ts). It owns one
 * partition of the visited set (src/explore/partition.ts: the states whose hash routes here),
 * and in every BFS level it expands its share of the frontier (decode, step the model, check
 * the properties, encode and hash each successor), sends each successor to the partition that
 * owns it, and inserts the successors the workers send it, in key order, into its own store.
 * The main thread only ranks each level (a merge of sorted key lists) and keeps the verdicts.
 *
 * Encoding must give the same bytes for the same state in every thread, and the codec interns
 * strings and object shapes, and the compiled machine numbers configurations, as it meets
 * them: the main thread alone gives ids. A worker encodes with a frozen copy of its tables;
 * a successor that needs a new id is sent to the main thread (`intern`), which gives the ids
 * and answers with the new table entries before the worker goes on. Every worker gets the
 * entries given meanwhile with its next level, before it decodes any state that uses them.
 *
 * After it has loaded the model the worker runs synchronously: it waits with Atomics.wait on
 * its word of a shared array that every sender bumps after a message, and reads its ports with
 * receiveMessageOnPort, so that it can take candidates while it expands.
 */
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { resolveConfig, type ConfigRequest } from '../model/config.ts';
import { Expander, type ExpansionSink } from './expand.ts';
import type { ModelDefinition } from '../model/model.ts';
import { IntVector } from './int-vector.ts';
import {
  ORDINAL_LIMIT,
  Outbox,
  Partition,
  ownerOf,
  transferablesOf,
  type CandidateBatch,
} from './partition.ts';
import { NotInternedError, StateCodec, UnencodableError, type CodecTables } from './state-codec.ts';
import { ModelSystem, type SystemNode } from '../model/system.ts';

export interface WorkerSetup {
  module: string;
  model: string;
  request: ConfigRequest;
  /** This worker's number and how many there are. */
  index: number;
  workerCount: number;
  control: MessagePort;
  /** A port to every other worker (null at this worker's own index). */
  peers: Array<MessagePort | null>;
  /** One word per worker and one (the last) for the main thread, bumped after each message. */
  signals: SharedArrayBuffer;
}

/** Codec ids and configuration keys given by the main thread since this worker's last update. */
export interface TableDelta {
  tables: CodecTables;
  /** Keys of the main thread's configurations numbered since (in order). */
  configurations: string[];
}

export interface LevelRequest extends TableDelta {
  type: 'level';
  /** Global numbers of the states the previous level added to this partition, in local order. */
  globals?: Int32Array;
  /** Expand the frontier states whose global number is below this. */
  limit: number;
  /** Stop expanding after this time (Date.now() milliseconds). */
  deadline: number;
  /** The initial state's bytes and hash, for its owner in the first level. */
  seed?: { bytes: Uint8Array; hash: number };
}

export interface FinishRequest {
  type: 'finish';
  /** Send the tree of first discovery (for traces). */
  parents: boolean;
  /** Send the goal bits and edges (liveness). */
  graph: boolean;
}

export type ControlRequest =
  LevelRequest | FinishRequest | ({ type: 'interned' } & TableDelta) | { type: 'close' };

export interface WorkerFinding {
  property: string;
  /** Global number of the state. */
  state: number;
  /** -1 for a violation in the state itself. */
  eventIndex: number;
  message: string;
}

export interface LevelReply {
  type: 'level';
  expanded: number;
  transitions: number;
  /** The first finding per property in this worker's share of the level. */
  findings: WorkerFinding[];
  /** Keys of the states the level added here, ascending (their local order). */
  newKeys: Float64Array;
  /** The deadline passed before this worker's share was expanded. */
  aborted: boolean;
}

export interface FinishReply {
  type: 'finished';
  /** Expanded states per configuration, by configuration key. */
  configHits: Record<string, number>;
  transitionHits: number[];
  bytes: number;
  parents?: { globals: Int32Array; parent: Int32Array; via: Int32Array };
  graph?: {
    /** Global numbers of the states expanded here, and their goal bits (goalCount each). */
    expanded: Int32Array;
    goals: Int32Array;
    edgeSource: Int32Array;
    edgeTarget: Int32Array;
  };
}

/** A successor whose encoding needs ids the worker lacks; the main thread gives them. */
export interface InternRequest {
  type: 'intern';
  configuration: string;
  context: unknown;
  monitors: unknown[];
}

export interface ErrorReply {
  type: 'error';
  message: string;
  /** A context that is not plain data: the explorer falls back to JSON keys in one thread. */
  unencodable?: boolean;
}

export type WorkerReply = { type: 'ready' } | LevelReply | FinishReply | InternRequest | ErrorReply;

/** Candidates per message between workers: large enough that a message costs little. */
const OUTBOX_CAPACITY = 2048;
/** Expanded states between two looks at the incoming candidates. */
const PUMP_EVERY = 64;

/** Finds the definition named `model` among a module's exports (directly or in an array). */
function findDefinition(exports: Record<string, unknown>, model: string): ModelDefinition {
  const isIt = (value: unknown): value is ModelDefinition =>
    typeof value === 'object' &&
    value !== null &&
    (value as ModelDefinition).name === model &&
    typeof (value as ModelDefinition).build === 'function';
  for (const value of Object.values(exports)) {
    if (isIt(value)) return value;
    if (Array.isArray(value)) {
      const found = value.find(isIt);
      if (found) return found;
    }
  }
  throw new Error(`model ${model} is not exported by its module`);
}

async function run(setup: WorkerSetup): Promise<void> {
  const { control, workerCount } = setup;
  const signals = new Int32Array(setup.signals);
  const notify = (target: number) => {
    Atomics.add(signals, target, 1);
    Atomics.notify(signals, target);
  };
  const toMain = (message: WorkerReply, transfer: ArrayBuffer[] = []) => {
    control.postMessage(message, transfer);
    notify(workerCount);
  };
  try {
    const exports = (await import(setup.module)) as Record<string, unknown>;
    const definition = findDefinition(exports, setup.model);
    const system = new ModelSystem(definition, resolveConfig(definition, setup.request));
    const search = new PartitionSearch(system, setup, toMain, notify);
    toMain({ type: 'ready' });
    search.serve();
  } catch (error) {
    toMain({
      type: 'error',
      message: error instanceof Error ? error.message : String(error),
      unencodable:
        error instanceof UnencodableError ||
        (error instanceof Error && error.name === 'DataCloneError'),
    });
  }
}

/** This worker's part of the search: its partition, its expander, its outboxes. */
class PartitionSearch {
  private readonly expander: Expander;
  private readonly goalCount: number;
  private readonly monitorCount: number;
  private readonly codec = new StateCodec();
  private readonly partition: Partition;
  private readonly outboxes: Outbox[];
  /** Configuration numbers: the main thread's (in the bytes) and this thread's compiled machine's. */
  private readonly toLocal: number[] = [];
  private readonly toMainConfig: number[] = [];
  /** Global numbers and goal bits of the states expanded here (when liveness needs them). */
  private readonly expandedGlobals = new IntVector();
  private readonly goalBits = new IntVector();
  private readonly goalScratch: number[] = [];
  private readonly signals: Int32Array;
  private readonly me: number;

  constructor(
    private readonly system: ModelSystem,
    private readonly setup: WorkerSetup,
    private readonly toMain: (message: WorkerReply, transfer?: ArrayBuffer[]) => void,
    private readonly notify: (target: number) => void,
  ) {
    this.expander = new Expander(system);
    this.goalCount = this.expander.goalChecks.length;
    this.monitorCount = system.monitors.length;
    this.codec.frozen = true; // ids come from the main thread
    this.partition = new Partition(setup.workerCount, this.goalCount > 0);
    this.outboxes = Array.from({ length: setup.workerCount }, () => new Outbox(OUTBOX_CAPACITY));
    this.signals = new Int32Array(setup.signals);
    this.me = setup.index;
  }

  /** Answers the main thread's requests until it says `close`. */
  serve(): void {
    for (;;) {
      const request = this.waitForControl();
      if (request.type === 'close') return;
      if (request.type === 'level') {
        const reply = this.level(request);
        this.toMain(reply, [reply.newKeys.buffer as ArrayBuffer]);
      } else if (request.type === 'finish') {
        const reply = this.finish(request);
        const arrays = [reply.parents, reply.graph].flatMap((part) =>
          part ? Object.values(part).map((array: Int32Array) => array.buffer as ArrayBuffer) : [],
        );
        this.toMain(reply, arrays);
      }
    }
  }

  private waitForControl(): ControlRequest {
    for (;;) {
      const seen = Atomics.load(this.signals, this.me);
      const received = receiveMessageOnPort(this.setup.control);
      if (received) return received.message as ControlRequest;
      Atomics.wait(this.signals, this.me, seen, 1000);
    }
  }

  private learn(delta: TableDelta): void {
    this.codec.importTables(delta.tables);
    const compiled = this.system.compiled;
    for (const key of delta.configurations) {
      const local = compiled.configurationOfKey(key);
      this.toMainConfig[local] = this.toLocal.length;
      this.toLocal.push(local);
    }
  }

  /** Encodes `node` into the codec's buffer and returns its hash, asking the main thread for ids it lacks. */
  private encode(node: SystemNode): number {
    const { context } = node.state;
    for (let asked = false; ; asked = true) {
      const config = this.toMainConfig[node.state.config];
      if (config !== undefined) {
        try {
          return this.codec.encode(config, context, node.monitors);
        } catch (error) {
          if (!(error instanceof NotInternedError) || asked) throw error;
        }
      } else if (asked) {
        throw new Error('the main thread did not number a configuration');
      }
      this.toMain({
        type: 'intern',
        configuration: this.system.compiled.configurationKey(node.state.config),
        context,
        monitors: node.monitors,
      });
      const reply = this.waitForControl();
      if (reply.type !== 'interned') throw new Error(`expected ids, got ${reply.type}`);
      this.learn(reply);
    }
  }

  private level(request: LevelRequest): LevelReply {
    this.learn(request);
    const { partition, expander, codec, goalCount } = this;
    // The previous level's new states are this level's frontier, in global order.
    const frontierStart = partition.levelFirst;
    const frontierEnd = partition.store.size;
    if (request.globals) {
      for (let k = 0; k < request.globals.length; k++) {
        partition.globalOf.set(frontierStart + k, request.globals[k]);
      }
    }
    partition.startLevel();
    if (request.seed) {
      const { bytes, hash } = request.seed;
      this.outboxes[this.me].add(-1, -1, hash, bytes, bytes.length);
    }

    const findings = new Map<string, WorkerFinding>();
    let parent = 0; // the global number of the state being expanded
    let ordinal = 0; // of its next successor
    const sink: ExpansionSink = {
      violation: (property, message, eventIndex) => {
        if (!findings.has(property)) {
          findings.set(property, {
            property,
            state: parent,
            eventIndex: eventIndex ?? -1,
            message,
          });
        }
      },
      successor: (node, eventIndex) => {
        if (ordinal === ORDINAL_LIMIT)
          throw new Error(`a state with over ${ORDINAL_LIMIT} successors`);
        const hash = this.encode(node);
        const owner = ownerOf(hash, this.outboxes.length);
        const outbox = this.outboxes[owner];
        outbox.add(
          parent * ORDINAL_LIMIT + ordinal++,
          eventIndex,
          hash,
          codec.buffer,
          codec.length,
        );
        if (outbox.full) this.send(owner, false);
      },
    };

    const transitionsBefore = expander.transitions;
    let expanded = 0;
    let aborted = false;
    for (let id = frontierStart; id < frontierEnd; id++) {
      const global = partition.globalOf.get(id);
      if (global >= request.limit) break;
      if ((expanded & 0xff) === 0 && Date.now() > request.deadline) {
        aborted = true;
        break;
      }
      const store = partition.store;
      const decoded = codec.decode(store.segmentOf(id), store.offsetOf(id), this.monitorCount);
      const node: SystemNode = {
        state: { config: this.toLocal[decoded.config], context: decoded.context },
        monitors: decoded.monitors,
      };
      if (goalCount > 0) {
        this.expandedGlobals.push(global);
        expander.goals(node, this.goalScratch, 0);
        for (let g = 0; g < goalCount; g++) this.goalBits.push(this.goalScratch[g]);
      }
      parent = global;
      ordinal = 0;
      expander.expand(node, sink);
      if (++expanded % PUMP_EVERY === 0) this.pump();
    }
    for (let owner = 0; owner < this.outboxes.length; owner++) this.send(owner, true);
    for (;;) {
      const seen = Atomics.load(this.signals, this.me);
      if (this.pump()) break;
      Atomics.wait(this.signals, this.me, seen, 1000);
    }
    return {
      type: 'level',
      expanded,
      transitions: expander.transitions - transitionsBefore,
      findings: [...findings.values()],
      newKeys: partition.newKeys.slice(0, partition.newCount),
      aborted,
    };
  }

  /** Hands the candidates collected for `owner` over (to this partition directly). */
  private send(owner: number, last: boolean): void {
    const batch = this.outboxes[owner].take(last, this.partition.spare());
    if (owner === this.me) {
      this.partition.receive(owner, batch);
      return;
    }
    this.setup.peers[owner]!.postMessage(batch, transferablesOf(batch));
    this.notify(owner);
  }

  /** Takes what has arrived and inserts what can be inserted; true when the level is all in. */
  private pump(): boolean {
    // This worker's own candidates go to the merge when it waits for them, else in full batches.
    if (this.outboxes[this.me].count > 0 && this.partition.waitsFor(this.me)) {
      this.send(this.me, false);
    }
    const peers = this.setup.peers;
    for (let sender = 0; sender < peers.length; sender++) {
      const port = peers[sender];
      if (port === null) continue;
      for (;;) {
        const received = receiveMessageOnPort(port);
        if (!received) break;
        this.partition.receive(sender, received.message as CandidateBatch);
      }
    }
    return this.partition.merge();
  }

  private finish(request: FinishRequest): FinishReply {
    const { partition, expander } = this;
    const compiled = this.system.compiled;
    const configHits: Record<string, number> = {};
    expander.configHits.forEach((hits, config) => {
      configHits[compiled.configurationKey(config)] = hits;
    });
    const reply: FinishReply = {
      type: 'finished',
      configHits,
      transitionHits: expander.transitionHits,
      bytes: partition.byteLength + this.expandedGlobals.byteLength + this.goalBits.byteLength,
    };
    if (request.parents) {
      reply.parents = {
        globals: partition.globalOf.toArray(),
        parent: partition.parentOf.toArray(),
        via: partition.viaOf.toArray(),
      };
    }
    if (request.graph) {
      const edgeTarget = partition.edgeTarget.toArray();
      for (let e = 0; e < edgeTarget.length; e++) {
        edgeTarget[e] = partition.globalOf.get(edgeTarget[e]);
      }
      reply.graph = {
        expanded: this.expandedGlobals.toArray(),
        goals: this.goalBits.toArray(),
        edgeSource: partition.edgeSource.toArray(),
        edgeTarget,
      };
    }
    return reply;
  }
}

void run(workerData as WorkerSetup);
