import { createHmac, timingSafeEqual } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { z } from 'zod';
import type { Alert } from '../domain/alert.js';
import type { IncidentState } from '../domain/incident.js';
import { stateQuery } from '../workflows/messages.js';
import { filterValue, incidentQuery } from './list.js';

// @temporalio/proto is CommonJS: its namespaces come through the default export.
const RUNNING = proto.temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;

/**
 * Alerts as the incidents that hold them know them. No store of alerts exists besides the incidents:
 * visibility finds the incidents a filter can concern, and each one's state query gives its alerts
 * (the latest 50 it holds). Both are bounded per call, so a page reads at most MAX_INCIDENTS_PER_CALL
 * incidents and the caller follows `nextCursor` for more.
 */

/** Incidents whose state one call reads at most; each is a query a worker answers. */
export const MAX_INCIDENTS_PER_CALL = 50;
/** Incidents asked of visibility at once, and states queried at once. */
const VISIBILITY_PAGE = 20;
const QUERIES_AT_ONCE = 5;

/**
 * The instants `since` may name: the visibility query writes it in UTC as Date does, and Temporal reads
 * four-digit years only. `0000-01-01T00:00:00+23:59` is a valid RFC 3339 time of the year -1, and
 * `-000001-12-31T00:01:00.000Z` in the query made Temporal refuse it, a 500 for a 400.
 */
const SINCE_RANGE = [Date.parse('0000-01-01T00:00:00Z'), Date.parse('9999-12-31T23:59:59.999Z')] as const;
const inQueryRange = (time: string): boolean => {
  const at = Date.parse(time);
  return at >= SINCE_RANGE[0] && at <= SINCE_RANGE[1];
};

export const alertFilterSchema = z
  .object({
    status: z.enum(['firing', 'resolved']).optional(),
    service: filterValue.optional(),
    since: z.iso
      .datetime({ offset: true, message: 'an RFC 3339 time such as 2026-11-30T08:00:00Z' })
      .refine(inQueryRange, 'a time from the year 0000 to 9999 in UTC')
      .optional(),
  })
  .strict();
export type AlertFilter = z.infer<typeof alertFilterSchema>;

/** An alert with the incident that holds it. */
export interface HeldAlert extends Alert {
  incidentId: string;
  incidentStatus: 'open' | 'closed';
}

/** Where a listing goes on: a visibility page, the incident within it, the alerts of it already given. */
const cursorSchema = z
  .object({
    page: z
      .string()
      .max(8192)
      .regex(/^[A-Za-z0-9+/=]*$/),
    incident: z.number().int().min(0).max(VISIBILITY_PAGE),
    alert: z.number().int().min(0).max(10_000),
  })
  .strict();
type Cursor = z.infer<typeof cursorSchema>;

export class InvalidCursor extends Error {
  constructor() {
    super('the cursor is not one this API gave out: start again without it');
    this.name = 'InvalidCursor';
  }
}

const seal = (key: Buffer, body: string): Buffer =>
  createHmac('sha256', key).update(body).digest().subarray(0, 16);

function encodeCursor(c: Cursor, key: Buffer): string {
  const body = Buffer.from(JSON.stringify(c)).toString('base64url');
  return `${body}.${seal(key, body).toString('base64url')}`;
}

/** Where a walk without a cursor starts: the first incident of the first visibility page. */
const FIRST_PAGE: Cursor = { page: '', incident: 0, alert: 0 };

function decodeCursor(text: string | undefined, key: Buffer): Cursor {
  if (text === undefined) return FIRST_PAGE;
  const [body = '', mac = '', ...rest] = text.split('.');
  const presented = Buffer.from(mac, 'base64url');
  const expected = seal(key, body);
  if (rest.length > 0 || presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    throw new InvalidCursor();
  }
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
  } catch {
    throw new InvalidCursor();
  }
}

/** The visibility query for the incidents that can hold alerts matching the filter. */
export function alertIncidentQuery(filter: AlertFilter): string {
  const query = incidentQuery(filter.service ? { service: filter.service } : {});
  if (!filter.since) return query;
  // An incident closed before `since` holds no alert active since; the time is re-formatted by Date.
  return `${query} AND (ExecutionStatus = 'Running' OR CloseTime >= '${new Date(filter.since).toISOString()}')`;
}

/** Whether an alert matches: status, service, and active at some time since `since`. */
export function alertMatches(alert: Alert, incidentService: string, filter: AlertFilter): boolean {
  if (filter.status && alert.status !== filter.status) return false;
  if (filter.service && (alert.labels['service'] ?? incidentService) !== filter.service) return false;
  if (filter.since) {
    const since = Date.parse(filter.since);
    const ended = alert.endsAt ? Date.parse(alert.endsAt) : undefined;
    const active = alert.status === 'firing' || Date.parse(alert.startsAt) >= since;
    if (!active && (ended === undefined || ended < since)) return false;
  }
  return true;
}

/** An incident's matching alerts, newest first. */
function heldAlerts(state: IncidentState, open: boolean, filter: AlertFilter): HeldAlert[] {
  return state.alerts
    .filter((a) => alertMatches(a, state.service, filter))
    .sort((a, b) => Date.parse(b.startsAt) - Date.parse(a.startsAt))
    .map((a) => ({ ...a, incidentId: state.incidentId, incidentStatus: open ? 'open' : 'closed' }));
}

export interface AlertSource {
  client: Client;
  /** Bounds one call to Temporal (see the API's temporalTimeoutMs). */
  bounded: <T>(fn: () => Promise<T>) => Promise<T>;
  /**
   * How long one answer walks incidents. No call starts past it (the first batch always runs, so a cursor
   * moves on), so an answer takes at most this and one call's bound, however many incidents no worker
   * answers for; the cursor says where to go on.
   */
  budgetMs: number;
  /**
   * Seals the cursors it gives out (an HMAC), so one it did not give is refused before Temporal is asked:
   * a forged page token made the server answer UNKNOWN, which the client retries until its deadline.
   */
  cursorKey: Buffer;
}

interface VisibilityPage {
  incidents: { id: string; open: boolean }[];
  next: string;
}

async function visibilityPage(source: AlertSource, query: string, token: string): Promise<VisibilityPage> {
  const { client } = source;
  const answer = await source.bounded(() =>
    client.workflowService.listWorkflowExecutions({
      namespace: client.options.namespace,
      query,
      pageSize: VISIBILITY_PAGE,
      nextPageToken: Buffer.from(token, 'base64'),
    }),
  );
  return {
    incidents: (answer.executions ?? []).map((e) => ({
      id: e.execution?.workflowId ?? '',
      open: e.status === RUNNING,
    })),
    next: Buffer.from(answer.nextPageToken ?? []).toString('base64'),
  };
}

/**
 * The states of some incidents, a few queries at a time. An incident gone meanwhile is left out; one
 * whose state could not be read (no worker answered its query in time) is named in `unanswered`, so a
 * listing says what it could not see instead of failing or leaving it out silently.
 */
async function statesOf(
  source: AlertSource,
  ids: string[],
  unanswered: string[],
  spent: () => boolean,
): Promise<(IncidentState | undefined)[]> {
  const out: (IncidentState | undefined)[] = [];
  for (let i = 0; i < ids.length && !spent(); i += QUERIES_AT_ONCE) {
    const batch = ids.slice(i, i + QUERIES_AT_ONCE).map((id) =>
      source
        .bounded(() => source.client.workflow.getHandle(id).query(stateQuery))
        .catch((err: unknown) => {
          if (!(err instanceof WorkflowNotFoundError)) unanswered.push(id);
          return undefined;
        }),
    );
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

/** Whether the answer's budget is spent; never before its first batch of queries has run. */
function budget(source: AlertSource): { spent: () => boolean } {
  const ends = Date.now() + source.budgetMs;
  let calls = 0;
  return { spent: () => calls++ > 0 && Date.now() >= ends };
}

/**
 * Walks the incidents a filter concerns in visibility's order (open ones first, then by close time,
 * newest first), calling `take` with each one's matching alerts until it says stop, the incidents end,
 * MAX_INCIDENTS_PER_CALL were read, or the budget is spent. Returns where to go on, or undefined at the end.
 */
async function walk(
  source: AlertSource,
  filter: AlertFilter,
  from: Cursor,
  take: (alerts: HeldAlert[], skip: number) => number | 'all',
  unanswered: string[],
): Promise<Cursor | undefined> {
  const query = alertIncidentQuery(filter);
  const { spent } = budget(source);
  let cursor = from;
  let read = 0;
  for (;;) {
    const page = await visibilityPage(source, query, cursor.page);
    const rest = page.incidents.slice(cursor.incident, cursor.incident + MAX_INCIDENTS_PER_CALL - read);
    const states = await statesOf(
      source,
      rest.map((i) => i.id),
      unanswered,
      spent,
    );
    for (const [k, state] of states.entries()) {
      read++;
      const alerts = state ? heldAlerts(state, rest[k]?.open ?? false, filter) : [];
      const taken = take(alerts, cursor.alert);
      if (taken !== 'all') return { ...cursor, incident: cursor.incident + k, alert: taken };
      cursor = { ...cursor, alert: 0 };
    }
    const consumed = cursor.incident + states.length;
    if (consumed < page.incidents.length) return { ...cursor, incident: consumed, alert: 0 };
    if (!page.next) return undefined;
    cursor = { page: page.next, incident: 0, alert: 0 };
    if (read >= MAX_INCIDENTS_PER_CALL || spent()) return cursor;
  }
}

export interface AlertPage {
  alerts: HeldAlert[];
  /** Pass it back as `cursor` (with the same filter) for the next page; null when there is no more. */
  nextCursor: string | null;
  /** Incidents on this page whose alerts could not be read (no worker answered in time). */
  unanswered: string[];
}

/** One page of the alerts matching a filter, at most `limit` of them. */
export async function listAlerts(
  source: AlertSource,
  filter: AlertFilter,
  page: { limit: number; cursor?: string },
): Promise<AlertPage> {
  const alerts: HeldAlert[] = [];
  const unanswered: string[] = [];
  const take = (held: HeldAlert[], skip: number): number | 'all' => {
    const room = page.limit - alerts.length;
    // A full page stops at the next incident, whether or not it holds a match.
    if (room === 0) return skip;
    const wanted = held.slice(skip);
    alerts.push(...wanted.slice(0, room));
    return wanted.length > room ? skip + room : 'all';
  };
  const next = await walk(source, filter, decodeCursor(page.cursor, source.cursorKey), take, unanswered);
  return { alerts, nextCursor: next ? encodeCursor(next, source.cursorKey) : null, unanswered };
}

/**
 * Every holding of one alert (its fingerprint) among the incidents a filter concerns, newest incident
 * first. It reads at most MAX_INCIDENTS_PER_CALL incidents, fewer when its budget is spent: `read` says
 * how many, and `complete` whether that was all of them.
 */
export async function findAlert(
  source: AlertSource,
  fingerprint: string,
  filter: AlertFilter,
): Promise<{ alerts: HeldAlert[]; complete: boolean; read: number; unanswered: string[] }> {
  const alerts: HeldAlert[] = [];
  const unanswered: string[] = [];
  let read = 0;
  const take = (held: HeldAlert[]): 'all' => {
    read++;
    alerts.push(...held.filter((a) => a.fingerprint === fingerprint));
    return 'all';
  };
  const next = await walk(source, filter, FIRST_PAGE, take, unanswered);
  return { alerts, complete: next === undefined && unanswered.length === 0, read, unanswered };
}
