/**
 * Which fields ever change over the explored space: a field (a path as src/lint/reads.ts spells
 * it) changes when two explored states (or steps, for the event and the outputs) give it
 * different values, or when it is there in one and not in another. Leaves are what is
 * compared: primitives, an array's length, an object's key set.
 *
 * The fields form a tree walked beside each sample (no path strings are built per sample:
 * the lint walks every context it explores).
 */
import { fieldPath } from './reads.ts';

class Field {
  /** The leaf value first seen here (leaves only). */
  first: unknown = undefined;
  seen = false;
  changing = false;
  /** Samples that had this field, and the last sample counted. */
  present = 0;
  lastSample = -1;
  /** Children by key; `[]` is the items of an array, `length` and `*keys` its leaves. */
  readonly children = new Map<string, Field>();

  constructor(readonly path: string) {}

  child(key: string): Field {
    let child = this.children.get(key);
    if (!child) {
      const path = key === '[]' ? `${this.path}[]` : fieldPath(this.path, key);
      this.children.set(key, (child = new Field(path)));
    }
    return child;
  }
}

export class FieldChanges {
  private readonly root = new Field('');
  private readonly byPath = new Map<string, Field>();
  private samples = 0;

  /** Records the leaves of one sample (a state's context, or a step's event and outputs). */
  add(roots: Readonly<Record<string, unknown>>): void {
    const sample = this.samples++;
    for (const key in roots) this.walk(roots[key], this.root.child(key), sample);
  }

  /** Whether `field` took two values, or was missing from some sample; false if never seen. */
  changes(field: string): boolean {
    const found = this.byPath.get(field);
    return found !== undefined && (found.changing || found.present < this.samples);
  }

  /** Every leaf field seen, whether it changes, and its first value, in the order first seen. */
  fields(): Array<{ field: string; changes: boolean; value: unknown }> {
    return [...this.byPath.values()].map((field) => ({
      field: field.path,
      changes: this.changes(field.path),
      value: field.first,
    }));
  }

  private leaf(field: Field, value: unknown, sample: number): void {
    if (!field.seen) {
      field.seen = true;
      field.first = value;
      this.byPath.set(field.path, field);
    } else if (!field.changing && !Object.is(field.first, value)) {
      field.changing = true;
    }
    if (field.lastSample !== sample) {
      field.lastSample = sample;
      field.present++;
    }
  }

  private walk(value: unknown, field: Field, sample: number): void {
    if (typeof value !== 'object' || value === null) {
      this.leaf(field, value, sample);
    } else if (Array.isArray(value)) {
      this.leaf(field.child('length'), value.length, sample);
      if (value.length === 0) return;
      const items = field.child('[]');
      for (let i = 0; i < value.length; i++) this.walk(value[i], items, sample);
    } else {
      const keys = Object.keys(value);
      this.leaf(field.child('*keys'), keys.join(','), sample);
      for (const key of keys) {
        this.walk((value as Record<string, unknown>)[key], field.child(key), sample);
      }
    }
  }
}
