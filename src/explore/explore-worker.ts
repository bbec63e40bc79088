/**
 * A worker thread of the parallel explorer (src/explore/explore-parallel.ts). It builds the same
 * model system as the main thread, and for each batch of states it is sent (their bytes, cut
 * from the main thread's store) it decodes them, expands them with the shared Expander and
 * sends back, per state, its goal bits, violations and successors, each successor already
 * encoded with a frozen copy of the main thread's codec tables and hashed. The main thread
 * only inserts the bytes: the stepping, property checks and encoding, most of the work, run
 * here.
 *
 * Replies go to a MessagePort the main thread reads synchronously (receiveMessageOnPort), and
 * a shared counter is bumped and notified after each, so the main thread can Atomics.wait.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { resolveConfig, type ConfigRequest } from '../model/config.ts';
import { Expander, type ExpansionSink } from './expand.ts';
import type { ModelDefinition } from '../model/model.ts';
import { NotInternedError, StateCodec, UnencodableError, type CodecTables } from './state-codec.ts';
import { ModelSystem, type SystemNode } from '../model/system.ts';

export interface WorkerSetup {
  module: string;
  model: string;
  request: ConfigRequest;
  port: MessagePort;
  signal: SharedArrayBuffer;
}

export interface BatchRequest {
  type: 'batch';
  /** New codec ids since the last batch this worker was sent. */
  tables: CodecTables;
  /** Keys of the main thread's configurations numbered since the last batch (in order). */
  configurations: string[];
  /** The states' bytes, back to back; state i starts at offsets[i], ends at offsets[i + 1]. */
  bytes: Uint8Array;
  offsets: Uint32Array;
}

/** A successor as an object, its configuration by key (numbers differ between threads). */
export interface UnencodedNode {
  configuration: string;
  context: unknown;
  monitors: unknown[];
}

export interface BatchViolation {
  /** Index of the state in the batch. */
  state: number;
  /** -1 for a violation in the state itself. */
  eventIndex: number;
  property: string;
  message: string;
}

export interface BatchReply {
  type: 'batch';
  /** Per state: how many successors, and its goal bits (goalCount each). */
  successorCounts: Uint32Array;
  goalBits: Uint8Array;
  /** Per successor: alphabet index, hash, byte length (-1: in `unencoded`, in order). */
  eventIndices: Int32Array;
  hashes: Int32Array;
  lengths: Int32Array;
  bytes: Uint8Array;
  /** Successors this worker had no ids for: the main thread numbers and encodes them. */
  unencoded: UnencodedNode[];
  violations: BatchViolation[];
}

export interface TotalsReply {
  type: 'totals';
  /** Expanded states per configuration, by configuration key. */
  configHits: Record<string, number>;
  transitionHits: number[];
}

/** Sent once, when the model is built: the worker can take batches. */
export interface ReadyReply {
  type: 'ready';
}

export interface ErrorReply {
  type: 'error';
  message: string;
  /** A context that is not plain data: the explorer falls back to JSON keys in one thread. */
  unencodable?: boolean;
}

export type WorkerReply = ReadyReply | BatchReply | TotalsReply | ErrorReply;

/** A configuration the main thread has no number for yet is sent as an object too. */
const NEW_CONFIGURATION = new NotInternedError('a configuration without a number');

/** A growable byte buffer for the successors' encodings. */
class ByteSink {
  bytes = new Uint8Array(1 << 16);
  length = 0;

  append(source: Uint8Array, count: number): void {
    if (this.length + count > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + count));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    // A loop, not set(subarray): states are a few dozen bytes and a subarray allocates.
    const bytes = this.bytes;
    for (let i = 0; i < count; i++) bytes[this.length + i] = source[i];
    this.length += count;
  }
}

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
  const { port } = setup;
  const signal = new Int32Array(setup.signal);
  const reply = (message: WorkerReply, transfer: ArrayBuffer[] = []) => {
    port.postMessage(message, transfer);
    Atomics.add(signal, 0, 1);
    Atomics.notify(signal, 0);
  };
  try {
    const exports = (await import(setup.module)) as Record<string, unknown>;
    const definition = findDefinition(exports, setup.model);
    const system = new ModelSystem(definition, resolveConfig(definition, setup.request));
    const expander = new Expander(system);
    const goalCount = expander.goalChecks.length;
    const monitorCount = system.monitors.length;
    const codec = new StateCodec();
    codec.frozen = true; // ids come from the main thread, with each batch
    // Configuration numbers: the main thread's (in the bytes) and this thread's compiled machine's.
    const compiled = system.compiled;
    const toLocal: number[] = [];
    const toMain: number[] = [];
    const learnConfigurations = (keys: readonly string[]) => {
      for (const key of keys) {
        const local = compiled.configurationOfKey(key);
        toMain[local] = toLocal.length;
        toLocal.push(local);
      }
    };

    port.on('message', (request: BatchRequest | { type: 'totals' }) => {
      try {
        if (request.type === 'totals') {
          const configHits: Record<string, number> = {};
          expander.configHits.forEach((hits, config) => {
            configHits[compiled.configurationKey(config)] = hits;
          });
          reply({ type: 'totals', configHits, transitionHits: expander.transitionHits });
          return;
        }
        codec.importTables(request.tables);
        learnConfigurations(request.configurations);
        const { message, transfer } = expandBatch(request);
        reply(message, transfer);
      } catch (error) {
        reply({
          type: 'error',
          message: error instanceof Error ? error.message : String(error),
          unencodable: error instanceof UnencodableError,
        });
      }
    });
    reply({ type: 'ready' });

    function expandBatch(request: BatchRequest): { message: BatchReply; transfer: ArrayBuffer[] } {
      const count = request.offsets.length - 1;
      const successorCounts = new Uint32Array(count);
      const goalBits = new Uint8Array(count * goalCount);
      const eventIndices: number[] = [];
      const hashes: number[] = [];
      const lengths: number[] = [];
      const bytes = new ByteSink();
      const unencoded: UnencodedNode[] = [];
      const violations: BatchViolation[] = [];
      let state = 0;
      const sink: ExpansionSink = {
        violation: (property, message, eventIndex) =>
          violations.push({ state, eventIndex: eventIndex ?? -1, property, message }),
        successor: (node, eventIndex) => {
          successorCounts[state]++;
          eventIndices.push(eventIndex);
          const config = toMain[node.state.config];
          try {
            if (config === undefined) throw NEW_CONFIGURATION;
            hashes.push(codec.encode(config, node.state.context, node.monitors));
            lengths.push(codec.length);
            bytes.append(codec.buffer, codec.length);
          } catch (error) {
            if (!(error instanceof NotInternedError)) throw error;
            // The main thread gives it ids.
            hashes.push(0);
            lengths.push(-1);
            unencoded.push({
              configuration: compiled.configurationKey(node.state.config),
              context: node.state.context,
              monitors: node.monitors,
            });
          }
        },
      };
      for (state = 0; state < count; state++) {
        const decoded = codec.decode(request.bytes, request.offsets[state], monitorCount);
        const node: SystemNode = {
          state: { config: toLocal[decoded.config], context: decoded.context },
          monitors: decoded.monitors,
        };
        if (goalCount > 0) expander.goals(node, goalBits, state * goalCount);
        expander.expand(node, sink);
      }
      const message: BatchReply = {
        type: 'batch',
        successorCounts,
        goalBits,
        eventIndices: Int32Array.from(eventIndices),
        hashes: Int32Array.from(hashes),
        lengths: Int32Array.from(lengths),
        bytes: bytes.bytes.slice(0, bytes.length),
        unencoded,
        violations,
      };
      const transfer = [
        message.successorCounts.buffer,
        message.goalBits.buffer,
        message.eventIndices.buffer,
        message.hashes.buffer,
        message.lengths.buffer,
        message.bytes.buffer,
      ] as ArrayBuffer[];
      return { message, transfer };
    }
  } catch (error) {
    reply({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  }
}

void run(workerData as WorkerSetup);
