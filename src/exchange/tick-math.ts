import type { MarketRules } from '../core/index.js';

/**
 * Floating-point-safe price and amount rounding. Every computation is done in integer multiples of
 * the tick (`price × 10^d / unit`, where `tick = unit / 10^d`), and every result is built as
 * `(k × unit) / 10^d`: an exact integer divided by an exact power of ten, which IEEE division rounds
 * to the double nearest the decimal value, so results serialize cleanly (`0.3`, never
 * `0.30000000000000004`).
 *
 * A price within `RELATIVE_TOLERANCE` of a tick multiple counts as on that tick: this absorbs the
 * few-ulp noise of ordinary arithmetic (0.1 + 0.2) and nothing larger (1234.5000000001 is off tick).
 */
export const RELATIVE_TOLERANCE = 16 * Number.EPSILON;

export type RoundDirection = 'down' | 'up' | 'nearest';

interface TickScale {
  /** 10^d. */
  readonly scale: number;
  /** tick × 10^d, an integer ≥ 1. */
  readonly unit: number;
}

const scaleCache = new Map<number, TickScale>();

/** Decimal representation of a tick: 0.5 → {scale 10, unit 5}; 1000 → {scale 1, unit 1000}. */
function tickScale(tick: number): TickScale {
  const cached = scaleCache.get(tick);
  if (cached) return cached;
  if (!Number.isFinite(tick) || tick <= 0) throw new Error(`invalid tick size ${tick}: expected a finite number > 0`);
  for (let d = 0; d <= 15; d++) {
    const scale = 10 ** d;
    const scaled = tick * scale;
    const unit = Math.round(scaled);
    if (unit >= 1 && Math.abs(scaled - unit) <= scaled * 1e-9) {
      const result = { scale, unit };
      scaleCache.set(tick, result);
      return result;
    }
  }
  throw new Error(`invalid tick size ${tick}: more than 15 decimal places`);
}

function assertPrice(value: number, what: string): void {
  if (!Number.isFinite(value) || value < 0) throw new Error(`invalid ${what} ${value}: expected a finite number ≥ 0`);
}

/** Number of ticks in `value`, snapped to an integer when within tolerance. */
function tickCount(value: number, tick: number, direction: RoundDirection): { k: number; scale: TickScale } {
  const scale = tickScale(tick);
  const q = (value * scale.scale) / scale.unit;
  const nearest = Math.round(q);
  if (direction === 'nearest' || Math.abs(q - nearest) <= Math.max(q, 1) * RELATIVE_TOLERANCE) return { k: nearest, scale };
  return { k: direction === 'down' ? Math.floor(q) : Math.ceil(q), scale };
}

/** Rounds `value` to a multiple of `tick` in the given direction; the result serializes cleanly. */
export function roundToTick(value: number, tick: number, direction: RoundDirection): number {
  assertPrice(value, 'value');
  const { k, scale } = tickCount(value, tick, direction);
  return (k * scale.unit) / scale.scale;
}

/** True when `value` is a multiple of `tick` (within the few-ulp tolerance above). */
export function isMultipleOfTick(value: number, tick: number): boolean {
  if (!Number.isFinite(value) || value < 0) return false;
  const scale = tickScale(tick);
  const q = (value * scale.scale) / scale.unit;
  return Math.abs(q - Math.round(q)) <= Math.max(q, 1) * RELATIVE_TOLERANCE;
}

/**
 * Rounds a price to the tick of the band it falls in. With banded ticks (Upbit) rounding down stays
 * in the band and rounding up ends at most on the upper band edge, which every table keeps on the
 * higher band's tick, so the result is always a valid price.
 */
export function roundPrice(rules: Pick<MarketRules, 'tickSize' | 'market'>, price: number, direction: RoundDirection): number {
  if (!Number.isFinite(price) || price <= 0) throw new Error(`invalid price ${price} for ${rules.market}: expected a finite number > 0`);
  const rounded = roundToTick(price, rules.tickSize(price), direction);
  if (rounded <= 0) throw new Error(`price ${price} for ${rules.market} is below the smallest tick ${rules.tickSize(price)}`);
  return rounded;
}

/** True when the price is a valid price of the market (a positive multiple of its band's tick). */
export function isPriceOnTick(rules: Pick<MarketRules, 'tickSize'>, price: number): boolean {
  if (!Number.isFinite(price) || price <= 0) return false;
  return isMultipleOfTick(price, rules.tickSize(price));
}

/**
 * The valid price one tick below `price` (which must be on tick), or 0 when `price` is the smallest
 * valid price. At a band edge this is one tick of the lower band: below 1,000,000 KRW comes 999,500.
 */
export function priceBelow(rules: Pick<MarketRules, 'tickSize' | 'market'>, price: number): number {
  // The smallest ratio between adjacent bands is 10, so a hundredth of this tick lands inside the lower band's last tick.
  const inside = price - rules.tickSize(price) / 100;
  return inside > 0 ? roundToTick(inside, rules.tickSize(inside), 'down') : 0;
}

/** The valid price one tick above `price` (which must be on tick). */
export function priceAbove(rules: Pick<MarketRules, 'tickSize' | 'market'>, price: number): number {
  return roundPrice(rules, price + rules.tickSize(price) / 100, 'up');
}

/** Rounds an amount down to the lot step (0 = any amount, returned unchanged). */
export function roundAmountDown(amount: number, step: number): number {
  if (!Number.isFinite(amount) || amount < 0) throw new Error(`invalid amount ${amount}: expected a finite number ≥ 0`);
  return step > 0 ? roundToTick(amount, step, 'down') : amount;
}
