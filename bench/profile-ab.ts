/**
 * Before against after, on one machine in one run: `npx tsx bench/profile-ab.ts <before root>
 * <after root> <protocol|anchor> [--deep] [--bound name=value]... [--states N] [--rounds R]`
 * explores the same model in two checkouts of this repository (a worktree at the old commit
 * and one at the new), alternating A, B, A, B... in fresh processes, each stopped after the
 * same number of expanded states so both do the same work. It prints each run's search
 * seconds and CPU seconds, the per-round ratio before / after (median and range), and checks
 * that both saw the same states, transitions and depth (a speed change must not change them).
 *
 * Absolute times drift on a shared machine; a ratio within a round does much less.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

interface Run {
  states: number;
  transitions: number;
  depth: number;
  seconds: number;
  cpuSeconds: number;
}

/** The child: runs in the checkout's own directory, so it imports that checkout's engine. */
const CHILD = `
import { findModel } from './machines/registry.ts';
import { deepBounds } from './src/model/config.ts';
import { explore } from './src/explore/explore.ts';
import { anchorModel } from './bench/anchor-mailbox.ts';
const spec = JSON.parse(process.env.PROFILE_AB_SPEC);
const model = spec.model === 'anchor' ? anchorModel : findModel(spec.model);
const bounds = { ...(spec.deep ? deepBounds(model) : {}), ...spec.bounds };
const cpu0 = process.cpuUsage();
const result = explore(model, { bounds, maxStates: spec.states });
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({ states: result.states, transitions: result.transitions,
  depth: result.depth, seconds: result.seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 }));
`;

function runIn(root: string, spec: object): Run {
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '--eval', CHILD],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, PROFILE_AB_SPEC: JSON.stringify(spec) },
    },
  );
  if (child.status !== 0) throw new Error(`run in ${root} failed:\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as Run;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function main(): void {
  const args = process.argv.slice(2);
  const valued = new Set(['--states', '--rounds', '--bound']);
  const positional = args.filter((a, i) => !a.startsWith('--') && !valued.has(args[i - 1]));
  if (positional.length !== 3) {
    process.stderr.write(
      'usage: npx tsx bench/profile-ab.ts <before root> <after root> <protocol|anchor> [--deep] [--bound name=value]... [--states N] [--rounds R]\n',
    );
    process.exit(2);
  }
  const [before, after, model] = positional;
  const option = (name: string, fallback: number) => {
    const at = args.indexOf(name);
    return at >= 0 ? Number(args[at + 1]) : fallback;
  };
  const bounds: Record<string, number> = {};
  args.forEach((arg, i) => {
    if (args[i - 1] !== '--bound') return;
    const [bound, value] = arg.split('=');
    bounds[bound] = Number(value);
  });
  const spec = {
    model,
    deep: args.includes('--deep'),
    bounds,
    states: option('--states', 200_000),
  };
  const rounds = option('--rounds', 3);
  const roots = { before: resolve(before), after: resolve(after) };
  const runs: Record<'before' | 'after', Run[]> = { before: [], after: [] };
  for (let round = 0; round < rounds; round++) {
    // Alternate which goes first, so that a drift within a round hits both alike.
    const order = round % 2 === 0 ? (['before', 'after'] as const) : (['after', 'before'] as const);
    for (const which of order) {
      const run = runIn(roots[which], spec);
      runs[which].push(run);
      console.log(
        `  ${which} #${round + 1}: ${run.states.toLocaleString('en-US')} states, ${run.transitions.toLocaleString('en-US')} transitions, depth ${run.depth}, ${run.seconds.toFixed(2)} s, ${run.cpuSeconds.toFixed(2)} cpu s`,
      );
    }
  }
  const same = [...runs.before, ...runs.after].every(
    (run) =>
      run.states === runs.before[0].states &&
      run.transitions === runs.before[0].transitions &&
      run.depth === runs.before[0].depth,
  );
  const ratios = (key: 'seconds' | 'cpuSeconds') =>
    runs.before.map((run, i) => run[key] / runs.after[i][key]);
  const text = (values: number[]) =>
    `${median(values).toFixed(2)}× (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`;
  const b = runs.before[0];
  console.log(
    `${model} ${JSON.stringify(spec)}: ${b.states.toLocaleString('en-US')} states, ${b.transitions.toLocaleString('en-US')} transitions`,
  );
  console.log(`before / after, search seconds: ${text(ratios('seconds'))}`);
  console.log(`before / after, CPU seconds:    ${text(ratios('cpuSeconds'))}`);
  console.log(`same states, transitions and depth in every run: ${same ? 'yes' : 'NO'}`);
  if (!same) process.exitCode = 1;
}

main();
