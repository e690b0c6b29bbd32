import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { Logger } from '@aws-lambda-powertools/logger';
import { SnsNotifier } from '../../../src/aws/sns-notifier';
import type { Incident } from '../../../src/incidents/incident';
import { InMemoryIncidentStore } from '../../../src/incidents/in-memory-incident-store';
import type { Notification } from '../../../src/notify/notifier';
import { composeChatNotification } from '../../../src/notify/compose-chat-notification';
import { composeNotification } from '../../../src/notify/compose-notification';
import { composeSlackMessage, slackLimits } from '../../../src/notify/compose-slack-message';
import { confirmationPage } from '../../../src/approvals/page';
import type { DecisionLink } from '../../../src/notify/decision-links';
import { chatMarkdown, plainLine, slackMrkdwn } from '../../../src/notify/escape';
import { renderRekeyProgress } from '../../../src/notify/rekey-progress';
import { SlackChannel } from '../../../src/notify/slack-channel';
import { tellPeople } from '../../../src/notify/tell-people';
import { incidentFrom } from '../../support/incidents';
import { record } from '../../support/records';

/** What an outsider can put in a user agent, a key description or tag, an IAM path or a session name. */
const hostile = [
  ['a link', '<https://evil.example|Approve re-key>'],
  ['@channel', '<!channel>'],
  ['@here', '<!here>'],
  ['a user mention', '<@U0ADMIN>'],
  ['a channel mention', '<#C0SEC>'],
  ['text already escaped', '&lt;'],
  ['emphasis', '*bold* _it_ ~s~ `code`'],
  ['a Markdown link', '[Approve re-key](https://evil.example)'],
  ['a forged line', 'line1\nApprove: https://evil.example'],
  ['a forged header', '\r\nBcc: x'],
  ['a bidi override', '\u202Eevil'],
  ['an ANSI colour', '\u001b[31mred'],
  ['zero-width characters', 'ad\u200bmin\u200d'],
  ['5,000 characters', '&<>*'.repeat(1250)],
] as const;

const links: DecisionLink[] = [
  { action: 'approve-rekey', url: 'https://approvals.example/approvals/t0k3n-rekey' },
  { action: 'disable-key', url: 'https://approvals.example/approvals/t0k3n-disable' },
  { action: 'release', url: 'https://approvals.example/approvals/t0k3n-release' },
];
const at = '2026-11-28T12:00:00.000Z';

/** An incident whose every field an outsider can write holds `text`; `rekeying` adds re-key progress written so. */
const incidentWith = (text: string, rekeying = false): Incident => {
  const base = incidentFrom(record('ScheduleKeyDeletion.assumed-role'));
  const keyArn = `arn:aws:kms:us-west-2:123456789012:key/${text}`;
  const principalArn = `arn:aws:iam::123456789012:role/${text}/tester`;
  const first = base.signals[0]!;
  return {
    ...base,
    status: rekeying ? 're-keying' : 'contained',
    keyArn,
    keyProfile: {
      aliases: [`alias/${text}`],
      description: text,
      tags: { [text]: text, owner: text },
      replicas: [text],
    },
    priorKeyState: { state: 'Enabled', basis: text },
    // What re-keying would do, listed from resources an outsider may have named.
    rekeyPlan: {
      at,
      moves: 1,
      person: 1,
      lines: [
        { key: text, how: text, person: true, stays: text },
        { key: `s3:${text}`, how: text, person: false, stays: text },
      ],
      more: 0,
      gaps: { [text]: text },
      replicaRegions: [text],
    },
    signal: {
      ...base.signal,
      keyArn,
      summary: text,
      principal: { ...base.signal.principal, arn: principalArn, sessionName: text, path: `/${text}/` },
      source: { ...base.signal.source, eventName: text, eventId: text, sourceIp: text, userAgent: text },
      evidence: { userAgent: text },
    },
    signals: [
      first,
      { ...first, id: `later#${text}`, summary: text, eventId: text, eventName: text, sourceIp: text, userAgent: text },
    ],
    plan: [
      { type: 'deny-principal-in-key-policy', params: { keyArn, principalArn }, run: 'automatic' },
      { type: 'ask-a-person', params: { what: text, why: text }, run: 'automatic' },
      { type: 'disable-key', params: { keyArn }, run: 'approval' },
      { type: 'cancel-key-deletion', params: { keyArn, restoreState: 'Enabled' }, run: 'automatic' },
    ],
    results: rekeying
      ? [
          { outcome: 'applied', before: {}, after: { summary: text } },
          { outcome: 'needs-person', error: text, message: text, remedy: text },
          { outcome: 'not-run', reason: text },
          { outcome: 'skipped', reason: text },
        ]
      : [
          { outcome: 'failed', error: text, message: text },
          { outcome: 'needs-person', error: text, message: text, remedy: text },
          { outcome: 'not-run', reason: text },
          { outcome: 'skipped', reason: text },
        ],
    ...(rekeying
      ? {
          rekey: {
            startedAt: at,
            startedBy: text,
            oldKeyArn: keyArn,
            pendingWindowDays: 30,
            replacementKeyArn: keyArn,
            aliasesMoved: [`alias/${text}`],
            resources: {
              [`s3:us-west-2:${text}`]: {
                service: 's3',
                kind: 'bucket',
                id: text,
                region: 'us-west-2',
                status: 'needs-human',
                detail: text,
                instructions: [text, text],
                at,
              },
            },
            inventoryGaps: { [text]: text },
            failure: { error: text, cause: text, at },
          },
        }
      : {}),
  };
};

/** Every text object of a Slack message, with the block it sits in and its limit. */
const textsOf = (message: ReturnType<typeof composeSlackMessage>) => {
  const found: Array<{ where: string; type: string; text: string; verbatim?: boolean; max: number }> = [];
  const add = (where: string, object: unknown, max: number) => {
    const { type, text, verbatim } = object as { type: string; text: string; verbatim?: boolean };
    found.push({ where, type, text, ...(verbatim === undefined ? {} : { verbatim }), max });
  };
  for (const block of message.blocks as Array<Record<string, unknown>>) {
    if (block.type === 'header') add('header', block.text, slackLimits.headerText);
    if (block.type === 'section' && block.text) add('section', block.text, slackLimits.sectionText);
    for (const field of (block.fields as unknown[] | undefined) ?? []) add('field', field, slackLimits.fieldText);
    for (const element of (block.elements as Array<Record<string, unknown>> | undefined) ?? []) {
      if (block.type === 'context') add('context', element, slackLimits.contextText);
      if (element.type !== 'button') continue;
      const confirm = element.confirm as Record<string, unknown>;
      add('button', element.text, slackLimits.buttonText);
      add('confirm title', confirm.title, slackLimits.confirmTitle);
      add('confirm text', confirm.text, slackLimits.confirmText);
    }
  }
  return found;
};

/** Slack text with the links kms-warden made itself taken out: `<url|label>` for one of the decision URLs. */
const withoutOwnLinks = (text: string) =>
  text.replace(/<([^|>]*)\|[^>]*>/g, (whole, url: string) => (links.some((l) => l.url === url) ? '' : whole));

/** Every `&` in escaped text starts one of Slack's three entities: else it is unescaped, or an entity cut in half. */
const strayAmpersand = /&(?!amp;|lt;|gt;)/;
/** What could hide text or forge a line, but kms-warden's own line breaks and its quote guard (a soft hyphen). */
const hiddenCharacter = /(?![\n\u00ad])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
/** A line the hostile text would have started, had it been obeyed. */
const forgedLine = /^[\s•-]*(?:Approve: https:\/\/evil|Bcc: x)/m;
const lineCount = (text: string) => text.split('\n').length;

/**
 * A lead is a paragraph kms-warden writes (who decided what, what waits for a person): its line breaks are its
 * writer's, so a value from outside goes into it folded into one line (plainLine); all else is escaped here.
 */
const leadWith = (text: string) => `Decided by ${plainLine(text)} via slack.\nIt is disabled.`;

/** What is wrong with text shown in Slack or Amazon Q's markdown: nothing, when every outsider's value is escaped. */
const markupProblems = (shown: string): string[] => [
  ...(/[<>]/.test(withoutOwnLinks(shown)) ? ['an unescaped < or >'] : []),
  ...(strayAmpersand.test(shown) ? ['an & that starts no entity'] : []),
  ...(hiddenCharacter.test(shown) ? ['a hidden character'] : []),
  ...(forgedLine.test(shown) ? ['a forged line'] : []),
  ...['*bold*', '_it_', '~s~', '`code`']
    .filter((markup) => shown.includes(markup))
    .map((markup) => `the markup ${markup}`),
];

describe.each([false, true])('messages about an incident full of hostile text (re-keying: %s)', (rekeying) => {
  const benign = incidentWith('benign', rekeying);

  describe('Slack', () => {
    it.each(hostile)('escapes %s everywhere, and keeps within Block Kit limits', (_name, text) => {
      const message = composeSlackMessage(incidentWith(text, rekeying), links, leadWith(text));
      const reference = textsOf(composeSlackMessage(benign, links, leadWith('benign')));
      const texts = textsOf(message);

      expect(texts.map((t) => t.where)).toEqual(reference.map((t) => t.where));
      expect(texts.map((t) => [t.where, markupProblems(t.text)])).toEqual(texts.map((t) => [t.where, []]));
      for (const [i, { type, text: shown, verbatim, max }] of texts.entries()) {
        expect(shown.length).toBeLessThanOrEqual(max);
        expect(lineCount(shown)).toBeLessThanOrEqual(lineCount(reference[i]!.text));
        if (type === 'mrkdwn') expect(verbatim).toBe(true);
      }
      expect(markupProblems(message.text)).toEqual([]);
      const whatHappened = texts.find((t) => t.text.startsWith('*What happened*'))!.text;
      expect(whatHappened).toContain(slackMrkdwn(text, 500));
    });

    it('keeps its buttons: each carries its decision token', () => {
      const message = composeSlackMessage(incidentWith('<!channel>', rekeying), links);
      const actions = message.blocks.find((b) => b.type === 'actions') as { elements: Array<{ value: string }> };
      expect(actions.elements.map((e) => e.value)).toEqual(['t0k3n-rekey', 't0k3n-disable', 't0k3n-release']);
    });
  });

  describe('email (SNS)', () => {
    it.each(hostile)('shows %s without letting it start a line or hide text', (_name, text) => {
      const { subject, text: body } = composeNotification(incidentWith(text, rekeying), links);
      const reference = composeNotification(benign, links).text;

      expect(subject).not.toMatch(/[\r\n]/);
      expect(subject.length).toBeLessThan(100);
      expect(body).not.toMatch(hiddenCharacter);
      expect(body).not.toMatch(forgedLine);
      expect(lineCount(body)).toBe(lineCount(reference));
      for (const link of links) expect(body).toContain(`: ${link.url}`);
    });
  });

  describe('Amazon Q Developer in chat applications', () => {
    it.each(hostile)('carries %s escaped for client-markdown, in JSON that parses', async (_name, text) => {
      const chat = composeChatNotification(incidentWith(text, rekeying), links);
      const reference = composeChatNotification(benign, links);
      const sns = mockClient(SNSClient);
      sns.on(PublishCommand).resolves({ MessageId: 'm-1' });

      await new SnsNotifier(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:123456789012:t').send({
        ...composeNotification(incidentWith(text, rekeying), links),
        chat,
      });
      const published = JSON.parse(sns.commandCalls(PublishCommand)[0]!.args[0].input.Message!) as { https: string };
      sns.restore();

      expect(JSON.parse(published.https)).toEqual(chat);
      const { title, description, nextSteps } = chat.content;
      const shown = [title, description, ...nextSteps, ...chat.metadata.relatedResources];
      expect(shown.map(markupProblems)).toEqual(shown.map(() => []));
      // Teams reads Markdown, where [label](url) is a link.
      for (const field of shown) expect(field).not.toContain('](');
      expect(description).toContain(chatMarkdown(text, 500));
      expect(lineCount(description)).toBe(lineCount(reference.content.description));
      expect(nextSteps.slice(1)).toEqual([
        'Approve re-key: https://approvals.example/approvals/t0k3n-rekey',
        'Disable key: https://approvals.example/approvals/t0k3n-disable',
        'Release (false positive): https://approvals.example/approvals/t0k3n-release',
      ]);
    });
  });
});

describe('the approval page about an incident full of hostile text', () => {
  it.each(hostile)('shows %s as text: no markup, no hidden or reordered characters', (_name, text) => {
    const incident = incidentWith(text, true);
    const subject = Object.keys(incident.rekey!.resources)[0]!;
    for (const html of [
      confirmationPage(incident, 'approve-rekey', 'tok'),
      confirmationPage(incident, 'acknowledge', 'tok', undefined, subject),
    ]) {
      const body = html.slice(html.indexOf('<body>'));
      // Only the page's own tags: every < an outsider wrote is &lt;.
      expect(
        body
          .match(/<[a-z/!][^>]*>/g)!
          .every((tag) =>
            /^<\/?(body|h1|h2|h3|dl|dt|dd|code|ul|ol|li|p|strong|form|button|label|br|textarea|html|fieldset|legend|input)\b/.test(
              tag,
            ),
          ),
      ).toBe(true);
      for (const hidden of ['\u202e', '\u200b', '\u200d', '\u001b', '\r']) expect(body).not.toContain(hidden);
    }
    expect(confirmationPage(incident, 'approve-rekey', 'tok')).toContain('What its owners say it protects');
  });
});

describe('re-key progress for a terminal', () => {
  it.each(hostile)(
    'shows %s in a resource without an ANSI sequence or line break reaching the terminal',
    (_n, text) => {
      const incident = incidentWith(text, true);
      const reference = incidentWith('benign', true);
      for (const tty of [true, false]) {
        const lines = renderRekeyProgress(incident, { tty });
        expect(lines.join('\n')).not.toMatch(hiddenCharacter);
        expect(lines).toHaveLength(renderRekeyProgress(reference, { tty }).length);
      }
    },
  );
});

describe('telling people with a lead that carries hostile text', () => {
  it.each(hostile)('escapes %s in the email, its subject, the Slack message and its thread reply', async (_n, text) => {
    const incidents = new InMemoryIncidentStore();
    const incident = { ...incidentWith(text), slackMessage: { channel: 'C0INCIDENTS', ts: '1.0' } };
    await incidents.open(incident);
    const sent: Notification[] = [];
    const calls: Array<{ method: string; body: Record<string, unknown> }> = [];
    const post = (async (url: string, init: RequestInit) => {
      calls.push({ method: url.slice(url.lastIndexOf('/') + 1), body: JSON.parse(String(init.body)) });
      return Response.json({ ok: true });
    }) as typeof fetch;
    const bot = JSON.stringify({ botToken: 'xoxb-1-2-abc', channel: 'C0INCIDENTS' });

    await tellPeople(
      incident,
      {
        notifier: { send: async (n) => (sent.push(n), 'm') },
        slack: new SlackChannel({ bytes: async () => Buffer.from(bot) }, post, 'https://slack.test/api/'),
        incidents,
        logger: new Logger({ logLevel: 'SILENT' }),
        now: () => new Date(at),
      },
      { lead: leadWith(text), subjectPrefix: `Reminder ${text}` },
      links,
    );

    const [email] = sent;
    expect(email!.subject).not.toMatch(/[\r\n]/);
    expect(email!.subject.length).toBeLessThan(100);
    expect(email!.text).not.toMatch(hiddenCharacter);
    expect(email!.text).not.toMatch(forgedLine);
    expect(email!.text.startsWith('Decided by ')).toBe(true);
    expect(email!.text.split('\n').slice(0, 2)[1]).toBe('It is disabled.');
    expect(calls.map((c) => c.method)).toEqual(['chat.update', 'chat.postMessage']);
    for (const { body } of calls) expect(body.parse).toBe('none');
    const reply = calls[1]!.body.text as string;
    expect(markupProblems(reply)).toEqual([]);
    expect(lineCount(reply)).toBeLessThanOrEqual(2);
    const context = (calls[0]!.body.blocks as Array<{ type: string; elements?: Array<{ text: string }> }>).find(
      (block) => block.type === 'context',
    )!;
    expect(markupProblems(context.elements![0]!.text)).toEqual([]);
  });
});
