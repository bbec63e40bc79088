import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../src/cli/command.ts';
import type { OptionValues } from '../src/cli/options.ts';
import { makeTestgenCommands } from '../src/cli/commands-testgen.ts';
import {
  formatDivergence,
  runSuite,
  runVector,
  type DriverDefinition,
} from '../src/testgen/conform.ts';
import { generateSuite, generateSuites } from '../src/testgen/generate.ts';
import { GENERATORS, type TestSuite } from '../src/testgen/vectors.ts';
import { PROJECT_ROOT, renderVitest } from '../src/testgen/vitest-render.ts';
import { toyDriver } from './fixtures/toy-driver.ts';
import { toyModel } from './fixtures/toy-mailbox.ts';

const suites = GENERATORS.map((generator) => generateSuite(toyModel, { generator }).suite);

describe('conformance runner (toy driver)', () => {
  it('the correct driver conforms to all three suites', () => {
    for (const suite of suites) expect(runSuite(toyDriver, suite).conforms).toBe(true);
  });

  it('every driver variant is killed by some generated suite', () => {
    for (const variant of toyDriver.variants) {
      const killers = suites.filter(
        (suite) => !runSuite(toyDriver, suite, [variant.name]).conforms,
      );
      expect(
        killers.map((s) => s.generator.name),
        variant.name,
      ).not.toEqual([]);
    }
  });

  it('the tour kills accept-any-seq at a stale reply, with the whole path up to it', () => {
    const tour = suites[0];
    const result = runSuite(toyDriver, tour, ['accept-any-seq']);
    expect(result.conforms).toBe(false);
    const divergence = result.divergence!;
    expect(divergence.event).toMatchObject({ type: 'reply' });
    expect(divergence.path).toHaveLength(divergence.step);
    expect(divergence.expected).toEqual([]);
    expect(divergence.actual).toEqual([expect.objectContaining({ type: 'complete', rc: 0 })]);
    const text = formatDivergence(divergence);
    expect(text).toMatch(/model expects: \(nothing\)/);
    expect(text).toMatch(/driver emits: {2}complete\(id=\d, rc=0\)/);
  });

  it('a driver that throws is a divergence at that step, not a crash', () => {
    const throwing = {
      ...toyDriver,
      create: () => ({
        reset: () => [],
        apply: () => {
          throw new Error('boom');
        },
      }),
    };
    const result = runSuite(throwing, suites[0]);
    expect(result.divergence).toMatchObject({ step: 1 });
    expect(result.divergence!.error).toMatch(/Error: boom$/);
  });

  it('divergent outputs on reset are reported at step 0', () => {
    const noisy = {
      ...toyDriver,
      create: () => ({ reset: () => [{ type: 'hello' }], apply: () => [] }),
    };
    const divergence = runVector(noisy.create(), suites[0], suites[0].vectors[0]);
    expect(divergence).toMatchObject({ step: 0, actual: [{ type: 'hello' }] });
  });
});

/** `conform toy` in process, against `driver`: its exit code and what it printed. */
async function conform(values: OptionValues, driver: DriverDefinition = toyDriver) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    stderrIsTty: false,
  };
  const code = await makeTestgenCommands([driver]).conform({
    models: [toyModel],
    io,
    values,
    positionals: ['toy'],
  });
  return { code, stdout, stderr };
}

describe('conform command', () => {
  it('exits 0 when the driver conforms to all five generated suites', async () => {
    const { code, stdout } = await conform({});
    expect(code).toBe(0);
    expect(stdout.match(/conforms/g)).toHaveLength(5);
  });

  it('exits 1 with the first divergence for a bug variant', async () => {
    const { code, stdout } = await conform({ variant: ['timeout-rc-eio'] });
    expect(code).toBe(1);
    // The first timeout the tour takes (refusal steps come before it, which the driver refuses).
    const tour = generateSuite(toyModel, { generator: 'tour' }).suite;
    const firstTimeout =
      tour.vectors[0].steps.findIndex((s) => s.event.type === 'timeout' && !s.refused) + 1;
    expect(firstTimeout).toBeGreaterThan(1);
    expect(stdout).toMatch(new RegExp(`tour: DIVERGES at vector tour-1, step ${firstTimeout}:`));
    expect(stdout).toMatch(/driver emits: {2}complete\(id=0, rc=-5\)/);
  });
});

describe('conform --variant all', () => {
  it('prints which suite kills each variant first, and exits 0 when all are killed', async () => {
    const { code, stdout } = await conform({ variant: ['all'] });
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^\(correct driver\)\s+-\s+-\s+-\s+-\s+-\s+seqMod=4 requests=3 wire=2$/m,
    );
    expect(stdout).toMatch(/^timeout-rc-eio\s+tour-1@\d+\s/m);
    expect(stdout).toMatch(/5 of 5 variants killed/);
  });

  it('exits 1 when a variant survives every suite', async () => {
    const harmless = {
      ...toyDriver,
      variants: [...toyDriver.variants, { name: 'harmless', description: '', source: 'test' }],
    };
    const { code, stdout } = await conform({ variant: ['all'] }, harmless);
    expect(code).toBe(1);
    expect(stdout).toMatch(/survivors: harmless/);
  });
});

describe('conform with a variant that declares killBounds', () => {
  /** `driver` with variant `name` declaring `killBounds`. */
  const declaring = (
    driver: DriverDefinition,
    name: string,
    killBounds: Record<string, number>,
  ) => ({
    ...driver,
    variants: driver.variants.map((v) => (v.name === name ? { ...v, killBounds } : v)),
  });
  /* timeout-rc-eio is killed at any bounds that allow a request; requests=1 is visibly not the
     toy's default of 3, so the tests can see which suites were used. */
  const withKillBounds = declaring(toyDriver, 'timeout-rc-eio', { requests: 1 });
  const run = (values: OptionValues, driver: DriverDefinition = withKillBounds) =>
    conform(values, driver);
  const requestsIn = (stdout: string) =>
    (JSON.parse(stdout) as { results: Array<{ bounds: { requests: number } }> }).results.map(
      (r) => r.bounds.requests,
    );

  it('--variant <name> runs the suites generated at its killBounds and says so', async () => {
    const { code, stdout } = await run({ variant: ['timeout-rc-eio'] });
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /^toy --variant timeout-rc-eio \(at its killBounds requests=1\) tour: DIVERGES/m,
    );
    const json = await run({ variant: ['timeout-rc-eio'], json: true });
    expect(requestsIn(json.stdout)).toEqual([1, 1, 1, 1, 1]);
  });

  it('--bound overrides killBounds (the report names none)', async () => {
    const { stdout } = await run({
      variant: ['timeout-rc-eio'],
      bound: ['requests=2'],
      json: true,
    });
    expect(requestsIn(stdout)).toEqual([2, 2, 2, 2, 2]);
    const text = await run({ variant: ['timeout-rc-eio'], bound: ['requests=2'] });
    expect(text.stdout).not.toMatch(/killBounds/);
  });

  it('a variant without killBounds keeps the model defaults', async () => {
    const { stdout } = await run({ variant: ['accept-any-seq'], json: true });
    expect(requestsIn(stdout)).toEqual([3, 3, 3, 3, 3]);
  });

  it('variants with different killBounds cannot share one run: a usage error (exit 2)', async () => {
    const conflicting = declaring(withKillBounds, 'accept-any-seq', { requests: 2 });
    await expect(
      run({ variant: ['timeout-rc-eio', 'accept-any-seq'] }, conflicting),
    ).rejects.toThrow(
      /accept-any-seq and timeout-rc-eio are killed at different bounds \(requests=2; requests=1\)/,
    );
  });

  it('--variant all checks the correct driver at the defaults and at each killBounds', async () => {
    const { code, stdout } = await run({ variant: ['all'] });
    expect(code).toBe(0);
    const rows = stdout.split('\n');
    expect(rows[0]).toMatch(/\sbounds$/);
    expect(rows.filter((r) => r.startsWith('(correct driver)'))).toEqual([
      expect.stringMatching(/ seqMod=4 requests=3 wire=2$/),
      expect.stringMatching(/ seqMod=4 requests=1 wire=2$/),
    ]);
    expect(stdout).toMatch(/^timeout-rc-eio\s+tour-1@\d+\s.* requests=1 /m);
    expect(stdout).toMatch(/^accept-any-seq\s.* requests=3 /m);
    expect(stdout).toMatch(/5 of 5 variants killed/);
  });
});

describe('vitest format', () => {
  it('is a runnable test file that passes for the correct driver and fails for a variant', async () => {
    const dir = path.join(PROJECT_ROOT, 'node_modules', '.cache', `mailbox-models-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    try {
      const file = path.join(dir, 'toy-tour.test.ts');
      writeFileSync(
        file,
        renderVitest(suites[0], {
          outFile: file,
          driverModule: 'test/fixtures/toy-driver.ts',
          driverExport: 'toyDriver',
        }),
      );
      writeFileSync(
        path.join(dir, 'vitest.config.mjs'),
        `export default { test: { include: ['*.test.ts'], exclude: [] } };\n`,
      );
      const vitest = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'vitest');
      const runIt = (variants: string) =>
        promisify(execFile)(
          vitest,
          ['run', '--root', dir, '--config', path.join(dir, 'vitest.config.mjs')],
          {
            cwd: dir,
            env: { ...process.env, NO_COLOR: '1', MAILBOX_MODELS_DRIVER_VARIANTS: variants },
          },
        );
      const passed = await runIt('');
      // eslint-disable-next-line no-control-regex -- colours, in case the terminal forces them
      expect(passed.stdout.replace(/\u001b\[\d+m/g, '')).toMatch(/Tests\s+2 passed/);
      await expect(runIt('timeout-rc-eio')).rejects.toMatchObject({
        stdout: expect.stringMatching(/failed/),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/* Every registered driver against its model at default bounds: the "done when". */
/*
 * What every registered driver owes, whoever wrote it: a model of its protocol, whose tour
 * covers every reachable transition, and conformance to that tour. The kills (every driver
 * variant, by which suite, check kind and field) are each driver's own test file's
 * (test/<protocol>-driver.test.ts asserts that its table names every variant): generating
 * all five suites here too, at every protocol's default bounds, cost a second copy of those
 * files' work and, for mcdi's 1.5 M-step edge cover with its two-way records, more memory
 * than a test worker has.
 */
describe('registered drivers', async () => {
  const { drivers } = await import('../drivers/registry.ts');
  const { models } = await import('../machines/registry.ts');
  for (const driver of drivers) {
    const model = models.find((m) => m.name === driver.protocol);
    describe(`${driver.protocol} (${driver.file})`, () => {
      let tour: TestSuite | undefined;
      const tourOf = () => (tour ??= generateSuites(model!, ['tour'], {})[0]!.suite);

      it('has a model and the tour covers every reachable transition', () => {
        expect(model, `no model named ${driver.protocol}`).toBeDefined();
        expect(tourOf().summary.coveredTransitions).toBe(tourOf().summary.reachableTransitions);
      });

      it('the correct driver conforms to the tour, outputs and two-way checks alike', () => {
        const result = runSuite(driver, tourOf());
        expect(result.divergence ? formatDivergence(result.divergence) : null).toBeNull();
      });

      it('has a test file of its own that names every variant', () => {
        expect(driver.variants.length).toBeGreaterThan(0);
        const own = readFileSync(
          path.join(PROJECT_ROOT, 'test', `${driver.protocol}-driver.test.ts`),
          'utf8',
        );
        for (const variant of driver.variants) expect(own, variant.name).toContain(variant.name);
      });
    });
  }
});
