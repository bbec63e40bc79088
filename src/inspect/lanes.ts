/**
 * The lanes of a sequence chart: which execution context (a driver's caller, a work item, an
 * IRQ handler, the device) takes each transition. The machines are parallel statecharts whose
 * regions are those contexts, so by default every region of a parallel state is a lane (a
 * region that is itself parallel is split into its own regions; one named `device` is the
 * device's) and the transitions written on a parallel state go to a "device / environment"
 * lane. A model whose device acts inside another region, or that wants other lanes, declares
 * them (`ModelInstance.lanes`): by region paths, by event types, and which is the device.
 */
import type { LaneSpec } from '../model/model.ts';
import type { Chart } from './chart.ts';

export interface Lane {
  name: string;
  /** The device (or environment) lane: drawn last, and where a step involving it starts. */
  device: boolean;
  /** The region's state id, when the lane is one region: its active state is shown on the lane. */
  region?: string;
}

export interface Lanes {
  lanes: Lane[];
  /** For each chart transition (chart order), its lane's index. */
  ofTransition: number[];
}

const ENVIRONMENT = 'device / environment';
/** A region named for the device (`device`, `dev`, `device0`) is the device's lane. */
const DEVICE_REGION = /^dev(ice)?\d*$/i;

/** `napi`, `card0.scifWork`: a state's path from the root. */
function pathOf(chart: Chart, id: string): string {
  const keys: string[] = [];
  for (let node = chart.states.get(id); node?.parent; node = chart.states.get(node.parent)) {
    keys.unshift(node.key);
  }
  return keys.join('.');
}

/** The regions of the parallel states, split down to regions that are not parallel themselves. */
function regionsOf(chart: Chart): string[] {
  const regions: string[] = [];
  const visit = (id: string) => {
    const state = chart.states.get(id)!;
    if (state.kind !== 'parallel') return void regions.push(id);
    for (const child of state.children) visit(child);
  };
  const root = chart.states.get(chart.rootId)!;
  if (root.kind === 'parallel') for (const child of root.children) visit(child);
  else regions.push(chart.rootId);
  return regions;
}

/** The region (or `undefined` for a parallel state above the regions) a state belongs to. */
function regionOfState(chart: Chart, regions: ReadonlySet<string>, id: string): string | undefined {
  for (let node: string | undefined = id; node; node = chart.states.get(node)?.parent) {
    if (regions.has(node)) return node;
  }
  return undefined;
}

const matchesEvent = (pattern: string, event: string): boolean =>
  pattern.endsWith('*') ? event.startsWith(pattern.slice(0, -1)) : pattern === event;

export function lanesOf(chart: Chart, declared?: readonly LaneSpec[]): Lanes {
  const regions = regionsOf(chart);
  const regionSet = new Set(regions);
  if (declared && declared.length > 0) return declaredLanes(chart, regionSet, declared);
  const lanes: Lane[] = regions.map((region) => ({
    name: pathOf(chart, region) || chart.states.get(region)!.key,
    device: DEVICE_REGION.test(chart.states.get(region)!.key),
    region,
  }));
  const index = new Map(regions.map((region, i) => [region, i]));
  const regionOf = chart.transitions.map((t) => regionOfState(chart, regionSet, t.source));
  // Transitions on the parallel states themselves (the device answering, a timer firing, in
  // most models): a lane of their own, last, when there are any.
  if (regionOf.includes(undefined)) lanes.push({ name: ENVIRONMENT, device: true });
  const ofTransition = regionOf.map((region) =>
    region === undefined ? lanes.length - 1 : index.get(region)!,
  );
  // Regions first, the device lanes last (in chart order among themselves).
  const order = lanes
    .map((_, i) => i)
    .sort((a, b) => Number(lanes[a].device) - Number(lanes[b].device) || a - b);
  const position = new Map(order.map((lane, i) => [lane, i]));
  return {
    lanes: order.map((i) => lanes[i]),
    ofTransition: ofTransition.map((lane) => position.get(lane)!),
  };
}

function declaredLanes(
  chart: Chart,
  regionSet: ReadonlySet<string>,
  declared: readonly LaneSpec[],
): Lanes {
  // The device lane goes last, as in the derived lanes.
  const ordered = [...declared.filter((l) => !l.device), ...declared.filter((l) => l.device)];
  const lanes: Lane[] = ordered.map((spec) => {
    const only = spec.regions?.length === 1 && !spec.events ? spec.regions[0] : undefined;
    const region = only && chart.order.find((id) => pathOf(chart, id) === only);
    return { name: spec.name, device: spec.device === true, ...(region ? { region } : {}) };
  });
  let fallback = -1;
  const ofTransition = chart.transitions.map((t) => {
    const byEvent = ordered.findIndex((spec) => spec.events?.some((e) => matchesEvent(e, t.event)));
    if (byEvent >= 0) return byEvent;
    const region = regionOfState(chart, regionSet, t.source);
    const path = region === undefined ? '' : pathOf(chart, t.source);
    const byRegion = ordered.findIndex((spec) =>
      spec.regions?.some((r) => path === r || path.startsWith(r + '.')),
    );
    if (byRegion >= 0) return byRegion;
    // Not declared anywhere: an environment lane of its own, so that nothing is hidden.
    if (fallback < 0) {
      lanes.push({ name: ENVIRONMENT, device: false });
      fallback = lanes.length - 1;
    }
    return fallback;
  });
  return { lanes, ofTransition };
}
