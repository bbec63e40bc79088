/**
 * The cost-curve plot as plain SVG: seconds (y, log scale) against distinct states (x, log
 * scale), one polyline per protocol; a hollow marker is a run cut short by the budget.
 */
import type { Curve } from './curves.ts';

const WIDTH = 720;
const HEIGHT = 420;
const MARGIN = { left: 70, right: 170, top: 30, bottom: 50 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf'];

const escape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function decades(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++)
    ticks.push(10 ** e);
  return ticks;
}

export function costCurveSvg(curves: Curve[], title: string): string {
  const points = curves.flatMap((curve) => curve.points);
  const xs = points.map((p) => Math.max(p.states, 1));
  const ys = points.map((p) => Math.max(p.seconds, 0.001));
  const xTicks = decades(Math.min(...xs, 10), Math.max(...xs, 100));
  const yTicks = decades(Math.min(...ys, 0.01), Math.max(...ys, 1));
  const [x0, x1] = [Math.log10(xTicks[0]), Math.log10(xTicks.at(-1)!)];
  const [y0, y1] = [Math.log10(yTicks[0]), Math.log10(yTicks.at(-1)!)];
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const px = (v: number) => MARGIN.left + ((Math.log10(Math.max(v, 1)) - x0) / (x1 - x0)) * plotW;
  const py = (v: number) =>
    MARGIN.top + plotH - ((Math.log10(Math.max(v, 0.001)) - y0) / (y1 - y0)) * plotH;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${MARGIN.left}" y="18" font-size="14">${escape(title)}</text>`,
  ];
  for (const t of xTicks) {
    const x = px(t).toFixed(1);
    out.push(
      `<line x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${MARGIN.top + plotH}" stroke="#ddd"/>`,
      `<text x="${x}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${t.toLocaleString('en-US')}</text>`,
    );
  }
  for (const t of yTicks) {
    const y = py(t).toFixed(1);
    out.push(
      `<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + plotW}" y2="${y}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${t}</text>`,
    );
  }
  out.push(
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 12}" text-anchor="middle">distinct states (log)</text>`,
    `<text x="16" y="${MARGIN.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 16 ${MARGIN.top + plotH / 2})">seconds (log)</text>`,
  );
  curves.forEach((curve, i) => {
    const color = COLORS[i % COLORS.length];
    const coords = curve.points.map(
      (p) => `${px(p.states).toFixed(1)},${py(p.seconds).toFixed(1)}`,
    );
    if (coords.length > 1) {
      out.push(
        `<polyline points="${coords.join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`,
      );
    }
    curve.points.forEach((p) => {
      out.push(
        `<circle cx="${px(p.states).toFixed(1)}" cy="${py(p.seconds).toFixed(1)}" r="4" stroke="${color}" stroke-width="2" fill="${p.complete ? color : 'white'}"/>`,
      );
    });
    const ly = MARGIN.top + 10 + i * 18;
    out.push(
      `<line x1="${WIDTH - MARGIN.right + 15}" y1="${ly}" x2="${WIDTH - MARGIN.right + 35}" y2="${ly}" stroke="${color}" stroke-width="2"/>`,
      `<text x="${WIDTH - MARGIN.right + 40}" y="${ly}" dominant-baseline="middle">${escape(curve.protocol)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
