/**
 * The inspector in a real browser: Debian's Chromium driven by playwright-core opens generated
 * pages from file://, and we check the ids, trace stepping (buttons, keys, deep links), the
 * coverage lists, that a chart opens fitted to the window, that the active state stays in view
 * while stepping on a zoomed chart, the sequence chart, a counterexample shown on the variant
 * it was found in, and a 10^5-step trace. Without Chromium this test is skipped with the
 * reason and the install command, except in CI (CI=true), where a missing Chromium fails.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { assign, createMachine, type AnyStateNodeConfig } from 'xstate';
import { main, type CliIo } from '../src/cli/cli.ts';
import { writeHtmlReport } from '../src/cli/commands-inspect.ts';
import { resolveConfig } from '../src/model/config.ts';
import { explore } from '../src/explore/explore.ts';
import { activeStates, chartOf } from '../src/inspect/chart.ts';
import { coverageOfTraces, replayEvents } from '../src/inspect/replay.ts';
import { defineModel } from '../src/model/model.ts';
import { ModelSystem } from '../src/model/system.ts';
import { toyModel } from './fixtures/toy-mailbox.ts';

/** Debian's Chromium; MAILBOX_MODELS_CHROMIUM points elsewhere (or nowhere, to try the skip). */
const CHROMIUM = process.env.MAILBOX_MODELS_CHROMIUM ?? '/usr/bin/chromium';
const INSTALL = 'sudo apt-get install -y chromium';
const missing = !existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';
/** Only outside CI may a missing Chromium skip the test. */
const skip = missing && !inCi;
if (skip) {
  console.warn(
    `inspect-browser: skipped, ${CHROMIUM} is not installed. Install it with: ${INSTALL}`,
  );
}

const RING = 12;
/**
 * Four regions, each a ring of twelve states: a chart wider than the window, and traces of
 * any length (every `next<r>` is always enabled).
 */
const ringsModel = defineModel<{ turns: number }, { type: string }>({
  name: 'rings',
  title: 'Rings (browser test)',
  seed: 'none',
  bounds: [],
  variants: [],
  build() {
    const region = (r: number): AnyStateNodeConfig => ({
      initial: 'S0',
      states: Object.fromEntries(
        Array.from({ length: RING }, (_, k) => [
          `S${k}`,
          {
            on: {
              [`next${r}`]: {
                target: `S${(k + 1) % RING}`,
                actions: assign({
                  turns: ({ context }: { context: { turns: number } }) => context.turns + 1,
                }),
              },
            },
          },
        ]),
      ),
    });
    const machine = createMachine({
      id: 'rings',
      type: 'parallel',
      context: { turns: 0 },
      states: Object.fromEntries([0, 1, 2, 3].map((r) => [`r${r}`, region(r)])),
    });
    return {
      machine,
      properties: [],
      events: () => [0, 1, 2, 3].map((r) => ({ type: `next${r}` })),
    };
  },
});

/** 10^5 steps: region r(i mod 4) moves at step i. */
const LONG = 100_000;

describe('inspector in Chromium', () => {
  let browser: Browser;
  let page: Page;
  let dir: string;
  const system = new ModelSystem(toyModel, resolveConfig(toyModel));
  const chart = chartOf(system.instance.machine);
  // A request times out; the next one gets the first one's late reply (dropped: wrong
  // seq) and times out too.
  const events = [
    { type: 'send' },
    { type: 'timeout' },
    { type: 'send' },
    { type: 'reply', seq: 1, id: 0 },
    { type: 'timeout' },
  ];
  const trace = replayEvents(system, events);
  const suiteCounts = coverageOfTraces(system, [trace], (value) => activeStates(chart, value));

  beforeAll(async () => {
    if (skip) return;
    if (missing) {
      throw new Error(`CI=true but ${CHROMIUM} is missing; install it with: ${INSTALL}`);
    }
    dir = mkdtempSync(join(tmpdir(), 'inspector-'));
    const exploration = explore(toyModel, { variants: [] });
    const ringsSystem = new ModelSystem(ringsModel, resolveConfig(ringsModel));
    const short = replayEvents(
      ringsSystem,
      Array.from({ length: 30 }, (_, i) => ({ type: `next${i % 4}` })),
    );
    const long = replayEvents(
      ringsSystem,
      Array.from({ length: LONG }, (_, i) => ({ type: `next${i % 4}` })),
    );
    await writeHtmlReport(dir, [
      {
        model: toyModel,
        exploration,
        traces: [{ name: 'run', description: 'a recorded run', trace }],
        suites: [{ name: 'suite', description: 'one walk', ...suiteCounts }],
      },
      {
        model: ringsModel,
        traces: [
          { name: 'short', description: '30 steps', trace: short },
          { name: 'long', description: `${LONG} steps`, trace: long },
        ],
      },
    ]);
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
  });

  const open = async (file: string, hash = '') => {
    const errors: string[] = [];
    const requests: string[] = [];
    page.removeAllListeners('pageerror');
    page.removeAllListeners('request');
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(pathToFileURL(join(dir, file)).href + hash);
    await page.waitForSelector('body[data-ready="true"]');
    return { errors, requests };
  };
  const activeLeaves = () =>
    page.$$eval('.state.atomic.active', (nodes) =>
      nodes.map((node) => node.getAttribute('data-state')),
    );
  const taken = () =>
    page.$$eval('.edge.taken', (nodes) => nodes.map((node) => node.getAttribute('id')));
  type Rect = { left: number; top: number; right: number; bottom: number };
  const rectOf = (selector: string) =>
    page.$eval(selector, (node) => {
      const r = node.getBoundingClientRect();
      return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
    });
  const inside = (inner: Rect, outer: Rect) =>
    inner.left >= outer.left - 1 &&
    inner.top >= outer.top - 1 &&
    inner.right <= outer.right + 1 &&
    inner.bottom <= outer.bottom + 1;

  describe('a protocol page', () => {
    it.skipIf(skip)(
      'has every state and transition (an element, or folded into one), no script error and no network request',
      async () => {
        const { errors, requests } = await open('toy.html');
        const ids = new Set(await page.$$eval('svg [id]', (nodes) => nodes.map((n) => n.id)));
        const folded = new Set(
          (
            await page.$$eval('[data-edges]', (nodes) =>
              nodes.map((n) => n.getAttribute('data-edges')!),
            )
          ).flatMap((list) => JSON.parse(list) as string[]),
        );
        for (const id of system.compiled.stateNodeIds) expect(ids).toContain(`state:${id}`);
        for (const t of system.compiled.transitions) {
          expect(ids.has(`edge:${t.label}`) || folded.has(t.label)).toBe(true);
        }
        expect(errors).toEqual([]);
        expect(requests.filter((r) => !r.startsWith('file:'))).toEqual([]);
      },
    );

    it.skipIf(skip)(
      'steps through a trace with buttons and arrow keys, and deep-links each step',
      async () => {
        await open('toy.html', '#mode=trace&trace=run&step=0');
        const idle = ['toy.device', 'toy.host.IDLE'];
        const waiting = ['toy.device', 'toy.host.WAITING'];
        expect((await activeLeaves()).sort()).toEqual(idle);
        expect(await taken()).toEqual([]);
        await page.click('#next');
        expect((await activeLeaves()).sort()).toEqual(waiting);
        expect(await taken()).toEqual(['edge:toy.host.IDLE:send:0']);
        expect(await page.evaluate(() => location.hash)).toBe('#mode=trace&trace=run&step=1');
        await page.keyboard.press('ArrowRight');
        expect((await activeLeaves()).sort()).toEqual(idle);
        expect(await taken()).toEqual(['edge:toy.host.WAITING:timeout:0']);
        await page.click('#next');
        expect((await activeLeaves()).sort()).toEqual(waiting);
        await page.keyboard.press('ArrowRight');
        expect((await activeLeaves()).sort()).toEqual(waiting);
        expect(await taken()).toEqual(['edge:toy.host.WAITING:reply:1']);
        expect(await page.textContent('#step-event')).toContain('"seq": 1');
        expect(await page.textContent('#step-changes')).toContain('wire');
        await page.keyboard.press('ArrowRight');
        expect((await activeLeaves()).sort()).toEqual(idle);
        expect(await taken()).toEqual(['edge:toy.host.WAITING:timeout:0']);
        expect(await page.textContent('#step-changes')).toContain('current');
        await page.keyboard.press('ArrowLeft');
        expect((await activeLeaves()).sort()).toEqual(waiting);
        expect(await page.evaluate(() => location.hash)).toBe('#mode=trace&trace=run&step=4');
        // The context shown is the trace's, rebuilt from the changes.
        expect(JSON.parse((await page.textContent('#step-context'))!)).toEqual(
          trace.steps[3].context,
        );
        // A deep link opens the same step.
        await open('toy.html', '#mode=trace&trace=run&step=5');
        expect((await activeLeaves()).sort()).toEqual(idle);
        expect(await page.textContent('#step-counter')).toBe('step 5 / 5');
      },
    );

    it.skipIf(skip)('lists never-taken states and transitions in coverage mode', async () => {
      await open('toy.html');
      await page.click('#mode-coverage');
      await page.selectOption('#coverage-select', { label: 'suite' });
      const never = await page.$$eval('#never-transitions li', (items) =>
        items.map((item) => item.textContent!.split(' ')[0]),
      );
      const expected = Object.entries(suiteCounts.transitions)
        .filter(([, hits]) => hits === 0)
        .map(([label]) => label);
      expect(never.sort()).toEqual(expected.sort());
      expect(never.sort()).toEqual([
        'toy.device:lose:0',
        'toy.host.IDLE:reply:0',
        'toy.host.WAITING:reply:0', // the matching reply never came
      ]);
      expect(
        await page.$$eval('#never-states li', (items) => items.map((i) => i.textContent)),
      ).toEqual(['none']);
      expect(await page.getAttribute('[id="edge:toy.host.WAITING:reply:0"]', 'class')).toContain(
        'cov-zero',
      );
      await page.selectOption('#coverage-select', { label: 'exploration' });
      expect(
        await page.$$eval('#never-transitions li', (items) => items.map((i) => i.textContent)),
      ).toEqual(['none']);
    });
  });

  describe('the sequence chart', () => {
    it.skipIf(skip)(
      'has a lane per execution context, a box per step in its lane, and steps with the chart',
      async () => {
        await open('toy.html', '#mode=trace&trace=run&step=0');
        expect(
          await page.$$eval('#sequence-head span', (s) => s.map((n) => n.textContent)),
        ).toEqual(['host', 'device']);
        const rows = await page.$$eval('#sequence-scroll [data-step]', (nodes) =>
          nodes.map((n) => Number(n.getAttribute('data-step'))),
        );
        expect(rows).toEqual([0, 1, 2, 3, 4, 5]);
        // Every step of this run is the host's: its box is in lane 0.
        const lanes = await page.$$eval('#sequence-scroll .box', (boxes) =>
          boxes.map((b) => Number(b.getAttribute('data-lane'))),
        );
        expect(lanes).toEqual([0, 0, 0, 0, 0]);
        const boxText = (step: number) =>
          page.textContent(`#sequence-scroll [data-step="${step}"] .box text`);
        expect(await boxText(1)).toBe('send → WAITING');
        expect(await boxText(4)).toBe('reply(seq=1, id=0)'); // consumed, host stays WAITING
        // Clicking a row is stepping: the chart follows, and the row is the current one.
        await page.click('#sequence-scroll [data-step="3"] .box');
        expect(await page.textContent('#step-counter')).toBe('step 3 / 5');
        expect((await activeLeaves()).sort()).toEqual(['toy.device', 'toy.host.WAITING']);
        const current = () =>
          page.$$eval('#sequence-scroll .row-band.current', (bands) =>
            bands.map((b) => b.parentElement!.getAttribute('data-step')),
          );
        expect(await current()).toEqual(['3']);
        await page.keyboard.press('ArrowRight');
        expect(await current()).toEqual(['4']);
      },
    );
  });

  describe('a counterexample on the variant it was found in', () => {
    it.skipIf(skip)(
      'inspect --trace of a check --json document draws the trace on its variant',
      async () => {
        let stdout = '';
        const io: CliIo = {
          stdout: (t) => void (stdout += t),
          stderr: () => {},
          stderrIsTty: false,
        };
        expect(
          await main(['check', 'toy', '--variant', 'accept-any-seq', '--json'], [toyModel], io),
        ).toBe(1);
        const file = join(dir, 'cex.json');
        writeFileSync(file, stdout);
        const out = join(dir, 'traces');
        expect(await main(['inspect', 'toy', '--trace', file, '--out', out], [toyModel], io)).toBe(
          0,
        );
        const url = pathToFileURL(join(out, 'toy--accept-any-seq.html')).href;
        await page.goto(`${url}#mode=trace&trace=reply-matches-request&step=4`);
        await page.waitForSelector('body[data-ready="true"]');
        expect(await page.textContent('header')).toContain('variant accept-any-seq');
        expect(await page.textContent('#property-reply-matches-request')).toContain('FAILS');
        // The counterexample and the same trace from the file are one entry.
        expect(
          await page.$$eval('#trace-select option', (o) => o.map((n) => n.textContent)),
        ).toEqual(['reply-matches-request', 'completes-once']);
        // On the variant a stale reply takes the "matching" transition and completes the
        // request: the step the fixed model cannot take.
        expect(await taken()).toEqual(['edge:toy.host.WAITING:reply:0']);
        expect((await activeLeaves()).sort()).toEqual(['toy.device', 'toy.host.IDLE']);
        expect(await page.textContent('#trace-violation')).toMatch(
          /^violation: completed request 1/,
        );
        expect(await page.$$eval('#sequence-scroll .box.violation', (b) => b.length)).toBe(1);
        expect(await page.textContent('#sequence-scroll .violation-text')).toMatch(
          /^✗ completed request 1/,
        );
        // The fixed model's page does not carry this trace.
        await page.goto(pathToFileURL(join(out, 'toy.html')).href);
        await page.waitForSelector('body[data-ready="true"]');
        expect(await page.textContent('#property-reply-matches-request')).toContain('holds');
        expect(await page.$$eval('#trace-select option', (o) => o.length)).toBe(0);
      },
    );
  });

  describe('a chart wider than the window', () => {
    it.skipIf(skip)(
      'opens fitted: the whole chart is in the canvas, beside the panel',
      async () => {
        await open('rings.html');
        const canvas = await rectOf('#canvas');
        const root = await rectOf('[id="state:rings"] > rect');
        expect(inside(root, canvas)).toBe(true);
        // Fitted, not merely inside: it spans the canvas in one direction.
        const spans =
          root.right - root.left >= canvas.right - canvas.left - 40 ||
          root.bottom - root.top >= canvas.bottom - canvas.top - 40;
        expect(spans).toBe(true);
        const panel = await rectOf('#panel');
        expect(panel.left).toBeGreaterThanOrEqual(canvas.right - 1);
        // In trace mode the sequence chart takes room: the chart is refitted into what is left.
        await open('rings.html', '#mode=trace&trace=short&step=0');
        const smaller = await rectOf('#canvas');
        expect(smaller.bottom).toBeLessThan(canvas.bottom);
        expect(inside(await rectOf('[id="state:rings"] > rect'), smaller)).toBe(true);
      },
    );

    it.skipIf(skip)(
      'keeps the active states in view while stepping on a zoomed chart',
      async () => {
        await open('rings.html', '#mode=trace&trace=short&step=0');
        for (let i = 0; i < 5; i++) await page.click('#zoom-in');
        const canvas = await rectOf('#canvas');
        const panel = await rectOf('#panel');
        for (let step = 1; step <= 30; step++) {
          await page.keyboard.press('ArrowRight');
          const boxes = await page.$$eval('.state.atomic.active > rect', (rects) =>
            rects.map((r) => {
              const b = r.getBoundingClientRect();
              return { left: b.left, top: b.top, right: b.right, bottom: b.bottom };
            }),
          );
          expect(boxes).toHaveLength(4);
          for (const box of boxes) {
            expect(inside(box, canvas)).toBe(true);
            expect(box.right).toBeLessThanOrEqual(panel.left + 1); // never under the panel
          }
        }
        expect(await page.textContent('#step-counter')).toBe('step 30 / 30');
      },
    );
  });

  describe('a 10^5-step trace', () => {
    it.skipIf(skip)('loads, steps to the end and back, and shows each step’s context', async () => {
      const { errors } = await open('rings.html', '#mode=trace&trace=long&step=0');
      expect(errors).toEqual([]);
      await page.selectOption('#trace-select', { label: 'long' });
      await page.keyboard.press('End');
      expect(await page.textContent('#step-counter')).toBe(`step ${LONG} / ${LONG}`);
      expect(JSON.parse((await page.textContent('#step-context'))!)).toEqual({ turns: LONG });
      await page.keyboard.press('ArrowLeft');
      expect(JSON.parse((await page.textContent('#step-context'))!)).toEqual({ turns: LONG - 1 });
      // Only the rows in view exist: the page stays small however long the trace.
      const rows = await page.$$eval('#sequence-scroll [data-step]', (nodes) => nodes.length);
      expect(rows).toBeLessThan(200);
      const last = await page.$$eval('#sequence-scroll [data-step]', (nodes) =>
        nodes.map((n) => Number(n.getAttribute('data-step'))),
      );
      expect(last).toContain(LONG - 1);
      // 99,999 steps: r(99,998 mod 4) = r2 moved last, so each ring stands where it should.
      const expected = [0, 1, 2, 3].map(
        (r) => `rings.r${r}.S${Math.floor((LONG - 1 - r + 3) / 4) % RING}`,
      );
      expect((await activeLeaves()).sort()).toEqual(expected.sort());
      await open('rings.html', `#mode=trace&trace=long&step=${LONG / 2}`);
      expect(JSON.parse((await page.textContent('#step-context'))!)).toEqual({ turns: LONG / 2 });
    });
  });
});
