/**
 * Steadfast's console: a small single page with no framework and no build step. It asks for an API
 * token once (kept in this tab's sessionStorage), sends it as a Bearer header, and polls the API every
 * two seconds. Every piece of data goes into the page as text nodes, never as HTML.
 */

const TOKEN_KEY = 'steadfast.token';
const POLL_MS = 2000;

const main = document.getElementById('main');
const who = document.getElementById('who');
const signOutButton = document.getElementById('sign-out');
const nav = document.getElementById('nav');

let token = sessionStorage.getItem(TOKEN_KEY);
/** @type {{identity: string, roles: string[]} | null} */
let me = null;
let pollTimer = 0;
let pollGeneration = 0;
/** Undoes what the current view set up outside its own elements (listeners, the chart). */
let cleanup = () => {};

class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Creates an element; children are nodes or strings (as text), props are attributes or `on…` listeners. */
function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// ---- API ----

async function api(path, init = {}) {
  const response = await fetch(path, {
    ...init,
    headers: { ...init.headers, Accept: 'application/json', Authorization: `Bearer ${token}` },
  });
  // Signed in, a 401 means the token was withdrawn; while signing in, the form says so itself.
  if (response.status === 401 && me) {
    signOut('The token is no longer accepted: sign in again.');
    throw new ApiError(401, 'not signed in');
  }
  return response;
}

async function apiJson(path, init) {
  const response = await api(path, init);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, body.message || response.statusText, body.error);
  return body;
}

// ---- formatting ----

function riskLight(risk) {
  return h(
    'span',
    { class: `risk risk-${risk}`, title: `${risk} risk` },
    h('span', { class: 'light', 'aria-hidden': 'true' }),
    risk,
  );
}

/** UTC to the millisecond, as in the reports. */
function exactTime(iso) {
  if (!iso) return '—';
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace('T', ' ').replace('Z', '') : iso;
}

function ago(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const hrs = Math.floor(m / 60);
  if (hrs < 48) return `${hrs}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(hrs / 24)}d ${hrs % 24}h`;
}

function number(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 0.001 || abs >= 1e6)) return v.toExponential(2);
  return String(Math.round(v * 1000) / 1000);
}

function facts(rows) {
  return h(
    'dl',
    { class: 'facts' },
    rows
      .filter((r) => r[1] !== undefined && r[1] !== null && r[1] !== '')
      .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
  );
}

function table(head, rows, empty) {
  if (rows.length === 0) return h('p', { class: 'muted' }, empty);
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        head.map((x) => h('th', {}, x)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          {},
          r.map((c) => h('td', {}, c)),
        ),
      ),
    ),
  );
}

const chip = (text, cls = '') => h('span', { class: `chip ${cls}` }, text);

// ---- polling ----

/** Runs `fn` now and every `everyMs` (POLL_MS) after it finishes, until the view changes. */
function poll(fn, status, everyMs = POLL_MS) {
  const generation = ++pollGeneration;
  clearTimeout(pollTimer);
  const tick = async () => {
    try {
      await fn();
      status.textContent = '● live';
      status.className = 'live';
    } catch (err) {
      if (generation !== pollGeneration) return;
      status.textContent = `● ${err instanceof Error ? err.message : String(err)}`;
      status.className = 'live stale';
    }
    if (generation === pollGeneration) pollTimer = setTimeout(tick, everyMs);
  };
  void tick();
}

function stopPolling() {
  pollGeneration++;
  clearTimeout(pollTimer);
}

// ---- sign-in ----

function signOut(message) {
  stopPolling();
  token = null;
  me = null;
  sessionStorage.removeItem(TOKEN_KEY);
  showSignIn(message);
}

function showSignIn(message) {
  cleanup();
  who.replaceChildren();
  signOutButton.hidden = true;
  nav.hidden = true;
  const error = h('p', { class: 'error', role: 'alert' }, message || '');
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    required: true,
    placeholder: 'API token',
  });
  const form = h(
    'form',
    {
      class: 'signin',
      onsubmit: async (event) => {
        event.preventDefault();
        error.textContent = '';
        token = input.value.trim();
        try {
          me = await apiJson('/api/v1/me');
          sessionStorage.setItem(TOKEN_KEY, token);
          route();
        } catch (err) {
          token = null;
          error.textContent =
            err instanceof ApiError && err.status === 401
              ? 'That token is not valid.'
              : err instanceof Error
                ? err.message
                : String(err);
        }
      },
    },
    h('h1', {}, 'Sign in'),
    h(
      'p',
      { class: 'muted' },
      'Paste an API token with the read role (STEADFAST_API_TOKEN or one from the tokens file). It is kept in this tab only.',
    ),
    h('label', { for: 'token' }, 'API token'),
    input,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
    error,
  );
  main.replaceChildren(h('section', { class: 'card narrow' }, form));
  input.focus();
}

function showIdentity() {
  const canApprove = me.roles.includes('approve');
  who.replaceChildren(
    h('span', { class: 'identity' }, me.identity),
    ' ',
    h('span', { class: 'muted' }, canApprove ? 'can approve' : 'read only'),
  );
  signOutButton.hidden = false;
  nav.hidden = false;
}

// ---- incident list ----

function showList() {
  const status = h('span', { class: 'live' }, '● connecting');
  const openBody = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const closedBody = h('div', {});
  main.replaceChildren(
    h(
      'section',
      { class: 'card' },
      h('div', { class: 'card-head' }, h('h1', {}, 'Open incidents'), status),
      openBody,
    ),
    h('section', { class: 'card' }, h('h2', {}, 'Recently closed'), closedBody),
  );
  poll(async () => {
    const [open, closed] = await Promise.all([
      apiJson('/api/v1/incidents?status=open&limit=50'),
      apiJson('/api/v1/incidents?status=closed&limit=20'),
    ]);
    // Open incidents are few and change: their state gives the title and the runbook's risk. Closed
    // ones are shown from visibility alone (a query on a closed workflow replays its whole history).
    const states = await Promise.all(
      open.incidents.slice(0, 25).map((i) =>
        apiJson(`/api/v1/incidents/${encodeURIComponent(i.incidentId)}`).then(
          (r) => r,
          () => undefined,
        ),
      ),
    );
    const now = Date.now();
    // The API derives the risk (src/domain/incident-view.ts): from the plan where the state is at hand.
    const row = (i, r) => [
      riskLight(r ? r.summary.risk : i.risk),
      h(
        'div',
        {},
        h(
          'a',
          { href: `#/incidents/${encodeURIComponent(i.incidentId)}`, class: 'title' },
          r ? r.incident.title : i.alertName || i.incidentId,
        ),
        h('div', { class: 'id' }, i.incidentId),
      ),
      i.service || '—',
      chip(r ? r.incident.stage : i.stage || '—', `stage-${r ? r.incident.stage : i.stage}`),
      ago(now - Date.parse(i.openedAt)),
      i.outcome ? chip(i.outcome, `outcome-${i.outcome}`) : '',
    ];
    const head = ['Risk', 'Incident', 'Service', 'Stage', 'Age', 'Outcome'];
    openBody.replaceChildren(
      table(
        head,
        open.incidents.map((i, n) => row(i, states[n])),
        'No open incidents.',
      ),
    );
    closedBody.replaceChildren(
      table(
        head,
        closed.incidents.map((i) => row(i, undefined)),
        'None yet.',
      ),
    );
  }, status);
}

// ---- one incident ----

/** The stages as the API derives them (src/domain/incident-view.ts stageStrip). */
function stageStrip(strip) {
  return strip.map(({ stage, status, enteredAt }) =>
    h(
      'li',
      { class: `stage ${status}`, 'data-stage': stage },
      h('span', { class: 'stage-name' }, stage),
      h('span', { class: 'stage-time' }, enteredAt ? exactTime(enteredAt).slice(11) : ''),
    ),
  );
}

function findings(incident) {
  const d = incident.detection;
  const f = d && d.finding;
  const p = incident.prediction;
  const fc = p && p.forecast;
  const seconds = (s) => (typeof s === 'number' ? ago(s * 1000) : undefined);
  return [
    h('h3', {}, 'Anomaly'),
    d
      ? facts([
          ['Status', d.status],
          [
            'Score',
            f ? `${f.score.toFixed(3)} — ${f.score > 0.5 ? 'anomalous' : 'within the usual'}` : undefined,
          ],
          ['Reason', f ? f.reason : d.message],
          ['Usual range', f ? `${number(f.usualLow)} – ${number(f.usualHigh)} (${f.baseline})` : undefined],
          ['Threshold', d.threshold ? `${d.threshold.direction} ${number(d.threshold.value)}` : undefined],
          // Advice beside the label, never in its place (src/severity/).
          ['Severity', d.severity ? d.severity.message : undefined],
        ])
      : h('p', { class: 'muted' }, 'Not scored yet.'),
    h('h3', {}, 'Forecast'),
    p
      ? facts([
          ['Summary', fc ? fc.summary : p.message],
          ['Trend', fc ? `${fc.trend} (${number(fc.slopePerSecond * 60)}/min)` : undefined],
          ['Threshold in', fc ? seconds(fc.secondsToThreshold) : undefined],
          [
            'Probability',
            fc && typeof fc.probability === 'number'
              ? `${Math.round(fc.probability * 100)}% within ${seconds(fc.probabilityWindowSeconds)}`
              : undefined,
          ],
        ])
      : h('p', { class: 'muted' }, 'No forecast yet.'),
  ];
}

function stepText(step) {
  const { action, ...fields } = step;
  const detail = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`)
    .join(' ');
  return [h('code', {}, action), detail ? ` ${detail}` : ''];
}

function recommendation(incident) {
  const r = incident.recommendation;
  if (r === undefined) return h('p', { class: 'muted' }, 'Not recommended yet.');
  if (r === null) return h('p', { class: 'muted' }, 'No runbook matches this incident.');
  return facts([
    ['Runbook', [r.title, ' ', h('code', {}, r.runbookId)]],
    ['Risk', r.risk],
    ['Why', r.explanation],
    [
      'Steps',
      h(
        'ol',
        { class: 'steps' },
        r.steps.map((s) => h('li', {}, stepText(s))),
      ),
    ],
    ['Approvers', r.approvers.length ? r.approvers.join(', ') : 'anyone with the approve role'],
    ['Dry run', r.dryRun ? 'yes: nothing will be changed' : undefined],
  ]);
}

function approvals(incident) {
  return table(
    ['When (UTC)', 'Decision', 'Who', 'Via', 'Reason'],
    incident.approvals.map((a) => [
      h('time', {}, exactTime(a.at)),
      chip(a.decision, `decision-${a.decision}`),
      a.actor,
      a.via,
      a.reason || '',
    ]),
    'No decisions yet.',
  );
}

function actions(incident) {
  const rows = incident.actions.map((a) => [
    String(a.index + 1),
    [
      a.description,
      a.preview && a.preview.length
        ? h(
            'details',
            {},
            h('summary', {}, 'API calls'),
            h(
              'ul',
              {},
              a.preview.map((p) => h('li', {}, h('code', {}, p))),
            ),
          )
        : '',
    ],
    chip(a.status, `action-${a.status}`),
    h('time', {}, exactTime(a.startedAt)),
    a.finishedAt ? h('time', {}, exactTime(a.finishedAt)) : '',
    [a.effect, a.error ? `error: ${a.error}` : ''].filter(Boolean).join('; '),
    a.rollback || '',
  ]);
  const v = incident.verification;
  return [
    table(
      ['#', 'Action', 'Result', 'Started (UTC)', 'Finished (UTC)', 'Effect', 'Rollback'],
      rows,
      'No actions yet.',
    ),
    v
      ? h(
          'p',
          { class: `verification ${v.status}` },
          `Verification ${v.status} at ${exactTime(v.at)}: ${v.message}`,
        )
      : '',
  ];
}

function timeline(incident) {
  return table(
    ['When (UTC)', 'Stage', 'Event', 'Who', 'What'],
    incident.timeline.map((t) => [
      h('time', {}, exactTime(t.at)),
      t.stage,
      t.event,
      t.actor || '',
      t.message,
    ]),
    'Empty.',
  );
}

/** What the incident view downloads: the HTML report, or the postmortem draft (Markdown). */
const DOWNLOADS = {
  report: { path: 'report', ext: 'html', name: 'report' },
  postmortem: { path: 'postmortem', ext: 'md', name: 'postmortem draft' },
};

async function downloadReport(id, button, note, kind = DOWNLOADS.report) {
  button.disabled = true;
  note.textContent = '';
  try {
    const response = await api(`/api/v1/incidents/${encodeURIComponent(id)}/${kind.path}?download=1`);
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new ApiError(response.status, body.message || response.statusText);
    }
    // Downloaded, never opened here: a page opened from a blob would share this tab's origin and token.
    const url = URL.createObjectURL(await response.blob());
    const link = h('a', { href: url, download: `${id}.${kind.ext}`, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (err) {
    note.textContent = `The ${kind.name} could not be downloaded: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    button.disabled = false;
  }
}

// ---- verdicts ----

const VERDICT_TEXT = { actionable: 'Actionable', noise: 'Noise', duplicate: 'Duplicate' };

/** What the incident's verdict says, in a sentence (see docs/verdicts.md: a person's wins). */
function verdictLine(v) {
  if (!v.verdict.verdict) return `No verdict yet (${v.verdict.reason}).`;
  const kind =
    VERDICT_TEXT[v.verdict.verdict] + (v.verdict.duplicateOf ? ` of ${v.verdict.duplicateOf}` : '');
  return v.verdict.source === 'person'
    ? `${kind}, said ${v.verdict.reason} at ${exactTime(v.person.at)} UTC.`
    : `${kind}, by the evidence: ${v.verdict.reason}.`;
}

/** Was the incident real? Its verdict, and buttons for an approver to give one (open or closed). */
function verdictCard(id) {
  const path = `/api/v1/incidents/${encodeURIComponent(id)}/verdict`;
  const current = h('p', { id: 'verdict-current' }, 'Reading the verdict…');
  const note = h('input', {
    id: 'verdict-note',
    type: 'text',
    maxlength: '2000',
    placeholder: 'Note (optional)',
  });
  const duplicateOf = h('input', {
    id: 'verdict-duplicate-of',
    type: 'text',
    maxlength: '255',
    placeholder: 'Duplicate of (incident ID)',
  });
  const result = h('p', { class: 'result', role: 'status', id: 'verdict-result' });
  const show = (v) => current.replaceChildren(verdictLine(v));
  const refresh = () =>
    apiJson(path).then(show, (err) =>
      current.replaceChildren(`The verdict could not be read: ${err.message}`),
    );
  const give = async (verdict, button) => {
    const body = { verdict, via: 'console' };
    if (note.value.trim()) body.note = note.value.trim();
    if (verdict === 'duplicate') body.duplicateOf = duplicateOf.value.trim();
    for (const b of buttons) b.disabled = true;
    result.className = 'result';
    result.textContent = `Sending ${verdict}…`;
    try {
      const response = await api(path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      const answer = await response.json().catch(() => ({}));
      if (response.ok) {
        result.className = 'result ok';
        result.textContent = answer.changed
          ? `Recorded: ${VERDICT_TEXT[verdict]}.`
          : 'Already so: nothing changed.';
        show(answer);
      } else {
        result.className = 'result refused';
        result.textContent = `Refused (${response.status}): ${answer.message || response.statusText}`;
      }
    } catch (err) {
      result.className = 'result refused';
      result.textContent = err instanceof Error ? err.message : String(err);
    } finally {
      for (const b of buttons) b.disabled = false;
      button.blur();
    }
  };
  const button = (verdict, cls) =>
    h(
      'button',
      {
        type: 'button',
        class: cls,
        id: `verdict-${verdict}`,
        onclick: (e) => give(verdict, e.currentTarget),
      },
      VERDICT_TEXT[verdict],
    );
  const buttons = [button('actionable', 'primary'), button('noise', 'quiet'), button('duplicate', 'quiet')];
  const canGive = me.roles.includes('approve');
  refresh();
  return h(
    'section',
    { class: 'card', id: 'verdict' },
    h('h2', {}, 'Was it real?'),
    current,
    canGive
      ? h('div', { class: 'decision-row' }, note, duplicateOf, ...buttons)
      : h('p', { class: 'muted' }, `Your token (${me.identity}) lacks the approve role to give a verdict.`),
    result,
  );
}

function showIncident(id) {
  const status = h('span', { class: 'live' }, '● connecting');
  const head = h('div', {});
  const stages = h('ol', { class: 'stages' });
  const chartBox = h('div', { class: 'chart', id: 'chart' });
  const chartNote = h('p', { class: 'muted' });
  const findingsBox = h('div', {});
  const recommendationBox = h('div', {});
  const approvalsBox = h('div', {});
  const actionsBox = h('div', {});
  const timelineBox = h('div', {});
  const reason = h('input', {
    id: 'reason',
    type: 'text',
    maxlength: '2000',
    placeholder: 'Reason (optional)',
  });
  const result = h('p', { class: 'result', role: 'status', id: 'decision-result' });
  const reopenedNote = h('p', { class: 'result refused', role: 'status', id: 'reopened', hidden: true });
  // Set from the summary at each poll: during a change freeze an approval must say it overrides it.
  let overrideNeeded = false;
  // The approval round of the plan on screen: if a guard hands the plan back before the click arrives,
  // the incident refuses it (409 StaleDecision) instead of counting it for a plan not yet seen. Undefined
  // until the first poll. With it, when the incident on screen opened: one that closed and opened again
  // under its ID refuses a click made on the old one's plan.
  let shownRound;
  let shownOpened;
  const decisionBody = (verb) => {
    const text = reason.value.trim();
    const body = {
      round: shownRound ?? 0,
      ...(shownOpened ? { opened: shownOpened } : {}),
      ...(text ? { reason: text } : {}),
    };
    return verb === 'approve' && overrideNeeded ? { ...body, override: true } : body;
  };
  const decide = async (verb, button) => {
    for (const b of decisionButtons) b.disabled = true;
    result.className = 'result';
    result.textContent = `Sending ${verb}…`;
    try {
      const response = await api(`/api/v1/incidents/${encodeURIComponent(id)}/${verb}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(decisionBody(verb)),
      });
      const body = await response.json().catch(() => ({}));
      if (response.ok) {
        result.className = 'result ok';
        result.textContent = `${verb === 'approve' ? 'Approved' : 'Rejected'} by ${body.actor}.`;
        reason.value = '';
      } else {
        result.className = 'result refused';
        result.textContent = `Refused (${response.status}): ${body.message || response.statusText}`;
      }
    } catch (err) {
      result.className = 'result refused';
      result.textContent = err instanceof Error ? err.message : String(err);
    } finally {
      for (const b of decisionButtons) b.disabled = false;
      button.blur();
    }
  };
  const approveButton = h(
    'button',
    { type: 'button', class: 'primary', id: 'approve', onclick: (e) => decide('approve', e.currentTarget) },
    'Approve',
  );
  const rejectButton = h(
    'button',
    { type: 'button', class: 'danger', id: 'reject', onclick: (e) => decide('reject', e.currentTarget) },
    'Reject',
  );
  const decisionButtons = [approveButton, rejectButton];
  const decisionTitle = h('p', {});
  const decisionBox = h(
    'section',
    { class: 'card decision', hidden: true, id: 'decision' },
    h('h2', {}, 'Decision needed'),
    decisionTitle,
    h('div', { class: 'decision-row' }, reason, approveButton, rejectButton),
    result,
  );
  const reportButton = h(
    'button',
    {
      type: 'button',
      class: 'quiet',
      id: 'download-report',
      onclick: (e) => downloadReport(id, e.currentTarget, linksNote),
    },
    'Download report',
  );
  const postmortemButton = h(
    'button',
    {
      type: 'button',
      class: 'quiet',
      id: 'download-postmortem',
      hidden: true,
      onclick: (e) => downloadReport(id, e.currentTarget, linksNote, DOWNLOADS.postmortem),
    },
    'Download postmortem draft',
  );
  const linksNote = h('span', { class: 'error' });
  const temporalLink = h(
    'a',
    { class: 'button quiet', target: '_blank', rel: 'noopener noreferrer', id: 'temporal-link' },
    'Temporal Web UI ↗',
  );

  main.replaceChildren(
    h('a', { href: '#/', class: 'back' }, '← All incidents'),
    h(
      'section',
      { class: 'card' },
      h('div', { class: 'card-head' }, head, status),
      h('div', { class: 'links' }, temporalLink, reportButton, postmortemButton, linksNote),
      reopenedNote,
    ),
    decisionBox,
    verdictCard(id),
    h('section', { class: 'card' }, h('h2', {}, 'Stages'), stages),
    h(
      'div',
      { class: 'grid' },
      h('section', { class: 'card' }, h('h2', {}, 'Metric around the alert'), chartBox, chartNote),
      h('section', { class: 'card' }, h('h2', {}, 'Findings'), findingsBox),
    ),
    h('section', { class: 'card' }, h('h2', {}, 'Recommendation'), recommendationBox),
    h('section', { class: 'card' }, h('h2', {}, 'Approvals'), approvalsBox),
    h('section', { class: 'card' }, h('h2', {}, 'Actions and rollbacks'), actionsBox),
    h('section', { class: 'card' }, h('h2', {}, 'Timeline'), timelineBox),
  );

  let plot = null;
  let plotKey = '';
  const resize = () => {
    if (plot) plot.setSize({ width: Math.max(chartBox.clientWidth, 320), height: 260 });
  };
  window.addEventListener('resize', resize);
  cleanup = () => {
    window.removeEventListener('resize', resize);
    if (plot) plot.destroy();
    plot = null;
  };

  poll(async () => {
    const { incident, summary, temporalUrl } = await apiJson(`/api/v1/incidents/${encodeURIComponent(id)}`);
    const risk = summary.risk;
    const closedIn = incident.closedAt
      ? Date.parse(incident.closedAt) - Date.parse(incident.openedAt)
      : undefined;
    head.replaceChildren(
      h('h1', {}, riskLight(risk), ' ', incident.title),
      h('div', { class: 'id' }, incident.incidentId),
      h(
        'div',
        { class: 'chips' },
        chip(incident.service),
        chip(incident.alertName),
        chip(`severity ${incident.severity}`),
        chip(incident.stage, `stage-${incident.stage}`),
        incident.outcome ? chip(incident.outcome, `outcome-${incident.outcome}`) : '',
      ),
      h(
        'p',
        { class: 'muted' },
        `Opened ${exactTime(incident.openedAt)} UTC · `,
        closedIn !== undefined
          ? `resolved in ${ago(closedIn)}`
          : `open for ${ago(Date.now() - Date.parse(incident.openedAt))}`,
      ),
    );
    temporalLink.setAttribute('href', temporalUrl);
    // Drafted when the incident closes: offered from then on.
    postmortemButton.hidden = incident.stage !== 'closed';

    const waiting = summary.awaitingDecision;
    const canApprove = me.roles.includes('approve');
    const calendar = summary.waiting;
    overrideNeeded = Boolean(calendar && calendar.overrideNeeded);
    const round = incident.round ?? 0;
    // An incident that closed and opened again under its ID looks the same from afar: a click made on
    // the old opening is refused, so say why before it is made. Its round starts again, so this comes
    // first: the guard's notice below would misread the change of round.
    if (shownOpened !== undefined && incident.openedAt !== shownOpened) {
      reopenedNote.textContent =
        `This incident closed and opened again at ${exactTime(incident.openedAt)} UTC: ` +
        'what you see now is the new opening. Read it before you decide.';
      reopenedNote.hidden = false;
      // What was said of the old opening's decision is not said of this one.
      result.className = 'result';
      result.textContent = '';
    } else if (shownRound !== undefined && round !== shownRound && waiting) {
      // The same runbook's plan comes back in the new round: without a word, the card would look unchanged.
      result.className = 'result refused';
      result.textContent = 'A guard handed the plan back to people: read why below, then decide again.';
    }
    shownRound = round;
    shownOpened = incident.openedAt;
    const refusal = waiting && round > 0 && incident.guardRefusal;
    reason.placeholder = overrideNeeded ? 'Reason (required to override the freeze)' : 'Reason (optional)';
    decisionBox.hidden = !waiting && !result.textContent;
    decisionTitle.replaceChildren(
      waiting
        ? `Run “${incident.recommendation.title}” (${incident.recommendation.risk} risk)?`
        : 'The decision was made.',
      refusal
        ? h(
            'span',
            { class: 'muted', id: 'guard-refusal' },
            ` A guard refused the approved plan: ${refusal}. Decide on it again.`,
          )
        : '',
      waiting && summary.runsAgain
        ? h('span', { class: 'muted', id: 'runs-again' }, ` ${summary.runsAgain}`)
        : '',
      calendar
        ? h(
            'span',
            { class: 'muted', id: 'calendar-wait' },
            ` Waiting until ${exactTime(calendar.until)} UTC: ${calendar.reason}.` +
              (calendar.overrideNeeded ? ' Approving now overrides it, with a reason.' : ''),
          )
        : '',
      canApprove ? '' : h('span', { class: 'muted' }, ` Your token (${me.identity}) lacks the approve role.`),
    );
    approveButton.hidden = rejectButton.hidden = reason.hidden = !waiting || !canApprove;

    stages.replaceChildren(...stageStrip(summary.stages));
    findingsBox.replaceChildren(...findings(incident));
    recommendationBox.replaceChildren(recommendation(incident));
    approvalsBox.replaceChildren(approvals(incident));
    actionsBox.replaceChildren(...actions(incident));
    timelineBox.replaceChildren(timeline(incident));

    const input = window.SteadfastChart ? window.SteadfastChart.fromIncident(incident) : null;
    const key = input
      ? JSON.stringify([
          input.times.length,
          input.times[input.times.length - 1],
          input.forecast,
          input.threshold,
        ])
      : '';
    if (key !== plotKey) {
      if (plot) plot.destroy();
      plot = null;
      chartBox.replaceChildren();
      if (input) plot = window.SteadfastChart.draw(chartBox, input);
      plotKey = key;
    }
    chartNote.textContent = input
      ? `${incident.detection.query || ''} — the dashed purple line is the forecast, the dashed red line the threshold, the green band the usual range.`
      : incident.detection
        ? incident.detection.message
        : 'No metric yet.';
  }, status);
}

// ---- fleet ----

/** Stats cost the engine a call per container: the fleet is read less often than incidents. */
const FLEET_POLL_MS = 5000;

function bytes(v) {
  if (typeof v !== 'number') return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = v;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return `${u === 0 ? n : n.toFixed(1)} ${units[u]}`;
}

/** A measure, or a dash whose tooltip says why the engine gave none. */
function measure(row, field, text) {
  const value = row[field];
  if (value !== null && value !== undefined) return text(value);
  return h('span', { class: 'muted', title: row.unknown ? row.unknown.reason : 'unknown' }, '—');
}

function fleetRow(r) {
  const memory = (share) =>
    `${(share * 100).toFixed(1)}% of ${bytes(r.memoryLimitBytes)}${r.memoryLimited ? '' : ' (host)'}`;
  return [
    h(
      'div',
      { 'data-container': r.name },
      h('span', { class: 'title' }, r.name),
      h(
        'div',
        { class: 'id' },
        [r.source === 'kubernetes' ? 'pod' : '', r.service, r.id.slice(0, 12)].filter(Boolean).join(' · '),
      ),
    ),
    [chip(r.status, `container-${r.status}`), r.health ? [' ', chip(r.health, `container-${r.health}`)] : ''],
    measure(r, 'cpuCores', (c) =>
      h(
        'span',
        { title: r.cpuBasis === 'since-start' ? 'average since start' : 'recent' },
        `${(c * 100).toFixed(1)}%`,
      ),
    ),
    measure(r, 'memoryShare', memory),
    r.restarts === null ? measure(r, 'restarts', String) : String(r.restarts),
    measure(r, 'netInBytes', bytes),
    measure(r, 'netOutBytes', bytes),
    String(r.interventions),
    // The forecast's risk, with what it rests on (or why it is unknown) in the tooltip.
    r.risk ? h('span', { 'data-risk': r.risk.level, title: r.risk.basis }, riskLight(r.risk.level)) : '—',
  ];
}

function showFleet() {
  const status = h('span', { class: 'live' }, '● connecting');
  const note = h('p', { class: 'muted' });
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  main.replaceChildren(
    h(
      'section',
      { class: 'card' },
      h('div', { class: 'card-head' }, h('h1', {}, 'Fleet'), status),
      note,
      body,
    ),
  );
  poll(
    async () => {
      const fleet = await apiJson('/api/v1/fleet');
      note.textContent =
        `Containers labelled ${fleet.selector === '*' ? '(every running one)' : fleet.selector}: ${fleet.matched}` +
        (fleet.truncated ? `, the first ${fleet.containers.length} by name shown.` : '.') +
        ' Automatic interventions: remediation actions this API process has counted.' +
        ' Risk: the forecast chance that memory passes 90% of the limit within 30 minutes (hover for why).' +
        (fleet.unavailable ?? []).map((u) => ` Not shown: ${u.source} (${u.reason}).`).join('');
      const head = [
        'Container',
        'Status',
        'CPU (100% = a core)',
        'Memory',
        'Restarts',
        'Net in',
        'Net out',
        'Interventions',
        'Risk (30 min)',
      ];
      body.replaceChildren(table(head, fleet.containers.map(fleetRow), 'No container carries the label.'));
    },
    status,
    FLEET_POLL_MS,
  );
}

// ---- clusters ----

/** Clusters read every open and recent incident's state: polled less often than the list. */
const CLUSTERS_POLL_MS = 10000;

/** Merges one incident into its cluster's first; the answer goes in `result`, the view refreshes itself. */
async function mergeInto(id, into, opened, result, button) {
  button.disabled = true;
  result.className = 'result';
  result.textContent = `Merging ${id} into ${into}…`;
  try {
    const response = await api(`/api/v1/incidents/${encodeURIComponent(id)}/merge`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      // The openings shown: an ID that closed and opened again since this page was read is refused.
      body: JSON.stringify({ into, ...opened }),
    });
    const body = await response.json().catch(() => ({}));
    result.className = response.ok ? 'result ok' : 'result refused';
    result.textContent = response.ok
      ? `Merged ${id} into ${into} (${body.alertsSent} alerts sent) by ${body.actor}.`
      : `Refused (${response.status}): ${body.message || response.statusText}`;
  } catch (err) {
    result.className = 'result refused';
    result.textContent = err instanceof Error ? err.message : String(err);
  }
}

function clusterCard(c, result) {
  const canMerge = me.roles.includes('approve');
  const rows = c.incidents.map((i, k) => [
    h(
      'div',
      { 'data-incident': i.incidentId },
      h(
        'a',
        { href: `#/incidents/${encodeURIComponent(i.incidentId)}`, class: 'title' },
        i.title || i.alertName,
      ),
      h('div', { class: 'id' }, i.incidentId),
    ),
    i.service,
    chip(i.status === 'open' ? i.stage : 'closed', i.status === 'open' ? `stage-${i.stage}` : 'stage-closed'),
    exactTime(i.openedAt),
    String(i.alerts),
    canMerge && k > 0 && i.status === 'open' && c.incidents[0].status === 'open'
      ? h(
          'button',
          {
            type: 'button',
            class: 'quiet',
            title: `Merge ${i.incidentId} into ${c.id}: its alerts go there, and it closes`,
            onclick: (e) =>
              mergeInto(
                i.incidentId,
                c.id,
                { opened: i.openedAt, intoOpened: c.incidents[0].openedAt },
                result,
                e.currentTarget,
              ),
          },
          'Merge into the first',
        )
      : '',
  ]);
  return h(
    'div',
    { class: 'cluster', 'data-cluster': c.id },
    h(
      'h2',
      {},
      `${c.size} incidents on ${c.services.join(', ')}`,
      h('span', { class: 'muted' }, ` — within ${number(c.diameter)} of each other`),
    ),
    table(['Incident', 'Service', 'Stage', 'Opened (UTC)', 'Alerts', ''], rows, ''),
  );
}

function showClusters() {
  const status = h('span', { class: 'live' }, '● connecting');
  const note = h('p', { class: 'muted' });
  const result = h('p', { class: 'result', 'aria-live': 'polite' });
  const service = h('input', { type: 'search', placeholder: 'every service', 'aria-label': 'Service' });
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  main.replaceChildren(
    h(
      'section',
      { class: 'card' },
      h('div', { class: 'card-head' }, h('h1', {}, 'Similar-alert clusters'), service, status),
      note,
      result,
      body,
    ),
  );
  const load = () =>
    poll(
      async () => {
        const wanted = service.value.trim();
        const answer = await apiJson(
          `/api/v1/clusters${wanted ? `?service=${encodeURIComponent(wanted)}` : ''}`,
        );
        const m = answer.method;
        note.textContent =
          `Open incidents and those closed in the last 24 hours (${answer.considered} read, ${answer.unclustered} in no cluster)` +
          (answer.unanswered.length ? `; ${answer.unanswered.length} could not be read` : '') +
          `. Distance: labels ${m.weights.labels}, text ${m.weights.text}, time ${m.weights.time}; eps ${m.eps}.`;
        body.replaceChildren(
          answer.clusters.length
            ? h(
                'div',
                {},
                answer.clusters.map((c) => clusterCard(c, result)),
              )
            : h('p', { class: 'muted' }, 'No incidents look alike.'),
        );
      },
      status,
      CLUSTERS_POLL_MS,
    );
  service.addEventListener('change', load);
  load();
}

// ---- routing ----

function route() {
  stopPolling();
  cleanup();
  cleanup = () => {};
  if (!token) return showSignIn();
  if (!me) {
    apiJson('/api/v1/me').then(
      (who) => {
        me = who;
        route();
      },
      (err) =>
        signOut(
          err instanceof ApiError && err.status === 401
            ? 'The token is no longer accepted: sign in again.'
            : err.message,
        ),
    );
    return;
  }
  showIdentity();
  const match = /^#\/incidents\/(.+)$/.exec(location.hash);
  if (match) showIncident(decodeURIComponent(match[1]));
  else if (location.hash === '#/fleet') showFleet();
  else if (location.hash === '#/clusters') showClusters();
  else showList();
}

signOutButton.addEventListener('click', () => signOut('Signed out.'));
window.addEventListener('hashchange', route);
route();
