/**
 * Steps the compiled machine and XState's own `transition()` side by side along one walk and
 * reports the first step where they disagree (state value, context or emitted outputs).
 */
import { initialTransition, transition, type AnyMachineSnapshot, type EventObject } from 'xstate';
import { CompiledMachine, type CompiledState } from '../../src/model/compiled.ts';
import type { ModelInstance } from '../../src/model/model.ts';

function emitted(actions: unknown[]): unknown[] {
  return (actions as Array<{ type: string; params?: { event: unknown } }>)
    .filter((action) => action.type === 'xstate.emit')
    .map((action) => action.params!.event);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/** `null` when both agree on every step; otherwise a description of the first disagreement. */
export function disagreement(instance: ModelInstance, choices: readonly number[]): string | null {
  const compiled = new CompiledMachine(instance.machine);
  const start = compiled.initial();
  let ours: CompiledState = start.state;
  const [initialSnapshot, initialActions] = initialTransition(instance.machine) as [
    AnyMachineSnapshot,
    unknown[],
  ];
  let theirs = initialSnapshot;
  if (!same(start.outputs, emitted(initialActions))) return 'initial outputs differ';
  for (const [stepIndex, choice] of choices.entries()) {
    const events: EventObject[] = instance.events(compiled.view(ours));
    if (events.length === 0) return null;
    const event = events[choice % events.length];
    const result = compiled.step(ours, event);
    const [next, actions] = transition(instance.machine, theirs, event) as [
      AnyMachineSnapshot,
      unknown[],
    ];
    const where = `step ${stepIndex + 1} (${event.type})`;
    const oursValue = result
      ? compiled.stateValue(result.state.config)
      : compiled.stateValue(ours.config);
    const oursContext = result ? result.state.context : ours.context;
    if (!same(oursValue, next.value)) {
      return `${where}: value ${JSON.stringify(oursValue)} vs XState ${JSON.stringify(next.value)}`;
    }
    if (!same(oursContext, next.context)) {
      return `${where}: context ${JSON.stringify(oursContext)} vs XState ${JSON.stringify(next.context)}`;
    }
    if (!same(result?.outputs ?? [], emitted(actions))) {
      return `${where}: outputs ${JSON.stringify(result?.outputs)} vs XState ${JSON.stringify(emitted(actions))}`;
    }
    if (result) ours = result.state;
    theirs = next;
  }
  return null;
}
