/**
 * The seed's own cosm_scif_server.c (sources/mic-cosm-scif.txt) under the C harness, with
 * cosm_main.c reconstructed around it and SCIF, the card and time simulated: it conforms to
 * every generated suite with the default model's five fixes as patches (outputs and enabled
 * sets, time included), the seed as written fails where each finding says (findings 3 and 5
 * in AddressSanitizer's report), and the TS driver and the C agree.
 * Needs a C compiler with AddressSanitizer (gcc; .ci/run installs it).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCHarness, loadManifest, patchesFor, runCSuite } from '../harness/c-harness.ts';
import { main, type CliIo } from '../src/cli/cli.ts';
import { micCosmModel, models } from '../machines/registry.ts';
import { resolveConfig } from '../src/model/config.ts';

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
  it(
    'conforms to every suite at the default bounds, outputs and enabled sets alike',
    { timeout: 1_800_000 },
    async () => {
      const { code, stdout } = await run(['conform', 'mic-cosm', '--impl', 'c']);
      expect(stdout).toMatch(/mic-cosm tour: conforms \(15 vectors/);
      expect(stdout).toMatch(/mic-cosm states: conforms \(\d+ vectors/);
      expect(stdout).toMatch(/mic-cosm random: conforms \(20 vectors/);
      expect(stdout).toMatch(/mic-cosm edges: conforms \(\d+ vectors/);
      expect(stdout).toMatch(/mic-cosm pairs: conforms \(\d+ vectors/);
      expect(code).toBe(0);
    },
  );

  it('conforms to the tours with a removal, and with a full ring, poll errors, strangers and every status', async () => {
    for (const bounds of [
      ['remove=1'],
      ['hostRing=1', 'pollErrors=1', 'strangers=1', 'statuses=4', 'reloads=0'],
    ]) {
      const file = join(dir, `tour-${bounds.join('-')}.json`);
      const flags = bounds.flatMap((b) => ['--bound', b]);
      expect(
        (await run(['generate', 'mic-cosm', '--suite', 'tour', ...flags, '--out', file])).code,
      ).toBe(0);
      const { code, stdout } = await run(['conform', 'mic-cosm', '--impl', 'c', '--suite', file]);
      expect(stdout, bounds.join(' ')).toMatch(/mic-cosm tour: conforms/);
      expect(code).toBe(0);
    }
  });
});

/** A check --json counterexample document of the model with `variant`. */
async function counterexample(variant: string) {
  const { stdout } = await run(['check', 'mic-cosm', '--variant', variant, '--json']);
  const file = join(dir, `${variant}.json`);
  writeFileSync(file, stdout);
  return file;
}

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
    expect(stdout).toMatch(/DIVERGES at vector tour-4, step 74/);
    expect(stdout).toMatch(/model expects: .*scif_close\(card=0, ep=0\)/);
    expect(stdout).toMatch(/driver emits: {2}\(nothing\)/);
  });

  it('follows the late-status counterexample; with the fix it departs at the status (finding 2)', async () => {
    const trace = await counterexample('late-status-sets-shutting-down');
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
    expect(asWritten.stdout).toMatch(/trace: conforms \(1 vectors, 16 steps\)/);
    expect(asWritten.code).toBe(0);
    const fixed = await run(['conform', 'mic-cosm', '--impl', 'c', '--trace', trace]);
    expect(fixed.code).toBe(1);
    expect(fixed.stdout).toMatch(/DIVERGES at vector hw-stop-once-per-boot, step 13/);
    expect(fixed.stdout).toMatch(/model expects: cosm_set_state\(card=0, state="SHUTTING_DOWN"\)/);
  });

  it('overwrites newepd on a reconnect (finding 3): no scif_close on the tour, and its counterexample ends in AddressSanitizer', async () => {
    const leak = await run([
      'conform',
      'mic-cosm',
      '--impl',
      'c',
      '--variant',
      'newepd-handoff-unlocked',
      '--suite',
      tour,
    ]);
    expect(leak.code).toBe(1);
    expect(leak.stdout).toMatch(/DIVERGES at vector tour-8, step 78/);
    const trace = await counterexample('newepd-handoff-unlocked');
    const { code, stdout } = await run([
      'conform',
      'mic-cosm',
      '--impl',
      'c',
      '--variant',
      'newepd-handoff-unlocked',
      '--trace',
      trace,
    ]);
    expect(code).toBe(1);
    // The second run of the work takes the same newepd, which the first run closed.
    expect(stdout).toMatch(/DIVERGES at vector no-use-after-close, step 18/);
    expect(stdout).toMatch(/ERROR: AddressSanitizer: heap-use-after-free/);
    expect(stdout).toMatch(/in cosm_send_time build\/cosm_scif_server\.c/);
    expect(stdout.slice(stdout.indexOf('freed by thread'))).toMatch(
      /in cosm_scif_close build\/cosm_scif_server\.c/,
    );
  });

  it('leaks an endpoint accepted after the removal began (finding 4)', async () => {
    const file = join(dir, 'tour-remove.json');
    await run(['generate', 'mic-cosm', '--suite', 'tour', '--bound', 'remove=1', '--out', file]);
    const { code, stdout } = await run([
      'conform',
      'mic-cosm',
      '--impl',
      'c',
      '--variant',
      'unknown-node-leaks-newepd',
      '--suite',
      file,
    ]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/DIVERGES at vector tour-5, step 27/);
    expect(stdout).toMatch(/>> +27\. server\.accept\(card=0\)/);
  });

  it('runs the work after the removal (finding 5): the counterexample replays, and the unlock after it is a use after free', () => {
    const manifest = loadManifest('mic-cosm');
    const binary = buildCHarness(
      'mic-cosm',
      patchesFor(manifest, new Set(['server-stopped-after-flush'])),
    );
    const { bounds } = resolveConfig(micCosmModel, { variants: ['server-stopped-after-flush'] });
    // The model's 11-step counterexample of no-use-after-free, then the work's next step.
    const events = [
      { type: 'start', card: 0 },
      { type: 'tick' },
      { type: 'server.accept', card: 0 },
      { type: 'remove.begin', card: 0 },
      { type: 'remove.stop', card: 0, ok: true },
      { type: 'remove.flushed', card: 0 },
      { type: 'server.schedule' },
      { type: 'work.dequeue', card: 0 },
      { type: 'work.online', card: 0 },
      { type: 'exit.close' },
      { type: 'remove.done', card: 0 },
      { type: 'work.exit', card: 0 },
    ];
    const steps = events.map((event) => ({ event, outputs: [], state: '', transitions: [] }));
    const { replies, crashes } = runCSuite(binary, 'mic-cosm', {
      bounds,
      vectors: [{ id: 'finding-5', steps }],
    });
    // Every step up to the release ran; the release is the bus's put_device, after the work's.
    expect(replies[0]).toHaveLength(events.length);
    expect(JSON.stringify(replies[0].at(-1))).toContain('device_release');
    const report = crashes[0];
    expect(report).toMatch(/ERROR: AddressSanitizer: heap-use-after-free/);
    expect(report).toMatch(/in cosm_scif_work build\/cosm_scif_server\.c/);
    const freedBy = report.slice(report.indexOf('freed by thread'));
    expect(freedBy).toMatch(/in cosm_release_dev harness\/c\/mic-cosm\/adapter\.c/);
    expect(freedBy).toMatch(/in cosm_unregister_device harness\/c\/mic-cosm\/cosm_main\.c/);
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
        /drivers\/mic-cosm\.ts and the C agree on every step \(15 vectors, 2640 steps: 161 with outputs, 2479 refused by both/,
      );
      expect(code).toBe(0);
    }
  });
});
