import type { FeatureSnapshot, WindowName } from '../core/index.js';
import { WINDOWS } from '../core/index.js';

const REGIMES = ['1h', '6h', '12h', '24h'] as const;
const regimeValue = (r: string | undefined): number => (r === 'bull' ? 1 : r === 'bear' ? -1 : 0);
const logRatio = (a: number, b: number): number => {
  const r = Math.log(a / b);
  return Number.isFinite(r) ? r : 0;
};

/** Names of the model inputs, in order (saved with each model so a version can refuse mismatched inputs). */
export const FEATURE_NAMES: readonly string[] = [
  ...WINDOWS.map((w) => `ret_vwap_${w}`),
  'mom_10m_vol',
  'mom_1h_vol',
  'log_volatility',
  'position',
  'log_high_over_price',
  'log_price_over_low',
  ...REGIMES.map((r) => `regime_${r}`),
  'log_value_1h',
  'log_value_1d',
  'value_1h_vs_1d',
  'value_1d_vs_1w',
  'trades_1h_vs_1d',
  'breadth_1h',
  'breadth_24h',
  'xs_rank_mom_1h',
  // Cross-sectional: where the coin stands among all coins at the same instant.
  'xs_z_mom_10m',
  'xs_z_mom_1h',
  'xs_z_mom_1d',
  'xs_rank_volatility',
  'xs_z_log_volatility',
  'xs_rank_value_1h',
  'xs_z_value_1h_vs_1d',
  'xs_rank_position',
  // The touch, where the data has it (book tops; 0 otherwise, with the flag saying so).
  'has_book',
  'spread_bps',
  'book_imbalance',
];

export const FEATURE_COUNT = FEATURE_NAMES.length;

/**
 * The model's inputs for every market of one feature batch, written into `out` (rows of
 * FEATURE_COUNT). Everything comes from the FeatureSnapshots the live streams produce; scale-free
 * transforms (log ratios, volatility units) so one model serves coins of any price. Several inputs look
 * across the batch — market breadth, and the coin's rank or z-score among all coins at that instant for
 * momentum (10m, 1h, 1d), volatility, traded value, volume surge and position — because whether a coin
 * reaches its target depends on the whole market, and a coin's standing among its peers carries over
 * from one regime to another better than its raw level; all use only the same instant's snapshots. The
 * touch (spread, size imbalance) is used where the data has book tops.
 */
export function featureRows(snapshots: readonly FeatureSnapshot[], out: Float32Array, offset = 0): void {
  const n = snapshots.length;
  let bull1h = 0;
  let bear1h = 0;
  let bull24 = 0;
  let bear24 = 0;
  const mom = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = snapshots[i] as FeatureSnapshot;
    const r1 = s.regime['1h'];
    const r24 = s.regime['24h'];
    if (r1 === 'bull') bull1h++;
    else if (r1 === 'bear') bear1h++;
    if (r24 === 'bull') bull24++;
    else if (r24 === 'bear') bear24++;
    mom[i] = logRatio(s.price, s.windows['1h'].vwap);
  }
  const breadth1h = n > 0 ? (bull1h - bear1h) / n : 0;
  const breadth24 = n > 0 ? (bull24 - bear24) / n : 0;
  const rank = rankPercentile(mom);
  const column = (f: (s: FeatureSnapshot) => number): Float64Array => Float64Array.from(snapshots, f);
  const zMom10m = zScore(column((s) => logRatio(s.price, s.windows['10m'].vwap)));
  const zMom1h = zScore(mom);
  const zMom1d = zScore(column((s) => logRatio(s.price, s.windows['1d'].vwap)));
  const logVol = column((s) => Math.log(Math.max(s.volatility, 1e-5)));
  const rankVol = rankPercentile(logVol);
  const zVol = zScore(logVol);
  const rankValue = rankPercentile(column((s) => s.windows['1h'].value));
  const zSurge = zScore(column((s) => Math.log((1 + s.windows['1h'].value) / (1 + s.windows['1d'].value / 24))));
  const rankPosition = rankPercentile(column((s) => (Number.isFinite(s.position) ? s.position : 0.5)));
  for (let i = 0; i < n; i++) {
    const s = snapshots[i] as FeatureSnapshot;
    const w = (name: WindowName) => s.windows[name];
    const vol = Math.max(s.volatility, 0.002);
    let k = offset + i * FEATURE_COUNT;
    for (const name of WINDOWS) out[k++] = logRatio(s.price, w(name).vwap);
    out[k++] = logRatio(s.price, w('10m').vwap) / vol;
    out[k++] = logRatio(s.price, w('1h').vwap) / vol;
    out[k++] = Math.log(Math.max(s.volatility, 1e-5));
    out[k++] = Number.isFinite(s.position) ? s.position : 0.5;
    out[k++] = logRatio(s.high, s.price);
    out[k++] = logRatio(s.price, s.low);
    for (const r of REGIMES) out[k++] = regimeValue(s.regime[r]);
    out[k++] = Math.log10(1 + w('1h').value);
    out[k++] = Math.log10(1 + w('1d').value);
    out[k++] = Math.log((1 + w('1h').value) / (1 + w('1d').value / 24));
    out[k++] = Math.log((1 + w('1d').value) / (1 + w('1w').value / 7));
    out[k++] = Math.log((1 + w('1h').trades) / (1 + w('1d').trades / 24));
    out[k++] = breadth1h;
    out[k++] = breadth24;
    out[k++] = rank[i] as number;
    out[k++] = zMom10m[i] as number;
    out[k++] = zMom1h[i] as number;
    out[k++] = zMom1d[i] as number;
    out[k++] = rankVol[i] as number;
    out[k++] = zVol[i] as number;
    out[k++] = rankValue[i] as number;
    out[k++] = zSurge[i] as number;
    out[k++] = rankPosition[i] as number;
    const t = s.touch;
    const book = t !== undefined && t.bidPrice > 0 && t.askPrice >= t.bidPrice;
    out[k++] = book ? 1 : 0;
    out[k++] = book ? Math.min(500, ((t.askPrice - t.bidPrice) / ((t.askPrice + t.bidPrice) / 2)) * 10_000) : 0;
    out[k++] = book && t.bidSize + t.askSize > 0 ? (t.bidSize - t.askSize) / (t.bidSize + t.askSize) : 0;
  }
}

/** Rank percentile in [0, 1] within the batch; ties share their mean rank, so batch order does not matter. */
function rankPercentile(v: Float64Array): Float64Array {
  const n = v.length;
  const order = [...v.keys()].sort((a, b) => (v[a] as number) - (v[b] as number));
  const rank = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && v[order[j + 1] as number] === v[order[i] as number]) j++;
    for (let k = i; k <= j; k++) rank[order[k] as number] = n > 1 ? (i + j) / 2 / (n - 1) : 0.5;
    i = j + 1;
  }
  return rank;
}

/** (v − mean) / standard deviation within the batch, clipped to ±5; 0 for a batch without spread. */
function zScore(v: Float64Array): Float64Array {
  const n = v.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += v[i] as number;
  mean /= Math.max(1, n);
  let sq = 0;
  for (let i = 0; i < n; i++) sq += ((v[i] as number) - mean) ** 2;
  const sd = n > 1 ? Math.sqrt(sq / n) : 0;
  const out = new Float64Array(n);
  if (sd > 1e-12) for (let i = 0; i < n; i++) out[i] = Math.max(-5, Math.min(5, ((v[i] as number) - mean) / sd));
  return out;
}
