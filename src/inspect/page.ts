/**
 * The HTML pages: one self-contained page per protocol (SVG, data, CSS and script inline; no
 * network, works from file://) and the report's index. Text from models and traces is escaped
 * (escapeXml) or embedded as escaped JSON (jsonForScript) that the script writes with textContent.
 */
import { readFileSync } from 'node:fs';
import { escapeXml as x, jsonForScript } from './escape.ts';
import { FONT_FAMILY } from './layout.ts';
import type { PageData } from './page-data.ts';

const CLIENT_SCRIPT = readFileSync(new URL('./client.js', import.meta.url), 'utf8');

const CSS = `
:root { --mono: ${FONT_FAMILY}; --bad: #c62828; --good: #2e7d32; --hot: #e65100; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: #1d1d1f; background: #fafafa; }
header { padding: 8px 16px; background: #263238; color: #fff; }
header h1 { font-size: 18px; margin: 0; display: inline; }
header a { color: #b3e5fc; }
header .meta { font-size: 12px; color: #cfd8dc; font-family: var(--mono); }
.toolbar { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; padding: 6px 16px; border-bottom: 1px solid #ddd; background: #fff; }
.toolbar button.selected { background: #263238; color: #fff; }
.toolbar .sep { width: 1px; height: 22px; background: #ccc; }
body:not([data-mode="coverage"]) .for-coverage, body:not([data-mode="trace"]) .for-trace { display: none !important; }
main { display: flex; height: calc(100vh - 96px); min-height: 420px; }
#canvas { flex: 1; overflow: hidden; background: #fff; position: relative; }
#canvas svg { width: 100%; height: 100%; cursor: grab; user-select: none; touch-action: none; }
#canvas svg.dragging { cursor: grabbing; }
#panel { width: 420px; overflow: auto; padding: 8px 12px; border-left: 1px solid #ddd; font-size: 13px; }
#panel h2 { font-size: 14px; margin: 12px 0 4px; }
#panel pre, #panel td { font-family: var(--mono); font-size: 12px; }
#panel pre { white-space: pre-wrap; word-break: break-all; background: #f3f3f3; padding: 4px 6px; margin: 0; max-height: 240px; overflow: auto; }
#panel table { border-collapse: collapse; }
#panel td { padding: 1px 4px; vertical-align: top; word-break: break-all; }
#panel td:first-child { white-space: nowrap; word-break: normal; }
#panel table.properties td { font-family: inherit; word-break: normal; }
#panel td.num { text-align: right; }
#panel td.from { color: #777; } #panel td.to { color: #0d47a1; font-weight: bold; }
#step-list { font-family: var(--mono); font-size: 12px; max-height: 220px; overflow: auto; padding-left: 0; list-style: none; margin: 0; border: 1px solid #ddd; }
#step-list li { padding: 1px 6px; cursor: pointer; white-space: nowrap; }
#step-list li.current { background: var(--hot); color: #fff; }
#trace-violation { color: var(--bad); font-weight: bold; }
ul.never { font-family: var(--mono); font-size: 12px; padding-left: 18px; margin: 0; }
ul.never li { color: var(--bad); } ul.never li.none { color: var(--good); }
.help { color: #666; font-size: 12px; }
table.properties { border-collapse: collapse; margin: 0; font-size: 13px; }
table.properties td, table.properties th { border-bottom: 1px solid #e5e5e5; padding: 3px 6px; text-align: left; vertical-align: top; }
.holds { color: var(--good); } .fails { color: var(--bad); font-weight: bold; } .unknown { color: #999; }
/* the chart */
svg.chart .state rect { fill: #fff; stroke: #455a64; stroke-width: 1.2; }
svg.chart .state.compound > rect, svg.chart .state.parallel > rect { fill: #f7f9fa; }
svg.chart .state.root > rect { fill: #fcfcfc; }
svg.chart .state.region > rect { stroke-dasharray: 6 4; fill: #fbfcfd; }
svg.chart .state .name { font-weight: bold; fill: #263238; }
svg.chart .state .divider { stroke: #cfd8dc; }
svg.chart .edge .line, svg.chart .initial path { fill: none; stroke: #607d8b; stroke-width: 1.3; }
svg.chart .arrowhead { fill: #607d8b; } svg.chart .arrowhead-taken { fill: var(--hot); }
svg.chart .initial circle { fill: #263238; }
svg.chart .label-bg { fill: #fff; fill-opacity: 0.9; }
svg.chart .label, svg.chart .row { fill: #37474f; }
svg.chart .edge:hover .line { stroke-width: 3; }
svg.chart .state.active > rect { fill: #ffe0b2; stroke: var(--hot); stroke-width: 3; }
svg.chart .state.compound.active > rect, svg.chart .state.parallel.active > rect { fill: #fffaf3; stroke-width: 1.8; }
svg.chart .edge.taken .line { stroke: var(--hot); stroke-width: 3.5; }
svg.chart .edge.taken .label, svg.chart .row.taken { fill: var(--hot); font-weight: bold; }
svg.chart .state.cov-zero > rect { fill: #ffebee; stroke: var(--bad); stroke-dasharray: 4 3; }
svg.chart .edge.cov-zero .line { stroke: var(--bad); stroke-dasharray: 5 4; }
svg.chart .edge.cov-zero .label, svg.chart .row.cov-zero { fill: var(--bad); }
svg.chart .edge.cov-hit .line { stroke-width: 2.2; }
`;

function propertiesTable(data: PageData): string {
  if (data.properties.length === 0) return '';
  const rows = data.properties.map((p) => {
    const verdict =
      p.holds === true
        ? '<span class="holds">holds</span>'
        : p.holds === false
          ? '<span class="fails">FAILS</span>'
          : '<span class="unknown">undecided</span>';
    const link = p.trace
      ? ` <a href="#mode=trace&amp;trace=${x(encodeURIComponent(p.trace))}&amp;step=0" data-trace-link="${x(p.trace)}">counterexample</a>`
      : '';
    return `<tr><td>${x(p.name)}</td><td>${verdict}${link}</td><td>${x(p.statement)}${p.message ? `<br><span class="fails">${x(p.message)}</span>` : ''}</td></tr>`;
  });
  return `<h2>Properties</h2><table class="properties"><tbody>${rows.join('')}</tbody></table>`;
}

export function renderPage(
  data: PageData,
  svg: string,
  options: { indexHref?: string } = {},
): string {
  const config = [
    ...Object.entries(data.config.bounds).map(([k, v]) => `${k}=${v}`),
    ...data.config.variants.map((v) => `variant ${v}`),
  ].join(' ');
  const exploration = data.exploration
    ? ` · ${data.exploration.states} states, ${data.exploration.transitions} transitions, depth ${data.exploration.depth}${data.exploration.complete ? '' : ' (incomplete)'}`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${x(data.protocol)} · mailbox-models inspector</title>
<style>${CSS}</style>
</head>
<body data-mode="structure">
<header>
${options.indexHref ? `<a href="${x(options.indexHref)}">← all protocols</a> · ` : ''}<h1>${x(data.title)}</h1> <span class="meta">${x(data.protocol)} · seed ${x(data.seed)}</span>
<div class="meta">${x(config)}${x(exploration)}</div>
</header>
<div class="toolbar">
<button id="mode-structure" data-mode-button="structure">Structure</button>
<button id="mode-coverage" data-mode-button="coverage">Coverage</button>
<button id="mode-trace" data-mode-button="trace">Trace</button>
<span class="sep"></span>
<label class="for-coverage">coverage of <select id="coverage-select"></select></label>
<label class="for-trace">trace <select id="trace-select"></select></label>
<button id="prev" class="for-trace" title="previous step (←)">◀ prev</button>
<span id="step-counter" class="for-trace"></span>
<button id="next" class="for-trace" title="next step (→)">next ▶</button>
<span class="sep"></span>
<select id="goto-state" title="zoom to a state"><option value="">go to state…</option></select>
<button id="zoom-out" title="zoom out">−</button><button id="zoom-in" title="zoom in">+</button><button id="zoom-fit" title="fit the whole chart">fit</button>
<span class="help">wheel: zoom · drag: pan · double-click: zoom to a state / fit</span>
</div>
<main>
<div id="canvas">
${svg}
</div>
<aside id="panel">
<div class="for-coverage">
<h2>Coverage</h2>
<p id="coverage-description" class="help"></p>
<p id="coverage-summary"></p>
<h2>Never-active states</h2><ul id="never-states" class="never"></ul>
<h2>Never-taken transitions</h2><ul id="never-transitions" class="never"></ul>
<details><summary>Hit counts</summary><table><tbody id="hit-counts"></tbody></table></details>
</div>
<div class="for-trace">
<h2 id="trace-description"></h2>
<p id="trace-violation"></p>
<ol id="step-list"></ol>
<p class="help">← / → step · Home / End · the URL links to this step</p>
<h2 id="step-title"></h2>
<h2>State</h2><pre id="step-value"></pre>
<h2>Event</h2><pre id="step-event"></pre>
<h2>Transitions taken</h2><pre id="step-taken"></pre>
<h2>Outputs</h2><pre id="step-outputs"></pre>
<h2>Context change</h2><table><tbody id="step-changes"></tbody></table>
<details><summary>Context</summary><pre id="step-context"></pre></details>
</div>
${propertiesTable(data)}
<p class="help">Arrows: transitions, labelled <code>event [guard]</code> (#n numbers the guarded alternatives of one event). Rows inside a state: transitions without a target, to the state itself (↻), or to its own ancestor (^) or descendant (→). Dashed boxes: regions of a parallel state (∥). Hover for guards and actions.</p>
</aside>
</main>
<script type="application/json" id="inspector-data">${jsonForScript(data)}</script>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}

export interface IndexEntry {
  protocol: string;
  title: string;
  href: string;
  states?: number;
  transitions?: number;
  seconds?: number;
  complete?: boolean;
  properties: Array<{ name: string; holds: boolean | null; statement: string; traceHref?: string }>;
}

export function renderIndex(entries: IndexEntry[], generated: string): string {
  const sections = entries.map((entry) => {
    const failing = entry.properties.filter((p) => p.holds === false).length;
    const stats =
      entry.states === undefined
        ? ''
        : `${entry.states} states, ${entry.transitions} transitions, ${entry.seconds?.toFixed(2)} s${entry.complete ? '' : ', incomplete'}`;
    const rows = entry.properties.map(
      (p) =>
        `<tr><td>${x(p.name)}</td><td>${
          p.holds === true
            ? '<span class="holds">holds</span>'
            : p.holds === false
              ? `<span class="fails">FAILS</span>${p.traceHref ? ` <a href="${x(p.traceHref)}">counterexample</a>` : ''}`
              : '<span class="unknown">undecided</span>'
        }</td><td>${x(p.statement)}</td></tr>`,
    );
    return `<section><h2><a href="${x(entry.href)}">${x(entry.protocol)}</a> — ${x(entry.title)}</h2>
<p>${x(stats)} · ${failing === 0 ? '<span class="holds">all properties hold</span>' : `<span class="fails">${failing} failing</span>`}</p>
<table class="properties"><tbody>${rows.join('')}</tbody></table></section>`;
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>mailbox-models report</title>
<style>${CSS} body { padding: 0 16px 24px; } section { margin-top: 16px; }</style>
</head>
<body>
<h1>mailbox-models report</h1>
<p class="help">${x(generated)}</p>
${sections.join('\n')}
</body>
</html>
`;
}
