/**
 * `npx tsx bench/suite-sizes.ts [protocol ...] [bound=value ...]`: the size of every generated
 * suite at each protocol's default bounds (or with the bounds given), as docs/test-vectors.md
 * tabulates it. One exploration per
 * protocol; each suite is built within conform's step budget (CONFORM_MAX_SUITE_STEPS, refusal
 * steps included), so a suite past it is reported as "> budget" with the count it had reached
 * rather than held in memory.
 */
import { models } from '../machines/registry.ts';
import { parseBounds } from '../src/cli/cli-args.ts';
import { generateSuitesWithin, type GeneratedSuite } from '../src/testgen/generate.ts';
import type { GeneratorName } from '../src/testgen/vectors.ts';

const GENERATORS: GeneratorName[] = ['tour', 'states', 'random', 'edges', 'pairs'];
const BUDGET = Number(process.env.SUITE_SIZES_BUDGET ?? 500_000);
const fmt = (n: number) => n.toLocaleString('en-US');

const args = process.argv.slice(2);
const wanted = args.filter((arg) => !arg.includes('='));
let bounds: Record<string, number>;
try {
  bounds = parseBounds(args.filter((arg) => arg.includes('=')));
} catch (error) {
  // A malformed bound is the user's mistake: one line, exit 2 (as the CLI's --bound).
  process.stderr.write(`suite-sizes: ${(error as Error).message}\n`);
  process.exit(2);
}
const chosen = wanted.length ? models.filter((m) => wanted.includes(m.name)) : models;
const unknown = wanted.filter((name) => !models.some((m) => m.name === name));
if (unknown.length) {
  process.stderr.write(`unknown protocol: ${unknown.join(', ')}\n`);
  process.exit(2);
}

console.log(
  `| model | states | graph edges (lower bound of edges) | reachable transitions (of tour) | ${GENERATORS.map((g) => `${g}: vectors / steps`).join(' | ')} |`,
);
console.log(`|${' --- |'.repeat(4 + GENERATORS.length)}`);
for (const definition of chosen) {
  const suites = generateSuitesWithin(definition, GENERATORS, { bounds }, BUDGET);
  const built = suites.find((s): s is GeneratedSuite => 'suite' in s);
  const graph = built?.graph;
  const edges = graph ? graph.edges.reduce((sum, out) => sum + out.length, 0) : NaN;
  const cells = suites.map((s) =>
    'suite' in s
      ? `${fmt(s.suite.summary.vectors)} / ${fmt(s.suite.summary.steps)}`
      : `> budget (${fmt(s.skipped.steps)}+ steps)`,
  );
  console.log(
    `| ${definition.name} | ${fmt(graph?.states.length ?? NaN)} | ${fmt(edges)} | ${fmt(graph?.reachableTransitions.length ?? NaN)} | ${cells.join(' | ')} |`,
  );
}
