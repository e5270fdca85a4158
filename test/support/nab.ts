import { join } from 'node:path';

/** The NAB development subset: `shared/` beside the repository (as in CI), or $NAB_DIR. */
export const NAB_DIR =
  process.env['NAB_DIR'] ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'benchmarks', 'nab');
