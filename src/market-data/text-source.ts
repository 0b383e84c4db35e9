import { createReadStream, type ReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import type { Transform } from 'node:stream';
import { createGunzip, createInflateRaw } from 'node:zlib';
// Not the core's index: this is the one value a reader thread needs of it, and under tsx each module a
// thread loads costs it 5-40 ms before its first batch (the index would load nine more).
import { InputError } from '../core/input-error.js';
import { isZipHead, zipMember, type ZipMember } from './zip-member.js';

/** Raised when a file cannot be read to its end (missing, unreadable, truncated or corrupt gzip or zip). */
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

/** How a data file is packed: told by its first bytes (gzip's 1f 8b, zip's `PK\3\4`), else by its name. */
type Packing = { readonly kind: 'plain' } | { readonly kind: 'gzip' } | { readonly kind: 'zip'; readonly member: ZipMember };

async function packingOf(path: string): Promise<Packing> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    // A `.gz` name on a file that starts as text (gunzipped but not renamed) is read as the text it is.
    if ((bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) || (path.endsWith('.gz') && !startsAsText(head.subarray(0, bytesRead)))) return { kind: 'gzip' };
    if (isZipHead(head.subarray(0, bytesRead)) || path.endsWith('.zip')) return { kind: 'zip', member: await zipMember(handle) };
    return { kind: 'plain' };
  } finally {
    await handle.close();
  }
}

/** Printable ASCII, tabs and line breaks, or a UTF-8 byte order mark: no gzip stream starts so (its first byte is 1f). */
function startsAsText(head: Buffer): boolean {
  if (head.length === 0) return false;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return true;
  return head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 0x20 && b < 0x7f));
}

const CHUNK_BYTES = 64 * 1024;
// A quarter of the zlib calls of 16 KiB chunks; 30 files replayed at once hold about 2 MB of them.
const GUNZIP_CHUNK = 64 * 1024;

/**
 * The file's bytes in chunks, gunzipped when its name ends in `.gz` or its first bytes say gzip, inflated when
 * it is a zip archive of one file (Binance's public data). Streams: memory is one chunk, never the whole file.
 * A truncated or corrupt file rejects with a ReplayFileError naming the file, so a replay never stops early
 * without saying so.
 */
export async function* readByteChunks(path: string): AsyncGenerator<Buffer> {
  let packing: Packing;
  try {
    packing = await packingOf(path);
  } catch (err) {
    throw new ReplayFileError(path, (err as NodeJS.ErrnoException).code === undefined ? (err as Error).message : `cannot open: ${(err as Error).message}`, { cause: err });
  }
  const member = packing.kind === 'zip' ? packing.member : undefined;
  const raw = createReadStream(path, {
    highWaterMark: CHUNK_BYTES,
    ...(member ? { start: member.start, ...(member.method === 0 ? { end: member.start + member.storedSize - 1 } : {}) } : {}),
  });
  try {
    if (packing.kind === 'gzip') yield* inflateChunks(raw, createGunzip({ chunkSize: GUNZIP_CHUNK }));
    else if (member?.method === 8) yield* inflateChunks(raw, createInflateRaw({ chunkSize: GUNZIP_CHUNK }));
    else if (member) yield* storedChunks(raw, member.storedSize);
    else yield* raw as AsyncIterable<Buffer>;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const kind = packing.kind;
    const reason = code === 'Z_BUF_ERROR' ? `truncated ${kind}` : code === 'Z_DATA_ERROR' ? `not ${kind} data, or corrupt (${(err as Error).message})` : (err as Error).message;
    throw new ReplayFileError(path, `${reason} (${kind} read failed)`, { cause: err, partWay: true });
  } finally {
    raw.destroy();
  }
}

/** A stored zip member's bytes: an archive that ends before them all is a truncated one, as a cut deflate stream is. */
async function* storedChunks(raw: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let read = 0;
  for await (const chunk of raw) {
    read += chunk.length;
    yield chunk;
  }
  if (read < size) throw Object.assign(new Error('unexpected end of file'), { code: 'Z_BUF_ERROR' });
}

/** Inflated chunks waiting for the reader, at most, before the next compressed chunk is read. */
const GUNZIP_AHEAD = 4;

/**
 * `raw` through `inflate` (gunzip, or a zip member's raw inflate). Every chunk inflated before an error is yielded
 * before the error is thrown, so a truncated file gives the same events however fast it is read (`for await`
 * over a gunzip stream drops the chunks still buffered when the stream fails: how many depended on the
 * reader's pace). The next compressed chunk is read while the reader parses, up to GUNZIP_AHEAD chunks ahead.
 */
async function* inflateChunks(raw: ReadStream, inflate: Transform): AsyncGenerator<Buffer> {
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
  inflate.on('data', (chunk: Buffer) => {
    ready.push(chunk);
    signal();
  });
  inflate.once('error', fail);
  inflate.once('end', () => {
    ended = true;
    signal();
  });
  /** Reads the next compressed chunk and feeds it in; `busy` until inflate has taken it. */
  const feed = (): void => {
    busy = true;
    input.next().then((r) => {
      if (r.done === true) {
        inputDone = true;
        busy = false;
        inflate.end();
        signal();
      } else
        inflate.write(r.value, () => {
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
    inflate.destroy();
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
