import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RegimeRow } from '../trading/performance.js';
import { HORIZONS, type DashboardView, type PositionRowView, type TradeRowView } from './dashboard-state.js';
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
      throw new Error(`${join(dir, name)}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)}); is ${dir} a backtest output folder?`);
    }
  };
  const [summary, trades, equity, hourly] = await Promise.all([read('summary.json'), read('trades.csv'), read('equity.csv'), read('hourly.csv')]);
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(summary) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`${join(dir, 'summary.json')}: not valid JSON (${(error as Error).message})`);
  }
  return { summary: parsed, trades, equity, hourly };
}

/**
 * The dashboard's view of a finished backtest, from its output folder's files (summary.json,
 * trades.csv, equity.csv, hourly.csv): the same page renders it, without the live-only parts (the
 * ranking, per-minute regimes and coin prices are not in the files; the regime charts show each
 * trade's regime at entry instead).
 */
export function backtestView(files: BacktestFiles, statechart: { readonly chart: Statechart; readonly svg: string } | null, title = 'coinrx backtest'): DashboardView {
  const s = files.summary;
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
  const notes = [
    `Backtest of ${String(s['events'] ?? '?')} events${span.fromMs ? ` from ${new Date(span.fromMs).toISOString()} to ${new Date(span.toMs ?? span.fromMs).toISOString()}` : ''}.`,
    'The ranking, the per-minute regime timelines and the coin price lines exist only live: the backtest files do not hold them.',
    'Transition histories exist only live; the statechart highlights the state of the first open position.',
  ];
  return {
    version: 1,
    kind: 'report',
    title,
    mode: 'backtest',
    quote,
    now: span.toMs ?? 0,
    bot: { state: 'finished' },
    controls: { enabled: false, reason: 'a finished run' },
    summary: stats,
    exposure: { equity: finalEquity, invested, fraction: finalEquity > 0 ? invested / finalEquity : 0 },
    balances,
    ranking: { ts: 0, rows: [] },
    positions,
    orders: [],
    fills: [],
    trades: [...tradeRows].reverse(),
    decisions,
    health: { exchange: { status: 'simulated', reason: 'backtest on the simulated exchange' }, redis: { status: 'n/a', reason: 'not used by a backtest report' } },
    markets: [],
    charts: {
      equity: { ts: equity.map((r) => t(r['time'])), equity: equity.map((r) => n(r['equity'])), invested: equity.map((r) => n(r['invested'])) },
      hourly: {
        ts: hourly.map((r) => t(r['hour'])),
        return: hourly.map((r) => n(r['return'])),
        winRate: hourly.map((r) => n(r['win_rate'])),
        buys: hourly.map((r) => n(r['buys'])),
        sells: hourly.map((r) => n(r['sells'])),
        wins: hourly.map((r) => n(r['wins'])),
        losses: hourly.map((r) => n(r['losses'])),
      },
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
