import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecordsScanner, describePosition, valuesOf, type SourceValue } from '../../../src/replay/read-source';

/** Real records (test/fixtures/real/SOURCES.md), with strings that hold braces, quotes and escapes added. */
const real = readFileSync(join(__dirname, '../../fixtures/real/invictus-aws-dataset-kms.ndjson'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .slice(0, 40)
  .map((line) => JSON.parse(line) as Record<string, unknown>);
const tricky = real.map((record, i) => ({
  ...record,
  userAgent: i % 2 ? 'a "quoted" {brace} [bracket] \\ back\\slash ' : 'ünïcödé ✓ \u2028 line',
  requestParameters: { encryptionContext: { '}]': '[{', nested: [[{}], '"]'] } },
}));

const chunked = (bytes: Buffer, size: number) =>
  (async function* () {
    for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
  })();

const collect = async (source: AsyncIterable<SourceValue[]>) => {
  const all: SourceValue[] = [];
  for await (const batch of source) all.push(...batch);
  return all;
};
const values = (all: SourceValue[]) => all.map((v) => (v.ok ? v.value : v.problem));

describe('reading a source', () => {
  const document = Buffer.from(JSON.stringify({ Records: tricky }));

  it('reads a small CloudTrail document whole, gzipped or not, each record with its element', async () => {
    for (const bytes of [document, gzipSync(document)]) {
      const all = await collect(valuesOf(chunked(bytes, 4096)));
      expect(values(all)).toEqual(tricky);
      expect(all.map((v) => v.element)).toEqual(tricky.map((_, i) => i));
    }
  });

  it('streams a document larger than the limit at its records, whatever the chunk boundaries', async () => {
    for (const size of [1, 7, 64, 1000, 65536]) {
      const all = await collect(valuesOf(chunked(gzipSync(document), size), 2048));
      expect(values(all)).toEqual(tricky);
    }
    // Pretty-printed, with the Records key not first.
    const pretty = Buffer.from(JSON.stringify({ extra: { Records: 'no' }, Records: tricky, after: [1, 2] }, null, 2));
    expect(values(await collect(valuesOf(chunked(pretty, 333), 1024)))).toEqual(tricky);
    // A top-level array.
    expect(values(await collect(valuesOf(chunked(Buffer.from(JSON.stringify(tricky)), 500), 1024)))).toEqual(tricky);
  });

  it('keeps batches bounded while streaming', async () => {
    const many = Buffer.from(JSON.stringify({ Records: Array.from({ length: 2500 }, () => tricky[0]) }));
    const sizes: number[] = [];
    for await (const batch of valuesOf(chunked(many, 100_000), 4096)) sizes.push(batch.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(1000);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(2500);
  });

  it('counts scalars and unparseable elements in a streamed Records array as malformed, and keeps the rest', async () => {
    const text = `{"Records": [${JSON.stringify(tricky[0])}, 42, "x", {"broken": tru}, ${JSON.stringify(tricky[1])}, null]}`;
    const all = await collect(valuesOf(chunked(Buffer.from(text), 10), 64));
    expect(all.filter((v) => v.ok).map((v) => (v.ok ? v.value : undefined))).toEqual([tricky[0], tricky[1]]);
    expect(all.map((v) => `${v.element} ${v.ok ? 'ok' : v.problem.slice(0, 20)}`)).toEqual([
      '0 ok',
      '1 a value in the Recor',
      '2 a value in the Recor',
      '3 not JSON: Unexpected',
      '4 ok',
      '5 a value in the Recor',
    ]);
  });

  it('reads a large object without a Records array as one value (what it is, detection says)', async () => {
    const all = await collect(valuesOf(chunked(Buffer.from(JSON.stringify({ other: tricky })), 100), 64));
    expect(values(all)).toEqual([{ other: tricky }]);
  });

  it('reads NDJSON line by line, small or streamed, naming the line of what does not parse', async () => {
    // Past the limit, the first line tells lines from a document: the limit is above a line, below the file.
    const lines = [JSON.stringify(tricky[0]), '', 'not json', JSON.stringify({ Records: [tricky[1], tricky[2]] })];
    const text = Buffer.from([...lines, ...lines].join('\n'));
    for (const limit of [1 << 20, 2048]) {
      const all = await collect(valuesOf(chunked(text, 5), limit));
      expect(all.map((v) => describePosition('f', v))).toEqual([
        ...['f:1', 'f:3', 'f:4[0]', 'f:4[1]'],
        ...['f:5', 'f:7', 'f:8[0]', 'f:8[1]'],
      ]);
      expect(all[1]).toEqual(expect.objectContaining({ ok: false, problem: expect.stringMatching(/^not JSON/) }));
    }
  });

  it('reads nothing from an empty source', async () => {
    expect(await collect(valuesOf(chunked(Buffer.alloc(0), 10)))).toEqual([]);
  });

  it('the scanner finds each record once, across pushes of one character', () => {
    const scanner = new RecordsScanner();
    const text = JSON.stringify({ Records: tricky.slice(0, 3) });
    const found = [...text].flatMap((c) => scanner.push(c));
    expect(found.map((cut) => ('text' in cut ? JSON.parse(cut.text) : cut.problem))).toEqual(tricky.slice(0, 3));
    expect(found.map((cut) => cut.element)).toEqual([0, 1, 2]);
    expect(scanner.end()).toEqual([]);
  });

  describe('past the limit, nothing is lost without a word', () => {
    const streamed = async (text: string | Buffer, limit = 1024, maxChars?: number) =>
      collect(valuesOf(chunked(Buffer.from(text), 97), limit, maxChars));
    const line = (i: number) => JSON.stringify({ ...tricky[i % tricky.length], eventID: `e${i}` });

    it('reads NDJSON whose first line is longer than the limit, every line after it too', async () => {
      const lines = [line(0), line(1), line(2)];
      const all = await streamed(lines.join('\n'), 64);
      expect(all.map((v) => (v.ok ? (v.value as { eventID: string }).eventID : v.problem))).toEqual(['e0', 'e1', 'e2']);
      expect(all.map((v) => v.line)).toEqual([1, 2, 3]);
    });

    it('reads documents back to back, and NDJSON lines that are documents', async () => {
      const text = `${JSON.stringify({ Records: [tricky[0], tricky[1]] })}${JSON.stringify({ Records: [tricky[2]] })}\n${JSON.stringify({ Records: [tricky[3]] })}`;
      expect(values(await streamed(text))).toEqual(tricky.slice(0, 4));
    });

    it('names the lines of NDJSON that do not parse, blank lines and a bad first line included', async () => {
      const text = ['', 'not json', line(1), '{"broken": tru}', line(3), '42', line(5)].join('\n');
      const all = await streamed(text, 16);
      expect(all.map((v) => describePosition('f', v) + (v.ok ? '' : ' !'))).toEqual([
        'f:2 !',
        'f:3',
        'f:4 !',
        'f:5',
        'f:6 !',
        'f:7',
      ]);
    });

    it('says a document cut short ends inside a value, after the records it holds', async () => {
      const text = JSON.stringify({ Records: tricky.slice(0, 5) });
      const all = await streamed(text.slice(0, Math.floor(text.length * 0.7)));
      expect(all.filter((v) => v.ok).length).toBeGreaterThan(0);
      expect(all.at(-1)).toEqual(
        expect.objectContaining({ ok: false, problem: expect.stringMatching(/ends inside a value/) }),
      );
    });

    it('never holds a record over the cap: it is counted, and the records after it are read', async () => {
      const huge = { ...tricky[0], padding: 'x'.repeat(5000) };
      const text = JSON.stringify({ Records: [tricky[1], huge, tricky[2]] });
      const all = await streamed(text, 1024, 4096);
      expect(all.map((v) => (v.ok ? 'ok' : v.problem))).toEqual(['ok', 'a value over 4096 characters, not read', 'ok']);
      expect(all.map((v) => v.element)).toEqual([0, 1, 2]);
    });

    it('reads a \\u-escaped Records key as JSON.parse does, and skips a byte order mark', async () => {
      const text = `\ufeff{"\\u0052ecords": ${JSON.stringify(tricky.slice(0, 2))}}`;
      expect(values(await streamed(text, 64))).toEqual(tricky.slice(0, 2));
      expect(values(await collect(valuesOf(chunked(Buffer.from(text), 97))))).toEqual(tricky.slice(0, 2));
    });
  });
});
