/**
 * One exploration of a registered model's default configuration (no variant, unlike `check`'s
 * main job, which also runs every finding variant) under a wall-clock budget: the real-width
 * runs of docs/mcdi.md. Prints one JSON line (states, transitions, depth, seconds, CPU seconds,
 * peak RSS, each property's verdict and counterexample length) and a progress line on stderr
 * every 30 s.
 *
 *   nice -n 19 npx tsx bench/width.ts <protocol> name=value,... [seconds=600] [workers=1]
 */
import { explore } from '../src/explore/explore.ts';
import { findModel } from '../machines/registry.ts';

const [protocol, boundsText = '', seconds = '600', workers = '1'] = process.argv.slice(2);
const model = protocol === undefined ? undefined : findModel(protocol);
if (!model) {
  process.stderr.write('usage: bench/width.ts <protocol> name=value,... [seconds] [workers]\n');
  process.exit(2);
}
const bounds = Object.fromEntries(
  boundsText
    .split(',')
    .filter(Boolean)
    .map((pair) => {
      const [name, value] = pair.split('=');
      return [name, Number(value)];
    }),
);
let nextReport = 30;
const result = explore(model, {
  bounds,
  maxSeconds: Number(seconds),
  workers: Number(workers),
  onProgress: ({ states, transitions, seconds: elapsed }) => {
    if (elapsed < nextReport) return;
    nextReport += 30;
    const rss = (process.memoryUsage.rss() / 1e9).toFixed(2);
    process.stderr.write(
      `${elapsed.toFixed(0)} s: ${states} states, ${transitions} transitions, ${rss} GB\n`,
    );
  },
});
const cpu = process.cpuUsage();
process.stdout.write(
  JSON.stringify({
    protocol: result.protocol,
    bounds: result.bounds,
    complete: result.complete,
    states: result.states,
    transitions: result.transitions,
    depth: result.depth,
    seconds: Math.round(result.seconds),
    cpuSeconds: Math.round((cpu.user + cpu.system) / 1e6),
    peakRssMB: Math.round(result.peakRssBytes / 1e6),
    properties: result.properties.map((p) => ({
      name: p.name,
      holds: p.holds,
      ...(p.trace ? { steps: p.trace.steps.length } : {}),
    })),
  }) + '\n',
);
