import { resultsOf } from '../../engine/backtest-output.js';
import type { BacktestResult } from '../../engine/backtest.js';
import { resultsLines } from './results-text.js';
import { groupedNumber } from '../../core/grouped-number.js';

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

/** A duration as its two largest units: 11d 13h, 1h 25m, 40m. */
function duration(ms: number): string {
  const parts: string[] = [];
  let rest = Math.round(ms / 60_000);
  for (const [unit, size] of [['d', 1440], ['h', 60], ['m', 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.slice(0, 2).join(' ') || '0m';
}

/** The data gaps of a run (see src/engine/data-gaps.ts), one line each kind; none when the data had none. */
export function dataGapLines(result: BacktestResult): string[] {
  const g = result.dataGaps;
  if (g === undefined) return [];
  const lines: string[] = [];
  if (g.stalePositions.length > 0) {
    const each = g.stalePositions.map((p) => `${p.market} (no event since ${new Date(p.lastEventTs).toISOString()}, ${duration(p.silentMs)} before the end: ${fixed(p.value)} ${result.quote} at its last price ${p.price})`);
    lines.push(`stale       ${g.stalePositions.length} open position(s) valued at a stale price: ${each.join('; ')}`);
  }
  if (g.holdingGaps.length > 0) {
    lines.push(`gaps        while holding: ${g.holdingGaps.map((x) => `${x.market} ${x.gaps} (longest ${duration(x.longestMs)})`).join(', ')}`);
  }
  return lines;
}

/**
 * The entry gate's BUYs held back by reason and its estimate at the end: a run that bought little or
 * nothing says why. None when the gate held nothing back and judged no BUY (off, or another strategy).
 */
export function gateLines(result: BacktestResult): string[] {
  const g = result.gate;
  const minTrades = result.config?.strategy.gate.minTrades;
  if (g === undefined || minTrades === undefined) return [];
  const held = g.held;
  const total = held.regime + held['paper-trades'] + held['no-edge'];
  const e = g.estimate;
  if (total === 0 && e === undefined) return [];
  const reasons = [
    ...(held['paper-trades'] > 0 ? [`${groupedNumber(held['paper-trades'])} before ${minTrades} paper trades had closed`] : []),
    ...(held['no-edge'] > 0 ? [`${groupedNumber(held['no-edge'])} with no edge after fees`] : []),
    ...(held.regime > 0 ? [`${groupedNumber(held.regime)} under the regime filter's market breadth`] : []),
  ];
  const signed = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}%`;
  const end = e === undefined ? '' : `; at the end the last ${e.trades} paper trade${e.trades === 1 ? '' : 's'} expected ${signed(e.expected)} a trade after fees (${pct(e.p)} won)`;
  return [`gate        held back ${groupedNumber(total)} BUY decisions${reasons.length > 0 ? `: ${reasons.join(', ')}` : ''}${end}`];
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
    ...dataGapLines(result),
    ...gateLines(result),
    ...resultsLines(resultsOf(result), typeof s.totalReturn === 'number' ? s.totalReturn : 0, result.quote),
  ];
  if (outDir) lines.push(`written     ${outDir}/summary.json, trades.csv, equity.csv, hourly.csv`);
  return lines;
}

export function progressDetail(events: number, ts: number, result?: { trades: number }): string {
  const time = ts > 0 ? new Date(ts).toISOString().slice(0, 16).replace('T', ' ') : '';
  return `${groupedNumber(events)} events · ${time}${result ? ` · ${result.trades} trades` : ''}`;
}
