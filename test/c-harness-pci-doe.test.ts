/**
 * The seed's own doe.c (sources/pci-doe-review.txt) under the C harness: it conforms to every
 * generated suite with the default model's fixes as patches (outputs and enabled sets), each
 * finding of the seed as written replays on the as-written C (and ends in AddressSanitizer's
 * report where it is a memory error), and the TS driver and the C agree step by step.
 * Needs a C compiler with AddressSanitizer (gcc; .ci/run installs it).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main, type CliIo } from '../src/cli/cli.ts';
import { models } from '../machines/registry.ts';
import { buildCHarness, loadManifest, patchesFor, runCSuite } from '../harness/c-harness.ts';
import { parseSuite } from '../src/testgen/vectors.ts';

async function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    stderrIsTty: false,
  };
  const code = await main(args, models, io);
  return { code, stdout, stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'c-harness-pci-doe-'));
const file = (name: string) => join(dir, name);

/** `check --variant V --json` for the finding's counterexample, as a file. */
async function counterexample(variant: string): Promise<string> {
  const { stdout } = await run(['check', 'pci-doe', '--variant', variant, '--json']);
  writeFileSync(file(`${variant}.json`), stdout);
  return file(`${variant}.json`);
}

/** The line of the seed's `kfree(doe)` on pci_doe_probe's error path (seed line 599). */
function probeKfreeLine(): number {
  const lines = readFileSync('harness/c/pci-doe/doe.c', 'utf8').split('\n');
  const label = lines.findIndex(
    (line, i) => line === 'err_free:' && lines[i + 1] === '\tkfree(doe);',
  );
  expect(label).toBeGreaterThan(0);
  return label + 2;
}

beforeAll(async () => {
  const { code } = await run([
    'generate',
    'pci-doe',
    '--suite',
    'tour',
    '--out',
    file('tour.json'),
  ]);
  expect(code).toBe(0);
});

describe('pci-doe: the seed C with the default model fixes', () => {
  it('conforms to the tour, states and random suites, outputs and enabled sets alike', async () => {
    const { code, stdout } = await run(['conform', 'pci-doe', '--impl', 'c']);
    expect(stdout).toMatch(/pci-doe tour: conforms \(4 vectors/);
    expect(stdout).toMatch(/pci-doe states: conforms \(\d+ vectors/);
    expect(stdout).toMatch(/pci-doe random: conforms \(20 vectors/);
    expect(code).toBe(0);
  });

  it('departs from finding 1 where the fix reschedules the abort poll', async () => {
    const trace = await counterexample('wait-abort-no-reschedule');
    const { code, stdout } = await run(['conform', 'pci-doe', '--impl', 'c', '--trace', trace]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/DIVERGES at vector mailbox-recovers, step 4/);
    expect(stdout).toMatch(/the model can also \(none\); the C can also \{"type":"work_run"\}/);
  });
});

describe('pci-doe: the seed C as written', () => {
  it('fails the default model tour at step 4: the abort poll is not rescheduled', async () => {
    const { code, stdout } = await run([
      'conform',
      'pci-doe',
      '--impl',
      'c',
      '--variant',
      'as-written',
      '--suite',
      file('tour.json'),
    ]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/DIVERGES at vector tour-1, step 4/);
    expect(stdout).toMatch(/the model can also \{"type":"work_run"\}; the C can also \(none\)/);
  });

  it('follows finding 1 under the model timers, not under the kernel timers', async () => {
    const trace = await counterexample('wait-abort-no-reschedule');
    const asModel = await run([
      'conform',
      'pci-doe',
      '--impl',
      'c',
      '--variant',
      'as-written',
      '--trace',
      trace,
    ]);
    expect(asModel.stdout).toMatch(/trace: conforms \(2 vectors/);
    expect(asModel.code).toBe(0);
    const asKernel = await run([
      'conform',
      'pci-doe',
      '--impl',
      'c',
      '--variant',
      'as-written',
      '--trace',
      trace,
      '--timers',
      'kernel',
    ]);
    expect(asKernel.code).toBe(1);
    expect(asKernel.stdout).toMatch(/step 4:/);
    expect(asKernel.stdout).toMatch(/the work's timer has not fired: 0 jiffies to its expiry/);
  });

  it('ends finding 2 in the AddressSanitizer report: the doe freed by probe with its timer queued', async () => {
    const trace = await counterexample('probe-error-no-cancel');
    for (const timers of ['model', 'kernel']) {
      const { code, stdout } = await run([
        'conform',
        'pci-doe',
        '--impl',
        'c',
        '--variant',
        'as-written',
        '--trace',
        trace,
        '--timers',
        timers,
      ]);
      expect(code).toBe(1);
      expect(stdout).toMatch(/DIVERGES at vector no-work-after-free, step 10:/);
      expect(stdout).toMatch(/>> {2}10\. probe_resume/);
      expect(stdout).toMatch(/ERROR: AddressSanitizer: heap-use-after-free/);
      expect(stdout).toMatch(/in kshim_scan harness\/c\/kernel\/kshim\.c/);
      const freedBy = stdout.slice(stdout.indexOf('freed by thread'));
      expect(freedBy).toContain(`in pci_doe_probe harness/c/pci-doe/doe.c:${probeKfreeLine()}`);
    }
  });

  it('with the fix of finding 2 only, the same trace departs where the work is cancelled', async () => {
    const trace = await counterexample('probe-error-no-cancel');
    const { code, stdout } = await run([
      'conform',
      'pci-doe',
      '--impl',
      'c',
      '--variant',
      'wait-abort-no-reschedule',
      '--trace',
      trace,
    ]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/step 10:/);
    expect(stdout).toMatch(/the model can also \{"type":"work_run"\}; the C can also \(none\)/);
    expect(stdout).not.toMatch(/AddressSanitizer/);
  });
});

describe('pci-doe: the TS driver and the C', () => {
  it('agree step by step on the tour, fixed and as written', async () => {
    for (const variant of [[], ['--variant', 'as-written']]) {
      const { code, stdout } = await run([
        'conform',
        'pci-doe',
        '--differential',
        '--suite',
        file('tour.json'),
        ...variant,
      ]);
      expect(stdout).toMatch(
        /drivers\/pci-doe\.ts and the C agree on every step \(4 vectors, 87 steps/,
      );
      expect(code).toBe(0);
    }
  });
});

describe('pci-doe: the grain of the model step against the C', () => {
  it('work_run passes the lock drop at line 290 and the status read, which the model merges', () => {
    const manifest = loadManifest('pci-doe');
    const binary = buildCHarness('pci-doe', patchesFor(manifest, new Set()));
    const suite = parseSuite(readFileSync(file('tour.json'), 'utf8'), 'tour.json');
    const replies = runCSuite(binary, 'pci-doe', suite, { crossed: true }).replies;
    const first = suite.vectors[0].steps.findIndex((step) => step.event.type === 'work_run');
    const crossed = replies[0][first + 1].crossed ?? [];
    expect(crossed).toContain('worker: unlock mutex_unlock(&doe->state_lock)');
    expect(crossed).toContain('worker: reg_write pci_write_config_dword(offset + PCI_DOE_CTRL)');
  });
});
