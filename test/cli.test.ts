import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { main, type CliIo } from '../src/cli/cli.ts';
import { suiteFromTraces } from '../src/cli/commands-testgen.ts';
import { sourceFingerprint } from '../src/cli/deep-proofs.ts';
import type { ModelDefinition } from '../src/model/model.ts';
import { toyModel } from './fixtures/toy-mailbox.ts';
import { runCli } from './helpers/run-cli.ts';

const run = (
  args: string[],
  models: ModelDefinition[] = [toyModel],
  extra: Pick<CliIo, 'progressMs' | 'proofs'> = {},
) => runCli(args, models, extra);

/** The toy model with `accept-any-seq` flagged as the seed's code as written. */
const toyWithFinding: ModelDefinition = {
  ...toyModel,
  variants: toyModel.variants.map((v) =>
    v.name === 'accept-any-seq' ? { ...v, finding: true } : v,
  ),
};

const scratch = mkdtempSync(join(tmpdir(), 'cli-test-'));

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

  it('check of several protocols ends with a summary per protocol', async () => {
    let stdout = '';
    const io: CliIo = { stdout: (t) => void (stdout += t), stderr: () => {}, stderrIsTty: false };
    const twin = { ...toyModel, name: 'toy-twin' };
    expect(await main(['check'], [toyModel, twin], io)).toBe(0);
    const summary = stdout.slice(stdout.indexOf('summary'));
    expect(summary).toMatch(
      /^toy {7}model: all 5 hold, proven at bounds seqMod=4 requests=3 wire=2; deep bounds seqMod=6 requests=3 wire=2 not run \(check --deep\)$/m,
    );
    expect(summary).toMatch(/^toy-twin {2}model: all 5 hold/m);
    expect(stdout).toMatch(/^ {4}25 states, 66 transitions, depth 6, /m);
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
    // More workers than cores only wait for each other: capped, and said so.
    const many = await run(['check', 'toy', '--workers', '1000', '--json']);
    const cores = availableParallelism();
    expect(many.stderr).toBe(
      `mailbox-models: --workers 1000: using ${cores}, the cores of this machine\n`,
    );
    const [capped] = JSON.parse(many.stdout).results;
    expect(capped.parallel?.workers ?? 1).toBe(cores);
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
    [
      ['check', '--frobnicate'],
      /unknown option '--frobnicate' for check; its options: --bound, --deep, --variant, --max-states, --workers, --json, --report, --strict, --symmetry, --check-symmetry, --help\n$/,
    ],
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
    const runOf = (json: { protocols: Array<{ model: { result: number } }>; results: unknown[] }) =>
      json.results[json.protocols[0].model.result] as { bounds: Record<string, number> };
    const deep = JSON.parse((await run(['check', 'toy', '--deep', '--json'])).stdout);
    expect(deep.results[deep.protocols[0].deep.result].bounds.seqMod).toBe(6);
    const both = JSON.parse(
      (await run(['check', 'toy', '--deep', '--bound', 'seqMod=5', '--json'])).stdout,
    );
    expect(runOf(both).bounds.seqMod).toBe(5);
    expect(both.protocols[0].deep.status).toBe('same');
    const plain = JSON.parse((await run(['check', 'toy', '--json'])).stdout);
    expect(runOf(plain).bounds.seqMod).toBe(4);
    // One configuration (--variant): --deep starts it from the deep bounds.
    const variant = JSON.parse(
      (await run(['check', 'toy', '--deep', '--variant', 'no-timeout', '--json'])).stdout,
    );
    expect(variant.results[0].bounds.seqMod).toBe(6);
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

describe('the main job: findings beside the fixed model', () => {
  it('check runs the default model and each finding, and says what each fails in how many steps', async () => {
    const { code, stdout } = await run(['check'], [toyWithFinding]);
    expect(code).toBe(0); // the fixed model holds and the finding still fails
    const json = JSON.parse((await run(['check', '--json'], [toyWithFinding])).stdout);
    const [protocol] = json.protocols;
    const [finding] = protocol.findings;
    expect(finding.variant).toBe('accept-any-seq');
    expect(json.results[finding.result].variants).toEqual(['accept-any-seq']);
    expect(json.results[protocol.model.result].variants).toEqual([]);
    // Each reported length is its counterexample's, and the one the variant check prints.
    const traces = json.results[finding.result].properties.filter(
      (p: { holds: boolean }) => p.holds === false,
    );
    expect(finding.fails.map((f: { property: string }) => f.property).sort()).toEqual(
      traces.map((p: { name: string }) => p.name).sort(),
    );
    for (const fail of finding.fails) {
      const trace = traces.find((p: { name: string }) => p.name === fail.property).trace;
      expect(fail.steps).toBe(trace.steps.length);
      expect(fail.declared).toBe(true);
    }
    const reply = finding.fails.find(
      (f: { property: string }) => f.property === 'reply-matches-request',
    );
    expect(reply.steps).toBe(4);
    expect(stdout).toMatch(/^ {2}seed as written: variant accept-any-seq \(test fixture\)$/m);
    expect(stdout).toMatch(/^ {4}FAIL reply-matches-request in 4 steps: /m);
    const lengths = finding.fails.map(
      (f: { property: string; steps: number }) => `${f.property} (${f.steps} steps)`,
    );
    expect(stdout).toContain(`toy  seed as written: fails ${lengths.join(', ')}\n`);
    expect(stdout).toMatch(
      /^ {5}default \(fixed\) model: all 5 hold, proven at bounds seqMod=4 requests=3 wire=2; deep bounds seqMod=6 requests=3 wire=2 not run \(check --deep\)$/m,
    );
    expect(protocol.deep).toEqual({
      bounds: { seqMod: 6, requests: 3, wire: 2 },
      status: 'not-run',
    });
  });

  it('check --deep also proves the default model at its deep bounds', async () => {
    const { code, stdout } = await run(['check', '--deep'], [toyWithFinding]);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /default \(fixed\) model: all 5 hold, proven at bounds seqMod=4 requests=3 wire=2 and deep bounds seqMod=6 requests=3 wire=2$/m,
    );
    const json = JSON.parse((await run(['check', '--deep', '--json'], [toyWithFinding])).stdout);
    const [protocol] = json.protocols;
    expect(protocol.deep.status).toBe('explored');
    expect(json.results[protocol.deep.result].bounds).toEqual({ seqMod: 6, requests: 3, wire: 2 });
    // Its page is the deep bounds' own, linked from the index.
    const dir = join(scratch, 'deep-report');
    await run(['check', '--deep', '--report', dir], [toyWithFinding]);
    const index = readFileSync(join(dir, 'index.html'), 'utf8');
    expect(index).toContain(
      '<a href="toy--seqMod-6.html">deep bounds seqMod=6 requests=3 wire=2</a>',
    );
    const page = readFileSync(join(dir, 'toy--seqMod-6.html'), 'utf8');
    expect(page).toContain('default (fixed) model at its deep bounds');
  });

  it('remembers a proof at the deep bounds for later runs on the same sources', async () => {
    const store = { file: join(scratch, 'proofs', 'deep-proofs.json'), fingerprint: 'a' };
    const proofs = () => store;
    expect((await run(['check', '--deep'], [toyWithFinding], { proofs })).code).toBe(0);
    const { stdout } = await run(['check'], [toyWithFinding], { proofs });
    const today = new Date().toISOString().slice(0, 10);
    expect(stdout).toMatch(
      new RegExp(
        `proven at bounds seqMod=4 requests=3 wire=2 and deep bounds seqMod=6 requests=3 wire=2 \\(by check --deep on ${today}: 25 states in \\d+\\.\\d s; the sources are unchanged since\\)$`,
        'm',
      ),
    );
    const json = JSON.parse((await run(['check', '--json'], [toyWithFinding], { proofs })).stdout);
    expect(json.protocols[0].deep).toMatchObject({ status: 'cached', holds: true, states: 25 });
    // Other sources: the proof is not theirs.
    store.fingerprint = 'b';
    expect((await run(['check'], [toyWithFinding], { proofs })).stdout).toMatch(
      /deep bounds seqMod=6 requests=3 wire=2 not run \(check --deep\)$/m,
    );
  });

  it('fingerprints the sources a proof depends on', () => {
    const root = mkdtempSync(join(tmpdir(), 'fingerprint-')) + '/';
    mkdirSync(join(root, 'machines'));
    writeFileSync(join(root, 'machines', 'a.ts'), 'one');
    const before = sourceFingerprint(root, ['machines', 'package-lock.json']);
    expect(sourceFingerprint(root, ['machines', 'package-lock.json'])).toBe(before);
    writeFileSync(join(root, 'machines', 'a.ts'), 'two');
    expect(sourceFingerprint(root, ['machines', 'package-lock.json'])).not.toBe(before);
  });

  it('a finding that no longer fails what it declares is lost: exit 1', async () => {
    const lost: ModelDefinition = {
      ...toyModel,
      variants: [
        // no-timeout does not break reply-matches-request.
        { ...toyModel.variants[1], breaks: ['reply-matches-request'], finding: true },
      ],
    };
    const { code, stdout } = await run(['check'], [lost]);
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /^ {4}LOST reply-matches-request: holds, though the variant declares that it breaks it$/m,
    );
    expect(stdout).toMatch(/LOST: reply-matches-request \(no-timeout\)/);
  });

  it('a default model that fails is a regression: exit 1 with its counterexample', async () => {
    const broken: ModelDefinition = {
      ...toyModel,
      build: (config) =>
        toyModel.build({ ...config, variants: new Set([...config.variants, 'accept-any-seq']) }),
    };
    const { code, stdout } = await run(['check'], [broken]);
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /model at seqMod=4 requests=3 wire=2: FAILS reply-matches-request \(4 steps\)/,
    );
    expect(stdout).toMatch(/^ {7} {3}4\. reply\(seq=1, id=0\)/m);
  });

  it('the report links each finding to its counterexample, drawn on the variant', async () => {
    const dir = join(scratch, 'report');
    const { code, stdout } = await run(['check', '--report', dir, '--json'], [toyWithFinding]);
    expect(code).toBe(0);
    const [finding] = JSON.parse(stdout).protocols[0].findings;
    const index = readFileSync(join(dir, 'index.html'), 'utf8');
    for (const fail of finding.fails) {
      const [file, hash] = fail.counterexample.slice(dir.length + 1).split('#');
      expect(file).toBe('toy--accept-any-seq.html');
      // The index links it (escaped as HTML), and the page holds that trace on the variant.
      expect(index).toContain(`href="${file}#${hash.replace(/&/g, '&amp;')}"`);
      const page = readFileSync(join(dir, file), 'utf8');
      const data = JSON.parse(/id="inspector-data">(.*?)<\/script>/s.exec(page)![1]);
      expect(data.config.variants).toEqual(['accept-any-seq']);
      const trace = data.traces.find((t: { name: string }) => t.name === fail.property);
      expect(trace.events).toHaveLength(fail.steps);
      expect(new URLSearchParams(hash).get('trace')).toBe(fail.property);
    }
    expect(existsSync(join(dir, 'toy.html'))).toBe(true);
  });
});

describe('inspect --trace: a trace is shown where it was recorded', () => {
  const other: ModelDefinition = { ...toyModel, name: 'other' };
  const both = [toyModel, other];
  const checkJson = async (protocol: string, variant: string) => {
    const file = join(scratch, `${protocol}-${variant}.json`);
    const { stdout } = await run(['check', protocol, '--variant', variant, '--json'], both);
    writeFileSync(file, stdout);
    return file;
  };

  it('a trace of another protocol is a usage error, never dropped', async () => {
    const file = await checkJson('other', 'accept-any-seq');
    const { code, stderr } = await run(
      ['inspect', 'toy', '--trace', file, '--out', join(scratch, 'x')],
      both,
    );
    expect(code).toBe(2);
    expect(stderr).toBe(
      `mailbox-models: ${file} holds traces of other, not of toy: name other, or leave the protocol out\n`,
    );
    // Without a protocol, the file says which.
    const out = join(scratch, 'other-report');
    expect((await run(['inspect', '--trace', file, '--out', out], both)).code).toBe(0);
    expect(existsSync(join(out, 'other--accept-any-seq.html'))).toBe(true);
    expect(existsSync(join(out, 'toy.html'))).toBe(false);
  });

  it('a recorded trace is shown under its own variants; other options for it are refused', async () => {
    const file = await checkJson('toy', 'accept-any-seq');
    const out = join(scratch, 'recorded');
    const { code, stdout } = await run(['inspect', 'toy', '--trace', file, '--out', out], both);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^toy--accept-any-seq\.html: rendered in /m);
    const page = readFileSync(join(out, 'toy--accept-any-seq.html'), 'utf8');
    const data = JSON.parse(/id="inspector-data">(.*?)<\/script>/s.exec(page)![1]);
    expect(data.config.variants).toEqual(['accept-any-seq']);
    const conflicting = await run(
      ['inspect', 'toy', '--trace', file, '--variant', 'no-timeout', '--out', out],
      both,
    );
    expect(conflicting.code).toBe(2);
    expect(conflicting.stderr).toMatch(
      /was recorded under seqMod=4 requests=3 wire=2 with variant accept-any-seq, and is shown there/,
    );
  });

  it('a fuzz result records its variants, and is shown on them', async () => {
    const file = join(scratch, 'fuzz.json');
    const fuzzed = await run([
      'fuzz',
      'toy',
      '--variant',
      'accept-any-seq',
      '--seed',
      '3',
      '--runs',
      '300',
      '--json',
    ]);
    expect(fuzzed.code).toBe(1);
    writeFileSync(file, fuzzed.stdout);
    expect(JSON.parse(fuzzed.stdout)).toMatchObject({
      variants: ['accept-any-seq'],
      bounds: { seqMod: 4, requests: 3, wire: 2 },
    });
    const out = join(scratch, 'fuzz-report');
    expect((await run(['inspect', '--trace', file, '--out', out])).code).toBe(0);
    const page = readFileSync(join(out, 'toy--accept-any-seq.html'), 'utf8');
    const data = JSON.parse(/id="inspector-data">(.*?)<\/script>/s.exec(page)![1]);
    const property = JSON.parse(fuzzed.stdout).property;
    expect(data.traces.some((t: { name: string }) => t.name.startsWith(property))).toBe(true);
  });

  it('conform --trace refuses the main job’s document of several configurations', async () => {
    const file = join(scratch, 'main-job.json');
    writeFileSync(file, (await run(['check', '--json'], [toyWithFinding])).stdout);
    expect(() => suiteFromTraces(toyWithFinding, file)).toThrow(
      /holds toy runs of 2 configurations \(the main job's\)/,
    );
  });

  it('events that do not fit the model are a usage error naming the step', async () => {
    const file = join(scratch, 'events.json');
    writeFileSync(file, JSON.stringify([{ type: 'send' }, { type: 'send' }]));
    const { code, stderr } = await run([
      'inspect',
      'toy',
      '--trace',
      file,
      '--out',
      join(scratch, 'y'),
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /trace 'run' does not fit toy at seqMod=4 requests=3 wire=2: event \{"type":"send"\} is not enabled after 1 steps/,
    );
  });
});

describe('CLI papercuts (each was seen on main at 77955f4)', () => {
  it('list shows every bound with its default, range and deep value, and marks findings', async () => {
    const { code, stdout } = await run(['list'], [toyWithFinding]);
    expect(code).toBe(0);
    expect(stdout).toContain('seqMod=4 (1..16, deep 6)');
    expect(stdout).toContain('requests=3 (0..8, deep 3)');
    expect(stdout).toMatch(/variants: accept-any-seq \(seed as written\), no-timeout$/m);
  });

  it('a negative number is a value, not an option', async () => {
    const { code, stdout } = await run(['fuzz', 'toy', '--seed', '-5', '--runs', '5']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/seed -5$/m);
    const negative = await run(['check', 'toy', '--max-states', '-1']);
    expect(negative.stderr).toBe('mailbox-models: --max-states must be at least 1, got -1\n');
  });

  it('an option the command does not read is a usage error, naming the ones it does', async () => {
    const runs = await run(['check', 'toy', '--runs', '5']);
    expect(runs.code).toBe(2);
    expect(runs.stderr).toBe(
      'mailbox-models: check does not take --runs; its options: --bound, --deep, --variant, --max-states, --workers, --json, --report, --strict, --symmetry, --check-symmetry\n',
    );
    const path = await run(['fuzz', 'toy', '--path', '1:2']);
    expect(path.code).toBe(2);
    expect(path.stderr).toMatch(/--path replays a failure only with the --seed printed beside it/);
    const tour = await run(['generate', 'toy', '--suite', 'tour', '--seed', '3']);
    expect(tour.code).toBe(2);
    expect(tour.stderr).toMatch(/--seed shapes only --suite random/);
  });

  it('a repeated bound or option is an error, not the last one silently', async () => {
    const bound = await run(['check', 'toy', '--bound', 'seqMod=2', '--bound', 'seqMod=3']);
    expect(bound.code).toBe(2);
    expect(bound.stderr).toBe(
      'mailbox-models: --bound seqMod is given twice (seqMod=2, seqMod=3)\n',
    );
    const seed = await run(['fuzz', 'toy', '--seed', '1', '--seed', '2']);
    expect(seed.code).toBe(2);
    expect(seed.stderr).toBe('mailbox-models: --seed is given 2 times; give it once\n');
  });

  it('a seed beyond 32 bits is refused, not wrapped to 0', async () => {
    const { code, stderr } = await run(['fuzz', 'toy', '--seed', '1099511627776']);
    expect(code).toBe(2);
    expect(stderr).toBe('mailbox-models: --seed must be at most 2147483647, got 1099511627776\n');
  });

  it('fuzz --path that is no replay path is a usage error, not an internal error', async () => {
    const { code, stderr } = await run(['fuzz', 'toy', '--seed', '1', '--path', 'zz:yy']);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/--path must be a replay path like 12:0:3/);
  });

  it('an output path that is a file, or under /proc, is a usage error (no hang)', async () => {
    const file = join(scratch, 'a-file');
    writeFileSync(file, 'x');
    const onFile = await run(['inspect', 'toy', '--out', file]);
    expect(onFile.code).toBe(2);
    expect(onFile.stderr).toBe(
      `mailbox-models: cannot write ${file}: it is a file, not a directory\n`,
    );
    expect(readFileSync(file, 'utf8')).toBe('x');
    for (const args of [
      ['inspect', 'toy', '--out', '/proc/mailbox-models-x'],
      ['check', 'toy', '--report', '/proc/mailbox-models-x'],
    ]) {
      const { code, stderr } = await run(args);
      expect(code).toBe(2);
      expect(stderr).toBe(
        'mailbox-models: cannot write /proc/mailbox-models-x: /proc does not take new files\n',
      );
    }
  });

  it('every output path wants its parent to exist: generate --out and inspect --out alike', async () => {
    const missing = join(scratch, 'no-such-dir');
    const generate = await run([
      'generate',
      'toy',
      '--suite',
      'tour',
      '--out',
      join(missing, 'x.json'),
    ]);
    const inspect = await run(['inspect', 'toy', '--out', join(missing, 'report')]);
    for (const result of [generate, inspect]) {
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`no such directory ${missing}\\n$`));
    }
    expect(existsSync(missing)).toBe(false);
  });

  it('fuzz takes --runs 1e3 and reports progress while it runs', async () => {
    const { code, stdout, stderr } = await run(
      ['fuzz', 'toy', '--runs', '1e3', '--seed', '7'],
      [toyModel],
      { progressMs: 0 },
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(/fuzz: 1000 walks of up to 200 steps, seed 7/);
    expect(stderr).toMatch(/^toy: [\d,]+ walks, [\d,]+ walks\/s$/m);
  });

  it('generate prints its summary without xstate/graph benchmark lines', async () => {
    const out = join(scratch, 'tour.json');
    const { code, stdout } = await run(['generate', 'toy', '--suite', 'tour', '--out', out]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^toy tour: \d+ vectors/);
    expect(stdout).not.toMatch(/xstate\/graph/);
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

  it('exits quietly when its reader goes away (list | head)', async () => {
    const child = spawn('node', ['bin/mailbox-models.js', 'list'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy(); // the reader is gone before the first write
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
