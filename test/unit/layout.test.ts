/**
 * The module layout: no import cycles among src/ files (imports run only
 * downward). A cycle found here names its files in order; fix it by moving
 * the shared piece below both or by passing a function in (as parallel/chunk.ts
 * takes the command line's verb parser).
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(__dirname, '../../src');

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/**
 * Value imports (not `import type`) of one file, as absolute .ts paths: static
 * `import`/`export ... from` and dynamic `import('./x.js')` (a module loaded on
 * demand is a dependency too: madge counts it), not `typeof import('./x.js')`
 * (a type, erased).
 */
function importsOf(file: string, text = fs.readFileSync(file, 'utf8')): string[] {
  const out: string[] = [];
  const re = /^(?:import|export)\s+(type\s+)?[^'";]*?from\s+'(\.[^']+)\.js'/gm;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[1]) continue; // type-only: erased, no cycle at run time
    out.push(path.resolve(path.dirname(file), m[2]! + '.ts'));
  }
  const dyn = /(?<!typeof\s*)\bimport\(\s*'(\.[^']+)\.js'\s*\)/g;
  for (let m = dyn.exec(text); m !== null; m = dyn.exec(text)) out.push(path.resolve(path.dirname(file), m[1]! + '.ts'));
  return out;
}

/** The first cycle found by depth-first search, as relative paths, or null. */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 1 | 2>(); // 1 on the stack, 2 done
  const stack: string[] = [];
  const visit = (f: string): string[] | null => {
    state.set(f, 1);
    stack.push(f);
    for (const g of graph.get(f) ?? []) {
      if (!graph.has(g)) continue;
      const s = state.get(g);
      if (s === 1) return [...stack.slice(stack.indexOf(g)), g].map((x) => path.relative(SRC, x));
      if (s === undefined) {
        const c = visit(g);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(f, 2);
    return null;
  };
  for (const f of graph.keys()) {
    if (state.has(f)) continue;
    const c = visit(f);
    if (c) return c;
  }
  return null;
}

describe('module layout', () => {
  it('src/ has no import cycles', () => {
    const files = tsFiles(SRC);
    expect(files.length).toBeGreaterThan(50);
    const graph = new Map(files.map((f) => [f, importsOf(f)]));
    expect([...graph.values()].flat().length).toBeGreaterThan(200);
    expect(findCycle(graph)).toBeNull();
  });

  it('dynamic imports count, type imports do not (a cycle through import() once went unseen: cli.ts > cli/main.ts > cli.ts)', () => {
    const f = path.join(SRC, 'cli/main.ts');
    const text = [
      "import { run } from '../engine/run.js';",
      "import type { X } from '../engine/types.js';",
      "const m = await import('../cli.js');",
      "const [a] = await Promise.all([import( '../parallel/run.js' )]);",
      "let t: typeof import('../live/index.js');",
      "const c = () => import('./command.js');",
    ].join('\n');
    expect(importsOf(f, text).map((x) => path.relative(SRC, x))).toEqual(['engine/run.ts', 'cli.ts', 'parallel/run.ts', 'cli/command.ts']);
  });

  it('the cycle finder finds a cycle', () => {
    const g = new Map([
      [path.join(SRC, 'a.ts'), [path.join(SRC, 'b.ts')]],
      [path.join(SRC, 'b.ts'), [path.join(SRC, 'c.ts')]],
      [path.join(SRC, 'c.ts'), [path.join(SRC, 'a.ts')]],
    ]);
    expect(findCycle(g)).toEqual(['a.ts', 'b.ts', 'c.ts', 'a.ts']);
  });
});

describe('tracked files', () => {
  it('hold no merge conflict markers (a bad rebase once left them in test/fixtures/README.md)', () => {
    const root = path.resolve(__dirname, '../..');
    const files = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter((f) => /\.(ts|js|md|json|1|sh|c)$/.test(f) || f === '.ci/run');
    expect(files.length).toBeGreaterThan(100);
    const marker = /^(<<<<<<<|>>>>>>>) /m;
    const bad = files.filter((f) => fs.existsSync(path.join(root, f)) && marker.test(fs.readFileSync(path.join(root, f), 'utf8')));
    expect(bad).toEqual([]);
  });
});
