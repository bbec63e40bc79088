import { afterAll, describe, expect, it } from 'vitest';
import { assign, setup } from 'xstate';
import { resolveConfig } from '../src/model/config.ts';
import { explore } from '../src/explore/explore.ts';
import { activeStates, chartOf } from '../src/inspect/chart.ts';
import {
  DIAGRAM_END,
  DIAGRAM_START,
  diagramBlock,
  replaceDiagramBlock,
} from '../src/inspect/docs-diagrams.ts';
import { stopElk } from '../src/inspect/elk-runner.ts';
import { jsonForScript } from '../src/inspect/escape.ts';
import { toDot, toMermaid } from '../src/inspect/export.ts';
import { layoutChart } from '../src/inspect/layout.ts';
import { renderProtocolPage } from '../src/inspect/report.ts';
import { replayEvents } from '../src/inspect/replay.ts';
import { elementIds, renderSvg } from '../src/inspect/svg.ts';
import { defineModel } from '../src/model/model.ts';
import { ModelSystem } from '../src/model/system.ts';
import { toyModel } from './fixtures/toy-mailbox.ts';

afterAll(stopElk);

const toySystem = () => new ModelSystem(toyModel, resolveConfig(toyModel));

/** Ids that appear as `id="…"` in markup, unescaped. */
function idsIn(markup: string): Set<string> {
  const unescape = (s: string) =>
    s
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&');
  return new Set([...markup.matchAll(/ id="([^"]*)"/g)].map((m) => unescape(m[1])));
}

const HOSTILE = `</script><img src=x onerror="alert(1)">'&`;

/** A model whose state, event and guard names try to break out of every context. */
const hostileModel = defineModel<{ n: number }, { type: string }>({
  name: 'hostile<script>',
  title: `Hostile ${HOSTILE}`,
  seed: 'none',
  bounds: [],
  variants: [],
  build() {
    const machine = setup({
      types: {} as { context: { n: number }; events: { type: string } },
      guards: { [`g${HOSTILE}`]: ({ context }) => context.n < 2 },
    }).createMachine({
      id: 'root',
      context: { n: 0 },
      initial: HOSTILE,
      states: {
        [HOSTILE]: {
          on: {
            [`ev${HOSTILE}`]: {
              guard: `g${HOSTILE}`,
              target: 'other',
              actions: assign({ n: ({ context }) => context.n + 1 }),
            },
          },
        },
        other: { on: { back: { target: HOSTILE } } },
      },
    });
    return {
      machine,
      properties: [
        {
          kind: 'invariant',
          name: 'n-small',
          statement: `n stays below 2 ${HOSTILE}`,
          source: 'test',
          check: ({ context }) => context.n < 2 || `n is ${context.n} ${HOSTILE}`,
        },
      ],
      events: () => [{ type: `ev${HOSTILE}` }, { type: 'back' }],
    };
  },
});

describe('chart', () => {
  it('has the engine’s state node ids and transition labels', () => {
    const system = toySystem();
    const chart = chartOf(system.instance.machine);
    expect(chart.order).toEqual(system.compiled.stateNodeIds);
    expect(chart.transitions.map((t) => t.label)).toEqual(
      system.compiled.transitions.map((t) => t.label),
    );
    expect(chart.states.get('toy')!.kind).toBe('parallel');
    expect(chart.states.get('toy.host')!.initial).toBe('toy.host.IDLE');
  });

  it('maps a state value to the active state nodes', () => {
    const chart = chartOf(toySystem().instance.machine);
    expect(activeStates(chart, { host: 'WAITING', device: {} })).toEqual([
      'toy',
      'toy.host',
      'toy.host.WAITING',
      'toy.device',
    ]);
  });
});

describe('SVG', () => {
  it('carries an id for every state and for every transition, one arrow per target', async () => {
    for (const variants of [[], ['no-timeout']]) {
      const system = new ModelSystem(toyModel, resolveConfig(toyModel, { variants }));
      const chart = chartOf(system.instance.machine);
      const layout = await layoutChart(chart);
      const svg = renderSvg(chart, layout);
      const ids = idsIn(svg);
      for (const id of system.compiled.stateNodeIds) expect(ids).toContain(`state:${id}`);
      for (const t of system.compiled.transitions) expect(ids).toContain(`edge:${t.label}`);
      const expected = elementIds(chart, layout);
      for (const id of [...expected.states, ...expected.edges]) expect(ids).toContain(id);
      // Guarded alternatives of one event are separate elements with separate label text.
      expect(ids).toContain('edge:toy.host.WAITING:reply:0');
      expect(ids).toContain('edge:toy.host.WAITING:reply:1');
      expect(svg).toContain('reply [seqMatches] #1');
      expect(svg).toContain('reply #2');
      // Initial marker into IDLE, and the user-space arrowheads the issue asks for.
      expect(svg).toContain('data-initial="toy.host"');
      expect(svg).toContain('markerUnits="userSpaceOnUse"');
      // Every arrow has a path with at least two points inside the drawing.
      for (const edge of layout.edges) {
        expect(edge.points.length).toBeGreaterThanOrEqual(2);
        for (const p of edge.points) {
          expect(p.x).toBeGreaterThanOrEqual(0);
          expect(p.x).toBeLessThanOrEqual(layout.width);
        }
      }
    }
  });

  it('nests states inside their parents', async () => {
    const chart = chartOf(toySystem().instance.machine);
    const layout = await layoutChart(chart);
    for (const state of chart.states.values()) {
      if (!state.parent) continue;
      const inner = layout.states.get(state.id)!;
      const outer = layout.states.get(state.parent)!;
      expect(inner.x).toBeGreaterThanOrEqual(outer.x);
      expect(inner.y).toBeGreaterThanOrEqual(outer.y);
      expect(inner.x + inner.width).toBeLessThanOrEqual(outer.x + outer.width + 0.01);
      expect(inner.y + inner.height).toBeLessThanOrEqual(outer.y + outer.height + 0.01);
    }
  });
});

describe('escaping', () => {
  it('a hostile label cannot open an element or a script anywhere on the page', async () => {
    const exploration = explore(hostileModel);
    expect(exploration.properties.find((p) => p.name === 'n-small')!.holds).toBe(false);
    const page = await renderProtocolPage({ model: hostileModel, exploration });
    // Exactly our two script elements: the JSON data and the client script.
    expect(page.html.match(/<script/g)).toHaveLength(2);
    expect(page.html).not.toContain('<img');
    expect(page.html).not.toMatch(/onerror="/);
    // The data block stays one JSON document that still has the hostile text in it.
    const data = /<script type="application\/json" id="inspector-data">(.*?)<\/script>/s.exec(
      page.html,
    )![1];
    expect(JSON.parse(data).states.map((s: { key: string }) => s.key)).toContain(HOSTILE);
    // And the SVG still has the (escaped) ids.
    const ids = idsIn(page.html);
    expect(ids).toContain(`state:root.${HOSTILE}`);
    expect(ids).toContain(`edge:root.${HOSTILE}:ev${HOSTILE}:0`);
  });

  it('JSON for a script element has no markup characters', () => {
    const text = jsonForScript({ a: '</script><!-- \u2028 &' });
    expect(text).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(text)).toEqual({ a: '</script><!-- \u2028 &' });
  });

  it('Mermaid and DOT keep hostile labels inside one statement', () => {
    const chart = chartOf(hostileModel.build(resolveConfig(hostileModel)).machine);
    const mermaid = toMermaid(chart);
    expect(mermaid).toContain('#60;/script#62;'); // the label survives as entity codes
    for (const line of mermaid.split('\n').slice(1)) {
      const bare = line.replace(/#\d+;/g, '').replace(' --> ', ' ');
      expect(bare).not.toMatch(/[<>;]/);
      expect((bare.match(/"/g) ?? []).length).toBe(bare.includes('state "') ? 2 : 0);
    }
    const dot = toDot(chart);
    // Inside DOT strings every quote is escaped: unescaped quotes pair up on each line.
    for (const line of dot.split('\n')) {
      const quotes = line.replace(/\\\\/g, '').replace(/\\"/g, '').match(/"/g) ?? [];
      expect(quotes.length % 2).toBe(0);
    }
  });
});

describe('Mermaid and DOT export', () => {
  const chart = chartOf(toySystem().instance.machine);

  it('Mermaid: stateDiagram-v2 with composites, regions, initial markers and labels', () => {
    const mermaid = toMermaid(chart);
    const lines = mermaid.trim().split('\n');
    expect(lines[0]).toBe('stateDiagram-v2');
    expect(mermaid).toContain('state "host" as toy_host {');
    expect(mermaid).toContain('[*] --> toy_host_IDLE');
    expect(lines.map((l) => l.trim())).toContain('--'); // parallel regions
    expect(mermaid).toContain('toy_host_IDLE --> toy_host_WAITING : send [canSend]');
    // One arrow per transition target (self-loops for targetless ones), plus initial arrows.
    const arrows = lines.filter((l) => / --> /.test(l) && !l.includes('[*]'));
    expect(arrows).toHaveLength(chart.transitions.length);
    // Braces balance.
    expect(mermaid.split('{').length).toBe(mermaid.split('}').length);
  });

  it('DOT: clusters for compound states and one edge per target', () => {
    const dot = toDot(chart);
    expect(dot.startsWith('digraph "toy" {')).toBe(true);
    expect(dot).toContain('subgraph "cluster_toy.host" {');
    expect(dot).toContain(
      '"toy.host.IDLE" -> "toy.host.WAITING" [label="send [canSend]", id="edge:toy.host.IDLE:send:0"];',
    );
    expect(dot.match(/ -> /g)).toHaveLength(chart.transitions.length + 1); // + the initial arrow
    expect(dot.split('{').length).toBe(dot.split('}').length);
  });
});

describe('page data', () => {
  it('a replayed trace has the active states and transitions of each step', async () => {
    const system = toySystem();
    const trace = replayEvents(system, [{ type: 'send' }, { type: 'reply', seq: 1, id: 0 }]);
    const page = await renderProtocolPage({
      model: toyModel,
      traces: [{ name: 'run', description: 'run', trace }],
    });
    const data = JSON.parse(
      /id="inspector-data">(.*?)<\/script>/s.exec(page.html)![1].replace(/\\u003c/g, '<'),
    );
    const steps = data.traces[0].steps;
    expect(steps.map((s: { active: string[] }) => s.active.at(-2))).toEqual([
      'toy.host.IDLE',
      'toy.host.WAITING',
      'toy.host.IDLE',
    ]);
    expect(steps[1].taken).toEqual(['toy.host.IDLE:send:0']);
    expect(steps[2].taken).toEqual(['toy.host.WAITING:reply:0']);
    expect(steps[1].changes.map((c: { key: string }) => c.key)).toEqual([
      'seq',
      'current',
      'issued',
      'wire',
    ]);
  });
});

describe('docs diagrams', () => {
  const block = diagramBlock('toy', 'stateDiagram-v2\n  A --> B\n');

  it('replaces the marked block and nothing else', () => {
    const page = `# Toy\n\ntext\n\n${DIAGRAM_START}\nold\n${DIAGRAM_END}\n\nafter\n`;
    const updated = replaceDiagramBlock(page, block);
    expect(updated).toBe(`# Toy\n\ntext\n\n${block}\n\nafter\n`);
    expect(replaceDiagramBlock(updated, block)).toBe(updated);
  });

  it('appends the block when the page has no markers', () => {
    const updated = replaceDiagramBlock('# Toy\n', block);
    expect(updated.startsWith('# Toy\n\n## State diagram\n\n' + DIAGRAM_START)).toBe(true);
    expect(updated).toContain('```mermaid\nstateDiagram-v2\n  A --> B\n```');
    expect(replaceDiagramBlock(updated, block)).toBe(updated);
  });
});
