/**
 * How many incidents one sender (a token identity) may open a minute, in one API process. A token that
 * leaks, or a sender that misbehaves, could otherwise open incidents without end: each one a workflow, a
 * triage against Prometheus, a Slack message. Counted are firing groups whose incident the sender has not
 * reached in the last hour, so a sender's own storm of re-sent groups costs it nothing, and other
 * senders are never held back by it. Past the limit the webhook answers 503 with Retry-After, which
 * Alertmanager retries (not every version retries a 429), so no alert is lost, only delayed.
 */
export class NewIncidentLimit {
  /**
   * Per sender: the incidents (IDs, at most 255 characters each) it reached, with when (ms), oldest first
   * (a Map keeps order).
   */
  private readonly known = new Map<string, Map<string, number>>();
  /** Per sender: when each new key of the last minute was first reached. */
  private readonly opened = new Map<string, number[]>();

  constructor(
    /** New keys a sender may reach per minute; 0: no limit. */
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
    /** Keys remembered per sender; past it the oldest are forgotten (and would count as new again). */
    private readonly remembered = 20_000,
  ) {}

  /**
   * Whether `sender` may reach all of the incidents `keys` names now. All or none: a request that would
   * pass the limit counts nothing and changes nothing; one that may is counted at once, and `counted`
   * names the keys that were new (for release).
   */
  admit(
    sender: string,
    keys: readonly string[],
  ): { ok: true; counted: string[] } | { ok: false; retryAfterS: number } {
    if (this.perMinute <= 0 || keys.length === 0) return { ok: true, counted: [] };
    const now = this.now();
    const known = this.known.get(sender) ?? new Map<string, number>();
    const fresh = [...new Set(keys)].filter((k) => (known.get(k) ?? -Infinity) <= now - HOUR_MS);
    const opened = (this.opened.get(sender) ?? []).filter((t) => t > now - MINUTE_MS);
    if (opened.length + fresh.length > this.perMinute) {
      const oldest = opened[0] ?? now;
      return { ok: false, retryAfterS: Math.max(1, Math.ceil((oldest + MINUTE_MS - now) / 1000)) };
    }
    for (const key of keys) {
      known.delete(key);
      known.set(key, now);
    }
    for (const key of known.keys()) {
      if (known.size <= this.remembered) break;
      known.delete(key);
    }
    this.known.set(sender, known);
    this.opened.set(sender, [...opened, ...fresh.map(() => now)]);
    return { ok: true, counted: fresh };
  }

  /**
   * Gives back what admit counted for `keys` (among its `counted`) when they opened nothing after all: the
   * request failed before them (Temporal down), answered that nothing was recorded, and its retry must
   * not find the sender's minute used up by incidents that were never opened.
   */
  release(sender: string, keys: readonly string[]): void {
    const known = this.known.get(sender);
    const opened = this.opened.get(sender);
    for (const key of new Set(keys)) {
      const at = known?.get(key);
      if (at === undefined) continue;
      known?.delete(key);
      const index = opened?.lastIndexOf(at) ?? -1;
      if (index >= 0) opened?.splice(index, 1);
    }
  }
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
