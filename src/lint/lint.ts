/**
 * The model lint: mistakes that would otherwise give a wrong verdict without a word.
 *
 * It explores the model breadth-first in checking mode (every context frozen, so an in-place
 * change is an error naming its action; src/model/model-error.ts) and gathers evidence on the
 * way: which event types the alphabet produces, what every guard evaluated to, which state
 * nodes were entered, which transitions were taken, which context fields ever change, whether
 * everything is plain JSON, and what each property reads (through recording proxies,
 * src/lint/reads.ts). The rules (src/lint/rules.ts) are judged on that evidence.
 *
 * Rules that claim an absence (never produced, never true, never changes, vacuous) need the
 * whole reachable space: with a state budget that runs out (`check` lints its first states
 * only) they are not judged, and the report says so.
 */
import type { EventObject } from 'xstate';
import { resolveConfig, type ConfigRequest } from '../model/config.ts';
import type {
  Invariant,
  ModelDefinition,
  Recoverable,
  Step,
  StepProperty,
} from '../model/model.ts';
import type { TransitionInfo } from '../model/compiled.ts';
import { ModelRuntimeError } from '../model/model-error.ts';
import { ModelSystem, type SystemNode } from '../model/system.ts';
import { definitionFindings } from './definition.ts';
import { FieldChanges } from './fields.ts';
import { firstNonJson } from './json-values.ts';
import { ReadRecorder } from './reads.ts';
import { finding, type Finding } from './rules.ts';
import { Suppressions } from './suppressions.ts';

export interface LintOptions extends ConfigRequest {
  /** Explore at most this many states; the rules about absence are then not judged. */
  maxStates?: number;
}

export interface LintReport {
  protocol: string;
  bounds: Record<string, number>;
  variants: string[];
  /** States explored, and the steps between them. */
  states: number;
  transitions: number;
  /** Whether every reachable state was explored (absence rules and vacuity need it). */
  complete: boolean;
  /** Every finding, suppressed ones included (they carry the reason in `suppressed`). */
  findings: Finding[];
  /** Per vacuous property, why (judged only when complete; suppressed ones included). */
  vacuous: Record<string, string>;
}

/** The findings that count: errors, and warnings unless suppressed; with `strict`, all as errors. */
export function activeFindings(report: LintReport): Finding[] {
  return report.findings.filter((f) => f.suppressed === undefined);
}

export function lintErrors(report: LintReport, strict = false): Finding[] {
  return activeFindings(report).filter((f) => strict || f.severity === 'error');
}

export function lintModel(definition: ModelDefinition, options: LintOptions = {}): LintReport {
  const config = resolveConfig(definition, options);
  const evidence = new Evidence();
  const system = new ModelSystem(definition, config, {
    guardProbe: (id, result) => evidence.guard(id, result),
  });
  system.checking = true;
  const explored = exploreFor(system, evidence, options.maxStates ?? Infinity);

  const suppressions = new Suppressions(system.instance, system.compiled);
  const findings: Finding[] = [
    ...definitionFindings(definition, system.instance),
    ...suppressions.problems,
    ...evidence.jsonFindings,
  ];
  let vacuous: Record<string, string> = {};
  if (explored.complete) {
    findings.push(...machineFindings(system, evidence));
    vacuous = vacuity(system, evidence);
    for (const [property, reason] of Object.entries(vacuous)) {
      findings.push(
        finding(
          'vacuous',
          { kind: 'property', id: property },
          `property '${property}' is vacuous: ${reason}`,
        ),
      );
    }
  }
  const judged = suppressions.apply(findings);
  // A suppression is for the default model: a variant or other bounds may well not need it.
  const atDefaults =
    config.variants.size === 0 &&
    definition.bounds.every((b) => config.bounds[b.name] === b.default);
  if (explored.complete && atDefaults) judged.push(...suppressions.unused());
  return {
    protocol: definition.name,
    bounds: { ...config.bounds },
    variants: [...config.variants],
    states: explored.states,
    transitions: explored.transitions,
    complete: explored.complete,
    findings: judged,
    vacuous,
  };
}

/* ---------- the evidence ---------- */

/** Evaluations of each property recorded whether or not it is settled (see Evidence.recording). */
const RECORDED_AT_LEAST = 1000;

class Evidence {
  readonly guardTrue: number[] = [];
  readonly guardFalse: number[] = [];
  readonly taken: number[] = [];
  readonly eventTypes = new Set<string>();
  /** States explored per configuration number. */
  readonly configStates = new Map<number, number>();
  readonly stateFields = new FieldChanges();
  readonly stepFields = new FieldChanges();
  /** Per property name: the fields it read, whether its `when` ever held, whether its goal ever failed. */
  readonly reads = new Map<string, Set<string>>();
  readonly whenHeld = new Set<string>();
  readonly goalFailed = new Set<string>();
  /** Monitors whose state differed from the initial one somewhere. */
  readonly monitorsMoved = new Set<number>();
  readonly jsonFindings: Finding[] = [];
  /**
   * Properties already shown not to be vacuous (their \`when\` held and they read a field seen
   * to change): they need not run on recording proxies any more.
   */
  readonly settled = new Set<string>();
  /** Evaluations on recording proxies so far, per property. */
  private readonly recordings = new Map<string, number>();
  states = 0;

  /**
   * Whether to run `property` on recording proxies now: an invariant or step property until it
   * is settled (its vacuity is judged on its reads), and every property for its first
   * RECORDED_AT_LEAST evaluations (the fields rule asks whether some property reads a field
   * that never changes). Counts the evaluation.
   */
  recording(property: string, judgedOnReads: boolean): boolean {
    const done = this.recordings.get(property) ?? 0;
    if (done >= RECORDED_AT_LEAST && (!judgedOnReads || this.settled.has(property))) return false;
    this.recordings.set(property, done + 1);
    return true;
  }

  /** Every field some property was seen to read. */
  readByProperties(): Set<string> {
    const all = new Set<string>();
    for (const reads of this.reads.values()) for (const field of reads) all.add(field);
    return all;
  }

  guard(id: number, result: boolean): void {
    const counts = result ? this.guardTrue : this.guardFalse;
    counts[id] = (counts[id] ?? 0) + 1;
  }

  /** Whether `field` (as src/lint/reads.ts spells it) changed over what was explored so far. */
  changes(field: string, compiled: ModelSystem['compiled']): boolean {
    if (field === 'state') return this.configStates.size > 1;
    if (field.startsWith('state:')) {
      const path = field.slice('state:'.length);
      let active = 0;
      for (const [config, count] of this.configStates) {
        if (compiled.view({ config, context: undefined }).matches(path)) active += count;
      }
      return active > 0 && active < this.states;
    }
    return this.stateFields.changes(field) || this.stepFields.changes(field);
  }

  /** Settles the properties that have read a field that changes (every so many states). */
  settle(names: readonly string[], compiled: ModelSystem['compiled'], hasWhen: Set<string>): void {
    for (const name of names) {
      if (this.settled.has(name)) continue;
      if (hasWhen.has(name) && !this.whenHeld.has(name)) continue;
      const reads = this.reads.get(name);
      if (reads && [...reads].some((field) => this.changes(field, compiled)))
        this.settled.add(name);
    }
  }

  /** The set of fields `property` read so far (the read recorder adds to it). */
  readsOf(property: string): Set<string> {
    let known = this.reads.get(property);
    if (!known) this.reads.set(property, (known = new Set()));
    return known;
  }

  /** Records the first value that is not plain JSON; false when there was one. */
  plain(value: unknown, path: string, whereFound: () => string): boolean {
    const found = firstNonJson(value, path);
    if (!found) return true;
    this.jsonFindings.push(
      finding(
        'not-plain-json',
        { kind: 'field', id: found.path },
        `${found.path} is ${found.what} (${whereFound()}): states are compared by their JSON, where ${found.what} ${jsonFate(found.what)}, so states that differ are merged; use arrays, plain objects, numbers, strings, booleans and null`,
      ),
    );
    return false;
  }
}

function jsonFate(what: string): string {
  if (what === 'a Set' || what === 'a Map') return 'is {}';
  if (what === 'undefined' || what === 'a function') return 'vanishes';
  if (what === 'NaN' || what.includes('Infinity')) return 'is null';
  return 'loses what it is';
}

/* ---------- the exploration ---------- */

function exploreFor(
  system: ModelSystem,
  evidence: Evidence,
  maxStates: number,
): { states: number; transitions: number; complete: boolean } {
  const recorder = new ReadRecorder();
  const { instance } = system;
  const invariants = instance.properties.filter(
    (p): p is Invariant<unknown> => p.kind === 'invariant',
  );
  const stepProperties = instance.properties.filter(
    (p): p is StepProperty<unknown, EventObject> => p.kind === 'step',
  );
  const recorded = [...invariants, ...stepProperties].map((p) => p.name);
  const withWhen = new Set(
    [...invariants, ...stepProperties].filter((p) => p.when !== undefined).map((p) => p.name),
  );
  const recoverables = instance.properties.filter(
    (p): p is Recoverable<unknown> => p.kind === 'recoverable',
  );

  const { node: start, outputs } = system.initial();
  const initialMonitors = start.monitors.map((m) => JSON.stringify(m));
  if (!evidence.plain(outputs, 'outputs', () => 'emitted on entering the initial state')) {
    return { states: 0, transitions: 0, complete: false };
  }
  const ids = new Map<string, number>([[system.key(start), 0]]);
  const queue: Array<SystemNode | undefined> = [start];
  let transitions = 0;
  for (let index = 0; index < queue.length; index++) {
    if (index >= maxStates) return { states: index, transitions, complete: false };
    const node = queue[index]!;
    queue[index] = undefined;
    evidence.states++;
    if (!evidence.plain(node.state.context, 'context', () => `in ${describeState(system, node)}`)) {
      return { states: index + 1, transitions, complete: false };
    }
    if (!plainMonitors(system, node, evidence))
      return { states: index + 1, transitions, complete: false };
    const config = node.state.config;
    evidence.configStates.set(config, (evidence.configStates.get(config) ?? 0) + 1);
    if ((index & 0xff) === 0xff) evidence.settle(recorded, system.compiled, withWhen);
    evidence.stateFields.add({ context: node.state.context });

    const view = system.view(node);
    for (const invariant of invariants) {
      if (!evidence.recording(invariant.name, true)) continue;
      recorder.into(evidence.readsOf(invariant.name));
      const recorded = recorder.state(view);
      try {
        if (!invariant.when || invariant.when(recorded)) {
          evidence.whenHeld.add(invariant.name);
          invariant.check(recorded);
        }
      } catch {
        // See RECORDING.
      }
    }
    for (const recoverable of recoverables) {
      let goal: boolean;
      try {
        goal = recoverable.goal(view);
      } catch (error) {
        throw new ModelRuntimeError(`the goal of recoverable '${recoverable.name}'`, error);
      }
      if (!goal) evidence.goalFailed.add(recoverable.name);
      if (evidence.recording(recoverable.name, false)) {
        recorder.into(evidence.readsOf(recoverable.name));
        try {
          recoverable.goal(recorder.state(view));
        } catch {
          // See RECORDING.
        }
      }
    }

    const events = system.events(node);
    for (const event of events) {
      evidence.eventTypes.add(event.type);
      if (
        !evidence.plain(
          event,
          'event',
          () => `produced by events() in ${describeState(system, node)}`,
        )
      ) {
        return { states: index + 1, transitions, complete: false };
      }
    }
    for (const successor of system.successors(node, events)) {
      transitions++;
      for (const id of successor.result.transitions)
        evidence.taken[id] = (evidence.taken[id] ?? 0) + 1;
      const { outputs } = successor.result;
      if (
        !evidence.plain(
          outputs,
          'outputs',
          () => `emitted on '${successor.event.type}' in ${describeState(system, node)}`,
        )
      ) {
        return { states: index + 1, transitions, complete: false };
      }
      evidence.stepFields.add({ event: successor.event, outputs });
      successor.node.monitors.forEach((m, i) => {
        if (!evidence.monitorsMoved.has(i) && JSON.stringify(m) !== initialMonitors[i]) {
          evidence.monitorsMoved.add(i);
        }
      });
      const unsettled = stepProperties.filter((p) => evidence.recording(p.name, true));
      const monitors = system.monitors.filter((m) => evidence.recording(m.name, false));
      if (unsettled.length > 0 || monitors.length > 0) {
        const step: Step<unknown, EventObject> = {
          from: view,
          event: successor.event,
          outputs,
          to: system.view(successor.node),
        };
        for (const monitor of monitors) {
          recorder.into(evidence.readsOf(monitor.name));
          try {
            monitor.step(node.monitors[system.monitors.indexOf(monitor)], recorder.step(step));
          } catch {
            // See RECORDING.
          }
        }
        for (const property of unsettled) {
          recorder.into(evidence.readsOf(property.name));
          const recorded = recorder.step(step);
          try {
            if (!property.when || property.when(recorded)) {
              evidence.whenHeld.add(property.name);
              property.check(recorded);
            }
          } catch {
            // See RECORDING.
          }
        }
      }
      const key = system.key(successor.node);
      if (!ids.has(key)) {
        ids.set(key, queue.length);
        queue.push(successor.node);
      }
    }
  }
  return { states: queue.length, transitions, complete: true };
}

function plainMonitors(system: ModelSystem, node: SystemNode, evidence: Evidence): boolean {
  return system.monitors.every((monitor, i) =>
    evidence.plain(
      node.monitors[i],
      `monitor '${monitor.name}'`,
      () => `in ${describeState(system, node)}`,
    ),
  );
}

/*
 * RECORDING: properties run a second time, on recording proxies, for their reads only: the
 * verdict is the explorer's business (and they already ran on the real values without
 * throwing), so anything the proxies make them do differently is ignored.
 */

function describeState(system: ModelSystem, node: SystemNode): string {
  const value = JSON.stringify(system.compiled.stateValue(node.state.config));
  return value === '{}' ? 'a reachable state' : `state ${value}`;
}

/* ---------- the rules on the evidence ---------- */

function machineFindings(system: ModelSystem, evidence: Evidence): Finding[] {
  const findings: Finding[] = [];
  const { compiled } = system;
  const entered = new Set<string>();
  for (const config of evidence.configStates.keys()) {
    for (const id of compiled.activeStateNodes(config)) entered.add(id);
  }
  const accepted = new Set(
    compiled.transitions.map((t) => t.eventType).filter((type) => type !== ''),
  );
  const unaccepted = [...evidence.eventTypes].filter((type) => !accepted.has(type));

  for (const id of compiled.stateNodeIds) {
    if (!entered.has(id)) {
      findings.push(
        finding(
          'state-never-entered',
          { kind: 'state', id },
          `state ${id} is never entered in ${evidence.states} explored states`,
        ),
      );
    }
  }
  // An earlier transition for the same event on the same node that always wins when it is
  // asked (no guard, or a guard never false) hides the ones after it: they are reported with it.
  const shadowedBy = new Map<number, TransitionInfo>();
  const siblings = new Map<string, TransitionInfo[]>();
  for (const transition of compiled.transitions) {
    const key = `${transition.source}\0${transition.eventType}`;
    const earlier = siblings.get(key) ?? [];
    const winner = earlier.find((t) => alwaysWins(t, evidence));
    if (winner) shadowedBy.set(transition.id, winner);
    siblings.set(key, [...earlier, transition]);
  }
  const shadowing = (winner: TransitionInfo) => {
    const hidden = compiled.transitions.filter((t) => shadowedBy.get(t.id) === winner);
    return hidden.length === 0
      ? ''
      : `; the transitions after it for the event (${hidden.map((t) => t.label.slice(t.label.lastIndexOf(':') + 1)).join(', ')}) are never asked`;
  };

  for (const transition of compiled.transitions) {
    const at = { kind: 'transition' as const, id: transition.label };
    if (!entered.has(transition.source)) continue; // state-never-entered says it
    const { eventType } = transition;
    const guard =
      transition.guard === 'guard' || transition.guard === 'inline'
        ? 'its inline guard'
        : `guard '${transition.guard}'`;
    if (eventType !== '' && !evidence.eventTypes.has(eventType)) {
      const near = unaccepted.filter((type) => closeSpelling(type, eventType));
      findings.push(
        finding(
          'event-never-produced',
          at,
          `transition ${transition.label}: the alphabet never produces '${eventType}' (in ${evidence.states} explored states), so this part of the machine is never explored` +
            (near.length > 0
              ? `; events() produces ${near.map((t) => `'${t}'`).join(', ')}, which no transition accepts: a typo?`
              : ''),
        ),
      );
      continue;
    }
    const winner = shadowedBy.get(transition.id);
    if (winner && (evidence.taken[transition.id] ?? 0) === 0) {
      // Said with the winner's guard-never-false; an unguarded winner has no finding of its own.
      if (winner.guard === undefined) {
        findings.push(
          finding(
            'transition-never-taken',
            at,
            `transition ${transition.label} is never taken: ${winner.label} before it has no guard, so it always wins`,
          ),
        );
      }
      continue;
    }
    const yes = evidence.guardTrue[transition.id] ?? 0;
    const no = evidence.guardFalse[transition.id] ?? 0;
    if (transition.guard !== undefined && yes + no > 0) {
      if (yes === 0) {
        findings.push(
          finding(
            'guard-never-true',
            at,
            `transition ${transition.label}: ${guard} is false in all ${no} evaluations, so the transition is never taken`,
          ),
        );
        continue;
      }
      if (no === 0) {
        findings.push(
          finding(
            'guard-never-false',
            at,
            `transition ${transition.label}: ${guard} is true in all ${yes} evaluations, so it never blocks the transition${shadowing(transition)}`,
          ),
        );
      }
    }
    if ((evidence.taken[transition.id] ?? 0) === 0) {
      findings.push(
        finding(
          'transition-never-taken',
          at,
          `transition ${transition.label} is never taken, although ${eventType === '' ? 'its state is entered' : `'${eventType}' is produced and its state entered`} (the event is never produced while the state is active, or another region takes it)`,
        ),
      );
    }
  }
  for (const type of unaccepted) {
    findings.push(
      finding(
        'event-never-accepted',
        { kind: 'event', id: type },
        `events() produces '${type}', which no transition of the machine accepts`,
      ),
    );
  }
  // A field that never changes but that a property reads is what the property checks (a ghost
  // fault flag that stays null in a correct model): only unread ones are dead weight.
  const read = evidence.readByProperties();
  for (const { field, changes, value } of evidence.stateFields.fields()) {
    if (changes || read.has(field) || field.endsWith('.length') || field.endsWith('.*keys'))
      continue;
    findings.push(
      finding(
        'field-never-changes',
        { kind: 'field', id: field },
        `${field} is ${JSON.stringify(value)} in every one of ${evidence.states} explored states, and no property reads it`,
      ),
    );
  }
  return findings;
}

/** Whether a transition is taken whenever it is asked: no guard, or a guard never false. */
function alwaysWins(transition: TransitionInfo, evidence: Evidence): boolean {
  if (transition.guard === undefined) return true;
  const yes = evidence.guardTrue[transition.id] ?? 0;
  return yes > 0 && (evidence.guardFalse[transition.id] ?? 0) === 0;
}

/** Per property, why it is vacuous; properties that are not are left out. */
function vacuity(system: ModelSystem, evidence: Evidence): Record<string, string> {
  const vacuous: Record<string, string> = {};
  const { compiled } = system;
  const total = evidence.states;
  const rootPrefix = compiled.stateNodeIds[0] + '.';
  const activeIn = new Map<string, number>();
  for (const [config, count] of evidence.configStates) {
    for (const id of compiled.activeStateNodes(config)) {
      const path = id.slice(rootPrefix.length);
      activeIn.set(path, (activeIn.get(path) ?? 0) + count);
    }
  }
  const changes = (field: string): boolean => {
    if (field === 'state') return evidence.configStates.size > 1;
    if (field.startsWith('state:')) {
      const count = activeIn.get(field.slice('state:'.length)) ?? 0;
      return count > 0 && count < total;
    }
    return evidence.stateFields.changes(field) || evidence.stepFields.changes(field);
  };
  system.monitors.forEach((monitor, i) => {
    if (!evidence.monitorsMoved.has(i)) {
      vacuous[monitor.name] =
        `its state never leaves the initial one (${JSON.stringify(system.initial().node.monitors[i])}) in ${total} explored states: what it remembers across steps is never put to the test (it judges each step alone, as a step property would)`;
    }
  });
  for (const property of system.instance.properties) {
    if (property.kind === 'recoverable') {
      if (!evidence.goalFailed.has(property.name)) {
        vacuous[property.name] = `its goal holds in every one of ${total} explored states`;
      }
      continue;
    }
    if (property.kind !== 'invariant' && property.kind !== 'step') continue;
    const where = property.kind === 'invariant' ? 'state' : 'step';
    if (property.when && !evidence.whenHeld.has(property.name)) {
      vacuous[property.name] = `its \`when\` holds in no explored ${where}`;
      continue;
    }
    const reads = [...(evidence.reads.get(property.name) ?? [])];
    if (!reads.some(changes)) {
      vacuous[property.name] =
        reads.length === 0
          ? `it reads nothing of the ${where}, so it is the same in every one`
          : `it reads only fields that never change (${listed(reads)}), so it is the same in every ${where}`;
    }
  }
  return vacuous;
}

function listed(fields: string[]): string {
  return fields.length <= 4
    ? fields.join(', ')
    : `${fields.slice(0, 4).join(', ')} and ${fields.length - 4} more`;
}

/** Two event types a typo apart: one edit (insert, delete, substitute, swap) or differing only in case. */
export function closeSpelling(a: string, b: string): boolean {
  if (a.toLowerCase() === b.toLowerCase()) return true;
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const restA = a.slice(i);
  const restB = b.slice(i);
  return (
    restA.slice(1) === restB.slice(1) || // substitute
    restA.slice(1) === restB || // delete from a
    restA === restB.slice(1) || // insert into a
    (restA.length >= 2 &&
      restA[0] === restB[1] &&
      restA[1] === restB[0] &&
      restA.slice(2) === restB.slice(2)) // swap
  );
}
