/**
 * Protocol pages and the report directory. A page shows one configuration of one protocol
 * (its bounds and variants): the default (fixed) model is `<protocol>.html`, a variant or other
 * bounds get their own file (`mcdi--as-written-release.html`), so that a counterexample is
 * always drawn on the model it was found in. The index (index-page.ts) links every page.
 */
import { resolveConfig, type ConfigRequest } from '../model/config.ts';
import type { ExploreResult } from '../explore/explore.ts';
import type { ModelConfig, ModelDefinition } from '../model/model.ts';
import { ModelSystem } from '../model/system.ts';
import { chartOf } from './chart.ts';
import { renderIndex, type IndexProtocol, type IndexRun } from './index-page.ts';
import { layoutChart } from './layout.ts';
import {
  chartData,
  explorationCoverage,
  pageProperties,
  pageTrace,
  type CoverageSet,
  type PageData,
} from './page-data.ts';
import { renderPage } from './page.ts';
import type { NamedTrace } from './replay.ts';
import { sourceExcerpts } from './sources.ts';
import { renderSvg } from './svg.ts';

export type { IndexProtocol, IndexRun } from './index-page.ts';

export interface ProtocolPageInput {
  model: ModelDefinition;
  request?: ConfigRequest;
  exploration?: ExploreResult;
  suites?: CoverageSet[];
  traces?: NamedTrace[];
  /** What this page shows, under its title: `default (fixed) model`, `seed as written`. */
  role?: string;
  /** Other pages of the report for the header's links (the same protocol's other configurations). */
  links?: Array<{ href: string; label: string }>;
  /** Where `sources/<file>` citations are read (default: the repository's sources/). */
  sourcesDir?: URL;
}

export interface ProtocolPage {
  protocol: string;
  title: string;
  seed: string;
  /** The page's file name in the report directory. */
  file: string;
  html: string;
  /** Chart extraction, layout and SVG/HTML rendering, without the exploration. */
  milliseconds: number;
  layoutAttempt: string;
  /** What the index says about this page, with links relative to the report directory. */
  run: IndexRun;
}

/**
 * The file name of a configuration's page: the protocol, then each variant, then each bound
 * that differs from its default (`mcdi--as-written-release--requests-3.html`); characters a
 * path could misread become `_`.
 */
export function pageFileName(model: ModelDefinition, config: ModelConfig): string {
  const parts = [model.name, ...[...config.variants].sort()];
  for (const spec of model.bounds) {
    const value = config.bounds[spec.name];
    if (value !== undefined && value !== spec.default) parts.push(`${spec.name}-${value}`);
  }
  return `${parts.map((part) => part.replace(/[^A-Za-z0-9._-]/g, '_')).join('--')}.html`;
}

/** The deep link to step 0 of a trace on a page. */
export const traceHref = (file: string, trace: string): string =>
  `${file}#mode=trace&trace=${encodeURIComponent(trace)}&step=0`;

export async function renderProtocolPage(input: ProtocolPageInput): Promise<ProtocolPage> {
  const started = performance.now();
  const { model, exploration } = input;
  const config = resolveConfig(model, input.request ?? {});
  const file = pageFileName(model, config);
  const system = new ModelSystem(model, config);
  const chart = chartOf(system.instance.machine);
  const layout = await layoutChart(chart);
  const svg = renderSvg(chart, layout);
  const { states, transitions, lanes } = chartData(chart, system.instance.lanes);
  const { properties, traces } = exploration
    ? pageProperties(chart, exploration.properties, lanes)
    : { properties: [], traces: [] };
  for (const extra of input.traces ?? []) {
    const same = traces.find((t) => sameEvents(t.events, extra.trace));
    if (same) {
      // The same run twice (a counterexample and the file it was saved to): one entry.
      same.description += ` (also ${extra.description})`;
      continue;
    }
    // Names are deep-link keys: keep them unique on the page.
    let name = extra.name;
    for (let n = 2; traces.some((t) => t.name === name); n++) name = `${extra.name}-${n}`;
    traces.push(pageTrace(chart, name, extra.description, extra.trace, lanes));
  }
  const data: PageData = {
    protocol: model.name,
    title: model.title,
    seed: model.seed,
    ...(input.role ? { role: input.role } : {}),
    config: { bounds: { ...config.bounds }, variants: [...config.variants] },
    ...(exploration
      ? {
          exploration: {
            states: exploration.states,
            transitions: exploration.transitions,
            depth: exploration.depth,
            seconds: exploration.seconds,
            complete: exploration.complete,
          },
        }
      : {}),
    states,
    transitions,
    lanes,
    coverage: [
      ...(input.suites ?? []),
      ...(exploration ? [explorationCoverage(exploration.coverage)] : []),
    ],
    traces,
    properties,
    sources: {},
  };
  data.sources = sourceExcerpts(citationsOf(data), { seed: model.seed, dir: input.sourcesDir });
  const html = renderPage(data, svg, { indexHref: 'index.html', links: input.links ?? [] });
  return {
    protocol: model.name,
    title: model.title,
    seed: model.seed,
    file,
    html,
    milliseconds: performance.now() - started,
    layoutAttempt: layout.attempt,
    run: {
      href: file,
      bounds: { ...config.bounds },
      variants: [...config.variants],
      ...(exploration
        ? {
            states: exploration.states,
            transitions: exploration.transitions,
            seconds: exploration.seconds,
            complete: exploration.complete,
          }
        : {}),
      properties: properties.map((p) => {
        const trace = p.trace ? traces.find((t) => t.name === p.trace) : undefined;
        return {
          name: p.name,
          holds: p.holds,
          statement: p.statement,
          ...(trace ? { steps: trace.events.length, traceHref: traceHref(file, trace.name) } : {}),
        };
      }),
    },
  };
}

/** Whether a page trace and a trace take the same events (the same run). */
function sameEvents(events: readonly unknown[], trace: NamedTrace['trace']): boolean {
  return (
    events.length === trace.steps.length &&
    trace.steps.every((step, i) => JSON.stringify(step.event) === JSON.stringify(events[i]))
  );
}

/** Every `sources/<file>:<lines>` a page cites: properties, states and transitions. */
function citationsOf(data: PageData): string[] {
  return [
    ...data.properties.map((p) => p.source),
    ...data.states.map((s) => s.cites ?? ''),
    ...data.transitions.map((t) => t.cites ?? ''),
  ];
}

/** A report as files to write: the pages and `index.html`, names relative to the report's
 * directory (the CLI writes them, atomically, where the user asked). */
export interface ReportFile {
  name: string;
  html: string;
}

/** The pages and the index, as files (the index last). */
export function reportFiles(
  pages: readonly ProtocolPage[],
  protocols: readonly IndexProtocol[],
  generated: string,
): ReportFile[] {
  return [
    ...pages.map((page) => ({ name: page.file, html: page.html })),
    { name: 'index.html', html: renderIndex(protocols, generated) },
  ];
}
