/**
 * The inspector's commands: `inspect` writes the HTML pages, `export` prints a chart as
 * Mermaid or DOT. (`check --report DIR` writes the same pages from its own results.)
 */
import { readFileSync } from 'node:fs';
import { parseBounds, parseInteger, selectModels } from './cli-args.ts';
import type { CommandContext, Command } from './commands.ts';
import { resolveConfig, UsageError } from './config.ts';
import { explore, type ExploreResult } from './explore.ts';
import { activeStates, chartOf } from './inspect/chart.ts';
import { stopElk, warmElk } from './inspect/elk-runner.ts';
import { toDot, toMermaid } from './inspect/export.ts';
import type { CoverageSet } from './inspect/page-data.ts';
import { renderProtocolPage, writeReport, type ProtocolPage } from './inspect/report.ts';
import { coverageOfTraces, tracesFromJson, type NamedTrace } from './inspect/replay.ts';
import type { ModelDefinition } from './model.ts';
import { ModelSystem } from './system.ts';

const EXIT_OK = 0;

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
  const index = writeReport(dir, pages, `generated ${new Date().toISOString()} by mailbox-models`);
  return { index, pages, startupMilliseconds };
}

const inspect: Command = async ({ models, io, values, positionals }: CommandContext) => {
  if (values.out === undefined) throw new UsageError('inspect needs --out DIR');
  const selected = selectModels(positionals, models);
  const request = { bounds: parseBounds(values.bound), variants: values.variant ?? [] };
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
    const system = new ModelSystem(selected[0], resolveConfig(selected[0], request));
    const chart = chartOf(system.instance.machine);
    if (values.trace !== undefined) {
      extras.traces.push(...tracesFromJson(system, readJson(values.trace), values.trace));
    }
    if (values.suite !== undefined) {
      const suiteTraces = tracesFromJson(system, readJson(values.suite), values.suite);
      const counts = coverageOfTraces(
        system,
        suiteTraces.map((t) => t.trace),
        (value) => activeStates(chart, value),
      );
      extras.suites.push({
        name: 'suite',
        description: `Test suite ${values.suite} (${suiteTraces.length} vectors): per state, the steps in which it is active; per transition, how often a step took it.`,
        ...counts,
      });
      extras.traces.push(...suiteTraces);
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
  return EXIT_OK;
};

const exportCommand: Command = ({ models, io, values, positionals }: CommandContext) => {
  const [model] = selectModels(positionals, models, { atLeastOne: true, atMostOne: true });
  const format = values.format ?? 'mermaid';
  if (format !== 'mermaid' && format !== 'dot') {
    throw new UsageError(`--format must be mermaid or dot, got '${format}'`);
  }
  const config = resolveConfig(model, {
    bounds: parseBounds(values.bound),
    variants: values.variant ?? [],
  });
  const chart = chartOf(model.build(config).machine);
  io.stdout(format === 'mermaid' ? toMermaid(chart) : toDot(chart));
  return EXIT_OK;
};

export const inspectCommands: Record<string, Command> = {
  inspect,
  export: exportCommand,
};
