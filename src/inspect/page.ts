/**
 * The HTML pages: one self-contained page per protocol (SVG, data, CSS and script inline; no
 * network, works from file://) and the report's index. Text from models and traces is escaped
 * (escapeXml) or embedded as escaped JSON (jsonForScript) that the script writes with textContent.
 */
import { readFileSync } from 'node:fs';
import { escapeXml as x, jsonForScript } from './escape.ts';
import type { PageData } from './page-data.ts';
import { PAGE_CSS } from './page-style.ts';
import type { SourceExcerpt } from './sources.ts';

const CLIENT_SCRIPT = readFileSync(new URL('./client.js', import.meta.url), 'utf8');

/** Cited lines as a collapsible excerpt per range, the cited lines marked. */
export function excerptsHtml(excerpts: readonly SourceExcerpt[] | undefined, open = false): string {
  return (excerpts ?? [])
    .map((excerpt) => {
      const lines = excerpt.lines.map((text, i) => {
        const n = excerpt.start + i;
        const line = `<span class="ln">${n}</span>${x(text)}`;
        return n >= excerpt.from && n <= excerpt.to ? `<mark>${line}</mark>` : line;
      });
      const range =
        excerpt.from === excerpt.to ? `${excerpt.from}` : `${excerpt.from}-${excerpt.to}`;
      return `<details class="cite"${open ? ' open' : ''}><summary>${x(`${excerpt.file}:${range}`)}</summary><pre class="source">${lines.join('\n')}</pre></details>`;
    })
    .join('');
}

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
    const cited = data.sources[p.source]
      ? excerptsHtml(data.sources[p.source])
      : `<div class="help">${x(p.source)}</div>`;
    return `<div class="property" id="property-${x(p.name)}"><div><b>${x(p.name)}</b> ${verdict}${link}</div><div>${x(p.statement)}${p.message ? `<br><span class="fails">${x(p.message)}</span>` : ''}</div>${cited}</div>`;
  });
  return `<h2>Properties</h2><div class="property-list">${rows.join('')}</div>`;
}

export function renderPage(
  data: PageData,
  svg: string,
  options: { indexHref?: string; links?: ReadonlyArray<{ href: string; label: string }> } = {},
): string {
  const config = [
    ...Object.entries(data.config.bounds).map(([k, v]) => `${k}=${v}`),
    ...data.config.variants.map((v) => `variant ${v}`),
  ].join(' ');
  const exploration = data.exploration
    ? ` · ${data.exploration.states} states, ${data.exploration.transitions} transitions, depth ${data.exploration.depth}${data.exploration.complete ? '' : ' (incomplete)'}`
    : '';
  const links = (options.links ?? [])
    .map((l) => `<a href="${x(l.href)}">${x(l.label)}</a>`)
    .join(' · ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${x(data.protocol)}${data.config.variants.length ? ` (${x(data.config.variants.join(', '))})` : ''} · mailbox-models inspector</title>
<style>${PAGE_CSS}</style>
</head>
<body data-mode="structure">
<header>
${options.indexHref ? `<a href="${x(options.indexHref)}">← report</a> · ` : ''}<h1>${x(data.title)}</h1> <span class="meta">${x(data.protocol)} · seed ${x(data.seed)}</span>
<div class="meta">${data.role ? `<b>${x(data.role)}</b> · ` : ''}${x(config)}${x(exploration)}${links ? ` · ${links}` : ''}</div>
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
<label class="for-trace" title="zoom to the active states and the step's transitions at every step"><input type="checkbox" id="follow"> follow</label>
<span class="sep"></span>
<select id="goto-state" title="zoom to a state"><option value="">go to state…</option></select>
<button id="zoom-out" title="zoom out">−</button><button id="zoom-in" title="zoom in">+</button><button id="zoom-fit" title="fit the whole chart (double-click the background)">fit</button>
<button id="toggle-panel" title="show or hide the side panel">panel</button>
<span class="help">wheel: zoom · drag: pan · click an arrow or a state: details and cited source</span>
</div>
<main>
<div id="views">
<div id="canvas">
${svg}
</div>
<div id="sequence" aria-label="sequence chart">
<div id="sequence-head"></div>
<div id="sequence-scroll"><div id="sequence-spacer"></div></div>
</div>
</div>
<aside id="panel">
<div id="selection" hidden>
<h2 id="selection-title"></h2>
<div id="selection-body"></div>
</div>
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
<div id="trace-property-source"></div>
<p class="help">← / → step · Home / End · click a row of the sequence chart · the URL links to this step</p>
<h2 id="step-title"></h2>
<h2>State</h2><pre id="step-value"></pre>
<h2>Event</h2><pre id="step-event"></pre>
<h2>Transitions taken</h2><pre id="step-taken"></pre>
<div id="step-source"></div>
<h2>Outputs</h2><pre id="step-outputs"></pre>
<h2>Context change</h2><table><tbody id="step-changes"></tbody></table>
<details><summary>Context</summary><pre id="step-context"></pre></details>
</div>
${propertiesTable(data)}
<p class="help">Arrows: transitions, labelled with what the step does (the model's description, else <code>event [guard]</code>; an inline guard shows its condition). <code>event ×n</code>: n guarded alternatives of one event between the same states, folded into one arrow (hover or click for each). Rows inside a state: transitions without a target, to the state itself (↻), or to its own ancestor (^) or descendant (→). Dashed boxes: regions of a parallel state (∥).</p>
</aside>
</main>
<script type="application/json" id="inspector-data">${jsonForScript(data)}</script>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}
