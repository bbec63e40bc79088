/**
 * Runs the command line in process, as a test needs it: what it printed on each stream and the
 * exit code it returned.
 */
import { main, type CliIo } from '../../src/cli/cli.ts';
import type { ModelDefinition } from '../../src/model/model.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(
  args: string[],
  models: ModelDefinition[],
  extra: Partial<Pick<CliIo, 'progressMs' | 'proofs'>> = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    stderrIsTty: false,
    ...extra,
  };
  const code = await main(args, models, io);
  return { code, stdout, stderr };
}
