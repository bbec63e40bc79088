/**
 * `mailbox-models <command> [protocol ...] [options]`: a stable contract other tools script
 * against. Exit codes: 0 every property holds, 1 a property fails (or a driver diverges),
 * 2 a usage error (one line on stderr), 3 the state budget ran out before anything failed.
 */
import { UsageError } from '../model/config.ts';
import { ModelError } from '../model/model-error.ts';
import type { ModelDefinition } from '../model/model.ts';
import { EXIT, type CliIo, type CommandContext } from './command.ts';
import { defaultProofStore } from './deep-proofs.ts';
import { commands } from './commands.ts';
import { parseOptions } from './options.ts';

export { EXIT, type CliIo } from './command.ts';

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stderrIsTty: Boolean(process.stderr.isTTY),
  proofs: defaultProofStore,
};

/**
 * A reader that stops early (`list | head`) closes the pipe: the next write fails with EPIPE,
 * which Node raises as an unhandled 'error' event with a stack trace. Nothing is left to say
 * to a reader that left, so the process ends quietly, as Unix tools do.
 */
let quietOnClosedStdout = false;
function exitQuietlyOnClosedStdout(): void {
  if (quietOnClosedStdout) return;
  quietOnClosedStdout = true;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

export const USAGE = `usage: mailbox-models <command> [protocol ...] [options]

commands:
  list                          the protocols, with their bounds and variants
  check [protocol ...]          the default (fixed) model and the seed-as-written variants:
                                every reachable state, every property, what each finding
                                fails (--variant: just that configuration; --report DIR
                                also writes the HTML report there)
  lint [protocol ...]           the model lint: mistakes that would give a wrong verdict
                                (--strict: warnings are errors; --rules: what it checks);
                                check runs it first
  fuzz <protocol>               random walks with shrinking (fast-check)
  sweep <protocol>              check every combination of bound ranges (--bound name=a..b)
                                [--shard i/n] [--out FILE]
  generate <protocol>           a test suite: --suite tour|states|random [--seed N]
                                [--format json|vitest] [--out FILE]
  conform <protocol>            replay suites against the driver (--suite FILE, or the five
                                generated ones); --variant name|all for driver bug variants
                                (all: the kill matrix; [--shard i/n] [--out FILE]);
                                --impl c: against the seed's own C (harness/c/, gcc + ASan);
                                --differential: the TS driver and the C against each other
  coverage <protocol>           states and transitions a suite covers: --suite FILE
  inspect [protocol ...]        the HTML statechart inspector: --out DIR [--trace FILE]
                                [--suite FILE]
  export <protocol>             the statechart as --format mermaid|dot
  merge FILE ...                the --out files of every shard of one sweep or conform
                                --variant all run, joined: the unsharded run's table (or
                                --json document) and exit code; shards of different runs,
                                a missing or a repeated shard are refused

options:
  --bound name=value            set a bound (once per bound); sweep takes name=a..b
  --deep                        start from the model's deep bounds instead of its defaults
                                (check: also prove the default model at its deep bounds)
  --variant name                switch on a bug variant (repeatable)
  --max-states N                stop exploring after N states (exit 3 if nothing failed)
  --workers N                   check: expand states on N worker threads, at most the
                                cores (same result; pays on models of 10^5 states and more)
  --symmetry                    check: store one state per orbit of the model's declared
                                symmetry (interchangeable callers, CPUs, slots); same
                                verdicts, concrete traces (docs/writing-models.md)
  --check-symmetry              check: verify the symmetry declaration on the unreduced
                                state graph instead; exit 1 with a trace where it fails
  --runs N, --steps N           fuzz and random suites: number of walks, longest walk
  --seed N, --path P            fuzz: replay a reported failure; generate: the seed
  --impl ts|c                   conform: the TypeScript driver (default) or the seed's C
  --timers model|kernel         conform --impl c: timers as the model abstracts them (default)
                                or as the kernel fires them (expiry + 1 at the earliest)
  --strict                      lint, check: lint warnings are errors
  --shard i/n                   sweep, conform --variant all: only the i-th of n shares of the
                                work (1-based; round-robin over the unsharded order), for CI
                                matrices; merge joins the shares
  --out FILE                    generate: the suite; inspect: the report directory; sweep,
                                conform --variant all: the (shard) document merge reads
  --json                        one JSON document on stdout
  --help                        this text

each command takes only the options it reads; --help lists them with the error.

exit codes: 0 holds / conforms, 1 a property fails, a finding is lost or the driver
            diverges, 2 usage error or an error in a model (lint), 3 the state
            budget ran out first`;

export async function main(
  argv: readonly string[],
  models: readonly ModelDefinition[],
  io: CliIo = defaultIo,
): Promise<number> {
  if (io === defaultIo) exitQuietlyOnClosedStdout();
  try {
    const [command, ...rest] = argv;
    if (command === undefined || command === '--help' || command === 'help') {
      io.stdout(USAGE + '\n');
      return command === undefined ? EXIT.usage : EXIT.ok;
    }
    const run = commands[command];
    if (!run) {
      throw new UsageError(
        `unknown command '${command}'; commands: ${Object.keys(commands).join(', ')}`,
      );
    }
    const { values, positionals } = parseOptions(command, rest);
    if (values.help) {
      io.stdout(USAGE + '\n');
      return EXIT.ok;
    }
    const context: CommandContext = { models, io, values, positionals };
    return await run(context);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`mailbox-models: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof ModelError) {
      io.stderr(`mailbox-models: ${error.kind}: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }
}
