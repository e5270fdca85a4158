import {
  isCancellation,
  proxySinks,
  type ActivityOptions,
  type Sinks,
  type WorkflowInterceptorsFactory,
} from '@temporalio/workflow';

/**
 * A workflow interceptor module, bundled only into the replay check's workflow code: it reports every
 * activity, timer and continue-as-new the workflow code issues, with its input and options, through a
 * sink called during replay. It changes no command, so the replay itself is unaffected.
 */

export type IssuedCommand =
  | { kind: 'activity'; seq: number; activityType: string; args: unknown[]; options: ActivityOptions }
  | { kind: 'timer'; seq: number; durationMs: number }
  /** A timer cancelled before it fired (in the task that started it, it never reaches the server). */
  | { kind: 'timer-cancelled'; seq: number }
  | { kind: 'continue-as-new'; workflowType: string; args: unknown[] };

export interface IssuedCommandSinks extends Sinks {
  commands: { issued(command: IssuedCommand): void };
}

const { commands } = proxySinks<IssuedCommandSinks>();

/**
 * The arguments as they are when the command is issued: the sink reads them only when the activation
 * ends, by which time a signal may have changed the state they share (an alert that reaches a closing
 * incident after its report was scheduled). JSON, as the payload converter sends them.
 */
const asIssued = (args: unknown[]): unknown[] => JSON.parse(JSON.stringify(args)) as unknown[];

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      scheduleActivity(input, next) {
        const { activityType, args, options, seq } = input;
        commands.issued({ kind: 'activity', seq, activityType, args: asIssued(args), options });
        return next(input);
      },
      startTimer(input, next) {
        const { seq, durationMs } = input;
        commands.issued({ kind: 'timer', seq, durationMs });
        return next(input).catch((err: unknown) => {
          if (isCancellation(err)) commands.issued({ kind: 'timer-cancelled', seq });
          throw err;
        });
      },
      continueAsNew(input, next) {
        const { args, options } = input;
        commands.issued({
          kind: 'continue-as-new',
          workflowType: options.workflowType,
          args: asIssued(args),
        });
        return next(input);
      },
    },
  ],
});
