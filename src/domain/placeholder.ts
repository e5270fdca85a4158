import { exactMatcherValues } from './promql.js';
/**
 * Typed placeholders: `{{ labels.container }}` in a runbook field is replaced by the alert's label, and
 * the whole result must then satisfy the field's kind. A label that tries to carry anything else fails
 * the remediation before any action runs.
 */
export type ValueKind =
  | 'container'
  | 'network'
  | 'docker-label-value'
  | 'k8s-namespace'
  | 'k8s-name'
  | 'k8s-container'
  | 'replicas'
  | 'url-segment'
  | 'promql-label-value';

// A DNS-1123 label: what Kubernetes requires of namespaces and container names.
const DNS_LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';

const KINDS: Record<ValueKind, { pattern: RegExp; description: string }> = {
  // Docker's own rule for container names, or a full/short hex ID.
  container: {
    pattern: /^(?:[a-zA-Z0-9][a-zA-Z0-9_.-]{0,253}|[a-f0-9]{12,64})$/,
    description: 'a container name ([a-zA-Z0-9][a-zA-Z0-9_.-]*) or ID',
  },
  network: {
    pattern: /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,253}$/,
    description: 'a network name ([a-zA-Z0-9][a-zA-Z0-9_.-]*) or ID',
  },
  'docker-label-value': {
    pattern: /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,253}$/,
    description: 'a service name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)',
  },
  'k8s-namespace': {
    pattern: new RegExp(`^${DNS_LABEL}$`),
    description: 'a Kubernetes namespace (a DNS-1123 label: lower-case letters, digits and -, at most 63)',
  },
  'k8s-container': {
    pattern: new RegExp(`^${DNS_LABEL}$`),
    description: 'a Kubernetes container name (a DNS-1123 label)',
  },
  // DNS-1123 subdomain: deployments and nodes.
  'k8s-name': {
    pattern: new RegExp(`^(?=.{1,253}$)${DNS_LABEL}(?:\\.${DNS_LABEL})*$`),
    description: 'a Kubernetes object name (a DNS-1123 subdomain: lower-case letters, digits, - and .)',
  },
  replicas: { pattern: /^(?:0|[1-9]\d{0,3})$/, description: 'a replica count from 0 to 9999' },
  // One piece of a URL (a host, a port, a path segment): nothing that could change the URL's shape.
  // A colon is let through for `host:port` labels such as Prometheus's `instance`; `@`, `/`, `?`, `#`
  // and `%` are not, so a value can neither add credentials nor move the call to another path. `.` and
  // `..` are refused too: the URL parser resolves them as dot segments (`/tenants/../cache/flush` is
  // sent as `/cache/flush`), and they are the only values of this alphabet that it rewrites in a path.
  'url-segment': {
    pattern: /^(?!\.{1,2}$)[A-Za-z0-9._~:-]{1,253}$/,
    description: 'a URL segment of letters, digits and . _ ~ : - (not . or ..)',
  },
  // Values spliced into PromQL string literals: no quotes, backslashes or braces can get through. Not
  // empty: `job=""` matches every series without the label, so a check would read what no one named.
  'promql-label-value': {
    pattern: /^[A-Za-z0-9_.:/-]{1,256}$/,
    description: 'a label value of letters, digits and _ . : / -',
  },
};

const PLACEHOLDER = /\{\{\s*labels\.([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g;

export class PlaceholderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlaceholderError';
  }
}

/** Fills a template whose result must be of one kind as a whole (a container name, say). */
export function fillValue(
  template: string,
  labels: Record<string, string>,
  kind: ValueKind,
  field: string,
): string {
  const value = template.replace(PLACEHOLDER, (_, name: string) => {
    const label = labels[name];
    if (label === undefined) throw new PlaceholderError(`${field}: the alert has no label "${name}"`);
    return label;
  });
  const rule = KINDS[kind];
  if (!rule.pattern.test(value)) {
    throw new PlaceholderError(`${field}: ${JSON.stringify(value.slice(0, 80))} is not ${rule.description}`);
  }
  return value;
}

/** Fills a template where each label value is checked on its own before it is spliced in. */
export function fillEach(
  template: string,
  labels: Record<string, string>,
  kind: ValueKind,
  field: string,
): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const label = labels[name];
    if (label === undefined) throw new PlaceholderError(`${field}: the alert has no label "${name}"`);
    const rule = KINDS[kind];
    if (!rule.pattern.test(label)) {
      throw new PlaceholderError(
        `${field}: label ${name}=${JSON.stringify(label.slice(0, 80))} is not ${rule.description}`,
      );
    }
    return label;
  });
}

/** Fills a PromQL template: label values can only land inside string literals unharmed. */
export function fillPromQL(template: string, labels: Record<string, string>, field: string): string {
  return fillEach(template, labels, 'promql-label-value', field);
}

/**
 * The labels a PromQL template splices anywhere but inside a quoted label value matched with `=` or `!=`
 * (`up{container="{{ labels.container }}"}`). fillPromQL keeps quotes, backslashes and braces out, which
 * is safe only there: after `=~` a value's `.` is a regular expression (`.........` matches any nine
 * characters), and outside quotes a value is PromQL itself (a metric name, a number).
 */
export function promqlPlaceholdersMisplaced(template: string): string[] {
  // Each placeholder becomes a marker that reads as a name outside quotes and as text inside them, and
  // the template is read as PromQL: a marker is in place only inside an exact matcher's value. Read as
  // tokens, not by the nearest quote: `up{job="a="} * {{ labels.c }}` has a quote before the placeholder,
  // inside a string that already closed.
  const names = placeholdersIn(template);
  const marker = (i: number): string => `steadfast_placeholder_${i}_`;
  let index = 0;
  const marked = template.replace(PLACEHOLDER, () => marker(index++));
  const read = exactMatcherValues(marked);
  const misplaced = names.filter(
    (_, i) =>
      !read ||
      read.elsewhere.some((text) => text.includes(marker(i))) ||
      !read.exact.some((text) => text.includes(marker(i))),
  );
  return [...new Set(misplaced)];
}

export function placeholdersIn(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
}
