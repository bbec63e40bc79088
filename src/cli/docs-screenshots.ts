/**
 * The screenshots in docs/inspector.md, made from the real report:
 *   npx tsx src/cli/docs-screenshots.ts [--chart <protocol>] [--sequence <protocol>]
 * It runs the main job into a temporary directory (as `npm start` does), opens the pages in
 * Debian's Chromium (playwright-core; MAILBOX_MODELS_CHROMIUM points elsewhere) and writes
 * docs/inspector-index.png (the report's index), docs/inspector-chart.png (a protocol's chart,
 * fitted as it opens) and docs/inspector-sequence.png (a finding's counterexample at its last
 * step, with the sequence chart). Defaults: pci-doe for both, or the first protocol with a
 * finding.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { main, type CliIo } from './cli.ts';

const CHROMIUM = process.env.MAILBOX_MODELS_CHROMIUM ?? '/usr/bin/chromium';
const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url));
/** Small enough to read in a Markdown page, big enough for the chart to mean something. */
const VIEWPORT = { width: 1280, height: 760 };

interface JobJson {
  protocols: Array<{
    protocol: string;
    findings: Array<{ fails: Array<{ property: string; steps: number; counterexample?: string }> }>;
  }>;
}

async function screenshots(chartProtocol?: string, sequenceProtocol?: string): Promise<void> {
  const { models } = await import('../../machines/registry.ts');
  const dir = mkdtempSync(join(tmpdir(), 'docs-screenshots-'));
  let stdout = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: () => {}, stderrIsTty: false };
  await main(['check', '--report', dir, '--json'], models, io);
  const job = JSON.parse(stdout) as JobJson;
  const withFinding = job.protocols.find((p) => p.findings.length > 0)?.protocol;
  const pick = (name: string | undefined) =>
    name ?? (job.protocols.some((p) => p.protocol === 'pci-doe') ? 'pci-doe' : withFinding);
  const chart = pick(chartProtocol);
  const sequence = job.protocols.find((p) => p.protocol === pick(sequenceProtocol));
  // The finding's longest counterexample shows the most of the sequence chart.
  const fail = sequence?.findings
    .flatMap((f) => f.fails)
    .filter((f) => f.counterexample)
    .sort((a, b) => b.steps - a.steps)[0];
  if (!chart || !fail) throw new Error('no protocol with a finding to show');

  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars'],
  });
  try {
    const page = await browser.newPage({ viewport: VIEWPORT });
    const shoot = async (url: string, name: string) => {
      await page.goto(url);
      await page.waitForLoadState('load');
      // Protocol pages say when their script has laid out the view; the index has none.
      if (name !== 'inspector-index.png') await page.waitForSelector('body[data-ready="true"]');
      const file = join(DOCS, name);
      await page.screenshot({ path: file });
      console.log(`${file}: ${Math.round(statSync(file).size / 1024)} KiB`);
    };
    await shoot(pathToFileURL(join(dir, 'index.html')).href, 'inspector-index.png');
    await shoot(pathToFileURL(join(dir, `${chart}.html`)).href, 'inspector-chart.png');
    const [file, hash] = fail.counterexample!.slice(dir.length + 1).split('#');
    const last = hash.replace(/step=0$/, `step=${fail.steps}`);
    await shoot(`${pathToFileURL(join(dir, file)).href}#${last}`, 'inspector-sequence.png');
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: { chart: { type: 'string' }, sequence: { type: 'string' } },
  });
  if (!existsSync(CHROMIUM)) {
    console.error(`${CHROMIUM} is missing: sudo apt-get install -y chromium`);
    process.exit(2);
  }
  await screenshots(values.chart, values.sequence);
}
