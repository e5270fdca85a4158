import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';
import { fillValue, type ValueKind } from '../domain/placeholder.js';
import type { ReplicaTarget } from './steps.js';

/** Field kinds that several action families write the same way in a runbook. */

export const duration = z.string().refine((s) => parseDuration(s) !== undefined, {
  message: 'a duration such as 30s, 5m or 1h',
});
export const template = z.string().min(1).max(512);
export const stopTimeout = duration.default('10s');

const replicas = z.union([
  z.number().int().min(0).max(9999),
  z
    .string()
    .regex(
      /^(?:[+-]\d{1,4}|\{\{\s*labels\.[a-zA-Z_][a-zA-Z0-9_]*\s*\}\})$/,
      'a count (3), a change (+1, -1) or a {{ labels.x }} placeholder',
    ),
]);
export const replicaBounds = {
  replicas,
  min: z.number().int().min(0).max(9999).default(1),
  max: z.number().int().min(1).max(9999).default(10),
};
export const boundsInOrder = (s: { min: number; max: number }): boolean => s.min <= s.max;
export const boundsMessage = { message: 'min must not exceed max', path: ['min'] };

/**
 * How a runbook step's fields are filled from one alert's labels; every value is checked against its
 * kind, and a bad one throws PlaceholderError naming the field.
 */
export interface Filler {
  readonly labels: Record<string, string>;
  /** Where the step sits in the runbook (`steps[0]`), for error messages. */
  readonly field: string;
  value(name: string, template: string, kind: ValueKind): string;
  replicas(s: { replicas: number | string; min: number; max: number }): ReplicaTarget;
}

export function filler(labels: Record<string, string>, field: string): Filler {
  return {
    labels,
    field,
    value: (name, tpl, kind) => fillValue(tpl, labels, kind, `${field}.${name}`),
    replicas(s) {
      const bounds = { min: s.min, max: s.max };
      if (typeof s.replicas === 'number') return { absolute: s.replicas, ...bounds };
      if (/^[+-]\d+$/.test(s.replicas)) return { delta: Number(s.replicas), ...bounds };
      return { absolute: Number(fillValue(s.replicas, labels, 'replicas', `${field}.replicas`)), ...bounds };
    },
  };
}

/** Whole seconds of a duration the schema has checked already. */
export const seconds = (d: string): number => Math.ceil((parseDuration(d) ?? 10_000) / 1000);

export function describeReplicas(target: ReplicaTarget): string {
  const wanted =
    target.absolute !== undefined
      ? `${target.absolute}`
      : `${(target.delta ?? 0) >= 0 ? '+' : ''}${target.delta ?? 0}`;
  return `${wanted} replicas (kept within ${target.min}–${target.max})`;
}

export const enc = encodeURIComponent;
export const json = (value: unknown): string => JSON.stringify(value);
