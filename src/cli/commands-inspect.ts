/**
 * The inspector's commands: `inspect` writes the HTML pages, `export` prints a chart as
 * Mermaid or DOT. (`check --report DIR` writes the same pages from its own results.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBounds, parseInteger, selectModels } from './cli-args.ts';
import { makeOutputDirectory, writeFileAtomic } from './output-files.ts';
import { EXIT, type CommandContext, type Command } from './command.ts';
import { resolveConfig, UsageError, type ConfigRequest } from '../model/config.ts';
import { SuiteMismatchError, suiteCoverage, type SuiteCoverage } from '../testgen/coverage.ts';
import { explore } from '../explore/explore.ts';
import { chartOf } from '../inspect/chart.ts';
import { stopElk, warmElk } from '../inspect/elk-runner.ts';
import { toDot, toMermaid } from '../inspect/export.ts';
import type { CoverageSet } from '../inspect/page-data.ts';
import {
  renderProtocolPage,
  reportFiles,
  type IndexProtocol,
  type ProtocolPage,
  type ProtocolPageInput,
} from '../inspect/report.ts';
import { replayGroup, traceGroups, type NamedTrace, type TraceGroup } from '../inspect/replay.ts';
import type { ModelConfig, ModelDefinition } from '../model/model.ts';
import { ModelSystem } from '../model/system.ts';
import { VECTOR_FORMAT, type TestSuite } from '../testgen/vectors.ts';

/** Vectors of a suite offered as traces on the page (coverage counts all of them). */
const MAX_SUITE_TRACES = 20;

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not JSON: ${(error as Error).message}`);
  }
}

/**
 * Renders the pages (each in its own configuration) and writes them with the index into
 * `dir`; returns the index path, the pages and the layout engine's start-up time.
 */
export async function writeHtmlReport(
  dir: string,
  inputs: readonly ProtocolPageInput[],
  indexOf: (pages: readonly ProtocolPage[]) => IndexProtocol[] = defaultIndex,
): Promise<{ index: string; pages: ProtocolPage[]; startupMilliseconds: number }> {
  // Refuse a bad directory before spending time on layouts.
  makeOutputDirectory(dir);
  const pages: ProtocolPage[] = [];
  let startupMilliseconds = 0;
  try {
    startupMilliseconds = await warmElk();
    for (const input of inputs) pages.push(await renderProtocolPage(input));
  } finally {
    await stopElk();
  }
  const generated = `generated ${new Date().toISOString()} by mailbox-models`;
  for (const file of reportFiles(pages, indexOf(pages), generated)) {
    writeFileAtomic(join(dir, file.name), file.html);
  }
  return { index: join(dir, 'index.html'), pages, startupMilliseconds };
}

/** An index of plain pages: the first page of each protocol is its model, the rest others. */
function defaultIndex(pages: readonly ProtocolPage[]): IndexProtocol[] {
  const protocols = new Map<string, IndexProtocol>();
  for (const page of pages) {
    const entry = protocols.get(page.protocol);
    if (entry) entry.others.push(page.run);
    else {
      protocols.set(page.protocol, {
        protocol: page.protocol,
        title: page.title,
        seed: page.seed,
        model: page.run,
        findings: [],
        others: [],
      });
    }
  }
  return [...protocols.values()];
}

/** Two configurations of one model are the same: equal bounds and the same variants. */
function sameConfig(a: ModelConfig, b: ModelConfig): boolean {
  const bounds = Object.keys(a.bounds);
  return (
    bounds.every((name) => a.bounds[name] === b.bounds[name]) &&
    a.variants.size === b.variants.size &&
    [...a.variants].every((v) => b.variants.has(v))
  );
}

function describeConfig(config: ModelConfig): string {
  const bounds = Object.entries(config.bounds)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
  return `${bounds}${config.variants.size ? ` with variant ${[...config.variants].join(', ')}` : ''}`;
}

/** A trace file's traces (or a suite's), with where they came from. */
interface LoadedGroup extends TraceGroup {
  file: string;
  /** For a suite: the whole suite, whose coverage the page colours. */
  suite?: TestSuite;
}

function loadGroups(values: CommandContext['values']): LoadedGroup[] {
  const groups: LoadedGroup[] = [];
  if (values.suite !== undefined) {
    const file = values.suite;
    const suite = readJson(file) as TestSuite;
    if (suite?.format !== VECTOR_FORMAT || typeof suite.protocol !== 'string') {
      throw new UsageError(`${file} is not a test-vector suite (docs/test-vectors.md)`);
    }
    // A suite can hold thousands of vectors: the page steps through the first few.
    const shown = { ...suite, vectors: suite.vectors.slice(0, MAX_SUITE_TRACES) };
    for (const group of traceGroups(shown, file)) groups.push({ ...group, file, suite });
  }
  if (values.trace !== undefined) {
    const file = values.trace;
    for (const group of traceGroups(readJson(file), file)) groups.push({ ...group, file });
  }
  return groups;
}

/**
 * The protocols to show: those named, or, when none is named, those the trace or suite file
 * records. A trace of a protocol that is not shown is a usage error, never dropped.
 */
function protocolsToShow(
  models: readonly ModelDefinition[],
  named: readonly string[],
  groups: readonly LoadedGroup[],
): ModelDefinition[] {
  const recorded = [...new Set(groups.flatMap((g) => (g.protocol ? [g.protocol] : [])))];
  const selected = selectModels(
    named.length > 0 || recorded.length === 0 ? named : recorded,
    models,
  );
  for (const group of groups) {
    if (group.protocol === undefined) {
      if (selected.length !== 1) {
        throw new UsageError(`${group.file} does not say its protocol: name exactly one protocol`);
      }
    } else if (!selected.some((model) => model.name === group.protocol)) {
      throw new UsageError(
        `${group.file} holds traces of ${group.protocol}, not of ${selected.map((m) => m.name).join(', ')}: ` +
          `name ${group.protocol}, or leave the protocol out`,
      );
    }
  }
  return selected;
}

const inspect: Command = async ({ models, io, values, positionals }: CommandContext) => {
  if (values.out === undefined) throw new UsageError('inspect needs --out DIR');
  const explicit =
    values.bound !== undefined || values.variant !== undefined || values.deep === true;
  const request: ConfigRequest = {
    deep: values.deep,
    bounds: parseBounds(values.bound),
    variants: values.variant ?? [],
  };
  const maxStates =
    values['max-states'] === undefined
      ? undefined
      : parseInteger(values['max-states'], '--max-states', 1);
  const groups = loadGroups(values);
  const selected = protocolsToShow(models, positionals, groups);
  makeOutputDirectory(values.out);
  const inputs: ProtocolPageInput[] = [];
  for (const model of selected) {
    const base = resolveConfig(model, request);
    const pages = [
      {
        config: base,
        traces: [] as NamedTrace[],
        suites: [] as CoverageSet[],
        files: [] as string[],
      },
    ];
    for (const group of groups.filter((g) => (g.protocol ?? model.name) === model.name)) {
      let config = base;
      if (group.config) {
        try {
          config = resolveConfig(model, group.config);
        } catch (error) {
          if (!(error instanceof UsageError)) throw error;
          throw new UsageError(`${group.file}: ${error.message}`);
        }
        if (explicit && !sameConfig(config, base)) {
          throw new UsageError(
            `${group.file} was recorded under ${describeConfig(config)}, and is shown there: leave out --bound, --variant and --deep`,
          );
        }
      }
      let page = pages.find((p) => sameConfig(p.config, config));
      if (!page) {
        page = { config, traces: [], suites: [], files: [] };
        pages.push(page);
      }
      if (!page.files.includes(group.file)) page.files.push(group.file);
      const system = new ModelSystem(model, config);
      page.traces.push(...replayGroup(system, group, group.file));
      if (group.suite) page.suites.push(suiteCoverageSet(model, config, group.suite, group.file));
    }
    for (const page of pages) {
      const configRequest = { bounds: page.config.bounds, variants: [...page.config.variants] };
      inputs.push({
        model,
        request: configRequest,
        exploration: explore(model, { ...configRequest, maxStates }),
        traces: page.traces,
        suites: page.suites,
        ...(page === pages[0] ? {} : { role: `as recorded in ${page.files.join(', ')}` }),
      });
    }
  }
  const { index, pages, startupMilliseconds } = await writeHtmlReport(values.out, inputs);
  io.stdout(`layout engine started in ${(startupMilliseconds / 1000).toFixed(2)} s\n`);
  for (const page of pages) {
    io.stdout(`${page.file}: rendered in ${(page.milliseconds / 1000).toFixed(2)} s\n`);
  }
  io.stdout(`inspector: ${index}\n`);
  return EXIT.ok;
};

function suiteCoverageSet(
  model: ModelDefinition,
  config: ModelConfig,
  suite: TestSuite,
  file: string,
): CoverageSet {
  let counts: SuiteCoverage;
  try {
    counts = suiteCoverage(model, config, suite);
  } catch (error) {
    if (error instanceof SuiteMismatchError) {
      throw new UsageError(`${file} does not fit the model: ${error.message}`);
    }
    throw error;
  }
  return {
    name: 'suite',
    description: `Test suite ${file} (${counts.vectors} vectors, ${counts.steps} steps, generator ${suite.generator.name}): per state, the visited states in which it is active; per transition, the steps that take it.`,
    stateNodes: counts.stateNodes,
    transitions: counts.transitions,
  };
}

const exportCommand: Command = ({ models, io, values, positionals }: CommandContext) => {
  const [model] = selectModels(positionals, models, { atLeastOne: true, atMostOne: true });
  const format = values.format ?? 'mermaid';
  if (format !== 'mermaid' && format !== 'dot') {
    throw new UsageError(`--format must be mermaid or dot, got '${format}'`);
  }
  const config = resolveConfig(model, {
    deep: values.deep,
    bounds: parseBounds(values.bound),
    variants: values.variant ?? [],
  });
  const chart = chartOf(model.build(config).machine);
  io.stdout(format === 'mermaid' ? toMermaid(chart) : toDot(chart));
  return EXIT.ok;
};

export const inspectCommands: Record<string, Command> = {
  inspect,
  export: exportCommand,
};
