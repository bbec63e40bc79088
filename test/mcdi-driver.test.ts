/**
 * The MCDI driver (drivers/mcdi.ts) against suites generated from the mcdi model: the correct
 * driver conforms, at the default bounds and at the bounds that switch on a reboot, long
 * answers and an MCDI v2 NIC; every driver bug variant is killed by some suite, and the
 * findings are killed for the reason they are findings.
 */
import { describe, expect, it } from 'vitest';
import { runSuite, type Divergence } from '../src/testgen/conform.ts';
import { generateSuite } from '../src/testgen/generate.ts';
import { GENERATORS, type GeneratorName, type TestSuite } from '../src/testgen/vectors.ts';
import { mcdiDriver } from '../drivers/mcdi.ts';
import { mcdiModel } from '../machines/registry.ts';

const cache = new Map<string, TestSuite>();
/** A suite of `generator` at `bounds`, generated once. */
function suite(generator: GeneratorName, bounds: Record<string, number> = {}): TestSuite {
  const key = `${generator} ${JSON.stringify(bounds)}`;
  if (!cache.has(key)) cache.set(key, generateSuite(mcdiModel, { generator, bounds }).suite);
  return cache.get(key)!;
}

describe('mcdi driver: the correct driver conforms', () => {
  it('to the tour, the state cover and the random walks at the default bounds', () => {
    for (const generator of GENERATORS) {
      const result = runSuite(mcdiDriver, suite(generator));
      expect(result.conforms, generator).toBe(true);
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

/** The first divergence of `variant` over the suites at its kill bounds, cheapest first. */
function firstKill(name: string): Divergence | undefined {
  const variant = mcdiDriver.variants.find((v) => v.name === name)!;
  for (const generator of ['tour', 'random', 'states'] as const) {
    const result = runSuite(mcdiDriver, suite(generator, { ...variant.killBounds }), [name]);
    if (!result.conforms) return result.divergence!;
  }
  return undefined;
}

describe('mcdi driver: every bug variant is killed', () => {
  it('has a driver twin for every model variant but one, which cannot show in outputs', () => {
    const twins = new Set(mcdiDriver.variants.map((v) => v.name));
    const untwinned = mcdiModel.variants.map((v) => v.name).filter((name) => !twins.has(name));
    // poll-time-after-eq only makes the driver willing to give up earlier than the model
    // asks; conformance checks that the driver can do what the model does, not the converse.
    expect(untwinned).toEqual(['poll-time-after-eq']);
  });

  for (const variant of mcdiDriver.variants) {
    it(`${variant.name} is killed`, () => {
      const divergence = firstKill(variant.name);
      expect(divergence, 'no suite kills it').toBeDefined();
      expect(divergence!.step).toBeGreaterThan(0);
    });
  }

  it('as-written-completer-length: a completer told more than was read into its buffer', () => {
    const divergence = firstKill('as-written-completer-length')!;
    expect(divergence.expected).toContainEqual(
      expect.objectContaining({ type: 'complete', len: 2 }),
    );
    expect(divergence.actual).toContainEqual(
      expect.objectContaining({ type: 'complete', len: 3, copied: 2 }),
    );
  });

  it('as-written-flush-no-wake: the sync caller stays asleep where the model wakes it', () => {
    const divergence = firstKill('as-written-flush-no-wake')!;
    expect(divergence.event?.type).toBe('process');
    expect(divergence.error).toMatch(/blocked at ACQUIRE_SYNC/);
  });

  it('as-written-credits: a late CMDDONE is swallowed where the fix logs the mismatch', () => {
    const divergence = firstKill('as-written-credits')!;
    expect(divergence.event?.type).toBe('napi');
    expect(divergence.expected).toContainEqual(expect.objectContaining({ type: 'mc_mismatch' }));
    expect(divergence.actual).toEqual([]);
  });
});
