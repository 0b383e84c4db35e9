import { basename } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { CandleEvent, MarketEvent, MarketSymbol } from '../core/index.js';
import { detectFormat, isJsonArrayFormat, isJsonObjectsFormat, type ReplayFormat } from './formats.js';
import { CandleParser } from './parsers/candle-parser.js';
import type { RecordParser } from './parsers/record-parser.js';
import {
  BinanceTradesCsvParser,
  BinanceVisionTradesParser,
  FreqtradeTradesParser,
  NautilusTradesCsvParser,
  TardisTradesCsvParser,
} from './parsers/trade-parsers.js';
import { WsCaptureParser } from './parsers/ws-capture-parser.js';
import { UpbitCandlesParser } from './parsers/upbit-candles-parser.js';
import { JsonRecordsError, splitByteLines, splitJsonArrayRecords, splitLines } from './record-splitter.js';
import { detectFileFormat, laneTakes, type Lane } from './lanes.js';
import { CandleColumns } from './candle-columns.js';
import { VALUES as IMPORTED_VALUES } from './event-columns.js';
import { ReorderBuffer } from './reorder-buffer.js';
import { hintsFromFileName, nameSaysFutures } from './symbols.js';
import { decodeChunks, readByteChunks, ReplayFileError } from './text-source.js';
import type { FileStats, MalformedInfo } from './file-stats.js';

/** A local binding: loaded as CommonJS (a reader thread under tsx) every use of an import is a getter call. */
const VALUES = IMPORTED_VALUES;

export interface FileReadOptions {
  format?: ReplayFormat;
  market?: MarketSymbol;
  timeframeMs?: number;
  depthTops?: boolean;
  reorderWindowMs?: number;
  onMalformed?: (info: MalformedInfo) => void;
  /** 'throw' (default): an unreadable or truncated file rejects the replay; 'count': its stats record the error and the replay goes on. */
  onFileError?: 'throw' | 'count';
  /** For files found in a directory: an undetectable file is skipped (reason in its stats), not an error. */
  skipUndetected?: boolean;
  /** Read only this lane's records of a multi-market file (see lanes.ts). */
  lane?: Lane;
}

function parserFor(format: ReplayFormat, file: string, options: FileReadOptions, stats: FileStats): RecordParser {
  const hints = hintsFromFileName(basename(file));
  const market = options.market ?? hints.market;
  stats.market = market;
  const needMarket = (): MarketSymbol => {
    if (market === undefined) throw new ReplayFileError(file, `${format}: the file name names no market (as BTC_USDT-5m.csv names BTC/USDT); rename it or give --market BASE/QUOTE`);
    return market;
  };
  switch (format) {
    case 'candles-csv':
      return new CandleParser(needMarket(), options.timeframeMs ?? hints.timeframeMs, true);
    case 'candles-json':
      return new CandleParser(needMarket(), options.timeframeMs ?? hints.timeframeMs, false);
    case 'upbit-candles-json':
      // Each candle names its market; a `unit` (minutes) its timeframe.
      return new UpbitCandlesParser(options.market, options.timeframeMs, hints.timeframeMs);
    case 'binance-trades-csv':
      return new BinanceTradesCsvParser(options.market);
    case 'binance-vision-trades-csv':
      return new BinanceVisionTradesParser(needMarket(), 'trades');
    case 'binance-vision-aggtrades-csv':
      return new BinanceVisionTradesParser(needMarket(), 'aggTrades');
    case 'tardis-trades-csv':
      return new TardisTradesCsvParser(options.market);
    case 'nautilus-trades-csv':
      return new NautilusTradesCsvParser(needMarket());
    case 'freqtrade-trades-json':
      return new FreqtradeTradesParser(needMarket());
    case 'ws-capture':
      return new WsCaptureParser({
        futures: nameSaysFutures(basename(file)),
        ...(options.market !== undefined ? { market: options.market } : {}),
        depthTops: options.depthTops ?? true,
      });
  }
}

/** Counts each batch a file yields into `stats`: its events, and those earlier than the latest before them. */
function batchCounter(stats: FileStats): (batch: MarketEvent[]) => MarketEvent[] {
  let lastTs = -Infinity;
  return (batch) => {
    for (const e of batch) {
      if (e.ts < lastTs) stats.outOfOrder++;
      else lastTs = e.ts;
    }
    stats.events += batch.length;
    return batch;
  };
}

/** Parses one record into `into`, counting it as ignored or malformed in `stats` (the first malformed line reported once). */
function parseRecordInto(parser: RecordParser, record: string, into: MarketEvent[], line: number, file: string, options: FileReadOptions, stats: FileStats): void {
  const outcome = parser.parse(record, into);
  if (outcome === 'ignored') stats.ignored++;
  else if (outcome === 'malformed' && stats.malformed++ === 0) {
    stats.firstMalformedLine = line;
    options.onMalformed?.({ file, format: stats.format as ReplayFormat, line, reason: parser.lastError ?? 'malformed', sample: record.slice(0, 200) });
  }
  if (parser.warning !== undefined) reportWarning(parser, line, record, file, options, stats);
}

/** The parser's warning (records read, none skipped), once, through onMalformed marked `kept`. */
function reportWarning(parser: RecordParser, line: number, record: string, file: string, options: FileReadOptions, stats: FileStats): void {
  const reason = parser.warning as string;
  parser.warning = undefined;
  options.onMalformed?.({ file, format: stats.format as ReplayFormat, line, reason, sample: record.slice(0, 200), kept: true });
}

/** A fault part-way through a file (a truncated gzip or zip, a JSON array cut short): what was read before it is used. */
function isPartWay(err: unknown): boolean {
  return err instanceof JsonRecordsError || (err instanceof ReplayFileError && err.partWay);
}

/**
 * At a fault part-way, the records the parser holds (candles waiting for their timeframe, Upbit's answer)
 * come out as at the file's end; one it cannot emit (a lone candle row without a timeframe) goes with the fault.
 */
function flushHeld(parser: RecordParser, out: MarketEvent[], lines: number, file: string, options: FileReadOptions, stats: FileStats): void {
  try {
    endRecords(parser, out, lines, file, options, stats);
  } catch {
    // The fault is the file's error; this one would hide it.
  }
}

/** The end of a file's records: what the parser held comes out, and its warning if that made one. */
function endRecords(parser: RecordParser, out: MarketEvent[], lines: number, file: string, options: FileReadOptions, stats: FileStats): void {
  parser.end?.(out);
  if (parser.warning !== undefined) reportWarning(parser, lines, '', file, options, stats);
}

/** Prepends an already-read chunk (text or bytes) to the rest of a chunk stream; closing it closes the file. */
async function* prepend<T>(first: T, rest: AsyncIterator<T>): AsyncGenerator<T> {
  try {
    yield first;
    for (;;) {
      const r = await rest.next();
      if (r.done === true) return;
      yield r.value;
    }
  } finally {
    await rest.return?.(undefined);
  }
}

/**
 * One file's events in file order (or re-sorted within `reorderWindowMs`), as batches. Updates `stats`
 * as it goes; malformed records are counted, reported once through `onMalformed`, and skipped.
 */
export function readFileEvents(file: string, options: FileReadOptions, stats: FileStats, opened?: OpenedFile): AsyncGenerator<MarketEvent[]> {
  return readGuarded(file, options, stats, false, opened) as AsyncGenerator<MarketEvent[]>;
}

/**
 * readFileEvents as a reader thread reads: the same batches, at the same points, with the same stats,
 * but candle CSV read from its bytes comes as CandleColumns (one object, refilled for each group once
 * the previous one is taken) instead of event objects.
 */
export function readFileBatches(file: string, options: FileReadOptions, stats: FileStats, opened?: OpenedFile): AsyncGenerator<MarketEvent[] | CandleColumns> {
  return readGuarded(file, options, stats, true, opened);
}

/**
 * A file's byte chunks already asked for their first one (openFile): the read that is given it goes on
 * from there instead of opening the file again. A file that could not be opened rejects `first` with
 * the error its read would have thrown.
 */
export interface OpenedFile {
  readonly chunks: AsyncIterator<Buffer>;
  readonly first: Promise<IteratorResult<Buffer>>;
}

/** Opens the file's byte chunks and asks for the first one (see OpenedFile). */
export function openFile(file: string): OpenedFile {
  const chunks = readByteChunks(file)[Symbol.asyncIterator]();
  const first = chunks.next();
  // Awaited by the read (or closeOpenedFile), perhaps later: not an unhandled rejection meanwhile.
  first.catch(() => undefined);
  return { chunks, first };
}

/** Closes an opened file no read took. */
export async function closeOpenedFile(opened: OpenedFile): Promise<void> {
  await opened.first.catch(() => undefined);
  await opened.chunks.return?.(undefined);
}

/** The format of an opened file, from its first chunk (as detectFileFormat reads it); undefined when unreadable or empty. */
export async function openedFileFormat(file: string, opened: OpenedFile): Promise<ReplayFormat | { reason: string } | undefined> {
  const first = await opened.first.catch(() => undefined);
  if (first === undefined || first.done === true) return undefined;
  const text = new StringDecoder('utf8').write(first.value);
  // detectFileFormat's text is the first non-empty decoded chunk: a first chunk that decodes to nothing is left to it.
  return text.length > 0 ? detectFormat(basename(file), text) : detectFileFormat(file).catch(() => undefined);
}

async function* readGuarded(file: string, options: FileReadOptions, stats: FileStats, columns: boolean, opened: OpenedFile | undefined): AsyncGenerator<MarketEvent[] | CandleColumns> {
  try {
    yield* readUnguarded(file, options, stats, columns, opened);
    stats.done = true;
  } catch (err) {
    const wrapped =
      err instanceof ReplayFileError ? err : new ReplayFileError(file, (err as Error).message, { cause: err });
    if (options.onFileError === 'count') {
      stats.error = wrapped.message;
      return;
    }
    throw wrapped;
  }
}

async function* readUnguarded(file: string, options: FileReadOptions, stats: FileStats, columns: boolean, opened: OpenedFile | undefined): AsyncGenerator<MarketEvent[] | CandleColumns> {
  const chunks = opened?.chunks ?? readByteChunks(file)[Symbol.asyncIterator]();
  const first = await (opened?.first ?? chunks.next());
  const decoder = new StringDecoder('utf8');
  const text = first.done === true ? undefined : decoder.write(first.value);
  const format = await withFormat(file, text, chunks, options, stats);
  if (format === undefined || first.done === true || text === undefined) return;
  // Candle CSV, the bulk of a backtest's input, is parsed from the bytes (no string per row); other formats as text.
  if (format === 'candles-csv' && options.lane === undefined && !(options.reorderWindowMs !== undefined && options.reorderWindowMs > 0)) {
    yield* columns ? parseCandleColumns(file, prepend(first.value, chunks), options, stats) : parseCandleBytes(file, prepend(first.value, chunks), options, stats);
    return;
  }
  // a UTF-8 byte order mark would hide the header from the parser
  yield* parseRecords(file, prepend(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, decodeChunks(chunks, decoder)), options, stats);
}

/** Detects the format from the first chunk's text; undefined (file closed) when there is nothing to read. */
async function withFormat(file: string, first: string | undefined, chunks: AsyncIterator<Buffer>, options: FileReadOptions, stats: FileStats): Promise<ReplayFormat | undefined> {
  if (first === undefined) {
    stats.format = options.format;
    // A file named on purpose that holds nothing is a mistake worth one line; in a directory it is skipped and noted.
    if (options.skipUndetected !== true) throw new ReplayFileError(file, 'the file is empty');
    stats.skipped = 'empty file';
    return undefined;
  }
  let format = options.format;
  if (format === undefined) {
    const detected = detectFormat(basename(file), first);
    if (typeof detected !== 'string') {
      await chunks.return?.(undefined);
      if (options.skipUndetected !== true) {
        throw new ReplayFileError(file, `cannot detect the format (${detected.reason}); docs/data-formats.md lists the formats read, --format forces one`);
      }
      stats.skipped = detected.reason;
      return undefined;
    }
    format = detected;
  }
  stats.format = format;
  return format;
}

/**
 * A chunk's records are parsed and handed on this many events at a time, each group when the reader
 * asks for it. A merge of many files holds every file's current group: parsed a chunk at once (hundreds
 * of events a file), those outlived the young generation and were copied and promoted by the garbage
 * collector; parsed just before use, they die young.
 */
const PARSED_BATCH = 128;

async function* parseRecords(file: string, text: AsyncGenerator<string>, options: FileReadOptions, stats: FileStats): AsyncGenerator<MarketEvent[]> {
  const format = stats.format as ReplayFormat;
  let parser: RecordParser;
  try {
    parser = parserFor(format, file, options, stats);
  } catch (err) {
    await text.return(undefined);
    throw err;
  }
  const json = isJsonArrayFormat(format);
  const records = json ? splitJsonArrayRecords(text, isJsonObjectsFormat(format)) : splitLines(text);
  const reorder = options.reorderWindowMs !== undefined && options.reorderWindowMs > 0 ? new ReorderBuffer(options.reorderWindowMs) : undefined;
  const lane = options.lane;
  if (lane !== undefined) stats.lanes = [lane.own.slice(0, -1)];
  let lineNo = 0;
  let parsed: MarketEvent[] = [];
  let out: MarketEvent[] = [];
  const finish = batchCounter(stats);
  try {
    for await (const batch of records) {
      for (const record of batch) {
        const n = ++lineNo;
        if (lane !== undefined && !laneTakes(lane, record)) continue;
        stats.records++;
        // A blank line (trailing ones, a spreadsheet's empty rows) is no record in any line format, not a bad trade row.
        if (record.length === 0 && !json) {
          stats.ignored++;
          continue;
        }
        if (reorder === undefined && parsed.length >= PARSED_BATCH) {
          const ready = parsed;
          parsed = [];
          yield finish(ready);
        }
        parseRecordInto(parser, record, parsed, n, file, options, stats);
      }
      if (reorder !== undefined) {
        for (const e of parsed) reorder.push(e, out);
        parsed.length = 0;
      } else {
        out = parsed;
        parsed = [];
      }
      if (parser.gaps !== undefined) stats.gaps = parser.gaps;
      if (out.length > 0) {
        yield finish(out);
        out = [];
      }
    }
  } catch (err) {
    if (isPartWay(err)) {
      // What the parser holds and the reorder window are what the file gave before its fault (onFileError: 'count').
      flushHeld(parser, parsed, lineNo, file, options, stats);
      if (reorder !== undefined) {
        for (const e of parsed) reorder.push(e, out);
        reorder.flush(out);
      } else out = parsed;
      if (out.length > 0) yield finish(out);
    }
    if (err instanceof JsonRecordsError) throw new ReplayFileError(file, `record ${err.recordsBefore + 1}: ${err.message}`, { partWay: true });
    throw err;
  }
  endRecords(parser, parsed, lineNo, file, options, stats);
  if (reorder !== undefined) {
    for (const e of parsed) reorder.push(e, out);
    reorder.flush(out);
  } else out = parsed;
  if (out.length > 0) yield finish(out);
}

/** The file's candle parser; a file it cannot be made for (no market in its name) closes its chunks first. */
async function candleParserFor(file: string, chunks: AsyncGenerator<Buffer>, options: FileReadOptions, stats: FileStats): Promise<CandleParser> {
  try {
    return parserFor(stats.format as ReplayFormat, file, options, stats) as CandleParser;
  } catch (err) {
    await chunks.return(undefined);
    throw err;
  }
}

/**
 * parseRecords for candle CSV, from the file's bytes: rows are found with a byte search and parsed in
 * place (CandleParser.parseBytes); a row it does not take (the header, a blank or malformed row) is
 * decoded and parsed as text, so outcomes, counts and messages are the text path's.
 */
async function* parseCandleBytes(file: string, chunks: AsyncGenerator<Buffer>, options: FileReadOptions, stats: FileStats): AsyncGenerator<MarketEvent[]> {
  const parser = await candleParserFor(file, chunks, options, stats);
  let lineNo = 0;
  let parsed: MarketEvent[] = [];
  const finish = batchCounter(stats);
  /** A row the byte path did not take, as text. */
  const parseText = (record: string, n: number): void => {
    parseRecordInto(parser, record, parsed, n, file, options, stats);
  };
  try {
    for await (const { bytes, bounds, count, final, more } of splitByteLines(chunks)) {
      for (let i = 0; i < count * 2; i += 2) {
        const start = bounds[i] as number;
        const end = bounds[i + 1] as number;
        const n = ++lineNo;
        stats.records++;
        if (parsed.length >= PARSED_BATCH) {
          const ready = parsed;
          parsed = [];
          yield finish(ready);
        }
        if (!parser.parseBytes(bytes, start, end, parsed)) parseText(bytes.toString('utf8', start, end), n);
      }
      // A last line without a newline goes out with what the parser's end adds; a line completed across two
      // chunks goes out with the rest of its chunk.
      if (!final && !more && parsed.length > 0) {
        const ready = parsed;
        parsed = [];
        yield finish(ready);
      }
    }
  } catch (err) {
    if (isPartWay(err)) {
      flushHeld(parser, parsed, lineNo, file, options, stats);
      if (parsed.length > 0) yield finish(parsed);
    }
    throw err;
  }
  endRecords(parser, parsed, lineNo, file, options, stats);
  if (parsed.length > 0) yield finish(parsed);
}

/** batchCounter for a file's candle columns. */
function columnCounter(stats: FileStats): (batch: CandleColumns) => CandleColumns {
  let lastTs = -Infinity;
  return (batch) => {
    const { count, values } = batch;
    for (let v = 0; v < count * VALUES; v += VALUES) {
      const ts = values[v] as number;
      if (ts < lastTs) stats.outOfOrder++;
      else lastTs = ts;
    }
    stats.events += count;
    return batch;
  };
}

/**
 * parseCandleBytes into columns (a reader thread's read): the same groups yielded at the same rows, the
 * rows the byte path does not take parsed as text and their candles copied into the columns.
 */
async function* parseCandleColumns(file: string, chunks: AsyncGenerator<Buffer>, options: FileReadOptions, stats: FileStats): AsyncGenerator<CandleColumns> {
  const parser = await candleParserFor(file, chunks, options, stats);
  let lineNo = 0;
  // Room for a group and a candle a text row adds (push grows it for the rows held until the timeframe is known).
  const batch = new CandleColumns(stats.market as string, PARSED_BATCH + 2);
  const finish = columnCounter(stats);
  const text: MarketEvent[] = [];
  /** A row the byte path did not take, as text. */
  const parseText = (record: string, n: number): void => {
    parseRecordInto(parser, record, text, n, file, options, stats);
    for (const e of text) batch.push(e as CandleEvent);
    text.length = 0;
  };
  const parseRow = (bytes: Buffer, start: number, end: number, n: number): void => {
    batch.reserve(1);
    if (parser.parseBytesToColumns(bytes, start, end, batch.values, batch.count * VALUES)) batch.count++;
    else parseText(bytes.toString('utf8', start, end), n);
  };
  try {
    for await (const { bytes, bounds, count, final, more } of splitByteLines(chunks)) {
      for (let i = 0; i < count * 2; i += 2) {
        const n = ++lineNo;
        stats.records++;
        if (batch.count >= PARSED_BATCH) {
          yield finish(batch);
          batch.count = 0;
        }
        parseRow(bytes, bounds[i] as number, bounds[i + 1] as number, n);
      }
      if (!final && !more && batch.count > 0) {
        yield finish(batch);
        batch.count = 0;
      }
    }
  } catch (err) {
    if (isPartWay(err)) {
      flushHeld(parser, text, lineNo, file, options, stats);
      for (const e of text) batch.push(e as CandleEvent);
      if (batch.count > 0) yield finish(batch);
    }
    throw err;
  }
  endRecords(parser, text, lineNo, file, options, stats);
  for (const e of text) batch.push(e as CandleEvent);
  if (batch.count > 0) yield finish(batch);
}
