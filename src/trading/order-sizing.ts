import type { MarketRules } from '../core/index.js';
import { roundAmountDown, roundToTick } from '../exchange/index.js';

export type AllocationMode = 'equal' | 'score' | 'volatility';

export interface SizingLimits {
  readonly mode: AllocationMode;
  /** Most positions open at once (buying or holding). */
  readonly maxPositions: number;
  /** Largest fraction of equity committed to one coin. */
  readonly maxPerCoin: number;
  /** Fraction of equity always left in cash. */
  readonly cashReserve: number;
  /**
   * Scale every stake down with the bot's drawdown, to nothing at the kill switch's: stake × max(0, 1 −
   * drawdown / bot.maxDrawdown) (`drawdownScale`), so a losing run is sized smaller and smaller instead of
   * reaching the halt at full size.
   */
  readonly drawdownScaling?: boolean;
}

export interface Candidate {
  readonly market: string;
  readonly score: number;
  /** Limit price wanted (best bid or last price); rounded down to the tick here. */
  readonly price: number;
  readonly volatility: number;
  /** Most of the equity this buy may commit (the strategy's stake); unset: the allocation's share alone. */
  readonly fraction?: number | undefined;
}

export interface SizedOrder {
  readonly market: string;
  readonly price: number;
  readonly amount: number;
}

export interface Sizing {
  readonly orders: readonly SizedOrder[];
  readonly skipped: readonly { readonly market: string; readonly reason: string }[];
}

/**
 * The seed's order quantity distribution: splits the spendable cash (cash above the reserve) over the
 * candidates, best first, in the free position slots — equally, by score, or by inverse volatility —
 * capped per coin; the price rounded DOWN to the tick, the amount DOWN to the lot, the fee reserved, so
 * an order never spends more than its share. A share under the exchange minimum is skipped, never
 * rounded up past the budget.
 */
export function sizeOrders(input: {
  readonly candidates: readonly Candidate[];
  readonly cash: number;
  readonly equity: number;
  readonly openPositions: number;
  readonly limits: SizingLimits;
  readonly rules: (market: string) => MarketRules | undefined;
  /** Multiplies every stake's cap (drawdownScale); 1 when unset. */
  readonly stakeScale?: number;
}): Sizing {
  const { limits } = input;
  const skipped: { market: string; reason: string }[] = [];
  const slots = Math.max(0, limits.maxPositions - input.openPositions);
  // A market the exchange has halted opens no position (its orders would be refused), and takes no slot from one that trades.
  const open = input.candidates.filter((c) => {
    const halted = input.rules(c.market)?.halted;
    if (halted !== undefined) skipped.push({ market: c.market, reason: `market not trading (${halted})` });
    return halted === undefined;
  });
  const ranked = [...open].sort((a, b) => b.score - a.score || (a.market < b.market ? -1 : 1));
  const chosen = ranked.slice(0, slots);
  for (const c of ranked.slice(slots)) skipped.push({ market: c.market, reason: 'no free position slot' });
  const spendable = Math.max(0, input.cash - limits.cashReserve * input.equity);
  const weights = chosen.map((c) => (limits.mode === 'score' ? Math.max(c.score, 0) : limits.mode === 'volatility' ? 1 / Math.max(c.volatility, 0.001) : 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const orders: SizedOrder[] = [];
  chosen.forEach((c, i) => {
    const rules = input.rules(c.market);
    if (!rules) return void skipped.push({ market: c.market, reason: 'unknown market' });
    if (!((weights[i] as number) > 0) || total <= 0) return void skipped.push({ market: c.market, reason: 'zero weight' });
    const cap = c.fraction !== undefined ? Math.min(limits.maxPerCoin, c.fraction) : limits.maxPerCoin;
    const share = Math.min((spendable * (weights[i] as number)) / total, cap * (input.stakeScale ?? 1) * input.equity);
    // A price under the market's smallest tick (a coin that collapsed below it) cannot be bid: skipped, never a thrown batch.
    const price = Number.isFinite(c.price) && c.price > 0 ? roundToTick(c.price, rules.tickSize(c.price), 'down') : 0;
    if (!(price > 0)) return void skipped.push({ market: c.market, reason: `no valid price (${c.price} rounds to 0 at the tick)` });
    // Upbit takes 8 decimals where the rules give no lot (amountStep 0).
    const amount = roundAmountDown(share / (price * (1 + rules.feeRate)), rules.amountStep > 0 ? rules.amountStep : 1e-8);
    if (amount * price < rules.minTotal || !(amount > 0) || amount < (rules.minAmount ?? 0)) return void skipped.push({ market: c.market, reason: `under the minimum order (${rules.minTotal}${rules.minAmount ? `, ${rules.minAmount} ${rules.base}` : ''})` });
    orders.push({ market: c.market, price, amount });
  });
  return { orders, skipped };
}

/**
 * The stake multiplier of `drawdownScaling`: 1 at the peak, falling linearly with the drawdown from it to
 * 0 where the kill switch trips (maxDrawdown). Without a peak yet (0) or a limit (0): 1.
 */
export function drawdownScale(equity: number, peakEquity: number, maxDrawdown: number): number {
  if (!(peakEquity > 0) || !(maxDrawdown > 0)) return 1;
  const drawdown = Math.max(0, (peakEquity - equity) / peakEquity);
  return Math.max(0, 1 - drawdown / maxDrawdown);
}
