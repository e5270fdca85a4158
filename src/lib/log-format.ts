/**
 * Log lines for people: the JSON line pino writes, turned into one line a terminal reads at a glance,
 * `12:04:05.123 INFO  incident x opened: Disk filling up  event=incident.opened service=web`. Pure.
 *
 * Messages quote alerts (titles, services), and an alert's sender must not drive the reader's
 * terminal: every control character (an escape sequence starts with one) and every bidirectional
 * override is shown as a `\u…` escape, never written as it is.
 */

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** Fields every line has, or that the line's head already shows. */
const HIDDEN = new Set(['level', 'time', 'msg', 'app', 'pid', 'hostname', 'err']);

// C0 and C1 controls (with tab and newline: a line stays one line) and the bidirectional controls.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Text with nothing a terminal would act on: each unsafe character as its `\uXXXX` escape. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A field's value: plain words as they are, anything else (spaces, quotes, objects) as JSON. */
function value(v: unknown): string {
  if (typeof v === 'string') return /^[\w.:/@+-]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return JSON.stringify(v) ?? 'undefined';
}

/** `HH:MM:SS.mmm` in UTC, as the reports write times; the date is in the JSON lines. */
function clock(time: unknown): string {
  const ms = typeof time === 'number' ? time : typeof time === 'string' ? Date.parse(time) : NaN;
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(11, 23) : '--:--:--.---';
}

function errorText(err: unknown, withStack: boolean): string {
  if (typeof err !== 'object' || err === null) return ` err=${value(err)}`;
  const e = err as { message?: unknown; stack?: unknown };
  const message = typeof e.message === 'string' ? e.message : JSON.stringify(err);
  // The stack starts with the error's name and message, as many lines as the message has: a message
  // with a newline (text an alert wrote) would otherwise show its second line as a line of the stack.
  const header = message.split('\n').length;
  const stack = withStack && typeof e.stack === 'string' ? e.stack.split('\n').slice(header) : [];
  return ` err=${JSON.stringify(message)}${stack.map((l) => `\n    ${l.trim()}`).join('')}`;
}

/**
 * One JSON log line as text (without its newline). A line that is not a JSON object is passed on as
 * it is (made terminal-safe): nothing written to the log is ever dropped.
 */
export function formatLogLine(json: string): string {
  let record: unknown;
  try {
    record = JSON.parse(json);
  } catch {
    return terminalSafe(json);
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return terminalSafe(json);
  const r = record as Record<string, unknown>;
  const level = typeof r['level'] === 'number' ? r['level'] : 30;
  const name = (LEVELS[level] ?? `L${level}`).padEnd(5);
  const message = typeof r['msg'] === 'string' ? r['msg'] : '';
  const fields = Object.entries(r)
    .filter(([k, v]) => !HIDDEN.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${value(v)}`)
    .join(' ');
  const err = r['err'] !== undefined ? errorText(r['err'], level >= 50) : '';
  return (
    terminalSafe(`${clock(r['time'])} ${name} ${message}${fields ? `  ${fields}` : ''}`) +
    terminalSafeLines(err)
  );
}

/** The stack's own newlines are kept (each line indented); anything else unsafe is escaped. */
function terminalSafeLines(text: string): string {
  return text
    .split('\n')
    .map((line) => terminalSafe(line))
    .join('\n');
}
