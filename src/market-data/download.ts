import { open, mkdir, stat, truncate, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DDoSProtection, NetworkError, RateLimitExceeded, type Exchange as CcxtExchange, type OHLCV } from 'ccxt';
import { retryWithBackoff } from '../net/retry.js';
import { upbitRequestGroup, type RestRateLimiter } from '../net/rate-limiter.js';

/** The header the `candles-csv` replay reader detects (docs/data-formats.md). */
export const CANDLE_CSV_HEADER = 'timestamp,open,high,low,close,volume';

export interface DownloadProgress {
  readonly market: string;
  /** Index of the market in `markets` (0-based) and their count. */
  readonly index: number;
  readonly total: number;
  /** Open time the market's download has reached (the next candle to fetch). */
  readonly cursor: number;
  readonly from: number;
  readonly to: number;
  readonly rows: number;
  readonly requests: number;
}

export interface MarketDownload {
  readonly market: string;
  readonly file: string;
  /** Open time of the last row already in the file when the download resumed it (undefined: fresh file). */
  readonly resumedAfter: number | undefined;
  /** Rows appended by this run. */
  readonly rows: number;
  readonly requests: number;
  /** Open times of the first and last rows appended by this run. */
  readonly first: number | undefined;
  readonly last: number | undefined;
}

export interface DownloadCandlesOptions {
  /** Any ccxt exchange with `fetchOHLCV`. Its `fetch`/`handleErrors`/`parseOHLCV` are wrapped during the call and restored after. */
  readonly exchange: CcxtExchange;
  /** ccxt symbols, e.g. `BTC/KRW`. */
  readonly markets: readonly string[];
  /** ccxt timeframe, e.g. `1m`. */
  readonly timeframe: string;
  /** Open time (ms) of the first candle wanted. */
  readonly since: number;
  /** Candles opening at or after this time (ms) are not fetched (default: now; the still-open candle is never written). */
  readonly until?: number;
  readonly outDir: string;
  /** Candles per request (default 200, Upbit's maximum). */
  readonly pageSize?: number;
  /** Upbit's Remaining-Req/429/418 bookkeeping, applied to every request when given. */
  readonly limiter?: RestRateLimiter;
  /** Attempts per request on network errors and 429s (default 5). */
  readonly attempts?: number;
  /** First retry delay (default 250 ms, doubling, jittered, capped at 10 s). */
  readonly retryDelayMs?: number;
  readonly now?: () => number;
  readonly onProgress?: (progress: DownloadProgress) => void;
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  readonly signal?: AbortSignal;
}

/** The exchange answered 418 (or another block): continuing would only lengthen the ban. */
export class DownloadBlockedError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'DownloadBlockedError';
  }
}

/** `BTC/KRW` + `1m` → `BTC_KRW-1m.csv` (`BTC/USDT:USDT` → `BTC_USDT_USDT-1m.csv`), the names the replay readers parse. */
export function candleFileName(market: string, timeframe: string): string {
  return `${market.replace(/[/:]/g, '_')}-${timeframe}.csv`;
}

/**
 * Downloads candle history into one `candles-csv` file per market, oldest first.
 *
 * - Pages forward with `fetchOHLCV(symbol, timeframe, since, limit)`; ccxt turns `since` into each
 *   exchange's own paging (Upbit's backwards `to`: `to = since + limit × timeframe`).
 * - Resumes an existing file after its last complete row (a torn last line is cut off), so an
 *   interrupted download continues where it stopped and rows stay strictly increasing, never repeated.
 * - Each page is appended as soon as it arrives: an interruption loses at most the page in flight.
 * - Network errors and 429s are retried with backoff, a bounded number of times; a 418 stops at once.
 * - Candles still open (open time + timeframe after now) are not written: they would change.
 */
export async function downloadCandles(options: DownloadCandlesOptions): Promise<MarketDownload[]> {
  const ex = options.exchange;
  if (!ex.has['fetchOHLCV']) throw new Error(`${ex.id} has no fetchOHLCV`);
  const tfMs = ex.parseTimeframe(options.timeframe) * 1000;
  if (!(tfMs > 0)) throw new Error(`unknown timeframe "${options.timeframe}"`);
  const now = options.now ?? Date.now;
  const pageSize = options.pageSize ?? 200;
  await mkdir(options.outDir, { recursive: true });
  const restore = instrument(ex, options.limiter, options.signal);
  try {
    const results: MarketDownload[] = [];
    for (const [index, market] of options.markets.entries()) {
      options.signal?.throwIfAborted();
      const file = join(options.outDir, candleFileName(market, options.timeframe));
      const lastRow = await prepareFile(file);
      const from = Math.ceil(options.since / tfMs) * tfMs;
      let cursor = lastRow === undefined ? from : Math.max(from, lastRow + tfMs);
      // Only closed candles: the one open now is excluded by flooring now to the timeframe.
      const end = Math.min(options.until ?? Infinity, Math.floor(now() / tfMs) * tfMs);
      let rows = 0;
      let requests = 0;
      let first: number | undefined;
      let last = lastRow;
      const report = (): void => options.onProgress?.({ market, index, total: options.markets.length, cursor, from, to: end, rows, requests });
      report();
      while (cursor < end) {
        const limit = Math.max(1, Math.min(pageSize, Math.ceil((end - cursor) / tfMs)));
        const page = await retryWithBackoff(
          () => {
            requests++;
            return ex.fetchOHLCV(market, options.timeframe, cursor, limit);
          },
          {
            attempts: options.attempts ?? 5,
            initialDelayMs: options.retryDelayMs ?? 250,
            retryable: isRetryable,
            ...(options.signal ? { signal: options.signal } : {}),
            ...(options.onRetry ? { onRetry: options.onRetry } : {}),
          },
        );
        const fresh = page
          .filter((c) => typeof c[0] === 'number' && c[0] >= cursor && c[0] < end && (last === undefined || c[0] > last))
          .sort((a, b) => (a[0] as number) - (b[0] as number));
        const lines: string[] = [];
        for (const c of fresh) {
          const t = c[0] as number;
          if (last !== undefined && t <= last) continue; // duplicates within one page
          const line = csvRow(c);
          if (line === undefined) continue;
          lines.push(line);
          first ??= t;
          last = t;
        }
        if (lines.length > 0) await appendFile(file, `${lines.join('\n')}\n`);
        rows += lines.length;
        // An empty page is a gap in the history (no trades, not yet listed): skip the span it asked for.
        cursor = lines.length > 0 && last !== undefined ? last + tfMs : cursor + limit * tfMs;
        report();
      }
      results.push({ market, file, resumedAfter: lastRow, rows, requests, first, last: rows > 0 ? last : undefined });
    }
    return results;
  } finally {
    restore();
  }
}

function isRetryable(error: unknown): boolean {
  if (error instanceof DownloadBlockedError) return false;
  if (error instanceof RateLimitExceeded) return true;
  // ccxt files 418 and Cloudflare blocks under DDoSProtection: waiting a few seconds does not lift them.
  return error instanceof NetworkError && !(error instanceof DDoSProtection);
}

/** One CSV line; undefined for a row without prices. A missing volume is written as 0. */
function csvRow(c: OHLCV): string | undefined {
  const [t, o, h, l, cl, v] = c;
  if ([o, h, l, cl].some((x) => typeof x !== 'number' || !Number.isFinite(x))) return undefined;
  return `${t},${o},${h},${l},${cl},${typeof v === 'number' && Number.isFinite(v) ? v : 0}`;
}

/**
 * Makes `file` ready to append to and returns the open time of its last row (undefined when it has
 * none). A missing or empty file gets the header; a torn last line (no newline) is cut off.
 */
async function prepareFile(file: string): Promise<number | undefined> {
  const size = await stat(file).then((s) => s.size, () => -1);
  if (size <= 0) {
    await appendFile(file, `${CANDLE_CSV_HEADER}\n`);
    return undefined;
  }
  // The last complete line is in the tail: read backwards until it is whole (or the file is read).
  const handle = await open(file, 'r');
  try {
    let tail = '';
    let pos = size;
    while (pos > 0) {
      const n = Math.min(64 * 1024, pos);
      pos -= n;
      const buf = Buffer.alloc(n);
      await handle.read(buf, 0, n, pos);
      tail = buf.toString('latin1') + tail;
      const end = tail.lastIndexOf('\n');
      if (end >= 0 && tail.lastIndexOf('\n', end - 1) >= 0) break;
    }
    const end = tail.lastIndexOf('\n');
    const complete = end < 0 ? 0 : pos + end + 1;
    if (complete < size) await truncate(file, complete);
    if (complete === 0) {
      await appendFile(file, `${CANDLE_CSV_HEADER}\n`);
      return undefined;
    }
    const line = tail.slice(tail.lastIndexOf('\n', end - 1) + 1, end).trim();
    const t = Number(line.split(',')[0]);
    return line.startsWith('timestamp') || line === '' || !Number.isInteger(t) ? undefined : t;
  } finally {
    await handle.close();
  }
}

/**
 * Wraps the exchange's HTTP layer for the download: the optional Upbit limiter sees every request and
 * answer; a 429 becomes `RateLimitExceeded` (Upbit's handler would make it a plain ExchangeError, not
 * retried) and a 418 becomes `DownloadBlockedError`. ccxt's Upbit `parseOHLCV` drops the volume
 * (`candle_acc_trade_volume`); it is put back, since the replay counts a candle as its volume traded.
 * Returns the function that restores the originals.
 */
function instrument(ex: CcxtExchange, limiter: RestRateLimiter | undefined, signal: AbortSignal | undefined): () => void {
  const fetchOriginal = ex.fetch;
  const handleOriginal = ex.handleErrors;
  const parseOriginal = ex.parseOHLCV;
  const fetchBound = fetchOriginal.bind(ex);
  const handleBound = handleOriginal.bind(ex);
  const parseBound = parseOriginal.bind(ex);
  ex.fetch = async (url: string, method = 'GET', headers?: unknown, body?: unknown): Promise<unknown> => {
    if (limiter) await limiter.acquire(upbitRequestGroup(method, url), signal);
    return fetchBound(url, method, headers, body);
  };
  ex.handleErrors = (code, reason, url, method, headers, body, response, requestHeaders, requestBody) => {
    limiter?.observe(code, headers, body);
    if (code === 429) throw new RateLimitExceeded(`${ex.id} ${method} ${url} 429 ${body}`);
    if (code === 418) throw new DownloadBlockedError(code, `${ex.id} answered 418 (blocked): stopping instead of walking further into the ban. ${body}`);
    return handleBound(code, reason, url, method, headers, body, response, requestHeaders, requestBody);
  };
  if (ex.id === 'upbit') {
    ex.parseOHLCV = (raw: object, market?: object): OHLCV => {
      const row = parseBound(raw, market as never);
      const volume = Number((raw as Record<string, unknown>)['candle_acc_trade_volume']);
      return row[5] !== undefined || !Number.isFinite(volume) ? row : [row[0], row[1], row[2], row[3], row[4], volume];
    };
  }
  return () => {
    ex.fetch = fetchOriginal;
    ex.handleErrors = handleOriginal;
    ex.parseOHLCV = parseOriginal;
  };
}
