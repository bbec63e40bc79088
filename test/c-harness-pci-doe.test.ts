/**
 * The seed's own doe.c (sources/pci-doe-review.txt) under the C harness, at the model's grain
 * (docs/pci-doe.md, "Steps"): it conforms to every generated suite with the default model's
 * fixes as patches (outputs and enabled sets); each fix left out (a finding as written) is
 * killed by the cheapest suite that kills it; each finding's counterexample replays on the
 * as-written C (ending in AddressSanitizer's report where it is a memory error) and departs
 * where its fix acts on the fixed C; the harness stops where the model's steps end. The suites
 * are generated once per bounds (generateSuitesWithin, conform's step budget) and the model's enabled sets computed once
 * per suite.
 * Needs a C compiler with AddressSanitizer (gcc; .ci/run installs it).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { models, pciDoeModel } from '../machines/registry.ts';
import {
  buildCHarness,
  cDriver,
  cVariants,
  loadManifest,
  patchesFor,
  runCSuite,
} from '../harness/c-harness.ts';
import { resolveConfig } from '../src/model/config.ts';
import { ModelSystem } from '../src/model/system.ts';
import { runSuite } from '../src/testgen/conform.ts';
import { modelEnabledSets } from '../src/testgen/enabled-sets.ts';
import { generateSuitesWithin } from '../src/testgen/generate.ts';
import {
  canonicalJson,
  GENERATORS,
  parseSuite,
  serializeSuite,
  type TestSuite,
} from '../src/testgen/vectors.ts';
import { runCli } from './helpers/run-cli.ts';

const run = (args: string[]) => runCli(args, models);

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

/** `conform` replays suites of at most this many steps (src/cli/commands-testgen.ts): the
 * state and edge covers grow with the graph; larger ones are not built here either. */
const MAX_SUITE_STEPS = 500_000;

/** The generated suites at some bounds, by generator: generated once per bounds; all five at
 * the defaults (those within MAX_SUITE_STEPS), the three small ones elsewhere (the kills there
 * need no more). */
const suitesAt = new Map<string, Map<string, TestSuite>>();
function suites(bounds: Record<string, number> = {}): Map<string, TestSuite> {
  const key = canonicalJson(bounds);
  if (!suitesAt.has(key)) {
    const generators = key === '{}' ? GENERATORS : (['tour', 'random', 'pairs'] as const);
    const generated = generateSuitesWithin(pciDoeModel, generators, { bounds }, MAX_SUITE_STEPS);
    suitesAt.set(
      key,
      new Map(generated.flatMap((g) => ('suite' in g ? [[g.suite.generator.name, g.suite]] : []))),
    );
  }
  return suitesAt.get(key)!;
}

/** The C held to the model's outputs and enabled sets, as `conform --impl c` holds it (the
 * driver computes the model's enabled sets once per suite and vector). */
const theC = cDriver('pci-doe', {
  modelEnabled: (suite) =>
    modelEnabledSets(
      pciDoeModel,
      resolveConfig(pciDoeModel, { bounds: suite.bounds, variants: suite.variants }),
      suite,
    ),
});

/** The signal and the two largest Lengths (both read whole by the C), and a signal. */
const DEVICE_BOUNDS = { lengths: 5, signals: 1 };

beforeAll(() => {
  writeFileSync(file('tour.json'), serializeSuite(suites().get('tour')!));
});

describe('pci-doe: the seed C with the default model fixes', () => {
  it(
    'conforms to every generated suite, outputs and enabled sets alike',
    { timeout: 900_000 },
    () => {
      /* the small three always; the covers when `conform` would replay them */
      for (const name of ['tour', 'random', 'pairs']) expect(suites().has(name), name).toBe(true);
      for (const name of GENERATORS.filter((g) => suites().has(g))) {
        const result = runSuite(theC, suites().get(name)!);
        expect(result.divergence, name).toBeUndefined();
        expect(result.conforms, name).toBe(true);
      }
    },
  );

  it('conforms with signals and the 2^18-DW and 0x3FFFF-DW replies, read whole', () => {
    for (const name of ['tour', 'random', 'pairs']) {
      const suite = suites(DEVICE_BOUNDS).get(name)!;
      const events = suite.vectors.flatMap((v) => v.steps.map((s) => canonicalJson(s.event)));
      /* the suites hold what this is about: a signal, both large Lengths, a last flush */
      if (name === 'pairs') {
        expect(events).toContain(canonicalJson({ type: 'signal', caller: 1 }));
        expect(events).toContain(canonicalJson({ type: 'work_recv_flush', last: true }));
      }
      expect(runSuite(theC, suite).divergence, name).toBeUndefined();
    }
    const all = ['tour', 'random', 'pairs'].flatMap((name) =>
      suites(DEVICE_BOUNDS)
        .get(name)!
        .vectors.flatMap((v) => v.steps.map((s) => canonicalJson(s.event))),
    );
    for (const length of ['zero', 'max']) {
      expect(all).toContain(canonicalJson({ type: 'device_respond', length }));
    }
  });
});

/**
 * Each C variant (a fix left out; the review's handler put in) and the cheapest suite that
 * kills it, at the bounds the variant declares (harness.json killBounds): docs/pci-doe-c.md
 * has the whole matrix (`conform pci-doe --impl c --variant all`).
 */
const KILLED_BY: Record<string, string> = {
  'as-written': 'tour',
  'wait-abort-no-reschedule': 'random',
  'probe-error-no-cancel': 'tour',
  'remove-cancel-before-free-irq': 'tour',
  'busy-retries-counted': 'tour',
  'max-length-rejected': 'tour',
  'ignore-wait-return': 'tour',
  'review-irq-handler': 'tour',
};

describe('pci-doe: every C variant is killed', () => {
  const variants = cVariants(loadManifest('pci-doe'));

  it('the table names every variant of the C harness', () => {
    expect(Object.keys(KILLED_BY).sort()).toEqual(variants.map((v) => v.name).sort());
  });

  for (const variant of variants) {
    const suiteName = KILLED_BY[variant.name];
    it(`${variant.name}: killed by the ${suiteName} suite`, { timeout: 600_000 }, () => {
      const suite = suites({ ...variant.killBounds }).get(suiteName)!;
      /* a kill means something only where the fixed C conforms */
      expect(runSuite(theC, suite).divergence).toBeUndefined();
      const killed = runSuite(theC, suite, [variant.name]);
      expect(killed.conforms).toBe(false);
    });
  }
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

interface CheckDocument {
  results: Array<{
    bounds: Record<string, number>;
    variants: string[];
    properties: Array<{
      name: string;
      holds: boolean;
      trace?: { steps: Array<{ event: { type: string } & Record<string, unknown> }> };
    }>;
  }>;
}

/**
 * The counterexample of `variant` for `property` (a `check --json` file), its events replayed
 * on the model as `variants` with `more` appended, as a trace file whose steps carry that
 * model's own outputs (the model must take each appended event).
 */
function extended(
  cxFile: string,
  property: string,
  variants: string[],
  more: Array<{ type: string } & Record<string, unknown>>,
  keep?: number,
) {
  const document = JSON.parse(readFileSync(cxFile, 'utf8')) as CheckDocument;
  const result = document.results.find((r) =>
    r.properties.some((p) => p.name === property && !p.holds),
  )!;
  const kept = result.properties.find((p) => p.name === property)!.trace!.steps.slice(0, keep);
  const system = new ModelSystem(
    pciDoeModel,
    resolveConfig(pciDoeModel, { bounds: result.bounds, variants }),
  );
  let node = system.initial().node;
  const steps = [...kept.map((step) => step.event), ...more].map((event) => {
    const next = system
      .successors(node)
      .find((s) => canonicalJson(s.event) === canonicalJson(event));
    if (!next) throw new Error(`the model refuses ${canonicalJson(event)}`);
    node = next.node;
    return { event, outputs: next.result.outputs };
  });
  const out = file(`${property}-${variants.join('+') || 'fixed'}-extended.json`);
  writeFileSync(
    out,
    JSON.stringify({
      results: [
        {
          protocol: 'pci-doe',
          bounds: result.bounds,
          variants,
          properties: [{ name: property, trace: { initial: { outputs: [] }, steps } }],
        },
      ],
    }),
  );
  return { file: out, steps, bounds: result.bounds };
}

describe('pci-doe: Length 0 and signals on the seed C as written', { timeout: 600_000 }, () => {
  it('finding 6: Length 0 (2^18 DW) ends in -EIO as written; the fix reads the whole object', async () => {
    const cx = await counterexample('max-length-rejected');
    const asWritten = await trace('max-length-rejected', cx);
    expect(asWritten.stdout).toMatch(/trace: conforms \(1 vectors, \d+ steps\)/);
    expect(asWritten.code).toBe(0);
    /* the fixed C reads on where the as-written one rejects the Length */
    const fixed = await traceFixed(cx);
    expect(fixed.code).toBe(1);
    expect(fixed.stdout).toMatch(/>> {2}\d+\. work_recv_length/);
    expect(fixed.stdout).toMatch(
      /the model can also \{"type":"work_err_abort"\}; the C can also \{"type":"work_recv_payload"\}/,
    );
    /* ... and reads all 2^18 dwords: the device sees the last one read (response_read) at
     * the model's last flush step, and the task gets its one stored dword */
    const document = JSON.parse(readFileSync(cx, 'utf8')) as CheckDocument;
    const upToLength = document.results[0].properties
      .find((p) => p.name === 'response-not-lost')!
      .trace!.steps.findIndex((step) => step.event.type === 'work_recv_length');
    expect(upToLength).toBeGreaterThan(0);
    const whole = extended(
      cx,
      'response-not-lost',
      [],
      [
        { type: 'work_recv_length' },
        { type: 'work_recv_payload' },
        { type: 'work_recv_flush', last: false },
        { type: 'work_recv_flush', last: true },
        { type: 'work_recv_status' },
        { type: 'work_done_wake' },
        { type: 'work_callback' },
      ],
      upToLength,
    );
    const lastFlush = whole.steps.findIndex((s) => canonicalJson(s.event).includes('"last":true'));
    expect(whole.steps[lastFlush].outputs).toEqual([{ type: 'response_read', task: 0 }]);
    expect(whole.steps.at(-1)!.outputs).toEqual([{ type: 'callback', task: 0, rc: 4 }]);
    const followed = await traceFixed(whole.file);
    expect(followed.stdout).toContain(`trace: conforms (1 vectors, ${whole.steps.length} steps)`);
  });

  it('finding 7: a signalled caller spins as written; the fix returns -ERESTARTSYS', async () => {
    const cx = await counterexample('ignore-wait-return');
    /* the counterexample, then twice round again: (the lock section finds the mailbox
     * taken) and the wait (returns at once): the C as written never sleeps */
    const spin = extended(
      cx,
      'no-spin-on-signal',
      ['ignore-wait-return'],
      [
        { type: 'wake_recheck', caller: 1 },
        { type: 'wait_check', caller: 1 },
        { type: 'wake_recheck', caller: 1 },
        { type: 'wait_check', caller: 1 },
      ],
    );
    const asWritten = await trace('ignore-wait-return', spin.file);
    expect(asWritten.stdout).toContain(`trace: conforms (1 vectors, ${spin.steps.length} steps)`);
    expect(asWritten.code).toBe(0);
    /* the fixed C returns -ERESTARTSYS at the wait the signal interrupts */
    const fixed = await traceFixed(cx);
    expect(fixed.code).toBe(1);
    expect(fixed.stdout).toMatch(/>> {2}\d+\. wait_check\(caller=1\)/);
    const steps = spin.steps.slice(0, -4);
    const binary = buildCHarness('pci-doe', patchesFor(loadManifest('pci-doe'), new Set()));
    const { replies } = runCSuite(binary, 'pci-doe', {
      bounds: spin.bounds,
      vectors: [{ id: 'signal', steps: steps.map((s) => ({ ...s, state: '', transitions: [] })) }],
    });
    expect(replies[0].at(-1)!.outputs).toEqual([{ type: 'exchange_return', caller: 1, rc: -512 }]);
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
          /* a refusal step (two-way suites) runs nothing: it crosses no yield point */
          step.event.type === type && !step.refused ? [replies[v][i + 1].crossed ?? []] : [],
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
