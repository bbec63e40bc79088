/**
 * Applies a unified diff (`diff -u`, one file) to a text: the C harness builds the seed's
 * code with the fix patches of harness/c/<p>/patches/ without needing `patch(1)`. Each patch
 * is made against the seed as written, so another patch applied first may have moved its
 * lines: a hunk applies where its context and removed lines match exactly, at the line it
 * names or the nearest such place (as `patch` does with fuzz 0). A hunk that matches nowhere
 * is an error: a fix that lands elsewhere would test something else.
 * Text before the first `---` line (the patch's description) is ignored.
 */
interface Hunk {
  oldStart: number; // 0-based line the hunk names
  old: string[]; // context and removed lines, in order
  new: string[]; // context and added lines, in order
}

function parseHunks(patch: string): Hunk[] {
  const lines = patch.split('\n');
  let i = lines.findIndex((line) => line.startsWith('--- '));
  if (i < 0 || !lines[i + 1]?.startsWith('+++ ')) throw new Error('not a unified diff');
  i += 2;
  const hunks: Hunk[] = [];
  while (i < lines.length) {
    const header = /^@@ -(\d+)(?:,(\d+))? \+\d+(?:,(\d+))? @@/.exec(lines[i]);
    if (!header) {
      if (lines[i].trim() === '') {
        i++;
        continue;
      }
      throw new Error(`unexpected line ${i + 1}: ${lines[i]}`);
    }
    let oldLeft = header[2] === undefined ? 1 : Number(header[2]);
    let newLeft = header[3] === undefined ? 1 : Number(header[3]);
    const hunk: Hunk = { oldStart: Number(header[1]) - (oldLeft === 0 ? 0 : 1), old: [], new: [] };
    i++;
    // The counts say where the hunk ends (an editor may have left an empty context line bare).
    while (oldLeft > 0 || newLeft > 0) {
      if (i >= lines.length) throw new Error(`hunk ${hunks.length + 1} is cut short`);
      const line = lines[i++];
      if (line.startsWith('\\')) continue; // "\ No newline at end of file"
      const kind = line === '' ? ' ' : line[0];
      const body = line.slice(1);
      if (kind === '+' || kind === ' ') {
        hunk.new.push(body);
        newLeft--;
      }
      if (kind === '-' || kind === ' ') {
        hunk.old.push(body);
        oldLeft--;
      }
      if (kind !== '+' && kind !== '-' && kind !== ' ') {
        throw new Error(`hunk ${hunks.length + 1}: bad line '${line}'`);
      }
    }
    hunks.push(hunk);
  }
  if (hunks.length === 0) throw new Error('no hunks');
  return hunks;
}

function matchesAt(lines: readonly string[], at: number, old: readonly string[]): boolean {
  return at >= 0 && at + old.length <= lines.length && old.every((l, k) => lines[at + k] === l);
}

export function applyUnifiedDiff(text: string, patch: string): string {
  const lines = text.split('\n');
  let offset = 0; // how far the previous hunks of this patch moved the text
  for (const [n, hunk] of parseHunks(patch).entries()) {
    const expected = hunk.oldStart + offset;
    let at = -1;
    for (let distance = 0; distance <= lines.length && at < 0; distance++) {
      if (matchesAt(lines, expected - distance, hunk.old)) at = expected - distance;
      else if (matchesAt(lines, expected + distance, hunk.old)) at = expected + distance;
    }
    if (at < 0) {
      throw new Error(`hunk ${n + 1} (line ${hunk.oldStart + 1}): its context is not in the file`);
    }
    lines.splice(at, hunk.old.length, ...hunk.new);
    offset = at - hunk.oldStart + hunk.new.length - hunk.old.length;
  }
  return lines.join('\n');
}
