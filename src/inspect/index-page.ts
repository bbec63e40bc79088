/**
 * The report's index: per protocol what the models found in the seed's code as written (each
 * finding one click from its counterexample, drawn on the variant's own page) and what the
 * default (fixed) model proves, at which bounds; then each protocol's properties.
 */
import { escapeXml as x } from './escape.ts';
import { PAGE_CSS } from './page-style.ts';

/** One explored configuration, as the index shows it; `href` is its page. */
export interface IndexRun {
  href: string;
  bounds: Record<string, number>;
  variants: string[];
  states?: number;
  transitions?: number;
  seconds?: number;
  complete?: boolean;
  properties: Array<{
    name: string;
    holds: boolean | null;
    statement: string;
    /** Length of the counterexample, and the link to step 0 of it. */
    steps?: number;
    traceHref?: string;
  }>;
}

export interface IndexFinding {
  variant: string;
  description: string;
  source: string;
  run: IndexRun;
  /** Properties the variant declares it breaks that did not fail. */
  missing: string[];
}

export interface IndexProtocol {
  protocol: string;
  title: string;
  seed: string;
  /** The default (fixed) model, or the only configuration shown. */
  model: IndexRun;
  /**
   * The default model at its deep bounds: explored (with a page), the same bounds, proven by an
   * earlier run on the same sources (`proven` says by what), or not run.
   */
  deep?: {
    kind: 'same' | 'explored' | 'cached' | 'not-run';
    bounds: Record<string, number>;
    run?: IndexRun;
    proven?: string;
  };
  findings: IndexFinding[];
  /** Other configurations on their own pages (a trace recorded under other variants or bounds). */
  others: IndexRun[];
}

const number = new Intl.NumberFormat('en-US');

const bounds = (values: Record<string, number>): string =>
  Object.entries(values)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ') || '(no bounds)';

const link = (href: string | undefined, text: string): string =>
  href ? `<a href="${x(href)}">${x(text)}</a>` : x(text);

function allHold(run: IndexRun): boolean {
  return run.properties.every((p) => p.holds === true);
}

/** `FAILS a (5 steps)` or `3 undecided`, for a run where not everything holds. */
function runVerdict(run: IndexRun): string {
  const failed = run.properties.filter((p) => p.holds === false);
  if (failed.length > 0) {
    return `<span class="fails">FAILS</span> ${failed
      .map(
        (p) => `${link(p.traceHref, p.name)}${p.steps === undefined ? '' : ` (${p.steps} steps)`}`,
      )
      .join(', ')}`;
  }
  const undecided = run.properties.filter((p) => p.holds === null).length;
  return undecided > 0
    ? `<span class="unknown">${undecided} undecided</span> (the state budget ran out)`
    : `<span class="holds">all ${run.properties.length} hold</span>`;
}

/** "seed as written: fails P (5 steps), Q (16, 17 steps)": each length links to its counterexample. */
function seedLine(findings: readonly IndexFinding[]): string {
  const byProperty = new Map<string, Array<{ steps: number; href?: string }>>();
  for (const finding of findings) {
    for (const p of finding.run.properties) {
      if (p.holds !== false || p.steps === undefined) continue;
      byProperty.set(p.name, [
        ...(byProperty.get(p.name) ?? []),
        { steps: p.steps, ...(p.traceHref ? { href: p.traceHref } : {}) },
      ]);
    }
  }
  const lost = findings.flatMap((f) => f.missing.map((m) => `${m} (${f.variant})`));
  const fails = [...byProperty].map(([name, list]) => {
    const sorted = [...list].sort((a, b) => a.steps - b.steps);
    const lengths = sorted.map((c) => link(c.href, String(c.steps))).join(', ');
    return `<span class="fails">${x(name)}</span> (${lengths} steps)`;
  });
  return (
    `seed as written: ${fails.length > 0 ? `fails ${fails.join(', ')}` : 'no property fails'}` +
    (lost.length > 0 ? `; <span class="fails">LOST</span> ${x(lost.join(', '))}` : '')
  );
}

function modelLine(entry: IndexProtocol): string {
  const name = entry.findings.length > 0 ? 'default (fixed) model' : 'model';
  const { model, deep } = entry;
  if (!allHold(model))
    return `${link(model.href, name)}: ${runVerdict(model)} at bounds ${x(bounds(model.bounds))}`;
  let deepText = '';
  if (deep?.kind === 'same') deepText = ' (these are also its deep bounds)';
  else if (deep?.kind === 'cached') {
    deepText = ` and deep bounds ${x(bounds(deep.bounds))} (${x(deep.proven ?? '')})`;
  } else if (deep?.kind === 'not-run') {
    deepText = `; deep bounds ${x(bounds(deep.bounds))} not run (<code>check --deep</code>)`;
  } else if (deep?.kind === 'explored' && deep.run) {
    deepText = allHold(deep.run)
      ? ` and ${link(deep.run.href, `deep bounds ${bounds(deep.bounds)}`)}`
      : `; at ${link(deep.run.href, `deep bounds ${bounds(deep.bounds)}`)}: ${runVerdict(deep.run)}`;
  }
  return `${link(model.href, name)}: <span class="holds">all ${model.properties.length} hold</span>, proven at bounds ${x(bounds(model.bounds))}${deepText}`;
}

function statistics(run: IndexRun): string {
  if (run.states === undefined) return '';
  return `${number.format(run.states)} states, ${number.format(run.transitions ?? 0)} transitions, ${run.seconds?.toFixed(2)} s${run.complete ? '' : ', incomplete'}`;
}

function propertyRows(run: IndexRun): string {
  return run.properties
    .map((p) => {
      const verdict =
        p.holds === true
          ? '<span class="holds">holds</span>'
          : p.holds === false
            ? `<span class="fails">FAILS</span>${p.traceHref ? ` ${link(p.traceHref, `counterexample (${p.steps} steps)`)}` : ''}`
            : '<span class="unknown">undecided</span>';
      return `<tr><td>${x(p.name)}</td><td>${verdict}</td><td>${x(p.statement)}</td></tr>`;
    })
    .join('');
}

function findingRows(findings: readonly IndexFinding[]): string {
  return findings
    .map((f) => {
      const fails = f.run.properties
        .filter((p) => p.holds === false)
        .map(
          (p) =>
            `${link(p.traceHref, p.name)}${p.steps === undefined ? '' : ` (${p.steps} steps)`}`,
        );
      const lost = f.missing.map((m) => `<span class="fails">LOST</span> ${x(m)}`);
      return `<tr><td>${link(f.run.href, f.variant)}</td><td>${[...fails, ...lost].join('<br>')}</td><td>${x(f.description)}<br><span class="help">${x(f.source)}</span></td></tr>`;
    })
    .join('');
}

function section(entry: IndexProtocol): string {
  const parts = [
    `<section id="${x(entry.protocol)}"><h2>${link(entry.model.href, entry.protocol)} — ${x(entry.title)}</h2>`,
    `<p class="help">seed ${x(entry.seed)}</p>`,
  ];
  if (entry.findings.length > 0) {
    parts.push(
      `<h3>Seed as written</h3><table class="properties findings"><thead><tr><th>variant</th><th>fails (counterexample)</th><th>what it is</th></tr></thead><tbody>${findingRows(entry.findings)}</tbody></table>`,
    );
  }
  parts.push(
    `<h3>${entry.findings.length > 0 ? 'Default (fixed) model' : 'Model'}: ${x(bounds(entry.model.bounds))}${entry.model.variants.length ? ` · variant ${x(entry.model.variants.join(', '))}` : ''}</h3>`,
    `<p>${x(statistics(entry.model))}</p>`,
    `<table class="properties"><tbody>${propertyRows(entry.model)}</tbody></table>`,
  );
  if (entry.deep?.kind === 'explored' && entry.deep.run) {
    parts.push(
      `<h3>${link(entry.deep.run.href, `At its deep bounds: ${bounds(entry.deep.bounds)}`)}</h3>`,
      `<p>${x(statistics(entry.deep.run))} · ${runVerdict(entry.deep.run)}</p>`,
    );
  }
  for (const other of entry.others) {
    parts.push(
      `<h3>${link(other.href, `${bounds(other.bounds)}${other.variants.length ? ` · variant ${other.variants.join(', ')}` : ''}`)}</h3>`,
      `<p>${x(statistics(other))} · ${runVerdict(other)}</p>`,
    );
  }
  parts.push('</section>');
  return parts.join('\n');
}

export function renderIndex(protocols: readonly IndexProtocol[], generated: string): string {
  const summary = protocols
    .map(
      (entry) =>
        `<tr><td><a href="#${x(entry.protocol)}">${x(entry.protocol)}</a></td><td>${
          entry.findings.length > 0 ? `${seedLine(entry.findings)}<br>` : ''
        }${modelLine(entry)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>mailbox-models report</title>
<style>${PAGE_CSS} body { padding: 0 16px 24px; max-width: 1200px; } section { margin-top: 24px; } h3 { font-size: 14px; margin: 12px 0 4px; } table.summary td { padding: 4px 8px; vertical-align: top; border-bottom: 1px solid #e5e5e5; }</style>
</head>
<body class="index">
<h1>mailbox-models report</h1>
<p class="help">${x(generated)} · a counterexample link opens the trace on the page of the model it was found in (its variant and bounds)</p>
<table class="summary"><tbody>
${summary}
</tbody></table>
${protocols.map(section).join('\n')}
</body>
</html>
`;
}
