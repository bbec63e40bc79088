/**
 * How big a model's states and steps are, which is what the engine's cost per state grows
 * with: `npx tsx bench/profile-size.ts <protocol|anchor> [--deep] [--bound name=value]...
 * [--states N]` expands the first N states (default 20,000) in BFS order and prints one JSON
 * line: encoded bytes, JSON values (every scalar, array and object) and objects per state,
 * the context's top-level fields, transitions per state, and how many properties of each
 * kind run (invariants and goals per state, step properties and monitors per transition).
 */
import { findModel } from '../machines/registry.ts';
import { deepBounds, resolveConfig } from '../src/model/config.ts';
import { CompactVisited } from '../src/explore/visited.ts';
import { ModelSystem } from '../src/model/system.ts';
import { anchorModel } from './anchor-mailbox.ts';

const args = process.argv.slice(2);
const valued = new Set(['--states', '--bound']);
const name = args.find((a, i) => !a.startsWith('--') && !valued.has(args[i - 1]));
const model = name === 'anchor' ? anchorModel : name ? findModel(name) : undefined;
if (!model) {
  process.stderr.write(
    'usage: npx tsx bench/profile-size.ts <protocol|anchor> [--deep] [--bound name=value]... [--states N]\n',
  );
  process.exit(2);
}
const bounds: Record<string, number> = args.includes('--deep') ? { ...deepBounds(model) } : {};
args.forEach((arg, i) => {
  if (args[i - 1] !== '--bound') return;
  const [bound, value] = arg.split('=');
  bounds[bound] = Number(value);
});
const statesAt = args.indexOf('--states');
const limit = statesAt >= 0 ? Number(args[statesAt + 1]) : 20_000;

const system = new ModelSystem(model, resolveConfig(model, { bounds }));
const visited = new CompactVisited(system.monitors.length);
visited.add(system.initial().node);
let bytes = 0;
let values = 0;
let objects = 0;
let fields = 0;
let transitions = 0;
let expanded = 0;
const count = (value: unknown): void => {
  values++;
  if (Array.isArray(value)) {
    objects++;
    value.forEach(count);
  } else if (value !== null && typeof value === 'object') {
    objects++;
    Object.values(value).forEach(count);
  }
};
for (; expanded < limit && expanded < visited.size; expanded++) {
  const node = visited.take(expanded);
  visited.codec.encode(node.state.config, node.state.context, node.monitors);
  bytes += visited.codec.length;
  count(node.state.context);
  node.monitors.forEach(count);
  fields += Object.keys(node.state.context as object).length;
  for (const successor of system.successors(node)) {
    transitions++;
    visited.add(successor.node);
  }
}
const per = (total: number) => Math.round((10 * total) / expanded) / 10;
console.log(
  JSON.stringify({
    model: model.name,
    bounds: system.config.bounds,
    states: expanded,
    bytesPerState: per(bytes),
    valuesPerState: per(values),
    objectsPerState: per(objects),
    contextFields: per(fields),
    transitionsPerState: Math.round((100 * transitions) / expanded) / 100,
    invariants: system.invariants.length,
    goals: system.recoverables.length + system.monitors.filter((m) => m.hot).length,
    stepProperties: system.stepProperties.length,
    monitors: system.monitors.length,
  }),
);
