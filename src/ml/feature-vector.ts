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
];

export const FEATURE_COUNT = FEATURE_NAMES.length;

/**
 * The model's inputs for every market of one feature batch, written into `out` (rows of
 * FEATURE_COUNT). Everything comes from the FeatureSnapshots the live streams produce; scale-free
 * transforms (log ratios, volatility units) so one model serves coins of any price. Two inputs look
 * across the batch — market breadth and the market's momentum rank — because whether a coin reaches its
 * target depends on the whole market; both use only the same instant's snapshots.
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
  // Rank percentile of the 1h momentum: ties share their mean rank, so the input does not depend on batch order.
  const order = [...mom.keys()].sort((a, b) => (mom[a] as number) - (mom[b] as number));
  const rank = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && mom[order[j + 1] as number] === mom[order[i] as number]) j++;
    for (let k = i; k <= j; k++) rank[order[k] as number] = n > 1 ? (i + j) / 2 / (n - 1) : 0.5;
    i = j + 1;
  }
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
  }
}
