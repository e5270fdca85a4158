import { describeAction } from '../actions/registry.js';
import type { ActionRecord, IncidentState, TimelineEntry } from '../domain/incident.js';
import { formatValue } from '../domain/series.js';
import { believableMilestones } from '../domain/breakdown.js';
import { htmlText } from '../notify/escape.js';
import type { ReportAssets } from './assets.js';
import type { AuditHistory } from './history.js';
import { riskOf, withoutPlan } from '../domain/incident-view.js';
import { reportPolicy } from './policy.js';

export interface ReportInput {
  state: IncidentState;
  history: AuditHistory;
  /** The workflow in the Temporal Web UI. */
  workflowUrl: string;
}

// Every string in the report goes through this (directly or through cell, code and time); the
// report's own markup is the only HTML in it.
const escapeHtml = htmlText;

/** Safe for raw text inside a script element: nothing in it can close the element. */
const scriptText = (text: string): string =>
  text.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');

/** JSON that a script element can hold: `<` never appears literally. */
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');

/** Every timestamp in full, to the millisecond, in UTC: an audit compares them across systems. */
export function exactTime(at: string | number | undefined): string {
  if (at === undefined) return '—';
  const ms = typeof at === 'number' ? at : Date.parse(at);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(at);
}

/** A duration to the millisecond: `1h 02m 03.456s`. */
export function exactDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(Math.round(ms));
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = (rest / 1000).toFixed(3).padStart(6, '0');
  if (h > 0) return `${sign}${h}h ${String(m).padStart(2, '0')}m ${s}s`;
  if (m > 0) return `${sign}${m}m ${s}s`;
  return `${sign}${(rest / 1000).toFixed(3)}s`;
}

const between = (from?: string, to?: string): number | undefined =>
  from && to ? Date.parse(to) - Date.parse(from) : undefined;

type Cell = string | { html: string };
const cell = (c: Cell): string => (typeof c === 'string' ? escapeHtml(c) : c.html);
const code = (text: string): Cell => ({ html: `<code>${escapeHtml(text)}</code>` });
const time = (at: string | number | undefined): Cell => ({
  html: `<time>${escapeHtml(exactTime(at))}</time>`,
});

function table(head: string[], rows: Cell[][], empty: string): string {
  if (rows.length === 0) return `<p class="empty">${escapeHtml(empty)}</p>`;
  return `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${cell(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function facts(rows: [string, Cell | undefined][]): string {
  const shown = rows.filter((r): r is [string, Cell] => r[1] !== undefined && r[1] !== '');
  return `<dl>${shown.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${cell(v)}</dd>`).join('')}</dl>`;
}

const section = (id: string, title: string, body: string): string =>
  `<section id="${id}"><h2>${escapeHtml(title)}</h2>${body}</section>`;

function metricsSection(s: IncidentState): string {
  const d = s.detection;
  if (!d?.series || d.series.times.length < 2) {
    return section(
      'metrics',
      'Metrics at the time of the failure',
      `<p class="empty">${escapeHtml(d?.message ?? 'No metric series was recorded for this incident.')}</p>`,
    );
  }
  const { times, values } = d.series;
  const last = values.at(-1);
  const caption = facts([
    ['Query', d.query ? code(d.query) : undefined],
    ['Prometheus', d.prometheusUrl ? code(d.prometheusUrl) : undefined],
    ['Window', { html: `${cell(time((times[0] ?? 0) * 1000))} → ${cell(time((times.at(-1) ?? 0) * 1000))}` }],
    ['Points', String(times.length)],
    ['Last value', last !== undefined ? formatValue(last) : undefined],
    ['Threshold', d.threshold ? `${d.threshold.direction} ${formatValue(d.threshold.value)}` : undefined],
  ]);
  return section(
    'metrics',
    'Metrics at the time of the failure',
    `<div id="chart" class="chart" role="img" aria-label="the incident's metric with its threshold and forecast"></div>${caption}`,
  );
}

function findingsSection(s: IncidentState): string {
  const d = s.detection;
  const f = d?.finding;
  const p = s.prediction;
  const fc = p?.forecast;
  const eta = (sec: number | undefined): string | undefined =>
    sec === undefined ? undefined : exactDuration(sec * 1000);
  const detection = facts([
    ['Status', d?.status ?? 'not run'],
    ['Finding', d?.message],
    [
      'Anomaly score',
      f ? `${f.score.toFixed(3)} (${f.score > 0.5 ? 'anomalous' : 'within the usual'})` : undefined,
    ],
    ['Reason', f?.reason],
    ['Current', f ? formatValue(f.current) : undefined],
    [
      'Usual range',
      f ? `${formatValue(f.usualLow)} – ${formatValue(f.usualHigh)} (${f.baseline})` : undefined,
    ],
    ['Method', f ? `${f.method}, robust z ${formatValue(f.robustZ)}` : undefined],
  ]);
  const prediction = facts([
    ['Status', p?.status ?? 'not run'],
    ['Prediction', p?.message],
    ['Summary', fc?.summary],
    ['Trend', fc ? `${fc.trend} (${formatValue(fc.slopePerSecond * 60)}/min, r² ${fc.r2})` : undefined],
    ['Time to threshold', eta(fc?.secondsToThreshold)],
    [
      'Interval',
      fc && (fc.secondsToThresholdLow !== undefined || fc.secondsToThresholdHigh !== undefined)
        ? `${eta(fc.secondsToThresholdLow) ?? '—'} to ${eta(fc.secondsToThresholdHigh) ?? 'beyond the look-ahead'}`
        : undefined,
    ],
    [
      'Failure probability',
      fc?.probability !== undefined
        ? `${(fc.probability * 100).toFixed(1)}% within ${exactDuration((fc.probabilityWindowSeconds ?? 0) * 1000)}`
        : undefined,
    ],
  ]);
  return section(
    'findings',
    'Findings and predictions',
    `<div class="two"><div><h3>Anomaly detection</h3>${detection}</div><div><h3>Forecast</h3>${prediction}</div></div>`,
  );
}

function recommendationSection(s: IncidentState): string {
  const r = s.recommendation;
  if (!r) {
    const without = withoutPlan(s);
    const why = !without
      ? 'No recommendation was made.'
      : without.refused
        ? `A runbook matched, but its plan was refused: ${without.reason}`
        : 'No runbook matched this incident.';
    return section('recommendation', 'Recommendation', `<p class="empty">${escapeHtml(why)}</p>`);
  }
  const steps = `<ol>${r.steps.map((st) => `<li>${escapeHtml(describeAction(st))}</li>`).join('')}</ol>`;
  return section(
    'recommendation',
    'Recommendation',
    facts([
      ['Runbook', { html: `${escapeHtml(r.title)} ${cell(code(r.runbookId))}` }],
      ['Risk', r.risk],
      ['Explanation', r.explanation],
      ['Steps', { html: steps }],
      ['Approvers', r.approvers.length ? r.approvers.join(', ') : 'anyone with the approve role'],
      [
        'Verification',
        r.verification.promql
          ? code(`${r.verification.promql} within ${exactDuration(r.verification.withinMs)}`)
          : `the alerts resolve within ${exactDuration(r.verification.withinMs)}`,
      ],
      ['Dry run', r.dryRun ? 'yes: nothing was changed' : undefined],
    ]),
  );
}

function approvalsSection(s: IncidentState): string {
  const approvals = table(
    ['When', 'Decision', 'Who', 'Via', 'Round', 'Reason'],
    s.approvals.map((a) => [
      time(a.at),
      a.decision,
      a.actor,
      a.via,
      String((a.round ?? 0) + 1),
      a.reason ?? '',
    ]),
    'No decisions were recorded.',
  );
  const refused = s.timeline.filter((t) => t.event === 'decision-refused');
  const attempts = refused.length
    ? `<h3>Refused attempts</h3>${table(
        ['When', 'Who', 'What'],
        refused.map((t) => [time(t.at), t.actor ?? '', t.message]),
        '',
      )}`
    : '';
  return section('approvals', 'Approvals', approvals + attempts);
}

function actionRow(a: ActionRecord): Cell[] {
  const elapsed = between(a.startedAt, a.finishedAt);
  const preview = a.preview?.length
    ? `<details><summary>API calls</summary><ul>${a.preview.map((p) => `<li><code>${escapeHtml(p)}</code></li>`).join('')}</ul></details>`
    : '';
  return [
    String(a.index + 1),
    { html: `${escapeHtml(a.description)}${preview}` },
    a.target ? code(a.target) : '',
    { html: `<span class="status status-${escapeHtml(a.status)}">${escapeHtml(a.status)}</span>` },
    time(a.startedAt),
    time(a.finishedAt),
    elapsed !== undefined ? exactDuration(elapsed) : '',
    [a.effect, a.error ? `error: ${a.error}` : ''].filter(Boolean).join('; '),
    a.rollback ?? '',
  ];
}

const ROLLBACK_EVENTS = new Set(['rolling-back', 'rolled-back', 'rollback-failed']);

function actionsSection(s: IncidentState): string {
  const actions = table(
    ['#', 'Action', 'Target', 'Result', 'Started', 'Finished', 'Took', 'Effect', 'Rollback'],
    s.actions.map(actionRow),
    'No action was taken.',
  );
  const rollbacks = s.timeline.filter((t) => ROLLBACK_EVENTS.has(t.event));
  const undone = table(
    ['When', 'Event', 'What'],
    rollbacks.map((t) => [time(t.at), t.event, t.message]),
    'Nothing was rolled back.',
  );
  const v = s.verification;
  const verification = v
    ? facts([
        ['Result', v.status],
        ['When', time(v.at)],
        ['Detail', v.message],
      ])
    : '<p class="empty">The fix was not verified (no remediation ran to the end).</p>';
  return (
    section('actions', 'Actions', actions) +
    section('rollbacks', 'Rollbacks', undone) +
    section('verification', 'Verification', verification)
  );
}

function milestonesSection(s: IncidentState): string {
  const rows = Object.entries(s.milestones)
    .filter((e): e is [string, string] => typeof e[1] === 'string')
    .sort((a, b) => Date.parse(a[1]) - Date.parse(b[1]))
    .map(([name, at]) => {
      const offset = between(s.openedAt, at);
      return [name, time(at), offset !== undefined ? exactDuration(offset) : ''] as Cell[];
    });
  return section('milestones', 'Milestones', table(['Milestone', 'When', 'Since opened'], rows, 'None.'));
}

function timelineSection(entries: TimelineEntry[]): string {
  return section(
    'timeline',
    'Timeline',
    table(
      ['When', 'Stage', 'Event', 'Who', 'What'],
      entries.map((t) => [time(t.at), t.stage, t.event, t.actor ?? '', t.message]),
      'Empty.',
    ),
  );
}

function alertsSection(s: IncidentState): string {
  return section(
    'alerts',
    'Alerts',
    table(
      ['Alert', 'Status', 'Severity', 'Starts', 'Ends', 'Fingerprint', 'Labels'],
      s.alerts.map((a) => [
        a.alertName,
        a.status,
        a.severity,
        time(a.startsAt),
        a.endsAt && !a.endsAt.startsWith('0001') ? time(a.endsAt) : '',
        code(a.fingerprint),
        code(
          Object.entries(a.labels)
            // Quoted as JSON: a value holding `", team="payments` cannot pass for more labels.
            .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
            .join(', '),
        ),
      ]),
      'No alerts.',
    ),
  );
}

function historySection(input: ReportInput): string {
  const h = input.history;
  const intro = `<p>${escapeHtml(
    h.events.length
      ? `Run ${h.runId ?? '?'}: ${h.eventCount} events up to the incident's close, of which these record who and what acted.`
      : `The workflow history was not available when this report was made${h.unavailable ? `: ${h.unavailable}` : ''}.`,
  )}</p>`;
  return section(
    'history',
    'Temporal history',
    intro +
      table(
        ['Event', 'When', 'Type', 'Detail'],
        h.events.map((e) => [String(e.id), time(e.at), e.type, e.detail]),
        '',
      ),
  );
}

/** The slice of the state the chart reads (see SteadfastChart.fromIncident in src/console/chart.js). */
function chartData(s: IncidentState): unknown {
  return {
    openedAt: s.openedAt,
    milestones: { alertFiring: believableMilestones(s.milestones).alertFiring },
    detection: s.detection
      ? {
          query: s.detection.query,
          series: s.detection.series
            ? { times: s.detection.series.times, values: s.detection.series.values }
            : undefined,
          threshold: s.detection.threshold,
          finding: s.detection.finding,
        }
      : undefined,
    prediction: s.prediction?.forecast ? { forecast: s.prediction.forecast } : undefined,
  };
}

const STYLE = `
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f9fafb;--accent:#2563eb}
*{box-sizing:border-box}body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
main{max-width:1080px;margin:0 auto;padding:32px 24px 48px}
header.report{border-bottom:3px solid var(--ink);padding-bottom:12px;margin-bottom:8px}
.kicker{text-transform:uppercase;letter-spacing:.08em;font-size:12px;color:var(--muted);margin:0}
h1{font-size:24px;margin:4px 0 8px}h2{font-size:17px;margin:0 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}h3{font-size:14px;margin:4px 0 8px;color:var(--muted)}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px 18px;margin:16px 0;break-inside:avoid}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
table{width:100%;border-collapse:collapse;font-size:13px}th,td{text-align:left;vertical-align:top;padding:5px 8px;border-bottom:1px solid var(--line)}th{color:var(--muted);font-weight:600;background:var(--bg)}
code,time{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}time{white-space:nowrap}
.two{display:grid;grid-template-columns:1fr 1fr;gap:24px}@media (max-width:800px){.two{grid-template-columns:1fr}}
.badges{display:flex;flex-wrap:wrap;gap:8px;margin:6px 0}
.badge{display:inline-flex;align-items:center;gap:6px;border:1px solid var(--line);border-radius:999px;padding:2px 10px;background:#fff;font-size:13px}
.light{width:10px;height:10px;border-radius:50%;display:inline-block}.risk-low .light{background:#16a34a}.risk-medium .light{background:#f59e0b}.risk-critical .light{background:#dc2626}
.ttr{font-size:20px;font-weight:600}.empty{color:var(--muted);margin:0}
.status{font-weight:600}.status-done,.status-dry-run{color:#15803d}.status-failed,.status-refused,.status-rollback-failed{color:#b91c1c}.status-rolled-back{color:#b45309}
details summary{cursor:pointer;color:var(--accent);font-size:12px}details ul{margin:4px 0;padding-left:18px}
.chart{min-height:280px;margin-bottom:10px}
footer{color:var(--muted);font-size:12px;margin-top:24px}
@media print{body{background:#fff}section{border-color:#ccc}}
`;

/**
 * The incident's audit document: one HTML page with everything inline (styles, uPlot, the chart's data)
 * so it opens anywhere, offline, years later. It depends only on the workflow's state and history, so
 * the API renders the same page as the one written when the incident closed.
 */
/** Draws the chart from the incident's data, once uPlot and the chart's code are loaded. */
const DRAW_CHART = `
(function () {
  var el = document.getElementById('chart');
  if (!el) return;
  var data = JSON.parse(document.getElementById('incident-data').textContent);
  SteadfastChart.draw(el, SteadfastChart.fromIncident(data), { width: el.clientWidth, height: 280 });
})();
`;

export function renderReport(input: ReportInput, assets: ReportAssets): string {
  const s = input.state;
  const risk = riskOf(s);
  const ttr = between(s.openedAt, s.closedAt);
  const summary = facts([
    ['Incident ID', code(s.incidentId)],
    [
      'Workflow',
      {
        html: `${cell(code(s.incidentId))}${input.history.runId ? ` run ${cell(code(input.history.runId))}` : ''} · <a href="${escapeHtml(input.workflowUrl)}">Temporal Web UI</a>`,
      },
    ],
    ['Correlation key', code(s.correlationKey)],
    ['Service', s.service],
    ['Alert', s.alertName],
    ['Severity', s.severity],
    ['Outcome', s.outcome ?? `open (stage ${s.stage})`],
    ['Opened', time(s.openedAt)],
    ['Closed', s.closedAt ? time(s.closedAt) : 'not yet'],
    [
      'Time to resolution',
      ttr !== undefined
        ? { html: `<span class="ttr">${escapeHtml(exactDuration(ttr))}</span> (${ttr} ms, closed − opened)` }
        : 'the incident is still open',
    ],
    [
      'Alerts',
      `${s.alertsReceived ?? s.alerts.length} (${s.duplicatesDropped} duplicate deliveries dropped${s.alertsDropped ? `; the latest ${s.alerts.length} are listed` : ''})`,
    ],
  ]);
  const header = `<header class="report"><p class="kicker">Steadfast incident report</p><h1>${escapeHtml(s.title)}</h1>
<div class="badges"><span class="badge risk-${risk}"><span class="light"></span>${escapeHtml(risk)} risk</span><span class="badge">${escapeHtml(s.service)}</span><span class="badge">${escapeHtml(s.outcome ?? s.stage)}</span><span class="badge"><code>${escapeHtml(s.incidentId)}</code></span></div></header>`;
  const body = [
    header,
    section('summary', 'Summary', summary),
    metricsSection(s),
    findingsSection(s),
    recommendationSection(s),
    approvalsSection(s),
    actionsSection(s),
    milestonesSection(s),
    timelineSection(s.timeline),
    alertsSection(s),
    historySection(input),
    `<footer>Built from the workflow's state and its Temporal history. Every time is UTC (ISO 8601, to the millisecond). Chart: uPlot (MIT licence), inlined.</footer>`,
  ].join('\n');
  const scripts = [scriptText(assets.uplotJs), scriptText(assets.chartJs), DRAW_CHART];
  // In the document too: a copy saved or downloaded is opened without the API's header.
  const policy = reportPolicy(scripts, 'meta');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(policy)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Incident report ${escapeHtml(s.incidentId)}</title>
<style>${assets.uplotCss}${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
<script type="application/json" id="incident-data">${scriptJson(chartData(s))}</script>
${scripts.map((script) => `<script>${script}</script>`).join('\n')}
</body>
</html>
`;
}
