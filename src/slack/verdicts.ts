import type { App } from '@slack/bolt';
import type { Client } from '@temporalio/client';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import { slackMrkdwn } from '../notify/escape.js';
import { VERDICT_ACTIONS } from './verdict-blocks.js';
import { teamOf, type SlackWorkspaces } from './workspace.js';

export { VERDICT_ACTIONS, verdictBlocks } from './verdict-blocks.js';
import { IncidentUnknown } from '../verdicts/client.js';
import { giveVerdict } from '../verdicts/give.js';
import { INCIDENT_ID } from '../workflows/messages.js';

export interface SlackVerdictDeps {
  temporal: Client;
  /** The task queue the incidents run on: its verdict ledger is theirs. */
  taskQueue: string;
  metrics: Pick<Metrics, 'falsePositives'>;
  logger: Logger;
  workspaces: SlackWorkspaces;
}

/**
 * Verdict clicks: acknowledged at once, filed in the verdict ledger as `slack:<user ID>` via slack, and
 * answered to the clicker alone. Anyone who can see the message may click (a verdict changes nothing
 * in the incident); every verdict says who gave it, and a later one replaces it.
 */
export function registerVerdictButtons(app: App, deps: SlackVerdictDeps): void {
  for (const verdict of ['actionable', 'noise'] as const) {
    app.action(VERDICT_ACTIONS[verdict], async ({ ack, body, action, respond }) => {
      await ack();
      const incidentId = 'value' in action && typeof action.value === 'string' ? action.value : '';
      const actor = `slack:${body.user.id}`;
      const answer = (text: string) =>
        respond({ response_type: 'ephemeral', replace_original: false, text: slackMrkdwn(text) });
      const refused = await deps.workspaces.refuse(teamOf(body), { actor, via: 'verdict' });
      if (refused) return void (await answer(refused));
      if (!INCIDENT_ID.test(incidentId)) return void (await answer('That button names no incident.'));
      try {
        const result = await giveVerdict(
          { client: deps.temporal, taskQueue: deps.taskQueue, metrics: deps.metrics },
          { incidentId, verdict, actor, via: 'slack' },
        );
        deps.logger.info({ event: 'slack.verdict', incidentId, actor, verdict, changed: result.changed });
        await answer(
          result.changed
            ? `Recorded: incident ${incidentId} was ${verdict}.`
            : `Already so: you said incident ${incidentId} was ${verdict}.`,
        );
      } catch (err) {
        const unknown = err instanceof IncidentUnknown;
        deps.logger.warn({ event: 'slack.verdict-failed', incidentId, actor, err });
        await answer(
          unknown ? 'No such incident; nothing changed.' : 'The verdict could not be recorded; try again.',
        );
      }
    });
  }
}
