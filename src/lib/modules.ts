import { fileURLToPath } from 'node:url';

/**
 * Steadfast runs from its TypeScript sources (tests, benches, `tsx`) or compiled to JavaScript in `dist/`
 * (`npm start`, the image; scripts/build.mjs). A module that names another file to load at run time
 * (a child process's script, the workflow bundle's entry) names it as in the sources; from compiled code
 * it is the `.js` file beside it.
 */
export function siblingModule(base: string, relative: string): string {
  const path = fileURLToPath(new URL(relative, base));
  return base.endsWith('.ts') ? path : path.replace(/\.ts$/, '.js');
}

/** Node's arguments to run a module file: TypeScript through tsx, compiled JavaScript as it is. */
export function nodeArgsFor(file: string): string[] {
  return file.endsWith('.ts') ? ['--import', 'tsx', file] : [file];
}
