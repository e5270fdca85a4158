import type { EscalationTarget } from '../domain/incident.js';
import type { Logger } from '../lib/logger.js';

export interface EscalationNotice {
  incidentId: string;
  level: number;
  targets: EscalationTarget[];
  title: string;
  service: string;
  severity: string;
  recommendation: string;
}

export function createNotifyActivities(deps: { logger: Logger; incidentUrl: (id: string) => string }) {
  return {
    /** Tells the next escalation level; a webhook that does not answer 2xx fails the attempt (retried). */
    async notifyEscalation(notice: EscalationNotice): Promise<{ delivered: string[] }> {
      const url = deps.incidentUrl(notice.incidentId);
      const delivered: string[] = [];
      for (const target of notice.targets) {
        if (target.type === 'log') {
          deps.logger.warn(
            { event: 'incident.escalated', ...notice, targets: undefined, url },
            `incident ${notice.incidentId} escalated to level ${notice.level}`,
          );
          delivered.push('log');
          continue;
        }
        if (!target.url) continue;
        const response = await fetch(target.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            event: 'incident.escalated',
            incidentId: notice.incidentId,
            level: notice.level,
            title: notice.title,
            service: notice.service,
            severity: notice.severity,
            recommendation: notice.recommendation,
            url,
          }),
          signal: AbortSignal.timeout(10_000),
        });
        if (!response.ok)
          throw new Error(`escalation webhook ${target.url} answered HTTP ${response.status}`);
        delivered.push(target.url);
      }
      return { delivered };
    },
  };
}
