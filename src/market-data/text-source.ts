import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { InputError } from '../core/index.js';

/** Raised when a file cannot be read to its end (missing, unreadable, truncated or corrupt gzip). */
export class ReplayFileError extends InputError {
  override name = 'ReplayFileError';
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${message}`, options);
  }
}

/** True when the file starts with the gzip magic bytes 1f 8b, whatever its name. */
export async function isGzipFile(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

const CHUNK_BYTES = 64 * 1024;
// A quarter of the zlib calls of 16 KiB chunks; 30 files replayed at once hold about 2 MB of them.
const GUNZIP_CHUNK = 64 * 1024;

/**
 * The file's bytes in chunks, gunzipped when its name ends in `.gz` or its first bytes say gzip.
 * Streams: memory is one chunk, never the whole file. A truncated or corrupt gzip rejects with a
 * ReplayFileError naming the file, so a replay never stops early without saying so.
 */
export async function* readByteChunks(path: string): AsyncGenerator<Buffer> {
  let gzip: boolean;
  try {
    gzip = path.endsWith('.gz') || (await isGzipFile(path));
  } catch (err) {
    throw new ReplayFileError(path, `cannot open: ${(err as Error).message}`, { cause: err });
  }
  const raw = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  const stream = gzip ? raw.pipe(createGunzip({ chunkSize: GUNZIP_CHUNK })) : raw;
  if (gzip) raw.on('error', (err) => stream.destroy(err));
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) yield chunk;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'Z_BUF_ERROR' ? 'truncated gzip' : code === 'Z_DATA_ERROR' ? `not gzip data, or corrupt (${(err as Error).message})` : (err as Error).message;
    throw new ReplayFileError(path, `${reason} (${gzip ? 'gzip' : 'plain'} read failed)`, { cause: err });
  } finally {
    raw.destroy();
    if (gzip) stream.destroy();
  }
}

/** The rest of a byte chunk stream as UTF-8 text, continuing `decoder` (a character split across chunks stays whole). */
export async function* decodeChunks(chunks: AsyncIterator<Buffer>, decoder: StringDecoder): AsyncGenerator<string> {
  try {
    for (;;) {
      const r = await chunks.next();
      if (r.done === true) break;
      const text = decoder.write(r.value);
      if (text.length > 0) yield text;
    }
    const rest = decoder.end();
    if (rest.length > 0) yield rest;
  } finally {
    await chunks.return?.(undefined);
  }
}

/** The file's text as UTF-8 chunks (see readByteChunks). */
export function readTextChunks(path: string): AsyncGenerator<string> {
  return decodeChunks(readByteChunks(path)[Symbol.asyncIterator](), new StringDecoder('utf8'));
}
