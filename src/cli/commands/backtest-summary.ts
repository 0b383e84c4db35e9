import { resultsOf } from '../../engine/backtest-output.js';
import type { BacktestResult } from '../../engine/backtest.js';
import { resultsLines } from './results-text.js';

function pct(x: unknown): string {
  return typeof x === 'number' ? `${(x * 100).toFixed(2)}%` : '-';
}

function fixed(x: unknown, digits = 2): string {
  return typeof x === 'number' ? x.toFixed(digits) : '-';
}

/** Sharpe and Sortino are null under a day of hourly returns (too few to annualise). */
function ratio(x: unknown): string {
  return x === null ? 'n/a' : fixed(x);
}

/** The few lines a trader reads after a run; the full figures are in summary.json. */
export function summaryLines(result: BacktestResult, outDir: string | undefined): string[] {
  const s = result.summary;
  const span = result.span ? `${new Date(result.span.from).toISOString()} → ${new Date(result.span.to).toISOString()}` : 'no data';
  const warm = result.range ? `; ${result.range.warmupEvents} events before the range only warmed the features up` : '';
  const lines = [
    `span        ${span} (${result.events} events, quote ${result.quote}${warm})`,
    `equity      ${fixed(s.initialEquity)} → ${fixed(s.finalEquity)} ${result.quote}  return ${pct(s.totalReturn)}`,
    `trades      ${s.trades} (${s.wins} won, ${s.losses} lost, win rate ${pct(s.winRate)}), mean trade ${pct(s.meanTradeReturn)}`,
    `risk        max drawdown ${pct(s.maxDrawdown)}, Sharpe ${ratio(s.sharpe)}, Sortino ${ratio(s.sortino)}, exposure ${pct(s.exposure)}`,
    `costs       fees ${fixed(s.feesPaid)} ${result.quote}, turnover ${fixed(s.turnover)}×`,
    `open        ${result.open.length === 0 ? 'none' : result.open.map((p) => `${p.market} (${p.state})`).join(', ')}`,
    ...resultsLines(resultsOf(result), typeof s.totalReturn === 'number' ? s.totalReturn : 0, result.quote),
  ];
  if (outDir) lines.push(`written     ${outDir}/summary.json, trades.csv, equity.csv, hourly.csv`);
  return lines;
}

export function progressDetail(events: number, ts: number, result?: { trades: number }): string {
  const time = ts > 0 ? new Date(ts).toISOString().slice(0, 16).replace('T', ' ') : '';
  return `${events.toLocaleString('en-US')} events · ${time}${result ? ` · ${result.trades} trades` : ''}`;
}
