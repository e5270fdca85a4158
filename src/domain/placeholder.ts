/**
 * Typed placeholders: `{{ labels.container }}` in a runbook field is replaced by the alert's label, and
 * the whole result must then satisfy the field's kind. A label that tries to carry anything else fails
 * the remediation before any action runs.
 */
export type ValueKind = 'container' | 'promql-label-value';

const KINDS: Record<ValueKind, { pattern: RegExp; description: string }> = {
  // Docker's own rule for container names, or a full/short hex ID.
  container: {
    pattern: /^(?:[a-zA-Z0-9][a-zA-Z0-9_.-]{0,253}|[a-f0-9]{12,64})$/,
    description: 'a container name ([a-zA-Z0-9][a-zA-Z0-9_.-]*) or ID',
  },
  // Values spliced into PromQL string literals: no quotes, backslashes or braces can get through.
  'promql-label-value': {
    pattern: /^[A-Za-z0-9_.:/-]{0,256}$/,
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

/** Fills a PromQL template: each label value is checked on its own before it is spliced in. */
export function fillPromQL(template: string, labels: Record<string, string>, field: string): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const label = labels[name];
    if (label === undefined) throw new PlaceholderError(`${field}: the alert has no label "${name}"`);
    const rule = KINDS['promql-label-value'];
    if (!rule.pattern.test(label)) {
      throw new PlaceholderError(
        `${field}: label ${name}=${JSON.stringify(label.slice(0, 80))} is not ${rule.description}`,
      );
    }
    return label;
  });
}

export function placeholdersIn(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
}
