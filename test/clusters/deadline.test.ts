/**
 * Reading many incidents' states on a real Temporal server when no worker answers for them (their
 * worker is gone): one deadline for the whole read answers within it, naming every incident it could not
 * read, where a deadline per query waited once per batch; the alerts listing stops at its budget and
 * goes on from its cursor. On a dev server of its own: the suite's server is shared, and incidents no
 * worker answers for would slow every other file's listings.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureTemporalCli } from '../../scripts/lib/temporal-cli.mjs';
import { requestDeadline } from '../../src/api/deadline.js';
import { readRecentIncidents } from '../../src/clusters/read.js';
import { listAlerts, type AlertSource } from '../../src/incidents/alerts.js';
import { INCIDENT_WORKFLOW_TYPE } from '../../src/workflows/messages.js';
import { ALL_SEARCH_ATTRIBUTES, SA } from '../../src/workflows/search-attributes.js';

const KEY = Buffer.from('deadline-test-cursor-key');

const TIMEOUT_MS = 2000;
/** Three batches of five: a deadline per query takes at least three timeouts. */
const INCIDENTS = 15;
const service = `orphaned-${randomUUID().slice(0, 8)}`;
let env: TestWorkflowEnvironment;
let client: Client;
const ids: string[] = [];

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: ensureTemporalCli() },
      ip: '127.0.0.1',
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
    },
  });
  client = env.client;
  const taskQueue = `steadfast-test-no-worker-${randomUUID()}`;
  for (let i = 0; i < INCIDENTS; i++) {
    const handle = await client.workflow.start(INCIDENT_WORKFLOW_TYPE, {
      workflowId: `incident-orphaned-${service}-${i}`,
      taskQueue,
      args: [{}],
      typedSearchAttributes: [{ key: SA.service, value: service }],
    });
    ids.push(handle.workflowId);
  }
  for (let i = 0; ; i++) {
    const listed = await client.workflow.count(`IncidentService = '${service}'`);
    if (listed.count === INCIDENTS) break;
    if (i > 100) throw new Error('visibility never listed the incidents');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}, 60_000);

afterAll(async () => {
  await env?.teardown();
});

const read = async (bounded: <T>(fn: () => Promise<T>) => Promise<T>) => {
  const started = performance.now();
  const answer = await readRecentIncidents({ client, bounded }, { service, limit: 100, now: Date.now() });
  return { ...answer, ms: performance.now() - started };
};

it('when no worker answers for the incidents, then one deadline for the read answers within it and names them all', async () => {
  const perQuery = await read((fn) => client.withDeadline(Date.now() + TIMEOUT_MS, fn));
  expect(perQuery.unanswered.sort()).toEqual([...ids].sort());
  expect(perQuery.ms).toBeGreaterThanOrEqual((INCIDENTS / 5) * TIMEOUT_MS);

  const shared = await read(requestDeadline(client, TIMEOUT_MS));
  expect(shared.incidents).toEqual([]);
  expect(shared.unanswered.sort()).toEqual([...ids].sort());
  // The deadline, and the time to notice it passed: well under the three timeouts above.
  expect(shared.ms).toBeLessThan(2.5 * TIMEOUT_MS);
}, 60_000);

it('when no worker answers for the incidents, then each page of alerts ends at its budget and its cursor goes on to the rest', async () => {
  const perCall = <T>(fn: () => Promise<T>): Promise<T> => client.withDeadline(Date.now() + TIMEOUT_MS, fn);
  const walkAll = async (source: AlertSource) => {
    const answers: { ms: number; unanswered: string[] }[] = [];
    let cursor: string | undefined;
    do {
      const started = performance.now();
      const page = await listAlerts(source, { service }, { limit: 100, ...(cursor ? { cursor } : {}) });
      answers.push({ ms: performance.now() - started, unanswered: page.unanswered });
      expect(page.alerts).toEqual([]);
      cursor = page.nextCursor ?? undefined;
    } while (cursor && answers.length < 10);
    expect(answers.flatMap((a) => a.unanswered).sort()).toEqual([...ids].sort());
    return answers;
  };

  // Without a budget one answer waits a timeout for every batch of five.
  const unbudgeted = await walkAll({
    client,
    bounded: perCall,
    budgetMs: Number.POSITIVE_INFINITY,
    cursorKey: KEY,
  });
  expect(unbudgeted).toHaveLength(1);
  expect(unbudgeted[0]?.ms).toBeGreaterThanOrEqual((INCIDENTS / 5) * TIMEOUT_MS);

  // With one, each answer takes its budget and one call's bound at most, and the cursor reaches them all.
  const budgeted = await walkAll({ client, bounded: perCall, budgetMs: TIMEOUT_MS, cursorKey: KEY });
  expect(budgeted.length).toBeGreaterThan(1);
  for (const answer of budgeted) expect(answer.ms).toBeLessThan(2.5 * TIMEOUT_MS);
}, 90_000);
