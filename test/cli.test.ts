import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { main, type CliIo } from '../src/cli/cli.ts';
import { toyModel } from './fixtures/toy-mailbox.ts';

async function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    stderrIsTty: false,
  };
  const code = await main(args, [toyModel], io);
  return { code, stdout, stderr };
}

describe('mailbox-models CLI (in process, toy model)', () => {
  it('check exits 0 when every property holds and prints a JSON document with --json', async () => {
    const { code, stdout } = await run(['check', 'toy', '--json']);
    expect(code).toBe(0);
    const document = JSON.parse(stdout);
    const [result] = document.results;
    expect(Object.keys(result)).toEqual(
      expect.arrayContaining([
        'protocol',
        'bounds',
        'variants',
        'complete',
        'states',
        'transitions',
        'depth',
        'seconds',
        'properties',
      ]),
    );
    expect(result).toMatchObject({ protocol: 'toy', complete: true, variants: [] });
    for (const property of result.properties) {
      expect(property).toMatchObject({ holds: true, trace: null });
      expect(typeof property.name).toBe('string');
    }
  });

  it('check exits 1 on a variant and prints the numbered counterexample', async () => {
    const { code, stdout } = await run(['check', 'toy', '--variant', 'accept-any-seq']);
    expect(code).toBe(1);
    expect(stdout).toMatch(/FAIL reply-matches-request/);
    expect(stdout).toMatch(/counterexample, 4 steps/);
    expect(stdout).toMatch(/ {3}4\. reply\(seq=1, id=0\)/);
  });

  it('check of several protocols ends with a one-line-per-protocol summary', async () => {
    let stdout = '';
    const io: CliIo = { stdout: (t) => void (stdout += t), stderr: () => {}, stderrIsTty: false };
    const twin = { ...toyModel, name: 'toy-twin' };
    expect(await main(['check'], [toyModel, twin], io)).toBe(0);
    const summary = stdout.slice(stdout.indexOf('summary'));
    expect(summary).toMatch(/^toy +25 +66 +6 +\d+\.\d\d +all 5 hold$/m);
    expect(summary).toMatch(/^toy-twin +25 +66 /m);
  });

  it('check --workers gives the same verdicts and counterexample, and says who expanded', async () => {
    const one = await run(['check', 'toy', '--variant', 'accept-any-seq', '--json']);
    const two = await run([
      'check',
      'toy',
      '--variant',
      'accept-any-seq',
      '--json',
      '--workers',
      '2',
    ]);
    expect(two.code).toBe(1);
    const [a] = JSON.parse(one.stdout).results;
    const [b] = JSON.parse(two.stdout).results;
    expect(b.parallel.workers).toBe(2);
    expect(a.parallel).toBeUndefined();
    expect([b.states, b.transitions, b.properties]).toEqual([
      a.states,
      a.transitions,
      a.properties,
    ]);
    const text = await run(['check', 'toy', '--workers', '2']);
    expect(text.stdout).toMatch(/2 worker threads expanded \d+ of the states/);
    expect((await run(['check', 'toy', '--workers', '0'])).stderr).toMatch(
      /--workers must be at least 1/,
    );
  });

  it('check exits 3 when the state budget runs out first', async () => {
    expect((await run(['check', 'toy', '--max-states', '5'])).code).toBe(3);
  });

  it.each([
    [['check', 'nope'], /unknown protocol 'nope'; protocols: toy/],
    [['check', 'toy', '--bound', 'seqMod=-1'], /bound seqMod=-1 is out of range/],
    [
      ['check', 'toy', '--bound', 'nope=1'],
      /unknown bound 'nope' for toy; valid bounds: seqMod, requests, wire/,
    ],
    [['check', 'toy', '--bound', 'seqMod'], /--bound takes name=integer/],
    [
      ['check', 'toy', '--variant', 'nope'],
      /unknown variant 'nope' for toy; valid variants: accept-any-seq, no-timeout/,
    ],
    [['check', '--frobnicate'], /Unknown option '--frobnicate'/],
    [['explode'], /unknown command 'explode'/],
    [['fuzz'], /name a protocol/],
    [['sweep', 'toy'], /sweep needs at least one --bound/],
  ])('%j is a usage error: one line, exit 2', async (args, message) => {
    const { code, stdout, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a wrong output path is a usage error and leaves no file behind', async () => {
    const missing = await run([
      'generate',
      'toy',
      '--suite',
      'tour',
      '--out',
      '/nonexistent/dir/x.json',
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe(
      'mailbox-models: cannot write /nonexistent/dir/x.json: no such directory /nonexistent/dir',
    );
    const notDirectory = await run([
      'generate',
      'toy',
      '--suite',
      'tour',
      '--out',
      '/dev/null/x.json',
    ]);
    expect(notDirectory.code).toBe(2);
    expect(notDirectory.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('list --json describes bounds and variants', async () => {
    const { code, stdout } = await run(['list', '--json']);
    expect(code).toBe(0);
    const [protocol] = JSON.parse(stdout).protocols;
    expect(protocol.name).toBe('toy');
    expect(protocol.bounds[0]).toEqual({
      name: 'seqMod',
      default: 4,
      deep: 6,
      min: 1,
      max: 16,
      description: 'sequence numbers wrap here',
    });
    expect(protocol.variants.map((v: { name: string }) => v.name)).toEqual([
      'accept-any-seq',
      'no-timeout',
    ]);
    expect(Object.keys(protocol.variants[0])).toEqual([
      'name',
      'description',
      'source',
      'breaks',
      'finding',
    ]);
  });

  it('check --deep starts from the deep bounds, and --bound still overrides them', async () => {
    const deep = JSON.parse((await run(['check', 'toy', '--deep', '--json'])).stdout);
    expect(deep.results[0].bounds.seqMod).toBe(6);
    const both = JSON.parse(
      (await run(['check', 'toy', '--deep', '--bound', 'seqMod=5', '--json'])).stdout,
    );
    expect(both.results[0].bounds.seqMod).toBe(5);
    const plain = JSON.parse((await run(['check', 'toy', '--json'])).stdout);
    expect(plain.results[0].bounds.seqMod).toBe(4);
  });

  it('sweep prints a table and exits 1 where a combination fails', async () => {
    const { code, stdout } = await run(['sweep', 'toy', '--bound', 'seqMod=2..3']);
    expect(code).toBe(1);
    expect(stdout).toMatch(/smallest failing combination: seqMod=2/);
  });

  it('fuzz exits 1 with a replayable failure on a variant', async () => {
    const { code, stdout } = await run([
      'fuzz',
      'toy',
      '--variant',
      'accept-any-seq',
      '--seed',
      '3',
      '--runs',
      '300',
    ]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/replay with --seed 3 --path \S+/);
  });
});

describe('the installed bin', () => {
  const exec = promisify(execFile);
  it('prints one line and exits 2 for an unknown protocol', async () => {
    const error = await exec('node', ['bin/mailbox-models.js', 'check', 'no-such-protocol']).catch(
      (e) => e,
    );
    expect(error.code).toBe(2);
    expect(error.stderr.trim().split('\n')).toHaveLength(1);
    expect(error.stderr).toMatch(/^mailbox-models: unknown protocol 'no-such-protocol'/);
  });
});
