/**
 * `--shard i/n` and `merge` (src/cli/shard.ts, src/cli/commands-merge.ts): the shards of a
 * sweep and of a kill matrix, merged, print what the unsharded run prints, and every way of
 * merging shards of different runs is refused with one line and exit 2.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main, type CliIo } from '../src/cli/cli.ts';
import { makeTestgenCommands } from '../src/cli/commands-testgen.ts';
import type { OptionValues } from '../src/cli/options.ts';
import { parseShard, shardPositions } from '../src/cli/shard.ts';
import type { DriverDefinition } from '../src/testgen/conform.ts';
import type { ModelDefinition } from '../src/model/model.ts';
import { toyDriver } from './fixtures/toy-driver.ts';
import { toyModel } from './fixtures/toy-mailbox.ts';

const scratch = mkdtempSync(join(tmpdir(), 'shard-merge-'));
const file = (name: string) => join(scratch, name);

function capture(): { io: CliIo; out: () => { stdout: string; stderr: string } } {
  let stdout = '';
  let stderr = '';
  return {
    io: {
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t),
      stderrIsTty: false,
    },
    out: () => ({ stdout, stderr }),
  };
}

async function cli(args: string[], models: ModelDefinition[] = [toyModel]) {
  const { io, out } = capture();
  const code = await main(args, models, io);
  return { code, ...out() };
}

/** A toy driver whose `timeout-rc-eio` is killed at requests=1: the matrix gets two correct rows. */
const driver: DriverDefinition = {
  ...toyDriver,
  variants: toyDriver.variants.map((v) =>
    v.name === 'timeout-rc-eio' ? { ...v, killBounds: { requests: 1 } } : v,
  ),
};

async function conform(values: OptionValues) {
  const { io, out } = capture();
  const code = await makeTestgenCommands([driver]).conform({
    models: [toyModel],
    io,
    values,
    positionals: ['toy'],
  });
  return { code, ...out() };
}

/** The sweep table's seconds column (and JSON seconds) differ from run to run. */
const withoutSeconds = (text: string) =>
  text.replace(/"seconds": [\d.e-]+/g, '"seconds": 0').replace(/ \d+\.\d\d {2}/g, ' s.ss  ');

const SWEEP = ['sweep', 'toy', '--bound', 'seqMod=1..4', '--bound', 'requests=2..3'];

describe('--shard i/n', () => {
  it('takes 1-based i/n and refuses anything else with one line', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    expect(parseShard('1/1')).toEqual({ index: 1, count: 1 });
    for (const bad of ['0/3', '4/3', '1/0', '2', 'a/b', '-1/3', '1/3/5']) {
      expect(() => parseShard(bad), bad).toThrow(/--shard/);
    }
  });

  it('deals units round-robin: disjoint, covering, sizes within one of each other', () => {
    for (const [units, count] of [
      [8, 3],
      [2, 5],
      [9, 3],
      [1, 1],
    ]) {
      const shares = Array.from({ length: count }, (_, i) =>
        shardPositions({ index: i + 1, count }, units),
      );
      expect(shares.flat().sort((a, b) => a - b)).toEqual([...Array(units).keys()]);
      const sizes = shares.map((share) => share.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
    expect(shardPositions({ index: 2, count: 3 }, 8)).toEqual([1, 4, 7]);
  });

  it('a bad --shard, or --shard where there is nothing to split, is exit 2', async () => {
    const bad = await cli([...SWEEP, '--shard', '4/3']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^mailbox-models: --shard 4\/3: i must be between 1 and 3\n$/);
    // In process the command throws the UsageError that main prints as one line, exit 2.
    await expect(conform({ shard: '1/2', out: file('x.json') })).rejects.toThrow(
      /^conform takes --shard only with --variant all/,
    );
    expect(existsSync(file('x.json'))).toBe(false);
    await expect(cli(['check', 'toy', '--shard', '1/2'])).resolves.toMatchObject({ code: 2 });
  });

  it('an --out path that cannot be written is exit 2 and leaves no file', async () => {
    const target = join(scratch, 'no-such-dir', 'shard.json');
    const result = await cli([...SWEEP, '--shard', '1/2', '--out', target]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cannot write .*no such directory/);
    expect(existsSync(target)).toBe(false);
  });
});

describe('sweep --shard and merge', () => {
  it('the merge of shards 1/3, 2/3, 3/3 prints the unsharded table and JSON, with its exit code', async () => {
    const whole = await cli(SWEEP);
    const wholeJson = await cli([...SWEEP, '--json']);
    // The toy fails at seqMod ≤ 2: the table has a failing combination and a smallest one.
    expect(whole.code).toBe(1);
    expect(whole.stdout).toMatch(/smallest failing combination: seqMod=1/);
    const shards = [1, 2, 3].map((i) => file(`sweep-${i}.json`));
    for (const [i, out] of shards.entries()) {
      const shard = await cli([...SWEEP, '--shard', `${i + 1}/3`, '--out', out]);
      expect(shard.stdout).toMatch(new RegExp(`shard ${i + 1}/3: [23] of 8 combinations`));
    }
    // Each shard holds its own rows only: 8 combinations dealt 3, 3, 2.
    const rows = shards.map((f) => JSON.parse(readFileSync(f, 'utf8')).result.rows.length);
    expect(rows).toEqual([3, 3, 2]);
    // Given in any order.
    const merged = await cli(['merge', shards[2], shards[0], shards[1]]);
    expect(merged.code).toBe(whole.code);
    expect(withoutSeconds(merged.stdout)).toBe(withoutSeconds(whole.stdout));
    const mergedJson = await cli(['merge', '--json', ...shards]);
    expect(withoutSeconds(mergedJson.stdout)).toBe(withoutSeconds(wholeJson.stdout));
  });

  it('the smallest failure is the whole sweep’s even when it lies in a later shard', async () => {
    // seqMod=1 and 2 both fail; with 2 shards they are in different shards, and the merge must
    // pick the one with the fewest states over all shards, as the unsharded sweep does.
    const args = ['sweep', 'toy', '--bound', 'seqMod=1..3'];
    const whole = JSON.parse((await cli([...args, '--json'])).stdout);
    const shards = [1, 2].map((i) => file(`small-${i}.json`));
    for (const [i, out] of shards.entries())
      await cli([...args, '--shard', `${i + 1}/2`, '--out', out]);
    const merged = JSON.parse((await cli(['merge', '--json', ...shards])).stdout);
    expect(merged.smallestFailure.bounds).toEqual(whole.smallestFailure.bounds);
    expect(merged.smallestFailure.states).toBe(whole.smallestFailure.states);
  });
});

describe('conform --variant all --shard and merge', () => {
  it('the merge of shards 1/3, 2/3, 3/3 prints the unsharded kill matrix, with its exit code', async () => {
    const whole = await conform({ variant: ['all'] });
    const wholeJson = await conform({ variant: ['all'], json: true });
    expect(whole.code).toBe(0);
    // The correct driver at the defaults and at requests=1, then the five variants: 7 rows.
    expect(JSON.parse(wholeJson.stdout).matrix).toHaveLength(7);
    const shards = [1, 2, 3].map((i) => file(`conform-${i}.json`));
    for (const [i, out] of shards.entries()) {
      const shard = await conform({ variant: ['all'], shard: `${i + 1}/3`, out });
      expect(shard.stdout).toMatch(new RegExp(`shard ${i + 1}/3: [23] of 7 rows`));
    }
    const merged = await cli(['merge', ...shards]);
    expect(merged.code).toBe(whole.code);
    expect(merged.stdout).toBe(whole.stdout);
    const mergedJson = await cli(['merge', '--json', ...shards]);
    expect(mergedJson.stdout).toBe(wholeJson.stdout);
  });

  it('a survivor in one shard makes the merge exit 1 and name it', async () => {
    const harmless: DriverDefinition = {
      ...driver,
      variants: [...driver.variants, { name: 'harmless', description: '', source: 'test' }],
    };
    const shards = [1, 2].map((i) => file(`survivor-${i}.json`));
    for (const [i, out] of shards.entries()) {
      const { io } = capture();
      await makeTestgenCommands([harmless]).conform({
        models: [toyModel],
        io,
        values: { variant: ['all'], shard: `${i + 1}/2`, out },
        positionals: ['toy'],
      });
    }
    const merged = await cli(['merge', ...shards]);
    expect(merged.code).toBe(1);
    expect(merged.stdout).toMatch(/5 of 6 variants killed \(survivors: harmless\)/);
  });
});

describe('merge refuses shards that are not one run, with one line and exit 2', () => {
  /** Sweep shards `indices` of `count` with extra arguments, written to fresh files. */
  async function sweepShards(tag: string, count: number, indices: number[], extra: string[] = []) {
    const files: string[] = [];
    for (const i of indices) {
      const out = file(`${tag}-${i}-of-${count}.json`);
      await cli([...SWEEP, ...extra, '--shard', `${i}/${count}`, '--out', out]);
      files.push(out);
    }
    return files;
  }

  async function refused(files: string[], line: RegExp) {
    const result = await cli(['merge', ...files]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(line);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  }

  it('shards of different commands', async () => {
    const [sweepShard] = await sweepShards('cmd', 3, [1]);
    const conformShard = file('cmd-conform.json');
    await conform({ variant: ['all'], shard: '2/3', out: conformShard });
    await refused([sweepShard, conformShard], /come from different commands/);
  });

  it('shards of different protocols', async () => {
    const other = { ...toyModel, name: 'toy2' };
    const [one] = await sweepShards('proto', 2, [1]);
    const two = file('proto-other.json');
    await cli(['sweep', 'toy2', ...SWEEP.slice(2), '--shard', '2/2', '--out', two], [other]);
    await refused([one, two], /are of different protocols/);
  });

  it('shards of different configurations, naming the option', async () => {
    const [one] = await sweepShards('config-a', 2, [1]);
    const [two] = await sweepShards('config-b', 2, [2], ['--variant', 'accept-any-seq']);
    await refused(
      [one, two],
      /ran different configurations \(variants: \[\] vs \["accept-any-seq"\]\)/,
    );
  });

  it('shards split into different numbers', async () => {
    const [one] = await sweepShards('count-a', 2, [1]);
    const [two] = await sweepShards('count-b', 3, [2]);
    await refused([one, two], /split the run into different numbers of shards/);
  });

  it('a missing shard', async () => {
    const files = await sweepShards('missing', 3, [1, 3]);
    await refused(files, /^mailbox-models: shard 2\/3 of sweep toy is missing$/m);
  });

  it('a shard given twice', async () => {
    const files = await sweepShards('twice', 3, [1, 2, 3]);
    const copy = file('twice-copy.json');
    copyFileSync(files[1], copy);
    await refused([...files, copy], /shard 2\/3 is given twice/);
  });

  it('shards run on different sources', async () => {
    const files = await sweepShards('sources', 2, [1, 2]);
    const document = JSON.parse(readFileSync(files[1], 'utf8'));
    writeFileSync(files[1], JSON.stringify({ ...document, sources: '0'.repeat(64) }));
    await refused(files, /ran on different sources/);
  });

  it('a file that is not a shard document, or is damaged', async () => {
    const notShard = file('not-shard.json');
    writeFileSync(notShard, JSON.stringify({ results: [] }));
    await refused([notShard], /not-shard\.json: not a shard document/);
    const [one] = await sweepShards('damaged', 2, [1]);
    const document = JSON.parse(readFileSync(one, 'utf8'));
    writeFileSync(one, JSON.stringify({ ...document, positions: [1] }));
    await refused([one], /a damaged shard document/);
    await refused([file('absent.json')], /cannot read .*absent\.json: ENOENT/);
    await refused([], /merge needs the shard files/);
  });
});
