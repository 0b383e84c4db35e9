import type { PairedInterval } from './bootstrap.js';
import type { FoldChoice, StrategyFold, StrategyWalkForward } from './strategy-walk-forward.js';
import { escapeHtml } from '../report/escape-html.js';

const pct = (v: number, digits = 2): string => (Number.isFinite(v) ? `${v >= 0 && digits === 2 ? '+' : ''}${(v * 100).toFixed(digits)}%` : 'n/a');
const signed = (v: number): string => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${(v * 100).toFixed(2)}` : 'n/a');
const date = (ts: number): string => new Date(ts).toISOString().slice(0, 10);
const foldName = (f: StrategyFold): string => (f.fold === 0 ? 'all' : String(f.fold));
const spanOf = (f: StrategyFold): string => `${date(f.span.from)} … ${date(f.span.to - 1)}`;
/** pp a day with its interval and the verdict's word. */
const claim = (i: PairedInterval): string => `${signed(i.mean)} (${signed(i.low)} … ${signed(i.high)})${i.verdict === 'beats' ? ' beats' : i.verdict === 'loses' ? ' loses' : ''}`;

interface Tables {
  readonly title: string;
  readonly head: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** The fold tables of any set of policies whose first one is the strategy the table is about. */
export interface FoldTables {
  readonly strategy: string;
  readonly folds: readonly StrategyFold[];
  readonly whole: StrategyFold;
}

function foldTables(w: FoldTables): Tables[] {
  const all = [...w.folds, w.whole];
  const names = w.whole.figures.map((f) => f.name);
  const own = (f: StrategyFold) => f.figures[0] as StrategyFold['figures'][number];
  const vs = (f: StrategyFold, name: string): PairedInterval => (f.comparisons.find((c) => c.against === name) as StrategyFold['comparisons'][number]).interval;
  const against = names.slice(1);
  return [
    {
      title: `the ${w.strategy} per fold`,
      head: ['fold', 'span', 'days', 'return', 'Sharpe', 'max drawdown', 'trades', 'minus cash, pp a day (95% CI)'],
      rows: all.map((f) => [foldName(f), spanOf(f), String(f.days), pct(own(f).return), own(f).sharpe.toFixed(2), pct(own(f).maxDrawdown, 1), String(own(f).trades ?? ''), claim(vs(f, 'cash'))]),
    },
    {
      title: 'return of every policy per fold (Sharpe)',
      head: ['fold', 'span', ...names],
      rows: all.map((f) => [foldName(f), spanOf(f), ...f.figures.map((x) => `${pct(x.return)} (${x.sharpe.toFixed(2)})`)]),
    },
    {
      title: `the ${w.strategy} minus each other policy, pp a day (95% CI)`,
      head: ['fold', 'span', ...against.map((n) => `vs ${n}`)],
      rows: all.map((f) => [foldName(f), spanOf(f), ...against.map((n) => claim(vs(f, n)))]),
    },
    {
      title: 'max drawdown and trades of every policy per fold',
      head: ['fold', 'span', ...names],
      rows: all.map((f) => [foldName(f), spanOf(f), ...f.figures.map((x) => `${pct(x.maxDrawdown, 1)}${x.trades === null ? '' : `, ${x.trades}`}`)]),
    },
  ];
}

function tables(w: StrategyWalkForward): Tables[] {
  const candidates: Tables[] = w.candidates
    ? [
        {
          title: `every candidate over the whole span, against the default strategy (the configured profile); the best Sharpe when shown to beat cash (else cash), to trade next: ${w.next ?? ''}`,
          head: ['candidate', 'return', 'Sharpe', 'max drawdown', 'trades', 'minus default strategy, pp a day (95% CI)'],
          rows: w.candidates.map((c) => [c.label, pct(c.return), c.sharpe.toFixed(2), pct(c.maxDrawdown, 1), String(c.trades), claim(c.minusDefault)]),
        },
      ]
    : [];
  return [...foldTables(w), ...candidates];
}

function textTable(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  // The first column, and the second unless it is a figure, read left to right.
  const left = (i: number): boolean => i === 0 || (i === 1 && head[1] === 'span');
  return all.map((row) => row.map((c, i) => (left(i) ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ').trimEnd());
}

function preamble(w: StrategyWalkForward): string[] {
  const s = w.sharpeInterval;
  const whole = w.whole.figures[0] as StrategyFold['figures'][number];
  return [
    `walk-forward of the ${w.strategy}: ${date(w.span.from)} … ${date(w.span.to - 1)} (UTC), ${w.folds.length} folds of ${w.foldDays} days (the last ${w.folds[w.folds.length - 1]?.days ?? 0}); one continuous backtest per policy, trading only inside the span (the data before it warms the features up)`,
    `Sharpe: mean / standard deviation of daily returns × √365; intervals: paired moving-block bootstrap of daily returns, 95 %, seed ${w.seed}; "beats"/"loses" only when the whole interval is above/below zero`,
    `whole span: return ${pct(whole.return)}, Sharpe ${s.sharpe.toFixed(2)} (95% CI ${s.low.toFixed(2)} … ${s.high.toFixed(2)}, ${s.n} days), max drawdown ${pct(whole.maxDrawdown, 1)}, ${whole.trades ?? 0} trades`,
  ];
}

function choiceText(c: FoldChoice): string {
  const edge = c.pastVsCash ? `, ${signed(c.pastVsCash.mean)} pp a day against cash (${signed(c.pastVsCash.low)} … ${signed(c.pastVsCash.high)})` : '';
  if (c.candidate !== null) return `${c.candidate} (Sharpe ${(c.pastSharpe ?? Number.NaN).toFixed(2)} over the ${c.pastDays} days before${edge}: beats cash)`;
  if (c.bestCandidate === undefined) return 'cash (nothing before it to choose on)';
  return `cash (no candidate shown to beat it over the ${c.pastDays} days before: the best, ${c.bestCandidate}, had Sharpe ${(c.pastSharpe ?? Number.NaN).toFixed(2)}${edge})`;
}

/** Which candidate each fold traded and why (the walk-forward choice). */
function choiceLines(w: StrategyWalkForward): string[] {
  if (!w.choices) return [];
  return [
    '',
    `the walk-forward choice, fold by fold (${w.policies['walk-forward choice'] ?? ''}):`,
    ...w.choices.map((c) => `  fold ${c.fold}: ${choiceText(c)}`),
  ];
}

/** The plain-text tables printed by `coinrx ranker walk-forward`. */
export function strategyWalkForwardText(w: StrategyWalkForward): string {
  const lines = [...preamble(w), ...choiceLines(w)];
  for (const t of tables(w)) lines.push('', `${t.title}:`, ...textTable(t.head, t.rows));
  return `${lines.join('\n')}\n`;
}


const tablesHtml = (list: readonly Tables[]): string =>
  list.map((t) => `<h2>${escapeHtml(t.title)}</h2>\n<table><tr>${t.head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>\n${t.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n')}</table>`).join('\n');

/** The fold tables as text lines (each table after a blank line and its title). */
export function foldTablesText(w: FoldTables): string[] {
  const lines: string[] = [];
  for (const t of foldTables(w)) lines.push('', `${t.title}:`, ...textTable(t.head, t.rows));
  return lines;
}

/** The fold tables as HTML (a heading and a table each). */
export function foldTablesHtml(w: FoldTables): string {
  return tablesHtml(foldTables(w));
}

/** A self-contained page with the same tables. */
export function strategyWalkForwardHtml(w: StrategyWalkForward): string {
  const body = tablesHtml(tables(w));
  const policies = Object.entries(w.policies).map(([n, d]) => `<li><b>${escapeHtml(n)}</b>: ${escapeHtml(d)}</li>`).join('');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>coinrx walk-forward of the ${escapeHtml(w.strategy)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1em}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}td:nth-child(-n+2){text-align:left}</style></head>
<body><h1>Walk-forward of the ${escapeHtml(w.strategy)}</h1>
${[...preamble(w), ...choiceLines(w)].filter((l) => l !== '').map((l) => `<p>${escapeHtml(l)}</p>`).join('\n')}
<ul>${policies}</ul>
${body}
</body></html>
`;
}
