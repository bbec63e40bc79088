import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../src/model/config.ts';
import { runSuite } from '../src/testgen/conform.ts';
import { generateSuite } from '../src/testgen/generate.ts';
import { parseSuite, serializeSuite } from '../src/testgen/vectors.ts';
import { toyDriver } from './fixtures/toy-driver.ts';
import { toyModel } from './fixtures/toy-mailbox.ts';
import { runCli } from './helpers/run-cli.ts';

const run = (args: string[]) => runCli(args, [toyModel]);

const dir = mkdtempSync(path.join(tmpdir(), 'vectors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fileWith = (name: string, text: string) => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};

describe('test vectors', () => {
  it('round-trip: export, re-import, replay give the same verdicts', () => {
    for (const generator of ['tour', 'states', 'random'] as const) {
      const { suite } = generateSuite(toyModel, { generator });
      const text = serializeSuite(suite);
      const again = parseSuite(text);
      expect(serializeSuite(again)).toBe(text);
      for (const variants of [[], ...toyDriver.variants.map((v) => [v.name])]) {
        expect(runSuite(toyDriver, again, variants)).toEqual(runSuite(toyDriver, suite, variants));
      }
    }
  });

  const good = JSON.parse(serializeSuite(generateSuite(toyModel, { generator: 'tour' }).suite));
  const bad: Array<[string, unknown, RegExp]> = [
    ['not JSON', '{"format":', /not JSON/],
    ['not a vector file', { hello: 1 }, /format: must be "mailbox-models-test-vectors"/],
    ['wrong version', { ...good, version: 9 }, /version: unsupported version 9/],
    [
      'a step without an event type',
      withStep({ event: { seq: 1 }, outputs: [] }),
      /vectors\[0\]\.steps\[0\]\.event/,
    ],
    [
      'outputs not an array',
      withStep({ event: { type: 'send' }, outputs: 3 }),
      /vectors\[0\]\.steps\[0\]\.outputs: must be an array/,
    ],
    [
      'a bound that is not an integer',
      { ...good, bounds: { seqMod: 'x' } },
      /bounds\.seqMod: must be an integer/,
    ],
  ];
  function withStep(step: unknown) {
    return { ...good, vectors: [{ id: 'v', steps: [step] }] };
  }
  for (const [what, document, message] of bad) {
    it(`rejects ${what} with one UsageError line`, () => {
      const text = typeof document === 'string' ? document : JSON.stringify(document);
      expect(() => parseSuite(text, 'f.json')).toThrow(UsageError);
      expect(() => parseSuite(text, 'f.json')).toThrow(message);
    });
  }

  it('the CLI exits 2 with one line for a bad file, a missing file and a suite that does not fit', async () => {
    const files = [
      fileWith('bad.json', '[1, 2'),
      path.join(dir, 'missing.json'),
      // Valid format, but the event is not enabled in the model: send twice in a row.
      fileWith(
        'misfit.json',
        JSON.stringify({
          ...good,
          vectors: [
            {
              id: 'x',
              steps: [
                { event: { type: 'send' }, outputs: [] },
                { event: { type: 'send' }, outputs: [] },
              ],
            },
          ],
        }),
      ),
      // Expected outputs that the model does not emit.
      fileWith(
        'wrong-outputs.json',
        JSON.stringify({
          ...good,
          vectors: [
            {
              id: 'x',
              steps: [{ event: { type: 'send' }, outputs: [{ type: 'complete', id: 0, rc: 0 }] }],
            },
          ],
        }),
      ),
    ];
    for (const file of files) {
      const { code, stderr } = await run(['coverage', 'toy', '--suite', file]);
      expect(code).toBe(2);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(/^mailbox-models: /);
    }
  });

  it('generate writes JSON; coverage reads it back with numbers and lists', async () => {
    const out = path.join(dir, 'tour.json');
    const generated = await run(['generate', 'toy', '--suite', 'tour', '--out', out]);
    expect(generated.code).toBe(0);
    expect(generated.stdout).toMatch(/transitions covered 6\/6 reachable/);
    expect(generated.stdout).not.toMatch(/xstate\/graph/); // a benchmark line; npm run bench measures it
    const coverage = await run(['coverage', 'toy', '--suite', out]);
    expect(coverage.code).toBe(0);
    expect(coverage.stdout).toMatch(/transitions taken: 6 of 6 reachable/);
    expect(coverage.stdout).toMatch(/reachable, never taken: \(none\)/);
    const json = await run(['coverage', 'toy', '--suite', out, '--json']);
    expect(JSON.parse(json.stdout).reachableNeverTaken).toEqual([]);
  });

  it('generate to stdout is the same bytes for the same seed, and rejects a bad --suite', async () => {
    const a = await run(['generate', 'toy', '--suite', 'random', '--seed', '42']);
    const b = await run(['generate', 'toy', '--suite', 'random', '--seed', '42']);
    expect(a.stdout).toBe(b.stdout);
    expect(JSON.parse(a.stdout).generator).toEqual({
      name: 'random',
      seed: 42,
      walks: 20,
      maxSteps: 100,
    });
    const bad = await run(['generate', 'toy', '--suite', 'everything']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--suite must be one of tour, states, random/);
  });
});
