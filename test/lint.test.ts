/**
 * The model lint (src/lint/) and the errors a model's author causes: each mistake of issue 23,
 * reproduced in test/fixtures/lint/, ends in a clear error or warning instead of a verdict.
 */
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { explore } from '../src/explore/explore.ts';
import { registryProblems } from '../src/lint/definition.ts';
import { lintErrors, lintModel, type LintReport } from '../src/lint/lint.ts';
import { RULES } from '../src/lint/rules.ts';
import { ModelCompileError } from '../src/model/compiled.ts';
import { resolveConfig } from '../src/model/config.ts';
import { ModelRuntimeError } from '../src/model/model-error.ts';
import type { ModelDefinition } from '../src/model/model.ts';
import { ModelSystem } from '../src/model/system.ts';
import { badSuppressionsModel } from './fixtures/lint/bad-suppressions.ts';
import { deadPartsModel } from './fixtures/lint/dead-parts.ts';
import { eventTypoModel } from './fixtures/lint/event-typo.ts';
import { mutatingMonitorModel } from './fixtures/lint/mutating-monitor.ts';
import { mutatingPushModel } from './fixtures/lint/mutating-push.ts';
import { setContextModel } from './fixtures/lint/set-context.ts';
import { stateInModel } from './fixtures/lint/state-in.ts';
import { unbrokenPropertyModel } from './fixtures/lint/unbroken-property.ts';
import { vacuousModel } from './fixtures/lint/vacuous.ts';
import { withMistake } from './fixtures/lint/mistake.ts';
import { singleSlotModel, type SlotContext } from './fixtures/single-slot.ts';
import { runCli } from './helpers/run-cli.ts';

async function run(args: string[], models: ModelDefinition[]) {
  const result = await runCli(args, models);
  return { ...result, stderrLines: result.stderr.trimEnd().split('\n') };
}

const rulesOf = (report: LintReport, severity?: 'error' | 'warning') =>
  report.findings
    .filter(
      (f) => f.suppressed === undefined && (severity === undefined || f.severity === severity),
    )
    .map((f) => `${f.rule} ${f.subject.id}`);

describe('the minimal model of docs/writing-models.md', () => {
  it('passes lint --strict and proves its properties, each broken by its variant', async () => {
    const report = lintModel(singleSlotModel);
    expect(report.complete).toBe(true);
    expect(lintErrors(report, true).map((f) => f.message)).toEqual([]);
    const { code } = await run(['lint', 'single-slot', '--strict'], [singleSlotModel]);
    expect(code).toBe(0);
    for (const variant of singleSlotModel.variants) {
      const failed = explore(singleSlotModel, { variants: [variant.name] }).properties.filter(
        (p) => p.holds === false,
      );
      expect(failed.map((p) => p.name)).toEqual(variant.breaks);
    }
  });
});

describe('a push inside assign', () => {
  it('without checking mode, silently changes what is explored: here the states never end', () => {
    const correct = explore(singleSlotModel, { checking: false });
    const mutating = explore(mutatingPushModel, { checking: false, maxStates: 1000 });
    expect(correct.complete).toBe(true);
    expect(correct.states).toBeLessThan(100);
    expect(mutating.complete).toBe(false);
  });

  it('in checking mode is one error naming the action, its transition and the line', () => {
    expect(() => explore(mutatingPushModel)).toThrow(ModelRuntimeError);
    expect(() => lintModel(mutatingPushModel)).toThrow(
      /^test\/fixtures\/lint\/mutating-push\.ts:\d+:\d+: action 'post' of transition single-slot\.host\.IDLE:post:0 changes its input in place \(Cannot add property 0, object is not extensible\); return new arrays/,
    );
  });

  it('makes check and lint exit 2 with that one line and no verdict', async () => {
    for (const command of ['check', 'lint']) {
      const { code, stdout, stderrLines } = await run(
        [command, 'mutating-push'],
        [mutatingPushModel],
      );
      expect(code).toBe(2);
      expect(stderrLines).toHaveLength(1);
      expect(stderrLines[0]).toMatch(/^mailbox-models: model error: .*action 'post'/);
      expect(stdout).not.toMatch(/\bok\b/);
    }
  });

  it('in a monitor that changes its own state is one error naming the monitor', () => {
    expect(() => explore(mutatingMonitorModel)).toThrow(
      /mutating-monitor\.ts:\d+:\d+: monitor 'posted-in-order' changes its input in place/,
    );
  });
});

describe('a typo in the alphabet', () => {
  it('without the lint gives a smaller model in which every property holds', () => {
    const typo = explore(eventTypoModel);
    expect(typo.properties.every((p) => p.holds === true)).toBe(true);
    expect(typo.states).toBeLessThan(explore(singleSlotModel).states);
  });

  it('is a lint error on the transition never explored, which names the typo', () => {
    const report = lintModel(eventTypoModel);
    expect(rulesOf(report, 'error')).toEqual([
      'event-never-produced single-slot.host.WAITING:timeout:0',
    ]);
    expect(lintErrors(report)[0].message).toMatch(
      /never produces 'timeout'.*events\(\) produces 'timout', which no transition accepts: a typo\?/,
    );
    expect(rulesOf(report, 'warning')).toContain('event-never-accepted timout');
  });

  it('makes check refuse (exit 2) before giving a verdict', async () => {
    const { code, stdout, stderrLines } = await run(['check', 'event-typo'], [eventTypoModel]);
    expect(code).toBe(2);
    expect(stderrLines).toEqual([
      expect.stringMatching(
        /^mailbox-models: lint error: event-typo: transition .*'timout'.* \[event-never-produced\]$/,
      ),
      'mailbox-models: lint: check refused: 1 lint error (mailbox-models lint event-typo)',
    ]);
    expect(stdout).not.toMatch(/\bok\b|hold/);
  });
});

describe('a Set in the context', () => {
  it('is merged with every other Set by the JSON keys, and the lint says so', () => {
    expect(explore(setContextModel).states).toBe(4); // 4 values of `issued`; the sets are lost
    const report = lintModel(setContextModel);
    expect(rulesOf(report, 'error')).toEqual(['not-plain-json context.pending']);
    expect(report.findings[0].message).toMatch(/^context\.pending is a Set .* where a Set is \{\}/);
  });

  it('makes check refuse', async () => {
    const { code, stderrLines } = await run(['check', 'set-context'], [setContextModel]);
    expect(code).toBe(2);
    expect(stderrLines[0]).toMatch(/lint error: set-context: context\.pending is a Set/);
  });

  it('is found wherever it is: class instances, undefined, NaN, functions', () => {
    const withValue = (value: unknown): ModelDefinition => ({
      ...singleSlotModel,
      build: (config) => {
        const instance = singleSlotModel.build(config);
        return { ...instance, events: () => [{ type: 'post', payload: value } as never] };
      },
    });
    class Point {
      constructor(readonly x: number) {}
    }
    const cases: Array<[unknown, RegExp]> = [
      [new Point(1), /^event\.payload is a Point/],
      [[1, undefined], /^event\.payload\[1\] is undefined/],
      [{ rate: NaN }, /^event\.payload\.rate is NaN/],
      [() => 1, /^event\.payload is a function/],
    ];
    for (const [value, message] of cases) {
      const report = lintModel(withValue(value));
      expect(lintErrors(report).map((f) => f.message)).toEqual([expect.stringMatching(message)]);
    }
  });
});

describe('stateIn', () => {
  it('is refused when the machine is compiled, naming the transition and saying what to do', () => {
    expect(() => new ModelSystem(stateInModel, resolveConfig(stateInModel))).toThrow(
      new ModelCompileError(
        'test/fixtures/lint/state-in.ts: transition single-slot.device:answer:0: stateIn({"host":"WAITING"}) is not supported: guards see the context and the event only; keep where the other region is as a flag in the context, set by the transitions that move it (docs/writing-models.md)',
      ),
    );
  });

  it('makes check exit 2 with one line, not an internal error', async () => {
    const { code, stderrLines } = await run(['check', 'state-in'], [stateInModel]);
    expect(code).toBe(2);
    expect(stderrLines).toEqual([
      expect.stringMatching(
        /^mailbox-models: model error: test\/fixtures\/lint\/state-in\.ts: transition single-slot\.device:answer:0: stateIn/,
      ),
    ]);
  });
});

describe('a property no variant breaks', () => {
  it('is a warning that names it and says what to do, and an error with --strict', async () => {
    const report = lintModel(unbrokenPropertyModel);
    expect(rulesOf(report, 'warning')).toEqual(['unbroken-property completes-once']);
    expect(report.findings[0].message).toBe(
      "property 'completes-once' is broken by no variant, so nothing shows it can fail: add a variant that breaks it (variants: [{ name, description, source, breaks: ['completes-once'] }], switched on in build()), or remove the property",
    );
    expect((await run(['lint', 'unbroken-property'], [unbrokenPropertyModel])).code).toBe(0);
    const strict = await run(['lint', 'unbroken-property', '--strict'], [unbrokenPropertyModel]);
    expect(strict.code).toBe(2);
    expect(strict.stdout).toMatch(/ error {2}property 'completes-once' is broken by no variant/);
  });
});

describe('vacuity', () => {
  const report = lintModel(vacuousModel);

  it('reports each kind: a monitor that never moves, a when never met, a field never there, a goal that always holds', () => {
    expect(report.vacuous).toEqual({
      'no-answer-after-timeout':
        'its state never leaves the initial one ([]) in 28 explored states: what it remembers across steps is never put to the test (it judges each step alone, as a step property would)',
      'idle-host-waits-for-nothing': 'its `when` holds in no explored state',
      'timeout-completes-with-etimedout': 'its `when` holds in no explored step',
      'waiting-is-posted':
        'it reads only fields that never change (context.wating), so it is the same in every state',
      'can-post-again': 'its goal holds in every one of 28 explored states',
    });
  });

  it('finds none in the minimal model, whose properties are put to the test', () => {
    expect(lintModel(singleSlotModel).vacuous).toEqual({});
  });

  it('is shown by check: under the verdict, in the summary and in --json', async () => {
    const vacuousList =
      'no-answer-after-timeout, idle-host-waits-for-nothing, timeout-completes-with-etimedout, waiting-is-posted, can-post-again';
    const text = await run(['check', 'vacuous', 'single-slot'], [vacuousModel, singleSlotModel]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`  model at requests=3: all 8 hold; vacuous: ${vacuousList}\n`);
    expect(text.stdout).toContain(
      '    VACUOUS can-post-again: its goal holds in every one of 28 explored states\n',
    );
    expect(text.stdout).toMatch(
      new RegExp(`^vacuous +model: all 8 hold, .*; vacuous: ${vacuousList}$`, 'm'),
    );
    expect(text.stdout).toMatch(
      /^single-slot +model: all 3 hold, proven at bounds requests=3 [^;]*$/m,
    );

    const json = JSON.parse((await run(['check', 'vacuous', '--json'], [vacuousModel])).stdout);
    const [protocol] = json.protocols;
    const result = json.results[protocol.model.result];
    const vacuous = Object.fromEntries(
      result.properties
        .filter((p: { vacuous?: string }) => p.vacuous)
        .map((p: { name: string; vacuous: string }) => [p.name, p.vacuous]),
    );
    expect(vacuous).toEqual(report.vacuous);
    expect(protocol.lint).toMatchObject({ complete: true, errors: 0, vacuous: report.vacuous });

    const one = await run(['check', 'vacuous', '--variant', 'accept-stale'], [vacuousModel]);
    expect(one.stdout).toMatch(
      /ok {3}can-post-again: .*\n {7}VACUOUS: its goal holds in every one of 28 explored states/,
    );
  });
});

describe('parts of the machine never used', () => {
  const report = lintModel(deadPartsModel);

  it('are warnings with the node, transition, event or field', () => {
    expect(rulesOf(report)).toEqual([
      'state-never-entered single-slot.host.RESETTING',
      'transition-never-taken single-slot.host.WAITING:timeout:1',
      'guard-never-false single-slot.host.WAITING:post:0',
      'event-never-accepted reset',
      'field-never-changes context.retries',
    ]);
    expect(lintErrors(report)).toEqual([]);
  });

  it('unless suppressed where they are, with the reason', () => {
    const suppressed = report.findings.filter((f) => f.suppressed !== undefined);
    expect(suppressed).toMatchObject([
      {
        rule: 'state-never-entered',
        subject: { id: 'single-slot.host.BROKEN' },
        suppressed: 'entered only after a reset (none here)',
      },
    ]);
  });

  it('say why a transition is never taken: a guard never false before it, none at all', () => {
    const messages = report.findings.map((f) => f.message);
    expect(messages).toContainEqual(
      expect.stringMatching(
        /^transition single-slot\.host\.WAITING:post:0: its inline guard is true in all \d+ evaluations, so it never blocks the transition$/,
      ),
    );
    expect(messages).toContainEqual(
      'transition single-slot.host.WAITING:timeout:1 is never taken: single-slot.host.WAITING:timeout:0 before it has no guard, so it always wins',
    );
  });

  it('are guards never true, where the bounds or a variant make them so', () => {
    // With one request no answer can be stale; with accept-stale none is dropped.
    for (const request of [{ bounds: { requests: 1 } }, { variants: ['accept-stale'] }]) {
      const report = lintModel(singleSlotModel, request);
      expect(rulesOf(report)).toEqual(['guard-never-true single-slot.host.WAITING:read:1']);
      expect(report.findings[0].message).toMatch(
        /^transition single-slot\.host\.WAITING:read:1: guard 'hasAnswer' is false in all \d+ evaluations, so the transition is never taken$/,
      );
    }
  });

  it('make lint --strict fail, and not lint', async () => {
    expect((await run(['lint', 'dead-parts'], [deadPartsModel])).code).toBe(0);
    expect((await run(['lint', 'dead-parts', '--strict'], [deadPartsModel])).code).toBe(2);
  });
});

describe('suppressions', () => {
  it('that name no rule, sit in the wrong place or give no reason are errors; unused ones warnings', () => {
    const report = lintModel(badSuppressionsModel);
    expect(report.findings.map((f) => `${f.severity}: ${f.message}`)).toEqual([
      "error: the machine's root (single-slot): lint suppression of unknown rule 'guard-never-tru'",
      "error: the machine's root (single-slot): 'vacuous' is suppressed on the property, not here",
      "error: the machine's root (single-slot): the suppression of 'field-never-changes' for context.issued gives no reason",
      "warning: the machine's root (single-slot): the suppression of 'event-never-accepted' for reset suppresses nothing here",
    ]);
  });
});

describe('check lints before exploring', () => {
  it('prints the warnings, a few per protocol, and explores', async () => {
    const { code, stdout } = await run(['check', 'dead-parts'], [deadPartsModel]);
    expect(code).toBe(0);
    const lintLines = stdout.split('\n').filter((line) => line.startsWith('lint: '));
    expect(lintLines).toEqual([
      expect.stringMatching(
        /^lint: dead-parts: state single-slot\.host\.RESETTING is never entered/,
      ),
      expect.stringMatching(/^lint: dead-parts: transition single-slot\.host\.WAITING:timeout:1/),
      expect.stringMatching(/^lint: dead-parts: transition single-slot\.host\.WAITING:post:0/),
      expect.stringMatching(/^lint: dead-parts: events\(\) produces 'reset'/),
      expect.stringMatching(/^lint: dead-parts: context\.retries is 0/),
    ]);
    expect(stdout.indexOf('lint: ')).toBeLessThan(stdout.indexOf('model at requests=3'));
    const many = await run(['check', 'vacuous'], [vacuousModel]);
    expect(many.stdout).toContain('lint: vacuous: 5 more warnings (mailbox-models lint vacuous)');
  });

  it('refuses on warnings with --strict', async () => {
    const { code, stderrLines } = await run(['check', 'dead-parts', '--strict'], [deadPartsModel]);
    expect(code).toBe(2);
    expect(stderrLines.at(-1)).toBe(
      'mailbox-models: lint: check refused: 5 lint errors (mailbox-models lint dead-parts)',
    );
  });
});

describe('errors while the models load (bin/mailbox-models.js)', () => {
  const exec = promisify(execFile);
  const scratch = mkdtempSync(join(tmpdir(), 'mailbox-models-lint-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  async function cli(registry: string, args: string[]) {
    try {
      const { stdout, stderr } = await exec('node', ['bin/mailbox-models.js', ...args], {
        env: { ...process.env, MAILBOX_MODELS_REGISTRY: registry },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  it('a TypeScript syntax error: exit 2, one line naming the file, line and reason', async () => {
    copyFileSync('test/fixtures/lint/syntax-error.ts.txt', join(scratch, 'model.ts'));
    writeFileSync(join(scratch, 'package.json'), '{ "type": "module" }\n');
    const registry = join(scratch, 'registry.ts');
    writeFileSync(
      registry,
      "import { brokenModel } from './model.ts';\nexport const models = [brokenModel];\n",
    );
    const { code, stderr } = await cli(registry, ['check']);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `mailbox-models: model error: ${join(scratch, 'model.ts')}:10:85: Expected ")" but found "}"\n`,
    );
  });

  it('a bad registry entry: exit 2, one line naming the registry', async () => {
    const registry = 'test/fixtures/lint/bad-registry.ts';
    const { code, stderr } = await cli(registry, ['list']);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `mailbox-models: model error: ${registry}: two models are named 'single-slot'\n`,
    );
  });

  it('registry problems are found in every entry', () => {
    expect(
      registryProblems([singleSlotModel, undefined, { title: 'no name' }, { name: 'x' }]),
    ).toEqual([
      'entry 2 of models is undefined (an import that names nothing?), not a model',
      'entry 3 of models has no name',
      "model 'x' (entry 4 of models) has no build function",
      "model 'x' (entry 4 of models) needs bounds and variants arrays (empty if none)",
    ]);
  });
});

describe('model code that throws', () => {
  it('is one error naming the guard, its transition and the line', () => {
    const typo = withMistake('guard-throws', import.meta.url, (instance) => ({
      ...instance,
      machine: instance.machine.provide({
        guards: {
          canPost: ({ context }: { context: SlotContext }) =>
            (context as unknown as { queue: number[] }).queue.length < 1, // no such field
        },
      }),
    }));
    expect(() => explore(typo)).toThrow(
      /^test\/lint\.test\.ts:\d+:\d+: guard 'canPost' of transition single-slot\.host\.IDLE:post:0 threw: Cannot read properties of undefined \(reading 'length'\)$/,
    );
  });
});

describe('docs/writing-models.md', () => {
  const doc = readFileSync('docs/writing-models.md', 'utf8');

  it('lists every lint rule in its table', () => {
    const listed = [...doc.matchAll(/^\| `([a-z-]+)` +\| (error|warning) /gm)].map((m) => [
      m[1],
      m[2],
    ]);
    expect(listed).toEqual(Object.entries(RULES).map(([id, rule]) => [id, rule.severity]));
  });

  it('refers only to files that exist', () => {
    const paths = [
      ...doc.matchAll(
        /(?<![\w/.])((?:src|test|machines|properties|docs|bin)\/[\w./-]+\.(?:ts|md|cjs|js))/g,
      ),
    ]
      .map((m) => m[1])
      .filter((path) => !path.includes('<'));
    expect(paths.length).toBeGreaterThan(10);
    expect(paths.filter((path) => !existsSync(path) && !existsSync(join('docs', path)))).toEqual(
      [],
    );
  });
});
