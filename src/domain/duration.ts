/**
 * Durations as SREs write them in Prometheus and Alertmanager configuration: `30s`, `5m`, `1h30m`, `250ms`.
 * Kept free of imports so that workflow code can use it.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/** Parses a duration such as `1h30m` into milliseconds; returns undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) {
    total += Number(amount) * (UNIT_MS[unit ?? ''] ?? 0);
  }
  return total;
}

/** Formats milliseconds as a short human duration: `1h 5m`, `42s`, `850ms`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'never';
  if (Math.round(ms) < 1000) return `${Math.round(ms)}ms`;
  const seconds = Math.round(ms / 1000);
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const parts = [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}m` : '', s && !d ? `${s}s` : ''];
  return parts.filter(Boolean).slice(0, 2).join(' ');
}
