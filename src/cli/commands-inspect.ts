/**
 * The inspector's commands: `inspect` writes the HTML pages, `export` prints a chart as
 * Mermaid or DOT. (`check --report DIR` writes the same pages from its own results.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBounds, parseInteger, selectModels } from './cli-args.ts';
import { makeDirectory, writeFileAtomic } from './output-files.ts';
import { EXIT, type CommandContext, type Command } from './command.ts';
import { resolveConfig, UsageError, type ConfigRequest } from '../model/config.ts';
import { SuiteMismatchError, suiteCoverage, type SuiteCoverage } from '../testgen/coverage.ts';
import { explore, type ExploreResult } from '../explore/explore.ts';
import { chartOf } from '../inspect/chart.ts';
import { stopElk, warmElk } from '../inspect/elk-runner.ts';
import { toDot, toMermaid } from '../inspect/export.ts';
import type { CoverageSet } from '../inspect/page-data.ts';
import { renderProtocolPage, reportFiles, type ProtocolPage } from '../inspect/report.ts';
import { tracesFromJson, type NamedTrace } from '../inspect/replay.ts';
import type { ModelDefinition } from '../model/model.ts';
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
 * Writes one page per explored protocol and the index into `dir`; returns the index path and
 * each page's render time (chart, layout, SVG and HTML; the exploration is not included).
 */
export async function writeHtmlReport(
  dir: string,
  results: ReadonlyArray<{ model: ModelDefinition; exploration: ExploreResult }>,
  extras: { suites?: CoverageSet[]; traces?: NamedTrace[] } = {},
): Promise<{ index: string; pages: ProtocolPage[]; startupMilliseconds: number }> {
  const pages: ProtocolPage[] = [];
  let startupMilliseconds = 0;
  try {
    startupMilliseconds = await warmElk();
    for (const { model, exploration } of results) {
      pages.push(
        await renderProtocolPage({
          model,
          request: { bounds: exploration.bounds, variants: exploration.variants },
          exploration,
          ...extras,
        }),
      );
    }
  } finally {
    await stopElk();
  }
  makeDirectory(dir);
  for (const file of reportFiles(
    pages,
    `generated ${new Date().toISOString()} by mailbox-models`,
  )) {
    writeFileAtomic(join(dir, file.name), file.html);
  }
  const index = join(dir, 'index.html');
  return { index, pages, startupMilliseconds };
}

const inspect: Command = async ({ models, io, values, positionals }: CommandContext) => {
  if (values.out === undefined) throw new UsageError('inspect needs --out DIR');
  const selected = selectModels(positionals, models);
  let request: ConfigRequest = {
    deep: values.deep,
    bounds: parseBounds(values.bound),
    variants: values.variant ?? [],
  };
  for (const model of selected) resolveConfig(model, request);
  if ((values.trace !== undefined || values.suite !== undefined) && selected.length !== 1) {
    throw new UsageError('--trace and --suite need exactly one protocol');
  }
  const maxStates =
    values['max-states'] === undefined
      ? undefined
      : parseInteger(values['max-states'], '--max-states', 1);
  const extras: { suites: CoverageSet[]; traces: NamedTrace[] } = { suites: [], traces: [] };
  if (selected.length === 1) {
    const model = selected[0];
    if (values.suite !== undefined) {
      const suite = readJson(values.suite) as TestSuite;
      if (suite?.format !== VECTOR_FORMAT || suite.protocol !== model.name) {
        throw new UsageError(`${values.suite} is not a ${model.name} test-vector suite`);
      }
      // The page shows the model the suite was generated from, unless told otherwise.
      if (values.bound === undefined && values.variant === undefined) {
        request = { bounds: suite.bounds, variants: suite.variants };
      }
      const config = resolveConfig(model, request);
      let counts: SuiteCoverage;
      try {
        counts = suiteCoverage(model, config, suite);
      } catch (error) {
        if (error instanceof SuiteMismatchError) {
          throw new UsageError(`${values.suite} does not fit the model: ${error.message}`);
        }
        throw error;
      }
      extras.suites.push({
        name: 'suite',
        description: `Test suite ${values.suite} (${counts.vectors} vectors, ${counts.steps} steps, generator ${suite.generator.name}): per state, the visited states in which it is active; per transition, the steps that take it.`,
        stateNodes: counts.stateNodes,
        transitions: counts.transitions,
      });
      const system = new ModelSystem(model, config);
      // A suite can hold thousands of vectors: the page steps through the first few.
      const shown = { ...suite, vectors: suite.vectors.slice(0, MAX_SUITE_TRACES) };
      extras.traces.push(...tracesFromJson(system, shown, values.suite));
    }
    if (values.trace !== undefined) {
      const system = new ModelSystem(model, resolveConfig(model, request));
      extras.traces.push(...tracesFromJson(system, readJson(values.trace), values.trace));
    }
  }
  const results = selected.map((model) => ({
    model,
    exploration: explore(model, { ...request, maxStates }),
  }));
  const { index, pages, startupMilliseconds } = await writeHtmlReport(values.out, results, extras);
  io.stdout(`layout engine started in ${(startupMilliseconds / 1000).toFixed(2)} s\n`);
  for (const page of pages) {
    io.stdout(`${page.protocol}: rendered in ${(page.milliseconds / 1000).toFixed(2)} s\n`);
  }
  io.stdout(`inspector: ${index}\n`);
  return EXIT.ok;
};

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
