/**
 * Cost curves: for every model registered when the benchmark runs, states and seconds at
 * growing bounds. Step k raises every bound k above its default (capped at its max), so the
 * first point is the model's default configuration; a curve ends at the first run that hits
 * the per-run budget (states or seconds), when every bound is at its max, or after MAX_STEPS.
 */
import { explore } from '../src/explore/explore.ts';
import type { ModelDefinition } from '../src/model/model.ts';

export interface CurvePoint {
  step: number;
  bounds: Record<string, number>;
  states: number;
  transitions: number;
  seconds: number;
  complete: boolean;
}

export interface Curve {
  protocol: string;
  points: CurvePoint[];
  /** Set when the model could not be explored at all (it is being written right now). */
  error?: string;
}

const MAX_STEPS = 6;

export function boundsAt(model: ModelDefinition, step: number): Record<string, number> {
  const bounds: Record<string, number> = {};
  for (const spec of model.bounds) bounds[spec.name] = Math.min(spec.default + step, spec.max);
  return bounds;
}

export function costCurve(
  model: ModelDefinition,
  budget: { maxStates: number; maxSeconds: number },
): Curve {
  const points: CurvePoint[] = [];
  try {
    for (let step = 0; step <= MAX_STEPS; step++) {
      const bounds = boundsAt(model, step);
      if (step > 0 && JSON.stringify(bounds) === JSON.stringify(points.at(-1)?.bounds)) break;
      const result = explore(model, { bounds, ...budget });
      points.push({
        step,
        bounds,
        states: result.states,
        transitions: result.transitions,
        seconds: result.seconds,
        complete: result.complete,
      });
      if (!result.complete) break;
    }
    return { protocol: model.name, points };
  } catch (error) {
    return { protocol: model.name, points, error: String(error) };
  }
}
