/**
 * Where the explorer's time goes on one model: `npx tsx bench/profile.ts <protocol|anchor>
 * [--deep] [--bound name=value]... [--seconds N] [--json]` explores it in a child process under `node --cpu-prof`
 * and prints the profile's self time by part of the engine (the model's machine code and its
 * properties, the stepper, the product system, the codec, the store, the explorer, GC,
 * XState, loading) and the functions that take most of it. Shares are given of the whole
 * process and of the search alone (loading, idle and unattributed time left out), with the
 * run's states, transitions and transitions per state. `--json` prints the same as one JSON
 * object (what docs/performance.md's profile table is written from).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const root = new URL('..', import.meta.url).pathname;

/** The parts of the engine, in the order they are printed. */
export const PARTS = {
  machine: 'model: machine (guards, actions, event alphabet)',
  properties: "model: properties and src/model's ghost ledger and time helpers",
  stepper: 'stepper (src/model/compiled.ts)',
  system: 'product system (src/model/system.ts: views, property and monitor dispatch)',
  codec: 'codec (state-codec.ts and its generated writers and builders)',
  store: 'store (state-store.ts: hash table, arena)',
  explorer: 'explorer (explore.ts, expand.ts, search-tree.ts, visited.ts)',
  gc: 'GC',
  xstate: 'XState',
  loading: 'loading (node, tsx)',
  program: '(program)',
  idle: '(idle)',
} as const;
export type Part = keyof typeof PARTS;
/** Parts that are not the search itself. */
const NOT_SEARCH: ReadonlySet<Part> = new Set(['loading', 'program', 'idle']);

/** The part of the system a function belongs to, from its file. */
function partOf(functionName: string, url: string): Part | 'other' {
  const file = url.startsWith('file://') ? url.slice('file://'.length).replace(root, '') : url;
  if (functionName === '(garbage collector)') return 'gc';
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(program)') return 'program';
  if (/^(machines\/|bench\/anchor-mailbox)/.test(file)) return 'machine';
  // The ghost ledger and the timed-property helpers are the models' own logic (their
  // actions and properties call them), kept in src/model so that protocols share them.
  if (
    file.startsWith('properties/') ||
    /^src\/model\/(ghosts|time|timed-properties)\.ts$/.test(file)
  ) {
    return 'properties';
  }
  if (file.endsWith('src/explore/state-codec.ts')) return 'codec';
  if (file.endsWith('src/explore/state-store.ts')) return 'store';
  // The codec's generated writers and builders are eval'd code without a file.
  if (file === '' && (functionName === 'write' || functionName === 'build')) return 'codec';
  if (file.endsWith('src/model/compiled.ts')) return 'stepper';
  if (file.startsWith('src/model/')) return 'system';
  if (file.startsWith('src/explore/')) return 'explorer';
  if (file.includes('node_modules/xstate')) return 'xstate';
  if (functionName === '__name' || file.startsWith('node:') || file.includes('node_modules')) {
    return 'loading';
  }
  return 'other';
}

export interface ProfileSummary {
  model: string;
  deep: boolean;
  bounds: Record<string, number>;
  states: number;
  transitions: number;
  searchSeconds: number;
  complete: boolean;
  /** Seconds of samples per part, the whole process. */
  seconds: Record<string, number>;
  /** Share of the search's samples per search part (loading, program, idle left out). */
  searchShare: Record<string, number>;
  /** The functions with the most self time: name and file, seconds. */
  top: Array<[string, number]>;
}

function summarize(profile: Profile): Pick<ProfileSummary, 'seconds' | 'searchShare' | 'top'> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const seconds: Record<string, number> = {};
  const functions = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)!.callFrame;
    const t = (profile.timeDeltas[i] ?? 0) / 1e6;
    const part = partOf(frame.functionName, frame.url);
    seconds[part] = (seconds[part] ?? 0) + t;
    // No line numbers: tsx's transpiled code does not keep them in the profile.
    const name = `${frame.functionName || '(anonymous)'} ${frame.url.replace(`file://${root}`, '')}`;
    functions.set(name, (functions.get(name) ?? 0) + t);
  });
  let search = 0;
  for (const [part, t] of Object.entries(seconds)) if (!NOT_SEARCH.has(part as Part)) search += t;
  const searchShare: Record<string, number> = {};
  for (const [part, t] of Object.entries(seconds)) {
    if (!NOT_SEARCH.has(part as Part)) searchShare[part] = t / search;
  }
  const top = [...functions].sort((a, b) => b[1] - a[1]).slice(0, 25);
  return { seconds, searchShare, top };
}

function main(): void {
  const args = process.argv.slice(2);
  const valued = new Set(['--seconds', '--bound']);
  const name = args.find((a, i) => !a.startsWith('--') && !valued.has(args[i - 1]));
  if (!name) {
    process.stderr.write(
      'usage: npx tsx bench/profile.ts <protocol|anchor> [--deep] [--bound name=value]... [--seconds N] [--json]\n',
    );
    process.exit(2);
  }
  const bounds: Record<string, number> = {};
  args.forEach((arg, i) => {
    if (args[i - 1] !== '--bound') return;
    const [bound, value] = arg.split('=');
    bounds[bound] = Number(value);
  });
  const deep = args.includes('--deep');
  const secondsAt = args.indexOf('--seconds');
  const budget = secondsAt >= 0 ? Number(args[secondsAt + 1]) : 60;
  const dir = mkdtempSync(join(tmpdir(), 'bench-profile-'));
  try {
    const run = spawnSync(
      process.execPath,
      [
        // e.g. PROFILE_NODE_FLAGS=--no-turbo-inlining: self time then stays with the function
        // that spends it (inlined model code is otherwise counted in its caller).
        ...(process.env.PROFILE_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
        '--cpu-prof',
        `--cpu-prof-dir=${dir}`,
        '--import',
        'tsx',
        'bench/profile-child.ts',
        name,
        String(deep),
        String(budget),
        JSON.stringify(bounds),
      ],
      { cwd: root, encoding: 'utf8' },
    );
    if (run.status !== 0) {
      process.stderr.write(run.stderr);
      process.exit(1);
    }
    const result = JSON.parse(run.stdout.trim().split('\n').pop()!) as Pick<
      ProfileSummary,
      'model' | 'deep' | 'bounds' | 'states' | 'transitions' | 'searchSeconds' | 'complete'
    >;
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!;
    const summary: ProfileSummary = {
      ...result,
      ...summarize(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile),
    };
    if (args.includes('--json')) {
      console.log(JSON.stringify(summary));
      return;
    }
    print(summary);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function print(s: ProfileSummary): void {
  const perState = s.transitions / Math.max(1, s.states);
  console.log(
    `${s.model}${s.deep ? ' (deep bounds)' : ''} ${JSON.stringify(s.bounds)}: ${s.states.toLocaleString('en-US')} states, ` +
      `${s.transitions.toLocaleString('en-US')} transitions (${perState.toFixed(2)} per state) ` +
      `in ${s.searchSeconds.toFixed(2)} s${s.complete ? '' : ' (budget)'}: ` +
      `${Math.round(s.states / s.searchSeconds).toLocaleString('en-US')} states/s, ` +
      `${Math.round(s.transitions / s.searchSeconds).toLocaleString('en-US')} transitions/s`,
  );
  const total = Object.values(s.seconds).reduce((a, b) => a + b, 0);
  console.log(
    `profiled ${total.toFixed(2)} s of the process; by part (of the process, of the search):`,
  );
  const order = [...(Object.keys(PARTS) as Part[]), 'other'];
  for (const part of order) {
    const t = s.seconds[part];
    if (t === undefined) continue;
    const share = s.searchShare[part];
    console.log(
      `${pct(t / total)} ${share === undefined ? '      ' : pct(share)}  ${part === 'other' ? 'other' : PARTS[part as Part]}`,
    );
  }
  console.log('functions (self time, of the process):');
  for (const [fn, t] of s.top) console.log(`${pct(t / total)}  ${fn}`);
}

function pct(share: number): string {
  return `${(100 * share).toFixed(1)}%`.padStart(6);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
