/**
 * The run bench/profile.ts profiles: `node --cpu-prof --import tsx bench/profile-child.ts
 * <protocol|anchor> <deep: true|false> <seconds> [<bounds as JSON>]` explores the model once, one thread, and
 * prints one JSON line: the model, the bounds' kind, states, transitions, search seconds and
 * whether the search completed.
 */
import { findModel } from '../machines/registry.ts';
import { deepBounds } from '../src/model/config.ts';
import { explore } from '../src/explore/explore.ts';
import { anchorModel } from './anchor-mailbox.ts';

const [name, deep, seconds, given] = process.argv.slice(2);
const model = name === 'anchor' ? anchorModel : findModel(name);
if (!model) {
  process.stderr.write(`no model ${name}\n`);
  process.exit(2);
}
const bounds = {
  ...(deep === 'true' ? deepBounds(model) : {}),
  ...(JSON.parse(given ?? '{}') as Record<string, number>),
};
const result = explore(model, { bounds, maxSeconds: Number(seconds) });
console.log(
  JSON.stringify({
    model: model.name,
    deep: deep === 'true',
    bounds: result.bounds,
    states: result.states,
    transitions: result.transitions,
    searchSeconds: result.seconds,
    complete: result.complete,
  }),
);
