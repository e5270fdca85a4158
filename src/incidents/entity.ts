import {
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  type Client,
  type QueryDefinition,
  type UpdateDefinition,
  type Workflow,
} from '@temporalio/client';

/**
 * How callers reach an entity workflow (the guard, the escalation rules, the severity model, the
 * verdict ledger): one per task queue, on the incidents' queue. A change is an update-with-start, so the
 * first change ever starts the entity; a read is a query, and an entity never started reads as `empty`.
 */
export interface EntityHandle {
  update<Ret, Args extends unknown[]>(update: UpdateDefinition<Ret, Args>, ...args: Args): Promise<Ret>;
  query<Ret, Args extends unknown[]>(
    query: QueryDefinition<Ret, Args>,
    empty: Ret,
    ...args: Args
  ): Promise<Ret>;
}

export function entityHandle(
  client: Client,
  workflow: Workflow,
  workflowId: string,
  taskQueue: string,
): EntityHandle {
  return {
    update: (update, ...args) =>
      client.workflow.executeUpdateWithStart(update, {
        args,
        startWorkflowOperation: new WithStartWorkflowOperation(workflow, {
          workflowId,
          taskQueue,
          args: [],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      }),
    query: async (query, empty, ...args) => {
      try {
        return await client.workflow.getHandle(workflowId).query(query, ...args);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return empty;
        throw err;
      }
    },
  };
}
