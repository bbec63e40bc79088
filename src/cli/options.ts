/** The command line's options, parsed strictly: an unknown or malformed one is a UsageError. */
import { parseArgs } from 'node:util';
import { UsageError } from '../model/config.ts';

export type OptionValues = ReturnType<typeof parseOptions>['values'];

export function parseOptions(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        bound: { type: 'string', multiple: true },
        deep: { type: 'boolean' },
        variant: { type: 'string', multiple: true },
        'max-states': { type: 'string' },
        workers: { type: 'string' },
        json: { type: 'boolean' },
        runs: { type: 'string' },
        steps: { type: 'string' },
        seed: { type: 'string' },
        path: { type: 'string' },
        suite: { type: 'string' },
        trace: { type: 'string' },
        report: { type: 'string' },
        format: { type: 'string' },
        impl: { type: 'string' },
        differential: { type: 'boolean' },
        timers: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean' },
      },
    });
  } catch (error) {
    // node:util names the bad option in its message; keep just that line.
    throw new UsageError((error as Error).message.split('\n')[0]);
  }
}
