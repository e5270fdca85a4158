import type { KnownBlock } from '@slack/types';
import { slackVerbatim } from '../notify/escape.js';

// Pure, apart from verdicts.ts's click handling: the incident message's blocks are built in workflow
// code too (src/slack/blocks.ts), which must not reach the Temporal client.

/** The verdict buttons' action IDs; their value is the incident ID. */
export const VERDICT_ACTIONS = {
  actionable: 'incident_verdict_actionable',
  noise: 'incident_verdict_noise',
} as const;

/** "Was it real?" with Actionable and Noise buttons, for the incident's message once it has closed. */
export function verdictBlocks(incidentId: string): KnownBlock[] {
  const button = (verdict: keyof typeof VERDICT_ACTIONS, text: string) => ({
    type: 'button' as const,
    action_id: VERDICT_ACTIONS[verdict],
    value: incidentId,
    text: { type: 'plain_text' as const, text },
  });
  return [
    {
      type: 'section',
      text: slackVerbatim('*Was it real?* Your verdict trains the noise report.'),
    },
    {
      type: 'actions',
      block_id: 'verdict',
      elements: [button('actionable', 'Actionable'), button('noise', 'Noise')],
    },
  ];
}
