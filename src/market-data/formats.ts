import { candleHeaderColumns } from './candle-header.js';
import { parseCaptureLine } from './parsers/capture-line.js';

/** Every recorded-data format the replay reads. See docs/data-formats.md. */
export const REPLAY_FORMATS = [
  'candles-csv',
  'candles-json',
  'upbit-candles-json',
  'binance-trades-csv',
  'binance-vision-trades-csv',
  'binance-vision-aggtrades-csv',
  'tardis-trades-csv',
  'nautilus-trades-csv',
  'freqtrade-trades-json',
  'ws-capture',
] as const;

export type ReplayFormat = (typeof REPLAY_FORMATS)[number];

/** Records are lines, except in JSON arrays where they are the inner `[...]` rows (freqtrade) or `{...}` objects (Upbit's REST candles). */
export function isJsonArrayFormat(format: ReplayFormat): boolean {
  return format === 'candles-json' || format === 'freqtrade-trades-json' || format === 'upbit-candles-json';
}

/** The JSON arrays whose records are objects. */
export function isJsonObjectsFormat(format: ReplayFormat): boolean {
  return format === 'upbit-candles-json';
}

/** Binance's public trade files without their header (spot): the maker flag after a 12–16 digit time tells them from klines. */
const BINANCE_VISION_TRADE = /^\d+,[\d.]+,[\d.]+,[\d.]+,\d{12,16},(?:true|false)(?:,(?:true|false))?$/i;
const BINANCE_VISION_AGG_TRADE = /^\d+,[\d.]+,[\d.]+,\d+,\d+,\d{12,16},(?:true|false)(?:,(?:true|false))?$/i;

/** Tardis's CSV datasets all start `exchange,symbol,timestamp,local_timestamp`. */
const TARDIS_TRADES = /^exchange,symbol,timestamp,local_timestamp,id,side,price,amount(?:,|$)/;

/**
 * Tardis trades, or why another Tardis dataset is not read: quotes, book levels and tickers have other
 * columns, whose prices and sizes would be read as trades (a funding rate as BTC's price); liquidations
 * have the trades' columns, told by the name Tardis gives them (`…_liquidations_2020-02-22_BTCUSDT.csv.gz`).
 */
function tardisFormat(fileName: string, firstLine: string): ReplayFormat | { reason: string } {
  if (!TARDIS_TRADES.test(firstLine)) {
    return { reason: `a Tardis dataset other than trades (columns ${firstLine.split(',').slice(4).join(',').slice(0, 60)}…): of Tardis's files only trades are read` };
  }
  if (/liquidation/i.test(fileName)) return { reason: "Tardis liquidations (forced orders, not the market's trades): of Tardis's files only trades are read" };
  return 'tardis-trades-csv';
}

/**
 * The format of a file from its name and the start of its (decompressed) text, or a reason why it is
 * not market data. CSV formats are told by their header; JSON arrays by their first row (7 fields with
 * a side → trades, 6 numbers → candles); anything whose first line is a websocket capture line is a
 * capture. A REST-only capture (`<url> -> <ts>: ...` first) is not market data.
 */
export function detectFormat(fileName: string, head: string): ReplayFormat | { reason: string } {
  const trimmed = head.trimStart();
  const nl = trimmed.indexOf('\n');
  const firstLine = (nl === -1 ? trimmed : trimmed.slice(0, nl)).replace(/\r$/, '');
  if (candleHeaderColumns(firstLine) !== undefined) return 'candles-csv';
  if (firstLine.startsWith('market,symbol,trade_time_ms')) return 'binance-trades-csv';
  if (firstLine.startsWith('id,price,qty,quote_qty,time,is_buyer_maker') || BINANCE_VISION_TRADE.test(firstLine)) return 'binance-vision-trades-csv';
  if (firstLine.startsWith('agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time') || BINANCE_VISION_AGG_TRADE.test(firstLine)) return 'binance-vision-aggtrades-csv';
  if (firstLine.startsWith('exchange,symbol,timestamp,local_timestamp')) return tardisFormat(fileName, firstLine);
  if (firstLine.startsWith('timestamp,trade_id,price,quantity')) return 'nautilus-trades-csv';
  if (firstLine.startsWith('[')) {
    // An array of objects: Upbit's REST candles as their answer was saved, or something else of which nothing is read.
    if (/^\[\s*\{/.test(trimmed)) {
      return /"candle_date_time_utc"\s*:/.test(trimmed) ? 'upbit-candles-json' : { reason: `a JSON array of objects that are not Upbit's REST candles (no candle_date_time_utc): ${trimmed.slice(0, 80)}` };
    }
    const open = trimmed.indexOf('[', 1);
    const close = trimmed.indexOf(']', open + 1);
    if (open === -1 || close === -1) {
      return fileName.includes('trades') ? 'freqtrade-trades-json' : { reason: 'a JSON array without a complete first row' };
    }
    const fields = trimmed.slice(open + 1, close).split(',');
    if (fields.length >= 7 || fields[1]?.trim().startsWith('"')) return 'freqtrade-trades-json';
    if (fields.length === 6 && fields.every((f) => Number.isFinite(Number(f)))) return 'candles-json';
    return { reason: `a JSON array whose first row [${fields.join(',')}] is neither candles nor trades` };
  }
  // Headerless: freqtrade's six columns, or Binance's public klines (twelve; the open time in ms, or µs since 2025), or
  // an export's with the open time in seconds.
  if (/^\d{9,16}(?:,[^,]+){5}(?:,[^,]*)*$/.test(firstLine)) return 'candles-csv';
  if (/^\S+ -> /.test(firstLine)) return { reason: 'a REST answer capture, not a market data stream' };
  const line = parseCaptureLine(firstLine);
  if (typeof line === 'string' || !('error' in line)) return 'ws-capture';
  // Binary content is named as such rather than echoed to a terminal.
  if (/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(firstLine)) return { reason: 'binary content, not text' };
  return { reason: `unrecognised first line "${firstLine.slice(0, 80)}"` };
}
