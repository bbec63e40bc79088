/**
 * Lint suppressions: explicit, local and with a reason, as eslint-disable comments are. They
 * live where the finding is: `meta: { lint: { rule: 'why' } }` on a transition or a state node,
 * `lint: { vacuous: 'why' }` on a property, and at the machine's root a map per rule from the
 * event type or context field to the reason (`lint: { 'field-never-changes': { 'context.x':
 * 'why' } }`). A suppression that names no rule, sits where its rule is not suppressed, or
 * suppresses nothing is itself a finding.
 */
import type { LintAllow, ModelInstance } from '../model/model.ts';
import type { CompiledMachine } from '../model/compiled.ts';
import { finding, isRuleId, RULES, type Finding, type SuppressedAt } from './rules.ts';

interface Suppression {
  rule: string;
  /** The subject it applies to (a transition label, a state id, an event type, a field, a property). */
  subject: string;
  reason: string;
  /** Where it is written, for messages. */
  where: string;
  used: boolean;
}

interface StateNodeLike {
  id: string;
  meta?: { lint?: LintAllow };
  states: Record<string, StateNodeLike>;
}

export class Suppressions {
  private readonly entries: Suppression[] = [];
  /** Suppressions that are wrong in themselves. */
  readonly problems: Finding[] = [];

  constructor(instance: ModelInstance, compiled: CompiledMachine) {
    const root = instance.machine.root as unknown as StateNodeLike;
    this.collectStates(root, root.id);
    compiled.transitions.forEach((transition) => {
      const meta = compiled.transitionMeta(transition.id) as { lint?: LintAllow } | undefined;
      this.collect(meta?.lint, 'transition', transition.label, `transition ${transition.label}`);
    });
    for (const property of instance.properties) {
      this.collect(property.lint, 'property', property.name, `property '${property.name}'`);
    }
  }

  /** Marks each finding that a suppression covers with the suppression's reason. */
  apply(findings: Finding[]): Finding[] {
    return findings.map((f) => {
      const entry = this.entries.find((e) => e.rule === f.rule && e.subject === f.subject.id);
      if (!entry) return f;
      entry.used = true;
      return { ...f, suppressed: entry.reason };
    });
  }

  /** Suppressions that `apply` never used. */
  unused(): Finding[] {
    return this.entries
      .filter((e) => !e.used)
      .map((e) =>
        finding(
          'unused-suppression',
          { kind: 'model', id: e.where },
          `${e.where}: the suppression of '${e.rule}'${e.subject === e.where ? '' : ` for ${e.subject}`} suppresses nothing here`,
        ),
      );
  }

  private collectStates(node: StateNodeLike, rootId: string): void {
    const placement = node.id === rootId ? 'root' : 'state';
    const where = placement === 'root' ? `the machine's root (${node.id})` : `state ${node.id}`;
    this.collect(node.meta?.lint, placement, node.id, where);
    for (const child of Object.values(node.states)) this.collectStates(child, rootId);
  }

  private collect(
    lint: LintAllow | undefined,
    placement: 'transition' | 'state' | 'root' | 'property',
    subject: string,
    where: string,
  ): void {
    if (lint === undefined) return;
    for (const [rule, value] of Object.entries(lint)) {
      const bad = (why: string) =>
        this.problems.push(
          finding('bad-suppression', { kind: 'model', id: where }, `${where}: ${why}`),
        );
      if (!isRuleId(rule)) {
        bad(`lint suppression of unknown rule '${rule}'`);
        continue;
      }
      const at: SuppressedAt = RULES[rule].suppressedAt;
      // A state node suppresses state rules; the root also takes the per-subject maps.
      const fits = at === placement || (placement === 'root' && at === 'state');
      if (!fits) {
        bad(
          `'${rule}' is suppressed ${at === 'nowhere' ? 'nowhere' : `on the ${at === 'root' ? "machine's root" : at}`}, not here`,
        );
        continue;
      }
      if (at === 'root') {
        if (typeof value !== 'object') {
          bad(
            `'${rule}' takes a map from the ${rule === 'event-never-accepted' ? 'event type' : 'field'} to the reason`,
          );
          continue;
        }
        for (const [item, reason] of Object.entries(value)) {
          if (!reason.trim()) bad(`the suppression of '${rule}' for ${item} gives no reason`);
          else this.entries.push({ rule, subject: item, reason, where, used: false });
        }
      } else if (typeof value !== 'string' || !value.trim()) {
        bad(`the suppression of '${rule}' gives no reason (a string saying why)`);
      } else {
        this.entries.push({ rule, subject, reason: value, where, used: false });
      }
    }
  }
}
