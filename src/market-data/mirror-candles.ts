/** One OHLCV row: open time (ms), prices, volume in base units. */
export interface CandleRow {
  readonly ts: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

/**
 * How a rising market becomes a falling one with the same moves: `prices` inverts every price
 * (p → k/p), `time` plays the candles backwards. Both keep each coin's volatility, volume pattern
 * and the cross-section (every coin at the same instant moves at the same instant); both turn a
 * rally into a fall of the same size in log terms (a coin that went ×6 goes ÷6).
 */
export type MirrorMode = 'prices' | 'time';

export const MIRROR_MODES: readonly MirrorMode[] = ['prices', 'time'];

/**
 * Prices inverted around `k` (by default the first open squared, so the coin starts at its real price):
 * open, close → k/open, k/close, high ↔ low swapped (k/low is the new high), so every log return is
 * negated exactly and the range of each candle keeps its width in log terms. The volume is converted
 * so each candle's quote value at its close (what the replay counts it as) is unchanged:
 * volume' = volume × close / close'. Applying it twice with the same `k` gives the rows back (up to
 * rounding of the division).
 */
export function invertPrices(rows: readonly CandleRow[], k: number = (rows[0]?.open ?? 1) ** 2): CandleRow[] {
  if (!(k > 0)) throw new RangeError(`invertPrices: k must be positive, got ${k}`);
  const out: CandleRow[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as CandleRow;
    const close = k / r.close;
    out[i] = { ts: r.ts, open: k / r.open, high: k / r.low, low: k / r.high, close, volume: (r.volume * r.close) / close };
  }
  return out;
}

/**
 * The candles played backwards in time: the candle that opened at `t` opens at `axis − t` (`axis` =
 * the first plus the last open time of the span, the same for every coin of a data set so the
 * cross-section stays aligned and the span is unchanged), its open and close swapped, high, low and
 * volume kept. The price path inside the span is the original one mirrored in time; the rows come out
 * in time order. Applying it twice with the same axis gives the rows back exactly.
 */
export function reverseTime(rows: readonly CandleRow[], axis: number): CandleRow[] {
  const out: CandleRow[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[rows.length - 1 - i] as CandleRow;
    out[i] = { ts: axis - r.ts, open: r.close, high: r.high, low: r.low, close: r.open, volume: r.volume };
  }
  return out;
}
