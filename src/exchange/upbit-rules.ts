import type { MarketRules, MarketSymbol } from '../core/index.js';
import { isPriceOnTick, roundPrice } from './tick-math.js';
import { upbitMarket } from '../market-data/symbols.js';

/** Upbit KRW minimum order total (KRW). */
export const UPBIT_KRW_MIN_TOTAL = 5_000;
/** Upbit KRW default fee per side (0.05%); the account's own rate comes from `/v1/orders/chance`. */
export const UPBIT_KRW_FEE_RATE = 0.0005;

/**
 * Upbit KRW tick table in force since 2025-07-31: `[lower band edge, tick]`, highest band first.
 * A price equal to an edge belongs to the band above it (1,000,000 → tick 1,000). Every edge is a
 * multiple of the tick above it, so rounding up inside a band can end on the edge and stay valid.
 */
const KRW_BANDS: readonly (readonly [number, number])[] = [
  [1_000_000, 1_000],
  [500_000, 500],
  [100_000, 100],
  [50_000, 50],
  [10_000, 10],
  [5_000, 5],
  [1_000, 1],
  [100, 1],
  [10, 0.1],
  [1, 0.01],
  [0.1, 0.001],
  [0.01, 0.0001],
  [0.001, 0.00001],
  [0.0001, 0.000001],
  [0.00001, 0.0000001],
  [0, 0.00000001],
];

/** Stablecoin markets that trade at 0.5 KRW between 1,000 and 10,000. */
const HALF_TICK_MARKETS = new Set(['USDT', 'USDC']);

/** Splits `BTC/KRW` (ccxt) or `KRW-BTC` (Upbit) into base and quote. */
export function parseKrwMarket(market: MarketSymbol): { base: string; quote: string } {
  const slash = /^([A-Z0-9]+)\/([A-Z0-9]+)$/i.exec(market);
  const dash = /^([A-Z0-9]+)-([A-Z0-9]+)$/i.exec(market);
  const [base, quote] = slash ? [slash[1], slash[2]] : dash ? [dash[2], dash[1]] : [undefined, undefined];
  if (!base || !quote) throw new Error(`invalid market "${market}": expected BASE/QUOTE (e.g. BTC/KRW) or KRW-BASE`);
  return { base: base.toUpperCase(), quote: quote.toUpperCase() };
}

function krwTick(price: number, halfTickMarket: boolean): number {
  if (!Number.isFinite(price) || price <= 0) throw new Error(`invalid price ${price}: expected a finite number > 0`);
  if (halfTickMarket && price >= 1_000 && price < 10_000) return 0.5;
  for (const [edge, tick] of KRW_BANDS) if (price >= edge) return tick;
  return 0.00000001;
}

function isHalfTickMarket(market: MarketSymbol | undefined): boolean {
  return market !== undefined && HALF_TICK_MARKETS.has(parseKrwMarket(market).base);
}

/** Tick size of a KRW price on Upbit. `market` matters only for USDT/KRW and USDC/KRW. */
export function upbitKrwTick(price: number, market?: MarketSymbol): number {
  return krwTick(price, isHalfTickMarket(market));
}

/** Tick-size source of one KRW market, in the shape `MarketRules.tickSize` has. */
function krwTicks(market?: MarketSymbol): { market: MarketSymbol; tickSize: (price: number) => number } {
  const half = isHalfTickMarket(market);
  return { market: market ?? 'KRW', tickSize: (price) => krwTick(price, half) };
}

/** Limit buy price: rounded down to the tick of the price's band (never pays more than asked). */
export function roundBuyPrice(price: number, market?: MarketSymbol): number {
  return roundPrice(krwTicks(market), price, 'down');
}

/** Limit sell price: rounded up to the tick of the price's band (never sells for less than asked). */
export function roundSellPrice(price: number, market?: MarketSymbol): number {
  return roundPrice(krwTicks(market), price, 'up');
}

/** True when `price` is a valid Upbit KRW price. */
export function isOnTick(price: number, market?: MarketSymbol): boolean {
  return isPriceOnTick(krwTicks(market), price);
}

/** Trading rules of one Upbit KRW market (`BTC/KRW` or `KRW-BTC`). Amounts: any (8 decimals). */
export function upbitKrwRules(market: MarketSymbol, options: { readonly feeRate?: number } = {}): MarketRules {
  const { base, quote } = parseKrwMarket(market);
  if (quote !== 'KRW') throw new Error(`upbitKrwRules: market "${market}" is not a KRW market`);
  const feeRate = options.feeRate ?? UPBIT_KRW_FEE_RATE;
  if (!Number.isFinite(feeRate) || feeRate < 0 || feeRate >= 1) throw new Error(`upbitKrwRules: invalid feeRate ${feeRate}: expected 0 ≤ rate < 1`);
  const half = HALF_TICK_MARKETS.has(base);
  return {
    market: `${base}/${quote}`,
    base,
    quote,
    tickSize: (price) => krwTick(price, half),
    amountStep: 0,
    minTotal: UPBIT_KRW_MIN_TOTAL,
    feeRate,
  };
}

/** Every tick the KRW table uses for `market` (to check an instruments answer against it). */
function tableTicks(market: MarketSymbol): Set<number> {
  const ticks = new Set<number>();
  for (let p = 1e-8; p < 1e8; p *= 10) for (const m of [1, 2, 5]) ticks.add(upbitKrwTick(p * m, market));
  return ticks;
}

/**
 * Rules of an Upbit market from its code and, when known, the tick `/v1/orderbook/instruments` gave.
 * KRW markets keep the banded table when the live tick is one of the table's ticks (the usual case:
 * the live answer confirms the table at today's price); a tick the table does not know wins flat, as
 * do the ticks of non-KRW markets (no table). Without a live tick KRW markets use the table.
 */
export function upbitRulesFromInstrument(code: string, liveTick: number | undefined, feeRate = UPBIT_KRW_FEE_RATE): MarketRules | undefined {
  const market = upbitMarket(code);
  if (market === undefined) return undefined;
  const [base, quote] = market.split('/') as [string, string];
  if (quote === 'KRW') {
    const table = upbitKrwRules(market, { feeRate });
    if (liveTick === undefined || tableTicks(market).has(liveTick)) return table;
    return { ...table, tickSize: () => liveTick };
  }
  if (liveTick === undefined) return undefined;
  return { market, base, quote, tickSize: () => liveTick, amountStep: 0, minTotal: quote === 'BTC' ? 0.00005 : quote === 'USDT' ? 0.5 : UPBIT_KRW_MIN_TOTAL, feeRate: quote === 'KRW' ? feeRate : 0.0025 };
}
