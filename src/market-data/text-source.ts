import { createReadStream, type ReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
// Not the core's index: this is the one value a reader thread needs of it, and under tsx each module a
// thread loads costs it 5-40 ms before its first batch (the index would load nine more).
import { InputError } from '../core/input-error.js';

/** Raised when a file cannot be read to its end (missing, unreadable, truncated or corrupt gzip). */
export class ReplayFileError extends InputError {
  override name = 'ReplayFileError';
  /**
   * The file broke while it was read (a truncated or corrupt gzip, a JSON array cut short), as against one
   * that is not readable market data at all (missing, empty, of no known format): only then is what it held
   * before the fault worth using (`onFileError: 'count'`, the CLI's `--skip-broken-files`).
   */
  readonly partWay: boolean;
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown; partWay?: boolean },
  ) {
    super(`${file}: ${message}`, options);
    this.partWay = options?.partWay === true;
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
  try {
    yield* gzip ? gunzipChunks(raw) : (raw as AsyncIterable<Buffer>);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'Z_BUF_ERROR' ? 'truncated gzip' : code === 'Z_DATA_ERROR' ? `not gzip data, or corrupt (${(err as Error).message})` : (err as Error).message;
    throw new ReplayFileError(path, `${reason} (${gzip ? 'gzip' : 'plain'} read failed)`, { cause: err, partWay: true });
  } finally {
    raw.destroy();
  }
}

/** Gunzipped chunks waiting for the reader, at most, before the next compressed chunk is read. */
const GUNZIP_AHEAD = 4;

/**
 * `raw` gunzipped. Every chunk gunzipped before an error is yielded before the error is thrown, so a
 * truncated file gives the same events however fast it is read (`for await` over a gunzip stream drops
 * the chunks still buffered when the stream fails: how many depended on the reader's pace). The next
 * compressed chunk is read while the reader parses, up to GUNZIP_AHEAD chunks ahead.
 */
async function* gunzipChunks(raw: ReadStream): AsyncGenerator<Buffer> {
  const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK });
  const input = (raw as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const ready: Buffer[] = [];
  let failure: unknown;
  let failed = false;
  let ended = false;
  let busy = false;
  let inputDone = false;
  let wake: (() => void) | undefined;
  const signal = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const fail = (err: unknown): void => {
    if (!failed) {
      failed = true;
      failure = err;
    }
    signal();
  };
  gunzip.on('data', (chunk: Buffer) => {
    ready.push(chunk);
    signal();
  });
  gunzip.once('error', fail);
  gunzip.once('end', () => {
    ended = true;
    signal();
  });
  /** Reads the next compressed chunk and feeds it in; `busy` until gunzip has taken it. */
  const feed = (): void => {
    busy = true;
    input.next().then((r) => {
      if (r.done === true) {
        inputDone = true;
        busy = false;
        gunzip.end();
        signal();
      } else
        gunzip.write(r.value, () => {
          busy = false;
          signal();
        });
    }, fail);
  };
  try {
    for (;;) {
      if (!busy && !inputDone && !failed && ready.length < GUNZIP_AHEAD) feed();
      const chunk = ready.shift();
      if (chunk !== undefined) {
        yield chunk;
        continue;
      }
      if (failed) throw failure;
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    gunzip.destroy();
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
