/**
 * The seed's own doe.c (sources/pci-doe-review.txt) under the C harness, at the model's grain
 * (docs/pci-doe.md, "Steps"): it conforms to every generated suite with the default model's
 * fixes as patches (outputs and enabled sets); each finding's counterexample replays on the
 * as-written C (ending in AddressSanitizer's report where it is a memory error) and departs
 * where its fix acts on the fixed C; the harness stops where the model's steps end.
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

/** The line of the seed's `kfree(doe)` on pci_doe_probe()'s error path (seed line 599). */
function probeKfreeLine(): number {
  const lines = readFileSync('harness/c/pci-doe/doe.c', 'utf8').split('\n');
  const label = lines.findIndex(
    (line, i) => line === 'err_free:' && lines[i + 1] === '\tkfree(doe);',
  );
  expect(label).toBeGreaterThan(0);
  return label + 2;
}

const trace = (variant: string, cx: string, extra: string[] = []) =>
  run(['conform', 'pci-doe', '--impl', 'c', ...extra, '--variant', variant, '--trace', cx]);
const traceFixed = (cx: string) => run(['conform', 'pci-doe', '--impl', 'c', '--trace', cx]);

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
  it(
    'conforms to every generated suite, outputs and enabled sets alike',
    { timeout: 900_000 },
    async () => {
      const { code, stdout } = await run(['conform', 'pci-doe', '--impl', 'c']);
      for (const suite of ['tour', 'states', 'random', 'edges', 'pairs']) {
        expect(stdout).toMatch(new RegExp(`pci-doe ${suite}: conforms \\(\\d+ vectors`));
      }
      expect(code).toBe(0);
    },
  );
});

describe('pci-doe: the findings on the seed C as written', () => {
  it('finding 2: the doe freed by a probe error path with its work queued, in ASan', async () => {
    const cx = await counterexample('probe-error-no-cancel');
    const asWritten = await trace('as-written', cx);
    expect(asWritten.code).toBe(1);
    expect(asWritten.stdout).toMatch(/DIVERGES at vector no-use-after-free, step \d+:/);
    expect(asWritten.stdout).toMatch(/>> {2}\d+\. probe_kfree/);
    expect(asWritten.stdout).toMatch(/ERROR: AddressSanitizer: heap-use-after-free/);
    const freedBy = asWritten.stdout.slice(asWritten.stdout.indexOf('freed by thread'));
    expect(freedBy).toContain(`in pci_doe_probe harness/c/pci-doe/doe.c:${probeKfreeLine()}`);
    /* the fix cancels the work there instead */
    const fixed = await traceFixed(cx);
    expect(fixed.code).toBe(1);
    expect(fixed.stdout).toMatch(/>> {2}\d+\. probe_free_irq/);
    expect(fixed.stdout).toMatch(
      /the model can also \{"type":"probe_kfree"\}; the C can also \{"type":"probe_cancel"\}/,
    );
    expect(fixed.stdout).not.toMatch(/AddressSanitizer/);
  });

  it('finding 4: removal cancels before it frees the IRQ, in ASan', async () => {
    const cx = await counterexample('remove-cancel-before-free-irq');
    const asWritten = await trace('as-written', cx);
    expect(asWritten.code).toBe(1);
    expect(asWritten.stdout).toMatch(/>> {2}\d+\. remove_kfree/);
    expect(asWritten.stdout).toMatch(/ERROR: AddressSanitizer: heap-use-after-free/);
    expect(asWritten.stdout).toMatch(/in pci_doe_remove harness\/c\/pci-doe\/doe\.c:\d+/);
    /* the fixed C frees the IRQ first: it refuses the as-written order at once */
    const fixed = await traceFixed(cx);
    expect(fixed.code).toBe(1);
    expect(fixed.stdout).toMatch(
      /the model can also \{"type":"remove_cancel"\}; the C can also \{"type":"remove_free_irq"\}/,
    );
  });

  it('finding 1 (IRQ mode): the C as written follows the hang; the fix polls again', async () => {
    const cx = await counterexample('wait-abort-no-reschedule');
    const asWritten = await trace('as-written', cx);
    expect(asWritten.stdout).toMatch(/trace: conforms \(\d+ vectors/);
    expect(asWritten.code).toBe(0);
    const fixed = await traceFixed(cx);
    expect(fixed.code).toBe(1);
    expect(fixed.stdout).toMatch(/>> {2}\d+\. tick/);
    expect(fixed.stdout).toMatch(/the C can also \{"type":"work_start"\}/);
  });

  it('finding 5: the C as written gives up before the second; the fix keeps trying', async () => {
    const cx = await counterexample('busy-retries-counted');
    const asWritten = await trace('as-written', cx);
    expect(asWritten.stdout).toMatch(/trace: conforms \(\d+ vectors/);
    expect(asWritten.code).toBe(0);
    const fixed = await traceFixed(cx);
    expect(fixed.code).toBe(1);
    expect(fixed.stdout).toMatch(/>> {2}\d+\. work_send/);
    expect(fixed.stdout).toMatch(
      /the model can also \{"type":"work_callback"\}; the C can also \{"type":"tick"\}/,
    );
  });
});

describe('pci-doe: the TS driver and the C', () => {
  it('agree step by step on the tour (fixed)', async () => {
    const { code, stdout } = await run([
      'conform',
      'pci-doe',
      '--differential',
      '--suite',
      file('tour.json'),
    ]);
    expect(stdout).toMatch(/drivers\/pci-doe\.ts and the C agree on every step \(\d+ vectors/);
    expect(code).toBe(0);
  });
});

describe('pci-doe: the harness stops where the model steps end', () => {
  it('the work stops at its lock drop and wake-ups, never runs past them in one step', () => {
    const manifest = loadManifest('pci-doe');
    const binary = buildCHarness('pci-doe', patchesFor(manifest, new Set()));
    const suite = parseSuite(readFileSync(file('tour.json'), 'utf8'), 'tour.json');
    const replies = runCSuite(binary, 'pci-doe', suite, { crossed: true }).replies;
    const crossedBy = (type: string) =>
      suite.vectors.flatMap((vector, v) =>
        vector.steps.flatMap((step, i) =>
          step.event.type === type ? [replies[v][i + 1].crossed ?? []] : [],
        ),
      );
    /* work_start: the 286-290 lock section, then it stops before the next register access */
    const starts = crossedBy('work_start');
    expect(starts.length).toBeGreaterThan(0);
    for (const crossed of starts) {
      expect(crossed).toContain('worker: unlock mutex_unlock(&doe->state_lock)');
      expect(crossed.filter((c) => c.startsWith('worker: wake'))).toEqual([]);
    }
    /* work_send: the STATUS read and the request's writes through GO, in one step */
    const sends = crossedBy('work_send');
    expect(
      sends.some((c) =>
        c.includes('worker: reg_write pci_write_config_dword(offset + PCI_DOE_CTRL)'),
      ),
    ).toBe(true);
    /* a step that ends at a wake-up or a completion does not run through it (the model
     * splits there: the woken caller may run before the work's next step) */
    for (const type of ['work_recv_status', 'work_done_wake', 'work_abort_status']) {
      const steps = crossedBy(type);
      expect(steps.length, type).toBeGreaterThan(0);
      for (const crossed of steps) {
        expect(
          crossed.filter((c) => c.startsWith('worker: wake')),
          type,
        ).toEqual([]);
      }
    }
  });
});
