#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so the checkout needs no build step.
// MAILBOX_MODELS_REGISTRY=path/to/registry.ts runs it on another registry (a module exporting
// `models`), e.g. a scratch one while a new model is being written.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/cli.ts');
const { loadErrorLine } = await import('../src/model/model-error.ts');
const { registryProblems } = await import('../src/lint/definition.ts');
const registry = process.env.MAILBOX_MODELS_REGISTRY
  ? pathToFileURL(resolve(process.env.MAILBOX_MODELS_REGISTRY)).href
  : new URL('../machines/registry.ts', import.meta.url).href;
const registryName = process.env.MAILBOX_MODELS_REGISTRY ?? 'machines/registry.ts';

// A model that does not load (a syntax error, a bad import, a bad registry entry) is its
// author's to fix: one line naming the file and the reason, exit 2, as for a usage error.
let models;
try {
  ({ models } = await import(registry));
} catch (error) {
  process.stderr.write(`mailbox-models: model error: ${loadErrorLine(error)}\n`);
  process.exitCode = 2;
}
const problems = process.exitCode
  ? []
  : Array.isArray(models)
    ? registryProblems(models)
    : ['it exports no `models` array'];
if (problems.length > 0) {
  process.stderr.write(`mailbox-models: model error: ${registryName}: ${problems[0]}\n`);
  process.exitCode = 2;
}
if (!process.exitCode) {
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
}
