/**
 * One escape per channel kms-warden writes to. Everything an outsider can write (CloudTrail fields, key descriptions
 * and tags, IAM names and paths, session names, AWS error messages) goes through the escape of the channel it is put
 * in; kms-warden's own words and markup are put around the escaped text, never through it.
 *
 * The composers hand these plain text that is one line by contract (a helper's line, a field): a line break in it
 * came from outside, so every escape but the multi-line ones shows it (`\n`) instead of breaking the line.
 */

/**
 * What can hide text, move it or forge a line: control characters (Cc: CR, LF, ESC of ANSI sequences, NEL), format
 * characters (Cf: bidi embeddings, overrides and isolates U+202A-U+202E and U+2066-U+2069, zero-width characters,
 * soft hyphen, byte order mark, tag characters), line and paragraph separators, and lone surrogates.
 */
const hidden = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** A hidden character as people can read it: `\n`, `\u202e`, `\u{e0041}`. */
const shown = (character: string): string => {
  const code = character.codePointAt(0)!;
  return named[character] ?? (code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`);
};

/**
 * Cuts already-escaped text to at most `max` characters (UTF-16 units, as Slack and SNS count), ending in `marker`:
 * never inside an entity (`&amp;` cut to `&am` would show as text, or join what follows) nor a surrogate pair.
 */
export const truncate = (text: string, max: number, marker = '…'): string => {
  if (text.length <= max) return text;
  let cut = Math.max(0, max - marker.length);
  const lastKept = text.charCodeAt(cut - 1);
  if (lastKept >= 0xd800 && lastKept <= 0xdbff) cut -= 1;
  const entityStart = text.lastIndexOf('&', cut - 1);
  if (entityStart >= 0 && cut - entityStart < 8) {
    const entityEnd = text.indexOf(';', entityStart);
    if (entityEnd >= cut && /^&#?[a-z0-9]+;$/i.test(text.slice(entityStart, entityEnd + 1))) cut = entityStart;
  }
  return `${text.slice(0, cut)}${marker}`;
};

const capped = (text: string, max: number | undefined, marker?: string) =>
  max === undefined ? text : truncate(text, max, marker);

/**
 * Plain text, one line (an email body's field, a log line, the terminal): every hidden character is made visible,
 * so a hostile value cannot start a line of its own (a fake `Approve: https://...`), colour or clear a terminal, or
 * reorder what is read after it.
 */
export const plainLine = (value: string, max?: number): string => capped(value.replace(hidden, shown), max);

/** Plain text of several lines that kms-warden joined itself (a lead): its line breaks kept, CR and the rest shown. */
export const plainText = (value: string, max?: number): string =>
  capped(
    value
      .replace(/\r\n/g, '\n')
      .split('\n')
      .map((line) => plainLine(line))
      .join('\n'),
    max,
  );

/** An email subject: one line, and SNS takes subjects of fewer than 100 characters. */
export const emailSubject = (value: string): string => truncate(plainLine(value), 99, '...');

/**
 * Slack's three control characters, as its "Escaping text" section asks: "Slack uses &, <, and > as control
 * characters for special parsing in text objects, so they must be converted to HTML entities".
 * https://api.slack.com/reference/surfaces/formatting#escaping
 * Everything is escaped again, `&lt;` included: text an outsider already escaped must show as they wrote it.
 */
const slackEntities = (text: string): string =>
  text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);

/**
 * mrkdwn has no escape for its emphasis markers (* _ ~ `), and a zero-width space next to one makes it format rather
 * than stop it (https://github.com/yhatt/jsx-slack/blob/main/docs/about-escape-and-exact-mode.md). A marker in an
 * outsider's text could strike through or embolden kms-warden's own words on the line, or close the code span an
 * ARN is shown in; it is replaced by a character of the same shape that Slack does not parse. An underscore between
 * two letters or digits formats nothing in Slack, so `kms_warden_role` stays as it is (and can be copied).
 */
const slackEmphasis = (text: string): string =>
  text
    .replace(/\*/g, '\u2217')
    .replace(/~/g, '\u223c')
    .replace(/`/g, '\u02cb')
    .replace(/(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, '\u02cd');

/**
 * Bare @here, @channel and @everyone notify a whole channel wherever Slack parses text for mentions (the top-level
 * `text`, an incoming webhook, a mrkdwn object without `verbatim`); a full-width at sign shows the same and notifies
 * nobody. An address like `alice@here.example` is left alone.
 */
const slackBroadcasts = (text: string): string =>
  text.replace(/(?<![\w.+-])@(?=(?:here|channel|everyone)\b)/gi, '\uff20');

/** `>` at the start of a line quotes it, escaped or not (`&gt;`); a soft hyphen before it keeps it text. */
const slackQuote = (escaped: string): string => (escaped.startsWith('&gt;') ? `\u00ad${escaped}` : escaped);

/**
 * Slack mrkdwn, one line: hidden characters shown, & < > as entities (no link, mention or command can be formed),
 * emphasis markers and broadcasts neutralised. Put it in mrkdwn text objects with `verbatim: true`, so Slack does
 * not link bare URLs and channel names in it either.
 */
export const slackMrkdwn = (value: string, max?: number): string =>
  capped(slackQuote(slackEntities(slackBroadcasts(slackEmphasis(plainLine(value))))), max);

/** Slack mrkdwn of several lines kms-warden joined itself (a lead): each line escaped, the line breaks kept. */
export const slackMrkdwnLines = (value: string, max?: number): string =>
  capped(
    value
      .replace(/\r\n/g, '\n')
      .split('\n')
      .map((line) => slackMrkdwn(line))
      .join('\n'),
    max,
  );

/**
 * A link kms-warden makes itself, `<url|label>`: the label escaped as mrkdwn; in the URL `&` is an entity as
 * everywhere in Slack text, and what would end the link early (`|`, `<`, `>`, white space) is percent-encoded.
 * Only for URLs kms-warden built (a decision link): an outsider's URL is text, and goes through slackMrkdwn.
 */
export const slackLink = (url: string, label: string): string =>
  `<${url.replace(/[|<>\s]/g, encodeURIComponent).replace(/&/g, '&amp;')}|${slackMrkdwn(label)}>`;

/**
 * A Block Kit plain_text object's text (a header, a button, a confirmation): Slack parses no mrkdwn in it, but its
 * text model still holds & < > as entities, and each such field has a length limit (header 150, button 75,
 * confirmation title 100 and text 300): escaped first, then cut on a whole entity.
 */
export const slackPlainText = (value: string, max: number): string => truncate(slackEntities(plainLine(value)), max);

/**
 * Amazon Q Developer in chat applications, custom notifications with `textType: client-markdown`: "renders
 * notifications in the target chat platform's markdown", Slack's mrkdwn in Slack, so the text is escaped as mrkdwn
 * (its title, description and next steps take markdown). Microsoft Teams reads Markdown, where `[label](url)` is a
 * link: a space after the `]` keeps it text.
 * https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html
 */
export const chatMarkdown = (value: string, max?: number): string =>
  capped(slackMrkdwn(value).replace(/\]\(/g, '] ('), max);

/** HTML text and attribute values (the approval pages): the same five characters as src/approvals/page.ts. */
export const escapeHtml = (value: unknown): string =>
  String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
