import {
  allHandlersFinished,
  condition,
  continueAsNew,
  workflowInfo,
  type Workflow,
} from '@temporalio/workflow';

/**
 * Past this many events an entity workflow (the guard, the rules, the severity model, the verdict
 * ledger) rolls over: its state is small, and a short history keeps each replay after a lost cache quick.
 */
export const MAX_ENTITY_HISTORY_EVENTS = 2_000;

/**
 * The end of every entity workflow: waits until its history is long (or the server suggests a new
 * run), lets the handlers in flight finish, and continues as new carrying `state`. Issues exactly the
 * commands the workflows issued when each wrote this out itself, so their recorded histories replay.
 */
export async function rollOverWhenLong<W extends Workflow>(...args: Parameters<W>): Promise<never> {
  await condition(
    () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= MAX_ENTITY_HISTORY_EVENTS,
  );
  await condition(allHandlersFinished);
  return continueAsNew<W>(...args);
}
