import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countIncidents,
  FilterRefused,
  incidentQuery,
  listIncidents,
  type IncidentFilter,
} from '../../src/incidents/list.js';
import { visibilityOutcomes } from '../../src/activities/outcomes.js';
import { INCIDENT_WORKFLOW_TYPE } from '../../src/workflows/messages.js';
import { SA } from '../../src/workflows/search-attributes.js';
import { testClient } from '../support/temporal.js';

const BASE = `WorkflowType = '${INCIDENT_WORKFLOW_TYPE}'`;

describe('incidentQuery', () => {
  it('when every filter is given, then each becomes one clause on its search attribute', () => {
    expect(
      incidentQuery({
        status: 'closed',
        service: 'checkout',
        severity: 'critical',
        stage: 'closed',
        runbook: 'restart-api',
        alertName: 'HighErrorRate',
        outcome: 'verified',
      }),
    ).toBe(
      [
        BASE,
        `ExecutionStatus != 'Running'`,
        `IncidentService = 'checkout'`,
        `IncidentSeverity = 'critical'`,
        `IncidentStage = 'closed'`,
        `IncidentRunbook = 'restart-api'`,
        `IncidentAlertName = 'HighErrorRate'`,
        `IncidentOutcome = 'verified'`,
      ].join(' AND '),
    );
    expect(incidentQuery({})).toBe(BASE);
    expect(incidentQuery({ status: 'open' })).toBe(`${BASE} AND ExecutionStatus = 'Running'`);
  });

  it('when a value has letters of any script, spaces or plain punctuation, then it is quoted as it is', () => {
    const service = 'Zahlung Süd (eu-1) = v2, ops@example.org+x/y:z';
    expect(incidentQuery({ service })).toBe(`${BASE} AND IncidentService = '${service}'`);
  });

  it.each([
    [`x' OR 1=1`],
    [`x'' OR ''='`],
    ['x\\'],
    ["x\\' OR 1=1 --"],
    ['"double"'],
    ['line\nbreak'],
    ['nul\u0000'],
    ['tab\t'],
    [''],
    ['a'.repeat(257)],
  ])('when a value is %j, then the filter is refused', (value) => {
    for (const key of ['service', 'severity', 'runbook', 'alertName'] as const) {
      expect(() => incidentQuery({ [key]: value })).toThrow(FilterRefused);
    }
  });

  it('when a filter is not on the allow-list, then it is refused, whatever its value', () => {
    for (const filter of [
      { tenant: 'a' },
      { WorkflowType: 'other' },
      { ExecutionStatus: 'Running' },
      { 'service OR 1': 'a' },
      { limit: 5 },
    ]) {
      expect(() => incidentQuery(filter as IncidentFilter)).toThrow(FilterRefused);
    }
  });

  it('when a closed-list filter has a value off its list, then it is refused', () => {
    for (const filter of [
      { status: 'running' },
      { stage: "closed' OR 1=1" },
      { stage: 'triage' },
      { outcome: 'verified OR' },
    ]) {
      expect(() => incidentQuery(filter as IncidentFilter)).toThrow(FilterRefused);
    }
  });

  it('when values are any mix of characters, then an accepted one never holds a quote or backslash', () => {
    const alphabet = ["'", '"', '\\', ' ', 'a', 'é', '1', '=', '(', ')', '-', '\n', '%', '`', ';'];
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    let accepted = 0;
    for (let i = 0; i < 2000; i++) {
      const value = Array.from({ length: 1 + (next() % 8) }, () => alphabet[next() % alphabet.length]).join(
        '',
      );
      let query: string | undefined;
      try {
        query = incidentQuery({ alertName: value });
      } catch (err) {
        expect(err).toBeInstanceOf(FilterRefused);
        expect(/['"\\\n%`;]/.test(value)).toBe(true);
        continue;
      }
      accepted++;
      expect(query).toBe(`${BASE} AND IncidentAlertName = '${value}'`);
      expect(value).not.toMatch(/['\\]/);
    }
    expect(accepted).toBeGreaterThan(10);
  });
});

describe('listing and counting against Temporal visibility', () => {
  let client: Client;
  const service = `Zahlung Süd (eu-1) = v2, ops@x+${randomUUID().slice(0, 8)}`;
  const workflowId = `list-test-${randomUUID()}`;
  const runbook = `runbook-${randomUUID()}`;

  beforeAll(async () => {
    client = await testClient();
    // No worker takes this queue: the incident only has to exist in visibility.
    await client.workflow.start(INCIDENT_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: `list-test-no-worker-${randomUUID()}`,
      args: [],
      typedSearchAttributes: new TypedSearchAttributes([
        { key: SA.service, value: service },
        { key: SA.severity, value: 'warning' },
        { key: SA.stage, value: 'collect' },
        { key: SA.runbook, value: runbook },
        { key: SA.alertName, value: 'Queue backlog (growing)' },
        { key: SA.outcome, value: 'verified' },
      ]),
    });
  });

  afterAll(async () => {
    await client?.workflow.getHandle(workflowId).terminate('test over');
  });

  it('when a value has spaces and punctuation, then the server accepts the query and finds the incident', async () => {
    let listed: Awaited<ReturnType<typeof listIncidents>> = [];
    for (let i = 0; i < 50 && listed.length === 0; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 100));
      listed = await listIncidents(client, { service, status: 'open' }, 10);
    }
    expect(listed).toEqual([
      expect.objectContaining({
        incidentId: workflowId,
        service,
        status: 'open',
        risk: 'medium',
        stage: 'collect',
      }),
    ]);
    expect(await countIncidents(client, { service, stage: 'collect' })).toBe(1);
    expect(await countIncidents(client, { service, status: 'closed' })).toBe(0);
    expect(await countIncidents(client, { service: `${service}x` })).toBe(0);
  });

  it('when a filter is refused, then listing and counting refuse it too', async () => {
    await expect(listIncidents(client, { service: `${service}' OR 1=1` }, 10)).rejects.toThrow(FilterRefused);
    await expect(countIncidents(client, { service: `x' OR 1=1` })).rejects.toThrow(FilterRefused);
  });

  it('when past outcomes are counted, then the same filters find them, and a value with a quote has no history', async () => {
    const outcomes = visibilityOutcomes(client);
    const alert = 'Queue backlog (growing)';
    expect(await outcomes.record(runbook, alert, service)).toEqual({
      successes: 1,
      failures: 0,
      scope: 'alert-and-service',
    });
    expect(await outcomes.record(runbook, alert, 'another service')).toEqual({
      successes: 1,
      failures: 0,
      scope: 'alert',
    });
    expect(await outcomes.record(runbook, `${alert}' OR '1'='1`, service)).toEqual({
      successes: 0,
      failures: 0,
      scope: 'alert',
    });
  });
});
