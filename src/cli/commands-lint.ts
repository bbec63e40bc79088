/**
 * `lint [protocol ...] [--strict]`: the model lint (src/lint/) on each protocol; and the same
 * lint as `check` runs it before exploring (`lintBeforeCheck`): warnings printed, errors refuse
 * the check (exit 2), vacuity carried into the verdicts.
 */
import { EXIT, type Command, type CommandContext } from './command.ts';
import { parseBounds, parseInteger, selectModels } from './cli-args.ts';
import type { ExploreResult } from '../explore/explore.ts';
import { activeFindings, lintErrors, lintModel, type LintReport } from '../lint/lint.ts';
import { RULES } from '../lint/rules.ts';
import { registryProblems } from '../lint/definition.ts';
import { resolveConfig, type ConfigRequest } from '../model/config.ts';
import { ModelError } from '../model/model-error.ts';
import type { ModelDefinition } from '../model/model.ts';

/**
 * States the lint explores before a `check` (in checking mode: every context frozen). Models
 * at their default bounds fit, so `check` judges every rule there; past it the rules about
 * what never happens are left to `mailbox-models lint`.
 */
export const LINT_STATES_IN_CHECK = 100_000;

/** Warnings `check` prints per protocol before it says how many more there are. */
const WARNINGS_SHOWN_IN_CHECK = 5;

/** The lint refused a check: the exit code is 2, as for any error in a model. */
export class LintRefusal extends ModelError {
  override readonly kind = 'lint';
}

function requestOf({ values }: CommandContext) {
  return {
    deep: values.deep,
    bounds: parseBounds(values.bound),
    variants: values.variant ?? [],
  };
}

const lint: Command = (context) => {
  const { models, io, values, positionals } = context;
  if (values.rules) {
    io.stdout(formatRules() + '\n');
    return EXIT.ok;
  }
  const problems = registryProblems(models);
  if (problems.length > 0) throw new ModelError(`the registry: ${problems[0]}`);
  const selected = selectModels(positionals, models);
  const request = requestOf(context);
  for (const model of selected) resolveConfig(model, request);
  const maxStates =
    values['max-states'] === undefined
      ? undefined
      : parseInteger(values['max-states'], '--max-states', 1);
  const strict = Boolean(values.strict);
  const reports = selected.map((model) => lintModel(model, { ...request, maxStates }));
  if (values.json) {
    io.stdout(JSON.stringify({ results: reports.map((r) => lintJson(r, strict)) }, null, 2) + '\n');
  } else {
    for (const report of reports) io.stdout(formatLintReport(report, strict) + '\n');
  }
  return reports.some((report) => lintErrors(report, strict).length > 0) ? EXIT.usage : EXIT.ok;
};

export const lintCommands: Record<string, Command> = { lint };

/**
 * The lint `check` runs before exploring: every selected protocol is linted first (its first
 * LINT_STATES_IN_CHECK states), errors are printed one per line on stderr and refuse the check,
 * warnings go to the report (a few, then a count). Returns the reports, in the same order.
 */
export function lintBeforeCheck(
  context: CommandContext,
  selected: readonly ModelDefinition[],
  request: ConfigRequest,
): LintReport[] {
  const { io, values } = context;
  const strict = Boolean(values.strict);
  const reports = selected.map((model) =>
    lintModel(model, { ...request, maxStates: LINT_STATES_IN_CHECK }),
  );
  const errors = reports.flatMap((report) =>
    lintErrors(report, strict).map((f) => `${report.protocol}: ${f.message} [${f.rule}]`),
  );
  if (errors.length > 0) {
    for (const line of errors) io.stderr(`mailbox-models: lint error: ${line}\n`);
    throw new LintRefusal(
      `check refused: ${count(errors.length, 'lint error')} (mailbox-models lint ${selected.map((m) => m.name).join(' ')})`,
    );
  }
  if (!values.json) {
    for (const report of reports) {
      const text = formatLintWarnings(report, WARNINGS_SHOWN_IN_CHECK);
      if (text) io.stdout(text + '\n');
    }
  }
  return reports;
}

/** The result with each property's vacuity (from the lint of the same configuration). */
export function withVacuity(result: ExploreResult, report: LintReport | undefined): ExploreResult {
  if (!report?.complete) return result;
  return {
    ...result,
    properties: result.properties.map((property) =>
      report.vacuous[property.name] === undefined
        ? property
        : { ...property, vacuous: report.vacuous[property.name] },
    ),
  };
}

/** What `check --json` adds per protocol. */
export function lintJson(report: LintReport, strict = false) {
  return {
    protocol: report.protocol,
    bounds: report.bounds,
    variants: report.variants,
    states: report.states,
    complete: report.complete,
    errors: lintErrors(report, strict).length,
    findings: report.findings.map((f) => ({
      rule: f.rule,
      severity: strict && f.suppressed === undefined ? 'error' : f.severity,
      subject: f.subject,
      message: f.message,
      ...(f.suppressed === undefined ? {} : { suppressed: f.suppressed }),
    })),
    vacuous: report.complete ? report.vacuous : null,
  };
}

function formatLintReport(report: LintReport, strict: boolean): string {
  const active = activeFindings(report);
  const suppressed = report.findings.length - active.length;
  const lines = [`${report.protocol}  ${scope(report)}`];
  for (const f of active)
    lines.push(`  ${strict ? 'error' : f.severity}  ${f.message} [${f.rule}]`);
  const errors = lintErrors(report, strict).length;
  const warnings = active.length - errors;
  lines.push(
    `  ${count(errors, 'error')}, ${count(warnings, 'warning')}` +
      (suppressed > 0 ? ` (${suppressed} suppressed, with the reason, where they are)` : ''),
  );
  if (!report.complete) lines.push(`  ${notJudged(report)}`);
  return lines.join('\n');
}

function formatLintWarnings(report: LintReport, shown: number): string {
  const active = activeFindings(report);
  const lines = active
    .slice(0, shown)
    .map((f) => `lint: ${report.protocol}: ${f.message} [${f.rule}]`);
  if (active.length > shown) {
    lines.push(
      `lint: ${report.protocol}: ${active.length - shown} more warnings (mailbox-models lint ${report.protocol})`,
    );
  }
  if (!report.complete) lines.push(`lint: ${report.protocol}: ${notJudged(report)}`);
  return lines.join('\n');
}

function notJudged(report: LintReport): string {
  return `explored only the first ${report.states.toLocaleString('en-US')} states: what never happens (events, guards, states, fields, vacuity) is not judged (mailbox-models lint --max-states N)`;
}

function scope(report: LintReport): string {
  const bounds = Object.entries(report.bounds)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
  const variants = report.variants.length > 0 ? `  variant ${report.variants.join(', ')}` : '';
  return `${bounds}${variants}  ${report.states.toLocaleString('en-US')} states${report.complete ? '' : ' (incomplete)'}`;
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

function formatRules(): string {
  return Object.entries(RULES)
    .map(
      ([id, rule]) =>
        `${id} (${rule.severity}${rule.suppressedAt === 'nowhere' ? '' : `; suppressed on the ${rule.suppressedAt}`})\n  finds: ${rule.finds}\n  fix:   ${rule.fix}`,
    )
    .join('\n');
}
