/**
 * Coverage of a test suite over a model: the suite's vectors are replayed through the model
 * (a pure function of model, config and suite), counting how often each state node is active
 * and each model transition is taken, and listing those never reached.
 *
 * Replay also checks that the suite fits the model: each event must be in the alphabet and
 * enabled where the vector sends it, and the vector's expected outputs must be what the model
 * emits; a refusal step's event must be one the model refuses there. A suite that does not
 * fit (other bounds, an edited file) is a SuiteMismatchError.
 */
import type { EventObject } from 'xstate';
import type { ModelConfig, ModelDefinition } from '../model/model.ts';
import { stateKey } from './state-graph.ts';
import { ModelSystem, type SystemNode } from '../model/system.ts';
import { formatEvent } from '../model/trace.ts';
import { canonicalJson, type TestSuite } from './vectors.ts';

export interface SuiteCoverage {
  protocol: string;
  vectors: number;
  steps: number;
  /** Distinct model states (configuration + context) the suite visits, the initial one included. */
  distinctStates: number;
  /** For each state node id: in how many visited states (initial and after each step) it is active. */
  stateNodes: Record<string, number>;
  /** For each transition label: how many steps take it. */
  transitions: Record<string, number>;
  neverActiveStateNodes: string[];
  neverTakenTransitions: string[];
}

export class SuiteMismatchError extends Error {}

export function suiteCoverage(
  definition: ModelDefinition,
  config: ModelConfig,
  suite: TestSuite,
): SuiteCoverage {
  const system = new ModelSystem(definition, config);
  const compiled = system.compiled;
  const nodeHits = new Map<string, number>(compiled.stateNodeIds.map((id) => [id, 0]));
  const transitionHits = new Array<number>(compiled.transitions.length).fill(0);
  const distinct = new Set<string>();
  const visit = (node: SystemNode) => {
    distinct.add(stateKey(node.state));
    for (const id of compiled.activeStateNodes(node.state.config)) {
      nodeHits.set(id, (nodeHits.get(id) ?? 0) + 1);
    }
  };
  const initial = system.initial();
  if (canonicalJson(initial.outputs) !== canonicalJson(suite.initialOutputs)) {
    throw new SuiteMismatchError(
      `initialOutputs differ from the model's: expected ${canonicalJson(initial.outputs)}`,
    );
  }
  let steps = 0;
  for (const vector of suite.vectors) {
    let node = initial.node;
    visit(node);
    vector.steps.forEach((step, s) => {
      const where = `vector ${vector.id} step ${s + 1} (${formatEvent(step.event)})`;
      const wanted = canonicalJson(step.event);
      const events = system.events(node);
      const index = events.findIndex((event: EventObject) => canonicalJson(event) === wanted);
      if (index < 0) throw new SuiteMismatchError(`${where}: not in the model's alphabet here`);
      const successor = system.stepWith(node, system.view(node), events[index], index);
      if (step.refused) {
        if (successor) {
          throw new SuiteMismatchError(`${where}: a refusal step, but the model takes it here`);
        }
        steps++;
        return;
      }
      if (!successor) throw new SuiteMismatchError(`${where}: not enabled in the model here`);
      if (canonicalJson(successor.result.outputs) !== canonicalJson(step.outputs)) {
        throw new SuiteMismatchError(
          `${where}: expected outputs ${canonicalJson(step.outputs)} but the model emits ${canonicalJson(successor.result.outputs)}`,
        );
      }
      for (const id of successor.result.transitions) transitionHits[id]++;
      node = successor.node;
      visit(node);
      steps++;
    });
  }
  const stateNodes = Object.fromEntries(nodeHits);
  const transitions: Record<string, number> = {};
  compiled.transitions.forEach((info) => (transitions[info.label] = transitionHits[info.id]));
  return {
    protocol: definition.name,
    vectors: suite.vectors.length,
    steps,
    distinctStates: distinct.size,
    stateNodes,
    transitions,
    neverActiveStateNodes: Object.keys(stateNodes).filter((id) => stateNodes[id] === 0),
    neverTakenTransitions: Object.keys(transitions).filter((label) => transitions[label] === 0),
  };
}
