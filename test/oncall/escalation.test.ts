/**
 * An escalation level that names a rotation pages whoever is on call at the moment of escalation: a
 * direct message through the Slack stand-in (chat.postMessage to the user ID, with the bot token) and an
 * e-mail through a real local SMTP server, and the activity's result names who was paged. The on-call file
 * and its iCalendar file are real files read by the same reader the worker uses.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createNotifyActivities,
  NOTIFICATION_NOT_CONFIGURED,
  type EscalationNotice,
} from '../../src/activities/notify.js';
import type { EscalationTarget } from '../../src/domain/incident.js';
import { createLogger } from '../../src/lib/logger.js';
import { NOBODY_ON_CALL, UNKNOWN_ROTATION } from '../../src/notify/oncall.js';
import type { NotifyChannels } from '../../src/notify/settings.js';
import { createOncallReader } from '../../src/oncall/load.js';
import { startSlackStandIn, type SlackStandIn } from '../support/slack.js';
import { startSmtpStandIn, type SmtpStandIn } from '../support/smtp.js';
import { testActivities } from '../support/activities.js';
import { makeAlert, startIncident } from '../support/scenario.js';
import { startTestWorker, testClient } from '../support/temporal.js';

const ONCALL = `people:
  - { name: Alice, slack: U0123ALICE, email: alice@example.com }
  - { name: Bob, slack: U0123BOBBY }
  - { name: Carol, email: carol@example.com }
  - { name: Dan, slack: U0123DANNY, email: dan@example.com }
rotations:
  - name: primary
    timezone: Europe/Berlin
    members: [Alice, Bob, Carol]
    handoff: '09:00'
    shift: 1w
    start: '2026-11-02'
  - name: secondary
    timezone: Europe/Berlin
    ical: secondary.ics
`;

const SECONDARY = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//test//EN',
  'BEGIN:VEVENT',
  'UID:dan',
  'DTSTAMP:20261101T000000Z',
  'DTSTART;TZID=Europe/Berlin:20261102T090000',
  'DTEND;TZID=Europe/Berlin:20261103T090000',
  'RRULE:FREQ=DAILY',
  'SUMMARY:Secondary',
  'ATTENDEE;CN=Dan:mailto:dan@example.com',
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');

/** Instants in the primary rotation's first weeks (handoffs on Mondays, 08:00 UTC in winter). */
const ALICE_WEEK = Date.parse('2026-11-04T12:00:00Z');
const BOB_WEEK = Date.parse('2026-11-11T12:00:00Z');
const CAROL_WEEK = Date.parse('2026-11-18T12:00:00Z');

let slack: SlackStandIn;
let smtp: SmtpStandIn;
let oncallFile = '';

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'steadfast-oncall-'));
  oncallFile = join(dir, 'oncall.yaml');
  writeFileSync(oncallFile, ONCALL);
  writeFileSync(join(dir, 'secondary.ics'), SECONDARY);
  slack = await startSlackStandIn();
  smtp = await startSmtpStandIn();
});

afterAll(async () => {
  await slack?.close();
  await smtp?.stop();
});

beforeEach(() => {
  slack.calls.length = 0;
  slack.messages.length = 0;
  smtp.mails.length = 0;
});

function channels(): NotifyChannels {
  return {
    slack: { token: 'xoxb-oncall-test', apiUrl: slack.apiUrl },
    smtp: { host: '127.0.0.1', port: smtp.port, secure: false, from: 'Steadfast <steadfast@example.com>' },
  };
}

function activities(options: { now: number; oncall?: boolean; channels?: NotifyChannels }) {
  return createNotifyActivities({
    logger: createLogger('silent'),
    incidentUrl: (id) => `https://steadfast.example/incidents/${id}`,
    channels: options.channels ?? channels(),
    ...(options.oncall === false ? {} : { oncall: createOncallReader(oncallFile, createLogger('silent')) }),
    now: () => options.now,
  });
}

function notice(targets: EscalationTarget[]): EscalationNotice {
  return {
    incidentId: 'inc-oncall',
    level: 2,
    targets,
    title: 'Checkout down',
    service: 'checkout',
    severity: 'critical',
    recommendation: 'Restart checkout-1.',
  };
}

const postsTo = (): unknown[] =>
  slack.calls.filter((c) => c.method === 'chat.postMessage').map((c) => c.args['channel']);

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof Error) return err;
    throw err;
  }
  throw new Error('expected the activity to fail');
}

describe('escalation to a rotation', () => {
  it('when Alice is on call, then she gets a Slack direct message and an e-mail, and the result names her', async () => {
    const result = await activities({ now: ALICE_WEEK }).notifyEscalation(
      notice([{ type: 'rotation', rotation: 'primary' }]),
    );

    expect(result.delivered).toEqual([
      'rotation primary → Alice (slack U0123ALICE)',
      'rotation primary → Alice (email alice@example.com)',
    ]);
    expect(slack.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(1);
    expect(slack.calls[0]?.token).toBe('Bearer xoxb-oncall-test');
    expect(postsTo()).toEqual(['U0123ALICE']);
    expect(slack.messages.map((m) => [m.channel, m.text])).toEqual([
      ['DU0123ALICE', 'Escalation level 2: Checkout down (checkout, critical)'],
    ]);
    expect(smtp.mails.map((m) => m.to)).toEqual([['alice@example.com']]);
    expect(smtp.mails[0]?.raw).toContain('Subject: [Steadfast] Escalation level 2: Checkout down');
  });

  it('when the week has turned, then the next member is paged through the channels he has', async () => {
    const result = await activities({ now: BOB_WEEK }).notifyEscalation(
      notice([{ type: 'log' }, { type: 'rotation', rotation: 'primary' }]),
    );

    expect(result.delivered).toEqual(['log', 'rotation primary → Bob (slack U0123BOBBY)']);
    expect(postsTo()).toEqual(['U0123BOBBY']);
    expect(smtp.mails).toEqual([]);
  });

  it('when the rotation comes from an iCalendar file, then the person its event names is paged', async () => {
    const result = await activities({ now: CAROL_WEEK }).notifyEscalation(
      notice([{ type: 'rotation', rotation: 'secondary' }]),
    );

    expect(result.delivered).toEqual([
      'rotation secondary → Dan (slack U0123DANNY)',
      'rotation secondary → Dan (email dan@example.com)',
    ]);
    expect(postsTo()).toEqual(['U0123DANNY']);
    expect(smtp.mails.map((m) => m.to)).toEqual([['dan@example.com']]);
  });

  it('when an attempt runs after the handover, then the person on call when the level was scheduled is paged', async () => {
    const env = new MockActivityEnvironment({ scheduledTimestampMs: CAROL_WEEK });
    const heartbeats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => heartbeats.push(details));
    const notify = activities({ now: ALICE_WEEK });

    const result: { delivered: string[] } = await env.run(() =>
      notify.notifyEscalation(notice([{ type: 'rotation', rotation: 'primary' }])),
    );

    expect(result.delivered).toEqual(['rotation primary → Carol (email carol@example.com)']);
    expect(smtp.mails.map((m) => m.to)).toEqual([['carol@example.com']]);
    expect(postsTo()).toEqual([]);
    expect(heartbeats.at(-1)).toEqual({
      delivered: ['0:email'],
      paged: { '0': { rotation: 'primary', name: 'Carol', email: 'carol@example.com' } },
    });
  });

  it('when a retry finds Alice paged on Slack already, then it e-mails Alice, not whoever is on call now', async () => {
    const env = new MockActivityEnvironment({
      attempt: 2,
      scheduledTimestampMs: BOB_WEEK,
      heartbeatDetails: {
        delivered: ['0:slack'],
        paged: {
          '0': { rotation: 'primary', name: 'Alice', slack: 'U0123ALICE', email: 'alice@example.com' },
        },
      },
    });
    const notify = activities({ now: BOB_WEEK });

    const result: { delivered: string[] } = await env.run(() =>
      notify.notifyEscalation(notice([{ type: 'rotation', rotation: 'primary' }])),
    );

    expect(result.delivered).toEqual([
      'rotation primary → Alice (slack U0123ALICE)',
      'rotation primary → Alice (email alice@example.com)',
    ]);
    expect(postsTo()).toEqual([]);
    expect(smtp.mails.map((m) => m.to)).toEqual([['alice@example.com']]);
  });

  it('when the rotation is not in the on-call file, then the others are told and the failure is UnknownRotation, not retried', async () => {
    const err = await failureOf(
      activities({ now: ALICE_WEEK }).notifyEscalation(
        notice([
          { type: 'rotation', rotation: 'tertiary' },
          { type: 'slack', channel: 'C0123ABCD' },
        ]),
      ),
    );

    expect(err).toBeInstanceOf(ApplicationFailure);
    const failure = err as ApplicationFailure;
    expect(failure.type).toBe(UNKNOWN_ROTATION);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(`rotation:tertiary: ${oncallFile} defines no rotation "tertiary"`);
    expect(failure.message).toContain('(it has: primary, secondary)');
    expect(failure.message).toContain('delivered: slack:C0123ABCD');
    expect(postsTo()).toEqual(['C0123ABCD']);
  });

  it('when the rotation has not started yet, then the failure is NobodyOnCall', async () => {
    const err = await failureOf(
      activities({ now: Date.parse('2026-10-01T00:00:00Z') }).notifyEscalation(
        notice([{ type: 'rotation', rotation: 'primary' }]),
      ),
    );

    expect((err as ApplicationFailure).type).toBe(NOBODY_ON_CALL);
    expect(err.message).toContain('nobody is on call in rotation primary at 2026-10-01T00:00:00.000Z');
  });

  it('when no on-call file is configured, then a rotation target is NotificationNotConfigured', async () => {
    const err = await failureOf(
      activities({ now: ALICE_WEEK, oncall: false }).notifyEscalation(
        notice([{ type: 'rotation', rotation: 'primary' }]),
      ),
    );

    expect((err as ApplicationFailure).type).toBe(NOTIFICATION_NOT_CONFIGURED);
    expect(err.message).toContain('set STEADFAST_ONCALL_FILE');
  });

  it('when the person on call is reached only by e-mail and SMTP is not configured, then it says so', async () => {
    const slackOnly = { slack: { token: 'xoxb-oncall-test', apiUrl: slack.apiUrl } };
    const err = await failureOf(
      activities({ now: CAROL_WEEK, channels: slackOnly }).notifyEscalation(
        notice([{ type: 'rotation', rotation: 'primary' }]),
      ),
    );

    expect((err as ApplicationFailure).type).toBe(NOTIFICATION_NOT_CONFIGURED);
    expect(err.message).toContain('Carol, on call in rotation primary, is reached by e-mail (set SMTP_HOST');
  });
});

describe('an incident that escalates to a rotation', () => {
  it('pages the person on call and says whom in its timeline', async () => {
    // One member, so whoever is on call does not depend on today's date.
    const file = join(mkdtempSync(join(tmpdir(), 'steadfast-oncall-solo-')), 'oncall.yaml');
    writeFileSync(
      file,
      `people:\n  - { name: Dan, slack: U0123DANNY }\nrotations:\n  - { name: solo, timezone: UTC, members: [Dan], handoff: '09:00', shift: 1d, start: '2026-01-01' }\n`,
    );
    const runbook = `title: Page the rotation
match: { alertnames: [TestOnCallPage] }
risk: medium
approvers: [alice]
approval:
  timeout: 1s
  escalation: [{ notify: [{ type: rotation, rotation: solo }], wait: 1s }]
  finalPolicy: abort
steps:
  - { action: wait, duration: 1s }
`;
    const taskQueue = `oncall-workflow-${Date.now()}`;
    const worker = await startTestWorker(
      testActivities({
        runbooks: { 'page.yaml': runbook },
        notify: { slack: { token: 'xoxb-oncall-test', apiUrl: slack.apiUrl } },
        oncall: createOncallReader(file, createLogger('silent')),
      }),
      taskQueue,
    );
    try {
      const id = `oncall-page-${Date.now()}`;
      const alert = makeAlert({ alertName: 'TestOnCallPage', labels: { service: 'checkout' } });
      const client = await testClient();
      const final = await startIncident(client, taskQueue, id, [alert]).then((handle) => handle.result());

      expect(final.outcome).toBe('aborted');
      const paged = final.timeline.filter((t) => t.event === 'escalation-paged').map((t) => t.message);
      expect(paged).toEqual(['level 1 paged rotation solo → Dan (slack U0123DANNY)']);
      expect(postsTo()).toContain('U0123DANNY');
    } finally {
      await worker.stop();
    }
  }, 60_000);
});
