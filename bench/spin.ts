/**
 * The SPIN row: generate the verifier for the anchor's Promela file, compile it and run it,
 * exactly as bench/anchor/README.md says. Prerequisite: `apt-get install -y spin gcc`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ANCHOR_DIR = new URL('./anchor/', import.meta.url).pathname;

export interface SpinRow {
  states: number;
  transitions: number;
  /** pan's own search time (what it divides by for its rate). */
  seconds: number;
  wallSeconds: number;
  cpuSeconds: number;
  peakRssBytes: number;
  complete: boolean;
  command: string;
}

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

/** Why SPIN cannot run here, or null when it can. */
export function spinMissing(): string | null {
  const missing = ['spin', 'gcc'].filter((command) => !onPath(command));
  if (missing.length > 0)
    return `${missing.join(' and ')} not installed (apt-get install -y spin gcc)`;
  for (const pml of ['mailbox-3slots.pml', 'mailbox-4slots.pml']) {
    if (!existsSync(join(ANCHOR_DIR, pml))) return `no ${ANCHOR_DIR}${pml}`;
  }
  return null;
}

/** The anchor's size: its Promela file has `slots` slots (3 or 4). */
export interface AnchorSize {
  slots: number;
  seqMod: number;
  qlen: number;
}

/**
 * pan's search depth and hash table: the 3-slot runs as bench/anchor/README.md gives them;
 * the 4-slot model's DFS goes millions of steps deep (10.4 M at SEQMOD 7), and its tens of
 * millions of states want a bigger table.
 */
function panFlags(size: AnchorSize): string[] {
  return size.slots <= 3 ? ['-m500000', '-w24'] : ['-m12000000', '-w26'];
}

export function spinCommand(size: AnchorSize): string {
  const pml = `mailbox-${size.slots}slots.pml`;
  return `spin -a -DSEQMOD=${size.seqMod} -DQLEN=${size.qlen} ${pml} && gcc -O2 -DSAFETY -o pan pan.c && ./pan ${panFlags(size).join(' ')}`;
}

export function runSpin(size: AnchorSize): SpinRow {
  const { seqMod, qlen } = size;
  const pml = `mailbox-${size.slots}slots.pml`;
  const dir = mkdtempSync(join(tmpdir(), 'bench-spin-'));
  try {
    copyFileSync(join(ANCHOR_DIR, pml), join(dir, pml));
    const flags = [`-DSEQMOD=${seqMod}`, `-DQLEN=${qlen}`];
    execFileSync('spin', ['-a', ...flags, pml], { cwd: dir, stdio: 'pipe' });
    execFileSync('gcc', ['-O2', '-DSAFETY', '-o', 'pan', 'pan.c'], { cwd: dir, stdio: 'pipe' });
    // GNU time gives the child's CPU time and peak RSS; without it, pan's own memory figure.
    const haveTime = existsSync('/usr/bin/time');
    const started = performance.now();
    const run = haveTime
      ? spawnSync('/usr/bin/time', ['-f', 'TIME %U %S %M', './pan', ...panFlags(size)], {
          cwd: dir,
          encoding: 'utf8',
        })
      : spawnSync('./pan', panFlags(size), { cwd: dir, encoding: 'utf8' });
    const wallSeconds = (performance.now() - started) / 1000;
    const out = run.stdout + run.stderr;
    const number = (pattern: RegExp): number => {
      const match = out.match(pattern);
      if (!match) throw new Error(`unexpected pan output:\n${out}`);
      return Number(match[1]);
    };
    const time = out.match(/TIME ([\d.]+) ([\d.]+) (\d+)/);
    return {
      states: number(/(\d+) states, stored/),
      transitions: number(/(\d+) transitions \(= stored\+matched\)/),
      seconds: number(/elapsed time ([\d.e+-]+) seconds/),
      wallSeconds,
      cpuSeconds: time ? Number(time[1]) + Number(time[2]) : NaN,
      peakRssBytes: time
        ? Number(time[3]) * 1024
        : number(/([\d.]+)\s+total actual memory usage/) * 1024 * 1024,
      // pan says "max search depth too small" and goes on, missing states.
      complete: !/Search not completed|max search depth too small/.test(out),
      command: spinCommand(size),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `spin -V`, for the record. */
export function spinVersion(): string {
  try {
    return execFileSync('spin', ['-V'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}
