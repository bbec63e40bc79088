/**
 * `npm run bench`: the explorer measured against SPIN on the anchor model (bench/anchor/) at
 * growing sizes, with and without worker threads; every registered protocol at its deep
 * bounds beside the anchor; the cost curves. Prints the tables,
 * writes bench/results.json, docs/performance.md and docs/performance-curves.svg.
 *
 * Every sample runs in its own child process, and the tools compared alternate in rounds
 * (SPIN, ours, ours with workers; SPIN, ours, ...), so that the load of the other work on
 * this machine hits them alike: ratios are taken per round and reported as median and range.
 *
 * Environment knobs (defaults in brackets):
 *   BENCH_PAIRS rounds per comparison [3]
 *   BENCH_SIZES anchor sizes, slots/seqMod/qlen, comma-separated [3/5/2,4/5/1]; the first is
 *     the base size (1.25 M states), 4/5/1 is 5.8 M, 4/7/1 is 23.5 M
 *   BENCH_WORKERS worker threads in the parallel rows [2]
 *   BENCH_PROTOCOL_SECONDS budget of a protocol run at its deep bounds [300]
 *   BENCH_XSTATE_BUDGET seconds for xstate/graph [60]
 *   BENCH_CURVE_STATES [100000] and BENCH_CURVE_SECONDS [10] per cost-curve run
 *   BENCH_SYMMETRY_DEEP=1 adds symmetry rows at each declaring protocol's deep bounds
 *   BENCH_SECTIONS which parts to run [anchor,references,protocols,symmetry,curves]; a run of
 *     only `symmetry` rewrites just that section of docs/performance.md
 *     (and a run of only `anchor` just the workers' speed-up section)
 *   BENCH_REPORT_ONLY=1 rewrites the docs from bench/results.json without measuring.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { spawnSync } from 'node:child_process';
import { models } from '../machines/registry.ts';
import { deepBounds, resolveConfig } from '../src/model/config.ts';
import type { ModelDefinition } from '../src/model/model.ts';
import { ModelSystem } from '../src/model/system.ts';
import { anchorModel } from './anchor-mailbox.ts';
import { costCurve } from './curves.ts';
import { alternate, child, cpuRate, measured, pairedRatio, rate, spin } from './measure.ts';
import { spliceSection, symmetrySection, writeReport } from './report.ts';
import { workersSection } from './workers-section.ts';
import type { AnchorRow, Machine, ProtocolRow, Results, SymmetryRow } from './results.ts';
import { spinMissing, spinVersion, type AnchorSize } from './spin.ts';
import { costCurveSvg } from './svg.ts';
import { anchorTable, protocolTable, referenceTable, symmetryTable } from './tables.ts';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const pairs = env('BENCH_PAIRS', 3);
const workerCount = env('BENCH_WORKERS', 2);
const protocolSeconds = env('BENCH_PROTOCOL_SECONDS', 300);
const xstateBudget = env('BENCH_XSTATE_BUDGET', 60);
const curveBudget = {
  maxStates: env('BENCH_CURVE_STATES', 100_000),
  maxSeconds: env('BENCH_CURVE_SECONDS', 10),
};
const sizes: AnchorSize[] = (process.env.BENCH_SIZES ?? '3/5/2,4/5/1').split(',').map((text) => {
  const [slots, seqMod, qlen] = text.split('/').map(Number);
  return { slots, seqMod, qlen };
});
const sections = new Set(
  (process.env.BENCH_SECTIONS ?? 'anchor,references,protocols,symmetry,curves').split(','),
);
const root = new URL('..', import.meta.url).pathname;
const log = (text: string) => process.stderr.write(text + '\n');
/** Runs of ours have no budget of their own at the anchor: an hour is "unbounded". */
const UNBOUNDED = 3600;

function machineInfo(): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  return {
    nproc: availableParallelism(),
    cpu: cpuinfo.match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown',
    node: process.version,
    spin: spinMissing() === null ? spinVersion() : 'not installed',
    loadAverageAtStart: loadavg()[0],
    loadAverageAtEnd: NaN,
    date: new Date().toISOString(),
  };
}

const anchorBounds = (size: AnchorSize) => ({ ...size });

function anchorRow(size: AnchorSize, withSpin: boolean): AnchorRow {
  const bounds = anchorBounds(size);
  log(
    `anchor ${size.slots} slots, SEQMOD ${size.seqMod}, QLEN ${size.qlen}: ${pairs} rounds of ${withSpin ? 'SPIN, ' : ''}ours, ours with ${workerCount} workers`,
  );
  const runs = alternate(
    pairs,
    {
      ...(withSpin ? { spin: () => spin(size) } : {}),
      ours: () => child({ tool: 'explore', model: 'anchor', bounds, budgetSeconds: UNBOUNDED }),
      workers: () =>
        child({
          tool: 'explore',
          model: 'anchor',
          bounds,
          workers: workerCount,
          budgetSeconds: UNBOUNDED,
        }),
    },
    log,
  );
  return {
    size,
    ...(withSpin
      ? {
          spin: measured('SPIN (pan -DSAFETY)', runs.spin),
          ratioToSpin: pairedRatio(runs.ours, runs.spin, rate),
          cpuRatioToSpin: pairedRatio(runs.ours, runs.spin, cpuRate),
        }
      : {}),
    ours: measured('mailbox-models explore', runs.ours),
    workers: measured(`mailbox-models explore --workers ${workerCount}`, runs.workers),
    workerCount,
    speedUp: pairedRatio(runs.workers, runs.ours, rate),
  };
}

function protocolRow(model: (typeof models)[number]): ProtocolRow {
  const bounds = { ...deepBounds(model) };
  const base = anchorBounds(sizes[0]);
  log(`${model.name} at its deep bounds ${JSON.stringify(bounds)}, beside the anchor`);
  try {
    const runs = alternate(
      pairs,
      {
        [model.name]: () =>
          child({ tool: 'explore', model: model.name, bounds, budgetSeconds: protocolSeconds }),
        anchor: () =>
          child({ tool: 'explore', model: 'anchor', bounds: base, budgetSeconds: UNBOUNDED }),
      },
      log,
    );
    return {
      protocol: model.name,
      bounds,
      ours: measured(model.name, runs[model.name]),
      anchor: measured('anchor', runs.anchor),
      ratioToAnchor: pairedRatio(runs[model.name], runs.anchor, rate),
      cpuRatioToAnchor: pairedRatio(runs[model.name], runs.anchor, cpuRate),
    };
  } catch (error) {
    log(`  error: ${String(error)}`);
    const none = measured(model.name, []);
    return {
      protocol: model.name,
      bounds,
      ours: none,
      anchor: none,
      ratioToAnchor: pairedRatio([], [], rate),
      cpuRatioToAnchor: pairedRatio([], [], rate),
      error: String(error).split('\n')[0],
    };
  }
}

/**
 * A model with a symmetry declaration, without and with the reduction, alternated. Each run
 * gets the protocol budget; the reduction factor is only given when both runs complete.
 */
function symmetryRow(model: ModelDefinition, bounds: Record<string, number>): SymmetryRow {
  const system = new ModelSystem(model, resolveConfig(model, { bounds }));
  const groups = system.symmetry.map((g) => ({ name: g.name, members: g.size }));
  log(`${model.name} ${JSON.stringify(bounds)}: ${pairs} rounds without and with symmetry`);
  const budgetSeconds = model === anchorModel ? UNBOUNDED : protocolSeconds;
  const spec = { tool: 'explore' as const, model: model.name, bounds, budgetSeconds };
  try {
    const runs = alternate(
      pairs,
      {
        unreduced: () => child(spec),
        reduced: () => child({ ...spec, symmetry: true }),
      },
      log,
    );
    const unreduced = measured('without symmetry', runs.unreduced);
    const reduced = measured('with symmetry', runs.reduced);
    const verdicts = (run: (typeof runs.reduced)[number]) => JSON.stringify(run.verdicts ?? {});
    return {
      model: model.name,
      bounds,
      groups,
      unreduced,
      reduced,
      reduction: unreduced.complete && reduced.complete ? unreduced.states / reduced.states : NaN,
      speedUp: pairedRatio(runs.reduced, runs.unreduced, (run) => 1 / run.seconds),
      rateRatio: pairedRatio(runs.reduced, runs.unreduced, rate),
      sameVerdicts: runs.reduced.every((run, i) => verdicts(run) === verdicts(runs.unreduced[i])),
    };
  } catch (error) {
    log(`  error: ${String(error)}`);
    const none = measured(model.name, []);
    return {
      model: model.name,
      bounds,
      groups,
      unreduced: none,
      reduced: none,
      reduction: NaN,
      speedUp: pairedRatio([], [], rate),
      rateRatio: pairedRatio([], [], rate),
      sameVerdicts: false,
      error: String(error).split('\n')[0],
    };
  }
}

/**
 * The models that declare symmetry, with the bounds to compare at: the anchor at its base
 * size, each declaring protocol at its default bounds (runs that complete, so the reduction
 * factor is exact) and, with BENCH_SYMMETRY_DEEP=1, at its deep bounds too (within the budget).
 */
function symmetricModels(): Array<[ModelDefinition, Record<string, number>]> {
  const list: Array<[ModelDefinition, Record<string, number>]> = [
    [anchorModel, anchorBounds(sizes[0])],
  ];
  for (const model of models) {
    const defaults = resolveConfig(model, {});
    if (!model.build(defaults).symmetry?.length) continue;
    list.push([model, { ...defaults.bounds }]);
    if (process.env.BENCH_SYMMETRY_DEEP === '1') list.push([model, { ...deepBounds(model) }]);
  }
  return list;
}

function writeDocs(results: Results): void {
  const page = `${root}docs/performance.md`;
  const onlyAnchor =
    results.anchor.length > 0 &&
    results.protocols.length === 0 &&
    results.curves.length === 0 &&
    !results.symmetry;
  if (onlyAnchor && existsSync(page)) {
    // Only the anchor rows were measured (BENCH_SECTIONS=anchor, for the worker speed-up
    // curve): replace the workers section in the page, keep the rest.
    const section = workersSection(results);
    writeFileSync(
      page,
      spliceSection(
        readFileSync(page, 'utf8'),
        section,
        '## Workers: the speed-up curve',
        '## The protocols at their deep bounds',
      ),
    );
    spawnSync(`${root}node_modules/.bin/prettier`, ['--write', 'docs/performance.md'], {
      cwd: root,
    });
    return;
  }
  if (results.anchor.length === 0 && results.symmetry && existsSync(page)) {
    // Only the symmetry section was measured: replace it in the page, keep the rest.
    writeFileSync(page, spliceSection(readFileSync(page, 'utf8'), symmetrySection(results)));
    spawnSync(`${root}node_modules/.bin/prettier`, ['--write', 'docs/performance.md'], {
      cwd: root,
    });
    return;
  }
  writeFileSync(
    `${root}docs/performance-curves.svg`,
    costCurveSvg(results.curves, 'Cost curves: seconds against distinct states, growing bounds'),
  );
  writeFileSync(`${root}docs/performance.md`, writeReport(results));
  // The page is committed, so it must pass `prettier --check` (it aligns the tables).
  spawnSync(`${root}node_modules/.bin/prettier`, ['--write', 'docs/performance.md'], { cwd: root });
}

function main(): void {
  const machine = machineInfo();
  log(`load average ${machine.loadAverageAtStart}; ${pairs} rounds per comparison`);
  const missing = spinMissing();
  if (missing) log(`SPIN rows skipped: ${missing}`);
  const knobs = Object.entries(process.env)
    .filter(([name]) => name.startsWith('BENCH_'))
    .map(([name, value]) => `${name}=${value}`);
  const results: Results = {
    machine,
    command: [...knobs, 'npm run bench'].join(' '),
    pairs,
    anchor: [],
    references: { xstateBudgetSeconds: xstateBudget },
    ...(missing ? { spinSkipped: missing } : {}),
    protocols: [],
    protocolSeconds,
    curves: [],
    curveBudget,
  };

  if (sections.has('anchor')) {
    for (const size of sizes) results.anchor.push(anchorRow(size, missing === null));
    console.log(anchorTable(results).join('\n') + '\n');
  }
  if (sections.has('references')) {
    const bounds = anchorBounds(sizes[0]);
    log('the previous JSON-keyed store, once');
    results.references.json = child({
      tool: 'explore-json',
      model: 'anchor',
      bounds,
      budgetSeconds: UNBOUNDED,
    });
    log(`xstate/graph getAdjacencyMap, once (budget ${xstateBudget} s)`);
    results.references.xstateGraph = child({
      tool: 'xstate-graph',
      model: 'anchor',
      bounds,
      budgetSeconds: xstateBudget,
    });
    console.log(referenceTable(results).join('\n') + '\n');
  }
  if (sections.has('protocols')) {
    for (const model of models) results.protocols.push(protocolRow(model));
    console.log(protocolTable(results).join('\n') + '\n');
  }
  if (sections.has('symmetry')) {
    results.symmetry = symmetricModels().map(([model, bounds]) => symmetryRow(model, bounds));
    console.log(symmetryTable(results).join('\n') + '\n');
  }
  if (sections.has('curves')) {
    for (const model of models) {
      log(`cost curve: ${model.name}...`);
      const curve = costCurve(model, curveBudget);
      results.curves.push(curve);
      for (const p of curve.points) {
        log(
          `  ${JSON.stringify(p.bounds)}: ${p.states} states, ${p.seconds.toFixed(2)} s${p.complete ? '' : ' (budget)'}`,
        );
      }
      if (curve.error) log(`  error: ${curve.error}`);
    }
  }
  machine.loadAverageAtEnd = loadavg()[0];
  writeFileSync(`${root}bench/results.json`, JSON.stringify(results, null, 2) + '\n');
  writeDocs(results);
  log('wrote bench/results.json, docs/performance.md, docs/performance-curves.svg');
}

if (process.env.BENCH_REPORT_ONLY === '1') {
  writeDocs(JSON.parse(readFileSync(`${root}bench/results.json`, 'utf8')) as Results);
} else {
  main();
}
