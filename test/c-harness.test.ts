/**
 * The C harness's own machinery, protocol-agnostic: applying the fix patches, cutting the
 * sanitizer's report out of stderr, choosing patches for variants, and the step-by-step
 * differential on a fixture driver.
 */
import { describe, expect, it } from 'vitest';
import { applyUnifiedDiff } from '../harness/unified-diff.ts';
import {
  cHarnessProtocols,
  CHarnessError,
  loadManifest,
  patchesFor,
  sanitizerReport,
} from '../harness/c-harness.ts';
import { NotEnabledError, type DriverDefinition } from '../src/testgen/conform.ts';
import { runDifferential } from '../src/testgen/differential.ts';
import { enabledSetDifference, modelEnabledSets } from '../src/testgen/enabled-sets.ts';
import { canonicalJson, type TestSuite } from '../src/testgen/vectors.ts';
import { pciDoeModel } from '../machines/registry.ts';
import { resolveConfig } from '../src/model/config.ts';

const FILE = [
  'int f(void)',
  '{',
  '\treturn 1;',
  '}',
  '',
  'int g(void)',
  '{',
  '\treturn 2;',
  '}',
].join('\n');

const PATCH_G = `Description before the diff is ignored.

--- a/x.c
+++ b/x.c
@@ -6,4 +6,5 @@
 int g(void)
 {
+\t/* fixed */
 \treturn 2;
 }
`;

describe('applyUnifiedDiff', () => {
  it('applies a hunk where its context is', () => {
    expect(applyUnifiedDiff(FILE, PATCH_G).split('\n')).toEqual([
      'int f(void)',
      '{',
      '\treturn 1;',
      '}',
      '',
      'int g(void)',
      '{',
      '\t/* fixed */',
      '\treturn 2;',
      '}',
    ]);
  });

  it('finds the context where an earlier patch moved it (patches are made against the seed)', () => {
    const moved = ['/* one */', '/* two */', FILE].join('\n');
    const patched = applyUnifiedDiff(moved, PATCH_G).split('\n');
    expect(patched[9]).toBe('\t/* fixed */');
    expect(patched[10]).toBe('\treturn 2;');
  });

  it('refuses a hunk whose context is nowhere (a fix must not land elsewhere)', () => {
    expect(() => applyUnifiedDiff(FILE.replace('return 2', 'return 3'), PATCH_G)).toThrow(
      /context is not in the file/,
    );
    expect(() => applyUnifiedDiff(FILE, 'no diff here')).toThrow(/not a unified diff/);
  });

  it('removes lines and takes a bare empty context line as the empty line', () => {
    const patch = ['--- a/x.c', '+++ b/x.c', '@@ -3,3 +3,2 @@', '-\treturn 1;', ' }', ''].join(
      '\n',
    );
    expect(applyUnifiedDiff(FILE, patch).split('\n').slice(0, 4)).toEqual([
      'int f(void)',
      '{',
      '}',
      '',
    ]);
  });
});

describe('sanitizerReport', () => {
  it('keeps the error, the stacks and the summary, not the ucontext notice or the shadow dump', () => {
    const stderr = [
      "==1==WARNING: ASan doesn't fully support makecontext/swapcontext functions and may produce false positives in some cases!",
      '==1==ERROR: AddressSanitizer: heap-use-after-free on address 0x6100',
      'READ of size 8 at 0x6100 thread T0',
      '    #0 0x1 in kshim_scan harness/c/kernel/kshim.c:589',
      'freed by thread T0 here:',
      '    #2 0x2 in pci_doe_probe harness/c/pci-doe/doe.c:640',
      'SUMMARY: AddressSanitizer: heap-use-after-free harness/c/kernel/kshim.c:589 in kshim_scan',
      'Shadow bytes around the buggy address:',
      '  0x0c207fff8000: fa fa',
      'SUMMARY: AddressSanitizer: heap-use-after-free harness/c/kernel/kshim.c:589 in kshim_scan',
    ].join('\n');
    const report = sanitizerReport(stderr);
    expect(report.split('\n')[0]).toMatch(/^==1==ERROR: AddressSanitizer: heap-use-after-free/);
    expect(report).toContain('pci_doe_probe harness/c/pci-doe/doe.c:640');
    expect(report).not.toContain('makecontext');
    expect(report).not.toContain('Shadow bytes');
    expect(report.split('\n').at(-1)).toMatch(/^SUMMARY: AddressSanitizer/);
  });
});

describe('variants of a C harness', () => {
  const manifest = loadManifest('pci-doe');
  const fixes = manifest.fixes.map((fix) => fix.patch);

  it('builds every fix by default, none for as-written, all but one for a finding', () => {
    expect(patchesFor(manifest, new Set())).toEqual(fixes);
    expect(patchesFor(manifest, new Set(['as-written']))).toEqual([]);
    const [first, ...rest] = manifest.fixes;
    expect(patchesFor(manifest, new Set([first.variant]))).toEqual(rest.map((f) => f.patch));
    const extra = manifest.extras[0];
    expect(patchesFor(manifest, new Set([extra.variant]))).toEqual([...fixes, extra.patch]);
  });

  it('as-written leaves out the fixes of the seed file only: a fix of the code around it stays', () => {
    const scmi = loadManifest('scmi-virtio');
    const around = scmi.fixes.filter((fix) => (fix.file ?? scmi.seed) !== scmi.seed);
    expect(around.map((fix) => fix.file)).toEqual(['driver.c']);
    expect(patchesFor(scmi, new Set(['as-written']))).toEqual(around.map((fix) => fix.patch));
    // ... unless its own variant is asked for too
    expect(patchesFor(scmi, new Set(['as-written', around[0].variant]))).toEqual([]);
  });

  it('names the variants there are when asked for one that is not', () => {
    expect(() => patchesFor(manifest, new Set(['nope']))).toThrow(CHarnessError);
    expect(() => patchesFor(manifest, new Set(['nope']))).toThrow(/variants: as-written, /);
  });

  it('lists the protocols that have one', () => {
    expect(cHarnessProtocols()).toContain('pci-doe');
    expect(() => loadManifest('mcdi-nope')).toThrow(/no C harness for 'mcdi-nope'/);
  });
});

describe('enabledSetDifference', () => {
  it('says what each side can do that the other cannot, and nothing when they agree', () => {
    const model = ['{"type":"a"}', '{"type":"b"}'];
    expect(enabledSetDifference(model, [{ type: 'b' }, { type: 'a' }])).toBeNull();
    expect(enabledSetDifference(model, [{ type: 'a' }, { type: 'c' }], 'the C')).toBe(
      'after this step the model can also {"type":"b"}; the C can also {"type":"c"}',
    );
  });
});

describe('modelEnabledSets', () => {
  it('keeps the sets aligned across a refusal step: the model stays where it was', () => {
    const config = resolveConfig(pciDoeModel, {});
    const step = (event: { type: string } & Record<string, unknown>, refused = false) => ({
      event,
      outputs: [],
      state: '',
      transitions: [],
      ...(refused ? { refused: true as const } : {}),
    });
    const probe = step({ type: 'probe', mode: 'irq', busyClearIrq: true });
    const plain = [probe, step({ type: 'work_start' })];
    const withRefusal = [probe, step({ type: 'probe_resume' }, true), step({ type: 'work_start' })];
    const [sets, refusing] = modelEnabledSets(pciDoeModel, config, {
      vectors: [
        { id: 'plain', steps: plain },
        { id: 'refusal', steps: withRefusal },
      ],
    });
    expect(refusing).toHaveLength(withRefusal.length + 1);
    expect(refusing[2]).toEqual(refusing[1]); // nothing moved at the refused step
    expect(refusing[3]).toEqual(sets[2]); // and the vector goes on from there
    expect(refusing[1]).not.toContain(canonicalJson({ type: 'probe_resume' }));
  });
});

describe('runDifferential', () => {
  /** A counter that refuses `dec` at 0; `crash` fails; the variant `off-by-one` adds 2. */
  const counter = (name: string): DriverDefinition => ({
    protocol: 'toy',
    file: name,
    variants: [{ name: 'off-by-one', description: '', source: '' }],
    create(variants) {
      let n = 0;
      return {
        reset: () => ((n = 0), []),
        apply(event) {
          if (event.type === 'crash') throw new Error('boom');
          if (event.type === 'dec' && n === 0) throw new NotEnabledError('at zero');
          n += event.type === 'inc' ? (variants.has('off-by-one') && name === 'right' ? 2 : 1) : -1;
          return [{ type: 'value', n }];
        },
      };
    },
  });
  const suite = (events: string[]): TestSuite => ({
    format: 'mailbox-models-test-vectors',
    version: 1,
    protocol: 'toy',
    bounds: {},
    variants: [],
    generator: { name: 'tour' },
    summary: {
      vectors: 1,
      steps: 0,
      reachableStates: 0,
      reachableTransitions: 0,
      coveredTransitions: 0,
    },
    initialOutputs: [],
    vectors: [
      {
        id: 'v',
        steps: events.map((type) => ({ event: { type }, outputs: [], state: '', transitions: [] })),
      },
    ],
  });

  it('agrees when both emit the same, refuse together and fail together', () => {
    const result = runDifferential(
      counter('left'),
      counter('right'),
      suite(['dec', 'inc', 'crash', 'inc']),
    );
    expect(result.disagreement).toBeUndefined();
    expect(result.agreed).toEqual({ outputs: 1, refused: 1, fault: 1 });
  });

  it('reports the first step where they differ, with both answers', () => {
    const result = runDifferential(counter('left'), counter('right'), suite(['inc', 'inc']), [
      'off-by-one',
    ]);
    expect(result.disagreement).toMatchObject({
      vector: 'v',
      step: 1,
      left: { kind: 'outputs', outputs: [{ type: 'value', n: 1 }] },
      right: { kind: 'outputs', outputs: [{ type: 'value', n: 2 }] },
    });
  });
});
