import { fileURLToPath } from 'node:url';
import { defaultPayloadConverter, type ActivityOptions, type RetryPolicy } from '@temporalio/common';
import type { History, Payload } from '@temporalio/common/lib/proto-utils.js';
import { msOptionalToNumber } from '@temporalio/common/lib/time.js';
import { bundleWorkflowCode, Worker, type InjectedSinks } from '@temporalio/worker';
import { bundlerOptions, workflowsPath } from '../../src/temporal/worker.js';
import { ENCRYPTED_ENCODING } from '../../src/temporal/codec.js';
import type { IssuedCommand, IssuedCommandSinks } from './issued-commands.js';

/**
 * What replay cannot see. Replay checks that the code issues the same kinds of commands in the same
 * order; it does not compare an activity's arguments or options, or a timer's duration. These helpers
 * replay a history with an interceptor that reports each command the code issues (issued-commands.ts),
 * and read the same facts out of the history's ActivityTaskScheduled, TimerStarted and
 * WorkflowExecutionContinuedAsNew events, in one shape, so a test can compare the two.
 */

/** An activity's timeouts in ms; unset (or 0, which the server records for unset) is undefined. */
interface Timeouts {
  startToClose: number | undefined;
  scheduleToClose: number | undefined;
  scheduleToStart: number | undefined;
  heartbeat: number | undefined;
}

/** A retry policy as the server applies it: what the code left unset is the server's default. */
interface Retry {
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  /** 0 is unlimited. */
  maximumAttempts: number;
  nonRetryableErrorTypes: string[];
}

export type Command =
  | { kind: 'activity'; id: string; activityType: string; args: unknown; timeouts: Timeouts; retry: Retry }
  | { kind: 'timer'; id: string; durationMs: number }
  | { kind: 'continue-as-new'; id: 'continue-as-new'; workflowType: string; args: unknown };

let bundle: Promise<{ code: string }> | undefined;

/** The workflows bundled with the reporting interceptor: for this check only, never for a worker. */
export function bundleWithIssuedCommands(): Promise<{ code: string }> {
  const interceptor = fileURLToPath(new URL('./issued-commands.ts', import.meta.url));
  bundle ??= bundleWorkflowCode({
    workflowsPath,
    workflowInterceptorModules: [interceptor],
    ...bundlerOptions,
    logger: quietLogger,
  });
  return bundle;
}

const noop = (): void => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

/** What the code issued during a replay. */
export interface Issued {
  /** Each command as the history would record it. */
  commands: Command[];
  /**
   * Timers the code cancelled. One started and cancelled in the same workflow task (a `condition()`
   * whose wait is already over starts and cancels its timeout) never reaches the server, so its ID is
   * skipped in the history.
   */
  cancelledTimers: Set<string>;
}

/**
 * Replays the history against the current code (failing on non-determinism, as every replay does) and
 * answers the commands the code issued on the way.
 */
export async function replayIssuingCommands(history: History, workflowId: string): Promise<Issued> {
  const issued: IssuedCommand[] = [];
  await Worker.runReplayHistory(
    {
      workflowBundle: await bundleWithIssuedCommands(),
      sinks: {
        commands: { issued: { fn: (_info, command) => void issued.push(command), callDuringReplay: true } },
      } satisfies InjectedSinks<IssuedCommandSinks>,
    },
    history,
    workflowId,
  );
  const cancelledTimers = new Set(
    issued.flatMap((c) => (c.kind === 'timer-cancelled' ? [String(c.seq)] : [])),
  );
  const commands = issued.flatMap((c) => (c.kind === 'timer-cancelled' ? [] : [asRecorded(c)]));
  return { commands, cancelledTimers };
}

/** A command the code issued, in the shape its history event has. */
function asRecorded(command: Exclude<IssuedCommand, { kind: 'timer-cancelled' }>): Command {
  switch (command.kind) {
    case 'timer':
      return { kind: 'timer', id: String(command.seq), durationMs: command.durationMs };
    case 'continue-as-new':
      return { ...command, id: 'continue-as-new', args: roundTrip(command.args) };
    case 'activity':
      return {
        kind: 'activity',
        id: command.options.activityId ?? String(command.seq),
        activityType: command.activityType,
        args: roundTrip(command.args),
        timeouts: timeoutsOf(command.options),
        retry: retryOf(command.options.retry),
      };
  }
}

/** Arguments as they travel: through the default payload converter (undefined fields drop out). */
const roundTrip = (args: unknown[]): unknown =>
  args.map((a) => defaultPayloadConverter.fromPayload(defaultPayloadConverter.toPayload(a)));

const positive = (ms: number | undefined): number | undefined => (ms ? ms : undefined);

function timeoutsOf(options: ActivityOptions): Timeouts {
  return {
    startToClose: positive(msOptionalToNumber(options.startToCloseTimeout)),
    scheduleToClose: positive(msOptionalToNumber(options.scheduleToCloseTimeout)),
    scheduleToStart: positive(msOptionalToNumber(options.scheduleToStartTimeout)),
    heartbeat: positive(msOptionalToNumber(options.heartbeatTimeout)),
  };
}

/** The server's defaults fill what the code left unset: 1 s, a coefficient of 2, at most 100 × the first. */
function retryOf(policy: RetryPolicy | undefined): Retry {
  const initialIntervalMs = msOptionalToNumber(policy?.initialInterval) ?? 1000;
  return {
    initialIntervalMs,
    backoffCoefficient: policy?.backoffCoefficient ?? 2,
    maximumIntervalMs: msOptionalToNumber(policy?.maximumInterval) ?? 100 * initialIntervalMs,
    maximumAttempts: policy?.maximumAttempts ?? 0,
    nonRetryableErrorTypes: policy?.nonRetryableErrorTypes ?? [],
  };
}

/** The activities, timers and continue-as-new a history recorded, in event order. */
export function recordedCommands(history: History): Command[] {
  const commands: Command[] = [];
  for (const event of history.events ?? []) {
    const activity = event.activityTaskScheduledEventAttributes;
    const timer = event.timerStartedEventAttributes;
    const continued = event.workflowExecutionContinuedAsNewEventAttributes;
    if (activity) {
      const retry = activity.retryPolicy;
      commands.push({
        kind: 'activity',
        id: activity.activityId ?? '',
        activityType: activity.activityType?.name ?? '',
        args: decode(activity.input?.payloads),
        timeouts: {
          startToClose: positive(durationMs(activity.startToCloseTimeout)),
          scheduleToClose: positive(durationMs(activity.scheduleToCloseTimeout)),
          scheduleToStart: positive(durationMs(activity.scheduleToStartTimeout)),
          heartbeat: positive(durationMs(activity.heartbeatTimeout)),
        },
        retry: {
          initialIntervalMs: durationMs(retry?.initialInterval) ?? 0,
          backoffCoefficient: retry?.backoffCoefficient ?? 0,
          maximumIntervalMs: durationMs(retry?.maximumInterval) ?? 0,
          maximumAttempts: retry?.maximumAttempts ?? 0,
          nonRetryableErrorTypes: retry?.nonRetryableErrorTypes ?? [],
        },
      });
    } else if (timer) {
      commands.push({
        kind: 'timer',
        id: timer.timerId ?? '',
        durationMs: durationMs(timer.startToFireTimeout) ?? 0,
      });
    } else if (continued) {
      commands.push({
        kind: 'continue-as-new',
        id: 'continue-as-new',
        workflowType: continued.workflowType?.name ?? '',
        args: decode(continued.input?.payloads),
      });
    }
  }
  return commands;
}

type ProtoDuration = { seconds?: number | string | { toNumber(): number } | null; nanos?: number | null };

/** A protobuf Duration in ms (historyFromJSON leaves seconds as a number, a string or a Long). */
function durationMs(d: ProtoDuration | null | undefined): number | undefined {
  if (!d) return undefined;
  const s = d.seconds;
  const seconds = typeof s === 'object' && s !== null ? s.toNumber() : Number(s ?? 0);
  return seconds * 1000 + Math.round((d.nanos ?? 0) / 1e6);
}

function decode(payloads: Payload[] | null | undefined): unknown[] {
  return (payloads ?? []).map((payload) => {
    const encoding = Buffer.from(payload.metadata?.['encoding'] ?? []).toString();
    if (encoding === ENCRYPTED_ENCODING) {
      throw new Error(
        'this history was recorded with the payload codec: record it without STEADFAST_CODEC_KEYS',
      );
    }
    return defaultPayloadConverter.fromPayload(payload);
  });
}
