import type { NextFunction, Request, Response } from 'express';
import { isGrpcServiceError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ZodError } from 'zod';
import { cutUtf8 } from '../domain/utf8.js';
import { DecisionUnanswered } from '../incidents/decisions.js';
import { IncidentBusyError } from '../incidents/ingest.js';
import type { Logger } from '../lib/logger.js';
import { REFUSAL } from '../workflows/messages.js';

/** An error that already knows its HTTP answer. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/**
 * The problems a 400 lists, each cut to ISSUE_BYTES of UTF-8. A body of 1,000 alerts with 64 bad labels
 * each has 64,000 problems: listed whole, the answer was 6 MB for a request of 0.7 MB.
 */
const LISTED_ISSUES = 50;
const ISSUE_BYTES = 300;

export function invalidInput(what: string, error: ZodError): HttpError {
  const listed = error.issues.slice(0, LISTED_ISSUES).map((i) => ({
    path: cutUtf8(i.path.join('.'), ISSUE_BYTES, '…'),
    message: cutUtf8(i.message, ISSUE_BYTES, '…'),
  }));
  const summary = listed
    .slice(0, 5)
    .map((i) => `${i.path || '(body)'}: ${i.message}`)
    .join('; ');
  const more = error.issues.length - listed.length;
  if (more > 0) listed.push({ path: '', message: `and ${more} more problems in the same request` });
  return new HttpError(400, 'InvalidInput', `invalid ${what}: ${summary}`, listed);
}

const REFUSAL_STATUS: Record<string, number> = {
  [REFUSAL.notAuthorized]: 403,
  [REFUSAL.wrongStage]: 409,
  [REFUSAL.alreadyDecided]: 409,
  [REFUSAL.closed]: 409,
  [REFUSAL.invalid]: 400,
  [REFUSAL.frozen]: 409,
  // The calendar's read is late: the same approval succeeds once it is in.
  [REFUSAL.calendarUnread]: 503,
  // The API answered 503 already when this refusal is made; a later reader of it retries too.
  [REFUSAL.expired]: 503,
  [REFUSAL.stale]: 409,
};

// gRPC codes: 1 CANCELLED, 4 DEADLINE_EXCEEDED, 14 UNAVAILABLE. A call past the deadline the API puts on
// it (client.withDeadline) ends CANCELLED, not DEADLINE_EXCEEDED: under a storm that was a 500 "unexpected
// error" instead of the 503 that tells Alertmanager to retry.
const UNREACHABLE_CODES = new Set([1, 4, 14]);

/** The gRPC error behind a Temporal client error (its cause, or further down), with its code and details. */
function grpcError(err: unknown): { code: number; details: string } | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (isGrpcServiceError(e)) return { code: e.code, details: e.details };
  }
  return undefined;
}

/** Maps Temporal's errors to the HTTP answer a client can act on. */
export function fromTemporal(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (err instanceof WorkflowNotFoundError) return new HttpError(404, 'IncidentNotFound', 'no such incident');
  if (err instanceof IncidentBusyError) return new HttpError(503, 'IncidentBusy', err.message);
  if (err instanceof DecisionUnanswered) return new HttpError(503, 'DecisionUnanswered', err.message);
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    const type = err.cause.type ?? '';
    return new HttpError(REFUSAL_STATUS[type] ?? 409, type || 'Refused', err.cause.message);
  }
  const grpc = grpcError(err);
  const code = grpc?.code;
  if (code !== undefined && UNREACHABLE_CODES.has(code)) {
    return new HttpError(
      503,
      'TemporalUnavailable',
      'Temporal cannot be reached; retry later (nothing was recorded)',
    );
  }
  if (code === 5) return new HttpError(404, 'IncidentNotFound', 'no such incident');
  // The server refuses a signal to a run whose history is past its limit (and terminates that run); the
  // next delivery opens the incident again, so this one is worth a retry.
  // The same for a run that has taken as many signals as the server allows one run (10,000 by default).
  if (code === 3 && /history (size|count) exceeds limit|limit for signal/i.test(grpc?.details ?? '')) {
    return new HttpError(
      503,
      'IncidentBusy',
      "the incident's history is full; retry later (nothing was recorded)",
    );
  }
  // FAILED_PRECONDITION: the workflow's last task failed and the worker retries it (a bug or a bad
  // deploy, not the request), so it answers no query or update until then.
  if (code === 9) {
    return new HttpError(
      503,
      'IncidentUnavailable',
      "the incident's workflow cannot answer now (its last workflow task failed and is being retried); retry later",
    );
  }
  return undefined;
}

export function errorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const bodyError = err as { type?: string; status?: number; message?: string };
    let http: HttpError | undefined = fromTemporal(err);
    if (!http && bodyError.type === 'entity.too.large') {
      http = new HttpError(
        413,
        'PayloadTooLarge',
        `the body is larger than the limit (${bodyError.message ?? ''})`,
      );
    } else if (!http && bodyError.type === 'entity.parse.failed') {
      http = new HttpError(400, 'InvalidJSON', `the body is not valid JSON: ${bodyError.message ?? ''}`);
    } else if (
      !http &&
      typeof bodyError.status === 'number' &&
      bodyError.status >= 400 &&
      bodyError.status < 500
    ) {
      http = new HttpError(bodyError.status, 'BadRequest', bodyError.message ?? 'bad request');
    }
    if (!http) {
      logger.error({ event: 'api.error', method: req.method, path: req.path, err }, 'unexpected error');
      http = new HttpError(500, 'InternalError', 'unexpected error; nothing was recorded, retry');
    }
    if (http.status === 503 && !res.get('Retry-After')) res.set('Retry-After', '5');
    res
      .status(http.status)
      .json({ error: http.code, message: http.message, ...(http.details ? { details: http.details } : {}) });
  };
}
