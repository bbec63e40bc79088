/**
 * The import rules of .dependency-cruiser.cjs (run by `npm run lint`) hold on the project, and
 * they do fail: a fixture tree that breaks each kind of rule is rejected with the rule's name.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const depcruise = join(root, 'node_modules', '.bin', 'depcruise');
const config = join(root, '.dependency-cruiser.cjs');
const CRUISED = ['src', 'machines', 'properties', 'drivers', 'harness', 'bench', 'bin', 'test'];

function cruise(cwd: string, paths: string[]) {
  return spawnSync(depcruise, ['--config', config, '--output-type', 'err', ...paths], {
    cwd,
    encoding: 'utf8',
  });
}

describe('dependency rules', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'deprules-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  function tree(files: Record<string, string>): string {
    const dir = mkdtempSync(join(scratch, 't-'));
    copyFileSync(join(root, 'tsconfig.json'), join(dir, 'tsconfig.json'));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  }

  it('hold on the project', () => {
    const result = cruise(root, CRUISED);
    expect(result.stdout + result.stderr).toContain('no dependency violations found');
    expect(result.status).toBe(0);
  });

  it.each([
    [
      'no-circular',
      {
        'src/explore/a.ts': "import { b } from './b.ts';\nexport const a = () => b;\n",
        'src/explore/b.ts':
          "import type { a } from './a.ts';\nexport const b = 1 as unknown as typeof a;\n",
      },
    ],
    [
      'drivers-do-not-see-the-model',
      {
        'drivers/d.ts': "import { m } from '../machines/m.ts';\nexport const d = m;\n",
        'machines/m.ts': 'export const m = 1;\n',
      },
    ],
    [
      'machines-do-not-see-properties',
      {
        'machines/m.ts': "import { p } from '../properties/m.ts';\nexport const m = p;\n",
        'properties/m.ts': 'export const p = 1;\n',
      },
    ],
    [
      'engine-knows-no-protocol',
      {
        'src/cli/c.ts': "import { m } from '../../machines/m.ts';\nexport const c = m;\n",
        'machines/m.ts': 'export const m = 1;\n',
      },
    ],
    [
      'inner-stages-do-not-see-outer',
      {
        'src/explore/e.ts': "import { c } from '../cli/c.ts';\nexport const e = c;\n",
        'src/cli/c.ts': 'export const c = 1;\n',
      },
    ],
    [
      'lint-sees-only-the-model',
      {
        'src/lint/l.ts': "import { e } from '../explore/e.ts';\nexport const l = e;\n",
        'src/explore/e.ts': 'export const e = 1;\n',
      },
    ],
  ])('reject a tree that breaks %s', (rule, files) => {
    const dir = tree(files);
    const result = cruise(
      dir,
      ['src', 'machines', 'properties', 'drivers'].filter((d) =>
        Object.keys(files).some((f) => f.startsWith(d + '/')),
      ),
    );
    expect(result.status).not.toBe(0);
    expect(result.stdout).toContain(rule);
  });

  it('is what npm run lint runs', () => {
    const scripts = JSON.parse(
      execFileSync('npm', ['pkg', 'get', 'scripts'], { cwd: root, encoding: 'utf8' }),
    );
    expect(scripts['lint']).toContain('lint:deps');
    expect(scripts['lint:deps']).toContain('depcruise --config .dependency-cruiser.cjs');
  });
});
