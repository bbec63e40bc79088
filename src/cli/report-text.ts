/** What the CLI prints for people: check summaries, counterexamples, fuzz results, sweeps. */
import type { CliIo } from './command.ts';
import type { ExploreResult } from '../explore/explore.ts';
import type { FuzzResult } from '../fuzz/fuzz.ts';
import type { SweepResult } from '../explore/sweep.ts';
import { formatTrace } from '../model/trace.ts';

const number = new Intl.NumberFormat('en-US');

function describeRun(result: { bounds: Record<string, number>; variants: string[] }): string {
  const bounds = Object.entries(result.bounds)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
  const variants = result.variants.length > 0 ? `  variant ${result.variants.join(', ')}` : '';
  return `${bounds}${variants}`;
}

export function formatCheckResult(result: ExploreResult): string {
  const lines = [
    `${result.protocol}  ${describeRun(result)}`,
    `  ${number.format(result.states)} states, ${number.format(result.transitions)} transitions, ` +
      `depth ${result.depth}, ${result.seconds.toFixed(2)} s` +
      (result.complete ? '' : '  (state budget ran out: incomplete)'),
  ];
  if (result.parallel) {
    lines.push(
      `  ${result.parallel.workers} worker threads expanded ` +
        `${number.format(result.parallel.expandedByWorkers)} of the states`,
    );
  }
  for (const property of result.properties) {
    const verdict = property.holds === true ? 'ok  ' : property.holds === false ? 'FAIL' : '??  ';
    lines.push(`  ${verdict} ${property.name}: ${property.statement}`);
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
    const verdict =
      failed.length > 0
        ? `FAIL ${failed.join(', ')}`
        : undecided > 0
          ? `${undecided} undecided (budget)`
          : `all ${result.properties.length} hold`;
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
