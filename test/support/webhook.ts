/**
 * Alertmanager's webhook body (version 4) for the tests that post one: the envelope is Alertmanager's,
 * what a test leaves out of an alert is filled as Alertmanager fills it, and the labels are passed through
 * untouched (hostile ones included: a `__proto__` label stays an own key).
 */

/** One alert of a delivery; a test names what it is about and may leave the rest out. */
export interface WebhookAlert {
  labels: Record<string, string>;
  fingerprint: string;
  annotations?: Record<string, string>;
  status?: 'firing' | 'resolved';
  /** Default: a minute ago. */
  startsAt?: string;
  /** Default: Alertmanager's zero time while firing, now once resolved. */
  endsAt?: string;
  generatorURL?: string;
}

export interface WebhookGroup {
  /** The group's labels (Alertmanager's group_by). */
  groupLabels: Record<string, string>;
  /** The labels every alert shares; default the group's. */
  commonLabels?: Record<string, string>;
  commonAnnotations?: Record<string, string>;
  externalURL?: string;
}

export function webhookBody(group: WebhookGroup, alerts: readonly WebhookAlert[]) {
  const groupKey = `{}:{${Object.entries(group.groupLabels)
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
    .join(',')}}`;
  return {
    version: '4',
    groupKey,
    truncatedAlerts: 0,
    status: alerts.some((a) => (a.status ?? 'firing') === 'firing') ? 'firing' : 'resolved',
    receiver: 'steadfast',
    groupLabels: group.groupLabels,
    commonLabels: group.commonLabels ?? group.groupLabels,
    commonAnnotations: group.commonAnnotations ?? {},
    externalURL: group.externalURL ?? '',
    alerts: alerts.map((a) => {
      const status = a.status ?? 'firing';
      return {
        status,
        labels: a.labels,
        annotations: a.annotations ?? {},
        startsAt: a.startsAt ?? new Date(Date.now() - 60_000).toISOString(),
        endsAt: a.endsAt ?? (status === 'resolved' ? new Date().toISOString() : '0001-01-01T00:00:00Z'),
        generatorURL: a.generatorURL ?? '',
        fingerprint: a.fingerprint,
      };
    }),
  };
}
