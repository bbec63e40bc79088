/**
 * The model lint's rules: what each one finds, how bad it is and what to do about it.
 *
 * An error makes a verdict meaningless (states merged that differ, part of the machine never
 * explored, a model the engine cannot read): `check` refuses to give one. A warning is
 * printed beside the verdict; `lint --strict` (which the test suite runs on every registered
 * model) makes warnings errors. A warning that does not apply at some place is suppressed
 * there, with the reason (`LintAllow` in src/model/model.ts); errors cannot be suppressed,
 * except `event-never-produced`, which a model may mean at some bounds.
 */
export type Severity = 'error' | 'warning';

/** Where a suppression for the rule goes. */
export type SuppressedAt = 'transition' | 'state' | 'root' | 'property' | 'nowhere';

export interface Rule {
  severity: Severity;
  /** What the rule finds, in one line (docs/writing-models.md lists them). */
  finds: string;
  /** What the author should do. */
  fix: string;
  suppressedAt: SuppressedAt;
}

export const RULES = {
  'not-plain-json': {
    severity: 'error',
    finds:
      'a context, event, output or monitor state holding something that is not plain JSON data (a Set, a Map, a class instance, a function, undefined, NaN, Infinity)',
    fix: 'use arrays, plain objects, numbers, strings, booleans and null (a Set becomes a sorted array)',
    suppressedAt: 'nowhere',
  },
  'event-never-produced': {
    severity: 'error',
    finds:
      "a transition whose event the alphabet (events()) produces in no explored state, so that part of the machine is never explored (a typo in events() or in 'on')",
    fix: 'produce the event in events(), or correct the spelling on one side',
    suppressedAt: 'transition',
  },
  'bad-suppression': {
    severity: 'error',
    finds:
      'a lint suppression naming a rule that does not exist, placed where that rule is not suppressed, or without a reason',
    fix: 'use a rule `mailbox-models lint --rules` lists, where it says, with the reason',
    suppressedAt: 'nowhere',
  },
  'bad-definition': {
    severity: 'error',
    finds:
      'a model definition the engine cannot use as written: a name, bound, variant or property that is missing, repeated, out of range or not kebab-case',
    fix: 'correct the definition as the message says (src/model/model.ts is the contract)',
    suppressedAt: 'nowhere',
  },
  'event-never-accepted': {
    severity: 'warning',
    finds: 'an event type the alphabet produces that no transition of the machine accepts',
    fix: "correct its spelling, or drop it from events(); if a variant removes the transition, suppress it at the machine's root for that variant",
    suppressedAt: 'root',
  },
  'guard-never-true': {
    severity: 'warning',
    finds: 'a guard that is false every time it is evaluated: its transition is never taken',
    fix: 'correct the guard, or suppress it on the transition saying at which bounds it can hold',
    suppressedAt: 'transition',
  },
  'guard-never-false': {
    severity: 'warning',
    finds: 'a guard that is true every time it is evaluated: it never blocks anything',
    fix: 'drop the guard, or suppress it on the transition saying at which bounds it can fail',
    suppressedAt: 'transition',
  },
  'transition-never-taken': {
    severity: 'warning',
    finds:
      'a transition never taken although its event is produced and its state entered (shadowed by an earlier transition, or its event never produced while its state is active)',
    fix: 'reorder or merge the transitions, or produce the event where the state is active',
    suppressedAt: 'transition',
  },
  'state-never-entered': {
    severity: 'warning',
    finds: 'a state node no explored state is in',
    fix: 'make it reachable or remove it; if only other bounds reach it, suppress it on the state',
    suppressedAt: 'state',
  },
  'field-never-changes': {
    severity: 'warning',
    finds:
      'a context field with the same value in every explored state that no property reads (dead weight: a constant, or behaviour never explored)',
    fix: 'make it a constant of build() instead, or find why nothing changes it',
    suppressedAt: 'root',
  },
  vacuous: {
    severity: 'warning',
    finds:
      'a property that holds because it is never put to the test: a monitor that never leaves its initial state, an invariant or step property that reads no field that ever changes or whose `when` never holds, a recoverable property whose goal holds everywhere',
    fix: 'find why its antecedent is never met (an event never produced, a bound too small), or correct what it reads',
    suppressedAt: 'property',
  },
  'unbroken-property': {
    severity: 'warning',
    finds:
      "a property that no variant's `breaks` lists: nothing shows that it can fail (every property must be broken by some variant)",
    fix: 'add a variant that breaks it (variants: [{ name, description, source, breaks: [property] }], switched on in build()), or remove the property',
    suppressedAt: 'nowhere',
  },
  'unused-suppression': {
    severity: 'warning',
    finds: 'a lint suppression that suppresses nothing in the default model at its default bounds',
    fix: 'remove it, or say in its reason at which bounds it applies',
    suppressedAt: 'nowhere',
  },
} as const satisfies Record<string, Rule>;

export type RuleId = keyof typeof RULES;

export function isRuleId(name: string): name is RuleId {
  return Object.prototype.hasOwnProperty.call(RULES, name);
}

/** What a finding is about: a state node id, a transition label, an event type, a field path, a property name, or the model. */
export interface Subject {
  kind: 'state' | 'transition' | 'event' | 'field' | 'property' | 'model';
  id: string;
}

export interface Finding {
  rule: RuleId;
  severity: Severity;
  subject: Subject;
  message: string;
  /** The reason given where the finding is suppressed. */
  suppressed?: string;
}

export function finding(rule: RuleId, subject: Subject, message: string): Finding {
  return { rule, severity: RULES[rule].severity, subject, message };
}
