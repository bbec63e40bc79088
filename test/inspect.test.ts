import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { assign, setup } from 'xstate';
import { resolveConfig } from '../src/model/config.ts';
import { explore } from '../src/explore/explore.ts';
import { activeStates, chartOf, guardCondition } from '../src/inspect/chart.ts';
import {
  DIAGRAM_END,
  DIAGRAM_START,
  diagramBlock,
  replaceDiagramBlock,
} from '../src/inspect/docs-diagrams.ts';
import { stopElk } from '../src/inspect/elk-runner.ts';
import { jsonForScript } from '../src/inspect/escape.ts';
import { toDot, toMermaid } from '../src/inspect/export.ts';
import { labelText, layoutChart } from '../src/inspect/layout.ts';
import { lanesOf } from '../src/inspect/lanes.ts';
import { CHECKPOINT, pageTrace } from '../src/inspect/page-data.ts';
import { citedRanges } from '../src/inspect/sources.ts';
import { renderProtocolPage } from '../src/inspect/report.ts';
import { replayEvents } from '../src/inspect/replay.ts';
import { elementIds, renderSvg } from '../src/inspect/svg.ts';
import { defineModel } from '../src/model/model.ts';
import { ModelSystem } from '../src/model/system.ts';
import { timedModel } from './fixtures/timed-mailbox.ts';
import { toyModel } from './fixtures/toy-mailbox.ts';

afterAll(stopElk);

const toySystem = () => new ModelSystem(toyModel, resolveConfig(toyModel));

/** The JSON a page embeds for its script. */
function pageData(html: string) {
  return JSON.parse(/id="inspector-data">(.*?)<\/script>/s.exec(html)![1]);
}

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
      // Each reads by its guard; no #n is needed when the texts differ.
      expect(svg).toContain('>reply [seqMatches]<');
      expect(svg).toMatch(/>reply</);
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
  it('a replayed trace has the active states, transitions and context changes of each step', async () => {
    const system = toySystem();
    const trace = replayEvents(system, [{ type: 'send' }, { type: 'reply', seq: 1, id: 0 }]);
    const page = await renderProtocolPage({
      model: toyModel,
      traces: [{ name: 'run', description: 'run', trace }],
    });
    const data = pageData(page.html);
    const [run] = data.traces;
    const active = run.configs.map((c: number) =>
      run.configurations[c].active.map((i: number) => data.states[i].id),
    );
    expect(active.map((ids: string[]) => ids.at(-2))).toEqual([
      'toy.host.IDLE',
      'toy.host.WAITING',
      'toy.host.IDLE',
    ]);
    const labels = run.taken.map((ts: number[]) => ts.map((t) => data.transitions[t].label));
    expect(labels).toEqual([['toy.host.IDLE:send:0'], ['toy.host.WAITING:reply:0']]);
    expect(run.changes[1].map((c: [string]) => c[0])).toEqual(['seq', 'current', 'issued', 'wire']);
    expect(run.checkpoints[0]).toEqual(trace.initial.context);
    expect(run.outputs).toEqual({ 2: [{ type: 'complete', id: 0, rc: 0 }] });
  });

  it('carries the clock of a timed model per step', () => {
    const system = new ModelSystem(timedModel, resolveConfig(timedModel));
    const trace = replayEvents(system, [
      { type: 'send' },
      { type: 'tick' },
      { type: 'tick' },
      { type: 'device_answer' },
      { type: 'irq' },
    ]);
    expect(trace.steps.map((s) => s.time)).toEqual([0, 1, 2, 2, 2]);
    const page = pageTrace(chartOf(system.instance.machine), 'timed', 'timed', trace);
    expect(page.times).toEqual([0, 0, 1, 2, 2, 2]);
    // An untimed model's trace has no clock.
    const toy = replayEvents(toySystem(), [{ type: 'send' }]);
    expect(pageTrace(chartOf(toySystem().instance.machine), 'toy', 'toy', toy).times).toBe(
      undefined,
    );
  });

  it('keeps a whole context only every CHECKPOINT steps', () => {
    const system = toySystem();
    const chart = chartOf(system.instance.machine);
    // Page data does not replay: a long trace made of a short one's steps, over and over.
    const short = replayEvents(system, [{ type: 'send' }, { type: 'timeout' }, { type: 'send' }]);
    const long = {
      ...short,
      steps: Array.from({ length: 2 * CHECKPOINT + 10 }, (_, i) => short.steps[i % 3]),
    };
    const page = pageTrace(chart, 'long', 'long', long);
    expect(Object.keys(page.checkpoints).map(Number)).toEqual([0, CHECKPOINT, 2 * CHECKPOINT]);
    expect(page.checkpoints[CHECKPOINT]).toEqual(long.steps[CHECKPOINT - 1].context);
    expect(page.changes).toHaveLength(long.steps.length + 1);
    // Two distinct configurations (IDLE, WAITING) however long the trace.
    expect(page.configurations).toHaveLength(2);
  });

  it('merges a trace that is already on the page (a counterexample saved to a file)', async () => {
    const model = { ...toyModel };
    const exploration = explore(model, { variants: ['accept-any-seq'] });
    const failing = exploration.properties.find((p) => p.name === 'reply-matches-request')!;
    const page = await renderProtocolPage({
      model,
      request: { variants: ['accept-any-seq'] },
      exploration,
      traces: [
        { name: 'reply-matches-request', description: 'from cex.json', trace: failing.trace! },
      ],
    });
    const names = pageData(page.html).traces.map((t: { name: string }) => t.name);
    expect(names.filter((n: string) => n.startsWith('reply-matches-request'))).toEqual([
      'reply-matches-request',
    ]);
    expect(page.file).toBe('toy--accept-any-seq.html');
  });
});

describe('readable labels and folded arrows', () => {
  it('reads an inline guard as its condition', () => {
    expect(guardCondition("({ context }) => context.mode === 'POLL'")).toBe("mode === 'POLL'");
    expect(guardCondition('({context})=>context.mode==="EVENTS"&&!context.busy')).toBe(
      'mode==="EVENTS"&&!busy',
    );
    expect(guardCondition('({ context }) => { return context.n > 1; }')).toBe('n > 1');
    expect(guardCondition('({ context }) => { const a = 1; return a; }')).toBe('');
    expect(guardCondition('function guard() { return true; }')).toBe('');
  });

  /** One state with three guarded alternatives of one event to one target, and a description. */
  const bundleModel = defineModel<{ n: number }, { type: string }>({
    name: 'bundle',
    title: 'bundle',
    seed: 'sources/fixture.txt',
    bounds: [],
    variants: [],
    build() {
      const machine = setup({
        types: {} as { context: { n: number }; events: { type: string } },
      }).createMachine({
        id: 'b',
        context: { n: 0 },
        initial: 'A',
        states: {
          A: {
            on: {
              go: [0, 1, 2].map((k) => ({
                guard: ({ context }: { context: { n: number } }) => context.n % 3 === k,
                target: 'B',
                actions: assign({ n: ({ context }) => context.n + k }),
              })),
              step: {
                target: 'B',
                description: 'efx_mcdi_poll reads the response (sources/fixture.txt:3)',
              },
            },
          },
          B: { on: { back: { target: 'A', meta: { source: 'sources/fixture.txt:5-6' } } } },
        },
      });
      return {
        machine,
        properties: [],
        events: () => [{ type: 'go' }, { type: 'step' }, { type: 'back' }],
      };
    },
  });

  it('folds same-source, same-event, same-target alternatives into one arrow `event ×n`', async () => {
    const chart = chartOf(bundleModel.build(resolveConfig(bundleModel)).machine);
    const layout = await layoutChart(chart);
    const svg = renderSvg(chart, layout);
    const go = chart.transitions.filter((t) => t.event === 'go').map((t) => t.label);
    expect(go).toHaveLength(3);
    expect(layout.edges.filter((e) => e.transition.event === 'go')).toHaveLength(1);
    expect(svg).toContain('>go ×3<');
    const folded = /data-edges="([^"]*)"/.exec(svg)![1].replace(/&quot;/g, '"');
    expect(JSON.parse(folded)).toEqual(go);
    // A description says what the step does; its citation is shown apart, not on the arrow.
    expect(svg).toContain('>step: efx_mcdi_poll reads the response<');
    // Each alternative keeps its own text (condition) for the panel and coverage lists.
    expect(labelText(chart, chart.transitions[0])).toBe('go [n % 3 === k] #1');
  });

  it('shows the cited source lines of a property, a transition and a state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sources-'));
    writeFileSync(
      join(dir, 'fixture.txt'),
      [
        'line one',
        'line two',
        'efx_mcdi_poll();',
        'line four',
        'spin_lock();',
        'spin_unlock();',
        'x',
      ].join('\n'),
    );
    const page = await renderProtocolPage({
      model: bundleModel,
      sourcesDir: pathToFileURL(dir + '/'),
    });
    const data = pageData(page.html);
    const step = data.transitions.find((t: { event?: string; label: string }) =>
      t.label.endsWith(':step:0'),
    );
    expect(data.sources[step.cites]).toEqual([
      {
        file: 'sources/fixture.txt',
        from: 3,
        to: 3,
        start: 1,
        lines: ['line one', 'line two', 'efx_mcdi_poll();', 'line four', 'spin_lock();'],
      },
    ]);
    const back = data.transitions.find((t: { label: string }) => t.label.endsWith(':back:0'));
    expect(data.sources[back.cites][0].lines).toContain('spin_unlock();');
    expect(citedRanges('sources/a.txt:4 (x) and 7-9, seed:2', 'sources/s.txt')).toEqual([
      { file: 'sources/a.txt', from: 4, to: 4 },
      { file: 'sources/a.txt', from: 7, to: 9 },
      { file: 'sources/s.txt', from: 2, to: 2 },
    ]);
  });

  it('puts every transition in a lane: regions by default, or the lanes a model declares', () => {
    const chart = chartOf(toySystem().instance.machine);
    const derived = lanesOf(chart);
    expect(derived.lanes.map((l) => [l.name, l.device])).toEqual([
      ['host', false],
      ['device', true],
    ]);
    const laneOf = (label: string, lanes = derived) =>
      lanes.lanes[lanes.ofTransition[chart.transitions.findIndex((t) => t.label === label)]].name;
    expect(laneOf('toy.host.IDLE:send:0')).toBe('host');
    expect(laneOf('toy.device:lose:0')).toBe('device');
    const declared = lanesOf(chart, [
      { name: 'the wire', events: ['lose', 'repl*'], device: true },
      { name: 'host', regions: ['host'] },
    ]);
    expect(declared.lanes.map((l) => l.name)).toEqual(['host', 'the wire']);
    expect(laneOf('toy.host.WAITING:reply:0', declared)).toBe('the wire');
    expect(laneOf('toy.host.IDLE:send:0', declared)).toBe('host');
    expect(laneOf('toy.device:lose:0', declared)).toBe('the wire');
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
