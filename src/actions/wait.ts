import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';
import { duration } from './fields.js';
import { defineAction, unbound } from './spec.js';

/** A pause between steps, for a change to settle; it touches nothing. */
const wait = defineAction({
  schema: z.object({ action: z.literal('wait'), duration }).strict(),
  fill: (s) => ({ action: 'wait', ms: parseDuration(s.duration) ?? 0 }),
  describe: (step) => `wait ${Math.round(step.ms / 1000)}s`,
  preview: () => [],
  target: () => undefined,
  bind: unbound,
  reversible: false,
});

export const waitActions = { wait };
