/**
 * docs/performance.md's "Where the time goes on the real protocols", written from the runs in
 * bench/profile-data.ts (bench/profile.ts --json, bench/profile-size.ts, bench/profile-ab.ts;
 * each command is in the data). `npm run bench` regenerates the page around it; a new profile
 * is a new profile-data.ts.
 */
import { PROFILE_DATA, type BenchRate, type ProfileRun, type SizeRow } from './profile-data.ts';

/** The columns of the breakdown: engine parts and the model's own code. */
const COLUMNS: Array<[string, string]> = [
  ['machine', 'model: machine'],
  ['properties', 'model: properties'],
  ['stepper', 'stepper'],
  ['system', 'product system'],
  ['codec', 'codec'],
  ['store', 'store'],
  ['explorer', 'explorer'],
  ['gc', 'GC'],
  ['other', 'other (builtins such as Set)'],
];
/** The engine's parts: what an engine change can make cheaper. */
const ENGINE_PARTS = ['stepper', 'system', 'codec', 'store', 'explorer', 'gc'];

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const pct = (share: number | undefined) => `${Math.round(100 * (share ?? 0))}%`;

function engineShare(run: ProfileRun): number {
  return ENGINE_PARTS.reduce((sum, part) => sum + (run.searchShare[part] ?? 0), 0);
}

function profileTable(runs: readonly ProfileRun[]): string[] {
  return [
    `| model | states | transitions / state | states/s | transitions/s | ${COLUMNS.map(([, title]) => title).join(' | ')} | engine |`,
    `|---|---|---|---|---|${COLUMNS.map(() => '---|').join('')}---|`,
    ...runs.map((run) => {
      const shares = COLUMNS.map(([part]) => pct(run.searchShare[part]));
      return `| ${run.model} | ${fmt(run.states)} | ${fmt(run.transitions / run.states, 2)} | ${fmt(run.states / run.searchSeconds)} | ${fmt(run.transitions / run.searchSeconds)} | ${shares.join(' | ')} | ${pct(engineShare(run))} |`;
    }),
  ];
}

function sizeTable(sizes: readonly SizeRow[]): string[] {
  return [
    '| model | bytes / state | JSON values / state | objects / state | context fields | transitions / state | invariants + goals (per state) | step properties + monitors (per transition) |',
    '|---|---|---|---|---|---|---|---|',
    ...sizes.map(
      (s) =>
        `| ${s.model} | ${fmt(s.bytesPerState, 1)} | ${fmt(s.valuesPerState, 1)} | ${fmt(s.objectsPerState, 1)} | ${fmt(s.contextFields)} | ${fmt(s.transitionsPerState, 2)} | ${s.invariants} + ${s.goals} | ${s.stepProperties} + ${s.monitors} |`,
    ),
  ];
}

/**
 * Per state, in CPU microseconds: the bench's states per CPU second (no profiler) split by the
 * profile's shares (the same code), and the engine's time per unit of work: per transition
 * and JSON value of the state (what encoding, decoding and copying a context walk).
 */
function costTable(
  rates: readonly BenchRate[],
  runs: readonly ProfileRun[],
  sizes: readonly SizeRow[],
): string[] {
  return [
    "| model | states / CPU s | / anchor | µs / state | model code µs | engine µs | engine ns per transition × JSON value | engine µs if it cost the anchor's per transition × value |",
    '|---|---|---|---|---|---|---|---|',
    ...rates.map((rate) => {
      const run = runs.find((r) => r.model === rate.model)!;
      const size = sizes.find((r) => r.model === rate.model)!;
      const anchor = rates[0];
      const anchorRun = runs.find((r) => r.model === anchor.model)!;
      const anchorSize = sizes.find((r) => r.model === anchor.model)!;
      const perState = 1e6 / rate.statesPerCpuSecond;
      const engine = perState * engineShare(run);
      const model = perState * ((run.searchShare.machine ?? 0) + (run.searchShare.properties ?? 0));
      const work = (r: BenchRate, z: SizeRow) => r.transitionsPerState * z.valuesPerState;
      const anchorUnit =
        ((1e6 / anchor.statesPerCpuSecond) * engineShare(anchorRun)) / work(anchor, anchorSize);
      return `| ${rate.model} | ${fmt(rate.statesPerCpuSecond)} | ${rate.ratio} | ${fmt(perState, 1)} | ${fmt(model, 1)} | ${fmt(engine, 1)} | ${fmt((1000 * engine) / work(rate, size))} | ${fmt(anchorUnit * work(rate, size), 1)} |`;
    }),
  ];
}

function winsTable(): string[] {
  return [
    '| change | commit | model | states expanded | before / after, CPU s | before / after, wall s |',
    '|---|---|---|---|---|---|',
    ...PROFILE_DATA.wins.map(
      (w) =>
        `| ${w.change} | ${w.commit} | ${w.model} | ${fmt(w.states)} | ${w.cpuRatio} | ${w.wallRatio} |`,
    ),
  ];
}

export function profileSection(): string {
  const data = PROFILE_DATA;
  return `## Where the time goes on the real protocols

${data.intro}

Before (main at ${data.baseCommit}):

${profileTable(data.before).join('\n')}

After (this section's changes, ${data.afterCommit}):

${profileTable(data.after).join('\n')}

${data.partsNote}

What a state is made of (${data.sizeCommand}, the first ${fmt(data.sizes[0]?.states ?? 0)} states in BFS order):

${sizeTable(data.sizes).join('\n')}

${data.sizeNote}

${data.costIntro}

${costTable(data.benchRates, data.before, data.sizes).join('\n')}

${data.costNote}

### Engine-side wins

${data.winsIntro}

${winsTable().join('\n')}

${data.winsNote}

### The target: every protocol within 2× of the anchor's states/s

${data.target}
`;
}
