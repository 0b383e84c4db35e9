import { basename } from 'node:path';

/** Quote currencies recognised at the end of an exchange symbol such as `BTCUSDT`, longest first. */
const QUOTES = ['FDUSD', 'USDT', 'USDC', 'BUSD', 'TUSD', 'USD', 'KRW', 'BTC', 'ETH', 'BNB', 'EUR', 'TRY', 'BRL', 'GBP', 'AUD', 'DAI'];

/** `BTCUSDT` → `BTC/USDT`; `futures` marks a linear perpetual (`BTC/USDT:USDT`, ccxt style). */
export function marketFromSymbol(symbol: string, futures = false): string {
  const s = symbol.toUpperCase();
  if (s.includes('/')) return s;
  if (s.includes('-')) {
    const [quote, base] = s.split('-') as [string, string];
    return `${base}/${quote}`;
  }
  const quote = QUOTES.find((q) => s.endsWith(q) && s.length > q.length);
  if (!quote) throw new Error(`cannot split symbol "${symbol}" into base and quote`);
  const market = `${s.slice(0, -quote.length)}/${quote}`;
  return futures ? `${market}:${quote}` : market;
}

/** Upbit's `KRW-BTC` → `BTC/KRW`. */
export function marketFromUpbitCode(code: string): string {
  const dash = code.indexOf('-');
  if (dash <= 0) throw new Error(`not an Upbit market code: "${code}"`);
  return `${code.slice(dash + 1)}/${code.slice(0, dash)}`;
}

export interface FileNameInfo {
  readonly market?: string;
  readonly timeframeMs?: number;
  /** The name says futures (`usdm`, `futures`, `perp`). */
  readonly futures: boolean;
}

const TIMEFRAME_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * What a file name says: `BTC_USDT-5m.csv.gz` → BTC/USDT at 5 minutes; `binance-XRP_ETH-2019-10-trades.json.gz`
 * → XRP/ETH; `binance_spot_BTCUSDT_trades_2021-01-08.csv` and `spot_btcusdt_20240808.gz` → BTC/USDT;
 * `KRW-BTC-1m.csv` → BTC/KRW.
 */
export function infoFromFileName(path: string): FileNameInfo {
  const name = basename(path).replace(/\.gz$/i, '').replace(/\.(csv|json|jsonl|txt|feather|parquet)$/i, '');
  const futures = /(usdm|coinm|futures|perp|swap)/i.test(name);
  const tf = /-(\d+)([smhdw])(?:$|[-_.])/.exec(name);
  const timeframeMs = tf ? Number(tf[1]) * (TIMEFRAME_MS[tf[2] as string] as number) : undefined;
  const pair = /(?:^|[-_ ])([A-Z0-9]{2,12})_([A-Z0-9]{2,6})(?=$|[-_ ])/.exec(name);
  if (pair) return { market: `${pair[1]}/${pair[2]}`, futures, ...(timeframeMs ? { timeframeMs } : {}) };
  const upbit = /(?:^|[-_ ])(KRW|BTC|USDT)-([A-Z0-9]{2,12})(?=$|[-_ ])/.exec(name);
  if (upbit) return { market: `${upbit[2]}/${upbit[1]}`, futures, ...(timeframeMs ? { timeframeMs } : {}) };
  for (const token of name.split(/[-_ .]/)) {
    // A one-case exchange symbol such as BTCUSDT or btcusdt.
    if (!/^(?:[A-Z0-9]{5,16}|[a-z0-9]{5,16})$/.test(token) || !/[A-Za-z]{3}/.test(token)) continue;
    const upper = token.toUpperCase();
    if (QUOTES.some((q) => upper.endsWith(q) && upper.length > q.length + 1)) {
      return { market: marketFromSymbol(upper, futures), futures, ...(timeframeMs ? { timeframeMs } : {}) };
    }
  }
  return { futures, ...(timeframeMs ? { timeframeMs } : {}) };
}
