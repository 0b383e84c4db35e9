import type { Decision, OrderEvent, Ranking } from '../core/index.js';
import { HOUR_MS } from '../core/index.js';
import { resultWithFee, type PositionResult } from '../../machines/index.js';
import { objectArray } from '../core/object-array.js';

/** A stop of the bot by its kill switch (or its stop), as the results report it. */
export interface Halt {
  /** Event time the bot stopped, and the time it ran again (null: it stayed stopped). */
  readonly ts: number;
  readonly reason: string;
  readonly resumedTs: number | null;
}

export interface TradeRecord extends PositionResult {
  /** Regime of the coin at entry, per horizon (1h, 6h, 12h, 24h). */
  readonly regime: Readonly<Record<string, string>>;
}

export interface HourRow {
  readonly hour: number;
  readonly equityStart: number;
  readonly equityEnd: number;
  readonly return: number;
  readonly buys: number;
  readonly sells: number;
  readonly closed: number;
  readonly wins: number;
  readonly losses: number;
}

/** A tracker's whole state as JSON-safe data (checkpoints). */
export interface TrackerState {
  readonly trades: readonly TradeRecord[];
  readonly equityCurve: readonly { ts: number; equity: number; invested: number }[];
  readonly hours: readonly (Omit<HourAcc, 'buys' | 'sells'> & { buys: string[]; sells: string[] })[];
  readonly fees: number;
  readonly traded: number;
  readonly fills: number;
  readonly decisions: Record<string, number>;
  readonly rankings: number;
  readonly initial: number | null;
  readonly last: { ts: number; equity: number; invested: number } | null;
  readonly peak: number | null;
  readonly maxDrawdown: number;
  /** Absent in checkpoints written before outcomes and halts were kept. */
  readonly outcomes?: Record<string, Record<string, number>>;
  readonly halts?: readonly Halt[];
  readonly botState?: string;
}

interface HourAcc {
  hour: number;
  equityStart: number;
  equityEnd: number;
  buys: Set<string>;
  sells: Set<string>;
  closed: number;
  wins: number;
  losses: number;
}

export interface RegimeRow {
  readonly horizon: string;
  readonly regime: string;
  readonly trades: number;
  readonly wins: number;
  readonly losses: number;
  readonly pnl: number;
  readonly meanReturn: number;
}

/** Fewer hourly returns than this (a day) and the summary's Sharpe and Sortino are null ("n/a"). */
export const MIN_RATIO_HOURS = 24;

/**
 * Statistics of a run, fed by the engine's listener calls: per-trade records with the regime at entry,
 * the equity curve (one point per hour of event time; equity.csv adds the last one, `equityRows`), the seed's hourly figures
 * (return, buy and sell counts, win rate) and the summary (return, drawdown, Sharpe and Sortino from
 * hourly returns annualised by √(24·365), null under MIN_RATIO_HOURS hours, max drawdown over every equity report, exposure, fees, turnover, results by regime).
 */
export class PerformanceTracker {
  readonly trades: TradeRecord[] = [];
  readonly equityCurve: { ts: number; equity: number; invested: number }[] = [];
  readonly #hours = objectArray<HourAcc>();
  #fees = 0;
  #traded = 0;
  #fills = 0;
  #decisions: Record<string, number> = {};
  #rankings = 0;
  #initial: number | undefined;
  #last: { ts: number; equity: number; invested: number } | undefined;
  /** Peak and deepest drawdown over every equity report, not only the hourly points of the curve. */
  #peak = -Infinity;
  #maxDrawdown = 0;
  /** Decision kind → outcome (acted, no-slot, halted…) → count. */
  #outcomes: Record<string, Record<string, number>> = {};
  readonly #halts: { ts: number; reason: string; resumedTs: number | null }[] = [];
  #botState = 'running';

  state(): TrackerState {
    return {
      trades: this.trades.map((t) => ({ ...t })),
      equityCurve: this.equityCurve.map((p) => ({ ...p })),
      hours: this.#hours.map((h) => ({ ...h, buys: [...h.buys], sells: [...h.sells] })),
      fees: this.#fees,
      traded: this.#traded,
      fills: this.#fills,
      decisions: { ...this.#decisions },
      rankings: this.#rankings,
      initial: this.#initial ?? null,
      last: this.#last ? { ...this.#last } : null,
      peak: Number.isFinite(this.#peak) ? this.#peak : null,
      maxDrawdown: this.#maxDrawdown,
      outcomes: Object.fromEntries(Object.entries(this.#outcomes).map(([k, v]) => [k, { ...v }])),
      halts: this.#halts.map((h) => ({ ...h })),
      botState: this.#botState,
    };
  }

  static fromState(state: TrackerState): PerformanceTracker {
    const t = new PerformanceTracker();
    t.trades.push(...state.trades.map((x) => ({ ...x })));
    t.equityCurve.push(...state.equityCurve.map((p) => ({ ...p })));
    t.#hours.push(...state.hours.map((h) => ({ ...h, buys: new Set(h.buys), sells: new Set(h.sells) })));
    t.#fees = state.fees;
    t.#traded = state.traded;
    t.#fills = state.fills;
    t.#decisions = { ...state.decisions };
    t.#rankings = state.rankings;
    t.#initial = state.initial ?? undefined;
    t.#last = state.last ? { ...state.last } : undefined;
    t.#peak = state.peak ?? -Infinity;
    t.#maxDrawdown = state.maxDrawdown;
    t.#outcomes = Object.fromEntries(Object.entries(state.outcomes ?? {}).map(([k, v]) => [k, { ...v }]));
    t.#halts.push(...(state.halts ?? []).map((h) => ({ ...h })));
    t.#botState = state.botState ?? 'running';
    return t;
  }

  onDecision(decision: Decision): void {
    this.#decisions[decision.kind] = (this.#decisions[decision.kind] ?? 0) + 1;
  }

  onDecisionOutcome(decision: Decision, outcome: string): void {
    const byOutcome = (this.#outcomes[decision.kind] ??= {});
    byOutcome[outcome] = (byOutcome[outcome] ?? 0) + 1;
  }

  /**
   * The bot stopping while it was running or paused is a halt (the kill switch, a stop asked for);
   * the stop at the end of a run is not. Running again closes the last halt.
   */
  onBotState(ts: number, state: string, reason: string | undefined): void {
    const was = this.#botState;
    this.#botState = state;
    if ((state === 'stopping' || state === 'stopped') && (was === 'running' || was === 'paused')) {
      if (reason !== 'end of data') this.#halts.push({ ts, reason: reason ?? 'stopped', resumedTs: null });
    } else if (state === 'running') {
      const last = this.#halts[this.#halts.length - 1];
      if (last && last.resumedTs === null) last.resumedTs = ts;
    }
  }

  /** Halts of the bot in time order (see onBotState). */
  get halts(): readonly Halt[] {
    return this.#halts;
  }

  /** Decision kind → outcome → count. */
  get outcomes(): Readonly<Record<string, Readonly<Record<string, number>>>> {
    return this.#outcomes;
  }

  onRanking(_ranking: Ranking): void {
    this.#rankings++;
  }

  onOrderEvent(event: OrderEvent): void {
    if (event.type === 'order.feeCorrected') {
      // A fee reported at an estimate, corrected with the exchange's own figure: no new fill. A round trip
      // already settled (its last fill found by a cancel answer or a look-up) takes it too.
      this.#fees += event.delta;
      const positionId = event.order.clientId.slice(0, event.order.clientId.lastIndexOf('-'));
      for (let i = this.trades.length - 1; i >= 0; i--) {
        const t = this.trades[i] as TradeRecord;
        if (t.positionId !== positionId) continue;
        const corrected = Object.assign(resultWithFee(t, event.order.side, event.delta, event.baseFeeDelta), { regime: t.regime });
        this.trades[i] = corrected;
        // A fee that turns a win into a loss (or back) moves it between its hour's counts.
        if (corrected.pnl > 0 !== t.pnl > 0) {
          const hour = this.#settledIn(t.closedTs);
          if (hour) {
            hour.wins += corrected.pnl > 0 ? 1 : -1;
            hour.losses += corrected.pnl > 0 ? -1 : 1;
          }
        }
        break;
      }
      return;
    }
    if (event.type !== 'order.fill') return;
    this.#fills++;
    this.#fees += event.fill.fee;
    this.#traded += event.fill.price * event.fill.amount;
    const hour = this.#hour(event.fill.ts);
    (event.fill.side === 'buy' ? hour.buys : hour.sells).add(event.fill.clientId);
  }

  onPositionSettled(result: PositionResult, regime: Readonly<Record<string, string>>): void {
    this.trades.push(Object.assign({}, result, { regime }));
    const hour = this.#hour(result.closedTs);
    hour.closed++;
    if (result.pnl > 0) hour.wins++;
    else hour.losses++;
  }

  onEquity(ts: number, equity: number, invested: number): void {
    this.#initial ??= equity;
    const point = { ts, equity, invested };
    const previous = this.#last;
    this.#last = point;
    this.#peak = Math.max(this.#peak, equity);
    if (this.#peak > 0) this.#maxDrawdown = Math.max(this.#maxDrawdown, (this.#peak - equity) / this.#peak);
    const hour = this.#hour(ts);
    hour.equityEnd = equity;
    if (!previous || Math.floor(previous.ts / HOUR_MS) !== Math.floor(ts / HOUR_MS)) this.equityCurve.push(point);
  }

  /** equity.csv's rows: the curve (each hour's first point) and the run's last point when it is later. */
  equityRows(): readonly { ts: number; equity: number; invested: number }[] {
    const last = this.#last;
    const end = this.equityCurve[this.equityCurve.length - 1];
    return last !== undefined && end !== undefined && last.ts > end.ts ? [...this.equityCurve, last] : this.equityCurve;
  }

  #hour(ts: number): HourAcc {
    const h = Math.floor(ts / HOUR_MS) * HOUR_MS;
    // No read before the first hour (index −1): the code compiled in an earlier run never saw one.
    const hours = this.#hours;
    let acc = hours.length > 0 ? hours[hours.length - 1] : undefined;
    // A feature batch is dated at its boundary, up to one cadence before the event that emitted it (and
    // that may have filled an order past the hour): the hours never go back.
    if (acc && h < acc.hour) return acc;
    if (!acc || acc.hour !== h) {
      const equity = acc?.equityEnd ?? this.#last?.equity ?? 0;
      acc = { hour: h, equityStart: equity, equityEnd: equity, buys: new Set(), sells: new Set(), closed: 0, wins: 0, losses: 0 };
      this.#hours.push(acc);
    }
    return acc;
  }

  /**
   * The hour a round trip settled at `ts` was counted in (`#hour` then): its own, or the next one kept when
   * the settlement was dated behind the hours already begun (exact unless whole hours without equity lay between).
   */
  #settledIn(ts: number): HourAcc | undefined {
    const h = Math.floor(ts / HOUR_MS) * HOUR_MS;
    for (let i = this.#hours.length - 1; i >= 0; i--) {
      const acc = this.#hours[i] as HourAcc;
      if (acc.hour <= h) return acc.hour === h ? acc : this.#hours[i + 1];
    }
    return this.#hours[0];
  }

  hourly(): HourRow[] {
    return this.#hours.map((h) => ({
      hour: h.hour,
      equityStart: h.equityStart,
      equityEnd: h.equityEnd,
      return: h.equityStart > 0 ? h.equityEnd / h.equityStart - 1 : 0,
      buys: h.buys.size,
      sells: h.sells.size,
      closed: h.closed,
      wins: h.wins,
      losses: h.losses,
    }));
  }

  byRegime(): RegimeRow[] {
    const rows = new Map<string, { horizon: string; regime: string; trades: number; wins: number; losses: number; pnl: number; returns: number }>();
    for (const t of this.trades) {
      for (const [horizon, regime] of Object.entries(t.regime)) {
        const key = `${horizon}|${regime}`;
        const r = rows.get(key) ?? { horizon, regime, trades: 0, wins: 0, losses: 0, pnl: 0, returns: 0 };
        r.trades++;
        if (t.pnl > 0) r.wins++;
        else r.losses++;
        r.pnl += t.pnl;
        r.returns += t.return;
        rows.set(key, r);
      }
    }
    return [...rows.values()]
      .sort((a, b) => (a.horizon === b.horizon ? (a.regime < b.regime ? -1 : 1) : ['1h', '6h', '12h', '24h'].indexOf(a.horizon) - ['1h', '6h', '12h', '24h'].indexOf(b.horizon)))
      .map(({ returns, ...r }) => ({ ...r, meanReturn: r.trades > 0 ? returns / r.trades : 0 }));
  }

  summary(): Record<string, unknown> {
    const initial = this.#initial ?? 0;
    const final = this.#last?.equity ?? initial;
    const hourly = this.hourly().map((h) => h.return);
    const mean = hourly.reduce((a, b) => a + b, 0) / Math.max(1, hourly.length);
    const sd = Math.sqrt(hourly.reduce((a, r) => a + (r - mean) ** 2, 0) / Math.max(1, hourly.length - 1));
    const downside = Math.sqrt(hourly.reduce((a, r) => a + Math.min(0, r) ** 2, 0) / Math.max(1, hourly.length));
    const annual = Math.sqrt(24 * 365);
    const maxDrawdown = this.#maxDrawdown;
    const exposure = this.equityCurve.length > 0 ? this.equityCurve.reduce((a, p) => a + (p.equity > 0 ? p.invested / p.equity : 0), 0) / this.equityCurve.length : 0;
    const meanEquity = this.equityCurve.length > 0 ? this.equityCurve.reduce((a, p) => a + p.equity, 0) / this.equityCurve.length : initial;
    const wins = this.trades.filter((t) => t.pnl > 0).length;
    return {
      initialEquity: initial,
      finalEquity: final,
      totalReturn: initial > 0 ? final / initial - 1 : 0,
      trades: this.trades.length,
      wins,
      losses: this.trades.length - wins,
      winRate: this.trades.length > 0 ? wins / this.trades.length : 0,
      meanTradeReturn: this.trades.length > 0 ? this.trades.reduce((a, t) => a + t.return, 0) / this.trades.length : 0,
      realizedPnl: this.trades.reduce((a, t) => a + t.pnl, 0),
      maxDrawdown,
      // Under a day of hourly returns the annualised ratios are noise scaled by √8760 (an 11-minute run
      // printed −436): null, printed n/a.
      sharpe: hourly.length < MIN_RATIO_HOURS ? null : sd > 0 ? (mean / sd) * annual : 0,
      sortino: hourly.length < MIN_RATIO_HOURS ? null : downside > 0 ? (mean / downside) * annual : 0,
      exposure,
      feesPaid: this.#fees,
      turnover: meanEquity > 0 ? this.#traded / meanEquity : 0,
      fills: this.#fills,
      decisions: this.#decisions,
      rankings: this.#rankings,
      hours: hourly.length,
      byRegime: this.byRegime(),
    };
  }
}
