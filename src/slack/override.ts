import type { App, ViewResponseAction } from '@slack/bolt';
import type { ModalView } from '@slack/types';
import type { Client } from '@temporalio/client';
import type { Decision } from '../domain/incident.js';
import { CHAT_DECISION_WAIT_MS, sendDecision } from '../incidents/decisions.js';
import type { Logger } from '../lib/logger.js';
import { cutText } from '../domain/utf8.js';
import { slackMrkdwn, slackPlain } from '../notify/escape.js';
import { APPROVE_OVERRIDE_ACTION, OVERRIDE_MODAL, parseDecisionValue } from './actions.js';
import { teamOf, type SlackWorkspaces } from './workspace.js';

/**
 * "Approve with override" during a change freeze: the button opens a modal asking for the reason, and
 * its submission becomes the same approval the slash command's `approve <id> override <reason>` sends
 * (sendDecision, with the workflow's authorisation and its record of every refusal).
 */

/** The reason's input: its block and action IDs in the modal. */
export const REASON_BLOCK = 'override_reason';
const REASON_INPUT = 'reason';
/** As the API and the slash command take a reason. */
export const MAX_REASON = 2000;
/** Slack waits 3 seconds for a submission's answer; what is not decided by then is answered in the message. */
const ANSWER_WITHIN_MS = 2500;

export interface OverrideOptions {
  temporal: Client;
  logger: Logger;
  groupsOf: (userId: string) => Promise<string[]>;
  refusalText: (err: unknown) => string;
  workspaces: SlackWorkspaces;
}

/**
 * The modal: the button's value (the incident, the round shown and when it opened) travels as its private metadata, the
 * reason is a required input. Pure.
 */
export function overrideModal(value: string): ModalView {
  const { incidentId } = parseDecisionValue(value);
  return {
    type: 'modal',
    callback_id: OVERRIDE_MODAL,
    private_metadata: value,
    title: { type: 'plain_text', text: 'Approve with override' },
    submit: { type: 'plain_text', text: 'Approve' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'plain_text',
          text: cutText(
            slackPlain(
              `The change calendar blocks incident ${incidentId}. Approving runs its remediation anyway; the reason is kept with the approval.`,
            ),
            3000,
          ),
        },
      },
      {
        type: 'input',
        block_id: REASON_BLOCK,
        label: { type: 'plain_text', text: 'Why it cannot wait' },
        element: {
          type: 'plain_text_input',
          action_id: REASON_INPUT,
          multiline: true,
          max_length: MAX_REASON,
        },
      },
    ],
  };
}

type StateValues = Record<string, Record<string, { value?: string | null }>>;
export type Submission =
  | { ok: true; incidentId: string; round?: number; opened?: string; reason: string }
  | { ok: false; error: string };

/** The submission's incident and reason, or what is wrong with it (shown under the reason). Pure. */
export function parseSubmission(privateMetadata: string, values: StateValues): Submission {
  const reason = (values[REASON_BLOCK]?.[REASON_INPUT]?.value ?? '').trim();
  if (!privateMetadata)
    return { ok: false, error: 'This form lost its incident; open it again from the message.' };
  if (!reason) return { ok: false, error: 'Say why the remediation cannot wait for the freeze to end.' };
  if (reason.length > MAX_REASON) return { ok: false, error: `At most ${MAX_REASON} characters.` };
  return { ok: true, ...parseDecisionValue(privateMetadata), reason };
}

const errors = (text: string): ViewResponseAction => ({
  response_action: 'errors',
  errors: { [REASON_BLOCK]: cutText(text, 2000) },
});

/** The modal once the approval went through (or is still on its way). */
const doneView = (text: string): ViewResponseAction => ({
  response_action: 'update',
  view: {
    type: 'modal',
    title: { type: 'plain_text', text: 'Approve with override' },
    close: { type: 'plain_text', text: 'Close' },
    blocks: [{ type: 'section', text: { type: 'plain_text', text: cutText(slackPlain(text), 3000) } }],
  },
});

export function registerOverride(app: App, options: OverrideOptions): void {
  app.action(APPROVE_OVERRIDE_ACTION, async ({ ack, body, action, client, respond }) => {
    await ack();
    const value = 'value' in action && typeof action.value === 'string' ? action.value : '';
    const { incidentId } = parseDecisionValue(value);
    const trigger = 'trigger_id' in body ? body.trigger_id : undefined;
    if (!trigger || !incidentId) return;
    // Refused before the form opens: a user of another workspace would only be refused at its end.
    const attempt = {
      actor: `slack:${body.user.id}`,
      via: 'override',
      decision: { incidentId, verb: 'approve' as const },
    };
    const refused = await options.workspaces.refuse(teamOf(body), attempt);
    if (refused) {
      await respond({ response_type: 'ephemeral', replace_original: false, text: slackMrkdwn(refused) });
      return;
    }
    try {
      await client.views.open({ trigger_id: trigger, view: overrideModal(value) });
    } catch (err) {
      // A trigger lives 3 seconds: a slow answer from Slack leaves the form unopened.
      options.logger.warn(
        { event: 'slack.override-modal-failed', incidentId, err },
        'could not open a modal',
      );
      const text = slackMrkdwn(
        `The form did not open; nothing changed. Try again, or: /steadfast approve ${incidentId} override <reason>`,
      );
      await respond({ response_type: 'ephemeral', replace_original: false, text });
    }
  });
  app.view(OVERRIDE_MODAL, async ({ ack, body, view }) => {
    const parsed = parseSubmission(view.private_metadata, view.state.values);
    if (!parsed.ok) return ack(errors(parsed.error));
    const decision = { incidentId: parsed.incidentId, verb: 'approve' as const };
    const attempt = { actor: `slack:${body.user.id}`, via: 'override', decision };
    const refused = await options.workspaces.refuse(teamOf(body), attempt);
    await ack(refused ? errors(refused) : await approveWithOverride(options, parsed, body.user.id));
  });
}

/** Sends the approval; answers the modal with the refusal, or with what was done. */
async function approveWithOverride(
  options: OverrideOptions,
  {
    incidentId,
    round,
    opened,
    reason,
  }: { incidentId: string; round?: number; opened?: string; reason: string },
  userId: string,
): Promise<ViewResponseAction> {
  const decision: Decision = {
    actor: `slack:${userId}`,
    via: 'slack',
    groups: await options.groupsOf(userId),
    reason,
    override: true,
    ...(round !== undefined ? { round } : {}),
    ...(opened !== undefined ? { opened } : {}),
  };
  const log = { event: 'slack.approve', incidentId, actor: decision.actor, override: true };
  const deadline = Date.now() + CHAT_DECISION_WAIT_MS;
  const sent = sendDecision(options.temporal, incidentId, 'approve', decision, deadline).then(
    (): undefined => {
      options.logger.info(log, `${decision.actor} approved ${incidentId} with an override`);
    },
    (err: unknown) => {
      const why = options.refusalText(err);
      options.logger.warn({ ...log, event: 'slack.refused', why }, 'refused a Slack decision');
      return why;
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>(
    (resolve) => (timer = setTimeout(() => resolve('late'), ANSWER_WITHIN_MS)),
  );
  const refused = await Promise.race([sent, late]).finally(() => clearTimeout(timer));
  if (refused === 'late')
    return doneView(`Sent: the incident's message will show whether ${incidentId} was approved.`);
  if (refused) return errors(refused);
  return doneView(`Done: you approved incident ${incidentId} with an override.`);
}
