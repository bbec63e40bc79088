/**
 * One benchmark row, run in its own process so that its peak RSS is its own:
 *   node --import tsx bench/child.ts <explore|explore-workers|explore-json|xstate-graph> <seqMod> <qlen> <budgetSeconds>
 * Prints one JSON line: states, transitions, seconds (wall), cpuSeconds, peakRssBytes,
 * baselineRssBytes (before the search), storeBytes (ours only), complete. CPU seconds are the
 * whole process's, worker threads included.
 */
import { getAdjacencyMap } from 'xstate/graph';
import { resolveConfig } from '../src/model/config.ts';
import { explore } from '../src/explore/explore.ts';
import { anchorModel, type AnchorContext, type AnchorEvent } from './anchor-mailbox.ts';

const [tool, seqModArg, qlenArg, budgetArg] = process.argv.slice(2);
const bounds = { seqMod: Number(seqModArg), qlen: Number(qlenArg) };
const budgetSeconds = Number(budgetArg);

class BudgetExceeded extends Error {}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

const baselineRssBytes = process.memoryUsage.rss();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let row: Record<string, unknown>;

if (tool === 'explore' || tool === 'explore-json' || tool === 'explore-workers') {
  const result = explore(anchorModel, {
    bounds,
    maxSeconds: budgetSeconds,
    store: tool === 'explore-json' ? 'json' : 'compact',
    // Two worker threads: one per core of this machine (the main thread mostly waits).
    workers: tool === 'explore-workers' ? 2 : 1,
  });
  row = {
    states: result.states,
    transitions: result.transitions,
    seconds: result.seconds,
    cpuSeconds: cpuSeconds(cpu0),
    storeBytes: result.storeBytes,
    complete: result.complete,
  };
} else if (tool === 'xstate-graph') {
  // XState's own traversal: getAdjacencyMap with the model's alphabet. It has no budget, so
  // `toState` (called once per new distinct state) counts states and stops it at the deadline.
  const instance = anchorModel.build(resolveConfig(anchorModel, { bounds }));
  const deadline = t0 + budgetSeconds * 1000;
  let states = 0;
  let transitions = 0;
  let complete = true;
  try {
    getAdjacencyMap(instance.machine, {
      events: (snapshot) => {
        const events = instance.events({
          value: snapshot.value,
          context: snapshot.context as AnchorContext,
          matches: (path: string) => snapshot.matches(path as never),
        });
        transitions += events.length;
        return events as AnchorEvent[];
      },
      toState: () => {
        states++;
        if ((states & 0xff) === 0 && performance.now() > deadline) throw new BudgetExceeded();
        return false;
      },
    });
  } catch (error) {
    if (!(error instanceof BudgetExceeded)) throw error;
    complete = false;
  }
  row = {
    states,
    // Every (state, event) pair it evaluated, enabled or not: XState has no notion of a
    // disabled event, a disabled one yields the same snapshot.
    transitions,
    seconds: (performance.now() - t0) / 1000,
    cpuSeconds: cpuSeconds(cpu0),
    complete,
  };
} else {
  throw new Error(`unknown tool ${tool}`);
}

row.peakRssBytes = process.resourceUsage().maxRSS * 1024;
row.baselineRssBytes = baselineRssBytes;
process.stdout.write(JSON.stringify(row) + '\n');
