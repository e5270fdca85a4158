import { defaultPayloadConverter } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import proto from '@temporalio/proto';

// @temporalio/proto is CommonJS: its namespaces come through the default export.
const { EventType } = proto.temporal.api.enums.v1;
type Payloads = proto.temporal.api.common.v1.IPayloads;
type Timestamp = proto.google.protobuf.ITimestamp;

/** One event of the workflow's history worth showing in an audit, as plain data. */
export interface AuditEvent {
  id: number;
  /** ISO 8601, to the millisecond: when Temporal recorded the event. */
  at: string;
  type: string;
  detail: string;
}

export interface AuditHistory {
  runId?: string;
  /** Events in the history up to the report's cut (see auditHistory). */
  eventCount: number;
  events: AuditEvent[];
  /** Why the history could not be read, when it could not (see buildReport). */
  unavailable?: string;
}

/** The activity that writes the report: the history is cut at its scheduling (see auditHistory). */
export const CLOSING_ACTIVITY = 'recordIncidentClosed';

// Protobuf's int64 fields come as Long objects (or numbers).
const toNumber = (v: number | { toNumber: () => number } | null | undefined): number =>
  typeof v === 'number' ? v : v ? v.toNumber() : 0;

function isoOf(ts: Timestamp | null | undefined): string {
  const ms = toNumber(ts?.seconds) * 1000 + Math.floor(toNumber(ts?.nanos) / 1e6);
  return new Date(ms).toISOString();
}

function decoded(payloads: Payloads | null | undefined): unknown[] {
  return (payloads?.payloads ?? []).map((p) => {
    try {
      return defaultPayloadConverter.fromPayload<unknown>(p);
    } catch {
      return undefined;
    }
  });
}

function decisionText(arg: unknown): string {
  if (typeof arg !== 'object' || arg === null) return '';
  const d = arg as { actor?: unknown; via?: unknown; reason?: unknown; why?: unknown };
  const parts = [
    typeof d.actor === 'string' ? `by ${d.actor}` : '',
    typeof d.via === 'string' ? `via ${d.via}` : '',
    typeof d.reason === 'string' ? `(“${d.reason}”)` : '',
    typeof d.why === 'string' ? `refused: ${d.why}` : '',
  ];
  return parts.filter(Boolean).join(' ');
}

/**
 * The events of one run's history that say who and what reached the incident and when: its start, the
 * signals (alerts, refused decisions), the updates (decisions) and their outcomes, and every activity
 * with its result. The history is cut right after the closing activity is scheduled, because that is
 * all the history holds while the activity writes the report: the API renders the same report later.
 */
export function auditHistory(history: History): AuditHistory {
  const activities = new Map<number, string>();
  const updates = new Map<string, string>();
  const events: AuditEvent[] = [];
  let runId: string | undefined;
  let count = 0;
  for (const e of history.events ?? []) {
    count++;
    const id = toNumber(e.eventId);
    const at = isoOf(e.eventTime);
    const push = (type: string, detail: string): void => {
      events.push({ id, at, type, detail });
    };
    switch (e.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: {
        const a = e.workflowExecutionStartedEventAttributes;
        runId = a?.originalExecutionRunId ?? undefined;
        const from = a?.continuedExecutionRunId ? `, continuing run ${a.continuedExecutionRunId}` : '';
        push(
          'workflow started',
          `${a?.workflowType?.name ?? 'workflow'} on task queue ${a?.taskQueue?.name ?? '?'}${from}`,
        );
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: {
        const a = e.workflowExecutionSignaledEventAttributes;
        const [arg] = decoded(a?.input);
        const name = a?.signalName ?? 'signal';
        const detail = Array.isArray(arg)
          ? `${arg.length} alert${arg.length === 1 ? '' : 's'}`
          : decisionText(arg);
        push(`signal ${name}`, detail);
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: {
        const a = e.workflowExecutionUpdateAcceptedEventAttributes;
        const name = a?.acceptedRequest?.input?.name ?? 'update';
        if (a?.protocolInstanceId) updates.set(a.protocolInstanceId, name);
        push(`update ${name} accepted`, decisionText(decoded(a?.acceptedRequest?.input?.args)[0]));
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED: {
        const a = e.workflowExecutionUpdateCompletedEventAttributes;
        const name = updates.get(a?.meta?.updateId ?? '') ?? 'update';
        const failure = a?.outcome?.failure?.message;
        push(`update ${name} completed`, failure ? `refused: ${failure}` : 'accepted by the workflow');
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
        const name = e.activityTaskScheduledEventAttributes?.activityType?.name ?? 'activity';
        activities.set(id, name);
        push('activity scheduled', name);
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
        const a = e.activityTaskCompletedEventAttributes;
        push('activity completed', activities.get(toNumber(a?.scheduledEventId)) ?? 'activity');
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED: {
        const a = e.activityTaskFailedEventAttributes;
        const name = activities.get(toNumber(a?.scheduledEventId)) ?? 'activity';
        push('activity failed', `${name}: ${a?.failure?.message ?? 'failed'}`);
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: {
        const a = e.activityTaskTimedOutEventAttributes;
        push('activity timed out', activities.get(toNumber(a?.scheduledEventId)) ?? 'activity');
        break;
      }
      default:
        break;
    }
    const closing =
      e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
      e.activityTaskScheduledEventAttributes?.activityType?.name === CLOSING_ACTIVITY;
    if (closing) break;
  }
  return { ...(runId ? { runId } : {}), eventCount: count, events };
}
