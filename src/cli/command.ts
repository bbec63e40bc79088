/** What every command is: a function of the parsed command line to an exit code, and the
 * terminal it writes to. Commands and the entry point (cli.ts) both depend on this file. */
import type { ModelDefinition } from '../model/model.ts';
import type { ProofStore } from './deep-proofs.ts';
import type { OptionValues } from './options.ts';

export const EXIT = { ok: 0, failed: 1, usage: 2, budget: 3 } as const;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stderr is a terminal (progress lines overwrite themselves there). */
  stderrIsTty: boolean;
  /** Least time between two progress lines of a long fuzz run (default 1000 ms). */
  progressMs?: number;
  /** Where check remembers proofs at the deep bounds (deep-proofs.ts); none: not remembered. */
  proofs?: () => ProofStore;
}

export interface CommandContext {
  models: readonly ModelDefinition[];
  io: CliIo;
  values: OptionValues;
  positionals: string[];
}

export type Command = (context: CommandContext) => Promise<number> | number;
