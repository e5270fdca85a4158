/** Brings dist/ under `root` (the repository by default) up to date with the sources; returns its path. */
export function buildRuntime(root?: string): Promise<string>;
