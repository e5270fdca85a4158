import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importCycles, importGraph } from './import-graph.js';

const src = join(import.meta.dirname, '..', '..', 'src');

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'steadfast-imports-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

describe('imports among src/ modules', () => {
  it('form no circle, type-only imports included', () => {
    const graph = importGraph(src);
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get('incidents/ingest.ts')).toContain('workflows/messages.ts');
    expect(importCycles(graph), 'move the shared type to a module both sides can import').toEqual([]);
  });

  it('would be caught circling through type-only imports, re-exports and index files', () => {
    const root = tree({
      'a.ts': "import type { B } from './b.js';\nexport type A = B[];\n",
      'b.ts': "export type { C as B } from './lib/index.js';\n",
      'lib/index.ts': "import { type A } from '../a.js';\nexport type C = { a?: A };\n",
      'leaf.ts': "import type { A } from './a.js';\nexport const x: A = [];\n",
    });
    expect(importCycles(importGraph(root))).toEqual(['a.ts -> b.ts -> lib/index.ts -> a.ts']);
  });

  it('reports each circle once, and none in a tree without one', () => {
    const circle = tree({
      'x.ts': "import { y } from './y.js';\nexport const x = () => y;\n",
      'y.ts': "import { x } from './x.js';\nexport const y = () => x;\n",
      'z.ts': "import { x } from './x.js';\nimport { y } from './y.js';\nexport const z = [x, y];\n",
    });
    expect(importCycles(importGraph(circle))).toEqual(['x.ts -> y.ts -> x.ts']);
    const straight = tree({
      'p.ts': "import { q } from './q.js';\nexport const p = q;\n",
      'q.ts': 'export const q = 1;\n',
    });
    expect(importCycles(importGraph(straight))).toEqual([]);
  });
});
