/**
 * The inspector in a real browser: Debian's Chromium driven by playwright-core opens the
 * generated page from file://, and we check the ids, trace stepping (buttons, keys, deep
 * links) and the coverage lists. Without Chromium this test is skipped with the reason and
 * the install command, except in CI (CI=true), where a missing Chromium fails the run.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { writeHtmlReport } from '../src/cli/commands-inspect.ts';
import { resolveConfig } from '../src/model/config.ts';
import { explore } from '../src/explore/explore.ts';
import { activeStates, chartOf } from '../src/inspect/chart.ts';
import { coverageOfTraces, replayEvents } from '../src/inspect/replay.ts';
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

describe('inspector in Chromium', () => {
  describe('generated page', () => {
    let browser: Browser;
    let page: Page;
    let url: string;
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
      await writeHtmlReport(dir, [{ model: toyModel, exploration }], {
        traces: [{ name: 'run', description: 'a recorded run', trace }],
        suites: [{ name: 'suite', description: 'one walk', ...suiteCounts }],
      });
      url = pathToFileURL(join(dir, 'toy.html')).href;
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
    });
    afterAll(async () => {
      await browser?.close();
    });

    const open = async (hash = '') => {
      const errors: string[] = [];
      const requests: string[] = [];
      page.removeAllListeners('pageerror');
      page.removeAllListeners('request');
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('request', (request) => requests.push(request.url()));
      await page.goto(url + hash);
      await page.waitForSelector('body[data-ready="true"]');
      return { errors, requests };
    };
    const activeLeaves = () =>
      page.$$eval('.state.atomic.active', (nodes) =>
        nodes.map((node) => node.getAttribute('data-state')),
      );
    const taken = () =>
      page.$$eval('.edge.taken', (nodes) => nodes.map((node) => node.getAttribute('id')));

    it.skipIf(skip)(
      'has every state and edge id, no script error and no network request',
      async () => {
        const { errors, requests } = await open();
        const ids = new Set(await page.$$eval('svg [id]', (nodes) => nodes.map((n) => n.id)));
        for (const id of system.compiled.stateNodeIds) expect(ids).toContain(`state:${id}`);
        for (const t of system.compiled.transitions) expect(ids).toContain(`edge:${t.label}`);
        expect(errors).toEqual([]);
        expect(requests.filter((r) => !r.startsWith('file:'))).toEqual([]);
      },
    );

    it.skipIf(skip)(
      'steps through a trace with buttons and arrow keys, and deep-links each step',
      async () => {
        await open('#mode=trace&trace=run&step=0');
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
        // A deep link opens the same step.
        await open('#mode=trace&trace=run&step=5');
        expect((await activeLeaves()).sort()).toEqual(idle);
        expect(await page.textContent('#step-counter')).toBe('step 5 / 5');
      },
    );

    it.skipIf(skip)('lists never-taken states and transitions in coverage mode', async () => {
      await open();
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
      expect(never).not.toContain('toy.host.IDLE:send:0');
      expect(
        await page.$$eval('#never-states li', (items) => items.map((i) => i.textContent)),
      ).toEqual(['none']);
      expect(await page.getAttribute('[id="edge:toy.host.WAITING:reply:0"]', 'class')).toContain(
        'cov-zero',
      );
      // The exploration covers every transition of the default toy model.
      await page.selectOption('#coverage-select', { label: 'exploration' });
      expect(
        await page.$$eval('#never-transitions li', (items) => items.map((i) => i.textContent)),
      ).toEqual(['none']);
    });

    it.skipIf(skip)('takes a screenshot of a trace step', async () => {
      await open('#mode=trace&trace=run&step=4');
      const file = join(dir, 'trace-step.png');
      await page.screenshot({ path: file });
      console.log(`inspect-browser: screenshot at ${file}`);
      expect(existsSync(file)).toBe(true);
    });
  });
});
