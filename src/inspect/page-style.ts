/** The inspector's CSS: the protocol pages and the index share it. */
import { FONT_FAMILY } from './layout.ts';

export const PAGE_CSS = `
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
main { display: flex; height: calc(100vh - var(--top, 96px)); min-height: 420px; }
#views { flex: 1; min-width: 0; display: flex; flex-direction: column; }
#canvas { flex: 1; min-height: 120px; overflow: hidden; background: #fff; position: relative; }
body.panel-hidden #panel { display: none; }
#canvas svg { width: 100%; height: 100%; cursor: grab; user-select: none; touch-action: none; }
#canvas svg.dragging { cursor: grabbing; }
#panel { width: 380px; flex: none; overflow: auto; padding: 8px 12px; border-left: 1px solid #ddd; font-size: 13px; background: #fff; }
#panel h2 { font-size: 14px; margin: 12px 0 4px; }
#panel pre, #panel td { font-family: var(--mono); font-size: 12px; }
#panel pre { white-space: pre-wrap; word-break: break-all; background: #f3f3f3; padding: 4px 6px; margin: 0; max-height: 240px; overflow: auto; }
#panel table { border-collapse: collapse; }
#panel td { padding: 1px 4px; vertical-align: top; word-break: break-all; }
#panel td:first-child { white-space: nowrap; word-break: normal; }
#panel table.properties td { font-family: inherit; word-break: normal; }
#panel td.num { text-align: right; }
#panel td.from { color: #777; } #panel td.to { color: #0d47a1; font-weight: bold; }
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
svg.chart .selected > rect, svg.chart .edge.selected .line { stroke: #1565c0; stroke-width: 3; }
svg.chart .edge.row.selected { fill: #1565c0; font-weight: bold; }
svg.chart .edge { cursor: pointer; }
div.property { border-bottom: 1px solid #e5e5e5; padding: 4px 0; }
/* cited source lines */
details.cite { margin: 2px 0; }
details.cite summary { cursor: pointer; color: #455a64; font-family: var(--mono); font-size: 12px; }
pre.source, #panel pre.source { white-space: pre; word-break: normal; overflow: auto; max-height: 260px; background: #f5f5f0; border-left: 3px solid #b0bec5; padding: 2px 6px; margin: 2px 0 6px; font-family: var(--mono); font-size: 11.5px; line-height: 1.35; }
pre.source .ln { color: #999; user-select: none; display: inline-block; min-width: 3.5em; }
pre.source mark { background: #fff3c4; display: inline-block; min-width: 100%; }
/* the sequence chart */
#sequence { flex: none; height: 40%; min-height: 120px; display: flex; flex-direction: column; border-top: 2px solid #cfd8dc; background: #fff; }
body:not([data-mode="trace"]) #sequence { display: none; }
#sequence-head { flex: none; position: relative; height: 24px; overflow: hidden; border-bottom: 1px solid #ddd; background: #f3f5f6; font: bold 12px var(--mono); }
#sequence-head span { position: absolute; top: 4px; text-align: center; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
#sequence-head span.device { color: #6a1b9a; }
#sequence-scroll { flex: 1; overflow: auto; position: relative; }
#sequence-scroll svg { position: absolute; left: 0; font-family: var(--mono); font-size: 11.5px; }
#sequence .lifeline { stroke: #b0bec5; stroke-dasharray: 3 3; }
#sequence .row-band { fill: transparent; cursor: pointer; }
#sequence .row-band.current { fill: #fff3e0; }
#sequence .row-band:hover { fill: #f5f5f5; }
#sequence .box rect { fill: #eceff1; stroke: #607d8b; }
#sequence .box.current rect { fill: #ffe0b2; stroke: var(--hot); stroke-width: 2; }
#sequence .box.device rect { fill: #f3e5f5; stroke: #8e24aa; }
#sequence .box.violation rect { fill: #ffebee; stroke: var(--bad); stroke-width: 2; }
#sequence .sync { stroke: #546e7a; stroke-width: 1.2; fill: none; }
#sequence .step-no { fill: #999; }
#sequence .lane-state { fill: #0d47a1; font-size: 10.5px; }
#sequence .violation-text { fill: var(--bad); font-weight: bold; }
`;
