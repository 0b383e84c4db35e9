import type { MarketSymbol } from '../core/index.js';

/** Quote assets recognised at the end of an exchange symbol, longest first so `BUSD` beats `USD`. */
const KNOWN_QUOTES = [
  'FDUSD', 'USDT', 'USDC', 'BUSD', 'TUSD', 'USDP', 'USDS', 'BIDR', 'BVND', 'IDRT',
  'BTC', 'ETH', 'BNB', 'KRW', 'EUR', 'GBP', 'TRY', 'AUD', 'BRL', 'RUB', 'UAH', 'NGN', 'ZAR',
  'JPY', 'DAI', 'PAX', 'XRP', 'TRX', 'DOGE', 'USD',
].sort((a, b) => b.length - a.length);

/**
 * `BTCUSDT` → `BTC/USDT` by known quote suffixes; `settle` appends ccxt's `:SETTLE` for derivatives.
 * Returns undefined when no known quote ends the symbol (the caller names the file in its error).
 */
export function splitExchangeSymbol(symbol: string, settle?: 'quote' | 'base'): MarketSymbol | undefined {
  const upper = symbol.toUpperCase();
  const dated = upper.indexOf('_'); // delivery contracts: BTCUSD_200626
  const plain = dated === -1 ? upper : upper.slice(0, dated);
  for (const quote of KNOWN_QUOTES) {
    if (plain.length > quote.length && plain.endsWith(quote)) {
      const base = plain.slice(0, plain.length - quote.length);
      if (settle === undefined) return `${base}/${quote}`;
      return `${base}/${quote}:${settle === 'quote' ? quote : base}`;
    }
  }
  return undefined;
}

const MARKET = /^[A-Z0-9]+\/[A-Z0-9]+(?::[A-Z0-9]+)?$/;

/**
 * A market named by the user (`--market`), upper-cased: `BASE/QUOTE` (ccxt's `:SETTLE` allowed), or
 * `{ reason }` saying what is wrong, with the likely meaning of an exchange symbol (`BTCUSDT`, `KRW-BTC`).
 */
export function parseMarketName(text: string): MarketSymbol | { reason: string } {
  const upper = text.trim().toUpperCase();
  if (MARKET.test(upper)) return upper;
  const guess = upper.includes('-') ? upbitMarket(upper) : splitExchangeSymbol(upper.replace(/[_ ]/g, ''));
  const hint = guess !== undefined && MARKET.test(guess) ? ` (did you mean ${guess}?)` : '';
  return { reason: `"${text}" is not a market: expected BASE/QUOTE such as BTC/USDT${hint}` };
}

/** A quote currency named by the user (`--quote`), upper-cased, or `{ reason }`. */
export function parseQuoteName(text: string): string | { reason: string } {
  const upper = text.trim().toUpperCase();
  return /^[A-Z0-9]{2,10}$/.test(upper) ? upper : { reason: `"${text}" is not a currency code (such as KRW, USDT, BTC)` };
}

/** Upbit `KRW-BTC` (QUOTE-BASE) → `BTC/KRW`. */
export function upbitMarket(code: string): MarketSymbol | undefined {
  const dash = code.indexOf('-');
  if (dash <= 0 || dash === code.length - 1) return undefined;
  return `${code.slice(dash + 1)}/${code.slice(0, dash)}`;
}

/** True when a file name says it holds derivatives (USD-M futures and the like). */
export function nameSaysFutures(fileName: string): boolean {
  const lower = fileName.toLowerCase();
  return lower.includes('usdm') || lower.includes('futures') || lower.includes('fstream') || lower.includes('perp');
}

export interface NameHints {
  market?: MarketSymbol;
  /** Candle timeframe in ms when the name carries one (`-5m`, `-1h`, `-1d`, `-1w`). */
  timeframeMs?: number;
}

const TIMEFRAME_UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `5m` → 300000; undefined for anything else (months have no fixed length). */
export function parseTimeframe(text: string): number | undefined {
  if (text.length < 2) return undefined;
  const unit = TIMEFRAME_UNIT_MS[text[text.length - 1] ?? ''];
  const n = Number(text.slice(0, -1));
  return unit !== undefined && Number.isInteger(n) && n > 0 ? n * unit : undefined;
}

const EXTENSION = /\.(gz|csv|json|jsonl|txt)$/i;
const isAlnum = (s: string): boolean => /^[A-Z0-9]+$/.test(s);

/**
 * Market and timeframe hinted by a data file's base name, for the naming schemes of the formats read:
 * freqtrade `BTC_USDT-5m.csv.gz`, `BTC_USDT_USDT-1h-futures.json`, `binance-XRP_ETH-2019-10-trades.json.gz`;
 * Upbit `KRW-BTC-5m.csv`; nautilus `binance_spot_BTCUSDT_trades_2021-01-08.csv`;
 * hftbacktest `usdm_btcusdt_20240808.gz`.
 */
export function hintsFromFileName(fileName: string): NameHints {
  let base = fileName;
  for (let stripped = base.replace(EXTENSION, ''); stripped !== base; stripped = base.replace(EXTENSION, '')) base = stripped;
  const dashParts = base.split('-');
  const hints: NameHints = {};
  for (const part of dashParts) {
    const tf = parseTimeframe(part);
    if (tf !== undefined && hints.timeframeMs === undefined) hints.timeframeMs = tf;
  }
  // freqtrade pair form BASE_QUOTE or BASE_QUOTE_SETTLE as one dash-separated part
  for (const part of dashParts) {
    const pieces = part.split('_');
    if ((pieces.length === 2 || pieces.length === 3) && pieces.every((p) => p.length > 0 && isAlnum(p))) {
      hints.market = pieces.length === 2 ? `${pieces[0]}/${pieces[1]}` : `${pieces[0]}/${pieces[1]}:${pieces[2]}`;
      return hints;
    }
  }
  // Upbit QUOTE-BASE form: KRW-BTC, BTC-ETH, USDT-BTC
  if (dashParts.length >= 2 && ['KRW', 'BTC', 'USDT'].includes(dashParts[0] ?? '') && isAlnum(dashParts[1] ?? '')) {
    hints.market = `${dashParts[1]}/${dashParts[0]}`;
    return hints;
  }
  // underscore-separated names holding one exchange symbol: binance_spot_BTCUSDT_trades_..., usdm_btcusdt_...
  const futures = nameSaysFutures(base);
  for (const piece of base.split('_')) {
    if (piece.length < 5 || !/^[A-Za-z0-9]+$/.test(piece) || /^\d+$/.test(piece)) continue;
    const market = splitExchangeSymbol(piece, futures ? 'quote' : undefined);
    if (market !== undefined) {
      hints.market = market;
      break;
    }
  }
  return hints;
}
