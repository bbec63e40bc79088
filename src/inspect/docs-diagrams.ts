/**
 * Puts each protocol's Mermaid diagram into its docs page:
 *   npx tsx src/inspect/docs-diagrams.ts [protocol ...]
 * The diagram goes between `<!-- diagram:start -->` and `<!-- diagram:end -->` in
 * docs/<protocol>.md (replaced if the markers exist, appended otherwise); nothing else in the
 * page changes. A protocol without a docs page is skipped with a message.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolveConfig } from '../model/config.ts';
import type { ModelDefinition } from '../model/model.ts';
import { chartOf } from './chart.ts';
import { toMermaid } from './export.ts';

export const DIAGRAM_START = '<!-- diagram:start -->';
export const DIAGRAM_END = '<!-- diagram:end -->';

export function diagramBlock(protocol: string, mermaid: string): string {
  return [
    DIAGRAM_START,
    `<!-- generated from the model by \`npx tsx src/inspect/docs-diagrams.ts ${protocol}\`; do not edit by hand -->`,
    '',
    '```mermaid',
    mermaid.trimEnd(),
    '```',
    '',
    DIAGRAM_END,
  ].join('\n');
}

/** The page with the block between the markers replaced, or appended when there are none. */
export function replaceDiagramBlock(markdown: string, block: string): string {
  const start = markdown.indexOf(DIAGRAM_START);
  const end = start < 0 ? -1 : markdown.indexOf(DIAGRAM_END, start);
  if (start >= 0 && end >= 0) {
    return markdown.slice(0, start) + block + markdown.slice(end + DIAGRAM_END.length);
  }
  const separator =
    markdown.length === 0 || markdown.endsWith('\n\n')
      ? ''
      : markdown.endsWith('\n')
        ? '\n'
        : '\n\n';
  return `${markdown}${separator}## State diagram\n\n${block}\n`;
}

export function updateDocs(models: readonly ModelDefinition[], docsDir: string): string[] {
  const messages: string[] = [];
  for (const model of models) {
    const file = `${docsDir}/${model.name}.md`;
    if (!existsSync(file)) {
      messages.push(`${model.name}: ${file} does not exist, skipped`);
      continue;
    }
    const chart = chartOf(model.build(resolveConfig(model)).machine);
    const before = readFileSync(file, 'utf8');
    const after = replaceDiagramBlock(before, diagramBlock(model.name, toMermaid(chart)));
    if (after !== before) writeFileSync(file, after);
    messages.push(`${model.name}: ${after === before ? 'up to date' : `updated ${file}`}`);
  }
  return messages;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { models } = await import('../../machines/registry.ts');
  const names = process.argv.slice(2);
  const unknown = names.filter((name) => !models.some((m) => m.name === name));
  if (unknown.length > 0) {
    console.error(`unknown protocol: ${unknown.join(', ')}`);
    process.exit(2);
  }
  const selected = names.length > 0 ? models.filter((m) => names.includes(m.name)) : models;
  const docsDir = fileURLToPath(new URL('../../docs', import.meta.url));
  for (const message of updateDocs(selected, docsDir)) console.log(message);
}
