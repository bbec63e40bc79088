// Runs elkjs in a worker thread, so that the inspector can time a layout out and survive the
// uncaught exceptions elkjs 0.12 sometimes throws from its own (fake) worker.
import { parentPort } from 'node:worker_threads';
import ELK from 'elkjs/lib/elk.bundled.js';

const elk = new ELK();
parentPort.on('message', ({ id, graph }) => {
  elk.layout(graph).then(
    (result) => parentPort.postMessage({ id, result }),
    (error) => parentPort.postMessage({ id, error: String(error?.message ?? error) }),
  );
});
