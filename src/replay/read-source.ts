import { StringDecoder } from 'node:string_decoder';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/**
 * The JSON values of one source (a CloudTrail log file, NDJSON, an event file; gzipped or not), in order, in batches
 * of bounded size: memory stays bounded whatever the source's size.
 *
 * - A source whose text is at most `wholeLimit` bytes is parsed whole: one `JSON.parse` of a CloudTrail file (a
 *   {"Records":[...]} document on one line) is the fastest way to read it, and CloudTrail's files are small.
 * - Past that, an NDJSON source is cut at its lines, and a document is cut at the elements of its Records array (or of
 *   a top-level array) by a scanner that knows JSON's strings, so no more than a batch is in memory at once.
 *
 * A line that holds a document with Records is many values too. Where a value came from is kept as numbers (its line,
 * its element), made into text only for the few that are malformed.
 */
export type SourceValue =
  | { ok: true; value: unknown; line?: number; element?: number }
  | { ok: false; problem: string; line?: number; element?: number };

/** Where a value came from: `file:line[element]`, each part when known. */
export const describePosition = (where: string, value: { line?: number; element?: number }): string =>
  `${where}${value.line === undefined ? '' : `:${value.line}`}${value.element === undefined ? '' : `[${value.element}]`}`;

export const defaultWholeLimit = 8 << 20;
const batchValues = 1_000;

/** A CloudTrail log file's {"Records": [...]}, or a JSON array, is many values; anything else is one. */
export const manyOf = (value: unknown): unknown[] | undefined => {
  if (Array.isArray(value)) return value;
  const records = value && typeof value === 'object' ? (value as { Records?: unknown }).Records : undefined;
  return Array.isArray(records) ? records : undefined;
};

const notJson = (error: unknown) => `not JSON: ${(error as Error).message}`;

/** Gunzips when the bytes start with gzip's magic number (1f 8b), whatever the name says. */
async function* decompressed(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const iterator = chunks[Symbol.asyncIterator]();
  // The first two bytes, however the source is cut.
  let head: Buffer = Buffer.alloc(0);
  while (head.length < 2) {
    const next = await iterator.next();
    if (next.done) break;
    head = head.length === 0 ? next.value : Buffer.concat([head, next.value]);
  }
  if (head.length === 0) return;
  const all = (async function* () {
    yield head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  })();
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    // Large chunks: with zlib's default 16 KB ones, moving bytes costs more than parsing them.
    yield* Readable.from(all).pipe(createGunzip({ chunkSize: 1 << 20 })) as AsyncIterable<Buffer>;
    return;
  }
  yield* all;
}

/**
 * Cuts a JSON document into the texts of its records: the elements of its "Records" array, or of a top-level array.
 * It reads the text once, tracking strings (braces inside them do not count) and depth; an element is the text from
 * its opening brace or bracket at the array's depth to its match. A scalar element is counted, never kept.
 */
export class RecordsScanner {
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** The depth of the records array once found: 1 for a top-level array, 2 for {"Records": [...]}. */
  private arrayDepth = -1;
  private readingKey = false;
  private key = '';
  private lastKey = '';
  /** After the array's opening bracket or a comma in it: the next value is an element. */
  private expectElement = false;
  /** The start of an element not yet complete, carried to the next text. */
  private pending = '';
  /** Scalars found among the records: not records, counted as malformed. */
  scalars = 0;

  push(text: string): string[] {
    const out: string[] = [];
    const source = this.pending.length > 0 ? this.pending + text : text;
    let start = this.pending.length > 0 ? 0 : -1;
    for (let i = this.pending.length; i < source.length; i += 1) {
      if (this.inString) {
        // Most of a record is string: jump to the next quote, and count the backslashes before it.
        if (this.escaped) {
          this.escaped = false;
          if (this.readingKey) this.key += source[i];
          continue;
        }
        let end = source.indexOf('"', i);
        while (end >= 0) {
          let slashes = 0;
          while (end - slashes - 1 >= i && source.charCodeAt(end - slashes - 1) === 0x5c) slashes += 1;
          if (slashes % 2 === 0) break;
          end = source.indexOf('"', end + 1);
        }
        if (end < 0) {
          // The string goes on in the next text; a backslash at the very end escapes what comes first there.
          let slashes = 0;
          while (source.length - slashes - 1 >= i && source.charCodeAt(source.length - slashes - 1) === 0x5c)
            slashes += 1;
          this.escaped = slashes % 2 === 1;
          if (this.readingKey) this.key += source.slice(i, source.length - (this.escaped ? 1 : 0));
          i = source.length;
          break;
        }
        if (this.readingKey) {
          this.key += source.slice(i, end);
          this.readingKey = false;
        }
        this.inString = false;
        i = end;
        continue;
      }
      const c = source.charCodeAt(i);
      // Whitespace changes nothing.
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
      const atArray = this.depth === this.arrayDepth;
      if (atArray && this.expectElement) {
        this.expectElement = false;
        if (c === 0x7b || c === 0x5b) start = i;
        else if (c !== 0x5d) this.scalars += 1;
      }
      switch (c) {
        case 0x22: // "
          this.inString = true;
          if (this.depth === 1 && this.arrayDepth === -1) {
            this.readingKey = true;
            this.key = '';
          }
          break;
        case 0x3a: // :
          if (this.depth === 1) this.lastKey = this.key;
          break;
        case 0x2c: // ,
          if (atArray) this.expectElement = true;
          break;
        case 0x7b: // {
        case 0x5b: // [
          this.depth += 1;
          if (
            this.arrayDepth === -1 &&
            c === 0x5b &&
            (this.depth === 1 || (this.depth === 2 && this.lastKey === 'Records'))
          ) {
            this.arrayDepth = this.depth;
            this.expectElement = true;
          }
          break;
        case 0x7d: // }
        case 0x5d: // ]
          this.depth -= 1;
          if (this.depth === this.arrayDepth && start >= 0) {
            out.push(source.slice(start, i + 1));
            start = -1;
          } else if (this.depth === this.arrayDepth - 1) {
            // The records array closed: anything after it is not a record.
            this.arrayDepth = -2;
          }
          break;
      }
    }
    this.pending = start >= 0 ? source.slice(start) : '';
    return out;
  }

  /** Whether a records array was found. */
  get foundArray(): boolean {
    return this.arrayDepth !== -1;
  }
}

/**
 * Reads a source's values in order and in batches. `chunks` are its raw bytes (from a file, or an S3 object's body).
 */
export async function* valuesOf(
  chunks: AsyncIterable<Buffer>,
  wholeLimit: number = defaultWholeLimit,
): AsyncGenerator<SourceValue[]> {
  const decoder = new StringDecoder('utf8');
  const held: string[] = [];
  let heldBytes = 0;
  let layout: 'lines' | 'document' | undefined;
  let scanner: RecordsScanner | undefined;
  let rest = '';
  let lineNumber = 0;
  let element = 0;
  const batch: SourceValue[] = [];

  /** One line's values: a line holding a document with Records is each of them. */
  const takeLine = (text: string, line: number | undefined) => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      batch.push({ ok: false, problem: notJson(error), line });
      return;
    }
    const many = manyOf(value);
    if (!many) batch.push({ ok: true, value, line });
    else for (let i = 0; i < many.length; i += 1) batch.push({ ok: true, value: many[i], line, element: i });
  };
  const takeLines = (text: string, final: boolean) => {
    const lines = (rest + text).split('\n');
    rest = final ? '' : lines.pop()!;
    for (const line of lines) {
      lineNumber += 1;
      if (line.trim() !== '') takeLine(line, lineNumber);
    }
  };
  const takeElements = (text: string) => {
    for (const record of scanner!.push(text)) {
      try {
        batch.push({ ok: true, value: JSON.parse(record), element });
      } catch (error) {
        batch.push({ ok: false, problem: notJson(error), element });
      }
      element += 1;
    }
  };
  const take = (text: string, final: boolean) => (layout === 'lines' ? takeLines(text, final) : takeElements(text));

  for await (const chunk of decompressed(chunks)) {
    const text = decoder.write(chunk);
    if (layout === undefined) {
      held.push(text);
      heldBytes += chunk.length;
      if (heldBytes <= wholeLimit) continue;
      // Too large to hold whole: the first line tells NDJSON from a document, and the rest streams.
      const sofar = held.join('');
      held.length = 0;
      const newline = sofar.indexOf('\n');
      layout = 'document';
      if (newline > 0) {
        try {
          JSON.parse(sofar.slice(0, newline));
          layout = 'lines';
        } catch {
          // Not a line of its own: a document.
        }
      }
      if (layout === 'document') scanner = new RecordsScanner();
      take(sofar, false);
    } else {
      take(text, false);
    }
    while (batch.length >= batchValues) yield batch.splice(0, batchValues);
  }
  const tail = decoder.end();
  if (layout === undefined) {
    const text = held.join('') + tail;
    held.length = 0;
    let whole: unknown;
    let parsed = false;
    try {
      whole = JSON.parse(text);
      parsed = true;
    } catch {
      // Not one document: lines, each its own.
    }
    if (parsed) {
      const many = manyOf(whole);
      if (!many) yield [{ ok: true, value: whole }];
      else
        for (let i = 0; i < many.length; i += batchValues)
          yield many.slice(i, i + batchValues).map((value, k) => ({ ok: true, value, element: i + k }));
      return;
    }
    layout = 'lines';
    takeLines(text, true);
  } else if (layout === 'lines') {
    takeLines(tail, true);
  } else {
    takeElements(tail);
    const scalars = scanner!.scalars;
    if (!scanner!.foundArray)
      batch.push({ ok: false, problem: `a document over ${wholeLimit} bytes without a Records array` });
    else if (scalars > 0)
      batch.push({ ok: false, problem: `${scalars} value(s) in the Records array that are not records` });
  }
  while (batch.length > 0) yield batch.splice(0, batchValues);
}
