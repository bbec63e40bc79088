/**
 * The test-generation commands: `generate`, `conform`, `coverage` (see docs/test-vectors.md).
 * Exit codes as everywhere: 0 fine, 1 a driver diverges, 2 a usage error (bad file, bad option).
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './output-files.ts';
import { EXIT, type Command, type CommandContext } from './command.ts';
import { parseBounds, parseInteger, parseSeed, selectModels } from './cli-args.ts';
import { resolveConfig, UsageError } from '../model/config.ts';
import {
  formatDivergence,
  runSuite,
  type DriverDefinition,
  type DriverVariant,
} from '../testgen/conform.ts';
import { suiteCoverage, SuiteMismatchError } from '../testgen/coverage.ts';
import { modelEnabledSets } from '../testgen/enabled-sets.ts';
import { formatDisagreement, runDifferential } from '../testgen/differential.ts';
import {
  GenerateError,
  generateSuitesWithin,
  type GeneratedSuite,
  type SkippedSuite,
} from '../testgen/generate.ts';
import type { ModelDefinition } from '../model/model.ts';
import { formatStateValue } from '../model/trace.ts';
import type { StateValue } from 'xstate';
import { buildStateGraph, edgeCount } from '../testgen/state-graph.ts';
import { ModelSystem } from '../model/system.ts';
import {
  GENERATORS,
  parseSuite,
  serializeSuite,
  type GeneratorName,
  type TestSuite,
} from '../testgen/vectors.ts';
import { renderVitest } from '../testgen/vitest-render.ts';
import {
  CORRECT_DRIVER,
  formatKillMatrix,
  formatKillTable,
  formatKillVerdict,
  killMatrixPasses,
  killVerdict,
  type KilledAt,
  type KillMatrix,
  type KillRow,
} from './kill-matrix.ts';
import { inShard, parseShard, shardDocument } from './shard.ts';
import { drivers as registeredDrivers } from '../../drivers/registry.ts';
import { cDriver, CHarnessError } from '../../harness/c-harness.ts';

/** States beyond which generation refuses (the graph keeps every edge in memory). */
const DEFAULT_MAX_GRAPH_STATES = 300_000;

function maxStatesOption(context: CommandContext): number {
  const text = context.values['max-states'];
  return text === undefined ? DEFAULT_MAX_GRAPH_STATES : parseInteger(text, '--max-states', 1);
}

function generatorOption(name: string | undefined): GeneratorName {
  if (name === undefined) throw new UsageError(`--suite is required: ${GENERATORS.join(', ')}`);
  if (!GENERATORS.includes(name as GeneratorName)) {
    throw new UsageError(`--suite must be one of ${GENERATORS.join(', ')}, got '${name}'`);
  }
  return name as GeneratorName;
}

/** One suite; `bounds` (a driver variant's killBounds) stands in for --bound when given. */
function generate(
  context: CommandContext,
  model: ModelDefinition,
  generator: GeneratorName,
  bounds?: Readonly<Record<string, number>>,
) {
  const [generated] = generateAll(context, model, [generator], bounds);
  return generated as GeneratedSuite;
}

/**
 * Several suites from one exploration of the model at the options' bounds; a suite that passes
 * `maxSuiteSteps` is skipped as soon as it does, not built.
 */
function generateAll(
  context: CommandContext,
  model: ModelDefinition,
  generators: readonly GeneratorName[],
  bounds?: Readonly<Record<string, number>>,
  maxSuiteSteps = Infinity,
): Array<GeneratedSuite | SkippedSuite> {
  const { values } = context;
  try {
    return generateSuitesWithin(
      model,
      generators,
      {
        deep: bounds ? false : values.deep,
        bounds: bounds ?? parseBounds(values.bound),
        variants: values.variant ?? [],
        maxStates: maxStatesOption(context),
        ...(values.seed === undefined ? {} : { seed: parseSeed(values.seed) }),
        ...(values.runs === undefined ? {} : { walks: parseInteger(values.runs, '--runs', 1) }),
        ...(values.steps === undefined
          ? {}
          : { maxSteps: parseInteger(values.steps, '--steps', 1) }),
      },
      maxSuiteSteps,
    );
  } catch (error) {
    if (error instanceof GenerateError) throw new UsageError(error.message);
    throw error;
  }
}

/** Reads and validates a vector file for `model`, checking that it fits the model. */
export function loadSuite(model: ModelDefinition, file: string): TestSuite {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  const suite = parseSuite(text, file);
  if (suite.protocol !== model.name) {
    throw new UsageError(`${file}: vectors for '${suite.protocol}', not '${model.name}'`);
  }
  const config = resolveConfig(model, { bounds: suite.bounds, variants: suite.variants });
  try {
    suiteCoverage(model, config, suite);
  } catch (error) {
    if (error instanceof SuiteMismatchError) {
      throw new UsageError(`${file}: does not fit the ${model.name} model: ${error.message}`);
    }
    throw error;
  }
  return suite;
}

/**
 * `conform --trace FILE`: the counterexamples of a `check --json` document (or one trace, a
 * fuzz result) as a suite, one vector per trace, at the bounds and model variants the check
 * ran with: does the implementation do what the trace says, step by step? A finding of the
 * seed as written is then shown to be a real execution of the seed's code (the as-written C
 * follows it, or dies in the sanitizer's report), and the fixed code to depart from it.
 */
export function suiteFromTraces(model: ModelDefinition, file: string): TestSuite {
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message.split('\n')[0]}`);
  }
  type TraceLike = { steps: Array<Record<string, unknown>>; initial: { outputs?: unknown } };
  const isTrace = (v: unknown): v is TraceLike =>
    typeof v === 'object' && v !== null && Array.isArray((v as TraceLike).steps);
  const named: Array<{ id: string; trace: TraceLike }> = [];
  let bounds: Record<string, number> = {};
  let variants: string[] = [];
  const doc = document as {
    results?: Array<{
      protocol?: string;
      bounds?: Record<string, number>;
      variants?: string[];
      properties?: Array<{ name: string; trace?: unknown }>;
    }>;
    trace?: unknown;
  };
  if (Array.isArray(doc.results)) {
    const runs = doc.results.filter((r) => r.protocol === model.name);
    // The main job's document holds the default model and each finding variant: one suite
    // replays one configuration.
    const configs = new Set(runs.map((r) => JSON.stringify([r.bounds, r.variants])));
    if (configs.size > 1) {
      throw new UsageError(
        `${file} holds ${model.name} runs of ${configs.size} configurations (the main job's); ` +
          `give the output of check ${model.name} --variant <name> --json`,
      );
    }
    for (const result of runs) {
      bounds = result.bounds ?? {};
      variants = result.variants ?? [];
      for (const property of result.properties ?? []) {
        if (isTrace(property.trace)) named.push({ id: property.name, trace: property.trace });
      }
    }
  } else if (isTrace(doc.trace)) {
    named.push({ id: 'trace', trace: doc.trace });
  } else if (isTrace(document)) {
    named.push({ id: 'trace', trace: document });
  }
  if (named.length === 0) {
    throw new UsageError(
      `${file}: no ${model.name} trace in it (a check --json document or a trace)`,
    );
  }
  const config = resolveConfig(model, { bounds, variants });
  return {
    format: 'mailbox-models-test-vectors',
    version: 1,
    protocol: model.name,
    bounds: config.bounds,
    variants: [...config.variants],
    // In memory only: the suite never becomes a vector file, and the report says "trace".
    generator: { name: 'tour' },
    summary: {
      vectors: named.length,
      steps: 0,
      reachableStates: 0,
      reachableTransitions: 0,
      coveredTransitions: 0,
    },
    initialOutputs: (named[0].trace.initial.outputs as TestSuite['initialOutputs']) ?? [],
    vectors: named.map(({ id, trace }) => ({
      id,
      steps: trace.steps.map((step) => ({
        event: step.event as TestSuite['vectors'][number]['steps'][number]['event'],
        outputs: (step.outputs ?? []) as TestSuite['initialOutputs'],
        // A hand-written trace may leave out the states the model went through.
        state: step.value === undefined ? '' : formatStateValue(step.value as StateValue),
        transitions: (step.transitions ?? []) as string[],
      })),
    })),
  };
}

const generateCommand: Command = (context) => {
  const { models, io, values, positionals } = context;
  const [model] = selectModels(positionals, models, { atLeastOne: true, atMostOne: true });
  const generator = generatorOption(values.suite);
  if (generator !== 'random') {
    const random = (['seed', 'runs', 'steps'] as const).filter(
      (name) => values[name] !== undefined,
    );
    if (random.length > 0) {
      throw new UsageError(
        `--${random[0]} shapes only --suite random (seeded walks); ${generator} is deterministic`,
      );
    }
  }
  const format = values.format ?? 'json';
  if (format !== 'json' && format !== 'vitest') {
    throw new UsageError(`--format must be json or vitest, got '${format}'`);
  }
  const { suite, graph } = generate(context, model, generator);
  const text =
    format === 'json' ? serializeSuite(suite) : renderVitest(suite, { outFile: values.out });
  const s = suite.summary;
  const refusals = suite.vectors.reduce((n, v) => n + v.steps.filter((x) => x.refused).length, 0);
  const summary = [
    `${model.name} ${generator}: ${s.vectors} vectors, ${s.steps} steps` +
      (refusals > 0 ? ` (${refusals} of them refusals)` : '') +
      `; transitions covered ${s.coveredTransitions}/${s.reachableTransitions} reachable ` +
      `(lower bound for a tour: ${s.reachableTransitions} steps); ${s.reachableStates} reachable states` +
      (generator === 'edges'
        ? `; ${edgeCount(graph)} graph edges (lower bound for this suite)`
        : ''),
  ];
  if (values.out !== undefined) {
    writeFileAtomic(values.out, text);
    io.stdout(summary.join('\n') + `\nwrote ${values.out}\n`);
  } else {
    io.stdout(text);
    io.stderr(summary.join('\n') + '\n');
  }
  return EXIT.ok;
};

function findDriverFor(list: readonly DriverDefinition[], protocol: string): DriverDefinition {
  const driver = list.find((candidate) => candidate.protocol === protocol);
  if (!driver) {
    const known = list.map((d) => d.protocol).join(', ') || '(none)';
    throw new UsageError(`no driver for '${protocol}'; drivers: ${known}`);
  }
  return driver;
}

/** `name=value` pairs as --bound takes them, for the report lines. */
function formatBounds(bounds: Readonly<Record<string, number>>): string {
  return Object.entries(bounds)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
}

/**
 * The bounds the named driver variants are killed at, when neither --suite nor --bound says:
 * the killBounds they declare (the model's defaults are too small for their race), or
 * undefined for the model's defaults. Variants that declare different ones cannot share suites.
 */
function killBoundsOf(
  driver: DriverDefinition,
  names: readonly string[],
): Readonly<Record<string, number>> | undefined {
  const declaring = driver.variants.filter((v) => names.includes(v.name) && v.killBounds);
  const [first, ...others] = declaring;
  const differs = others.find(
    (v) => formatBounds(v.killBounds!) !== formatBounds(first.killBounds!),
  );
  if (differs) {
    throw new UsageError(
      `driver variants ${first.name} and ${differs.name} are killed at different bounds ` +
        `(${formatBounds(first.killBounds!)}; ${formatBounds(differs.killBounds!)}): ` +
        'run them one at a time, or choose with --bound',
    );
  }
  return first?.killBounds;
}

/**
 * Suites larger than this many steps are not built by `conform` without --suite (a graph edge
 * cover grows with the state graph): generation stops at the first step past it and says so;
 * `generate --suite edges` still writes them.
 */
const CONFORM_MAX_SUITE_STEPS = 500_000;

/** The generated suites at `bounds` (default: --bound, else the model's), those of a reasonable size. */
function generateSuites(
  context: CommandContext,
  model: ModelDefinition,
  bounds?: Readonly<Record<string, number>>,
): TestSuite[] {
  // Model variants belong to `generate`; here --variant names the driver's bugs.
  const values = { ...context.values, variant: [] };
  const suites: TestSuite[] = [];
  const generated = generateAll(
    { ...context, values },
    model,
    GENERATORS,
    bounds,
    CONFORM_MAX_SUITE_STEPS,
  );
  for (const result of generated) {
    if ('suite' in result) suites.push(result.suite);
    else {
      const { generator, skipped } = result;
      context.io.stderr(
        `${model.name} ${generator}: skipped, ${skipped.steps}+ steps > budget ${skipped.budget} ` +
          `(not built; write it with generate --suite ${generator} and pass --suite)\n`,
      );
    }
  }
  return suites;
}

/**
 * The system under test that --impl names: the TypeScript driver (ts, the default) or the
 * seed's own C behind the C harness (c), built on first use.
 */
function implementationFor(
  context: CommandContext,
  driverList: readonly DriverDefinition[],
  model: ModelDefinition,
): DriverDefinition {
  const protocol = model.name;
  const { impl = 'ts', timers } = context.values;
  if (impl !== 'ts' && impl !== 'c') throw new UsageError(`--impl must be ts or c, got '${impl}'`);
  if (timers !== undefined && (impl !== 'c' || (timers !== 'model' && timers !== 'kernel'))) {
    throw new UsageError('--timers model|kernel goes with --impl c');
  }
  if (impl === 'ts') return findDriverFor(driverList, protocol);
  try {
    // The C reports what it could do next: its refusals are checked against the model's.
    const modelEnabled = (suite: Pick<TestSuite, 'bounds' | 'variants' | 'vectors'>) =>
      modelEnabledSets(
        model,
        resolveConfig(model, { bounds: suite.bounds, variants: suite.variants }),
        suite,
      );
    // With kernel timers the model's time abstraction is known to differ (a timer it lets fire
    // early): then the question is only whether the trace's own steps happen, so refusals
    // and outputs are compared, not what else each side could do. The differential compares
    // the C with the TS driver, not with the model, and runs every vector.
    const driver = cDriver(protocol, {
      ...(timers === undefined ? {} : { timers }),
      ...(context.values.differential ? { restart: true } : {}),
      ...(timers === 'kernel' || context.values.differential ? {} : { modelEnabled }),
    });
    return {
      ...driver,
      create(variants, suite) {
        try {
          return driver.create(variants, suite);
        } catch (error) {
          if (error instanceof CHarnessError) throw new UsageError(error.message);
          throw error;
        }
      },
    };
  } catch (error) {
    if (error instanceof CHarnessError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * `conform <p> --differential`: the TypeScript driver and the seed's C fed the same suites and
 * compared with each other step by step (src/testgen/differential.ts). --variant names a
 * variant both have (the seed as written, a finding's).
 */
function differential(
  context: CommandContext,
  driverList: readonly DriverDefinition[],
  model: ModelDefinition,
  suites: TestSuite[],
): number {
  const { io, values } = context;
  const variants = values.variant ?? [];
  const ts = findDriverFor(driverList, model.name);
  const c = implementationFor({ ...context, values: { ...values, impl: 'c' } }, driverList, model);
  for (const name of variants) {
    if (!ts.variants.some((v) => v.name === name) || !c.variants.some((v) => v.name === name)) {
      const common = ts.variants
        .filter((v) => c.variants.some((w) => w.name === v.name))
        .map((v) => v.name);
      throw new UsageError(
        `--differential needs a variant both have; '${name}' is not one of: ${common.join(', ') || '(none)'}`,
      );
    }
  }
  const names: [string, string] = [ts.file, 'the C'];
  const label = variants.length > 0 ? ` --variant ${variants.join(',')}` : '';
  let agree = true;
  for (const suite of suites) {
    const result = runDifferential(ts, c, suite, variants);
    const { outputs, refused, fault } = result.agreed;
    if (result.disagreement) {
      agree = false;
      io.stdout(
        `${model.name}${label} ${result.generator}: DISAGREE at ${formatDisagreement(result.disagreement, names)}\n`,
      );
    } else {
      io.stdout(
        `${model.name}${label} ${result.generator}: ${ts.file} and the C agree on every step ` +
          `(${result.vectors} vectors, ${result.steps} steps: ${outputs} with outputs, ` +
          `${refused} refused by both, ${fault} failing in both)\n`,
      );
    }
  }
  return agree ? EXIT.ok : EXIT.failed;
}

function makeConform(driverList: readonly DriverDefinition[]): Command {
  return (context) => {
    const { models, io, values, positionals } = context;
    const [model] = selectModels(positionals, models, { atLeastOne: true, atMostOne: true });
    const matrixOnly = (['shard', 'out'] as const).find((name) => values[name] !== undefined);
    const killMatrixAsked = values.variant?.length === 1 && values.variant[0] === 'all';
    if (matrixOnly && (!killMatrixAsked || values.differential)) {
      throw new UsageError(
        `conform takes --${matrixOnly} only with --variant all (the kill matrix, which merge joins)`,
      );
    }
    if (values.differential) {
      if (values.impl !== undefined) throw new UsageError('--differential runs both: no --impl');
      const suites =
        values.suite !== undefined
          ? [loadSuite(model, values.suite)]
          : values.trace !== undefined
            ? [suiteFromTraces(model, values.trace)]
            : generateSuites(context, model);
      return differential(context, driverList, model, suites);
    }
    const driver = implementationFor(context, driverList, model);
    const variants = values.variant ?? [];
    const killMatrix = variants.length === 1 && variants[0] === 'all';
    for (const name of killMatrix ? [] : variants) {
      if (!driver.variants.some((variant) => variant.name === name)) {
        const known = driver.variants.map((v) => v.name).join(', ') || '(none)';
        throw new UsageError(
          `unknown driver variant '${name}' for ${model.name}; variants: ${known}`,
        );
      }
    }
    if (values.suite !== undefined && values.trace !== undefined) {
      throw new UsageError('conform takes --suite or --trace, not both');
    }
    // A suite or trace file or explicit --bound fixes the bounds; otherwise each variant
    // gets its own.
    const boundsFixed =
      values.suite !== undefined || values.trace !== undefined || values.bound !== undefined;
    const suitesAt = (bounds?: Readonly<Record<string, number>>) =>
      values.suite !== undefined
        ? [loadSuite(model, values.suite)]
        : values.trace !== undefined
          ? [suiteFromTraces(model, values.trace)]
          : generateSuites(context, model, bounds);
    if (killMatrix) return printKillMatrix(context, driver, suitesAt, boundsFixed);
    const killBounds = boundsFixed ? undefined : killBoundsOf(driver, variants);
    const suites = suitesAt(killBounds);
    const results = suites.map((suite) => ({
      ...runSuite(driver, suite, variants),
      ...(values.trace === undefined ? {} : { generator: 'trace' }),
    }));
    if (values.json) {
      const json = results.map((result, i) => ({ ...result, bounds: suites[i].bounds }));
      io.stdout(JSON.stringify({ results: json }, null, 2) + '\n');
    } else {
      const label =
        (variants.length > 0 ? ` --variant ${variants.join(',')}` : '') +
        (killBounds ? ` (at its killBounds ${formatBounds(killBounds)})` : '');
      for (const result of results) {
        if (result.conforms) {
          io.stdout(
            `${model.name}${label} ${result.generator}: conforms (${result.vectors} vectors, ${result.steps} steps)\n`,
          );
        } else {
          io.stdout(
            `${model.name}${label} ${result.generator}: DIVERGES at ${formatDivergence(result.divergence!)}\n`,
          );
        }
      }
    }
    return results.every((result) => result.conforms) ? EXIT.ok : EXIT.failed;
  };
}

/**
 * `conform <p> --variant all`: the correct driver and every bug variant against every suite;
 * for each variant, where each suite first kills it. A variant with killBounds is run against
 * suites generated at those bounds (unless a suite file or --bound fixes them), and the correct
 * driver against those too: a kill only means something where the correct driver conforms.
 * Suites are generated once per distinct bounds, and only for the rows this run owns: with
 * --shard i/n, every n-th row (src/cli/shard.ts), whose document `merge` joins. Exit 0 only when
 * the correct driver conforms everywhere and every variant is killed by some suite (a shard:
 * in its own rows).
 */
function printKillMatrix(
  context: CommandContext,
  driver: DriverDefinition,
  suitesAt: (bounds?: Readonly<Record<string, number>>) => TestSuite[],
  boundsFixed: boolean,
): number {
  const { io, values } = context;
  const shard = values.shard === undefined ? undefined : parseShard(values.shard);
  const boundsOf = (variant: DriverVariant) => (boundsFixed ? undefined : variant.killBounds);
  const keyOf = (bounds?: Readonly<Record<string, number>>) => (bounds ? formatBounds(bounds) : '');
  const suitesByBounds = new Map<string, TestSuite[]>();
  const suitesFor = (bounds?: Readonly<Record<string, number>>) => {
    if (!suitesByBounds.has(keyOf(bounds))) suitesByBounds.set(keyOf(bounds), suitesAt(bounds));
    return suitesByBounds.get(keyOf(bounds))!;
  };
  // The correct driver at the defaults and at each distinct killBounds, then every variant.
  const correctAt = new Map(
    [undefined, ...driver.variants.map(boundsOf)].map((b) => [keyOf(b), b]),
  );
  const rows = [...correctAt.values()]
    .map((bounds) => ({ name: CORRECT_DRIVER, variants: [] as string[], bounds }))
    .concat(
      driver.variants.map((v) => ({ name: v.name, variants: [v.name], bounds: boundsOf(v) })),
    );
  const matrix = rows
    .filter((_, position) => inShard(shard, position))
    .map((row): KillRow => {
      const suites = suitesFor(row.bounds);
      return {
        variant: row.name,
        ...(row.bounds ? { killBounds: row.bounds } : {}),
        bounds: suites[0].bounds,
        suites: Object.fromEntries(
          suites.map((suite): [string, KilledAt] => {
            const { divergence: d } = runSuite(driver, suite, row.variants);
            return [
              suite.generator.name,
              d
                ? {
                    vector: d.vector,
                    step: d.step,
                    kind: d.kind,
                    ...(d.field === undefined ? {} : { field: d.field }),
                  }
                : null,
            ];
          }),
        ),
      };
    });
  const whole: KillMatrix = {
    protocol: driver.protocol,
    conforms: killVerdict(matrix).conforms,
    matrix,
  };
  const document = () =>
    shardDocument({
      command: 'conform',
      protocol: driver.protocol,
      run: conformRunOptions(context),
      shard: shard ?? { index: 1, count: 1 },
      units: rows.length,
      result: whole,
    });
  if (values.out !== undefined)
    writeFileAtomic(values.out, JSON.stringify(document(), null, 2) + '\n');
  if (values.json) {
    io.stdout(JSON.stringify(shard ? document() : whole, null, 2) + '\n');
  } else if (shard) {
    io.stdout(formatKillTable(matrix).join('\n') + '\n');
    io.stdout(
      `shard ${shard.index}/${shard.count}: ${matrix.length} of ${rows.length} rows; ` +
        `in them ${formatKillVerdict(matrix)} (merge the shards for the whole matrix)\n`,
    );
  } else {
    io.stdout(formatKillMatrix(matrix));
  }
  return killMatrixPasses(matrix) ? EXIT.ok : EXIT.failed;
}

/** The options that decide a kill matrix's rows and cells: its shards must agree on them. */
function conformRunOptions({ values }: CommandContext): Record<string, unknown> {
  const { bound, deep, suite, trace, seed, runs, steps, impl, timers } = values;
  return {
    bound: bound ?? [],
    deep: deep ?? false,
    suite: suite ?? null,
    trace: trace ?? null,
    seed: seed ?? null,
    runs: runs ?? null,
    steps: steps ?? null,
    maxStates: values['max-states'] ?? null,
    impl: impl ?? 'ts',
    timers: timers ?? null,
  };
}

const coverageCommand: Command = (context) => {
  const { models, io, values, positionals } = context;
  const [model] = selectModels(positionals, models, { atLeastOne: true, atMostOne: true });
  if (values.suite === undefined) throw new UsageError('coverage needs --suite FILE');
  const suite = loadSuite(model, values.suite);
  const config = resolveConfig(model, { bounds: suite.bounds, variants: suite.variants });
  const coverage = suiteCoverage(model, config, suite);
  // Reachability puts the numbers in proportion; skipped on models too large to enumerate.
  const graph = buildStateGraph(new ModelSystem(model, config), maxStatesOption(context));
  const labels = new ModelSystem(model, config).compiled.transitions.map((t) => t.label);
  const reachable = graph.complete ? graph.reachableTransitions.map((id) => labels[id]) : null;
  const missed = reachable?.filter((label) => coverage.transitions[label] === 0) ?? null;
  const nodeIds = Object.keys(coverage.stateNodes);
  const takenCount = Object.values(coverage.transitions).filter((hits) => hits > 0).length;
  const report = {
    ...coverage,
    reachableStates: graph.complete ? graph.states.length : null,
    reachableTransitions: reachable?.length ?? null,
    reachableNeverTaken: missed,
  };
  if (values.json) {
    io.stdout(JSON.stringify(report, null, 2) + '\n');
    return EXIT.ok;
  }
  const of = (count: number | null) => (count === null ? '?' : String(count));
  io.stdout(
    [
      `${model.name} ${suite.generator.name} suite: ${coverage.vectors} vectors, ${coverage.steps} steps`,
      `model states visited: ${coverage.distinctStates} of ${of(report.reachableStates)} reachable`,
      `state nodes active: ${nodeIds.length - coverage.neverActiveStateNodes.length} of ${nodeIds.length}`,
      `transitions taken: ${takenCount} of ${of(report.reachableTransitions)} reachable (${labels.length} in the model)`,
      `never active: ${coverage.neverActiveStateNodes.join(', ') || '(none)'}`,
      `reachable, never taken: ${missed === null ? '?' : missed.join(', ') || '(none)'}`,
      `never taken (all): ${coverage.neverTakenTransitions.join(', ') || '(none)'}`,
    ].join('\n') + '\n',
  );
  return EXIT.ok;
};

/** The commands, with the drivers they can run (tests pass their own). */
export function makeTestgenCommands(
  driverList: readonly DriverDefinition[] = registeredDrivers,
): Record<string, Command> {
  return { generate: generateCommand, conform: makeConform(driverList), coverage: coverageCommand };
}

export const testgenCommands: Record<string, Command> = makeTestgenCommands();
