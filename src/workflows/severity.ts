import { ApplicationFailure, defineQuery, defineUpdate, setHandler } from '@temporalio/workflow';
import { newestWithin } from '../domain/utf8.js';
import { rollOverWhenLong } from './entity.js';
import { isText } from './signal-checks.js';
import type { Lesson } from '../severity/lessons.js';
import { emptyModel, suggest, teach, type SeverityModel, type Suggestion } from '../severity/model.js';

/** One model per task queue, like the guard: every worker of a deployment learns into the same one. */
export const severityWorkflowId = (taskQueue: string): string => `severity-model-${taskQueue}`;

/** A person's correction, kept for the audit: who said which incident had which severity, and why. */
export interface SeverityCorrection {
  incidentId: string;
  actor: string;
  severity: string;
  /** What the incident's label said. */
  label: string;
  reason?: string;
  at: string;
}

export interface SeverityState {
  model: SeverityModel;
  /** The lessons taught, by key, so a lesson taught again replaces itself instead of counting twice. */
  lessons: Lesson[];
  corrections: SeverityCorrection[];
}

export interface LearnRequest {
  lesson: Lesson;
  correction?: SeverityCorrection;
}

export interface SeveritySummary {
  examples: { severity: string; weight: number }[];
  features: number;
  lessons: number;
  corrections: SeverityCorrection[];
}

export const learnUpdate = defineUpdate<SeveritySummary, [LearnRequest]>('learn');
export const suggestQuery = defineQuery<Suggestion, [{ features: string[]; label: string }]>('suggest');
export const summaryQuery = defineQuery<SeveritySummary>('summary');

/**
 * Lessons remembered by key. An older lesson stays learned but can no longer be replaced: a
 * correction of an incident that old is taught as a new lesson.
 */
const MAX_LESSONS = 2_000;
const MAX_CORRECTIONS = 200;
/**
 * The state travels whole into each new run, a payload Temporal refuses past 2 MB (and terminates the
 * workflow, which then started again empty: everything learned was lost). Counts alone did not bound it:
 * an ingest token's 460 incidents of 24 long labels and 60 words each taught lessons of 5 KB, 2.8 MB in
 * all. So the newest lessons and corrections are kept within these bytes (the model's own features are
 * bounded by MAX_FEATURES).
 */
export const SEVERITY_STATE_BYTES = { lessons: 640 * 1024, corrections: 192 * 1024 } as const;

const SEVERITY = /^[a-z][a-z0-9_-]{0,31}$/;

/** Applies one lesson: the lesson it replaces (same key) is taken back first; the same lesson again changes nothing. */
export function applyLesson(state: SeverityState, request: LearnRequest): SeveritySummary {
  const { lesson } = request;
  const prior = state.lessons.find((l) => l.key === lesson.key);
  const repeated =
    prior !== undefined && prior.severity === lesson.severity && prior.weight === lesson.weight;
  if (!repeated) {
    if (prior) teach(state.model, { ...prior, weight: -prior.weight });
    teach(state.model, lesson);
    const lessons = [...state.lessons.filter((l) => l.key !== lesson.key), lesson].slice(-MAX_LESSONS);
    state.lessons = newestWithin(lessons, SEVERITY_STATE_BYTES.lessons);
  }
  // The same person saying the same thing again (a retried request) is one correction in the audit.
  const { correction } = request;
  const last = state.corrections.filter((c) => c.incidentId === correction?.incidentId).at(-1);
  const again = repeated && last?.actor === correction?.actor && last?.reason === correction?.reason;
  if (correction && !again) {
    const corrections = [...state.corrections, correction].slice(-MAX_CORRECTIONS);
    state.corrections = newestWithin(corrections, SEVERITY_STATE_BYTES.corrections);
  }
  return summarise(state);
}

export function summarise(state: SeverityState): SeveritySummary {
  return {
    examples: state.model.classes.map((c) => ({ severity: c.severity, weight: c.weight })),
    features: new Set(state.model.classes.flatMap((c) => Object.keys(c.counts))).size,
    lessons: state.lessons.length,
    corrections: state.corrections.slice(-20),
  };
}

/**
 * The severity model's one home. Handlers are synchronous, so lessons apply one at a time in the
 * order Temporal accepted them; the model lives in the history and rolls over before it grows long.
 */
export async function severityModelWorkflow(carried?: SeverityState): Promise<void> {
  const state: SeverityState = carried ?? { model: emptyModel(), lessons: [], corrections: [] };
  setHandler(learnUpdate, (request) => applyLesson(state, request), { validator: validateLearn });
  setHandler(suggestQuery, ({ features, label }) => suggest(state.model, features, label));
  setHandler(summaryQuery, () => summarise(state));
  await rollOverWhenLong<typeof severityModelWorkflow>(state);
}

function validateLearn({ lesson, correction }: LearnRequest): void {
  if (!lesson || !isText(lesson.key, 600) || !isText(lesson.incidentId, 512))
    throw invalid('a lesson needs a key and an incident');
  if (typeof lesson.severity !== 'string' || !SEVERITY.test(lesson.severity))
    throw invalid('severity must be a lower-case word such as critical or warning');
  if (typeof lesson.weight !== 'number' || !(lesson.weight > 0) || lesson.weight > 10)
    throw invalid('weight must be a number above 0 and at most 10');
  if (
    !Array.isArray(lesson.features) ||
    lesson.features.length > 128 ||
    !lesson.features.every((f) => isText(f, 200))
  )
    throw invalid('features must be at most 128 strings of at most 200 characters');
  if (correction && (!isText(correction.actor, 256) || (correction.reason ?? '').length > 2000))
    throw invalid('a correction needs an actor and a reason of at most 2000 characters');
}

function invalid(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'InvalidSeverityLesson', message, nonRetryable: true });
}
