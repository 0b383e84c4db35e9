import { formatHold, suppressedReasons, type PeriodRow, type RunResults } from '../../report/results.js';

const pct = (x: number | null): string => (x === null ? '-' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}%`);
const rate = (x: number): string => `${(x * 100).toFixed(1)}%`;
const money = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;
const minute = (ts: number): string => new Date(ts).toISOString().slice(0, 16).replace('T', ' ');

/** Left-aligned first column, the rest right-aligned, two spaces apart. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[], indent = '  '): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => indent + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [line(header), ...rows.map(line)];
}

function periodRows(rows: readonly PeriodRow[]): string[][] {
  return rows.map((r) => [r.period, r.equityStart.toFixed(2), r.equityEnd.toFixed(2), pct(r.return), String(r.trades), r.trades > 0 ? rate(r.wins / r.trades) : '-', money(r.pnl)]);
}

const PERIOD_HEADER = ['', 'equity start', 'equity end', 'return', 'trades', 'win rate', 'P&L'];

/** Days printed in full up to this many; past it the best and worst days (all of them are in summary.json). */
const DAYS_IN_FULL = 31;

/**
 * The results tables of a run as the CLI prints them: market change, halts, decisions acted on and
 * suppressed, exit reasons, per pair, per month and per day.
 */
export function resultsLines(r: RunResults, totalReturn: number, quote: string): string[] {
  const lines: string[] = [];
  const m = r.market;
  lines.push(
    m.change === null
      ? `market      no replayed prices: no market change`
      : `market      buy-and-hold of the ${m.markets} ${quote} coins ${pct(m.change)}; the bot ${pct(totalReturn)} (${pct(m.excess)} against it)`,
  );
  if (r.halts.length === 0) lines.push('halts       none');
  else {
    lines.push(`halts       ${r.halts.length}`);
    for (const h of r.halts) lines.push(`  ${minute(h.ts)}  ${h.reason}${h.resumedTs === null ? ' (stayed stopped)' : ` (ran again ${minute(h.resumedTs)})`}`);
  }
  for (const d of r.decisions) {
    const why = suppressedReasons(d.why);
    lines.push(`decisions   ${d.kind} ${d.total}: ${d.acted} acted on, ${d.suppressed} suppressed${why ? ` (${why})` : ''}`);
    // Not one buy was big enough for the exchange: the balance is too small for the market's minimum order
    // (a KRW market with a USDT profile's 10,000), which no other line would say.
    if (d.kind === 'BUY' && d.acted === 0 && d.suppressed > 0 && d.why['below-minimum'] === d.suppressed) {
      lines.push(`            every buy was below the exchange's minimum order: raise simulator.initialBalance (or allocation.maxPerCoin, fewer allocation.maxPositions) for ${quote} markets`);
    }
  }
  if (r.exits.length > 0) {
    lines.push('exits');
    lines.push(...textTable(['', 'trades', 'win rate', 'P&L', 'mean return', 'mean hold'], r.exits.map((e) => [e.exit, String(e.trades), rate(e.winRate), money(e.pnl), pct(e.meanReturn), formatHold(e.meanHoldMs)])));
  }
  if (r.pairs.length > 0) {
    lines.push('pairs');
    lines.push(...textTable(['', 'trades', 'win rate', 'P&L', 'mean return', 'mean hold', 'market'], r.pairs.map((p) => [p.market, String(p.trades), rate(p.winRate), money(p.pnl), pct(p.meanReturn), formatHold(p.meanHoldMs), pct(p.marketChange)])));
  }
  if (r.monthly.length > 0) {
    lines.push('months');
    lines.push(...textTable(PERIOD_HEADER, periodRows(r.monthly)));
  }
  if (r.daily.length > 0) {
    if (r.daily.length <= DAYS_IN_FULL) {
      lines.push('days');
      lines.push(...textTable(PERIOD_HEADER, periodRows(r.daily)));
    } else {
      const up = r.daily.filter((d) => d.return > 0).length;
      const down = r.daily.filter((d) => d.return < 0).length;
      const byReturn = [...r.daily].sort((a, b) => b.return - a.return || (a.period < b.period ? -1 : 1));
      lines.push(`days        ${r.daily.length}: ${up} up, ${down} down, ${r.daily.length - up - down} flat; best and worst three (every day in summary.json and the report):`);
      lines.push(...textTable(PERIOD_HEADER, periodRows([...byReturn.slice(0, 3), ...byReturn.slice(-3)])));
    }
  }
  return lines;
}
