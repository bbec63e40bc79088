/**
 * The model's enabled events along a suite: after the reset and after each step of every
 * vector, the events that take a transition there (canonical JSON, sorted). A system under
 * test that reports what it could do next (the C harness does) is then checked on its
 * refusals too, not only on its outputs: ARCHITECTURE.md's "the set of inputs each can take
 * now (refusals included)".
 */
import type { EventObject } from 'xstate';
import type { ModelConfig, ModelDefinition } from '../model/model.ts';
import { ModelSystem } from '../model/system.ts';
import { canonicalJson, type TestSuite } from './vectors.ts';

/** Per vector, per position (0 = after the reset, i = after step i): the enabled events. */
export type EnabledSets = string[][][];

function canonicalSet(events: readonly unknown[]): string[] {
  return events.map((event) => canonicalJson(event)).sort();
}

export function modelEnabledSets(
  definition: ModelDefinition,
  config: ModelConfig,
  suite: Pick<TestSuite, 'vectors'>,
): EnabledSets {
  const system = new ModelSystem(definition, config);
  const initial = system.initial().node;
  return suite.vectors.map((vector) => {
    let successors = system.successors(initial);
    const sets = [canonicalSet(successors.map((s) => s.event))];
    for (const step of vector.steps) {
      // A refusal step (two-way suites): the model stays where it is, and so must the C.
      if (step.refused) {
        sets.push(sets[sets.length - 1]);
        continue;
      }
      const wanted = canonicalJson(step.event);
      const next = successors.find(
        (candidate: { event: EventObject }) => canonicalJson(candidate.event) === wanted,
      );
      if (!next) break; // the suite does not fit the model: loadSuite() reports that
      successors = system.successors(next.node);
      sets.push(canonicalSet(successors.map((s) => s.event)));
    }
    return sets;
  });
}

/** How two enabled sets differ, as a line; null when they are equal. */
export function enabledSetDifference(
  model: readonly string[],
  implementation: readonly unknown[],
  who = 'the implementation',
): string | null {
  const mine = canonicalSet(implementation);
  const onlyModel = model.filter((event) => !mine.includes(event));
  const onlyImpl = mine.filter((event) => !model.includes(event));
  if (onlyModel.length === 0 && onlyImpl.length === 0) return null;
  const list = (events: string[]) => (events.length === 0 ? '(none)' : events.join(', '));
  return `after this step the model can also ${list(onlyModel)}; ${who} can also ${list(onlyImpl)}`;
}
