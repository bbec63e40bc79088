/**
 * Where the explorer's time goes on one model: `npx tsx bench/profile.ts <protocol|anchor>
 * [--deep] [--seconds N]` explores it in a child process under `node --cpu-prof` and prints
 * the profile's self time by part (the model's own closures, the stepper in src/model, the
 * explorer, the codec and the store, GC, tsx's `__name` helper, XState, loading) and the
 * functions that take most of it.
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

/** The part of the system a function belongs to, from its file. */
function partOf(functionName: string, url: string): string {
  const file = url.startsWith('file://') ? url.slice('file://'.length).replace(root, '') : url;
  if (functionName === '__name') return "tsx's __name helper";
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(idle)' || functionName === '(program)') return functionName;
  if (/^(machines|properties|bench\/anchor)/.test(file)) return 'model (machines/, properties/)';
  if (/state-(codec|store)\.ts$/.test(file)) return 'codec and store (src/explore)';
  // The codec's generated writers and builders are eval'd code without a file.
  if (file === '' && (functionName === 'write' || functionName === 'build')) {
    return 'codec and store (src/explore)';
  }
  if (file.startsWith('src/explore/')) return 'explorer (src/explore, search tree, expand)';
  if (file.startsWith('src/model/')) return 'stepper and monitors (src/model)';
  if (file.includes('node_modules/xstate')) return 'XState';
  if (file.startsWith('node:') || file.includes('node_modules')) return 'loading (node, tsx)';
  return `other: ${functionName || '(anonymous)'} ${file}`;
}

function summarize(profile: Profile): {
  parts: [string, number][];
  top: [string, number][];
  total: number;
} {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parts = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)!.callFrame;
    const t = profile.timeDeltas[i] ?? 0;
    total += t;
    const part = partOf(frame.functionName, frame.url);
    parts.set(part, (parts.get(part) ?? 0) + t);
    // No line numbers: tsx's transpiled code does not keep them in the profile.
    const name = `${frame.functionName || '(anonymous)'} ${frame.url.replace(`file://${root}`, '')}`;
    functions.set(name, (functions.get(name) ?? 0) + t);
  });
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return { parts: sorted(parts), top: sorted(functions).slice(0, 20), total };
}

function main(): void {
  const args = process.argv.slice(2);
  const name = args.find((a) => !a.startsWith('--'));
  if (!name) {
    process.stderr.write(
      'usage: npx tsx bench/profile.ts <protocol|anchor> [--deep] [--seconds N]\n',
    );
    process.exit(2);
  }
  const deep = args.includes('--deep');
  const secondsAt = args.indexOf('--seconds');
  const seconds = secondsAt >= 0 ? Number(args[secondsAt + 1]) : 60;
  const dir = mkdtempSync(join(tmpdir(), 'bench-profile-'));
  try {
    const run = spawnSync(
      process.execPath,
      [
        '--cpu-prof',
        `--cpu-prof-dir=${dir}`,
        '--import',
        'tsx',
        'bench/profile-child.ts',
        name,
        String(deep),
        String(seconds),
      ],
      { cwd: root, encoding: 'utf8' },
    );
    if (run.status !== 0) {
      process.stderr.write(run.stderr);
      process.exit(1);
    }
    process.stdout.write(run.stdout);
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!;
    const { parts, top, total } = summarize(
      JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile,
    );
    const pct = (t: number) => `${((100 * t) / total).toFixed(1)}%`.padStart(6);
    console.log(`profiled ${(total / 1e6).toFixed(2)} s of the process (loading included)`);
    for (const [part, t] of parts) console.log(`${pct(t)}  ${part}`);
    console.log('functions (self time):');
    for (const [fn, t] of top) console.log(`${pct(t)}  ${fn}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
