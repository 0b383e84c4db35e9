import { pairedBlockBootstrap, type PairedInterval } from '../bootstrap.js';
import { EDGE_RULE, STRATEGY_GEN0, type EvaluationReport } from './evaluation.js';
import { escapeHtml } from '../../report/escape-html.js';

const DAY_MS = 86_400_000;

/** One test fold: the agent trained and selected only on what precedes `from`, evaluated on [from, to). */
export interface AgentFold {
  readonly from: number;
  readonly to: number;
  /** The version the loop kept (v0, vN or cash) and where it is. */
  readonly best: string;
  readonly model: string;
  readonly trainedOn: { readonly from: number; readonly to: number };
  readonly report: EvaluationReport;
}

/** The folds joined: each policy's daily returns over every test day, compounded, and the agent against each. */
export interface AgentWalkForward {
  readonly folds: readonly AgentFold[];
  readonly pooled: {
    readonly days: number;
    /** Compounded return of each policy over all the test days (the agent: each fold's own). */
    readonly returns: Readonly<Record<string, number>>;
    readonly comparisons: readonly { readonly against: string; readonly interval: PairedInterval }[];
    readonly conclusion: string;
  };
}

/** The agent's row in a fold's report: the first (its name carries the fold's version). */
export const AGENT = 'agent';
/** The configured rule strategy's row in an evaluation (evaluation.ts). */
const RULE = 'rule-based ranker (triple barrier)';

/**
 * Test folds of `foldMs` from `first` until `end` (the last one shorter, none shorter than a day): the
 * spans a walk-forward trains before and evaluates on.
 */
export function foldSpans(first: number, end: number, foldMs: number): { from: number; to: number }[] {
  if (!(foldMs >= DAY_MS)) throw new Error(`a fold must be at least a day, got ${foldMs} ms`);
  const spans: { from: number; to: number }[] = [];
  for (let from = first; end - from >= DAY_MS; from += foldMs) spans.push({ from, to: Math.min(end, from + foldMs) });
  return spans;
}

/**
 * Every policy the folds share, its daily returns over all test days in order, and the agent's (each
 * fold's own version) against each by the same paired moving-block bootstrap as one evaluation: the
 * walk-forward answer that no single fold gives. Days do not overlap (each fold starts where the last ended).
 */
export function poolFolds(folds: readonly AgentFold[], seed = 1): AgentWalkForward {
  if (folds.length === 0) throw new Error('no fold to pool');
  const names = (folds[0] as AgentFold).report.rows.slice(1).map((r) => r.policy).filter((p) => folds.every((f) => f.report.dailyReturns[p] !== undefined));
  const series = (policy: string): number[] => folds.flatMap((f) => [...((f.report.dailyReturns[policy === AGENT ? ((f.report.rows[0] as { policy: string }).policy) : policy]) ?? [])]);
  const agent = series(AGENT);
  const compound = (daily: readonly number[]): number => daily.reduce((a, r) => a * (1 + r), 1) - 1;
  const returns: Record<string, number> = { [AGENT]: compound(agent) };
  const comparisons = names.map((against) => {
    const other = series(against);
    returns[against] = compound(other);
    return { against, interval: pairedBlockBootstrap(agent, other, { seed }) };
  });
  const verdict = (name: string, what: string): string => {
    const v = comparisons.find((c) => c.against === name)?.interval.verdict;
    return v === 'beats' ? `beats ${what}` : v === 'loses' ? `loses to ${what}` : `is not shown to beat ${what}`;
  };
  const conclusion = `over the ${agent.length} test days of ${folds.length} folds the agent ${verdict('cash', 'cash')} and ${verdict(RULE, 'the rule strategy')} (95 % intervals of the paired daily differences)`;
  return { folds, pooled: { days: agent.length, returns, comparisons, conclusion } };
}

const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)} %`;
const pp = (i: PairedInterval): string => `${(i.mean * 100).toFixed(3)} [${(i.low * 100).toFixed(3)}, ${(i.high * 100).toFixed(3)}]${i.verdict === 'no difference shown' ? '' : ` ${i.verdict}`}`;
const day = (ts: number): string => new Date(ts).toISOString().slice(0, 10);

/** Column names of the policies whose report names are long (evaluation.ts). */
const SHORT_NAMES: Readonly<Record<string, string>> = {
  [RULE]: 'rule strategy',
  [STRATEGY_GEN0]: 'generation 0',
  [EDGE_RULE]: 'edge rule',
};

/** The walk-forward's table: a row per fold, then all folds together (the figures as printed). */
export function agentWalkForwardTable(result: AgentWalkForward): { readonly head: readonly string[]; readonly rows: readonly (readonly string[])[] } {
  const against = result.pooled.comparisons.map((c) => c.against);
  const short = (p: string): string => SHORT_NAMES[p] ?? p.replace(/ \(.*\)$/, '');
  const head = ['fold', 'test span', 'trained to', 'best', 'agent', ...against.map(short), 'agent − cash, pp a day [95 %]', 'agent − rule strategy'];
  const find = (comparisons: readonly { against: string; interval: PairedInterval }[], name: string): string => {
    const c = comparisons.find((x) => x.against === name);
    return c ? pp(c.interval) : 'n/a';
  };
  const rows = result.folds.map((f, k) => {
    const ret = (name: string): number => f.report.rows.find((r) => r.policy === name)?.totalReturn ?? Number.NaN;
    return [String(k + 1), `${day(f.from)} … ${day(f.to - 1)}`, day(f.trainedOn.to - 1), f.best, pct((f.report.rows[0] as { totalReturn: number }).totalReturn), ...against.map((a) => pct(ret(a))), find(f.report.comparisons, 'cash'), find(f.report.comparisons, RULE)];
  });
  const p = result.pooled;
  rows.push(['all', `${p.days} days`, '', '', pct(p.returns[AGENT] ?? Number.NaN), ...against.map((a) => pct(p.returns[a] ?? Number.NaN)), find(p.comparisons, 'cash'), find(p.comparisons, RULE)]);
  return { head, rows };
}

/** The walk-forward as a trader reads it: the table, then what the pooled intervals say. */
export function agentWalkForwardText(result: AgentWalkForward): string {
  const { head, rows } = agentWalkForwardTable(result);
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  // The fold, span, training end and version read left to right; the figures are right-aligned.
  const left = (i: number): boolean => i < 4 || i >= head.length - 2;
  const lines = all.map((row) => row.map((c, i) => (left(i) ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ').trimEnd());
  return `${lines.join('\n')}\nin short: ${result.pooled.conclusion}\n`;
}


/** A self-contained page with the same table. */
export function agentWalkForwardHtml(result: AgentWalkForward): string {
  const { head, rows } = agentWalkForwardTable(result);
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>coinrx agent walk-forward</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1em}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}td:nth-child(-n+4){text-align:left}</style></head>
<body><h1>Agent walk-forward</h1>
<p>${escapeHtml(`${result.folds.length} fold(s): each fold's agent trained and selected only on the data before it; returns after every cost; intervals: paired moving-block bootstrap of daily returns, 95 %.`)}</p>
<table><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>
${rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n')}</table>
<p>${escapeHtml(`In short: ${result.pooled.conclusion}.`)}</p>
</body></html>
`;
}
