// The entry point of the explorer's worker threads (src/explore/explore-parallel.ts). Node 20 does not
// apply `--import tsx` to a worker's own entry file, so this plain module registers tsx in the
// worker and then loads the TypeScript worker, as bin/mailbox-models.js does for the CLI.
import { register } from 'tsx/esm/api';

register();
await import('./explore-worker.ts');
