/**
 * What a property reads: its inputs (a state, a step) are handed over wrapped in proxies that
 * record the path of every field read, so the lint can tell a property that reads no field that
 * ever changes (it computes a constant: it is vacuous).
 *
 * Paths are fields, not places: array indices become `[]` (`context.wire[].seq`), an array's
 * length is the field `context.wire.length`, an object's key set `....*keys`, and a step's
 * `from.context` and `to.context` are the same fields as a state's `context`. The event and the
 * outputs are `event.type`, `outputs[].rc`; `matches(path)` reads the field `state:<path>` and
 * `value` reads `state`.
 *
 * The proxies forward to a blank target of the same kind, not to the value itself: contexts are
 * frozen in checking mode, and a proxy of a frozen object may not return anything but the
 * frozen property itself (a wrapped child would break the Proxy invariants). One proxy is made
 * per object and path for the whole run (states share most of their objects), and all of them
 * record into whichever set `into` last named.
 */
import type { EventObject } from 'xstate';
import type { ModelState, Step } from '../model/model.ts';

/** Appends a property key to a field path: indices become `[]`. */
export function fieldPath(path: string, key: string): string {
  if (/^\d+$/.test(key)) return `${path}[]`;
  return path === '' ? key : `${path}.${key}`;
}

/** What a blank proxy target stands for. */
interface Wrapped {
  value: object;
  path: string;
  isArray: boolean;
  /** Field paths of the children read so far, by key. */
  children: Map<string, string>;
}

export class ReadRecorder {
  /** Where reads go now. */
  private reads = new Set<string>();
  private readonly proxies = new WeakMap<object, Map<string, object>>();
  private readonly wrapped = new WeakMap<object, Wrapped>();
  private readonly handler: ProxyHandler<object>;

  constructor() {
    const info = (target: object) => this.wrapped.get(target)!;
    this.handler = {
      get: (target, key) => {
        const { value, isArray } = info(target);
        const read = Reflect.get(value, key);
        if (typeof key === 'symbol') return read;
        if (isArray && key === 'length') {
          this.reads.add(this.childPath(info(target), 'length'));
          return read;
        }
        // Methods come from the prototype; a key that is not there is read all the same (a
        // misspelt field is a field that never changes). JSON.stringify asks for toJSON.
        if (typeof read === 'function' || key === 'toJSON') return read;
        return this.child(info(target), key, read);
      },
      has: (target, key) => {
        const wrapped = info(target);
        if (typeof key === 'string') this.reads.add(this.childPath(wrapped, key));
        return Reflect.has(wrapped.value, key);
      },
      ownKeys: (target) => {
        const wrapped = info(target);
        // The key set is what is read: for an array, its length.
        this.reads.add(this.childPath(wrapped, wrapped.isArray ? 'length' : '*keys'));
        return Reflect.ownKeys(wrapped.value);
      },
      getOwnPropertyDescriptor: (target, key) => {
        const wrapped = info(target);
        const descriptor = Reflect.getOwnPropertyDescriptor(wrapped.value, key);
        if (!descriptor) return undefined;
        if (wrapped.isArray && key === 'length') {
          // The blank array's own length is non-configurable: report it as such.
          return {
            value: descriptor.value,
            writable: true,
            enumerable: false,
            configurable: false,
          };
        }
        return {
          value:
            typeof key === 'symbol' ? descriptor.value : this.child(wrapped, key, descriptor.value),
          writable: true,
          enumerable: descriptor.enumerable,
          configurable: true,
        };
      },
      getPrototypeOf: (target) => Reflect.getPrototypeOf(info(target).value),
      set: () => false,
      deleteProperty: () => false,
      defineProperty: () => false,
    };
  }

  /** Sends the reads from now on to `reads`. */
  into(reads: Set<string>): void {
    this.reads = reads;
  }

  state<C>(state: ModelState<C>): ModelState<C> {
    const reads = () => this.reads;
    const context = this.wrap(state.context, 'context') as C;
    return {
      get value() {
        reads().add('state');
        return state.value;
      },
      context,
      matches(path: string) {
        reads().add(`state:${path}`);
        return state.matches(path);
      },
    };
  }

  step<C, E extends EventObject>(step: Step<C, E>): Step<C, E> {
    return {
      from: this.state(step.from),
      to: this.state(step.to),
      event: this.wrap(step.event, 'event') as E,
      outputs: this.wrap(step.outputs, 'outputs') as Step<C, E>['outputs'],
    };
  }

  /** `value` behind a recording proxy, if it is an object, read as the field `path`. */
  wrap(value: unknown, path: string): unknown {
    if (typeof value !== 'object' || value === null) return value;
    let byPath = this.proxies.get(value);
    if (!byPath) this.proxies.set(value, (byPath = new Map()));
    const known = byPath.get(path);
    if (known) return known;
    const isArray = Array.isArray(value);
    const target = isArray ? [] : {};
    this.wrapped.set(target, { value, path, isArray, children: new Map() });
    const proxy = new Proxy(target, this.handler);
    byPath.set(path, proxy);
    return proxy;
  }

  private childPath(wrapped: Wrapped, key: string): string {
    let path = wrapped.children.get(key);
    if (path === undefined) wrapped.children.set(key, (path = fieldPath(wrapped.path, key)));
    return path;
  }

  private child(wrapped: Wrapped, key: string, read: unknown): unknown {
    if (typeof read === 'function') return read;
    const path = this.childPath(wrapped, key);
    if (typeof read !== 'object' || read === null) {
      this.reads.add(path);
      return read;
    }
    return this.wrap(read, path);
  }
}
