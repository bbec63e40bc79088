/**
 * Plain JSON data: what a context, an event, an output and a monitor's state must be. The
 * engine identifies a state by its JSON (or the equivalent bytes), so anything JSON does not
 * carry faithfully merges states that differ: a Set or a Map is `{}`, a class instance loses
 * its class, `undefined` and functions vanish, NaN and Infinity become null.
 */

/** The first value under `value` that is not plain JSON data: where it is and what it is. */
export function firstNonJson(
  value: unknown,
  path: string,
): { path: string; what: string } | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : { path, what: String(value) };
    case 'undefined':
      return { path, what: 'undefined' };
    case 'function':
      return { path, what: 'a function' };
    case 'bigint':
      return { path, what: 'a bigint' };
    case 'symbol':
      return { path, what: 'a symbol' };
  }
  if (value === null) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) return { path: `${path}[${i}]`, what: 'a hole in an array' };
      const found = firstNonJson(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    const name = (value as object).constructor?.name;
    return { path, what: name ? `a ${name}` : 'an object with a prototype' };
  }
  for (const key of Object.keys(value as object)) {
    const found = firstNonJson((value as Record<string, unknown>)[key], `${path}.${key}`);
    if (found) return found;
  }
  return undefined;
}
