/**
 * `npm run bench`: the explorer measured side by side with SPIN and xstate/graph on the anchor
 * model (bench/anchor/), then the cost curve of every registered protocol. Prints one
 * table, writes bench/results.json, docs/performance.md and docs/performance-curves.svg.
 *
 * Every row runs in its own child process (so peak RSS is its own), one after the other in one
 * run: other work on the machine slows all rows alike, so compare the ratios, not the seconds.
 *
 * Environment knobs (defaults in brackets): BENCH_SEQMOD [5], BENCH_QLEN [2],
 * BENCH_XSTATE_BUDGET seconds for xstate/graph [60], BENCH_CURVE_STATES [100000] and
 * BENCH_CURVE_SECONDS [10] per cost-curve run, BENCH_CURVES=0 to skip the curves,
 * BENCH_REPORT_ONLY=1 to rewrite the docs from bench/results.json without measuring.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { models } from '../machines/registry.ts';
import { costCurve } from './curves.ts';
import { writeReport } from './report.ts';
import type { Machine, Results, Row } from './results.ts';
import { runSpin, spinMissing, spinVersion } from './spin.ts';
import { costCurveSvg } from './svg.ts';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const seqMod = env('BENCH_SEQMOD', 5);
const qlen = env('BENCH_QLEN', 2);
const xstateBudget = env('BENCH_XSTATE_BUDGET', 60);
const curveBudget = {
  maxStates: env('BENCH_CURVE_STATES', 100_000),
  maxSeconds: env('BENCH_CURVE_SECONDS', 10),
};
const root = new URL('..', import.meta.url).pathname;

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

function rowOf(
  tool: string,
  r: Omit<Row, 'tool' | 'statesPerSecond' | 'statesPerCpuSecond' | 'bytesPerState'>,
): Row {
  return {
    tool,
    ...r,
    statesPerSecond: r.states / r.seconds,
    statesPerCpuSecond: r.states / r.cpuSeconds,
    bytesPerState: r.peakRssBytes / r.states,
  };
}

function child(tool: string, budgetSeconds: number): Row {
  const run = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'bench/child.ts',
      tool,
      String(seqMod),
      String(qlen),
      String(budgetSeconds),
    ],
    { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  if (run.status !== 0) throw new Error(`bench child ${tool} failed:\n${run.stderr}`);
  const r = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
    states: number;
    transitions: number;
    seconds: number;
    cpuSeconds: number;
    peakRssBytes: number;
    baselineRssBytes: number;
    storeBytes?: number;
    complete: boolean;
  };
  const { storeBytes, ...rest } = r;
  return rowOf(tool, {
    states: rest.states,
    transitions: rest.transitions,
    seconds: rest.seconds,
    cpuSeconds: rest.cpuSeconds,
    peakRssBytes: rest.peakRssBytes,
    complete: rest.complete,
    ...(storeBytes === undefined ? {} : { storeBytesPerState: storeBytes / r.states }),
    bytesPerStateAboveBaseline: (r.peakRssBytes - r.baselineRssBytes) / r.states,
  });
}

const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits }) : '-';

export function tableLines(rows: Row[]): string[] {
  const header = [
    'tool',
    'states',
    'transitions',
    'seconds',
    'states/s',
    'cpu s',
    'states/cpu-s',
    'peak RSS MB',
    'bytes/state',
    'complete',
  ];
  const lines = rows.map((r) => [
    r.tool,
    fmt(r.states),
    fmt(r.transitions),
    fmt(r.seconds, 2),
    fmt(r.statesPerSecond),
    fmt(r.cpuSeconds, 2),
    fmt(r.statesPerCpuSecond),
    fmt(r.peakRssBytes / 2 ** 20, 1),
    fmt(r.bytesPerState, 1) +
      (r.bytesPerStateAboveBaseline
        ? `, ${fmt(r.bytesPerStateAboveBaseline, 1)} above baseline`
        : '') +
      (r.storeBytesPerState ? `, store ${fmt(r.storeBytesPerState, 1)}` : ''),
    r.complete ? 'yes' : 'no (budget)',
  ]);
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...lines.map((l) => `| ${l.join(' | ')} |`),
  ];
}

/** BENCH_REPORT_ONLY=1: rewrite the docs from bench/results.json without measuring again. */
function reportOnly(): void {
  const results = JSON.parse(readFileSync(`${root}bench/results.json`, 'utf8')) as Results;
  writeDocs(results, tableLines(results.anchor.rows));
}

function writeDocs(results: Results, table: string[]): void {
  writeFileSync(
    `${root}docs/performance-curves.svg`,
    costCurveSvg(results.protocols, 'Cost curves: seconds against distinct states, growing bounds'),
  );
  writeFileSync(`${root}docs/performance.md`, writeReport(results, table, curveBudget));
  // The page is committed, so it must pass `prettier --check` (it aligns the tables).
  spawnSync(`${root}node_modules/.bin/prettier`, ['--write', 'docs/performance.md'], { cwd: root });
}

function main(): void {
  const machine = machineInfo();
  const rows: Row[] = [];
  const log = (text: string) => process.stderr.write(text + '\n');
  log(
    `anchor: 3 slots, SEQMOD=${seqMod}, QLEN=${qlen}; load average ${machine.loadAverageAtStart}`,
  );

  const missing = spinMissing();
  let spinCommand: string | undefined;
  if (missing) {
    log(`SPIN row skipped: ${missing}`);
  } else {
    log('running SPIN...');
    const spin = runSpin(seqMod, qlen);
    spinCommand = spin.command;
    rows.push(
      rowOf('SPIN (pan -DSAFETY)', {
        states: spin.states,
        transitions: spin.transitions,
        seconds: spin.seconds,
        cpuSeconds: spin.cpuSeconds,
        peakRssBytes: spin.peakRssBytes,
        complete: spin.complete,
      }),
    );
  }
  log('running our explorer (compact store)...');
  const ours = child('explore', 3600);
  ours.tool = 'mailbox-models explore';
  rows.push(ours);
  log('running our explorer with 2 worker threads...');
  const workers = child('explore-workers', 3600);
  workers.tool = 'mailbox-models explore --workers 2';
  rows.push(workers);
  log('running our explorer (JSON keys, the previous store)...');
  const json = child('explore-json', 3600);
  json.tool = 'mailbox-models explore --store json';
  rows.push(json);
  log(`running xstate/graph getAdjacencyMap (budget ${xstateBudget} s)...`);
  const graph = child('xstate-graph', xstateBudget);
  graph.tool = 'xstate/graph getAdjacencyMap';
  rows.push(graph);

  const spinRow = rows.find((r) => r.tool.startsWith('SPIN'));
  const results: Results = {
    anchor: {
      config: { slots: 3, seqMod, qlen },
      rows,
      ratioToSpin: spinRow ? ours.statesPerSecond / spinRow.statesPerSecond : null,
      ratioToXstateGraph: ours.statesPerSecond / graph.statesPerSecond,
      workersRatioToSpin: spinRow ? workers.statesPerSecond / spinRow.statesPerSecond : null,
      workersSpeedUp: workers.statesPerSecond / ours.statesPerSecond,
      cpuRatioToSpin: spinRow ? ours.statesPerCpuSecond / spinRow.statesPerCpuSecond : null,
      cpuRatioToXstateGraph: ours.statesPerCpuSecond / graph.statesPerCpuSecond,
      ...(missing ? { spinSkipped: missing } : { spinCommand }),
    },
    protocols: [],
    machine,
  };

  console.log(tableLines(rows).join('\n'));
  const ratio = (r: number | null) => (r === null ? 'n/a (SPIN skipped)' : `${r.toFixed(2)}x`);
  console.log(
    `\nours / SPIN: ${ratio(results.anchor.ratioToSpin)} states/s (${ratio(results.anchor.cpuRatioToSpin)} per CPU second)` +
      `\nours / xstate/graph: ${ratio(results.anchor.ratioToXstateGraph)} states/s (${ratio(results.anchor.cpuRatioToXstateGraph)} per CPU second)` +
      `\nours with 2 workers / SPIN: ${ratio(results.anchor.workersRatioToSpin)} states/s; speed-up over one thread ${ratio(results.anchor.workersSpeedUp)}`,
  );

  if (process.env.BENCH_CURVES !== '0') {
    for (const model of models) {
      log(`cost curve: ${model.name}...`);
      const curve = costCurve(model, curveBudget);
      results.protocols.push(curve);
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
  writeDocs(results, tableLines(rows));
  log('wrote bench/results.json, docs/performance.md, docs/performance-curves.svg');
}

if (process.env.BENCH_REPORT_ONLY === '1') reportOnly();
else main();
