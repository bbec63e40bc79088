/**
 * The main job's HTML report and JSON: one page per explored configuration (the default model,
 * each finding variant, the deep bounds), each counterexample drawn on the page of the model
 * it was found in, and an index that says per protocol what the seed as written fails and
 * where the default model was proven.
 */
import { resolveConfig, type ConfigRequest } from '../model/config.ts';
import type { ExploreResult } from '../explore/explore.ts';
import {
  pageFileName,
  traceHref,
  type IndexProtocol,
  type IndexRun,
  type ProtocolPage,
  type ProtocolPageInput,
} from '../inspect/report.ts';
import { runsOf, type ProtocolOutcome } from './main-job.ts';
import { provenBy } from './report-text.ts';

function requestOf(result: ExploreResult): ConfigRequest {
  return { bounds: result.bounds, variants: result.variants };
}

/** The file a run's page is written to. */
export function pageOf(outcome: ProtocolOutcome, result: ExploreResult): string {
  return pageFileName(outcome.model, resolveConfig(outcome.model, requestOf(result)));
}

/** What a run's page shows, under its title and in its siblings' links. */
function roleOf(
  outcome: ProtocolOutcome,
  role: 'model' | 'deep' | 'finding',
  result: ExploreResult,
): string {
  const model = outcome.findings.length > 0 ? 'default (fixed) model' : 'model';
  if (role === 'model') return model;
  if (role === 'deep') return `${model} at its deep bounds`;
  return `seed as written: variant ${result.variants.join(', ')}`;
}

/** The pages to render for the outcomes, each linking its protocol's other pages. */
export function mainJobPages(outcomes: readonly ProtocolOutcome[]): ProtocolPageInput[] {
  return outcomes.flatMap((outcome) => {
    const runs = runsOf(outcome).map(({ role, result }) => ({
      result,
      file: pageOf(outcome, result),
      role: roleOf(outcome, role, result),
    }));
    return runs.map(({ result, role }, i) => ({
      model: outcome.model,
      request: requestOf(result),
      exploration: result,
      role,
      links: runs.filter((_, j) => j !== i).map((run) => ({ href: run.file, label: run.role })),
    }));
  });
}

/** The index entries, from the outcomes and their rendered pages. */
export function mainJobIndex(
  outcomes: readonly ProtocolOutcome[],
  pages: readonly ProtocolPage[],
): IndexProtocol[] {
  const runOf = (outcome: ProtocolOutcome, result: ExploreResult): IndexRun => {
    const file = pageOf(outcome, result);
    return pages.find((page) => page.file === file)!.run;
  };
  return outcomes.map((outcome) => ({
    protocol: outcome.model.name,
    title: outcome.model.title,
    seed: outcome.model.seed,
    model: runOf(outcome, outcome.fixed),
    deep:
      outcome.deep.kind === 'explored'
        ? {
            kind: 'explored',
            bounds: outcome.deep.bounds,
            run: runOf(outcome, outcome.deep.result),
          }
        : outcome.deep.kind === 'cached'
          ? { kind: 'cached', bounds: outcome.deep.bounds, proven: provenBy(outcome.deep.proof) }
          : { kind: outcome.deep.kind, bounds: outcome.deep.bounds },
    findings: outcome.findings.map((finding) => ({
      variant: finding.variant.name,
      description: finding.variant.description,
      source: finding.variant.source,
      run: runOf(outcome, finding.result),
      missing: finding.missing,
    })),
    others: [],
  }));
}

function resultJson(result: ExploreResult) {
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
      ...(p.vacuous === undefined ? {} : { vacuous: p.vacuous }),
      ...(p.message === undefined ? {} : { message: p.message }),
      trace: p.trace ?? null,
    })),
  };
}

/** `check --json`'s result of one run (also without the main job). */
export const checkResultJson = resultJson;

/**
 * The main job as one JSON document: `protocols` says per protocol what the findings fail and
 * what the default model proves (runs named by their index in `results`, which holds every
 * run in full); with a report, each counterexample's page link. Shape: README.md.
 */
export function mainJobJson(outcomes: readonly ProtocolOutcome[], reportDir?: string) {
  const results: Array<ReturnType<typeof resultJson> & { role: string }> = [];
  const indexOf = (result: ExploreResult, role: string) => {
    results.push({ role, ...resultJson(result) });
    return results.length - 1;
  };
  const link = (outcome: ProtocolOutcome, result: ExploreResult, trace?: string) => {
    if (reportDir === undefined) return {};
    const file = pageOf(outcome, result);
    const href = `${reportDir.replace(/\/+$/, '')}/${trace ? traceHref(file, trace) : file}`;
    return trace ? { counterexample: href } : { page: href };
  };
  const protocols = outcomes.map((outcome) => {
    const holds = (result: ExploreResult) =>
      result.properties.some((p) => p.holds === false)
        ? false
        : result.properties.every((p) => p.holds === true)
          ? true
          : null;
    return {
      protocol: outcome.model.name,
      title: outcome.model.title,
      model: {
        result: indexOf(outcome.fixed, 'model'),
        bounds: outcome.fixed.bounds,
        holds: holds(outcome.fixed),
        ...link(outcome, outcome.fixed),
      },
      deep: {
        bounds: outcome.deep.bounds,
        status: outcome.deep.kind,
        ...(outcome.deep.kind === 'cached'
          ? {
              holds: true,
              provenAt: outcome.deep.proof.provenAt,
              states: outcome.deep.proof.states,
              seconds: outcome.deep.proof.seconds,
            }
          : {}),
        ...(outcome.deep.kind === 'explored'
          ? {
              result: indexOf(outcome.deep.result, 'deep'),
              holds: holds(outcome.deep.result),
              ...link(outcome, outcome.deep.result),
            }
          : {}),
      },
      findings: outcome.findings.map((finding) => ({
        variant: finding.variant.name,
        description: finding.variant.description,
        source: finding.variant.source,
        breaks: finding.variant.breaks,
        result: indexOf(finding.result, 'finding'),
        ...link(outcome, finding.result),
        fails: finding.fails.map((fail) => ({
          ...fail,
          ...link(outcome, finding.result, fail.property),
        })),
        missing: finding.missing,
      })),
    };
  });
  return { protocols, results };
}
