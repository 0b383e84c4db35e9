import { heuristicScore, type BatchScorer } from '../../streams/index.js';
import type { Dataset } from './dataset.js';
import { FEATURE_COUNT, FEATURE_NAMES } from './feature-vector.js';

/** The simple rankings a learned model must beat to be used: each on live snapshots and on dataset rows alike. */
export const SIMPLE_RULES = ['momentum', 'volatility rule', 'heuristic'] as const;
export type SimpleRule = (typeof SIMPLE_RULES)[number];

const VOLATILITY = FEATURE_NAMES.indexOf('log_volatility');

/** The rule's score for every market of a live batch (higher ranks first). */
export const RULE_SCORERS: Readonly<Record<SimpleRule, BatchScorer>> = {
  // Log price over its 1h VWAP: the return of the last hour against its average.
  momentum: (snaps) => snaps.map((s) => Math.log(s.price / s.windows['1h'].vwap)),
  // The last hour's volatility: volatile coins touch barriers first.
  'volatility rule': (snaps) => snaps.map((s) => s.volatility),
  heuristic: heuristicScore,
};

/** The same rules on dataset rows (the dataset keeps what each needs). */
export function ruleRowScores(d: Dataset, rule: SimpleRule, rows: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as number;
    out[i] = rule === 'momentum' ? (d.momentum[r] as number) : rule === 'heuristic' ? (d.heuristic[r] as number) : (d.x[r * FEATURE_COUNT + VOLATILITY] as number);
  }
  return out;
}
