/**
 * One protocol page from a model (and optionally its exploration, suites and traces), and the
 * report directory: `index.html` plus `<protocol>.html` each.
 */
import { resolveConfig, type ConfigRequest } from '../model/config.ts';
import type { ExploreResult } from '../explore/explore.ts';
import type { ModelDefinition } from '../model/model.ts';
import { ModelSystem } from '../model/system.ts';
import { chartOf } from './chart.ts';
import { layoutChart } from './layout.ts';
import {
  chartData,
  explorationCoverage,
  pageProperties,
  pageTrace,
  type CoverageSet,
  type PageData,
} from './page-data.ts';
import { renderIndex, renderPage, type IndexEntry } from './page.ts';
import type { NamedTrace } from './replay.ts';
import { renderSvg } from './svg.ts';

export interface ProtocolPageInput {
  model: ModelDefinition;
  request?: ConfigRequest;
  exploration?: ExploreResult;
  suites?: CoverageSet[];
  traces?: NamedTrace[];
}

export interface ProtocolPage {
  protocol: string;
  html: string;
  /** Chart extraction, layout and SVG/HTML rendering, without the exploration. */
  milliseconds: number;
  layoutAttempt: string;
  index: Omit<IndexEntry, 'href'>;
}

export async function renderProtocolPage(input: ProtocolPageInput): Promise<ProtocolPage> {
  const started = performance.now();
  const { model, exploration } = input;
  const config = resolveConfig(model, input.request ?? {});
  const system = new ModelSystem(model, config);
  const chart = chartOf(system.instance.machine);
  const layout = await layoutChart(chart);
  const svg = renderSvg(chart, layout);
  const { properties, traces } = exploration
    ? pageProperties(chart, exploration.properties)
    : { properties: [], traces: [] };
  for (const extra of input.traces ?? []) {
    // Names are deep-link keys: keep them unique on the page.
    let name = extra.name;
    for (let n = 2; traces.some((t) => t.name === name); n++) name = `${extra.name}-${n}`;
    traces.push(pageTrace(chart, name, extra.description, extra.trace));
  }
  const data: PageData = {
    protocol: model.name,
    title: model.title,
    seed: model.seed,
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
    ...chartData(chart),
    coverage: [
      ...(input.suites ?? []),
      ...(exploration ? [explorationCoverage(exploration.coverage)] : []),
    ],
    traces,
    properties,
  };
  const html = renderPage(data, svg, { indexHref: 'index.html' });
  return {
    protocol: model.name,
    html,
    milliseconds: performance.now() - started,
    layoutAttempt: layout.attempt,
    index: {
      protocol: model.name,
      title: model.title,
      ...(exploration
        ? {
            states: exploration.states,
            transitions: exploration.transitions,
            seconds: exploration.seconds,
            complete: exploration.complete,
          }
        : {}),
      properties: properties.map((p) => ({
        name: p.name,
        holds: p.holds,
        statement: p.statement,
        ...(p.trace
          ? { traceHref: `#mode=trace&trace=${encodeURIComponent(p.trace)}&step=0` }
          : {}),
      })),
    },
  };
}

/** A file name for a protocol page that no protocol name can turn into a path. */
export function pageFileName(protocol: string): string {
  return `${protocol.replace(/[^A-Za-z0-9._-]/g, '_')}.html`;
}

/** A report as files to write: one page per protocol and `index.html`, names relative to the
 * report's directory (the CLI writes them, atomically, where the user asked). */
export interface ReportFile {
  name: string;
  html: string;
}

/** The pages and the index, as files (the index last). */
export function reportFiles(pages: readonly ProtocolPage[], generated: string): ReportFile[] {
  const files: ReportFile[] = [];
  const entries: IndexEntry[] = pages.map((page) => {
    const href = pageFileName(page.protocol);
    files.push({ name: href, html: page.html });
    return {
      ...page.index,
      href,
      properties: page.index.properties.map((p) => ({
        ...p,
        ...(p.traceHref ? { traceHref: href + p.traceHref } : {}),
      })),
    };
  });
  files.push({ name: 'index.html', html: renderIndex(entries, generated) });
  return files;
}
