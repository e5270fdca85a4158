import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** Each module under root (relative path) and the modules of that tree it imports. */
export type ImportGraph = Map<string, Set<string>>;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** A relative specifier as NodeNext writes it (`./x.js`, `./dir/index.js`) to the file it names. */
function resolveSpecifier(from: string, specifier: string): string | undefined {
  const target = resolve(dirname(from), specifier);
  for (const candidate of [target.replace(/\.js$/, '.ts'), target, join(target, 'index.ts')]) {
    if (candidate.endsWith('.ts') && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Every import, re-export and `import()` between the modules under root, type-only ones included:
 * a type-only circle still ties the modules together for a reader and for the type checker.
 */
export function importGraph(root: string): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of tsFiles(root)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const deps = new Set<string>();
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = resolveSpecifier(file, fileName);
      if (target) deps.add(relative(root, target));
    }
    graph.set(relative(root, file), deps);
  }
  return graph;
}

/** Each circle of imports once, as the path that walks it (`a.ts -> b.ts -> a.ts`). */
export function importCycles(graph: ImportGraph): string[] {
  const cycles = new Map<string, string>();
  const done = new Set<string>();
  const path: string[] = [];
  const onPath = new Set<string>();
  const walk = (node: string): void => {
    path.push(node);
    onPath.add(node);
    for (const next of graph.get(node) ?? []) {
      if (onPath.has(next)) {
        const circle = path.slice(path.indexOf(next));
        // One key per circle, whichever module the walk entered it by.
        const key = [...circle].sort().join(' ');
        if (!cycles.has(key)) cycles.set(key, [...circle, next].join(' -> '));
      } else if (!done.has(next) && graph.has(next)) {
        walk(next);
      }
    }
    path.pop();
    onPath.delete(node);
    done.add(node);
  };
  for (const node of [...graph.keys()].sort()) if (!done.has(node)) walk(node);
  return [...cycles.values()];
}
