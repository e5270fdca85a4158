import { cutText } from '../domain/utf8.js';

/**
 * Text from alerts, made inert for each place it is shown. Whoever can fire an alert writes its labels
 * and annotations, and through them titles, summaries, service names, verification messages and the
 * quoted answers of `http.call`: none of that may mention people, add links or format a message. Every
 * string not written by Steadfast or a runbook author goes through one of these functions on its way
 * out, once, at the place where it meets the destination's markup. Pure: no I/O.
 *
 * Links: no destination gets a link whose label the sender chose (`<url|Approve>`, `[Approve](url)`,
 * `<a href>`). Bare URLs are not made links either where the destination lets us say so: Slack gets
 * `verbatim: true` on every mrkdwn text object and `parse: 'none'`, `link_names: false` on every post
 * (see SLACK_LITERAL); Markdown destinations (Teams, Discord) get the `:` after a URL scheme escaped,
 * which their renderers drop while it stops the link. E-mail clients link bare URLs by themselves;
 * such a link shows its own address, never a label.
 */

// C0 and C1 control characters other than tab and newline, and the Unicode bidirectional marks, embeddings,
// overrides and isolates, which make text read differently from what it says ("Trojan Source").
const INVISIBLE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** The first step of every function here: one newline convention, no control or direction characters. */
export function cleanText(text: string): string {
  return text.replace(/\r\n?|[\u2028\u2029]/g, '\n').replace(INVISIBLE, '');
}

// --- Slack -------------------------------------------------------------------------------------------

/**
 * For Slack mrkdwn (message `text`, mrkdwn text objects). Slack's only control characters are &, < and
 * >: with them escaped as Slack documents, no `<!channel>`, `<!here>`, `<!subteam^…>`, `<@U…>`,
 * `<#C…>`, `<!date…>` or `<url|label>` can be formed. Slack has no other escape (a backslash is
 * literal), so *bold* and _italics_ in an alert stay formatting: they cannot mention or link.
 * Literal `@channel` and bare URLs are left to SLACK_LITERAL and `verbatim: true`.
 */
export function slackMrkdwn(text: string): string {
  return cleanText(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * For Slack plain_text objects (headers, buttons): Slack parses nothing in them, neither mentions nor
 * links nor entities, so the text goes as it is, without control characters and on one line.
 */
export function slackPlain(text: string): string {
  return cleanText(text).replace(/\s*\n\s*/g, ' ');
}

/**
 * A mrkdwn text object for text that holds alert-derived parts (already escaped with slackMrkdwn).
 * `verbatim: true`: Slack neither links URLs nor parses mentions or channel names in it; the manual
 * sequences Steadfast writes itself (`<@U…>` for an approver) still work.
 */
export function slackVerbatim(text: string): { type: 'mrkdwn'; text: string; verbatim: true } {
  return { type: 'mrkdwn', text, verbatim: true };
}

/**
 * The chat.postMessage / chat.update arguments that keep Slack from processing a message's text:
 * `parse: 'none'` (no URLs made links, no names looked up) and `link_names: false` (no @name or #channel
 * made a mention). Manual sequences Steadfast writes still work.
 */
export const SLACK_LITERAL = { parse: 'none', link_names: false } as const;

/** A Slack user ID (U…, W…) as Slack issues them; anything else is not mentioned. */
const SLACK_USER = /^[UW][A-Z0-9]{2,}$/;

/** `slack:U123` as a mention of that user; any other actor as escaped text. */
export function slackActor(actor: string): string {
  const id = actor.startsWith('slack:') ? actor.slice(6) : '';
  return SLACK_USER.test(id) ? `<@${id}>` : slackMrkdwn(actor);
}

// --- Markdown destinations (Microsoft Teams, Discord) ---------------------------------------------------

// A URL scheme: Teams and Discord link `https://…` by themselves. `\:` renders as `:` and stops it.
// Every `:` before `//`, not only one after a word boundary: in `_https://` or `1https://` there is
// none (`_` and digits are word characters), and linkifiers still found the URL there.
const SCHEME = /:(?=\/\/)/g;
// `www.` starts a link for GFM's autolinks even after `_` (no word boundary either): escaped wherever it is.
const WWW = /(www)\./gi;

/** Backslash before each character of `chars`; a backslash itself first, so none of ours is undone. */
const backslash = (text: string, chars: string): string =>
  text.replace(new RegExp(`[${chars.replace(/[\\\]^-]/g, '\\$&')}]`, 'g'), '\\$&');

/**
 * Escapes what starts a block at a line's start: `markers` (headings, list bullets) get a backslash
 * before them, an ordered list's `1.` or `1)` before its `.` or `)` (a backslash before a digit is
 * literal in CommonMark).
 */
function blockMarkers(text: string, markers: RegExp): string {
  return text
    .replace(new RegExp(`^(\\s*)(${markers.source})(?=\\s|$)`, 'gm'), '$1\\$2')
    .replace(/^(\s*\d+)([.)])(?=\s|$)/gm, '$1\\$2');
}

/**
 * For Microsoft Teams: Adaptive Card TextBlocks and FactSet values, and MessageCard text fields (with
 * `markdown: true`). Emphasis, code, strike-through, links and images (`[`/`]`), raw HTML and entities
 * (`<`, `>`, `&`, which MessageCards would read), and block markers at a line's start (#, >, -, +, *,
 * `1.`) are escaped with backslashes, as CommonMark reads them; so are `scheme:` and `www.`, so a bare
 * URL is not linked. `<at>` mentions need `<`, escaped too.
 */
export function teamsMarkdown(text: string): string {
  return blockMarkers(
    backslash(cleanText(text), '\\`*_~[]<>&|').replace(SCHEME, '\\:').replace(WWW, '$1\\.'),
    /#{1,6}|=+|-+|\++/,
  );
}

/**
 * For Discord message content, embed titles, descriptions and field values. Markdown as in
 * teamsMarkdown plus Discord's own: spoilers (`||`), headings and `-#` subtext; `<@id>`, `<@&id>`,
 * `<#id>`, `</command:id>` and `<t:…>` need `<`, escaped; `@everyone` and `@here` get a zero-width
 * space after the @, as Discord's own libraries do, so they are not even shown as mentions.
 * Pings are also switched off by the payload's `allowed_mentions: { parse: [] }`.
 */
export function discordMarkdown(text: string): string {
  return blockMarkers(
    backslash(cleanText(text), '\\`*_~[]<>|')
      .replace(SCHEME, '\\:')
      .replace(/@(everyone|here)/gi, '@\u200b$1'),
    /#{1,3}|-#|-+|\++/,
  );
}

/**
 * For a Markdown document (the postmortem draft: CommonMark with GitHub's tables), as one line of
 * prose or a table cell. Newlines become spaces; every character that starts inline markup is escaped
 * (emphasis, code, strike-through, links and images, raw HTML and entities, a table's `|`), as are
 * block markers at the start (#, >, -, +, *, =, `1.`) and `scheme:`, `www.`, `//` and `@`, so no link or
 * autolink is made (linkify also links `//host/path` and e-mail addresses) and nothing the alert says
 * becomes a heading, list or quote.
 */
export function markdownText(text: string): string {
  const line = cleanText(text).replace(/\s*\n\s*/g, ' ');
  return blockMarkers(
    backslash(line, '\\`*_~[]<>&|@').replace(SCHEME, '\\:').replace(/\/\//g, '/\\/').replace(WWW, '$1\\.'),
    /#{1,6}|=+|-+|\++/,
  );
}

/**
 * Text as a Markdown code span, for IDs, labels and queries an SRE copies: shown exactly, nothing in
 * it read as markup. Its fence is one backtick longer than the longest run inside, and newlines become
 * spaces. In a table `cell`, `|` is escaped even there (GitHub splits a row into cells first).
 */
export function markdownCode(text: string, where: 'inline' | 'cell' = 'inline'): string {
  const single = cleanText(text).replace(/\s*\n\s*/g, ' ');
  const line = where === 'cell' ? single.replace(/\|/g, '\\|') : single;
  const longest = Math.max(0, ...(line.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = line.startsWith('`') || line.endsWith('`') || line === '' ? ' ' : '';
  return `${fence}${pad}${line}${pad}${fence}`;
}

// --- e-mail and HTML ------------------------------------------------------------------------------------

/** For HTML text and attribute values (e-mail's HTML part, the incident report). */
export function htmlText(text: string): string {
  return cleanText(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/**
 * For an e-mail header such as the subject: one line, whatever the alert holds, so no CR or LF (nor
 * Unicode line separator) can end the header and start another (`Bcc:`). Nodemailer encodes the rest.
 */
export function emailHeader(text: string): string {
  return cleanText(text).replace(/\s+/g, ' ').trim();
}

/**
 * Cuts escaped text to `max` characters with an ellipsis, never inside an escape: a cut entity (`&am`)
 * or a lone trailing backslash is dropped whole. Escaping lengthens text, so limits are applied after.
 */
export function clipEscaped(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = cutText(text, max - 1).replace(/&[#A-Za-z0-9]*$/, '');
  if (/(?:^|[^\\])(?:\\\\)*\\$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/**
 * For a line of e-mail's plain-text part: plain text has no markup, but it has lines. The alert's text
 * stays on the line it is given, so it cannot add lines that pass for the message's own (an "Open the
 * incident:" link of its choosing above the real one, pushed out of sight by blank lines).
 */
export function emailText(text: string): string {
  return emailHeader(text);
}
