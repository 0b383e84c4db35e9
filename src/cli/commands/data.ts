import { existsSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { NetworkError, type Exchange as CcxtExchange } from 'ccxt';
import { createCcxt } from '../../exchange/ccxt/create-ccxt.js';
import { RestRateLimiter } from '../../net/rate-limiter.js';
import { downloadCandles, DownloadBlockedError, type MarketDownload } from '../../market-data/download.js';
import { mirrorCandleFiles } from '../../market-data/mirror-candle-files.js';
import { MIRROR_MODES, type MirrorMode } from '../../market-data/mirror-candles.js';
import { UsageError } from '../args.js';
import type { Command } from '../command.js';
import { ProgressBar } from '../progress.js';

/** `--since 2024-01-01`, `--since 2024-01-01T09:00:00Z` or `--since 1704067200000`. */
function timeFlag(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(t)) throw new UsageError(`--${name} must be an ISO date or epoch ms, got "${text}"`);
  return t;
}

function createExchange(id: string, restUrl: string | undefined): CcxtExchange {
  try {
    // --rest-url moves every endpoint of the exchange to that host (a local test server).
    return createCcxt({ exchangeId: id, ...(restUrl !== undefined ? { restUrl } : {}) });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** `BTC/KRW`, `BTC` (with --quote) or the exchange's own id (`KRW-BTC`) → the ccxt symbol. */
function resolveMarket(ex: CcxtExchange, name: string, quote: string): string {
  const markets = ex.markets ?? {};
  if (markets[name]) return name;
  const byId = ex.markets_by_id?.[name]?.[0]?.symbol;
  if (byId) return byId;
  const withQuote = `${name.toUpperCase()}/${quote}`;
  if (markets[withQuote]) return withQuote;
  throw new UsageError(`${ex.id} has no market "${name}"`);
}

function summary(r: MarketDownload): string {
  const iso = (t: number | undefined): string => (t === undefined ? '-' : new Date(t).toISOString());
  const resumed = r.resumedAfter === undefined ? '' : `, resumed after ${iso(r.resumedAfter)}`;
  const span = r.rows > 0 ? ` ${iso(r.first)} → ${iso(r.last)}` : '';
  return `${r.market}: ${r.rows} candles${span} → ${r.file} (${r.requests} requests${resumed})\n`;
}

export const dataCommand: Command = {
  name: 'data',
  summary: 'data download: candle history of an exchange into the CSV files the replay reads; data mirror: a falling market from recorded candles (stress test)',
  examples: [
    'coinrx data download --exchange upbit --quote KRW --markets BTC,ETH --timeframe 1m --since 2024-01-01',
    'coinrx data download --since 2024-06-01T00:00:00Z --until 2024-07-01T00:00:00Z --out data/upbit-june',
    'coinrx data mirror --data ../shared/data/candles/binance-spot-2021-5m --by prices --out /tmp/falling',
  ],
  flags: {
    exchange: { type: 'string', valueName: 'id', description: 'ccxt exchange id (default upbit)' },
    quote: { type: 'string', valueName: 'currency', description: 'quote currency of the markets (default KRW)' },
    markets: { type: 'list', valueName: 'BTC,ETH', description: 'markets to download, comma-separated: BASE or BASE/QUOTE (default: every market of the quote)' },
    timeframe: { type: 'string', valueName: 'tf', description: 'candle timeframe (default 1m)' },
    since: { type: 'string', valueName: 'date|ms', description: 'open time of the first candle (required; ISO date, UTC, or epoch ms)' },
    until: { type: 'string', valueName: 'date|ms', description: 'stop before candles opening at this time (default: now)' },
    out: { type: 'string', valueName: 'dir', description: 'output directory (default data/<exchange>)' },
    'rest-url': { type: 'string', valueName: 'url', description: 'REST base URL instead of the exchange\'s (a local test server)' },
    data: { type: 'list', valueName: 'dir', description: 'mirror: candle files or folders to mirror' },
    by: { type: 'string', valueName: 'prices|time', description: 'mirror: invert every price (p → k/p, k the first open squared) or play the candles backwards in time' },
  },
  async run(args, io) {
    const action = args.positionals[0];
    if (action !== 'download' && action !== 'mirror') throw new UsageError(action === undefined ? 'missing action: coinrx data download|mirror ...' : `unknown action "${action}" (download or mirror)`);
    if (args.positionals.length > 1) throw new UsageError(`unexpected argument "${args.positionals[1]}"`);
    if (action === 'mirror') return mirror(args.lists.get('data'), args.strings.get('by'), args.strings.get('out'), io.stdout);
    const since = timeFlag('since', args.strings.get('since'));
    if (since === undefined) throw new UsageError('--since is required');
    const until = timeFlag('until', args.strings.get('until'));
    if (until !== undefined && until <= since) throw new UsageError('--until must be after --since');
    const exchangeId = args.strings.get('exchange') ?? 'upbit';
    const quote = (args.strings.get('quote') ?? 'KRW').toUpperCase();
    const timeframe = args.strings.get('timeframe') ?? '1m';
    const outDir = args.strings.get('out') ?? `data/${exchangeId}`;
    const ex = createExchange(exchangeId, args.strings.get('rest-url'));
    if (!ex.has['fetchOHLCV']) throw new UsageError(`${exchangeId} has no fetchOHLCV`);
    if (ex.timeframes && !(timeframe in ex.timeframes)) throw new UsageError(`${exchangeId} has no timeframe "${timeframe}" (${Object.keys(ex.timeframes).join(', ')})`);
    // Upbit's Remaining-Req groups, and 429/418 answers of any exchange, on top of ccxt's throttle.
    const limiter = new RestRateLimiter();
    let bar: ProgressBar | undefined;
    let barMarket = -1;
    try {
      await ex.loadMarkets();
      const named = args.lists.get('markets')?.flatMap((m) => m.split(',')).map((m) => m.trim()).filter(Boolean);
      const markets =
        named !== undefined && named.length > 0
          ? named.map((m) => resolveMarket(ex, m, quote))
          : Object.values(ex.markets ?? {})
              .filter((m) => m !== undefined && m.quote === quote && m.spot !== false && m.active !== false)
              .map((m) => String(m.symbol))
              .sort();
      if (markets.length === 0) throw new UsageError(`${exchangeId} has no ${quote} markets`);
      const results = await downloadCandles({
        exchange: ex,
        markets,
        timeframe,
        since,
        ...(until !== undefined ? { until } : {}),
        outDir,
        ...(limiter ? { limiter } : {}),
        signal: io.signal,
        onProgress: (p) => {
          if (p.index !== barMarket) {
            bar?.done();
            bar = new ProgressBar(io.stderr, io.interactive, `${p.market} (${p.index + 1}/${p.total})`);
            barMarket = p.index;
          }
          const span = p.to - p.from;
          bar?.update(span > 0 ? (p.cursor - p.from) / span : 1, `${new Date(Math.min(p.cursor, p.to)).toISOString().slice(0, 16)} ${p.rows} rows`);
        },
        onRetry: (error, attempt, delayMs) => {
          if (!io.interactive) io.stderr.write(`retry ${attempt} in ${Math.round(delayMs)} ms: ${error instanceof Error ? error.message.slice(0, 200) : String(error)}\n`);
        },
      });
      bar?.done();
      for (const r of results) io.stdout.write(summary(r));
      return 0;
    } catch (error) {
      bar?.done();
      if (io.signal.aborted) {
        io.stderr.write('coinrx data: interrupted; run the same command again to resume\n');
        return 130;
      }
      if (error instanceof DownloadBlockedError) {
        io.stderr.write(`coinrx data: ${error.message}\n`);
        return 1;
      }
      // No network, DNS, a refused or timed-out connection: one line, what was unreachable and why.
      if (error instanceof NetworkError) {
        io.stderr.write(`coinrx data: cannot reach ${exchangeId} (${(error as Error).message.replace(/\s+/g, ' ').slice(0, 300)}); downloads need the exchange's REST API — run again to resume\n`);
        return 1;
      }
      throw error;
    } finally {
      await (ex as { close?: () => Promise<void> }).close?.().catch(() => undefined);
    }
  },
};

/** `coinrx data mirror`: one line a file, the coin's change before and after. */
function mirror(data: readonly string[] | undefined, by: string | undefined, out: string | undefined, stdout: Writable): number {
  if (data === undefined || data.length === 0) throw new UsageError('--data is required: the candle files or folders to mirror');
  if (by === undefined || !(MIRROR_MODES as readonly string[]).includes(by)) throw new UsageError(`--by must be ${MIRROR_MODES.join(' or ')}${by === undefined ? '' : `, got "${by}"`}`);
  if (out === undefined) throw new UsageError('--out is required: the folder to write the mirrored files to');
  for (const d of data) if (!existsSync(d)) throw new UsageError(`--data ${d}: no such file or folder`);
  let files;
  try {
    files = mirrorCandleFiles(data, out, by as MirrorMode);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}%`;
  for (const f of files) stdout.write(`${f.file}: ${f.rows} candles, ${pct(f.change)} → ${pct(f.mirroredChange)}${f.malformed > 0 ? ` (${f.malformed} malformed rows dropped)` : ''}\n`);
  return 0;
}
