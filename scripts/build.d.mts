/** Brings dist/ under `root` (the repository by default) up to date with the sources; returns its path. */
export function buildRuntime(root?: string): Promise<string>;
/** The compiled path of a source entry point (`src/main.ts`, `worker.ts`); builds once per process and root. */
export function compiledEntry(script: string, root?: string): Promise<string>;
