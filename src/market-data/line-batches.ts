import { createReadStream, openSync, readSync, closeSync } from 'node:fs';
import { createGunzip } from 'node:zlib';

/** True when the file starts with gzip's magic bytes (whatever its name says). */
export function isGzip(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/** Raw text chunks of a file, gunzipped when it is gzip. Never the whole file in memory. */
export async function* textChunks(path: string): AsyncGenerator<string> {
  const file = createReadStream(path, { highWaterMark: 1 << 16 });
  const stream = isGzip(path) ? file.pipe(createGunzip()) : file;
  file.on('error', (error) => stream.destroy(error));
  stream.setEncoding('utf8');
  try {
    for await (const chunk of stream) yield chunk as string;
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new Error(`${path}: ${e.code === 'Z_BUF_ERROR' || /unexpected end/i.test(e.message) ? 'truncated gzip' : e.message}`);
  } finally {
    stream.destroy();
  }
}

/**
 * Lines of a file in batches (one batch per decoded chunk), with the number of the batch's first line.
 * Splitting chunks ourselves is several times faster than readline's one-promise-per-line iterator.
 */
export async function* lineBatches(path: string): AsyncGenerator<{ readonly firstLine: number; readonly lines: string[] }> {
  let rest = '';
  let lineNo = 1;
  for await (const chunk of textChunks(path)) {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() as string;
    if (lines.length === 0) continue;
    yield { firstLine: lineNo, lines };
    lineNo += lines.length;
  }
  if (rest.length > 0) yield { firstLine: lineNo, lines: [rest] };
}

/**
 * The records of a JSON array of arrays (`[[…],[…],…]`, freqtrade's candle and trade files) as the text
 * of each inner array, streamed: the file is one huge line, so it is scanned chunk by chunk.
 * `index` counts records from 1 and stands in for the line number in error reports.
 */
export async function* jsonArrayRecords(path: string): AsyncGenerator<{ readonly firstLine: number; readonly lines: string[] }> {
  let depth = 0;
  let inString = false;
  let escaped = false;
  let current = '';
  let index = 1;
  for await (const chunk of textChunks(path)) {
    const records: string[] = [];
    let start = depth >= 2 ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 92 /* \ */) escaped = true;
        else if (c === 34 /* " */) inString = false;
        continue;
      }
      if (c === 34) inString = true;
      else if (c === 91 /* [ */) {
        depth++;
        if (depth === 2) start = i;
      } else if (c === 93 /* ] */) {
        if (depth === 2) {
          records.push(current + chunk.slice(start, i + 1));
          current = '';
          start = -1;
        }
        depth--;
      }
    }
    if (depth >= 2 && start >= 0) current += chunk.slice(start);
    if (records.length > 0) {
      yield { firstLine: index, lines: records };
      index += records.length;
    }
  }
  if (depth !== 0) throw new Error(`${path}: JSON array is not closed (truncated file?)`);
}
