/**
 * The candle CSV header, as the tools that write candles write it: read by the format detection on every
 * start (formats.ts) and by the candle parser, and kept apart from the parser so the detection loads none
 * of it (test/cli/backtest-import-graph.spec.ts).
 */

/**
 * Names of the open-time column in the headers of the tools that write candles (freqtrade, pandas, Binance's
 * futures klines, python-binance's `Open time`, CryptoDataDownload's `unix`).
 */
export const TIME_COLUMN = /^(?:timestamp|date|datetime|time|open[ _]?time|unix)$/i;
const PRICE_COLUMNS = ['open', 'high', 'low', 'close', 'volume'] as const;

/** A field without the double quotes R's write.csv and spreadsheet exports put around it. */
export const unquote = (field: string): string => (field.length >= 2 && field.charCodeAt(0) === 34 && field.charCodeAt(field.length - 1) === 34 ? field.slice(1, -1) : field);

/**
 * Where a candle header puts the open time, open, high, low, close and volume (any case, any order, other
 * columns beside them), or undefined when the line is not such a header.
 */
export function candleHeaderColumns(line: string): number[] | undefined {
  const names = line.split(',').map((name) => unquote(name.trim()).toLowerCase());
  const time = names.findIndex((name) => TIME_COLUMN.test(name));
  const columns = [time, ...PRICE_COLUMNS.map((name) => names.indexOf(name))];
  return columns.every((at) => at >= 0) ? columns : undefined;
}
