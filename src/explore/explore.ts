/**
 * Exhaustive breadth-first exploration of a model under its bounds.
 *
 * The visited set holds one compact key per state (configuration number + context JSON, plus
 * monitor states) mapped to its index; the tree of first discovery is kept as two Int32Arrays
 * (parent index, alphabet index of the event), so traces are rebuilt by replay and no snapshot
 * outlives its BFS layer. Because states are numbered in BFS order, the first violation found
 * for a property has a shortest trace, and for recoverability the lowest-numbered stuck state
 * is a nearest one.
 */
import { resolveConfig, UsageError } from '../model/config.ts';
import { exploreParallel } from './explore-parallel.ts';
import { Expander } from './expand.ts';
import type { ModelDefinition } from '../model/model.ts';
import { ExpansionHere, SearchTree, resultOf } from './search-tree.ts';
import { UnencodableError } from './state-codec.ts';
import { ModelSystem } from '../model/system.ts';
import type { ExploreOptions, ExploreResult } from './result.ts';
import { CompactVisited, JsonVisited, type Visited } from './visited.ts';
import { concreteTraces, Symmetry, SymmetricVisited } from './symmetry.ts';

export type {
  Coverage,
  ExploreOptions,
  ExploreResult,
  PropertyKind,
  PropertyResult,
} from './result.ts';

export function explore(definition: ModelDefinition, options: ExploreOptions = {}): ExploreResult {
  const config = resolveConfig(definition, options);
  const system = new ModelSystem(definition, config);
  if (options.checking !== undefined) system.checking = options.checking;
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) {
    throw new UsageError(`workers must be a whole number of at least 1, not ${workers}`);
  }
  if (options.symmetry) {
    if (system.symmetry.length === 0) {
      throw new UsageError(`${definition.name} declares no symmetry at these bounds and variants`);
    }
    if (workers > 1) throw new UsageError('symmetry reduction runs in one thread (no --workers)');
  }
  if ((options.store ?? 'compact') === 'compact') {
    try {
      if (workers > 1) return exploreParallel(definition, options, system, workers);
      return exploreWith(definition, options, system, new CompactVisited(system.monitors.length));
    } catch (error) {
      if (!(error instanceof UnencodableError)) throw error;
      // A context that is not plain JSON data: JSON keys still work (as before), in this
      // thread only, since workers exchange states as bytes.
    }
  }
  return exploreWith(definition, options, system, new JsonVisited(system));
}

function exploreWith(
  definition: ModelDefinition,
  options: ExploreOptions,
  system: ModelSystem,
  visited: Visited,
): ExploreResult {
  const maxStates = options.maxStates ?? Infinity;
  const started = performance.now();
  const deadline = started + (options.maxSeconds ?? Infinity) * 1000;
  let lastProgress = started;
  let peakRss = process.memoryUsage.rss();

  const symmetry = options.symmetry ? new Symmetry(system) : undefined;
  if (symmetry) visited = new SymmetricVisited(visited, symmetry);
  const expander = new Expander(system);
  const tree = new SearchTree(expander.goalChecks.length);
  const here = new ExpansionHere(tree, expander, visited);

  visited.add(system.initial().node);
  tree.discovered(-1, -1);
  let processed = 0;
  let complete = true;

  while (processed < visited.size) {
    tree.reach(processed, visited.size);
    if (processed >= maxStates || ((processed & 0xff) === 0 && performance.now() > deadline)) {
      complete = false;
      break;
    }
    const index = processed++;
    here.expand(index, visited.take(index));
    if ((processed & 0xfff) === 0) {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      const now = performance.now();
      if (options.onProgress && now - lastProgress >= 1000) {
        lastProgress = now;
        options.onProgress({
          states: processed,
          transitions: expander.transitions,
          seconds: (now - started) / 1000,
        });
      }
    }
  }
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  const result = resultOf(definition, system, tree, {
    complete,
    states: processed,
    transitions: expander.transitions,
    started,
    peakRss,
    visitedBytes: visited.bytes(),
    configHits: expander.configHits,
    transitionHits: expander.transitionHits,
    ...(symmetry ? { concretize: concreteTraces(system, symmetry) } : {}),
  });
  if (symmetry) {
    result.symmetry = symmetry.groups.map((group) => ({ name: group.name, members: group.size }));
  }
  return result;
}
