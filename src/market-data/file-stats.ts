/**
 * What a read counts per file, apart from the reading itself (file-reader.ts): the replay's stats and its
 * reports need only these, and a command that reads in a thread loads the parsers there, not here.
 */
import type { MarketSymbol } from '../core/index.js';
import type { ReplayFormat } from './formats.js';

/** What went wrong in a file, reported once per file (at its first bad record). */
export interface MalformedInfo {
  readonly file: string;
  readonly format: ReplayFormat;
  /** 1-based line number, or record number in JSON array formats. */
  readonly line: number;
  readonly reason: string;
  /** The start of the bad record. */
  readonly sample: string;
  /** A warning about records that were read, not a record skipped (candles whose spacing overrode the file name's timeframe). */
  readonly kept?: true;
}

/** Per-file totals. `malformed` records were skipped; `ignored` ones carry nothing to emit. */
export interface FileStats {
  readonly file: string;
  format: ReplayFormat | undefined;
  market: MarketSymbol | undefined;
  /** The `market,symbol` lanes a multi-market file was read as (see lanes.ts); empty when read whole. */
  lanes: string[];
  /** Records (lines, or JSON rows) this reader parsed; a lane of a multi-market file parses only its own. */
  records: number;
  events: number;
  malformed: number;
  ignored: number;
  firstMalformedLine: number | undefined;
  /** Events whose ts is before the previous event's in the same file (after any reorder window). */
  outOfOrder: number;
  /** Binance depth sequence breaks (book tops paused until the next snapshot). */
  gaps: number;
  /** The file was read to its end. */
  done: boolean;
  /** Set when the file failed (truncated gzip with `onFileError: 'count'`). */
  error: string | undefined;
  /** Why a file found in a directory was skipped as not market data. */
  skipped: string | undefined;
}

export function emptyFileStats(file: string): FileStats {
  return {
    file,
    format: undefined,
    market: undefined,
    lanes: [],
    records: 0,
    events: 0,
    malformed: 0,
    ignored: 0,
    firstMalformedLine: undefined,
    outOfOrder: 0,
    gaps: 0,
    done: false,
    error: undefined,
    skipped: undefined,
  };
}

/** One file's stats from the stats of the lanes it was read as. */
export function combineLaneStats(lanes: readonly FileStats[]): FileStats {
  const [first, ...rest] = lanes;
  if (first === undefined) throw new Error('combineLaneStats: no lanes');
  if (rest.length === 0) return first;
  const sum = (k: 'records' | 'events' | 'malformed' | 'ignored' | 'outOfOrder' | 'gaps'): number => lanes.reduce((a, s) => a + s[k], 0);
  const firstBad = lanes.map((s) => s.firstMalformedLine).filter((n): n is number => n !== undefined);
  return {
    ...first,
    lanes: lanes.flatMap((s) => s.lanes),
    records: sum('records'),
    events: sum('events'),
    malformed: sum('malformed'),
    ignored: sum('ignored'),
    outOfOrder: sum('outOfOrder'),
    gaps: sum('gaps'),
    firstMalformedLine: firstBad.length > 0 ? Math.min(...firstBad) : undefined,
    done: lanes.every((s) => s.done),
    error: lanes.find((s) => s.error !== undefined)?.error,
  };
}
