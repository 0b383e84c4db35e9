import type { MarketSymbol } from '../core/index.js';

/** Quote assets recognised at the end of an exchange symbol, longest first so `BUSD` beats `USD`. */
const KNOWN_QUOTES = [
  'FDUSD', 'USDT', 'USDC', 'BUSD', 'TUSD', 'USDP', 'USDS', 'BIDR', 'BVND', 'IDRT',
  'BTC', 'ETH', 'BNB', 'KRW', 'EUR', 'GBP', 'TRY', 'AUD', 'BRL', 'RUB', 'UAH', 'NGN', 'ZAR',
  'JPY', 'DAI', 'PAX', 'XRP', 'TRX', 'DOGE', 'USD',
].sort((a, b) => b.length - a.length);

/** Known quotes that are money (fiat, stablecoins), not coins: `BTC-USDT` quotes BTC in USDT whoever writes it. */
const MONEY_QUOTES: ReadonlySet<string> = new Set(KNOWN_QUOTES.filter((q) => !['BTC', 'ETH', 'BNB', 'XRP', 'TRX', 'DOGE'].includes(q)));

/** Upbit's quote currencies, which it writes first (`KRW-BTC`, `BTC-XRP`, `USDT-ETH`). */
const UPBIT_QUOTES: ReadonlySet<string> = new Set(['KRW', 'BTC', 'USDT']);

/** Quotes a linear contract settles in; a contract quoted in anything else is inverse (settled in its base). */
const STABLE_QUOTES: ReadonlySet<string> = new Set(['USDT', 'USDC', 'BUSD', 'FDUSD', 'TUSD', 'DAI']);

/** A symbol's part that names a contract, not a currency: PERP, SWAP, a delivery date (200626, 24JUN22). */
const CONTRACT_PART = /^(?:PERP|PERPETUAL|SWAP|FUTURES?|\d{4,8}|\d{1,2}[A-Z]{3}\d{2})$/;
const CURRENCY = /^[A-Z0-9]{1,12}$/;

/** `BTCUSDT` → [BTC, USDT] by the longest known quote ending it that leaves a base of 3 or more (`XBTUSD` is XBT/USD, not XB/TUSD), else the longest. */
function splitJoined(symbol: string): [string, string] | undefined {
  let shortBase: [string, string] | undefined;
  for (const quote of KNOWN_QUOTES) {
    if (symbol.length > quote.length && symbol.endsWith(quote)) {
      const base = symbol.slice(0, symbol.length - quote.length);
      if (base.length >= 3) return [base, quote];
      shortBase ??= [base, quote];
    }
  }
  return shortBase;
}

/**
 * An exchange's symbol as a market: joined (`BTCUSDT` → `BTC/USDT`, by known quote suffixes) or with a
 * separator (`BTC-USD`, `BTC/USD`, `BTC_USDT` → base and quote as written), in any case. A contract part
 * (`BTCUSD_PERP`, `BTC-USDT-SWAP`, `BTCUSD_200626`, `BTC-PERPETUAL`) makes it a derivative, and so does
 * `settle`: ccxt's `:SETTLE` is then appended, the quote (`'quote'`), the base (`'base'`), or by the quote
 * (`'auto'` and a contract part alone: a stablecoin quote is linear, settled in it; any other is inverse,
 * settled in the base). A contract with no quote (`BTC-PERP`, `BTC-PERPETUAL`, `BTC-24JUN22`) is quoted in USD. A
 * delivery date is dropped from the name. Returns undefined when no market can be read (the caller names
 * the file in its error).
 */
export function splitExchangeSymbol(symbol: string, settle?: 'quote' | 'base' | 'auto'): MarketSymbol | undefined {
  const parts = symbol.toUpperCase().split(/[-/_]/);
  const first = parts[0] ?? '';
  const second = parts[1];
  let pair: [string, string] | undefined;
  if (second !== undefined && second !== '' && !CONTRACT_PART.test(second)) pair = [first, second];
  // No quote, only contract parts (Deribit's BTC-PERPETUAL and BTC-24JUN22, FTX's BTC-PERP): USD contracts.
  // An option (BTC-24JUN22-30000-C) ends in C or P, no contract part: not a market here.
  else pair = splitJoined(first) ?? (first !== '' && parts.length > 1 && parts.slice(1).every((p) => CONTRACT_PART.test(p)) ? [first, 'USD'] : undefined);
  if (pair === undefined) return undefined;
  const [base, quote] = pair;
  if (!CURRENCY.test(base) || !CURRENCY.test(quote)) return undefined;
  const contract = parts.slice(1).some((p) => CONTRACT_PART.test(p));
  const how = settle ?? (contract ? 'auto' : undefined);
  if (how === undefined) return `${base}/${quote}`;
  const linear = how === 'quote' || (how === 'auto' && STABLE_QUOTES.has(quote));
  return `${base}/${quote}:${linear ? quote : base}`;
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

const EXTENSION = /\.(gz|zip|csv|json|jsonl|txt)$/i;
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
  // freqtrade pair form BASE_QUOTE or BASE_QUOTE_SETTLE as one dash-separated part; in lower case (btc_usdt) only
  // with a known quote, so that hftbacktest's usdm_btcusdt_… is not a market USDM/BTCUSDT.
  for (const part of dashParts) {
    const pieces = part.split('_');
    const upper = pieces.map((p) => p.toUpperCase());
    if ((pieces.length === 2 || pieces.length === 3) && (pieces.every((p) => p.length > 0 && isAlnum(p) && !/^\d+$/.test(p)) || (upper.every((p) => p.length > 0 && isAlnum(p)) && KNOWN_QUOTES.includes(upper[1] as string) && (upper[2] === undefined || upper[2] === upper[1])))) {
      hints.market = upper.length === 2 ? `${upper[0]}/${upper[1]}` : `${upper[0]}/${upper[1]}:${upper[2]}`;
      return hints;
    }
  }
  // Two currencies joined by a dash, in any case: Upbit's QUOTE-BASE (KRW-BTC, BTC-ETH, USDT-BTC), or BASE-QUOTE as
  // other exchanges write them (BTC-USDT, ETH-USD): a KRW first, or a coin after an Upbit quote, is Upbit's;
  // money after a coin (BTC-USDT, BTC-USD) is the quote, not the base.
  const first = (dashParts[0] ?? '').toUpperCase();
  const second = (dashParts[1] ?? '').toUpperCase();
  if (dashParts.length >= 2 && /^[A-Z0-9]{2,12}$/.test(first) && /^[A-Z0-9]{2,12}$/.test(second) && !/^\d+$/.test(second)) {
    if (first === 'KRW' || (UPBIT_QUOTES.has(first) && !MONEY_QUOTES.has(second) && !CONTRACT_PART.test(second))) {
      hints.market = `${second}/${first}`;
      return hints;
    }
    // Money only: after an exchange's name a coin is no quote (coinbase-BTC-USD is not COINBASE/BTC).
    if (MONEY_QUOTES.has(second)) {
      hints.market = `${first}/${second}`;
      return hints;
    }
  }
  // Binance's public data (data.binance.vision): SYMBOL-interval-YYYY-MM[-DD], e.g. ETHUSDT-5m-2021-01, and
  // SYMBOL-trades-… / SYMBOL-aggTrades-…
  const kind = dashParts[1] ?? '';
  if (dashParts.length >= 3 && (parseTimeframe(kind) !== undefined || kind === 'trades' || kind === 'aggTrades') && /^[A-Za-z0-9]{5,}$/.test(dashParts[0] ?? '')) {
    const market = splitExchangeSymbol(dashParts[0] as string);
    if (market !== undefined) {
      hints.market = market;
      return hints;
    }
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
