import type { Balance, MarketEvent, Venue } from '../core/index.js';
import { MarketRound } from '../core/market-round.js';
import { objectArray } from '../core/object-array.js';
import type { PriceSpan } from '../report/results.js';

/** A market's last price; while a span is kept (startSpan), its first and last price in the span too. */
interface PriceCell {
  price: number;
  inSpan: boolean;
  first: number;
  last: number;
  /** Time of the last price (NaN for a price restored from a checkpoint, until the market's next event). */
  ts: number;
  /** How long the market may be silent before its price is stale (STALE_CANDLES of its candles, else `staleAfterMs`). */
  allowMs: number;
}

/** A non-zero balance as `equity` values it: the quote's total, or a coin's total and its market's price cell. */
interface Holding {
  readonly currency: string;
  readonly total: number;
  readonly quote: boolean;
  cell: PriceCell | undefined;
}

/**
 * A candle market's price goes stale after this many of its candles without an event (on 5m candles 25
 * minutes, on daily ones 5 days): its own clock, whatever `features.staleAfter` says (a candles profile
 * sets a day there, which would hide an exchange's hour-long outage on 5m candles).
 */
export const STALE_CANDLES = 5;

/** What a market's last price says, and how old it may grow (see `Portfolio.lastSeen`). */
export interface LastSeen {
  readonly price: number;
  /** Time of that price (a restored price no event has followed: its checkpoint's time). */
  readonly ts: number;
  readonly allowMs: number;
}

/**
 * The portfolio: the venue's balances, the last traded price of every market, and the equity they make.
 * Every market event writes its price here (in a mutable cell: no Map write, no boxed number per event).
 */
export class Portfolio {
  readonly #venue: Venue;
  readonly #quote: string;
  /** Found by the market's place in the round of events (see MarketRound): no Map look-up an event. */
  readonly #lastPrice = new MarketRound<PriceCell>();
  /** A coin's price cell by currency, once its market has a price (equity is valued every batch). */
  readonly #coinCell = new Map<string, PriceCell>();
  #spanning = false;
  /** The markets priced in the span, in the order of their first price there. */
  readonly #spanned = objectArray<string>();

  readonly #staleAfterMs: number;
  /** The checkpoint time of a restored run (NaN otherwise): the latest a restored price can be from. */
  readonly #restoredTs: number;
  /** The balance list `equity` last valued, and its non-zero balances (see #hold). */
  #heldOf: readonly Balance[] | undefined;
  readonly #held = objectArray<Holding>();
  /** Set when `notePrice` answers true: how long the market had been silent. */
  gapMs = 0;

  /**
   * `staleAfterMs` (the configuration's `features.staleAfter`): a market of trades or tickers silent longer
   * than this has a stale price, a market of candles one silent for STALE_CANDLES of them; `notePrice` says
   * when its next event ends such a gap.
   */
  constructor(venue: Venue, quote: string, restored: readonly (readonly [string, number])[] = [], staleAfterMs = Infinity, restoredTs = Number.NaN) {
    this.#venue = venue;
    this.#quote = quote;
    this.#staleAfterMs = staleAfterMs;
    this.#restoredTs = restoredTs;
    for (const [m, p] of restored) this.#lastPrice.set(m, { price: p, inSpan: false, first: Number.NaN, last: Number.NaN, ts: Number.NaN, allowMs: staleAfterMs });
  }

  #allowFor(event: MarketEvent): number {
    return event.kind === 'candle' ? STALE_CANDLES * (event.ts - event.openTime) : this.#staleAfterMs;
  }

  /** Notes the event's price; true when the market had been silent longer than it may be (`gapMs` says how long). */
  notePrice(event: MarketEvent): boolean {
    // tradedPrice (src/core/market.ts) written out: its number-or-undefined answer cost a heap number an event.
    let price: number;
    switch (event.kind) {
      case 'trade':
      case 'ticker':
        price = event.price;
        break;
      case 'candle':
        price = event.close;
        break;
      default:
        return false;
    }
    let gapped = false;
    let cell = this.#lastPrice.get(event.market);
    if (cell === undefined) this.#lastPrice.set(event.market, (cell = { price, inSpan: false, first: Number.NaN, last: Number.NaN, ts: event.ts, allowMs: this.#allowFor(event) }));
    else {
      cell.price = price;
      const gap = event.ts - cell.ts;
      if (gap > cell.allowMs) {
        this.gapMs = gap;
        gapped = true;
      } else if (gap !== gap) cell.allowMs = this.#allowFor(event); // the first event after a restore
      cell.ts = event.ts;
    }
    if (!this.#spanning) return gapped;
    if (cell.inSpan) cell.last = price;
    else {
      cell.inSpan = true;
      cell.first = cell.last = price;
      this.#spanned.push(event.market);
    }
    return gapped;
  }

  /** The market's last price, its time and how long it may stay unchanged before it is stale; undefined before its first price. */
  lastSeen(market: string): LastSeen | undefined {
    const cell = this.#lastPrice.get(market);
    // A restored price no event has followed is at least as old as its checkpoint: a market silent since
    // then (delisted while the bot was down) is reported stale like any other.
    return cell && { price: cell.price, ts: cell.ts === cell.ts ? cell.ts : this.#restoredTs, allowMs: cell.allowMs };
  }

  /**
   * From now until `pauseSpan`, every price noted also enters the span: each market's first and last price
   * there (a backtest's market change over its traded span, kept here rather than looked up a second time
   * an event).
   */
  startSpan(): void {
    this.#spanning = true;
  }

  /** Prices noted from now until the next `startSpan` stay out of the span (a time range's warm-up). */
  pauseSpan(): void {
    this.#spanning = false;
  }

  /** First and last price in the span of every market priced there, in the order of their first price. */
  span(): Map<string, PriceSpan> {
    const out = new Map<string, PriceSpan>();
    for (const market of this.#spanned) {
      const cell = this.#lastPrice.get(market) as PriceCell;
      out.set(market, { first: cell.first, last: cell.last });
    }
    return out;
  }

  /** Last traded price of the market; undefined before its first trade. */
  price(market: string): number | undefined {
    return this.#lastPrice.get(market)?.price;
  }

  /** Every market's last price (a checkpoint's). */
  prices(): (readonly [string, number])[] {
    return this.#lastPrice.entries().map(([m, cell]) => [m, cell.price] as const);
  }

  /** Free and locked balance of every currency of the account. */
  balances(): readonly Balance[] {
    return this.#venue.getBalances();
  }

  /** Free quote currency: what new positions are sized from. */
  cash(): number {
    return this.#venue.getBalance(this.#quote).free;
  }

  /** Equity in quote currency: every balance, free and locked, at the last price; `invested` is the part in coins. */
  equity(): { equity: number; invested: number } {
    const balances = this.#venue.getBalances();
    if (balances !== this.#heldOf) this.#hold(balances);
    let equity = 0;
    let invested = 0;
    const held = this.#held;
    for (let i = 0; i < held.length; i++) {
      const h = held[i] as Holding;
      if (h.quote) {
        equity += h.total;
        continue;
      }
      // A coin held before its market's first price is looked up again until it has one.
      const cell = h.cell ?? (h.cell = this.#coinCellOf(h.currency));
      const value = h.total * (cell?.price ?? 0);
      equity += value;
      invested += value;
    }
    return { equity, invested };
  }

  /**
   * What of `balances` is held, in their order (the sums add in the same order as over the whole list):
   * valued every feature batch, a list of every currency the run ever touched, mostly zeros, while the
   * simulated venue answers the same frozen list until a balance or a lock changes.
   */
  #hold(balances: readonly Balance[]): void {
    this.#heldOf = balances;
    const held = this.#held;
    held.length = 0;
    for (let i = 0; i < balances.length; i++) {
      const b = balances[i] as Balance;
      const total = b.free + b.locked;
      // Adding a zero changes neither sum (most coins of a long run are no longer held).
      if (total === 0) continue;
      const quote = b.currency === this.#quote;
      held.push({ currency: b.currency, total, quote, cell: quote ? undefined : this.#coinCellOf(b.currency) });
    }
  }

  /** A coin's price cell, once its market has a price. */
  #coinCellOf(currency: string): PriceCell | undefined {
    let cell = this.#coinCell.get(currency);
    if (cell === undefined) {
      cell = this.#lastPrice.get(`${currency}/${this.#quote}`);
      if (cell !== undefined) this.#coinCell.set(currency, cell);
    }
    return cell;
  }
}
