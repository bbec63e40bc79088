/**
 * One benchmark run in its own process, so that its peak RSS is its own:
 *   node --import tsx bench/child.ts '<ChildSpec as JSON>'
 * Prints one JSON line (ChildRow): states, transitions, seconds (wall), cpuSeconds,
 * peakRssBytes, baselineRssBytes (before the search), storeBytes (ours only), complete. CPU
 * seconds are the whole process's, worker threads included.
 */
import { getAdjacencyMap } from 'xstate/graph';
import { findModel } from '../machines/registry.ts';
import { resolveConfig } from '../src/model/config.ts';
import { explore } from '../src/explore/explore.ts';
import type { ModelDefinition } from '../src/model/model.ts';
import { anchorModel } from './anchor-mailbox.ts';

export interface ChildSpec {
  /** Our explorer (compact or JSON store), or XState's own traversal. */
  tool: 'explore' | 'explore-json' | 'xstate-graph';
  /** `anchor` or a registered protocol. */
  model: string;
  bounds: Record<string, number>;
  workers?: number;
  /** Reduce by the model's declared symmetry (src/explore/symmetry.ts). */
  symmetry?: boolean;
  budgetSeconds: number;
  maxStates?: number;
}

export interface ChildRow {
  states: number;
  transitions: number;
  seconds: number;
  cpuSeconds: number;
  peakRssBytes: number;
  baselineRssBytes: number;
  storeBytes?: number;
  complete: boolean;
  /** Ours: each property's verdict (true, false, or null when undecided). */
  verdicts?: Record<string, boolean | null>;
}

class BudgetExceeded extends Error {}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

function modelNamed(name: string): ModelDefinition {
  const model = name === 'anchor' ? anchorModel : findModel(name);
  if (!model) throw new Error(`no model ${name}`);
  return model;
}

function run(spec: ChildSpec): ChildRow {
  const model = modelNamed(spec.model);
  const baselineRssBytes = process.memoryUsage.rss();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let row: Omit<ChildRow, 'peakRssBytes' | 'baselineRssBytes'>;
  if (spec.tool === 'explore' || spec.tool === 'explore-json') {
    const result = explore(model, {
      bounds: spec.bounds,
      maxSeconds: spec.budgetSeconds,
      ...(spec.maxStates === undefined ? {} : { maxStates: spec.maxStates }),
      store: spec.tool === 'explore-json' ? 'json' : 'compact',
      workers: spec.workers ?? 1,
      ...(spec.symmetry ? { symmetry: true } : {}),
    });
    row = {
      states: result.states,
      transitions: result.transitions,
      seconds: result.seconds,
      cpuSeconds: cpuSeconds(cpu0),
      ...(result.storeBytes === undefined ? {} : { storeBytes: result.storeBytes }),
      complete: result.complete,
      verdicts: Object.fromEntries(result.properties.map((p) => [p.name, p.holds])),
    };
  } else {
    // XState's own traversal: getAdjacencyMap with the model's alphabet. It has no budget, so
    // `toState` (called once per new distinct state) counts states and stops it at the deadline.
    const instance = model.build(resolveConfig(model, { bounds: spec.bounds }));
    const deadline = t0 + spec.budgetSeconds * 1000;
    let states = 0;
    let transitions = 0;
    let complete = true;
    try {
      getAdjacencyMap(instance.machine, {
        events: (snapshot) => {
          const events = instance.events({
            value: snapshot.value,
            context: snapshot.context as unknown,
            matches: (path: string) => snapshot.matches(path as never),
          });
          transitions += events.length;
          return events;
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
  }
  return { ...row, peakRssBytes: process.resourceUsage().maxRSS * 1024, baselineRssBytes };
}

process.stdout.write(JSON.stringify(run(JSON.parse(process.argv[2]) as ChildSpec)) + '\n');
