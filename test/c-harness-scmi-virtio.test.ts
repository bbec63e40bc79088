/**
 * The seed's own virtio.c (sources/scmi-virtio-atomic.txt: v8 of the atomic series, a diff on
 * v5.16) under the C harness, with the reconstructed SCMI core (driver.c, msg.c) and the
 * shim's virtqueues: the file holds every hunk of the seed's diff; it conforms to the
 * generated suites with the default model's fixes as patches (outputs and enabled sets); for
 * each finding (as-written, teardown-as-written, core-async-done-unlocked) the C as written
 * follows the model's counterexample or stops at its step with the sanitizer's report, the
 * memory errors end in AddressSanitizer's report once the execution reaches the memory, and
 * the fixed C departs; the TS driver and the C agree. The suites here are the small ones
 * (tour, random, pairs); docs/scmi-virtio-c.md has the runs on all five and every variant.
 * Needs a C compiler with AddressSanitizer (gcc; .ci/run installs it).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main, type CliIo } from '../src/cli/cli.ts';
import { models, scmiVirtioModel } from '../machines/registry.ts';
import { resolveConfig } from '../src/model/config.ts';
import { ModelSystem } from '../src/model/system.ts';
import { canonicalJson, serializeSuite } from '../src/testgen/vectors.ts';
import { generateSuites } from '../src/testgen/generate.ts';

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

/** A model event as a trace file holds it: its type and its payload. */
type TraceEvent = { type: string } & Record<string, unknown>;

const dir = mkdtempSync(join(tmpdir(), 'c-harness-scmi-virtio-'));
const suiteFile = (name: string) => join(dir, `${name}.json`);

/** The seed's diff of virtio.c: its hunks, each as the lines it leaves (context and added). */
function seedHunks(): string[][] {
  const lines = readFileSync('sources/scmi-virtio-atomic.txt', 'utf8').split('\n');
  const start = lines.findIndex((line) =>
    line.startsWith('diff --git a/drivers/firmware/arm_scmi/virtio.c'),
  );
  const hunks: string[][] = [];
  for (const line of lines.slice(start)) {
    if (line === '-- ') break;
    if (line.startsWith('@@')) hunks.push([]);
    else if (hunks.length > 0 && (line.startsWith(' ') || line.startsWith('+')))
      hunks[hunks.length - 1].push(line.slice(1));
  }
  return hunks;
}

/** Where each hunk's lines are in `text`, unbroken and in order; -1 for one that is not. */
function hunkPositions(text: string, hunks: string[][]): number[] {
  const lines = text.split('\n');
  let from = 0;
  return hunks.map((hunk) => {
    for (let at = from; at + hunk.length <= lines.length; at++) {
      if (hunk.every((line, i) => lines[at + i] === line)) {
        from = at + hunk.length;
        return at;
      }
    }
    return -1;
  });
}

beforeAll(() => {
  // The three small suites from one exploration of the model.
  for (const { suite } of generateSuites(scmiVirtioModel, ['tour', 'random', 'pairs'], {})) {
    writeFileSync(suiteFile(suite.generator.name), serializeSuite(suite));
  }
});

describe('scmi-virtio: the seed extracted', () => {
  it('virtio.c holds each of the 19 hunks of the seed diff, in order and unbroken', () => {
    const hunks = seedHunks();
    expect(hunks).toHaveLength(19);
    const virtio = readFileSync('harness/c/scmi-virtio/virtio.c', 'utf8');
    expect(hunkPositions(virtio, hunks)).not.toContain(-1);
    // ... and the check sees a changed line: the v5.16 copyright the diff replaces is not there
    expect(
      hunkPositions(virtio.replace('2020-2022 OpenSynergy', '2020-2021 OpenSynergy'), hunks)[0],
    ).toBe(-1);
  });
});

describe('scmi-virtio: the seed C with the default model fixes', () => {
  it('conforms to the tour, random and pairs suites, outputs and enabled sets alike', async () => {
    for (const suite of ['tour', 'random', 'pairs']) {
      const { code, stdout } = await run([
        'conform',
        'scmi-virtio',
        '--impl',
        'c',
        '--suite',
        suiteFile(suite),
      ]);
      expect(stdout).toMatch(new RegExp(`scmi-virtio ${suite}: conforms \\(\\d+ vectors`));
      expect(code).toBe(0);
    }
  });
});

interface CheckDocument {
  results: Array<{
    bounds: Record<string, number>;
    variants: string[];
    properties: Array<{
      name: string;
      holds: boolean;
      trace?: { steps: Array<{ event: TraceEvent; outputs: unknown[] }> };
    }>;
  }>;
}

/** `check scmi-virtio --variant V --json`: the model's counterexamples, run once per variant. */
const checked = new Map<string, Promise<{ file: string; document: CheckDocument }>>();
function counterexamples(variant: string) {
  if (!checked.has(variant)) {
    checked.set(
      variant,
      run(['check', 'scmi-virtio', '--variant', variant, '--json']).then(({ stdout }) => {
        const file = suiteFile(`cx-${variant}`);
        writeFileSync(file, stdout);
        return { file, document: JSON.parse(stdout) as CheckDocument };
      }),
    );
  }
  return checked.get(variant)!;
}

/**
 * A counterexample of `variant` for `property`, its last `drop` steps left out and `more`
 * events appended, as a trace file; the appended steps carry the model's own outputs (the
 * model must take each of them), so the C is held to the model all the way.
 */
async function extended(
  variant: string,
  property: string,
  drop: number,
  more: TraceEvent[],
  bounds: Record<string, number> = {},
  /** The model the steps are replayed on (default: the variant's own). */
  modelVariants: string[] = [variant],
) {
  const { document } = await counterexamples(variant);
  const result = document.results.find((r) =>
    r.properties.some((p) => p.name === property && !p.holds),
  )!;
  const kept = result.properties
    .find((p) => p.name === property)!
    .trace!.steps.slice(0, -drop || undefined);
  const system = new ModelSystem(
    scmiVirtioModel,
    resolveConfig(scmiVirtioModel, {
      bounds: { ...result.bounds, ...bounds },
      variants: modelVariants,
    }),
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
  const file = suiteFile(`${variant}-${property}-extended`);
  writeFileSync(
    file,
    JSON.stringify({
      results: [
        {
          protocol: 'scmi-virtio',
          bounds: { ...result.bounds, ...bounds },
          variants: modelVariants,
          properties: [{ name: property, trace: { initial: { outputs: [] }, steps } }],
        },
      ],
    }),
  );
  return { file, steps: steps.length };
}

const conformC = (variant: string | null, trace: string) =>
  run([
    'conform',
    'scmi-virtio',
    '--impl',
    'c',
    ...(variant ? ['--variant', variant] : []),
    '--trace',
    trace,
  ]);

/* Each model check below explores tens of thousands of states (15 s on an idle core): on a
 * loaded machine the default 120 s per test is too little; nothing here is timed. */
describe('scmi-virtio: the seed C as written', { timeout: 600_000 }, () => {
  it('follows every counterexample of the model as written, step by step', async () => {
    const { file, document } = await counterexamples('as-written');
    const failing = document.results[0].properties.filter((p) => !p.holds && p.trace);
    expect(failing.length).toBeGreaterThan(0);
    const steps = failing.reduce((n, p) => n + p.trace!.steps.length, 0);
    const { code, stdout } = await conformC('as-written', file);
    expect(stdout).toContain(`trace: conforms (${failing.length} vectors, ${steps} steps)`);
    expect(code).toBe(0);
  });

  it('with the fixes, departs from the counterexamples', async () => {
    const { file } = await counterexamples('as-written');
    const { code, stdout } = await conformC(null, file);
    expect(code).toBe(1);
    expect(stdout).toMatch(/DIVERGES at vector /);
  });

  /*
   * The double free (finding 1) and the free while the device holds the buffer (finding 2)
   * corrupt the free list silently (a kernel without CONFIG_DEBUG_LIST); the buffer goes out
   * again while the device owns it, which the shim's DMA ownership turns into ASan's report.
   */
  it.each<[string, string, TraceEvent[]]>([
    [
      'one-list-at-a-time',
      'finding 1',
      [{ type: 'send', cpu: 0, polled: true }, { type: 'irq_step' }],
    ],
    ['free-only-when-returned', 'finding 2', [{ type: 'irq_step' }]],
  ])(
    '%s (%s) ends in AddressSanitizer: a request written into a buffer the device owns',
    async (property, _finding, more) => {
      const { file, steps } = await extended(
        'as-written',
        property,
        0,
        [...more, { type: 'send', cpu: 1, polled: true }],
        { transfers: 3 },
      );
      const { code, stdout } = await conformC('as-written', file);
      expect(code).toBe(1);
      expect(stdout).toContain(`DIVERGES at vector ${property}, step ${steps}:`);
      expect(stdout).toMatch(/ERROR: AddressSanitizer: use-after-poison/);
      expect(stdout).toMatch(
        /WRITE of size 4 .*\n\s+#0 0x\w+ in msg_tx_prepare harness\/c\/scmi-virtio\/msg\.c/,
      );
      expect(stdout).toMatch(/#1 0x\w+ in virtio_send_message harness\/c\/scmi-virtio\/virtio\.c/);
    },
  );

  it('teardown-as-written: queue_work() reaches the draining workqueue as the model says; the fix queues under the lock', async () => {
    const { file, document } = await counterexamples('teardown-as-written');
    const cx = document.results
      .flatMap((r) => r.properties)
      .find((p) => p.name === 'workqueue-used-while-alive')!;
    const steps = cx.trace!.steps;
    expect(steps.at(-1)!.outputs).toContainEqual({ type: 'queue_work', wq: 'draining' });
    const asWritten = await conformC('teardown-as-written', file);
    expect(asWritten.stdout).toContain(`trace: conforms (1 vectors, ${steps.length} steps)`);
    expect(asWritten.code).toBe(0);
    // The fix has no stop between the unlock and queue_work(): the work is queued a step early.
    const fixed = await conformC(null, file);
    expect(fixed.code).toBe(1);
    expect(fixed.stdout).toMatch(
      /DIVERGES at vector workqueue-used-while-alive, step \d+:[^]*the C can also \{"type":"work_step"\}/,
    );
  });

  it('teardown-as-written, once destroy_workqueue() has freed it: AddressSanitizer heap-use-after-free in queue_work()', async () => {
    // The counterexample up to chan_free, then the teardown runs on to its end first.
    const { file, steps } = await extended('teardown-as-written', 'workqueue-used-while-alive', 1, [
      { type: 'free_step' },
      { type: 'free_step' },
      { type: 'step', cpu: 0 },
    ]);
    const { code, stdout } = await conformC('teardown-as-written', file);
    expect(code).toBe(1);
    expect(stdout).toContain(`DIVERGES at vector workqueue-used-while-alive, step ${steps}:`);
    expect(stdout).toMatch(/ERROR: AddressSanitizer: heap-use-after-free/);
    expect(stdout).toMatch(
      /#0 0x\w+ in kshim_queue_work .*\n\s+#1 0x\w+ in virtio_poll_done build\/virtio\.c/,
    );
    expect(stdout).toMatch(
      /freed by thread T0 here:[^]*in kshim_destroy_workqueue[^]*in virtio_chan_free build\/virtio\.c/,
    );
  });

  it('core-async-done-unlocked: the v5.17 core completes a NULL async_done, UBSan stops it at the model\u2019s step; the fix does not complete', async () => {
    const { file, document } = await counterexamples('core-async-done-unlocked');
    const cx = document.results
      .flatMap((r) => r.properties)
      .find((p) => p.name === 'complete-live-async-done')!;
    const steps = cx.trace!.steps;
    expect(steps.at(-1)!.outputs).toContainEqual({ type: 'async_complete', xfer: 0, live: false });
    const asWritten = await conformC('core-async-done-unlocked', file);
    expect(asWritten.code).toBe(1);
    expect(asWritten.stdout).toContain(
      `DIVERGES at vector complete-live-async-done, step ${steps.length}:`,
    );
    expect(asWritten.stdout).toMatch(
      /runtime error: member access within null pointer of type 'struct completion'\n\s+#0 0x\w+ in kshim_complete [^\n]*\n\s+#1 0x\w+ in scmi_handle_response harness\/c\/scmi-virtio\/driver\.c/,
    );
    const fixed = await conformC(null, file);
    expect(fixed.code).toBe(1);
    expect(fixed.stdout).toContain(
      `DIVERGES at vector complete-live-async-done, step ${steps.length}:`,
    );
    expect(fixed.stdout).toMatch(/driver emits: {2}fetched\(xfer=0, reply=0, via="dresp"\)\n/);
  });
});

describe('scmi-virtio: v7-missing-list-del on the C', { timeout: 600_000 }, () => {
  /* Its message stays on pending_cmds_list while scmi_vio_feed_vq_tx() links it into
   * free_list; nothing shows that until the deferred worker runs again, which needs a third
   * transfer (the default bounds have two, both spent reaching the leftover: no suite at
   * transfers=2 can kill it). The counterexample, then on the default model at transfers=3:
   * the finished transfers return, a third is polled while another's reply is queued, the
   * poll queues the work, the worker walks pending_cmds_list. */
  const more: TraceEvent[] = [
    { type: 'step', cpu: 0 },
    { type: 'step', cpu: 1 },
    { type: 'step', cpu: 1 },
    { type: 'send', cpu: 1, polled: false },
    { type: 'device_reply', msg: 0, status: 0 },
    { type: 'step', cpu: 0 },
    { type: 'step', cpu: 0 },
    { type: 'work_step' },
    { type: 'work_step' },
    { type: 'work_step' },
    { type: 'work_step' },
  ];

  it('a second worker run walks the corrupted list into memory that is no message; the fixed C follows the model', async () => {
    const { file, steps } = await extended(
      'v7-missing-list-del',
      'one-list-at-a-time',
      0,
      more,
      { transfers: 3 },
      [],
    );
    const fixed = await conformC(null, file);
    expect(fixed.stdout).toContain(`trace: conforms (1 vectors, ${steps} steps)`);
    expect(fixed.code).toBe(0);
    const asWritten = await conformC('v7-missing-list-del', file);
    expect(asWritten.code).toBe(1);
    /* the worker's second run (after the poll's queue_work) dies in the list walk */
    expect(asWritten.stdout).toMatch(/>> {2}\d+\. work_step/);
    expect(asWritten.stdout).toContain('the C harness died here:');
    expect(asWritten.stdout).toMatch(/in scmi_vio_deferred_tx_worker build\/virtio\.c/);
  });
});

describe('scmi-virtio: the TS driver and the C', () => {
  it('agree step by step on the tour and the pairs, fixed', async () => {
    for (const suite of ['tour', 'pairs']) {
      const { code, stdout } = await run([
        'conform',
        'scmi-virtio',
        '--differential',
        '--suite',
        suiteFile(suite),
      ]);
      expect(stdout).toMatch(/drivers\/scmi-virtio\.ts and the C agree on every step/);
      expect(code).toBe(0);
    }
  });
});
