/**
 * The run bench/profile.ts profiles: `node --cpu-prof --import tsx bench/profile-child.ts
 * <protocol|anchor> <deep: true|false> <seconds>` explores the model once, one thread.
 */
import { findModel } from '../machines/registry.ts';
import { deepBounds } from '../src/model/config.ts';
import { explore } from '../src/explore/explore.ts';
import { anchorModel } from './anchor-mailbox.ts';

const [name, deep, seconds] = process.argv.slice(2);
const model = name === 'anchor' ? anchorModel : findModel(name);
if (!model) {
  process.stderr.write(`no model ${name}\n`);
  process.exit(2);
}
const bounds = deep === 'true' ? { ...deepBounds(model) } : undefined;
const result = explore(model, { ...(bounds ? { bounds } : {}), maxSeconds: Number(seconds) });
console.log(
  `${model.name}${bounds ? ' (deep bounds)' : ''}: ${result.states.toLocaleString('en-US')} states, ${result.transitions.toLocaleString('en-US')} transitions in ${result.seconds.toFixed(2)} s${result.complete ? '' : ' (budget)'}`,
);
