/** Builds the demo target's image offline unless it exists; resolves to its name. */
export function ensureDemoImage(): Promise<string>;
