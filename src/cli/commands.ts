/** The CLI's commands. Each takes the parsed arguments and returns the exit code. */
import { availableParallelism } from 'node:os';
import { EXIT, type CliIo, type Command, type CommandContext } from './command.ts';
import {
  parseBoundRanges,
  parseBounds,
  parseInteger,
  parseSeed,
  selectModels,
} from './cli-args.ts';
import { resolveConfig, UsageError } from '../model/config.ts';
import { explore, type ExploreResult } from '../explore/explore.ts';
import { checkSymmetry } from '../explore/symmetry.ts';
import { formatTrace } from '../model/trace.ts';
import { fuzz } from '../fuzz/fuzz.ts';
import { inspectCommands, writeHtmlReport } from './commands-inspect.ts';
import { mainJobExitCode, runProtocol, validateMainJob, type MainJobOptions } from './main-job.ts';
import { checkResultJson, mainJobIndex, mainJobJson, mainJobPages } from './main-job-report.ts';
import { makeOutputDirectory, writeFileAtomic } from './output-files.ts';
import type { ModelDefinition } from '../model/model.ts';
import { testgenCommands } from './commands-testgen.ts';
import { lintBeforeCheck, lintCommands, lintJson, withVacuity } from './commands-lint.ts';
import {
  formatCheckResult,
  formatCheckSummary,
  formatFuzzResult,
  formatMainJobSummary,
  formatProtocolOutcome,
  formatSweepTable,
  progressReporter,
  throttledProgress,
} from './report-text.ts';
import { sweep, sweepSize } from '../explore/sweep.ts';
import { inShard, parseShard, shardDocument } from './shard.ts';
import { mergeCommands, sweepExitCode } from './commands-merge.ts';

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
    const variants =
      protocol.variants
        .map((v) => (v.finding ? `${v.name} (seed as written)` : v.name))
        .join(', ') || '(none)';
    io.stdout(`${protocol.name.padEnd(14)} ${protocol.title}\n`);
    io.stdout(`${''.padEnd(14)} bounds: ${bounds}\n${''.padEnd(14)} variants: ${variants}\n`);
  }
  return EXIT.ok;
};

/** Exit code of a set of explorations: a failure beats an exhausted budget. */
export function exitCodeOf(results: readonly ExploreResult[]): number {
  if (results.some((r) => r.properties.some((p) => p.holds === false))) return EXIT.failed;
  if (results.some((r) => !r.complete)) return EXIT.budget;
  return EXIT.ok;
}

/**
 * `check`: without --variant, the main job (main-job.ts): every protocol's default model and
 * its seed-as-written variants, findings beside the fixed model; with --variant, exactly the
 * configuration asked for.
 */
const check: Command = (context) => {
  const { models, values, positionals } = context;
  const selected = selectModels(positionals, models);
  const maxStates =
    values['max-states'] === undefined
      ? undefined
      : parseInteger(values['max-states'], '--max-states', 1);
  const workers = workersOption(context);
  if (values['check-symmetry']) return checkSymmetryCommand(context, selected, maxStates);
  const symmetry = values.symmetry === true;
  if (values.report !== undefined) makeOutputDirectory(values.report);
  if (values.variant !== undefined)
    return checkConfiguration(context, selected, maxStates, workers, symmetry);
  const options: MainJobOptions = {
    bounds: parseBounds(values.bound),
    deep: values.deep === true,
    explore: { maxStates, workers, ...(symmetry ? { symmetry } : {}) },
    ...(context.io.proofs ? { proofs: context.io.proofs() } : {}),
  };
  validateMainJob(selected, options);
  return mainJob(context, selected, options);
};

async function mainJob(
  context: CommandContext,
  selected: readonly ModelDefinition[],
  options: MainJobOptions,
): Promise<number> {
  const { io, values } = context;
  // The lint of each default model, whose verdicts it judges (vacuity), before any exploring.
  const lints = lintBeforeCheck(context, selected, { bounds: options.bounds });
  const outcomes = selected.map((model, i) => {
    const run = runProtocol(model, {
      ...options,
      progress: (label) => progressReporter(io, label),
    });
    const outcome = { ...run, fixed: withVacuity(run.fixed, lints[i]) };
    if (!values.json) io.stdout(formatProtocolOutcome(outcome) + '\n\n');
    return outcome;
  });
  if (values.json) {
    const document = mainJobJson(outcomes, values.report);
    printJson(io, {
      ...document,
      protocols: document.protocols.map((p, i) => ({ ...p, lint: lintJson(lints[i]) })),
    });
  } else io.stdout(formatMainJobSummary(outcomes) + '\n');
  if (values.report !== undefined) {
    const { index } = await writeHtmlReport(values.report, mainJobPages(outcomes), (pages) =>
      mainJobIndex(outcomes, pages),
    );
    // With --json, stdout is one JSON document: the report's place goes to stderr.
    (values.json ? io.stderr : io.stdout)(`report: ${index}\n`);
  }
  return mainJobExitCode(outcomes);
}

/** `check --variant …`: one configuration per protocol, as asked. */
async function checkConfiguration(
  context: CommandContext,
  selected: readonly ModelDefinition[],
  maxStates: number | undefined,
  workers: number,
  symmetry: boolean,
): Promise<number> {
  const { io, values } = context;
  const request = {
    deep: values.deep,
    bounds: parseBounds(values.bound),
    variants: values.variant ?? [],
  };
  // Validate every protocol's bounds and variants before spending time on any of them.
  for (const model of selected) resolveConfig(model, request);
  const lints = lintBeforeCheck(context, selected, request);
  const results = selected.map((model, i) => {
    const progress = progressReporter(io, model.name);
    const result = explore(model, {
      ...request,
      maxStates,
      workers,
      ...(symmetry ? { symmetry } : {}),
      onProgress: progress.report,
    });
    progress.done();
    const judged = withVacuity(result, lints[i]);
    if (!values.json) io.stdout(formatCheckResult(judged) + '\n');
    return judged;
  });
  if (values.json) {
    printJson(io, {
      results: results.map((r, i) => ({ ...checkResultJson(r), lint: lintJson(lints[i]) })),
    });
  } else if (results.length > 1) io.stdout('\n' + formatCheckSummary(results) + '\n');
  if (values.report !== undefined) {
    const { index } = await writeHtmlReport(
      values.report,
      results.map((exploration, i) => ({
        model: selected[i],
        request: { bounds: exploration.bounds, variants: exploration.variants },
        exploration,
      })),
    );
    (values.json ? io.stderr : io.stdout)(`report: ${index}\n`);
  }
  return exitCodeOf(results);
}

/**
 * `check --check-symmetry`: each protocol's symmetry declaration verified on its unreduced
 * state graph (src/explore/symmetry.ts); the first state where a declared permutation is not
 * a symmetry is printed with its trace (exit 1).
 */
function checkSymmetryCommand(
  { io, values }: CommandContext,
  selected: readonly ModelDefinition[],
  maxStates: number | undefined,
): number {
  const request = {
    deep: values.deep,
    bounds: parseBounds(values.bound),
    variants: values.variant ?? [],
  };
  for (const model of selected) resolveConfig(model, request);
  const checks = selected.map((model) => checkSymmetry(model, { ...request, maxStates }));
  if (values.json) printJson(io, { symmetry: checks });
  for (const check of values.json ? [] : checks) {
    const groups = check.groups.map((g) => `${g.name} (${g.members} members)`).join(', ');
    const states = `${check.states.toLocaleString('en-US')} states`;
    if (check.problem) {
      io.stdout(`${check.protocol}: symmetry ${groups} does NOT hold: ${check.problem.message}
`);
      io.stdout(`${formatTrace(check.problem.trace)}
`);
    } else {
      const scope = check.complete ? `every one of ${states}` : `${states} (budget: incomplete)`;
      io.stdout(`${check.protocol}: symmetry ${groups} holds on ${scope}\n`);
    }
  }
  if (checks.some((c) => c.problem)) return EXIT.failed;
  return checks.every((c) => c.complete) ? EXIT.ok : EXIT.budget;
}

/** --workers N, capped at the cores of this machine (more threads only wait for each other). */
function workersOption({ io, values }: CommandContext): number {
  if (values.workers === undefined) return 1;
  const asked = parseInteger(values.workers, '--workers', 1);
  const cores = availableParallelism();
  if (asked <= cores) return asked;
  io.stderr(`mailbox-models: --workers ${asked}: using ${cores}, the cores of this machine\n`);
  return cores;
}

/** fast-check's replay paths: run indices separated by colons (`12:0:3`). */
const REPLAY_PATH = /^\d+(?::\d+)*$/;

const fuzzCommand: Command = ({ models, io, values, positionals }) => {
  const [model] = selectModels(positionals, models, { atLeastOne: true, atMostOne: true });
  if (values.path !== undefined) {
    if (values.seed === undefined) {
      throw new UsageError('--path replays a failure only with the --seed printed beside it');
    }
    if (!REPLAY_PATH.test(values.path)) {
      throw new UsageError(
        `--path must be a replay path like 12:0:3, as fuzz prints it, got '${values.path}'`,
      );
    }
  }
  const request = {
    deep: values.deep,
    bounds: parseBounds(values.bound),
    variants: values.variant ?? [],
  };
  const config = resolveConfig(model, request);
  const progress = throttledProgress(io, model.name);
  let result;
  try {
    result = fuzz(model, {
      ...request,
      ...(values.runs === undefined ? {} : { runs: parseInteger(values.runs, '--runs', 1) }),
      ...(values.steps === undefined ? {} : { maxSteps: parseInteger(values.steps, '--steps', 1) }),
      ...(values.seed === undefined ? {} : { seed: parseSeed(values.seed) }),
      ...(values.path === undefined ? {} : { path: values.path }),
      onProgress: progress.report,
    });
  } catch (error) {
    // fast-check rejects a path that does not lead to a run of this seed.
    if (values.path !== undefined && !(error instanceof UsageError)) {
      throw new UsageError(
        `--path ${values.path} is not a replay path of seed ${values.seed} here: ${(error as Error).message.split('\n')[0]}`,
      );
    }
    throw error;
  } finally {
    progress.done();
  }
  // The JSON records the configuration, so that `inspect --trace` shows the walk on its model.
  const recorded = { ...result, bounds: { ...config.bounds }, variants: [...config.variants] };
  if (values.json) printJson(io, recorded);
  else io.stdout(formatFuzzResult(result) + '\n');
  return result.failed ? EXIT.failed : EXIT.ok;
};

/**
 * `sweep`: every combination of the bound ranges, or with --shard i/n every n-th of them
 * (src/cli/shard.ts); --out FILE writes the (shard) document that `merge` joins.
 */
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
  const shard = values.shard === undefined ? undefined : parseShard(values.shard);
  const variants = values.variant ?? [];
  const result = sweep(model, {
    ranges,
    variants,
    maxStates,
    ...(shard ? { owns: (position: number) => inShard(shard, position) } : {}),
  });
  const document = () =>
    shardDocument({
      command: 'sweep',
      protocol: model.name,
      // Entries, not an object: the order of the bounds is the order of the rows.
      run: { ranges: Object.entries(ranges), variants, maxStates: maxStates ?? null },
      shard: shard ?? { index: 1, count: 1 },
      units: sweepSize(ranges),
      result,
    });
  if (values.out !== undefined)
    writeFileAtomic(values.out, JSON.stringify(document(), null, 2) + '\n');
  if (values.json) printJson(io, shard ? document() : result);
  else {
    io.stdout(formatSweepTable(result) + '\n');
    if (shard) {
      io.stdout(
        `shard ${shard.index}/${shard.count}: ${result.rows.length} of ${sweepSize(ranges)} ` +
          'combinations (merge the shards for the whole table)\n',
      );
    }
  }
  return sweepExitCode(result);
};

export const commands: Record<string, Command> = {
  list,
  check,
  fuzz: fuzzCommand,
  sweep: sweepCommand,
  ...inspectCommands,
  ...testgenCommands,
  ...lintCommands,
  ...mergeCommands,
};
