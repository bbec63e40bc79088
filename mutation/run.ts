/**
 * `npm run mutation [protocol ...]`: StrykerJS on each driver with the generated suites as the
 * only tests (mutation/README.md). Prints one row per protocol and writes
 * .mutation/summary.json; survivors are listed in .mutation/<protocol>/survivors.txt, each to be
 * killed by a new property or suite, or declared equivalent in mutation/equivalent.json with a
 * one-line reason.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { drivers } from '../drivers/registry.ts';
import { models } from '../machines/registry.ts';
import { generateSuite } from '../src/testgen/generate.ts';
import { serializeSuite, type GeneratorName } from '../src/testgen/vectors.ts';

const root = new URL('..', import.meta.url).pathname;
/** Cheapest first: Stryker stops at a mutant's first failing test. */
const ORDER: GeneratorName[] = ['tour', 'pairs', 'random', 'states', 'edges'];
/**
 * The largest suite replayed against every mutant (MUTATION_MAX_STEPS). Every surviving mutant
 * replays every suite, so a state or edge cover of 10^5 steps and more (mcdi's at its defaults
 * or at reset=1) would make a run take hours on two cores; the suites left out are listed, and
 * the score is the score of the suites kept.
 */
const MAX_STEPS = Number(process.env.MUTATION_MAX_STEPS ?? 50_000);

interface Mutant {
  id: string;
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: { line: number; column: number } };
}

/** Mutants declared equivalent: `<protocol>: [{ line, mutator, replacement, reason }]`. */
type Equivalents = Record<
  string,
  Array<{ line: number; mutator: string; replacement?: string; reason: string }>
>;

function generateSuites(protocol: string): { files: number; skipped: string[] } {
  const model = models.find((m) => m.name === protocol)!;
  const driver = drivers.find((d) => d.protocol === protocol)!;
  const dir = join(root, '.mutation', protocol, 'suites');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const boundsSets = new Map<string, Record<string, number> | undefined>([['defaults', undefined]]);
  for (const variant of driver.variants) {
    if (variant.killBounds) {
      const name = Object.entries(variant.killBounds)
        .map(([k, v]) => `${k}${v}`)
        .join('-');
      boundsSets.set(name, { ...variant.killBounds });
    }
  }
  let files = 0;
  const skipped: string[] = [];
  ORDER.forEach((generator, order) => {
    for (const [name, bounds] of boundsSets) {
      const { suite } = generateSuite(model, { generator, ...(bounds ? { bounds } : {}) });
      if (suite.summary.steps > MAX_STEPS) {
        skipped.push(`${generator}-${name} (${suite.summary.steps} steps)`);
        continue;
      }
      writeFileSync(join(dir, `${order}-${generator}-${name}.json`), serializeSuite(suite));
      files += 1;
    }
  });
  return { files, skipped };
}

function summarise(protocol: string, equivalents: Equivalents) {
  const report = JSON.parse(
    readFileSync(join(root, '.mutation', protocol, 'report.json'), 'utf8'),
  ) as { files: Record<string, { mutants: Mutant[] }> };
  const mutants = Object.values(report.files).flatMap((file) => file.mutants);
  const declared = equivalents[protocol] ?? [];
  const isEquivalent = (m: Mutant) =>
    declared.some(
      (e) =>
        e.line === m.location.start.line &&
        e.mutator === m.mutatorName &&
        (e.replacement === undefined || e.replacement === m.replacement),
    );
  const count = (status: string) => mutants.filter((m) => m.status === status).length;
  const valid = mutants.filter((m) => !['CompileError', 'Ignored'].includes(m.status));
  const detected = valid.filter((m) => m.status === 'Killed' || m.status === 'Timeout');
  const survivors = valid.filter((m) => m.status === 'Survived' || m.status === 'NoCoverage');
  const equivalent = survivors.filter(isEquivalent);
  const open = survivors.filter((m) => !isEquivalent(m));
  writeFileSync(
    join(root, '.mutation', protocol, 'survivors.txt'),
    open
      .map(
        (m) =>
          `drivers/${protocol}.ts:${m.location.start.line}:${m.location.start.column} ${m.mutatorName} ${m.status}` +
          (m.replacement ? ` -> ${m.replacement.replace(/\s+/g, ' ').slice(0, 120)}` : ''),
      )
      .join('\n') + '\n',
  );
  return {
    protocol,
    mutants: valid.length,
    killed: count('Killed'),
    timeout: count('Timeout'),
    survived: count('Survived'),
    noCoverage: count('NoCoverage'),
    equivalent: equivalent.length,
    score: valid.length === 0 ? 0 : detected.length / valid.length,
    scoreNonEquivalent:
      valid.length - equivalent.length === 0
        ? 0
        : detected.length / (valid.length - equivalent.length),
  };
}

const wanted = process.argv.slice(2);
const protocols = wanted.length > 0 ? wanted : drivers.map((d) => d.protocol);
for (const p of protocols) {
  if (!drivers.some((d) => d.protocol === p)) {
    console.error(
      `mutation: no driver for '${p}'; drivers: ${drivers.map((d) => d.protocol).join(', ')}`,
    );
    process.exit(2);
  }
}
const equivalentsFile = join(root, 'mutation', 'equivalent.json');
const equivalents = existsSync(equivalentsFile)
  ? (JSON.parse(readFileSync(equivalentsFile, 'utf8')) as Equivalents)
  : {};
const rows = [];
for (const protocol of protocols) {
  const started = Date.now();
  const loadAtStart = loadavg()[0];
  const { files, skipped } = generateSuites(protocol);
  console.error(
    `${protocol}: ${files} suites generated; running Stryker on drivers/${protocol}.ts` +
      (skipped.length > 0
        ? `\n${protocol}: not replayed (more than ${MAX_STEPS} steps): ${skipped.join(', ')}`
        : ''),
  );
  const run = spawnSync('npx', ['stryker', 'run', 'mutation/stryker.config.mjs'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, MUTATION_PROTOCOL: protocol },
  });
  if (run.status !== 0) {
    console.error(`mutation: Stryker failed on ${protocol} (exit ${run.status})`);
    process.exit(1);
  }
  rows.push({
    ...summarise(protocol, equivalents),
    suites: files,
    notReplayed: skipped,
    seconds: Math.round((Date.now() - started) / 1000),
    // The machine's 1-minute load average at the start and at the end (2 cores are shared).
    load: [loadAtStart, loadavg()[0]].map((x) => Number(x.toFixed(1))),
  });
}
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
console.log(
  '| driver | mutants | killed | timeout | survived | no coverage | declared equivalent | score | score without equivalents | suites | time | load (start, end) |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.protocol} | ${r.mutants} | ${r.killed} | ${r.timeout} | ${r.survived} | ${r.noCoverage} | ${r.equivalent} | ${pct(r.score)} | ${pct(r.scoreNonEquivalent)} | ${r.suites} | ${r.seconds} s | ${r.load.join(', ')} |`,
  );
}
writeFileSync(join(root, '.mutation', 'summary.json'), JSON.stringify(rows, null, 2) + '\n');
