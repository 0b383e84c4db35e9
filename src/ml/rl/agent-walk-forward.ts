import { pairedBlockBootstrap, type PairedInterval } from '../bootstrap.js';
import { EDGE_RULE, STRATEGY_GEN0, type EvaluationReport } from './evaluation.js';

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
  const conclusion = `over the ${agent.length} test days of ${folds.length} folds the agent ${verdict('cash', 'cash')} and ${verdict('rule-based ranker (triple barrier)', 'the rule strategy')} (95 % intervals of the paired daily differences)`;
  return { folds, pooled: { days: agent.length, returns, comparisons, conclusion } };
}

const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)} %`;
const pp = (i: PairedInterval): string => `${(i.mean * 100).toFixed(3)} [${(i.low * 100).toFixed(3)}, ${(i.high * 100).toFixed(3)}]${i.verdict === 'no difference shown' ? '' : ` ${i.verdict}`}`;
const day = (ts: number): string => new Date(ts).toISOString().slice(0, 10);

/** Column names of the policies whose report names are long (evaluation.ts). */
const SHORT_NAMES: Readonly<Record<string, string>> = {
  'rule-based ranker (triple barrier)': 'rule strategy',
  [STRATEGY_GEN0]: 'generation 0',
  [EDGE_RULE]: 'edge rule',
};

/** The walk-forward as a trader reads it: a line per fold, then all folds together. */
export function agentWalkForwardText(result: AgentWalkForward): string {
  const against = result.pooled.comparisons.map((c) => c.against);
  const short = (p: string): string => SHORT_NAMES[p] ?? p.replace(/ \(.*\)$/, '');
  const cell = (text: string): string => text.padStart(14);
  let text = `${'fold'.padEnd(4)}  ${'test span'.padEnd(25)}  ${'trained to'.padEnd(10)}  ${'best'.padEnd(5)}${cell('agent')}${against.map((p) => cell(short(p))).join('')}  ${'agent − cash, pp a day [95 %]'.padEnd(36)}  agent − rule strategy\n`;
  const row = (label: string, span: string, trained: string, best: string, agentReturn: number, others: readonly number[], comparisons: readonly { against: string; interval: PairedInterval }[]): string => {
    const find = (name: string): string => {
      const c = comparisons.find((x) => x.against === name);
      return c ? pp(c.interval) : 'n/a';
    };
    return `${label.padEnd(4)}  ${span.padEnd(25)}  ${trained.padEnd(10)}  ${best.padEnd(5)}${cell(pct(agentReturn))}${others.map((r) => cell(pct(r))).join('')}  ${find('cash').padEnd(36)}  ${find('rule-based ranker (triple barrier)')}\n`;
  };
  result.folds.forEach((f, k) => {
    const rows = f.report.rows;
    const ret = (name: string): number => rows.find((r) => r.policy === name)?.totalReturn ?? Number.NaN;
    text += row(String(k + 1), `${day(f.from)} … ${day(f.to - 1)}`, day(f.trainedOn.to - 1), f.best, (rows[0] as { totalReturn: number }).totalReturn, against.map(ret), f.report.comparisons);
  });
  const p = result.pooled;
  text += row('all', `${p.days} days`, '', '', p.returns[AGENT] ?? Number.NaN, against.map((a) => p.returns[a] ?? Number.NaN), p.comparisons);
  return `${text}in short: ${p.conclusion}\n`;
}
