import type { MarketRules, MarketSymbol } from '../core/index.js';
import { upbitKrwRules } from './upbit-rules.js';

/** The part of a ccxt market (`exchange.markets[symbol]`) that trading rules come from. */
export interface CcxtMarketLike {
  readonly symbol: string;
  readonly base: string;
  readonly quote: string;
  readonly precision: { readonly price?: number | undefined; readonly amount?: number | undefined };
  readonly limits?: {
    readonly cost?: { readonly min?: number | undefined } | undefined;
    readonly amount?: { readonly min?: number | undefined } | undefined;
  };
  readonly taker?: number | undefined;
  readonly maker?: number | undefined;
}

/**
 * How `precision` numbers read: `tickSize` (ccxt `TICK_SIZE` = 4, e.g. price 0.01) or
 * `decimalPlaces` (ccxt `DECIMAL_PLACES` = 2, e.g. price 2 meaning 0.01). ccxt's numeric constants
 * are accepted too; significant-digits mode (3) has no fixed tick and is refused.
 */
export type PrecisionMode = 'tickSize' | 'decimalPlaces' | 2 | 4;

export interface GenericRulesOptions {
  readonly precisionMode: PrecisionMode;
  /** Overrides the market's own `taker` fee. */
  readonly feeRate?: number;
}

function precisionToStep(value: number | undefined, mode: 'tickSize' | 'decimalPlaces', what: string): number | undefined {
  if (value === undefined) return undefined;
  if (mode === 'tickSize') {
    if (!Number.isFinite(value) || value <= 0) throw new Error(`invalid ${what} ${value}: expected a tick size > 0`);
    return value;
  }
  if (!Number.isInteger(value) || value < 0 || value > 15) throw new Error(`invalid ${what} ${value}: expected 0…15 decimal places`);
  // Built by division so 10^-d is the clean decimal double (0.01, not 0.010000000000000002).
  return 1 / 10 ** value;
}

function normalizeMode(mode: PrecisionMode): 'tickSize' | 'decimalPlaces' {
  if (mode === 'tickSize' || mode === 4) return 'tickSize';
  if (mode === 'decimalPlaces' || mode === 2) return 'decimalPlaces';
  throw new Error(`unsupported precision mode ${String(mode)}: expected tickSize (4) or decimalPlaces (2)`);
}

/** Rules of a market with one fixed tick and lot, from ccxt market metadata. */
export function genericMarketRules(market: CcxtMarketLike, options: GenericRulesOptions): MarketRules {
  const mode = normalizeMode(options.precisionMode);
  const tick = precisionToStep(market.precision.price, mode, `price precision of ${market.symbol}`);
  if (tick === undefined) throw new Error(`market ${market.symbol} has no price precision: cannot derive its tick`);
  const amountStep = precisionToStep(market.precision.amount, mode, `amount precision of ${market.symbol}`) ?? 0;
  const feeRate = options.feeRate ?? market.taker;
  if (feeRate === undefined || !Number.isFinite(feeRate) || feeRate < 0 || feeRate >= 1) {
    throw new Error(`market ${market.symbol}: invalid or missing fee rate ${String(feeRate)}: pass feeRate or a market with taker fee in [0, 1)`);
  }
  const minTotal = market.limits?.cost?.min ?? 0;
  if (!Number.isFinite(minTotal) || minTotal < 0) throw new Error(`market ${market.symbol}: invalid limits.cost.min ${minTotal}`);
  // Binance's LOT_SIZE minQty: left out, a remainder between the step and it was refused at every exit, never closed as dust.
  const minAmount = market.limits?.amount?.min;
  const rules = { market: market.symbol, base: market.base, quote: market.quote, tickSize: () => tick, amountStep, minTotal, feeRate };
  return minAmount !== undefined && Number.isFinite(minAmount) && minAmount > amountStep ? { ...rules, minAmount } : rules;
}

export type RulesSource = ReadonlyMap<MarketSymbol, MarketRules> | ((market: MarketSymbol) => MarketRules | undefined);

/**
 * The usual rules source: Upbit KRW rules for every `*\/KRW` market, generic rules from ccxt metadata
 * for the others, undefined (unknown market) for anything else.
 */
export function defaultRulesSource(options: {
  readonly ccxtMarkets?: Readonly<Record<string, CcxtMarketLike>>;
  readonly precisionMode?: PrecisionMode;
  readonly krwFeeRate?: number;
  readonly feeRate?: number;
} = {}): (market: MarketSymbol) => MarketRules | undefined {
  const cache = new Map<MarketSymbol, MarketRules | undefined>();
  return (market) => {
    if (cache.has(market)) return cache.get(market);
    let rules: MarketRules | undefined;
    const meta = options.ccxtMarkets?.[market];
    if (/^[A-Z0-9]+\/KRW$/i.test(market)) {
      rules = upbitKrwRules(market, options.krwFeeRate === undefined ? {} : { feeRate: options.krwFeeRate });
    } else if (meta) {
      rules = genericMarketRules(meta, {
        precisionMode: options.precisionMode ?? 'tickSize',
        ...(options.feeRate === undefined ? {} : { feeRate: options.feeRate }),
      });
    }
    cache.set(market, rules);
    return rules;
  };
}
