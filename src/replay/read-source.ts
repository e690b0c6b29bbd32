import { StringDecoder } from 'node:string_decoder';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/**
 * The JSON values of one source (a CloudTrail log file, NDJSON, an event file; gzipped or not), in order, in batches
 * of bounded size: memory stays bounded whatever the source's size.
 *
 * - A source whose text is at most `wholeLimit` bytes is parsed whole: one `JSON.parse` of a CloudTrail file (a
 *   {"Records":[...]} document on one line) is the fastest way to read it, and CloudTrail's files are small.
 * - Past that, the text is cut as it streams by a scanner that knows JSON's strings: into its top-level values (an
 *   NDJSON line, a document; one after another), and a document's Records array (or a top-level array) into its
 *   elements, so no more than a batch is in memory at once. A value over `maxValueChars` is counted, never held.
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
/** The largest record or line held while streaming: CloudTrail's records are a few KB, EventBridge's events 256 KB. */
export const maxValueChars = 16 << 20;
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

/** What the scanner cut out: a value's text, or why there is none; with its line, and its index in a Records array. */
export type Cut =
  { text: string; line: number; element?: number } | { problem: string; line: number; element?: number };

/**
 * Cuts JSON text, as it streams, into records. At the top level it reads one value after another (NDJSON's lines,
 * documents back to back): an object is one record unless it has a "Records" array, whose elements are the records; an
 * array's elements are records. It reads the text once, jumping from quote to quote inside strings (most of a
 * record), and never joins the text it was given except to hand out a record.
 */
export class RecordsScanner {
  private depth = 0;
  private line = 1;
  private inString = false;
  private escaped = false;
  /** Depth of the records array (1: a top-level array; 2: a top-level object's "Records"), or -1. */
  private arrayDepth = -1;
  /** At depth 1 of a top-level object: the next string is a key. */
  private expectKey = false;
  private readingKey = false;
  private keyParts: string[] = [];
  private lastKey = '';
  /** In the records array, after `[` or `,`: the next value is an element. */
  private expectElement = false;
  private element = 0;
  /** The value being kept: the whole top-level object, or a records array's element. */
  private capturing: 'top' | 'element' | undefined;
  private parts: string[] = [];
  private captured = 0;
  private oversized = false;
  private valueLine = 1;
  /** Garbage at the top level (not an object or array): skipped to the end of its line. */
  private skippingLine = false;

  constructor(private readonly maxChars = maxValueChars) {}

  push(text: string): Cut[] {
    const out: Cut[] = [];
    let start = this.capturing && !this.oversized ? 0 : -1;
    const keep = (end: number) => {
      if (this.oversized || start < 0) return;
      this.captured += end - start;
      if (this.captured > this.maxChars) {
        this.oversized = true;
        this.parts = [];
      } else this.parts.push(text.slice(start, end));
    };
    const finish = (end: number) => {
      keep(end);
      const position = { line: this.valueLine, ...(this.capturing === 'element' ? { element: this.element } : {}) };
      out.push(
        this.oversized
          ? { problem: `a value over ${this.maxChars} characters, not read`, ...position }
          : { text: this.parts.join(''), ...position },
      );
      if (this.capturing === 'element') this.element += 1;
      this.capturing = undefined;
      this.parts = [];
      this.captured = 0;
      this.oversized = false;
      start = -1;
    };
    for (let i = 0; i < text.length; i += 1) {
      if (this.inString) {
        if (this.escaped) {
          this.escaped = false;
          continue;
        }
        let end = text.indexOf('"', i);
        while (end >= 0) {
          let slashes = 0;
          while (end - slashes - 1 >= i && text.charCodeAt(end - slashes - 1) === 0x5c) slashes += 1;
          if (slashes % 2 === 0) break;
          end = text.indexOf('"', end + 1);
        }
        if (end < 0) {
          // The string goes on in the next text; a backslash at the very end escapes what comes first there.
          let slashes = 0;
          while (text.length - slashes - 1 >= i && text.charCodeAt(text.length - slashes - 1) === 0x5c) slashes += 1;
          this.escaped = slashes % 2 === 1;
          if (this.readingKey) this.keyParts.push(text.slice(i));
          i = text.length;
          break;
        }
        if (this.readingKey) {
          this.keyParts.push(text.slice(i, end));
          this.readingKey = false;
        }
        this.inString = false;
        i = end;
        continue;
      }
      const c = text.charCodeAt(i);
      if (c === 0x0a) {
        this.line += 1;
        if (this.skippingLine) this.skippingLine = false;
        continue;
      }
      if (this.skippingLine || c === 0x20 || c === 0x0d || c === 0x09) continue;
      if (this.depth === 0) {
        // A top-level value starts.
        this.valueLine = this.line;
        if (c === 0x7b) {
          this.depth = 1;
          this.expectKey = true;
          this.capturing = 'top';
          start = i;
        } else if (c === 0x5b) {
          this.depth = 1;
          this.arrayDepth = 1;
          this.expectElement = true;
          this.element = 0;
        } else if (c === 0xfeff && this.line === 1) {
          // A byte order mark: not text.
        } else {
          out.push({ problem: 'not JSON: a line that is not an object or an array', line: this.line });
          this.skippingLine = true;
        }
        continue;
      }
      const atArray = this.depth === this.arrayDepth;
      if (atArray && this.expectElement) {
        this.expectElement = false;
        if (c === 0x7b || c === 0x5b) {
          this.capturing = 'element';
          this.valueLine = this.line;
          start = i;
        } else if (c !== 0x5d) {
          out.push({
            problem: 'a value in the Records array that is not a record',
            line: this.line,
            element: this.element,
          });
          this.element += 1;
        }
      }
      switch (c) {
        case 0x22: // "
          this.inString = true;
          if (this.depth === 1 && this.arrayDepth < 0 && this.expectKey) {
            this.readingKey = true;
            this.keyParts = [];
          }
          break;
        case 0x3a: // :
          if (this.depth === 1 && this.arrayDepth < 0) {
            this.expectKey = false;
            const raw = this.keyParts.join('');
            this.lastKey = raw.includes('\\') ? decodedKey(raw) : raw;
          }
          break;
        case 0x2c: // ,
          if (atArray) {
            this.expectElement = true;
          } else if (this.depth === 1 && this.arrayDepth < 0) this.expectKey = true;
          break;
        case 0x7b: // {
        case 0x5b: // [
          this.depth += 1;
          if (c === 0x5b && this.depth === 2 && this.arrayDepth < 0 && this.lastKey === 'Records' && !this.expectKey) {
            // A CloudTrail document: its records are what is read, not the document.
            this.arrayDepth = 2;
            this.expectElement = true;
            this.element = 0;
            this.capturing = undefined;
            this.parts = [];
            this.captured = 0;
            this.oversized = false;
            start = -1;
          }
          break;
        case 0x7d: // }
        case 0x5d: // ]
          this.depth -= 1;
          if (this.capturing === 'element' && this.depth === this.arrayDepth) finish(i + 1);
          else if (this.arrayDepth > 0 && this.depth === this.arrayDepth - 1) {
            // The records array closed.
            this.arrayDepth = -1;
          }
          if (this.depth === 0) {
            if (this.capturing === 'top') finish(i + 1);
            this.lastKey = '';
            this.arrayDepth = -1;
          }
          break;
      }
    }
    keep(text.length);
    return out;
  }

  /** What is left when the text ends: a value not closed is said, not dropped. */
  end(): Cut[] {
    if (this.depth === 0 && !this.inString) return [];
    return [{ problem: 'not JSON: the text ends inside a value (cut short?)', line: this.valueLine }];
  }
}

const decodedKey = (raw: string): string => {
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
};

/**
 * Reads a source's values in order and in batches. `chunks` are its raw bytes (from a file, or an S3 object's body).
 */
export async function* valuesOf(
  chunks: AsyncIterable<Buffer>,
  wholeLimit: number = defaultWholeLimit,
  maxChars: number = maxValueChars,
): AsyncGenerator<SourceValue[]> {
  const decoder = new StringDecoder('utf8');
  const held: string[] = [];
  let heldBytes = 0;
  let scanner: RecordsScanner | undefined;
  const batch: SourceValue[] = [];

  const take = (cuts: Cut[]) => {
    for (const cut of cuts) {
      const position = { line: cut.line, ...(cut.element === undefined ? {} : { element: cut.element }) };
      if ('problem' in cut) {
        batch.push({ ok: false, problem: cut.problem, ...position });
        continue;
      }
      try {
        batch.push({ ok: true, value: JSON.parse(cut.text), ...position });
      } catch (error) {
        batch.push({ ok: false, problem: notJson(error), ...position });
      }
    }
  };

  for await (const chunk of decompressed(chunks)) {
    const text = decoder.write(chunk);
    if (!scanner) {
      held.push(text);
      heldBytes += chunk.length;
      if (heldBytes <= wholeLimit) continue;
      // Too large to hold whole: from here on it streams.
      scanner = new RecordsScanner(maxChars);
      const sofar = held.splice(0, held.length);
      for (const part of sofar) take(scanner.push(part));
    } else {
      take(scanner.push(text));
    }
    while (batch.length >= batchValues) yield batch.splice(0, batchValues);
  }
  const tail = decoder.end();
  if (scanner) {
    take(scanner.push(tail));
    take(scanner.end());
  } else {
    yield* wholeValues(held.join('') + tail);
    return;
  }
  while (batch.length > 0) yield batch.splice(0, batchValues);
}

/**
 * A small source, read whole: one JSON document (a CloudTrail file, a pretty-printed event), or else lines. A value
 * on the first line is on line 1; a document over several lines has no line.
 */
function* wholeValues(raw: string): Generator<SourceValue[]> {
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  if (text.trim() === '') return;
  let whole: unknown;
  let parsed = false;
  try {
    whole = JSON.parse(text);
    parsed = true;
  } catch {
    // Not one document: lines, each its own.
  }
  if (parsed) {
    const newline = text.indexOf('\n');
    const line = newline < 0 || newline >= text.trimEnd().length ? { line: 1 } : {};
    const many = manyOf(whole);
    if (!many) {
      yield [{ ok: true, value: whole, ...line }];
      return;
    }
    for (let i = 0; i < many.length; i += batchValues)
      yield many.slice(i, i + batchValues).map((value, k) => ({ ok: true, value, ...line, element: i + k }));
    return;
  }
  let batch: SourceValue[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n += 1) {
    const line = lines[n]!;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      batch.push({ ok: false, problem: notJson(error), line: n + 1 });
      continue;
    }
    const many = manyOf(value);
    if (!many) batch.push({ ok: true, value, line: n + 1 });
    else for (let i = 0; i < many.length; i += 1) batch.push({ ok: true, value: many[i], line: n + 1, element: i });
    if (batch.length >= batchValues) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
