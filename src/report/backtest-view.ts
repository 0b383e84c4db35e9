import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../core/input-error.js';
import type { RegimeRow } from './performance.js';
import { HORIZONS, type DashboardView, type FillRowView, type OrderRowView, type PositionRowView, type TradeRowView } from './dashboard-state.js';
import type { Statechart } from './statechart.js';

type Row = Record<string, string>;

/** Parses the backtest CSVs (plain fields, no quoting: the writer replaces commas in free text). */
export function parseCsv(text: string): Row[] {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const header = (lines[0] ?? '').split(',');
  return lines.slice(1).map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']));
  });
}

const n = (text: string | undefined): number | null => {
  if (text === undefined || text === '') return null;
  const v = Number(text);
  return Number.isFinite(v) ? v : null;
};
const t = (text: string | undefined): number => (text ? Date.parse(text) : NaN);
const REGIME: Readonly<Record<string, number>> = { bull: 1, flat: 0, bear: -1 };

export interface BacktestFiles {
  readonly summary: Record<string, unknown>;
  readonly trades: string;
  readonly equity: string;
  readonly hourly: string;
}

export async function readBacktestFiles(dir: string): Promise<BacktestFiles> {
  const read = async (name: string): Promise<string> => {
    try {
      return await readFile(join(dir, name), 'utf8');
    } catch (error) {
      throw new InputError(`${join(dir, name)}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)}); is ${dir} a backtest output folder?`);
    }
  };
  // Read together, but a missing file is reported in this order (summary.json first, whichever read failed first).
  const settled = await Promise.allSettled([read('summary.json'), read('trades.csv'), read('equity.csv'), read('hourly.csv')]);
  for (const r of settled) if (r.status === 'rejected') throw r.reason;
  const [summary, trades, equity, hourly] = settled.map((r) => (r as PromiseFulfilledResult<string>).value) as [string, string, string, string];
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(summary) as Record<string, unknown>;
  } catch (error) {
    throw new InputError(`${join(dir, 'summary.json')}: not valid JSON (${(error as Error).message})`);
  }
  return { summary: parsed, trades, equity, hourly };
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Hourly bars past two weeks become days, past half a year weeks: about 14 to 180 bars, each readable. */
export function chartPeriod(spanMs: number): 'hour' | 'day' | 'week' {
  return spanMs > 183 * DAY_MS ? 'week' : spanMs > 14 * DAY_MS ? 'day' : 'hour';
}

/**
 * hourly.csv rows summed into periods (UTC days, or weeks from Monday 00:00 UTC): the return compounds,
 * the counts add up, the win rate is wins / (wins + losses) of the period (empty when nothing closed).
 */
export function aggregateHourly(hourly: readonly Row[], period: 'hour' | 'day' | 'week'): DashboardView['charts']['hourly'] {
  const size = period === 'week' ? 7 * DAY_MS : period === 'day' ? DAY_MS : HOUR_MS;
  // 1970-01-01 was a Thursday: weeks start on Monday, 4 days later.
  const offset = period === 'week' ? 4 * DAY_MS : 0;
  const out = { ts: [] as number[], return: [] as (number | null)[], winRate: [] as (number | null)[], buys: [] as (number | null)[], sells: [] as (number | null)[], wins: [] as (number | null)[], losses: [] as (number | null)[], period };
  let growth = 1;
  for (const r of hourly) {
    const ts = t(r['hour']);
    const start = Math.floor((ts - offset) / size) * size + offset;
    let i = out.ts.length - 1;
    if (i < 0 || out.ts[i] !== start) {
      out.ts.push(start);
      out.return.push(0);
      for (const k of ['buys', 'sells', 'wins', 'losses'] as const) out[k].push(0);
      out.winRate.push(null);
      growth = 1;
      i++;
    }
    growth *= 1 + (n(r['return']) ?? 0);
    out.return[i] = growth - 1;
    for (const [k, column] of [['buys', 'buys'], ['sells', 'sells'], ['wins', 'wins'], ['losses', 'losses']] as const) out[k][i] = (out[k][i] ?? 0) + (n(r[column]) ?? 0);
    const closed = (out.wins[i] ?? 0) + (out.losses[i] ?? 0);
    out.winRate[i] = closed > 0 ? (out.wins[i] ?? 0) / closed : null;
  }
  return out;
}

/** What ran: a generated market is the demo, a session with a live feed paper or live, recorded data a backtest. */
function runMode(summary: Record<string, unknown>): string {
  const source = (summary['source'] ?? {}) as Record<string, unknown>;
  if (typeof source['mode'] === 'string') return source['mode'];
  if (source['generator'] !== undefined) return 'demo';
  if (source['feed'] !== undefined) return 'paper';
  return 'backtest';
}

/**
 * The dashboard's view of a finished backtest, from its output folder's files (summary.json,
 * trades.csv, equity.csv, hourly.csv): the same page renders it, without the live-only parts (the
 * ranking, per-minute regimes and coin prices are not in the files; the regime charts show each
 * trade's regime at entry instead).
 */
export function backtestView(files: BacktestFiles, statechart: { readonly chart: Statechart; readonly svg: string } | null, title?: string): DashboardView {
  const s = files.summary;
  const mode = runMode(s);
  const stats = (s['statistics'] ?? {}) as Record<string, unknown>;
  const quote = typeof s['quote'] === 'string' ? s['quote'] : 'KRW';
  const span = (s['span'] ?? {}) as { fromMs?: number; toMs?: number };
  const trades = parseCsv(files.trades);
  const equity = parseCsv(files.equity);
  const hourly = parseCsv(files.hourly);
  const tradeRows: TradeRowView[] = trades.map((r) => ({
    positionId: r['position_id'] ?? '',
    market: r['market'] ?? '',
    openedTs: t(r['opened']),
    closedTs: t(r['closed']),
    pnl: n(r['pnl']) ?? 0,
    return: n(r['return']) ?? 0,
    reason: r['reason'] ?? '',
    regime: Object.fromEntries(HORIZONS.map((h) => [h, r[`regime_${h}`] ?? '']).filter(([, v]) => v !== '')),
  }));
  const byEntry = [...tradeRows].sort((a, b) => a.openedTs - b.openedTs);
  const balances = Object.entries((s['balances'] ?? {}) as Record<string, { free: number; locked: number }>).map(([currency, b]) => ({ currency, free: b.free, locked: b.locked, value: currency === quote ? b.free + b.locked : null }));
  const open = (Array.isArray(s['openPositions']) ? s['openPositions'] : []) as { positionId: string; market: string; state: string; amount: number; entryPrice: number; entryTs: number; orderPrice: number }[];
  const positions: PositionRowView[] = open.map((p) => ({ positionId: p.positionId, market: p.market, state: p.state, done: false, amount: p.amount, entryPrice: p.entryPrice, orderPrice: p.orderPrice, openedTs: p.entryTs, lastTs: p.entryTs, history: [] }));
  const finalEquity = typeof stats['finalEquity'] === 'number' ? stats['finalEquity'] : 0;
  const lastEquity = equity[equity.length - 1];
  const invested = n(lastEquity?.['invested']) ?? 0;
  const decisions = (stats['decisions'] ?? {}) as Record<string, number>;
  const period = chartPeriod((span.toMs ?? 0) - (span.fromMs ?? 0));
  // Orders and fills from trades.csv: each closed trade is a buy fill at entry and a sell fill at exit.
  const fills: FillRowView[] = trades
    .flatMap((r) => {
      const amount = n(r['amount']) ?? 0;
      const fees = n(r['fees']) ?? 0;
      const entry = n(r['entry_price']) ?? 0;
      const exit = n(r['exit_price']) ?? 0;
      // The fees of a trade are split between its two fills in proportion to their value.
      const buyShare = entry + exit > 0 ? entry / (entry + exit) : 0.5;
      return [
        { ts: t(r['opened']), clientId: `${r['position_id'] ?? ''}-buy`, market: r['market'] ?? '', side: 'buy', price: entry, amount, fee: fees * buyShare },
        { ts: t(r['closed']), clientId: `${r['position_id'] ?? ''}-sell`, market: r['market'] ?? '', side: 'sell', price: exit, amount, fee: fees * (1 - buyShare) },
      ];
    })
    .sort((a, b) => b.ts - a.ts);
  const orders: OrderRowView[] = fills.map((f) => ({ ts: f.ts, type: 'order.filled', clientId: f.clientId, market: f.market, side: f.side, price: f.price, amount: f.amount, filled: f.amount, status: 'filled', detail: 'from trades.csv' }));
  const notes = [
    `${mode[0]?.toUpperCase() ?? ''}${mode.slice(1)} of ${String(s['events'] ?? '?')} events${span.fromMs ? ` from ${new Date(span.fromMs).toISOString()} to ${new Date(span.toMs ?? span.fromMs).toISOString()}` : ''}.`,
    'The ranking, the per-minute regime timelines, the coin price lines and the transition histories exist only live: the run files do not hold them, so their panels are left out.',
    'Orders and fills are those of the closed trades (trades.csv), each trade a buy at entry and a sell at exit; the statechart highlights the state of the first open position.',
    ...(period !== 'hour' ? [`Returns, win rates and counts are per ${period} over this span (hourly.csv has every hour).`] : []),
  ];
  return {
    version: 1,
    kind: 'report',
    title: title ?? `coinrx ${mode}`,
    mode,
    quote,
    now: span.toMs ?? 0,
    bot: { state: 'finished' },
    controls: { enabled: false, reason: 'a finished run' },
    summary: stats,
    exposure: { equity: finalEquity, invested, fraction: finalEquity > 0 ? invested / finalEquity : 0 },
    balances,
    ranking: { ts: 0, rows: [] },
    positions,
    orders,
    fills,
    trades: [...tradeRows].reverse(),
    decisions,
    health: { exchange: { status: 'simulated', reason: 'backtest on the simulated exchange' }, redis: { status: 'n/a', reason: 'not used by a backtest report' } },
    markets: [],
    charts: {
      equity: { ts: equity.map((r) => t(r['time'])), equity: equity.map((r) => n(r['equity'])), invested: equity.map((r) => n(r['invested'])) },
      hourly:
        period === 'hour'
          ? {
              ts: hourly.map((r) => t(r['hour'])),
              return: hourly.map((r) => n(r['return'])),
              winRate: hourly.map((r) => n(r['win_rate'])),
              buys: hourly.map((r) => n(r['buys'])),
              sells: hourly.map((r) => n(r['sells'])),
              wins: hourly.map((r) => n(r['wins'])),
              losses: hourly.map((r) => n(r['losses'])),
              period,
            }
          : aggregateHourly(hourly, period),
      regimes: {
        source: 'trades',
        ts: byEntry.map((r) => r.openedTs),
        breadth: Object.fromEntries(HORIZONS.map((h) => [h, byEntry.map((r) => REGIME[r.regime[h] ?? ''] ?? null)])),
        market: null,
        coin: {},
      },
      byRegime: (Array.isArray(stats['byRegime']) ? stats['byRegime'] : []) as RegimeRow[],
      coin: null,
    },
    statechart,
    notes,
  };
}
