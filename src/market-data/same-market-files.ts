import { basename } from 'node:path';
import type { MarketSymbol } from '../core/index.js';
import { InputError } from '../core/input-error.js';
import { emptyFileStats } from './file-stats.js';
import type { ReplayFormat } from './formats.js';
import type { ReadInput, ReadOptions } from './merged-read.js';
import { hintsFromFileName } from './symbols.js';

// The readers are imported only when two files name one market (the check then reads them): every replay
// runs this check first, and most never need them.

/** Formats whose market comes from the file name (or --market) rather than from their rows. */
const NAMED_MARKET: ReadonlySet<ReplayFormat> = new Set(['candles-csv', 'candles-json', 'nautilus-trades-csv', 'freqtrade-trades-json']);

/** One file of a market that other files also hold: what it holds and the times it covers. */
interface Series {
  readonly file: string;
  readonly kind: 'candles' | 'trades';
  /** Candles: their timeframe. */
  readonly timeframeMs: number | undefined;
  /** Candles: the first and last open time; trades: the first and last trade time. */
  readonly first: number;
  readonly last: number;
}

const iso = (ts: number): string => new Date(ts).toISOString();

/** `300000` → `5m`, as file names write timeframes. */
function timeframeText(ms: number | undefined): string {
  if (ms === undefined) return '?';
  for (const [unit, size] of [['w', 604_800_000], ['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** The market a file's events will carry when it comes from the name or --market; undefined when its rows say it. */
function namedMarket(file: string, format: ReplayFormat, options: ReadOptions): MarketSymbol | undefined {
  if (options.market !== undefined) return format === 'ws-capture' ? undefined : options.market;
  return NAMED_MARKET.has(format) ? hintsFromFileName(basename(file)).market : undefined;
}

/**
 * Reads a file through (its malformed rows are counted by the real read, not here) for its kind and span.
 * Candle CSV comes as columns, so no event object is made: the read costs the parse alone.
 */
async function seriesOf(file: string, format: ReplayFormat, options: ReadOptions): Promise<Series | undefined> {
  const [{ readFileBatches }, { CandleColumns }, { VALUES }] = await Promise.all([import('./file-reader.js'), import('./candle-columns.js'), import('./event-columns.js')]);
  let head: { ts: number; openTime: number | undefined } | undefined;
  let tail: { ts: number; openTime: number | undefined } | undefined;
  const read = readFileBatches(file, { ...options, format, onFileError: 'count', skipUndetected: true }, emptyFileStats(file));
  for await (const batch of read) {
    if (batch instanceof CandleColumns) {
      if (batch.count === 0) continue;
      const v = batch.values;
      const last = (batch.count - 1) * VALUES;
      head ??= { ts: v[0] as number, openTime: v[1] as number };
      tail = { ts: v[last] as number, openTime: v[last + 1] as number };
      continue;
    }
    const first = batch[0];
    const last = batch[batch.length - 1];
    if (first === undefined || last === undefined) continue;
    head ??= { ts: first.ts, openTime: first.kind === 'candle' ? first.openTime : undefined };
    tail = { ts: last.ts, openTime: last.kind === 'candle' ? last.openTime : undefined };
  }
  if (head === undefined || tail === undefined) return undefined;
  if (head.openTime !== undefined && tail.openTime !== undefined) {
    return { file, kind: 'candles', timeframeMs: head.ts - head.openTime, first: head.openTime, last: tail.openTime };
  }
  return { file, kind: 'trades', timeframeMs: undefined, first: head.ts, last: tail.ts };
}

/**
 * Upbit's REST candles name their markets in their rows, and one answer may hold several: read through
 * (they are small, 200 candles a request) for each market's span, so pages saved to two files that share
 * a candle are refused as two candle files of one market would be.
 */
async function rowMarketSeries(file: string, options: ReadOptions): Promise<Map<MarketSymbol, Series>> {
  const { readFileEvents } = await import('./file-reader.js');
  const spans = new Map<MarketSymbol, { tf: number; first: number; last: number }>();
  for await (const batch of readFileEvents(file, { ...options, format: 'upbit-candles-json', onFileError: 'count', skipUndetected: true }, emptyFileStats(file))) {
    for (const e of batch) {
      if (e.kind !== 'candle') continue;
      const span = spans.get(e.market);
      if (span === undefined) spans.set(e.market, { tf: e.ts - e.openTime, first: e.openTime, last: e.openTime });
      else span.last = e.openTime;
    }
  }
  return new Map([...spans].map(([market, { tf, first, last }]) => [market, { file, kind: 'candles', timeframeMs: tf, first, last }]));
}

/** The first two files of one market and kind that cannot be read as one series, said in one line. */
function conflict(market: MarketSymbol, files: readonly Series[]): string | undefined {
  const candles = files.filter((s) => s.kind === 'candles');
  const other = candles.find((s) => s.timeframeMs !== candles[0]?.timeframeMs);
  if (other !== undefined && candles[0] !== undefined) {
    const a = candles[0];
    return `${market} has candle files of two timeframes, ${a.file} (${timeframeText(a.timeframeMs)}) and ${other.file} (${timeframeText(other.timeframeMs)}): a market's candles are read as one series, so its windows would mix both; give the files of one timeframe`;
  }
  for (const kind of ['candles', 'trades'] as const) {
    const sorted = files.filter((s) => s.kind === kind).sort((a, b) => a.first - b.first);
    let reach: Series | undefined; // the file reaching latest among those starting earlier
    for (const s of sorted) {
      // Candles: the same open time in both is the same candle twice; trades: a shared millisecond is allowed.
      if (reach !== undefined && (kind === 'candles' ? s.first <= reach.last : s.first < reach.last)) {
        const what = kind === 'candles' ? 'candles opening' : 'trades';
        return `${market}: ${reach.file} and ${s.file} overlap (${what} from ${iso(s.first)} to ${iso(Math.min(s.last, reach.last))} are in both): they would be read twice; give one of them, or files of separate spans`;
      }
      if (reach === undefined || s.last > reach.last) reach = s;
    }
  }
  return undefined;
}

/**
 * Refuses, before any event is read, inputs holding one market twice where the merge would mix them:
 * candle files of one market in two timeframes, or two files of one market and kind (candles, trades)
 * whose spans overlap. Files of one market covering separate spans (a month a file) read as one series.
 * Only files whose market is in their name (or --market) are checked: those whose rows name it
 * (Binance and Tardis trades, websocket captures) are not. Costs nothing unless two files name one
 * market; those are read through once more for their spans.
 */
export async function checkSameMarketFiles(inputs: readonly ReadInput[], options: ReadOptions): Promise<void> {
  const byName = new Map<MarketSymbol, string[]>();
  // JSON files may be Upbit's REST candles, whose rows name their markets (whatever the file name says): read for them.
  const json: string[] = [];
  for (const { file } of inputs) {
    const market = options.market ?? hintsFromFileName(basename(file)).market;
    if (market !== undefined) byName.set(market, [...(byName.get(market) ?? []), file]);
    if (/\.json(?:\.gz|\.zip)?$/i.test(file)) json.push(file);
  }
  const detect = async (file: string): Promise<ReplayFormat | undefined> => {
    const { detectFileFormat } = await import('./lanes.js');
    const detected = options.format ?? (await detectFileFormat(file).catch(() => undefined));
    return typeof detected === 'string' ? detected : undefined; // unreadable or not market data: the read says so
  };
  const fromRows = new Map<MarketSymbol, Series[]>();
  const upbit = new Set<string>();
  for (const file of json) {
    if ((await detect(file)) !== 'upbit-candles-json') continue;
    upbit.add(file);
    for (const [market, series] of await rowMarketSeries(file, options)) fromRows.set(market, [...(fromRows.get(market) ?? []), series]);
  }
  for (const [name, all] of byName) {
    const files = all.filter((file) => !upbit.has(file));
    if (files.length < 2 && !fromRows.has(name)) continue;
    const byMarket = new Map<MarketSymbol, Series[]>();
    for (const file of files) {
      const detected = await detect(file);
      if (detected === undefined) continue;
      const market = namedMarket(file, detected, options);
      if (market === undefined) continue;
      const series = await seriesOf(file, detected, options);
      if (series !== undefined) byMarket.set(market, [...(byMarket.get(market) ?? []), series]);
    }
    for (const [market, series] of byMarket) {
      const message = conflict(market, [...series, ...(fromRows.get(market) ?? [])]);
      fromRows.delete(market);
      if (message !== undefined) throw new InputError(message);
    }
  }
  for (const [market, series] of fromRows) {
    const message = series.length > 1 ? conflict(market, series) : undefined;
    if (message !== undefined) throw new InputError(message);
  }
}
