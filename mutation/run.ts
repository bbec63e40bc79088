/**
 * `npm run mutation [--from-report | --retest] [protocol ...]`: StrykerJS on each driver with the
 * generated suites as the only tests (mutation/README.md). Prints one table row per protocol and
 * keeps each protocol's row in .mutation/<protocol>/summary.json; the mutants still open
 * (survived or not covered, and not declared equivalent) are listed in
 * .mutation/<protocol>/survivors.txt, each to be killed by a new property or suite, or declared
 * equivalent in mutation/equivalent.json with a one-line reason.
 *
 * `--from-report` runs no Stryker: it scores the last run's report again (after equivalents
 * were declared) and prints the same table, with that run's command, time and load.
 *
 * `--retest` runs Stryker again on the lines of the last run's open survivors only, with the
 * suites generated now, and merges the results into that run's report. Sound only when every
 * suite of the last run is among today's (byte for byte) and the driver is unchanged: a mutant
 * a suite killed is killed again by the same suite, and a declared equivalent survives every
 * suite; both are checked, and the run refuses otherwise.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { drivers } from '../drivers/registry.ts';
import { models } from '../machines/registry.ts';
import { generateSuitesWithin } from '../src/testgen/generate.ts';
import { serializeSuite, type GeneratorName } from '../src/testgen/vectors.ts';
import { MUTATION_BOUNDS } from './bounds.ts';
import { loadEquivalents, mutantKey, scoreReport, type MutationReport } from './score.ts';

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
const CONCURRENCY = Number(process.env.MUTATION_CONCURRENCY ?? 2);

const dirOf = (protocol: string) => join(root, '.mutation', protocol);
const driverFile = (protocol: string) => drivers.find((d) => d.protocol === protocol)!.file;
const readJson = <T>(file: string) => JSON.parse(readFileSync(file, 'utf8')) as T;

/**
 * The bounds the suites are generated at: the model's defaults, each variant's killBounds, and
 * the protocol's MUTATION_BOUNDS (mutation/bounds.ts).
 */
function boundsSets(protocol: string): Map<string, BoundsSet> {
  const driver = drivers.find((d) => d.protocol === protocol)!;
  const sets = new Map<string, BoundsSet>([['defaults', { generators: ORDER }]]);
  const add = (bounds: Readonly<Record<string, number>>, generators = ORDER) =>
    sets.set(
      Object.entries(bounds)
        .map(([k, v]) => `${k}${v}`)
        .join('-'),
      { bounds: { ...bounds }, generators },
    );
  for (const variant of driver.variants) if (variant.killBounds) add(variant.killBounds);
  for (const { bounds, generators } of MUTATION_BOUNDS[protocol] ?? []) add(bounds, generators);
  return sets;
}

interface BoundsSet {
  bounds?: Record<string, number>;
  generators: readonly GeneratorName[];
}

interface Suites {
  /** File names: `<order>-<generator>-<bounds>-<hash of the content>.json`. */
  files: string[];
  steps: number;
  skipped: string[];
}

/**
 * Writes each suite of at most MAX_STEPS steps to .mutation/<protocol>/suites/. Each set's
 * suites come from one exploration, and a suite is built only while it fits the budget
 * (generateSuitesWithin stops it at its first step past MAX_STEPS), so a cover that would be
 * left out anyway is never held whole. A file's name carries a hash of its content, so a
 * changed suite is a new test to Stryker.
 */
function writeSuites(protocol: string): Suites {
  const model = models.find((m) => m.name === protocol)!;
  const dir = join(dirOf(protocol), 'suites');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  let steps = 0;
  const skipped: string[] = [];
  for (const [name, { bounds, generators }] of boundsSets(protocol)) {
    const wanted = ORDER.filter((g) => generators.includes(g));
    for (const g of ORDER) if (!wanted.includes(g)) skipped.push(`${g}-${name} (not asked for)`);
    const options = bounds ? { bounds } : {};
    for (const generated of generateSuitesWithin(model, wanted, options, MAX_STEPS)) {
      if ('skipped' in generated) {
        skipped.push(`${generated.generator}-${name} (over ${generated.skipped.budget} steps)`);
        continue;
      }
      const { suite } = generated;
      const generator = suite.generator.name as GeneratorName;
      const text = serializeSuite(suite);
      const file = `${ORDER.indexOf(generator)}-${generator}-${name}-${hashOf(text)}.json`;
      writeFileSync(join(dir, file), text);
      files.push(file);
      steps += suite.summary.steps;
    }
  }
  return { files, steps, skipped };
}

const hashOf = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 8);
/** The content hash a suite file's name ends with. */
const suiteHash = (file: string) => /-([0-9a-f]{8})\.json$/.exec(file)?.[1] ?? file;

interface RunInfo {
  /** The commands that produced the report (the environment variables that matter, then npm's). */
  command: string;
  suites: number;
  steps: number;
  suiteFiles: string[];
  notReplayed: string[];
  maxSteps: number;
  seconds: number;
  /** The machine's 1-minute load average at the start and at the end (2 cores are shared). */
  load: number[];
  finished: string;
}

function stryker(protocol: string, env: Record<string, string>): void {
  const run = spawnSync('npx', ['stryker', 'run', 'mutation/stryker.config.mjs'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      MUTATION_PROTOCOL: protocol,
      MUTATION_CONCURRENCY: String(CONCURRENCY),
      ...env,
    },
  });
  if (run.status !== 0) {
    console.error(`mutation: Stryker failed on ${protocol} (exit ${run.status})`);
    process.exit(1);
  }
}

function generate(protocol: string, what: string): Suites {
  const suites = writeSuites(protocol);
  console.error(
    `${protocol}: ${suites.files.length} suites (${suites.steps} steps) generated; ${what}` +
      (suites.skipped.length > 0
        ? `\n${protocol}: not replayed (MUTATION_MAX_STEPS=${MAX_STEPS}): ${suites.skipped.join(', ')}`
        : ''),
  );
  return suites;
}

function runFull(protocol: string): RunInfo {
  const started = Date.now();
  const loadAtStart = loadavg()[0];
  const suites = generate(protocol, `running Stryker on ${driverFile(protocol)}`);
  stryker(protocol, {});
  return {
    command: `MUTATION_MAX_STEPS=${MAX_STEPS} MUTATION_CONCURRENCY=${CONCURRENCY} npm run mutation ${protocol}`,
    suites: suites.files.length,
    steps: suites.steps,
    suiteFiles: suites.files,
    notReplayed: suites.skipped,
    maxSteps: MAX_STEPS,
    seconds: Math.round((Date.now() - started) / 1000),
    load: [loadAtStart, loadavg()[0]].map((x) => Number(x.toFixed(1))),
    finished: new Date().toISOString(),
  };
}

/** Consecutive lines as Stryker's `file:start-end` ranges. */
function ranges(file: string, lines: number[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const last = out.at(-1);
    const match = last && /:(\d+)-(\d+)$/.exec(last);
    if (match && Number(match[2]) === line - 1) out[out.length - 1] = `${file}:${match[1]}-${line}`;
    else out.push(`${file}:${line}-${line}`);
  }
  return out;
}

function runRetest(protocol: string, base: RunInfo): RunInfo {
  const started = Date.now();
  const loadAtStart = loadavg()[0];
  const dir = dirOf(protocol);
  const file = driverFile(protocol);
  const report = readJson<MutationReport>(join(dir, 'report.json'));
  if (report.files[file]?.source !== readFileSync(join(root, file), 'utf8')) {
    console.error(
      `mutation: ${file} changed since the last run: run \`npm run mutation ${protocol}\``,
    );
    process.exit(2);
  }
  const equivalents = loadEquivalents(join(root, 'mutation', 'equivalent.json'));
  const { openLines } = scoreReport(protocol, report, equivalents[protocol] ?? []);
  const suites = generate(protocol, `retesting ${openLines.length} lines of ${file}`);
  const now = new Set(suites.files.map(suiteHash));
  const gone = base.suiteFiles.filter((f) => !now.has(suiteHash(f)));
  if (gone.length > 0) {
    console.error(
      `mutation: suites of the last run are not generated now (${gone.join(', ')}): a mutant they killed may live; run \`npm run mutation ${protocol}\``,
    );
    process.exit(2);
  }
  if (openLines.length > 0) {
    stryker(protocol, {
      MUTATION_MUTATE: ranges(file, openLines).join(','),
      MUTATION_REPORT: `.mutation/${protocol}/report-retest.json`,
    });
    const retest = readJson<MutationReport>(join(dir, 'report-retest.json'));
    const now = new Map(retest.files[file].mutants.map((m) => [mutantKey(m), m]));
    copyFileSync(join(dir, 'report.json'), join(dir, 'report-before-retest.json'));
    const merged = report.files[file].mutants.map((m) => {
      const again = now.get(mutantKey(m));
      return again ? { ...again, id: m.id } : m;
    });
    report.files[file].mutants = merged;
    writeFileSync(join(dir, 'report.json'), JSON.stringify(report));
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  return {
    command: `${base.command} && MUTATION_MAX_STEPS=${MAX_STEPS} MUTATION_CONCURRENCY=${CONCURRENCY} npm run mutation -- --retest ${protocol}`,
    suites: suites.files.length,
    steps: suites.steps,
    suiteFiles: suites.files,
    notReplayed: suites.skipped,
    maxSteps: MAX_STEPS,
    seconds: base.seconds + seconds,
    load: [...base.load, loadAtStart, Number(loadavg()[0].toFixed(1))].map((x) =>
      Number(x.toFixed(1)),
    ),
    finished: new Date().toISOString(),
  };
}

function row(protocol: string, run: RunInfo) {
  const report = readJson<MutationReport>(join(dirOf(protocol), 'report.json'));
  const equivalents = loadEquivalents(join(root, 'mutation', 'equivalent.json'));
  const score = scoreReport(protocol, report, equivalents[protocol] ?? []);
  for (const entry of score.stale) {
    console.error(
      `mutation: ${protocol}: equivalent.json entry matches no surviving mutant (update or remove it): ${entry}`,
    );
  }
  // A report of an older driver scored against equivalents that follow today's lines is no score.
  const file = driverFile(protocol);
  const stale = report.files[file]?.source !== readFileSync(join(root, file), 'utf8');
  if (stale) {
    console.error(
      `mutation: ${protocol}: ${file} changed since this report: its row is the old driver's; run \`npm run mutation ${protocol}\``,
    );
  }
  writeFileSync(
    join(dirOf(protocol), 'survivors.txt'),
    score.open.join('\n') + (score.open.length ? '\n' : ''),
  );
  return {
    protocol: stale ? `${protocol} (driver changed since)` : protocol,
    ...score.counts,
    ...run,
  };
}

function parseArgs(argv: string[]) {
  const modes = ['--from-report', '--retest'];
  const mode = argv.find((a) => modes.includes(a));
  const wanted = argv.filter((a) => !modes.includes(a));
  const unknown = wanted.filter((a) => a.startsWith('-'));
  if (unknown.length > 0 || argv.filter((a) => modes.includes(a)).length > 1) {
    console.error(
      `mutation: ${unknown.length > 0 ? `unknown option ${unknown[0]}` : 'one mode at a time'}; usage: mutation [--from-report | --retest] [protocol ...]`,
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
    if (mode && !existsSync(join(dirOf(p), 'run.json'))) {
      console.error(
        `mutation: no earlier run of ${p} (.mutation/${p}/run.json); run without ${mode}`,
      );
      process.exit(2);
    }
  }
  return { mode, protocols };
}

const { mode, protocols } = parseArgs(process.argv.slice(2));
const rows = [];
for (const protocol of protocols) {
  mkdirSync(dirOf(protocol), { recursive: true });
  const runFile = join(dirOf(protocol), 'run.json');
  const before = mode ? readJson<RunInfo>(runFile) : undefined;
  const run =
    mode === '--from-report'
      ? before!
      : mode === '--retest'
        ? runRetest(protocol, before!)
        : runFull(protocol);
  writeFileSync(runFile, JSON.stringify(run, null, 2) + '\n');
  const r = row(protocol, run);
  writeFileSync(join(dirOf(protocol), 'summary.json'), JSON.stringify(r, null, 2) + '\n');
  rows.push(r);
}
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
console.log(
  '| driver | mutants | killed | timeout | survived | no coverage | equivalent | score | score over non-equivalent | MUTATION_MAX_STEPS | suites (steps) | time | load |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.protocol} | ${r.mutants} | ${r.killed} | ${r.timeout} | ${r.survived} | ${r.noCoverage} | ${r.equivalent} | ${pct(r.score)} | ${pct(r.scoreNonEquivalent)} | ${r.maxSteps} | ${r.suites} (${r.steps}) | ${r.seconds} s | ${r.load.join(', ')} |`,
  );
}
