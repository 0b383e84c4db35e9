import type { ExitRow, Halt, MarketChange, PairRow, PeriodRow, RunResults, DecisionRow } from './results.js';
import { formatHold, suppressedReasons } from './results.js';
import { escapeHtml } from './escape-html.js';


const pct = (x: number | null | undefined): string => (typeof x === 'number' && Number.isFinite(x) ? `${(x * 100).toFixed(2)}%` : '—');
const num = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '—');
const minute = (ts: number): string => new Date(ts).toISOString().slice(0, 16).replace('T', ' ');

function table(id: string, header: readonly string[], rows: readonly (readonly string[])[]): string {
  const head = header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<div class="scroll"><table id="${id}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

function periods(id: string, rows: readonly PeriodRow[]): string {
  return table(id, ['period', 'equity start', 'equity end', 'return', 'trades', 'win rate', 'P&L'], rows.map((r) => [r.period, num(r.equityStart), num(r.equityEnd), pct(r.return), String(r.trades), r.trades > 0 ? pct(r.wins / r.trades) : '—', num(r.pnl)]));
}

function marketLine(m: MarketChange, totalReturn: number | undefined): string {
  if (m.change === null) return 'No replayed prices (a paper or live session): no market change.';
  return `Buy-and-hold of the ${m.markets} coins over the traded span (equal weights): <b>${pct(m.change)}</b>; the bot: <b>${pct(totalReturn)}</b> (${pct(m.excess)} against it).`;
}

function haltsList(halts: readonly Halt[]): string {
  if (halts.length === 0) return '<p id="halts">The bot never halted.</p>';
  const items = halts.map((h) => `<li>${escapeHtml(minute(h.ts))} — ${escapeHtml(h.reason)}${h.resumedTs === null ? ' (stayed stopped)' : ` (ran again ${escapeHtml(minute(h.resumedTs))})`}</li>`).join('');
  return `<ul id="halts">${items}</ul>`;
}

function decisions(rows: readonly DecisionRow[]): string {
  return table('decision-outcomes', ['decision', 'total', 'acted on', 'suppressed', 'why suppressed'], rows.map((d) => [d.kind, String(d.total), String(d.acted), String(d.suppressed), suppressedReasons(d.why) || '—']));
}

/**
 * The results tables of a backtest (summary.json's `results`) as one panel of the report: market
 * change, halts, decisions acted on and suppressed, exit reasons, per pair, per month and per day.
 * Empty when the summary has none (an output folder of an older version).
 */
export function resultsHtml(summary: Record<string, unknown>): string {
  const r = summary['results'] as RunResults | undefined;
  if (!r || typeof r !== 'object' || !Array.isArray(r.pairs)) return '';
  const totalReturn = ((summary['statistics'] ?? {}) as Record<string, unknown>)['totalReturn'] as number | undefined;
  const exits = table('exit-reasons', ['exit', 'trades', 'win rate', 'P&L', 'mean return', 'mean hold', 'reasons'], r.exits.map((e: ExitRow) => [e.exit, String(e.trades), pct(e.winRate), num(e.pnl), pct(e.meanReturn), formatHold(e.meanHoldMs), Object.entries(e.reasons).map(([k, n]) => `${k} ${n}`).join(', ')]));
  const pairs = table('pairs', ['pair', 'trades', 'win rate', 'P&L', 'mean return', 'mean hold', 'market change'], r.pairs.map((p: PairRow) => [p.market, String(p.trades), pct(p.winRate), num(p.pnl), pct(p.meanReturn), formatHold(p.meanHoldMs), pct(p.marketChange)]));
  return `<section class="panel wide" id="results">
  <h2>Results</h2>
  <p id="market-change">${marketLine(r.market, totalReturn)}</p>
  <h3>Halts</h3>
  ${haltsList(r.halts)}
  <h3>Decisions</h3>
  ${decisions(r.decisions)}
  <h3>Exit reasons</h3>
  ${exits}
  <h3>Per pair</h3>
  ${pairs}
  <h3>Per month</h3>
  ${periods('monthly', r.monthly)}
  <h3>Per day</h3>
  <div class="scroll tall">${periods('daily', r.daily)}</div>
</section>`;
}
