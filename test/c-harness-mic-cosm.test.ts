/**
 * The seed's own cosm_scif_server.c (sources/mic-cosm-scif.txt) under the C harness, with
 * cosm_main.c reconstructed around it and SCIF and the card simulated: it conforms to every
 * generated suite with the default model's two fixes as patches (outputs and enabled sets),
 * the seed as written fails where each finding says, and the TS driver and the C agree.
 * Needs a C compiler with AddressSanitizer (gcc; .ci/run installs it).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main, type CliIo } from '../src/cli/cli.ts';
import { models } from '../machines/registry.ts';

async function run(args: string[]) {
  let stdout = '';
  const io: CliIo = {
    stdout: (text) => void (stdout += text),
    stderr: () => {},
    stderrIsTty: false,
  };
  const code = await main(args, models, io);
  return { code, stdout };
}

const dir = mkdtempSync(join(tmpdir(), 'c-harness-mic-cosm-'));
const tour = join(dir, 'tour.json');

beforeAll(async () => {
  expect((await run(['generate', 'mic-cosm', '--suite', 'tour', '--out', tour])).code).toBe(0);
});

describe('mic-cosm: the seed C with the default model fixes', () => {
  it('conforms to the tour, states and random suites, outputs and enabled sets alike', async () => {
    const { code, stdout } = await run(['conform', 'mic-cosm', '--impl', 'c']);
    expect(stdout).toMatch(/mic-cosm tour: conforms \(11 vectors/);
    expect(stdout).toMatch(/mic-cosm states: conforms \(\d+ vectors/);
    expect(stdout).toMatch(/mic-cosm random: conforms \(20 vectors/);
    expect(code).toBe(0);
  });
});

describe('mic-cosm: the seed C as written', () => {
  it('leaves the refused endpoint open: no scif_close where the model closes it (finding 1)', async () => {
    const { code, stdout } = await run([
      'conform',
      'mic-cosm',
      '--impl',
      'c',
      '--variant',
      'refused-online-leaks-newepd',
      '--suite',
      tour,
    ]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/DIVERGES at vector tour-3, step 8/);
    expect(stdout).toMatch(/model expects: .*scif_close\(card=0, ep=0\)/);
    expect(stdout).toMatch(/driver emits: {2}\(nothing\)/);
  });

  it('follows the late-status counterexample; with the fix it departs at the status (finding 2)', async () => {
    const { stdout: check } = await run([
      'check',
      'mic-cosm',
      '--variant',
      'late-status-sets-shutting-down',
      '--json',
    ]);
    const trace = join(dir, 'late-status.json');
    writeFileSync(trace, check);
    const asWritten = await run([
      'conform',
      'mic-cosm',
      '--impl',
      'c',
      '--variant',
      'as-written',
      '--trace',
      trace,
    ]);
    expect(asWritten.stdout).toMatch(/trace: conforms \(1 vectors, 14 steps\)/);
    expect(asWritten.code).toBe(0);
    const fixed = await run(['conform', 'mic-cosm', '--impl', 'c', '--trace', trace]);
    expect(fixed.code).toBe(1);
    expect(fixed.stdout).toMatch(/DIVERGES at vector hw-stop-once-per-boot, step 11/);
    expect(fixed.stdout).toMatch(/model expects: cosm_set_state\(card=0, state="SHUTTING_DOWN"\)/);
  });
});

describe('mic-cosm: the TS driver and the C', () => {
  it('agree step by step on the tour, fixed and as written', async () => {
    for (const variant of [[], ['--variant', 'as-written']]) {
      const { code, stdout } = await run([
        'conform',
        'mic-cosm',
        '--differential',
        '--suite',
        tour,
        ...variant,
      ]);
      expect(stdout).toMatch(
        /drivers\/mic-cosm\.ts and the C agree on every step \(11 vectors, 114 steps/,
      );
      expect(code).toBe(0);
    }
  });
});
