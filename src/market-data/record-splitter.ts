/**
 * Splitting streamed text into records without holding the whole file: lines for CSV and websocket
 * captures, inner `[...]` arrays for freqtrade's JSON array files. Each yields batches of records so
 * the per-record cost stays a string slice.
 */

/** Lines of the text, without `\n` or a trailing `\r`; batches of all complete lines per chunk. */
export async function* splitLines(chunks: AsyncIterable<string>): AsyncGenerator<string[]> {
  let carry = '';
  for await (const chunk of chunks) {
    const text = carry.length > 0 ? carry + chunk : chunk;
    const lines: string[] = [];
    let start = 0;
    let nl = text.indexOf('\n', start);
    while (nl !== -1) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      lines.push(text.slice(start, end));
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    carry = text.slice(start);
    if (lines.length > 0) yield lines;
  }
  if (carry.length > 0) yield [carry.endsWith('\r') ? carry.slice(0, -1) : carry];
}

/**
 * The lines of streamed bytes, a chunk at a time, as `[start, end)` pairs into `bytes` (without `\n`, a
 * trailing `\r` or a leading UTF-8 byte order mark, which would hide a header from its parser), so a
 * parser can read them in place. The object and its `bounds` are reused: read them before the next step.
 * `final` marks the last line when the file does not end with a newline.
 */
export interface ByteLines {
  bytes: Buffer;
  bounds: Int32Array;
  /** Lines in this chunk: line i is `bytes[bounds[2i], bounds[2i + 1])`. */
  count: number;
  final: boolean;
  /**
   * The line begun in the chunk before, completed: the rest of this chunk's lines follow in the next step (a
   * reader that ends a group at each chunk's end waits for that one).
   */
  more: boolean;
}

export async function* splitByteLines(chunks: AsyncIterable<Buffer>): AsyncGenerator<ByteLines> {
  const lines: ByteLines = { bytes: Buffer.alloc(0), bounds: new Int32Array(2048), count: 0, final: false, more: false };
  const add = (start: number, end: number): void => {
    if (lines.count * 2 === lines.bounds.length) {
      const grown = new Int32Array(lines.bounds.length * 2);
      grown.set(lines.bounds);
      lines.bounds = grown;
    }
    lines.bounds[lines.count * 2] = start;
    lines.bounds[lines.count * 2 + 1] = end;
    lines.count++;
  };
  let carry: Buffer | undefined;
  let first = true;
  for await (const chunk of chunks) {
    let start = 0;
    if (carry !== undefined && !first) {
      // The line begun in the last chunk, completed on its own: only it is copied, not the whole chunk after it.
      const nl = chunk.indexOf(10);
      if (nl === -1) {
        carry = Buffer.concat([carry, chunk]);
        continue;
      }
      const line = Buffer.concat([carry, chunk.subarray(0, nl)]);
      carry = undefined;
      lines.bytes = line;
      lines.count = 0;
      lines.more = true;
      add(0, line.length > 0 && line[line.length - 1] === 13 ? line.length - 1 : line.length);
      yield lines;
      lines.more = false;
      start = nl + 1;
    }
    const bytes = carry === undefined ? chunk : Buffer.concat([carry, chunk]);
    carry = undefined;
    if (first) {
      // A first chunk of under 3 bytes may hold part of the mark: wait for the next.
      if (bytes.length < 3 && (bytes.length === 0 || (bytes[0] === 0xef && (bytes.length === 1 || bytes[1] === 0xbb)))) {
        carry = bytes;
        continue;
      }
      first = false;
      if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
    }
    lines.bytes = bytes;
    lines.count = 0;
    for (let nl = bytes.indexOf(10, start); nl !== -1; nl = bytes.indexOf(10, start)) {
      add(start, nl > start && bytes[nl - 1] === 13 ? nl - 1 : nl);
      start = nl + 1;
    }
    if (start < bytes.length) carry = bytes.subarray(start);
    yield lines;
  }
  if (carry !== undefined && carry.length > 0) {
    lines.bytes = carry;
    lines.count = 0;
    lines.final = true;
    add(0, carry[carry.length - 1] === 13 ? carry.length - 1 : carry.length);
    yield lines;
  }
}

/** Thrown when a JSON array file is not `[` followed by `[...]` records separated by commas. */
export class JsonRecordsError extends Error {
  constructor(
    message: string,
    /** Complete records before the fault: the fault is in or right after record `recordsBefore + 1`. */
    readonly recordsBefore: number,
  ) {
    super(message);
  }
}

/**
 * The inner arrays of a top-level JSON array of arrays (`[[1,2],[3,4]]`), each as the text between
 * its brackets (`1,2`); with `objects`, the flat objects of an array of objects (`[{"a":1},{"a":2}]`,
 * Upbit's REST candles), each as the text between its braces. Records must not nest arrays or objects
 * (freqtrade's candle and trade rows and Upbit's candles do not). Characters inside strings are skipped
 * so a `]` in a string does not end a record.
 */
export async function* splitJsonArrayRecords(chunks: AsyncIterable<string>, objects = false): AsyncGenerator<string[]> {
  const open = objects ? 123 : 91;
  const close = objects ? 125 : 93;
  const opener = objects ? '{' : '[';
  let depth = 0; // 0 before the outer `[`, 1 between records, 2 inside a record
  let inString = false;
  let escaped = false;
  let record = '';
  let ended = false;
  let count = 0;
  const fail = (message: string): never => {
    throw new JsonRecordsError(message, count);
  };
  for await (const chunk of chunks) {
    const records: string[] = [];
    let recStart = depth === 2 ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 92) escaped = true;
        else if (c === 34) inString = false;
        continue;
      }
      if (depth === 2) {
        if (c === 34) inString = true;
        else if (c === close) {
          records.push(record + chunk.slice(recStart, i));
          count++;
          record = '';
          depth = 1;
        } else if (c === 91 || (objects && c === 123)) fail(`nested ${c === 91 ? 'array' : 'object'} inside a record near "${chunk.slice(Math.max(0, i - 20), i + 20)}"`);
        continue;
      }
      if (c === 32 || c === 10 || c === 13 || c === 9) continue;
      if (ended) fail('text after the closing bracket of the top-level array');
      if (depth === 0) {
        if (c !== 91) fail(`expected "[" at the start, found "${chunk[i]}"`);
        depth = 1;
      } else if (c === open) {
        depth = 2;
        recStart = i + 1;
      } else if (c === 93) {
        depth = 0;
        ended = true;
      } else if (c !== 44) {
        fail(`expected "${opener}" "," or "]" between records, found "${chunk[i]}"`);
      }
    }
    if (depth === 2) record += chunk.slice(recStart);
    if (records.length > 0) yield records;
  }
  if (depth !== 0 || !ended) fail('file ends inside the JSON array (truncated?)');
}
