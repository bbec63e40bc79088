/**
 * elkjs in a worker thread with a timeout. A layout that throws (also asynchronously, from
 * inside elkjs), hangs or kills the worker rejects its promise; the next layout gets a fresh
 * worker. One worker serves every layout of a run, so elkjs loads once.
 */
import { Worker } from 'node:worker_threads';
import type { ElkNode } from 'elkjs/lib/elk-api.js';

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, { resolve: (node: ElkNode) => void; reject: (e: Error) => void }>();

function failAll(error: Error): void {
  for (const { reject } of pending.values()) reject(error);
  pending.clear();
  worker = undefined;
}

function getWorker(): Worker {
  if (worker) return worker;
  const created = new Worker(new URL('./elk-worker.mjs', import.meta.url));
  created.unref(); // a finished CLI run must not wait for the worker
  created.on('message', (message: { id: number; result?: ElkNode; error?: string }) => {
    const entry = pending.get(message.id);
    if (!entry) return;
    pending.delete(message.id);
    if (message.error !== undefined) entry.reject(new Error(message.error));
    else entry.resolve(message.result!);
  });
  created.on('error', (error) => {
    if (worker === created) failAll(error instanceof Error ? error : new Error(String(error)));
    void created.terminate();
  });
  created.on('exit', () => {
    if (worker === created) failAll(new Error('the elkjs worker exited'));
  });
  worker = created;
  return created;
}

export function runElk(graph: ElkNode, timeoutMs: number): Promise<ElkNode> {
  const id = nextId++;
  const current = getWorker();
  return new Promise<ElkNode>((resolve, reject) => {
    const timer = setTimeout(() => {
      if (!pending.has(id)) return;
      pending.delete(id);
      reject(new Error(`elkjs layout timed out after ${timeoutMs} ms`));
      // The worker may be stuck in a loop: replace it.
      if (worker === current) {
        worker = undefined;
        failAll(new Error('the elkjs worker was replaced after a timeout'));
        void current.terminate();
      }
    }, timeoutMs);
    pending.set(id, {
      resolve: (node) => {
        clearTimeout(timer);
        resolve(node);
      },
      reject: (error) => {
        clearTimeout(timer);
        reject(error);
      },
    });
    current.postMessage({ id, graph });
  });
}

/** Stops the worker (tests and long-lived processes). */
export async function stopElk(): Promise<void> {
  const current = worker;
  worker = undefined;
  if (current) await current.terminate();
}

/**
 * Starts the worker and loads elkjs (a few hundred ms, once per process) before anything is
 * timed; returns the milliseconds it took.
 */
export async function warmElk(): Promise<number> {
  const started = performance.now();
  await runElk({ id: 'warm', children: [{ id: 'a', width: 1, height: 1 }] }, 30_000);
  return performance.now() - started;
}
