/** The benchmark's tables, as Markdown: printed by `npm run bench` and written to the page. */
import { cpuRate, pairedRatio } from './measure.ts';
import type { Measured, Results, Run, Sampled, SymmetryRow } from './results.ts';

export const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits }) : '-';
export const times = (r: number) => (Number.isFinite(r) ? `${r.toFixed(2)}×` : 'n/a');

/** `median (min–max)` of samples. */
export function spread(s: Sampled | undefined, digits = 0, unit = ''): string {
  if (!s || !Number.isFinite(s.median)) return 'n/a';
  if (s.values.length <= 1) return `${fmt(s.median, digits)}${unit}`;
  return `${fmt(s.median, digits)}${unit} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}

/** A ratio's median and range: `0.52× (0.47–0.60)`. */
export function ratioSpread(s: Sampled | undefined): string {
  if (!s || !Number.isFinite(s.median)) return 'n/a';
  if (s.values.length <= 1) return times(s.median);
  return `${times(s.median)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
}

function markdown(header: string[], rows: string[][]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ];
}

const MB = 2 ** 20;

function bytesCell(m: Measured): string {
  const parts = [fmt(m.bytesPerState, 0)];
  if (Number.isFinite(m.bytesAboveBaseline))
    parts.push(`${fmt(m.bytesAboveBaseline, 0)} above baseline`);
  if (Number.isFinite(m.storeBytesPerState)) parts.push(`store ${fmt(m.storeBytesPerState, 0)}`);
  return parts.join(', ');
}

function toolRow(m: Measured): string[] {
  return [
    m.tool,
    fmt(m.states),
    fmt(m.transitions),
    spread(m.seconds, 2),
    spread(m.statesPerSecond),
    spread(m.cpuSeconds, 2),
    fmt(m.peakRssBytes.median / MB, 0),
    bytesCell(m),
    m.complete ? 'yes' : 'no (budget)',
  ];
}

const TOOL_HEADER = [
  'tool',
  'states',
  'transitions',
  'seconds',
  'states/s',
  'cpu s',
  'peak RSS MB',
  'bytes/state',
  'complete',
];

/** Per anchor size: each tool's samples, then the paired ratios. */
export function anchorTable(results: Results): string[] {
  const lines: string[] = [];
  for (const row of results.anchor) {
    const { slots, seqMod, qlen } = row.size;
    lines.push(
      `Anchor, ${slots} slots, SEQMOD=${seqMod}, QLEN=${qlen}: ${fmt(row.ours.states)} states`,
      '',
      ...markdown(
        TOOL_HEADER,
        [row.spin, row.ours, row.workers].filter((m) => m !== undefined).map(toolRow),
      ),
      '',
    );
  }
  lines.push(
    'Paired ratios (median and range over the rounds):',
    '',
    ...markdown(
      [
        'anchor',
        'states',
        'ours / SPIN states/s',
        'ours / SPIN per CPU s',
        'workers / one thread',
        'workers / SPIN states/s',
      ],
      results.anchor.map((row) => [
        `${row.size.slots}/${row.size.seqMod}/${row.size.qlen}`,
        fmt(row.ours.states),
        ratioSpread(row.ratioToSpin),
        ratioSpread(row.cpuRatioToSpin),
        ratioSpread(row.speedUp),
        row.spin
          ? times(row.workers.statesPerSecond.median / row.spin.statesPerSecond.median)
          : 'n/a',
      ]),
    ),
  );
  return lines;
}

function singleRow(tool: string, run: Run): string[] {
  return [
    tool,
    fmt(run.states),
    fmt(run.transitions),
    fmt(run.seconds, 2),
    fmt(run.states / run.seconds),
    fmt(run.cpuSeconds, 2),
    fmt(run.peakRssBytes / MB, 0),
    fmt(run.peakRssBytes / run.states, 0),
    run.complete ? 'yes' : 'no (budget)',
  ];
}

export function referenceTable(results: Results): string[] {
  const { json, xstateGraph } = results.references;
  const rows: string[][] = [];
  if (json) rows.push(singleRow('mailbox-models explore --store json', json));
  if (xstateGraph) rows.push(singleRow('xstate/graph getAdjacencyMap', xstateGraph));
  return markdown(TOOL_HEADER, rows);
}

export function protocolTable(results: Results): string[] {
  return markdown(
    [
      'protocol',
      'deep bounds',
      'states',
      'transitions',
      'seconds',
      'states/s',
      'states/cpu-s',
      'anchor states/s',
      'protocol / anchor',
      'per CPU s',
      'bytes/state',
      'complete',
    ],
    results.protocols.map((row) =>
      row.error
        ? [row.protocol, boundsText(row.bounds), `error: ${row.error}`, ...Array(9).fill('')]
        : [
            row.protocol,
            boundsText(row.bounds),
            fmt(row.ours.states),
            fmt(row.ours.transitions),
            spread(row.ours.seconds, 2),
            spread(row.ours.statesPerSecond),
            spread(row.ours.statesPerCpuSecond),
            spread(row.anchor.statesPerSecond),
            ratioSpread(row.ratioToAnchor),
            ratioSpread(row.cpuRatioToAnchor),
            bytesCell(row.ours),
            row.ours.complete ? 'yes' : 'no (budget)',
          ],
    ),
  );
}

/** Per model that declares symmetry: without and with the reduction, and the ratios. */
export function symmetryTable(results: Results): string[] {
  const rows = results.symmetry ?? [];
  return markdown(
    [
      'model',
      'bounds',
      'symmetry',
      'states without',
      'states with',
      'reduction',
      'states/s without',
      'states/s with',
      'rate with / without',
      'per CPU s with / without',
      'time without / with',
      'CPU s without / with',
      'same verdicts',
      'complete',
    ],
    rows.map((row) =>
      row.error
        ? [
            row.model,
            boundsText(row.bounds),
            groupsText(row),
            `error: ${row.error}`,
            ...Array(10).fill(''),
          ]
        : [
            row.model,
            boundsText(row.bounds),
            groupsText(row),
            fmt(row.unreduced.states),
            fmt(row.reduced.states),
            Number.isFinite(row.reduction) ? `${row.reduction.toFixed(2)}×` : 'n/a (budget)',
            spread(row.unreduced.statesPerSecond),
            spread(row.reduced.statesPerSecond),
            ratioSpread(row.rateRatio),
            ratioSpread(pairedRatio(row.reduced.runs, row.unreduced.runs, cpuRate)),
            ratioSpread(row.speedUp),
            ratioSpread(pairedRatio(row.reduced.runs, row.unreduced.runs, (r) => 1 / r.cpuSeconds)),
            row.sameVerdicts ? 'yes' : '**no**',
            `${row.unreduced.complete ? 'yes' : 'no'} / ${row.reduced.complete ? 'yes' : 'no'}`,
          ],
    ),
  );
}

function groupsText(row: SymmetryRow): string {
  return row.groups.map((g) => `${g.name} (${g.members})`).join(', ');
}

export function boundsText(bounds: Record<string, number>): string {
  return Object.entries(bounds)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
}
