import {
  chatMarkdown,
  emailSubject,
  escapeHtml,
  plainLine,
  plainText,
  slackMrkdwn,
  slackMrkdwnLines,
  slackLink,
  slackPlainText,
  truncate,
} from '../../../src/notify/escape';

/** Every `&` in Slack text must start one of the three entities: anything else is a half-cut or unescaped one. */
const strayAmpersand = /&(?!amp;|lt;|gt;)/;

describe('plain text (email, the CLI, logs)', () => {
  it.each([
    ['a forged line', 'line1\nApprove: https://evil.example', 'line1\\nApprove: https://evil.example'],
    ['a forged header', '\r\nBcc: x', '\\r\\nBcc: x'],
    ['a bidi override', '\u202Eevil', '\\u202eevil'],
    ['a bidi isolate', '\u2066evil\u2069', '\\u2066evil\\u2069'],
    ['an ANSI colour', '\u001b[31mred', '\\u001b[31mred'],
    ['zero-width characters', 'ad\u200bmin\u200d\ufeff', 'ad\\u200bmin\\u200d\\ufeff'],
    ['a Unicode line separator', 'a\u2028b\u2029c\u0085d', 'a\\u2028b\\u2029c\\u0085d'],
    ['a tag character', 'a\u{E0041}', 'a\\u{e0041}'],
    ['a lone surrogate', 'a\ud800b', 'a\\ud800b'],
  ])('shows %s instead of obeying it', (_name, hostile, shown) => {
    expect(plainLine(hostile)).toBe(shown);
  });

  it('leaves ordinary text, accents and emoji as they are, and is idempotent', () => {
    const text = 'Grüße, Zoë 😀: aws-cli/2.15.0 Python/3.11 (role/kms_warden) <&>';
    expect(plainLine(text)).toBe(text);
    expect(plainLine(plainLine('a\nb\u202e'))).toBe(plainLine('a\nb\u202e'));
  });

  it("keeps kms-warden's own line breaks in several lines, and shows a CR that is not part of one", () => {
    expect(plainText('Reminder: waited\r\nDecided by\u202e alice\rx')).toBe(
      'Reminder: waited\nDecided by\\u202e alice\\rx',
    );
  });

  it('makes an SNS subject one line of fewer than 100 characters', () => {
    const subject = emailSubject(`[kms-warden] ${'x'.repeat(200)}\r\nBcc: victim@example.com`);
    expect(subject).not.toMatch(/[\r\n]/);
    expect(subject.length).toBeLessThan(100);
    expect(subject.endsWith('...')).toBe(true);
  });
});

describe('Slack mrkdwn', () => {
  it.each([
    ['a link', '<https://evil.example|Approve re-key>', '&lt;https://evil.example|Approve re-key&gt;'],
    ['@channel', '<!channel>', '&lt;!channel&gt;'],
    ['@here', '<!here>', '&lt;!here&gt;'],
    ['a user mention', '<@U0ADMIN>', '&lt;@U0ADMIN&gt;'],
    ['a channel mention', '<#C0SEC>', '&lt;#C0SEC&gt;'],
    ['text already escaped', '&lt;!channel&gt;', '&amp;lt;!channel&amp;gt;'],
    ['a forged line', 'line1\nApprove: https://evil.example', 'line1\\nApprove: https://evil.example'],
  ])('escapes %s', (_name, hostile, escaped) => {
    expect(slackMrkdwn(hostile)).toBe(escaped);
  });

  it('neutralises emphasis markers, which mrkdwn cannot escape, with characters of the same shape', () => {
    const escaped = slackMrkdwn('*bold* _it_ ~s~ `code`');
    expect(escaped).toBe('\u2217bold\u2217 \u02cdit\u02cd \u223cs\u223c \u02cbcode\u02cb');
    expect(escaped).not.toMatch(/[*_~`]/);
  });

  it('leaves an underscore inside a name, where Slack formats nothing, so the name can be copied', () => {
    expect(slackMrkdwn('arn:aws:iam::123456789012:role/kms_warden_role')).toBe(
      'arn:aws:iam::123456789012:role/kms_warden_role',
    );
  });

  it('keeps a value that starts a line from quoting it', () => {
    expect(slackMrkdwn('> quoted')).toBe('\u00ad&gt; quoted');
  });

  it('stops bare broadcasts, and leaves addresses alone', () => {
    expect(slackMrkdwn('ping @here and @channel, @everyone')).toBe('ping \uff20here and \uff20channel, \uff20everyone');
    expect(slackMrkdwn('alice@here.example')).toBe('alice@here.example');
  });

  it("keeps kms-warden's own line breaks in several lines, each line escaped", () => {
    expect(slackMrkdwnLines('Decided by <@U1>\nvia slack\r\n*done*')).toBe(
      'Decided by &lt;@U1&gt;\nvia slack\n\u2217done\u2217',
    );
  });

  it('cuts a long value on a whole entity', () => {
    const escaped = slackMrkdwn(`${'a'.repeat(497)}<b>`, 500);
    expect(escaped.length).toBeLessThanOrEqual(500);
    expect(escaped).not.toMatch(strayAmpersand);
    expect(escaped).toBe(`${'a'.repeat(497)}…`);
  });
});

describe('a link kms-warden makes in Slack', () => {
  it('escapes its label, and keeps its URL from ending the link early', () => {
    expect(slackLink('https://approvals.example/approvals/t0k3n?a=1&b=2', '<Approve> *now*')).toBe(
      '<https://approvals.example/approvals/t0k3n?a=1&amp;b=2|&lt;Approve&gt; \u2217now\u2217>',
    );
    expect(slackLink('https://approvals.example/a|b>c d', 'Release')).toBe(
      '<https://approvals.example/a%7Cb%3Ec%20d|Release>',
    );
  });
});

describe('Block Kit plain_text', () => {
  it('escapes first, then cuts to the limit without halving an entity', () => {
    for (let filler = 60; filler < 80; filler += 1) {
      const text = slackPlainText(`${'a'.repeat(filler)}&&&<<>>`, 75);
      expect(text.length).toBeLessThanOrEqual(75);
      expect(text).not.toMatch(strayAmpersand);
    }
  });

  it('shows a line break instead of breaking the line', () => {
    expect(slackPlainText('Disable key\nApprove re-key', 75)).toBe('Disable key\\nApprove re-key');
  });
});

describe('truncating escaped text', () => {
  it('leaves text within the limit alone', () => {
    expect(truncate('abc', 3)).toBe('abc');
  });

  it('never splits a surrogate pair', () => {
    const cut = truncate(`${'a'.repeat(8)}😀😀`, 10);
    expect(cut).toBe(`${'a'.repeat(8)}…`);
    expect(cut).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });

  it.each([1, 2, 3, 4])('never leaves part of an entity when the limit falls %i characters into it', (into) => {
    const cut = truncate(`abc&amp;def`, 3 + into + 1);
    expect(cut).toBe('abc…');
  });
});

describe('Amazon Q Developer client-markdown', () => {
  it("escapes as Slack's mrkdwn, and keeps Markdown's [label](url) from forming a link in Teams", () => {
    expect(chatMarkdown('[Approve re-key](https://evil.example) <!channel> *x*')).toBe(
      '[Approve re-key] (https://evil.example) &lt;!channel&gt; \u2217x\u2217',
    );
  });
});

describe('HTML', () => {
  it('escapes the five characters the approval page escapes', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
    expect(escapeHtml(42)).toBe('42');
  });
});
