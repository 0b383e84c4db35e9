import type { Decision, FeatureSnapshot, OrderEvent, Ranking } from '../core/index.js';
import type { HourRow, RegimeRow, TradeRecord } from './performance.js';
import { BoundedTable, type Column } from './bounded-table.js';
import type { Statechart } from './statechart.js';

export const HORIZONS = ['1h', '6h', '12h', '24h'] as const;
/** The average lines drawn over a coin's price. */
export const AVERAGE_WINDOWS = ['10m', '1h', '6h', '1d'] as const;

/** What the statistics side provides (the engine's PerformanceTracker, or a finished backtest's files). */
export interface StatsSource {
  hourly(): readonly HourRow[];
  byRegime(): readonly RegimeRow[];
  summary(): Record<string, unknown>;
  readonly trades: readonly TradeRecord[];
}

export interface HealthView {
  /** `ok`, `degraded`, `down`, `simulated`, `unknown`, or a source's own word (`open`, `backoff`…). */
  readonly status: string;
  readonly reason: string;
  readonly ts?: number;
}

export interface BotView {
  readonly state: string;
  readonly stopReason?: string | undefined;
  readonly equity?: number;
  readonly peakEquity?: number;
}

export interface RankingRowView {
  readonly rank: number;
  readonly market: string;
  readonly score: number;
  readonly price: number | null;
  /** log(price / VWAP) over 10 minutes and 1 hour, in units of hourly volatility. */
  readonly momentum10m: number | null;
  readonly momentum1h: number | null;
  readonly volatility: number | null;
  readonly position: number | null;
  readonly high: number | null;
  readonly low: number | null;
  readonly value1h: number | null;
  readonly trades1h: number | null;
  readonly regime: Readonly<Record<string, string>>;
}

export interface TransitionView {
  readonly ts: number;
  readonly from: string;
  readonly to: string;
  readonly event: string;
  readonly detail: string;
  /** Keys of the definition's transitions taken (`source · event #branch`). */
  readonly transitions: readonly string[];
}

export interface PositionRowView {
  readonly positionId: string;
  readonly market: string;
  readonly state: string;
  readonly done: boolean;
  readonly amount: number;
  readonly entryPrice: number;
  readonly orderPrice: number;
  readonly openedTs: number;
  readonly lastTs: number;
  readonly result?: { readonly pnl: number; readonly return: number; readonly reason: string };
  readonly history: readonly TransitionView[];
}

export interface OrderRowView {
  readonly ts: number;
  readonly type: string;
  readonly clientId: string;
  readonly market: string;
  readonly side: string;
  readonly price: number | null;
  readonly amount: number | null;
  readonly filled: number | null;
  readonly status: string;
  readonly detail: string;
}

export interface FillRowView {
  readonly ts: number;
  readonly clientId: string;
  readonly market: string;
  readonly side: string;
  readonly price: number;
  readonly amount: number;
  readonly fee: number;
}

export interface BalanceView {
  readonly currency: string;
  readonly free: number;
  readonly locked: number;
  /** In the quote currency at the last price (null when no price is known). */
  readonly value: number | null;
}

export interface TradeRowView {
  readonly positionId: string;
  readonly market: string;
  readonly openedTs: number;
  readonly closedTs: number;
  readonly pnl: number;
  readonly return: number;
  readonly reason: string;
  readonly regime: Readonly<Record<string, string>>;
}

export interface DashboardView {
  readonly version: 1;
  /** `live`: an engine behind a websocket; `report`: a finished run, static. */
  readonly kind: 'live' | 'report';
  readonly title: string;
  readonly mode: string;
  readonly quote: string;
  /** Event time reached. */
  readonly now: number;
  readonly bot: BotView;
  readonly controls: { readonly enabled: boolean; readonly reason: string };
  readonly summary: Readonly<Record<string, unknown>>;
  readonly exposure: { readonly equity: number; readonly invested: number; readonly fraction: number };
  readonly balances: readonly BalanceView[];
  readonly ranking: { readonly ts: number; readonly rows: readonly RankingRowView[] };
  readonly positions: readonly PositionRowView[];
  readonly orders: readonly OrderRowView[];
  readonly fills: readonly FillRowView[];
  readonly trades: readonly TradeRowView[];
  readonly decisions: Readonly<Record<string, number>>;
  readonly health: { readonly exchange: HealthView; readonly redis: HealthView };
  /** Markets with a price chart available, and the one in `charts.coin`. */
  readonly markets: readonly string[];
  readonly charts: {
    readonly equity: { readonly ts: readonly number[]; readonly equity: Column; readonly invested: Column };
    /** Per hour; a long report aggregates to days or weeks (`period`) so the bars and the win rate stay readable. */
    readonly hourly: { readonly ts: readonly number[]; readonly return: Column; readonly winRate: Column; readonly buys: Column; readonly sells: Column; readonly wins: Column; readonly losses: Column; readonly period?: 'hour' | 'day' | 'week' };
    /** Regime coded bull 1, flat 0, bear −1; breadth = share of bull coins − share of bear coins. */
    readonly regimes: { readonly source: 'features' | 'trades'; readonly ts: readonly number[]; readonly breadth: Readonly<Record<string, Column>>; readonly market: string | null; readonly coin: Readonly<Record<string, Column>> };
    readonly byRegime: readonly RegimeRow[];
    readonly coin: { readonly market: string; readonly ts: readonly number[]; readonly price: Column; readonly high: Column; readonly low: Column; readonly averages: Readonly<Record<string, Column>> } | null;
  };
  readonly statechart: { readonly chart: Statechart; readonly svg: string } | null;
  readonly notes: readonly string[];
}

export interface DashboardStateOptions {
  readonly title?: string;
  readonly mode?: string;
  readonly quote?: string;
  readonly stats: StatsSource;
  readonly controls?: { readonly enabled: boolean; readonly reason: string };
  readonly statechart?: { readonly chart: Statechart; readonly svg: string };
  /** Rows kept per chart before halving its resolution. */
  readonly maxPoints?: number;
  /** Order events, fills and trades kept. */
  readonly maxRows?: number;
  /** Finished positions kept (with their transition history). */
  readonly recentPositions?: number;
  /** Transitions kept per position. */
  readonly maxHistory?: number;
  /** Event time between two rows of the regime and price charts. */
  readonly sampleMs?: number;
}

interface PositionEntry {
  positionId: string;
  market: string;
  state: string;
  done: boolean;
  amount: number;
  entryPrice: number;
  orderPrice: number;
  openedTs: number;
  lastTs: number;
  result?: { pnl: number; return: number; reason: string };
  history: TransitionView[];
}

export interface PositionDetails {
  readonly positionId: string;
  readonly market: string;
  readonly state: string;
  readonly amount: number;
  readonly entryPrice: number;
  readonly entryTs: number;
  readonly orderPrice: number;
}

const REGIME_CODE: Readonly<Record<string, number>> = { bull: 1, flat: 0, bear: -1 };

function regimeCode(regime: string | undefined): number | null {
  return regime === undefined ? null : (REGIME_CODE[regime] ?? null);
}

function pushBounded<T>(list: T[], item: T, max: number): void {
  list.push(item);
  if (list.length > max) list.splice(0, list.length - max);
}

function finite(n: number): number | null {
  return Number.isFinite(n) ? n : null;
}

/** A number in at most 6 significant digits (as text). */
function short(n: unknown): string {
  return typeof n === 'number' && Number.isFinite(n) ? String(Number(n.toPrecision(6))) : String(n ?? '?');
}

/** What an event carried, in a few words, for the transition history. */
export function eventDetail(event: { readonly type: string } & Record<string, unknown>): string {
  const order = event['order'] as { clientId?: string; filled?: number; amount?: number; price?: number; status?: string } | undefined;
  switch (event.type) {
    case 'decision.buy':
      return `${short(event['amount'])} @ ${short(event['price'])}`;
    case 'decision.sell':
      return `@ ${short(event['price'])}${event['reason'] ? ` (${String(event['reason'])})` : ''}`;
    case 'order.fill': {
      const fill = event['fill'] as { amount?: number; price?: number } | undefined;
      return `${order?.clientId ?? ''} +${short(fill?.amount)} @ ${short(fill?.price)} (${short(order?.filled)}/${short(order?.amount)})`;
    }
    case 'order.accepted':
    case 'order.cancelled':
      return `${order?.clientId ?? ''} ${order?.status ?? ''}`.trim();
    case 'order.rejected':
      return `${String(event['clientId'] ?? '')} ${String(event['reason'] ?? '')}`.trim();
    case 'order.queryResult':
      return `${String(event['clientId'] ?? '')} ${order ? (order.status ?? '') : 'not found'}`.trim();
    case 'position.close':
      return String(event['reason'] ?? '');
    default:
      // A timer of the position machine (an XState delay: `xstate.after.<delay>.<state id>`).
      return event.type.startsWith('xstate.after.') ? `timeout (${event.type.split('.')[2] ?? ''})` : '';
  }
}

/**
 * The model the dashboard page renders, fed by the engine's listener calls, its feature batches, the
 * bot's snapshots and the position actors' transitions. Pure: no I/O and no wall clock; memory is
 * bounded (charts halve their resolution, lists keep their newest rows). `view()` is plain JSON.
 */
export class DashboardState {
  readonly #o: Required<Omit<DashboardStateOptions, 'statechart' | 'controls'>> & Pick<DashboardStateOptions, 'statechart'>;
  #controls: { readonly enabled: boolean; readonly reason: string };
  readonly #equity: BoundedTable;
  readonly #regimes: BoundedTable;
  readonly #coins = new Map<string, BoundedTable>();
  readonly #lastSample = new Map<string, number>();
  readonly #last = new Map<string, FeatureSnapshot>();
  readonly #positions = new Map<string, PositionEntry>();
  readonly #finished: PositionEntry[] = [];
  readonly #orders: OrderRowView[] = [];
  readonly #fills: FillRowView[] = [];
  readonly #decisions: Record<string, number> = {};
  #ranking: Ranking = { ts: 0, ranking: [] };
  #bot: BotView = { state: 'unknown' };
  #now = 0;
  #exposure = { equity: 0, invested: 0, fraction: 0 };
  #balances: { currency: string; free: number; locked: number }[] = [];
  #health: { exchange: HealthView; redis: HealthView } = { exchange: { status: 'unknown', reason: 'not reported' }, redis: { status: 'unknown', reason: 'not reported' } };
  /** Bumped on every change: a server broadcasts only when it moved. */
  version = 0;

  constructor(options: DashboardStateOptions) {
    this.#o = {
      title: 'coinrx',
      mode: 'backtest',
      quote: 'KRW',
      maxPoints: 2000,
      maxRows: 100,
      recentPositions: 20,
      maxHistory: 60,
      sampleMs: 60_000,
      ...options,
    };
    this.#controls = options.controls ?? { enabled: false, reason: 'no engine attached' };
    this.#equity = new BoundedTable(this.#o.maxPoints);
    this.#regimes = new BoundedTable(this.#o.maxPoints);
  }

  get controls(): { readonly enabled: boolean; readonly reason: string } {
    return this.#controls;
  }

  get now(): number {
    return this.#now;
  }

  #touch(ts?: number): void {
    if (ts !== undefined && ts > this.#now) this.#now = ts;
    this.version++;
  }

  /** One feature batch: every market's snapshot at one event time (regime timelines, breadth, price lines). */
  onFeatures(batch: { readonly ts: number; readonly snapshots: readonly FeatureSnapshot[] }): void {
    for (const s of batch.snapshots) this.#last.set(s.market, s);
    const sample = this.#o.sampleMs;
    const bucket = Math.floor(batch.ts / sample);
    if (this.#lastSample.get('*') !== bucket && batch.snapshots.length > 0) {
      this.#lastSample.set('*', bucket);
      const row: Record<string, number | null> = {};
      for (const h of HORIZONS) {
        let bull = 0;
        let bear = 0;
        for (const s of batch.snapshots) {
          if (s.regime[h] === 'bull') bull++;
          else if (s.regime[h] === 'bear') bear++;
        }
        row[`breadth:${h}`] = (bull - bear) / batch.snapshots.length;
      }
      for (const s of batch.snapshots) for (const h of HORIZONS) row[`${s.market}:${h}`] = regimeCode(s.regime[h]);
      this.#regimes.add(batch.ts, row);
    }
    for (const s of batch.snapshots) {
      if (this.#lastSample.get(s.market) === bucket) continue;
      this.#lastSample.set(s.market, bucket);
      let table = this.#coins.get(s.market);
      if (!table) {
        table = new BoundedTable(this.#o.maxPoints);
        this.#coins.set(s.market, table);
      }
      const row: Record<string, number | null> = { price: finite(s.price), high: finite(s.high), low: finite(s.low) };
      for (const w of AVERAGE_WINDOWS) row[`avg:${w}`] = finite(s.windows[w]?.vwap ?? NaN);
      table.add(s.ts, row);
    }
    this.#touch(batch.ts);
  }

  onRanking(ranking: Ranking): void {
    this.#ranking = ranking;
    this.#touch(ranking.ts);
  }

  onDecision(decision: Decision): void {
    this.#decisions[decision.kind] = (this.#decisions[decision.kind] ?? 0) + 1;
    this.#touch(decision.ts);
  }

  onOrderEvent(event: OrderEvent): void {
    if (event.type === 'order.rejected') {
      pushBounded(this.#orders, { ts: event.ts, type: event.type, clientId: event.clientId, market: event.market, side: event.side, price: null, amount: null, filled: null, status: 'rejected', detail: `${event.reason}: ${event.message}` }, this.#o.maxRows);
    } else {
      const o = event.order;
      pushBounded(this.#orders, { ts: event.ts, type: event.type, clientId: o.clientId, market: o.market, side: o.side, price: o.price, amount: o.amount, filled: o.filled, status: o.status, detail: event.type === 'order.fill' ? `+${event.fill.amount} @ ${event.fill.price}` : '' }, this.#o.maxRows);
      if (event.type === 'order.fill') {
        const f = event.fill;
        pushBounded(this.#fills, { ts: f.ts, clientId: f.clientId, market: f.market, side: f.side, price: f.price, amount: f.amount, fee: f.fee }, this.#o.maxRows);
      }
    }
    this.#touch(event.ts);
  }

  onEquity(ts: number, equity: number, invested: number): void {
    this.#exposure = { equity, invested, fraction: equity > 0 ? invested / equity : 0 };
    this.#equity.add(ts, { equity, invested });
    this.#touch(ts);
  }

  onBot(bot: BotView): void {
    this.#bot = bot;
    this.#touch();
  }

  setHealth(name: 'exchange' | 'redis', health: HealthView): void {
    this.#health = { ...this.#health, [name]: health };
    this.#touch();
  }

  setBalances(balances: readonly { readonly currency: string; readonly free: number; readonly locked: number }[]): void {
    this.#balances = balances.map((b) => ({ currency: b.currency, free: b.free, locked: b.locked }));
    this.#touch();
  }

  setControls(controls: { readonly enabled: boolean; readonly reason: string }): void {
    this.#controls = controls;
    this.#touch();
  }

  /** A position actor appeared (its initial state). */
  onPositionStarted(positionId: string, market: string, state: string, ts: number): void {
    if (this.#positions.has(positionId)) return;
    this.#positions.set(positionId, { positionId, market, state, done: false, amount: 0, entryPrice: 0, orderPrice: 0, openedTs: ts, lastTs: ts, history: [] });
    this.#touch(ts);
  }

  /** A transition of a position actor, with the event that caused it. */
  onPositionTransition(positionId: string, market: string, t: TransitionView): void {
    if (!this.#positions.has(positionId)) this.onPositionStarted(positionId, market, t.from, t.ts);
    const p = this.#positions.get(positionId) as PositionEntry;
    p.state = t.to;
    p.lastTs = Math.max(p.lastTs, t.ts);
    pushBounded(p.history, t, this.#o.maxHistory);
    this.#touch(t.ts);
  }

  /** The position reached its final state (`result` when something was bought). */
  onPositionDone(positionId: string, result?: { readonly pnl: number; readonly return: number; readonly reason: string }): void {
    const p = this.#positions.get(positionId);
    if (!p) return;
    this.#positions.delete(positionId);
    p.done = true;
    if (result) p.result = { pnl: result.pnl, return: result.return, reason: result.reason };
    pushBounded(this.#finished, p, this.#o.recentPositions);
    this.#touch();
  }

  /** The engine's own view of its open positions (amounts and prices), merged into the rows. */
  setPositionDetails(details: readonly PositionDetails[]): void {
    for (const d of details) {
      const p = this.#positions.get(d.positionId);
      if (!p) continue;
      p.amount = d.amount;
      p.entryPrice = d.entryPrice;
      p.orderPrice = d.orderPrice;
      if (d.entryTs > 0) p.openedTs = d.entryTs;
    }
  }

  #rankingRows(): RankingRowView[] {
    return this.#ranking.ranking.map((r, i) => {
      const s = this.#last.get(r.market);
      const vol = s ? Math.max(s.volatility, 0.002) : 0;
      const momentum = (w: '10m' | '1h'): number | null => (s && s.windows[w].vwap > 0 ? finite(Math.log(s.price / s.windows[w].vwap) / vol) : null);
      return {
        rank: i + 1,
        market: r.market,
        score: r.score,
        price: s ? s.price : null,
        momentum10m: momentum('10m'),
        momentum1h: momentum('1h'),
        volatility: s ? s.volatility : null,
        position: s ? finite(s.position) : null,
        high: s ? finite(s.high) : null,
        low: s ? finite(s.low) : null,
        value1h: s ? s.windows['1h'].value : null,
        trades1h: s ? s.windows['1h'].trades : null,
        regime: s ? { ...s.regime } : {},
      };
    });
  }

  /** Markets with a price chart, ranked ones first. */
  markets(): string[] {
    const ranked = this.#ranking.ranking.map((r) => r.market).filter((m) => this.#coins.has(m));
    return [...ranked, ...[...this.#coins.keys()].filter((m) => !ranked.includes(m)).sort()];
  }

  /** The view for one page; `coin` picks the market of the price and per-coin regime charts (default: the top one). */
  view(options: { readonly coin?: string | undefined } = {}): DashboardView {
    const stats = this.#o.stats;
    const hourly = stats.hourly();
    const markets = this.markets();
    const coin = options.coin && this.#coins.has(options.coin) ? options.coin : (markets[0] ?? null);
    const coinTable = coin ? this.#coins.get(coin) : undefined;
    const averages: Record<string, Column> = {};
    if (coinTable) for (const w of AVERAGE_WINDOWS) averages[w] = coinTable.column(`avg:${w}`);
    const breadth: Record<string, Column> = {};
    const coinRegime: Record<string, Column> = {};
    for (const h of HORIZONS) {
      breadth[h] = this.#regimes.column(`breadth:${h}`);
      if (coin) coinRegime[h] = this.#regimes.column(`${coin}:${h}`);
    }
    const prices = new Map([...this.#last].map(([m, s]) => [m, s.price]));
    const quote = this.#o.quote;
    const trades = stats.trades.slice(-this.#o.maxRows).map((t) => ({ positionId: t.positionId, market: t.market, openedTs: t.openedTs, closedTs: t.closedTs, pnl: t.pnl, return: t.return, reason: t.reason, regime: { ...t.regime } }));
    return {
      version: 1,
      kind: 'live',
      title: this.#o.title,
      mode: this.#o.mode,
      quote,
      now: this.#now,
      bot: this.#bot,
      controls: this.#controls,
      summary: stats.summary(),
      exposure: this.#exposure,
      balances: this.#balances.map((b) => {
        const price = b.currency === quote ? 1 : prices.get(`${b.currency}/${quote}`);
        return { ...b, value: price === undefined ? null : (b.free + b.locked) * price };
      }),
      ranking: { ts: this.#ranking.ts, rows: this.#rankingRows() },
      positions: [...this.#positions.values(), ...[...this.#finished].reverse()].map((p) => ({ ...p, history: [...p.history] })),
      orders: [...this.#orders].reverse(),
      fills: [...this.#fills].reverse(),
      trades: trades.reverse(),
      decisions: { ...this.#decisions },
      health: this.#health,
      markets,
      charts: {
        equity: { ts: [...this.#equity.ts], equity: [...this.#equity.column('equity')], invested: [...this.#equity.column('invested')] },
        hourly: {
          ts: hourly.map((h) => h.hour),
          return: hourly.map((h) => h.return),
          winRate: hourly.map((h) => (h.closed > 0 ? h.wins / h.closed : null)),
          buys: hourly.map((h) => h.buys),
          sells: hourly.map((h) => h.sells),
          wins: hourly.map((h) => h.wins),
          losses: hourly.map((h) => h.losses),
        },
        regimes: { source: 'features', ts: [...this.#regimes.ts], breadth, market: coin, coin: coinRegime },
        byRegime: stats.byRegime(),
        coin: coin && coinTable ? { market: coin, ts: [...coinTable.ts], price: [...coinTable.column('price')], high: [...coinTable.column('high')], low: [...coinTable.column('low')], averages } : null,
      },
      statechart: this.#o.statechart ?? null,
      notes: [],
    };
  }
}
