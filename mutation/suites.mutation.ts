/**
 * The test Stryker runs against each mutant of drivers/<MUTATION_PROTOCOL>.ts: every suite that
 * mutation/run.ts generated, replayed against the driver; a mutant is killed when some suite
 * diverges. Cheap suites come first (Stryker stops at the first failing test of a mutant).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { drivers } from '../drivers/registry.ts';
import { formatDivergence, runSuite } from '../src/testgen/conform.ts';
import { parseSuite } from '../src/testgen/vectors.ts';

const protocol = process.env.MUTATION_PROTOCOL ?? '';
const dir = join(process.cwd(), '.mutation', protocol, 'suites');
const driver = drivers.find((d) => d.protocol === protocol);

describe(`generated suites against drivers/${protocol}.ts`, () => {
  const files = readdirSync(dir).sort();
  it.each(files)('%s', (file) => {
    const suite = parseSuite(readFileSync(join(dir, file), 'utf8'), file);
    const result = runSuite(driver!, suite);
    expect(result.conforms, result.divergence && formatDivergence(result.divergence)).toBe(true);
  });
});
