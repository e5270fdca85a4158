/**
 * Scrubs resolved secret values out of text that leaves an activity: error messages, a response body
 * that echoes a header back, log lines. The placeholder names the reference, never the value.
 */
export class Redactor {
  private readonly values: { value: string; label: string }[] = [];

  /** Remembers a value to scrub; very short values are left alone (scrubbing them mangles text). */
  add(value: string, label: string): this {
    for (const form of new Set([value, encodeURIComponent(value)])) {
      if (form.length >= 4) this.values.push({ value: form, label });
    }
    // Longest first, so a value that contains another is scrubbed whole.
    this.values.sort((a, b) => b.value.length - a.value.length);
    return this;
  }

  redact(text: string): string {
    let out = text;
    for (const { value, label } of this.values) out = out.split(value).join(`[secret ${label}]`);
    return out;
  }

  /** As redact, for text cut short (a body's first bytes): a secret's beginning at its end goes too. */
  redactCut(text: string): string {
    const out = this.redact(text);
    for (const { value, label } of this.values) {
      for (let k = Math.min(value.length - 1, out.length); k >= 4; k--) {
        if (out.endsWith(value.slice(0, k))) return `${out.slice(0, -k)}[secret ${label}]`;
      }
    }
    return out;
  }
}
