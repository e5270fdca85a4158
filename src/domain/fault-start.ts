// Workflow-safe: no Node modules (src/domain/alert.ts imports node:crypto, so this lives apart).
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * When the fault began, from an alert's `fault_started_at` annotation (RFC 3339, or Unix seconds as a
 * Prometheus rule's template can print them), as an ISO time; undefined when absent or not a time a
 * `Date` can hold. The annotation is the sender's text: a value past year 275760 made `toISOString`
 * throw inside the workflow, failing every workflow task of the incident.
 */
export function faultStartOf(annotations: Readonly<Record<string, string>>): string | undefined {
  const fault = annotations['fault_started_at'] ?? '';
  // Date.parse alone also reads loose text ("-5" is May 2001), so RFC 3339's shape is checked first.
  const ms = /^\d+(\.\d+)?$/.test(fault)
    ? Number(fault) * 1000
    : RFC3339.test(fault)
      ? Date.parse(fault)
      : Number.NaN;
  if (!(ms > 0)) return undefined;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
