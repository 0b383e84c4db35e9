import { readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, join } from 'node:path';
import type { MarketEvent, MarketSymbol } from '../core/index.js';
import { InputError } from '../core/input-error.js';
import { combineLaneStats, type FileStats, type MalformedInfo } from './file-stats.js';
import { REPLAY_FORMATS, type ReplayFormat } from './formats.js';
import type { ReadOptions } from './merged-read.js';
import { readerThreadBatches, useReaderThread } from './reader-thread.js';
import { ReplayFileError } from './text-source.js';
import { checkSameMarketFiles } from './same-market-files.js';
import { parseMarketName } from './symbols.js';

// The reading itself (parsers, merge) is imported when a read runs in this thread: a command whose read runs
// in a reader thread (`coinrx backtest` on large data) starts that thread without loading them first.

export interface ReplayOptions {
  /** Skip detection: every file is read as this format. */
  format?: ReplayFormat;
  /** Market for every event (single-market files whose name does not say it). */
  market?: MarketSymbol;
  /** Candle timeframe when neither the file name nor the options say it (else the first rows' spacing). */
  timeframeMs?: number;
  /** Rebuild Binance depth books from snapshot + diffs and emit their tops (default true). */
  depthTops?: boolean;
  /** Re-sort each file's events within this many ms before the merge (default 0: file order). */
  reorderWindowMs?: number;
  /** Called once per file with its first malformed record. */
  onMalformed?: (info: MalformedInfo) => void;
  /** A pino-like logger: `warn(obj, msg)` once per file with malformed records. */
  logger?: { warn(obj: object, msg: string): void };
  /** 'throw' (default): a truncated/unreadable file rejects the stream; 'count': recorded in its stats, the rest goes on. */
  onFileError?: 'throw' | 'count';
  /**
   * Read in a worker thread (true), in this one (false), or by size (default: see reader-thread.ts;
   * the env var COINRX_READ_THREAD=1/0 forces it). Same events, batches, stats and reports either way.
   */
  readerThread?: boolean;
}

export interface ReplayStats {
  readonly files: readonly FileStats[];
  readonly events: number;
  readonly malformed: number;
  readonly ignored: number;
  readonly outOfOrder: number;
  /** Files found in directories that are not market data (README, REST captures...) and were skipped. */
  readonly skipped: readonly string[];
}

export interface ReplaySource {
  /** All events of all files merged by ts (ties in file order). Each call reads the files anew. */
  events(): AsyncIterable<MarketEvent>;
  /** The same merged stream in batches: the fast path for consumers that loop synchronously. */
  batches(): AsyncIterable<MarketEvent[]>;
  /** Totals of the latest read so far: per input file (lanes of a split file summed) and overall. */
  stats(): ReplayStats;
}

/**
 * The `performance.mark` made when a read hands its first batch to its consumer (the engine): the moment
 * `npm run bench -- startup` calls the first data (bench/_first-read.mjs, which hears the call itself).
 */
export const FIRST_BATCH_MARK = 'coinrx:first-batch';

// (Binance's public files come with a `.zip.CHECKSUM` each.)
const NOT_DATA = /^(readme|license|licence|notice|changelog)|\.(md|txt|html|py|ts|js|sh|yml|yaml|toml|checksum)$/i;

/**
 * Files to read: plain paths as given; directories expand to their data files, sorted, recursively.
 * Synchronous calls under the promise: a few dozen stats, and a read started while a command's modules
 * load (backtest.ts) reaches its reader thread at once instead of queueing behind the loader's file reads.
 */
export async function expandPaths(paths: readonly string[]): Promise<{ file: string; fromDirectory: boolean }[]> {
  const out: { file: string; fromDirectory: boolean }[] = [];
  // Directories walked under one path, by real path: a link back to a folder above (or beside) is not walked again, forever or twice.
  let walked = new Set<string>();
  const walk = (dir: string): void => {
    const real = realpathSync(dir);
    if (walked.has(real)) return;
    walked.add(real);
    const names = readdirSync(dir).sort();
    for (const name of names) {
      if (name.startsWith('.') || NOT_DATA.test(name)) continue;
      const full = join(dir, name);
      let entry: Stats;
      try {
        entry = statSync(full);
      } catch (err) {
        throw new ReplayFileError(full, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'a link to a file that does not exist' : `cannot read (${(err as Error).message})`, { cause: err });
      }
      if (entry.isDirectory()) walk(full);
      // A pipe, socket or device is no data file: opening a pipe no one writes to waits forever.
      else if (entry.isFile()) out.push({ file: full, fromDirectory: true });
    }
  };
  for (const p of paths) {
    let info: Stats;
    try {
      info = statSync(p);
    } catch (err) {
      throw new ReplayFileError(p, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : `cannot read (${(err as Error).message})`, { cause: err });
    }
    if (info.isDirectory()) {
      const before = out.length;
      walked = new Set();
      walk(p);
      if (out.length === before) throw new ReplayFileError(p, 'the directory holds no data files');
    } else if (!info.isFile()) {
      throw new ReplayFileError(p, 'not a regular file (a pipe, socket or device): the readers need a file they can read from its start; save the data to a file');
    } else out.push({ file: p, fromDirectory: false });
  }
  return out;
}

/**
 * A replay of recorded market data files (any mix of the formats in docs/data-formats.md) as one
 * event-time-ordered stream. Files are streamed, never loaded whole.
 */
export function openReplay(paths: readonly string[], options: ReplayOptions = {}): ReplaySource {
  if (options.format !== undefined && !REPLAY_FORMATS.includes(options.format)) {
    throw new InputError(`unknown format "${String(options.format)}"; one of ${REPLAY_FORMATS.join(', ')}`);
  }
  if (options.market !== undefined) {
    const market = parseMarketName(options.market);
    if (typeof market !== 'string') throw new InputError(market.reason);
  }
  let current: FileStats[][] = []; // per input file, the stats of each lane it is read as
  let fromThread: (() => FileStats[][]) | undefined; // a reader thread's latest stats, rebuilt when asked
  let reported = new Set<string>();
  // Once per file, also when a multi-market file is read as several lanes.
  const onMalformed = (info: MalformedInfo): void => {
    // A warning about records kept has its own once, apart from the first malformed record's.
    const key = info.kept === true ? `kept\u0000${info.file}` : info.file;
    if (reported.has(key)) return;
    reported.add(key);
    options.onMalformed?.(info);
    options.logger?.warn(
      { file: info.file, format: info.format, line: info.line, reason: info.reason },
      info.kept === true ? `${basename(info.file)}: ${info.reason}` : `malformed record in ${basename(info.file)} at line ${info.line}; such records are counted and skipped`,
    );
  };
  const readOptions: ReadOptions = {};
  if (options.format !== undefined) readOptions.format = options.format;
  if (options.market !== undefined) readOptions.market = options.market;
  if (options.timeframeMs !== undefined) readOptions.timeframeMs = options.timeframeMs;
  if (options.depthTops !== undefined) readOptions.depthTops = options.depthTops;
  if (options.reorderWindowMs !== undefined) readOptions.reorderWindowMs = options.reorderWindowMs;
  if (options.onFileError !== undefined) readOptions.onFileError = options.onFileError;
  async function* batches(): AsyncGenerator<MarketEvent[]> {
    let first = true;
    for await (const batch of read()) {
      if (first) {
        first = false;
        // Cleared at once: a process that opens replay after replay (optimize, training) keeps no entry a read.
        performance.mark(FIRST_BATCH_MARK);
        performance.clearMarks(FIRST_BATCH_MARK);
      }
      yield batch;
    }
  }
  async function* read(): AsyncGenerator<MarketEvent[]> {
    const inputs = await expandPaths(paths);
    // Before any event: one market's files that would be mixed are refused (same-market-files.ts).
    await checkSameMarketFiles(inputs, readOptions);
    const stats: FileStats[][] = [];
    current = stats;
    fromThread = undefined;
    reported = new Set();
    async function* inThisThread(): AsyncGenerator<MarketEvent[]> {
      const { readMerged } = await import('./merged-read.js');
      yield* readMerged(inputs, readOptions, onMalformed, stats);
    }
    if (options.readerThread === false || !(options.readerThread === true || (await useReaderThread(inputs)))) {
      yield* inThisThread();
      return;
    }
    yield* readerThreadBatches(inputs, readOptions, {
      onStats: (s) => {
        fromThread = s;
      },
      onMalformed,
      fallback: inThisThread,
    });
  }
  return {
    batches,
    events: () => flatten(batches),
    stats() {
      if (fromThread !== undefined) {
        current = fromThread();
        fromThread = undefined;
      }
      const files = current.map(combineLaneStats);
      const sum = (k: 'events' | 'malformed' | 'ignored' | 'outOfOrder'): number => files.reduce((a, s) => a + s[k], 0);
      const skipped = files.filter((f) => f.skipped !== undefined).map((f) => `${f.file}: ${f.skipped}`);
      return { files, events: sum('events'), malformed: sum('malformed'), ignored: sum('ignored'), outOfOrder: sum('outOfOrder'), skipped };
    },
  };
}

/**
 * Batches → single events with a plain async iterator: an async generator's `yield*` over each batch
 * costs several promise hops per event, this costs one.
 */
function flatten(batches: () => AsyncGenerator<MarketEvent[]>): AsyncIterable<MarketEvent> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<MarketEvent> {
      const source = batches();
      let batch: MarketEvent[] = [];
      let i = 0;
      return {
        async next(): Promise<IteratorResult<MarketEvent>> {
          while (i >= batch.length) {
            const r = await source.next();
            if (r.done === true) return { done: true, value: undefined };
            batch = r.value;
            i = 0;
          }
          return { done: false, value: batch[i++] as MarketEvent };
        },
        async return(): Promise<IteratorResult<MarketEvent>> {
          await source.return(undefined);
          return { done: true, value: undefined };
        },
      };
    },
  };
}

/** Every event of the replay in memory, with its stats: for tests and small files. */
export async function readAll(paths: readonly string[], options: ReplayOptions = {}): Promise<{ events: MarketEvent[]; stats: ReplayStats }> {
  const source = openReplay(paths, options);
  const events: MarketEvent[] = [];
  for await (const batch of source.batches()) for (const e of batch) events.push(e);
  return { events, stats: source.stats() };
}
