/**
 * The explicit reachable graph of a model, for test generation and coverage: every reachable
 * model state with its outgoing edges, each edge keeping the alphabet index of its event, the
 * event itself, the outputs and the model transitions it takes.
 *
 * The explorer (src/explore/explore.ts) keeps only parent links to stay lean; generators need every
 * edge, so they build this graph themselves through ModelSystem. States are identified by the
 * model's state alone (configuration + context): property monitors are observers and do not
 * change what a driver must do, so they would only multiply the states to cover.
 */
import type { EventObject } from 'xstate';
import type { CompiledState } from '../model/compiled.ts';
import type { Output } from '../model/model.ts';
import type { ModelSystem, SystemNode } from '../model/system.ts';

export interface GraphEdge {
  /** Index of the event in the alphabet of the source state. */
  eventIndex: number;
  event: EventObject;
  target: number;
  outputs: Output[];
  /** Ids of the model transitions taken (see CompiledMachine.transitions). */
  transitions: number[];
}

export interface StateGraph {
  system: ModelSystem;
  /** Model states in BFS order: index 0 is the initial state. */
  states: CompiledState[];
  edges: GraphEdge[][];
  initialOutputs: Output[];
  /** BFS tree: the state's parent and the index (into `edges[parent]`) of the edge from it. */
  parent: Int32Array;
  parentEdge: Int32Array;
  /** False when `maxStates` stopped the construction early (edges to unexplored states dropped). */
  complete: boolean;
  /** Ids of the transitions taken by at least one edge: what a tour must cover. */
  reachableTransitions: number[];
  /**
   * Per state: the alphabet's events of the model's `enabling` types (ModelInstance.conformance)
   * that take no transition there: what a driver must refuse in that state.
   */
  refused: EventObject[][];
}

export function stateKey(state: CompiledState): string {
  return state.config + ':' + JSON.stringify(state.context);
}

function asNode(state: CompiledState): SystemNode {
  return { state, monitors: [] };
}

export function buildStateGraph(system: ModelSystem, maxStates = Infinity): StateGraph {
  const initial = system.compiled.initial();
  const states: CompiledState[] = [initial.state];
  const ids = new Map<string, number>([[stateKey(initial.state), 0]]);
  const edges: GraphEdge[][] = [];
  const parent: number[] = [-1];
  const parentEdge: number[] = [-1];
  const reachable = new Set<number>();
  const refused: EventObject[][] = [];
  const enabling = new Set(system.instance.conformance?.enabling ?? []);
  let complete = true;

  for (let index = 0; index < states.length; index++) {
    const state = states[index];
    const events = system.events(asNode(state));
    const out: GraphEdge[] = [];
    const refusedHere: EventObject[] = [];
    events.forEach((event, eventIndex) => {
      const result = system.compiled.step(state, event);
      if (!result) {
        if (enabling.has(event.type)) refusedHere.push(event);
        return;
      }
      const key = stateKey(result.state);
      let target = ids.get(key);
      if (target === undefined) {
        if (states.length >= maxStates) {
          complete = false;
          return;
        }
        target = states.length;
        ids.set(key, target);
        states.push(result.state);
        parent.push(index);
        parentEdge.push(out.length);
      }
      for (const id of result.transitions) reachable.add(id);
      out.push({
        eventIndex,
        event,
        target,
        outputs: result.outputs,
        transitions: result.transitions,
      });
    });
    edges.push(out);
    refused.push(refusedHere);
  }
  return {
    system,
    states,
    edges,
    initialOutputs: initial.outputs,
    parent: Int32Array.from(parent),
    parentEdge: Int32Array.from(parentEdge),
    complete,
    reachableTransitions: [...reachable].sort((a, b) => a - b),
    refused,
  };
}

/** The edges of the BFS tree from the initial state to `state`: a shortest path. */
export function shortestPathTo(graph: StateGraph, state: number): GraphEdge[] {
  const path: GraphEdge[] = [];
  for (let s = state; graph.parent[s] !== -1; s = graph.parent[s]) {
    path.push(graph.edges[graph.parent[s]][graph.parentEdge[s]]);
  }
  return path.reverse();
}

export function edgeCount(graph: StateGraph): number {
  return graph.edges.reduce((sum, out) => sum + out.length, 0);
}
