import type { KnownBlock } from '@slack/types';
import { WebAPIPlatformError, type WebClient } from '@slack/web-api';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { SLACK_LITERAL } from '../notify/escape.js';
import { SLACK_TIMEOUT_MS } from '../notify/slack.js';

/**
 * What marks a message as ours, as Slack message metadata (`event_type` and `event_payload`). Slack
 * keeps it with the message and returns it from conversations.history, so a retry can tell whether
 * an earlier attempt's message already exists.
 */
export interface MessageKey {
  eventType: string;
  payload: Record<string, string>;
}

/** A message's text and blocks are Slack mrkdwn, already escaped (src/notify/escape.ts). */
export interface OutgoingMessage {
  channel: string;
  text: string;
  blocks?: KnownBlock[];
  threadTs?: string;
  unfurlLinks?: boolean;
}

export interface PostOnceOptions {
  /** An earlier attempt may have posted (a retry): look before posting. */
  retry: boolean;
  /** When the first attempt was scheduled (ms since the epoch); no earlier message can be one of ours. */
  since: number;
  /**
   * When this attempt's time is up (ms since the epoch, by this process's clock). A post that could
   * still be on its way then is not started: the retry that follows the timeout would look before it
   * lands, find nothing and post again.
   */
  deadline?: number;
}

// The first attempt's time comes from Temporal's clock and message timestamps from Slack's: look a
// little further back than the first attempt, so a skewed clock cannot hide the message.
const CLOCK_SKEW_MS = 5 * 60_000;
const PAGE = 200;
// Retries come within a minute of the first attempt, so the window holds few pages; a bound keeps a
// misbehaving cursor from looping forever.
const MAX_PAGES = 50;
// Channel names are lower case, so an upper-case C…, G… or D… is an ID.
const CHANNEL_ID = /^[CGD][A-Z0-9]+$/;

// Errors that asking again will not cure: the app lacks a scope or the channel, or the token is bad.
const PERMANENT = new Set([
  'missing_scope',
  'not_in_channel',
  'channel_not_found',
  'thread_not_found',
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'no_permission',
]);

const metadataSchema = z.object({
  event_type: z.string(),
  event_payload: z.record(z.string(), z.unknown()),
});

/**
 * A posted message as the incident keeps it (its state holds the reference for later updates): what
 * Slack answers is bounded here, so an answer that is not a channel ID and a message timestamp cannot
 * grow the state or reach later calls' URLs. Slack's IDs are a dozen characters and its timestamps
 * `seconds.micros`.
 */
const messageRefSchema = z.object({
  channel: z.string().regex(/^[A-Z0-9]{1,32}$/),
  ts: z.string().regex(/^\d{1,12}\.\d{1,12}$/),
});

function messageRef(channel: unknown, ts: unknown): { channel: string; ts: string } {
  const parsed = messageRefSchema.safeParse({ channel, ts });
  if (parsed.success) return parsed.data;
  // Posted, or found, but not a message anyone can refer to: asking again gives the same answer.
  throw ApplicationFailure.create({
    type: 'SlackAnswerInvalid',
    message: `Slack answered with a message reference that is not one (channel ${JSON.stringify(String(channel)).slice(0, 40)}, ts ${JSON.stringify(String(ts)).slice(0, 40)})`,
    nonRetryable: true,
  });
}

const isOurs = (metadata: unknown, key: MessageKey): boolean => {
  const parsed = metadataSchema.safeParse(metadata);
  return (
    parsed.success &&
    parsed.data.event_type === key.eventType &&
    Object.entries(key.payload).every(([name, value]) => parsed.data.event_payload[name] === value)
  );
};

function lookupFailure(what: string, err: unknown): unknown {
  if (err instanceof WebAPIPlatformError && PERMANENT.has(err.data.error)) {
    // Slack names the missing scope beside missing_scope.
    const data: Record<string, unknown> = { ...err.data };
    const needed = typeof data['needed'] === 'string' ? ` (the app needs ${data['needed']})` : '';
    // Posting without knowing could post a second message; failing is what keeps it to one.
    return ApplicationFailure.create({
      type: 'SlackLookupRefused',
      message: `could not check whether Slack already has the message: ${what}: ${err.data.error}${needed}`,
      nonRetryable: true,
    });
  }
  return err;
}

/** conversations.history and .replies take channel IDs only; chat.postMessage takes a #name too. */
async function channelIdOf(api: WebClient, channel: string): Promise<string> {
  if (CHANNEL_ID.test(channel)) return channel;
  const name = channel.replace(/^#/, '');
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const listed = await api.conversations
      .list({
        types: 'public_channel,private_channel',
        exclude_archived: true,
        limit: 1000,
        ...(cursor ? { cursor } : {}),
      })
      .catch((err: unknown) => {
        throw lookupFailure('conversations.list', err);
      });
    const found = listed.channels?.find((c) => c.name === name)?.id;
    if (found) return found;
    cursor = listed.response_metadata?.next_cursor || undefined;
    if (!cursor) break;
  }
  throw ApplicationFailure.create({
    type: 'SlackLookupRefused',
    message: `could not check whether Slack already has the message: no channel named #${name}`,
    nonRetryable: true,
  });
}

async function findPosted(
  api: WebClient,
  channel: string,
  threadTs: string | undefined,
  key: MessageKey,
  since: number,
): Promise<string | undefined> {
  const oldest = ((since - CLOCK_SKEW_MS) / 1000).toFixed(6);
  const method = threadTs ? 'conversations.replies' : 'conversations.history';
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const args = {
      channel,
      oldest,
      limit: PAGE,
      include_all_metadata: true,
      ...(cursor ? { cursor } : {}),
    };
    const answer = await (
      threadTs ? api.conversations.replies({ ...args, ts: threadTs }) : api.conversations.history(args)
    ).catch((err: unknown) => {
      throw lookupFailure(method, err);
    });
    const found = answer.messages?.find((m) => m.ts !== threadTs && isOurs(m.metadata, key))?.ts;
    if (found) return found;
    cursor = answer.response_metadata?.next_cursor || undefined;
    if (!answer.has_more || !cursor) return undefined;
  }
  throw new Error(`${method} kept returning pages; cannot tell whether the message was posted`);
}

/** Refuses to start a post that could outlast the attempt (see postOnce). */
function checkTimeLeft(deadline: number | undefined): void {
  if (deadline === undefined || Date.now() + SLACK_TIMEOUT_MS <= deadline) return;
  throw ApplicationFailure.create({
    type: 'SlackPostDeferred',
    message: `too little of this attempt is left to post to Slack safely (a post may take ${SLACK_TIMEOUT_MS / 1000}s); the retry posts`,
  });
}

/**
 * chat.postMessage at most once per key. Slack has no idempotency key, and an answer lost on the way
 * back (a timeout, a reset connection) leaves the message posted while the attempt fails; so every
 * message carries its key as metadata, and a retry first looks for it in the channel (or thread) and
 * returns the message it finds instead of posting again. That relies on no earlier request still being
 * on its way when the retry looks: the Web API client gives up on a request after SLACK_TIMEOUT_MS, a
 * post starts only while that much of the attempt is left (`deadline`), and Temporal retries only once
 * the attempt has timed out and a backoff has passed.
 */
export async function postOnce(
  api: WebClient,
  message: OutgoingMessage,
  key: MessageKey,
  options: PostOnceOptions,
): Promise<{ channel: string; ts: string }> {
  if (options.retry) {
    const channel = await channelIdOf(api, message.channel);
    const ts = await findPosted(api, channel, message.threadTs, key, options.since);
    if (ts) return messageRef(channel, ts);
  }
  checkTimeLeft(options.deadline);
  const posted = await api.chat.postMessage({
    channel: message.channel,
    text: message.text,
    ...(message.blocks ? { blocks: message.blocks } : {}),
    ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
    ...(message.unfurlLinks === undefined ? {} : { unfurl_links: message.unfurlLinks }),
    // Slack makes no links and no mentions of its own from the text: only what Steadfast marks up.
    ...SLACK_LITERAL,
    metadata: { event_type: key.eventType, event_payload: key.payload },
  });
  if (!posted.ts || !posted.channel) throw new Error('Slack did not return the message it posted');
  return messageRef(posted.channel, posted.ts);
}
