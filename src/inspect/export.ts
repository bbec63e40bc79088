/**
 * Text exports of a chart for documentation: Mermaid `stateDiagram-v2` (GitHub renders it in
 * Markdown) and Graphviz DOT. Same structure as the SVG: compound states nest, parallel
 * regions are separated (`--` in Mermaid, clusters in DOT), `[*]` marks initial states, and
 * every transition is labelled `event [guard]`. Transitions without a target are self-loops
 * here, as neither format has internal transitions.
 */
import { type Chart, type ChartTransition } from './chart.ts';
import { labelText } from './layout.ts';

/** Mermaid ids: letters, digits and `_`, unique per chart. */
function mermaidIds(chart: Chart): Map<string, string> {
  const ids = new Map<string, string>();
  const used = new Set<string>();
  for (const id of chart.order) {
    let base = id.replace(/[^A-Za-z0-9_]/g, '_');
    if (!/^[A-Za-z]/.test(base)) base = 's_' + base;
    let candidate = base;
    for (let n = 2; used.has(candidate); n++) candidate = `${base}_${n}`;
    used.add(candidate);
    ids.set(id, candidate);
  }
  return ids;
}

/**
 * Mermaid text: characters that end or restructure a statement, or that Mermaid would read as
 * markup, become entity codes (`#35;`); brackets stay, for readable `event [guard]` labels.
 */
export function mermaidText(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/[#;:"<>{}\\|`&%]/g, (c) => `#${c.codePointAt(0)};`);
}

/** The deepest state that is a proper ancestor of every given state (where an arrow lives). */
function scopeOf(chart: Chart, ids: string[]): string {
  const ancestors = (id: string) => {
    const list: string[] = [];
    for (let a = chart.states.get(id)?.parent; a; a = chart.states.get(a)?.parent) list.push(a);
    return list;
  };
  const [first, ...rest] = ids;
  const candidates = ancestors(first);
  const found = candidates.find((a) => rest.every((id) => ancestors(id).includes(a)));
  return found ?? chart.rootId;
}

function arrows(chart: Chart): Array<{ transition: ChartTransition; from: string; to: string }> {
  const list: Array<{ transition: ChartTransition; from: string; to: string }> = [];
  for (const transition of chart.transitions) {
    const targets = transition.targets.length > 0 ? transition.targets : [transition.source];
    for (const target of targets) list.push({ transition, from: transition.source, to: target });
  }
  return list;
}

export function toMermaid(chart: Chart): string {
  const ids = mermaidIds(chart);
  const byScope = new Map<string, string[]>();
  for (const { transition, from, to } of arrows(chart)) {
    // The root has no enclosing state: its own arrows go at the top level.
    const scope = from === chart.rootId || to === chart.rootId ? '' : scopeOf(chart, [from, to]);
    const line = `${ids.get(from)} --> ${ids.get(to)} : ${mermaidText(labelText(chart, transition))}`;
    byScope.set(scope, [...(byScope.get(scope) ?? []), line]);
  }
  const lines = ['stateDiagram-v2'];
  const emit = (id: string, indent: string) => {
    const state = chart.states.get(id)!;
    const name = ids.get(id)!;
    lines.push(`${indent}state "${mermaidText(state.key)}" as ${name}`);
    if (state.children.length === 0) return;
    lines[lines.length - 1] += ' {';
    const inner = indent + '  ';
    if (state.initial) lines.push(`${inner}[*] --> ${ids.get(state.initial)}`);
    state.children.forEach((child, i) => {
      if (state.kind === 'parallel' && i > 0) lines.push(`${inner}--`);
      emit(child, inner);
    });
    for (const line of byScope.get(id) ?? []) lines.push(inner + line);
    lines.push(`${indent}}`);
  };
  emit(chart.rootId, '  ');
  lines.push(`  [*] --> ${ids.get(chart.rootId)}`);
  for (const line of byScope.get('') ?? []) lines.push('  ' + line);
  return lines.join('\n') + '\n';
}

/** A DOT double-quoted string. */
export function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}

export function toDot(chart: Chart): string {
  const lines = [
    `digraph ${dotString(chart.rootId)} {`,
    '  compound=true;',
    '  node [shape=box, style=rounded, fontname="monospace", fontsize=11];',
    '  edge [fontname="monospace", fontsize=10];',
  ];
  const cluster = (id: string) => dotString(`cluster_${id}`);
  const anchor = (id: string) => dotString(`${id}#anchor`);
  const emit = (id: string, indent: string) => {
    const state = chart.states.get(id)!;
    if (state.children.length === 0) {
      lines.push(
        `${indent}${dotString(id)} [label=${dotString(state.key)}, id=${dotString(`state:${id}`)}];`,
      );
      return;
    }
    const parallel = state.kind === 'parallel';
    lines.push(
      `${indent}subgraph ${cluster(id)} {`,
      `${indent}  label=${dotString(parallel ? `${state.key} ∥` : state.key)}; style=${parallel ? '"rounded,bold"' : 'rounded'}; id=${dotString(`state:${id}`)};`,
      `${indent}  ${anchor(id)} [shape=point, style=invis, width=0];`,
    );
    if (state.initial) {
      const dot = dotString(`${id}#initial`);
      lines.push(
        `${indent}  ${dot} [shape=point, width=0.12];`,
        `${indent}  ${dot} -> ${endpoint(state.initial)}${lhead(state.initial)};`,
      );
    }
    for (const child of state.children) emit(child, indent + '  ');
    lines.push(`${indent}}`);
  };
  const isCompound = (id: string) => chart.states.get(id)!.children.length > 0;
  const endpoint = (id: string) => (isCompound(id) ? anchor(id) : dotString(id));
  const lhead = (id: string) => (isCompound(id) ? ` [lhead=${cluster(id)}]` : '');
  emit(chart.rootId, '  ');
  for (const { transition, from, to } of arrows(chart)) {
    const attributes = [
      `label=${dotString(labelText(chart, transition))}`,
      `id=${dotString(`edge:${transition.label}`)}`,
      ...(isCompound(from) && from !== to ? [`ltail=${cluster(from)}`] : []),
      ...(isCompound(to) && from !== to ? [`lhead=${cluster(to)}`] : []),
    ];
    lines.push(`  ${endpoint(from)} -> ${endpoint(to)} [${attributes.join(', ')}];`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
