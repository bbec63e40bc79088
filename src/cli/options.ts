/**
 * The command line's options, parsed strictly: an unknown option, an option the command does
 * not use, a repeated one that cannot repeat, or a malformed one is a UsageError naming the
 * valid choices. Negative numbers are values, not options (`--seed -5`).
 */
import { parseArgs } from 'node:util';
import { UsageError } from '../model/config.ts';

const OPTIONS = {
  bound: { type: 'string', multiple: true },
  deep: { type: 'boolean' },
  variant: { type: 'string', multiple: true },
  'max-states': { type: 'string' },
  workers: { type: 'string' },
  json: { type: 'boolean' },
  runs: { type: 'string' },
  steps: { type: 'string' },
  seed: { type: 'string' },
  path: { type: 'string' },
  suite: { type: 'string' },
  trace: { type: 'string' },
  report: { type: 'string' },
  format: { type: 'string' },
  impl: { type: 'string' },
  differential: { type: 'boolean' },
  timers: { type: 'string' },
  out: { type: 'string' },
  shard: { type: 'string' },
  help: { type: 'boolean' },
  strict: { type: 'boolean' },
  rules: { type: 'boolean' },
  symmetry: { type: 'boolean' },
  'check-symmetry': { type: 'boolean' },
} as const;

export type OptionName = keyof typeof OPTIONS;

/** Which options each command reads; anything else on its command line is a mistake. */
export const COMMAND_OPTIONS: Record<string, readonly OptionName[]> = {
  list: ['json'],
  check: [
    'bound',
    'deep',
    'variant',
    'max-states',
    'workers',
    'json',
    'report',
    'strict',
    'symmetry',
    'check-symmetry',
  ],
  lint: ['bound', 'deep', 'variant', 'max-states', 'json', 'strict', 'rules'],
  fuzz: ['bound', 'deep', 'variant', 'runs', 'steps', 'seed', 'path', 'json'],
  sweep: ['bound', 'variant', 'max-states', 'json', 'shard', 'out'],
  generate: [
    'bound',
    'deep',
    'variant',
    'suite',
    'seed',
    'runs',
    'steps',
    'format',
    'out',
    'max-states',
  ],
  conform: [
    'bound',
    'deep',
    'variant',
    'suite',
    'trace',
    'seed',
    'runs',
    'steps',
    'max-states',
    'json',
    'impl',
    'differential',
    'timers',
    'shard',
    'out',
  ],
  merge: ['json'],
  coverage: ['suite', 'json', 'max-states'],
  inspect: ['bound', 'deep', 'variant', 'max-states', 'out', 'trace', 'suite'],
  export: ['bound', 'deep', 'variant', 'format'],
};

type Values = {
  -readonly [K in OptionName]?: (typeof OPTIONS)[K] extends { type: 'boolean' }
    ? boolean
    : (typeof OPTIONS)[K] extends { multiple: true }
      ? string[]
      : string;
};

export type OptionValues = Values;

const isNumber = (text: string | undefined) => text !== undefined && /^-\d/.test(text);

/** `--seed -5` as `--seed=-5`: parseArgs would read `-5` as an option and stop. */
function joinNegativeValues(args: readonly string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = /^--([\w-]+)$/.exec(args[i])?.[1];
    const spec = name === undefined ? undefined : OPTIONS[name as OptionName];
    if (spec?.type === 'string' && isNumber(args[i + 1])) {
      joined.push(`${args[i]}=${args[i + 1]}`);
      i++;
    } else {
      joined.push(args[i]);
    }
  }
  return joined;
}

const list = (names: readonly string[]) => names.map((name) => `--${name}`).join(', ');

export function parseOptions(command: string, args: readonly string[]) {
  const allowed = COMMAND_OPTIONS[command] ?? (Object.keys(OPTIONS) as OptionName[]);
  let parsed;
  try {
    parsed = parseArgs({
      args: joinNegativeValues(args),
      allowPositionals: true,
      strict: true,
      // Every option is collected as a list so that a repeated one is noticed, not overwritten.
      options: Object.fromEntries(
        Object.entries(OPTIONS).map(([name, spec]) => [name, { ...spec, multiple: true }]),
      ) as { [K in OptionName]: { type: (typeof OPTIONS)[K]['type']; multiple: true } },
    });
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    const option = /'(-[^']*)'/.exec(message)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) {
      throw new UsageError(
        `unknown option '${option}' for ${command}; its options: ${list([...allowed, 'help'])}`,
      );
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
      throw new UsageError(`${option.split('=')[0]} needs a value`);
    }
    // node:util names the bad option in its message; keep just that line.
    throw new UsageError(message.split('\n')[0]);
  }
  const values: Values = {};
  for (const [name, given] of Object.entries(parsed.values) as Array<[OptionName, unknown[]]>) {
    if (name !== 'help' && !allowed.includes(name)) {
      throw new UsageError(`${command} does not take --${name}; its options: ${list(allowed)}`);
    }
    const spec = OPTIONS[name];
    if ('multiple' in spec) {
      (values as Record<string, unknown>)[name] = given;
    } else if (given.length > 1) {
      throw new UsageError(`--${name} is given ${given.length} times; give it once`);
    } else {
      (values as Record<string, unknown>)[name] = given[0];
    }
  }
  return { values, positionals: parsed.positionals };
}
