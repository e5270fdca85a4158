import type { Runbook } from '../domain/runbook.js';
import type { Oncall } from './resolve.js';

/**
 * The rotations a runbook's escalation names that the on-call file does not define (or all of them, when
 * no file is configured): each such level would fail as UnknownRotation (or NotificationNotConfigured)
 * when it is reached, so `npm run runbooks:check` and the worker's start say so first.
 */
export function unknownRotations(
  runbook: Runbook,
  oncall: Oncall | undefined,
): { level: number; rotation: string; message: string }[] {
  const defined = new Set(oncall?.rotations.map((r) => r.definition.name));
  return runbook.approval.escalation.flatMap((level, i) =>
    level.notify.flatMap((target) =>
      target.type === 'rotation' && !defined.has(target.rotation)
        ? [
            {
              level: i + 1,
              rotation: target.rotation,
              message: oncall
                ? `escalation level ${i + 1} pages rotation "${target.rotation}", which ${oncall.file} does not define`
                : `escalation level ${i + 1} pages rotation "${target.rotation}", and STEADFAST_ONCALL_FILE is not set`,
            },
          ]
        : [],
    ),
  );
}
