/**
 * `npx tsx mutation/equivalent-kinds.ts`: the entries of mutation/equivalent.json by kind of
 * reason, one column per protocol, as docs/test-vectors.md tabulates them ("Survivors declared
 * equivalent"). The kind is read from the reason's wording (the phrases below are the ones the
 * entries use); a reason that matches none is counted under "one reason each".
 */
import { readFileSync } from 'node:fs';

interface Entry {
  reason: string;
}

/** Each kind with the phrases that mark it, tried in this order. */
const KINDS: Array<[string, RegExp]> = [
  [
    "the variant switch off (`has(…)` → `has('')`, `if (has(…))` → `false`, `!has(…)` → `true`): the correct driver itself",
    /variant switch|has\(\) always false/,
  ],
  [
    'code that only a driver variant runs (its branch, a helper only it calls, a yield point only it reaches)',
    /only under (the variant|teardown-as-written)|yielded only under|only by the (variant|as-written)|only variants yield|are variant-only/,
  ],
  ["a preemption point's label the adapter never compares", /preemption point's label/],
  ["a refusal's message (the runner treats every `NotEnabledError` alike)", /refusal's message/],
  [
    "an exception's text (any exception other than a refusal is a divergence, whatever it says)",
    /exception's text|text of the exception/,
  ],
  ["a lock owner's name (only ever tested against null)", /owner is a name/],
  [
    'an initial value that `reset()` or the code overwrites before it is read',
    /reset\(\) assigns|reset\(\) returns its own|initial value|written \(null\) before each wait/,
  ],
];
const OTHER = 'one reason each (below)';

const file = new URL('./equivalent.json', import.meta.url);
const entries = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Entry[]>;
const protocols = Object.keys(entries);

function kindOf(entry: Entry): string {
  return KINDS.find(([, pattern]) => pattern.test(entry.reason))?.[0] ?? OTHER;
}

const rows = [...KINDS.map(([kind]) => kind), OTHER];
const counts = new Map(rows.map((kind) => [kind, protocols.map(() => 0)]));
protocols.forEach((protocol, column) => {
  for (const entry of entries[protocol]) counts.get(kindOf(entry))![column]++;
});

console.log(`| kind | ${protocols.join(' | ')} |`);
console.log(`|${' --- |'.repeat(protocols.length + 1)}`);
for (const kind of rows) console.log(`| ${kind} | ${counts.get(kind)!.join(' | ')} |`);
console.log(`| all (entries) | ${protocols.map((p) => entries[p].length).join(' | ')} |`);
