#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so the checkout needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/cli.ts');
const { models } = await import('../machines/registry.ts');
try {
  process.exitCode = await main(process.argv.slice(2), models);
} catch (error) {
  // Not a usage error: a bug in a model or in the engine. One line, unless asked for more.
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`mailbox-models: internal error: ${message}\n`);
  if (process.env.MAILBOX_MODELS_DEBUG) process.stderr.write(`${error?.stack ?? ''}\n`);
  else process.stderr.write('mailbox-models: set MAILBOX_MODELS_DEBUG=1 for the stack trace\n');
  process.exitCode = 70;
}
