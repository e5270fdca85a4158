import { describe, expect, it } from 'vitest';
import {
  cleanText,
  clipEscaped,
  discordMarkdown,
  emailHeader,
  emailText,
  htmlText,
  slackActor,
  slackMrkdwn,
  slackPlain,
  slackVerbatim,
  teamsMarkdown,
} from '../../src/notify/escape.js';

/** What the attack in issue 12 sent as an alert summary. */
const ATTACK = '<!channel> <https://evil.example|Approve> @everyone';

describe('cleanText: what no destination receives', () => {
  it.each([
    ['CR LF and CR become LF', 'a\r\nb\rc', 'a\nb\nc'],
    ['Unicode line and paragraph separators become LF', 'a\u2028b\u2029c', 'a\nb\nc'],
    ['NUL, BEL, ESC and DEL go', 'a\u0000b\u0007c\u001bd\u007f', 'abcd'],
    ['C1 controls (NEL among them) go', 'a\u0085b\u009bc', 'abc'],
    ['bidi overrides and isolates go', 'a\u202eevil\u202cb\u2066c\u2069', 'aevilbc'],
    [
      'bidi marks go (left-to-right, right-to-left, Arabic letter mark)',
      'pay\u200fments\u200e\u061c',
      'payments',
    ],
    ['tab and newline stay', 'a\tb\nc', 'a\tb\nc'],
    ['ordinary Unicode stays', 'Größe € 漢字 🚨', 'Größe € 漢字 🚨'],
  ])('%s', (_, input, expected) => {
    expect(cleanText(input)).toBe(expected);
  });
});

describe('slackMrkdwn: no control sequence of the sender survives', () => {
  it.each([
    ['the attack', ATTACK, '&lt;!channel&gt; &lt;https://evil.example|Approve&gt; @everyone'],
    ['@here', '<!here>', '&lt;!here&gt;'],
    ['a user', '<@U024BE7LH>', '&lt;@U024BE7LH&gt;'],
    ['a user group', '<!subteam^S123|oncall>', '&lt;!subteam^S123|oncall&gt;'],
    ['a channel', '<#C024BE7LR>', '&lt;#C024BE7LR&gt;'],
    ['a date', '<!date^1392734382^{date}|x>', '&lt;!date^1392734382^{date}|x&gt;'],
    ['an ampersand, first', 'AT&T', 'AT&amp;T'],
    ['an entity written out stays text', '&lt;!channel&gt;', '&amp;lt;!channel&amp;gt;'],
    ['formatting is left as Slack has no escape for it', '*bold* _it_', '*bold* _it_'],
    ['plain text is unchanged', 'checkout p99 latency 3.5s', 'checkout p99 latency 3.5s'],
  ])('%s', (_, input, expected) => {
    const out = slackMrkdwn(input);
    expect(out).toBe(expected);
    expect(out).not.toMatch(/[<>]/);
  });

  it('slackPlain keeps the text as it is, on one line (plain_text is not parsed)', () => {
    expect(slackPlain(`${ATTACK}\r\nsecond`)).toBe(`${ATTACK} second`);
  });

  it('slackVerbatim marks the object verbatim, so Slack links and mentions nothing in it', () => {
    expect(slackVerbatim('x')).toEqual({ type: 'mrkdwn', text: 'x', verbatim: true });
  });

  it.each([
    ['a Slack user becomes a mention', 'slack:U0123ABCD', '<@U0123ABCD>'],
    ['an enterprise user too', 'slack:W0123ABCD', '<@W0123ABCD>'],
    ['a forged ID is text', 'slack:U1>|<!channel', 'slack:U1&gt;|&lt;!channel'],
    ['a special mention is text', 'slack:!channel', 'slack:!channel'],
    ['an API actor is text', 'api:<b>alice</b>', 'api:&lt;b&gt;alice&lt;/b&gt;'],
  ])('slackActor: %s', (_, actor, expected) => {
    expect(slackActor(actor)).toBe(expected);
  });
});

/** Markdown links and images not broken by a backslash before their brackets. */
const unescapedLink = /(?<!\\)\[[^\]]*(?<!\\)\]\(/;
/** A URL scheme whose colon is not escaped, after anything (`_https://` too): Teams and Discord would link it. */
const linkableUrl = /(?<!\\):\/\//;

describe('teamsMarkdown: no link, HTML or formatting from the sender', () => {
  it.each([
    ['a Markdown link', '[Approve](https://evil.example)', '\\[Approve\\](https\\://evil.example)'],
    ['an image', '![x](https://evil.example/a.png)', '!\\[x\\](https\\://evil.example/a.png)'],
    [
      'HTML',
      '<a href="https://evil.example">Approve</a>',
      '\\<a href="https\\://evil.example"\\>Approve\\</a\\>',
    ],
    ['a Teams mention', '<at>Everyone</at>', '\\<at\\>Everyone\\</at\\>'],
    ['an entity', '&#60;b&#62;', '\\&#60;b\\&#62;'],
    ['emphasis and code', '**b** _i_ ~s~ `c`', '\\*\\*b\\*\\* \\_i\\_ \\~s\\~ \\`c\\`'],
    ['a backslash of the sender cannot undo an escape', '\\[x](y)', '\\\\\\[x\\](y)'],
    ['a bare URL', 'see https://evil.example/approve', 'see https\\://evil.example/approve'],
    ['a www address', 'see www.evil.example', 'see www\\.evil.example'],
    ['a URL after an underscore', 'ok:_https://evil.example', 'ok:\\_https\\://evil.example'],
    ['a URL after a digit', '1https://evil.example', '1https\\://evil.example'],
    ['a www address after an underscore', '_www.evil.example', '\\_www\\.evil.example'],
    ['a heading', '# Approved', '\\# Approved'],
    ['a bullet', '- restart\n+ more', '\\- restart\n\\+ more'],
    ['a numbered list', '1. then\n2) after', '1\\. then\n2\\) after'],
    ['a setext underline', 'Title\n===', 'Title\n\\==='],
    ['plain text is unchanged', 'checkout-1 on node 3.5', 'checkout-1 on node 3.5'],
  ])('%s', (_, input, expected) => {
    const out = teamsMarkdown(input);
    expect(out).toBe(expected);
    expect(out).not.toMatch(unescapedLink);
    expect(out).not.toMatch(linkableUrl);
    expect(out).not.toMatch(/(?<!\\)</);
  });
});

describe('discordMarkdown: no mention, link or formatting from the sender', () => {
  it.each([
    ['the attack', ATTACK, '\\<!channel\\> \\<https\\://evil.example\\|Approve\\> @\u200beveryone'],
    ['@here', 'ping @here now', 'ping @\u200bhere now'],
    ['a user', '<@123456789>', '\\<@123456789\\>'],
    ['a role', '<@&987>', '\\<@&987\\>'],
    ['a channel', '<#42>', '\\<#42\\>'],
    ['a masked link', '[Approve](https://evil.example)', '\\[Approve\\](https\\://evil.example)'],
    ['a spoiler', '||secret||', '\\|\\|secret\\|\\|'],
    ['a URL after an underscore', 'ok:_https://evil.example', 'ok:\\_https\\://evil.example'],
    ['a URL after a digit', '1https://evil.example', '1https\\://evil.example'],
    ['a heading and subtext', '# Big\n-# small', '\\# Big\n\\-# small'],
    ['emphasis and code', '**b** __u__ ~~s~~ `c`', '\\*\\*b\\*\\* \\_\\_u\\_\\_ \\~\\~s\\~\\~ \\`c\\`'],
    ['plain text is unchanged', 'checkout-1 on node 3.5', 'checkout-1 on node 3.5'],
  ])('%s', (_, input, expected) => {
    const out = discordMarkdown(input);
    expect(out).toBe(expected);
    expect(out).not.toMatch(unescapedLink);
    expect(out).not.toMatch(linkableUrl);
    expect(out).not.toMatch(/(?<!\\)</);
    expect(out).not.toMatch(/@(everyone|here)/);
  });
});

describe('e-mail', () => {
  it.each([
    [
      'a tag',
      '<a href="https://evil.example">Approve</a>',
      '&lt;a href=&quot;https://evil.example&quot;&gt;Approve&lt;/a&gt;',
    ],
    ['a script', "<script>alert('x')</script>", '&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;'],
    ['an ampersand', 'AT&T', 'AT&amp;T'],
    ['the attack', ATTACK, '&lt;!channel&gt; &lt;https://evil.example|Approve&gt; @everyone'],
  ])('htmlText escapes %s', (_, input, expected) => {
    expect(htmlText(input)).toBe(expected);
  });

  it.each([
    ['CR LF', 'down\r\nBcc: attacker@evil.example', 'down Bcc: attacker@evil.example'],
    ['a lone LF', 'down\nBcc: x@evil.example', 'down Bcc: x@evil.example'],
    ['a lone CR', 'down\rBcc: x@evil.example', 'down Bcc: x@evil.example'],
    ['a Unicode line separator', 'down\u2028Bcc: x@evil.example', 'down Bcc: x@evil.example'],
    ['NEL', 'down\u0085Bcc: x@evil.example', 'downBcc: x@evil.example'],
    ['tabs and runs of spaces', ' a\t\tb   c ', 'a b c'],
  ])('emailHeader keeps %s from starting a header', (_, input, expected) => {
    const out = emailHeader(input);
    expect(out).toBe(expected);
    expect(out).not.toMatch(/[\r\n\u2028\u2029\u0085]/);
  });

  it('emailText keeps the text on its line and drops control characters', () => {
    expect(emailText('a\r\nb\u0000\u202e')).toBe('a b');
    expect(emailText('a\n\n\u2028 b')).toBe('a b');
  });
});

describe('clipEscaped', () => {
  it.each([
    ['short text is unchanged', 'abc', 10, 'abc'],
    ['a cut entity goes whole', 'ab &amp; cd', 6, 'ab …'],
    ['a complete entity stays', 'a &amp;bcdef', 8, 'a &amp;…'],
    ['a lone trailing backslash goes', 'ab\\[cdef', 4, 'ab…'],
    ['an escaped backslash stays', 'a\\\\bcdef', 4, 'a\\\\…'],
    ['a surrogate pair is not split', 'ab🚨cdef', 4, 'ab…'],
  ])('%s', (_, input, max, expected) => {
    const out = clipEscaped(input, max);
    expect(out).toBe(expected);
    expect(out.length).toBeLessThanOrEqual(max);
  });
});
