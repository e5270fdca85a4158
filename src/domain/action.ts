/**
 * Remediation actions after their placeholders have been filled in and checked: plain data that the
 * workflow records and the remediation activities execute. No field ever reaches a shell.
 */
export type ActionStep =
  | { action: 'docker.restart'; container: string; stopTimeoutSeconds: number }
  | { action: 'docker.update-resources'; container: string; memoryBytes?: number; nanoCpus?: number }
  | { action: 'wait'; ms: number };

/** What an action found before it acted: enough to make a retry harmless and to undo it. */
export type TargetSnapshot =
  | { action: 'docker.restart'; containerId: string; startedAt: string }
  | {
      action: 'docker.update-resources';
      containerId: string;
      memoryBytes: number;
      memorySwapBytes: number;
      nanoCpus: number;
    }
  | { action: 'wait' };

/** What the remediation activities receive: the step and the snapshot recorded before it. */
export interface ActionRequest {
  step: ActionStep;
  snapshot: TargetSnapshot;
}

export interface ActionEffect {
  /** One line for the timeline: what changed. */
  summary: string;
  /** False when a retried attempt found the change already made and did nothing. */
  acted: boolean;
}

export function describeAction(step: ActionStep): string {
  switch (step.action) {
    case 'docker.restart':
      return `restart container ${step.container}`;
    case 'docker.update-resources': {
      const parts = [
        step.memoryBytes !== undefined ? `memory ${formatBytes(step.memoryBytes)}` : '',
        step.nanoCpus !== undefined ? `cpus ${step.nanoCpus / 1e9}` : '',
      ].filter(Boolean);
      return `set ${parts.join(', ')} on container ${step.container}`;
    }
    case 'wait':
      return `wait ${Math.round(step.ms / 1000)}s`;
  }
}

/** Whether the action has an undo; a restart does not (the old process is gone). */
export function isReversible(step: ActionStep): boolean {
  return step.action === 'docker.update-resources';
}

/** Resource limits as the timeline shows them; zero means no limit. */
export function describeLimits(memoryBytes: number, nanoCpus: number): string {
  return `memory ${memoryBytes ? formatBytes(memoryBytes) : 'unlimited'}, cpus ${nanoCpus ? nanoCpus / 1e9 : 'unlimited'}`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(value.toFixed(2))}${units[unit]}`;
}
