/**
 * Errors a model's author causes, and the checking mode that turns silent mistakes into them.
 *
 * A `ModelError` is the author's to fix (an unsupported XState feature, a guard that throws, an
 * action that changes the context in place): the CLI prints its message as one line and exits 2,
 * as for a usage error, never 1 (a property fails) and never a stack trace.
 *
 * Checking mode: the engine compares states by their JSON, so a model must never change a
 * context (or an event, an output, a monitor's state) in place: a `push` inside `assign` changes
 * the state the explorer is expanding, and the state count and the verdicts with it, without a
 * word. In checking mode everything handed to model code is deep-frozen first, so that such a
 * write throws at once, and the error names the guard, action or property that made it.
 */
export class ModelError extends Error {
  /** What the CLI's one line calls it: `mailbox-models: model error: ...`. */
  readonly kind: string = 'model error';
}

/** Model code (a guard, an action, a property, the event alphabet) threw while it was run. */
export class ModelRuntimeError extends ModelError {
  constructor(
    /** What threw, as a reader finds it: `action 'send' of transition toy.host.IDLE:send:0`. */
    readonly culprit: string,
    cause: unknown,
  ) {
    super(runtimeMessage(culprit, cause), { cause });
  }
}

/** Whether `error` is what a write to a frozen object throws in strict-mode code. */
export function isFrozenWrite(error: unknown): boolean {
  return (
    error instanceof TypeError &&
    /read[- ]only|not extensible|Cannot delete property|Cannot redefine property|Cannot freeze/.test(
      error.message,
    )
  );
}

function runtimeMessage(culprit: string, cause: unknown): string {
  const where = modelFrame(cause);
  const at = where ? `${where}: ` : '';
  const reason = cause instanceof Error ? cause.message : String(cause);
  if (isFrozenWrite(cause)) {
    return (
      `${at}${culprit} changes its input in place (${reason}); ` +
      'return new arrays and objects instead (assign(({ context }) => ({ list: [...context.list, x] })))'
    );
  }
  return `${at}${culprit} threw: ${reason}`;
}

/** The project's root, as the paths in stack frames spell it (no trailing slash). */
const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

/**
 * `file:line:column` of the innermost stack frame in the model's own code: the first frame
 * inside the project but outside the engine (src/, bin/) and node_modules, relative to it.
 */
export function modelFrame(error: unknown): string | undefined {
  if (!(error instanceof Error) || error.stack === undefined) return undefined;
  for (const match of error.stack.matchAll(/(?:file:\/\/)?(\/[^\s():]+):(\d+):(\d+)/g)) {
    const [, path, line, column] = match;
    if (!path.startsWith(ROOT + '/')) continue;
    const relative = path.slice(ROOT.length + 1);
    if (/^(src|bin)\//.test(relative) || relative.includes('node_modules/')) continue;
    return `${relative}:${line}:${column}`;
  }
  return undefined;
}

/**
 * Freezes `value` and everything reachable from it, and returns it. An object that is already
 * frozen is taken to be frozen all the way down (this module froze it), so that freezing a
 * new context costs only its new parts.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) deepFreeze(value[i]);
  } else {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/**
 * Whether checking mode is on for the whole of every run in this process: the test suite sets
 * `MAILBOX_MODELS_CHECKING=1` (vitest.config.ts), so that every exploration, walk and replay
 * in the tests runs on frozen inputs. The CLI checks the first states of every `check` and the
 * whole of `lint` regardless.
 */
export function checkingByDefault(): boolean {
  return typeof process !== 'undefined' && process.env.MAILBOX_MODELS_CHECKING === '1';
}

/**
 * One line for an error thrown while a model's modules load (`import` of the registry): the file
 * and the reason. esbuild (through tsx) names the place of a TypeScript syntax error in its
 * message, Node the place of a bad import at the top of the stack; anything else thrown at load
 * time is placed by its innermost frame in the project.
 */
export function loadErrorLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const esbuild = /(?:file:\/\/)?(\/[^\s:]+):(\d+):(\d+): ERROR: (.*)/.exec(message);
  if (esbuild) return `${relativeToRoot(esbuild[1])}:${esbuild[2]}:${esbuild[3]}: ${esbuild[4]}`;
  const reason = message.split('\n')[0];
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  const node = /^(?:file:\/\/)?(\/[^\s:]+):(\d+)\n/.exec(stack);
  if (node) return `${relativeToRoot(node[1])}:${node[2]}: ${reason}`;
  const where = modelFrame(error);
  return where ? `${where}: ${reason}` : reason;
}

function relativeToRoot(file: string): string {
  const path = file.startsWith('file://') ? new URL(file).pathname : file;
  return path.startsWith(ROOT + '/') ? path.slice(ROOT.length + 1) : path;
}
