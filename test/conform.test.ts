import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../src/cli.ts';
import { makeTestgenCommands } from '../src/commands-testgen.ts';
import { formatDivergence, runSuite, runVector } from '../src/conform.ts';
import { generateSuite } from '../src/generate.ts';
import { GENERATORS } from '../src/vectors.ts';
import { PROJECT_ROOT, renderVitest } from '../src/vitest-render.ts';
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
    expect(result.divergence).toMatchObject({ step: 1, error: 'Error: boom' });
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

async function conform(args: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    stderrIsTty: false,
  };
  const [, ...positionals] = args.filter((a) => !a.startsWith('--'));
  const variant = args.includes('--variant') ? [args[args.indexOf('--variant') + 1]] : undefined;
  const code = await makeTestgenCommands([toyDriver]).conform({
    models: [toyModel],
    io,
    values: variant ? { variant } : {},
    positionals: [args[0], ...positionals.filter((p) => p !== variant?.[0])],
  });
  return { code, stdout, stderr };
}

describe('conform command', () => {
  it('exits 0 when the driver conforms to all three generated suites', async () => {
    const { code, stdout } = await conform(['toy']);
    expect(code).toBe(0);
    expect(stdout.match(/conforms/g)).toHaveLength(3);
  });

  it('exits 1 with the first divergence for a bug variant', async () => {
    const { code, stdout } = await conform(['toy', '--variant', 'timeout-rc-eio']);
    expect(code).toBe(1);
    expect(stdout).toMatch(/tour: DIVERGES at vector tour-1, step 2/);
    expect(stdout).toMatch(/driver emits: {2}complete\(id=0, rc=-5\)/);
  });
});

describe('conform --variant all', () => {
  it('prints which suite kills each variant first, and exits 0 when all are killed', async () => {
    const { code, stdout } = await conform(['toy', '--variant', 'all']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\(correct driver\)\s+-\s+-\s+-$/m);
    expect(stdout).toMatch(/^timeout-rc-eio\s+tour-1@2\s/m);
    expect(stdout).toMatch(/3 of 3 variants killed/);
  });

  it('exits 1 when a variant survives every suite', async () => {
    const harmless = {
      ...toyDriver,
      variants: [...toyDriver.variants, { name: 'harmless', description: '', source: 'test' }],
    };
    let stdout = '';
    const code = await makeTestgenCommands([harmless]).conform({
      models: [toyModel],
      io: { stdout: (t) => void (stdout += t), stderr: () => {}, stderrIsTty: false },
      values: { variant: ['all'] },
      positionals: ['toy'],
    });
    expect(code).toBe(1);
    expect(stdout).toMatch(/survivors: harmless/);
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
describe('registered drivers', async () => {
  const { drivers } = await import('../drivers/registry.ts');
  const { models } = await import('../machines/registry.ts');
  for (const driver of drivers) {
    const model = models.find((m) => m.name === driver.protocol);
    describe(`${driver.protocol} (${driver.file})`, () => {
      const generated = () =>
        GENERATORS.map((generator) => generateSuite(model!, { generator }).suite);
      let cache: ReturnType<typeof generated> | undefined;
      const suitesOf = () => (cache ??= generated());

      it('has a model and the tour covers every reachable transition', () => {
        expect(model, `no model named ${driver.protocol}`).toBeDefined();
        const tour = suitesOf()[0];
        expect(tour.summary.coveredTransitions).toBe(tour.summary.reachableTransitions);
      });

      it('the correct driver conforms to the tour, state cover and random suites', () => {
        for (const suite of suitesOf()) {
          const result = runSuite(driver, suite);
          expect(
            result.divergence ? formatDivergence(result.divergence) : null,
            suite.generator.name,
          ).toBeNull();
        }
      });

      for (const variant of driver.variants) {
        it(`variant ${variant.name} is killed by a generated suite`, () => {
          const suites = variant.killBounds
            ? GENERATORS.map(
                (generator) =>
                  generateSuite(model!, { generator, bounds: variant.killBounds }).suite,
              )
            : suitesOf();
          const killed = suites.some((suite) => !runSuite(driver, suite, [variant.name]).conforms);
          expect(killed).toBe(true);
          // Under other bounds, the correct driver must still conform.
          if (variant.killBounds) {
            for (const suite of suites) expect(runSuite(driver, suite).conforms).toBe(true);
          }
        });
      }
    });
  }
});
