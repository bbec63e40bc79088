/** The CLI's commands. Each takes the parsed arguments and returns the exit code. */
import { EXIT, type CliIo, type Command } from './command.ts';
import { parseBoundRanges, parseBounds, parseInteger, selectModels } from './cli-args.ts';
import { resolveConfig, UsageError } from '../model/config.ts';
import { explore, type ExploreResult } from '../explore/explore.ts';
import { fuzz } from '../fuzz/fuzz.ts';
import { inspectCommands, writeHtmlReport } from './commands-inspect.ts';
import { testgenCommands } from './commands-testgen.ts';
import {
  formatCheckResult,
  formatCheckSummary,
  formatFuzzResult,
  formatSweepTable,
  progressReporter,
} from './report-text.ts';
import { sweep } from '../explore/sweep.ts';

function printJson(io: CliIo, document: unknown): void {
  io.stdout(JSON.stringify(document, null, 2) + '\n');
}

const list: Command = ({ models, io, values }) => {
  const protocols = models.map((model) => ({
    name: model.name,
    title: model.title,
    seed: model.seed,
    bounds: model.bounds.map(({ name, default: value, deep, min, max, description }) => ({
      name,
      default: value,
      deep: deep ?? value,
      min,
      max,
      description,
    })),
    variants: model.variants.map(({ name, description, source, breaks, finding }) => ({
      name,
      description,
      source,
      breaks,
      finding: finding ?? false,
    })),
  }));
  if (values.json) {
    printJson(io, { protocols });
    return EXIT.ok;
  }
  for (const protocol of protocols) {
    const bounds = protocol.bounds
      .map((b) => `${b.name}=${b.default} (${b.min}..${b.max}, deep ${b.deep})`)
      .join(', ');
    const variants = protocol.variants.map((v) => v.name).join(', ') || '(none)';
    io.stdout(`${protocol.name.padEnd(14)} ${protocol.title}\n`);
    io.stdout(`${''.padEnd(14)} bounds: ${bounds}\n${''.padEnd(14)} variants: ${variants}\n`);
  }
  return EXIT.ok;
};

function checkResultJson(result: ExploreResult) {
  return {
    protocol: result.protocol,
    bounds: result.bounds,
    variants: result.variants,
    complete: result.complete,
    states: result.states,
    transitions: result.transitions,
    depth: result.depth,
    seconds: result.seconds,
    peakRssBytes: result.peakRssBytes,
    ...(result.parallel ? { parallel: result.parallel } : {}),
    properties: result.properties.map((p) => ({
      name: p.name,
      kind: p.kind,
      statement: p.statement,
      source: p.source,
      holds: p.holds,
      ...(p.message === undefined ? {} : { message: p.message }),
      trace: p.trace ?? null,
    })),
  };
}

/** Exit code of a set of explorations: a failure beats an exhausted budget. */
export function exitCodeOf(results: readonly ExploreResult[]): number {
  if (results.some((r) => r.properties.some((p) => p.holds === false))) return EXIT.failed;
  if (results.some((r) => !r.complete)) return EXIT.budget;
  return EXIT.ok;
}

const check: Command = ({ models, io, values, positionals }) => {
  const selected = selectModels(positionals, models);
  const maxStates =
    values['max-states'] === undefined
      ? undefined
      : parseInteger(values['max-states'], '--max-states', 1);
  const workers = values.workers === undefined ? 1 : parseInteger(values.workers, '--workers', 1);
  const request = {
    deep: values.deep,
    bounds: parseBounds(values.bound),
    variants: values.variant ?? [],
  };
  // Validate every protocol's bounds and variants before spending time on any of them.
  for (const model of selected) resolveConfig(model, request);
  const results = selected.map((model) => {
    const progress = progressReporter(io, model.name);
    const result = explore(model, {
      ...request,
      maxStates,
      workers,
      onProgress: progress.report,
    });
    progress.done();
    if (!values.json) io.stdout(formatCheckResult(result) + '\n');
    return result;
  });
  if (values.json) printJson(io, { results: results.map(checkResultJson) });
  else if (results.length > 1) io.stdout('\n' + formatCheckSummary(results) + '\n');
  if (values.report === undefined) return exitCodeOf(results);
  const report = values.report;
  return writeHtmlReport(
    report,
    results.map((exploration, i) => ({ model: selected[i], exploration })),
  ).then(({ index }) => {
    // With --json, stdout is one JSON document: the report's place goes to stderr.
    (values.json ? io.stderr : io.stdout)(`report: ${index}\n`);
    return exitCodeOf(results);
  });
};

const fuzzCommand: Command = ({ models, io, values, positionals }) => {
  const [model] = selectModels(positionals, models, { atLeastOne: true, atMostOne: true });
  const result = fuzz(model, {
    deep: values.deep,
    bounds: parseBounds(values.bound),
    variants: values.variant ?? [],
    ...(values.runs === undefined ? {} : { runs: parseInteger(values.runs, '--runs', 1) }),
    ...(values.steps === undefined ? {} : { maxSteps: parseInteger(values.steps, '--steps', 1) }),
    ...(values.seed === undefined ? {} : { seed: parseInteger(values.seed, '--seed', -(2 ** 31)) }),
    ...(values.path === undefined ? {} : { path: values.path }),
  });
  if (values.json) printJson(io, result);
  else io.stdout(formatFuzzResult(result) + '\n');
  return result.failed ? EXIT.failed : EXIT.ok;
};

const sweepCommand: Command = ({ models, io, values, positionals }) => {
  const [model] = selectModels(positionals, models, { atLeastOne: true, atMostOne: true });
  const ranges = parseBoundRanges(values.bound);
  if (Object.keys(ranges).length === 0) {
    throw new UsageError('sweep needs at least one --bound name=a..b');
  }
  const maxStates =
    values['max-states'] === undefined
      ? undefined
      : parseInteger(values['max-states'], '--max-states', 1);
  const result = sweep(model, { ranges, variants: values.variant ?? [], maxStates });
  if (values.json) printJson(io, result);
  else io.stdout(formatSweepTable(result) + '\n');
  return result.rows.some((row) => row.failed.length > 0)
    ? EXIT.failed
    : result.rows.some((row) => !row.complete)
      ? EXIT.budget
      : EXIT.ok;
};

export const commands: Record<string, Command> = {
  list,
  check,
  fuzz: fuzzCommand,
  sweep: sweepCommand,
  ...inspectCommands,
  ...testgenCommands,
};
