/**
 * Draws a laid-out chart as SVG. Every state is a `<g id="state:<id>" data-state="<id>">`,
 * every transition (arrow or row) an element with `id="edge:<label>"` and `data-edge="<label>"`
 * (extra targets of one transition: `edge:<label>#<n>`), which the page's script and the
 * tests find by id. All text is escaped.
 */
import type { Chart, ChartTransition } from './chart.ts';
import { escapeXml as x } from './escape.ts';
import {
  FONT_FAMILY,
  FONT_SIZE,
  LINE_HEIGHT,
  edgeElementId,
  stateElementId,
  type Layout,
  type Point,
} from './layout.ts';

const r = (n: number) => Math.round(n * 10) / 10;

function pathOf(points: Point[]): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${r(p.x)},${r(p.y)}`).join(' ');
}

function describe(transition: ChartTransition): string[] {
  const lines = [transition.label];
  if (transition.description !== undefined) lines.push(transition.description);
  if (transition.guard !== undefined) {
    lines.push(`guard: ${transition.guardSource ?? transition.guard}`);
  }
  if (transition.actions.length > 0) lines.push(`actions: ${transition.actions.join(', ')}`);
  if (transition.targets.length > 0) lines.push(`→ ${transition.targets.join(', ')}`);
  return lines;
}

function tooltip(transitions: readonly ChartTransition[]): string {
  const text = transitions.map((t) => describe(t).join('\n')).join('\n\n');
  return `<title>${x(text)}</title>`;
}

/** The element's transition label, and for a folded bundle every label it stands for. */
function edgeData(transitions: readonly ChartTransition[]): string {
  const first = `data-edge="${x(transitions[0].label)}"`;
  if (transitions.length === 1) return first;
  return `${first} data-edges="${x(JSON.stringify(transitions.map((t) => t.label)))}"`;
}

export function renderSvg(chart: Chart, layout: Layout): string {
  const out: string[] = [];
  const width = Math.ceil(layout.width);
  const height = Math.ceil(layout.height);
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${x(FONT_FAMILY)}" font-size="${FONT_SIZE}">`,
    '<defs>',
    // userSpaceOnUse: the arrowhead keeps its size whatever the stroke width (highlighting).
    '<marker id="arrow" markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10" refX="9" refY="5" orient="auto"><path d="M0,1 L9,5 L0,9 z" class="arrowhead"/></marker>',
    '<marker id="arrow-taken" markerUnits="userSpaceOnUse" markerWidth="12" markerHeight="12" refX="10" refY="6" orient="auto"><path d="M0,1 L11,6 L0,11 z" class="arrowhead-taken"/></marker>',
    '</defs>',
    '<g class="viewport">',
  );

  out.push('<g class="states">');
  for (const id of chart.order) {
    const state = chart.states.get(id)!;
    const box = layout.states.get(id);
    if (!box) continue;
    const parentKind = state.parent ? chart.states.get(state.parent)!.kind : undefined;
    const classes = ['state', state.kind, ...(parentKind === 'parallel' ? ['region'] : [])];
    if (id === chart.rootId) classes.push('root');
    out.push(
      `<g id="${x(stateElementId(id))}" data-state="${x(id)}" class="${classes.join(' ')}">`,
      `<title>${x(`${id} (${state.kind}${parentKind === 'parallel' ? ' region' : ''})`)}</title>`,
      `<rect x="${r(box.x)}" y="${r(box.y)}" width="${r(box.width)}" height="${r(box.height)}" rx="${state.children.length > 0 ? 8 : 6}"/>`,
      `<text class="name" x="${r(box.x + 8)}" y="${r(box.y + 16)}">${x(state.key)}${state.kind === 'parallel' ? ' ∥' : ''}</text>`,
    );
    if (state.children.length > 0) {
      out.push(
        `<line class="divider" x1="${r(box.x)}" y1="${r(box.y + 22)}" x2="${r(box.x + box.width)}" y2="${r(box.y + 22)}"/>`,
      );
    }
    (layout.rows.get(id) ?? []).forEach((row, i) => {
      out.push(
        `<text id="${x(row.id)}" ${edgeData(row.transitions)} class="edge row" x="${r(box.x + 8)}" y="${r(box.y + 22 + (i + 1) * LINE_HEIGHT - 2)}">${tooltip(row.transitions)}${x(row.text)}</text>`,
      );
    });
    out.push('</g>');
  }
  out.push('</g>');

  out.push('<g class="initials">');
  for (const [id, { dot, points }] of layout.initials) {
    out.push(
      `<g class="initial" data-initial="${x(id)}">`,
      `<circle cx="${r(dot.x + dot.width / 2)}" cy="${r(dot.y + dot.height / 2)}" r="${r(dot.width / 2 - 1)}"/>`,
      points.length > 1 ? `<path d="${pathOf(points)}" marker-end="url(#arrow)"/>` : '',
      '</g>',
    );
  }
  out.push('</g>');

  out.push('<g class="edges">');
  for (const edge of layout.edges) {
    out.push(
      `<g id="${x(edge.id)}" ${edgeData(edge.transitions)} class="edge arrow">`,
      tooltip(edge.transitions),
      `<path class="line" d="${pathOf(edge.points)}" marker-end="url(#arrow)"/>`,
    );
    if (edge.label) {
      const { x: lx, y: ly, width, height, text } = edge.label;
      out.push(
        `<rect class="label-bg" x="${r(lx - 1)}" y="${r(ly)}" width="${r(width + 2)}" height="${r(height)}" rx="3"/>`,
        `<text class="label" x="${r(lx + 2)}" y="${r(ly + height - 4)}">${x(text)}</text>`,
      );
    }
    out.push('</g>');
  }
  out.push('</g>');
  out.push('</g></svg>');
  return out.join('\n');
}

/**
 * Every element id the SVG of a chart carries: the contract the tests check. A transition
 * folded into a bundle has no element of its own; the bundle's `data-edges` names it.
 */
export function elementIds(chart: Chart, layout: Layout): { states: string[]; edges: string[] } {
  const edges = [
    ...[...layout.rows.values()].flat().map((row) => row.id),
    ...layout.edges.map((edge) => edge.id),
  ];
  return { states: chart.order.map(stateElementId), edges };
}

export { edgeElementId, stateElementId };
