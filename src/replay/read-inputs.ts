import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { gunzipSync, createGunzip } from 'node:zlib';

/** One JSON value read from a file, or a line that is not JSON. */
export type RawInput = { ok: true; value: unknown; where: string } | { ok: false; problem: string; where: string };

export class UnreadableFileError extends Error {
  override readonly name = 'UnreadableFileError';
  constructor(readonly file: string, options?: ErrorOptions) {
    super(`cannot read ${file}: ${(options?.cause as Error | undefined)?.message ?? 'unknown error'}`, options);
  }
}

const isGzip = async (file: string): Promise<boolean> => {
  const handle = await open(file, 'r');
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await handle.close();
  }
};

/** A CloudTrail log file's {"Records": [...]}, or a JSON array, is many events; anything else is one. */
function* expand(value: unknown, where: string): Generator<RawInput> {
  const records = value && typeof value === 'object' && !Array.isArray(value) ? (value as { Records?: unknown }).Records : undefined;
  const many = Array.isArray(records) ? records : Array.isArray(value) ? value : undefined;
  if (!many) {
    yield { ok: true, value, where };
    return;
  }
  for (let i = 0; i < many.length; i += 1) yield { ok: true, value: many[i], where: `${where}[${i}]` };
}

async function* wholeDocument(file: string, gzip: boolean): AsyncGenerator<RawInput> {
  const bytes = await readFile(file);
  const text = (gzip ? gunzipSync(bytes) : bytes).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    yield { ok: false, problem: `not JSON: ${(error as Error).message}`, where: file };
    return;
  }
  yield* expand(value, file);
}

/**
 * Reads CloudTrail log files as delivered to S3 ({"Records": [...]}, plain or gzip), NDJSON (one event or record
 * per line, plain or gzip) and single JSON documents (an EventBridge event, pretty-printed or not). NDJSON is
 * streamed line by line, so memory stays flat whatever the file size.
 */
export async function* readInputs(file: string): AsyncGenerator<RawInput> {
  let gzip: boolean;
  try {
    gzip = await isGzip(file);
  } catch (error) {
    throw new UnreadableFileError(file, { cause: error });
  }
  const source = createReadStream(file);
  const lines = createInterface({ input: gzip ? source.pipe(createGunzip()) : source, crlfDelay: Infinity });
  let lineNumber = 0;
  let sawValue = false;
  try {
    for await (const line of lines) {
      lineNumber += 1;
      const trimmed = line.trim();
      if (trimmed === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(trimmed);
      } catch (error) {
        if (!sawValue) {
          // Not line-delimited: a pretty-printed document. Read it whole instead.
          lines.close();
          source.destroy();
          yield* wholeDocument(file, gzip);
          return;
        }
        yield { ok: false, problem: `not JSON: ${(error as Error).message}`, where: `${file}:${lineNumber}` };
        continue;
      }
      sawValue = true;
      yield* expand(value, `${file}:${lineNumber}`);
    }
  } catch (error) {
    throw new UnreadableFileError(file, { cause: error });
  }
}
