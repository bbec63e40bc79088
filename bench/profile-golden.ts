/**
 * What a speed change must not change: `npx tsx bench/profile-golden.ts [--deep-states N]`
 * explores every registered protocol with every variant (and without) at its default bounds
 * (for at most 300,000 expanded states),
 * and every protocol at its deep bounds for its first N expanded states (default 50,000), and
 * prints one JSON line per run: states, transitions, depth, completeness, each property's
 * verdict and trace length, and the coverage counts. Run it in the checkout before and the one
 * after a change and compare the outputs (`diff`): they must be equal line for line.
 */
import { models } from '../machines/registry.ts';
import { deepBounds } from '../src/model/config.ts';
import { explore } from '../src/explore/explore.ts';
import type { ModelDefinition } from '../src/model/model.ts';

const at = process.argv.indexOf('--deep-states');
const deepStates = at >= 0 ? Number(process.argv[at + 1]) : 50_000;
/** A budget in states, not seconds, so that both checkouts stop at the same state. */
const DEFAULT_STATES = 300_000;

function line(model: ModelDefinition, run: string, options: Parameters<typeof explore>[1]): string {
  const r = explore(model, options);
  return JSON.stringify({
    protocol: model.name,
    run,
    states: r.states,
    transitions: r.transitions,
    depth: r.depth,
    complete: r.complete,
    properties: r.properties.map((p) => [
      p.name,
      p.holds,
      p.trace?.steps.length ?? null,
      p.message ?? null,
    ]),
    coverage: r.coverage,
  });
}

for (const model of models) {
  console.log(line(model, 'default', { maxStates: DEFAULT_STATES }));
  for (const variant of model.variants) {
    console.log(
      line(model, `variant ${variant.name}`, {
        variants: [variant.name],
        maxStates: DEFAULT_STATES,
      }),
    );
  }
  console.log(
    line(model, `deep, first ${deepStates}`, {
      bounds: { ...deepBounds(model) },
      maxStates: deepStates,
    }),
  );
}
