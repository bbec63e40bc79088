/** What the CLI prints for people: check summaries, counterexamples, fuzz results, sweeps. */
import type { CliIo } from './command.ts';
import type { ExploreResult } from '../explore/explore.ts';
import type { FuzzResult } from '../fuzz/fuzz.ts';
import type { SweepResult } from '../explore/sweep.ts';
import { formatTrace } from '../model/trace.ts';
import type { DeepOutcome, FindingOutcome, ProtocolOutcome } from './main-job.ts';

const number = new Intl.NumberFormat('en-US');

/** `name=value` pairs, as --bound takes them. */
export function formatBounds(bounds: Readonly<Record<string, number>>): string {
  return (
    Object.entries(bounds)
      .map(([name, value]) => `${name}=${value}`)
      .join(' ') || '(no bounds)'
  );
}

function describeRun(result: { bounds: Record<string, number>; variants: string[] }): string {
  const variants = result.variants.length > 0 ? `  variant ${result.variants.join(', ')}` : '';
  return `${formatBounds(result.bounds)}${variants}`;
}

function statistics(result: ExploreResult): string {
  return (
    `${number.format(result.states)} states, ${number.format(result.transitions)} transitions, ` +
    `depth ${result.depth}, ${result.seconds.toFixed(2)} s` +
    (result.complete ? '' : ' (state budget ran out: incomplete)')
  );
}

function parallelLine(parallel: NonNullable<ExploreResult['parallel']>): string {
  return `${parallel.workers} worker threads expanded ${number.format(parallel.expandedByWorkers)} of the states`;
}

export function formatCheckResult(result: ExploreResult): string {
  const lines = [`${result.protocol}  ${describeRun(result)}`, `  ${statistics(result)}`];
  if (result.parallel) lines.push(`  ${parallelLine(result.parallel)}`);
  for (const property of result.properties) {
    const verdict = property.holds === true ? 'ok  ' : property.holds === false ? 'FAIL' : '??  ';
    lines.push(`  ${verdict} ${property.name}: ${property.statement}`);
    if (property.vacuous !== undefined) lines.push(`       VACUOUS: ${property.vacuous}`);
    if (property.holds === false && property.trace) {
      lines.push(
        `       ${property.message ?? 'violated'} (source: ${property.source})`,
        `       counterexample, ${property.trace.steps.length} steps:`,
        indent(formatTrace(property.trace), '     '),
      );
    }
  }
  return lines.join('\n');
}

/** One line per protocol, for runs that check several: the summary `npm start` ends with. */
export function formatCheckSummary(results: readonly ExploreResult[]): string {
  const header = ['protocol', 'states', 'transitions', 'depth', 'seconds', 'properties'];
  const rows = results.map((result) => {
    const failed = result.properties.filter((p) => p.holds === false).map((p) => p.name);
    const undecided = result.properties.filter((p) => p.holds === null).length;
    const vacuous = result.properties.filter((p) => p.vacuous !== undefined).map((p) => p.name);
    const verdict =
      (failed.length > 0
        ? `FAIL ${failed.join(', ')}`
        : undecided > 0
          ? `${undecided} undecided (budget)`
          : `all ${result.properties.length} hold`) +
      (vacuous.length > 0 ? `; vacuous: ${vacuous.join(', ')}` : '');
    return [
      result.protocol,
      number.format(result.states),
      number.format(result.transitions),
      String(result.depth),
      result.seconds.toFixed(2),
      verdict,
    ];
  });
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => row[i].length)),
  );
  const format = (cells: string[]) =>
    cells
      .map((cell, i) =>
        i === 0 || i === cells.length - 1 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]),
      )
      .join('  ')
      .trimEnd();
  return ['summary', format(header), ...rows.map(format)].join('\n');
}

export function formatFuzzResult(result: FuzzResult): string {
  const head = `${result.protocol}  fuzz: ${result.runs} walks of up to ${result.maxSteps} steps, seed ${result.seed}`;
  if (!result.failed) return `${head}\n  ok   no property failed`;
  return [
    head,
    `  FAIL ${result.property}: ${result.message}`,
    `       shrunk to ${result.trace?.steps.length} steps (${result.shrinks} shrinks); replay with --seed ${result.seed} --path ${result.path}`,
    indent(formatTrace(result.trace!), '     '),
  ].join('\n');
}

export function formatSweepTable(result: SweepResult): string {
  const header = [...result.swept, 'states', 'seconds', 'verdict'];
  const rows = result.rows.map((row) => [
    ...result.swept.map((name) => String(row.bounds[name])),
    number.format(row.states),
    row.seconds.toFixed(2),
    row.failed.length > 0
      ? `FAIL ${row.failed.join(', ')}`
      : row.complete
        ? 'every property holds'
        : 'incomplete (budget)',
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => row[i].length)),
  );
  const format = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const lines = [
    `${result.protocol} sweep${result.variants.length ? ` (variant ${result.variants.join(', ')})` : ''}`,
    format(header),
    format(widths.map((w) => '-'.repeat(w))),
    ...rows.map(format),
  ];
  const smallest = result.smallestFailure;
  if (smallest) {
    const bounds = Object.entries(smallest.bounds)
      .map(([name, value]) => `${name}=${value}`)
      .join(' ');
    lines.push(
      '',
      `smallest failing combination: ${bounds} (${number.format(smallest.states)} states)`,
    );
    for (const property of smallest.counterexamples) {
      lines.push(`  FAIL ${property.name}: ${property.message ?? 'violated'}`);
      if (property.trace) lines.push(indent(formatTrace(property.trace), '     '));
    }
  }
  return lines.join('\n');
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => prefix + line)
    .join('\n');
}

/** A progress line on stderr once a run has taken more than a second. */
export function progressReporter(io: CliIo, protocol: string) {
  let shown = false;
  return {
    report: (progress: { states: number; transitions: number; seconds: number }) => {
      const rate = Math.round(progress.states / progress.seconds);
      const line = `${protocol}: ${number.format(progress.states)} states, ${number.format(rate)} states/s`;
      io.stderr(io.stderrIsTty ? `\r${line}` : `${line}\n`);
      shown = true;
    },
    done: () => {
      if (shown && io.stderrIsTty) io.stderr('\n');
    },
  };
}

/* ---------- the main job: findings beside the fixed model ---------- */

/** `all 9 hold`, `FAILS a (5 steps), b (7 steps)` or `2 undecided (state budget)`. */
function verdictOf(result: ExploreResult): string {
  const failed = result.properties.filter((p) => p.holds === false);
  if (failed.length > 0) {
    return `FAILS ${failed.map((p) => (p.trace ? `${p.name} (${p.trace.steps.length} steps)` : p.name)).join(', ')}`;
  }
  const undecided = result.properties.filter((p) => p.holds === null).length;
  if (undecided > 0) return `${undecided} undecided (the state budget ran out)`;
  return `all ${result.properties.length} hold${vacuityNote(result)}`;
}

/** `; vacuous: a, b` when the lint found properties that hold only vacuously. */
function vacuityNote(result: ExploreResult): string {
  const vacuous = result.properties.filter((p) => p.vacuous !== undefined).map((p) => p.name);
  return vacuous.length > 0 ? `; vacuous: ${vacuous.join(', ')}` : '';
}

/** `a (5 steps), b (16, 17 steps)`: each failing property once, with its counterexamples' lengths. */
export function formatFindingFailures(findings: readonly FindingOutcome[]): string {
  const steps = new Map<string, number[]>();
  for (const finding of findings) {
    for (const fail of finding.fails)
      steps.set(fail.property, [...(steps.get(fail.property) ?? []), fail.steps]);
  }
  return [...steps]
    .map(([property, lengths]) => {
      const sorted = [...new Set(lengths)].sort((a, b) => a - b);
      return `${property} (${sorted.join(', ')} steps)`;
    })
    .join(', ');
}

function deepPhrase(deep: DeepOutcome): string {
  switch (deep.kind) {
    case 'same':
      return ' (these are also its deep bounds)';
    case 'explored':
      return deep.result.properties.every((p) => p.holds === true)
        ? ` and deep bounds ${formatBounds(deep.bounds)}`
        : `; at deep bounds ${formatBounds(deep.bounds)}: ${verdictOf(deep.result)}`;
    case 'cached':
      return ` and deep bounds ${formatBounds(deep.bounds)} (${provenBy(deep.proof)})`;
    case 'not-run':
      return `; deep bounds ${formatBounds(deep.bounds)} not run (check --deep)`;
  }
}

/** Where a remembered deep proof comes from. */
export function provenBy(proof: { provenAt: string; states: number; seconds: number }): string {
  return (
    `by check --deep on ${proof.provenAt.slice(0, 10)}: ${number.format(proof.states)} states in ` +
    `${proof.seconds.toFixed(1)} s; the sources are unchanged since`
  );
}

/** "seed as written: fails …; default (fixed) model: all 9 hold, proven at bounds … and deep bounds …" */
export function formatOutcomeVerdict(outcome: ProtocolOutcome): { seed?: string; model: string } {
  const { fixed, findings } = outcome;
  const seed =
    findings.length === 0
      ? undefined
      : findings.some((f) => f.fails.length > 0)
        ? `seed as written: fails ${formatFindingFailures(findings)}` +
          (findings.some((f) => f.missing.length > 0)
            ? `; LOST: ${findings.flatMap((f) => f.missing.map((m) => `${m} (${f.variant.name})`)).join(', ')}`
            : '')
        : `seed as written: no property fails (LOST: ${findings.map((f) => f.variant.name).join(', ')})`;
  const holds = fixed.properties.every((p) => p.holds === true);
  const model = holds
    ? `${seed ? 'default (fixed) model' : 'model'}: all ${fixed.properties.length} hold, proven at bounds ${formatBounds(fixed.bounds)}${deepPhrase(outcome.deep)}${vacuityNote(fixed)}`
    : `${seed ? 'default (fixed) model' : 'model'}: ${verdictOf(fixed)} at bounds ${formatBounds(fixed.bounds)}`;
  return { ...(seed ? { seed } : {}), model };
}

function findingLines(finding: FindingOutcome): string[] {
  const { variant, result } = finding;
  const lines = [`  seed as written: variant ${variant.name} (${variant.source})`];
  for (const fail of finding.fails) {
    const property = result.properties.find((p) => p.name === fail.property)!;
    lines.push(
      `    FAIL ${fail.property} in ${fail.steps} steps: ${property.message ?? 'violated'}` +
        (fail.declared ? '' : ' (not among the properties it declares it breaks)'),
    );
  }
  for (const name of finding.missing) {
    const property = result.properties.find((p) => p.name === name);
    lines.push(
      property?.holds === null
        ? `    ??   ${name}: undecided, the state budget ran out first`
        : `    LOST ${name}: holds, though the variant declares that it breaks it`,
    );
  }
  lines.push(`    ${statistics(result)}`);
  return lines;
}

/** One protocol's block, printed as soon as its runs are done. */
export function formatProtocolOutcome(outcome: ProtocolOutcome): string {
  const { model, fixed, deep, findings } = outcome;
  const lines = [`${model.name}  ${model.title}`];
  const modelName = findings.length > 0 ? 'default (fixed) model' : 'model';
  lines.push(`  ${modelName} at ${formatBounds(fixed.bounds)}: ${verdictOf(fixed)}`);
  lines.push(`    ${statistics(fixed)}`);
  for (const property of fixed.properties) {
    if (property.vacuous !== undefined)
      lines.push(`    VACUOUS ${property.name}: ${property.vacuous}`);
  }
  if (fixed.parallel) lines.push(`    ${parallelLine(fixed.parallel)}`);
  // A failing default model is a regression: print its counterexamples in full.
  for (const property of fixed.properties) {
    if (property.holds === false && property.trace) {
      lines.push(
        `    FAIL ${property.name}: ${property.message ?? 'violated'} (source: ${property.source})`,
        indent(formatTrace(property.trace), '       '),
      );
    }
  }
  if (deep.kind === 'explored') {
    lines.push(
      `  ${modelName} at its deep bounds ${formatBounds(deep.bounds)}: ${verdictOf(deep.result)}`,
    );
    lines.push(`    ${statistics(deep.result)}`);
    for (const property of deep.result.properties) {
      if (property.holds === false && property.trace) {
        lines.push(indent(formatTrace(property.trace), '       '));
      }
    }
  } else if (deep.kind === 'not-run') {
    lines.push(`  deep bounds ${formatBounds(deep.bounds)}: not run (check --deep)`);
  } else if (deep.kind === 'cached') {
    lines.push(`  deep bounds ${formatBounds(deep.bounds)}: all hold, ${provenBy(deep.proof)}`);
  }
  for (const finding of findings) lines.push(...findingLines(finding));
  return lines.join('\n');
}

/** The summary the main job ends with: per protocol, the findings and the fixed model's proof. */
export function formatMainJobSummary(outcomes: readonly ProtocolOutcome[]): string {
  const width = Math.max(...outcomes.map((o) => o.model.name.length)) + 2;
  const lines = ['summary'];
  for (const outcome of outcomes) {
    const { seed, model } = formatOutcomeVerdict(outcome);
    const [first, ...rest] = [seed, model].filter((line): line is string => line !== undefined);
    lines.push(outcome.model.name.padEnd(width) + first);
    for (const line of rest) lines.push(''.padEnd(width) + line);
  }
  return lines.join('\n');
}

/** Fuzz progress on stderr: how many walks ran, at most once per `io.progressMs`. */
export function throttledProgress(io: CliIo, protocol: string) {
  const interval = io.progressMs ?? 1000;
  let last = performance.now();
  let shown = false;
  return {
    report: (progress: { walks: number; seconds: number }) => {
      const now = performance.now();
      if (now - last < interval) return;
      last = now;
      const rate = Math.round(progress.walks / Math.max(progress.seconds, 1e-3));
      const line = `${protocol}: ${number.format(progress.walks)} walks, ${number.format(rate)} walks/s`;
      io.stderr(io.stderrIsTty ? `\r${line}` : `${line}\n`);
      shown = true;
    },
    done: () => {
      if (shown && io.stderrIsTty) io.stderr('\n');
    },
  };
}
