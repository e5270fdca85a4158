import { believableMilestones, believableSenderTime, breakdown, PHASES } from '../domain/breakdown.js';
import type { IncidentState, TimelineEntry } from '../domain/incident.js';
import { withoutPlan } from '../domain/incident-view.js';
import { markdownCode, markdownText } from '../notify/escape.js';
import { exactDuration, exactTime } from './render.js';

export interface PostmortemInput {
  state: IncidentState;
  /** The workflow in the Temporal Web UI. */
  workflowUrl: string;
}

/**
 * Everything from the incident goes through one of these on its way into the Markdown: `text` for
 * prose and cells, `code` for IDs, labels and queries in prose and `cell` for them in a table row (its
 * `|` escaped, which only a table undoes: a query copied from prose would read `\|`). Steadfast's own
 * words and numbers are written as they are.
 */
const text = markdownText;
const code = (value: string): string => markdownCode(value, 'inline');
const cell = (value: string): string => markdownCode(value, 'cell');
const when = (at: string | undefined): string => (at ? exactTime(at) : '—');
const ms = (from?: string, to?: string): number | undefined =>
  from && to ? Date.parse(to) - Date.parse(from) : undefined;
const took = (from?: string, to?: string): string => {
  const d = ms(from, to);
  return d === undefined ? '—' : exactDuration(d);
};

/** A link whose label is ours and whose address cannot end the Markdown link early. */
function link(label: string, url: string): string {
  return `[${label}](<${url.replace(/[<>\s]/g, encodeURIComponent)}>)`;
}

function table(head: string[], rows: string[][], empty: string): string {
  if (rows.length === 0) return `_${empty}_`;
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map((c) => c || ' ').join(' | ')} |`),
  ].join('\n');
}

const section = (title: string, ...body: string[]): string => `## ${title}\n\n${body.join('\n\n')}`;

/** The summary's runbook line for an incident without a plan. */
function noPlan(s: IncidentState): string {
  const why = withoutPlan(s);
  if (!why) return 'no recommendation was made';
  return why.refused ? `one matched, but its plan was refused: ${text(why.reason)}` : 'none matched';
}

function summary(input: PostmortemInput): string {
  const s = input.state;
  const plan = s.recommendation;
  const outcome = s.outcome ?? `still open (stage ${s.stage})`;
  const lines = [
    `- **Incident:** ${code(s.incidentId)} (${link('workflow in the Temporal Web UI', input.workflowUrl)})`,
    `- **Service:** ${text(s.service)} · **Alert:** ${text(s.alertName)} · **Severity:** ${text(s.severity)}`,
    `- **Outcome:** ${outcome}${s.verification ? `: ${text(s.verification.message)}` : ''}`,
    plan
      ? `- **Runbook:** ${text(plan.title)} (${code(plan.runbookId)}, ${plan.risk} risk${plan.dryRun ? ', dry run' : ''})`
      : `- **Runbook:** ${noPlan(s)}`,
    `- **Alerts:** ${s.alertsReceived ?? s.alerts.length} received, ${s.duplicatesDropped} duplicate deliveries dropped`,
    `- **Opened** ${when(s.openedAt)}, **closed** ${when(s.closedAt)} (${took(s.openedAt, s.closedAt)})`,
  ];
  const closed = s.closedAt ? `closed as ${outcome} ${took(s.openedAt, s.closedAt)} later` : `is ${outcome}`;
  const lead = `The ${text(s.alertName)} alert (${text(s.severity)}) on ${text(s.service)} opened this incident at ${when(s.openedAt)}; it ${closed}.`;
  return section('Summary', lead, lines.join('\n'));
}

function impact(s: IncidentState): string {
  const m = believableMilestones(s.milestones);
  const start = m.fault ?? m.alertFiring ?? m.opened ?? s.openedAt;
  const startedBy = m.fault
    ? 'the fault began (the alert says so)'
    : m.alertFiring
      ? 'the first alert fired'
      : 'the incident opened';
  const end = m.verified ?? s.closedAt;
  const endedBy = m.verified
    ? 'the fix was verified'
    : s.closedAt
      ? `the incident closed (${s.outcome ?? '?'})`
      : 'not yet';
  const targets = s.recommendation?.targets ?? [];
  return section(
    'Impact window',
    [
      `- **Began:** ${when(start)}, when ${startedBy}`,
      `- **Ended:** ${when(end)}, when ${endedBy}`,
      `- **Lasted:** ${took(start, end)}`,
      `- **Affected:** service ${text(s.service)}${targets.length ? `; targets ${targets.map(code).join(', ')}` : ''}`,
      '- **Who and what was affected, as users saw it:** _to fill in_',
    ].join('\n'),
  );
}

function detection(s: IncidentState): string {
  const m = believableMilestones(s.milestones);
  const first = s.alerts
    .map((a) => a.startsAt)
    .filter((t) => believableSenderTime(t, m.opened ?? s.openedAt))
    .reduce<string | undefined>(
      (min, t) => (min === undefined || Date.parse(t) < Date.parse(min) ? t : min),
      undefined,
    );
  const f = s.detection?.finding;
  const lines = [
    `- **Alert:** ${text(s.alertName)} first fired ${when(m.alertFiring ?? first)}; the incident opened ${when(m.opened ?? s.openedAt)} (${took(m.alertFiring ?? first, m.opened ?? s.openedAt)} later)`,
    m.fault ? `- **Fault to alert:** ${took(m.fault, m.alertFiring)}` : '',
    s.detection
      ? `- **Anomaly detection:** ${text(s.detection.message)}${f ? ` (score ${f.score.toFixed(3)}, ${text(f.reason)})` : ''}`
      : '- **Anomaly detection:** not run',
    s.detection?.query ? `- **Query:** ${code(s.detection.query)}` : '',
    s.prediction ? `- **Forecast:** ${text(s.prediction.message)}` : '',
  ];
  return section('Detection', lines.filter(Boolean).join('\n'));
}

function timeline(entries: TimelineEntry[]): string {
  return section(
    'Timeline',
    table(
      ['When (UTC)', 'Stage', 'Who', 'What'],
      entries.map((t) => [when(t.at), t.stage, t.actor ? cell(t.actor) : 'Steadfast', text(t.message)]),
      'The timeline is empty.',
    ),
  );
}

function phases(s: IncidentState): string {
  const times = breakdown(s);
  const rows = PHASES.filter(({ phase }) => times.phases[phase] !== undefined).map(({ phase, from, to }) => [
    phase.replace(/_/g, ' '),
    `${from} ${when(s.milestones[from])}`,
    `${to} ${when(s.milestones[to])}`,
    took(s.milestones[from], s.milestones[to]),
  ]);
  const total =
    times.totalSeconds !== undefined
      ? `\n\n**From ${s.milestones.fault ? 'fault' : 'alert'} to verified fix:** ${exactDuration(times.totalSeconds * 1000)}`
      : '';
  return section(
    'Time to repair',
    table(['Phase', 'From', 'To', 'Took'], rows, 'The incident reached none of the phases’ milestones.') +
      total,
  );
}

const ROLLBACK_EVENTS = new Set(['rolling-back', 'rolled-back', 'rollback-failed']);

function changes(s: IncidentState): string {
  const actions = table(
    ['#', 'Action', 'Target', 'Result', 'When (UTC)', 'Took', 'Effect', 'Undone'],
    s.actions.map((a) => [
      String(a.index + 1),
      text(a.description),
      a.target ? cell(a.target) : '',
      a.status,
      when(a.startedAt),
      took(a.startedAt, a.finishedAt),
      text([a.effect, a.error ? `error: ${a.error}` : ''].filter(Boolean).join('; ')),
      a.rollback ? text(a.rollback) : '',
    ]),
    s.recommendation?.dryRun ? 'A dry run: nothing was changed.' : 'Nothing was changed.',
  );
  const undone = s.timeline.filter((t) => ROLLBACK_EVENTS.has(t.event));
  const rollbacks = undone.length
    ? `**Undone:**\n\n${undone.map((t) => `- ${when(t.at)} ${t.event}: ${text(t.message)}`).join('\n')}`
    : '**Undone:** nothing was rolled back.';
  const v = s.verification;
  const verified = v
    ? `**Verification:** ${v.status} at ${when(v.at)}: ${text(v.message)}`
    : '**Verification:** not run (no remediation ran to the end).';
  return section('What was changed and undone', actions, rollbacks, verified);
}

function decisions(s: IncidentState): string {
  const made = table(
    ['When (UTC)', 'Decision', 'Who', 'Via', 'Reason'],
    s.approvals.map((a) => [
      when(a.at),
      a.decision,
      cell(a.actor),
      text(a.via),
      a.reason ? text(a.reason) : '',
    ]),
    'No decision was recorded.',
  );
  const refused = s.timeline.filter((t) => t.event === 'decision-refused');
  const attempts = refused.length
    ? `**Refused attempts:**\n\n${refused.map((t) => `- ${when(t.at)} ${t.actor ? code(t.actor) : ''}: ${text(t.message)}`).join('\n')}`
    : '';
  return section('Decisions', ...[made, attempts].filter(Boolean));
}

const MINUTE = 60;

/** What an incident without a plan asks of its runbooks. */
function planFollowUp(s: IncidentState): string {
  const why = withoutPlan(s);
  if (!why) return '';
  return why.refused
    ? "A runbook matched, but its plan was refused: should its scope, or the alert's labels, change?"
    : 'No runbook matched this alert: should one be written for it?';
}

/** Questions the facts raise, then the ones every postmortem asks. Steadfast's own words only. */
export function followUps(s: IncidentState): string[] {
  const times = breakdown(s);
  const said = believableMilestones(s.milestones);
  const wait = times.phases.approval_wait;
  const prompts = [
    planFollowUp(s),
    s.detection && s.detection.status !== 'scored'
      ? `Detection could not score the alert's series (${s.detection.status}): does its rule expose a query Prometheus can answer?`
      : '',
    said.fault && said.alertFiring
      ? `The alert fired ${took(said.fault, said.alertFiring)} after the fault: could it fire sooner?`
      : '',
    wait !== undefined && wait > 5 * MINUTE
      ? `The plan waited ${exactDuration(wait * 1000)} for approval: does the escalation plan reach the right people?`
      : '',
    s.escalationLevel > 0
      ? `Nobody answered before escalation level ${s.escalationLevel}: who was on call?`
      : '',
    s.timeline.some((t) => t.event === 'decision-refused')
      ? "Some decisions were refused: do the runbook's approvers match who is on call?"
      : '',
    s.outcome === 'failed'
      ? 'The fix failed and was rolled back: why did the runbook not fix it, and what did people do instead?'
      : '',
    s.actions.some((a) => a.status === 'rollback-failed')
      ? 'A rollback failed: check what was left changed, and make the action safe to undo.'
      : '',
    s.outcome === 'rejected' || s.outcome === 'aborted'
      ? 'The plan was not run: was it the wrong fix, and what should the runbook do instead?'
      : '',
    s.outcome === 'verified' && s.recommendation?.approval === 'people'
      ? 'The fix worked: could it be approved automatically next time (low risk, narrow scope)?'
      : '',
  ];
  return [
    ...prompts.filter(Boolean),
    'What was the root cause, and what made it possible?',
    'What would have prevented it, or detected it sooner?',
    'What should change, who owns each change, and by when?',
  ];
}

/**
 * The postmortem draft of an incident, in Markdown: what the record says (summary, impact window,
 * detection, timeline with who did what, time to repair by phase, what was changed and undone,
 * decisions) and the questions it leaves for people. Pure: built from the workflow's state alone, so
 * the API renders the same draft as the one written when the incident closed.
 */
export function renderPostmortem(input: PostmortemInput): string {
  const s = input.state;
  const parts = [
    `# Postmortem draft: ${text(s.title || s.alertName)}`,
    `> A draft Steadfast wrote from the incident's record when it closed. Every time is UTC. The facts are the record's; the judgements are for people: edit it, and answer the questions at the end.`,
    summary(input),
    impact(s),
    detection(s),
    timeline(s.timeline),
    phases(s),
    changes(s),
    decisions(s),
    section(
      'Follow-ups',
      followUps(s)
        .map((q) => `- [ ] ${q}`)
        .join('\n'),
    ),
  ];
  return `${parts.join('\n\n')}\n`;
}
