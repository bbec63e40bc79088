/**
 * The MCDI driver (drivers/mcdi.ts) against suites generated from the mcdi model, two ways
 * (docs/test-vectors.md): outputs, refusal steps, the enabled set and the observed fields. The
 * correct driver conforms to all five suites; every driver bug variant is killed, by the suite
 * and kind of divergence docs/mcdi.md lists; the one that only a two-way check can see is shown
 * to pass the same suites outputs-only; and the findings are killed for the reason they are
 * findings.
 */
import { describe, expect, it } from 'vitest';
import {
  formatDivergence,
  runSuite,
  type Divergence,
  type DivergenceKind,
} from '../src/testgen/conform.ts';
import { generateSuite } from '../src/testgen/generate.ts';
import {
  GENERATORS,
  outputsOnly,
  type GeneratorName,
  type TestSuite,
} from '../src/testgen/vectors.ts';
import { mcdiDriver } from '../drivers/mcdi.ts';
import { mcdiModel } from '../machines/registry.ts';

/**
 * One sync and one async request: 2,031 states, where all five suites are small (the largest,
 * edges, 28,427 steps); at the defaults (50,917 states) the state and edge covers are beyond
 * what conform replays (over its 500,000-step budget).
 */
const SMALL = { requests: 1, asyncCalls: 1 };

const cache = new Map<string, TestSuite>();
/** A suite of `generator` at `bounds`, generated once. */
function suite(generator: GeneratorName, bounds: Record<string, number> = {}): TestSuite {
  const key = `${generator} ${JSON.stringify(bounds)}`;
  if (!cache.has(key)) cache.set(key, generateSuite(mcdiModel, { generator, bounds }).suite);
  return cache.get(key)!;
}

const describeResult = (result: ReturnType<typeof runSuite>) =>
  result.divergence ? formatDivergence(result.divergence) : 'conforms';

describe('mcdi driver: the correct driver conforms, two ways', () => {
  it('to all five suites at requests=1 asyncCalls=1, refusals, enabled sets and observed fields checked', () => {
    let refusals = 0;
    for (const generator of GENERATORS) {
      const result = runSuite(mcdiDriver, suite(generator, SMALL));
      expect(result.conforms, describeResult(result)).toBe(true);
      expect(result.checked, generator).toMatchObject({ enabled: true, observed: true });
      refusals += result.checked.refusals;
    }
    // Refusal steps: the state cover (shortest paths) has none, the edge cover has them.
    expect(refusals).toBeGreaterThan(0);
  });

  it('to the tour, the random walks and the transition pairs at the default bounds', () => {
    for (const generator of ['tour', 'random', 'pairs'] as const) {
      const result = runSuite(mcdiDriver, suite(generator));
      expect(result.conforms, describeResult(result)).toBe(true);
    }
  });

  it('with an MC that reboots, answers long, or an MCDI v2 NIC', () => {
    const others: Record<string, number>[] = [
      { reset: 1, late: 0, error: 0 },
      { lengths: 3, late: 0 },
      { mcdiVersion: 2 },
    ];
    for (const bounds of others) {
      for (const generator of ['tour', 'random'] as const) {
        const result = runSuite(mcdiDriver, suite(generator, bounds));
        expect(result.conforms, `${generator} ${JSON.stringify(bounds)}`).toBe(true);
      }
    }
  });
});

/**
 * Where each driver variant is killed: the suite (at requests=1 asyncCalls=1 and its
 * killBounds, or at the defaults where one request of each kind cannot show the bug) and the
 * kind of the first divergence, with the field for `observed`. docs/mcdi.md lists the same.
 */
const KILLS: Record<
  string,
  { by: GeneratorName; kind: DivergenceKind; field?: string; atDefaults?: true }
> = {
  'timeout-no-seqno': { by: 'tour', kind: 'observed', field: 'seqno' },
  'complete-async-no-cmpxchg': { by: 'tour', kind: 'observed', field: 'state' },
  'flush-no-wait': { by: 'tour', kind: 'observed', field: 'awaiting' },
  'rpc-async-queue-before-mode-check': { by: 'tour', kind: 'observed', field: 'asyncList' },
  // Two queued async requests: list_add puts the second before the first.
  'rpc-async-list-add-head': { by: 'tour', kind: 'observed', field: 'asyncList', atDefaults: true },
  'flush-skips-running': { by: 'tour', kind: 'observed', field: 'asyncList' },
  'ev-death-completes-async': { by: 'tour', kind: 'observed', field: 'resetPending' },
  'as-written-release': { by: 'tour', kind: 'observed', field: 'state' },
  'as-written-send-window': { by: 'tour', kind: 'observed', field: 'awaiting' },
  'as-written-check-then-cmpxchg': { by: 'tour', kind: 'observed', field: 'state' },
  'as-written-completer-length': { by: 'states', kind: 'outputs' },
  // Two sync requests: the caller the flush should wake sleeps on.
  'as-written-flush-no-wake': {
    by: 'pairs',
    kind: 'observed',
    field: 'procAsleep',
    atDefaults: true,
  },
  'as-written-flush-unlocked': { by: 'tour', kind: 'observed', field: 'state' },
  'as-written-credits': { by: 'tour', kind: 'observed', field: 'credits' },
  'sync-copy-unclamped': { by: 'random', kind: 'outputs' },
  'async-buffer-outlen-only': { by: 'random', kind: 'outputs' },
  'ev-cpl-v1-keeps-datalen': { by: 'tour', kind: 'outputs' },
  'ev-cpl-v1-ignores-errno': { by: 'states', kind: 'outputs' },
  'ev-death-keeps-status': { by: 'tour', kind: 'observed', field: 'statusWord' },
  'ev-death-no-reset': { by: 'tour', kind: 'observed', field: 'resetPending' },
  'rpc-async-nomem-reports-success': { by: 'tour', kind: 'outputs' },
  'poll-time-after-eq': { by: 'tour', kind: 'enabled' },
  'complete-sync-no-wake': { by: 'tour', kind: 'observed', field: 'procAsleep' },
  'as-written-seqno-wrap': { by: 'tour', kind: 'observed', field: 'flrPending' },
  'abandon-no-reset': { by: 'tour', kind: 'observed', field: 'flrPending' },
  'abandon-in-timer': { by: 'tour', kind: 'observed', field: 'flrPending' },
  'timeout-wrong-rc': { by: 'tour', kind: 'outputs' },
  'flush-forgets-completer': { by: 'tour', kind: 'outputs' },
};

/** The bounds KILLS names for `name`: requests=1 asyncCalls=1 or the defaults, and its killBounds. */
function killBounds(name: string): Record<string, number> {
  const variant = mcdiDriver.variants.find((v) => v.name === name)!;
  return { ...(KILLS[name].atDefaults ? {} : SMALL), ...variant.killBounds };
}

/** The divergence of `name` in the suite KILLS names for it, two ways or outputs only. */
function kill(name: string, oneWay = false): Divergence | undefined {
  const generated = suite(KILLS[name].by, killBounds(name));
  return runSuite(mcdiDriver, oneWay ? outputsOnly(generated) : generated, [name]).divergence;
}

describe('mcdi driver: every bug variant is killed', () => {
  it('has a driver twin for every model variant', () => {
    const twins = new Set(mcdiDriver.variants.map((v) => v.name));
    expect(mcdiModel.variants.map((v) => v.name).filter((name) => !twins.has(name))).toEqual([]);
    expect(Object.keys(KILLS).sort()).toEqual(mcdiDriver.variants.map((v) => v.name).sort());
  });

  for (const variant of mcdiDriver.variants) {
    const { by, kind, field } = KILLS[variant.name] ?? {};
    it(`${variant.name} is killed by ${by} (${kind}${field ? `: ${field}` : ''})`, () => {
      const divergence = kill(variant.name);
      expect(divergence, 'no divergence').toBeDefined();
      expect(divergence!.step).toBeGreaterThan(0);
      expect(divergence!.kind, formatDivergence(divergence!)).toBe(kind);
      expect(divergence!.field).toBe(field);
    });
  }
});

describe('mcdi driver: what only the two-way checks see', () => {
  it('poll-time-after-eq: no suite kills it outputs-only; the driver offers poll_timeout a tick early', () => {
    for (const generator of GENERATORS) {
      const oneWay = outputsOnly(suite(generator, SMALL));
      const result = runSuite(mcdiDriver, oneWay, ['poll-time-after-eq']);
      expect(result.conforms, describeResult(result)).toBe(true);
    }
    const divergence = kill('poll-time-after-eq')!;
    expect(divergence.onlyDriver).toEqual([{ type: 'poll_timeout' }]);
    expect(divergence.onlyModel).toEqual([]);
  });

  it('outputs alone: the tour at requests=1 asyncCalls=1 hides four variants that its projection shows', () => {
    const hidden = [
      'timeout-no-seqno',
      'complete-async-no-cmpxchg',
      'rpc-async-queue-before-mode-check',
      'as-written-send-window',
    ];
    for (const name of hidden) {
      expect(kill(name, true), name).toBeUndefined();
      expect(kill(name)?.kind, name).toBe('observed');
    }
  });

  it('timeout-no-seqno: the seqno the timeout leaves behind shows at once, one less than the model', () => {
    const divergence = kill('timeout-no-seqno')!;
    expect(divergence.event?.type).toBe('timer');
    const model = divergence.modelValue as number;
    expect(divergence.driverValue).toBe((model + 15) % 16);
  });
});

describe('mcdi driver: the findings are killed for the reason they are findings', () => {
  it('as-written-completer-length: a completer told more than was read into its buffer', () => {
    const divergence = kill('as-written-completer-length')!;
    expect(divergence.expected).toContainEqual(
      expect.objectContaining({ type: 'complete', len: 2 }),
    );
    expect(divergence.actual).toContainEqual(
      expect.objectContaining({ type: 'complete', len: 3, copied: 2 }),
    );
  });

  it('as-written-flush-no-wake: the sync caller stays asleep where the model wakes it', () => {
    const divergence = kill('as-written-flush-no-wake')!;
    expect([divergence.modelValue, divergence.driverValue]).toEqual([false, true]);
    // Outputs only, it shows when the caller is asked to go on and cannot.
    const oneWay = kill('as-written-flush-no-wake', true)!;
    expect(oneWay.event?.type).toBe('process');
    expect(oneWay.error).toMatch(/blocked at ACQUIRE_SYNC/);
  });

  it('as-written-seqno-wrap: a sync timeout leaves MCDI in service, where the fix abandons it', () => {
    const divergence = kill('as-written-seqno-wrap')!;
    // The step of efx_mcdi_rpc_finish that gives up: the fix fails MCDI and queues the FLR.
    expect(divergence.event?.type).toBe('process');
    expect(divergence.expected).toContainEqual(
      expect.objectContaining({ type: 'rpc_done', rc: -110 }),
    );
    expect([divergence.modelValue, divergence.driverValue]).toEqual([true, false]);
  });

  it('as-written-credits: a credit taken where no CMDDONE can come; outputs-only, a late CMDDONE swallowed', () => {
    const divergence = kill('as-written-credits')!;
    expect((divergence.driverValue as number[]).length).toBeGreaterThan(
      (divergence.modelValue as number[]).length,
    );
    const oneWay = kill('as-written-credits', true)!;
    expect(oneWay.event?.type).toBe('napi');
    expect(oneWay.expected).toContainEqual(expect.objectContaining({ type: 'mc_mismatch' }));
    expect(oneWay.actual).toEqual([]);
  });
});
