import { afterAll } from 'vitest';
import { closeFileConnections } from './connections.js';

// Registered before the file's own hooks, so it runs after every afterAll of the file (hooks run as a stack).
afterAll(closeFileConnections);
