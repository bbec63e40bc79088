/**
 * `npm run mutation [--from-report] [protocol ...]`: StrykerJS on each driver with the generated
 * suites as the only tests (mutation/README.md). Prints one table row per protocol and keeps
 * each protocol's row in .mutation/<protocol>/summary.json; the mutants still open (survived or
 * not covered, and not declared equivalent) are listed in .mutation/<protocol>/survivors.txt,
 * each to be killed by a new property or suite, or declared equivalent in
 * mutation/equivalent.json with a one-line reason.
 *
 * `--from-report` runs no Stryker: it scores the last run's report again (after equivalents
 * were declared) and prints the same table, with that run's time and load.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { drivers } from '../drivers/registry.ts';
import { models } from '../machines/registry.ts';
import { generateSuites } from '../src/testgen/generate.ts';
import { serializeSuite, type GeneratorName } from '../src/testgen/vectors.ts';
import { MUTATION_BOUNDS } from './bounds.ts';
import { loadEquivalents, scoreReport, type MutationReport } from './score.ts';

const root = new URL('..', import.meta.url).pathname;
/** Cheapest first: Stryker stops at a mutant's first failing test. */
const ORDER: GeneratorName[] = ['tour', 'pairs', 'random', 'states', 'edges'];
/**
 * The largest suite replayed against every mutant (MUTATION_MAX_STEPS). Every surviving mutant
 * replays every suite that covers it, so a state or edge cover of 10^5 steps and more (mcdi's at
 * its defaults) would make a run take hours on two cores; the suites left out are listed, and
 * the score is the score of the suites kept.
 */
const MAX_STEPS = Number(process.env.MUTATION_MAX_STEPS ?? 50_000);

/**
 * The bounds the suites are generated at: the model's defaults, each variant's killBounds, and
 * the protocol's MUTATION_BOUNDS (mutation/bounds.ts).
 */
function boundsSets(protocol: string): Map<string, Record<string, number> | undefined> {
  const driver = drivers.find((d) => d.protocol === protocol)!;
  const sets = new Map<string, Record<string, number> | undefined>([['defaults', undefined]]);
  const add = (bounds: Readonly<Record<string, number>>) =>
    sets.set(
      Object.entries(bounds)
        .map(([k, v]) => `${k}${v}`)
        .join('-'),
      { ...bounds },
    );
  for (const variant of driver.variants) if (variant.killBounds) add(variant.killBounds);
  for (const { bounds } of MUTATION_BOUNDS[protocol] ?? []) add(bounds);
  return sets;
}

/**
 * Writes each suite of at most MAX_STEPS steps to .mutation/<protocol>/suites/. The state and
 * edge covers are built only when their lower bounds (reachable states, graph edges) fit, so a
 * cover that would be left out anyway is never generated. A file's name carries a hash of its
 * content, so a changed suite is a new test to Stryker.
 */
function writeSuites(protocol: string): { files: number; steps: number; skipped: string[] } {
  const model = models.find((m) => m.name === protocol)!;
  const dir = join(root, '.mutation', protocol, 'suites');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let files = 0;
  let steps = 0;
  const skipped: string[] = [];
  for (const [name, bounds] of boundsSets(protocol)) {
    const options = bounds ? { bounds } : {};
    const cheap = generateSuites(model, ['tour', 'pairs', 'random'], options);
    const graph = cheap[0].graph;
    const edges = graph.edges.reduce((n, out) => n + out.length, 0);
    const covers: GeneratorName[] = [];
    if (graph.states.length - 1 <= MAX_STEPS) covers.push('states');
    else skipped.push(`states-${name} (at least ${graph.states.length - 1} steps)`);
    if (edges <= MAX_STEPS) covers.push('edges');
    else skipped.push(`edges-${name} (at least ${edges} steps)`);
    const generated = [...cheap, ...(covers.length ? generateSuites(model, covers, options) : [])];
    for (const { suite } of generated) {
      const generator = suite.generator.name as GeneratorName;
      if (suite.summary.steps > MAX_STEPS) {
        skipped.push(`${generator}-${name} (${suite.summary.steps} steps)`);
        continue;
      }
      const text = serializeSuite(suite);
      const hash = createHash('sha256').update(text).digest('hex').slice(0, 8);
      const file = `${ORDER.indexOf(generator)}-${generator}-${name}-${hash}.json`;
      writeFileSync(join(dir, file), text);
      files += 1;
      steps += suite.summary.steps;
    }
  }
  return { files, steps, skipped };
}

interface RunInfo {
  /** The command that produced the report (the environment variables that matter, then npm's). */
  command: string;
  suites: number;
  steps: number;
  notReplayed: string[];
  maxSteps: number;
  concurrency: number;
  seconds: number;
  load: number[];
  finished: string;
}

function row(protocol: string, run: RunInfo) {
  const reportFile = join(root, '.mutation', protocol, 'report.json');
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as MutationReport;
  const equivalents = loadEquivalents(join(root, 'mutation', 'equivalent.json'));
  const score = scoreReport(protocol, report, equivalents[protocol] ?? []);
  for (const entry of score.stale) {
    console.error(
      `mutation: ${protocol}: equivalent.json entry matches no surviving mutant (update or remove it): ${entry}`,
    );
  }
  writeFileSync(
    join(root, '.mutation', protocol, 'survivors.txt'),
    score.open.join('\n') + (score.open.length ? '\n' : ''),
  );
  return { protocol, ...score.counts, ...run };
}

function parseArgs(argv: string[]) {
  const fromReport = argv.includes('--from-report');
  const wanted = argv.filter((a) => a !== '--from-report');
  const unknown = wanted.filter((a) => a.startsWith('-'));
  if (unknown.length > 0) {
    console.error(
      `mutation: unknown option ${unknown[0]}; usage: mutation [--from-report] [protocol ...]`,
    );
    process.exit(2);
  }
  const protocols = wanted.length > 0 ? wanted : drivers.map((d) => d.protocol);
  for (const p of protocols) {
    if (!drivers.some((d) => d.protocol === p)) {
      console.error(
        `mutation: no driver for '${p}'; drivers: ${drivers.map((d) => d.protocol).join(', ')}`,
      );
      process.exit(2);
    }
  }
  return { fromReport, protocols };
}

function runStryker(protocol: string): RunInfo {
  const started = Date.now();
  const loadAtStart = loadavg()[0];
  const { files, steps, skipped } = writeSuites(protocol);
  console.error(
    `${protocol}: ${files} suites (${steps} steps) generated; running Stryker on ${drivers.find((d) => d.protocol === protocol)!.file}` +
      (skipped.length > 0
        ? `\n${protocol}: not replayed (more than ${MAX_STEPS} steps): ${skipped.join(', ')}`
        : ''),
  );
  const concurrency = Number(process.env.MUTATION_CONCURRENCY ?? 2);
  const run = spawnSync('npx', ['stryker', 'run', 'mutation/stryker.config.mjs'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      MUTATION_PROTOCOL: protocol,
      MUTATION_CONCURRENCY: String(concurrency),
    },
  });
  if (run.status !== 0) {
    console.error(`mutation: Stryker failed on ${protocol} (exit ${run.status})`);
    process.exit(1);
  }
  return {
    command: `MUTATION_MAX_STEPS=${MAX_STEPS} MUTATION_CONCURRENCY=${concurrency} npm run mutation ${protocol}`,
    suites: files,
    steps,
    notReplayed: skipped,
    maxSteps: MAX_STEPS,
    concurrency,
    seconds: Math.round((Date.now() - started) / 1000),
    // The machine's 1-minute load average at the start and at the end (2 cores are shared).
    load: [loadAtStart, loadavg()[0]].map((x) => Number(x.toFixed(1))),
    finished: new Date().toISOString(),
  };
}

const { fromReport, protocols } = parseArgs(process.argv.slice(2));
const rows = [];
for (const protocol of protocols) {
  const runFile = join(root, '.mutation', protocol, 'run.json');
  let run: RunInfo;
  if (fromReport) {
    if (!existsSync(runFile)) {
      console.error(
        `mutation: no earlier run of ${protocol} (${runFile}); run without --from-report`,
      );
      process.exit(2);
    }
    run = JSON.parse(readFileSync(runFile, 'utf8')) as RunInfo;
  } else {
    run = runStryker(protocol);
    writeFileSync(runFile, JSON.stringify(run, null, 2) + '\n');
  }
  const r = row(protocol, run);
  writeFileSync(
    join(root, '.mutation', protocol, 'summary.json'),
    JSON.stringify(r, null, 2) + '\n',
  );
  rows.push(r);
}
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
console.log(
  '| driver | mutants | killed | timeout | survived | no coverage | equivalent | score | score over non-equivalent | MUTATION_MAX_STEPS | suites (steps) | time | load (start, end) |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.protocol} | ${r.mutants} | ${r.killed} | ${r.timeout} | ${r.survived} | ${r.noCoverage} | ${r.equivalent} | ${pct(r.score)} | ${pct(r.scoreNonEquivalent)} | ${r.maxSteps} | ${r.suites} (${r.steps}) | ${r.seconds} s | ${r.load.join(', ')} |`,
  );
}
