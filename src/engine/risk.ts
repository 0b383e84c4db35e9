import type { MarketRules } from '../core/index.js';
import { roundAmountDown, roundPrice } from '../exchange/index.js';
import type { PositionEvent } from '../../machines/index.js';
import { drawdownScale, sizeOrders, type Candidate, type Sizing, type SizingLimits } from '../trading/order-sizing.js';
import type { Portfolio } from './portfolio.js';

/**
 * What became of a strategy decision: carried out (`acted`), or why not. A BUY is settled when the
 * ranking it waits for is sized: no free slot, the bot halted (kill switch, stopped), the share under the
 * exchange minimum, the store not writable, the live balances not read (re-reads failing); a BUY of a coin with a position is `already-holding`; a SELL
 * or CANCEL of a coin without one is `no-position`; a BUY or SELL of a market whose last order the
 * exchange refused, within the wait that follows (src/engine/reject-cooldown.ts), is `cooling-down`.
 */
export type DecisionOutcome = 'acted' | 'already-holding' | 'no-slot' | 'halted' | 'below-minimum' | 'store-unwritable' | 'balances-stale' | 'no-position' | 'not-traded-quote' | 'unsized' | 'cooling-down';

/** What the risk step looks at before new positions are sized. */
export interface EntryState {
  readonly openPositions: number;
  readonly maxPositions: number;
  /** The bot actor's state: only `running` opens positions. */
  readonly botState: unknown;
  /** False while the store cannot write snapshots (entries wait; exits never do). */
  readonly storeWritable: boolean;
  /** False while the venue's balances are stale (live re-reads failing): entries wait; exits never do. */
  readonly balancesCurrent?: boolean;
}

/**
 * The risk step between the strategy and the router, for entries: why no new position may open now
 * (every BUY of the ranking gets this outcome), or undefined to go on to sizing.
 */
export function entryDenial(s: EntryState): DecisionOutcome | undefined {
  if (s.openPositions >= s.maxPositions) return 'no-slot';
  if (s.botState !== 'running') return 'halted';
  if (!s.storeWritable) return 'store-unwritable';
  if (s.balancesCurrent === false) return 'balances-stale';
  return undefined;
}

/** The outcome of a BUY the sizing skipped, from its reason (src/trading/order-sizing.ts). */
export function skippedOutcome(reason: string): DecisionOutcome {
  return reason === 'no free position slot' ? 'no-slot' : reason.startsWith('under the minimum') ? 'below-minimum' : 'unsized';
}

/**
 * The risk step for an exit: the sell order the venue's rules allow for what the position holds — the
 * price on the tick (rounded up: never sell below the asked price), whole lots only (a remainder under
 * the lot step, left by partial fills, cannot be sold and stays as dust) — or `below-minimum` when what
 * can be sold is nothing or under the market's minimum order.
 */
export function sellOrder(rules: MarketRules, held: number, price: number): { readonly price: number; readonly amount: number } | 'below-minimum' {
  const sellPrice = roundPrice(rules, price, 'up');
  const amount = roundAmountDown(held, rules.amountStep);
  if (amount <= 0 || amount * sellPrice < rules.minTotal || amount < (rules.minAmount ?? 0)) return 'below-minimum';
  return { price: sellPrice, amount };
}

/**
 * What an exit tells the position (the engine's SELL, its liquidation, the RL environment's): the sell
 * order of `sellOrder`, or — dust below the minimum order — closing the position.
 */
export function exitEvent(rules: MarketRules, held: number, price: number, reason: string, ts: number): { readonly event: PositionEvent; readonly outcome: 'acted' | 'below-minimum' } {
  const order = sellOrder(rules, held, price);
  if (order === 'below-minimum') return { event: { type: 'position.close', ts, reason: 'dust below the minimum order' }, outcome: 'below-minimum' };
  return { event: { type: 'decision.sell', ts, price: order.price, amount: order.amount, reason }, outcome: 'acted' };
}

/** What entry sizing reads of the account. */
export interface EntryAccount {
  readonly portfolio: Portfolio;
  readonly quote: string;
  readonly rules: (market: string) => MarketRules | undefined;
  readonly openPositions: number;
  readonly limits: SizingLimits;
  /** The bot's equity peak and kill-switch drawdown, for `limits.drawdownScaling`. */
  readonly drawdown?: { readonly peakEquity: number; readonly maxDrawdown: number };
}

const NOTHING_SIZED: Sizing = { orders: [], skipped: [] };

/**
 * The BUYs of one ranking that passed `entryDenial`, sized together (src/trading/order-sizing.ts): those
 * of markets in the account's quote currency, splitting the free cash against the portfolio's equity.
 */
export function sizeEntries(candidates: readonly Candidate[], account: EntryAccount): Sizing {
  const traded = candidates.filter((c) => account.rules(c.market)?.quote === account.quote);
  if (traded.length === 0) return NOTHING_SIZED;
  const cash = account.portfolio.cash();
  const equity = account.portfolio.equity().equity;
  const d = account.limits.drawdownScaling ? account.drawdown : undefined;
  const stakeScale = d ? drawdownScale(equity, d.peakEquity, d.maxDrawdown) : 1;
  return sizeOrders({ candidates: traded, cash, equity, openPositions: account.openPositions, limits: account.limits, rules: account.rules, stakeScale });
}

/**
 * The price an exit asks when the decision names none: the book's bid when known, else the last traded
 * price, else the price the features saw (candles and trades carry no book).
 */
export function exitPrice(touchBid: number | undefined, lastPrice: number | undefined, price: number | undefined): number {
  return touchBid ?? lastPrice ?? price ?? 0;
}
