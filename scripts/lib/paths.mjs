import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout's root folder. */
export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Per-user cache outside the checkout: built tools survive fresh clones (as CI makes). */
export const cacheDir = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'steadfast');

/** Runtime data of `npm start` (git-ignored): the Temporal database, the generated token, sockets. */
export const dataDir = process.env.STEADFAST_DATA_DIR || join(root, 'data');

export function say(message) {
  process.stderr.write(`[steadfast] ${message}\n`);
}
