import { DAY_MS, quoteOf } from '../core/index.js';
import type { Halt, HourRow, TradeRecord } from './performance.js';

export type { Halt };

/**
 * The tables a trader reads after a run, computed from its trades, its hourly figures and the prices of
 * the traded span: per pair, per exit reason, per UTC day and month, the market's own change, the halts
 * and what became of the decisions. Pure functions: the same run gives the same tables.
 */

export interface PairRow {
  readonly market: string;
  readonly trades: number;
  readonly wins: number;
  readonly winRate: number;
  /** Quote currency, net of fees. */
  readonly pnl: number;
  readonly meanReturn: number;
  /** Mean time from the first buy fill to the last sell fill, ms. */
  readonly meanHoldMs: number;
  /** Buy-and-hold of this coin over the traded span (first to last price); null when no price was seen. */
  readonly marketChange: number | null;
}

/** Exit reasons as a trader groups them; `reasons` keeps the strategy's own words. */
export type ExitKind = 'take-profit' | 'stop' | 'trailing' | 'time' | 'cancel' | 'halt' | 'other';

export interface ExitRow {
  readonly exit: ExitKind;
  readonly trades: number;
  readonly wins: number;
  readonly winRate: number;
  readonly pnl: number;
  readonly meanReturn: number;
  readonly meanHoldMs: number;
  /** The raw reasons in this group with their counts (a user strategy's `trailing-stop`, `take-profit`…). */
  readonly reasons: Readonly<Record<string, number>>;
}

export interface PeriodRow {
  /** `2021-01-05` (day) or `2021-01` (month), UTC. */
  readonly period: string;
  readonly equityStart: number;
  readonly equityEnd: number;
  readonly return: number;
  /** Trades closed in the period, and their P&L. */
  readonly trades: number;
  readonly wins: number;
  readonly pnl: number;
}

export interface MarketChange {
  /** Equal-weight buy-and-hold of every market of the traded quote over the traded span: mean of last / first − 1. */
  readonly change: number | null;
  readonly markets: number;
  /** The run's return minus the market change. */
  readonly excess: number | null;
}

/** Decisions by kind: how many the engine carried out and how many it suppressed, and why. */
export interface DecisionRow {
  readonly kind: string;
  readonly total: number;
  readonly acted: number;
  readonly suppressed: number;
  readonly why: Readonly<Record<string, number>>;
}

export interface RunResults {
  readonly pairs: readonly PairRow[];
  readonly exits: readonly ExitRow[];
  readonly daily: readonly PeriodRow[];
  readonly monthly: readonly PeriodRow[];
  readonly market: MarketChange;
  readonly halts: readonly Halt[];
  readonly decisions: readonly DecisionRow[];
}

const EXIT_ORDER: readonly ExitKind[] = ['take-profit', 'stop', 'trailing', 'time', 'cancel', 'halt', 'other'];

/**
 * The group of an exit reason. Matching words rather than exact names keeps a user strategy's reasons
 * (`trailing-stop`, `stop-loss-2`, `max-hold`) in the right group; `trailing` is tested before `stop`.
 */
export function exitKind(reason: string): ExitKind {
  const r = reason.toLowerCase();
  if (r.includes('take-profit') || r.includes('take profit') || r.includes('target')) return 'take-profit';
  if (r.includes('trailing')) return 'trailing';
  if (r.includes('kill-switch') || r.includes('liquidat') || r.includes('halt')) return 'halt';
  if (r.includes('stop')) return 'stop';
  if (r.includes('time') || r.includes('hold')) return 'time';
  if (r.includes('cancel') || r.includes('reject') || r.includes('unfilled') || r.includes('dust') || r.includes('closed')) return 'cancel';
  return 'other';
}

interface Acc {
  trades: number;
  wins: number;
  pnl: number;
  returns: number;
  hold: number;
}

function add(acc: Acc, t: TradeRecord): void {
  acc.trades++;
  if (t.pnl > 0) acc.wins++;
  acc.pnl += t.pnl;
  acc.returns += t.return;
  acc.hold += t.closedTs - t.openedTs;
}

const empty = (): Acc => ({ trades: 0, wins: 0, pnl: 0, returns: 0, hold: 0 });

/** Per-pair rows, most P&L first (ties by market name). */
export function pairTable(trades: readonly TradeRecord[], marketChanges: ReadonlyMap<string, number> = new Map()): PairRow[] {
  const by = new Map<string, Acc>();
  for (const t of trades) {
    let acc = by.get(t.market);
    if (!acc) by.set(t.market, (acc = empty()));
    add(acc, t);
  }
  return [...by]
    .map(([market, a]) => ({ market, trades: a.trades, wins: a.wins, winRate: a.wins / a.trades, pnl: a.pnl, meanReturn: a.returns / a.trades, meanHoldMs: a.hold / a.trades, marketChange: marketChanges.get(market) ?? null }))
    .sort((a, b) => b.pnl - a.pnl || (a.market < b.market ? -1 : a.market > b.market ? 1 : 0));
}

/** Exit groups in a fixed order (take-profit, stop, trailing, time, cancel, halt, other); empty groups left out. */
export function exitTable(trades: readonly TradeRecord[]): ExitRow[] {
  const by = new Map<ExitKind, Acc & { reasons: Record<string, number> }>();
  for (const t of trades) {
    const kind = exitKind(t.reason);
    let acc = by.get(kind);
    if (!acc) by.set(kind, (acc = Object.assign(empty(), { reasons: {} as Record<string, number> })));
    add(acc, t);
    acc.reasons[t.reason] = (acc.reasons[t.reason] ?? 0) + 1;
  }
  return EXIT_ORDER.filter((k) => by.has(k)).map((exit) => {
    const a = by.get(exit) as Acc & { reasons: Record<string, number> };
    return { exit, trades: a.trades, wins: a.wins, winRate: a.wins / a.trades, pnl: a.pnl, meanReturn: a.returns / a.trades, meanHoldMs: a.hold / a.trades, reasons: a.reasons };
  });
}

function periodOf(ts: number, unit: 'day' | 'month'): string {
  return new Date(ts).toISOString().slice(0, unit === 'day' ? 10 : 7);
}

/**
 * Per UTC day or month: equity at the start of its first hour and at the end of its last (from the
 * hourly figures), and the trades closed in it. A period with trades but no hourly figure cannot happen
 * (a closing fill reports equity).
 */
export function periodTable(hours: readonly HourRow[], trades: readonly TradeRecord[], unit: 'day' | 'month'): PeriodRow[] {
  const rows = new Map<string, { equityStart: number; equityEnd: number; trades: number; wins: number; pnl: number }>();
  for (const h of hours) {
    const key = periodOf(h.hour, unit);
    const row = rows.get(key);
    if (!row) rows.set(key, { equityStart: h.equityStart, equityEnd: h.equityEnd, trades: 0, wins: 0, pnl: 0 });
    else row.equityEnd = h.equityEnd;
  }
  for (const t of trades) {
    const key = periodOf(t.closedTs, unit);
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { equityStart: 0, equityEnd: 0, trades: 0, wins: 0, pnl: 0 }));
    row.trades++;
    if (t.pnl > 0) row.wins++;
    row.pnl += t.pnl;
  }
  return [...rows]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([period, r]) => ({ period, equityStart: r.equityStart, equityEnd: r.equityEnd, return: r.equityStart > 0 ? r.equityEnd / r.equityStart - 1 : 0, trades: r.trades, wins: r.wins, pnl: r.pnl }));
}

/** First and last traded price of each market over the traded span. */
export interface PriceSpan {
  readonly first: number;
  last: number;
}

/** Per-market change and the equal-weight buy-and-hold of all of them (markets of `quote` only). */
export function marketChange(prices: ReadonlyMap<string, PriceSpan>, quote: string, totalReturn: number): { market: MarketChange; perMarket: Map<string, number> } {
  const perMarket = new Map<string, number>();
  for (const [market, p] of prices) {
    if (quoteOf(market) !== quote || !(p.first > 0) || !(p.last > 0)) continue;
    perMarket.set(market, p.last / p.first - 1);
  }
  let sum = 0;
  for (const c of perMarket.values()) sum += c;
  const change = perMarket.size > 0 ? sum / perMarket.size : null;
  return { market: { change, markets: perMarket.size, excess: change === null ? null : totalReturn - change }, perMarket };
}

/** Outcome counts (kind → outcome → n) as rows: acted, suppressed, and the reasons for the suppressed. */
export function decisionTable(outcomes: Readonly<Record<string, Readonly<Record<string, number>>>>): DecisionRow[] {
  return ['BUY', 'SELL', 'CANCEL_BUY', 'CANCEL_SELL']
    .filter((k) => outcomes[k] !== undefined)
    .map((kind) => {
      const o = outcomes[kind] as Readonly<Record<string, number>>;
      const acted = o['acted'] ?? 0;
      const why = Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'acted').sort(([, a], [, b]) => b - a));
      const suppressed = Object.values(why).reduce((a, b) => a + b, 0);
      return { kind, total: acted + suppressed, acted, suppressed, why };
    });
}

/** Decision outcomes in words, as the summary and the report print them (suppressedReasons). */
export const OUTCOME_WORDS: Readonly<Record<string, string>> = {
  'already-holding': 'already holding',
  'no-slot': 'no free slot',
  // The bot was not running: a halt (daily loss, drawdown) or a stop (Ctrl-C, the end of a run).
  halted: 'bot halted or stopped',
  'below-minimum': 'below the minimum order',
  'store-unwritable': 'store not writable',
  'balances-stale': 'balances not read',
  'no-position': 'no position',
  'not-traded-quote': 'other quote',
  unsized: 'no valid size',
};

/** A decision row's `why` in words with its counts, `no free slot: 40841, below the minimum order: 12`; '' for none. */
export function suppressedReasons(why: Readonly<Record<string, number>>): string {
  return Object.entries(why)
    .map(([k, n]) => `${OUTCOME_WORDS[k] ?? k}: ${n}`)
    .join(', ');
}

/** Hours as `2.5h`, days past two days as `3.1d`. */
export function formatHold(ms: number): string {
  return ms >= 2 * DAY_MS ? `${(ms / DAY_MS).toFixed(1)}d` : `${(ms / 3_600_000).toFixed(1)}h`;
}

/** What runResults reads of a tracker (PerformanceTracker has all of it). */
export interface ResultsSource {
  readonly trades: readonly TradeRecord[];
  readonly halts: readonly Halt[];
  readonly outcomes: Readonly<Record<string, Readonly<Record<string, number>>>>;
  hourly(): HourRow[];
}

/** Every table of a run. `prices`: first and last price per market over the traded span (empty: no market change). */
export function runResults(tracker: ResultsSource, prices: ReadonlyMap<string, PriceSpan>, quote: string, totalReturn: number): RunResults {
  const hours = tracker.hourly();
  const { market, perMarket } = marketChange(prices, quote, totalReturn);
  return {
    pairs: pairTable(tracker.trades, perMarket),
    exits: exitTable(tracker.trades),
    daily: periodTable(hours, tracker.trades, 'day'),
    monthly: periodTable(hours, tracker.trades, 'month'),
    market,
    halts: tracker.halts.map((h) => ({ ts: h.ts, reason: h.reason, resumedTs: h.resumedTs })),
    decisions: decisionTable(tracker.outcomes),
  };
}
