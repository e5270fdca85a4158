/** Builds dist/ under `root` (the repository by default) afresh and returns its path. */
export function buildRuntime(root?: string): Promise<string>;
