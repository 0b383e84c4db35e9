import { HOUR_MS } from '../../core/index.js';

/** Figures of one policy over one span, all with the same costs. */
export interface PolicyMetrics {
  readonly policy: string;
  readonly totalReturn: number;
  /** From hourly returns, annualised by √(24·365) like the engine's statistics. */
  readonly sharpe: number;
  readonly maxDrawdown: number;
  /** Share of closed trades with a positive P&L (NaN without trades). */
  readonly winRate: number;
  readonly trades: number;
  readonly fees: number;
  readonly finalEquity: number;
  readonly note?: string;
}

export function policyMetrics(policy: string, initial: number, equity: readonly { ts: number; equity: number }[], pnls: readonly number[], fees: number, note?: string): PolicyMetrics {
  let peak = initial;
  let maxDrawdown = 0;
  const hourly: number[] = [];
  let hour = Number.NaN;
  let hourEnd = initial;
  for (const p of equity) {
    peak = Math.max(peak, p.equity);
    if (peak > 0) maxDrawdown = Math.max(maxDrawdown, (peak - p.equity) / peak);
    const h = Math.floor(p.ts / HOUR_MS);
    if (h !== hour) {
      if (!Number.isNaN(hour)) hourly.push(hourEnd);
      hour = h;
    }
    hourEnd = p.equity;
  }
  hourly.push(hourEnd);
  const rets: number[] = [];
  let prev = initial;
  for (const e of hourly) {
    rets.push(prev > 0 ? e / prev - 1 : 0);
    prev = e;
  }
  const mean = rets.reduce((a, b) => a + b, 0) / Math.max(1, rets.length);
  const sd = Math.sqrt(rets.reduce((a, r) => a + (r - mean) ** 2, 0) / Math.max(1, rets.length - 1));
  const finalEquity = equity.length > 0 ? (equity[equity.length - 1] as { equity: number }).equity : initial;
  const wins = pnls.filter((p) => p > 0).length;
  return { policy, totalReturn: finalEquity / initial - 1, sharpe: sd > 0 ? (mean / sd) * Math.sqrt(24 * 365) : 0, maxDrawdown, winRate: pnls.length > 0 ? wins / pnls.length : Number.NaN, trades: pnls.length, fees, finalEquity, ...(note ? { note } : {}) };
}

/** Mean of several runs' figures (the random policy over seeds). */
export function meanMetrics(policy: string, runs: readonly PolicyMetrics[], note?: string): PolicyMetrics {
  const avg = (f: (m: PolicyMetrics) => number): number => runs.reduce((a, m) => a + f(m), 0) / Math.max(1, runs.length);
  return { policy, totalReturn: avg((m) => m.totalReturn), sharpe: avg((m) => m.sharpe), maxDrawdown: avg((m) => m.maxDrawdown), winRate: avg((m) => m.winRate), trades: avg((m) => m.trades), fees: avg((m) => m.fees), finalEquity: avg((m) => m.finalEquity), ...(note ? { note } : {}) };
}
